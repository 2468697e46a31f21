/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_model.c — the relationship commands: overdue, show, export, contacts,
 * the user actions snooze, ignore, unignore, cadence, note, name, and the
 * store-wide settings (config).
 * Each loads the model once (kw_model_load) and asks it; the words come
 * from core/words/ (kw_words_*), in the user's language. Every string that
 * came from mail (names, subjects, notes) is sanitised before it is printed,
 * in every format. Machine formats (TSV, JSON, CSV, vCard) keep stable
 * machine names (states, ISO times) beside the worded text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <time.h>

#include "cli/cli.h"


static const char *state_color(kw_state_t s)
{
    switch (s) {
    case KW_STATE_OVERDUE: return "31";              /* red */
    case KW_STATE_DUE_SOON: return "33";             /* yellow */
    case KW_STATE_AWAITING_YOUR_REPLY: return "35";  /* magenta: you owe an answer */
    case KW_STATE_AWAITING_THEIR_REPLY: return "36"; /* cyan */
    case KW_STATE_OK: return "32";                   /* green */
    default: return "2";                             /* dim: snoozed, ignored */
    }
}

static int64_t now_time(void)
{
    return (int64_t) time(NULL);
}

static int parse_as_of(const char *cmd, const char *text, int64_t *as_of)
{
    if (!text) {
        *as_of = now_time();
        return 0;
    }
    if (kw_input_when(text, now_time(), as_of) != KW_INPUT_OK || *as_of <= 0)
        return kw_cli_usage_error(cmd, _("--as-of: not a date: '%s' (use 2024-03-01, "
                                         "01.03.2024, 2024-03-01T10:00:00Z or now)"), text);
    return 0;
}


/* Open the store read-only and load the model; prints the error and
 * returns an exit code on failure, 0 on success. */
static int open_model(kw_cli_t *cli, const kw_model_options_t *o, kw_store_t **store,
                      kw_model_t **model)
{
    char *error = NULL;
    kw_status_t st;
    int rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, store);
    if (rc)
        return rc;
    st = kw_model_load(*store, o, model, &error);
    if (st != KW_OK)
        return kw_cli_fail_free(st, error);
    return 0;
}

#define TARGET_HELP N_("TARGET is an e-mail address (also \"Name <address>\" or mailto:), an " \
                       "organisation domain (acme.com), or a name: an organisation's (acme, " \
                       "\"Brandt Logistik\") or a person's (\"Alice Jones\"), in any case, with or " \
                       "without accents. A name that fits several asks which one.")

#define AS_OF_ENTRY(var) \
    { "as-of", 0, 0, G_OPTION_ARG_STRING, &(var), N_("Compute the model as of DATE (default: now)"), N_("DATE") }
/* For checks: the same answers computed from every message. */
#define EXACT_ENTRY(var) \
    { "exact", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &(var), \
      "Ignore the kept aggregates and compute from every message", NULL }

/* ------------------------------------------------------------------------ */
/* overdue                                                                   */
/* ------------------------------------------------------------------------ */

/* Who on the team touched it last, and when ("Jan Weber: call 3 days
 * ago"), or NULL (transfer full). */
static char *team_cell(const kw_relationship_t *r, int64_t as_of)
{
    const kw_reason_t *w = &r->reason;
    if (!w->team_touch)
        return NULL;
    return kw_words_team_short(w->team_touch, kw_words_team_who(&w->team_member, w->team_member_id),
                               w->team_last_touch, as_of);
}

static void print_relationships_json(const kw_relationship_list_t *list, int64_t as_of, int team)
{
    JsonArray *a = json_array_sized_new((guint) list->count);
    JsonNode *root = json_node_new(JSON_NODE_ARRAY);
    for (size_t i = 0; i < list->count; i++) {
        JsonNode *row = kw_cli_relationship_json(&list->items[i], as_of);
        if (team) {
            /* who on the team last touched them, and when (the facts are in "why") */
            const kw_reason_t *w = &list->items[i].reason;
            JsonObject *o = json_node_get_object(row);
            char *when = kw_cli_iso_time(w->team_last_touch), *who;
            if (when)
                json_object_set_string_member(o, "team_last_touch", when);
            else
                json_object_set_null_member(o, "team_last_touch");
            who = w->team_touch ? kw_cli_clean(kw_words_team_who(&w->team_member, w->team_member_id))
                                : NULL;
            if (who)
                json_object_set_string_member(o, "team_member", who);
            else
                json_object_set_null_member(o, "team_member");
            g_free(when);
            g_free(who);
        }
        json_array_add_element(a, row);
    }
    json_node_take_array(root, a);
    kw_cli_print_json(stdout, root);
    json_node_unref(root);
}

static void print_relationships_tsv(const kw_cli_t *cli, const kw_relationship_list_t *list,
                                    int64_t as_of, int team)
{
    static const char *const h[] = { "kind", "key", "name", "state", "last_touch", "days_since",
                                     "cadence_days", "due_date", "score", "reason",
                                     "team_last_touch", "team_member" };
    kw_table_t *t = kw_table_new(team ? 12 : 10, h);
    for (size_t i = 0; i < list->count; i++) {
        const kw_relationship_t *r = &list->items[i];
        const kw_reason_t *w = &r->reason;
        char *lt = kw_cli_iso_time(r->last_touch), *due = kw_cli_iso_time(r->due_date);
        char *ds = g_strdup_printf("%d", r->days_since), *cd = g_strdup_printf("%d", r->cadence_days);
        char *why = kw_words_reason(&r->reason, as_of), *tt = kw_cli_iso_time(w->team_last_touch);
        char sc[G_ASCII_DTOSTR_BUF_SIZE];
        const char *cells[12] = { r->kind == KW_TARGET_ORG ? "org" : "person", r->key,
                                  r->display_name, kw_state_to_string(r->state), lt ? lt : "", ds,
                                  cd, due ? due : "",
                                  g_ascii_formatd(sc, sizeof sc, "%.3f", r->score), why,
                                  tt ? tt : "",
                                  w->team_touch ? kw_words_team_who(&w->team_member, w->team_member_id) : "" };
        kw_table_add_row(t, NULL, cells);
        g_free(lt);
        g_free(due);
        g_free(ds);
        g_free(cd);
        g_free(why);
        g_free(tt);
    }
    kw_table_print(t, cli, stdout, 1);
    kw_table_free(t);
}

