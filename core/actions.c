/* actions.c — the user's decisions per target (table settings): snooze,
 * ignore, cadence, note, name, tier; and the store-wide options (table options).
 * Kept across syncs (a sync never touches them).
 *
 * A target is whatever the model's one resolver accepts (kw_model_resolve):
 * an address the store knows, or an organisation domain some known address
 * belongs to. Its settings key is the normalised address or the
 * organisation key ("sub.acme.co.uk" -> "acme.co.uk"), which is what the
 * model looks up. Every write is one BEGIN IMMEDIATE transaction; a row that
 * returns to all defaults is deleted.
 */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "model.h"
#include "sanitize.h"
#include "store.h"

typedef enum { SET_SNOOZE, SET_IGNORE, SET_CADENCE, SET_NOTE, SET_NAME, SET_TIER } setting_kind_t;

static kw_status_t write_setting(kw_store_t *store, const char *target, setting_kind_t what,
                                 int64_t value, const char *text, char **error)
{
    static const char *const upsert[] = {
        [SET_SNOOZE] = "INSERT INTO settings(target, snoozed_until, updated) VALUES (?1, ?2, ?4) "
                       "ON CONFLICT(target) DO UPDATE SET snoozed_until = excluded.snoozed_until, "
                       "updated = excluded.updated",
        [SET_IGNORE] = "INSERT INTO settings(target, ignored, updated) VALUES (?1, ?2, ?4) "
                       "ON CONFLICT(target) DO UPDATE SET ignored = excluded.ignored, "
                       "updated = excluded.updated",
        [SET_CADENCE] = "INSERT INTO settings(target, cadence_days, updated) VALUES (?1, ?2, ?4) "
                        "ON CONFLICT(target) DO UPDATE SET cadence_days = excluded.cadence_days, "
                        "updated = excluded.updated",
        [SET_NOTE] = "INSERT INTO settings(target, note, updated) VALUES (?1, ?3, ?4) "
                     "ON CONFLICT(target) DO UPDATE SET note = excluded.note, "
                     "updated = excluded.updated",
        [SET_NAME] = "INSERT INTO settings(target, display_name, updated) VALUES (?1, ?3, ?4) "
                     "ON CONFLICT(target) DO UPDATE SET display_name = excluded.display_name, "
                     "updated = excluded.updated",
        [SET_TIER] = "INSERT INTO settings(target, tier, updated) VALUES (?1, ?2, ?4) "
                     "ON CONFLICT(target) DO UPDATE SET tier = excluded.tier, "
                     "updated = excluded.updated",
    };
    sqlite3_stmt *st = NULL;
    char *key = NULL;
    kw_target_kind_t kind = KW_TARGET_ORG;
    kw_status_t s;
    int rc, began = 0;

    s = kw_model_resolve_key(store, target, &key, &kind, error);
    if (s != KW_OK)
        return s;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        goto done;
    began = 1;
    s = kw_store_prepare(store, upsert[what], &st, error);
    if (s != KW_OK)
        goto done;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    if (text && *text)
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, (int64_t) time(NULL));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        s = kw_store_fail(store, rc, "saving the setting", error);
        goto done;
    }
    /* A row back at all defaults says nothing: remove it. */
    s = kw_store_prepare(store,
                         "DELETE FROM settings WHERE target = ?1 AND snoozed_until = 0 "
                         "AND ignored = 0 AND cadence_days = 0 AND note IS NULL "
                         "AND display_name IS NULL AND tier = 0",
                         &st, error);
    if (s != KW_OK)
        goto done;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s = kw_store_fail(store, rc, "saving the setting", error);
        goto done;
    }
    /* Ignoring a person changes their organisation's roll-up: have its
     * aggregate recomputed (readers notice the change without this, but
     * would compute that organisation from its mail every time). */
    if (kind == KW_TARGET_PERSON && what == SET_IGNORE) {
        s = kw_store_prepare(store,
                             "INSERT OR IGNORE INTO agg_dirty(contact_id) "
                             "SELECT id FROM contacts WHERE email = ?1",
                             &st, error);
        if (s != KW_OK)
            goto done;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            s = kw_store_fail(store, rc, "saving the setting", error);
            goto done;
        }
    }
    s = kw_store_write_commit(store, error);
    began = s != KW_OK;
done:
    if (began)
        kw_store_write_rollback(store);
    g_free(key);
    return s;
}

KW_PUBLIC kw_status_t kw_snooze(kw_store_t *store, const char *target, int64_t until,
                                char **error)
{
    if (until <= 0) {
        kw_set_error(error, "snooze needs a time in the future");
        return KW_ERR_USAGE;
    }
    return write_setting(store, target, SET_SNOOZE, until, NULL, error);
}

