/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-host.c — kw_host_is_loopback() (core/host.c): the one rule that
 * decides where plaintext IMAP may go, asked by kw_sync_run() and by the
 * Claws plugin before it hands over a password; and kw_secret_free().
 * Table-driven, one comment per edge case. */
#include <string.h>

#include <glib.h>

#include "keepwarm.h"

typedef struct {
    const char *host;
    int         loopback;
} host_case_t;

static const host_case_t host_cases[] = {
    /* the name, in any case */
    { "localhost", 1 },
    { "LocalHost", 1 },
    /* all of 127.0.0.0/8, not only .1 */
    { "127.0.0.1", 1 },
    { "127.255.3.9", 1 },
    /* IPv6 loopback, short and long */
    { "::1", 1 },
    { "0:0:0:0:0:0:0:1", 1 },
    /* names are never resolved: a trailing dot or a subdomain is another name */
    { "localhost.", 0 },
    { "localhost.example.com", 0 },
    { "127.0.0.1.evil.com", 0 },
    /* not dotted quads */
    { "1270.0.0.1", 0 },
    { "127.0.0.256", 0 },
    { "127.1", 0 },
    /* brackets belong to URLs, not to a host given to the sync */
    { "[::1]", 0 },
    /* other addresses */
    { "128.0.0.1", 0 },
    { "10.0.0.1", 0 },
    { "::", 0 },
    { "::ffff:8.8.8.8", 0 },
    { "imap.example.com", 0 },
    { "", 0 },
};

static void test_host_case(gconstpointer data)
{
    const host_case_t *c = data;
    g_assert_cmpint(kw_host_is_loopback(c->host), ==, c->loopback);
}

static void test_host_null(void)
{
    g_assert_cmpint(kw_host_is_loopback(NULL), ==, 0);
}

/* A secret is freed (ASan and valgrind runs see a leak or a bad free), and
 * NULL is fine. */
static void test_secret_free(void)
{
    kw_secret_free(NULL);
    kw_secret_free(g_strdup("correct horse battery staple"));
    kw_secret_free(g_strdup(""));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(host_cases); i++) {
        char *p = g_strdup_printf("/host/loopback/%zu", i);
        g_test_add_data_func(p, &host_cases[i], test_host_case);
        g_free(p);
    }
    g_test_add_func("/host/loopback-null", test_host_null);
    g_test_add_func("/host/secret-free", test_secret_free);
    return g_test_run();
}
