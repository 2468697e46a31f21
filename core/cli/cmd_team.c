/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_team.c — `keepwarm team ...`: sharing with the team on its own
 * PostgreSQL server, and the push/pull after `keepwarm sync`.
 *
 * A member's config file has a [team] group:
 *
 *   [team]
 *   url = postgresql://jan@db.example.com/sales
 *   password_cmd = pass show keepwarm/team   # never stored; optional
 *   share = yes                              # opt-in: default no (pull only)
 *   # ca_file = /etc/ssl/team-ca.pem
 *   # timeout = 30
 *
 * The admin's commands (init, add-member, remove-member) take --url and the
 * admin's password on --password-fd. No password is ever taken from the
 * command line, the URL or the environment.
 *
 * A member's exchange (push, pull, or both over one connection: `team sync`,
 * which the Claws plugin runs once per sync cycle) takes its server from
 * [team], or entirely from the command line (--url, --member, --share,
 * --password-fd): the plugin keeps its own settings.
 */
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <glib.h>

#include "cli.h"

typedef struct {
    int   present;       /* the config file has [team] with a url */
    char *url;
    char *password_cmd;
    char *ca_file;
    int   share;
    int   timeout;
    char *path;          /* the config file, for messages */
} team_cfg_t;

static void team_cfg_clear(team_cfg_t *c)
{
    g_free(c->url);
    g_free(c->password_cmd);
    g_free(c->ca_file);
    g_free(c->path);
    memset(c, 0, sizeof *c);
}

/* The [team] group, as config.c read and checked it (KW_CONFIG_QUIET: no
 * warnings about other groups). Returns 0 (cfg->present says whether there
 * is one) or an exit code after printing the problem. */
static int team_cfg_load(kw_cli_t *cli, unsigned flags, team_cfg_t *cfg)
{
    kw_config_t file;
    int rc = kw_config_load(cli, NULL, flags, &file);

    memset(cfg, 0, sizeof *cfg);
    if (rc == 0) {
        cfg->present = file.team.present;
        cfg->share = file.team.share;
        cfg->timeout = file.team.timeout;
        cfg->url = file.team.url;
        cfg->password_cmd = file.team.password_cmd;
        cfg->ca_file = file.team.ca_file;
        memset(&file.team, 0, sizeof file.team);
    }
    cfg->path = file.path;
    file.path = NULL;
    kw_config_clear(&file);
    return rc;
}

/* The password: from --password-fd, else password_cmd, else none (the server
 * may not ask for one). Returns 0, or an exit code after printing. */
static int team_secret(const char *cmd, int fd, const char *password_cmd, char **out)
{
    char *error = NULL;
    int r;

    *out = NULL;
    if (fd >= 0)
        r = kw_cli_read_secret_fd(fd, out, &error);
    else if (password_cmd)
        r = kw_cli_run_secret_cmd(password_cmd, out, &error);
    else
        return 0;
    if (r == 0)
        return 0;
    fprintf(stderr, "keepwarm %s: %s\n", cmd, error);
    g_free(error);
    return KW_EXIT_USAGE;
}

static const char *team_hint(kw_status_t st)
{
    switch (st) {
    case KW_ERR_AUTH:
        return _("check the user in the team URL and the password (password_cmd in [team], or "
                 "--password-fd); the team's admin adds members with 'keepwarm team add-member'");
    case KW_ERR_TLS:
        return _("the team server's certificate was not accepted (name and chain are checked); "
                 "for a private CA set ca_file in [team] or use --ca-file");
    case KW_ERR_NETWORK:
        return _("nothing is lost: the changes wait in the local outbox for the next push");
    case KW_ERR_STORE:
    case KW_ERR_STORE_CORRUPT:
    case KW_ERR_STORE_TOO_NEW:
        return _("check free disk space and permissions of the database directory");
    default:
        return NULL;
    }
}

static int team_fail(kw_status_t st, const char *message)
{
    return kw_cli_fail_hint(st, message, team_hint(st));
}

/* No core dumps (and no /proc/PID/mem for others) while a password is in memory. */
static void protect_secrets(void)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static int parse_output(const char *cmd, const char *text, kw_format_t *out)
{
    *out = KW_FORMAT_TABLE;
    if (text && kw_cli_parse_format(text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                              1u << KW_FORMAT_JSON, out) != 0)
        return kw_cli_usage_error(cmd, _("--format: use table, tsv or json, not '%s'"), text);
    return 0;
}

static void member_int(JsonBuilder *b, const char *name, int64_t v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static void member_bool(JsonBuilder *b, const char *name, int v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, v != 0);
}

/* ---- admin ------------------------------------------------------------------ */

typedef struct {
    char *url;
    char *ca_file;
    int   password_fd;
    int   timeout;
} admin_opts_t;

#define ADMIN_ENTRIES(o)                                                                              \
    { "url", 0, 0, G_OPTION_ARG_STRING, &(o).url, N_("The team database, as its admin: postgresql://ADMIN@HOST/DB"), "URL" }, \
    { "password-fd", 0, 0, G_OPTION_ARG_INT, &(o).password_fd, N_("Read the admin's password from this file descriptor"), "N" }, \
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &(o).ca_file, N_("Trust the CA certificates in this PEM file"), N_("FILE") }, \
    { "timeout", 0, 0, G_OPTION_ARG_INT, &(o).timeout, N_("Give up waiting for the server after S seconds (default 30)"), "S" }

