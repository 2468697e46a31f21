/* SPDX-License-Identifier: GPL-3.0-or-later */
/* autoreply.c — the day an out-of-office subject names (see autoreply.h).
 *
 * The subject is case-folded and cut into tokens (numbers, words, the
 * separators . / - ,). A day is looked for after a marker ("until", "bis",
 * "back on", "zurück am", ...) or at the end of a range ("10.-14.06.",
 * "vom 10. bis 14. Juni", "2024-06-10 - 2024-06-14"); a lone date without a
 * marker says nothing about being away and is not used. */
#include <string.h>
#include <glib.h>

#include "autoreply.h"

#define DAY ((int64_t) 86400)
#define MAX_TOKENS 64

typedef enum { TOK_NUM, TOK_WORD, TOK_SEP } tok_kind_t;

typedef struct {
    tok_kind_t kind;
    int        num;     /* TOK_NUM: value */
    int        digits;  /* TOK_NUM: how many digits */
    char       sep;     /* TOK_SEP: '.', '/', '-', ',', ':' */
    char      *word;    /* TOK_WORD: case-folded */
} tok_t;

typedef struct {
    tok_t  t[MAX_TOKENS];
    int    n;
    int    year;        /* of `sent` */
    int64_t sent;
} scan_t;

/* ---- words ------------------------------------------------------------------ */

static const struct { const char *name; int month; } months[] = {
    { "january", 1 }, { "jan", 1 }, { "januar", 1 }, { "jänner", 1 },
    { "february", 2 }, { "feb", 2 }, { "februar", 2 },
    { "march", 3 }, { "mar", 3 }, { "märz", 3 }, { "maerz", 3 }, { "mär", 3 }, { "mrz", 3 },
    { "april", 4 }, { "apr", 4 },
    { "may", 5 }, { "mai", 5 },
    { "june", 6 }, { "jun", 6 }, { "juni", 6 },
    { "july", 7 }, { "jul", 7 }, { "juli", 7 },
    { "august", 8 }, { "aug", 8 },
    { "september", 9 }, { "sep", 9 }, { "sept", 9 },
    { "october", 10 }, { "oct", 10 }, { "oktober", 10 }, { "okt", 10 },
    { "november", 11 }, { "nov", 11 },
    { "december", 12 }, { "dec", 12 }, { "dezember", 12 }, { "dez", 12 },
};

/* 1 = Monday ... 7 = Sunday (GDateWeekday) */
static const struct { const char *name; int wday; } weekdays[] = {
    { "monday", 1 }, { "mon", 1 }, { "montag", 1 }, { "mo", 1 },
    { "tuesday", 2 }, { "tue", 2 }, { "tues", 2 }, { "dienstag", 2 }, { "di", 2 },
    { "wednesday", 3 }, { "wed", 3 }, { "mittwoch", 3 }, { "mi", 3 },
    { "thursday", 4 }, { "thu", 4 }, { "thur", 4 }, { "thurs", 4 }, { "donnerstag", 4 }, { "do", 4 },
    { "friday", 5 }, { "fri", 5 }, { "freitag", 5 }, { "fr", 5 },
    { "saturday", 6 }, { "sat", 6 }, { "samstag", 6 }, { "sonnabend", 6 }, { "sa", 6 },
    { "sunday", 7 }, { "sun", 7 }, { "sonntag", 7 }, { "so", 7 },
};

/* "away until": the day named is the last one away */
static const char *const until_words[] = { "until", "till", "til", "through", "thru", "bis", NULL };
/* "back on": the day named is the first one back */
static const char *const return_words[] = { "back", "returning", "return", "returns", "zurück",
                                            "zurueck", "wieder", NULL };
/* between a marker and its day */
static const char *const filler_words[] = {
    "on", "the", "and", "including", "incl", "inclusive", "at", "in", "office", "from", "after",
    "am", "zum", "dem", "den", "einschliesslich", /* ß folds to ss */ "einschl", "inkl", "inklusive", "ab", "im",
    "büro", "buero", "office", "st", "nd", "rd", "th", NULL,
};
static const char *const tomorrow_words[] = { "tomorrow", "morgen", NULL };

