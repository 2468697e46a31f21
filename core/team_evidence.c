/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_evidence.c — what the relationship model reads of the team: the
 * teammates' records pulled into the local store (team_records, kept by
 * team_local.c), looked up per organisation or person, and the pure rules
 * the day's list needs (ISO weeks, who gets a reactivation candidate).
 * SQLite only, no network (the plugin and `overdue` read it).
 *
 * A teammate's record says when they last had a two-way exchange with an
 * organisation or a person (last_exchange); a touch record says when they
 * logged a call or meeting (touch_time). Either is "a team touch" at
 * max(last_exchange, touch_time). Both indexes on team_records start with
 * the key and that expression and cover what is read, so the latest touch
 * of an organisation is the first entry of one index range, whatever the
 * number of records (a busy customer has one per teammate and kind, often
 * at the same time): ties go to the highest member name, then kind
 * ("touch" > "person" > "org": a record naming the person wins), in the
 * index's own order, so no row is read twice to decide.
 */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "team.h"

/* The touch time of a record, exactly as the indexes of store_schema.h
 * spell it (SQLite uses an index on an expression only for the same text). */
#define TOUCH_TIME "max(r.last_exchange, r.touch_time)"

KW_PUBLIC const char *kw_team_touch_kind_to_string(kw_team_touch_kind_t kind)
{
    switch (kind) {
    case KW_TEAM_TOUCH_NONE: return "none";
    case KW_TEAM_TOUCH_EXCHANGE: return "exchange";
    case KW_TEAM_TOUCH_COPIED: return "copied";
    case KW_TEAM_TOUCH_CALL: return "call";
    case KW_TEAM_TOUCH_MEETING: return "meeting";
    case KW_TEAM_TOUCH_VISIT: return "visit";
    case KW_TEAM_TOUCH_OTHER: return "other";
    }
    return "unknown";
}

/* A record's kind and touch kind as a team touch. */
static kw_team_touch_kind_t touch_kind_of(const char *record_kind, const char *touch_kind)
{
    if (!record_kind || strcmp(record_kind, "touch") != 0)
        return KW_TEAM_TOUCH_EXCHANGE;
    if (touch_kind && strcmp(touch_kind, "call") == 0)
        return KW_TEAM_TOUCH_CALL;
    if (touch_kind && strcmp(touch_kind, "meeting") == 0)
        return KW_TEAM_TOUCH_MEETING;
    if (touch_kind && strcmp(touch_kind, "visit") == 0)
        return KW_TEAM_TOUCH_VISIT;
    return KW_TEAM_TOUCH_OTHER;
}

void kw_team_hit_clear(kw_team_hit_t *h)
{
    if (!h)
        return;
    g_free(h->member);
    g_free(h->member_name);
    g_free(h->person);
    memset(h, 0, sizeof *h);
}

struct kw_team_lookup {
    kw_store_t   *store;
    sqlite3_stmt *latest_org;    /* the newest touch of an organisation */
    sqlite3_stmt *latest_person; /* the newest touch of a person */
    sqlite3_stmt *by_org;        /* records of an organisation, newest touch first */
    sqlite3_stmt *by_person;     /* records of a person, newest touch first */
    sqlite3_stmt *holders;
    GHashTable   *names;         /* member -> display name ("" for none): a team is small */
    char         *me;            /* this member's name on the team, or NULL */
};

void kw_team_lookup_free(kw_team_lookup_t *l)
{
    if (!l)
        return;
    sqlite3_finalize(l->latest_org);
    sqlite3_finalize(l->latest_person);
    sqlite3_finalize(l->by_org);
    sqlite3_finalize(l->by_person);
    sqlite3_finalize(l->holders);
    if (l->names)
        g_hash_table_destroy(l->names);
    g_free(l->me);
    g_free(l);
}

#define RECORD_SELECT                                                                   \
    "SELECT r.member, m.display_name, r.kind, r.person, " TOUCH_TIME ", r.touch_kind"   \
    " FROM team_records r LEFT JOIN team_members m ON m.member = r.member"
/* Only index columns: the newest entry of a range, no table row read. */
#define LATEST_SELECT                                                                   \
    "SELECT r.member, NULL, r.kind, r.person, " TOUCH_TIME ", r.touch_kind FROM team_records r"
#define LATEST_ORDER " ORDER BY " TOUCH_TIME " DESC, r.member DESC, r.kind DESC, r.person DESC LIMIT 1"

