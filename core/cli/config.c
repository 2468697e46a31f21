/* SPDX-License-Identifier: GPL-3.0-or-later */
/* config.c — the configuration file ($XDG_CONFIG_HOME/keepwarm/config), read
 * with GKeyFile. The library never reads it; `keepwarm sync`,
 * `keepwarm identity` and `keepwarm team` do.
 *
 *   [general]
 *   own_domains = mycompany.example;mycompany-labs.example
 *   # own_domains =        (set to nothing: nobody is a colleague)
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
 *   [team]                    # the team's PostgreSQL server (keepwarm team)
 *   url = postgresql://jan@db.example.com/sales
 *   password_cmd = pass show keepwarm/team
 *   share = yes               # yes | no (the default: only pull)
 *   # ca_file = /etc/ssl/team-ca.pem
 *   # timeout = 30
 *
 * Bad input is never silently dropped: a `me` that is not an address or a
 * `port` that is not a number is a usage error naming the file and line; an
 * unknown group or key is a warning naming them (with the closest known key
 * when it looks like a typo). */
#include <stdarg.h>
#include <string.h>
#include <glib.h>

#include "cli.h"

/* A usage error about the file (nothing printed when quiet). */
static int config_error(const kw_config_t *cfg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int config_error(const kw_config_t *cfg, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (cfg->quiet)
        return KW_EXIT_USAGE;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* the message names the file, line and what is allowed: no "--help" */
    fprintf(stderr, "keepwarm: %s\n", msg);
    g_free(msg);
    return KW_EXIT_USAGE;
}

static const char *const account_keys[] = {
    "host",    "port", "tls",     "user",    "me", "password_cmd", "oauth2_token_cmd",
    "ca_file", "auth", "include", "exclude", NULL,
};
static const char *const general_keys[] = {"own_domains", NULL};
static const char *const team_keys[] = {"url", "password_cmd", "share", "ca_file", "timeout", NULL};

void kw_account_cfg_clear(kw_account_cfg_t *a)
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

void kw_config_clear(kw_config_t *cfg)
{
    if (cfg->accounts) {
        for (guint i = 0; i < cfg->accounts->len; i++)
            kw_account_cfg_clear(&g_array_index(cfg->accounts, kw_account_cfg_t, i));
        g_array_free(cfg->accounts, TRUE);
    }
    g_free(cfg->path);
    g_free(cfg->team.url);
    g_free(cfg->team.password_cmd);
    g_free(cfg->team.ca_file);
    g_strfreev(cfg->own_domains);
    if (cfg->lines)
        g_hash_table_destroy(cfg->lines);
    memset(cfg, 0, sizeof *cfg);
}

char *kw_config_default_path(kw_cli_t *cli)
{
    if (cli->config_path)
        return g_strdup(cli->config_path);
    return g_build_filename(g_get_user_config_dir(), "keepwarm", "config", NULL);
}

/* Edit distance of two short ASCII strings (for "did you mean"). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

    if (la >= G_N_ELEMENTS(prev) || lb >= G_N_ELEMENTS(prev))
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = MIN(sub, MIN(del, ins));
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

static const char *closest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3; /* at most two edits away ("password-cmd", "owndomains") */

    for (; *known; known++) {
        size_t d = distance(key, *known);
        if (d < best_d) {
            best_d = d;
            best = *known;
        }
    }
    return best;
}

static int in_list(const char *key, const char *const *known)
{
    for (; *known; known++)
        if (!strcmp(key, *known))
            return 1;
    return 0;
}

/* Walk the file's lines: remember where each "group\x1fkey" is, and warn
 * about groups and keys keepwarm does not know. */
static void scan_lines(kw_config_t *cfg, const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *group = NULL;

    for (int i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        int lineno = i + 1;
        if (*l == '\0' || *l == '#')
            continue;
        if (*l == '[') {
            char *end = strrchr(l, ']');
            g_free(group);
            group = g_strndup(l + 1, end ? (gsize)(end - l - 1) : strlen(l + 1));
            if (!cfg->quiet && strcmp(group, "general") != 0 && strcmp(group, "team") != 0 &&
                !g_str_has_prefix(group, "account "))
                fprintf(stderr,
                        _("keepwarm: warning: %s:%d: unknown group [%s] (ignored; keepwarm "
                          "reads [general], [account NAME] and [team])\n"),
                        cfg->path, lineno, group);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq || !group)
            continue;
        char *key = g_strstrip(g_strndup(l, (gsize)(eq - l)));
        char *locale = strchr(key, '[');
        if (locale)
            *locale = '\0';
        char *id = g_strconcat(group, "\x1f", key, NULL);
        if (!g_hash_table_contains(cfg->lines, id))
            g_hash_table_insert(cfg->lines, g_strdup(id), GINT_TO_POINTER(lineno));
        g_free(id);
        const char *const *known = !strcmp(group, "general")             ? general_keys
                                   : !strcmp(group, "team")              ? team_keys
                                   : g_str_has_prefix(group, "account ") ? account_keys
                                                                         : NULL;
        if (!cfg->quiet && known && !in_list(key, known)) {
            const char *guess = closest(key, known);
            char *hint = guess ? g_strdup_printf(_("; did you mean '%s'?"), guess)
                         : known == general_keys && closest(key, account_keys)
                             ? g_strdup(_("; account settings belong in an [account NAME] group"))
                             : g_strdup("");
            fprintf(stderr, _("keepwarm: warning: %s:%d: unknown key '%s' in [%s] (ignored%s)\n"),
                    cfg->path, lineno, key, group, hint);
            g_free(hint);
        }
        g_free(key);
    }
    g_free(group);
    g_strfreev(lines);
}