static int in_words(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

static int month_of(const char *w)
{
    for (size_t i = 0; i < G_N_ELEMENTS(months); i++)
        if (strcmp(w, months[i].name) == 0)
            return months[i].month;
    return 0;
}

static int weekday_of(const char *w)
{
    for (size_t i = 0; i < G_N_ELEMENTS(weekdays); i++)
        if (strcmp(w, weekdays[i].name) == 0)
            return weekdays[i].wday;
    return 0;
}

/* ---- tokens ------------------------------------------------------------------ */

static void tokenize(scan_t *s, const char *subject)
{
    char *folded = g_utf8_casefold(subject, -1);
    const char *p = folded;

    while (*p && s->n < MAX_TOKENS) {
        gunichar c = g_utf8_get_char(p);
        tok_t *t = &s->t[s->n];
        if (c >= '0' && c <= '9') {
            const char *q = p;
            long v = 0;
            while (*q >= '0' && *q <= '9' && q - p < 6)
                v = v * 10 + (*q++ - '0');
            while (*q >= '0' && *q <= '9')
                q++;
            t->kind = TOK_NUM;
            t->num = (int) v;
            t->digits = (int) (q - p);
            s->n++;
            p = q;
        } else if (g_unichar_isalpha(c)) {
            const char *q = p;
            while (*q && g_unichar_isalpha(g_utf8_get_char(q)))
                q = g_utf8_next_char(q);
            t->kind = TOK_WORD;
            t->word = g_strndup(p, (gsize) (q - p));
            s->n++;
            p = q;
        } else {
            char sep = 0;
            if (c == '.' || c == '/' || c == ',' || c == ':')
                sep = (char) c;
            else if (c == '-' || c == 0x2013 || c == 0x2014) /* hyphen, en and em dash */
                sep = '-';
            if (sep) {
                t->kind = TOK_SEP;
                t->sep = sep;
                s->n++;
            }
            p = g_utf8_next_char(p);
        }
    }
    g_free(folded);
}

static void scan_clear(scan_t *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->t[i].kind == TOK_WORD)
            g_free(s->t[i].word);
}

static int is_sep(const scan_t *s, int i, char sep)
{
    return i < s->n && s->t[i].kind == TOK_SEP && s->t[i].sep == sep;
}

static int is_num(const scan_t *s, int i)
{
    return i < s->n && s->t[i].kind == TOK_NUM;
}

static const char *word_at(const scan_t *s, int i)
{
    return i < s->n && s->t[i].kind == TOK_WORD ? s->t[i].word : NULL;
}

/* ---- days ------------------------------------------------------------------- */

typedef struct {
    int y, m, d;      /* y 0: not given */
    int wday;         /* a weekday alone (1..7) */
    int tomorrow;
} when_t;

/* The day a parsed `when` means for a reply sent at s->sent, or 0. */
static int64_t resolve_when(const scan_t *s, const when_t *w)
{
    int64_t sent_day = s->sent - ((s->sent % DAY) + DAY) % DAY, t;

    if (w->tomorrow)
        return sent_day + DAY;
    if (w->wday) {
        GDateTime *dt = g_date_time_new_from_unix_utc(sent_day);
        int today = dt ? g_date_time_get_day_of_week(dt) : 1;
        int ahead = (w->wday - today + 7) % 7;
        if (dt)
            g_date_time_unref(dt);
        return sent_day + (int64_t) (ahead ? ahead : 7) * DAY;
    }
    if (w->y) {
        int y = w->y < 100 ? 2000 + w->y : w->y;
        return kw_utc_day(y, w->m, w->d);
    }
    /* no year: the next such day on or after a week before the reply */
    t = kw_utc_day(s->year, w->m, w->d);
    if (t && t < sent_day - 7 * DAY)
        t = kw_utc_day(s->year + 1, w->m, w->d);
    return t;
}

static int valid_dm(int d, int m)
{
    return d >= 1 && d <= 31 && m >= 1 && m <= 12;
}

