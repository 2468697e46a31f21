/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_session.c — connect, TLS, login and error mapping for one sync (see
 * imap_session.h). The only module that talks to libetpan's session API;
 * tls_verify.c checks the certificate. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "imap_fetch.h"
#include "imap_session.h"
#include "store.h" /* kw_set_error */
#include "tls_verify.h"

/* Declared in libetpan's headers only under USE_SSL. */
extern mailstream_low_driver *mailstream_ssl_driver;

/* ---- watchdog -------------------------------------------------------------- */

void kw_session_activity(kw_session_t *s)
{
    atomic_store(&s->wd_last_activity, g_get_monotonic_time());
}

/* libetpan's per-read timeout covers a silent server, but 1.9.4 can spin on
 * a connection closed inside a literal (reliability notes B2). The watchdog
 * cancels the stream when no byte moved for twice the timeout. */
static void *watchdog_main(void *data)
{
    kw_session_t *s = data;
    gint64 limit = (gint64)s->timeout * 2 * G_USEC_PER_SEC + 5 * G_USEC_PER_SEC;

    pthread_mutex_lock(&s->wd_lock);
    while (!s->wd_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->wd_cond, &s->wd_lock, &ts);
        if (s->wd_stop)
            break;
        gint64 last = atomic_load(&s->wd_last_activity);
        if (g_get_monotonic_time() - last > limit && s->imap->imap_stream) {
            mailstream_cancel(s->imap->imap_stream);
            kw_session_activity(s);
        }
    }
    pthread_mutex_unlock(&s->wd_lock);
    return NULL;
}

static void watchdog_start(kw_session_t *s)
{
    pthread_mutex_init(&s->wd_lock, NULL);
    pthread_cond_init(&s->wd_cond, NULL);
    kw_session_activity(s);
    s->watchdog_running = pthread_create(&s->watchdog, NULL, watchdog_main, s) == 0;
}

