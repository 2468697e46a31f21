/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_team.h — the team in Claws Mail (DESIGN.md, decision 13): its
 * preferences page (Plugins → Keep warm → Team, clawsrc [KeepWarmTeam], the
 * password in Claws' password store), one `keepwarm team sync` child per
 * sync cycle, its outcome in the status line, the team's touches in Details.
 * PostgreSQL, like IMAP, never runs inside Claws.
 * Uses kw_context.h; calls no module above it: the end of an exchange (the
 * store changed) is reported through the callbacks given to
 * kw_plugin_team_init (plugin_main.c refreshes the panel). Main thread only. */
#ifndef KW_PLUGIN_TEAM_H
#define KW_PLUGIN_TEAM_H

#include <glib.h>
#include "keepwarm.h"

typedef struct {
    /* An exchange ended (well or not): teammates' records may be new in
     * the store. */
    void (*exchanged)(void);
} KwTeamCallbacks;

/* Read [KeepWarmTeam] and register the page. `callbacks` is not copied. */
void kw_plugin_team_init(const KwTeamCallbacks *callbacks);
/* Idempotent: a running child is killed by PID and reaped; the page goes. */
void kw_plugin_team_done(void);
/* Every account of a cycle was read: exchange with the team server (push
 * what changed, pull what teammates changed) in one child, at most once a
 * minute. No-op without a team URL. */
void kw_plugin_team_cycle_done(void);
/* The user changed what is shared (snooze, ignore, rhythm): exchange in a
 * few seconds (coalesced), whatever the interval. */
void kw_plugin_team_changed(void);
/* Append the team's touches of `key` to a Details text. */
void kw_plugin_team_details(GString *text, kw_model_t *model, const char *key);

/* How the exchanges went: a team URL is set, a child runs now, exchanges
 * finished since init, the last one's exit code (-1: none yet; 124: killed
 * at its deadline), and what the status line said after it (transfer none,
 * NULL before the first). */
gboolean    kw_plugin_team_configured(void);
gboolean    kw_plugin_team_running(void);
int         kw_plugin_team_exchanges(void);
int         kw_plugin_team_last_exit(void);
const char *kw_plugin_team_status(void);

#endif