static void admin_opts_clear(admin_opts_t *o)
{
    g_free(o->url);
    g_free(o->ca_file);
}

/* Check --url and read the admin's password. 0 or an exit code. */
static int admin_prepare(const char *cmd, admin_opts_t *o, kw_team_server_t *server, char **secret)
{
    int rc;
    *secret = NULL;
    if (!o->url)
        return kw_cli_usage_error(cmd, _("--url is required: the team database, e.g. "
                                         "postgresql://admin@db.example.com/sales"));
    if (o->timeout < 0)
        return kw_cli_usage_error(cmd, _("--timeout must be positive"));
    protect_secrets();
    rc = team_secret(cmd, o->password_fd, NULL, secret);
    if (rc)
        return rc;
    memset(server, 0, sizeof *server);
    server->url = o->url;
    server->password = *secret;
    server->ca_file = o->ca_file;
    server->timeout_s = o->timeout;
    return 0;
}

static int cmd_init(kw_cli_t *cli, int argc, char **argv)
{
    admin_opts_t o = { NULL, NULL, -1, 0 };
    GOptionEntry entries[] = { ADMIN_ENTRIES(o), { NULL, 0, 0, 0, NULL, NULL, NULL } };
    kw_team_server_t server;
    char *secret = NULL, *error = NULL;
    kw_status_t st;
    int rc, version = 0;

    rc = kw_cli_parse_options(cli, "team init", NULL,
                              _("Create (or upgrade) the team schema on the team's PostgreSQL server."),
                              _("Run once, as a role that owns the database and has CREATEROLE.\n"
                                "It creates schema \"keepwarm\", a group role for the members and\n"
                                "row-level security (members write only their own rows).\n"
                                "Running it again is harmless; after a keepwarm upgrade it upgrades the schema."),
                              entries, &argc, &argv);
    if (rc == 0 && argc > 1)
        rc = kw_cli_usage_error("team init", _("unexpected argument '%s'"), argv[1]);
    if (rc == 0)
        rc = admin_prepare("team init", &o, &server, &secret);
    if (rc == 0) {
        st = kw_team_init(&server, &version, &error);
        if (st != KW_OK)
            rc = team_fail(st, error);
        else
            printf(_("The team schema (version %d) is ready. Add members with:\n"
                     "  keepwarm team add-member NAME --url URL --member-password-fd N\n"), version);
    }
    kw_secret_free(secret);
    kw_free(error);
    admin_opts_clear(&o);
    return rc;
}

static int cmd_add_member(kw_cli_t *cli, int argc, char **argv)
{
    admin_opts_t o = { NULL, NULL, -1, 0 };
    char *display = NULL, *secret = NULL, *member_secret = NULL, *error = NULL;
    int member_fd = -1, rc;
    GOptionEntry entries[] = {
        ADMIN_ENTRIES(o),
        { "display-name", 0, 0, G_OPTION_ARG_STRING, &display, N_("How teammates see this member (e.g. \"Jan Weber\")"), N_("TEXT") },
        { "member-password-fd", 0, 0, G_OPTION_ARG_INT, &member_fd, N_("Read the member's new password from this file descriptor"), "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_team_server_t server;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "team add-member", _("NAME"),
                              _("Give a login role the team's rights (creating it when missing)."),
                              _("NAME is the member's role name (lower-case letters, digits, _ . -).\n"
                                "The member's password is read from --member-password-fd and sent\n"
                                "only as a SCRAM verifier; without it the role has no password\n"
                                "(for certificate or GSSAPI logins). Running it again for an existing\n"
                                "member sets the display name or password given."),
                              entries, &argc, &argv);
    if (rc == 0 && argc != 2)
        rc = kw_cli_usage_error("team add-member", "%s", _("give exactly one member NAME"));
    if (rc == 0 && member_fd >= 0 && member_fd == o.password_fd)
        rc = kw_cli_usage_error("team add-member", "%s", _("--password-fd and --member-password-fd must differ"));
    if (rc == 0)
        rc = admin_prepare("team add-member", &o, &server, &secret);
    if (rc == 0 && member_fd >= 0)
        rc = team_secret("team add-member", member_fd, NULL, &member_secret);
    if (rc == 0) {
        st = kw_team_add_member(&server, argv[1], display, member_secret, &error);
        if (st != KW_OK) {
            rc = team_fail(st, error);
        } else {
            printf(member_secret ? _("%s is a member of the team.\n")
                                 : _("%s is a member of the team. (No password was set.)\n"),
                   argv[1]);
            printf(_("Their config file needs:\n  [team]\n  url = postgresql://%s@HOST/DATABASE\n"
                     "  password_cmd = ...\n  share = yes\n"), argv[1]);
        }
    }
    kw_secret_free(secret);
    kw_secret_free(member_secret);
    kw_free(error);
    g_free(display);
    admin_opts_clear(&o);
    return rc;
}

static int cmd_remove_member(kw_cli_t *cli, int argc, char **argv)
{
    admin_opts_t o = { NULL, NULL, -1, 0 };
    GOptionEntry entries[] = { ADMIN_ENTRIES(o), { NULL, 0, 0, 0, NULL, NULL, NULL } };
    kw_team_server_t server;
    char *secret = NULL, *error = NULL, *note = NULL;
    kw_status_t st;
    int rc;

    rc = kw_cli_parse_options(cli, "team remove-member", _("NAME"),
                              _("Remove a member: their shared rows, their rights, and the login\n"
                                "role when 'team add-member' created it."),
                              NULL, entries, &argc, &argv);
    if (rc == 0 && argc != 2)
        rc = kw_cli_usage_error("team remove-member", "%s", _("give exactly one member NAME"));
    if (rc == 0)
        rc = admin_prepare("team remove-member", &o, &server, &secret);
    if (rc == 0) {
        st = kw_team_remove_member(&server, argv[1], &note, &error);
        if (st != KW_OK) {
            rc = team_fail(st, error);
        } else {
            printf(_("%s is no longer a member of the team.\n"), argv[1]);
            if (note) {
                char *clean = kw_sanitize_for_display(note);
                fprintf(stderr, _("keepwarm: note: %s\n"), clean);
                kw_free(clean);
            }
        }
    }
    kw_secret_free(secret);
    kw_free(error);
    kw_free(note);
    admin_opts_clear(&o);
    return rc;
}

/* ---- member ------------------------------------------------------------------- */

typedef struct {
    char *url;
    char *member;
    char *ca_file;
    char *share;
    int   password_fd;
    int   timeout;
} member_opts_t;

#define MEMBER_ENTRIES(o)                                                                             \
    { "url", 0, 0, G_OPTION_ARG_STRING, &(o).url, N_("The team server (default: url in [team])"), "URL" }, \
    { "member", 0, 0, G_OPTION_ARG_STRING, &(o).member, N_("Log in as this member (default: the user in the URL)"), N_("NAME") }, \
    { "password-fd", 0, 0, G_OPTION_ARG_INT, &(o).password_fd, N_("Read the password from this file descriptor (default: password_cmd in [team])"), "N" }, \
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &(o).ca_file, N_("Trust the CA certificates in this PEM file"), N_("FILE") }, \
    { "timeout", 0, 0, G_OPTION_ARG_INT, &(o).timeout, N_("Give up waiting for the server after S seconds (default 30)"), "S" }