static void watchdog_stop(kw_session_t *s)
{
    if (!s->watchdog_running)
        return;
    pthread_mutex_lock(&s->wd_lock);
    s->wd_stop = 1;
    pthread_cond_signal(&s->wd_cond);
    pthread_mutex_unlock(&s->wd_lock);
    pthread_join(s->watchdog, NULL);
    pthread_cond_destroy(&s->wd_cond);
    pthread_mutex_destroy(&s->wd_lock);
    s->watchdog_running = 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

const char *kw_session_server_text(kw_session_t *s)
{
    return (s && s->imap && s->imap->imap_response) ? s->imap->imap_response : "";
}

mailstream *kw_session_stream(kw_session_t *s)
{
    return s->imap->imap_stream;
}

void kw_session_next_tag(kw_session_t *s, char *buf, size_t size)
{
    g_snprintf(buf, size, "kw%d", ++s->imap->imap_tag);
}

void kw_session_cancel_stream(kw_session_t *s)
{
    if (s && s->imap && s->imap->imap_stream)
        mailstream_cancel(s->imap->imap_stream);
}

/* A command answered NO or BAD with `text` (sanitised). */
static kw_status_t server_error(const char *text, const char *what, char **error)
{
    if (strstr(text, "authenticated but not connected")) {
        /* Office 365 accepts the password, then refuses the mailbox. */
        kw_set_error(error, "%s: the server accepted the password but refuses access to the "
                     "mailbox (%s) — check that IMAP is enabled for this account", what, text);
        return KW_ERR_AUTH;
    }
    kw_set_error(error, "%s: the server answered with an error%s%s", what, *text ? ": " : "", text);
    return KW_ERR_SERVER;
}

kw_status_t kw_session_fail(kw_session_t *s, int r, const char *what, char **error)
{
    char *text = g_utf8_make_valid(kw_session_server_text(s), -1);
    char *clean = kw_sanitize_for_display(text);
    int cancelled = s && s->cancelled && *s->cancelled;
    kw_status_t st;

    switch (r) {
    case MAILIMAP_ERROR_STREAM:
    case MAILIMAP_ERROR_CONNECTION_REFUSED:
        if (cancelled) {
            kw_set_error(error, "%s: cancelled", what);
            st = KW_ERR_CANCELLED;
        } else {
            kw_set_error(error, "%s: connection lost or timed out; the next sync resumes", what);
            st = KW_ERR_NETWORK;
        }
        break;
    case MAILIMAP_ERROR_PARSE:
        /* 1.9.4 reports a connection cut mid-line as a parse error. */
        kw_set_error(error, "%s: connection lost or unreadable answer from the server; the next sync resumes",
                     what);
        st = KW_ERR_NETWORK;
        break;
    case MAILIMAP_ERROR_MEMORY:
        kw_set_error(error, "%s: out of memory (the server's answer was too large)", what);
        st = KW_ERR_NOMEM;
        break;
    case MAILIMAP_ERROR_SSL:
        kw_set_error(error, "%s: TLS failed (handshake refused, or the server offers only old "
                     "TLS versions); nothing was sent", what);
        st = KW_ERR_TLS;
        break;
    case MAILIMAP_ERROR_STARTTLS:
        kw_set_error(error, "%s: the server refused STARTTLS; not falling back to plain text", what);
        st = KW_ERR_TLS;
        break;
    case MAILIMAP_ERROR_LOGIN:
    case MAILIMAP_ERROR_SASL:
        kw_set_error(error, "%s: the server rejected the user name or password%s%s — check them "
                     "(no retry was made, to avoid locking the account)",
                     what, *clean ? ": " : "", clean);
        st = KW_ERR_AUTH;
        break;
    default:
        st = server_error(clean, what, error);
        break;
    }
    g_free(text);
    g_free(clean);
    return st;
}

/* ---- commands libetpan cannot send (pipelined, extended) ---------------------- */

#define EXCHANGE_BUF (16 * 1024)

kw_status_t kw_session_exchange(kw_session_t *s, const char *commands, const char *last_tag,
                                kw_fetch_other_fn fn, void *data, kw_fetch_result_t *result,
                                const char *what, char **error)
{
    mailstream *stream = s->imap->imap_stream;
    kw_fetch_parser_t *parser;
    kw_fetch_result_t res = KW_FETCH_MORE;
    char *buf, *text;
    ssize_t n = 1;
    kw_status_t st;

    *result = KW_FETCH_MORE;
    if (mailstream_write(stream, commands, strlen(commands)) < 0 || mailstream_flush(stream) < 0) {
        kw_set_error(error, "%s: connection lost while sending; the next sync resumes", what);
        return KW_ERR_NETWORK;
    }
    kw_session_activity(s);
    parser = kw_fetch_parser_new(last_tag, NULL, NULL);
    kw_fetch_parser_set_other(parser, fn, data);
    buf = g_malloc(EXCHANGE_BUF);
    while (res == KW_FETCH_MORE) {
        /* Drain libetpan's own buffer first without blocking on the socket. */
        size_t want = stream->read_buffer_len > 0 ? stream->read_buffer_len : EXCHANGE_BUF;
        n = mailstream_read(stream, buf, MIN(want, EXCHANGE_BUF));
        if (n <= 0)
            break;
        kw_session_activity(s);
        res = kw_fetch_parser_feed(parser, buf, (size_t)n, NULL);
    }
    g_free(buf);
    *result = res;
    text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    switch (res) {
    case KW_FETCH_DONE_OK:
        st = KW_OK;
        break;
    case KW_FETCH_MORE:
        if (s->cancelled && *s->cancelled) {
            kw_set_error(error, "%s: cancelled", what);
            st = KW_ERR_CANCELLED;
        } else {
            kw_set_error(error, "%s: %s; the next sync resumes", what,
                         n == 0 ? "the server closed the connection" : "connection lost or timed out");
            st = KW_ERR_NETWORK;
        }
        break;
    case KW_FETCH_BYE:
        kw_set_error(error, "%s: the server closed the session (%s); the next sync resumes", what, text);
        st = KW_ERR_NETWORK;
        break;
    case KW_FETCH_DONE_NO:
    case KW_FETCH_DONE_BAD: {
        /* The tagged line without its tag. */
        const char *reply = strchr(text, ' ');
        st = server_error(reply ? reply + 1 : text, what, error);
        break;
    }
    default:
        kw_set_error(error, "%s: unusable answer from the server (%s)", what, text);
        st = KW_ERR_SERVER;
        break;
    }
    g_free(text);
    kw_fetch_parser_free(parser);
    return st;
}

/* ---- connect and log in ------------------------------------------------------------ */

static void ssl_setup(struct mailstream_ssl_context *ctx, void *data)
{
    const char *host = data;
    if (!is_ip_literal(host))
        mailstream_ssl_set_server_name(ctx, (char *)host); /* 1.9.4 takes char * */
}

static int stream_is_tls(mailimap *imap)
{
    mailstream_low *low = imap && imap->imap_stream ? mailstream_get_low(imap->imap_stream) : NULL;
    return low && low->driver == mailstream_ssl_driver;
}

/* libetpan 1.9.4 calls gnutls_perror() when a handshake fails, which writes
 * "GnuTLS error: ..." to fd 2 before we can say anything useful. The
 * handshake runs with fd 2 pointed at /dev/null; our own message explains
 * the failure. (Documented in keepwarm.h under kw_sync_run.) */
static int stderr_mute(void)
{
    int saved = dup(STDERR_FILENO);
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved < 0 || null_fd < 0) {
        if (saved >= 0)
            close(saved);
        if (null_fd >= 0)
            close(null_fd);
        return -1;
    }
    fflush(stderr);
    dup2(null_fd, STDERR_FILENO);
    close(null_fd);
    return saved;
}

