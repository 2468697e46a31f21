/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_touches.c — touches outside mail and importance: `log` (a call,
 * meeting, visit; --undo), `touches` (what was logged or imported for a
 * target), `import-ics` (calendars), `tier` (A/B/C, and suggestions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"



/* ------------------------------------------------------------------------ */
/* log                                                                       */
/* ------------------------------------------------------------------------ */

int kw_cli_touch_time(const char *text, int64_t now, int64_t *out)
{
    kw_day_t day;
    int is_day;

    if (!text) {
        *out = now;
        return 0;
    }
    if (kw_cli_read_day(text, now, out, &day, &is_day) != KW_INPUT_OK)
        return -1;
    if (is_day)
        *out = day.start <= now && now < day.end ? now : day.start + (day.end - day.start) / 2;
    return 0;
}

int kw_cmd_log(kw_cli_t *cli, int argc, char **argv)
{
    char *date_text = NULL, *note = NULL, *error = NULL;
    gint64 undo = 0;
    int rc;
    GOptionEntry entries[] = {
        { "date", 0, 0, G_OPTION_ARG_STRING, &date_text, N_("When it was (default: now; a DATE alone: that day; a later date plans it)"), N_("DATE") },
        { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_("What it was about"), N_("TEXT") },
        { "undo", 0, 0, G_OPTION_ARG_INT64, &undo, N_("Remove the logged touch ID (see 'keepwarm touches')"), N_("ID") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    kw_source_t kind = KW_SOURCE_OTHER;
    int64_t when = 0, id = 0;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "log", _("TARGET call|meeting|visit|other"),
                              _("Record a call, meeting or visit: a two-way touch, like an "
                                "exchange of mail (it resets the clock and teaches the rhythm)."),
                              _("With an organisation it is recorded with the person you write to "
                                "there. It ticks the item of the day's list. 'keepwarm log --undo "
                                "ID' removes it again."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (undo) {
        kw_logged_touch_t *gone = NULL;
        if (argc > 1) {
            rc = kw_cli_usage_error("log", _("--undo takes only the ID"));
            goto done;
        }
        if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store)))
            goto done;
        st = kw_unlog_touch(store, (int64_t) undo, &gone, &error);
        if (st != KW_OK) {
            rc = kw_cli_fail_free(st, error);
            goto done;
        }
        {
            char *day = kw_cli_iso_day(gone->time), *who = kw_cli_clean(gone->address);
            printf(_("Removed the %s with %s on %s (id %lld).\n"),
                   kw_words_source(gone->source), who ? who : "?", day, (long long) undo);
            if (gone->from_calendar)
                printf(_("It came from a calendar: importing that calendar again brings it back.\n"));
            g_free(day);
            g_free(who);
        }
        kw_logged_touch_free(gone);
        fflush(stdout);
        kw_cli_team_after_action(cli, store); /* the team's copy goes too */
        rc = KW_EXIT_OK;
        goto done;
    }
    if (argc != 3) {
        rc = kw_cli_usage_error("log", argc < 3 ? _("usage: keepwarm log TARGET call|meeting|visit|other")
                                                : _("too many arguments (usage: keepwarm log TARGET KIND)"));
        goto done;
    }
    if (kw_source_from_string(argv[2], &kind) != KW_OK || kind == KW_SOURCE_MAIL) {
        rc = kw_cli_usage_error("log", _("'%s' is not call, meeting, visit or other"), argv[2]);
        goto done;
    }
    if (kw_cli_touch_time(date_text, (int64_t) time(NULL), &when) != 0) {
        rc = kw_cli_usage_error("log", _("--date: not a date: '%s' (use 2024-03-01, "
                                         "01.03.2024, 2024-03-01T10:00:00Z or now)"),
                                date_text);
        goto done;
    }
    if ((rc = kw_cli_open_target(cli, argv[1], &store, &target)))
        goto done;
    st = kw_log_touch(store, target->key, kind, when, note, &id, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    {
        char *day = kw_cli_iso_day(when), *who = kw_cli_target_words(target);
        printf(when > (int64_t) time(NULL) ? _("Planned a %s with %s on %s (id %lld; undo: keepwarm log --undo %lld).\n")
                                           : _("Logged a %s with %s on %s (id %lld; undo: keepwarm log --undo %lld).\n"),
               kw_words_source(kind), who, day, (long long) id, (long long) id);
        g_free(day);
        g_free(who);
    }
    fflush(stdout);
    kw_cli_team_after_action(cli, store); /* the team sees the kind and the time, never the note */
    rc = KW_EXIT_OK;
done:
    kw_target_free(target);
    kw_store_close(store);
    g_free(date_text);
    g_free(note);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* touches                                                                   */
/* ------------------------------------------------------------------------ */

int kw_cmd_touches(kw_cli_t *cli, int argc, char **argv)
{
    char *format_text = NULL, *as_of_text = NULL, *error = NULL;
    int rc;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|json" },
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("Compute the model as of DATE (default: now)"), N_("DATE") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_model_options_t mo = { .as_of = (int64_t) time(NULL) };
    kw_day_t as_of_day;
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_logged_touch_list_t *list = NULL;
    kw_target_t *target = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "touches", _("TARGET"),
                              _("The calls, meetings and visits logged or imported for a contact "
                                "or organisation, planned ones included, newest first."),
                              NULL, entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc != 2) {
        rc = kw_cli_usage_error("touches", "%s", argc < 2 ? _("which contact or organisation? (an address, a domain or a name)")
                                                          : _("only one TARGET, please (quote a name with spaces)"));
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_JSON,
                                           &format) != 0) {
        rc = kw_cli_usage_error("touches", _("--format: use table or json, not '%s'"), format_text);
        goto done;
    }
    if (as_of_text && (rc = kw_cli_parse_day("touches", as_of_text, &mo.as_of, &as_of_day)))
        goto done;
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_model_load(store, &mo, &model, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if ((rc = kw_cli_resolve(model, argv[1], &target)))
        goto done;
    st = kw_model_logged_touches(model, target->key, &list, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON) {
        JsonBuilder *b = json_builder_new();
        JsonNode *root;
        json_builder_begin_array(b);
        for (size_t i = 0; i < list->count; i++) {
            const kw_logged_touch_t *t = &list->items[i];
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "id");
            json_builder_add_int_value(b, t->id);
            kw_json_member_string(b, "kind", kw_source_to_string(t->source));
            kw_json_member_time(b, "time", t->time);
            json_builder_set_member_name(b, "planned");
            json_builder_add_boolean_value(b, t->time > mo.as_of);
            kw_json_member_string(b, "address", t->address);
            kw_json_member_string(b, "target", t->target);
            kw_json_member_string(b, "note", t->note);
            kw_json_member_string(b, "origin", t->from_calendar ? "calendar" : "logged");
            kw_json_member_string(b, "calendar_uid", t->calendar_uid);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        root = json_builder_get_root(b);
        kw_cli_print_json(stdout, root);
        json_node_unref(root);
        g_object_unref(b);
    } else if (list->count == 0) {
        puts(_("No call, meeting or visit recorded. (keepwarm log TARGET call)"));
    } else {
        const char *h[] = { _("ID"), _("WHEN"), _("KIND"), _("WITH"), _("FROM"), _("NOTE") };
        kw_table_t *tab = kw_table_new(6, h);
        for (size_t i = 0; i < list->count; i++) {
            const kw_logged_touch_t *t = &list->items[i];
            char *id = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) t->id);
            char *day = kw_cli_iso_day(t->time), *ago = kw_words_ago(t->time, mo.as_of);
            char *when = g_strdup_printf("%s (%s)", day, ago);
            const char *cells[6] = { id, when, kw_words_source(t->source), t->address,
                                     t->from_calendar ? _("calendar") : _("logged"),
                                     t->note ? t->note : "" };
            kw_table_add_row(tab, t->time > mo.as_of ? "36" : NULL, cells);
            g_free(id);
            g_free(day);
            g_free(ago);
            g_free(when);
        }
        kw_table_shrink(tab, 5, 20, 0); /* the note gives way first */
        kw_table_print(tab, cli, stdout, 0);
        kw_table_free(tab);
    }
    rc = KW_EXIT_OK;
done:
    kw_target_free(target);
    kw_logged_touch_list_free(list);
    kw_model_free(model);
    kw_store_close(store);
    g_free(format_text);
    g_free(as_of_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* import-ics                                                                */
/* ------------------------------------------------------------------------ */

/* The local zone's name ("Europe/Berlin"), for times without one; NULL
 * when it has none the zone database knows (transfer full). */
static char *local_zone_name(void)
{
    GTimeZone *tz = g_time_zone_new_local();
    const char *id = g_time_zone_get_identifier(tz);
    char *name = id && strchr(id, '/') && id[0] != '/' && id[0] != ':' ? g_strdup(id) : NULL;
    g_time_zone_unref(tz);
    return name;
}

int kw_cmd_import_ics(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *error = NULL, *zone = NULL;
    int past = 0, future = 0, quiet = 0, rc, bad = 0;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("Read the calendar around DATE (default: now)"), N_("DATE") },
        { "past-days", 0, 0, G_OPTION_ARG_INT, &past, N_("How far back occurrences are read (default: 730)"), N_("DAYS") },
        { "future-days", 0, 0, G_OPTION_ARG_INT, &future, N_("How far ahead planned meetings are read (default: 90)"), N_("DAYS") },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Print only errors"), NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_ics_options_t o = { 0 };
    kw_store_t *store = NULL;
    kw_day_t day;

    rc = kw_cli_parse_options(cli, "import-ics", _("FILE..."),
                              _("Import iCalendar files: meetings with your contacts become "
                                "touches, future ones planned touches."),
                              _("An event counts when its organizer or an attendee is a contact "
                                "keepwarm knows (not you, not a colleague). Recurring events are "
                                "expanded, time zones honoured; cancelled events and those you "
                                "declined are left out. Importing a file again changes only what "
                                "changed in it. A malformed file is refused as a whole, naming the "
                                "line; the other files are still imported (exit code 2)."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc < 2) {
        rc = kw_cli_usage_error("import-ics", _("which calendar file(s)?"));
        goto done;
    }
    if (past < 0 || future < 0 || past > 3650 || future > 3650) {
        rc = kw_cli_usage_error("import-ics", _("--past-days and --future-days: 0 to 3650"));
        goto done;
    }
    if ((rc = kw_cli_parse_day("import-ics", as_of_text, &o.as_of, &day)))
        goto done;
    o.past_days = past;
    o.future_days = future;
    zone = local_zone_name();
    o.floating_tzid = zone;
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store)))
        goto done;
    for (int i = 1; i < argc; i++) {
        kw_ics_report_t r;
        kw_status_t st = kw_import_ics(store, argv[i], &o, &r, &error);
        char *file = kw_cli_clean(argv[i]);
        if (st == KW_ERR_USAGE || st == KW_ERR_NOT_FOUND) {
            kw_cli_fail(st, error);
            kw_free(error);
            error = NULL;
            bad = 1;
        } else if (st != KW_OK) {
            rc = kw_cli_fail_free(st, error);
            g_free(file);
            goto done;
        } else if (!quiet) {
            /* TRANSLATORS: FILE: N events, N occurrences with your contacts: ... */
            printf(_("%s: %d events, %d occurrences, %d with your contacts: %d added, %d moved, "
                     "%d removed, %d unchanged (%d cancelled, %d declined)\n"),
                   file, r.events, r.occurrences, r.with_contacts, r.added, r.updated, r.removed,
                   r.unchanged, r.cancelled, r.declined);
        }
        g_free(file);
    }
    fflush(stdout);
    kw_cli_team_after_action(cli, store); /* meetings that took place are shared */
    rc = bad ? KW_EXIT_USAGE : KW_EXIT_OK;
