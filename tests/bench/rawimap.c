/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rawimap.c — the bench's "physical limit": the least work a client can do to
 * receive the header fields keepwarm needs.
 *
 *   LOGIN, LIST, then per folder keepwarm reads (everything selectable except
 *   \Trash, \Junk, \Drafts): EXAMINE + one
 *   UID FETCH 1:* (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (<KW_HEADER_FIELDS>)])
 *
 * Responses are only delimited (lines, literals skipped) and counted: nothing
 * is parsed, decoded or stored. Plain socket, or implicit TLS with GnuTLS
 * (priority "NORMAL", as libetpan uses). --mode=status does LOGIN, LIST and one
 * STATUS per folder instead: the floor of a sync that finds nothing new.
 *
 * Prints one JSON line: {"mode":..,"folders":N,"messages":N,"bytes":N,"seconds":S}
 *
 * usage: rawimap --port P [--host 127.0.0.1] --user U --password PW
 *                [--tls --ca-file CA] [--mode=fetch|status]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_GNUTLS
#include <gnutls/gnutls.h>
#endif

#include "header_parse.h" /* KW_HEADER_FIELDS: exactly the fields keepwarm fetches */

#define BUFSZ (256 * 1024)

typedef struct {
    int fd;
#ifdef HAVE_GNUTLS
    gnutls_session_t tls;
    gnutls_certificate_credentials_t cred;
#endif
    int use_tls;
    char *buf;
    size_t pos, len;
    uint64_t bytes_in;
    unsigned tagn;
} conn_t;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rawimap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read more bytes after the unread part (compacted to the front). */
static void fill(conn_t *c)
{
    ssize_t n;
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == BUFSZ)
        die("response line longer than %d bytes", BUFSZ);
    for (;;) {
#ifdef HAVE_GNUTLS
        if (c->use_tls) {
            n = gnutls_record_recv(c->tls, c->buf + c->len, BUFSZ - c->len);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                continue;
            if (n < 0)
                die("TLS read: %s", gnutls_strerror((int)n));
        } else
#endif
        {
            n = recv(c->fd, c->buf + c->len, BUFSZ - c->len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die("read: %s", strerror(errno));
        }
        break;
    }
    if (n == 0)
        die("server closed the connection");
    c->len += (size_t)n;
    c->bytes_in += (uint64_t)n;
}

