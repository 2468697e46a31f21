/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relationship.h — internal: the relationship model as pure functions.
 *
 * Input: one target's interactions (a person, or every person of an
 * organisation merged), sorted by time. Output: touches, two-way exchanges,
 * the learned cadence, the state as of a time and a ranking score — facts,
 * never words (core/words/ turns them into sentences). No SQLite, no I/O,
 * no clock: everything takes `as_of`.
 *
 * Vocabulary
 *   event     one interaction (a message to or from the other party)
 *   counted   an event that can be a touch: not list/bulk/auto/auto-reply/
 *             bounce, and not a broadcast (> KW_REL_BROADCAST_RECIPIENTS)
 *   touch     counted events collapsed: a message and everything that follows
 *             it within KW_REL_TOUCH_GAP, for at most KW_REL_TOUCH_SPAN
 *             (a same-day burst or a quick back-and-forth is one touch)
 *   exchange  a touch with both directions, or a one-way touch that answers
 *             the previous one-way touch of the other direction within
 *             KW_REL_EXCHANGE_WINDOW. Only exchanges reset the clock.
 *   episode   exchanges closer than KW_REL_BURST_GAP count as one for the
 *             cadence (a week of daily mails is one conversation).
 */
#ifndef KW_RELATIONSHIP_H
#define KW_RELATIONSHIP_H

#include <stddef.h>
#include <stdint.h>
#include "keepwarm.h"
#include "header_parse.h"

#define KW_REL_DAY ((int64_t)86400)

/* Flags (KW_MSG_* of header_parse.h) that make a message noise: never a touch. */
#define KW_REL_NOISE_FLAGS (KW_MSG_LIST | KW_MSG_BULK | KW_MSG_AUTO | KW_MSG_AUTOREPLY | \
                            KW_MSG_BOUNCE)

/* Messages with more recipients than this are broadcasts: a mail to 21+
 * people says nothing about the relationship with any one of them. */
#define KW_REL_BROADCAST_RECIPIENTS 20
/* Events at most this far apart belong to the same touch: covers a same-day
 * burst and an overnight answer across time zones. */
#define KW_REL_TOUCH_GAP (1 * KW_REL_DAY)
/* ... but one touch never spans more than this, so a thread with a mail
 * every day for weeks still counts as several touches. */
#define KW_REL_TOUCH_SPAN (3 * KW_REL_DAY)
/* "They wrote and you wrote within a short window": two weeks is how long a
 * busy seller or buyer may take to answer without the thread being dead. */
#define KW_REL_EXCHANGE_WINDOW (14 * KW_REL_DAY)
/* Gaps between exchanges shorter than this are bursts (one conversation
 * spread over a few days), not the rhythm of the relationship. Kept below a
 * week so that a genuinely weekly relationship (gaps of 5-9 days) is learned. */
#define KW_REL_BURST_GAP (4 * KW_REL_DAY)
/* The cadence is learned from the gaps of the two years before the last
 * exchange (older habits say little), ... */
#define KW_REL_CADENCE_WINDOW (730 * KW_REL_DAY)
/* ... needs at least this many gaps (four exchanges): with fewer, one odd
 * gap would be the whole story, so the default applies. The median of three
 * or more gaps ignores one long silence. */
#define KW_REL_CADENCE_MIN_GAPS 3
/* Learned cadences are bounded: nobody needs a nudge more than weekly, and
 * a relationship quieter than yearly is not a rhythm we can keep. */
#define KW_REL_CADENCE_MIN_DAYS 7
#define KW_REL_CADENCE_MAX_DAYS 365
/* The default cadence when history is thin (the caller may override). */
#define KW_REL_DEFAULT_CADENCE_DAYS 60
/* Overdue = beyond cadence + grace, grace = cadence/4 within [3, 30] days:
 * proportional so a quarterly contact is not overdue one day late, capped so
 * a yearly one is not left a whole quarter. */
#define KW_REL_GRACE_DIV 4
#define KW_REL_GRACE_MIN_DAYS 3
#define KW_REL_GRACE_MAX_DAYS 30
/* Due soon = from cadence - lead, lead = cadence/5 within [2, 14] days: time
 * to plan a reason to write before the relationship is late. */
