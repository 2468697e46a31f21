/* SPDX-License-Identifier: GPL-3.0-or-later */
/* panel.c — the "Keep warm" panel under the folder tree, and its actions.
 *
 * The folder view widget is child1 of a GtkPaned in every Claws layout. We
 * replace it there by our own vertical GtkPaned [folder view | panel]. A
 * layout change destroys Claws' containers (ours with them) without a hook,
 * so we watch the folder view's "parent-set" and re-insert from an idle
 * callback. The row model (a GtkListStore + the kwv rows) belongs to the
 * plugin and survives; the widgets are rebuilt on each insertion. */
#include "kw_plugin.h"
#include "kw_prefs.h"
#include "kw_today.h"
#include "kw_team.h"
#include "kw_panel.h"

#include <string.h>

#include "utils.h"
#include "mainwindow.h"
#include "folderview.h"
#include "summaryview.h"
#include "quicksearch.h"
#include "compose.h"
#include "account.h"
#include "prefs_account.h"
#include "folder.h"
#include "gtkutils.h"

enum {
    COL_ICON,
    COL_COLOUR,
    COL_TITLE,      /* markup: name, the people by name, the reason (small) */
    COL_SINCE,
    COL_CADENCE,
    COL_TOOLTIP,    /* markup */
    COL_INDEX,      /* index into P.rows */
    N_COLS
};

/* Below this width (pixels) the list shows only the names and reasons: the
 * name gets the width first. */
#define NARROW_PANEL_PX 420

/* What the list shows: those needing attention, or the snoozed and ignored
 * (to bring them back). */
typedef enum { VIEW_ATTENTION = 0, VIEW_HIDDEN = 1 } panel_view_t;

static struct {
    MainWindow   *mainwin;
    GtkListStore *model;        /* owned by the plugin, survives relayouts */
    GPtrArray    *rows;         /* kwv_row_t*, same order as the model */
    panel_view_t  view;         /* what the list shows */
    guint         hidden_count; /* snoozed and ignored relationships */
    GtkWidget    *fw;           /* folder view widget (weak pointer) */
    GtkWidget    *paned;        /* our vertical split (weak pointer) */
    GtkWidget    *view_widget;  /* tree view (weak pointer) */
    GtkWidget    *title;        /* header label (weak pointer) */
    GtkWidget    *status;       /* header status label (weak pointer) */
    GtkWidget    *legend;       /* colour legend (weak pointer) */
    GtkWidget    *hidden_toggle;/* "Snoozed & ignored (N)" (weak pointer) */
    GtkWidget    *confirm;      /* the bar confirming the last action (weak pointer) */
    GtkWidget    *confirm_label;/* (weak pointer) */
    GtkWidget    *undo_button;  /* (weak pointer) */
    GtkTreeViewColumn *col_since, *col_cadence; /* owned by the tree view */
    GtkWidget    *menu;         /* context menu (weak pointer) */
    gulong        parent_set_id;
    guint         reinsert_id;
    gboolean      inserting;
    gboolean      active;
    gboolean      narrow;       /* the extra columns are hidden */
    char         *header_text;
    gboolean      header_error;
    char         *confirm_text; /* what the last action did (or its undo) */
    int64_t       undo_id;      /* the action the Undo button takes back, 0 none */
    const KwPanelCallbacks *cb;
} P;

static void panel_insert(void);

/* ---- rows ---------------------------------------------------------------- */

/* The selected row's index, -1 for none. */
static int selected_index(void)
{
    GtkTreeModel *model;
    GtkTreeIter it;
    gint idx = -1;
    if (P.view_widget &&
        gtk_tree_selection_get_selected(gtk_tree_view_get_selection(GTK_TREE_VIEW(P.view_widget)),
                                        &model, &it))
        gtk_tree_model_get(model, &it, COL_INDEX, &idx, -1);
    return idx;
}

static void select_index(guint i)
{
    GtkTreePath *path;
    if (!P.view_widget || i >= kw_panel_row_count())
        return;
    path = gtk_tree_path_new_from_indices((gint) i, -1);
    gtk_tree_selection_select_path(gtk_tree_view_get_selection(GTK_TREE_VIEW(P.view_widget)), path);
    gtk_tree_path_free(path);
}

guint kw_panel_row_count(void) { return P.rows ? P.rows->len : 0; }

const kwv_row_t *kw_panel_row(guint i)
{
    return P.rows && i < P.rows->len ? P.rows->pdata[i] : NULL;
}

/* ---- model --------------------------------------------------------------- */

