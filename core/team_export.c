/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_export.c — what a member shares with the team: the ONE place that
 * turns the relationship model into shared records.
 *
 * Shared, per relationship and per person: the organisation key, the
 * person's address and display name (as their mail gives it), the last
 * inbound / outbound / two-way exchange times, the number of exchanges, the
 * rhythm and the state. Never shared: subjects, message ids, bodies, the
 * user's notes, the names the user gave (kw_set_name: the user's own labels,
 * like notes), the cadence's origin, snooze dates; relationships the user
 * ignores (directly, or through their organisation); anything that is not a
 * relationship (colleagues, lists, automated senders, prospects never
 * answered). The state is the user's own (the model is asked for its own
 * view, kw_model_own_view: a relationship kept warm by a teammate is shared
 * as the user sees it in their own mail, never as the team's "ok"):
 * teammates decide from each other's facts, not from verdicts that already
 * include theirs.
 *
 * One model load (kw_model_load) answers both lists: by organisation (the
 * companies; free-mail people come again by person) and by person.
 *
 * Calls, meetings and visits (the `touches` table: logged by the user, or
 * from a calendar once they took place) go as KW_TEAM_RECORD_TOUCH records:
 * key "touch:<touches.id>", the organisation key (the address for free
 * mail), the person's address, the kind and the time. Never the note, the
 * calendar's UID or anything else the user wrote. Only touches of a person
 * shared above (not ignored, a relationship), up to as_of. A touch removed
 * (undone, deleted) is no longer exported, so staging turns it into a
 * deletion.
 */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "model.h"
#include "store.h"
#include "team.h"

static void record_clear_cb(gpointer p)
{
    kw_team_record_clear(p);
}

static void add_record(kw_model_t *model, GArray *out, kw_team_record_kind_t kind,
                       const kw_relationship_t *r)
{
    kw_team_record_t rec;

    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.key = g_strdup(r->key);
    if (kind == KW_TEAM_RECORD_PERSON) {
        const char *name = kw_model_mail_name(model, r->key);
        const char *org = kw_model_org_of(model, r->key);
        rec.person = g_strdup(r->key);
        rec.org = org ? g_strdup(org) : kw_org_for_address(r->key);
        if (name && strcmp(name, r->key) != 0)
            rec.name = g_strdup(name);
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
    rec.state = r->state; /* the model answers from your own mail only here */
    g_array_append_val(out, rec);
}

/* The touches of the people in `people` (a set of addresses) up to as_of. */
static kw_status_t add_touches(kw_store_t *store, kw_model_t *model, int64_t as_of,
                               GHashTable *people, GArray *out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT t.id, t.source, t.time, c.email FROM touches t "
                         "JOIN contacts c ON c.id = t.contact_id WHERE t.time <= ?1 "
                         "ORDER BY t.id",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, as_of);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *address = (const char *) sqlite3_column_text(st, 3);
        kw_source_t source = (kw_source_t) sqlite3_column_int(st, 1);
        const char *org;
        kw_team_record_t rec;

        if (!address || !g_hash_table_contains(people, address) || source == KW_SOURCE_MAIL)
            continue;
        memset(&rec, 0, sizeof rec);
        rec.kind = KW_TEAM_RECORD_TOUCH;
        rec.key = g_strdup_printf("touch:%lld", (long long) sqlite3_column_int64(st, 0));
        org = kw_model_org_of(model, address);
        rec.org = org ? g_strdup(org) : kw_org_for_address(address);
        if (!rec.org)
            rec.org = g_strdup(address);
        rec.person = g_strdup(address);
        rec.touch_kind = g_strdup(kw_source_to_string(source));
        rec.touch_time = sqlite3_column_int64(st, 2);
        rec.state = KW_STATE_OK;
        g_array_append_val(out, rec);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading the logged touches", error);
    return KW_OK;
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
    /* every state but ignored: never shared */
    const unsigned states = KW_STATES_ALL & ~KW_STATE_BIT(KW_STATE_IGNORED);
    kw_model_options_t mo = { .as_of = as_of };
    kw_list_options_t by_org = { .by = KW_BY_ORG, .states = states };
    kw_list_options_t by_person = { .by = KW_BY_PERSON, .states = states };
    kw_relationship_list_t *orgs = NULL, *people = NULL;
    kw_model_t *model = NULL;
    GHashTable *shared;
    GArray *recs;
    kw_status_t st;

    *out = NULL;
    st = kw_model_load(store, &mo, &model, error);
    if (st == KW_OK) {
        kw_model_own_view(model); /* your own view: the team's is theirs to share */
        st = kw_model_relationships(model, &by_org, &orgs, error);
    }
    if (st == KW_OK)
        st = kw_model_relationships(model, &by_person, &people, error);
    if (st != KW_OK) {
        kw_relationship_list_free(orgs);
        kw_model_free(model);
        return st;
    }
    recs = g_array_sized_new(FALSE, TRUE, sizeof(kw_team_record_t), (guint)(orgs->count + people->count));
    g_array_set_clear_func(recs, record_clear_cb);
    /* By organisation: the companies (free-mail people come again below). */
    for (size_t i = 0; i < orgs->count; i++)
        if (orgs->items[i].kind == KW_TARGET_ORG)
            add_record(model, recs, KW_TEAM_RECORD_ORG, &orgs->items[i]);
    /* By person: a person inherits an ignore of their organisation, so an
     * ignored company's people are left out here too. */
    shared = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < people->count; i++) {
        add_record(model, recs, KW_TEAM_RECORD_PERSON, &people->items[i]);
        g_hash_table_add(shared, people->items[i].key);
    }
    /* Their calls and meetings: kind and time only. */
    st = add_touches(store, model, kw_model_as_of(model), shared, recs, error);
    g_hash_table_destroy(shared);
    g_array_sort(recs, cmp_record);
    kw_relationship_list_free(orgs);
    kw_relationship_list_free(people);
    kw_model_free(model);
    if (st != KW_OK) {
        g_array_free(recs, TRUE);
        return st;
    }
    *out = recs;
    return KW_OK;
}
