/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_words.c — facts into words (see kw_words.h). Every user-visible
 * string here goes through the "keepwarm" text domain explicitly, so that
 * it is translated inside programs whose own domain is another (Claws). */
#define GETTEXT_PACKAGE KW_TEXT_DOMAIN
#include <glib/gi18n-lib.h>
#include <libintl.h>
#include <string.h>
#include <time.h>

#include "words/kw_words.h"

#define DAY ((int64_t) 86400)
/* Plural forms in our domain (plain ngettext would use the program's). */
#define NG_(s, p, n) g_dngettext(GETTEXT_PACKAGE, (s), (p), (gulong) (n))

/* Translations of the fixed strings, remembered per msgid (the address of a
 * literal): gettext reads the environment on every call, and a 400-row
 * table asks for a few thousand. Emptied by kw_words_bind(). */
G_LOCK_DEFINE_STATIC(translations);
static GHashTable *translations;

static const char *tr(const char *msgid, const char *(*lookup)(const char *)) G_GNUC_FORMAT(1);

static const char *tr(const char *msgid, const char *(*lookup)(const char *))
{
    const char *t;
    G_LOCK(translations);
    if (!translations)
        translations = g_hash_table_new(g_direct_hash, g_direct_equal);
    t = g_hash_table_lookup(translations, msgid);
    if (!t) {
        t = lookup(msgid);
        g_hash_table_insert(translations, (gpointer) msgid, (gpointer) t);
    }
    G_UNLOCK(translations);
    return t;
}

static const char *lookup_plain(const char *msgid)
{
    return g_dgettext(GETTEXT_PACKAGE, msgid);
}

/* msgctxt "\004" msgid, as gettext stores a string with a context */
static const char *lookup_context(const char *ctxt_id)
{
    return g_dpgettext(GETTEXT_PACKAGE, ctxt_id, strchr(ctxt_id, '\004') - ctxt_id + 1);
}

#undef _
#undef C_
#define _(s) tr((s), lookup_plain)
#define C_(c, s) tr(c "\004" s, lookup_context)

void kw_words_bind(const char *const *dirs)
{
    const char *chosen = NULL;

    G_LOCK(translations);
    if (translations)
        g_hash_table_remove_all(translations);
    G_UNLOCK(translations);
    for (const char *const *d = dirs; d && *d; d++) {
        char *mo = g_build_filename(*d, "de", "LC_MESSAGES", KW_TEXT_DOMAIN ".mo", NULL);
        int found = g_file_test(mo, G_FILE_TEST_EXISTS);
        g_free(mo);
        chosen = *d;
        if (found)
            break;
    }
    if (chosen)
        bindtextdomain(KW_TEXT_DOMAIN, chosen);
    bind_textdomain_codeset(KW_TEXT_DOMAIN, "UTF-8");
}

static int round_pos(double x)
{
    return (int) (x + 0.5);
}

char *kw_words_cadence(int days)
{
    int n;

    if (days <= 0)
        days = KW_DEFAULT_CADENCE_DAYS;
    if (days == 1)
        return g_strdup(_("every day"));
    if (days == 7)
        return g_strdup(_("every week"));
    if (days < 13)
        return g_strdup_printf(NG_("every %d day", "every %d days", days), days);
    if (days < 63) {
        /* a whole month or two when within 10%, else weeks */
        for (int months = 1; months <= 2; months++) {
            int diff = days - 30 * months;
            if (diff < 0)
                diff = -diff;
            if (diff * 10 <= 30 * months)
                return months == 1 ? g_strdup(_("every month"))
                                   : g_strdup_printf(NG_("every %d month", "every %d months", 2), 2);
        }
        n = round_pos(days / 7.0);
        return g_strdup_printf(NG_("every %d week", "every %d weeks", n), n);
    }
    if (days < 335) {
        n = round_pos(days / 30.44);
        return g_strdup_printf(NG_("every %d month", "every %d months", n), n);
    }
    n = round_pos(days / 365.25);
    if (n <= 1)
        return g_strdup(_("every year"));
    return g_strdup_printf(NG_("every %d year", "every %d years", n), n);
}