#define SHARE_ENTRY(o) \
    { "share", 0, 0, G_OPTION_ARG_STRING, &(o).share, N_("Share your records (yes) or remove them from the server (no); default: share in [team]"), "yes|no" }

/* The config and the command line together: the server to talk to, and
 * whether to share (*share: 1, 0, or -1 when neither says: then nothing is
 * staged and what is already staged is sent). Returns 0 or an exit code;
 * *secret: (transfer full) kw_secret_free. */
static int member_prepare(kw_cli_t *cli, const char *cmd, member_opts_t *o, team_cfg_t *cfg,
                          kw_team_server_t *server, int *share, char **secret)
{
    int rc;

    *secret = NULL;
    rc = team_cfg_load(cli, 0, cfg);
    if (rc)
        return rc;
    if (!o->url && !cfg->present)
        return kw_cli_usage_error(cmd, _("no team configured: add a [team] group with url = "
                                         "postgresql://USER@HOST/DATABASE to %s, or give --url"),
                                  cfg->path);
    if (o->timeout < 0)
        return kw_cli_usage_error(cmd, "%s", _("--timeout must be positive"));
    *share = cfg->present ? cfg->share : -1;
    if (o->share) {
        if (!g_ascii_strcasecmp(o->share, "yes") || !g_ascii_strcasecmp(o->share, "true"))
            *share = 1;
        else if (!g_ascii_strcasecmp(o->share, "no") || !g_ascii_strcasecmp(o->share, "false"))
            *share = 0;
        else
            return kw_cli_usage_error(cmd, _("--share: use yes or no, not '%s'"), o->share);
    }
    protect_secrets();
    rc = team_secret(cmd, o->password_fd, cfg->password_cmd, secret);
    if (rc)
        return rc;
    memset(server, 0, sizeof *server);
    server->url = o->url ? o->url : cfg->url;
    server->user = o->member;
    server->password = *secret;
    server->ca_file = o->ca_file ? o->ca_file : cfg->ca_file;
    server->timeout_s = o->timeout ? o->timeout : cfg->timeout;
    return 0;
}

static void member_opts_clear(member_opts_t *o)
{
    g_free(o->url);
    g_free(o->member);
    g_free(o->ca_file);
    g_free(o->share);
}

/* "N changes wait for the next push" (transfer full). */
static char *pending_words(int64_t n)
{
    return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%lld change waits for the next push",
                                       "%lld changes wait for the next push", (gulong) n),
                           (long long) n);
}

/* The outcome of an exchange as JSON: the same members for `team push`,
 * `team pull`, `team sync` (--format=json) and the event after `keepwarm
 * sync`. */
