/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_pg.c — the PostgreSQL adapter: connection policy, connect and run
 * statements with bounded waits, map libpq's failures into kw_status_t.
 * The only file that includes libpq-fe.h (see team_pg.h for the rules). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <libpq-fe.h>

#include "keepwarm.h"
#include "store.h"
#include "team_pg.h"

#define DEFAULT_TIMEOUT_S 30
/* The system trust store as one PEM file (Debian's ca-certificates). libpq 15
 * has no "sslrootcert=system" (PostgreSQL 16 added it). */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct kw_pg {
    PGconn *conn;     /* NULL once a timeout left it in an unknown state */
    int     timeout_s;
    char   *display;
    char   *user;
    char    sqlstate[6];
};

struct kw_pg_result {
    PGresult *res;
};

/* ------------------------------------------------------------------------ */
/* Policy                                                                    */
/* ------------------------------------------------------------------------ */

void kw_pg_params_clear(kw_pg_params_t *p)
{
    if (!p)
        return;
    if (p->keys)
        g_ptr_array_free(p->keys, TRUE);
    if (p->values)
        g_ptr_array_free(p->values, TRUE);
    g_free(p->display);
    memset(p, 0, sizeof *p);
}

/* One host of a list: a socket directory, or a loopback host
 * (kw_host_is_loopback: "localhost", 127.0.0.0/8, ::1; names are not
 * resolved here: a name other than localhost counts as remote). */
static int host_is_local(const char *host)
{
    if (!*host || host[0] == '/' || host[0] == '@')
        return 1;
    return kw_host_is_loopback(host);
}

/* 1 when the connection goes only to Unix sockets (no host: the default). */
static int host_list_all_sockets(const char *hosts)
{
    char **list;
    int all = 1;

    if (!hosts)
        return 1;
    list = g_strsplit(hosts, ",", -1);
    for (char **h = list; *h; h++) {
        const char *t = g_strstrip(*h);
        if (*t && t[0] != '/' && t[0] != '@')
            all = 0;
    }
    g_strfreev(list);
    return all;
}

int kw_pg_hosts_are_local(const char *hosts)
{
    char **list;
    int local = 1;

    if (!hosts)
        return 1; /* libpq's default: the Unix socket */
    list = g_strsplit(hosts, ",", -1);
    for (char **h = list; *h; h++)
        if (!host_is_local(g_strstrip(*h)))
            local = 0;
    g_strfreev(list);
    return local;
}

/* A password in a URI's user-info ("postgresql://jan:secret@host") or a
 * "password=" keyword. Checked on the raw text so that no parse error can
 * ever echo it. */
static int url_has_password(const char *url)
{
    if (g_str_has_prefix(url, "postgresql://") || g_str_has_prefix(url, "postgres://")) {
        const char *auth = strstr(url, "://") + 3;
        size_t n = strcspn(auth, "/?");
        const char *at = g_strrstr_len(auth, (gssize)n, "@");
        if (at && memchr(auth, ':', (size_t)(at - auth)))
            return 1;
        return strstr(url, "password=") != NULL;
    }
    for (const char *p = url; (p = strstr(p, "password")) != NULL; p++) {
        const char *q = p + 8;
        if (p != url && !g_ascii_isspace(p[-1]))
            continue;
        while (g_ascii_isspace(*q))
            q++;
        if (*q == '=')
            return 1;
    }
    return 0;
}

static void add_param(kw_pg_params_t *p, const char *key, const char *value)
{
    g_ptr_array_add(p->keys, g_strdup(key));
    g_ptr_array_add(p->values, g_strdup(value));
}

static const char *opt_value(PQconninfoOption *opts, const char *key)
{
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, key) == 0)
            return (o->val && *o->val) ? o->val : NULL;
    return NULL;
}

