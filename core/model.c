/* SPDX-License-Identifier: GPL-3.0-or-later */
/* model.c — the relationship model over the store: one handle per view
 * (kw_model_load), answered from memory; and the aggregates that make the
 * load cost O(contacts) instead of O(messages).
 *
 * Loading reads, in one read transaction: the store's options, identities
 * and own domains (who is "self" and who is a colleague), the settings, the
 * contacts, and the kept aggregates:
 *
 *   contact_agg  per contact, over its interactions up to when they were
 *                kept: the raw counts the classification needs, the counted
 *                activity, the time of its newest interaction and of the
 *                first one still ahead then (a planned meeting), and the
 *                history part of its kw_rel_summary_t (relationship.h) as a
 *                person;
 *   org_agg      per organisation: the history of its roll-up (the merged
 *                events of its members) and a digest of the members it was
 *                computed from.
 *
 * The history part of a summary depends only on the events up to as_of, so
 * a stored one is exact for every as_of from the contact's newest kept
 * interaction up to (not including) the first one that was still ahead; the
 * cadence, settings and verdict (kw_rel_judge) are applied at load, O(1) per
 * relationship. A contact is computed from its events ("exact") instead
 * when it is marked dirty (its interactions changed since the aggregates
 * were computed), has no aggregate yet, has mail newer than as_of (a past
 * --as-of), or a planned meeting kept as ahead has passed by as_of. An
 * organisation is exact when one of its
 * members is, when it has no aggregate, or when its members differ from
 * those the aggregate was computed from (an ignored person, a changed own
 * domain): the loader checks membership itself, so settings never have to
 * invalidate anything for correctness. When many contacts need their events,
 * one ordered scan of the whole interactions table replaces the per-contact
 * reads; `exact` in the options forces that scan (the differential tests).
 *
 * A writer keeps the aggregates current: the sync marks the contacts whose
 * interactions it writes (kw_store_mark_contact, committed with the batch),
 * recomputing the interactions (identities) invalidates them all, and
 * kw_model_refresh_aggregates(), run when a read-write store is closed,
 * recomputes what is marked through this same loader (as of now) and writes
 * it back.
 * A reader never writes.
 *
 * Who is a relationship (and why):
 *  - kind person only: the user's identities are "self"; role/no-reply
 *    addresses and senders whose inbound mail is mostly automated are
 *    "automated"; senders whose inbound mail is mostly list/bulk are "list";
 *    anyone at a colleague domain (kw_store_colleague_domains(): the
 *    own domains plus the registrable domains of the user's non-freemail
 *    identities, or nobody when own domains are set to nothing) is a
 *    "colleague".
 *  - the user must have written to them (a counted outbound message:
 *    no broadcast) — otherwise they never chose the relationship;
 *  - and they must have written back at least once (a counted inbound
 *    message): outbound-only addresses are prospects (cold outreach never
 *    answered), never listed as overdue and not part of their organisation's
 *    roll-up. `kw_model_relationship` still answers for them.
 *  - ignoring an address also takes that person out of their organisation's
 *    roll-up (someone who left, or a private contact at a customer).
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "autoreply.h"
#include "classify.h"
#include "header_parse.h"
#include "model.h"
#include "relationship.h"
#include "sanitize.h"
#include "store.h"
#include "team.h"

/* Inbound flags that make a sender a list, or automated (auto-replies of a
 * real person on holiday do not make them automated). */
#define LIST_FLAGS (KW_MSG_LIST | KW_MSG_BULK)
#define AUTO_FLAGS (KW_MSG_AUTO | KW_MSG_BOUNCE)

/* The format of contact_agg/org_agg blobs; a store holding another version
 * (or none) has its aggregates recomputed by the next writer. */
#define AGG_VERSION 4
/* Above this share of contacts needing their events, one scan of the whole
 * interactions table is cheaper than reading them contact by contact. */
#define SCAN_SHARE 8

typedef struct {
    int64_t snoozed_until;
    int     ignored;
    int     cadence_days;
    int64_t settled_until;
    char   *note;
    char   *name;
    kw_tier_t tier;
} setting_t;

/* Raw and counted activity of a contact (every interaction up to as_of). */
typedef struct {
    int64_t n_in, n_out, last_in, last_out;
    int64_t n_in_list, n_in_auto;
    int64_t c_in, c_out, c_last;   /* counted (kw_rel_event_counts) */
    int64_t newest;                /* newest interaction of any kind */
    int64_t pending;               /* the first interaction after the as_of they
                                      were computed for (a planned meeting), 0 */
} stats_t;

typedef struct {
    int64_t     id;
    const char *email;        /* (m->chunk) */
    const char *name;         /* (m->chunk) or NULL */
    const char *org;          /* (m->chunk) org key: registrable domain, or the email
                                 (freemail); NULL until contact_org() */
    unsigned    freemail : 1; /* valid once org is set */
    unsigned    classified : 1; /* kind is set (contact_kind()) */
    unsigned    dirty : 1;    /* marked in agg_dirty */
    unsigned    exact : 1;    /* stats and history come from its events */
    unsigned    loaded : 1;   /* ev/n_ev hold its events up to as_of */
    unsigned    member : 1;   /* part of its organisation's roll-up */
    unsigned    copied_class : 2; /* 0 unknown, 1 a colleague by the copied rule, 2 not */
    kw_contact_kind_t kind;
    stats_t     st;
    const unsigned char *agg; /* history part of the stored aggregate (m->chunk), or NULL */
    size_t      agg_len;
    kw_rel_event_t *ev;
    size_t      n_ev;
    int64_t     planned;      /* first touch planned after as_of (touches), 0 */
    kw_source_t planned_source;
} contact_t;

typedef struct {
    const char *key;          /* (m->chunk) */
    GArray     *members;      /* size_t contact indexes, ascending */
    uint64_t    digest;       /* of the member ids */
    const unsigned char *agg; /* stored history (m->chunk), or NULL */
    size_t      agg_len;
    uint64_t    agg_digest;
    int         exact;
} org_t;

/* A colleague's mail to a contact with the user in To or Cc (local team
 * evidence, see "Team" below). */
typedef struct {
    size_t  contact;          /* the recipient (contact index) */
    size_t  colleague;        /* the From (contact index) */
    int64_t date;
    int64_t message_id;
} copied_t;

struct kw_model {
    kw_store_t   *store;
    int64_t       as_of;
    int           default_cadence;
    int           agg_valid;  /* the stored aggregates have this build's format */
    int           scanned;    /* every contact came from the full scan */
    int           contacts_only; /* loaded for resolving addresses: no history */
    GStringChunk *chunk;
    contact_t    *contacts;   /* ordered by id */
    size_t        n_contacts;
    GHashTable   *settings;   /* target -> setting_t* */
    GHashTable   *identities; /* email set */
    GHashTable   *colleagues; /* registrable domain set */
    GHashTable   *org_cache;  /* domain -> org domain (chunk), "" when freemail */
    GHashTable   *orgs;       /* org key -> org_t*, organisations with members */
    GPtrArray    *org_list;   /* the same, in order of their first member */
    GHashTable   *by_email;   /* email -> index + 1, built on first use */
    kw_rel_event_t *scan_events;
    GPtrArray    *owned;      /* per-contact event arrays */
    sqlite3_stmt *ev_stmt;    /* events of one contact */
    /* The team (see "Team" below). */
    kw_team_lookup_t *team;   /* teammates' pulled records, or NULL when there are none */
    char         *copied_rule;      /* identities and colleague domains now */
    char         *copied_kept_rule; /* what team_copied was computed with, or NULL */
    int64_t       copied_upto;      /* messages.id team_copied covers (-1: none) */
    int64_t       copied_seen;      /* the highest messages.id this model looked at */
    int           copied_kept;      /* team_copied is valid: read it, plus `copied` */
    int           copied_any_kept;  /* team_copied has rows */
    GArray       *copied;           /* copied_t not in team_copied (all of them when
                                       it is not valid), by contact, date, message */
    int           own_view;         /* kw_model_own_view(): no team evidence */
    sqlite3_stmt *copied_latest;    /* team_copied: newest row of a contact */
    sqlite3_stmt *copied_all;       /* team_copied: rows of a contact */
};

/* An entity: a set of contacts computed as one relationship. */
typedef struct {
    kw_target_kind_t kind;
    const char *key;          /* org key or address (transfer none) */
    const size_t *members;    /* contact indexes */
    size_t      n_members;
    org_t      *org;          /* the kept organisation, or NULL (a person, or ad hoc) */
} entity_t;

static void setting_free(gpointer p)
{
    setting_t *s = p;
    if (s) {
        g_free(s->note);
        g_free(s->name);
        g_free(s);
    }
}

static void org_free(gpointer p)
{
    org_t *o = p;
    if (o) {
        g_array_free(o->members, TRUE);
        g_free(o);
    }
}

KW_PUBLIC void kw_model_free(kw_model_t *m)
{
    if (!m)
        return;
    if (m->ev_stmt)
        sqlite3_finalize(m->ev_stmt);
    kw_team_lookup_free(m->team);
    sqlite3_finalize(m->copied_latest);
    sqlite3_finalize(m->copied_all);
    if (m->copied)
        g_array_free(m->copied, TRUE);
    g_free(m->copied_rule);
    g_free(m->copied_kept_rule);
    g_free(m->contacts);
    g_free(m->scan_events);
    if (m->owned)
        g_ptr_array_free(m->owned, TRUE);
    if (m->settings)
        g_hash_table_destroy(m->settings);
    if (m->identities)
        g_hash_table_destroy(m->identities);
    if (m->colleagues)
        g_hash_table_destroy(m->colleagues);
    if (m->org_cache)
        g_hash_table_destroy(m->org_cache);
    if (m->orgs)
        g_hash_table_destroy(m->orgs);
    if (m->org_list)
        g_ptr_array_free(m->org_list, TRUE);
    if (m->by_email)
        g_hash_table_destroy(m->by_email);
    if (m->chunk)
        g_string_chunk_free(m->chunk);
    g_free(m);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *) sqlite3_column_text(st, i);
}

/* ------------------------------------------------------------------------ */
/* Packing the aggregates: zigzag LEB128 varints                             */
/* ------------------------------------------------------------------------ */

static void put_i64(GByteArray *out, int64_t v)
{
    uint64_t z = ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
    guint8 buf[10];
    guint n = 0;
    do {
        guint8 b = z & 0x7f;
        z >>= 7;
        buf[n++] = b | (z ? 0x80 : 0);
    } while (z);
    g_byte_array_append(out, buf, n);
}

typedef struct {
    const unsigned char *p, *end;
    int bad;
} reader_t;

