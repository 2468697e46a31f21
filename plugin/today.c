/* SPDX-License-Identifier: GPL-3.0-or-later */
/* today.c — the "Today" section at the top of the Keep warm panel: the day's
 * short list (exactly what `keepwarm today` says: kw_today()), a tick on
 * each item done, the progress line and the streak as its header; a context
 * menu to log a call or a meeting, skip an item for today, set a tier.
 *
 * Mail the user sends from Claws ticks its item at once: when a message
 * lands in an account's Sent folder (its outbox, FOLDER_ITEM_UPDATE), its
 * header block is recorded through the library (kw_record_sent), exactly as
 * the next sync of that folder would record it — no waiting for the sync.
 *
 * When Claws' vCalendar plugin keeps a calendar (its internal.ics), that
 * calendar is imported by a `keepwarm import-ics` child whenever it changed
 * (or the day did), so that meetings in it count as touches.
 *
 * Its place in the plugin's layers: kw_today.h. Main thread only. */
#include "kw_plugin.h"
#include "kw_prefs.h"
#include "kw_team.h"
#include "kw_today.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "utils.h"
#include "plugin.h"
#include "hooks.h"
#include "folder.h"
#include "procmsg.h"
#include "mainwindow.h"
#include "account.h"
#include "prefs_account.h"

enum { COL_TICK, COL_TEXT, COL_TOOLTIP, COL_INDEX, N_COLS };

/* Headers bigger than this are cut (a sent message's header block). */
#define MAX_HEADER_BYTES (256 * 1024)
/* The day's list is kept from its first look: that look waits for this
 * session's first sync (the night's mail), or this long when nothing syncs. */
#define FIRST_SYNC_WAIT_S 120

static struct {
    gboolean      active;
    GtkListStore *model;      /* owned by the plugin, survives relayouts */
    GtkWidget    *title;      /* weak pointers: the widgets die with the panel */
    GtkWidget    *view;
    GtkWidget    *menu;
    GSList       *dialogs;
    kw_today_t   *today;      /* what is shown */
    gulong        hook_folder;
    guint         wait_id;    /* the first sync's grace period */
    gboolean      waited;
    gboolean      synced;     /* a sync ended since the plugin started */
    GHashTable   *recorded;   /* Message-IDs recorded this session */
    int64_t       started;    /* mail sent before the plugin started is the sync's */
    /* the vCalendar import */
    GSubprocess  *importer;
    GCancellable *cancel;
    char         *imported_stamp; /* "mtime size day" of the last good import */
    char         *importing_stamp;
    const KwTodayCallbacks *cb;
} T = { .hook_folder = HOOK_NONE };

/* The store changed: everything shows it (the panel refreshes us too). */
static void changed(void)
{
    if (T.cb && T.cb->changed)
        T.cb->changed();
}

/* ---- what is shown -------------------------------------------------------- */

guint kw_today_panel_count(void)
{
    return T.today ? (guint) T.today->count : 0;
}

const kw_today_item_t *kw_today_panel_item(guint i)
{
    return T.today && i < T.today->count ? &T.today->items[i] : NULL;
}

const kw_today_t *kw_today_panel_list(void)
{
    return T.today;
}

static void title_update(void)
{
    char *progress, *markup;
    if (!T.title)
        return;
    if (!T.today) {
        gtk_label_set_markup(GTK_LABEL(T.title), "");
        return;
    }
    progress = kw_words_progress(T.today->done, T.today->size, T.today->streak,
                                 (T.today->size - T.today->done) * T.today->minutes_per_item);
    markup = g_markup_printf_escaped("<b>%s</b>", progress);
    gtk_label_set_markup(GTK_LABEL(T.title), markup);
    g_free(markup);
    g_free(progress);
}

static void maybe_import_calendar(void);

static gboolean wait_over(gpointer data)
{
    T.wait_id = 0;
    T.waited = TRUE;
    changed();
    return G_SOURCE_REMOVE;
}

void kw_today_panel_sync_finished(void)
{
    T.synced = TRUE;
}

