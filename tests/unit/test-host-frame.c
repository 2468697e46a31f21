/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-host-frame.c — native-messaging framing (core/cli/host_frame.c):
 * whole messages through a pipe, lengths and bodies split over many reads,
 * clean and unclean ends, the size limit and skipping, large writes. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "host_frame.h"

typedef struct {
    int         fd;
    const char *data;
    size_t      len;
    size_t      step;   /* bytes per write(); 0: all at once */
} writer_t;

/* Write the bytes in steps (each step is one read() for the reader at best),
 * then close the write end. */
static gpointer writer_thread(gpointer p)
{
    writer_t *w = p;
    size_t off = 0;

    while (off < w->len) {
        size_t n = w->step ? MIN(w->step, w->len - off) : w->len - off;
        ssize_t r = write(w->fd, w->data + off, n);
        if (r < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(r, >, 0);
        off += (size_t)r;
        if (w->step)
            g_usleep(200);
    }
    close(w->fd);
    return NULL;
}

static GString *frame(GString *s, const char *body, size_t len)
{
    uint32_t n = (uint32_t)len;
    g_string_append_len(s, (const char *)&n, sizeof n);
    g_string_append_len(s, body, (gssize)len);
    return s;
}

/* Feed `bytes` through a pipe in steps; returns the read end. */
static int feed(GThread **t, writer_t *w, const GString *bytes, size_t step)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    w->fd = fds[1];
    w->data = bytes->str;
    w->len = bytes->len;
    w->step = step;
    *t = g_thread_new("writer", writer_thread, w);
    return fds[0];
}

static void read_expect(int fd, uint32_t max, kw_frame_status_t want, const char *body)
{
    char *got = NULL;
    uint32_t len = 0;
    kw_frame_status_t st = kw_frame_read(fd, max, &got, &len);
    g_assert_cmpint(st, ==, want);
    if (want == KW_FRAME_OK) {
        g_assert_nonnull(got);
        g_assert_cmpuint(len, ==, strlen(body));
        g_assert_cmpstr(got, ==, body);
    } else {
        g_assert_null(got);
    }
    g_free(got);
}

/* Three messages, then a clean end, read whole or a byte per read. */
static void test_sequence(gconstpointer data)
{
    size_t step = GPOINTER_TO_SIZE(data);
    GString *s = g_string_new(NULL);
    writer_t w;
    GThread *t;
    int fd;

    frame(s, "{\"cmd\":\"status\"}", 16);
    frame(s, "", 0); /* an empty message is a message */
    frame(s, "{\"cmd\":\"überfällig\"}", strlen("{\"cmd\":\"überfällig\"}"));
    fd = feed(&t, &w, s, step);
    read_expect(fd, 1024, KW_FRAME_OK, "{\"cmd\":\"status\"}");
    read_expect(fd, 1024, KW_FRAME_OK, "");
    read_expect(fd, 1024, KW_FRAME_OK, "{\"cmd\":\"überfällig\"}");
    read_expect(fd, 1024, KW_FRAME_EOF, NULL);
    g_thread_join(t);
    close(fd);
    g_string_free(s, TRUE);
}

/* The input ends inside the length: truncated, not a clean end. */
static void test_truncated_length(void)
{
    GString *s = g_string_new_len("\x05\x00", 2);
    writer_t w;
    GThread *t;
    int fd = feed(&t, &w, s, 1);
    read_expect(fd, 1024, KW_FRAME_TRUNCATED, NULL);
    g_thread_join(t);
    close(fd);
    g_string_free(s, TRUE);
}

/* The input ends inside the body. */
static void test_truncated_body(void)
{
    GString *s = frame(g_string_new(NULL), "{\"cmd\":\"status\"}", 16);
    writer_t w;
    GThread *t;
    int fd;

    g_string_truncate(s, s->len - 3);
    fd = feed(&t, &w, s, 0);
    read_expect(fd, 1024, KW_FRAME_TRUNCATED, NULL);
    g_thread_join(t);
    close(fd);
    g_string_free(s, TRUE);
}