static void print_relationships_table(const kw_cli_t *cli, const kw_relationship_list_t *list,
                                      int64_t as_of, int team)
{
    /* --team: who on the team touched them last, before the reason */
    const char *h[] = { _("STATE"), _("WHO"), _("LAST EXCHANGE"), _("RHYTHM"), _("DUE"),
                        team ? _("TEAM") : _("WHY"), _("WHY") };
    kw_table_t *t = kw_table_new(team ? 7 : 6, h);
    for (size_t i = 0; i < list->count; i++) {
        const kw_relationship_t *r = &list->items[i];
        char *w = kw_words_who(r);
        char *lt = kw_words_ago(r->last_touch, as_of);
        char *cad = kw_words_cadence(r->cadence_days);
        char *due = r->due_date ? kw_words_ago(r->due_date, as_of) : g_strdup("");
        char *why = kw_words_reason(&r->reason, as_of);
        char *tc = team ? team_cell(r, as_of) : NULL;
        const char *cells[7] = { kw_words_state(r->state), w, lt, cad, due,
                                 team ? (tc ? tc : "") : why, why };
        kw_table_add_row(t, state_color(r->state), cells);
        g_free(w);
        g_free(lt);
        g_free(cad);
        g_free(due);
        g_free(why);
        g_free(tc);
    }
    /* on a narrow terminal the reason gives way first (on a line of its own
     * when it would get less than 40 columns), then the team's cell
     * (--team), the due date, the rhythm and the last exchange; the name
     * last */
    int why_col = team ? 6 : 5;
    kw_table_shrink(t, why_col, 40, 0);
    kw_table_detail(t, why_col, 40);
    if (team)
        kw_table_shrink(t, 5, 24, 1);
    kw_table_optional(t, 4, 2);
    kw_table_optional(t, 3, 3);
    kw_table_optional(t, 2, 4);
    kw_table_shrink(t, 1, 16, 5);
    kw_table_print(t, cli, stdout, 0);
    kw_table_free(t);
}

