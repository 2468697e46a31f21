#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The team admin's commands against a real PostgreSQL: `keepwarm team init`
(idempotent, concurrent runs serialise, what it creates, refused for a role
that does not own the database, refused — changing nothing — on a schema
from a newer keepwarm), `team add-member` (name checks, superusers and the
admin itself refused, idempotent, display name and password updates, an
existing role adopted, the member's password never reaching the server's
statement log), `team remove-member`, and the usage errors of `keepwarm team`."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import pgtest  # noqa: E402
from teamtest import Team, kw, start_kw, DB, ADMIN, ADMIN_PASSWORD  # noqa: E402

CANARY = "CANARY-member-pw-%d" % os.getpid()


def count(t, sql):
    return t.pg.sql(sql, db=DB).strip()


def test():
    why = pgtest.available()
    if why:
        skip_all(why)
    with Team(log_statements=True, init=False) as t:
        # -- usage ---------------------------------------------------------
        r = kw(["team"])
        is_(r.rc, 2, "keepwarm team without a command: usage error", r.show())
        like(r.err, r"add-member", "the usage lists the commands")
        r = kw(["team", "--help"])
        is_(r.rc, 0, "keepwarm team --help", r.show())
        r = kw(["team", "frobnicate"])
        is_(r.rc, 2, "an unknown team command", r.show())
        r = kw(["team", "init"])
        is_(r.rc, 2, "init without --url", r.show())
        like(r.err, r"--url is required", "says --url is required")
        cfg = os.path.join(kwtest.tmpdir("kwteamcfg-"), "config")
        with open(cfg, "w") as f:
            f.write("[account x]\nhost = h\nuser = u\n")
        r = kw(["team", "push"], config=cfg)
        is_(r.rc, 2, "push without [team]: usage error", r.show())
        like(r.err, r"no team configured", "says how to configure a team")
        with open(cfg, "w") as f:
            f.write("[team]\nurl = postgresql://x@db.example.com/y\nshare = perhaps\n")
        r = kw(["team", "status"], config=cfg)
        is_(r.rc, 2, "share = perhaps: usage error", r.show())

        # -- init ------------------------------------------------------------
        r = t.admin(["init"], password="wrong-password")
        is_(r.rc, 3, "init with a wrong admin password: exit 3", r.show())
        t.pg.sql("CREATE ROLE outsider LOGIN CREATEROLE PASSWORD 'outsider-pw'")
        r = t.admin(["init"], password="outsider-pw", url=t.pg.url("outsider", db=DB))
        is_(r.rc, 3, "init by a role that does not own the database: exit 3", r.show())
        like(r.err, r"must own the database", "says what the admin role needs")
        is_(count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'keepwarm'"), "0",
            "and nothing was created")
        procs = [start_kw(["team", "init", "--url", t.admin_url(), "--ca-file", t.pg.ca_file],
                          secrets={"--password-fd": ADMIN_PASSWORD})[0] for _ in range(3)]
        rcs = [p.wait(60) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        is_(rcs, [0, 0, 0], "three inits at once all succeed (they take turns)")
        r = t.admin(["init"])
        is_(r.rc, 0, "init again: harmless", r.show())
        like(r.out, r"version 1", "reports the schema version")
        is_(count(t, "SELECT version FROM keepwarm.schema_version"), "1", "schema version 1")
        is_(count(t, "SELECT count(*) FROM keepwarm.schema_version"), "1", "one version row")
        is_(count(t, "SELECT relrowsecurity FROM pg_class WHERE oid = 'keepwarm.records'::regclass"), "t",
            "row-level security is on for records")
        is_(count(t, "SELECT relrowsecurity FROM pg_class WHERE oid = 'keepwarm.tombstones'::regclass"), "t",
            "and for tombstones")
        is_(count(t, "SELECT count(*) FROM pg_policy WHERE polrelid = 'keepwarm.records'::regclass"), "4",
            "four policies on records (read all, write own)")
        is_(count(t, "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class "
                     "WHERE relnamespace = 'keepwarm'::regnamespace"), ADMIN, "the admin owns every table")
        group = count(t, "SELECT group_role FROM keepwarm.team")
        is_(group, "keepwarm_sales", "the members' group role is named after the database")
        is_(count(t, "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM "
                     "information_schema.role_table_grants WHERE grantee = '%s' AND table_name = 'records'" % group),
            "DELETE,INSERT,SELECT,UPDATE", "the group may select, insert, update, delete records — never truncate")

        # -- add-member --------------------------------------------------------
        r = t.admin(["add-member", "Bad Name"])
        is_(r.rc, 2, "a member name with a space and capitals: usage error", r.show())
        r = t.admin(["add-member", "postgres"])
        is_(r.rc, 2, "the superuser cannot be a member", r.show())
        like(r.err, r"superuser", "says why")
        r = t.admin(["add-member", ADMIN])
        is_(r.rc, 2, "the admin (table owner) cannot be a member", r.show())
        r = t.admin(["add-member", "jan", "--display-name", "Jan Weber"],
                    extra_secrets={"--member-password-fd": CANARY})
        is_(r.rc, 0, "add-member jan", r.show())
        rc, out, err = t.member_psql("jan", CANARY, "SELECT current_user")
        is_((rc, out.strip()), (0, "jan"), "jan logs in with the password given on the fd", err)
        is_(count(t, "SELECT display_name || '|' || created_role FROM keepwarm.members WHERE member = 'jan'"),
            "Jan Weber|true", "members: display name, role created by keepwarm")
        is_(count(t, "SELECT pg_has_role('jan', '%s', 'member')" % group), "t", "jan is in the group")
        log = t.pg.log_text()
        ok(CANARY not in log, "the member's password is not in the server's statement log")
        like(log, r"CREATE ROLE .*jan.* PASSWORD 'SCRAM-SHA-256\$", "only its SCRAM verifier was sent")
        r = t.admin(["add-member", "jan", "--display-name", "Jan W."])
        is_(r.rc, 0, "add-member again: idempotent", r.show())
        is_(count(t, "SELECT display_name FROM keepwarm.members WHERE member = 'jan'"), "Jan W.",
            "the display name is updated")
        rc, out, err = t.member_psql("jan", CANARY, "SELECT 1")
        is_(rc, 0, "the password stays when none is given", err)
        r = t.admin(["add-member", "jan"], extra_secrets={"--member-password-fd": "new-pw-2"})
        rc, out, err = t.member_psql("jan", "new-pw-2", "SELECT 1")
        is_((r.rc, rc), (0, 0), "add-member with a new password resets it", r.show() + err)
        r = t.admin(["add-member", "kim"], extra_secrets={"--member-password-fd": "x"}, password=ADMIN_PASSWORD)
        is_(r.rc, 0, "add-member kim", r.show())

        # An existing login role (say from the company directory) is adopted.
        t.pg.sql("CREATE ROLE ola LOGIN PASSWORD 'ola-pw'")
        r = t.admin(["add-member", "ola"])
        is_(r.rc, 0, "add-member ola (an existing role, no password given)", r.show())
        is_(count(t, "SELECT created_role FROM keepwarm.members WHERE member = 'ola'"), "f",
            "recorded as not created by keepwarm")

        # -- remove-member --------------------------------------------------------
        r = t.admin(["remove-member", "nobody"])
        is_(r.rc, 10, "remove-member of a non-member: exit 10", r.show())
        r = t.admin(["remove-member", "kim"])
        is_(r.rc, 0, "remove-member kim", r.show())
        is_(count(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'kim'"), "0", "kim's role is dropped")
        r = t.admin(["remove-member", "ola"])
        is_(r.rc, 0, "remove-member ola", r.show())
        is_(count(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'ola'"), "1",
            "ola's role (not created by keepwarm) stays")
        is_(count(t, "SELECT pg_has_role('ola', '%s', 'member')" % group), "f", "but is out of the group")
        rc, out, err = t.member_psql("ola", "ola-pw", "SELECT count(*) FROM keepwarm.records")
        ok(rc != 0 and "permission denied" in err, "ola can no longer read the team's records", out + err)

        # -- a schema from a newer keepwarm ------------------------------------------
        t.pg.sql("UPDATE keepwarm.schema_version SET version = 99", db=DB)
        before = count(t, "SELECT count(*) FROM pg_class WHERE relnamespace = 'keepwarm'::regnamespace")
        r = t.admin(["init"])
        is_(r.rc, 6, "init on a newer team schema: exit 6", r.show())
        like(r.err, r"newer keepwarm", "says a newer keepwarm set it up")
        is_((count(t, "SELECT version FROM keepwarm.schema_version"),
             count(t, "SELECT count(*) FROM pg_class WHERE relnamespace = 'keepwarm'::regnamespace")),
            ("99", before), "nothing was changed")
        r = t.admin(["add-member", "lou"])
        is_(r.rc, 6, "add-member on a newer team schema: exit 6", r.show())
        is_(count(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'lou'"), "0", "no role was created")


kwtest.main(test)
