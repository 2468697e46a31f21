/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_account.c — the native host's requests about set-up and sync:
 *
 *   status          {}                                   -> what is configured, where, what this host can do
 *   set-account     {host, user, password, port?, tls?, name?, me?}
 *                                                        -> {account, config}: the password goes to the
 *                                                           desktop keyring, the rest to the config file
 *   remove-account  {name}                               -> {account, keyring}
 *   sync            {account?, progress?}                -> {exit, accounts: [final event per account]}
 *
 * The config file is the CLI's ($XDG_CONFIG_HOME/keepwarm/config): an
 * account set up here is an ordinary [account NAME] group without
 * password_cmd, and `keepwarm sync` finds its password in the keyring. A
 * group written by hand (with password_cmd or oauth2_token_cmd) is never
 * changed from here. A sync runs `keepwarm sync --progress=json` as a child,
 * exactly as from a terminal or cron, and relays its progress. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "host.h"
#include "keyring.h"

#define PASSWORD_MAX 8192
#define SYNC_LINE_MAX 65536

/* ---- config file ------------------------------------------------------------ */

/* Load the config file; a missing file gives an empty key file. Returns NULL
 * after kw_host_fail() when it exists but cannot be read. */
static GKeyFile *config_load(kw_host_req_t *req, const char *path, gboolean *exists)
{
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;

    *exists = FALSE;
    if (g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &err)) {
        *exists = TRUE;
        return kf;
    }
    if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_error_free(err);
        return kf;
    }
    kw_host_fail(req, KW_HOST_E_CONFIG, "cannot read %s: %s", path, err->message);
    g_error_free(err);
    g_key_file_free(kf);
    return NULL;
}

static int config_save(kw_host_req_t *req, GKeyFile *kf, const char *path)
{
    GError *err = NULL;
    char *dir = g_path_get_dirname(path);
    gsize len;
    char *data = g_key_file_to_data(kf, &len, NULL);
    int rc = 0;

    if (g_mkdir_with_parents(dir, 0700) != 0 ||
        !g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
        kw_host_fail(req, KW_HOST_E_CONFIG, "cannot write %s: %s", path,
                     err ? err->message : g_strerror(errno));
        g_clear_error(&err);
        rc = -1;
    }
    g_free(data);
    g_free(dir);
    return rc;
}

/* Is this [account ...] group written by hand (own password source)? */
static gboolean hand_written(GKeyFile *kf, const char *group)
{
    return g_key_file_has_key(kf, group, "password_cmd", NULL) ||
           g_key_file_has_key(kf, group, "oauth2_token_cmd", NULL);
}

/* ---- status -------------------------------------------------------------------- */

static void add_path(JsonBuilder *b, const char *name, const char *path)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, path);
    json_builder_set_member_name(b, "exists");
    json_builder_add_boolean_value(b, g_file_test(path, G_FILE_TEST_EXISTS));
    json_builder_end_object(b);
}

static char *last_sync_path(void)
{
    return g_build_filename(g_get_user_state_dir(), "keepwarm", "last-sync.json", NULL);
}

/* The accounts `keepwarm sync` would sync (the config file read as it
 * reads it), with where each password comes from (never the password). */
