/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_schema.h — internal: the team schema on the PostgreSQL server, one
 * migration per version (append only; `keepwarm team init` applies them as
 * the admin, each with its version number, in one transaction).
 *
 * Everything lives in schema "keepwarm", owned by the admin (the role that
 * ran init). Members never own anything: they get, through one group role
 * per database (recorded in keepwarm.team), USAGE on the schema, SELECT on
 * the small tables and SELECT/INSERT/UPDATE/DELETE on records — never
 * TRUNCATE, REFERENCES, TRIGGER or any DDL.
 *
 *   schema_version  one row: the version below
 *   team            one row: team_id (a fresh uuid: a re-created team is a
 *                   different team for the clients) and the members' group role
 *   members         member role name, display name, whether init's
 *                   add-member created the login role (remove-member drops it)
 *   records         the shared aggregates: one row per (member, kind, key).
 *                   Row-level security: every member reads all rows, and
 *                   inserts, updates and deletes only rows whose member is
 *                   current_user (the column defaults to it). txid (the
 *                   writing transaction, set by a trigger) lets a client
 *                   pull only what changed since its last snapshot.
 *   tombstones      (member, kind, key, txid) of deleted records, written by
 *                   a trigger, so that teammates' pulls drop them too
 *
 * The admin owns the tables and so is not subject to row-level security
 * (remove-member deletes a member's rows); members never are owners.
 */
#ifndef KW_TEAM_SCHEMA_H
#define KW_TEAM_SCHEMA_H

static const char *const kw_team_migrations[] = {
    /* version 1 */
    "CREATE SCHEMA keepwarm;"
    "CREATE TABLE keepwarm.schema_version (version integer NOT NULL);"
    "INSERT INTO keepwarm.schema_version VALUES (0);"
    "CREATE TABLE keepwarm.team ("
    "  team_id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),"
    "  group_role text NOT NULL);"
    "INSERT INTO keepwarm.team (group_role) VALUES (pg_catalog.left('keepwarm_' ||"
    "  pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.current_database()),"
    "                            '[^a-z0-9_]', '_', 'g'), 63));"
    "CREATE TABLE keepwarm.members ("
    "  member text PRIMARY KEY,"
    "  display_name text CHECK (pg_catalog.length(display_name) <= 200),"
    "  created_role boolean NOT NULL DEFAULT false,"
    "  added timestamptz NOT NULL DEFAULT pg_catalog.now());"
    "CREATE TABLE keepwarm.records ("
    "  member text NOT NULL DEFAULT CURRENT_USER,"
    "  kind text NOT NULL CHECK (kind IN ('org', 'person', 'touch')),"
    "  key text NOT NULL CHECK (pg_catalog.length(key) BETWEEN 1 AND 400),"
    "  org text NOT NULL CHECK (pg_catalog.length(org) BETWEEN 1 AND 400),"
    "  person text CHECK (pg_catalog.length(person) <= 400),"
    "  name text CHECK (pg_catalog.length(name) <= 400),"
    "  last_inbound bigint NOT NULL DEFAULT 0,"
    "  last_outbound bigint NOT NULL DEFAULT 0,"
    "  last_exchange bigint NOT NULL DEFAULT 0,"
    "  exchanges integer NOT NULL DEFAULT 0,"
    "  cadence_days integer NOT NULL DEFAULT 0,"
    "  state text CHECK (pg_catalog.length(state) <= 40),"
    "  touch_kind text CHECK (pg_catalog.length(touch_kind) <= 40),"
    "  touch_time bigint NOT NULL DEFAULT 0,"
    "  txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),"
    "  updated timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  PRIMARY KEY (member, kind, key));"
    "CREATE INDEX records_txid ON keepwarm.records (txid);"
    "CREATE INDEX records_org ON keepwarm.records (org);"
    "CREATE TABLE keepwarm.tombstones ("
    "  member text NOT NULL,"
    "  kind text NOT NULL,"
    "  key text NOT NULL,"
    "  txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),"
    "  deleted timestamptz NOT NULL DEFAULT pg_catalog.now());"
    "CREATE INDEX tombstones_txid ON keepwarm.tombstones (txid);"
    /* Stamps: whoever writes, the row carries the writing transaction. */
    "CREATE FUNCTION keepwarm.records_stamp() RETURNS trigger LANGUAGE plpgsql"
    "  SET search_path = pg_catalog AS $$"
    "  BEGIN NEW.txid := pg_current_xact_id(); NEW.updated := now(); RETURN NEW; END $$;"
    "CREATE TRIGGER records_stamp BEFORE INSERT OR UPDATE ON keepwarm.records"
    "  FOR EACH ROW EXECUTE FUNCTION keepwarm.records_stamp();"
    "CREATE FUNCTION keepwarm.records_tombstone() RETURNS trigger LANGUAGE plpgsql"
    "  SET search_path = pg_catalog AS $$"
    "  BEGIN INSERT INTO keepwarm.tombstones (member, kind, key)"
    "        VALUES (OLD.member, OLD.kind, OLD.key); RETURN OLD; END $$;"
    "CREATE TRIGGER records_tombstone AFTER DELETE ON keepwarm.records"
    "  FOR EACH ROW EXECUTE FUNCTION keepwarm.records_tombstone();"
    /* Row-level security. */
    "ALTER TABLE keepwarm.records ENABLE ROW LEVEL SECURITY;"
    "CREATE POLICY team_reads ON keepwarm.records FOR SELECT USING (true);"
    "CREATE POLICY own_inserts ON keepwarm.records FOR INSERT"
    "  WITH CHECK (member = CURRENT_USER);"
    "CREATE POLICY own_updates ON keepwarm.records FOR UPDATE"
    "  USING (member = CURRENT_USER) WITH CHECK (member = CURRENT_USER);"
    "CREATE POLICY own_deletes ON keepwarm.records FOR DELETE USING (member = CURRENT_USER);"
    "ALTER TABLE keepwarm.tombstones ENABLE ROW LEVEL SECURITY;"
    "CREATE POLICY team_reads ON keepwarm.tombstones FOR SELECT USING (true);"
    "CREATE POLICY own_inserts ON keepwarm.tombstones FOR INSERT"
    "  WITH CHECK (member = CURRENT_USER);"
    /* Grants, to the group role (created here when missing). */
    "REVOKE ALL ON SCHEMA keepwarm FROM PUBLIC;"
    "REVOKE ALL ON ALL TABLES IN SCHEMA keepwarm FROM PUBLIC;"
    "REVOKE ALL ON FUNCTION keepwarm.records_stamp(), keepwarm.records_tombstone() FROM PUBLIC;"
    "DO $$ DECLARE g text := (SELECT group_role FROM keepwarm.team); BEGIN"
    "  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = g) THEN"
    "    EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', g);"
    "  END IF;"
    "  EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I',"
    "                            pg_catalog.current_database(), g);"
    "  EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA keepwarm TO %I', g);"
    "  EXECUTE pg_catalog.format('GRANT SELECT ON keepwarm.schema_version, keepwarm.team,"
    "                             keepwarm.members TO %I', g);"
    "  EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON keepwarm.records TO %I', g);"
    "  EXECUTE pg_catalog.format('GRANT SELECT, INSERT ON keepwarm.tombstones TO %I', g);"
    "END $$;",
};

#define KW_TEAM_SCHEMA_VERSION ((int)(sizeof kw_team_migrations / sizeof kw_team_migrations[0]))

#endif