static int skip_ordinal(const scan_t *s, int i)
{
    const char *w = word_at(s, i);
    if (w && (!strcmp(w, "st") || !strcmp(w, "nd") || !strcmp(w, "rd") || !strcmp(w, "th")))
        return i + 1;
    if (is_sep(s, i, '.'))
        return i + 1;
    return i;
}

/* An optional year after a day and month: a number of 4 digits (or 2 after
 * a dot). Returns the next index. */
static int year_after(const scan_t *s, int i, int *y, int allow_short)
{
    int j = i;
    if (is_sep(s, j, ',') || is_sep(s, j, '.'))
        j++;
    if (is_num(s, j) && (s->t[j].digits == 4 || (allow_short && s->t[j].digits == 2))) {
        *y = s->t[j].num;
        return j + 1;
    }
    return i;
}

/* Parse a day at token i. Returns the index after it, or -1. */
static int parse_day(const scan_t *s, int i, when_t *w)
{
    const char *word;

    memset(w, 0, sizeof *w);
    if (i >= s->n)
        return -1;
    word = word_at(s, i);
    if (word && in_words(word, tomorrow_words)) {
        w->tomorrow = 1;
        return i + 1;
    }
    if (word && weekday_of(word)) {
        /* "Monday, 17 June" names the date; "Monday" alone the next one */
        int j = i + 1, k;
        if (is_sep(s, j, ',') || is_sep(s, j, '.'))
            j++;
        if ((k = parse_day(s, j, w)) > 0 && !w->wday && !w->tomorrow)
            return k;
        memset(w, 0, sizeof *w);
        w->wday = weekday_of(word);
        return i + 1;
    }
    if (word && month_of(word)) {
        /* "June 17", "June 17th, 2024" */
        int j = i + 1;
        if (is_sep(s, j, '.'))
            j++;
        if (is_num(s, j) && s->t[j].digits <= 2 && valid_dm(s->t[j].num, month_of(word))) {
            w->m = month_of(word);
            w->d = s->t[j].num;
            j = skip_ordinal(s, j + 1);
            return year_after(s, j, &w->y, 0);
        }
        return -1;
    }
    if (!is_num(s, i))
        return -1;
    /* 2024-06-14 */
    if (s->t[i].digits == 4 && is_sep(s, i + 1, '-') && is_num(s, i + 2) && is_sep(s, i + 3, '-') &&
        is_num(s, i + 4) && valid_dm(s->t[i + 4].num, s->t[i + 2].num)) {
        w->y = s->t[i].num;
        w->m = s->t[i + 2].num;
        w->d = s->t[i + 4].num;
        return i + 5;
    }
    if (s->t[i].digits > 2)
        return -1;
    /* 14.06.2024, 14.6., 14.06 */
    if (is_sep(s, i + 1, '.') && is_num(s, i + 2) && s->t[i + 2].digits <= 2 &&
        valid_dm(s->t[i].num, s->t[i + 2].num)) {
        w->d = s->t[i].num;
        w->m = s->t[i + 2].num;
        if (is_sep(s, i + 3, '.') && is_num(s, i + 4) &&
            (s->t[i + 4].digits == 4 || s->t[i + 4].digits == 2)) {
            w->y = s->t[i + 4].num;
            return i + 5;
        }
        return is_sep(s, i + 3, '.') ? i + 4 : i + 3;
    }
    /* 14/06/2024, 6/14 (the larger number is the day; else day first) */
    if (is_sep(s, i + 1, '/') && is_num(s, i + 2) && s->t[i + 2].digits <= 2) {
        int a = s->t[i].num, b = s->t[i + 2].num, j = i + 3;
        if (valid_dm(a, b)) {
            w->d = a;
            w->m = b;
        } else if (valid_dm(b, a)) {
            w->d = b;
            w->m = a;
        } else {
            return -1;
        }
        if (is_sep(s, j, '/') && is_num(s, j + 1) &&
            (s->t[j + 1].digits == 4 || s->t[j + 1].digits == 2)) {
            w->y = s->t[j + 1].num;
            j += 2;
        }
        return j;
    }
    /* 14 June, 14th June 2024, 14. Juni */
    {
        int j = skip_ordinal(s, i + 1);
        const char *mw = word_at(s, j);
        if (mw && month_of(mw) && valid_dm(s->t[i].num, month_of(mw))) {
            w->d = s->t[i].num;
            w->m = month_of(mw);
            j++;
            if (is_sep(s, j, '.'))
                j++;
            return year_after(s, j, &w->y, 0);
        }
    }
    return -1;
}