void kw_today_panel_refresh(void)
{
    kw_store_t *store;
    kw_model_t *model = NULL;
    kw_today_t *today = NULL;
    char *err = NULL;
    int64_t as_of = kw_plugin_as_of();
    kw_day_t day;

    if (!T.active || !T.model)
        return;
    if (!T.synced && !T.waited) {
        if (T.title)
            gtk_label_set_text(GTK_LABEL(T.title), _("Today: after the first sync…"));
        return;
    }
    maybe_import_calendar();
    /* the list is kept in the store: computed and written on the day's first look */
    store = kw_plugin_store_open(TRUE, &err);
    if (store) {
        /* kw_today() keeps the list through this handle: the model is its own */
        kw_model_options_t mo = { .as_of = as_of };
        kw_status_t st = kw_model_load(store, &mo, &model, &err);
        kw_day_local(as_of, &day);
        if (st == KW_OK)
            st = kw_today(store, model, &day, 0, &today, &err);
        if (st != KW_OK) {
            char *msg = g_strdup_printf(_("Keep warm: could not make the day's list: %s"),
                                        err ? err : kw_status_to_string(st));
            kw_plugin_set_status(msg, TRUE);
            g_free(msg);
        }
        kw_free(err);
        err = NULL;
        kw_model_free(model);
        kw_store_close(store);
    } else if (err) {
        kw_plugin_set_status(err, TRUE);
        g_free(err);
    }
    kw_today_free(T.today);
    T.today = today;

    gtk_list_store_clear(T.model);
    for (guint i = 0; i < kw_today_panel_count(); i++) {
        const kw_today_item_t *it = kw_today_panel_item(i);
        char *reason = it->rel ? kw_words_reason(&it->rel->reason, as_of) : g_strdup("");
        char *name = kw_sanitize_for_display(it->display_name ? it->display_name : it->key);
        char *clean = kw_sanitize_for_display(reason);
        const char *how = kw_words_how(it->how);
        /* name, then why it is listed and how it was done (or its state
         * when that says more than why it is listed) in small type */
        gboolean says_more = !((it->slot == KW_SLOT_OWED && it->state == KW_STATE_AWAITING_YOUR_REPLY) ||
                               (it->slot != KW_SLOT_OWED && it->state == KW_STATE_OVERDUE));
        char *text = it->how
            ? g_markup_printf_escaped("<s>%s</s>\n<small>%s · %s</small>", name,
                                      kw_words_slot(it->slot), how)
            : says_more ? g_markup_printf_escaped("<b>%s</b>\n<small>%s · %s</small>", name,
                                                  kw_words_slot(it->slot), kw_words_state(it->state))
                        : g_markup_printf_escaped("<b>%s</b>\n<small>%s</small>", name,
                                                  kw_words_slot(it->slot));
        char *tip = g_markup_printf_escaped("<b>%s</b> — %s\n%s", name, kw_words_state(it->state),
                                            clean);
        GtkTreeIter iter;
        gtk_list_store_insert_with_values(T.model, &iter, -1, COL_TICK, it->how ? "✓" : "",
                                          COL_TEXT, text, COL_TOOLTIP, tip, COL_INDEX, (gint) i, -1);
        g_free(text);
        g_free(tip);
        kw_free(clean);
        kw_free(name);
        g_free(reason);
    }
    title_update();
}

/* ---- actions ---------------------------------------------------------------- */

static const kw_today_item_t *selected(void)
{
    GtkTreeModel *m;
    GtkTreeIter it;
    gint idx = -1;
    if (!T.view ||
        !gtk_tree_selection_get_selected(gtk_tree_view_get_selection(GTK_TREE_VIEW(T.view)), &m, &it))
        return NULL;
    gtk_tree_model_get(m, &it, COL_INDEX, &idx, -1);
    return idx >= 0 ? kw_today_panel_item((guint) idx) : NULL;
}

/* Report a failed action in the status line; `fmt` a translated
 * "...%s (target)...%s (reason)". Frees err. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void report(const char *fmt, const char *key, kw_status_t st, char *err)
{
    if (st != KW_OK) {
        char *msg = g_strdup_printf(fmt, key, err ? err : kw_status_to_string(st));
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
    }
    kw_free(err);
}
#pragma GCC diagnostic pop

/* Record a call, meeting... with `key` at `when`; then show it ticked. */
void kw_today_panel_log(const char *key, kw_source_t source, int64_t when, const char *note)
{
    char *err = NULL;
    kw_status_t st = KW_ERR_STORE;
    kw_store_t *store = kw_plugin_store_open(TRUE, &err);
    if (store) {
        st = kw_log_touch(store, key, source, when, note, NULL, &err);
        kw_store_close(store);
    }
    if (st == KW_OK)
        kw_plugin_team_changed(); /* the team sees the kind and the time, never the note */
    report(_("Keep warm: could not record the touch with %s: %s"), key, st, err);
    changed();
}

