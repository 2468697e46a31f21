/* autoreply.h — internal: what an automatic reply (out of office) says
 * about when its sender is back. A pure function of the subject, table-tested
 * (tests/unit/test-autoreply.c). */
#ifndef KW_AUTOREPLY_H
#define KW_AUTOREPLY_H

#include <stdint.h>

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

/* 00:00 UTC of a calendar day, or 0 when there is no such day (31.02.). */
int64_t kw_utc_day(int y, int m, int d);

#endif
