/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-fetch.c — libFuzzer target for the IMAP FETCH response path
 * (reliability notes H1, B10-B14): keepwarm's own streaming parser
 * kw_fetch_parser_feed() from core/imap_fetch.c, fed from an in-memory
 * buffer.  (Earlier plan: libetpan's mailimap_uid_fetch over an in-memory
 * mailstream_low driver; the sync no longer uses libetpan for FETCH, so the
 * target fuzzes what the sync really runs.)
 *
 * The first input byte chooses how the bytes are split into feed() calls
 * (1..256 bytes, or all at once), so chunk boundaries fall inside literals,
 * CRLFs and numbers.  Each header block the parser reports is then run
 * through kw_header_parse as the sync would.
 *
 * Invariants: no crash/sanitizer report/hang; feed() never consumes more
 * than given; a reported header is within KW_FETCH_MAX_HEADER and non-NULL
 * when its length is non-zero; after a final result feed() keeps returning
 * it; the number of items never exceeds the input size. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_fetch.h"
#include "header_parse.h"

#define NOW ((int64_t)1767225600)

struct ctx {
    size_t items;
    int    stop_after; /* exercise KW_FETCH_ERR_CALLBACK */
};

static int on_item(const kw_fetch_item_t *it, void *data)
{
    struct ctx *c = data;
    kw_parsed_msg_t msg;

    c->items++;
    if (it->header_len > KW_FETCH_MAX_HEADER)
        abort();
    if (it->header_len && !it->header)
        abort();
    if (it->header && it->header_len) {
        /* touch every byte: ASan catches a pointer into freed/short memory */
        volatile unsigned sum = 0;
        for (size_t i = 0; i < it->header_len; i++)
            sum += (unsigned char)it->header[i];
        (void)sum;
        memset(&msg, 0, sizeof msg);
        (void)kw_header_parse(it->header, it->header_len, it->internaldate, NOW, &msg);
        kw_parsed_msg_clear(&msg);
    }
    if (c->stop_after && c->items >= (size_t)c->stop_after)
        return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    struct ctx c = { 0, 0 };
    kw_fetch_parser_t *p;
    kw_fetch_result_t r = KW_FETCH_MORE, again;
    size_t step, off = 0;

    if (!inited) {
        kw_header_parse_init();
        inited = 1;
    }
    if (size < 1)
        return 0;
    step = data[0] ? data[0] : size;     /* 0: everything in one call */
    c.stop_after = (data[0] & 0x80) ? (data[0] & 0x07) : 0;
    data++;
    size--;

    p = kw_fetch_parser_new("kw1", on_item, &c);
    if (!p)
        abort();
    while (off < size && r == KW_FETCH_MORE) {
        size_t n = size - off < step ? size - off : step, used = (size_t)-1;
        r = kw_fetch_parser_feed(p, (const char *)data + off, n, &used);
        if (used > n)
            abort();
        if (r == KW_FETCH_MORE && used != n)
            abort(); /* MORE means: all given bytes were taken */
        off += used;
        if (r == KW_FETCH_MORE && used == 0 && n > 0)
            abort(); /* no progress */
    }
    if (r != KW_FETCH_MORE) {
        again = kw_fetch_parser_feed(p, "x\r\n", 3, NULL);
        if (again != r)
            abort();
        if (!kw_fetch_parser_text(p) && (r == KW_FETCH_DONE_NO || r == KW_FETCH_DONE_BAD))
            abort();
    }
    if (c.items > size)
        abort();
    if (kw_fetch_parser_items(p) < c.items && r != KW_FETCH_ERR_CALLBACK)
        abort();
    kw_fetch_parser_free(p);
    return 0;
}