/* Skip `key` for the day, or mark it done. */
void kw_today_panel_mark(const char *key, kw_how_t how)
{
    char *err = NULL;
    kw_status_t st = KW_ERR_STORE;
    kw_store_t *store = kw_plugin_store_open(TRUE, &err);
    if (store) {
        int64_t as_of = kw_plugin_as_of();
        kw_model_options_t mo = { .as_of = as_of };
        kw_model_t *model = NULL;
        kw_day_t day;
        kw_day_local(as_of, &day);
        st = kw_model_load(store, &mo, &model, &err);
        if (st == KW_OK)
            st = kw_today_mark(store, model, &day, key, how, &err);
        kw_model_free(model);
        kw_store_close(store);
    }
    if (st == KW_OK)
        kw_plugin_team_changed(); /* nothing shared changes; the exchange pulls what is new */
    report(_("Keep warm: could not mark %s: %s"), key, st, err);
    changed();
}

/* A setting like the rhythm: the panel sets it, confirmed with an Undo. */
void kw_today_panel_tier(const char *key, kw_tier_t tier)
{
    const char *title = key;
    for (guint i = 0; i < kw_today_panel_count(); i++)
        if (!g_strcmp0(kw_today_panel_item(i)->key, key) && kw_today_panel_item(i)->display_name)
            title = kw_today_panel_item(i)->display_name;
    if (T.cb && T.cb->tier_requested)
        T.cb->tier_requested(key, title, tier);
}

static void dialog_forget(GtkWidget *dialog, gpointer d)
{
    T.dialogs = g_slist_remove(T.dialogs, dialog);
}

static void log_response(GtkDialog *dialog, gint response, gpointer d)
{
    if (response == GTK_RESPONSE_OK) {
        const char *key = g_object_get_data(G_OBJECT(dialog), "key");
        GtkWidget *note = g_object_get_data(G_OBJECT(dialog), "note");
        GtkWidget *when = g_object_get_data(G_OBJECT(dialog), "when");
        kw_source_t source = (kw_source_t) GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "source"));
        int days_ago = gtk_combo_box_get_active(GTK_COMBO_BOX(when));
        int64_t t = kw_plugin_as_of() - (int64_t) (days_ago > 0 ? days_ago : 0) * 86400;
        char *key_copy = g_strdup(key), *text = g_strdup(gtk_entry_get_text(GTK_ENTRY(note)));
        gtk_widget_destroy(GTK_WIDGET(dialog));
        kw_today_panel_log(key_copy, source, t, text);
        g_free(key_copy);
        g_free(text);
        return;
    }
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

/* "Log call…" / "Log meeting…": when (today, yesterday, ...) and a note. */
static void log_dialog(const kw_today_item_t *it, kw_source_t source)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    GtkWidget *dialog, *box, *grid, *when, *note, *label;
    char *q, *name;

    if (!it || !mainwin)
        return;
    dialog = gtk_dialog_new_with_buttons(source == KW_SOURCE_CALL ? _("Log a call") : _("Log a meeting"),
                                         GTK_WINDOW(mainwin->window), GTK_DIALOG_DESTROY_WITH_PARENT,
                                         _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Log"), GTK_RESPONSE_OK,
                                         NULL);
    gtk_widget_set_name(dialog, "keepwarm-log-dialog");
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
    box = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    gtk_box_set_spacing(GTK_BOX(box), 8);
    name = kw_sanitize_for_display(it->display_name ? it->display_name : it->key);
    q = g_strdup_printf(source == KW_SOURCE_CALL ? _("A call with %s: it counts like an exchange of mail.")
                                                 : _("A meeting with %s: it counts like an exchange of mail."),
                        name);
    label = gtk_label_new(q);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    g_free(q);
    kw_free(name);
    grid = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
    when = gtk_combo_box_text_new();
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(when), _("Today"));
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(when), _("Yesterday"));
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(when), _("Two days ago"));
    gtk_combo_box_set_active(GTK_COMBO_BOX(when), 0);
    note = gtk_entry_new();
    gtk_entry_set_activates_default(GTK_ENTRY(note), TRUE);
    gtk_entry_set_placeholder_text(GTK_ENTRY(note), _("What was it about? (optional)"));
    gtk_grid_attach(GTK_GRID(grid), gtk_label_new(_("When:")), 0, 0, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), when, 1, 0, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), gtk_label_new(_("Note:")), 0, 1, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), note, 1, 1, 1, 1);
    gtk_widget_set_hexpand(note, TRUE);
    gtk_box_pack_start(GTK_BOX(box), grid, FALSE, FALSE, 0);
    g_object_set_data_full(G_OBJECT(dialog), "key", g_strdup(it->key), g_free);
    g_object_set_data(G_OBJECT(dialog), "note", note);
    g_object_set_data(G_OBJECT(dialog), "when", when);
    g_object_set_data(G_OBJECT(dialog), "source", GINT_TO_POINTER(source));
    g_signal_connect(dialog, "response", G_CALLBACK(log_response), NULL);
    g_signal_connect(dialog, "destroy", G_CALLBACK(dialog_forget), NULL);
    T.dialogs = g_slist_prepend(T.dialogs, dialog);
    gtk_widget_show_all(dialog);
}

