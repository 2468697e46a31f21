/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-view-model.c — the Claws plugin's view logic, without Claws or GTK.
 * GTest with TAP output (run with --tap, as `make check` does). */
#include <glib.h>
#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "view_model.h"
#include "test-locale.h"

#define DAY 86400
static const int64_t NOW = 1717243200; /* 2024-06-01T12:00:00Z */

/* A relationship fixture; strings are static, so never free these. */
static kw_relationship_t rel_make(const char *key, const char *name, kw_state_t state,
                                  int days_since, int cadence, char **people)
{
    kw_relationship_t r;
    memset(&r, 0, sizeof r);
    r.kind = strchr(key, '@') ? KW_TARGET_PERSON : KW_TARGET_ORG;
    r.key = (char *)key;
    r.display_name = (char *)name;
    r.people = people;
    r.main_person = people ? people[0] : (char *)key;
    r.state = state;
    r.days_since = days_since;
    r.last_touch = NOW - (int64_t)days_since * DAY;
    r.last_inbound = r.last_touch;
    r.last_outbound = r.last_touch;
    r.cadence_days = cadence;
    r.reason.state = state;
    r.reason.last_exchange = r.last_touch;
    r.reason.last_exchange_with.address = (char *)"jane@acme.com";
    r.reason.last_exchange_with.name = (char *)"Jane Doe";
    r.reason.cadence_days = cadence;
    r.reason.cadence_source = KW_CADENCE_LEARNED;
    r.reason.exchanges = 12;
    r.reason.first_exchange = NOW - 400 * (int64_t)DAY;
    return r;
}

/* ---- presentation ------------------------------------------------------- */
static void test_state_presentation(void)
{
    for (int s = 0; s < KW_STATE_LAST; s++) {
        g_assert_true(kwv_state_colour(s)[0] == '#');
        g_assert_nonnull(kwv_state_icon(s));
    }
    g_assert_cmpstr(kwv_state_colour(KW_STATE_OVERDUE), !=, kwv_state_colour(KW_STATE_DUE_SOON));
}

/* ---- rows: the library's list as it is, in the words of core/words ----- */
static void test_rows_order_and_filter(void)
{
    char *acme[] = { "jane@acme.com", "bob@acme.com", NULL };
    char *globex[] = { "hank@globex.com", NULL };
    char *gmail[] = { "sam@gmail.com", NULL };
    char *acme_names[] = { "Jane Doe", "", NULL };
    kw_relationship_t items[5];
    items[0] = rel_make("acme.com", "ACME", KW_STATE_OVERDUE, 93, 21, acme);
    items[0].people_names = acme_names;
    items[1] = rel_make("old.example", "Old", KW_STATE_SNOOZED, 300, 30, NULL);
    items[2] = rel_make("globex.com", "Globex", KW_STATE_AWAITING_YOUR_REPLY, 6, 14, globex);
    items[3] = rel_make("fine.example", "Fine", KW_STATE_OK, 2, 30, NULL);
    items[4] = rel_make("sam@gmail.com", NULL, KW_STATE_DUE_SOON, 25, 30, gmail);
    kw_relationship_list_t list = { 5, items };

    GPtrArray *rows = kwv_rows_build(&list, NOW);
    /* the library decides which states are listed and ranks them: the view
     * neither filters nor re-sorts */
    g_assert_cmpuint(rows->len, ==, 5);
    kwv_row_t *r0 = rows->pdata[0], *r2 = rows->pdata[2], *r4 = rows->pdata[4];
    g_assert_cmpstr(r0->title, ==, "ACME");
    g_assert_cmpstr(r2->title, ==, "Globex");
    g_assert_cmpstr(r4->title, ==, "sam@gmail.com"); /* no name: the key */
    g_assert_cmpstr(r0->since, ==, "93 days");
    g_assert_cmpstr(r0->cadence, ==, "every 3 weeks");
    /* the people by name (the panel's second line), their address where unknown */
    g_assert_cmpstr(r0->people, ==, "Jane Doe, bob@acme.com");
    g_assert_cmpstr(r0->main_person, ==, "jane@acme.com");
    g_assert_cmpstr(r0->reason, ==, "Last exchange 93 days ago (Feb 29, with Jane Doe); you "
                                    "usually talk every 3 weeks; 12 exchanges since 2023.");
    g_assert_cmpint(r4->kind, ==, KW_TARGET_PERSON);
    g_assert_null(r0->team); /* no team touch: nothing for the tooltip */
    g_ptr_array_unref(rows);

    /* a teammate's call: a line for the tooltip */
    items[2].reason.team_touch = KW_TEAM_TOUCH_CALL;
    items[2].reason.team_last_touch = NOW - 3 * (int64_t)DAY;
    items[2].reason.team_member.name = (char *)"Jan Weber";
    items[2].reason.team_member_id = (char *)"jan";
    rows = kwv_rows_build(&list, NOW);
    g_assert_cmpstr(((kwv_row_t *)rows->pdata[2])->team, ==, "Jan Weber: call 3 days ago");
    g_ptr_array_unref(rows);
    memset(&items[2].reason.team_member, 0, sizeof items[2].reason.team_member);
    items[2].reason.team_member_id = NULL;
    items[2].reason.team_touch = KW_TEAM_TOUCH_NONE;

    rows = kwv_rows_build(NULL, NOW);
    g_assert_cmpuint(rows->len, ==, 0);
    g_ptr_array_unref(rows);
}

