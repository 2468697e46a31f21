/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli.h — shared helpers of the `keepwarm` command (not part of the library).
 * Each subcommand lives in its own file as
 *     int kw_cmd_NAME(kw_cli_t *cli, int argc, char **argv);
 * returning a process exit code (KW_EXIT_*), and is listed in main.c's table.
 * argv[0] is the subcommand name; parse the rest with GOption
 * (kw_cli_parse_options). The command prints; the library never does. */
#ifndef KW_CLI_H
#define KW_CLI_H

#include <stdio.h>
#define GETTEXT_PACKAGE "keepwarm"
#include <glib.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include "keepwarm.h"
#include "words/kw_words.h"
#include "words/kw_input.h"

/* Exit codes (documented in keepwarm(1) and `keepwarm --help`). */
enum {
    KW_EXIT_OK = 0,
    KW_EXIT_OTHER = 1,    /* internal error, out of memory, cancelled */
    KW_EXIT_USAGE = 2,    /* bad command line or config file */
    KW_EXIT_AUTH = 3,     /* wrong password / token rejected */
    KW_EXIT_TLS = 4,      /* certificate not trusted, handshake failed, insecure refused */
    KW_EXIT_NETWORK = 5,  /* cannot connect, connection lost, timeout */
    KW_EXIT_SERVER = 6,   /* the server answered something unusable */
    KW_EXIT_STORE = 7,    /* the local database: corrupt, too new, disk full, I/O */
    KW_EXIT_BUSY = 8,     /* another sync of this account is running */
    KW_EXIT_PARTIAL = 9,  /* synced, but some folders were skipped */
    KW_EXIT_NOT_FOUND = 10 /* unknown contact, organisation or account */
};

typedef struct {
    char  *db_path;     /* --db, or NULL for kw_default_store_path() */
    char  *config_path; /* --config, or NULL for $XDG_CONFIG_HOME/keepwarm/config */
    int    stdout_tty;  /* stdout is a terminal */
    int    color;       /* colour allowed: a terminal and NO_COLOR unset */
    size_t width;       /* columns tables must fit in; 0 = no limit (--wide) */
} kw_cli_t;

/* The width tables fit in: $COLUMNS when it is a number (also when the
 * output is piped), else the terminal's, else 100. */
size_t kw_cli_terminal_width(int stdout_tty);

/* Map a library status to an exit code. */
int kw_cli_exit_code(kw_status_t status);

/* Print "keepwarm: MESSAGE" and, for the status, one line saying what to do,
 * to stderr (message sanitised). Returns kw_cli_exit_code(status). */
int kw_cli_fail(kw_status_t status, const char *message);
/* kw_cli_fail(), then kw_free(error) (transfer full). */
int kw_cli_fail_free(kw_status_t status, char *error);
/* "Waiting (waiting.example)": the target as the user knows it, sanitised
 * (transfer full: g_free). */
char *kw_cli_target_words(const kw_target_t *target);
/* The same with the caller's hint line (NULL: none). */
int kw_cli_fail_hint(kw_status_t status, const char *message, const char *hint);

/* Print a usage error ("keepwarm CMD: MESSAGE" + "Try 'keepwarm CMD --help'")
 * and return KW_EXIT_USAGE. */
int kw_cli_usage_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Parse options with GOption (descriptions marked N_() are translated in
 * the "keepwarm" domain). `summary`/`description` go into --help.
 * Accepts `--db PATH` after the subcommand too (stored into cli->db_path).
 * Returns 0 on success, or an exit code to return (KW_EXIT_USAGE; KW_EXIT_OK
 * after --help was printed). *argc and *argv keep the positional arguments,
 * argv[0] still the command name. */
int kw_cli_parse_options(kw_cli_t *cli, const char *cmd, const char *params,
                         const char *summary, const char *description,
                         GOptionEntry *entries, int *argc, char ***argv);

/* Open the store at cli->db_path or the default path; on failure prints the
 * error and returns the exit code (0 on success). */
int kw_cli_open_store(kw_cli_t *cli, kw_store_mode_t mode, kw_store_t **store);

