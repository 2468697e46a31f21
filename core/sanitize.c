/* sanitize.c — display sanitiser, e-mail normalisation, kw_org_for_address.
 *
 * Everything a sender chose (names, subjects) passes through here before it
 * is stored or shown: invalid UTF-8 is replaced, control characters and
 * bidirectional overrides (terminal escape injection, "moc.lapyap" spoofing,
 * reliability.md D5) are removed and whitespace is folded. */
#include <string.h>

#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "sanitize.h"
#include "classify.h"

const unsigned char kw_atext_table[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['/'] = 1, ['='] = 1, ['?'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['{'] = 1, ['|'] = 1,
    ['}'] = 1, ['~'] = 1, ['-'] = 1,
};

/* 1 for code points that are removed outright. */
static inline int drop_char(gunichar c)
{
    if (c < 0x20 || c == 0x7f)          /* C0 (whitespace handled before) */
        return 1;
    if (c >= 0x80 && c <= 0x9f)         /* C1 (NEL handled before) */
        return 1;
    if (c == 0x061c || c == 0x200e || c == 0x200f)      /* ALM, LRM, RLM */
        return 1;
    if (c >= 0x202a && c <= 0x202e)     /* LRE RLE PDF LRO RLO */
        return 1;
    if (c >= 0x2066 && c <= 0x2069)     /* LRI RLI FSI PDI */
        return 1;
    return 0;
}

static inline int space_char(gunichar c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85)
        return 1;
    if (c < 0x80)
        return 0;
    return c == 0x2028 || c == 0x2029 || g_unichar_isspace(c);
}

/* The core loop. Writes into out (which may alias s when s is valid UTF-8:
 * every character written is never longer than the bytes consumed for it).
 * Returns the number of bytes written (no NUL added). */
static size_t sanitize_into(const char *s, size_t len, char *out, size_t max_bytes)
{
    const unsigned char *p = (const unsigned char *) s;
    const unsigned char *end = p + len;
    size_t o = 0;
    int pending_space = 0;

    if (max_bytes == 0)
        max_bytes = (size_t) -1;

    while (p < end) {
        unsigned char b = *p;
        const unsigned char *cp = p;
        size_t clen;
        gunichar c;

        if (b >= 0x21 && b < 0x7f) {    /* printable ASCII, the common case */
            c = b;
            clen = 1;
        } else if (b < 0x80) {
            p++;
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f')
                pending_space = 1;
            continue;                   /* other C0, DEL, NUL: dropped */
        } else {
            c = g_utf8_get_char_validated((const char *) p, (gssize) (end - p));
            if (c == (gunichar) -1 || c == (gunichar) -2) {
                /* invalid or truncated sequence: U+FFFD for this byte */
                static const unsigned char fffd[3] = { 0xef, 0xbf, 0xbd };
                p++;
                if (pending_space && o > 0) {
                    if (o + 1 + 3 > max_bytes)
                        break;
                    out[o++] = ' ';
                }
                pending_space = 0;
                if (o + 3 > max_bytes)
                    break;
                memcpy(out + o, fffd, 3);
                o += 3;
                continue;
            }
            clen = (size_t) (g_utf8_next_char(p) - (const char *) p);
            if (space_char(c)) {
                p += clen;
                pending_space = 1;
                continue;
            }
            if (drop_char(c)) {
                p += clen;
                continue;
            }
        }
        if (pending_space && o > 0) {
            if (o + 1 + clen > max_bytes)
                break;
            out[o++] = ' ';
        }
        pending_space = 0;
        if (o + clen > max_bytes)
            break;
        if (clen == 1)
            out[o] = (char) b;
        else
            memmove(out + o, cp, clen);
        o += clen;
        p += clen;
    }
    return o;
}

char *kw_sanitize_text(const char *s, ssize_t len, size_t max_bytes)
{
    size_t n, cap, o;
    char *out;

    if (s == NULL)
        return NULL;
    n = len < 0 ? strlen(s) : (size_t) len;
    /* worst case: every byte invalid -> 3 bytes of U+FFFD */
    cap = n * 3;
    if (max_bytes > 0 && cap > max_bytes)
        cap = max_bytes;
    out = g_malloc(cap + 1);
    o = sanitize_into(s, n, out, max_bytes);
    out[o] = '\0';
    return out;
}

char *kw_sanitize_take(char *s, size_t max_bytes)
{
    size_t n, o;
    const char *bad;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    if (!g_utf8_validate(s, (gssize) n, &bad)) {
        char *t = kw_sanitize_text(s, (ssize_t) n, max_bytes);
        g_free(s);
        s = t;
        o = strlen(s);
    } else {
        o = sanitize_into(s, n, s, max_bytes);
        s[o] = '\0';
    }
    if (o == 0) {
        g_free(s);
        return NULL;
    }
    return s;
}

KW_PUBLIC char *kw_sanitize_for_display(const char *s)
{
    return kw_sanitize_text(s, -1, 0);
}