static void on_log_call(GtkMenuItem *mi, gpointer d) { log_dialog(selected(), KW_SOURCE_CALL); }
static void on_log_meeting(GtkMenuItem *mi, gpointer d) { log_dialog(selected(), KW_SOURCE_MEETING); }

static void on_skip(GtkMenuItem *mi, gpointer d)
{
    const kw_today_item_t *it = selected();
    if (it) {
        char *key = g_strdup(it->key); /* the list is rebuilt by the refresh */
        kw_today_panel_mark(key, KW_HOW_SKIPPED);
        g_free(key);
    }
}

static void on_write(GtkMenuItem *mi, gpointer d)
{
    const kw_today_item_t *it = selected();
    if (it && it->rel && T.cb && T.cb->write_requested)
        T.cb->write_requested(it->rel->main_person);
}

static void on_tier(GtkMenuItem *mi, gpointer d)
{
    const kw_today_item_t *it = selected();
    if (it && gtk_check_menu_item_get_active(GTK_CHECK_MENU_ITEM(mi))) {
        char *key = g_strdup(it->key);
        kw_today_panel_tier(key, (kw_tier_t) GPOINTER_TO_INT(d));
        g_free(key);
    }
}

static GtkWidget *item(GtkWidget *menu, const char *label, GCallback cb, gpointer data)
{
    GtkWidget *mi = gtk_menu_item_new_with_mnemonic(label);
    g_signal_connect(mi, "activate", cb, data);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), mi);
    return mi;
}

static void popup(GdkEvent *event)
{
    const kw_today_item_t *it = selected();
    GtkWidget *menu, *tiers, *tier_item;
    GSList *group = NULL;
    kw_tier_t current;

    if (!it)
        return;
    if (T.menu)
        gtk_widget_destroy(T.menu);
    menu = gtk_menu_new();
    T.menu = menu;
    g_object_add_weak_pointer(G_OBJECT(menu), (gpointer *) &T.menu);
    item(menu, _("_Write…"), G_CALLBACK(on_write), NULL);
    item(menu, _("Log _call…"), G_CALLBACK(on_log_call), NULL);
    item(menu, _("Log _meeting…"), G_CALLBACK(on_log_meeting), NULL);
    item(menu, _("_Skip for today"), G_CALLBACK(on_skip), NULL);
    tier_item = gtk_menu_item_new_with_mnemonic(_("Set _tier"));
    tiers = gtk_menu_new();
    current = it->rel ? it->rel->tier : KW_TIER_NONE;
    for (int t = KW_TIER_A; t <= KW_TIER_C + 1; t++) {
        kw_tier_t tier = t <= KW_TIER_C ? (kw_tier_t) t : KW_TIER_NONE;
        /* TRANSLATORS: the tiers of the ABC classification, and none */
        const char *label = tier == KW_TIER_A ? _("A (most important)") : tier == KW_TIER_B ? _("B")
                          : tier == KW_TIER_C ? _("C") : _("No tier");
        GtkWidget *ri = gtk_radio_menu_item_new_with_label(group, label);
        group = gtk_radio_menu_item_get_group(GTK_RADIO_MENU_ITEM(ri));
        gtk_check_menu_item_set_active(GTK_CHECK_MENU_ITEM(ri), tier == current);
        g_signal_connect(ri, "toggled", G_CALLBACK(on_tier), GINT_TO_POINTER(tier));
        gtk_menu_shell_append(GTK_MENU_SHELL(tiers), ri);
    }
    gtk_menu_item_set_submenu(GTK_MENU_ITEM(tier_item), tiers);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), tier_item);
    gtk_widget_set_sensitive(tier_item, it->rel != NULL);
    gtk_widget_show_all(menu);
    if (T.view)
        gtk_menu_attach_to_widget(GTK_MENU(menu), T.view, NULL);
    if (event)
        gtk_menu_popup_at_pointer(GTK_MENU(menu), event);
    else if (T.view)
        gtk_menu_popup_at_widget(GTK_MENU(menu), T.view, GDK_GRAVITY_CENTER, GDK_GRAVITY_NORTH_WEST, NULL);
}

