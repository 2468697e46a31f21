/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dialogs.c — the plugin's dialogs: the usual rhythm of a relationship,
 * its details (state, reason, facts, people, the note to edit, the
 * timeline, the actions) and "their messages" across every folder the sync
 * reads. Every change goes through kw_panel_act(), so that it is confirmed
 * with an Undo like the panel's own actions. Widgets a test needs to find
 * carry names ("keepwarm-…"). */
#include "kw_plugin.h"
#include "kw_prefs.h"
#include "kw_team.h"
#include "kw_panel.h"
#include "kw_dialogs.h"

#include <string.h>

#include "utils.h"
#include "mainwindow.h"
#include "folderview.h"
#include "summaryview.h"
#include "folder.h"
#include "procmsg.h"
#include "advsearch.h"
#include "prefs_account.h"
#include "account.h"
#include "gtkutils.h"

#define DAY ((int64_t) 86400)

static struct {
    GSList    *open;       /* every open dialog */
    GtkWidget *cadence;    /* the open rhythm dialog (weak): one of each kind */
    GtkWidget *details;    /* the open details dialog (weak) */
    GtkWidget *messages;   /* the open messages dialog (weak) */
} D;

static GtkWindow *main_window(void)
{
    MainWindow *mw = mainwindow_get_mainwindow();
    return mw ? GTK_WINDOW(mw->window) : NULL;
}

static void dialog_forget(GtkWidget *dialog, gpointer d)
{
    D.open = g_slist_remove(D.open, dialog);
}

/* Track a dialog until it is destroyed; `slot` (weak) finds it again. */
static void dialog_track(GtkWidget *dialog, GtkWidget **slot)
{
    D.open = g_slist_prepend(D.open, dialog);
    g_signal_connect(dialog, "destroy", G_CALLBACK(dialog_forget), NULL);
    if (*slot)
        gtk_widget_destroy(*slot); /* one of each kind at a time */
    *slot = dialog;
    g_object_add_weak_pointer(G_OBJECT(dialog), (gpointer *) slot);
}

void kw_dialogs_done(gboolean interactive)
{
    if (interactive) {
        while (D.open)
            gtk_widget_destroy(D.open->data); /* "destroy" unlinks it */
    } else {
        /* at exit the widgets may be gone or going: only detach */
        for (GSList *l = D.open; l; l = l->next)
            g_signal_handlers_disconnect_matched(l->data, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                                 (gpointer) dialog_forget, NULL);
        g_slist_free(D.open);
        D.open = NULL;
    }
    D.cadence = D.details = D.messages = NULL;
}

/* The relationship of `key` from the plugin's model (transfer full), or NULL. */
static kw_relationship_t *relationship(const char *key)
{
    kw_model_t *model = kw_plugin_model(NULL);
    kw_relationship_t *rel = NULL;
    if (!model || !key || kw_model_relationship(model, key, &rel, NULL) != KW_OK)
        return NULL;
    return rel;
}

static char *clean(const char *s)
{
    char *c = kw_sanitize_for_display(s ? s : ""), *r = g_strdup(c);
    kw_free(c);
    return r;
}

/* ---- the usual rhythm ------------------------------------------------------- */

typedef struct {
    char *key, *title;
    int   days;                 /* the rhythm in force */
    kw_cadence_source_t source;
    GtkWidget *learn, *fixed, *spin;
} cadence_t;

static void cadence_free(gpointer p)
{
    cadence_t *c = p;
    g_free(c->key);
    g_free(c->title);
    g_free(c);
}

/* OK: change only what was changed (opening and confirming keeps a learned
 * rhythm learned). */
static void cadence_response(GtkDialog *dialog, gint response, gpointer data)
{
    cadence_t *c = g_object_get_data(G_OBJECT(dialog), "cadence");
    if (response == GTK_RESPONSE_OK && c) {
        gboolean learn = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(c->learn));
        int days = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(c->spin));
        char *key = g_strdup(c->key), *title = g_strdup(c->title);
        gboolean was_user = c->source == KW_CADENCE_USER;
        gtk_widget_destroy(GTK_WIDGET(dialog));
        if (learn && was_user)
            kw_panel_act(KW_ACT_CADENCE, key, title, 0, NULL);
        else if (!learn && !(was_user && days == c->days))
            kw_panel_act(KW_ACT_CADENCE, key, title, days, NULL);
        g_free(key);
        g_free(title);
        return;
    }
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void fixed_toggled(GtkToggleButton *b, gpointer spin)
{
    gtk_widget_set_sensitive(GTK_WIDGET(spin), gtk_toggle_button_get_active(b));
}

