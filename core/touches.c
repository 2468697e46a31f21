/* SPDX-License-Identifier: GPL-3.0-or-later */
/* touches.c — touches outside mail: calls, meetings, visits the user logs
 * (kw_log_touch) or a calendar holds (ics_import.c), and their mirror in
 * the interactions (touches.h says how). Everything the model reads about
 * them comes through that mirror, so `overdue`, `show`, the day's list and
 * the plugin agree the moment a touch is written. */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "model.h"
#include "relationship.h"
#include "sanitize.h"
#include "store.h"
#include "touches.h"

static const char *const source_names[KW_SOURCE_LAST] = {
    [KW_SOURCE_MAIL] = "mail",
    [KW_SOURCE_CALL] = "call",
    [KW_SOURCE_MEETING] = "meeting",
    [KW_SOURCE_VISIT] = "visit",
    [KW_SOURCE_OTHER] = "other",
};

KW_PUBLIC const char *kw_source_to_string(kw_source_t source)
{
    if ((int) source < 0 || source >= KW_SOURCE_LAST)
        return "unknown";
    return source_names[source];
}

KW_PUBLIC kw_status_t kw_source_from_string(const char *name, kw_source_t *source_out)
{
    for (int i = 0; name && i < KW_SOURCE_LAST; i++) {
        if (g_ascii_strcasecmp(name, source_names[i]) == 0) {
            if (source_out)
                *source_out = (kw_source_t) i;
            return KW_OK;
        }
    }
    return KW_ERR_USAGE;
}

char *kw_touch_clean_note(const char *note, int *bad)
{
    char *clean;
    *bad = 0;
    if (!note)
        return NULL;
    if (!g_utf8_validate(note, -1, NULL)) {
        *bad = 1;
        return NULL;
    }
    /* one line: a note is shown in tables, timelines and the panel */
    clean = kw_sanitize_text(note, -1, KW_TOUCH_NOTE_MAX);
    if (!*clean) {
        g_free(clean);
        return NULL;
    }
    return clean;
}

/* Run one prepared statement to its end; SQLITE_DONE or the error code. */
static int step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc;
}

static kw_status_t mirror(kw_store_t *store, int64_t id, int64_t contact_id, int64_t time,
                          kw_source_t source, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "INSERT OR REPLACE INTO interactions(contact_id, date, message_id, direction,"
                         " flags, n_recipients, source) VALUES (?1, ?2, ?3, ?4, 0, 1, ?5)",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, contact_id);
    sqlite3_bind_int64(st, 2, time);
    sqlite3_bind_int64(st, 3, -id);
    sqlite3_bind_int(st, 4, KW_DIR_BOTH);
    sqlite3_bind_int(st, 5, (int) source);
    rc = step_once(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "recording a touch", error);
    kw_store_mark_contact(store, contact_id); /* the model's aggregates follow at commit */
    return KW_OK;
}

static kw_status_t unmirror(kw_store_t *store, int64_t id, int64_t contact_id, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store, "DELETE FROM interactions WHERE contact_id = ?1 AND message_id = ?2",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, contact_id);
    sqlite3_bind_int64(st, 2, -id);
    rc = step_once(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "removing a touch", error);
    kw_store_mark_contact(store, contact_id);
    return KW_OK;
}

kw_status_t kw_touch_insert(kw_store_t *store, int64_t contact_id, const char *target,
                            kw_source_t source, int64_t time, const char *note, int origin,
                            const char *uid, int64_t rid, int64_t created, int64_t *id_out,
                            char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int64_t id;
    int rc;

    s = kw_store_prepare(store,
                         "INSERT INTO touches(contact_id, target, source, time, note, origin, uid,"
                         " rid, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, contact_id);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int) source);
    sqlite3_bind_int64(st, 4, time);
    if (note)
        sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, origin);
    if (uid)
        sqlite3_bind_text(st, 7, uid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, rid);
    sqlite3_bind_int64(st, 9, created > 0 ? created : (int64_t) g_get_real_time() / G_USEC_PER_SEC);
    rc = step_once(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "recording a touch", error);
    id = sqlite3_last_insert_rowid(kw_store_db(store));
    if (id_out)
        *id_out = id;
    return mirror(store, id, contact_id, time, source, error);
}

/* The contact, time and source of a touch; KW_ERR_NOT_FOUND when none. */
static kw_status_t touch_row(kw_store_t *store, int64_t id, int64_t *contact_id, int64_t *time,
                             kw_source_t *source, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store, "SELECT contact_id, time, source FROM touches WHERE id = ?1", &st,
                         error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *contact_id = sqlite3_column_int64(st, 0);
        *time = sqlite3_column_int64(st, 1);
        *source = (kw_source_t) sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        kw_set_error(error, "no logged touch with id %" G_GINT64_FORMAT, id);
        return KW_ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading a touch", error);
    return KW_OK;
}

kw_status_t kw_touch_update(kw_store_t *store, int64_t id, int64_t time, const char *note,
                            char **error)
{
    sqlite3_stmt *st = NULL;
    int64_t contact_id, old_time;
    kw_source_t source;
    kw_status_t s;
    int rc;

    s = touch_row(store, id, &contact_id, &old_time, &source, error);
    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store, "UPDATE touches SET time = ?2, note = ?3 WHERE id = ?1", &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, time);
    if (note)
        sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
    rc = step_once(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "moving a touch", error);
    if (time == old_time)
        return KW_OK;
    /* the interaction's key holds the time: replace it */
    s = unmirror(store, id, contact_id, error);
    return s == KW_OK ? mirror(store, id, contact_id, time, source, error) : s;
}