static gboolean button_press(GtkWidget *view, GdkEventButton *ev, gpointer d)
{
    GtkTreePath *path = NULL;
    if (ev->type != GDK_BUTTON_PRESS || ev->button != 3)
        return FALSE;
    if (!gtk_tree_view_get_path_at_pos(GTK_TREE_VIEW(view), (gint) ev->x, (gint) ev->y, &path, NULL,
                                       NULL, NULL))
        return FALSE;
    gtk_tree_selection_select_path(gtk_tree_view_get_selection(GTK_TREE_VIEW(view)), path);
    gtk_tree_path_free(path);
    popup((GdkEvent *) ev);
    return TRUE;
}

static gboolean popup_menu(GtkWidget *view, gpointer d)
{
    popup(NULL);
    return TRUE;
}

static void row_activated(GtkTreeView *view, GtkTreePath *path, GtkTreeViewColumn *c, gpointer d)
{
    on_write(NULL, NULL);
}

/* ---- widgets ---------------------------------------------------------------- */

GtkWidget *kw_today_panel_widget(void)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *title = gtk_label_new(NULL), *view;
    GtkCellRenderer *r;
    GtkTreeViewColumn *c;

    gtk_widget_set_name(box, "keepwarm-today");
    gtk_label_set_xalign(GTK_LABEL(title), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(title), TRUE);
    gtk_widget_set_margin_start(title, 4);
    gtk_box_pack_start(GTK_BOX(box), title, FALSE, FALSE, 0);
    view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(T.model));
    gtk_widget_set_name(view, "keepwarm-today-view");
    gtk_tree_view_set_headers_visible(GTK_TREE_VIEW(view), FALSE);
    gtk_tree_view_set_tooltip_column(GTK_TREE_VIEW(view), COL_TOOLTIP);
    r = gtk_cell_renderer_text_new();
    g_object_set(r, "foreground", "#2e7d32", "xalign", 0.5, NULL);
    c = gtk_tree_view_column_new_with_attributes("", r, "text", COL_TICK, NULL);
    gtk_tree_view_column_set_min_width(c, 18);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);
    r = gtk_cell_renderer_text_new();
    g_object_set(r, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
    c = gtk_tree_view_column_new_with_attributes(_("Today"), r, "markup", COL_TEXT, NULL);
    gtk_tree_view_column_set_expand(c, TRUE);
    gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);
    g_signal_connect(view, "button-press-event", G_CALLBACK(button_press), NULL);
    g_signal_connect(view, "popup-menu", G_CALLBACK(popup_menu), NULL);
    g_signal_connect(view, "row-activated", G_CALLBACK(row_activated), NULL);
    gtk_box_pack_start(GTK_BOX(box), view, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), gtk_separator_new(GTK_ORIENTATION_HORIZONTAL), FALSE, FALSE, 2);
    T.title = title;
    g_object_add_weak_pointer(G_OBJECT(title), (gpointer *) &T.title);
    T.view = view;
    g_object_add_weak_pointer(G_OBJECT(view), (gpointer *) &T.view);
    title_update();
    return box;
}

/* ---- mail sent from Claws ------------------------------------------------------ */

/* The header block of a message: from its file when Claws has it (an IMAP
 * Sent folder caches what it appended), else written from what Claws
 * parsed. (transfer full) */
