/* SPDX-License-Identifier: GPL-3.0-or-later */
/* today.c — the daily routine over the store: the day's list (computed once
 * per calendar day and kept in day_lists/day_items), what was done, the
 * streak, marks (done, skip), the routine's settings, and the weekly
 * review. The rules themselves are pure functions in today_rules.c.
 *
 * "Done" is seen, not told: an item is done when, within its day (from the
 * day's start to the model's as_of), the user wrote to anyone there — a
 * counted outbound interaction, from a sync or from kw_record_sent() — or a
 * call, meeting or visit with them was logged or came from a calendar
 * (a two-way interaction, see touches.h). That is computed again at each
 * call for the day and for the days before it (mail sent on a day may be
 * synced days later) and written back when it changed; what the user said
 * (done, skip) is kept as said. The streak is read from those rows. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "model.h"
#include "relationship.h"
#include "store.h"
#include "today.h"

static const char *const slot_names[KW_SLOT_LAST] = {
    [KW_SLOT_OWED] = "owed",
    [KW_SLOT_OVERDUE] = "overdue",
    [KW_SLOT_REACTIVATION] = "reactivation",
};

static const char *const how_names[KW_HOW_LAST] = {
    [KW_HOW_NOT_YET] = NULL,
    [KW_HOW_MAIL] = "mail",
    [KW_HOW_CALL] = "call",
    [KW_HOW_MEETING] = "meeting",
    [KW_HOW_VISIT] = "visit",
    [KW_HOW_OTHER] = "other",
    [KW_HOW_SKIPPED] = "skipped",
};

KW_PUBLIC const char *kw_slot_to_string(kw_slot_t slot)
{
    if ((int) slot < 0 || slot >= KW_SLOT_LAST)
        return "unknown";
    return slot_names[slot];
}

KW_PUBLIC const char *kw_how_to_string(kw_how_t how)
{
    if ((int) how < 0 || how >= KW_HOW_LAST)
        return NULL;
    return how_names[how];
}

/* ------------------------------------------------------------------------ */
/* Settings                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const routine_keys[] = { "daily_size", "daily_minutes", "workdays" };

KW_PUBLIC kw_status_t kw_store_get_routine(kw_store_t *store, kw_routine_settings_t *out,
                                           char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    if (!store || !out) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    memset(out, 0, sizeof *out);
    s = kw_store_prepare(store,
                         "SELECT key, value FROM preferences "
                         "WHERE key IN ('daily_size', 'daily_minutes', 'workdays')",
                         &st, error);
    if (s != KW_OK)
        return s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *) sqlite3_column_text(st, 0);
        int v = sqlite3_column_int(st, 1);
        if (!key)
            continue;
        /* out-of-range values (written by hand) count as not set */
        if (strcmp(key, "daily_size") == 0 && v >= 1 && v <= KW_TODAY_MAX_SIZE)
            out->daily_size = v;
        else if (strcmp(key, "daily_minutes") == 0 && v >= 1 && v <= KW_TODAY_MAX_MINUTES)
            out->daily_minutes = v;
        else if (strcmp(key, "workdays") == 0 && v > 0 && !(v & ~0xfe))
            out->workdays = (unsigned) v;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading preferences", error);
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_store_set_routine(kw_store_t *store, const kw_routine_settings_t *in,
                                           char **error)
{
    sqlite3_stmt *set = NULL, *del = NULL;
    int values[3];
    kw_status_t s;

    if (!store || !in) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    if (in->daily_size < 0 || in->daily_size > KW_TODAY_MAX_SIZE) {
        kw_set_error(error, "a daily size is 1 to %d items", KW_TODAY_MAX_SIZE);
        return KW_ERR_USAGE;
    }
    if (in->daily_minutes < 0 || in->daily_minutes > KW_TODAY_MAX_MINUTES) {
        kw_set_error(error, "daily minutes are 1 to %d", KW_TODAY_MAX_MINUTES);
        return KW_ERR_USAGE;
    }
    if (in->workdays & ~0xfeu) {
        kw_set_error(error, "workdays are weekdays 1 (Monday) to 7 (Sunday)");
        return KW_ERR_USAGE;
    }
    values[0] = in->daily_size;
    values[1] = in->daily_minutes;
    values[2] = (int) in->workdays;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    if ((s = kw_store_prepare(store, "INSERT OR REPLACE INTO preferences(key, value) VALUES (?1, ?2)",
                              &set, error)) == KW_OK &&
        (s = kw_store_prepare(store, "DELETE FROM preferences WHERE key = ?1", &del, error)) == KW_OK) {
        for (int i = 0; i < 3 && s == KW_OK; i++) {
            sqlite3_stmt *st = values[i] ? set : del;
            int rc;
            sqlite3_bind_text(st, 1, routine_keys[i], -1, SQLITE_STATIC);
            if (values[i])
                sqlite3_bind_int(st, 2, values[i]);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc != SQLITE_DONE)
                s = kw_store_fail(store, rc, "saving preferences", error);
        }
    }
    sqlite3_finalize(set);
    sqlite3_finalize(del);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    return s;
}