kw_status_t kw_pg_policy(const char *url, const char *ca_file, kw_pg_params_t *out, char **error)
{
    PQconninfoOption *opts = NULL;
    char *perr = NULL;
    const char *sslmode, *host, *hostaddr, *where, *minproto, *rootcert;
    kw_status_t st = KW_OK;
    int local;

    memset(out, 0, sizeof *out);
    if (!url || !*url) {
        kw_set_error(error, "no team server URL (e.g. postgresql://jan@db.example.com/sales)");
        return KW_ERR_USAGE;
    }
    if (url_has_password(url)) {
        kw_set_error(error, "the team server URL contains a password; remove it and use "
                            "password_cmd (or --password-fd) instead — a password is never "
                            "kept in a URL or a file");
        return KW_ERR_USAGE;
    }
    opts = PQconninfoParse(url, &perr);
    if (!opts) {
        kw_set_error(error, "cannot read the team server URL: %s",
                     perr ? g_strstrip(perr) : "out of memory");
        PQfreemem(perr);
        return perr ? KW_ERR_USAGE : KW_ERR_NOMEM;
    }
    if (opt_value(opts, "service")) {
        kw_set_error(error, "the team server URL names a service file entry; give host, "
                            "port and dbname in the URL itself");
        st = KW_ERR_USAGE;
        goto done;
    }
    if (opt_value(opts, "password") || opt_value(opts, "passfile")) {
        kw_set_error(error, "the team server URL contains a password or passfile; remove it "
                            "and use password_cmd (or --password-fd) instead");
        st = KW_ERR_USAGE;
        goto done;
    }
    /* The environment fills what the URL leaves out (PGHOST, PGHOSTADDR):
     * judge what libpq would really use, then pass it explicitly. */
    host = opt_value(opts, "host");
    if (!host && g_getenv("PGHOST") && *g_getenv("PGHOST"))
        host = g_getenv("PGHOST");
    hostaddr = opt_value(opts, "hostaddr");
    if (!hostaddr && g_getenv("PGHOSTADDR") && *g_getenv("PGHOSTADDR"))
        hostaddr = g_getenv("PGHOSTADDR");
    /* The connection goes to hostaddr when given; host then names the
     * certificate. Both must be local for a weaker mode. */
    local = kw_pg_hosts_are_local(hostaddr ? hostaddr : host) && (!host || kw_pg_hosts_are_local(host));
    where = hostaddr ? hostaddr : host ? host : "the local socket";

    sslmode = opt_value(opts, "sslmode");
    if (!sslmode)
        sslmode = "verify-full";
    if (strcmp(sslmode, "verify-full") != 0) {
        static const char *const known[] = { "verify-ca", "require", "prefer", "allow", "disable" };
        int ok_mode = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
            ok_mode |= strcmp(sslmode, known[i]) == 0;
        if (!ok_mode) {
            kw_set_error(error, "unknown sslmode '%s' in the team server URL", sslmode);
            st = KW_ERR_USAGE;
            goto done;
        }
        if (!local) {
            kw_set_error(error, "refusing sslmode=%s to %s: it %s; only a loopback address may "
                                "use it — remove sslmode from the URL (verify-full is the default)",
                         sslmode, where,
                         strcmp(sslmode, "verify-ca") == 0 ? "does not check the server's name"
                         : strcmp(sslmode, "require") == 0 ? "does not check the server's certificate"
                                                           : "may send everything unencrypted");
            st = KW_ERR_INSECURE;
            goto done;
        }
    }
    minproto = opt_value(opts, "ssl_min_protocol_version");
    if (minproto && (g_ascii_strcasecmp(minproto, "TLSv1") == 0 ||
                     g_ascii_strcasecmp(minproto, "TLSv1.1") == 0)) {
        kw_set_error(error, "refusing ssl_min_protocol_version=%s: TLS 1.2 is the minimum", minproto);
        st = KW_ERR_INSECURE;
        goto done;
    }

    out->keys = g_ptr_array_new_with_free_func(g_free);
    out->values = g_ptr_array_new_with_free_func(g_free);
    /* What was parsed, as explicit keywords, so that the environment
     * (PGSSLMODE, PGHOST, ...) cannot change what was checked. */
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (!strcmp(o->keyword, "sslmode") || !strcmp(o->keyword, "sslrootcert") ||
            !strcmp(o->keyword, "ssl_min_protocol_version") || !strcmp(o->keyword, "gssencmode") ||
            !strcmp(o->keyword, "host") || !strcmp(o->keyword, "hostaddr"))
            continue;
        add_param(out, o->keyword, o->val);
    }
    if (host)
        add_param(out, "host", host);
    if (hostaddr)
        add_param(out, "hostaddr", hostaddr);
    add_param(out, "sslmode", sslmode);
    add_param(out, "ssl_min_protocol_version", minproto ? minproto : "TLSv1.2");
    rootcert = opt_value(opts, "sslrootcert");
    if (!rootcert)
        rootcert = ca_file;
    if (!rootcert)
        rootcert = SYSTEM_CA_BUNDLE;
    if (strcmp(sslmode, "verify-full") == 0 || strcmp(sslmode, "verify-ca") == 0) {
        if (!g_file_test(rootcert, G_FILE_TEST_IS_REGULAR)) {
            kw_set_error(error, "cannot read the CA certificates %s%s", rootcert,
                         strcmp(rootcert, SYSTEM_CA_BUNDLE) == 0
                             ? " (install ca-certificates, or give ca_file)" : "");
            st = KW_ERR_USAGE;
            goto done;
        }
        /* libpq never uses TLS over a Unix socket (nothing to verify there). */
        out->tls = !host_list_all_sockets(hostaddr ? NULL : host);
    }
    add_param(out, "sslrootcert", rootcert);
    add_param(out, "gssencmode", opt_value(opts, "gssencmode") ? opt_value(opts, "gssencmode") : "disable");
    if (!opt_value(opts, "application_name"))
        add_param(out, "application_name", "keepwarm");
    /* TCP keepalives notice a peer that vanished while we wait. */
    if (!opt_value(opts, "keepalives_idle"))
        add_param(out, "keepalives_idle", "15");
    out->display = g_strdup_printf("%s%s%s/%s", host ? host : (hostaddr ? hostaddr : "local socket"),
                                   opt_value(opts, "port") ? ":" : "",
                                   opt_value(opts, "port") ? opt_value(opts, "port") : "",
                                   opt_value(opts, "dbname") ? opt_value(opts, "dbname") : "");
