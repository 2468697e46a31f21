/* model.c — the relationship model over the store: contacts, relationships,
 * timelines.
 *
 * One load reads everything the model needs in a single read transaction:
 * identities and own domains (who is "self" and who is a colleague), the
 * settings, the contacts (ordered by id) and ONE ordered scan of the
 * interactions table (clustered by (contact_id, date)), merge-joined with the
 * contacts. The arithmetic (touches, medians, states) is relationship.c, in C.
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
 *    roll-up. `kw_relationship_get` still answers for them.
 *  - ignoring an address also takes that person out of their organisation's
 *    roll-up (someone who left, or a private contact at a customer).
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "classify.h"
#include "header_parse.h"
#include "relationship.h"
#include "sanitize.h"
#include "store.h"

/* Inbound flags that make a sender a list, or automated (auto-replies of a
 * real person on holiday do not make them automated). */
#define LIST_FLAGS (KW_MSG_LIST | KW_MSG_BULK)
#define AUTO_FLAGS (KW_MSG_AUTO | KW_MSG_BOUNCE)

typedef struct {
    int64_t snoozed_until;
    int     ignored;
    int     cadence_days;
    char   *note;
} setting_t;

typedef struct {
    int64_t id;
    char   *email;
    char   *name;      /* NULL if none */
    char   *org;       /* organisation key (domain, or the address for freemail) */
    int     freemail;
    kw_contact_kind_t kind;
    /* Raw counts (every interaction up to as_of). */
    int64_t n_in, n_out, last_in, last_out;
    int64_t n_in_list, n_in_auto;
    /* Counted (kw_rel_event_counts) activity. */
    int64_t c_in, c_out, c_last;
    size_t  ev_start, ev_count;
} contact_t;

typedef struct {
    int64_t     as_of;
    contact_t  *contacts;
    size_t      n_contacts;
    kw_rel_event_t *events;
    size_t      n_events;
    const char **names;       /* display name per contact (person index) */
    GHashTable *settings;     /* target -> setting_t* */
    GHashTable *identities;   /* email set */
    GHashTable *colleagues;   /* registrable domain set */
    GHashTable *org_cache;    /* domain -> registrable domain ("" when freemail) */
} model_t;

static void setting_free(gpointer p)
{
    setting_t *s = p;
    if (s) {
        g_free(s->note);
        g_free(s);
    }
}

static void model_clear(model_t *m)
{
    size_t i;
    for (i = 0; i < m->n_contacts; i++) {
        g_free(m->contacts[i].email);
        g_free(m->contacts[i].name);
        g_free(m->contacts[i].org);
    }
    g_free(m->contacts);
    g_free(m->events);
    g_free(m->names);
    if (m->settings)
        g_hash_table_destroy(m->settings);
    if (m->identities)
        g_hash_table_destroy(m->identities);
    if (m->colleagues)
        g_hash_table_destroy(m->colleagues);
    if (m->org_cache)
        g_hash_table_destroy(m->org_cache);
    memset(m, 0, sizeof *m);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *) sqlite3_column_text(st, i);
}

/* Registrable domain of `domain`, or "" for a freemail domain (cached). */
static const char *org_domain(model_t *m, const char *domain)
{
    char *v = g_hash_table_lookup(m->org_cache, domain);
    if (!v) {
        if (kw_is_freemail_domain(domain))
            v = g_strdup("");
        else
            v = kw_registrable_domain(domain);
        if (!v)
            v = g_strdup(domain);
        g_hash_table_insert(m->org_cache, g_strdup(domain), v);
    }
    return v;
}

