/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugin_main.c — entry points of the Keep warm Claws Mail plugin: version
 * check, hooks, the hint bar, the single teardown helper used by
 * plugin_init's failure path and by plugin_done, and the wiring: the
 * modules below report through callbacks, connected here (kw_plugin.h). */
#define _GNU_SOURCE 1  /* dladdr */
#include "kw_plugin.h"
#include "kw_prefs.h"
#include "kw_today.h"
#include "kw_team.h"
#include "kw_panel.h"
#include "kw_dialogs.h"
#include "kw_worker.h"

#include <dlfcn.h>
#include <string.h>

#include "claws.h"
#include "version.h"
#include "plugin.h"
#include "hooks.h"
#include "utils.h"
#include "log.h"
#include "main.h"
#include "mainwindow.h"
#include "messageview.h"
#include "noticeview.h"
#include "procmsg.h"
#include "folder.h"
#include "compose.h"
#include "statusbar.h"
#include "prefs_account.h"
#include "account.h"

/* The end-to-end test's build of the plugin (tests/plugin/testhook.c, see
 * plugin/Makefile.local) adds its introspection at these two points; the
 * shipped keepwarm.so is compiled without it. */
#ifdef KW_PLUGIN_TEST_BUILD
#include "testhook.h"
#define KW_TEST_HOOK(call) call
#else
#define KW_TEST_HOOK(call) ((void)0)
#endif

#define KW_EXPORT __attribute__((visibility("default")))

/* The first sync after loading, and a changed folder's (changes in between
 * join it). */
#define STARTUP_DELAY_S 3
#define COALESCE_S 20

/* A worker running longer than the preference says (default 15 min) is
 * killed. */
static int sync_deadline(void)
{
    return kw_prefs.sync_deadline_s > 0 ? kw_prefs.sync_deadline_s : 900;
}

/* Everything the plugin owns outside its modules. */
static struct {
    gulong     hook_show_done;
    gulong     hook_item_update;
    gulong     hook_postfilter;
    KwWorkerTiming timing;
    /* hint bar */
    char      *hint_text;
    char      *hint_key;
    char      *hint_person;
    char      *hint_title;
    int64_t    hint_back;      /* "Snooze until back": the day */
    kwv_hint_action_t hint_action, hint_action2;
    NoticeView *hint_nv;       /* the main window's notice view we wrote to */
} G = { .hook_show_done = HOOK_NONE, .hook_item_update = HOOK_NONE,
        .hook_postfilter = HOOK_NONE };

/* ---- wiring --------------------------------------------------------------- */

/* The status line: the status bar, and errors also in the panel's header
 * (until every account syncs fine again) and in Claws' log. */
static void show_status(const char *text, gboolean is_error)
{
    if (mainwindow_get_mainwindow()) {
        statusbar_pop_all();
        if (text)
            statusbar_print_all("%s", text);
    }
    if (is_error) {
        kw_panel_set_header(text, TRUE);
        if (text)
            log_warning(LOG_PROTOCOL, "%s\n", text);
    }
}

static void error_cleared(void)
{
    kw_panel_set_header(NULL, FALSE);
}

static const KwStatusListener status_listener = { show_status, error_cleared };

/* A sync ended: settings of an earlier version may now find their domains,
 * and the panel shows the new store. */
static void sync_finished(int account_id, gboolean completed, kw_status_t status)
{
    kw_prefs_retry();
    kw_today_panel_sync_finished();
    kw_panel_refresh();
}

/* Every account was read: one exchange with the team (when there is one). */
static void sync_cycle_done(void)
{
    kw_plugin_team_cycle_done();
}

static const KwWorkerCallbacks worker_callbacks = { sync_finished, sync_cycle_done };

/* The team exchange ended: teammates' records may be new in the store. */
static void team_exchanged(void)
{
    kw_panel_refresh();
}

static const KwTeamCallbacks team_callbacks = { team_exchanged };

static void sync_requested(void)
{
    kw_workers_sync_all(TRUE);
}

static const KwPanelCallbacks panel_callbacks = { sync_requested, kw_dialog_details,
                                                   kw_dialog_cadence, kw_dialog_messages };

/* The Today section: a tier is a setting, set like the panel's (with an
 * Undo); whatever it changed shows everywhere. */
static void today_tier(const char *key, const char *title, kw_tier_t tier)
{
    kw_panel_act(KW_ACT_TIER, key, title, tier, NULL);
}

static const KwTodayCallbacks today_callbacks = { kw_panel_refresh, kw_action_write, today_tier };

