/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testhook.c — TEST-ONLY introspection for tests/plugin/t-claws-*.py,
 * linked into the test build of the plugin only (build/plugin-test/
 * keepwarm-test.so; see plugin/Makefile.local). The shipped keepwarm.so
 * contains none of this, which tests/plugin/t-plugin-build.py checks.
 *
 * Environment (read here, and nowhere in the shipped plugin):
 *   KEEPWARM_PLUGIN_TEST_DUMP=/path  what the user sees, as JSON, rewritten
 *       (atomically) whenever it changes: panel rows, the sender of the
 *       message last shown and the hint bar above it (text, buttons), the
 *       status line, the folder view's parentage, the workers, the team's
 *       exchanges, the panel's legend, confirmation bar, Undo, selection,
 *       view toggle and columns, the rhythm, details and messages dialogs and
 *       the preferences page when they are open, the Today section (its
 *       header and items). The last dump at unload says whether the folder
 *       view went back.
 *   KEEPWARM_PLUGIN_TEST_CMD=/fifo   one command per line:
 *       refresh | sync | snooze ROW DAYS | layout N | unload |
 *       prefs-open | prefs-set FIELD VALUE | prefs-ok |
 *       menu ROW ITEM | undo | view attention|hidden | hint-press 1|2 |
 *       dialog WHAT [ARG] | folder-width PX |
 *       today-log ROW call|meeting | today-skip ROW | today-tier ROW A|B|C|none |
 *       send ADDR SUBJECT  (compose and send a message from the default account)
 *     (ROW is a 0-based panel row; N a Claws layout_mode: 0 normal, 1 three
 *     columns, 2 wide message, 4 wide message list, 5 small screen. FIELD is
 *     a widget of the page: other-addresses and own-domains take entries
 *     separated by commas, default-cadence a number, no-colleagues 0 or 1,
 *     accounts the ids of the accounts to tick, separated by commas. ITEM
 *     names an item of the row's context menu, which a right-click on the
 *     row pops up: write, messages, settle, snooze-week, snooze-month,
 *     snooze-quarter, cadence, ignore-person, ignore-domain, bring-back,
 *     details. WHAT: cadence-days N, cadence-learn, cadence-ok,
 *     cadence-cancel, details-note TEXT, details-save, details-button NAME
 *     (write, settle, snooze, ignore, rhythm, close), close-all. PX: the
 *     width of Claws' folder column. today-*: ROW is a 0-based row of the
 *     Today section; they call what its context menu and its log dialog
 *     call.)
 *   KEEPWARM_PLUGIN_STARTUP_S, _COALESCE_S, _DEADLINE_S   shorter delays.
 * The page is driven through Claws' own preferences window and its OK
 * button, as a user would. */
#include "kw_plugin.h"
#include "kw_today.h"
#include "kw_team.h"
#include "kw_panel.h"
#include "kw_worker.h"
#include "testhook.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "utils.h"
#include "plugin.h"
#include "mainwindow.h"
#include "messageview.h"
#include "noticeview.h"
#include "procmsg.h"
#include "hooks.h"
#include "menu.h"
#include "prefs_common.h"
#include "prefs_gtk.h"
#include "account.h"
#include "prefs_account.h"
#include "compose.h"

#define DUMP_EVERY_MS 100

static struct {
    char       *dump_path;
    char       *last;      /* the last dump written, without its seq */
    unsigned    seq;
    int         cmd_fd, cmd_keep_fd;
    GIOChannel *cmd;
    guint       cmd_watch;
    guint       dump_timer;
    gulong      show_hook;
    char       *shown_from; /* the message whose display has finished */
    guint       menu_retry; /* a `menu` command waiting for its row */
} T = { .cmd_fd = -1, .cmd_keep_fd = -1, .show_hook = HOOK_NONE };

/* ---- finding widgets ------------------------------------------------------ */

typedef gboolean (*Visit)(GtkWidget *w, gconstpointer data);

/* The first widget, depth first from `w`, that `visit` accepts; a
 * notebook's hidden pages count. */
static GtkWidget *walk(GtkWidget *w, Visit visit, gconstpointer data)
{
    if (!w)
        return NULL;
    if (visit(w, data))
        return w;
    GtkWidget *found = NULL;
    if (GTK_IS_CONTAINER(w)) {
        GList *kids = gtk_container_get_children(GTK_CONTAINER(w));
        for (GList *l = kids; l && !found; l = l->next)
            found = walk(l->data, visit, data);
        g_list_free(kids);
    }
    return found;
}

/* The same in every window but the main one. */
static GtkWidget *walk_windows(Visit visit, gconstpointer data)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    GList *tops = gtk_window_list_toplevels();
    GtkWidget *found = NULL;
    for (GList *l = tops; l && !found; l = l->next)
        if (!mainwin || l->data != mainwin->window)
            found = walk(l->data, visit, data);
    g_list_free(tops);
    return found;
}

