/* imap_sync.c — kw_sync_run(): one account from the IMAP server into the store.
 *
 * Order of events (each step must succeed before the next):
 *   lock -> connect (implicit TLS, or STARTTLS which is then mandatory)
 *   -> verify certificate chain + host name -> CAPABILITY (again, after TLS)
 *   -> LOGIN / XOAUTH2 -> LIST -> per folder: STATUS, and only when it has
 *   new UIDs: EXAMINE + one streamed UID FETCH of the new range, committed
 *   every `chunk_size` messages together with the folder position.
 *
 * Read-only: only CAPABILITY, LOGIN/AUTHENTICATE, LIST, STATUS, EXAMINE,
 * UID FETCH (BODY.PEEK) and LOGOUT are ever sent.
 *
 * Resume rule: the stored position of a folder is the highest UID such that
 * every message with a lower UID has been stored. Responses arrive in UID
 * order from real servers; if one ever does not, the position only advances
 * at the end of the command, so an interruption can repeat work but never
 * skip a message. Message identity keys make repeats harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <glib.h>
#include <libetpan/libetpan.h>

#include "header_parse.h"
#include "imap_fetch.h"
#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "sync_store.h"
#include "tls_verify.h"

/* Declared in libetpan's headers only under USE_SSL. */
extern mailstream_low_driver *mailstream_ssl_driver;

#define DEFAULT_TIMEOUT 60
#define DEFAULT_CHUNK 2000
#define READ_BUF (64 * 1024)

typedef struct {
    kw_store_t              *store;
    const kw_sync_options_t *opt;
    kw_sync_report_t        *report;
    mailimap                *imap;
    kw_sync_writer_t        *writer;
    int64_t                  account_id;
    int                      timeout;
    int                      chunk;
    int                      cancelled;
    int                      lock_fd;
    int64_t                  now;
    gint64                   start_us;

    /* watchdog: cancels the stream when nothing moves for too long */
    pthread_t                watchdog;
    int                      watchdog_running;
    pthread_mutex_t          wd_lock;
    pthread_cond_t           wd_cond;
    int                      wd_stop;
    _Atomic gint64           wd_last_activity; /* monotonic microseconds */

    /* current folder fetch */
    kw_folder_state_t       *folder;
    int                      folder_index, folders_total;
    uint32_t                 max_uid;     /* highest UID received */
    int                      in_order;    /* UIDs arrived ascending so far */
    uint32_t                 committed_uid;
    uint32_t                 fetch_hi;    /* highest UID asked for; 0 = open range */
    GHashTable              *pending;     /* UIDs seen only without a header block */
    int                      warned_unrequested;

    /* The fetch pipeline: a reader thread reads the socket, tokenises the
     * FETCH responses and parses header blocks; this thread writes them to
     * the store. Events (batches, warnings, the end) pass through `events`;
     * at most MAX_BATCHES_IN_FLIGHT batches wait, so memory stays bounded. */
    GQueue                   events;      /* fetch_event_t*, guarded by flow_lock */
    pthread_mutex_t          flow_lock;   /* pthread, not GMutex: visible to TSan */
    pthread_cond_t           event_cond;  /* an event was queued */
    pthread_cond_t           flow_cond;   /* a batch left the queue, or abort */
    int                      pipeline_ready;
    int                      batches_in_flight;
    _Atomic int              abort_reader;
    GArray                  *reader_batch;
    const char              *fetch_tag;
    uint32_t                 uidnext;

    /* A folder's last batch is committed only after the next folder's FETCH
     * is on its way, so the server is not idle while we write. */
    struct {
        kw_folder_state_t   *folder;
        GArray              *batch;
        uint32_t             position, committed_uid;
        int64_t              done, total, new_in_folder;
        int                  folder_index;
    }                        deferred;
    int                      have_deferred;
    int                      folder_done_deferred;
    int64_t                  reader_done; /* the reader thread's count; main uses `done` */
    int64_t                  done, total, new_in_folder;
} sync_ctx_t;

/* ---- progress ----------------------------------------------------------- */

static void emit_for(sync_ctx_t *c, kw_progress_kind_t kind, const kw_folder_state_t *folder,
                     int index, int64_t done, int64_t total, int64_t added, const char *message)
{
    kw_progress_t p;
    if (!c->opt->progress)
        return;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.account = c->opt->account;
    p.folder = folder ? folder->display_name : NULL;
    p.folder_index = index;
    p.folders_total = c->folders_total;
    p.done = done;
    p.total = total;
    p.new_messages = added;
    p.message = message;
    if (c->opt->progress(&p, c->opt->progress_data) != 0)
        c->cancelled = 1;
}

/* Progress about the current folder. Called from the main thread only. */
static void emit(sync_ctx_t *c, kw_progress_kind_t kind, const char *message)
{
    emit_for(c, kind, c->folder, c->folder_index, c->done, c->total, c->new_in_folder, message);
}

static void warn(sync_ctx_t *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void warn(sync_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    emit(c, KW_PROGRESS_WARNING, msg);
    g_free(msg);
}

/* ---- watchdog ------------------------------------------------------------ */

static void activity(sync_ctx_t *c)
{
    atomic_store(&c->wd_last_activity, g_get_monotonic_time());
}

/* libetpan's per-read timeout covers a silent server, but 1.9.4 can spin on
 * a connection closed inside a literal (reliability notes B2). The watchdog
 * cancels the stream when no byte moved for twice the timeout. */
static void *watchdog_main(void *data)
{
    sync_ctx_t *c = data;
    gint64 limit = (gint64)c->timeout * 2 * G_USEC_PER_SEC + 5 * G_USEC_PER_SEC;

    pthread_mutex_lock(&c->wd_lock);
    while (!c->wd_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&c->wd_cond, &c->wd_lock, &ts);
        if (c->wd_stop)
            break;
        gint64 last = atomic_load(&c->wd_last_activity);
        if (g_get_monotonic_time() - last > limit && c->imap && c->imap->imap_stream) {
            mailstream_cancel(c->imap->imap_stream);
            activity(c);
        }
    }
    pthread_mutex_unlock(&c->wd_lock);
    return NULL;
}

static void watchdog_start(sync_ctx_t *c)
{
    pthread_mutex_init(&c->wd_lock, NULL);
    pthread_cond_init(&c->wd_cond, NULL);
    activity(c);
    c->watchdog_running = pthread_create(&c->watchdog, NULL, watchdog_main, c) == 0;
}