static void preset_changed(GtkComboBox *combo, gpointer data)
{
    cadence_t *c = data;
    const char *id = gtk_combo_box_get_active_id(combo);
    if (id) {
        gtk_spin_button_set_value(GTK_SPIN_BUTTON(c->spin), g_ascii_strtod(id, NULL));
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(c->fixed), TRUE);
    }
}

void kw_dialog_cadence(const char *key, const char *title)
{
    static const int presets[] = { 7, 14, 30, 61, 91, 182, 365 };
    kw_relationship_t *rel = relationship(key);
    cadence_t *c;
    GtkWidget *dialog, *box, *label, *hbox, *combo;
    char *q, *now, *learn_text;

    if (!rel)
        return;
    c = g_new0(cadence_t, 1);
    c->key = g_strdup(rel->key);
    c->title = clean(title ? title : rel->display_name);
    c->days = rel->cadence_days;
    c->source = rel->reason.cadence_source;

    dialog = gtk_dialog_new_with_buttons(_("Usual rhythm"), main_window(), GTK_DIALOG_DESTROY_WITH_PARENT,
                                         _("_Cancel"), GTK_RESPONSE_CANCEL, _("_OK"), GTK_RESPONSE_OK,
                                         NULL);
    gtk_widget_set_name(dialog, "keepwarm-cadence");
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
    g_object_set_data_full(G_OBJECT(dialog), "cadence", c, cadence_free);
    box = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    gtk_box_set_spacing(GTK_BOX(box), 8);
    q = g_strdup_printf(_("How often do you want to be in touch with %s?"), c->title);
    label = gtk_label_new(q);
    g_free(q);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);

    /* the rhythm in force, and where it comes from */
    now = kw_words_cadence(c->days);
    if (c->source == KW_CADENCE_LEARNED)
        learn_text = g_strdup_printf(_("Learn it from our history (now: %s)"), now);
    else if (c->source == KW_CADENCE_USER)
        learn_text = g_strdup(_("Learn it from our history"));
    else
        learn_text = g_strdup_printf(_("Learn it from our history (too little yet: %s by default)"),
                                     now);
    c->learn = gtk_radio_button_new_with_label(NULL, learn_text);
    gtk_widget_set_name(c->learn, "keepwarm-cadence-learn");
    g_free(learn_text);
    gtk_box_pack_start(GTK_BOX(box), c->learn, FALSE, FALSE, 0);

    hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    c->fixed = gtk_radio_button_new_with_label_from_widget(GTK_RADIO_BUTTON(c->learn), _("Every"));
    gtk_widget_set_name(c->fixed, "keepwarm-cadence-fixed");
    gtk_box_pack_start(GTK_BOX(hbox), c->fixed, FALSE, FALSE, 0);
    c->spin = gtk_spin_button_new_with_range(1, 3650, 1);
    gtk_widget_set_name(c->spin, "keepwarm-cadence-days");
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(c->spin), c->days > 0 ? c->days : 60);
    gtk_box_pack_start(GTK_BOX(hbox), c->spin, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(_("days")), FALSE, FALSE, 0);
    combo = gtk_combo_box_text_new();
    for (size_t i = 0; i < G_N_ELEMENTS(presets); i++) {
        char id[16], *w = kw_words_cadence(presets[i]);
        g_snprintf(id, sizeof id, "%d", presets[i]);
        gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(combo), id, w);
        g_free(w);
    }
    gtk_widget_set_tooltip_text(combo, _("A usual rhythm"));
    g_signal_connect(combo, "changed", G_CALLBACK(preset_changed), c);
    gtk_box_pack_start(GTK_BOX(hbox), combo, FALSE, FALSE, 6);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);
    g_free(now);

    g_signal_connect(c->fixed, "toggled", G_CALLBACK(fixed_toggled), c->spin);
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(c->source == KW_CADENCE_USER ? c->fixed : c->learn),
                                 TRUE);
    gtk_widget_set_sensitive(c->spin, c->source == KW_CADENCE_USER);
    g_signal_connect(dialog, "response", G_CALLBACK(cadence_response), NULL);
    dialog_track(dialog, &D.cadence);
    gtk_widget_show_all(dialog);
    kw_relationship_free(rel);
}