static gboolean named(GtkWidget *w, gconstpointer name)
{
    return !g_strcmp0(gtk_widget_get_name(w), name);
}

static GtkWidget *find_named(GtkWidget *w, const char *name)
{
    return walk(w, named, name);
}

static GtkWidget *find_in_windows(const char *name)
{
    return walk_windows(named, name);
}

/* ---- the dump ------------------------------------------------------------- */

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void add_parentage(JsonBuilder *b, GtkWidget *w)
{
    json_builder_set_member_name(b, "folderview_parents");
    json_builder_begin_array(b);
    for (GtkWidget *p = w ? gtk_widget_get_parent(w) : NULL; p; p = gtk_widget_get_parent(p))
        json_builder_add_string_value(b, gtk_widget_get_name(p));
    json_builder_end_array(b);
}

static GtkWidget *folderview_widget(void)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    return mainwin && mainwin->folderview ? GTK_WIDGET_PTR(mainwin->folderview) : NULL;
}

static char *text_of(GtkWidget *tv)
{
    GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv));
    GtkTextIter a, b;
    gtk_text_buffer_get_bounds(buf, &a, &b);
    return gtk_text_buffer_get_text(buf, &a, &b, FALSE);
}

/* The preferences page as it shows, when it is open. */
static void add_prefs(JsonBuilder *b)
{
    json_builder_set_member_name(b, "prefs");
    GtkWidget *page = find_in_windows("keepwarm-prefs");
    if (!page) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    static const char *const texts[] = { "other-addresses", "own-domains" };
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        char *name = g_strconcat("keepwarm-", texts[i], NULL);
        GtkWidget *tv = find_named(page, name);
        char *text = tv ? text_of(tv) : NULL;
        add_string(b, texts[i], text);
        if (tv) {
            json_builder_set_member_name(b, i ? "own-domains-editable" : "other-addresses-editable");
            json_builder_add_boolean_value(b, gtk_widget_get_sensitive(tv));
        }
        g_free(text);
        g_free(name);
    }
    GtkWidget *spin = find_named(page, "keepwarm-default-cadence");
    json_builder_set_member_name(b, "default-cadence");
    json_builder_add_int_value(b, spin ? gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(spin)) : -1);
    GtkWidget *none = find_named(page, "keepwarm-no-colleagues");
    json_builder_set_member_name(b, "no-colleagues");
    json_builder_add_boolean_value(b, none && gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(none)));
    GtkWidget *accounts = find_named(page, "keepwarm-accounts");
    json_builder_set_member_name(b, "accounts");
    json_builder_begin_array(b);
    GtkTreeModel *m = accounts ? gtk_tree_view_get_model(GTK_TREE_VIEW(accounts)) : NULL;
    GtkTreeIter it;
    for (gboolean more = m && gtk_tree_model_get_iter_first(m, &it); more; more = gtk_tree_model_iter_next(m, &it)) {
        gboolean on = FALSE;
        int id = 0;
        gtk_tree_model_get(m, &it, 0, &on, 1, &id, -1);
        if (on)
            json_builder_add_int_value(b, id);
    }
    json_builder_end_array(b);
    GtkWidget *err = find_named(page, "keepwarm-prefs-error");
    add_string(b, "error", err ? gtk_label_get_text(GTK_LABEL(err)) : NULL);
    json_builder_end_object(b);
}

static void add_workers(JsonBuilder *b)
{
    json_builder_set_member_name(b, "workers");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "running");
    json_builder_add_int_value(b, kw_workers_running());
    json_builder_set_member_name(b, "finished");
    json_builder_add_int_value(b, kw_workers_finished());
    json_builder_set_member_name(b, "last");
    json_builder_begin_object(b);
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        kw_status_t st;
        if (kw_workers_last_status(ac->account_id, &st))
            add_string(b, ac->account_name ? ac->account_name : "?", kw_status_to_string(st));
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
}

/* The team's exchanges (team.c), and what the status line said after the
 * last one. */
static void add_team(JsonBuilder *b)
{
    json_builder_set_member_name(b, "team");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "configured");
    json_builder_add_boolean_value(b, kw_plugin_team_configured());
    json_builder_set_member_name(b, "running");
    json_builder_add_boolean_value(b, kw_plugin_team_running());
    json_builder_set_member_name(b, "exchanges");
    json_builder_add_int_value(b, kw_plugin_team_exchanges());
    json_builder_set_member_name(b, "last_exit");
    json_builder_add_int_value(b, kw_plugin_team_last_exit());
    json_builder_end_object(b);
    add_string(b, "team_status", kw_plugin_team_status());
}

