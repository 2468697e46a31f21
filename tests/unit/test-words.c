/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-words.c — the wording module (core/words/kw_words.c): facts into
 * sentences, cadences, days, dates and hints, in English (LANG=C) and in
 * German (a de_DE.UTF-8 locale built with localedef into a temporary
 * LOCPATH, and the catalogue built into $KW_BUILD/locale).
 * Times are written in days from T0 (2024-01-01 00:00 UTC). */
#include <string.h>
#include <glib.h>

#include "words/kw_words.h"
#include "test-locale.h"

#define T0 ((int64_t) 1704067200) /* 2024-01-01T00:00:00Z */
#define DAY ((int64_t) 86400)
#define AT(d) (T0 + (int64_t) ((double) (d) * (double) DAY + ((d) >= 0 ? 0.5 : -0.5)))

static kw_person_ref_t person(const char *address, const char *name)
{
    kw_person_ref_t p = { (char *) address, (char *) name };
    return p;
}

/* The reason facts of the spec's example: 14 exchanges every 21 days, the
 * last on 2024-03-03 14:00 (day 62), with Jane Doe, 93 days ago. */
static kw_reason_t example(void)
{
    kw_reason_t r;
    memset(&r, 0, sizeof r);
    r.state = KW_STATE_OVERDUE;
    r.last_exchange = AT(62 + 14.0 / 24);
    r.last_exchange_with = person("jane@acme.com", "Jane Doe");
    r.last_inbound = AT(62 + 10.0 / 24);
    r.cadence_days = 21;
    r.cadence_source = KW_CADENCE_LEARNED;
    r.exchanges = 14;
    r.first_exchange = AT(62 - 13 * 21 + 14.0 / 24);
    r.their_reply_days = 7;
    return r;
}

