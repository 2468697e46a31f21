/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_fetch.c — streaming parser for UID FETCH responses (see imap_fetch.h).
 *
 * Bytes are appended to one response buffer until a line ends without a
 * literal marker; the complete response (literal contents inline) is then
 * tokenised in place. Nothing is allocated per message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "imap_fetch.h"

enum { ST_LINE, ST_LITERAL };

struct kw_fetch_parser {
    char   *tag;
    size_t  taglen;
    kw_fetch_item_fn fn;
    void   *fn_data;
    kw_fetch_other_fn other_fn;
    void   *other_data;

    char   *buf;
    size_t  len, cap;
    size_t  seg_start;      /* start of the current line segment */
    int     state;
    uint64_t lit_remaining;
    int     lit_skip;       /* drop the literal's bytes (oversized) */
    int     oversized;      /* the current response had a dropped literal */

    char   *unquoted;       /* scratch for a header sent as a quoted string */
    size_t  unquoted_cap;

    kw_fetch_result_t result;
    char   *text;
    uint64_t items;
};

kw_fetch_parser_t *kw_fetch_parser_new(const char *tag, kw_fetch_item_fn fn, void *data)
{
    kw_fetch_parser_t *p = g_new0(kw_fetch_parser_t, 1);
    p->tag = g_strdup(tag);
    p->taglen = strlen(tag);
    p->fn = fn;
    p->fn_data = data;
    p->cap = 16384;
    p->buf = g_malloc(p->cap);
    p->result = KW_FETCH_MORE;
    return p;
}

void kw_fetch_parser_free(kw_fetch_parser_t *p)
{
    if (!p)
        return;
    g_free(p->tag);
    g_free(p->buf);
    g_free(p->unquoted);
    g_free(p->text);
    g_free(p);
}

const char *kw_fetch_parser_text(const kw_fetch_parser_t *p)
{
    return p && p->text ? p->text : "";
}

void kw_fetch_parser_set_other(kw_fetch_parser_t *p, kw_fetch_other_fn fn, void *data)
{
    p->other_fn = fn;
    p->other_data = data;
}

uint64_t kw_fetch_parser_items(const kw_fetch_parser_t *p)
{
    return p ? p->items : 0;
}

static void append(kw_fetch_parser_t *p, const char *data, size_t n)
{
    if (p->len + n > p->cap) {
        while (p->len + n > p->cap)
            p->cap *= 2;
        p->buf = g_realloc(p->buf, p->cap);
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
}

static void set_text(kw_fetch_parser_t *p, const char *s, size_t n)
{
    g_free(p->text);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n > 300)
        n = 300;
    p->text = g_utf8_make_valid(s, (gssize)n);
}

/* ---- date-time ---------------------------------------------------------- */

static int dig(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t kw_imap_parse_datetime(const char *s, size_t len)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* " 7-Jul-1996 02:44:25 -0700" or "17-Jul-1996 02:44:25 -0700" */
    int day, year, hh, mm, ss, zone, month = -1;
    const char *p = s, *e = s + len;
    char sign;

    while (p < e && *p == ' ')
        p++;
    if (e - p == 25) {
        if (dig(p, 1, &day)) return 0;
        p += 1;
    } else if (e - p == 26) {
        if (dig(p, 2, &day)) return 0;
        p += 2;
    } else
        return 0;
    if (p[0] != '-' || p[4] != '-' || p[9] != ' ' || p[12] != ':' || p[15] != ':' || p[18] != ' ')
        return 0;
    for (int i = 0; i < 12 && month < 0; i++)
        if (g_ascii_tolower(p[1]) == g_ascii_tolower(months[3 * i]) &&
            g_ascii_tolower(p[2]) == months[3 * i + 1] && g_ascii_tolower(p[3]) == months[3 * i + 2])
            month = i;
    sign = p[19];
    if (month < 0 || dig(p + 5, 4, &year) || dig(p + 10, 2, &hh) || dig(p + 13, 2, &mm) ||
        dig(p + 16, 2, &ss) || dig(p + 20, 4, &zone))
        return 0;
    if (day < 1 || day > 31 || year < 1900 || hh > 23 || mm > 59 || ss > 60 ||
        (sign != '+' && sign != '-'))
        return 0;
    int64_t t = days_from_civil(year, month + 1, day) * 86400 + hh * 3600 + mm * 60 + ss;
    int64_t off = (int64_t)(zone / 100) * 3600 + (zone % 100) * 60;
    return sign == '+' ? t - off : t + off;
}