/* ---- details ------------------------------------------------------------------ */

typedef struct {
    char *key, *title, *main_person;
    char *reason, *note;
    GtkWidget *note_view;
} details_t;

static void details_free(gpointer p)
{
    details_t *d = p;
    g_free(d->key);
    g_free(d->title);
    g_free(d->main_person);
    g_free(d->reason);
    g_free(d->note);
    g_free(d);
}

enum { RESP_WRITE = 1, RESP_SNOOZE, RESP_RHYTHM, RESP_SETTLE, RESP_IGNORE, RESP_SAVE_NOTE };

static char *note_text(details_t *d)
{
    GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(d->note_view));
    GtkTextIter a, b;
    gtk_text_buffer_get_bounds(buf, &a, &b);
    return g_strstrip(gtk_text_buffer_get_text(buf, &a, &b, FALSE));
}

static void details_response(GtkDialog *dialog, gint response, gpointer data)
{
    details_t *d = g_object_get_data(G_OBJECT(dialog), "details");
    char *key, *title, *person, *note;

    if (!d || response == GTK_RESPONSE_CLOSE || response == GTK_RESPONSE_DELETE_EVENT) {
        gtk_widget_destroy(GTK_WIDGET(dialog));
        return;
    }
    key = g_strdup(d->key);
    title = g_strdup(d->title);
    person = g_strdup(d->main_person);
    switch (response) {
    case RESP_WRITE:
        kw_action_write(person);
        break;
    case RESP_SAVE_NOTE:
        note = note_text(d);
        if (g_strcmp0(note, d->note ? d->note : "") != 0) {
            g_free(d->note);
            d->note = g_strdup(note);
            kw_panel_act(KW_ACT_NOTE, key, title, 0, note);
        }
        g_free(note);
        break;
    case RESP_RHYTHM:
        kw_dialog_cadence(key, title);
        break;
    case RESP_SNOOZE:
        gtk_widget_destroy(GTK_WIDGET(dialog));
        kw_panel_act(KW_ACT_SNOOZE, key, title, kw_plugin_as_of() + 7 * DAY, NULL);
        break;
    case RESP_SETTLE:
        gtk_widget_destroy(GTK_WIDGET(dialog));
        kw_panel_act(KW_ACT_SETTLE, key, title, kw_plugin_as_of(), NULL);
        break;
    case RESP_IGNORE:
        gtk_widget_destroy(GTK_WIDGET(dialog));
        kw_panel_act(KW_ACT_IGNORE, key, title, 0, NULL);
        break;
    default:
        break;
    }
    g_free(key);
    g_free(title);
    g_free(person);
}

/* One "Label: value" row of the facts grid. */
static void fact(GtkWidget *grid, int row, const char *label, const char *value)
{
    GtkWidget *l = gtk_label_new(label), *v = gtk_label_new(value);
    gtk_label_set_xalign(GTK_LABEL(l), 1.0);
    gtk_label_set_yalign(GTK_LABEL(l), 0.0);
    gtk_style_context_add_class(gtk_widget_get_style_context(l), "dim-label");
    gtk_label_set_xalign(GTK_LABEL(v), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(v), TRUE);
    gtk_label_set_selectable(GTK_LABEL(v), TRUE);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), v, 1, row, 1, 1);
}

/* The Save button sits in the content area: it answers like the others. */
static void save_clicked(GtkButton *b, gpointer dialog)
{
    gtk_dialog_response(GTK_DIALOG(dialog), RESP_SAVE_NOTE);
}

static char *day_and_ago(int64_t t, int64_t as_of)
{
    char *d, *a, *r;
    if (!t)
        return g_strdup(_("never"));
    d = kw_words_date(t, as_of);
    a = kw_words_ago(t, as_of);
    r = g_strdup_printf("%s (%s)", d, a);
    g_free(d);
    g_free(a);
    return r;
}

