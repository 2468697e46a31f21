/* fetch_pipeline.c — the reader thread, the batch queue, safe positions and
 * the deferred commit of a folder's last batch (see fetch_pipeline.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <glib.h>

#include "fetch_pipeline.h"
#include "header_parse.h"
#include "imap_fetch.h"

#define READ_BUF (64 * 1024)
#define MAX_BATCHES_IN_FLIGHT 1

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

struct kw_fetch_pipeline {
    kw_session_t       *session;
    kw_store_t         *store;
    kw_sync_writer_t   *writer;
    kw_sync_progress_t *progress;
    kw_sync_report_t   *report;
    int                 chunk;
    int64_t             now;

    /* the current folder */
    kw_folder_state_t  *folder;
    int                 folder_index;
    int64_t             done, total, new_in_folder;
    uint32_t            committed_uid;
    int                 folder_done_deferred;

    /* Reader side (the reader thread only, while it runs). */
    uint32_t            max_uid;     /* highest UID received */
    int                 in_order;    /* UIDs arrived ascending so far */
    uint32_t            fetch_hi;    /* highest UID asked for; 0 = open range */
    uint32_t            uidnext;
    GHashTable         *pending;     /* UIDs seen only without a header block */
    int                 warned_unrequested;
    GArray             *reader_batch;
    int64_t             reader_done;
    int64_t             fetched, bytes; /* added to the report after the join */
    const char         *fetch_tag;

    /* Events (batches, warnings, the end) from the reader, in order. */
    GQueue              events;      /* fetch_event_t*, guarded by flow_lock */
    pthread_mutex_t     flow_lock;   /* pthread, not GMutex: visible to TSan */
    pthread_cond_t      event_cond;  /* an event was queued */
    pthread_cond_t      flow_cond;   /* a batch left the queue, or abort */
    int                 batches_in_flight;
    _Atomic int         abort_reader;

    /* A folder's last batch, committed when the next FETCH is on its way. */
    struct {
        kw_folder_state_t *folder;
        GArray            *batch;
        uint32_t           position, committed_uid;
        int64_t            done, total, new_in_folder;
        int                folder_index;
    }                   deferred;
    int                 have_deferred;
};

/* ---- batches and events ------------------------------------------------------ */

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

static void event_free(fetch_event_t *ev)
{
    if (!ev)
        return;
    batch_free(ev->batch);
    g_free(ev->text);
    g_free(ev);
}

static void queue_push(kw_fetch_pipeline_t *p, fetch_event_t *ev)
{
    pthread_mutex_lock(&p->flow_lock);
    g_queue_push_tail(&p->events, ev);
    pthread_cond_signal(&p->event_cond);
    pthread_mutex_unlock(&p->flow_lock);
}

static fetch_event_t *queue_pop(kw_fetch_pipeline_t *p)
{
    fetch_event_t *ev;
    pthread_mutex_lock(&p->flow_lock);
    while (g_queue_is_empty(&p->events))
        pthread_cond_wait(&p->event_cond, &p->flow_lock);
    ev = g_queue_pop_head(&p->events);
    if (ev->kind == EV_BATCH) {
        p->batches_in_flight--;
        pthread_cond_signal(&p->flow_cond);
    }
    pthread_mutex_unlock(&p->flow_lock);
    return ev;
}

/* ---- progress ------------------------------------------------------------------ */

static void emit(kw_fetch_pipeline_t *p, kw_progress_kind_t kind, const char *message)
{
    kw_sync_emit(p->progress, kind, p->folder->display_name, p->folder_index, p->done, p->total,
                 p->new_in_folder, message);
}

/* ---- positions ------------------------------------------------------------------- */

static uint32_t lowest_pending(const kw_fetch_pipeline_t *p)
{
    GHashTableIter it;
    gpointer key;
    uint32_t low = 0;
    g_hash_table_iter_init(&it, p->pending);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        uint32_t uid = GPOINTER_TO_UINT(key);
        if (!low || uid < low)
            low = uid;
    }
    return low;
}

/* The position that may be stored once everything received so far is
 * committed: never past a message that must be fetched again. (Reader side,
 * or this thread while the reader does not run; the writer also keeps it
 * at or above what it stored.) */
static uint32_t reader_position(const kw_fetch_pipeline_t *p, uint32_t candidate)
{
    uint32_t gap = lowest_pending(p);
    if (gap && candidate >= gap)
        candidate = gap - 1;
    return candidate;
}

/* ---- commits (this thread) ---------------------------------------------------------- */

