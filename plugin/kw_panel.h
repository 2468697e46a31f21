/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_panel.h — the "Keep warm" panel under the folder tree, and its actions
 * (write, snooze, settle, ignore, bring back; the rhythm, details and
 * messages are dialogs, opened through the callbacks). Its rows are the
 * library's list for the states that need attention, as `keepwarm overdue`
 * prints it, or (the toggle under the list) the snoozed and ignored ones.
 * Every action is confirmed in the status bar and in the panel's bar, with
 * an Undo (the library's action log), and told to the team. Uses
 * kw_context.h, kw_prefs.h and kw_team.h (an action tells the team; Details
 * lists its touches); what the panel cannot do itself it asks through the
 * callbacks given to kw_panel_init. Main thread only. */
#ifndef KW_PLUGIN_PANEL_H
#define KW_PLUGIN_PANEL_H

#include <gtk/gtk.h>
#include "view_model.h"

struct _MainWindow;

typedef struct {
    void (*sync_requested)(void);   /* the user pressed the panel's sync button */
    /* the context menu's (and a double-click's) dialogs, for a row's key
     * and the name it shows */
    void (*details_requested)(const char *key);
    void (*cadence_requested)(const char *key, const char *title);
    void (*messages_requested)(const char *key, const char *title);
} KwPanelCallbacks;

/* Create the row model and insert the panel. `callbacks` is not copied. */
void     kw_panel_init(struct _MainWindow *mainwin, const KwPanelCallbacks *callbacks);
void     kw_panel_done(gboolean interactive);         /* idempotent */
void     kw_panel_refresh(void);                      /* the store changed: reload */
void     kw_panel_set_header(const char *text, gboolean is_error);
void     kw_panel_apply_prefs(void);                  /* panel on/off */
/* The rows shown: their number, and row i (transfer none, valid until the
 * next refresh). */
guint    kw_panel_row_count(void);
const kwv_row_t *kw_panel_row(guint i);
void     kw_panel_snooze(const char *key, int days);
/* Write to `address`, from the account the relationship runs through
 * (shared with the hint bar and Details). */
void     kw_action_write(const char *address);

/* The user's actions, from the panel, the hint bar and the dialogs: done in
 * the store, confirmed in the status bar and the panel's bar with an Undo
 * (the library's action log), the list refreshed keeping its place.
 * `title`: the name the confirmation uses; `value`: the snooze's end, the
 * rhythm in days (0: learned), settle's time, the tier (kw_tier_t); `text`:
 * the note. */
typedef enum {
    KW_ACT_SNOOZE, KW_ACT_UNSNOOZE, KW_ACT_IGNORE, KW_ACT_UNIGNORE, KW_ACT_CADENCE,
    KW_ACT_SETTLE, KW_ACT_NOTE, KW_ACT_TIER
} kw_panel_act_t;
void     kw_panel_act(kw_panel_act_t what, const char *key, const char *title, int64_t value,
                      const char *text);

#endif