#define KW_REL_LEAD_DIV 5
#define KW_REL_LEAD_MIN_DAYS 2
#define KW_REL_LEAD_MAX_DAYS 14
/* Awaiting your reply: they wrote (not answering you) and nothing came back
 * for this long. Three days covers a weekend. */
#define KW_REL_YOUR_REPLY_DAYS 3
/* Awaiting their reply: you wrote (not answering them) and they have not
 * answered within twice their usual (median) response time, bounded to
 * [3, 14] days; 7 days when fewer than 3 of their answers are known. */
#define KW_REL_THEIR_REPLY_MIN_DAYS 3
#define KW_REL_THEIR_REPLY_MAX_DAYS 14
#define KW_REL_THEIR_REPLY_DEFAULT_DAYS 7
#define KW_REL_REPLY_MIN_SAMPLES 3
/* An unanswered message stays "awaiting" until it is answered (or the user
 * says it needs no answer, kw_rel_settings_t.settled_until): an owed reply
 * is never forgotten, whatever the rhythm says (rhythm_state tells how late
 * the relationship is besides). */

/* KW_DIR_BOTH: a touch both ways at once — a call, a meeting, a visit (a
 * logged or calendar touch, `source` says which). It is counted, makes a
 * two-way touch (an exchange) on its own, and answers whatever waits; it is
 * not mail, so it changes neither the mail counts nor the last times one
 * side wrote. */
typedef enum { KW_DIR_IN = 1, KW_DIR_OUT = 2, KW_DIR_BOTH = 3 } kw_rel_direction_t;

typedef struct {
    int64_t  time;
    int      direction;    /* KW_DIR_IN (they wrote), KW_DIR_OUT (you wrote), KW_DIR_BOTH */
    unsigned flags;        /* KW_MSG_* of header_parse.h */
    int      n_recipients; /* To+Cc+Bcc of the message */
    int      person;       /* the other party: an index into the caller's people, or -1 */
    kw_source_t source;    /* where the touch comes from (mail for IN and OUT) */
    const char *subject;   /* (transfer none) only where the caller loaded it (timelines) */
} kw_rel_event_t;

typedef struct {
    int64_t start, end;     /* first and last message */
    int     messages;
    int     has_in, has_out;
    int     exchange;       /* this touch completes a two-way exchange */
    int     answered;       /* one-way touch answered by the next touch (-> exchange) */
    int     person;         /* other party of the last message, inbound preferred */
    int     person_in;      /* other party of the last inbound message, or -1 */
    int     exchange_person;/* for an exchange: their side of it, or -1 */
    size_t  first_event;    /* index of its first message in the events array */
    kw_source_t source;     /* mail, or the kind of its (last) two-way event */
} kw_rel_touch_t;

typedef struct {
    int     default_cadence_days; /* 0: KW_REL_DEFAULT_CADENCE_DAYS */
    int     user_cadence_days;    /* > 0 wins over everything */
    int64_t snoozed_until;        /* snoozed while > as_of */
    int     ignored;
    int64_t settled_until;        /* unanswered mail up to here needs no answer */
    int64_t planned_touch;        /* a touch planned after as_of (0: none): ok until then */
    kw_source_t planned_source;
} kw_rel_settings_t;

/* What is known about one relationship: first its history (a function of
 * the events up to as_of only, filled by kw_rel_history()), then the
 * cadence, settings and verdict that kw_rel_judge() adds for an as_of. The
 * history part does not depend on as_of once every event is older than it,
 * which is what lets the store keep it per contact and per organisation
 * (model.c). */