/* One transaction: `batch` (may be NULL) of `folder` plus its position
 * (never below *committed, which is updated). *added: new messages. */
static kw_status_t store_batch(kw_fetch_pipeline_t *p, const kw_folder_state_t *folder, GArray *batch,
                               uint32_t position, uint32_t *committed, int64_t *added, char **error)
{
    kw_status_t st;

    *added = 0;
    st = kw_store_write_begin(p->store, error);
    if (st != KW_OK)
        return st;
    for (guint i = 0; batch && i < batch->len; i++) {
        int is_new;
        st = kw_sync_writer_add(p->writer, folder, &g_array_index(batch, kw_parsed_msg_t, i), &is_new,
                                error);
        if (st != KW_OK)
            goto fail;
        *added += is_new;
    }
    /* The position (and a new UIDVALIDITY) commit with the messages. */
    if (position < *committed)
        position = *committed;
    st = kw_sync_writer_set_position(p->writer, folder->id, folder->uidvalidity, position, error);
    if (st != KW_OK)
        goto fail;
    st = kw_store_write_commit(p->store, error);
    if (st != KW_OK)
        goto fail;
    *committed = position;
    p->report->messages_new += *added;
    return KW_OK;
fail:
    kw_store_write_rollback(p->store);
    return st;
}

/* Commit `batch` (may be NULL) of the current folder with `position`. */
static kw_status_t commit_batch(kw_fetch_pipeline_t *p, GArray *batch, uint32_t position, char **error)
{
    int64_t added;
    kw_status_t st = store_batch(p, p->folder, batch, position, &p->committed_uid, &added, error);
    if (st != KW_OK)
        return st;
    p->new_in_folder += added;
    emit(p, KW_PROGRESS_MESSAGES, NULL);
    return KW_OK;
}

kw_status_t kw_fetch_pipeline_flush(kw_fetch_pipeline_t *p, char **error)
{
    int64_t added = 0;
    kw_status_t st;

    if (!p->have_deferred)
        return KW_OK;
    p->have_deferred = 0;
    st = store_batch(p, p->deferred.folder, p->deferred.batch, p->deferred.position,
                     &p->deferred.committed_uid, &added, error);
    if (st == KW_OK) {
        p->deferred.new_in_folder += added;
        kw_sync_emit(p->progress, KW_PROGRESS_MESSAGES, p->deferred.folder->display_name,
                     p->deferred.folder_index, p->deferred.done, p->deferred.total,
                     p->deferred.new_in_folder, NULL);
        kw_sync_emit(p->progress, KW_PROGRESS_FOLDER_DONE, p->deferred.folder->display_name,
                     p->deferred.folder_index, p->deferred.done, p->deferred.total,
                     p->deferred.new_in_folder, NULL);
    }
    batch_free(p->deferred.batch);
    p->deferred.batch = NULL;
    return st;
}

/* ---- the reader thread ----------------------------------------------------------------- */