static JsonNode *exchange_json(const char *event, kw_status_t st, int share,
                               const kw_team_push_report_t *push, const kw_team_pull_report_t *pull,
                               const char *error)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    json_builder_begin_object(b);
    if (event)
        kw_json_member_string(b, "event", event);
    kw_json_member_string(b, "status", kw_status_to_string(st));
    member_int(b, "exit", kw_cli_exit_code(st));
    json_builder_set_member_name(b, "share");
    if (share < 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_boolean_value(b, share);
    member_int(b, "pushed", push ? push->upserts : 0);
    member_int(b, "removed", push ? push->deletes : 0);
    member_int(b, "pending", push ? push->pending : 0);
    member_int(b, "pulled", pull ? pull->records : 0);
    member_int(b, "pulled_removed", pull ? pull->deleted : 0);
    member_int(b, "members", pull ? pull->members : 0);
    kw_json_member_string(b, "message", error);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

typedef enum { EXCHANGE_PUSH, EXCHANGE_PULL, EXCHANGE_SYNC } exchange_t;

/* push (stage, then send), pull (copy the teammates' changes), or both over
 * one connection (sync). */
static int exchange_command(kw_cli_t *cli, int argc, char **argv, exchange_t what)
{
    static const char *const names[] = { "team push", "team pull", "team sync" };
    const char *cmd = names[what];
    member_opts_t o = { NULL, NULL, NULL, NULL, -1, 0 };
    char *format_text = NULL, *secret = NULL, *error = NULL;
    GOptionEntry entries[] = {
        MEMBER_ENTRIES(o),
        SHARE_ENTRY(o),
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: text)"), "text|json" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_team_push_report_t pr;
    kw_team_pull_report_t lr;
    kw_team_server_t server;
    kw_store_t *store = NULL;
    team_cfg_t cfg;
    kw_status_t st = KW_OK;
    int rc, share = -1, json = 0;

    memset(&cfg, 0, sizeof cfg);
    memset(&pr, 0, sizeof pr);
    memset(&lr, 0, sizeof lr);
    if (what == EXCHANGE_PULL)
        entries[5].flags = G_OPTION_FLAG_HIDDEN; /* --share: a pull shares nothing */
    switch (what) {
    case EXCHANGE_PUSH:
        rc = kw_cli_parse_options(cli, cmd, NULL,
                                  _("Send what changed in what you share to the team server."),
                                  _("What is shared: see 'keepwarm team show-shared'. With share = no in\n"
                                    "[team] (or --share no), records shared before are removed from the\n"
                                    "server. Without either (only --url), what is already staged is sent.\n"
                                    "When the server cannot be reached, the changes wait for the next push."),
                                  entries, &argc, &argv);
        break;
    case EXCHANGE_PULL:
        rc = kw_cli_parse_options(cli, cmd, NULL,
                                  _("Copy what your teammates share into the local store."),
                                  _("Only what changed since the last pull is read. 'keepwarm team list'\n"
                                    "shows it, without the network."),
                                  entries, &argc, &argv);
        break;
    default:
        rc = kw_cli_parse_options(cli, cmd, NULL,
                                  _("Push what changed, then pull what teammates changed, over one connection."),
                                  _("What 'keepwarm sync' does after reading mail (the Claws Mail plugin\n"
                                    "runs it once per sync cycle). A failed push skips the pull; the\n"
                                    "changes wait for the next time."),
                                  entries, &argc, &argv);
        break;
    }
    if (rc == 0 && argc > 1)
        rc = kw_cli_usage_error(cmd, _("unexpected argument '%s'"), argv[1]);
    if (rc == 0 && format_text) {
        json = !strcmp(format_text, "json");
        if (!json && strcmp(format_text, "text") != 0)
            rc = kw_cli_usage_error(cmd, _("--format: use text or json, not '%s'"), format_text);
    }
    if (rc == 0)
        rc = member_prepare(cli, cmd, &o, &cfg, &server, &share, &secret);
    if (rc == 0)
        rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store);
    if (rc)
        goto done;
    if (what == EXCHANGE_SYNC && share >= 0) {
        st = kw_team_sync(store, &server, share, now_s(), &pr, &lr, &error);
    } else if (what != EXCHANGE_PULL) {
        /* Without a share setting: send what is already staged, decide nothing. */
        if (share >= 0)
            st = kw_team_stage(store, share, now_s(), NULL, &error);
        if (st == KW_OK)
            st = kw_team_push(store, &server, &pr, &error);
        if (st == KW_OK && what == EXCHANGE_SYNC)
            st = kw_team_pull(store, &server, &lr, &error);
    } else {
        st = kw_team_pull(store, &server, &lr, &error);
    }
    if (json) {
        JsonNode *root = exchange_json(NULL, st, what == EXCHANGE_PULL ? -1 : share,
                                       what == EXCHANGE_PULL ? NULL : &pr,
                                       what == EXCHANGE_PUSH ? NULL : &lr, error);
        kw_cli_print_json(stdout, root);
        json_node_unref(root);
    }
    if (st != KW_OK) {
        rc = team_fail(st, error);
        if (what != EXCHANGE_PULL && st != KW_ERR_STORE && st != KW_ERR_USAGE && pr.pending > 0) {
            char *w = pending_words(pr.pending);
            fprintf(stderr, "keepwarm: %s\n", w);
            g_free(w);
        }
        goto done;
    }
    if (json)
        goto done;
    if (what != EXCHANGE_PULL) {
        printf(g_dngettext(GETTEXT_PACKAGE, "Pushed %lld record, removed %lld.",
                           "Pushed %lld records, removed %lld.",
                           (gulong) pr.upserts),
               (long long) pr.upserts, (long long) pr.deletes);
        if (share < 0)
            printf(" %s", _("(No share setting: only what was already staged.)"));
        else if (!share)
            printf(" %s", _("(Sharing is off.)"));
        putchar('\n');
    }
    if (what != EXCHANGE_PUSH) {
        char *members = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "the team has %lld member",
                                                    "the team has %lld members",
                                                    (gulong) lr.members),
                                        (long long) lr.members);
        printf(g_dngettext(GETTEXT_PACKAGE, "Pulled %lld record%s, %lld removed; %s.\n",
                           "Pulled %lld records%s, %lld removed; %s.\n",
                           (gulong) lr.records),
               (long long) lr.records, lr.full ? _(" (everything)") : "", (long long) lr.deleted, members);
        g_free(members);
    }
