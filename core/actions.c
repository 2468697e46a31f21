/* SPDX-License-Identifier: GPL-3.0-or-later */
/* actions.c — the user's decisions per target (table settings): snooze,
 * ignore, cadence, note, name, "no answer needed", tier; the action log that makes
 * each of them undoable; and the store-wide options (table preferences).
 * Kept across syncs (a sync never touches them).
 *
 * A target is whatever the model's one resolver accepts (kw_model_resolve):
 * an address the store knows, or an organisation domain some known address
 * belongs to. Its settings key is the normalised address or the
 * organisation key ("sub.acme.co.uk" -> "acme.co.uk"), which is what the
 * model looks up. Every write is one BEGIN IMMEDIATE transaction that also
 * appends to action_log what the setting was before and after; a row that
 * returns to all defaults is deleted. Undo writes the value before back,
 * only while the setting still has the value after (a later change wins).
 */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "model.h"
#include "sanitize.h"
#include "store.h"

/* One column of the settings table per kind of action: its SQL name, and
 * whether it holds text (note, name) or a number. */
static const struct {
    const char *column;
    int         text;
} columns[KW_ACTION_LAST] = {
    [KW_ACTION_SNOOZE] = { "snoozed_until", 0 },
    [KW_ACTION_IGNORE] = { "ignored", 0 },
    [KW_ACTION_CADENCE] = { "cadence_days", 0 },
    [KW_ACTION_NOTE] = { "note", 1 },
    [KW_ACTION_NAME] = { "display_name", 1 },
    [KW_ACTION_SETTLE] = { "settled_until", 0 },
    [KW_ACTION_TIER] = { "tier", 0 },
};

KW_PUBLIC const char *kw_action_kind_to_string(kw_action_kind_t kind)
{
    static const char *const names[KW_ACTION_LAST] = {
        [KW_ACTION_SNOOZE] = "snooze", [KW_ACTION_IGNORE] = "ignore",
        [KW_ACTION_CADENCE] = "cadence", [KW_ACTION_NOTE] = "note",
        [KW_ACTION_NAME] = "name", [KW_ACTION_SETTLE] = "settle",
        [KW_ACTION_TIER] = "tier",
    };
    if ((int) kind < 0 || kind >= KW_ACTION_LAST)
        return "unknown";
    return names[kind];
}

static kw_status_t step_done(kw_store_t *store, sqlite3_stmt *st, const char *what, char **error)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, what, error);
    return KW_OK;
}

/* The current value of one setting of `key` (0 / NULL when it has no row).
 * *text: (transfer full, g_free). */
static kw_status_t read_setting(kw_store_t *store, const char *key, kw_action_kind_t kind,
                                int64_t *value, char **text, char **error)
{
    sqlite3_stmt *st = NULL;
    char *sql = g_strdup_printf("SELECT %s FROM settings WHERE target = ?1", columns[kind].column);
    kw_status_t s = kw_store_prepare(store, sql, &st, error);
    int rc;

    g_free(sql);
    *value = 0;
    *text = NULL;
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int64(st, 0);
        if (columns[kind].text && sqlite3_column_text(st, 0))
            *text = g_strdup((const char *) sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading the setting", error);
    return KW_OK;
}

/* Inside a write transaction: give one setting of `key` a value; a row
 * back at all defaults is removed. */
static kw_status_t apply_setting(kw_store_t *store, const char *key, kw_action_kind_t kind,
                                 int64_t value, const char *text, char **error)
{
    sqlite3_stmt *st = NULL;
    const char *col = columns[kind].column;
    char *sql = g_strdup_printf("INSERT INTO settings(target, %s, updated) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT(target) DO UPDATE SET %s = excluded.%s, "
                                "updated = excluded.updated", col, col, col);
    kw_status_t s = kw_store_prepare(store, sql, &st, error);

    g_free(sql);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (columns[kind].text) {
        if (text && *text)
            sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
    } else {
        sqlite3_bind_int64(st, 2, value);
    }
    sqlite3_bind_int64(st, 3, (int64_t) time(NULL));
    if ((s = step_done(store, st, "saving the setting", error)) != KW_OK)
        return s;
    /* A row back at all defaults says nothing: remove it. */
    s = kw_store_prepare(store,
                         "DELETE FROM settings WHERE target = ?1 AND snoozed_until = 0 "
                         "AND ignored = 0 AND cadence_days = 0 AND note IS NULL "
                         "AND display_name IS NULL AND settled_until = 0 AND tier = 0",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((s = step_done(store, st, "saving the setting", error)) != KW_OK)
        return s;
    /* Ignoring a person changes their organisation's roll-up: have its
     * aggregate recomputed (readers notice the change without this, but
     * would compute that organisation from its mail every time). */
    if (kind == KW_ACTION_IGNORE && strchr(key, '@')) {
        s = kw_store_prepare(store,
                             "INSERT OR IGNORE INTO agg_dirty(contact_id) "
                             "SELECT id FROM contacts WHERE email = ?1",
                             &st, error);
        if (s != KW_OK)
            return s;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        s = step_done(store, st, "saving the setting", error);
    }
    return s;
}

static kw_status_t write_setting(kw_store_t *store, const char *target, kw_action_kind_t kind,
                                 int64_t value, const char *text, char **error)
{
    sqlite3_stmt *st = NULL;
    char *key = NULL, *before_text = NULL;
    int64_t before = 0;
    kw_status_t s;
    int began = 0;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    s = kw_model_resolve_key(store, target, &key, NULL, error);
    if (s != KW_OK)
        return s;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        goto done;
    began = 1;
    if ((s = read_setting(store, key, kind, &before, &before_text, error)) != KW_OK ||
        (s = apply_setting(store, key, kind, value, text, error)) != KW_OK)
        goto done;
    /* what it was, for kw_action_undo() */
    s = kw_store_prepare(store,
                         "INSERT INTO action_log(time, target, kind, before_value, before_text, "
                         "after_value, after_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         &st, error);
    if (s != KW_OK)
        goto done;
    sqlite3_bind_int64(st, 1, (int64_t) time(NULL));
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int) kind);
    sqlite3_bind_int64(st, 4, columns[kind].text ? 0 : before);
    if (before_text)
        sqlite3_bind_text(st, 5, before_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, columns[kind].text ? 0 : value);
    if (columns[kind].text && text && *text)
        sqlite3_bind_text(st, 7, text, -1, SQLITE_STATIC);
    if ((s = step_done(store, st, "recording the action", error)) != KW_OK)
        goto done;
    s = kw_store_write_commit(store, error);
    began = s != KW_OK;
    if (s == KW_OK)
        store->last_action = sqlite3_last_insert_rowid(kw_store_db(store));
done:
    if (began)
        kw_store_write_rollback(store);
    g_free(before_text);
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
    return write_setting(store, target, KW_ACTION_SNOOZE, until, NULL, error);
}

KW_PUBLIC kw_status_t kw_unsnooze(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, KW_ACTION_SNOOZE, 0, NULL, error);
}

