/* plugin_main.c — entry points of the Keep warm Claws Mail plugin: version
 * check, finding the keepwarm command, hooks, the hint bar, and the single
 * teardown helper used by plugin_init's failure path and by plugin_done. */
#define _GNU_SOURCE 1  /* dladdr */
#include "kw_plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#define KW_EXPORT __attribute__((visibility("default")))

/* Everything the plugin owns outside the panel and the workers. */
static struct {
    gboolean   initialised;
    gboolean   unloading;
    char      *program;        /* keepwarm command */
    char      *db_path;
    kw_store_t *ro_store;      /* cached read-only handle */
    kw_model_t *model;         /* the loaded model (on ro_store) */
    gulong     hook_show_done;
    gulong     hook_item_update;
    gulong     hook_postfilter;
    char      *status;
    gboolean   status_error;
    /* hint bar */
    char      *hint_text;
    char      *hint_key;
    char      *hint_person;
    kwv_hint_action_t hint_action;
    NoticeView *hint_nv;       /* the main window's notice view we wrote to */
} G = { .hook_show_done = HOOK_NONE, .hook_item_update = HOOK_NONE,
        .hook_postfilter = HOOK_NONE };

/* ---- helpers shared with the other files -------------------------------- */

const char *kw_plugin_program(void) { return G.program; }
const char *kw_plugin_db_path(void) { return G.db_path; }
gboolean kw_plugin_unloading(void) { return G.unloading; }
const char *kw_plugin_status(void) { return G.status; }
const char *kw_plugin_hint_text(void) { return G.hint_text; }

int64_t kw_plugin_as_of(void)
{
    /* Tests pin "now" so that a generated mailbox ages the same every run. */
    const char *env = g_getenv("KEEPWARM_AS_OF");
    if (env && *env)
        return g_ascii_strtoll(env, NULL, 10);
    return (int64_t)time(NULL);
}

/* A loaded model answers for this long before it is reloaded. */
#define MODEL_MAX_AGE_S 300

void kw_plugin_model_drop(void)
{
    kw_model_free(G.model);
    G.model = NULL;
}

kw_model_t *kw_plugin_model(char **error)
{
    int64_t now = kw_plugin_as_of();
    if (G.model && now - kw_model_as_of(G.model) < MODEL_MAX_AGE_S && now >= kw_model_as_of(G.model))
        return G.model;
    kw_plugin_model_drop();
    kw_store_t *store = kw_plugin_store_open(FALSE, error);
    if (!store)
        return NULL;
    kw_model_options_t opts = { .as_of = now, .default_cadence_days = kw_prefs.default_cadence_days };
    char *err = NULL;
    kw_status_t st = kw_model_load(store, &opts, &G.model, &err);
    if (st != KW_OK && error)
        *error = g_strdup_printf(_("Keep warm: could not read the store: %s"),
                                 err ? err : kw_status_to_string(st));
    kw_free(err);
    return G.model;
}

kw_store_t *kw_plugin_store_open(gboolean write, char **error)
{
    kw_store_t *store = NULL;
    char *err = NULL;
    kw_status_t st;
    if (!write) {
        if (G.ro_store)
            return G.ro_store;
        st = kw_store_open(G.db_path, KW_STORE_READ_ONLY, &store, &err);
        if (st == KW_OK) {
            G.ro_store = store;
            return store;
        }
    } else {
        st = kw_store_open(G.db_path, KW_STORE_READ_WRITE, &store, &err);
        if (st == KW_OK)
            return store;
    }
    if (st != KW_ERR_NOT_FOUND && error)
        *error = g_strdup_printf(_("Keep warm: cannot open %s: %s"), G.db_path,
                                 err ? err : kw_status_to_string(st));
    kw_free(err);
    return NULL;
}

/* A read-only handle must not be closed by callers; this drops the cache
 * (after a sync replaced or created the file, or at teardown). */
static void store_cache_drop(void)
{
    kw_plugin_model_drop();  /* it reads through the handle */
    kw_store_close(G.ro_store);
    G.ro_store = NULL;
}

void kw_plugin_set_status(const char *text, gboolean is_error)
{
    g_free(G.status);
    G.status = text ? g_strdup(text) : NULL;
    G.status_error = is_error;
    if (!G.unloading && mainwindow_get_mainwindow()) {
        statusbar_pop_all();
        if (text)
            statusbar_print_all("%s", text);
    }
    /* The panel header keeps the last error until a sync succeeds
     * (kw_plugin_clear_error); progress only goes to the status bar. */
    if (is_error)
        kw_panel_set_header(text, TRUE);
    if (is_error && text)
        log_warning(LOG_PROTOCOL, "%s\n", text);
}

void kw_plugin_clear_error(void)
{
    if (G.status_error)
        G.status_error = FALSE;
    kw_panel_set_header(NULL, FALSE);
}

/* ---- finding the keepwarm command --------------------------------------- */

static gboolean is_executable(const char *path)
{
    return path && g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
           g_file_test(path, G_FILE_TEST_IS_EXECUTABLE);
}

/* KEEPWARM_BIN (tests), then the configured path (a file, or a directory
 * holding `keepwarm`), then PATH. (transfer full) or NULL. */
