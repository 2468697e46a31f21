#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Team push and pull under faults, against a real PostgreSQL (and the
byte-level fault proxy in front of it):

- the server is down during `keepwarm sync`: the sync still succeeds, the
  changes wait (team status says so), and the next push delivers them;
- kill -9 of a push stalled at points spread over the whole session (before
  the login, mid-transaction, after the server's COMMIT but before its
  answer), then a normal push: the server rows equal an undisturbed run and
  the outbox ends empty — for a first (full) push and for an incremental one;
- the connection cut or reset by the proxy at the same points: a clean
  network error, nothing lost, delivered next time;
- a stalled server: a network error within the timeout;
- kill -9 in the middle of a pull: the local store is as before the pull;
- a team schema newer than this keepwarm: a clear error, nothing written on
  either side;
- a restored server (the transaction counter behind the last pull) and a
  re-created team: everything is pulled / pushed again;
- hostile data from a teammate (terminal escapes, odd kinds) is shown safely.
"""

import os
import shutil
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import pgtest  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from teamtest import (Team, kw, start_kw, write_config, dovecot_account, seller_mailbox,  # noqa: E402
                      server_rows, local_state, q, DB)

ME = "fay@mycompany.example"
PW = "pw-fay-9"
CUSTOMERS = 700   # 1,400 records: two batches of the push


def stories(s):
    for i in range(CUSTOMERS):
        s.exchanges("buyer%d@customer%d.example" % (i, i), "Buyer %d" % i, 10 + i % 90 + 30 * 2,
                    10 + i % 90, 30)


def rows(t):
    return server_rows(t.pg, "fay")


def outbox_count(db):
    return local_state(db)[1]


def pulled(db):
    return local_state(db)[2]


def copy_store(src, dst_dir):
    os.makedirs(dst_dir, exist_ok=True)
    dst = os.path.join(dst_dir, "keepwarm.db")
    c = sqlite3.connect(src)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o600)
    return dst


CFG = None


def push(db, port, ca, timeout=30, extra=()):
    """team push with fay's config (share = yes), to `port` (the server or a proxy)."""
    return kw(["team", "push", "--url", "postgresql://fay@localhost:%d/sales" % port, "--ca-file", ca,
               "--timeout", str(timeout)] + list(extra), config=CFG, db=db, secrets={"--password-fd": PW})


def start_push(db, port, ca):
    return start_kw(["team", "push", "--url", "postgresql://fay@localhost:%d/sales" % port, "--ca-file", ca,
                     "--timeout", "30"], config=CFG, db=db, secrets={"--password-fd": PW})[0]


def session_bytes(px):
    px.wait(10)
    return max([int(l.split()[-2]) for l in px.lines() if "relayed" in l and l.endswith("bytes")] or [0])


