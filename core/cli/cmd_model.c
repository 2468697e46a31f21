/* cmd_model.c — the relationship commands: overdue, show, export, contacts,
 * and the user actions snooze, ignore, unignore, cadence, note.
 * Every string that came from mail (names, subjects, reasons that quote
 * names) goes through kw_sanitize_for_display() before it is printed, in
 * every format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "cli/cli.h"

#define SECONDS_PER_DAY 86400

/* A sanitised copy for printing (transfer full, g_free); NULL stays NULL. */
static char *clean(const char *s)
{
    char *c, *r;
    if (!s)
        return NULL;
    c = kw_sanitize_for_display(s);
    r = g_strdup(c);
    kw_free(c);
    return r;
}

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

static char *cadence_words(int days)
{
    if (days == 7)
        return g_strdup("weekly");
    if (days % 7 == 0 && days < 70)
        return g_strdup_printf("%d weeks", days / 7);
    return g_strdup_printf("%d days", days);
}

/* "Jane Doe <jane@x>" for a person with a name, the key otherwise. */
static char *who(const kw_relationship_t *r)
{
    if (r->kind == KW_TARGET_PERSON && r->name && strcmp(r->name, r->key) != 0)
        return g_strdup_printf("%s <%s>", r->name, r->key);
    return g_strdup(r->key);
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
    if (kw_cli_parse_time(text, as_of) != 0 || *as_of <= 0)
        return kw_cli_usage_error(cmd, "--as-of: not a date: '%s' (use 2024-03-01, "
                                       "2024-03-01T10:00:00Z or now)", text);
    return 0;
}

static int fail_and_free(kw_status_t st, char *error)
{
    int rc = kw_cli_fail(st, error);
    kw_free(error);
    return rc;
}

static void json_double(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.3f", v));
}

static void json_key(GString *out, const char *key, int first)
{
    if (!first)
        g_string_append(out, ", ");
    kw_json_string(out, key);
    g_string_append(out, ": ");
}

static void json_clean_string(GString *out, const char *s)
{
    char *c = clean(s);
    kw_json_string(out, c);
    g_free(c);
}

static void relationship_json(GString *out, const kw_relationship_t *r)
{
    g_string_append(out, "{");
    json_key(out, "kind", 1);
    kw_json_string(out, r->kind == KW_TARGET_ORG ? "org" : "person");
    json_key(out, "key", 0);
    json_clean_string(out, r->key);
    json_key(out, "name", 0);
    json_clean_string(out, r->name);
    json_key(out, "people", 0);
    g_string_append(out, "[");
    for (size_t i = 0; r->people && r->people[i]; i++) {
        if (i)
            g_string_append(out, ", ");
        json_clean_string(out, r->people[i]);
    }
    g_string_append(out, "]");
    json_key(out, "main_person", 0);
    json_clean_string(out, r->main_person);
    json_key(out, "state", 0);
    kw_json_string(out, kw_state_to_string(r->state));
    json_key(out, "last_touch", 0);
    kw_json_time(out, r->last_touch);
    json_key(out, "last_inbound", 0);
    kw_json_time(out, r->last_inbound);
    json_key(out, "last_outbound", 0);
    kw_json_time(out, r->last_outbound);
    json_key(out, "days_since", 0);
    if (r->last_touch || r->last_inbound)
        g_string_append_printf(out, "%d", r->days_since);
    else
        g_string_append(out, "null");
    json_key(out, "cadence_days", 0);
    g_string_append_printf(out, "%d", r->cadence_days);
    json_key(out, "cadence_user_set", 0);
    g_string_append(out, r->cadence_user_set ? "true" : "false");
    json_key(out, "due_date", 0);
    kw_json_time(out, r->due_date);
    json_key(out, "snoozed_until", 0);
    kw_json_time(out, r->snoozed_until);
    json_key(out, "touches", 0);
    g_string_append_printf(out, "%d", r->touches);
    json_key(out, "score", 0);
    json_double(out, r->score);
    json_key(out, "reason", 0);
    json_clean_string(out, r->reason);
    json_key(out, "note", 0);
    json_clean_string(out, r->note);
    g_string_append(out, "}");
}