/* ---- tokenising one complete response ----------------------------------- */

void kw_imap_skip_spaces(kw_imap_cursor_t *c)
{
    while (c->pos < c->len && c->s[c->pos] == ' ')
        c->pos++;
}

int kw_imap_read_number(kw_imap_cursor_t *c, uint64_t *out)
{
    uint64_t v = 0;
    size_t start = c->pos;
    while (c->pos < c->len && g_ascii_isdigit(c->s[c->pos])) {
        if (c->pos - start >= 19)
            return -1;
        v = v * 10 + (uint64_t)(c->s[c->pos] - '0');
        c->pos++;
    }
    if (c->pos == start)
        return -1;
    *out = v;
    return 0;
}

/* A literal "{N}" CRLF then N bytes (the parser guaranteed they are there). */
int kw_imap_read_literal(kw_imap_cursor_t *c, const char **ptr, size_t *n)
{
    uint64_t size;
    c->pos++; /* '{' */
    if (kw_imap_read_number(c, &size) < 0)
        return -1;
    if (c->pos < c->len && c->s[c->pos] == '+')
        c->pos++;
    if (c->pos >= c->len || c->s[c->pos] != '}')
        return -1;
    c->pos++;
    if (c->pos < c->len && c->s[c->pos] == '\r')
        c->pos++;
    if (c->pos >= c->len || c->s[c->pos] != '\n')
        return -1;
    c->pos++;
    if (size > c->len - c->pos)
        return -1;
    *ptr = c->s + c->pos;
    *n = (size_t)size;
    c->pos += (size_t)size;
    return 0;
}

/* A quoted string; *ptr and *n are the raw contents (escapes kept), *escaped set
 * when a backslash occurred. */
int kw_imap_read_quoted(kw_imap_cursor_t *c, const char **ptr, size_t *n, int *escaped)
{
    size_t start;
    *escaped = 0;
    c->pos++; /* '"' */
    start = c->pos;
    while (c->pos < c->len && c->s[c->pos] != '"') {
        if (c->s[c->pos] == '\\') {
            *escaped = 1;
            if (++c->pos >= c->len)
                return -1;
        }
        if (c->s[c->pos] == '\r' || c->s[c->pos] == '\n')
            return -1;
        c->pos++;
    }
    if (c->pos >= c->len)
        return -1;
    *ptr = c->s + start;
    *n = c->pos - start;
    c->pos++;
    return 0;
}

/* Skip any value: atom, number, NIL, quoted, literal, or a parenthesised list. */
int kw_imap_skip_value(kw_imap_cursor_t *c, int depth)
{
    const char *p;
    size_t n;
    int esc;

    if (depth > 64 || c->pos >= c->len)
        return -1;
    switch (c->s[c->pos]) {
    case '"':
        return kw_imap_read_quoted(c, &p, &n, &esc);
    case '{':
        return kw_imap_read_literal(c, &p, &n);
    case '(':
        c->pos++;
        for (;;) {
            kw_imap_skip_spaces(c);
            if (c->pos >= c->len)
                return -1;
            if (c->s[c->pos] == ')') {
                c->pos++;
                return 0;
            }
            if (kw_imap_skip_value(c, depth + 1) < 0)
                return -1;
        }
    default: {
        size_t start = c->pos;
        int bracket = 0;
        while (c->pos < c->len) {
            char ch = c->s[c->pos];
            if (ch == '[')
                bracket++;
            else if (ch == ']')
                bracket--;
            else if (!bracket && (ch == ' ' || ch == '(' || ch == ')' || ch == '\r' || ch == '\n'))
                break;
            c->pos++;
        }
        return c->pos > start ? 0 : -1;
    }
    }
}