static void add_rows(JsonBuilder *b)
{
    json_builder_set_member_name(b, "rows");
    json_builder_begin_array(b);
    for (guint i = 0; i < kw_panel_row_count(); i++) {
        const kwv_row_t *r = kw_panel_row(i);
        json_builder_begin_object(b);
        add_string(b, "key", r->key);
        add_string(b, "title", r->title);
        add_string(b, "people", r->people);
        add_string(b, "since", r->since);
        add_string(b, "cadence", r->cadence);
        add_string(b, "state", kw_state_to_string(r->state));
        add_string(b, "reason", r->reason);
        add_string(b, "team", r->team);
        add_string(b, "main_person", r->main_person);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* The Today section as shown: its header (the progress line) and items. */
static void add_today(JsonBuilder *b)
{
    const kw_today_t *t = kw_today_panel_list();
    int64_t as_of = kw_plugin_as_of();
    char *progress = t ? kw_words_progress(t->done, t->size, t->streak,
                                           (t->size - t->done) * t->minutes_per_item) : NULL;

    json_builder_set_member_name(b, "today");
    json_builder_begin_object(b);
    add_string(b, "date", t ? t->date : NULL);
    add_string(b, "progress", progress);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, t ? t->size : 0);
    json_builder_set_member_name(b, "done");
    json_builder_add_int_value(b, t ? t->done : 0);
    json_builder_set_member_name(b, "streak");
    json_builder_add_int_value(b, t ? t->streak : 0);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (guint i = 0; i < kw_today_panel_count(); i++) {
        const kw_today_item_t *it = kw_today_panel_item(i);
        char *reason = it->rel ? kw_words_reason(&it->rel->reason, as_of) : NULL;
        json_builder_begin_object(b);
        add_string(b, "key", it->key);
        add_string(b, "name", it->display_name);
        add_string(b, "state", kw_state_to_string(it->state));
        add_string(b, "slot", kw_slot_to_string(it->slot));
        add_string(b, "reason", reason);
        add_string(b, "how", kw_how_to_string(it->how));
        json_builder_set_member_name(b, "done");
        json_builder_add_boolean_value(b, it->how != KW_HOW_NOT_YET);
        add_string(b, "tier", it->rel && it->rel->tier ? kw_tier_to_string(it->rel->tier) : NULL);
        json_builder_end_object(b);
        g_free(reason);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_free(progress);
}

/* The hint bar as the user sees it: the notice view's text and button
 * while it is shown. */
static void add_hint(JsonBuilder *b)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    NoticeView *nv = mainwin && mainwin->messageview ? mainwin->messageview->noticeview : NULL;
    gboolean shown = nv && noticeview_is_visible(nv);
    add_string(b, "message_from", T.shown_from);
    add_string(b, "hint", shown ? gtk_label_get_text(GTK_LABEL(nv->text)) : NULL);
    GtkWidget *label = shown && nv->button && gtk_widget_get_visible(nv->button)
                           ? gtk_bin_get_child(GTK_BIN(nv->button)) : NULL;
    add_string(b, "hint_button", label && GTK_IS_LABEL(label) ? gtk_label_get_text(GTK_LABEL(label)) : NULL);
}

static void add_bool(JsonBuilder *b, const char *name, gboolean value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static const char *label_text(GtkWidget *w)
{
    return w && GTK_IS_LABEL(w) ? gtk_label_get_text(GTK_LABEL(w)) : NULL;
}

/* A button's label as shown (mnemonics resolved), or NULL when hidden. */
static const char *button_text(GtkWidget *button)
{
    GtkWidget *label = button && gtk_widget_get_visible(button) ? gtk_bin_get_child(GTK_BIN(button)) : NULL;
    return label_text(label);
}

static int tree_rows(GtkWidget *tv)
{
    GtkTreeModel *m = tv ? gtk_tree_view_get_model(GTK_TREE_VIEW(tv)) : NULL;
    return m ? gtk_tree_model_iter_n_children(m, NULL) : 0;
}

/* The hint bar's second button (Claws' notice view has two). */
static void add_hint_buttons(JsonBuilder *b)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    NoticeView *nv = mainwin && mainwin->messageview ? mainwin->messageview->noticeview : NULL;
    gboolean shown = nv && noticeview_is_visible(nv);
    json_builder_set_member_name(b, "hint_buttons");
    json_builder_begin_array(b);
    const char *one = shown ? button_text(nv->button) : NULL, *two = shown ? button_text(nv->button2) : NULL;
    if (one)
        json_builder_add_string_value(b, one);
    else
        json_builder_add_null_value(b);
    if (two)
        json_builder_add_string_value(b, two);
    else
        json_builder_add_null_value(b);
    json_builder_end_array(b);
}

/* The panel beyond its rows: the legend, the confirmation bar and its Undo,
 * the selected row, the view toggle, whether the extra columns show. */
static void add_panel(JsonBuilder *b)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    GtkWidget *panel = mainwin ? find_named(mainwin->window, "keepwarm-panel") : NULL;
    GtkWidget *bar = find_named(panel, "keepwarm-confirm");
    GtkWidget *undo = find_named(panel, "keepwarm-undo");
    GtkWidget *view = find_named(panel, "keepwarm-view");
    GtkWidget *toggle = find_named(panel, "keepwarm-hidden-toggle");
    add_string(b, "legend", label_text(find_named(panel, "keepwarm-legend")));
    add_string(b, "confirmation", bar && gtk_widget_get_visible(bar)
                                      ? label_text(find_named(bar, "keepwarm-confirm-label")) : NULL);
    add_bool(b, "can_undo", bar && gtk_widget_get_visible(bar) && undo && gtk_widget_get_visible(undo));
    int selected = -1;
    GtkTreeModel *m;
    GtkTreeIter it;
    if (view && gtk_tree_selection_get_selected(gtk_tree_view_get_selection(GTK_TREE_VIEW(view)), &m, &it)) {
        GtkTreePath *path = gtk_tree_model_get_path(m, &it);
        selected = gtk_tree_path_get_indices(path)[0];
        gtk_tree_path_free(path);
    }
    add_int(b, "selected", selected);
    add_string(b, "view", !toggle ? NULL
                          : gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(toggle)) ? "hidden" : "attention");
    add_string(b, "hidden_toggle", toggle ? gtk_button_get_label(GTK_BUTTON(toggle)) : NULL);
    GtkTreeViewColumn *since = view ? gtk_tree_view_get_column(GTK_TREE_VIEW(view), 2) : NULL;
    add_bool(b, "narrow", since && !gtk_tree_view_column_get_visible(since));
}

