/* test-classify.c — registrable domains, freemail, role addresses, org keys
 * (core/classify.c). Table-driven. */
#include <string.h>

#include <glib.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcomment"   /* a slash-star in classify.h's comment */
#include "classify.h"
#pragma GCC diagnostic pop
#include "header_parse.h"

static void test_email_domain(void)
{
    g_assert_cmpstr(kw_email_domain("a@x.org"), ==, "x.org");
    g_assert_cmpstr(kw_email_domain("\"a@b\"@x.org"), ==, "x.org");  /* last '@' */
    g_assert_null(kw_email_domain("alice"));
    g_assert_null(kw_email_domain("a@"));
    g_assert_null(kw_email_domain(NULL));
}

static void test_registrable(void)
{
    static const struct { const char *in, *out; } t[] = {
        { "sub.acme.co.uk", "acme.co.uk" },     /* two-label public suffix */
        { "acme.co.uk", "acme.co.uk" },
        { "mail.acme.com", "acme.com" },
        { "a.b.c.acme.de", "acme.de" },
        { "shop.example.com.au", "example.com.au" },
        { "foo.github.io", "foo.github.io" },   /* private section of the list */
        { "MAIL.ACME.COM", "acme.com" },        /* upper case input */
        { "m\xc3\xbcller.de", "m\xc3\xbcller.de" },            /* IDN */
        { "www.m\xc3\xbcller.de", "m\xc3\xbcller.de" },
        { "localhost", "localhost" },           /* no suffix: the domain itself */
        { "co.uk", "co.uk" },                   /* a public suffix itself */
        { "[192.0.2.1]", "[192.0.2.1]" },       /* address literal */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        char *r = kw_registrable_domain(t[i].in);
        g_assert_cmpstr(r, ==, t[i].out);
        g_assert_true(g_utf8_validate(r, -1, NULL));
        g_free(r);
    }
    g_assert_null(kw_registrable_domain(NULL));
    g_assert_null(kw_registrable_domain(""));
}

