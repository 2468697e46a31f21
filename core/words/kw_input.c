/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_input.c — rhythms, durations and days as users type them (kw_input.h).
 *
 * The text is trimmed, case-folded and cut into words at spaces (and
 * between a number and its unit: "2w", "3Monate"); then each reader tries
 * its forms on the words. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <glib.h>

#include "autoreply.h" /* kw_utc_day */
#include "words/kw_input.h"

#define DAY ((int64_t) 86400)
#define MAX_CADENCE_DAYS 3650


/* ---- words ----------------------------------------------------------------- */

typedef struct {
    char **w;   /* folded words */
    int    n;
} words_t;

/* Fold and split: "Alle 2 Wochen" -> alle, 2, wochen; "2w" -> 2, w;
 * "1.5w" -> 1.5, w (a number keeps its '.' and ','). */
static void words_split(const char *text, words_t *out)
{
    char *folded = g_utf8_casefold(text ? text : "", -1);
    GPtrArray *a = g_ptr_array_new();
    const char *p = folded;

    while (*p) {
        const char *q = p;
        if (g_ascii_isspace(*p)) {
            p++;
            continue;
        }
        if (g_ascii_isdigit(*p) || ((*p == '-' || *p == '+') && g_ascii_isdigit(p[1]))) {
            q++;
            while (g_ascii_isdigit(*q) || *q == '.' || *q == ',')
                q++;
        } else {
            while (*q && !g_ascii_isspace(*q) && !g_ascii_isdigit(*q))
                q = g_utf8_next_char(q);
        }
        g_ptr_array_add(a, g_strndup(p, (gsize) (q - p)));
        p = q;
    }
    out->n = (int) a->len;
    g_ptr_array_add(a, NULL);
    out->w = (char **) g_ptr_array_free(a, FALSE);
    g_free(folded);
}