typedef struct {
    /* History (counted events only). */
    int      inbound, outbound;    /* counted messages */
    int      touches;
    int      exchanges;            /* two-way exchanges */
    int      two_way_touches;      /* touches that took part in an exchange */
    int64_t  first_exchange, last_exchange;
    int      last_exchange_person; /* their side of the last exchange */
    kw_source_t last_exchange_source; /* mail, or the call/meeting... it was */
    int64_t  last_in, last_out;
    int      last_in_person, last_out_person;
    /* The last touch, when one-way and not (yet) answered, and the run of
     * one-way touches of the same direction before it. */
    kw_waiting_t unanswered;       /* ON_YOU: they wrote, you did not answer */
    int64_t  unanswered_since;     /* first message of that unanswered run */
    int64_t  unanswered_last;      /* first message of its last touch */
    int      unanswered_touches;   /* touches in the run */
    int      unanswered_person;
    /* Their last automatic reply (out of office; noise, never a touch). */
    int64_t  last_autoreply;
    int      last_autoreply_person;
    int      reply_samples;        /* their answers to you seen */
    int      their_reply_days;     /* wait before awaiting-their-reply */
    int      learned_cadence_days; /* 0: too little history to learn one */
    /* Cadence (kw_rel_judge). */
    int      cadence_days;
    kw_cadence_source_t cadence_source;
    /* Settings (kw_rel_judge). */
    int64_t  snoozed_until;
    int      ignored;
    int64_t  settled_until;
    int64_t  planned_touch;
    kw_source_t planned_source;
    /* Verdict (kw_rel_judge). */
    int64_t  reference;            /* clock start: last exchange, else last inbound */
    int      days_since;           /* whole days from reference to as_of (0 if none) */
    int64_t  due_date;             /* reference + cadence (0 if no reference) */
    kw_state_t state;
    kw_state_t rhythm_state;       /* the state by the rhythm alone: ok, due-soon, overdue */
    kw_waiting_t waiting;          /* unanswered, unless settled (the `unanswered` run) */
    int64_t  waiting_since;        /* first message of the run not settled */
    int64_t  away_since;           /* their auto-reply answered your last mail, else 0 */
    double   score;
} kw_rel_summary_t;

/* 1 when the event can be a touch (not noise, not a broadcast). */
int kw_rel_event_counts(const kw_rel_event_t *event);

/* Collapse the counted events with time <= as_of into touches and mark the
 * exchanges. `events` sorted by time; `touches` has room for n entries.
 * Returns the number of touches. */
size_t kw_rel_touches(const kw_rel_event_t *events, size_t n, int64_t as_of,
                      kw_rel_touch_t *touches);

/* The cadence from exchange times (ascending): median of the non-burst gaps
 * of the two years before the last exchange (at least the last
 * KW_REL_CADENCE_MIN_GAPS gaps), bounded; `default_days` when too few.
 * *source (may be NULL) says which. */
int kw_rel_learn_cadence(const int64_t *exchanges, size_t n, int default_days,
                         kw_cadence_source_t *source);

/* Grace after the due date, and lead before it (days) for a cadence. */
int kw_rel_grace_days(int cadence_days);
int kw_rel_lead_days(int cadence_days);

/* The state as of `as_of` from the history, cadence and settings fields of
 * `s` (the verdict fields are not read). An unanswered run (not settled)
 * gives awaiting-your-reply once KW_REL_YOUR_REPLY_DAYS have passed (a
 * planned touch does not change that), or awaiting-their-reply once their
 * reply time has and no touch is planned, for as long as it stays
 * unanswered; otherwise the rhythm decides (kw_rel_rhythm_state). */
kw_state_t kw_rel_state(const kw_rel_summary_t *s, int64_t as_of);

/* What the rhythm alone says as of `as_of`: overdue, due-soon or ok (the
 * history, cadence fields and planned_touch: ok while a touch is planned;
 * ignores waiting, snooze and ignore). */
kw_state_t kw_rel_rhythm_state(const kw_rel_summary_t *s, int64_t as_of);

/* The unanswered run that still counts: *since its first message not
 * settled by the user. KW_WAITING_NONE when there is none. */
kw_waiting_t kw_rel_waiting(const kw_rel_summary_t *s, int64_t *since);

/* The ranking score (higher = colder and more valuable); 0 for snoozed and
 * ignored. Reads history, cadence, state and days_since. */
double kw_rel_score(const kw_rel_summary_t *s, int64_t as_of);

/* The history part of *out from events (sorted by time) up to as_of; every
 * other field is zeroed. */
void kw_rel_history(const kw_rel_event_t *events, size_t n, int64_t as_of,
                    kw_rel_summary_t *out);

/* Complete a summary whose history part is filled: cadence (the user's,
 * else the learned one, else the default), settings and verdict as of as_of. */
void kw_rel_judge(kw_rel_summary_t *s, const kw_rel_settings_t *settings, int64_t as_of);

/* kw_rel_history() then kw_rel_judge(). */
void kw_rel_analyze(const kw_rel_event_t *events, size_t n, int64_t as_of,
                    const kw_rel_settings_t *settings, kw_rel_summary_t *out);

#endif