static void watchdog_stop(sync_ctx_t *c)
{
    if (!c->watchdog_running)
        return;
    pthread_mutex_lock(&c->wd_lock);
    c->wd_stop = 1;
    pthread_cond_signal(&c->wd_cond);
    pthread_mutex_unlock(&c->wd_lock);
    pthread_join(c->watchdog, NULL);
    pthread_cond_destroy(&c->wd_cond);
    pthread_mutex_destroy(&c->wd_lock);
    c->watchdog_running = 0;
}

/* ---- helpers ------------------------------------------------------------- */

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static const char *server_text(sync_ctx_t *c)
{
    return (c->imap && c->imap->imap_response) ? c->imap->imap_response : "";
}

/* Map a libetpan error of a command to a status + message. */
static kw_status_t imap_fail(sync_ctx_t *c, int r, const char *what, char **error)
{
    char *text = g_utf8_make_valid(server_text(c), -1);
    char *clean = kw_sanitize_for_display(text);
    kw_status_t st;

    switch (r) {
    case MAILIMAP_ERROR_STREAM:
    case MAILIMAP_ERROR_CONNECTION_REFUSED:
        if (c->cancelled) {
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
        if (strstr(text, "authenticated but not connected")) {
            /* Office 365 accepts the password, then refuses the mailbox. */
            kw_set_error(error, "%s: the server accepted the password but refuses access to the "
                         "mailbox (%s) — check that IMAP is enabled for this account", what, clean);
            st = KW_ERR_AUTH;
            break;
        }
        kw_set_error(error, "%s: the server answered with an error%s%s", what, *clean ? ": " : "", clean);
        st = KW_ERR_SERVER;
        break;
    }
    g_free(text);
    g_free(clean);
    return st;
}

/* Close the stream first: mailimap_free() would otherwise send LOGOUT and
 * wait for a possibly dead or hostile server (reliability notes B6). */
static void imap_drop(sync_ctx_t *c)
{
    if (!c->imap)
        return;
    if (c->imap->imap_stream) {
        mailstream_close(c->imap->imap_stream);
        c->imap->imap_stream = NULL;
    }
    mailimap_free(c->imap);
    c->imap = NULL;
}

/* ---- lock ------------------------------------------------------------------ */

static kw_status_t take_lock(sync_ctx_t *c, char **error)
{
    char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, c->opt->account, -1);
    char *path;
    sum[16] = '\0';
    path = g_strdup_printf("%s.sync-%s.lock", c->store->path, sum);
    g_free(sum);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0) {
        kw_set_error(error, "cannot create lock file %s: %s", path, g_strerror(errno));
        g_free(path);
        return KW_ERR_STORE;
    }
    g_free(path);
    /* flock: released by the kernel when the holder exits or is killed. */
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        kw_set_error(error, "a sync of account '%s' is already running; try again when it has finished",
                     c->opt->account);
        close(c->lock_fd);
        c->lock_fd = -1;
        return KW_ERR_BUSY;
    }
    return KW_OK;
}

/* ---- connect and log in ------------------------------------------------------ */

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