kw_status_t kw_team_lookup_open(kw_store_t *store, kw_team_lookup_t **out, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_team_lookup_t *l;
    kw_status_t s;
    int rc, any = 0;

    *out = NULL;
    s = kw_store_prepare(store,
                         "SELECT EXISTS (SELECT 1 FROM team_records),"
                         " (SELECT member FROM team_state)",
                         &st, error);
    if (s != KW_OK)
        return s;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return kw_store_fail(store, rc, "reading the team's records", error);
    }
    any = sqlite3_column_int(st, 0);
    l = g_new0(kw_team_lookup_t, 1);
    l->store = store;
    if (sqlite3_column_text(st, 1) && *sqlite3_column_text(st, 1))
        l->me = g_strdup((const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    if (!any) {
        kw_team_lookup_free(l);
        return KW_OK;
    }
    if ((s = kw_store_prepare(store,
                              LATEST_SELECT " WHERE r.org = ?1 AND " TOUCH_TIME " BETWEEN 1 AND ?2"
                              LATEST_ORDER,
                              &l->latest_org, error)) != KW_OK ||
        (s = kw_store_prepare(store,
                              LATEST_SELECT " WHERE r.person = ?1 AND " TOUCH_TIME " BETWEEN 1 AND ?2"
                              LATEST_ORDER,
                              &l->latest_person, error)) != KW_OK ||

        (s = kw_store_prepare(store,
                              RECORD_SELECT " WHERE r.org = ?1 AND " TOUCH_TIME " BETWEEN 1 AND ?2"
                              " ORDER BY " TOUCH_TIME " DESC",
                              &l->by_org, error)) != KW_OK ||
        (s = kw_store_prepare(store,
                              RECORD_SELECT " WHERE r.person = ?1 AND " TOUCH_TIME " BETWEEN 1 AND ?2"
                              " ORDER BY " TOUCH_TIME " DESC",
                              &l->by_person, error)) != KW_OK ||
        (s = kw_store_prepare(store,
                              "SELECT DISTINCT member FROM team_records WHERE"
                              " CASE WHEN ?2 THEN person = ?1 ELSE org = ?1 END",
                              &l->holders, error)) != KW_OK) {
        kw_team_lookup_free(l);
        return s;
    }
    l->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s = kw_store_prepare(store, "SELECT member, coalesce(display_name, '') FROM team_members", &st,
                         error);
    if (s != KW_OK) {
        kw_team_lookup_free(l);
        return s;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_hash_table_replace(l->names, g_strdup((const char *)sqlite3_column_text(st, 0)),
                             g_strdup((const char *)sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        kw_team_lookup_free(l);
        return kw_store_fail(store, rc, "reading the team's members", error);
    }
    *out = l;
    return KW_OK;
}

const char *kw_team_lookup_me(const kw_team_lookup_t *l)
{
    return l ? l->me : NULL;
}

static void hit_from_row(sqlite3_stmt *st, kw_team_hit_t *h)
{
    const char *name = (const char *)sqlite3_column_text(st, 1);
    h->member = g_strdup((const char *)sqlite3_column_text(st, 0));
    h->member_name = name && *name ? g_strdup(name) : NULL;
    h->person = g_strdup((const char *)sqlite3_column_text(st, 3));
    h->time = sqlite3_column_int64(st, 4);
    h->kind = touch_kind_of((const char *)sqlite3_column_text(st, 2),
                            (const char *)sqlite3_column_text(st, 5));
}

/* Which of two exchanges of the same time wins: the order of the indexes
 * (and of kw_team_lookup_latest): member, then a record naming the person
 * over an organisation record, then person, all descending. */
static int better_hit(const kw_team_hit_t *a, const kw_team_hit_t *b)
{
    int c;
    if (a->time != b->time)
        return a->time > b->time;
    if ((c = g_strcmp0(a->member, b->member)) != 0)
        return c > 0;
    if ((a->person != NULL) != (b->person != NULL))
        return a->person != NULL;
    return g_strcmp0(a->person, b->person) > 0;
}

kw_status_t kw_team_lookup_latest(kw_team_lookup_t *l, const char *key, int by_person,
                                  int64_t as_of, kw_team_hit_t *hit, char **error)
{
    sqlite3_stmt *st;
    int rc;

    memset(hit, 0, sizeof *hit);
    if (!l || !key)
        return KW_OK;
    st = by_person ? l->latest_person : l->latest_org;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, as_of);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        hit_from_row(st, hit);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kw_store_fail(l->store, rc, "reading the team's records", error);
    if (hit->member) {
        const char *name = g_hash_table_lookup(l->names, hit->member);
        hit->member_name = name && *name ? g_strdup(name) : NULL;
    }
    return KW_OK;
}

kw_status_t kw_team_lookup_all(kw_team_lookup_t *l, const char *key, int by_person, int64_t as_of,
                               GArray *hits, char **error)
{
    GHashTable *seen;
    sqlite3_stmt *st;
    int rc;

    if (!l || !key)
        return KW_OK;
    seen = g_hash_table_new(g_str_hash, g_str_equal); /* members whose exchange is listed */
    st = by_person ? l->by_person : l->by_org;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, as_of);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kw_team_hit_t h;
        memset(&h, 0, sizeof h);
        hit_from_row(st, &h);
        if (h.kind == KW_TEAM_TOUCH_EXCHANGE) {
            /* one exchange per teammate: their latest (rows come newest
             * first; among equal times the one naming the person) */
            guint at = GPOINTER_TO_UINT(g_hash_table_lookup(seen, h.member));
            if (at) {
                kw_team_hit_t *prev = &g_array_index(hits, kw_team_hit_t, at - 1);
                if (better_hit(&h, prev)) {
                    /* the table's key is prev's string: drop it before prev */
                    g_hash_table_remove(seen, h.member);
                    kw_team_hit_clear(prev);
                    *prev = h;
                    g_hash_table_insert(seen, prev->member, GUINT_TO_POINTER(at));
                } else {
                    kw_team_hit_clear(&h);
                }
                continue;
            }
            g_array_append_val(hits, h);
            g_hash_table_insert(seen, g_array_index(hits, kw_team_hit_t, hits->len - 1).member,
                                GUINT_TO_POINTER(hits->len));
            continue;
        }
        g_array_append_val(hits, h);
    }
    sqlite3_reset(st);
    g_hash_table_destroy(seen);
    if (rc != SQLITE_DONE)
        return kw_store_fail(l->store, rc, "reading the team's records", error);
    return KW_OK;
}

