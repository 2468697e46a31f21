/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keepwarm.h — the public interface of libkeepwarm.
 *
 * libkeepwarm reads IMAP mailboxes (headers only, read-only), keeps a local
 * interaction history in SQLite and models customer relationships: who is
 * going cold, why, and what to do.
 *
 * Conventions (every function below follows them unless it says otherwise):
 *
 *  - Status: functions return kw_status_t. KW_OK (0) is success; anything else
 *    is a category a caller can act on (see kw_status_t). Where a function has
 *    a `char **error` parameter it may be NULL; when it is not NULL and the
 *    call fails, *error receives a newly allocated one-line, human-readable
 *    message (transfer full: free it with kw_free()). On success *error is
 *    left untouched.
 *  - Ownership: "(transfer full)" means the caller owns the returned object and
 *    must release it with the named function; "(transfer none)" means the
 *    object stays owned by the library and is valid as long as its parent is.
 *    Every free/close function accepts NULL.
 *  - Strings are NUL-terminated UTF-8. Every string the library returns is
 *    valid UTF-8. Strings that came from mail (names, subjects) may contain
 *    anything a sender chose; pass them through kw_sanitize_for_display()
 *    before writing them to a terminal.
 *  - Time: all timestamps are UTC seconds since the epoch (int64_t). Every
 *    model query takes an explicit `as_of` time, so results are reproducible.
 *  - Threads: a kw_store_t must be used by one thread at a time. Different
 *    handles (even on the same file, in several processes) may be used
 *    concurrently; writers serialise through SQLite (BEGIN IMMEDIATE).
 *  - The library never reads user configuration, never prints, never exits.
 */
#ifndef KEEPWARM_H
#define KEEPWARM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KW_VERSION "0.1.0"

/* ------------------------------------------------------------------------ */
/* Status                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum {
    KW_OK = 0,
    KW_ERR_USAGE,        /* invalid argument or option value */
    KW_ERR_NOMEM,        /* out of memory or a resource limit was hit */
    KW_ERR_AUTH,         /* the server refused the credentials */
    KW_ERR_TLS,          /* TLS handshake failed or the certificate was not trusted */
    KW_ERR_INSECURE,     /* the connection would not be protected; nothing was sent */
    KW_ERR_NETWORK,      /* could not connect, connection dropped, timeout */
    KW_ERR_SERVER,       /* the server answered something we cannot use */
    KW_ERR_STORE,        /* SQLite error (I/O, disk full, locked too long) */
    KW_ERR_STORE_CORRUPT,/* the store failed its integrity check; left untouched */
    KW_ERR_STORE_TOO_NEW,/* the store was written by a newer keepwarm */
    KW_ERR_BUSY,         /* another sync of this account is running */
    KW_ERR_NOT_FOUND,    /* unknown account, contact or organisation */
    KW_ERR_CANCELLED,    /* cancelled by the caller (its kw_progress_fn returned non-zero) */
    KW_ERR_PARTIAL,      /* the sync finished, but some folders were skipped */
    KW_ERR_INTERNAL,     /* a bug: please report */
    KW_ERR_AMBIGUOUS,    /* a name matches several targets (kw_model_find lists them) */
    KW_STATUS_LAST
} kw_status_t;

/* A short, stable, lower-case name: "ok", "usage", "auth", "tls", ...
 * (transfer none). Unknown values give "unknown". */
const char *kw_status_to_string(kw_status_t status);

/* Free memory the library handed over (strings, *error messages). NULL is fine. */
void kw_free(void *ptr);

/* Free a NULL-terminated array of strings the library handed over. NULL is fine. */
void kw_strv_free(char **strv);

/* Overwrite a secret (a NUL-terminated password or token) with zeros, in a
 * way the compiler cannot leave out, then free it as kw_free() does. For
 * secrets allocated with GLib (g_malloc, g_strdup — kw_free's allocator):
 * the command and the Claws plugin wipe every password they hold with it.
 * NULL is fine. Thread-safe. */
void kw_secret_free(char *secret);

/* The one e-mail address normaliser: the store's keys, headers, identities,
 * targets all go through it, so that one address is one key everywhere.
 * Reads s[0..len) (len < 0: up to the NUL); surrounding whitespace and one
 * pair of <> are ignored. Keeps what mail systems deliver to: obsolete
 * local parts with empty dot-atoms (k..allen@, .ward@, ward.@ — Exchange
 * and X.400 gateways make them from initials), quoted local parts ("john
 * doe"@; the quotes are dropped when the content needs none), % and !
 * routing, address literals (a@[192.0.2.1]) and internationalised
 * addresses. The result is lower case, its IDN domain in canonical UTF-8
 * ("xn--" labels decoded), without a trailing dot.
 * Returns NULL when `s` is not an address: no '@', an empty local part or
 * domain, spaces or specials outside quotes, control, bidi or replacement
 * characters, invalid UTF-8, a character a domain cannot hold.
 * (transfer full, kw_free). Thread-safe. */
char *kw_normalize_email(const char *s, ssize_t len);

/* Return a newly allocated copy of `s` that is safe to print on a terminal or
 * show in a widget: invalid UTF-8 replaced, C0/C1 control characters, DEL and
 * bidirectional overrides/isolates removed, whitespace runs folded to one
 * space. (transfer full, kw_free). NULL in gives NULL out. */
char *kw_sanitize_for_display(const char *s);

/* ------------------------------------------------------------------------ */
/* Store                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct kw_store kw_store_t;

typedef enum {
    KW_STORE_READ_WRITE = 0, /* create if missing (file 0600, parent dirs 0700) */
    KW_STORE_READ_ONLY  = 1  /* fail with KW_ERR_NOT_FOUND if missing */
} kw_store_mode_t;

/* Open (and create or migrate) the store at `path`.
 * The file is created 0600 (directories 0700) before SQLite opens it; WAL
 * mode, busy timeout and a quick integrity check are applied.
 * Returns KW_OK, KW_ERR_STORE_CORRUPT (the file is left as it is),
 * KW_ERR_STORE_TOO_NEW, KW_ERR_NOT_FOUND (read-only and missing),
 * KW_ERR_STORE. *store_out: (transfer full) close with kw_store_close(). */
kw_status_t kw_store_open(const char *path, kw_store_mode_t mode,
                          kw_store_t **store_out, char **error);

/* Close the store; NULL is fine. */
void kw_store_close(kw_store_t *store);

/* The schema version this build writes. */
int kw_store_schema_version(void);

/* Default store path: $XDG_DATA_HOME/keepwarm/keepwarm.db (transfer full).
 * This reads only the environment, never a config file. */
char *kw_default_store_path(void);

/* ------------------------------------------------------------------------ */
/* Accounts and identities                                                   */
/* ------------------------------------------------------------------------ */

/* Remember `address` as one of the user's own addresses for `account`
 * (created if unknown). Direction of every stored message is recomputed
 * locally; no mail is downloaded again. Returns KW_OK, KW_ERR_USAGE (not an
 * address, kw_normalize_email(); the message names it), KW_ERR_STORE. */
kw_status_t kw_store_add_identity(kw_store_t *store, const char *account,
                                  const char *address, char **error);

/* Forget an identity; directions are recomputed locally, so mail from that
 * address counts as inbound again. KW_ERR_NOT_FOUND when it was not known
 * (unknown account included), KW_ERR_USAGE when it is not an address. */
kw_status_t kw_store_remove_identity(kw_store_t *store, const char *account,
                                     const char *address, char **error);

/* Make `addresses` (NULL-terminated; NULL = none) exactly the identities of
 * `account` (created if unknown): others are forgotten, new ones added,
 * directions recomputed once, all in one transaction. For callers that own
 * the list, such as the Claws plugin's "your other addresses".
 * Returns KW_OK, KW_ERR_USAGE (an entry is not an address: nothing is
 * changed, the message names it), KW_ERR_STORE. */
kw_status_t kw_store_set_identities(kw_store_t *store, const char *account,
                                    const char *const *addresses, char **error);

typedef struct {
    char *account;
    char *address;     /* normalised */
} kw_identity_t;

typedef struct {
    size_t         count;
    kw_identity_t *items;
} kw_identity_list_t;

/* The identities of `account`, or of every account when `account` is NULL,
 * ordered by account and address. KW_ERR_NOT_FOUND for an unknown account.
 * *out: (transfer full) kw_identity_list_free(). */
kw_status_t kw_store_identities(kw_store_t *store, const char *account,
                                kw_identity_list_t **out, char **error);
void kw_identity_list_free(kw_identity_list_t *list);

/* Own domains: the user's company domains. Colleagues (never relationships)
 * are the people at these domains plus at the domains of the user's
 * non-freemail identities — unless own domains are set to nothing, which
 * turns the colleague rule off (an archive where everyone is at one company).
 *
 * Replace the setting: `domains` NULL = back to the default (no own domain:
 * the identities' domains only); an empty array ({ NULL }) = nobody is a
 * colleague; otherwise these domains (names as a user types them, IDN
 * allowed, stored normalised). Returns KW_OK, KW_ERR_USAGE (an entry is not a
 * domain name: nothing is changed, the message names it), KW_ERR_STORE. */
kw_status_t kw_store_set_own_domains(kw_store_t *store, const char *const *domains,
                                     char **error);
