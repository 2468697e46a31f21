/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ics.c — calendars into touches (core/ics_import.c, libical): recurring
 * events with exceptions, time zones, the address forms of attendees,
 * cancelled and declined events, the window, planned meetings, re-import
 * idempotence and changes, and malformed files (refused whole, the error
 * naming the line). Over a store filled the way a sync fills it. */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "mail-fixture.h"

/* 2024-03-04 (day 63) is a Monday; the window is around day 100. */
#define AS_OF AT(100)

static const char berlin[] =
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

static void world(fixture_t *f)
{
    fx_exchanges(f, "jane@acme.example", 0, 14, 4);
    fx_exchanges(f, "bob@globex.example", 0, 14, 4);
    fx_exchanges(f, "tom@mycorp.com", 0, 7, 4);      /* a colleague */
    fx_mail(f, "stranger@else.example", ME, 5, "Hi");  /* wrote once, never answered: no person */
}

/* Write `body` wrapped in a calendar (with the Berlin zone) to a file in
 * the fixture's directory; returns its path (g_free). */
static char *ics(fixture_t *f, const char *name, const char *body)
{
    char *path = g_build_filename(f->dir, name, NULL);
    char *text = g_strconcat("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm//test//EN\r\n",
                             berlin, body, "END:VCALENDAR\r\n", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_free(text);
    return path;
}

static kw_status_t import(fixture_t *f, const char *path, kw_ics_report_t *r, char **error)
{
    kw_ics_options_t o = { .as_of = AS_OF, .floating_tzid = "Europe/Berlin" };
    return kw_import_ics(f->store, path, &o, r, error);
}

/* The calendar touches, "address@time-in-days-from-T0-with-hours" ordered. */
static char *touches(fixture_t *f)
{
    sqlite3_stmt *st;
    GString *s = g_string_new(NULL);
    sqlite3_prepare_v2(kw_store_db(f->store),
                       "SELECT c.email, t.time FROM touches t JOIN contacts c ON c.id = t.contact_id "
                       "WHERE t.origin = 1 AND t.source = 2 ORDER BY t.time, c.email",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 1) - T0;
        g_string_append_printf(s, "%s%s@%" G_GINT64_FORMAT "+%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                               s->len ? " " : "", (const char *) sqlite3_column_text(st, 0), t / DAY,
                               t % DAY / 3600, t % 3600 / 60);
    }
    sqlite3_finalize(st);
    return g_string_free(s, FALSE);
}

#define ASSERT_TOUCHES(f, expected)          \
    do {                                     \
        char *got_ = touches(f);             \
        g_assert_cmpstr(got_, ==, expected); \
        g_free(got_);                        \
    } while (0)

/* A weekly meeting with ACME in Berlin time, its second week dropped
 * (EXDATE), the third moved to Tuesday afternoon, the fourth cancelled; the
 * organizer written in capitals with MAILTO:, the user accepted. */
static const char weekly[] =
    "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
    "DTSTART;TZID=Europe/Berlin:20240304T100000\r\nDTEND;TZID=Europe/Berlin:20240304T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=6\r\n"
    "EXDATE;TZID=Europe/Berlin:20240311T100000\r\n"
    "ORGANIZER;CN=Jane Doe:MAILTO:Jane@ACME.Example\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED;CN=Me:mailto:me@mycorp.com\r\n"
    "SUMMARY:Weekly sync\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20240318T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20240319T150000\r\nDTEND;TZID=Europe/Berlin:20240319T160000\r\n"
    "ORGANIZER;CN=Jane Doe:MAILTO:Jane@ACME.Example\r\n"
    "SUMMARY:Weekly sync (moved)\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20240325T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20240325T100000\r\n"
    "STATUS:CANCELLED\r\nORGANIZER:mailto:jane@acme.example\r\n"
    "SUMMARY:Weekly sync\r\nEND:VEVENT\r\n";

/* Other forms: a zone only the system knows, a floating time, an all-day
 * visit, the EMAIL parameter, a folded line, a contact who declined, an
 * event the user declined, a cancelled one, one with only a colleague and
 * a stranger, one in the future (planned). */
