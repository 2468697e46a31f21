/* test-store.c — opening, creating, migrating and refusing stores; the sync
 * writer's dedupe and direction rules; identities recomputed locally. */
#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "keepwarm.h"
#include "store.h"
#include "sync_store.h"

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
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

/* E6: the directory is created 0700 and the file 0600 even under umask 000,
 * and -wal / -shm inherit 0600. */
static void test_create_modes(void)
{
    char *dir = tmp_path("modes/deeper");
    char *path = g_build_filename(dir, "kw.db", NULL);
    char *wal = g_strconcat(path, "-wal", NULL);
    kw_store_t *s = NULL;
    char *err = NULL;
    struct stat sb;
    mode_t old = umask(0);

    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, &err), ==, KW_OK);
    umask(old);
    g_assert_null(err);
    g_assert_cmpint(kw_store_exec(s, "BEGIN IMMEDIATE; INSERT INTO accounts(name) VALUES ('x'); COMMIT", NULL), ==, KW_OK);
    g_assert_cmpint(stat(dir, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0700);
    g_assert_cmpint(stat(path, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    g_assert_cmpint(stat(wal, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    g_assert_cmpint(query_int(s, "PRAGMA user_version"), ==, kw_store_schema_version());
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), ==, 1);
    kw_store_close(s);
    /* Opening again migrates nothing and keeps the data. */
    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM accounts"), ==, 1);
    kw_store_close(s);
    g_free(wal);
    g_free(path);
    g_free(dir);
}

static gchar *slurp(const char *path, gsize *len)
{
    gchar *data = NULL;
    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    return data;
}

/* E5: a store written by a newer keepwarm is refused and left byte-for-byte. */
static void test_too_new(void)
{
    char *path = tmp_path("new.db");
    sqlite3 *db;
    gsize l1, l2;
    gchar *before, *after;
    kw_store_t *s = NULL;
    char *err = NULL;

    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE future(x); PRAGMA user_version=999", NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close(db);
    before = slurp(path, &l1);
    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, &err), ==, KW_ERR_STORE_TOO_NEW);
    g_assert_null(s);
    g_assert_nonnull(strstr(err, "newer keepwarm"));
    after = slurp(path, &l2);
    g_assert_cmpmem(before, l1, after, l2);
    kw_free(err);
    g_free(before);
    g_free(after);
    g_free(path);
}

/* E8: a file that is not a database is reported, never overwritten. */
static void test_corrupt(void)
{
    char *path = tmp_path("garbage.db");
    const char junk[] = "this is not an SQLite database, but it is somebody's file\n";
    gsize len;
    gchar *after;
    kw_store_t *s = NULL;
    char *err = NULL;

    g_assert_true(g_file_set_contents(path, junk, -1, NULL));
    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, &err), ==, KW_ERR_STORE_CORRUPT);
    g_assert_nonnull(strstr(err, "left untouched"));
    after = slurp(path, &len);
    g_assert_cmpmem(junk, strlen(junk), after, len);
    kw_free(err);
    g_free(after);
    g_free(path);
}

static void test_read_only_missing(void)
{
    char *path = tmp_path("missing.db");
    kw_store_t *s = NULL;
    char *err = NULL;
    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_ONLY, &s, &err), ==, KW_ERR_NOT_FOUND);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    kw_free(err);
    g_free(path);
}

/* ---- the sync writer ------------------------------------------------------ */

static kw_parsed_addr_t addr(kw_addr_role_t role, const char *email, const char *name)
{
    kw_parsed_addr_t a = { role, (char *)email, (char *)name };
    return a;
}

static kw_parsed_msg_t message(const char *key, const char *fp, int64_t date, kw_parsed_addr_t *addrs,
                               size_t n)
{
    kw_parsed_msg_t m;
    memset(&m, 0, sizeof m);
    m.date = date;
    m.addrs = addrs;
    m.n_addrs = n;
    m.n_recipients = (unsigned)n - 1;
    g_strlcpy(m.identity_key, key, sizeof m.identity_key);
    g_strlcpy(m.fingerprint, fp, sizeof m.fingerprint);
    return m;
}