static void add_accounts(JsonBuilder *b, const kw_config_t *cfg)
{
    json_builder_set_member_name(b, "accounts");
    json_builder_begin_array(b);
    for (guint i = 0; i < cfg->accounts->len; i++) {
        const kw_account_cfg_t *a = &g_array_index(cfg->accounts, kw_account_cfg_t, i);
        json_builder_begin_object(b);
        kw_json_member_string(b, "name", a->account);
        kw_json_member_string(b, "host", a->host);
        json_builder_set_member_name(b, "port");
        json_builder_add_int_value(b, a->port);
        kw_json_member_string(b, "tls", a->tls ? a->tls : "implicit");
        kw_json_member_string(b, "user", a->user);
        json_builder_set_member_name(b, "me");
        json_builder_begin_array(b);
        for (char **m = a->me; m && *m; m++) {
            char *c = kw_cli_clean(*m);
            json_builder_add_string_value(b, c);
            g_free(c);
        }
        json_builder_end_array(b);
        kw_json_member_string(b, "password",
                              a->token_cmd ? "oauth2" : a->password_cmd ? "command" : "keyring");
        /* an account with its own password source was written by hand */
        json_builder_set_member_name(b, "managed_here");
        json_builder_add_boolean_value(b, !a->token_cmd && !a->password_cmd);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static JsonNode *cmd_status(kw_host_req_t *req)
{
    char *db = req->cli->db_path ? g_strdup(req->cli->db_path) : kw_default_store_path();
    char *log = kw_host_log_path(), *last = last_sync_path(), *last_text = NULL;
    JsonBuilder *b = json_builder_new();
    kw_config_t cfg;
    int rc;

    /* Problems with the file (warnings too) go to the host's log. */
    rc = kw_config_load(req->cli, NULL, 0, &cfg);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "protocol");
    json_builder_add_int_value(b, KW_HOST_PROTOCOL);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, KW_VERSION);
    json_builder_set_member_name(b, "schema");
    json_builder_add_int_value(b, kw_store_schema_version());
    add_path(b, "config", cfg.path);
    if (rc != 0) { /* unusable: say so, list nothing */
        char *msg = g_strdup_printf("%s cannot be used: the reason is in %s (or run 'keepwarm sync' in a "
                                    "terminal)", cfg.path, log);
        kw_json_member_string(b, "config_error", msg);
        g_free(msg);
        g_array_set_size(cfg.accounts, 0);
    }
    add_accounts(b, &cfg);
    add_path(b, "store", db);
    kw_json_member_string(b, "log", log);
    json_builder_set_member_name(b, "last_sync");
    if (g_file_get_contents(last, &last_text, NULL, NULL)) {
        JsonParser *p = json_parser_new();
        if (json_parser_load_from_data(p, last_text, -1, NULL) && json_parser_get_root(p))
            json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
        else
            json_builder_add_null_value(b);
        g_object_unref(p);
    } else {
        json_builder_add_null_value(b);
    }
    kw_host_model_features(b);
    json_builder_end_object(b);
    kw_config_clear(&cfg);
    g_free(last_text);
    g_free(last);
    g_free(log);
    g_free(db);
    return kw_host_finish(b);
}

/* ---- set-account / remove-account ------------------------------------------------ */

static gboolean has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return TRUE;
    return FALSE;
}

/* A host name, IPv4 or IPv6 address: letters, digits, . - : [ ] only. */
static gboolean valid_host(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253)
        return FALSE;
    for (const char *p = h; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr(".-:[]", *p))
            return FALSE;
    return TRUE;
}

/* Wipe the string a JSON node holds (the password, once it is stored). */
static void wipe_param(kw_host_req_t *req, const char *name)
{
    JsonNode *n = kw_host_member(req, name);
    if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        char *s = (char *)json_node_get_string(n);
        explicit_bzero(s, strlen(s));
    }
}

static JsonNode *set_account(kw_host_req_t *req)
{
    const char *host = NULL, *user = NULL, *password = NULL, *tls = NULL, *name = NULL;
    int64_t port = 0;
    char **me = NULL, *path = NULL, *group = NULL, *account = NULL, *error = NULL;
    GKeyFile *kf = NULL;
    JsonBuilder *b;
    JsonNode *res = NULL;
    gboolean exists;

    if (kw_host_param_string(req, "host", 1, &host) < 0 || kw_host_param_string(req, "user", 1, &user) < 0 ||
        kw_host_param_string(req, "password", 1, &password) < 0 ||
        kw_host_param_string(req, "tls", 0, &tls) < 0 || kw_host_param_string(req, "name", 0, &name) < 0 ||
        kw_host_param_int(req, "port", 0, 1, 65535, &port) < 0 || kw_host_param_strv(req, "me", &me) < 0)
        goto done;
    if (!valid_host(host)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'host' is not a server name");
        goto done;
    }
    if (!*user || strlen(user) > 320 || has_control(user)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'user' must be a user name on one line");
        goto done;
    }
    if (!*password || strlen(password) > PASSWORD_MAX || has_control(password)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'password' must be one line of at most %d bytes",
                     PASSWORD_MAX);
        goto done;
    }
    if (tls && strcmp(tls, "implicit") != 0 && strcmp(tls, "starttls") != 0 && strcmp(tls, "none") != 0) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'tls' is implicit, starttls or none");
        goto done;
    }
    for (char **m = me; m && *m; m++)
        if (!strchr(*m, '@') || has_control(*m) || strchr(*m, ';')) {
            kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'me' must list e-mail addresses");
            goto done;
        }
    account = name && *name ? g_strdup(name) : g_strdup_printf("%s@%s", user, host);
    if (strlen(account) > 128 || has_control(account) || strchr(account, '[') || strchr(account, ']')) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'name' must be a short name on one line, without [ or ]");
        goto done;
    }
    group = g_strdup_printf("account %s", account);
    path = kw_config_default_path(req->cli);
    if (!(kf = config_load(req, path, &exists)))
        goto done;
    if (g_key_file_has_group(kf, group) && hand_written(kf, group)) {
        kw_host_fail(req, KW_HOST_E_CONFIG, "[%s] in %s has its own password source; change it there", group,
                     path);
        goto done;
    }
    /* The password first: a config group without it would fail to sync. */
    if (kw_keyring_store(host, user, password, &error) < 0) {
        kw_host_fail(req, KW_HOST_E_KEYRING, "%s; without a keyring, set password_cmd in %s", error, path);
        goto done;
    }
    if (!exists)
        g_key_file_set_comment(kf, NULL, NULL,
                               " keepwarm accounts (see 'man keepwarm'). Passwords are never in this file.",
                               NULL);
    g_key_file_set_string(kf, group, "host", host);
    if (port)
        g_key_file_set_integer(kf, group, "port", (int)port);
    else
        g_key_file_remove_key(kf, group, "port", NULL);
    g_key_file_set_string(kf, group, "tls", tls ? tls : "implicit");
    g_key_file_set_string(kf, group, "user", user);
    if (me && me[0])
        g_key_file_set_string_list(kf, group, "me", (const char *const *)me, g_strv_length(me));
    else if (strchr(user, '@')) {
        const char *one[] = { user };
        g_key_file_set_string_list(kf, group, "me", one, 1);
    }
    g_key_file_set_comment(kf, group, NULL,
                           " Set up from the Thunderbird add-on: the password is in the desktop keyring.",
                           NULL);
    if (config_save(req, kf, path) < 0)
        goto done;
    kw_host_log("set-account: [%s] written to %s, password stored in the keyring", group, path);
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_string(b, "account", account);
    kw_json_member_string(b, "config", path);
    kw_json_member_string(b, "password", "keyring");
    json_builder_end_object(b);
    res = kw_host_finish(b);
