/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_progress.c — progress events of one sync (see sync_progress.h). */
#include <stdarg.h>
#include <string.h>

#include "sync_progress.h"

void kw_sync_emit(kw_sync_progress_t *p, kw_progress_kind_t kind, const char *folder, int index,
                  int64_t done, int64_t total, int64_t new_messages, const char *message)
{
    kw_progress_t ev;

    if (!p->fn)
        return;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.account = p->account;
    ev.folder = folder;
    ev.folder_index = index;
    ev.folders_total = p->folders_total;
    ev.done = done;
    ev.total = total;
    ev.new_messages = new_messages;
    ev.message = message;
    if (p->fn(&ev, p->data) != 0)
        p->cancelled = 1;
}

void kw_sync_warn(kw_sync_progress_t *p, const char *folder, int index, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (!p->fn)
        return;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    kw_sync_emit(p, KW_PROGRESS_WARNING, folder, index, 0, 0, 0, msg);
    g_free(msg);
}