int kw_imap_read_astring(kw_imap_cursor_t *c, GString *out)
{
    const char *p;
    size_t n;
    int esc;

    g_string_truncate(out, 0);
    if (c->pos >= c->len)
        return -1;
    if (c->s[c->pos] == '"') {
        if (kw_imap_read_quoted(c, &p, &n, &esc) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\\' && i + 1 < n)
                i++;
            g_string_append_c(out, p[i]);
        }
        return 0;
    }
    if (c->s[c->pos] == '{') {
        if (kw_imap_read_literal(c, &p, &n) < 0)
            return -1;
        g_string_append_len(out, p, (gssize)n);
        return 0;
    }
    p = c->s + c->pos;
    while (c->pos < c->len && c->s[c->pos] != ' ' && c->s[c->pos] != '(' && c->s[c->pos] != ')' &&
           c->s[c->pos] != '\r' && c->s[c->pos] != '\n')
        c->pos++;
    n = (size_t)(c->s + c->pos - p);
    if (n == 0)
        return -1;
    if (n == 3 && g_ascii_strncasecmp(p, "NIL", 3) == 0)
        return 1;
    g_string_append_len(out, p, (gssize)n);
    return 0;
}

/* Attribute name: an atom that may contain a [...] section with spaces and an
 * optional <origin>. */
static int read_att_name(kw_imap_cursor_t *c, const char **name, size_t *n)
{
    size_t start = c->pos;
    int bracket = 0;
    /* BODY[...]: a section never holds ']' (field names cannot), so jump
     * over the ~190 bytes servers echo in every response. */
    if (c->len - c->pos > 5 && g_ascii_strncasecmp(c->s + c->pos, "BODY[", 5) == 0) {
        const char *close = memchr(c->s + c->pos + 5, ']', c->len - c->pos - 5);
        if (close && !memchr(c->s + c->pos + 5, '\n', (size_t)(close - (c->s + c->pos + 5))))
            c->pos = (size_t)(close - c->s) + 1;
    }
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == '[')
            bracket++;
        else if (ch == ']')
            bracket--;
        else if (!bracket && (ch == ' ' || ch == '(' || ch == ')'))
            break;
        else if (ch == '\r' || ch == '\n')
            break;
        c->pos++;
    }
    if (c->pos == start || bracket != 0)
        return -1;
    *name = c->s + start;
    *n = c->pos - start;
    return 0;
}

static int name_is(const char *name, size_t n, const char *want)
{
    size_t wl = strlen(want);
    return n == wl && g_ascii_strncasecmp(name, want, wl) == 0;
}

static const char *unquote(kw_fetch_parser_t *p, const char *s, size_t n, size_t *out_n)
{
    size_t j = 0;
    if (n + 1 > p->unquoted_cap) {
        p->unquoted_cap = n + 1;
        p->unquoted = g_realloc(p->unquoted, p->unquoted_cap);
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        p->unquoted[j++] = s[i];
    }
    *out_n = j;
    return p->unquoted;
}