static void test_rows_sanitise_names(void)
{
    kw_relationship_t items[1];
    items[0] = rel_make("evil.example", "Evil\xe2\x80\xae Corp\r\n\tInc\xff", KW_STATE_OVERDUE, 10, 7, NULL);
    kw_relationship_list_t list = { 1, items };
    GPtrArray *rows = kwv_rows_build(&list, NOW);
    kwv_row_t *r = rows->pdata[0];
    g_assert_true(g_utf8_validate(r->title, -1, NULL));
    g_assert_null(strstr(r->title, "\xe2\x80\xae")); /* RLO removed */
    g_assert_null(strchr(r->title, '\n'));
    g_assert_true(g_str_has_prefix(r->title, "Evil Corp Inc"));
    g_ptr_array_unref(rows);
}

/* ---- hint bar: the button (its text is kw_words_hint's) ----------------- */
static void test_hint_action(void)
{
    char *acme[] = { "jane@acme.com", NULL };
    static const struct {
        kw_state_t state;
        kwv_hint_action_t first, second;
    } cases[] = {
        { KW_STATE_OVERDUE, KWV_HINT_WRITE, KWV_HINT_SNOOZE_WEEK },
        { KW_STATE_DUE_SOON, KWV_HINT_WRITE, KWV_HINT_SNOOZE_WEEK },
        /* reply to this very message, or say it needs none */
        { KW_STATE_AWAITING_YOUR_REPLY, KWV_HINT_REPLY, KWV_HINT_SETTLE },
        /* your offer has no answer: follow it up */
        { KW_STATE_AWAITING_THEIR_REPLY, KWV_HINT_FOLLOW_UP, KWV_HINT_SNOOZE_WEEK },
        { KW_STATE_OK, KWV_HINT_DETAILS, KWV_HINT_NONE },     /* in touch: informative */
        { KW_STATE_SNOOZED, KWV_HINT_NONE, KWV_HINT_NONE },
        { KW_STATE_IGNORED, KWV_HINT_NONE, KWV_HINT_NONE },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        kw_relationship_t r = rel_make("acme.com", "ACME", cases[i].state, 93, 21, acme);
        kwv_hint_action_t first, second;
        kwv_hint_actions(&r, NOW, &first, &second);
        g_assert_cmpint(first, ==, cases[i].first);
        g_assert_cmpint(second, ==, cases[i].second);
    }
    /* an out-of-office naming a day to come: snooze until then first */
    {
        kw_relationship_t r = rel_make("acme.com", "ACME", KW_STATE_AWAITING_THEIR_REPLY, 93, 21, acme);
        kwv_hint_action_t first, second;
        r.reason.away_since = NOW - 86400;
        r.reason.away_until = NOW - NOW % 86400 + 3 * 86400; /* away until 3 days on */
        kwv_hint_actions(&r, NOW, &first, &second);
        g_assert_cmpint(first, ==, KWV_HINT_SNOOZE_BACK);
        g_assert_cmpint(second, ==, KWV_HINT_FOLLOW_UP);
        g_assert_cmpint(kwv_back_on(&r, NOW), ==, r.reason.away_until + 86400); /* the day after */
        r.reason.away_until_is_return = 1;
        g_assert_cmpint(kwv_back_on(&r, NOW), ==, r.reason.away_until);         /* that day */
        r.reason.away_until = NOW - 10 * 86400;                                   /* gone by */
        g_assert_cmpint(kwv_back_on(&r, NOW), ==, 0);
        kwv_hint_actions(&r, NOW, &first, &second);
        g_assert_cmpint(first, ==, KWV_HINT_FOLLOW_UP);
        /* away while merely overdue (your mail is recent): the same first button */
        r.state = KW_STATE_OVERDUE;
        r.reason.away_until = NOW - NOW % 86400 + 3 * 86400;
        kwv_hint_actions(&r, NOW, &first, &second);
        g_assert_cmpint(first, ==, KWV_HINT_SNOOZE_BACK);
        g_assert_cmpint(second, ==, KWV_HINT_WRITE);
    }
    {
        kwv_hint_action_t first = KWV_HINT_WRITE, second = KWV_HINT_WRITE;
        kwv_hint_actions(NULL, NOW, &first, &second);
        g_assert_cmpint(first, ==, KWV_HINT_NONE);
        g_assert_cmpint(second, ==, KWV_HINT_NONE);
    }
    g_assert_cmpstr(kwv_hint_action_label(KWV_HINT_WRITE), ==, "Write…");
    g_assert_cmpstr(kwv_hint_action_label(KWV_HINT_FOLLOW_UP), ==, "Follow up…");
    g_assert_cmpstr(kwv_hint_action_label(KWV_HINT_SETTLE), ==, "No reply needed");
    g_assert_null(kwv_hint_action_label(KWV_HINT_NONE));
    {
        size_t n;
        const kw_state_t *legend = kwv_legend_states(&n);
        g_assert_cmpint(n, ==, 4);
        g_assert_cmpint(legend[0], ==, KW_STATE_AWAITING_YOUR_REPLY); /* the panel's order */
    }
}

