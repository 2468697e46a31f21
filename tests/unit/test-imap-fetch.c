/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-imap-fetch.c — the streaming UID FETCH response parser.
 * Every case is fed whole, byte by byte, and in 7-byte pieces: the parser
 * must give the same result however the network splits the stream. */
#include <string.h>
#include <glib.h>

#include "imap_fetch.h"

typedef struct {
    GString *log;   /* "uid:date:len:oversized;" per item */
    int      stop_after; /* callback returns 1 after this many items (0 = never) */
    int      items;
} collect_t;

static int collect(const kw_fetch_item_t *it, void *data)
{
    collect_t *c = data;
    g_string_append_printf(c->log, "%u:%" G_GINT64_FORMAT ":%zu:%d", it->uid, it->internaldate,
                           it->header_len, it->oversized);
    if (it->header)
        g_string_append_printf(c->log, ":%.*s", (int)MIN(it->header_len, 12), it->header);
    g_string_append_c(c->log, ';');
    c->items++;
    return c->stop_after && c->items >= c->stop_after;
}

static kw_fetch_result_t run(const char *input, size_t len, size_t piece, GString *log,
                             size_t *consumed_total, int stop_after)
{
    collect_t c = { log, stop_after, 0 };
    kw_fetch_parser_t *p = kw_fetch_parser_new("kw7", collect, &c);
    kw_fetch_result_t r = KW_FETCH_MORE;
    size_t off = 0;

    while (off < len && r == KW_FETCH_MORE) {
        size_t n = MIN(piece, len - off), used = 0;
        r = kw_fetch_parser_feed(p, input + off, n, &used);
        off += used;
        if (r == KW_FETCH_MORE)
            g_assert_cmpuint(used, ==, n);
    }
    if (consumed_total)
        *consumed_total = off;
    kw_fetch_parser_free(p);
    return r;
}

typedef struct {
    const char *name;
    const char *input;
    kw_fetch_result_t result;
    const char *log;
} fetch_case_t;

#define HDR "From: a@b.example\r\n\r\n"  /* 21 bytes */