static void header_update(void)
{
    if (P.title) {
        char *t;
        guint n = P.view == VIEW_ATTENTION ? kw_panel_row_count() : 0;
        if (n)
            t = g_markup_printf_escaped("<b>%s</b> (%u)", _("Keep warm"), n);
        else
            t = g_markup_printf_escaped("<b>%s</b>", _("Keep warm"));
        gtk_label_set_markup(GTK_LABEL(P.title), t);
        g_free(t);
    }
    if (P.hidden_toggle) {
        /* TRANSLATORS: the toggle that shows the snoozed and ignored
         * relationships instead of those needing attention */
        char *t = g_strdup_printf(_("Snoozed & ignored (%u)"), P.hidden_count);
        gtk_button_set_label(GTK_BUTTON(P.hidden_toggle), t);
        g_free(t);
    }
    if (P.status) {
        if (P.header_text && P.header_error) {
            char *m = g_markup_printf_escaped("<span foreground=\"#c0392b\">%s</span>", P.header_text);
            gtk_label_set_markup(GTK_LABEL(P.status), m);
            g_free(m);
            gtk_widget_show(P.status);
        } else if (P.header_text) {
            gtk_label_set_text(GTK_LABEL(P.status), P.header_text);
            gtk_widget_show(P.status);
        } else {
            gtk_label_set_text(GTK_LABEL(P.status), "");
            gtk_widget_hide(P.status);
        }
    }
    if (P.confirm) {
        if (P.confirm_text) {
            gtk_label_set_text(GTK_LABEL(P.confirm_label), P.confirm_text);
            gtk_widget_set_visible(P.undo_button, P.undo_id > 0);
            gtk_widget_show(P.confirm);
        } else {
            gtk_widget_hide(P.confirm);
        }
    }
}

void kw_panel_set_header(const char *text, gboolean is_error)
{
    g_free(P.header_text);
    P.header_text = text ? g_strdup(text) : NULL;
    P.header_error = is_error;
    header_update();
}

/* The list's rows: those needing attention (what `keepwarm overdue` lists,
 * in its order: organisations, free-mail people as their own), or the
 * snoozed and ignored ones; and how many of the latter there are (for the
 * toggle). */
static kw_relationship_list_t *query_rows(kw_model_t *model)
{
    kw_list_options_t hidden = { .by = KW_BY_ORG, .states = KW_STATE_BIT(KW_STATE_SNOOZED) |
                                                            KW_STATE_BIT(KW_STATE_IGNORED) };
    kw_list_options_t attention = { .by = KW_BY_ORG, .states = KW_STATES_ATTENTION };
    kw_relationship_list_t *list = NULL, *h = NULL;
    char *qerr = NULL;
    kw_status_t st = kw_model_relationships(model, &hidden, &h, &qerr);

    if (st == KW_OK) {
        P.hidden_count = (guint) h->count;
        if (P.view == VIEW_HIDDEN) {
            list = h;
            h = NULL;
        } else {
            st = kw_model_relationships(model, &attention, &list, &qerr);
        }
    }
    kw_relationship_list_free(h);
    if (st != KW_OK) {
        char *msg = g_strdup_printf(_("Keep warm: could not read the store: %s"),
                                    qerr ? qerr : kw_status_to_string(st));
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
        kw_relationship_list_free(list);
        list = NULL;
    }
    kw_free(qerr);
    return list;
}

static void fill_model(GPtrArray *rows)
{
    gtk_list_store_clear(P.model);
    for (guint i = 0; i < rows->len; i++) {
        kwv_row_t *row = rows->pdata[i];
        /* name, the people by name, and the reason: readable without a tooltip */
        char *title = *row->people && strcmp(row->people, row->title) != 0
            ? g_markup_printf_escaped("<b>%s</b>  <span size=\"small\" alpha=\"65%%\">%s</span>\n"
                                      "<span size=\"small\">%s</span>",
                                      row->title, row->people, row->reason)
            : g_markup_printf_escaped("<b>%s</b>\n<span size=\"small\">%s</span>", row->title,
                                      row->reason);
        /* the team's last touch, when there is one, under the reason */
        char *tip = g_markup_printf_escaped("<b>%s</b> — %s\n%s%s%s", row->title,
                                            kw_words_state(row->state), row->reason,
                                            row->team ? "\n" : "", row->team ? row->team : "");
        GtkTreeIter it;
        gtk_list_store_insert_with_values(P.model, &it, -1,
            COL_ICON, kwv_state_icon(row->state),
            COL_COLOUR, kwv_state_colour(row->state),
            COL_TITLE, title,
            COL_SINCE, row->since,
            COL_CADENCE, row->cadence,
            COL_TOOLTIP, tip,
            COL_INDEX, (gint)i,
            -1);
        g_free(title);
        g_free(tip);
    }
}

void kw_panel_refresh(void)
{
    if (!P.model)
        return;
    kw_relationship_list_t *list = NULL;
    char *err = NULL;
    int selected = selected_index();
    GtkAdjustment *adj = P.view_widget ? gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(P.view_widget)) : NULL;
    double scroll = adj ? gtk_adjustment_get_value(adj) : 0.0;

    /* The store may have changed (a sync, an action): load the model anew,
     * once, for the panel and for the hint bar and Details after it. */
    kw_plugin_model_drop();
    kw_model_t *model = kw_plugin_model(&err);
    if (model) {
        list = query_rows(model);
    } else if (err) {
        kw_plugin_set_status(err, TRUE);
        g_free(err);
    }

    GPtrArray *rows = kwv_rows_build(list, model ? kw_model_as_of(model) : kw_plugin_as_of());
    kw_relationship_list_free(list);

    fill_model(rows);
    if (P.rows)
        g_ptr_array_unref(P.rows);
    P.rows = rows;
    /* Keep the place: the same position stays selected (the next row moves
     * up into it when one left) and the list does not scroll away. */
    if (selected >= 0 && rows->len)
        select_index(MIN((guint) selected, rows->len - 1));
    if (adj)
        gtk_adjustment_set_value(adj, scroll);
    header_update();
    kw_today_panel_refresh();
}