/* Resolve what the user typed as a TARGET through the model's one resolver.
 * On failure prints, in the user's language, what went wrong — several
 * candidates ("did you mean" list, exit 2), nothing by that name or address
 * (with near misses, exit 10), or the library's message — and returns the
 * exit code; 0 with *target (transfer full, kw_target_free) on success. */
int kw_cli_resolve(kw_model_t *model, const char *text, kw_target_t **target);
/* For an action: open the store read-write and resolve TEXT through the
 * model as of now (kw_cli_resolve). 0 with both (transfer full:
 * kw_store_close, kw_target_free), or the exit code with nothing open (the
 * error printed). */
int kw_cli_open_target(kw_cli_t *cli, const char *text, kw_store_t **store, kw_target_t **target);
/* "2024-03-01T10:00:00Z" (transfer full, g_free); t == 0 gives NULL. */
char *kw_cli_iso_time(int64_t t);
/* "2024-03-01" (transfer full, g_free); t == 0 gives NULL. */
char *kw_cli_iso_day(int64_t t);

/* Output formats. */
typedef enum { KW_FORMAT_TABLE, KW_FORMAT_TSV, KW_FORMAT_JSON, KW_FORMAT_CSV, KW_FORMAT_VCARD } kw_format_t;
/* Parse a --format value among `allowed` (bitmask of 1 << kw_format_t). */
int kw_cli_parse_format(const char *text, unsigned allowed, kw_format_t *out);

/* JSON: append a quoted, escaped string (or null for NULL) to out (for
 * one-line progress events; documents are built with json-glib). */
void kw_json_string(GString *out, const char *s);

/* JSON documents (json-glib): the one description of a relationship, with
 * its facts and their words, shared by every command that prints one (and
 * anything else speaking JSON for the command). Strings from mail are
 * sanitised. (transfer full, json_node_unref) */
JsonNode *kw_cli_relationship_json(const kw_relationship_t *rel, int64_t as_of);
/* One touch of a timeline: {time, address, direction (in|out|both), source,
 * subject}, likewise shared. (transfer full, json_node_unref) */
JsonNode *kw_cli_touch_json(const kw_touch_t *touch);
/* Print a document (pretty, two-space indent) and a newline to out. */
void kw_cli_print_json(FILE *out, JsonNode *root);
/* Builder helpers: a member holding a sanitised string (or null), an ISO
 * time (or null for 0). */
void kw_json_member_string(JsonBuilder *b, const char *name, const char *value);
void kw_json_member_time(JsonBuilder *b, const char *name, int64_t t);

/* RFC 4180: append one field (sanitised; quoted when it holds the
 * separator, a quote, CR or LF; quotes doubled), preceded by the separator
 * (',' for RFC 4180, ';' where Excel expects it) unless `first`. */
void kw_csv_field(GString *out, const char *s, int first, char sep);
/* RFC 6350: append "NAME:value" with the value sanitised and escaped
 * (backslash, comma, semicolon, newline), folded at 75 octets (never inside
 * a UTF-8 sequence), CRLF-terminated. */
void kw_vcard_prop(GString *out, const char *name, const char *value);
/* One CRLF-terminated vCard line, folded like kw_vcard_prop(). */
void kw_vcard_line(GString *out, const char *line);

/* "Label:  value" lines, labels padded to the widest in display columns
 * (labels are translated, so their widths vary). kw_fields_add takes the
 * value (transfer full; sanitised when printed) and an ANSI colour (or NULL,
 * used on a terminal); kw_fields_print prints to stdout and frees. */
typedef struct kw_fields kw_fields_t;
kw_fields_t *kw_fields_new(void);
void kw_fields_add(kw_fields_t *f, const char *label, char *value, const char *color);
void kw_fields_print(kw_fields_t *f, const kw_cli_t *cli);

/* A sanitised copy for printing (transfer full, g_free); NULL stays NULL. */
char *kw_cli_clean(const char *s);

/* A simple aligned table (cells are sanitised and measured in display
 * columns, UTF-8 aware). For TSV the same rows are printed tab-separated
 * with tabs/newlines in cells replaced by spaces. Colour codes (ANSI SGR,
 * e.g. "31") apply per row when cli->color. */
