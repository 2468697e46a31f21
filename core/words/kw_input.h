/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_input.h — what a user types, read: rhythms, durations and days, in
 * English and German whatever the locale (a German seller may type
 * "monthly", an English one "2 Wochen" from a colleague's note).
 *
 * Part of the wording module's archive (linked by the command and the
 * plugin, not by the library). Pure functions: `now` is passed in; days are
 * calendar days in UTC like everything else keepwarm shows.
 * Thread-safe.
 */
#ifndef KW_INPUT_H
#define KW_INPUT_H

#include <stdint.h>

typedef enum {
    KW_INPUT_OK = 0,
    KW_INPUT_UNKNOWN = -1,  /* not a form this reader knows */
    KW_INPUT_FRACTION = -2, /* a number that is not whole ("1.5", "2,5 weeks") */
    KW_INPUT_RANGE = -3     /* a form it knows, but zero, negative or too large */
} kw_input_status_t;

/* How often, in whole days: "30", "2w", "2 weeks", "2 Wochen", "every 3
 * months", "alle 3 Monate", "daily", "weekly", "fortnightly", "monthly",
 * "quarterly", "half-yearly", "yearly" and the German words (täglich,
 * wöchentlich, vierzehntägig, monatlich, vierteljährlich, quartalsweise,
 * halbjährlich, jährlich). A month is 30 days, a quarter 91, a year 365.
 * *days: 1..3650 on success. */
kw_input_status_t kw_input_cadence(const char *text, int *days);

/* How long: "10d", "2w", "2 weeks", "2 Wochen", "3 months", "1y", "12h", a
 * plain number of days. *seconds > 0 on success. */
kw_input_status_t kw_input_duration(const char *text, int64_t *seconds);

/* When, seen from `now`: "now"/"jetzt"; a day ("2026-06-30", "30.06.2026", "30.6." — the
 * next one to come —, "tomorrow"/"morgen", "monday"/"Montag", "next
 * monday"/"nächsten Montag", "next week"/"nächste Woche" (its Monday), "next
 * month"/"nächsten Monat" (its first day)) gives 00:00 UTC of that day; a
 * moment ("2026-06-30T10:00:00Z", "2026-06-30 10:00", "@1700000000") that
 * moment; a duration ("2w", "in 2 weeks", "in 2 Wochen", "for 3 days")
 * `now` plus it. Past results are returned as they are (the caller
 * decides). */
kw_input_status_t kw_input_when(const char *text, int64_t now, int64_t *out);

/* kw_input_when, and *is_day (may be NULL): 1 when TEXT named a calendar
 * day (a date, today, tomorrow, a weekday, next week/month/year: *out is
 * 00:00 UTC of it), 0 for a moment or a duration. */
kw_input_status_t kw_input_when_day(const char *text, int64_t now, int64_t *out, int *is_day);

#endif
