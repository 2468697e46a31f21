/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ics_import.c — kw_import_ics(): iCalendar files into meeting touches. The
 * libical adapter: nothing else in keepwarm sees libical (it lives in the
 * sync module, so the commands that only read never load it).
 *
 * A file is checked whole before anything is written: every content line
 * (after unfolding, with the number of the physical line it starts on) must
 * be NAME[;PARAM=...]:VALUE in UTF-8, components must nest (BEGIN/END), a
 * property must be one libical reads (icalproperty_new_from_string), its
 * dates real dates, every TZID known (a VTIMEZONE of the file, or the
 * system's zone database), every event must have a UID. The first problem
 * stops the import: "FILE:LINE: what".
 *
 * Then every VEVENT occurrence in the window (RRULE/RDATE/EXDATE expanded by
 * libical; an override with RECURRENCE-ID replaces its occurrence) gives one
 * touch per known person among the organizer and the attendees. The store
 * holds them per (UID, occurrence, person): an import adds what is new,
 * moves what moved, removes (within the window) what the file no longer
 * holds for that UID — cancelled, declined, an attendee gone — and leaves
 * everything else, so importing the same file twice changes nothing. */
#include <string.h>
#include <time.h>
#include <glib.h>
#include <libical/ical.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "model.h"
#include "sanitize.h"
#include "store.h"
#include "touches.h"

#define DAY ((int64_t) 86400)
#define DEFAULT_PAST_DAYS 730
#define DEFAULT_FUTURE_DAYS 90
/* An all-day event has no hour: it counts at noon UTC (its day everywhere
 * from UTC-12 to UTC+11). */
#define ALL_DAY_HOUR 12
/* Larger files are refused (a calendar of ten years of meetings is ~10 MB). */
#define MAX_FILE_BYTES (64 * 1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Checking the file                                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *path;
    GString    *error;      /* the first problem */
    GHashTable *zones;      /* TZIDs defined by the file's VTIMEZONEs */
    GPtrArray  *tzid_refs;  /* TZID parameters used (line number as the value) */
    GArray     *tzid_lines;
} check_t;

