/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host.c — the loopback rule: plaintext IMAP (KW_TLS_NONE) is allowed only
 * to the local machine. kw_sync_run() enforces it; the Claws plugin asks the
 * same question before it hands a password to a sync. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"

KW_PUBLIC int kw_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!host)
        return 0;
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
