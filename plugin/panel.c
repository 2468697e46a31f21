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
    COL_TITLE,      /* markup: name, then people in small type */
    COL_SINCE,
    COL_CADENCE,
    COL_TOOLTIP,    /* markup */
    COL_INDEX,      /* index into P.rows */
    N_COLS
};

static struct {
    MainWindow   *mainwin;
    GtkListStore *model;        /* owned by the plugin, survives relayouts */
    GPtrArray    *rows;         /* kwv_row_t*, same order as the model */
    GtkWidget    *fw;           /* folder view widget (weak pointer) */
    GtkWidget    *paned;        /* our vertical split (weak pointer) */
    GtkWidget    *view;         /* tree view (weak pointer) */
    GtkWidget    *title;        /* header label (weak pointer) */
    GtkWidget    *status;       /* header status label (weak pointer) */
    GtkWidget    *menu;         /* context menu (weak pointer) */
    GSList       *dialogs;      /* open dialogs, destroyed at unload */
    gulong        parent_set_id;
    guint         reinsert_id;
    gboolean      inserting;
    gboolean      active;
    char         *header_text;
    gboolean      header_error;
    const KwPanelCallbacks *cb;
} P;

static void panel_insert(void);

/* ---- rows ---------------------------------------------------------------- */

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
        guint n = kw_panel_row_count();
        if (n)
            t = g_markup_printf_escaped("<b>%s</b> (%u)", _("Keep warm"), n);
        else
            t = g_markup_printf_escaped("<b>%s</b>", _("Keep warm"));
        gtk_label_set_markup(GTK_LABEL(P.title), t);
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
}

void kw_panel_set_header(const char *text, gboolean is_error)
{
    g_free(P.header_text);
    P.header_text = text ? g_strdup(text) : NULL;
    P.header_error = is_error;
    header_update();
}

void kw_panel_refresh(void)
{
    if (!P.model)
        return;
    kw_relationship_list_t *list = NULL;
    char *err = NULL;
    /* The store may have changed (a sync, an action): load the model anew,
     * once, for the panel and for the hint bar and Details after it. */
    kw_plugin_model_drop();
    kw_model_t *model = kw_plugin_model(&err);
    if (model) {
        /* what `keepwarm overdue` lists, in its order: the states that need
         * attention, organisations (free-mail people as their own) */
        kw_list_options_t lo = { .by = KW_BY_ORG, .states = KW_STATES_ATTENTION };
        char *qerr = NULL;
        kw_status_t st = kw_model_relationships(model, &lo, &list, &qerr);
        if (st != KW_OK) {
            char *msg = g_strdup_printf(_("Keep warm: could not read the store: %s"),
                                        qerr ? qerr : kw_status_to_string(st));
            kw_plugin_set_status(msg, TRUE);
            g_free(msg);
            list = NULL;
        }
        kw_free(qerr);
    } else if (err) {
        kw_plugin_set_status(err, TRUE);
        g_free(err);
    }

    GPtrArray *rows = kwv_rows_build(list, model ? kw_model_as_of(model) : kw_plugin_as_of());
    kw_relationship_list_free(list);

    gtk_list_store_clear(P.model);
    for (guint i = 0; i < rows->len; i++) {
        kwv_row_t *row = rows->pdata[i];
        char *title = *row->people
            ? g_markup_printf_escaped("<b>%s</b>\n<small>%s</small>", row->title, row->people)
            : g_markup_printf_escaped("<b>%s</b>", row->title);
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
    if (P.rows)
        g_ptr_array_unref(P.rows);
    P.rows = rows;
    header_update();
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
    if (!P.view)
        return NULL;
    GtkTreeSelection *sel = gtk_tree_view_get_selection(GTK_TREE_VIEW(P.view));
    GtkTreeModel *model;
    GtkTreeIter it;
    if (!gtk_tree_selection_get_selected(sel, &model, &it))
        return NULL;
    gint idx = -1;
    gtk_tree_model_get(model, &it, COL_INDEX, &idx, -1);
    return idx >= 0 ? kw_panel_row((guint)idx) : NULL;
}

/* Run one store-changing action, then refresh. */
/* `fail_fmt`: a translated "...%s (target)...%s (reason)" message. */
static void store_action(const char *fail_fmt, kw_status_t (*fn)(kw_store_t *, const char *, void *),
                         const char *target, void *arg)
{
    char *err = NULL;
    kw_store_t *store = kw_plugin_store_open(TRUE, &err);
    if (!store) {
        kw_plugin_set_status(err ? err : _("Keep warm: no store yet; wait for the first sync."), TRUE);
        g_free(err);
        return;
    }
    kw_status_t st = fn(store, target, arg);
    kw_store_close(store);
    if (st == KW_OK)
        kw_plugin_team_changed();  /* what the team sees changed with it */
    if (st != KW_OK) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        char *msg = g_strdup_printf(fail_fmt, target, kw_status_to_string(st));
#pragma GCC diagnostic pop
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
    }
    kw_panel_refresh();
}