done:
    kw_secret_free(secret);
    kw_free(error);
    kw_store_close(store);
    team_cfg_clear(&cfg);
    member_opts_clear(&o);
    g_free(format_text);
    return rc;
}

static int cmd_push(kw_cli_t *cli, int argc, char **argv)
{
    return exchange_command(cli, argc, argv, EXCHANGE_PUSH);
}

static int cmd_pull(kw_cli_t *cli, int argc, char **argv)
{
    return exchange_command(cli, argc, argv, EXCHANGE_PULL);
}

static int cmd_sync(kw_cli_t *cli, int argc, char **argv)
{
    return exchange_command(cli, argc, argv, EXCHANGE_SYNC);
}

/* Stage with the config's share setting and exchange with the team server
 * (push and pull, or only push), never failing the command that ran before:
 * a failure is a warning, the changes wait (and `team status` shows it).
 * `timeout_cap` > 0 bounds the wait (after a quick action nobody wants to
 * wait half a minute for a server that is away). */
static void team_after(kw_cli_t *cli, kw_store_t *store, int pull, int timeout_cap, int json,
                       int text)
{
    team_cfg_t cfg;
    kw_team_server_t server;
    kw_team_push_report_t push;
    kw_team_pull_report_t lr;
    char *secret = NULL, *error = NULL;
    int64_t changes = 0;
    kw_status_t st = KW_OK;

    if (!store || team_cfg_load(cli, KW_CONFIG_QUIET, &cfg) != 0 || !cfg.present) {
        team_cfg_clear(&cfg);
        return;
    }
    memset(&push, 0, sizeof push);
    memset(&lr, 0, sizeof lr);
    memset(&server, 0, sizeof server);
    server.url = cfg.url;
    server.ca_file = cfg.ca_file;
    server.timeout_s = cfg.timeout > 0 ? cfg.timeout : 30;
    if (timeout_cap > 0 && server.timeout_s > timeout_cap)
        server.timeout_s = timeout_cap;
    protect_secrets();
    if (!pull) {
        /* an action: stage; push only when something is waiting */
        st = kw_team_stage(store, cfg.share, now_s(), &changes, &error);
        if (st == KW_OK) {
            kw_team_status_t *ts = NULL;
            if (kw_team_status_get(store, &ts, NULL) == KW_OK)
                push.pending = ts->pending;
            kw_team_status_free(ts);
            if (push.pending == 0)
                goto out;
        }
    }
    if (st == KW_OK && cfg.password_cmd && kw_cli_run_secret_cmd(cfg.password_cmd, &secret, &error) != 0) {
        /* The changes are staged all the same: they wait for the next push. */
        kw_team_status_t *ts = NULL;
        st = KW_ERR_USAGE;
        if (pull)
            kw_team_stage(store, cfg.share, now_s(), NULL, NULL);
        if (kw_team_status_get(store, &ts, NULL) == KW_OK)
            push.pending = ts->pending;
        kw_team_status_free(ts);
    } else if (st == KW_OK) {
        server.password = secret;
        st = pull ? kw_team_sync(store, &server, cfg.share, now_s(), &push, &lr, &error)
                  : kw_team_push(store, &server, &push, &error);
    }
    kw_secret_free(secret);
    if (json) {
        JsonNode *root = exchange_json("team", st, cfg.share, &push, &lr, error);
        JsonGenerator *g = json_generator_new();
        char *line;
        json_generator_set_root(g, root);
        line = json_generator_to_data(g, NULL);
        printf("%s\n", line);
        fflush(stdout);
        g_free(line);
        g_object_unref(g);
        json_node_unref(root);
    }
    if (st != KW_OK) {
        char *clean = kw_sanitize_for_display(error ? error : kw_status_to_string(st));
        fprintf(stderr, _("keepwarm: team: warning: %s\n"), clean);
        if (push.pending > 0) {
            char *w = pending_words(push.pending);
            fprintf(stderr, "keepwarm: team: %s\n", w);
            g_free(w);
        }
        kw_free(clean);
    } else if (text) {
        fprintf(stderr, _("team: pushed %lld, removed %lld"
                          ", pulled %lld\n"),
                (long long) push.upserts, (long long) push.deletes, (long long) lr.records);
    }
out:
    kw_free(error);
    team_cfg_clear(&cfg);
}

void kw_cli_team_after_sync(kw_cli_t *cli, kw_store_t *store, int json, int text)
{
    team_after(cli, store, 1, 0, json, text);
}

void kw_cli_team_after_action(kw_cli_t *cli, kw_store_t *store)
{
    team_after(cli, store, 0, 5, 0, 0);
}

/* ---- local views ------------------------------------------------------------------ */

