/* sanitize.h — internal: text clean-up shared by the header parser, the
 * display sanitiser and the organisation helpers. */
#ifndef KW_SANITIZE_H
#define KW_SANITIZE_H

#include <stddef.h>
#include <sys/types.h>

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

/* Normalise an e-mail address s[0..len) (len < 0: up to the NUL): trimmed,
 * lower-case, IDN domain in its canonical UTF-8 form (ASCII labels lower-case,
 * "xn--" labels decoded), trailing dot removed. Returns NULL (not an address)
 * when there is no '@', the local part or domain is empty, the text is not
 * valid UTF-8, or it contains control, bidi or replacement characters or
 * characters that cannot appear in a domain. (transfer full, g_free) */
char *kw_normalize_email(const char *s, ssize_t len);

#endif
