/* SPDX-License-Identifier: GPL-3.0-or-later */
/* view_model.h — what the Claws plugin shows, computed without GTK or Claws.
 *
 * Everything here is a pure function of libkeepwarm's structs and its pure
 * helpers (the sanitiser, the status names, the loopback rule), the wording
 * module (core/words/kw_words.h), json-glib and plain values, so it is
 * unit-tested by tests/plugin/test-view-model.c without a display.
 * Strings are translated through the "keepwarm" text domain when the plugin
 * has bound it; untranslated (English) otherwise.
 * Every returned string is (transfer full, g_free) unless marked otherwise.
 */
#ifndef KW_VIEW_MODEL_H
#define KW_VIEW_MODEL_H

#include <glib.h>
#include "keepwarm.h"
#include "words/kw_words.h"

G_BEGIN_DECLS

/* ---- presentation ------------------------------------------------------- */
/* Words (states, days, cadences, hints, reasons) come from core/words/
 * (kw_words.h); here only what is not words. */

/* A colour for the state's cell, "#rrggbb" (transfer none). */
const char *kwv_state_colour(kw_state_t state);
/* A freedesktop icon name for the state (transfer none). */
const char *kwv_state_icon(kw_state_t state);

/* ---- panel rows --------------------------------------------------------- */

typedef struct {
    char      *key;          /* target for actions: domain or address */
    char      *main_person;  /* address to write to */
    char      *title;        /* the relationship's display name */
    char      *people;       /* kw_words_people_names(): names, addresses where unknown */
    char      *since;        /* kw_words_days(days_since) */
    char      *cadence;      /* kw_words_cadence(cadence_days) */
    char      *reason;       /* kw_words_reason() */
    char      *team;         /* the team's last touch, kw_words_team_short(), or NULL */
    kw_state_t state;
    kw_target_kind_t kind;
    int64_t    snoozed_until; /* snoozed rows: until when, else 0 */
} kwv_row_t;

/* The states the panel's legend explains, in its order (transfer none);
 * *n receives how many. */
const kw_state_t *kwv_legend_states(size_t *n);

void kwv_row_free(kwv_row_t *row);
/* One row per relationship of the list, in the list's order (the library
 * ranks most valuable first and decides which states are listed; the view
 * never re-sorts or re-filters). Display strings are stripped of control
 * characters (kw_sanitize_for_display). Array of kwv_row_t* that frees its
 * rows (g_ptr_array_unref).
 * NULL list gives an empty array. */
GPtrArray *kwv_rows_build(const kw_relationship_list_t *list, int64_t as_of);

/* ---- hint bar ----------------------------------------------------------- */

/* The hint's actions and their labels are the wording module's
 * (kw_words_hint_actions, kw_words_hint_action_label); the plugin's names
 * for them: */
typedef kw_hint_action_t kwv_hint_action_t;
#define KWV_HINT_NONE        KW_HINT_NONE
#define KWV_HINT_WRITE       KW_HINT_WRITE
#define KWV_HINT_REPLY       KW_HINT_REPLY
#define KWV_HINT_SNOOZE_WEEK KW_HINT_SNOOZE_WEEK
#define KWV_HINT_DETAILS     KW_HINT_DETAILS
#define KWV_HINT_FOLLOW_UP   KW_HINT_FOLLOW_UP
#define KWV_HINT_SETTLE      KW_HINT_SETTLE
#define KWV_HINT_SNOOZE_BACK KW_HINT_SNOOZE_BACK

/* The hint's two buttons (kw_words_hint_actions). */
void kwv_hint_actions(const kw_relationship_t *rel, int64_t as_of, kwv_hint_action_t *first,
                      kwv_hint_action_t *second);
/* The day an out-of-office says they are back (kw_words_back_on). */
int64_t kwv_back_on(const kw_relationship_t *rel, int64_t as_of);
/* The button label for an action (transfer none), NULL for NONE. */
const char *kwv_hint_action_label(kwv_hint_action_t action);