static void check(char *got, const char *want)
{
    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

static void test_reason(void)
{
    kw_reason_t r = example();
    int64_t as_of = AT(62 + 14.0 / 24 + 93);

    /* the example sentence of the spec, exactly */
    check(kw_words_reason(&r, as_of), "Last exchange 93 days ago (Mar 3, with Jane Doe); you "
                                      "usually talk every 3 weeks; 14 exchanges since 2023.");

    /* awaiting your reply names who wrote and when; a name starts the sentence as it is */
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.rhythm_state = KW_STATE_OK;
    r.waiting = KW_WAITING_ON_YOU;
    r.waiting_since = AT(72);
    r.waiting_person = person("bob@acme.com", "Bob Roe");
    check(kw_words_reason(&r, AT(77)), "Bob Roe wrote 5 days ago (Mar 13) and has no answer yet; "
                                       "last exchange 14 days ago (Mar 3, with Jane Doe); you "
                                       "usually talk every 3 weeks; 14 exchanges since 2023.");
    r.waiting_person = person("bob@acme.com", NULL); /* no name: the address */
    check(kw_words_reason(&r, AT(77)), "bob@acme.com wrote 5 days ago (Mar 13) and has no answer "
                                       "yet; last exchange 14 days ago (Mar 3, with Jane Doe); you "
                                       "usually talk every 3 weeks; 14 exchanges since 2023.");

    /* awaiting their reply: their usual answer time only once it is known */
    r.state = KW_STATE_AWAITING_THEIR_REPLY;
    r.waiting = KW_WAITING_ON_THEM;
    r.waiting_person = person("jane@acme.com", "Jane Doe");
    r.reply_samples = 2;
    check(kw_words_reason(&r, AT(80)), "You wrote to Jane Doe 8 days ago (Mar 13) with no reply "
                                       "yet; last exchange 17 days ago (Mar 3, with Jane Doe); you "
                                       "usually talk every 3 weeks; 14 exchanges since 2023.");
    r.reply_samples = 3;
    r.their_reply_days = 4;
    check(kw_words_reason(&r, AT(80)), "You wrote to Jane Doe 8 days ago (Mar 13) with no reply "
                                       "yet (you usually hear back within 4 days); last exchange "
                                       "17 days ago (Mar 3, with Jane Doe); you usually talk every "
                                       "3 weeks; 14 exchanges since 2023.");

    /* an owed reply that the rhythm finds late as well says so */
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.waiting = KW_WAITING_ON_YOU;
    r.waiting_person = person("bob@acme.com", "Bob Roe");
    r.rhythm_state = KW_STATE_OVERDUE;
    check(kw_words_reason(&r, AT(100)), "Bob Roe wrote 28 days ago (Mar 13) and has no answer "
                                        "yet; overdue too: last exchange 37 days ago (Mar 3, with "
                                        "Jane Doe); you usually talk every 3 weeks; 14 exchanges "
                                        "since 2023.");
    r.rhythm_state = KW_STATE_DUE_SOON;
    check(kw_words_reason(&r, AT(80)), "Bob Roe wrote 8 days ago (Mar 13) and has no answer "
                                       "yet; due soon too: last exchange 17 days ago (Mar 3, with "
                                       "Jane Doe); you usually talk every 3 weeks; 14 exchanges "
                                       "since 2023.");
    /* several unanswered mails: since the first, and the last */
    r.rhythm_state = KW_STATE_OVERDUE;
    r.waiting_touches = 3;
    r.waiting_last = AT(90);
    check(kw_words_reason(&r, AT(100)), "Bob Roe wrote 3 times since Mar 13 and has no answer "
                                        "yet, last 10 days ago (Mar 31); overdue too: last "
                                        "exchange 37 days ago (Mar 3, with Jane Doe); you usually "
                                        "talk every 3 weeks; 14 exchanges since 2023.");
    r.state = KW_STATE_AWAITING_THEIR_REPLY;
    r.waiting = KW_WAITING_ON_THEM;
    r.waiting_person = person("jane@acme.com", "Jane Doe");
    check(kw_words_reason(&r, AT(100)), "You wrote to Jane Doe 3 times since Mar 13 with no "
                                        "reply yet, last 10 days ago (Mar 31); overdue too: last "
                                        "exchange 37 days ago (Mar 3, with Jane Doe); you usually "
                                        "talk every 3 weeks; 14 exchanges since 2023.");
    /* only an out-of-office came back */
    r.waiting_touches = 1;
    r.waiting_last = 0;
    r.away_since = AT(72.1);
    r.away_person = person("jane@acme.com", "Jane Doe");
    check(kw_words_reason(&r, AT(80)), "You wrote to Jane Doe 8 days ago (Mar 13) with no reply "
                                       "yet; only an automatic reply came back (Mar 13, out of "
                                       "office); overdue too: last exchange 17 days ago (Mar 3, "
                                       "with Jane Doe); you usually talk every 3 weeks; 14 "
                                       "exchanges since 2023.");
    r.away_until = T0 + 80 * DAY;
    check(kw_words_reason(&r, AT(75)), "You wrote to Jane Doe 3 days ago (Mar 13) with no reply "
                                       "yet; only an automatic reply came back (Mar 13: away until "
                                       "Thu 21 Mar); overdue too: last exchange 12 days ago (Mar 3, "
                                       "with Jane Doe); you usually talk every 3 weeks; 14 "
                                       "exchanges since 2023.");
    r.away_until_is_return = 1;
    r.rhythm_state = KW_STATE_OK;
    check(kw_words_reason(&r, AT(75)), "You wrote to Jane Doe 3 days ago (Mar 13) with no reply "
                                       "yet; only an automatic reply came back (Mar 13: back on "
                                       "Thu 21 Mar); last exchange 12 days ago (Mar 3, with Jane "
                                       "Doe); you usually talk every 3 weeks; 14 exchanges since "
                                       "2023.");

    /* thin history, unknown person; then a user cadence while snoozed */
    memset(&r, 0, sizeof r);
    r.state = KW_STATE_OK;
    r.last_exchange = AT(14.0 / 24);
    r.cadence_days = 60;
    r.exchanges = 1;
    r.first_exchange = r.last_exchange;
    check(kw_words_reason(&r, AT(20)), "Last exchange 19 days ago (Jan 1, with them); too little "
                                       "history for a rhythm, so every 2 months by default; 1 "
                                       "exchange since 2024.");
    r.state = KW_STATE_SNOOZED;
    r.snoozed_until = AT(40);
    r.cadence_days = 14;
    r.cadence_source = KW_CADENCE_USER;
    check(kw_words_reason(&r, AT(20)), "Snoozed until Sat 10 Feb; last exchange 19 days ago (Jan 1, "
                                       "with them); you chose to talk every 2 weeks; 1 exchange "
                                       "since 2024.");
    r.state = KW_STATE_IGNORED;
    check(kw_words_reason(&r, AT(20)), "Ignored; last exchange 19 days ago (Jan 1, with them); you "
                                       "chose to talk every 2 weeks; 1 exchange since 2024.");

    /* they wrote, never a two-way exchange; a prospect who never wrote */
    memset(&r, 0, sizeof r);
    r.state = KW_STATE_OK;
    r.last_inbound = AT(1);
    r.cadence_days = 60;
    check(kw_words_reason(&r, AT(2)), "No two-way exchange yet, they last wrote yesterday; too "
                                      "little history for a rhythm, so every 2 months by default.");
    /* waiting for your answer since that very mail: said once */
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.waiting = KW_WAITING_ON_YOU;
    r.waiting_since = AT(1);
    r.waiting_person = person("ann@x.example", "Ann");
    check(kw_words_reason(&r, AT(5)), "Ann wrote 4 days ago (Jan 2) and has no answer yet; no "
                                      "two-way exchange yet; too little history for a rhythm, so "
                                      "every 2 months by default.");
    r.last_inbound = AT(3); /* she wrote again since */
    check(kw_words_reason(&r, AT(5)), "Ann wrote 4 days ago (Jan 2) and has no answer yet; no "
                                      "two-way exchange yet, they last wrote 2 days ago; too little "
                                      "history for a rhythm, so every 2 months by default.");
    memset(&r, 0, sizeof r);
    r.state = KW_STATE_OK;
    r.cadence_days = 60;
    check(kw_words_reason(&r, AT(2)), "They never replied (a prospect, not a customer); too little "
                                      "history for a rhythm, so every 2 months by default.");
}

static void test_cadence(void)
{
    static const struct {
        int days;
        const char *phrase;
    } cases[] = {
        { 0, "every 2 months" },   /* no cadence: the built-in default */
        { 1, "every day" },
        { 3, "every 3 days" },
        { 7, "every week" },       /* the floor of learned cadences */
        { 10, "every 10 days" },   /* under two weeks: days are clearer */
        { 13, "every 2 weeks" },
        { 14, "every 2 weeks" },
        { 21, "every 3 weeks" },   /* the example of the issue */
        { 27, "every month" },     /* within 10% of a month */
        { 30, "every month" },
        { 33, "every month" },
        { 34, "every 5 weeks" },   /* neither: weeks */
        { 45, "every 6 weeks" },   /* a month and a half: weeks, not "every month" */
        { 56, "every 2 months" },  /* within 10% of two months */
        { 60, "every 2 months" },  /* the default */
        { 91, "every 3 months" },  /* quarterly */
        { 101, "every 3 months" }, /* never "every 101 days" */
        { 183, "every 6 months" },
        { 365, "every year" },     /* the ceiling of learned cadences */
        { 730, "every 2 years" },  /* a user may set up to ten years */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%d days", cases[i].days);
        check(kw_words_cadence(cases[i].days), cases[i].phrase);
    }
}

static void test_days_and_dates(void)
{
    static const struct {
        int days;
        const char *want;
    } len[] = {
        { -3, "today" }, /* clock skew: never "-3 days" */
        { 0, "today" },
        { 1, "1 day" },  /* singular */
        { 93, "93 days" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(len); i++)
        check(kw_words_days(len[i].days), len[i].want);

    check(kw_words_ago(0, AT(10)), "never");
    check(kw_words_ago(AT(10), AT(10.9)), "today");     /* less than a day */
    check(kw_words_ago(AT(9), AT(10)), "yesterday");     /* not "1 day ago" */
    check(kw_words_ago(AT(1), AT(94)), "93 days ago");
    check(kw_words_ago(AT(11), AT(10)), "tomorrow");
    check(kw_words_ago(AT(15), AT(10)), "in 5 days");    /* a due date ahead */
    check(kw_words_ago(AT(10.5), AT(10)), "tomorrow");   /* part of a day ahead rounds up */

    check(kw_words_day(AT(62), AT(100)), "Sun 3 Mar");   /* a day to act on: its weekday */
    check(kw_words_day(AT(400), AT(100)), "Tue 4 Feb 2025");
    check(kw_words_date(AT(62), AT(100)), "Mar 3");      /* this year: no year */
    check(kw_words_date(AT(-30), AT(100)), "Dec 2, 2023");
    check(kw_words_date(0, AT(100)), "never");
}

static kw_relationship_t rel_make(const char *key, const char *name, kw_state_t state,
                                  double days_since, int cadence)
{
    kw_relationship_t r;
    memset(&r, 0, sizeof r);
    r.kind = strchr(key, '@') ? KW_TARGET_PERSON : KW_TARGET_ORG;
    r.key = (char *) key;
    r.display_name = (char *) name;
    r.state = state;
    r.last_touch = AT(100 - days_since);
    r.days_since = (int) days_since;
    r.cadence_days = cadence;
    return r;
}

static void test_hint(void)
{
    kw_relationship_t r = rel_make("acme.com", "ACME", KW_STATE_OVERDUE, 93, 21);
    check(kw_words_hint(&r, AT(100)), "ACME — last exchange 93 days ago; you usually talk every 3 weeks");
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.reason.rhythm_state = KW_STATE_OK;
    r.reason.waiting_since = AT(94);
    check(kw_words_hint(&r, AT(100)), "ACME — awaiting your reply for 6 days");
    r.reason.waiting_since = AT(99.5);
    check(kw_words_hint(&r, AT(100)), "ACME — awaiting your reply since today");
    r.state = KW_STATE_AWAITING_THEIR_REPLY;
    r.reason.waiting_since = AT(99);
    r.reason.rhythm_state = KW_STATE_OK;
    check(kw_words_hint(&r, AT(100)), "ACME — awaiting their reply for 1 day");
    /* late by the rhythm too */
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.reason.waiting_since = AT(94);
    r.reason.rhythm_state = KW_STATE_OVERDUE;
    check(kw_words_hint(&r, AT(100)), "ACME — awaiting your reply for 6 days; overdue too: last "
                                      "exchange 93 days ago");
    /* away: until a day, back on a day, past, unknown */
    r.state = KW_STATE_AWAITING_THEIR_REPLY;
    r.reason.waiting_since = AT(95);
    r.reason.away_since = AT(95.01);
    r.reason.away_person = person("jane@acme.com", "Jane Doe");
    r.reason.away_until = T0 + 104 * DAY;
    check(kw_words_hint(&r, AT(100)), "ACME — Jane Doe is away until Sun 14 Apr (automatic "
                                      "reply); your mail of Apr 5 has no answer yet");
    r.reason.away_until_is_return = 1;
    check(kw_words_hint(&r, AT(100)), "ACME — Jane Doe is away, back on Sun 14 Apr (automatic "
                                      "reply); your mail of Apr 5 has no answer yet");
    check(kw_words_hint(&r, AT(110)), "ACME — Jane Doe should be back since Sun 14 Apr (automatic "
                                      "reply); your mail of Apr 5 has no answer yet");
    r.reason.away_until = 0;
    check(kw_words_hint(&r, AT(100)), "ACME — Jane Doe is away (automatic reply); your mail of "
                                      "Apr 5 has no answer yet");
    /* your mail is recent (not yet awaiting their reply): away all the same */
    r.state = KW_STATE_OK;
    r.reason.waiting_since = 0;
    r.last_outbound = AT(98);
    check(kw_words_hint(&r, AT(100)), "ACME — Jane Doe is away (automatic reply); your mail of "
                                      "Apr 8 has no answer yet");
    r = rel_make("sam@gmail.com", "Sam", KW_STATE_OK, 0, 60);
    r.last_touch = 0;
    check(kw_words_hint(&r, AT(100)), "Sam — no two-way exchange yet");
    r.state = KW_STATE_SNOOZED;
    g_assert_null(kw_words_hint(&r, AT(100)));
    r.state = KW_STATE_IGNORED;
    g_assert_null(kw_words_hint(&r, AT(100)));
    g_assert_null(kw_words_hint(NULL, AT(100)));
}

/* The hint's one action, the same for the Claws hint bar and the Thunderbird banner. */
static void test_hint_action(void)
{
    static const struct {
        kw_state_t state;
        kw_hint_action_t action;
        const char *label;
    } cases[] = {
        { KW_STATE_OVERDUE, KW_HINT_WRITE, "Write…" },
        { KW_STATE_DUE_SOON, KW_HINT_WRITE, "Write…" },
        { KW_STATE_AWAITING_YOUR_REPLY, KW_HINT_REPLY, "Reply" },          /* to this very message */
        { KW_STATE_AWAITING_THEIR_REPLY, KW_HINT_SNOOZE_WEEK, "Snooze 1 week" },
        { KW_STATE_OK, KW_HINT_DETAILS, "Details…" },                      /* in touch: informative */
        { KW_STATE_SNOOZED, KW_HINT_NONE, NULL },                          /* no hint, no button */
        { KW_STATE_IGNORED, KW_HINT_NONE, NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_relationship_t r = rel_make("acme.com", "ACME", cases[i].state, 10, 21);
        g_assert_cmpint(kw_words_hint_action(&r), ==, cases[i].action);
        g_assert_cmpstr(kw_words_hint_action_label(cases[i].action), ==, cases[i].label);
    }
    g_assert_cmpint(kw_words_hint_action(NULL), ==, KW_HINT_NONE);
}

/* The team: a teammate's or a colleague's touch, in the reason, the hint
 * and the short form of tables and tooltips. */
static void test_team(void)
{
    kw_reason_t r = example();
    kw_person_ref_t jan = person(NULL, "Jan Weber"), tim = person("tim@mycorp.com", "Tim Roe");
    kw_relationship_t rel = rel_make("acme.com", "ACME", KW_STATE_OK, 93, 21);
    int64_t as_of = AT(62 + 14.0 / 24 + 93);

    /* ok thanks to a teammate: the teammate's touch first, then your own facts */
    r.state = KW_STATE_OK;
    r.own_state = KW_STATE_OVERDUE;
    r.team_ok = 1;
    r.team_touch = KW_TEAM_TOUCH_EXCHANGE;
    r.team_last_touch = as_of - 3 * DAY;
    r.team_member = jan;
    r.team_member_id = "jan";
    check(kw_words_reason(&r, as_of), "Jan Weber talked to them 3 days ago; your last exchange 93 "
                                      "days ago (Mar 3, with Jane Doe); you usually talk every 3 "
                                      "weeks; 14 exchanges since 2023.");
    /* no display name: the member's name on the team */
    r.team_member = person(NULL, NULL);
    r.team_touch = KW_TEAM_TOUCH_CALL;
    r.team_last_touch = as_of - 1 * DAY;
    check(kw_words_reason(&r, as_of), "jan called them yesterday; your last exchange 93 days ago "
                                      "(Mar 3, with Jane Doe); you usually talk every 3 weeks; 14 "
                                      "exchanges since 2023.");
    /* a colleague's mail with you in copy */
    r.team_member = tim;
    r.team_member_id = NULL;
    r.team_touch = KW_TEAM_TOUCH_COPIED;
    r.team_last_touch = as_of - 2 * DAY;
    check(kw_words_reason(&r, as_of), "Tim Roe wrote to them 2 days ago with you in copy; your "
                                      "last exchange 93 days ago (Mar 3, with Jane Doe); you "
                                      "usually talk every 3 weeks; 14 exchanges since 2023.");
    /* overdue, the team's touch newer than yours but beyond the rhythm: said after */
    r.state = r.own_state = KW_STATE_OVERDUE;
    r.team_ok = 0;
    r.team_touch = KW_TEAM_TOUCH_MEETING;
    r.team_last_touch = as_of - 40 * DAY;
    r.team_member = jan;
    check(kw_words_reason(&r, as_of), "Last exchange 93 days ago (Mar 3, with Jane Doe); Jan Weber "
                                      "met them 40 days ago; you usually talk every 3 weeks; 14 "
                                      "exchanges since 2023.");
    /* older than yours: not mentioned */
    r.team_last_touch = AT(10);
    check(kw_words_reason(&r, as_of), "Last exchange 93 days ago (Mar 3, with Jane Doe); you "
                                      "usually talk every 3 weeks; 14 exchanges since 2023.");

    check(kw_words_team_short(KW_TEAM_TOUCH_EXCHANGE, "Jan Weber", AT(97), AT(100)),
          "Jan Weber: exchange 3 days ago");
    check(kw_words_team_short(KW_TEAM_TOUCH_CALL, "Jan", AT(99), AT(100)), "Jan: call yesterday");
    check(kw_words_team_short(KW_TEAM_TOUCH_COPIED, "Tim Roe", AT(100), AT(100)),
          "Tim Roe: mail with you in copy today");
    check(kw_words_team_touch(KW_TEAM_TOUCH_VISIT, "Jan", AT(95), AT(100)), "Jan visited them 5 days ago");
    check(kw_words_team_touch(KW_TEAM_TOUCH_OTHER, "Jan", AT(95), AT(100)),
          "Jan was in touch with them 5 days ago");
    g_assert_cmpstr(kw_words_team_who(&jan, "jan"), ==, "Jan Weber");
    g_assert_cmpstr(kw_words_team_who(&tim, NULL), ==, "Tim Roe");
    {
        kw_person_ref_t nobody = person(NULL, NULL), addr = person("tim@mycorp.com", NULL);
        g_assert_cmpstr(kw_words_team_who(&nobody, "jan"), ==, "jan");
        g_assert_cmpstr(kw_words_team_who(&addr, NULL), ==, "tim@mycorp.com");
        g_assert_cmpstr(kw_words_team_who(&nobody, NULL), ==, "a colleague");
    }
    /* the hint above a message: what the team did */
    rel.reason.team_ok = 1;
    rel.reason.team_touch = KW_TEAM_TOUCH_EXCHANGE;
    rel.reason.team_last_touch = AT(97);
    rel.reason.team_member = jan;
    check(kw_words_hint(&rel, AT(100)), "ACME — Jan Weber talked to them 3 days ago");
}

static void test_people_and_who(void)
{
    char *one[] = { "jane@acme.com", NULL };
    char *four[] = { "jane@acme.com", "bob@acme.com", "eve@acme.com", "tom@acme.com", NULL };
    kw_relationship_t r;
    check(kw_words_people(one, 2), "jane@acme.com");
    check(kw_words_people(four, 2), "jane@acme.com, bob@acme.com +2 more");
    check(kw_words_people(four, 0), "jane@acme.com, bob@acme.com +2 more"); /* 0: the default 2 */
    check(kw_words_people(NULL, 2), "");                                    /* never NULL */

    /* the people by name, their address where none is known */
    {
        char *names[] = { "Jane Doe", "", "Eve Adams", "Tom", NULL };
        r = rel_make("acme.com", "ACME", KW_STATE_OK, 1, 30);
        r.people = four;
        r.people_names = names;
        check(kw_words_people_names(&r, 2), "Jane Doe, bob@acme.com +2 more");
        check(kw_words_people_names(&r, 4), "Jane Doe, bob@acme.com, Eve Adams, Tom");
        r.people_names = NULL;
        check(kw_words_people_names(&r, 1), "jane@acme.com +3 more");
    }
    {
        kw_target_t t = { KW_TARGET_PERSON, "jane@gmail.com", "Jane Doe" };
        check(kw_words_target(&t), "Jane Doe <jane@gmail.com>");
        t = (kw_target_t){ KW_TARGET_ORG, "acme.com", "ACME" };
        check(kw_words_target(&t), "ACME (acme.com)");
        t.display_name = NULL;
        check(kw_words_target(&t), "acme.com");
    }
    r = rel_make("jane@gmail.com", "Jane Doe", KW_STATE_OK, 1, 30);
    check(kw_words_who(&r), "Jane Doe <jane@gmail.com>");
    r = rel_make("brandt-logistik.de", "Brandt Logistik", KW_STATE_OK, 1, 30);
    check(kw_words_who(&r), "Brandt Logistik (brandt-logistik.de)");
    r.display_name = "brandt-logistik.de";
    check(kw_words_who(&r), "brandt-logistik.de");
    r.display_name = NULL;
    check(kw_words_who(&r), "brandt-logistik.de");
    for (int s = 0; s < KW_STATE_LAST; s++)
        g_assert_cmpstr(kw_words_state((kw_state_t) s), !=, "?");
    g_assert_cmpstr(kw_words_state(KW_STATE_AWAITING_YOUR_REPLY), ==, "awaiting your reply");
}

/* ---- German -------------------------------------------------------------- */

static void test_german(void)
{
    const char *build = g_getenv("KW_BUILD");
    char *dir = g_build_filename(build ? build : "build", "locale", NULL);
    char *mo = g_build_filename(dir, "de", "LC_MESSAGES", "keepwarm.mo", NULL);
    const char *dirs[] = { dir, NULL };
    kw_reason_t r = example();
    kw_relationship_t rel = rel_make("acme.com", "ACME", KW_STATE_OVERDUE, 93, 21);

    if (!g_file_test(mo, G_FILE_TEST_EXISTS)) {
        g_test_skip("keepwarm.mo not built");
        goto out;
    }
    if (!test_locale_german()) {
        g_test_skip("no de_DE.UTF-8 locale (localedef failed)");
        goto out;
    }
    kw_words_bind(dirs);
    check(kw_words_reason(&r, AT(62 + 14.0 / 24 + 93)),
          "Letzter Austausch vor 93 Tagen (3. März, mit Jane Doe); Sie haben üblicherweise "
          "alle 3 Wochen Kontakt; 14 Austausche seit 2023.");
    check(kw_words_cadence(21), "alle 3 Wochen");
    check(kw_words_cadence(7), "jede Woche");
    check(kw_words_cadence(91), "alle 3 Monate");
    check(kw_words_days(1), "1 Tag");
    check(kw_words_days(93), "93 Tage");
    check(kw_words_ago(AT(1), AT(94)), "vor 93 Tagen");
    check(kw_words_ago(AT(9), AT(10)), "gestern");
    check(kw_words_date(AT(-30), AT(100)), "2. Dezember 2023");
    g_assert_cmpstr(kw_words_state(KW_STATE_OVERDUE), ==, "überfällig");
    check(kw_words_hint(&rel, AT(100)), "ACME — letzter Austausch vor 93 Tagen; Sie haben "
                                        "üblicherweise alle 3 Wochen Kontakt");
    /* a day to act on, with its weekday: "bis Mo. 14. Dez." */
    check(kw_words_day(T0 + 348 * DAY, AT(100)), "Sa. 14. Dez");
    /* an owed reply late by the rhythm too; an out-of-office with its day */
    r.state = KW_STATE_AWAITING_YOUR_REPLY;
    r.rhythm_state = KW_STATE_OVERDUE;
    r.waiting = KW_WAITING_ON_YOU;
    r.waiting_since = AT(72);
    r.waiting_person = person("bob@acme.com", "Bob Roe");
    check(kw_words_reason(&r, AT(100)), "Bob Roe hat vor 28 Tagen (13. März) geschrieben und noch "
                                        "keine Antwort; auch überfällig: letzter Austausch vor 37 "
                                        "Tagen (3. März, mit Jane Doe); Sie haben üblicherweise alle "
                                        "3 Wochen Kontakt; 14 Austausche seit 2023.");
    rel.state = KW_STATE_AWAITING_THEIR_REPLY;
    rel.reason.waiting_since = AT(95);
    rel.reason.away_since = AT(95.01);
    rel.reason.away_person = person("jane@acme.com", "Jane Doe");
    rel.reason.away_until = T0 + 104 * DAY;
    check(kw_words_hint(&rel, AT(100)), "ACME — Jane Doe ist abwesend bis So. 14. Apr (automatische "
                                        "Antwort); Ihre Mail vom 5. April hat noch keine Antwort");
    /* the team, with plural forms (no reply awaited any more) */
    r.waiting = KW_WAITING_NONE;
    r.waiting_since = 0;
    r.rhythm_state = KW_STATE_OVERDUE;
    rel.state = KW_STATE_OVERDUE;
    rel.reason.waiting_since = 0;
    rel.reason.away_since = 0;
    rel.reason.away_until = 0;
    r.state = KW_STATE_OK;
    r.own_state = KW_STATE_OVERDUE;
    r.team_ok = 1;
    r.team_touch = KW_TEAM_TOUCH_EXCHANGE;
    r.team_last_touch = AT(62 + 14.0 / 24 + 90);
    r.team_member = person(NULL, "Jan Weber");
    check(kw_words_reason(&r, AT(62 + 14.0 / 24 + 93)),
          "Jan Weber hat vor 3 Tagen mit ihnen gesprochen; Ihr letzter Austausch vor 93 Tagen "
          "(3. März, mit Jane Doe); Sie haben üblicherweise alle 3 Wochen Kontakt; 14 Austausche "
          "seit 2023.");
    check(kw_words_team_short(KW_TEAM_TOUCH_CALL, "Jan", AT(99), AT(100)), "Jan: Anruf gestern");
    check(kw_words_team_short(KW_TEAM_TOUCH_MEETING, "Jan", AT(99), AT(100)), "Jan: Treffen gestern");
    check(kw_words_team_short(KW_TEAM_TOUCH_COPIED, "Tim", AT(99), AT(100)),
          "Tim: E-Mail (Sie in Kopie) gestern");
    check(kw_words_team_touch(KW_TEAM_TOUCH_COPIED, "Tim", AT(98), AT(100)),
          "Tim hat ihnen vor 2 Tagen geschrieben (Sie in Kopie)");
    check(kw_words_team_touch(KW_TEAM_TOUCH_CALL, "Jan", AT(99), AT(100)), "Jan hat sie gestern angerufen");
    check(kw_words_team_touch(KW_TEAM_TOUCH_MEETING, "Jan", AT(99), AT(100)), "Jan hat sie gestern getroffen");
    check(kw_words_team_touch(KW_TEAM_TOUCH_VISIT, "Jan", AT(99), AT(100)), "Jan hat sie gestern besucht");
    check(kw_words_team_touch(KW_TEAM_TOUCH_OTHER, "Jan", AT(99), AT(100)),
          "Jan hatte gestern Kontakt mit ihnen");
    {
        kw_person_ref_t nobody = person(NULL, NULL);
        g_assert_cmpstr(kw_words_team_who(&nobody, NULL), ==, "ein Kollege");
    }
    rel.reason.team_ok = 1;
    rel.reason.team_touch = KW_TEAM_TOUCH_EXCHANGE;
    rel.reason.team_last_touch = AT(99);
    rel.reason.team_member = person(NULL, "Jan Weber");
    check(kw_words_hint(&rel, AT(100)), "ACME — Jan Weber hat gestern mit ihnen gesprochen");
    g_assert_cmpstr(kw_words_hint_action_label(KW_HINT_REPLY), ==, "Antworten");
    /* Another language in the same process (the Thunderbird host, request by
     * request): kw_words_bind(NULL) forgets the remembered German words. */
    setlocale(LC_ALL, "C");
    g_assert_cmpstr(kw_words_state(KW_STATE_OVERDUE), ==, "überfällig"); /* still remembered */
    kw_words_bind(NULL);
    g_assert_cmpstr(kw_words_state(KW_STATE_OVERDUE), ==, "overdue");
    g_assert_cmpstr(kw_words_hint_action_label(KW_HINT_REPLY), ==, "Reply");
out:
    test_locale_done();
    g_free(mo);
    g_free(dir);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    g_unsetenv("LANGUAGE");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/words/reason", test_reason);
    g_test_add_func("/words/cadence", test_cadence);
    g_test_add_func("/words/days-and-dates", test_days_and_dates);
    g_test_add_func("/words/hint", test_hint);
    g_test_add_func("/words/hint-action", test_hint_action);
    g_test_add_func("/words/team", test_team);
    g_test_add_func("/words/people-and-who", test_people_and_who);
    g_test_add_func("/words/german", test_german);
    return g_test_run();
}
