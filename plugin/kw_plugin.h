/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_plugin.h — what every file of the Claws Mail plugin includes.
 *
 * The plugin is GTK and Claws glue around libkeepwarm (keepwarm.h) and the
 * wording module (core/words/); every rule lives in the library. Its files
 * form layers: a file calls only the files listed above it, and what happens
 * below is reported upwards through callbacks that plugin_main.c wires.
 *
 *   view_model.c  view_model.h  rows, hint action, progress lines, messages
 *                               (no GTK, no Claws: unit-tested)
 *   context.c     kw_context.h  the command, the store, the one model, the
 *                               status line (with a listener)
 *   prefs.c       kw_prefs.h    clawsrc [KeepWarm], the preferences page,
 *                               the settings kept in the store
 *   team.c        kw_team.h     the team: its preferences page (clawsrc
 *                               [KeepWarmTeam]), one `keepwarm team sync`
 *                               child per sync cycle, its touches in Details
 *   today.c       kw_today.h    the "Today" section at the top of the panel,
 *                               mail sent from Claws recorded at once, the
 *                               vCalendar plugin's calendar imported
 *   panel.c       kw_panel.h    the panel under the folder tree, its actions
 *                               (confirmed, with an Undo)
 *   dialogs.c     kw_dialogs.h  the rhythm, details and messages dialogs
 *   worker.c      kw_worker.h   background `keepwarm sync` children
 *   plugin_main.c               plugin_* entry points, hooks, the hint bar,
 *                               the one teardown helper, the wiring
 * (kw_ prefixes keep them apart from Claws' headers: it has a prefs.h.)
 *
 * The end-to-end test's build adds tests/plugin/testhook.c on top (see
 * plugin/Makefile.local); the shipped keepwarm.so contains none of it.
 * Everything runs on the GTK main thread.
 */
#ifndef KW_PLUGIN_INTERNAL_H
#define KW_PLUGIN_INTERNAL_H

#define GETTEXT_PACKAGE "keepwarm"
#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>

#include "keepwarm.h"
#include "view_model.h"
#include "kw_context.h"

#define KW_PLUGIN_NAME "Keep warm"

#endif