typedef struct kw_table kw_table_t;
kw_table_t *kw_table_new(int ncols, const char *const *headers);
void kw_table_add_row(kw_table_t *table, const char *color, const char *const *cells);
/* Column `col` may be shortened (with "…") down to `min_width` display
 * columns when the table is wider than cli->width; columns give way
 * (shrink, or are left out: kw_table_optional) lowest `order` first. */
void kw_table_shrink(kw_table_t *table, int col, size_t min_width, int order);
/* Column `col` (a long text: the reason) is printed on a line of its own
 * under each row, indented, when the table would not fit cli->width with
 * at least `min_inline` columns for it; shortened with "…" either way. */
void kw_table_detail(kw_table_t *table, int col, size_t min_inline);
/* Column `col` is left out when the table is too wide, in its `order`
 * among the columns that give way (kw_table_shrink). */
void kw_table_optional(kw_table_t *table, int col, int order);
void kw_table_print(kw_table_t *table, const kw_cli_t *cli, FILE *out, int tsv);
/* Display columns of a UTF-8 string (wide characters count 2). */
size_t kw_cli_display_width(const char *s);
/* `s` cut to at most `width` display columns, ending in "…" when cut
 * (transfer full, g_free). */
char *kw_cli_truncate(const char *s, size_t width);
/* `s` wrapped at spaces into lines of at most `width` columns (0: no
 * wrapping), every line after the first indented by `indent` spaces
 * (transfer full, g_free). */
char *kw_cli_wrap(const char *s, size_t width, size_t indent);
void kw_table_free(kw_table_t *table);

/* The configuration file (config.c). */
typedef struct {
    char  *account;
    char  *host;
    int    port;
    char  *tls;
    char  *user;
    char **me;           /* validated addresses as written (NULL: none) */
    char  *password_cmd;
    char  *token_cmd;
    char  *ca_file;
    char  *auth;
    char **include;
    char **exclude;
} kw_account_cfg_t;

/* [team]: the team's PostgreSQL server (cmd_team.c). */
typedef struct {
    int   present;       /* the file has [team] with a url */
    char *url;
    char *password_cmd;
    char *ca_file;
    int   share;         /* share = yes (default no: pull only) */
    int   timeout;       /* seconds, 0 = the library's default */
} kw_team_cfg_t;

typedef struct {
    char       *path;
    GArray     *accounts;        /* kw_account_cfg_t */
    kw_team_cfg_t team;          /* [team] */
    int         has_own_domains; /* [general] own_domains is there */
    char      **own_domains;     /* its entries; empty array = set to nothing */
    GHashTable *lines;           /* "group\x1fkey" -> line number */
    int         quiet;
} kw_config_t;

enum {
    KW_CONFIG_NEED_ACCOUNTS = 1, /* a missing file or no account group is an error */
    KW_CONFIG_QUIET = 2          /* print nothing (no warnings, no errors) */
};

/* The config file's path: --config, else $XDG_CONFIG_HOME/keepwarm/config
 * (transfer full, g_free). */
char *kw_config_default_path(kw_cli_t *cli);
/* Read the config file into *cfg (always kw_config_clear() it afterwards).
 * `only`: keep just this account. Flags KW_CONFIG_*: without NEED_ACCOUNTS
 * a missing file is an empty configuration. Unknown groups and keys are
 * warned about on stderr with file and line. Returns 0 or an exit code
 * (the error is printed unless QUIET). */
int kw_config_load(kw_cli_t *cli, const char *only, unsigned flags, kw_config_t *cfg);
void kw_config_clear(kw_config_t *cfg);
void kw_account_cfg_clear(kw_account_cfg_t *a);
/* The line of `key` in [group], 0 when absent. */
int kw_config_line(const kw_config_t *cfg, const char *group, const char *key);
/* Store [general] own_domains when the file has it. 0 or an exit code. */
int kw_config_apply_own_domains(const kw_config_t *cfg, kw_store_t *store);