static kw_status_t load_identities(kw_store_t *store, model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_colleague_domain_list_t *colleagues = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store, "SELECT DISTINCT email FROM identities", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *email = col_text(st, 0);
        if (email)
            g_hash_table_add(m->identities, g_ascii_strdown(email, -1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading identities", error);

    /* the colleague rule (own domains, identity domains, or nobody) is
     * identity.c's, shared with `keepwarm identity own-domain list` */
    s = kw_store_colleague_domains(store, &colleagues, error);
    if (s != KW_OK)
        return s;
    for (size_t i = 0; i < colleagues->count; i++)
        g_hash_table_add(m->colleagues, g_strdup(colleagues->items[i].domain));
    kw_colleague_domain_list_free(colleagues);
    return KW_OK;
}

static kw_status_t load_settings(kw_store_t *store, model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT target, snoozed_until, ignored, cadence_days, note FROM settings",
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
        g_hash_table_replace(m->settings, g_strdup(col_text(st, 0)), set);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading settings", error);
    return KW_OK;
}

static kw_status_t load_contacts(kw_store_t *store, model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store, "SELECT id, email, name FROM contacts ORDER BY id", &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        contact_t *c;
        const char *email = col_text(st, 1), *domain, *org;
        if (!email || !(domain = kw_email_domain(email)))
            continue;
        if (m->n_contacts == cap) {
            cap = cap ? cap * 2 : 256;
            m->contacts = g_renew(contact_t, m->contacts, cap);
        }
        c = &m->contacts[m->n_contacts++];
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(st, 0);
        c->email = g_strdup(email);
        c->name = col_text(st, 2) && *col_text(st, 2) ? g_strdup(col_text(st, 2)) : NULL;
        org = org_domain(m, domain);
        c->freemail = *org == '\0';
        c->org = g_strdup(c->freemail ? email : org);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading contacts", error);
    return KW_OK;
}

/* The one ordered scan: interactions by (contact_id, date), merge-joined
 * with the contacts (also ordered by id). */
static kw_status_t load_interactions(kw_store_t *store, model_t *m, char **error)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, ci = 0;
    contact_t *cur = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT contact_id, date, direction, flags, n_recipients "
                         "FROM interactions ORDER BY contact_id, date",
                         &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0);
        int64_t date = sqlite3_column_int64(st, 1);
        kw_rel_event_t *e;

        /* as_of is checked here rather than in SQL: one comparison in C is
         * cheaper than one in the VDBE, and this loop is the model's cost. */
        if (date > m->as_of)
            continue;

        if (!cur || cur->id != cid) {
            while (ci < m->n_contacts && m->contacts[ci].id < cid)
                ci++;
            if (ci == m->n_contacts || m->contacts[ci].id != cid) {
                cur = NULL;
                continue; /* an interaction without a contact row: skip */
            }
            cur = &m->contacts[ci];
            cur->ev_start = m->n_events;
        }
        if (m->n_events == cap) {
            cap = cap ? cap * 2 : 4096;
            m->events = g_renew(kw_rel_event_t, m->events, cap);
        }
        e = &m->events[m->n_events++];
        e->time = date;
        e->direction = sqlite3_column_int(st, 2);
        e->flags = (unsigned) sqlite3_column_int(st, 3);
        e->n_recipients = sqlite3_column_int(st, 4);
        e->person = (int) ci;
        cur->ev_count++;

        if (e->direction == KW_DIR_IN) {
            cur->n_in++;
            cur->last_in = e->time;
            if (e->flags & LIST_FLAGS)
                cur->n_in_list++;
            else if ((e->flags & AUTO_FLAGS) && !(e->flags & KW_MSG_AUTOREPLY))
                cur->n_in_auto++;
        } else if (e->direction == KW_DIR_OUT) {
            cur->n_out++;
            cur->last_out = e->time;
        }
        if (kw_rel_event_counts(e)) {
            if (e->direction == KW_DIR_IN)
                cur->c_in++;
            else
                cur->c_out++;
            cur->c_last = e->time;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading interactions", error);
    return KW_OK;
}

static void classify_contacts(model_t *m)
{
    size_t i;
    m->names = g_new(const char *, m->n_contacts ? m->n_contacts : 1);
    for (i = 0; i < m->n_contacts; i++) {
        contact_t *c = &m->contacts[i];
        m->names[i] = c->name ? c->name : c->email;
        if (g_hash_table_contains(m->identities, c->email))
            c->kind = KW_KIND_SELF;
        else if (c->n_in > 0 && c->n_in_list * 2 > c->n_in)
            c->kind = KW_KIND_LIST;
        else if (kw_is_role_address(c->email))
            c->kind = KW_KIND_AUTOMATED;
        else if (c->n_in > 0 && c->n_in_auto * 2 > c->n_in)
            c->kind = KW_KIND_AUTOMATED;
        else if (!c->freemail && g_hash_table_contains(m->colleagues, c->org))
            c->kind = KW_KIND_COLLEAGUE;
        else
            c->kind = KW_KIND_PERSON;
    }
}

static kw_status_t model_load(kw_store_t *store, int64_t as_of, model_t *m, char **error)
{
    sqlite3 *db;
    int began = 0;
    kw_status_t s;

    memset(m, 0, sizeof *m);
    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    db = kw_store_db(store);
    m->as_of = as_of;
    m->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, setting_free);
    m->identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->colleagues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->org_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    /* One read transaction: a consistent snapshot even while a sync commits. */
    if (sqlite3_get_autocommit(db)) {
        s = kw_store_exec(store, "BEGIN", error);
        if (s != KW_OK)
            goto done;
        began = 1;
    }
    if ((s = load_identities(store, m, error)) != KW_OK ||
        (s = load_settings(store, m, error)) != KW_OK ||
        (s = load_contacts(store, m, error)) != KW_OK ||
        (s = load_interactions(store, m, error)) != KW_OK)
        goto done;
    classify_contacts(m);
done:
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (s != KW_OK)
        model_clear(m);
    return s;
}

