/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relationship.c — the pure relationship model (core/relationship.c):
 * touches, exchanges, cadence, states, ranking and reasons over plain data.
 * Times are written in days from T0 (2024-01-01 00:00 UTC). */
#include <string.h>
#include <glib.h>

#include "header_parse.h"
#include "relationship.h"

#define T0 ((int64_t) 1704067200) /* 2024-01-01T00:00:00Z */
#define DAY KW_REL_DAY
#define AT(d) (T0 + (int64_t) ((double) (d) * (double) DAY + ((d) >= 0 ? 0.5 : -0.5)))

/* An event in days: 'i' they wrote, 'o' you wrote. */
typedef struct {
    double   day;
    char     dir;
    unsigned flags;
    int      rcpt;
    int      person;
} ev_spec_t;

#define END_SPEC { .day = -1e9 }
/* they wrote / you wrote on a day, optionally with flags or recipients */
#define IN(d) { .day = (d), .dir = 'i' }
#define OUT(d) { .day = (d), .dir = 'o' }
#define INF(d, f) { .day = (d), .dir = 'i', .flags = (f) }
#define OUTR(d, r) { .day = (d), .dir = 'o', .rcpt = (r) }
/* a call (a two-way touch logged by the user) */
#define CALL(d) { .day = (d), .dir = 'b' }

static kw_rel_event_t *make_events(const ev_spec_t *spec, size_t *n_out)
{
    size_t n = 0, i;
    kw_rel_event_t *ev;
    while (spec[n].dir)
        n++;
    ev = g_new0(kw_rel_event_t, n ? n : 1);
    for (i = 0; i < n; i++) {
        ev[i].time = AT(spec[i].day);
        ev[i].direction = spec[i].dir == 'i' ? KW_DIR_IN : spec[i].dir == 'b' ? KW_DIR_BOTH : KW_DIR_OUT;
        ev[i].source = spec[i].dir == 'b' ? KW_SOURCE_CALL : KW_SOURCE_MAIL;
        ev[i].flags = spec[i].flags;
        ev[i].n_recipients = spec[i].rcpt ? spec[i].rcpt : 1;
        ev[i].person = spec[i].person;
    }
    *n_out = n;
    return ev;
}

/* A regular two-way history: on each of `count` days (start, start+every, ...)
 * they write at 10:00 and you answer at 14:00. Appends to `a`. */
static void add_exchanges(GArray *a, double start, double every, int count, int person)
{
    for (int k = 0; k < count; k++) {
        kw_rel_event_t in = { AT(start + k * every + 10.0 / 24), KW_DIR_IN, 0, 1, person, KW_SOURCE_MAIL, NULL };
        kw_rel_event_t out = { AT(start + k * every + 14.0 / 24), KW_DIR_OUT, 0, 1, person, KW_SOURCE_MAIL, NULL };
        g_array_append_val(a, in);
        g_array_append_val(a, out);
    }
}

static int cmp_ev(gconstpointer a, gconstpointer b)
{
    const kw_rel_event_t *x = a, *y = b;
    return (x->time > y->time) - (x->time < y->time);
}

static void analyze_array(GArray *a, double as_of_day, const kw_rel_settings_t *set,
                          kw_rel_summary_t *sum)
{
    kw_rel_settings_t none = { 0 };
    g_array_sort(a, cmp_ev);
    kw_rel_analyze((const kw_rel_event_t *) (void *) a->data, a->len, AT(as_of_day),
                   set ? set : &none, sum);
}

/* ------------------------------------------------------------------------ */

