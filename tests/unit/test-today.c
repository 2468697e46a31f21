/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-today.c — the daily routine: its pure rules (today_rules.c) table by
 * table, then the day's list, what counts as done, marks, the streak, the
 * settings, touches outside mail, tiers, mail recorded by a mail client and
 * the review over a store filled the way a sync fills it (mail-fixture.h). */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "mail-fixture.h"
#include "model.h"
#include "today.h"

/* ------------------------------------------------------------------------ */
/* Rules                                                                     */
/* ------------------------------------------------------------------------ */

#define NOW AT(1000)

/* A candidate: overdue unless said otherwise, never listed, allowed. */
static kw_pick_candidate_t cand(const char *key, kw_state_t state, kw_tier_t tier, double score)
{
    kw_pick_candidate_t c = { 0 };
    c.key = key;
    c.state = state;
    c.tier = tier;
    c.score = score;
    c.exchanges = 10;
    c.last_exchange = NOW - 90 * DAY;
    c.cadence_days = 30;
    c.rest = c.rest_reactivation = -1;
    c.allowed = 1;
    return c;
}

/* The keys picked, "key:slot key:slot ..." (o owed, v overdue, r reactivation). */
static char *picked(const kw_pick_candidate_t *c, size_t n, int size)
{
    kw_pick_t out[64];
    GString *s = g_string_new(NULL);
    size_t k = kw_today_pick(c, n, size, NOW, out);
    g_assert_cmpuint(k, <=, (size_t) size);
    for (size_t i = 0; i < k; i++)
        g_string_append_printf(s, "%s%s:%c", i ? " " : "", c[out[i].index].key,
                               "ovr"[out[i].slot]);
    return g_string_free(s, FALSE);
}

static void test_rules_pick(void)
{
    kw_pick_candidate_t c[12];
    char *got;

    /* owed replies first, the oldest question first; then overdue by score */
    c[0] = cand("late", KW_STATE_OVERDUE, KW_TIER_NONE, 5.0);
    c[1] = cand("later", KW_STATE_OVERDUE, KW_TIER_NONE, 7.0);
    c[2] = cand("q-new", KW_STATE_AWAITING_YOUR_REPLY, KW_TIER_NONE, 1.0);
    c[2].waiting_since = NOW - 4 * DAY;
    c[3] = cand("q-old", KW_STATE_AWAITING_YOUR_REPLY, KW_TIER_NONE, 1.0);
    c[3].waiting_since = NOW - 9 * DAY;
    c[4] = cand("fine", KW_STATE_OK, KW_TIER_A, 9.0);
    c[5] = cand("soon", KW_STATE_DUE_SOON, KW_TIER_A, 9.0);
    c[6] = cand("snoozed", KW_STATE_SNOOZED, KW_TIER_A, 0.0);
    c[7] = cand("follow-up", KW_STATE_AWAITING_THEIR_REPLY, KW_TIER_NONE, 6.0);
    got = picked(c, 8, 5);
    g_assert_cmpstr(got, ==, "q-old:o q-new:o later:v follow-up:v late:v");
    g_free(got);
    got = picked(c, 8, 2); /* a short day: only the owed replies */
    g_assert_cmpstr(got, ==, "q-old:o q-new:o");
    g_free(got);

    /* tier before lateness; not listed for a week before everything */
    c[0] = cand("b-late", KW_STATE_OVERDUE, KW_TIER_B, 9.0);
    c[1] = cand("a-mild", KW_STATE_OVERDUE, KW_TIER_A, 2.0);
    c[2] = cand("none-huge", KW_STATE_OVERDUE, KW_TIER_NONE, 99.0);
    c[3] = cand("c-mid", KW_STATE_OVERDUE, KW_TIER_C, 4.0);
    c[4] = cand("a-shown-4-days-ago", KW_STATE_OVERDUE, KW_TIER_A, 50.0);
    c[4].rest = 4;
    got = picked(c, 5, 5);
    g_assert_cmpstr(got, ==, "a-mild:v b-late:v c-mid:v none-huge:v a-shown-4-days-ago:v");
    g_free(got);

    /* rest: shown 1 or 2 working days ago it stays out, after 3 it may come back;
     * an owed reply never rests */
    c[0] = cand("yesterday", KW_STATE_OVERDUE, KW_TIER_A, 9.0);
    c[0].rest = 1;
    c[1] = cand("two-days", KW_STATE_OVERDUE, KW_TIER_A, 9.0);
    c[1].rest = 2;
    c[2] = cand("three-days", KW_STATE_OVERDUE, KW_TIER_A, 9.0);
    c[2].rest = 3;
    c[3] = cand("owed-yesterday", KW_STATE_AWAITING_YOUR_REPLY, KW_TIER_NONE, 1.0);
    c[3].rest = 1;
    c[4] = cand("not-allowed", KW_STATE_OVERDUE, KW_TIER_A, 9.0);
    c[4].allowed = 0; /* the team seam */
    got = picked(c, 5, 5);
    g_assert_cmpstr(got, ==, "owed-yesterday:o three-days:v");
    g_free(got);

    /* one place stays for a former customer; the one never offered first */
    for (int i = 0; i < 6; i++) {
        static const char *const keys[] = { "o1", "o2", "o3", "o4", "o5", "o6" };
        c[i] = cand(keys[i], KW_STATE_OVERDUE, KW_TIER_NONE, 10.0 - i);
    }
    c[6] = cand("dormant-offered", KW_STATE_OVERDUE, KW_TIER_A, 1.0);
    c[6].last_exchange = NOW - 500 * DAY;
    c[6].rest_reactivation = c[6].rest = 8;
    c[7] = cand("dormant-never", KW_STATE_OVERDUE, KW_TIER_C, 1.0);
    c[7].last_exchange = NOW - 400 * DAY;
    c[8] = cand("dormant-resting", KW_STATE_OVERDUE, KW_TIER_A, 1.0);
    c[8].last_exchange = NOW - 600 * DAY;
    c[8].rest = c[8].rest_reactivation = 1;
    got = picked(c, 9, 5);
    g_assert_cmpstr(got, ==, "o1:v o2:v o3:v o4:v dormant-never:r");
    g_free(got);
    got = picked(c, 7, 5); /* only one offered before */
    g_assert_cmpstr(got, ==, "o1:v o2:v o3:v o4:v dormant-offered:r");
    g_free(got);
    got = picked(c, 6, 5); /* none: five overdue */
    g_assert_cmpstr(got, ==, "o1:v o2:v o3:v o4:v o5:v");
    g_free(got);
    got = picked(c, 9, 0);
    g_assert_cmpstr(got, ==, "");
    g_free(got);
    got = picked(c + 6, 3, 5); /* nothing else: the reactivation alone */
    g_assert_cmpstr(got, ==, "dormant-never:r");
    g_free(got);
}