/* Add one own domain (this also turns a "nobody" setting back on), or remove
 * one (KW_ERR_NOT_FOUND when it is not in the list; removing the last one
 * returns to the default). KW_ERR_USAGE when it is not a domain name. */
kw_status_t kw_store_add_own_domain(kw_store_t *store, const char *domain, char **error);
kw_status_t kw_store_remove_own_domain(kw_store_t *store, const char *domain, char **error);
/* The setting as kw_store_set_own_domains() takes it: *domains_out NULL for
 * the default, an empty array for "nobody", else the domains, sorted.
 * (transfer full, kw_strv_free) */
kw_status_t kw_store_get_own_domains(kw_store_t *store, char ***domains_out, char **error);

typedef enum {
    KW_COLLEAGUE_OWN_DOMAIN = 0, /* one of the own domains */
    KW_COLLEAGUE_IDENTITY = 1    /* the domain of one of the user's addresses */
} kw_colleague_source_t;

typedef struct {
    char                 *domain; /* registrable domain: everyone there is a colleague */
    kw_colleague_source_t source;
    char                 *origin; /* the own domain as stored, or the identity address */
} kw_colleague_domain_t;

typedef struct {
    size_t                 count;
    kw_colleague_domain_t *items;
} kw_colleague_domain_list_t;

/* The colleague domains in effect (the rule above; the relationship model
 * uses exactly this list): own domains first, then identity domains not
 * already listed. Empty when own domains are set to nothing.
 * *out: (transfer full) kw_colleague_domain_list_free(). */
kw_status_t kw_store_colleague_domains(kw_store_t *store, kw_colleague_domain_list_t **out,
                                       char **error);
void kw_colleague_domain_list_free(kw_colleague_domain_list_t *list);

typedef struct {
    char    *address;   /* lower-case */
    int64_t  messages;  /* messages with this From seen in a \Sent folder */
    int      confirmed; /* 1 when it is already an identity */
} kw_identity_candidate_t;

typedef struct {
    size_t                   count;
    kw_identity_candidate_t *items;
} kw_identity_candidate_list_t;

/* Addresses that sent the mail found in the account's \Sent folder(s), most
 * frequent first. *out: (transfer full) kw_identity_candidate_list_free(). */
kw_status_t kw_store_identity_candidates(kw_store_t *store, const char *account,
                                         kw_identity_candidate_list_t **out, char **error);
void kw_identity_candidate_list_free(kw_identity_candidate_list_t *list);

/* ------------------------------------------------------------------------ */
/* Sync                                                                      */
/* ------------------------------------------------------------------------ */

/* Whether `host` names this machine: "localhost" (any case), an IPv4
 * address in 127.0.0.0/8, or ::1 — as written, never resolved (a name that
 * resolves to 127.0.0.1 does not count). This is the rule behind
 * KW_TLS_NONE: kw_sync_run() refuses plaintext to any other host
 * (KW_ERR_INSECURE), so a caller can check before it fetches a password.
 * Returns 1 or 0; NULL gives 0. Thread-safe. */
int kw_host_is_loopback(const char *host);

typedef enum {
    KW_TLS_IMPLICIT = 0, /* TLS from the first byte (port 993) — the default */
    KW_TLS_STARTTLS = 1, /* plain connect, STARTTLS mandatory, never falls back */
    KW_TLS_NONE     = 2  /* no TLS: refused unless the host is a loopback address */
} kw_tls_mode_t;

/* Progress events, in this order: CONNECTED, FOLDERS, then for each folder
 * FOLDER, MESSAGES (zero or more), FOLDER_DONE — exactly one FOLDER_DONE per
 * FOLDER, all of them before kw_sync_run() returns; WARNING at any point.
 * Folders overlap: a folder's last batch is written while the next folder
 * is being read, so its last MESSAGES and its FOLDER_DONE can come after
 * the FOLDER events (and even the FOLDER_DONE) of later folders. Attribute
 * events by `folder_index`, not by arrival. */
typedef enum {
    KW_PROGRESS_CONNECTED,   /* logged in; `folder` NULL */
    KW_PROGRESS_FOLDERS,     /* folder list known; `folders_total` set */
    KW_PROGRESS_FOLDER,      /* starting a folder; `total` = messages to fetch */
    KW_PROGRESS_MESSAGES,    /* a chunk committed; `done` of `total` */
    KW_PROGRESS_FOLDER_DONE, /* folder finished; `new_messages` stored */
    KW_PROGRESS_WARNING      /* something was skipped; see `message` */
} kw_progress_kind_t;

typedef struct {
    kw_progress_kind_t kind;
    const char *account;        /* (transfer none) */
    const char *folder;         /* display name (UTF-8), or NULL (transfer none) */
    int         folder_index;   /* 1-based */
    int         folders_total;
    int64_t     done;           /* messages handled in this folder so far */
    int64_t     total;          /* messages to handle in this folder */
    int64_t     new_messages;   /* distinct messages added to the store */
    const char *message;        /* warning text, or NULL (transfer none) */
} kw_progress_t;

/* Called from the syncing thread after each event. Return non-zero to cancel. */
typedef int (*kw_progress_fn)(const kw_progress_t *progress, void *user_data);

typedef struct {
    const char    *account;      /* required: the store's name for this account */
    const char    *host;         /* required */
    int            port;         /* 0: 993 for implicit TLS, 143 otherwise */
    kw_tls_mode_t  tls;
    const char    *user;         /* required */
    /* Credentials: exactly one of password / oauth2_token. (transfer none;
     * the library copies nothing and keeps no copy after kw_sync_run returns.) */
    const char    *password;
    const char    *oauth2_token;
    /* How a password is sent: NULL or "auto" (LOGIN, or AUTHENTICATE PLAIN
     * when the server advertises LOGINDISABLED), "login", or "plain"
     * (AUTHENTICATE PLAIN). Ignored with an OAuth2 token (XOAUTH2). */
    const char    *auth;
    const char    *ca_file;      /* PEM trust anchors instead of the system store; NULL */
    const char *const *me;       /* NULL-terminated extra identities to remember; NULL */
    const char *const *include;  /* NULL-terminated glob patterns on decoded names; NULL = all */
    const char *const *exclude;  /* NULL-terminated glob patterns on decoded names; NULL */
    int            timeout_s;    /* inactivity timeout per network read; 0 = 60 */
    /* Most messages per database transaction (each commits with the
     * folder's position, so an interruption repeats at most this much work;
     * a transaction is also committed at least once a second and at the end
     * of each folder); 0 = 20000. Not the FETCH size: each folder's new
     * messages come in one streamed UID FETCH whatever this is. */
    int            chunk_size;
    kw_progress_fn progress;     /* NULL for none */
    void          *progress_data;
} kw_sync_options_t;

typedef struct {
    int     folders_seen;      /* selectable folders on the server */
    int     folders_synced;    /* folders read in this run */
    int     folders_skipped;   /* folders that failed (see warnings) */
    int64_t messages_fetched;  /* header blocks received */
    int64_t messages_new;      /* distinct messages added */
    int64_t bytes_received;
    double  seconds;
    int64_t addresses_unreadable; /* items of the address fields of the new
                                     messages that are no e-mail address (no
                                     '@', X.400 names, undisclosed-recipients:;,
                                     a@b@c): left out, counted here */
    /* Where the time of the message transfer went (seconds; they overlap:
     * reading and writing run in two threads):
     * waiting for the server's bytes, tokenising and parsing them, and
     * writing them to the store (SQLite, commits included). */
    double  seconds_network;
    double  seconds_parse;
    double  seconds_store;
} kw_sync_report_t;

/* Sync one account into the store. Read-only on the server (EXAMINE,
 * BODY.PEEK). The certificate chain and host name are verified before any
 * credential is sent, and TLS 1.0/1.1 are refused. Each chunk of messages is
 * committed together with the folder position, so an interruption at any
 * point loses nothing. A sync that finds nothing new writes nothing.
 * Only one sync per account and store runs at a time (a lock that frees
 * itself when its holder dies).
 * Returns KW_OK, KW_ERR_PARTIAL (some folders skipped), KW_ERR_USAGE,
 * KW_ERR_AUTH, KW_ERR_TLS, KW_ERR_INSECURE, KW_ERR_NETWORK, KW_ERR_SERVER,
 * KW_ERR_STORE, KW_ERR_BUSY, KW_ERR_CANCELLED, KW_ERR_NOMEM.
 * `report` may be NULL; it is filled even on failure.
 * Process-wide effects: during the TLS handshake file descriptor 2 points at
 * /dev/null (libetpan 1.9.4 prints GnuTLS errors there; the returned error
 * says what failed), and a watchdog thread runs for the duration of the call.
 * TLS (tls != KW_TLS_NONE): the first TLS sync of the process initialises
 * GnuTLS itself, after pointing GNUTLS_SYSTEM_PRIORITY_FILE at an in-memory
 * copy of the system's GnuTLS configuration plus "no TLS 1.0/1.1" (libetpan
 * forces the priority string NORMAL). A program must therefore keep GnuTLS
 * from initialising when it is loaded — define GNUTLS_SKIP_GLOBAL_INIT
 * (gnutls/gnutls.h) once in the program, visible to the dynamic linker —
 * otherwise every TLS sync fails with KW_ERR_TLS before anything is sent.
 * Do not run two syncs in one process at once; use separate processes. */
kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                        kw_sync_report_t *report, char **error);

/* ------------------------------------------------------------------------ */
/* Settings kept in the store (shared by the command, the plugin and cron)   */
/* ------------------------------------------------------------------------ */

/* The cadence of relationships with too little history to learn one, when
 * neither the user (per target) nor the caller (kw_model_options_t) says
 * otherwise. Built in: 60 days. */
#define KW_DEFAULT_CADENCE_DAYS 60

/* The stored default cadence: *days_out receives it, or 0 when the store
 * has none (KW_DEFAULT_CADENCE_DAYS applies). Returns KW_OK, KW_ERR_USAGE,
 * KW_ERR_STORE. */
kw_status_t kw_store_get_default_cadence(kw_store_t *store, int *days_out, char **error);
/* Set it (1..3650 days), or forget it (0). One BEGIN IMMEDIATE transaction.
 * Returns KW_OK, KW_ERR_USAGE (out of range, read-only store), KW_ERR_STORE. */
kw_status_t kw_store_set_default_cadence(kw_store_t *store, int days, char **error);

/* ------------------------------------------------------------------------ */
/* Contacts (raw correspondents, before the relationship model)              */
/* ------------------------------------------------------------------------ */

typedef enum {
    KW_KIND_PERSON = 0,
    KW_KIND_AUTOMATED,  /* no-reply, role address, auto-submitted, bounces */
    KW_KIND_LIST,       /* mailing list / bulk sender */
    KW_KIND_SELF,       /* one of the user's identities */
    KW_KIND_COLLEAGUE   /* the user's own domain */
} kw_contact_kind_t;

const char *kw_contact_kind_to_string(kw_contact_kind_t kind); /* "person", ... */

typedef struct {
    char             *email;         /* normalised: trimmed, lower-case */
    char             *name;          /* best display name, or NULL */
    char             *org;           /* registrable domain, or the address for freemail */
    kw_contact_kind_t kind;
    int64_t           last_inbound;  /* 0 = never */
    int64_t           last_outbound; /* 0 = never */
    int64_t           inbound;       /* messages from them */
    int64_t           outbound;      /* messages from the user to them */
} kw_contact_t;

typedef struct {
    size_t        count;
    kw_contact_t *items;
} kw_contact_list_t;

void kw_contact_list_free(kw_contact_list_t *list);

/* ------------------------------------------------------------------------ */
/* Relationship model                                                        */
/* ------------------------------------------------------------------------ */
/* The model is loaded once per view (kw_model_load) and then answered from
 * memory: the list, one relationship, the one for a sender, a timeline, the
 * contacts, and the resolution of what a user typed. Loading reads the
 * contacts and the per-contact and per-organisation aggregates the store
 * keeps up to date at sync time, so it costs O(contacts), not O(messages);
 * an `as_of` earlier than the newest mail of a contact computes that contact
 * exactly from its messages (a past --as-of is always exact).
 *
 * The library returns facts, never sentences: a relationship carries a
 * kw_reason_t, and the presentation module of the command and the plugin
 * (core/words/, not part of this library) turns it into words. Error
 * messages (*error) stay short English one-liners for logs and terminals. */

typedef struct kw_model kw_model_t;

typedef enum {
    KW_STATE_OVERDUE = 0,
    KW_STATE_DUE_SOON,
    KW_STATE_AWAITING_YOUR_REPLY,
    KW_STATE_AWAITING_THEIR_REPLY,
    KW_STATE_OK,
    KW_STATE_SNOOZED,
    KW_STATE_IGNORED,
    KW_STATE_LAST
} kw_state_t;

/* "overdue", "due-soon", "awaiting-your-reply", "awaiting-their-reply",
 * "ok", "snoozed", "ignored" (transfer none): stable names for scripts. */
const char *kw_state_to_string(kw_state_t state);
/* Parse the names above; returns KW_ERR_USAGE for anything else. */
kw_status_t kw_state_from_string(const char *name, kw_state_t *state_out);
/* The parser of kw_status_to_string()'s names ("ok", "not-found", ...):
 * KW_OK and *status_out, or KW_ERR_USAGE for anything else. */
kw_status_t kw_status_from_string(const char *name, kw_status_t *status_out);

/* Bit masks of states for kw_list_options_t.states. */
#define KW_STATE_BIT(s) (1u << (unsigned) (s))
#define KW_STATES_ATTENTION (KW_STATE_BIT(KW_STATE_OVERDUE) | KW_STATE_BIT(KW_STATE_DUE_SOON) | \
                             KW_STATE_BIT(KW_STATE_AWAITING_YOUR_REPLY) |                    \
                             KW_STATE_BIT(KW_STATE_AWAITING_THEIR_REPLY))
#define KW_STATES_ALL ((1u << (unsigned) KW_STATE_LAST) - 1u)

typedef enum {
    KW_TARGET_ORG = 0,    /* an organisation (registrable domain) */
    KW_TARGET_PERSON = 1  /* one address (freemail people, or --by person) */
} kw_target_kind_t;

/* Where a touch came from (values are never reused). Everything but mail
 * is a two-way touch the user logged (kw_log_touch) or a calendar holds
 * (kw_import_ics): it resets the clock and teaches the rhythm like a
 * two-way exchange of mail. */
typedef enum {
    KW_SOURCE_MAIL = 0,
    KW_SOURCE_CALL = 1,     /* a phone or video call */
    KW_SOURCE_MEETING = 2,  /* a meeting (logged, or an event of a calendar) */
    KW_SOURCE_VISIT = 3,    /* a visit */
    KW_SOURCE_OTHER = 4,    /* any other conversation */
    KW_SOURCE_LAST
} kw_source_t;

/* "mail", "call", "meeting", "visit", "other" (transfer none; "unknown"
 * for anything else). */
const char *kw_source_to_string(kw_source_t source);
/* Parse those names (any case); KW_ERR_USAGE for anything else. */
kw_status_t kw_source_from_string(const char *name, kw_source_t *source_out);

/* Importance tiers: the ABC classification sellers know. A comes first in
 * the day's list (kw_today) and, while a relationship has too little
 * history to learn its rhythm, gets a tighter default one. Set per
 * organisation or person (kw_set_tier); a person without one takes their
 * organisation's. */
typedef enum {
    KW_TIER_NONE = 0,
    KW_TIER_A = 1,
    KW_TIER_B = 2,
    KW_TIER_C = 3
} kw_tier_t;

#define KW_TIER_BIT(t) (1u << (unsigned) (t))

/* "A", "B", "C", "none" (transfer none). */
const char *kw_tier_to_string(kw_tier_t tier);
/* "A", "b", "none", "-" ...; KW_ERR_USAGE for anything else. */
kw_status_t kw_tier_from_string(const char *name, kw_tier_t *tier_out);
/* The rhythm assumed for a tier while history is thin: A 30, B 60, C 120
 * days; 0 for KW_TIER_NONE (the store's default cadence applies). */
int kw_tier_default_cadence(kw_tier_t tier);

/* Where the cadence comes from. */
typedef enum {
    KW_CADENCE_DEFAULT = 0, /* too little history: the default (store setting or 60) */
    KW_CADENCE_LEARNED,     /* learned from the relationship's own exchanges */
    KW_CADENCE_USER         /* set by the user for this target (kw_set_cadence) */
} kw_cadence_source_t;

/* How the team touched a relationship (kw_reason_t.team_touch,
 * kw_team_touch_t.kind). Values are never reused. */
typedef enum {
    KW_TEAM_TOUCH_NONE = 0,
    KW_TEAM_TOUCH_EXCHANGE, /* a teammate's two-way exchange (their shared records) */
    KW_TEAM_TOUCH_COPIED,   /* a colleague wrote to them with you in To or Cc (your own
                               mail: no team server needed) */
    KW_TEAM_TOUCH_CALL,     /* a teammate's logged call (shared) */
    KW_TEAM_TOUCH_MEETING,  /* a teammate's logged meeting (shared) */
    KW_TEAM_TOUCH_VISIT,    /* a teammate's logged visit (shared) */
    KW_TEAM_TOUCH_OTHER     /* another kind of logged touch (shared) */
} kw_team_touch_kind_t;

/* "exchange", "copied", "call", "meeting", "visit", "other"; "none"
 * (transfer none): stable names for scripts. */
const char *kw_team_touch_kind_to_string(kw_team_touch_kind_t kind);

/* Whose move it is in an unanswered conversation. */
typedef enum {
    KW_WAITING_NONE = 0,
    KW_WAITING_ON_YOU,      /* they wrote and have no answer yet */
    KW_WAITING_ON_THEM      /* you wrote and have no answer yet */
} kw_waiting_t;

/* A person named in a reason: their address and display name (either may be
 * NULL when unknown; both owned by the relationship). */
typedef struct {
    char *address;
    char *name;
} kw_person_ref_t;

/* Why a relationship is in its state: the facts, for the presentation
 * module to word. Owned by its kw_relationship_t. Fields are only ever
 * added at the end, never reinterpreted. Times are UTC seconds, 0 = none. */
