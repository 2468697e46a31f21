/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_today.c — the daily routine on the command line: `today` (the day's
 * short list, what is done, the streak), `done` and `skip` (marks),
 * `review` (week by week), and the routine's settings of `config`.
 *
 * Days are the user's calendar days in the local time zone (TZ). A DATE
 * given alone (--as-of 2024-03-01) means that day as a whole: the model as
 * of its end (or now, for today), so that a day can be replayed after the
 * fact; a time (2024-03-01T10:00:00Z, now, @1700000000) is taken as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

/* ------------------------------------------------------------------------ */
/* Days                                                                      */
/* ------------------------------------------------------------------------ */

/* The start of the local day y-m-d. */
static int64_t local_midnight(int y, int m, int d)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (int64_t) mktime(&tm);
}

kw_input_status_t kw_cli_read_day(const char *text, int64_t now, int64_t *when, kw_day_t *day,
                                  int *is_day)
{
    GDateTime *local = g_date_time_new_from_unix_local(now), *named;
    int64_t t = 0, offset = local ? g_date_time_get_utc_offset(local) / G_USEC_PER_SEC : 0;
    kw_input_status_t st;

    if (local)
        g_date_time_unref(local);
    *is_day = 0;
    /* a day named as seen from the user's clock ("tomorrow" after 23:00 in
     * Berlin is the day after the local today), as kw_input counts days in
     * UTC: read with the local wall time as "now" */
    st = kw_input_when_day(text, now + offset, &t, is_day);
    if (st == KW_INPUT_OK && *is_day) {
        named = g_date_time_new_from_unix_utc(t);
        kw_day_local(local_midnight(g_date_time_get_year(named), g_date_time_get_month(named),
                                    g_date_time_get_day_of_month(named)) + 12 * 3600, day);
        g_date_time_unref(named); /* noon above: never in a DST gap */
        *when = day->start;
        return st;
    }
    st = kw_input_when(text, now, &t); /* a moment, or now plus a duration */
    if (st == KW_INPUT_OK && t <= 0)
        st = KW_INPUT_RANGE;
    if (st == KW_INPUT_OK) {
        *when = t;
        kw_day_local(t, day);
    }
    return st;
}

int kw_cli_parse_day(const char *cmd, const char *text, int64_t *when, kw_day_t *day)
{
    int64_t now = (int64_t) time(NULL);
    int is_day;

    if (!text) {
        *when = now;
        kw_day_local(now, day);
        return 0;
    }
    if (kw_cli_read_day(text, now, when, day, &is_day) != KW_INPUT_OK)
        return kw_cli_usage_error(cmd, _("--as-of: not a date: '%s' (use 2024-03-01, "
                                         "01.03.2024, 2024-03-01T10:00:00Z or now)"), text);
    if (is_day)
        *when = kw_cli_day_as_of(day, now);
    return 0;
}

int64_t kw_cli_day_as_of(const kw_day_t *day, int64_t now)
{
    /* the day as a whole: as of its end, or now while it lasts */
    return day->end <= now ? day->end - 1 : day->start <= now ? now : day->start;
}

/* "Fri, Mar 1" in the user's language (transfer full). */
static char *day_title(const kw_day_t *day)
{
    GDateTime *dt = g_date_time_new_local(day->year, day->month, day->day, 12, 0, 0);
    /* TRANSLATORS: strftime() format of the day's list title ("Fri, Mar 1") */
    char *s = dt ? g_date_time_format(dt, C_("date", "%a, %b %-d")) : NULL;
    if (dt)
        g_date_time_unref(dt);
    return s ? s : g_strdup_printf("%04d-%02d-%02d", day->year, day->month, day->day);
}

/* ------------------------------------------------------------------------ */
/* today                                                                     */
/* ------------------------------------------------------------------------ */

static int minutes_left(const kw_today_t *t)
{
    return (t->size - t->done) * t->minutes_per_item;
}

char *kw_cli_today_progress(const kw_today_t *t)
{
    return kw_words_progress(t->done, t->size, t->streak, minutes_left(t));
}

static const char *how_cell(const kw_today_item_t *it)
{
    return kw_words_how(it->how);
}

static char *item_reason(const kw_today_item_t *it, int64_t as_of)
{
    return it->rel ? kw_words_reason(&it->rel->reason, as_of) : g_strdup("");
}

