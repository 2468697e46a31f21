/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_sync.c — push and pull: the server side of team sharing.
 *
 * Push: the outbox (team_local.c) goes to the server in ONE transaction, as
 * batched upserts that leave an equal row untouched and deletes of this
 * member's rows, every value a bound parameter (PostgreSQL arrays unnested
 * on the server; the multi-array unnest() is syntax, not a function call, so
 * it is not schema-qualified — pg_catalog is searched first anyway). Only after the server's COMMIT is the outbox emptied, up to
 * the sequence number that was read: a crash or a cut connection at any point
 * leaves the outbox as it was, and sending it again changes nothing that the
 * first attempt already wrote.
 *
 * Pull: one REPEATABLE READ snapshot. Rows carry the writing transaction's id
 * (txid); the snapshot's xmin is kept locally, and the next pull asks for
 * rows and tombstones with txid >= that xmin: every transaction not visible
 * to the last snapshot has an id at least that high. Some rows come twice;
 * applying a row is idempotent. A tombstone counts only when no row with
 * that key exists now (a record deleted and shared again is not dropped).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "team.h"
#include "team_pg.h"
#include "team_schema.h"

#define PUSH_BATCH 1000

kw_status_t kw_team_open(const kw_team_server_t *server, kw_pg_t **pg_out, char **team_id_out,
                         char **error)
{
    kw_pg_result_t *res = NULL;
    kw_pg_t *pg = NULL;
    kw_status_t st;
    int version;

    *pg_out = NULL;
    *team_id_out = NULL;
    st = kw_pg_connect(server, &pg, error);
    if (st != KW_OK)
        return st;
    st = kw_pg_exec(pg, "reading the team schema version",
                    "SELECT v.version, t.team_id::text FROM keepwarm.schema_version v, keepwarm.team t",
                    0, NULL, &res, error);
    if (st != KW_OK) {
        const char *state = kw_pg_sqlstate(pg);
        if (strcmp(state, "3F000") == 0 || strcmp(state, "42P01") == 0) {
            kw_set_error(error, "team server %s has no keepwarm team in this database: the "
                                "team's admin sets it up with 'keepwarm team init'",
                         kw_pg_display(pg));
            st = KW_ERR_SERVER;
        } else if (strcmp(state, "42501") == 0) {
            kw_set_error(error, "team server %s: %s is not a member of the team (any more): "
                                "ask the team's admin ('keepwarm team add-member')",
                         kw_pg_display(pg), kw_pg_user(pg));
            st = KW_ERR_AUTH;
        }
        goto fail;
    }
    if (kw_pg_rows(res) != 1 || !kw_pg_value(res, 0, 0) || !kw_pg_value(res, 0, 1)) {
        kw_set_error(error, "team server %s: the team schema is incomplete; the admin runs "
                            "'keepwarm team init' again", kw_pg_display(pg));
        st = KW_ERR_SERVER;
        goto fail;
    }
    version = atoi(kw_pg_value(res, 0, 0));
    if (version > KW_TEAM_SCHEMA_VERSION) {
        kw_set_error(error, "team server %s was set up by a newer keepwarm (team schema %d, this "
                            "one knows %d): nothing was sent or changed — upgrade keepwarm",
                     kw_pg_display(pg), version, KW_TEAM_SCHEMA_VERSION);
        st = KW_ERR_SERVER;
        goto fail;
    }
    if (version < KW_TEAM_SCHEMA_VERSION) {
        kw_set_error(error, "team server %s has an older team schema (%d, this keepwarm needs "
                            "%d): the team's admin upgrades it with 'keepwarm team init'",
                     kw_pg_display(pg), version, KW_TEAM_SCHEMA_VERSION);
        st = KW_ERR_SERVER;
        goto fail;
    }
    *team_id_out = g_strdup(kw_pg_value(res, 0, 1));
    kw_pg_result_free(res);
    *pg_out = pg;
    return KW_OK;
fail:
    kw_pg_result_free(res);
    kw_pg_close(pg);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Push                                                                      */
/* ------------------------------------------------------------------------ */

enum { UP_KIND, UP_KEY, UP_ORG, UP_PERSON, UP_NAME, UP_LAST_IN, UP_LAST_OUT, UP_LAST_EXCHANGE,
       UP_EXCHANGES, UP_CADENCE, UP_STATE, UP_TOUCH_KIND, UP_TOUCH_TIME, UP_NCOLS };

static const char upsert_sql[] =
    "INSERT INTO keepwarm.records AS r (kind, key, org, person, name, last_inbound,"
    " last_outbound, last_exchange, exchanges, cadence_days, state, touch_kind, touch_time)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
    "   $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::integer[], $10::integer[],"
    "   $11::text[], $12::text[], $13::bigint[])"
    " ON CONFLICT (member, kind, key) DO UPDATE SET org = EXCLUDED.org,"
    "   person = EXCLUDED.person, name = EXCLUDED.name, last_inbound = EXCLUDED.last_inbound,"
    "   last_outbound = EXCLUDED.last_outbound, last_exchange = EXCLUDED.last_exchange,"
    "   exchanges = EXCLUDED.exchanges, cadence_days = EXCLUDED.cadence_days,"
    "   state = EXCLUDED.state, touch_kind = EXCLUDED.touch_kind, touch_time = EXCLUDED.touch_time"
    " WHERE (r.org, r.person, r.name, r.last_inbound, r.last_outbound, r.last_exchange,"
    "   r.exchanges, r.cadence_days, r.state, r.touch_kind, r.touch_time)"
    "   IS DISTINCT FROM (EXCLUDED.org, EXCLUDED.person, EXCLUDED.name, EXCLUDED.last_inbound,"
    "   EXCLUDED.last_outbound, EXCLUDED.last_exchange, EXCLUDED.exchanges,"
    "   EXCLUDED.cadence_days, EXCLUDED.state, EXCLUDED.touch_kind, EXCLUDED.touch_time)";

static const char delete_sql[] =
    "DELETE FROM keepwarm.records r"
    " USING unnest($1::text[], $2::text[]) AS d(kind, key)"
    " WHERE r.member = CURRENT_USER AND r.kind = d.kind AND r.key = d.key";

/* NOT IN over the unnested keys: a hashed subplan (one pass over this
 * member's rows); NOT EXISTS gave a nested loop, 7 s at 10,000 records. The
 * arrays never hold NULLs. */
static const char delete_others_sql[] =
    "DELETE FROM keepwarm.records r WHERE r.member = CURRENT_USER AND (r.kind, r.key) NOT IN"
    " (SELECT k.kind, k.key FROM unnest($1::text[], $2::text[]) AS k(kind, key))";

static void append_int(GString *a, int64_t v)
{
    char buf[24];
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
    kw_pg_array_append(a, buf);
}

static GString **arrays_new(int n)
{
    GString **a = g_new(GString *, n);
    for (int i = 0; i < n; i++)
        a[i] = g_string_new("{");
    return a;
}

static void arrays_free(GString **a, int n)
{
    for (int i = 0; i < n; i++)
        g_string_free(a[i], TRUE);
    g_free(a);
}

static kw_status_t send_arrays(kw_pg_t *pg, const char *what, const char *sql, GString **a, int n,
                               char **error)
{
    const char **v = g_new(const char *, n);
    kw_status_t st;
    for (int i = 0; i < n; i++) {
        g_string_append_c(a[i], '}');
        v[i] = a[i]->str;
    }
    st = kw_pg_exec(pg, what, sql, n, v, NULL, error);
    for (int i = 0; i < n; i++)
        g_string_assign(a[i], "{");
    g_free(v);
    return st;
}

static void append_record(GString **a, const kw_team_record_t *r)
{
    kw_pg_array_append(a[UP_KIND], kw_team_record_kind_to_string(r->kind));
    kw_pg_array_append(a[UP_KEY], r->key);
    kw_pg_array_append(a[UP_ORG], r->org);
    kw_pg_array_append(a[UP_PERSON], r->person);
    kw_pg_array_append(a[UP_NAME], r->name);
    append_int(a[UP_LAST_IN], r->last_inbound);
    append_int(a[UP_LAST_OUT], r->last_outbound);
    append_int(a[UP_LAST_EXCHANGE], r->last_exchange);
    append_int(a[UP_EXCHANGES], r->exchanges);
    append_int(a[UP_CADENCE], r->cadence_days);
    kw_pg_array_append(a[UP_STATE], r->kind == KW_TEAM_RECORD_TOUCH ? NULL : kw_state_to_string(r->state));
    kw_pg_array_append(a[UP_TOUCH_KIND], r->touch_kind);
    append_int(a[UP_TOUCH_TIME], r->touch_time);
}

/* The server transaction of a push. */
static kw_status_t push_changes(kw_store_t *store, kw_pg_t *pg, GArray *changes, int full,
                                kw_team_push_report_t *report, char **error)
{
    GString **up = arrays_new(UP_NCOLS), **del = arrays_new(2);
    int n_up = 0, n_del = 0;
    kw_status_t st;

    st = kw_pg_exec(pg, "starting the push", "BEGIN", 0, NULL, NULL, error);
    if (st != KW_OK)
        goto done;
    for (guint i = 0; i < changes->len; i++) {
        const kw_team_change_t *c = &g_array_index(changes, kw_team_change_t, i);
        if (c->deleted) {
            kw_pg_array_append(del[0], kw_team_record_kind_to_string(c->record.kind));
            kw_pg_array_append(del[1], c->record.key);
            report->deletes++;
            if (++n_del == PUSH_BATCH) {
                st = send_arrays(pg, "removing records", delete_sql, del, 2, error);
                n_del = 0;
            }
        } else {
            append_record(up, &c->record);
            report->upserts++;
            if (++n_up == PUSH_BATCH) {
                st = send_arrays(pg, "sending records", upsert_sql, up, UP_NCOLS, error);
                n_up = 0;
            }
        }
        if (st != KW_OK)
            goto done;
    }
    if (n_up && (st = send_arrays(pg, "sending records", upsert_sql, up, UP_NCOLS, error)) != KW_OK)
        goto done;
    if (n_del && (st = send_arrays(pg, "removing records", delete_sql, del, 2, error)) != KW_OK)
        goto done;
    if (full) {
        /* The first push to this team: whatever the server still holds from
         * this member (another install, an older store) goes. */
        GPtrArray *kinds = NULL, *keys = NULL;
        kw_pg_result_t *res = NULL;
        GString **all = arrays_new(2);
        const char *v[2];
        st = kw_team_shared_keys(store, &kinds, &keys, error);
        if (st == KW_OK) {
            for (guint i = 0; i < kinds->len; i++) {
                kw_pg_array_append(all[0], g_ptr_array_index(kinds, i));
                kw_pg_array_append(all[1], g_ptr_array_index(keys, i));
            }
            g_string_append_c(all[0], '}');
            g_string_append_c(all[1], '}');
            v[0] = all[0]->str;
            v[1] = all[1]->str;
            st = kw_pg_exec(pg, "removing records no longer shared", delete_others_sql, 2, v, &res,
                            error);
            report->deletes += kw_pg_affected(res);
            kw_pg_result_free(res);
            g_ptr_array_free(kinds, TRUE);
            g_ptr_array_free(keys, TRUE);
        }
        arrays_free(all, 2);
        if (st != KW_OK)
            goto done;
    }
    st = kw_pg_exec(pg, "committing the push", "COMMIT", 0, NULL, NULL, error);
done:
    arrays_free(up, UP_NCOLS);
    arrays_free(del, 2);
    return st;
}

static kw_status_t push_on(kw_store_t *store, kw_pg_t *pg, int full, kw_team_push_report_t *report,
                           char **error)
{
    GArray *changes = NULL;
    int64_t max_seq = 0;
    kw_status_t st;

    st = kw_team_outbox_read(store, &changes, &max_seq, error);
    if (st != KW_OK)
        return st;
    report->pending = changes->len;
    if (changes->len > 0 || full)
        st = push_changes(store, pg, changes, full, report, error);
    kw_team_changes_free(changes);
    if (st != KW_OK)
        return st;
    st = kw_team_push_done(store, max_seq, (int64_t)time(NULL), error);
    report->pending = kw_team_pending(store);
    return st;
}

static int64_t xid_value(const char *s)
{
    return s && *s ? (int64_t)g_ascii_strtoull(s, NULL, 10) : -1;
}

/* ------------------------------------------------------------------------ */
/* Pull                                                                      */
/* ------------------------------------------------------------------------ */

static kw_status_t on_record(const char *const *cols, int ncols, void *data, char **error)
{
    if (ncols != KW_TEAM_NCOLS) {
        kw_set_error(error, "the team server answered %d columns, expected %d", ncols, KW_TEAM_NCOLS);
        return KW_ERR_SERVER;
    }
    return kw_team_pull_row(data, cols, error);
}

static kw_status_t on_tombstone(const char *const *cols, int ncols, void *data, char **error)
{
    if (ncols != 3) {
        kw_set_error(error, "the team server answered %d columns, expected 3", ncols);
        return KW_ERR_SERVER;
    }
    return kw_team_pull_tombstone(data, cols[0], cols[1], cols[2], error);
}

static kw_status_t on_member(const char *const *cols, int ncols, void *data, char **error)
{
    if (ncols != 2) {
        kw_set_error(error, "the team server answered %d columns, expected 2", ncols);
        return KW_ERR_SERVER;
    }
    return kw_team_pull_member(data, cols[0], cols[1], error);
}

#define PULL_COLUMNS                                                                            \
    "SELECT member, kind, key, org, person, name, last_inbound, last_outbound, last_exchange,"   \
    " exchanges, cadence_days, state, touch_kind, touch_time,"                                  \
    " pg_catalog.date_part('epoch', updated)::bigint FROM keepwarm.records"                     \
    " WHERE member <> CURRENT_USER"

static kw_status_t pull_on(kw_store_t *store, kw_pg_t *pg, const char *last_xmin,
                           kw_team_pull_report_t *report, char **error)
{
    kw_pg_result_t *snap = NULL;
    kw_team_pull_tx_t *tx = NULL;
    char *xmin = NULL;
    const char *v[1];
    kw_status_t st;
    int full;

    st = kw_pg_exec(pg, "starting the pull", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                    NULL, NULL, error);
    if (st != KW_OK)
        return st;
    st = kw_pg_exec(pg, "reading the snapshot",
                    "SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text,"
                    " pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text",
                    0, NULL, &snap, error);
    if (st != KW_OK)
        goto done;
    xmin = g_strdup(kw_pg_value(snap, 0, 0));
    /* Everything again on the first pull, or when the server's transaction
     * counter is behind what we saw (a restored copy of the database). */
    full = !last_xmin || !*last_xmin || xid_value(last_xmin) > xid_value(kw_pg_value(snap, 0, 1));
    report->full = full;
    st = kw_team_pull_begin(store, full, &tx, error);
    if (st != KW_OK)
        goto done;
    v[0] = last_xmin;
    if (full) {
        st = kw_pg_exec_rows(pg, "reading the team's records",
                             PULL_COLUMNS " ORDER BY member, kind, key", 0, NULL, on_record, tx,
                             &report->records, error);
    } else {
        st = kw_pg_exec_rows(pg, "reading the team's records",
                             PULL_COLUMNS " AND txid >= $1::xid8", 1, v, on_record, tx,
                             &report->records, error);
        if (st == KW_OK)
            st = kw_pg_exec_rows(pg, "reading removed records",
                                 "SELECT t.member, t.kind, t.key FROM keepwarm.tombstones t"
                                 " WHERE t.txid >= $1::xid8 AND t.member <> CURRENT_USER"
                                 " AND NOT EXISTS (SELECT 1 FROM keepwarm.records r"
                                 "  WHERE r.member = t.member AND r.kind = t.kind AND r.key = t.key)",
                                 1, v, on_tombstone, tx, &report->deleted, error);
    }
    if (st == KW_OK)
        st = kw_pg_exec_rows(pg, "reading the members",
                             "SELECT member, display_name FROM keepwarm.members", 0, NULL,
                             on_member, tx, &report->members, error);
    if (st == KW_OK)
        st = kw_pg_exec(pg, "ending the pull", "COMMIT", 0, NULL, NULL, error);
    if (st != KW_OK)
        goto done;
    st = kw_team_pull_commit(tx, xmin, (int64_t)time(NULL), error);
    tx = NULL;
done:
    kw_team_pull_abort(tx);
    kw_pg_result_free(snap);
    g_free(xmin);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Public                                                                    */
/* ------------------------------------------------------------------------ */

static kw_status_t check_args(kw_store_t *store, const kw_team_server_t *server, char **error)
{
    if (!store || !server || !server->url) {
        kw_set_error(error, "a store and a team server URL are required");
        return KW_ERR_USAGE;
    }
    return KW_OK;
}

/* Connect, check the schema and bind the local tables to this server. */
static kw_status_t open_bound(kw_store_t *store, const kw_team_server_t *server, kw_pg_t **pg,
                              int *full_push, char **pull_xmin, char **error)
{
    char *team_id = NULL;
    kw_status_t st = kw_team_open(server, pg, &team_id, error);
    if (st != KW_OK)
        return st;
    st = kw_team_bind_server(store, team_id, kw_pg_user(*pg), kw_pg_display(*pg), full_push,
                             pull_xmin, error);
    g_free(team_id);
    if (st != KW_OK) {
        kw_pg_close(*pg);
        *pg = NULL;
    }
    return st;
}

static void note_failure(kw_store_t *store, kw_status_t st, const char *error)
{
    /* A local store failure is not the server's: leave the team status alone. */
    if (st != KW_ERR_STORE && st != KW_ERR_STORE_CORRUPT && st != KW_ERR_USAGE)
        kw_team_note_failure(store, error, (int64_t)time(NULL));
}

/* What the public calls do, over one connection: stage (with `stage`, as of
 * `as_of`), push (`do_push`), then pull (`do_pull`). Reports may be NULL.
 * A failure is recorded for kw_team_status_get (unless it is local). */
static kw_status_t exchange(kw_store_t *store, const kw_team_server_t *server, int stage,
                            int share, int64_t as_of, int do_push, kw_team_push_report_t *push,
                            int do_pull, kw_team_pull_report_t *pull, char **error)
{
    kw_team_push_report_t lpush;
    kw_team_pull_report_t lpull;
    kw_pg_t *pg = NULL;
    char *xmin = NULL, *err = NULL;
    int full = 0;
    kw_status_t st;

    push = push ? push : &lpush;
    pull = pull ? pull : &lpull;
    memset(push, 0, sizeof *push);
    memset(pull, 0, sizeof *pull);
    if ((st = check_args(store, server, error)) != KW_OK)
        return st;
    /* Staged first and locally: it waits in the outbox if the server is away. */
    if (stage && (st = kw_team_stage(store, share, as_of, NULL, error)) != KW_OK)
        return st;
    st = open_bound(store, server, &pg, &full, &xmin, &err);
    if (st == KW_OK && do_push)
        st = push_on(store, pg, full, push, &err);
    if (st == KW_OK && do_pull)
        st = pull_on(store, pg, xmin, pull, &err);
    kw_pg_close(pg);
    g_free(xmin);
    if (st != KW_OK) {
        note_failure(store, st, err);
        if (do_push)
            push->pending = kw_team_pending(store);
        if (error) {
            g_free(*error);
            *error = err;
            err = NULL;
        }
    }
    g_free(err);
    return st;
}

KW_PUBLIC kw_status_t kw_team_push(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_push_report_t *report, char **error)
{
    return exchange(store, server, 0, 0, 0, 1, report, 0, NULL, error);
}

KW_PUBLIC kw_status_t kw_team_pull(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_pull_report_t *report, char **error)
{
    return exchange(store, server, 0, 0, 0, 0, NULL, 1, report, error);
}

KW_PUBLIC kw_status_t kw_team_sync(kw_store_t *store, const kw_team_server_t *server, int share,
                                   int64_t as_of, kw_team_push_report_t *push,
                                   kw_team_pull_report_t *pull, char **error)
{
    return exchange(store, server, 1, share, as_of, 1, push, 1, pull, error);
}
