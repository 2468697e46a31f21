/* classify.h — internal: pure rules about addresses and domains.
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

#endif