static void test_event_counts(void)
{
    static const struct {
        const char *what;
        kw_rel_event_t e;
        int counts;
    } cases[] = {
        /* a plain personal mail is a touch */
        { "plain inbound", { T0, KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL }, 1 },
        { "plain outbound", { T0, KW_DIR_OUT, 0, 3, 0, KW_SOURCE_MAIL, NULL }, 1 },
        /* list, bulk, auto-submitted, out-of-office and bounces are noise */
        { "list", { T0, KW_DIR_IN, KW_MSG_LIST, 1, 0, KW_SOURCE_MAIL, NULL }, 0 },
        { "bulk", { T0, KW_DIR_IN, KW_MSG_BULK, 1, 0, KW_SOURCE_MAIL, NULL }, 0 },
        { "auto-submitted", { T0, KW_DIR_IN, KW_MSG_AUTO, 1, 0, KW_SOURCE_MAIL, NULL }, 0 },
        { "out-of-office", { T0, KW_DIR_IN, KW_MSG_AUTOREPLY, 1, 0, KW_SOURCE_MAIL, NULL }, 0 },
        { "bounce", { T0, KW_DIR_IN, KW_MSG_BOUNCE, 1, 0, KW_SOURCE_MAIL, NULL }, 0 },
        /* flags that only describe parsing quality do not make noise */
        { "date fallback", { T0, KW_DIR_IN, KW_MSG_DATE_FALLBACK, 1, 0, KW_SOURCE_MAIL, NULL }, 1 },
        /* exactly 20 recipients is still a personal mail; 21 is a broadcast */
        { "20 recipients", { T0, KW_DIR_OUT, 0, 20, 0, KW_SOURCE_MAIL, NULL }, 1 },
        { "21 recipients (broadcast)", { T0, KW_DIR_OUT, 0, 21, 0, KW_SOURCE_MAIL, NULL }, 0 },
        { "inbound broadcast", { T0, KW_DIR_IN, 0, 300, 0, KW_SOURCE_MAIL, NULL }, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("case: %s", cases[i].what);
        g_assert_cmpint(kw_rel_event_counts(&cases[i].e), ==, cases[i].counts);
    }
}

static void test_touches(void)
{
    static const struct {
        const char *what;
        ev_spec_t   ev[8];
        int         touches, exchanges;
        int         last_exchange_touch; /* index of the touch closing the last exchange, -1 */
    } cases[] = {
        /* they wrote and you answered the same afternoon: one two-way touch */
        { "same day back-and-forth", { IN(0.4), OUT(0.6), END_SPEC }, 1, 1, 0 },
        /* a quick overnight thread across midnight stays one touch */
        { "overnight thread", { OUT(0.9), IN(1.2), OUT(1.5), END_SPEC }, 1, 1, 0 },
        /* five mails in one day from you: one touch, one-way, no exchange */
        { "burst of your mails", { OUT(0.1), OUT(0.2), OUT(0.3), OUT(0.4),
                                   OUT(0.5), END_SPEC }, 1, 0, -1 },
        /* answered five days later: two touches, the second closes an exchange */
        { "answer within the window", { IN(0), OUT(5), END_SPEC }, 2, 1, 1 },
        /* answered after 20 days: too late to count as an exchange */
        { "answer after the window", { IN(0), OUT(20), END_SPEC }, 2, 0, -1 },
        /* a daily thread for a week: the span cap splits it, the touches still
         * form exchanges */
        { "daily thread splits", { IN(0), OUT(1), IN(2), OUT(3), IN(4),
                                   OUT(5), IN(6), END_SPEC }, 2, 2, 1 },
        /* your mail answered only by an out-of-office: no exchange */
        { "auto-reply is not an answer", { OUT(0), INF(0.01, KW_MSG_AUTOREPLY),
                                           END_SPEC }, 1, 0, -1 },
        /* a broadcast you sent, then their personal answer: one touch, theirs */
        { "broadcast is not a touch", { OUTR(0, 40), IN(2), END_SPEC }, 1, 0, -1 },
        /* your unanswered mails never pair with each other */
        { "two unanswered mails", { OUT(0), OUT(10), END_SPEC }, 2, 0, -1 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        size_t n, nt, ex = 0;
        int last = -1;
        kw_rel_event_t *ev = make_events(cases[i].ev, &n);
        kw_rel_touch_t *t = g_new0(kw_rel_touch_t, n);
        g_test_message("case: %s", cases[i].what);
        nt = kw_rel_touches(ev, n, AT(1000), t);
        for (size_t k = 0; k < nt; k++)
            if (t[k].exchange) {
                ex++;
                last = (int) k;
            }
        g_assert_cmpint((int) nt, ==, cases[i].touches);
        g_assert_cmpint((int) ex, ==, cases[i].exchanges);
        g_assert_cmpint(last, ==, cases[i].last_exchange_touch);
        g_free(t);
        g_free(ev);
    }
}

static void test_cadence(void)
{
    static const struct {
        const char *what;
        double      days[24]; /* exchange days, ascending, terminated by -1 */
        int         default_days;
        int         expect;
        kw_cadence_source_t source;
    } cases[] = {
        /* a steady three-weekly rhythm */
        { "steady 21 days", { 0, 21, 42, 63, 84, 105, 126, -1 }, 0, 21, KW_CADENCE_LEARNED },
        /* bursts (three exchanges on consecutive days, monthly): the bursts
         * are one conversation, the rhythm is the month */
        { "monthly bursts", { 0, 1, 2, 30, 31, 32, 60, 61, 62, 90, 91, 92, -1 }, 0, 28,
          KW_CADENCE_LEARNED },
        /* one long silence among monthly exchanges does not move the median */
        { "one long gap", { 0, 30, 60, 90, 290, 320, 350, -1 }, 0, 30, KW_CADENCE_LEARNED },
        /* two exchanges: one gap is no rhythm -> default */
        { "thin: 2 exchanges", { 0, 30, -1 }, 0, KW_REL_DEFAULT_CADENCE_DAYS, KW_CADENCE_DEFAULT },
        /* three exchanges (two gaps): still too thin */
        { "thin: 3 exchanges", { 0, 30, 60, -1 }, 0, KW_REL_DEFAULT_CADENCE_DAYS,
          KW_CADENCE_DEFAULT },
        /* the configured default replaces 60 */
        { "thin, default 45", { 0, -1 }, 45, 45, KW_CADENCE_DEFAULT },
        /* four exchanges (three gaps): enough */
        { "4 exchanges", { 0, 30, 60, 90, -1 }, 0, 30, KW_CADENCE_LEARNED },
        /* only bursts (gaps under 4 days): no rhythm at all -> default */
        { "bursts only", { 0, 1, 2, 3, 4, 5, -1 }, 0, KW_REL_DEFAULT_CADENCE_DAYS,
          KW_CADENCE_DEFAULT },
        /* five-day gaps are learned but bounded to a week */
        { "lower bound", { 0, 5, 10, 15, 20, -1 }, 0, KW_REL_CADENCE_MIN_DAYS,
          KW_CADENCE_LEARNED },
        /* 500-day gaps are bounded to a year */
        { "upper bound", { 0, 500, 1000, 1500, -1 }, 0, KW_REL_CADENCE_MAX_DAYS,
          KW_CADENCE_LEARNED },
        /* old weekly habits (more than two years before the last exchange)
         * are forgotten; the recent quarterly rhythm counts */
        { "two-year window", { 0, 10, 20, 30, 40, 50, 400, 491, 582, 673, 764, 855, 946, 1037,
                               1128, -1 }, 0, 91, KW_CADENCE_LEARNED },
        /* sparse recent history: the last three gaps are used even if older */
        { "at least 3 gaps", { 0, 200, 400, 1200, -1 }, 0, 200, KW_CADENCE_LEARNED },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t t[24];
        size_t n = 0;
        kw_cadence_source_t src;
        int got;
        while (cases[i].days[n] >= 0 && n < 24) {
            t[n] = AT(cases[i].days[n]);
            n++;
        }
        g_test_message("case: %s", cases[i].what);
        got = kw_rel_learn_cadence(t, n, cases[i].default_days, &src);
        g_assert_cmpint(got, ==, cases[i].expect);
        g_assert_cmpint(src, ==, cases[i].source);
    }
}

static void test_user_cadence_wins(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_settings_t set = { .user_cadence_days = 10 };
    kw_rel_summary_t sum;

    /* a learned monthly rhythm, 20 days silent: ok by itself ... */
    add_exchanges(a, 0, 30, 10, 0);
    analyze_array(a, 270 + 20, NULL, &sum);
    g_assert_cmpint(sum.cadence_days, ==, 30);
    g_assert_cmpint(sum.state, ==, KW_STATE_OK);
    /* ... but the user asked for every 10 days: overdue (10 + 3 grace < 20) */
    analyze_array(a, 270 + 20, &set, &sum);
    g_assert_cmpint(sum.cadence_days, ==, 10);
    g_assert_cmpint(sum.cadence_source, ==, KW_CADENCE_USER);
    g_assert_cmpint(sum.state, ==, KW_STATE_OVERDUE);
    /* a user cadence wins over thin history too */
    g_array_set_size(a, 0);
    add_exchanges(a, 0, 30, 1, 0);
    set.user_cadence_days = 200;
    analyze_array(a, 100, &set, &sum);
    g_assert_cmpint(sum.cadence_days, ==, 200);
    g_assert_cmpint(sum.state, ==, KW_STATE_OK);
    g_array_free(a, TRUE);
}

static void test_state_boundaries(void)
{
    /* Cadence 30 days: grace 7 (30/4), lead 6 (30/5). Last exchange at T0. */
    static const struct {
        const char *what;
        double      as_of;        /* days after T0 */
        kw_waiting_t unanswered;
        double      unanswered_at;
        int         ignored;
        double      snoozed;      /* days, 0 none */
        kw_state_t  expect;
    } cases[] = {
        { "fresh", 1, 0, 0, 0, 0, KW_STATE_OK },
        /* due soon starts at cadence - lead = 24 days */
        { "just before due-soon", 23.99, 0, 0, 0, 0, KW_STATE_OK },
        { "due-soon starts", 24, 0, 0, 0, 0, KW_STATE_DUE_SOON },
        /* past the due date but within the grace: still due-soon */
        { "end of grace", 37, 0, 0, 0, 0, KW_STATE_DUE_SOON },
        /* one second beyond cadence + grace: overdue */
        { "overdue", 37 + 1.0 / 86400, 0, 0, 0, 0, KW_STATE_OVERDUE },
        /* they wrote two days ago: give it time, and they are alive: ok */
        { "they wrote 2 days ago", 30, KW_WAITING_ON_YOU, 28, 0, 0, KW_STATE_OK },
        /* three days without your answer: awaiting your reply */
        { "they wrote 3 days ago", 31, KW_WAITING_ON_YOU, 28, 0, 0,
          KW_STATE_AWAITING_YOUR_REPLY },
        /* awaiting your reply wins over overdue ... */
        { "unanswered 40 days", 80, KW_WAITING_ON_YOU, 40, 0, 0, KW_STATE_AWAITING_YOUR_REPLY },
        /* ... and an owed reply is never forgotten, however old */
        { "unanswered 46 days", 100, KW_WAITING_ON_YOU, 54, 0, 0, KW_STATE_AWAITING_YOUR_REPLY },
        { "unanswered a year", 400, KW_WAITING_ON_YOU, 35, 0, 0, KW_STATE_AWAITING_YOUR_REPLY },
        /* nor is your unanswered offer */
        { "your offer unanswered 200 days", 240, KW_WAITING_ON_THEM, 40, 0, 0,
          KW_STATE_AWAITING_THEIR_REPLY },
        /* you wrote 7 days ago (their reply time 7): not yet awaiting */
        { "you wrote 7 days ago", 20, KW_WAITING_ON_THEM, 13, 0, 0, KW_STATE_OK },
        { "you wrote 7 days + 1 s ago", 20 + 1.0 / 86400, KW_WAITING_ON_THEM, 13, 0, 0,
          KW_STATE_AWAITING_THEIR_REPLY },
        /* your unanswered follow-up does not reset the clock: overdue first,
         * awaiting their reply once their reply time has passed */
        { "follow-up just sent", 60, KW_WAITING_ON_THEM, 59, 0, 0, KW_STATE_OVERDUE },
        { "follow-up unanswered", 68, KW_WAITING_ON_THEM, 59, 0, 0,
          KW_STATE_AWAITING_THEIR_REPLY },
        /* snoozed until tomorrow hides even an overdue relationship */
        { "snoozed", 100, 0, 0, 0, 101, KW_STATE_SNOOZED },
        /* the snooze ends exactly at its time */
        { "snooze over", 100, 0, 0, 0, 100, KW_STATE_OVERDUE },
        /* ignored beats everything */
        { "ignored", 31, KW_WAITING_ON_YOU, 28, 1, 200, KW_STATE_IGNORED },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_rel_summary_t s;
        memset(&s, 0, sizeof s);
        s.cadence_days = 30;
        s.cadence_source = KW_CADENCE_LEARNED;
        s.first_exchange = AT(-300);
        s.last_exchange = T0;
        s.exchanges = 10;
        s.their_reply_days = 7;
        s.unanswered = cases[i].unanswered;
        s.unanswered_since = cases[i].unanswered ? AT(cases[i].unanswered_at) : 0;
        s.unanswered_last = s.unanswered_since;
        s.ignored = cases[i].ignored;
        s.snoozed_until = cases[i].snoozed > 0 ? AT(cases[i].snoozed) : 0;
        g_test_message("case: %s", cases[i].what);
        g_assert_cmpstr(kw_state_to_string(kw_rel_state(&s, AT(cases[i].as_of))), ==,
                        kw_state_to_string(cases[i].expect));
    }
}

static void test_unanswered_detection(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sum;
    kw_rel_event_t e;

    /* monthly customer; then they write on day 300 and you never answer */
    add_exchanges(a, 0, 30, 10, 0);
    e = (kw_rel_event_t){ AT(300), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 307, NULL, &sum);
    g_assert_cmpint(sum.unanswered, ==, KW_WAITING_ON_YOU);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_YOUR_REPLY);

    /* their mail that answers yours is not "awaiting your reply": they had
     * the last word in a finished exchange */
    g_array_set_size(a, 0);
    add_exchanges(a, 0, 30, 10, 0);
    e = (kw_rel_event_t){ AT(295), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    e = (kw_rel_event_t){ AT(298), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 305, NULL, &sum);
    g_assert_cmpint(sum.unanswered, ==, KW_WAITING_NONE);
    g_assert_cmpint(sum.state, ==, KW_STATE_OK);

    /* a proposal sent a month ago, only an out-of-office came back */
    g_array_set_size(a, 0);
    add_exchanges(a, 0, 30, 10, 0);
    e = (kw_rel_event_t){ AT(290), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    e = (kw_rel_event_t){ AT(290.01), KW_DIR_IN, KW_MSG_AUTOREPLY | KW_MSG_AUTO, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 320, NULL, &sum);
    g_assert_cmpint(sum.unanswered, ==, KW_WAITING_ON_THEM);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_THEIR_REPLY);
    g_assert_cmpint(sum.exchanges, ==, 10); /* the auto-reply made no exchange */

    /* their usual response time is learned: they answer within hours, so
     * after 3 days (the floor) without an answer you are awaiting theirs */
    g_array_set_size(a, 0);
    for (int k = 0; k < 10; k++) {
        kw_rel_event_t o = { AT(k * 30 + 0.40), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
        kw_rel_event_t in = { AT(k * 30 + 0.45), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
        g_array_append_val(a, o);
        g_array_append_val(a, in);
    }
    e = (kw_rel_event_t){ AT(300), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 303.5, NULL, &sum);
    g_assert_cmpint(sum.their_reply_days, ==, KW_REL_THEIR_REPLY_MIN_DAYS);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_THEIR_REPLY);
    g_array_free(a, TRUE);
}

static void test_org_rollup(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    GArray *old_only = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sum;

    /* Bob (person 0) was the contact for a year, then left; Carol (person 1)
     * took over a month later and talks every 30 days. */
    add_exchanges(a, 0, 30, 11, 0);
    add_exchanges(old_only, 0, 30, 11, 0);
    add_exchanges(a, 330, 30, 12, 1);
    /* Bob alone is long overdue ... */
    analyze_array(old_only, 700, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_OVERDUE);
    /* ... but the organisation is fine: somebody there is in touch */
    analyze_array(a, 680, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_OK);
    g_assert_cmpint(sum.cadence_days, ==, 30); /* learned from both people */
    g_assert_cmpint(sum.last_exchange_person, ==, 1);
    g_assert_cmpint(sum.exchanges, ==, 23);
    /* and overdue only when nobody has been in touch */
    analyze_array(a, 680 + 200, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_OVERDUE);
    g_array_free(a, TRUE);
    g_array_free(old_only, TRUE);
}

static void test_noise_not_touches(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sum;

    /* an old exchange, then months of your broadcasts and their
     * out-of-office replies: nothing resets the clock */
    add_exchanges(a, 0, 30, 5, 0);
    for (int k = 0; k < 6; k++) {
        kw_rel_event_t b = { AT(150 + k * 20), KW_DIR_OUT, 0, 80, 0, KW_SOURCE_MAIL, NULL };
        kw_rel_event_t ooo = { AT(150 + k * 20 + 0.01), KW_DIR_IN, KW_MSG_AUTOREPLY, 1, 0, KW_SOURCE_MAIL, NULL };
        g_array_append_val(a, b);
        g_array_append_val(a, ooo);
    }
    analyze_array(a, 300, NULL, &sum);
    g_assert_cmpint(sum.exchanges, ==, 5);
    g_assert_cmpint(sum.touches, ==, 5);
    g_assert_cmpint(sum.inbound, ==, 5);
    g_assert_cmpint(sum.outbound, ==, 5);
    g_assert_cmpint(sum.last_exchange, ==, AT(120 + 14.0 / 24));
    g_assert_cmpint(sum.state, ==, KW_STATE_OVERDUE);
    g_array_free(a, TRUE);
}

static void test_ranking(void)
{
    GArray *deep = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    GArray *shallow = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    GArray *waiting = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sd, ss, sw, sn;
    kw_rel_settings_t snooze = { .snoozed_until = AT(10000) };
    kw_rel_event_t e;

    /* deep: three years of monthly exchanges, now 2x overdue (60 days) */
    add_exchanges(deep, 0, 30, 37, 0);
    analyze_array(deep, 36 * 30 + 60, NULL, &sd);
    /* shallow: four exchanges, now 3x its cadence (90 days) */
    add_exchanges(shallow, 36 * 30 + 60 - 90 - 90, 30, 4, 0);
    analyze_array(shallow, 36 * 30 + 60, NULL, &ss);
    g_assert_cmpint(sd.state, ==, KW_STATE_OVERDUE);
    g_assert_cmpint(ss.state, ==, KW_STATE_OVERDUE);
    g_assert_cmpint(ss.days_since, >, sd.days_since);
    /* the valuable relationship ranks first although it is less late */
    g_assert_cmpfloat(sd.score, >, ss.score);

    /* the same deep relationship, but they wrote 5 days ago and wait for you:
     * ranks above the 2x overdue one */
    add_exchanges(waiting, 0, 30, 37, 0);
    e = (kw_rel_event_t){ AT(36 * 30 + 55), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(waiting, e);
    analyze_array(waiting, 36 * 30 + 60, NULL, &sw);
    g_assert_cmpint(sw.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    g_assert_cmpfloat(sw.score, >, sd.score);

    /* snoozed relationships score 0 */
    analyze_array(deep, 36 * 30 + 60, &snooze, &sn);
    g_assert_cmpint(sn.state, ==, KW_STATE_SNOOZED);
    g_assert_cmpfloat(sn.score, ==, 0.0);

    /* more overdue ranks higher for the same depth */
    {
        kw_rel_summary_t later;
        analyze_array(deep, 36 * 30 + 120, NULL, &later);
        g_assert_cmpfloat(later.score, >, sd.score);
    }
    g_array_free(deep, TRUE);
    g_array_free(shallow, TRUE);
    g_array_free(waiting, TRUE);
}

/* The history part is what the store keeps: analysing all events equals
 * judging the history again for any later as_of, with any settings. */
static void test_history_then_judge(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_settings_t sets[] = { { 0 }, { .user_cadence_days = 14 }, { .default_cadence_days = 90 },
                                 { .snoozed_until = AT(500), .ignored = 0 }, { .ignored = 1 } };
    kw_rel_event_t e;
    add_exchanges(a, 0, 21, 14, 0);
    e = (kw_rel_event_t){ AT(300), KW_DIR_IN, 0, 1, 1, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    g_array_sort(a, cmp_ev);
    for (size_t k = 0; k < G_N_ELEMENTS(sets); k++) {
        for (double day = 301; day < 700; day += 37) {
            kw_rel_summary_t whole, kept;
            kw_rel_analyze((const kw_rel_event_t *) (void *) a->data, a->len, AT(day), &sets[k], &whole);
            /* kept: the history as of "forever", judged as of `day` */
            kw_rel_history((const kw_rel_event_t *) (void *) a->data, a->len, INT64_MAX, &kept);
            kw_rel_judge(&kept, &sets[k], AT(day));
            g_assert_cmpmem(&whole, sizeof whole, &kept, sizeof kept);
        }
    }
    g_array_free(a, TRUE);
}

static void test_state_names(void)
{
    for (int s = 0; s < KW_STATE_LAST; s++) {
        kw_state_t back;
        g_assert_cmpint(kw_state_from_string(kw_state_to_string((kw_state_t) s), &back), ==, KW_OK);
        g_assert_cmpint(back, ==, s);
    }
    g_assert_cmpint(kw_state_from_string("cold", NULL), ==, KW_ERR_USAGE);
    /* the status names parse back too (a progress event's "status") */
    for (int st = 0; st < KW_STATUS_LAST; st++) {
        kw_status_t back = KW_STATUS_LAST;
        g_assert_cmpint(kw_status_from_string(kw_status_to_string((kw_status_t) st), &back), ==, KW_OK);
        g_assert_cmpint(back, ==, st);
    }
    g_assert_cmpint(kw_status_from_string("unknown", NULL), ==, KW_ERR_USAGE);
    g_assert_cmpint(kw_status_from_string(NULL, NULL), ==, KW_ERR_USAGE);
    g_assert_cmpstr(kw_state_to_string(KW_STATE_AWAITING_YOUR_REPLY), ==, "awaiting-your-reply");
}


/* An owed reply stays until it is answered, whatever the rhythm says, and
 * tells how late the relationship is besides; "no answer needed" ends it
 * until new mail comes. */
static void test_owed_reply_never_forgotten(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sum;
    kw_rel_settings_t settled = { 0 };
    kw_rel_event_t e;

    /* fortnightly customer; a question on day 200, three weeks after the
     * last exchange; as of day 270 */
    add_exchanges(a, 0, 14, 14, 0);  /* last exchange on day 182 */
    e = (kw_rel_event_t){ AT(200), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 270, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    g_assert_cmpint(sum.rhythm_state, ==, KW_STATE_OVERDUE);
    g_assert_cmpint(sum.waiting, ==, KW_WAITING_ON_YOU);
    g_assert_cmpint(sum.waiting_since, ==, AT(200));
    g_assert_cmpint(sum.unanswered_touches, ==, 1);

    /* they asked again on day 230: two unanswered mails since day 200 */
    e = (kw_rel_event_t){ AT(230), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 270, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    g_assert_cmpint(sum.unanswered_touches, ==, 2);
    g_assert_cmpint(sum.unanswered_since, ==, AT(200));
    g_assert_cmpint(sum.unanswered_last, ==, AT(230));

    /* the user says no answer is needed (day 240): the rhythm decides */
    settled.settled_until = AT(240);
    analyze_array(a, 270, &settled, &sum);
    g_assert_cmpint(sum.waiting, ==, KW_WAITING_NONE);
    g_assert_cmpint(sum.state, ==, KW_STATE_OVERDUE);
    /* ... until they write again (day 250): waiting since then */
    e = (kw_rel_event_t){ AT(250), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 270, &settled, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
    g_assert_cmpint(sum.waiting_since, ==, AT(250));

    /* answered: the exchange resets the clock */
    e = (kw_rel_event_t){ AT(250.5), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 252, NULL, &sum);
    g_assert_cmpint(sum.waiting, ==, KW_WAITING_NONE);
    g_assert_cmpint(sum.state, ==, KW_STATE_OK);
    g_array_free(a, TRUE);
}

/* Only an automatic reply came back to your mail: away since then; a
 * genuine mail after it ends that. */
static void test_away(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
    kw_rel_summary_t sum;
    kw_rel_event_t e;

    add_exchanges(a, 0, 30, 10, 0);
    e = (kw_rel_event_t){ AT(300), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    e = (kw_rel_event_t){ AT(300.01), KW_DIR_IN, KW_MSG_AUTOREPLY | KW_MSG_AUTO, 1, 0,
                          KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 320, NULL, &sum);
    g_assert_cmpint(sum.state, ==, KW_STATE_AWAITING_THEIR_REPLY);
    g_assert_cmpint(sum.last_autoreply, ==, AT(300.01));
    g_assert_cmpint(sum.last_autoreply_person, ==, 0);
    g_assert_cmpint(sum.away_since, ==, AT(300.01));
    /* an auto-reply before your last mail says nothing about now */
    e = (kw_rel_event_t){ AT(310), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 320, NULL, &sum);
    g_assert_cmpint(sum.away_since, ==, 0);
    /* a call after the automatic reply: they are not away any more */
    e = (kw_rel_event_t){ AT(310.01), KW_DIR_IN, KW_MSG_AUTOREPLY | KW_MSG_AUTO, 1, 0,
                          KW_SOURCE_MAIL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 320, NULL, &sum);
    g_assert_cmpint(sum.away_since, ==, AT(310.01));
    e = (kw_rel_event_t){ AT(312), KW_DIR_BOTH, 0, 1, 0, KW_SOURCE_CALL, NULL };
    g_array_append_val(a, e);
    analyze_array(a, 320, NULL, &sum);
    g_assert_cmpint(sum.away_since, ==, 0);
    g_array_free(a, TRUE);
}

/* Calls, meetings, visits (KW_DIR_BOTH): a touch both ways on their own. */
static void test_two_way_touches(void)
{
    kw_rel_summary_t s;
    kw_rel_settings_t none = { 0 };
    size_t n;

    {
        /* a call alone makes an exchange; the mail counts and last times stay mail's */
        static const ev_spec_t spec[] = { IN(0), OUT(0.2), CALL(40), END_SPEC };
        kw_rel_event_t *ev = make_events(spec, &n);
        kw_rel_analyze(ev, n, AT(41), &none, &s);
        g_assert_cmpint(s.exchanges, ==, 2);
        g_assert_cmpint(s.last_exchange, ==, AT(40));
        g_assert_cmpint(s.last_exchange_source, ==, KW_SOURCE_CALL);
        g_assert_cmpint(s.inbound, ==, 1);
        g_assert_cmpint(s.outbound, ==, 1);
        g_assert_cmpint(s.last_in, ==, AT(0));
        g_assert_cmpint(s.last_out, ==, AT(0.2));
        g_assert_cmpint(s.unanswered, ==, KW_WAITING_NONE);
        g_assert_cmpint(s.state, ==, KW_STATE_OK);
        g_free(ev);
    }
    {
        /* they wrote, you called two days later: the question is answered */
        static const ev_spec_t spec[] = { IN(0), OUT(0.2), IN(50), CALL(52), END_SPEC };
        kw_rel_event_t *ev = make_events(spec, &n);
        kw_rel_analyze(ev, n, AT(60), &none, &s);
        g_assert_cmpint(s.unanswered, ==, KW_WAITING_NONE);
        g_assert_cmpint(s.state, ==, KW_STATE_OK);
        g_assert_cmpint(s.last_exchange, ==, AT(52));
        kw_rel_analyze(ev, n - 1, AT(60), &none, &s); /* without the call: owed */
        g_assert_cmpint(s.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
        g_free(ev);
    }
    {
        /* a call in a day of mail: one touch, the call is what it was */
        static const ev_spec_t spec[] = { IN(10), CALL(10.1), OUT(10.3), END_SPEC };
        kw_rel_event_t *ev = make_events(spec, &n);
        kw_rel_analyze(ev, n, AT(11), &none, &s);
        g_assert_cmpint(s.touches, ==, 1);
        g_assert_cmpint(s.exchanges, ==, 1);
        g_assert_cmpint(s.last_exchange_source, ==, KW_SOURCE_CALL);
        g_free(ev);
    }
    {
        /* the rhythm is learned from calls like from mail: monthly */
        GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
        for (int k = 0; k < 8; k++) {
            kw_rel_event_t call = { AT(30.0 * k), KW_DIR_BOTH, 0, 1, 0, KW_SOURCE_MEETING, NULL };
            g_array_append_val(a, call);
        }
        analyze_array(a, 215, NULL, &s);
        g_assert_cmpint(s.cadence_source, ==, KW_CADENCE_LEARNED);
        g_assert_cmpint(s.cadence_days, ==, 30);
        g_assert_cmpint(s.last_exchange_source, ==, KW_SOURCE_MEETING);
        g_assert_cmpint(s.inbound + s.outbound, ==, 0);
        g_array_free(a, TRUE);
    }
    {
        /* noise flags make a logged touch noise too (never set by the store, but the rule holds) */
        kw_rel_event_t e = { AT(1), KW_DIR_BOTH, KW_MSG_LIST, 1, 0, KW_SOURCE_CALL, NULL };
        g_assert_false(kw_rel_event_counts(&e));
        e.flags = 0;
        g_assert_true(kw_rel_event_counts(&e));
    }
}

/* A planned touch (a meeting in a calendar) keeps the relationship in
 * touch until it passes; an owed reply stays owed. */
static void test_planned_touch(void)
{
    kw_rel_summary_t s;
    kw_rel_settings_t plan = { .planned_touch = AT(200), .planned_source = KW_SOURCE_MEETING };
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));

    add_exchanges(a, 0, 14, 6, 0);          /* every two weeks until day 70 */
    analyze_array(a, 150, NULL, &s);
    g_assert_cmpint(s.state, ==, KW_STATE_OVERDUE);
    analyze_array(a, 150, &plan, &s);
    g_assert_cmpint(s.state, ==, KW_STATE_OK);
    g_assert_cmpint(s.planned_touch, ==, AT(200));
    g_assert_cmpint(s.planned_source, ==, KW_SOURCE_MEETING);
    analyze_array(a, 201, &plan, &s);       /* it has passed: judged as before */
    g_assert_cmpint(s.state, ==, KW_STATE_OVERDUE);
    g_assert_cmpint(s.planned_touch, ==, 0);
    {
        kw_rel_event_t q = { AT(140), KW_DIR_IN, 0, 1, 0, KW_SOURCE_MAIL, NULL };
        g_array_append_val(a, q);           /* a question of theirs, unanswered */
        analyze_array(a, 150, &plan, &s);
        g_assert_cmpint(s.state, ==, KW_STATE_AWAITING_YOUR_REPLY);
        g_assert_cmpint(s.rhythm_state, ==, KW_STATE_OK); /* the meeting: not "overdue too" */
        analyze_array(a, 150, NULL, &s);
        g_assert_cmpint(s.rhythm_state, ==, KW_STATE_OVERDUE);
    }
    {
        /* your mail with no answer yet: a planned meeting is the answer to wait for */
        GArray *b = g_array_new(FALSE, FALSE, sizeof(kw_rel_event_t));
        kw_rel_event_t o = { AT(141), KW_DIR_OUT, 0, 1, 0, KW_SOURCE_MAIL, NULL };
        add_exchanges(b, 0, 14, 6, 0);
        g_array_append_val(b, o);
        analyze_array(b, 160, NULL, &s);
        g_assert_cmpint(s.state, ==, KW_STATE_AWAITING_THEIR_REPLY);
        analyze_array(b, 160, &plan, &s);
        g_assert_cmpint(s.state, ==, KW_STATE_OK);
        g_array_free(b, TRUE);
    }
    g_array_free(a, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/relationship/event-counts", test_event_counts);
    g_test_add_func("/relationship/touches", test_touches);
    g_test_add_func("/relationship/cadence", test_cadence);
    g_test_add_func("/relationship/user-cadence-wins", test_user_cadence_wins);
    g_test_add_func("/relationship/state-boundaries", test_state_boundaries);
    g_test_add_func("/relationship/unanswered", test_unanswered_detection);
    g_test_add_func("/relationship/org-rollup", test_org_rollup);
    g_test_add_func("/relationship/noise-not-touches", test_noise_not_touches);
    g_test_add_func("/relationship/ranking", test_ranking);
    g_test_add_func("/relationship/history-then-judge", test_history_then_judge);
    g_test_add_func("/relationship/state-names", test_state_names);
    g_test_add_func("/relationship/owed-reply-never-forgotten", test_owed_reply_never_forgotten);
    g_test_add_func("/relationship/away", test_away);
    g_test_add_func("/relationship/two-way-touches", test_two_way_touches);
    g_test_add_func("/relationship/planned-touch", test_planned_touch);
    return g_test_run();
}
