/* test-header-parse.c — the GMime adapter (core/header_parse.c).
 *
 * Table-driven: every row D1–D24 of notes/reliability.md §D has at least one
 * case, plus real-world headers. Every string the parser produces is checked
 * with g_utf8_validate. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "header_parse.h"

#define NOW      INT64_C(1719792000)   /* 2024-07-01T00:00:00Z */
#define INTERNAL INT64_C(1717100000)   /* server INTERNALDATE used in tests */
#define NOCHECK  INT64_MIN

static gboolean is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return FALSE;
    for (int i = 0; i < 32; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* Invariants that hold for every parse, whatever the input. */
static void check_invariants(const kw_parsed_msg_t *m)
{
    unsigned recip = 0;

    if (m->message_id)
        g_assert_true(g_utf8_validate(m->message_id, -1, NULL));
    if (m->in_reply_to)
        g_assert_true(g_utf8_validate(m->in_reply_to, -1, NULL));
    if (m->subject) {
        g_assert_true(g_utf8_validate(m->subject, -1, NULL));
        g_assert_cmpuint(strlen(m->subject), <=, KW_MAX_FIELD_BYTES);
        g_assert_cmpuint(strlen(m->subject), >, 0);
    }
    for (size_t i = 0; i < m->n_addrs; i++) {
        const kw_parsed_addr_t *a = &m->addrs[i];
        g_assert_nonnull(a->email);
        g_assert_true(g_utf8_validate(a->email, -1, NULL));
        g_assert_nonnull(strchr(a->email, '@'));
        for (const char *p = a->email; *p; p++)
            g_assert_false(g_ascii_isupper(*p));
        if (a->name) {
            g_assert_true(g_utf8_validate(a->name, -1, NULL));
            g_assert_cmpuint(strlen(a->name), <=, KW_MAX_FIELD_BYTES);
            for (const char *p = a->name; *p; p++)
                g_assert_cmpint((unsigned char) *p, >=, 0x20);
        }
        if (a->role >= KW_ROLE_TO)
            recip++;
        if (i > 0)  /* From first, then Sender, Reply-To, To, Cc, Bcc */
            g_assert_cmpint(m->addrs[i - 1].role, <=, a->role);
    }
    g_assert_cmpuint(recip, <=, KW_MAX_RECIPIENTS);
    g_assert_cmpuint(recip, <=, m->n_recipients);
    g_assert_true(is_hex32(m->identity_key));
    g_assert_true(is_hex32(m->fingerprint));
}

/* "F a@x.org "Name", T b@y.org" — the addresses in a compact form. */
static char *addrs_string(const kw_parsed_msg_t *m)
{
    static const char roles[] = "?FSRTCB";
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < m->n_addrs; i++) {
        if (i)
            g_string_append(s, ", ");
        g_string_append_printf(s, "%c %s", roles[m->addrs[i].role], m->addrs[i].email);
        if (m->addrs[i].name)
            g_string_append_printf(s, " \"%s\"", m->addrs[i].name);
    }
    return g_string_free(s, FALSE);
}

typedef struct {
    const char *name;       /* test path component */
    const char *block;
    size_t      len;        /* 0: strlen(block) */
    int         ret;        /* expected return */
    const char *addrs;      /* NULL: don't check */
    const char *message_id; /* "-": don't check; NULL: expect NULL */
    const char *subject;    /* "-": don't check; NULL: expect NULL */
    int64_t     date;       /* NOCHECK: don't check */
    unsigned    flags_set;  /* all of these must be set */
    unsigned    flags_clear;/* none of these may be set */
    int         n_recipients; /* -1: don't check */
    const char *in_reply_to;  /* "-": don't check */
} parse_case_t;

#define DONT "-"
#define FL_NOISE (KW_MSG_LIST | KW_MSG_BULK | KW_MSG_AUTO | KW_MSG_AUTOREPLY | KW_MSG_BOUNCE)