/* The plugin's dialogs as they show, when they are open. */
static void add_dialogs(JsonBuilder *b)
{
    GtkWidget *c = find_in_windows("keepwarm-cadence");
    json_builder_set_member_name(b, "cadence_dialog");
    if (c) {
        GtkWidget *learn = find_named(c, "keepwarm-cadence-learn");
        GtkWidget *days = find_named(c, "keepwarm-cadence-days");
        json_builder_begin_object(b);
        add_int(b, "days", days ? gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(days)) : -1);
        add_bool(b, "learn", learn && gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(learn)));
        add_string(b, "learn_label", learn ? gtk_button_get_label(GTK_BUTTON(learn)) : NULL);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }

    GtkWidget *d = find_in_windows("keepwarm-details");
    json_builder_set_member_name(b, "details_dialog");
    if (d) {
        GtkWidget *note = find_named(d, "keepwarm-note");
        GtkWidget *timeline = find_named(d, "keepwarm-timeline");
        char *text = note ? text_of(note) : NULL;
        json_builder_begin_object(b);
        add_string(b, "title", gtk_window_get_title(GTK_WINDOW(d)));
        add_string(b, "reason", label_text(find_named(d, "keepwarm-details-reason")));
        add_string(b, "note", text);
        add_int(b, "timeline", tree_rows(timeline));
        json_builder_set_member_name(b, "buttons");
        json_builder_begin_array(b);
        static const char *const names[] = { "write", "settle", "snooze", "ignore", "rhythm", "close" };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            char *name = g_strconcat("keepwarm-details-", names[i], NULL);
            GtkWidget *button = find_named(d, name);
            if (button && gtk_widget_get_visible(button))
                json_builder_add_string_value(b, names[i]);
            g_free(name);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        g_free(text);
    } else {
        json_builder_add_null_value(b);
    }

    GtkWidget *msgs = find_in_windows("keepwarm-messages");
    json_builder_set_member_name(b, "messages_dialog");
    if (msgs) {
        json_builder_begin_object(b);
        add_int(b, "count", tree_rows(find_named(msgs, "keepwarm-messages-list")));
        add_string(b, "summary", label_text(find_named(msgs, "keepwarm-messages-summary")));
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
}

static char *to_json(JsonNode *root)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    char *text = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    return text;
}

/* Write the object `b` built, with the next "seq", atomically. */
static void write_dump(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    json_object_set_int_member(json_node_get_object(root), "seq", ++T.seq);
    char *text = to_json(root);
    char *tmp = g_strconcat(T.dump_path, ".tmp", NULL);
    if (g_file_set_contents(tmp, text, -1, NULL))
        rename(tmp, T.dump_path);
    g_free(tmp);
    g_free(text);
    json_node_unref(root);
}

/* Dump what the user sees, when it changed (or `force`). */
static void dump(gboolean force)
{
    GtkWidget *fw = folderview_widget();
    GtkWidget *parent = fw ? gtk_widget_get_parent(fw) : NULL;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_rows(b);
    add_today(b);
    add_hint(b);
    add_hint_buttons(b);
    add_panel(b);
    add_dialogs(b);
    add_string(b, "status", kw_plugin_status());
    json_builder_set_member_name(b, "panel_inserted");
    json_builder_add_boolean_value(b, parent && !g_strcmp0(gtk_widget_get_name(parent), "keepwarm-paned"));
    json_builder_set_member_name(b, "layout");
    json_builder_add_int_value(b, prefs_common_get_prefs()->layout_mode);
    add_parentage(b, fw);
    add_workers(b);
    add_team(b);
    add_prefs(b);
    json_builder_set_member_name(b, "unloaded");
    json_builder_add_boolean_value(b, FALSE);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *state = to_json(root);
    json_node_unref(root);
    if (force || g_strcmp0(state, T.last) != 0) {
        write_dump(b);
        g_free(T.last);
        T.last = state;
    } else {
        g_free(state);
    }
    g_object_unref(b);
}