/* ------------------------------------------------------------------------ */
/* e-mail normalisation                                                      */

/* Characters never valid in a domain name we accept (besides controls,
 * whitespace and non-ASCII handled separately). */
static int bad_domain_ascii(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return 0;
    if (c >= '0' && c <= '9')
        return 0;
    return !(c == '-' || c == '.' || c == '_');
}

/* 1 when the UTF-8 text contains a character an address must not have. */
static int has_forbidden(const char *s, size_t n, int allow_space)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + n;

    while (p < end) {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7f)
                return 1;
            if (*p == ' ' && !allow_space)
                return 1;
            p++;
            continue;
        }
        gunichar c = g_utf8_get_char((const char *) p);
        if (c == 0xfffd || drop_char(c) || space_char(c))
            return 1;
        p = (const unsigned char *) g_utf8_next_char(p);
    }
    return 0;
}

/* An address literal ("[192.0.2.1]", "[IPv6:2001:DB8::1]"): dtext only
 * (RFC 5321 §4.1.3), and no '@' (legal, but it would make the domain of
 * the address ambiguous). Canonical form: lower case, like every
 * normalised address ("[ipv6:2001:db8::1]"). */
static char *normalize_literal(const char *d, size_t n)
{
    if (n < 3 || d[0] != '[' || d[n - 1] != ']')
        return NULL;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char) d[i];
        if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\' || c == '@')
            return NULL;
    }
    return g_ascii_strdown(d, (gssize) n);
}

static char *normalize_domain(const char *d, size_t n)
{
    char *dom, *out;
    int ascii = 1;
    size_t i;

    if (n > 0 && d[0] == '[')           /* address literal: [192.0.2.1] */
        return normalize_literal(d, n);
    while (n > 0 && d[n - 1] == '.')
        n--;
    if (n == 0 || d[0] == '.')
        return NULL;
    dom = g_malloc(n + 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) d[i];
        if (c >= 0x80) {
            ascii = 0;
            dom[i] = (char) c;
            continue;
        }
        c = (unsigned char) g_ascii_tolower(c);
        if (bad_domain_ascii(c) || (c == '.' && i > 0 && dom[i - 1] == '.')) {
            g_free(dom);
            return NULL;
        }
        dom[i] = (char) c;
    }
    dom[n] = '\0';
    if (ascii && strstr(dom, "xn--") == NULL)
        return dom;
    if (!ascii && has_forbidden(dom, n, 0)) {
        g_free(dom);
        return NULL;
    }
    /* IDN: nameprep + punycode, then back to the canonical UTF-8 form, so
     * that "bücher.example", "BÜCHER.example" and "xn--bcher-kva.example"
     * give one key. (g_hostname_to_unicode alone keeps ASCII upper case in
     * decoded labels, hence the round trip on a lower-cased input.) */
    {
        char *ace = g_hostname_to_ascii(dom);
        out = ace ? g_hostname_to_unicode(ace) : NULL;
        g_free(ace);
    }
    g_free(dom);
    if (out != NULL && !g_utf8_validate(out, -1, NULL)) {
        g_free(out);
        out = NULL;
    }
    return out;
}

/* The local part start[0..at) -> its canonical form in *out (g_malloc'd).
 *
 * Accepted, as mail systems deliver to them (RFC 5322 §3.4.1 and the
 * obsolete syntax of §4.4): words separated by dots, where a word is an
 * atom (atext, or UTF-8 for internationalised addresses) or a quoted
 * string, and where words may be empty — `k..allen`, `.ward`, `ward.` are
 * what Exchange and X.400 gateways make of names with initials. `%` and `!`
 * (source routing) are atext. A quoted string says the same as its content
 * (RFC 5321 §4.1.2: `"john"` is `john`), so quotes are kept only when the
 * content needs them, with `"` and `\` escaped. Lower case (mail systems
 * treat local parts case-insensitively in practice). */