/* The capability list has `name` (e.g. "LOGINDISABLED"). */
static int has_capability(sync_ctx_t *c, const char *name)
{
    struct mailimap_connection_info *ci = c->imap->imap_connection_info;
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

static int use_auth_plain(sync_ctx_t *c)
{
    const char *auth = c->opt->auth;
    if (auth && g_ascii_strcasecmp(auth, "plain") == 0)
        return 1;
    if (auth && g_ascii_strcasecmp(auth, "login") == 0)
        return 0;
    return has_capability(c, "LOGINDISABLED") && mailimap_has_authentication(c->imap, "PLAIN");
}

static kw_status_t connect_and_login(sync_ctx_t *c, char **error)
{
    const kw_sync_options_t *o = c->opt;
    int port = o->port ? o->port : (o->tls == KW_TLS_IMPLICIT ? 993 : 143);
    char *what = g_strdup_printf("connecting to %s:%d", o->host, port);
    kw_status_t st;
    int r, preauth;

    if (o->tls == KW_TLS_NONE && !is_loopback(o->host)) {
        kw_set_error(error, "refusing to send a password without TLS to %s; --tls=none is allowed "
                     "only for a loopback address", o->host);
        st = KW_ERR_INSECURE;
        goto done;
    }

    c->imap = mailimap_new(0, NULL);
    if (!c->imap) {
        st = KW_ERR_NOMEM;
        goto done;
    }
    mailimap_set_timeout(c->imap, c->timeout);

    if (o->tls == KW_TLS_IMPLICIT) {
        int muted = stderr_mute();
        r = mailimap_ssl_connect_with_callback(c->imap, o->host, (uint16_t)port, ssl_setup,
                                               (void *)o->host);
        stderr_unmute(muted);
    } else
        r = mailimap_socket_connect(c->imap, o->host, (uint16_t)port);
    activity(c);
    if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
        if (r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_STREAM) {
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
            st = imap_fail(c, r, what, error);
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
        {
            int muted = stderr_mute();
            r = mailimap_socket_starttls_with_callback(c->imap, ssl_setup, (void *)o->host);
            stderr_unmute(muted);
        }
        activity(c);
        if (r != MAILIMAP_NO_ERROR) {
            /* Refused, tampered with, or a handshake the TLS floor rejects:
             * all TLS failures (exit 4), never a reason to go on in plain text. */
            kw_set_error(error, "%s: STARTTLS failed (%s); not falling back to plain text", what,
                         r == MAILIMAP_ERROR_SSL || r == MAILIMAP_ERROR_STREAM
                             ? "the TLS handshake failed; the server may offer only TLS 1.0/1.1"
                             : "refused by the server or tampered with");
            st = KW_ERR_TLS;
            goto done;
        }
    }

    if (o->tls != KW_TLS_NONE) {
        if (!stream_is_tls(c->imap)) {
            kw_set_error(error, "%s: the connection is not encrypted; the password was not sent", what);
            st = KW_ERR_INSECURE;
            goto done;
        }
        st = kw_tls_verify_stream(c->imap->imap_stream, o->host, o->ca_file, error);
        if (st != KW_OK)
            goto done;
    }

    /* Capabilities read before TLS are not trusted; read them again. */
    {
        struct mailimap_capability_data *caps = NULL;
        r = mailimap_capability(c->imap, &caps);
        activity(c);
        if (r != MAILIMAP_NO_ERROR) {
            st = imap_fail(c, r, "reading the server's capabilities", error);
            goto done;
        }
        mailimap_capability_data_free(caps);
    }

    if (preauth && o->tls == KW_TLS_IMPLICIT) {
        st = KW_OK; /* already authenticated over verified TLS */
        goto done;
    }
    if (o->oauth2_token) {
        r = mailimap_oauth2_authenticate(c->imap, o->user, o->oauth2_token);
    } else if (use_auth_plain(c)) {
        /* SASL PLAIN through libetpan (Cyrus SASL's plain module). */
        r = mailimap_authenticate(c->imap, "PLAIN", o->host, NULL, NULL, o->user, o->user,
                                  o->password, NULL);
    } else {
        r = mailimap_login(c->imap, o->user, o->password);
    }
    activity(c);
    if (r != MAILIMAP_NO_ERROR) {
        if (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL || r == MAILIMAP_ERROR_EXTENSION)
            st = imap_fail(c, MAILIMAP_ERROR_LOGIN, "logging in", error);
        else
            st = imap_fail(c, r, "logging in", error);
        goto done;
    }
    st = KW_OK;
done:
    g_free(what);
    return st;
}

/* ---- folders ------------------------------------------------------------------ */

typedef struct {
    const char *special;
    const char *const *names; /* lower-case display names (last path element or full) */
} special_names_t;

static const char *const sent_names[] = { "sent", "sent items", "sent messages", "sent mail",
                                          "gesendet", "gesendete objekte", "gesendete elemente",
                                          "envoyés", "elementos enviados", "enviados", "posta inviata",
                                          "inviata", NULL };
static const char *const trash_names[] = { "trash", "deleted", "deleted items", "deleted messages",
                                           "papierkorb", "gelöschte objekte", "gelöschte elemente",
                                           "bin", "corbeille", "papelera", "cestino", NULL };
static const char *const junk_names[] = { "junk", "spam", "junk e-mail", "junk email", "bulk mail",
                                          "junk-e-mail", "spamverdacht", "courrier indésirable", NULL };
static const char *const drafts_names[] = { "drafts", "draft", "entwürfe", "brouillons", "borradores",
                                            "bozze", NULL };
static const char *const queue_names[] = { "queue", "outbox", "postausgang", NULL };

static const special_names_t special_by_name[] = {
    { "Sent", sent_names },
    { "Trash", trash_names },
    { "Junk", junk_names },
    { "Drafts", drafts_names },
    { "Queue", queue_names },
};

static const char *special_from_name(const char *display, char delim)
{
    const char *leaf = display;
    char *lower, *full;
    const char *found = NULL;

    if (delim) {
        const char *p = strrchr(display, delim);
        if (p)
            leaf = p + 1;
    }
    /* "sent_items", "_sent_mail", "Sent-Items" read as "sent items"... */
    lower = g_strstrip(g_strdelimit(g_utf8_strdown(leaf, -1), "_-.", ' '));
    full = g_strstrip(g_strdelimit(g_utf8_strdown(display, -1), "_-.", ' '));
    for (size_t i = 0; i < G_N_ELEMENTS(special_by_name) && !found; i++)
        for (const char *const *n = special_by_name[i].names; *n && !found; n++)
            if (strcmp(lower, *n) == 0 || strcmp(full, *n) == 0)
                found = special_by_name[i].special;
    /* Gmail's localized containers: "[Gmail]/Sent Mail", "[Google Mail]/Gesendet". */
    g_free(lower);
    g_free(full);
    return found;
}

static const char *special_from_flags(struct mailimap_mbx_list_flags *flags, int *noselect)
{
    static const char *const known[] = { "Sent", "Trash", "Junk", "Drafts", "All", "Archive",
                                         "Flagged", "Important" };
    const char *special = NULL;
    clistiter *it;

    *noselect = 0;
    if (!flags)
        return NULL;
    if (flags->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
        flags->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
        *noselect = 1;
    for (it = clist_begin(flags->mbf_oflags); it; it = clist_next(it)) {
        struct mailimap_mbx_list_oflag *of = clist_content(it);
        if (of->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT || !of->of_flag_ext)
            continue;
        if (g_ascii_strcasecmp(of->of_flag_ext, "NonExistent") == 0 ||
            g_ascii_strcasecmp(of->of_flag_ext, "Noselect") == 0)
            *noselect = 1;
        for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
            if (g_ascii_strcasecmp(of->of_flag_ext, known[i]) == 0)
                special = known[i];
    }
    return special;
}

/* Modified UTF-7 (RFC 3501 5.1.3) to UTF-8 via glibc's UTF-7-IMAP converter;
 * names that do not decode are shown as sanitised raw bytes. Folders are
 * always keyed by their raw name (two raw names can decode alike). */
static char *decode_folder_name(const char *raw)
{
    char *utf8 = NULL, *clean;
    if (strchr(raw, '&'))
        utf8 = g_convert(raw, -1, "UTF-8", "UTF-7-IMAP", NULL, NULL, NULL);
    if (!utf8)
        utf8 = g_utf8_make_valid(raw, -1);
    clean = kw_sanitize_for_display(utf8);
    g_free(utf8);
    return clean;
}

static void folder_state_free(gpointer p)
{
    kw_folder_state_t *f = p;
    g_free(f->raw_name);
    g_free(f->display_name);
    g_free(f->special);
    g_free(f);
}

static int matches_any(const char *const *patterns, const char *name)
{
    for (; patterns && *patterns; patterns++)
        if (g_pattern_match_simple(*patterns, name))
            return 1;
    return 0;
}

/* LIST, then decide which folders to read. Returns a GPtrArray of
 * kw_folder_state_t (transfer full). */
static kw_status_t list_folders(sync_ctx_t *c, GPtrArray **out, char **error)
{
    clist *list = NULL;
    GPtrArray *folders = g_ptr_array_new_with_free_func(folder_state_free);
    int r;
    kw_status_t st = KW_OK;

    *out = NULL;
    r = mailimap_list(c->imap, "", "*", &list);
    activity(c);
    if (r != MAILIMAP_NO_ERROR) {
        g_ptr_array_free(folders, TRUE);
        return imap_fail(c, r, "listing folders", error);
    }
    /* Which special uses the server flags itself (SPECIAL-USE): only the
     * others are guessed from folder names. */
    GHashTable *flagged = g_hash_table_new(g_str_hash, g_str_equal);
    for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
        struct mailimap_mailbox_list *mb = clist_content(it);
        int noselect;
        const char *sp = special_from_flags(mb->mb_flag, &noselect);
        if (sp)
            g_hash_table_add(flagged, (gpointer)sp);
    }
    for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
        struct mailimap_mailbox_list *mb = clist_content(it);
        const char *special;
        int noselect;
        kw_folder_state_t *f;

        if (!mb->mb_name || !*mb->mb_name)
            continue;
        if (strchr(mb->mb_name, '\r') || strchr(mb->mb_name, '\n')) {
            warn(c, "skipping a folder whose name contains a line break");
            continue;
        }
        special = special_from_flags(mb->mb_flag, &noselect);
        if (noselect)
            continue;
        f = g_new0(kw_folder_state_t, 1);
        f->raw_name = g_strdup(g_ascii_strcasecmp(mb->mb_name, "INBOX") == 0 ? "INBOX" : mb->mb_name);
        f->display_name = decode_folder_name(f->raw_name);
        if (!special) {
            /* Claws' Queue folder has no special use anywhere; "Sent" etc.
             * count by name unless the server flags another folder so. */
            const char *by_name = special_from_name(f->display_name, mb->mb_delimiter);
            if (by_name && !g_hash_table_contains(flagged, by_name))
                special = by_name;
        }
        f->special = g_strdup(special);
        f->is_sent = special && strcmp(special, "Sent") == 0;
        g_ptr_array_add(folders, f);
    }
    mailimap_list_result_free(list);
    g_hash_table_destroy(flagged);

    /* Filter: skip Trash/Junk/Drafts/Queue and user patterns. */
    for (guint i = 0; i < folders->len;) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        int skip = 0;
        if (f->special && (!strcmp(f->special, "Trash") || !strcmp(f->special, "Junk") ||
                           !strcmp(f->special, "Drafts") || !strcmp(f->special, "Queue")))
            skip = 1;
        if (c->opt->include && !matches_any(c->opt->include, f->display_name))
            skip = 1;
        if (matches_any(c->opt->exclude, f->display_name))
            skip = 1;
        if (matches_any(c->opt->include, f->display_name))
            skip = 0; /* an explicit include wins over the default skips */
        if (skip)
            g_ptr_array_remove_index(folders, i);
        else
            i++;
    }
    c->report->folders_seen = (int)folders->len;
    *out = folders;
    return st;
}

