/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team.h — internal: team sharing.
 *
 *   team_export.c  the ONE producer of shared records (from the model)
 *   team_evidence.c what the model reads of the team (teammates' records
 *                  pulled into the store) and the rules of the day's list
 *   team_local.c   the local side: staging into the outbox, the bookkeeping
 *                  of pushes and pulls, reading pulled records and the status
 *                  (SQLite only: no libpq, so a reader such as the Claws
 *                  plugin links none of the network code)
 *   team_sync.c    push and pull (server side of the protocol)
 *   team_admin.c   init, add-member, remove-member
 *   team_pg.c      the libpq adapter (team_pg.h)
 */
#ifndef KW_TEAM_H
#define KW_TEAM_H

#include <glib.h>
#include "keepwarm.h"
#include "team_pg.h"

/* Connect and check that the server holds a team schema of exactly this
 * keepwarm's version that this role may read (team_sync.c).
 * *team_id_out: (transfer full, g_free). */
kw_status_t kw_team_open(const kw_team_server_t *server, kw_pg_t **pg_out, char **team_id_out,
                         char **error);

/* Free what a record holds (not the record itself). */
void kw_team_record_clear(kw_team_record_t *r);

/* Kind names <-> values ("org", "person", "touch"); -1 for an unknown name. */
int kw_team_record_kind_from_string(const char *s);

/* The records this user shares as of `as_of` — organisation and person
 * records of every relationship not ignored — computed from the model.
 * Nothing else in keepwarm decides what is shared.
 * *out: (transfer full) GArray of kw_team_record_t, each freed with
 * kw_team_record_clear (the array has that clear function set). */
kw_status_t kw_team_export(kw_store_t *store, int64_t as_of, GArray **out, char **error);

/* Stage `records` (what is shared now) against team_shared and queue the
 * differences in team_outbox, in one BEGIN IMMEDIATE transaction. */
kw_status_t kw_team_stage_records(kw_store_t *store, const kw_team_record_t *records, size_t n,
                                  int64_t now, int64_t *changes_out, char **error);

/* The outbox in order: records to upsert (deleted == 0) and keys to delete
 * (deleted == 1, only kind and key set), with the highest sequence number
 * read (0 when empty). */
typedef struct {
    kw_team_record_t record;
    int              deleted;
} kw_team_change_t;

kw_status_t kw_team_outbox_read(kw_store_t *store, GArray **changes_out, int64_t *max_seq_out,
                                char **error);
void kw_team_changes_free(GArray *changes);
/* Every staged (kind, key), for a full push: two parallel arrays (g_free). */
kw_status_t kw_team_shared_keys(kw_store_t *store, GPtrArray **kinds_out, GPtrArray **keys_out,
                                char **error);

/* The server this store talks to: when team_id or member differ from what the
 * local team tables belong to, reset them (pulled data dropped, everything
 * staged queued again, the next pull and push full). *full_push_out: whether
 * the next push must replace all of this member's server rows;
 * *pull_xmin_out: the last pull's snapshot xmin ("" = pull everything)
 * (transfer full, g_free). */
kw_status_t kw_team_bind_server(kw_store_t *store, const char *team_id, const char *member,
                                const char *display, int *full_push_out, char **pull_xmin_out,
                                char **error);

/* After a successful server commit: drop outbox entries up to max_seq and
 * record the push (and that no full push is needed any more). */
kw_status_t kw_team_push_done(kw_store_t *store, int64_t max_seq, int64_t now, char **error);

/* Record a failed push or pull (best effort: never fails itself). */
void kw_team_note_failure(kw_store_t *store, const char *message, int64_t now);

/* Pending changes in the outbox (-1 on a read error). */
int64_t kw_team_pending(kw_store_t *store);

/* A pull is applied in one local transaction, row by row as the server's
 * answer arrives. Rows come as text in this column order: */
