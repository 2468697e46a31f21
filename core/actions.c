/* actions.c — the user's decisions per target (table settings): snooze,
 * ignore, cadence, note. Kept across syncs (a sync never touches settings).
 *
 * A target is an address the store knows, or an organisation domain some
 * known address belongs to. Addresses are normalised (lower-case, IDN
 * decoded); domains become their organisation key ("sub.acme.co.uk" ->
 * "acme.co.uk"), which is what the model looks up. Free-mail domains are not
 * organisations: their people are targets by address. Every write is one
 * BEGIN IMMEDIATE transaction; a row that returns to all defaults is deleted.
 */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "classify.h"
#include "sanitize.h"
#include "store.h"

/* Resolve `target` to its settings key (transfer full, g_free). */
static kw_status_t resolve_target(kw_store_t *store, const char *target, char **key_out,
                                  char **error)
{
    sqlite3_stmt *st = NULL;
    char *t = NULL, *key = NULL;
    kw_status_t s = KW_OK;
    int rc;

    *key_out = NULL;
    if (!store || !target) {
        kw_set_error(error, "no target given (an address or an organisation domain)");
        return KW_ERR_USAGE;
    }
    t = g_strstrip(g_strdup(target));
    if (g_str_has_prefix(t, "mailto:"))
        memmove(t, t + 7, strlen(t + 7) + 1);
    if (t[0] == '<' && t[1] && t[strlen(t) - 1] == '>') {
        t[strlen(t) - 1] = '\0';
        memmove(t, t + 1, strlen(t));
    }
    if (!*t) {
        kw_set_error(error, "no target given (an address or an organisation domain)");
        s = KW_ERR_USAGE;
        goto done;
    }

    if (strchr(t, '@')) {
        key = kw_normalize_email(t, -1);
        if (!key) {
            kw_set_error(error, "'%s' is not an e-mail address", t);
            s = KW_ERR_USAGE;
            goto done;
        }
        s = kw_store_prepare(store, "SELECT 1 FROM contacts WHERE email = ?1", &st, error);
        if (s != KW_OK)
            goto done;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            kw_set_error(error, "unknown target %s: no mail with this address in the store", key);
            s = KW_ERR_NOT_FOUND;
        } else if (rc != SQLITE_ROW) {
            s = kw_store_fail(store, rc, "looking up the target", error);
        }
        goto done;
    }

    key = kw_org_for_address(t);
    if (!key || !strchr(key, '.')) {
        kw_set_error(error, "'%s' is neither an e-mail address nor a domain", t);
        s = KW_ERR_USAGE;
        goto done;
    }
    if (kw_is_freemail_domain(key)) {
        kw_set_error(error, "%s is a free-mail provider, not an organisation: "
                            "give the person's address instead", key);
        s = KW_ERR_NOT_FOUND;
        goto done;
    }
    /* Some known address whose domain is the organisation or below it. */
    s = kw_store_prepare(store,
                         "SELECT domain FROM contacts WHERE domain = ?1 "
                         "OR domain LIKE '%.' || ?1",
                         &st, error);
    if (s != KW_OK)
        goto done;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    s = KW_ERR_NOT_FOUND;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *d = (const char *) sqlite3_column_text(st, 0);
        char *reg = d ? kw_registrable_domain(d) : NULL;
        int same = reg && strcmp(reg, key) == 0;
        g_free(reg);
        if (same) {
            s = KW_OK;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = kw_store_fail(store, rc, "looking up the target", error);
    else if (s == KW_ERR_NOT_FOUND)
        kw_set_error(error, "unknown target %s: no mail with anyone at this domain in the store",
                     key);
done:
    sqlite3_finalize(st);
    g_free(t);
    if (s == KW_OK)
        *key_out = key;
    else
        g_free(key);
    return s;
}

typedef enum { SET_SNOOZE, SET_IGNORE, SET_CADENCE, SET_NOTE } setting_kind_t;

static kw_status_t write_setting(kw_store_t *store, const char *target, setting_kind_t kind,
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
    };
    sqlite3_stmt *st = NULL;
    char *key = NULL;
    kw_status_t s;
    int rc, began = 0;

    s = resolve_target(store, target, &key, error);
    if (s != KW_OK)
        return s;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        goto done;
    began = 1;
    s = kw_store_prepare(store, upsert[kind], &st, error);
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
                         "AND ignored = 0 AND cadence_days = 0 AND note IS NULL",
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