/* ---- actions ------------------------------------------------------------- */

/* The account to write from: the default account when it is tracked, else
 * the first tracked IMAP account, else Claws' current account.
 * (libkeepwarm does not yet say through which account a relationship runs.) */
static PrefsAccount *account_for_relationship(void)
{
    PrefsAccount *first = NULL;
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        if (ac->protocol != A_IMAP4 || !kw_prefs_account_tracked(ac))
            continue;
        if (ac->is_default)
            return ac;
        if (!first)
            first = ac;
    }
    return first ? first : account_get_cur_account();
}

void kw_action_write(const char *address)
{
    if (!address || !*address)
        return;
    compose_new(account_for_relationship(), address, NULL);
}

static const kwv_row_t *selected_row(void)
{
    int idx = selected_index();
    return idx >= 0 ? kw_panel_row((guint) idx) : NULL;
}

/* What an action did, for the confirmation: "Snoozed ACME until Mon 10 Jun." */
static char *confirm_words(kw_panel_act_t what, const char *title, int64_t value)
{
    int64_t now = kw_plugin_as_of();
    char *d, *r;
    switch (what) {
    case KW_ACT_SNOOZE:
        d = kw_words_day(value, now);
        r = g_strdup_printf(_("Snoozed %s until %s."), title, d);
        g_free(d);
        return r;
    case KW_ACT_UNSNOOZE:
        return g_strdup_printf(_("%s is no longer snoozed."), title);
    case KW_ACT_IGNORE:
        return g_strdup_printf(_("Ignored %s."), title);
    case KW_ACT_UNIGNORE:
        return g_strdup_printf(_("%s is listed again."), title);
    case KW_ACT_CADENCE:
        if (!value)
            return g_strdup_printf(_("Rhythm of %s is learned again."), title);
        d = kw_words_cadence((int) value);
        r = g_strdup_printf(_("Rhythm of %s: %s."), title, d);
        g_free(d);
        return r;
    case KW_ACT_SETTLE:
        return g_strdup_printf(_("%s: no reply needed."), title);
    case KW_ACT_NOTE:
        return g_strdup_printf(_("Note saved for %s."), title);
    case KW_ACT_TIER:
        if (value == KW_TIER_NONE)
            return g_strdup_printf(_("%s has no tier now."), title);
        /* TRANSLATORS: Tier of NAME: A. */
        return g_strdup_printf(_("Tier of %s: %s."), title, kw_words_tier((kw_tier_t) value));
    }
    return g_strdup(title);
}

static kw_status_t run_act(kw_store_t *store, kw_panel_act_t what, const char *key, int64_t value,
                           const char *text, char **error)
{
    switch (what) {
    case KW_ACT_SNOOZE:   return kw_snooze(store, key, value, error);
    case KW_ACT_UNSNOOZE: return kw_unsnooze(store, key, error);
    case KW_ACT_IGNORE:   return kw_ignore(store, key, error);
    case KW_ACT_UNIGNORE: return kw_unignore(store, key, error);
    case KW_ACT_CADENCE:  return kw_set_cadence(store, key, (int) value, error);
    case KW_ACT_SETTLE:   return kw_settle(store, key, value, error);
    case KW_ACT_NOTE:     return kw_set_note(store, key, text, error);
    case KW_ACT_TIER:     return kw_set_tier(store, key, (kw_tier_t) value, error);
    }
    return KW_ERR_USAGE;
}

/* Show what was done in Claws' status bar and in the panel's bar, with an
 * Undo when `undo_id` is an action. */
static void confirm(char *text, int64_t undo_id)
{
    g_free(P.confirm_text);
    P.confirm_text = text;
    P.undo_id = undo_id;
    kw_plugin_set_status(text, FALSE);
    header_update();
}

void kw_panel_act(kw_panel_act_t what, const char *key, const char *title, int64_t value,
                  const char *text)
{
    char *err = NULL, *lerr = NULL;
    kw_store_t *store;
    kw_status_t st;
    int64_t id;

    if (!key)
        return;
    store = kw_plugin_store_open(TRUE, &err);
    if (!store) {
        kw_plugin_set_status(err ? err : _("Keep warm: no store yet; wait for the first sync."), TRUE);
        g_free(err);
        return;
    }
    st = run_act(store, what, key, value, text, &lerr);
    id = kw_store_last_action(store);
    kw_store_close(store);
    if (st == KW_OK)
        kw_plugin_team_changed();  /* what the team sees changed with it */
    if (st != KW_OK) {
        char *msg = g_strdup_printf(_("Keep warm: could not change %s: %s"), title ? title : key,
                                    lerr ? lerr : kw_status_to_string(st));
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
    } else {
        confirm(confirm_words(what, title ? title : key, value), id);
    }
    kw_free(lerr);
    kw_panel_refresh();
}

