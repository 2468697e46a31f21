/* cmd_sync.c — `keepwarm sync` and `keepwarm identity`.
 *
 * Accounts come from the command line (--host ...) or from the config file
 * ($XDG_CONFIG_HOME/keepwarm/config, GKeyFile):
 *
 *   [account work]
 *   host = imap.example.com
 *   port = 993
 *   tls = implicit            # implicit | starttls | none (loopback only)
 *   user = jane@example.com
 *   me = jane@example.com;j.doe@example.com
 *   password_cmd = pass show mail/work
 *   # oauth2_token_cmd = ...  (prints an access token; XOAUTH2)
 *   # ca_file = /path/ca.pem
 *   # auth = auto             # auto | login | plain (AUTHENTICATE PLAIN)
 *   # include = INBOX;Kunden/...
 *   # exclude = Archive/Old*
 *
 * The password is never accepted on the command line: --password-fd N reads
 * it from a file descriptor (the Claws plugin passes a pipe), or
 * password_cmd runs a command (stdout, one trailing newline stripped).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "cli.h"

#define SECRET_MAX 8192
#define SECRET_CMD_TIMEOUT_S 30

typedef struct {
    int      json;
    int      text;       /* progress on stderr (a terminal) */
    gint64   last_draw;
    gint64   folder_start;
    const char *account;
} progress_state_t;

void kw_cli_wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}

/* Read a secret from a file descriptor: everything up to EOF, one trailing
 * newline (LF or CRLF) stripped. */