/* Items a day from the settings: the size, else the minutes (about two per
 * item), else the default. */
static int routine_size(const kw_routine_settings_t *r)
{
    if (r->daily_size > 0)
        return r->daily_size;
    if (r->daily_minutes > 0) {
        int n = (r->daily_minutes + KW_TODAY_MINUTES_PER_ITEM / 2) / KW_TODAY_MINUTES_PER_ITEM;
        return n < 1 ? 1 : n > KW_TODAY_MAX_SIZE ? KW_TODAY_MAX_SIZE : n;
    }
    return KW_TODAY_DEFAULT_SIZE;
}

/* ------------------------------------------------------------------------ */
/* Days                                                                      */
/* ------------------------------------------------------------------------ */

KW_PUBLIC void kw_day_local(int64_t t, kw_day_t *day)
{
    time_t tt = (time_t) t;
    struct tm tm, a, b;

    localtime_r(&tt, &tm);
    day->year = tm.tm_year + 1900;
    day->month = tm.tm_mon + 1;
    day->day = tm.tm_mday;
    memset(&a, 0, sizeof a);
    a.tm_year = tm.tm_year;
    a.tm_mon = tm.tm_mon;
    a.tm_mday = tm.tm_mday;
    a.tm_isdst = -1;
    b = a;
    b.tm_mday++;
    day->start = (int64_t) mktime(&a);
    day->end = (int64_t) mktime(&b);
}

static int day_valid(const kw_day_t *d)
{
    return d && d->start < d->end && g_date_valid_dmy((GDateDay) d->day, (GDateMonth) d->month,
                                                      (GDateYear) d->year);
}

static void day_name(const kw_day_t *d, char out[11])
{
    g_snprintf(out, 11, "%04d-%02d-%02d", d->year, d->month, d->day);
}

static uint32_t day_julian(const kw_day_t *d)
{
    GDate g;
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, (GDateDay) d->day, (GDateMonth) d->month, (GDateYear) d->year);
    return g_date_get_julian(&g);
}

/* "YYYY-MM-DD" -> Julian day, 0 when it is not a date. */
static uint32_t name_julian(const char *name)
{
    int y, m, d;
    char tail;
    GDate g;
    if (!name || sscanf(name, "%d-%d-%d%c", &y, &m, &d, &tail) != 3 ||
        !g_date_valid_dmy((GDateDay) d, (GDateMonth) m, (GDateYear) y))
        return 0;
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
    return g_date_get_julian(&g);
}

/* ------------------------------------------------------------------------ */
/* Items                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    int              pos;
    kw_target_kind_t kind;
    char            *key;
    char            *name;
    kw_slot_t        slot;
    kw_state_t       state;   /* when listed */
    kw_how_t         how;
    int64_t          done_at;
    int              marked;
    int              changed; /* how/done_at to be written */
} item_t;

static void items_free(GArray *items)
{
    if (!items)
        return;
    for (guint i = 0; i < items->len; i++) {
        item_t *it = &g_array_index(items, item_t, i);
        g_free(it->key);
        g_free(it->name);
    }
    g_array_free(items, TRUE);
}

