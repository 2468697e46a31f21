/* fetch_pipeline.h — internal: reading one folder's new messages into the
 * store while the network keeps streaming.
 *
 * One `UID FETCH a:b (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (...)])` per
 * folder. A reader thread reads the stream, tokenises the responses
 * (imap_fetch.c) and parses the header blocks (header_parse.c) into batches
 * of `chunk` messages; this thread commits each batch in one transaction
 * together with the folder's position, so an interruption loses nothing.
 * At most one batch waits between the two threads: memory stays bounded.
 *
 * Positions: the stored position of a folder is the highest UID such that
 * every message with a lower UID has been stored. Responses arrive in UID
 * order from real servers; if one ever does not, the position only advances
 * at the end of the command. A UID seen without its header block (a flags
 * update, a partial answer) holds the position below it until the block
 * arrives. Nothing above the UIDNEXT the server announced is ever taken.
 *
 * A folder's last batch is committed only when the next folder's FETCH is
 * on its way (or at kw_fetch_pipeline_flush), so the server is never idle
 * while we write; its KW_PROGRESS_FOLDER_DONE comes with that commit. */
#ifndef KW_FETCH_PIPELINE_H
#define KW_FETCH_PIPELINE_H

#include <stdint.h>
#include "imap_session.h"
#include "store.h"
#include "sync_progress.h"
#include "sync_store.h"

typedef struct kw_fetch_pipeline kw_fetch_pipeline_t;

/* Everything is borrowed (transfer none) and must outlive the pipeline.
 * `report`'s message and byte counters are updated. */
kw_fetch_pipeline_t *kw_fetch_pipeline_new(kw_session_t *session, kw_store_t *store,
                                           kw_sync_writer_t *writer, kw_sync_progress_t *progress,
                                           kw_sync_report_t *report, int chunk, int64_t now);

/* Read folder `f` (just examined; 1-based `index`) from f->last_uid + 1 up
 * to uidnext - 1 (uidnext 0: unknown, then to the end). `exists` is the
 * folder's message count, `total` the count shown as progress.
 * Returns KW_OK, KW_ERR_PARTIAL (the server left messages out: what came is
 * kept, a warning was emitted, the rest is asked for next time), or a fatal
 * status (network, server, store, cancelled). */
kw_status_t kw_fetch_pipeline_folder(kw_fetch_pipeline_t *p, kw_folder_state_t *f, int index,
                                     uint32_t uidnext, int64_t exists, int64_t total, char **error);

/* Commit the last folder's deferred batch and report it done. */
kw_status_t kw_fetch_pipeline_flush(kw_fetch_pipeline_t *p, char **error);

/* Free the pipeline. The deferred batch of a folder that was read in full
 * is committed first when `status` says the store itself is sound (a later
 * network failure does not make it wrong). NULL is fine. */
void kw_fetch_pipeline_free(kw_fetch_pipeline_t *p, kw_status_t status);

#endif
