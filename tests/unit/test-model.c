/* test-model.c — model.c and actions.c over a real store (core/store.c) in a
 * temporary file, filled through SQL. Also measures kw_relationships_query
 * on a synthetic store of 100k messages / 5k contacts and prints the time as
 * a TAP diagnostic (a measurement, never an assertion). */
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "keepwarm.h"
#include "header_parse.h"
#include "store.h"

#define T0 ((int64_t) 1704067200) /* 2024-01-01T00:00:00Z */
#define DAY ((int64_t) 86400)
#define AT(d) (T0 + (int64_t) ((d) * (double) DAY))

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

/* One message between the user and `email`: direction 1 they wrote, 2 you wrote. */
static void message(fixture_t *f, const char *email, double day, int direction, unsigned flags,
                    int n_rcpt, const char *subject)
{
    sqlite3_stmt *st;
    int64_t cid = contact(f, email, NULL), mid = ++f->next_msg;
    char key[40];
    g_snprintf(key, sizeof key, "k%" G_GINT64_FORMAT, (gint64) mid);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT INTO messages(id, account_id, identity_key, fingerprint, subject, date, "
                       "flags, n_recipients) VALUES (?1, 1, ?2, ?2, ?3, ?4, ?5, ?6)",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, AT(day));
    sqlite3_bind_int(st, 5, (int) flags);
    sqlite3_bind_int(st, 6, n_rcpt);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "INSERT INTO interactions(contact_id, date, message_id, direction, flags, "
                       "n_recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, cid);
    sqlite3_bind_int64(st, 2, AT(day));
    sqlite3_bind_int64(st, 3, mid);
    sqlite3_bind_int(st, 4, direction);
    sqlite3_bind_int(st, 5, (int) flags);
    sqlite3_bind_int(st, 6, n_rcpt);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
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

static void fixture_teardown(fixture_t *f, gconstpointer data)
{
    (void) data;
    kw_store_close(f->store);
    g_unlink(f->path);
    {
        char *wal = g_strconcat(f->path, "-wal", NULL), *shm = g_strconcat(f->path, "-shm", NULL);
        g_unlink(wal);
        g_unlink(shm);
        g_free(wal);
        g_free(shm);
    }
    g_rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
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

static const kw_relationship_t *find_rel(const kw_relationship_list_t *l, const char *key)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return &l->items[i];
    return NULL;
}

static kw_relationship_list_t *query(fixture_t *f, double as_of, kw_grouping_t by, int all)
{
    kw_query_options_t q = { .as_of = AT(as_of), .by = by, .include_all = all, .state_filter = -1 };
    kw_relationship_list_t *l = NULL;
    char *error = NULL;
    g_assert_cmpint(kw_relationships_query(f->store, &q, &l, &error), ==, KW_OK);
    g_assert_null(error);
    return l;
}

static void test_who_is_listed(fixture_t *f, gconstpointer data)
{
    kw_relationship_list_t *l;
    const kw_relationship_t *r;
    (void) data;
    fill_world(f);
    l = query(f, 400, KW_BY_ORG, 1);
    /* exactly the four customer relationships; no noise, no prospects,
     * no strangers, no colleagues, no broadcast-only recipients */
    g_assert_cmpint(l->count, ==, 4);
    g_assert_nonnull(r = find_rel(l, "acme.com"));
    g_assert_cmpint(r->kind, ==, KW_TARGET_ORG);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "ok");
    g_assert_cmpint(r->cadence_days, ==, 30);
    g_assert_cmpstr(r->people[0], ==, "jane@acme.com");
    g_assert_null(r->people[1]);
    g_assert_cmpstr(r->main_person, ==, "jane@acme.com");
    g_assert_true(strstr(r->reason, "with Jane Doe") != NULL);
    /* sub.old.example rolls up into old.example */
    g_assert_nonnull(r = find_rel(l, "old.example"));
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    /* the freemail customer is a person, not "gmail.com" */
    g_assert_null(find_rel(l, "gmail.com"));
    g_assert_nonnull(r = find_rel(l, "carl@gmail.com"));
    g_assert_cmpint(r->kind, ==, KW_TARGET_PERSON);
    g_assert_cmpstr(r->name, ==, "Carl Free");
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    g_assert_nonnull(r = find_rel(l, "initech.co.uk"));
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "awaiting-your-reply");
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

static void test_contacts(fixture_t *f, gconstpointer data)
{
    kw_contact_list_t *l = NULL;
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
    g_assert_cmpint(kw_contacts_list(f->store, 1, &l, &error), ==, KW_OK);
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
    g_assert_cmpint(kw_contacts_list(f->store, 0, &l, &error), ==, KW_OK);
    g_assert_cmpint(l->count, ==, 5); /* jane, bob, carl, pat, lead */
    for (size_t i = 0; i < l->count; i++)
        g_assert_cmpint(l->items[i].kind, ==, KW_KIND_PERSON);
    kw_contact_list_free(l);
}

