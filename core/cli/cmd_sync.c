/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_sync.c — `keepwarm sync` and `keepwarm identity`.
 *
 * Accounts come from the command line (--host ...) or from the config file
 * (config.c describes it). The password is never accepted on the command
 * line: --password-fd N reads it from a file descriptor (the Claws plugin
 * passes a pipe), or password_cmd runs a command (stdout, one trailing
 * newline stripped).
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
#include <json-glib/json-glib.h>

#include "cli.h"
#include "keyring.h"

#define SECRET_MAX 8192
#define SECRET_CMD_TIMEOUT_S 30

typedef struct {
    int      json;
    int      text;       /* progress on stderr (a terminal) */
    gint64   last_draw;
    gint64   folder_start;
    const char *account;
} progress_state_t;

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
            *error = g_strdup_printf(_("cannot read the password from fd %d: %s"), fd, g_strerror(errno));
            kw_secret_free(buf);
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
        *error = g_strdup_printf(_("the password read from fd %d is empty or has several lines"), fd);
        kw_secret_free(buf);
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
        *error = g_strdup_printf(_("cannot run password_cmd: %s"), gerr->message);
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
            *error = g_strdup_printf(_("password_cmd did not finish within %d s"), SECRET_CMD_TIMEOUT_S);
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
        *error = g_strdup_printf(_("password_cmd failed (exit status %d)"),
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        rc = -1;
    }
    if (rc == 0) {
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len == 0 || strchr(buf, '\n') || memchr(buf, '\0', len)) {
            *error = g_strdup(_("password_cmd printed nothing, or several lines"));
            rc = -1;
        }
    }
    if (rc != 0) {
        kw_secret_free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* ---- progress ---------------------------------------------------------------- */

/* One JSON object per line on stdout (--progress=json), written by
 * json-glib. Every string member goes through here: text from a server or
 * a config file is made valid UTF-8 first. */
static void json_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value == NULL) {
        json_builder_add_null_value(b);
    } else if (g_utf8_validate(value, -1, NULL)) {
        json_builder_add_string_value(b, value);
    } else {
        char *valid = g_utf8_make_valid(value, -1);
        json_builder_add_string_value(b, valid);
        g_free(valid);
    }
}

static void json_int(JsonBuilder *b, const char *name, int64_t value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static JsonBuilder *json_start(const char *event, const char *account)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_str(b, "event", event);
    json_str(b, "account", account);
    return b;
}

static void json_line(JsonBuilder *b)
{
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    char *text;

    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    g_free(text);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
}

static int on_progress(const kw_progress_t *p, void *data)
{
    progress_state_t *ps = data;

    if (ps->json) {
        static const char *const names[] = { "connected", "folders", "folder", "progress",
                                             "folder_done", "warning" };
        JsonBuilder *b = json_start(names[p->kind], p->account);
        if (p->folder) {
            json_str(b, "folder", p->folder);
            json_int(b, "index", p->folder_index);
        }
        switch (p->kind) {
        case KW_PROGRESS_FOLDERS:
            json_int(b, "total", p->folders_total);
            break;
        case KW_PROGRESS_FOLDER:
        case KW_PROGRESS_MESSAGES:
            json_int(b, "folders", p->folders_total);
            json_int(b, "done", p->done);
            json_int(b, "total", p->total);
            break;
        case KW_PROGRESS_FOLDER_DONE:
            json_int(b, "done", p->done);
            json_int(b, "new", p->new_messages);
            break;
        case KW_PROGRESS_WARNING:
            json_str(b, "message", p->message);
            break;
        default:
            break;
        }
        json_line(b);
        return 0;
    }
    if (p->kind == KW_PROGRESS_WARNING) {
        char *clean = kw_sanitize_for_display(p->message);
        fprintf(stderr, _("%skeepwarm: %s: warning: %s\n"), ps->text ? "\r\033[K" : "", p->account, clean);
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
        JsonBuilder *b = json_start(st == KW_OK || st == KW_ERR_PARTIAL ? "done" : "error", account);
        json_str(b, "status", kw_status_to_string(st));
        json_int(b, "exit", exit_code);
        if (message)
            json_str(b, "message", message);
        json_int(b, "new", r->messages_new);
        json_int(b, "fetched", r->messages_fetched);
        json_int(b, "folders", r->folders_synced);
        json_int(b, "unreadable_addresses", r->addresses_unreadable);
        json_builder_set_member_name(b, "seconds");
        json_builder_add_double_value(b, (double)(int64_t)(r->seconds * 1000.0 + 0.5) / 1000.0);
        /* where the transfer's time went (keepwarm.h, kw_sync_report_t) */
        json_builder_set_member_name(b, "seconds_network");
        json_builder_add_double_value(b, (double)(int64_t)(r->seconds_network * 1000.0 + 0.5) / 1000.0);
        json_builder_set_member_name(b, "seconds_parse");
        json_builder_add_double_value(b, (double)(int64_t)(r->seconds_parse * 1000.0 + 0.5) / 1000.0);
        json_builder_set_member_name(b, "seconds_store");
        json_builder_add_double_value(b, (double)(int64_t)(r->seconds_store * 1000.0 + 0.5) / 1000.0);
        json_line(b);
    } else if (ps->text) {
        fprintf(stderr, "\r\033[K");
    }
}