done:
    PQconninfoFree(opts);
    if (st != KW_OK)
        kw_pg_params_clear(out);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Waiting with a deadline                                                   */
/* ------------------------------------------------------------------------ */

/* Wait until the socket is readable (or writable); 0 ok, -1 timeout/error. */
static int wait_socket(PGconn *conn, int for_write, gint64 deadline)
{
    for (;;) {
        struct pollfd pfd;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        int rc;
        if (left <= 0)
            return -1;
        pfd.fd = PQsocket(conn);
        pfd.events = for_write ? POLLOUT : POLLIN;
        pfd.revents = 0;
        if (pfd.fd < 0)
            return -1;
        rc = poll(&pfd, 1, (int)MIN(left, 1000));
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static char *one_line(const char *msg)
{
    char *s = g_strdup(msg && *msg ? msg : "unknown error");
    /* libpq messages end in newlines and may hold DETAIL/HINT lines. */
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return g_strstrip(s);
}

/* libpq's words (untranslated) for a connection that went away, as opposed
 * to a certificate that was refused. */
static int dropped(const char *m)
{
    static const char *const marks[] = { "EOF detected", "server closed the connection",
                                         "Connection reset", "Broken pipe", "could not receive data",
                                         "unexpected eof" };
    for (size_t i = 0; i < G_N_ELEMENTS(marks); i++)
        if (strstr(m, marks[i]))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Connect                                                                   */
/* ------------------------------------------------------------------------ */

kw_status_t kw_pg_connect(const kw_team_server_t *server, kw_pg_t **out, char **error)
{
    kw_pg_params_t params;
    const char **keys = NULL, **values = NULL;
    PGconn *conn = NULL;
    kw_pg_t *pg = NULL;
    kw_status_t st;
    ConnStatusType last = CONNECTION_STARTED;
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    gint64 deadline;
    guint n, i;
    int timeout;

    *out = NULL;
    if (!server) {
        kw_set_error(error, "no team server");
        return KW_ERR_USAGE;
    }
    st = kw_pg_policy(server->url, server->ca_file, &params, error);
    if (st != KW_OK)
        return st;
    timeout = server->timeout_s > 0 ? server->timeout_s : DEFAULT_TIMEOUT_S;
    n = params.keys->len;
    keys = g_new0(const char *, n + 4);
    values = g_new0(const char *, n + 4);
    for (i = 0, n = 0; i < params.keys->len; i++) {
        if (server->user && strcmp(g_ptr_array_index(params.keys, i), "user") == 0)
            continue; /* the member given separately wins over the URL's user */
        keys[n] = g_ptr_array_index(params.keys, i);
        values[n++] = g_ptr_array_index(params.values, i);
    }
    i = n;
    if (server->user) {
        keys[i] = "user";
        values[i++] = server->user;
    }
    if (server->password) {
        /* libpq copies it into the connection and wipes that copy in PQfinish. */
        keys[i] = "password";
        values[i++] = server->password;
    }
    deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
    conn = PQconnectStartParams(keys, values, 0);
    if (!conn) {
        kw_set_error(error, "out of memory connecting to the team server");
        st = KW_ERR_NOMEM;
        goto done;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
        char *m = one_line(PQerrorMessage(conn));
        kw_set_error(error, "team server %s: %s", params.display, m);
        g_free(m);
        st = KW_ERR_NETWORK;
        goto done;
    }
    while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
        if (wait_socket(conn, ps == PGRES_POLLING_WRITING, deadline) != 0) {
            kw_set_error(error, "team server %s: no answer within %d s", params.display, timeout);
            st = KW_ERR_NETWORK;
            goto done;
        }
        /* The state a failing step ran in tells what failed. */
        last = PQstatus(conn);
        ps = PQconnectPoll(conn);
    }
    if (ps == PGRES_POLLING_FAILED) {
        char *m = one_line(PQerrorMessage(conn));
        if (PQconnectionNeedsPassword(conn)) {
            kw_set_error(error, "team server %s asks for a password: set password_cmd in the "
                                "[team] group of the config file (or use --password-fd)",
                         params.display);
            st = KW_ERR_AUTH;
        } else if (dropped(m)) {
            kw_set_error(error, "team server %s: the connection was lost while connecting: %s",
                         params.display, m);
            st = KW_ERR_NETWORK;
        } else if (last == CONNECTION_SSL_STARTUP) {
            kw_set_error(error, "team server %s: TLS failed, nothing was sent: %s", params.display, m);
            st = KW_ERR_TLS;
        } else if (last == CONNECTION_AWAITING_RESPONSE) {
            kw_set_error(error, "team server %s refused the login: %s", params.display, m);
            st = KW_ERR_AUTH;
        } else if (last == CONNECTION_AUTH_OK || last == CONNECTION_SETENV ||
                   last == CONNECTION_CHECK_WRITABLE || last == CONNECTION_CONSUME ||
                   last == CONNECTION_CHECK_TARGET || last == CONNECTION_CHECK_STANDBY) {
            kw_set_error(error, "team server %s: %s", params.display, m);
            st = KW_ERR_SERVER;
        } else {
            kw_set_error(error, "cannot connect to the team server %s: %s", params.display, m);
            st = KW_ERR_NETWORK;
        }
        g_free(m);
        goto done;
    }
    if (params.tls && !PQsslInUse(conn)) {
        /* libpq never drops to plaintext under verify-full; be sure anyway. */
        kw_set_error(error, "team server %s: the connection is not encrypted", params.display);
        st = KW_ERR_INSECURE;
        goto done;
    }
    if (PQsetnonblocking(conn, 1) != 0) {
        kw_set_error(error, "team server %s: cannot switch to non-blocking mode", params.display);
        st = KW_ERR_INTERNAL;
        goto done;
    }
    pg = g_new0(kw_pg_t, 1);
    pg->conn = conn;
    pg->timeout_s = timeout;
    pg->display = g_strdup(params.display);
    pg->user = g_strdup(PQuser(conn));
    conn = NULL;
    {
        /* No search_path (every name we use is qualified; nothing a member
         * could create may shadow a function), and the server drops our
         * transaction if we vanish mid-way. */
        char *ms = g_strdup_printf("%d", timeout * 1000);
        char *idle = g_strdup_printf("%d", timeout * 2000);
        const char *v[] = { ms, idle };
        st = kw_pg_exec(pg, "setting up the session",
                        "SELECT pg_catalog.set_config('search_path', '', false),"
                        " pg_catalog.set_config('statement_timeout', $1, false),"
                        " pg_catalog.set_config('idle_in_transaction_session_timeout', $2, false)",
                        2, v, NULL, error);
        g_free(ms);
        g_free(idle);
    }
    if (st != KW_OK) {
        kw_pg_close(pg);
        pg = NULL;
        goto done;
    }
    *out = pg;
done:
    if (conn)
        PQfinish(conn);
    g_free(keys);
    g_free(values);
    kw_pg_params_clear(&params);
    return st;
}

void kw_pg_close(kw_pg_t *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    g_free(pg->display);
    g_free(pg->user);
    g_free(pg);
}

const char *kw_pg_user(kw_pg_t *pg)
{
    return pg->user;
}

const char *kw_pg_display(kw_pg_t *pg)
{
    return pg->display;
}

const char *kw_pg_sqlstate(kw_pg_t *pg)
{
    return pg->sqlstate;
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static kw_status_t sqlstate_status(const char *state)
{
    if (!state)
        return KW_ERR_SERVER;
    if (g_str_has_prefix(state, "08") || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return KW_ERR_NETWORK;             /* connection exception, shutdown */
    if (strcmp(state, "42501") == 0 || g_str_has_prefix(state, "28"))
        return KW_ERR_AUTH;                /* permission denied, invalid authorization */
    if (strcmp(state, "53200") == 0)
        return KW_ERR_NOMEM;
    if (strcmp(state, "57014") == 0)
        return KW_ERR_NETWORK;             /* statement timeout: the server is too slow */
    return KW_ERR_SERVER;
}

/* Send a statement and flush it; returns KW_OK or a failure (message set). */
static kw_status_t send_statement(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                                  const char *const *values, int single_row, gint64 deadline,
                                  char **error);
static kw_status_t next_result(kw_pg_t *pg, const char *what, gint64 deadline, PGresult **out,
                               char **error);

static kw_status_t lost(kw_pg_t *pg, const char *what, char **error)
{
    char *m = one_line(pg->conn ? PQerrorMessage(pg->conn) : NULL);
    kw_set_error(error, "team server %s, %s: connection lost: %s", pg->display, what, m);
    g_free(m);
    return KW_ERR_NETWORK;
}

static kw_status_t timed_out(kw_pg_t *pg, const char *what, char **error)
{
    kw_set_error(error, "team server %s, %s: no answer within %d s", pg->display, what, pg->timeout_s);
    /* The connection is in an unknown state: nothing more goes through it. */
    PQfinish(pg->conn);
    pg->conn = NULL;
    return KW_ERR_NETWORK;
}

static kw_status_t send_statement(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                                  const char *const *values, int single_row, gint64 deadline,
                                  char **error)
{
    int sent, flushed;

    pg->sqlstate[0] = '\0';
    if (!pg->conn) {
        kw_set_error(error, "team server %s, %s: the connection was closed after a timeout",
                     pg->display, what);
        return KW_ERR_NETWORK;
    }
    sent = nparams > 0 || single_row
               ? PQsendQueryParams(pg->conn, sql, nparams, NULL, values, NULL, NULL, 0)
               : PQsendQuery(pg->conn, sql);
    if (!sent)
        return lost(pg, what, error);
    if (single_row && !PQsetSingleRowMode(pg->conn))
        return lost(pg, what, error);
    while ((flushed = PQflush(pg->conn)) == 1) {
        if (wait_socket(pg->conn, 1, deadline) != 0)
            return timed_out(pg, what, error);
        if (!PQconsumeInput(pg->conn))
            return lost(pg, what, error);
    }
    if (flushed < 0)
        return lost(pg, what, error);
    return KW_OK;
}

/* The next result (NULL at the end of the statement's results). */
static kw_status_t next_result(kw_pg_t *pg, const char *what, gint64 deadline, PGresult **out,
                               char **error)
{
    *out = NULL;
    while (PQisBusy(pg->conn)) {
        if (wait_socket(pg->conn, 0, deadline) != 0)
            return timed_out(pg, what, error);
        if (!PQconsumeInput(pg->conn))
            return lost(pg, what, error);
    }
    *out = PQgetResult(pg->conn);
    return KW_OK;
}

/* KW_OK for a successful result, else the mapped status (message set). */
static kw_status_t result_status(kw_pg_t *pg, const char *what, PGresult *res, char **error)
{
    ExecStatusType rs = PQresultStatus(res);
    const char *state;
    char *m;
    kw_status_t st;

    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK || rs == PGRES_SINGLE_TUPLE ||
        rs == PGRES_EMPTY_QUERY)
        return KW_OK;
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    m = one_line(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                     ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                     : PQerrorMessage(pg->conn));
    g_strlcpy(pg->sqlstate, state ? state : "", sizeof pg->sqlstate);
    st = PQstatus(pg->conn) == CONNECTION_BAD ? KW_ERR_NETWORK : sqlstate_status(state);
    kw_set_error(error, "team server %s, %s: %s", pg->display, what, m);
    g_free(m);
    return st;
}

/* Read the remaining results of a statement, keeping the first failure. */
static kw_status_t drain(kw_pg_t *pg, const char *what, gint64 deadline, kw_status_t st,
                         PGresult **last, char **error)
{
    for (;;) {
        PGresult *res;
        kw_status_t r = next_result(pg, what, deadline, &res, st == KW_OK ? error : NULL);
        if (r != KW_OK)
            return st == KW_OK ? r : st;
        if (!res)
            return st;
        if (st == KW_OK)
            st = result_status(pg, what, res, error);
        if (last) {
            PQclear(*last);
            *last = res;
        } else {
            PQclear(res);
        }
    }
}

kw_status_t kw_pg_exec(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                       const char *const *values, kw_pg_result_t **res_out, char **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)pg->timeout_s * G_USEC_PER_SEC;
    PGresult *last = NULL;
    kw_status_t st;

    if (res_out)
        *res_out = NULL;
    st = send_statement(pg, what, sql, nparams, values, 0, deadline, error);
    if (st != KW_OK)
        return st;
    st = drain(pg, what, deadline, KW_OK, &last, error);
    if (st == KW_OK && !last)
        st = lost(pg, what, error);
    if (st != KW_OK) {
        PQclear(last);
        return st;
    }
    if (res_out) {
        *res_out = g_new0(kw_pg_result_t, 1);
        (*res_out)->res = last;
    } else {
        PQclear(last);
    }
    return KW_OK;
}

kw_status_t kw_pg_exec_rows(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                            const char *const *values, kw_pg_row_fn row, void *data,
                            int64_t *rows_out, char **error)
{
    /* The deadline is per wait here: a long answer that keeps flowing is fine. */
    gint64 step = (gint64)pg->timeout_s * G_USEC_PER_SEC;
    const char *cols[64];
    int64_t rows = 0;
    kw_status_t st;

    if (rows_out)
        *rows_out = 0;
    st = send_statement(pg, what, sql, nparams, values, 1, g_get_monotonic_time() + step, error);
    if (st != KW_OK)
        return st;
    for (;;) {
        PGresult *res;
        int n;
        st = next_result(pg, what, g_get_monotonic_time() + step, &res, error);
        if (st != KW_OK)
            return st;
        if (!res)
            break;
        st = result_status(pg, what, res, error);
        if (st != KW_OK || PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
            PQclear(res);
            if (st != KW_OK)
                return drain(pg, what, g_get_monotonic_time() + step, st, NULL, error);
            continue; /* the final PGRES_TUPLES_OK */
        }
        n = MIN(PQnfields(res), (int)G_N_ELEMENTS(cols));
        for (int i = 0; i < n; i++)
            cols[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
        st = row(cols, n, data, error);
        PQclear(res);
        rows++;
        if (st != KW_OK) {
            /* Stop here: the rest of the answer is not wanted, and the
             * server rolls the transaction back when we hang up. */
            PQfinish(pg->conn);
            pg->conn = NULL;
            return st;
        }
    }
    if (rows_out)
        *rows_out = rows;
    return KW_OK;
}

int kw_pg_rows(const kw_pg_result_t *r)
{
    return r ? PQntuples(r->res) : 0;
}

const char *kw_pg_value(const kw_pg_result_t *r, int row, int col)
{
    if (!r || row >= PQntuples(r->res) || col >= PQnfields(r->res) || PQgetisnull(r->res, row, col))
        return NULL;
    return PQgetvalue(r->res, row, col);
}

int64_t kw_pg_affected(const kw_pg_result_t *r)
{
    const char *n = r ? PQcmdTuples(r->res) : NULL;
    return (n && *n) ? g_ascii_strtoll(n, NULL, 10) : 0;
}

void kw_pg_result_free(kw_pg_result_t *r)
{
    if (!r)
        return;
    PQclear(r->res);
    g_free(r);
}

char *kw_pg_quote_ident(kw_pg_t *pg, const char *s)
{
    char *q = PQescapeIdentifier(pg->conn, s, strlen(s));
    char *copy = g_strdup(q);
    PQfreemem(q);
    return copy;
}

char *kw_pg_quote_literal(kw_pg_t *pg, const char *s)
{
    char *q = PQescapeLiteral(pg->conn, s, strlen(s));
    char *copy = g_strdup(q);
    PQfreemem(q);
    return copy;
}

char *kw_pg_password_verifier(kw_pg_t *pg, const char *password, const char *user)
{
    char *v = PQencryptPasswordConn(pg->conn, password, user, "scram-sha-256");
    char *copy = g_strdup(v);
    PQfreemem(v);
    return copy;
}

void kw_pg_array_append(GString *out, const char *value)
{
    if (out->len > 1)
        g_string_append_c(out, ',');
    if (!value) {
        g_string_append(out, "NULL");
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}