/* ---- progress lines (json-glib) ------------------------------------------ */
static void test_event_parse(void)
{
    kwv_event_t ev;
    g_assert_true(kwv_event_parse("{\"event\":\"connected\",\"account\":\"Work\"}", &ev));
    g_assert_cmpint(ev.kind, ==, KWV_EV_CONNECTED);
    g_assert_false(ev.has_status);
    kwv_event_clear(&ev);

    g_assert_true(kwv_event_parse("{\"event\":\"progress\",\"folder\":\"Archive/2023 \\\"Q\\u00e4\\\"\",\"done\":300,\"total\":1200}", &ev));
    g_assert_cmpint(ev.kind, ==, KWV_EV_PROGRESS);
    g_assert_cmpstr(ev.folder, ==, "Archive/2023 \"Q\xc3\xa4\"");
    g_assert_cmpint(ev.done, ==, 300);
    g_assert_cmpint(ev.total, ==, 1200);
    char *s = kwv_event_status_text(&ev, "Work");
    g_assert_cmpstr(s, ==, "Keep warm: reading Work/Archive/2023 \"Q\xc3\xa4\" (300 of 1200)");
    g_free(s);
    kwv_event_clear(&ev);

    /* the final event: its status names the outcome (the exit code is not read) */
    g_assert_true(kwv_event_parse(" {\"event\":\"error\",\"status\":\"auth\",\"exit\":3,\"message\":\"LOGIN failed\",\"extra\":{\"a\":[1,2]}}\n", &ev));
    g_assert_cmpint(ev.kind, ==, KWV_EV_ERROR);
    g_assert_true(ev.has_status);
    g_assert_cmpint(ev.status, ==, KW_ERR_AUTH);
    g_assert_cmpstr(ev.message, ==, "LOGIN failed");
    kwv_event_clear(&ev);
    g_assert_true(kwv_event_parse("{\"event\":\"done\",\"status\":\"partial\",\"exit\":9,\"seconds\":0.25}", &ev));
    g_assert_cmpint(ev.kind, ==, KWV_EV_DONE);
    g_assert_true(ev.has_status);
    g_assert_cmpint(ev.status, ==, KW_ERR_PARTIAL);
    kwv_event_clear(&ev);
    /* every status name the library has, as the command writes it */
    for (int st = 0; st < KW_STATUS_LAST; st++) {
        char *line = g_strdup_printf("{\"event\":\"error\",\"status\":\"%s\"}", kw_status_to_string(st));
        g_assert_true(kwv_event_parse(line, &ev));
        g_assert_true(ev.has_status);
        g_assert_cmpint(ev.status, ==, st);
        kwv_event_clear(&ev);
        g_free(line);
    }
    /* a status this build does not know, or none, or not a string: no outcome */
    const char *no_status[] = { "{\"event\":\"error\",\"status\":\"from-the-future\"}",
                                "{\"event\":\"done\"}", "{\"event\":\"done\",\"status\":3}",
                                "{\"event\":\"progress\",\"status\":\"ok\"}", NULL };
    for (int i = 0; no_status[i]; i++) {
        g_assert_true(kwv_event_parse(no_status[i], &ev));
        g_assert_false(ev.has_status);
        kwv_event_clear(&ev);
    }

    g_assert_true(kwv_event_parse("{\"event\":\"folder_done\",\"new\":42,\"ok\":true,\"x\":null}", &ev));
    g_assert_cmpint(ev.new_messages, ==, 42);
    kwv_event_clear(&ev);

    /* surrogate pair */
    g_assert_true(kwv_event_parse("{\"event\":\"warning\",\"message\":\"\\ud83d\\ude00\"}", &ev));
    g_assert_cmpstr(ev.message, ==, "\xf0\x9f\x98\x80");
    kwv_event_clear(&ev);

    /* not JSON objects: plain stderr text, truncated lines, trailing junk,
     * empty, an array, a bare string (json-glib decides what JSON is; it
     * lets an unknown escape like \q through) */
    const char *bad[] = { "keepwarm: error", "{\"event\":\"done\"", "{\"event\" \"x\"}",
                          "{\"a\":1} x", "", "[1,2]", "\"text\"", NULL };
    for (int i = 0; bad[i]; i++) {
        g_assert_false(kwv_event_parse(bad[i], &ev));
        g_assert_cmpint(ev.kind, ==, KWV_EV_UNKNOWN);
        g_assert_null(ev.message);
    }
    g_assert_false(kwv_event_parse(NULL, &ev));
    /* unknown event names parse but stay unknown */
    g_assert_true(kwv_event_parse("{\"event\":\"future\"}", &ev));
    g_assert_cmpint(ev.kind, ==, KWV_EV_UNKNOWN);
    kwv_event_clear(&ev);
}