int kw_cmd_overdue(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *state_text = NULL, *by_text = NULL, *format_text = NULL;
    char *tier_text = NULL;
    int limit = 0, all = 0, default_cadence = 0, exact = 0, team = 0, rc;
    GOptionEntry entries[] = {
        AS_OF_ENTRY(as_of_text),
        { "team", 0, 0, G_OPTION_ARG_NONE, &team, N_("Add who on the team last touched each one, and when"), NULL },
        { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("Show at most N rows"), N_("N") },
        { "state", 0, 0, G_OPTION_ARG_STRING, &state_text, N_("Only this state: overdue, due-soon, awaiting-your-reply, awaiting-their-reply, ok, snoozed, ignored"), N_("STATE") },
        { "by", 0, 0, G_OPTION_ARG_STRING, &by_text, N_("Group by organisation (default) or list every person"), "org|person" },
        { "tier", 0, 0, G_OPTION_ARG_STRING, &tier_text, N_("Only these tiers (A, B, C, none; several with commas)"), "A|B|C|none" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|tsv|json" },
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("Every relationship, not only those needing attention"), NULL },
        { "default-cadence", 0, 0, G_OPTION_ARG_INT, &default_cadence, N_("Cadence for relationships with too little history (default: the store's setting, see 'keepwarm config')"), N_("DAYS") },
        EXACT_ENTRY(exact),
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_model_options_t mo = { 0 };
    kw_list_options_t lo = { 0 };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_relationship_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "overdue", NULL,
                              _("Relationships going cold, most valuable first."),
                              _("States: overdue (silent beyond the usual rhythm), due-soon, "
                                "awaiting-your-reply (they wrote, you did not answer),\n"
                                "awaiting-their-reply (you wrote, no answer beyond their usual "
                                "time), ok, snoozed, ignored.\n"
                                "Only a two-way exchange resets the clock. By default only "
                                "relationships needing attention are listed.\n"
                                "A relationship your team touched within its rhythm (a "
                                "teammate's exchange, call or meeting, or a colleague's mail "
                                "with you in copy) is ok; --team shows who and when."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("overdue", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if ((rc = parse_as_of("overdue", as_of_text, &mo.as_of)))
        goto done;
    lo.states = all ? KW_STATES_ALL : 0;
    if (state_text) {
        kw_state_t s;
        if (kw_state_from_string(state_text, &s) != KW_OK) {
            rc = kw_cli_usage_error("overdue", _("unknown state '%s'"), state_text);
            goto done;
        }
        lo.states = KW_STATE_BIT(s);
    }
    if (by_text && strcmp(by_text, "org") != 0 && strcmp(by_text, "person") != 0) {
        rc = kw_cli_usage_error("overdue", _("--by: use org or person, not '%s'"), by_text);
        goto done;
    }
    lo.by = by_text && strcmp(by_text, "person") == 0 ? KW_BY_PERSON : KW_BY_ORG;
    if (tier_text) {
        char **tiers = g_strsplit(tier_text, ",", -1);
        for (char **t = tiers; *t && !rc; t++) {
            kw_tier_t tier;
            if (kw_tier_from_string(g_strstrip(*t), &tier) != KW_OK)
                rc = kw_cli_usage_error("overdue", _("--tier: A, B, C or none, not '%s'"), *t);
            else
                lo.tiers |= KW_TIER_BIT(tier);
        }
        g_strfreev(tiers);
        if (rc)
            goto done;
    }
    if (limit < 0 || default_cadence < 0) {
        rc = kw_cli_usage_error("overdue", _("--limit and --default-cadence must not be negative"));
        goto done;
    }
    lo.limit = limit;
    mo.default_cadence_days = default_cadence;
    mo.exact = exact;
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                                            1u << KW_FORMAT_JSON, &format) != 0) {
        rc = kw_cli_usage_error("overdue", _("--format: use table, tsv or json, not '%s'"),
                                format_text);
        goto done;
    }
    if ((rc = open_model(cli, &mo, &store, &model)))
        goto done;
    st = kw_model_relationships(model, &lo, &list, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON)
        print_relationships_json(list, mo.as_of, team);
    else if (format == KW_FORMAT_TSV)
        print_relationships_tsv(cli, list, mo.as_of, team);
    else if (list->count)
        print_relationships_table(cli, list, mo.as_of, team);
    else
        puts(all || state_text ? _("No relationships.")
                               : _("Nothing needs attention. (--all lists every relationship)"));
    rc = KW_EXIT_OK;
done:
    kw_relationship_list_free(list);
    kw_model_free(model);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(state_text);
    g_free(by_text);
    g_free(tier_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* show                                                                      */
/* ------------------------------------------------------------------------ */

/* "2024-03-01 (93 days ago)", or "never". */
static char *date_and_relative(int64_t t, int64_t as_of)
{
    char *day, *rel, *r;
    if (!t)
        return g_strdup(_("never"));
    day = kw_cli_iso_day(t);
    rel = kw_words_ago(t, as_of);
    r = g_strdup_printf("%s (%s)", day, rel);
    g_free(day);
    g_free(rel);
    return r;
}

static void print_show_json(const kw_relationship_t *r, const kw_touch_list_t *tl,
                            const kw_team_touch_list_t *team, int64_t as_of)
{
    JsonNode *root = kw_cli_relationship_json(r, as_of);
    JsonObject *obj = json_node_get_object(root);
    JsonArray *a = json_array_sized_new((guint) tl->count);
    JsonArray *ta = json_array_sized_new((guint) team->count);
    for (size_t i = 0; i < tl->count; i++)
        json_array_add_element(a, kw_cli_touch_json(&tl->items[i]));
    json_object_set_array_member(obj, "timeline", a);
    for (size_t i = 0; i < team->count; i++) {
        const kw_team_touch_t *t = &team->items[i];
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        kw_json_member_time(b, "time", t->time);
        kw_json_member_string(b, "kind", kw_team_touch_kind_to_string(t->kind));
        kw_json_member_string(b, "member", t->member_id);
        kw_json_member_string(b, "member_name", t->member.name);
        kw_json_member_string(b, "member_address", t->member.address);
        kw_json_member_string(b, "person", t->person);
        kw_json_member_string(b, "subject", t->subject);
        json_builder_end_object(b);
        json_array_add_element(ta, json_builder_get_root(b));
        g_object_unref(b);
    }
    json_object_set_array_member(obj, "team", ta);
    kw_cli_print_json(stdout, root);
    json_node_unref(root);
}

/* "Team (2 touches):" and one line per touch, newest first. */
static void print_team_touches(const kw_team_touch_list_t *team, int64_t as_of)
{
    if (!team->count)
        return;
    printf(g_dngettext(GETTEXT_PACKAGE, "Team (newest first, %zu touch):\n",
                       "Team (newest first, %zu touches):\n", (gulong) team->count),
           team->count);
    for (size_t i = 0; i < team->count; i++) {
        const kw_team_touch_t *t = &team->items[i];
        char *day = kw_cli_iso_day(t->time);
        char *what = kw_words_team_short(t->kind, kw_words_team_who(&t->member, t->member_id),
                                         t->time, as_of);
        char *cwhat = kw_cli_clean(what), *cperson = kw_cli_clean(t->person);
        char *csubject = kw_cli_clean(t->subject);
        printf("  %s  %s%s%s%s%s\n", day, cwhat, cperson ? " — " : "", cperson ? cperson : "",
               csubject ? "  " : "", csubject ? csubject : "");
        g_free(day);
        g_free(what);
        g_free(cwhat);
        g_free(cperson);
        g_free(csubject);
    }
}

static void print_show_text(const kw_cli_t *cli, const kw_relationship_t *r,
                            const kw_touch_list_t *tl, const kw_team_touch_list_t *team,
                            int64_t as_of)
{
    kw_fields_t *f = kw_fields_new();
    char *w = kw_words_who(r), *s;

    /* "Jane Doe <jane@x> (person)", "ACME (acme.com, organisation)" */
    if (r->kind == KW_TARGET_ORG && r->display_name && strcmp(r->display_name, r->key) != 0) {
        g_free(w);
        w = g_strdup_printf("%s (%s, %s)", r->display_name, r->key, kw_words_kind(r->kind));
    } else {
        char *k = g_strdup_printf("%s (%s)", w, kw_words_kind(r->kind));
        g_free(w);
        w = k;
    }
    s = kw_cli_clean(w);
    printf("%s\n\n", s);
    g_free(s);
    g_free(w);
    kw_fields_add(f, _("State:"), g_strdup(kw_words_state(r->state)), state_color(r->state));
    kw_fields_add(f, _("Why:"), kw_words_reason(&r->reason, as_of), NULL);
    s = kw_words_cadence(r->cadence_days);
    kw_fields_add(f, _("Rhythm:"), g_strdup_printf("%s (%s)", s, kw_words_cadence_source(r->reason.cadence_source)),
          NULL);
    g_free(s);
    kw_fields_add(f, _("Last exchange:"), date_and_relative(r->last_touch, as_of), NULL);
    kw_fields_add(f, _("They wrote:"), date_and_relative(r->last_inbound, as_of), NULL);
    kw_fields_add(f, _("You wrote:"), date_and_relative(r->last_outbound, as_of), NULL);
    if (r->due_date)
        kw_fields_add(f, _("Due:"), date_and_relative(r->due_date, as_of), NULL);
    kw_fields_add(f, _("Exchanges:"), g_strdup_printf("%d", r->touches), NULL);
    if (r->tier != KW_TIER_NONE)
        kw_fields_add(f, _("Tier:"), g_strdup(kw_tier_to_string(r->tier)), NULL);
    if (r->reason.planned_touch) {
        char *when = date_and_relative(r->reason.planned_touch, as_of);
        kw_fields_add(f, _("Planned:"), g_strdup_printf("%s, %s", kw_words_source(r->reason.planned_source),
                                                 when), NULL);
        g_free(when);
    }
    if (r->snoozed_until) {
        char *day = kw_words_day(r->snoozed_until, as_of), *rel = kw_words_ago(r->snoozed_until, as_of);
        kw_fields_add(f, _("Snoozed until:"), g_strdup_printf("%s (%s)", day, rel), NULL);
        g_free(day);
        g_free(rel);
    }
    if (r->reason.settled_until && r->reason.waiting == KW_WAITING_NONE) {
        s = kw_words_date(r->reason.settled_until, as_of);
        kw_fields_add(f, _("No answer needed:"), g_strdup_printf(_("for the mail up to %s"), s), NULL);
        g_free(s);
    }
    if (r->state == KW_STATE_IGNORED)
        kw_fields_add(f, _("Ignored:"), g_strdup(_("yes (keepwarm unignore to list it again)")), NULL);
    if (r->note && r->note_from_org)
        kw_fields_add(f, _("Note:"), g_strdup_printf(_("%s (the organisation's)"), r->note), NULL);
    else if (r->note)
        kw_fields_add(f, _("Note:"), g_strdup(r->note), NULL);
    if (r->main_person)
        kw_fields_add(f, _("Write to:"), g_strdup(r->main_person), NULL);
    kw_fields_print(f, cli);

    printf("%s\n", _("People:"));
    for (size_t i = 0; r->people && r->people[i]; i++) {
        const char *name = r->people_names && r->people_names[i] ? r->people_names[i] : "";
        char *p = *name ? g_strdup_printf("%s <%s>", name, r->people[i]) : g_strdup(r->people[i]);
        char *c = kw_cli_clean(p);
        printf("  %s\n", c);
        g_free(c);
        g_free(p);
    }
    print_team_touches(team, as_of);
    printf(g_dngettext(GETTEXT_PACKAGE, "Timeline (newest first, %zu touch):\n",
                       "Timeline (newest first, %zu touches):\n", (gulong) tl->count),
           tl->count);
    for (size_t i = 0; i < tl->count; i++) {
        const kw_touch_t *t = &tl->items[i];
        char *day = kw_cli_iso_day(t->time), *addr = kw_cli_clean(t->address);
        char *subj = kw_cli_clean(t->subject), *cut;
        const char *dir = t->inbound && t->outbound ? "<->" : t->inbound ? "<- " : " ->";
        size_t aw = addr ? kw_cli_display_width(addr) : 0;
        /* "  2024-05-27  <-   addr (30 columns)  subject": the subject fits the rest */
        size_t used = 2 + 10 + 2 + 3 + 2 + MAX(aw, 30) + 2;
        printf("  %s  %s  %s", day, dir, addr ? addr : "");
        for (size_t k = aw; k < 30; k++)
            fputc(' ', stdout);
        if (t->source != KW_SOURCE_MAIL) { /* a call, meeting, visit: its kind, then its note */
            char *k = g_strdup_printf("[%s]%s%s", kw_words_source(t->source), subj ? " " : "",
                                      subj ? subj : "");
            g_free(subj);
            subj = k;
        }
        cut = kw_cli_truncate(subj ? subj : "", cli->width == 0 ? (size_t) -1
                                                : cli->width > used + 10 ? cli->width - used : 10);
        printf("  %s\n", cut);
        g_free(cut);
        g_free(day);
        g_free(addr);
        g_free(subj);
    }
}

int kw_cmd_show(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int exact = 0, rc;
    GOptionEntry entries[] = {
        AS_OF_ENTRY(as_of_text),
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|json" },
        EXACT_ENTRY(exact),
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_model_options_t mo = { 0 };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_relationship_t *r = NULL;
    kw_touch_list_t *tl = NULL;
    kw_target_t *target = NULL;
    kw_team_touch_list_t *team = NULL;
    char *error = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "show", _("TARGET"),
                              _("The whole story of one relationship: people, timeline, cadence, "
                                "state, reason, your note and settings."),
                              _(TARGET_HELP),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc != 2) {
        rc = kw_cli_usage_error("show", "%s", argc < 2 ? _("which contact or organisation? (an address, a domain or a name)")
                                                       : _("only one TARGET, please (quote a name with spaces)"));
        goto done;
    }
    if ((rc = parse_as_of("show", as_of_text, &mo.as_of)))
        goto done;
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_JSON,
                                           &format) != 0) {
        rc = kw_cli_usage_error("show", _("--format: use table or json, not '%s'"), format_text);
        goto done;
    }
    mo.exact = exact;
    if ((rc = open_model(cli, &mo, &store, &model)))
        goto done;
    if ((rc = kw_cli_resolve(model, argv[1], &target)))
        goto done;
    st = kw_model_relationship(model, target->key, &r, &error);
    if (st == KW_OK)
        st = kw_model_timeline(model, target->key, &tl, &error);
    if (st == KW_OK)
        st = kw_model_team_touches(model, target->key, &team, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON)
        print_show_json(r, tl, team, mo.as_of);
    else
        print_show_text(cli, r, tl, team, mo.as_of);
    rc = KW_EXIT_OK;
done:
    kw_target_free(target);
    kw_team_touch_list_free(team);
    kw_touch_list_free(tl);
    kw_relationship_free(r);
    kw_model_free(model);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* export                                                                    */
/* ------------------------------------------------------------------------ */

/* The organisation of a person's address (its domain), or NULL for a
 * free-mail address (transfer full). */
static char *organisation_key(const char *address)
{
    char *key = kw_org_for_address(address);
    if (key && strcmp(key, address) == 0)
        g_clear_pointer(&key, kw_free);
    return key;
}

typedef struct {
    char *name;   /* what the user calls it */
    char *note;   /* the organisation's own note */
} org_info_t;

static void org_info_free(gpointer p)
{
    org_info_t *o = p;
    g_free(o->name);
    g_free(o->note);
    g_free(o);
}

/* Name and note of an organisation: from the list by organisation, else
 * (only prospects or ignored people there) resolved on its own. */
static const org_info_t *org_info(GHashTable *orgs, kw_model_t *model, const char *key)
{
    org_info_t *o = g_hash_table_lookup(orgs, key);
    if (!o) {
        kw_target_t *t = NULL;
        o = g_new0(org_info_t, 1);
        if (kw_model_resolve(model, key, &t, NULL) == KW_OK)
            o->name = g_strdup(t->display_name);
        kw_target_free(t);
        g_hash_table_insert(orgs, g_strdup(key), o);
    }
    return o;
}

/* "2024-05-09 11:00": a time Excel reads as a date in every locale. */
static char *excel_time(int64_t t)
{
    char *iso = kw_cli_iso_time(t);
    if (iso) {
        iso[10] = ' ';
        iso[16] = '\0';
    }
    return iso;
}

static void vcard_facts(GString *out, const kw_relationship_t *r)
{
    char *lt = kw_cli_iso_time(r->last_touch), *due = kw_cli_iso_time(r->due_date);
    char *cd = g_strdup_printf("%d", r->cadence_days);
    kw_vcard_prop(out, "X-KEEPWARM-STATE", kw_state_to_string(r->state));
    kw_vcard_prop(out, "X-KEEPWARM-CADENCE-DAYS", cd);
    if (lt)
        kw_vcard_prop(out, "X-KEEPWARM-LAST-TOUCH", lt);
    if (due)
        kw_vcard_prop(out, "X-KEEPWARM-DUE", due);
    g_free(lt);
    g_free(due);
    g_free(cd);
}

int kw_cmd_export(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int rc, excel = 0;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: csv)"), "csv|vcard" },
        { "excel", 0, 0, G_OPTION_ARG_NONE, &excel, N_("CSV that Excel opens directly in your language: a byte order mark, ';' where the decimal separator is a comma, headings and states in your language"), NULL },
        AS_OF_ENTRY(as_of_text),
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_model_options_t mo = { 0 };
    kw_list_options_t lo = { .by = KW_BY_PERSON, .states = KW_STATES_ALL };
    kw_list_options_t lorg = { .by = KW_BY_ORG, .states = KW_STATES_ALL };
    kw_format_t format = KW_FORMAT_CSV;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_relationship_list_t *list = NULL, *orgs = NULL;
    GHashTable *org_infos = NULL;
    char *error = NULL;
    GString *out = NULL;
    kw_status_t st;
    char sep = ',';

    (void) cli;
    rc = kw_cli_parse_options(cli, "export", NULL,
                              _("Export the computed model, one row/card per contact."),
                              _("CSV (RFC 4180) columns: email, name, organisation (its domain), "
                                "state, last_touch, cadence_days, due_date, reason, note (the "
                                "person's own), organisation_name, organisation_note.\n"
                                "--excel: the same for Excel, in your language.\n"
                                "vCard 4.0: a card per person (FN, EMAIL, ORG, NOTE: your note) "
                                "and per organisation (KIND:org, its note), plus X-KEEPWARM-* "
                                "properties."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("export", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_CSV | 1u << KW_FORMAT_VCARD,
                                           &format) != 0) {
        rc = kw_cli_usage_error("export", _("--format: use csv or vcard, not '%s'"), format_text);
        goto done;
    }
    if (excel && format != KW_FORMAT_CSV) {
        rc = kw_cli_usage_error("export", _("--excel writes CSV; leave out --format=vcard"));
        goto done;
    }
    if ((rc = parse_as_of("export", as_of_text, &mo.as_of)))
        goto done;
    if ((rc = open_model(cli, &mo, &store, &model)))
        goto done;
    st = kw_model_relationships(model, &lo, &list, &error);
    if (st == KW_OK)
        st = kw_model_relationships(model, &lorg, &orgs, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    org_infos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, org_info_free);
    for (size_t i = 0; i < orgs->count; i++) {
        const kw_relationship_t *o = &orgs->items[i];
        org_info_t *info;
        if (o->kind != KW_TARGET_ORG)
            continue;
        info = g_new0(org_info_t, 1);
        info->name = g_strdup(o->display_name);
        info->note = o->note_from_org ? NULL : g_strdup(o->note);
        g_hash_table_insert(org_infos, g_strdup(o->key), info);
    }

    out = g_string_new(NULL);
    if (format == KW_FORMAT_CSV && excel) {
        const struct lconv *lc = localeconv();
        sep = lc && lc->decimal_point && strcmp(lc->decimal_point, ",") == 0 ? ';' : ',';
        g_string_append(out, "\xEF\xBB\xBF"); /* UTF-8 BOM: Excel reads UTF-8 then */
        {
            const char *h[] = { _("E-mail"), _("Name"), _("Organisation"), _("State"),
                                _("Last exchange"), _("Rhythm (days)"), _("Due"), _("Why"),
                                _("Note"), _("Organisation name"), _("Organisation note") };
            for (size_t k = 0; k < G_N_ELEMENTS(h); k++)
                kw_csv_field(out, h[k], k == 0, sep);
            g_string_append(out, "\r\n");
        }
    } else if (format == KW_FORMAT_CSV) {
        g_string_append(out, "email,name,organisation,state,last_touch,cadence_days,due_date,reason,note,"
                             "organisation_name,organisation_note\r\n");
    }
    for (size_t i = 0; i < list->count; i++) {
        const kw_relationship_t *r = &list->items[i];
        char *org = organisation_key(r->key);
        const org_info_t *oi = org ? org_info(org_infos, model, org) : NULL;
        const char *name = r->display_name && strcmp(r->display_name, r->key) != 0
                               ? r->display_name : NULL;
        /* the person's own note; their organisation's has its own column/card */
        const char *note = r->note_from_org ? NULL : r->note;

        if (format == KW_FORMAT_CSV) {
            char *lt = excel ? excel_time(r->last_touch) : kw_cli_iso_time(r->last_touch);
            char *due = excel ? excel_time(r->due_date) : kw_cli_iso_time(r->due_date);
            char *cd = g_strdup_printf("%d", r->cadence_days);
            char *why = kw_words_reason(&r->reason, mo.as_of);
            kw_csv_field(out, r->key, 1, sep);
            kw_csv_field(out, name, 0, sep);
            kw_csv_field(out, org, 0, sep);
            kw_csv_field(out, excel ? kw_words_state(r->state) : kw_state_to_string(r->state), 0, sep);
            kw_csv_field(out, lt, 0, sep);
            kw_csv_field(out, cd, 0, sep);
            kw_csv_field(out, due, 0, sep);
            kw_csv_field(out, why, 0, sep);
            kw_csv_field(out, note, 0, sep);
            kw_csv_field(out, oi ? oi->name : NULL, 0, sep);
            kw_csv_field(out, oi ? oi->note : NULL, 0, sep);
            g_string_append(out, "\r\n");
            g_free(lt);
            g_free(due);
            g_free(cd);
            g_free(why);
        } else {
            kw_vcard_line(out, "BEGIN:VCARD");
            kw_vcard_line(out, "VERSION:4.0");
            kw_vcard_prop(out, "FN", name ? name : r->key);
            kw_vcard_prop(out, "EMAIL", r->key);
            if (oi && oi->name)
                kw_vcard_prop(out, "ORG", oi->name);
            if (note)
                kw_vcard_prop(out, "NOTE", note);
            vcard_facts(out, r);
            kw_vcard_line(out, "END:VCARD");
        }
        g_free(org);
    }
    /* vCard: a card per organisation, holding its own note */
    for (size_t i = 0; format == KW_FORMAT_VCARD && i < orgs->count; i++) {
        const kw_relationship_t *o = &orgs->items[i];
        if (o->kind != KW_TARGET_ORG)
            continue;
        kw_vcard_line(out, "BEGIN:VCARD");
        kw_vcard_line(out, "VERSION:4.0");
        kw_vcard_line(out, "KIND:org");
        kw_vcard_prop(out, "FN", o->display_name ? o->display_name : o->key);
        kw_vcard_prop(out, "ORG", o->display_name ? o->display_name : o->key);
        kw_vcard_prop(out, "X-KEEPWARM-DOMAIN", o->key);
        if (o->note)
            kw_vcard_prop(out, "NOTE", o->note);
        vcard_facts(out, o);
        kw_vcard_line(out, "END:VCARD");
    }
    fwrite(out->str, 1, out->len, stdout);
    rc = KW_EXIT_OK;
done:
    if (out)
        g_string_free(out, TRUE);
    if (org_infos)
        g_hash_table_destroy(org_infos);
    kw_relationship_list_free(list);
    kw_relationship_list_free(orgs);
    kw_model_free(model);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                   */
/* ------------------------------------------------------------------------ */

/* Parse the options of an action command, open the store and resolve
 * argv[1] through the model (a name, an address, a domain); returns 0 or an
 * exit code (the error printed). `more`: what --help says after TARGET_HELP.
 * `nargs`: positional arguments after the command (-1: >= 2, -2: 1 or 2). `entries`:
 * the command's own options, or NULL. */
static int action_start(kw_cli_t *cli, const char *cmd, const char *params, const char *summary,
                        const char *more, GOptionEntry *entries, int nargs, int *argc,
                        char ***argv, kw_store_t **store, kw_target_t **target)
{
    char *description = more ? g_strconcat(_(TARGET_HELP), " ", more, NULL) : g_strdup(_(TARGET_HELP));
    int rc = kw_cli_parse_options(cli, cmd, params, summary, description, entries, argc, argv);

    g_free(description);
    if (rc)
        return rc;
    if (nargs >= 0 && *argc != nargs + 1)
        return kw_cli_usage_error(cmd, *argc < nargs + 1 ? _("missing arguments: %s")
                                                        : _("too many arguments (usage: %s)"), params);
    if (nargs == -1 && *argc < 3)
        return kw_cli_usage_error(cmd, _("missing arguments: %s"), params);
    if (nargs == -2 && (*argc < 2 || *argc > 3))
        return kw_cli_usage_error(cmd, *argc < 2 ? _("missing arguments: %s")
                                                 : _("too many arguments (usage: %s)"), params);
    return kw_cli_open_target(cli, (*argv)[1], store, target);
}

/* Print the confirmation (or the error), tell the team, close the store. */
static int action_done(kw_cli_t *cli, kw_store_t *store, kw_target_t *target, kw_status_t st,
                       char *error, char *message)
{
    int rc = KW_EXIT_OK;
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
    } else {
        if (message) {
            char *c = kw_cli_clean(message);
            printf("%s\n", c);
            g_free(c);
            fflush(stdout);
        }
        /* what the team sees changes with it (a snooze, an ignore, a rhythm) */
        kw_cli_team_after_action(cli, store);
    }
    g_free(message);
    kw_target_free(target);
    kw_store_close(store);
    return rc;
}


/* The usage error for something typed as a day or a duration. */
static int when_error(const char *cmd, kw_input_status_t st, const char *text)
{
    if (st == KW_INPUT_FRACTION)
        return kw_cli_usage_error(cmd, _("'%s': use whole numbers (10d, 2w, not 1.5w)"), text);
    if (st == KW_INPUT_RANGE)
        return kw_cli_usage_error(cmd, _("'%s' is not a day of the calendar"), text);
    return kw_cli_usage_error(cmd, _("'%s' is neither a day (30.06.2026, 2026-06-30, next monday) "
                                     "nor a duration (10d, 2w, 3 months)"), text);
}

int kw_cmd_snooze(kw_cli_t *cli, int argc, char **argv)
{
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *who, *as_of_text = NULL;
    int64_t until, now;
    kw_status_t st;
    kw_input_status_t in;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("Count relative days (2w, next monday) from DATE instead of now"), N_("DATE") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    int rc;

    rc = action_start(cli, "snooze", _("TARGET UNTIL|DURATION|off"),
                      _("Hide a relationship until a day (30.06.2026, 2026-06-30, next monday, "
                        "nächsten Montag) or for a while (10d, 2w, 3 months, 2 Wochen)."),
                      _("'off' ends a snooze."), entries, 2, &argc, &argv, &store, &target);
    if (rc)
        goto out;
    if ((rc = parse_as_of("snooze", as_of_text, &now)))
        goto close;
    who = kw_cli_target_words(target);
    if (strcmp(argv[2], "off") == 0 || strcmp(argv[2], "none") == 0 || strcmp(argv[2], "aus") == 0) {
        st = kw_unsnooze(store, target->key, &error);
        msg = g_strdup_printf(_("%s is no longer snoozed."), who);
    } else {
        in = kw_input_when(argv[2], now, &until);
        if (in != KW_INPUT_OK) {
            g_free(who);
            rc = when_error("snooze", in, argv[2]);
            goto close;
        }
        if (until <= now) {
            g_free(who);
            rc = kw_cli_usage_error("snooze", _("'%s' is in the past"), argv[2]);
            goto close;
        }
        st = kw_snooze(store, target->key, until, &error);
        {
            char *day = kw_words_day(until, now), *rel = kw_words_ago(until, now);
            /* TRANSLATORS: Snoozed WHO until DAY (in N days). */
            msg = g_strdup_printf(_("Snoozed %s until %s (%s). 'keepwarm undo' takes it back."),
                                  who, day, rel);
            g_free(day);
            g_free(rel);
        }
    }
    g_free(who);
    rc = action_done(cli, store, target, st, error, msg);
    goto out;
close:
    kw_target_free(target);
    kw_store_close(store);
out:
    g_free(as_of_text);
    return rc;
}

int kw_cmd_ignore(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *who;
    int rc = action_start(cli, "ignore", _("TARGET"), _("Never list this address or organisation again."),
                          _("Ignoring a person also takes them out of their organisation's roll-up."),
                          NULL, 1, &argc, &argv, &store, &target);
    if (rc)
        return rc;
    who = kw_cli_target_words(target);
    msg = g_strdup_printf(_("Ignored %s. 'keepwarm undo' takes it back."), who);
    g_free(who);
    st = kw_ignore(store, target->key, &error);
    return action_done(cli, store, target, st, error, msg);
}

int kw_cmd_unignore(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *who;
    int rc = action_start(cli, "unignore", _("TARGET"), _("List this address or organisation again."),
                          NULL, NULL, 1, &argc, &argv, &store, &target);
    if (rc)
        return rc;
    who = kw_cli_target_words(target);
    msg = g_strdup_printf(_("%s is listed again."), who);
    g_free(who);
    st = kw_unignore(store, target->key, &error);
    return action_done(cli, store, target, st, error, msg);
}

/* "45", "6w", "3 months", "monthly", "vierteljährlich" as days; else prints
 * the usage error of `cmd` and returns -1 (*rc holds the exit code). */
static int parse_cadence(const char *cmd, const char *text, int *rc)
{
    int days = 0;
    kw_input_status_t st = kw_input_cadence(text, &days);

    if (st == KW_INPUT_OK)
        return days;
    if (st == KW_INPUT_FRACTION)
        *rc = kw_cli_usage_error(cmd, _("a rhythm is a whole number of days, not '%s'"), text);
    else if (st == KW_INPUT_RANGE)
        *rc = kw_cli_usage_error(cmd, _("a rhythm is 1 to 3650 days, not '%s'"), text);
    else
        *rc = kw_cli_usage_error(cmd, _("'%s' is no rhythm: give days (45), a duration (6w, "
                                        "3 months) or a word (weekly, monthly, quarterly, yearly, "
                                        "monatlich...)"), text);
    return -1;
}

int kw_cmd_cadence(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *who;
    int days = 0;
    int rc = action_start(cli, "cadence", _("TARGET DAYS|auto"),
                          _("Set how often you want to be in touch; 'auto' returns to the learned rhythm."),
                          _("DAYS is a whole number of days, a duration (6w, 3 months, 2 Wochen) or "
                            "a word: daily, weekly, fortnightly, monthly, quarterly, half-yearly, "
                            "yearly (or täglich, wöchentlich, monatlich, vierteljährlich, "
                            "halbjährlich, jährlich)."),
                          NULL, 2, &argc, &argv, &store, &target);
    if (rc)
        return rc;
    if (strcmp(argv[2], "auto") != 0 && strcmp(argv[2], "automatisch") != 0 &&
        (days = parse_cadence("cadence", argv[2], &rc)) < 0) {
        kw_target_free(target);
        kw_store_close(store);
        return rc;
    }
    who = kw_cli_target_words(target);
    if (days) {
        char *words = kw_words_cadence(days);
        msg = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Rhythm of %s set to %s (%d day).",
                                          "Rhythm of %s set to %s (%d days).", (gulong) days),
                              who, words, days);
        g_free(words);
    } else {
        msg = g_strdup_printf(_("Rhythm of %s is learned again."), who);
    }
    g_free(who);
    st = kw_set_cadence(store, target->key, days, &error);
    return action_done(cli, store, target, st, error, msg);
}

