/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-common.c — the command's shared helpers (core/cli/common.c):
 * time and duration parsing, formats, tables, and the escaping of TSV,
 * JSON, CSV (RFC 4180) and vCard (RFC 6350). Table-driven, one comment per
 * edge case. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static void test_times_and_formats(void)
{
    char *s;
    kw_format_t f = KW_FORMAT_TABLE;

    s = kw_cli_iso_time(1709287200);
    g_assert_cmpstr(s, ==, "2024-03-01T10:00:00Z");
    g_free(s);
    s = kw_cli_iso_day(1709287200);
    g_assert_cmpstr(s, ==, "2024-03-01");
    g_free(s);
    g_assert_null(kw_cli_iso_time(0));   /* "none" stays NULL, never 1970 */
    g_assert_null(kw_cli_iso_day(0));

    g_assert_cmpint(kw_cli_parse_format("json", 1u << KW_FORMAT_JSON, &f), ==, 0);
    g_assert_cmpint(f, ==, KW_FORMAT_JSON);
    /* a known format the command does not offer */
    g_assert_cmpint(kw_cli_parse_format("csv", 1u << KW_FORMAT_JSON, &f), ==, -1);
    g_assert_cmpint(kw_cli_parse_format("JSON", 1u << KW_FORMAT_JSON, &f), ==, -1);
    g_assert_cmpint(kw_cli_parse_format(NULL, 1u << KW_FORMAT_JSON, &f), ==, -1);

    g_assert_cmpint(kw_cli_exit_code(KW_OK), ==, 0);
    g_assert_cmpint(kw_cli_exit_code(KW_ERR_NOT_FOUND), ==, 10);
    g_assert_cmpint(kw_cli_exit_code(KW_ERR_STORE_CORRUPT), ==, 7);
    g_assert_cmpint(kw_cli_exit_code(KW_ERR_INSECURE), ==, 4);
}

/* Print a table into a string, for a terminal `width` columns wide (0: no
 * limit). */
static char *table_at(kw_table_t *t, int color, int tsv, int width)
{
    kw_cli_t cli = { .color = color, .width = width };
    /* the stream's buffer pointer lives on the heap: a local one would
     * dangle (for the compiler) once this returns */
    struct { char *buf; size_t len; } *m = g_new0(typeof(*m), 1);
    FILE *f = open_memstream(&m->buf, &m->len);
    char *text;
    kw_table_print(t, &cli, f, tsv);
    fclose(f);
    text = m->buf;
    g_free(m);
    return text;
}

static char *table_text(kw_table_t *t, int color, int tsv)
{
    return table_at(t, color, tsv, 0);
}

static void test_table(void)
{
    static const char *const h[] = { "WHO", "N" };
    const char *r1[] = { "Jörg", "1" };          /* two-byte letters: 4 columns */
    const char *r2[] = { "日本", "22" };          /* wide: 2 columns each */
    const char *r3[] = { "a\x1b[31mb\tc\nd", NULL }; /* escape removed, whitespace folded */
    kw_table_t *t = kw_table_new(2, h);
    char *s;

    kw_table_add_row(t, "31", r1);
    kw_table_add_row(t, NULL, r2);
    kw_table_add_row(t, NULL, r3);
    s = table_text(t, 0, 0);
    /* the widest cell is the cleaned "a[31mb c d" (10 columns) */
    g_assert_cmpstr(s, ==, "WHO         N\n"
                           "Jörg        1\n"
                           "日本        22\n"
                           "a[31mb c d  \n");
    free(s);
    /* colour: the header bold, coloured rows wrapped, others plain */
    s = table_text(t, 1, 0);
    g_assert_true(g_str_has_prefix(s, "\033[1mWHO"));
    g_assert_nonnull(strstr(s, "\033[31mJörg        1\033[0m\n"));
    g_assert_nonnull(strstr(s, "\n日本        22\n"));
    free(s);
    /* TSV: tabs between cells, never inside one */
    s = table_text(t, 1, 1);
    g_assert_cmpstr(s, ==, "WHO\tN\nJörg\t1\n日本\t22\na[31mb c d\t\n");
    free(s);
    kw_table_free(t);
    kw_table_free(NULL);
    g_assert_cmpuint(kw_cli_display_width("日本x"), ==, 5);
    g_assert_cmpuint(kw_cli_display_width("e\xcc\x81"), ==, 1); /* combining accent */
}

/* A table wider than the terminal: the shrinkable columns give way, in
 * their order, down to their minimum; the cut ends in "…". */