/* ---- what the user reads after a sync ------------------------------------ */
static void test_sync_message(void)
{
    g_assert_null(kwv_sync_message(KW_OK, "Work", NULL));
    char *m = kwv_sync_message(KW_ERR_AUTH, "Work", "LOGIN failed");
    g_assert_nonnull(strstr(m, "password"));
    g_assert_nonnull(strstr(m, "Work"));
    g_assert_true(g_str_has_suffix(m, "(LOGIN failed)"));
    g_free(m);
    /* the detail comes from a server: sanitised */
    m = kwv_sync_message(KW_ERR_SERVER, "Work", "BAD \x1b[31mred\r\nline");
    g_assert_null(strchr(m, '\x1b'));
    g_assert_null(strchr(m, '\n'));
    g_free(m);
    /* every status has words, and they differ where the advice differs */
    for (int st = 1; st < KW_STATUS_LAST; st++) {
        m = kwv_sync_message(st, "Work", NULL);
        g_assert_true(g_str_has_prefix(m, "Keep warm: "));
        g_assert_nonnull(strstr(m, "Work"));
        g_free(m);
    }
    char *tls = kwv_sync_message(KW_ERR_TLS, "Work", NULL);
    char *insecure = kwv_sync_message(KW_ERR_INSECURE, "Work", NULL);
    g_assert_cmpstr(tls, !=, insecure);
    g_free(tls);
    g_free(insecure);

    m = kwv_sync_stopped_message(KWV_STOP_TIMEOUT, 0, "Work", NULL);
    g_assert_nonnull(strstr(m, "too long"));
    g_free(m);
    m = kwv_sync_stopped_message(KWV_STOP_SIGNAL, 9, "Work", "Killed");
    g_assert_nonnull(strstr(m, "signal 9"));
    g_assert_true(g_str_has_suffix(m, "(Killed)"));
    g_free(m);
    m = kwv_sync_stopped_message(KWV_STOP_SILENT, 2, "Work", "keepwarm: unknown option --x");
    g_assert_nonnull(strstr(m, "exit 2"));
    g_free(m);
}

