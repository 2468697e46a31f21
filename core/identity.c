/* identity.c — who the user is and who is a colleague: identities per
 * account, own domains, the colleague domains in effect, and the identity
 * candidates found in Sent folders (keepwarm.h, "Accounts and identities").
 *
 * Every change of identities recomputes the interactions locally
 * (kw_store_rebuild_interactions) inside the same BEGIN IMMEDIATE
 * transaction, so directions never disagree with the identities. */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "classify.h"
#include "sanitize.h"
#include "store.h"

/* ---- identities ------------------------------------------------------------ */

/* Run one statement with (account, email) bound; *changes = changes(). */
static kw_status_t identity_stmt(kw_store_t *store, const char *sql, int64_t account_id, const char *email,
                                 int *changes, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st = kw_store_prepare(store, sql, &stmt, error);
    int rc;

    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, account_id);
    if (email)
        sqlite3_bind_text(stmt, 2, email, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "updating identities", error);
    *changes = sqlite3_changes(store->db);
    return KW_OK;
}

static int check_account(const char *account, char **error)
{
    if (!account || !*account) {
        kw_set_error(error, "no account name given");
        return -1;
    }
    return 0;
}

/* Normalise every address of `in` (NULL-terminated, may be NULL) into a
 * new array, or fail naming the first that is not an address. */
static kw_status_t normalize_all(const char *const *in, char ***out, char **error)
{
    GPtrArray *v = g_ptr_array_new();

    for (; in && *in; in++) {
        char *e = kw_normalize_email(*in, -1);
        if (!e) {
            kw_set_error(error, "'%s' is not an e-mail address", *in);
            g_ptr_array_add(v, NULL);
            g_strfreev((char **)g_ptr_array_free(v, FALSE));
            *out = NULL;
            return KW_ERR_USAGE;
        }
        g_ptr_array_add(v, e);
    }
    g_ptr_array_add(v, NULL);
    *out = (char **)g_ptr_array_free(v, FALSE);
    return KW_OK;
}

/* End a write transaction of this file: on success, recompute the
 * directions when identities changed (locally, nothing downloaded) and
 * commit; on failure (or if that fails) roll back. Returns the outcome. */
static kw_status_t end_change(kw_store_t *store, kw_status_t st, int changes, char **error)
{
    if (st == KW_OK && changes > 0)
        st = kw_store_rebuild_interactions(store, error);
    if (st == KW_OK)
        st = kw_store_write_commit(store, error);
    if (st != KW_OK)
        kw_store_write_rollback(store);
    return st;
}

static kw_status_t change_identity(kw_store_t *store, const char *account, const char *address, int add,
                                   char **error)
{
    char *email = NULL;
    int64_t account_id;
    int changes = 0;
    kw_status_t st;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (check_account(account, error) != 0)
        return KW_ERR_USAGE;
    if (!address || !(email = kw_normalize_email(address, -1))) {
        kw_set_error(error, "'%s' is not an e-mail address", address ? address : "");
        return KW_ERR_USAGE;
    }
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto done;
    st = kw_store_account_id(store, account, add, &account_id, error);
    if (st == KW_OK)
        st = identity_stmt(store,
                           add ? "INSERT OR IGNORE INTO identities(account_id, email) VALUES (?1, ?2)"
                               : "DELETE FROM identities WHERE account_id = ?1 AND email = ?2",
                           account_id, email, &changes, error);
    if (st == KW_OK && !add && changes == 0) {
        kw_set_error(error, "%s is not an identity of account '%s'", email, account);
        st = KW_ERR_NOT_FOUND;
    }
    st = end_change(store, st, changes, error);
done:
    g_free(email);
    return st;
}

KW_PUBLIC kw_status_t kw_store_add_identity(kw_store_t *store, const char *account, const char *address,
                                            char **error)
{
    return change_identity(store, account, address, 1, error);
}

KW_PUBLIC kw_status_t kw_store_remove_identity(kw_store_t *store, const char *account, const char *address,
                                               char **error)
{
    return change_identity(store, account, address, 0, error);
}

