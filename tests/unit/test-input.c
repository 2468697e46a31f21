/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-input.c — rhythms, durations and days as users type them
 * (core/words/kw_input.c), English and German, one row per form. */
#include <string.h>
#include <glib.h>

#include "words/kw_input.h"

#define DAY ((int64_t) 86400)
/* "now": Monday 2024-06-03 17:19:16 UTC */
#define NOW ((int64_t) 1717435156)
#define TODAY ((int64_t) 1717372800)

static void test_cadence(void)
{
    static const struct {
        const char *text;
        kw_input_status_t st;
        int days;
    } cases[] = {
        { "30", KW_INPUT_OK, 30 },
        { " 45 ", KW_INPUT_OK, 45 },
        { "1.5", KW_INPUT_FRACTION, 0 },     /* not whole days: an error, never 1 */
        { "1,5", KW_INPUT_FRACTION, 0 },     /* the German decimal comma too */
        { "2.0", KW_INPUT_OK, 2 },           /* whole, written with a decimal */
        { "0", KW_INPUT_RANGE, 0 },
        { "-5", KW_INPUT_RANGE, 0 },
        { "3651", KW_INPUT_RANGE, 0 },       /* more than ten years */
        { "2w", KW_INPUT_OK, 14 },
        { "2 weeks", KW_INPUT_OK, 14 },
        { "2 Wochen", KW_INPUT_OK, 14 },
        { "alle 2 Wochen", KW_INPUT_OK, 14 },
        { "every 3 months", KW_INPUT_OK, 90 },
        { "3 Monate", KW_INPUT_OK, 90 },
        { "1y", KW_INPUT_OK, 365 },
        { "1.5w", KW_INPUT_FRACTION, 0 },
        { "week", KW_INPUT_OK, 7 },
        { "every week", KW_INPUT_OK, 7 },
        { "jeden Monat", KW_INPUT_OK, 30 },
        { "daily", KW_INPUT_OK, 1 },
        { "weekly", KW_INPUT_OK, 7 },
        { "Fortnightly", KW_INPUT_OK, 14 },
        { "monthly", KW_INPUT_OK, 30 },
        { "quarterly", KW_INPUT_OK, 91 },
        { "half-yearly", KW_INPUT_OK, 182 },
        { "half yearly", KW_INPUT_OK, 182 },
        { "yearly", KW_INPUT_OK, 365 },
        { "annually", KW_INPUT_OK, 365 },
        { "täglich", KW_INPUT_OK, 1 },
        { "wöchentlich", KW_INPUT_OK, 7 },
        { "vierzehntägig", KW_INPUT_OK, 14 },
        { "Monatlich", KW_INPUT_OK, 30 },
        { "vierteljährlich", KW_INPUT_OK, 91 },
        { "quartalsweise", KW_INPUT_OK, 91 },
        { "halbjährlich", KW_INPUT_OK, 182 },
        { "JÄHRLICH", KW_INPUT_OK, 365 },
        { "12h", KW_INPUT_UNKNOWN, 0 },      /* a rhythm is days at least */
        { "sometimes", KW_INPUT_UNKNOWN, 0 },
        { "2 fortnights", KW_INPUT_UNKNOWN, 0 },
        { "", KW_INPUT_UNKNOWN, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int days = -1;
        g_test_message("'%s'", cases[i].text);
        g_assert_cmpint(kw_input_cadence(cases[i].text, &days), ==, cases[i].st);
        if (cases[i].st == KW_INPUT_OK)
            g_assert_cmpint(days, ==, cases[i].days);
    }
}

static void test_duration(void)
{
    int64_t s = 0;
    g_assert_cmpint(kw_input_duration("10d", &s), ==, KW_INPUT_OK);
    g_assert_cmpint(s, ==, 10 * DAY);
    g_assert_cmpint(kw_input_duration("12h", &s), ==, KW_INPUT_OK);
    g_assert_cmpint(s, ==, 12 * 3600);
    g_assert_cmpint(kw_input_duration("3 Wochen", &s), ==, KW_INPUT_OK);
    g_assert_cmpint(s, ==, 21 * DAY);
    g_assert_cmpint(kw_input_duration("7", &s), ==, KW_INPUT_OK);
    g_assert_cmpint(s, ==, 7 * DAY);
    g_assert_cmpint(kw_input_duration("1.5w", &s), ==, KW_INPUT_FRACTION);
    g_assert_cmpint(kw_input_duration("2 lightyears", &s), ==, KW_INPUT_UNKNOWN);
}

static void test_when(void)
{
    static const struct {
        const char *text;
        kw_input_status_t st;
        int64_t want;
    } cases[] = {
        { "2026-06-30", KW_INPUT_OK, 1782777600 },
        { "30.06.2026", KW_INPUT_OK, 1782777600 },
        { "30.6.26", KW_INPUT_OK, 1782777600 },
        { "30.06.", KW_INPUT_OK, TODAY + 27 * DAY },      /* this year's, still to come */
        { "1.6.", KW_INPUT_OK, 1748736000 },              /* gone this year: next year's */
        { "3.6.", KW_INPUT_OK, 1748908800 },              /* today: next year's */
        { "31.02.2026", KW_INPUT_RANGE, 0 },
        { "2026-02-31", KW_INPUT_RANGE, 0 },
        { "2026-06-30T10:00:00Z", KW_INPUT_OK, 1782813600 },
        { "2026-06-30 10:00", KW_INPUT_OK, 1782813600 },
        { "@1800000000", KW_INPUT_OK, 1800000000 },          /* a Unix time */
        { "@", KW_INPUT_UNKNOWN, 0 },
        { "@12x", KW_INPUT_UNKNOWN, 0 },
        { "2024-03-01T12:00:00+02:00", KW_INPUT_OK, 1709287200 }, /* ISO 8601, an offset */
        { "2024-03-01x", KW_INPUT_UNKNOWN, 0 },              /* trailing garbage */
        { "2024-13-01", KW_INPUT_RANGE, 0 },
        { "now", KW_INPUT_OK, NOW },
        { "jetzt", KW_INPUT_OK, NOW },
        { "heute", KW_INPUT_OK, TODAY },
        { "2w", KW_INPUT_OK, NOW + 14 * DAY },
        { "2 Wochen", KW_INPUT_OK, NOW + 14 * DAY },
        { "in 2 weeks", KW_INPUT_OK, NOW + 14 * DAY },
        { "in 2 Wochen", KW_INPUT_OK, NOW + 14 * DAY },
        { "for 3 days", KW_INPUT_OK, NOW + 3 * DAY },
        { "für 3 Tage", KW_INPUT_OK, NOW + 3 * DAY },
        { "1.5w", KW_INPUT_FRACTION, 0 },
        { "tomorrow", KW_INPUT_OK, TODAY + DAY },
        { "Morgen", KW_INPUT_OK, TODAY + DAY },
        { "übermorgen", KW_INPUT_OK, TODAY + 2 * DAY },
        { "friday", KW_INPUT_OK, TODAY + 4 * DAY },       /* this Friday */
        { "monday", KW_INPUT_OK, TODAY + 7 * DAY },       /* today is Monday: the next one */
        { "next monday", KW_INPUT_OK, TODAY + 7 * DAY },
        { "nächsten Montag", KW_INPUT_OK, TODAY + 7 * DAY },
        { "am Mittwoch", KW_INPUT_OK, TODAY + 2 * DAY },
        { "next week", KW_INPUT_OK, TODAY + 7 * DAY },    /* its Monday */
        { "nächste Woche", KW_INPUT_OK, TODAY + 7 * DAY },
        { "next month", KW_INPUT_OK, 1719792000 },        /* 2024-07-01 */
        { "nächsten Monat", KW_INPUT_OK, 1719792000 },
        { "next year", KW_INPUT_OK, 1735689600 },         /* 2025-01-01 */
        { "someday", KW_INPUT_UNKNOWN, 0 },
        { "", KW_INPUT_UNKNOWN, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t t = -1;
        g_test_message("'%s'", cases[i].text);
        g_assert_cmpint(kw_input_when(cases[i].text, NOW, &t), ==, cases[i].st);
        if (cases[i].st == KW_INPUT_OK)
            g_assert_cmpint(t, ==, cases[i].want);
    }
}

/* The same reader, telling a named day (the routine's --as-of DATE: that
 * day as a whole) from a moment or a duration. */
static void test_when_day(void)
{
    static const char *const days[] = { "2026-06-30", "30.06.2026", "30.06.", "heute", "tomorrow",
                                        "übermorgen", "friday", "next monday", "next week",
                                        "nächsten Monat", "next year" };
    static const char *const moments[] = { "2026-06-30T10:00:00Z", "2026-06-30 10:00", "@1800000000",
                                           "now", "jetzt", "2w", "in 2 Wochen", "for 3 days" };
    for (size_t i = 0; i < G_N_ELEMENTS(days) + G_N_ELEMENTS(moments); i++) {
        int day = i < G_N_ELEMENTS(days);
        const char *text = day ? days[i] : moments[i - G_N_ELEMENTS(days)];
        int64_t t = -1, u = -2;
        int is_day = -1;
        g_test_message("'%s'", text);
        g_assert_cmpint(kw_input_when_day(text, NOW, &t, &is_day), ==, KW_INPUT_OK);
        g_assert_cmpint(is_day, ==, day);
        g_assert_cmpint(kw_input_when(text, NOW, &u), ==, KW_INPUT_OK);
        g_assert_cmpint(t, ==, u);
        if (day)
            g_assert_cmpint(t % DAY, ==, 0);
    }
    {
        int64_t t;
        int is_day = -1;
        g_assert_cmpint(kw_input_when_day("31.02.2026", NOW, &t, &is_day), ==, KW_INPUT_RANGE);
        g_assert_cmpint(is_day, ==, 0);
        g_assert_cmpint(kw_input_when_day("2026-06-30", NOW, &t, NULL), ==, KW_INPUT_OK);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/input/cadence", test_cadence);
    g_test_add_func("/input/duration", test_duration);
    g_test_add_func("/input/when", test_when);
    g_test_add_func("/input/when-day", test_when_day);
    return g_test_run();
}