static const setting_t *setting_for(const model_t *m, const char *target)
{
    return target ? g_hash_table_lookup(m->settings, target) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Entities: a set of contacts computed as one relationship                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    kw_target_kind_t kind;
    const char *key;      /* org key or address (transfer none: a contact's string) */
    GArray     *members;  /* size_t contact indexes */
} entity_t;

static void entity_free(gpointer p)
{
    entity_t *e = p;
    if (e) {
        g_array_free(e->members, TRUE);
        g_free(e);
    }
}

static entity_t *entity_new(kw_target_kind_t kind, const char *key)
{
    entity_t *e = g_new0(entity_t, 1);
    e->kind = kind;
    e->key = key;
    e->members = g_array_new(FALSE, FALSE, sizeof(size_t));
    return e;
}

static int is_relationship(const contact_t *c)
{
    return c->kind == KW_KIND_PERSON && c->c_in > 0 && c->c_out > 0;
}

static int cmp_event(const void *a, const void *b)
{
    const kw_rel_event_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->direction != y->direction)
        return x->direction - y->direction;
    return x->person - y->person;
}

static gint cmp_member_recent(gconstpointer a, gconstpointer b, gpointer model)
{
    const model_t *m = model;
    const contact_t *x = &m->contacts[*(const size_t *) a];
    const contact_t *y = &m->contacts[*(const size_t *) b];
    if (x->c_last != y->c_last)
        return x->c_last > y->c_last ? -1 : 1;
    return strcmp(x->email, y->email);
}

/* The events of an entity, sorted by time. *owned is set when the returned
 * array must be freed (several members merged). */
static const kw_rel_event_t *entity_events(const model_t *m, const entity_t *e, size_t *n,
                                           kw_rel_event_t **owned)
{
    size_t total = 0, i, k = 0;
    kw_rel_event_t *buf;

    *owned = NULL;
    if (e->members->len == 1) {
        const contact_t *c = &m->contacts[g_array_index(e->members, size_t, 0)];
        *n = c->ev_count;
        return c->ev_count ? &m->events[c->ev_start] : NULL;
    }
    for (i = 0; i < e->members->len; i++)
        total += m->contacts[g_array_index(e->members, size_t, i)].ev_count;
    *n = total;
    if (!total)
        return NULL;
    buf = g_new(kw_rel_event_t, total);
    for (i = 0; i < e->members->len; i++) {
        const contact_t *c = &m->contacts[g_array_index(e->members, size_t, i)];
        memcpy(buf + k, &m->events[c->ev_start], c->ev_count * sizeof *buf);
        k += c->ev_count;
    }
    qsort(buf, total, sizeof *buf, cmp_event);
    *owned = buf;
    return buf;
}

/* Settings of an entity: for a person, their own settings with their
 * organisation's as fallback (ignore/snooze of either apply). */