static void test_table_width(void)
{
    static const char *const h[] = { "STATE", "WHO", "WHY" };
    const char *r1[] = { "overdue", "Brandt Logistik (brandt-logistik.de)",
                         "Last exchange 69 days ago (Mar 25, with Ben Cold); you usually talk every 2 weeks." };
    kw_table_t *t = kw_table_new(3, h);
    char *buf, *line;

    kw_table_add_row(t, NULL, r1);
    kw_table_shrink(t, 2, 12, 0);  /* WHY first */
    kw_table_shrink(t, 1, 16, 1);  /* then WHO */
    buf = table_at(t, 0, 0, 60);
    line = strchr(buf, '\n') + 1;
    g_assert_cmpstr(line, ==, "overdue  Brandt Logistik (brandt-logistik.de)  Last exchang…\n");
    free(buf);
    /* narrower: WHY at its minimum, then WHO */
    buf = table_at(t, 0, 0, 40);
    line = strchr(buf, '\n') + 1;
    g_assert_cmpstr(line, ==, "overdue  Brandt Logistik…   Last exchan…\n");
    free(buf);
    /* no limit (--wide): whole */
    buf = table_at(t, 0, 0, 0);
    g_assert_nonnull(strstr(buf, "every 2 weeks."));
    free(buf);
    /* a detail column goes on its own line when it would be narrower than
     * its minimum inline; an optional column is left out */
    kw_table_detail(t, 2, 30);
    kw_table_optional(t, 0, 5);
    buf = table_at(t, 0, 0, 40);
    g_assert_cmpstr(buf, ==, "STATE    WHO\n"
                             "overdue  Brandt Logistik (brandt-logist…\n"
                             "    Last exchange 69 days ago (Mar 25,…\n");
    free(buf);
    buf = table_at(t, 0, 0, 30);
    g_assert_cmpstr(buf, ==, "STATE    WHO\n"
                             "overdue  Brandt Logistik (bra…\n"
                             "    Last exchange 69 days ago…\n");
    free(buf);
    /* WHO at its minimum is not enough: STATE goes */
    buf = table_at(t, 0, 0, 20);
    g_assert_cmpstr(buf, ==, "WHO\n"
                             "Brandt Logistik (br…\n"
                             "    Last exchange 6…\n");
    free(buf);
    kw_table_free(t);

    {
        char *s = kw_cli_truncate("Jörg Müller", 6);
        g_assert_cmpstr(s, ==, "Jörg…");   /* no space before the ellipsis */
        g_free(s);
        s = kw_cli_truncate("日本語", 4);
        g_assert_cmpstr(s, ==, "日…");      /* a wide character never cut in half */
        g_free(s);
        s = kw_cli_wrap("one two three four", 12, 4);
        g_assert_cmpstr(s, ==, "one two\n    three\n    four");
        g_free(s);
        s = kw_cli_wrap("one two", 0, 4);
        g_assert_cmpstr(s, ==, "one two");
        g_free(s);
    }
}

static void test_json_string(void)
{
    GString *out = g_string_new(NULL);
    kw_json_string(out, "a\"b\\c\n\t\x01\x7f é");
    g_assert_cmpstr(out->str, ==, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f é\"");
    g_string_truncate(out, 0);
    kw_json_string(out, NULL);
    g_assert_cmpstr(out->str, ==, "null");
    g_string_truncate(out, 0);
    kw_json_string(out, "bad \xff utf8"); /* made valid, never passed through */
    g_assert_true(g_utf8_validate(out->str, -1, NULL));
    g_string_free(out, TRUE);
}

static void test_csv(void)
{
    static const struct {
        const char *field;
        const char *want;
    } cases[] = {
        { "plain", "plain" },
        { "a,b", "\"a,b\"" },                 /* a comma: quoted */
        { "say \"hi\"", "\"say \"\"hi\"\"\"" }, /* quotes doubled */
        { "", "" },
        { "x\x1b[2Jy", "x[2Jy" },               /* control characters removed */
        { "line\r\nbreak", "line break" },      /* the sanitiser folds line breaks */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GString *out = g_string_new(NULL);
        kw_csv_field(out, cases[i].field, 1, ',');
        g_assert_cmpstr(out->str, ==, cases[i].want);
        g_string_free(out, TRUE);
    }
    {
        GString *out = g_string_new(NULL);
        kw_csv_field(out, "a", 1, ',');
        kw_csv_field(out, NULL, 0, ','); /* NULL: an empty field */
        kw_csv_field(out, "c", 0, ',');
        g_assert_cmpstr(out->str, ==, "a,,c");
        g_string_free(out, TRUE);
    }
    {
        /* for Excel where the decimal separator is a comma: ';' separates,
         * a comma needs no quotes, a semicolon does */
        GString *out = g_string_new(NULL);
        kw_csv_field(out, "Müller, Jörg", 1, ';');
        kw_csv_field(out, "a;b", 0, ';');
        g_assert_cmpstr(out->str, ==, "Müller, Jörg;\"a;b\"");
        g_string_free(out, TRUE);
    }
}