/* ---- TLS mapping and argv ----------------------------------------------- */
static void test_tls_arg(void)
{
    g_assert_cmpstr(kwv_tls_arg(1, "imap.example.com"), ==, "implicit");
    g_assert_cmpstr(kwv_tls_arg(2, "imap.example.com"), ==, "starttls");
    /* plaintext: only where kw_sync_run allows it (kw_host_is_loopback) */
    g_assert_cmpstr(kwv_tls_arg(0, "127.0.0.1"), ==, "none");
    g_assert_cmpstr(kwv_tls_arg(0, "localhost"), ==, "none");
    g_assert_cmpstr(kwv_tls_arg(0, "::1"), ==, "none");
    g_assert_null(kwv_tls_arg(0, "imap.example.com"));
    g_assert_null(kwv_tls_arg(0, "127.0.0.1.evil.com"));
    g_assert_null(kwv_tls_arg(0, "1270.0.0.1"));
    /* the library refuses these without TLS, so the plugin does not try */
    g_assert_null(kwv_tls_arg(0, "localhost."));
    g_assert_null(kwv_tls_arg(0, "[::1]"));
    g_assert_null(kwv_tls_arg(7, "imap.example.com"));
}

static void test_sync_argv(void)
{
    kwv_sync_args_t a = {
        .program = "/usr/bin/keepwarm", .host = "imap.example.com", .port = 993,
        .tls = "implicit", .user = "jane", .account = "Work", .me = "jane@example.com",
        .ca_file = NULL, .db = "/tmp/kw.db", .password_fd = 3,
    };
    char **argv = kwv_sync_argv(&a);
    char *joined = g_strjoinv(" ", argv);
    g_assert_cmpstr(joined, ==,
        "/usr/bin/keepwarm sync --progress=json --no-team --host imap.example.com --port=993 "
        "--tls=implicit --user jane --account Work --me jane@example.com --password-fd=3 "
        "--db /tmp/kw.db");
    g_free(joined);
    g_strfreev(argv);
}

static void test_split_list(void)
{
    /* one entry per line; commas and semicolons separate too; spaces stay
     * inside an entry (the normaliser then refuses it as a whole) */
    char **v = kwv_split_list(" Acme.com, b.org\n\nC.net;; Jane Doe <jane@x.org>\r\n");
    g_assert_cmpuint(g_strv_length(v), ==, 4);
    g_assert_cmpstr(v[0], ==, "Acme.com");
    g_assert_cmpstr(v[2], ==, "C.net");
    g_assert_cmpstr(v[3], ==, "Jane Doe <jane@x.org>");
    g_strfreev(v);
    v = kwv_split_list(NULL);
    g_assert_cmpuint(g_strv_length(v), ==, 0);
    g_strfreev(v);
}

/* The plugin's rows in German: the one catalogue, built into
 * $KW_BUILD/locale, through the wording module. */
static void test_german(void)
{
    const char *build = g_getenv("KW_BUILD");
    char *dir = g_build_filename(build ? build : "build", "locale", NULL);
    char *mo = g_build_filename(dir, "de", "LC_MESSAGES", "keepwarm.mo", NULL);
    const char *dirs[] = { dir, NULL };
    char *acme[] = { "jane@acme.com", NULL };
    kw_relationship_t items[1];
    kw_relationship_list_t list = { 1, items };
    items[0] = rel_make("acme.com", "ACME", KW_STATE_OVERDUE, 93, 21, acme);

    if (!g_file_test(mo, G_FILE_TEST_EXISTS)) {
        g_test_skip("keepwarm.mo not built");
    } else if (!test_locale_german()) {
        g_test_skip("no de_DE.UTF-8 locale (localedef failed)");
    } else {
        kw_words_bind(dirs);
        GPtrArray *rows = kwv_rows_build(&list, NOW);
        kwv_row_t *r = rows->pdata[0];
        g_assert_cmpstr(r->since, ==, "93 Tage");
        g_assert_cmpstr(r->cadence, ==, "alle 3 Wochen");
        g_assert_cmpstr(kwv_hint_action_label(KWV_HINT_WRITE), ==, "Schreiben…");
        g_ptr_array_unref(rows);
    }
    test_locale_done();
    g_free(mo);
    g_free(dir);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_unsetenv("LANGUAGE");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/view/state-presentation", test_state_presentation);
    g_test_add_func("/view/rows-order-filter", test_rows_order_and_filter);
    g_test_add_func("/view/rows-sanitise", test_rows_sanitise_names);
    g_test_add_func("/view/hint-action", test_hint_action);
    g_test_add_func("/view/event-parse", test_event_parse);
    g_test_add_func("/view/sync-message", test_sync_message);
    g_test_add_func("/view/tls-arg", test_tls_arg);
    g_test_add_func("/view/sync-argv", test_sync_argv);
    g_test_add_func("/view/split-list", test_split_list);
    g_test_add_func("/view/german", test_german);
    return g_test_run();
}