static void undo(void)
{
    char *err = NULL, *lerr = NULL;
    kw_action_t *a = NULL;
    kw_store_t *store;
    kw_status_t st;

    if (P.undo_id <= 0)
        return;
    store = kw_plugin_store_open(TRUE, &err);
    if (!store) {
        kw_plugin_set_status(err, TRUE);
        g_free(err);
        return;
    }
    st = kw_action_undo(store, P.undo_id, &a, &lerr);
    kw_store_close(store);
    if (st == KW_OK)
        kw_plugin_team_changed();  /* the undone change is shared too */
    if (st != KW_OK) {
        char *msg = g_strdup_printf(_("Keep warm: could not undo: %s"),
                                    lerr ? lerr : kw_status_to_string(st));
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
        P.undo_id = 0;
        header_update();
    } else {
        /* TRANSLATORS: after Undo: "Undone: Snoozed ACME until Mon 10 Jun." */
        char *text = g_strdup_printf(_("Undone: %s"), P.confirm_text ? P.confirm_text : "");
        confirm(text, 0);
    }
    kw_action_free(a);
    kw_free(lerr);
    kw_panel_refresh();
}

void kw_panel_snooze(const char *key, int days)
{
    const kwv_row_t *row = NULL;
    for (guint i = 0; i < kw_panel_row_count() && !row; i++)
        if (g_strcmp0(kw_panel_row(i)->key, key) == 0)
            row = kw_panel_row(i);
    kw_panel_act(KW_ACT_SNOOZE, key, row ? row->title : key,
                 kw_plugin_as_of() + (int64_t) days * 86400, NULL);
}

static void set_view(panel_view_t view)
{
    if (P.hidden_toggle &&
        gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(P.hidden_toggle)) != (view == VIEW_HIDDEN)) {
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(P.hidden_toggle), view == VIEW_HIDDEN);
        return; /* the toggle's handler comes back here */
    }
    if (P.view == view)
        return;
    P.view = view;
    if (P.view_widget)
        gtk_tree_selection_unselect_all(gtk_tree_view_get_selection(GTK_TREE_VIEW(P.view_widget)));
    kw_panel_refresh();
}

static void hidden_toggled(GtkToggleButton *b, gpointer d)
{
    set_view(gtk_toggle_button_get_active(b) ? VIEW_HIDDEN : VIEW_ATTENTION);
}

static void on_write(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_action_write(row->main_person);
}

static void on_show_messages(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row && P.cb && P.cb->messages_requested)
        P.cb->messages_requested(row->key, row->title);
}

static void on_snooze(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_panel_act(KW_ACT_SNOOZE, row->key, row->title,
                     kw_plugin_as_of() + (int64_t) GPOINTER_TO_INT(d) * 86400, NULL);
}

static void on_settle(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_panel_act(KW_ACT_SETTLE, row->key, row->title, kw_plugin_as_of(), NULL);
}

static void on_ignore_person(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_panel_act(KW_ACT_IGNORE, row->main_person,
                     row->kind == KW_TARGET_PERSON ? row->title : row->main_person, 0, NULL);
}

static void on_ignore_domain(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (!row)
        return;
    char *org = kw_org_for_address(row->main_person);
    if (org)
        kw_panel_act(KW_ACT_IGNORE, org, row->kind == KW_TARGET_ORG ? row->title : org, 0, NULL);
    kw_free(org);
}

static void on_bring_back(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_panel_act(row->state == KW_STATE_IGNORED ? KW_ACT_UNIGNORE : KW_ACT_UNSNOOZE, row->key,
                     row->title, 0, NULL);
}

static void on_set_cadence(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row && P.cb && P.cb->cadence_requested)
        P.cb->cadence_requested(row->key, row->title);
}

static void open_details(const char *key)
{
    if (P.cb && P.cb->details_requested)
        P.cb->details_requested(key);
}

static void on_details(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        open_details(row->key);
}

/* An item of the context menu; `name` names its widget
 * ("keepwarm-menu-NAME"). */
static GtkWidget *menu_item(GtkWidget *menu, const char *name, const char *label, GCallback cb,
                            gpointer data)
{
    GtkWidget *mi = gtk_menu_item_new_with_mnemonic(label);
    char *wname = g_strconcat("keepwarm-menu-", name, NULL);
    gtk_widget_set_name(mi, wname);
    g_free(wname);
    g_signal_connect(mi, "activate", cb, data);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), mi);
    return mi;
}