static void test_rules_dormant(void)
{
    static const struct {
        const char *what;
        int exchanges, cadence;
        double silent_days, inbound_days; /* ago; inbound < 0: never */
        kw_state_t state;
        int dormant;
    } rows[] = {
        { "a former customer, silent 400 days", 3, 30, 400, -1, KW_STATE_OVERDUE, 1 },
        { "two exchanges are no customer", 2, 30, 400, -1, KW_STATE_OVERDUE, 0 },
        { "a year is the least", 10, 30, 364, -1, KW_STATE_OVERDUE, 0 },
        { "4x a quarterly rhythm is 480 days", 10, 120, 470, -1, KW_STATE_OVERDUE, 0 },
        { "... and beyond it", 10, 120, 490, -1, KW_STATE_OVERDUE, 1 },
        { "they wrote lately: alive", 10, 30, 400, 20, KW_STATE_OVERDUE, 0 },
        { "an attempt of yours unanswered", 10, 30, 400, -1, KW_STATE_AWAITING_THEIR_REPLY, 1 },
        { "a meeting planned: in touch", 10, 30, 400, -1, KW_STATE_OK, 0 },
        { "ignored", 10, 30, 400, -1, KW_STATE_IGNORED, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        kw_pick_candidate_t c = cand("x", rows[i].state, KW_TIER_NONE, 1.0);
        c.exchanges = rows[i].exchanges;
        c.cadence_days = rows[i].cadence;
        c.last_exchange = NOW - (int64_t) (rows[i].silent_days * DAY);
        c.last_inbound = rows[i].inbound_days < 0 ? 0 : NOW - (int64_t) (rows[i].inbound_days * DAY);
        g_test_message("%s", rows[i].what);
        g_assert_cmpint(kw_today_dormant(&c, NOW), ==, rows[i].dormant);
    }
}

/* Julian day of 2024-01-DD (January 1st is a Monday). */
static uint32_t jan(int dd)
{
    GDate d;
    g_date_clear(&d, 1);
    g_date_set_dmy(&d, (GDateDay) dd, G_DATE_JANUARY, 2024);
    return g_date_get_julian(&d);
}

static void test_rules_workdays(void)
{
    g_assert_cmpint(kw_workdays_between(jan(1), jan(4), 0), ==, 3);  /* Mon -> Thu */
    g_assert_cmpint(kw_workdays_between(jan(5), jan(8), 0), ==, 1);  /* Fri -> Mon */
    g_assert_cmpint(kw_workdays_between(jan(6), jan(7), 0), ==, 0);  /* Sat -> Sun */
    g_assert_cmpint(kw_workdays_between(jan(4), jan(4), 0), ==, 0);
    g_assert_cmpint(kw_workdays_between(jan(4), jan(2), 0), ==, 0);
    g_assert_cmpint(kw_workdays_between(jan(1), jan(15), 0), ==, 10);
    /* a shop open Tuesday to Saturday */
    g_assert_cmpint(kw_workdays_between(jan(5), jan(9), 0x7cu), ==, 2); /* Fri -> Tue: Sat, Tue */
}

static void test_rules_streak(void)
{
    static const struct {
        const char *what;
        const char *days;   /* per January day from the 1st: '.' no list, 'h' handled,
                               'u' not handled, 'e' empty list */
        int today;          /* January day */
        int streak, longest;
    } rows[] = {
        { "nothing yet", "", 10, 0, 0 },
        { "three handled days", "hhh", 3, 3, 3 },
        { "today still going", "hhu", 3, 2, 2 },
        { "across a weekend", "hhhhh..h", 8, 6, 6 },
        { "a missed working day", "hh.h", 4, 1, 2 },
        { "an unhandled working day", "hhuh", 4, 1, 2 },
        { "an empty list breaks nothing, adds nothing", "hhehh", 5, 4, 4 },
        { "a handled Saturday counts", "hhhhhh.h", 8, 7, 7 },
        { "an unhandled Sunday breaks nothing", "hhhhh.uh", 8, 6, 6 },
        { "the longest is kept", "hhhh.h", 6, 1, 4 },
        { "before the first list: nothing to break", "....hh", 6, 2, 2 },
        { "no list today yet", "hhh", 4, 3, 3 },
        { "a missed day before today", "hhh", 5, 0, 3 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        kw_day_record_t rec[40];
        size_t n = 0;
        int streak = -1, longest = -1;
        for (size_t d = 0; rows[i].days[d]; d++) {
            char k = rows[i].days[d];
            if (k == '.')
                continue;
            rec[n].julian = jan((int) d + 1);
            rec[n].items = k == 'e' ? 0 : 5;
            rec[n].handled = k == 'h' ? 5 : k == 'u' ? 3 : 0;
            n++;
        }
        kw_today_streak(rec, n, jan(rows[i].today), 0, &streak, &longest);
        g_test_message("%s", rows[i].what);
        g_assert_cmpint(streak, ==, rows[i].streak);
        g_assert_cmpint(longest, ==, rows[i].longest);
    }
}

/* The team's say on a candidate: slot x touched this week x mine. */
static void test_rules_team(void)
{
    static const struct {
        kw_slot_t slot;
        int touched, mine, allowed;
    } rows[] = {
        { KW_SLOT_OWED, 0, 1, 1 },         { KW_SLOT_OWED, 1, 1, 1 },
        { KW_SLOT_OWED, 1, 0, 1 },         { KW_SLOT_OVERDUE, 0, 1, 1 },
        { KW_SLOT_OVERDUE, 1, 1, 0 },      { KW_SLOT_OVERDUE, 0, 0, 1 },
        { KW_SLOT_REACTIVATION, 0, 1, 1 }, { KW_SLOT_REACTIVATION, 0, 0, 0 },
        { KW_SLOT_REACTIVATION, 1, 1, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_test_message("slot %d touched %d mine %d", rows[i].slot, rows[i].touched, rows[i].mine);
        g_assert_cmpint(kw_today_team_allows(rows[i].slot, rows[i].touched, rows[i].mine), ==,
                        rows[i].allowed);
    }
}

/* ------------------------------------------------------------------------ */
/* The day's list over a store                                               */
/* ------------------------------------------------------------------------ */

/* A UTC calendar day, `d` days after T0. */
static kw_day_t day_of(int d)
{
    GDate g;
    kw_day_t day;
    g_date_clear(&g, 1);
    g_date_set_julian(&g, jan(1) + (guint32) d);
    day.year = g_date_get_year(&g);
    day.month = g_date_get_month(&g);
    day.day = g_date_get_day(&g);
    day.start = AT(d);
    day.end = AT(d + 1);
    return day;
}

/* The day's list as of `hour` o'clock of day `d` (size 0: the setting). */
static kw_today_t *today_at(fixture_t *f, int d, double hour, int size)
{
    kw_model_t *m = fx_model(f, AT(d + hour / 24.0));
    kw_day_t day = day_of(d);
    kw_today_t *t = NULL;
    char *error = NULL;
    g_assert_cmpint(kw_today(f->store, m, &day, size, &t, &error), ==, KW_OK);
    g_assert_null(error);
    kw_model_free(m);
    return t;
}

/* "key:how key:how" (how: '-' not yet, m mail, c call, t meeting, v visit, o other, s skipped) */
static char *items(const kw_today_t *t)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < t->count; i++)
        g_string_append_printf(s, "%s%s:%c", i ? " " : "", t->items[i].key, "-mctvos"[t->items[i].how]);
    return g_string_free(s, FALSE);
}

#define ASSERT_ITEMS(t, expected)          \
    do {                                   \
        char *got_ = items(t);             \
        g_assert_cmpstr(got_, ==, expected); \
        g_free(got_);                      \
    } while (0)

/* Six overdue customers of one depth, each silent ten days longer than the
 * next ("one" the longest), one who asked a question on day 390 (owed), one
 * former customer silent since day 10. Day 399 is Monday 2025-02-03. */
static void world(fixture_t *f)
{
    static const char *const who[] = { "a@one.example", "b@two.example", "c@three.example",
                                       "d@four.example", "e@five.example", "f@six.example" };
    for (int i = 0; i < 6; i++)
        fx_exchanges(f, who[i], 100 + 10 * i, 14, 8); /* every two weeks until day 198 + 10i */
    fx_exchanges(f, "q@owed.example", 300, 30, 3);
    fx_mail(f, "q@owed.example", ME, 390, "A question");
    fx_exchanges(f, "old@former.example", -30, 20, 3);
}

static void test_list_kept_and_rotated(fixture_t *f, gconstpointer data)
{
    kw_today_t *t;
    (void) data;
    world(f);
    t = today_at(f, 402, 9, 4);   /* Thursday 2025-02-06, four items */
    ASSERT_ITEMS(t, "owed.example:- one.example:- two.example:- former.example:-");
    g_assert_cmpint(t->items[0].slot, ==, KW_SLOT_OWED);
    g_assert_cmpint(t->items[3].slot, ==, KW_SLOT_REACTIVATION);
    g_assert_cmpstr(t->date, ==, "2025-02-06");
    kw_today_free(t);
    /* later the same day, whatever changed: the same list */
    fx_exchanges(f, "z@new.example", 200, 14, 5);
    t = today_at(f, 402, 17, 0);
    ASSERT_ITEMS(t, "owed.example:- one.example:- two.example:- former.example:-");
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM day_lists"), ==, 1);
    kw_today_free(t);
    /* the next working day (Friday): the owed reply again, the rest rests */
    t = today_at(f, 403, 9, 0);
    ASSERT_ITEMS(t, "owed.example:- three.example:- four.example:- five.example:- six.example:-");
    kw_today_free(t);
    /* Monday: everything shown rests (Thursday's two working days, Friday's
     * one) but the owed reply and what was never shown */
    t = today_at(f, 406, 9, 0);
    ASSERT_ITEMS(t, "owed.example:- new.example:-");
    kw_today_free(t);
    /* Tuesday: Thursday's may come back (three working days), the former
     * customer too; Friday's and Monday's still rest */
    t = today_at(f, 407, 9, 0);
    ASSERT_ITEMS(t, "owed.example:- one.example:- two.example:- former.example:-");
    kw_today_free(t);
}

/* A teammate's exchange with organisation `org` on `day`, as a pull
 * stores it (team_records, team_members). */
static void teammate_exchange(fixture_t *f, const char *member, const char *org, double day)
{
    char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO team_records(member, kind, key, org, "
                                "last_exchange, exchanges, cadence_days, state) "
                                "VALUES (%Q, 'org', %Q, %Q, %lld, 3, 30, 'ok');"
                                "INSERT OR IGNORE INTO team_members(member) VALUES (%Q);",
                                member, org, org, (long long) AT(day), member);
    g_assert_cmpint(sqlite3_exec(kw_store_db(f->store), sql, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_free(sql);
}

/* The team (issue 13): an overdue customer a teammate talked to this week
 * rests; the dormant one goes to the member the week assigns it to; an
 * owed reply stays whatever the team did. */
static void test_team(fixture_t *f, gconstpointer data)
{
    kw_model_t *m;
    kw_today_t *t;
    int mine = 1, touched = 0;
    char *owner = NULL;
    (void) data;
    world(f);
    /* Jan talked on Tuesday (day 400, the week of Thursday, day 402) to
     * one.example (then ok thanks to the team: no candidate at all), to
     * owed.example, and to two.example, where your offer of day 380 still
     * awaits their reply (the model keeps that state: a follow-up) */
    fx_mail(f, ME, "b@two.example", 380.4, "Offer");
    teammate_exchange(f, "jan", "one.example", 400.5);
    teammate_exchange(f, "jan", "owed.example", 400.5);
    teammate_exchange(f, "jan", "two.example", 400.5);
    /* former.example, dormant: teammates who held it long ago, added until
     * one of them (not you) owns it in that week */
    m = fx_model(f, AT(402.375));
    for (int k = 0; mine && k < 64; k++) {
        char member[16];
        g_snprintf(member, sizeof member, "m%d", k);
        teammate_exchange(f, member, "former.example", 5);
        kw_model_free(m);
        m = fx_model(f, AT(402.375));
        g_assert_cmpint(kw_model_team_owner(m, "former.example", AT(402.5), &mine, &owner, NULL), ==,
                        KW_OK);
        g_clear_pointer(&owner, kw_free);
    }
    g_assert_cmpint(mine, ==, 0);
    g_assert_cmpint(kw_model_team_touched_week(m, "one.example", AT(402.5), &touched, NULL), ==, KW_OK);
    g_assert_cmpint(touched, ==, 1);
    g_assert_cmpint(kw_model_team_touched_week(m, "three.example", AT(402.5), &touched, NULL), ==,
                    KW_OK);
    g_assert_cmpint(touched, ==, 0);
    {
        kw_relationship_t *r = NULL;
        g_assert_cmpint(kw_model_relationship(m, "two.example", &r, NULL), ==, KW_OK);
        g_assert_cmpint(r->state, ==, KW_STATE_AWAITING_THEIR_REPLY);
        kw_relationship_free(r);
    }
    kw_model_free(m);
    /* without the rule the list would hold two.example (a follow-up) and
     * former.example (a reactivation) too; one.example is ok (team) */
    t = today_at(f, 402, 9, 8);
    ASSERT_ITEMS(t, "owed.example:- three.example:- four.example:- five.example:- six.example:-");
    g_assert_cmpint(t->items[0].slot, ==, KW_SLOT_OWED);
    for (size_t i = 1; i < t->count; i++)
        g_assert_cmpint(t->items[i].slot, ==, KW_SLOT_OVERDUE);
    kw_today_free(t);
    /* the next week (Tuesday, day 407) nobody touched two.example: the
     * follow-up is back (it was never shown, so it does not rest) */
    t = today_at(f, 407, 9, 4);
    {
        char *got = items(t);
        g_assert_nonnull(strstr(got, "two.example"));
        g_free(got);
    }
    kw_today_free(t);
}

static void test_done(fixture_t *f, gconstpointer data)
{
    kw_today_t *t;
    kw_model_t *m;
    kw_day_t day = day_of(402);
    char *error = NULL;
    (void) data;
    world(f);
    t = today_at(f, 402, 8, 4);
    ASSERT_ITEMS(t, "owed.example:- one.example:- two.example:- former.example:-");
    kw_today_free(t);

    /* a broadcast and mail before the day count for nothing */
    fx_mail_at(f, ME, "a@one.example", AT(402) + 9 * 3600, "News", 30);
    fx_mail(f, ME, "b@two.example", 401.9, "Yesterday");
    /* the answer to the owed question; a call with two; a mark for the former customer */
    fx_mail(f, ME, "q@owed.example", 402.45, "Re: A question");
    g_assert_cmpint(kw_log_touch(f->store, "two.example", KW_SOURCE_CALL, AT(402.5), NULL, NULL,
                                 &error), ==, KW_OK);
    m = fx_model(f, AT(402.6));
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "old@former.example", KW_HOW_SKIPPED, &error),
                    ==, KW_OK);
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "z@nowhere.example", KW_HOW_OTHER, &error), ==,
                    KW_ERR_NOT_FOUND); /* not in the store at all */
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "c@three.example", KW_HOW_OTHER, &error), ==,
                    KW_ERR_NOT_FOUND); /* not on the list */
    g_assert_nonnull(strstr(error, "not on the list of 2025-02-06"));
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "one.example", KW_HOW_MAIL, &error), ==,
                    KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    kw_model_free(m);

    t = today_at(f, 402, 14, 0);
    ASSERT_ITEMS(t, "owed.example:m one.example:- two.example:c former.example:s");
    g_assert_cmpint(t->done, ==, 3);
    g_assert_cmpint(t->items[0].state, ==, KW_STATE_OK); /* answered */
    g_assert_cmpint(t->items[0].done_at, ==, AT(402.45));
    g_assert_nonnull(t->items[0].rel);
    kw_today_free(t);
    /* as of an earlier hour: only what happened by then */
    t = today_at(f, 402, 11.0, 0);
    ASSERT_ITEMS(t, "owed.example:m one.example:- two.example:- former.example:s");
    kw_today_free(t);

    /* the call removed: no longer done; a mark stays what was said */
    g_assert_cmpint(kw_unlog_touch(f->store, fx_count(f, "SELECT max(id) FROM touches"), NULL, &error),
                    ==, KW_OK);
    t = today_at(f, 402, 14, 0);
    ASSERT_ITEMS(t, "owed.example:m one.example:- two.example:- former.example:s");
    kw_today_free(t);
    /* marked done by the person of an organisation; a mark does not undo what was done */
    m = fx_model(f, AT(402.7));
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "A@ONE.example", KW_HOW_OTHER, &error), ==, KW_OK);
    g_assert_cmpint(kw_today_mark(f->store, m, &day, "q@owed.example", KW_HOW_SKIPPED, &error), ==, KW_OK);
    kw_model_free(m);
    /* mail sent on the day, synced a day later, still counts for its day */
    fx_mail(f, ME, "b@two.example", 402.8, "Sorry for the silence");
    t = today_at(f, 403, 9, 0);
    kw_today_free(t);
    t = today_at(f, 402, 23.9, 0);
    ASSERT_ITEMS(t, "owed.example:m one.example:o two.example:m former.example:s");
    g_assert_cmpint(t->done, ==, 4);
    g_assert_cmpint(t->streak, ==, 1);
    kw_today_free(t);
    g_assert_null(error);
}

