/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_store.h — internal: writing synced messages into the store.
 * The caller wraps each chunk in kw_store_write_begin/commit together with
 * kw_sync_writer_set_folder(), so messages and the folder position commit
 * atomically. Prepared statements and a contact cache live in the writer. */
#ifndef KW_SYNC_STORE_H
#define KW_SYNC_STORE_H

#include <stdint.h>
#include <glib.h>
#include "keepwarm.h"
#include "header_parse.h"

typedef struct kw_sync_writer kw_sync_writer_t;

typedef struct {
    int64_t  id;
    int64_t  uidvalidity;
    int64_t  last_uid;
    char    *raw_name;     /* wire name (modified UTF-7) */
    char    *display_name; /* decoded UTF-8 */
    char    *special;      /* "Sent", "Trash", ... or NULL */
    int      is_sent;
    /* The server's STATUS from the listing (LIST-STATUS or pipelined), when
     * it gave one: MESSAGES, UIDNEXT, UIDVALIDITY. */
    int      has_status;
    uint32_t st_messages, st_uidnext, st_uidvalidity;
} kw_folder_state_t;

kw_status_t kw_sync_writer_new(kw_store_t *store, int64_t account_id, kw_sync_writer_t **out,
                               char **error);
void kw_sync_writer_free(kw_sync_writer_t *w);

/* Find the rows of `folders` (kw_folder_state_t*) and read their ids and
 * positions; new or renamed folders are saved (own transaction, only then). */
kw_status_t kw_sync_writer_folders(kw_sync_writer_t *w, GPtrArray *folders, char **error);
/* The same for one folder. */
kw_status_t kw_sync_writer_folder(kw_sync_writer_t *w, kw_folder_state_t *folder, char **error);

/* Mark every folder of the account not in `seen_ids` (count n) as gone; the
 * history they brought stays. (own transaction) */
kw_status_t kw_sync_writer_mark_gone(kw_sync_writer_t *w, const int64_t *seen_ids, size_t n,
                                     char **error);

/* Inside a write transaction: add one parsed message found in `folder`.
 * *is_new is 1 when the message was not in the store yet. */
kw_status_t kw_sync_writer_add(kw_sync_writer_t *w, const kw_folder_state_t *folder,
                               const kw_parsed_msg_t *msg, int *is_new, char **error);

/* Address items that were no e-mail address, summed over the new messages
 * added by this writer so far (kw_parsed_msg_t.n_unreadable). */
int64_t kw_sync_writer_unreadable(const kw_sync_writer_t *w);

/* Inside a write transaction: store the folder's position, and what was
 * added since the last call but kept in memory (interactions, written in key
 * order; \Sent senders). Call it last in every transaction that added
 * messages. */
kw_status_t kw_sync_writer_set_position(kw_sync_writer_t *w, int64_t folder_id,
                                        int64_t uidvalidity, int64_t last_uid, char **error);

/* Inside a write transaction: write what was kept in memory (as
 * kw_sync_writer_set_position does) for messages added outside a folder's
 * batch (kw_record_sent). */
kw_status_t kw_sync_writer_flush(kw_sync_writer_t *w, char **error);

/* The transaction was rolled back: forget what was kept for it. */
void kw_sync_writer_abandon(kw_sync_writer_t *w);

/* After the sync: when the account has no identity yet, adopt the address
 * that sent most of the \Sent folder's mail (returned in *adopted, transfer
 * full, or NULL) and recompute directions. (own transaction) */
kw_status_t kw_sync_writer_adopt_identity(kw_sync_writer_t *w, char **adopted, char **error);

/* Record host/user/last sync time of the account (own transaction), unless
 * nothing was written in this run and host and user are the same. */
kw_status_t kw_sync_writer_touch_account(kw_sync_writer_t *w, const char *host,
                                         const char *user, char **error);

/* A thread that copies the write-ahead log into the database while the sync
 * runs (SQLite's PASSIVE checkpoint, on a connection of its own, never in
 * the writer's way): the log stays small, and closing the store at the end
 * has little left to copy and to flush to disk (at 100k messages that was
 * 80 ms of fsync and unlink after the last message). NULL when it cannot
 * start (then SQLite checkpoints as usual). */
typedef struct kw_checkpointer kw_checkpointer_t;
kw_checkpointer_t *kw_checkpointer_start(kw_store_t *store);
/* Stop and join; NULL is fine. */
void kw_checkpointer_stop(kw_checkpointer_t *c);

#endif
