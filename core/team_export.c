/* team_export.c — what a member shares with the team: the ONE place that
 * turns the relationship model into shared records.
 *
 * Shared, per relationship and per person: the organisation key, the
 * person's address and display name, the last inbound / outbound / two-way
 * exchange times, the number of exchanges, the rhythm and the state.
 * Never shared: subjects, message ids, bodies, the user's notes, the
 * cadence's origin, snooze dates; relationships the user ignores (directly,
 * or through their organisation); anything that is not a relationship
 * (colleagues, lists, automated senders, prospects never answered).
 *
 * Written against kw_relationships_query() (by organisation, then by
 * person). When the model gets its loaded-once handle, only this file
 * changes. Logged calls and meetings (KW_TEAM_RECORD_TOUCH) are not
 * produced: this version keeps no call log.
 */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "store.h"
#include "team.h"

static void record_clear_cb(gpointer p)
{
    kw_team_record_clear(p);
}

static void add_record(GArray *out, kw_team_record_kind_t kind, const kw_relationship_t *r)
{
    kw_team_record_t rec;

    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.key = g_strdup(r->key);
    if (kind == KW_TEAM_RECORD_PERSON) {
        rec.person = g_strdup(r->key);
        rec.org = kw_org_for_address(r->key);
        /* The model names a person without a display name by the address. */
        if (r->name && strcmp(r->name, r->key) != 0)
            rec.name = g_strdup(r->name);
    } else {
        rec.org = g_strdup(r->key);
    }
    if (!rec.org)
        rec.org = g_strdup(r->key);
    rec.last_inbound = r->last_inbound;
    rec.last_outbound = r->last_outbound;
    rec.last_exchange = r->last_touch;
    rec.exchanges = r->touches;
    rec.cadence_days = r->cadence_days;
    rec.state = r->state;
    g_array_append_val(out, rec);
}

static gint cmp_record(gconstpointer a, gconstpointer b)
{
    const kw_team_record_t *x = a, *y = b;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    return strcmp(x->key, y->key);
}

kw_status_t kw_team_export(kw_store_t *store, int64_t as_of, GArray **out, char **error)
{
    kw_query_options_t q;
    kw_relationship_list_t *orgs = NULL, *people = NULL;
    GArray *recs;
    kw_status_t st;

    *out = NULL;
    memset(&q, 0, sizeof q);
    q.as_of = as_of;
    q.include_all = 1;
    q.state_filter = -1;
    q.by = KW_BY_ORG;
    st = kw_relationships_query(store, &q, &orgs, error);
    if (st != KW_OK)
        return st;
    q.by = KW_BY_PERSON;
    st = kw_relationships_query(store, &q, &people, error);
    if (st != KW_OK) {
        kw_relationship_list_free(orgs);
        return st;
    }
    recs = g_array_new(FALSE, TRUE, sizeof(kw_team_record_t));
    g_array_set_clear_func(recs, record_clear_cb);
    /* By organisation: the companies (free-mail people come again below). */
    for (size_t i = 0; i < orgs->count; i++) {
        const kw_relationship_t *r = &orgs->items[i];
        if (r->kind == KW_TARGET_ORG && r->state != KW_STATE_IGNORED)
            add_record(recs, KW_TEAM_RECORD_ORG, r);
    }
    /* By person: a person inherits an ignore of their organisation, so an
     * ignored company's people are left out here too. */
    for (size_t i = 0; i < people->count; i++) {
        const kw_relationship_t *r = &people->items[i];
        if (r->state != KW_STATE_IGNORED)
            add_record(recs, KW_TEAM_RECORD_PERSON, r);
    }
    g_array_sort(recs, cmp_record);
    kw_relationship_list_free(orgs);
    kw_relationship_list_free(people);
    *out = recs;
    return KW_OK;
}