static kw_status_t do_snooze(kw_store_t *s, const char *t, void *arg)
{
    int days = GPOINTER_TO_INT(arg);
    return kw_snooze(s, t, kw_plugin_as_of() + (int64_t)days * 86400, NULL);
}
static kw_status_t do_ignore(kw_store_t *s, const char *t, void *arg) { return kw_ignore(s, t, NULL); }
static kw_status_t do_cadence(kw_store_t *s, const char *t, void *arg)
{
    return kw_set_cadence(s, t, GPOINTER_TO_INT(arg), NULL);
}

void kw_panel_snooze(const char *key, int days)
{
    store_action(_("Keep warm: could not snooze %s: %s"), do_snooze, key, GINT_TO_POINTER(days));
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
    MainWindow *mainwin = P.mainwin;
    if (!row || !mainwin)
        return;
    PrefsAccount *ac = account_for_relationship();
    if (ac && ac->folder) {
        Folder *folder = (Folder *)ac->folder;
        FolderItem *item = folder->inbox;
        if (!item && folder->node)
            item = folder->node->data;
        if (item)
            folderview_select(mainwin->folderview, item);
    }
    /* A person: their address; an organisation: its domain — From, To or Cc. */
    char *needle = g_strescape(row->key, NULL);
    char *expr = g_strdup_printf("f \"%s\" | t \"%s\" | c \"%s\"", needle, needle, needle);
    summaryview_activate_quicksearch(mainwin->summaryview, TRUE);
    quicksearch_set(mainwin->summaryview->quicksearch, ADVANCED_SEARCH_EXTENDED, expr);
    g_free(expr);
    g_free(needle);
}

static void on_snooze(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_panel_snooze(row->key, GPOINTER_TO_INT(d));
}

static void on_ignore_person(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        store_action(_("Keep warm: could not ignore %s: %s"), do_ignore, row->main_person, NULL);
}

static void on_ignore_domain(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (!row)
        return;
    char *org = kw_org_for_address(row->main_person);
    if (org)
        store_action(_("Keep warm: could not ignore %s: %s"), do_ignore, org, NULL);
    kw_free(org);
}

static void dialog_track(GtkWidget *dialog)
{
    P.dialogs = g_slist_prepend(P.dialogs, dialog);
}

static void dialog_forget(GtkWidget *dialog, gpointer d)
{
    P.dialogs = g_slist_remove(P.dialogs, dialog);
}

static void cadence_response(GtkDialog *dialog, gint response, gpointer d)
{
    if (response == GTK_RESPONSE_OK) {
        GtkWidget *spin = g_object_get_data(G_OBJECT(dialog), "spin");
        GtkWidget *autob = g_object_get_data(G_OBJECT(dialog), "auto");
        const char *key = g_object_get_data(G_OBJECT(dialog), "key");
        int days = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(autob))
            ? 0 : gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(spin));
        store_action(_("Keep warm: could not set the rhythm of %s: %s"), do_cadence, key, GINT_TO_POINTER(days));
    }
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void auto_toggled(GtkToggleButton *b, gpointer spin)
{
    gtk_widget_set_sensitive(GTK_WIDGET(spin), !gtk_toggle_button_get_active(b));
}