/* ---- fetching ------------------------------------------------------------------ */

static void batch_free(GArray *batch)
{
    if (!batch)
        return;
    for (guint i = 0; i < batch->len; i++)
        kw_parsed_msg_clear(&g_array_index(batch, kw_parsed_msg_t, i));
    g_array_free(batch, TRUE);
}

static GArray *batch_new(int chunk)
{
    return g_array_sized_new(FALSE, TRUE, sizeof(kw_parsed_msg_t), (guint)MIN(chunk, 8192));
}

static uint32_t lowest_pending(const sync_ctx_t *c)
{
    GHashTableIter it;
    gpointer key;
    uint32_t low = 0;
    g_hash_table_iter_init(&it, c->pending);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        uint32_t uid = GPOINTER_TO_UINT(key);
        if (!low || uid < low)
            low = uid;
    }
    return low;
}

/* The position to store: never past a message that must be fetched again. */
static uint32_t safe_position(const sync_ctx_t *c, uint32_t candidate)
{
    uint32_t gap = lowest_pending(c);
    if (gap && candidate >= gap)
        candidate = gap - 1;
    return candidate < c->committed_uid ? c->committed_uid : candidate;
}

/* ---- the pipeline between the reader thread and this one ---------------- */

typedef enum { EV_BATCH, EV_WARNING, EV_END } event_kind_t;

typedef struct {
    event_kind_t      kind;
    GArray           *batch;    /* EV_BATCH, EV_END: parsed messages (may be empty) */
    uint32_t          position; /* EV_BATCH, EV_END: safe position after this batch */
    int64_t           done;     /* messages handled so far in this folder */
    char             *text;     /* EV_WARNING: message; EV_END: server text */
    kw_fetch_result_t result;   /* EV_END */
    int               read_error; /* EV_END: 0, or the read() result (0 EOF, -1 error) */
} fetch_event_t;

#define MAX_BATCHES_IN_FLIGHT 1

static void event_free(fetch_event_t *ev)
{
    if (!ev)
        return;
    batch_free(ev->batch);
    g_free(ev->text);
    g_free(ev);
}

static void queue_push(sync_ctx_t *c, fetch_event_t *ev)
{
    pthread_mutex_lock(&c->flow_lock);
    g_queue_push_tail(&c->events, ev);
    pthread_cond_signal(&c->event_cond);
    pthread_mutex_unlock(&c->flow_lock);
}

static fetch_event_t *queue_pop(sync_ctx_t *c)
{
    fetch_event_t *ev;
    pthread_mutex_lock(&c->flow_lock);
    while (g_queue_is_empty(&c->events))
        pthread_cond_wait(&c->event_cond, &c->flow_lock);
    ev = g_queue_pop_head(&c->events);
    if (ev->kind == EV_BATCH) {
        c->batches_in_flight--;
        pthread_cond_signal(&c->flow_cond);
    }
    pthread_mutex_unlock(&c->flow_lock);
    return ev;
}

