/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_words.h — the one place where keepwarm's facts become words.
 *
 * libkeepwarm returns facts (states, days, cadences, people, dates; see
 * kw_reason_t); this module, linked by the `keepwarm` command and the Claws
 * plugin as a static archive (it is not part of the library), turns them
 * into text through gettext, text domain "keepwarm" (kw_words_bind()).
 * With LANG=C the words are English and stable (golden-file tests).
 *
 * Dates are calendar days in UTC (mail times are UTC seconds), formatted
 * with the month names of the user's LC_TIME. Every returned string is
 * (transfer full, g_free) unless marked (transfer none). Names that came
 * from mail are passed through as they are: sanitise before printing
 * (kw_sanitize_for_display) — the table and panel code does.
 * Threads: any thread, once kw_words_bind() has run.
 */
#ifndef KW_WORDS_H
#define KW_WORDS_H

#include <stdint.h>
#include "keepwarm.h"

#define KW_TEXT_DOMAIN "keepwarm"

/* Bind the "keepwarm" text domain to the first directory of `dirs`
 * (NULL-terminated, NULL entries skipped) that holds a catalogue, else to
 * the last one given; UTF-8 output. Call once, after setlocale(). With
 * `dirs` NULL the binding stays: call that after changing the language
 * (LANGUAGE, LC_MESSAGES) so that translations remembered for the old one
 * are forgotten. */
void kw_words_bind(const char *const *dirs);

/* "every day", "every 10 days", "every week", "every 3 weeks", "every month",
 * "every 3 months", "every year", "every 2 years": rounded to what people
 * say (never "every 101 days"); days <= 0 gives the phrase for the built-in
 * default. */
char *kw_words_cadence(int days);

/* Where a cadence comes from: "learned", "your setting", "default"
 * (transfer none). */
const char *kw_words_cadence_source(kw_cadence_source_t source);

/* "overdue", "due soon", "awaiting your reply", "awaiting their reply",
 * "in touch", "snoozed", "ignored" (transfer none). */
const char *kw_words_state(kw_state_t state);

/* "today", "1 day", "93 days": how long (never negative). */
char *kw_words_days(int days);

/* "today", "yesterday", "93 days ago", "tomorrow", "in 5 days" for time t
 * seen from as_of (whole days); t == 0 gives "never". */
char *kw_words_ago(int64_t t, int64_t as_of);

/* "Mar 3", or "Mar 3, 2023" outside the year of as_of; t == 0 gives "never". */
char *kw_words_date(int64_t t, int64_t as_of);

/* "Mon 14 Dec", or "Mon 14 Dec 2026" outside the year of as_of: a day with
 * its weekday, for dates the user acts on (snoozes, returns); t == 0 gives
 * "never". */
char *kw_words_day(int64_t t, int64_t as_of);

/* The one plain sentence for a reason, e.g. "Last exchange 93 days ago
 * (Mar 3, with Jane Doe); you usually talk every 3 weeks; 14 exchanges since
 * 2023."; ok thanks to the team: "Jan Weber talked to them 3 days ago; your
 * last exchange 93 days ago (...)...". */
char *kw_words_reason(const kw_reason_t *reason, int64_t as_of);

/* The hint shown above a message from the relationship: "ACME — last
 * exchange 93 days ago; you usually talk every 3 weeks", "ACME — awaiting
 * your reply for 6 days; overdue too: last exchange 69 days ago", "ACME —
 * Jane Doe is away until Fri 14 Jun (automatic reply); your mail of Jun 3
 * has no answer yet", ...; NULL when nothing should be shown (ignored,
 * snoozed, NULL). */
char *kw_words_hint(const kw_relationship_t *rel, int64_t as_of);

/* The actions a hint offers, the same in every mail client. */
typedef enum {
    KW_HINT_NONE = 0,
    KW_HINT_WRITE,       /* compose to the main person */
    KW_HINT_REPLY,       /* reply to the displayed message */
    KW_HINT_SNOOZE_WEEK,
    KW_HINT_DETAILS,
    KW_HINT_FOLLOW_UP,   /* write again to whom your unanswered mail went */
    KW_HINT_SETTLE,      /* "no reply needed" (kw_settle) */
    KW_HINT_SNOOZE_BACK  /* snooze until the day an out-of-office names (kw_words_back_on) */
} kw_hint_action_t;