KW_PUBLIC kw_status_t kw_unsnooze(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, SET_SNOOZE, 0, NULL, error);
}

KW_PUBLIC kw_status_t kw_ignore(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, SET_IGNORE, 1, NULL, error);
}

KW_PUBLIC kw_status_t kw_unignore(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, SET_IGNORE, 0, NULL, error);
}

/* Largest cadence a user may set: ten years (anything above is "ignore"). */
#define MAX_USER_CADENCE_DAYS 3650

KW_PUBLIC kw_status_t kw_set_cadence(kw_store_t *store, const char *target, int days,
                                     char **error)
{
    if (days < 0 || days > MAX_USER_CADENCE_DAYS) {
        kw_set_error(error, "a cadence is 1 to %d days (0 = learned)", MAX_USER_CADENCE_DAYS);
        return KW_ERR_USAGE;
    }
    return write_setting(store, target, SET_CADENCE, days, NULL, error);
}

/* Longest note kept, in bytes. */
#define MAX_NOTE_BYTES 4096

KW_PUBLIC kw_status_t kw_set_note(kw_store_t *store, const char *target, const char *text,
                                  char **error)
{
    char *clean = NULL;
    kw_status_t s;

    if (text && *text) {
        if (!g_utf8_validate(text, -1, NULL)) {
            kw_set_error(error, "the note is not valid UTF-8");
            return KW_ERR_USAGE;
        }
        clean = g_strstrip(g_strndup(text, MAX_NOTE_BYTES));
        /* cut on a character boundary if g_strndup split one */
        if (!g_utf8_validate(clean, -1, NULL)) {
            const char *end;
            g_utf8_validate(clean, -1, &end);
            clean[end - clean] = '\0';
        }
    }
    s = write_setting(store, target, SET_NOTE, 0, clean, error);
    g_free(clean);
    return s;
}

/* Longest name kept, in bytes. */
#define MAX_NAME_BYTES 200

KW_PUBLIC kw_status_t kw_set_name(kw_store_t *store, const char *target, const char *name,
                                  char **error)
{
    char *clean = NULL;
    kw_status_t s;

    if (name && *name) {
        if (!g_utf8_validate(name, -1, NULL)) {
            kw_set_error(error, "the name is not valid UTF-8");
            return KW_ERR_USAGE;
        }
        if (strlen(name) > MAX_NAME_BYTES) {
            kw_set_error(error, "a name is at most %d bytes", MAX_NAME_BYTES);
            return KW_ERR_USAGE;
        }
        /* one line, no control characters: it is shown in tables and panels */
        clean = kw_sanitize_text(name, -1, MAX_NAME_BYTES);
    }
    s = write_setting(store, target, SET_NAME, 0, clean && *clean ? clean : NULL, error);
    g_free(clean);
    return s;
}

KW_PUBLIC kw_status_t kw_set_tier(kw_store_t *store, const char *target, kw_tier_t tier,
                                  char **error)
{
    if (tier < KW_TIER_NONE || tier > KW_TIER_C) {
        kw_set_error(error, "a tier is A, B, C or none");
        return KW_ERR_USAGE;
    }
    return write_setting(store, target, SET_TIER, (int64_t) tier, NULL, error);
}

/* ------------------------------------------------------------------------ */
/* Store-wide options                                                        */
/* ------------------------------------------------------------------------ */

KW_PUBLIC kw_status_t kw_store_get_default_cadence(kw_store_t *store, int *days_out,
                                                   char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    if (!store || !days_out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    *days_out = 0;
    s = kw_store_prepare(store, "SELECT value FROM preferences WHERE key = 'default_cadence_days'",
                         &st, error);
    if (s != KW_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *days_out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading preferences", error);
    if (*days_out < 0 || *days_out > MAX_USER_CADENCE_DAYS)
        *days_out = 0;
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_store_set_default_cadence(kw_store_t *store, int days, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (days < 0 || days > MAX_USER_CADENCE_DAYS) {
        kw_set_error(error, "a cadence is 1 to %d days (0 = the built-in %d)",
                     MAX_USER_CADENCE_DAYS, KW_DEFAULT_CADENCE_DAYS);
        return KW_ERR_USAGE;
    }
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store,
                         days ? "INSERT OR REPLACE INTO preferences(key, value) "
                                "VALUES ('default_cadence_days', ?1)"
                              : "DELETE FROM preferences WHERE key = 'default_cadence_days'",
                         &st, error);
    if (s == KW_OK) {
        if (days)
            sqlite3_bind_int(st, 1, days);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            s = kw_store_fail(store, rc, "saving preferences", error);
    }
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    return s;
}