static GString *header_block(MsgInfo *msg)
{
    char *path = procmsg_get_message_file_path(msg), *data = NULL;
    gsize len = 0;
    GString *out = g_string_new(NULL);

    if (path && g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_file_get_contents(path, &data, &len, NULL)) {
        const char *end = NULL;
        for (gsize i = 0; i + 1 < len && i < MAX_HEADER_BYTES && !end; i++)
            if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len &&
                                                              data[i + 2] == '\n')))
                end = data + i + 1;
        g_string_append_len(out, data, end ? end - data : (gssize) MIN(len, MAX_HEADER_BYTES));
    } else {
        if (msg->from)
            g_string_append_printf(out, "From: %s\r\n", msg->from);
        if (msg->to)
            g_string_append_printf(out, "To: %s\r\n", msg->to);
        if (msg->cc)
            g_string_append_printf(out, "Cc: %s\r\n", msg->cc);
        if (msg->date)
            g_string_append_printf(out, "Date: %s\r\n", msg->date);
        if (msg->msgid)
            g_string_append_printf(out, "Message-ID: <%s>\r\n", msg->msgid);
        if (msg->subject)
            g_string_append_printf(out, "Subject: %s\r\n", msg->subject);
    }
    g_free(data);
    g_free(path);
    return out;
}

/* Record what is new in an account's Sent folder (sent since the plugin
 * started, not recorded yet); 1 when something was. */
static int record_sent(FolderItem *item)
{
    PrefsAccount *ac = item->folder ? item->folder->account : NULL;
    GSList *msgs;
    kw_store_t *store = NULL;
    int recorded = 0;

    if (!ac || ac->protocol != A_IMAP4 || !kw_prefs_account_tracked(ac))
        return 0;
    msgs = folder_item_get_msg_list(item);
    for (GSList *l = msgs; l; l = l->next) {
        MsgInfo *msg = l->data;
        char *err = NULL;
        GString *block;
        kw_status_t st;
        if (!msg->msgid || msg->date_t < T.started || g_hash_table_contains(T.recorded, msg->msgid))
            continue;
        if (!store && !(store = kw_plugin_store_open(TRUE, &err))) {
            g_free(err);
            break;
        }
        block = header_block(msg);
        st = kw_record_sent(store, kw_prefs_account_name(ac), block->str, block->len,
                            (int64_t) time(NULL), &err);
        if (st == KW_OK) {
            recorded = 1;
            debug_print("Keep warm: recorded a sent message (%s)\n", msg->msgid);
        } else {
            debug_print("Keep warm: a sent message was not recorded: %s\n", err ? err : "?");
        }
        /* one try each: the sync of the Sent folder records what failed here */
        g_hash_table_add(T.recorded, g_strdup(msg->msgid));
        g_string_free(block, TRUE);
        kw_free(err);
    }
    procmsg_msg_list_free(msgs);
    kw_store_close(store);
    return recorded;
}

static gboolean folder_updated(gpointer source, gpointer data)
{
    FolderItemUpdateData *d = source;
    if (!T.active || !d || !d->item || d->item->stype != F_OUTBOX ||
        !(d->update_flags & (F_ITEM_UPDATE_MSGCNT | F_ITEM_UPDATE_ADDMSG)))
        return FALSE;
    if (record_sent(d->item))
        changed(); /* the item ticks now, not after the sync */
    return FALSE;
}

/* ---- the vCalendar plugin's calendar ------------------------------------------ */

static char *calendar_path(void)
{
    return g_build_filename(get_rc_dir(), "vcalendar", "internal.ics", NULL);
}

static void import_done(GObject *proc, GAsyncResult *res, gpointer data)
{
    GError *err = NULL;
    gboolean ok = g_subprocess_wait_check_finish(G_SUBPROCESS(proc), res, &err);
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(err);
        return; /* unloading: T is being torn down */
    }
    g_clear_object(&T.importer);
    if (ok) {
        g_free(T.imported_stamp);
        T.imported_stamp = T.importing_stamp;
        T.importing_stamp = NULL;
        kw_plugin_team_changed(); /* meetings that took place are shared */
        changed();
    } else {
        char *msg = g_strdup_printf(_("Keep warm: the calendar of the vCalendar plugin could not be "
                                      "read: %s"), err ? err->message : "?");
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
        g_clear_pointer(&T.importing_stamp, g_free);
        /* the same file is not tried again until it changes */
        g_free(T.imported_stamp);
        T.imported_stamp = NULL;
    }
    if (err)
        g_error_free(err);
}

/* Import internal.ics when the vCalendar plugin is loaded and the file (or
 * the day: the window moves) changed since the last import. A child does it
 * (a year of meetings takes a moment; the main loop is never blocked). */