kw_status_t kw_touch_delete(kw_store_t *store, int64_t id, char **error)
{
    sqlite3_stmt *st = NULL;
    int64_t contact_id, time;
    kw_source_t source;
    kw_status_t s;
    int rc;

    s = touch_row(store, id, &contact_id, &time, &source, error);
    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store, "DELETE FROM touches WHERE id = ?1", &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = step_once(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "removing a touch", error);
    return unmirror(store, id, contact_id, error);
}

kw_status_t kw_touches_mirror_all(kw_store_t *store, char **error)
{
    /* the aggregates were invalidated with the interactions they mirror */
    return kw_store_exec(store,
                         "INSERT OR REPLACE INTO interactions(contact_id, date, message_id, direction,"
                         " flags, n_recipients, source) "
                         "SELECT contact_id, time, -id, 3, 0, 1, source FROM touches",
                         error);
}

/* ------------------------------------------------------------------------ */
/* The public calls                                                          */
/* ------------------------------------------------------------------------ */

KW_PUBLIC kw_status_t kw_log_touch(kw_store_t *store, const char *target, kw_source_t source,
                                   int64_t time, const char *note, int64_t *id_out, char **error)
{
    kw_model_options_t mo = { .as_of = INT64_MAX };
    kw_model_t *model = NULL;
    char *clean = NULL, *key = NULL;
    int64_t contact_id = 0;
    kw_status_t s;
    int bad;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (source <= KW_SOURCE_MAIL || source >= KW_SOURCE_LAST) {
        kw_set_error(error, "a logged touch is a call, a meeting, a visit or other");
        return KW_ERR_USAGE;
    }
    if (time <= 0) {
        kw_set_error(error, "a logged touch needs its time");
        return KW_ERR_USAGE;
    }
    clean = kw_touch_clean_note(note, &bad);
    if (bad) {
        kw_set_error(error, "the note is not valid UTF-8");
        return KW_ERR_USAGE;
    }
    /* who it was with, by the model's rules (the one resolver) */
    s = kw_model_load(store, &mo, &model, error);
    if (s == KW_OK)
        s = kw_model_touch_person(model, target, &contact_id, &key, NULL, error);
    kw_model_free(model);
    if (s == KW_OK)
        s = kw_store_write_begin(store, error);
    if (s == KW_OK) {
        s = kw_touch_insert(store, contact_id, key, source, time, clean, KW_TOUCH_LOGGED, NULL, 0, 0,
                            id_out, error);
        if (s == KW_OK)
            s = kw_store_write_commit(store, error);
        if (s != KW_OK)
            kw_store_write_rollback(store);
    }
    g_free(key);
    g_free(clean);
    return s;
}

KW_PUBLIC void kw_logged_touch_free(kw_logged_touch_t *touch)
{
    if (!touch)
        return;
    g_free(touch->address);
    g_free(touch->target);
    g_free(touch->note);
    g_free(touch->calendar_uid);
    g_free(touch);
}

KW_PUBLIC void kw_logged_touch_list_free(kw_logged_touch_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        g_free(list->items[i].address);
        g_free(list->items[i].target);
        g_free(list->items[i].note);
        g_free(list->items[i].calendar_uid);
    }
    g_free(list->items);
    g_free(list);
}

/* What kw_unlog_touch() reports as removed (transfer full) or NULL. */
static kw_logged_touch_t *read_touch(kw_store_t *store, int64_t id)
{
    sqlite3_stmt *st = NULL;
    kw_logged_touch_t *t = NULL;

    if (kw_store_prepare(store,
                         "SELECT t.source, t.time, c.email, t.target, t.note, t.origin, t.uid "
                         "FROM touches t LEFT JOIN contacts c ON c.id = t.contact_id WHERE t.id = ?1",
                         &st, NULL) != KW_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        t = g_new0(kw_logged_touch_t, 1);
        t->id = id;
        t->source = (kw_source_t) sqlite3_column_int(st, 0);
        t->time = sqlite3_column_int64(st, 1);
        t->address = g_strdup((const char *) sqlite3_column_text(st, 2));
        t->target = g_strdup((const char *) sqlite3_column_text(st, 3));
        t->note = g_strdup((const char *) sqlite3_column_text(st, 4));
        t->from_calendar = sqlite3_column_int(st, 5) == KW_TOUCH_CALENDAR;
        t->calendar_uid = g_strdup((const char *) sqlite3_column_text(st, 6));
    }
    sqlite3_finalize(st);
    return t;
}

KW_PUBLIC kw_status_t kw_unlog_touch(kw_store_t *store, int64_t id, kw_logged_touch_t **removed,
                                     char **error)
{
    kw_logged_touch_t *t;
    kw_status_t s;

    if (removed)
        *removed = NULL;
    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    t = read_touch(store, id);
    s = kw_touch_delete(store, id, error);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK) {
        kw_store_write_rollback(store);
        kw_logged_touch_free(t);
        return s;
    }
    if (removed)
        *removed = t;
    else
        kw_logged_touch_free(t);
    return KW_OK;
}