/* The user saved the preferences page. */
static void prefs_saved(void)
{
    G.timing.deadline_s = sync_deadline();
    kw_workers_reschedule();
    kw_panel_apply_prefs();
}

/* Translations: the one "keepwarm" catalogue. An uninstalled build keeps it
 * next to the .so's directory (build/locale); an installed one uses
 * LOCALEDIR. */
static void bind_translations(void)
{
    Dl_info info;
    char *local = NULL;
    if (dladdr((void *)bind_translations, &info) && info.dli_fname) {
        char *sodir = g_path_get_dirname(info.dli_fname);
        local = g_build_filename(sodir, "..", "locale", NULL);
        g_free(sodir);
    }
    const char *dirs[] = { local, KW_LOCALEDIR, NULL };
    kw_words_bind(local ? dirs : dirs + 1);
    g_free(local);
}

/* ---- hint bar ----------------------------------------------------------- */

static void hint_clear_state(void)
{
    g_clear_pointer(&G.hint_text, g_free);
    g_clear_pointer(&G.hint_key, g_free);
    g_clear_pointer(&G.hint_person, g_free);
    g_clear_pointer(&G.hint_title, g_free);
    G.hint_action = G.hint_action2 = KWV_HINT_NONE;
    G.hint_back = 0;
}

static void hint_do(NoticeView *nv, kwv_hint_action_t action)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    int64_t now = kw_plugin_as_of();
    if (!G.hint_key || !mainwin)
        return;
    switch (action) {
    case KWV_HINT_WRITE:
    case KWV_HINT_FOLLOW_UP:
        kw_action_write(G.hint_person);
        break;
    case KWV_HINT_REPLY:
        if (mainwin->messageview && mainwin->messageview->msginfo) {
            GSList *list = g_slist_append(NULL, mainwin->messageview->msginfo);
            compose_reply_from_messageview(mainwin->messageview, list, COMPOSE_REPLY);
            g_slist_free(list);
        }
        break;
    case KWV_HINT_SNOOZE_WEEK:
    case KWV_HINT_SNOOZE_BACK:
    case KWV_HINT_SETTLE: {
        char *key = g_strdup(G.hint_key), *title = g_strdup(G.hint_title);
        int64_t back = G.hint_back;
        noticeview_hide(nv);
        hint_clear_state();
        if (action == KWV_HINT_SETTLE)
            kw_panel_act(KW_ACT_SETTLE, key, title, now, NULL);
        else
            kw_panel_act(KW_ACT_SNOOZE, key, title,
                         action == KWV_HINT_SNOOZE_BACK && back ? back : now + 7 * 86400, NULL);
        g_free(key);
        g_free(title);
        break;
    }
    case KWV_HINT_DETAILS:
        kw_dialog_details(G.hint_key);
        break;
    default:
        break;
    }
}

static void hint_pressed(NoticeView *nv, gpointer data)
{
    hint_do(nv, G.hint_action);
}

static void hint_pressed2(NoticeView *nv, gpointer data)
{
    hint_do(nv, G.hint_action2);
}

/* The relationship a sender belongs to — the organisation first (what the
 * panel lists), then the person — from the one loaded model.
 * (transfer full) or NULL. */
static kw_relationship_t *relationship_for_sender(const char *from)
{
    kw_model_t *model = from ? kw_plugin_model(NULL) : NULL;
    kw_relationship_t *rel = NULL;
    if (!model || kw_model_for_sender(model, from, &rel, NULL) != KW_OK)
        return NULL;
    return rel;
}