/* A range ending at i.. : "10.-14.06.", "10 - 14 June", "10. bis 14. Juni",
 * "2024-06-10 - 2024-06-14", "June 10 - June 14": the day after the dash. */
static int range_end(const scan_t *s, int i, when_t *w)
{
    int j = i;
    const char *word = word_at(s, j);

    if (is_sep(s, j, '-'))
        j++;
    else if (word && (!strcmp(word, "bis") || !strcmp(word, "to") || !strcmp(word, "until") ||
                      !strcmp(word, "till")))
        j++;
    else
        return -1;
    return parse_day(s, j, w);
}

/* Skip filler words and commas after a marker. */
static int skip_fillers(const scan_t *s, int i)
{
    while (i < s->n) {
        const char *w = word_at(s, i);
        if (w && in_words(w, filler_words))
            i++;
        else if (is_sep(s, i, ',') || is_sep(s, i, ':'))
            i++;
        else
            break;
    }
    return i;
}

int kw_autoreply_until(const char *subject, int64_t sent, int64_t *day, int *is_return)
{
    scan_t s;
    GDateTime *dt;
    int found = 0, back = 0;
    when_t w, end;
    int64_t t = 0;

    if (!subject || !*subject || sent <= 0)
        return 0;
    memset(&s, 0, sizeof s);
    s.sent = sent;
    dt = g_date_time_new_from_unix_utc(sent);
    s.year = dt ? g_date_time_get_year(dt) : 2000;
    if (dt)
        g_date_time_unref(dt);
    tokenize(&s, subject);

    for (int i = 0; i < s.n && !found; i++) {
        const char *word = word_at(&s, i);
        int j, k;

        if (word && (in_words(word, until_words) || in_words(word, return_words))) {
            back = in_words(word, return_words);
            j = skip_fillers(&s, i + 1);
            if ((k = parse_day(&s, j, &w)) < 0)
                continue;
            /* "ab 10.6. bis 14.6.", "back 10 - 14 June" is still a range */
            if (range_end(&s, k, &end) > 0) {
                w = end;
                back = 0;
            }
            found = 1;
        } else if (word && !strcmp(word, "ab")) {
            /* "ab 17.6. wieder da" (back), "ab 10.6. bis 14.6." (range) */
            j = skip_fillers(&s, i + 1);
            if ((k = parse_day(&s, j, &w)) < 0)
                continue;
            if (range_end(&s, k, &end) > 0) {
                w = end;
                back = 0;
                found = 1;
            } else {
                for (int m = 0; m < s.n && !found; m++)
                    if (word_at(&s, m) && in_words(word_at(&s, m), return_words))
                        found = back = 1;
            }
        } else if (is_num(&s, i) && s.t[i].digits <= 4) {
            /* a range without a marker: "Urlaub 10.-14.06.", "Away 10 - 14 June" */
            int d = s.t[i].num;
            j = i + 1;
            if (parse_day(&s, i, &w) > 0) {
                k = parse_day(&s, i, &w);
                if (range_end(&s, k, &end) > 0) {
                    w = end;
                    back = 0;
                    found = 1;
                }
            } else if (d >= 1 && d <= 31 && s.t[i].digits <= 2) {
                if (is_sep(&s, j, '.'))
                    j++;
                if (range_end(&s, j, &end) > 0 && !end.wday && !end.tomorrow && end.d >= d) {
                    w = end;
                    back = 0;
                    found = 1;
                }
            }
        }
    }
    if (found)
        t = resolve_when(&s, &w);
    scan_clear(&s);
    /* believable: at most a week before the reply's day (a responder left
     * on a little too long), at most a year after it */
    if (!found || t <= 0 || t < sent - sent % DAY - 7 * DAY || t > sent + 366 * DAY)
        return 0;
    *day = t;
    *is_return = back;
    return 1;
}