static kw_status_t read_items(kw_store_t *store, const char *day, GArray **out, int *listed,
                              char **error)
{
    sqlite3_stmt *st = NULL;
    GArray *items;
    kw_status_t s;
    int rc;

    *out = NULL;
    *listed = 0;
    s = kw_store_prepare(store, "SELECT EXISTS (SELECT 1 FROM day_lists WHERE day = ?1)", &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *listed = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading the day's list", error);
    s = kw_store_prepare(store,
                         "SELECT pos, kind, key, name, slot, state, how, done_at, marked "
                         "FROM day_items WHERE day = ?1 ORDER BY pos",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
    items = g_array_new(FALSE, TRUE, sizeof(item_t));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        item_t it = { 0 };
        it.pos = sqlite3_column_int(st, 0);
        it.kind = sqlite3_column_int(st, 1) == KW_TARGET_PERSON ? KW_TARGET_PERSON : KW_TARGET_ORG;
        it.key = g_strdup((const char *) sqlite3_column_text(st, 2));
        it.name = g_strdup((const char *) sqlite3_column_text(st, 3));
        it.slot = (kw_slot_t) CLAMP(sqlite3_column_int(st, 4), 0, KW_SLOT_LAST - 1);
        it.state = (kw_state_t) CLAMP(sqlite3_column_int(st, 5), 0, KW_STATE_LAST - 1);
        it.how = (kw_how_t) CLAMP(sqlite3_column_int(st, 6), 0, KW_HOW_LAST - 1);
        it.done_at = sqlite3_column_int64(st, 7);
        it.marked = sqlite3_column_int(st, 8) != 0;
        if (!it.key) {
            g_free(it.name);
            continue;
        }
        g_array_append_val(items, it);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        items_free(items);
        return kw_store_fail(store, rc, "reading the day's list", error);
    }
    *out = items;
    return KW_OK;
}

/* When each key was last listed before `day` (any slot, and as a
 * reactivation): key -> two Julian days packed in a guint64. */
static kw_status_t last_listed(kw_store_t *store, const char *day, GHashTable *out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT key, max(day), max(CASE WHEN slot = ?2 THEN day END) "
                         "FROM day_items WHERE day < ?1 GROUP BY key",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, KW_SLOT_REACTIVATION);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *) sqlite3_column_text(st, 0);
        guint64 any = name_julian((const char *) sqlite3_column_text(st, 1));
        guint64 react = name_julian((const char *) sqlite3_column_text(st, 2));
        if (key)
            g_hash_table_insert(out, g_strdup(key), g_memdup2(&(guint64) { any << 32 | react },
                                                              sizeof(guint64)));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading earlier lists", error);
    return KW_OK;
}

/* Pick the day's items from the model (nothing written). */
static kw_status_t compute_items(kw_store_t *store, kw_model_t *model, const kw_day_t *day,
                                 const char *name, int size, unsigned workdays, GArray **out,
                                 char **error)
{
    kw_list_options_t lo = { .by = KW_BY_ORG,
                             .states = KW_STATE_BIT(KW_STATE_OVERDUE) |
                                       KW_STATE_BIT(KW_STATE_AWAITING_YOUR_REPLY) |
                                       KW_STATE_BIT(KW_STATE_AWAITING_THEIR_REPLY) };
    kw_relationship_list_t *rels = NULL;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    kw_pick_candidate_t *cand = NULL;
    kw_pick_t *picks = NULL;
    guint8 *owner_known = NULL;
    uint32_t today = day_julian(day);
    int64_t as_of = kw_model_as_of(model);
    /* the ISO week (UTC) holding the middle of the local day */
    int64_t week_of = day->start + (day->end - day->start) / 2;
    int touched, mine;
    size_t n, k;
    kw_status_t s;

    *out = NULL;
    s = kw_model_relationships(model, &lo, &rels, error);
    if (s == KW_OK)
        s = last_listed(store, name, seen, error);
    if (s != KW_OK)
        goto done;
    n = rels->count;
    cand = g_new0(kw_pick_candidate_t, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const kw_relationship_t *r = &rels->items[i];
        kw_pick_candidate_t *c = &cand[i];
        const guint64 *last = g_hash_table_lookup(seen, r->key);
        kw_slot_t slot;
        c->key = r->key;
        c->state = r->state;
        c->tier = r->tier;
        c->score = r->score;
        c->waiting_since = r->reason.waiting_since;
        c->exchanges = r->reason.exchanges;
        c->last_exchange = r->reason.last_exchange;
        c->last_inbound = r->reason.last_inbound;
        c->cadence_days = r->cadence_days;
        c->rest = last && (*last >> 32) ? kw_workdays_between((uint32_t) (*last >> 32), today, workdays) : -1;
        c->rest_reactivation = last && (*last & 0xffffffffu)
                                   ? kw_workdays_between((uint32_t) (*last & 0xffffffffu), today, workdays)
                                   : -1;
        slot = r->state == KW_STATE_AWAITING_YOUR_REPLY ? KW_SLOT_OWED
               : kw_today_dormant(c, as_of)             ? KW_SLOT_REACTIVATION
                                                        : KW_SLOT_OVERDUE;
        /* the team (when it shares anything): what a teammate touched this
         * week rests; a reactivation's owner is asked below, once picked */
        touched = 0;
        if (slot != KW_SLOT_OWED)
            s = kw_model_team_touched_week(model, r->key, week_of, &touched, error);
        if (s != KW_OK)
            goto done;
        c->allowed = kw_today_team_allows(slot, touched, 1);
    }
    picks = g_new0(kw_pick_t, size > 0 ? (size_t) size : 1);
    owner_known = g_new0(guint8, n ? n : 1);
    /* A reactivation goes to the week's owner. Asking is costly (every
     * holder's hash), and only a few dormant customers are picked: ask for
     * those picked, leave out those another member owns and pick again (each
     * round asks about at least one more; nothing changes without a team). */
    for (;;) {
        int again = 0;
        k = kw_today_pick(cand, n, size, as_of, picks);
        for (size_t i = 0; s == KW_OK && i < k; i++) {
            size_t idx = picks[i].index;
            if (picks[i].slot != KW_SLOT_REACTIVATION || owner_known[idx])
                continue;
            owner_known[idx] = 1;
            s = kw_model_team_owner(model, rels->items[idx].key, week_of, &mine, NULL, error);
            if (s == KW_OK && !kw_today_team_allows(KW_SLOT_REACTIVATION, 0, mine)) {
                cand[idx].allowed = 0;
                again = 1;
            }
        }
        if (s != KW_OK)
            goto done;
        if (!again)
            break;
    }
    *out = g_array_new(FALSE, TRUE, sizeof(item_t));
    for (size_t i = 0; i < k; i++) {
        const kw_relationship_t *r = &rels->items[picks[i].index];
        item_t it = { 0 };
        it.pos = (int) i;
        it.kind = r->kind;
        it.key = g_strdup(r->key);
        it.name = g_strdup(r->display_name);
        it.slot = picks[i].slot;
        it.state = r->state;
        g_array_append_val(*out, it);
    }
done:
    g_free(owner_known);
    g_free(picks);
    g_free(cand);
    kw_relationship_list_free(rels);
    g_hash_table_destroy(seen);
    return s;
}

