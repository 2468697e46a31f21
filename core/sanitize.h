/* sanitize.h — internal: text clean-up shared by the header parser, the
 * display sanitiser and the organisation helpers. */
#ifndef KW_SANITIZE_H
#define KW_SANITIZE_H

#include <stddef.h>
#include <sys/types.h>

#include "keepwarm.h"

/* Sanitise s[0..len) (len < 0: up to the NUL) into a new string
 * (transfer full, g_free): invalid UTF-8 bytes become U+FFFD, C0/C1 controls,
 * DEL and bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) are
 * removed, whitespace runs (tab, CR, LF, NEL, U+2028/9, Unicode spaces)
 * become one ASCII space, leading/trailing whitespace is dropped.
 * max_bytes > 0 caps the result (in bytes, cut on a character boundary).
 * Never returns NULL for a non-NULL s (may return ""). */
char *kw_sanitize_text(const char *s, ssize_t len, size_t max_bytes);

/* Like kw_sanitize_text() but takes ownership of the g_malloc'd string `s`
 * and works in place when it is valid UTF-8. Returns NULL (and frees s) when
 * the result is empty. NULL in gives NULL out. */
char *kw_sanitize_take(char *s, size_t max_bytes);

/* RFC 5322 atext (ASCII): letters, digits and !#$%&'*+-/=?^_`{|}~
 * (a table: this runs for every character of every address synced) */
extern const unsigned char kw_atext_table[256];
static inline int kw_is_atext(unsigned char c)
{
    return kw_atext_table[c];
}

/* kw_normalize_email() — the one address normaliser — is public: keepwarm.h. */

/* A domain name as the user typed it ("Sub.ACME.co.uk.", "BÜCHER.example",
 * "xn--bcher-kva.example") in the form addresses use: lower case, IDN as
 * canonical UTF-8, trailing dot removed. NULL when it is not a host name
 * (an '@', an address literal, spaces, empty labels, invalid UTF-8).
 * (transfer full, g_free) */
char *kw_normalize_domain(const char *s);

#endif