KW_PUBLIC kw_status_t kw_store_set_identities(kw_store_t *store, const char *account,
                                              const char *const *addresses, char **error)
{
    char **emails = NULL;
    int64_t account_id;
    int changes = 0, c;
    kw_status_t st;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (check_account(account, error) != 0)
        return KW_ERR_USAGE;
    st = normalize_all(addresses, &emails, error);
    if (st != KW_OK)
        return st;
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto done;
    st = kw_store_account_id(store, account, 1, &account_id, error);
    if (st != KW_OK)
        goto end;
    /* the new set in a temporary table, then the difference both ways */
    st = kw_store_exec(store,
                       "CREATE TEMP TABLE IF NOT EXISTS kw_new_identities(email TEXT PRIMARY KEY);"
                       "DELETE FROM kw_new_identities",
                       error);
    if (st != KW_OK)
        goto end;
    for (char **e = emails; *e; e++) {
        st = identity_stmt(store, "INSERT OR IGNORE INTO kw_new_identities(email) VALUES (?2)", account_id,
                           *e, &c, error);
        if (st != KW_OK)
            goto end;
    }
    st = identity_stmt(store,
                       "DELETE FROM identities WHERE account_id = ?1 AND email NOT IN"
                       " (SELECT email FROM kw_new_identities)",
                       account_id, NULL, &c, error);
    if (st != KW_OK)
        goto end;
    changes += c;
    st = identity_stmt(store,
                       "INSERT OR IGNORE INTO identities(account_id, email)"
                       " SELECT ?1, email FROM kw_new_identities",
                       account_id, NULL, &c, error);
    if (st != KW_OK)
        goto end;
    changes += c;
    st = kw_store_exec(store, "DELETE FROM kw_new_identities", error);
end:
    st = end_change(store, st, changes, error);
done:
    g_strfreev(emails);
    return st;
}

KW_PUBLIC kw_status_t kw_store_identities(kw_store_t *store, const char *account, kw_identity_list_t **out,
                                          char **error)
{
    sqlite3_stmt *stmt = NULL;
    GArray *items;
    int64_t account_id = 0;
    kw_status_t st;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if (account) {
        st = kw_store_account_id(store, account, 0, &account_id, error);
        if (st != KW_OK)
            return st;
    }
    st = kw_store_prepare(store,
                          "SELECT a.name, i.email FROM identities i JOIN accounts a ON a.id = i.account_id"
                          " WHERE ?1 = 0 OR a.id = ?1 ORDER BY a.name, i.email",
                          &stmt, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, account_id);
    items = g_array_new(FALSE, TRUE, sizeof(kw_identity_t));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        kw_identity_t it;
        it.account = g_strdup((const char *)sqlite3_column_text(stmt, 0));
        it.address = g_strdup((const char *)sqlite3_column_text(stmt, 1));
        g_array_append_val(items, it);
    }
    sqlite3_finalize(stmt);
    *out = g_new0(kw_identity_list_t, 1);
    (*out)->count = items->len;
    (*out)->items = (kw_identity_t *)(void *)g_array_free(items, FALSE);
    if (rc != SQLITE_DONE) {
        kw_identity_list_free(*out);
        *out = NULL;
        return kw_store_fail(store, rc, "reading identities", error);
    }
    return KW_OK;
}

KW_PUBLIC void kw_identity_list_free(kw_identity_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        g_free(list->items[i].account);
        g_free(list->items[i].address);
    }
    g_free(list->items);
    g_free(list);
}

/* ---- own domains ------------------------------------------------------------- */

#define PREF_OWN_DOMAINS "own_domains"

/* Normalise every domain of `in`, or fail naming the first that is none. */
static kw_status_t normalize_domains(const char *const *in, char ***out, char **error)
{
    GPtrArray *v = g_ptr_array_new();

    for (; in && *in; in++) {
        char *d = kw_normalize_domain(*in);
        if (!d) {
            kw_set_error(error, "'%s' is not a domain name", *in);
            g_ptr_array_add(v, NULL);
            g_strfreev((char **)g_ptr_array_free(v, FALSE));
            *out = NULL;
            return KW_ERR_USAGE;
        }
        g_ptr_array_add(v, d);
    }
    g_ptr_array_add(v, NULL);
    *out = (char **)g_ptr_array_free(v, FALSE);
    return KW_OK;
}

/* Run `sql` with ?1 bound to `text` (may be NULL: nothing bound). */
static kw_status_t run1(kw_store_t *store, const char *sql, const char *text, int *changes, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st = kw_store_prepare(store, sql, &stmt, error);
    int rc;

    if (st != KW_OK)
        return st;
    if (text)
        sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "saving own domains", error);
    if (changes)
        *changes = sqlite3_changes(store->db);
    return KW_OK;
}