int kw_cmd_settle(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *who, *as_of_text = NULL;
    int64_t now;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, N_("The mail up to DATE needs no answer (default: now)"), N_("DATE") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    int off, rc;

    rc = action_start(cli, "settle", _("TARGET [off]"),
                      _("Say that the open mail needs no answer (their question you answered on "
                        "the phone, your offer you will not chase): TARGET no longer awaits a "
                        "reply until new mail comes."),
                      _("'off' takes it back."), entries, -2, &argc, &argv, &store, &target);
    if (rc)
        goto out;
    off = argc == 3;
    if (off && strcmp(argv[2], "off") != 0 && strcmp(argv[2], "aus") != 0) {
        rc = kw_cli_usage_error("settle", _("unexpected argument '%s' (only 'off')"), argv[2]);
        goto close;
    }
    if ((rc = parse_as_of("settle", as_of_text, &now)))
        goto close;
    who = kw_cli_target_words(target);
    if (off)
        msg = g_strdup_printf(_("%s awaits replies again."), who);
    else
        msg = g_strdup_printf(_("The open mail of %s needs no answer; new mail will. "
                                "'keepwarm undo' takes it back."), who);
    g_free(who);
    st = kw_settle(store, target->key, off ? 0 : now, &error);
    rc = action_done(cli, store, target, st, error, msg);
    goto out;
close:
    kw_target_free(target);
    kw_store_close(store);
out:
    g_free(as_of_text);
    return rc;
}

