/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_folders.h — internal: which folders a sync reads.
 *
 * LIST, special uses (the server's SPECIAL-USE flags, else well-known names
 * from core/data/special-use-names.txt), folder names decoded for display,
 * and the filter: \Trash, \Junk, \Drafts and Claws' Queue are skipped, then
 * the caller's include/exclude globs apply (an explicit include wins). */
#ifndef KW_IMAP_FOLDERS_H
#define KW_IMAP_FOLDERS_H

#include <glib.h>
#include "imap_session.h"
#include "sync_progress.h"
#include "sync_store.h"

/* The folders to read, in the server's order: *out is a GPtrArray of
 * kw_folder_state_t (transfer full; free with g_ptr_array_free(.., TRUE)).
 * Odd names are skipped with a warning. Returns KW_OK or the session's
 * error for a failed LIST. */
kw_status_t kw_folders_list(kw_session_t *session, const kw_sync_options_t *options,
                            kw_sync_progress_t *progress, GPtrArray **out, char **error);

/* The special use a folder name suggests ("Sent", "Trash", "Junk", "Drafts",
 * "Queue") or NULL; `delim` is the hierarchy delimiter (0: none). */
const char *kw_folder_special_from_name(const char *display_name, char delim);

/* A folder name as sent by the server (modified UTF-7) -> UTF-8 for display
 * (transfer full, g_free); undecodable names come back sanitised as is. */
char *kw_folder_display_name(const char *raw);

#endif