static GtkWidget *timeline_view(const kw_relationship_t *rel, const kw_touch_list_t *tl)
{
    GtkListStore *store = gtk_list_store_new(4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                             G_TYPE_STRING);
    GtkWidget *view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(store));
    const char *titles[] = { _("Date"), "", _("Who"), _("Subject") };

    gtk_widget_set_name(view, "keepwarm-timeline");
    int64_t as_of = kw_plugin_as_of();

    for (size_t i = 0; tl && i < tl->count && i < 500; i++) {
        const kw_touch_t *t = &tl->items[i];
        const char *who = t->address;
        GtkTreeIter it;
        char *day = kw_words_date(t->time, as_of), *subj = clean(t->subject), *w;
        /* the person's name where the relationship knows it */
        for (size_t k = 0; rel->people && rel->people[k] && who; k++)
            if (!strcmp(rel->people[k], who) && rel->people_names && *rel->people_names[k])
                who = rel->people_names[k];
        w = clean(who);
        gtk_list_store_insert_with_values(store, &it, -1, 0, day,
                                          1, t->inbound && t->outbound ? "⇄" : t->inbound ? "←" : "→",
                                          2, w, 3, subj, -1);
        g_free(day);
        g_free(subj);
        g_free(w);
    }
    for (int c = 0; c < 4; c++) {
        GtkCellRenderer *r = gtk_cell_renderer_text_new();
        GtkTreeViewColumn *col = gtk_tree_view_column_new_with_attributes(titles[c], r, "text", c, NULL);
        if (c == 3) {
            g_object_set(r, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
            gtk_tree_view_column_set_expand(col, TRUE);
        }
        gtk_tree_view_append_column(GTK_TREE_VIEW(view), col);
    }
    g_object_unref(store);
    return view;
}

/* An action button; `name` names its widget ("keepwarm-details-NAME"). */
static void details_button(GtkWidget *dialog, const char *name, const char *label, int response)
{
    GtkWidget *b = gtk_dialog_add_button(GTK_DIALOG(dialog), label, response);
    char *wname = g_strconcat("keepwarm-details-", name, NULL);
    gtk_widget_set_name(b, wname);
    g_free(wname);
}