typedef struct {
    kw_state_t      state;
    int64_t         last_exchange;      /* the last two-way exchange */
    kw_person_ref_t last_exchange_with; /* their side of it */
    int64_t         last_inbound;       /* the last time they wrote (counted mail) */
    int64_t         last_outbound;      /* the last time you wrote to them */
    kw_waiting_t    waiting;            /* an unanswered run of mail, and whose move */
    int64_t         waiting_since;      /* its first message */
    kw_person_ref_t waiting_person;     /* who wrote it (they) or to whom (you) */
    int             reply_samples;      /* answers of theirs to your mail seen */
    int             their_reply_days;   /* how long before "awaiting their reply" */
    int             cadence_days;
    kw_cadence_source_t cadence_source;
    int             exchanges;          /* two-way exchanges in the history */
    int64_t         first_exchange;
    int64_t         snoozed_until;      /* > as_of while snoozed, else 0 */
    int             ignored;
    int64_t         due_date;           /* clock start + cadence, 0 when no clock */
    int             days_since;         /* whole days since the clock start */
    /* What the rhythm alone says (overdue, due-soon or ok): for an awaiting
     * state, how late the relationship is besides the unanswered mail. */
    kw_state_t      rhythm_state;
    int             waiting_touches;    /* unanswered mails (touches) since waiting_since */
    int64_t         waiting_last;       /* the last of them */
    /* Their only answer to your last mail was an automatic reply (out of
     * office): when it came, from whom, and the day its subject names
     * (00:00 UTC; 0 when it names none): "back on" that day when
     * away_until_is_return, else away until that day (inclusive). */
    int64_t         away_since;
    kw_person_ref_t away_person;
    int64_t         away_until;
    int             away_until_is_return;
    int64_t         settled_until;      /* kw_settle(): mail up to here needs no answer */
    kw_source_t     last_exchange_source; /* mail, or the call/meeting/... it was */
    int64_t         planned_touch;      /* the next planned touch after as_of (a
                                           meeting in a calendar), 0 = none: the
                                           relationship is ok until then */
    kw_source_t     planned_source;     /* its kind */
    /* The team: teammates' shared records (pulled, kw_team_pull) and
     * colleagues' mail to them with you in copy. Without either, team_touch
     * is KW_TEAM_TOUCH_NONE and own_state == state. */
    kw_state_t      own_state;          /* the state from your own touches alone */
    int             team_ok;            /* 1: `state` is ok only thanks to the team: your
                                           own state is overdue or due soon, and the
                                           team touched them within the rhythm
                                           (team_last_touch >= as_of - cadence) */
    int64_t         team_last_touch;    /* the team's last touch up to as_of */
    kw_team_touch_kind_t team_touch;    /* what it was */
    kw_person_ref_t team_member;        /* who: a teammate (address NULL, name their
                                           display name or NULL) or a colleague */
    char           *team_member_id;     /* a teammate's member (role) name, NULL for a
                                           colleague */
} kw_reason_t;

typedef struct {
    kw_target_kind_t kind;
    char      *key;           /* the stable key: domain or address (lower-case) */
    char      *display_name;  /* what people recognise: the user's name for it,
                                 else a person's name, else a name derived from
                                 the domain ("brandt-logistik.de" -> "Brandt
                                 Logistik"), else the address */
    int        display_name_user_set; /* 1 when the user gave it (kw_set_name) */
    char     **people;        /* NULL-terminated addresses, most recent first */
    char      *main_person;   /* the address to write to */
    kw_state_t state;
    int64_t    last_touch;    /* last two-way exchange, 0 = none */
    int64_t    last_inbound;
    int64_t    last_outbound;
    int        days_since;    /* whole days from the clock start to as_of */
    int        cadence_days;  /* learned, set or default; see reason.cadence_source */
    int64_t    due_date;      /* clock start + cadence */
    int64_t    snoozed_until; /* 0 = not snoozed */
    int        touches;       /* two-way exchanges in the history */
    double     score;         /* ranking: higher = more valuable and colder */
    kw_reason_t reason;       /* the facts behind the state */
    char      *note;          /* the user's note, or NULL */
    /* The names of `people`, in the same order and as many: the user's name
     * for a person, else the one from their mail, else "" (never NULL
     * entries; NULL-terminated). */
    char     **people_names;
    int        note_from_org; /* `note` is the organisation's (a person at an
                                 organisation without a note of their own) */
    kw_tier_t  tier;          /* the user's tier for it (a person: else their
                                 organisation's), KW_TIER_NONE */
} kw_relationship_t;

typedef struct {
    size_t             count;
    kw_relationship_t *items;
} kw_relationship_list_t;

void kw_relationship_list_free(kw_relationship_list_t *list);
void kw_relationship_free(kw_relationship_t *rel);

typedef enum {
    KW_BY_ORG = 0,    /* organisations, plus freemail people as their own account */
    KW_BY_PERSON = 1  /* every person separately */
} kw_grouping_t;

typedef struct {
    int64_t as_of;                /* required: the model's "now" */
    int     default_cadence_days; /* 0: the store's setting, else 60 */
    int     exact;                /* non-zero: ignore the kept aggregates and
                                     compute from every message (slow; for checks) */
} kw_model_options_t;

/* Load the model as of options->as_of in one read transaction (a
 * consistent snapshot even while a sync commits). Only real relationships
 * are listed: people (not the user's identities, colleagues, lists,
 * automated or role addresses) the user wrote to and who wrote back at
 * least once (outbound-only addresses are prospects). Broadcasts (> 20
 * recipients) and list/auto/auto-reply/bounce mail are never touches.
 * Only interactions up to as_of count: results are reproducible.
 * Returns KW_OK, KW_ERR_USAGE (no options or as_of), KW_ERR_STORE,
 * KW_ERR_STORE_CORRUPT. *model_out: (transfer full) kw_model_free().
 * Threads: a model is immutable once loaded, but answers share scratch
 * state: use one model from one thread at a time. It keeps a pointer to
 * `store` (for timelines): close the store only after freeing the model. */
kw_status_t kw_model_load(kw_store_t *store, const kw_model_options_t *options,
                          kw_model_t **model_out, char **error);
void kw_model_free(kw_model_t *model);
/* The as_of the model was loaded for. */
int64_t kw_model_as_of(const kw_model_t *model);
/* The default cadence in force (the option, else the store's, else 60). */
int kw_model_default_cadence(const kw_model_t *model);

typedef struct {
    kw_grouping_t by;
    unsigned      states;  /* KW_STATE_BIT()s to list; 0: KW_STATES_ATTENTION */
    int           limit;   /* 0: no limit */
    unsigned      tiers;   /* KW_TIER_BIT()s to list (KW_TIER_BIT(KW_TIER_NONE):
                              those without a tier); 0: every tier */
} kw_list_options_t;

/* The relationships in `options->states` and `options->tiers` (NULL
 * options: the default list), ranked: owed replies first
 * (awaiting-your-reply: a question nobody answered is the most urgent item,
 * however late the rest), then your unanswered mail
 * (awaiting-their-reply), then overdue and due-soon together, then ok,
 * snoozed, ignored; within a group by score (most valuable cold
 * relationship first), ties by key. By organisation, a person at an
 * organisation has no row of their own, except one the user ignored or
 * snoozed on their own, listed when snoozed/ignored are asked for (to be
 * brought back).
 * Returns KW_OK, KW_ERR_USAGE (unknown state or tier bits).
 * *out: (transfer full) kw_relationship_list_free(). */
kw_status_t kw_model_relationships(kw_model_t *model, const kw_list_options_t *options,
                                   kw_relationship_list_t **out, char **error);

/* A target, as resolved from what a user typed. */
typedef struct {
    kw_target_kind_t kind;
    char *key;           /* organisation domain or normalised address */
    char *display_name;  /* as in kw_relationship_t */
} kw_target_t;
void kw_target_free(kw_target_t *target);

/* The one resolver of targets, used by every command and action. A target
 * is
 *  - an address in any of its usual forms ("jane@acme.com", "Jane@ACME.com",
 *    "<jane@acme.com>", "mailto:jane@acme.com?subject=x", "Jane Doe
 *    <jane@acme.com>", IDN in Unicode or xn-- form): any address the store
 *    has seen (kind PERSON);
 *  - an organisation domain ("acme.com", "sub.acme.com" names its
 *    organisation, "@acme.com"): when the store has seen an address there
 *    (free-mail domains are not organisations);
 *  - or a name: an organisation's name or the stem of its domain
 *    ("whitfield" for whitfield.co.uk, "Brandt Logistik"), a person's name
 *    ("Alice Jones") or the words of their address ("alice.jones"), in any
 *    case and with or without accents ("jorg" finds "Jörg"). A name that is
 *    exactly one target's (else: whose words all begin words of exactly one
 *    target's name) resolves; several give KW_ERR_AMBIGUOUS.
 * Returns KW_OK, KW_ERR_USAGE (nothing typed, or a broken address),
 * KW_ERR_AMBIGUOUS (several targets match; the message lists a few, and
 * kw_model_find() all), KW_ERR_NOT_FOUND (nothing matches, an address or
 * domain unknown to the store, or a free-mail domain; the message says
 * which, with near misses as "did you mean"). *out: (transfer full)
 * kw_target_free(). */
kw_status_t kw_model_resolve(kw_model_t *model, const char *text, kw_target_t **out,
                             char **error);