static void maybe_import_calendar(void)
{
    char *path, *stamp, day[16];
    struct stat sb;
    GError *err = NULL;
    const char *program = kw_plugin_program();
    time_t now = (time_t) kw_plugin_as_of();
    struct tm tm;

    if (T.importer || !program || !plugin_get_loaded_by_name("vCalendar"))
        return;
    path = calendar_path();
    if (stat(path, &sb) != 0) {
        g_free(path);
        return;
    }
    localtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    stamp = g_strdup_printf("%lld %lld %s", (long long) sb.st_mtime, (long long) sb.st_size, day);
    if (g_strcmp0(stamp, T.imported_stamp) == 0) {
        g_free(stamp);
        g_free(path);
        return;
    }
    T.importer = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                  &err, program, "--db", kw_plugin_db_path(), "import-ics", "--quiet",
                                  /* the plugin's settings only: the team is told by team.c */
                                  "--config=/dev/null", path, NULL);
    if (T.importer) {
        T.importing_stamp = stamp;
        stamp = NULL;
        if (!T.cancel)
            T.cancel = g_cancellable_new();
        g_subprocess_wait_check_async(T.importer, T.cancel, import_done, NULL);
    } else {
        debug_print("Keep warm: cannot run %s: %s\n", program, err ? err->message : "?");
        g_clear_error(&err);
    }
    g_free(stamp);
    g_free(path);
}

/* ---- life cycle ---------------------------------------------------------------- */

void kw_today_panel_init(const KwTodayCallbacks *callbacks)
{
    T.cb = callbacks;
    T.active = TRUE;
    T.started = (int64_t) time(NULL) - 60;
    if (!T.model)
        T.model = gtk_list_store_new(N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
    if (!T.recorded)
        T.recorded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (T.hook_folder == HOOK_NONE)
        T.hook_folder = hooks_register_hook(FOLDER_ITEM_UPDATE_HOOKLIST, folder_updated, NULL);
    if (!T.wait_id && !T.waited)
        T.wait_id = g_timeout_add_seconds(FIRST_SYNC_WAIT_S, wait_over, NULL);
}

void kw_today_panel_done(gboolean interactive)
{
    T.active = FALSE;
    if (T.wait_id) {
        g_source_remove(T.wait_id);
        T.wait_id = 0;
    }
    T.waited = T.synced = FALSE;
    if (T.hook_folder != HOOK_NONE) {
        hooks_unregister_hook(FOLDER_ITEM_UPDATE_HOOKLIST, T.hook_folder);
        T.hook_folder = HOOK_NONE;
    }
    if (T.importer) {
        g_cancellable_cancel(T.cancel);
        g_subprocess_force_exit(T.importer); /* by its pid: our own child */
        g_clear_object(&T.importer);
    }
    g_clear_object(&T.cancel);
    if (interactive) {
        while (T.dialogs)
            gtk_widget_destroy(T.dialogs->data); /* "destroy" unlinks it */
        if (T.menu)
            gtk_widget_destroy(T.menu);
    } else {
        for (GSList *l = T.dialogs; l; l = l->next)
            g_signal_handlers_disconnect_matched(l->data, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                                 (gpointer) dialog_forget, NULL);
        g_slist_free(T.dialogs);
        T.dialogs = NULL;
        if (T.view) {
            g_signal_handlers_disconnect_by_func(T.view, button_press, NULL);
            g_signal_handlers_disconnect_by_func(T.view, popup_menu, NULL);
            g_signal_handlers_disconnect_by_func(T.view, row_activated, NULL);
        }
    }
    if (T.menu)
        g_object_remove_weak_pointer(G_OBJECT(T.menu), (gpointer *) &T.menu);
    if (T.view)
        g_object_remove_weak_pointer(G_OBJECT(T.view), (gpointer *) &T.view);
    if (T.title)
        g_object_remove_weak_pointer(G_OBJECT(T.title), (gpointer *) &T.title);
    T.menu = T.view = T.title = NULL;
    kw_today_free(T.today);
    T.today = NULL;
    if (T.recorded)
        g_hash_table_destroy(T.recorded);
    T.recorded = NULL;
    if (T.model && interactive)
        g_object_unref(T.model);
    T.model = NULL; /* at exit a dying view may still hold it: GTK's type, leaking our ref is harmless */
    g_clear_pointer(&T.imported_stamp, g_free);
    g_clear_pointer(&T.importing_stamp, g_free);
    T.cb = NULL;
}
