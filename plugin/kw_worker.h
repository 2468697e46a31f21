/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_worker.h — background `keepwarm sync` children, one per account Keep
 * warm reads. The outcome of a run is the status its final progress event
 * names (kw_status_from_string), never its exit code. Progress and errors go
 * to the status line (kw_context.h); the end of each run is reported through
 * the callbacks given to kw_workers_init (plugin_main.c refreshes the panel,
 * and after a whole cycle exchanges with the team).
 * Uses kw_context.h and kw_prefs.h; calls nothing above. Main thread only. */
#ifndef KW_PLUGIN_WORKER_H
#define KW_PLUGIN_WORKER_H

#include <glib.h>
#include "keepwarm.h"

typedef struct {
    int startup_delay_s;  /* the first sync after loading */
    int coalesce_s;       /* a folder changed: sync after this delay, once for
                             all changes in between */
    int deadline_s;       /* a worker running longer is killed */
} KwWorkerTiming;

typedef struct {
    /* A run ended; the store may have changed. `completed`: the sync said
     * how it went (`status`); FALSE when it was stopped, crashed or said
     * nothing (status is then meaningless). */
    void (*finished)(int account_id, gboolean completed, kw_status_t status);
    /* Every account of a cycle was read: after `finished`, no run is left and
     * none is about to start again (the team's exchange follows, team.c). */
    void (*cycle_done)(void);
} KwWorkerCallbacks;

/* Neither argument is copied: both must outlive kw_workers_done(). */
void     kw_workers_init(const KwWorkerTiming *timing, const KwWorkerCallbacks *callbacks);
void     kw_workers_done(void);                       /* kill children by PID */
/* Start a sync of every account Keep warm reads now (an account already
 * syncing syncs once more afterwards when `interactive`). */
void     kw_workers_sync_all(gboolean interactive);
/* A folder of this account changed: sync soon (coalesced). */
void     kw_workers_account_touched(int account_id);
void     kw_workers_reschedule(void);                 /* the interval changed */
int      kw_workers_finished(void);                   /* runs ended since init */
int      kw_workers_running(void);                    /* children alive now */
/* The status of the account's last run that said one; FALSE when none did. */
gboolean kw_workers_last_status(int account_id, kw_status_t *status);

#endif
