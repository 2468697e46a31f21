/* test-sanitize.c — kw_sanitize_for_display(), the parser's sanitiser and
 * e-mail normalisation (core/sanitize.c). Table-driven; every output must be
 * valid UTF-8. */
#include <string.h>

#include <glib.h>

#include "keepwarm.h"
#include "sanitize.h"

typedef struct {
    const char *name;
    const char *in;
    ssize_t     len;    /* -1: NUL-terminated */
    size_t      max;    /* 0: no cap */
    const char *out;
} san_case_t;

static const san_case_t san_cases[] = {
    /* plain text is unchanged */
    { "plain", "Hello, world", -1, 0, "Hello, world" },
    /* UTF-8 text is unchanged */
    { "utf8", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x8e\x89", -1, 0, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x8e\x89" },
    /* terminal escape injection: ESC removed, the rest is harmless text */
    { "esc-csi", "a\x1b[31mred\x1b[0m", -1, 0, "a[31mred[0m" },
    /* OSC title-setting sequence with BEL */
    { "esc-osc", "x\x1b]0;pwned\x07y", -1, 0, "x]0;pwnedy" },
    /* C1 controls (U+0080-U+009F), e.g. CSI U+009B */
    { "c1", "a\xc2\x9b" "31mb\xc2\x80", -1, 0, "a31mb" },
    /* DEL */
    { "del", "a\x7f" "b", -1, 0, "ab" },
    /* bidi overrides and isolates (D5: "moc.lapyap") */
    { "bidi-override", "\xe2\x80\xae" "moc.lapyap", -1, 0, "moc.lapyap" },
    { "bidi-all", "a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad" "e\xe2\x81\xa6" "f\xe2\x81\xa7" "g\xe2\x81\xa8" "h\xe2\x81\xa9" "i\xe2\x80\x8e" "j\xe2\x80\x8f" "k\xd8\x9c" "l",
      -1, 0, "abcdefghijkl" },
    /* whitespace runs fold to one space; leading/trailing dropped */
    { "whitespace", "  a \t\r\n b\xc2\xa0\xc2\xa0" "c\xe2\x80\xa8" "d\xc2\x85" "e  ", -1, 0, "a b c d e" },
    /* invalid UTF-8: each bad byte becomes U+FFFD */
    { "invalid-utf8", "caf\xe9!", -1, 0, "caf\xef\xbf\xbd!" },
    { "truncated-seq", "ab\xe2\x82", -1, 0, "ab\xef\xbf\xbd\xef\xbf\xbd" },
    { "surrogate", "\xed\xa0\x80" "x", -1, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
    { "overlong", "\xc0\xaf", -1, 0, "\xef\xbf\xbd\xef\xbf\xbd" },
    /* embedded NUL with an explicit length: dropped, not a terminator */
    { "nul", "a\0b", 3, 0, "ab" },
    /* cap on a character boundary: "€" is 3 bytes */
    { "cap-boundary", "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", -1, 7, "\xe2\x82\xac\xe2\x82\xac" },
    /* cap never ends in a folded space */
    { "cap-space", "abc def", -1, 4, "abc" },
    /* all-control input gives "" */
    { "only-controls", "\x01\x02\x1b", -1, 0, "" },
    { "empty", "", -1, 0, "" },
};

static void test_san_case(gconstpointer data)
{
    const san_case_t *c = data;
    char *out = kw_sanitize_text(c->in, c->len, c->max);

    g_assert_true(g_utf8_validate(out, -1, NULL));
    g_assert_cmpstr(out, ==, c->out);
    if (c->max)
        g_assert_cmpuint(strlen(out), <=, c->max);
    if (c->len < 0 && c->max == 0) {
        /* the public wrapper and the in-place variant agree */
        char *pub = kw_sanitize_for_display(c->in);
        char *take = kw_sanitize_take(g_strdup(c->in), 0);
        g_assert_cmpstr(pub, ==, c->out);
        g_assert_cmpstr(take, ==, *c->out ? c->out : NULL);
        g_free(pub);
        g_free(take);
    }
    g_free(out);
}

static void test_null(void)
{
    g_assert_null(kw_sanitize_for_display(NULL));
    g_assert_null(kw_sanitize_take(NULL, 0));
    g_assert_null(kw_sanitize_text(NULL, -1, 0));
}

/* Random bytes: valid UTF-8 out, no control or bidi character survives. */
static void test_random(void)
{
    GRand *r = g_rand_new_with_seed(7);
    char buf[64];

    for (int i = 0; i < 20000; i++) {
        int n = g_rand_int_range(r, 0, sizeof buf);
        for (int k = 0; k < n; k++)
            buf[k] = (char) g_rand_int_range(r, 0, 256);
        char *out = kw_sanitize_text(buf, n, (size_t) g_rand_int_range(r, 0, 40));
        g_assert_true(g_utf8_validate(out, -1, NULL));
        for (const char *p = out; *p; p = g_utf8_next_char(p)) {
            gunichar c = g_utf8_get_char(p);
            g_assert_false(c < 0x20 || (c >= 0x7f && c <= 0x9f));
            g_assert_false(c >= 0x202a && c <= 0x202e);
            g_assert_false(c >= 0x2066 && c <= 0x2069);
        }
        g_assert_false(out[0] == ' ');
        g_free(out);
    }
    g_rand_free(r);
}

typedef struct {
    const char *name;
    const char *in;
    const char *out;    /* NULL: not an address */
} email_case_t;

static const email_case_t email_cases[] = {
    /* lower-case and trim */
    { "lower-trim", "  Jane.Doe@Example.COM ", "jane.doe@example.com" },
    /* angle brackets around the whole address */
    { "angle", "<a@x.org>", "a@x.org" },
    /* trailing dot of a fully-qualified domain */
    { "trailing-dot", "a@x.org.", "a@x.org" },
    /* IDN: UTF-8, upper case and punycode give one form (D8) */
    { "idn-utf8", "j@b\xc3\xbc" "cher.example", "j@b\xc3\xbc" "cher.example" },
    { "idn-upper", "J@B\xc3\x9c" "CHER.Example", "j@b\xc3\xbc" "cher.example" },
    { "idn-ace", "j@xn--bcher-kva.example", "j@b\xc3\xbc" "cher.example" },
    { "idn-ace-upper", "J@XN--BCHER-KVA.EXAMPLE", "j@b\xc3\xbc" "cher.example" },
    /* UTF-8 local part (EAI) is lower-cased too */
    { "eai-local", "J\xc3\x96RG@x.de", "j\xc3\xb6rg@x.de" },
    /* domain literal */
    { "literal", "a@[192.0.2.1]", "a@[192.0.2.1]" },
    /* quoted local part with an '@' inside: the domain is after the last '@' */
    { "quoted-local", "\"a@b\"@x.org", "\"a@b\"@x.org" },
    /* ---- what mail systems deliver to (RFC 5322 §3.4.1, obsolete §4.4) ---- */
    /* empty dot-atoms: Exchange / X.400 gateways make these from initials */
    { "obs-double-dot", "k..allen@enron.com", "k..allen@enron.com" },
    { "obs-double-dot-upper", "K..Allen@Enron.COM", "k..allen@enron.com" },
    { "obs-leading-dot", ".ward@enron.com", ".ward@enron.com" },
    { "obs-trailing-dot", "ward.@enron.com", "ward.@enron.com" },
    { "obs-many-dots", "a...b.@x.org", "a...b.@x.org" },
    { "obs-angle", "<s..shively@enron.com>", "s..shively@enron.com" },
    /* a quoted word says the same as its content: one key for both */
    { "quoted-plain", "\"john\"@x.org", "john@x.org" },
    { "quoted-obs", "\"k..allen\"@enron.com", "k..allen@enron.com" },
    { "quoted-words", "\"john\".doe@x.org", "john.doe@x.org" },
    /* quotes kept where the content needs them; escapes normalised */
    { "quoted-space", "\"John Doe\"@x.org", "\"john doe\"@x.org" },
    { "quoted-escapes", "\"a\\\"b\"@x.org", "\"a\\\"b\"@x.org" },
    { "quoted-specials", "\"a,b\"@x.org", "\"a,b\"@x.org" },
    /* source routing through a relay: % and ! are atext */
    { "route-percent", "user%host.example@relay.org", "user%host.example@relay.org" },
    { "route-bang", "host!user@relay.org", "host!user@relay.org" },
    /* other atext */
    { "atext-all", "a!#$%&'*+/=?^_`{|}~-z@x.org", "a!#$%&'*+/=?^_`{|}~-z@x.org" },
    { "plus-tag", "Jane+Orders@x.org", "jane+orders@x.org" },
    /* address literals, lower case like every key */
    { "literal-ipv6", "a@[IPv6:2001:DB8::1]", "a@[ipv6:2001:db8::1]" },
    { "literal-ipv6-lower", "a@[ipv6:2001:db8::1]", "a@[ipv6:2001:db8::1]" },
    /* a host without a dot (Lotus Notes' "@ENRON") */
    { "dotless-host", "jsmith@ENRON", "jsmith@enron" },
    /* not addresses */
    { "only-dots", "..@x.org", NULL },
    { "quoted-empty", "\"\"@x.org", NULL },
    { "quoted-unterminated", "\"abc@x.org", NULL },
    { "quoted-junk-after", "\"Jeff Smith\" <jsmith@austintx.com>@ENRON", NULL },
    { "quoted-mid-word", "a\"b\"@x.org", NULL },
    { "quoted-ctl", "\"a\tb\"@x.org", NULL },
    { "x400", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN", NULL },
    { "undisclosed", "undisclosed-recipients:;", NULL },
    { "bare-name", "Allen, Phillip K.", NULL },
    { "specials-local", "a,b@x.org", NULL },
    { "paren-local", "a(b)@x.org", NULL },
    { "literal-unclosed", "a@[192.0.2.1", NULL },
    { "literal-space", "a@[192.0.2. 1]", NULL },
    { "literal-at", "a@[b@c]", NULL },
    { "idn-bad-label", "a@b\xc3\xbc\xe2\x80\xae.example", NULL },
    /* not addresses */
    { "no-at", "alice", NULL },
    { "no-local", "@x.org", NULL },
    { "no-domain", "a@", NULL },
    { "double-at", "a@b@example.org", NULL },
    { "space-local", "a b@x.org", NULL },
    { "space-domain", "a@x .org", NULL },
    { "ctl", "a\x01@x.org", NULL },
    { "bidi", "a@x\xe2\x80\xae.org", NULL },
    { "fffd", "a@b\xef\xbf\xbd" "c.org", NULL },
    { "invalid-utf8", "a@b\xe9.org", NULL },
    { "bad-domain-char", "a@x,y.org", NULL },
    { "empty-label", "a@x..org", NULL },
    { "empty", "", NULL },
};

static void test_email_case(gconstpointer data)
{
    const email_case_t *c = data;
    char *out = kw_normalize_email(c->in, -1);

    g_assert_cmpstr(out, ==, c->out);
    if (out)
        g_assert_true(g_utf8_validate(out, -1, NULL));
    g_free(out);
}

/* kw_org_for_address (public; wraps kw_org_key). */
static void test_org_for_address(void)
{
    static const struct { const char *in, *out; } t[] = {
        { "jane@sub.acme.co.uk", "acme.co.uk" },        /* the keepwarm.h example */
        { "Jane@Sales.ACME.example.com", "example.com" },
        { "joe@gmail.com", "joe@gmail.com" },            /* freemail: the address itself */
        { "Joe@GMX.de", "joe@gmx.de" },
        { "x@yahoo.co.uk", "x@yahoo.co.uk" },
        { "acme.co.uk", "acme.co.uk" },                  /* a bare domain */
        { "www.acme.co.uk", "acme.co.uk" },
        { "not an address", NULL },
        { "", NULL },
    };

    g_assert_null(kw_org_for_address(NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        char *o = kw_org_for_address(t[i].in);
        g_assert_cmpstr(o, ==, t[i].out);
        kw_free(o);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(san_cases); i++) {
        char *p = g_strdup_printf("/sanitize/display/%s", san_cases[i].name);
        g_test_add_data_func(p, &san_cases[i], test_san_case);
        g_free(p);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(email_cases); i++) {
        char *p = g_strdup_printf("/sanitize/email/%s", email_cases[i].name);
        g_test_add_data_func(p, &email_cases[i], test_email_case);
        g_free(p);
    }
    g_test_add_func("/sanitize/null", test_null);
    g_test_add_func("/sanitize/random", test_random);
    g_test_add_func("/sanitize/org-for-address", test_org_for_address);
    return g_test_run();
}