/* How a candidate matched what was typed. */
typedef enum {
    KW_MATCH_EXACT = 0, /* the address, the domain, or exactly a name or stem */
    KW_MATCH_WORDS,     /* every word typed begins a word of its name */
    KW_MATCH_SIMILAR    /* a near miss (a typo?): a suggestion, never acted on */
} kw_match_t;

/* What was typed, as kw_model_resolve() read it. */
typedef enum {
    KW_QUERY_NAME = 0,  /* words: names and stems are searched */
    KW_QUERY_ADDRESS,   /* an e-mail address */
    KW_QUERY_DOMAIN     /* a domain name */
} kw_query_t;

typedef struct {
    kw_target_t target;  /* kind, key, display_name */
    kw_match_t  match;
    char       *matched; /* the name (or key) that matched */
} kw_candidate_t;

typedef struct {
    kw_query_t      query;  /* how the text was read */
    int             known;  /* an address or domain the store has seen */
    size_t          total;  /* how many candidates there were */
    size_t          count;  /* how many are in items (at most `max`) */
    kw_candidate_t *items;  /* best first: exact, then words, then similar;
                               within each the busiest (most mail) first */
} kw_candidate_list_t;

/* Everything `text` could mean, for "did you mean" lists: the candidates
 * of the best kind of match there is (every exact match; else every words
 * match; else the similar ones), the first `max` (<= 0: 10) of them. An
 * address or a domain the store knows gives that one target. Only people
 * (not lists, automated addresses, colleagues or yourself) and
 * organisations with people are candidates. Returns KW_OK (the list may be
 * empty), KW_ERR_USAGE (nothing typed, a broken address).
 * *out: (transfer full) kw_candidate_list_free(). */
kw_status_t kw_model_find(kw_model_t *model, const char *text, int max,
                          kw_candidate_list_t **out, char **error);
void kw_candidate_list_free(kw_candidate_list_t *list);

/* One relationship by target (any form kw_model_resolve() takes), whatever
 * its state; prospects too. Returns KW_OK, KW_ERR_USAGE, KW_ERR_NOT_FOUND
 * (unknown, a free-mail domain, or an address that is not a person: the
 * message says which). *out: (transfer full) kw_relationship_free(). */
kw_status_t kw_model_relationship(kw_model_t *model, const char *target,
                                  kw_relationship_t **out, char **error);

/* The relationship a message from `address` belongs to (any form
 * kw_model_resolve() takes, e.g. a From header): its organisation's when
 * the organisation is a relationship, else the person's own.
 * Returns KW_OK, KW_ERR_USAGE (not an address), KW_ERR_NOT_FOUND (no
 * relationship: unknown, noise, a colleague, ...).
 * *out: (transfer full) kw_relationship_free(). */
kw_status_t kw_model_for_sender(kw_model_t *model, const char *address,
                                kw_relationship_t **out, char **error);

/* The timeline behind a relationship: its touches up to as_of, newest
 * first. Mail: same-day bursts and quick back-and-forths collapsed, noise
 * left out; `time` is the touch's first message, `address` the other party
 * (the one who wrote, when they did), `subject` that of the touch's first
 * message. Logged and calendar touches (calls, meetings, ...): one entry
 * each, both ways, `subject` its note or the event's summary, `log_id` its
 * id. Reads the target's messages from the store (the model's store must
 * still be open). Same targets and statuses as kw_model_relationship(),
 * plus KW_ERR_STORE. *out: (transfer full) kw_touch_list_free(). */
typedef struct {
    int64_t time;
    char   *address;     /* the other person */
    int     inbound;     /* they wrote (or it was both ways) */
    int     outbound;    /* you wrote (or it was both ways) */
    char   *subject;     /* sanitised, may be NULL */
    kw_source_t source;
    int64_t log_id;      /* a logged or calendar touch: its id (kw_unlog_touch); 0 for mail */
} kw_touch_t;

typedef struct {
    size_t      count;
    kw_touch_t *items;
} kw_touch_list_t;

kw_status_t kw_model_timeline(kw_model_t *model, const char *target, kw_touch_list_t **out,
                              char **error);
void kw_touch_list_free(kw_touch_list_t *list);

/* The team's touches of a relationship up to as_of, newest first: for each
 * teammate their last exchange (with the person, from their shared records),
 * each teammate's logged call or meeting, and each mail a colleague wrote to
 * its people with you in To or Cc. No network: teammates' records are what
 * the last kw_team_pull() brought. Same targets and statuses as
 * kw_model_timeline(). *out: (transfer full) kw_team_touch_list_free(). */
typedef struct {
    int64_t              time;
    kw_team_touch_kind_t kind;
    kw_person_ref_t      member;    /* a teammate (address NULL; name their display
                                       name or NULL) or a colleague (address, name) */
    char                *member_id; /* a teammate's member (role) name, else NULL */
    char                *person;    /* their side: the customer's address, or NULL */
    char                *subject;   /* copied mail: its subject (sanitised), else NULL */
} kw_team_touch_t;

typedef struct {
    size_t           count;
    kw_team_touch_t *items;
} kw_team_touch_list_t;

kw_status_t kw_model_team_touches(kw_model_t *model, const char *target,
                                  kw_team_touch_list_t **out, char **error);
void kw_team_touch_list_free(kw_team_touch_list_t *list);

/* For the day's list (one decision each, the same on every member's
 * machine). Weeks are ISO weeks (Monday to Sunday, UTC); `week_of` is any
 * time in the week.
 *
 * Whether the team touched `target` (any form kw_model_resolve() takes) in
 * that week, up to the model's as_of: *touched_out 1 or 0. The last touch of
 * each teammate record counts (a teammate's record keeps only their latest
 * exchange), every logged touch, every copied mail.
 * Returns KW_OK, like kw_model_relationship() otherwise. */
kw_status_t kw_model_team_touched_week(kw_model_t *model, const char *target, int64_t week_of,
                                       int *touched_out, char **error);

/* Who on the team gets reactivation candidate `target` in the week of
 * `week_of`: the members holding a relationship with it (the teammates whose
 * pulled records name its organisation, or its address for a free-mail
 * person, and you) are ranked by a hash (SHA-256) of the target's key, the
 * ISO year and week and the member's name, and the highest takes it: every
 * member computes the same owner, owners change week by week, and a member
 * joining or leaving moves only their own share. *mine_out: 1 when it is you
 * (always, without teammates holding it). *member_out (may be NULL): the
 * owner's member name, or NULL when it is you and you have never connected
 * to a team (transfer full, kw_free).
 * Returns KW_OK, like kw_model_relationship() otherwise. */
kw_status_t kw_model_team_owner(kw_model_t *model, const char *target, int64_t week_of,
                                int *mine_out, char **member_out, char **error);

/* Every correspondent (`all` != 0) or only people the user has written to
 * (`all` == 0), ordered by most recent interaction first; counts and dates
 * up to the model's as_of. Returns KW_OK.
 * *out: (transfer full) kw_contact_list_free(). */
kw_status_t kw_model_contacts(kw_model_t *model, int all, kw_contact_list_t **out,
                              char **error);

/* Organisation key for an address ("jane@sub.acme.co.uk" -> "acme.co.uk";
 * freemail -> the address itself). (transfer full) */
char *kw_org_for_address(const char *address);

/* ------------------------------------------------------------------------ */
/* User actions (stored in the database, kept across syncs)                  */
/* ------------------------------------------------------------------------ */
/* TARGET is anything kw_model_resolve() resolves: an address the store
 * knows, an organisation domain, or a name that matches one target;
 * unknown targets (and free-mail domains, which are not organisations) give
 * KW_ERR_NOT_FOUND, names matching several KW_ERR_AMBIGUOUS, with a message
 * naming the target. Settings of an organisation apply to its people;
 * ignoring a person also removes them from their organisation's roll-up.
 * Each call is one BEGIN IMMEDIATE transaction that also records what the
 * setting was before in the store's action log, so that it can be undone
 * (kw_action_undo; the id: kw_store_last_action). Returns KW_OK,
 * KW_ERR_USAGE, KW_ERR_AMBIGUOUS, KW_ERR_NOT_FOUND, KW_ERR_STORE. */

kw_status_t kw_snooze(kw_store_t *store, const char *target, int64_t until, char **error);
kw_status_t kw_unsnooze(kw_store_t *store, const char *target, char **error);
kw_status_t kw_ignore(kw_store_t *store, const char *target, char **error);
kw_status_t kw_unignore(kw_store_t *store, const char *target, char **error);
/* days > 0 sets, days == 0 returns to the learned cadence ("auto"). */
kw_status_t kw_set_cadence(kw_store_t *store, const char *target, int days, char **error);
/* text NULL or "" removes the note. */
kw_status_t kw_set_note(kw_store_t *store, const char *target, const char *text, char **error);
/* The name shown for the target ("Brandt Logistik GmbH"); NULL or "" returns
 * to the derived one. At most 200 bytes of valid UTF-8. */
kw_status_t kw_set_name(kw_store_t *store, const char *target, const char *name, char **error);
/* "No answer needed": the unanswered mail up to `until` (their question the
 * user answered by phone, your offer you will not chase) no longer makes
 * the target awaiting a reply; new mail after it does again. 0 takes it
 * back (the mail is awaited again). */