int kw_config_line(const kw_config_t *cfg, const char *group, const char *key)
{
    char *id = g_strconcat(group, "\x1f", key, NULL);
    int line = cfg->lines ? GPOINTER_TO_INT(g_hash_table_lookup(cfg->lines, id)) : 0;
    g_free(id);
    return line;
}

/* A ';'-separated list; NULL when the key is absent. An empty value gives
 * an empty array (set to nothing), not NULL. */
static char **key_list(GKeyFile *kf, const char *group, const char *key)
{
    char **v;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return NULL;
    v = g_key_file_get_string_list(kf, group, key, NULL, NULL);
    if (!v)
        v = g_new0(char *, 1);
    /* "a@x.org; b@y.org": entries are trimmed, empty ones dropped */
    {
        char **w = v;
        for (char **r = v; *r; r++) {
            g_strstrip(*r);
            if (**r)
                *w++ = *r;
            else
                g_free(*r);
        }
        *w = NULL;
    }
    return v;
}

static int check_addresses(const kw_config_t *cfg, const char *group, const char *key, char **values)
{
    for (char **m = values; m && *m; m++) {
        char *norm = kw_normalize_email(*m, -1);
        if (!norm)
            return config_error(cfg, _("%s:%d: %s: '%s' is not an e-mail address%s"), cfg->path,
                                kw_config_line(cfg, group, key), key, *m,
                                strchr(*m, ',') ? _(" (separate several addresses with ';')") : "");
        kw_free(norm);
    }
    return 0;
}

/* Read one [account NAME] group into *a. 0 or an exit code. */
static int read_account(const kw_config_t *cfg, GKeyFile *kf, const char *group, kw_account_cfg_t *a)
{
    GError *err = NULL;
    int rc;

    a->account = g_strstrip(g_strdup(group + strlen("account ")));
    a->host = g_key_file_get_string(kf, group, "host", NULL);
    if (g_key_file_has_key(kf, group, "port", NULL)) {
        a->port = g_key_file_get_integer(kf, group, "port", &err);
        if (err || a->port <= 0 || a->port > 65535) {
            char *raw = g_key_file_get_value(kf, group, "port", NULL);
            rc = config_error(cfg, _("%s:%d: port: '%s' is not a port number"), cfg->path,
                              kw_config_line(cfg, group, "port"), raw ? raw : "");
            g_free(raw);
            g_clear_error(&err);
            return rc;
        }
    }
    a->tls = g_key_file_get_string(kf, group, "tls", NULL);
    if (a->tls) {
        static const char *const modes[] = { "implicit", "ssl", "tls", "starttls", "none", NULL };
        g_strstrip(a->tls);
        if (!in_list(a->tls, modes))
            return config_error(cfg, _("%s:%d: tls: '%s' is not a TLS mode: implicit (port 993), "
                                       "starttls (port 143) or none (a server on this machine only)%s"),
                                cfg->path, kw_config_line(cfg, group, "tls"), a->tls,
                                !g_ascii_strcasecmp(a->tls, "off") || !g_ascii_strcasecmp(a->tls, "no") ||
                                        !g_ascii_strcasecmp(a->tls, "false")
                                    ? _("; did you mean 'none'?") : "");
    }
    a->user = g_key_file_get_string(kf, group, "user", NULL);
    a->me = key_list(kf, group, "me");
    if ((rc = check_addresses(cfg, group, "me", a->me)) != 0)
        return rc;
    a->password_cmd = g_key_file_get_string(kf, group, "password_cmd", NULL);
    a->token_cmd = g_key_file_get_string(kf, group, "oauth2_token_cmd", NULL);
    a->ca_file = g_key_file_get_string(kf, group, "ca_file", NULL);
    a->auth = g_key_file_get_string(kf, group, "auth", NULL);
    if (a->auth) {
        static const char *const mechs[] = { "auto", "login", "plain", NULL };
        g_strstrip(a->auth);
        if (!in_list(a->auth, mechs))
            return config_error(cfg, _("%s:%d: auth: '%s' is not a way to log in: auto, login or plain"),
                                cfg->path, kw_config_line(cfg, group, "auth"), a->auth);
    }
    a->include = key_list(kf, group, "include");
    a->exclude = key_list(kf, group, "exclude");
    if (!a->host || !a->user)
        return config_error(cfg, _("%s: [%s] needs host and user"), cfg->path, group);
    return 0;
}