/* Reader side: hand a warning to the writer (which emits it in order). */
static void reader_warn(sync_ctx_t *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void reader_warn(sync_ctx_t *c, const char *fmt, ...)
{
    fetch_event_t *ev = g_new0(fetch_event_t, 1);
    va_list ap;
    va_start(ap, fmt);
    ev->kind = EV_WARNING;
    ev->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    queue_push(c, ev);
}

/* Reader side: the position that may be stored once everything received so
 * far is committed (the writer also keeps it at or above what it stored). */
static uint32_t reader_position(sync_ctx_t *c, uint32_t candidate)
{
    uint32_t gap = lowest_pending(c);
    if (gap && candidate >= gap)
        candidate = gap - 1;
    return candidate;
}

/* Reader side: pass the current batch on; wait while the writer is behind. */
static int reader_hand_over(sync_ctx_t *c)
{
    fetch_event_t *ev = g_new0(fetch_event_t, 1);
    ev->kind = EV_BATCH;
    ev->batch = c->reader_batch;
    ev->position = reader_position(c, c->in_order ? c->max_uid : 0);
    ev->done = c->reader_done;
    c->reader_batch = batch_new(c->chunk);
    pthread_mutex_lock(&c->flow_lock);
    while (c->batches_in_flight >= MAX_BATCHES_IN_FLIGHT && !atomic_load(&c->abort_reader))
        pthread_cond_wait(&c->flow_cond, &c->flow_lock);
    c->batches_in_flight++;
    g_queue_push_tail(&c->events, ev);
    pthread_cond_signal(&c->event_cond);
    pthread_mutex_unlock(&c->flow_lock);
    return atomic_load(&c->abort_reader);
}

/* One transaction: `batch` (may be NULL) of `folder` plus its position
 * (never below *committed, which is updated). *added: new messages. */
static kw_status_t store_batch(sync_ctx_t *c, const kw_folder_state_t *folder, GArray *batch,
                               uint32_t position, uint32_t *committed, int64_t *added, char **error)
{
    kw_status_t st;

    *added = 0;
    st = kw_store_write_begin(c->store, error);
    if (st != KW_OK)
        return st;
    for (guint i = 0; batch && i < batch->len; i++) {
        int is_new;
        st = kw_sync_writer_add(c->writer, folder, &g_array_index(batch, kw_parsed_msg_t, i),
                                &is_new, error);
        if (st != KW_OK)
            goto fail;
        *added += is_new;
    }
    /* The position (and a new UIDVALIDITY) commit with the messages. */
    if (position < *committed)
        position = *committed;
    st = kw_sync_writer_set_position(c->writer, folder->id, folder->uidvalidity, position, error);
    if (st != KW_OK)
        goto fail;
    st = kw_store_write_commit(c->store, error);
    if (st != KW_OK)
        goto fail;
    *committed = position;
    c->report->messages_new += *added;
    return KW_OK;
fail:
    kw_store_write_rollback(c->store);
    return st;
}

/* Commit `batch` (may be NULL) of the current folder with position `position`. */
static kw_status_t commit_batch(sync_ctx_t *c, GArray *batch, uint32_t position, char **error)
{
    int64_t added;
    kw_status_t st = store_batch(c, c->folder, batch, position, &c->committed_uid, &added, error);
    if (st != KW_OK)
        return st;
    c->new_in_folder += added;
    emit(c, KW_PROGRESS_MESSAGES, NULL);
    return KW_OK;
}

static int on_fetch_item(const kw_fetch_item_t *item, void *data)
{
    sync_ctx_t *c = data;
    kw_parsed_msg_t msg;

    activity(c);
    if (item->uid == 0) {
        reader_warn(c, "%s: the server sent a FETCH response without UID; ignored", c->folder->display_name);
        return 0;
    }
    if (item->uid <= c->folder->last_uid)
        return 0; /* "n:*" also returns the last message when nothing is newer */
    if (c->fetch_hi && item->uid > c->fetch_hi) {
        /* Not asked for (B13): storing it would move the position past
         * messages that may still arrive below it. */
        if (!c->warned_unrequested++)
            reader_warn(c, "%s: the server sent UID %u, which was not asked for; ignored",
                        c->folder->display_name, item->uid);
        return 0;
    }
    if (!item->header && !item->oversized) {
        /* No header block: an unsolicited flags update (Dovecot sends
         * "* n FETCH (UID u FLAGS (...))" for \Recent mail), or a partial
         * or NIL answer. Until the block arrives for this UID, the position
         * stays below it, so a real gap is asked for again next time. */
        g_hash_table_add(c->pending, GUINT_TO_POINTER(item->uid));
        return 0;
    }
    g_hash_table_remove(c->pending, GUINT_TO_POINTER(item->uid));
    if (item->uid > c->max_uid) {
        c->max_uid = item->uid;
    } else {
        c->in_order = 0; /* duplicate or out of order: stop advancing mid-command */
    }
    c->reader_done++;
    c->report->messages_fetched++;
    if (item->oversized) {
        /* Permanent: no real header block is that large. Skipped for good. */
        reader_warn(c, "%s: message UID %u has a header block above 1 MiB; skipped",
                    c->folder->display_name, item->uid);
        return 0;
    }

    c->report->bytes_received += (int64_t)item->header_len;
    memset(&msg, 0, sizeof msg);
    if (kw_header_parse(item->header, item->header_len, item->internaldate, c->now, &msg) != 0) {
        kw_parsed_msg_clear(&msg);
        return 0;
    }
    g_array_append_val(c->reader_batch, msg);
    if ((int)c->reader_batch->len >= c->chunk)
        return reader_hand_over(c);
    return atomic_load(&c->abort_reader);
}

static gpointer reader_main(gpointer data)
{
    sync_ctx_t *c = data;
    mailstream *s = c->imap->imap_stream;
    kw_fetch_parser_t *parser = kw_fetch_parser_new(c->fetch_tag, on_fetch_item, c);
    char *buf = g_malloc(READ_BUF);
    kw_fetch_result_t res = KW_FETCH_MORE;
    fetch_event_t *end = g_new0(fetch_event_t, 1);

    c->reader_batch = batch_new(c->chunk);
    while (res == KW_FETCH_MORE && !atomic_load(&c->abort_reader)) {
        /* Drain libetpan's own buffer first without blocking on the socket. */
        size_t want = s->read_buffer_len > 0 ? s->read_buffer_len : READ_BUF;
        ssize_t n = mailstream_read(s, buf, want);
        if (n <= 0) {
            end->read_error = n == 0 ? 0 : -1;
            end->result = KW_FETCH_MORE;
            break;
        }
        activity(c);
        res = kw_fetch_parser_feed(parser, buf, (size_t)n, NULL);
    }
    if (res != KW_FETCH_MORE || !end->read_error)
        end->result = res;
    if (res == KW_FETCH_MORE && !end->read_error)
        end->read_error = 1; /* aborted by the writer */
    if (res == KW_FETCH_DONE_OK || res == KW_FETCH_DONE_NO) {
        guint n = g_hash_table_size(c->pending);
        if (n > 0)
            reader_warn(c, "%s: %u message%s (first UID %u) came without headers; %s fetched again "
                        "next time", c->folder->display_name, n, n == 1 ? "" : "s", lowest_pending(c),
                        n == 1 ? "it is" : "they are");
    }
    if (res == KW_FETCH_DONE_OK) {
        /* Every UID below UIDNEXT (as of EXAMINE) has now been seen. */
        uint32_t top = c->max_uid;
        if (c->uidnext > 0 && c->uidnext - 1 > top)
            top = c->uidnext - 1;
        end->position = reader_position(c, top);
    } else {
        end->position = 0; /* the writer keeps what it committed */
    }
    end->kind = EV_END;
    end->batch = c->reader_batch;
    end->done = c->reader_done;
    c->reader_batch = NULL;
    end->text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    g_free(buf);
    kw_fetch_parser_free(parser);
    queue_push(c, end);
    return NULL;
}

/* Writer side: stop the reader (it may wait on the network or on us). */
static void stop_reader(sync_ctx_t *c)
{
    atomic_store(&c->abort_reader, 1);
    if (c->imap && c->imap->imap_stream)
        mailstream_cancel(c->imap->imap_stream);
    pthread_mutex_lock(&c->flow_lock);
    pthread_cond_broadcast(&c->flow_cond);
    pthread_mutex_unlock(&c->flow_lock);
}

/* Commit the previous folder's last batch (see `deferred`) and report that
 * folder done. Touches no field the reader thread uses. */
static kw_status_t flush_deferred(sync_ctx_t *c, char **error)
{
    int64_t added = 0;
    kw_status_t st;

    if (!c->have_deferred)
        return KW_OK;
    c->have_deferred = 0;
    st = store_batch(c, c->deferred.folder, c->deferred.batch, c->deferred.position,
                     &c->deferred.committed_uid, &added, error);
    if (st == KW_OK) {
        c->deferred.new_in_folder += added;
        emit_for(c, KW_PROGRESS_MESSAGES, c->deferred.folder, c->deferred.folder_index,
                 c->deferred.done, c->deferred.total, c->deferred.new_in_folder, NULL);
        emit_for(c, KW_PROGRESS_FOLDER_DONE, c->deferred.folder, c->deferred.folder_index,
                 c->deferred.done, c->deferred.total, c->deferred.new_in_folder, NULL);
    }
    batch_free(c->deferred.batch);
    c->deferred.batch = NULL;
    return st;
}

static kw_status_t fetch_new(sync_ctx_t *c, uint32_t uidnext, char **error)
{
    mailstream *s = c->imap->imap_stream;
    char tag[32], range[48], *cmd;
    GThread *reader;
    fetch_event_t *end = NULL;
    kw_status_t st = KW_OK;

    g_hash_table_remove_all(c->pending);
    c->warned_unrequested = 0;
    if (c->folder->last_uid >= UINT32_MAX || (uidnext > 0 && uidnext - 1 <= c->folder->last_uid)) {
        st = flush_deferred(c, error);
        if (st != KW_OK)
            return st;
        if (c->folder->last_uid >= UINT32_MAX)
            return commit_batch(c, NULL, UINT32_MAX, error); /* nothing can be newer (C4) */
        /* Ask only for what existed at EXAMINE: mail arriving meanwhile is
         * fetched next time, and nothing above UIDNEXT is ever taken. */
        return commit_batch(c, NULL, safe_position(c, uidnext - 1), error);
    }
    c->fetch_hi = uidnext > 0 ? uidnext - 1 : 0;
    if (c->fetch_hi)
        g_snprintf(range, sizeof range, "%" G_GINT64_FORMAT ":%u", c->folder->last_uid + 1, c->fetch_hi);
    else
        g_snprintf(range, sizeof range, "%" G_GINT64_FORMAT ":*", c->folder->last_uid + 1);
    g_snprintf(tag, sizeof tag, "kw%d", ++c->imap->imap_tag);
    cmd = g_strdup_printf("%s UID FETCH %s (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ("
                          KW_HEADER_FIELDS ")])\r\n", tag, range);
    if (mailstream_write(s, cmd, strlen(cmd)) < 0 || mailstream_flush(s) < 0) {
        g_free(cmd);
        kw_set_error(error, "%s: connection lost while sending; the next sync resumes",
                     c->folder->display_name);
        return KW_ERR_NETWORK;
    }
    g_free(cmd);

    c->in_order = 1;
    c->reader_done = 0;
    c->fetch_tag = tag;
    c->uidnext = uidnext;
    c->batches_in_flight = 0;
    atomic_store(&c->abort_reader, 0);
    reader = g_thread_new("kw-fetch", reader_main, c);
    /* The server is sending now: write the previous folder's tail meanwhile. */
    st = flush_deferred(c, error);
    if (st != KW_OK)
        stop_reader(c);

    /* Commit batches as they come; the reader keeps reading meanwhile. */
    for (;;) {
        fetch_event_t *ev = queue_pop(c);
        if (ev->kind == EV_END) {
            end = ev;
            break;
        }
        if (ev->kind == EV_WARNING) {
            emit(c, KW_PROGRESS_WARNING, ev->text);
        } else {
            if (st == KW_OK) {
                c->done = ev->done;
                st = commit_batch(c, ev->batch, ev->position, error);
                if (st == KW_OK && c->cancelled) {
                    kw_set_error(error, "sync cancelled; what was fetched is kept");
                    st = KW_ERR_CANCELLED;
                }
                if (st != KW_OK)
                    stop_reader(c); /* then drain until its end event */
            }
        }
        event_free(ev);
    }
    g_thread_join(reader);
    c->done = end->done;
    if (st != KW_OK)
        goto done;

    switch (end->result) {
    case KW_FETCH_DONE_OK:
        /* Committed when the next folder's FETCH is under way (or at the end). */
        c->deferred.folder = c->folder;
        c->deferred.batch = end->batch;
        end->batch = NULL;
        c->deferred.position = end->position;
        c->deferred.committed_uid = c->committed_uid;
        c->deferred.done = c->done;
        c->deferred.total = c->total;
        c->deferred.new_in_folder = c->new_in_folder;
        c->deferred.folder_index = c->folder_index;
        c->have_deferred = 1;
        c->folder_done_deferred = 1;
        break;
    case KW_FETCH_DONE_NO:
        /* e.g. EXPUNGEISSUED or a throttling answer: keep what arrived but
         * do not advance the position, since a NO does not say which
         * messages were left out; the next sync asks again. */
        {
            char *msg = g_strdup_printf("%s: the server could not send every message (%s); the rest "
                                        "is fetched next time", c->folder->display_name, end->text);
            emit(c, KW_PROGRESS_WARNING, msg);
            g_free(msg);
        }
        st = commit_batch(c, end->batch, c->committed_uid, error);
        if (st == KW_OK)
            st = KW_ERR_PARTIAL;
        break;
    case KW_FETCH_MORE: /* the connection ended first */
        kw_set_error(error, "%s: %s; the next sync resumes", c->folder->display_name,
                     c->cancelled ? "cancelled"
                     : end->read_error == 0 ? "the server closed the connection"
                                            : "connection lost or timed out");
        st = c->cancelled ? KW_ERR_CANCELLED : KW_ERR_NETWORK;
        break;
    case KW_FETCH_BYE:
        kw_set_error(error, "%s: the server closed the session (%s); the next sync resumes",
                     c->folder->display_name, end->text);
        st = KW_ERR_NETWORK;
        break;
    case KW_FETCH_ERR_CALLBACK:
    case KW_FETCH_ERR_LIMIT:
    case KW_FETCH_ERR_PROTOCOL:
    case KW_FETCH_DONE_BAD:
    default:
        kw_set_error(error, "%s: unusable answer from the server (%s)", c->folder->display_name, end->text);
        st = KW_ERR_SERVER;
        break;
    }
done:
    event_free(end); /* uncommitted messages are fetched again next time */
    c->fetch_tag = NULL;
    return st;
}

static int status_value(struct mailimap_mailbox_data_status *status, int att, uint32_t *out)
{
    if (!status || !status->st_info_list)
        return 0;
    for (clistiter *it = clist_begin(status->st_info_list); it; it = clist_next(it)) {
        struct mailimap_status_info *info = clist_content(it);
        if (info->st_att == att) {
            *out = info->st_value;
            return 1;
        }
    }
    return 0;
}

/* One folder. Returns KW_OK, KW_ERR_PARTIAL (folder skipped with a warning,
 * others go on), or a fatal status. */
static kw_status_t sync_folder(sync_ctx_t *c, kw_folder_state_t *f, char **error)
{
    struct mailimap_status_att_list *atts;
    struct mailimap_mailbox_data_status *status = NULL;
    uint32_t uidnext = 0, uidvalidity = 0, messages = 0;
    int have_uidnext, have_uidvalidity, r;
    kw_status_t st;

    c->folder = f;
    c->done = c->total = c->new_in_folder = 0;

    /* Cheap check first: STATUS tells whether anything is new. */
    atts = mailimap_status_att_list_new_empty();
    mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDNEXT);
    mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDVALIDITY);
    mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_MESSAGES);
    r = mailimap_status(c->imap, f->raw_name, atts, &status);
    mailimap_status_att_list_free(atts);
    activity(c);
    if (r != MAILIMAP_NO_ERROR) {
        if (r == MAILIMAP_ERROR_STATUS) {
            char *t = kw_sanitize_for_display(server_text(c));
            warn(c, "%s: skipped, the server refused to open it (%s)", f->display_name, t);
            g_free(t);
            return KW_ERR_PARTIAL;
        }
        return imap_fail(c, r, f->display_name, error);
    }
    have_uidnext = status_value(status, MAILIMAP_STATUS_ATT_UIDNEXT, &uidnext);
    have_uidvalidity = status_value(status, MAILIMAP_STATUS_ATT_UIDVALIDITY, &uidvalidity);
    status_value(status, MAILIMAP_STATUS_ATT_MESSAGES, &messages);
    mailimap_mailbox_data_status_free(status);

    if (have_uidnext && have_uidvalidity && uidvalidity != 0 && (int64_t)uidvalidity == f->uidvalidity &&
        (int64_t)uidnext - 1 <= f->last_uid) {
        emit(c, KW_PROGRESS_FOLDER, NULL);
        emit(c, KW_PROGRESS_FOLDER_DONE, NULL);
        return KW_OK; /* nothing new: no EXAMINE, no FETCH */
    }

    r = mailimap_examine(c->imap, f->raw_name);
    activity(c);
    if (r != MAILIMAP_NO_ERROR) {
        if (r == MAILIMAP_ERROR_EXAMINE) {
            char *t = kw_sanitize_for_display(server_text(c));
            warn(c, "%s: skipped, the server refused to open it (%s)", f->display_name, t);
            g_free(t);
            return KW_ERR_PARTIAL;
        }
        return imap_fail(c, r, f->display_name, error);
    }
    if (c->imap->imap_selection_info) {
        uidvalidity = c->imap->imap_selection_info->sel_uidvalidity;
        uidnext = c->imap->imap_selection_info->sel_uidnext;
        messages = c->imap->imap_selection_info->sel_exists;
    }
    if (uidvalidity == 0) {
        /* No UIDVALIDITY: UIDs cannot be trusted across sessions; read all
         * again each time and rely on message identity (notes C2). */
        warn(c, "%s: the server gives no UIDVALIDITY; the folder is read in full each time",
             f->display_name);
        f->last_uid = 0;
    } else if ((int64_t)uidvalidity != f->uidvalidity) {
        if (f->uidvalidity != 0)
            warn(c, "%s: UIDVALIDITY changed; reading the folder again (nothing is counted twice)",
                 f->display_name);
        f->last_uid = 0;
    }
    f->uidvalidity = uidvalidity;
    c->total = messages;
    if (uidnext && f->last_uid > 0 && uidnext - 1 > f->last_uid &&
        (int64_t)(uidnext - 1 - f->last_uid) < c->total)
        c->total = (int64_t)(uidnext - 1 - f->last_uid); /* an upper bound */
    emit(c, KW_PROGRESS_FOLDER, NULL);

    c->committed_uid = (uint32_t)f->last_uid;
    c->max_uid = (uint32_t)f->last_uid;
    if (messages == 0) {
        /* Empty folder: remember its UIDVALIDITY and UIDNEXT. */
        st = flush_deferred(c, error);
        if (st == KW_OK)
            st = commit_batch(c, NULL, uidnext > 0 ? uidnext - 1 : 0, error);
        if (st == KW_OK)
            emit(c, KW_PROGRESS_FOLDER_DONE, NULL);
        return st;
    }
    c->folder_done_deferred = 0;
    st = fetch_new(c, uidnext, error);
    if ((st == KW_OK && !c->folder_done_deferred) || st == KW_ERR_PARTIAL)
        emit(c, KW_PROGRESS_FOLDER_DONE, NULL);
    return st;
}