static void record_json(JsonBuilder *b, const kw_team_record_t *r, int pulled)
{
    json_builder_begin_object(b);
    kw_json_member_string(b, "kind", kw_team_record_kind_to_string(r->kind));
    if (pulled) {
        kw_json_member_string(b, "member", r->member);
        kw_json_member_string(b, "member_name", r->member_name);
    }
    kw_json_member_string(b, "key", r->key);
    kw_json_member_string(b, "org", r->org);
    kw_json_member_string(b, "person", r->person);
    kw_json_member_string(b, "name", r->name);
    kw_json_member_time(b, "last_inbound", r->last_inbound);
    kw_json_member_time(b, "last_outbound", r->last_outbound);
    kw_json_member_time(b, "last_exchange", r->last_exchange);
    member_int(b, "exchanges", r->exchanges);
    member_int(b, "cadence_days", r->cadence_days);
    kw_json_member_string(b, "state", r->kind == KW_TEAM_RECORD_TOUCH ? NULL : kw_state_to_string(r->state));
    kw_json_member_string(b, "touch_kind", r->touch_kind);
    kw_json_member_time(b, "touch_time", r->touch_time);
    if (pulled)
        kw_json_member_time(b, "updated", r->updated);
    json_builder_end_object(b);
}

static void records_json(JsonBuilder *b, const kw_team_record_list_t *list, int pulled)
{
    json_builder_begin_array(b);
    for (size_t i = 0; i < list->count; i++)
        record_json(b, &list->items[i], pulled);
    json_builder_end_array(b);
}

/* Print the builder's document and free the builder. */
static void print_builder(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    kw_cli_print_json(stdout, root);
    json_node_unref(root);
    g_object_unref(b);
}

/* Records as a table (or TSV): your own (`pulled` 0: exact times, as sent)
 * or your teammates' (with who holds them, times relative to now). */
static void records_table(kw_cli_t *cli, const kw_team_record_list_t *list, int pulled, int tsv,
                          int64_t now)
{
    static const char *const tsv_head[] = { "org", "kind", "person", "member", "last_inbound",
                                            "last_outbound", "last_exchange", "exchanges",
                                            "cadence_days", "state" };
    const char *head[] = { _("ORG"), _("KIND"), _("PERSON"), _("MEMBER"), _("LAST INBOUND"),
                           _("LAST OUTBOUND"), _("LAST EXCHANGE"), _("EXCHANGES"), _("RHYTHM"),
                           _("STATE") };
    /* Teammates' records: no inbound/outbound columns, relative times. */
    static const int pulled_cols[] = { 0, 1, 2, 3, 6, 7, 8, 9 };
    static const int own_cols[] = { 0, 1, 2, 4, 5, 6, 7, 8, 9 };
    const int *cols = pulled ? pulled_cols : own_cols;
    int ncols = pulled ? (int)G_N_ELEMENTS(pulled_cols) : (int)G_N_ELEMENTS(own_cols);
    const char *h[G_N_ELEMENTS(head)];
    kw_table_t *t;

    for (int c = 0; c < ncols; c++)
        h[c] = tsv ? tsv_head[cols[c]] : head[cols[c]];
    t = kw_table_new(ncols, h);
    for (size_t i = 0; i < list->count; i++) {
        const kw_team_record_t *r = &list->items[i];
        char *cell[G_N_ELEMENTS(head)];
        const char *row[G_N_ELEMENTS(head)];
        int64_t times[3] = { r->last_inbound, r->last_outbound, r->last_exchange };
        cell[0] = g_strdup(r->org);
        cell[1] = g_strdup(kw_team_record_kind_to_string(r->kind));
        cell[2] = r->person && r->name ? g_strdup_printf("%s <%s>", r->name, r->person)
                                       : g_strdup(r->person);
        cell[3] = r->member_name ? g_strdup_printf("%s (%s)", r->member_name, r->member)
                                 : g_strdup(r->member);
        for (int k = 0; k < 3; k++)
            cell[4 + k] = pulled && !tsv ? kw_words_ago(times[k], now) : kw_cli_iso_time(times[k]);
        cell[7] = g_strdup_printf("%d", r->exchanges);
        cell[8] = r->cadence_days <= 0 ? g_strdup("")
                  : tsv ? g_strdup_printf("%d", r->cadence_days) : kw_words_cadence(r->cadence_days);
        cell[9] = g_strdup(r->kind == KW_TEAM_RECORD_TOUCH ? r->touch_kind : kw_state_to_string(r->state));
        for (int c = 0; c < ncols; c++)
            row[c] = cell[cols[c]];
        kw_table_add_row(t, NULL, row);
        for (size_t c = 0; c < G_N_ELEMENTS(head); c++)
            g_free(cell[c]);
    }
    kw_table_print(t, cli, stdout, tsv);
    kw_table_free(t);
}

