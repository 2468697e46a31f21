/* sync_store.c — writing synced messages (see sync_store.h). */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "classify.h"
#include "store.h"
#include "sync_store.h"

enum {
    S_CONTACT_GET,
    S_CONTACT_INS,
    S_CONTACT_NAME,
    S_MSG_INS,
    S_INTER_INS,
    S_FOLDER_POS,
    S_SENT_FROM,
    S_MARK_SENT,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_CONTACT_GET] = "SELECT id, name FROM contacts WHERE email = ?1",
    [S_CONTACT_INS] = "INSERT INTO contacts(email, name, domain) VALUES (?1, ?2, ?3)",
    [S_CONTACT_NAME] = "UPDATE contacts SET name = ?2 WHERE id = ?1",
    [S_MSG_INS] = "INSERT OR IGNORE INTO messages(account_id, identity_key, fingerprint, message_id,"
                  " in_reply_to, subject, date, flags, n_recipients, folder_id, from_contact, addrs)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [S_INTER_INS] = "INSERT OR IGNORE INTO interactions(contact_id, date, message_id, direction, flags,"
                    " n_recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_FOLDER_POS] = "UPDATE folders SET uidvalidity = ?2, last_uid = ?3, gone = 0 WHERE id = ?1",
    [S_SENT_FROM] = "INSERT INTO sent_from(account_id, email, messages) VALUES (?1, ?2, 1)"
                    " ON CONFLICT(account_id, email) DO UPDATE SET messages = messages + 1",
    /* A message already stored from another folder, now seen in \Sent:
     * mark it once, and tell whether it was newly marked. */
    [S_MARK_SENT] = "UPDATE messages SET flags = flags | 32768"
                    " WHERE account_id = ?1 AND (identity_key = ?2 OR fingerprint = ?3)"
                    "   AND (flags & 32768) = 0"
                    " RETURNING (SELECT c.email FROM contacts c WHERE c.id = messages.from_contact)",
};

typedef struct {
    int64_t id;
    char   *name; /* as stored, may be NULL */
} contact_entry_t;

struct kw_sync_writer {
    kw_store_t   *store;
    int64_t       account_id;
    sqlite3_stmt *stmt[S_COUNT];
    GHashTable   *contacts;   /* email -> contact_entry_t* */
    GHashTable   *identities; /* email set (all accounts) */
    GByteArray   *packed;     /* scratch: the message's packed addresses */
    int64_t       unreadable; /* n_unreadable of the new messages */
};

static void contact_entry_free(gpointer p)
{
    contact_entry_t *e = p;
    g_free(e->name);
    g_free(e);
}

