/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_progress.h — internal: progress events of one sync, shared by the
 * parts of the sync (session, folders, fetch pipeline, orchestration).
 *
 * Every event goes to the caller's kw_progress_fn on the syncing thread; a
 * non-zero return marks the sync cancelled (`cancelled`), which each part
 * checks at its next step. Never called from the fetch reader thread. */
#ifndef KW_SYNC_PROGRESS_H
#define KW_SYNC_PROGRESS_H

#include <stdint.h>
#include <glib.h>
#include "keepwarm.h"

typedef struct {
    kw_progress_fn fn;         /* NULL: events are dropped */
    void          *data;
    const char    *account;
    int            folders_total;
    int            cancelled;  /* the callback asked to stop */
} kw_sync_progress_t;

/* One event about `folder` (display name, may be NULL) at 1-based `index`. */
void kw_sync_emit(kw_sync_progress_t *p, kw_progress_kind_t kind, const char *folder, int index,
                  int64_t done, int64_t total, int64_t new_messages, const char *message);

/* A KW_PROGRESS_WARNING about `folder` (may be NULL), printf-style. */
void kw_sync_warn(kw_sync_progress_t *p, const char *folder, int index, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

#endif