static void test_freemail(void)
{
    static const struct { const char *domain; int free; } t[] = {
        { "gmail.com", 1 }, { "googlemail.com", 1 }, { "gmx.de", 1 }, { "gmx.net", 1 },
        { "gmx.at", 1 }, { "gmx.ch", 1 }, { "gmx.com", 1 }, { "web.de", 1 }, { "t-online.de", 1 },
        { "outlook.com", 1 }, { "hotmail.com", 1 }, { "hotmail.co.uk", 1 }, { "hotmail.fr", 1 },
        { "live.com", 1 }, { "live.de", 1 }, { "msn.com", 1 }, { "yahoo.com", 1 },
        { "yahoo.co.uk", 1 }, { "yahoo.de", 1 }, { "mail.yahoo.co.jp", 1 }, /* subdomain of yahoo.co.jp */
        { "icloud.com", 1 }, { "me.com", 1 }, { "mac.com", 1 }, { "aol.com", 1 }, { "proton.me", 1 },
        { "protonmail.com", 1 }, { "mail.ru", 1 }, { "yandex.ru", 1 }, { "yandex.com", 1 },
        { "freenet.de", 1 }, { "posteo.de", 1 }, { "mailbox.org", 1 }, { "zoho.com", 1 },
        { "fastmail.com", 1 }, { "hey.com", 1 }, { "mail.com", 1 }, { "arcor.de", 1 },
        /* companies */
        { "acme.com", 0 }, { "acme.co.uk", 0 }, { "gmail-support.example", 0 },
        { "notyahoo.com", 0 }, { "yahoo-fans.org", 0 }, { "mygmx.de", 0 },
        { "localhost", 0 }, { "", 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        if (kw_is_freemail_domain(t[i].domain) != t[i].free)
            g_error("kw_is_freemail_domain(\"%s\") != %d", t[i].domain, t[i].free);
    }
    g_assert_cmpint(kw_is_freemail_domain(NULL), ==, 0);
}

static void test_role(void)
{
    static const struct { const char *email; int role; } t[] = {
        { "noreply@x.org", 1 }, { "no-reply@x.org", 1 }, { "NoReply@x.org", 1 },
        { "donotreply@x.org", 1 }, { "do-not-reply@x.org", 1 }, { "mailer-daemon@x.org", 1 },
        { "MAILER-DAEMON@x.org", 1 }, { "postmaster@x.org", 1 }, { "notifications@github.example", 1 },
        { "notification@x.org", 1 }, { "newsletter@x.org", 1 }, { "news@x.org", 1 },
        { "info@x.org", 1 }, { "support@x.org", 1 }, { "help@x.org", 1 }, { "billing@x.org", 1 },
        { "invoice@x.org", 1 }, { "invoices@x.org", 1 }, { "marketing@x.org", 1 },
        { "bounce@x.org", 1 }, { "bounces@x.org", 1 }, { "alerts@x.org", 1 },
        { "automated@x.org", 1 }, { "auto@x.org", 1 }, { "updates@x.org", 1 },
        /* "+tag" is ignored */
        { "info+shop@x.org", 1 }, { "noreply+abc@x.org", 1 },
        /* prefixes */
        { "noreply-orders@x.org", 1 }, { "no-reply-42@x.org", 1 }, { "bounce-12345-abc@x.org", 1 },
        { "bounces+user=example.org@lists.x.org", 1 }, { "no-reply+x@x.org", 1 },
        /* people and business mailboxes that are real conversations */
        { "jane@x.org", 0 }, { "hello@x.org", 0 }, { "sales@x.org", 0 }, { "office@x.org", 0 },
        { "information@x.org", 0 }, { "newsroom@x.org", 0 }, { "autumn@x.org", 0 },
        { "support-jane@x.org", 0 }, { "", 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        if (kw_is_role_address(t[i].email) != t[i].role)
            g_error("kw_is_role_address(\"%s\") != %d", t[i].email, t[i].role);
    }
    g_assert_cmpint(kw_is_role_address(NULL), ==, 0);
}

static void test_org_key(void)
{
    static const struct { const char *email, *org; } t[] = {
        { "jane@sub.acme.co.uk", "acme.co.uk" },
        { "tom@acme.co.uk", "acme.co.uk" },         /* colleagues share the key */
        { "joe@gmail.com", "joe@gmail.com" },       /* freemail: the person is the account */
        { "x@mail.yahoo.co.jp", "x@mail.yahoo.co.jp" },
        { "b@hotmail.de", "b@hotmail.de" },
        { "k@m\xc3\xbcller.de", "m\xc3\xbcller.de" },
        { "root@localhost", "localhost" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        char *o = kw_org_key(t[i].email);
        g_assert_cmpstr(o, ==, t[i].org);
        g_free(o);
    }
    g_assert_null(kw_org_key("alice"));
    g_assert_null(kw_org_key(NULL));
}

/* First use from several threads at once (g_once). */
static gpointer thread_fn(gpointer data)
{
    (void) data;
    for (int i = 0; i < 200; i++) {
        char *o = kw_org_key("a@b.acme.co.uk");
        g_assert_cmpstr(o, ==, "acme.co.uk");
        g_free(o);
        g_assert_true(kw_is_freemail_domain("gmx.de"));
    }
    return NULL;
}

static void test_threads(void)
{
    GThread *th[4];
    for (int i = 0; i < 4; i++)
        th[i] = g_thread_new("classify", thread_fn, NULL);
    for (int i = 0; i < 4; i++)
        g_thread_join(th[i]);
}


/* The one direction rule (kw_direction_of), every combination that matters. */
static void test_direction(void)
{
    static const struct {
        int role, first_from, from_mine, addr_mine;
        kw_direction_t want;
    } t[] = {
        /* someone else wrote: inbound from their From, nothing else */
        { KW_ROLE_FROM, 1, 0, 0, KW_DIRECTION_INBOUND },
        { KW_ROLE_TO, 0, 0, 0, KW_DIRECTION_NONE },
        { KW_ROLE_CC, 0, 0, 1, KW_DIRECTION_NONE },
        /* the user wrote: outbound to every To/Cc/Bcc that is not theirs */
        { KW_ROLE_FROM, 1, 1, 1, KW_DIRECTION_NONE },
        { KW_ROLE_TO, 0, 1, 0, KW_DIRECTION_OUTBOUND },
        { KW_ROLE_CC, 0, 1, 0, KW_DIRECTION_OUTBOUND },
        { KW_ROLE_BCC, 0, 1, 0, KW_DIRECTION_OUTBOUND },
        { KW_ROLE_TO, 0, 1, 1, KW_DIRECTION_NONE },      /* a copy to themselves */
        /* Sender and Reply-To never make an interaction */
        { KW_ROLE_SENDER, 0, 0, 0, KW_DIRECTION_NONE },
        { KW_ROLE_REPLY_TO, 0, 1, 0, KW_DIRECTION_NONE },
        /* a second From (D18) is not an author */
        { KW_ROLE_FROM, 0, 0, 0, KW_DIRECTION_NONE },
        { KW_ROLE_FROM, 0, 1, 0, KW_DIRECTION_NONE },
    };

    G_STATIC_ASSERT(KW_DIRECTION_INBOUND == 1 && KW_DIRECTION_OUTBOUND == 2);  /* stored values */
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        g_assert_cmpint(kw_direction_of(t[i].role, t[i].first_from, t[i].from_mine, t[i].addr_mine),
                        ==, t[i].want);
}

/* The noise rules on header facts (the parser tests cover them end to end). */
static void test_noise(void)
{
    static const struct {
        const char *name;
        kw_noise_headers_t h;
        unsigned want;
    } t[] = {
        { "nothing", { 0 }, 0 },
        { "list-id", { .list_id = "<dev.lists.example>" }, KW_MSG_LIST },
        { "empty-list-id", { .list_id = "" }, 0 },
        { "unsubscribe", { .list_unsubscribe = "<mailto:u@x.org>" }, KW_MSG_LIST },
        { "precedence-list", { .precedence = " List " }, KW_MSG_BULK },
        { "precedence-other", { .precedence = "first-class" }, 0 },
        { "auto-generated", { .auto_submitted = "auto-generated" }, KW_MSG_AUTO },
        { "auto-replied", { .auto_submitted = "auto-replied; owner-email=a@x.org" }, KW_MSG_AUTO | KW_MSG_AUTOREPLY },
        { "auto-no", { .auto_submitted = "No" }, 0 },
        { "xars", { .x_auto_response_suppress = "OOF" }, KW_MSG_AUTO_SUPPRESS },
        { "return-path-empty", { .return_path = "< >" }, KW_MSG_BOUNCE },
        { "return-path-address", { .return_path = "<a@x.org>" }, 0 },
        { "dsn", { .content_type = "multipart/report; report-type=\"delivery-status\"" }, KW_MSG_BOUNCE },
        { "mdn", { .content_type = "multipart/report; report-type=disposition-notification" }, KW_MSG_AUTO },
        { "not-a-report", { .content_type = "multipart/mixed; report-type=delivery-status" }, 0 },
        { "mailer-daemon", { .from = "mailer-daemon@mx.example" }, KW_MSG_BOUNCE },
        { "postmaster", { .from = "postmaster@mx.example" }, KW_MSG_BOUNCE },
        { "ooo-subject", { .subject = "Abwesenheitsnotiz: Angebot" }, KW_MSG_AUTOREPLY },
        { "reply-about-ooo", { .subject = "Re: Out of Office" }, 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        unsigned got = kw_classify_noise(&t[i].h);
        if (got != t[i].want)
            g_error("%s: flags 0x%x, expected 0x%x", t[i].name, got, t[i].want);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/classify/threads-first", test_threads);
    g_test_add_func("/classify/email-domain", test_email_domain);
    g_test_add_func("/classify/registrable-domain", test_registrable);
    g_test_add_func("/classify/freemail", test_freemail);
    g_test_add_func("/classify/role", test_role);
    g_test_add_func("/classify/org-key", test_org_key);
    g_test_add_func("/classify/direction", test_direction);
    g_test_add_func("/classify/noise", test_noise);
    return g_test_run();
}