static kw_status_t load_identities(kw_sync_writer_t *w, char **error)
{
    sqlite3_stmt *stmt;
    kw_status_t st = kw_store_prepare(w->store, "SELECT DISTINCT email FROM identities", &stmt, error);
    int rc;
    if (st != KW_OK)
        return st;
    g_hash_table_remove_all(w->identities);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        g_hash_table_add(w->identities, g_strdup((const char *)sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(w->store, rc, "reading identities", error);
    return KW_OK;
}

kw_status_t kw_sync_writer_new(kw_store_t *store, int64_t account_id, kw_sync_writer_t **out,
                               char **error)
{
    kw_sync_writer_t *w = g_new0(kw_sync_writer_t, 1);
    kw_status_t st;

    w->store = store;
    w->account_id = account_id;
    w->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, contact_entry_free);
    w->identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->packed = g_byte_array_new();
    for (int i = 0; i < S_COUNT; i++) {
        st = kw_store_prepare(store, stmt_sql[i], &w->stmt[i], error);
        if (st != KW_OK)
            goto fail;
    }
    st = load_identities(w, error);
    if (st != KW_OK)
        goto fail;
    *out = w;
    return KW_OK;
fail:
    kw_sync_writer_free(w);
    *out = NULL;
    return st;
}

void kw_sync_writer_free(kw_sync_writer_t *w)
{
    if (!w)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(w->stmt[i]);
    g_hash_table_destroy(w->contacts);
    g_hash_table_destroy(w->identities);
    g_byte_array_free(w->packed, TRUE);
    g_free(w);
}

/* Run a prepared statement to completion and reset it. */
static int step_reset(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

/* The parser's 32-hex dedupe keys as 64-bit integers (FNV-1a): integer
 * index entries are a quarter of the size and compare in one step. */
static int64_t key64(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return (int64_t)h;
}

static void bind_text_or_null(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, i);
}

/* Find or create the contact; update its display name when the person
 * named themselves (From) or when it had none. */
static kw_status_t contact_id(kw_sync_writer_t *w, const kw_parsed_addr_t *a, int64_t *id,
                              char **error)
{
    contact_entry_t *e = g_hash_table_lookup(w->contacts, a->email);
    int rc;

    if (!e) {
        sqlite3_stmt *get = w->stmt[S_CONTACT_GET];
        e = g_new0(contact_entry_t, 1);
        sqlite3_bind_text(get, 1, a->email, -1, SQLITE_STATIC);
        rc = sqlite3_step(get);
        if (rc == SQLITE_ROW) {
            e->id = sqlite3_column_int64(get, 0);
            e->name = g_strdup((const char *)sqlite3_column_text(get, 1));
        }
        sqlite3_reset(get);
        sqlite3_clear_bindings(get);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            g_free(e);
            return kw_store_fail(w->store, rc, "reading contacts", error);
        }
        if (rc == SQLITE_DONE) {
            sqlite3_stmt *ins = w->stmt[S_CONTACT_INS];
            const char *domain = kw_email_domain(a->email);
            sqlite3_bind_text(ins, 1, a->email, -1, SQLITE_STATIC);
            bind_text_or_null(ins, 2, a->name);
            sqlite3_bind_text(ins, 3, domain ? domain : "", -1, SQLITE_STATIC);
            rc = step_reset(ins);
            if (rc != SQLITE_DONE) {
                g_free(e);
                return kw_store_fail(w->store, rc, "adding a contact", error);
            }
            e->id = sqlite3_last_insert_rowid(kw_store_db(w->store));
            e->name = g_strdup(a->name);
        }
        g_hash_table_insert(w->contacts, g_strdup(a->email), e);
    }
    if (a->name && *a->name && (!e->name || (a->role == KW_ROLE_FROM && strcmp(e->name, a->name) != 0))) {
        sqlite3_stmt *upd = w->stmt[S_CONTACT_NAME];
        sqlite3_bind_int64(upd, 1, e->id);
        sqlite3_bind_text(upd, 2, a->name, -1, SQLITE_STATIC);
        rc = step_reset(upd);
        if (rc != SQLITE_DONE)
            return kw_store_fail(w->store, rc, "naming a contact", error);
        g_free(e->name);
        e->name = g_strdup(a->name);
    }
    *id = e->id;
    return KW_OK;
}

static kw_status_t add_interaction(kw_sync_writer_t *w, int64_t contact, int64_t msg_row,
                                   kw_direction_t direction, const kw_parsed_msg_t *msg, char **error)
{
    sqlite3_stmt *s = w->stmt[S_INTER_INS];
    int rc;
    sqlite3_bind_int64(s, 1, contact);
    sqlite3_bind_int64(s, 2, msg->date);
    sqlite3_bind_int64(s, 3, msg_row);
    sqlite3_bind_int(s, 4, (int)direction);
    sqlite3_bind_int(s, 5, (int)msg->flags);
    sqlite3_bind_int(s, 6, (int)msg->n_recipients);
    rc = step_reset(s);
    if (rc != SQLITE_DONE)
        return kw_store_fail(w->store, rc, "adding an interaction", error);
    return KW_OK;
}

static kw_status_t count_sent_from(kw_sync_writer_t *w, const char *email, char **error)
{
    sqlite3_stmt *sf = w->stmt[S_SENT_FROM];
    int rc;
    sqlite3_bind_int64(sf, 1, w->account_id);
    sqlite3_bind_text(sf, 2, email, -1, SQLITE_TRANSIENT);
    rc = step_reset(sf);
    if (rc != SQLITE_DONE)
        return kw_store_fail(w->store, rc, "counting sent mail", error);
    return KW_OK;
}

static kw_status_t mark_sent(kw_sync_writer_t *w, const kw_parsed_msg_t *msg, char **error)
{
    sqlite3_stmt *s = w->stmt[S_MARK_SENT];
    char *from = NULL;
    kw_status_t st = KW_OK;
    int rc;

    sqlite3_bind_int64(s, 1, w->account_id);
    sqlite3_bind_int64(s, 2, key64(msg->identity_key));
    sqlite3_bind_int64(s, 3, key64(msg->fingerprint));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (!from && sqlite3_column_type(s, 0) != SQLITE_NULL)
            from = g_strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        st = kw_store_fail(w->store, rc, "marking sent mail", error);
    else if (from)
        st = count_sent_from(w, from, error);
    g_free(from);
    return st;
}