kw_status_t kw_settle(kw_store_t *store, const char *target, int64_t until, char **error);
/* The target's importance tier; KW_TIER_NONE removes it. */
kw_status_t kw_set_tier(kw_store_t *store, const char *target, kw_tier_t tier, char **error);

/* ---- undo ------------------------------------------------------------------ */

typedef enum {
    KW_ACTION_SNOOZE = 0, /* value: snoozed_until (0 = not snoozed) */
    KW_ACTION_IGNORE,     /* value: 1 ignored, 0 not */
    KW_ACTION_CADENCE,    /* value: days, 0 = learned */
    KW_ACTION_NOTE,       /* text: the note, NULL = none */
    KW_ACTION_NAME,       /* text: the name, NULL = derived */
    KW_ACTION_SETTLE,     /* value: settled_until, 0 = none */
    KW_ACTION_TIER,       /* value: kw_tier_t, 0 = none */
    KW_ACTION_LAST
} kw_action_kind_t;

/* "snooze", "ignore", "cadence", "note", "name", "settle", "tier" (transfer
 * none). */
const char *kw_action_kind_to_string(kw_action_kind_t kind);

typedef struct {
    int64_t          id;
    int64_t          time;        /* when it was done */
    kw_action_kind_t kind;
    char            *target;      /* the settings key: domain or address */
    int64_t          before, after;           /* the value (kinds above) */
    char            *before_text, *after_text; /* NOTE and NAME: may be NULL */
    int64_t          undone;      /* when it was undone, 0 = not */
} kw_action_t;

typedef struct {
    size_t       count;
    kw_action_t *items;
} kw_action_list_t;

/* The id of the last action made through this store handle (0: none).
 * Thread rules of the store. */
int64_t kw_store_last_action(kw_store_t *store);

/* The action log, newest first, at most `limit` (<= 0: 20) entries.
 * Returns KW_OK, KW_ERR_STORE. *out: (transfer full) kw_action_list_free(). */
kw_status_t kw_actions_list(kw_store_t *store, int limit, kw_action_list_t **out, char **error);
void kw_action_list_free(kw_action_list_t *list);
void kw_action_free(kw_action_t *action);

/* Undo action `id` (0: the newest one not undone yet): its setting gets the
 * value it had before, in one BEGIN IMMEDIATE transaction, and the action
 * is marked undone. Only while the setting still has the value the action
 * gave it: an action whose setting was changed again since is not undone
 * (undo the later one first).
 * Returns KW_OK, KW_ERR_NOT_FOUND (no such action, or nothing left to
 * undo), KW_ERR_USAGE (already undone, or changed since: the message says
 * by which action), KW_ERR_STORE. *undone_out (may be NULL): (transfer
 * full) kw_action_free(), the action as it was. */
kw_status_t kw_action_undo(kw_store_t *store, int64_t id, kw_action_t **undone_out, char **error);


typedef struct {
    kw_target_kind_t kind;
    char     *key;
    char     *display_name;
    int       exchanges;   /* two-way exchanges in its history */
    kw_tier_t current;     /* the tier it has now */
    kw_tier_t suggested;
} kw_tier_suggestion_t;

typedef struct {
    size_t                count;
    kw_tier_suggestion_t *items;
} kw_tier_suggestion_list_t;

/* Tiers from volume, for the user to confirm: the relationships (by
 * organisation, as listed) ranked by two-way exchanges; the top 20% are
 * suggested A, the next 30% B, the rest C (the classic ABC split; ties
 * stay together). Relationships that have a tier are listed with it and
 * count in the split. Ignored ones are left out. Most exchanges first.
 * Returns KW_OK. *out: (transfer full) kw_tier_suggestion_list_free(). */
kw_status_t kw_model_suggest_tiers(kw_model_t *model, kw_tier_suggestion_list_t **out,
                                   char **error);
void kw_tier_suggestion_list_free(kw_tier_suggestion_list_t *list);

/* ------------------------------------------------------------------------ */
/* Touches outside mail: calls, meetings, visits                             */
/* ------------------------------------------------------------------------ */
/* A logged touch is a two-way touch: it resets the clock and teaches the
 * rhythm like an exchange of mail, and `overdue`, `show`, the day's list and
 * the plugin all see it at once (its contact's aggregates are recomputed).
 * A touch later than the model's as_of is planned: the relationship is ok
 * until then (kw_reason_t.planned_touch). */

typedef struct {
    int64_t     id;            /* for kw_unlog_touch() */
    kw_source_t source;
    int64_t     time;
    char       *address;       /* the person (normalised) */
    char       *target;        /* what it was logged for: domain or address */
    char       *note;          /* the user's note, or the event's summary; NULL */
    int         from_calendar; /* 1: imported from a calendar (kw_import_ics) */
    char       *calendar_uid;  /* its UID, or NULL */
} kw_logged_touch_t;

typedef struct {
    size_t             count;
    kw_logged_touch_t *items;
} kw_logged_touch_list_t;

/* Record a call, meeting, visit or other touch (`source` other than mail)
 * with TARGET (as kw_model_resolve() takes it) at `time` (UTC seconds).
 * With an organisation it is recorded with the person one writes to there
 * (kw_relationship_t.main_person). `note` may be NULL (at most 4096 bytes
 * of UTF-8 are kept). *id_out (may be NULL) receives its id.
 * One BEGIN IMMEDIATE transaction. Returns KW_OK, KW_ERR_USAGE (mail as the
 * source, no time, bad note), KW_ERR_NOT_FOUND (unknown target, or no
 * person there to have talked to), KW_ERR_STORE. */
kw_status_t kw_log_touch(kw_store_t *store, const char *target, kw_source_t source, int64_t time,
                         const char *note, int64_t *id_out, char **error);

/* Remove a logged (or imported) touch by id; the model recomputes the
 * relationship. *removed (may be NULL) receives what was removed
 * ((transfer full) kw_logged_touch_free). A calendar touch comes back when
 * its calendar is imported again. Returns KW_OK, KW_ERR_NOT_FOUND (no such
 * id), KW_ERR_STORE. */
kw_status_t kw_unlog_touch(kw_store_t *store, int64_t id, kw_logged_touch_t **removed,
                           char **error);
void kw_logged_touch_free(kw_logged_touch_t *touch);

/* The logged and calendar touches of a target (all its people), planned
 * ones included, newest first. Same targets and statuses as
 * kw_model_relationship(), plus KW_ERR_STORE (the model's store must still
 * be open). *out: (transfer full) kw_logged_touch_list_free(). */
kw_status_t kw_model_logged_touches(kw_model_t *model, const char *target,
                                    kw_logged_touch_list_t **out, char **error);
void kw_logged_touch_list_free(kw_logged_touch_list_t *list);

/* ------------------------------------------------------------------------ */
/* Calendars                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    int64_t     as_of;        /* required: "now"; the window is around it */
    int         past_days;    /* occurrences this far back are read; 0: 730 */
    int         future_days;  /* ... and this far ahead (planned); 0: 90 */
    const char *floating_tzid; /* zone of times without one ("Europe/Berlin");
                                  NULL: UTC */
} kw_ics_options_t;

typedef struct {
    int events;          /* VEVENTs in the file (overrides of one occurrence included) */
    int occurrences;     /* occurrences in the window (recurrences expanded) */
    int cancelled;       /* ... left out: cancelled */
    int declined;        /* ... left out: the user declined */
    int with_contacts;   /* ... with at least one known contact */
    int added;           /* touches added (one per occurrence and contact) */
    int updated;         /* ... moved (a changed time) */
    int removed;         /* ... removed (cancelled or declined since, or gone
                            from a series within the window) */
    int unchanged;
} kw_ics_report_t;

/* Import an iCalendar file (RFC 5545): every occurrence of its events within
 * the window whose organizer or attendees include a known contact who is a
 * person (not one of the user's addresses, not a colleague, not a list or
 * an automated address) becomes a meeting touch with that person — past
 * occurrences are touches, future ones planned touches. Recurring events
 * are expanded (RRULE, RDATE, EXDATE, and overrides by RECURRENCE-ID), time
 * zones honoured (the file's VTIMEZONEs, else the system's zone database),
 * addresses read in any case, with or without "mailto:". Cancelled events
 * and occurrences, and those the user (an identity among the attendees)
 * declined, are not counted. Idempotent by UID + occurrence: importing the
 * same file twice changes nothing; a changed file updates what it holds.
 * The whole file is checked before anything is written: a malformed file
 * imports nothing and the error names its line ("FILE:LINE: what").
 * One BEGIN IMMEDIATE transaction. `report` may be NULL.
 * Returns KW_OK, KW_ERR_USAGE (malformed, or no options/as_of),
 * KW_ERR_NOT_FOUND (no such file), KW_ERR_STORE, KW_ERR_INTERNAL (the
 * calendar module cannot be loaded). */
kw_status_t kw_import_ics(kw_store_t *store, const char *path, const kw_ics_options_t *options,
                          kw_ics_report_t *report, char **error);

/* ------------------------------------------------------------------------ */
/* Mail sent from a mail client                                              */
/* ------------------------------------------------------------------------ */