static void test_streak_and_empty_days(fixture_t *f, gconstpointer data)
{
    kw_today_t *t;
    char *error = NULL;
    (void) data;
    /* two overdue customers; a third, in touch, asks on Saturday */
    fx_exchanges(f, "a@one.example", 100, 14, 8);
    fx_exchanges(f, "b@two.example", 101, 14, 8);
    fx_exchanges(f, "c@three.example", 360, 14, 3);
    fx_mail(f, "c@three.example", ME, 397.5, "Question");
    /* Monday day 399 ... (2025-02-03 is a Monday) */
    t = today_at(f, 399, 9, 0);
    ASSERT_ITEMS(t, "one.example:- two.example:-");
    g_assert_cmpint(t->streak, ==, 0);
    kw_today_free(t);
    kw_log_touch(f->store, "one.example", KW_SOURCE_CALL, AT(399.4), NULL, NULL, &error);
    kw_log_touch(f->store, "two.example", KW_SOURCE_VISIT, AT(399.5), NULL, NULL, &error);
    t = today_at(f, 399, 20, 0);
    ASSERT_ITEMS(t, "one.example:c two.example:v");
    g_assert_cmpint(t->streak, ==, 1);
    kw_today_free(t);
    /* Tuesday: nothing is overdue any more: an empty list breaks nothing */
    t = today_at(f, 400, 9, 0);
    g_assert_cmpuint(t->count, ==, 0);
    g_assert_cmpint(t->streak, ==, 1);
    kw_today_free(t);
    /* Wednesday: Saturday's question is owed now */
    t = today_at(f, 401, 9, 0);
    ASSERT_ITEMS(t, "three.example:-");
    g_assert_cmpint(t->streak, ==, 1); /* today is still going */
    kw_today_free(t);
    fx_mail(f, ME, "c@three.example", 401.6, "Re: Question");
    t = today_at(f, 401, 18, 0);
    g_assert_cmpint(t->streak, ==, 2);
    g_assert_cmpint(t->longest_streak, ==, 2);
    kw_today_free(t);
    /* Thursday missed (no list), Friday: the streak starts again */
    t = today_at(f, 403, 9, 0);
    g_assert_cmpint(t->streak, ==, 0);
    g_assert_cmpint(t->longest_streak, ==, 2);
    kw_today_free(t);
    g_assert_null(error);
}