void kw_dialog_details(const char *key)
{
    kw_relationship_t *rel = relationship(key);
    kw_model_t *model = kw_plugin_model(NULL);
    kw_touch_list_t *tl = NULL;
    int64_t as_of = kw_plugin_as_of();
    details_t *d;
    GtkWidget *dialog, *box, *label, *grid, *sw, *frame, *save = NULL;
    char *markup, *s, *who;
    int row = 0;

    if (!rel || !model)
        goto out;
    kw_model_timeline(model, rel->key, &tl, NULL);
    d = g_new0(details_t, 1);
    d->key = g_strdup(rel->key);
    d->title = clean(rel->display_name ? rel->display_name : rel->key);
    d->main_person = g_strdup(rel->main_person ? rel->main_person : rel->key);
    d->reason = clean(s = kw_words_reason(&rel->reason, as_of));
    g_free(s);
    d->note = rel->note && !rel->note_from_org ? g_strdup(rel->note) : NULL;

    s = g_strdup_printf(_("%s — Keep warm"), d->title);
    dialog = gtk_dialog_new_with_buttons(s, main_window(), GTK_DIALOG_DESTROY_WITH_PARENT, NULL, NULL);
    g_free(s);
    gtk_widget_set_name(dialog, "keepwarm-details");
    gtk_window_set_default_size(GTK_WINDOW(dialog), 620, 560);
    g_object_set_data_full(G_OBJECT(dialog), "details", d, details_free);
    box = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    gtk_box_set_spacing(GTK_BOX(box), 8);

    /* who, and the state in its colour */
    who = kw_words_who(rel);
    s = clean(who);
    markup = g_markup_printf_escaped("<big><b>%s</b></big>   <span foreground=\"%s\"><b>%s</b></span>", s,
                                     kwv_state_colour(rel->state), kw_words_state(rel->state));
    g_free(s);
    g_free(who);
    label = gtk_label_new(NULL);
    gtk_label_set_markup(GTK_LABEL(label), markup);
    g_free(markup);
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    label = gtk_label_new(d->reason);
    gtk_widget_set_name(label, "keepwarm-details-reason");
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_selectable(GTK_LABEL(label), TRUE);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);

    /* the facts */
    grid = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 2);
    s = kw_words_cadence(rel->cadence_days);
    markup = g_strdup_printf("%s (%s)", s, kw_words_cadence_source(rel->reason.cadence_source));
    fact(grid, row++, _("Rhythm:"), markup);
    g_free(markup);
    g_free(s);
    fact(grid, row++, _("Last exchange:"), s = day_and_ago(rel->last_touch, as_of));
    g_free(s);
    fact(grid, row++, _("They wrote:"), s = day_and_ago(rel->last_inbound, as_of));
    g_free(s);
    fact(grid, row++, _("You wrote:"), s = day_and_ago(rel->last_outbound, as_of));
    g_free(s);
    if (rel->due_date) {
        fact(grid, row++, _("Due:"), s = day_and_ago(rel->due_date, as_of));
        g_free(s);
    }
    if (rel->snoozed_until) {
        char *day = kw_words_day(rel->snoozed_until, as_of);
        fact(grid, row++, _("Snoozed until:"), day);
        g_free(day);
    }
    s = clean(who = kw_words_people_names(rel, 6));
    fact(grid, row++, _("People:"), s);
    g_free(s);
    g_free(who);
    if (rel->note && rel->note_from_org) {
        s = clean(rel->note);
        fact(grid, row++, _("Organisation's note:"), s);
        g_free(s);
    }
    gtk_box_pack_start(GTK_BOX(box), grid, FALSE, FALSE, 0);

    /* the team's touches (pulled records, colleagues' mail with the user in copy) */
    {
        GString *team = g_string_new(NULL);
        kw_plugin_team_details(team, model, rel->key);
        if (team->len) {
            g_strchomp(team->str);
            label = gtk_label_new(team->str);
            gtk_widget_set_name(label, "keepwarm-details-team");
            gtk_label_set_xalign(GTK_LABEL(label), 0.0);
            gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
            gtk_label_set_selectable(GTK_LABEL(label), TRUE);
            gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
        }
        g_string_free(team, TRUE);
    }

    /* the note, editable */
    frame = gtk_frame_new(_("Your note"));
    {
        GtkWidget *nb = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
        GtkWidget *nsw = gtk_scrolled_window_new(NULL, NULL);
        gtk_container_set_border_width(GTK_CONTAINER(nb), 6);
        d->note_view = gtk_text_view_new();
        gtk_widget_set_name(d->note_view, "keepwarm-note");
        gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(d->note_view), GTK_WRAP_WORD_CHAR);
        gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(d->note_view)),
                                 d->note ? d->note : "", -1);
        gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(nsw), 60);
        gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(nsw), GTK_SHADOW_IN);
        gtk_container_add(GTK_CONTAINER(nsw), d->note_view);
        gtk_box_pack_start(GTK_BOX(nb), nsw, TRUE, TRUE, 0);
        save = gtk_button_new_with_mnemonic(_("_Save note"));
        gtk_widget_set_name(save, "keepwarm-note-save");
        gtk_widget_set_valign(save, GTK_ALIGN_END);
        g_signal_connect(save, "clicked", G_CALLBACK(save_clicked), dialog);
        gtk_box_pack_start(GTK_BOX(nb), save, FALSE, FALSE, 0);
        gtk_container_add(GTK_CONTAINER(frame), nb);
    }
    gtk_box_pack_start(GTK_BOX(box), frame, FALSE, FALSE, 0);

    /* the timeline */
    s = g_strdup_printf(_("History (%zu touches, newest first)"), tl ? tl->count : 0);
    frame = gtk_frame_new(s);
    g_free(s);
    sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_container_add(GTK_CONTAINER(sw), timeline_view(rel, tl));
    gtk_container_add(GTK_CONTAINER(frame), sw);
    gtk_box_pack_start(GTK_BOX(box), frame, TRUE, TRUE, 0);

    /* the actions */
    details_button(dialog, "write", _("_Write…"), RESP_WRITE);
    if (rel->state == KW_STATE_AWAITING_YOUR_REPLY || rel->state == KW_STATE_AWAITING_THEIR_REPLY)
        details_button(dialog, "settle", _("_No reply needed"), RESP_SETTLE);
    if (rel->state != KW_STATE_SNOOZED && rel->state != KW_STATE_IGNORED) {
        details_button(dialog, "snooze", _("Snooze 1 _week"), RESP_SNOOZE);
        details_button(dialog, "ignore", _("_Ignore"), RESP_IGNORE);
    }
    details_button(dialog, "rhythm", _("_Rhythm…"), RESP_RHYTHM);
    details_button(dialog, "close", _("_Close"), GTK_RESPONSE_CLOSE);
    g_signal_connect(dialog, "response", G_CALLBACK(details_response), NULL);
    dialog_track(dialog, &D.details);
    gtk_widget_show_all(dialog);
