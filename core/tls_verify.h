/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tls_verify.h — internal: verify the peer certificate of a TLS mailstream. */
#ifndef KW_TLS_VERIFY_H
#define KW_TLS_VERIFY_H
#include <libetpan/libetpan.h>
#include "keepwarm.h"

/* Make GnuTLS refuse TLS 1.0 and 1.1 in this process, then initialise it.
 * libetpan 1.9.4 forces the priority string "NORMAL" and offers no hook, so
 * the floor is GnuTLS's system configuration: the system file (the one
 * GNUTLS_SYSTEM_PRIORITY_FILE names, else /etc/gnutls/config) plus
 * "[overrides] disabled-version = tls1.0, tls1.1", handed over as an
 * in-memory file through GNUTLS_SYSTEM_PRIORITY_FILE before GnuTLS's global
 * initialisation reads it. That only works when the program did not let
 * GnuTLS initialise when it was loaded (GNUTLS_SKIP_GLOBAL_INIT, as the
 * keepwarm command does); the result is checked either way: when "NORMAL"
 * still allows TLS 1.0/1.1, this fails and nothing must be sent.
 * Runs once per process (later calls return the first result). Process-wide
 * effects: sets GNUTLS_SYSTEM_PRIORITY_FILE, keeps one memfd open.
 * Returns KW_OK or KW_ERR_TLS. */
kw_status_t kw_tls_init(char **error);

/* Verify the chain the server sent on `stream` against the system trust store
 * (ca_file == NULL) or the PEM anchors in ca_file, for host name `host`.
 * Returns KW_OK, KW_ERR_TLS (untrusted, expired, wrong name, no certificate),
 * KW_ERR_USAGE (unreadable CA file), KW_ERR_NOMEM. */
kw_status_t kw_tls_verify_stream(mailstream *stream, const char *host, const char *ca_file,
                                 char **error);
#endif