def test():
    global CFG
    why = pgtest.available()
    if why:
        skip_all(why)
    work = kwtest.tmpdir("kwteamfault-")
    with Team() as t:
        ca = t.pg.ca_file
        t.add_member("fay", PW, display="Fay Fault")
        t.add_member("gil", "pw-gil")
        maildir, as_of = seller_mailbox(os.path.join(work, "Maildir"), ME, "Fay", [stories])
        dv = kwtest.Dovecot(maildir=maildir)
        dv.start()
        cfg = write_config(os.path.join(work, "config"), [dovecot_account(dv, ME)],
                           {"url": t.member_url("fay"), "password_cmd": "printf %s " + q(PW), "share": "yes",
                            "ca_file": ca, "timeout": "10"})
        CFG = cfg
        db = os.path.join(work, "db", "keepwarm.db")

        # -- the server is down during the sync -----------------------------
        t.pg.stop()
        r = kw(["sync", "--progress=json"], config=cfg, db=db)
        ev = [e for e in r.events() if e.get("event") == "team"]
        is_(r.rc, 0, "server down: the mail sync still exits 0", r.show())
        ok(ev and ev[-1]["status"] == "network" and ev[-1]["pending"] == 2 * CUSTOMERS,
           "the team part reports a network error and %d pending changes" % (2 * CUSTOMERS), repr(ev))
        like(r.err, r"team: warning: .*cannot connect", "a warning on stderr")
        like(r.err, r"%d changes wait for the next push" % (2 * CUSTOMERS), "saying the changes wait")
        st = kw(["team", "status", "--format=json"], config=cfg, db=db).json()
        ok(st and st["pending"] == 2 * CUSTOMERS and st["last_error"] and st["last_push"] is None,
           "team status: pending, the last error, never pushed", repr(st))
        shared = kw(["team", "show-shared", "--format=json"], config=cfg, db=db).json()
        expected = {("fay", x["kind"], x["key"]): x for x in shared["records"]}
        is_(len(expected), 2 * CUSTOMERS, "show-shared lists %d records" % (2 * CUSTOMERS))
        base = copy_store(db, os.path.join(work, "base"))   # everything staged, nothing pushed
        # an action while the server is down: done, a warning, the change waits
        acts = copy_store(db, os.path.join(work, "actions"))
        key = next(x["key"] for x in shared["records"] if x["kind"] == "org")
        start = time.monotonic()
        r = kw(["snooze", key, "2w"], config=cfg, db=acts)
        took = time.monotonic() - start
        is_(r.rc, 0, "server down: snooze still succeeds", r.show())
        like(r.out, r"Snoozed", "and says so")
        like(r.err, r"team: warning: .*\n.*%d changes wait for the next push" % (2 * CUSTOMERS),
             "one warning: the changes wait")
        is_(outbox_count(acts), 2 * CUSTOMERS, "the snooze's change waits in the outbox with the rest")
        kwtest.diag("snooze with the team server down took %.1f s (the wait is capped at 5 s)" % took)
        t.pg.start()
        r = kw(["team", "push"], config=cfg, db=db)
        is_(r.rc, 0, "the server is back: team push delivers", r.show())
        reference = rows(t)
        is_(sorted(reference), sorted(expected), "the server has exactly the shared records")
        is_(outbox_count(db), 0, "the outbox is empty")
        st = kw(["team", "status", "--format=json"], config=cfg, db=db).json()
        ok(st and st["last_error"] is None and st["last_push"], "team status: pushed, no error", repr(st))

        # -- kill -9 mid-push, then resume ---------------------------------------
        with FaultProxy(t.pg.port, "none", 0, workdir=work, name="measure-push") as px:
            t.pg.sql("DELETE FROM keepwarm.records WHERE member = 'fay'", db=DB)
            trial = copy_store(base, os.path.join(work, "measure"))
            r = push(trial, px.port, ca)
            is_(r.rc, 0, "an undisturbed first push through the proxy", r.show())
            total = session_bytes(px)
        is_(rows(t), reference, "through the proxy: the same server rows")
        points = sorted(set(int(total * f) for f in (0.02, 0.15, 0.35, 0.55, 0.75, 0.9)))
        note("push session: %d bytes server->client; stall points %s" % (total, points))

        def killed_push(store, n, name):
            """Push through a proxy that stalls after n bytes; SIGKILL it there.
            Returns whether keepwarm was still running (stuck) when killed."""
            with FaultProxy(t.pg.port, "stall", n, workdir=work, deadline=60, name=name) as px:
                p = start_push(store, px.port, ca)
                end = time.monotonic() + 30
                while time.monotonic() < end and not px.saw(r"^# stalled") and p.poll() is None:
                    time.sleep(0.02)
                time.sleep(0.2)
                alive = p.poll() is None
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
                p.communicate()
            return alive

        for n in points:
            t.pg.sql("DELETE FROM keepwarm.records WHERE member = 'fay'", db=DB)
            trial = copy_store(base, os.path.join(work, "kill-%d" % n))
            ok(killed_push(trial, n, "stall-%d" % n),
               "stall at byte %d: keepwarm is stuck mid-push, killed with SIGKILL" % n)
            is_(outbox_count(trial), 2 * CUSTOMERS, "stall at byte %d: the outbox is untouched" % n)
            r = push(trial, t.pg.port, ca)
            is_(r.rc, 0, "stall at byte %d: the next push succeeds" % n, r.show())
            is_(rows(t), reference, "stall at byte %d: server rows equal an undisturbed run" % n)
            is_((outbox_count(trial), kwtest.sqlite_integrity(trial)), (0, "ok"),
                "stall at byte %d: outbox empty, store intact" % n)

        def commit_point(make_trial, reset, changes, label):
            """The last stall point (searched downwards from the end of the
            session) at which the push cannot finish: the answer to COMMIT is
            withheld. The server has committed; the outbox must still be full."""
            for n in range(total - 1, max(total - 400, 0), -12):
                reset()
                trial = make_trial(n)
                killed_push(trial, n, "%s-commit-%d" % (label, n))
                if outbox_count(trial) == changes:
                    return n, trial
            return None, None

        n, trial = commit_point(lambda n: copy_store(base, os.path.join(work, "commit-%d" % n)),
                                lambda: t.pg.sql("DELETE FROM keepwarm.records WHERE member = 'fay'", db=DB),
                                2 * CUSTOMERS, "full")
        ok(n is not None, "found the stall point that withholds the answer to COMMIT (byte %s of %d)" % (n, total))
        if n is not None:
            is_(rows(t), reference, "killed after the server's COMMIT: the server has every record")
            txids = t.pg.sql("SELECT key, txid FROM keepwarm.records WHERE member = 'fay' ORDER BY 1", db=DB)
            r = push(trial, t.pg.port, ca)
            is_((r.rc, outbox_count(trial)), (0, 0), "the resumed push succeeds, the outbox empties", r.show())
            is_(rows(t), reference, "server rows equal an undisturbed run")
            is_(t.pg.sql("SELECT key, txid FROM keepwarm.records WHERE member = 'fay' ORDER BY 1", db=DB), txids,
                "and sending everything again rewrote no row")

        # An incremental push (two changed records) killed after the server's COMMIT.
        r = kw(["snooze", "customer5.example", "2w"], db=db)
        is_(r.rc, 0, "snooze one customer", r.show())
        kw(["team", "status"], config=cfg, db=db)
        is_(outbox_count(db), 2, "two changes staged (the org and its person)")
        inc_base = copy_store(db, os.path.join(work, "inc-base"))
        push(copy_store(inc_base, os.path.join(work, "inc-ref")), t.pg.port, ca)
        incremental_reference = rows(t)

        def unsnooze_on_server():
            t.pg.sql("UPDATE keepwarm.records SET state = 'ok' WHERE member = 'fay' "
                     "AND org = 'customer5.example'", db=DB)
        unsnooze_on_server()
        with FaultProxy(t.pg.port, "none", 0, workdir=work, name="measure-inc") as px:
            push(copy_store(inc_base, os.path.join(work, "inc-measure")), px.port, ca)
            total = session_bytes(px)
        n, trial = commit_point(lambda n: copy_store(inc_base, os.path.join(work, "inc-%d" % n)),
                                unsnooze_on_server, 2, "inc")
        ok(n is not None, "incremental push: found the point after the server's COMMIT (byte %s of %d)"
           % (n, total))
        if n is not None:
            is_(rows(t), incremental_reference, "killed after the server's COMMIT: the server already has it")
            is_(outbox_count(trial), 2, "and the outbox still has both changes")
            txids = t.pg.sql("SELECT key, txid FROM keepwarm.records WHERE member = 'fay' ORDER BY 1", db=DB)
            r = push(trial, t.pg.port, ca)
            is_((r.rc, outbox_count(trial)), (0, 0), "the resumed push succeeds and empties the outbox",
                r.show())
            is_(rows(t), incremental_reference, "server rows equal an undisturbed run")
            is_(t.pg.sql("SELECT key, txid FROM keepwarm.records WHERE member = 'fay' ORDER BY 1", db=DB),
                txids, "sending it again rewrote no row (teammates pull nothing twice)")
        r = push(db, t.pg.port, ca)
        is_((r.rc, outbox_count(db)), (0, 0), "the member's own store pushes its snooze", r.show())

        # -- cut / reset by the proxy ------------------------------------------------
        r = kw(["snooze", "customer6.example", "3w"], db=db)
        kw(["team", "status"], config=cfg, db=db)
        pending = outbox_count(db)
        is_(pending, 2, "two more changes staged")
        for fault in ("cut", "rst"):
            for n in (50, 1200, total // 2, total - 5):
                with FaultProxy(t.pg.port, fault, n, workdir=work, name="%s-%d" % (fault, n)) as px:
                    r = push(db, px.port, ca)
                ok(r.rc in (0, 5), "%s after %d bytes: ok or a network error (exit 5)" % (fault, n), r.show())
                if r.rc == 5:
                    is_(outbox_count(db), pending, "%s after %d bytes: the changes still wait" % (fault, n))
                    if pending:
                        like(r.err, r"%d changes? waits? for the next push" % pending,
                             "%s after %d bytes: says so" % (fault, n))
                    else:
                        ok("for the next push\n" not in r.err.replace("outbox for the next push", ""),
                           "%s after %d bytes: nothing waits, so no count of waiting changes" % (fault, n),
                           r.err)
                else:
                    # the cut came after the answer to COMMIT
                    pending = outbox_count(db)
        r = push(db, t.pg.port, ca)
        is_((r.rc, outbox_count(db)), (0, 0), "then a push over a good connection delivers", r.show())
        shared = kw(["team", "show-shared", "--format=json"], config=cfg, db=db).json()
        is_(sorted(rows(t)), sorted(("fay", x["kind"], x["key"]) for x in shared["records"]),
            "the server has exactly what is shared")
        ok(rows(t)[("fay", "org", "customer6.example")]["state"] == "snoozed", "including the last change")

        # -- a stalled server ------------------------------------------------------------
        kw(["snooze", "customer7.example", "3w"], db=db)
        kw(["team", "status"], config=cfg, db=db)
        with FaultProxy(t.pg.port, "stall", 1500, workdir=work, deadline=60, name="stall-timeout") as px:
            t0 = time.monotonic()
            r = push(db, px.port, ca, timeout=3)
            took = time.monotonic() - t0
        is_(r.rc, 5, "a stalled server: exit 5", r.show())
        ok(took < 20, "within the timeout (3 s per wait; took %.1f s, under load)" % took)
        is_(outbox_count(db), 2, "the changes wait")

        # -- pulls: kill -9 mid-pull leaves the store as it was ---------------------------
        for i in range(300):
            t.pg.sql("INSERT INTO keepwarm.records (member, kind, key, org, state) VALUES "
                     "('gil', 'org', 'gil%d.example', 'gil%d.example', 'ok')" % (i, i), db=DB)
        r = kw(["team", "pull", "--url", t.member_url("fay"), "--ca-file", ca], db=db,
               secrets={"--password-fd": PW})
        is_(r.rc, 0, "fay pulls gil's 300 records", r.show())
        before = pulled(db)
        is_(len(before), 300, "300 pulled records")
        t.pg.sql("UPDATE keepwarm.records SET state = 'overdue' WHERE member = 'gil'", db=DB)
        with FaultProxy(t.pg.port, "none", 0, workdir=work, name="measure-pull") as px:
            trial = copy_store(db, os.path.join(work, "pull-measure"))
            kw(["team", "pull", "--url", "postgresql://fay@localhost:%d/sales" % px.port, "--ca-file", ca],
               db=trial, secrets={"--password-fd": PW})
            total = session_bytes(px)
        with FaultProxy(t.pg.port, "stall", int(total * 0.7), workdir=work, deadline=60, name="stall-pull") as px:
            p, _ = start_kw(["team", "pull", "--url", "postgresql://fay@localhost:%d/sales" % px.port,
                             "--ca-file", ca], db=db, secrets={"--password-fd": PW})
            end = time.monotonic() + 30
            while time.monotonic() < end and not px.saw(r"^# stalled") and p.poll() is None:
                time.sleep(0.02)
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
            p.communicate()
        c = sqlite3.connect(db)
        states = c.execute("SELECT DISTINCT state FROM team_records").fetchall()
        c.close()
        is_((pulled(db), states), (before, [("ok",)]), "killed mid-pull: the pulled records are as before")
        is_(kwtest.sqlite_integrity(db), "ok", "and the store is intact")
        r = kw(["team", "pull", "--url", t.member_url("fay"), "--ca-file", ca], db=db, secrets={"--password-fd": PW})
        like(r.out, r"Pulled 300 records, 0 removed", "the next pull brings the 300 changes", r.show())

        # -- a schema from a newer keepwarm ---------------------------------------------------
        t.pg.sql("UPDATE keepwarm.schema_version SET version = 99", db=DB)
        server_before = t.pg.sql("SELECT count(*), max(txid::text) FROM keepwarm.records", db=DB)
        r = push(db, t.pg.port, ca)
        is_(r.rc, 6, "push to a newer team schema: exit 6", r.show())
        like(r.err, r"newer keepwarm .* nothing was sent or changed", "a clear error")
        is_(outbox_count(db), 2, "the changes still wait")
        r = kw(["team", "pull", "--url", t.member_url("fay"), "--ca-file", ca], db=db, secrets={"--password-fd": PW})
        is_(r.rc, 6, "pull from a newer team schema: exit 6", r.show())
        is_(t.pg.sql("SELECT count(*), max(txid::text) FROM keepwarm.records", db=DB), server_before,
            "nothing was written on the server")
        is_(len(pulled(db)), 300, "nor locally")
        t.pg.sql("UPDATE keepwarm.schema_version SET version = 1", db=DB)

        # -- a restored server (its transaction counter behind the last pull) ---------------
        c = sqlite3.connect(db)
        c.execute("UPDATE team_state SET pull_xmin = '999999999999'")
        c.execute("DELETE FROM team_records WHERE key LIKE 'gil1%'")
        c.commit()
        c.close()
        r = kw(["team", "pull", "--url", t.member_url("fay"), "--ca-file", ca], db=db, secrets={"--password-fd": PW})
        like(r.out, r"\(everything\)", "a server behind the last pull: everything is pulled again", r.show())
        is_(len(pulled(db)), 300, "all 300 records are back")

        # -- the team is re-created: everything goes again ------------------------------------
        t.pg.sql("DROP SCHEMA keepwarm CASCADE", db=DB)
        r = t.admin(["init"])
        is_(r.rc, 0, "the admin re-creates the team", r.show())
        t.add_member("fay", PW)
        r = push(db, t.pg.port, ca)
        is_(r.rc, 0, "fay pushes to the new team", r.show())
        shared = kw(["team", "show-shared", "--format=json"], config=cfg, db=db).json()
        is_(sorted(rows(t)), sorted(("fay", x["kind"], x["key"]) for x in shared["records"]),
            "everything shared is on the new team's server")
        is_(len(pulled(db)), 0, "what was pulled from the old team is gone")

        # -- hostile data from a teammate --------------------------------------------------------
        t.add_member("gil", "pw-gil")
        t.pg.sql("INSERT INTO keepwarm.records (member, kind, key, org, person, name, state) VALUES "
                 "('gil', 'person', 'x@evil.example', 'evil.example', 'x@evil.example', "
                 "E'\\x1b]0;owned\\x07Evil \\x1b[31mRed\\u202e', 'a-state-from-the-future')", db=DB)
        r = kw(["team", "pull", "--url", t.member_url("fay"), "--ca-file", ca], db=db, secrets={"--password-fd": PW})
        is_(r.rc, 0, "pulling a teammate's odd records works", r.show())
        r = kw(["team", "list", "evil.example"], db=db)
        is_(r.rc, 0, "team list shows them", r.show())
        ok("\x1b" not in r.out and "\u202e" not in r.out and "Evil" in r.out,
           "without terminal escapes or bidi controls", repr(r.out))
        d = kw(["team", "list", "evil.example", "--format=json"], db=db).json()
        ok(d and "\x1b" not in d[0]["name"] and "\u202e" not in d[0]["name"] and "Evil" in d[0]["name"]
           and d[0]["state"] == "ok",
           "JSON sanitises the name like every JSON output; an unknown state reads as ok", repr(d))
        dv.stop()


kwtest.main(test)