done:
    kw_store_close(store);
    g_free(zone);
    g_free(as_of_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* tier                                                                      */
/* ------------------------------------------------------------------------ */

static int suggest(kw_cli_t *cli, int apply)
{
    kw_model_options_t mo = { .as_of = (int64_t) time(NULL) };
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_tier_suggestion_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;
    int rc, changes = 0;

    if ((rc = kw_cli_open_store(cli, apply ? KW_STORE_READ_WRITE : KW_STORE_READ_ONLY, &store)))
        return rc;
    st = kw_model_load(store, &mo, &model, &error);
    if (st == KW_OK)
        st = kw_model_suggest_tiers(model, &list, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    {
        const char *h[] = { _("SUGGESTED"), _("NOW"), _("EXCHANGES"), _("WHO") };
        kw_table_t *tab = kw_table_new(4, h);
        for (size_t i = 0; i < list->count; i++) {
            const kw_tier_suggestion_t *t = &list->items[i];
            char *n = g_strdup_printf("%d", t->exchanges);
            char *who = t->display_name && strcmp(t->display_name, t->key) != 0
                            ? g_strdup_printf("%s (%s)", t->display_name, t->key) : g_strdup(t->key);
            const char *cells[4] = { kw_tier_to_string(t->suggested),
                                     t->current ? kw_tier_to_string(t->current) : "-", n, who };
            kw_table_add_row(tab, t->current == KW_TIER_NONE ? NULL : "2", cells);
            if (t->current == KW_TIER_NONE)
                changes++;
            g_free(n);
            g_free(who);
        }
        kw_table_shrink(tab, 3, 16, 0);
        kw_table_print(tab, cli, stdout, 0);
        kw_table_free(tab);
    }
    if (!apply && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && changes) {
        char answer[16] = "";
        printf(g_dngettext(GETTEXT_PACKAGE, "Set the suggested tier for the %d relationship without one? [y/N] ",
                           "Set the suggested tiers for the %d relationships without one? [y/N] ",
                           (gulong) changes), changes);
        fflush(stdout);
        if (fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y' ||
                                                    answer[0] == 'j' || answer[0] == 'J')) {
            kw_model_free(model);
            model = NULL;
            kw_store_close(store);
            store = NULL;
            if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store)))
                goto done;
            apply = 1;
        }
    }
    if (apply) {
        int n = 0;
        for (size_t i = 0; i < list->count; i++) {
            const kw_tier_suggestion_t *t = &list->items[i];
            if (t->current != KW_TIER_NONE)
                continue; /* the user's choice stays */
            st = kw_set_tier(store, t->key, t->suggested, &error);
            if (st != KW_OK) {
                rc = kw_cli_fail_free(st, error);
                goto done;
            }
            n++;
        }
        printf(g_dngettext(GETTEXT_PACKAGE, "Tier set for %d relationship (those with one kept theirs).\n",
                           "Tiers set for %d relationships (those with one kept theirs).\n",
                           (gulong) n), n);
        fflush(stdout);
        kw_cli_team_after_action(cli, store); /* a tier's rhythm is shared */
    } else if (changes) {
        printf(_("Nothing changed: 'keepwarm tier --suggest --apply' sets these, or set one with "
                 "'keepwarm tier TARGET A|B|C'.\n"));
    }
    rc = KW_EXIT_OK;