/* Forget a kept empty list (inside the caller's write transaction). */
static kw_status_t drop_list(kw_store_t *store, const char *name, int *listed, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s = kw_store_prepare(store, "DELETE FROM day_lists WHERE day = ?1", &st, error);
    int rc;
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "renewing the day's list", error);
    *listed = 0;
    return KW_OK;
}

/* Keep a computed list (inside the caller's write transaction). */
static kw_status_t store_items(kw_store_t *store, const kw_day_t *day, const char *name, int size,
                               GArray *items, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "INSERT INTO day_lists(day, day_start, day_end, size, created) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day->start);
    sqlite3_bind_int64(st, 3, day->end);
    sqlite3_bind_int(st, 4, size);
    sqlite3_bind_int64(st, 5, (int64_t) time(NULL));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "keeping the day's list", error);
    s = kw_store_prepare(store,
                         "INSERT INTO day_items(day, pos, kind, key, name, slot, state) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         &st, error);
    if (s != KW_OK)
        return s;
    rc = SQLITE_DONE;
    for (guint i = 0; i < items->len && rc == SQLITE_DONE; i++) {
        const item_t *it = &g_array_index(items, item_t, i);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, it->pos);
        sqlite3_bind_int(st, 3, (int) it->kind);
        sqlite3_bind_text(st, 4, it->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, it->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, (int) it->slot);
        sqlite3_bind_int(st, 7, (int) it->state);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "keeping the day's list", error);
    return KW_OK;
}

/* The day's items: kept, or computed now and kept (the first caller of the
 * day wins; another one waiting for the lock reads what it kept). An empty
 * list is looked at again on every call of its day (the day's first look
 * may come before its first sync): once it has items, it is kept. */
static kw_status_t ensure_items(kw_store_t *store, kw_model_t *model, const kw_day_t *day,
                                const char *name, int size, unsigned workdays, GArray **items,
                                char **error)
{
    GArray *fresh_items = NULL;
    kw_status_t s;
    int listed;

    s = read_items(store, name, items, &listed, error);
    if (s != KW_OK || (listed && (*items)->len > 0))
        return s;
    s = compute_items(store, model, day, name, size, workdays, &fresh_items, error);
    if (s != KW_OK || (listed && fresh_items->len == 0)) {
        items_free(fresh_items); /* still nothing: the kept empty list stands */
        return s;
    }
    items_free(*items);
    *items = NULL;
    s = kw_store_write_begin(store, error);
    if (s != KW_OK) {
        items_free(fresh_items);
        return s;
    }
    s = read_items(store, name, items, &listed, error);
    if (s == KW_OK && listed && (*items)->len == 0)
        s = drop_list(store, name, &listed, error);
    if (s == KW_OK && !listed) {
        items_free(*items);
        s = store_items(store, day, name, size, fresh_items, error);
        *items = fresh_items;
        fresh_items = NULL;
    }
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK) {
        kw_store_write_rollback(store);
        items_free(*items);
        *items = NULL;
    }
    items_free(fresh_items);
    return s;
}

/* ------------------------------------------------------------------------ */
/* What was done                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    kw_model_t   *model;
    sqlite3_stmt *first; /* the first counted touch of the user's with a contact in a window */
} seer_t;

