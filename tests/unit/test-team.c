/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-team.c — team sharing without a server: the connection policy (which
 * URLs are refused before any byte goes out), PostgreSQL array literals, and
 * the local side of the protocol (staging into the outbox, what a push reads
 * and empties, binding to another server, applying a pull, the status). */
#include <string.h>
#include <glib.h>
#include <sqlite3.h>

#include "keepwarm.h"
#include "store.h"
#include "team.h"
#include "team_pg.h"

static char *tmpdir;
static char *ca_file;

/* ------------------------------------------------------------------------ */
/* Connection policy                                                         */
/* ------------------------------------------------------------------------ */

static const char *param(const kw_pg_params_t *p, const char *key)
{
    for (guint i = 0; i < p->keys->len; i++)
        if (strcmp(g_ptr_array_index(p->keys, i), key) == 0)
            return g_ptr_array_index(p->values, i);
    return NULL;
}

typedef struct {
    const char *url;
    kw_status_t status;
    const char *sslmode;   /* expected effective sslmode when accepted */
    int         tls;       /* expected: TLS required and verified */
    const char *comment;
} policy_case_t;

static void test_policy(void)
{
    /* "%s" in a URL is replaced by the CA file (sslrootcert). */
    static const policy_case_t cases[] = {
        { "postgresql://jan@db.example.com/sales", KW_OK, "verify-full", 1,
          "no sslmode: verify-full is the default" },
        { "postgresql://jan@db.example.com/sales?sslmode=verify-full", KW_OK, "verify-full", 1,
          "explicit verify-full" },
        { "host=db.example.com dbname=sales user=jan", KW_OK, "verify-full", 1,
          "key=value strings too" },
        { "postgresql://jan@db.example.com/sales?sslmode=require", KW_ERR_INSECURE, NULL, 0,
          "require does not check the certificate: refused for a remote host" },
        { "postgresql://jan@db.example.com/sales?sslmode=verify-ca", KW_ERR_INSECURE, NULL, 0,
          "verify-ca does not check the name: refused for a remote host" },
        { "postgresql://jan@db.example.com/sales?sslmode=disable", KW_ERR_INSECURE, NULL, 0,
          "plaintext to a remote host" },
        { "postgresql://jan@db.example.com/sales?sslmode=prefer", KW_ERR_INSECURE, NULL, 0,
          "prefer may fall back to plaintext" },
        { "postgresql://jan@db.example.com/sales?sslmode=allow", KW_ERR_INSECURE, NULL, 0,
          "allow may fall back to plaintext" },
        { "postgresql://jan@192.0.2.10/sales?sslmode=disable", KW_ERR_INSECURE, NULL, 0,
          "an address that is not loopback" },
        { "postgresql://jan@127.0.0.1/sales?sslmode=disable", KW_OK, "disable", 0,
          "plaintext to 127.0.0.1 is allowed" },
        { "postgresql://jan@127.9.8.7/sales?sslmode=disable", KW_OK, "disable", 0,
          "all of 127.0.0.0/8 is loopback" },
        { "postgresql://jan@localhost/sales?sslmode=require", KW_OK, "require", 0,
          "localhost may use a weaker mode (TLS on, not verified)" },
        { "postgresql://jan@[::1]/sales?sslmode=disable", KW_OK, "disable", 0,
          "IPv6 loopback" },
        { "postgresql://jan@localhost,db.example.com/sales?sslmode=disable", KW_ERR_INSECURE, NULL, 0,
          "a host list with one remote host" },
        { "host=localhost hostaddr=10.1.2.3 dbname=sales sslmode=disable", KW_ERR_INSECURE, NULL, 0,
          "hostaddr decides where the connection goes" },
        { "host=/run/postgresql dbname=sales sslmode=disable", KW_OK, "disable", 0,
          "a Unix socket" },
        { "host=/run/postgresql dbname=sales", KW_OK, "verify-full", 0,
          "no TLS over a Unix socket, nothing to verify" },
        { "postgresql://jan:secret@db.example.com/sales", KW_ERR_USAGE, NULL, 0,
          "a password in the URI" },
        { "postgresql://db.example.com/sales?user=jan&password=secret", KW_ERR_USAGE, NULL, 0,
          "a password parameter" },
        { "host=db.example.com password=secret dbname=sales", KW_ERR_USAGE, NULL, 0,
          "a password keyword" },
        { "host=db.example.com passfile=/tmp/x dbname=sales", KW_ERR_USAGE, NULL, 0,
          "a passfile keyword" },
        { "service=sales", KW_ERR_USAGE, NULL, 0,
          "a service file entry could say anything" },
        { "postgresql://jan@db.example.com/sales?sslmode=bogus", KW_ERR_USAGE, NULL, 0,
          "unknown sslmode" },
        { "postgresql://jan@db.example.com/sales?ssl_min_protocol_version=TLSv1", KW_ERR_INSECURE, NULL, 0,
          "TLS 1.0 requested" },
        { "postgresql://jan@db.example.com:5432/sales?nosuchoption=1", KW_ERR_USAGE, NULL, 0,
          "libpq rejects unknown options" },
        { "", KW_ERR_USAGE, NULL, 0, "empty" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_pg_params_t p;
        char *err = NULL;
        kw_status_t st = kw_pg_policy(cases[i].url, ca_file, &p, &err);
        if (st != cases[i].status)
            g_error("%s: %s gave %s (%s)", cases[i].comment, cases[i].url, kw_status_to_string(st),
                    err ? err : "no message");
        if (st == KW_OK) {
            g_assert_null(err);
            if (strcmp(param(&p, "sslmode"), cases[i].sslmode) != 0 || p.tls != cases[i].tls)
                g_error("%s: %s gave sslmode %s, tls %d", cases[i].comment, cases[i].url,
                        param(&p, "sslmode"), p.tls);
            g_assert_cmpstr(param(&p, "ssl_min_protocol_version"), ==, "TLSv1.2");
            g_assert_cmpstr(param(&p, "gssencmode"), ==, "disable");
            g_assert_cmpstr(param(&p, "sslrootcert"), ==, ca_file);
            g_assert_null(param(&p, "password"));
            kw_pg_params_clear(&p);
        } else {
            g_assert_nonnull(err);
            /* The refused secret is never echoed. */
            g_assert_null(strstr(err, "secret"));
        }
        g_free(err);
    }
}

/* The environment cannot move a checked connection elsewhere. */
static void test_policy_environment(void)
{
    kw_pg_params_t p;
    char *err = NULL;

    g_setenv("PGHOSTADDR", "192.0.2.10", TRUE);
    g_assert_cmpint(kw_pg_policy("host=localhost dbname=sales sslmode=disable", ca_file, &p, &err), ==,
                    KW_ERR_INSECURE);
    g_clear_pointer(&err, g_free);
    g_unsetenv("PGHOSTADDR");
    g_setenv("PGHOST", "db.example.com", TRUE);
    g_assert_cmpint(kw_pg_policy("dbname=sales sslmode=disable", ca_file, &p, &err), ==, KW_ERR_INSECURE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_pg_policy("dbname=sales", ca_file, &p, &err), ==, KW_OK);
    g_assert_cmpstr(param(&p, "host"), ==, "db.example.com");
    g_assert_cmpstr(param(&p, "sslmode"), ==, "verify-full");
    kw_pg_params_clear(&p);
    g_unsetenv("PGHOST");
    g_setenv("PGSSLMODE", "disable", TRUE);
    g_assert_cmpint(kw_pg_policy("host=db.example.com dbname=sales", ca_file, &p, &err), ==, KW_OK);
    g_assert_cmpstr(param(&p, "sslmode"), ==, "verify-full");
    kw_pg_params_clear(&p);
    g_unsetenv("PGSSLMODE");
    /* A missing CA file is a clear error before connecting. */
    g_assert_cmpint(kw_pg_policy("host=db.example.com dbname=sales", "/nonexistent/ca.pem", &p, &err),
                    ==, KW_ERR_USAGE);
    g_assert_nonnull(strstr(err, "/nonexistent/ca.pem"));
    g_free(err);
}

static void test_local_hosts(void)
{
    g_assert_true(kw_pg_hosts_are_local(NULL));
    g_assert_true(kw_pg_hosts_are_local("localhost"));
    g_assert_true(kw_pg_hosts_are_local("LOCALHOST"));
    g_assert_true(kw_pg_hosts_are_local("127.0.0.1"));
    g_assert_true(kw_pg_hosts_are_local("::1"));
    g_assert_true(kw_pg_hosts_are_local("/var/run/postgresql"));
    g_assert_true(kw_pg_hosts_are_local("127.0.0.1,localhost"));
    g_assert_false(kw_pg_hosts_are_local("128.0.0.1"));
    g_assert_false(kw_pg_hosts_are_local("10.0.0.1"));
    g_assert_false(kw_pg_hosts_are_local("::2"));
    g_assert_false(kw_pg_hosts_are_local("localhost.example.com"));
    g_assert_false(kw_pg_hosts_are_local("127.0.0.1.example.com"));
    g_assert_false(kw_pg_hosts_are_local("localhost,db.example.com"));
}

static void test_array_literal(void)
{
    GString *a = g_string_new("{");
    kw_pg_array_append(a, "plain");
    kw_pg_array_append(a, NULL);
    kw_pg_array_append(a, "q\"uote\\back,comma{}");
    kw_pg_array_append(a, "");
    kw_pg_array_append(a, "NULL");
    g_string_append_c(a, '}');
    g_assert_cmpstr(a->str, ==, "{\"plain\",NULL,\"q\\\"uote\\\\back,comma{}\",\"\",\"NULL\"}");
    g_string_free(a, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Local side                                                                */
/* ------------------------------------------------------------------------ */

static kw_store_t *open_store(const char *name)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    kw_store_t *s = NULL;
    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_free(path);
    return s;
}

static int64_t query_int(kw_store_t *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    g_assert_cmpint(sqlite3_prepare_v2(kw_store_db(s), sql, -1, &st, NULL), ==, SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static kw_team_record_t rec(kw_team_record_kind_t kind, const char *key, const char *org,
                            int64_t last_exchange, kw_state_t state)
{
    kw_team_record_t r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.key = (char *)key;
    r.org = (char *)org;
    r.person = kind == KW_TEAM_RECORD_ORG ? NULL : (char *)key;
    r.name = kind == KW_TEAM_RECORD_PERSON ? (char *)"Alice \"A\" Ärger" : NULL;
    r.last_inbound = last_exchange - 100;
    r.last_outbound = last_exchange;
    r.last_exchange = last_exchange;
    r.exchanges = 7;
    r.cadence_days = 30;
    r.state = state;
    if (kind == KW_TEAM_RECORD_TOUCH) {
        r.touch_kind = (char *)"call";
        r.touch_time = last_exchange;
    }
    return r;
}

static int64_t stage(kw_store_t *s, const kw_team_record_t *r, size_t n)
{
    int64_t changes = -1;
    char *err = NULL;
    g_assert_cmpint(kw_team_stage_records(s, r, n, 1700000000, &changes, &err), ==, KW_OK);
    g_assert_null(err);
    return changes;
}

/* Reads the outbox; returns the changes (caller frees). */
static GArray *outbox(kw_store_t *s, int64_t *max_seq)
{
    GArray *c = NULL;
    g_assert_cmpint(kw_team_outbox_read(s, &c, max_seq, NULL), ==, KW_OK);
    return c;
}

static const kw_team_change_t *change_for(GArray *c, const char *key)
{
    for (guint i = 0; i < c->len; i++)
        if (strcmp(g_array_index(c, kw_team_change_t, i).record.key, key) == 0)
            return &g_array_index(c, kw_team_change_t, i);
    return NULL;
}

static void test_stage_and_outbox(void)
{
    kw_store_t *s = open_store("stage.db");
    kw_team_record_t r[3] = {
        rec(KW_TEAM_RECORD_ORG, "acme.example", "acme.example", 1690000000, KW_STATE_OK),
        rec(KW_TEAM_RECORD_PERSON, "alice@acme.example", "acme.example", 1690000000, KW_STATE_OVERDUE),
        rec(KW_TEAM_RECORD_TOUCH, "call|1690000000|acme.example", "acme.example", 1690000000, KW_STATE_OK),
    };
    const kw_team_change_t *c;
    GArray *ch;
    int64_t max1, max2;

    /* Everything is new. */
    g_assert_cmpint(stage(s, r, 3), ==, 3);
    ch = outbox(s, &max1);
    g_assert_cmpint(ch->len, ==, 3);
    c = change_for(ch, "alice@acme.example");
    g_assert_nonnull(c);
    g_assert_false(c->deleted);
    g_assert_cmpint(c->record.kind, ==, KW_TEAM_RECORD_PERSON);
    g_assert_cmpstr(c->record.name, ==, "Alice \"A\" Ärger");
    g_assert_cmpstr(c->record.org, ==, "acme.example");
    g_assert_cmpint(c->record.state, ==, KW_STATE_OVERDUE);
    g_assert_cmpint(c->record.last_inbound, ==, 1690000000 - 100);
    c = change_for(ch, "call|1690000000|acme.example");
    g_assert_cmpstr(c->record.touch_kind, ==, "call");
    g_assert_cmpint(c->record.touch_time, ==, 1690000000);
    kw_team_changes_free(ch);

    /* The same again: nothing changed, nothing queued. */
    g_assert_cmpint(stage(s, r, 3), ==, 0);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_outbox"), ==, 3);

    /* A push read the outbox; meanwhile one record changes (a later sequence). */
    g_assert_cmpint(kw_team_push_done(s, 0, 1700000001, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_outbox"), ==, 3);
    r[1].last_exchange = 1695000000;
    g_assert_cmpint(stage(s, r, 3), ==, 1);
    ch = outbox(s, &max2);
    g_assert_cmpint(max2, >, max1);
    g_assert_cmpint(ch->len, ==, 3);
    /* the changed record moved to the end of the queue */
    g_assert_cmpstr(g_array_index(ch, kw_team_change_t, 2).record.key, ==, "alice@acme.example");
    g_assert_cmpint(g_array_index(ch, kw_team_change_t, 2).record.last_exchange, ==, 1695000000);
    kw_team_changes_free(ch);
    /* The push of the first read completes: only what it read goes. */
    g_assert_cmpint(kw_team_push_done(s, max1, 1700000002, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_outbox"), ==, 1);
    g_assert_cmpint(kw_team_pending(s), ==, 1);
    g_assert_cmpint(kw_team_push_done(s, max2, 1700000003, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pending(s), ==, 0);
    g_assert_cmpint(query_int(s, "SELECT last_push FROM team_state"), ==, 1700000003);
    g_assert_cmpint(query_int(s, "SELECT full_push FROM team_state"), ==, 0);

    /* A record no longer shared becomes a deletion; sharing nothing deletes all. */
    g_assert_cmpint(stage(s, r, 2), ==, 1);
    ch = outbox(s, &max1);
    g_assert_cmpint(ch->len, ==, 1);
    g_assert_true(g_array_index(ch, kw_team_change_t, 0).deleted);
    g_assert_cmpint(g_array_index(ch, kw_team_change_t, 0).record.kind, ==, KW_TEAM_RECORD_TOUCH);
    kw_team_changes_free(ch);
    g_assert_cmpint(stage(s, NULL, 0), ==, 2);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_shared"), ==, 0);
    ch = outbox(s, &max1);
    g_assert_cmpint(ch->len, ==, 3);
    for (guint i = 0; i < ch->len; i++)
        g_assert_true(g_array_index(ch, kw_team_change_t, i).deleted);
    kw_team_changes_free(ch);
    /* Shared again before the push: the deletion becomes an upsert. */
    g_assert_cmpint(stage(s, r, 1), ==, 1);
    ch = outbox(s, &max1);
    c = change_for(ch, "acme.example");
    g_assert_false(c->deleted);
    kw_team_changes_free(ch);
    kw_store_close(s);
}

static void test_bind_server(void)
{
    kw_store_t *s = open_store("bind.db");
    kw_team_record_t r[2] = {
        rec(KW_TEAM_RECORD_ORG, "acme.example", "acme.example", 1690000000, KW_STATE_OK),
        rec(KW_TEAM_RECORD_PERSON, "alice@acme.example", "acme.example", 1690000000, KW_STATE_OK),
    };
    const char *row[KW_TEAM_NCOLS] = { "jan", "org", "beta.example", "beta.example", NULL, NULL,
                                       "1", "2", "2", "3", "14", "ok", NULL, "0", "1700000000" };
    kw_team_pull_tx_t *tx = NULL;
    char *xmin = NULL;
    int full = 0;

    g_assert_cmpint(stage(s, r, 2), ==, 2);
    g_assert_cmpint(kw_team_bind_server(s, "team-1", "sam", "h/db", &full, &xmin, NULL), ==, KW_OK);
    g_assert_cmpint(full, ==, 1);
    g_assert_cmpstr(xmin, ==, "");
    g_free(xmin);
    g_assert_cmpint(kw_team_push_done(s, 1000, 1700000000, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_begin(s, 1, &tx, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, row, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_commit(tx, "1234", 1700000000, NULL), ==, KW_OK);

    /* Same server: nothing reset, the pull position kept. */
    g_assert_cmpint(kw_team_bind_server(s, "team-1", "sam", "h/db", &full, &xmin, NULL), ==, KW_OK);
    g_assert_cmpint(full, ==, 0);
    g_assert_cmpstr(xmin, ==, "1234");
    g_free(xmin);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_records"), ==, 1);
    g_assert_cmpint(kw_team_pending(s), ==, 0);

    /* Another team (re-created, or another server): pulled data dropped,
     * everything shared queued again, full push and pull. */
    g_assert_cmpint(kw_team_bind_server(s, "team-2", "sam", "h/db", &full, &xmin, NULL), ==, KW_OK);
    g_assert_cmpint(full, ==, 1);
    g_assert_cmpstr(xmin, ==, "");
    g_free(xmin);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_records"), ==, 0);
    g_assert_cmpint(kw_team_pending(s), ==, 2);
    /* Another member name on the same team counts as another server too. */
    g_assert_cmpint(kw_team_push_done(s, 1000, 1700000000, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_bind_server(s, "team-2", "jan", "h/db", &full, &xmin, NULL), ==, KW_OK);
    g_assert_cmpint(full, ==, 1);
    g_assert_cmpint(kw_team_pending(s), ==, 2);
    g_free(xmin);
    kw_store_close(s);
}

static void test_pull_apply(void)
{
    kw_store_t *s = open_store("pull.db");
    const char *a[KW_TEAM_NCOLS] = { "jan", "org", "acme.example", "acme.example", NULL, NULL,
                                     "100", "200", "200", "5", "30", "ok", NULL, "0", "1700000000" };
    const char *b[KW_TEAM_NCOLS] = { "jan", "person", "alice@acme.example", "acme.example",
                                     "alice@acme.example", "Alice", "100", "200", "200", "5", "30",
                                     "overdue", NULL, "0", "1700000000" };
    const char *c[KW_TEAM_NCOLS] = { "eve", "org", "acme.example", "acme.example", NULL, NULL,
                                     "300", "400", "400", "2", "60", "a-future-state", NULL, "0",
                                     "1700000500" };
    const char *unknown[KW_TEAM_NCOLS] = { "eve", "hologram", "x", "acme.example", NULL, NULL, "0",
                                           "0", "0", "0", "0", NULL, NULL, "0", "0" };
    kw_team_record_list_t *list = NULL;
    kw_team_status_t *status = NULL;
    kw_team_pull_tx_t *tx = NULL;

    g_assert_cmpint(kw_team_pull_begin(s, 1, &tx, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, a, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, b, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, c, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, unknown, NULL), ==, KW_OK); /* skipped */
    g_assert_cmpint(kw_team_pull_member(tx, "jan", "Jan Weber", NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_commit(tx, "77", 1700000600, NULL), ==, KW_OK);

    g_assert_cmpint(kw_team_records(s, "sub.acme.example", &list, NULL), ==, KW_OK);
    g_assert_cmpint(list->count, ==, 3);
    /* ordered by org, kind, key, member */
    g_assert_cmpstr(list->items[0].member, ==, "eve");
    g_assert_null(list->items[0].member_name);
    g_assert_cmpint(list->items[0].state, ==, KW_STATE_OK); /* unknown state names read as ok */
    g_assert_cmpstr(list->items[1].member, ==, "jan");
    g_assert_cmpstr(list->items[1].member_name, ==, "Jan Weber");
    g_assert_cmpint(list->items[1].kind, ==, KW_TEAM_RECORD_ORG);
    g_assert_cmpint(list->items[1].last_exchange, ==, 200);
    g_assert_cmpint(list->items[1].updated, ==, 1700000000);
    g_assert_cmpint(list->items[2].kind, ==, KW_TEAM_RECORD_PERSON);
    g_assert_cmpstr(list->items[2].name, ==, "Alice");
    g_assert_cmpint(list->items[2].state, ==, KW_STATE_OVERDUE);
    kw_team_record_list_free(list);

    /* An interrupted pull leaves the store as it was. */
    g_assert_cmpint(kw_team_pull_begin(s, 1, &tx, NULL), ==, KW_OK);
    kw_team_pull_abort(tx);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM team_records"), ==, 3);

    /* An incremental pull: a tombstone and a changed row. */
    b[KW_TEAM_COL_STATE] = "ok";
    g_assert_cmpint(kw_team_pull_begin(s, 0, &tx, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_tombstone(tx, "eve", "org", "acme.example", NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_row(tx, b, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_member(tx, "jan", "Jan W.", NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_commit(tx, "88", 1700000700, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_records(s, NULL, &list, NULL), ==, KW_OK);
    g_assert_cmpint(list->count, ==, 2);
    g_assert_cmpstr(list->items[0].member_name, ==, "Jan W.");
    g_assert_cmpint(list->items[1].state, ==, KW_STATE_OK);
    kw_team_record_list_free(list);

    g_assert_cmpint(kw_team_status_get(s, &status, NULL), ==, KW_OK);
    g_assert_cmpint(status->team_records, ==, 2);
    g_assert_cmpint(status->teammates, ==, 1);
    g_assert_cmpint(status->last_pull, ==, 1700000700);
    g_assert_cmpint(status->pending, ==, 0);
    g_assert_null(status->last_error);
    g_assert_null(status->member);
    kw_team_status_free(status);

    /* A failure is recorded; the next success clears it. */
    kw_team_note_failure(s, "server away", 1700000800);
    g_assert_cmpint(kw_team_status_get(s, &status, NULL), ==, KW_OK);
    g_assert_cmpstr(status->last_error, ==, "server away");
    g_assert_cmpint(status->last_error_time, ==, 1700000800);
    kw_team_status_free(status);
    g_assert_cmpint(kw_team_pull_begin(s, 0, &tx, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_pull_commit(tx, "99", 1700000900, NULL), ==, KW_OK);
    g_assert_cmpint(kw_team_status_get(s, &status, NULL), ==, KW_OK);
    g_assert_null(status->last_error);
    kw_team_status_free(status);

    g_assert_cmpint(kw_team_records(s, "not a domain", &list, NULL), ==, KW_ERR_USAGE);
    kw_store_close(s);
}

/* The public entry points check their arguments. */
static void test_arguments(void)
{
    kw_team_server_t server = { NULL, NULL, NULL, 0, NULL };
    kw_team_push_report_t pr;
    char *err = NULL;

    g_assert_cmpint(kw_team_push(NULL, &server, &pr, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_team_stage(NULL, 1, 1, NULL, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_team_init(&server, NULL, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    server.url = "postgresql://x@db.example.com/y";
    g_assert_cmpint(kw_team_add_member(&server, "Bad Name", NULL, NULL, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_team_add_member(&server, "pg_signal", NULL, NULL, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_team_remove_member(&server, "", NULL, &err), ==, KW_ERR_USAGE);
    g_clear_pointer(&err, g_free);
    g_assert_cmpstr(kw_team_record_kind_to_string(KW_TEAM_RECORD_TOUCH), ==, "touch");
    g_assert_cmpstr(kw_team_record_kind_to_string((kw_team_record_kind_t)9), ==, "unknown");
    g_assert_cmpint(kw_team_schema_version(), >=, 1);
}

int main(int argc, char **argv)
{
    int rc;
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("kw-test-team-XXXXXX", NULL);
    ca_file = g_build_filename(tmpdir, "ca.pem", NULL);
    g_file_set_contents(ca_file, "not read by the policy check\n", -1, NULL);
    g_test_add_func("/team/policy", test_policy);
    g_test_add_func("/team/policy-environment", test_policy_environment);
    g_test_add_func("/team/local-hosts", test_local_hosts);
    g_test_add_func("/team/array-literal", test_array_literal);
    g_test_add_func("/team/stage-and-outbox", test_stage_and_outbox);
    g_test_add_func("/team/bind-server", test_bind_server);
    g_test_add_func("/team/pull-apply", test_pull_apply);
    g_test_add_func("/team/arguments", test_arguments);
    rc = g_test_run();
    {
        char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            rc = rc ? rc : 1;
        g_free(cmd);
    }
    g_free(ca_file);
    g_free(tmpdir);
    return rc;
}
