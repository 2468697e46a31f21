/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_store.c — writing synced messages (see sync_store.h). */
#include <pthread.h>
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
    [S_SENT_FROM] = "INSERT INTO sent_from(account_id, email, messages) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT(account_id, email) DO UPDATE SET messages = messages + ?3",
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

typedef struct {
    int64_t contact, date, msg_row;
    int     direction, flags, n_recipients;
} interaction_t;

struct kw_sync_writer {
    kw_store_t   *store;
    int64_t       account_id;
    sqlite3_stmt *stmt[S_COUNT];
    GHashTable   *contacts;   /* email -> contact_entry_t* */
    GHashTable   *identities; /* email set (all accounts) */
    GByteArray   *packed;     /* scratch: the message's packed addresses */
    GHashTable   *sent_counts;/* \Sent From addresses of this batch -> count */
    GArray       *interactions; /* interaction_t of this transaction, not written yet */
    sqlite3_stmt *inter_many;   /* INTER_ROWS interactions at once (prepared when needed) */
    int           wrote;      /* something was committed in this run */
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
    w->sent_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->interactions = g_array_new(FALSE, FALSE, sizeof(interaction_t));
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
    sqlite3_finalize(w->inter_many);
    g_hash_table_destroy(w->contacts);
    g_hash_table_destroy(w->identities);
    g_byte_array_free(w->packed, TRUE);
    g_hash_table_destroy(w->sent_counts);
    g_array_free(w->interactions, TRUE);
    g_free(w);
}

/* Run a prepared statement to completion and reset it. (Every parameter
 * is bound again before each step, so the bindings are not cleared.) */
static int step_reset(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
}

/* The parser's 32-hex dedupe keys as 64-bit integers: integer index
 * entries are a quarter of the size and compare in one step. The top 16 bits
 * are the message's day (0 when its Date header was missing or absurd: copies
 * of such a message carry different INTERNALDATEs but the same key), the
 * other 48 a hash (FNV-1a) of the key. Mail arrives roughly in date order,
 * so the unique indexes on the keys grow in a few places instead of
 * everywhere at once: at 1M messages, random keys made every insert touch
 * another page of a 20 MB index. Two messages of one day colliding in 48
 * bits: about one chance in a million at 1M messages. The same formula is
 * applied to older stores by their migration (store_schema.h, "dedupe keys
 * clustered by day"). */
