/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_local.c — the local side of team sharing (SQLite only, no libpq):
 * staging what is shared into the outbox, the bookkeeping of pushes and
 * pulls, the pulled records and the status. Tables: store_schema.h.
 *
 * The outbox holds (kind, key) of every record that changed since the last
 * successful push, with a sequence number; the data to send is team_shared's
 * row, a missing row meaning "delete it on the server". A change staged while
 * a push runs gets a higher sequence number and stays for the next push. */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "team.h"
#include "team_schema.h"

KW_PUBLIC int kw_team_schema_version(void)
{
    return KW_TEAM_SCHEMA_VERSION;
}

static const char *const kind_names[] = { "org", "person", "touch" };

KW_PUBLIC const char *kw_team_record_kind_to_string(kw_team_record_kind_t kind)
{
    if ((int)kind < 0 || (size_t)kind >= G_N_ELEMENTS(kind_names))
        return "unknown";
    return kind_names[kind];
}

int kw_team_record_kind_from_string(const char *s)
{
    for (size_t i = 0; s && i < G_N_ELEMENTS(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (int)i;
    return -1;
}

void kw_team_record_clear(kw_team_record_t *r)
{
    if (!r)
        return;
    g_free(r->member);
    g_free(r->member_name);
    g_free(r->key);
    g_free(r->org);
    g_free(r->person);
    g_free(r->name);
    g_free(r->touch_kind);
    memset(r, 0, sizeof *r);
}

KW_PUBLIC void kw_team_record_list_free(kw_team_record_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        kw_team_record_clear(&list->items[i]);
    g_free(list->items);
    g_free(list);
}

static kw_team_record_list_t *list_from_array(GArray *a)
{
    kw_team_record_list_t *list = g_new0(kw_team_record_list_t, 1);
    g_array_set_clear_func(a, NULL);
    list->count = a->len;
    list->items = (kw_team_record_t *)(void *)g_array_free(a, FALSE);
    return list;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static const char *state_text(const kw_team_record_t *r)
{
    return r->kind == KW_TEAM_RECORD_TOUCH ? NULL : kw_state_to_string(r->state);
}

static kw_state_t state_value(const char *s)
{
    kw_state_t v = KW_STATE_OK;
    if (s)
        kw_state_from_string(s, &v);
    return v;
}

/* The record columns, in this order, in team_shared and team_records
 * (RECORD_COLUMNS_OF("s.") qualifies them). */
#define RECORD_COLUMNS_OF(p) p "kind, " p "key, " p "org, " p "person, " p "name, " \
    p "last_inbound, " p "last_outbound, " p "last_exchange, " p "exchanges, " \
    p "cadence_days, " p "state, " p "touch_kind, " p "touch_time"
#define RECORD_COLUMNS RECORD_COLUMNS_OF("")

/* Read RECORD_COLUMNS starting at column `at` into *r. */
static void record_from_row(sqlite3_stmt *st, int at, kw_team_record_t *r)
{
    int kind = kw_team_record_kind_from_string(col_text(st, at));
    r->kind = kind < 0 ? KW_TEAM_RECORD_ORG : (kw_team_record_kind_t)kind;
    r->key = g_strdup(col_text(st, at + 1));
    r->org = g_strdup(col_text(st, at + 2));
    r->person = g_strdup(col_text(st, at + 3));
    r->name = g_strdup(col_text(st, at + 4));
    r->last_inbound = sqlite3_column_int64(st, at + 5);
    r->last_outbound = sqlite3_column_int64(st, at + 6);
    r->last_exchange = sqlite3_column_int64(st, at + 7);
    r->exchanges = sqlite3_column_int(st, at + 8);
    r->cadence_days = sqlite3_column_int(st, at + 9);
    r->state = state_value(col_text(st, at + 10));
    r->touch_kind = g_strdup(col_text(st, at + 11));
    r->touch_time = sqlite3_column_int64(st, at + 12);
}

/* Bind RECORD_COLUMNS as parameters 1..13. */
static void record_bind(sqlite3_stmt *st, const kw_team_record_t *r)
{
    sqlite3_bind_text(st, 1, kw_team_record_kind_to_string(r->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->person, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, r->last_inbound);
    sqlite3_bind_int64(st, 7, r->last_outbound);
    sqlite3_bind_int64(st, 8, r->last_exchange);
    sqlite3_bind_int(st, 9, r->exchanges);
    sqlite3_bind_int(st, 10, r->cadence_days);
    sqlite3_bind_text(st, 11, state_text(r), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, r->touch_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, r->touch_time);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_record(const kw_team_record_t *a, const kw_team_record_t *b)
{
    return a->kind == b->kind && same_text(a->key, b->key) && same_text(a->org, b->org) &&
           same_text(a->person, b->person) && same_text(a->name, b->name) &&
           a->last_inbound == b->last_inbound && a->last_outbound == b->last_outbound &&
           a->last_exchange == b->last_exchange && a->exchanges == b->exchanges &&
           a->cadence_days == b->cadence_days && same_text(state_text(a), state_text(b)) &&
           same_text(a->touch_kind, b->touch_kind) && a->touch_time == b->touch_time;
}

static char *record_id(kw_team_record_kind_t kind, const char *key)
{
    return g_strdup_printf("%s\x1f%s", kw_team_record_kind_to_string(kind), key);
}

/* Run a prepared statement to completion and reset it. */
static kw_status_t step_done(kw_store_t *store, sqlite3_stmt *st, const char *what, char **error)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return kw_store_fail(store, rc, what, error);
    return KW_OK;
}

/* ------------------------------------------------------------------------ */
/* Staging                                                                   */
/* ------------------------------------------------------------------------ */

static void record_free_cb(gpointer p)
{
    kw_team_record_clear(p);
    g_free(p);
}

kw_status_t kw_team_stage_records(kw_store_t *store, const kw_team_record_t *records, size_t n,
                                  int64_t now, int64_t *changes_out, char **error)
{
    GHashTable *old = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, record_free_cb);
    sqlite3_stmt *sel = NULL, *put = NULL, *del = NULL, *queue = NULL, *stamp = NULL;
    int64_t changes = 0;
    kw_status_t st;
    int rc;

    if (changes_out)
        *changes_out = 0;
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto out;
    if ((st = kw_store_prepare(store, "SELECT " RECORD_COLUMNS " FROM team_shared", &sel, error)) ||
        (st = kw_store_prepare(store, "INSERT OR REPLACE INTO team_shared (" RECORD_COLUMNS ")"
                                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                               &put, error)) ||
        (st = kw_store_prepare(store, "DELETE FROM team_shared WHERE kind = ?1 AND key = ?2", &del,
                               error)) ||
        (st = kw_store_prepare(store, "INSERT OR REPLACE INTO team_outbox (kind, key) VALUES (?1, ?2)",
                               &queue, error)) ||
        (st = kw_store_prepare(store, "UPDATE team_state SET last_stage = ?1", &stamp, error)))
        goto fail;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        kw_team_record_t *r = g_new0(kw_team_record_t, 1);
        record_from_row(sel, 0, r);
        g_hash_table_replace(old, record_id(r->kind, r->key), r);
    }
    if (rc != SQLITE_DONE) {
        st = kw_store_fail(store, rc, "reading the shared records", error);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const kw_team_record_t *r = &records[i];
        char *id = record_id(r->kind, r->key);
        kw_team_record_t *prev = g_hash_table_lookup(old, id);
        int changed = !prev || !same_record(prev, r);
        g_hash_table_remove(old, id);
        g_free(id);
        if (!changed)
            continue;
        record_bind(put, r);
        if ((st = step_done(store, put, "staging a shared record", error)) != KW_OK)
            goto fail;
        sqlite3_bind_text(queue, 1, kw_team_record_kind_to_string(r->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(queue, 2, r->key, -1, SQLITE_STATIC);
        if ((st = step_done(store, queue, "queueing a change", error)) != KW_OK)
            goto fail;
        changes++;
    }
    /* What is no longer shared: delete it on the server. */
    {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, old);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            const kw_team_record_t *r = v;
            const char *kind = kw_team_record_kind_to_string(r->kind);
            sqlite3_bind_text(del, 1, kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(del, 2, r->key, -1, SQLITE_STATIC);
            if ((st = step_done(store, del, "unsharing a record", error)) != KW_OK)
                goto fail;
            sqlite3_bind_text(queue, 1, kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(queue, 2, r->key, -1, SQLITE_STATIC);
            if ((st = step_done(store, queue, "queueing a deletion", error)) != KW_OK)
                goto fail;
            changes++;
        }
    }
    sqlite3_bind_int64(stamp, 1, now);
    if ((st = step_done(store, stamp, "recording the staging", error)) != KW_OK)
        goto fail;
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    sqlite3_finalize(queue);
    sqlite3_finalize(stamp);
    sel = put = del = queue = stamp = NULL;
    st = kw_store_write_commit(store, error);
    if (st != KW_OK)
        goto fail;
    if (changes_out)
        *changes_out = changes;
    goto out;
fail:
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    sqlite3_finalize(queue);
    sqlite3_finalize(stamp);
    kw_store_write_rollback(store);
out:
    g_hash_table_destroy(old);
    return st;
}

KW_PUBLIC kw_status_t kw_team_stage(kw_store_t *store, int share, int64_t as_of,
                                    int64_t *changes_out, char **error)
{
    GArray *recs = NULL;
    kw_status_t st;

    if (!store || as_of <= 0) {
        kw_set_error(error, "kw_team_stage: a store and as_of are required");
        return KW_ERR_USAGE;
    }
    if (share) {
        st = kw_team_export(store, as_of, &recs, error);
        if (st != KW_OK)
            return st;
    }
    st = kw_team_stage_records(store, recs ? (kw_team_record_t *)(void *)recs->data : NULL,
                               recs ? recs->len : 0, as_of, changes_out, error);
    if (recs)
        g_array_free(recs, TRUE);
    return st;
}

KW_PUBLIC kw_status_t kw_team_shared_records(kw_store_t *store, int64_t as_of,
                                             kw_team_record_list_t **out, char **error)
{
    GArray *recs = NULL;
    kw_status_t st;

    if (!store || !out || as_of <= 0) {
        kw_set_error(error, "kw_team_shared_records: a store, out and as_of are required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    st = kw_team_export(store, as_of, &recs, error);
    if (st == KW_OK)
        *out = list_from_array(recs);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Push bookkeeping                                                          */
/* ------------------------------------------------------------------------ */

void kw_team_changes_free(GArray *changes)
{
    if (!changes)
        return;
    for (guint i = 0; i < changes->len; i++)
        kw_team_record_clear(&g_array_index(changes, kw_team_change_t, i).record);
    g_array_free(changes, TRUE);
}

kw_status_t kw_team_outbox_read(kw_store_t *store, GArray **changes_out, int64_t *max_seq_out,
                                char **error)
{
    sqlite3_stmt *st = NULL;
    GArray *changes;
    kw_status_t s;
    int64_t max_seq = 0;
    int rc;

    *changes_out = NULL;
    *max_seq_out = 0;
    s = kw_store_prepare(store,
                         "SELECT o.seq, o.kind, o.key, s.kind IS NULL, " RECORD_COLUMNS_OF("s.")
                         " FROM team_outbox o LEFT JOIN team_shared s"
                         " ON s.kind = o.kind AND s.key = o.key ORDER BY o.seq",
                         &st, error);
    if (s != KW_OK)
        return s;
    changes = g_array_new(FALSE, TRUE, sizeof(kw_team_change_t));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kw_team_change_t c;
        memset(&c, 0, sizeof c);
        max_seq = sqlite3_column_int64(st, 0);
        c.deleted = sqlite3_column_int(st, 3);
        if (c.deleted) {
            int kind = kw_team_record_kind_from_string(col_text(st, 1));
            c.record.kind = kind < 0 ? KW_TEAM_RECORD_ORG : (kw_team_record_kind_t)kind;
            c.record.key = g_strdup(col_text(st, 2));
        } else {
            record_from_row(st, 4, &c.record);
        }
        g_array_append_val(changes, c);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        kw_team_changes_free(changes);
        return kw_store_fail(store, rc, "reading the team outbox", error);
    }
    *changes_out = changes;
    *max_seq_out = max_seq;
    return KW_OK;
}

kw_status_t kw_team_shared_keys(kw_store_t *store, GPtrArray **kinds_out, GPtrArray **keys_out,
                                char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    *kinds_out = *keys_out = NULL;
    s = kw_store_prepare(store, "SELECT kind, key FROM team_shared", &st, error);
    if (s != KW_OK)
        return s;
    *kinds_out = g_ptr_array_new_with_free_func(g_free);
    *keys_out = g_ptr_array_new_with_free_func(g_free);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        g_ptr_array_add(*kinds_out, g_strdup(col_text(st, 0)));
        g_ptr_array_add(*keys_out, g_strdup(col_text(st, 1)));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_ptr_array_free(*kinds_out, TRUE);
        g_ptr_array_free(*keys_out, TRUE);
        *kinds_out = *keys_out = NULL;
        return kw_store_fail(store, rc, "reading the shared records", error);
    }
    return KW_OK;
}

int64_t kw_team_pending(kw_store_t *store)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (kw_store_prepare(store, "SELECT count(*) FROM team_outbox", &st, NULL) != KW_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

kw_status_t kw_team_bind_server(kw_store_t *store, const char *team_id, const char *member,
                                const char *display, int *full_push_out, char **pull_xmin_out,
                                char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc, same = 0;

    *full_push_out = 1;
    *pull_xmin_out = NULL;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store, "SELECT team_id, member, full_push, pull_xmin FROM team_state", &st,
                         error);
    if (s != KW_OK)
        goto fail;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        same = same_text(col_text(st, 0), team_id) && same_text(col_text(st, 1), member);
        if (same) {
            *full_push_out = sqlite3_column_int(st, 2);
            *pull_xmin_out = g_strdup(col_text(st, 3));
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_ROW) {
        s = kw_store_fail(store, rc, "reading the team state", error);
        goto fail;
    }
    if (!same) {
        /* Another team (or another member): what was pulled belongs to the
         * old one, and the new server has none of our rows yet. */
        s = kw_store_exec(store,
                          "DELETE FROM team_records; DELETE FROM team_members;"
                          "INSERT OR REPLACE INTO team_outbox (kind, key)"
                          "  SELECT kind, key FROM team_shared ORDER BY kind, key;"
                          "UPDATE team_state SET full_push = 1, pull_xmin = '', last_push = 0,"
                          "  last_pull = 0",
                          error);
        if (s != KW_OK)
            goto fail;
        g_free(*pull_xmin_out);
        *pull_xmin_out = g_strdup("");
        *full_push_out = 1;
    }
    s = kw_store_prepare(store, "UPDATE team_state SET team_id = ?1, member = ?2, server = ?3", &st,
                         error);
    if (s != KW_OK)
        goto fail;
    sqlite3_bind_text(st, 1, team_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, display, -1, SQLITE_STATIC);
    s = step_done(store, st, "recording the team server", error);
    sqlite3_finalize(st);
    if (s != KW_OK)
        goto fail;
    s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        goto fail;
    return KW_OK;
fail:
    kw_store_write_rollback(store);
    g_free(*pull_xmin_out);
    *pull_xmin_out = NULL;
    return s;
}

kw_status_t kw_team_push_done(kw_store_t *store, int64_t max_seq, int64_t now, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s = kw_store_write_begin(store, error);

    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store, "DELETE FROM team_outbox WHERE seq <= ?1", &st, error);
    if (s != KW_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, max_seq);
    s = step_done(store, st, "emptying the team outbox", error);
    sqlite3_finalize(st);
    if (s != KW_OK)
        goto fail;
    s = kw_store_prepare(store,
                         "UPDATE team_state SET last_push = ?1, full_push = 0,"
                         " last_error = NULL, last_error_time = 0",
                         &st, error);
    if (s != KW_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, now);
    s = step_done(store, st, "recording the push", error);
    sqlite3_finalize(st);
    if (s != KW_OK)
        goto fail;
    return kw_store_write_commit(store, error);
fail:
    kw_store_write_rollback(store);
    return s;
}

void kw_team_note_failure(kw_store_t *store, const char *message, int64_t now)
{
    sqlite3_stmt *st = NULL;

    if (!store || kw_store_write_begin(store, NULL) != KW_OK)
        return;
    if (kw_store_prepare(store, "UPDATE team_state SET last_error = ?1, last_error_time = ?2", &st,
                         NULL) == KW_OK) {
        sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        if (step_done(store, st, "recording a team error", NULL) == KW_OK) {
            sqlite3_finalize(st);
            if (kw_store_write_commit(store, NULL) == KW_OK)
                return;
            st = NULL;
        }
    }
    sqlite3_finalize(st);
    kw_store_write_rollback(store);
}

/* ------------------------------------------------------------------------ */
/* Pull                                                                      */
/* ------------------------------------------------------------------------ */

/* The indexes of team_records, as in store_schema.h (version 5). */
#define RECORD_INDEXES                                                                  \
    "CREATE INDEX team_records_org ON team_records (org, kind, key);"                   \
    "CREATE INDEX team_records_org_time ON team_records"                                \
    "  (org, max(last_exchange, touch_time), member, kind, person, touch_kind);"        \
    "CREATE INDEX team_records_person_time ON team_records"                             \
    "  (person, max(last_exchange, touch_time), member, kind, touch_kind)"

struct kw_team_pull_tx {
    kw_store_t   *store;
    int           full;
    sqlite3_stmt *row;
    sqlite3_stmt *tomb;
    sqlite3_stmt *member;
};

void kw_team_pull_abort(kw_team_pull_tx_t *tx)
{
    if (!tx)
        return;
    sqlite3_finalize(tx->row);
    sqlite3_finalize(tx->tomb);
    sqlite3_finalize(tx->member);
    kw_store_write_rollback(tx->store);
    g_free(tx);
}

kw_status_t kw_team_pull_begin(kw_store_t *store, int full, kw_team_pull_tx_t **tx_out,
                               char **error)
{
    kw_team_pull_tx_t *tx;
    kw_status_t s;

    *tx_out = NULL;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    tx = g_new0(kw_team_pull_tx_t, 1);
    tx->store = store;
    tx->full = full;
    /* A full pull loads everything anew (in key order): the indexes are
     * built once at the end instead of row by row — half the time of a first
     * pull of a big team. */
    if ((s = kw_store_exec(store, full ? "DELETE FROM team_records; DELETE FROM team_members;"
                                         "DROP INDEX IF EXISTS team_records_org;"
                                         "DROP INDEX IF EXISTS team_records_org_time;"
                                         "DROP INDEX IF EXISTS team_records_person_time"
                                       : "DELETE FROM team_members", error)) ||
        (s = kw_store_prepare(store,
                              "INSERT OR REPLACE INTO team_records (member, " RECORD_COLUMNS ","
                              " updated) VALUES (?14, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                              " ?11, ?12, ?13, ?15)",
                              &tx->row, error)) ||
        (s = kw_store_prepare(store,
                              "DELETE FROM team_records WHERE member = ?1 AND kind = ?2 AND key = ?3",
                              &tx->tomb, error)) ||
        (s = kw_store_prepare(store,
                              "INSERT OR REPLACE INTO team_members (member, display_name)"
                              " VALUES (?1, ?2)",
                              &tx->member, error))) {
        kw_team_pull_abort(tx);
        return s;
    }
    *tx_out = tx;
    return KW_OK;
}

static int64_t num(const char *s)
{
    return s ? g_ascii_strtoll(s, NULL, 10) : 0;
}

kw_status_t kw_team_pull_row(kw_team_pull_tx_t *tx, const char *const *c, char **error)
{
    sqlite3_stmt *st = tx->row;

    if (!c[KW_TEAM_COL_MEMBER] || !c[KW_TEAM_COL_KEY] || !c[KW_TEAM_COL_ORG] ||
        kw_team_record_kind_from_string(c[KW_TEAM_COL_KIND]) < 0)
        return KW_OK; /* a kind this version does not know: skip it */
    sqlite3_bind_text(st, 1, c[KW_TEAM_COL_KIND], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c[KW_TEAM_COL_KEY], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c[KW_TEAM_COL_ORG], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c[KW_TEAM_COL_PERSON], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c[KW_TEAM_COL_NAME], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, num(c[KW_TEAM_COL_LAST_IN]));
    sqlite3_bind_int64(st, 7, num(c[KW_TEAM_COL_LAST_OUT]));
    sqlite3_bind_int64(st, 8, num(c[KW_TEAM_COL_LAST_EXCHANGE]));
    sqlite3_bind_int64(st, 9, num(c[KW_TEAM_COL_EXCHANGES]));
    sqlite3_bind_int64(st, 10, num(c[KW_TEAM_COL_CADENCE]));
    sqlite3_bind_text(st, 11, c[KW_TEAM_COL_STATE], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, c[KW_TEAM_COL_TOUCH_KIND], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, num(c[KW_TEAM_COL_TOUCH_TIME]));
    sqlite3_bind_text(st, 14, c[KW_TEAM_COL_MEMBER], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, num(c[KW_TEAM_COL_UPDATED]));
    return step_done(tx->store, st, "storing a teammate's record", error);
}

kw_status_t kw_team_pull_tombstone(kw_team_pull_tx_t *tx, const char *member, const char *kind,
                                   const char *key, char **error)
{
    sqlite3_bind_text(tx->tomb, 1, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(tx->tomb, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(tx->tomb, 3, key, -1, SQLITE_STATIC);
    return step_done(tx->store, tx->tomb, "dropping a record a teammate removed", error);
}

kw_status_t kw_team_pull_member(kw_team_pull_tx_t *tx, const char *member,
                                const char *display_name, char **error)
{
    sqlite3_bind_text(tx->member, 1, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(tx->member, 2, display_name, -1, SQLITE_STATIC);
    return step_done(tx->store, tx->member, "storing the team's members", error);
}

kw_status_t kw_team_pull_commit(kw_team_pull_tx_t *tx, const char *xmin, int64_t now,
                                char **error)
{
    sqlite3_stmt *st = NULL;
    kw_store_t *store = tx->store;
    kw_status_t s;

    s = kw_store_prepare(store,
                         "UPDATE team_state SET pull_xmin = ?1, last_pull = ?2,"
                         " last_error = NULL, last_error_time = 0",
                         &st, error);
    if (s == KW_OK) {
        sqlite3_bind_text(st, 1, xmin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        s = step_done(store, st, "recording the pull", error);
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tx->row);
    sqlite3_finalize(tx->tomb);
    sqlite3_finalize(tx->member);
    tx->row = tx->tomb = tx->member = NULL;
    if (s == KW_OK && tx->full)
        s = kw_store_exec(store, RECORD_INDEXES, error);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    g_free(tx);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Reading what was pulled, and the status                                   */
/* ------------------------------------------------------------------------ */

KW_PUBLIC kw_status_t kw_team_records(kw_store_t *store, const char *org,
                                      kw_team_record_list_t **out, char **error)
{
    sqlite3_stmt *st = NULL;
    char *key = NULL;
    GArray *recs;
    kw_status_t s;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "kw_team_records: a store and out are required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if (org) {
        key = kw_org_for_address(org);
        if (!key) {
            kw_set_error(error, "'%s' is neither an address nor a domain", org);
            return KW_ERR_USAGE;
        }
    }
    s = kw_store_prepare(store,
                         "SELECT r.member, m.display_name, r.updated, " RECORD_COLUMNS_OF("r.")
                         " FROM team_records r LEFT JOIN team_members m ON m.member = r.member"
                         " WHERE ?1 IS NULL OR r.org = ?1"
                         " ORDER BY r.org, r.kind, r.key, r.member",
                         &st, error);
    if (s != KW_OK) {
        g_free(key);
        return s;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    recs = g_array_new(FALSE, TRUE, sizeof(kw_team_record_t));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kw_team_record_t r;
        memset(&r, 0, sizeof r);
        r.member = g_strdup(col_text(st, 0));
        r.member_name = g_strdup(col_text(st, 1));
        r.updated = sqlite3_column_int64(st, 2);
        record_from_row(st, 3, &r);
        g_array_append_val(recs, r);
    }
    sqlite3_finalize(st);
    g_free(key);
    *out = list_from_array(recs);
    if (rc != SQLITE_DONE) {
        kw_team_record_list_free(*out);
        *out = NULL;
        return kw_store_fail(store, rc, "reading the team's records", error);
    }
    return KW_OK;
}

KW_PUBLIC void kw_team_status_free(kw_team_status_t *status)
{
    if (!status)
        return;
    g_free(status->server);
    g_free(status->member);
    g_free(status->last_error);
    g_free(status);
}

KW_PUBLIC kw_status_t kw_team_status_get(kw_store_t *store, kw_team_status_t **out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_team_status_t *s;
    kw_status_t rs;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "kw_team_status_get: a store and out are required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    rs = kw_store_prepare(store,
                          "SELECT server, member, last_stage, last_push, last_pull,"
                          " last_error_time, last_error,"
                          " (SELECT count(*) FROM team_shared), (SELECT count(*) FROM team_outbox),"
                          " (SELECT count(*) FROM team_records),"
                          /* members with records: one seek each (count(DISTINCT member)
                           * would read every record of a big team) */
                          " (SELECT count(*) FROM team_members m WHERE EXISTS"
                          "   (SELECT 1 FROM team_records r WHERE r.member = m.member))"
                          " FROM team_state",
                          &st, error);
    if (rs != KW_OK)
        return rs;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE) {
            kw_set_error(error, "the team state row is missing from the database");
            return KW_ERR_STORE;
        }
        return kw_store_fail(store, rc, "reading the team state", error);
    }
    s = g_new0(kw_team_status_t, 1);
    s->server = *col_text(st, 0) ? g_strdup(col_text(st, 0)) : NULL;
    s->member = *col_text(st, 1) ? g_strdup(col_text(st, 1)) : NULL;
    s->last_stage = sqlite3_column_int64(st, 2);
    s->last_push = sqlite3_column_int64(st, 3);
    s->last_pull = sqlite3_column_int64(st, 4);
    s->last_error_time = sqlite3_column_int64(st, 5);
    s->last_error = g_strdup(col_text(st, 6));
    s->shared = sqlite3_column_int64(st, 7);
    s->pending = sqlite3_column_int64(st, 8);
    s->team_records = sqlite3_column_int64(st, 9);
    s->teammates = sqlite3_column_int64(st, 10);
    sqlite3_finalize(st);
    *out = s;
    return KW_OK;
}