static gboolean dump_tick(gpointer data)
{
    dump(FALSE);
    return G_SOURCE_CONTINUE;
}

/* ---- commands ------------------------------------------------------------- */

static gboolean return_false(gpointer data)
{
    return G_SOURCE_REMOVE;
}

static void cmd_layout(int mode)
{
    static const struct { int mode; const char *path; } map[] = {
        { 0, "Menu/View/Layout/Standard" }, { 1, "Menu/View/Layout/ThreeColumns" },
        { 2, "Menu/View/Layout/WideMessage" }, { 4, "Menu/View/Layout/WideMessageList" },
        { 5, "Menu/View/Layout/SmallScreen" },
    };
    MainWindow *mainwin = mainwindow_get_mainwindow();
    for (size_t i = 0; mainwin && i < G_N_ELEMENTS(map); i++)
        if (map[i].mode == mode)
            cm_toggle_menu_set_active_full(mainwin->ui_manager, (gchar *)map[i].path, TRUE);
}

/* Claws' preferences window, at the Keep warm page: select its row in the
 * window's page tree (Claws builds the page when its row is selected). */
static gboolean select_page(GtkTreeModel *model, GtkTreePath *path, GtkTreeIter *it, gpointer tv)
{
    char *title = NULL;
    gtk_tree_model_get(model, it, 0, &title, -1);
    gboolean ours = !g_strcmp0(title, _(KW_PLUGIN_NAME));
    g_free(title);
    if (ours) {
        gtk_tree_view_expand_to_path(GTK_TREE_VIEW(tv), path);
        gtk_tree_selection_select_path(gtk_tree_view_get_selection(GTK_TREE_VIEW(tv)), path);
    }
    return ours;
}

/* A tree of titles; once our row in it is selected, the page exists. */
static gboolean page_tree(GtkWidget *w, gconstpointer data)
{
    GtkTreeModel *m = GTK_IS_TREE_VIEW(w) ? gtk_tree_view_get_model(GTK_TREE_VIEW(w)) : NULL;
    if (!m || !GTK_IS_TREE_STORE(m) || gtk_tree_model_get_column_type(m, 0) != G_TYPE_STRING)
        return FALSE;
    gtk_tree_model_foreach(m, select_page, w);
    return find_in_windows("keepwarm-prefs") != NULL;
}

static void cmd_prefs_open(void)
{
    prefs_gtk_open();
    walk_windows(page_tree, NULL);
}

static void cmd_prefs_set(const char *field, const char *value)
{
    char *name = g_strconcat("keepwarm-", field, NULL);
    GtkWidget *w = find_in_windows(name);
    g_free(name);
    if (!w)
        return;
    if (GTK_IS_TEXT_VIEW(w)) {
        char **items = g_strsplit(value ? value : "", ",", -1);
        char *lines = g_strjoinv("\n", items);
        gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(w)), lines, -1);
        g_free(lines);
        g_strfreev(items);
    } else if (GTK_IS_SPIN_BUTTON(w)) {
        gtk_spin_button_set_value(GTK_SPIN_BUTTON(w), value ? atoi(value) : 0);
    } else if (GTK_IS_TOGGLE_BUTTON(w)) {
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(w), value && atoi(value));
    } else if (GTK_IS_TREE_VIEW(w)) {
        /* the accounts: (ticked, account id, label) rows; tick those listed */
        GtkTreeModel *m = gtk_tree_view_get_model(GTK_TREE_VIEW(w));
        char **ids = g_strsplit(value ? value : "", ",", -1);
        GtkTreeIter it;
        for (gboolean more = gtk_tree_model_get_iter_first(m, &it); more; more = gtk_tree_model_iter_next(m, &it)) {
            int id = 0;
            gboolean on = FALSE;
            gtk_tree_model_get(m, &it, 1, &id, -1);
            for (char **p = ids; *p && !on; p++)
                on = atoi(*p) == id;
            gtk_list_store_set(GTK_LIST_STORE(m), &it, 0, on, -1);
        }
        g_strfreev(ids);
    }
}

static gboolean button_labelled(GtkWidget *w, gconstpointer label)
{
    return GTK_IS_BUTTON(w) && !g_strcmp0(gtk_button_get_label(GTK_BUTTON(w)), label);
}

/* Press the OK button of the window holding the page. */
static void cmd_prefs_ok(void)
{
    GtkWidget *page = find_in_windows("keepwarm-prefs");
    GtkWidget *ok = page ? walk(gtk_widget_get_toplevel(page), button_labelled,
                                g_dgettext("claws-mail", "_OK")) : NULL;
    if (ok)
        gtk_button_clicked(GTK_BUTTON(ok));
}