/* ---- entry point ------------------------------------------------------------------ */

static kw_status_t check_options(const kw_sync_options_t *o, char **error)
{
    if (!o || !o->account || !*o->account) {
        kw_set_error(error, "no account name given");
        return KW_ERR_USAGE;
    }
    if (!o->host || !*o->host) {
        kw_set_error(error, "no server host given");
        return KW_ERR_USAGE;
    }
    if (!o->user || !*o->user) {
        kw_set_error(error, "no user name given");
        return KW_ERR_USAGE;
    }
    if (!o->password == !o->oauth2_token) {
        kw_set_error(error, "give exactly one of a password or an OAuth2 token");
        return KW_ERR_USAGE;
    }
    if (o->auth && g_ascii_strcasecmp(o->auth, "auto") && g_ascii_strcasecmp(o->auth, "login") &&
        g_ascii_strcasecmp(o->auth, "plain")) {
        kw_set_error(error, "unknown authentication method '%s' (auto, login or plain)", o->auth);
        return KW_ERR_USAGE;
    }
    if (o->port < 0 || o->port > 65535 || o->tls > KW_TLS_NONE) {
        kw_set_error(error, "invalid port or TLS mode");
        return KW_ERR_USAGE;
    }
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *o,
                                  kw_sync_report_t *report, char **error)
{
    sync_ctx_t c;
    kw_sync_report_t dummy;
    GPtrArray *folders = NULL;
    GArray *seen = NULL;
    kw_status_t st;
    int skipped = 0;

    memset(&c, 0, sizeof c);
    c.lock_fd = -1;
    c.report = report ? report : &dummy;
    memset(c.report, 0, sizeof *c.report);
    c.start_us = g_get_monotonic_time();

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    st = check_options(o, error);
    if (st != KW_OK)
        return st;
    c.store = store;
    c.opt = o;
    c.timeout = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT;
    c.chunk = o->chunk_size > 0 ? o->chunk_size : DEFAULT_CHUNK;
    c.now = (int64_t)time(NULL);
    c.pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_queue_init(&c.events);
    pthread_mutex_init(&c.flow_lock, NULL);
    pthread_cond_init(&c.event_cond, NULL);
    pthread_cond_init(&c.flow_cond, NULL);
    c.pipeline_ready = 1;
    kw_header_parse_init();

    st = take_lock(&c, error);
    if (st != KW_OK)
        goto done;
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        goto done;
    st = kw_store_account_id(store, o->account, 1, &c.account_id, error);
    if (st == KW_OK)
        st = kw_store_write_commit(store, error);
    else
        kw_store_write_rollback(store);
    if (st != KW_OK)
        goto done;
    for (const char *const *me = o->me; me && *me; me++) {
        st = kw_store_add_identity(store, o->account, *me, error);
        if (st != KW_OK)
            goto done;
    }
    /* The writer only inserts children of rows it has just looked up or
     * created in the same transaction: per-row foreign-key checks cost 11k
     * instructions per message. Restored before returning. */
    st = kw_store_exec(store, "PRAGMA foreign_keys=OFF", error);
    if (st != KW_OK)
        goto done;
    st = kw_sync_writer_new(store, c.account_id, &c.writer, error);
    if (st != KW_OK)
        goto done;

    watchdog_start(&c);
    st = connect_and_login(&c, error);
    if (st != KW_OK)
        goto done;
    emit(&c, KW_PROGRESS_CONNECTED, NULL);
    if (c.cancelled) {
        st = KW_ERR_CANCELLED;
        goto done;
    }

    st = list_folders(&c, &folders, error);
    if (st != KW_OK)
        goto done;
    c.folders_total = (int)folders->len;
    emit(&c, KW_PROGRESS_FOLDERS, NULL);
    if (folders->len == 0)
        warn(&c, "the server listed no folders to read; nothing was changed in the store");

    seen = g_array_new(FALSE, FALSE, sizeof(int64_t));
    for (guint i = 0; i < folders->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        st = kw_sync_writer_folder(c.writer, f, error);
        if (st != KW_OK)
            goto done;
        g_array_append_val(seen, f->id);
    }
    for (guint i = 0; i < folders->len && !c.cancelled; i++) {
        c.folder_index = (int)i + 1;
        st = sync_folder(&c, g_ptr_array_index(folders, i), error);
        if (st == KW_ERR_PARTIAL) {
            skipped++;
            continue;
        }
        if (st != KW_OK)
            goto done;
        c.report->folders_synced++;
    }
    st = flush_deferred(&c, error);
    if (st != KW_OK)
        goto done;
    c.folder = NULL;
    if (c.cancelled) {
        kw_set_error(error, "sync cancelled; what was fetched is kept");
        st = KW_ERR_CANCELLED;
        goto done;
    }
    /* Folders that disappeared keep their history (never pruned). Only
     * when the LIST was not empty (an empty LIST proves nothing). */
    if (seen->len > 0) {
        st = kw_sync_writer_mark_gone(c.writer, (const int64_t *)(void *)seen->data, seen->len, error);
        if (st != KW_OK)
            goto done;
    }
    {
        char *adopted = NULL;
        st = kw_sync_writer_adopt_identity(c.writer, &adopted, error);
        if (st != KW_OK)
            goto done;
        if (adopted)
            warn(&c, "using %s as your address (it sent most of your Sent folder); add other "
                     "addresses with --me", adopted);
        g_free(adopted);
    }
    st = kw_sync_writer_touch_account(c.writer, o->host, o->user, error);
    if (st != KW_OK)
        goto done;

    /* Polite goodbye over a healthy connection only. */
    mailimap_logout(c.imap);
    if (skipped) {
        c.report->folders_skipped = skipped;
        kw_set_error(error, "%d folder%s could not be read (see the warnings); the others are up to date",
                     skipped, skipped == 1 ? "" : "s");
        st = KW_ERR_PARTIAL;
    }
done:
    if (c.have_deferred) {
        /* A later folder failed: the earlier folder's last batch is sound
         * (network trouble does not touch it), so keep it — unless the
         * store itself is the problem. */
        if (st != KW_ERR_STORE && st != KW_ERR_STORE_CORRUPT && st != KW_ERR_NOMEM)
            flush_deferred(&c, NULL);
        batch_free(c.deferred.batch);
        c.have_deferred = 0;
    }
    watchdog_stop(&c);
    imap_drop(&c);
    if (c.pipeline_ready) {
        g_queue_clear_full(&c.events, (GDestroyNotify)event_free);
        pthread_mutex_destroy(&c.flow_lock);
        pthread_cond_destroy(&c.event_cond);
        pthread_cond_destroy(&c.flow_cond);
    }
    if (seen)
        g_array_free(seen, TRUE);
    if (c.pending)
        g_hash_table_destroy(c.pending);
    if (folders)
        g_ptr_array_free(folders, TRUE);
    c.report->addresses_unreadable = kw_sync_writer_unreadable(c.writer);
    kw_sync_writer_free(c.writer);
    kw_store_exec(store, "PRAGMA foreign_keys=ON", NULL);
    if (c.lock_fd >= 0)
        close(c.lock_fd);
    c.report->folders_skipped = skipped;
    c.report->seconds = (double)(g_get_monotonic_time() - c.start_us) / G_USEC_PER_SEC;
    return st;
}
