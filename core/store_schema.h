/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store_schema.h — internal: the SQLite schema, one migration per version.
 * Migration N runs inside BEGIN IMMEDIATE ... PRAGMA user_version=N; COMMIT.
 *
 * Model:
 *   accounts      one row per configured IMAP account (name is the key)
 *   identities    the user's own addresses (per account; direction uses the union)
 *   own_domains   extra domains that make colleagues
 *   folders       per account and raw (wire) folder name: UIDVALIDITY, highest
 *                 stored UID (the resume position), special use, gone flag
 *   contacts      every address ever seen (normalised), best display name, domain
 *   messages      one row per distinct message (deduped by identity_key and by
 *                 fingerprint), date (UTC s), flags (KW_MSG_*), n_recipients
 *                 messages.addrs packs every address of the message with its
 *                 role (From, To, ...) as (role byte, contact id varint) pairs,
 *                 kept so that adding an identity later recomputes direction
 *                 without downloading anything (one blob instead of a row per
 *                 address: the sync's biggest write cost); from_contact is
 *                 the first From
 *   interactions  derived from messages.addrs + identities: one row per
 *                 (message, other party) with direction 1 = inbound (they wrote
 *                 to me), 2 = outbound (I wrote to them), 3 = both ways (a
 *                 touch of `touches`, v6, with its kind in `source`). Rebuilt
 *                 when the identities change; appended to at sync time.
 *   sent_from     From addresses counted in \Sent folders (identity candidates)
 *   settings      user actions per target (address or domain): snooze, ignore,
 *                 cadence, note, display name (v3), tier (v6)
 *   preferences   store-wide choices as key/value (v2): own_domains = 'none'
 *                 when nobody is a colleague (identity.c), default_cadence_days
 *                 (actions.c), daily_size, daily_minutes, workdays (today.c,
 *                 v6), and agg_version (the format of the aggregates
 *                 below; absent or different = the aggregates are not valid,
 *                 see model.c)
 *   contact_agg   per contact (v3): counts and the relationship history over
 *                 all its interactions, packed (model.c, "aggregates")
 *   org_agg       per organisation (v3): the history of its roll-up and which
 *                 members it was computed from
 *   agg_dirty     contacts whose interactions changed since their aggregates
 *                 were computed (v3); written in the same transaction as the
 *                 interactions, emptied when the aggregates are recomputed
 *   action_log    every user action on a setting (v5): what it was before and
 *                 after, so that it can be undone (actions.c); settings gains
 *                 settled_until ("no answer needed" up to this time)
 *   touches       calls, meetings, visits the user logged or a calendar holds
 *                 (v6), each mirrored as an interaction (see v6 below)
 *   day_lists     the day's short list, computed once per calendar day (v6)
 *   day_items     what it listed, in order, and whether and how each item was
 *                 handled (v6); the streak is read from these rows
 *   team_*        team sharing (v7, team_local.c): what this member shares and
 *                 what waits to be pushed, teammates' pulled records and the
 *                 team's members, local team evidence (team_copied); see v7
 */
#ifndef KW_STORE_SCHEMA_H
#define KW_STORE_SCHEMA_H

static const char *const kw_migrations[] = {
    /* version 1 */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  host TEXT, user TEXT,"
    "  last_sync INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE identities ("
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  email TEXT NOT NULL,"
    "  PRIMARY KEY (account_id, email)) WITHOUT ROWID;"
    "CREATE INDEX identities_email ON identities(email);"
    "CREATE TABLE own_domains (domain TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TABLE folders ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  raw_name TEXT NOT NULL,"    /* wire bytes (modified UTF-7, maybe 8-bit) */
    "  display_name TEXT NOT NULL,"
    "  special TEXT,"
    "  uidvalidity INTEGER NOT NULL DEFAULT 0,"
    "  last_uid INTEGER NOT NULL DEFAULT 0,"
    "  gone INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (account_id, raw_name));"
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE,"
    "  name TEXT,"
    "  domain TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  identity_key INTEGER NOT NULL,"  /* 64-bit digest of header_parse's key */
    "  fingerprint INTEGER NOT NULL,"   /* likewise: compact index entries */
    "  message_id TEXT,"
    "  in_reply_to TEXT,"
    "  subject TEXT,"
    "  date INTEGER NOT NULL,"
    "  flags INTEGER NOT NULL DEFAULT 0,"
    "  n_recipients INTEGER NOT NULL DEFAULT 0,"
    "  folder_id INTEGER,"
    "  from_contact INTEGER,"          /* contacts(id) of the first From, or NULL */
    "  addrs BLOB,"                    /* (role byte, contact id LEB128 varint)... */
    "  UNIQUE (account_id, identity_key),"
    "  UNIQUE (account_id, fingerprint));"
    "CREATE TABLE interactions ("
    "  contact_id INTEGER NOT NULL,"
    "  date INTEGER NOT NULL,"
    "  message_id INTEGER NOT NULL,"  /* messages(id); history is append-only */
    "  direction INTEGER NOT NULL,"   /* 1 inbound, 2 outbound */
    "  flags INTEGER NOT NULL,"        /* copy of messages.flags */
    "  n_recipients INTEGER NOT NULL," /* copy of messages.n_recipients */
    "  PRIMARY KEY (contact_id, date, message_id)) WITHOUT ROWID;"
    "CREATE TABLE sent_from ("
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  email TEXT NOT NULL,"
    "  messages INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (account_id, email)) WITHOUT ROWID;"
    "CREATE TABLE settings ("
    "  target TEXT PRIMARY KEY,"        /* address or domain, lower-case */
    "  snoozed_until INTEGER NOT NULL DEFAULT 0,"
    "  ignored INTEGER NOT NULL DEFAULT 0,"
    "  cadence_days INTEGER NOT NULL DEFAULT 0,"  /* 0 = learned */
    "  note TEXT,"
    "  updated INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
    /* version 2: store-wide preferences by key. ('own_domains', 'none'):
     * the user said nobody is a colleague (own domains set to nothing).
     * The value has no type: numbers stay numbers. */
    "CREATE TABLE preferences ("
    "  key TEXT PRIMARY KEY,"
    "  value NOT NULL) WITHOUT ROWID;",
    /* version 3: names, aggregates for the model */
    "ALTER TABLE settings ADD COLUMN display_name TEXT;"
    "CREATE TABLE contact_agg ("
    "  contact_id INTEGER PRIMARY KEY,"  /* contacts(id) */
    "  agg BLOB NOT NULL);"
    "CREATE TABLE org_agg ("
    "  org TEXT PRIMARY KEY,"
    "  members INTEGER NOT NULL,"        /* digest of the member contact ids */
    "  agg BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE agg_dirty (contact_id INTEGER PRIMARY KEY);",

    /* version 4: dedupe keys clustered by day (sync_store.c, key64): the top
     * 16 bits become the message's day (0 when its date fell back to
     * INTERNALDATE, flag 128), the low 48 stay the hash. Same formula as
     * new messages get, so a message stored before keeps deduplicating. */
    "UPDATE OR IGNORE messages SET"
    "  identity_key = ((CASE WHEN flags & 128 THEN 0 ELSE min(max(date / 86400, 1), 65535) END) << 48)"
    "                 | (identity_key & 281474976710655),"
    "  fingerprint = ((CASE WHEN flags & 128 THEN 0 ELSE min(max(date / 86400, 1), 65535) END) << 48)"
    "                | (fingerprint & 281474976710655);",
    /* version 5: undo (the action log), "no answer needed" */
    "ALTER TABLE settings ADD COLUMN settled_until INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE action_log ("
    "  id INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  target TEXT NOT NULL,"           /* the settings key */
    "  kind INTEGER NOT NULL,"          /* kw_action_kind_t */
    "  before_value INTEGER NOT NULL DEFAULT 0, before_text TEXT,"
    "  after_value INTEGER NOT NULL DEFAULT 0, after_text TEXT,"
    "  undone INTEGER NOT NULL DEFAULT 0);",  /* when, 0 = not */
    /* version 6: the daily routine (touches outside mail, tiers, the day's
     * list). A touch is kept in `touches` and mirrored as an interaction
     * (message_id = -touches.id, direction 3 = both ways, source = its
     * kind), so the model reads it like mail; kw_store_rebuild_interactions
     * mirrors them again. */
    "ALTER TABLE settings ADD COLUMN tier INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE interactions ADD COLUMN source INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE touches ("
    "  id INTEGER PRIMARY KEY,"
    "  contact_id INTEGER NOT NULL,"      /* contacts(id): the person */
    "  target TEXT NOT NULL,"             /* what it was logged for: domain or address */
    "  source INTEGER NOT NULL,"          /* kw_source_t: call, meeting, visit, other */
    "  time INTEGER NOT NULL,"            /* UTC s; later than now = planned */
    "  note TEXT,"
    "  origin INTEGER NOT NULL DEFAULT 0," /* 0 logged by the user, 1 a calendar */
    "  uid TEXT,"                          /* calendar: the event's UID */
    "  rid INTEGER NOT NULL DEFAULT 0,"    /* calendar: the occurrence (RECURRENCE-ID, UTC s) */
    "  created INTEGER NOT NULL DEFAULT 0);" /* known since: planned only from then */
    "CREATE UNIQUE INDEX touches_event ON touches(uid, rid, contact_id) WHERE origin = 1;"
    "CREATE INDEX touches_contact ON touches(contact_id, time);"
    "CREATE TABLE day_lists ("
    "  day TEXT PRIMARY KEY,"             /* YYYY-MM-DD, the user's calendar day */
    "  day_start INTEGER NOT NULL,"       /* its bounds, UTC s: [start, end) */
    "  day_end INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"            /* the size asked for */
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE day_items ("
    "  day TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"            /* kw_target_kind_t */
    "  key TEXT NOT NULL,"
    "  name TEXT,"
    "  slot INTEGER NOT NULL,"            /* kw_slot_t */
    "  state INTEGER NOT NULL,"           /* kw_state_t when listed */
    "  how INTEGER NOT NULL DEFAULT 0,"   /* kw_how_t: 0 not done yet */
    "  done_at INTEGER NOT NULL DEFAULT 0,"
    "  marked INTEGER NOT NULL DEFAULT 0," /* 1: `how` was said (done/skip), not seen */
    "  PRIMARY KEY (day, pos)) WITHOUT ROWID;"
    "CREATE INDEX day_items_key ON day_items(key, day);",
    /* version 7: team sharing (team_local.c, team_sync.c): what is shared, what waits
     * to be pushed, what teammates shared (pulled), and the bookkeeping.
     *   team_state    one row: the server (team id + member) the other team
     *                 tables belong to, whether the next push must replace all
     *                 of this member's server rows, the server snapshot of the
     *                 last pull (xid8 text), times and the last error
     *   team_shared   the records as last staged: exactly what the server
     *                 holds (or will hold after the next push) for this member
     *   team_outbox   (kind, key) changed since the last push, in order; the
     *                 data is team_shared's row, a missing row means "delete"
     *   team_records  teammates' records (pulled); indexed by organisation and
     *                 by person on their touch time, max(last_exchange,
     *                 touch_time), covering what the model reads: "the team's
     *                 last touch" is the first entry of a range
     *   team_members  the team's members and display names (pulled)
     *   team_copied   local team evidence, kept like the aggregates (model.c):
     *                 each mail a colleague wrote with the user in To or Cc,
     *                 once per other recipient (contact_id; colleague_id is
     *                 the From). preferences 'team_copied_upto' is the last
     *                 messages.id looked at, 'team_copied_rule' the identities
     *                 and colleague domains the rows were computed with */
    "CREATE TABLE team_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  team_id TEXT NOT NULL DEFAULT '',"
    "  server TEXT NOT NULL DEFAULT '',"
    "  member TEXT NOT NULL DEFAULT '',"
    "  full_push INTEGER NOT NULL DEFAULT 1,"
    "  pull_xmin TEXT NOT NULL DEFAULT '',"
    "  last_stage INTEGER NOT NULL DEFAULT 0,"
    "  last_push INTEGER NOT NULL DEFAULT 0,"
    "  last_pull INTEGER NOT NULL DEFAULT 0,"
    "  last_error_time INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT);"
    "INSERT INTO team_state (id) VALUES (1);"
    "CREATE TABLE team_shared ("
    "  kind TEXT NOT NULL, key TEXT NOT NULL, org TEXT NOT NULL, person TEXT, name TEXT,"
    "  last_inbound INTEGER NOT NULL DEFAULT 0, last_outbound INTEGER NOT NULL DEFAULT 0,"
    "  last_exchange INTEGER NOT NULL DEFAULT 0, exchanges INTEGER NOT NULL DEFAULT 0,"
    "  cadence_days INTEGER NOT NULL DEFAULT 0, state TEXT, touch_kind TEXT,"
    "  touch_time INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kind, key)) WITHOUT ROWID;"
    "CREATE TABLE team_outbox ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL, key TEXT NOT NULL,"
    "  UNIQUE (kind, key));"
    "CREATE TABLE team_records ("
    "  member TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, org TEXT NOT NULL,"
    "  person TEXT, name TEXT,"
    "  last_inbound INTEGER NOT NULL DEFAULT 0, last_outbound INTEGER NOT NULL DEFAULT 0,"
    "  last_exchange INTEGER NOT NULL DEFAULT 0, exchanges INTEGER NOT NULL DEFAULT 0,"
    "  cadence_days INTEGER NOT NULL DEFAULT 0, state TEXT, touch_kind TEXT,"
    "  touch_time INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (member, kind, key)) WITHOUT ROWID;"
    "CREATE INDEX team_records_org ON team_records (org, kind, key);"
    "CREATE INDEX team_records_org_time ON team_records"
    "  (org, max(last_exchange, touch_time), member, kind, person, touch_kind);"
    "CREATE INDEX team_records_person_time ON team_records"
    "  (person, max(last_exchange, touch_time), member, kind, touch_kind);"
    "CREATE TABLE team_members ("
    "  member TEXT PRIMARY KEY, display_name TEXT) WITHOUT ROWID;"
    "CREATE TABLE team_copied ("
    "  contact_id INTEGER NOT NULL, date INTEGER NOT NULL, message_id INTEGER NOT NULL,"
    "  colleague_id INTEGER NOT NULL,"
    "  PRIMARY KEY (contact_id, date, message_id)) WITHOUT ROWID;",
};

#define KW_SCHEMA_VERSION ((int)(sizeof kw_migrations / sizeof kw_migrations[0]))

#endif