static void on_set_cadence(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (!row || !P.mainwin)
        return;
    GtkWidget *dialog = gtk_dialog_new_with_buttons(_("Usual rhythm"),
        GTK_WINDOW(P.mainwin->window), GTK_DIALOG_DESTROY_WITH_PARENT,
        _("_Cancel"), GTK_RESPONSE_CANCEL, _("_OK"), GTK_RESPONSE_OK, NULL);
    GtkWidget *box = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    gtk_box_set_spacing(GTK_BOX(box), 8);
    char *q = g_strdup_printf(_("How often do you want to be in touch with %s?"), row->title);
    GtkWidget *label = gtk_label_new(q);
    g_free(q);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(_("Every")), FALSE, FALSE, 0);
    GtkWidget *spin = gtk_spin_button_new_with_range(1, 730, 1);
    kw_model_t *model = kw_plugin_model(NULL);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(spin), model ? kw_model_default_cadence(model)
                                                           : KW_DEFAULT_CADENCE_DAYS);
    gtk_box_pack_start(GTK_BOX(hbox), spin, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(_("days")), FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);
    GtkWidget *autob = gtk_check_button_new_with_label(_("Learn it from our history (automatic)"));
    g_signal_connect(autob, "toggled", G_CALLBACK(auto_toggled), spin);
    gtk_box_pack_start(GTK_BOX(box), autob, FALSE, FALSE, 0);
    g_object_set_data(G_OBJECT(dialog), "spin", spin);
    g_object_set_data(G_OBJECT(dialog), "auto", autob);
    g_object_set_data_full(G_OBJECT(dialog), "key", g_strdup(row->key), g_free);
    g_signal_connect(dialog, "response", G_CALLBACK(cadence_response), NULL);
    g_signal_connect(dialog, "destroy", G_CALLBACK(dialog_forget), NULL);
    dialog_track(dialog);
    gtk_widget_show_all(dialog);
}

static char *iso_day(int64_t t)
{
    if (t <= 0)
        return g_strdup("—");
    GDateTime *dt = g_date_time_new_from_unix_utc(t); /* mail days are UTC everywhere */
    char *s = g_date_time_format(dt, "%Y-%m-%d");
    g_date_time_unref(dt);
    return s;
}

void kw_action_details(const char *key)
{
    if (!key || !P.mainwin)
        return;
    kw_model_t *model = kw_plugin_model(NULL);
    if (!model)
        return;
    int64_t as_of = kw_model_as_of(model);
    kw_relationship_t *rel = NULL;
    kw_touch_list_t *touches = NULL;
    GString *text = g_string_new(NULL);
    if (kw_model_relationship(model, key, &rel, NULL) == KW_OK) {
        char *name = kw_sanitize_for_display(rel->display_name ? rel->display_name : rel->key);
        char *since = kw_words_ago(rel->last_touch, as_of);
        char *cad = kw_words_cadence(rel->cadence_days);
        char *why = kw_words_reason(&rel->reason, as_of);
        char *r = kw_sanitize_for_display(why);
        g_string_append_printf(text, "%s — %s\n", name, kw_words_state(rel->state));
        g_string_append_printf(text, _("Last exchange: %s\n"), since);
        g_string_append_printf(text, _("Usual rhythm: %s (%s)\n"), cad,
                               kw_words_cadence_source(rel->reason.cadence_source));
        g_string_append_printf(text, "%s\n", r);
        if (rel->note) {
            char *n = kw_sanitize_for_display(rel->note);
            g_string_append_printf(text, _("Note: %s\n"), n);
            kw_free(n);
        }
        g_string_append_printf(text, _("People:"));
        for (char **p = rel->people; p && *p; p++)
            g_string_append_printf(text, " %s", *p);
        g_string_append(text, "\n\n");
        kw_plugin_team_details(text, model, key);
        kw_free(name);
        kw_free(r);
        g_free(why);
        g_free(since);
        g_free(cad);
    }
    if (kw_model_timeline(model, key, &touches, NULL) == KW_OK) {
        g_string_append(text, _("History (newest first):\n"));
        for (size_t i = 0; i < touches->count && i < 500; i++) {
            kw_touch_t *t = &touches->items[i];
            char *day = iso_day(t->time);
            char *subj = kw_sanitize_for_display(t->subject ? t->subject : "");
            const char *dir = t->inbound && t->outbound ? "⇄" : t->inbound ? "←" : "→";
            g_string_append_printf(text, "%s  %s  %s  %s\n", day, dir,
                                   t->address ? t->address : "", subj ? subj : "");
            g_free(day);
            kw_free(subj);
        }
    }
    kw_relationship_free(rel);
    kw_touch_list_free(touches);

    GtkWidget *dialog = gtk_dialog_new_with_buttons(_("Keep warm — details"),
        GTK_WINDOW(P.mainwin->window), GTK_DIALOG_DESTROY_WITH_PARENT,
        _("_Close"), GTK_RESPONSE_CLOSE, NULL);
    gtk_window_set_default_size(GTK_WINDOW(dialog), 560, 420);
    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    GtkWidget *tv = gtk_text_view_new();
    gtk_text_view_set_editable(GTK_TEXT_VIEW(tv), FALSE);
    gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(tv), GTK_WRAP_WORD_CHAR);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv)), text->str, -1);
    gtk_container_add(GTK_CONTAINER(sw), tv);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), sw, TRUE, TRUE, 0);
    g_signal_connect(dialog, "response", G_CALLBACK(gtk_widget_destroy), NULL);
    g_signal_connect(dialog, "destroy", G_CALLBACK(dialog_forget), NULL);
    dialog_track(dialog);
    gtk_widget_show_all(dialog);
    g_string_free(text, TRUE);
}