KW_PUBLIC kw_status_t kw_ignore(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, KW_ACTION_IGNORE, 1, NULL, error);
}

KW_PUBLIC kw_status_t kw_unignore(kw_store_t *store, const char *target, char **error)
{
    return write_setting(store, target, KW_ACTION_IGNORE, 0, NULL, error);
}

KW_PUBLIC kw_status_t kw_settle(kw_store_t *store, const char *target, int64_t until, char **error)
{
    if (until < 0) {
        kw_set_error(error, "settle needs a time (0 takes it back)");
        return KW_ERR_USAGE;
    }
    return write_setting(store, target, KW_ACTION_SETTLE, until, NULL, error);
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
    return write_setting(store, target, KW_ACTION_CADENCE, days, NULL, error);
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
    s = write_setting(store, target, KW_ACTION_NOTE, 0, clean, error);
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
    s = write_setting(store, target, KW_ACTION_NAME, 0, clean && *clean ? clean : NULL, error);
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
    return write_setting(store, target, KW_ACTION_TIER, (int64_t) tier, NULL, error);
}

/* ------------------------------------------------------------------------ */
/* Undo                                                                      */
/* ------------------------------------------------------------------------ */

KW_PUBLIC int64_t kw_store_last_action(kw_store_t *store)
{
    return store ? store->last_action : 0;
}

#define ACTION_COLUMNS "id, time, target, kind, before_value, before_text, after_value, " \
                       "after_text, undone FROM action_log"

static void action_from_row(sqlite3_stmt *st, kw_action_t *a)
{
    const char *t;
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    a->time = sqlite3_column_int64(st, 1);
    a->target = g_strdup((const char *) sqlite3_column_text(st, 2));
    a->kind = (kw_action_kind_t) sqlite3_column_int(st, 3);
    a->before = sqlite3_column_int64(st, 4);
    t = (const char *) sqlite3_column_text(st, 5);
    a->before_text = t ? g_strdup(t) : NULL;
    a->after = sqlite3_column_int64(st, 6);
    t = (const char *) sqlite3_column_text(st, 7);
    a->after_text = t ? g_strdup(t) : NULL;
    a->undone = sqlite3_column_int64(st, 8);
}

static void action_clear(kw_action_t *a)
{
    g_free(a->target);
    g_free(a->before_text);
    g_free(a->after_text);
}

KW_PUBLIC void kw_action_free(kw_action_t *action)
{
    if (!action)
        return;
    action_clear(action);
    g_free(action);
}

KW_PUBLIC void kw_action_list_free(kw_action_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        action_clear(&list->items[i]);
    g_free(list->items);
    g_free(list);
}

