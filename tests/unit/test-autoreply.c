/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-autoreply.c — the day an out-of-office subject names
 * (core/autoreply.c), one row per form, in English and German. */
#include <string.h>
#include <glib.h>

#include "autoreply.h"

/* Replies are sent on Monday 2024-06-03 at 12:00 UTC. */
#define SENT ((int64_t) 1717416000)

static int64_t day(int y, int m, int d)
{
    GDateTime *dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
    int64_t t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

static void test_forms(void)
{
    static const struct {
        const char *subject;
        int y, m, d;     /* 0: no day */
        int back;
    } cases[] = {
        /* English "until": the last day away */
        { "Out of Office until 14 June", 2024, 6, 14, 0 },
        { "Out of office: until June 14th", 2024, 6, 14, 0 },
        { "Automatic reply: I am away until Friday, 14 June 2024", 2024, 6, 14, 0 },
        { "Out of the office till 14/06/2024", 2024, 6, 14, 0 },
        { "OOO until 6/14", 2024, 6, 14, 0 },               /* month first: 14 is no month */
        { "Away until 2024-06-14", 2024, 6, 14, 0 },
        { "Out of office through Jun 14", 2024, 6, 14, 0 },
        { "Away until Friday", 2024, 6, 7, 0 },             /* the next Friday after Monday */
        { "Away until Monday", 2024, 6, 10, 0 },            /* sent on a Monday: next week's */
        { "Away until tomorrow", 2024, 6, 4, 0 },
        /* English "back on": the first day back */
        { "Automatic reply: back on June 17", 2024, 6, 17, 1 },
        { "Out of office - back on Monday 17th June", 2024, 6, 17, 1 },
        { "Returning on 17.06.2024", 2024, 6, 17, 1 },
        /* German "bis": the last day away */
        { "Abwesend bis 14.06.2024", 2024, 6, 14, 0 },
        { "Abwesenheitsnotiz: bis einschließlich 14.6.", 2024, 6, 14, 0 },
        { "Automatische Antwort: Ich bin bis zum 14. Juni nicht im Büro", 2024, 6, 14, 0 },
        { "Urlaub bis Freitag", 2024, 6, 7, 0 },
        { "Abwesend bis 14.06.24", 2024, 6, 14, 0 },
        /* German "zurück am", "ab ... wieder": the first day back */
        { "Zurück am Montag, 17. Juni", 2024, 6, 17, 1 },
        { "Ab 17.6. wieder im Büro", 2024, 6, 17, 1 },
        { "Abwesend - wieder erreichbar ab dem 17.06.", 2024, 6, 17, 1 },
        /* ranges: the last day of the range */
        { "Urlaub 10.-14.06.", 2024, 6, 14, 0 },
        { "Away 10 - 14 June", 2024, 6, 14, 0 },
        { "Abwesend vom 10. bis 14. Juni", 2024, 6, 14, 0 },
        { "Abwesend ab 10.6. bis 14.6.", 2024, 6, 14, 0 },
        { "Away 2024-06-10 – 2024-06-14", 2024, 6, 14, 0 },  /* an en dash */
        /* a day without a year early in the next year */
        { "Out of office until 3 January", 2025, 1, 3, 0 },
        /* a day a few days before the reply is this year's (sent late) */
        { "Abwesend bis 31.5.", 2024, 5, 31, 0 },
        /* nothing to read */
        { "Out of office", 0, 0, 0, 0 },
        { "Automatic reply: Checking in", 0, 0, 0, 0 },
        { "Out of office: Order 14 of 2024", 0, 0, 0, 0 },   /* numbers, no day */
        { "Re: Meeting on 14 June", 0, 0, 0, 0 },            /* a date, but no marker */
        { "Away until 31 February", 0, 0, 0, 0 },            /* no such day */
        { "Abwesend bis 14.06.2027", 0, 0, 0, 0 },           /* more than a year ahead */
        { "Away until 2024-05-20", 0, 0, 0, 0 },             /* two weeks before the reply */
        { "Away until 2023-06-14", 0, 0, 0, 0 },             /* in the past */
        { "", 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t t = 0;
        int back = -1;
        int got = kw_autoreply_until(cases[i].subject, SENT, &t, &back);
        g_test_message("subject: %s", cases[i].subject);
        if (!cases[i].y) {
            g_assert_cmpint(got, ==, 0);
            continue;
        }
        g_assert_cmpint(got, ==, 1);
        g_assert_cmpint(t, ==, day(cases[i].y, cases[i].m, cases[i].d));
        g_assert_cmpint(back, ==, cases[i].back);
    }
    g_assert_cmpint(kw_autoreply_until(NULL, SENT, NULL, NULL), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/autoreply/forms", test_forms);
    return g_test_run();
}