/* show-shared (what you share) and list (what teammates share). */
static int records_command(kw_cli_t *cli, int argc, char **argv, int pulled)
{
    const char *cmd = pulled ? "team list" : "team show-shared";
    char *format_text = NULL, *as_of_text = NULL, *error = NULL;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|tsv|json" },
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("Compute the states as of this date (default: now)"), N_("DATE") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_team_record_list_t *list = NULL;
    kw_store_t *store = NULL;
    kw_format_t format;
    team_cfg_t cfg;
    int64_t now = now_s(), as_of = now;
    kw_status_t st;
    int rc;

    memset(&cfg, 0, sizeof cfg);
    if (pulled)
        entries[1].long_name = NULL; /* no --as-of: teammates computed their states */
    rc = pulled ? kw_cli_parse_options(cli, cmd, _("[ORG]"),
                                       _("What your teammates share (as of the last pull; no network)."),
                                       _("ORG: an organisation domain or an address (its organisation)."),
                                       entries, &argc, &argv)
                : kw_cli_parse_options(cli, cmd, NULL,
                                       _("Print exactly what you share with the team: every field of every record."),
                                       _("Shared: per organisation and per person you have a relationship with\n"
                                         "(not ignored): organisation key, address and display name, last\n"
                                         "inbound/outbound/exchange times, exchanges, rhythm and state; and\n"
                                         "their calls, meetings and visits: kind, time and person. Never\n"
                                         "subjects, message ids, bodies, notes or names you gave. Nothing is\n"
                                         "sent while share = no (the default) in [team]."),
                                       entries, &argc, &argv);
    if (rc == 0 && argc > (pulled ? 2 : 1))
        rc = kw_cli_usage_error(cmd, _("unexpected argument '%s'"), argv[pulled ? 2 : 1]);
    if (rc == 0)
        rc = parse_output(cmd, format_text, &format);
    if (rc == 0 && as_of_text &&
        (kw_input_when(as_of_text, (int64_t) time(NULL), &as_of) != KW_INPUT_OK || as_of <= 0))
        rc = kw_cli_usage_error(cmd, _("--as-of: not a date: '%s' (use 2024-03-01, "
                                       "01.03.2024, 2024-03-01T10:00:00Z or now)"), as_of_text);
    if (rc == 0 && !pulled)
        rc = team_cfg_load(cli, 0, &cfg);
    if (rc == 0)
        rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store);
    if (rc)
        goto done;
    st = pulled ? kw_team_records(store, argc == 2 ? argv[1] : NULL, &list, &error)
                : kw_team_shared_records(store, as_of, &list, &error);
    if (st != KW_OK) {
        rc = team_fail(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON) {
        JsonBuilder *b = json_builder_new();
        if (!pulled) {
            json_builder_begin_object(b);
            member_bool(b, "share", cfg.share);
            member_bool(b, "configured", cfg.present);
            json_builder_set_member_name(b, "records");
        }
        records_json(b, list, pulled);
        if (!pulled)
            json_builder_end_object(b);
        print_builder(b);
        goto done;
    }
    if (!pulled && format == KW_FORMAT_TABLE) {
        gulong n = (gulong) list->count;
        if (!cfg.present)
            printf(g_dngettext(GETTEXT_PACKAGE,
                               "No team is configured ([team] in %s): nothing is sent. With a team and "
                               "share = yes, this %zu record would be:\n\n",
                               "No team is configured ([team] in %s): nothing is sent. With a team and "
                               "share = yes, these %zu records would be:\n\n", n),
                   cfg.path, list->count);
        else if (!cfg.share)
            printf(g_dngettext(GETTEXT_PACKAGE,
                               "Sharing is off (share = no in [team]): nothing about your relationships "
                               "is sent. With share = yes, this %zu record would be:\n\n",
                               "Sharing is off (share = no in [team]): nothing about your relationships "
                               "is sent. With share = yes, these %zu records would be:\n\n", n),
                   list->count);
        else
            printf(g_dngettext(GETTEXT_PACKAGE,
                               "This %zu record is shared with the team (and nothing else):\n\n",
                               "These %zu records are shared with the team (and nothing else):\n\n", n),
                   list->count);
    }
    records_table(cli, list, pulled, format == KW_FORMAT_TSV, now);
done:
    kw_team_record_list_free(list);
    kw_free(error);
    kw_store_close(store);
    team_cfg_clear(&cfg);
    g_free(format_text);
    g_free(as_of_text);
    return rc;
}

static int cmd_show_shared(kw_cli_t *cli, int argc, char **argv)
{
    return records_command(cli, argc, argv, 0);
}

static int cmd_list(kw_cli_t *cli, int argc, char **argv)
{
    return records_command(cli, argc, argv, 1);
}

/* "2024-06-01T10:00:00Z (3 days ago)", or "never" (transfer full). */
static char *when_text(int64_t t, int64_t now)
{
    char *iso, *ago, *text;
    if (!t)
        return g_strdup(_("never"));
    iso = kw_cli_iso_time(t);
    ago = kw_words_ago(t, now);
    text = g_strdup_printf("%s (%s)", iso, ago);
    g_free(iso);
    g_free(ago);
    return text;
}