static kw_fetch_result_t parse_fetch(kw_fetch_parser_t *p, kw_imap_cursor_t *c, uint32_t seq)
{
    kw_fetch_item_t item;
    memset(&item, 0, sizeof item);
    item.seq = seq;
    item.oversized = p->oversized;

    kw_imap_skip_spaces(c);
    if (c->pos >= c->len || c->s[c->pos] != '(')
        goto bad;
    c->pos++;
    for (;;) {
        const char *name, *val;
        size_t nlen, vlen;
        int esc;

        kw_imap_skip_spaces(c);
        if (c->pos >= c->len)
            goto bad;
        if (c->s[c->pos] == ')') {
            c->pos++;
            break;
        }
        if (read_att_name(c, &name, &nlen) < 0)
            goto bad;
        kw_imap_skip_spaces(c);
        if (c->pos >= c->len)
            goto bad;
        if (name_is(name, nlen, "UID")) {
            uint64_t uid;
            if (kw_imap_read_number(c, &uid) < 0 || uid == 0 || uid > UINT32_MAX)
                goto bad;
            item.uid = (uint32_t)uid;
        } else if (name_is(name, nlen, "INTERNALDATE")) {
            if (c->s[c->pos] == '"') {
                if (kw_imap_read_quoted(c, &val, &vlen, &esc) < 0)
                    goto bad;
                item.internaldate = kw_imap_parse_datetime(val, vlen);
            } else if (kw_imap_skip_value(c, 0) < 0) {
                goto bad;
            }
        } else if (nlen > 5 && g_ascii_strncasecmp(name, "BODY[", 5) == 0) {
            char ch = c->s[c->pos];
            if (ch == '{') {
                if (kw_imap_read_literal(c, &val, &vlen) < 0)
                    goto bad;
                item.header = val;
                item.header_len = vlen;
            } else if (ch == '"') {
                if (kw_imap_read_quoted(c, &val, &vlen, &esc) < 0)
                    goto bad;
                item.header = esc ? unquote(p, val, vlen, &item.header_len) : val;
                if (!esc)
                    item.header_len = vlen;
            } else if (kw_imap_skip_value(c, 0) < 0) { /* NIL */
                goto bad;
            }
        } else if (kw_imap_skip_value(c, 0) < 0) {
            goto bad;
        }
    }
    p->items++;
    if (p->fn && p->fn(&item, p->fn_data) != 0)
        return KW_FETCH_ERR_CALLBACK;
    return KW_FETCH_MORE;
bad:
    set_text(p, "malformed FETCH response", strlen("malformed FETCH response"));
    return KW_FETCH_ERR_PROTOCOL;
}

/* A complete response the parser does not act on itself: to the caller. */
static kw_fetch_result_t other(kw_fetch_parser_t *p)
{
    size_t n = p->len;
    while (n > 0 && (p->buf[n - 1] == '\n' || p->buf[n - 1] == '\r'))
        n--;
    if (p->other_fn && p->other_fn(p->buf, n, p->other_data) != 0) {
        set_text(p, "stopped by the caller", 21);
        return KW_FETCH_ERR_CALLBACK;
    }
    return KW_FETCH_MORE;
}

static kw_fetch_result_t dispatch(kw_fetch_parser_t *p)
{
    kw_imap_cursor_t c = { p->buf, 0, p->len };

    if (p->len >= 2 && p->buf[0] == '*' && p->buf[1] == ' ') {
        uint64_t num;
        c.pos = 2;
        if (kw_imap_read_number(&c, &num) == 0) {
            kw_imap_skip_spaces(&c);
            if (c.len - c.pos >= 5 && g_ascii_strncasecmp(c.s + c.pos, "FETCH", 5) == 0 &&
                (c.len - c.pos == 5 || c.s[c.pos + 5] == ' ' || c.s[c.pos + 5] == '(')) {
                c.pos += 5;
                if (num == 0 || num > UINT32_MAX) {
                    set_text(p, "FETCH with a bad sequence number", 32);
                    return KW_FETCH_ERR_PROTOCOL;
                }
                return parse_fetch(p, &c, (uint32_t)num);
            }
            return other(p); /* EXISTS, EXPUNGE, RECENT ... */
        }
        if (c.len - c.pos >= 3 && g_ascii_strncasecmp(c.s + c.pos, "BYE", 3) == 0) {
            set_text(p, p->buf, p->len);
            return KW_FETCH_BYE;
        }
        return other(p); /* OK, NO, FLAGS, LIST, STATUS, CAPABILITY ... */
    }
    if (p->len > p->taglen && memcmp(p->buf, p->tag, p->taglen) == 0 && p->buf[p->taglen] == ' ') {
        const char *st = p->buf + p->taglen + 1;
        size_t rest = p->len - p->taglen - 1;
        set_text(p, p->buf, p->len);
        if (rest >= 2 && g_ascii_strncasecmp(st, "OK", 2) == 0)
            return KW_FETCH_DONE_OK;
        if (rest >= 2 && g_ascii_strncasecmp(st, "NO", 2) == 0)
            return KW_FETCH_DONE_NO;
        return KW_FETCH_DONE_BAD;
    }
    return other(p); /* continuation, or another command's tagged response */
}