static void stderr_unmute(int saved)
{
    if (saved < 0)
        return;
    dup2(saved, STDERR_FILENO);
    close(saved);
}

int kw_session_has_capability(kw_session_t *s, const char *name)
{
    struct mailimap_connection_info *ci = s->imap ? s->imap->imap_connection_info : NULL;
    if (!ci || !ci->imap_capability || !ci->imap_capability->cap_list)
        return 0;
    for (clistiter *it = clist_begin(ci->imap_capability->cap_list); it; it = clist_next(it)) {
        struct mailimap_capability *cap = clist_content(it);
        if (cap->cap_type == MAILIMAP_CAPABILITY_NAME && cap->cap_data.cap_name &&
            g_ascii_strcasecmp(cap->cap_data.cap_name, name) == 0)
            return 1;
    }
    return 0;
}

static int use_auth_plain(kw_session_t *s)
{
    const char *auth = s->opt->auth;
    if (auth && g_ascii_strcasecmp(auth, "plain") == 0)
        return 1;
    if (auth && g_ascii_strcasecmp(auth, "login") == 0)
        return 0;
    return kw_session_has_capability(s, "LOGINDISABLED") && mailimap_has_authentication(s->imap, "PLAIN");
}

/* Printable text of at most 120 bytes for a message (transfer full). */
static char *shown(const char *data, size_t len)
{
    char *raw = g_strndup(data, MIN(len, 120));
    char *clean = kw_sanitize_for_display(raw);
    g_free(raw);
    return clean;
}

/* STARTTLS (RFC 3501 6.2.1), then the TLS handshake on the same socket, with
 * a message that says which of the two failed and why. */