/* Record a message the user just sent, from its header block (the header
 * fields as in the message, CRLF or LF), into the store exactly as a sync of
 * the account's Sent folder would (same parser, identities, noise rules and
 * dedupe keys): the later sync of the Sent folder finds it already there and
 * counts nothing twice. `now` bounds the Date sanity window and replaces an
 * absurd or missing Date. The account is created when unknown. For mail
 * clients (the Claws plugin, the Thunderbird add-on's native host), so that
 * the day's list ticks at once.
 * Returns KW_OK (also when it was already recorded), KW_ERR_USAGE (no
 * usable header, or a From that is not one of the user's addresses:
 * nothing recorded), KW_ERR_STORE, KW_ERR_INTERNAL (the sync module cannot
 * be loaded). */
kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                           size_t len, int64_t now, char **error);

/* ------------------------------------------------------------------------ */
/* The daily routine: a short list a day, rotated, and a streak              */
/* ------------------------------------------------------------------------ */
/* "Ten minutes a day, but regularly": a handful of relationships a day —
 * replies the user owes first (oldest first), then overdue relationships by
 * priority (tier, lateness against the rhythm, depth), then one former
 * customer to reactivate (>= 3 exchanges, silent for more than max(1 year,
 * 4x its rhythm)). Computed once per calendar day and kept, so it does not
 * shift under the user's hands; rotated across days (an item shown rests
 * at least three working days, owed replies excepted; items not shown for
 * a week come first). An item is done when, on its day, the user wrote to
 * anyone there (mail seen by a sync, or kw_record_sent), logged a call,
 * meeting, visit (kw_log_touch) or a calendar holds one, or marked it
 * (kw_today_mark). The streak counts consecutive working days whose list
 * was handled; non-working days and empty lists never break it. An empty
 * list is looked at again on each call of its day (the first look may come
 * before the day's first sync); once it has items it is kept.
 *
 * Days are the user's calendar days: the caller (which knows the user's
 * time zone) passes the day and its bounds. */

typedef enum {
    KW_SLOT_OWED = 0,         /* a reply the user owes */
    KW_SLOT_OVERDUE,          /* overdue (or a follow-up with no answer) */
    KW_SLOT_REACTIVATION,     /* a former customer to win back */
    KW_SLOT_LAST
} kw_slot_t;

/* "owed", "overdue", "reactivation" (transfer none). */
const char *kw_slot_to_string(kw_slot_t slot);

typedef enum {
    KW_HOW_NOT_YET = 0,
    KW_HOW_MAIL,              /* the user wrote */
    KW_HOW_CALL,
    KW_HOW_MEETING,
    KW_HOW_VISIT,
    KW_HOW_OTHER,             /* another logged touch, or marked done */
    KW_HOW_SKIPPED,           /* handled for the day, not a touch */
    KW_HOW_LAST
} kw_how_t;

/* "mail", "call", "meeting", "visit", "other", "skipped"; NULL for
 * KW_HOW_NOT_YET (transfer none). */
const char *kw_how_to_string(kw_how_t how);

/* Weekdays as bits: KW_WEEKDAY_BIT(1) is Monday ... KW_WEEKDAY_BIT(7) Sunday. */
#define KW_WEEKDAY_BIT(d) (1u << (unsigned) (d))
#define KW_WORKDAYS_DEFAULT 0x3eu /* Monday to Friday */

typedef struct {
    int      daily_size;    /* items a day, 1..50; 0 = not set */
    int      daily_minutes; /* or minutes a day, 1..600 (about 2 per item); 0 = not set;
                               daily_size wins when both are set */
    unsigned workdays;      /* KW_WEEKDAY_BIT()s; 0 = not set (Monday to Friday) */
} kw_routine_settings_t;

/* The routine's settings kept in the store (shared by the command, the
 * plugin and cron). Returns KW_OK, KW_ERR_STORE. */
kw_status_t kw_store_get_routine(kw_store_t *store, kw_routine_settings_t *out, char **error);
/* Replace them (0 fields = not set). One BEGIN IMMEDIATE transaction.
 * Returns KW_OK, KW_ERR_USAGE (out of range, read-only), KW_ERR_STORE. */
kw_status_t kw_store_set_routine(kw_store_t *store, const kw_routine_settings_t *settings,
                                 char **error);

/* A calendar day of the user and its bounds. */
typedef struct {
    int     year, month, day;
    int64_t start, end;       /* UTC seconds: [start, end) */
} kw_day_t;

/* The calendar day holding `t` in the process's local time zone (TZ), with
 * its bounds (a day of 23 or 25 hours at a DST change). For callers that
 * speak for the user (the command, the plugin); the rest of the library
 * never looks at the time zone. Thread-safe (localtime_r, mktime). */
void kw_day_local(int64_t t, kw_day_t *day);

typedef struct {
    kw_target_kind_t kind;
    char        *key;
    char        *display_name;
    kw_slot_t    slot;
    kw_how_t     how;          /* KW_HOW_NOT_YET while not done */
    int64_t      done_at;      /* when, 0 while not done */
    kw_state_t   state;        /* its state now (or when listed, without `rel`) */
    kw_relationship_t *rel;    /* the relationship as of the model's as_of
                                  (transfer none, owned by the list); NULL when
                                  the target is no relationship any more */
} kw_today_item_t;

typedef struct {
    char    date[11];          /* YYYY-MM-DD */
    int     size;              /* items listed */
    int     done;              /* of which done or skipped */
    int     streak;            /* consecutive handled working days, today
                                  included once it is handled */
    int     longest_streak;
    int     minutes_per_item;  /* for "about N minutes left" */
    size_t  count;
    kw_today_item_t *items;
} kw_today_t;

/* The day's list for `day` (computed and kept when the store has none for
 * it yet; BEGIN IMMEDIATE), its items' current state from `model` (loaded
 * on `store` for an as_of within or after the day), what was done — mail,
 * touches and marks between the day's start and the model's as_of — and
 * the streak. `size` > 0 asks for that many items instead of the store's
 * setting (only when the list is first computed). The store must be
 * read-write. Threads: as for the store and the model.
 * Returns KW_OK, KW_ERR_USAGE (no model, a read-only store, a bad day),
 * KW_ERR_STORE. *out: (transfer full) kw_today_free(). */
kw_status_t kw_today(kw_store_t *store, kw_model_t *model, const kw_day_t *day, int size,
                     kw_today_t **out, char **error);
void kw_today_free(kw_today_t *today);

/* Mark TARGET on the day's list as done (KW_HOW_OTHER: handled in a way
 * keepwarm does not see; no touch is recorded — kw_log_touch() records one
 * and ticks the item itself) or skipped for the day (KW_HOW_SKIPPED: handled,
 * not a touch). TARGET is anything kw_model_resolve() takes; a person
 * matches the item of their organisation. An item already done by what the
 * user did (mail, a call...) stays so. Computes the day's list first when
 * there is none. Returns KW_OK, KW_ERR_USAGE (another `how`),
 * KW_ERR_NOT_FOUND (not on that day's list: the message says so),
 * KW_ERR_STORE. */
kw_status_t kw_today_mark(kw_store_t *store, kw_model_t *model, const kw_day_t *day,
                          const char *target, kw_how_t how, char **error);

typedef struct {
    int64_t start, end;   /* the week's bounds as given */
    int     listed;       /* items on the week's lists */
    int     done;         /* ... done (not skipped) */
    int     skipped;
    int     brought_back; /* overdue at the start, ok at the end */
    int     overdue_end;  /* relationships overdue at the end */
} kw_review_week_t;

typedef struct {
    size_t            count;
    kw_review_week_t *weeks;
} kw_review_t;

/* The effort and its effect, week by week: `bounds` holds n + 1 increasing
 * times (the weeks' starts, then the last one's end; the caller's local
 * Mondays). For each week: items listed, done and skipped (day lists whose
 * day starts within it), how many relationships went from overdue (at its
 * start) to ok (at its end), and how many were overdue at its end — the
 * model as of each bound (a past one is computed from the messages).
 * `default_cadence_days` as in kw_model_options_t. Returns KW_OK,
 * KW_ERR_USAGE (fewer than two bounds, not increasing), KW_ERR_STORE.
 * *out: (transfer full) kw_review_free(). */
kw_status_t kw_review(kw_store_t *store, const int64_t *bounds, size_t n_bounds,
                      int default_cadence_days, kw_review_t **out, char **error);
void kw_review_free(kw_review_t *review);

/* ------------------------------------------------------------------------ */
/* Team: sharing on the team's own PostgreSQL server                         */
/* ------------------------------------------------------------------------ */
/* A team shares aggregates (never subjects, message ids, bodies or notes) on
 * a PostgreSQL server (13 or newer) it runs itself. Row-level security on the
 * server lets each member write only their own rows and read the team's.
 * The local store stays the truth: kw_team_stage() records what changed in a
 * local outbox, kw_team_push() sends it as idempotent upserts (it waits in the
 * outbox while the server is away), kw_team_pull() copies the teammates'
 * records into the local store, where kw_team_records() reads them offline.
 *
 * Connections: TLS with the certificate chain and host name verified
 * (sslmode=verify-full) before any credential is sent; plaintext or a weaker
 * sslmode only to a loopback address or a Unix socket (KW_ERR_INSECURE
 * otherwise, before connecting). A password in the URL is refused.
 * Network statuses of every kw_team_* function that connects: KW_ERR_USAGE
 * (bad URL or arguments), KW_ERR_INSECURE, KW_ERR_TLS, KW_ERR_AUTH (wrong or
 * missing password, not a member (any more), permission denied),
 * KW_ERR_NETWORK (cannot connect, connection lost, timeout), KW_ERR_SERVER
 * (an SQL error, the team schema is missing, older or newer than this
 * keepwarm: the message says which), KW_ERR_NOMEM.
 * Threads: like the store — one thread at a time per kw_store_t; every call
 * opens and closes its own server connection. */

