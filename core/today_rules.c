/* SPDX-License-Identifier: GPL-3.0-or-later */
/* today_rules.c — the rules of the daily routine (today.h): which items a
 * day lists, in which order, when an item rests, what a streak is. */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "relationship.h"
#include "today.h"

int kw_today_dormant(const kw_pick_candidate_t *c, int64_t as_of)
{
    int64_t life = c->last_exchange > c->last_inbound ? c->last_exchange : c->last_inbound;
    int64_t quiet_days = (int64_t) c->cadence_days * KW_TODAY_DORMANT_RHYTHMS;

    if (quiet_days < KW_TODAY_DORMANT_MIN_DAYS)
        quiet_days = KW_TODAY_DORMANT_MIN_DAYS;
    if (c->exchanges < KW_TODAY_DORMANT_MIN_EXCHANGES || life <= 0)
        return 0;
    if (c->state != KW_STATE_OVERDUE && c->state != KW_STATE_AWAITING_THEIR_REPLY)
        return 0;
    return as_of - life > quiet_days * KW_REL_DAY;
}

static int tier_rank(kw_tier_t t)
{
    return t == KW_TIER_NONE ? 4 : (int) t; /* A 1, B 2, C 3, none last */
}

static int resting(int rest)
{
    return rest >= 0 && rest < KW_TODAY_REST_DAYS;
}

static int fresh(int rest)
{
    return rest < 0 || rest >= KW_TODAY_FRESH_DAYS;
}

static int cmp_owed(const void *a, const void *b, void *data)
{
    const kw_pick_candidate_t *c = data;
    const kw_pick_candidate_t *x = &c[*(const size_t *) a], *y = &c[*(const size_t *) b];
    if (x->waiting_since != y->waiting_since)
        return x->waiting_since < y->waiting_since ? -1 : 1; /* the oldest question first */
    return strcmp(x->key, y->key);
}

static int cmp_overdue(const void *a, const void *b, void *data)
{
    const kw_pick_candidate_t *c = data;
    const kw_pick_candidate_t *x = &c[*(const size_t *) a], *y = &c[*(const size_t *) b];
    if (fresh(x->rest) != fresh(y->rest))
        return fresh(x->rest) ? -1 : 1;
    if (tier_rank(x->tier) != tier_rank(y->tier))
        return tier_rank(x->tier) - tier_rank(y->tier);
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_dormant(const void *a, const void *b, void *data)
{
    const kw_pick_candidate_t *c = data;
    const kw_pick_candidate_t *x = &c[*(const size_t *) a], *y = &c[*(const size_t *) b];
    /* never offered first, then the one offered longest ago */
    int rx = x->rest_reactivation < 0 ? G_MAXINT : x->rest_reactivation;
    int ry = y->rest_reactivation < 0 ? G_MAXINT : y->rest_reactivation;
    if (rx != ry)
        return rx > ry ? -1 : 1;
    if (tier_rank(x->tier) != tier_rank(y->tier))
        return tier_rank(x->tier) - tier_rank(y->tier);
    if (x->exchanges != y->exchanges)
        return x->exchanges > y->exchanges ? -1 : 1;
    return strcmp(x->key, y->key);
}

size_t kw_today_pick(const kw_pick_candidate_t *c, size_t n, int size, int64_t as_of,
                     kw_pick_t *out)
{
    size_t *owed = g_new(size_t, n ? n : 1), *over = g_new(size_t, n ? n : 1);
    size_t *dorm = g_new(size_t, n ? n : 1);
    size_t n_owed = 0, n_over = 0, n_dorm = 0, k = 0, room;

    for (size_t i = 0; i < n; i++) {
        if (!c[i].allowed)
            continue;
        if (c[i].state == KW_STATE_AWAITING_YOUR_REPLY)
            owed[n_owed++] = i; /* an owed reply comes back every day until it is answered */
        else if (resting(c[i].rest))
            continue;
        else if (kw_today_dormant(&c[i], as_of))
            dorm[n_dorm++] = i;
        else if (c[i].state == KW_STATE_OVERDUE || c[i].state == KW_STATE_AWAITING_THEIR_REPLY)
            over[n_over++] = i;
    }
    g_qsort_with_data(owed, (gint) n_owed, sizeof *owed, cmp_owed, (gpointer) c);
    g_qsort_with_data(over, (gint) n_over, sizeof *over, cmp_overdue, (gpointer) c);
    g_qsort_with_data(dorm, (gint) n_dorm, sizeof *dorm, cmp_dormant, (gpointer) c);

    room = size > 0 ? (size_t) size : 0;
    for (size_t i = 0; i < n_owed && k < room; i++)
        out[k++] = (kw_pick_t) { owed[i], KW_SLOT_OWED };
    /* one place stays for a former customer, when there is one */
    for (size_t i = 0; i < n_over && k + (n_dorm > 0) < room; i++)
        out[k++] = (kw_pick_t) { over[i], KW_SLOT_OVERDUE };
    if (n_dorm > 0 && k < room)
        out[k++] = (kw_pick_t) { dorm[0], KW_SLOT_REACTIVATION };
    g_free(owed);
    g_free(over);
    g_free(dorm);
    return k;
}

static int is_workday(uint32_t julian, unsigned workdays)
{
    GDate d;
    g_date_clear(&d, 1);
    g_date_set_julian(&d, julian);
    return (workdays & KW_WEEKDAY_BIT(g_date_get_weekday(&d))) != 0;
}

int kw_workdays_between(uint32_t from, uint32_t to, unsigned workdays)
{
    int n = 0;
    if (!workdays)
        workdays = KW_WORKDAYS_DEFAULT;
    for (uint32_t j = from + 1; j <= to && j > from; j++)
        n += is_workday(j, workdays);
    return n;
}

void kw_today_streak(const kw_day_record_t *days, size_t n, uint32_t today, unsigned workdays,
                     int *streak, int *longest)
{
    size_t k = 0;
    int cur = 0, best = 0;

    if (!workdays)
        workdays = KW_WORKDAYS_DEFAULT;
    /* from the first list on: before it there was no routine to keep */
    for (uint32_t j = n ? days[0].julian : today + 1; j <= today; j++) {
        const kw_day_record_t *d = NULL;
        while (k < n && days[k].julian < j)
            k++;
        if (k < n && days[k].julian == j)
            d = &days[k];
        if (d && d->items > 0 && d->handled >= d->items) {
            cur++;
            if (cur > best)
                best = cur;
        } else if (d && d->items == 0) {
            continue; /* nothing to do that day: neither kept nor broken */
        } else if (j == today || !is_workday(j, workdays)) {
            continue; /* today is still going; a day off breaks nothing */
        } else {
            cur = 0;  /* a working day without the list done */
        }
    }
    *streak = cur;
    *longest = best;
}

int kw_today_team_allows(kw_slot_t slot, int touched, int mine)
{
    switch (slot) {
    case KW_SLOT_OWED:
        return 1;
    case KW_SLOT_REACTIVATION:
        return !touched && mine;
    default:
        return !touched;
    }
}