static gboolean show_done_hook(gpointer source, gpointer data)
{
    MessageView *mv = source;
    MainWindow *mainwin = mainwindow_get_mainwindow();
    /* Only the main window's message view: separate message windows come and
     * go, and a callback left in a freed one could not be undone at unload. */
    if (!mv || !mainwin || mv != mainwin->messageview || !mv->noticeview || !mv->msginfo)
        return FALSE;
    hint_clear_state();
    /* our long hints are ellipsized (else they widen the whole window);
     * Claws' own notices get their label back as it was */
    if (GTK_IS_LABEL(mv->noticeview->text)) {
        gtk_label_set_ellipsize(GTK_LABEL(mv->noticeview->text), PANGO_ELLIPSIZE_NONE);
        gtk_widget_set_tooltip_text(mv->noticeview->text, NULL);
    }
    if (noticeview_is_visible(mv->noticeview))  /* Claws is using it */
        goto out;
    kw_relationship_t *rel = relationship_for_sender(mv->msginfo->from);
    char *hint = kw_words_hint(rel, kw_plugin_as_of());
    char *text = hint ? kw_sanitize_for_display(hint) : NULL;
    g_free(hint);
    if (text) {
        int64_t now = kw_plugin_as_of();
        G.hint_text = text;
        G.hint_key = g_strdup(rel->key);
        /* follow up with whom the unanswered mail went to */
        G.hint_person = g_strdup(rel->state == KW_STATE_AWAITING_THEIR_REPLY &&
                                         rel->reason.waiting_person.address
                                     ? rel->reason.waiting_person.address
                                 : rel->main_person ? rel->main_person : rel->key);
        G.hint_title = kw_sanitize_for_display(rel->display_name ? rel->display_name : rel->key);
        G.hint_back = kwv_back_on(rel, now);
        kwv_hint_actions(rel, now, &G.hint_action, &G.hint_action2);
        G.hint_nv = mv->noticeview;
        noticeview_set_icon(mv->noticeview, STOCK_PIXMAP_NOTICE_NOTE);
        noticeview_set_text(mv->noticeview, text);
        if (GTK_IS_LABEL(mv->noticeview->text)) {
            gtk_label_set_ellipsize(GTK_LABEL(mv->noticeview->text), PANGO_ELLIPSIZE_END);
            gtk_widget_set_tooltip_text(mv->noticeview->text, text);
        }
        noticeview_set_button_text(mv->noticeview, kwv_hint_action_label(G.hint_action));
        noticeview_set_button_press_callback(mv->noticeview, G_CALLBACK(hint_pressed), NULL);
        noticeview_set_2ndbutton_text(mv->noticeview, kwv_hint_action_label(G.hint_action2));
        noticeview_set_2ndbutton_press_callback(mv->noticeview, G_CALLBACK(hint_pressed2), NULL);
        noticeview_show(mv->noticeview);
    }
    kw_relationship_free(rel);
out:
    return FALSE;
}

/* Take our hint down when unloading so that the notice view holds no
 * pointer into the plugin. */
static void hint_done(void)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    if (G.hint_text && G.hint_nv && mainwin && mainwin->messageview &&
        mainwin->messageview->noticeview == G.hint_nv) {
        noticeview_set_button_press_callback(G.hint_nv, NULL, NULL);
        noticeview_set_2ndbutton_press_callback(G.hint_nv, NULL, NULL);
        if (GTK_IS_LABEL(G.hint_nv->text)) {
            gtk_label_set_ellipsize(GTK_LABEL(G.hint_nv->text), PANGO_ELLIPSIZE_NONE);
            gtk_widget_set_tooltip_text(G.hint_nv->text, NULL);
        }
        noticeview_hide(G.hint_nv);
    }
    G.hint_nv = NULL;
    hint_clear_state();
}

/* ---- other hooks -------------------------------------------------------- */

static gboolean item_update_hook(gpointer source, gpointer data)
{
    FolderItemUpdateData *d = source;
    if (!d || !d->item || !d->item->folder || !d->item->folder->account)
        return FALSE;
    if (!(d->update_flags & (F_ITEM_UPDATE_MSGCNT | F_ITEM_UPDATE_ADDMSG)))
        return FALSE;
    PrefsAccount *ac = d->item->folder->account;
    if (ac->protocol == A_IMAP4 && kw_prefs_account_tracked(ac))
        kw_workers_account_touched(ac->account_id);
    return FALSE;
}

/* A message was just sent: its copy lands in the account's Sent folder, so
 * sync that account soon to record the touch. */
static gboolean postfilter_hook(gpointer source, gpointer data)
{
    MsgInfo *msginfo = source;
    if (msginfo && msginfo->folder && msginfo->folder->stype == F_OUTBOX &&
        msginfo->folder->folder && msginfo->folder->folder->account) {
        PrefsAccount *ac = msginfo->folder->folder->account;
        if (ac->protocol == A_IMAP4 && kw_prefs_account_tracked(ac))
            kw_workers_account_touched(ac->account_id);
    }
    return FALSE;
}

/* ---- the one teardown helper -------------------------------------------- */

/* Undo everything plugin_init did, whatever stage it reached; safe to call
 * twice. `interactive`: the user unloads the plugin while Claws keeps
 * running, so the main window is alive and the folder view goes back. At
 * exit Claws has already freed the MainWindow: touch none of it. */