static kw_status_t starttls(kw_session_t *s, const char *what, char **error)
{
    mailstream_low *low = mailstream_get_low(s->imap->imap_stream), *tls;
    char peek[256];
    ssize_t n;
    int r, fd, muted;

    r = mailimap_starttls(s->imap);
    kw_session_activity(s);
    if (r != MAILIMAP_NO_ERROR) {
        mailstream *stream = s->imap->imap_stream;
        if (r == MAILIMAP_ERROR_STARTTLS && stream && stream->read_buffer_len > 0) {
            /* libetpan refuses bytes that came after the server's OK (CVE-2020-15953:
             * an attacker can inject them before TLS protects anything). */
            char *text = shown(stream->read_buffer, stream->read_buffer_len);
            int failure = g_ascii_strncasecmp(text, "NO", 2) == 0 || g_ascii_strncasecmp(text, "* NO", 4) == 0 ||
                          g_ascii_strncasecmp(text, "* BAD", 5) == 0 || g_ascii_strncasecmp(text, "BAD", 3) == 0;
            if (failure)
                kw_set_error(error, "%s: the server agreed to STARTTLS, then refused it (\"%s\"): its TLS "
                             "set-up is broken (a certificate missing or unreadable?); nothing was sent",
                             what, text);
            else
                kw_set_error(error, "%s: unexpected data right after the server agreed to STARTTLS (\"%s\"), "
                             "which an attacker could have injected; not going on, nothing was sent", what, text);
            g_free(text);
            return KW_ERR_TLS;
        }
        if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_CONNECTION_REFUSED) {
            kw_set_error(error, "%s: the connection broke at STARTTLS; not falling back to plain text", what);
        } else {
            /* NO, BAD, or an unreadable answer: all TLS failures (exit 4),
             * never a reason to go on in plain text. */
            char *text = kw_sanitize_for_display(kw_session_server_text(s));
            kw_set_error(error, "%s: the server refused STARTTLS%s%s; not falling back to plain text", what,
                         *text ? ": " : "", text);
            g_free(text);
        }
        return KW_ERR_TLS;
    }

    fd = mailstream_low_get_fd(low);
    if (fd < 0)
        return kw_session_fail(s, MAILIMAP_ERROR_STREAM, what, error);
    muted = stderr_mute();
    tls = mailstream_low_tls_open_with_callback(fd, ssl_setup, (void *)s->opt->host);
    stderr_unmute(muted);
    kw_session_activity(s);
    if (!tls) {
        /* A server that agreed and then could not start TLS itself often says
         * so in plain text (Courier: "NO STARTTLS failed"): show what waits. */
        n = recv(fd, peek, sizeof peek - 1, MSG_DONTWAIT | MSG_PEEK);
        if (n > 0) {
            char *text = shown(peek, (size_t)n);
            kw_set_error(error, "%s: the server agreed to STARTTLS, then refused to start TLS, answering in "
                         "plain text (\"...%s\"): its TLS set-up is broken; nothing was sent", what, text);
            g_free(text);
        } else {
            kw_set_error(error, "%s: the TLS handshake after STARTTLS failed (the server may offer only "
                         "TLS 1.0/1.1, which are refused); nothing was sent", what);
        }
        return KW_ERR_TLS;
    }
    mailstream_low_free(low);
    mailstream_set_low(s->imap->imap_stream, tls);
    return KW_OK;
}

static int capabilities_known(kw_session_t *s)
{
    struct mailimap_connection_info *ci = s->imap->imap_connection_info;
    return ci && ci->imap_capability && ci->imap_capability->cap_list;
}

static kw_status_t read_capabilities(kw_session_t *s, char **error)
{
    struct mailimap_capability_data *caps = NULL;
    int r = mailimap_capability(s->imap, &caps);
    kw_session_activity(s);
    if (r != MAILIMAP_NO_ERROR)
        return kw_session_fail(s, r, "reading the server's capabilities", error);
    mailimap_capability_data_free(caps);
    return KW_OK;
}

/* Does `host` have an address? (After a failed connect only: tells a
 * misspelt host name from a server that is down.) */
static int host_resolves(const char *host)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (res)
        freeaddrinfo(res);
#ifdef EAI_NODATA
    if (rc == EAI_NODATA)
        return 0;
#endif
    return rc == 0 || (rc != EAI_NONAME && rc != EAI_FAIL && rc != EAI_AGAIN);
}