static int fail_at(check_t *c, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail_at(check_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    if (c->error->len)
        return 0;
    g_string_append_printf(c->error, "%s:%d: ", c->path, line);
    va_start(ap, fmt);
    g_string_append_vprintf(c->error, fmt, ap);
    va_end(ap);
    return 0;
}

static int valid_time(const struct icaltimetype *t)
{
    if (icaltime_is_null_time(*t))
        return 0;
    if (!g_date_valid_dmy((GDateDay) t->day, (GDateMonth) t->month, (GDateYear) t->year))
        return 0;
    return t->is_date || (t->hour < 24 && t->minute < 60 && t->second <= 60);
}

/* The date values of a property are real dates. */
static int check_dates(check_t *c, icalproperty *p, int line)
{
    icalvalue *v = icalproperty_get_value(p);
    icalvalue_kind k = v ? icalvalue_isa(v) : ICAL_NO_VALUE;
    struct icaltimetype t;

    if (k == ICAL_DATE_VALUE || k == ICAL_DATETIME_VALUE)
        t = icalvalue_get_datetime(v);
    else if (k == ICAL_DATETIMEDATE_VALUE)
        t = icalvalue_get_datetimedate(v);
    else if (k == ICAL_DATETIMEPERIOD_VALUE)
        t = icalvalue_get_datetimeperiod(v).time;
    else
        return 1;
    if (k == ICAL_DATETIMEPERIOD_VALUE && icaltime_is_null_time(t))
        return 1; /* an RDATE period */
    if (!valid_time(&t))
        return fail_at(c, line, "%s: not a valid date or time",
                       icalproperty_kind_to_string(icalproperty_isa(p)));
    return 1;
}

/* One content line (unfolded); `stack` holds the open components. */
static int check_line(check_t *c, const char *text, int line, GPtrArray *stack, int *has_uid,
                      GArray *event_lines)
{
    const char *colon = strchr(text, ':'), *semi = strchr(text, ';');
    const char *name_end = semi && (!colon || semi < colon) ? semi : colon;
    icalproperty *p;
    char *name;

    if (!g_utf8_validate(text, -1, NULL))
        return fail_at(c, line, "not UTF-8 text");
    if (!colon || name_end == text)
        return fail_at(c, line, "not an iCalendar line (NAME:value expected)");
    for (const char *q = text; q < name_end; q++)
        if (!g_ascii_isalnum(*q) && *q != '-')
            return fail_at(c, line, "not an iCalendar line (NAME:value expected)");
    name = g_ascii_strup(text, name_end - text);
    if (strcmp(name, "BEGIN") == 0 || strcmp(name, "END") == 0) {
        char *what = g_ascii_strup(colon + 1, -1);
        g_strstrip(what);
        if (name[0] == 'B') {
            if (stack->len == 0 && strcmp(what, "VCALENDAR") != 0) {
                g_free(what);
                g_free(name);
                return fail_at(c, line, "a calendar starts with BEGIN:VCALENDAR");
            }
            if (strcmp(what, "VEVENT") == 0) {
                *has_uid = 0;
                g_array_append_val(event_lines, line);
            }
            g_ptr_array_add(stack, what);
        } else {
            const char *open = stack->len ? g_ptr_array_index(stack, stack->len - 1) : NULL;
            if (!open || strcmp(open, what) != 0) {
                int r = open ? fail_at(c, line, "END:%s where END:%s was expected", what, open)
                             : fail_at(c, line, "END:%s without its BEGIN", what);
                g_free(what);
                g_free(name);
                return r;
            }
            if (strcmp(what, "VEVENT") == 0 && !*has_uid) {
                g_free(what);
                g_free(name);
                return fail_at(c, g_array_index(event_lines, int, event_lines->len - 1),
                               "an event without UID");
            }
            g_ptr_array_set_size(stack, stack->len - 1);
            g_free(what);
        }
        g_free(name);
        return 1;
    }
    if (stack->len == 0) {
        g_free(name);
        return fail_at(c, line, "outside BEGIN:VCALENDAR ... END:VCALENDAR");
    }
    p = icalproperty_new_from_string(text);
    if (!p) {
        int r = fail_at(c, line, "%s cannot be read", name);
        g_free(name);
        return r;
    }
    if (strcmp(name, "UID") == 0)
        *has_uid = 1;
    if (strcmp(name, "TZID") == 0 &&
        strcmp(g_ptr_array_index(stack, stack->len - 1), "VTIMEZONE") == 0)
        g_hash_table_add(c->zones, g_strdup(icalproperty_get_tzid(p)));
    {
        icalparameter *tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
        if (tz && icalparameter_get_tzid(tz)) {
            g_ptr_array_add(c->tzid_refs, g_strdup(icalparameter_get_tzid(tz)));
            g_array_append_val(c->tzid_lines, line);
        }
    }
    g_free(name);
    if (!check_dates(c, p, line)) {
        icalproperty_free(p);
        return 0;
    }
    icalproperty_free(p);
    return 1;
}

/* Check the whole text; 1 when it can be imported, else c->error says why. */
static int check_text(check_t *c, const char *text)
{
    GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
    GArray *event_lines = g_array_new(FALSE, FALSE, sizeof(int));
    GString *logical = g_string_new(NULL);
    const char *p = text;
    int line = 0, start_line = 0, ok = 1, has_uid = 0, seen_calendar = 0;

    while (ok && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t) (nl - p) : strlen(p);
        line++;
        if (n && p[n - 1] == '\r')
            n--;
        if (n && (p[0] == ' ' || p[0] == '\t') && logical->len) {
            g_string_append_len(logical, p + 1, (gssize) n - 1); /* folded: continues */
        } else {
            if (logical->len) {
                ok = check_line(c, logical->str, start_line, stack, &has_uid, event_lines);
                seen_calendar = 1;
            }
            g_string_truncate(logical, 0);
            g_string_append_len(logical, p, (gssize) n);
            start_line = line;
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (ok && logical->len) {
        ok = check_line(c, logical->str, start_line, stack, &has_uid, event_lines);
        seen_calendar = 1;
    }
    if (ok && !seen_calendar)
        ok = fail_at(c, 1, "empty: no calendar in it");
    if (ok && stack->len)
        ok = fail_at(c, line, "ends before END:%s",
                     (const char *) g_ptr_array_index(stack, stack->len - 1));
    for (guint i = 0; ok && i < c->tzid_refs->len; i++) {
        const char *tzid = g_ptr_array_index(c->tzid_refs, i);
        if (!g_hash_table_contains(c->zones, tzid) && !icaltimezone_get_builtin_timezone(tzid))
            ok = fail_at(c, g_array_index(c->tzid_lines, int, i), "unknown time zone %s", tzid);
    }
    g_ptr_array_free(stack, TRUE);
    g_array_free(event_lines, TRUE);
    g_string_free(logical, TRUE);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Occurrences                                                               */
/* ------------------------------------------------------------------------ */

typedef struct {
    char       *uid;
    int64_t     rid;         /* 0: a single event; else the occurrence's original start */
    int64_t     contact_id;
    int64_t     time;
    char       *target;      /* the contact's organisation (or their address) */
    char       *note;        /* the event's summary */
} want_t;

typedef struct {
    kw_model_t      *model;
    const kw_ics_options_t *o;
    int64_t          from, to;       /* the window */
    icaltimezone    *floating;       /* zone of floating times, NULL: UTC */
    GArray          *wants;          /* want_t */
    GHashTable      *uids;           /* every UID of the file */
    GHashTable      *overridden;     /* "uid\x1frid" of occurrences an override replaces */
    kw_ics_report_t *report;
} walk_t;

/* The address of an ORGANIZER/ATTENDEE: its EMAIL parameter, else its
 * value without "mailto:" (any case). (transfer full, kw_free) or NULL. */
static char *party_address(icalproperty *p)
{
    const char *v = NULL;

    for (icalparameter *e = icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER); e && !v;
         e = icalproperty_get_next_parameter(p, ICAL_ANY_PARAMETER)) {
        const char *s = icalparameter_as_ical_string(e); /* "EMAIL=..." (RFC 7986) */
        if (s && g_ascii_strncasecmp(s, "EMAIL=", 6) == 0)
            v = s + 6;
    }
    if (!v) {
        v = icalproperty_get_value_as_string(p);
        if (v && g_ascii_strncasecmp(v, "mailto:", 7) == 0)
            v += 7;
    }
    return v ? kw_normalize_email(v, -1) : NULL;
}

static int declined(icalproperty *p)
{
    icalparameter *ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
    return ps && icalparameter_get_partstat(ps) == ICAL_PARTSTAT_DECLINED;
}

/* The known people of an event (contact ids, their addresses); *user_declined
 * when one of the user's addresses declined it. */
static void event_people(walk_t *w, icalcomponent *ev, GArray *ids, GPtrArray *emails,
                         int *user_declined)
{
    static const icalproperty_kind kinds[] = { ICAL_ORGANIZER_PROPERTY, ICAL_ATTENDEE_PROPERTY };
    *user_declined = 0;
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        for (icalproperty *p = icalcomponent_get_first_property(ev, kinds[k]); p;
             p = icalcomponent_get_next_property(ev, kinds[k])) {
            char *email = party_address(p);
            int64_t id;
            int seen = 0;
            if (!email)
                continue;
            if (kw_model_is_identity(w->model, email)) {
                *user_declined |= declined(p);
            } else if (!declined(p) && kw_model_person_contact(w->model, email, &id)) {
                for (guint i = 0; i < ids->len && !seen; i++)
                    seen = g_array_index(ids, int64_t, i) == id;
                if (!seen) {
                    g_array_append_val(ids, id);
                    g_ptr_array_add(emails, email);
                    email = NULL;
                }
            }
            kw_free(email);
        }
    }
}

typedef struct {
    walk_t        *w;
    icalcomponent *ev;
    GArray        *starts;
} collect_t;

static void collect_occurrence(icalcomponent *comp, struct icaltime_span *span, void *data)
{
    collect_t *c = data;
    int64_t start = (int64_t) span->start;
    (void) comp;
    g_array_append_val(c->starts, start);
}

/* The occurrence keys (the starts libical computes, as for RECURRENCE-ID)
 * of an event within the window, with their UTC times. */
static void occurrences(walk_t *w, icalcomponent *ev, GArray *keys, GArray *times)
{
    struct icaltimetype dt = icalcomponent_get_dtstart(ev);
    icaltimezone *utc = icaltimezone_get_utc_timezone();
    /* libical's spans treat floating times as UTC: widen by a day, then
     * filter on the real time */
    struct icaltimetype a = icaltime_from_timet_with_zone((time_t) (w->from - DAY), 0, utc);
    struct icaltimetype b = icaltime_from_timet_with_zone((time_t) (w->to + DAY), 0, utc);
    collect_t c = { w, ev, g_array_new(FALSE, FALSE, sizeof(int64_t)) };

    icalcomponent_foreach_recurrence(ev, a, b, collect_occurrence, &c);
    for (guint i = 0; i < c.starts->len; i++) {
        int64_t key = g_array_index(c.starts, int64_t, i), t = key;
        if (dt.is_date)
            t = key + ALL_DAY_HOUR * 3600;
        else if (!dt.zone && !icaltime_is_utc(dt) && w->floating) {
            struct icaltimetype local = icaltime_from_timet_with_zone((time_t) key, 0, utc);
            local.zone = NULL;
            t = (int64_t) icaltime_as_timet_with_zone(local, w->floating);
        }
        if (t < w->from || t > w->to)
            continue;
        g_array_append_val(keys, key);
        g_array_append_val(times, t);
    }
    g_array_free(c.starts, TRUE);
}

static char *override_key(const char *uid, int64_t rid)
{
    return g_strdup_printf("%s\x1f%" G_GINT64_FORMAT, uid, rid);
}

/* The RECURRENCE-ID of an override as the key its master's expansion
 * gives (libical's spans: floating as UTC). */
static int64_t rid_key(icalcomponent *ev)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    /* with its TZID resolved against the calendar's VTIMEZONEs */
    struct icaltimetype r = icalproperty_get_datetime_with_component(p, ev);
    if (r.is_date || (!r.zone && !icaltime_is_utc(r)))
        return (int64_t) icaltime_as_timet_with_zone(r, icaltimezone_get_utc_timezone());
    return (int64_t) icaltime_as_timet_with_zone(r, r.zone);
}