static int in_list(const char *w, const char *const *list)
{
    for (; w && *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* A whole positive number ("2"), or FRACTION for "1.5"/"2,5", or UNKNOWN. */
static kw_input_status_t whole_number(const char *w, long *out)
{
    char *end = NULL;
    long v;

    if (!w || !g_ascii_isdigit(w[0]))
        return (w && (w[0] == '-' || w[0] == '+') && g_ascii_isdigit(w[1])) ? KW_INPUT_RANGE
                                                                          : KW_INPUT_UNKNOWN;
    if (strchr(w, '.') || strchr(w, ',')) {
        /* "1.0" is still one */
        char *copy = g_strdelimit(g_strdup(w), ",", '.');
        double d = g_ascii_strtod(copy, &end);
        int bad = *end != '\0';
        g_free(copy);
        if (bad)
            return KW_INPUT_UNKNOWN;
        if (d == (double) (long) d && d < 1e9) {
            *out = (long) d;
            return KW_INPUT_OK;
        }
        return KW_INPUT_FRACTION;
    }
    v = strtol(w, &end, 10);
    if (*end || v > 1000000)
        return KW_INPUT_RANGE;
    *out = v;
    return KW_INPUT_OK;
}

/* Days per unit word, or 0. Hours are given in seconds through *hours. */
static int64_t unit_seconds(const char *w)
{
    static const char *const hours[] = { "h", "hour", "hours", "hr", "hrs", "std", "stunde",
                                         "stunden", NULL };
    static const char *const days[] = { "d", "day", "days", "t", "tag", "tage", "tagen", NULL };
    static const char *const weeks[] = { "w", "wk", "wks", "week", "weeks", "wo", "woche",
                                         "wochen", NULL };
    static const char *const months[] = { "m", "mo", "mon", "month", "months", "monat", "monate",
                                          "monaten", "mt", "mte", NULL };
    static const char *const quarters[] = { "q", "quarter", "quarters", "quartal", "quartale",
                                            "quartalen", NULL };
    static const char *const years[] = { "y", "yr", "yrs", "year", "years", "j", "jahr", "jahre",
                                         "jahren", NULL };
    if (in_list(w, hours))
        return 3600;
    if (in_list(w, days))
        return DAY;
    if (in_list(w, weeks))
        return 7 * DAY;
    if (in_list(w, months))
        return 30 * DAY;
    if (in_list(w, quarters))
        return 91 * DAY;
    if (in_list(w, years))
        return 365 * DAY;
    return 0;
}

/* "N unit", "unit" (one), or "N" (days), from word i on (the rest of the
 * words must be used up). */
static kw_input_status_t number_and_unit(const words_t *t, int i, int allow_hours, int64_t *secs)
{
    long n = 1;
    int64_t unit = DAY;
    kw_input_status_t st;

    if (i >= t->n)
        return KW_INPUT_UNKNOWN;
    st = whole_number(t->w[i], &n);
    if (st == KW_INPUT_OK || st == KW_INPUT_FRACTION || st == KW_INPUT_RANGE) {
        if (i + 1 < t->n) {
            unit = unit_seconds(t->w[i + 1]);
            if (!unit || i + 2 != t->n)
                return KW_INPUT_UNKNOWN;
        } else if (i + 1 != t->n) {
            return KW_INPUT_UNKNOWN;
        }
        if (st != KW_INPUT_OK)
            return st;
    } else {
        /* "week", "a week", "one month" */
        if (in_list(t->w[i], (const char *const[]){ "a", "an", "one", "ein", "eine", "einen",
                                                    NULL }))
            i++;
        if (i + 1 != t->n || !(unit = unit_seconds(t->w[i])))
            return KW_INPUT_UNKNOWN;
    }
    if (unit == 3600 && !allow_hours)
        return KW_INPUT_UNKNOWN;
    if (n <= 0)
        return KW_INPUT_RANGE;
    *secs = (int64_t) n * unit;
    return KW_INPUT_OK;
}

static void words_free(words_t *t)
{
    g_strfreev(t->w);
}

/* ---- cadence ------------------------------------------------------------------ */

kw_input_status_t kw_input_cadence(const char *text, int *days)
{
    static const struct { const char *word; int days; } named[] = {
        { "daily", 1 }, { "täglich", 1 },
        { "weekly", 7 }, { "wöchentlich", 7 }, { "woechentlich", 7 },
        { "biweekly", 14 }, { "fortnightly", 14 }, { "zweiwöchentlich", 14 },
        { "vierzehntägig", 14 }, { "vierzehntäglich", 14 },
        { "monthly", 30 }, { "monatlich", 30 },
        { "bimonthly", 60 }, { "zweimonatlich", 60 },
        { "quarterly", 91 }, { "vierteljährlich", 91 }, { "quartalsweise", 91 },
        { "quartalsmäßig", 91 }, { "quartalsmässig", 91 },
        { "half-yearly", 182 }, { "halfyearly", 182 }, { "semiannually", 182 },
        { "semi-annually", 182 }, { "halbjährlich", 182 }, { "halbjaehrlich", 182 },
        { "yearly", 365 }, { "annually", 365 }, { "annual", 365 }, { "jährlich", 365 },
        { "jaehrlich", 365 },
    };
    static const char *const every[] = { "every", "each", "alle", "jede", "jeden", "jedes", NULL };
    words_t t;
    int64_t secs = 0;
    kw_input_status_t st = KW_INPUT_UNKNOWN;
    int i = 0;

    words_split(text, &t);
    if (t.n == 1 || (t.n == 2 && !strcmp(t.w[0], "half") && !strcmp(t.w[1], "yearly"))) {
        const char *w = t.n == 1 ? t.w[0] : "half-yearly";
        for (size_t k = 0; k < G_N_ELEMENTS(named); k++)
            if (strcmp(w, named[k].word) == 0) {
                *days = named[k].days;
                words_free(&t);
                return KW_INPUT_OK;
            }
    }
    if (t.n > 0 && in_list(t.w[0], every))
        i = 1;
    st = number_and_unit(&t, i, 0, &secs);
    words_free(&t);
    if (st != KW_INPUT_OK)
        return st;
    if (secs / DAY < 1 || secs / DAY > MAX_CADENCE_DAYS)
        return KW_INPUT_RANGE;
    *days = (int) (secs / DAY);
    return KW_INPUT_OK;
}

/* ---- duration ----------------------------------------------------------------- */

kw_input_status_t kw_input_duration(const char *text, int64_t *seconds)
{
    words_t t;
    kw_input_status_t st;

    words_split(text, &t);
    st = number_and_unit(&t, 0, 1, seconds);
    words_free(&t);
    return st;
}

/* ---- when --------------------------------------------------------------------- */

static int weekday_of(const char *w)
{
    static const struct { const char *name; int wday; } names[] = {
        { "monday", 1 }, { "mon", 1 }, { "montag", 1 }, { "mo", 1 },
        { "tuesday", 2 }, { "tue", 2 }, { "tues", 2 }, { "dienstag", 2 }, { "di", 2 },
        { "wednesday", 3 }, { "wed", 3 }, { "mittwoch", 3 }, { "mi", 3 },
        { "thursday", 4 }, { "thu", 4 }, { "thurs", 4 }, { "donnerstag", 4 }, { "do", 4 },
        { "friday", 5 }, { "fri", 5 }, { "freitag", 5 }, { "fr", 5 },
        { "saturday", 6 }, { "sat", 6 }, { "samstag", 6 }, { "sonnabend", 6 }, { "sa", 6 },
        { "sunday", 7 }, { "sun", 7 }, { "sonntag", 7 }, { "so", 7 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (strcmp(w, names[i].name) == 0)
            return names[i].wday;
    return 0;
}

/* "30.06.2026", "30.6.26", "30.06.", "30.6" (the next one to come); 0 when
 * it is not of that form, -1 when it is but names no day (31.02.). */
static int64_t dotted_day(const char *text, int64_t today, int year)
{
    int d = 0, m = 0, y = 0, n = 0;
    char tail[2] = "";
    int64_t t;

    if (sscanf(text, "%2d.%2d.%4d%1s%n", &d, &m, &y, tail, &n) == 3 && !tail[0]) {
        if (y < 100)
            y += 2000;
        t = kw_utc_day(y, m, d);
        return t ? t : -1;
    }
    n = 0;
    tail[0] = '\0';
    if ((sscanf(text, "%2d.%2d.%n", &d, &m, &n) == 2 && n > 0 && text[n] == '\0') ||
        (sscanf(text, "%2d.%2d%n", &d, &m, &n) == 2 && n > 0 && text[n] == '\0')) {
        t = kw_utc_day(year, m, d);
        if (t && t <= today)
            t = kw_utc_day(year + 1, m, d);
        return t ? t : -1;
    }
    return 0;
}

kw_input_status_t kw_input_when(const char *text, int64_t now, int64_t *out)
{
    return kw_input_when_day(text, now, out, NULL);
}

kw_input_status_t kw_input_when_day(const char *text, int64_t now, int64_t *out, int *is_day)
{
    static const char *const next[] = { "next", "nächsten", "nächster", "nächste", "nächstes",
                                        "naechsten", "naechster", "naechste", "kommenden",
                                        "kommender", "kommende", "this", "on", "am", "coming",
                                        NULL };
    char *trimmed = g_strstrip(g_strdup(text ? text : ""));
    int64_t today = now - ((now % DAY) + DAY) % DAY, secs = 0;
    GDateTime *dt = g_date_time_new_from_unix_utc(today);
    int year = g_date_time_get_year(dt), month = g_date_time_get_month(dt);
    int wday_today = g_date_time_get_day_of_week(dt);
    kw_input_status_t st = KW_INPUT_UNKNOWN;
    words_t t = { NULL, 0 };
    int y, mo, d, h, mi, n = 0, day_named = 0;
    char tail[2] = "";

    g_date_time_unref(dt);
    *out = 0;
    if (!*trimmed)
        goto done;
    /* moments and ISO days */
    if (trimmed[0] == '@') {
        char *end;
        long long v = g_ascii_strtoll(trimmed + 1, &end, 10);
        if (!*end && end != trimmed + 1 && g_ascii_isdigit(trimmed[1])) {
            *out = v;
            st = KW_INPUT_OK;
        }
        goto done;
    }
    if (sscanf(trimmed, "%4d-%2d-%2d%1s", &y, &mo, &d, tail) == 3 && !tail[0]) {
        day_named = 1;
        *out = kw_utc_day(y, mo, d);
        st = *out ? KW_INPUT_OK : KW_INPUT_RANGE;
        goto done;
    }
    if (sscanf(trimmed, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && !trimmed[n]) {
        int64_t day = kw_utc_day(y, mo, d);
        if (day && h >= 0 && h < 24 && mi >= 0 && mi < 60) {
            *out = day + h * 3600 + mi * 60;
            st = KW_INPUT_OK;
        } else {
            st = KW_INPUT_RANGE;
        }
        goto done;
    }
    {
        GTimeZone *utc = g_time_zone_new_utc();
        GDateTime *iso = g_date_time_new_from_iso8601(trimmed, utc);
        g_time_zone_unref(utc);
        if (iso) {
            *out = g_date_time_to_unix(iso);
            g_date_time_unref(iso);
            st = KW_INPUT_OK;
            goto done;
        }
    }
    if (g_ascii_isdigit(trimmed[0]) && strchr(trimmed, '.') && !strchr(trimmed, ' ')) {
        int64_t day = dotted_day(trimmed, today, year);
        if (day) {
            day_named = 1;
            *out = day > 0 ? day : 0;
            st = day > 0 ? KW_INPUT_OK : KW_INPUT_RANGE;
            goto done;
        }
    }

    words_split(trimmed, &t);
    day_named = 1; /* every form below but "now" and a duration names a day */
    if (t.n == 1 && in_list(t.w[0], (const char *const[]){ "now", "jetzt", NULL })) {
        *out = now;
        st = KW_INPUT_OK;
        day_named = 0;
    } else if (t.n == 1 && in_list(t.w[0], (const char *const[]){ "today", "heute", NULL })) {
        *out = today;
        st = KW_INPUT_OK;
    } else if (t.n == 1 && in_list(t.w[0], (const char *const[]){ "tomorrow", "morgen", NULL })) {
        *out = today + DAY;
        st = KW_INPUT_OK;
    } else if (t.n == 1 && in_list(t.w[0], (const char *const[]){ "übermorgen", "uebermorgen",
                                                                   NULL })) {
        *out = today + 2 * DAY;
        st = KW_INPUT_OK;
    } else if ((t.n == 1 && weekday_of(t.w[0])) ||
               (t.n == 2 && in_list(t.w[0], next) && weekday_of(t.w[1]))) {
        int wd = weekday_of(t.w[t.n - 1]), ahead = (wd - wday_today + 7) % 7;
        *out = today + (int64_t) (ahead ? ahead : 7) * DAY;
        st = KW_INPUT_OK;
    } else if (t.n == 2 && in_list(t.w[0], next) && unit_seconds(t.w[1]) == 7 * DAY) {
        *out = today + (int64_t) (8 - wday_today) * DAY; /* next week's Monday */
        st = KW_INPUT_OK;
    } else if (t.n == 2 && in_list(t.w[0], next) && unit_seconds(t.w[1]) == 30 * DAY) {
        *out = month == 12 ? kw_utc_day(year + 1, 1, 1) : kw_utc_day(year, month + 1, 1);
        st = KW_INPUT_OK;
    } else if (t.n == 2 && in_list(t.w[0], next) && unit_seconds(t.w[1]) == 365 * DAY) {
        *out = kw_utc_day(year + 1, 1, 1);
        st = KW_INPUT_OK;
    } else {
        /* a duration: "2w", "in 2 weeks", "for 3 days", "in 2 Wochen", "für 3 Tage" */
        int i = t.n > 1 && in_list(t.w[0], (const char *const[]){ "in", "for", "für", "fuer",
                                                                   NULL }) ? 1 : 0;
        st = number_and_unit(&t, i, 1, &secs);
        if (st == KW_INPUT_OK)
            *out = now + secs;
        day_named = 0;
    }
    words_free(&t);
done:
    g_free(trimmed);
    if (is_day)
        *is_day = st == KW_INPUT_OK && day_named;
    return st;
}