typedef struct {
    const char *url;       /* required: "postgresql://jan@db.example.com/sales" or
                              "host=... dbname=... user=..." — without a password */
    const char *password;  /* NULL when the server asks for none (certificates,
                              ~/.pgpass). (transfer none; never copied or kept) */
    const char *ca_file;   /* PEM trust anchors; NULL: the URL's sslrootcert, else
                              the system bundle */
    int         timeout_s; /* bound on every network wait; 0 = 30 */
    const char *user;      /* the member (role) to log in as; NULL: the URL's user */
} kw_team_server_t;

/* The server schema version this build writes. */
int kw_team_schema_version(void);

/* Admin: create or upgrade the team schema (schema "keepwarm" in the URL's
 * database, a group role for the members, row-level security). Run as a role
 * that owns the database and has CREATEROLE. Idempotent; concurrent runs
 * serialise. *version_out (may be NULL) receives the schema version now.
 * Returns KW_OK, the network statuses above (KW_ERR_SERVER when the schema is
 * newer than this keepwarm: nothing is changed). */
kw_status_t kw_team_init(const kw_team_server_t *server, int *version_out, char **error);

/* Admin: make `member` (a role name: lower-case letters, digits, _ . -; at
 * most 63 bytes) a member. The login role is created when missing (with
 * member_password, sent as a SCRAM verifier computed here, or without a
 * password for certificate/GSSAPI logins); an existing role just gets the
 * team's grants (and member_password, when given). Superusers and roles that
 * bypass row-level security are refused. display_name (may be NULL) is how
 * teammates see the member. Idempotent.
 * Returns KW_OK, KW_ERR_USAGE (bad name), the network statuses above. */
kw_status_t kw_team_add_member(const kw_team_server_t *server, const char *member,
                               const char *display_name, const char *member_password,
                               char **error);

/* Admin: remove `member`: their shared rows are deleted (teammates' next pull
 * drops them), the team's grants revoked, their sessions ended where the
 * admin may, and the login role dropped when kw_team_add_member created it.
 * *note_out (may be NULL): a sentence when the role could not be dropped
 * (then it can no longer log in) (transfer full, kw_free), else NULL.
 * Returns KW_OK, KW_ERR_NOT_FOUND (not a member), the network statuses. */
kw_status_t kw_team_remove_member(const kw_team_server_t *server, const char *member,
                                  char **note_out, char **error);

typedef enum {
    KW_TEAM_RECORD_ORG = 0,    /* an organisation the member has a relationship with */
    KW_TEAM_RECORD_PERSON = 1, /* one person (address) at an organisation */
    KW_TEAM_RECORD_TOUCH = 2   /* a call, meeting or visit (logged, or a calendar's
                                  once it took place): kind, time, person, never the note */
} kw_team_record_kind_t;

/* "org", "person", "touch" (transfer none). */
const char *kw_team_record_kind_to_string(kw_team_record_kind_t kind);

/* One shared record: exactly the fields that go to the server. */
typedef struct {
    kw_team_record_kind_t kind;
    char      *member;        /* pulled records: the teammate's role name; NULL for yours */
    char      *member_name;   /* pulled records: their display name, or NULL */
    char      *key;           /* org: the organisation key; person: the address;
                                 touch: an identifier unique per member */
    char      *org;           /* organisation key (for a free-mail person, the address) */
    char      *person;        /* person/touch: the address; org: NULL */
    char      *name;          /* person: display name, or NULL */
    int64_t    last_inbound;  /* org/person: last message from them, 0 = never */
    int64_t    last_outbound; /* last message to them, 0 = never */
    int64_t    last_exchange; /* last two-way exchange, 0 = none */
    int        exchanges;     /* two-way exchanges in the history */
    int        cadence_days;  /* the rhythm (learned or set) */
    kw_state_t state;         /* org/person: the state as of the export */
    char      *touch_kind;    /* touch: "call", "meeting", ...; else NULL */
    int64_t    touch_time;    /* touch: when; else 0 */
    int64_t    updated;       /* pulled records: when the teammate last changed it */
} kw_team_record_t;

typedef struct {
    size_t            count;
    kw_team_record_t *items;
} kw_team_record_list_t;

void kw_team_record_list_free(kw_team_record_list_t *list);

/* What this user would share right now (as of `as_of`), whatever the share
 * setting: organisation and person records of every relationship that is
 * not ignored (colleagues, lists, automated senders and prospects are never
 * relationships). Reads the store only. Ordered by kind, then key.
 * Returns KW_OK, KW_ERR_USAGE, KW_ERR_STORE. *out: (transfer full)
 * kw_team_record_list_free(). */
kw_status_t kw_team_shared_records(kw_store_t *store, int64_t as_of,
                                   kw_team_record_list_t **out, char **error);

/* Compare what is shared now (nothing when `share` is 0: sharing off) with
 * what was staged before, and queue the differences (new or changed records,
 * removed ones) in the local outbox, in one BEGIN IMMEDIATE transaction.
 * *changes_out (may be NULL): how many records changed.
 * Returns KW_OK, KW_ERR_USAGE, KW_ERR_STORE. */
kw_status_t kw_team_stage(kw_store_t *store, int share, int64_t as_of, int64_t *changes_out,
                          char **error);

typedef struct {
    int64_t upserts;   /* records written (or confirmed) on the server */
    int64_t deletes;   /* records removed from the server */
    int64_t pending;   /* changes still waiting in the outbox afterwards */
} kw_team_push_report_t;

/* Send the outbox (what kw_team_stage queued; nothing is staged here) to the
 * server in one server transaction (upserts that change nothing when the row
 * is already equal, so a repeated push is harmless), then drop what was sent
 * from the outbox. When the connection
 * fails anywhere, nothing is lost: the outbox keeps everything for the next
 * push. The first push to a server (or after the server's team was
 * re-created) replaces all of this member's rows there.
 * The outcome is recorded in the store for kw_team_status_get().
 * `report` may be NULL; filled on failure too.
 * Returns KW_OK, KW_ERR_STORE, the network statuses above. */
kw_status_t kw_team_push(kw_store_t *store, const kw_team_server_t *server,
                         kw_team_push_report_t *report, char **error);

typedef struct {
    int64_t records;   /* teammates' records received (new or changed) */
    int64_t deleted;   /* records teammates removed */
    int64_t members;   /* members of the team */
    int     full;      /* 1: everything was read (first pull, or the server changed) */
} kw_team_pull_report_t;

/* Copy the teammates' records changed since the last pull (and their
 * removals) into the local store, in one server snapshot and one local
 * transaction; an interrupted pull changes nothing locally.
 * `report` may be NULL. Returns KW_OK, KW_ERR_STORE, the network statuses. */
kw_status_t kw_team_pull(kw_store_t *store, const kw_team_server_t *server,
                         kw_team_pull_report_t *report, char **error);

/* What `keepwarm sync` does after a sync, over one connection: stage (with
 * `share`, as of `as_of`; locally, so it waits in the outbox if the server is
 * away), push, then pull. A failed push skips the pull. `push`/`pull` may be
 * NULL; push->pending is set on failure too. Returns like kw_team_push. */
kw_status_t kw_team_sync(kw_store_t *store, const kw_team_server_t *server, int share,
                         int64_t as_of, kw_team_push_report_t *push,
                         kw_team_pull_report_t *pull, char **error);

/* Teammates' records pulled into the store (no network): all of them
 * (org == NULL) or those of one organisation (an organisation domain, a
 * domain below it, or an address: its organisation); ordered by org, kind,
 * key, member. A state name this version does not know reads as KW_STATE_OK.
 * *out: (transfer full) kw_team_record_list_free().
 * Returns KW_OK, KW_ERR_USAGE (not a domain or address), KW_ERR_STORE. */
kw_status_t kw_team_records(kw_store_t *store, const char *org, kw_team_record_list_t **out,
                            char **error);

typedef struct {
    char   *server;          /* the server of the last push/pull ("host:port/db"), or NULL */
    char   *member;          /* your role name there, or NULL (never connected) */
    int64_t shared;          /* records staged for sharing */
    int64_t pending;         /* changes waiting for the next push */
    int64_t last_stage;      /* times (UTC s), 0 = never */
    int64_t last_push;       /* last successful push */
    int64_t last_pull;       /* last successful pull */
    int64_t last_error_time; /* last failed push or pull, 0 = none since the last success */
    char   *last_error;      /* its message, or NULL */
    int64_t team_records;    /* teammates' records in the store */
    int64_t teammates;       /* teammates with records in the store */
} kw_team_status_t;

/* The local picture (no network). *out: (transfer full) kw_team_status_free().
 * Returns KW_OK, KW_ERR_USAGE, KW_ERR_STORE. */
kw_status_t kw_team_status_get(kw_store_t *store, kw_team_status_t **out, char **error);
void kw_team_status_free(kw_team_status_t *status);

#ifdef __cplusplus
}
#endif
#endif /* KEEPWARM_H */