static int cmd_status(kw_cli_t *cli, int argc, char **argv)
{
    char *format_text = NULL, *error = NULL;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: text)"), "text|json" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_team_status_t *s = NULL;
    kw_store_t *store = NULL;
    team_cfg_t cfg;
    kw_status_t st;
    int json = 0, rc;
    int64_t now = now_s();

    memset(&cfg, 0, sizeof cfg);
    rc = kw_cli_parse_options(cli, "team status", NULL,
                              _("What waits to be pushed, and when the last push and pull happened."),
                              _("No network: this reads the local store (after staging what changed,\n"
                                "so that 'pending' is up to date)."),
                              entries, &argc, &argv);
    if (rc == 0 && argc > 1)
        rc = kw_cli_usage_error("team status", _("unexpected argument '%s'"), argv[1]);
    if (rc == 0 && format_text) {
        if (!strcmp(format_text, "json"))
            json = 1;
        else if (strcmp(format_text, "text") != 0)
            rc = kw_cli_usage_error("team status", _("--format: use text or json, not '%s'"), format_text);
    }
    if (rc == 0)
        rc = team_cfg_load(cli, 0, &cfg);
    if (rc == 0)
        rc = kw_cli_open_store(cli, cfg.present ? KW_STORE_READ_WRITE : KW_STORE_READ_ONLY, &store);
    if (rc)
        goto done;
    if (cfg.present) {
        st = kw_team_stage(store, cfg.share, now, NULL, &error);
        if (st != KW_OK) {
            rc = team_fail(st, error);
            goto done;
        }
    }
    st = kw_team_status_get(store, &s, &error);
    if (st != KW_OK) {
        rc = team_fail(st, error);
        goto done;
    }
    if (json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        member_bool(b, "configured", cfg.present);
        member_bool(b, "share", cfg.share);
        kw_json_member_string(b, "url", cfg.url);
        kw_json_member_string(b, "server", s->server);
        kw_json_member_string(b, "member", s->member);
        member_int(b, "shared", s->shared);
        member_int(b, "pending", s->pending);
        kw_json_member_time(b, "last_push", s->last_push);
        kw_json_member_time(b, "last_pull", s->last_pull);
        kw_json_member_time(b, "last_error_time", s->last_error_time);
        kw_json_member_string(b, "last_error", s->last_error);
        member_int(b, "team_records", s->team_records);
        member_int(b, "teammates", s->teammates);
        json_builder_end_object(b);
        print_builder(b);
    } else {
        kw_fields_t *f = kw_fields_new();
        kw_fields_add(f, _("Team:"), !cfg.present ? g_strdup_printf(_("not configured (add [team] to %s)"), cfg.path)
                                    : s->member ? g_strdup_printf(_("%s, as %s"), cfg.url, s->member)
                                                : g_strdup(cfg.url), NULL);
        kw_fields_add(f, _("Sharing:"),
                      g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%s (%lld record)", "%s (%lld records)",
                                                  (gulong) s->shared),
                                      cfg.share ? _("on") : _("off"), (long long) s->shared), NULL);
        kw_fields_add(f, _("Pending:"),
                      g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%lld change to push", "%lld changes to push",
                                                  (gulong) s->pending),
                                      (long long) s->pending), NULL);
        kw_fields_add(f, _("Last push:"), when_text(s->last_push, now), NULL);
        kw_fields_add(f, _("Last pull:"), when_text(s->last_pull, now), NULL);
        kw_fields_add(f, _("Teammates:"),
                      g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%lld (%lld record pulled)",
                                                  "%lld (%lld records pulled)", (gulong) s->team_records),
                                      (long long) s->teammates, (long long) s->team_records), NULL);
        if (s->last_error) {
            char *when = kw_cli_iso_time(s->last_error_time);
            kw_fields_add(f, _("Last error:"), g_strdup_printf("%s: %s", when ? when : "?", s->last_error),
                          NULL);
            g_free(when);
        }
        kw_fields_print(f, cli);
    }
done:
    kw_team_status_free(s);
    kw_free(error);
    kw_store_close(store);
    team_cfg_clear(&cfg);
    g_free(format_text);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(kw_cli_t *cli, int argc, char **argv);
    const char *summary;
} team_commands[] = {
    { "status",        cmd_status,        N_("What waits to be pushed; the last push and pull") },
    { "push",          cmd_push,          N_("Send what changed to the team server") },
    { "pull",          cmd_pull,          N_("Copy what teammates share into the local store") },
    { "sync",          cmd_sync,          N_("Push, then pull, over one connection") },
    { "list",          cmd_list,          N_("What teammates share (local, after a pull)") },
    { "show-shared",   cmd_show_shared,   N_("Print exactly what you share") },
    { "init",          cmd_init,          N_("Admin: create or upgrade the team schema") },
    { "add-member",    cmd_add_member,    N_("Admin: add a member (creates the login role)") },
    { "remove-member", cmd_remove_member, N_("Admin: remove a member and their shared rows") },
};

static void team_usage(FILE *out)
{
    fputs(_("Usage: keepwarm team COMMAND [OPTIONS]\n\n"
            "Share with your team on the team's own PostgreSQL server: opt-in, aggregates\n"
            "only (never subjects, bodies or notes), row-level security on the server.\n"
            "'keepwarm sync' pushes and pulls by itself when [team] is configured.\n\n"
            "Commands:\n"), out);
    for (size_t i = 0; i < G_N_ELEMENTS(team_commands); i++)
        fprintf(out, "  %-14s %s\n", team_commands[i].name, _(team_commands[i].summary));
    fputs(_("\nRun 'keepwarm team COMMAND --help' for its options; see keepwarm(1), TEAM.\n"), out);
}

int kw_cmd_team(kw_cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        team_usage(stderr);
        return KW_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        team_usage(stdout);
        return KW_EXIT_OK;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(team_commands); i++)
        if (strcmp(argv[1], team_commands[i].name) == 0)
            return team_commands[i].fn(cli, argc - 1, argv + 1);
    fprintf(stderr, _("keepwarm team: unknown command '%s'\nTry 'keepwarm team --help'.\n"), argv[1]);
    return KW_EXIT_USAGE;
}