enum {
    KW_TEAM_COL_MEMBER, KW_TEAM_COL_KIND, KW_TEAM_COL_KEY, KW_TEAM_COL_ORG, KW_TEAM_COL_PERSON,
    KW_TEAM_COL_NAME, KW_TEAM_COL_LAST_IN, KW_TEAM_COL_LAST_OUT, KW_TEAM_COL_LAST_EXCHANGE,
    KW_TEAM_COL_EXCHANGES, KW_TEAM_COL_CADENCE, KW_TEAM_COL_STATE, KW_TEAM_COL_TOUCH_KIND,
    KW_TEAM_COL_TOUCH_TIME, KW_TEAM_COL_UPDATED, KW_TEAM_NCOLS
};

typedef struct kw_team_pull_tx kw_team_pull_tx_t;

/* BEGIN IMMEDIATE; with `full`, every pulled record is dropped first (the
 * rows that follow are the whole picture); members are always replaced. */
kw_status_t kw_team_pull_begin(kw_store_t *store, int full, kw_team_pull_tx_t **tx_out,
                               char **error);
kw_status_t kw_team_pull_row(kw_team_pull_tx_t *tx, const char *const *cols, char **error);
kw_status_t kw_team_pull_tombstone(kw_team_pull_tx_t *tx, const char *member, const char *kind,
                                   const char *key, char **error);
kw_status_t kw_team_pull_member(kw_team_pull_tx_t *tx, const char *member,
                                const char *display_name, char **error);
/* Store xmin for the next pull, the time, and COMMIT. Frees tx either way. */
kw_status_t kw_team_pull_commit(kw_team_pull_tx_t *tx, const char *xmin, int64_t now,
                                char **error);
/* ROLLBACK and free; NULL is fine. */
void kw_team_pull_abort(kw_team_pull_tx_t *tx);

/* ------------------------------------------------------------------------ */
/* What the model reads (team_evidence.c)                                    */
/* ------------------------------------------------------------------------ */

/* A teammate's touch, from their pulled records. */
typedef struct {
    int64_t              time;
    kw_team_touch_kind_t kind;
    char                *member;      /* role name */
    char                *member_name; /* display name, or NULL */
    char                *person;      /* the customer's address, or NULL */
} kw_team_hit_t;

void kw_team_hit_clear(kw_team_hit_t *h);

typedef struct kw_team_lookup kw_team_lookup_t;

/* Prepare the lookups. *out is NULL (and KW_OK returned) when the store
 * holds no teammates' records: nothing to look up. Statements are prepared
 * on `store`: free before closing it. */
kw_status_t kw_team_lookup_open(kw_store_t *store, kw_team_lookup_t **out, char **error);
void kw_team_lookup_free(kw_team_lookup_t *l);
/* This member's name on the team (team_state), or NULL (transfer none). */
const char *kw_team_lookup_me(const kw_team_lookup_t *l);
/* The newest teammate touch of an organisation (`key` its key, or the
 * address of a free-mail person) or, with by_person, of a person's address,
 * up to as_of: hit->time 0 when none. *hit: clear with kw_team_hit_clear.
 * A NULL lookup finds nothing. */
kw_status_t kw_team_lookup_latest(kw_team_lookup_t *l, const char *key, int by_person,
                                  int64_t as_of, kw_team_hit_t *hit, char **error);
/* Append to `hits` (kw_team_hit_t) each teammate's latest exchange and every
 * logged touch up to as_of, newest first. */
kw_status_t kw_team_lookup_all(kw_team_lookup_t *l, const char *key, int by_person, int64_t as_of,
                               GArray *hits, char **error);
/* Append (g_strdup) the teammates holding a record of `key`. */
kw_status_t kw_team_lookup_holders(kw_team_lookup_t *l, const char *key, int by_person,
                                   GPtrArray *members, char **error);

/* The ISO week (Monday 00:00 to the next Monday 00:00, UTC) holding time t:
 * its bounds, ISO year and week number. Every out pointer may be NULL. */
void kw_team_iso_week(int64_t t, int64_t *start_out, int64_t *end_out, int *year_out,
                      int *week_out);

/* Rendezvous hashing: the member (of n; NULL entries skipped) whose
 * SHA-256 of "key \x1f YYYY-Www \x1f member" is highest (transfer full,
 * g_free); NULL when there is none. */
char *kw_team_owner_of(const char *key, int iso_year, int iso_week, const char *const *members,
                       size_t n);

#endif
