/* classify.h — internal: pure rules about addresses, domains and messages:
 * organisations, freemail, role addresses, noise (lists, bulk, automated
 * mail, auto-replies, bounces) and the direction of an interaction. Each rule
 * lives here once; the GMime adapter (header_parse.c) only gathers the facts
 * and the sync (sync_store.c) and the store (rebuild) only apply them.
 * Data (freemail domains, role local parts) comes from core/data/ (*.txt files),
 * compiled into the library. The public suffix list comes from libpsl
 * (Debian's publicsuffix package), never from a copy of ours. */
#ifndef KW_CLASSIFY_H
#define KW_CLASSIFY_H

/* Domain part of a normalised address (transfer none: points into `email`), or NULL. */
const char *kw_email_domain(const char *email);
/* Registrable domain ("sub.acme.co.uk" -> "acme.co.uk") (transfer full, g_free);
 * the domain itself when libpsl knows no suffix (e.g. "localhost"). */
char *kw_registrable_domain(const char *domain);
/* 1 if the domain (or its registrable domain) is a freemail provider. */
int kw_is_freemail_domain(const char *domain);
/* 1 if the local part is a role or automated sender (noreply, no-reply,
 * mailer-daemon, postmaster, notifications, newsletter, info, support, ...). */
int kw_is_role_address(const char *email);
/* Organisation key of an address: registrable domain, or the address itself
 * for freemail (transfer full, g_free). */
char *kw_org_key(const char *email);

/* ---- noise ------------------------------------------------------------- */

/* The header facts the noise rules read: values as the parser unfolded them
 * (first occurrence), NULL when the field is absent. */
typedef struct {
    const char *list_id;
    const char *list_unsubscribe;
    const char *precedence;
    const char *auto_submitted;
    const char *x_auto_response_suppress;
    const char *return_path;
    const char *content_type;
    const char *subject;  /* decoded, sanitised */
    const char *from;     /* the first From, normalised */
} kw_noise_headers_t;

/* The KW_MSG_* noise flags (header_parse.h) these facts give:
 *  LIST       List-Id or List-Unsubscribe present (and not empty);
 *  BULK       Precedence: bulk, list or junk;
 *  AUTO       Auto-Submitted other than "no"; a multipart/report that is
 *             not a delivery status notification (read receipts);
 *  AUTOREPLY  Auto-Submitted: auto-replied, or a subject starting like an
 *             out-of-office reply (several languages);
 *  BOUNCE     Return-Path: <>, a delivery status notification, From
 *             mailer-daemon@ or postmaster@;
 *  AUTO_SUPPRESS  X-Auto-Response-Suppress present. */
unsigned kw_classify_noise(const kw_noise_headers_t *headers);

/* ---- direction ------------------------------------------------------------ */

/* The stored values of interactions.direction. */
typedef enum {
    KW_DIRECTION_NONE = 0,     /* no interaction with this address */
    KW_DIRECTION_INBOUND = 1,  /* they wrote to the user */
    KW_DIRECTION_OUTBOUND = 2  /* the user wrote to them */
} kw_direction_t;

/* The one direction rule (DESIGN.md: direction comes from identity, never
 * from the folder): a message whose first From is one of the user's
 * identities is outbound to each of its To/Cc/Bcc that is not; any other
 * message is inbound from its first From. Sender and Reply-To never make an
 * interaction, nor does a message without From.
 *  role          the address's KW_ROLE_* (header_parse.h)
 *  is_first_from 1 for the message's first From address
 *  from_is_mine  1 when the first From is one of the user's identities
 *  addr_is_mine  1 when this address is one of them */
kw_direction_t kw_direction_of(int role, int is_first_from, int from_is_mine, int addr_is_mine);

#endif