JsonNode *kw_cli_today_json(const kw_today_t *t, int64_t as_of)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    char *progress = kw_cli_today_progress(t);

    json_builder_begin_object(b);
    kw_json_member_string(b, "date", t->date);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, t->size);
    json_builder_set_member_name(b, "done");
    json_builder_add_int_value(b, t->done);
    json_builder_set_member_name(b, "streak");
    json_builder_add_int_value(b, t->streak);
    json_builder_set_member_name(b, "longest_streak");
    json_builder_add_int_value(b, t->longest_streak);
    json_builder_set_member_name(b, "minutes_left");
    json_builder_add_int_value(b, minutes_left(t));
    kw_json_member_string(b, "progress", progress);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (size_t i = 0; i < t->count; i++) {
        const kw_today_item_t *it = &t->items[i];
        char *reason = item_reason(it, as_of);
        json_builder_begin_object(b);
        kw_json_member_string(b, "kind", it->kind == KW_TARGET_ORG ? "org" : "person");
        kw_json_member_string(b, "key", it->key);
        kw_json_member_string(b, "name", it->display_name);
        kw_json_member_string(b, "state", kw_state_to_string(it->state));
        kw_json_member_string(b, "state_text", kw_words_state(it->state));
        kw_json_member_string(b, "slot", kw_slot_to_string(it->slot));
        kw_json_member_string(b, "slot_text", kw_words_slot(it->slot));
        kw_json_member_string(b, "reason", reason);
        json_builder_set_member_name(b, "done");
        json_builder_add_boolean_value(b, it->how != KW_HOW_NOT_YET);
        kw_json_member_string(b, "how", kw_how_to_string(it->how));
        kw_json_member_time(b, "done_at", it->done_at);
        kw_json_member_string(b, "main_person", it->rel ? it->rel->main_person : NULL);
        kw_json_member_string(b, "tier", it->rel && it->rel->tier ? kw_tier_to_string(it->rel->tier)
                                                                  : NULL);
        json_builder_end_object(b);
        g_free(reason);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    g_free(progress);
    return root;
}

static void print_today_json(const kw_today_t *t, int64_t as_of)
{
    JsonNode *root = kw_cli_today_json(t, as_of);
    kw_cli_print_json(stdout, root);
    json_node_unref(root);
}

static void print_today_tsv(const kw_cli_t *cli, const kw_today_t *t, int64_t as_of)
{
    static const char *const h[] = { "date", "done", "how", "slot", "kind", "key", "name", "state",
                                     "reason" };
    kw_table_t *tab = kw_table_new(9, h);
    for (size_t i = 0; i < t->count; i++) {
        const kw_today_item_t *it = &t->items[i];
        char *reason = item_reason(it, as_of);
        const char *how = kw_how_to_string(it->how);
        const char *cells[9] = { t->date, it->how ? "1" : "0", how ? how : "",
                                 kw_slot_to_string(it->slot),
                                 it->kind == KW_TARGET_ORG ? "org" : "person", it->key,
                                 it->display_name, kw_state_to_string(it->state), reason };
        kw_table_add_row(tab, NULL, cells);
        g_free(reason);
    }
    kw_table_print(tab, cli, stdout, 1);
    kw_table_free(tab);
}

static void print_today_table(const kw_cli_t *cli, const kw_today_t *t, const kw_day_t *day,
                              int64_t as_of)
{
    char *progress = kw_cli_today_progress(t), *title = day_title(day);
    printf("%s — %s\n", title, progress);
    g_free(progress);
    g_free(title);
    if (t->count == 0) {
        puts(_("Nothing needs you today: no reply owed, nothing overdue."));
        return;
    }
    putchar('\n');
    {
        const char *h[] = { _("DONE"), _("FOR"), _("WHO"), _("STATE"), _("WHY") };
        kw_table_t *tab = kw_table_new(5, h);
        for (size_t i = 0; i < t->count; i++) {
            const kw_today_item_t *it = &t->items[i];
            char *done = it->how ? g_strdup_printf("✓ %s", how_cell(it)) : g_strdup("");
            char *who = it->rel ? kw_words_who(it->rel) : g_strdup(it->display_name ? it->display_name
                                                                                    : it->key);
            char *reason = item_reason(it, as_of);
            const char *cells[5] = { done, kw_words_slot(it->slot), who, kw_words_state(it->state),
                                     reason };
            /* done: green; still to do: the colour of the list's own order */
            kw_table_add_row(tab, it->how ? "32" : it->slot == KW_SLOT_OWED ? "35" : NULL, cells);
            g_free(done);
            g_free(who);
            g_free(reason);
        }
        /* fitted like `overdue`: the reason gives way first (on a line of
         * its own when it would get less than 40 columns), then the state;
         * the name last */
        kw_table_shrink(tab, 4, 40, 0);
        kw_table_detail(tab, 4, 40);
        kw_table_optional(tab, 3, 1);
        kw_table_shrink(tab, 2, 16, 2);
        kw_table_print(tab, cli, stdout, 0);
        kw_table_free(tab);
    }
}