static kw_status_t seer_init(seer_t *w, kw_model_t *model, char **error)
{
    w->model = model;
    return kw_store_prepare(kw_model_store(model),
                            "SELECT date, direction, source FROM interactions "
                            "WHERE contact_id = ?1 AND date >= ?2 AND date <= ?3 "
                            "AND direction IN (2, 3) AND (flags & ?4) = 0 AND n_recipients <= ?5 "
                            "ORDER BY date LIMIT 1",
                            &w->first, error);
}

/* What the user did with an item between `from` and `to` (inclusive):
 * *how and *at of the first touch, KW_HOW_NOT_YET when none. */
static kw_status_t seen_done(seer_t *w, const item_t *it, int64_t from, int64_t to, kw_how_t *how,
                             int64_t *at, char **error)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int rc = SQLITE_DONE;

    *how = KW_HOW_NOT_YET;
    *at = 0;
    kw_model_target_contact_ids(w->model, it->kind, it->key, ids);
    for (guint i = 0; i < ids->len && from <= to; i++) {
        sqlite3_bind_int64(w->first, 1, g_array_index(ids, int64_t, i));
        sqlite3_bind_int64(w->first, 2, from);
        sqlite3_bind_int64(w->first, 3, to);
        sqlite3_bind_int(w->first, 4, (int) KW_REL_NOISE_FLAGS);
        sqlite3_bind_int(w->first, 5, KW_REL_BROADCAST_RECIPIENTS);
        rc = sqlite3_step(w->first);
        if (rc == SQLITE_ROW) {
            int64_t t = sqlite3_column_int64(w->first, 0);
            if (!*at || t < *at) {
                int dir = sqlite3_column_int(w->first, 1);
                int src = sqlite3_column_int(w->first, 2);
                *at = t;
                *how = dir == KW_DIR_OUT ? KW_HOW_MAIL
                       : src > KW_SOURCE_MAIL && src < KW_SOURCE_LAST ? (kw_how_t) (KW_HOW_MAIL + src)
                                                                      : KW_HOW_OTHER;
            }
            rc = SQLITE_DONE;
        }
        sqlite3_reset(w->first);
        if (rc != SQLITE_DONE)
            break;
    }
    g_array_free(ids, TRUE);
    if (rc != SQLITE_DONE)
        return kw_store_fail(kw_model_store(w->model), rc, "reading what was done", error);
    return KW_OK;
}

/* See again what was done with the items of one day (not with those the
 * user marked); flags the items whose outcome changed. */
static kw_status_t see_items(seer_t *w, GArray *items, int64_t from, int64_t to, int *changed,
                             char **error)
{
    for (guint i = 0; i < items->len; i++) {
        item_t *it = &g_array_index(items, item_t, i);
        kw_how_t how;
        int64_t at;
        kw_status_t s;
        if (it->marked)
            continue;
        s = seen_done(w, it, from, to, &how, &at, error);
        if (s != KW_OK)
            return s;
        if (how != it->how || at != it->done_at) {
            it->how = how;
            it->done_at = at;
            it->changed = 1;
            *changed = 1;
        }
    }
    return KW_OK;
}

typedef struct {
    char    day[11];
    int64_t start, end;
    GArray *items;
} past_day_t;

/* The days before `name` (within the settle window) with unmarked items not
 * done yet: mail sent on the day may have been synced only since. */
static kw_status_t read_unsettled(kw_store_t *store, const char *name, uint32_t today,
                                  GPtrArray *days, char **error)
{
    sqlite3_stmt *st = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GArray *bounds = g_array_new(FALSE, FALSE, sizeof(int64_t));
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT l.day, l.day_start, l.day_end FROM day_lists l "
                         "WHERE l.day < ?1 AND EXISTS (SELECT 1 FROM day_items i "
                         "WHERE i.day = l.day AND i.marked = 0 AND i.how = 0) "
                         "ORDER BY l.day DESC",
                         &st, error);
    if (s != KW_OK)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *d = (const char *) sqlite3_column_text(st, 0);
        uint32_t j = name_julian(d);
        int64_t b[2] = { sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2) };
        if (!j || today - j > KW_TODAY_SETTLE_DAYS)
            break; /* descending: the rest are older still */
        g_ptr_array_add(names, g_strdup(d));
        g_array_append_vals(bounds, b, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        s = kw_store_fail(store, rc, "reading earlier lists", error);
        goto out;
    }
    for (guint i = 0; i < names->len && s == KW_OK; i++) {
        past_day_t *p = g_new0(past_day_t, 1);
        int listed;
        g_strlcpy(p->day, g_ptr_array_index(names, i), sizeof p->day);
        p->start = g_array_index(bounds, int64_t, 2 * i);
        p->end = g_array_index(bounds, int64_t, 2 * i + 1);
        s = read_items(store, p->day, &p->items, &listed, error);
        g_ptr_array_add(days, p);
    }