int kw_cmd_note(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *text, *who;
    int rc = action_start(cli, "note", _("TARGET TEXT..."),
                          _("Attach a note to a contact or organisation; an empty TEXT (\"\") removes it."),
                          NULL, NULL, -1, &argc, &argv, &store, &target);
    if (rc)
        return rc;
    text = g_strjoinv(" ", argv + 2);
    g_strstrip(text);
    who = kw_cli_target_words(target);
    msg = *text ? g_strdup_printf(_("Note saved for %s."), who)
                : g_strdup_printf(_("Note removed for %s."), who);
    g_free(who);
    st = kw_set_note(store, target->key, text, &error);
    g_free(text);
    return action_done(cli, store, target, st, error, msg);
}

int kw_cmd_name(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    kw_target_t *target = NULL;
    char *error = NULL, *msg, *text;
    int rc = action_start(cli, "name", _("TARGET NAME..."),
                          _("Give an organisation or a person the name you know them by "
                            "(\"Brandt Logistik GmbH\"); an empty NAME (\"\") returns to the one "
                            "derived from the domain or their mail."),
                          NULL, NULL, -1, &argc, &argv, &store, &target);
    if (rc)
        return rc;
    text = g_strjoinv(" ", argv + 2);
    g_strstrip(text);
    msg = *text ? g_strdup_printf(_("%s is now called %s."), target->key, text)
                : g_strdup_printf(_("%s has its own name again."), target->key);
    st = kw_set_name(store, target->key, text, &error);
    g_free(text);
    return action_done(cli, store, target, st, error, msg);
}