static int64_t get_i64(reader_t *r)
{
    uint64_t z = 0;
    int shift = 0;
    for (;;) {
        if (r->p >= r->end || shift > 63) {
            r->bad = 1;
            return 0;
        }
        z |= (uint64_t) (*r->p & 0x7f) << shift;
        if (!(*r->p++ & 0x80))
            break;
        shift += 7;
    }
    return (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
}

static void put_stats(GByteArray *out, const stats_t *s)
{
    put_i64(out, s->n_in);
    put_i64(out, s->n_out);
    put_i64(out, s->last_in);
    put_i64(out, s->last_out);
    put_i64(out, s->n_in_list);
    put_i64(out, s->n_in_auto);
    put_i64(out, s->c_in);
    put_i64(out, s->c_out);
    put_i64(out, s->c_last);
    put_i64(out, s->newest);
    put_i64(out, s->pending);
}

static void get_stats(reader_t *r, stats_t *s)
{
    s->n_in = get_i64(r);
    s->n_out = get_i64(r);
    s->last_in = get_i64(r);
    s->last_out = get_i64(r);
    s->n_in_list = get_i64(r);
    s->n_in_auto = get_i64(r);
    s->c_in = get_i64(r);
    s->c_out = get_i64(r);
    s->c_last = get_i64(r);
    s->newest = get_i64(r);
    s->pending = get_i64(r);
}

/* Person references are contact indexes in memory and contact ids on disk. */
static int64_t person_id(const kw_model_t *m, int person)
{
    return person >= 0 && (size_t) person < m->n_contacts ? m->contacts[person].id : -1;
}

static int person_index(const kw_model_t *m, int64_t id)
{
    size_t lo = 0, hi = m->n_contacts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->contacts[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_contacts && m->contacts[lo].id == id ? (int) lo : -1;
}

/* The history part of a summary (relationship.h); the rest is kw_rel_judge's. */
static void put_history(GByteArray *out, const kw_model_t *m, const kw_rel_summary_t *h)
{
    put_i64(out, h->inbound);
    put_i64(out, h->outbound);
    put_i64(out, h->touches);
    put_i64(out, h->exchanges);
    put_i64(out, h->two_way_touches);
    put_i64(out, h->first_exchange);
    put_i64(out, h->last_exchange);
    put_i64(out, person_id(m, h->last_exchange_person));
    put_i64(out, h->last_in);
    put_i64(out, person_id(m, h->last_in_person));
    put_i64(out, h->last_out);
    put_i64(out, person_id(m, h->last_out_person));
    put_i64(out, h->unanswered);
    put_i64(out, h->unanswered_since);
    put_i64(out, person_id(m, h->unanswered_person));
    put_i64(out, h->reply_samples);
    put_i64(out, h->their_reply_days);
    put_i64(out, h->learned_cadence_days);
    put_i64(out, h->unanswered_last);
    put_i64(out, h->unanswered_touches);
    put_i64(out, h->last_autoreply);
    put_i64(out, person_id(m, h->last_autoreply_person));
    put_i64(out, h->last_exchange_source);
}

static int get_history(const kw_model_t *m, const unsigned char *p, size_t len,
                       kw_rel_summary_t *h)
{
    reader_t r = { p, p + len, 0 };
    memset(h, 0, sizeof *h);
    h->inbound = (int) get_i64(&r);
    h->outbound = (int) get_i64(&r);
    h->touches = (int) get_i64(&r);
    h->exchanges = (int) get_i64(&r);
    h->two_way_touches = (int) get_i64(&r);
    h->first_exchange = get_i64(&r);
    h->last_exchange = get_i64(&r);
    h->last_exchange_person = person_index(m, get_i64(&r));
    h->last_in = get_i64(&r);
    h->last_in_person = person_index(m, get_i64(&r));
    h->last_out = get_i64(&r);
    h->last_out_person = person_index(m, get_i64(&r));
    h->unanswered = (kw_waiting_t) get_i64(&r);
    h->unanswered_since = get_i64(&r);
    h->unanswered_person = person_index(m, get_i64(&r));
    h->reply_samples = (int) get_i64(&r);
    h->their_reply_days = (int) get_i64(&r);
    h->learned_cadence_days = (int) get_i64(&r);
    h->unanswered_last = get_i64(&r);
    h->unanswered_touches = (int) get_i64(&r);
    h->last_autoreply = get_i64(&r);
    h->last_autoreply_person = person_index(m, get_i64(&r));
    h->last_exchange_source = (kw_source_t) get_i64(&r);
    return !r.bad && r.p == r.end;
}

/* Order-independent digest of a set of contact ids (splitmix64 per id). */
static uint64_t id_mix(int64_t id)
{
    uint64_t z = (uint64_t) id + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */
/* ------------------------------------------------------------------------ */

/* Organisation domain of the domain of `email` (chunk), or "" for a
 * freemail domain; one public-suffix lookup per distinct domain. */
static const char *org_domain(kw_model_t *m, const char *email)
{
    const char *domain = kw_email_domain(email);
    const char *v = g_hash_table_lookup(m->org_cache, domain);
    if (!v) {
        char *org = kw_org_key(email); /* the address itself for freemail */
        v = g_string_chunk_insert_const(m->chunk, !org ? domain : strcmp(org, email) == 0 ? "" : org);
        g_free(org);
        g_hash_table_insert(m->org_cache, (gpointer) g_string_chunk_insert_const(m->chunk, domain),
                            (gpointer) v);
    }
    return v;
}

static kw_status_t load_options(kw_model_t *m, int *version, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc, cadence = 0;

    *version = 0;
    m->copied_upto = -1;
    s = kw_store_prepare(m->store, "SELECT key, value FROM preferences", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = col_text(st, 0);
        if (!name)
            continue;
        if (strcmp(name, "agg_version") == 0)
            *version = sqlite3_column_int(st, 1);
        else if (strcmp(name, "team_copied_upto") == 0)
            m->copied_upto = sqlite3_column_int64(st, 1);
        else if (strcmp(name, "team_copied_rule") == 0 && col_text(st, 1))
            m->copied_kept_rule = g_strdup(col_text(st, 1));
        else if (strcmp(name, "default_cadence_days") == 0)
            cadence = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading preferences", error);
    if (m->default_cadence <= 0)
        m->default_cadence = cadence > 0 ? cadence : KW_DEFAULT_CADENCE_DAYS;
    return KW_OK;
}

static kw_status_t load_identities(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_colleague_domain_list_t *colleagues = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store, "SELECT DISTINCT email FROM identities", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *email = col_text(st, 0);
        if (email)
            g_hash_table_add(m->identities, g_ascii_strdown(email, -1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading identities", error);

    /* the colleague rule (own domains, identity domains, or nobody) is
     * identity.c's, shared with `keepwarm identity own-domain list` */
    s = kw_store_colleague_domains(m->store, &colleagues, error);
    if (s != KW_OK)
        return s;
    for (size_t i = 0; i < colleagues->count; i++)
        g_hash_table_add(m->colleagues, g_strdup(colleagues->items[i].domain));
    kw_colleague_domain_list_free(colleagues);
    return KW_OK;
}

static kw_status_t load_settings(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store,
                         "SELECT target, snoozed_until, ignored, cadence_days, note, display_name, "
                         "settled_until, tier FROM settings",
                         &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        setting_t *set;
        if (!col_text(st, 0))
            continue;
        set = g_new0(setting_t, 1);
        set->snoozed_until = sqlite3_column_int64(st, 1);
        set->ignored = sqlite3_column_int(st, 2) != 0;
        set->cadence_days = sqlite3_column_int(st, 3);
        set->note = col_text(st, 4) && *col_text(st, 4) ? g_strdup(col_text(st, 4)) : NULL;
        set->name = col_text(st, 5) && *col_text(st, 5) ? g_strdup(col_text(st, 5)) : NULL;
        set->settled_until = sqlite3_column_int64(st, 6);
        set->tier = (kw_tier_t) sqlite3_column_int(st, 7);
        if (set->tier < KW_TIER_NONE || set->tier > KW_TIER_C)
            set->tier = KW_TIER_NONE;
        g_hash_table_replace(m->settings, g_strdup(col_text(st, 0)), set);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading settings", error);
    return KW_OK;
}

static const setting_t *setting_for(const kw_model_t *m, const char *target)
{
    return target ? g_hash_table_lookup(m->settings, target) : NULL;
}

static kw_status_t load_contacts(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store, "SELECT id, email, name FROM contacts ORDER BY id", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        contact_t *c;
        const char *email = col_text(st, 1), *name = col_text(st, 2);
        if (!email || !kw_email_domain(email))
            continue;
        if (m->n_contacts == cap) {
            cap = cap ? cap * 2 : 256;
            m->contacts = g_renew(contact_t, m->contacts, cap);
        }
        c = &m->contacts[m->n_contacts++];
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(st, 0);
        c->email = g_string_chunk_insert(m->chunk, email);
        c->name = name && *name ? g_string_chunk_insert(m->chunk, name) : NULL;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading contacts", error);
    return KW_OK;
}

/* The kept per-contact aggregates, merge-joined with the contacts (both
 * ordered by id), and the marks of contacts whose aggregate is stale. */
static kw_status_t load_contact_aggs(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    size_t ci = 0;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store, "SELECT contact_id, agg FROM contact_agg ORDER BY contact_id",
                         &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const unsigned char *blob = sqlite3_column_blob(st, 1);
        reader_t r = { blob, blob + sqlite3_column_bytes(st, 1), !blob };
        contact_t *c;
        while (ci < m->n_contacts && m->contacts[ci].id < id)
            ci++;
        if (ci == m->n_contacts)
            break;
        if (m->contacts[ci].id != id)
            continue;
        c = &m->contacts[ci];
        get_stats(&r, &c->st);
        if (r.bad) {
            /* unreadable: compute this contact from its events */
            memset(&c->st, 0, sizeof c->st);
            c->dirty = 1;
            continue;
        }
        c->agg_len = (size_t) (r.end - r.p);
        c->agg = (const unsigned char *) g_string_chunk_insert_len(m->chunk, (const char *) r.p,
                                                                   (gssize) c->agg_len);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return kw_store_fail(m->store, rc, "reading the model's aggregates", error);

    s = kw_store_prepare(m->store, "SELECT contact_id FROM agg_dirty", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int i = person_index(m, sqlite3_column_int64(st, 0));
        if (i >= 0)
            m->contacts[i].dirty = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading the model's aggregates", error);
    return KW_OK;
}

/* Account one event (already appended to c's events) in c's stats. */
static void stats_add(stats_t *s, const kw_rel_event_t *e)
{
    if (e->time > s->newest)
        s->newest = e->time;
    if (e->direction == KW_DIR_BOTH) {
        /* a call or meeting: both sides spoke, nobody wrote (mail counts stay) */
        if (kw_rel_event_counts(e)) {
            s->c_in++;
            s->c_out++;
            s->c_last = e->time;
        }
        return;
    }
    if (e->direction == KW_DIR_IN) {
        s->n_in++;
        s->last_in = e->time;
        if (e->flags & LIST_FLAGS)
            s->n_in_list++;
        else if ((e->flags & AUTO_FLAGS) && !(e->flags & KW_MSG_AUTOREPLY))
            s->n_in_auto++;
    } else if (e->direction == KW_DIR_OUT) {
        s->n_out++;
        s->last_out = e->time;
    }
    if (kw_rel_event_counts(e)) {
        if (e->direction == KW_DIR_IN)
            s->c_in++;
        else
            s->c_out++;
        s->c_last = e->time;
    }
}

static void event_from_row(sqlite3_stmt *st, int first_col, int person, kw_rel_event_t *e)
{
    memset(e, 0, sizeof *e);
    e->time = sqlite3_column_int64(st, first_col);
    e->direction = sqlite3_column_int(st, first_col + 1);
    e->flags = (unsigned) sqlite3_column_int(st, first_col + 2);
    e->n_recipients = sqlite3_column_int(st, first_col + 3);
    e->person = person;
    e->source = (kw_source_t) sqlite3_column_int(st, first_col + 4);
    if (e->source < KW_SOURCE_MAIL || e->source >= KW_SOURCE_LAST)
        e->source = KW_SOURCE_OTHER;
}

/* Read one contact's events up to as_of (by the interactions' primary key:
 * in date order). When `exact`, its stats are recomputed from them. */
static kw_status_t load_events(kw_model_t *m, size_t ci, int exact, char **error)
{
    contact_t *c = &m->contacts[ci];
    GArray *ev;
    int64_t pending = 0;
    kw_status_t s;
    int rc;

    if (c->loaded)
        return KW_OK;
    if (!m->ev_stmt) {
        s = kw_store_prepare(m->store,
                             "SELECT date, direction, flags, n_recipients, source FROM interactions "
                             "WHERE contact_id = ?1 ORDER BY date",
                             &m->ev_stmt, error);
        if (s != KW_OK)
            return s;
    }
    ev = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    sqlite3_bind_int64(m->ev_stmt, 1, c->id);
    while ((rc = sqlite3_step(m->ev_stmt)) == SQLITE_ROW) {
        kw_rel_event_t e;
        event_from_row(m->ev_stmt, 0, (int) ci, &e);
        if (e.time > m->as_of) {
            if (!pending)
                pending = e.time; /* in date order: the first one after as_of */
            continue;
        }
        g_array_append_val(ev, e);
    }
    sqlite3_reset(m->ev_stmt);
    if (rc != SQLITE_DONE) {
        g_array_free(ev, TRUE);
        return kw_store_fail(m->store, rc, "reading interactions", error);
    }
    c->n_ev = ev->len;
    c->ev = (kw_rel_event_t *) (void *) g_array_free(ev, FALSE);
    g_ptr_array_add(m->owned, c->ev);
    c->loaded = 1;
    if (exact) {
        memset(&c->st, 0, sizeof c->st);
        for (size_t i = 0; i < c->n_ev; i++)
            stats_add(&c->st, &c->ev[i]);
        c->st.pending = pending;
        c->exact = 1;
    }
    return KW_OK;
}

/* The one ordered scan: interactions by (contact_id, date), merge-joined
 * with the contacts (also ordered by id). Every contact becomes exact. */
static kw_status_t scan_interactions(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, n = 0, ci = 0;
    contact_t *cur = NULL;
    kw_status_t s;
    int rc;

    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        memset(&c->st, 0, sizeof c->st);
        c->exact = 1;
        c->loaded = 1;
        c->ev = NULL;
        c->n_ev = 0;
    }
    s = kw_store_prepare(m->store,
                         "SELECT contact_id, date, direction, flags, n_recipients, source "
                         "FROM interactions ORDER BY contact_id, date",
                         &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0);
        int64_t date = sqlite3_column_int64(st, 1);

        if (!cur || cur->id != cid) {
            while (ci < m->n_contacts && m->contacts[ci].id < cid)
                ci++;
            if (ci == m->n_contacts || m->contacts[ci].id != cid) {
                cur = NULL;
                continue; /* an interaction without a contact row: skip */
            }
            cur = &m->contacts[ci];
            cur->ev = (kw_rel_event_t *) (uintptr_t) n; /* an offset until the array is final */
        }
        /* as_of is checked here rather than in SQL: one comparison in C is
         * cheaper than one in the VDBE, and this loop is the scan's cost. */
        if (date > m->as_of) {
            if (!cur->st.pending)
                cur->st.pending = date; /* in date order: the first one after as_of */
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            m->scan_events = g_renew(kw_rel_event_t, m->scan_events, cap);
        }
        event_from_row(st, 1, (int) ci, &m->scan_events[n]);
        stats_add(&cur->st, &m->scan_events[n]);
        cur->n_ev++;
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading interactions", error);
    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        c->ev = c->n_ev ? m->scan_events + (uintptr_t) c->ev : NULL;
    }
    m->scanned = 1;
    return KW_OK;
}

/* A contact's organisation key (its registrable domain, or the address
 * itself for freemail), looked up on first use: most contacts of a mailbox
 * never need one. */
static const char *contact_org(kw_model_t *m, contact_t *c)
{
    if (!c->org) {
        const char *org = org_domain(m, c->email);
        c->freemail = *org == '\0';
        c->org = c->freemail ? c->email : org;
    }
    return c->org;
}

static int contact_freemail(kw_model_t *m, contact_t *c)
{
    contact_org(m, c);
    return c->freemail;
}

/* What a contact is (classified on first use, from its counts up to as_of). */
static kw_contact_kind_t contact_kind(kw_model_t *m, contact_t *c)
{
    if (c->classified)
        return c->kind;
    c->classified = 1;
    if (g_hash_table_contains(m->identities, c->email))
        c->kind = KW_KIND_SELF;
    else if (c->st.n_in > 0 && c->st.n_in_list * 2 > c->st.n_in)
        c->kind = KW_KIND_LIST;
    else if (kw_is_role_address(c->email))
        c->kind = KW_KIND_AUTOMATED;
    else if (c->st.n_in > 0 && c->st.n_in_auto * 2 > c->st.n_in)
        c->kind = KW_KIND_AUTOMATED;
    else if (!contact_freemail(m, c) && g_hash_table_contains(m->colleagues, c->org))
        c->kind = KW_KIND_COLLEAGUE;
    else
        c->kind = KW_KIND_PERSON;
    return c->kind;
}

/* A relationship: a person the user wrote to who wrote back (counted mail). */
static int is_relationship(kw_model_t *m, contact_t *c)
{
    return c->st.c_in > 0 && c->st.c_out > 0 && contact_kind(m, c) == KW_KIND_PERSON;
}

/* Organisations and their roll-up: relationship people at a non-freemail
 * domain, except those the user ignored. */
static void build_orgs(kw_model_t *m)
{
    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        const setting_t *own;
        org_t *o;

        if (!is_relationship(m, c) || contact_freemail(m, c))
            continue;
        own = setting_for(m, c->email);
        if (own && own->ignored)
            continue; /* an ignored person leaves the organisation's roll-up */
        o = g_hash_table_lookup(m->orgs, c->org);
        if (!o) {
            o = g_new0(org_t, 1);
            o->key = c->org;
            o->members = g_array_new(FALSE, FALSE, sizeof(size_t));
            g_hash_table_insert(m->orgs, (gpointer) o->key, o);
            g_ptr_array_add(m->org_list, o);
        }
        c->member = 1;
        g_array_append_val(o->members, i);
        o->digest += id_mix(c->id);
    }
}

static kw_status_t load_org_aggs(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store, "SELECT org, members, agg FROM org_agg", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = col_text(st, 0);
        org_t *o = key ? g_hash_table_lookup(m->orgs, key) : NULL;
        const void *blob;
        if (!o)
            continue;
        blob = sqlite3_column_blob(st, 2);
        o->agg_len = (size_t) sqlite3_column_bytes(st, 2);
        o->agg = blob ? (const unsigned char *) g_string_chunk_insert_len(m->chunk, blob,
                                                                          (gssize) o->agg_len)
                      : NULL;
        o->agg_digest = (uint64_t) sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading the model's aggregates", error);
    return KW_OK;
}

/* Touches planned after as_of (a meeting in a calendar) and known by then
 * (touches.created): the first one per contact. Not part of any history
 * (events after as_of never are). */
static kw_status_t load_planned(kw_model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(m->store,
                         "SELECT contact_id, min(time), source FROM touches "
                         "WHERE time > ?1 AND created <= ?1 GROUP BY contact_id",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, m->as_of);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int i = person_index(m, sqlite3_column_int64(st, 0));
        if (i < 0)
            continue;
        m->contacts[i].planned = sqlite3_column_int64(st, 1);
        m->contacts[i].planned_source = (kw_source_t) sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading planned touches", error);
    return KW_OK;
}

/* A contact computed from its events: marked, or its kept aggregate does not
 * hold for as_of — it has mail after as_of (a past --as-of), or an
 * interaction that was still ahead when it was kept (a planned meeting) is
 * not any more. */
static int contact_needs_events(const kw_model_t *m, const contact_t *c)
{
    return c->dirty || (c->agg && (c->st.newest > m->as_of ||
                                   (c->st.pending && c->st.pending <= m->as_of)));
}

/* Which contacts and organisations come from their events, and read those
 * events (one scan when they are many). */
static kw_status_t resolve_exactness(kw_model_t *m, int force_scan, char **error)
{
    size_t need = 0, i;
    kw_status_t s;

    for (i = 0; i < m->n_contacts && !force_scan; i++) {
        const contact_t *c = &m->contacts[i];
        if (contact_needs_events(m, c))
            need++;
    }
    if (force_scan || need * SCAN_SHARE > m->n_contacts) {
        s = scan_interactions(m, error);
        if (s != KW_OK)
            return s;
    } else {
        for (i = 0; i < m->n_contacts; i++) {
            contact_t *c = &m->contacts[i];
            if (contact_needs_events(m, c)) {
                s = load_events(m, i, 1, error);
                if (s != KW_OK)
                    return s;
            }
        }
    }
    return KW_OK;
}

static kw_status_t resolve_org_exactness(kw_model_t *m, char **error)
{
    for (guint k = 0; k < m->org_list->len; k++) {
        org_t *o = g_ptr_array_index(m->org_list, k);
        int exact = !o->agg || o->agg_digest != o->digest;
        for (guint j = 0; j < o->members->len && !exact; j++)
            exact = m->contacts[g_array_index(o->members, size_t, j)].exact;
        o->exact = exact;
        for (guint j = 0; exact && j < o->members->len; j++) {
            kw_status_t s = load_events(m, g_array_index(o->members, size_t, j), 0, error);
            if (s != KW_OK)
                return s;
        }
    }
    return KW_OK;
}

/* ------------------------------------------------------------------------ */
/* Team: teammates' records and the local evidence                          */
/* ------------------------------------------------------------------------ */
/* Two kinds of team evidence reach the model:
 *  - teammates' records, pulled from the team's server into team_records
 *    (team_evidence.c looks them up: their last exchange per organisation
 *    and person, their logged calls and meetings);
 *  - local evidence, "copied": a mail from a colleague with the user in To
 *    or Cc is, for each other To/Cc recipient who is neither the user nor a
 *    colleague, a team touch of that recipient — no server needed. The rule
 *    depends on the identities and the colleague domains only (the From is
 *    a colleague by domain: not one of the user's addresses, not a role
 *    address, not free mail, at a colleague domain — not the counts the
 *    classification of contact_kind() uses, which change with as_of), plus
 *    the message itself: it counts (no list, bulk, automated or bounce
 *    mail, no broadcast) and one of the user's addresses is in To or Cc.
 *
 * The copied touches are kept like the aggregates: team_copied holds the
 * rows of every message up to preferences 'team_copied_upto', computed for
 * the identities and colleague domains in 'team_copied_rule'. A reader adds
 * the messages after it (a sync whose writer has not refreshed yet) from the
 * messages table, and computes all of them from the messages when the rule
 * changed or with options.exact; kw_model_refresh_aggregates() stores what
 * that computed. Either way the answers are the same (the differential
 * test). */

static void person_ref(const kw_model_t *m, int person, kw_person_ref_t *ref);

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The inputs of the copied rule, as text: the user's addresses, then the
 * colleague domains, each sorted (transfer full, g_free). */
static kw_status_t copied_rule_text(kw_store_t *store, char **out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_colleague_domain_list_t *col = NULL;
    GPtrArray *domains;
    GString *t = g_string_new(NULL);
    kw_status_t s;
    int rc;

    *out = NULL;
    s = kw_store_prepare(store, "SELECT DISTINCT email FROM identities ORDER BY email", &st, error);
    if (s != KW_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *low = g_ascii_strdown(col_text(st, 0) ? col_text(st, 0) : "", -1);
        g_string_append_printf(t, "%s\n", low);
        g_free(low);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s = kw_store_fail(store, rc, "reading identities", error);
        goto fail;
    }
    g_string_append_c(t, '\n');
    s = kw_store_colleague_domains(store, &col, error);
    if (s != KW_OK)
        goto fail;
    domains = g_ptr_array_new();
    for (size_t i = 0; i < col->count; i++)
        g_ptr_array_add(domains, col->items[i].domain);
    g_ptr_array_sort(domains, cmp_strp);
    for (guint i = 0; i < domains->len; i++)
        g_string_append_printf(t, "%s\n", (const char *) g_ptr_array_index(domains, i));
    g_ptr_array_free(domains, TRUE);
    kw_colleague_domain_list_free(col);
    *out = g_string_free(t, FALSE);
    return KW_OK;
fail:
    g_string_free(t, TRUE);
    return s;
}

/* The From of a copied mail: a colleague by domain. */
static int copied_colleague(kw_model_t *m, contact_t *c)
{
    if (!c->copied_class) {
        int yes = !g_hash_table_contains(m->identities, c->email) &&
                  !kw_is_role_address(c->email) && !contact_freemail(m, c) &&
                  g_hash_table_contains(m->colleagues, c->org);
        c->copied_class = yes ? 1 : 2;
    }
    return c->copied_class == 1;
}

/* A recipient a copied mail may be a team touch of: not the user, not a
 * colleague by domain. */
static int copied_recipient(kw_model_t *m, contact_t *c)
{
    return !g_hash_table_contains(m->identities, c->email) &&
           (contact_freemail(m, c) || !g_hash_table_contains(m->colleagues, c->org));
}

static int cmp_copied(const void *a, const void *b)
{
    const copied_t *x = a, *y = b;
    if (x->contact != y->contact)
        return x->contact < y->contact ? -1 : 1;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    if (x->message_id != y->message_id)
        return x->message_id < y->message_id ? -1 : 1;
    return 0;
}

/* The copied touches of the messages after `from_id`, into m->copied. */
static kw_status_t copied_scan(kw_model_t *m, int64_t from_id, char **error)
{
    sqlite3_stmt *st = NULL;
    GArray *rcpt = g_array_new(FALSE, FALSE, sizeof(size_t));
    kw_status_t s;
    int rc;

    m->copied_seen = from_id > 0 ? from_id : 0;
    s = kw_store_prepare(m->store,
                         "SELECT id, date, flags, n_recipients, from_contact, addrs FROM messages "
                         "WHERE id > ?1 ORDER BY id",
                         &st, error);
    if (s != KW_OK) {
        g_array_free(rcpt, TRUE);
        return s;
    }
    sqlite3_bind_int64(st, 1, from_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), cid;
        const unsigned char *p = sqlite3_column_blob(st, 5), *end;
        kw_rel_event_t e = { 0 };
        int from, role, self = 0, r;

        m->copied_seen = id;
        if (sqlite3_column_type(st, 4) == SQLITE_NULL ||
            (from = person_index(m, sqlite3_column_int64(st, 4))) < 0 ||
            !copied_colleague(m, &m->contacts[from]))
            continue;
        e.direction = KW_DIR_IN;
        e.flags = (unsigned) sqlite3_column_int(st, 2);
        e.n_recipients = sqlite3_column_int(st, 3);
        if (!kw_rel_event_counts(&e) || !p)
            continue;
        end = p + sqlite3_column_bytes(st, 5);
        g_array_set_size(rcpt, 0);
        while ((r = kw_addrs_next(&p, end, &role, &cid)) > 0) {
            int ci;
            if (role != KW_ROLE_TO && role != KW_ROLE_CC)
                continue;
            if ((ci = person_index(m, cid)) < 0 || ci == from)
                continue;
            if (g_hash_table_contains(m->identities, m->contacts[ci].email)) {
                self = 1;
                continue;
            }
            if (copied_recipient(m, &m->contacts[ci])) {
                size_t k, u = (size_t) ci;
                for (k = 0; k < rcpt->len && g_array_index(rcpt, size_t, k) != u; k++)
                    ;
                if (k == rcpt->len)
                    g_array_append_val(rcpt, u);
            }
        }
        if (!self)
            continue;
        for (guint k = 0; k < rcpt->len; k++) {
            copied_t c = { g_array_index(rcpt, size_t, k), (size_t) from,
                           sqlite3_column_int64(st, 1), id };
            g_array_append_val(m->copied, c);
        }
    }
    sqlite3_finalize(st);
    g_array_free(rcpt, TRUE);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading messages", error);
    g_array_sort(m->copied, cmp_copied);
    return KW_OK;
}

static kw_status_t load_team(kw_model_t *m, int exact, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    if ((s = kw_team_lookup_open(m->store, &m->team, error)) != KW_OK ||
        (s = copied_rule_text(m->store, &m->copied_rule, error)) != KW_OK)
        return s;
    m->copied = g_array_new(FALSE, FALSE, sizeof(copied_t));
    m->copied_kept = !exact && m->copied_upto >= 0 && m->copied_kept_rule &&
                     strcmp(m->copied_kept_rule, m->copied_rule) == 0;
    s = copied_scan(m, m->copied_kept ? m->copied_upto : 0, error);
    if (s != KW_OK || !m->copied_kept)
        return s;
    s = kw_store_prepare(m->store, "SELECT EXISTS (SELECT 1 FROM team_copied)", &st, error);
    if (s != KW_OK)
        return s;
    rc = sqlite3_step(st);
    m->copied_any_kept = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return kw_store_fail(m->store, rc, "reading the team's evidence", error);
    return KW_OK;
}

/* Whether any team evidence can change an answer. */
static int has_team(const kw_model_t *m)
{
    return !m->own_view && (m->team || (m->copied && m->copied->len > 0) || m->copied_any_kept);
}

void kw_model_own_view(kw_model_t *m)
{
    if (m)
        m->own_view = 1;
}

/* The first m->copied entry of contact ci (binary search), or len. */
static guint copied_first(const kw_model_t *m, size_t ci)
{
    guint lo = 0, hi = m->copied->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(m->copied, copied_t, mid).contact < ci)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Newer first: by date, then message, then recipient. */
static int copied_newer(const copied_t *a, const copied_t *b)
{
    if (a->date != b->date)
        return a->date > b->date;
    if (a->message_id != b->message_id)
        return a->message_id > b->message_id;
    return a->contact < b->contact;
}

/* Every copied touch of one contact up to as_of (kept and computed), or only
 * the newest (`latest`), appended to `out`. */
static kw_status_t copied_of_contact(kw_model_t *m, size_t ci, int latest, GArray *out,
                                     char **error)
{
    copied_t best = { 0 };
    int found = 0, rc;

    for (guint k = copied_first(m, ci); k < m->copied->len; k++) {
        const copied_t *c = &g_array_index(m->copied, copied_t, k);
        if (c->contact != ci)
            break;
        if (c->date > m->as_of)
            continue;
        if (!latest)
            g_array_append_val(out, *c);
        else if (!found || copied_newer(c, &best))
            best = *c;
        found = 1;
    }
    if (m->copied_kept && m->copied_any_kept) {
        sqlite3_stmt **st = latest ? &m->copied_latest : &m->copied_all;
        if (!*st) {
            kw_status_t s = kw_store_prepare(
                m->store,
                latest ? "SELECT date, message_id, colleague_id FROM team_copied "
                         "WHERE contact_id = ?1 AND date <= ?2 "
                         "ORDER BY date DESC, message_id DESC LIMIT 1"
                       : "SELECT date, message_id, colleague_id FROM team_copied "
                         "WHERE contact_id = ?1 AND date <= ?2",
                st, error);
            if (s != KW_OK)
                return s;
        }
        sqlite3_bind_int64(*st, 1, m->contacts[ci].id);
        sqlite3_bind_int64(*st, 2, m->as_of);
        while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
            int col = person_index(m, sqlite3_column_int64(*st, 2));
            copied_t c = { ci, (size_t) col, sqlite3_column_int64(*st, 0),
                           sqlite3_column_int64(*st, 1) };
            if (col < 0)
                continue;
            if (!latest)
                g_array_append_val(out, c);
            else if (!found || copied_newer(&c, &best))
                best = c;
            found = 1;
        }
        sqlite3_reset(*st);
        if (rc != SQLITE_DONE)
            return kw_store_fail(m->store, rc, "reading the team's evidence", error);
    }
    if (latest && found)
        g_array_append_val(out, best);
    return KW_OK;
}

/* The team's newest touch of an entity up to as_of into the team fields of
 * *why: the teammates' records (by organisation, or by address for a
 * person) and the copied mail of its members; the newer wins, a teammate's
 * record on a tie. */
static kw_status_t entity_team(kw_model_t *m, const entity_t *e, kw_reason_t *why, char **error)
{
    kw_team_hit_t hit;
    GArray *copied = g_array_new(FALSE, FALSE, sizeof(copied_t));
    const copied_t *best = NULL;
    kw_status_t s;

    s = kw_team_lookup_latest(m->team, e->key, e->kind == KW_TARGET_PERSON, m->as_of, &hit, error);
    for (size_t i = 0; i < e->n_members && s == KW_OK; i++)
        s = copied_of_contact(m, e->members[i], 1, copied, error);
    if (s != KW_OK) {
        g_array_free(copied, TRUE);
        return s;
    }
    for (guint k = 0; k < copied->len; k++)
        if (!best || copied_newer(&g_array_index(copied, copied_t, k), best))
            best = &g_array_index(copied, copied_t, k);
    if (hit.time && (!best || hit.time >= best->date)) {
        why->team_last_touch = hit.time;
        why->team_touch = hit.kind;
        why->team_member.name = hit.member_name;
        why->team_member_id = hit.member;
        hit.member_name = hit.member = NULL;
    } else if (best) {
        why->team_last_touch = best->date;
        why->team_touch = KW_TEAM_TOUCH_COPIED;
        person_ref(m, (int) best->colleague, &why->team_member);
    }
    kw_team_hit_clear(&hit);
    g_array_free(copied, TRUE);
    return KW_OK;
}

/* Load everything; inside the caller's transaction when there is one.
 * `contacts_only`: what resolution needs (contacts, settings), no history. */
static kw_status_t model_load(kw_store_t *store, int64_t as_of, int default_cadence, int exact,
                              int contacts_only, kw_model_t **out, char **error)
{
    kw_model_t *m;
    sqlite3 *db;
    int began = 0, version = 0;
    kw_status_t s;

    *out = NULL;
    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    db = kw_store_db(store);
    m = g_new0(kw_model_t, 1);
    m->store = store;
    m->as_of = as_of;
    m->default_cadence = default_cadence;
    m->chunk = g_string_chunk_new(64 * 1024);
    m->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, setting_free);
    m->identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->colleagues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->org_cache = g_hash_table_new(g_str_hash, g_str_equal);
    m->orgs = g_hash_table_new(g_str_hash, g_str_equal);
    m->org_list = g_ptr_array_new_with_free_func(org_free);
    m->owned = g_ptr_array_new_with_free_func(g_free);

    /* One read transaction: a consistent snapshot even while a sync commits. */
    if (sqlite3_get_autocommit(db)) {
        s = kw_store_exec(store, "BEGIN", error);
        if (s != KW_OK)
            goto done;
        began = 1;
    }
    if ((s = load_options(m, &version, error)) != KW_OK ||
        (s = load_identities(m, error)) != KW_OK ||
        (s = load_settings(m, error)) != KW_OK ||
        (s = load_contacts(m, error)) != KW_OK)
        goto done;
    m->contacts_only = contacts_only;
    if (contacts_only)
        goto done;
    if (as_of != INT64_MAX && (s = load_planned(m, error)) != KW_OK)
        goto done;
    m->agg_valid = version == AGG_VERSION && !exact;
    if (m->agg_valid && (s = load_contact_aggs(m, error)) != KW_OK)
        goto done;
    if ((s = resolve_exactness(m, !m->agg_valid, error)) != KW_OK)
        goto done;
    build_orgs(m);
    if (m->agg_valid && !m->scanned && (s = load_org_aggs(m, error)) != KW_OK)
        goto done;
    if ((s = resolve_org_exactness(m, error)) != KW_OK)
        goto done;
    s = load_team(m, exact, error);
done:
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (m->ev_stmt) {
        sqlite3_finalize(m->ev_stmt);
        m->ev_stmt = NULL;
    }
    if (s != KW_OK) {
        kw_model_free(m);
        return s;
    }
    *out = m;
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_model_load(kw_store_t *store, const kw_model_options_t *options,
                                    kw_model_t **model_out, char **error)
{
    if (!model_out || !options || options->as_of <= 0) {
        kw_set_error(error, "kw_model_load: options with as_of are required");
        return KW_ERR_USAGE;
    }
    if (options->default_cadence_days < 0) {
        kw_set_error(error, "a default cadence is a number of days");
        return KW_ERR_USAGE;
    }
    return model_load(store, options->as_of, options->default_cadence_days, options->exact, 0,
                      model_out, error);
}

KW_PUBLIC int64_t kw_model_as_of(const kw_model_t *model)
{
    return model ? model->as_of : 0;
}

KW_PUBLIC int kw_model_default_cadence(const kw_model_t *model)
{
    return model ? model->default_cadence : KW_DEFAULT_CADENCE_DAYS;
}

/* ------------------------------------------------------------------------ */
/* Histories of entities                                                     */
/* ------------------------------------------------------------------------ */

static int cmp_event(const void *a, const void *b)
{
    const kw_rel_event_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->direction != y->direction)
        return x->direction - y->direction;
    if (x->person != y->person)
        return x->person - y->person;
    /* the rest only makes the order total (same input, same output) */
    if (x->flags != y->flags)
        return x->flags < y->flags ? -1 : 1;
    return x->n_recipients - y->n_recipients;
}

/* The events of a set of contacts, sorted by time (loading what is missing).
 * *owned is set when the returned array must be freed. */
static kw_status_t merged_events(kw_model_t *m, const size_t *members, size_t n_members,
                                 const kw_rel_event_t **out, size_t *n, kw_rel_event_t **owned,
                                 char **error)
{
    size_t total = 0, i, k = 0;
    kw_rel_event_t *buf;

    *owned = NULL;
    *out = NULL;
    *n = 0;
    for (i = 0; i < n_members; i++) {
        kw_status_t s = load_events(m, members[i], 0, error);
        if (s != KW_OK)
            return s;
        total += m->contacts[members[i]].n_ev;
    }
    if (n_members == 1) {
        *out = m->contacts[members[0]].ev;
        *n = m->contacts[members[0]].n_ev;
        return KW_OK;
    }
    if (!total)
        return KW_OK;
    buf = g_new(kw_rel_event_t, total);
    for (i = 0; i < n_members; i++) {
        const contact_t *c = &m->contacts[members[i]];
        memcpy(buf + k, c->ev, c->n_ev * sizeof *buf);
        k += c->n_ev;
    }
    qsort(buf, total, sizeof *buf, cmp_event);
    *owned = buf;
    *out = buf;
    *n = total;
    return KW_OK;
}

/* The history part of an entity's summary: kept, or from its events. */
static kw_status_t entity_history(kw_model_t *m, const entity_t *e, kw_rel_summary_t *h,
                                  char **error)
{
    const kw_rel_event_t *ev;
    kw_rel_event_t *owned;
    size_t n;
    kw_status_t s;

    if (e->org && !e->org->exact && get_history(m, e->org->agg, e->org->agg_len, h))
        return KW_OK;
    if (!e->org && e->n_members == 1) {
        const contact_t *c = &m->contacts[e->members[0]];
        if (!c->exact && !c->agg) {
            kw_rel_history(NULL, 0, m->as_of, h); /* no interactions at all */
            return KW_OK;
        }
        if (!c->exact && get_history(m, c->agg, c->agg_len, h))
            return KW_OK;
    }
    s = merged_events(m, e->members, e->n_members, &ev, &n, &owned, error);
    if (s != KW_OK)
        return s;
    kw_rel_history(ev, n, m->as_of, h);
    g_free(owned);
    return KW_OK;
}

/* ------------------------------------------------------------------------ */
/* Relationships                                                             */
/* ------------------------------------------------------------------------ */

/* "brandt-logistik.de" -> "Brandt Logistik", "acme.co.uk" -> "Acme",
 * "ibm.com" -> "IBM": the registrable label, hyphens as spaces, each word
 * capitalised; a single word of at most three letters is an acronym. */
static char *org_name_from_domain(const char *org)
{
    const char *dot = strchr(org, '.');
    char *label = dot && dot > org ? g_strndup(org, (gsize) (dot - org)) : g_strdup(org);
    char **words = g_strsplit_set(label, "-_", -1);
    GString *out = g_string_new(NULL);
    int single = g_strv_length(words) == 1;

    for (char **w = words; *w; w++) {
        const char *p = *w;
        if (!*p)
            continue;
        if (out->len)
            g_string_append_c(out, ' ');
        if (single && g_utf8_strlen(p, -1) <= 3) {
            char *up = g_utf8_strup(p, -1);
            g_string_append(out, up);
            g_free(up);
            continue;
        }
        g_string_append_unichar(out, g_unichar_totitle(g_utf8_get_char(p)));
        g_string_append(out, g_utf8_next_char(p));
    }
    g_strfreev(words);
    g_free(label);
    if (!out->len)
        g_string_append(out, org);
    return g_string_free(out, FALSE);
}

/* Settings of an entity — the one place they are resolved: a person's own
 * settings, with their organisation's as fallback (ignore/snooze of either
 * apply); the cadence: the user's for the target, else (kw_rel_judge) the
 * learned one, else the model's default. */
static void entity_settings(kw_model_t *m, const entity_t *e, kw_rel_settings_t *rs,
                            const char **note, const char **name, int *note_from_org,
                            kw_tier_t *tier)
{
    const setting_t *own = setting_for(m, e->key), *org = NULL;

    memset(rs, 0, sizeof *rs);
    rs->default_cadence_days = m->default_cadence;
    *note = NULL;
    *name = NULL;
    *note_from_org = 0;
    *tier = KW_TIER_NONE;
    if (e->kind == KW_TARGET_PERSON && e->n_members == 1) {
        contact_t *c = &m->contacts[e->members[0]];
        if (strcmp(contact_org(m, c), e->key) != 0)
            org = setting_for(m, c->org);
    }
    if (own) {
        rs->user_cadence_days = own->cadence_days;
        rs->snoozed_until = own->snoozed_until;
        rs->ignored = own->ignored;
        rs->settled_until = own->settled_until;
        *note = own->note;
        *name = own->name;
        *tier = own->tier;
    }
    if (org) {
        if (rs->user_cadence_days <= 0)
            rs->user_cadence_days = org->cadence_days;
        if (org->snoozed_until > rs->snoozed_until)
            rs->snoozed_until = org->snoozed_until;
        if (org->settled_until > rs->settled_until)
            rs->settled_until = org->settled_until;
        rs->ignored |= org->ignored;
        if (!*note && org->note) {
            *note = org->note;
            *note_from_org = 1;
        }
        if (*tier == KW_TIER_NONE)
            *tier = org->tier;
    }
    /* a tier brings its own rhythm for relationships too young to have one */
    if (*tier != KW_TIER_NONE)
        rs->default_cadence_days = kw_tier_default_cadence(*tier);
    /* the first planned touch with any of its people */
    for (size_t i = 0; i < e->n_members; i++) {
        const contact_t *c = &m->contacts[e->members[i]];
        if (c->planned && (!rs->planned_touch || c->planned < rs->planned_touch)) {
            rs->planned_touch = c->planned;
            rs->planned_source = c->planned_source;
        }
    }
}

/* The name of a person: the user's for them, else the one from their mail. */
static const char *person_name(const kw_model_t *m, const contact_t *c)
{
    const setting_t *own = setting_for(m, c->email);
    return own && own->name ? own->name : c->name;
}

static void person_ref(const kw_model_t *m, int person, kw_person_ref_t *ref)
{
    ref->address = NULL;
    ref->name = NULL;
    if (person >= 0 && (size_t) person < m->n_contacts) {
        const contact_t *c = &m->contacts[person];
        ref->address = g_strdup(c->email);
        ref->name = g_strdup(person_name(m, c));
    }
}

static void person_ref_clear(kw_person_ref_t *ref)
{
    g_free(ref->address);
    g_free(ref->name);
}

static gint cmp_member_recent(gconstpointer a, gconstpointer b, gpointer model)
{
    const kw_model_t *m = model;
    const contact_t *x = &m->contacts[*(const size_t *) a];
    const contact_t *y = &m->contacts[*(const size_t *) b];
    if (x->st.c_last != y->st.c_last)
        return x->st.c_last > y->st.c_last ? -1 : 1;
    return strcmp(x->email, y->email);
}

static void relationship_clear(kw_relationship_t *r)
{
    if (!r)
        return;
    g_free(r->key);
    g_free(r->display_name);
    g_strfreev(r->people);
    g_free(r->main_person);
    person_ref_clear(&r->reason.last_exchange_with);
    person_ref_clear(&r->reason.waiting_person);
    person_ref_clear(&r->reason.away_person);
    person_ref_clear(&r->reason.team_member);
    g_free(r->reason.team_member_id);
    g_free(r->note);
    g_strfreev(r->people_names);
}

/* The day the subject of `person`'s automatic reply at `when` names
 * (autoreply.h), read from the store: only for the few relationships whose
 * last answer was an auto-reply. */
static kw_status_t away_until(kw_model_t *m, int person, int64_t when, int64_t *until,
                              int *is_return, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    *until = 0;
    *is_return = 0;
    if (person < 0 || (size_t) person >= m->n_contacts)
        return KW_OK;
    s = kw_store_prepare(m->store,
                         "SELECT m.subject FROM interactions i JOIN messages m ON m.id = i.message_id "
                         "WHERE i.contact_id = ?1 AND i.date = ?2 AND i.direction = 1",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, m->contacts[person].id);
    sqlite3_bind_int64(st, 2, when);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !*until)
        kw_autoreply_until(col_text(st, 0), when, until, is_return);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return kw_store_fail(m->store, rc, "reading an automatic reply", error);
    return KW_OK;
}