static void entity_settings(const model_t *m, const entity_t *e, int default_cadence,
                            kw_rel_settings_t *rs, const char **note)
{
    const setting_t *own = setting_for(m, e->key), *org = NULL;

    memset(rs, 0, sizeof *rs);
    rs->default_cadence_days = default_cadence;
    *note = NULL;
    if (e->kind == KW_TARGET_PERSON && e->members->len == 1) {
        const contact_t *c = &m->contacts[g_array_index(e->members, size_t, 0)];
        if (strcmp(c->org, e->key) != 0)
            org = setting_for(m, c->org);
    }
    if (own) {
        rs->user_cadence_days = own->cadence_days;
        rs->snoozed_until = own->snoozed_until;
        rs->ignored = own->ignored;
        *note = own->note;
    }
    if (org) {
        if (rs->user_cadence_days <= 0)
            rs->user_cadence_days = org->cadence_days;
        if (org->snoozed_until > rs->snoozed_until)
            rs->snoozed_until = org->snoozed_until;
        rs->ignored |= org->ignored;
        if (!*note)
            *note = org->note;
    }
}

static int needs_attention(kw_state_t s);

/* Whether a relationship in state `s` passes the query's filter (NULL: all). */
static int wanted(kw_state_t s, const kw_query_options_t *filter)
{
    if (!filter)
        return 1;
    if (filter->state_filter >= 0)
        return (int) s == filter->state_filter;
    return filter->include_all || needs_attention(s);
}

/* Compute one entity into *r; returns 0 (and allocates nothing) when the
 * state does not pass `filter`. */
static int compute_entity(const model_t *m, const entity_t *e, int64_t as_of,
                          int default_cadence, const kw_query_options_t *filter,
                          kw_relationship_t *r)
{
    kw_rel_event_t *owned = NULL;
    size_t n = 0, i;
    const kw_rel_event_t *ev = entity_events(m, e, &n, &owned);
    kw_rel_settings_t rs;
    kw_rel_summary_t sum;
    const char *note;
    size_t *idx;

    entity_settings(m, e, default_cadence, &rs, &note);
    kw_rel_analyze(ev, n, as_of, &rs, &sum);
    g_free(owned);
    memset(r, 0, sizeof *r);
    if (!wanted(sum.state, filter))
        return 0;

    r->kind = e->kind;
    r->key = g_strdup(e->key);
    /* people, most recent first */
    idx = g_new(size_t, e->members->len);
    memcpy(idx, e->members->data, e->members->len * sizeof *idx);
    g_qsort_with_data(idx, (gint) e->members->len, sizeof *idx, cmp_member_recent, (gpointer) m);
    r->people = g_new0(char *, e->members->len + 1);
    for (i = 0; i < e->members->len; i++)
        r->people[i] = g_strdup(m->contacts[idx[i]].email);
    if (e->kind == KW_TARGET_PERSON && e->members->len == 1)
        r->name = g_strdup(m->names[idx[0]]);
    else
        r->name = g_strdup(e->key);
    if (sum.last_in_person >= 0)
        r->main_person = g_strdup(m->contacts[sum.last_in_person].email);
    else if (e->members->len > 0)
        r->main_person = g_strdup(m->contacts[idx[0]].email);
    g_free(idx);

    r->state = sum.state;
    r->last_touch = sum.last_exchange;
    r->last_inbound = sum.last_in;
    r->last_outbound = sum.last_out;
    r->days_since = sum.days_since;
    r->cadence_days = sum.cadence_days;
    r->cadence_user_set = sum.cadence_source == KW_CADENCE_USER;
    r->due_date = sum.due_date;
    r->snoozed_until = rs.snoozed_until > as_of ? rs.snoozed_until : 0;
    r->touches = sum.exchanges;
    r->score = sum.score;
    r->reason = kw_rel_reason(&sum, as_of, m->names, m->n_contacts);
    r->note = g_strdup(note);
    return 1;
}

static void relationship_clear(kw_relationship_t *r)
{
    if (!r)
        return;
    g_free(r->key);
    g_free(r->name);
    g_strfreev(r->people);
    g_free(r->main_person);
    g_free(r->reason);
    g_free(r->note);
}

static int needs_attention(kw_state_t s)
{
    return s == KW_STATE_OVERDUE || s == KW_STATE_DUE_SOON || s == KW_STATE_AWAITING_YOUR_REPLY ||
           s == KW_STATE_AWAITING_THEIR_REPLY;
}