static void teardown(gboolean interactive)
{
    if (G.hook_show_done != HOOK_NONE) {
        hooks_unregister_hook(MESSAGE_VIEW_SHOW_DONE_HOOKLIST, G.hook_show_done);
        G.hook_show_done = HOOK_NONE;
    }
    if (G.hook_item_update != HOOK_NONE) {
        hooks_unregister_hook(FOLDER_ITEM_UPDATE_HOOKLIST, G.hook_item_update);
        G.hook_item_update = HOOK_NONE;
    }
    if (G.hook_postfilter != HOOK_NONE) {
        hooks_unregister_hook(MAIL_POSTFILTERING_HOOKLIST, G.hook_postfilter);
        G.hook_postfilter = HOOK_NONE;
    }
    kw_workers_done();
    kw_plugin_team_done();
    kw_plugin_set_status_listener(NULL);
    if (interactive && kw_plugin_status() && mainwindow_get_mainwindow())
        statusbar_pop_all();  /* take our last status line down */
    if (interactive)
        hint_done();
    else
        hint_clear_state();
    kw_dialogs_done(interactive);
    kw_panel_done(interactive);
    kw_today_panel_done(interactive);
    kw_prefs_done();
    kw_context_done();
    KW_TEST_HOOK(kw_testhook_done(interactive));
}

/* ---- entry points ------------------------------------------------------- */

KW_EXPORT gint plugin_init(gchar **error)
{
    bind_translations();
    if (!check_plugin_version(MAKE_NUMERIC_VERSION(4, 0, 0, 0), VERSION_NUMERIC,
                              _(KW_PLUGIN_NAME), error))
        return -1;
    kw_prefs_init(prefs_saved);
    kw_plugin_team_init(&team_callbacks);
    if (!kw_context_init(kw_prefs.keepwarm_path, kw_prefs.store_path, error))
        goto fail;
    MainWindow *mainwin = mainwindow_get_mainwindow();
    if (!mainwin) {
        *error = g_strdup(_("Keep warm needs the main window."));
        goto fail;
    }
    kw_plugin_set_status_listener(&status_listener);
    kw_prefs_migrate();
    kw_today_panel_init(&today_callbacks);
    kw_panel_init(mainwin, &panel_callbacks);

    G.hook_show_done = hooks_register_hook(MESSAGE_VIEW_SHOW_DONE_HOOKLIST, show_done_hook, NULL);
    G.hook_item_update = hooks_register_hook(FOLDER_ITEM_UPDATE_HOOKLIST, item_update_hook, NULL);
    G.hook_postfilter = hooks_register_hook(MAIL_POSTFILTERING_HOOKLIST, postfilter_hook, NULL);
    if (G.hook_show_done == HOOK_NONE || G.hook_item_update == HOOK_NONE ||
        G.hook_postfilter == HOOK_NONE) {
        *error = g_strdup(_("Keep warm could not register its hooks."));
        goto fail;
    }
    G.timing = (KwWorkerTiming){ .startup_delay_s = STARTUP_DELAY_S, .coalesce_s = COALESCE_S,
                                 .deadline_s = sync_deadline() };
    KW_TEST_HOOK(kw_testhook_init(&G.timing));
    kw_workers_init(&G.timing, &worker_callbacks);
    debug_print("Keep warm plugin loaded (keepwarm: %s, store: %s)\n", kw_plugin_program(),
                kw_plugin_db_path());
    return 0;

fail:
    teardown(TRUE);
    return -1;
}

KW_EXPORT gboolean plugin_done(void)
{
    teardown(!claws_is_exiting());
    debug_print("Keep warm plugin unloaded\n");
    return TRUE;
}

KW_EXPORT const gchar *plugin_name(void)
{
    return _(KW_PLUGIN_NAME);
}

KW_EXPORT const gchar *plugin_desc(void)
{
    return _("Shows, under the folder list, the customer relationships that are going cold "
             "(most valuable first), a hint above messages from tracked contacts, and "
             "one-click actions: write, snooze, set the usual rhythm, ignore.\n\n"
             "The mailbox is read in the background by the “keepwarm” command "
             "(headers only, read-only); this plugin never speaks IMAP itself.");
}

KW_EXPORT const gchar *plugin_type(void)
{
    return "GTK3";
}

KW_EXPORT const gchar *plugin_licence(void)
{
    return "GPL3+";
}

KW_EXPORT const gchar *plugin_version(void)
{
    return KW_VERSION;
}

KW_EXPORT struct PluginFeature *plugin_provides(void)
{
    static struct PluginFeature features[] = {
        { PLUGIN_UTILITY, N_("Keep warm") },
        { PLUGIN_NOTHING, NULL },
    };
    return features;
}