const char *kw_words_cadence_source(kw_cadence_source_t source)
{
    switch (source) {
    case KW_CADENCE_LEARNED: return _("learned");
    case KW_CADENCE_USER:    return _("your setting");
    default:                 return _("default");
    }
}

const char *kw_words_state(kw_state_t state)
{
    switch (state) {
    case KW_STATE_OVERDUE:              return _("overdue");
    case KW_STATE_DUE_SOON:             return _("due soon");
    case KW_STATE_AWAITING_YOUR_REPLY:  return _("awaiting your reply");
    case KW_STATE_AWAITING_THEIR_REPLY: return _("awaiting their reply");
    case KW_STATE_OK:                   return _("in touch");
    case KW_STATE_SNOOZED:              return _("snoozed");
    case KW_STATE_IGNORED:              return _("ignored");
    default:                            return "?";
    }
}

const char *kw_words_kind(kw_target_kind_t kind)
{
    return kind == KW_TARGET_ORG ? _("organisation") : _("person");
}

char *kw_words_days(int days)
{
    if (days <= 0)
        return g_strdup(_("today"));
    return g_strdup_printf(NG_("%d day", "%d days", days), days);
}

/* Whole calendar-free days from t to as_of (negative: in the future). */
static int64_t days_between(int64_t t, int64_t as_of)
{
    if (as_of >= t)
        return (as_of - t) / DAY;
    return -((t - as_of + DAY - 1) / DAY);
}

char *kw_words_ago(int64_t t, int64_t as_of)
{
    int64_t d;

    if (t == 0)
        return g_strdup(_("never"));
    d = days_between(t, as_of);
    if (d == 0)
        return g_strdup(_("today"));
    if (d == 1)
        return g_strdup(_("yesterday"));
    if (d == -1)
        return g_strdup(_("tomorrow"));
    if (d < 0)
        return g_strdup_printf(NG_("in %d day", "in %d days", -d), (int) -d);
    return g_strdup_printf(NG_("%d day ago", "%d days ago", d), (int) d);
}

static int year_of(int64_t t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    return gmtime_r(&tt, &tm) ? tm.tm_year + 1900 : 1970;
}

char *kw_words_date(int64_t t, int64_t as_of)
{
    time_t tt = (time_t) t;
    struct tm tm;
    const char *fmt;
    char buf[128];
    GDateTime *dt;
    char *s;

    if (t == 0)
        return g_strdup(_("never"));
    if (!gmtime_r(&tt, &tm))
        return g_strdup("?");
    /* TRANSLATORS: strftime() formats (GNU: %-d is the day without padding)
     * of a day in the current year ("Mar 3") and in another ("Mar 3, 2023"). */
    fmt = tm.tm_year + 1900 == year_of(as_of) ? C_("date", "%b %-d") : C_("date", "%b %-d, %Y");
    /* strftime() speaks the locale's charset: use it directly when that is
     * UTF-8 (or ASCII), else let GLib convert (a tenth of the speed) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* our catalogue's format */
    if (g_get_charset(NULL) && strftime(buf, sizeof buf, fmt, &tm) > 0)
        return g_strdup(buf);
#pragma GCC diagnostic pop
    dt = g_date_time_new_from_unix_utc(t);
    s = dt ? g_date_time_format(dt, fmt) : NULL;
    if (dt)
        g_date_time_unref(dt);
    return s ? s : g_strdup("?");
}

