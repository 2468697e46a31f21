/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_pipeline.h — internal: reading the folders' new messages into the
 * store while the network keeps streaming.
 *
 * Two threads. A reader thread owns the connection for the whole run: for
 * each folder it sends EXAMINE and one
 *     UID FETCH a:b (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (...)])
 * — pipelined when the folder's STATUS is known, so that the server never
 * waits for us: the next folder's commands go out before the current
 * folder's answer is read — tokenises the responses (imap_fetch.c) and
 * parses the header blocks (header_parse.c) into batches. The calling
 * thread writes each batch in one transaction together with the folder's
 * position, so an interruption loses nothing. At most one batch waits
 * between the threads: memory stays bounded. Batches are `chunk` messages,
 * or fewer when the writer would otherwise sit idle.
 *
 * Positions: the stored position of a folder is the highest UID such that
 * every message with a lower UID has been stored. Responses arrive in UID
 * order from real servers; if one ever does not, the position only advances
 * at the end of the command. A UID seen without its header block (a flags
 * update, a partial answer) holds the position below it until the block
 * arrives. Nothing above the UIDNEXT the server announced is ever taken,
 * nothing is taken from a FETCH whose EXAMINE failed, and a UIDVALIDITY
 * that changed since the listing makes the folder be read again from UID 1.
 */
#ifndef KW_IMAP_PIPELINE_H
#define KW_IMAP_PIPELINE_H

#include <stdint.h>
#include <glib.h>
#include "imap_session.h"
#include "store.h"
#include "sync_progress.h"
#include "sync_store.h"

typedef struct kw_fetch_pipeline kw_fetch_pipeline_t;

/* One folder to read: `folder` (its id and stored position read, its
 * STATUS from the listing if any) at 1-based progress `index`. */
typedef struct {
    kw_folder_state_t *folder;
    int                index;
} kw_fetch_job_t;

/* Everything is borrowed (transfer none) and must outlive the pipeline.
 * `report`'s message and byte counters are updated. */
kw_fetch_pipeline_t *kw_fetch_pipeline_new(kw_session_t *session, kw_store_t *store,
                                           kw_sync_writer_t *writer, kw_sync_progress_t *progress,
                                           kw_sync_report_t *report, int chunk, int64_t now);

/* Read the folders of `jobs` (kw_fetch_job_t, in this order), emitting
 * FOLDER, MESSAGES and FOLDER_DONE for each. *synced and *skipped count the
 * folders read in full and those skipped or left incomplete (each with a
 * warning; the rest of them is asked for next time).
 * Returns KW_OK, KW_ERR_PARTIAL (*skipped > 0), or a fatal status (network,
 * server, store, cancelled) — what was committed before it stays. */
kw_status_t kw_fetch_pipeline_run(kw_fetch_pipeline_t *p, GArray *jobs, int *synced, int *skipped,
                                  char **error);

void kw_fetch_pipeline_free(kw_fetch_pipeline_t *p);

#endif