static char *find_program(void)
{
    const char *env = g_getenv("KEEPWARM_BIN");
    if (env && *env)
        return is_executable(env) ? g_canonicalize_filename(env, NULL) : NULL;
    const char *conf = kw_prefs.keepwarm_path;
    if (conf && *conf) {
        if (is_executable(conf))
            return g_strdup(conf);
        char *dir = g_file_test(conf, G_FILE_TEST_IS_DIR) ? g_strdup(conf) : g_path_get_dirname(conf);
        char *next = g_build_filename(dir, "keepwarm", NULL);
        g_free(dir);
        if (is_executable(next))
            return next;
        g_free(next);
    }
    return g_find_program_in_path("keepwarm");
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
    G.hint_action = KWV_HINT_NONE;
}

static void hint_pressed(NoticeView *nv, gpointer data)
{
    MainWindow *mainwin = mainwindow_get_mainwindow();
    if (!G.hint_key || !mainwin)
        return;
    switch (G.hint_action) {
    case KWV_HINT_WRITE:
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
        kw_panel_snooze(G.hint_key, 7);
        noticeview_hide(nv);
        hint_clear_state();
        break;
    case KWV_HINT_DETAILS:
        kw_action_details(G.hint_key);
        break;
    default:
        break;
    }
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
    if (kw_prefs_hides(rel->key, rel->main_person)) {
        kw_relationship_free(rel);
        return NULL;
    }
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
    if (noticeview_is_visible(mv->noticeview))  /* Claws is using it */
        goto out;
    kw_relationship_t *rel = relationship_for_sender(mv->msginfo->from);
    char *hint = kw_words_hint(rel, kw_plugin_as_of());
    char *text = hint ? kw_sanitize_for_display(hint) : NULL;
    g_free(hint);
    if (text) {
        G.hint_text = text;
        G.hint_key = g_strdup(rel->key);
        G.hint_person = g_strdup(rel->main_person ? rel->main_person : rel->key);
        G.hint_action = kwv_hint_action(rel);
        G.hint_nv = mv->noticeview;
        noticeview_set_icon(mv->noticeview, STOCK_PIXMAP_NOTICE_NOTE);
        noticeview_set_text(mv->noticeview, text);
        noticeview_set_button_text(mv->noticeview, kwv_hint_action_label(G.hint_action));
        noticeview_set_button_press_callback(mv->noticeview, G_CALLBACK(hint_pressed), NULL);
        noticeview_set_2ndbutton_text(mv->noticeview, NULL);
        noticeview_show(mv->noticeview);
    }
    kw_relationship_free(rel);
out:
    kw_testhook_dump("hint");
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
    G.unloading = TRUE;
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
    if (interactive && G.status && mainwindow_get_mainwindow())
        statusbar_pop_all();  /* take our last status line down */
    if (interactive)
        hint_done();
    else
        hint_clear_state();
    kw_panel_done(interactive);
    kw_testhook_done();
    kw_prefs_done();
    store_cache_drop();
    g_clear_pointer(&G.program, g_free);
    g_clear_pointer(&G.db_path, g_free);
    g_clear_pointer(&G.status, g_free);
    G.initialised = FALSE;
}

/* ---- entry points ------------------------------------------------------- */

KW_EXPORT gint plugin_init(gchar **error)
{
    bind_translations();
    if (!check_plugin_version(MAKE_NUMERIC_VERSION(4, 0, 0, 0), VERSION_NUMERIC,
                              _(KW_PLUGIN_NAME), error))
        return -1;
    G.unloading = FALSE;
    kw_prefs_init();
    kw_plugin_team_init();

    G.program = find_program();
    if (!G.program) {
        *error = g_strdup(_("Keep warm needs the “keepwarm” command, which was not found. "
                            "Install keepwarm, or set its location under Configuration → "
                            "Preferences → Plugins → Keep warm (clawsrc [KeepWarm] keepwarm_path)."));
        goto fail;
    }
    if (kw_prefs.store_path && *kw_prefs.store_path) {
        G.db_path = g_strdup(kw_prefs.store_path);
    } else {
        char *p = kw_default_store_path();
        G.db_path = g_strdup(p);
        kw_free(p);
    }
    if (!G.db_path) {
        *error = g_strdup(_("Keep warm could not work out where its store lives (is HOME set?)."));
        goto fail;
    }

    MainWindow *mainwin = mainwindow_get_mainwindow();
    if (!mainwin) {
        *error = g_strdup(_("Keep warm needs the main window."));
        goto fail;
    }
    kw_testhook_init();
    kw_panel_init(mainwin);

    G.hook_show_done = hooks_register_hook(MESSAGE_VIEW_SHOW_DONE_HOOKLIST, show_done_hook, NULL);
    G.hook_item_update = hooks_register_hook(FOLDER_ITEM_UPDATE_HOOKLIST, item_update_hook, NULL);
    G.hook_postfilter = hooks_register_hook(MAIL_POSTFILTERING_HOOKLIST, postfilter_hook, NULL);
    if (G.hook_show_done == HOOK_NONE || G.hook_item_update == HOOK_NONE ||
        G.hook_postfilter == HOOK_NONE) {
        *error = g_strdup(_("Keep warm could not register its hooks."));
        goto fail;
    }
    kw_workers_init();
    G.initialised = TRUE;
    debug_print("Keep warm plugin loaded (keepwarm: %s, store: %s)\n", G.program, G.db_path);
    kw_testhook_dump("init");
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