static int64_t key64(const char *key, const kw_parsed_msg_t *msg)
{
    uint64_t h = 1469598103934665603ULL, day = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    if (!(msg->flags & KW_MSG_DATE_FALLBACK))
        day = (uint64_t)CLAMP(msg->date / 86400, 1, 65535);
    return (int64_t)((day << 48) | (h & 0xFFFFFFFFFFFFULL));
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

/* Interactions are kept until the transaction's end and written in the
 * order of their primary key (contact, date, message): one pass over the
 * table instead of a jump to another page for each row. */
static kw_status_t add_interaction(kw_sync_writer_t *w, int64_t contact, int64_t msg_row,
                                   kw_direction_t direction, const kw_parsed_msg_t *msg, char **error)
{
    interaction_t it = { contact, msg->date, msg_row, (int)direction, (int)msg->flags, (int)msg->n_recipients };
    (void)error;
    g_array_append_val(w->interactions, it);
    kw_store_mark_contact(w->store, contact); /* the model's aggregates follow at commit */
    return KW_OK;
}

static int cmp_interaction(const void *a, const void *b)
{
    const interaction_t *x = a, *y = b;
    if (x->contact != y->contact)
        return x->contact < y->contact ? -1 : 1;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->msg_row < y->msg_row ? -1 : x->msg_row > y->msg_row;
}

/* Rows per INSERT of interactions: one statement for many rows spares the
 * per-statement work (cursors opened and closed, the VM started). */
#define INTER_ROWS 64

static kw_status_t flush_interactions(kw_sync_writer_t *w, char **error)
{
    kw_status_t st = KW_OK;
    guint i = 0, n = w->interactions->len;

    g_array_sort(w->interactions, cmp_interaction);
    if (n >= INTER_ROWS && !w->inter_many) {
        GString *sql = g_string_new("INSERT OR IGNORE INTO interactions(contact_id, date, message_id, direction,"
                                    " flags, n_recipients) VALUES ");
        for (int r = 0; r < INTER_ROWS; r++)
            g_string_append(sql, r ? ",(?,?,?,?,?,?)" : "(?,?,?,?,?,?)");
        st = kw_store_prepare(w->store, sql->str, &w->inter_many, error);
        g_string_free(sql, TRUE);
    }
    while (st == KW_OK && i < n) {
        int many = n - i >= INTER_ROWS;
        sqlite3_stmt *s = many ? w->inter_many : w->stmt[S_INTER_INS];
        int rows = many ? INTER_ROWS : 1, rc;
        for (int r = 0; r < rows; r++, i++) {
            const interaction_t *it = &g_array_index(w->interactions, interaction_t, i);
            sqlite3_bind_int64(s, 6 * r + 1, it->contact);
            sqlite3_bind_int64(s, 6 * r + 2, it->date);
            sqlite3_bind_int64(s, 6 * r + 3, it->msg_row);
            sqlite3_bind_int(s, 6 * r + 4, it->direction);
            sqlite3_bind_int(s, 6 * r + 5, it->flags);
            sqlite3_bind_int(s, 6 * r + 6, it->n_recipients);
        }
        rc = step_reset(s);
        if (rc != SQLITE_DONE)
            st = kw_store_fail(w->store, rc, "adding an interaction", error);
    }
    g_array_set_size(w->interactions, 0);
    return st;
}

/* Count one \Sent message from `email`: summed in memory, written with the
 * batch's position (kw_sync_writer_set_position), in the same transaction. */
static kw_status_t count_sent_from(kw_sync_writer_t *w, const char *email, char **error)
{
    gpointer n;
    (void)error;
    if (g_hash_table_lookup_extended(w->sent_counts, email, NULL, &n))
        g_hash_table_insert(w->sent_counts, g_strdup(email), GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    else
        g_hash_table_insert(w->sent_counts, g_strdup(email), GINT_TO_POINTER(1));
    return KW_OK;
}

static kw_status_t flush_sent_counts(kw_sync_writer_t *w, char **error)
{
    sqlite3_stmt *sf = w->stmt[S_SENT_FROM];
    GHashTableIter it;
    gpointer email, n;
    kw_status_t st = KW_OK;

    g_hash_table_iter_init(&it, w->sent_counts);
    while (st == KW_OK && g_hash_table_iter_next(&it, &email, &n)) {
        int rc;
        sqlite3_bind_int64(sf, 1, w->account_id);
        sqlite3_bind_text(sf, 2, email, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sf, 3, GPOINTER_TO_INT(n));
        rc = step_reset(sf);
        if (rc != SQLITE_DONE)
            st = kw_store_fail(w->store, rc, "counting sent mail", error);
    }
    g_hash_table_remove_all(w->sent_counts);
    return st;
}

static kw_status_t mark_sent(kw_sync_writer_t *w, const kw_parsed_msg_t *msg, char **error)
{
    sqlite3_stmt *s = w->stmt[S_MARK_SENT];
    char *from = NULL;
    kw_status_t st = KW_OK;
    int rc;

    sqlite3_bind_int64(s, 1, w->account_id);
    sqlite3_bind_int64(s, 2, key64(msg->identity_key, msg));
    sqlite3_bind_int64(s, 3, key64(msg->fingerprint, msg));
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
    sqlite3_bind_int64(s, 2, key64(msg->identity_key, msg));
    sqlite3_bind_int64(s, 3, key64(msg->fingerprint, msg));
    bind_text_or_null(s, 4, msg->message_id);
    bind_text_or_null(s, 5, msg->in_reply_to);
    bind_text_or_null(s, 6, msg->subject);
    sqlite3_bind_int64(s, 7, msg->date);
    sqlite3_bind_int(s, 8, (int)(msg->flags | (folder->is_sent ? KW_MSG_IN_SENT : 0)));
    sqlite3_bind_int(s, 9, (int)msg->n_recipients);
    if (folder->id > 0)
        sqlite3_bind_int64(s, 10, folder->id);
    else
        sqlite3_bind_null(s, 10); /* recorded by a mail client (kw_record_sent), no folder yet */
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

void kw_sync_writer_abandon(kw_sync_writer_t *w)
{
    if (!w)
        return;
    g_array_set_size(w->interactions, 0);
    g_hash_table_remove_all(w->sent_counts);
}

int64_t kw_sync_writer_unreadable(const kw_sync_writer_t *w)
{
    return w ? w->unreadable : 0;
}

kw_status_t kw_sync_writer_flush(kw_sync_writer_t *w, char **error)
{
    kw_status_t st = flush_interactions(w, error);
    if (st == KW_OK)
        st = flush_sent_counts(w, error);
    return st;
}

kw_status_t kw_sync_writer_set_position(kw_sync_writer_t *w, int64_t folder_id,
                                        int64_t uidvalidity, int64_t last_uid, char **error)
{
    sqlite3_stmt *s = w->stmt[S_FOLDER_POS];
    kw_status_t st = kw_sync_writer_flush(w, error);
    int rc;
    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(s, 1, folder_id);
    sqlite3_bind_int64(s, 2, uidvalidity);
    sqlite3_bind_int64(s, 3, last_uid);
    rc = step_reset(s);
    if (rc != SQLITE_DONE)
        return kw_store_fail(w->store, rc, "saving the folder position", error);
    w->wrote = 1;
    return KW_OK;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Insert or update the rows of the folders `todo` (kw_folder_state_t*) in
 * one transaction, reading back id and position. */
static kw_status_t save_folders(kw_sync_writer_t *w, GPtrArray *todo, char **error)
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
    for (guint i = 0; i < todo->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(todo, i);
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
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    w->wrote = 1;
    return kw_store_write_commit(w->store, error);
fail:
    sqlite3_finalize(s);
    kw_store_write_rollback(w->store);
    return st;
}

kw_status_t kw_sync_writer_folders(kw_sync_writer_t *w, GPtrArray *folders, char **error)
{
    GHashTable *known = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *todo = g_ptr_array_new();
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    for (guint i = 0; i < folders->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        g_hash_table_insert(known, f->raw_name, f);
        f->id = 0;
    }
    /* One read; a write only for folders that are new or renamed. */
    st = kw_store_prepare(w->store,
                          "SELECT raw_name, id, display_name, special, uidvalidity, last_uid"
                          " FROM folders WHERE account_id = ?1", &s, error);
    if (st != KW_OK)
        goto done;
    sqlite3_bind_int64(s, 1, w->account_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        kw_folder_state_t *f = g_hash_table_lookup(known, (const char *)sqlite3_column_text(s, 0));
        if (!f || !same_text(f->display_name, (const char *)sqlite3_column_text(s, 2)) ||
            !same_text(f->special, (const char *)sqlite3_column_text(s, 3)))
            continue;
        f->id = sqlite3_column_int64(s, 1);
        f->uidvalidity = sqlite3_column_int64(s, 4);
        f->last_uid = sqlite3_column_int64(s, 5);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        st = kw_store_fail(w->store, rc, "reading folders", error);
        goto done;
    }
    for (guint i = 0; i < folders->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        if (f->id == 0)
            g_ptr_array_add(todo, f);
    }
    if (todo->len > 0)
        st = save_folders(w, todo, error);
done:
    g_ptr_array_free(todo, TRUE);
    g_hash_table_destroy(known);
    return st;
}

kw_status_t kw_sync_writer_folder(kw_sync_writer_t *w, kw_folder_state_t *folder, char **error)
{
    GPtrArray *one = g_ptr_array_new();
    kw_status_t st;
    g_ptr_array_add(one, folder);
    st = kw_sync_writer_folders(w, one, error);
    g_ptr_array_free(one, TRUE);
    return st;
}

kw_status_t kw_sync_writer_mark_gone(kw_sync_writer_t *w, const int64_t *seen, size_t n,
                                     char **error)
{
    GString *where = g_string_new(NULL);
    char *sql;
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    g_string_append_printf(where, " WHERE account_id = %" G_GINT64_FORMAT " AND gone = 0 AND id NOT IN (",
                           w->account_id);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(where, "%s%" G_GINT64_FORMAT, i ? "," : "", seen[i]);
    g_string_append(where, ")");
    /* Usually every folder is still there: then nothing is written. */
    sql = g_strconcat("SELECT 1 FROM folders", where->str, " LIMIT 1", NULL);
    st = kw_store_prepare(w->store, sql, &s, error);
    g_free(sql);
    if (st != KW_OK)
        goto done;
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        goto done;
    if (rc != SQLITE_ROW) {
        st = kw_store_fail(w->store, rc, "reading folders", error);
        goto done;
    }
    st = kw_store_write_begin(w->store, error);
    if (st == KW_OK) {
        sql = g_strconcat("UPDATE folders SET gone = 1", where->str, NULL);
        st = kw_store_exec(w->store, sql, error);
        g_free(sql);
        w->wrote = 1;
        if (st == KW_OK)
            st = kw_store_write_commit(w->store, error);
        else
            kw_store_write_rollback(w->store);
    }
done:
    g_string_free(where, TRUE);
    return st;
}

/* The address that sent at least half of the account's \Sent mail, when the
 * account has no identity yet (transfer full), or NULL. */
static kw_status_t identity_to_adopt(kw_sync_writer_t *w, char **email, char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    *email = NULL;
    st = kw_store_prepare(w->store,
                          "SELECT (SELECT count(*) FROM identities WHERE account_id = ?1),"
                          " (SELECT email FROM sent_from WHERE account_id = ?1 ORDER BY messages DESC, email LIMIT 1),"
                          " (SELECT max(messages) FROM sent_from WHERE account_id = ?1),"
                          " (SELECT total(messages) FROM sent_from WHERE account_id = ?1)",
                          &s, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(s, 1, w->account_id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        st = kw_store_fail(w->store, rc, "reading identities", error);
    } else if (sqlite3_column_int64(s, 0) == 0 && sqlite3_column_type(s, 1) != SQLITE_NULL &&
               sqlite3_column_int64(s, 2) * 2 >= (int64_t)sqlite3_column_double(s, 3)) {
        /* Adopt only when nothing is configured and one address clearly
         * dominates the \Sent folder (at least half of it). */
        *email = g_strdup((const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    return st;
}

kw_status_t kw_sync_writer_adopt_identity(kw_sync_writer_t *w, char **adopted, char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    char *email = NULL;
    int rc;

    *adopted = NULL;
    /* Read first: usually there is nothing to adopt, and nothing to write. */
    st = identity_to_adopt(w, &email, error);
    if (st != KW_OK || !email)
        return st;
    g_free(email);
    st = kw_store_write_begin(w->store, error);
    if (st != KW_OK)
        return st;
    st = identity_to_adopt(w, &email, error); /* again, under the write lock */
    if (st != KW_OK || !email)
        goto fail;
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
    w->wrote = 1;
    *adopted = email;
    return KW_OK;
fail:
    g_free(email);
    kw_store_write_rollback(w->store);
    return st;
}

/* 1 when the account row already says `host` and `user`. */
static int account_unchanged(kw_sync_writer_t *w, const char *host, const char *user)
{
    sqlite3_stmt *s = NULL;
    int same = 0;
    if (kw_store_prepare(w->store, "SELECT host, user FROM accounts WHERE id = ?1", &s, NULL) != KW_OK)
        return 0;
    sqlite3_bind_int64(s, 1, w->account_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        same = same_text(host, (const char *)sqlite3_column_text(s, 0)) &&
               same_text(user, (const char *)sqlite3_column_text(s, 1));
    sqlite3_finalize(s);
    return same;
}

kw_status_t kw_sync_writer_touch_account(kw_sync_writer_t *w, const char *host, const char *user,
                                         char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    /* A sync that changed nothing writes nothing (last_sync is the time of
     * the last sync that stored something). */
    if (!w->wrote && account_unchanged(w, host, user))
        return KW_OK;
    st = kw_store_write_begin(w->store, error);
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

/* ---- the checkpointer ------------------------------------------------------- */

#define CHECKPOINT_EVERY_MS 250

struct kw_checkpointer {
    sqlite3        *db;
    pthread_t       thread;
    pthread_mutex_t lock;
    pthread_cond_t  cond;
    int             stop;
};

static void *checkpointer_main(void *data)
{
    kw_checkpointer_t *c = data;

    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cond, &c->lock, &until);
        if (c->stop)
            break;
        pthread_mutex_unlock(&c->lock);
        /* PASSIVE: copies what it can, waits for nobody; errors (busy) are
         * harmless, the next round or the final close does the rest. */
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

kw_checkpointer_t *kw_checkpointer_start(kw_store_t *store)
{
    kw_checkpointer_t *c;

    if (!store || store->read_only || !store->path)
        return NULL;
    c = g_new0(kw_checkpointer_t, 1);
    /* The connection reads once, so that it knows the database is in WAL
     * mode (a checkpoint on a connection that never read does nothing). */
    if (sqlite3_open_v2(store->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close_v2(c->db);
        g_free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        sqlite3_close_v2(c->db);
        g_free(c);
        return NULL;
    }
    return c;
}

void kw_checkpointer_stop(kw_checkpointer_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    /* Not the last connection: closing it checkpoints nothing. */
    sqlite3_close_v2(c->db);
    g_free(c);
}