static const fetch_case_t cases[] = {
    /* The ordinary answer: two messages, literal header blocks, tagged OK. */
    { "two messages",
      "* 1 FETCH (UID 10 INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" BODY[HEADER.FIELDS (FROM TO)] {21}\r\n" HDR ")\r\n"
      "* 2 FETCH (UID 11 INTERNALDATE \"01-Jan-2024 12:00:00 +0200\" BODY[HEADER.FIELDS (FROM TO)] {21}\r\n" HDR ")\r\n"
      "kw7 OK Fetch completed.\r\n",
      KW_FETCH_DONE_OK,
      "10:1704103200:21:0:From: a@b.ex;11:1704103200:21:0:From: a@b.ex;" },
    /* Attribute order is the server's choice; FLAGS and MODSEQ are skipped. */
    { "other order and extra items",
      "* 3 FETCH (FLAGS (\\Seen $Label1) BODY[HEADER.FIELDS (\"FROM\" TO)] {21}\r\n" HDR " MODSEQ (12) UID 12)\r\n"
      "kw7 OK done\r\n",
      KW_FETCH_DONE_OK, "12:0:21:0:From: a@b.ex;" },
    /* Header block as a quoted string with escapes, and NIL. */
    { "quoted and NIL header",
      "* 4 FETCH (UID 13 BODY[HEADER.FIELDS (FROM)] \"Subject: \\\"x\\\"\")\r\n"
      "* 5 FETCH (UID 14 BODY[HEADER.FIELDS (FROM)] NIL)\r\n"
      "kw7 OK done\r\n",
      KW_FETCH_DONE_OK, "13:0:12:0:Subject: \"x\";14:0:0:0;" },
    /* Untagged responses in between are ignored; other tags too. */
    { "interleaved untagged",
      "* 7 EXISTS\r\n* 1 RECENT\r\n* OK [ALERT] hello\r\nkw6 OK old\r\n"
      "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM)] {0}\r\n)\r\nkw7 OK done\r\n",
      KW_FETCH_DONE_OK, "1:0:0:0:;" }, /* empty literal: header present, 0 bytes */
    /* FETCH without UID is reported with uid 0 (the sync ignores it). */
    { "no uid", "* 1 FETCH (FLAGS ())\r\nkw7 OK done\r\n", KW_FETCH_DONE_OK, "0:0:0:0;" },
    /* Bare LF line ends (broken servers) still parse. */
    { "bare LF", "* 1 FETCH (UID 5 BODY[HEADER] {3}\nab\n)\nkw7 OK done\n", KW_FETCH_DONE_OK,
      "5:0:3:0:ab\n;" },
    /* Tagged NO / BAD. */
    { "tagged NO", "kw7 NO [EXPUNGEISSUED] Some messages were expunged\r\n", KW_FETCH_DONE_NO, "" },
    { "tagged BAD", "kw7 BAD Error in IMAP command\r\n", KW_FETCH_DONE_BAD, "" },
    /* BYE mid-fetch (reliability B5). */
    { "bye", "* 1 FETCH (UID 1 BODY[HEADER] {0}\r\n)\r\n* BYE shutting down\r\n", KW_FETCH_BYE,
      "1:0:0:0:;" },
    /* Literal size overflow {4294967296} must not wrap to 0 (B11). */
    { "literal 2^32", "* 1 FETCH (UID 1 BODY[HEADER] {4294967296}\r\nxx", KW_FETCH_ERR_LIMIT, "" },
    /* Absurd literal (B10) and absurd digit count. */
    { "literal 4e9", "* 1 FETCH (UID 1 BODY[HEADER] {4000000000}\r\n", KW_FETCH_ERR_LIMIT, "" },
    { "literal digits", "* 1 FETCH (UID 1 BODY[HEADER] {99999999999999999999999}\r\n",
      KW_FETCH_ERR_LIMIT, "" },
    /* Garbage in a FETCH is a protocol error, not a crash. */
    { "unbalanced", "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM) {1}\r\nx)\r\n", KW_FETCH_ERR_PROTOCOL, "" },
    { "unclosed list", "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n", KW_FETCH_ERR_PROTOCOL, "" },
    { "uid zero", "* 1 FETCH (UID 0)\r\n", KW_FETCH_ERR_PROTOCOL, "" },
    { "uid too big", "* 1 FETCH (UID 4294967296)\r\n", KW_FETCH_ERR_PROTOCOL, "" },
    { "seq zero", "* 0 FETCH (UID 3)\r\n", KW_FETCH_ERR_PROTOCOL, "" },
    /* UIDs at the top of the range are fine (C4). */
    { "uid max", "* 1 FETCH (UID 4294967295)\r\nkw7 OK\r\n", KW_FETCH_DONE_OK, "4294967295:0:0:0;" },
    /* Bad INTERNALDATE: date 0, message kept. */
    { "bad date", "* 1 FETCH (UID 2 INTERNALDATE \"yesterday\")\r\nkw7 OK\r\n", KW_FETCH_DONE_OK,
      "2:0:0:0;" },
    /* Incomplete input: more bytes needed. */
    { "truncated", "* 1 FETCH (UID 2 BODY[HEADER] {10}\r\nabc", KW_FETCH_MORE, "" },
};

static void test_cases(void)
{
    static const size_t pieces[] = { 1, 7, 100000 };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (size_t k = 0; k < G_N_ELEMENTS(pieces); k++) {
            GString *log = g_string_new("");
            kw_fetch_result_t r = run(cases[i].input, strlen(cases[i].input), pieces[k], log, NULL, 0);
            if (r != cases[i].result || strcmp(log->str, cases[i].log) != 0)
                g_test_message("case '%s' piece %zu: result %d log '%s'", cases[i].name, pieces[k], r,
                               log->str);
            g_assert_cmpint(r, ==, cases[i].result);
            g_assert_cmpstr(log->str, ==, cases[i].log);
            g_string_free(log, TRUE);
        }
    }
}

/* A header block above 1 MiB is dropped, never buffered, and the parser
 * goes on with the next message (B10: poison one UID, keep the rest). */