static void add(kw_store_t *s, kw_sync_writer_t *w, kw_folder_state_t *f, kw_parsed_msg_t *m, int expect_new)
{
    int is_new = -1;
    g_assert_cmpint(kw_store_write_begin(s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_add(w, f, m, &is_new, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_write_commit(s, NULL), ==, KW_OK);
    g_assert_cmpint(is_new, ==, expect_new);
}

static void test_writer(void)
{
    char *path = tmp_path("writer.db");
    kw_store_t *s = NULL;
    kw_sync_writer_t *w = NULL;
    int64_t account;
    kw_folder_state_t inbox = { 0, 0, 0, (char *)"INBOX", (char *)"INBOX", NULL, 0 };
    kw_folder_state_t sent = { 0, 0, 0, (char *)"Sent", (char *)"Sent", (char *)"Sent", 1 };
    const char *me[] = { "me@seller.example", NULL };

    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_add_identity(s, "work", me[0], NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_account_id(s, "work", 0, &account, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_new(s, account, &w, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_folder(w, &inbox, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_folder(w, &sent, NULL), ==, KW_OK);
    g_assert_cmpint(inbox.last_uid, ==, 0);

    /* Inbound: Jane writes to me. */
    kw_parsed_addr_t a1[] = { addr(KW_ROLE_FROM, "jane@acme.example", "Jane Doe"),
                              addr(KW_ROLE_TO, "me@seller.example", NULL) };
    kw_parsed_msg_t m1 = message("k1", "f1", 1700000000, a1, 2);
    add(s, w, &inbox, &m1, 1);
    /* The same message again (another folder, or a rescan): not new. */
    add(s, w, &inbox, &m1, 0);
    /* A copy with another Message-ID but the same fingerprint: not new. */
    kw_parsed_msg_t m1b = message("k1-other", "f1", 1700000000, a1, 2);
    add(s, w, &inbox, &m1b, 0);
    /* Outbound: I write to Jane and Bob (Cc) and to myself (Bcc). */
    kw_parsed_addr_t a2[] = { addr(KW_ROLE_FROM, "me@seller.example", "Me"),
                              addr(KW_ROLE_TO, "jane@acme.example", "Jane"),
                              addr(KW_ROLE_CC, "bob@acme.example", "Bob"),
                              addr(KW_ROLE_BCC, "me@seller.example", NULL) };
    kw_parsed_msg_t m2 = message("k2", "f2", 1700086400, a2, 4);
    add(s, w, &sent, &m2, 1);
    /* From an alias not yet known: looks inbound for now. */
    kw_parsed_addr_t a3[] = { addr(KW_ROLE_FROM, "m.e@seller.example", NULL),
                              addr(KW_ROLE_TO, "jane@acme.example", NULL) };
    kw_parsed_msg_t m3 = message("k3", "f3", 1700172800, a3, 2);
    add(s, w, &sent, &m3, 1);

    g_assert_cmpint(query_int(s, "SELECT count(*) FROM messages"), ==, 3);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 1"), ==, 2);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 2);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM messages WHERE flags & 32768"), ==, 2);
    /* Jane's name stays the one she gave herself, not my address book's "Jane". */
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM contacts WHERE email = 'jane@acme.example' AND name = 'Jane Doe'"), ==, 1);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM contacts WHERE email = 'bob@acme.example' AND domain = 'acme.example'"), ==, 1);
    /* Sent-folder From addresses are identity candidates. */
    g_assert_cmpint(query_int(s, "SELECT messages FROM sent_from WHERE email = 'me@seller.example'"), ==, 1);
    /* A copy of an INBOX message found later in Sent counts once, however
     * often it is seen again (a rescan must not inflate the count). */
    kw_parsed_addr_t a4[] = { addr(KW_ROLE_FROM, "me@seller.example", NULL),
                              addr(KW_ROLE_TO, "carol@other.example", NULL) };
    kw_parsed_msg_t m4 = message("k4", "f4", 1700200000, a4, 2);
    add(s, w, &inbox, &m4, 1);
    g_assert_cmpint(query_int(s, "SELECT messages FROM sent_from WHERE email = 'me@seller.example'"), ==, 1);
    add(s, w, &sent, &m4, 0);
    g_assert_cmpint(query_int(s, "SELECT messages FROM sent_from WHERE email = 'me@seller.example'"), ==, 2);
    add(s, w, &sent, &m4, 0);
    g_assert_cmpint(query_int(s, "SELECT messages FROM sent_from WHERE email = 'me@seller.example'"), ==, 2);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM messages WHERE flags & 32768"), ==, 3);

    /* Position commits with the folder. */
    g_assert_cmpint(kw_store_write_begin(s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_set_position(w, inbox.id, 42, 7, NULL), ==, KW_OK);
    kw_store_write_rollback(s);
    g_assert_cmpint(query_int(s, "SELECT last_uid FROM folders WHERE raw_name = 'INBOX'"), ==, 0);
    g_assert_cmpint(kw_store_write_begin(s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_set_position(w, inbox.id, 42, 7, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_write_commit(s, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT last_uid FROM folders WHERE raw_name = 'INBOX'"), ==, 7);
    kw_sync_writer_free(w);

    /* Adding the alias recomputes direction locally: m3 becomes outbound
     * (m2 to Jane and Bob, m4 to Carol were outbound already). */
    g_assert_cmpint(kw_store_add_identity(s, "work", "M.E@Seller.example ", NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 1"), ==, 1);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 4);
    /* ...and removing it restores the earlier view. */
    g_assert_cmpint(kw_store_remove_identity(s, "work", "m.e@seller.example", NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 1"), ==, 2);
    g_assert_cmpint(kw_store_remove_identity(s, "work", "m.e@seller.example", NULL), ==, KW_ERR_NOT_FOUND);
    g_assert_cmpint(kw_store_add_identity(s, "work", "not an address", NULL), ==, KW_ERR_USAGE);
    kw_store_close(s);
    g_free(path);
}

/* With no identity configured, the address that sent most of the Sent
 * folder is adopted, and directions follow. */
static void test_adopt_identity(void)
{
    char *path = tmp_path("adopt.db");
    kw_store_t *s = NULL;
    kw_sync_writer_t *w = NULL;
    int64_t account;
    char *adopted = NULL;
    kw_folder_state_t sent = { 0, 0, 0, (char *)"Sent", (char *)"Sent", (char *)"Sent", 1 };
    kw_identity_candidate_list_t *cands = NULL;

    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_exec(s, "BEGIN IMMEDIATE; INSERT INTO accounts(name) VALUES ('a'); COMMIT", NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_account_id(s, "a", 0, &account, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_new(s, account, &w, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_folder(w, &sent, NULL), ==, KW_OK);
    for (int i = 0; i < 3; i++) {
        char key[8], fp[8];
        kw_parsed_addr_t a[] = { addr(KW_ROLE_FROM, "owner@shop.example", NULL),
                                 addr(KW_ROLE_TO, "client@buyer.example", NULL) };
        kw_parsed_msg_t m;
        g_snprintf(key, sizeof key, "k%d", i);
        g_snprintf(fp, sizeof fp, "f%d", i);
        m = message(key, fp, 1700000000 + i * 86400, a, 2);
        add(s, w, &sent, &m, 1);
    }
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 0);
    g_assert_cmpint(kw_sync_writer_adopt_identity(w, &adopted, NULL), ==, KW_OK);
    g_assert_cmpstr(adopted, ==, "owner@shop.example");
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 3);
    g_free(adopted);
    /* Never twice: an identity now exists. */
    g_assert_cmpint(kw_sync_writer_adopt_identity(w, &adopted, NULL), ==, KW_OK);
    g_assert_null(adopted);
    g_assert_cmpint(kw_store_identity_candidates(s, "a", &cands, NULL), ==, KW_OK);
    g_assert_cmpuint(cands->count, ==, 1);
    g_assert_cmpint(cands->items[0].messages, ==, 3);
    g_assert_cmpint(cands->items[0].confirmed, ==, 1);
    kw_identity_candidate_list_free(cands);
    kw_sync_writer_free(w);
    kw_store_close(s);
    g_free(path);
}


/* Identities as a set (the plugin's "your other addresses"): removal really
 * forgets, directions follow in the same transaction, a bad entry changes
 * nothing. Unreadable counts are summed over new messages only. */
static void test_identity_set(void)
{
    char *path = tmp_path("idset.db");
    kw_store_t *s = NULL;
    kw_sync_writer_t *w = NULL;
    int64_t account;
    char *err = NULL;
    kw_folder_state_t inbox = { 0, 0, 0, (char *)"INBOX", (char *)"INBOX", NULL, 0 };
    kw_identity_list_t *ids = NULL;
    const char *both[] = { "phillip.allen@enron.com", "K..Allen@ENRON.com", NULL };
    const char *one[] = { "phillip.allen@enron.com", NULL };
    const char *bad[] = { "phillip.allen@enron.com", "Allen, Phillip K.", NULL };

    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_set_identities(s, "allen", both, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_account_id(s, "allen", 0, &account, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_new(s, account, &w, NULL), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_folder(w, &inbox, NULL), ==, KW_OK);
    /* mail from the k..allen address to a customer: outbound */
    kw_parsed_addr_t a1[] = { addr(KW_ROLE_FROM, "k..allen@enron.com", NULL),
                              addr(KW_ROLE_TO, "jsmith@austintx.com", NULL) };
    kw_parsed_msg_t m1 = message("k1", "f1", 1000000000, a1, 2);
    m1.n_unreadable = 2;
    add(s, w, &inbox, &m1, 1);
    add(s, w, &inbox, &m1, 0);      /* a copy: not counted again */
    g_assert_cmpint(kw_sync_writer_unreadable(w), ==, 2);
    kw_sync_writer_free(w);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 1);

    g_assert_cmpint(kw_store_identities(s, "allen", &ids, NULL), ==, KW_OK);
    g_assert_cmpuint(ids->count, ==, 2);
    g_assert_cmpstr(ids->items[0].address, ==, "k..allen@enron.com");
    g_assert_cmpstr(ids->items[1].account, ==, "allen");
    kw_identity_list_free(ids);

    /* a bad entry: nothing changes, the message names it */
    g_assert_cmpint(kw_store_set_identities(s, "allen", bad, &err), ==, KW_ERR_USAGE);
    g_assert_nonnull(strstr(err, "'Allen, Phillip K.'"));
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM identities"), ==, 2);

    /* removing k..allen: the message becomes inbound from k..allen */
    g_assert_cmpint(kw_store_set_identities(s, "allen", one, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM identities"), ==, 1);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 0);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM interactions i JOIN contacts c ON c.id = i.contact_id"
                                 " WHERE direction = 1 AND c.email = 'k..allen@enron.com'"), ==, 1);
    /* the same set again: nothing to do */
    g_assert_cmpint(kw_store_set_identities(s, "allen", one, NULL), ==, KW_OK);
    /* an empty set forgets all */
    g_assert_cmpint(kw_store_set_identities(s, "allen", NULL, NULL), ==, KW_OK);
    g_assert_cmpint(query_int(s, "SELECT count(*) FROM identities"), ==, 0);
    g_assert_cmpint(kw_store_identities(s, "nobody", &ids, NULL), ==, KW_ERR_NOT_FOUND);
    g_assert_cmpint(kw_store_set_identities(s, NULL, one, NULL), ==, KW_ERR_USAGE);
    kw_store_close(s);
    g_free(path);
}

static char *colleagues_string(kw_store_t *s)
{
    kw_colleague_domain_list_t *l = NULL;
    GString *out = g_string_new(NULL);
    g_assert_cmpint(kw_store_colleague_domains(s, &l, NULL), ==, KW_OK);
    for (size_t i = 0; i < l->count; i++)
        g_string_append_printf(out, "%s%s(%s:%s)", i ? " " : "", l->items[i].domain,
                               l->items[i].source == KW_COLLEAGUE_OWN_DOMAIN ? "own" : "id",
                               l->items[i].origin);
    kw_colleague_domain_list_free(l);
    return g_string_free(out, FALSE);
}

static char *own_string(kw_store_t *s)
{
    char **d = NULL, *r;
    g_assert_cmpint(kw_store_get_own_domains(s, &d, NULL), ==, KW_OK);
    r = d ? g_strjoinv(",", d) : g_strdup("(default)");
    if (d && !d[0]) {
        g_free(r);
        r = g_strdup("(none)");
    }
    kw_strv_free(d);
    return r;
}

#define ASSERT_STR_FREE(expr, want) do { char *v_ = (expr); g_assert_cmpstr(v_, ==, want); g_free(v_); } while (0)

/* Own domains: default, a list, nobody; the colleague domains in effect. */
static void test_own_domains(void)
{
    char *path = tmp_path("own.db");
    kw_store_t *s = NULL;
    char *err = NULL;
    const char *list[] = { "Sales.ACME.co.uk.", "b\xc3\xbc" "cher.example", NULL };
    const char *none[] = { NULL };
    const char *bad[] = { "acme.com", "jane@acme.com", NULL };

    g_assert_cmpint(kw_store_open(path, KW_STORE_READ_WRITE, &s, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_add_identity(s, "a", "jane@mycompany.example", NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_add_identity(s, "a", "jane.private@gmail.com", NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "(default)");
    /* default: the domains of non-freemail identities */
    ASSERT_STR_FREE(colleagues_string(s), "mycompany.example(id:jane@mycompany.example)");
    /* a list: normalised, own domains first, as registrable domains */
    g_assert_cmpint(kw_store_set_own_domains(s, list, NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "b\xc3\xbc" "cher.example,sales.acme.co.uk");
    ASSERT_STR_FREE(colleagues_string(s), "b\xc3\xbc" "cher.example(own:b\xc3\xbc" "cher.example) "
                    "acme.co.uk(own:sales.acme.co.uk) mycompany.example(id:jane@mycompany.example)");
    /* nobody (the analyst's one-company archive) */
    g_assert_cmpint(kw_store_set_own_domains(s, none, NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "(none)");
    ASSERT_STR_FREE(colleagues_string(s), "");
    /* adding one turns the rule on again */
    g_assert_cmpint(kw_store_add_own_domain(s, "partner.example", NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "partner.example");
    g_assert_cmpint(kw_store_remove_own_domain(s, "other.example", &err), ==, KW_ERR_NOT_FOUND);
    g_assert_nonnull(strstr(err, "other.example"));
    g_clear_pointer(&err, g_free);
    /* removing the last one returns to the default */
    g_assert_cmpint(kw_store_remove_own_domain(s, "PARTNER.example", NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "(default)");
    /* not domains: nothing changes, the message names the value */
    g_assert_cmpint(kw_store_set_own_domains(s, bad, &err), ==, KW_ERR_USAGE);
    g_assert_nonnull(strstr(err, "'jane@acme.com'"));
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(kw_store_add_own_domain(s, "a b.example", NULL), ==, KW_ERR_USAGE);
    g_assert_cmpint(kw_store_add_own_domain(s, "[192.0.2.1]", NULL), ==, KW_ERR_USAGE);
    ASSERT_STR_FREE(own_string(s), "(default)");
    /* back to the default explicitly */
    g_assert_cmpint(kw_store_set_own_domains(s, list, NULL), ==, KW_OK);
    g_assert_cmpint(kw_store_set_own_domains(s, NULL, NULL), ==, KW_OK);
    ASSERT_STR_FREE(own_string(s), "(default)");
    kw_store_close(s);
    g_free(path);
}

int main(int argc, char **argv)
{
    int rc;
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("kw-test-store-XXXXXX", NULL);
    g_test_add_func("/store/create-modes", test_create_modes);
    g_test_add_func("/store/too-new", test_too_new);
    g_test_add_func("/store/corrupt", test_corrupt);
    g_test_add_func("/store/read-only-missing", test_read_only_missing);
    g_test_add_func("/store/writer", test_writer);
    g_test_add_func("/store/adopt-identity", test_adopt_identity);
    g_test_add_func("/store/identity-set", test_identity_set);
    g_test_add_func("/store/own-domains", test_own_domains);
    rc = g_test_run();
    {
        char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            rc = rc ? rc : 1;
        g_free(cmd);
    }
    g_free(tmpdir);
    return rc;
}
