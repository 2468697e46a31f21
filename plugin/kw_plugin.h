/* kw_plugin.h — internals shared by the files of the Claws Mail plugin.
 *
 * Layout:
 *   plugin_main.c  plugin_* entry points, hooks, the one teardown helper,
 *                  the hint bar, finding the keepwarm command
 *   panel.c        the "Keep warm" panel under the folder tree and its actions
 *   worker.c       background `keepwarm sync` children (one per account)
 *   prefs.c        the preferences page and the [KeepWarm] block of clawsrc
 *   team.c         the team: its preferences page, one `keepwarm team sync`
 *                  child per sync cycle, its status, touches in Details
 *   testhook.c     test-only introspection (KEEPWARM_PLUGIN_TEST_DUMP/_CMD)
 *   view_model.c   rows, hint actions, progress parsing (no GTK/Claws); the
 *                  words themselves come from core/words/ (kw_words.h)
 *
 * Everything runs on the GTK main thread.
 */
#ifndef KW_PLUGIN_INTERNAL_H
#define KW_PLUGIN_INTERNAL_H

#define GETTEXT_PACKAGE "keepwarm"
#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>

#include "keepwarm.h"
#include "view_model.h"

#define KW_PLUGIN_NAME "Keep warm"

struct _MainWindow;
struct _PrefsAccount;

/* ---- preferences (prefs.c) ---------------------------------------------- */
typedef struct {
    int    sync_interval_min;   /* 0: no periodic sync */
    int    default_cadence_days;
    char  *tracked_accounts;    /* account ids "1,3"; "" = every IMAP account */
    char  *extra_identities;    /* addresses, one per line / comma */
    char  *ignored_domains;     /* hidden from the panel and the hint bar */
    char  *own_domains;         /* the user's company domains (colleagues) */
    int    no_colleagues;       /* own domains set to nothing: nobody is a colleague */
    int    panel_enabled;
    int    panel_position;      /* divider position in the folder-view split */
    char  *keepwarm_path;       /* configured command path, "" = search PATH */
    char  *store_path;          /* "" = kw_default_store_path() */
    char  *ca_file;             /* "" = system trust */
    int    sync_deadline_s;     /* a worker running longer is killed */
} KwPrefs;

extern KwPrefs kw_prefs;

void kw_prefs_init(void);       /* read clawsrc, register the page */
void kw_prefs_done(void);       /* unregister the page (idempotent) */
void kw_prefs_save(void);       /* write [KeepWarm] */
/* Identities and own domains of the page into the store (bad entries shown). */
void kw_prefs_apply_to_store(void);
gboolean kw_prefs_account_tracked(const struct _PrefsAccount *ac);
gboolean kw_prefs_domain_ignored(const char *key);
/* A relationship hidden by the "domains never to show" preference. */
gboolean kw_prefs_hides(const char *key, const char *main_person);

/* ---- plugin-wide state (plugin_main.c) ---------------------------------- */
const char *kw_plugin_program(void);   /* the keepwarm command (transfer none) */
const char *kw_plugin_db_path(void);   /* the store path (transfer none) */
int64_t     kw_plugin_as_of(void);     /* now, or KEEPWARM_AS_OF for tests */
/* Open the store (read-only for queries). NULL when it does not exist yet;
 * *error (g_free) when something is wrong. (transfer full, kw_store_close) */
kw_store_t *kw_plugin_store_open(gboolean write, char **error);
/* The model as of now, loaded once and shared by the panel, the hint bar and
 * Details (transfer none). Reloaded after kw_plugin_model_drop() (the store
 * changed: a sync ended, an action, new preferences) and when older than a
 * few minutes. NULL when there is no store yet; *error (g_free) when
 * something is wrong. */
kw_model_t *kw_plugin_model(char **error);
void        kw_plugin_model_drop(void);
gboolean    kw_plugin_unloading(void);
/* The status line shown in the status bar and the panel header; NULL clears. */
void        kw_plugin_set_status(const char *text, gboolean is_error);
const char *kw_plugin_status(void);
void        kw_plugin_clear_error(void);   /* a sync succeeded */
/* The hint bar's current text, or NULL. */
const char *kw_plugin_hint_text(void);

/* ---- panel (panel.c) ---------------------------------------------------- */
void     kw_panel_init(struct _MainWindow *mainwin);  /* create model, insert */
void     kw_panel_done(gboolean interactive);         /* idempotent */
void     kw_panel_refresh(void);                      /* re-query the store */
void     kw_panel_set_header(const char *text, gboolean is_error);
gboolean kw_panel_inserted(void);
/* Row access for the test hook: number of rows, and row i (transfer none). */
guint    kw_panel_row_count(void);
const kwv_row_t *kw_panel_row(guint i);
void     kw_panel_snooze(const char *key, int days);
void     kw_panel_apply_prefs(void);                  /* panel on/off */
GtkWidget *kw_panel_folderview_widget(void);
/* Actions shared with the hint bar. */
void     kw_action_write(const char *address);
void     kw_action_details(const char *key);

/* ---- workers (worker.c) -------------------------------------------------- */
void     kw_workers_init(void);
void     kw_workers_done(void);                       /* kill children by PID */
/* Start a sync of every tracked account now (skips accounts already syncing). */
void     kw_workers_sync_all(gboolean interactive);
/* A folder of this account changed: sync soon (coalesced). */
void     kw_workers_account_touched(int account_id);
void     kw_workers_reschedule(void);                 /* interval changed */
/* The account's name in the store (transfer none). */
const char *kw_workers_account_name(const struct _PrefsAccount *ac);
/* For the test hook: finished syncs, running workers, last exit code. */
int      kw_workers_finished(void);
int      kw_workers_running(void);
void     kw_workers_describe(GString *json);

/* ---- the team (team.c) --------------------------------------------------- */
void     kw_plugin_team_init(void);                          /* read [KeepWarmTeam], register the page */
void     kw_plugin_team_done(void);                          /* idempotent: child killed by PID */
/* Every account of a cycle was read: exchange with the team server (push
 * what changed, pull what teammates changed) in one `keepwarm team sync`
 * child — PostgreSQL never runs inside Claws. No-op without a team URL. */
void     kw_plugin_team_cycle_done(void);
/* The user changed what is shared (snooze, ignore, cadence...): exchange
 * with the team in a few seconds (coalesced), whatever the interval. */
void     kw_plugin_team_changed(void);
/* Append the team's touches of `key` to a Details text. */
void     kw_plugin_team_details(GString *text, kw_model_t *model, const char *key);
/* For the test hook: {"configured":..,"running":..,"exchanges":N,"last_exit":N},
 * and what the status bar said after the last exchange (transfer none). */
void     kw_plugin_team_describe(GString *json);
const char *kw_plugin_team_status(void);

/* ---- test hook (testhook.c) ---------------------------------------------- */
void     kw_testhook_init(void);
void     kw_testhook_done(void);
void     kw_testhook_dump(const char *why);           /* no-op unless enabled */
void     kw_testhook_final_dump(GtkWidget *folderview_widget);

#endif