static void popup_menu(GdkEvent *event)
{
    const kwv_row_t *row = selected_row();
    if (!row)
        return;
    if (P.menu)
        gtk_widget_destroy(P.menu);
    GtkWidget *menu = gtk_menu_new();
    P.menu = menu;
    g_object_add_weak_pointer(G_OBJECT(menu), (gpointer *)&P.menu);
    if (row->state == KW_STATE_SNOOZED || row->state == KW_STATE_IGNORED) {
        /* the snoozed and ignored view: bring them back */
        menu_item(menu, "bring-back",
                  row->state == KW_STATE_IGNORED ? _("_List again") : _("_Wake up now"),
                  G_CALLBACK(on_bring_back), NULL);
        menu_item(menu, "details", _("Show _details…"), G_CALLBACK(on_details), NULL);
    } else {
        menu_item(menu, "write", _("_Write…"), G_CALLBACK(on_write), NULL);
        menu_item(menu, "messages", _("Show their _messages…"), G_CALLBACK(on_show_messages), NULL);
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
        if (row->state == KW_STATE_AWAITING_YOUR_REPLY || row->state == KW_STATE_AWAITING_THEIR_REPLY)
            menu_item(menu, "settle", _("_No reply needed"), G_CALLBACK(on_settle), NULL);
        menu_item(menu, "snooze-week", _("Snooze 1 _week"), G_CALLBACK(on_snooze), GINT_TO_POINTER(7));
        menu_item(menu, "snooze-month", _("Snooze 1 _month"), G_CALLBACK(on_snooze),
                  GINT_TO_POINTER(30));
        menu_item(menu, "snooze-quarter", _("Snooze 3 m_onths"), G_CALLBACK(on_snooze),
                  GINT_TO_POINTER(91));
        menu_item(menu, "cadence", _("Set _rhythm…"), G_CALLBACK(on_set_cadence), NULL);
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
        menu_item(menu, "ignore-person", _("Ignore _person"), G_CALLBACK(on_ignore_person), NULL);
        GtkWidget *dom = menu_item(menu, "ignore-domain", _("Ignore _domain"),
                                   G_CALLBACK(on_ignore_domain), NULL);
        char *org = kw_org_for_address(row->main_person);
        /* freemail people are their own account: there is no domain to ignore */
        gtk_widget_set_sensitive(dom, org && !strchr(org, '@'));
        kw_free(org);
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
        menu_item(menu, "details", _("Show _details…"), G_CALLBACK(on_details), NULL);
    }
    gtk_widget_show_all(menu);
    if (P.view_widget)
        gtk_menu_attach_to_widget(GTK_MENU(menu), P.view_widget, NULL);
    if (event)
        gtk_menu_popup_at_pointer(GTK_MENU(menu), event);
    else if (P.view_widget)
        gtk_menu_popup_at_widget(GTK_MENU(menu), P.view_widget, GDK_GRAVITY_CENTER,
                                 GDK_GRAVITY_NORTH_WEST, NULL);
}

static gboolean view_button_press(GtkWidget *view, GdkEventButton *ev, gpointer d)
{
    if (ev->type != GDK_BUTTON_PRESS || ev->button != 3)
        return FALSE;
    GtkTreePath *path = NULL;
    if (gtk_tree_view_get_path_at_pos(GTK_TREE_VIEW(view), (gint)ev->x, (gint)ev->y,
                                      &path, NULL, NULL, NULL)) {
        gtk_tree_selection_select_path(gtk_tree_view_get_selection(GTK_TREE_VIEW(view)), path);
        gtk_tree_path_free(path);
        popup_menu((GdkEvent *)ev);
        return TRUE;
    }
    return FALSE;
}

static gboolean view_popup_menu(GtkWidget *view, gpointer d)
{
    popup_menu(NULL);
    return TRUE;
}

static void view_row_activated(GtkTreeView *view, GtkTreePath *path,
                               GtkTreeViewColumn *col, gpointer d)
{
    GtkTreeIter it;
    gint idx = -1;
    if (!gtk_tree_model_get_iter(GTK_TREE_MODEL(P.model), &it, path))
        return;
    gtk_tree_model_get(GTK_TREE_MODEL(P.model), &it, COL_INDEX, &idx, -1);
    const kwv_row_t *row = idx >= 0 ? kw_panel_row((guint)idx) : NULL;
    if (!row)
        return;
    if (row->state == KW_STATE_SNOOZED || row->state == KW_STATE_IGNORED)
        open_details(row->key);
    else
        kw_action_write(row->main_person);
}

/* Narrow: only the names and reasons, the extra columns go. */
static void view_size_allocate(GtkWidget *sw, GdkRectangle *alloc, gpointer d)
{
    gboolean narrow = alloc->width < NARROW_PANEL_PX;
    if (narrow == P.narrow && P.col_since &&
        gtk_tree_view_column_get_visible(P.col_since) == !narrow)
        return;
    P.narrow = narrow;
    if (P.col_since)
        gtk_tree_view_column_set_visible(P.col_since, !narrow);
    if (P.col_cadence)
        gtk_tree_view_column_set_visible(P.col_cadence, !narrow);
}

static void sync_clicked(GtkButton *b, gpointer d)
{
    if (P.cb && P.cb->sync_requested)
        P.cb->sync_requested();
}

static void undo_clicked(GtkButton *b, gpointer d)
{
    undo();
}

static void confirm_closed(GtkButton *b, gpointer d)
{
    g_clear_pointer(&P.confirm_text, g_free);
    P.undo_id = 0;
    header_update();
}

/* ---- widgets -------------------------------------------------------------- */