/* ------------------------------------------------------------------------ */
/* overdue                                                                   */
/* ------------------------------------------------------------------------ */

int kw_cmd_overdue(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *state_text = NULL, *by_text = NULL, *format_text = NULL;
    int limit = 0, all = 0, default_cadence = 0, rc;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, "Compute the model as of DATE (default: now)", "DATE" },
        { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Show at most N rows", "N" },
        { "state", 0, 0, G_OPTION_ARG_STRING, &state_text, "Only this state: overdue, due-soon, awaiting-your-reply, awaiting-their-reply, ok, snoozed, ignored", "S" },
        { "by", 0, 0, G_OPTION_ARG_STRING, &by_text, "Group by organisation (default) or list every person", "org|person" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Output format (default: table)", "table|tsv|json" },
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Every relationship, not only those needing attention", NULL },
        { "default-cadence", 0, 0, G_OPTION_ARG_INT, &default_cadence, "Cadence for relationships with too little history (default: 60)", "DAYS" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_query_options_t q = { 0 };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_relationship_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "overdue", NULL,
                              "Relationships going cold, most valuable first.",
                              "States: overdue (silent beyond the usual rhythm), due-soon, "
                              "awaiting-your-reply (they wrote, you did not answer),\n"
                              "awaiting-their-reply (you wrote, no answer beyond their usual "
                              "time), ok, snoozed, ignored.\n"
                              "Only a two-way exchange resets the clock. By default only "
                              "relationships needing attention are listed.",
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("overdue", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    if ((rc = parse_as_of("overdue", as_of_text, &q.as_of)))
        goto done;
    q.state_filter = -1;
    if (state_text) {
        kw_state_t s;
        if (kw_state_from_string(state_text, &s) != KW_OK) {
            rc = kw_cli_usage_error("overdue", "unknown state '%s'", state_text);
            goto done;
        }
        q.state_filter = (int) s;
    }
    if (by_text && strcmp(by_text, "org") != 0 && strcmp(by_text, "person") != 0) {
        rc = kw_cli_usage_error("overdue", "--by: use org or person, not '%s'", by_text);
        goto done;
    }
    q.by = by_text && strcmp(by_text, "person") == 0 ? KW_BY_PERSON : KW_BY_ORG;
    if (limit < 0 || default_cadence < 0) {
        rc = kw_cli_usage_error("overdue", "--limit and --default-cadence must not be negative");
        goto done;
    }
    q.limit = limit;
    q.include_all = all;
    q.default_cadence_days = default_cadence;
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                                            1u << KW_FORMAT_JSON, &format) != 0) {
        rc = kw_cli_usage_error("overdue", "--format: use table, tsv or json, not '%s'", format_text);
        goto done;
    }
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_relationships_query(store, &q, &list, &error);
    if (st != KW_OK) {
        rc = fail_and_free(st, error);
        goto done;
    }

    if (format == KW_FORMAT_JSON) {
        GString *out = g_string_new("[");
        for (size_t i = 0; i < list->count; i++) {
            g_string_append(out, i ? ",\n " : "\n ");
            relationship_json(out, &list->items[i]);
        }
        g_string_append(out, list->count ? "\n]\n" : "]\n");
        fputs(out->str, stdout);
        g_string_free(out, TRUE);
    } else if (format == KW_FORMAT_TSV) {
        static const char *const h[] = { "kind", "key", "name", "state", "last_touch", "days_since",
                                         "cadence_days", "due_date", "score", "reason" };
        kw_table_t *t = kw_table_new(10, h);
        for (size_t i = 0; i < list->count; i++) {
            const kw_relationship_t *r = &list->items[i];
            char *lt = kw_cli_iso_time(r->last_touch), *due = kw_cli_iso_time(r->due_date);
            char *ds = g_strdup_printf("%d", r->days_since), *cd = g_strdup_printf("%d", r->cadence_days);
            char sc[G_ASCII_DTOSTR_BUF_SIZE];
            const char *cells[10] = { r->kind == KW_TARGET_ORG ? "org" : "person", r->key, r->name,
                                      kw_state_to_string(r->state), lt ? lt : "", ds, cd,
                                      due ? due : "", g_ascii_formatd(sc, sizeof sc, "%.3f", r->score),
                                      r->reason };
            kw_table_add_row(t, NULL, cells);
            g_free(lt); g_free(due); g_free(ds); g_free(cd);
        }
        kw_table_print(t, cli, stdout, 1);
        kw_table_free(t);
    } else {
        static const char *const h[] = { "STATE", "WHO", "LAST EXCHANGE", "RHYTHM", "DUE", "WHY" };
        kw_table_t *t = kw_table_new(6, h);
        for (size_t i = 0; i < list->count; i++) {
            const kw_relationship_t *r = &list->items[i];
            char *w = who(r);
            char *lt = r->last_touch ? kw_cli_relative_days(r->last_touch, q.as_of) : g_strdup("never");
            char *cad = cadence_words(r->cadence_days);
            char *due = r->due_date ? kw_cli_relative_days(r->due_date, q.as_of) : g_strdup("");
            const char *cells[6] = { kw_state_to_string(r->state), w, lt, cad, due, r->reason };
            kw_table_add_row(t, state_color(r->state), cells);
            g_free(w); g_free(lt); g_free(cad); g_free(due);
        }
        if (list->count)
            kw_table_print(t, cli, stdout, 0);
        else
            printf(all || state_text ? "No relationships.\n"
                                     : "Nothing needs attention. (--all lists every relationship)\n");
        kw_table_free(t);
    }
    rc = KW_EXIT_OK;
done:
    kw_relationship_list_free(list);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(state_text);
    g_free(by_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* show                                                                      */
/* ------------------------------------------------------------------------ */

static void print_field(const char *label, const char *value)
{
    char *c = clean(value);
    printf("%-15s %s\n", label, c ? c : "");
    g_free(c);
}

static char *date_and_relative(int64_t t, int64_t as_of)
{
    char *iso, *rel, *r;
    if (!t)
        return g_strdup("never");
    iso = kw_cli_iso_time(t);
    rel = kw_cli_relative_days(t, as_of);
    iso[10] = '\0'; /* the date part */
    r = g_strdup_printf("%s (%s)", iso, rel);
    g_free(iso);
    g_free(rel);
    return r;
}

int kw_cmd_show(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int rc;
    GOptionEntry entries[] = {
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, "Compute the model as of DATE (default: now)", "DATE" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Output format (default: table)", "table|json" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_query_options_t q = { 0 };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_relationship_t *r = NULL;
    kw_touch_list_t *tl = NULL;
    char *error = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "show", "TARGET",
                              "The whole story of one relationship: people, timeline, cadence, "
                              "state, reason, your note and settings.",
                              "TARGET is an e-mail address or an organisation domain (acme.com).",
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc != 2) {
        rc = kw_cli_usage_error("show", argc < 2 ? "which contact or organisation? (an address or a domain)"
                                                 : "only one TARGET, please");
        goto done;
    }
    if ((rc = parse_as_of("show", as_of_text, &q.as_of)))
        goto done;
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_JSON,
                                           &format) != 0) {
        rc = kw_cli_usage_error("show", "--format: use table or json, not '%s'", format_text);
        goto done;
    }
    q.state_filter = -1;
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_relationship_get(store, argv[1], &q, &r, &error);
    if (st == KW_OK)
        st = kw_relationship_timeline(store, argv[1], q.as_of, &tl, &error);
    if (st != KW_OK) {
        rc = fail_and_free(st, error);
        goto done;
    }

    if (format == KW_FORMAT_JSON) {
        GString *out = g_string_new(NULL);
        relationship_json(out, r);
        g_string_truncate(out, out->len - 1); /* reopen the object for the timeline */
        json_key(out, "timeline", 0);
        g_string_append(out, "[");
        for (size_t i = 0; i < tl->count; i++) {
            const kw_touch_t *t = &tl->items[i];
            g_string_append(out, i ? ",\n  {" : "\n  {");
            json_key(out, "time", 1);
            kw_json_time(out, t->time);
            json_key(out, "address", 0);
            json_clean_string(out, t->address);
            json_key(out, "direction", 0);
            kw_json_string(out, t->inbound && t->outbound ? "both" : t->inbound ? "in" : "out");
            json_key(out, "subject", 0);
            json_clean_string(out, t->subject);
            g_string_append(out, "}");
        }
        g_string_append(out, "]}\n");
        fputs(out->str, stdout);
        g_string_free(out, TRUE);
    } else {
        char *w = who(r), *s;
        const char *src = r->cadence_user_set ? "your setting" : "learned or default";
        char *cad = cadence_words(r->cadence_days);

        printf("%s (%s)\n\n", (s = clean(w)), r->kind == KW_TARGET_ORG ? "organisation" : "person");
        g_free(s);
        g_free(w);
        if (cli->color)
            printf("%-15s \033[%sm%s\033[0m\n", "State:", state_color(r->state), kw_state_to_string(r->state));
        else
            print_field("State:", kw_state_to_string(r->state));
        print_field("Why:", r->reason);
        s = g_strdup_printf("%s (%s)", cad, src);
        print_field("Rhythm:", s);
        g_free(s);
        g_free(cad);
        print_field("Last exchange:", (s = date_and_relative(r->last_touch, q.as_of)));
        g_free(s);
        print_field("They wrote:", (s = date_and_relative(r->last_inbound, q.as_of)));
        g_free(s);
        print_field("You wrote:", (s = date_and_relative(r->last_outbound, q.as_of)));
        g_free(s);
        if (r->due_date) {
            print_field("Due:", (s = date_and_relative(r->due_date, q.as_of)));
            g_free(s);
        }
        s = g_strdup_printf("%d", r->touches);
        print_field("Exchanges:", s);
        g_free(s);
        if (r->snoozed_until) {
            print_field("Snoozed until:", (s = date_and_relative(r->snoozed_until, q.as_of)));
            g_free(s);
        }
        if (r->state == KW_STATE_IGNORED)
            print_field("Ignored:", "yes (keepwarm unignore to list it again)");
        if (r->note)
            print_field("Note:", r->note);
        if (r->main_person)
            print_field("Write to:", r->main_person);
        printf("People:\n");
        for (size_t i = 0; r->people && r->people[i]; i++) {
            char *p = clean(r->people[i]);
            printf("  %s\n", p);
            g_free(p);
        }
        printf("Timeline (newest first, %zu touches):\n", tl->count);
        for (size_t i = 0; i < tl->count; i++) {
            const kw_touch_t *t = &tl->items[i];
            char *iso = kw_cli_iso_time(t->time), *addr = clean(t->address), *subj = clean(t->subject);
            const char *dir = t->inbound && t->outbound ? "<->" : t->inbound ? "<- " : " ->";
            iso[10] = '\0';
            printf("  %s  %s  %-30s  %s\n", iso, dir, addr ? addr : "", subj ? subj : "");
            g_free(iso);
            g_free(addr);
            g_free(subj);
        }
    }
    rc = KW_EXIT_OK;
done:
    kw_touch_list_free(tl);
    kw_relationship_free(r);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* export                                                                    */
/* ------------------------------------------------------------------------ */

/* RFC 4180: quote when the field holds a comma, quote, CR or LF; double quotes. */
static void csv_field(GString *out, const char *s, int first)
{
    char *c = clean(s);
    if (!first)
        g_string_append_c(out, ',');
    if (c && strpbrk(c, ",\"\r\n")) {
        g_string_append_c(out, '"');
        for (const char *p = c; *p; p++) {
            if (*p == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
    } else if (c) {
        g_string_append(out, c);
    }
    g_free(c);
}

/* RFC 6350 3.4: escape backslash, comma, semicolon and newlines in values. */
static void vcard_escape(GString *out, const char *s)
{
    char *c = clean(s);
    for (const char *p = c ? c : ""; *p; p++) {
        if (*p == '\\' || *p == ',' || *p == ';')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
    g_free(c);
}

/* RFC 6350 3.2: lines of at most 75 octets, folded with CRLF + space, never
 * inside a UTF-8 sequence. */
static void vcard_line(GString *out, const char *line)
{
    size_t len = strlen(line), pos = 0, limit = 75;
    while (len - pos > limit) {
        size_t cut = pos + limit;
        while (cut > pos && ((unsigned char) line[cut] & 0xC0) == 0x80)
            cut--;
        g_string_append_len(out, line + pos, (gssize) (cut - pos));
        g_string_append(out, "\r\n ");
        pos = cut;
        limit = 74; /* the leading space counts */
    }
    g_string_append(out, line + pos);
    g_string_append(out, "\r\n");
}

static void vcard_prop(GString *out, const char *name, const char *value, int escape)
{
    GString *line = g_string_new(name);
    g_string_append_c(line, ':');
    if (escape)
        vcard_escape(line, value);
    else
        g_string_append(line, value ? value : "");
    vcard_line(out, line->str);
    g_string_free(line, TRUE);
}

int kw_cmd_export(kw_cli_t *cli, int argc, char **argv)
{
    char *as_of_text = NULL, *format_text = NULL;
    int rc;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Output format (default: csv)", "csv|vcard" },
        { "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text, "Compute the model as of DATE (default: now)", "DATE" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_query_options_t q = { 0 };
    kw_format_t format = KW_FORMAT_CSV;
    kw_store_t *store = NULL;
    kw_relationship_list_t *list = NULL;
    char *error = NULL;
    GString *out = NULL;
    kw_status_t st;

    rc = kw_cli_parse_options(cli, "export", NULL,
                              "Export the computed model, one row/card per contact.",
                              "CSV (RFC 4180) columns: email, name, organisation, state, last_touch, "
                              "cadence_days, due_date, reason, note.\n"
                              "vCard 4.0: FN, EMAIL, ORG, NOTE plus X-KEEPWARM-* properties.",
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("export", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_CSV | 1u << KW_FORMAT_VCARD,
                                           &format) != 0) {
        rc = kw_cli_usage_error("export", "--format: use csv or vcard, not '%s'", format_text);
        goto done;
    }
    if ((rc = parse_as_of("export", as_of_text, &q.as_of)))
        goto done;
    q.by = KW_BY_PERSON;
    q.include_all = 1;
    q.state_filter = -1;
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_relationships_query(store, &q, &list, &error);
    if (st != KW_OK) {
        rc = fail_and_free(st, error);
        goto done;
    }
    out = g_string_new(NULL);
    if (format == KW_FORMAT_CSV)
        g_string_append(out, "email,name,organisation,state,last_touch,cadence_days,due_date,reason,note\r\n");
    for (size_t i = 0; i < list->count; i++) {
        const kw_relationship_t *r = &list->items[i];
        char *org = kw_org_for_address(r->key);
        const char *org_shown = org && strcmp(org, r->key) != 0 ? org : "";
        char *lt = kw_cli_iso_time(r->last_touch), *due = kw_cli_iso_time(r->due_date);
        char *cd = g_strdup_printf("%d", r->cadence_days);
        const char *name = r->name && strcmp(r->name, r->key) != 0 ? r->name : NULL;

        if (format == KW_FORMAT_CSV) {
            csv_field(out, r->key, 1);
            csv_field(out, name, 0);
            csv_field(out, org_shown, 0);
            csv_field(out, kw_state_to_string(r->state), 0);
            csv_field(out, lt, 0);
            csv_field(out, cd, 0);
            csv_field(out, due, 0);
            csv_field(out, r->reason, 0);
            csv_field(out, r->note, 0);
            g_string_append(out, "\r\n");
        } else {
            char *note;
            vcard_line(out, "BEGIN:VCARD");
            vcard_line(out, "VERSION:4.0");
            vcard_prop(out, "FN", name ? name : r->key, 1);
            vcard_prop(out, "EMAIL", r->key, 1);
            if (*org_shown)
                vcard_prop(out, "ORG", org_shown, 1);
            note = r->note ? g_strdup_printf("%s\n%s", r->reason, r->note) : g_strdup(r->reason);
            vcard_prop(out, "NOTE", note, 1);
            g_free(note);
            vcard_prop(out, "X-KEEPWARM-STATE", kw_state_to_string(r->state), 1);
            vcard_prop(out, "X-KEEPWARM-CADENCE-DAYS", cd, 1);
            if (lt)
                vcard_prop(out, "X-KEEPWARM-LAST-TOUCH", lt, 1);
            if (due)
                vcard_prop(out, "X-KEEPWARM-DUE", due, 1);
            vcard_line(out, "END:VCARD");
        }
        g_free(org);
        g_free(lt);
        g_free(due);
        g_free(cd);
    }
    fwrite(out->str, 1, out->len, stdout);
    rc = KW_EXIT_OK;
done:
    if (out)
        g_string_free(out, TRUE);
    kw_relationship_list_free(list);
    kw_store_close(store);
    g_free(as_of_text);
    g_free(format_text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                   */
/* ------------------------------------------------------------------------ */

/* Parse the options of an action command; returns 0 and opens the store, or
 * an exit code. `nargs`: positional arguments after the command (-1: >= 2). */
static int action_start(kw_cli_t *cli, const char *cmd, const char *params, const char *summary,
                        const char *description, int nargs, int *argc, char ***argv,
                        kw_store_t **store)
{
    int rc = kw_cli_parse_options(cli, cmd, params, summary, description, NULL, argc, argv);
    if (rc)
        return rc;
    if (nargs >= 0 && *argc != nargs + 1)
        return kw_cli_usage_error(cmd, *argc < nargs + 1 ? "missing arguments: %s"
                                                        : "too many arguments (usage: %s)", params);
    if (nargs < 0 && *argc < 3)
        return kw_cli_usage_error(cmd, "missing arguments: %s", params);
    return kw_cli_open_store(cli, KW_STORE_READ_WRITE, store);
}

#define TARGET_HELP "TARGET is an e-mail address or an organisation domain (acme.com) the store knows."

static int action_done(kw_store_t *store, kw_status_t st, char *error, const char *message)
{
    int rc = KW_EXIT_OK;
    if (st != KW_OK) {
        rc = fail_and_free(st, error);
    } else if (message) {
        char *c = clean(message);
        printf("%s\n", c);
        g_free(c);
    }
    kw_store_close(store);
    return rc;
}

int kw_cmd_snooze(kw_cli_t *cli, int argc, char **argv)
{
    kw_store_t *store = NULL;
    char *error = NULL, *msg = NULL, *iso;
    int64_t until, dur;
    kw_status_t st;
    int rc;

    rc = action_start(cli, "snooze", "TARGET UNTIL|DURATION|off",
                      "Hide a relationship until a date (2024-06-01) or for a while (10d, 3w, 2m, 1y).",
                      TARGET_HELP " 'off' ends a snooze.", 2, &argc, &argv, &store);
    if (rc)
        return rc;
    if (strcmp(argv[2], "off") == 0 || strcmp(argv[2], "none") == 0) {
        st = kw_unsnooze(store, argv[1], &error);
        msg = g_strdup_printf("%s is no longer snoozed.", argv[1]);
    } else {
        if (kw_cli_parse_duration(argv[2], &dur) == 0)
            until = now_time() + dur;
        else if (kw_cli_parse_time(argv[2], &until) != 0) {
            kw_store_close(store);
            return kw_cli_usage_error("snooze", "'%s' is neither a date (2024-06-01) nor a duration (10d, 3w)",
                                      argv[2]);
        }
        if (until <= now_time()) {
            kw_store_close(store);
            return kw_cli_usage_error("snooze", "'%s' is in the past", argv[2]);
        }
        st = kw_snooze(store, argv[1], until, &error);
        iso = kw_cli_iso_time(until);
        msg = g_strdup_printf("Snoozed %s until %s.", argv[1], iso);
        g_free(iso);
    }
    rc = action_done(store, st, error, msg);
    g_free(msg);
    return rc;
}

int kw_cmd_ignore(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    char *error = NULL, *msg;
    int rc = action_start(cli, "ignore", "TARGET", "Never list this address or organisation again.",
                          TARGET_HELP " Ignoring a person also takes them out of their "
                          "organisation's roll-up.", 1, &argc, &argv, &store);
    if (rc)
        return rc;
    msg = g_strdup_printf("Ignored %s (undo with: keepwarm unignore %s).", argv[1], argv[1]);
    st = kw_ignore(store, argv[1], &error);
    rc = action_done(store, st, error, msg);
    g_free(msg);
    return rc;
}

int kw_cmd_unignore(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    char *error = NULL, *msg;
    int rc = action_start(cli, "unignore", "TARGET", "List this address or organisation again.",
                          TARGET_HELP, 1, &argc, &argv, &store);
    if (rc)
        return rc;
    msg = g_strdup_printf("%s is listed again.", argv[1]);
    st = kw_unignore(store, argv[1], &error);
    rc = action_done(store, st, error, msg);
    g_free(msg);
    return rc;
}

int kw_cmd_cadence(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    char *error = NULL, *msg, *end = NULL;
    long days = 0;
    int rc = action_start(cli, "cadence", "TARGET DAYS|auto",
                          "Set how often you want to be in touch; 'auto' returns to the learned rhythm.",
                          TARGET_HELP " DAYS is a number of days (or 2w, 3m, 1y).", 2, &argc, &argv,
                          &store);
    if (rc)
        return rc;
    if (strcmp(argv[2], "auto") != 0) {
        int64_t secs;
        days = strtol(argv[2], &end, 10);
        if (!end || *end) {
            if (kw_cli_parse_duration(argv[2], &secs) != 0) {
                kw_store_close(store);
                return kw_cli_usage_error("cadence", "'%s' is not a number of days or 'auto'", argv[2]);
            }
            days = (long) (secs / SECONDS_PER_DAY);
        }
        if (days <= 0 || days > 3650) {
            kw_store_close(store);
            return kw_cli_usage_error("cadence", "a cadence is 1 to 3650 days (or 'auto')");
        }
    }
    msg = days ? g_strdup_printf("Cadence of %s set to %ld days.", argv[1], days)
               : g_strdup_printf("Cadence of %s is learned again.", argv[1]);
    st = kw_set_cadence(store, argv[1], (int) days, &error);
    rc = action_done(store, st, error, msg);
    g_free(msg);
    return rc;
}

int kw_cmd_note(kw_cli_t *cli, int argc, char **argv)
{
    kw_status_t st;
    kw_store_t *store = NULL;
    char *error = NULL, *msg, *text;
    int rc = action_start(cli, "note", "TARGET TEXT...",
                          "Attach a note to a contact or organisation; an empty TEXT (\"\") removes it.",
                          TARGET_HELP, -1, &argc, &argv, &store);
    if (rc)
        return rc;
    text = g_strjoinv(" ", argv + 2);
    g_strstrip(text);
    msg = *text ? g_strdup_printf("Note saved for %s.", argv[1])
                : g_strdup_printf("Note removed for %s.", argv[1]);
    st = kw_set_note(store, argv[1], text, &error);
    rc = action_done(store, st, error, msg);
    g_free(msg);
    g_free(text);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* contacts                                                                  */
/* ------------------------------------------------------------------------ */

int kw_cmd_contacts(kw_cli_t *cli, int argc, char **argv)
{
    char *format_text = NULL;
    int all = 0, rc;
    GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Every address seen, noise too (lists, automated, yourself, colleagues)", NULL },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Output format (default: table)", "table|tsv|json" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    kw_format_t format = KW_FORMAT_TABLE;
    kw_store_t *store = NULL;
    kw_contact_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;
    int64_t now = now_time();

    rc = kw_cli_parse_options(cli, "contacts", NULL,
                              "Everyone you correspond with: counts and last dates per address.",
                              "Without --all: the people you have written to. Kinds: person, "
                              "automated, list, self, colleague.",
                              entries, &argc, &argv);
    if (rc)
        goto done;
    if (argc > 1) {
        rc = kw_cli_usage_error("contacts", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    if (format_text && kw_cli_parse_format(format_text, 1u << KW_FORMAT_TABLE | 1u << KW_FORMAT_TSV |
                                                            1u << KW_FORMAT_JSON, &format) != 0) {
        rc = kw_cli_usage_error("contacts", "--format: use table, tsv or json, not '%s'", format_text);
        goto done;
    }
    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_ONLY, &store)))
        goto done;
    st = kw_contacts_list(store, all, &list, &error);
    if (st != KW_OK) {
        rc = fail_and_free(st, error);
        goto done;
    }
    if (format == KW_FORMAT_JSON) {
        GString *out = g_string_new("[");
        for (size_t i = 0; i < list->count; i++) {
            const kw_contact_t *c = &list->items[i];
            g_string_append(out, i ? ",\n {" : "\n {");
            json_key(out, "email", 1);
            json_clean_string(out, c->email);
            json_key(out, "name", 0);
            json_clean_string(out, c->name);
            json_key(out, "org", 0);
            json_clean_string(out, c->org);
            json_key(out, "kind", 0);
            kw_json_string(out, kw_contact_kind_to_string(c->kind));
            json_key(out, "last_inbound", 0);
            kw_json_time(out, c->last_inbound);
            json_key(out, "last_outbound", 0);
            kw_json_time(out, c->last_outbound);
            json_key(out, "inbound", 0);
            g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64) c->inbound);
            json_key(out, "outbound", 0);
            g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64) c->outbound);
            g_string_append(out, "}");
        }
        g_string_append(out, list->count ? "\n]\n" : "]\n");
        fputs(out->str, stdout);
        g_string_free(out, TRUE);
    } else {
        int tsv = format == KW_FORMAT_TSV;
        static const char *const ht[] = { "EMAIL", "NAME", "ORG", "KIND", "LAST FROM THEM",
                                          "LAST FROM YOU", "IN", "OUT" };
        static const char *const hs[] = { "email", "name", "org", "kind", "last_inbound",
                                          "last_outbound", "inbound", "outbound" };
        kw_table_t *t = kw_table_new(8, tsv ? hs : ht);
        for (size_t i = 0; i < list->count; i++) {
            const kw_contact_t *c = &list->items[i];
            char *li = tsv ? kw_cli_iso_time(c->last_inbound) : kw_cli_relative_days(c->last_inbound, now);
            char *lo = tsv ? kw_cli_iso_time(c->last_outbound) : kw_cli_relative_days(c->last_outbound, now);
            char *ni = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) c->inbound);
            char *no = g_strdup_printf("%" G_GINT64_FORMAT, (gint64) c->outbound);
            const char *cells[8] = { c->email, c->name ? c->name : "", c->org ? c->org : "",
                                     kw_contact_kind_to_string(c->kind), li ? li : "", lo ? lo : "",
                                     ni, no };
            kw_table_add_row(t, NULL, cells);
            g_free(li); g_free(lo); g_free(ni); g_free(no);
        }
        kw_table_print(t, cli, stdout, tsv);
        kw_table_free(t);
    }
    rc = KW_EXIT_OK;
done:
    kw_contact_list_free(list);
    kw_store_close(store);
    g_free(format_text);
    return rc;
}