static int parse_yes_no(const char *s, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (g_ascii_strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Read [team] into cfg->team. 0 or an exit code. */
static int read_team(kw_config_t *cfg, GKeyFile *kf)
{
    kw_team_cfg_t *t = &cfg->team;
    GError *err = NULL;
    char *share;
    int rc = 0;

    if (!g_key_file_has_group(kf, "team"))
        return 0;
    t->url = g_key_file_get_string(kf, "team", "url", NULL);
    if (t->url)
        g_strstrip(t->url);
    if (!t->url || !*t->url)
        return config_error(cfg, "%s: [team] needs url = postgresql://USER@HOST/DATABASE", cfg->path);
    t->password_cmd = g_key_file_get_string(kf, "team", "password_cmd", NULL);
    t->ca_file = g_key_file_get_string(kf, "team", "ca_file", NULL);
    share = g_key_file_get_string(kf, "team", "share", NULL);
    if (share && parse_yes_no(g_strstrip(share), &t->share) != 0)
        rc = config_error(cfg, "%s:%d: share: '%s' is neither yes nor no", cfg->path,
                          kw_config_line(cfg, "team", "share"), share);
    g_free(share);
    if (rc == 0 && g_key_file_has_key(kf, "team", "timeout", NULL)) {
        t->timeout = g_key_file_get_integer(kf, "team", "timeout", &err);
        if (err || t->timeout <= 0) {
            g_clear_error(&err);
            rc = config_error(cfg, "%s:%d: timeout: not a number of seconds", cfg->path,
                              kw_config_line(cfg, "team", "timeout"));
        }
    }
    t->present = rc == 0;
    return rc;
}

int kw_config_load(kw_cli_t *cli, const char *only, unsigned flags, kw_config_t *cfg)
{
    int need_accounts = (flags & KW_CONFIG_NEED_ACCOUNTS) != 0;
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    char *text = NULL, **groups = NULL;
    gsize len = 0;
    int rc = 0;

    memset(cfg, 0, sizeof *cfg);
    cfg->quiet = (flags & KW_CONFIG_QUIET) != 0;
    cfg->path = kw_config_default_path(cli);
    cfg->accounts = g_array_new(FALSE, TRUE, sizeof(kw_account_cfg_t));
    cfg->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!g_file_get_contents(cfg->path, &text, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            if (need_accounts)
                rc = config_error(cfg,
                                  _("no account given and no config file at %s; give "
                                    "--host, --user and --account, or write the config file "
                                    "(see 'man keepwarm')"),
                                  cfg->path);
        } else {
            rc = config_error(cfg, _("cannot read %s: %s"), cfg->path, err->message);
        }
        g_error_free(err);
        goto done;
    }
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &err)) {
        rc = config_error(cfg, "%s: %s", cfg->path, err->message);
        g_error_free(err);
        goto done;
    }
    scan_lines(cfg, text);

    if (g_key_file_has_key(kf, "general", "own_domains", NULL)) {
        cfg->has_own_domains = 1;
        cfg->own_domains = key_list(kf, "general", "own_domains");
    }
    if ((rc = read_team(cfg, kf)) != 0)
        goto done;
    groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        kw_account_cfg_t a;
        if (!g_str_has_prefix(*g, "account "))
            continue;
        memset(&a, 0, sizeof a);
        rc = read_account(cfg, kf, *g, &a);
        if (rc == 0 && only && strcmp(only, a.account) != 0) {
            kw_account_cfg_clear(&a);
            continue;
        }
        if (rc != 0) {
            kw_account_cfg_clear(&a);
            goto done;
        }
        g_array_append_val(cfg->accounts, a);
    }
    if (need_accounts && cfg->accounts->len == 0)
        rc = config_error(cfg, only ? _("no [account %s] in %s") : _("no [account ...] group in %s%s"),
                          only ? only : cfg->path, only ? cfg->path : "");
done:
    g_strfreev(groups);
    g_free(text);
    g_key_file_free(kf);
    return rc;
}

int kw_config_apply_own_domains(const kw_config_t *cfg, kw_store_t *store)
{
    char *error = NULL;
    kw_status_t st;

    if (!cfg->has_own_domains)
        return 0;
    st = kw_store_set_own_domains(store, (const char *const *)cfg->own_domains, &error);
    if (st == KW_ERR_USAGE) {
        int rc = config_error(cfg, "%s:%d: own_domains: %s", cfg->path,
                              kw_config_line(cfg, "general", "own_domains"), error);
        kw_free(error);
        return rc;
    }
    if (st != KW_OK) {
        int rc = kw_cli_fail(st, error);
        kw_free(error);
        return rc;
    }
    return 0;
}