static void walk_event(walk_t *w, icalcomponent *ev, int is_override)
{
    const char *uid = icalcomponent_get_uid(ev);
    const char *summary = icalcomponent_get_summary(ev);
    GArray *keys = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GArray *times = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GPtrArray *emails = g_ptr_array_new_with_free_func(kw_free);
    int cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED, user_declined;
    int recurring = is_override || icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) ||
                    icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY);
    char *note = summary ? kw_sanitize_text(summary, -1, KW_TOUCH_NOTE_MAX) : NULL;

    w->report->events++;
    occurrences(w, ev, keys, times);
    event_people(w, ev, ids, emails, &user_declined);
    for (guint i = 0; i < keys->len; i++) {
        int64_t rid = is_override ? rid_key(ev) : recurring ? g_array_index(keys, int64_t, i) : 0;
        if (!is_override && recurring) {
            char *k = override_key(uid, rid);
            int replaced = g_hash_table_contains(w->overridden, k);
            g_free(k);
            if (replaced)
                continue; /* its override tells what became of it */
        }
        w->report->occurrences++;
        if (cancelled) {
            w->report->cancelled++;
            continue;
        }
        if (user_declined) {
            w->report->declined++;
            continue;
        }
        if (ids->len)
            w->report->with_contacts++;
        for (guint j = 0; j < ids->len; j++) {
            want_t want = { 0 };
            want.uid = g_strdup(uid);
            want.rid = rid;
            want.contact_id = g_array_index(ids, int64_t, j);
            want.time = g_array_index(times, int64_t, i);
            want.target = kw_org_for_address(g_ptr_array_index(emails, j));
            want.note = g_strdup(note && *note ? note : NULL);
            g_array_append_val(w->wants, want);
        }
    }
    g_free(note);
    g_array_free(keys, TRUE);
    g_array_free(times, TRUE);
    g_array_free(ids, TRUE);
    g_ptr_array_free(emails, TRUE);
}