kw_status_t kw_sync_writer_add(kw_sync_writer_t *w, const kw_folder_state_t *folder,
                               const kw_parsed_msg_t *msg, int *is_new, char **error)
{
    sqlite3_stmt *s = w->stmt[S_MSG_INS];
    const kw_parsed_addr_t *from = NULL;
    int64_t msg_row, from_id = 0;
    int64_t *ids = NULL, ids_buf[16];
    int from_is_me = 0;
    kw_status_t st = KW_OK;
    int rc;

    *is_new = 0;
    G_STATIC_ASSERT(KW_MSG_IN_SENT == 32768);
    /* Resolve the contacts first: the addresses go into the message row as
     * one packed blob (one statement instead of one row per address). */
    ids = msg->n_addrs <= G_N_ELEMENTS(ids_buf) ? ids_buf : g_new(int64_t, msg->n_addrs);
    g_byte_array_set_size(w->packed, 0);
    for (size_t i = 0; i < msg->n_addrs; i++) {
        const kw_parsed_addr_t *a = &msg->addrs[i];
        st = contact_id(w, a, &ids[i], error);
        if (st != KW_OK)
            goto done;
        kw_addrs_append(w->packed, (int)a->role, ids[i]);
        if (a->role == KW_ROLE_FROM && !from) {
            from = a;
            from_id = ids[i];
        }
    }

    sqlite3_bind_int64(s, 1, w->account_id);
    sqlite3_bind_int64(s, 2, key64(msg->identity_key));
    sqlite3_bind_int64(s, 3, key64(msg->fingerprint));
    bind_text_or_null(s, 4, msg->message_id);
    bind_text_or_null(s, 5, msg->in_reply_to);
    bind_text_or_null(s, 6, msg->subject);
    sqlite3_bind_int64(s, 7, msg->date);
    sqlite3_bind_int(s, 8, (int)(msg->flags | (folder->is_sent ? KW_MSG_IN_SENT : 0)));
    sqlite3_bind_int(s, 9, (int)msg->n_recipients);
    sqlite3_bind_int64(s, 10, folder->id);
    if (from)
        sqlite3_bind_int64(s, 11, from_id);
    else
        sqlite3_bind_null(s, 11);
    sqlite3_bind_blob(s, 12, w->packed->data, (int)w->packed->len, SQLITE_STATIC);
    rc = step_reset(s);
    if (rc != SQLITE_DONE) {
        st = kw_store_fail(w->store, rc, "adding a message", error);
        goto done;
    }
    if (sqlite3_changes(kw_store_db(w->store)) == 0) {
        /* Already stored (other folder, rescan, or a copy). A copy in \Sent
         * still tells who the user is (Enron's sent folders hold copies of
         * mail first seen in all_documents). */
        if (folder->is_sent)
            st = mark_sent(w, msg, error);
        goto done;
    }
    *is_new = 1;
    w->unreadable += msg->n_unreadable;
    msg_row = sqlite3_last_insert_rowid(kw_store_db(w->store));

    /* The direction rule is classify.c's (kw_store_rebuild_interactions()
     * applies it to every stored message). */
    from_is_me = from && g_hash_table_contains(w->identities, from->email);
    for (size_t i = 0; from && i < msg->n_addrs; i++) {
        const kw_parsed_addr_t *a = &msg->addrs[i];
        kw_direction_t dir = kw_direction_of((int)a->role, a == from, from_is_me,
                                             a != from && g_hash_table_contains(w->identities, a->email));
        if (dir == KW_DIRECTION_NONE)
            continue;
        st = add_interaction(w, ids[i], msg_row, dir, msg, error);
        if (st != KW_OK)
            goto done;
    }
    if (from && folder->is_sent)
        st = count_sent_from(w, from->email, error);
done:
    if (ids != ids_buf)
        g_free(ids);
    return st;
}

int64_t kw_sync_writer_unreadable(const kw_sync_writer_t *w)
{
    return w ? w->unreadable : 0;
}

kw_status_t kw_sync_writer_set_position(kw_sync_writer_t *w, int64_t folder_id,
                                        int64_t uidvalidity, int64_t last_uid, char **error)
{
    sqlite3_stmt *s = w->stmt[S_FOLDER_POS];
    int rc;
    sqlite3_bind_int64(s, 1, folder_id);
    sqlite3_bind_int64(s, 2, uidvalidity);
    sqlite3_bind_int64(s, 3, last_uid);
    rc = step_reset(s);
    if (rc != SQLITE_DONE)
        return kw_store_fail(w->store, rc, "saving the folder position", error);
    return KW_OK;
}

