/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_fetch.h — internal: a streaming parser for the responses to
 *     TAG UID FETCH a:b (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (...)])
 *
 * Why not libetpan's parser: it builds a full response tree per message
 * (allocation per token, the section spec re-parsed each time) and, in 1.9.4,
 * spins forever when a connection drops inside a literal, grows without bound
 * on a line without CRLF, and wraps literal sizes above 2^32. This parser is
 * a push parser over bytes: memory is bounded by KW_FETCH_MAX_LINE and
 * KW_FETCH_MAX_LITERAL whatever the server sends, and it runs on an in-memory
 * buffer too (fuzzing, tests). libetpan still does connect, TLS, login, LIST,
 * STATUS and EXAMINE, and carries these bytes (mailstream).
 */
#ifndef KW_IMAP_FETCH_H
#define KW_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Longest response line outside literals. */
#define KW_FETCH_MAX_LINE (64 * 1024)
/* Header blocks above this are skipped (the message is reported as
 * oversized and not stored); the bytes are read and dropped, never kept. */
#define KW_FETCH_MAX_HEADER (1024 * 1024)
/* A literal above this aborts the command: no header block is that large. */
#define KW_FETCH_MAX_LITERAL ((uint64_t)64 * 1024 * 1024)

typedef struct {
    uint32_t    seq;          /* message sequence number */
    uint32_t    uid;          /* 0 if the response had no UID */
    int64_t     internaldate; /* UTC seconds, 0 if absent/unparsable */
    const char *header;       /* header block bytes (not NUL-terminated), or NULL */
    size_t      header_len;
    int         oversized;    /* header literal above KW_FETCH_MAX_HEADER: dropped */
} kw_fetch_item_t;

typedef enum {
    KW_FETCH_MORE = 0,     /* need more bytes */
    KW_FETCH_DONE_OK,      /* tagged OK for our tag */
    KW_FETCH_DONE_NO,      /* tagged NO (text in kw_fetch_parser_text) */
    KW_FETCH_DONE_BAD,     /* tagged BAD */
    KW_FETCH_BYE,          /* untagged BYE: the server is closing */
    KW_FETCH_ERR_PROTOCOL, /* malformed response */
    KW_FETCH_ERR_LIMIT,    /* a line or literal above the limits */
    KW_FETCH_ERR_CALLBACK  /* the item callback asked to stop */
} kw_fetch_result_t;

/* Called for each complete FETCH response; return 0 to go on. The item's
 * pointers are valid only during the call. */
typedef int (*kw_fetch_item_fn)(const kw_fetch_item_t *item, void *data);

typedef struct kw_fetch_parser kw_fetch_parser_t;

/* `tag` is the command tag to wait for (copied). */
kw_fetch_parser_t *kw_fetch_parser_new(const char *tag, kw_fetch_item_fn fn, void *data);
void kw_fetch_parser_free(kw_fetch_parser_t *parser);

/* Feed bytes. Returns KW_FETCH_MORE until the tagged response or an error;
 * after a final result further calls return it again. *consumed (may be
 * NULL) receives how many bytes were used (bytes after the tagged line are
 * left for the caller). */
kw_fetch_result_t kw_fetch_parser_feed(kw_fetch_parser_t *parser, const char *buf, size_t len,
                                       size_t *consumed);

/* Responses the parser does not act on itself — untagged ones other than
 * FETCH and BYE (LIST, STATUS, EXISTS, OK [ALERT] ...), tagged ones of other
 * commands, continuations — go to `fn` when set: one complete response,
 * literals inline, without the final CRLF, valid during the call. A
 * non-zero return stops the parser (KW_FETCH_ERR_CALLBACK). This lets one
 * parser read the answers of several pipelined commands (the last one's tag
 * ends it). */
typedef int (*kw_fetch_other_fn)(const char *response, size_t len, void *data);
void kw_fetch_parser_set_other(kw_fetch_parser_t *parser, kw_fetch_other_fn fn, void *data);

/* Text of the tagged NO/BAD or BYE line, or a description of the protocol
 * error (transfer none; valid until the parser is freed). */
const char *kw_fetch_parser_text(const kw_fetch_parser_t *parser);

/* Counters for diagnostics. */
uint64_t kw_fetch_parser_items(const kw_fetch_parser_t *parser);

/* Parse an IMAP date-time "17-Jul-1996 02:44:25 -0700" to UTC seconds; 0 on error. */
int64_t kw_imap_parse_datetime(const char *s, size_t len);

/* Reading one complete response (as handed to kw_fetch_other_fn): a cursor
 * over s[0..len) and the tokens of RFC 3501. Each returns 0 and advances,
 * or -1 (malformed; the cursor is then somewhere inside the token). */
typedef struct {
    const char *s;
    size_t      pos, len;
} kw_imap_cursor_t;

void kw_imap_skip_spaces(kw_imap_cursor_t *c);
int kw_imap_read_number(kw_imap_cursor_t *c, uint64_t *out);
/* A literal "{N}" CRLF and its N bytes (which must be inline). */
int kw_imap_read_literal(kw_imap_cursor_t *c, const char **ptr, size_t *n);
/* A quoted string: *ptr and *n are the raw contents, *escaped set when it has a '\'. */
int kw_imap_read_quoted(kw_imap_cursor_t *c, const char **ptr, size_t *n, int *escaped);
/* Any value: atom, number, NIL, quoted, literal or parenthesised list. */
int kw_imap_skip_value(kw_imap_cursor_t *c, int depth);
/* An astring or NIL: quoted (unescaped), literal or atom into `out`.
 * Returns 0, 1 for NIL (out empty), -1. */
int kw_imap_read_astring(kw_imap_cursor_t *c, GString *out);

#endif