out:
    kw_touch_list_free(tl);
    kw_relationship_free(rel);
}

/* ---- their messages ------------------------------------------------------------ */

enum { MCOL_DATE, MCOL_FOLDER, MCOL_FROM, MCOL_SUBJECT, MCOL_MSGINFO, MCOL_TIME, N_MCOLS };

/* A folder the sync reads: not Trash, Drafts or the Queue (nor below them),
 * not Junk or Spam (Claws has no type for those: by name). */
static gboolean folder_is_read(FolderItem *item)
{
    static const char *const junk[] = { "junk", "spam", "junk-e-mail", "junk e-mail", NULL };
    char *lower;
    gboolean skip = FALSE;

    if (!item || !item->path || item->no_select)
        return FALSE;
    if (item->stype == F_TRASH || item->stype == F_DRAFT || item->stype == F_QUEUE ||
        folder_has_parent_of_type(item, F_TRASH) || folder_has_parent_of_type(item, F_DRAFT) ||
        folder_has_parent_of_type(item, F_QUEUE))
        return FALSE;
    lower = g_utf8_strdown(item->name ? item->name : "", -1);
    for (const char *const *j = junk; *j && !skip; j++)
        skip = strcmp(lower, *j) == 0;
    g_free(lower);
    return !skip;
}

typedef struct {
    AdvancedSearch *search;
    GSList         *found;     /* MsgInfo* (ours) */
    GSList         *folders;   /* FolderItem* searched */
} search_t;

static gboolean search_folder(GNode *node, gpointer data)
{
    search_t *s = data;
    FolderItem *item = node->data;
    MsgInfoList *msgs = NULL;

    if (!folder_is_read(item))
        return FALSE;
    s->folders = g_slist_prepend(s->folders, item);
    if (advsearch_search_msgs_in_folders(s->search, &msgs, item, FALSE))
        s->found = g_slist_concat(msgs, s->found);
    else
        procmsg_msg_list_free(msgs);
    return FALSE;
}

static void messages_destroyed(GtkWidget *dialog, gpointer store)
{
    GtkTreeIter it;
    gboolean more = gtk_tree_model_get_iter_first(GTK_TREE_MODEL(store), &it);
    while (more) {
        MsgInfo *m = NULL;
        gtk_tree_model_get(GTK_TREE_MODEL(store), &it, MCOL_MSGINFO, &m, -1);
        procmsg_msginfo_free(&m);
        more = gtk_tree_model_iter_next(GTK_TREE_MODEL(store), &it);
    }
    g_object_unref(store);
}

/* Open a message where it lives: its folder, the message selected. */
static void messages_activated(GtkTreeView *view, GtkTreePath *path, GtkTreeViewColumn *col,
                               gpointer data)
{
    GtkTreeModel *model = gtk_tree_view_get_model(view);
    MainWindow *mw = mainwindow_get_mainwindow();
    MsgInfo *m = NULL;
    GtkTreeIter it;

    if (!mw || !gtk_tree_model_get_iter(model, &it, path))
        return;
    gtk_tree_model_get(model, &it, MCOL_MSGINFO, &m, -1);
    if (m && m->folder) {
        folderview_select(mw->folderview, m->folder);
        summary_select_by_msgnum(mw->summaryview, m->msgnum, TRUE);
    }
}

