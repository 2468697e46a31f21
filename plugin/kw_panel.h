/* kw_panel.h — the "Keep warm" panel under the folder tree, and its actions
 * (write, show messages, snooze, rhythm, ignore, details). Its rows are the
 * library's list for the states that need attention, as `keepwarm overdue`
 * prints it. Uses kw_context.h, kw_prefs.h and kw_team.h (an action tells the
 * team; Details lists its touches); what the panel cannot do itself (start a
 * sync) it asks through the callbacks given to kw_panel_init.
 * Main thread only. */
#ifndef KW_PLUGIN_PANEL_H
#define KW_PLUGIN_PANEL_H

#include <gtk/gtk.h>
#include "view_model.h"

struct _MainWindow;

typedef struct {
    void (*sync_requested)(void);   /* the user pressed the panel's sync button */
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
/* Actions shared with the hint bar. */
void     kw_action_write(const char *address);
void     kw_action_details(const char *key);

#endif
