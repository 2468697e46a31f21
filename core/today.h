/* SPDX-License-Identifier: GPL-3.0-or-later */
/* today.h — internal: the rules of the daily routine as pure functions
 * (today_rules.c), and the one seam where a team decides eligibility.
 * No SQLite, no clock: dates are GLib Julian day numbers, times UTC seconds.
 * today.c applies them to the store and the model. */
#ifndef KW_TODAY_H
#define KW_TODAY_H

#include <stddef.h>
#include <stdint.h>
#include "keepwarm.h"

/* Items a day when nothing is set, and the most a user may ask for. */
#define KW_TODAY_DEFAULT_SIZE 5
#define KW_TODAY_MAX_SIZE 50
#define KW_TODAY_MAX_MINUTES 600
/* "About two minutes per item": a short mail, a call booked. */
#define KW_TODAY_MINUTES_PER_ITEM 2
/* An item shown rests this many working days before it may come back
 * (listed Monday: back on Thursday at the earliest), owed replies excepted ... */
#define KW_TODAY_REST_DAYS 3
/* ... and items not shown for this many working days come first, so that a
 * working week of five-item days covers up to 25 different relationships. */
#define KW_TODAY_FRESH_DAYS 5
/* A former customer: at least this many exchanges ... */
#define KW_TODAY_DORMANT_MIN_EXCHANGES 3
/* ... and silent for more than max(a year, 4x their rhythm). */
#define KW_TODAY_DORMANT_MIN_DAYS 365
#define KW_TODAY_DORMANT_RHYTHMS 4
/* Days whose items are checked again for mail that a later sync brought
 * (mail sent on the day, synced days later, still counts for its day). */
#define KW_TODAY_SETTLE_DAYS 14

/* One relationship that could be listed, with what the rules look at. */
typedef struct {
    const char *key;
    kw_state_t  state;
    kw_tier_t   tier;
    double      score;          /* the model's ranking: lateness x depth */
    int64_t     waiting_since;  /* owed reply: their first unanswered mail */
    int         exchanges;
    int64_t     last_exchange;  /* 0 = none */
    int64_t     last_inbound;   /* 0 = never */
    int         cadence_days;
    int         rest;           /* working days since it was last listed; -1 never */
    int         rest_reactivation; /* the same, as a reactivation; -1 never */
    int         allowed;        /* 0: left out (kw_today_team_allows) */
} kw_pick_candidate_t;

typedef struct {
    size_t    index;            /* into the candidates */
    kw_slot_t slot;
} kw_pick_t;

/* A former customer lying fallow: >= 3 exchanges, no sign of life (exchange
 * or mail of theirs) for more than max(365 days, 4x the rhythm), and
 * overdue (or awaiting their reply to an attempt). */
int kw_today_dormant(const kw_pick_candidate_t *c, int64_t as_of);

/* The day's list: owed replies (oldest first), then overdue ones (items not
 * listed for a week first, then by tier, score, key) leaving one slot for a
 * reactivation when a dormant one exists, then that one (the longest not
 * offered first, then tier, exchanges, key). Items that rest are left out
 * (owed replies never rest), so are dormant ones from the overdue part and
 * everything not `allowed`. Writes at most `size` picks to `out` in list
 * order; returns their number. */
size_t kw_today_pick(const kw_pick_candidate_t *c, size_t n, int size, int64_t as_of,
                     kw_pick_t *out);

/* Working days after `from` up to and including `to` (0 when to <= from);
 * `workdays` as KW_WEEKDAY_BIT()s, 0 = Monday to Friday. */
int kw_workdays_between(uint32_t from, uint32_t to, unsigned workdays);

/* One day's list: its day, how many items it had, how many were handled. */
typedef struct {
    uint32_t julian;
    int      items;
    int      handled;
} kw_day_record_t;

/* The streak up to `today` from the day lists (ascending, none after
 * today): consecutive working days whose list was handled completely; a
 * working day with no list or an unhandled one breaks it (today excepted:
 * it is still going), non-working days and empty lists never do; a handled
 * non-working day counts. *longest: the longest ever. */
void kw_today_streak(const kw_day_record_t *days, size_t n, uint32_t today, unsigned workdays,
                     int *streak, int *longest);

/* The team's say (issue 13) on a candidate in `slot`: `touched` 1 when the
 * team touched it in the ISO week of the day (kw_model_team_touched_week),
 * `mine` 1 when this member is the week's owner of a reactivation candidate
 * or nobody else holds it (kw_model_team_owner). An owed reply is always
 * allowed (the reply is still yours to write); an overdue or follow-up
 * candidate a teammate touched this week is left out; a reactivation
 * candidate is listed only for its owner, and not when the team touched it
 * this week. Without team data (touched 0, mine 1): always 1. */
int kw_today_team_allows(kw_slot_t slot, int touched, int mine);

#endif