/* What an action did, in words: "snoozed acme.com until Mon 14 Dec". */
static char *action_words(const kw_action_t *a, int64_t now, int before)
{
    int64_t v = before ? a->before : a->after;
    const char *text = before ? a->before_text : a->after_text;
    char *r = NULL, *d;

    switch (a->kind) {
    case KW_ACTION_SNOOZE:
        if (!v)
            return g_strdup_printf(_("%s not snoozed"), a->target);
        d = kw_words_day(v, now);
        r = g_strdup_printf(_("%s snoozed until %s"), a->target, d);
        g_free(d);
        return r;
    case KW_ACTION_IGNORE:
        return g_strdup_printf(v ? _("%s ignored") : _("%s listed"), a->target);
    case KW_ACTION_CADENCE:
        if (!v)
            return g_strdup_printf(_("rhythm of %s learned"), a->target);
        d = kw_words_cadence((int) v);
        /* TRANSLATORS: rhythm of TARGET: EVERY 3 MONTHS */
        r = g_strdup_printf(_("rhythm of %s: %s"), a->target, d);
        g_free(d);
        return r;
    case KW_ACTION_NOTE:
        return text ? g_strdup_printf(_("note of %s: “%s”"), a->target, text)
                    : g_strdup_printf(_("no note of %s"), a->target);
    case KW_ACTION_NAME:
        return text ? g_strdup_printf(_("%s called “%s”"), a->target, text)
                    : g_strdup_printf(_("%s with its own name"), a->target);
    case KW_ACTION_SETTLE:
        return v ? g_strdup_printf(_("open mail of %s needs no answer"), a->target)
                 : g_strdup_printf(_("%s awaits replies"), a->target);
    case KW_ACTION_TIER:
        /* TRANSLATORS: tier of TARGET: A */
        return v ? g_strdup_printf(_("tier of %s: %s"), a->target, kw_words_tier((kw_tier_t) v))
                 : g_strdup_printf(_("%s without a tier"), a->target);
    default:
        return g_strdup(a->target);
    }
}

