/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_frame.c — native-messaging framing (see host_frame.h). */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <glib.h>

#include "host_frame.h"

/* Fill buf with exactly n bytes. Returns the number read before EOF (< n
 * only at EOF), or -1 on a read error. */
static ssize_t read_exactly(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

kw_frame_status_t kw_frame_read(int fd, uint32_t max, char **body_out, uint32_t *len_out)
{
    uint32_t len;
    ssize_t r;
    char *body;

    *body_out = NULL;
    *len_out = 0;
    r = read_exactly(fd, &len, sizeof len);
    if (r < 0)
        return KW_FRAME_IO;
    if (r == 0)
        return KW_FRAME_EOF;
    if ((size_t)r < sizeof len)
        return KW_FRAME_TRUNCATED;
    *len_out = len;
    if (len > max)
        return KW_FRAME_TOO_LARGE;
    body = g_malloc((size_t)len + 1);
    r = read_exactly(fd, body, len);
    if (r < 0 || (size_t)r < len) {
        int saved = errno;
        explicit_bzero(body, (size_t)len + 1);
        g_free(body);
        errno = saved;
        return r < 0 ? KW_FRAME_IO : KW_FRAME_TRUNCATED;
    }
    body[len] = '\0';
    *body_out = body;
    return KW_FRAME_OK;
}

kw_frame_status_t kw_frame_skip(int fd, uint32_t len)
{
    char buf[8192];

    while (len > 0) {
        size_t want = len < sizeof buf ? len : sizeof buf;
        ssize_t r = read_exactly(fd, buf, want);
        if (r < 0)
            return KW_FRAME_IO;
        if ((size_t)r < want)
            return KW_FRAME_TRUNCATED;
        len -= (uint32_t)r;
    }
    return KW_FRAME_OK;
}

int kw_frame_write(int fd, const char *body, size_t len)
{
    uint32_t n32 = (uint32_t)len;
    struct iovec iov[2];
    int i = 0;

    if (len > UINT32_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    iov[0].iov_base = &n32;
    iov[0].iov_len = sizeof n32;
    iov[1].iov_base = (void *)body;
    iov[1].iov_len = len;
    while (i < 2) {
        ssize_t w = writev(fd, iov + i, 2 - i);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (i < 2 && (size_t)w >= iov[i].iov_len) {
            w -= (ssize_t)iov[i].iov_len;
            i++;
        }
        if (i < 2) {
            iov[i].iov_base = (char *)iov[i].iov_base + w;
            iov[i].iov_len -= (size_t)w;
        }
    }
    return 0;
}