/* The one action for a client with one button: write to an overdue or
 * due-soon relationship, reply when they wait for you, snooze a week when
 * you wait for them, details when all is well; nothing for snoozed, ignored
 * or NULL. */
kw_hint_action_t kw_words_hint_action(const kw_relationship_t *rel);

/* The two buttons of a hint as of `as_of`: the most useful action first,
 * and a second one (or NONE): awaiting your reply — Reply, No reply needed;
 * awaiting theirs — Follow up…, Snooze 1 week; overdue and due soon —
 * Write…, Snooze 1 week; in touch — Details…, none. When an out-of-office
 * names a day still to come, Snooze until back comes first (then Follow
 * up… or Write…). */
void kw_words_hint_actions(const kw_relationship_t *rel, int64_t as_of, kw_hint_action_t *first,
                           kw_hint_action_t *second);

/* The day an out-of-office says its sender is back (the day after the one
 * it names as "until", the very day for "back on"), 00:00 UTC, when it is
 * still to come as of `as_of`; else 0. */
int64_t kw_words_back_on(const kw_relationship_t *rel, int64_t as_of);

/* The action's button label: "Write…", "Reply", "Snooze 1 week",
 * "Details…", "Follow up…", "No reply needed", "Snooze until back"; NULL for
 * KW_HINT_NONE (transfer none). */
const char *kw_words_hint_action_label(kw_hint_action_t action);

/* "jane@acme.com, bob@acme.com +2 more": at most `max` (<= 0: 2) shown. */
char *kw_words_people(char *const *people, int max);

/* "Jane Doe, Bob Smith +2 more": the names of a relationship's people
 * (their address where no name is known), at most `max` (<= 0: 2). */
char *kw_words_people_names(const kw_relationship_t *rel, int max);

/* A target on one line: "Jane Doe <jane@acme.com>", "ACME (acme.com)", or
 * the key. */
char *kw_words_target(const kw_target_t *target);

/* Who a relationship is, on one line: "Jane Doe <jane@acme.com>" for a
 * person with a name, "ACME (acme.com)" for an organisation whose name
 * differs from its key, else the key. */
char *kw_words_who(const kw_relationship_t *rel);

/* "organisation" or "person" (transfer none). */
const char *kw_words_kind(kw_target_kind_t kind);

/* ---- the daily routine (kw_words_today.c) ------------------------------- */

/* The one line of progress: "Today: 3 of 5 done · 12-day streak · about 4
 * minutes left" (the streak left out while 0; "all done" when nothing is
 * left; "Today: nothing to do · ..." for an empty list). */
char *kw_words_progress(int done, int size, int streak, int minutes_left);

/* Why an item is on the list: "reply owed", "overdue", "win back"
 * (transfer none). */
const char *kw_words_slot(kw_slot_t slot);

/* How an item was handled: "wrote", "called", "met", "visited", "done",
 * "skipped"; "" while not yet (transfer none). */
const char *kw_words_how(kw_how_t how);

/* A kind of touch: "mail", "call", "meeting", "visit", "other"
 * (transfer none). */
const char *kw_words_source(kw_source_t source);

/* "A", "B", "C", or "" for no tier (transfer none). */
const char *kw_words_tier(kw_tier_t tier);

/* "longest streak 20 days", "streak 3 days" for the review. */
char *kw_words_streak(int days);

/* Who on the team: a teammate's display name, else their member (role)
 * name; a colleague's name, else their address; else "a colleague"
 * (transfer none: points into the arguments or a constant). */
const char *kw_words_team_who(const kw_person_ref_t *member, const char *member_id);

/* What the team did, as part of a sentence: "Jan Weber talked to them 3
 * days ago", "Jan Weber called them yesterday", "Jan Weber met them today",
 * "Peter Brandt wrote to them 2 days ago with you in copy"; `who` as
 * kw_words_team_who() gives it. */
char *kw_words_team_touch(kw_team_touch_kind_t kind, const char *who, int64_t t, int64_t as_of);

/* The same, short (table cells, tooltips): "Jan Weber: exchange 3 days ago",
 * "Jan: call yesterday", "Peter Brandt: mail with you in copy today". */
char *kw_words_team_short(kw_team_touch_kind_t kind, const char *who, int64_t t, int64_t as_of);

#endif