/* Hand a warning to the writer (which emits it in order). */
static void reader_warn(kw_fetch_pipeline_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void reader_warn(kw_fetch_pipeline_t *p, const char *fmt, ...)
{
    fetch_event_t *ev = g_new0(fetch_event_t, 1);
    va_list ap;
    va_start(ap, fmt);
    ev->kind = EV_WARNING;
    ev->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    queue_push(p, ev);
}

/* Pass the current batch on; wait while the writer is behind. */
static int reader_hand_over(kw_fetch_pipeline_t *p)
{
    fetch_event_t *ev = g_new0(fetch_event_t, 1);
    ev->kind = EV_BATCH;
    ev->batch = p->reader_batch;
    ev->position = reader_position(p, p->in_order ? p->max_uid : 0);
    ev->done = p->reader_done;
    p->reader_batch = batch_new(p->chunk);
    pthread_mutex_lock(&p->flow_lock);
    while (p->batches_in_flight >= MAX_BATCHES_IN_FLIGHT && !atomic_load(&p->abort_reader))
        pthread_cond_wait(&p->flow_cond, &p->flow_lock);
    p->batches_in_flight++;
    g_queue_push_tail(&p->events, ev);
    pthread_cond_signal(&p->event_cond);
    pthread_mutex_unlock(&p->flow_lock);
    return atomic_load(&p->abort_reader);
}

static int on_fetch_item(const kw_fetch_item_t *item, void *data)
{
    kw_fetch_pipeline_t *p = data;
    kw_parsed_msg_t msg;

    kw_session_activity(p->session);
    if (item->uid == 0) {
        reader_warn(p, "%s: the server sent a FETCH response without UID; ignored", p->folder->display_name);
        return 0;
    }
    if (item->uid <= p->folder->last_uid)
        return 0; /* "n:*" also returns the last message when nothing is newer */
    if (p->fetch_hi && item->uid > p->fetch_hi) {
        /* Not asked for (B13): storing it would move the position past
         * messages that may still arrive below it. */
        if (!p->warned_unrequested++)
            reader_warn(p, "%s: the server sent UID %u, which was not asked for; ignored",
                        p->folder->display_name, item->uid);
        return 0;
    }
    if (!item->header && !item->oversized) {
        /* No header block: an unsolicited flags update (Dovecot sends
         * "* n FETCH (UID u FLAGS (...))" for \Recent mail), or a partial
         * or NIL answer. Until the block arrives for this UID, the position
         * stays below it, so a real gap is asked for again next time. */
        g_hash_table_add(p->pending, GUINT_TO_POINTER(item->uid));
        return 0;
    }
    g_hash_table_remove(p->pending, GUINT_TO_POINTER(item->uid));
    if (item->uid > p->max_uid) {
        p->max_uid = item->uid;
    } else {
        p->in_order = 0; /* duplicate or out of order: stop advancing mid-command */
    }
    p->reader_done++;
    p->fetched++;
    if (item->oversized) {
        /* Permanent: no real header block is that large. Skipped for good. */
        reader_warn(p, "%s: message UID %u has a header block above 1 MiB; skipped",
                    p->folder->display_name, item->uid);
        return 0;
    }

    p->bytes += (int64_t)item->header_len;
    memset(&msg, 0, sizeof msg);
    if (kw_header_parse(item->header, item->header_len, item->internaldate, p->now, &msg) != 0) {
        kw_parsed_msg_clear(&msg);
        return 0;
    }
    g_array_append_val(p->reader_batch, msg);
    if ((int)p->reader_batch->len >= p->chunk)
        return reader_hand_over(p);
    return atomic_load(&p->abort_reader);
}

static gpointer reader_main(gpointer data)
{
    kw_fetch_pipeline_t *p = data;
    mailstream *s = kw_session_stream(p->session);
    kw_fetch_parser_t *parser = kw_fetch_parser_new(p->fetch_tag, on_fetch_item, p);
    char *buf = g_malloc(READ_BUF);
    kw_fetch_result_t res = KW_FETCH_MORE;
    fetch_event_t *end = g_new0(fetch_event_t, 1);

    p->reader_batch = batch_new(p->chunk);
    while (res == KW_FETCH_MORE && !atomic_load(&p->abort_reader)) {
        /* Drain libetpan's own buffer first without blocking on the socket. */
        size_t want = s->read_buffer_len > 0 ? s->read_buffer_len : READ_BUF;
        ssize_t n = mailstream_read(s, buf, want);
        if (n <= 0) {
            end->read_error = n == 0 ? 0 : -1;
            end->result = KW_FETCH_MORE;
            break;
        }
        kw_session_activity(p->session);
        res = kw_fetch_parser_feed(parser, buf, (size_t)n, NULL);
    }
    if (res != KW_FETCH_MORE || !end->read_error)
        end->result = res;
    if (res == KW_FETCH_MORE && !end->read_error)
        end->read_error = 1; /* aborted by the writer */
    if (res == KW_FETCH_DONE_OK || res == KW_FETCH_DONE_NO) {
        guint n = g_hash_table_size(p->pending);
        if (n > 0)
            reader_warn(p, "%s: %u message%s (first UID %u) came without headers; %s fetched again "
                        "next time", p->folder->display_name, n, n == 1 ? "" : "s", lowest_pending(p),
                        n == 1 ? "it is" : "they are");
    }
    if (res == KW_FETCH_DONE_OK) {
        /* Every UID below UIDNEXT (as of EXAMINE) has now been seen. */
        uint32_t top = p->max_uid;
        if (p->uidnext > 0 && p->uidnext - 1 > top)
            top = p->uidnext - 1;
        end->position = reader_position(p, top);
    } else {
        end->position = 0; /* the writer keeps what it committed */
    }
    end->kind = EV_END;
    end->batch = p->reader_batch;
    end->done = p->reader_done;
    p->reader_batch = NULL;
    end->text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    g_free(buf);
    kw_fetch_parser_free(parser);
    queue_push(p, end);
    return NULL;
}

/* Stop the reader (it may wait on the network or on us). */
static void stop_reader(kw_fetch_pipeline_t *p)
{
    atomic_store(&p->abort_reader, 1);
    kw_session_cancel_stream(p->session);
    pthread_mutex_lock(&p->flow_lock);
    pthread_cond_broadcast(&p->flow_cond);
    pthread_mutex_unlock(&p->flow_lock);
}

/* ---- one folder ------------------------------------------------------------------------ */

static kw_status_t fetch_new(kw_fetch_pipeline_t *p, uint32_t uidnext, char **error)
{
    mailstream *s = kw_session_stream(p->session);
    char tag[32], range[48], *cmd;
    GThread *reader;
    fetch_event_t *end = NULL;
    kw_status_t st = KW_OK;

    g_hash_table_remove_all(p->pending);
    p->warned_unrequested = 0;
    if (p->folder->last_uid >= UINT32_MAX || (uidnext > 0 && uidnext - 1 <= p->folder->last_uid)) {
        st = kw_fetch_pipeline_flush(p, error);
        if (st != KW_OK)
            return st;
        if (p->folder->last_uid >= UINT32_MAX)
            return commit_batch(p, NULL, UINT32_MAX, error); /* nothing can be newer (C4) */
        /* Ask only for what existed at EXAMINE: mail arriving meanwhile is
         * fetched next time, and nothing above UIDNEXT is ever taken. */
        return commit_batch(p, NULL, MAX(reader_position(p, uidnext - 1), p->committed_uid), error);
    }
    p->fetch_hi = uidnext > 0 ? uidnext - 1 : 0;
    if (p->fetch_hi)
        g_snprintf(range, sizeof range, "%" G_GINT64_FORMAT ":%u", p->folder->last_uid + 1, p->fetch_hi);
    else
        g_snprintf(range, sizeof range, "%" G_GINT64_FORMAT ":*", p->folder->last_uid + 1);
    kw_session_next_tag(p->session, tag, sizeof tag);
    cmd = g_strdup_printf("%s UID FETCH %s (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ("
                          KW_HEADER_FIELDS ")])\r\n", tag, range);
    if (mailstream_write(s, cmd, strlen(cmd)) < 0 || mailstream_flush(s) < 0) {
        g_free(cmd);
        kw_set_error(error, "%s: connection lost while sending; the next sync resumes",
                     p->folder->display_name);
        return KW_ERR_NETWORK;
    }
    g_free(cmd);

    p->in_order = 1;
    p->reader_done = 0;
    p->fetched = p->bytes = 0;
    p->fetch_tag = tag;
    p->uidnext = uidnext;
    p->batches_in_flight = 0;
    atomic_store(&p->abort_reader, 0);
    reader = g_thread_new("kw-fetch", reader_main, p);
    /* The server is sending now: write the previous folder's tail meanwhile. */
    st = kw_fetch_pipeline_flush(p, error);
    if (st != KW_OK)
        stop_reader(p);

    /* Commit batches as they come; the reader keeps reading meanwhile. */
    for (;;) {
        fetch_event_t *ev = queue_pop(p);
        if (ev->kind == EV_END) {
            end = ev;
            break;
        }
        if (ev->kind == EV_WARNING) {
            emit(p, KW_PROGRESS_WARNING, ev->text);
        } else if (st == KW_OK) {
            p->done = ev->done;
            st = commit_batch(p, ev->batch, ev->position, error);
            if (st == KW_OK && p->progress->cancelled) {
                kw_set_error(error, "sync cancelled; what was fetched is kept");
                st = KW_ERR_CANCELLED;
            }
            if (st != KW_OK)
                stop_reader(p); /* then drain until its end event */
        }
        event_free(ev);
    }
    g_thread_join(reader);
    p->report->messages_fetched += p->fetched;
    p->report->bytes_received += p->bytes;
    p->done = end->done;
    if (st != KW_OK)
        goto done;

    switch (end->result) {
    case KW_FETCH_DONE_OK:
        /* Committed when the next folder's FETCH is under way (or at the end). */
        p->deferred.folder = p->folder;
        p->deferred.batch = end->batch;
        end->batch = NULL;
        p->deferred.position = end->position;
        p->deferred.committed_uid = p->committed_uid;
        p->deferred.done = p->done;
        p->deferred.total = p->total;
        p->deferred.new_in_folder = p->new_in_folder;
        p->deferred.folder_index = p->folder_index;
        p->have_deferred = 1;
        p->folder_done_deferred = 1;
        break;
    case KW_FETCH_DONE_NO:
        /* e.g. EXPUNGEISSUED or a throttling answer: keep what arrived but
         * do not advance the position, since a NO does not say which
         * messages were left out; the next sync asks again. */
        {
            char *msg = g_strdup_printf("%s: the server could not send every message (%s); the rest "
                                        "is fetched next time", p->folder->display_name, end->text);
            emit(p, KW_PROGRESS_WARNING, msg);
            g_free(msg);
        }
        st = commit_batch(p, end->batch, p->committed_uid, error);
        if (st == KW_OK)
            st = KW_ERR_PARTIAL;
        break;
    case KW_FETCH_MORE: /* the connection ended first */
        kw_set_error(error, "%s: %s; the next sync resumes", p->folder->display_name,
                     p->progress->cancelled ? "cancelled"
                     : end->read_error == 0 ? "the server closed the connection"
                                            : "connection lost or timed out");
        st = p->progress->cancelled ? KW_ERR_CANCELLED : KW_ERR_NETWORK;
        break;
    case KW_FETCH_BYE:
        kw_set_error(error, "%s: the server closed the session (%s); the next sync resumes",
                     p->folder->display_name, end->text);
        st = KW_ERR_NETWORK;
        break;
    case KW_FETCH_ERR_CALLBACK:
    case KW_FETCH_ERR_LIMIT:
    case KW_FETCH_ERR_PROTOCOL:
    case KW_FETCH_DONE_BAD:
    default:
        kw_set_error(error, "%s: unusable answer from the server (%s)", p->folder->display_name, end->text);
        st = KW_ERR_SERVER;
        break;
    }
done:
    event_free(end); /* uncommitted messages are fetched again next time */
    p->fetch_tag = NULL;
    return st;
}

kw_status_t kw_fetch_pipeline_folder(kw_fetch_pipeline_t *p, kw_folder_state_t *f, int index,
                                     uint32_t uidnext, int64_t exists, int64_t total, char **error)
{
    kw_status_t st;

    p->folder = f;
    p->folder_index = index;
    p->done = p->new_in_folder = 0;
    p->total = total;
    p->committed_uid = (uint32_t)f->last_uid;
    p->max_uid = (uint32_t)f->last_uid;
    p->folder_done_deferred = 0;
    if (exists == 0) {
        /* Empty folder: remember its UIDVALIDITY and UIDNEXT. */
        st = kw_fetch_pipeline_flush(p, error);
        if (st == KW_OK)
            st = commit_batch(p, NULL, uidnext > 0 ? uidnext - 1 : 0, error);
        if (st == KW_OK)
            emit(p, KW_PROGRESS_FOLDER_DONE, NULL);
        return st;
    }
    st = fetch_new(p, uidnext, error);
    if ((st == KW_OK && !p->folder_done_deferred) || st == KW_ERR_PARTIAL)
        emit(p, KW_PROGRESS_FOLDER_DONE, NULL);
    return st;
}

kw_fetch_pipeline_t *kw_fetch_pipeline_new(kw_session_t *session, kw_store_t *store,
                                           kw_sync_writer_t *writer, kw_sync_progress_t *progress,
                                           kw_sync_report_t *report, int chunk, int64_t now)
{
    kw_fetch_pipeline_t *p = g_new0(kw_fetch_pipeline_t, 1);
    p->session = session;
    p->store = store;
    p->writer = writer;
    p->progress = progress;
    p->report = report;
    p->chunk = chunk;
    p->now = now;
    p->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_queue_init(&p->events);
    pthread_mutex_init(&p->flow_lock, NULL);
    pthread_cond_init(&p->event_cond, NULL);
    pthread_cond_init(&p->flow_cond, NULL);
    return p;
}

void kw_fetch_pipeline_free(kw_fetch_pipeline_t *p, kw_status_t status)
{
    if (!p)
        return;
    if (p->have_deferred) {
        /* A later folder failed: the earlier folder's last batch is sound
         * (network trouble does not touch it), so keep it — unless the
         * store itself is the problem. */
        if (status != KW_ERR_STORE && status != KW_ERR_STORE_CORRUPT && status != KW_ERR_NOMEM)
            kw_fetch_pipeline_flush(p, NULL);
        batch_free(p->deferred.batch);
        p->have_deferred = 0;
    }
    g_queue_clear_full(&p->events, (GDestroyNotify)event_free);
    pthread_mutex_destroy(&p->flow_lock);
    pthread_cond_destroy(&p->event_cond);
    pthread_cond_destroy(&p->flow_cond);
    g_hash_table_destroy(p->pending);
    g_free(p);
}
