/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gnutls_init.c — GnuTLS is not initialised when the command starts.
 *
 * By default GnuTLS initialises itself when it is loaded, before main(): it
 * then reads its system configuration, and costs about 1 ms even for
 * commands that never open a TLS connection. With this definition (GnuTLS's
 * documented GNUTLS_SKIP_GLOBAL_INIT, a weak symbol the library calls) it
 * waits until the library's first TLS sync initialises it, with
 * keepwarm's TLS floor in its configuration (core/tls_verify.c,
 * kw_tls_init()). */
#include <gnutls/gnutls.h>

/* Visible to GnuTLS although everything else is built -fvisibility=hidden. */
#pragma GCC visibility push(default)
GNUTLS_SKIP_GLOBAL_INIT
#pragma GCC visibility pop
