/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relationship.c — the relationship model as pure functions (see
 * relationship.h for the vocabulary and the reasons behind each constant). */
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "header_parse.h"
#include "relationship.h"

int kw_rel_event_counts(const kw_rel_event_t *event)
{
    if (event->flags & KW_REL_NOISE_FLAGS)
        return 0;
    if (event->n_recipients > KW_REL_BROADCAST_RECIPIENTS)
        return 0;
    return event->direction == KW_DIR_IN || event->direction == KW_DIR_OUT ||
           event->direction == KW_DIR_BOTH;
}

static void touch_finish(kw_rel_touch_t *t, int last_out_person)
{
    t->person = t->person_in >= 0 ? t->person_in : last_out_person;
}

size_t kw_rel_touches(const kw_rel_event_t *events, size_t n, int64_t as_of,
                      kw_rel_touch_t *touches)
{
    size_t nt = 0, i;
    kw_rel_touch_t *cur = NULL;
    int cur_out_person = -1;
    ssize_t pending = -1;

    for (i = 0; i < n; i++) {
        const kw_rel_event_t *e = &events[i];

        if (e->time > as_of)
            break; /* sorted: nothing later matters */
        if (!kw_rel_event_counts(e))
            continue;
        if (cur == NULL || e->time - cur->end > KW_REL_TOUCH_GAP ||
            e->time - cur->start > KW_REL_TOUCH_SPAN) {
            if (cur)
                touch_finish(cur, cur_out_person);
            cur = &touches[nt++];
            memset(cur, 0, sizeof *cur);
            cur->start = e->time;
            cur->first_event = i;
            cur->person_in = -1;
            cur->exchange_person = -1;
            cur->source = KW_SOURCE_MAIL;
            cur_out_person = -1;
        }
        cur->end = e->time;
        cur->messages++;
        if (e->direction == KW_DIR_IN || e->direction == KW_DIR_BOTH) {
            cur->has_in = 1;
            cur->person_in = e->person;
        }
        if (e->direction == KW_DIR_OUT || e->direction == KW_DIR_BOTH) {
            cur->has_out = 1;
            cur_out_person = e->person;
        }
        if (e->direction == KW_DIR_BOTH)
            cur->source = e->source; /* a call in a day of mail: the call is the news */
    }
    if (cur)
        touch_finish(cur, cur_out_person);

    /* Exchanges: a touch with both directions, or a one-way touch answering
     * the pending one-way touch of the other direction within the window. */
    for (i = 0; i < nt; i++) {
        kw_rel_touch_t *t = &touches[i];

        if (t->has_in && t->has_out) {
            t->exchange = 1;
            t->exchange_person = t->person_in;
            pending = -1;
            continue;
        }
        if (pending >= 0 && touches[pending].has_in != t->has_in &&
            t->start - touches[pending].end <= KW_REL_EXCHANGE_WINDOW) {
            t->exchange = 1;
            t->exchange_person = t->has_in ? t->person_in : touches[pending].person_in;
            touches[pending].answered = 1;
            pending = -1;
            continue;
        }
        pending = (ssize_t) i;
    }
    return nt;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v in place); n > 0. */
static double median_i64(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_i64);
    if (n % 2)
        return (double) v[n / 2];
    return ((double) v[n / 2 - 1] + (double) v[n / 2]) / 2.0;
}

/* Round a non-negative double to the nearest integer. */
static int round_pos(double x)
{
    return (int) (x + 0.5);
}

/* log2_pos(x) for x >= 1 without libm (the library links no -lm): the integer
 * part by halving, the rest from ln(m) = 2 atanh((m-1)/(m+1)), m in [1, 2),
 * whose series converges fast since |y| <= 1/3 (error < 1e-9 here). */
