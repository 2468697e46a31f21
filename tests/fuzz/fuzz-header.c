/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-header.c — libFuzzer target for the header block -> parsed message
 * pipeline (kw_header_parse, core/header_parse.c; reliability notes H2, D1-D24).
 *
 * Invariants checked on every input:
 *  - no crash, no sanitizer report (ASan/UBSan), no hang (-timeout);
 *  - every string in the result is valid UTF-8 and NUL-free;
 *  - n_addrs <= KW_MAX_RECIPIENTS + 3 (From, Sender, Reply-To beyond the cap);
 *  - every stored address contains '@';
 *  - subject and names are at most KW_MAX_FIELD_BYTES bytes;
 *  - identity_key / fingerprint are 32 lower-case hex digits when parse succeeds;
 *  - parsing the same bytes twice gives the same identity (determinism).
 * The first 8 bytes of the input (when present) choose INTERNALDATE. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "header_parse.h"

#define NOW ((int64_t)1767225600) /* 2026-01-01, fixed: results must not depend on the clock */

static void check_str(const char *s, size_t cap)
{
    if (!s)
        return;
    if (!g_utf8_validate(s, -1, NULL))
        abort();
    if (cap && strlen(s) > cap)
        abort();
}

static void check_hex(const char *k)
{
    if (strlen(k) != 32)
        abort();
    for (const char *p = k; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    kw_parsed_msg_t a, b;
    int64_t idate = 1700000000;
    int ra, rb;

    if (!inited) {
        kw_header_parse_init();
        inited = 1;
    }
    if (size >= 8 && data[0] == 0xff) { /* an explicit INTERNALDATE prefix */
        memcpy(&idate, data, 8);
        data += 8;
        size -= 8;
    }
    memset(&a, 0, sizeof a);
    ra = kw_header_parse((const char *)data, size, idate, NOW, &a);
    if (ra == 0) {
        check_str(a.message_id, 0);
        check_str(a.in_reply_to, 0);
        check_str(a.subject, KW_MAX_FIELD_BYTES);
        if (a.n_addrs > KW_MAX_RECIPIENTS + 3)
            abort();
        if (a.n_addrs && !a.addrs)
            abort();
        for (size_t i = 0; i < a.n_addrs; i++) {
            check_str(a.addrs[i].email, 0);
            check_str(a.addrs[i].name, KW_MAX_FIELD_BYTES);
            if (!a.addrs[i].email || !strchr(a.addrs[i].email, '@'))
                abort();
            if (a.addrs[i].role < KW_ROLE_FROM || a.addrs[i].role > KW_ROLE_BCC)
                abort();
        }
        check_hex(a.identity_key);
        check_hex(a.fingerprint);
        /* determinism */
        memset(&b, 0, sizeof b);
        rb = kw_header_parse((const char *)data, size, idate, NOW, &b);
        if (rb != 0 || strcmp(a.identity_key, b.identity_key) != 0 || a.n_addrs != b.n_addrs)
            abort();
        kw_parsed_msg_clear(&b);
    } else if (ra != -1) {
        abort();
    }
    kw_parsed_msg_clear(&a);
    return 0;
}
