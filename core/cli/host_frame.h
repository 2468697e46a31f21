/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_frame.h — the framing of Thunderbird's (and Firefox's) native
 * messaging: every message is a 32-bit length in the machine's byte order,
 * then that many bytes of UTF-8 JSON. Used by the native host (host.c);
 * free of JSON and of the host's state so that it is unit-tested alone
 * (tests/unit/test-host-frame.c). */
#ifndef KW_HOST_FRAME_H
#define KW_HOST_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    KW_FRAME_OK = 0,    /* a whole message was read */
    KW_FRAME_EOF,       /* the input ended cleanly, before a length */
    KW_FRAME_TRUNCATED, /* the input ended inside a length or a body */
    KW_FRAME_TOO_LARGE, /* the announced length exceeds the limit; the body is still unread */
    KW_FRAME_IO         /* read() failed (errno tells why) */
} kw_frame_status_t;

/* Read one message from `fd` (blocking; short reads and EINTR are handled,
 * so a length split over several reads is fine). On KW_FRAME_OK *body_out
 * receives the body plus a terminating NUL (transfer full, g_free; wipe it
 * first when it may hold a secret) and *len_out its length. On
 * KW_FRAME_TOO_LARGE *len_out holds the announced length and nothing of the
 * body was read (kw_frame_skip() can discard it). *body_out is NULL unless
 * the status is KW_FRAME_OK. */
kw_frame_status_t kw_frame_read(int fd, uint32_t max, char **body_out, uint32_t *len_out);

/* Read and discard `len` bytes. KW_FRAME_OK, KW_FRAME_TRUNCATED or KW_FRAME_IO. */
kw_frame_status_t kw_frame_skip(int fd, uint32_t len);

/* Write one message (length + body) to `fd`, all of it (partial writes and
 * EINTR handled). Returns 0, or -1 with errno set (EPIPE when the reader is
 * gone, EMSGSIZE when len does not fit in 32 bits). */
int kw_frame_write(int fd, const char *body, size_t len);

#endif