static void walk_calendar(walk_t *w, icalcomponent *cal)
{
    /* overrides first: the occurrences of a series they replace */
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        g_hash_table_add(w->uids, g_strdup(icalcomponent_get_uid(ev)));
        if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY))
            g_hash_table_add(w->overridden, override_key(icalcomponent_get_uid(ev), rid_key(ev)));
    }
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        walk_event(w, ev, icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) != NULL);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

static void wants_clear(GArray *wants)
{
    for (guint i = 0; i < wants->len; i++) {
        want_t *x = &g_array_index(wants, want_t, i);
        g_free(x->uid);
        g_free(x->target);
        g_free(x->note);
    }
}

static char *want_key(const char *uid, int64_t rid, int64_t contact)
{
    return g_strdup_printf("%s\x1f%" G_GINT64_FORMAT "\x1f%" G_GINT64_FORMAT, uid, rid, contact);
}

/* Make the store's calendar touches of the file's UIDs what the file says. */
static kw_status_t apply(kw_store_t *store, walk_t *w, char **error)
{
    GHashTable *want_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *kept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sqlite3_stmt *st = NULL;
    GHashTableIter it;
    gpointer uid;
    kw_status_t s;
    int rc = SQLITE_DONE;

    for (guint i = 0; i < w->wants->len; i++) {
        want_t *x = &g_array_index(w->wants, want_t, i);
        g_hash_table_insert(want_by_key, want_key(x->uid, x->rid, x->contact_id), x);
    }
    s = kw_store_prepare(store,
                         "SELECT id, rid, contact_id, time, note FROM touches "
                         "WHERE origin = 1 AND uid = ?1",
                         &st, error);
    g_hash_table_iter_init(&it, w->uids);
    while (s == KW_OK && g_hash_table_iter_next(&it, &uid, NULL)) {
        GArray *gone = g_array_new(FALSE, FALSE, sizeof(int64_t));
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0), time = sqlite3_column_int64(st, 3);
            char *k = want_key(uid, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
            const char *note = (const char *) sqlite3_column_text(st, 4);
            want_t *x = g_hash_table_lookup(want_by_key, k);
            if (x) {
                if (x->time != time || g_strcmp0(x->note, note) != 0) {
                    s = kw_touch_update(store, id, x->time, x->note, error);
                    w->report->updated++;
                } else {
                    w->report->unchanged++;
                }
                g_hash_table_add(kept, k);
                k = NULL;
            } else if (time >= w->from && time <= w->to) {
                g_array_append_val(gone, id); /* cancelled, declined, moved out of the series */
            }
            g_free(k);
            if (s != KW_OK)
                break;
        }
        sqlite3_reset(st);
        if (s == KW_OK && rc != SQLITE_DONE)
            s = kw_store_fail(store, rc, "reading calendar touches", error);
        for (guint i = 0; s == KW_OK && i < gone->len; i++) {
            s = kw_touch_delete(store, g_array_index(gone, int64_t, i), error);
            w->report->removed++;
        }
        g_array_free(gone, TRUE);
    }
    sqlite3_finalize(st);
    for (guint i = 0; s == KW_OK && i < w->wants->len; i++) {
        want_t *x = &g_array_index(w->wants, want_t, i);
        char *k = want_key(x->uid, x->rid, x->contact_id);
        if (!g_hash_table_contains(kept, k)) {
            /* known from the import's "now" on: a replayed import plans from then */
            s = kw_touch_insert(store, x->contact_id, x->target, KW_SOURCE_MEETING, x->time, x->note,
                                KW_TOUCH_CALENDAR, x->uid, x->rid, w->o->as_of, NULL, error);
            g_hash_table_add(kept, k); /* an event listing one person twice */
            k = NULL;
            w->report->added++;
        }
        g_free(k);
    }
    g_hash_table_destroy(want_by_key);
    g_hash_table_destroy(kept);
    return s;
}