static const char others[] =
    "BEGIN:VEVENT\r\nUID:ny@globex\r\nDTSTART;TZID=America/New_York:20240305T090000\r\n"
    "ATTENDEE;EMAIL=bob@globex.example;CN=Bob:urn:uuid:1234\r\nSUMMARY:NY call\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:floating@globex\r\nDTSTART:20240306T090000\r\n"
    "ATTENDEE:mailto:BOB@globex.example\r\nSUMMARY:Floating\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:allday@acme\r\nDTSTART;VALUE=DATE:20240307\r\n"
    "ATTENDEE;CN=\"Doe, Jane\":mailto:jane@acme.ex\r\n ample\r\nSUMMARY:Visit\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:they-declined@acme\r\nDTSTART:20240308T090000Z\r\n"
    "ATTENDEE;PARTSTAT=DECLINED:mailto:jane@acme.example\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@globex.example\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:i-declined@acme\r\nDTSTART:20240309T090000Z\r\n"
    "ATTENDEE;PARTSTAT=DECLINED:mailto:me@mycorp.com\r\n"
    "ATTENDEE:mailto:jane@acme.example\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:cancelled@acme\r\nDTSTART:20240310T090000Z\r\nSTATUS:CANCELLED\r\n"
    "ATTENDEE:mailto:jane@acme.example\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:internal@mycorp\r\nDTSTART:20240311T090000Z\r\n"
    "ATTENDEE:mailto:tom@mycorp.com\r\nATTENDEE:mailto:stranger@else.example\r\n"
    "ATTENDEE:mailto:unknown@nowhere.example\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:future@globex\r\nDTSTART:20240501T080000Z\r\n"
    "ORGANIZER:mailto:me@mycorp.com\r\nATTENDEE:mailto:bob@globex.example\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:too-old@globex\r\nDTSTART:20200101T080000Z\r\n"
    "ATTENDEE:mailto:bob@globex.example\r\nEND:VEVENT\r\n";

static void test_import(fixture_t *f, gconstpointer data)
{
    kw_ics_report_t r;
    char *error = NULL, *a, *b;
    kw_model_t *m;
    kw_relationship_t *rel = NULL;
    (void) data;
    world(f);
    a = ics(f, "weekly.ics", weekly);
    b = ics(f, "others.ics", others);
    g_assert_cmpint(import(f, a, &r, &error), ==, KW_OK);
    /* CET (UTC+1) until the 31st: 10:00 Berlin is 09:00 UTC; the 19th at 14:00 UTC;
     * after the switch to summer time (the 31st) 08:00 UTC */
    ASSERT_TOUCHES(f, "jane@acme.example@63+09:00 jane@acme.example@78+14:00 "
                      "jane@acme.example@91+08:00 jane@acme.example@98+08:00");
    g_assert_cmpint(r.events, ==, 3);
    g_assert_cmpint(r.occurrences, ==, 5);
    g_assert_cmpint(r.cancelled, ==, 1);
    g_assert_cmpint(r.added, ==, 4);
    g_assert_cmpint(import(f, b, &r, &error), ==, KW_OK);
    /* New York (UTC-5) 09:00 is 14:00 UTC; floating 09:00 is Berlin's; the
     * all-day visit counts at noon UTC; the stranger who once wrote is a
     * known contact, the colleague and the unknown address are not */
    ASSERT_TOUCHES(f, "jane@acme.example@63+09:00 bob@globex.example@64+14:00 "
                      "bob@globex.example@65+08:00 jane@acme.example@66+12:00 "
                      "bob@globex.example@67+09:00 stranger@else.example@70+09:00 "
                      "jane@acme.example@78+14:00 jane@acme.example@91+08:00 "
                      "jane@acme.example@98+08:00 bob@globex.example@121+08:00");
    g_assert_cmpint(r.declined, ==, 1);
    g_assert_cmpint(r.cancelled, ==, 1);
    g_assert_cmpint(r.occurrences, ==, 8);   /* the one of 2020 is outside the window */
    g_assert_cmpint(r.with_contacts, ==, 6);
    g_assert_cmpint(r.added, ==, 6);

    /* the meetings are touches; the future one is planned (known since the import) */
    m = fx_model(f, AS_OF);
    g_assert_cmpint(kw_model_relationship(m, "globex.example", &rel, &error), ==, KW_OK);
    g_assert_cmpint(rel->last_touch, ==, AT(67) + 9 * 3600);
    g_assert_cmpint(rel->reason.last_exchange_source, ==, KW_SOURCE_MEETING);
    g_assert_cmpint(rel->reason.planned_touch, ==, AT(121) + 8 * 3600);
    g_assert_cmpint(rel->state, ==, KW_STATE_OK);
    kw_relationship_free(rel);
    kw_model_free(m);

    /* the same files again: nothing changes, not even an id */
    {
        int64_t before = fx_count(f, "SELECT sum(id * 7 + time) FROM touches");
        g_assert_cmpint(import(f, a, &r, &error), ==, KW_OK);
        g_assert_cmpint(r.added + r.updated + r.removed, ==, 0);
        g_assert_cmpint(r.unchanged, ==, 4);
        g_assert_cmpint(import(f, b, &r, &error), ==, KW_OK);
        g_assert_cmpint(r.unchanged, ==, 6);
        g_assert_cmpint(fx_count(f, "SELECT sum(id * 7 + time) FROM touches"), ==, before);
        g_assert_cmpint(fx_count(f, "SELECT count(*) FROM interactions WHERE direction = 3"), ==, 10);
    }
    g_free(a);
    g_free(b);
    g_assert_null(error);
}