static void test_actions(fixture_t *f, gconstpointer data)
{
    kw_query_options_t q = { .as_of = AT(400), .state_filter = -1 };
    kw_relationship_t *r = NULL;
    kw_relationship_list_t *l;
    char *error = NULL;
    (void) data;
    fill_world(f);

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
    g_assert_cmpint(kw_relationship_get(f->store, "old.example", &q, &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "snoozed");
    g_assert_cmpint(r->snoozed_until, ==, AT(420));
    kw_relationship_free(r);
    /* after the date it is back */
    q.as_of = AT(421);
    g_assert_cmpint(kw_relationship_get(f->store, "old.example", &q, &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    kw_relationship_free(r);
    q.as_of = AT(400);

    /* ignore a freemail person by address (mixed case) */
    g_assert_cmpint(kw_ignore(f->store, "Carl@Gmail.com", &error), ==, KW_OK);
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_null(find_rel(l, "carl@gmail.com"));
    g_assert_null(find_rel(l, "old.example")); /* snoozed */
    g_assert_nonnull(find_rel(l, "initech.co.uk"));
    kw_relationship_list_free(l);
    l = query(f, 400, KW_BY_ORG, 1);
    g_assert_cmpstr(kw_state_to_string(find_rel(l, "carl@gmail.com")->state), ==, "ignored");
    kw_relationship_list_free(l);
    g_assert_cmpint(kw_unignore(f->store, "carl@gmail.com", &error), ==, KW_OK);
    l = query(f, 400, KW_BY_ORG, 0);
    g_assert_nonnull(find_rel(l, "carl@gmail.com"));
    kw_relationship_list_free(l);

    /* user cadence wins, note shows up; "auto" (0) returns to learned */
    g_assert_cmpint(kw_set_cadence(f->store, "acme.com", 5, &error), ==, KW_OK);
    g_assert_cmpint(kw_set_note(f->store, "jane@acme.com", "Met at the fair", &error), ==, KW_OK);
    g_assert_cmpint(kw_relationship_get(f->store, "acme.com", &q, &r, &error), ==, KW_OK);
    g_assert_cmpint(r->cadence_days, ==, 5);
    g_assert_true(r->cadence_user_set);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "overdue");
    kw_relationship_free(r);
    g_assert_cmpint(kw_relationship_get(f->store, "jane@acme.com", &q, &r, &error), ==, KW_OK);
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
    g_assert_cmpint(kw_relationship_get(f->store, "acme.com", &q, &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->people[0], ==, "leaver@acme.com");
    kw_relationship_free(r);
    g_assert_cmpint(kw_ignore(f->store, "leaver@acme.com", &error), ==, KW_OK);
    g_assert_cmpint(kw_relationship_get(f->store, "acme.com", &q, &r, &error), ==, KW_OK);
    g_assert_cmpstr(r->people[0], ==, "jane@acme.com");
    g_assert_null(r->people[1]);
    kw_relationship_free(r);
    g_assert_null(error);
}

static void test_get_and_timeline(fixture_t *f, gconstpointer data)
{
    kw_query_options_t q = { .as_of = AT(400), .state_filter = -1 };
    kw_relationship_t *r = NULL;
    kw_touch_list_t *tl = NULL;
    char *error = NULL;
    (void) data;
    fill_world(f);

    /* noise targets explain themselves */
    g_assert_cmpint(kw_relationship_get(f->store, "news@letters.example", &q, &r, &error), ==,
                    KW_ERR_NOT_FOUND);
    g_assert_true(strstr(error, "mailing list") != NULL);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_relationship_get(f->store, "tim@mycorp.com", &q, &r, &error), ==,
                    KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_relationship_get(f->store, "nobody.example", &q, &r, &error), ==,
                    KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, kw_free);
    g_assert_cmpint(kw_relationship_get(f->store, "not an address@", &q, &r, &error), ==,
                    KW_ERR_USAGE);
    g_clear_pointer(&error, kw_free);

    /* a prospect can be shown: you wrote, they never did */
    g_assert_cmpint(kw_relationship_get(f->store, "lead@prospect.example", &q, &r, &error), ==, KW_OK);
    g_assert_cmpstr(kw_state_to_string(r->state), ==, "awaiting-their-reply");
    g_assert_true(strstr(r->reason, "never replied") != NULL);
    kw_relationship_free(r);

    /* the timeline: touches, newest first, with subjects */
    g_assert_cmpint(kw_relationship_timeline(f->store, "initech.co.uk", AT(400), &tl, &error), ==, KW_OK);
    g_assert_cmpint(tl->count, ==, 11);
    g_assert_cmpint(tl->items[0].time, ==, AT(393));
    g_assert_true(tl->items[0].inbound && !tl->items[0].outbound);
    g_assert_cmpstr(tl->items[0].subject, ==, "Urgent question");
    g_assert_cmpstr(tl->items[0].address, ==, "pat@initech.co.uk");
    g_assert_true(tl->items[1].inbound && tl->items[1].outbound);
    g_assert_cmpint(tl->items[1].time, >, tl->items[2].time);
    kw_touch_list_free(tl);
    /* as_of cuts the timeline */
    g_assert_cmpint(kw_relationship_timeline(f->store, "initech.co.uk", AT(150), &tl, &error), ==, KW_OK);
    g_assert_cmpint(tl->count, ==, 2);
    kw_touch_list_free(tl);
    g_assert_null(error);
}

/* ------------------------------------------------------------------------ */
/* The speed measurement                                                     */
/* ------------------------------------------------------------------------ */

static void test_speed(fixture_t *f, gconstpointer data)
{
    kw_query_options_t q = { .as_of = AT(730), .state_filter = -1, .include_all = 1 };
    kw_relationship_list_t *l = NULL;
    char *error = NULL;
    double best = 1e9, total = 0;
    int runs = 7;
    sqlite3_stmt *st;
    int64_t n_msg = 0, n_int = 0;
    (void) data;

    /* Under valgrind the numbers mean nothing; one warm run still checks
     * the code path for memory errors. */
    if (g_getenv("KW_UNDER_VALGRIND"))
        runs = 2;

    /* 5000 contacts at 1000 organisations (every 10th a freemail person);
     * 100k messages over two years, 20 per contact, alternating direction,
     * every 25th a list mail, every 40th to several people. */
    exec_sql(f->store,
             "BEGIN;"
             "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) "
             "INSERT INTO contacts(id, email, name, domain) SELECT i + 100, "
             "  CASE WHEN i % 10 = 0 THEN 'p' || i || '@gmail.com' "
             "       ELSE 'p' || i || '@org' || (i % 1000) || '.example' END, "
             "  'Person ' || i, "
             "  CASE WHEN i % 10 = 0 THEN 'gmail.com' ELSE 'org' || (i % 1000) || '.example' END "
             "FROM c;"
             "WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < 100000) "
             "INSERT INTO messages(id, account_id, identity_key, fingerprint, subject, date, flags, n_recipients) "
             "SELECT i, 1, 'k' || i, 'f' || i, 'Subject ' || i, "
             "  1704067200 + ((i * 7919) % (730 * 86400)), "
             "  CASE WHEN i % 25 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 40 = 0 THEN 3 ELSE 1 END FROM m;"
             "INSERT INTO interactions(contact_id, date, message_id, direction, flags, n_recipients) "
             "SELECT 100 + 1 + (id % 5000), date, id, 1 + (id / 5000) % 2, flags, n_recipients FROM messages;"
             "INSERT INTO interactions(contact_id, date, message_id, direction, flags, n_recipients) "
             "SELECT 100 + 1 + ((id + 1) % 5000), date, id, 2, flags, n_recipients FROM messages WHERE n_recipients = 3;"
             "COMMIT;"
             "ANALYZE;");
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM interactions)",
                       -1, &st, NULL);
    sqlite3_step(st);
    n_msg = sqlite3_column_int64(st, 0);
    n_int = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);

    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: every relationship (all reasons built); pass 1: the
         * default list (only those needing attention) */
        q.include_all = pass == 0;
        best = 1e9;
        total = 0;
        for (int k = 0; k < runs; k++) {
            gint64 t0 = g_get_monotonic_time();
            g_assert_cmpint(kw_relationships_query(f->store, &q, &l, &error), ==, KW_OK);
            double ms = (double) (g_get_monotonic_time() - t0) / 1000.0;
            if (k > 0) { /* the first run warms the page cache */
                total += ms;
                if (ms < best)
                    best = ms;
            }
            if (k + 1 < runs)
                kw_relationship_list_free(l);
        }
        g_assert_cmpint(l->count, >, pass ? 100 : 900);
        printf("# kw_relationships_query (%s): %" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT
               " interactions, 5000 contacts -> %zu relationships: best %.1f ms, mean %.1f ms "
               "over %d warm runs\n",
               pass ? "default list" : "--all", (gint64) n_msg, (gint64) n_int, l->count, best,
               total / (runs - 1), runs - 1);
        kw_relationship_list_free(l);
    }
    if (g_getenv("KW_BENCH_DB")) {
        /* keep a copy for measuring the command: VACUUM INTO the given path */
        char *sql = g_strdup_printf("VACUUM INTO '%s'", g_getenv("KW_BENCH_DB"));
        exec_sql(f->store, sql);
        g_free(sql);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/model/who-is-listed", fixture_t, NULL, fixture_setup, test_who_is_listed, fixture_teardown);
    g_test_add("/model/contacts", fixture_t, NULL, fixture_setup, test_contacts, fixture_teardown);
    g_test_add("/model/actions", fixture_t, NULL, fixture_setup, test_actions, fixture_teardown);
    g_test_add("/model/get-and-timeline", fixture_t, NULL, fixture_setup, test_get_and_timeline,
               fixture_teardown);
    g_test_add("/model/speed", fixture_t, NULL, fixture_setup, test_speed, fixture_teardown);
    return g_test_run();
}