/* Compute one entity into *r; *wanted is 0 (and nothing is allocated) when
 * its state is not in `states` (0: every state). */
static kw_status_t compute_entity(kw_model_t *m, const entity_t *e, unsigned states,
                                  unsigned tiers, kw_relationship_t *r, int *wanted, char **error)
{
    kw_rel_settings_t rs;
    kw_rel_summary_t sum;
    const char *note, *name;
    kw_tier_t tier;
    size_t *idx, i;
    kw_reason_t *why = &r->reason;
    kw_status_t s;
    int note_from_org;
    int team, looked = 0;

    memset(r, 0, sizeof *r);
    *wanted = 0;
    entity_settings(m, e, &rs, &note, &name, &note_from_org, &tier);
    if (tiers && !(tiers & KW_TIER_BIT(tier)))
        return KW_OK;
    s = entity_history(m, e, &sum, error);
    if (s != KW_OK)
        return s;
    kw_rel_judge(&sum, &rs, m->as_of);
    why->own_state = sum.state;
    /* The team: only a clock state can change (overdue, due soon): ok while
     * the team's last touch is newer than the user's own clock start and
     * within the rhythm. Someone awaiting an answer waits for the user. */
    team = has_team(m);
    if (team && (sum.state == KW_STATE_OVERDUE || sum.state == KW_STATE_DUE_SOON)) {
        s = entity_team(m, e, why, error);
        looked = 1;
        if (s == KW_OK && why->team_last_touch > sum.reference &&
            why->team_last_touch >= m->as_of - (int64_t) sum.cadence_days * 86400) {
            why->team_ok = 1;
            sum.state = KW_STATE_OK;
            sum.score = kw_rel_score(&sum, m->as_of);
        }
    }
    if (s != KW_OK || (states && !(states & KW_STATE_BIT(sum.state)))) {
        relationship_clear(r);
        memset(r, 0, sizeof *r);
        return s;
    }
    *wanted = 1;
    if (team && !looked && (s = entity_team(m, e, why, error)) != KW_OK) {
        relationship_clear(r);
        memset(r, 0, sizeof *r);
        *wanted = 0;
        return s;
    }

    r->kind = e->kind;
    r->key = g_strdup(e->key);
    /* people, most recent first */
    idx = g_new(size_t, e->n_members ? e->n_members : 1);
    memcpy(idx, e->members, e->n_members * sizeof *idx);
    g_qsort_with_data(idx, (gint) e->n_members, sizeof *idx, cmp_member_recent, m);
    r->people = g_new0(char *, e->n_members + 1);
    r->people_names = g_new0(char *, e->n_members + 1);
    for (i = 0; i < e->n_members; i++) {
        const char *pn = person_name(m, &m->contacts[idx[i]]);
        r->people[i] = g_strdup(m->contacts[idx[i]].email);
        r->people_names[i] = g_strdup(pn ? pn : "");
    }
    r->display_name_user_set = name != NULL;
    if (name)
        r->display_name = g_strdup(name);
    else if (e->kind == KW_TARGET_PERSON && e->n_members == 1)
        r->display_name = g_strdup(m->contacts[e->members[0]].name ? m->contacts[e->members[0]].name
                                                                   : e->key);
    else
        r->display_name = org_name_from_domain(e->key);
    if (sum.last_in_person >= 0)
        r->main_person = g_strdup(m->contacts[sum.last_in_person].email);
    else if (e->n_members > 0)
        r->main_person = g_strdup(m->contacts[idx[0]].email);
    g_free(idx);

    r->state = sum.state;
    r->last_touch = sum.last_exchange;
    r->last_inbound = sum.last_in;
    r->last_outbound = sum.last_out;
    r->days_since = sum.days_since;
    r->cadence_days = sum.cadence_days;
    r->due_date = sum.due_date;
    r->snoozed_until = rs.snoozed_until > m->as_of ? rs.snoozed_until : 0;
    r->touches = sum.exchanges;
    r->score = sum.score;
    r->note = g_strdup(note);
    r->note_from_org = note && note_from_org;
    r->tier = tier;

    why->state = sum.state;
    why->last_exchange = sum.last_exchange;
    person_ref(m, sum.last_exchange_person, &why->last_exchange_with);
    why->last_inbound = sum.last_in;
    why->last_outbound = sum.last_out;
    why->waiting = sum.waiting;
    why->waiting_since = sum.waiting_since;
    why->waiting_touches = !sum.waiting ? 0
                           : sum.waiting_since > sum.unanswered_since ? 1 /* partly settled */
                                                                      : sum.unanswered_touches;
    why->waiting_last = sum.waiting ? sum.unanswered_last : 0;
    person_ref(m, sum.waiting ? sum.unanswered_person : -1, &why->waiting_person);
    why->reply_samples = sum.reply_samples;
    why->their_reply_days = sum.their_reply_days;
    why->cadence_days = sum.cadence_days;
    why->cadence_source = sum.cadence_source;
    why->exchanges = sum.exchanges;
    why->first_exchange = sum.first_exchange;
    why->snoozed_until = r->snoozed_until;
    why->ignored = sum.ignored;
    why->due_date = sum.due_date;
    why->days_since = sum.days_since;
    why->rhythm_state = sum.rhythm_state;
    why->settled_until = rs.settled_until;
    why->last_exchange_source = sum.last_exchange ? sum.last_exchange_source : KW_SOURCE_MAIL;
    why->planned_touch = sum.planned_touch;
    why->planned_source = sum.planned_source;
    if (sum.away_since) {
        why->away_since = sum.away_since;
        person_ref(m, sum.last_autoreply_person, &why->away_person);
        s = away_until(m, sum.last_autoreply_person, sum.away_since, &why->away_until,
                       &why->away_until_is_return, error);
        if (s != KW_OK) {
            relationship_clear(r);
            memset(r, 0, sizeof *r);
            *wanted = 0;
            return s;
        }
    }
    return KW_OK;
}