static void test_vcard(void)
{
    GString *out = g_string_new(NULL);
    char *long_value, **lines;

    kw_vcard_prop(out, "NOTE", "a;b,c\\d\nsecond line");
    g_assert_cmpstr(out->str, ==, "NOTE:a\\;b\\,c\\\\d\\nsecond line\r\n");
    g_string_truncate(out, 0);
    kw_vcard_prop(out, "FN", NULL);
    g_assert_cmpstr(out->str, ==, "FN:\r\n");
    g_string_truncate(out, 0);

    /* folding: lines of at most 75 octets, never inside a UTF-8 sequence */
    long_value = g_strnfill(100, 'x');
    memcpy(long_value + 70, "äöü", 6);
    kw_vcard_prop(out, "NOTE", long_value);
    lines = g_strsplit(out->str, "\r\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3); /* two lines and the empty tail */
    for (char **l = lines; *l && **l; l++) {
        g_assert_cmpuint(strlen(*l), <=, 75);
        g_assert_true(g_utf8_validate(*l, -1, NULL));
    }
    g_assert_true(lines[1][0] == ' ');            /* continuation starts with a space */
    {
        GString *joined = g_string_new(lines[0]);
        g_string_append(joined, lines[1] + 1);
        g_assert_cmpstr(joined->str + 5, ==, long_value); /* unfolding gives the value back */
        g_string_free(joined, TRUE);
    }
    g_strfreev(lines);
    g_free(long_value);
    g_string_free(out, TRUE);
}

static void test_relationship_json(void)
{
    char *people[] = { "jane@acme.com", NULL };
    kw_relationship_t r;
    JsonNode *node;
    JsonObject *o, *why;

    memset(&r, 0, sizeof r);
    r.kind = KW_TARGET_ORG;
    r.key = "acme.com";
    r.display_name = "ACME \x1b[31m";
    r.people = people;
    r.main_person = "jane@acme.com";
    r.state = KW_STATE_OVERDUE;
    r.last_touch = 1709287200;
    r.cadence_days = 21;
    r.score = 1.5;
    r.touches = 3;
    r.reason.state = KW_STATE_OVERDUE;
    r.reason.last_exchange = r.last_touch;
    r.reason.last_exchange_with.address = "jane@acme.com";
    r.reason.cadence_days = 21;
    r.reason.cadence_source = KW_CADENCE_LEARNED;
    r.reason.exchanges = 3;
    r.reason.first_exchange = 1709287200;

    node = kw_cli_relationship_json(&r, 1709287200 + 93 * 86400);
    o = json_node_get_object(node);
    g_assert_cmpstr(json_object_get_string_member(o, "key"), ==, "acme.com");
    g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "ACME [31m"); /* sanitised */
    g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "overdue");
    g_assert_cmpstr(json_object_get_string_member(o, "state_text"), ==, "overdue");
    g_assert_cmpstr(json_object_get_string_member(o, "cadence_text"), ==, "every 3 weeks");
    g_assert_cmpstr(json_object_get_string_member(o, "cadence_source"), ==, "learned");
    g_assert_cmpstr(json_object_get_string_member(o, "last_touch"), ==, "2024-03-01T10:00:00Z");
    g_assert_true(json_object_get_null_member(o, "due_date"));
    g_assert_true(json_object_get_null_member(o, "note"));
    g_assert_cmpint(json_object_get_int_member(o, "days_since"), ==, 0);
    g_assert_cmpfloat(json_object_get_double_member(o, "score"), ==, 1.5);
    g_assert_cmpstr(json_object_get_string_member(o, "reason"), ==,
                    "Last exchange 93 days ago (Mar 1, with jane@acme.com); you usually talk "
                    "every 3 weeks; 3 exchanges since 2024.");
    why = json_object_get_object_member(o, "why");
    g_assert_true(json_object_get_null_member(why, "waiting_on"));
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(why, "last_exchange_with"),
                                                  "address"), ==, "jane@acme.com");
    json_node_unref(node);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_unsetenv("LANGUAGE");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cli/times-and-formats", test_times_and_formats);
    g_test_add_func("/cli/table", test_table);
    g_test_add_func("/cli/table-width", test_table_width);
    g_test_add_func("/cli/json-string", test_json_string);
    g_test_add_func("/cli/csv", test_csv);
    g_test_add_func("/cli/vcard", test_vcard);
    g_test_add_func("/cli/relationship-json", test_relationship_json);
    return g_test_run();
}