done:
    wipe_param(req, "password");
    if (kf)
        g_key_file_free(kf);
    g_strfreev(me);
    g_free(error);
    g_free(group);
    g_free(account);
    g_free(path);
    return res;
}

static JsonNode *remove_account(kw_host_req_t *req)
{
    const char *name = NULL;
    char *path = NULL, *group = NULL, *host = NULL, *user = NULL, *error = NULL;
    GKeyFile *kf = NULL;
    JsonBuilder *b;
    JsonNode *res = NULL;
    gboolean exists;
    int cleared = 0;

    if (kw_host_param_string(req, "name", 1, &name) < 0)
        return NULL;
    group = g_strdup_printf("account %s", name);
    path = kw_config_default_path(req->cli);
    if (!(kf = config_load(req, path, &exists)))
        goto done;
    if (!g_key_file_has_group(kf, group)) {
        kw_host_fail(req, "not-found", "no [%s] in %s", group, path);
        goto done;
    }
    if (hand_written(kf, group)) {
        kw_host_fail(req, KW_HOST_E_CONFIG, "[%s] in %s was written by hand; change it there", group, path);
        goto done;
    }
    host = g_key_file_get_string(kf, group, "host", NULL);
    user = g_key_file_get_string(kf, group, "user", NULL);
    if (host && user && (cleared = kw_keyring_clear(host, user, &error)) < 0) {
        kw_host_fail(req, KW_HOST_E_KEYRING, "%s", error);
        goto done;
    }
    g_key_file_remove_group(kf, group, NULL);
    if (config_save(req, kf, path) < 0)
        goto done;
    kw_host_log("remove-account: [%s] removed from %s", group, path);
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_string(b, "account", name);
    json_builder_set_member_name(b, "keyring");
    json_builder_add_boolean_value(b, cleared == 1);
    json_builder_end_object(b);
    res = kw_host_finish(b);
done:
    if (kf)
        g_key_file_free(kf);
    g_free(error);
    g_free(host);
    g_free(user);
    g_free(group);
    g_free(path);
    return res;
}

/* ---- sync ------------------------------------------------------------------------ */

/* Keep the result of the last sync for `status` (written atomically). */
static void save_last_sync(JsonNode *result, int64_t when)
{
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    JsonGenerator *gen = json_generator_new();
    char *path = last_sync_path(), *dir = g_path_get_dirname(path), *iso = kw_cli_iso_time(when), *data;
    gsize len;

    json_object_set_string_member(o, "time", iso);
    json_object_set_member(o, "result", json_node_copy(result));
    json_node_take_object(n, o);
    json_generator_set_root(gen, n);
    data = json_generator_to_data(gen, &len);
    if (g_mkdir_with_parents(dir, 0700) == 0)
        g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
    g_free(data);
    g_object_unref(gen);
    json_node_unref(n);
    g_free(iso);
    g_free(dir);
    g_free(path);
}