KW_PUBLIC kw_status_t kw_actions_list(kw_store_t *store, int limit, kw_action_list_t **out,
                                      char **error)
{
    sqlite3_stmt *st = NULL;
    GArray *items;
    kw_status_t s;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "kw_actions_list: a store is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = kw_store_prepare(store, "SELECT " ACTION_COLUMNS " ORDER BY id DESC LIMIT ?1", &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int(st, 1, limit > 0 ? limit : 20);
    items = g_array_new(FALSE, TRUE, sizeof(kw_action_t));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kw_action_t a;
        action_from_row(st, &a);
        if ((int) a.kind < 0 || a.kind >= KW_ACTION_LAST) { /* written by a newer keepwarm */
            action_clear(&a);
            continue;
        }
        g_array_append_val(items, a);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (guint i = 0; i < items->len; i++)
            action_clear(&g_array_index(items, kw_action_t, i));
        g_array_free(items, TRUE);
        return kw_store_fail(store, rc, "reading the action log", error);
    }
    *out = g_new0(kw_action_list_t, 1);
    (*out)->count = items->len;
    (*out)->items = (kw_action_t *) (void *) g_array_free(items, FALSE);
    return KW_OK;
}

/* Inside the write transaction: the action to undo (id 0: the newest not
 * undone). KW_ERR_NOT_FOUND when there is none. */
static kw_status_t find_action(kw_store_t *store, int64_t id, kw_action_t *a, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         id ? "SELECT " ACTION_COLUMNS " WHERE id = ?1"
                            : "SELECT " ACTION_COLUMNS " WHERE undone = 0 ORDER BY id DESC LIMIT 1",
                         &st, error);
    if (s != KW_OK)
        return s;
    if (id)
        sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        action_from_row(st, a);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        if (id)
            kw_set_error(error, "no action #%" G_GINT64_FORMAT " in the action log", id);
        else
            kw_set_error(error, "nothing to undo");
        return KW_ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading the action log", error);
    if ((int) a->kind < 0 || a->kind >= KW_ACTION_LAST) {
        kw_set_error(error, "action #%" G_GINT64_FORMAT " was made by a newer keepwarm", a->id);
        action_clear(a);
        return KW_ERR_USAGE;
    }
    return KW_OK;
}

/* The newest action after `a` on the same setting, for "changed since". */
static int64_t later_action(kw_store_t *store, const kw_action_t *a)
{
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    if (kw_store_prepare(store,
                         "SELECT max(id) FROM action_log WHERE target = ?1 AND kind = ?2 "
                         "AND id > ?3 AND undone = 0",
                         &st, NULL) != KW_OK)
        return 0;
    sqlite3_bind_text(st, 1, a->target, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int) a->kind);
    sqlite3_bind_int64(st, 3, a->id);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

KW_PUBLIC kw_status_t kw_action_undo(kw_store_t *store, int64_t id, kw_action_t **undone_out,
                                     char **error)
{
    sqlite3_stmt *st = NULL;
    kw_action_t a;
    int64_t current = 0;
    char *current_text = NULL;
    kw_status_t s;
    int began = 0, same;

    memset(&a, 0, sizeof a);
    if (undone_out)
        *undone_out = NULL;
    if (!store || id < 0) {
        kw_set_error(error, "kw_action_undo: a store and an action id (or 0) are required");
        return KW_ERR_USAGE;
    }
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    began = 1;
    if ((s = find_action(store, id, &a, error)) != KW_OK)
        goto done;
    if (a.undone) {
        kw_set_error(error, "action #%" G_GINT64_FORMAT " (%s %s) was already undone", a.id,
                     kw_action_kind_to_string(a.kind), a.target);
        s = KW_ERR_USAGE;
        goto done;
    }
    if ((s = read_setting(store, a.target, a.kind, &current, &current_text, error)) != KW_OK)
        goto done;
    same = columns[a.kind].text ? g_strcmp0(current_text, a.after_text) == 0 : current == a.after;
    if (!same) {
        int64_t later = later_action(store, &a);
        if (later)
            kw_set_error(error, "the %s of %s was changed again since (action #%" G_GINT64_FORMAT
                         "): undo that first", kw_action_kind_to_string(a.kind), a.target, later);
        else
            kw_set_error(error, "the %s of %s was changed again since: not undone",
                         kw_action_kind_to_string(a.kind), a.target);
        s = KW_ERR_USAGE;
        goto done;
    }
    if ((s = apply_setting(store, a.target, a.kind, a.before, a.before_text, error)) != KW_OK)
        goto done;
    s = kw_store_prepare(store, "UPDATE action_log SET undone = ?1 WHERE id = ?2", &st, error);
    if (s != KW_OK)
        goto done;
    sqlite3_bind_int64(st, 1, (int64_t) time(NULL));
    sqlite3_bind_int64(st, 2, a.id);
    if ((s = step_done(store, st, "recording the undo", error)) != KW_OK)
        goto done;
    s = kw_store_write_commit(store, error);
    began = s != KW_OK;
done:
    if (began)
        kw_store_write_rollback(store);
    g_free(current_text);
    if (s == KW_OK && undone_out) {
        *undone_out = g_new(kw_action_t, 1);
        **undone_out = a;
    } else {
        action_clear(&a);
    }
    return s;
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