static void test_changes(fixture_t *f, gconstpointer data)
{
    kw_ics_report_t r;
    char *error = NULL, *a;
    (void) data;
    world(f);
    a = ics(f, "weekly.ics", weekly);
    g_assert_cmpint(import(f, a, &r, &error), ==, KW_OK);
    g_free(a);
    /* the organiser cancels the first week, moves the last one by an hour,
     * invites Bob to the fifth */
    a = ics(f, "weekly.ics",
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "DTSTART;TZID=Europe/Berlin:20240304T100000\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n"
            "EXDATE;TZID=Europe/Berlin:20240311T100000\r\n"
            "ORGANIZER:mailto:jane@acme.example\r\nSUMMARY:Weekly sync\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240304T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240304T100000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240318T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240319T150000\r\n"
            "ORGANIZER:mailto:jane@acme.example\r\nSUMMARY:Weekly sync (moved)\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240325T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240325T100000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240401T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240401T100000\r\n"
            "ORGANIZER:mailto:jane@acme.example\r\nATTENDEE:mailto:bob@globex.example\r\n"
            "SUMMARY:Weekly sync\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:weekly-1@acme\r\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20240408T100000\r\n"
            "DTSTART;TZID=Europe/Berlin:20240408T110000\r\n"
            "ORGANIZER:mailto:jane@acme.example\r\nSUMMARY:Weekly sync\r\nEND:VEVENT\r\n");
    g_assert_cmpint(import(f, a, &r, &error), ==, KW_OK);
    ASSERT_TOUCHES(f, "jane@acme.example@78+14:00 bob@globex.example@91+08:00 "
                      "jane@acme.example@91+08:00 jane@acme.example@98+09:00");
    g_assert_cmpint(r.removed, ==, 1);
    g_assert_cmpint(r.updated, ==, 1);
    g_assert_cmpint(r.added, ==, 1);
    g_assert_cmpint(r.unchanged, ==, 2);
    g_free(a);
    g_assert_null(error);
}

