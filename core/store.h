/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store.h — internal: the SQLite adapter shared by the sync, the model and
 * the user actions. Everything that writes goes through kw_store_write_begin()
 * (BEGIN IMMEDIATE) so that concurrent writers never hit SQLITE_BUSY_SNAPSHOT. */
#ifndef KW_STORE_H
#define KW_STORE_H

#include <sqlite3.h>
#include <glib.h>
#include "keepwarm.h"

struct kw_store {
    sqlite3    *db;
    char       *path;
    int         read_only;
    int         opened;      /* kw_store_open() completed */
    GHashTable *agg_marks;   /* contact ids marked in the open write transaction */
    int64_t     last_action; /* action_log id of the last action through this handle */
};

/* The raw connection (transfer none). */
sqlite3 *kw_store_db(kw_store_t *store);

/* Map an SQLite result code to a status and, if error != NULL, a message
 * "what: sqlite message" (transfer full). SQLITE_FULL and SQLITE_IOERR give
 * KW_ERR_STORE with a hint; SQLITE_CORRUPT/NOTADB KW_ERR_STORE_CORRUPT. */
kw_status_t kw_store_fail(kw_store_t *store, int rc, const char *what, char **error);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Rollback never fails (logs nothing).
 * The commit first records the contacts marked with kw_store_mark_contact()
 * (table agg_dirty), inside the same transaction. */
kw_status_t kw_store_write_begin(kw_store_t *store, char **error);
kw_status_t kw_store_write_commit(kw_store_t *store, char **error);
void        kw_store_write_rollback(kw_store_t *store);

/* Inside a write transaction: the interactions of `contact_id` changed, so
 * its aggregates (and its organisation's) must be recomputed. Costs a hash
 * insert; the marks are written at kw_store_write_commit(), dropped at
 * rollback. */
void kw_store_mark_contact(kw_store_t *store, int64_t contact_id);

/* Every aggregate is stale (the interactions were recomputed): readers
 * compute from the messages until the next refresh rebuilds them all.
 * Inside the caller's write transaction. */
kw_status_t kw_store_invalidate_aggregates(kw_store_t *store, char **error);

/* Run SQL without results (several statements allowed). */
kw_status_t kw_store_exec(kw_store_t *store, const char *sql, char **error);

/* Prepare (transfer full, sqlite3_finalize). */
kw_status_t kw_store_prepare(kw_store_t *store, const char *sql, sqlite3_stmt **stmt,
                             char **error);

/* Account id by name; create when `create` and missing. KW_ERR_NOT_FOUND otherwise. */
kw_status_t kw_store_account_id(kw_store_t *store, const char *name, int create,
                                int64_t *id_out, char **error);

/* Recompute the whole interactions table from message_addrs and identities
 * (inside the caller's write transaction). */
kw_status_t kw_store_rebuild_interactions(kw_store_t *store, char **error);

/* messages.addrs: every address of a message as (role byte, contact id as
 * LEB128 varint) pairs, in header order (From first). */
void kw_addrs_append(GByteArray *out, int role, int64_t contact_id);
/* Read the next pair at *p (before end): 1 and advances, 0 at the end,
 * -1 when the blob is malformed. */
int kw_addrs_next(const unsigned char **p, const unsigned char *end, int *role, int64_t *contact_id);

/* Set *error to a printf-formatted message when error != NULL. */
void kw_set_error(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