char *kw_words_day(int64_t t, int64_t as_of)
{
    time_t tt = (time_t) t;
    struct tm tm;
    const char *fmt;
    char buf[128];

    if (t == 0)
        return g_strdup(_("never"));
    if (!gmtime_r(&tt, &tm))
        return g_strdup("?");
    /* TRANSLATORS: strftime() formats of a day with its weekday, this year
     * ("Mon 14 Dec") and another ("Mon 14 Dec 2026"); German "%a. %-d. %b". */
    fmt = tm.tm_year + 1900 == year_of(as_of) ? C_("day", "%a %-d %b") : C_("day", "%a %-d %b %Y");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* our catalogue's format */
    if (strftime(buf, sizeof buf, fmt, &tm) > 0) {
        char *utf8 = g_locale_to_utf8(buf, -1, NULL, NULL, NULL);
        if (utf8)
            return utf8;
    }
#pragma GCC diagnostic pop
    return g_strdup("?");
}

/* A person's name, else their address, else a word for someone unknown:
 * as the subject of a sentence ("someone wrote") or not ("with them"). */
static const char *name_of(const kw_person_ref_t *p, int subject)
{
    if (p->name && *p->name)
        return p->name;
    if (p->address && *p->address)
        return p->address;
    return subject ? C_("unknown person, subject", "someone") : C_("unknown person", "them");
}

/* Append one part of the sentence, "; " between parts. */
static void part(GString *out, char *text)
{
    if (out->len)
        g_string_append(out, _("; "));
    g_string_append(out, text);
    g_free(text);
}

/* The last unanswered mail of a reason: "6 days ago (May 27)". */
static char *waiting_when(const kw_reason_t *r, int64_t as_of)
{
    int64_t last = r->waiting_last ? r->waiting_last : r->waiting_since;
    char *ago = kw_words_ago(last, as_of), *date = kw_words_date(last, as_of), *out;

    /* TRANSLATORS: N DAYS AGO (DATE) */
    out = g_strdup_printf(_("%s (%s)"), ago, date);
    g_free(ago);
    g_free(date);
    return out;
}

/* Several unanswered mails: the day of the first. NULL for one. */
static char *waiting_first(const kw_reason_t *r, int64_t as_of)
{
    if (r->waiting_touches > 1 && r->waiting_last > r->waiting_since)
        return kw_words_date(r->waiting_since, as_of);
    return NULL;
}

/* What an automatic reply said: "an automatic reply came back on Apr 4
 * (away until Fri 14 Jun)". NULL when there was none. */
static char *away_part(const kw_reason_t *r, int64_t as_of)
{
    char *date, *until, *out;

    if (!r->away_since)
        return NULL;
    date = kw_words_date(r->away_since, as_of);
    if (!r->away_until) {
        out = g_strdup_printf(_("only an automatic reply came back (%s, out of office)"), date);
        g_free(date);
        return out;
    }
    until = kw_words_day(r->away_until, as_of);
    out = g_strdup_printf(r->away_until_is_return
                              /* TRANSLATORS: ... came back (DATE: back on DAY) */
                              ? _("only an automatic reply came back (%s: back on %s)")
                              : _("only an automatic reply came back (%s: away until %s)"),
                          date, until);
    g_free(date);
    g_free(until);
    return out;
}

const char *kw_words_team_who(const kw_person_ref_t *member, const char *member_id)
{
    if (member && member->name && *member->name)
        return member->name;
    if (member_id && *member_id)
        return member_id;
    if (member && member->address && *member->address)
        return member->address;
    return C_("unknown person", "a colleague");
}

