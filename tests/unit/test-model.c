/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-model.c — model.c and actions.c over a real store (core/store.c) in a
 * temporary directory, filled through SQL the way the sync writes it
 * (messages with their packed addresses, interactions, the aggregate
 * marks). Besides the behaviour of the model handle (who is listed, the
 * resolver, actions, names, settings, timelines), a differential test
 * computes every relationship of random stores twice — from the kept
 * aggregates and from every message — and asserts they are equal, field by
 * field and bit for bit, through syncs, settings and identity changes. */
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "keepwarm.h"
#include "header_parse.h"
#include "model.h"
#include "store.h"

#define T0 ((int64_t) 1704067200) /* 2024-01-01T00:00:00Z */
#define DAY ((int64_t) 86400)
#define AT(d) (T0 + (int64_t) ((d) * (double) DAY))
#define ME "me@mycorp.com"

typedef struct {
    char       *dir;
    char       *path;
    kw_store_t *store;
    int64_t     next_msg;
} fixture_t;

static void exec_sql(kw_store_t *store, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(kw_store_db(store), sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        g_error("SQL failed: %s\n%s", err, sql);
}

static int64_t contact(fixture_t *f, const char *email, const char *name)
{
    sqlite3_stmt *st;
    const char *at = strchr(email, '@');
    int64_t id;
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT INTO contacts(email, name, domain) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT(email) DO UPDATE SET name = coalesce(excluded.name, contacts.name) RETURNING id",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    if (name)
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, at ? at + 1 : "", -1, SQLITE_STATIC);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* A message as the sync writes it: the message with its packed addresses
 * (From `from`, To `to`, Cc `cc` when > 0), the one interaction it gives
 * (with `party`, `direction` 1 they wrote, 2 you wrote), the aggregate mark. */
static void store_message(fixture_t *f, int64_t from, int64_t to, int64_t cc, int64_t party,
                          int direction, int64_t t, unsigned flags, int n_rcpt, const char *subject)
{
    sqlite3_stmt *st;
    int64_t mid = ++f->next_msg;
    GByteArray *addrs = g_byte_array_new();

    kw_addrs_append(addrs, KW_ROLE_FROM, from);
    kw_addrs_append(addrs, KW_ROLE_TO, to);
    if (cc > 0)
        kw_addrs_append(addrs, KW_ROLE_CC, cc);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT INTO messages(id, account_id, identity_key, fingerprint, subject, date, "
                       "flags, n_recipients, from_contact, addrs) "
                       "VALUES (?1, 1, ?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t);
    sqlite3_bind_int(st, 4, (int) flags);
    sqlite3_bind_int(st, 5, n_rcpt);
    sqlite3_bind_int64(st, 6, from);
    sqlite3_bind_blob(st, 7, addrs->data, (int) addrs->len, SQLITE_TRANSIENT);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
    g_byte_array_free(addrs, TRUE);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT INTO interactions(contact_id, date, message_id, direction, flags, "
                       "n_recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, party);
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int64(st, 3, mid);
    sqlite3_bind_int(st, 4, direction);
    sqlite3_bind_int(st, 5, (int) flags);
    sqlite3_bind_int(st, 6, n_rcpt);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(kw_store_db(f->store), "INSERT OR IGNORE INTO agg_dirty VALUES (?1)", -1,
                       &st, NULL);
    sqlite3_bind_int64(st, 1, party);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
}

/* One message between the user and `email`, at a time in seconds:
 * direction 1 they wrote, 2 you wrote. */
static void message_at(fixture_t *f, const char *email, int64_t t, int direction, unsigned flags,
                       int n_rcpt, const char *subject)
{
    int64_t cid = contact(f, email, NULL), me = contact(f, ME, NULL);
    store_message(f, direction == 1 ? cid : me, direction == 1 ? me : cid, 0, cid, direction, t,
                  flags, n_rcpt, subject);
}

/* A colleague's mail (From `from`, not the user) to `to`, with the user in
 * Cc when `cc_me` (else the user had it in Bcc): since the user did not
 * write it, one inbound interaction from the colleague. */
static void colleague_mail_at(fixture_t *f, const char *from, const char *to, int cc_me, int64_t t,
                              unsigned flags, int n_rcpt, const char *subject)
{
    int64_t fid = contact(f, from, NULL), tid = contact(f, to, NULL);
    store_message(f, fid, tid, cc_me ? contact(f, ME, NULL) : 0, fid, 1, t, flags, n_rcpt, subject);
}

static void colleague_mail(fixture_t *f, const char *from, const char *to, int cc_me, double day,
                           unsigned flags, int n_rcpt, const char *subject)
{
    colleague_mail_at(f, from, to, cc_me, AT(day), flags, n_rcpt, subject);
}

/* A teammate's record as a pull stores it (team_local.c): kind "org" (key
 * the organisation), "person" (key the address) or "touch" (a logged call
 * or meeting on `touch_day`). Days < 0 mean none. */
static void team_record(fixture_t *f, const char *member, const char *member_name,
                        const char *kind, const char *key, const char *org, const char *person,
                        double exchange_day, const char *touch_kind, double touch_day)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT OR REPLACE INTO team_records(member, kind, key, org, person, "
                       "last_exchange, exchanges, cadence_days, state, touch_kind, touch_time) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 3, 30, 'ok', ?7, ?8)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, person, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, exchange_day < 0 ? 0 : AT(exchange_day));
    sqlite3_bind_text(st, 7, touch_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, touch_day < 0 ? 0 : AT(touch_day));
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT OR REPLACE INTO team_members(member, display_name) VALUES (?1, ?2)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, member_name, -1, SQLITE_STATIC);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
}

static void message(fixture_t *f, const char *email, double day, int direction, unsigned flags,
                    int n_rcpt, const char *subject)
{
    message_at(f, email, AT(day), direction, flags, n_rcpt, subject);
}

/* `count` exchanges every `every` days from `start`: they write, you answer. */
static void exchanges(fixture_t *f, const char *email, double start, double every, int count)
{
    for (int k = 0; k < count; k++) {
        message(f, email, start + k * every + 0.40, 1, 0, 1, "Question");
        message(f, email, start + k * every + 0.60, 2, 0, 1, "Re: Question");
    }
}

static void fixture_setup(fixture_t *f, gconstpointer data)
{
    char *error = NULL;
    (void) data;
    f->dir = g_dir_make_tmp("kw-test-model-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->path = g_build_filename(f->dir, "kw.db", NULL);
    g_assert_cmpint(kw_store_open(f->path, KW_STORE_READ_WRITE, &f->store, &error), ==, KW_OK);
    exec_sql(f->store, "INSERT INTO accounts(id, name) VALUES (1, 'work');"
                       "INSERT INTO identities(account_id, email) VALUES (1, 'me@mycorp.com');"
                       "INSERT INTO identities(account_id, email) VALUES (1, 'me.private@gmail.com');"
                       "INSERT INTO own_domains(domain) VALUES ('mycorp-labs.de');");
    f->next_msg = 0;
}

/* Remove the directory and everything the store left in it (-wal, -shm,
 * the .checked marker): tests leave nothing in the temporary directory. */
static void fixture_teardown(fixture_t *f, gconstpointer data)
{
    GDir *d;
    const char *name;
    (void) data;
    kw_store_close(f->store);
    d = g_dir_open(f->dir, 0, NULL);
    while (d && (name = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(f->dir, name, NULL);
        g_assert_cmpint(g_unlink(p), ==, 0);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_assert_cmpint(g_rmdir(f->dir), ==, 0);
    g_free(f->path);
    g_free(f->dir);
}

/* What a writer does when it closes: bring the aggregates up to date. */
static void refresh(fixture_t *f)
{
    char *error = NULL;
    g_assert_cmpint(kw_model_refresh_aggregates(f->store, &error), ==, KW_OK);
    g_assert_null(error);
}

/* A small seller's world; as of day 400. */
static void fill_world(fixture_t *f)
{
    exec_sql(f->store, "BEGIN");
    contact(f, "jane@acme.com", "Jane Doe");
    contact(f, "carl@gmail.com", "Carl Free");
    /* acme.com: Jane, monthly, last exchange day 390 -> ok */
    exchanges(f, "jane@acme.com", 30, 30, 13);
    /* old.example: steady 21 days, silent since day 100 -> overdue */
    exchanges(f, "bob@sub.old.example", 0, 21, 5);
    /* a freemail customer: listed as a person, overdue */
    exchanges(f, "carl@gmail.com", 0, 30, 6);
    /* initech.co.uk: the customer wrote on day 393, unanswered -> awaiting your reply */
    exchanges(f, "pat@initech.co.uk", 100, 30, 10);
    message(f, "pat@initech.co.uk", 393, 1, 0, 1, "Urgent question");
    /* the user's own address and a colleague (identity domain, own_domains) */
    message(f, "me@mycorp.com", 10, 1, 0, 2, "note to self");
    exchanges(f, "tim@mycorp.com", 0, 7, 50);
    exchanges(f, "lab@mycorp-labs.de", 0, 7, 50);
    /* a newsletter the user answered once, and a no-reply notifier */
    for (int k = 0; k < 50; k++)
        message(f, "news@letters.example", k * 7, 1, KW_MSG_LIST | KW_MSG_BULK, 1, "Weekly");
    message(f, "news@letters.example", 20, 2, 0, 1, "unsubscribe");
    for (int k = 0; k < 30; k++)
        message(f, "noreply@tool.example", k * 10, 1, KW_MSG_AUTO, 1, "Alert");
    message(f, "noreply@tool.example", 50, 2, 0, 1, "Re: Alert");
    /* cold outreach, never answered: a prospect */
    message(f, "lead@prospect.example", 380, 2, 0, 1, "Intro");
    message(f, "lead@prospect.example", 390, 2, 0, 1, "Following up");
    /* someone who wrote but the user never wrote to */
    message(f, "stranger@random.example", 300, 1, 0, 1, "Hi");
    /* a broadcast recipient only */
    message(f, "many@crowd.example", 300, 2, 0, 80, "Announcement");
    message(f, "many@crowd.example", 301, 1, 0, 1, "Re: Announcement");
    exec_sql(f->store, "COMMIT");
}

static kw_model_t *load(fixture_t *f, double as_of, int exact)
{
    kw_model_options_t o = { .as_of = AT(as_of), .exact = exact };
    kw_model_t *m = NULL;
    char *error = NULL;
    g_assert_cmpint(kw_model_load(f->store, &o, &m, &error), ==, KW_OK);
    g_assert_null(error);
    return m;
}

static const kw_relationship_t *find_rel(const kw_relationship_list_t *l, const char *key)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return &l->items[i];
    return NULL;
}

static kw_relationship_list_t *query(fixture_t *f, double as_of, kw_grouping_t by, int all)
{
    kw_list_options_t lo = { .by = by, .states = all ? KW_STATES_ALL : 0 };
    kw_relationship_list_t *l = NULL;
    kw_model_t *m = load(f, as_of, 0);
    char *error = NULL;
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_OK);
    g_assert_null(error);
    kw_model_free(m);
    return l;
}

static kw_status_t get(fixture_t *f, double as_of, const char *target, kw_relationship_t **r,
                       char **error)
{
    kw_model_t *m = load(f, as_of, 0);
    kw_status_t s = kw_model_relationship(m, target, r, error);
    kw_model_free(m);
    return s;
}

static void test_who_is_listed(fixture_t *f, gconstpointer data)
{
    kw_relationship_list_t *l;
    const kw_relationship_t *r;
    (void) data;
    fill_world(f);
    for (int kept = 0; kept < 2; kept++) {
        /* first computed from the messages (nothing kept yet), then from
         * the aggregates a writer keeps */
        if (kept)
            refresh(f);
        l = query(f, 400, KW_BY_ORG, 1);
        /* exactly the four customer relationships; no noise, no prospects,
         * no strangers, no colleagues, no broadcast-only recipients */
        g_assert_cmpint(l->count, ==, 4);
        g_assert_nonnull(r = find_rel(l, "acme.com"));
        g_assert_cmpint(r->kind, ==, KW_TARGET_ORG);
        g_assert_cmpstr(kw_state_to_string(r->state), ==, "ok");
        g_assert_cmpint(r->cadence_days, ==, 30);
        g_assert_cmpint(r->reason.cadence_source, ==, KW_CADENCE_LEARNED);
        g_assert_cmpstr(r->people[0], ==, "jane@acme.com");
        g_assert_null(r->people[1]);
        g_assert_cmpstr(r->main_person, ==, "jane@acme.com");
        g_assert_cmpstr(r->reason.last_exchange_with.name, ==, "Jane Doe");
        g_assert_cmpstr(r->reason.last_exchange_with.address, ==, "jane@acme.com");
        /* a name derived from the domain, the domain stays the key */
        g_assert_cmpstr(r->display_name, ==, "Acme");
        g_assert_false(r->display_name_user_set);
        /* sub.old.example rolls up into old.example */
        g_assert_nonnull(r = find_rel(l, "old.example"));
        g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
        /* the freemail customer is a person, not "gmail.com" */
        g_assert_null(find_rel(l, "gmail.com"));
        g_assert_nonnull(r = find_rel(l, "carl@gmail.com"));
        g_assert_cmpint(r->kind, ==, KW_TARGET_PERSON);
        g_assert_cmpstr(r->display_name, ==, "Carl Free");
        g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
        g_assert_nonnull(r = find_rel(l, "initech.co.uk"));
        g_assert_cmpstr(kw_state_to_string(r->state), ==, "awaiting-your-reply");
        g_assert_cmpint(r->reason.waiting, ==, KW_WAITING_ON_YOU);
        g_assert_cmpint(r->reason.waiting_since, ==, AT(393));
        g_assert_cmpstr(r->reason.waiting_person.address, ==, "pat@initech.co.uk");
        g_assert_cmpstr(r->display_name, ==, "Initech");
        /* ranking: needing attention first, the ok one last */
        g_assert_cmpstr(l->items[3].key, ==, "acme.com");
        kw_relationship_list_free(l);

        /* default: only those needing attention */
        l = query(f, 400, KW_BY_ORG, 0);
        g_assert_cmpint(l->count, ==, 3);
        g_assert_null(find_rel(l, "acme.com"));
        kw_relationship_list_free(l);

        /* by person: addresses as keys */
        l = query(f, 400, KW_BY_PERSON, 1);
        g_assert_cmpint(l->count, ==, 4);
        g_assert_nonnull(find_rel(l, "bob@sub.old.example"));
        kw_relationship_list_free(l);

        /* as of day 95, old.example was fine and later mail is ignored */
        l = query(f, 95, KW_BY_ORG, 1);
        g_assert_nonnull(r = find_rel(l, "old.example"));
        g_assert_cmpstr(kw_state_to_string(r->state), ==, "ok");
        g_assert_null(find_rel(l, "initech.co.uk")); /* no mail yet */
        kw_relationship_list_free(l);
    }
}

static void test_list_options(fixture_t *f, gconstpointer data)
{
    kw_model_t *m;
    kw_relationship_list_t *l = NULL;
    kw_list_options_t lo = { 0 };
    char *error = NULL;
    (void) data;
    fill_world(f);
    refresh(f);
    m = load(f, 400, 0);
    /* one state */
    lo.states = KW_STATE_BIT(KW_STATE_OK);
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_OK);
    g_assert_cmpint(l->count, ==, 1);
    g_assert_cmpstr(l->items[0].key, ==, "acme.com");
    kw_relationship_list_free(l);
    /* a limit keeps the best ranked */
    lo.states = KW_STATES_ALL;
    lo.limit = 2;
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_OK);
    g_assert_cmpint(l->count, ==, 2);
    g_assert_cmpint(l->items[0].state, !=, KW_STATE_OK);
    kw_relationship_list_free(l);
    /* NULL options: the default list */
    g_assert_cmpint(kw_model_relationships(m, NULL, &l, &error), ==, KW_OK);
    g_assert_cmpint(l->count, ==, 3);
    kw_relationship_list_free(l);
    /* unknown state bits */
    lo.states = 1u << 20;
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_ERR_USAGE);
    g_assert_nonnull(error);
    g_clear_pointer(&error, kw_free);
    kw_model_free(m);
    /* the model needs a time */
    {
        kw_model_options_t o = { 0 };
        g_assert_cmpint(kw_model_load(f->store, &o, &m, &error), ==, KW_ERR_USAGE);
        g_clear_pointer(&error, kw_free);
        g_assert_cmpint(kw_model_load(f->store, NULL, &m, NULL), ==, KW_ERR_USAGE);
    }
}