static JsonNode *cmd_sync(kw_host_req_t *req)
{
    const char *account = NULL;
    char *path = kw_config_default_path(req->cli), *exe = NULL, *line;
    GPtrArray *argv = NULL;
    GError *err = NULL;
    GPid pid = 0;
    int out_fd = -1, status = 0, exit_code, rc;
    guint accounts;
    kw_config_t cfg;
    gboolean relay;
    GIOChannel *ch = NULL;
    JsonBuilder *b = NULL;
    JsonNode *res = NULL;
    gsize len;

    if (kw_host_param_string(req, "account", 0, &account) < 0)
        goto done;
    /* The file as the sync will read it (what is wrong with it goes to the log). */
    rc = kw_config_load(req->cli, NULL, 0, &cfg);
    accounts = cfg.accounts->len;
    kw_config_clear(&cfg);
    if (rc != 0) {
        char *log = kw_host_log_path();
        kw_host_fail(req, KW_HOST_E_CONFIG, "%s cannot be used: the reason is in %s", path, log);
        g_free(log);
        goto done;
    }
    if (accounts == 0) {
        kw_host_fail(req, KW_HOST_E_NOT_CONFIGURED, "no account is set up (%s has no [account ...])", path);
        goto done;
    }
    exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe) {
        kw_host_fail(req, KW_HOST_E_INTERNAL, "cannot find the keepwarm program (/proc/self/exe)");
        goto done;
    }
    argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(exe));
    if (req->cli->db_path)
        g_ptr_array_add(argv, g_strconcat("--db=", req->cli->db_path, NULL));
    g_ptr_array_add(argv, g_strconcat("--config=", path, NULL));
    g_ptr_array_add(argv, g_strdup("sync"));
    g_ptr_array_add(argv, g_strdup("--progress=json"));
    if (account)
        g_ptr_array_add(argv, g_strconcat("--account=", account, NULL));
    g_ptr_array_add(argv, NULL);
    /* stdin: /dev/null; stdout: the progress lines; stderr: inherited (the log). */
    if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDERR, NULL, NULL, &pid,
                                  NULL, &out_fd, NULL, &err)) {
        kw_host_fail(req, KW_HOST_E_INTERNAL, "cannot start keepwarm sync: %s", err->message);
        g_error_free(err);
        goto done;
    }
    kw_host_log("sync: started pid %d", (int)pid);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "accounts");
    json_builder_begin_array(b);
    relay = req->send_event != NULL;
    ch = g_io_channel_unix_new(out_fd);
    g_io_channel_set_close_on_unref(ch, TRUE);
    while (g_io_channel_read_line(ch, &line, &len, NULL, NULL) == G_IO_STATUS_NORMAL) {
        JsonParser *p = json_parser_new();
        JsonNode *ev;
        const char *name;
        if (len < SYNC_LINE_MAX && json_parser_load_from_data(p, line, (gssize)len, NULL) &&
            (ev = json_parser_get_root(p)) && JSON_NODE_HOLDS_OBJECT(ev) &&
            (name = json_object_get_string_member_with_default(json_node_get_object(ev), "event", NULL))) {
            if (strcmp(name, "done") == 0 || strcmp(name, "error") == 0)
                json_builder_add_value(b, json_node_copy(ev));
            if (relay && req->send_event(req, "sync-progress", json_node_copy(ev)) < 0)
                relay = FALSE; /* the add-on went away; the sync goes on */
        }
        g_object_unref(p);
        g_free(line);
    }
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
    exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    kw_host_log("sync: pid %d exited %d", (int)pid, exit_code);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "exit");
    json_builder_add_int_value(b, exit_code);
    json_builder_end_object(b);
    res = json_builder_get_root(b);
    save_last_sync(res, req->now);
done:
    if (ch)
        g_io_channel_unref(ch);
    else if (out_fd >= 0)
        close(out_fd);
    if (b)
        g_object_unref(b);
    if (argv)
        g_ptr_array_unref(argv);
    g_free(exe);
    g_free(path);
    return res;
}

const kw_host_command_t kw_host_account_commands[] = {
    { "status", cmd_status, 0 },
    { "set-account", set_account, 0 },
    { "remove-account", remove_account, 0 },
    { "sync", cmd_sync, 0 },
    { NULL, NULL, 0 },
};