int kw_cmd_undo(kw_cli_t *cli, int argc, char **argv)
{
    int list = 0, limit = 0, rc;
    GOptionEntry entries[] = {
        { "list", 'l', 0, G_OPTION_ARG_NONE, &list, N_("List the last actions with their numbers instead"), NULL },
        { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("With --list: at most N (default 20)"), N_("N") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_store_t *store = NULL;
    kw_action_t *a = NULL;
    kw_action_list_t *log = NULL;
    char *error = NULL, *end = NULL;
    int64_t id = 0, now = now_time();
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "undo", _("[ID]"),
                              _("Take back the last action (snooze, ignore, cadence, note, name, "
                                "settle, tier), or the one numbered ID in 'keepwarm undo --list'."),
                              _("An action is taken back only while nothing changed the same "
                                "setting since: take back the later one first."),
                              entries, &argc, &argv);
    if (rc)
        return rc;
    if (argc > 2 || (argc == 2 && list))
        return kw_cli_usage_error("undo", _("too many arguments (usage: %s)"), "[ID] | --list");
    if (argc == 2) {
        id = g_ascii_strtoll(argv[1], &end, 10);
        if (!end || *end || id <= 0)
            return kw_cli_usage_error("undo", _("'%s' is not an action number (see 'keepwarm undo --list')"),
                                      argv[1]);
    }
    if (limit < 0)
        return kw_cli_usage_error("undo", _("--limit must not be negative"));
    if ((rc = kw_cli_open_store(cli, list ? KW_STORE_READ_ONLY : KW_STORE_READ_WRITE, &store)))
        return rc;
    if (list) {
        st = kw_actions_list(store, limit, &log, &error);
        if (st != KW_OK) {
            rc = kw_cli_fail_free(st, error);
        } else if (log->count == 0) {
            puts(_("No actions yet."));
        } else {
            const char *h[] = { _("ID"), _("WHEN"), _("WHAT"), _("BEFORE"), _("UNDONE") };
            kw_table_t *t = kw_table_new(5, h);
            for (size_t i = 0; i < log->count; i++) {
                const kw_action_t *x = &log->items[i];
                char *n = g_strdup_printf("%" G_GINT64_FORMAT, x->id);
                char *when = kw_words_ago(x->time, now), *what = action_words(x, now, 0);
                char *before = action_words(x, now, 1);
                char *undone = x->undone ? kw_words_ago(x->undone, now) : g_strdup("");
                const char *cells[5] = { n, when, what, before, undone };
                kw_table_add_row(t, x->undone ? "2" : NULL, cells);
                g_free(n);
                g_free(when);
                g_free(what);
                g_free(before);
                g_free(undone);
            }
            kw_table_shrink(t, 2, 20, 0);
            kw_table_shrink(t, 3, 20, 1);
            kw_table_print(t, cli, stdout, 0);
            kw_table_free(t);
        }
        kw_action_list_free(log);
        kw_store_close(store);
        return rc;
    }
    st = kw_action_undo(store, id, &a, &error);
    if (st == KW_ERR_NOT_FOUND) {
        /* in the user's words: nothing there */
        if (id)
            fprintf(stderr, _("keepwarm: there is no action #%s (see 'keepwarm undo --list')\n"),
                    argv[1]);
        else
            fputs(_("keepwarm: nothing to undo\n"), stderr);
        kw_free(error);
        rc = KW_EXIT_NOT_FOUND;
    } else if (st == KW_OK) {
        char *was = action_words(a, now, 1), *c = kw_cli_clean(was);
        char *n = g_strdup_printf("%" G_GINT64_FORMAT, a->id);
        /* TRANSLATORS: Undone (#ID): back to WHAT IT WAS. */
        printf(_("Undone (#%s): back to %s.\n"), n, c);
        g_free(n);
        g_free(c);
        g_free(was);
        fflush(stdout);
        kw_cli_team_after_action(cli, store); /* an undone snooze or ignore is shared too */
    } else {
        rc = kw_cli_fail_free(st, error);
    }
    kw_action_free(a);
    kw_store_close(store);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* config: store-wide settings (shared with the plugin and cron)             */
/* ------------------------------------------------------------------------ */

int kw_cmd_config(kw_cli_t *cli, int argc, char **argv)
{
    kw_store_t *store = NULL;
    char *error = NULL;
    kw_status_t st;
    int rc, days = 0;

    rc = kw_cli_parse_options(cli, "config", _("[SETTING VALUE|default]"),
                              _("Show or change the settings kept in the store, which the command, "
                                "the Claws Mail plugin and cron jobs share."),
                              _("default-cadence DAYS: the rhythm assumed for relationships with too "
                                "little history to learn one (built in: 60 days).\n"
                                "daily-size N: items on the day's list (built in: 5).\n"
                                "daily-minutes N: or the minutes you give it a day (about 2 per item).\n"
                                "workdays DAYS: the days that count for the streak (built in: mon-fri)."),
                              NULL, &argc, &argv);
    if (rc)
        return rc;
    if (argc == 1) {
        char *words;
        if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
            return rc;
        st = kw_store_get_default_cadence(store, &days, &error);
        kw_store_close(store);
        if (st != KW_OK)
            return kw_cli_fail_free(st, error);
        words = kw_words_cadence(days ? days : KW_DEFAULT_CADENCE_DAYS);
        if (days)
            printf("default-cadence  %d  (%s)\n", days, words);
        else
            printf(_("default-cadence  %d  (%s, built in)\n"), KW_DEFAULT_CADENCE_DAYS, words);
        g_free(words);
        if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
            return rc;
        rc = kw_cli_config_show_routine(store);
        kw_store_close(store);
        return rc;
    }
    if (kw_cli_config_is_routine(argv[1])) {
        if (argc != 3)
            return kw_cli_usage_error("config", _("usage: keepwarm config %s VALUE|default"), argv[1]);
        return kw_cli_config_routine(cli, argv[1], argv[2]);
    }
    if (strcmp(argv[1], "default-cadence") != 0)
        return kw_cli_usage_error("config", _("unknown setting '%s' (known: default-cadence, "
                                              "daily-size, daily-minutes, workdays)"),
                                  argv[1]);
    if (argc != 3)
        return kw_cli_usage_error("config", _("usage: keepwarm config default-cadence DAYS|default"));
    if (strcmp(argv[2], "default") != 0 && (days = parse_cadence("config", argv[2], &rc)) < 0)
        return rc;
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, &store)))
        return rc;
    st = kw_store_set_default_cadence(store, days, &error);
    kw_store_close(store);
    if (st != KW_OK)
        return kw_cli_fail_free(st, error);
    if (days) {
        char *words = kw_words_cadence(days);
        printf(g_dngettext(GETTEXT_PACKAGE, "Default cadence set to %d day (%s).\n",
                           "Default cadence set to %d days (%s).\n", (gulong) days), days, words);
        g_free(words);
    } else {
        printf(_("Default cadence is the built-in %d days again.\n"), KW_DEFAULT_CADENCE_DAYS);
    }
    return KW_EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* contacts                                                                  */