/* "● awaiting your reply  ● awaiting their reply  ● overdue  ● due soon",
 * each dot in its state's colour. */
static char *legend_markup(void)
{
    size_t n;
    const kw_state_t *states = kwv_legend_states(&n);
    GString *out = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        /* a no-break space keeps each dot with its words' first one when
         * the line wraps in a narrow panel */
        char *item = g_markup_printf_escaped("%s<span foreground=\"%s\">●</span>\u00a0%s", i ? "   " : "",
                                             kwv_state_colour(states[i]), kw_words_state(states[i]));
        g_string_append(out, item);
        g_free(item);
    }
    return g_string_free(out, FALSE);
}

static GtkWidget *panel_build(void)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_set_name(box, "keepwarm-panel");

    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
    gtk_container_set_border_width(GTK_CONTAINER(hbox), 2);
    GtkWidget *title = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(title), 0.0);
    gtk_label_set_ellipsize(GTK_LABEL(title), PANGO_ELLIPSIZE_END);
    gtk_box_pack_start(GTK_BOX(hbox), title, TRUE, TRUE, 2);
    GtkWidget *sync = gtk_button_new_from_icon_name("view-refresh", GTK_ICON_SIZE_MENU);
    gtk_button_set_relief(GTK_BUTTON(sync), GTK_RELIEF_NONE);
    gtk_widget_set_tooltip_text(sync, _("Read new mail headers now"));
    g_signal_connect(sync, "clicked", G_CALLBACK(sync_clicked), NULL);
    gtk_box_pack_end(GTK_BOX(hbox), sync, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), kw_today_panel_widget(), FALSE, FALSE, 0);

    GtkWidget *status = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(status), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(status), TRUE);
    gtk_label_set_selectable(GTK_LABEL(status), TRUE);
    gtk_widget_set_margin_start(status, 4);
    gtk_box_pack_start(GTK_BOX(box), status, FALSE, FALSE, 0);

    /* what the colours mean */
    GtkWidget *legend = gtk_label_new(NULL);
    char *lm = legend_markup();
    gtk_label_set_markup(GTK_LABEL(legend), lm);
    g_free(lm);
    gtk_widget_set_name(legend, "keepwarm-legend");
    gtk_label_set_xalign(GTK_LABEL(legend), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(legend), TRUE);
    gtk_widget_set_margin_start(legend, 4);
    gtk_style_context_add_class(gtk_widget_get_style_context(legend), "dim-label");
    gtk_box_pack_start(GTK_BOX(box), legend, FALSE, FALSE, 0);

    /* the confirmation of the last action, with its Undo */
    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
    gtk_widget_set_name(bar, "keepwarm-confirm");
    gtk_container_set_border_width(GTK_CONTAINER(bar), 2);
    GtkWidget *clabel = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(clabel), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(clabel), TRUE);
    gtk_widget_set_name(clabel, "keepwarm-confirm-label");
    gtk_box_pack_start(GTK_BOX(bar), clabel, TRUE, TRUE, 2);
    GtkWidget *close = gtk_button_new_from_icon_name("window-close", GTK_ICON_SIZE_MENU);
    gtk_button_set_relief(GTK_BUTTON(close), GTK_RELIEF_NONE);
    gtk_widget_set_tooltip_text(close, _("Dismiss"));
    g_signal_connect(close, "clicked", G_CALLBACK(confirm_closed), NULL);
    gtk_box_pack_end(GTK_BOX(bar), close, FALSE, FALSE, 0);
    GtkWidget *undo = gtk_button_new_with_mnemonic(_("_Undo"));
    gtk_widget_set_name(undo, "keepwarm-undo");
    g_signal_connect(undo, "clicked", G_CALLBACK(undo_clicked), NULL);
    gtk_box_pack_end(GTK_BOX(bar), undo, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), bar, FALSE, FALSE, 0);

    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(sw), GTK_SHADOW_IN);
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), 100);
    GtkWidget *view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(P.model));
    gtk_widget_set_name(view, "keepwarm-view");
    gtk_tree_view_set_tooltip_column(GTK_TREE_VIEW(view), COL_TOOLTIP);
    gtk_tree_view_set_headers_visible(GTK_TREE_VIEW(view), TRUE);

    GtkCellRenderer *r = gtk_cell_renderer_pixbuf_new();
    GtkTreeViewColumn *c = gtk_tree_view_column_new_with_attributes("", r,
        "icon-name", COL_ICON, "cell-background", COL_COLOUR, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    /* the name (and the reason under it) gets the width first: it expands
     * and ellipsizes, the other columns go in a narrow panel */
    r = gtk_cell_renderer_text_new();
    g_object_set(r, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Relationship"), r, "markup", COL_TITLE, NULL);
    gtk_tree_view_column_set_expand(c, TRUE);
    gtk_tree_view_column_set_sizing(c, GTK_TREE_VIEW_COLUMN_FIXED);
    gtk_tree_view_column_set_min_width(c, 80);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    r = gtk_cell_renderer_text_new();
    g_object_set(r, "xalign", 1.0, "yalign", 0.0, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Last exchange"), r, "text", COL_SINCE, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);
    P.col_since = c;

    r = gtk_cell_renderer_text_new();
    g_object_set(r, "foreground", "#777777", "scale", 0.85, "yalign", 0.0, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Usually"), r, "text", COL_CADENCE, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);
    P.col_cadence = c;

    g_signal_connect(view, "button-press-event", G_CALLBACK(view_button_press), NULL);
    g_signal_connect(view, "popup-menu", G_CALLBACK(view_popup_menu), NULL);
    g_signal_connect(view, "row-activated", G_CALLBACK(view_row_activated), NULL);
    /* the visible width decides (the scrolled window's, not the list's) */
    g_signal_connect(sw, "size-allocate", G_CALLBACK(view_size_allocate), NULL);
    gtk_container_add(GTK_CONTAINER(sw), view);
    gtk_box_pack_start(GTK_BOX(box), sw, TRUE, TRUE, 0);

    /* under the list: the snoozed and ignored, to bring them back */
    GtkWidget *hidden = gtk_toggle_button_new_with_label("");
    gtk_widget_set_name(hidden, "keepwarm-hidden-toggle");
    gtk_button_set_relief(GTK_BUTTON(hidden), GTK_RELIEF_NONE);
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(hidden), P.view == VIEW_HIDDEN);
    gtk_widget_set_tooltip_text(hidden, _("Show the snoozed and ignored relationships, to bring "
                                          "them back"));
    if (GTK_IS_LABEL(gtk_bin_get_child(GTK_BIN(hidden))))
        gtk_label_set_ellipsize(GTK_LABEL(gtk_bin_get_child(GTK_BIN(hidden))), PANGO_ELLIPSIZE_END);
    g_signal_connect(hidden, "toggled", G_CALLBACK(hidden_toggled), NULL);
    gtk_box_pack_start(GTK_BOX(box), hidden, FALSE, FALSE, 0);

    P.view_widget = view;
    g_object_add_weak_pointer(G_OBJECT(view), (gpointer *)&P.view_widget);
    P.title = title;
    g_object_add_weak_pointer(G_OBJECT(title), (gpointer *)&P.title);
    P.status = status;
    g_object_add_weak_pointer(G_OBJECT(status), (gpointer *)&P.status);
    P.legend = legend;
    g_object_add_weak_pointer(G_OBJECT(legend), (gpointer *)&P.legend);
    P.hidden_toggle = hidden;
    g_object_add_weak_pointer(G_OBJECT(hidden), (gpointer *)&P.hidden_toggle);
    P.confirm = bar;
    g_object_add_weak_pointer(G_OBJECT(bar), (gpointer *)&P.confirm);
    P.confirm_label = clabel;
    g_object_add_weak_pointer(G_OBJECT(clabel), (gpointer *)&P.confirm_label);
    P.undo_button = undo;
    g_object_add_weak_pointer(G_OBJECT(undo), (gpointer *)&P.undo_button);
    return box;
}

static void paned_position_changed(GObject *paned, GParamSpec *ps, gpointer d)
{
    if (P.inserting || !gtk_widget_get_mapped(GTK_WIDGET(paned)))
        return;
    int pos = gtk_paned_get_position(GTK_PANED(paned));
    if (pos > 20)
        kw_prefs.panel_position = pos;
}

static gboolean reinsert_idle(gpointer d)
{
    P.reinsert_id = 0;
    panel_insert();
    return G_SOURCE_REMOVE;
}

static void fw_parent_set(GtkWidget *fw, GtkWidget *old_parent, gpointer d)
{
    if (P.inserting || !P.active)
        return;
    if (P.paned && gtk_widget_get_parent(fw) == P.paned)
        return;
    /* Never re-parent inside the signal: Claws is in the middle of building
     * a layout. */
    if (!P.reinsert_id)
        P.reinsert_id = g_idle_add(reinsert_idle, NULL);
}

static void panel_insert(void)
{
    if (!P.active || !kw_prefs.panel_enabled || !P.fw)
        return;
    GtkWidget *parent = gtk_widget_get_parent(P.fw);
    if (!parent || !GTK_IS_PANED(parent) || parent == P.paned)
        return;
    gboolean first = gtk_paned_get_child1(GTK_PANED(parent)) == P.fw;

    P.inserting = TRUE;
    g_object_ref(P.fw);
    gtk_container_remove(GTK_CONTAINER(parent), P.fw);
    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_VERTICAL);
    gtk_widget_set_name(paned, "keepwarm-paned");
    gtk_paned_pack1(GTK_PANED(paned), P.fw, TRUE, FALSE);
    gtk_paned_pack2(GTK_PANED(paned), panel_build(), FALSE, FALSE);
    if (first)
        gtk_paned_add1(GTK_PANED(parent), paned);
    else
        gtk_paned_add2(GTK_PANED(parent), paned);
    g_object_unref(P.fw);
    P.paned = paned;
    g_object_add_weak_pointer(G_OBJECT(paned), (gpointer *)&P.paned);
    if (kw_prefs.panel_position > 20)
        gtk_paned_set_position(GTK_PANED(paned), kw_prefs.panel_position);
    else {
        int h = gtk_widget_get_allocated_height(parent);
        gtk_paned_set_position(GTK_PANED(paned), h > 300 ? h * 55 / 100 : 250);
    }
    g_signal_connect(paned, "notify::position", G_CALLBACK(paned_position_changed), NULL);
    gtk_widget_show_all(paned);
    P.inserting = FALSE;
    header_update();
}

/* Put the folder view back where it was; our split is destroyed. */
static void panel_remove(void)
{
    if (!P.paned || !P.fw || gtk_widget_get_parent(P.fw) != P.paned) {
        if (P.paned)
            gtk_widget_destroy(P.paned);
        return;
    }
    GtkWidget *parent = gtk_widget_get_parent(P.paned);
    gboolean first = parent && GTK_IS_PANED(parent) &&
                     gtk_paned_get_child1(GTK_PANED(parent)) == P.paned;
    P.inserting = TRUE;
    g_object_ref(P.fw);
    gtk_container_remove(GTK_CONTAINER(P.paned), P.fw);
    gtk_widget_destroy(P.paned);  /* also removes it from `parent` */
    if (parent && GTK_IS_PANED(parent)) {
        if (first)
            gtk_paned_add1(GTK_PANED(parent), P.fw);
        else
            gtk_paned_add2(GTK_PANED(parent), P.fw);
    }
    g_object_unref(P.fw);
    P.inserting = FALSE;
}

void kw_panel_apply_prefs(void)
{
    if (!P.active)
        return;
    if (kw_prefs.panel_enabled)
        panel_insert();
    else
        panel_remove();
    kw_panel_refresh();
}

void kw_panel_init(MainWindow *mainwin, const KwPanelCallbacks *callbacks)
{
    P.mainwin = mainwin;
    P.cb = callbacks;
    P.active = TRUE;
    if (!P.model)
        P.model = gtk_list_store_new(N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                     G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
    P.fw = GTK_WIDGET_PTR(mainwin->folderview);
    g_object_add_weak_pointer(G_OBJECT(P.fw), (gpointer *)&P.fw);
    P.parent_set_id = g_signal_connect(P.fw, "parent-set", G_CALLBACK(fw_parent_set), NULL);
    panel_insert();
    kw_panel_refresh();
}

static void weak_clear(GtkWidget **slot)
{
    if (*slot) {
        g_object_remove_weak_pointer(G_OBJECT(*slot), (gpointer *)slot);
        *slot = NULL;
    }
}

void kw_panel_done(gboolean interactive)
{
    P.active = FALSE;
    if (P.reinsert_id) {
        g_source_remove(P.reinsert_id);
        P.reinsert_id = 0;
    }
    /* Disconnect everything that points into plugin code, on widgets that
     * are still alive (weak pointers tell). */
    if (P.fw && P.parent_set_id)
        g_signal_handler_disconnect(P.fw, P.parent_set_id);
    P.parent_set_id = 0;
    if (interactive) {
        if (P.menu)
            gtk_widget_destroy(P.menu);
        if (kw_prefs.panel_enabled || P.paned)
            panel_remove();
    } else {
        /* At exit the widgets may be gone or going: only detach. */
        if (P.view_widget) {
            g_signal_handlers_disconnect_by_func(P.view_widget, view_button_press, NULL);
            g_signal_handlers_disconnect_by_func(P.view_widget, view_popup_menu, NULL);
            g_signal_handlers_disconnect_by_func(P.view_widget, view_row_activated, NULL);
            if (gtk_widget_get_parent(P.view_widget))
                g_signal_handlers_disconnect_by_func(gtk_widget_get_parent(P.view_widget),
                                                     view_size_allocate, NULL);
        }
        if (P.hidden_toggle)
            g_signal_handlers_disconnect_by_func(P.hidden_toggle, hidden_toggled, NULL);
        if (P.undo_button)
            g_signal_handlers_disconnect_by_func(P.undo_button, undo_clicked, NULL);
        if (P.paned)
            g_signal_handlers_disconnect_matched(P.paned, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                                 (gpointer)paned_position_changed, NULL);
    }
    weak_clear(&P.menu);
    weak_clear(&P.view_widget);
    weak_clear(&P.title);
    weak_clear(&P.status);
    weak_clear(&P.legend);
    weak_clear(&P.hidden_toggle);
    weak_clear(&P.confirm);
    weak_clear(&P.confirm_label);
    weak_clear(&P.undo_button);
    P.col_since = P.col_cadence = NULL;
    weak_clear(&P.paned);
    weak_clear(&P.fw);
    if (P.rows) {
        g_ptr_array_unref(P.rows);
        P.rows = NULL;
    }
    if (P.model && interactive) {
        g_object_unref(P.model);
        P.model = NULL;
    }
    /* At exit the model may still be referenced by a tree view being
     * destroyed; GtkListStore is GTK's type, so leaking our ref is harmless. */
    P.model = NULL;
    g_clear_pointer(&P.header_text, g_free);
    g_clear_pointer(&P.confirm_text, g_free);
    P.undo_id = 0;
    P.mainwin = NULL;
    P.cb = NULL;
}
