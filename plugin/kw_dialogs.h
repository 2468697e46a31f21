/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_dialogs.h — the plugin's dialogs: the usual rhythm of a relationship,
 * its details (state, reason, facts, people, the note, the timeline, the
 * actions) and "their messages" in every folder the sync reads. Changes go
 * through kw_panel_act() (kw_panel.h), confirmed with an Undo like the
 * panel's own. Main thread only. */
#ifndef KW_PLUGIN_DIALOGS_H
#define KW_PLUGIN_DIALOGS_H

#include <glib.h>

/* How often to be in touch with `key`: opens at the current rhythm and says
 * whether it is learned; OK changes nothing unless something was changed. */
void kw_dialog_cadence(const char *key, const char *title);
/* Everything about one relationship: state and reason, the facts, the
 * people, the note (editable), the timeline, and the actions. */
void kw_dialog_details(const char *key);
/* Their messages in every folder the sync reads (not Trash, Junk, Drafts,
 * Queue), newest first; opening one shows it in its folder. */
void kw_dialog_messages(const char *key, const char *title);
/* Close every dialog (`interactive`: the plugin is unloaded while Claws
 * runs; else only detach). Idempotent. */
void kw_dialogs_done(gboolean interactive);

#endif