static void on_details(GtkMenuItem *mi, gpointer d)
{
    const kwv_row_t *row = selected_row();
    if (row)
        kw_action_details(row->key);
}

static GtkWidget *menu_item(GtkWidget *menu, const char *label, GCallback cb, gpointer data)
{
    GtkWidget *mi = gtk_menu_item_new_with_mnemonic(label);
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
    menu_item(menu, _("_Write…"), G_CALLBACK(on_write), NULL);
    menu_item(menu, _("Show their _messages"), G_CALLBACK(on_show_messages), NULL);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
    menu_item(menu, _("Snooze 1 _week"), G_CALLBACK(on_snooze), GINT_TO_POINTER(7));
    menu_item(menu, _("Snooze 1 _month"), G_CALLBACK(on_snooze), GINT_TO_POINTER(30));
    menu_item(menu, _("Snooze 3 m_onths"), G_CALLBACK(on_snooze), GINT_TO_POINTER(91));
    menu_item(menu, _("Set _cadence…"), G_CALLBACK(on_set_cadence), NULL);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
    menu_item(menu, _("Ignore _person"), G_CALLBACK(on_ignore_person), NULL);
    GtkWidget *dom = menu_item(menu, _("Ignore _domain"), G_CALLBACK(on_ignore_domain), NULL);
    char *org = kw_org_for_address(row->main_person);
    /* freemail people are their own account: there is no domain to ignore */
    gtk_widget_set_sensitive(dom, org && !strchr(org, '@'));
    kw_free(org);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), gtk_separator_menu_item_new());
    menu_item(menu, _("Show _details"), G_CALLBACK(on_details), NULL);
    gtk_widget_show_all(menu);
    if (P.view)
        gtk_menu_attach_to_widget(GTK_MENU(menu), P.view, NULL);
    if (event)
        gtk_menu_popup_at_pointer(GTK_MENU(menu), event);
    else if (P.view)
        gtk_menu_popup_at_widget(GTK_MENU(menu), P.view, GDK_GRAVITY_CENTER,
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
    if (row)
        kw_action_write(row->main_person);
}

static void sync_clicked(GtkButton *b, gpointer d)
{
    if (P.cb && P.cb->sync_requested)
        P.cb->sync_requested();
}

/* ---- widgets -------------------------------------------------------------- */