/* Over the limit: the length is reported, the body is left unread, can be
 * skipped, and the next message reads fine. */
static void test_too_large_then_skip(void)
{
    GString *big = g_string_new(NULL), *s = g_string_new(NULL);
    char *body = NULL;
    uint32_t len = 0;
    writer_t w;
    GThread *t;
    int fd;

    for (int i = 0; i < 5000; i++)
        g_string_append_c(big, 'x');
    frame(s, big->str, big->len);
    frame(s, "{}", 2);
    fd = feed(&t, &w, s, 0);
    g_assert_cmpint(kw_frame_read(fd, 4096, &body, &len), ==, KW_FRAME_TOO_LARGE);
    g_assert_null(body);
    g_assert_cmpuint(len, ==, 5000);
    g_assert_cmpint(kw_frame_skip(fd, len), ==, KW_FRAME_OK);
    read_expect(fd, 4096, KW_FRAME_OK, "{}");
    read_expect(fd, 4096, KW_FRAME_EOF, NULL);
    g_thread_join(t);
    close(fd);
    g_string_free(big, TRUE);
    g_string_free(s, TRUE);
}

/* Skipping past the end of the input is truncation. */
static void test_skip_truncated(void)
{
    GString *s = g_string_new("abc");
    writer_t w;
    GThread *t;
    int fd = feed(&t, &w, s, 0);
    g_assert_cmpint(kw_frame_skip(fd, 10), ==, KW_FRAME_TRUNCATED);
    g_thread_join(t);
    close(fd);
    g_string_free(s, TRUE);
}

typedef struct {
    int      fd;
    char    *body;
    uint32_t len;
    kw_frame_status_t st;
} reader_t;

static gpointer reader_thread(gpointer p)
{
    reader_t *r = p;
    r->st = kw_frame_read(r->fd, 4u * 1024 * 1024, &r->body, &r->len);
    return NULL;
}

/* A message much larger than a pipe's buffer: partial writes add up. */
static void test_write_large(void)
{
    size_t n = 1024 * 1024;
    char *body = g_malloc(n + 1);
    reader_t r = { 0 };
    GThread *t;
    int fds[2];

    for (size_t i = 0; i < n; i++)
        body[i] = (char)('a' + i % 26);
    body[n] = '\0';
    g_assert_cmpint(pipe(fds), ==, 0);
    r.fd = fds[0];
    t = g_thread_new("reader", reader_thread, &r);
    g_assert_cmpint(kw_frame_write(fds[1], body, n), ==, 0);
    g_thread_join(t);
    g_assert_cmpint(r.st, ==, KW_FRAME_OK);
    g_assert_cmpuint(r.len, ==, n);
    g_assert_true(memcmp(r.body, body, n) == 0);
    close(fds[0]);
    close(fds[1]);
    g_free(r.body);
    g_free(body);
}

/* Writing to a closed reader fails with EPIPE (SIGPIPE ignored, as in the host). */
static void test_write_epipe(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    close(fds[0]);
    errno = 0;
    g_assert_cmpint(kw_frame_write(fds[1], "{}", 2), ==, -1);
    g_assert_cmpint(errno, ==, EPIPE);
    close(fds[1]);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/host-frame/sequence/whole", GSIZE_TO_POINTER(0), test_sequence);
    g_test_add_data_func("/host-frame/sequence/byte-by-byte", GSIZE_TO_POINTER(1), test_sequence);
    g_test_add_data_func("/host-frame/sequence/3-bytes", GSIZE_TO_POINTER(3), test_sequence);
    g_test_add_func("/host-frame/truncated-length", test_truncated_length);
    g_test_add_func("/host-frame/truncated-body", test_truncated_body);
    g_test_add_func("/host-frame/too-large-then-skip", test_too_large_then_skip);
    g_test_add_func("/host-frame/skip-truncated", test_skip_truncated);
    g_test_add_func("/host-frame/write-large", test_write_large);
    g_test_add_func("/host-frame/write-epipe", test_write_epipe);
    return g_test_run();
}
