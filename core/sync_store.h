/* sync_store.h — internal: writing synced messages into the store.
 * The caller wraps each chunk in kw_store_write_begin/commit together with
 * kw_sync_writer_set_folder(), so messages and the folder position commit
 * atomically. Prepared statements and a contact cache live in the writer. */
#ifndef KW_SYNC_STORE_H
#define KW_SYNC_STORE_H

#include <stdint.h>
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
} kw_folder_state_t;

kw_status_t kw_sync_writer_new(kw_store_t *store, int64_t account_id, kw_sync_writer_t **out,
                               char **error);
void kw_sync_writer_free(kw_sync_writer_t *w);

/* Insert-or-find the folder row and read its position. (own transaction) */
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

/* Inside a write transaction: store the folder's position. */
kw_status_t kw_sync_writer_set_position(kw_sync_writer_t *w, int64_t folder_id,
                                        int64_t uidvalidity, int64_t last_uid, char **error);

/* After the sync: when the account has no identity yet, adopt the address
 * that sent most of the \Sent folder's mail (returned in *adopted, transfer
 * full, or NULL) and recompute directions. (own transaction) */
kw_status_t kw_sync_writer_adopt_identity(kw_sync_writer_t *w, char **adopted, char **error);

/* Record host/user/last sync time of the account. (own transaction) */
kw_status_t kw_sync_writer_touch_account(kw_sync_writer_t *w, const char *host,
                                         const char *user, char **error);

#endif