/* Rank groups: needing attention, then ok, snoozed, ignored. */
static int state_group(kw_state_t s)
{
    if (needs_attention(s))
        return 0;
    return s == KW_STATE_OK ? 1 : s == KW_STATE_SNOOZED ? 2 : 3;
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

static int default_cadence_of(const kw_query_options_t *o)
{
    return o && o->default_cadence_days > 0 ? o->default_cadence_days : KW_REL_DEFAULT_CADENCE_DAYS;
}

/* ------------------------------------------------------------------------ */
/* Public: relationships                                                     */
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

KW_PUBLIC kw_status_t kw_relationships_query(kw_store_t *store, const kw_query_options_t *options,
                                             kw_relationship_list_t **out, char **error)
{
    model_t m;
    GHashTable *by_key = NULL;
    GPtrArray *entities = NULL;
    GArray *rels = NULL;
    kw_relationship_list_t *list;
    kw_status_t s;
    size_t i;

    if (!out || !options || options->as_of <= 0) {
        kw_set_error(error, "kw_relationships_query: options with as_of are required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if (options->state_filter >= KW_STATE_LAST || options->state_filter < -1) {
        kw_set_error(error, "unknown state filter %d", options->state_filter);
        return KW_ERR_USAGE;
    }
    s = model_load(store, options->as_of, &m, error);
    if (s != KW_OK)
        return s;

    /* Group the relationship contacts into entities. */
    by_key = g_hash_table_new(g_str_hash, g_str_equal);
    entities = g_ptr_array_new_with_free_func(entity_free);
    for (i = 0; i < m.n_contacts; i++) {
        const contact_t *c = &m.contacts[i];
        const setting_t *own;
        entity_t *e;
        const char *key;
        kw_target_kind_t kind;

        if (!is_relationship(c))
            continue;
        if (options->by == KW_BY_PERSON || c->freemail) {
            key = c->email;
            kind = KW_TARGET_PERSON;
        } else {
            own = setting_for(&m, c->email);
            if (own && own->ignored)
                continue; /* an ignored person leaves the organisation's roll-up */
            key = c->org;
            kind = KW_TARGET_ORG;
        }
        e = g_hash_table_lookup(by_key, key);
        if (!e) {
            e = entity_new(kind, key);
            g_hash_table_insert(by_key, (gpointer) key, e);
            g_ptr_array_add(entities, e);
        }
        g_array_append_val(e->members, i);
    }

    rels = g_array_sized_new(FALSE, FALSE, sizeof(kw_relationship_t), entities->len);
    for (i = 0; i < entities->len; i++) {
        kw_relationship_t r;
        if (compute_entity(&m, g_ptr_array_index(entities, i), options->as_of,
                           default_cadence_of(options), options, &r))
            g_array_append_val(rels, r);
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

    g_hash_table_destroy(by_key);
    g_ptr_array_free(entities, TRUE);
    model_clear(&m);
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

/* Resolve a target to an entity over the loaded model. */
static kw_status_t resolve_entity(const model_t *m, const char *target, entity_t **out,
                                  char **error)
{
    char *t, *key = NULL;
    entity_t *e = NULL;
    size_t i;
    kw_status_t s = KW_OK;

    *out = NULL;
    if (!target || !*target) {
        kw_set_error(error, "no target given (an address or an organisation domain)");
        return KW_ERR_USAGE;
    }
    t = g_strstrip(g_strdup(target));
    if (strchr(t, '@')) {
        key = kw_normalize_email(t, -1);
        if (!key) {
            kw_set_error(error, "'%s' is not an e-mail address", t);
            s = KW_ERR_USAGE;
            goto done;
        }
        for (i = 0; i < m->n_contacts; i++) {
            const contact_t *c = &m->contacts[i];
            if (strcmp(c->email, key) != 0)
                continue;
            if (c->kind != KW_KIND_PERSON) {
                kw_set_error(error, "%s is %s, not a relationship", key, kind_explanation(c->kind));
                s = KW_ERR_NOT_FOUND;
                goto done;
            }
            e = entity_new(KW_TARGET_PERSON, c->email);
            g_array_append_val(e->members, i);
            break;
        }
        if (!e) {
            kw_set_error(error, "no mail with %s in the store", key);
            s = KW_ERR_NOT_FOUND;
        }
        goto done;
    }
    key = kw_org_for_address(t);
    if (!key) {
        kw_set_error(error, "'%s' is neither an address nor a domain", t);
        s = KW_ERR_USAGE;
        goto done;
    }
    if (kw_is_freemail_domain(key)) {
        kw_set_error(error, "%s is a free-mail provider, not an organisation: give the person's address", key);
        s = KW_ERR_NOT_FOUND;
        goto done;
    }
    {
        const char *org_key = NULL;
        int any = 0, noise_kind = -1;
        /* Relationship people first; prospects only when there is nobody else. */
        for (int pass = 0; pass < 2 && !e; pass++) {
            for (i = 0; i < m->n_contacts; i++) {
                const contact_t *c = &m->contacts[i];
                if (c->freemail || strcmp(c->org, key) != 0)
                    continue;
                any = 1;
                if (c->kind != KW_KIND_PERSON) {
                    noise_kind = (int) c->kind;
                    continue;
                }
                if (pass == 0 && !is_relationship(c))
                    continue;
                if (pass == 0) {
                    const setting_t *own = setting_for(m, c->email);
                    if (own && own->ignored)
                        continue;
                }
                if (!e) {
                    org_key = c->org;
                    e = entity_new(KW_TARGET_ORG, org_key);
                }
                g_array_append_val(e->members, i);
            }
        }
        if (!e) {
            if (any && noise_kind >= 0)
                kw_set_error(error, "%s has only %s contacts, not a relationship", key,
                             kw_contact_kind_to_string((kw_contact_kind_t) noise_kind));
            else
                kw_set_error(error, "no mail with anyone at %s in the store", key);
            s = KW_ERR_NOT_FOUND;
        }
    }
done:
    g_free(t);
    g_free(key);
    *out = e;
    return s;
}

KW_PUBLIC kw_status_t kw_relationship_get(kw_store_t *store, const char *target,
                                          const kw_query_options_t *options,
                                          kw_relationship_t **out, char **error)
{
    model_t m;
    entity_t *e = NULL;
    kw_status_t s;

    if (!out || !options || options->as_of <= 0) {
        kw_set_error(error, "kw_relationship_get: options with as_of are required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = model_load(store, options->as_of, &m, error);
    if (s != KW_OK)
        return s;
    s = resolve_entity(&m, target, &e, error);
    if (s == KW_OK) {
        *out = g_new0(kw_relationship_t, 1);
        compute_entity(&m, e, options->as_of, default_cadence_of(options), NULL, *out);
    }
    entity_free(e);
    model_clear(&m);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Public: timeline                                                          */
/* ------------------------------------------------------------------------ */

KW_PUBLIC kw_status_t kw_relationship_timeline(kw_store_t *store, const char *target,
                                               int64_t as_of, kw_touch_list_t **out,
                                               char **error)
{
    model_t m;
    entity_t *e = NULL;
    sqlite3_stmt *st = NULL;
    GArray *ev = NULL;          /* kw_rel_event_t; person = row slot until sorted */
    GArray *slot_contact = NULL;/* size_t contact index per row slot */
    GPtrArray *slot_subject = NULL; /* sanitised subject per row slot */
    kw_rel_touch_t *touches = NULL;
    size_t *slot_of = NULL;     /* row slot of each sorted event */
    kw_touch_list_t *list;
    size_t nt, i;
    kw_status_t s;
    int rc = SQLITE_DONE;

    if (!out || as_of <= 0) {
        kw_set_error(error, "kw_relationship_timeline: as_of is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = model_load(store, as_of, &m, error);
    if (s != KW_OK)
        return s;
    s = resolve_entity(&m, target, &e, error);
    if (s != KW_OK)
        goto done;

    s = kw_store_prepare(store,
                         "SELECT i.date, i.direction, i.flags, i.n_recipients, m.subject "
                         "FROM interactions i JOIN messages m ON m.id = i.message_id "
                         "WHERE i.contact_id = ?1 AND i.date <= ?2 ORDER BY i.date",
                         &st, error);
    if (s != KW_OK)
        goto done;
    ev = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    slot_contact = g_array_new(FALSE, FALSE, sizeof(size_t));
    slot_subject = g_ptr_array_new_with_free_func(g_free);
    for (i = 0; i < e->members->len; i++) {
        size_t ci = g_array_index(e->members, size_t, i);
        sqlite3_bind_int64(st, 1, m.contacts[ci].id);
        sqlite3_bind_int64(st, 2, as_of);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            kw_rel_event_t x;
            x.time = sqlite3_column_int64(st, 0);
            x.direction = sqlite3_column_int(st, 1);
            x.flags = (unsigned) sqlite3_column_int(st, 2);
            x.n_recipients = sqlite3_column_int(st, 3);
            x.person = (int) ev->len;
            g_array_append_val(ev, x);
            g_array_append_val(slot_contact, ci);
            g_ptr_array_add(slot_subject, kw_sanitize_for_display(col_text(st, 4)));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s = kw_store_fail(store, rc, "reading the timeline", error);
        goto done;
    }

    /* Sort by time, then turn each event's row slot into its contact index. */
    g_array_sort(ev, cmp_event);
    slot_of = g_new(size_t, ev->len ? ev->len : 1);
    for (i = 0; i < ev->len; i++) {
        kw_rel_event_t *x = &g_array_index(ev, kw_rel_event_t, i);
        slot_of[i] = (size_t) x->person;
        x->person = (int) g_array_index(slot_contact, size_t, slot_of[i]);
    }
    touches = g_new(kw_rel_touch_t, ev->len ? ev->len : 1);
    nt = kw_rel_touches((const kw_rel_event_t *) (void *) ev->data, ev->len, as_of, touches);
    list = g_new0(kw_touch_list_t, 1);
    list->count = nt;
    list->items = g_new0(kw_touch_t, nt ? nt : 1);
    for (i = 0; i < nt; i++) {
        const kw_rel_touch_t *t = &touches[nt - 1 - i]; /* newest first */
        const char *subj = g_ptr_array_index(slot_subject, (guint) slot_of[t->first_event]);
        kw_touch_t *o = &list->items[i];
        o->time = t->start;
        o->address = t->person >= 0 ? g_strdup(m.contacts[t->person].email) : NULL;
        o->inbound = t->has_in;
        o->outbound = t->has_out;
        o->subject = subj && *subj ? g_strdup(subj) : NULL;
    }
    *out = list;
done:
    if (slot_subject)
        g_ptr_array_free(slot_subject, TRUE);
    if (slot_contact)
        g_array_free(slot_contact, TRUE);
    if (ev)
        g_array_free(ev, TRUE);
    g_free(slot_of);
    g_free(touches);
    entity_free(e);
    model_clear(&m);
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
/* Public: contacts                                                          */
/* ------------------------------------------------------------------------ */

static int cmp_contact_recent(const void *a, const void *b)
{
    const kw_contact_t *x = a, *y = b;
    int64_t lx = x->last_inbound > x->last_outbound ? x->last_inbound : x->last_outbound;
    int64_t ly = y->last_inbound > y->last_outbound ? y->last_inbound : y->last_outbound;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return strcmp(x->email, y->email);
}

KW_PUBLIC kw_status_t kw_contacts_list(kw_store_t *store, int all, kw_contact_list_t **out,
                                       char **error)
{
    model_t m;
    kw_contact_list_t *list;
    kw_status_t s;
    size_t i, n = 0;

    if (!out) {
        kw_set_error(error, "kw_contacts_list: out is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = model_load(store, INT64_MAX, &m, error);
    if (s != KW_OK)
        return s;
    list = g_new0(kw_contact_list_t, 1);
    list->items = g_new0(kw_contact_t, m.n_contacts ? m.n_contacts : 1);
    for (i = 0; i < m.n_contacts; i++) {
        const contact_t *c = &m.contacts[i];
        kw_contact_t *o;
        if (!all && !(c->kind == KW_KIND_PERSON && c->c_out > 0))
            continue;
        if (c->n_in == 0 && c->n_out == 0 && !all)
            continue;
        o = &list->items[n++];
        o->email = g_strdup(c->email);
        o->name = g_strdup(c->name);
        o->org = g_strdup(c->org);
        o->kind = c->kind;
        o->last_inbound = c->last_in;
        o->last_outbound = c->last_out;
        o->inbound = c->n_in;
        o->outbound = c->n_out;
    }
    list->count = n;
    qsort(list->items, n, sizeof *list->items, cmp_contact_recent);
    *out = list;
    model_clear(&m);
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