/* If the segment just completed ends in a literal marker {N} (or {N+}),
 * returns 1 and sets *size and *brace (offset of '{'); 0 if not; -1 if the
 * number is absurd. */
static int literal_marker(const kw_fetch_parser_t *p, uint64_t *size, size_t *brace)
{
    size_t e = p->len, i;
    uint64_t v = 0, mul = 1;
    int digits = 0;

    if (e > p->seg_start && p->buf[e - 1] == '\n')
        e--;
    if (e > p->seg_start && p->buf[e - 1] == '\r')
        e--;
    if (e <= p->seg_start || p->buf[e - 1] != '}')
        return 0;
    i = e - 1;
    if (i > p->seg_start && p->buf[i - 1] == '+')
        i--;
    while (i > p->seg_start && g_ascii_isdigit(p->buf[i - 1])) {
        i--;
        if (++digits > 19)
            return -1;
        v += (uint64_t)(p->buf[i] - '0') * mul;
        mul *= 10;
    }
    if (digits == 0 || i == p->seg_start || p->buf[i - 1] != '{')
        return 0;
    *size = v;
    *brace = i - 1;
    return 1;
}

kw_fetch_result_t kw_fetch_parser_feed(kw_fetch_parser_t *p, const char *data, size_t len,
                                       size_t *consumed)
{
    size_t i = 0;

    if (p->result != KW_FETCH_MORE) {
        if (consumed)
            *consumed = 0;
        return p->result;
    }
    while (i < len) {
        if (p->state == ST_LITERAL) {
            size_t n = len - i;
            if ((uint64_t)n > p->lit_remaining)
                n = (size_t)p->lit_remaining;
            if (!p->lit_skip)
                append(p, data + i, n);
            p->lit_remaining -= n;
            i += n;
            if (p->lit_remaining == 0) {
                p->state = ST_LINE;
                p->seg_start = p->len;
            }
            continue;
        }

        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
        if (p->len - p->seg_start + n > KW_FETCH_MAX_LINE) {
            set_text(p, "response line too long", 22);
            p->result = KW_FETCH_ERR_LIMIT;
            break;
        }
        append(p, data + i, n);
        i += n;
        if (!nl)
            break;

        uint64_t size;
        size_t brace;
        int lit = literal_marker(p, &size, &brace);
        if (lit < 0 || (lit > 0 && size > KW_FETCH_MAX_LITERAL)) {
            set_text(p, "literal too large", 17);
            p->result = KW_FETCH_ERR_LIMIT;
            break;
        }
        if (lit > 0) {
            p->lit_skip = size > KW_FETCH_MAX_HEADER;
            if (p->lit_skip) {
                /* Keep the response well-formed: an empty literal stands in. */
                p->len = brace;
                append(p, "{0}\r\n", 5);
                p->oversized = 1;
            }
            p->lit_remaining = size;
            if (size > 0)
                p->state = ST_LITERAL;
            p->seg_start = p->len;
            continue;
        }

        kw_fetch_result_t r = dispatch(p);
        p->len = 0;
        p->seg_start = 0;
        p->oversized = 0;
        if (p->cap > 4 * 1024 * 1024) { /* give back memory after a large block */
            p->cap = 16384;
            p->buf = g_realloc(p->buf, p->cap);
        }
        if (r != KW_FETCH_MORE) {
            p->result = r;
            break;
        }
    }
    if (consumed)
        *consumed = i;
    return p->result;
}