static GtkWidget *panel_view(void)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    return mainwin ? find_named(mainwin->window, "keepwarm-view") : NULL;
}

static void click(GtkWidget *button)
{
    if (button && gtk_widget_is_sensitive(button))
        gtk_button_clicked(GTK_BUTTON(button));
}

/* Right-click row `row` of the panel (its context menu pops up), then click
 * the item named `item` in that menu. FALSE when the row is not laid out
 * yet (the list was just refilled) or the menu has no such item. */
static gboolean menu_try(int row, const char *item)
{
    GtkWidget *view = panel_view();
    GdkWindow *bin = view ? gtk_tree_view_get_bin_window(GTK_TREE_VIEW(view)) : NULL;
    GtkTreeModel *m = view ? gtk_tree_view_get_model(GTK_TREE_VIEW(view)) : NULL;
    if (!bin || row < 0 || row >= gtk_tree_model_iter_n_children(m, NULL))
        return FALSE;
    GtkTreePath *path = gtk_tree_path_new_from_indices(row, -1), *hit = NULL;
    GdkRectangle cell;
    gtk_tree_view_scroll_to_cell(GTK_TREE_VIEW(view), path, NULL, FALSE, 0, 0);
    gtk_tree_view_get_cell_area(GTK_TREE_VIEW(view), path, NULL, &cell);
    double x = cell.x + 4, y = cell.y + cell.height / 2.0;
    gboolean there = cell.height > 0 &&
                     gtk_tree_view_get_path_at_pos(GTK_TREE_VIEW(view), (int)x, (int)y, &hit, NULL, NULL, NULL) &&
                     gtk_tree_path_compare(hit, path) == 0;
    gtk_tree_path_free(path);
    gtk_tree_path_free(hit);
    if (!there)
        return FALSE;
    GdkEvent *ev = gdk_event_new(GDK_BUTTON_PRESS);
    ev->button.window = g_object_ref(bin);
    ev->button.send_event = TRUE;
    ev->button.time = GDK_CURRENT_TIME;
    ev->button.x = x;
    ev->button.y = y;
    ev->button.button = 3;
    gdk_event_set_device(ev, gdk_seat_get_pointer(gdk_display_get_default_seat(gtk_widget_get_display(view))));
    gtk_widget_event(view, ev);
    gdk_event_free(ev);
    char *name = g_strconcat("keepwarm-menu-", item, NULL);
    gboolean done = FALSE;
    for (GList *l = gtk_menu_get_for_attach_widget(view); l && !done; l = l->next) {
        GtkWidget *mi = find_named(l->data, name);
        if (mi && gtk_widget_is_sensitive(mi)) {
            gtk_menu_shell_activate_item(GTK_MENU_SHELL(l->data), mi, TRUE);
            done = TRUE;
        } else {
            gtk_menu_shell_deactivate(GTK_MENU_SHELL(l->data));
        }
    }
    g_free(name);
    return done;
}

typedef struct {
    int   row, tries;
    char *item;
} MenuRetry;

static void menu_retry_free(gpointer data)
{
    MenuRetry *r = data;
    g_free(r->item);
    g_free(r);
    T.menu_retry = 0;
}

static gboolean menu_retry(gpointer data)
{
    MenuRetry *r = data;
    return menu_try(r->row, r->item) || ++r->tries >= 50 ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* The same, tried again every 100 ms (for 5 s) until the row is there. */
static void cmd_menu(int row, const char *item)
{
    if (T.menu_retry)
        g_source_remove(T.menu_retry);
    if (menu_try(row, item))
        return;
    MenuRetry *r = g_new0(MenuRetry, 1);
    r->row = row;
    r->item = g_strdup(item);
    T.menu_retry = g_timeout_add_full(G_PRIORITY_DEFAULT, 100, menu_retry, r, menu_retry_free);
}

static void cmd_dialog(const char *what, const char *arg)
{
    GtkWidget *c = find_in_windows("keepwarm-cadence");
    GtkWidget *d = find_in_windows("keepwarm-details");
    if (!strcmp(what, "cadence-days") && c && arg) {
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(find_named(c, "keepwarm-cadence-fixed")), TRUE);
        gtk_spin_button_set_value(GTK_SPIN_BUTTON(find_named(c, "keepwarm-cadence-days")), atoi(arg));
    } else if (!strcmp(what, "cadence-learn") && c) {
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(find_named(c, "keepwarm-cadence-learn")), TRUE);
    } else if (!strcmp(what, "cadence-ok") && c) {
        gtk_dialog_response(GTK_DIALOG(c), GTK_RESPONSE_OK);
    } else if (!strcmp(what, "cadence-cancel") && c) {
        gtk_dialog_response(GTK_DIALOG(c), GTK_RESPONSE_CANCEL);
    } else if (!strcmp(what, "details-note") && d) {
        GtkWidget *note = find_named(d, "keepwarm-note");
        if (note)
            gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(note)), arg ? arg : "", -1);
    } else if (!strcmp(what, "details-save") && d) {
        click(find_named(d, "keepwarm-note-save"));
    } else if (!strcmp(what, "details-button") && d && arg) {
        char *name = g_strconcat("keepwarm-details-", arg, NULL);
        click(find_named(d, name));
        g_free(name);
    } else if (!strcmp(what, "close-all")) {
        static const char *const names[] = { "keepwarm-cadence", "keepwarm-details", "keepwarm-messages" };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            GtkWidget *w = find_in_windows(names[i]);
            if (w)
                gtk_dialog_response(GTK_DIALOG(w), GTK_RESPONSE_CLOSE);
        }
    }
}

