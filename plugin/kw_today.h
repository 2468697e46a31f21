/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_today.h — the "Today" section at the top of the Keep warm panel: the
 * day's short list (exactly what `keepwarm today` says: kw_today()), a tick
 * on each item done, the progress line and the streak as its header, and a
 * context menu (write, log a call or a meeting, skip for today, set a
 * tier). Mail the user sends from Claws is recorded at once, and the
 * calendar of Claws' vCalendar plugin is imported, so that both tick their
 * items without waiting for a sync.
 *
 * Uses kw_context.h, kw_prefs.h and kw_team.h (a logged touch, a mark or
 * an imported calendar tells the team); what it cannot do itself it asks
 * through the callbacks given to kw_today_panel_init (plugin_main.c wires
 * them): write a mail, set a tier (a setting: the panel confirms it with an
 * Undo), refresh everything once the store changed. The panel packs its
 * widget and refreshes it. Main thread only. */
#ifndef KW_PLUGIN_TODAY_H
#define KW_PLUGIN_TODAY_H

#include <gtk/gtk.h>
#include "keepwarm.h"

typedef struct {
    /* The store changed (a touch logged, an item marked, a sent mail
     * recorded, a calendar imported): show it everywhere. */
    void (*changed)(void);
    /* The menu's "Write…": a mail to `address`. */
    void (*write_requested)(const char *address);
    /* The menu's "Set tier": `title` is the name the confirmation uses. */
    void (*tier_requested)(const char *key, const char *title, kw_tier_t tier);
} KwTodayCallbacks;

/* Hooks (mail sent from Claws); before the panel. `callbacks` is not
 * copied. */
void       kw_today_panel_init(const KwTodayCallbacks *callbacks);
void       kw_today_panel_done(gboolean interactive);  /* idempotent */
GtkWidget *kw_today_panel_widget(void);                /* the panel packs it at its top */
/* The day's list from the store (the panel calls it when it refreshes). The
 * day's first look waits for the session's first sync (the night's mail),
 * or a while when nothing syncs. */
void       kw_today_panel_refresh(void);
/* A sync ended: the day's list may be made now. */
void       kw_today_panel_sync_finished(void);

/* What is shown: the list (NULL before the first refresh), its items
 * (transfer none, valid until the next refresh). */
const kw_today_t      *kw_today_panel_list(void);
guint                  kw_today_panel_count(void);
const kw_today_item_t *kw_today_panel_item(guint i);
/* The actions of its menu and dialog. Each changes the store and reports
 * through `changed`; a failure goes to the status line. */
void kw_today_panel_log(const char *key, kw_source_t source, int64_t when, const char *note);
void kw_today_panel_mark(const char *key, kw_how_t how);
void kw_today_panel_tier(const char *key, kw_tier_t tier);

#endif