kw_status_t kw_team_lookup_holders(kw_team_lookup_t *l, const char *key, int by_person,
                                   GPtrArray *members, char **error)
{
    int rc;

    if (!l || !key)
        return KW_OK;
    sqlite3_bind_text(l->holders, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(l->holders, 2, by_person);
    while ((rc = sqlite3_step(l->holders)) == SQLITE_ROW)
        g_ptr_array_add(members, g_strdup((const char *)sqlite3_column_text(l->holders, 0)));
    sqlite3_reset(l->holders);
    if (rc != SQLITE_DONE)
        return kw_store_fail(l->store, rc, "reading the team's records", error);
    return KW_OK;
}

/* ------------------------------------------------------------------------ */
/* The day's list                                                            */
/* ------------------------------------------------------------------------ */

void kw_team_iso_week(int64_t t, int64_t *start_out, int64_t *end_out, int *year_out,
                      int *week_out)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    int dow, year = 1970, week = 1;
    int64_t midnight = t - (((t % 86400) + 86400) % 86400);

    if (dt) {
        dow = g_date_time_get_day_of_week(dt); /* 1 = Monday ... 7 = Sunday */
        year = g_date_time_get_week_numbering_year(dt);
        week = g_date_time_get_week_of_year(dt);
        g_date_time_unref(dt);
    } else {
        dow = 1;
    }
    if (start_out)
        *start_out = midnight - (int64_t)(dow - 1) * 86400;
    if (end_out)
        *end_out = midnight + (int64_t)(8 - dow) * 86400;
    if (year_out)
        *year_out = year;
    if (week_out)
        *week_out = week;
}

char *kw_team_owner_of(const char *key, int iso_year, int iso_week, const char *const *members,
                       size_t n)
{
    char *best = NULL, *best_digest = NULL;

    for (size_t i = 0; i < n; i++) {
        char *text, *digest;
        if (!members[i])
            continue;
        text = g_strdup_printf("%s\x1f%04d-W%02d\x1f%s", key, iso_year, iso_week, members[i]);
        digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
        g_free(text);
        /* the highest digest wins; equal digests (the same member twice)
         * keep the first */
        if (!best_digest || strcmp(digest, best_digest) > 0) {
            g_free(best_digest);
            best_digest = digest;
            best = (char *)members[i];
        } else {
            g_free(digest);
        }
    }
    g_free(best_digest);
    return best ? g_strdup(best) : NULL;
}