/* Compose and send a message from the default account, as the user would. */
static void send_mail(const char *to, const char *subject)
{
    Compose *c = compose_new(account_get_default(), to, NULL);
    if (!c)
        return;
    gtk_entry_set_text(GTK_ENTRY(c->subject_entry), subject ? subject : "Hello");
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(c->text)),
                             "Hello, how are things?\n", -1);
    compose_send(c);
}

/* today-log, today-skip, today-tier on a row of the Today section. */
static void cmd_today(const char *cmd, int row, const char *arg)
{
    const kw_today_item_t *it = kw_today_panel_item((guint) row);
    char *key = it ? g_strdup(it->key) : NULL; /* the list is rebuilt by the action */
    kw_source_t src;
    kw_tier_t tier;
    if (!key)
        return;
    if (!strcmp(cmd, "today-log") && arg && kw_source_from_string(arg, &src) == KW_OK)
        kw_today_panel_log(key, src, kw_plugin_as_of(), "logged in the test");
    else if (!strcmp(cmd, "today-skip"))
        kw_today_panel_mark(key, KW_HOW_SKIPPED);
    else if (!strcmp(cmd, "today-tier") && arg && kw_tier_from_string(arg, &tier) == KW_OK)
        kw_today_panel_tier(key, tier);
    g_free(key);
}

static void run_command(char *line)
{
    char **w = g_strsplit(g_strstrip(line), " ", 3);
    const char *cmd = w[0] ? w[0] : "";
    if (!strcmp(cmd, "refresh")) {
        kw_panel_refresh();
    } else if (!strcmp(cmd, "sync")) {
        kw_workers_sync_all(TRUE);
    } else if (!strcmp(cmd, "snooze") && w[1] && w[2]) {
        const kwv_row_t *r = kw_panel_row((guint)atoi(w[1]));
        if (r) {
            char *key = g_strdup(r->key);
            kw_panel_snooze(key, atoi(w[2]));
            g_free(key);
        }
    } else if (!strcmp(cmd, "layout") && w[1]) {
        cmd_layout(atoi(w[1]));
    } else if (!strcmp(cmd, "prefs-open")) {
        cmd_prefs_open();
    } else if (!strcmp(cmd, "prefs-set") && w[1]) {
        cmd_prefs_set(w[1], w[2]);
    } else if (!strcmp(cmd, "prefs-ok")) {
        cmd_prefs_ok();
    } else if (!strcmp(cmd, "menu") && w[1] && w[2]) {
        cmd_menu(atoi(w[1]), w[2]);
    } else if (!strcmp(cmd, "undo")) {
        MainWindow *mainwin = mainwindow_get_mainwindow();
        click(mainwin ? find_named(mainwin->window, "keepwarm-undo") : NULL);
    } else if (!strcmp(cmd, "view") && w[1]) {
        MainWindow *mainwin = mainwindow_get_mainwindow();
        GtkWidget *toggle = mainwin ? find_named(mainwin->window, "keepwarm-hidden-toggle") : NULL;
        if (toggle)
            gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(toggle), !strcmp(w[1], "hidden"));
    } else if (!strcmp(cmd, "hint-press") && w[1]) {
        MainWindow *mainwin = mainwindow_get_mainwindow();
        NoticeView *nv = mainwin && mainwin->messageview ? mainwin->messageview->noticeview : NULL;
        if (nv && noticeview_is_visible(nv))
            click(atoi(w[1]) == 2 ? nv->button2 : nv->button);
    } else if (!strcmp(cmd, "dialog") && w[1]) {
        cmd_dialog(w[1], w[2]);
    } else if (!strncmp(cmd, "today-", 6) && w[1]) {
        cmd_today(cmd, atoi(w[1]), w[2]);
    } else if (!strcmp(cmd, "send") && w[1]) {
        send_mail(w[1], w[2]);
    } else if (!strcmp(cmd, "folder-width") && w[1]) {
        MainWindow *mainwin = mainwindow_get_mainwindow();
        if (mainwin && GTK_IS_PANED(mainwin->hpaned))
            gtk_paned_set_position(GTK_PANED(mainwin->hpaned), atoi(w[1]));
    } else if (!strcmp(cmd, "unload")) {
        /* Unloading closes this module: Claws' plugin_unload must not run in
         * a frame of ours. It runs as the destroy-notify of an idle source
         * whose callback (ours) has already returned. */
        Plugin *self = plugin_get_loaded_by_name(_(KW_PLUGIN_NAME));
        if (self)
            g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, return_false, self,
                            (GDestroyNotify)plugin_unload);
    }
    g_strfreev(w);
    dump(FALSE);
}