out:
    g_ptr_array_free(names, TRUE);
    g_array_free(bounds, TRUE);
    return s;
}

static void past_day_free(gpointer data)
{
    past_day_t *p = data;
    items_free(p->items);
    g_free(p);
}

/* Write back the outcomes that changed (one transaction). */
static kw_status_t write_outcomes(kw_store_t *store, const char *name, GArray *today_items,
                                  GPtrArray *past, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc = SQLITE_DONE;

    s = kw_store_write_begin(store, error);
    if (s != KW_OK)
        return s;
    s = kw_store_prepare(store,
                         "UPDATE day_items SET how = ?3, done_at = ?4 "
                         "WHERE day = ?1 AND pos = ?2 AND marked = 0",
                         &st, error);
    for (guint d = 0; s == KW_OK && d <= past->len && rc == SQLITE_DONE; d++) {
        const char *day = d == past->len ? name : ((past_day_t *) g_ptr_array_index(past, d))->day;
        GArray *items = d == past->len ? today_items : ((past_day_t *) g_ptr_array_index(past, d))->items;
        for (guint i = 0; items && i < items->len && rc == SQLITE_DONE; i++) {
            item_t *it = &g_array_index(items, item_t, i);
            if (!it->changed)
                continue;
            sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, it->pos);
            sqlite3_bind_int(st, 3, (int) it->how);
            sqlite3_bind_int64(st, 4, it->done_at);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    if (s == KW_OK && rc != SQLITE_DONE)
        s = kw_store_fail(store, rc, "saving what was done", error);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    return s;
}

/* Every day list up to `name` as streak records. */
static kw_status_t read_records(kw_store_t *store, const char *name, GArray *out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT l.day, count(i.pos), count(CASE WHEN i.how > 0 THEN 1 END) "
                         "FROM day_lists l LEFT JOIN day_items i ON i.day = l.day "
                         "WHERE l.day <= ?1 GROUP BY l.day ORDER BY l.day",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kw_day_record_t r;
        r.julian = name_julian((const char *) sqlite3_column_text(st, 0));
        r.items = sqlite3_column_int(st, 1);
        r.handled = sqlite3_column_int(st, 2);
        if (r.julian)
            g_array_append_val(out, r);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading earlier lists", error);
    return KW_OK;
}

/* ------------------------------------------------------------------------ */
/* The public calls                                                          */
/* ------------------------------------------------------------------------ */

static kw_status_t check_args(kw_store_t *store, kw_model_t *model, const kw_day_t *day,
                              char **error)
{
    if (!store || !model || kw_model_store(model) != store) {
        kw_set_error(error, "the day's list needs a store and a model loaded on it");
        return KW_ERR_USAGE;
    }
    if (store->read_only) {
        kw_set_error(error, "the day's list is kept in the store: open it read-write");
        return KW_ERR_USAGE;
    }
    if (!day_valid(day)) {
        kw_set_error(error, "not a calendar day");
        return KW_ERR_USAGE;
    }
    return KW_OK;
}

/* The end of what counts for a day: its end, or as_of when earlier. */
static int64_t seen_until(const kw_day_t *day, kw_model_t *model)
{
    int64_t as_of = kw_model_as_of(model);
    return as_of < day->end - 1 ? as_of : day->end - 1;
}

KW_PUBLIC kw_status_t kw_today(kw_store_t *store, kw_model_t *model, const kw_day_t *day, int size,
                               kw_today_t **out, char **error)
{
    kw_routine_settings_t settings;
    GArray *items = NULL, *records = NULL;
    GPtrArray *past = NULL;
    seer_t seer = { 0 };
    char name[11];
    int changed = 0;
    kw_today_t *t;
    kw_status_t s;

    if (!out) {
        kw_set_error(error, "kw_today: nowhere to put the list");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    if ((s = check_args(store, model, day, error)) != KW_OK)
        return s;
    if (size < 0 || size > KW_TODAY_MAX_SIZE) {
        kw_set_error(error, "a day's list has 1 to %d items", KW_TODAY_MAX_SIZE);
        return KW_ERR_USAGE;
    }
    day_name(day, name);
    s = kw_store_get_routine(store, &settings, error);
    if (s == KW_OK)
        s = ensure_items(store, model, day, name, size > 0 ? size : routine_size(&settings),
                         settings.workdays, &items, error);
    if (s == KW_OK)
        s = seer_init(&seer, model, error);
    if (s == KW_OK)
        s = see_items(&seer, items, day->start, seen_until(day, model), &changed, error);
    past = g_ptr_array_new_with_free_func(past_day_free);
    if (s == KW_OK)
        s = read_unsettled(store, name, day_julian(day), past, error);
    for (guint d = 0; s == KW_OK && d < past->len; d++) {
        past_day_t *p = g_ptr_array_index(past, d);
        int64_t until = p->end - 1 < kw_model_as_of(model) ? p->end - 1 : kw_model_as_of(model);
        s = see_items(&seer, p->items, p->start, until, &changed, error);
    }
    sqlite3_finalize(seer.first);
    if (s == KW_OK && changed)
        s = write_outcomes(store, name, items, past, error);
    records = g_array_new(FALSE, FALSE, sizeof(kw_day_record_t));
    if (s == KW_OK)
        s = read_records(store, name, records, error);
    if (s != KW_OK)
        goto done;

    t = g_new0(kw_today_t, 1);
    memcpy(t->date, name, sizeof t->date);
    t->minutes_per_item = KW_TODAY_MINUTES_PER_ITEM;
    kw_today_streak((const kw_day_record_t *) (void *) records->data, records->len,
                    day_julian(day), settings.workdays, &t->streak, &t->longest_streak);
    t->count = items->len;
    t->size = (int) items->len;
    t->items = g_new0(kw_today_item_t, items->len ? items->len : 1);
    for (guint i = 0; i < items->len; i++) {
        item_t *it = &g_array_index(items, item_t, i);
        kw_today_item_t *o = &t->items[i];
        o->kind = it->kind;
        o->key = it->key;
        o->slot = it->slot;
        o->how = it->how;
        o->done_at = it->done_at;
        o->state = it->state;
        it->key = NULL; /* moved */
        if (kw_model_relationship(model, o->key, &o->rel, NULL) == KW_OK) {
            o->state = o->rel->state;
            o->display_name = g_strdup(o->rel->display_name);
            g_free(it->name);
        } else {
            o->display_name = it->name;
        }
        it->name = NULL;
        if (o->how != KW_HOW_NOT_YET)
            t->done++;
    }
    *out = t;
done:
    if (past)
        g_ptr_array_free(past, TRUE);
    if (records)
        g_array_free(records, TRUE);
    items_free(items);
    return s;
}

KW_PUBLIC void kw_today_free(kw_today_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++) {
        g_free(t->items[i].key);
        g_free(t->items[i].display_name);
        kw_relationship_free(t->items[i].rel);
    }
    g_free(t->items);
    g_free(t);
}

KW_PUBLIC kw_status_t kw_today_mark(kw_store_t *store, kw_model_t *model, const kw_day_t *day,
                                    const char *target, kw_how_t how, char **error)
{
    kw_routine_settings_t settings;
    kw_target_t *resolved = NULL;
    GArray *items = NULL;
    sqlite3_stmt *st = NULL;
    char name[11], *org = NULL;
    const item_t *hit = NULL;
    kw_status_t s;
    int rc;

    if ((s = check_args(store, model, day, error)) != KW_OK)
        return s;
    if (how != KW_HOW_OTHER && how != KW_HOW_SKIPPED) {
        kw_set_error(error, "an item is marked done or skipped");
        return KW_ERR_USAGE;
    }
    day_name(day, name);
    s = kw_model_resolve(model, target, &resolved, error);
    if (s != KW_OK)
        return s;
    if (resolved->kind == KW_TARGET_PERSON)
        org = kw_org_for_address(resolved->key); /* a person matches their organisation's item */
    s = kw_store_get_routine(store, &settings, error);
    if (s == KW_OK)
        s = ensure_items(store, model, day, name, routine_size(&settings), settings.workdays,
                         &items, error);
    for (guint i = 0; s == KW_OK && i < items->len && !hit; i++) {
        const item_t *it = &g_array_index(items, item_t, i);
        if (strcmp(it->key, resolved->key) == 0 || (org && strcmp(it->key, org) == 0))
            hit = it;
    }
    if (s == KW_OK && !hit) {
        kw_set_error(error, "%s is not on the list of %s", resolved->key, name);
        s = KW_ERR_NOT_FOUND;
    }
    if (s == KW_OK && hit->how != KW_HOW_NOT_YET && !hit->marked) {
        /* already done by what the user did (mail, a call...): that stays */
        items_free(items);
        kw_target_free(resolved);
        kw_free(org);
        return KW_OK;
    }
    if (s == KW_OK)
        s = kw_store_write_begin(store, error);
    if (s == KW_OK) {
        s = kw_store_prepare(store,
                             "UPDATE day_items SET how = ?3, done_at = ?4, marked = 1 "
                             "WHERE day = ?1 AND pos = ?2",
                             &st, error);
        if (s == KW_OK) {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, hit->pos);
            sqlite3_bind_int(st, 3, (int) how);
            sqlite3_bind_int64(st, 4, seen_until(day, model));
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_DONE)
                s = kw_store_fail(store, rc, "marking an item", error);
        }
        if (s == KW_OK)
            s = kw_store_write_commit(store, error);
        if (s != KW_OK)
            kw_store_write_rollback(store);
    }
    items_free(items);
    kw_target_free(resolved);
    kw_free(org);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Review                                                                    */
