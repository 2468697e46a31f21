/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_words_today.c — the words of the daily routine (see kw_words.h): the
 * progress line, why an item is listed, how it was handled, kinds of
 * touches, tiers. Through the "keepwarm" text domain, like kw_words.c. */
#define GETTEXT_PACKAGE KW_TEXT_DOMAIN
#include <glib/gi18n-lib.h>
#include <string.h>

#include "words/kw_words.h"

#define NG_(s, p, n) g_dngettext(GETTEXT_PACKAGE, (s), (p), (gulong) (n))

char *kw_words_progress(int done, int size, int streak, int minutes_left)
{
    GString *out = g_string_new(NULL);

    if (size <= 0)
        g_string_append(out, _("Today: nothing to do"));
    else
        /* TRANSLATORS: the day's list: N of M done */
        g_string_append_printf(out, NG_("Today: %d of %d done", "Today: %d of %d done", size),
                               done, size);
    if (streak > 0) {
        /* TRANSLATORS: a run of N working days with the list done */
        g_string_append(out, _(" · "));
        g_string_append_printf(out, NG_("%d-day streak", "%d-day streak", streak), streak);
    }
    if (size > 0) {
        g_string_append(out, _(" · "));
        if (done >= size || minutes_left <= 0)
            g_string_append(out, _("all done"));
        else
            g_string_append_printf(out, NG_("about %d minute left", "about %d minutes left",
                                            minutes_left),
                                   minutes_left);
    }
    return g_string_free(out, FALSE);
}

const char *kw_words_slot(kw_slot_t slot)
{
    switch (slot) {
    case KW_SLOT_OWED:         return _("reply owed");
    case KW_SLOT_OVERDUE:      return _("overdue");
    case KW_SLOT_REACTIVATION: return _("win back");
    default:                   return "?";
    }
}

const char *kw_words_how(kw_how_t how)
{
    switch (how) {
    case KW_HOW_MAIL:    return _("wrote");
    case KW_HOW_CALL:    return _("called");
    case KW_HOW_MEETING: return _("met");
    case KW_HOW_VISIT:   return _("visited");
    case KW_HOW_OTHER:   return C_("item", "done");
    case KW_HOW_SKIPPED: return _("skipped");
    default:             return "";
    }
}

const char *kw_words_source(kw_source_t source)
{
    switch (source) {
    case KW_SOURCE_MAIL:    return _("mail");
    case KW_SOURCE_CALL:    return _("call");
    case KW_SOURCE_MEETING: return _("meeting");
    case KW_SOURCE_VISIT:   return _("visit");
    case KW_SOURCE_OTHER:   return C_("touch", "other");
    default:                return "?";
    }
}

const char *kw_words_tier(kw_tier_t tier)
{
    /* the letters sellers know, in every language (no call into the
     * library: the plugin's view test links the words alone) */
    switch (tier) {
    case KW_TIER_A: return "A";
    case KW_TIER_B: return "B";
    case KW_TIER_C: return "C";
    default:        return "";
    }
}

char *kw_words_streak(int days)
{
    return g_strdup_printf(NG_("%d day", "%d days", days), days);
}