static kw_status_t set_none(kw_store_t *store, int none, char **error)
{
    return none
               ? run1(store,
                      "INSERT OR REPLACE INTO preferences(key, value) VALUES ('" PREF_OWN_DOMAINS
                      "', 'none')",
                      NULL, NULL, error)
               : run1(store, "DELETE FROM preferences WHERE key = '" PREF_OWN_DOMAINS "'", NULL, NULL, error);
}

KW_PUBLIC kw_status_t kw_store_set_own_domains(kw_store_t *store, const char *const *domains, char **error)
{
    char **norm = NULL;
    kw_status_t st;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    st = normalize_domains(domains, &norm, error);
    if (st != KW_OK)
        return st;
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto done;
    st = run1(store, "DELETE FROM own_domains", NULL, NULL, error);
    for (char **d = norm; st == KW_OK && *d; d++)
        st = run1(store, "INSERT OR IGNORE INTO own_domains(domain) VALUES (?1)", *d, NULL, error);
    if (st == KW_OK)
        st = set_none(store, domains != NULL && domains[0] == NULL, error);
    st = end_change(store, st, 0, error);
done:
    g_strfreev(norm);
    return st;
}

static kw_status_t change_own_domain(kw_store_t *store, const char *domain, int add, char **error)
{
    char *d;
    int changes = 0;
    kw_status_t st;

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (!(d = kw_normalize_domain(domain))) {
        kw_set_error(error, "'%s' is not a domain name", domain ? domain : "");
        return KW_ERR_USAGE;
    }
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto done;
    st = run1(store,
              add ? "INSERT OR IGNORE INTO own_domains(domain) VALUES (?1)"
                  : "DELETE FROM own_domains WHERE domain = ?1",
              d, &changes, error);
    if (st == KW_OK && !add && changes == 0) {
        kw_set_error(error, "%s is not one of your own domains", d);
        st = KW_ERR_NOT_FOUND;
    }
    if (st == KW_OK && add)
        st = set_none(store, 0, error);
    st = end_change(store, st, 0, error);
done:
    g_free(d);
    return st;
}

KW_PUBLIC kw_status_t kw_store_add_own_domain(kw_store_t *store, const char *domain, char **error)
{
    return change_own_domain(store, domain, 1, error);
}

KW_PUBLIC kw_status_t kw_store_remove_own_domain(kw_store_t *store, const char *domain, char **error)
{
    return change_own_domain(store, domain, 0, error);
}

/* 1 when own domains are set to nothing. */
static kw_status_t own_domains_none(kw_store_t *store, int *none, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st = kw_store_prepare(
        store, "SELECT value = 'none' FROM preferences WHERE key = '" PREF_OWN_DOMAINS "'", &stmt, error);
    int rc;

    if (st != KW_OK)
        return st;
    rc = sqlite3_step(stmt);
    *none = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading preferences", error);
    return KW_OK;
}