static void send_all(conn_t *c, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w;
#ifdef HAVE_GNUTLS
        if (c->use_tls) {
            w = gnutls_record_send(c->tls, s, n);
            if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
                continue;
            if (w < 0)
                die("TLS write: %s", gnutls_strerror((int)w));
        } else
#endif
        {
            w = send(c->fd, s, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                die("write: %s", strerror(errno));
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Literal size if the line [s, e) (without CRLF) ends with {N} or {N+}; else -1. */
static long long literal_size(const char *s, const char *e)
{
    const char *p;
    long long v = 0, mul = 1;
    if (e == s || e[-1] != '}')
        return -1;
    p = e - 2;
    if (p >= s && *p == '+')
        p--;
    if (p < s || *p < '0' || *p > '9')
        return -1;
    while (p >= s && *p >= '0' && *p <= '9') {
        v += (*p - '0') * mul;
        mul *= 10;
        p--;
    }
    if (p < s || *p != '{')
        return -1;
    return v;
}

/* Next line (without CRLF) in the buffer; *lenp gets its length. The pointer
 * is valid until the next read. */
static char *next_line(conn_t *c, size_t *lenp)
{
    for (;;) {
        char *start = c->buf + c->pos;
        char *lf = memchr(start, '\n', c->len - c->pos);
        if (lf) {
            size_t n = (size_t)(lf - start);
            c->pos += n + 1;
            if (n > 0 && start[n - 1] == '\r')
                n--;
            *lenp = n;
            return start;
        }
        fill(c);
    }
}

/* Skip n bytes of literal. */
static void skip_bytes(conn_t *c, unsigned long long n)
{
    while (n > 0) {
        size_t avail = c->len - c->pos;
        if (avail == 0) {
            c->pos = c->len = 0;
            fill(c);
            continue;
        }
        if (avail > n)
            avail = (size_t)n;
        c->pos += avail;
        n -= avail;
    }
}

/* Copy n bytes of literal into a growing string. */
static void read_literal(conn_t *c, unsigned long long n, char **acc, size_t *acclen)
{
    while (n > 0) {
        size_t avail = c->len - c->pos;
        if (avail == 0) {
            c->pos = c->len = 0;
            fill(c);
            continue;
        }
        if (avail > n)
            avail = (size_t)n;
        *acc = realloc(*acc, *acclen + avail + 1);
        memcpy(*acc + *acclen, c->buf + c->pos, avail);
        *acclen += avail;
        (*acc)[*acclen] = 0;
        c->pos += avail;
        n -= avail;
    }
}

typedef void (*untagged_fn)(const char *resp, size_t len, void *data);

/* Send a command and read every response up to its tagged one. Untagged
 * responses (literals inlined) go to fn. Returns 1 for OK. */
static int command(conn_t *c, untagged_fn fn, void *data, const char *fmt, ...)
{
    char tag[16], cmd[8192];
    int n, tl;
    va_list ap;
    char *resp = NULL;
    size_t rlen = 0;

    tl = snprintf(tag, sizeof tag, "r%u", ++c->tagn);
    n = snprintf(cmd, sizeof cmd, "%s ", tag);
    va_start(ap, fmt);
    n += vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    n += snprintf(cmd + n, sizeof cmd - (size_t)n, "\r\n");
    send_all(c, cmd, (size_t)n);
    for (;;) {
        size_t len;
        char *line = next_line(c, &len);
        long long lit = literal_size(line, line + len);
        resp = realloc(resp, rlen + len + 3);
        memcpy(resp + rlen, line, len);
        rlen += len;
        resp[rlen] = 0;
        if (lit >= 0) {
            read_literal(c, (unsigned long long)lit, &resp, &rlen);
            continue; /* the response goes on after the literal */
        }
        if (rlen > (size_t)tl && memcmp(resp, tag, (size_t)tl) == 0 && resp[tl] == ' ') {
            int ok = strncasecmp(resp + tl + 1, "OK", 2) == 0;
            if (!ok)
                fprintf(stderr, "rawimap: %s\n", resp);
            free(resp);
            return ok;
        }
        if (fn && rlen > 2 && resp[0] == '*')
            fn(resp, rlen, data);
        rlen = 0;
    }
}

/* ---- LIST ---------------------------------------------------------------- */

typedef struct {
    char **names;
    int n;
} folders_t;

static int has_flag(const char *flags, size_t flen, const char *flag)
{
    size_t fl = strlen(flag);
    for (size_t i = 0; i + fl <= flen; i++)
        if (strncasecmp(flags + i, flag, fl) == 0 &&
            (i + fl == flen || flags[i + fl] == ' ' || flags[i + fl] == ')'))
            return 1;
    return 0;
}

/* "* LIST (flags) "/" name" — name as atom, quoted string or (inlined) literal. */
static void on_list(const char *r, size_t len, void *data)
{
    folders_t *f = data;
    const char *p = r, *end = r + len, *fl, *fe;
    char *name;
    size_t nl = 0;
    (void)len;
    if (strncasecmp(r, "* LIST ", 7) != 0)
        return;
    p = r + 7;
    if (*p != '(')
        return;
    fl = p + 1;
    fe = memchr(fl, ')', (size_t)(end - fl));
    if (!fe)
        return;
    if (has_flag(fl, (size_t)(fe - fl), "\\Noselect") || has_flag(fl, (size_t)(fe - fl), "\\NonExistent") ||
        has_flag(fl, (size_t)(fe - fl), "\\Trash") || has_flag(fl, (size_t)(fe - fl), "\\Junk") ||
        has_flag(fl, (size_t)(fe - fl), "\\Drafts"))
        return;
    p = fe + 2; /* delimiter */
    if (*p == '"') {
        p++;
        while (p < end && *p != '"')
            p += (*p == '\\') ? 2 : 1;
        p++;
    } else {
        while (p < end && *p != ' ')
            p++; /* NIL */
    }
    p++;
    if (p >= end)
        return;
    name = malloc((size_t)(end - p) + 3);
    if (*p == '"') {
        /* keep it quoted as the server sent it: we send it back verbatim */
        memcpy(name, p, (size_t)(end - p));
        nl = (size_t)(end - p);
    } else if (*p == '{') {
        /* a literal was inlined: the text after "}" is the name; quote it */
        const char *q = memchr(p, '}', (size_t)(end - p));
        q = q ? q + 1 : p;
        name[nl++] = '"';
        for (; q < end; q++) {
            if (*q == '"' || *q == '\\')
                name = realloc(name, nl + (size_t)(end - q) + 4), name[nl++] = '\\';
            name[nl++] = *q;
        }
        name[nl++] = '"';
    } else {
        memcpy(name, p, (size_t)(end - p));
        nl = (size_t)(end - p);
    }
    name[nl] = 0;
    f->names = realloc(f->names, sizeof(char *) * (size_t)(f->n + 1));
    f->names[f->n++] = name;
}

/* ---- EXAMINE + FETCH ----------------------------------------------------------- */

static void on_exists(const char *r, size_t len, void *data)
{
    long *exists = data;
    const char *p = r + 2;
    long v = 0;
    (void)len;
    if (*p < '0' || *p > '9')
        return;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    if (strncasecmp(p, " EXISTS", 7) == 0)
        *exists = v;
}

/* The streamed FETCH: only delimit and count. */
static uint64_t fetch_folder(conn_t *c)
{
    char tag[16], cmd[512];
    int tl, n;
    uint64_t msgs = 0;

    tl = snprintf(tag, sizeof tag, "r%u", ++c->tagn);
    n = snprintf(cmd, sizeof cmd,
                 "%s UID FETCH 1:* (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (" KW_HEADER_FIELDS ")])\r\n",
                 tag);
    send_all(c, cmd, (size_t)n);
    for (;;) {
        size_t len;
        char *line = next_line(c, &len);
        long long lit;
        if (len > 2 && line[0] == '*' && line[1] == ' ') {
            /* "* N FETCH (" */
            char *p = line + 2;
            while (p < line + len && *p >= '0' && *p <= '9')
                p++;
            if (p + 6 <= line + len && memcmp(p, " FETCH", 6) == 0)
                msgs++;
        } else if (len > (size_t)tl && memcmp(line, tag, (size_t)tl) == 0 && line[tl] == ' ') {
            if (strncasecmp(line + tl + 1, "OK", 2) != 0)
                die("FETCH failed: %.*s", (int)len, line);
            return msgs;
        }
        lit = literal_size(line, line + len);
        if (lit > 0)
            skip_bytes(c, (unsigned long long)lit);
    }
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: rawimap --port P [--host H] --user U --password PW [--tls [--ca-file CA]] "
                    "[--mode=fetch|status]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = NULL, *pw = NULL, *ca = NULL, *mode = "fetch";
    int port = 0, tls = 0;
    conn_t c;
    struct sockaddr_in sa;
    folders_t folders = { 0 };
    uint64_t total = 0;
    double t0 = now_s();
    int one = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--host") && i + 1 < argc)
            host = argv[++i];
        else if (!strcmp(a, "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(a, "--user") && i + 1 < argc)
            user = argv[++i];
        else if (!strcmp(a, "--password") && i + 1 < argc)
            pw = argv[++i];
        else if (!strcmp(a, "--ca-file") && i + 1 < argc)
            ca = argv[++i];
        else if (!strcmp(a, "--tls"))
            tls = 1;
        else if (!strncmp(a, "--mode=", 7))
            mode = a + 7;
        else
            usage();
    }
    if (!port || !user || !pw || (strcmp(mode, "fetch") && strcmp(mode, "status")))
        usage();

    memset(&c, 0, sizeof c);
    c.buf = malloc(BUFSZ);
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        die("host must be an IPv4 address");
    if (connect(c.fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect: %s", strerror(errno));
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    if (tls) {
#ifdef HAVE_GNUTLS
        int r;
        c.use_tls = 1;
        gnutls_global_init();
        gnutls_certificate_allocate_credentials(&c.cred);
        if (ca && gnutls_certificate_set_x509_trust_file(c.cred, ca, GNUTLS_X509_FMT_PEM) < 0)
            die("cannot load CA file %s", ca);
        gnutls_init(&c.tls, GNUTLS_CLIENT);
        gnutls_priority_set_direct(c.tls, "NORMAL", NULL);
        gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, c.cred);
        if (ca)
            gnutls_session_set_verify_cert(c.tls, "localhost", 0);
        gnutls_transport_set_int(c.tls, c.fd);
        do
            r = gnutls_handshake(c.tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        if (r < 0)
            die("TLS handshake: %s", gnutls_strerror(r));
#else
        die("built without GnuTLS");
#endif
    }

    {
        size_t len;
        char *greet = next_line(&c, &len);
        if (len < 4 || strncmp(greet, "* OK", 4) != 0)
            die("unexpected greeting");
    }
    if (!command(&c, NULL, NULL, "LOGIN \"%s\" \"%s\"", user, pw))
        die("LOGIN failed");
    if (!command(&c, on_list, &folders, "LIST \"\" \"*\""))
        die("LIST failed");

    for (int i = 0; i < folders.n; i++) {
        if (!strcmp(mode, "status")) {
            if (!command(&c, NULL, NULL, "STATUS %s (UIDNEXT UIDVALIDITY MESSAGES)", folders.names[i]))
                die("STATUS %s failed", folders.names[i]);
            continue;
        }
        long exists = -1;
        if (!command(&c, on_exists, &exists, "EXAMINE %s", folders.names[i]))
            die("EXAMINE %s failed", folders.names[i]);
        if (exists > 0)
            total += fetch_folder(&c);
    }
    command(&c, NULL, NULL, "LOGOUT");
#ifdef HAVE_GNUTLS
    if (c.use_tls) {
        gnutls_bye(c.tls, GNUTLS_SHUT_WR);
        gnutls_deinit(c.tls);
        gnutls_certificate_free_credentials(c.cred);
    }
#endif
    close(c.fd);
    printf("{\"mode\":\"%s\",\"tls\":%s,\"folders\":%d,\"messages\":%llu,\"bytes\":%llu,\"seconds\":%.6f}\n",
           mode, tls ? "true" : "false", folders.n, (unsigned long long)total,
           (unsigned long long)c.bytes_in, now_s() - t0);
    for (int i = 0; i < folders.n; i++)
        free(folders.names[i]);
    free(folders.names);
    free(c.buf);
    return 0;
}
