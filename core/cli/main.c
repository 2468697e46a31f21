/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c — `keepwarm`: global options and the subcommand table. */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "cli.h"
#include "host.h"

typedef struct {
    const char *name;
    int (*fn)(kw_cli_t *cli, int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    { "sync",     kw_cmd_sync,     N_("Read new mail headers from IMAP accounts into the store") },
    { "today",    kw_cmd_today,    N_("The day's short list: ten minutes of account care, and your streak") },
    { "done",     kw_cmd_done,     N_("Mark an item of the day's list as done") },
    { "skip",     kw_cmd_skip,     N_("Skip an item of the day's list for today") },
    { "log",      kw_cmd_log,      N_("Record a call, meeting or visit (a touch outside mail)") },
    { "touches",  kw_cmd_touches,  N_("The calls, meetings and visits recorded for a contact") },
    { "import-ics", kw_cmd_import_ics, N_("Import meetings with your contacts from calendar files") },
    { "review",   kw_cmd_review,   N_("Week by week: what you did and what it brought back") },
    { "overdue",  kw_cmd_overdue,  N_("Relationships that need attention now, most valuable first") },
    { "show",     kw_cmd_show,     N_("The whole story of one contact or organisation") },
    { "contacts", kw_cmd_contacts, N_("Everyone you correspond with, with counts and last dates") },
    { "snooze",   kw_cmd_snooze,   N_("Hide a relationship until a date or for a while") },
    { "ignore",   kw_cmd_ignore,   N_("Never list an address or a domain again") },
    { "unignore", kw_cmd_unignore, N_("Undo ignore") },
    { "cadence",  kw_cmd_cadence,  N_("Set how often you want to be in touch (45, 6w, monthly, auto…)") },
    { "settle",   kw_cmd_settle,   N_("Say that an open question or offer needs no answer") },
    { "note",     kw_cmd_note,     N_("Attach a note to a contact or organisation") },
    { "name",     kw_cmd_name,     N_("Give an organisation or a person the name you know them by") },
    { "tier",     kw_cmd_tier,     N_("Set how important a customer is (A, B, C), or get suggestions") },
    { "undo",     kw_cmd_undo,     N_("Take back the last action (or one by its number), list them") },
    { "export",   kw_cmd_export,   N_("Export the computed model as CSV or vCard") },
    { "identity", kw_cmd_identity, N_("List, add or remove your own addresses") },
    { "config",   kw_cmd_config,   N_("Show or change the settings kept in the store") },
    { "setup-thunderbird", kw_cmd_setup_thunderbird, N_("Let the Thunderbird add-on use this keepwarm") },
    { "native-host", kw_cmd_native_host, N_("Answer the Thunderbird add-on (started by Thunderbird)") },
    { "team",     kw_cmd_team,     N_("Share with your team on its own PostgreSQL server") },
};

static const char exit_codes_help[] =
    N_("Exit codes:\n"
       "  0  success\n"
       "  1  internal error or cancelled\n"
       "  2  usage error (command line or config file)\n"
       "  3  authentication failed (wrong password or token)\n"
       "  4  TLS: certificate not trusted, handshake failed, or an insecure connection refused\n"
       "  5  network: cannot connect, connection lost, timeout\n"
       "  6  the server answered something unusable\n"
       "  7  local database: damaged, newer than this keepwarm, disk full, I/O error\n"
       "  8  another sync of this account is running\n"
       "  9  synced, but some folders were skipped\n"
       " 10  unknown contact, organisation or account\n");

static void usage(FILE *out)
{
    fputs(_("Usage: keepwarm [--db PATH] [--config PATH] [--wide] COMMAND [OPTIONS]\n\n"
            "keepwarm reads your IMAP mailboxes (headers only, read-only), learns the rhythm of\n"
            "each customer relationship and tells you which ones are going cold.\n"
            "Nothing leaves your machine.\n\nCommands:\n"), out);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, _(commands[i].summary));
    fputs(_("\nRun 'keepwarm COMMAND --help' for the options of a command.\n"
            "Files: $XDG_CONFIG_HOME/keepwarm/config, $XDG_DATA_HOME/keepwarm/keepwarm.db\n\n"), out);
    fputs(_(exit_codes_help), out);
    fputs(_("\nSee keepwarm(1) for everything.\n"), out);
}

/* The catalogue next to an uninstalled binary (build/locale), else the
 * installed one. */
static void bind_translations(void)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *dir = exe ? g_path_get_dirname(exe) : NULL;
    char *local = dir ? g_build_filename(dir, "locale", NULL) : NULL;
    const char *dirs[] = { local, KW_LOCALEDIR, NULL };
    kw_words_bind(local ? dirs : dirs + 1);
    g_free(local);
    g_free(dir);
    g_free(exe);
}

int main(int argc, char **argv)
{
    kw_cli_t cli;
    int i, rc;

    setlocale(LC_ALL, "");
    bind_translations();
    memset(&cli, 0, sizeof cli);
    cli.stdout_tty = isatty(STDOUT_FILENO);
    cli.color = cli.stdout_tty && !getenv("NO_COLOR");
    cli.width = kw_cli_terminal_width(cli.stdout_tty);

    /* Thunderbird and Firefox start a native-messaging host as
     * PROGRAM MANIFEST-PATH EXTENSION-ID: never a command line of the CLI. */
    if (argc == 3 && argv[1][0] == '/' && g_str_has_suffix(argv[1], ".json") && argv[2][0] != '-')
        return kw_host_main(&cli, argv[1], argv[2]);

    /* Global options before the command. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("keepwarm %s (store schema %d)\n", KW_VERSION, kw_store_schema_version());
            return KW_EXIT_OK;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
            usage(stdout);
            return KW_EXIT_OK;
        } else if ((strcmp(a, "--db") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
            char **slot = a[2] == 'd' ? &cli.db_path : &cli.config_path;
            g_free(*slot);
            *slot = g_strdup(argv[++i]);
        } else if (g_str_has_prefix(a, "--db=")) {
            g_free(cli.db_path);
            cli.db_path = g_strdup(a + 5);
        } else if (g_str_has_prefix(a, "--config=")) {
            g_free(cli.config_path);
            cli.config_path = g_strdup(a + 9);
        } else if (strcmp(a, "--wide") == 0) {
            cli.width = 0;
        } else if (a[0] == '-') {
            fprintf(stderr, _("keepwarm: unknown option %s\nTry 'keepwarm --help'.\n"), a);
            return KW_EXIT_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return KW_EXIT_USAGE;
    }
    for (size_t k = 0; k < G_N_ELEMENTS(commands); k++) {
        if (strcmp(argv[i], commands[k].name) == 0) {
            rc = commands[k].fn(&cli, argc - i, argv + i);
            g_free(cli.db_path);
            g_free(cli.config_path);
            return rc;
        }
    }
    fprintf(stderr, _("keepwarm: unknown command '%s'\nTry 'keepwarm --help'.\n"), argv[i]);
    g_free(cli.db_path);
    g_free(cli.config_path);
    return KW_EXIT_USAGE;
}