/* The day's first look came before its mail: an empty list is looked at
 * again, and kept once it has items. */
static void test_empty_list_renewed(fixture_t *f, gconstpointer data)
{
    kw_today_t *t;
    (void) data;
    t = today_at(f, 399, 7, 0);
    g_assert_cmpuint(t->count, ==, 0);
    kw_today_free(t);
    fx_exchanges(f, "a@one.example", 100, 14, 8);  /* the morning's sync */
    t = today_at(f, 399, 9, 0);
    ASSERT_ITEMS(t, "one.example:-");
    kw_today_free(t);
    fx_exchanges(f, "b@two.example", 100, 14, 8);  /* more later: the list stays */
    t = today_at(f, 399, 15, 0);
    ASSERT_ITEMS(t, "one.example:-");
    kw_today_free(t);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM day_lists"), ==, 1);
}

static void test_settings(fixture_t *f, gconstpointer data)
{
    kw_routine_settings_t r = { 0 }, bad = { .daily_size = 51 };
    kw_today_t *t;
    char *error = NULL;
    (void) data;
    g_assert_cmpint(kw_store_get_routine(f->store, &r, &error), ==, KW_OK);
    g_assert_cmpint(r.daily_size, ==, 0);
    g_assert_cmpint(r.workdays, ==, 0);
    g_assert_cmpint(kw_store_set_routine(f->store, &bad, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    bad.daily_size = 0;
    bad.workdays = 1; /* bit 0 is no weekday */
    g_assert_cmpint(kw_store_set_routine(f->store, &bad, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    r.daily_minutes = 7; /* about two minutes an item: 4 */
    r.workdays = KW_WEEKDAY_BIT(1) | KW_WEEKDAY_BIT(3);
    g_assert_cmpint(kw_store_set_routine(f->store, &r, &error), ==, KW_OK);
    memset(&r, 0, sizeof r);
    g_assert_cmpint(kw_store_get_routine(f->store, &r, &error), ==, KW_OK);
    g_assert_cmpint(r.daily_minutes, ==, 7);
    g_assert_cmpint(r.workdays, ==, KW_WEEKDAY_BIT(1) | KW_WEEKDAY_BIT(3));
    for (int i = 0; i < 8; i++) {
        char *who = g_strdup_printf("p%d@org%d.example", i, i);
        fx_exchanges(f, who, 100 + i, 14, 8);
        g_free(who);
    }
    t = today_at(f, 399, 9, 0);
    g_assert_cmpuint(t->count, ==, 4);
    kw_today_free(t);
    r.daily_size = 2; /* a size wins over minutes */
    g_assert_cmpint(kw_store_set_routine(f->store, &r, &error), ==, KW_OK);
    t = today_at(f, 400, 9, 0);
    g_assert_cmpuint(t->count, ==, 2);
    kw_today_free(t);
    g_assert_null(error);
}

/* ------------------------------------------------------------------------ */
/* Touches outside mail                                                      */
/* ------------------------------------------------------------------------ */

static void test_touches(fixture_t *f, gconstpointer data)
{
    kw_model_t *m;
    kw_relationship_t *r = NULL;
    kw_touch_list_t *tl = NULL;
    kw_logged_touch_list_t *ll = NULL;
    kw_logged_touch_t *gone = NULL;
    int64_t id = 0, planned = 0, now;
    char *error = NULL;
    (void) data;

    fx_exchanges(f, "jane@acme.example", 100, 14, 8);
    fx_exchanges(f, "tom@mycorp.com", 100, 14, 8); /* a colleague */
    fx_mail(f, ME, "lead@prospect.example", 150, "Intro"); /* never answered */
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "acme.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OVERDUE);
    kw_relationship_free(r);
    kw_model_free(m);

    /* what cannot be logged */
    g_assert_cmpint(kw_log_touch(f->store, "acme.example", KW_SOURCE_MAIL, AT(299), NULL, NULL, &error),
                    ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_log_touch(f->store, "acme.example", KW_SOURCE_CALL, 0, NULL, NULL, &error), ==,
                    KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_log_touch(f->store, "acme.example", KW_SOURCE_CALL, AT(299), "\xff bad", NULL,
                                 &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_log_touch(f->store, "nobody.example", KW_SOURCE_CALL, AT(299), NULL, NULL,
                                 &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_log_touch(f->store, "tom@mycorp.com", KW_SOURCE_CALL, AT(299), NULL, NULL,
                                 &error), ==, KW_ERR_NOT_FOUND); /* a colleague is no relationship */
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM touches"), ==, 0);

    /* a call with the organisation: with the person one writes to there */
    g_assert_cmpint(kw_log_touch(f->store, "ACME.example", KW_SOURCE_CALL, AT(299), "  About the\n offer ",
                                 &id, &error), ==, KW_OK);
    /* a meeting planned today for in 20 days */
    now = (int64_t) time(NULL);
    g_assert_cmpint(kw_log_touch(f->store, "jane@acme.example", KW_SOURCE_MEETING, now + 20 * DAY, NULL,
                                 &planned, &error), ==, KW_OK);
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "acme.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OK);
    g_assert_cmpint(r->last_touch, ==, AT(299));
    g_assert_cmpint(r->reason.last_exchange_source, ==, KW_SOURCE_CALL);
    g_assert_cmpint(r->reason.planned_touch, ==, 0); /* on day 300 nobody knew of it */
    g_assert_cmpint(r->last_inbound, ==, AT(100 + 7 * 14 + 0.40)); /* mail's, not the call's */
    kw_relationship_free(r);
    g_assert_cmpint(kw_model_timeline(m, "acme.example", &tl, &error), ==, KW_OK);
    g_assert_cmpint(tl->items[0].time, ==, AT(299)); /* the planned one is not history yet */
    g_assert_cmpint(tl->items[0].source, ==, KW_SOURCE_CALL);
    g_assert_cmpint(tl->items[0].log_id, ==, id);
    g_assert_cmpstr(tl->items[0].subject, ==, "About the offer");
    g_assert_cmpint(tl->items[1].source, ==, KW_SOURCE_MAIL);
    kw_touch_list_free(tl);
    g_assert_cmpint(kw_model_logged_touches(m, "jane@acme.example", &ll, &error), ==, KW_OK);
    g_assert_cmpuint(ll->count, ==, 2);
    g_assert_cmpint(ll->items[0].id, ==, planned); /* newest first */
    g_assert_cmpstr(ll->items[1].address, ==, "jane@acme.example");
    g_assert_cmpstr(ll->items[1].target, ==, "acme.example");
    g_assert_false(ll->items[1].from_calendar);
    kw_logged_touch_list_free(ll);
    kw_model_free(m);
    /* now: two years of silence, but a meeting is planned: in touch until then */
    m = fx_model(f, now + 60);
    g_assert_cmpint(kw_model_relationship(m, "acme.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OK);
    g_assert_cmpint(r->reason.planned_touch, ==, now + 20 * DAY);
    g_assert_cmpint(r->reason.planned_source, ==, KW_SOURCE_MEETING);
    kw_relationship_free(r);
    kw_model_free(m);
    /* once it passed, it is the last exchange */
    m = fx_model(f, now + 21 * DAY);
    g_assert_cmpint(kw_model_relationship(m, "acme.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->last_touch, ==, now + 20 * DAY);
    g_assert_cmpint(r->reason.last_exchange_source, ==, KW_SOURCE_MEETING);
    g_assert_cmpint(r->reason.planned_touch, ==, 0);
    kw_relationship_free(r);
    kw_model_free(m);

    /* a prospect called becomes a relationship */
    g_assert_cmpint(kw_log_touch(f->store, "lead@prospect.example", KW_SOURCE_VISIT, AT(200), NULL,
                                 NULL, &error), ==, KW_OK);
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "prospect.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->touches, ==, 1);
    kw_relationship_free(r);
    kw_model_free(m);

    /* undo */
    g_assert_cmpint(kw_unlog_touch(f->store, id, &gone, &error), ==, KW_OK);
    g_assert_cmpint(gone->source, ==, KW_SOURCE_CALL);
    g_assert_cmpstr(gone->note, ==, "About the offer");
    kw_logged_touch_free(gone);
    g_assert_cmpint(kw_unlog_touch(f->store, id, NULL, &error), ==, KW_ERR_NOT_FOUND);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM interactions WHERE message_id < 0"), ==, 2);
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "acme.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OVERDUE); /* back to the mail alone */
    g_assert_cmpint(r->last_touch, ==, AT(100 + 7 * 14 + 0.60));
    kw_relationship_free(r);
    kw_model_free(m);
    g_assert_null(error);
}

static void test_tiers(fixture_t *f, gconstpointer data)
{
    kw_model_t *m;
    kw_relationship_t *r = NULL;
    kw_relationship_list_t *l = NULL;
    kw_tier_suggestion_list_t *sg = NULL;
    kw_list_options_t lo = { .states = KW_STATES_ALL, .tiers = KW_TIER_BIT(KW_TIER_A) };
    kw_tier_t t;
    char *error = NULL;
    (void) data;

    g_assert_cmpint(kw_tier_from_string("b", &t), ==, KW_OK);
    g_assert_cmpint(t, ==, KW_TIER_B);
    g_assert_cmpint(kw_tier_from_string("-", &t), ==, KW_OK);
    g_assert_cmpint(t, ==, KW_TIER_NONE);
    g_assert_cmpint(kw_tier_from_string("D", &t), ==, KW_ERR_USAGE);
    g_assert_cmpint(kw_tier_default_cadence(KW_TIER_C), ==, 120);

    /* thin history: one exchange 45 days ago */
    fx_exchanges(f, "new@young.example", 255, 14, 1);
    fx_exchanges(f, "other@young.example", 250, 14, 1);
    for (int i = 0; i < 10; i++) {
        char *who = g_strdup_printf("p%d@vol%d.example", i, i);
        fx_exchanges(f, who, 100, 10, 1 + i);
        g_free(who);
    }
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "young.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->state, ==, KW_STATE_OK); /* the default 60 days */
    g_assert_cmpint(r->cadence_days, ==, 60);
    kw_relationship_free(r);
    kw_model_free(m);
    g_assert_cmpint(kw_set_tier(f->store, "young.example", KW_TIER_A, &error), ==, KW_OK);
    g_assert_cmpint(kw_set_tier(f->store, "young.example", (kw_tier_t) 7, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    m = fx_model(f, AT(300));
    g_assert_cmpint(kw_model_relationship(m, "young.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->tier, ==, KW_TIER_A);
    g_assert_cmpint(r->cadence_days, ==, 30);
    g_assert_cmpint(r->state, ==, KW_STATE_OVERDUE);
    kw_relationship_free(r);
    /* a person has their organisation's tier */
    g_assert_cmpint(kw_model_relationship(m, "new@young.example", &r, &error), ==, KW_OK);
    g_assert_cmpint(r->tier, ==, KW_TIER_A);
    kw_relationship_free(r);
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_OK);
    g_assert_cmpuint(l->count, ==, 1);
    g_assert_cmpstr(l->items[0].key, ==, "young.example");
    kw_relationship_list_free(l);
    lo.tiers = 1u << 9;
    g_assert_cmpint(kw_model_relationships(m, &lo, &l, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    /* suggestions: 11 relationships, 3 A (20%, rounded up), 3 B, 5 C */
    g_assert_cmpint(kw_model_suggest_tiers(m, &sg, &error), ==, KW_OK);
    g_assert_cmpuint(sg->count, ==, 11);
    g_assert_cmpstr(sg->items[0].key, ==, "vol9.example");
    g_assert_cmpint(sg->items[0].exchanges, ==, 10);
    g_assert_cmpint(sg->items[0].suggested, ==, KW_TIER_A);
    g_assert_cmpint(sg->items[2].suggested, ==, KW_TIER_A);
    g_assert_cmpint(sg->items[3].suggested, ==, KW_TIER_B);
    g_assert_cmpint(sg->items[5].suggested, ==, KW_TIER_B);
    g_assert_cmpint(sg->items[6].suggested, ==, KW_TIER_C);
    for (size_t i = 0; i < sg->count; i++)
        if (strcmp(sg->items[i].key, "young.example") == 0)
            g_assert_cmpint(sg->items[i].current, ==, KW_TIER_A);
    kw_tier_suggestion_list_free(sg);
    kw_model_free(m);
    /* none removes it, and the settings row with it */
    g_assert_cmpint(kw_set_tier(f->store, "young.example", KW_TIER_NONE, &error), ==, KW_OK);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM settings"), ==, 0);
    g_assert_null(error);
}

/* ------------------------------------------------------------------------ */
/* Mail recorded by a mail client                                            */
/* ------------------------------------------------------------------------ */

static void test_record_sent(fixture_t *f, gconstpointer data)
{
    static const char block[] = "From: Me <me@mycorp.com>\r\nTo: jane@acme.example\r\n"
                                "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
                                "Message-ID: <sent-1@mycorp.com>\r\nSubject: Hello again\r\n";
    kw_parsed_msg_t msg;
    kw_sync_writer_t *w = NULL;
    kw_folder_state_t sent = { .id = 0, .is_sent = 1 };
    int is_new = 1;
    char *error = NULL;
    (void) data;

    g_assert_cmpint(kw_record_sent(f->store, "work", block, sizeof block - 1, AT(0.5), &error), ==, KW_OK);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM messages"), ==, 1);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM interactions WHERE direction = 2"), ==, 1);
    g_assert_cmpint(fx_count(f, "SELECT messages FROM sent_from WHERE email = 'me@mycorp.com'"), ==, 1);
    /* recorded twice, or synced later from the Sent folder: counted once */
    g_assert_cmpint(kw_record_sent(f->store, "work", block, sizeof block - 1, AT(0.6), &error), ==, KW_OK);
    g_assert_cmpint(kw_header_parse(block, sizeof block - 1, AT(0.7), AT(0.7), &msg), ==, 0);
    g_assert_cmpint(kw_store_write_begin(f->store, &error), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_new(f->store, f->account, &w, &error), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_add(w, &sent, &msg, &is_new, &error), ==, KW_OK);
    g_assert_false(is_new);
    g_assert_cmpint(kw_sync_writer_flush(w, &error), ==, KW_OK);
    kw_sync_writer_free(w);
    g_assert_cmpint(kw_store_write_commit(f->store, &error), ==, KW_OK);
    kw_parsed_msg_clear(&msg);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM messages"), ==, 1);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM interactions"), ==, 1);
    g_assert_cmpint(fx_count(f, "SELECT messages FROM sent_from WHERE email = 'me@mycorp.com'"), ==, 1);
    /* not the user's, no header, a new account */
    {
        static const char other[] = "From: x@else.example\r\nTo: y@z.example\r\n";
        g_assert_cmpint(kw_record_sent(f->store, "work", other, sizeof other - 1, AT(1), &error), ==,
                        KW_ERR_USAGE);
    }
    g_assert_nonnull(strstr(error, "x@else.example"));
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_record_sent(f->store, "work", "garbage", 7, AT(1), &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(kw_record_sent(f->store, "other", block, sizeof block - 1, AT(0.5), &error), ==, KW_OK);
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM accounts"), ==, 2);
    g_assert_null(error);
}

/* ------------------------------------------------------------------------ */
/* Review                                                                    */
/* ------------------------------------------------------------------------ */

static void test_review(fixture_t *f, gconstpointer data)
{
    int64_t bounds[] = { AT(399), AT(406), AT(413) }; /* two weeks from Monday 2025-02-03 */
    kw_review_t *r = NULL;
    kw_today_t *t;
    char *error = NULL;
    (void) data;
    fx_exchanges(f, "a@one.example", 100, 14, 8);
    fx_exchanges(f, "b@two.example", 101, 14, 8);
    fx_exchanges(f, "c@three.example", 300, 14, 8); /* fine until day 412 */
    t = today_at(f, 400, 9, 0);
    kw_today_free(t);
    kw_log_touch(f->store, "one.example", KW_SOURCE_CALL, AT(400.5), NULL, NULL, &error);
    t = today_at(f, 400, 20, 0);
    kw_today_free(t);
    t = today_at(f, 408, 9, 0);
    ASSERT_ITEMS(t, "two.example:-");
    kw_today_free(t);
    g_assert_cmpint(kw_review(f->store, bounds, 3, 0, &r, &error), ==, KW_OK);
    g_assert_cmpuint(r->count, ==, 2);
    g_assert_cmpint(r->weeks[0].listed, ==, 2);
    g_assert_cmpint(r->weeks[0].done, ==, 1);
    g_assert_cmpint(r->weeks[0].brought_back, ==, 1);
    g_assert_cmpint(r->weeks[0].overdue_end, ==, 1);
    g_assert_cmpint(r->weeks[1].listed, ==, 1);
    g_assert_cmpint(r->weeks[1].done, ==, 0);
    kw_review_free(r);
    bounds[1] = bounds[0];
    g_assert_cmpint(kw_review(f->store, bounds, 3, 0, &r, &error), ==, KW_ERR_USAGE);
    g_clear_pointer(&error, g_free);
    g_assert_null(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_setenv("TZ", "UTC", TRUE);
    g_test_add_func("/today/rules/pick", test_rules_pick);
    g_test_add_func("/today/rules/dormant", test_rules_dormant);
    g_test_add_func("/today/rules/workdays", test_rules_workdays);
    g_test_add_func("/today/rules/streak", test_rules_streak);
    g_test_add_func("/today/rules/team", test_rules_team);
#define ADD(path, fn) g_test_add(path, fixture_t, NULL, fx_setup, fn, fx_teardown)
    ADD("/today/list-kept-and-rotated", test_list_kept_and_rotated);
    ADD("/today/done", test_done);
    ADD("/today/streak-and-empty-days", test_streak_and_empty_days);
    ADD("/today/empty-list-renewed", test_empty_list_renewed);
    ADD("/today/settings", test_settings);
    ADD("/today/touches", test_touches);
    ADD("/today/tiers", test_tiers);
    ADD("/today/record-sent", test_record_sent);
    ADD("/today/review", test_review);
    ADD("/today/team", test_team);
#undef ADD
    return g_test_run();
}