static double log2_pos(double x)
{
    double y, y2, term, sum = 0.0;
    int k = 0, i;

    if (x <= 1.0)
        return 0.0;
    while (x >= 2.0) {
        x /= 2.0;
        k++;
    }
    y = (x - 1.0) / (x + 1.0);
    y2 = y * y;
    term = y;
    for (i = 1; i <= 19; i += 2) {
        sum += term / i;
        term *= y2;
    }
    return k + 2.0 * sum / 0.69314718055994530942;
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int kw_rel_learn_cadence(const int64_t *exchanges, size_t n, int default_days,
                         kw_cadence_source_t *source)
{
    int64_t *gaps;
    size_t ngaps = 0, first, i;
    int64_t last;
    int days;


    if (default_days <= 0)
        default_days = KW_REL_DEFAULT_CADENCE_DAYS;
    if (source)
        *source = KW_CADENCE_DEFAULT;
    if (n < 2)
        return default_days;

    gaps = g_new(int64_t, n);
    last = exchanges[n - 1];
    /* Non-burst gaps, oldest first, with the time each gap ends. */
    for (i = 1; i < n; i++) {
        int64_t g = exchanges[i] - exchanges[i - 1];
        if (g >= KW_REL_BURST_GAP)
            gaps[ngaps++] = g;
    }
    if (ngaps < KW_REL_CADENCE_MIN_GAPS) {
        g_free(gaps);
        return default_days;
    }
    /* Keep the gaps ending within the window before the last exchange, but
     * never fewer than the most recent KW_REL_CADENCE_MIN_GAPS. Walk back
     * from the end over the exchange times to find where the window starts. */
    {
        size_t in_window = 0;
        for (i = n - 1; i >= 1; i--) {
            if (exchanges[i] - exchanges[i - 1] < KW_REL_BURST_GAP)
                continue;
            if (last - exchanges[i] > KW_REL_CADENCE_WINDOW)
                break;
            in_window++;
        }
        if (in_window < KW_REL_CADENCE_MIN_GAPS)
            in_window = KW_REL_CADENCE_MIN_GAPS;
        first = ngaps - in_window;
    }
    days = round_pos(median_i64(gaps + first, ngaps - first) / (double) KW_REL_DAY);
    g_free(gaps);
    if (source)
        *source = KW_CADENCE_LEARNED;
    return clamp_int(days, KW_REL_CADENCE_MIN_DAYS, KW_REL_CADENCE_MAX_DAYS);
}

int kw_rel_grace_days(int cadence_days)
{
    return clamp_int(cadence_days / KW_REL_GRACE_DIV, KW_REL_GRACE_MIN_DAYS, KW_REL_GRACE_MAX_DAYS);
}

int kw_rel_lead_days(int cadence_days)
{
    return clamp_int(cadence_days / KW_REL_LEAD_DIV, KW_REL_LEAD_MIN_DAYS, KW_REL_LEAD_MAX_DAYS);
}

static int effective_cadence(const kw_rel_summary_t *s)
{
    return s->cadence_days > 0 ? s->cadence_days : KW_REL_DEFAULT_CADENCE_DAYS;
}

static int64_t reference_time(const kw_rel_summary_t *s)
{
    /* The clock runs from the last two-way exchange. Without any, from the
     * last time they wrote (the last sign of life); never from your own
     * unanswered mails. */
    return s->last_exchange ? s->last_exchange : s->last_in;
}

kw_waiting_t kw_rel_waiting(const kw_rel_summary_t *s, int64_t *since)
{
    int64_t from = s->unanswered_since;

    if (since)
        *since = 0;
    if (s->unanswered == KW_WAITING_NONE)
        return KW_WAITING_NONE;
    if (s->settled_until > 0 && s->unanswered_last <= s->settled_until)
        return KW_WAITING_NONE; /* the user said it needs no answer */
    if (s->settled_until > 0 && from <= s->settled_until)
        from = s->unanswered_last; /* only what came after counts */
    if (since)
        *since = from;
    return s->unanswered;
}

kw_state_t kw_rel_rhythm_state(const kw_rel_summary_t *s, int64_t as_of)
{
    int cad = effective_cadence(s);
    int grace = kw_rel_grace_days(cad), lead = kw_rel_lead_days(cad);
    int64_t ref = reference_time(s), since;

    if (s->planned_touch > as_of)
        return KW_STATE_OK; /* a meeting is planned: in touch until it passes */
    if (ref == 0)
        return KW_STATE_OK; /* they never wrote: nothing can be late */
    since = as_of - ref;
    if (since > (int64_t)(cad + grace) * KW_REL_DAY)
        return KW_STATE_OVERDUE;
    if (since >= (int64_t)(cad - lead) * KW_REL_DAY)
        return KW_STATE_DUE_SOON;
    return KW_STATE_OK;
}

kw_state_t kw_rel_state(const kw_rel_summary_t *s, int64_t as_of)
{
    int64_t since;
    kw_waiting_t w;

    if (s->ignored)
        return KW_STATE_IGNORED;
    if (s->snoozed_until > as_of)
        return KW_STATE_SNOOZED;
    w = kw_rel_waiting(s, &since);
    if (w == KW_WAITING_ON_YOU) {
        if (as_of - since < KW_REL_YOUR_REPLY_DAYS * KW_REL_DAY)
            return KW_STATE_OK; /* they just wrote: the relationship is alive */
        return KW_STATE_AWAITING_YOUR_REPLY; /* a question stays one, meeting or not */
    }
    if (s->planned_touch > as_of)
        return KW_STATE_OK; /* a meeting is planned: in touch until it passes */
    if (w == KW_WAITING_ON_THEM) {
        int wait = s->their_reply_days > 0 ? s->their_reply_days : KW_REL_THEIR_REPLY_DEFAULT_DAYS;
        if (as_of - since > wait * KW_REL_DAY)
            return KW_STATE_AWAITING_THEIR_REPLY;
    }
    return kw_rel_rhythm_state(s, as_of);
}

double kw_rel_score(const kw_rel_summary_t *s, int64_t as_of)
{
    int cad = effective_cadence(s);
    int64_t ref = reference_time(s);
    double r = 0.0, urgency, depth, share, years = 0.0;

    if (s->state == KW_STATE_IGNORED || s->state == KW_STATE_SNOOZED)
        return 0.0;
    if (ref > 0 && as_of > ref)
        r = (double)(as_of - ref) / (double) KW_REL_DAY / (double) cad;
    /* Urgency: how late relative to the rhythm, with diminishing returns
     * (a relationship 20x overdue is not 10x as urgent as one 2x overdue).
     * Someone waiting for your answer counts as at least due, plus a bonus. */
    switch (s->state) {
    case KW_STATE_AWAITING_YOUR_REPLY:
        urgency = log2_pos(1.0 + (r > 1.0 ? r : 1.0)) + 0.5;
        break;
    case KW_STATE_AWAITING_THEIR_REPLY:
        urgency = log2_pos(1.0 + (r > 1.0 ? r : 1.0));
        break;
    default:
        urgency = log2_pos(1.0 + r);
        break;
    }
    /* Depth: how much there is to lose. Exchanges (log: the 20th adds less
     * than the 2nd), the share of touches that were two-way (0.5..1.5), and
     * how long it has lasted (x1 .. x2 at three years). */
    share = s->touches > 0 ? (double) s->two_way_touches / (double) s->touches : 0.0;
    if (s->exchanges > 0 && s->last_exchange > s->first_exchange)
        years = (double)(s->last_exchange - s->first_exchange) / (365.0 * (double) KW_REL_DAY);
    if (years > 3.0)
        years = 3.0;
    depth = log2_pos(2.0 + s->exchanges) * (0.5 + share) * (1.0 + years / 3.0);
    return urgency * depth;
}

void kw_rel_history(const kw_rel_event_t *events, size_t n, int64_t as_of,
                    kw_rel_summary_t *out)
{
    kw_rel_touch_t *touches = NULL;
    int64_t *xtimes = NULL, *delays = NULL;
    size_t nt = 0, nx = 0, nd = 0, i;
    const kw_rel_event_t *prev = NULL;
    kw_cadence_source_t learned;

    memset(out, 0, sizeof *out);
    out->last_exchange_person = out->last_in_person = out->last_out_person = -1;
    out->unanswered_person = out->last_autoreply_person = -1;
    if (n > 0) {
        touches = g_new(kw_rel_touch_t, n);
        delays = g_new(int64_t, n);
    }

    /* Counts, last times and their answer delays (your mail, then theirs). */
    for (i = 0; i < n; i++) {
        const kw_rel_event_t *e = &events[i];
        if (e->time > as_of)
            break;
        if (e->direction == KW_DIR_IN && (e->flags & KW_MSG_AUTOREPLY)) {
            out->last_autoreply = e->time;
            out->last_autoreply_person = e->person;
        }
        if (!kw_rel_event_counts(e))
            continue;
        if (e->direction == KW_DIR_BOTH)
            continue; /* not mail: neither side wrote */
        if (e->direction == KW_DIR_IN) {
            out->inbound++;
            out->last_in = e->time;
            out->last_in_person = e->person;
            if (prev && prev->direction == KW_DIR_OUT &&
                e->time - prev->time <= KW_REL_EXCHANGE_WINDOW)
                delays[nd++] = e->time - prev->time;
        } else {
            out->outbound++;
            out->last_out = e->time;
            out->last_out_person = e->person;
        }
        prev = e;
    }

    nt = n ? kw_rel_touches(events, n, as_of, touches) : 0;
    out->touches = (int) nt;
    if (nt > 0)
        xtimes = g_new(int64_t, nt);
    for (i = 0; i < nt; i++) {
        const kw_rel_touch_t *t = &touches[i];
        if (t->exchange || t->answered)
            out->two_way_touches++;
        if (!t->exchange)
            continue;
        xtimes[nx++] = t->end;
        if (!out->first_exchange)
            out->first_exchange = t->end;
        out->last_exchange = t->end;
        out->last_exchange_person = t->exchange_person >= 0 ? t->exchange_person : t->person;
        out->last_exchange_source = t->source;
    }
    out->exchanges = (int) nx;

    /* The last touch, if one-way and neither answering nor answered: the
     * run of same-direction unanswered touches before it (back to the last
     * touch the other side took part in) gives how long the wait has been
     * and how often they (or you) wrote meanwhile. */
    if (nt > 0) {
        const kw_rel_touch_t *t = &touches[nt - 1];
        if (!t->exchange && !t->answered && t->has_in != t->has_out) {
            size_t k = nt - 1;
            while (k > 0) {
                const kw_rel_touch_t *p = &touches[k - 1];
                if (p->exchange || p->answered || p->has_in != t->has_in ||
                    p->has_out != t->has_out)
                    break;
                k--;
            }
            out->unanswered = t->has_in ? KW_WAITING_ON_YOU : KW_WAITING_ON_THEM;
            out->unanswered_since = touches[k].start;
            out->unanswered_last = t->start;
            out->unanswered_touches = (int) (nt - k);
            out->unanswered_person = t->person;
        }
    }

    out->reply_samples = (int) nd;
    if (nd >= KW_REL_REPLY_MIN_SAMPLES) {
        double med = median_i64(delays, nd);
        int64_t twice = (int64_t) (2.0 * med);
        int d = (int) ((twice + KW_REL_DAY - 1) / KW_REL_DAY);
        out->their_reply_days = clamp_int(d, KW_REL_THEIR_REPLY_MIN_DAYS, KW_REL_THEIR_REPLY_MAX_DAYS);
    } else {
        out->their_reply_days = KW_REL_THEIR_REPLY_DEFAULT_DAYS;
    }
    out->learned_cadence_days = kw_rel_learn_cadence(xtimes, nx, KW_REL_DEFAULT_CADENCE_DAYS,
                                                     &learned);
    if (learned != KW_CADENCE_LEARNED)
        out->learned_cadence_days = 0;

    g_free(touches);
    g_free(delays);
    g_free(xtimes);
}

void kw_rel_judge(kw_rel_summary_t *s, const kw_rel_settings_t *settings, int64_t as_of)
{
    int default_days = settings && settings->default_cadence_days > 0
                           ? settings->default_cadence_days : KW_REL_DEFAULT_CADENCE_DAYS;

    s->snoozed_until = settings ? settings->snoozed_until : 0;
    s->ignored = settings ? settings->ignored : 0;
    s->settled_until = settings ? settings->settled_until : 0;
    s->planned_touch = settings && settings->planned_touch > as_of ? settings->planned_touch : 0;
    s->planned_source = s->planned_touch ? settings->planned_source : KW_SOURCE_MAIL;
    if (settings && settings->user_cadence_days > 0) {
        s->cadence_days = settings->user_cadence_days;
        s->cadence_source = KW_CADENCE_USER;
    } else if (s->learned_cadence_days > 0) {
        s->cadence_days = s->learned_cadence_days;
        s->cadence_source = KW_CADENCE_LEARNED;
    } else {
        s->cadence_days = default_days;
        s->cadence_source = KW_CADENCE_DEFAULT;
    }

    s->reference = reference_time(s);
    s->days_since = s->reference && as_of > s->reference
                        ? (int)((as_of - s->reference) / KW_REL_DAY) : 0;
    s->due_date = s->reference ? s->reference + (int64_t) s->cadence_days * KW_REL_DAY : 0;
    s->state = kw_rel_state(s, as_of);
    s->rhythm_state = kw_rel_rhythm_state(s, as_of);
    s->waiting = kw_rel_waiting(s, &s->waiting_since);
    /* Their only reaction to your last mail was an automatic reply (out of
     * office), and nothing genuine came since: no mail from them, no call
     * or meeting (a logged touch is an exchange that is not mail). */
    s->away_since = s->last_autoreply && s->last_out && s->last_autoreply >= s->last_out &&
                            s->last_autoreply > s->last_in && s->last_autoreply >= s->last_exchange
                        ? s->last_autoreply : 0;
    s->score = kw_rel_score(s, as_of);
}

void kw_rel_analyze(const kw_rel_event_t *events, size_t n, int64_t as_of,
                    const kw_rel_settings_t *settings, kw_rel_summary_t *out)
{
    kw_rel_history(events, n, as_of, out);
    kw_rel_judge(out, settings, as_of);
}