int kw_cli_read_secret_fd(int fd, char **out, char **error)
{
    char *buf = g_malloc0(SECRET_MAX + 1);
    size_t len = 0;
    ssize_t n;

    while (len < SECRET_MAX && (n = read(fd, buf + len, SECRET_MAX - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *error = g_strdup_printf("cannot read the password from fd %d: %s", fd, g_strerror(errno));
            kw_cli_wipe_free(buf);
            return -1;
        }
        len += (size_t)n;
    }
    close(fd);
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (len == 0 || memchr(buf, '\0', len) || strchr(buf, '\n')) {
        *error = g_strdup_printf("the password read from fd %d is empty or has several lines", fd);
        kw_cli_wipe_free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* Run `cmd` through /bin/sh -c with a deadline; its stdout is the secret. */
int kw_cli_run_secret_cmd(const char *cmd, char **out, char **error)
{
    char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
    GError *gerr = NULL;
    GPid pid;
    int out_fd, status = 0, rc = -1;
    char *buf = g_malloc0(SECRET_MAX + 1);
    size_t len = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64)SECRET_CMD_TIMEOUT_S * G_USEC_PER_SEC;

    if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                  NULL, &out_fd, NULL, &gerr)) {
        *error = g_strdup_printf("cannot run password_cmd: %s", gerr->message);
        g_error_free(gerr);
        g_free(buf);
        return -1;
    }
    for (;;) {
        struct pollfd pfd = { out_fd, POLLIN, 0 };
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        ssize_t n;
        if (left <= 0) {
            kill(pid, SIGKILL);
            *error = g_strdup_printf("password_cmd did not finish within %d s", SECRET_CMD_TIMEOUT_S);
            goto reap;
        }
        if (poll(&pfd, 1, (int)MIN(left, 1000)) <= 0)
            continue;
        n = read(out_fd, buf + len, SECRET_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len >= SECRET_MAX)
            break;
    }
    rc = 0;
reap:
    close(out_fd);
    waitpid(pid, &status, 0);
    if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        *error = g_strdup_printf("password_cmd failed (exit status %d)",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        rc = -1;
    }
    if (rc == 0) {
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len == 0 || strchr(buf, '\n') || memchr(buf, '\0', len)) {
            *error = g_strdup("password_cmd printed nothing, or several lines");
            rc = -1;
        }
    }
    if (rc != 0) {
        kw_cli_wipe_free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* ---- progress ---------------------------------------------------------------- */

static void json_line(GString *s)
{
    g_string_append(s, "}\n");
    fwrite(s->str, 1, s->len, stdout);
    fflush(stdout);
    g_string_free(s, TRUE);
}

static GString *json_start(const char *event, const char *account)
{
    GString *s = g_string_new("{\"event\":");
    kw_json_string(s, event);
    g_string_append(s, ",\"account\":");
    kw_json_string(s, account);
    return s;
}

static int on_progress(const kw_progress_t *p, void *data)
{
    progress_state_t *ps = data;

    if (ps->json) {
        static const char *const names[] = { "connected", "folders", "folder", "progress",
                                             "folder_done", "warning" };
        GString *s = json_start(names[p->kind], p->account);
        if (p->folder) {
            g_string_append(s, ",\"folder\":");
            kw_json_string(s, p->folder);
            g_string_append_printf(s, ",\"index\":%d", p->folder_index);
        }
        switch (p->kind) {
        case KW_PROGRESS_FOLDERS:
            g_string_append_printf(s, ",\"total\":%d", p->folders_total);
            break;
        case KW_PROGRESS_FOLDER:
        case KW_PROGRESS_MESSAGES:
            g_string_append_printf(s, ",\"folders\":%d,\"done\":%" G_GINT64_FORMAT ",\"total\":%" G_GINT64_FORMAT,
                                   p->folders_total, p->done, p->total);
            break;
        case KW_PROGRESS_FOLDER_DONE:
            g_string_append_printf(s, ",\"done\":%" G_GINT64_FORMAT ",\"new\":%" G_GINT64_FORMAT,
                                   p->done, p->new_messages);
            break;
        case KW_PROGRESS_WARNING:
            g_string_append(s, ",\"message\":");
            kw_json_string(s, p->message);
            break;
        default:
            break;
        }
        json_line(s);
        return 0;
    }
    if (p->kind == KW_PROGRESS_WARNING) {
        char *clean = kw_sanitize_for_display(p->message);
        fprintf(stderr, "%skeepwarm: %s: warning: %s\n", ps->text ? "\r\033[K" : "", p->account, clean);
        kw_free(clean);
        return 0;
    }
    if (!ps->text)
        return 0;
    if (p->kind == KW_PROGRESS_FOLDER)
        ps->folder_start = g_get_monotonic_time();
    if (p->kind == KW_PROGRESS_MESSAGES || p->kind == KW_PROGRESS_FOLDER) {
        gint64 now = g_get_monotonic_time();
        double secs = (double)(now - ps->folder_start) / G_USEC_PER_SEC;
        char *folder = kw_sanitize_for_display(p->folder);
        if (p->kind == KW_PROGRESS_MESSAGES && now - ps->last_draw < 100000)
            goto out;
        ps->last_draw = now;
        fprintf(stderr, "\r\033[K%s [%d/%d] %s  %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                p->account, p->folder_index, p->folders_total, folder, p->done, p->total);
        if (secs > 0.2 && p->done > 0)
            fprintf(stderr, "  %.0f msg/s", (double)p->done / secs);
    out:
        kw_free(folder);
    }
    return 0;
}

/* ---- one account ----------------------------------------------------------------- */

typedef struct {
    char  *account;
    char  *host;
    int    port;
    char  *tls;
    char  *user;
    char **me;
    char  *password_cmd;
    char  *token_cmd;
    char  *ca_file;
    char  *auth;
    char **include;
    char **exclude;
} account_cfg_t;

static void account_cfg_clear(account_cfg_t *a)
{
    g_free(a->account);
    g_free(a->host);
    g_free(a->tls);
    g_free(a->user);
    g_strfreev(a->me);
    g_free(a->password_cmd);
    g_free(a->token_cmd);
    g_free(a->ca_file);
    g_free(a->auth);
    g_strfreev(a->include);
    g_strfreev(a->exclude);
    memset(a, 0, sizeof *a);
}

static int parse_tls(const char *s, kw_tls_mode_t *out)
{
    if (!s || !strcmp(s, "implicit") || !strcmp(s, "ssl") || !strcmp(s, "tls"))
        *out = KW_TLS_IMPLICIT;
    else if (!strcmp(s, "starttls"))
        *out = KW_TLS_STARTTLS;
    else if (!strcmp(s, "none"))
        *out = KW_TLS_NONE;
    else
        return -1;
    return 0;
}

static void emit_final(progress_state_t *ps, const char *account, kw_status_t st, int exit_code,
                       const char *message, const kw_sync_report_t *r)
{
    if (ps->json) {
        GString *s = json_start(st == KW_OK || st == KW_ERR_PARTIAL ? "done" : "error", account);
        g_string_append(s, ",\"status\":");
        kw_json_string(s, kw_status_to_string(st));
        g_string_append_printf(s, ",\"exit\":%d", exit_code);
        if (message) {
            g_string_append(s, ",\"message\":");
            kw_json_string(s, message);
        }
        g_string_append_printf(s, ",\"new\":%" G_GINT64_FORMAT ",\"fetched\":%" G_GINT64_FORMAT
                               ",\"folders\":%d,\"seconds\":%.3f",
                               r->messages_new, r->messages_fetched, r->folders_synced, r->seconds);
        json_line(s);
    } else if (ps->text) {
        fprintf(stderr, "\r\033[K");
    }
}

static int sync_account(kw_cli_t *cli, kw_store_t *store, account_cfg_t *a, int password_fd,
                        int chunk, int timeout, progress_state_t *ps)
{
    kw_sync_options_t o;
    kw_sync_report_t report;
    char *secret = NULL, *error = NULL;
    kw_status_t st;
    kw_tls_mode_t tls;
    int rc;

    memset(&o, 0, sizeof o);
    memset(&report, 0, sizeof report);
    if (parse_tls(a->tls, &tls) < 0)
        return kw_cli_usage_error("sync", "--tls must be implicit, starttls or none (account %s)", a->account);
    if (a->token_cmd) {
        if (kw_cli_run_secret_cmd(a->token_cmd, &secret, &error) < 0)
            goto secret_failed;
        o.oauth2_token = secret;
    } else if (password_fd >= 0) {
        if (kw_cli_read_secret_fd(password_fd, &secret, &error) < 0)
            goto secret_failed;
        o.password = secret;
    } else if (a->password_cmd) {
        if (kw_cli_run_secret_cmd(a->password_cmd, &secret, &error) < 0)
            goto secret_failed;
        o.password = secret;
    } else {
        return kw_cli_usage_error("sync", "no password for account '%s': use --password-fd N or "
                                  "password_cmd in the config file (never on the command line)", a->account);
    }

    o.account = a->account;
    o.host = a->host;
    o.port = a->port;
    o.tls = tls;
    o.user = a->user;
    o.ca_file = a->ca_file;
    o.auth = a->auth;
    o.me = (const char *const *)a->me;
    o.include = (const char *const *)a->include;
    o.exclude = (const char *const *)a->exclude;
    o.chunk_size = chunk;
    o.timeout_s = timeout;
    o.progress = on_progress;
    o.progress_data = ps;
    ps->account = a->account;

    st = kw_sync_run(store, &o, &report, &error);
    kw_cli_wipe_free(secret);
    secret = NULL;
    if (st == KW_ERR_AUTH && a->token_cmd) {
        /* An OAuth2 token may just have expired: fetch a fresh one, once. */
        char *cmd_error = NULL;
        if (kw_cli_run_secret_cmd(a->token_cmd, &secret, &cmd_error) != 0) {
            g_free(cmd_error);
        } else {
            kw_free(error);
            error = NULL;
            o.oauth2_token = secret;
            st = kw_sync_run(store, &o, &report, &error);
            kw_cli_wipe_free(secret);
            secret = NULL;
        }
    }
    rc = kw_cli_exit_code(st);
    emit_final(ps, a->account, st, rc, error, &report);
    if (st != KW_OK && st != KW_ERR_PARTIAL) {
        char *msg = g_strdup_printf("%s: %s", a->account, error ? error : kw_status_to_string(st));
        kw_cli_fail(st, msg);
        g_free(msg);
    } else {
        if (st == KW_ERR_PARTIAL)
            kw_cli_fail(st, error);
        if (ps->text || (!ps->json && cli->stdout_tty))
            fprintf(stderr, "%s: %d folder%s, %" G_GINT64_FORMAT " new message%s (%" G_GINT64_FORMAT
                    " read) in %.1f s\n", a->account, report.folders_synced,
                    report.folders_synced == 1 ? "" : "s", report.messages_new,
                    report.messages_new == 1 ? "" : "s", report.messages_fetched, report.seconds);
    }
    kw_free(error);
    return rc;

secret_failed:
    rc = KW_EXIT_USAGE;
    emit_final(ps, a->account, KW_ERR_USAGE, rc, error, &report);
    fprintf(stderr, "keepwarm: %s: %s\n", a->account, error);
    g_free(error);
    return rc;
}

char *kw_cli_config_path(kw_cli_t *cli)
{
    if (cli->config_path)
        return g_strdup(cli->config_path);
    return g_build_filename(g_get_user_config_dir(), "keepwarm", "config", NULL);
}

static char **key_list(GKeyFile *kf, const char *group, const char *key)
{
    char **v = g_key_file_get_string_list(kf, group, key, NULL, NULL);
    if (v && !v[0]) {
        g_strfreev(v);
        return NULL;
    }
    return v;
}

/* Load the [account NAME] groups (all, or only `only`). */
static int load_accounts(kw_cli_t *cli, const char *only, GArray *out)
{
    char *path = kw_cli_config_path(cli);
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    char **groups;
    int rc = 0;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            rc = kw_cli_usage_error("sync", "no account given and no config file at %s; give --host, "
                                    "--user and --account, or write the config file (see 'man keepwarm')",
                                    path);
        else
            rc = kw_cli_usage_error("sync", "cannot read %s: %s", path, err->message);
        g_error_free(err);
        goto done;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        account_cfg_t a;
        if (!g_str_has_prefix(*g, "account "))
            continue;
        memset(&a, 0, sizeof a);
        a.account = g_strstrip(g_strdup(*g + 8));
        if (only && strcmp(only, a.account) != 0) {
            account_cfg_clear(&a);
            continue;
        }
        a.host = g_key_file_get_string(kf, *g, "host", NULL);
        a.port = g_key_file_get_integer(kf, *g, "port", NULL);
        a.tls = g_key_file_get_string(kf, *g, "tls", NULL);
        a.user = g_key_file_get_string(kf, *g, "user", NULL);
        a.me = key_list(kf, *g, "me");
        a.password_cmd = g_key_file_get_string(kf, *g, "password_cmd", NULL);
        a.token_cmd = g_key_file_get_string(kf, *g, "oauth2_token_cmd", NULL);
        a.ca_file = g_key_file_get_string(kf, *g, "ca_file", NULL);
        a.auth = g_key_file_get_string(kf, *g, "auth", NULL);
        a.include = key_list(kf, *g, "include");
        a.exclude = key_list(kf, *g, "exclude");
        if (!a.host || !a.user) {
            rc = kw_cli_usage_error("sync", "%s: [%s] needs host and user", path, *g);
            account_cfg_clear(&a);
            break;
        }
        g_array_append_val(out, a);
    }
    g_strfreev(groups);
    if (rc == 0 && out->len == 0)
        rc = kw_cli_usage_error("sync", only ? "no [account %s] in %s" : "no [account ...] group in %s%s",
                                only ? only : path, only ? path : "");
done:
    g_key_file_free(kf);
    g_free(path);
    return rc;
}

/* Bound the worker: a hostile server must not be able to eat the machine
 * (libetpan grows without limit on some inputs, reliability notes B12). */
static void limit_resources(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    struct rlimit rl = { (rlim_t)1024 * 1024 * 1024, (rlim_t)1024 * 1024 * 1024 };
    struct rlimit cur;
    if (getrlimit(RLIMIT_AS, &cur) == 0 && (cur.rlim_cur == RLIM_INFINITY || cur.rlim_cur > rl.rlim_cur))
        setrlimit(RLIMIT_AS, &rl);
#endif
    /* No core dumps with a password in them; /proc/PID/mem closed to others. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int kw_cmd_sync(kw_cli_t *cli, int argc, char **argv)
{
    char *host = NULL, *tls = NULL, *user = NULL, *account = NULL, *ca_file = NULL, *auth = NULL;
    char *progress = NULL, **me = NULL, **include = NULL, **exclude = NULL;
    int port = 0, password_fd = -1, chunk = 0, timeout = 0, no_team = 0, rc;
    GArray *accounts = g_array_new(FALSE, TRUE, sizeof(account_cfg_t));
    kw_store_t *store = NULL;
    progress_state_t ps;
    GOptionEntry entries[] = {
        { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IMAP server (instead of the config file)", "HOST" },
        { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 993 for implicit TLS, 143 otherwise)", "N" },
        { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "implicit (default), starttls, or none (loopback only)", "MODE" },
        { "user", 0, 0, G_OPTION_ARG_STRING, &user, "Login name", "USER" },
        { "account", 0, 0, G_OPTION_ARG_STRING, &account, "Account name in the store (default USER@HOST); with the config file: sync only this one", "NAME" },
        { "me", 0, 0, G_OPTION_ARG_STRING_ARRAY, &me, "One of your own addresses (repeatable; remembered)", "ADDR" },
        { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "Trust the CA certificates in this PEM file instead of the system's", "FILE" },
        { "password-fd", 0, 0, G_OPTION_ARG_INT, &password_fd, "Read the password from this file descriptor", "N" },
        { "auth", 0, 0, G_OPTION_ARG_STRING, &auth, "auto (default: LOGIN, or AUTHENTICATE PLAIN when LOGIN is disabled), login, plain", "MECH" },
        { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &include, "Only folders matching this glob (repeatable)", "GLOB" },
        { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude, "Skip folders matching this glob (repeatable)", "GLOB" },
        { "progress", 0, 0, G_OPTION_ARG_STRING, &progress, "text (default on a terminal), json (one object per line on stdout), none", "MODE" },
        { "chunk-size", 0, 0, G_OPTION_ARG_INT, &chunk, "Messages per transaction (default 1000)", "N" },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Network inactivity timeout in seconds (default 60)", "S" },
        { "no-team", 0, 0, G_OPTION_ARG_NONE, &no_team, "Do not push to and pull from the team server ([team] in the config file)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    memset(&ps, 0, sizeof ps);
    rc = kw_cli_parse_options(cli, "sync", NULL,
                              "Read new mail headers (read-only) from IMAP into the store.",
                              "Without --host, every [account NAME] of the config file is synced.\n"
                              "The password is never accepted as an argument: use --password-fd N\n"
                              "or password_cmd in the config file.\n\n"
                              "Exit codes: 0 ok, 2 usage, 3 auth, 4 tls, 5 network, 6 server, 7 store,\n"
                              "8 busy, 9 partial, 1 other.",
                              entries, &argc, &argv);
    if (rc != 0 || argc > 1) {
        if (rc == 0)
            rc = kw_cli_usage_error("sync", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    if (chunk < 0 || timeout < 0 || port < 0 || port > 65535) {
        rc = kw_cli_usage_error("sync", "--chunk-size, --timeout and --port must be positive");
        goto done;
    }
    if (!progress)
        ps.text = isatty(STDERR_FILENO);
    else if (!strcmp(progress, "json"))
        ps.json = 1;
    else if (!strcmp(progress, "text"))
        ps.text = 1;
    else if (strcmp(progress, "none") != 0) {
        rc = kw_cli_usage_error("sync", "--progress must be text, json or none");
        goto done;
    }

    if (host) {
        account_cfg_t a;
        kw_tls_mode_t t;
        if (!user) {
            rc = kw_cli_usage_error("sync", "--host needs --user");
            goto done;
        }
        if (parse_tls(tls, &t) < 0) {
            rc = kw_cli_usage_error("sync", "--tls must be implicit, starttls or none");
            goto done;
        }
        memset(&a, 0, sizeof a);
        a.account = account ? g_strdup(account) : g_strdup_printf("%s@%s", user, host);
        a.host = g_strdup(host);
        a.port = port;
        a.tls = g_strdup(tls);
        a.user = g_strdup(user);
        a.me = g_strdupv(me);
        a.ca_file = g_strdup(ca_file);
        a.auth = g_strdup(auth);
        a.include = g_strdupv(include);
        a.exclude = g_strdupv(exclude);
        g_array_append_val(accounts, a);
    } else {
        rc = load_accounts(cli, account, accounts);
        if (rc != 0)
            goto done;
        if (password_fd >= 0 && accounts->len > 1) {
            rc = kw_cli_usage_error("sync", "--password-fd serves one account; add --account NAME");
            goto done;
        }
        for (guint i = 0; i < accounts->len; i++) {
            account_cfg_t *a = &g_array_index(accounts, account_cfg_t, i);
            if (me) { /* --me adds to the configured identities */
                GStrvBuilder *b = g_strv_builder_new();
                if (a->me)
                    g_strv_builder_addv(b, (const char **)a->me);
                g_strv_builder_addv(b, (const char **)me);
                g_strfreev(a->me);
                a->me = g_strv_builder_end(b);
                g_strv_builder_unref(b);
            }
            if (ca_file && !a->ca_file)
                a->ca_file = g_strdup(ca_file);
            if (auth) {
                g_free(a->auth);
                a->auth = g_strdup(auth);
            }
        }
    }

    limit_resources();
    rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store);
    if (rc != 0) {
        if (ps.json) {
            kw_sync_report_t r;
            memset(&r, 0, sizeof r);
            emit_final(&ps, g_array_index(accounts, account_cfg_t, 0).account, KW_ERR_STORE, rc,
                       "cannot open the database", &r);
        }
        goto done;
    }
    for (guint i = 0; i < accounts->len; i++) {
        int r = sync_account(cli, store, &g_array_index(accounts, account_cfg_t, i), password_fd,
                             chunk, timeout, &ps);
        if (r != 0 && (rc == 0 || rc == KW_EXIT_PARTIAL))
            rc = r;
    }
    if (!no_team)
        kw_cli_team_after_sync(cli, store, ps.json, ps.text || (!ps.json && cli->stdout_tty));