static void test_contacts(fixture_t *f, gconstpointer data)
{
    kw_contact_list_t *l = NULL;
    kw_model_t *m;
    char *error = NULL;
    static const struct {
        const char *email;
        const char *kind;
    } kinds[] = {
        { "me@mycorp.com", "self" },
        { "tim@mycorp.com", "colleague" },      /* the identity's domain */
        { "lab@mycorp-labs.de", "colleague" },  /* own_domains */
        { "news@letters.example", "list" },
        { "noreply@tool.example", "automated" },
        { "jane@acme.com", "person" },
        { "carl@gmail.com", "person" },         /* gmail.com identity makes no colleagues */
        { "lead@prospect.example", "person" },
        { "stranger@random.example", "person" },
    };
    (void) data;
    fill_world(f);
    refresh(f);
    m = load(f, 1000, 0);
    g_assert_cmpint(kw_model_contacts(m, 1, &l, &error), ==, KW_OK);
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        const kw_contact_t *c = NULL;
        for (size_t i = 0; i < l->count; i++)
            if (strcmp(l->items[i].email, kinds[k].email) == 0)
                c = &l->items[i];
        g_test_message("contact %s", kinds[k].email);
        g_assert_nonnull(c);
        g_assert_cmpstr(kw_contact_kind_to_string(c->kind), ==, kinds[k].kind);
    }
    /* counts and dates of one contact */
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].email, "pat@initech.co.uk") == 0) {
            g_assert_cmpint(l->items[i].inbound, ==, 11);
            g_assert_cmpint(l->items[i].outbound, ==, 10);
            g_assert_cmpint(l->items[i].last_inbound, ==, AT(393));
            g_assert_cmpstr(l->items[i].org, ==, "initech.co.uk");
        }
    /* most recent first */
    for (size_t i = 1; i < l->count; i++) {
        int64_t a = MAX(l->items[i - 1].last_inbound, l->items[i - 1].last_outbound);
        int64_t b = MAX(l->items[i].last_inbound, l->items[i].last_outbound);
        g_assert_cmpint(a, >=, b);
    }
    kw_contact_list_free(l);

    /* without --all: people the user wrote to (customers, prospects,
     * the broadcast recipient is out: a broadcast is not writing to someone) */
    g_assert_cmpint(kw_model_contacts(m, 0, &l, &error), ==, KW_OK);
    g_assert_cmpint(l->count, ==, 5); /* jane, bob, carl, pat, lead */
    for (size_t i = 0; i < l->count; i++)
        g_assert_cmpint(l->items[i].kind, ==, KW_KIND_PERSON);
    kw_contact_list_free(l);
    kw_model_free(m);

    /* counts as of a past day */
    m = load(f, 200, 0);
    g_assert_cmpint(kw_model_contacts(m, 1, &l, &error), ==, KW_OK);
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].email, "pat@initech.co.uk") == 0)
            g_assert_cmpint(l->items[i].inbound, ==, 4); /* days 100, 130, 160, 190 */
    kw_contact_list_free(l);
    kw_model_free(m);
}