char *kw_words_team_touch(kw_team_touch_kind_t kind, const char *who, int64_t t, int64_t as_of)
{
    char *ago = kw_words_ago(t, as_of), *text;
    const char *fmt;

    switch (kind) {
    /* TRANSLATORS: NAME (a teammate) talked to them N DAYS AGO */
    case KW_TEAM_TOUCH_EXCHANGE: fmt = _("%s talked to them %s"); break;
    /* TRANSLATORS: NAME (a colleague) wrote to them N DAYS AGO with you in copy */
    case KW_TEAM_TOUCH_COPIED: fmt = _("%s wrote to them %s with you in copy"); break;
    case KW_TEAM_TOUCH_CALL: fmt = _("%s called them %s"); break;
    case KW_TEAM_TOUCH_MEETING: fmt = _("%s met them %s"); break;
    case KW_TEAM_TOUCH_VISIT: fmt = _("%s visited them %s"); break;
    default: fmt = _("%s was in touch with them %s"); break;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* one of the literals above */
    text = g_strdup_printf(fmt, who, ago);
#pragma GCC diagnostic pop
    g_free(ago);
    return text;
}

char *kw_words_team_short(kw_team_touch_kind_t kind, const char *who, int64_t t, int64_t as_of)
{
    char *ago = kw_words_ago(t, as_of), *text;
    const char *what;

    switch (kind) {
    case KW_TEAM_TOUCH_EXCHANGE: what = C_("team touch", "exchange"); break;
    case KW_TEAM_TOUCH_COPIED: what = C_("team touch", "mail with you in copy"); break;
    case KW_TEAM_TOUCH_CALL: what = C_("team touch", "call"); break;
    case KW_TEAM_TOUCH_MEETING: what = C_("team touch", "meeting"); break;
    case KW_TEAM_TOUCH_VISIT: what = C_("team touch", "visit"); break;
    default: what = C_("team touch", "touch"); break;
    }
    /* TRANSLATORS: WHO: WHAT WHEN ("Jan Weber: call 3 days ago") */
    text = g_strdup_printf(_("%s: %s %s"), who, what, ago);
    g_free(ago);
    return text;
}

char *kw_words_reason(const kw_reason_t *r, int64_t as_of)
{
    GString *out = g_string_new(NULL);
    int name_first = 0, awaiting = 0;
    const char *with, *kind;
    char *ago, *date, *cad, *when;

    if (r->team_ok) {
        part(out, kw_words_team_touch(r->team_touch, kw_words_team_who(&r->team_member,
                                                                        r->team_member_id),
                                      r->team_last_touch, as_of));
        name_first = 1;
    } else if (r->state == KW_STATE_IGNORED) {
        part(out, g_strdup(_("ignored")));
    } else if (r->state == KW_STATE_SNOOZED) {
        date = kw_words_day(r->snoozed_until, as_of);
        part(out, g_strdup_printf(_("snoozed until %s"), date));
        g_free(date);
    } else if (r->state == KW_STATE_AWAITING_YOUR_REPLY) {
        char *first = waiting_first(r, as_of);
        when = waiting_when(r, as_of);
        if (first)
            /* TRANSLATORS: NAME wrote N TIMES since DATE and has no answer yet, last N DAYS AGO (DATE) */
            part(out, g_strdup_printf(NG_("%s wrote %d time since %s and has no answer yet, last %s",
                                          "%s wrote %d times since %s and has no answer yet, last %s",
                                          r->waiting_touches),
                                      name_of(&r->waiting_person, 1), r->waiting_touches, first, when));
        else
            /* TRANSLATORS: NAME wrote N DAYS AGO (DATE) and has no answer yet */
            part(out, g_strdup_printf(_("%s wrote %s and has no answer yet"),
                                      name_of(&r->waiting_person, 1), when));
        name_first = 1;
        awaiting = 1;
        g_free(when);
        g_free(first);
    } else if (r->state == KW_STATE_AWAITING_THEIR_REPLY) {
        char *first = waiting_first(r, as_of);
        when = waiting_when(r, as_of);
        if (first)
            /* TRANSLATORS: you wrote to NAME N TIMES since DATE with no reply yet, last N DAYS AGO (DATE) */
            part(out, g_strdup_printf(NG_("you wrote to %s %d time since %s with no reply yet, last %s",
                                          "you wrote to %s %d times since %s with no reply yet, last %s",
                                          r->waiting_touches),
                                      name_of(&r->waiting_person, 0), r->waiting_touches, first, when));
        else if (r->reply_samples >= 3 && !r->away_since)
            /* TRANSLATORS: you wrote to NAME N DAYS AGO (DATE) ... within N days */
            part(out, g_strdup_printf(NG_("you wrote to %s %s with no reply yet "
                                          "(you usually hear back within %d day)",
                                          "you wrote to %s %s with no reply yet "
                                          "(you usually hear back within %d days)",
                                          r->their_reply_days),
                                      name_of(&r->waiting_person, 0), when, r->their_reply_days));
        else
            part(out, g_strdup_printf(_("you wrote to %s %s with no reply yet"),
                                      name_of(&r->waiting_person, 0), when));
        g_free(when);
        g_free(first);
        if ((when = away_part(r, as_of)) != NULL)
            part(out, when);
        awaiting = 1;
    }

    if (r->planned_touch > as_of) {
        date = kw_words_date(r->planned_touch, as_of);
        switch (r->planned_source) {
        case KW_SOURCE_CALL:
            part(out, g_strdup_printf(_("call planned on %s"), date));
            break;
        case KW_SOURCE_VISIT:
            part(out, g_strdup_printf(_("visit planned on %s"), date));
            break;
        case KW_SOURCE_MEETING:
            /* TRANSLATORS: a meeting in the calendar on DATE */
            part(out, g_strdup_printf(_("meeting on %s"), date));
            break;
        default:
            part(out, g_strdup_printf(_("next contact planned on %s"), date));
            break;
        }
        g_free(date);
    }

    if (r->last_exchange) {
        ago = kw_words_ago(r->last_exchange, as_of);
        date = kw_words_date(r->last_exchange, as_of);
        with = name_of(&r->last_exchange_with, 0);
        /* a call, a meeting...: mail goes unnamed */
        kind = r->last_exchange_source != KW_SOURCE_MAIL ? kw_words_source(r->last_exchange_source)
                                                         : NULL;
        if (awaiting && r->rhythm_state == KW_STATE_OVERDUE)
            part(out, kind
                          /* TRANSLATORS: an owed reply that is overdue by the rhythm as well;
                           * last exchange N DAYS AGO (DATE, a CALL/MEETING/... with NAME) */
                          ? g_strdup_printf(_("overdue too: last exchange %s (%s, %s with %s)"),
                                            ago, date, kind, with)
                          /* TRANSLATORS: an owed reply that is overdue by the rhythm as well */
                          : g_strdup_printf(_("overdue too: last exchange %s (%s, with %s)"),
                                            ago, date, with));
        else if (awaiting && r->rhythm_state == KW_STATE_DUE_SOON)
            part(out, kind ? g_strdup_printf(_("due soon too: last exchange %s (%s, %s with %s)"),
                                             ago, date, kind, with)
                           : g_strdup_printf(_("due soon too: last exchange %s (%s, with %s)"),
                                             ago, date, with));
        else if (kind && r->team_ok)
            /* TRANSLATORS: (ok thanks to a teammate;) your last exchange N DAYS AGO
             * (DATE, a CALL/MEETING/... with NAME) */
            part(out, g_strdup_printf(_("your last exchange %s (%s, %s with %s)"), ago, date, kind,
                                      with));
        else if (kind)
            /* TRANSLATORS: last exchange N DAYS AGO (DATE, a CALL/MEETING/... with NAME) */
            part(out, g_strdup_printf(_("last exchange %s (%s, %s with %s)"), ago, date, kind, with));
        else if (r->team_ok)
            /* TRANSLATORS: (ok thanks to a teammate;) your last exchange N DAYS AGO (DATE, with NAME) */
            part(out, g_strdup_printf(_("your last exchange %s (%s, with %s)"), ago, date, with));
        else
            /* TRANSLATORS: last exchange N DAYS AGO (DATE, with NAME) */
            part(out, g_strdup_printf(_("last exchange %s (%s, with %s)"), ago, date, with));
        g_free(ago);
        g_free(date);
    } else if (r->last_inbound && !(r->waiting == KW_WAITING_ON_YOU &&
                                    days_between(r->waiting_last ? r->waiting_last : r->waiting_since,
                                                 as_of) == days_between(r->last_inbound, as_of))) {
        ago = kw_words_ago(r->last_inbound, as_of);
        part(out, g_strdup_printf(_("no two-way exchange yet, they last wrote %s"), ago));
        g_free(ago);
    } else if (r->last_inbound) {
        /* "X wrote 4 days ago and has no answer yet" said when they wrote */
        part(out, g_strdup(_("no two-way exchange yet")));
    } else {
        part(out, g_strdup(_("they never replied (a prospect, not a customer)")));
    }
    if (!awaiting && r->state != KW_STATE_SNOOZED && r->state != KW_STATE_IGNORED &&
        (when = away_part(r, as_of)) != NULL)
        part(out, when);

    /* The team touched them after you did, but not recently enough (or
     * they wait for your answer): worth knowing before writing. */
    if (!r->team_ok && r->team_last_touch > r->last_exchange && r->state != KW_STATE_IGNORED &&
        r->state != KW_STATE_SNOOZED)
        part(out, kw_words_team_touch(r->team_touch, kw_words_team_who(&r->team_member,
                                                                        r->team_member_id),
                                      r->team_last_touch, as_of));

    cad = kw_words_cadence(r->cadence_days);
    switch (r->cadence_source) {
    case KW_CADENCE_USER:
        part(out, g_strdup_printf(_("you chose to talk %s"), cad));
        break;
    case KW_CADENCE_LEARNED:
        part(out, g_strdup_printf(_("you usually talk %s"), cad));
        break;
    default:
        part(out, g_strdup_printf(_("too little history for a rhythm, so %s by default"), cad));
        break;
    }
    g_free(cad);

    if (r->exchanges > 0)
        part(out, g_strdup_printf(NG_("%d exchange since %d", "%d exchanges since %d",
                                      r->exchanges),
                                  r->exchanges, year_of(r->first_exchange)));
    g_string_append(out, _("."));

    /* A sentence starts with a capital, unless it starts with a name. */
    if (!name_first && out->len) {
        gunichar c = g_utf8_get_char(out->str);
        char buf[8];
        gint n = g_unichar_to_utf8(g_unichar_totitle(c), buf);
        const char *rest = g_utf8_next_char(out->str);
        char *tail = g_strdup(rest);
        g_string_truncate(out, 0);
        g_string_append_len(out, buf, n);
        g_string_append(out, tail);
        g_free(tail);
    }
    return g_string_free(out, FALSE);
}

char *kw_words_hint(const kw_relationship_t *rel, int64_t as_of)
{
    const kw_reason_t *r;
    const char *title;
    char *text = NULL, *d, *cad, *extra = NULL;
    int days;

    if (!rel || rel->state == KW_STATE_IGNORED || rel->state == KW_STATE_SNOOZED)
        return NULL;
    r = &rel->reason;
    title = rel->display_name && *rel->display_name ? rel->display_name : rel->key;
    /* an out-of-office answered your last mail: say so first, whatever the
     * rhythm says (they cannot answer before they are back) */
    if (r->away_since && rel->state != KW_STATE_AWAITING_YOUR_REPLY) {
        int64_t mail = r->waiting_last ? r->waiting_last
                       : r->waiting_since ? r->waiting_since : rel->last_outbound;
        char *date = kw_words_date(mail, as_of);
        const char *who = name_of(&r->away_person, 1);
        if (r->away_until) {
            int64_t back = r->away_until + (r->away_until_is_return ? 0 : DAY);
            char *until = kw_words_day(back > as_of ? r->away_until : back, as_of);
            if (back <= as_of)
                /* TRANSLATORS: TITLE — NAME should be back since DAY (...); ... of DATE */
                text = g_strdup_printf(_("%s — %s should be back since %s (automatic reply); "
                                         "your mail of %s has no answer yet"),
                                       title, who, until, date);
            else if (r->away_until_is_return)
                text = g_strdup_printf(_("%s — %s is away, back on %s (automatic reply); "
                                         "your mail of %s has no answer yet"),
                                       title, who, until, date);
            else
                /* TRANSLATORS: TITLE — NAME is away until DAY (automatic reply); ... of DATE */
                text = g_strdup_printf(_("%s — %s is away until %s (automatic reply); "
                                         "your mail of %s has no answer yet"),
                                       title, who, until, date);
            g_free(until);
        } else {
            text = g_strdup_printf(_("%s — %s is away (automatic reply); your mail of %s has no "
                                     "answer yet"), title, who, date);
        }
        g_free(date);
        return text;
    }
    if (rel->state == KW_STATE_AWAITING_YOUR_REPLY || rel->state == KW_STATE_AWAITING_THEIR_REPLY) {
        int64_t since = r->waiting_since;
        int yours = rel->state == KW_STATE_AWAITING_YOUR_REPLY;
        days = since > 0 && as_of > since ? (int) ((as_of - since) / DAY) : 0;
        if (r->rhythm_state == KW_STATE_OVERDUE && rel->last_touch > 0) {
            d = kw_words_ago(rel->last_touch, as_of);
            /* TRANSLATORS: appended to a hint: "; overdue too: last exchange N DAYS AGO" */
            extra = g_strdup_printf(_("; overdue too: last exchange %s"), d);
            g_free(d);
        }
        if (days == 0)
            text = g_strdup_printf(yours ? _("%s — awaiting your reply since today")
                                         : _("%s — awaiting their reply since today"),
                                   title);
        else
            /* TRANSLATORS: NAME — awaiting your reply for N days */
            text = g_strdup_printf(yours ? NG_("%s — awaiting your reply for %d day",
                                               "%s — awaiting your reply for %d days", days)
                                         : NG_("%s — awaiting their reply for %d day",
                                               "%s — awaiting their reply for %d days", days),
                                   title, days);
        if (extra) {
            char *t = g_strconcat(text, extra, NULL);
            g_free(text);
            g_free(extra);
            text = t;
        }
        return text;
    }
    if (rel->reason.team_ok) {
        char *team = kw_words_team_touch(rel->reason.team_touch,
                                         kw_words_team_who(&rel->reason.team_member,
                                                           rel->reason.team_member_id),
                                         rel->reason.team_last_touch, as_of);
        /* TRANSLATORS: NAME — what the team did ("ACME — Jan Weber talked to them 3 days ago") */
        text = g_strdup_printf(_("%s — %s"), title, team);
        g_free(team);
        return text;
    }
    if (rel->last_touch <= 0)
        return g_strdup_printf(_("%s — no two-way exchange yet"), title);
    d = kw_words_ago(rel->last_touch, as_of);
    cad = kw_words_cadence(rel->cadence_days);
    /* TRANSLATORS: NAME — last exchange N DAYS AGO; you usually talk EVERY ... */
    text = g_strdup_printf(_("%s — last exchange %s; you usually talk %s"), title, d, cad);
    g_free(d);
    g_free(cad);
    return text;
}

kw_hint_action_t kw_words_hint_action(const kw_relationship_t *rel)
{
    if (!rel)
        return KW_HINT_NONE;
    switch (rel->state) {
    case KW_STATE_OVERDUE:
    case KW_STATE_DUE_SOON:             return KW_HINT_WRITE;
    case KW_STATE_AWAITING_YOUR_REPLY:  return KW_HINT_REPLY;
    case KW_STATE_AWAITING_THEIR_REPLY: return KW_HINT_SNOOZE_WEEK;
    case KW_STATE_OK:                   return KW_HINT_DETAILS;
    default:                            return KW_HINT_NONE;
    }
}

int64_t kw_words_back_on(const kw_relationship_t *rel, int64_t as_of)
{
    int64_t back;
    if (!rel || !rel->reason.away_since || !rel->reason.away_until)
        return 0;
    back = rel->reason.away_until + (rel->reason.away_until_is_return ? 0 : DAY);
    return back > as_of ? back : 0;
}

void kw_words_hint_actions(const kw_relationship_t *rel, int64_t as_of, kw_hint_action_t *first,
                           kw_hint_action_t *second)
{
    *first = *second = KW_HINT_NONE;
    if (!rel)
        return;
    switch (rel->state) {
    case KW_STATE_OVERDUE:
    case KW_STATE_DUE_SOON:
    case KW_STATE_OK:
        if (kw_words_back_on(rel, as_of)) { /* away: wait until they are back */
            *first = KW_HINT_SNOOZE_BACK;
            *second = KW_HINT_WRITE;
        } else if (rel->state == KW_STATE_OK) {
            *first = KW_HINT_DETAILS;
        } else {
            *first = KW_HINT_WRITE;
            *second = KW_HINT_SNOOZE_WEEK;
        }
        break;
    case KW_STATE_AWAITING_YOUR_REPLY:
        *first = KW_HINT_REPLY;
        *second = KW_HINT_SETTLE;
        break;
    case KW_STATE_AWAITING_THEIR_REPLY:
        if (kw_words_back_on(rel, as_of)) {
            *first = KW_HINT_SNOOZE_BACK;
            *second = KW_HINT_FOLLOW_UP;
        } else {
            *first = KW_HINT_FOLLOW_UP;
            *second = KW_HINT_SNOOZE_WEEK;
        }
        break;
    default:
        break;
    }
}

const char *kw_words_hint_action_label(kw_hint_action_t action)
{
    switch (action) {
    case KW_HINT_WRITE:       return _("Write…");
    case KW_HINT_REPLY:       return _("Reply");
    case KW_HINT_SNOOZE_WEEK: return _("Snooze 1 week");
    case KW_HINT_DETAILS:     return _("Details…");
    case KW_HINT_FOLLOW_UP:   return _("Follow up…");
    case KW_HINT_SETTLE:      return _("No reply needed");
    case KW_HINT_SNOOZE_BACK: return _("Snooze until back");
    default:                  return NULL;
    }
}

char *kw_words_people(char *const *people, int max)
{
    GString *out = g_string_new(NULL);
    int n = 0;

    if (max <= 0)
        max = 2;
    for (; people && people[n]; n++) {
        if (n >= max)
            continue;
        if (out->len)
            g_string_append(out, ", ");
        g_string_append(out, people[n]);
    }
    if (n > max) {
        char *more = g_strdup_printf(NG_("+%d more", "+%d more", n - max), n - max);
        g_string_append_printf(out, " %s", more);
        g_free(more);
    }
    return g_string_free(out, FALSE);
}

char *kw_words_people_names(const kw_relationship_t *rel, int max)
{
    GString *out = g_string_new(NULL);
    int n = 0;

    if (max <= 0)
        max = 2;
    for (; rel && rel->people && rel->people[n]; n++) {
        const char *name = rel->people_names && rel->people_names[n] && *rel->people_names[n]
                               ? rel->people_names[n] : rel->people[n];
        if (n >= max)
            continue;
        if (out->len)
            g_string_append(out, ", ");
        g_string_append(out, name);
    }
    if (n > max) {
        char *more = g_strdup_printf(NG_("+%d more", "+%d more", n - max), n - max);
        g_string_append_printf(out, " %s", more);
        g_free(more);
    }
    return g_string_free(out, FALSE);
}

char *kw_words_target(const kw_target_t *t)
{
    const char *name = t->display_name;
    if (!name || !*name || strcmp(name, t->key) == 0)
        return g_strdup(t->key);
    if (t->kind == KW_TARGET_PERSON)
        return g_strdup_printf("%s <%s>", name, t->key);
    return g_strdup_printf("%s (%s)", name, t->key);
}

char *kw_words_who(const kw_relationship_t *rel)
{
    const char *name = rel->display_name;
    if (!name || !*name || strcmp(name, rel->key) == 0)
        return g_strdup(rel->key);
    if (rel->kind == KW_TARGET_PERSON)
        return g_strdup_printf("%s <%s>", name, rel->key);
    return g_strdup_printf("%s (%s)", name, rel->key);
}