/* Open the store read-write (the day's list is kept in it) and load the
 * model as of `when`. A store that does not exist yet is not created: like
 * every reading command, the day's list needs a first sync. */
static int open_for_day(kw_cli_t *cli, int64_t when, kw_store_t **store, kw_model_t **model)
{
    kw_model_options_t mo = { .as_of = when };
    char *error = NULL, *path = cli->db_path ? g_strdup(cli->db_path) : kw_default_store_path();
    kw_status_t st;
    int rc = g_file_test(path, G_FILE_TEST_EXISTS) ? 0 : kw_cli_open_store(cli, KW_STORE_READ_ONLY, store);
    g_free(path);
    if (rc == 0)
        rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, store);
    if (rc)
        return rc;
    st = kw_model_load(*store, &mo, model, &error);
    if (st != KW_OK)
        return kw_cli_fail_free(st, error);
    return 0;
}

#define DAY_HELP N_("Days are calendar days in your time zone. --as-of DATE replays a day: the " \
                    "list kept for it, and what was done by its end.")

int kw_cmd_today(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int size = 0, rc;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("The list of DATE (default: today)"), N_("DATE") },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|tsv|json" },
        { "size", 'n', 0, G_OPTION_ARG_INT, &size, N_("Items on a new day's list (default: 'keepwarm config daily-size', else 5)"), N_("N") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_today_t *t = NULL;
    char *error = NULL;
    int64_t when = 0;
    kw_day_t day;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "today", NULL,
                              _("The day's short list: ten minutes of account care."),
                              _("Replies you owe first, then overdue relationships by tier and "
                                "lateness, then one former customer to win back. The list is kept "
                                "for the day; an item shown rests three working days (replies "
                                "owed excepted). An item is done when you write to them, log a "
                                "call, meeting or visit with them (keepwarm log), a calendar holds "
                                "one, or you say so (keepwarm done / skip). The streak counts "
                                "working days with the list done.\n"), entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("today", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                                            1u << KW_FORMAT_JSON, &format) != 0) {
        rc = kw_cli_usage_error("today", _("--format: use table, tsv or json, not '%s'"), format_text);
        goto done;
    }
    if (size < 0 || size > 50) {
        rc = kw_cli_usage_error("today", _("--size: 1 to 50 items"));
        goto done;
    }
    if ((rc = kw_cli_parse_day("today", as_of_text, &when, &day)))
        goto done;
    if ((rc = open_for_day(cli, when, &store, &model)))
        goto done;
    st = kw_today(store, model, &day, size, &t, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON)
        print_today_json(t, when);
    else if (format == KW_FORMAT_TSV)
        print_today_tsv(cli, t, when);
    else
        print_today_table(cli, t, &day, when);
    rc = KW_EXIT_OK;
done:
    kw_today_free(t);
    kw_model_free(model);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* done / skip */