done:
    kw_tier_suggestion_list_free(list);
    kw_model_free(model);
    kw_store_close(store);
    return rc;
}

int kw_cmd_tier(kw_cli_t *cli, int argc, char **argv)
{
    int do_suggest = 0, apply = 0, rc;
    GOptionEntry entries[] = {
        { "suggest", 0, 0, G_OPTION_ARG_NONE, &do_suggest, N_("Suggest tiers from volume: the top 20% by exchanges A, the next 30% B, the rest C"), NULL },
        { "apply", 0, 0, G_OPTION_ARG_NONE, &apply, N_("With --suggest: set them for relationships without a tier"), NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    kw_tier_t tier;
    char *error = NULL, *who;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "tier", _("TARGET A|B|C|none"),
                              _("Set how important a customer is (the ABC classification)."),
                              _("A comes first in the day's list; while a relationship has too "
                                "little history to learn its rhythm, A assumes every month, B every "
                                "two months, C every four. A person without a tier has their "
                                "organisation's. 'keepwarm overdue --tier A' lists one tier."),
                              entries, &argc, &argv);
    if (rc)
        return rc;
    if (do_suggest || apply) {
        if (argc > 1)
            return kw_cli_usage_error("tier", _("--suggest takes no TARGET"));
        return suggest(cli, apply);
    }
    if (argc != 3)
        return kw_cli_usage_error("tier", _("usage: keepwarm tier TARGET A|B|C|none, or keepwarm tier --suggest"));
    if (kw_tier_from_string(argv[2], &tier) != KW_OK)
        return kw_cli_usage_error("tier", _("a tier is A, B, C or none, not '%s'"), argv[2]);
    if ((rc = kw_cli_open_target(cli, argv[1], &store, &target)))
        return rc;
    st = kw_set_tier(store, target->key, tier, &error);
    if (st == KW_OK)
        kw_cli_team_after_action(cli, store); /* a tier's rhythm is shared */
    kw_store_close(store);
    who = kw_cli_target_words(target);
    kw_target_free(target);
    if (st != KW_OK) {
        g_free(who);
        return kw_cli_fail_free(st, error);
    }
    if (tier == KW_TIER_NONE)
        printf(_("%s has no tier now. 'keepwarm undo' takes it back.\n"), who);
    else
        printf(_("%s is tier %s (a rhythm of %d days while its history is thin). "
                 "'keepwarm undo' takes it back.\n"), who, kw_tier_to_string(tier),
               kw_tier_default_cadence(tier));
    g_free(who);
    return KW_EXIT_OK;
}