/* Rank groups: owed replies first (a question without an answer is the
 * most urgent item whatever the rhythm says), then your unanswered mail,
 * then overdue and due soon (one group, by score), then ok, snoozed,
 * ignored. */
static int state_group(kw_state_t s)
{
    switch (s) {
    case KW_STATE_AWAITING_YOUR_REPLY:  return 0;
    case KW_STATE_AWAITING_THEIR_REPLY: return 1;
    case KW_STATE_OVERDUE:
    case KW_STATE_DUE_SOON:             return 2;
    case KW_STATE_OK:                   return 3;
    case KW_STATE_SNOOZED:              return 4;
    default:                            return 5;
    }
}

static int cmp_relationship(const void *a, const void *b)
{
    const kw_relationship_t *x = a, *y = b;
    int gx = state_group(x->state), gy = state_group(y->state);
    if (gx != gy)
        return gx - gy;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void person_entity(const kw_model_t *m, size_t ci, entity_t *e, size_t *slot)
{
    *slot = ci;
    e->kind = KW_TARGET_PERSON;
    e->key = m->contacts[ci].email;
    e->members = slot;
    e->n_members = 1;
    e->org = NULL;
}

static void org_entity(org_t *o, entity_t *e)
{
    e->kind = KW_TARGET_ORG;
    e->key = o->key;
    e->members = (const size_t *) (const void *) o->members->data;
    e->n_members = o->members->len;
    e->org = o;
}

KW_PUBLIC kw_status_t kw_model_relationships(kw_model_t *m, const kw_list_options_t *options,
                                             kw_relationship_list_t **out, char **error)
{
    kw_list_options_t defaults = { 0 };
    GArray *rels;
    kw_relationship_list_t *list;
    unsigned states;
    size_t i;
    kw_status_t s = KW_OK;

    if (!m || !out) {
        kw_set_error(error, "kw_model_relationships: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if (!options)
        options = &defaults;
    states = options->states ? options->states : KW_STATES_ATTENTION;
    if (states & ~KW_STATES_ALL) {
        kw_set_error(error, "unknown states in the filter (0x%x)", states);
        return KW_ERR_USAGE;
    }
    if (options->tiers & ~(KW_TIER_BIT(KW_TIER_NONE) | KW_TIER_BIT(KW_TIER_A) |
                           KW_TIER_BIT(KW_TIER_B) | KW_TIER_BIT(KW_TIER_C))) {
        kw_set_error(error, "unknown tiers in the filter (0x%x)", options->tiers);
        return KW_ERR_USAGE;
    }
    rels = g_array_new(FALSE, FALSE, sizeof(kw_relationship_t));
    /* Organisations (by org), then every relationship person who is not in
     * one (freemail people; by person: everyone). */
    if (options->by == KW_BY_ORG) {
        for (i = 0; i < m->org_list->len && s == KW_OK; i++) {
            entity_t e;
            kw_relationship_t r;
            int wanted;
            org_entity(g_ptr_array_index(m->org_list, i), &e);
            s = compute_entity(m, &e, states, options->tiers, &r, &wanted, error);
            if (wanted)
                g_array_append_val(rels, r);
        }
    }
    for (i = 0; i < m->n_contacts && s == KW_OK; i++) {
        contact_t *c = &m->contacts[i];
        entity_t e;
        kw_relationship_t r;
        size_t slot;
        int wanted;
        if (!is_relationship(m, c))
            continue;
        /* By organisation, people at one are in its row; only someone the
         * user ignored or snoozed on their own has a row of their own, in
         * the snoozed and ignored lists (where they are brought back). */
        if (options->by == KW_BY_ORG && !contact_freemail(m, c)) {
            const setting_t *own = setting_for(m, c->email);
            if (!(states & (KW_STATE_BIT(KW_STATE_SNOOZED) | KW_STATE_BIT(KW_STATE_IGNORED))) ||
                !own || !(own->ignored || own->snoozed_until > m->as_of))
                continue;
        }
        person_entity(m, i, &e, &slot);
        s = compute_entity(m, &e, states, options->tiers, &r, &wanted, error);
        if (wanted)
            g_array_append_val(rels, r);
    }
    if (s != KW_OK) {
        for (i = 0; i < rels->len; i++)
            relationship_clear(&g_array_index(rels, kw_relationship_t, i));
        g_array_free(rels, TRUE);
        return s;
    }
    g_array_sort(rels, cmp_relationship);
    if (options->limit > 0 && rels->len > (guint) options->limit) {
        for (i = (size_t) options->limit; i < rels->len; i++)
            relationship_clear(&g_array_index(rels, kw_relationship_t, i));
        g_array_set_size(rels, (guint) options->limit);
    }
    list = g_new0(kw_relationship_list_t, 1);
    list->count = rels->len;
    list->items = (kw_relationship_t *) (void *) g_array_free(rels, FALSE);
    *out = list;
    return KW_OK;
}

KW_PUBLIC void kw_relationship_list_free(kw_relationship_list_t *list)
{
    size_t i;
    if (!list)
        return;
    for (i = 0; i < list->count; i++)
        relationship_clear(&list->items[i]);
    g_free(list->items);
    g_free(list);
}

KW_PUBLIC void kw_relationship_free(kw_relationship_t *rel)
{
    relationship_clear(rel);
    g_free(rel);
}

/* ------------------------------------------------------------------------ */
/* The one target resolver                                                   */
/* ------------------------------------------------------------------------ */

static const char *kind_explanation(kw_contact_kind_t kind)
{
    switch (kind) {
    case KW_KIND_SELF: return "one of your own addresses";
    case KW_KIND_COLLEAGUE: return "a colleague (your own domain)";
    case KW_KIND_LIST: return "a mailing list or bulk sender";
    case KW_KIND_AUTOMATED: return "an automated or role address";
    default: return "not a relationship";
    }
}

static int contact_by_email(kw_model_t *m, const char *email)
{
    if (!m->by_email) {
        m->by_email = g_hash_table_new(g_str_hash, g_str_equal);
        for (size_t i = 0; i < m->n_contacts; i++)
            g_hash_table_insert(m->by_email, (gpointer) m->contacts[i].email,
                                GSIZE_TO_POINTER(i + 1));
    }
    return (int) GPOINTER_TO_SIZE(g_hash_table_lookup(m->by_email, email)) - 1;
}

/* What a user typed, reduced to an address or a domain (transfer full):
 * trimmed; "mailto:" (with its ?query) and percent-escapes undone; the
 * address inside "Name <addr>" or "<addr>"; a leading "@" of a domain
 * dropped. Resolution by name ("whitfield", "did you mean") belongs here. */
static char *target_text(const char *text)
{
    char *t = g_strstrip(g_strdup(text ? text : ""));
    char *lt, *gt;

    if (g_ascii_strncasecmp(t, "mailto:", 7) == 0) {
        char *rest = t + 7, *q = strchr(rest, '?'), *un;
        if (q)
            *q = '\0';
        un = g_uri_unescape_string(rest, NULL);
        g_free(t);
        t = g_strstrip(un ? un : g_strdup(""));
    }
    lt = strrchr(t, '<');
    if (lt && (gt = strchr(lt, '>')) != NULL) {
        char *inner = g_strstrip(g_strndup(lt + 1, (gsize) (gt - lt - 1)));
        g_free(t);
        t = inner;
    }
    if (t[0] == '@' && !strchr(t + 1, '@'))
        memmove(t, t + 1, strlen(t));
    return t;
}

typedef struct {
    kw_target_kind_t kind;
    char *key;          /* normalised address or organisation domain */
    int   contact;      /* for an address: the contact index, else -1 */
} resolved_t;

static char *display_name_of(kw_model_t *m, const resolved_t *t);

/* ---- names ------------------------------------------------------------------ */

/* Words of a name for comparing: accents dropped (NFKD without combining
 * marks), case folded (ß -> ss), everything but letters and digits a
 * separator. (transfer full, g_strfreev); an empty vector for no words. */
static char **fold_words(const char *text)
{
    char *nfkd = text ? g_utf8_normalize(text, -1, G_NORMALIZE_ALL) : NULL;
    GString *plain = g_string_new(NULL);
    char *folded, **words;
    GPtrArray *out = g_ptr_array_new();

    for (const char *p = nfkd ? nfkd : ""; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_ismark(c))
            continue;
        if (g_unichar_isalnum(c))
            g_string_append_unichar(plain, c);
        else
            g_string_append_c(plain, ' ');
    }
    folded = g_utf8_casefold(plain->str, -1);
    words = g_strsplit(folded, " ", -1);
    for (char **w = words; *w; w++)
        if (**w)
            g_ptr_array_add(out, g_strdup(*w));
    g_ptr_array_add(out, NULL);
    g_strfreev(words);
    g_free(folded);
    g_string_free(plain, TRUE);
    g_free(nfkd);
    return (char **) g_ptr_array_free(out, FALSE);
}

/* Edit distance of two UTF-8 words, or a large number beyond `limit`. */
static size_t word_distance(const char *a, const char *b, size_t limit)
{
    glong la, lb;
    gunichar *ua = g_utf8_to_ucs4_fast(a, -1, &la), *ub = g_utf8_to_ucs4_fast(b, -1, &lb);
    size_t *prev, *cur, d;

    if ((size_t) labs(la - lb) > limit || la > 64 || lb > 64) {
        g_free(ua);
        g_free(ub);
        return limit + 1;
    }
    prev = g_new(size_t, (gsize) lb + 1);
    cur = g_new(size_t, (gsize) lb + 1);
    for (glong j = 0; j <= lb; j++)
        prev[j] = (size_t) j;
    for (glong i = 1; i <= la; i++) {
        cur[0] = (size_t) i;
        for (glong j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (ua[i - 1] != ub[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = MIN(sub, MIN(del, ins));
        }
        memcpy(prev, cur, ((gsize) lb + 1) * sizeof *prev);
    }
    d = prev[lb];
    g_free(prev);
    g_free(cur);
    g_free(ua);
    g_free(ub);
    return d;
}

/* Edits a typed word may be away from a name's word and still be a near
 * miss: one for short words, two from six letters on. */
static size_t typo_limit(const char *word)
{
    return g_utf8_strlen(word, -1) >= 6 ? 2 : 1;
}

#define MATCH_NONE 3

/* How the typed words `q` match the words `n` of one name: exactly (the same
 * words), by words (each typed word begins a different word of the name),
 * similar (each typed word is a near miss of a word of the name, or of
 * the name's words run together: "brandtlogistik"), or not. */
static int match_words(char *const *q, char *const *n)
{
    size_t nq = g_strv_length((char **) q), nn = g_strv_length((char **) n);
    gboolean *used;
    int tier = KW_MATCH_EXACT;

    if (!nq || !nn)
        return MATCH_NONE;
    if (nq == nn) {
        size_t i = 0;
        while (i < nq && strcmp(q[i], n[i]) == 0)
            i++;
        if (i == nq)
            return KW_MATCH_EXACT;
    }
    if (nq > nn)
        return MATCH_NONE;
    used = g_new0(gboolean, nn);
    for (size_t i = 0; i < nq && tier != MATCH_NONE; i++) {
        size_t best = nn;
        int best_tier = MATCH_NONE;
        for (size_t j = 0; j < nn; j++) {
            if (used[j])
                continue;
            if (g_str_has_prefix(n[j], q[i])) {
                best = j;
                best_tier = KW_MATCH_WORDS;
                break;
            }
            if (best_tier == MATCH_NONE &&
                word_distance(q[i], n[j], typo_limit(q[i])) <= typo_limit(q[i])) {
                best = j;
                best_tier = KW_MATCH_SIMILAR;
            }
        }
        if (best == nn) {
            tier = MATCH_NONE;
            break;
        }
        used[best] = TRUE;
        tier = MAX(tier, MAX(best_tier, KW_MATCH_WORDS));
    }
    g_free(used);
    if (tier == MATCH_NONE && nq == 1 && nn > 1) {
        char *joined = g_strjoinv("", (char **) n);
        if (word_distance(q[0], joined, typo_limit(q[0])) <= typo_limit(q[0]))
            tier = KW_MATCH_SIMILAR;
        g_free(joined);
    }
    return tier;
}

typedef struct {
    kw_target_kind_t kind;
    const char *key;      /* (chunk) */
    int         contact;  /* a person's contact index, else -1 */
    int         match;
    const char *matched;  /* the name or key that matched (the model's) */
    int64_t     weight;   /* counted mail: the busier relationship first */
} cand_t;

/* The stem of an organisation domain, as words: "brandt-logistik.de" ->
 * "brandt logistik" (its registrable label). (transfer full) */
static char **stem_words(const char *org)
{
    const char *dot = strchr(org, '.');
    char *label = dot && dot > org ? g_strndup(org, (gsize) (dot - org)) : g_strdup(org);
    char **w = fold_words(label);
    g_free(label);
    return w;
}

/* Try one name of a candidate: keep the best match, at best `cap`. */
static void try_name(cand_t *c, char *const *q, const char *name, int cap)
{
    char **n;
    int tier;

    if (!name || !*name)
        return;
    n = fold_words(name);
    tier = match_words(q, n);
    g_strfreev(n);
    if (tier < cap)
        tier = cap;
    if (tier < c->match) {
        c->match = tier;
        c->matched = name;
    }
}

static gint cmp_cand(gconstpointer a, gconstpointer b)
{
    const cand_t *x = a, *y = b;
    if (x->match != y->match)
        return x->match - y->match;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind == KW_TARGET_ORG ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The local part of an address as a name: "alice.jones@x" -> "alice.jones". */
static char *local_part(const char *email)
{
    const char *at = strrchr(email, '@');
    return at ? g_strndup(email, (gsize) (at - email)) : g_strdup(email);
}

/* Every person and organisation whose names match the typed words `q`
 * (fold_words), appended to `out` (cand_t) with their best match, sorted
 * best first. `stem` (text typed like a domain, "whitfield.com",
 * "alice.jones"): also a near miss where an organisation's stem equals it,
 * and a person's address words match exactly where their name only matches
 * by words; else the other way round (a name typed: "alice" is Alice
 * Jones as much as alice@...). */
static void search_names(kw_model_t *m, char *const *q, const char *stem, GArray *out)
{
    int name_cap = stem ? KW_MATCH_WORDS : KW_MATCH_EXACT;
    int address_cap = stem ? KW_MATCH_EXACT : KW_MATCH_WORDS;

    GHashTable *orgs = g_hash_table_new(g_str_hash, g_str_equal); /* org key -> index + 1 */

    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        cand_t pc = { KW_TARGET_PERSON, c->email, (int) i, MATCH_NONE, NULL,
                      c->st.c_in + c->st.c_out };
        const setting_t *own;
        char *lp;

        if (contact_kind(m, c) != KW_KIND_PERSON)
            continue;
        own = setting_for(m, c->email);
        if (own && own->name)
            try_name(&pc, q, own->name, name_cap);
        try_name(&pc, q, c->name, name_cap);
        lp = local_part(c->email);
        try_name(&pc, q, lp, address_cap);
        if (pc.matched == lp)
            pc.matched = c->email;
        g_free(lp);
        if (pc.match != MATCH_NONE)
            g_array_append_val(out, pc);

        /* its organisation, once */
        if (!contact_freemail(m, c)) {
            gpointer slot = g_hash_table_lookup(orgs, c->org);
            if (slot) {
                g_array_index(out, cand_t, GPOINTER_TO_SIZE(slot) - 1).weight +=
                    c->st.c_in + c->st.c_out;
            } else {
                cand_t oc = { KW_TARGET_ORG, c->org, -1, MATCH_NONE, NULL,
                              c->st.c_in + c->st.c_out };
                const setting_t *os = setting_for(m, c->org);
                char **sw = stem_words(c->org);
                int tier = match_words(q, sw);
                if (tier < oc.match) {
                    oc.match = tier;
                    oc.matched = c->org;
                }
                g_strfreev(sw);
                if (os && os->name)
                    try_name(&oc, q, os->name, KW_MATCH_EXACT);
                if (stem && oc.match > KW_MATCH_SIMILAR) {
                    char **st = stem_words(c->org);
                    char *joined = g_strjoinv(" ", st);
                    if (strcmp(joined, stem) == 0) {
                        oc.match = KW_MATCH_SIMILAR;
                        oc.matched = c->org;
                    }
                    g_free(joined);
                    g_strfreev(st);
                }
                /* kept even without a match: later members add weight */
                g_array_append_val(out, oc);
                g_hash_table_insert(orgs, (gpointer) c->org, GSIZE_TO_POINTER(out->len));
            }
        }
    }
    g_hash_table_destroy(orgs);
    /* drop the organisations that matched nothing */
    for (guint i = out->len; i-- > 0;)
        if (g_array_index(out, cand_t, i).match == MATCH_NONE)
            g_array_remove_index(out, i);
    g_array_sort(out, cmp_cand);
}

/* The candidates of the best tier only (and similar ones only when there
 * is nothing better). */
static void keep_best_tier(GArray *c)
{
    if (c->len == 0)
        return;
    int best = g_array_index(c, cand_t, 0).match;
    guint n = 0;
    while (n < c->len && g_array_index(c, cand_t, n).match == best)
        n++;
    g_array_set_size(c, n);
}

static kw_query_t query_kind(const char *t)
{
    if (strchr(t, '@'))
        return KW_QUERY_ADDRESS;
    for (const char *p = t; *p; p++)
        if (g_ascii_isspace(*p))
            return KW_QUERY_NAME;
    return strchr(t, '.') && t[0] != '.' ? KW_QUERY_DOMAIN : KW_QUERY_NAME;
}

/* An organisation known to the store: one with people at its domain. */
static int org_known(kw_model_t *m, const char *key)
{
    if (g_hash_table_contains(m->orgs, key))
        return 1;
    for (size_t i = 0; i < m->n_contacts; i++)
        if (!contact_freemail(m, &m->contacts[i]) && strcmp(m->contacts[i].org, key) == 0)
            return 1;
    return 0;
}

/* Addresses the store knows within two edits of `email` (a typo). */
static void similar_addresses(kw_model_t *m, const char *email, GArray *out)
{
    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        cand_t pc = { KW_TARGET_PERSON, c->email, (int) i, KW_MATCH_SIMILAR, c->email,
                      c->st.c_in + c->st.c_out };
        if (contact_kind(m, c) == KW_KIND_PERSON && word_distance(email, c->email, 2) <= 2)
            g_array_append_val(out, pc);
    }
    g_array_sort(out, cmp_cand);
}

typedef struct {
    kw_query_t query;
    int        known;       /* the address or domain is in the store */
    int        freemail;    /* a free-mail domain */
    char      *key;         /* the normalised address or organisation key, or NULL */
    int        contact;     /* the known address's contact, or -1 */
    char      *text;        /* what was typed, reduced (target_text) */
} query_t;

static void query_clear(query_t *q)
{
    g_free(q->key);
    g_free(q->text);
}

/* Read what was typed and find its candidates (cand_t, best tier first:
 * every exact one, else every words one, else the similar ones). */
static kw_status_t search(kw_model_t *m, const char *text, query_t *q, GArray *out, char **error)
{
    char **words = NULL;

    memset(q, 0, sizeof *q);
    q->contact = -1;
    q->text = target_text(text);
    if (!*q->text) {
        kw_set_error(error, "no target given (an address, a domain or a name)");
        return KW_ERR_USAGE;
    }
    q->query = query_kind(q->text);
    if (q->query == KW_QUERY_ADDRESS) {
        q->key = kw_normalize_email(q->text, -1);
        if (!q->key) {
            kw_set_error(error, "'%s' is not an e-mail address", q->text);
            return KW_ERR_USAGE;
        }
        q->contact = contact_by_email(m, q->key);
        q->known = q->contact >= 0;
        if (q->known) {
            cand_t c = { KW_TARGET_PERSON, m->contacts[q->contact].email, q->contact,
                         KW_MATCH_EXACT, m->contacts[q->contact].email, 0 };
            g_array_append_val(out, c);
        } else {
            similar_addresses(m, q->key, out);
        }
        return KW_OK;
    }
    if (q->query == KW_QUERY_DOMAIN) {
        q->key = kw_org_for_address(q->text);
        if (q->key && strchr(q->key, '.')) {
            if (kw_is_freemail_domain(q->key)) {
                q->freemail = 1;
                return KW_OK;
            }
            if (org_known(m, q->key)) {
                cand_t c = { KW_TARGET_ORG, g_string_chunk_insert_const(m->chunk, q->key), -1,
                             KW_MATCH_EXACT, NULL, 0 };
                c.matched = c.key;
                q->known = 1;
                g_array_append_val(out, c);
                return KW_OK;
            }
        }
        /* Unknown: its words may still name someone ("alice.jones"), and
         * its stem an organisation at another ending ("whitfield.com"). */
        words = fold_words(q->text);
        {
            char **sw = q->key ? stem_words(q->key) : NULL;
            char *stem = sw ? g_strjoinv(" ", sw) : NULL;
            search_names(m, words, stem, out);
            g_free(stem);
            g_strfreev(sw);
        }
        g_strfreev(words);
        keep_best_tier(out);
        return KW_OK;
    }
    words = fold_words(q->text);
    if (words[0])
        search_names(m, words, NULL, out);
    g_strfreev(words);
    keep_best_tier(out);
    return KW_OK;
}

/* "Alice Jones <alice@a.example>", "Whitfield (whitfield.co.uk)". */
static char *cand_label(kw_model_t *m, const cand_t *c)
{
    const setting_t *own = setting_for(m, c->key);
    const char *name = own && own->name ? own->name
                       : c->contact >= 0 ? m->contacts[c->contact].name : NULL;
    char *derived = NULL, *r;
    if (c->kind == KW_TARGET_ORG && !name)
        name = derived = org_name_from_domain(c->key);
    if (!name || !*name)
        r = g_strdup(c->key);
    else
        r = g_strdup_printf(c->kind == KW_TARGET_ORG ? "%s (%s)" : "%s <%s>", name, c->key);
    g_free(derived);
    return r;
}

/* ", "-separated labels of the first few candidates, "…" when there are more. */
static char *cand_labels(kw_model_t *m, GArray *c, guint max)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < c->len && i < max; i++) {
        char *l = cand_label(m, &g_array_index(c, cand_t, i));
        if (i)
            g_string_append(out, ", ");
        g_string_append(out, l);
        g_free(l);
    }
    if (c->len > max)
        g_string_append(out, ", …");
    return g_string_free(out, FALSE);
}

static kw_status_t resolve(kw_model_t *m, const char *text, resolved_t *out, char **error)
{
    GArray *c = g_array_new(FALSE, FALSE, sizeof(cand_t));
    query_t q;
    kw_status_t s;
    char *labels = NULL;
    int best = MATCH_NONE;

    out->key = NULL;
    out->contact = -1;
    s = search(m, text, &q, c, error);
    if (s != KW_OK)
        goto done;
    if (c->len)
        best = g_array_index(c, cand_t, 0).match;
    if (q.freemail) {
        kw_set_error(error, "%s is a free-mail provider, not an organisation: "
                            "give the person's address instead", q.key);
        s = KW_ERR_NOT_FOUND;
    } else if (best <= KW_MATCH_WORDS && c->len == 1) {
        const cand_t *one = &g_array_index(c, cand_t, 0);
        out->kind = one->kind;
        out->key = g_strdup(one->key);
        out->contact = one->contact;
    } else if (best <= KW_MATCH_WORDS) {
        labels = cand_labels(m, c, 5);
        kw_set_error(error, "'%s' matches %u targets: %s", q.text, c->len, labels);
        s = KW_ERR_AMBIGUOUS;
    } else {
        labels = c->len ? cand_labels(m, c, 3) : NULL;
        if (q.query == KW_QUERY_ADDRESS)
            kw_set_error(error, "unknown target %s: no mail with this address in the store%s%s%s",
                         q.key, labels ? "; did you mean " : "", labels ? labels : "",
                         labels ? "?" : "");
        else if (q.query == KW_QUERY_DOMAIN && q.key && strchr(q.key, '.'))
            kw_set_error(error, "unknown target %s: no mail with anyone at this domain in the "
                                "store%s%s%s", q.key, labels ? "; did you mean " : "",
                         labels ? labels : "", labels ? "?" : "");
        else
            kw_set_error(error, "nobody called '%s' in the store%s%s%s", q.text,
                         labels ? "; did you mean " : "", labels ? labels : "", labels ? "?" : "");
        s = KW_ERR_NOT_FOUND;
    }
done:
    g_free(labels);
    query_clear(&q);
    g_array_free(c, TRUE);
    return s;
}

KW_PUBLIC kw_status_t kw_model_find(kw_model_t *m, const char *text, int max,
                                    kw_candidate_list_t **out, char **error)
{
    GArray *c;
    query_t q;
    kw_status_t s;
    kw_candidate_list_t *list;
    size_t n;

    if (!m || !out) {
        kw_set_error(error, "kw_model_find: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if (max <= 0)
        max = 10;
    c = g_array_new(FALSE, FALSE, sizeof(cand_t));
    s = search(m, text, &q, c, error);
    if (s != KW_OK) {
        query_clear(&q);
        g_array_free(c, TRUE);
        return s;
    }
    list = g_new0(kw_candidate_list_t, 1);
    list->query = q.query;
    list->known = q.known;
    list->total = c->len;
    n = MIN(c->len, (size_t) max);
    list->count = n;
    list->items = g_new0(kw_candidate_t, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const cand_t *x = &g_array_index(c, cand_t, i);
        resolved_t r = { x->kind, (char *) x->key, x->contact };
        kw_candidate_t *o = &list->items[i];
        o->target.kind = x->kind;
        o->target.key = g_strdup(x->key);
        o->target.display_name = display_name_of(m, &r);
        o->match = (kw_match_t) x->match;
        o->matched = g_strdup(x->matched ? x->matched : x->key);
    }
    query_clear(&q);
    g_array_free(c, TRUE);
    *out = list;
    return KW_OK;
}

KW_PUBLIC void kw_candidate_list_free(kw_candidate_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        g_free(list->items[i].target.key);
        g_free(list->items[i].target.display_name);
        g_free(list->items[i].matched);
    }
    g_free(list->items);
    g_free(list);
}

/* The entity for a resolved target. An organisation without relationship
 * people (only prospects) is built ad hoc from its people; *adhoc then
 * holds its members (g_free). */
static kw_status_t target_entity(kw_model_t *m, const resolved_t *t, entity_t *e, size_t *slot,
                                 size_t **adhoc, char **error)
{
    org_t *o;
    GArray *people;
    int noise_kind = -1;

    *adhoc = NULL;
    if (t->kind == KW_TARGET_PERSON) {
        contact_t *c = &m->contacts[t->contact];
        if (contact_kind(m, c) != KW_KIND_PERSON) {
            kw_set_error(error, "%s is %s, not a relationship", c->email,
                         kind_explanation(c->kind));
            return KW_ERR_NOT_FOUND;
        }
        person_entity(m, (size_t) t->contact, e, slot);
        return KW_OK;
    }
    o = g_hash_table_lookup(m->orgs, t->key);
    if (o) {
        org_entity(o, e);
        return KW_OK;
    }
    /* Only prospects (or ignored people) there: show them together. */
    people = g_array_new(FALSE, FALSE, sizeof(size_t));
    for (size_t i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        if (contact_freemail(m, c) || strcmp(c->org, t->key) != 0)
            continue;
        if (contact_kind(m, c) != KW_KIND_PERSON)
            noise_kind = (int) c->kind;
        else
            g_array_append_val(people, i);
    }
    if (people->len == 0) {
        g_array_free(people, TRUE);
        kw_set_error(error, "%s has only %s contacts, not a relationship", t->key,
                     kw_contact_kind_to_string((kw_contact_kind_t) (noise_kind >= 0 ? noise_kind : 0)));
        return KW_ERR_NOT_FOUND;
    }
    e->kind = KW_TARGET_ORG;
    e->key = t->key;
    e->n_members = people->len;
    e->org = NULL;
    *adhoc = (size_t *) (void *) g_array_free(people, FALSE);
    e->members = *adhoc;
    return KW_OK;
}

static char *display_name_of(kw_model_t *m, const resolved_t *t)
{
    const setting_t *own = setting_for(m, t->key);
    if (own && own->name)
        return g_strdup(own->name);
    if (t->kind == KW_TARGET_PERSON)
        return g_strdup(m->contacts[t->contact].name ? m->contacts[t->contact].name : t->key);
    return org_name_from_domain(t->key);
}

KW_PUBLIC kw_status_t kw_model_resolve(kw_model_t *m, const char *text, kw_target_t **out,
                                       char **error)
{
    resolved_t t;
    kw_status_t s;

    if (!m || !out) {
        kw_set_error(error, "kw_model_resolve: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = resolve(m, text, &t, error);
    if (s != KW_OK)
        return s;
    *out = g_new0(kw_target_t, 1);
    (*out)->kind = t.kind;
    (*out)->display_name = display_name_of(m, &t);
    (*out)->key = t.key;
    return KW_OK;
}

KW_PUBLIC void kw_target_free(kw_target_t *target)
{
    if (!target)
        return;
    g_free(target->key);
    g_free(target->display_name);
    g_free(target);
}

kw_status_t kw_model_resolve_key(kw_store_t *store, const char *target, char **key_out,
                                 kw_target_kind_t *kind_out, char **error)
{
    kw_model_t *m = NULL;
    resolved_t t;
    kw_status_t s;

    *key_out = NULL;
    /* An address or a domain needs the contacts only; a name needs to know
     * who is a person (lists and automated senders are not candidates),
     * which takes the model. */
    {
        char *text = target_text(target);
        int by_name = query_kind(text) == KW_QUERY_NAME;
        g_free(text);
        s = model_load(store, INT64_MAX, 0, 0, !by_name, &m, error);
    }
    if (s != KW_OK)
        return s;
    s = resolve(m, target, &t, error);
    if ((s == KW_ERR_NOT_FOUND || s == KW_ERR_AMBIGUOUS) && m->contacts_only) {
        /* a domain typed for a name ("alice.jones"): ask the whole model */
        kw_model_free(m);
        s = model_load(store, INT64_MAX, 0, 0, 0, &m, error);
        if (s != KW_OK)
            return s;
        s = resolve(m, target, &t, error);
    }
    if (s == KW_OK) {
        *key_out = t.key;
        if (kind_out)
            *kind_out = t.kind;
    }
    kw_model_free(m);
    return s;
}

static kw_status_t relationship_for(kw_model_t *m, const resolved_t *t, kw_relationship_t **out,
                                    char **error);

kw_store_t *kw_model_store(kw_model_t *m)
{
    return m ? m->store : NULL;
}

int kw_model_person_contact(kw_model_t *m, const char *email, int64_t *id_out)
{
    int ci = email ? contact_by_email(m, email) : -1;
    if (ci < 0 || contact_kind(m, &m->contacts[ci]) != KW_KIND_PERSON)
        return 0;
    if (id_out)
        *id_out = m->contacts[ci].id;
    return 1;
}

int kw_model_is_identity(kw_model_t *m, const char *email)
{
    return email && g_hash_table_contains(m->identities, email);
}

kw_status_t kw_model_touch_person(kw_model_t *m, const char *target, int64_t *contact_id,
                                  char **key_out, kw_target_kind_t *kind_out, char **error)
{
    resolved_t t;
    kw_relationship_t *r = NULL;
    kw_status_t s;
    int ci;

    *key_out = NULL;
    s = resolve(m, target, &t, error);
    if (s != KW_OK)
        return s;
    s = relationship_for(m, &t, &r, error); /* the same checks as `show` */
    if (s == KW_OK) {
        /* a person: them; an organisation: the one you write to there */
        ci = contact_by_email(m, t.kind == KW_TARGET_PERSON ? t.key : r->main_person);
        if (ci < 0) {
            kw_set_error(error, "nobody at %s to have talked to", t.key);
            s = KW_ERR_NOT_FOUND;
        } else {
            *contact_id = m->contacts[ci].id;
        }
    }
    kw_relationship_free(r);
    if (s == KW_OK) {
        *key_out = t.key;
        if (kind_out)
            *kind_out = t.kind;
    } else {
        g_free(t.key);
    }
    return s;
}

static kw_status_t relationship_for(kw_model_t *m, const resolved_t *t, kw_relationship_t **out,
                                    char **error)
{
    entity_t e;
    size_t slot, *adhoc = NULL;
    kw_relationship_t *r;
    int wanted;
    kw_status_t s;

    s = target_entity(m, t, &e, &slot, &adhoc, error);
    if (s != KW_OK)
        return s;
    r = g_new0(kw_relationship_t, 1);
    s = compute_entity(m, &e, 0, 0, r, &wanted, error);
    g_free(adhoc);
    if (s != KW_OK) {
        kw_relationship_free(r);
        return s;
    }
    *out = r;
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_model_relationship(kw_model_t *m, const char *target,
                                            kw_relationship_t **out, char **error)
{
    resolved_t t;
    kw_status_t s;

    if (!m || !out) {
        kw_set_error(error, "kw_model_relationship: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = resolve(m, target, &t, error);
    if (s != KW_OK)
        return s;
    s = relationship_for(m, &t, out, error);
    g_free(t.key);
    return s;
}

KW_PUBLIC kw_status_t kw_model_for_sender(kw_model_t *m, const char *address,
                                          kw_relationship_t **out, char **error)
{
    char *t, *email = NULL, *org = NULL;
    kw_status_t s;

    if (!m || !out) {
        kw_set_error(error, "kw_model_for_sender: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    t = target_text(address);
    if (strchr(t, '@'))
        email = kw_normalize_email(t, -1);
    g_free(t);
    if (!email) {
        kw_set_error(error, "'%s' is not an e-mail address", address ? address : "");
        return KW_ERR_USAGE;
    }
    /* The organisation first (what the list shows), then the person. */
    org = kw_org_key(email);
    if (org && g_hash_table_contains(m->orgs, org)) {
        resolved_t r = { KW_TARGET_ORG, org, -1 };
        s = relationship_for(m, &r, out, error);
    } else {
        resolved_t r = { KW_TARGET_PERSON, email, contact_by_email(m, email) };
        if (r.contact < 0) {
            kw_set_error(error, "no relationship with %s", email);
            s = KW_ERR_NOT_FOUND;
        } else {
            s = relationship_for(m, &r, out, error);
        }
    }
    g_free(org);
    g_free(email);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Timeline                                                                  */
/* ------------------------------------------------------------------------ */

/* The events of the entity's members up to as_of with their subjects, read
 * from the store in one indexed query per member and sorted by time. */
static kw_status_t timeline_events(kw_model_t *m, const entity_t *e, GArray *ev,
                                   GPtrArray *subjects, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc = SQLITE_DONE;

    s = kw_store_prepare(m->store,
                         "SELECT i.date, i.direction, i.flags, i.n_recipients, i.source, m.subject "
                         "FROM interactions i JOIN messages m ON m.id = i.message_id "
                         "WHERE i.contact_id = ?1 AND i.date <= ?2 ORDER BY i.date",
                         &st, error);
    if (s != KW_OK)
        return s;
    for (size_t i = 0; i < e->n_members && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int64(st, 1, m->contacts[e->members[i]].id);
        sqlite3_bind_int64(st, 2, m->as_of);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            kw_rel_event_t x;
            char *subj = kw_sanitize_for_display(col_text(st, 5));
            event_from_row(st, 0, (int) e->members[i], &x);
            x.subject = subj && *subj ? subj : NULL;
            g_ptr_array_add(subjects, subj);
            g_array_append_val(ev, x);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading the timeline", error);
    if (e->n_members > 1)
        g_array_sort(ev, cmp_event);
    return KW_OK;
}

/* The contacts a target's touches can be with: every contact at an
 * organisation (prospects too: a meeting with one is still a meeting), or
 * the person. */
static void target_contacts(kw_model_t *m, kw_target_kind_t kind, const char *key, GArray *idx)
{
    if (kind == KW_TARGET_PERSON) {
        int ci = contact_by_email(m, key);
        if (ci >= 0) {
            size_t v = (size_t) ci;
            g_array_append_val(idx, v);
        }
        return;
    }
    for (size_t i = 0; i < m->n_contacts; i++)
        if (!contact_freemail(m, &m->contacts[i]) && strcmp(m->contacts[i].org, key) == 0)
            g_array_append_val(idx, i);
}

void kw_model_target_contact_ids(kw_model_t *m, kw_target_kind_t kind, const char *key, GArray *ids)
{
    GArray *idx = g_array_new(FALSE, FALSE, sizeof(size_t));
    target_contacts(m, kind, key, idx);
    for (guint i = 0; i < idx->len; i++)
        g_array_append_val(ids, m->contacts[g_array_index(idx, size_t, i)].id);
    g_array_free(idx, TRUE);
}

/* Logged and calendar touches with the contacts `idx` up to `max_time`,
 * appended to `out` (kw_logged_touch_t). */
static kw_status_t read_logged(kw_model_t *m, GArray *idx, int64_t max_time, GArray *out,
                               char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc = SQLITE_DONE;

    s = kw_store_prepare(m->store,
                         "SELECT id, source, time, target, note, origin, uid FROM touches "
                         "WHERE contact_id = ?1 AND time <= ?2",
                         &st, error);
    if (s != KW_OK)
        return s;
    for (guint i = 0; i < idx->len && rc == SQLITE_DONE; i++) {
        const contact_t *c = &m->contacts[g_array_index(idx, size_t, i)];
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, max_time);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            kw_logged_touch_t t = { 0 };
            t.id = sqlite3_column_int64(st, 0);
            t.source = (kw_source_t) sqlite3_column_int(st, 1);
            t.time = sqlite3_column_int64(st, 2);
            t.address = g_strdup(c->email);
            t.target = g_strdup(col_text(st, 3));
            t.note = col_text(st, 4) ? kw_sanitize_for_display(col_text(st, 4)) : NULL;
            t.from_calendar = sqlite3_column_int(st, 5) == 1;
            t.calendar_uid = col_text(st, 6) ? g_strdup(col_text(st, 6)) : NULL;
            g_array_append_val(out, t);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(m->store, rc, "reading logged touches", error);
    return KW_OK;
}

static int cmp_logged_newest(const void *a, const void *b)
{
    const kw_logged_touch_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

static int cmp_touch_newest(const void *a, const void *b)
{
    const kw_touch_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return x->log_id > y->log_id ? -1 : x->log_id < y->log_id;
}

KW_PUBLIC kw_status_t kw_model_logged_touches(kw_model_t *m, const char *target,
                                              kw_logged_touch_list_t **out, char **error)
{
    resolved_t t;
    entity_t e;
    size_t slot, *adhoc = NULL;
    GArray *idx, *items;
    kw_logged_touch_list_t *list;
    kw_status_t s;

    if (!m || !out) {
        kw_set_error(error, "kw_model_logged_touches: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = resolve(m, target, &t, error);
    if (s != KW_OK)
        return s;
    s = target_entity(m, &t, &e, &slot, &adhoc, error); /* the same targets as everywhere */
    g_free(adhoc);
    if (s != KW_OK) {
        g_free(t.key);
        return s;
    }
    idx = g_array_new(FALSE, FALSE, sizeof(size_t));
    items = g_array_new(FALSE, FALSE, sizeof(kw_logged_touch_t));
    target_contacts(m, t.kind, t.key, idx);
    s = read_logged(m, idx, INT64_MAX, items, error);
    g_array_free(idx, TRUE);
    g_free(t.key);
    list = g_new0(kw_logged_touch_list_t, 1);
    list->count = items->len;
    list->items = (kw_logged_touch_t *) (void *) g_array_free(items, FALSE);
    if (s != KW_OK) {
        kw_logged_touch_list_free(list);
        return s;
    }
    if (list->count > 1) /* no items array when empty: qsort(NULL, 0) is undefined */
        qsort(list->items, list->count, sizeof *list->items, cmp_logged_newest);
    *out = list;
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_model_timeline(kw_model_t *m, const char *target, kw_touch_list_t **out,
                                        char **error)
{
    resolved_t t;
    entity_t e;
    size_t slot, *adhoc = NULL, nt, i;
    GArray *ev = NULL;
    GPtrArray *subjects = NULL;
    GArray *logged = NULL;
    kw_rel_touch_t *touches = NULL;
    kw_touch_list_t *list;
    kw_status_t s;

    if (!m || !out) {
        kw_set_error(error, "kw_model_timeline: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = resolve(m, target, &t, error);
    if (s != KW_OK)
        return s;
    s = target_entity(m, &t, &e, &slot, &adhoc, error);
    if (s != KW_OK)
        goto done;
    ev = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    subjects = g_ptr_array_new_with_free_func(kw_free);
    s = timeline_events(m, &e, ev, subjects, error);
    if (s != KW_OK)
        goto done;
    touches = g_new(kw_rel_touch_t, ev->len ? ev->len : 1);
    nt = kw_rel_touches((const kw_rel_event_t *) (void *) ev->data, ev->len, m->as_of, touches);
    {
        /* calls, meetings, visits: one entry each, beside the mail */
        GArray *idx = g_array_new(FALSE, FALSE, sizeof(size_t));
        logged = g_array_new(FALSE, FALSE, sizeof(kw_logged_touch_t));
        target_contacts(m, t.kind, t.key, idx);
        s = read_logged(m, idx, m->as_of, logged, error);
        g_array_free(idx, TRUE);
        if (s != KW_OK)
            goto done;
    }
    list = g_new0(kw_touch_list_t, 1);
    list->count = nt + logged->len;
    list->items = g_new0(kw_touch_t, list->count ? list->count : 1);
    for (i = 0; i < logged->len; i++) {
        kw_logged_touch_t *lt = &g_array_index(logged, kw_logged_touch_t, i);
        kw_touch_t *o = &list->items[nt + i];
        o->time = lt->time;
        o->address = lt->address;
        o->inbound = o->outbound = 1;
        o->subject = lt->note;
        o->source = lt->source;
        o->log_id = lt->id;
        lt->address = lt->note = NULL; /* moved */
    }
    for (i = 0; i < nt; i++) {
        const kw_rel_touch_t *tt = &touches[nt - 1 - i]; /* newest first */
        const kw_rel_event_t *first = &g_array_index(ev, kw_rel_event_t, tt->first_event);
        kw_touch_t *o = &list->items[i];
        o->time = tt->start;
        o->address = tt->person >= 0 ? g_strdup(m->contacts[tt->person].email) : NULL;
        o->inbound = tt->has_in;
        o->outbound = tt->has_out;
        o->subject = g_strdup(first->subject);
        o->source = first->source;
    }
    if (list->count > 1) /* no items array when empty: qsort(NULL, 0) is undefined */
        qsort(list->items, list->count, sizeof *list->items, cmp_touch_newest);
    *out = list;
done:
    if (logged) {
        for (i = 0; i < logged->len; i++) {
            kw_logged_touch_t *lt = &g_array_index(logged, kw_logged_touch_t, i);
            g_free(lt->address);
            g_free(lt->target);
            g_free(lt->note);
            g_free(lt->calendar_uid);
        }
        g_array_free(logged, TRUE);
    }
    if (subjects)
        g_ptr_array_free(subjects, TRUE);
    if (ev)
        g_array_free(ev, TRUE);
    g_free(touches);
    g_free(adhoc);
    g_free(t.key);
    return s;
}

KW_PUBLIC void kw_touch_list_free(kw_touch_list_t *list)
{
    size_t i;
    if (!list)
        return;
    for (i = 0; i < list->count; i++) {
        g_free(list->items[i].address);
        g_free(list->items[i].subject);
    }
    g_free(list->items);
    g_free(list);
}

/* ------------------------------------------------------------------------ */
/* The team's touches                                                        */
/* ------------------------------------------------------------------------ */

static int cmp_team_touch(const void *a, const void *b)
{
    const kw_team_touch_t *x = a, *y = b;
    int c;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    if (x->kind != y->kind)
        return (int) x->kind - (int) y->kind;
    if ((c = g_strcmp0(x->member_id, y->member_id)) != 0)
        return c;
    if ((c = g_strcmp0(x->member.address, y->member.address)) != 0)
        return c;
    return g_strcmp0(x->person, y->person);
}

/* The subject of a message (sanitised), or NULL. */
static char *message_subject(kw_model_t *m, sqlite3_stmt **st, int64_t message_id)
{
    char *subject = NULL;
    if (!*st && kw_store_prepare(m->store, "SELECT subject FROM messages WHERE id = ?1", st, NULL) != KW_OK)
        return NULL;
    sqlite3_bind_int64(*st, 1, message_id);
    if (sqlite3_step(*st) == SQLITE_ROW && col_text(*st, 0)) {
        char *clean = kw_sanitize_for_display(col_text(*st, 0));
        subject = clean && *clean ? g_strdup(clean) : NULL;
        kw_free(clean);
    }
    sqlite3_reset(*st);
    return subject;
}

/* Every team touch of an entity up to as_of, newest first (the list of
 * kw_model_team_touches). */
static kw_status_t entity_team_touches(kw_model_t *m, const entity_t *e, GArray *out, char **error)
{
    GArray *hits = g_array_new(FALSE, TRUE, sizeof(kw_team_hit_t));
    GArray *copied = g_array_new(FALSE, FALSE, sizeof(copied_t));
    sqlite3_stmt *subject = NULL;
    kw_status_t s;

    s = kw_team_lookup_all(m->team, e->key, e->kind == KW_TARGET_PERSON, m->as_of, hits, error);
    for (size_t i = 0; i < e->n_members && s == KW_OK; i++)
        s = copied_of_contact(m, e->members[i], 0, copied, error);
    if (s == KW_OK) {
        for (guint k = 0; k < hits->len; k++) {
            kw_team_hit_t *h = &g_array_index(hits, kw_team_hit_t, k);
            kw_team_touch_t t = { 0 };
            t.time = h->time;
            t.kind = h->kind;
            t.member.name = h->member_name;
            t.member_id = h->member;
            t.person = h->person;
            memset(h, 0, sizeof *h);
            g_array_append_val(out, t);
        }
        for (guint k = 0; k < copied->len; k++) {
            const copied_t *c = &g_array_index(copied, copied_t, k);
            kw_team_touch_t t = { 0 };
            t.time = c->date;
            t.kind = KW_TEAM_TOUCH_COPIED;
            person_ref(m, (int) c->colleague, &t.member);
            t.person = g_strdup(m->contacts[c->contact].email);
            t.subject = message_subject(m, &subject, c->message_id);
            g_array_append_val(out, t);
        }
        g_array_sort(out, cmp_team_touch);
    }
    sqlite3_finalize(subject);
    for (guint k = 0; k < hits->len; k++)
        kw_team_hit_clear(&g_array_index(hits, kw_team_hit_t, k));
    g_array_free(hits, TRUE);
    g_array_free(copied, TRUE);
    return s;
}

static void team_touch_clear(kw_team_touch_t *t)
{
    person_ref_clear(&t->member);
    g_free(t->member_id);
    g_free(t->person);
    g_free(t->subject);
}

KW_PUBLIC void kw_team_touch_list_free(kw_team_touch_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        team_touch_clear(&list->items[i]);
    g_free(list->items);
    g_free(list);
}

/* Resolve a target into its entity (for the team functions below);
 * *adhoc and t->key to be freed by the caller. */
static kw_status_t team_target(kw_model_t *m, const char *fn, const char *target, resolved_t *t,
                               entity_t *e, size_t *slot, size_t **adhoc, char **error)
{
    kw_status_t s;
    t->key = NULL;
    *adhoc = NULL;
    if (!m) {
        kw_set_error(error, "%s: a model is required", fn);
        return KW_ERR_USAGE;
    }
    s = resolve(m, target, t, error);
    if (s == KW_OK)
        s = target_entity(m, t, e, slot, adhoc, error);
    return s;
}

static GArray *team_touch_array(void)
{
    return g_array_new(FALSE, TRUE, sizeof(kw_team_touch_t));
}

static void team_touch_array_free(GArray *a)
{
    for (guint k = 0; k < a->len; k++)
        team_touch_clear(&g_array_index(a, kw_team_touch_t, k));
    g_array_free(a, TRUE);
}

KW_PUBLIC kw_status_t kw_model_team_touches(kw_model_t *m, const char *target,
                                            kw_team_touch_list_t **out, char **error)
{
    resolved_t t;
    entity_t e;
    size_t slot, *adhoc = NULL;
    GArray *touches;
    kw_status_t s;

    if (!out) {
        kw_set_error(error, "kw_model_team_touches: out is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = team_target(m, "kw_model_team_touches", target, &t, &e, &slot, &adhoc, error);
    if (s == KW_OK) {
        touches = team_touch_array();
        s = entity_team_touches(m, &e, touches, error);
        if (s == KW_OK) {
            *out = g_new0(kw_team_touch_list_t, 1);
            (*out)->count = touches->len;
            (*out)->items = (kw_team_touch_t *) (void *) g_array_free(touches, FALSE);
        } else {
            team_touch_array_free(touches);
        }
    }
    g_free(adhoc);
    g_free(t.key);
    return s;
}

KW_PUBLIC kw_status_t kw_model_team_touched_week(kw_model_t *m, const char *target, int64_t week_of,
                                                 int *touched_out, char **error)
{
    resolved_t t;
    entity_t e;
    size_t slot, *adhoc = NULL;
    int64_t start, end;
    kw_status_t s;

    if (!touched_out) {
        kw_set_error(error, "kw_model_team_touched_week: touched_out is required");
        return KW_ERR_USAGE;
    }
    *touched_out = 0;
    s = team_target(m, "kw_model_team_touched_week", target, &t, &e, &slot, &adhoc, error);
    if (s == KW_OK && has_team(m)) {
        GArray *touches = team_touch_array();
        kw_team_iso_week(week_of, &start, &end, NULL, NULL);
        s = entity_team_touches(m, &e, touches, error);
        for (guint k = 0; s == KW_OK && k < touches->len; k++) {
            int64_t when = g_array_index(touches, kw_team_touch_t, k).time;
            if (when >= start && when < end)
                *touched_out = 1;
        }
        team_touch_array_free(touches);
    }
    g_free(adhoc);
    g_free(t.key);
    return s;
}

KW_PUBLIC kw_status_t kw_model_team_owner(kw_model_t *m, const char *target, int64_t week_of,
                                          int *mine_out, char **member_out, char **error)
{
    resolved_t t;
    entity_t e;
    size_t slot, *adhoc = NULL;
    GPtrArray *members;
    const char *me;
    char *owner = NULL;
    int year, week;
    kw_status_t s;

    if (!mine_out) {
        kw_set_error(error, "kw_model_team_owner: mine_out is required");
        return KW_ERR_USAGE;
    }
    *mine_out = 1;
    if (member_out)
        *member_out = NULL;
    s = team_target(m, "kw_model_team_owner", target, &t, &e, &slot, &adhoc, error);
    if (s != KW_OK) {
        g_free(adhoc);
        g_free(t.key);
        return s;
    }
    me = kw_team_lookup_me(m->team);
    members = g_ptr_array_new_with_free_func(g_free);
    /* the teammates holding it: records of its organisation (a free-mail
     * person's organisation key is the address), or of the person */
    s = kw_team_lookup_holders(m->team, e.key,
                               e.kind == KW_TARGET_PERSON && strchr(e.key, '@') &&
                                   !contact_freemail(m, &m->contacts[e.members[0]]),
                               members, error);
    if (s == KW_OK) {
        g_ptr_array_add(members, g_strdup(me ? me : ""));
        kw_team_iso_week(week_of, NULL, NULL, &year, &week);
        owner = kw_team_owner_of(e.key, year, week, (const char *const *) members->pdata,
                                 members->len);
        *mine_out = owner && strcmp(owner, me ? me : "") == 0;
        if (member_out)
            *member_out = owner && *owner ? g_strdup(owner) : NULL;
    }
    g_free(owner);
    g_ptr_array_free(members, TRUE);
    g_free(adhoc);
    g_free(t.key);
    return s;
}

const char *kw_model_org_of(kw_model_t *m, const char *address)
{
    int ci = m && address ? contact_by_email(m, address) : -1;
    return ci >= 0 ? contact_org(m, &m->contacts[ci]) : NULL;
}

const char *kw_model_mail_name(kw_model_t *m, const char *address)
{
    int ci = m && address ? contact_by_email(m, address) : -1;
    return ci >= 0 ? m->contacts[ci].name : NULL;
}

/* ------------------------------------------------------------------------ */
/* Contacts                                                                  */
/* ------------------------------------------------------------------------ */

KW_PUBLIC const char *kw_contact_kind_to_string(kw_contact_kind_t kind)
{
    switch (kind) {
    case KW_KIND_PERSON: return "person";
    case KW_KIND_AUTOMATED: return "automated";
    case KW_KIND_LIST: return "list";
    case KW_KIND_SELF: return "self";
    case KW_KIND_COLLEAGUE: return "colleague";
    }
    return "unknown";
}

static int cmp_contact_recent(const void *a, const void *b)
{
    const kw_contact_t *x = a, *y = b;
    int64_t lx = x->last_inbound > x->last_outbound ? x->last_inbound : x->last_outbound;
    int64_t ly = y->last_inbound > y->last_outbound ? y->last_inbound : y->last_outbound;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return strcmp(x->email, y->email);
}

KW_PUBLIC kw_status_t kw_model_contacts(kw_model_t *m, int all, kw_contact_list_t **out,
                                        char **error)
{
    kw_contact_list_t *list;
    size_t i, n = 0;

    if (!m || !out) {
        kw_set_error(error, "kw_model_contacts: a model is required");
        return KW_ERR_USAGE;
    }
    list = g_new0(kw_contact_list_t, 1);
    list->items = g_new0(kw_contact_t, m->n_contacts ? m->n_contacts : 1);
    for (i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        kw_contact_t *o;
        if (!all && !(c->st.c_out > 0 && contact_kind(m, c) == KW_KIND_PERSON))
            continue;
        contact_kind(m, c);
        o = &list->items[n++];
        o->email = g_strdup(c->email);
        o->name = g_strdup(c->name);
        o->org = g_strdup(contact_org(m, c));
        o->kind = c->kind;
        o->last_inbound = c->st.last_in;
        o->last_outbound = c->st.last_out;
        o->inbound = c->st.n_in;
        o->outbound = c->st.n_out;
    }
    list->count = n;
    if (n > 1) /* no items array when empty: qsort(NULL, 0) is undefined */
        qsort(list->items, n, sizeof *list->items, cmp_contact_recent);
    *out = list;
    return KW_OK;
}

KW_PUBLIC void kw_contact_list_free(kw_contact_list_t *list)
{
    size_t i;
    if (!list)
        return;
    for (i = 0; i < list->count; i++) {
        g_free(list->items[i].email);
        g_free(list->items[i].name);
        g_free(list->items[i].org);
    }
    g_free(list->items);
    g_free(list);
}

/* ------------------------------------------------------------------------ */
/* States                                                                    */
/* ------------------------------------------------------------------------ */

KW_PUBLIC const char *kw_state_to_string(kw_state_t state)
{
    static const char *const names[KW_STATE_LAST] = {
        [KW_STATE_OVERDUE] = "overdue",
        [KW_STATE_DUE_SOON] = "due-soon",
        [KW_STATE_AWAITING_YOUR_REPLY] = "awaiting-your-reply",
        [KW_STATE_AWAITING_THEIR_REPLY] = "awaiting-their-reply",
        [KW_STATE_OK] = "ok",
        [KW_STATE_SNOOZED] = "snoozed",
        [KW_STATE_IGNORED] = "ignored",
    };
    if ((int) state < 0 || state >= KW_STATE_LAST)
        return "unknown";
    return names[state];
}

KW_PUBLIC kw_status_t kw_state_from_string(const char *name, kw_state_t *state_out)
{
    int i;
    if (!name)
        return KW_ERR_USAGE;
    for (i = 0; i < KW_STATE_LAST; i++) {
        if (strcmp(name, kw_state_to_string((kw_state_t) i)) == 0) {
            if (state_out)
                *state_out = (kw_state_t) i;
            return KW_OK;
        }
    }
    return KW_ERR_USAGE;
}

/* ------------------------------------------------------------------------ */
/* Keeping the aggregates                                                    */
/* ------------------------------------------------------------------------ */

static kw_status_t put_row(kw_store_t *store, sqlite3_stmt *st, char **error)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "saving the model's aggregates", error);
    return KW_OK;
}

static kw_status_t write_contact(kw_model_t *m, size_t ci, sqlite3_stmt *ins, sqlite3_stmt *del,
                                 GByteArray *buf, char **error)
{
    contact_t *c = &m->contacts[ci];
    entity_t e;
    size_t slot;
    kw_rel_summary_t h;
    kw_status_t s;

    if (c->n_ev == 0) { /* no interactions: no row */
        sqlite3_bind_int64(del, 1, c->id);
        return put_row(m->store, del, error);
    }
    person_entity(m, ci, &e, &slot);
    s = entity_history(m, &e, &h, error);
    if (s != KW_OK)
        return s;
    g_byte_array_set_size(buf, 0);
    put_stats(buf, &c->st);
    put_history(buf, m, &h);
    sqlite3_bind_int64(ins, 1, c->id);
    sqlite3_bind_blob(ins, 2, buf->data, (int) buf->len, SQLITE_STATIC);
    return put_row(m->store, ins, error);
}

static kw_status_t write_org(kw_model_t *m, org_t *o, sqlite3_stmt *ins, GByteArray *buf,
                             char **error)
{
    entity_t e;
    kw_rel_summary_t h;
    kw_status_t s;

    org_entity(o, &e);
    s = entity_history(m, &e, &h, error);
    if (s != KW_OK)
        return s;
    g_byte_array_set_size(buf, 0);
    put_history(buf, m, &h);
    sqlite3_bind_text(ins, 1, o->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, (int64_t) o->digest);
    sqlite3_bind_blob(ins, 3, buf->data, (int) buf->len, SQLITE_STATIC);
    return put_row(m->store, ins, error);
}

/* The copied touches the loader computed from messages (all of them when
 * team_copied was not valid for the current rule, else those after it), and
 * how far they go. */
static kw_status_t write_copied(kw_model_t *m, char **error)
{
    sqlite3_stmt *ins = NULL, *pref = NULL;
    kw_status_t s = KW_OK;

    if (!m->copied_kept)
        s = kw_store_exec(m->store, "DELETE FROM team_copied", error);
    if (s == KW_OK)
        s = kw_store_prepare(m->store,
                             "INSERT OR REPLACE INTO team_copied(contact_id, date, message_id, "
                             "colleague_id) VALUES (?1, ?2, ?3, ?4)",
                             &ins, error);
    for (guint k = 0; s == KW_OK && k < m->copied->len; k++) {
        const copied_t *c = &g_array_index(m->copied, copied_t, k);
        sqlite3_bind_int64(ins, 1, m->contacts[c->contact].id);
        sqlite3_bind_int64(ins, 2, c->date);
        sqlite3_bind_int64(ins, 3, c->message_id);
        sqlite3_bind_int64(ins, 4, m->contacts[c->colleague].id);
        s = put_row(m->store, ins, error);
    }
    if (s == KW_OK)
        s = kw_store_prepare(m->store,
                             "INSERT OR REPLACE INTO preferences(key, value) VALUES "
                             "('team_copied_upto', ?1), ('team_copied_rule', ?2)",
                             &pref, error);
    if (s == KW_OK) {
        sqlite3_bind_int64(pref, 1, m->copied_seen);
        sqlite3_bind_text(pref, 2, m->copied_rule, -1, SQLITE_STATIC);
        s = put_row(m->store, pref, error);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(pref);
    return s;
}

/* Inside the write transaction, with the model loaded as of now: write
 * what was computed from events. */
static kw_status_t write_aggregates(kw_model_t *m, char **error)
{
    sqlite3_stmt *cins = NULL, *cdel = NULL, *oins = NULL, *odel = NULL;
    GByteArray *buf = g_byte_array_new();
    int full = m->scanned;
    char *ver;
    kw_status_t s;

    if (full) {
        s = kw_store_exec(m->store, "DELETE FROM contact_agg; DELETE FROM org_agg", error);
        if (s != KW_OK)
            goto done;
    }
    if ((s = kw_store_prepare(m->store, "INSERT OR REPLACE INTO contact_agg(contact_id, agg) "
                                        "VALUES (?1, ?2)", &cins, error)) != KW_OK ||
        (s = kw_store_prepare(m->store, "DELETE FROM contact_agg WHERE contact_id = ?1", &cdel,
                              error)) != KW_OK ||
        (s = kw_store_prepare(m->store, "INSERT OR REPLACE INTO org_agg(org, members, agg) "
                                        "VALUES (?1, ?2, ?3)", &oins, error)) != KW_OK ||
        (s = kw_store_prepare(m->store, "DELETE FROM org_agg WHERE org = ?1", &odel, error)) != KW_OK)
        goto done;
    for (size_t i = 0; i < m->n_contacts && s == KW_OK; i++) {
        contact_t *c = &m->contacts[i];
        if (!c->exact || (full && c->n_ev == 0))
            continue;
        s = write_contact(m, i, cins, cdel, buf, error);
        /* an organisation that lost its last member keeps no row */
        if (s == KW_OK && !full && !contact_freemail(m, c) && !g_hash_table_contains(m->orgs, c->org)) {
            sqlite3_bind_text(odel, 1, c->org, -1, SQLITE_STATIC);
            s = put_row(m->store, odel, error);
        }
    }
    for (guint k = 0; k < m->org_list->len && s == KW_OK; k++) {
        org_t *o = g_ptr_array_index(m->org_list, k);
        if (o->exact)
            s = write_org(m, o, oins, buf, error);
    }
    if (s == KW_OK)
        s = write_copied(m, error);
    if (s != KW_OK)
        goto done;
    ver = g_strdup_printf("DELETE FROM agg_dirty;"
                          "INSERT OR REPLACE INTO preferences(key, value) VALUES ('agg_version', %d)",
                          AGG_VERSION);
    s = kw_store_exec(m->store, ver, error);
    g_free(ver);
done:
    sqlite3_finalize(cins);
    sqlite3_finalize(cdel);
    sqlite3_finalize(oins);
    sqlite3_finalize(odel);
    g_byte_array_free(buf, TRUE);
    return s;
}

kw_status_t kw_model_refresh_aggregates(kw_store_t *store, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_model_t *m = NULL;
    char *rule = NULL;
    kw_status_t s;
    int rc, stale = 1;

    if (!store || store->read_only) {
        kw_set_error(error, "the aggregates need a read-write store");
        return KW_ERR_USAGE;
    }
    /* Stale: the aggregates (format, marks) or the copied touches (messages
     * after those looked at, or identities and colleague domains that are
     * not those they were computed with). */
    s = copied_rule_text(store, &rule, error);
    if (s == KW_OK)
        s = kw_store_prepare(store,
                             "SELECT (SELECT value FROM preferences WHERE key = 'agg_version') IS ?1 "
                             "AND NOT EXISTS (SELECT 1 FROM agg_dirty) "
                             "AND (SELECT value FROM preferences WHERE key = 'team_copied_upto') "
                             "  IS (SELECT coalesce(max(id), 0) FROM messages) "
                             "AND (SELECT value FROM preferences WHERE key = 'team_copied_rule') IS ?2",
                             &st, error);
    if (s != KW_OK) {
        g_free(rule);
        return s;
    }
    sqlite3_bind_int(st, 1, AGG_VERSION);
    sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        stale = !sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    g_free(rule);
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "checking the model's aggregates", error);
    if (!stale)
        return KW_OK;

    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    /* The same loader as every reader, as of now: what it computes from
     * events is exactly what is stale. Interactions still ahead (planned
     * meetings) are left out and noted (stats.pending), so that a contact
     * with a meeting next week is still read from its aggregate today. */
    s = model_load(store, g_get_real_time() / G_USEC_PER_SEC, 0, 0, 0, &m, error);
    if (s == KW_OK)
        s = write_aggregates(m, error);
    kw_model_free(m);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    return s;
}