/* The last password source: the desktop keyring, where the Thunderbird
 * add-on's options page has the native host store it (keyring.c). Returns 0
 * with *out set, or -1 when none is stored or the keyring is unreachable
 * (said on stderr, the caller then reports the missing password). */
static int keyring_password(const kw_account_cfg_t *a, char **out)
{
    char *error = NULL;
    int found = kw_keyring_lookup(a->host, a->user, out, &error);
    if (found < 0) {
        fprintf(stderr, "keepwarm: %s: %s\n", a->account, error);
        g_free(error);
    }
    return found == 1 ? 0 : -1;
}

static int sync_account(kw_cli_t *cli, kw_store_t *store, kw_account_cfg_t *a, int password_fd,
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
        return kw_cli_usage_error("sync", _("--tls must be implicit, starttls or none (account %s)"), a->account);
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
    } else if (keyring_password(a, &secret) == 0) {
        o.password = secret;
    } else {
        return kw_cli_usage_error("sync", _("no password for account '%s': use --password-fd N or "
                                    "password_cmd in the config file (never on the command line), or "
                                    "store it in the desktop keyring from the Thunderbird add-on's options"),
                                  a->account);
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
    kw_secret_free(secret);
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
            kw_secret_free(secret);
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
        if (ps->text || (!ps->json && cli->stdout_tty)) {
            /* TRANSLATORS: "%s: " is the account, then "3 folders, 12 new messages (40 read) in 0.8 s" */
            char *folders = g_strdup_printf(ngettext("%d folder", "%d folders", report.folders_synced),
                                            report.folders_synced);
            char *fresh = g_strdup_printf(ngettext("%lld new message", "%lld new messages",
                                                   (unsigned long)report.messages_new),
                                          (long long)report.messages_new);
            fprintf(stderr, _("%s: %s, %s (%lld read) in %.1f s\n"), a->account, folders,
                    fresh, (long long)report.messages_fetched, report.seconds);
            g_free(folders);
            g_free(fresh);
            if (report.addresses_unreadable > 0)
                fprintf(stderr, ngettext("%s: %lld address could not be read (no '@', "
                                         "X.400 names, undisclosed-recipients:;) and was left out\n",
                                         "%s: %lld addresses could not be read (no '@', "
                                         "X.400 names, undisclosed-recipients:;) and were left out\n",
                                         (unsigned long)report.addresses_unreadable),
                        a->account, (long long)report.addresses_unreadable);
        }
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
    kw_config_t cfg;
    GArray *accounts;
    kw_store_t *store = NULL;
    progress_state_t ps;
    GOptionEntry entries[] = {
        { "host", 0, 0, G_OPTION_ARG_STRING, &host, N_("IMAP server (instead of the config file)"), N_("HOST") },
        { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Port (default 993 for implicit TLS, 143 otherwise)"), N_("N") },
        { "tls", 0, 0, G_OPTION_ARG_STRING, &tls, N_("implicit (default), starttls, or none (loopback only)"), N_("MODE") },
        { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("Login name"), N_("USER") },
        { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("Account name in the store (default USER@HOST); with the config file: sync only this one"), N_("NAME") },
        { "me", 0, 0, G_OPTION_ARG_STRING_ARRAY, &me, N_("One of your own addresses (repeatable; remembered)"), N_("ADDR") },
        { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, N_("Trust the CA certificates in this PEM file instead of the system's"), N_("FILE") },
        { "password-fd", 0, 0, G_OPTION_ARG_INT, &password_fd, N_("Read the password from this file descriptor"), N_("N") },
        { "auth", 0, 0, G_OPTION_ARG_STRING, &auth, N_("auto (default: LOGIN, or AUTHENTICATE PLAIN when LOGIN is disabled), login, plain"), N_("MECH") },
        { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &include, N_("Only folders matching this glob (repeatable)"), N_("GLOB") },
        { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude, N_("Skip folders matching this glob (repeatable)"), N_("GLOB") },
        { "progress", 0, 0, G_OPTION_ARG_STRING, &progress, N_("text (default on a terminal), json (one object per line on stdout), none"), N_("MODE") },
        { "chunk-size", 0, 0, G_OPTION_ARG_INT, &chunk, N_("Most messages per database transaction, committed with the folder position at least once a second (default 20000; not a FETCH size)"), N_("N") },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Network inactivity timeout in seconds (default 60)"), N_("S") },
        { "no-team", 0, 0, G_OPTION_ARG_NONE, &no_team, N_("Do not push to and pull from the team server ([team] in the config file)"), NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    memset(&ps, 0, sizeof ps);
    memset(&cfg, 0, sizeof cfg);
    cfg.accounts = accounts = g_array_new(FALSE, TRUE, sizeof(kw_account_cfg_t));
    rc = kw_cli_parse_options(cli, "sync", NULL,
                              _("Read new mail headers (read-only) from IMAP into the store."),
                              _("Without --host, every [account NAME] of the config file is synced.\n"
                                "The password is never accepted as an argument: use --password-fd N\n"
                                "or password_cmd in the config file.\n\n"
                                "Exit codes: 0 ok, 2 usage, 3 auth, 4 tls, 5 network, 6 server, 7 store,\n"
                                "8 busy, 9 partial, 1 other."),
                              entries, &argc, &argv);
    if (rc != 0 || argc > 1) {
        if (rc == 0)
            rc = kw_cli_usage_error("sync", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if (chunk < 0 || timeout < 0 || port < 0 || port > 65535) {
        rc = kw_cli_usage_error("sync", _("--chunk-size, --timeout and --port must be positive"));
        goto done;
    }
    if (!progress)
        ps.text = isatty(STDERR_FILENO);
    else if (!strcmp(progress, "json"))
        ps.json = 1;
    else if (!strcmp(progress, "text"))
        ps.text = 1;
    else if (strcmp(progress, "none") != 0) {
        rc = kw_cli_usage_error("sync", _("--progress must be text, json or none"));
        goto done;
    }
    /* A --me that is not an address would leave a whole mailbox's outbound
     * history uncounted: refuse it before anything happens. */
    for (char **m = me; m && *m; m++) {
        char *norm = kw_normalize_email(*m, -1);
        if (!norm) {
            rc = kw_cli_usage_error("sync", _("--me: '%s' is not an e-mail address"), *m);
            goto done;
        }
        kw_free(norm);
    }

    if (host) {
        kw_account_cfg_t a;
        kw_tls_mode_t t;
        if (!user) {
            rc = kw_cli_usage_error("sync", _("--host needs --user"));
            goto done;
        }
        if (parse_tls(tls, &t) < 0) {
            rc = kw_cli_usage_error("sync", _("--tls must be implicit, starttls or none"));
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
        g_array_free(cfg.accounts, TRUE);
        rc = kw_config_load(cli, account, KW_CONFIG_NEED_ACCOUNTS, &cfg);
        accounts = cfg.accounts;
        if (rc != 0)
            goto done;
        if (password_fd >= 0 && accounts->len > 1) {
            rc = kw_cli_usage_error("sync", _("--password-fd serves one account; add --account NAME"));
            goto done;
        }
        for (guint i = 0; i < accounts->len; i++) {
            kw_account_cfg_t *a = &g_array_index(accounts, kw_account_cfg_t, i);
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
            emit_final(&ps, g_array_index(accounts, kw_account_cfg_t, 0).account, KW_ERR_STORE, rc,
                       "cannot open the database", &r);
        }
        goto done;
    }
    rc = kw_config_apply_own_domains(&cfg, store);
    if (rc != 0)
        goto done;
    for (guint i = 0; i < accounts->len; i++) {
        int r = sync_account(cli, store, &g_array_index(accounts, kw_account_cfg_t, i), password_fd,
                             chunk, timeout, &ps);
        if (r != 0 && (rc == 0 || rc == KW_EXIT_PARTIAL))
            rc = r;
    }
    if (!no_team)
        kw_cli_team_after_sync(cli, store, ps.json, ps.text || (!ps.json && cli->stdout_tty));
done:
    kw_store_close(store);
    kw_config_clear(&cfg);
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

/* A removed address that the config file's `me` lists comes back at the
 * next sync: say so. */
static void warn_if_configured(kw_cli_t *cli, const char *account, const char *address)
{
    kw_config_t cfg;
    char *norm = kw_normalize_email(address, -1);

    if (!norm)
        return;
    if (kw_config_load(cli, account, KW_CONFIG_QUIET, &cfg) == 0) {
        for (guint i = 0; i < cfg.accounts->len; i++) {
            kw_account_cfg_t *a = &g_array_index(cfg.accounts, kw_account_cfg_t, i);
            for (char **m = a->me; m && *m; m++) {
                char *n = kw_normalize_email(*m, -1);
                if (n && !strcmp(n, norm)) {
                    char *g = g_strconcat("account ", a->account, NULL);
                    fprintf(stderr, "keepwarm: warning: %s:%d lists %s in 'me': the next sync adds it "
                            "again unless you remove it there\n", cfg.path, kw_config_line(&cfg, g, "me"), norm);
                    g_free(g);
                }
                kw_free(n);
            }
        }
    }
    kw_config_clear(&cfg);
    kw_free(norm);
}

static int identity_list(kw_cli_t *cli, kw_store_t *store, const char *account)
{
    kw_identity_list_t *ids = NULL;
    kw_identity_candidate_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;
    int rc = 0;

    (void)cli;
    st = kw_store_identities(store, account, &ids, &error);
    if (st != KW_OK)
        goto fail;
    if (account)
        printf("Your addresses in '%s':\n", account);
    else
        printf("Your addresses:\n");
    for (size_t i = 0; i < ids->count; i++) {
        char *addr = kw_sanitize_for_display(ids->items[i].address);
        if (account)
            printf("  %s\n", addr);
        else {
            char *acc = kw_sanitize_for_display(ids->items[i].account);
            printf("  %-40s (account %s)\n", addr, acc);
            kw_free(acc);
        }
        kw_free(addr);
    }
    if (ids->count == 0)
        printf("  (none yet: add them with --me, 'me =' in the config file, or 'keepwarm identity add')\n");
    if (account) {
        st = kw_store_identity_candidates(store, account, &list, &error);
        if (st != KW_OK)
            goto fail;
        printf("Addresses that sent mail in the Sent folders of '%s':\n", account);
        for (size_t i = 0; i < list->count; i++) {
            char *addr = kw_sanitize_for_display(list->items[i].address);
            printf("  %-40s %6" G_GINT64_FORMAT " messages  %s\n", addr, list->items[i].messages,
                   list->items[i].confirmed ? "(yours)" : "(add with: keepwarm identity add --account ... ADDR)");
            kw_free(addr);
        }
        if (list->count == 0)
            printf("  (none yet)\n");
    } else {
        printf("Give --account NAME to see the addresses found in that account's Sent folders.\n");
    }
    goto done;
fail:
    rc = kw_cli_fail(st, error);
done:
    kw_identity_list_free(ids);
    kw_identity_candidate_list_free(list);
    kw_free(error);
    return rc;
}

static int own_domain_list(kw_store_t *store)
{
    kw_colleague_domain_list_t *list = NULL;
    char **own = NULL, *error = NULL;
    kw_status_t st;

    st = kw_store_get_own_domains(store, &own, &error);
    if (st == KW_OK)
        st = kw_store_colleague_domains(store, &list, &error);
    if (st != KW_OK) {
        int rc = kw_cli_fail(st, error);
        kw_free(error);
        kw_strv_free(own);
        return rc;
    }
    if (own && !own[0]) {
        printf("Own domains are set to nothing: nobody is a colleague, everyone can be a relationship.\n"
               "('keepwarm identity own-domain default' returns to the domains of your addresses.)\n");
    } else {
        printf("Colleagues (never relationships) are everyone at:\n");
        for (size_t i = 0; i < list->count; i++) {
            char *d = kw_sanitize_for_display(list->items[i].domain);
            char *o = kw_sanitize_for_display(list->items[i].origin);
            if (list->items[i].source == KW_COLLEAGUE_OWN_DOMAIN)
                printf("  %-30s own domain%s%s\n", d, strcmp(d, o) ? " " : "", strcmp(d, o) ? o : "");
            else
                printf("  %-30s the domain of your address %s\n", d, o);
            kw_free(d);
            kw_free(o);
        }
        if (list->count == 0)
            printf("  (nobody yet: no own domain, and none of your addresses is at a company domain)\n");
    }
    kw_strv_free(own);
    kw_colleague_domain_list_free(list);
    return 0;
}

static int own_domain_command(kw_cli_t *cli, int argc, char **argv)
{
    const char *verb = argc >= 3 ? argv[2] : "list";
    const char *none[] = { NULL };
    kw_store_t *store = NULL;
    char *error = NULL;
    kw_status_t st = KW_OK;
    int rc;

    if (!strcmp(verb, "add") || !strcmp(verb, "remove")) {
        if (argc != 4)
            return kw_cli_usage_error("identity", "own-domain %s needs one domain", verb);
    } else if (!strcmp(verb, "list") || !strcmp(verb, "none") || !strcmp(verb, "default")) {
        if (argc > 3)
            return kw_cli_usage_error("identity", _("unexpected argument '%s'"), argv[3]);
    } else {
        return kw_cli_usage_error("identity", "own-domain takes list, add DOMAIN, remove DOMAIN, "
                                  "none or default, not '%s'", verb);
    }
    rc = kw_cli_open_store(cli, !strcmp(verb, "list") ? KW_STORE_READ_ONLY : KW_STORE_READ_WRITE, &store);
    if (rc != 0)
        return rc;
    if (!strcmp(verb, "list"))
        rc = own_domain_list(store);
    else {
        if (!strcmp(verb, "add"))
            st = kw_store_add_own_domain(store, argv[3], &error);
        else if (!strcmp(verb, "remove"))
            st = kw_store_remove_own_domain(store, argv[3], &error);
        else
            st = kw_store_set_own_domains(store, !strcmp(verb, "none") ? none : NULL, &error);
        if (st == KW_ERR_USAGE)
            rc = kw_cli_usage_error("identity", "%s", error);
        else if (st != KW_OK)
            rc = kw_cli_fail(st, error);
        else
            rc = own_domain_list(store);
    }
    kw_free(error);
    kw_store_close(store);
    return rc;
}

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

    rc = kw_cli_parse_options(cli, "identity",
                              "[list | add ADDR | remove ADDR | own-domain [list | add DOMAIN | "
                              "remove DOMAIN | none | default]]",
                              "Your own addresses decide who wrote to whom. Adding or removing one\n"
                              "recomputes everything locally, without downloading mail again.",
                              "Own domains: everyone at your company's domains is a colleague, never a\n"
                              "relationship; so is everyone at the domain of one of your (non-freemail)\n"
                              "addresses. 'own-domain none' turns that off (an archive where everyone\n"
                              "writes from one company); 'own-domain default' turns it back on.\n"
                              "[general] own_domains in the config file sets them at each sync.",
                              entries, &argc, &argv);
    if (rc != 0)
        goto done;
    if (argc >= 2 && !strcmp(argv[1], "own-domain")) {
        rc = own_domain_command(cli, argc, argv);
        goto done;
    }
    if (argc >= 2 && (!strcmp(argv[1], "add") || !strcmp(argv[1], "remove"))) {
        char *norm;
        if (argc != 3 || !account) {
            rc = kw_cli_usage_error("identity", "%s needs --account NAME and one address", argv[1]);
            goto done;
        }
        if (!(norm = kw_normalize_email(argv[2], -1))) {
            rc = kw_cli_usage_error("identity", "'%s' is not an e-mail address", argv[2]);
            goto done;
        }
        kw_free(norm);
        rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store);
        if (rc != 0)
            goto done;
        st = !strcmp(argv[1], "add") ? kw_store_add_identity(store, account, argv[2], &error)
                                     : kw_store_remove_identity(store, account, argv[2], &error);
        if (st != KW_OK)
            rc = kw_cli_fail(st, error);
        else if (!strcmp(argv[1], "remove"))
            warn_if_configured(cli, account, argv[2]);
        goto done;
    }
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "list") != 0)) {
        rc = kw_cli_usage_error("identity", "unknown arguments");
        goto done;
    }
    rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store);
    if (rc != 0)
        goto done;
    rc = identity_list(cli, store, account);
done:
    kw_free(error);
    kw_store_close(store);
    g_free(account);
    return rc;
}