/* The own domains, sorted, into `out` (strings g_strdup'ed). */
static kw_status_t own_domain_rows(kw_store_t *store, GPtrArray *out, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st = kw_store_prepare(store, "SELECT domain FROM own_domains ORDER BY domain", &stmt, error);
    int rc;

    if (st != KW_OK)
        return st;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        g_ptr_array_add(out, g_strdup((const char *)sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading own domains", error);
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_store_get_own_domains(kw_store_t *store, char ***domains_out, char **error)
{
    GPtrArray *v;
    kw_status_t st;
    int none = 0;

    if (!store || !domains_out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    *domains_out = NULL;
    st = own_domains_none(store, &none, error);
    if (st != KW_OK)
        return st;
    v = g_ptr_array_new();
    st = none ? KW_OK : own_domain_rows(store, v, error);
    g_ptr_array_add(v, NULL);
    if (st != KW_OK || (!none && v->len == 1)) {
        g_strfreev((char **)g_ptr_array_free(v, FALSE)); /* the default: NULL */
        return st;
    }
    *domains_out = (char **)g_ptr_array_free(v, FALSE);
    return KW_OK;
}

/* ---- colleague domains ------------------------------------------------------- */

static void add_colleague(GArray *items, GHashTable *seen, char *domain, kw_colleague_source_t source,
                          const char *origin)
{
    kw_colleague_domain_t c;

    if (domain == NULL || *domain == '\0' || g_hash_table_contains(seen, domain)) {
        g_free(domain);
        return;
    }
    g_hash_table_add(seen, domain);
    c.domain = g_strdup(domain);
    c.source = source;
    c.origin = g_strdup(origin);
    g_array_append_val(items, c);
}

KW_PUBLIC kw_status_t kw_store_colleague_domains(kw_store_t *store, kw_colleague_domain_list_t **out,
                                                 char **error)
{
    GHashTable *seen = NULL;
    GPtrArray *own = NULL;
    GArray *items;
    sqlite3_stmt *stmt = NULL;
    kw_status_t st;
    int none = 0, rc;

    if (!store || !out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    items = g_array_new(FALSE, TRUE, sizeof(kw_colleague_domain_t));
    st = own_domains_none(store, &none, error);
    if (st != KW_OK || none)
        goto done;
    seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    own = g_ptr_array_new_with_free_func(g_free);
    st = own_domain_rows(store, own, error);
    if (st != KW_OK)
        goto done;
    for (guint i = 0; i < own->len; i++)
        add_colleague(items, seen, kw_registrable_domain(g_ptr_array_index(own, i)), KW_COLLEAGUE_OWN_DOMAIN,
                      g_ptr_array_index(own, i));
    st = kw_store_prepare(store, "SELECT DISTINCT email FROM identities ORDER BY email", &stmt, error);
    if (st != KW_OK)
        goto done;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *email = (const char *)sqlite3_column_text(stmt, 0);
        const char *domain = kw_email_domain(email);
        /* a freemail address says nothing about colleagues */
        if (domain && !kw_is_freemail_domain(domain))
            add_colleague(items, seen, kw_registrable_domain(domain), KW_COLLEAGUE_IDENTITY, email);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        st = kw_store_fail(store, rc, "reading identities", error);
done:
    if (seen)
        g_hash_table_destroy(seen);
    if (own)
        g_ptr_array_free(own, TRUE);
    *out = g_new0(kw_colleague_domain_list_t, 1);
    (*out)->count = items->len;
    (*out)->items = (kw_colleague_domain_t *)(void *)g_array_free(items, FALSE);
    if (st != KW_OK) {
        kw_colleague_domain_list_free(*out);
        *out = NULL;
    }
    return st;
}

KW_PUBLIC void kw_colleague_domain_list_free(kw_colleague_domain_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        g_free(list->items[i].domain);
        g_free(list->items[i].origin);
    }
    g_free(list->items);
    g_free(list);
}
KW_PUBLIC kw_status_t kw_store_identity_candidates(kw_store_t *store, const char *account,
                                                   kw_identity_candidate_list_t **out, char **error)
{
    sqlite3_stmt *stmt = NULL;
    GArray *items;
    int64_t account_id;
    kw_status_t st;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    st = kw_store_account_id(store, account, 0, &account_id, error);
    if (st != KW_OK)
        return st;
    st = kw_store_prepare(store,
                          "SELECT s.email, s.messages,"
                          "       EXISTS (SELECT 1 FROM identities i WHERE i.email = s.email)"
                          "  FROM sent_from s WHERE s.account_id = ?1"
                          " ORDER BY s.messages DESC, s.email",
                          &stmt, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, account_id);
    items = g_array_new(FALSE, TRUE, sizeof(kw_identity_candidate_t));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        kw_identity_candidate_t c;
        c.address = g_strdup((const char *)sqlite3_column_text(stmt, 0));
        c.messages = sqlite3_column_int64(stmt, 1);
        c.confirmed = sqlite3_column_int(stmt, 2);
        g_array_append_val(items, c);
    }
    sqlite3_finalize(stmt);
    *out = g_new0(kw_identity_candidate_list_t, 1);
    (*out)->count = items->len;
    (*out)->items = (kw_identity_candidate_t *)(void *)g_array_free(items, FALSE);
    if (rc != SQLITE_DONE) {
        kw_identity_candidate_list_free(*out);
        *out = NULL;
        return kw_store_fail(store, rc, "reading identity candidates", error);
    }
    return KW_OK;
}

KW_PUBLIC void kw_identity_candidate_list_free(kw_identity_candidate_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        g_free(list->items[i].address);
    g_free(list->items);
    g_free(list);
}