static gboolean cmd_ready(GIOChannel *ch, GIOCondition cond, gpointer data)
{
    for (;;) {
        char *line = NULL;
        GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);
        if (st != G_IO_STATUS_NORMAL) {
            g_free(line);
            break;
        }
        run_command(line);
        g_free(line);
    }
    return G_SOURCE_CONTINUE;
}

/* Claws may run its main loop while it shows a message (an IMAP fetch), so
 * the dump records the sender only once the display is done: this hook runs
 * after the plugin's (registered later), when the hint bar is final. */
static gboolean show_done(gpointer source, gpointer data)
{
    MessageView *mv = source;
    MainWindow *mainwin = mainwindow_get_mainwindow();
    if (mv && mainwin && mv == mainwin->messageview && mv->msginfo) {
        g_free(T.shown_from);
        T.shown_from = g_strdup(mv->msginfo->from);
    }
    return FALSE;
}

/* ---- init / done ---------------------------------------------------------- */

static void env_seconds(const char *name, int *slot)
{
    const char *v = g_getenv(name);
    if (v && *v)
        *slot = atoi(v);
}

void kw_testhook_init(KwWorkerTiming *timing)
{
    const char *dump_path = g_getenv("KEEPWARM_PLUGIN_TEST_DUMP");
    const char *cmd = g_getenv("KEEPWARM_PLUGIN_TEST_CMD");
    env_seconds("KEEPWARM_PLUGIN_STARTUP_S", &timing->startup_delay_s);
    env_seconds("KEEPWARM_PLUGIN_COALESCE_S", &timing->coalesce_s);
    env_seconds("KEEPWARM_PLUGIN_DEADLINE_S", &timing->deadline_s);
    if (dump_path && *dump_path) {
        T.dump_path = g_strdup(dump_path);
        T.show_hook = hooks_register_hook(MESSAGE_VIEW_SHOW_DONE_HOOKLIST, show_done, NULL);
        T.dump_timer = g_timeout_add(DUMP_EVERY_MS, dump_tick, NULL);
        dump(TRUE);
    }
    if (cmd && *cmd) {
        T.cmd_fd = open(cmd, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        /* hold a writer open ourselves so the fifo never reports EOF/HUP
         * between the test's writes */
        T.cmd_keep_fd = open(cmd, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (T.cmd_fd >= 0) {
            T.cmd = g_io_channel_unix_new(T.cmd_fd);
            g_io_channel_set_encoding(T.cmd, NULL, NULL);
            g_io_channel_set_flags(T.cmd, G_IO_FLAG_NONBLOCK, NULL);
            T.cmd_watch = g_io_add_watch(T.cmd, G_IO_IN, cmd_ready, NULL);
        }
    }
}

void kw_testhook_done(gboolean interactive)
{
    if (T.show_hook != HOOK_NONE)
        hooks_unregister_hook(MESSAGE_VIEW_SHOW_DONE_HOOKLIST, T.show_hook);
    T.show_hook = HOOK_NONE;
    g_clear_pointer(&T.shown_from, g_free);
    if (T.menu_retry)
        g_source_remove(T.menu_retry);
    if (T.dump_timer)
        g_source_remove(T.dump_timer);
    T.dump_timer = 0;
    if (T.dump_path && interactive) {
        MainWindow *mainwin = mainwindow_get_mainwindow();
        GtkWidget *fw = folderview_widget();
        GtkWidget *parent = fw ? gtk_widget_get_parent(fw) : NULL;
        gboolean restored = parent && mainwin && parent == mainwin->hpaned &&
                            gtk_paned_get_child1(GTK_PANED(parent)) == fw;
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "unloaded");
        json_builder_add_boolean_value(b, TRUE);
        add_parentage(b, fw);
        json_builder_set_member_name(b, "folderview_restored");
        json_builder_add_boolean_value(b, restored);
        json_builder_end_object(b);
        write_dump(b);
        g_object_unref(b);
    }
    if (T.cmd_watch)
        g_source_remove(T.cmd_watch);
    T.cmd_watch = 0;
    if (T.cmd) {
        g_io_channel_unref(T.cmd);
        T.cmd = NULL;
    }
    if (T.cmd_fd >= 0)
        close(T.cmd_fd);
    if (T.cmd_keep_fd >= 0)
        close(T.cmd_keep_fd);
    T.cmd_fd = T.cmd_keep_fd = -1;
    g_clear_pointer(&T.dump_path, g_free);
    g_clear_pointer(&T.last, g_free);
}
