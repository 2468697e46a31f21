/* tls_verify.h — internal: verify the peer certificate of a TLS mailstream. */
#ifndef KW_TLS_VERIFY_H
#define KW_TLS_VERIFY_H
#include <libetpan/libetpan.h>
#include "keepwarm.h"

/* Verify the chain the server sent on `stream` against the system trust store
 * (ca_file == NULL) or the PEM anchors in ca_file, for host name `host`.
 * Returns KW_OK, KW_ERR_TLS (untrusted, expired, wrong name, no certificate),
 * KW_ERR_USAGE (unreadable CA file), KW_ERR_NOMEM. */
kw_status_t kw_tls_verify_stream(mailstream *stream, const char *host, const char *ca_file,
                                 char **error);
#endif
