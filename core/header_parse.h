/* header_parse.h — internal: one fetched header block -> one message record.
 * The GMime adapter. Pure with respect to I/O: no network, no SQLite.
 * Not part of the public API (hidden symbols; tests link the static archive). */
#ifndef KW_HEADER_PARSE_H
#define KW_HEADER_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The header fields the sync fetches, in the order of the FETCH command. */
#define KW_HEADER_FIELDS \
    "FROM SENDER REPLY-TO TO CC BCC DATE MESSAGE-ID IN-REPLY-TO REFERENCES SUBJECT " \
    "LIST-ID LIST-UNSUBSCRIBE PRECEDENCE AUTO-SUBMITTED X-AUTO-RESPONSE-SUPPRESS " \
    "RETURN-PATH CONTENT-TYPE"

/* Most recipients kept per message (To+Cc+Bcc); the real count is kept too. */
#define KW_MAX_RECIPIENTS 500
/* Longest stored subject / name, in bytes (cut on a UTF-8 boundary). */
#define KW_MAX_FIELD_BYTES 512

typedef enum {
    KW_ROLE_FROM = 1,
    KW_ROLE_SENDER = 2,
    KW_ROLE_REPLY_TO = 3,
    KW_ROLE_TO = 4,
    KW_ROLE_CC = 5,
    KW_ROLE_BCC = 6
} kw_addr_role_t;

/* Message flags (bit set). */
enum {
    KW_MSG_LIST              = 1u << 0, /* List-Id or List-Unsubscribe present */
    KW_MSG_BULK              = 1u << 1, /* Precedence: bulk / list / junk */
    KW_MSG_AUTO              = 1u << 2, /* Auto-Submitted other than "no" */
    KW_MSG_AUTOREPLY         = 1u << 3, /* out-of-office / automatic reply */
    KW_MSG_BOUNCE            = 1u << 4, /* empty Return-Path <> , mailer-daemon */
    KW_MSG_ADDR_UNRELIABLE   = 1u << 5, /* an address list needed repair (D1, D2) */
    KW_MSG_CONFLICTING       = 1u << 6, /* duplicate From/Date/Message-ID (D18) */
    KW_MSG_DATE_FALLBACK     = 1u << 7, /* Date missing/absurd: INTERNALDATE used */
    KW_MSG_RECIPIENTS_CAPPED = 1u << 8, /* more than KW_MAX_RECIPIENTS */
    KW_MSG_AUTO_SUPPRESS     = 1u << 9, /* X-Auto-Response-Suppress present */
    /* Set by the store, not the parser: a copy was seen in a \Sent folder. */
    KW_MSG_IN_SENT           = 1u << 15
};

typedef struct {
    kw_addr_role_t role;
    char *email;   /* normalised: trimmed, lower-case, IDN domain as UTF-8; contains '@' */
    char *name;    /* decoded display name, valid UTF-8, control chars removed; NULL if none */
} kw_parsed_addr_t;

typedef struct {
    char    *message_id;   /* without <>, trimmed; NULL if missing/invalid */
    char    *in_reply_to;  /* first id, without <>; NULL */
    char    *subject;      /* decoded, valid UTF-8, sanitised, capped; NULL */
    int64_t  date;         /* UTC seconds; INTERNALDATE when missing/absurd */
    unsigned flags;        /* KW_MSG_* */
    unsigned n_recipients; /* To+Cc+Bcc addresses before the cap */
    unsigned n_unreadable; /* address items left out because they are no e-mail
                            address: no '@' (X.400 names, bare names), empty
                            groups (undisclosed-recipients:;), a@b@c, lists
                            nothing could be read from */
    size_t   n_addrs;
    kw_parsed_addr_t *addrs; /* From first when present; then Sender, Reply-To, To, Cc, Bcc */
    /* Dedupe keys (hex strings, 32 chars):
     *  identity_key: hash(message_id, date, from) — or (date, from, subject) when
     *                there is no Message-ID;
     *  fingerprint:  hash(date, from, subject, sorted To/Cc) — finds copies of one
     *                message stored with different Message-IDs (Enron's sent folders). */
    char identity_key[33];
    char fingerprint[33];
} kw_parsed_msg_t;

/* Parse one header block (the bytes of BODY[HEADER.FIELDS (...)], CRLF or LF,
 * possibly with raw 8-bit or NUL bytes). `internaldate` is the server's
 * INTERNALDATE (UTC seconds, 0 if unknown); `now` bounds the date sanity window
 * (dates before 1990-01-01 or after now + 2 days fall back to internaldate).
 * Fills *out (call kw_parsed_msg_clear() afterwards, also on failure).
 * Returns 0, or -1 when the block holds no usable header at all. Never aborts. */
int kw_header_parse(const char *block, size_t len, int64_t internaldate, int64_t now,
                    kw_parsed_msg_t *out);
void kw_parsed_msg_clear(kw_parsed_msg_t *msg);

/* Call once per process before kw_header_parse (g_mime_init); idempotent, thread-safe. */
void kw_header_parse_init(void);

#endif