done:
    kw_store_close(store);
    for (guint i = 0; i < accounts->len; i++)
        account_cfg_clear(&g_array_index(accounts, account_cfg_t, i));
    g_array_free(accounts, TRUE);
    g_free(host);
    g_free(tls);
    g_free(user);
    g_free(account);
    g_free(ca_file);
    g_free(auth);
    g_free(progress);
    g_strfreev(me);
    g_strfreev(include);
    g_strfreev(exclude);
    return rc;
}

/* ---- identity ---------------------------------------------------------------------- */

int kw_cmd_identity(kw_cli_t *cli, int argc, char **argv)
{
    char *account = NULL, *error = NULL;
    kw_store_t *store = NULL;
    kw_status_t st = KW_OK;
    int rc;
    GOptionEntry entries[] = {
        { "account", 0, 0, G_OPTION_ARG_STRING, &account, "Account name in the store (required for add/remove)", "NAME" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    rc = kw_cli_parse_options(cli, "identity", "[list | add ADDR | remove ADDR]",
                              "Your own addresses decide who wrote to whom. Adding one later\n"
                              "recomputes everything locally, without downloading mail again.",
                              NULL, entries, &argc, &argv);
    if (rc != 0)
        goto done;
    if (argc >= 2 && (!strcmp(argv[1], "add") || !strcmp(argv[1], "remove"))) {
        if (argc != 3 || !account) {
            rc = kw_cli_usage_error("identity", "%s needs --account NAME and one address", argv[1]);
            goto done;
        }
        rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store);
        if (rc != 0)
            goto done;
        st = !strcmp(argv[1], "add") ? kw_store_add_identity(store, account, argv[2], &error)
                                     : kw_store_remove_identity(store, account, argv[2], &error);
        if (st != KW_OK)
            rc = kw_cli_fail(st, error);
        goto done;
    }
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "list") != 0)) {
        rc = kw_cli_usage_error("identity", "unknown arguments");
        goto done;
    }
    rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store);
    if (rc != 0)
        goto done;
    if (account) {
        kw_identity_candidate_list_t *list = NULL;
        st = kw_store_identity_candidates(store, account, &list, &error);
        if (st != KW_OK) {
            rc = kw_cli_fail(st, error);
            goto done;
        }
        printf("Addresses that sent mail in the Sent folders of '%s':\n", account);
        for (size_t i = 0; i < list->count; i++)
            printf("  %-40s %6" G_GINT64_FORMAT " messages  %s\n", list->items[i].address,
                   list->items[i].messages, list->items[i].confirmed ? "(yours)" : "(add with: keepwarm identity add --account ... ADDR)");
        if (list->count == 0)
            printf("  (none yet)\n");
        kw_identity_candidate_list_free(list);
    } else {
        rc = kw_cli_usage_error("identity", "list needs --account NAME");
    }
done:
    kw_free(error);
    kw_store_close(store);
    g_free(account);
    return rc;
}