/* ---- background sync ---------------------------------------------------- */

typedef enum {
    KWV_EV_UNKNOWN = 0,
    KWV_EV_CONNECTED,
    KWV_EV_FOLDERS,
    KWV_EV_FOLDER,
    KWV_EV_PROGRESS,
    KWV_EV_FOLDER_DONE,
    KWV_EV_WARNING,
    KWV_EV_DONE,     /* final: the sync ran (status ok or partial) */
    KWV_EV_ERROR     /* final: it did not */
} kwv_event_kind_t;

typedef struct {
    kwv_event_kind_t kind;
    char       *folder;      /* may be NULL */
    char       *message;     /* may be NULL */
    gboolean    has_status;  /* a final event naming a status this build knows */
    kw_status_t status;      /* the sync's outcome (kw_status_from_string) */
    gint64      done, total, new_messages;
} kwv_event_t;

/* Parse one `keepwarm sync --progress=json` line (a JSON object, read with
 * json-glib). Returns FALSE for anything that is not a JSON object (ev is
 * then cleared); unknown events and members are kept as UNKNOWN / ignored.
 * Free with kwv_event_clear(). */
gboolean kwv_event_parse(const char *line, kwv_event_t *ev);
void kwv_event_clear(kwv_event_t *ev);
/* Status-bar text for a progress event of `account`, or NULL when the event
 * does not change the status bar. */
char *kwv_event_status_text(const kwv_event_t *ev, const char *account);

/* What the user should know, and do, after a sync of `account` ended with
 * `status` (KW_OK gives NULL); `detail` (the sync's own message, or NULL)
 * is appended, sanitised: "Keep warm: the server refused the password for
 * ACCOUNT. Check it in Configuration → Edit accounts. (LOGIN failed)" */
char *kwv_sync_message(kw_status_t status, const char *account, const char *detail);

/* How a sync ended without saying how (no final progress event). */
typedef enum {
    KWV_STOP_TIMEOUT,   /* past its deadline: the plugin stopped it */
    KWV_STOP_SIGNAL,    /* killed by a signal (`code`) */
    KWV_STOP_SILENT     /* exited (`code`) without a final event */
} kwv_stop_t;
/* The message for such an end; `detail` (the last line of its error
 * output, or NULL) is appended, sanitised. */
char *kwv_sync_stopped_message(kwv_stop_t how, int code, const char *account,
                               const char *detail);

/* Claws' ssl_imap value (0 none, 1 implicit TLS, 2 STARTTLS) to the CLI's
 * --tls value (transfer none). NULL when the account must not be synced:
 * plaintext to a host that is not loopback (kw_host_is_loopback(), the
 * rule kw_sync_run() enforces), an unknown value. */
const char *kwv_tls_arg(int ssl_imap, const char *host);

typedef struct {
    const char *program;   /* the keepwarm command */
    const char *host;
    int         port;      /* 0: leave to the CLI */
    const char *tls;       /* kwv_tls_arg() */
    const char *user;
    const char *account;   /* store account name */
    const char *me;        /* the account's address, or NULL */
    const char *ca_file;   /* or NULL */
    const char *db;        /* store path */
    int         password_fd; /* fd the child reads the password from */
} kwv_sync_args_t;

/* The worker's argv (NULL-terminated, g_strfreev). It never contains a
 * secret: the password travels through password_fd only. The user's other
 * addresses are not passed: they are identities in the store. --no-team:
 * the plugin runs one team exchange per cycle itself (team.c), with its own
 * settings. */
char **kwv_sync_argv(const kwv_sync_args_t *args);

/* ---- small helpers ------------------------------------------------------ */

/* Split a list the user typed, one entry per line (commas and semicolons
 * separate too), into trimmed, non-empty items — spaces stay inside an
 * entry ("Jane Doe <jane@x>" is one entry, and is refused as one).
 * NULL-terminated, g_strfreev. */
char **kwv_split_list(const char *text);

G_END_DECLS
#endif