static kw_status_t connect_and_login(kw_session_t *s, char **error)
{
    const kw_sync_options_t *o = s->opt;
    int port = o->port ? o->port : (o->tls == KW_TLS_IMPLICIT ? 993 : 143);
    char *what = g_strdup_printf("connecting to %s:%d", o->host, port);
    struct mailimap_capability_data *caps_before;
    kw_status_t st;
    int r, preauth;

    if (o->tls == KW_TLS_NONE && !kw_host_is_loopback(o->host)) {
        kw_set_error(error, "refusing to send a password without TLS to %s; --tls=none is allowed "
                     "only for a loopback address", o->host);
        st = KW_ERR_INSECURE;
        goto done;
    }

    /* GnuTLS is initialised only now, with the TLS floor (tls_verify.c). */
    if (o->tls != KW_TLS_NONE) {
        st = kw_tls_init(error);
        if (st != KW_OK)
            goto done;
    }
    if (o->tls == KW_TLS_IMPLICIT) {
        int muted = stderr_mute();
        r = mailimap_ssl_connect_with_callback(s->imap, o->host, (uint16_t)port, ssl_setup,
                                               (void *)o->host);
        stderr_unmute(muted);
    } else
        r = mailimap_socket_connect(s->imap, o->host, (uint16_t)port);
    kw_session_activity(s);
    if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
        if (r == MAILIMAP_ERROR_CONNECTION_REFUSED && !host_resolves(o->host)) {
            /* libetpan reports a failed name lookup as a refused connection */
            kw_set_error(error, "%s: the host name %s does not resolve (misspelt, or no network "
                         "or name server)", what, o->host);
            st = KW_ERR_NETWORK;
        } else if (r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_STREAM) {
            kw_set_error(error, "%s: cannot connect (%s); check host, port and network",
                         what, r == MAILIMAP_ERROR_STREAM ? "no answer" : "refused or unreachable");
            st = KW_ERR_NETWORK;
        } else if (r == MAILIMAP_ERROR_SSL) {
            kw_set_error(error, "%s: the TLS handshake failed (is this an implicit-TLS port? "
                         "the server may offer only TLS 1.0/1.1, which is refused)", what);
            st = KW_ERR_TLS;
        } else if (r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION) {
            kw_set_error(error, "%s: the server refused the connection in its greeting", what);
            st = KW_ERR_SERVER;
        } else {
            st = kw_session_fail(s, r, what, error);
        }
        goto done;
    }
    preauth = (r == MAILIMAP_NO_ERROR_AUTHENTICATED);

    if (o->tls == KW_TLS_STARTTLS) {
        /* A PREAUTH greeting skips STARTTLS: refuse (reliability notes A10). */
        if (preauth) {
            kw_set_error(error, "%s: the server pre-authenticated the plain connection, so STARTTLS "
                         "is impossible; refusing to continue without TLS", what);
            st = KW_ERR_INSECURE;
            goto done;
        }
        /* Sent whether advertised or not; any failure is final (no fallback). */
        st = starttls(s, what, error);
        if (st != KW_OK)
            goto done;
    }

    if (o->tls != KW_TLS_NONE) {
        if (!stream_is_tls(s->imap)) {
            kw_set_error(error, "%s: the connection is not encrypted; the password was not sent", what);
            st = KW_ERR_INSECURE;
            goto done;
        }
        st = kw_tls_verify_stream(s->imap->imap_stream, o->host, o->ca_file, error);
        if (st != KW_OK)
            goto done;
    }

    /* Capabilities read before TLS are not trusted; read them again. Those
     * of a greeting that came over implicit TLS (or over --tls=none, where
     * nothing is trusted more later) serve as they are. */
    if (o->tls == KW_TLS_STARTTLS || !capabilities_known(s)) {
        st = read_capabilities(s, error);
        if (st != KW_OK)
            goto done;
    }

    if (preauth && o->tls == KW_TLS_IMPLICIT) {
        st = KW_OK; /* already authenticated over verified TLS */
        goto done;
    }
    /* LOGINDISABLED (RFC 3501 7.2.1): LOGIN must not be sent. On a plain
     * connection it means the server wants TLS first: send nothing at all. */
    if (kw_session_has_capability(s, "LOGINDISABLED")) {
        if (!stream_is_tls(s->imap)) {
            kw_set_error(error, "%s: the server accepts a login only over TLS (it announces LOGINDISABLED on "
                         "this plain connection); nothing was sent — use --tls=starttls (port 143) or "
                         "--tls=implicit (port 993)", what);
            st = KW_ERR_INSECURE;
            goto done;
        }
        if (!o->oauth2_token && !use_auth_plain(s)) {
            int explicit_login = o->auth && g_ascii_strcasecmp(o->auth, "login") == 0;
            kw_set_error(error, "%s: the server does not accept the LOGIN command (LOGINDISABLED)%s; "
                         "nothing was sent", what,
                         explicit_login ? " — use --auth=plain (or auth = plain in the config file)"
                                        : " and offers no AUTHENTICATE PLAIN, the other way keepwarm knows");
            st = explicit_login ? KW_ERR_USAGE : KW_ERR_SERVER;
            goto done;
        }
    }
    caps_before = s->imap->imap_connection_info ? s->imap->imap_connection_info->imap_capability : NULL;
    if (o->oauth2_token) {
        r = mailimap_oauth2_authenticate(s->imap, o->user, o->oauth2_token);
    } else if (use_auth_plain(s)) {
        /* SASL PLAIN through libetpan (Cyrus SASL's plain module). */
        r = mailimap_authenticate(s->imap, "PLAIN", o->host, NULL, NULL, o->user, o->user,
                                  o->password, NULL);
    } else {
        r = mailimap_login(s->imap, o->user, o->password);
    }
    kw_session_activity(s);
    if (r != MAILIMAP_NO_ERROR) {
        if (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL || r == MAILIMAP_ERROR_EXTENSION)
            st = kw_session_fail(s, MAILIMAP_ERROR_LOGIN, "logging in", error);
        else
            st = kw_session_fail(s, r, "logging in", error);
        goto done;
    }
    /* Servers list more capabilities once logged in (LIST-STATUS, ...);
     * most say so in the login's answer, which libetpan keeps. Otherwise
     * ask, once: LIST-STATUS saves a round trip per folder. */
    if (!kw_session_has_capability(s, "LIST-STATUS") &&
        (!s->imap->imap_connection_info || s->imap->imap_connection_info->imap_capability == caps_before)) {
        st = read_capabilities(s, error);
        goto done;
    }
    st = KW_OK;
done:
    g_free(what);
    return st;
}

kw_status_t kw_session_open(const kw_sync_options_t *o, int timeout, const int *cancelled,
                            kw_session_t **out, char **error)
{
    kw_session_t *s = g_new0(kw_session_t, 1);

    *out = s;
    s->opt = o;
    s->timeout = timeout;
    s->cancelled = cancelled;
    s->imap = mailimap_new(0, NULL);
    if (!s->imap)
        return KW_ERR_NOMEM;
    mailimap_set_timeout(s->imap, timeout);
    watchdog_start(s);
    return connect_and_login(s, error);
}

void kw_session_logout(kw_session_t *s)
{
    if (s && s->imap && s->imap->imap_stream)
        mailimap_logout(s->imap);
}

void kw_session_close(kw_session_t *s)
{
    if (!s)
        return;
    watchdog_stop(s);
    if (s->imap) {
        /* Close the stream first: mailimap_free() would otherwise send LOGOUT
         * and wait for a possibly dead or hostile server (reliability notes B6). */
        if (s->imap->imap_stream) {
            mailstream_close(s->imap->imap_stream);
            s->imap->imap_stream = NULL;
        }
        mailimap_free(s->imap);
    }
    g_free(s);
}