/* The daily routine (cmd_today.c). Days are the user's local calendar days
 * (kw_day_local).
 * --as-of for a day's command: NULL = now; a DATE alone = that local day
 * as a whole (as of its end, or now while it lasts); else a time. Fills
 * *when (the model's as_of) and *day. Returns 0 or a usage error. */
int kw_cli_parse_day(const char *cmd, const char *text, int64_t *when, kw_day_t *day);
/* TEXT as kw_input_when() reads it, for the routine: a calendar day it names
 * (*is_day = 1; *day that local day, *when its start) or a moment (*when;
 * *day the local day holding it). */
kw_input_status_t kw_cli_read_day(const char *text, int64_t now, int64_t *when, kw_day_t *day,
                                  int *is_day);
/* The model's as_of for a DATE that names `day` as a whole: its end, or
 * `now` while it lasts (its start when it is still to come). */
int64_t kw_cli_day_as_of(const kw_day_t *day, int64_t now);
/* The day's list as `keepwarm today --format=json` prints it (the same
 * object the native host answers; words in the current language; transfer
 * full). `as_of`: the model's, for the reasons. */
JsonNode *kw_cli_today_json(const kw_today_t *today, int64_t as_of);
/* The bounds kw_review() takes for `weeks` weeks up to `when`, this one
 * included: local Mondays, then when + 1 (g_free; weeks + 1 values). */
int64_t *kw_cli_review_bounds(const kw_day_t *day, int64_t when, int weeks);
/* `keepwarm review --format=json`: {weeks: [...], overdue_sparkline}
 * (transfer full). */
JsonNode *kw_cli_review_json(const kw_review_t *review);
/* When a logged touch of TEXT was (cmd_touches.c): NULL = now; a time as
 * given; a DATE alone is now when it is today, else noon of that local day.
 * 0, or -1 when TEXT is not a date. */
int kw_cli_touch_time(const char *text, int64_t now, int64_t *out);
/* "Today: 3 of 5 done · 12-day streak · about 4 minutes left" (g_free). */
char *kw_cli_today_progress(const kw_today_t *today);
/* `keepwarm config` for the routine's keys (daily-size, daily-minutes,
 * workdays): is `key` one; set it (value or "default"); print them. */
int kw_cli_config_is_routine(const char *key);
int kw_cli_config_routine(kw_cli_t *cli, const char *key, const char *value);
int kw_cli_config_show_routine(kw_store_t *store);

/* Secrets (cmd_sync.c). A password is never taken from the command line:
 * from a file descriptor (everything up to EOF, one trailing newline
 * stripped) or from a command run through /bin/sh -c with a deadline (its
 * stdout). Both return 0, or -1 with *error set (g_free). *out: (transfer
 * full) release with kw_secret_free(), which zeroes it first. */
int  kw_cli_read_secret_fd(int fd, char **out, char **error);
int  kw_cli_run_secret_cmd(const char *cmd, char **out, char **error);

/* After `keepwarm sync`: stage, push and pull when the config file has a
 * [team] group (cmd_team.c). Never changes the sync's exit code: a failure is
 * a warning (and recorded for `keepwarm team status`); the changes wait.
 * `json`: one {"event":"team",...} line on stdout; `text`: a summary line. */
void kw_cli_team_after_sync(kw_cli_t *cli, kw_store_t *store, int json, int text);
/* After an action that changes what is shared (snooze, ignore, cadence...):
 * stage, and push when something waits, when the config file has a [team]
 * group. Quiet on success; a failure is one warning line (the change waits)
 * and never changes the action's exit code. The wait for the server is
 * capped at 5 seconds. */
void kw_cli_team_after_action(kw_cli_t *cli, kw_store_t *store);

/* Subcommands. */
int kw_cmd_sync(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_contacts(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_identity(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_overdue(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_show(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_export(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_snooze(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_ignore(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_unignore(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_cadence(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_note(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_name(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_config(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_settle(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_undo(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_setup_thunderbird(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_native_host(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_today(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_done(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_skip(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_review(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_log(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_touches(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_import_ics(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_tier(kw_cli_t *cli, int argc, char **argv);
int kw_cmd_team(kw_cli_t *cli, int argc, char **argv);

#endif
