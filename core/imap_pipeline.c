/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_pipeline.c — the reader thread, the event queue, safe positions and
 * the writer loop (see imap_pipeline.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <glib.h>

#include "imap_pipeline.h"
#include "header_parse.h"
#include "imap_fetch.h"

#define READ_BUF (64 * 1024)
/* Messages per batch handed from the reader to the writer (or fewer, when
 * the transaction size is smaller). */
#define BATCH 1000
/* Batches (and folder ends carrying messages) waiting for the writer. */
#define MAX_BATCHES_IN_FLIGHT 1
/* While the writer waits for work, a batch goes as soon as it has this
 * many messages, instead of filling up first. */
#define MIN_EAGER_BATCH 250
/* Progress is reported at least this often: a transaction is committed
 * (which reports it) once this long has passed since the last report, so
 * that an interruption loses little and a display moves; when nothing at
 * all comes (a server opening a folder of 200k messages takes seconds), the
 * last progress is reported again. A commit itself can take a few hundred
 * milliseconds at 1M messages: hence well under a second. */
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC * 4 / 10)

typedef enum {
    EV_OPEN,    /* a folder is being opened: total as far as known */
    EV_BEGIN,   /* a folder is open: uidvalidity, base position, total */
    EV_BATCH,   /* parsed messages and the safe position after them */
    EV_WARNING, /* text */
    EV_END,     /* the folder's last batch and how its FETCH ended */
    EV_STOP     /* the reader is done (last event) */
} event_kind_t;

/* How a folder ended (EV_END). */
typedef enum {
    END_OK,       /* everything asked for arrived */
    END_PARTIAL,  /* the server answered NO: keep what came, do not advance */
    END_REFUSED,  /* EXAMINE refused: folder skipped */
    END_FATAL     /* connection lost, BYE, unusable answer, aborted */
} end_kind_t;

typedef struct {
    event_kind_t kind;
    int          job;       /* index into the jobs */
    GArray      *batch;     /* EV_BATCH, EV_END: parsed messages (may be NULL) */
    uint32_t     position;  /* EV_BATCH, EV_END: safe position after this batch */
    int64_t      done;      /* messages handled so far in this folder */
    char        *text;      /* EV_WARNING: message; EV_END: server text or error */
    /* EV_BEGIN: the folder's UIDVALIDITY and stored position; EV_OPEN,
     * EV_BEGIN: how many messages are to come */
    uint32_t     uidvalidity, base;
    int64_t      total;
    /* EV_END */
    end_kind_t   end;
    kw_status_t  status;    /* END_FATAL: the status to return */
} fetch_event_t;

/* What the reader knows of one folder (a snapshot taken before it starts:
 * the writer changes the folder state meanwhile). */
typedef struct {
    const char *raw_name, *display_name; /* not changed during the run */
    int64_t     last_uid, uidvalidity;    /* stored position */
    int         has_status;
    uint32_t    st_messages, st_uidnext, st_uidvalidity;
    /* the commands sent */
    char        examine_tag[24], fetch_tag[24];
    int         sent, fetch_sent;
    uint32_t    planned_base, planned_hi; /* of a FETCH sent with EXAMINE */
} rjob_t;

struct kw_fetch_pipeline {
    kw_session_t       *session;
    kw_store_t         *store;
    kw_sync_writer_t   *writer;
    kw_sync_progress_t *progress;
    kw_sync_report_t   *report;
    int                 txn_max;     /* messages per transaction at most */
    int                 batch;       /* messages per batch */
    int64_t             now;

    /* ---- reader thread (while it runs) ---- */
    rjob_t             *rjobs;
    guint               n_jobs;
    int                 cur;         /* current job */
    char               *rbuf;        /* bytes read, not yet parsed: rbuf[rpos..rlen) */
    size_t              rpos, rlen;
    uint32_t            base;        /* UIDs <= base are not new */
    uint32_t            fetch_hi;    /* highest UID asked for; 0 = open range */
    uint32_t            max_uid;     /* highest UID received */
    int                 in_order;    /* UIDs arrived ascending so far */
    int                 discard;     /* this FETCH's answers are not to be used */
    GHashTable         *pending;     /* UIDs seen only without a header block */
    int                 warned_unrequested;
    GArray             *reader_batch;
    int64_t             reader_done;
    int64_t             fetched, bytes; /* added to the report after the join */
    gint64              wait_us, parse_us; /* reading from the server, the rest */
    gint64              store_us;    /* the writer in the store */
    gint64              last_report; /* the writer's last progress event */
    /* EXAMINE's answer */
    uint32_t            ex_uidvalidity, ex_uidnext, ex_exists;
    int                 ex_have_uidnext;

