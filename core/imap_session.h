/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_session.h — internal: one IMAP session of a sync (the libetpan and
 * GnuTLS adapter): connect, TLS with a verified certificate, capabilities,
 * login, error mapping, a watchdog against a stalled stream, logout.
 *
 *   kw_session_open()  connect (implicit TLS, or STARTTLS which is then
 *                      mandatory) -> verify chain + host name -> CAPABILITY
 *                      (again after TLS) -> LOGIN / AUTHENTICATE PLAIN /
 *                      XOAUTH2. Nothing secret is sent before the
 *                      certificate passed, nor ever without TLS except to a
 *                      loopback address with --tls=none, nor under
 *                      LOGINDISABLED.
 *   kw_session_close() closes the stream before freeing (never a LOGOUT to a
 *                      dead or hostile server) and stops the watchdog.
 */
#ifndef KW_IMAP_SESSION_H
#define KW_IMAP_SESSION_H

#include <stdatomic.h>
#include <pthread.h>
#include <glib.h>
#include <libetpan/libetpan.h>

#include "imap_fetch.h"
#include "keepwarm.h"

typedef struct {
    mailimap                *imap;
    const kw_sync_options_t *opt;
    int                      timeout;   /* seconds of inactivity per read */
    const int               *cancelled; /* set when the caller cancelled (may be NULL) */

    /* watchdog: cancels the stream when nothing moved for too long */
    pthread_t                watchdog;
    int                      watchdog_running;
    pthread_mutex_t          wd_lock;
    pthread_cond_t           wd_cond;
    int                      wd_stop;
    _Atomic gint64           wd_last_activity; /* monotonic microseconds */
} kw_session_t;

/* Connect and log in with the options' credentials. *out (transfer full,
 * kw_session_close) is set even on failure, so that the caller closes it.
 * Returns KW_OK, KW_ERR_INSECURE, KW_ERR_TLS, KW_ERR_AUTH, KW_ERR_NETWORK,
 * KW_ERR_SERVER, KW_ERR_NOMEM, KW_ERR_USAGE (unreadable CA file). */
kw_status_t kw_session_open(const kw_sync_options_t *options, int timeout, const int *cancelled,
                            kw_session_t **out, char **error);

/* Polite LOGOUT over a healthy connection (errors ignored). */
void kw_session_logout(kw_session_t *s);

/* Close the stream, free the session, stop the watchdog. NULL is fine. */
void kw_session_close(kw_session_t *s);

/* Something moved on the connection (resets the watchdog). Any thread. */
void kw_session_activity(kw_session_t *s);

/* Unblock a thread reading the stream (it then sees an error). Any thread. */
void kw_session_cancel_stream(kw_session_t *s);

/* The stream (transfer none) for commands libetpan does not send itself. */
mailstream *kw_session_stream(kw_session_t *s);

/* The next command tag (unique in the session; libetpan's counter). */
void kw_session_next_tag(kw_session_t *s, char *buf, size_t size);

/* The server's last response text ("" if none; transfer none). */
const char *kw_session_server_text(kw_session_t *s);

/* The capability list read after TLS has `name` (e.g. "LIST-STATUS"). */
int kw_session_has_capability(kw_session_t *s, const char *name);

/* Send `commands` (one or more complete, CRLF-terminated command lines with
 * tags from kw_session_next_tag) and read until the tagged response of
 * `last_tag`. Every other complete response (untagged ones, the other
 * commands' tagged ones) goes to `fn` (see kw_fetch_other_fn). *result says
 * how the last command ended. Returns KW_OK (it ended OK), KW_ERR_SERVER
 * (NO or BAD, or an unusable answer), KW_ERR_NETWORK, KW_ERR_CANCELLED; the
 * message starts with `what`. */
kw_status_t kw_session_exchange(kw_session_t *s, const char *commands, const char *last_tag,
                                kw_fetch_other_fn fn, void *data, kw_fetch_result_t *result,
                                const char *what, char **error);

/* Map a libetpan error `r` of the command `what` to a status and message. */
kw_status_t kw_session_fail(kw_session_t *s, int r, const char *what, char **error);

#endif