/* ------------------------------------------------------------------------ */

KW_PUBLIC kw_status_t kw_import_ics(kw_store_t *store, const char *path,
                                    const kw_ics_options_t *options, kw_ics_report_t *report,
                                    char **error)
{
    kw_ics_report_t dummy;
    kw_model_options_t mo = { .as_of = INT64_MAX };
    check_t c = { 0 };
    walk_t w = { 0 };
    char *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    icalcomponent *root = NULL;
    kw_status_t s = KW_OK;

    if (!report)
        report = &dummy;
    memset(report, 0, sizeof *report);
    if (!store || !path || !options || options->as_of <= 0) {
        kw_set_error(error, "kw_import_ics: a store, a file and options with as_of are required");
        return KW_ERR_USAGE;
    }
    if (options->past_days < 0 || options->future_days < 0) {
        kw_set_error(error, "the calendar window cannot be negative");
        return KW_ERR_USAGE;
    }
    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        kw_set_error(error, "%s", gerr->message);
        s = g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? KW_ERR_NOT_FOUND : KW_ERR_USAGE;
        g_error_free(gerr);
        return s;
    }
    if (len > MAX_FILE_BYTES || strlen(text) != len) {
        kw_set_error(error, "%s: %s", path, len > MAX_FILE_BYTES ? "too large for a calendar"
                                                                 : "not a text file (a NUL byte)");
        g_free(text);
        return KW_ERR_USAGE;
    }
    icalerror_set_errors_are_fatal(0);

    /* 1. the whole file, line by line, before anything else */
    c.path = path;
    c.error = g_string_new(NULL);
    c.zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c.tzid_refs = g_ptr_array_new_with_free_func(g_free);
    c.tzid_lines = g_array_new(FALSE, FALSE, sizeof(int));
    if (!check_text(&c, text)) {
        kw_set_error(error, "%s", c.error->str);
        s = KW_ERR_USAGE;
        goto done;
    }
    root = icalparser_parse_string(text);
    if (!root || icalcomponent_count_errors(root) > 0) {
        kw_set_error(error, "%s: libical cannot read it", path);
        s = KW_ERR_USAGE;
        goto done;
    }

    /* 2. who is who, by the model's rules */
    s = kw_model_load(store, &mo, &w.model, error);
    if (s != KW_OK)
        goto done;
    w.o = options;
    w.from = options->as_of - (options->past_days ? options->past_days : DEFAULT_PAST_DAYS) * DAY;
    w.to = options->as_of + (options->future_days ? options->future_days : DEFAULT_FUTURE_DAYS) * DAY;
    if (options->floating_tzid && *options->floating_tzid) {
        w.floating = icaltimezone_get_builtin_timezone(options->floating_tzid);
        if (!w.floating) {
            kw_set_error(error, "unknown time zone %s", options->floating_tzid);
            s = KW_ERR_USAGE;
            goto done;
        }
    }
    w.wants = g_array_new(FALSE, TRUE, sizeof(want_t));
    w.uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w.overridden = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w.report = report;
    if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
        walk_calendar(&w, root);
    } else {
        for (icalcomponent *cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
             cal; cal = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
            walk_calendar(&w, cal);
    }

    /* 3. one transaction */
    s = kw_store_write_begin(store, error);
    if (s == KW_OK) {
        s = apply(store, &w, error);
        if (s == KW_OK)
            s = kw_store_write_commit(store, error);
        if (s != KW_OK)
            kw_store_write_rollback(store);
    }
    if (s != KW_OK) {
        kw_ics_report_t zero = { 0 };
        *report = zero;
    }
done:
    if (w.wants) {
        wants_clear(w.wants);
        g_array_free(w.wants, TRUE);
    }
    if (w.uids)
        g_hash_table_destroy(w.uids);
    if (w.overridden)
        g_hash_table_destroy(w.overridden);
    kw_model_free(w.model);
    if (root)
        icalcomponent_free(root);
    g_string_free(c.error, TRUE);
    g_hash_table_destroy(c.zones);
    g_ptr_array_free(c.tzid_refs, TRUE);
    g_array_free(c.tzid_lines, TRUE);
    g_free(text);
    return s;
}
