/* SPDX-License-Identifier: GPL-3.0-or-later */
/* autoreply.h — internal: what an automatic reply (out of office) says
 * about when its sender is back. A pure function of the subject, table-tested
 * (tests/unit/test-autoreply.c). */
#ifndef KW_AUTOREPLY_H
#define KW_AUTOREPLY_H

#include <stdint.h>
#include <glib.h>

/* Read the day an out-of-office subject names, in English or German, from
 * a reply sent at `sent` (UTC seconds):
 *   "Out of office until 14 June", "I am away till Monday",
 *   "Abwesend bis 14.06.2024", "bis einschließlich 3.6.", "back on June 17th",
 *   "Zurück am Montag, 17. Juni", "ab 17.6. wieder im Büro",
 *   "Urlaub 10.-14.06.", "Away 2024-06-10 - 2024-06-14".
 * Returns 1 with *day (00:00 UTC of that day) and *is_return (1: the sender
 * is back on that day; 0: away until that day, inclusive), or 0 when the
 * subject names no such day. A day without a year is the next one on or
 * after a week before `sent`; a weekday alone the next one after `sent`;
 * days more than a year after `sent` (or before it) are not believed. */
int kw_autoreply_until(const char *subject, int64_t sent, int64_t *day, int *is_return);

/* 00:00 UTC of a calendar day, or 0 when there is no such day (31.02.).
 * Inline: the wording module's reader of typed days (core/words/kw_input.c)
 * uses it too, and an installed command links the shared library, which
 * exports only the public API. */
static inline int64_t kw_utc_day(int y, int m, int d)
{
    GDateTime *dt;
    int64_t t;
    if (!g_date_valid_dmy((GDateDay) d, (GDateMonth) m, (GDateYear) y))
        return 0;
    dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
    if (!dt)
        return 0;
    t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

#endif