static int mark(kw_cli_t *cli, int argc, char **argv, const char *cmd, kw_how_t how)
{
    char *as_of_text = NULL;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("The list of DATE (default: today)"), N_("DATE") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_target_t *target = NULL;
    kw_today_t *t = NULL;
    char *error = NULL, *desc;
    int64_t when = 0;
    kw_day_t day;
    kw_status_t st;
    int rc;

    desc = g_strconcat(how == KW_HOW_SKIPPED
                           ? _("Skipping counts as handled for the day (the streak goes on), "
                               "not as a touch: the relationship stays as it is.")
                           : _("Marks the item done without recording a touch; to record a "
                               "call, meeting or visit use 'keepwarm log' (that ticks the item "
                               "too)."),
                       "\n", _(DAY_HELP), NULL);
    rc = kw_cli_parse_options(cli, cmd, _("TARGET"),
                              how == KW_HOW_SKIPPED ? _("Skip an item of the day's list for today.")
                                                    : _("Mark an item of the day's list as done."),
                              desc, entries, &argc, &argv);
    g_free(desc);
    if (rc)
        goto done;
    if (argc != 2) {
        rc = kw_cli_usage_error(cmd, "%s", argc < 2 ? _("which item? (an address, a domain or a name)")
                                                    : _("only one TARGET, please (quote a name with spaces)"));
        goto done;
    }
    if ((rc = kw_cli_parse_day(cmd, as_of_text, &when, &day)))
        goto done;
    if ((rc = open_for_day(cli, when, &store, &model)) ||
        (rc = kw_cli_resolve(model, argv[1], &target)))
        goto done;
    st = kw_today_mark(store, model, &day, target->key, how, &error);
    if (st == KW_OK)
        st = kw_today(store, model, &day, 0, &t, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    {
        char *w = kw_words_target(target), *who = kw_cli_clean(w), *progress = kw_cli_today_progress(t);
        printf(how == KW_HOW_SKIPPED ? _("Skipped %s for %s.\n") : _("%s is done for %s.\n"), who,
               t->date);
        printf("%s\n", progress);
        g_free(w);
        g_free(who);
        g_free(progress);
    }
    rc = KW_EXIT_OK;
done:
    kw_target_free(target);
    kw_today_free(t);
    kw_model_free(model);
    kw_store_close(store);
    g_free(as_of_text);
    return rc;
}

int kw_cmd_done(kw_cli_t *cli, int argc, char **argv)
{
    return mark(cli, argc, argv, "done", KW_HOW_OTHER);
}

int kw_cmd_skip(kw_cli_t *cli, int argc, char **argv)
{
    return mark(cli, argc, argv, "skip", KW_HOW_SKIPPED);
}

/* ------------------------------------------------------------------------ */
/* review                                                                    */
/* ------------------------------------------------------------------------ */

/* Eight levels, low to high. */
static char *sparkline(const int *v, size_t n)
{
    static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
    GString *out = g_string_new(NULL);
    int lo = n ? v[0] : 0, hi = lo;
    for (size_t i = 1; i < n; i++) {
        lo = MIN(lo, v[i]);
        hi = MAX(hi, v[i]);
    }
    for (size_t i = 0; i < n; i++)
        g_string_append(out, bars[hi == lo ? 3 : (v[i] - lo) * 7 / (hi - lo)]);
    return g_string_free(out, FALSE);
}

int64_t *kw_cli_review_bounds(const kw_day_t *day, int64_t when, int weeks)
{
    int64_t *bounds = g_new(int64_t, (gsize) weeks + 1);
    GDate g;

    /* Mondays: this week's, then back */
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, (GDateDay) day->day, (GDateMonth) day->month, (GDateYear) day->year);
    g_date_subtract_days(&g, g_date_get_weekday(&g) - G_DATE_MONDAY);
    g_date_subtract_days(&g, 7 * ((guint) weeks - 1));
    for (int i = 0; i < weeks; i++) {
        bounds[i] = local_midnight(g_date_get_year(&g), g_date_get_month(&g), g_date_get_day(&g));
        g_date_add_days(&g, 7);
    }
    bounds[weeks] = when + 1; /* this week: up to now */
    if (bounds[weeks] <= bounds[weeks - 1])
        bounds[weeks] = bounds[weeks - 1] + 1;
    return bounds;
}

JsonNode *kw_cli_review_json(const kw_review_t *r)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    int *overdue = g_new(int, r->count ? r->count : 1);
    char *spark;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "weeks");
    json_builder_begin_array(b);
    for (size_t i = 0; i < r->count; i++) {
        const kw_review_week_t *w = &r->weeks[i];
        GDateTime *dt = g_date_time_new_from_unix_local(w->start);
        char *week = g_date_time_format(dt, "%G-W%V");
        overdue[i] = w->overdue_end;
        json_builder_begin_object(b);
        kw_json_member_string(b, "week", week);
        kw_json_member_time(b, "start", w->start);
        kw_json_member_time(b, "end", w->end);
#define INT_MEMBER(name, v) json_builder_set_member_name(b, name); json_builder_add_int_value(b, v)
        INT_MEMBER("listed", w->listed);
        INT_MEMBER("done", w->done);
        INT_MEMBER("skipped", w->skipped);
        INT_MEMBER("brought_back", w->brought_back);
        INT_MEMBER("overdue_end", w->overdue_end);
#undef INT_MEMBER
        json_builder_end_object(b);
        g_free(week);
        g_date_time_unref(dt);
    }
    json_builder_end_array(b);
    spark = sparkline(overdue, r->count);
    kw_json_member_string(b, "overdue_sparkline", spark);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    g_free(spark);
    g_free(overdue);
    return root;
}