static GtkWidget *panel_build(void)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_set_name(box, "keepwarm-panel");

    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
    gtk_container_set_border_width(GTK_CONTAINER(hbox), 2);
    GtkWidget *title = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(title), 0.0);
    gtk_box_pack_start(GTK_BOX(hbox), title, TRUE, TRUE, 2);
    GtkWidget *sync = gtk_button_new_from_icon_name("view-refresh", GTK_ICON_SIZE_MENU);
    gtk_button_set_relief(GTK_BUTTON(sync), GTK_RELIEF_NONE);
    gtk_widget_set_tooltip_text(sync, _("Read new mail headers now"));
    g_signal_connect(sync, "clicked", G_CALLBACK(sync_clicked), NULL);
    gtk_box_pack_end(GTK_BOX(hbox), sync, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);

    GtkWidget *status = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(status), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(status), TRUE);
    gtk_label_set_selectable(GTK_LABEL(status), TRUE);
    gtk_widget_set_margin_start(status, 4);
    gtk_box_pack_start(GTK_BOX(box), status, FALSE, FALSE, 0);

    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(sw), GTK_SHADOW_IN);
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), 100);
    GtkWidget *view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(P.model));
    gtk_widget_set_name(view, "keepwarm-view");
    gtk_tree_view_set_tooltip_column(GTK_TREE_VIEW(view), COL_TOOLTIP);
    gtk_tree_view_set_headers_visible(GTK_TREE_VIEW(view), FALSE);

    GtkCellRenderer *r = gtk_cell_renderer_pixbuf_new();
    GtkTreeViewColumn *c = gtk_tree_view_column_new_with_attributes("", r,
        "icon-name", COL_ICON, "cell-background", COL_COLOUR, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    r = gtk_cell_renderer_text_new();
    g_object_set(r, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Relationship"), r, "markup", COL_TITLE, NULL);
    gtk_tree_view_column_set_expand(c, TRUE);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    r = gtk_cell_renderer_text_new();
    g_object_set(r, "xalign", 1.0, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Since"), r, "text", COL_SINCE, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    r = gtk_cell_renderer_text_new();
    g_object_set(r, "foreground", "#777777", "scale", 0.85, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Usually"), r, "text", COL_CADENCE, NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);

    g_signal_connect(view, "button-press-event", G_CALLBACK(view_button_press), NULL);
    g_signal_connect(view, "popup-menu", G_CALLBACK(view_popup_menu), NULL);
    g_signal_connect(view, "row-activated", G_CALLBACK(view_row_activated), NULL);
    gtk_container_add(GTK_CONTAINER(sw), view);
    gtk_box_pack_start(GTK_BOX(box), sw, TRUE, TRUE, 0);

    P.view = view;
    g_object_add_weak_pointer(G_OBJECT(view), (gpointer *)&P.view);
    P.title = title;
    g_object_add_weak_pointer(G_OBJECT(title), (gpointer *)&P.title);
    P.status = status;
    g_object_add_weak_pointer(G_OBJECT(status), (gpointer *)&P.status);
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
        while (P.dialogs)
            gtk_widget_destroy(P.dialogs->data);  /* "destroy" unlinks it */
        if (P.menu)
            gtk_widget_destroy(P.menu);
        if (kw_prefs.panel_enabled || P.paned)
            panel_remove();
    } else {
        /* At exit the widgets may be gone or going: only detach. */
        for (GSList *l = P.dialogs; l; l = l->next)
            g_signal_handlers_disconnect_matched(l->data, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                                 (gpointer)dialog_forget, NULL);
        g_slist_free(P.dialogs);
        P.dialogs = NULL;
        if (P.view) {
            g_signal_handlers_disconnect_by_func(P.view, view_button_press, NULL);
            g_signal_handlers_disconnect_by_func(P.view, view_popup_menu, NULL);
            g_signal_handlers_disconnect_by_func(P.view, view_row_activated, NULL);
        }
        if (P.paned)
            g_signal_handlers_disconnect_matched(P.paned, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                                 (gpointer)paned_position_changed, NULL);
    }
    weak_clear(&P.menu);
    weak_clear(&P.view);
    weak_clear(&P.title);
    weak_clear(&P.status);
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
    P.mainwin = NULL;
    P.cb = NULL;
}