static void test_oversized_header(void)
{
    GString *in = g_string_new("* 1 FETCH (UID 1 BODY[HEADER] {2000000}\r\n");
    GString *log = g_string_new("");
    for (int i = 0; i < 2000000; i++)
        g_string_append_c(in, 'x');
    g_string_append(in, ")\r\n* 2 FETCH (UID 2 BODY[HEADER] {2}\r\nok)\r\nkw7 OK\r\n");
    g_assert_cmpint(run(in->str, in->len, 65536, log, NULL, 0), ==, KW_FETCH_DONE_OK);
    g_assert_cmpstr(log->str, ==, "1:0:0:1:;2:0:2:0:ok;");
    g_string_free(in, TRUE);
    g_string_free(log, TRUE);
}

/* A line without CRLF is cut off at the limit (B12) instead of growing. */
static void test_endless_line(void)
{
    GString *in = g_string_new("* 1 FETCH (UID 1 ");
    GString *log = g_string_new("");
    while (in->len < KW_FETCH_MAX_LINE + 100)
        g_string_append(in, "xxxxxxxxxx");
    g_assert_cmpint(run(in->str, in->len, 4096, log, NULL, 0), ==, KW_FETCH_ERR_LIMIT);
    g_string_free(in, TRUE);
    g_string_free(log, TRUE);
}

/* Bytes after the tagged line are left to the caller; the result sticks. */
static void test_consumed_and_sticky(void)
{
    const char *in = "kw7 OK done\r\n* 9 EXISTS\r\n";
    collect_t c = { g_string_new(""), 0, 0 };
    kw_fetch_parser_t *p = kw_fetch_parser_new("kw7", collect, &c);
    size_t used = 0;
    g_assert_cmpint(kw_fetch_parser_feed(p, in, strlen(in), &used), ==, KW_FETCH_DONE_OK);
    g_assert_cmpuint(used, ==, 13);
    g_assert_cmpint(kw_fetch_parser_feed(p, "more", 4, &used), ==, KW_FETCH_DONE_OK);
    g_assert_cmpuint(used, ==, 0);
    g_assert_cmpstr(kw_fetch_parser_text(p), ==, "kw7 OK done");
    kw_fetch_parser_free(p);
    g_string_free(c.log, TRUE);
}

/* The callback can stop the parse (a store error in the sync). */
static void test_callback_stop(void)
{
    const char *in = "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\nkw7 OK\r\n";
    GString *log = g_string_new("");
    g_assert_cmpint(run(in, strlen(in), 1000, log, NULL, 1), ==, KW_FETCH_ERR_CALLBACK);
    g_assert_cmpstr(log->str, ==, "1:0:0:0;");
    g_string_free(log, TRUE);
}

static void test_datetime(void)
{
    static const struct { const char *in; gint64 out; } dates[] = {
        { "01-Jan-2024 10:00:00 +0000", 1704103200 },
        { " 1-Jan-2024 10:00:00 +0000", 1704103200 }, /* day padded with a space */
        { "01-Jan-2024 05:00:00 -0500", 1704103200 },
        { "31-Dec-2023 23:30:00 -1030", 1704103200 },
        { "01-jan-2024 10:00:00 +0000", 1704103200 }, /* month case-insensitive */
        { "01-Foo-2024 10:00:00 +0000", 0 },
        { "32-Jan-2024 10:00:00 +0000", 0 },
        { "01-Jan-2024 10:00:00", 0 },                /* zone required */
        { "", 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(dates); i++)
        g_assert_cmpint(kw_imap_parse_datetime(dates[i].in, strlen(dates[i].in)), ==, dates[i].out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/imap-fetch/cases", test_cases);
    g_test_add_func("/imap-fetch/oversized-header", test_oversized_header);
    g_test_add_func("/imap-fetch/endless-line", test_endless_line);
    g_test_add_func("/imap-fetch/consumed-and-sticky", test_consumed_and_sticky);
    g_test_add_func("/imap-fetch/callback-stop", test_callback_stop);
    g_test_add_func("/imap-fetch/datetime", test_datetime);
    return g_test_run();
}
