/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_prefs.h — Configuration → Preferences → Plugins → Keep warm.
 *
 * Two kinds of settings, kept where they belong:
 *  - how the plugin runs inside Claws (sync interval, accounts to read,
 *    the panel, paths): clawsrc, block [KeepWarm];
 *  - what keepwarm knows about the user (the default rhythm, the user's
 *    other addresses, the company's domains): the store, through the
 *    library, so that the plugin, the command and cron agree. Ignoring a
 *    company or a person is kw_ignore (the panel's menu), nothing here.
 * Settings of older versions that now live in the store are moved there
 * once (kw_prefs_migrate) and their keys dropped from clawsrc.
 * Uses kw_context.h; calls no module above it (saving is reported through the
 * callback given to kw_prefs_init). Main thread only. */
#ifndef KW_PLUGIN_PREFS_H
#define KW_PLUGIN_PREFS_H

#include <glib.h>

struct _PrefsAccount;

typedef struct {
    int    sync_interval_min;   /* 0: no periodic sync */
    char  *tracked_accounts;    /* account ids "1,3"; "" = every IMAP account */
    int    panel_enabled;
    int    panel_position;      /* divider position in the folder-view split */
    char  *keepwarm_path;       /* configured command path, "" = search PATH */
    char  *store_path;          /* "" = kw_default_store_path() */
    char  *ca_file;             /* "" = system trust */
    int    sync_deadline_s;     /* a worker running longer is killed */
} KwPrefs;

extern KwPrefs kw_prefs;

/* Read clawsrc and register the page; `saved` runs after the user saved
 * the page (the plugin applies the new settings). */
void kw_prefs_init(void (*saved)(void));
/* Move the settings of older versions (default cadence, other addresses,
 * own domains, "domains never to show") from clawsrc into the store, once;
 * needs the context (the store path). Domains the store does not know yet
 * stay in clawsrc and are moved by kw_prefs_retry() after a sync. Problems
 * go to Claws' log and the status line, never a dialog. */
void kw_prefs_migrate(void);
/* After a sync: move what kw_prefs_migrate() could not yet. Cheap when
 * nothing is left. */
void kw_prefs_retry(void);
void kw_prefs_done(void);       /* save, unregister the page (idempotent) */
void kw_prefs_save(void);       /* write [KeepWarm] */

/* Whether Keep warm reads this account (an IMAP account ticked in the page;
 * all of them by default). */
gboolean kw_prefs_account_tracked(const struct _PrefsAccount *ac);
/* The account's name in the store: its Claws name, else its server
 * (transfer none). */
const char *kw_prefs_account_name(const struct _PrefsAccount *ac);

#endif