    /* ---- between the threads ---- */
    GQueue              events;      /* fetch_event_t*, guarded by flow_lock */
    GQueue              spent;       /* batches written, to be emptied by the reader */
    pthread_mutex_t     flow_lock;   /* pthread, not GMutex: visible to TSan */
    pthread_cond_t      event_cond;  /* an event was queued */
    pthread_cond_t      flow_cond;   /* a batch left the queue, or abort */
    int                 batches_in_flight;
    _Atomic int         writer_waiting;
    _Atomic int         abort_reader;
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

static GArray *batch_new(int size)
{
    return g_array_sized_new(FALSE, TRUE, sizeof(kw_parsed_msg_t), (guint)size);
}

/* A batch for the reader to fill: one the writer is done with, emptied
 * here (freeing parsed messages costs the writer, the busier thread), or
 * a new one. */
static GArray *take_batch(kw_fetch_pipeline_t *p)
{
    GArray *batch;
    pthread_mutex_lock(&p->flow_lock);
    batch = g_queue_pop_head(&p->spent);
    pthread_mutex_unlock(&p->flow_lock);
    if (!batch)
        return batch_new(p->batch);
    for (guint i = 0; i < batch->len; i++)
        kw_parsed_msg_clear(&g_array_index(batch, kw_parsed_msg_t, i));
    g_array_set_size(batch, 0);
    return batch;
}

/* The writer is done with the event's batch: back to the reader. */
static void give_back(kw_fetch_pipeline_t *p, fetch_event_t *ev)
{
    if (!ev->batch)
        return;
    pthread_mutex_lock(&p->flow_lock);
    g_queue_push_tail(&p->spent, ev->batch);
    pthread_mutex_unlock(&p->flow_lock);
    ev->batch = NULL;
}

static void event_free(fetch_event_t *ev)
{
    if (!ev)
        return;
    batch_free(ev->batch);
    g_free(ev->text);
    g_free(ev);
}

static fetch_event_t *event_new(event_kind_t kind, int job)
{
    fetch_event_t *ev = g_new0(fetch_event_t, 1);
    ev->kind = kind;
    ev->job = job;
    return ev;
}

static int carries_batch(const fetch_event_t *ev)
{
    return ev->kind == EV_BATCH || (ev->kind == EV_END && ev->batch && ev->batch->len > 0);
}

/* Queue an event; one carrying messages waits while the writer is behind.
 * Returns 1 when the writer asked the reader to stop. */
static int queue_push(kw_fetch_pipeline_t *p, fetch_event_t *ev)
{
    pthread_mutex_lock(&p->flow_lock);
    if (carries_batch(ev)) {
        while (p->batches_in_flight >= MAX_BATCHES_IN_FLIGHT && !atomic_load(&p->abort_reader))
            pthread_cond_wait(&p->flow_cond, &p->flow_lock);
        p->batches_in_flight++;
    }
    g_queue_push_tail(&p->events, ev);
    pthread_cond_signal(&p->event_cond);
    pthread_mutex_unlock(&p->flow_lock);
    return atomic_load(&p->abort_reader);
}

/* The next event, or NULL when none came within `timeout_us`. */
static fetch_event_t *queue_pop(kw_fetch_pipeline_t *p, gint64 timeout_us)
{
    fetch_event_t *ev;
    pthread_mutex_lock(&p->flow_lock);
    if (g_queue_is_empty(&p->events)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += timeout_us / G_USEC_PER_SEC;
        until.tv_nsec += (timeout_us % G_USEC_PER_SEC) * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        atomic_store(&p->writer_waiting, 1);
        while (g_queue_is_empty(&p->events))
            if (pthread_cond_timedwait(&p->event_cond, &p->flow_lock, &until) != 0)
                break;
        atomic_store(&p->writer_waiting, 0);
    }
    ev = g_queue_pop_head(&p->events);
    if (ev && carries_batch(ev)) {
        p->batches_in_flight--;
        pthread_cond_signal(&p->flow_cond);
    }
    pthread_mutex_unlock(&p->flow_lock);
    return ev;
}

/* ---- the reader: positions ------------------------------------------------------ */

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
 * committed: never past a message that must be fetched again (the writer
 * also keeps it at or above what it stored). */
static uint32_t reader_position(const kw_fetch_pipeline_t *p, uint32_t candidate)
{
    uint32_t gap = lowest_pending(p);
    if (gap && candidate >= gap)
        candidate = gap - 1;
    return candidate;
}

/* ---- the reader: events ------------------------------------------------------------ */

static void reader_warn(kw_fetch_pipeline_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void reader_warn(kw_fetch_pipeline_t *p, const char *fmt, ...)
{
    fetch_event_t *ev = event_new(EV_WARNING, p->cur);
    va_list ap;
    va_start(ap, fmt);
    ev->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    queue_push(p, ev);
}

/* Pass the current batch on. Returns 1 when the writer asked to stop. */
static int reader_hand_over(kw_fetch_pipeline_t *p)
{
    fetch_event_t *ev = event_new(EV_BATCH, p->cur);
    ev->batch = p->reader_batch;
    ev->position = reader_position(p, p->in_order ? p->max_uid : 0);
    ev->done = p->reader_done;
    p->reader_batch = take_batch(p);
    return queue_push(p, ev);
}

static int send_end(kw_fetch_pipeline_t *p, end_kind_t kind, uint32_t position, const char *text,
                    kw_status_t status)
{
    fetch_event_t *ev = event_new(EV_END, p->cur);
    ev->end = kind;
    ev->position = position;
    ev->done = p->reader_done;
    ev->status = status;
    ev->text = g_strdup(text ? text : "");
    if (kind == END_OK || kind == END_PARTIAL) {
        ev->batch = p->reader_batch;
        p->reader_batch = NULL;
    }
    return queue_push(p, ev);
}

/* ---- the reader: the connection ---------------------------------------------------- */

/* Feed `parser` from the bytes read so far, reading more as needed, until it
 * ends. Bytes after its end stay for the next parser (pipelined answers).
 * *read_error: 0 end of stream, -1 error, 1 aborted by the writer. */
static kw_fetch_result_t drive(kw_fetch_pipeline_t *p, kw_fetch_parser_t *parser, int *read_error)
{
    mailstream *s = kw_session_stream(p->session);
    kw_fetch_result_t res = KW_FETCH_MORE;

    while (res == KW_FETCH_MORE) {
        size_t used;
        if (p->rpos == p->rlen) {
            ssize_t n;
            if (atomic_load(&p->abort_reader)) {
                *read_error = 1;
                break;
            }
            gint64 t0 = g_get_monotonic_time(), t1;
            /* Drain libetpan's own buffer first without blocking on the socket. */
            n = mailstream_read(s, p->rbuf, s->read_buffer_len > 0 ? MIN(s->read_buffer_len, READ_BUF)
                                                                   : READ_BUF);
            t1 = g_get_monotonic_time();
            p->wait_us += t1 - t0;
            if (n <= 0) {
                *read_error = n == 0 ? 0 : -1;
                break;
            }
            kw_session_activity(p->session);
            p->rpos = 0;
            p->rlen = (size_t)n;
        }
        {
            gint64 t0 = g_get_monotonic_time();
            res = kw_fetch_parser_feed(parser, p->rbuf + p->rpos, p->rlen - p->rpos, &used);
            p->parse_us += g_get_monotonic_time() - t0;
        }
        p->rpos += used;
    }
    return res;
}

static int send_line(kw_fetch_pipeline_t *p, const char *cmd)
{
    mailstream *s = kw_session_stream(p->session);
    return mailstream_write(s, cmd, strlen(cmd)) < 0 || mailstream_flush(s) < 0 ? -1 : 0;
}

/* `name` as an IMAP astring: quoted, or a non-synchronising literal. */
static void append_mailbox(GString *out, const char *name, int literal_plus, int *ok)
{
    int quotable = *name != '\0';
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c >= 0x80 || *c == '\r' || *c == '\n')
            quotable = 0;
    if (quotable) {
        g_string_append_c(out, '"');
        for (const char *c = name; *c; c++) {
            if (*c == '"' || *c == '\\')
                g_string_append_c(out, '\\');
            g_string_append_c(out, *c);
        }
        g_string_append_c(out, '"');
    } else if (literal_plus && !strpbrk(name, "\r\n")) {
        g_string_append_printf(out, "{%zu+}\r\n%s", strlen(name), name);
    } else {
        *ok = 0;
    }
}

static void append_fetch(kw_fetch_pipeline_t *p, GString *out, char *tag, size_t tagsize, uint32_t base,
                         uint32_t hi)
{
    kw_session_next_tag(p->session, tag, tagsize);
    if (hi)
        g_string_append_printf(out, "%s UID FETCH %u:%u", tag, base + 1, hi);
    else
        g_string_append_printf(out, "%s UID FETCH %u:*", tag, base + 1);
    g_string_append(out, " (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (" KW_HEADER_FIELDS ")])\r\n");
}

/* The FETCH a folder's STATUS asks for: base (UIDs already stored) and hi.
 * Returns 0 when nothing is to be fetched. */
static int plan_from_status(const rjob_t *j, uint32_t *base, uint32_t *hi)
{
    *base = j->st_uidvalidity == j->uidvalidity && j->last_uid < UINT32_MAX ? (uint32_t)j->last_uid : 0;
    *hi = j->st_uidnext > 0 ? j->st_uidnext - 1 : 0;
    return j->st_messages > 0 && (*hi == 0 || *hi > *base) && *base < UINT32_MAX;
}

/* Send EXAMINE for job `i`, and its FETCH too when its STATUS is known.
 * Returns -1 when the connection failed, 1 when the name cannot be sent. */
static int send_job(kw_fetch_pipeline_t *p, guint i)
{
    rjob_t *j = &p->rjobs[i];
    GString *cmd = g_string_new(NULL);
    int ok = 1, rc;
    uint32_t base, hi;

    kw_session_next_tag(p->session, j->examine_tag, sizeof j->examine_tag);
    g_string_append_printf(cmd, "%s EXAMINE ", j->examine_tag);
    append_mailbox(cmd, j->raw_name, kw_session_has_capability(p->session, "LITERAL+"), &ok);
    g_string_append(cmd, "\r\n");
    if (!ok) {
        g_string_free(cmd, TRUE);
        return 1;
    }
    if (j->has_status && plan_from_status(j, &base, &hi)) {
        append_fetch(p, cmd, j->fetch_tag, sizeof j->fetch_tag, base, hi);
        j->fetch_sent = 1;
        j->planned_base = base;
        j->planned_hi = hi;
    }
    rc = send_line(p, cmd->str);
    g_string_free(cmd, TRUE);
    j->sent = 1;
    return rc;
}

/* EXAMINE's untagged data: UIDVALIDITY, UIDNEXT, EXISTS. */
static int on_examine_response(const char *resp, size_t len, void *data)
{
    kw_fetch_pipeline_t *p = data;
    kw_imap_cursor_t c = { resp, 0, len };
    uint64_t v;

    if (len < 2 || resp[0] != '*' || resp[1] != ' ')
        return 0;
    c.pos = 2;
    if (len >= 6 && g_ascii_strncasecmp(resp + 2, "OK [", 4) == 0) {
        c.pos = 6;
        if (len - c.pos > 12 && g_ascii_strncasecmp(resp + c.pos, "UIDVALIDITY ", 12) == 0) {
            c.pos += 12;
            if (kw_imap_read_number(&c, &v) == 0 && v <= UINT32_MAX)
                p->ex_uidvalidity = (uint32_t)v;
        } else if (len - c.pos > 8 && g_ascii_strncasecmp(resp + c.pos, "UIDNEXT ", 8) == 0) {
            c.pos += 8;
            if (kw_imap_read_number(&c, &v) == 0 && v <= UINT32_MAX) {
                p->ex_uidnext = (uint32_t)v;
                p->ex_have_uidnext = 1;
            }
        }
        return 0;
    }
    if (kw_imap_read_number(&c, &v) == 0 && len - c.pos >= 7 &&
        g_ascii_strncasecmp(resp + c.pos, " EXISTS", 7) == 0 && v <= UINT32_MAX)
        p->ex_exists = (uint32_t)v;
    return 0;
}

static int on_fetch_item(const kw_fetch_item_t *item, void *data)
{
    kw_fetch_pipeline_t *p = data;
    const char *folder = p->rjobs[p->cur].display_name;
    kw_parsed_msg_t msg;

    kw_session_activity(p->session);
    if (p->discard)
        return atomic_load(&p->abort_reader);
    if (item->uid == 0) {
        reader_warn(p, "%s: the server sent a FETCH response without UID; ignored", folder);
        return 0;
    }
    if (item->uid <= p->base)
        return 0; /* "n:*" also returns the last message when nothing is newer */
    if (p->fetch_hi && item->uid > p->fetch_hi) {
        /* Not asked for (B13): storing it would move the position past
         * messages that may still arrive below it. */
        if (!p->warned_unrequested++)
            reader_warn(p, "%s: the server sent UID %u, which was not asked for; ignored", folder, item->uid);
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
    if (item->uid > p->max_uid)
        p->max_uid = item->uid;
    else
        p->in_order = 0; /* duplicate or out of order: stop advancing mid-command */
    p->reader_done++;
    p->fetched++;
    if (item->oversized) {
        /* Permanent: no real header block is that large. Skipped for good. */
        reader_warn(p, "%s: message UID %u has a header block above 1 MiB; skipped", folder, item->uid);
        return 0;
    }

    p->bytes += (int64_t)item->header_len;
    memset(&msg, 0, sizeof msg);
    if (kw_header_parse(item->header, item->header_len, item->internaldate, p->now, &msg) != 0) {
        kw_parsed_msg_clear(&msg);
        return 0;
    }
    g_array_append_val(p->reader_batch, msg);
    if ((int)p->reader_batch->len >= p->batch ||
        ((int)p->reader_batch->len >= MIN(p->batch, MIN_EAGER_BATCH) && atomic_load(&p->writer_waiting)))
        return reader_hand_over(p);
    return atomic_load(&p->abort_reader);
}

/* A fatal end: what went wrong, for the writer to report. */
static void end_fatal(kw_fetch_pipeline_t *p, kw_fetch_result_t res, int read_error, const char *text)
{
    const char *folder = p->rjobs[p->cur].display_name;
    char *msg;
    kw_status_t st;

    if (res == KW_FETCH_MORE && read_error == 1) {
        msg = g_strdup_printf("%s: stopped", folder); /* the writer knows why */
        st = KW_ERR_CANCELLED;
    } else if (res == KW_FETCH_MORE) {
        msg = g_strdup_printf("%s: %s; the next sync resumes", folder,
                              read_error == 0 ? "the server closed the connection"
                                              : "connection lost or timed out");
        st = KW_ERR_NETWORK;
    } else if (res == KW_FETCH_BYE) {
        msg = g_strdup_printf("%s: the server closed the session (%s); the next sync resumes", folder, text);
        st = KW_ERR_NETWORK;
    } else {
        msg = g_strdup_printf("%s: unusable answer from the server (%s)", folder, text);
        st = KW_ERR_SERVER;
    }
    send_end(p, END_FATAL, 0, msg, st);
    g_free(msg);
}

/* Read the answer of a FETCH already sent whose messages are not to be
 * used. Returns 0, or -1 after a fatal end was sent. */
static int discard_fetch(kw_fetch_pipeline_t *p, const char *tag)
{
    kw_fetch_parser_t *parser = kw_fetch_parser_new(tag, on_fetch_item, p);
    int read_error = 0;
    kw_fetch_result_t res;
    char *text;

    p->discard = 1;
    res = drive(p, parser, &read_error);
    p->discard = 0;
    text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    kw_fetch_parser_free(parser);
    if (res != KW_FETCH_DONE_OK && res != KW_FETCH_DONE_NO && res != KW_FETCH_DONE_BAD) {
        end_fatal(p, res, read_error, text);
        g_free(text);
        return -1;
    }
    g_free(text);
    return 0;
}

/* One folder. Returns 0 to go on with the next, -1 to stop (fatal end sent). */
static int read_job(kw_fetch_pipeline_t *p, guint i)
{
    rjob_t *j = &p->rjobs[i];
    kw_fetch_parser_t *parser;
    fetch_event_t *begin;
    kw_fetch_result_t res;
    int read_error = 0, rc;
    uint32_t uidvalidity, uidnext, hi, top;
    int64_t total;
    char *text;

    p->cur = (int)i;
    p->reader_done = 0;
    {
        /* The display moves to this folder now, not when the server has
         * opened it (seconds for a large one). */
        fetch_event_t *open = event_new(EV_OPEN, (int)i);
        uint32_t base_guess, hi_guess;
        if (j->has_status && plan_from_status(j, &base_guess, &hi_guess))
            open->total = hi_guess && hi_guess - base_guess < j->st_messages ? hi_guess - base_guess : j->st_messages;
        queue_push(p, open);
    }
    if (!j->sent) {
        rc = send_job(p, i);
        if (rc < 0) {
            end_fatal(p, KW_FETCH_MORE, -1, "");
            return -1;
        }
        if (rc > 0) {
            send_end(p, END_REFUSED, 0, "its name cannot be sent to this server", KW_OK);
            return 0;
        }
    }

    /* EXAMINE */
    p->ex_uidvalidity = p->ex_uidnext = p->ex_exists = 0;
    p->ex_have_uidnext = 0;
    parser = kw_fetch_parser_new(j->examine_tag, NULL, NULL);
    kw_fetch_parser_set_other(parser, on_examine_response, p);
    res = drive(p, parser, &read_error);
    text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    kw_fetch_parser_free(parser);
    if (res == KW_FETCH_DONE_NO || res == KW_FETCH_DONE_BAD) {
        /* Refused. A FETCH sent with it must not be used: some servers
         * leave the previous folder selected after a failed EXAMINE. */
        const char *reply = strchr(text, ' ');
        rc = j->fetch_sent ? discard_fetch(p, j->fetch_tag) : 0;
        if (rc == 0)
            send_end(p, END_REFUSED, 0, reply ? reply + 1 : text, KW_OK);
        g_free(text);
        return rc;
    }
    if (res != KW_FETCH_DONE_OK) {
        end_fatal(p, res, read_error, text);
        g_free(text);
        return -1;
    }
    g_free(text);

    /* Where to start: a new or missing UIDVALIDITY means the folder is read
     * again from the start (message identity keeps that harmless). */
    uidvalidity = p->ex_uidvalidity;
    uidnext = p->ex_have_uidnext ? p->ex_uidnext : 0;
    if (j->has_status && (!p->ex_have_uidnext || (j->st_uidnext && j->st_uidnext < uidnext)))
        uidnext = j->st_uidnext; /* ask only for what existed when listed (or EXAMINE lacks it) */
    p->base = j->last_uid < UINT32_MAX ? (uint32_t)j->last_uid : UINT32_MAX;
    if (uidvalidity == 0) {
        reader_warn(p, "%s: the server gives no UIDVALIDITY; the folder is read in full each time",
                    j->display_name);
        p->base = 0;
    } else if ((int64_t)uidvalidity != j->uidvalidity) {
        if (j->uidvalidity != 0)
            reader_warn(p, "%s: UIDVALIDITY changed; reading the folder again (nothing is counted twice)",
                        j->display_name);
        p->base = 0;
    }
    total = p->ex_exists;
    if (uidnext && p->base > 0 && uidnext - 1 > p->base && (int64_t)(uidnext - 1 - p->base) < total)
        total = (int64_t)(uidnext - 1 - p->base); /* an upper bound */
    begin = event_new(EV_BEGIN, (int)i);
    begin->uidvalidity = uidvalidity;
    begin->base = p->base;
    begin->total = total;
    queue_push(p, begin);

    /* A FETCH sent with EXAMINE that asked for the wrong range (the folder
     * changed since it was listed) is read and dropped, then asked again. */
    if (j->fetch_sent && (j->planned_base != p->base || uidvalidity == 0)) {
        if (discard_fetch(p, j->fetch_tag) < 0)
            return -1;
        j->fetch_sent = 0;
    }
    g_hash_table_remove_all(p->pending);
    p->warned_unrequested = 0;
    p->max_uid = p->base;
    p->in_order = 1;
    p->reader_batch = take_batch(p);
    if (!j->fetch_sent) {
        GString *cmd;
        if (p->ex_exists == 0 || p->base >= UINT32_MAX || (uidnext > 0 && uidnext - 1 <= p->base)) {
            /* Nothing to fetch: remember UIDVALIDITY and the position (C4:
             * nothing can be newer than 2^32-1). Mail arriving since the
             * listing is fetched next time. */
            top = p->base >= UINT32_MAX ? UINT32_MAX : (uidnext > 0 ? uidnext - 1 : p->base);
            return send_end(p, END_OK, MAX(top, p->base), NULL, KW_OK) ? -1 : 0;
        }
        cmd = g_string_new(NULL);
        append_fetch(p, cmd, j->fetch_tag, sizeof j->fetch_tag, p->base, uidnext > 0 ? uidnext - 1 : 0);
        rc = send_line(p, cmd->str);
        g_string_free(cmd, TRUE);
        if (rc < 0) {
            end_fatal(p, KW_FETCH_MORE, -1, "");
            return -1;
        }
        j->fetch_sent = 1;
        j->planned_hi = uidnext > 0 ? uidnext - 1 : 0;
    }
    hi = j->planned_hi;
    p->fetch_hi = hi;

    /* The next folder's commands go out now: the server starts on them as
     * soon as this FETCH is answered, whatever we are doing then. */
    if (i + 1 < p->n_jobs && !p->rjobs[i + 1].sent) {
        rc = send_job(p, i + 1);
        if (rc < 0) {
            end_fatal(p, KW_FETCH_MORE, -1, "");
            return -1;
        }
        if (rc > 0)
            p->rjobs[i + 1].sent = 0; /* refused when its turn comes */
    }

    parser = kw_fetch_parser_new(j->fetch_tag, on_fetch_item, p);
    res = drive(p, parser, &read_error);
    text = kw_sanitize_for_display(kw_fetch_parser_text(parser));
    kw_fetch_parser_free(parser);
    if (res == KW_FETCH_DONE_OK || res == KW_FETCH_DONE_NO) {
        guint n = g_hash_table_size(p->pending);
        if (n > 0)
            reader_warn(p, "%s: %u message%s (first UID %u) came without headers; %s fetched again "
                        "next time", j->display_name, n, n == 1 ? "" : "s", lowest_pending(p),
                        n == 1 ? "it is" : "they are");
    }
    if (res == KW_FETCH_DONE_OK) {
        /* Every UID up to the one asked for has now been seen. */
        top = MAX(p->max_uid, hi);
        rc = send_end(p, END_OK, reader_position(p, top), NULL, KW_OK);
    } else if (res == KW_FETCH_DONE_NO) {
        /* e.g. EXPUNGEISSUED or a throttling answer: keep what arrived but
         * do not advance the position, since a NO does not say which
         * messages were left out; the next sync asks again. */
        const char *reply = strchr(text, ' ');
        rc = send_end(p, END_PARTIAL, 0, reply ? reply + 1 : text, KW_OK);
    } else {
        end_fatal(p, res, read_error, text);
        rc = 1;
    }
    g_free(text);
    return rc ? -1 : 0;
}

static gpointer reader_main(gpointer data)
{
    kw_fetch_pipeline_t *p = data;

    for (guint i = 0; i < p->n_jobs && !atomic_load(&p->abort_reader); i++)
        if (read_job(p, i) < 0)
            break;
    batch_free(p->reader_batch);
    p->reader_batch = NULL;
    queue_push(p, event_new(EV_STOP, -1));
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

/* ---- the writer (this thread) ------------------------------------------------------------ */

/* The folder being written, and the open transaction. */
typedef struct {
    kw_fetch_job_t *job;
    int64_t         done, total, new_in_folder;
    uint32_t        committed; /* position stored (or in the open transaction) */
    int             opened;    /* FOLDER was emitted */
    int             txn_open;
    int             txn_messages;
    int64_t         txn_added;
} wfolder_t;

static void emit(kw_fetch_pipeline_t *p, const wfolder_t *w, kw_progress_kind_t kind, const char *message)
{
    kw_sync_emit(p->progress, kind, w->job->folder->display_name, w->job->index, w->done, w->total,
                 w->new_in_folder, message);
    p->last_report = g_get_monotonic_time();
}

/* `batch` (may be NULL) of the folder plus its position (never below what
 * is stored) into the open transaction, opened when needed. Messages and
 * the position that covers them always commit together. */
static kw_status_t add_batch_timed(kw_fetch_pipeline_t *p, wfolder_t *w, GArray *batch, uint32_t position,
                                   char **error);

/* The store's share of the time (report->seconds_store). */
static kw_status_t add_batch(kw_fetch_pipeline_t *p, wfolder_t *w, GArray *batch, uint32_t position,
                             char **error)
{
    gint64 t0 = g_get_monotonic_time();
    kw_status_t st = add_batch_timed(p, w, batch, position, error);
    p->store_us += g_get_monotonic_time() - t0;
    return st;
}

static kw_status_t add_batch_timed(kw_fetch_pipeline_t *p, wfolder_t *w, GArray *batch, uint32_t position,
                                   char **error)
{
    const kw_folder_state_t *folder = w->job->folder;
    kw_status_t st;

    if (!w->txn_open) {
        st = kw_store_write_begin(p->store, error);
        if (st != KW_OK)
            return st;
        w->txn_open = 1;
        w->txn_messages = 0;
        w->txn_added = 0;
    }
    for (guint i = 0; batch && i < batch->len; i++) {
        int is_new;
        st = kw_sync_writer_add(p->writer, folder, &g_array_index(batch, kw_parsed_msg_t, i), &is_new, error);
        if (st != KW_OK)
            return st;
        w->txn_added += is_new;
    }
    w->txn_messages += batch ? (int)batch->len : 0;
    /* The position (and a new UIDVALIDITY) commit with the messages. */
    if (position < w->committed)
        position = w->committed;
    st = kw_sync_writer_set_position(p->writer, folder->id, folder->uidvalidity, position, error);
    if (st == KW_OK)
        w->committed = position;
    return st;
}

static kw_status_t commit(kw_fetch_pipeline_t *p, wfolder_t *w, char **error)
{
    kw_status_t st;
    gint64 t0 = g_get_monotonic_time();
    if (!w->txn_open)
        return KW_OK;
    st = kw_store_write_commit(p->store, error);
    p->store_us += g_get_monotonic_time() - t0;
    w->txn_open = 0;
    if (st != KW_OK) {
        kw_store_write_rollback(p->store);
        kw_sync_writer_abandon(p->writer);
        return st;
    }
    w->new_in_folder += w->txn_added;
    p->report->messages_new += w->txn_added;
    emit(p, w, KW_PROGRESS_MESSAGES, NULL);
    return KW_OK;
}

/* After a failure: what the open transaction holds was received in full,
 * so it is kept — unless the store itself is what failed. */
static void finish_open_transaction(kw_fetch_pipeline_t *p, wfolder_t *w, kw_status_t st)
{
    if (!w->txn_open)
        return;
    if (st == KW_ERR_STORE || st == KW_ERR_STORE_CORRUPT || st == KW_ERR_NOMEM ||
        commit(p, w, NULL) != KW_OK) {
        kw_store_write_rollback(p->store);
        kw_sync_writer_abandon(p->writer);
        w->txn_open = 0;
    }
}

kw_status_t kw_fetch_pipeline_run(kw_fetch_pipeline_t *p, GArray *jobs, int *synced, int *skipped,
                                  char **error)
{
    GThread *reader;
    wfolder_t w;
    kw_status_t st = KW_OK;

    *synced = *skipped = 0;
    if (jobs->len == 0)
        return KW_OK;
    p->n_jobs = jobs->len;
    p->rjobs = g_new0(rjob_t, jobs->len);
    for (guint i = 0; i < jobs->len; i++) {
        const kw_folder_state_t *f = g_array_index(jobs, kw_fetch_job_t, i).folder;
        rjob_t *j = &p->rjobs[i];
        j->raw_name = f->raw_name;
        j->display_name = f->display_name;
        j->last_uid = f->last_uid;
        j->uidvalidity = f->uidvalidity;
        j->has_status = f->has_status;
        j->st_messages = f->st_messages;
        j->st_uidnext = f->st_uidnext;
        j->st_uidvalidity = f->st_uidvalidity;
    }
    memset(&w, 0, sizeof w);
    p->fetched = p->bytes = 0;
    p->last_report = g_get_monotonic_time();
    atomic_store(&p->abort_reader, 0);
    reader = g_thread_new("kw-fetch", reader_main, p);

    for (;;) {
        gint64 wait = PROGRESS_INTERVAL_US - (g_get_monotonic_time() - p->last_report);
        fetch_event_t *ev = queue_pop(p, CLAMP(wait, 1000, PROGRESS_INTERVAL_US));
        if (!ev) {
            /* No progress for a while: commit what waits, or say again
             * where we are, so that progress stays alive. */
            if (st == KW_OK && w.txn_open && w.txn_messages > 0)
                st = commit(p, &w, error);
            else if (st == KW_OK && w.opened)
                emit(p, &w, KW_PROGRESS_MESSAGES, NULL);
            else
                p->last_report = g_get_monotonic_time();
            if (st != KW_OK) {
                finish_open_transaction(p, &w, st);
                stop_reader(p);
            }
            continue;
        }
        if (ev->kind == EV_STOP) {
            event_free(ev);
            break;
        }
        if (ev->kind == EV_WARNING) {
            kw_fetch_job_t *job = ev->job >= 0 ? &g_array_index(jobs, kw_fetch_job_t, ev->job) : NULL;
            kw_sync_emit(p->progress, KW_PROGRESS_WARNING, job ? job->folder->display_name : NULL,
                         job ? job->index : 0, 0, 0, 0, ev->text);
        } else if (st == KW_OK && ev->kind == EV_OPEN) {
            memset(&w, 0, sizeof w);
            w.job = &g_array_index(jobs, kw_fetch_job_t, ev->job);
            w.total = ev->total;
            w.opened = 1;
            emit(p, &w, KW_PROGRESS_FOLDER, NULL);
        } else if (st == KW_OK && ev->kind == EV_BEGIN) {
            w.job->folder->uidvalidity = ev->uidvalidity;
            w.committed = ev->base;
            w.total = ev->total;
        } else if (st == KW_OK && ev->kind == EV_BATCH) {
            w.done = ev->done;
            st = add_batch(p, &w, ev->batch, ev->position, error);
            if (st == KW_OK && (w.txn_messages >= p->txn_max ||
                                g_get_monotonic_time() - p->last_report >= PROGRESS_INTERVAL_US))
                st = commit(p, &w, error);
        } else if (st == KW_OK && ev->kind == EV_END) {
            kw_fetch_job_t *job = &g_array_index(jobs, kw_fetch_job_t, ev->job);
            switch (ev->end) {
            case END_REFUSED:
                kw_sync_warn(p->progress, job->folder->display_name, job->index,
                             "%s: skipped, the server refused to open it (%s)", job->folder->display_name,
                             ev->text);
                emit(p, &w, KW_PROGRESS_FOLDER_DONE, NULL);
                w.opened = 0;
                (*skipped)++;
                break;
            case END_OK:
                w.done = ev->done;
                st = add_batch(p, &w, ev->batch, ev->position, error);
                if (st == KW_OK)
                    st = commit(p, &w, error);
                if (st == KW_OK) {
                    emit(p, &w, KW_PROGRESS_FOLDER_DONE, NULL);
                    w.opened = 0;
                    (*synced)++;
                }
                break;
            case END_PARTIAL:
                w.done = ev->done;
                kw_sync_warn(p->progress, job->folder->display_name, job->index,
                             "%s: the server could not send every message (%s); the rest is fetched next time",
                             job->folder->display_name, ev->text);
                st = add_batch(p, &w, ev->batch, w.committed, error);
                if (st == KW_OK)
                    st = commit(p, &w, error);
                if (st == KW_OK) {
                    emit(p, &w, KW_PROGRESS_FOLDER_DONE, NULL);
                    w.opened = 0;
                    (*skipped)++;
                }
                break;
            case END_FATAL:
                kw_set_error(error, "%s", ev->text);
                st = ev->status;
                break;
            }
        }
        if (st == KW_OK && p->progress->cancelled) {
            kw_set_error(error, "sync cancelled; what was fetched is kept");
            st = KW_ERR_CANCELLED;
        }
        if (st != KW_OK) {
            finish_open_transaction(p, &w, st);
            stop_reader(p); /* then drain until its stop event */
        }
        if (st == KW_OK)
            give_back(p, ev);
        event_free(ev);
    }
    g_thread_join(reader);
    p->report->messages_fetched += p->fetched;
    p->report->bytes_received += p->bytes;
    p->report->seconds_network += (double)p->wait_us / G_USEC_PER_SEC;
    p->report->seconds_parse += (double)p->parse_us / G_USEC_PER_SEC;
    p->report->seconds_store += (double)p->store_us / G_USEC_PER_SEC;
    if (st == KW_OK && *skipped > 0)
        st = KW_ERR_PARTIAL;
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
    p->txn_max = chunk;
    p->batch = MIN(chunk, BATCH);
    p->now = now;
    p->rbuf = g_malloc(READ_BUF);
    p->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_queue_init(&p->events);
    g_queue_init(&p->spent);
    pthread_mutex_init(&p->flow_lock, NULL);
    pthread_cond_init(&p->event_cond, NULL);
    pthread_cond_init(&p->flow_cond, NULL);
    return p;
}

void kw_fetch_pipeline_free(kw_fetch_pipeline_t *p)
{
    if (!p)
        return;
    g_queue_clear_full(&p->events, (GDestroyNotify)event_free);
    g_queue_clear_full(&p->spent, (GDestroyNotify)batch_free);
    pthread_mutex_destroy(&p->flow_lock);
    pthread_cond_destroy(&p->event_cond);
    pthread_cond_destroy(&p->flow_cond);
    g_hash_table_destroy(p->pending);
    g_free(p->rjobs);
    g_free(p->rbuf);
    g_free(p);
}