/* ------------------------------------------------------------------------ */

static const char *contact_kind_words(kw_contact_kind_t kind)
{
    switch (kind) {
    case KW_KIND_PERSON: return _("person");
    case KW_KIND_AUTOMATED: return _("automated");
    case KW_KIND_LIST: return _("list");
    case KW_KIND_SELF: return _("self");
    case KW_KIND_COLLEAGUE: return _("colleague");
    }
    return "?";
}

static void print_contacts_json(const kw_contact_list_t *list)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;
    json_builder_begin_array(b);
    for (size_t i = 0; i < list->count; i++) {
        const kw_contact_t *c = &list->items[i];
        json_builder_begin_object(b);
        kw_json_member_string(b, "email", c->email);
        kw_json_member_string(b, "name", c->name);
        kw_json_member_string(b, "org", c->org);
        kw_json_member_string(b, "kind", kw_contact_kind_to_string(c->kind));
        kw_json_member_time(b, "last_inbound", c->last_inbound);
        kw_json_member_time(b, "last_outbound", c->last_outbound);
        json_builder_set_member_name(b, "inbound");
        json_builder_add_int_value(b, c->inbound);
        json_builder_set_member_name(b, "outbound");
        json_builder_add_int_value(b, c->outbound);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    root = json_builder_get_root(b);
    kw_cli_print_json(stdout, root);
    json_node_unref(root);
    g_object_unref(b);
}

int kw_cmd_contacts(kw_cli_t *cli, int argc, char **argv)
{
    char *format_text = NULL, *as_of_text = NULL;
    int all = 0, rc;
    GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("Every address seen, noise too (lists, automated, yourself, colleagues)"), NULL },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("Output format (default: table)"), "table|tsv|json" },
        AS_OF_ENTRY(as_of_text),
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_model_options_t mo = { 0 };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_model_t *model = NULL;
    kw_contact_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "contacts", NULL,
                              _("Everyone you correspond with: counts and last dates per address."),
                              _("Without --all: the people you have written to. Kinds: person, "
                                "automated, list, self, colleague."),
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("contacts", _("unexpected argument '%s'"), argv[1]);
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                                            1u << KW_FORMAT_JSON, &format) != 0) {
        rc = kw_cli_usage_error("contacts", _("--format: use table, tsv or json, not '%s'"), format_text);
        goto done;
    }
    if ((rc = parse_as_of("contacts", as_of_text, &mo.as_of)))
        goto done;
    if ((rc = open_model(cli, &mo, &store, &model)))
        goto done;
    st = kw_model_contacts(model, all, &list, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON) {
        print_contacts_json(list);
    } else {
        int tsv = format == KW_FORMAT_TSV;
        const char *ht[] = { _("EMAIL"), _("NAME"), _("ORG"), _("KIND"), _("LAST FROM THEM"),
                             _("LAST FROM YOU"), _("IN"), _("OUT") };
        static const char *const hs[] = { "email", "name", "org", "kind", "last_inbound",
                                          "last_outbound", "inbound", "outbound" };
        kw_table_t *t = kw_table_new(8, tsv ? hs : ht);
        for (size_t i = 0; i < list->count; i++) {
            const kw_contact_t *c = &list->items[i];
            char *li = tsv ? kw_cli_iso_time(c->last_inbound) : kw_words_ago(c->last_inbound, mo.as_of);
            char *lo = tsv ? kw_cli_iso_time(c->last_outbound) : kw_words_ago(c->last_outbound, mo.as_of);
            char *ni = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) c->inbound);
            char *no = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) c->outbound);
            const char *cells[8] = { c->email, c->name ? c->name : "", c->org ? c->org : "",
                                     tsv ? kw_contact_kind_to_string(c->kind) : contact_kind_words(c->kind),
                                     li ? li : "", lo ? lo : "", ni, no };
            kw_table_add_row(t, NULL, cells);
            g_free(li);
            g_free(lo);
            g_free(ni);
            g_free(no);
        }
        kw_table_shrink(t, 1, 10, 0); /* name, organisation, then the address give way */
        kw_table_shrink(t, 2, 12, 1);
        kw_table_shrink(t, 0, 16, 2);
        kw_table_print(t, cli, stdout, tsv);
        kw_table_free(t);
    }
    rc = KW_EXIT_OK;
done:
    kw_contact_list_free(list);
    kw_model_free(model);
    kw_store_close(store);
    g_free(format_text);
    g_free(as_of_text);
    return rc;
}