int kw_cmd_review(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int weeks = 4, rc;
    GOptionEntry entries[] = {
        { "weeks", 'w', 0, G_OPTION_ARG_INT, &weeks, N_("How many weeks, this one included (default: 4)"), N_("N") },
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("Review up to DATE (default: now)"), N_("DATE") },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|json" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_review_t *r = NULL;
    int64_t when = 0, *bounds = NULL;
    char *error = NULL;
    kw_day_t day;
    kw_status_t st;
    int *overdue = NULL;

    rc = kw_cli_parse_options(cli, "review", NULL,
                              _("Week by week: items done, relationships brought back from overdue "
                                "to in touch, and how many were overdue at the end of the week."),
                              _("Weeks start on Monday, in your time zone. Past weeks are computed "
                                "from the messages as of their end."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("review", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if (weeks < 1 || weeks > 104) {
        rc = kw_cli_usage_error("review", _("--weeks: 1 to 104"));
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_JSON,
                                           &format) != 0) {
        rc = kw_cli_usage_error("review", _("--format: use table or json, not '%s'"), format_text);
        goto done;
    }
    if ((rc = kw_cli_parse_day("review", as_of_text, &when, &day)))
        goto done;
    bounds = kw_cli_review_bounds(&day, when, weeks);
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_review(store, bounds, (size_t) weeks + 1, 0, &r, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    overdue = g_new(int, r->count ? r->count : 1);
    for (size_t i = 0; i < r->count; i++)
        overdue[i] = r->weeks[i].overdue_end;
    if (format == KW_FORMAT_JSON) {
        JsonNode *root = kw_cli_review_json(r);
        kw_cli_print_json(stdout, root);
        json_node_unref(root);
    } else {
        const char *h[] = { _("WEEK"), _("DONE"), _("SKIPPED"), _("BACK IN TOUCH"),
                            _("OVERDUE AT THE END") };
        kw_table_t *tab = kw_table_new(5, h);
        char *spark = sparkline(overdue, r->count);
        for (size_t i = 0; i < r->count; i++) {
            const kw_review_week_t *w = &r->weeks[i];
            GDateTime *dt = g_date_time_new_from_unix_local(w->start);
            char *week = g_date_time_format(dt, "%G-W%V");
            char *d = g_strdup_printf("%d/%d", w->done, w->listed);
            char *s = g_strdup_printf("%d", w->skipped), *bb = g_strdup_printf("%d", w->brought_back);
            char *o = g_strdup_printf("%d", w->overdue_end);
            const char *cells[5] = { week, d, s, bb, o };
            kw_table_add_row(tab, NULL, cells);
            g_free(week);
            g_free(d);
            g_free(s);
            g_free(bb);
            g_free(o);
            g_date_time_unref(dt);
        }
        kw_table_print(tab, cli, stdout, 0);
        kw_table_free(tab);
        /* TRANSLATORS: a sparkline of the overdue count per week, first and last value */
        printf(_("\nOverdue, week by week: %s  %d → %d\n"), spark, overdue[0], overdue[r->count - 1]);
        g_free(spark);
    }
    rc = KW_EXIT_OK;
done:
    kw_review_free(r);
    kw_store_close(store);
    g_free(bounds);
    g_free(overdue);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* config: the routine's settings                                            */
/* ------------------------------------------------------------------------ */

static const char *const weekday_names[8] = { NULL, "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* "mon-fri", "mon,wed,fri", "1-5", "sat,sun": bits, 0 when not a list of days. */
static unsigned parse_workdays(const char *text)
{
    char **parts = g_strsplit(text, ",", -1);
    unsigned bits = 0;
    int ok = parts[0] != NULL;

    for (char **p = parts; *p && ok; p++) {
        char **range = g_strsplit(g_strstrip(*p), "-", 3);
        int a = 0, b = 0;
        for (int k = 0; range[k] && k < 2; k++) {
            char *w = g_ascii_strdown(g_strstrip(range[k]), -1);
            int d = 0;
            for (int i = 1; i <= 7 && !d; i++)
                if (strncmp(w, weekday_names[i], 3) == 0 && strlen(w) >= 2)
                    d = i;
            if (!d && strlen(w) == 1 && w[0] >= '1' && w[0] <= '7')
                d = w[0] - '0';
            if (k == 0)
                a = b = d;
            else
                b = d;
            g_free(w);
        }
        ok = a && b && !(range[1] && range[2]);
        for (int d = a; ok && d != b; d = d % 7 + 1)
            bits |= KW_WEEKDAY_BIT(d);
        if (ok)
            bits |= KW_WEEKDAY_BIT(b);
        g_strfreev(range);
    }
    g_strfreev(parts);
    return ok ? bits : 0;
}

/* "Mon–Fri", "Mon, Wed, Fri" in the user's language (transfer full). */
static char *workdays_text(unsigned bits)
{
    GString *out = g_string_new(NULL);
    GDate g;
    int first = 0, run = 0;

    g_date_clear(&g, 1);
    g_date_set_dmy(&g, 1, G_DATE_JANUARY, 2024); /* a Monday */
    for (int d = 1; d <= 8; d++) {
        int on = d <= 7 && (bits & KW_WEEKDAY_BIT(d));
        if (on && !run) {
            first = d;
            run = 1;
        } else if (!on && run) {
            char a[32], b[32];
            g_date_set_dmy(&g, (GDateDay) first, G_DATE_JANUARY, 2024);
            g_date_strftime(a, sizeof a, "%a", &g);
            g_date_set_dmy(&g, (GDateDay) (d - 1), G_DATE_JANUARY, 2024);
            g_date_strftime(b, sizeof b, "%a", &g);
            if (out->len)
                g_string_append(out, ", ");
            if (d - 1 == first)
                g_string_append(out, a);
            else
                g_string_append_printf(out, "%s%s%s", a, d - 1 - first > 1 ? "–" : ", ", b);
            run = 0;
        }
    }
    return g_string_free(out, FALSE);
}

int kw_cli_config_show_routine(kw_store_t *store)
{
    kw_routine_settings_t r;
    char *error = NULL, *wd;
    kw_status_t st = kw_store_get_routine(store, &r, &error);

    if (st != KW_OK)
        return kw_cli_fail_free(st, error);
    if (r.daily_size)
        printf("daily-size       %d\n", r.daily_size);
    else
        printf(_("daily-size       %d  (built in)\n"), 5);
    if (r.daily_minutes)
        printf("daily-minutes    %d%s\n", r.daily_minutes,
               r.daily_size ? _("  (daily-size is set and wins)") : "");
    else
        printf(_("daily-minutes    -  (not set)\n"));
    wd = workdays_text(r.workdays ? r.workdays : KW_WORKDAYS_DEFAULT);
    if (r.workdays)
        printf("workdays         %s\n", wd);
    else
        printf(_("workdays         %s  (built in)\n"), wd);
    g_free(wd);
    return KW_EXIT_OK;
}

int kw_cli_config_is_routine(const char *key)
{
    static const char *const keys[] = { "daily-size", "daily_size", "daily-minutes",
                                        "daily_minutes", "workdays" };
    for (size_t i = 0; key && i < G_N_ELEMENTS(keys); i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

int kw_cli_config_routine(kw_cli_t *cli, const char *key, const char *value)
{
    kw_routine_settings_t r;
    kw_store_t *store = NULL;
    char *error = NULL, *end = NULL;
    int is_default = strcmp(value, "default") == 0, rc;
    long n = is_default ? 0 : strtol(value, &end, 10);
    kw_status_t st;

    if (key[5] == '-' || key[5] == '_') { /* daily-size, daily-minutes */
        int minutes = key[6] == 'm';
        long max = minutes ? 600 : 50;
        if (!is_default && (!end || *end || end == value || n < 1 || n > max))
            return kw_cli_usage_error("config", minutes ? _("daily-minutes is 1 to 600 (or 'default'), not '%s'")
                                                        : _("daily-size is 1 to 50 items (or 'default'), not '%s'"),
                                      value);
    } else {
        n = is_default ? 0 : (long) parse_workdays(value);
        if (!is_default && !n)
            return kw_cli_usage_error("config", _("workdays: days like mon-fri or mon,tue,thu "
                                                  "(or 'default'), not '%s'"), value);
    }
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store)))
        return rc;
    st = kw_store_get_routine(store, &r, &error);
    if (st == KW_OK) {
        if (key[0] == 'w')
            r.workdays = (unsigned) n;
        else if (key[6] == 'm')
            r.daily_minutes = (int) n;
        else
            r.daily_size = (int) n;
        st = kw_store_set_routine(store, &r, &error);
    }
    if (st == KW_OK)
        rc = kw_cli_config_show_routine(store);
    else
        rc = kw_cli_fail_free(st, error);
    kw_store_close(store);
    return rc;
}