/* The one resolver: every usual way to write a target. */
static void test_resolver(fixture_t *f, gconstpointer data)
{
    static const struct {
        const char *text;
        kw_status_t status;
        kw_target_kind_t kind;
        const char *key;
    } cases[] = {
        { "jane@acme.com", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "  Jane@ACME.com ", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },  /* case, spaces */
        { "<jane@acme.com>", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "Jane Doe <jane@acme.com>", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "\"Doe, Jane\" <Jane@Acme.com>", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "mailto:jane@acme.com", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "MAILTO:jane%40acme.com?subject=Hi", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "acme.com", KW_OK, KW_TARGET_ORG, "acme.com" },
        { "ACME.COM", KW_OK, KW_TARGET_ORG, "acme.com" },
        { "sub.old.example", KW_OK, KW_TARGET_ORG, "old.example" },      /* a subdomain */
        { "@old.example", KW_OK, KW_TARGET_ORG, "old.example" },
        { "bücher.example", KW_OK, KW_TARGET_ORG, "bücher.example" },    /* IDN, Unicode */
        { "xn--bcher-kva.example", KW_OK, KW_TARGET_ORG, "bücher.example" }, /* IDN, ASCII */
        { "ANNA@XN--BCHER-KVA.EXAMPLE", KW_OK, KW_TARGET_PERSON, "anna@bücher.example" },
        { "news@letters.example", KW_OK, KW_TARGET_PERSON, "news@letters.example" }, /* noise is known */
        { "nobody@nowhere.example", KW_ERR_NOT_FOUND, 0, NULL },
        { "nowhere.example", KW_ERR_NOT_FOUND, 0, NULL },
        { "gmail.com", KW_ERR_NOT_FOUND, 0, NULL },   /* free mail is no organisation */
        { "not an address@", KW_ERR_USAGE, 0, NULL },
        /* names: an organisation's stem or name, a person's name or the
         * words of their address, in any case, with or without accents */
        { "acme", KW_OK, KW_TARGET_ORG, "acme.com" },
        { "ACME", KW_OK, KW_TARGET_ORG, "acme.com" },
        { "initech", KW_OK, KW_TARGET_ORG, "initech.co.uk" },   /* the stem of a .co.uk */
        { "Jane Doe", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },
        { "jäne DOE", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },  /* accents, case */
        { "doe", KW_OK, KW_TARGET_PERSON, "jane@acme.com" },    /* a word of the name */
        { "carl", KW_OK, KW_TARGET_PERSON, "carl@gmail.com" },
        { "pat", KW_OK, KW_TARGET_PERSON, "pat@initech.co.uk" }, /* the address's words */
        { "anna", KW_OK, KW_TARGET_PERSON, "anna@bücher.example" },
        { "bucher", KW_OK, KW_TARGET_ORG, "bücher.example" },    /* an IDN stem without accents */
        { "Alice Jones", KW_ERR_AMBIGUOUS, 0, NULL },           /* two people of that name */
        { "alice", KW_ERR_AMBIGUOUS, 0, NULL },
        { "alice.jones", KW_OK, KW_TARGET_PERSON, "alice.jones@gmail.com" }, /* not a domain */
        { "tim", KW_ERR_NOT_FOUND, 0, NULL },                   /* a colleague is no candidate */
        { "letters", KW_ERR_NOT_FOUND, 0, NULL },               /* nor a newsletter */
        { "acmee", KW_ERR_NOT_FOUND, 0, NULL },                 /* a typo: only suggested */
        { "acme.org", KW_ERR_NOT_FOUND, 0, NULL },              /* another ending: suggested */
        { "localhost", KW_ERR_NOT_FOUND, 0, NULL },             /* nobody of that name */
        { "", KW_ERR_USAGE, 0, NULL },
        { "mailto:", KW_ERR_USAGE, 0, NULL },
    };
    kw_model_t *m;
    (void) data;
    fill_world(f);
    exec_sql(f->store, "BEGIN");
    exchanges(f, "anna@bücher.example", 10, 30, 3);
    contact(f, "alice@umbrella.fr", "Alice Jones");
    exchanges(f, "alice@umbrella.fr", 10, 30, 3);
    contact(f, "alice.jones@gmail.com", "Alice Jones");
    exchanges(f, "alice.jones@gmail.com", 10, 30, 5);
    exec_sql(f->store, "COMMIT");
    refresh(f);
    m = load(f, 400, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_target_t *t = NULL;
        char *error = NULL;
        kw_status_t s = kw_model_resolve(m, cases[i].text, &t, &error);
        g_test_message("'%s'", cases[i].text);
        g_assert_cmpint(s, ==, cases[i].status);
        if (s == KW_OK) {
            g_assert_cmpint(t->kind, ==, cases[i].kind);
            g_assert_cmpstr(t->key, ==, cases[i].key);
            g_assert_nonnull(t->display_name);
            g_assert_null(error);
        } else {
            g_assert_null(t);
            g_assert_nonnull(error);
        }
        kw_target_free(t);
        kw_free(error);
    }
    /* the candidates behind "did you mean" */
    {
        kw_candidate_list_t *c = NULL;
        char *error = NULL;
        g_assert_cmpint(kw_model_find(m, "alice", 0, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->query, ==, KW_QUERY_NAME);
        g_assert_cmpint(c->total, ==, 2);
        g_assert_cmpint(c->count, ==, 2);
        /* the busier one (more mail) first */
        g_assert_cmpstr(c->items[0].target.key, ==, "alice.jones@gmail.com");
        g_assert_cmpstr(c->items[1].target.key, ==, "alice@umbrella.fr");
        g_assert_cmpint(c->items[0].match, ==, KW_MATCH_WORDS);
        g_assert_cmpstr(c->items[0].matched, ==, "Alice Jones");
        g_assert_cmpstr(c->items[0].target.display_name, ==, "Alice Jones");
        kw_candidate_list_free(c);
        /* at most max items, total says how many */
        g_assert_cmpint(kw_model_find(m, "alice", 1, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->total, ==, 2);
        g_assert_cmpint(c->count, ==, 1);
        kw_candidate_list_free(c);
        /* a typo: a similar one, suggested */
        g_assert_cmpint(kw_model_find(m, "acmee", 0, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->count, ==, 1);
        g_assert_cmpstr(c->items[0].target.key, ==, "acme.com");
        g_assert_cmpint(c->items[0].match, ==, KW_MATCH_SIMILAR);
        kw_candidate_list_free(c);
        /* a known domain, an unknown one with a known stem */
        g_assert_cmpint(kw_model_find(m, "acme.com", 0, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->query, ==, KW_QUERY_DOMAIN);
        g_assert_true(c->known);
        g_assert_cmpint(c->items[0].match, ==, KW_MATCH_EXACT);
        kw_candidate_list_free(c);
        g_assert_cmpint(kw_model_find(m, "acme.org", 0, &c, &error), ==, KW_OK);
        g_assert_false(c->known);
        g_assert_cmpint(c->count, ==, 1);
        g_assert_cmpstr(c->items[0].target.key, ==, "acme.com");
        kw_candidate_list_free(c);
        /* an unknown address near a known one */
        g_assert_cmpint(kw_model_find(m, "jnae@acme.com", 0, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->query, ==, KW_QUERY_ADDRESS);
        g_assert_false(c->known);
        g_assert_cmpint(c->count, ==, 1);
        g_assert_cmpstr(c->items[0].target.key, ==, "jane@acme.com");
        kw_candidate_list_free(c);
        /* nothing at all */
        g_assert_cmpint(kw_model_find(m, "zzzyx", 0, &c, &error), ==, KW_OK);
        g_assert_cmpint(c->count, ==, 0);
        kw_candidate_list_free(c);
        g_assert_cmpint(kw_model_find(m, "  ", 0, &c, &error), ==, KW_ERR_USAGE);
        g_assert_null(c);
        kw_free(error);
    }
    /* the same forms work for every command: show and actions */
    {
        kw_relationship_t *r = NULL;
        char *error = NULL;
        g_assert_cmpint(kw_model_relationship(m, "mailto:Jane@acme.com", &r, &error), ==, KW_OK);
        g_assert_cmpstr(r->key, ==, "jane@acme.com");
        kw_relationship_free(r);
        g_assert_cmpint(kw_snooze(f->store, "Jane Doe <JANE@acme.com>", AT(500), &error), ==, KW_OK);
        g_assert_cmpint(kw_snooze(f->store, "mailto:jane@acme.com", AT(500), &error), ==, KW_OK);
        g_assert_null(error);
    }
    kw_model_free(m);
}

static void test_actions(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r = NULL;
    kw_relationship_list_t *l;
    char *error = NULL;
    (void) data;
    fill_world(f);
    refresh(f);

    /* unknown targets: a clear error and KW_ERR_NOT_FOUND */
    g_assert_cmpint(kw_snooze(f->store, "nobody@nowhere.example", AT(500), &error), ==, KW_ERR_NOT_FOUND);
    g_assert_nonnull(error);
    g_assert_true(strstr(error, "nobody@nowhere.example") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_ignore(f->store, "nowhere.example", &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    /* a freemail domain is not an organisation */
    g_assert_cmpint(kw_ignore(f->store, "gmail.com", &error), ==, KW_ERR_NOT_FOUND);
    g_assert_true(strstr(error, "free-mail") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_set_cadence(f->store, "acme.com", -3, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, kw_free);

    /* snooze an organisation, named by a subdomain in capitals */
    g_assert_cmpint(kw_snooze(f->store, "SUB.Old.Example", AT(420), &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "old.example", &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "snoozed");
    g_assert_cmpint(r->snoozed_until, ==, AT(420));
    g_assert_cmpint(r->reason.snoozed_until, ==, AT(420));
    kw_relationship_free(r);
    /* after the date it is back */
    g_assert_cmpint(get(f, 421, "old.example", &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    g_assert_cmpint(r->snoozed_until, ==, 0);
    kw_relationship_free(r);

    /* ignore a freemail person by address (mixed case) */
    g_assert_cmpint(kw_ignore(f->store, "Carl@Gmail.com", &error), ==, KW_OK);
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_null(find_rel(l, "carl@gmail.com"));
    g_assert_null(find_rel(l, "old.example")); /* snoozed */
    g_assert_nonnull(find_rel(l, "initech.co.uk"));
    kw_relationship_list_free(l);
    l = query(f, 400, KW_BY_ORG, 1);
    g_assert_cmpstr(kw_state_to_string(find_rel(l, "carl@gmail.com")->state), ==, "ignored");
    g_assert_true(find_rel(l, "carl@gmail.com")->reason.ignored);
    kw_relationship_list_free(l);
    g_assert_cmpint(kw_unignore(f->store, "carl@gmail.com", &error), ==, KW_OK);
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_nonnull(find_rel(l, "carl@gmail.com"));
    kw_relationship_list_free(l);

    /* user cadence wins, note shows up; "auto" (0) returns to learned */
    g_assert_cmpint(kw_set_cadence(f->store, "acme.com", 5, &error), ==, KW_OK);
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "Met at the fair", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "acme.com", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->cadence_days, ==, 5);
    g_assert_cmpint(r->reason.cadence_source, ==, KW_CADENCE_USER);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    kw_relationship_free(r);
    g_assert_cmpint(get(f, 400, "jane@acme.com", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->note, ==, "Met at the fair");
    g_assert_cmpint(r->cadence_days, ==, 5); /* the organisation's setting applies */
    kw_relationship_free(r);
    g_assert_cmpint(kw_set_cadence(f->store, "acme.com", 0, &error), ==, KW_OK);
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "", &error), ==, KW_OK);
    g_assert_cmpint(kw_unsnooze(f->store, "old.example", &error), ==, KW_OK);
    /* every row back at defaults is gone */
    {
        sqlite3_stmt *st;
        sqlite3_prepare_v2(kw_store_db(f->store), "SELECT count(*) FROM settings", -1, &st, NULL);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int(st, 0), ==, 0);
        sqlite3_finalize(st);
    }

    /* ignoring a person takes them out of the organisation's roll-up */
    exec_sql(f->store, "BEGIN");
    exchanges(f, "leaver@acme.com", 395, 1, 1);
    exec_sql(f->store, "COMMIT");
    g_assert_cmpint(get(f, 400, "acme.com", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->people[0], ==, "leaver@acme.com");
    kw_relationship_free(r);
    g_assert_cmpint(kw_ignore(f->store, "leaver@acme.com", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "acme.com", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->people[0], ==, "jane@acme.com");
    g_assert_null(r->people[1]);
    g_assert_cmpstr(r->people_names[0], ==, "Jane Doe");
    g_assert_null(r->people_names[1]);
    kw_relationship_free(r);
    /* ... and lists them on their own among the ignored */
    l = query(f, 400, KW_BY_ORG, 1);
    g_assert_nonnull(find_rel(l, "leaver@acme.com"));
    g_assert_cmpint(find_rel(l, "leaver@acme.com")->state, ==, KW_STATE_IGNORED);
    kw_relationship_list_free(l);
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_null(find_rel(l, "leaver@acme.com"));
    kw_relationship_list_free(l);
    g_assert_null(error);
}

/* Every action can be undone: the action log keeps what was before. */
static void test_undo(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r = NULL;
    kw_action_list_t *log = NULL;
    kw_action_t *a = NULL;
    char *error = NULL;
    int64_t ignore_id, snooze_id, note_id;
    (void) data;
    fill_world(f);
    refresh(f);

    g_assert_cmpint(kw_store_last_action(f->store), ==, 0);
    g_assert_cmpint(kw_action_undo(f->store, 0, &a, &error), ==, KW_ERR_NOT_FOUND);
    g_assert_null(a);
    g_clear_pointer(&error, kw_free);

    /* a mis-click: ignore the domain; undo brings it back */
    g_assert_cmpint(kw_ignore(f->store, "initech", &error), ==, KW_OK); /* by name */
    ignore_id = kw_store_last_action(f->store);
    g_assert_cmpint(ignore_id, >, 0);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_IGNORED);
    kw_relationship_free(r);
    g_assert_cmpint(kw_action_undo(f->store, ignore_id, &a, &error), ==, KW_OK);
    g_assert_cmpint(a->id, ==, ignore_id);
    g_assert_cmpint(a->kind, ==, KW_ACTION_IGNORE);
    g_assert_cmpstr(a->target, ==, "initech.co.uk");
    g_assert_cmpint(a->before, ==, 0);
    g_assert_cmpint(a->after, ==, 1);
    kw_action_free(a);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    kw_relationship_free(r);
    /* once only */
    g_assert_cmpint(kw_action_undo(f->store, ignore_id, NULL, &error), ==, KW_ERR_USAGE);
    g_assert_true(strstr(error, "already undone") != NULL);
    g_clear_pointer(&error, kw_free);

    /* a snooze over another snooze returns to the first one */
    g_assert_cmpint(kw_snooze(f->store, "old.example", AT(420), &error), ==, KW_OK);
    g_assert_cmpint(kw_snooze(f->store, "old.example", AT(500), &error), ==, KW_OK);
    snooze_id = kw_store_last_action(f->store);
    g_assert_cmpint(kw_action_undo(f->store, 0, NULL, &error), ==, KW_OK); /* the newest */
    g_assert_cmpint(get(f, 400, "old.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->snoozed_until, ==, AT(420));
    kw_relationship_free(r);
    /* the older snooze, changed since by the undone one: undone again is fine */
    g_assert_cmpint(kw_action_undo(f->store, 0, NULL, &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "old.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OVERDUE);
    kw_relationship_free(r);

    /* notes: the text before comes back; a change since blocks the undo */
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "first", &error), ==, KW_OK);
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "second", &error), ==, KW_OK);
    note_id = kw_store_last_action(f->store);
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "third", &error), ==, KW_OK);
    g_assert_cmpint(kw_action_undo(f->store, note_id, NULL, &error), ==, KW_ERR_USAGE);
    g_assert_true(strstr(error, "changed again") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_action_undo(f->store, 0, NULL, &error), ==, KW_OK);  /* "third" */
    g_assert_cmpint(kw_action_undo(f->store, note_id, NULL, &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "jane@acme.com", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->note, ==, "first");
    g_assert_false(r->note_from_org);
    kw_relationship_free(r);

    /* an organisation's note is the person's only as inherited */
    g_assert_cmpint(kw_set_note(f->store, "initech.co.uk", "Key account", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "pat@initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->note, ==, "Key account");
    g_assert_true(r->note_from_org);
    kw_relationship_free(r);

    /* "no answer needed": the owed reply is settled, and undone */
    g_assert_cmpint(kw_settle(f->store, "initech.co.uk", AT(400), &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, !=, KW_STATE_AWAITING_YOUR_REPLY);
    g_assert_cmpint(r->reason.settled_until, ==, AT(400));
    kw_relationship_free(r);
    g_assert_cmpint(kw_action_undo(f->store, 0, NULL, &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    kw_relationship_free(r);

    /* the log, newest first */
    g_assert_cmpint(kw_actions_list(f->store, 3, &log, &error), ==, KW_OK);
    g_assert_cmpint(log->count, ==, 3);
    g_assert_cmpint(log->items[0].kind, ==, KW_ACTION_SETTLE);
    g_assert_cmpint(log->items[0].undone, >, 0);
    g_assert_cmpint(log->items[1].kind, ==, KW_ACTION_NOTE);
    g_assert_cmpstr(log->items[1].after_text, ==, "Key account");
    g_assert_null(log->items[1].before_text);
    g_assert_cmpint(log->items[1].undone, ==, 0);
    g_assert_cmpint(log->items[0].id, >, log->items[1].id);
    kw_action_list_free(log);
    g_assert_cmpint(kw_action_undo(f->store, 999999, NULL, &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpstr(kw_action_kind_to_string(KW_ACTION_SNOOZE), ==, "snooze");

    /* a tier is a setting like the others: logged, and undone */
    g_assert_cmpint(kw_set_tier(f->store, "initech.co.uk", KW_TIER_B, &error), ==, KW_OK);
    g_assert_cmpint(kw_set_tier(f->store, "initech.co.uk", KW_TIER_A, &error), ==, KW_OK);
    g_assert_cmpint(kw_action_undo(f->store, 0, &a, &error), ==, KW_OK);
    g_assert_cmpint(a->kind, ==, KW_ACTION_TIER);
    g_assert_cmpint(a->before, ==, KW_TIER_B);
    g_assert_cmpint(a->after, ==, KW_TIER_A);
    kw_action_free(a);
    g_assert_cmpint(get(f, 400, "pat@initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->tier, ==, KW_TIER_B); /* the organisation's, back as it was */
    kw_relationship_free(r);
    g_assert_cmpstr(kw_action_kind_to_string(KW_ACTION_TIER), ==, "tier");
    (void) snooze_id;
    g_assert_null(error);
}

static void test_names_and_default_cadence(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r = NULL;
    char *error = NULL;
    int days = -1;
    (void) data;
    fill_world(f);
    refresh(f);

    /* the user's name for an organisation wins; the key stays */
    g_assert_cmpint(kw_set_name(f->store, "initech.co.uk", "Initech Ltd \x1b[2J", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->display_name, ==, "Initech Ltd [2J"); /* no control characters kept */
    g_assert_true(r->display_name_user_set);
    g_assert_cmpstr(r->key, ==, "initech.co.uk");
    kw_relationship_free(r);
    /* and for a person, also in the reasons that name them */
    g_assert_cmpint(kw_set_name(f->store, "pat@initech.co.uk", "Patricia", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->reason.waiting_person.name, ==, "Patricia");
    kw_relationship_free(r);
    g_assert_cmpint(kw_set_name(f->store, "initech.co.uk", "", &error), ==, KW_OK);
    g_assert_cmpint(get(f, 400, "initech.co.uk", &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->display_name, ==, "Initech");
    g_assert_false(r->display_name_user_set);
    kw_relationship_free(r);
    g_assert_cmpint(kw_set_name(f->store, "initech.co.uk", "\xff bad", &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, kw_free);

    /* the default cadence lives in the store; the options may override it */
    g_assert_cmpint(kw_store_get_default_cadence(f->store, &days, &error), ==, KW_OK);
    g_assert_cmpint(days, ==, 0);
    g_assert_cmpint(get(f, 400, "lead@prospect.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->cadence_days, ==, KW_DEFAULT_CADENCE_DAYS);
    g_assert_cmpint(r->reason.cadence_source, ==, KW_CADENCE_DEFAULT);
    kw_relationship_free(r);
    g_assert_cmpint(kw_store_set_default_cadence(f->store, 45, &error), ==, KW_OK);
    g_assert_cmpint(kw_store_get_default_cadence(f->store, &days, &error), ==, KW_OK);
    g_assert_cmpint(days, ==, 45);
    g_assert_cmpint(get(f, 400, "lead@prospect.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->cadence_days, ==, 45);
    kw_relationship_free(r);
    {
        kw_model_options_t o = { .as_of = AT(400), .default_cadence_days = 90 };
        kw_model_t *m = NULL;
        g_assert_cmpint(kw_model_load(f->store, &o, &m, &error), ==, KW_OK);
        g_assert_cmpint(kw_model_default_cadence(m), ==, 90);
        g_assert_cmpint(kw_model_relationship(m, "lead@prospect.example", &r, &error), ==, KW_OK);
        g_assert_cmpint(r->cadence_days, ==, 90);
        kw_relationship_free(r);
        kw_model_free(m);
    }
    g_assert_cmpint(kw_store_set_default_cadence(f->store, 4000, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_store_set_default_cadence(f->store, 0, &error), ==, KW_OK);
    g_assert_cmpint(kw_store_get_default_cadence(f->store, &days, &error), ==, KW_OK);
    g_assert_cmpint(days, ==, 0);
    g_assert_null(error);
}

static void test_get_and_timeline(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r = NULL;
    kw_touch_list_t *tl = NULL;
    kw_model_t *m;
    char *error = NULL;
    (void) data;
    fill_world(f);
    refresh(f);
    m = load(f, 400, 0);

    /* noise targets explain themselves */
    g_assert_cmpint(kw_model_relationship(m, "news@letters.example", &r, &error), ==, KW_ERR_NOT_FOUND);
    g_assert_true(strstr(error, "mailing list") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_model_relationship(m, "tim@mycorp.com", &r, &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_model_relationship(m, "letters.example", &r, &error), ==, KW_ERR_NOT_FOUND);
    g_assert_true(strstr(error, "only list contacts") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_model_relationship(m, "nobody.example", &r, &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_model_relationship(m, "not an address@", &r, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, kw_free);

    /* a prospect can be shown: you wrote, they never did; so can their organisation */
    g_assert_cmpint(kw_model_relationship(m, "lead@prospect.example", &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "awaiting-their-reply");
    g_assert_cmpint(r->reason.last_inbound, ==, 0);
    g_assert_cmpint(r->reason.last_exchange, ==, 0);
    kw_relationship_free(r);
    g_assert_cmpint(kw_model_relationship(m, "prospect.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->kind, ==, KW_TARGET_ORG);
    g_assert_cmpstr(r->people[0], ==, "lead@prospect.example");
    kw_relationship_free(r);

    /* the timeline: touches, newest first, with subjects */
    g_assert_cmpint(kw_model_timeline(m, "initech.co.uk", &tl, &error), ==, KW_OK);
    g_assert_cmpint(tl->count, ==, 11);
    g_assert_cmpint(tl->items[0].time, ==, AT(393));
    g_assert_true(tl->items[0].inbound && !tl->items[0].outbound);
    g_assert_cmpstr(tl->items[0].subject, ==, "Urgent question");
    g_assert_cmpstr(tl->items[0].address, ==, "pat@initech.co.uk");
    g_assert_cmpint(tl->items[0].source, ==, KW_SOURCE_MAIL);
    g_assert_true(tl->items[1].inbound && tl->items[1].outbound);
    g_assert_cmpint(tl->items[1].time, >, tl->items[2].time);
    kw_touch_list_free(tl);
    g_assert_cmpint(kw_model_timeline(m, "news@letters.example", &tl, &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    kw_model_free(m);
    /* as_of cuts the timeline */
    m = load(f, 150, 0);
    g_assert_cmpint(kw_model_timeline(m, "initech.co.uk", &tl, &error), ==, KW_OK);
    g_assert_cmpint(tl->count, ==, 2);
    kw_touch_list_free(tl);
    kw_model_free(m);
    g_assert_null(error);
}

/* The hint bar's lookup: the organisation first, then the person. */
static void test_for_sender(fixture_t *f, gconstpointer data)
{
    static const struct {
        const char *from;
        kw_status_t status;
        const char *key;
    } cases[] = {
        { "Jane Doe <jane@acme.com>", KW_OK, "acme.com" },        /* a member: the organisation */
        { "someone.new@acme.com", KW_OK, "acme.com" },            /* unknown at a known customer */
        { "\"Free, Carl\" <Carl@gmail.com>", KW_OK, "carl@gmail.com" }, /* freemail: the person */
        { "lead@prospect.example", KW_OK, "lead@prospect.example" }, /* a prospect: the person */
        { "news@letters.example", KW_ERR_NOT_FOUND, NULL },       /* a list */
        { "tim@mycorp.com", KW_ERR_NOT_FOUND, NULL },             /* a colleague */
        { "nobody@nowhere.example", KW_ERR_NOT_FOUND, NULL },
        { "no address", KW_ERR_USAGE, NULL },
    };
    kw_model_t *m;
    (void) data;
    fill_world(f);
    refresh(f);
    m = load(f, 400, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_relationship_t *r = NULL;
        char *error = NULL;
        g_test_message("%s", cases[i].from);
        g_assert_cmpint(kw_model_for_sender(m, cases[i].from, &r, &error), ==, cases[i].status);
        if (cases[i].key)
            g_assert_cmpstr(r->key, ==, cases[i].key);
        else
            g_assert_nonnull(error);
        kw_relationship_free(r);
        kw_free(error);
    }
    kw_model_free(m);
}

/* ------------------------------------------------------------------------ */
/* The team                                                                  */
/* ------------------------------------------------------------------------ */

static int64_t count_rows(fixture_t *f, const char *sql);

static kw_relationship_t *rel_at(fixture_t *f, double as_of, const char *target)
{
    kw_relationship_t *r = NULL;
    char *error = NULL;
    g_assert_cmpint(get(f, as_of, target, &r, &error), ==, KW_OK);
    g_assert_null(error);
    return r;
}

static void assert_state(kw_relationship_t *r, const char *state, const char *own, int team_ok)
{
    g_assert_cmpstr(kw_state_to_string(r->state), ==, state);
    g_assert_cmpstr(kw_state_to_string(r->reason.state), ==, state);
    g_assert_cmpstr(kw_state_to_string(r->reason.own_state), ==, own);
    g_assert_cmpint(r->reason.team_ok, ==, team_ok);
    kw_relationship_free(r);
}

/* Teammates' records pulled into the store make a relationship ok while
 * their touch is newer than yours and within the rhythm. */
static void test_team_pulled(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r;
    kw_relationship_list_t *l;
    kw_team_touch_list_t *tl = NULL;
    kw_model_t *m;
    char *error = NULL;
    (void) data;
    fill_world(f);
    refresh(f);
    /* without a team nothing changes: overdue, no team facts */
    r = rel_at(f, 400, "old.example");
    g_assert_cmpint(r->reason.team_touch, ==, KW_TEAM_TOUCH_NONE);
    g_assert_cmpint(r->reason.team_last_touch, ==, 0);
    assert_state(r, "overdue", "overdue", 0);

    /* Jan talked to Bob at old.example on day 395 (rhythm 21 days) */
    team_record(f, "jan", "Jan Weber", "org", "old.example", "old.example", NULL, 395.5, NULL, -1);
    team_record(f, "jan", "Jan Weber", "person", "bob@sub.old.example", "old.example",
                "bob@sub.old.example", 395.5, NULL, -1);
    r = rel_at(f, 400, "old.example");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(395.5));
    g_assert_cmpint(r->reason.team_touch, ==, KW_TEAM_TOUCH_EXCHANGE);
    g_assert_cmpstr(r->reason.team_member.name, ==, "Jan Weber");
    g_assert_null(r->reason.team_member.address);
    g_assert_cmpstr(r->reason.team_member_id, ==, "jan");
    /* your own facts stay yours */
    g_assert_cmpint(r->last_touch, <, AT(100));
    g_assert_cmpint(r->cadence_days, ==, 21);
    assert_state(r, "ok", "overdue", 1);
    /* the person too (by person: the person's own records) */
    r = rel_at(f, 400, "bob@sub.old.example");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(395.5));
    assert_state(r, "ok", "overdue", 1);
    /* ok only thanks to the team: not in the default list, in --all's ok group */
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_null(find_rel(l, "old.example"));
    kw_relationship_list_free(l);
    l = query(f, 400, KW_BY_ORG, 1);
    g_assert_nonnull(find_rel(l, "old.example"));
    kw_relationship_list_free(l);
    /* a touch after as_of does not count (as of day 395, Jan had not called yet) */
    r = rel_at(f, 395, "old.example");
    g_assert_cmpint(r->reason.team_last_touch, ==, 0);
    assert_state(r, "overdue", "overdue", 0);
    /* beyond the rhythm: as of day 420, 24.5 days after Jan's exchange */
    r = rel_at(f, 420, "old.example");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(395.5));
    assert_state(r, "overdue", "overdue", 0);

    /* Kim's exchange with Carl (a free-mail person) is older than the rhythm
     * (30 days): Carl stays overdue, the fact is there */
    team_record(f, "kim", NULL, "person", "carl@gmail.com", "carl@gmail.com", "carl@gmail.com", 300,
                NULL, -1);
    r = rel_at(f, 400, "carl@gmail.com");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(300));
    g_assert_null(r->reason.team_member.name);
    g_assert_cmpstr(r->reason.team_member_id, ==, "kim");
    assert_state(r, "overdue", "overdue", 0);
    /* then Kim logs a call with Carl on day 399 */
    team_record(f, "kim", NULL, "touch", "call-1", "carl@gmail.com", "carl@gmail.com", -1, "call",
                399.2);
    r = rel_at(f, 400, "carl@gmail.com");
    g_assert_cmpint(r->reason.team_touch, ==, KW_TEAM_TOUCH_CALL);
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(399.2));
    assert_state(r, "ok", "overdue", 1);

    /* someone awaiting YOUR reply still waits for you */
    team_record(f, "jan", "Jan Weber", "org", "initech.co.uk", "initech.co.uk", NULL, 399.5, NULL, -1);
    r = rel_at(f, 400, "initech.co.uk");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(399.5));
    assert_state(r, "awaiting-your-reply", "awaiting-your-reply", 0);
    /* a teammate's touch older than your own exchange changes nothing */
    team_record(f, "jan", "Jan Weber", "org", "acme.com", "acme.com", NULL, 370, NULL, -1);
    r = rel_at(f, 400, "acme.com");
    assert_state(r, "ok", "ok", 0);
    r = rel_at(f, 440, "acme.com");
    assert_state(r, "overdue", "overdue", 0);

    /* the team's touches of a relationship: one exchange per teammate (the
     * person's record, which names Bob), newest first */
    m = load(f, 400, 0);
    g_assert_cmpint(kw_model_team_touches(m, "old.example", &tl, &error), ==, KW_OK);
    g_assert_cmpuint(tl->count, ==, 1);
    g_assert_cmpint(tl->items[0].kind, ==, KW_TEAM_TOUCH_EXCHANGE);
    g_assert_cmpint(tl->items[0].time, ==, AT(395.5));
    g_assert_cmpstr(tl->items[0].member_id, ==, "jan");
    g_assert_cmpstr(tl->items[0].member.name, ==, "Jan Weber");
    g_assert_cmpstr(tl->items[0].person, ==, "bob@sub.old.example");
    kw_team_touch_list_free(tl);
    g_assert_cmpint(kw_model_team_touches(m, "carl@gmail.com", &tl, &error), ==, KW_OK);
    g_assert_cmpuint(tl->count, ==, 2);
    g_assert_cmpint(tl->items[0].kind, ==, KW_TEAM_TOUCH_CALL);
    g_assert_cmpint(tl->items[1].kind, ==, KW_TEAM_TOUCH_EXCHANGE);
    kw_team_touch_list_free(tl);
    g_assert_cmpint(kw_model_team_touches(m, "nobody.example", &tl, &error), ==, KW_ERR_NOT_FOUND);
    g_assert_null(tl);
    g_clear_pointer(&error, kw_free);
    kw_model_free(m);
}

/* A colleague's mail to a customer with the user in copy is a team touch,
 * computed from the messages and kept like the aggregates. */
static void test_team_copied(fixture_t *f, gconstpointer data)
{
    kw_relationship_t *r;
    kw_team_touch_list_t *tl = NULL;
    kw_model_t *m;
    char *error = NULL;
    (void) data;
    fill_world(f);
    exec_sql(f->store, "BEGIN");
    contact(f, "tim@mycorp.com", "Tim Colleague");
    colleague_mail(f, "tim@mycorp.com", "bob@sub.old.example", 1, 398.5, 0, 2, "Your order");
    /* not team touches: the user not in copy, a broadcast, a newsletter,
     * a role address of the own company */
    colleague_mail(f, "tim@mycorp.com", "carl@gmail.com", 0, 399, 0, 1, "Bcc");
    colleague_mail(f, "tim@mycorp.com", "carl@gmail.com", 1, 399, 0, 30, "To everyone");
    colleague_mail(f, "tim@mycorp.com", "carl@gmail.com", 1, 399, KW_MSG_LIST, 2, "News");
    colleague_mail(f, "info@mycorp.com", "carl@gmail.com", 1, 399, 0, 2, "From the office");
    exec_sql(f->store, "COMMIT");

    for (int kept = 0; kept < 2; kept++) {
        if (kept) {
            refresh(f);
            g_assert_cmpint(count_rows(f, "SELECT count(*) FROM team_copied"), ==, 1);
        }
        r = rel_at(f, 400, "old.example");
        g_assert_cmpint(r->reason.team_touch, ==, KW_TEAM_TOUCH_COPIED);
        g_assert_cmpint(r->reason.team_last_touch, ==, AT(398.5));
        g_assert_cmpstr(r->reason.team_member.address, ==, "tim@mycorp.com");
        g_assert_cmpstr(r->reason.team_member.name, ==, "Tim Colleague");
        g_assert_null(r->reason.team_member_id);
        assert_state(r, "ok", "overdue", 1);
        r = rel_at(f, 400, "carl@gmail.com");
        g_assert_cmpint(r->reason.team_touch, ==, KW_TEAM_TOUCH_NONE);
        assert_state(r, "overdue", "overdue", 0);
        r = rel_at(f, 398, "old.example");
        assert_state(r, "overdue", "overdue", 0);
        m = load(f, 400, 0);
        g_assert_cmpint(kw_model_team_touches(m, "old.example", &tl, &error), ==, KW_OK);
        g_assert_cmpuint(tl->count, ==, 1);
        g_assert_cmpint(tl->items[0].kind, ==, KW_TEAM_TOUCH_COPIED);
        g_assert_cmpstr(tl->items[0].person, ==, "bob@sub.old.example");
        g_assert_cmpstr(tl->items[0].member.address, ==, "tim@mycorp.com");
        g_assert_cmpstr(tl->items[0].subject, ==, "Your order");
        kw_team_touch_list_free(tl);
        kw_model_free(m);
    }
    /* a sync adds one more: read from the messages after those kept */
    exec_sql(f->store, "BEGIN");
    colleague_mail(f, "tim@mycorp.com", "carl@gmail.com", 1, 399.5, 0, 2, "Hello Carl");
    exec_sql(f->store, "COMMIT");
    r = rel_at(f, 400, "carl@gmail.com");
    g_assert_cmpint(r->reason.team_last_touch, ==, AT(399.5));
    assert_state(r, "ok", "overdue", 1);
    refresh(f);
    g_assert_cmpint(count_rows(f, "SELECT count(*) FROM team_copied"), ==, 2);
    assert_state(rel_at(f, 400, "carl@gmail.com"), "ok", "overdue", 1);

    /* nobody is a colleague any more: Tim's mail is no team evidence (the
     * kept rows were computed for other colleague domains) */
    {
        const char *none[] = { NULL };
        g_assert_cmpint(kw_store_set_own_domains(f->store, none, &error), ==, KW_OK);
        assert_state(rel_at(f, 400, "old.example"), "overdue", "overdue", 0);
        refresh(f);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM team_copied"), ==, 0);
        assert_state(rel_at(f, 400, "old.example"), "overdue", "overdue", 0);
        g_assert_cmpint(kw_store_set_own_domains(f->store, NULL, &error), ==, KW_OK);
        assert_state(rel_at(f, 400, "old.example"), "ok", "overdue", 1);
        refresh(f);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM team_copied"), ==, 2);
    }
    g_assert_null(error);
}

/* The two decisions of the day's list. */
static void test_team_week_and_owner(fixture_t *f, gconstpointer data)
{
    kw_model_t *m;
    char *error = NULL, *member = NULL;
    int touched = -1, mine = -1, jan = 0, me = 0;
    (void) data;
    fill_world(f);
    refresh(f);
    /* day 0 (2024-01-01) is a Monday: day 399 starts the ISO week of day 400 */
    team_record(f, "jan", "Jan Weber", "org", "old.example", "old.example", NULL, 395.5, NULL, -1);
    team_record(f, "kim", NULL, "touch", "c1", "carl@gmail.com", "carl@gmail.com", -1, "call", 399.2);
    m = load(f, 400, 0);
    g_assert_cmpint(kw_model_team_touched_week(m, "old.example", AT(400), &touched, &error), ==, KW_OK);
    g_assert_cmpint(touched, ==, 0); /* Thursday of the week before */
    g_assert_cmpint(kw_model_team_touched_week(m, "old.example", AT(393), &touched, &error), ==, KW_OK);
    g_assert_cmpint(touched, ==, 1);
    g_assert_cmpint(kw_model_team_touched_week(m, "carl@gmail.com", AT(400), &touched, &error), ==, KW_OK);
    g_assert_cmpint(touched, ==, 1);
    g_assert_cmpint(kw_model_team_touched_week(m, "acme.com", AT(400), &touched, &error), ==, KW_OK);
    g_assert_cmpint(touched, ==, 0);
    g_assert_cmpint(kw_model_team_touched_week(m, "nobody.example", AT(400), &touched, &error), ==,
                    KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);

    /* nobody else holds acme.com: always yours */
    g_assert_cmpint(kw_model_team_owner(m, "acme.com", AT(400), &mine, &member, &error), ==, KW_OK);
    g_assert_cmpint(mine, ==, 1);
    g_assert_null(member); /* never connected: no member name */
    kw_model_free(m);

    /* old.example is held by Jan and by you ("me" on the team): split week
     * by week, the same answer every time, SHA-256 of key, week and member */
    exec_sql(f->store, "UPDATE team_state SET member = 'me'");
    m = load(f, 400, 0);
    for (int w = 0; w < 52; w++) {
        int64_t t = AT(7 * w + 3);
        char *again = NULL, *text, *dj, *dm;
        int mine2 = -1, year, week;
        GDateTime *dt = g_date_time_new_from_unix_utc(t);
        g_assert_cmpint(kw_model_team_owner(m, "old.example", t, &mine, &member, &error), ==, KW_OK);
        g_assert_cmpint(kw_model_team_owner(m, "bob@sub.old.example", t, &mine2, &again, &error), ==,
                        KW_OK);
        year = g_date_time_get_week_numbering_year(dt);
        week = g_date_time_get_week_of_year(dt);
        g_date_time_unref(dt);
        text = g_strdup_printf("old.example\x1f%04d-W%02d\x1fjan", year, week);
        dj = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
        g_free(text);
        text = g_strdup_printf("old.example\x1f%04d-W%02d\x1fme", year, week);
        dm = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
        g_free(text);
        g_assert_cmpstr(member, ==, strcmp(dj, dm) > 0 ? "jan" : "me");
        g_assert_cmpint(mine, ==, strcmp(member, "me") == 0);
        jan += !mine;
        me += mine;
        g_free(dj);
        g_free(dm);
        g_free(member);
        g_free(again);
    }
    /* both get some of the weeks */
    g_assert_cmpint(jan, >, 5);
    g_assert_cmpint(me, >, 5);
    kw_model_free(m);
    g_assert_null(error);
}

/* ------------------------------------------------------------------------ */
/* The kept aggregates                                                       */
/* ------------------------------------------------------------------------ */

static int64_t count_rows(fixture_t *f, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n;
    sqlite3_prepare_v2(kw_store_db(f->store), sql, -1, &st, NULL);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void assert_person_equal(const kw_person_ref_t *a, const kw_person_ref_t *b)
{
    g_assert_cmpstr(a->address, ==, b->address);
    g_assert_cmpstr(a->name, ==, b->name);
}

/* Every field of two relationships, bit for bit. */
static void assert_rel_equal(const kw_relationship_t *a, const kw_relationship_t *b)
{
    const kw_reason_t *x = &a->reason, *y = &b->reason;
    g_assert_cmpstr(a->key, ==, b->key);
    g_assert_cmpint(a->kind, ==, b->kind);
    g_assert_cmpstr(a->display_name, ==, b->display_name);
    g_assert_cmpint(a->display_name_user_set, ==, b->display_name_user_set);
    for (size_t i = 0; a->people[i] || b->people[i]; i++)
        g_assert_cmpstr(a->people[i], ==, b->people[i]);
    g_assert_cmpstr(a->main_person, ==, b->main_person);
    g_assert_cmpint(a->state, ==, b->state);
    g_assert_cmpint(a->last_touch, ==, b->last_touch);
    g_assert_cmpint(a->last_inbound, ==, b->last_inbound);
    g_assert_cmpint(a->last_outbound, ==, b->last_outbound);
    g_assert_cmpint(a->days_since, ==, b->days_since);
    g_assert_cmpint(a->cadence_days, ==, b->cadence_days);
    g_assert_cmpint(a->due_date, ==, b->due_date);
    g_assert_cmpint(a->snoozed_until, ==, b->snoozed_until);
    g_assert_cmpint(a->touches, ==, b->touches);
    g_assert_cmpmem(&a->score, sizeof a->score, &b->score, sizeof b->score);
    g_assert_cmpstr(a->note, ==, b->note);
    g_assert_cmpint(x->state, ==, y->state);
    g_assert_cmpint(x->last_exchange, ==, y->last_exchange);
    assert_person_equal(&x->last_exchange_with, &y->last_exchange_with);
    g_assert_cmpint(x->last_inbound, ==, y->last_inbound);
    g_assert_cmpint(x->last_outbound, ==, y->last_outbound);
    g_assert_cmpint(x->waiting, ==, y->waiting);
    g_assert_cmpint(x->waiting_since, ==, y->waiting_since);
    assert_person_equal(&x->waiting_person, &y->waiting_person);
    g_assert_cmpint(x->reply_samples, ==, y->reply_samples);
    g_assert_cmpint(x->their_reply_days, ==, y->their_reply_days);
    g_assert_cmpint(x->cadence_days, ==, y->cadence_days);
    g_assert_cmpint(x->cadence_source, ==, y->cadence_source);
    g_assert_cmpint(x->exchanges, ==, y->exchanges);
    g_assert_cmpint(x->first_exchange, ==, y->first_exchange);
    g_assert_cmpint(x->snoozed_until, ==, y->snoozed_until);
    g_assert_cmpint(x->ignored, ==, y->ignored);
    g_assert_cmpint(x->due_date, ==, y->due_date);
    g_assert_cmpint(x->days_since, ==, y->days_since);
    g_assert_cmpint(x->last_exchange_source, ==, y->last_exchange_source);
    g_assert_cmpint(x->planned_touch, ==, y->planned_touch);
    g_assert_cmpint(x->planned_source, ==, y->planned_source);
    g_assert_cmpint(a->tier, ==, b->tier);
    g_assert_cmpint(x->rhythm_state, ==, y->rhythm_state);
    g_assert_cmpint(x->waiting_touches, ==, y->waiting_touches);
    g_assert_cmpint(x->waiting_last, ==, y->waiting_last);
    g_assert_cmpint(x->away_since, ==, y->away_since);
    assert_person_equal(&x->away_person, &y->away_person);
    g_assert_cmpint(x->away_until, ==, y->away_until);
    g_assert_cmpint(x->away_until_is_return, ==, y->away_until_is_return);
    g_assert_cmpint(x->settled_until, ==, y->settled_until);
    g_assert_cmpint(a->note_from_org, ==, b->note_from_org);
    for (size_t i = 0; a->people_names[i] || b->people_names[i]; i++)
        g_assert_cmpstr(a->people_names[i], ==, b->people_names[i]);
    g_assert_cmpint(x->own_state, ==, y->own_state);
    g_assert_cmpint(x->team_ok, ==, y->team_ok);
    g_assert_cmpint(x->team_last_touch, ==, y->team_last_touch);
    g_assert_cmpint(x->team_touch, ==, y->team_touch);
    assert_person_equal(&x->team_member, &y->team_member);
    g_assert_cmpstr(x->team_member_id, ==, y->team_member_id);
}

static void assert_team_touches_equal(kw_model_t *a, kw_model_t *b, const char *key)
{
    kw_team_touch_list_t *x = NULL, *y = NULL;
    char *error = NULL;
    g_assert_cmpint(kw_model_team_touches(a, key, &x, &error), ==, KW_OK);
    g_assert_cmpint(kw_model_team_touches(b, key, &y, &error), ==, KW_OK);
    g_assert_cmpuint(x->count, ==, y->count);
    for (size_t i = 0; i < x->count; i++) {
        g_assert_cmpint(x->items[i].time, ==, y->items[i].time);
        g_assert_cmpint(x->items[i].kind, ==, y->items[i].kind);
        assert_person_equal(&x->items[i].member, &y->items[i].member);
        g_assert_cmpstr(x->items[i].member_id, ==, y->items[i].member_id);
        g_assert_cmpstr(x->items[i].person, ==, y->items[i].person);
        g_assert_cmpstr(x->items[i].subject, ==, y->items[i].subject);
    }
    kw_team_touch_list_free(x);
    kw_team_touch_list_free(y);
    g_assert_null(error);
}

/* How often the differential test met team evidence (it must, to mean anything). */
static int team_ok_seen, copied_seen, pulled_seen;

/* The model from the aggregates equals the model from every message: every
 * relationship in both groupings, every single lookup, the contacts. */
static void assert_same_both_ways(fixture_t *f, int64_t as_of)
{
    kw_model_options_t kept_o = { .as_of = as_of }, exact_o = { .as_of = as_of, .exact = 1 };
    kw_model_t *kept = NULL, *exact = NULL;
    kw_contact_list_t *ck = NULL, *ce = NULL;
    char *error = NULL;

    g_assert_cmpint(kw_model_load(f->store, &kept_o, &kept, &error), ==, KW_OK);
    g_assert_cmpint(kw_model_load(f->store, &exact_o, &exact, &error), ==, KW_OK);
    for (int by = KW_BY_ORG; by <= KW_BY_PERSON; by++) {
        kw_list_options_t lo = { .by = (kw_grouping_t) by, .states = KW_STATES_ALL };
        kw_relationship_list_t *a = NULL, *b = NULL;
        g_assert_cmpint(kw_model_relationships(kept, &lo, &a, &error), ==, KW_OK);
        g_assert_cmpint(kw_model_relationships(exact, &lo, &b, &error), ==, KW_OK);
        g_assert_cmpuint(a->count, ==, b->count);
        for (size_t i = 0; i < a->count; i++) {
            team_ok_seen += a->items[i].reason.team_ok;
            copied_seen += a->items[i].reason.team_touch == KW_TEAM_TOUCH_COPIED;
            pulled_seen += a->items[i].reason.team_touch != KW_TEAM_TOUCH_NONE &&
                           a->items[i].reason.team_touch != KW_TEAM_TOUCH_COPIED;
        }
        for (size_t i = 0; i < a->count; i++) {
            kw_relationship_t *ra = NULL, *rb = NULL;
            assert_rel_equal(&a->items[i], &b->items[i]);
            g_assert_cmpint(kw_model_relationship(kept, a->items[i].key, &ra, &error), ==, KW_OK);
            g_assert_cmpint(kw_model_relationship(exact, a->items[i].key, &rb, &error), ==, KW_OK);
            assert_rel_equal(ra, rb);
            assert_team_touches_equal(kept, exact, a->items[i].key);
            kw_relationship_free(ra);
            kw_relationship_free(rb);
        }
        kw_relationship_list_free(a);
        kw_relationship_list_free(b);
    }
    g_assert_cmpint(kw_model_contacts(kept, 1, &ck, &error), ==, KW_OK);
    g_assert_cmpint(kw_model_contacts(exact, 1, &ce, &error), ==, KW_OK);
    g_assert_cmpuint(ck->count, ==, ce->count);
    for (size_t i = 0; i < ck->count; i++) {
        g_assert_cmpstr(ck->items[i].email, ==, ce->items[i].email);
        g_assert_cmpint(ck->items[i].kind, ==, ce->items[i].kind);
        g_assert_cmpint(ck->items[i].inbound, ==, ce->items[i].inbound);
        g_assert_cmpint(ck->items[i].outbound, ==, ce->items[i].outbound);
        g_assert_cmpint(ck->items[i].last_inbound, ==, ce->items[i].last_inbound);
        g_assert_cmpint(ck->items[i].last_outbound, ==, ce->items[i].last_outbound);
    }
    kw_contact_list_free(ck);
    kw_contact_list_free(ce);
    kw_model_free(kept);
    kw_model_free(exact);
    g_assert_null(error);
}

static const char *const orgs[] = { "acme.com", "globex.de", "initech.co.uk", "umbrella.fr",
                                    "hooli.io", "vandelay.com", "bücher.example", "mycorp.com",
                                    "gmail.com", "web.de" };

/* Random mail: `n` messages among `people` addresses over two years. */
static void random_mail(fixture_t *f, GRand *rng, int people, int n)
{
    exec_sql(f->store, "BEGIN");
    for (int k = 0; k < n; k++) {
        int p = g_rand_int_range(rng, 0, people);
        char *email = g_strdup_printf("%s%d@%s%s", p % 7 == 0 ? "info" : "p", p,
                                      p % 5 == 0 ? "sub." : "", orgs[p % G_N_ELEMENTS(orgs)]);
        unsigned flags = 0;
        int r = g_rand_int_range(rng, 0, 100), rcpt = 1;
        int64_t t = AT(g_rand_double_range(rng, 0, 730));
        if (r < 4)
            flags = KW_MSG_LIST;
        else if (r < 6)
            flags = KW_MSG_AUTO;
        else if (r < 8)
            flags = KW_MSG_AUTOREPLY;
        else if (r < 9)
            flags = KW_MSG_BOUNCE;
        else if (r < 11)
            rcpt = 25; /* a broadcast */
        if (g_rand_int_range(rng, 0, 20) == 0)
            t = t / DAY * DAY; /* same-second collisions */
        if (g_rand_int_range(rng, 0, 100) < 8) {
            /* a colleague writes to them, mostly with the user in copy */
            char *from = g_strdup_printf("c%d@%s", p % 3, p % 2 ? "mycorp.com" : "mycorp-labs.de");
            colleague_mail_at(f, from, email, g_rand_int_range(rng, 0, 4) > 0, t, flags, rcpt,
                              "From a colleague");
            g_free(from);
        } else {
            message_at(f, email, t, g_rand_int_range(rng, 0, 100) < 55 ? 1 : 2, flags, rcpt, "Hello");
        }
        g_free(email);
    }
    exec_sql(f->store, "COMMIT");
}

/* Random teammates' records: exchanges with organisations and people,
 * logged calls, some after the last mail. */
static void random_team(fixture_t *f, GRand *rng, int people, int n)
{
    static const char *const members[] = { "jan", "kim", "lu" };
    exec_sql(f->store, "BEGIN");
    for (int k = 0; k < n; k++) {
        int p = g_rand_int_range(rng, 0, people);
        const char *org = orgs[p % G_N_ELEMENTS(orgs)];
        const char *member = members[g_rand_int_range(rng, 0, 3)];
        int free = strcmp(org, "gmail.com") == 0 || strcmp(org, "web.de") == 0;
        char *email = g_strdup_printf("%s%d@%s%s", p % 7 == 0 ? "info" : "p", p,
                                      p % 5 == 0 ? "sub." : "", org);
        double day = g_rand_double_range(rng, 0, 800);
        char *key = g_strdup_printf("touch-%d", k);
        switch (g_rand_int_range(rng, 0, 3)) {
        case 0:
            team_record(f, member, member, "org", free ? email : org, free ? email : org, NULL, day,
                        NULL, -1);
            break;
        case 1:
            team_record(f, member, NULL, "person", email, free ? email : org, email, day, NULL, -1);
            break;
        default:
            team_record(f, member, "Lu", "touch", key, free ? email : org, email, -1,
                        g_rand_boolean(rng) ? "call" : "meeting", day);
            break;
        }
        g_free(key);
        g_free(email);
    }
    exec_sql(f->store, "COMMIT");
}

static void assert_same_at_times(fixture_t *f)
{
    /* after all mail (the kept path), and before some (the exact path per contact) */
    static const double days[] = { 731, 800, 1200, 400, 20 };
    for (size_t i = 0; i < G_N_ELEMENTS(days); i++)
        assert_same_both_ways(f, AT(days[i]));
}

static void test_differential(fixture_t *f, gconstpointer data)
{
    char *error = NULL;
    (void) data;
    for (guint32 seed = 1; seed <= 6; seed++) {
        GRand *rng = g_rand_new_with_seed(seed);
        int people = g_rand_int_range(rng, 20, 90);
        char *ignore;

        g_test_message("seed %u, %d people", seed, people);
        exec_sql(f->store, "DELETE FROM interactions; DELETE FROM messages; DELETE FROM contacts;"
                           "DELETE FROM settings; DELETE FROM agg_dirty; DELETE FROM contact_agg;"
                           "DELETE FROM org_agg; DELETE FROM preferences; DELETE FROM touches;"
                           "DELETE FROM team_records; DELETE FROM team_copied;");
        random_mail(f, rng, people, g_rand_int_range(rng, 300, 1500));
        if (seed % 2)
            random_team(f, rng, people, g_rand_int_range(rng, 10, 80));
        /* nothing kept yet: both ways are the scan */
        assert_same_both_ways(f, AT(731));
        refresh(f);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM agg_dirty"), ==, 0);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM contact_agg"), >, 0);
        assert_same_at_times(f);

        /* settings: an ignored person (their organisation's members change),
         * a snoozed organisation, a cadence, names, a tier, "no answer
         * needed" */
        ignore = g_strdup_printf("p%d@%s", 1, orgs[1]);
        kw_ignore(f->store, ignore, NULL);
        g_free(ignore);
        kw_snooze(f->store, "acme.com", AT(760), NULL);
        kw_set_cadence(f->store, "initech.co.uk", 10, NULL);
        kw_set_name(f->store, "hooli.io", "Hooli Inc.", NULL);
        kw_set_tier(f->store, "vandelay.com", KW_TIER_A, NULL);
        kw_settle(f->store, "umbrella.fr", AT(500), NULL);
        assert_same_at_times(f);
        /* calls and meetings, past and planned (the logged touches' mirror
         * in the interactions goes through the same aggregates) */
        for (int k = 0; k < 12; k++) {
            char *who = g_strdup_printf("p%d@%s%s", k * 3 + 1, (k * 3 + 1) % 5 == 0 ? "sub." : "",
                                        orgs[(k * 3 + 1) % G_N_ELEMENTS(orgs)]);
            kw_log_touch(f->store, who, (kw_source_t) (KW_SOURCE_CALL + k % 4),
                         AT(g_rand_double_range(rng, 300, 900)), "a note", NULL, NULL);
            g_free(who);
        }
        kw_log_touch(f->store, "globex.de", KW_SOURCE_MEETING, AT(700), NULL, NULL, NULL);
        {
            /* a meeting still ahead when the aggregates are kept: read from
             * the aggregate before it, from the events once it has passed */
            int64_t now = g_get_real_time() / G_USEC_PER_SEC;
            kw_log_touch(f->store, "acme.com", KW_SOURCE_MEETING, now + 10 * DAY, NULL, NULL, NULL);
            refresh(f);
            assert_same_both_ways(f, now + 5 * DAY);
            assert_same_both_ways(f, now + 15 * DAY);
        }
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM touches"), >, 3);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM interactions WHERE direction = 3"), ==,
                        count_rows(f, "SELECT count(*) FROM touches"));
        assert_same_at_times(f);
        refresh(f);
        assert_same_at_times(f);
        {
            int64_t id = count_rows(f, "SELECT min(id) FROM touches");
            if (id > 0)
                g_assert_cmpint(kw_unlog_touch(f->store, id, NULL, &error), ==, KW_OK);
        }
        assert_same_at_times(f);
        /* a change no writer marked (here: through SQL): the loader notices
         * that an organisation's members are not those it was kept for */
        exec_sql(f->store, "INSERT OR REPLACE INTO settings(target, ignored) "
                           "SELECT email, 1 FROM contacts WHERE email LIKE 'p3@%'");
        assert_same_at_times(f);

        /* a sync adds mail: a few contacts are marked (read exactly, in
         * memory), then many (one scan), then the writer keeps them again */
        random_mail(f, rng, people, 5);
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM agg_dirty"), >, 0);
        assert_same_at_times(f);
        random_mail(f, rng, people + 10, 400);
        assert_same_at_times(f);
        refresh(f);
        assert_same_at_times(f);

        /* the user's identities change: interactions are recomputed, every
         * aggregate is stale until the next refresh */
        g_assert_cmpint(kw_store_add_identity(f->store, "work", "p2@globex.de", &error), ==, KW_OK);
        /* the recomputed interactions mirror the logged touches again */
        g_assert_cmpint(count_rows(f, "SELECT count(*) FROM interactions WHERE direction = 3"), ==,
                        count_rows(f, "SELECT count(*) FROM touches"));
        assert_same_at_times(f);
        refresh(f);
        assert_same_at_times(f);
        /* own domains make colleagues; no aggregate has to know */
        {
            const char *domains[] = { "umbrella.fr", NULL };
            g_assert_cmpint(kw_store_set_own_domains(f->store, domains, &error), ==, KW_OK);
            assert_same_at_times(f);
            g_assert_cmpint(kw_store_set_own_domains(f->store, NULL, &error), ==, KW_OK);
            g_assert_cmpint(kw_store_remove_identity(f->store, "work", "p2@globex.de", &error), ==, KW_OK);
        }
        /* a damaged aggregate is read from the messages instead */
        exec_sql(f->store, "UPDATE contact_agg SET agg = x'ff' WHERE contact_id IN "
                           "(SELECT contact_id FROM contact_agg LIMIT 3)");
        assert_same_at_times(f);
        g_rand_free(rng);
    }
    g_test_message("team evidence met: %d ok thanks to the team, %d copied, %d pulled",
                   team_ok_seen, copied_seen, pulled_seen);
    g_assert_cmpint(team_ok_seen, >, 20);
    g_assert_cmpint(copied_seen, >, 20);
    g_assert_cmpint(pulled_seen, >, 20);
    g_assert_null(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture_t, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/model/who-is-listed", test_who_is_listed);
    ADD("/model/list-options", test_list_options);
    ADD("/model/contacts", test_contacts);
    ADD("/model/resolver", test_resolver);
    ADD("/model/actions", test_actions);
    ADD("/model/undo", test_undo);
    ADD("/model/names-and-default-cadence", test_names_and_default_cadence);
    ADD("/model/get-and-timeline", test_get_and_timeline);
    ADD("/model/for-sender", test_for_sender);
    ADD("/model/team/pulled", test_team_pulled);
    ADD("/model/team/copied", test_team_copied);
    ADD("/model/team/week-and-owner", test_team_week_and_owner);
    ADD("/model/differential", test_differential);
#undef ADD
    return g_test_run();
}