void kw_dialog_messages(const char *key, const char *title)
{
    search_t s = { 0 };
    GtkListStore *store;
    GtkWidget *dialog, *box, *label, *sw, *view;
    char *needle, *expr, *t, *shown = clean(title ? title : key);
    const char *cols[] = { _("Date"), _("Folder"), _("From"), _("Subject") };
    guint n = 0, nfolders;

    if (!key)
        goto out;
    /* A person: their address; an organisation: its domain — From, To or Cc. */
    needle = g_strescape(key, NULL);
    expr = g_strdup_printf("f \"%s\" | t \"%s\" | c \"%s\"", needle, needle, needle);
    s.search = advsearch_new();
    advsearch_set(s.search, ADVANCED_SEARCH_EXTENDED, expr);
    g_free(expr);
    g_free(needle);
    kw_plugin_set_status(_("Keep warm: searching every folder…"), FALSE);
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        Folder *folder = ac->folder;
        if (ac->protocol != A_IMAP4 || !kw_prefs_account_tracked(ac) || !folder || !folder->node)
            continue;
        g_node_traverse(folder->node, G_PRE_ORDER, G_TRAVERSE_ALL, -1, search_folder, &s);
    }
    advsearch_free(s.search);
    nfolders = g_slist_length(s.folders);
    g_slist_free(s.folders);

    store = gtk_list_store_new(N_MCOLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                               G_TYPE_POINTER, G_TYPE_INT64);
    for (GSList *l = s.found; l; l = l->next) {
        MsgInfo *m = l->data;
        GtkTreeIter it;
        char *date = kw_words_date((int64_t) m->date_t, kw_plugin_as_of());
        char *folder = m->folder ? folder_item_get_name(m->folder) : g_strdup("");
        char *from = clean(m->from), *subj = clean(m->subject);
        gtk_list_store_insert_with_values(store, &it, -1, MCOL_DATE, date, MCOL_FOLDER, folder,
                                          MCOL_FROM, from, MCOL_SUBJECT, subj, MCOL_MSGINFO, m,
                                          MCOL_TIME, (gint64) m->date_t, -1);
        n++;
        g_free(date);
        g_free(folder);
        g_free(from);
        g_free(subj);
    }
    g_slist_free(s.found); /* the MsgInfos now belong to the store */
    gtk_tree_sortable_set_sort_column_id(GTK_TREE_SORTABLE(store), MCOL_TIME, GTK_SORT_DESCENDING);

    t = g_strdup_printf(_("Messages with %s"), shown);
    dialog = gtk_dialog_new_with_buttons(t, main_window(), GTK_DIALOG_DESTROY_WITH_PARENT,
                                         _("_Close"), GTK_RESPONSE_CLOSE, NULL);
    g_free(t);
    gtk_widget_set_name(dialog, "keepwarm-messages");
    gtk_window_set_default_size(GTK_WINDOW(dialog), 720, 420);
    box = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(box), 8);
    gtk_box_set_spacing(GTK_BOX(box), 6);
    t = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                    "%u message in the %u folders keepwarm reads "
                                    "(double-click opens it where it is).",
                                    "%u messages in the %u folders keepwarm reads "
                                    "(double-click opens one where it is).", n),
                        n, nfolders);
    label = gtk_label_new(t);
    g_free(t);
    gtk_widget_set_name(label, "keepwarm-messages-summary");
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(store));
    gtk_widget_set_name(view, "keepwarm-messages-list");
    for (int c = 0; c < 4; c++) {
        GtkCellRenderer *r = gtk_cell_renderer_text_new();
        GtkTreeViewColumn *col = gtk_tree_view_column_new_with_attributes(cols[c], r, "text", c, NULL);
        if (c == MCOL_SUBJECT) {
            g_object_set(r, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
            gtk_tree_view_column_set_expand(col, TRUE);
        }
        gtk_tree_view_append_column(GTK_TREE_VIEW(view), col);
    }
    g_signal_connect(view, "row-activated", G_CALLBACK(messages_activated), NULL);
    sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_container_add(GTK_CONTAINER(sw), view);
    gtk_box_pack_start(GTK_BOX(box), sw, TRUE, TRUE, 0);
    g_signal_connect(dialog, "response", G_CALLBACK(gtk_widget_destroy), NULL);
    g_signal_connect(dialog, "destroy", G_CALLBACK(messages_destroyed), store);
    dialog_track(dialog, &D.messages);
    gtk_widget_show_all(dialog);
    kw_plugin_set_status(NULL, FALSE);
out:
    g_free(shown);
}