static const parse_case_t cases[] = {
    /* ---- reliability.md table D ------------------------------------------------ */
    /* D1: unterminated quoted name: accepted (LOOSE repair), flagged */
    { "D1-unterminated-quote", "From: \"Unterminated <a@example.org>\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n\r\n",
      0, 0, "F a@example.org \"Unterminated\"", DONT, DONT, NOCHECK, KW_MSG_ADDR_UNRELIABLE, 0, -1, DONT },
    /* D1 variant: missing closing '>' */
    { "D1-unterminated-angle", "From: Foo <a@example.org\r\n\r\n",
      0, 0, "F a@example.org \"Foo\"", DONT, DONT, NOCHECK, KW_MSG_ADDR_UNRELIABLE, 0, -1, DONT },
    /* D2: a@b@example.org must not become contact a@b */
    { "D2-double-at", "From: a@b@example.org\r\nTo: me@example.com\r\n\r\n",
      0, 0, "T me@example.com", DONT, DONT, NOCHECK, KW_MSG_ADDR_UNRELIABLE, 0, 1, DONT },
    /* D2 inside a list: the good neighbours survive */
    { "D2-double-at-in-list", "From: x@y.org\r\nTo: p@y.org, a@b@example.org, c@d.org\r\n\r\n",
      0, 0, "F x@y.org, T p@y.org, T c@d.org", DONT, DONT, NOCHECK, KW_MSG_ADDR_UNRELIABLE, 0, 2, DONT },
    /* D2 inside angle brackets */
    { "D2-double-at-angle", "From: Name <a@b@example.org>\r\n\r\n",
      0, 0, "", DONT, DONT, NOCHECK, KW_MSG_ADDR_UNRELIABLE, 0, 0, DONT },
    /* D3: no domain -> no contact */
    { "D3-no-domain", "From: alice\r\nTo: bob, carol@x.org\r\n\r\n",
      0, 0, "T carol@x.org", DONT, DONT, NOCHECK, 0, 0, 1, DONT },
    /* D4: a name that looks like another address is dropped; the identity is the address */
    { "D4-name-is-other-address", "From: \"bank@paypal.com\" <attacker@evil.example>\r\n\r\n",
      0, 0, "F attacker@evil.example", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D4 variant: a name restating the same address carries nothing */
    { "D4-name-is-same-address", "From: \"Jane@Acme.com\" <jane@acme.com>\r\n\r\n",
      0, 0, "F jane@acme.com", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D5: U+202E RIGHT-TO-LEFT OVERRIDE in an encoded name is removed */
    { "D5-bidi-override-name", "From: =?utf-8?q?=E2=80=AEmoc.lapyap?= <x@evil.example>\r\n\r\n",
      0, 0, "F x@evil.example \"moc.lapyap\"", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D5: ESC / C1 in names and subjects (terminal escape injection) */
    { "D5-escape-sequences", "From: =?utf-8?q?Eve=1B=5D0=3Bowned=07=C2=9B?= <eve@x.org>\r\n"
      "Subject: =?utf-8?q?hi=1B=5B31mred=E2=81=A6?=\r\n\r\n",
      0, 0, "F eve@x.org \"Eve]0;owned\"", DONT, "hi[31mred", NOCHECK, 0, 0, -1, DONT },
    /* D6: groups flattened */
    { "D6-group", "From: a@q.org\r\nTo: Team: a@x.org, b@y.org;, c@z.org\r\n\r\n",
      0, 0, "F a@q.org, T a@x.org, T b@y.org, T c@z.org", DONT, DONT, NOCHECK, 0, 0, 3, DONT },
    /* D6: undisclosed-recipients:; is an empty group -> 0 contacts */
    { "D6-undisclosed", "From: a@q.org\r\nTo: undisclosed-recipients:;\r\n\r\n",
      0, 0, "F a@q.org", DONT, DONT, NOCHECK, 0, KW_MSG_ADDR_UNRELIABLE, 0, DONT },
    /* D7: comments and an obsolete route */
    { "D7-route-comments", "From: (comment) <@route.example:alice@example.org> (more)\r\n\r\n",
      0, 0, "F alice@example.org", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D8: raw UTF-8 IDN, punycode and upper case all give one key */
    { "D8-idn-utf8", "From: j@b\xc3\xbc" "cher.example\r\nTo: J@XN--BCHER-KVA.Example\r\nCc: J@B\xc3\x9c" "CHER.EXAMPLE.\r\n\r\n",
      0, 0, "F j@b\xc3\xbc" "cher.example, T j@b\xc3\xbc" "cher.example, C j@b\xc3\xbc" "cher.example",
      DONT, DONT, NOCHECK, 0, 0, 2, DONT },
    /* D9: unknown charset: keep the raw text instead of silently dropping bytes */
    { "D9-unknown-charset", "Subject: =?x-unknown?q?abc=E9?=\r\n\r\n",
      0, 0, NULL, DONT, "=?x-unknown?q?abc=E9?=", NOCHECK, 0, 0, -1, DONT },
    /* D10: broken base64: stored text is whatever GMime made of it, but valid UTF-8 */
    { "D10-bad-base64", "Subject: =?utf-8?b?!!!not*base64?=\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D11: invalid UTF-8 inside a q-encoded word */
    { "D11-bad-utf8-qp", "Subject: =?utf-8?q?=FF=FE=C3?=\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D12: raw Latin-1 subject and name -> windows-1252 fallback */
    { "D12-raw-latin1", "From: J\xf6rg <j@x.de>\r\nSubject: caf\xe9\r\n\r\n",
      0, 0, "F j@x.de \"J\xc3\xb6rg\"", DONT, "caf\xc3\xa9", NOCHECK, 0, 0, -1, DONT },
    /* D12: raw UTF-8 subject is kept as is */
    { "D12-raw-utf8", "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\r\n\r\n",
      0, 0, NULL, DONT, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln", NOCHECK, 0, 0, -1, DONT },
    /* D13: no Date -> INTERNALDATE, flagged */
    { "D13-no-date", "From: a@x.org\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D14: 1970 is outside the sanity window */
    { "D14-epoch", "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: a@x.org\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D14: 2099 is in the future */
    { "D14-future", "Date: Thu, 01 Jan 2099 10:00:00 +0000\r\nFrom: a@x.org\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D14: one day in the future is still accepted (clock skew) */
    { "D14-skew-ok", "Date: Tue, 02 Jul 2024 00:00:00 +0000\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOW + 86400, 0, KW_MSG_DATE_FALLBACK, -1, DONT },
    /* D14: three days ahead is not */
    { "D14-three-days-ahead", "Date: Thu, 04 Jul 2024 00:00:00 +0000\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D14: 1989-12-31 is before the window */
    { "D14-1989", "Date: Sun, 31 Dec 1989 23:00:00 +0000\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D15: no zone is read as UTC */
    { "D15-no-zone", "Date: 1 Jan 2024 10:00:00\r\n\r\n",
      0, 0, NULL, DONT, DONT, 1704103200, 0, KW_MSG_DATE_FALLBACK, -1, DONT },
    /* D16: two-digit year and a named zone */
    { "D16-two-digit-year", "Date: 1 Jan 99 10:00 EST\r\n\r\n",
      0, 0, NULL, DONT, DONT, 915202800, 0, KW_MSG_DATE_FALLBACK, -1, DONT },
    /* D16: two-digit year 24 -> 2024 */
    { "D16-two-digit-year-24", "Date: 1 Jan 24 10:00 +0100\r\n\r\n",
      0, 0, NULL, DONT, DONT, 1704099600, 0, KW_MSG_DATE_FALLBACK, -1, DONT },
    /* D17: unreadable dates -> INTERNALDATE */
    { "D17-yesterday", "Date: yesterday\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    { "D17-out-of-range", "Date: 32 Feb 2024 25:61:61 +9999\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    { "D17-year-10000", "Date: 1 Jan 10000 10:00 +0000\r\n\r\n",
      0, 0, NULL, DONT, DONT, INTERNAL, KW_MSG_DATE_FALLBACK, 0, -1, DONT },
    /* D18: duplicate From/Date/Message-ID: the first wins, flagged */
    { "D18-duplicates", "From: first@x.org\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <one@x.org>\r\n"
      "From: second@evil.example\r\nDate: Tue, 4 Jun 2024 10:00:00 +0000\r\nMessage-ID: <two@evil.example>\r\n\r\n",
      0, 0, "F first@x.org", "one@x.org", DONT, 1717408800, KW_MSG_CONFLICTING, 0, -1, DONT },
    /* D18: an identical repeated header is not a conflict */
    { "D18-identical-repeat", "Message-ID: <one@x.org>\r\nMessage-ID: <one@x.org>\r\n\r\n",
      0, 0, NULL, "one@x.org", DONT, NOCHECK, 0, KW_MSG_CONFLICTING, -1, DONT },
    /* D19: not an id -> NULL */
    { "D19-not-an-id", "Message-ID: not an id\r\n\r\n",
      0, 0, NULL, NULL, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D19: two ids -> the first */
    { "D19-two-ids", "Message-ID: <a@b> <c@d>\r\nIn-Reply-To: <p@q> <r@s>\r\n\r\n",
      0, 0, NULL, "a@b", DONT, NOCHECK, 0, 0, -1, "p@q" },
    /* D19: iCloud-style quoted local part kept as GMime reads it; case kept */
    { "D19-quoted-id", "Message-ID: <\"392889836.11\"@Host>\r\n\r\n",
      0, 0, NULL, "\"392889836.11\"@Host", DONT, NOCHECK, 0, 0, -1, DONT },
    /* D19: empty <> -> NULL */
    { "D19-empty-id", "Message-ID: <>\r\n\r\n",
      0, 0, NULL, NULL, DONT, NOCHECK, 0, 0, -1, DONT },
    /* D20: a garbage line is skipped, later headers still parsed */
    { "D20-garbage-line", "From: a@x.org\r\nthis is not a header\r\nSubject: still here\r\n\r\n",
      0, 0, "F a@x.org", DONT, "still here", NOCHECK, 0, 0, -1, DONT },
    /* D21: bare LF and folded lines made only of whitespace */
    { "D21-bare-lf-folding", "From: Jane\n \n\t Doe <jane@x.org>\nSubject: a\n   \n b\nDate: Mon, 3 Jun 2024\n 10:00:00 +0000\n\n",
      0, 0, "F jane@x.org \"Jane Doe\"", DONT, "a b", 1717408800, 0, 0, -1, DONT },
    /* D23: From: followed by 99,999 ':' is built at run time (test_hostile) */
    /* D24: NUL inside Message-ID: never truncated into "abc" (see test_nul) */

    /* ---- real-world headers -------------------------------------------------- */
    /* Outlook writes "Last, First" unquoted */
    { "outlook-last-first", "From: Doe, John <John.Doe@Example.COM>\r\n\r\n",
      0, 0, "F john.doe@example.com \"Doe, John\"", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* quoted names with commas, then a bare address */
    { "quoted-comma", "To: \"Doe, John\" <j@x.org>, k@y.org, \"M\xc3\xbcller, Eva\" <eva@z.de>\r\n\r\n",
      0, 0, "T j@x.org \"Doe, John\", T k@y.org, T eva@z.de \"M\xc3\xbcller, Eva\"", DONT, DONT, NOCHECK, 0, 0, 3, DONT },
    /* RFC 2047 names: ISO-8859-1 Q and UTF-8 B; the space between two
     * encoded words is not text (RFC 2047 §6.2), hence the "_" */
    { "rfc2047-names", "From: =?iso-8859-1?q?J=F6rg_?= =?utf-8?b?U2NobcO2bGxlcg==?= <j@x.de>\r\n\r\n",
      0, 0, "F j@x.de \"J\xc3\xb6rg Schm\xc3\xb6ller\"", DONT, DONT, NOCHECK, 0, 0, -1, DONT },
    /* missing From, only Sender */
    { "only-sender", "Sender: list-owner@lists.example\r\nTo: me@x.org\r\nSubject: hi\r\n\r\n",
      0, 0, "S list-owner@lists.example, T me@x.org", DONT, "hi", NOCHECK, 0, 0, 1, DONT },
    /* field names are case-insensitive; obsolete space before the colon */
    { "case-insensitive-names", "FROM: a@x.org\r\nsUbJeCt : Hello\r\ncc: b@y.org\r\n\r\n",
      0, 0, "F a@x.org, C b@y.org", DONT, "Hello", NOCHECK, 0, 0, 1, DONT },
    /* To twice: merged; one address twice in To kept once; To and Cc both kept */
    { "recipient-merge-dedupe", "To: a@x.org, A@X.org\r\nTo: b@y.org\r\nCc: a@x.org\r\n\r\n",
      0, 0, "T a@x.org, T b@y.org, C a@x.org", DONT, DONT, NOCHECK, 0, 0, 3, DONT },
    /* address order of roles regardless of header order */
    { "role-order", "Bcc: z@z.org\r\nCc: c@c.org\r\nTo: t@t.org\r\nReply-To: r@r.org\r\nSender: s@s.org\r\nFrom: f@f.org\r\n\r\n",
      0, 0, "F f@f.org, S s@s.org, R r@r.org, T t@t.org, C c@c.org, B z@z.org", DONT, DONT, NOCHECK, 0, 0, 3, DONT },
    /* flags: mailing list */
    { "flag-list-id", "List-Id: <dev.lists.example>\r\nFrom: a@x.org\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_LIST, KW_MSG_BULK, -1, DONT },
    { "flag-list-unsubscribe", "List-Unsubscribe: <mailto:u@x.org>\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_LIST, 0, -1, DONT },
    /* flags: Precedence */
    { "flag-precedence-bulk", "Precedence: Bulk\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BULK, 0, -1, DONT },
    { "flag-precedence-junk", "Precedence: junk\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BULK, 0, -1, DONT },
    { "flag-precedence-first-class", "Precedence: first-class\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, 0, KW_MSG_BULK, -1, DONT },
    /* flags: Auto-Submitted */
    { "flag-auto-generated", "Auto-Submitted: auto-generated\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTO, KW_MSG_AUTOREPLY, -1, DONT },
    { "flag-auto-replied", "Auto-Submitted: Auto-Replied (vacation)\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTO | KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "flag-auto-submitted-no", "Auto-Submitted: no\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, 0, KW_MSG_AUTO, -1, DONT },
    { "flag-xars", "X-Auto-Response-Suppress: All\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTO_SUPPRESS, 0, -1, DONT },
    /* flags: bounces */
    { "flag-return-path-empty", "Return-Path: < >\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BOUNCE, 0, -1, DONT },
    { "flag-return-path-normal", "Return-Path: <a@x.org>\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, 0, KW_MSG_BOUNCE, -1, DONT },
    { "flag-mailer-daemon", "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BOUNCE, 0, -1, DONT },
    { "flag-postmaster", "From: postmaster@mx.example\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BOUNCE, 0, -1, DONT },
    { "flag-dsn-content-type", "Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=\"x\"\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_BOUNCE, 0, -1, DONT },
    { "flag-mdn-content-type", "Content-Type: multipart/report; report-type=disposition-notification\r\n\r\n",
      0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTO, KW_MSG_BOUNCE, -1, DONT },
    /* out-of-office subjects, several languages, case-insensitive prefix */
    { "ooo-en", "Subject: Out of Office: back Monday\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-en-automatic", "Subject: Automatic reply: Quote 42\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-auto-colon", "Subject: AUTO: Jane is away\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-autoreply", "Subject: Autoreply\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-de", "Subject: =?utf-8?q?Abwesenheitsnotiz=3A_Angebot?=\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-de-2", "Subject: automatische Antwort: Rechnung\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-fr", "Subject: =?iso-8859-1?q?R=C9PONSE_AUTOMATIQUE=3A_devis?=\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-fr-absence", "Subject: Absence du bureau\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    { "ooo-es", "Subject: Respuesta autom\xc3\xa1tica: pedido\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, KW_MSG_AUTOREPLY, 0, -1, DONT },
    /* a human replying about an auto-reply is not one */
    { "ooo-not-prefix", "Subject: Re: Out of Office\r\n\r\n", 0, 0, NULL, DONT, DONT, NOCHECK, 0, KW_MSG_AUTOREPLY, -1, DONT },
    /* an ordinary business message: no noise flags at all */
    { "plain-business", "From: \"Jane Roe\" <jane@acme.example>\r\nTo: me@mine.example\r\nDate: Mon, 3 Jun 2024 10:00:00 +0200\r\n"
      "Message-ID: <CAF=abc123@mail.acme.example>\r\nSubject: Re: order 4711\r\nIn-Reply-To: <xyz@mine.example>\r\n\r\n",
      0, 0, "F jane@acme.example \"Jane Roe\", T me@mine.example", "CAF=abc123@mail.acme.example", "Re: order 4711",
      1717401600, 0, FL_NOISE | KW_MSG_DATE_FALLBACK | KW_MSG_ADDR_UNRELIABLE | KW_MSG_CONFLICTING, 1, "xyz@mine.example" },
    /* no usable header: -1 */
    { "empty-block", "", 0, -1, "", NULL, NULL, INTERNAL, KW_MSG_DATE_FALLBACK, 0, 0, NULL },
    { "only-garbage", "hello world\r\nmore garbage\r\n\r\n", 0, -1, "", NULL, NULL, INTERNAL, 0, 0, 0, NULL },
    /* a blank line ends the header: nothing after it is used */
    { "stop-at-blank-line", "From: a@x.org\r\n\r\nTo: body@x.org\r\n", 0, 0, "F a@x.org", DONT, DONT, NOCHECK, 0, 0, 0, DONT },
};

static void test_case(gconstpointer data)
{
    const parse_case_t *c = data;
    kw_parsed_msg_t m;
    size_t len = c->len ? c->len : strlen(c->block);
    int r = kw_header_parse(c->block, len, INTERNAL, NOW, &m);

    g_assert_cmpint(r, ==, c->ret);
    check_invariants(&m);
    if (c->addrs) {
        char *s = addrs_string(&m);
        g_assert_cmpstr(s, ==, c->addrs);
        g_free(s);
    }
    if (c->message_id == NULL || strcmp(c->message_id, DONT) != 0)
        g_assert_cmpstr(m.message_id, ==, c->message_id);
    if (c->in_reply_to == NULL || strcmp(c->in_reply_to, DONT) != 0)
        g_assert_cmpstr(m.in_reply_to, ==, c->in_reply_to);
    if (c->subject == NULL || strcmp(c->subject, DONT) != 0)
        g_assert_cmpstr(m.subject, ==, c->subject);
    if (c->date != NOCHECK)
        g_assert_cmpint(m.date, ==, c->date);
    g_assert_cmphex(m.flags & c->flags_set, ==, c->flags_set);
    g_assert_cmphex(m.flags & c->flags_clear, ==, 0);
    if (c->n_recipients >= 0)
        g_assert_cmpuint(m.n_recipients, ==, (unsigned) c->n_recipients);
    kw_parsed_msg_clear(&m);
    /* clear is idempotent */
    kw_parsed_msg_clear(&m);
}

static void parse_ok(const char *block, size_t len, kw_parsed_msg_t *m)
{
    g_assert_cmpint(kw_header_parse(block, len, INTERNAL, NOW, m), ==, 0);
    check_invariants(m);
}

/* D24: a NUL inside a header must not turn it into a shorter, different
 * identity: "<abc\0def@x>" is not "<abc>". */
static void test_nul(void)
{
    static const char with_nul[] = "From: a@x.org\r\nMessage-ID: <abc\0def@x.org>\r\nSubject: pay\0ment\r\n\r\n";
    static const char truncated[] = "From: a@x.org\r\nMessage-ID: <abc\r\nSubject: pay\r\n\r\n";
    static const char nul_in_from[] = "From: boss@acme.example\0.evil.example\r\nTo: me@x.org\r\n\r\n";
    kw_parsed_msg_t a, b, c;

    parse_ok(with_nul, sizeof with_nul - 1, &a);
    parse_ok(truncated, sizeof truncated - 1, &b);
    g_assert_nonnull(a.message_id);
    g_assert_nonnull(strstr(a.message_id, "def@x.org"));
    g_assert_cmpstr(a.message_id, !=, "abc");
    g_assert_cmpstr(a.identity_key, !=, b.identity_key);
    g_assert_nonnull(a.subject);
    g_assert_cmpstr(a.subject, ==, "pay\xef\xbf\xbdment");

    /* a NUL inside an address: the address is dropped, never cut short */
    parse_ok(nul_in_from, sizeof nul_in_from - 1, &c);
    g_assert_true(c.flags & KW_MSG_ADDR_UNRELIABLE);
    for (size_t i = 0; i < c.n_addrs; i++)
        g_assert_cmpstr(c.addrs[i].email, !=, "boss@acme.example");
    kw_parsed_msg_clear(&a);
    kw_parsed_msg_clear(&b);
    kw_parsed_msg_clear(&c);
}

/* D22: a 200 KB subject and 20,000 recipients: capped, counted, fast. */
static void test_huge(void)
{
    GString *s = g_string_new("From: a@x.org\r\nSubject: ");
    kw_parsed_msg_t m;
    gint64 t0;
    int kept = 0;

    for (int i = 0; i < 200 * 1024 / 8; i++)
        g_string_append(s, "\xc3\xa9t\xc3\xa9 ab ");  /* multi-byte so the cut is tested */
    g_string_append(s, "\r\nTo: ");
    for (int i = 0; i < 20000; i++)
        g_string_append_printf(s, "%s\"User, %d\" <user%d@example.org>", i ? ",\r\n " : "", i, i);
    g_string_append(s, "\r\n\r\n");

    t0 = g_get_monotonic_time();
    parse_ok(s->str, s->len, &m);
    g_test_message("200 KB subject + 20,000 recipients: %.1f ms",
                   (double) (g_get_monotonic_time() - t0) / 1000.0);
    g_assert_cmpuint(m.n_recipients, ==, 20000);
    g_assert_true(m.flags & KW_MSG_RECIPIENTS_CAPPED);
    for (size_t i = 0; i < m.n_addrs; i++)
        kept += m.addrs[i].role == KW_ROLE_TO;
    g_assert_cmpint(kept, ==, KW_MAX_RECIPIENTS);
    g_assert_cmpstr(m.addrs[1].email, ==, "user0@example.org");
    g_assert_cmpstr(m.addrs[1].name, ==, "User, 0");
    g_assert_cmpstr(m.addrs[KW_MAX_RECIPIENTS].email, ==, "user499@example.org");
    g_assert_cmpuint(strlen(m.subject), <=, KW_MAX_FIELD_BYTES);
    g_assert_cmpuint(strlen(m.subject), >=, KW_MAX_FIELD_BYTES - 8);
    kw_parsed_msg_clear(&m);
    g_string_free(s, TRUE);
}

/* The cap spans To, Cc and Bcc together, also for short lists. */
static void test_cap_across_fields(void)
{
    GString *s = g_string_new("To: ");
    kw_parsed_msg_t m;

    for (int i = 0; i < 400; i++)
        g_string_append_printf(s, "%st%d@x.org", i ? ", " : "", i);
    g_string_append(s, "\r\nCc: ");
    for (int i = 0; i < 300; i++)
        g_string_append_printf(s, "%sc%d@x.org", i ? ", " : "", i);
    g_string_append(s, "\r\n\r\n");
    parse_ok(s->str, s->len, &m);
    g_assert_cmpuint(m.n_recipients, ==, 700);
    g_assert_cmpuint(m.n_addrs, ==, KW_MAX_RECIPIENTS);
    g_assert_true(m.flags & KW_MSG_RECIPIENTS_CAPPED);
    kw_parsed_msg_clear(&m);
    g_string_free(s, TRUE);
}

/* D23: hostile shapes from old GMime bugs: no crash, valid output. */
static void test_hostile(void)
{
    GString *s = g_string_new("From: ");
    kw_parsed_msg_t m;

    for (int i = 0; i < 99999; i++)
        g_string_append_c(s, ':');
    g_string_append(s, "\r\nTo: ");
    for (int i = 0; i < 5000; i++)
        g_string_append(s, "(((\"<<@");
    g_string_append(s, "\r\nSubject: ");
    for (int i = 0; i < 3000; i++)
        g_string_append(s, "=?utf-8?q?=");
    g_string_append(s, "\r\nDate: ");
    for (int i = 0; i < 3000; i++)
        g_string_append(s, "99 ");
    g_string_append(s, "\r\n\r\n");
    parse_ok(s->str, s->len, &m);
    kw_parsed_msg_clear(&m);
    g_string_free(s, TRUE);
}

/* Dedupe keys: CRLF vs LF, folding and header order do not change them. */
static void test_identity_stability(void)
{
    static const char *variants[] = {
        "From: Jane Roe <jane@acme.example>\r\nTo: b@y.org, a@x.org\r\nCc: c@z.org\r\n"
        "Date: Mon, 3 Jun 2024 10:00:00 +0200\r\nMessage-ID: <m1@acme.example>\r\nSubject: Offer\r\n\r\n",
        /* bare LF */
        "From: Jane Roe <jane@acme.example>\nTo: b@y.org, a@x.org\nCc: c@z.org\n"
        "Date: Mon, 3 Jun 2024 10:00:00 +0200\nMessage-ID: <m1@acme.example>\nSubject: Offer\n\n",
        /* other order, folded, other case, same instant in another zone */
        "Subject: Offer\r\nmessage-id:\r\n <m1@acme.example>\r\nCC: C@Z.org\r\nDATE: Mon, 03 Jun 2024 08:00:00 +0000\r\n"
        "to: a@x.org,\r\n\tb@y.org\r\nfrom: \"Roe, Jane\" <Jane@ACME.example>\r\n\r\n",
    };
    kw_parsed_msg_t ref, m;

    parse_ok(variants[0], strlen(variants[0]), &ref);
    for (size_t i = 1; i < G_N_ELEMENTS(variants); i++) {
        parse_ok(variants[i], strlen(variants[i]), &m);
        g_assert_cmpstr(m.identity_key, ==, ref.identity_key);
        g_assert_cmpstr(m.fingerprint, ==, ref.fingerprint);
        kw_parsed_msg_clear(&m);
    }
    /* INTERNALDATE is not part of the keys (the same message in two folders) */
    g_assert_cmpint(kw_header_parse(variants[0], strlen(variants[0]), 1, NOW, &m), ==, 0);
    g_assert_cmpstr(m.identity_key, ==, ref.identity_key);
    kw_parsed_msg_clear(&m);
    kw_parsed_msg_clear(&ref);
}

/* Fingerprint: the same message stored with another Message-ID (Enron's sent
 * folders) has the same fingerprint but another identity key; a change of
 * recipients, subject or date changes the fingerprint. */
static void test_fingerprint(void)
{
#define BASE "From: a@x.org\r\nTo: b@y.org\r\nCc: c@z.org\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n" \
             "Subject: Plan\r\nMessage-ID: <%s>\r\n%s\r\n"
    char *b1 = g_strdup_printf(BASE, "one@x.org", "");
    char *b2 = g_strdup_printf(BASE, "two@x.org", "Bcc: hidden@q.org\r\n");
    char *b3 = g_strdup_printf(BASE, "one@x.org", "Cc: d@w.org\r\n");
#undef BASE
    kw_parsed_msg_t m1, m2, m3;

    parse_ok(b1, strlen(b1), &m1);
    parse_ok(b2, strlen(b2), &m2);
    parse_ok(b3, strlen(b3), &m3);
    g_assert_cmpstr(m1.fingerprint, ==, m2.fingerprint);   /* Bcc is not part of it */
    g_assert_cmpstr(m1.identity_key, !=, m2.identity_key);
    g_assert_cmpstr(m1.fingerprint, !=, m3.fingerprint);
    g_assert_cmpstr(m1.identity_key, ==, m3.identity_key);
    kw_parsed_msg_clear(&m1);
    kw_parsed_msg_clear(&m2);
    kw_parsed_msg_clear(&m3);
    g_free(b1);
    g_free(b2);
    g_free(b3);
}

/* Without a Message-ID the identity is (date, from, subject); field
 * separators keep "ab"+"c" apart from "a"+"bc". */
static void test_identity_no_msgid(void)
{
    const char *a = "From: a@x.org\r\nSubject: ab\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n\r\n";
    const char *b = "From: a@x.org\r\nSubject: ab\r\nDate: Mon, 3 Jun 2024 10:00:01 +0000\r\n\r\n";
    const char *c = "From: a@x.org\r\nSubject: ab \r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n\r\n";
    const char *d = "From: a@x.org\r\nSubject: ab\r\nDate: garbage date\r\n\r\n";
    const char *e = "From: a@x.org\r\nSubject: ab\r\nDate: other garbage\r\n\r\n";
    kw_parsed_msg_t ma, mb, mc, md, me;

    parse_ok(a, strlen(a), &ma);
    parse_ok(b, strlen(b), &mb);
    parse_ok(c, strlen(c), &mc);
    parse_ok(d, strlen(d), &md);
    parse_ok(e, strlen(e), &me);
    g_assert_null(ma.message_id);
    g_assert_cmpstr(ma.identity_key, !=, mb.identity_key);
    g_assert_cmpstr(ma.identity_key, ==, mc.identity_key); /* trailing space is not content */
    g_assert_cmpstr(md.identity_key, !=, me.identity_key); /* unreadable dates still differ */
    g_assert_cmpstr(md.identity_key, !=, ma.identity_key);
    kw_parsed_msg_clear(&ma);
    kw_parsed_msg_clear(&mb);
    kw_parsed_msg_clear(&mc);
    kw_parsed_msg_clear(&md);
    kw_parsed_msg_clear(&me);
}

/* Names and subjects are capped on a UTF-8 boundary. */
static void test_name_cap(void)
{
    GString *s = g_string_new("From: \"");
    kw_parsed_msg_t m;

    for (int i = 0; i < 400; i++)
        g_string_append(s, "\xe2\x82\xac");     /* € = 3 bytes */
    g_string_append(s, "\" <euro@x.org>\r\n\r\n");
    parse_ok(s->str, s->len, &m);
    g_assert_cmpuint(m.n_addrs, ==, 1);
    g_assert_nonnull(m.addrs[0].name);
    g_assert_cmpuint(strlen(m.addrs[0].name), ==, 510);  /* 170 × 3 <= 512 */
    kw_parsed_msg_clear(&m);
    g_string_free(s, TRUE);
}

/* Random bytes and random mutations of a real block: no crash, invariants hold. */
static void test_random(void)
{
    static const char seed[] = "From: \"Doe, J\" <j@x.org>\r\nTo: Team: a@b.org, =?utf-8?q?=E2=80=AE?= <c@d.org>;\r\n"
                               "Date: Mon, 3 Jun 2024 10:00:00 +0200\r\nMessage-ID: <a@b>\r\nSubject: =?utf-8?b?w6k=?=\r\n\r\n";
    GRand *r = g_rand_new_with_seed(42);
    char buf[sizeof seed];

    for (int iter = 0; iter < 3000; iter++) {
        kw_parsed_msg_t m;
        memcpy(buf, seed, sizeof seed);
        int flips = g_rand_int_range(r, 1, 12);
        for (int k = 0; k < flips; k++)
            buf[g_rand_int_range(r, 0, sizeof seed - 1)] = (char) g_rand_int_range(r, 0, 256);
        kw_header_parse(buf, sizeof seed - 1 - (size_t) g_rand_int_range(r, 0, 20), INTERNAL, NOW, &m);
        check_invariants(&m);
        kw_parsed_msg_clear(&m);
    }
    g_rand_free(r);
}

/* tests/data/headers/NAME.eml: a corpus of broken header blocks. */
static void test_corpus(void)
{
    char *dir = g_build_filename(KW_TEST_DATA, "headers", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    int n = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d)) != NULL) {
        char *path, *data;
        gsize len;
        kw_parsed_msg_t m;
        if (!g_str_has_suffix(name, ".eml"))
            continue;
        path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        int r = kw_header_parse(data, len, INTERNAL, NOW, &m);
        check_invariants(&m);
        /* sensible: files named ok-* parse and have a From */
        if (g_str_has_prefix(name, "ok-")) {
            g_assert_cmpint(r, ==, 0);
            g_assert_cmpuint(m.n_addrs, >, 0);
            g_assert_cmpint(m.addrs[0].role, ==, KW_ROLE_FROM);
        }
        if (m.date != INTERNAL)
            g_assert_cmpint(m.date, >=, 631152000);
        g_test_message("%s: ret %d, %zu addrs, flags 0x%x", name, r, m.n_addrs, m.flags);
        kw_parsed_msg_clear(&m);
        g_free(data);
        g_free(path);
        n++;
    }
    g_assert_cmpint(n, >=, 10);
    g_dir_close(d);
    g_free(dir);
}

/* The parser reads plain address lists, canonical dates and plain
 * Message-IDs itself and leaves the rest to GMime. This switch (defined in
 * header_parse.c for tests only) turns the fast paths off, so both paths can
 * be compared on the same input. */
extern int kw_header_parse_no_fast_path;

static void compare_paths(const char *block)
{
    kw_parsed_msg_t fast, slow;
    char *a, *b;

    kw_header_parse_no_fast_path = 0;
    kw_header_parse(block, strlen(block), INTERNAL, NOW, &fast);
    kw_header_parse_no_fast_path = 1;
    kw_header_parse(block, strlen(block), INTERNAL, NOW, &slow);
    kw_header_parse_no_fast_path = 0;
    check_invariants(&fast);
    check_invariants(&slow);
    a = addrs_string(&fast);
    b = addrs_string(&slow);
    if (strcmp(a, b) != 0 || fast.date != slow.date || fast.flags != slow.flags ||
        g_strcmp0(fast.message_id, slow.message_id) != 0 || fast.n_recipients != slow.n_recipients ||
        fast.n_unreadable != slow.n_unreadable)
        g_error("fast and GMime paths differ on\n%s\nfast: [%s] date %" G_GINT64_FORMAT " flags 0x%x id %s\n"
                "gmime: [%s] date %" G_GINT64_FORMAT " flags 0x%x id %s", block,
                a, fast.date, fast.flags, fast.message_id, b, slow.date, slow.flags, slow.message_id);
    g_free(a);
    g_free(b);
    kw_parsed_msg_clear(&fast);
    kw_parsed_msg_clear(&slow);
}

static void test_fast_vs_gmime_addresses(void)
{
    static const char *values[] = {
        "a@x.org", "  a@x.org  ", "A.B-C+tag@Sub.X-Y.org", "a@x.org, b@y.org", "a@x.org,b@y.org,",
        "<a@x.org>", "Jane Roe <jane@x.org>", "\"Jane Roe\" <jane@x.org>", "\"Roe, Jane\" <jane@x.org>",
        "Roe, Jane <jane@x.org>", "Roe, Jane <jane@x.org>, Doe, John <john@y.org>",
        "a@x.org, Roe, Jane <jane@x.org>", "J. R. R. Tolkien <jrrt@x.org>", "'Jane Roe' <jane@x.org>",
        "Jane   Roe\t<jane@x.org>", "\"\" <a@x.org>", "\"a@x.org\" <a@x.org>",
        "=?utf-8?q?J=C3=B6rg?= <j@x.de>", "=?iso-8859-1?q?J=F6rg?= M <j@x.de>",
        "\"=?utf-8?b?SsO2cmc=?=\" <j@x.de>", "J\xc3\xb6rg M\xc3\xbcller <j@x.de>", "J\xf6rg <j@x.de>",
        "Jane <jane@x.org>, \"Bob\" <bob@y.org>, carl@z.org", "a@x.org b@y.org", "alice", "alice, bob@x.org",
        "a..b@x.org", ".a@x.org", "a@x..org", "a@-x.org", "a@x.org.", "a@b@c.org", "Team: a@x.org;",
        "a@x.org,, b@y.org", "Jane <jane@x.org> Roe", "<a@x.org> <b@y.org>", "a!#$%&'*/=?^_`{|}~@x.org",
        "Roe,Jane <jane@x.org>", "Roe , Jane <j@x.org>", "x, <a@x.org>", "\"Jane\" Roe <jane@x.org>",
        "Ab=?cd <a@x.org>", "a@x.org (Jane)", "\"Jane <jane@x.org>", "Jane <jane@x.org",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        char *block = g_strdup_printf("From: %s\r\nTo: %s\r\nCc: %s, z@z.org\r\n\r\n",
                                      values[i], values[i], values[i]);
        compare_paths(block);
        g_free(block);
    }
}

static void test_fast_vs_gmime_dates(void)
{
    static const char *fixed[] = {
        "Mon, 3 Jun 2024 10:00:00 +0200", "3 Jun 2024 10:00 -0000", "Tue, 29 Feb 2000 23:59:59 +1400",
        "Wed, 29 Feb 2023 10:00:00 +0000", "31 Apr 2024 10:00:00 +0000", "1 Jan 2024 24:00:00 +0000",
        "1 Jan 2024 10:60:00 +0000", "1 Jan 2024 10:00:60 +0000", "1 Jan 2024 10:00:00 +1500",
        "Mon, 3 Jun 2024 10:00:00 -0700 (PDT)", "Mon, 3 Jun 2024 10:00:00 +0000 (a) (b)",
        "Mon,3 Jun 2024 10:00:00 +0000", "Mon, 03 jun 2024 10:00:00 +0000", "3 Jun 2024 1:00:00 +0000",
        "3 Jun 2024 10:00:00 GMT", "3 Jun 2024 10:00:00 +02", "3 June 2024 10:00:00 +0000",
        "3 Jun 2024 10:00:00 +0000 x", "Thu, 01 Jan 1970 00:00:00 +0000", "1 Jan 2099 10:00 +0000",
        "31 Dec 9999 23:59:59 +0000", "1 Jan 1900 00:00:00 +0000",
    };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    GRand *r = g_rand_new_with_seed(99);

    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
        char *b = g_strdup_printf("Date: %s\r\n\r\n", fixed[i]);
        compare_paths(b);
        g_free(b);
    }
    for (int i = 0; i < 3000; i++) {
        char *b = g_strdup_printf("Date: %s%d %s %d %02d:%02d:%02d %c%02d%02d\r\n\r\n",
                                  g_rand_boolean(r) ? "Sun, " : "", g_rand_int_range(r, 1, 32),
                                  mon[g_rand_int_range(r, 0, 12)], g_rand_int_range(r, 1970, 2100),
                                  g_rand_int_range(r, 0, 24), g_rand_int_range(r, 0, 60),
                                  g_rand_int_range(r, 0, 60), g_rand_boolean(r) ? '+' : '-',
                                  g_rand_int_range(r, 0, 15), g_rand_int_range(r, 0, 60));
        compare_paths(b);
        g_free(b);
    }
    g_rand_free(r);
}

static void test_fast_vs_gmime_msgid(void)
{
    static const char *ids[] = {
        "<a@b>", "<CAF=abc+123@mail.example>", "< a@b >", "<a@b> (comment)", "<a b@c>", "<>", "<a@b",
        "a@b", "<\"q\"@b>", "<a@b><c@d>", "<a<b@c>", "<abc>",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        char *b = g_strdup_printf("Message-ID: %s\r\n\r\n", ids[i]);
        compare_paths(b);
        g_free(b);
    }
}


/* ---- every address form, through the fast path and through GMime -------- */

typedef struct {
    const char *name;
    const char *to;          /* the value of a To: field */
    const char *addrs;       /* expected, as addrs_string() writes it */
    unsigned    unreadable;  /* expected n_unreadable */
} addr_case_t;

static const addr_case_t addr_cases[] = {
    /* obsolete local parts with empty dot-atoms (Exchange / X.400 gateways;
     * k..allen@enron.com is 573 messages of the Enron dev corpus) */
    { "obs-double-dot", "k..allen@enron.com", "T k..allen@enron.com", 0 },
    { "obs-double-dot-named", "\"Allen, Phillip K.\" <K..Allen@ENRON.com>", "T k..allen@enron.com \"Allen, Phillip K.\"", 0 },
    { "obs-leading-dot", "e-mail <.ward@enron.com>", "T .ward@enron.com \"e-mail\"", 0 },
    { "obs-trailing-dot", "ward.@enron.com", "T ward.@enron.com", 0 },
    { "obs-in-list", "a@x.org, s..shively@enron.com, b@y.org", "T a@x.org, T s..shively@enron.com, T b@y.org", 0 },
    /* ... also where the list needs GMime (encoded name, comment) */
    { "obs-encoded-name", "=?utf-8?q?J=C3=B6rg?= <j..x@y.org>, (comment) .a@b.org",
      "T j..x@y.org \"J\xc3\xb6rg\", T .a@b.org", 0 },
    { "obs-in-group", "Team: k..allen@enron.com, b@y.org;", "T k..allen@enron.com, T b@y.org", 0 },
    /* quoted local parts: quotes kept only when needed */
    { "quoted-space", "\"John Doe\"@x.org", "T \"john doe\"@x.org", 0 },
    { "quoted-plain", "Bob <\"bob\"@x.org>", "T bob@x.org \"Bob\"", 0 },
    { "quoted-obs", "\"k..allen\"@enron.com", "T k..allen@enron.com", 0 },
    /* routing */
    { "route-percent", "user%host.example@relay.org", "T user%host.example@relay.org", 0 },
    { "route-bang", "host!user@relay.org", "T host!user@relay.org", 0 },
    /* address literals */
    { "literal-ipv4", "a@[192.0.2.1]", "T a@[192.0.2.1]", 0 },
    { "literal-ipv6", "a@[IPv6:2001:DB8::1]", "T a@[ipv6:2001:db8::1]", 0 },
    /* IDN, raw UTF-8 and punycode: one key */
    { "idn", "j@b\xc3\xbc" "cher.example, k@XN--BCHER-KVA.example", "T j@b\xc3\xbc" "cher.example, T k@b\xc3\xbc" "cher.example", 0 },
    /* Lotus Notes gateway forms */
    { "notes-gateway", "\"Jeff Smith\" <jsmith@austintx.com>@ENRON", "T jsmith@austintx.com \"Jeff Smith\"", 0 },
    { "notes-imcea", "IMCEANOTES-+22Jeff+20Smith+22@ENRON.com", "T imceanotes-+22jeff+20smith+22@enron.com", 0 },
    /* not addresses: kept out, counted */
    { "x400", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN", "", 1 },
    { "x400-and-address", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN, b@y.org", "T b@y.org", 1 },
    { "undisclosed", "undisclosed-recipients:;", "", 1 },
    { "bare-names", "alice, bob", "", 2 },
    { "double-at", "a@b@example.org, c@d.org", "T c@d.org", 1 },
    { "nothing-readable", ",", "", 1 },
};

static void test_addr_case(gconstpointer data)
{
    const addr_case_t *c = data;
    char *block = g_strdup_printf("To: %s\r\n\r\n", c->to);

    for (int slow = 0; slow <= 1; slow++) {
        kw_parsed_msg_t m;
        char *got;
        kw_header_parse_no_fast_path = slow;
        kw_header_parse(block, strlen(block), INTERNAL, NOW, &m);
        kw_header_parse_no_fast_path = 0;
        check_invariants(&m);
        got = addrs_string(&m);
        if (strcmp(got, c->addrs) != 0 || m.n_unreadable != c->unreadable)
            g_error("%s path: To: %s\n  got [%s] unreadable %u\n  expected [%s] unreadable %u",
                    slow ? "GMime" : "fast", c->to, got, m.n_unreadable, c->addrs, c->unreadable);
        g_free(got);
        kw_parsed_msg_clear(&m);
    }
    g_free(block);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    kw_header_parse_init();
    kw_header_parse_init();     /* idempotent */
    for (size_t i = 0; i < G_N_ELEMENTS(addr_cases); i++) {
        char *path = g_strdup_printf("/header-parse/address/%s", addr_cases[i].name);
        g_test_add_data_func(path, &addr_cases[i], test_addr_case);
        g_free(path);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = g_strdup_printf("/header-parse/table/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], test_case);
        g_free(path);
    }
    g_test_add_func("/header-parse/D24-nul", test_nul);
    g_test_add_func("/header-parse/D22-huge", test_huge);
    g_test_add_func("/header-parse/cap-across-fields", test_cap_across_fields);
    g_test_add_func("/header-parse/D23-hostile", test_hostile);
    g_test_add_func("/header-parse/identity-stability", test_identity_stability);
    g_test_add_func("/header-parse/fingerprint", test_fingerprint);
    g_test_add_func("/header-parse/identity-no-message-id", test_identity_no_msgid);
    g_test_add_func("/header-parse/name-cap", test_name_cap);
    g_test_add_func("/header-parse/random-mutations", test_random);
    g_test_add_func("/header-parse/corpus", test_corpus);
    g_test_add_func("/header-parse/fast-vs-gmime/addresses", test_fast_vs_gmime_addresses);
    g_test_add_func("/header-parse/fast-vs-gmime/dates", test_fast_vs_gmime_dates);
    g_test_add_func("/header-parse/fast-vs-gmime/message-id", test_fast_vs_gmime_msgid);
    return g_test_run();
}