static int normalize_local(const char *start, const char *at, char **out)
{
    size_t n = (size_t) (at - start);
    char *content = g_malloc(n + 1);
    size_t o = 0;
    int need_quote = 0, has_word = 0, ascii = 1;
    const char *p = start;

    while (p < at) {
        unsigned char c = (unsigned char) *p;
        if (c == '"') {
            /* a quoted word: it starts a word and ends one */
            if (p != start && p[-1] != '.')
                goto bad;
            for (p++; p < at && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < at)
                    p++;
                c = (unsigned char) *p;
                if ((c < 0x20 && c != ' ') || c == 0x7f)
                    goto bad;
                if (c >= 0x80)
                    ascii = 0;
                else if (c != '.' && !kw_is_atext(c))
                    need_quote = 1;
                content[o++] = (char) c;
                has_word = 1;
            }
            if (p >= at)
                goto bad;               /* unterminated */
            p++;
            if (p < at && *p != '.')
                goto bad;               /* `"a"b` is no word */
            continue;
        }
        if (c >= 0x80)
            ascii = 0;
        else if (c != '.' && !kw_is_atext(c))
            goto bad;                   /* space, specials, controls */
        if (c != '.')
            has_word = 1;
        content[o++] = (char) c;
        p++;
    }
    if (!has_word)
        goto bad;
    content[o] = '\0';
    if (!ascii) {
        char *low;
        if (has_forbidden(content, o, 1))
            goto bad;
        low = g_utf8_strdown(content, (gssize) o);
        g_free(content);
        content = low;
    } else {
        for (size_t i = 0; i < o; i++)
            content[i] = g_ascii_tolower(content[i]);
    }
    if (need_quote) {
        GString *q = g_string_sized_new(o + 4);
        g_string_append_c(q, '"');
        for (const char *c2 = content; *c2; c2++) {
            if (*c2 == '"' || *c2 == '\\')
                g_string_append_c(q, '\\');
            g_string_append_c(q, *c2);
        }
        g_string_append_c(q, '"');
        g_free(content);
        content = g_string_free(q, FALSE);
    }
    *out = content;
    return 0;
bad:
    g_free(content);
    return -1;
}

/* The '@' that ends the local part: the first one outside a quoted string
 * (a quoted local part may hold '@'). NULL when there is none. */
static const char *local_part_end(const char *start, const char *end)
{
    int q = 0;

    for (const char *p = start; p < end; p++) {
        if (q && *p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            q = !q;
        else if (!q && *p == '@')
            return p;
    }
    return NULL;
}

KW_PUBLIC char *kw_normalize_email(const char *s, ssize_t len)
{
    size_t n = len < 0 ? (s ? strlen(s) : 0) : (size_t) len;
    const char *at, *start, *end;
    char *local = NULL, *domain, *res;

    if (s == NULL)
        return NULL;
    start = s;
    end = s + n;
    while (start < end && g_ascii_isspace(*start))
        start++;
    while (end > start && g_ascii_isspace(end[-1]))
        end--;
    if (start < end && *start == '<' && end[-1] == '>') {
        start++;
        end--;
    }
    n = (size_t) (end - start);
    if (n < 3 || n > 512)
        return NULL;
    /* fast path: plain ASCII dot-atom@domain (any dots in the local part),
     * lower-cased into one allocation */
    {
        char *o = g_malloc(n + 1), *w = o;
        const char *p = start, *dstart = NULL;
        int ok = 1, word = 0;
        for (; ok && p < end; p++) {
            unsigned char c = (unsigned char) *p;
            if (c == '@') {
                if (dstart || !word)
                    ok = 0;
                *w++ = '@';
                dstart = w;
            } else if (dstart) {
                c = (unsigned char) g_ascii_tolower(c);
                if (c >= 0x80 || bad_domain_ascii(c) || (c == '.' && (w == dstart || w[-1] == '.')))
                    ok = 0;
                *w++ = (char) c;
            } else {
                if (c >= 0x80 || (c != '.' && !kw_is_atext(c)))
                    ok = 0;
                word |= c != '.';
                *w++ = g_ascii_tolower(c);
            }
        }
        if (ok && dstart) {
            while (w > dstart && w[-1] == '.')
                w--;
            *w = '\0';
            if (w > dstart && strstr(dstart, "xn--") == NULL)
                return o;
        }
        g_free(o);
    }
    if (!g_utf8_validate(start, (gssize) n, NULL))
        return NULL;
    at = local_part_end(start, end);
    if (at == NULL || at == start || at + 1 == end)
        return NULL;
    if (normalize_local(start, at, &local) != 0)
        return NULL;
    domain = normalize_domain(at + 1, (size_t) (end - at - 1));
    if (domain == NULL) {
        g_free(local);
        return NULL;
    }
    res = g_strconcat(local, "@", domain, NULL);
    g_free(local);
    g_free(domain);
    return res;
}

char *kw_normalize_domain(const char *s)
{
    char *t, *dom = NULL;

    if (s == NULL)
        return NULL;
    t = g_strstrip(g_strdup(s));
    if (*t != '[' && strchr(t, '@') == NULL && g_utf8_validate(t, -1, NULL))
        dom = normalize_domain(t, strlen(t));
    g_free(t);
    return dom;
}

KW_PUBLIC char *kw_org_for_address(const char *address)
{
    char *norm, *org;

    if (address == NULL)
        return NULL;
    if (strchr(address, '@') == NULL) {
        /* a bare domain: its registrable domain */
        char *dom = kw_normalize_domain(address);
        if (dom == NULL)
            return NULL;
        org = kw_registrable_domain(dom);
        g_free(dom);
        return org;
    }
    norm = kw_normalize_email(address, -1);
    if (norm == NULL)
        return NULL;
    org = kw_org_key(norm);
    g_free(norm);
    return org;
}