kw_status_t kw_sync_writer_folder(kw_sync_writer_t *w, kw_folder_state_t *f, char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    st = kw_store_write_begin(w->store, error);
    if (st != KW_OK)
        return st;
    st = kw_store_prepare(w->store,
                          "INSERT INTO folders(account_id, raw_name, display_name, special)"
                          " VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT(account_id, raw_name) DO UPDATE SET"
                          "   display_name = excluded.display_name, special = excluded.special"
                          " RETURNING id, uidvalidity, last_uid",
                          &s, error);
    if (st != KW_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, w->account_id);
    sqlite3_bind_text(s, 2, f->raw_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->display_name, -1, SQLITE_STATIC);
    bind_text_or_null(s, 4, f->special);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        st = kw_store_fail(w->store, rc, "saving a folder", error);
        goto fail;
    }
    f->id = sqlite3_column_int64(s, 0);
    f->uidvalidity = sqlite3_column_int64(s, 1);
    f->last_uid = sqlite3_column_int64(s, 2);
    sqlite3_finalize(s);
    s = NULL;
    return kw_store_write_commit(w->store, error);
fail:
    sqlite3_finalize(s);
    kw_store_write_rollback(w->store);
    return st;
}

kw_status_t kw_sync_writer_mark_gone(kw_sync_writer_t *w, const int64_t *seen, size_t n,
                                     char **error)
{
    GString *sql = g_string_new("UPDATE folders SET gone = 1 WHERE account_id = ");
    kw_status_t st;

    g_string_append_printf(sql, "%" G_GINT64_FORMAT " AND id NOT IN (", w->account_id);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(sql, "%s%" G_GINT64_FORMAT, i ? "," : "", seen[i]);
    g_string_append(sql, ")");
    st = kw_store_write_begin(w->store, error);
    if (st == KW_OK) {
        st = kw_store_exec(w->store, sql->str, error);
        if (st == KW_OK)
            st = kw_store_write_commit(w->store, error);
        else
            kw_store_write_rollback(w->store);
    }
    g_string_free(sql, TRUE);
    return st;
}

kw_status_t kw_sync_writer_adopt_identity(kw_sync_writer_t *w, char **adopted, char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    char *email = NULL;
    int64_t top = 0, total = 0;
    int rc;

    *adopted = NULL;
    st = kw_store_write_begin(w->store, error);
    if (st != KW_OK)
        return st;
    st = kw_store_prepare(w->store,
                          "SELECT (SELECT count(*) FROM identities WHERE account_id = ?1),"
                          " (SELECT email FROM sent_from WHERE account_id = ?1 ORDER BY messages DESC, email LIMIT 1),"
                          " (SELECT max(messages) FROM sent_from WHERE account_id = ?1),"
                          " (SELECT total(messages) FROM sent_from WHERE account_id = ?1)",
                          &s, error);
    if (st != KW_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, w->account_id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        st = kw_store_fail(w->store, rc, "reading identities", error);
        goto fail;
    }
    /* Adopt only when nothing is configured and one address clearly
     * dominates the \Sent folder (at least half of it). */
    if (sqlite3_column_int64(s, 0) == 0 && sqlite3_column_type(s, 1) != SQLITE_NULL) {
        email = g_strdup((const char *)sqlite3_column_text(s, 1));
        top = sqlite3_column_int64(s, 2);
        total = (int64_t)sqlite3_column_double(s, 3);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (!email || top * 2 < total) {
        g_free(email);
        kw_store_write_rollback(w->store);
        return KW_OK;
    }
    st = kw_store_prepare(w->store, "INSERT OR IGNORE INTO identities(account_id, email) VALUES (?1, ?2)",
                          &s, error);
    if (st != KW_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, w->account_id);
    sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_DONE) {
        st = kw_store_fail(w->store, rc, "adding an identity", error);
        goto fail;
    }
    st = kw_store_rebuild_interactions(w->store, error);
    if (st != KW_OK)
        goto fail;
    st = kw_store_write_commit(w->store, error);
    if (st != KW_OK)
        goto fail;
    g_hash_table_add(w->identities, g_strdup(email));
    *adopted = email;
    return KW_OK;
fail:
    g_free(email);
    sqlite3_finalize(s);
    kw_store_write_rollback(w->store);
    return st;
}

kw_status_t kw_sync_writer_touch_account(kw_sync_writer_t *w, const char *host, const char *user,
                                         char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st = kw_store_write_begin(w->store, error);
    int rc;
    if (st != KW_OK)
        return st;
    st = kw_store_prepare(w->store, "UPDATE accounts SET host = ?2, user = ?3, last_sync = ?4 WHERE id = ?1",
                          &s, error);
    if (st != KW_OK) {
        kw_store_write_rollback(w->store);
        return st;
    }
    sqlite3_bind_int64(s, 1, w->account_id);
    bind_text_or_null(s, 2, host);
    bind_text_or_null(s, 3, user);
    sqlite3_bind_int64(s, 4, (int64_t)time(NULL));
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        kw_store_write_rollback(w->store);
        return kw_store_fail(w->store, rc, "updating the account", error);
    }
    return kw_store_write_commit(w->store, error);
}