/* ------------------------------------------------------------------------ */

/* The state of every relationship (by organisation) as of `as_of`. */
static kw_status_t states_at(kw_store_t *store, int64_t as_of, int default_cadence,
                             GHashTable *out, char **error)
{
    kw_model_options_t mo = { .as_of = as_of, .default_cadence_days = default_cadence };
    kw_list_options_t lo = { .by = KW_BY_ORG, .states = KW_STATES_ALL };
    kw_model_t *m = NULL;
    kw_relationship_list_t *list = NULL;
    kw_status_t s;

    s = kw_model_load(store, &mo, &m, error);
    if (s == KW_OK)
        s = kw_model_relationships(m, &lo, &list, error);
    for (size_t i = 0; s == KW_OK && i < list->count; i++)
        g_hash_table_insert(out, g_strdup(list->items[i].key),
                            GINT_TO_POINTER((int) list->items[i].state + 1));
    kw_relationship_list_free(list);
    kw_model_free(m);
    return s;
}

static kw_status_t week_counts(kw_store_t *store, kw_review_week_t *w, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s;
    int rc;

    s = kw_store_prepare(store,
                         "SELECT count(i.pos), "
                         "count(CASE WHEN i.how > 0 AND i.how < ?3 THEN 1 END), "
                         "count(CASE WHEN i.how = ?3 THEN 1 END) "
                         "FROM day_lists l JOIN day_items i ON i.day = l.day "
                         "WHERE l.day_start >= ?1 AND l.day_start < ?2",
                         &st, error);
    if (s != KW_OK)
        return s;
    sqlite3_bind_int64(st, 1, w->start);
    sqlite3_bind_int64(st, 2, w->end);
    sqlite3_bind_int(st, 3, KW_HOW_SKIPPED);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        w->listed = sqlite3_column_int(st, 0);
        w->done = sqlite3_column_int(st, 1);
        w->skipped = sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading the lists of a week", error);
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_review(kw_store_t *store, const int64_t *bounds, size_t n_bounds,
                                int default_cadence_days, kw_review_t **out, char **error)
{
    GHashTable *before = NULL, *after = NULL;
    kw_review_t *r;
    kw_status_t s = KW_OK;

    if (!out || !store || !bounds || n_bounds < 2) {
        kw_set_error(error, "a review needs a store and at least one week");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    for (size_t i = 1; i < n_bounds; i++) {
        if (bounds[i] <= bounds[i - 1] || bounds[i - 1] <= 0) {
            kw_set_error(error, "the weeks of a review must follow each other");
            return KW_ERR_USAGE;
        }
    }
    r = g_new0(kw_review_t, 1);
    r->count = n_bounds - 1;
    r->weeks = g_new0(kw_review_week_t, r->count);
    before = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s = states_at(store, bounds[0], default_cadence_days, before, error);
    for (size_t i = 0; s == KW_OK && i < r->count; i++) {
        kw_review_week_t *w = &r->weeks[i];
        GHashTableIter it;
        gpointer key, val;
        w->start = bounds[i];
        w->end = bounds[i + 1];
        after = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        s = states_at(store, w->end, default_cadence_days, after, error);
        if (s == KW_OK)
            s = week_counts(store, w, error);
        g_hash_table_iter_init(&it, after);
        while (s == KW_OK && g_hash_table_iter_next(&it, &key, &val)) {
            int now = GPOINTER_TO_INT(val) - 1;
            int then = GPOINTER_TO_INT(g_hash_table_lookup(before, key)) - 1;
            if (now == KW_STATE_OVERDUE)
                w->overdue_end++;
            if (then == KW_STATE_OVERDUE && now == KW_STATE_OK)
                w->brought_back++;
        }
        g_hash_table_destroy(before);
        before = after;
        after = NULL;
    }
    if (before)
        g_hash_table_destroy(before);
    if (s != KW_OK) {
        kw_review_free(r);
        return s;
    }
    *out = r;
    return KW_OK;
}

KW_PUBLIC void kw_review_free(kw_review_t *review)
{
    if (!review)
        return;
    g_free(review->weeks);
    g_free(review);
}