static void test_malformed(fixture_t *f, gconstpointer data)
{
    static const struct {
        const char *what;
        const char *text;  /* the whole file */
        int line;
        const char *says;
    } rows[] = {
        { "garbage", "BEGIN:VCALENDAR\nVERSION:2.0\nthis is not ical\nEND:VCALENDAR\n", 3,
          "not an iCalendar line" },
        { "a bad date", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240231T100000Z\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n", 4, "DTSTART: not a valid date" },
        { "an unreadable date", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"
          "DTSTART:2024XX01T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 4, "DTSTART cannot be read" },
        { "an unknown zone", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"
          "DTSTART;TZID=Mars/Olympus:20240301T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 4,
          "unknown time zone Mars/Olympus" },
        { "a bad rule", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240301T100000Z\r\n"
          "RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 5, "RRULE cannot be read" },
        { "END of another component", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VTODO\r\n"
          "END:VCALENDAR\r\n", 4, "END:VTODO where END:VEVENT was expected" },
        { "cut short", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240301T100000Z\r\n",
          4, "ends before END:VEVENT" },
        { "an event without UID", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
          "DTSTART:20240301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 3, "an event without UID" },
        { "not a calendar", "BEGIN:VCARD\r\nFN:Jane\r\nEND:VCARD\r\n", 1, "starts with BEGIN:VCALENDAR" },
        { "not UTF-8", "BEGIN:VCALENDAR\r\nX-NAME:caf\xe9\r\nEND:VCALENDAR\r\n", 2, "not UTF-8" },
        { "empty", "\r\n\r\n", 1, "empty" },
        { "a folded bad line, counted from its start", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"
          "DTSTART:2024030\r\n 1T25000\r\n 0Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 4, "DTSTART" },
        { "content after the end", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nSUMMARY:x\r\n", 3,
          "outside BEGIN:VCALENDAR" },
    };
    char *good, *error = NULL;
    kw_ics_report_t r;
    (void) data;
    world(f);
    good = ics(f, "good.ics", weekly);
    g_assert_cmpint(import(f, good, &r, &error), ==, KW_OK);
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        char *path = g_build_filename(f->dir, "bad.ics", NULL), *where;
        g_test_message("%s", rows[i].what);
        /* a good event first: nothing of a bad file is imported */
        g_assert_true(g_file_set_contents(path, rows[i].text, -1, NULL));
        g_assert_cmpint(import(f, path, &r, &error), ==, KW_ERR_USAGE);
        where = g_strdup_printf("%s:%d: ", path, rows[i].line);
        g_assert_nonnull(error);
        g_test_message("  %s", error);
        g_assert_true(g_str_has_prefix(error, where));
        g_assert_nonnull(strstr(error, rows[i].says));
        g_assert_cmpint(r.added, ==, 0);
        g_clear_pointer(&error, g_free);
        g_free(where);
        g_remove(path);
        g_free(path);
    }
    g_assert_cmpint(fx_count(f, "SELECT count(*) FROM touches"), ==, 4);
    {
        /* a bad file after a good event in it: nothing of it */
        char *mixed = ics(f, "mixed.ics",
                          "BEGIN:VEVENT\r\nUID:fine@globex\r\nDTSTART:20240305T090000Z\r\n"
                          "ATTENDEE:mailto:bob@globex.example\r\nEND:VEVENT\r\n"
                          "BEGIN:VEVENT\r\nUID:broken@globex\r\nDTSTART:20240305T990000Z\r\n"
                          "END:VEVENT\r\n");
        g_assert_cmpint(import(f, mixed, &r, &error), ==, KW_ERR_USAGE);
        g_assert_nonnull(strstr(error, ":26: DTSTART")); /* the zone takes lines 4 to 18 */
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(fx_count(f, "SELECT count(*) FROM touches"), ==, 4);
        g_remove(mixed);
        g_free(mixed);
    }
    {
        char *missing = g_build_filename(f->dir, "missing.ics", NULL);
        g_assert_cmpint(import(f, missing, &r, &error), ==, KW_ERR_NOT_FOUND);
        g_clear_pointer(&error, g_free);
        g_free(missing);
    }
    g_remove(good);
    g_free(good);
    {
        char *w = g_build_filename(f->dir, "weekly.ics", NULL);
        g_remove(w);
        g_free(w);
    }
}

static void cleanup_files(fixture_t *f, gconstpointer data)
{
    static const char *const names[] = { "weekly.ics", "others.ics" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = g_build_filename(f->dir, names[i], NULL);
        g_remove(p);
        g_free(p);
    }
    fx_teardown(f, data);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture_t, NULL, fx_setup, fn, cleanup_files)
    ADD("/ics/import", test_import);
    ADD("/ics/changes", test_changes);
    ADD("/ics/malformed", test_malformed);
#undef ADD
    return g_test_run();
}
