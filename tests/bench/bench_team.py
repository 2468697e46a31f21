#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_team.py — `make bench-team` (run by `make bench`): team sharing at the
size of a real sales team, against a real PostgreSQL on loopback with TLS.

The server holds 50 members x 5,000 relationships (an organisation record and
a person record each: 500,000 rows; customers overlap between members). The
measured member has a real store of 5,000 relationships, synced from a
generated mailbox served by Dovecot. Measured (whole `keepwarm` processes,
median of interleaved runs, wall time and the process's CPU time):

    first pull of the 49 teammates' 490,000 records   (reported)
    pull and merge after each teammate's sync changed 100 records   target <= 200 ms
    pull with nothing new                               (reported)
    staging after a sync with 100 new messages          (reported: a local step of the sync)
    push of those changes                               target <= 50 ms
    `overdue --team`, `overdue`, `overdue --team --format=json` on the
    member's store (every one of its 5,000 contacts a customer: a heavy list)
    (reported)
    `overdue --team` on bench-model's synthesised 100k store (5,800 addresses,
    ~600 organisations: a seller's usual store) after 49 teammates' records for
    a third of its relationships each were pulled   target <= 20 ms (reads locally)
    and the same store without them (the cost of the team)
    instructions of each (callgrind, when valgrind is installed: the stable
    figure on a shared machine)

Prints a table with PASS/MISS per target and writes build/bench/team.json.
Never fails on a MISS (exit 0 unless something does not work at all).

    bench_team.py [--runs N] [--members 50] [--relationships 5000] [--out FILE]
"""

import argparse
import imaplib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

import kwtest  # noqa: E402
import pgtest  # noqa: E402
from teamtest import Team, start_kw, write_config, dovecot_account, seller_mailbox, q, DB  # noqa: E402

ME = "bench@mycompany.example"
PW = "bench-member-pw"
POOL = 20000   # customers of the whole team
DAY = 86400
T0 = time.monotonic()


def log(*a):
    sys.stderr.write("[bench-team %6.1fs] %s\n" % (time.monotonic() - T0, " ".join(str(x) for x in a)))
    sys.stderr.flush()


def timed(args, config=None, db=None, secrets=None, env=None):
    """Run keepwarm; returns (wall seconds, CPU seconds of the process, Result-like tuple)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p, cmd = start_kw(args, config=config, db=db, secrets=secrets, env=env)
    out, err = p.communicate(timeout=1800)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        raise RuntimeError("keepwarm %s failed (%d): %s" % (" ".join(args), p.returncode, err[-2000:]))
    return wall, cpu, out


def callgrind(args, db, work, config=None):
    """Instructions of one keepwarm process (callgrind's total), or None."""
    import shutil
    if not shutil.which("valgrind"):
        return None
    outf = os.path.join(work, "callgrind.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outf,
                        kwtest.keepwarm_path(), "--db", db] + (["--config", config] if config else []) + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=kwtest.kw_env({}))
    m = [l for l in r.stderr.splitlines() if "Collected :" in l]
    try:
        os.unlink(outf)
    except OSError:
        pass
    return int(m[-1].split()[-1]) if m else None


def model_store_with_team(work, members, runs):
    """bench-model's synthesised 100k store, measured without and with the
    teammates' records a pull would store: each of `members`-1 teammates
    holds a third of its relationships (organisation and person records),
    with last exchanges from today to 4 months back."""
    import random
    import sqlite3
    sys.path.insert(0, HERE)
    import bench_model
    path = os.path.join(work, "model-100k.db")
    bench_model.synthesise(path, 100_000)
    out = {}
    for key, args in (("overdue", ["overdue"]), ("overdue_team", ["overdue", "--team"]),
                      ("overdue_team_json", ["overdue", "--team", "--format=json"])):
        out[key + "_without_team_records"] = measure(args, path, work, runs)
    rels = json.loads(subprocess.run([kwtest.keepwarm_path(), "--db", path, "overdue", "--all", "--format=json"],
                                     stdout=subprocess.PIPE, text=True, env=kwtest.kw_env({})).stdout)
    rng = random.Random(7)
    now = int(time.time())
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO team_members (member, display_name) VALUES (?, ?)",
                   [("m%02d" % i, "Member %d" % i) for i in range(2, members + 1)])
    rows = []
    for r in rels:
        org = r["key"]
        for i in range(2, members + 1):
            if rng.random() >= 1 / 3:
                continue
            t = now - rng.randrange(120 * DAY)
            person = r["main_person"] or r["key"]
            if r["kind"] == "org":
                rows.append(("m%02d" % i, "org", org, org, None, t))
            rows.append(("m%02d" % i, "person", person, org, person, t))
    db.executemany("INSERT OR REPLACE INTO team_records (member, kind, key, org, person, last_exchange, "
                   "state) VALUES (?, ?, ?, ?, ?, ?, 'ok')", rows)
    db.commit()
    db.close()
    out["team_records"] = len(rows)
    out["relationships"] = len(rels)
    for key, args in (("overdue", ["overdue"]), ("overdue_team", ["overdue", "--team"]),
                      ("overdue_team_json", ["overdue", "--team", "--format=json"])):
        out[key] = measure(args, path, work, runs)
    listed = json.loads(subprocess.run([kwtest.keepwarm_path(), "--db", path, "overdue", "--all", "--format=json"],
                                       stdout=subprocess.PIPE, text=True, env=kwtest.kw_env({})).stdout)
    out["ok_thanks_to_the_team"] = sum(1 for x in listed if x["why"]["team_ok"])
    out["overdue_team"]["target_ms"] = 20
    return out


def measure(args, db, work, runs):
    walls, cpus = [], []
    for _ in range(max(runs, 5)):
        w, c, txt = timed(args, db=db)
        walls.append(w)
        cpus.append(c)
    return {"wall": summary(walls), "cpu": summary(cpus), "instructions": callgrind(args, db, work),
            "rows": max(0, len(txt.splitlines()) - 1) if "--format=json" not in args else None}


def summary(values):
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v), "runs": v}


def populate(t, members, relationships):
    """members-1 teammates (m02..) with `relationships` customers each, drawn
    from a pool so that customers overlap."""
    now = int(time.time())
    t.pg.sql("DO $$ BEGIN FOR i IN 2..%d LOOP "
             "EXECUTE format('CREATE ROLE m%%s LOGIN PASSWORD %%L', lpad(i::text, 2, '0'), 'pw'); "
             "EXECUTE format('GRANT keepwarm_sales TO m%%s', lpad(i::text, 2, '0')); "
             "INSERT INTO keepwarm.members (member, display_name) "
             "VALUES ('m' || lpad(i::text, 2, '0'), 'Member ' || i); END LOOP; END $$" % members, db=DB)
    # customer c of member i: (k * 7919 + i * 104729) mod POOL, k = 1..relationships (distinct per member)
    t.pg.sql("""INSERT INTO keepwarm.records (member, kind, key, org, person, name, last_inbound,
                    last_outbound, last_exchange, exchanges, cadence_days, state)
             SELECT 'm' || lpad(i::text, 2, '0'), kinds.kind,
                    CASE kinds.kind WHEN 'org' THEN 'c' || c || '.example'
                         ELSE 'buyer' || c || '@c' || c || '.example' END,
                    'c' || c || '.example',
                    CASE kinds.kind WHEN 'org' THEN NULL ELSE 'buyer' || c || '@c' || c || '.example' END,
                    CASE kinds.kind WHEN 'org' THEN NULL ELSE 'Buyer ' || c END,
                    %(now)d - (c %% 90) * 86400 - 3600, %(now)d - (c %% 90) * 86400,
                    %(now)d - (c %% 90) * 86400, 3 + c %% 20, 30, 'ok'
             FROM generate_series(2, %(members)d) i, generate_series(1, %(rels)d) k,
                  LATERAL (SELECT (k * 7919 + i * 104729) %% %(pool)d AS c) cc,
                  (VALUES ('org'), ('person')) kinds(kind)""" %
             {"now": now, "members": members, "rels": relationships, "pool": POOL}, db=DB)
    t.pg.sql("VACUUM ANALYZE keepwarm.records", db=DB)


def teammates_sync(t, members, per_member, round_no):
    """Every teammate changes `per_member` records, one transaction each (their syncs)."""
    for i in range(2, members + 1):
        t.pg.sql("UPDATE keepwarm.records SET exchanges = exchanges + 1, last_exchange = last_exchange + %d "
                 "WHERE member = 'm%02d' AND ctid IN (SELECT ctid FROM keepwarm.records WHERE member = 'm%02d' "
                 "ORDER BY key LIMIT %d OFFSET %d)" % (round_no, i, i, per_member, (round_no * per_member) % 9000),
                 db=DB)


def stories(n):
    def tell(s):
        for i in range(n):
            c = (i * 7919 + 104729) % POOL
            s.exchanges("buyer%d@c%d.example" % (c, c), "Buyer %d" % c, 20 + i % 200 + 30, 20 + i % 200, 30)
    return tell


def append_new_mail(dv, n, round_no, as_of):
    """n new messages: inbound from n/2 existing customers, the user's answers."""
    c = imaplib.IMAP4("127.0.0.1", dv.port)
    c.login(dv.user, dv.password)
    try:
        for j in range(n // 2):
            cust = ((j + round_no * 50) * 7919 + 104729) % POOL
            who = "buyer%d@c%d.example" % (cust, cust)
            t = as_of - 86400 + j * 60 + round_no
            for folder, frm, to in (("INBOX", who, ME), ("Sent", ME, who)):
                msg = ("From: %s\r\nTo: %s\r\nDate: %s\r\nSubject: Round %d\r\nMessage-ID: <r%d.%d.%s@bench>\r\n\r\nHi\r\n"
                       % (frm, to, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)), round_no,
                          round_no, j, folder))
                c.append(folder, "(\\Seen)", imaplib.Time2Internaldate(t), msg.encode())
    finally:
        c.logout()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--relationships", type=int, default=5000)
    ap.add_argument("--out")
    a = ap.parse_args()
    why = pgtest.available()
    if why:
        log("skipped:", why)
        return 0
    out = a.out or os.path.join(kwtest.build_dir(), "bench", "team.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    work = kwtest.tmpdir("kwbench-team-")
    results = {"members": a.members, "relationships": a.relationships, "runs": a.runs,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "measures": {}}
    M = results["measures"]
    with Team() as t:
        log("server: %d members x %d relationships" % (a.members, a.relationships))
        populate(t, a.members, a.relationships)
        results["server_rows"] = int(t.pg.sql("SELECT count(*) FROM keepwarm.records", db=DB))
        t.add_member("m01", PW, display="Bench Member")
        log("member mailbox: %d relationships" % a.relationships)
        maildir, as_of = seller_mailbox(os.path.join(work, "Maildir"), ME, "Bench", [stories(a.relationships)])
        with kwtest.Dovecot(maildir=maildir) as dv:
            cfg = write_config(os.path.join(work, "config"), [dovecot_account(dv, ME)],
                               {"url": t.member_url("m01"), "password_cmd": "printf %s " + q(PW),
                                "share": "yes", "ca_file": t.pg.ca_file})
            db = os.path.join(work, "db", "keepwarm.db")
            log("first sync (no team)")
            timed(["sync", "--no-team"], config=cfg, db=db)
            log("first push")
            wall, cpu, _ = timed(["team", "push"], config=cfg, db=db)
            M["first_push"] = {"wall": wall, "cpu": cpu, "records": 2 * a.relationships}
            log("first pull")
            wall, cpu, txt = timed(["team", "pull"], config=cfg, db=db)
            M["first_pull"] = {"wall": wall, "cpu": cpu, "output": txt.strip()}

            pull_w, pull_c, none_w, none_c = [], [], [], []
            for r in range(1, a.runs + 1):
                teammates_sync(t, a.members, 100, r)
                w, c, txt = timed(["team", "pull"], config=cfg, db=db)
                pull_w.append(w)
                pull_c.append(c)
                if r == 1:
                    M["pull_output"] = txt.strip()
                w, c, _ = timed(["team", "pull"], config=cfg, db=db)
                none_w.append(w)
                none_c.append(c)
            M["pull_after_teammates_changed_100_each"] = {"wall": summary(pull_w), "cpu": summary(pull_c),
                                                          "changed_rows": 100 * (a.members - 1),
                                                          "target_ms": 200}
            M["pull_nothing_new"] = {"wall": summary(none_w), "cpu": summary(none_c)}

            stage_w, stage_c, push_w, push_c, sync_w = [], [], [], [], []
            for r in range(1, a.runs + 1):
                append_new_mail(dv, 100, r, as_of)
                w, c, _ = timed(["sync", "--no-team"], config=cfg, db=db)
                sync_w.append(w)
                w, c, _ = timed(["team", "status"], config=cfg, db=db)   # stages the changes
                stage_w.append(w)
                stage_c.append(c)
                w, c, txt = timed(["team", "push", "--url", t.member_url("m01"), "--ca-file", t.pg.ca_file],
                                  db=db, secrets={"--password-fd": PW})  # no [team]: sends what is staged
                push_w.append(w)
                push_c.append(c)
                if r == 1:
                    M["push_output"] = txt.strip()
            append_new_mail(dv, 100, a.runs + 1, as_of)
            timed(["sync", "--no-team"], config=cfg, db=db)
            stage_ins = callgrind(["team", "status"], db, work, config=cfg)
            M["sync_100_new_messages_no_team"] = {"wall": summary(sync_w)}
            M["stage_after_100_new_messages"] = {"wall": summary(stage_w), "cpu": summary(stage_c),
                                                 "instructions": stage_ins}
            M["push_after_100_new_messages"] = {"wall": summary(push_w), "cpu": summary(push_c),
                                                "target_ms": 50}

            # the model with the team's records: overdue --team reads them locally
            for key, args in (("overdue_team", ["overdue", "--team"]), ("overdue", ["overdue"]),
                              ("overdue_team_json", ["overdue", "--team", "--format=json"])):
                M["member_store_" + key] = measure(args, db, work, a.runs)
            ok_team = subprocess.run([kwtest.keepwarm_path(), "--db", db, "overdue", "--all", "--team",
                                      "--format=json"], stdout=subprocess.PIPE, text=True,
                                     env=kwtest.kw_env({}))
            rows = json.loads(ok_team.stdout or "[]")
            M["member_store_overdue_team"]["ok_thanks_to_the_team"] = sum(1 for x in rows if x["why"]["team_ok"])
            M["member_store_overdue_team"]["relationships"] = len(rows)
    log("bench-model's 100k store with teammates' records")
    M["model_100k"] = model_store_with_team(work, a.members, a.runs)

    def ms(x):
        return "%.0f ms" % (x * 1000)

    lines = ["team sharing, %d members x %d relationships (%d server rows), %d runs, measured under load"
             % (a.members, a.relationships, results["server_rows"] + 2 * a.relationships, a.runs),
             "%-52s %10s %10s %8s  %s" % ("", "wall", "cpu", "target", ""),
             "%-52s %10s %10s %8s" % ("first push (%d records)" % (2 * a.relationships), ms(M["first_push"]["wall"]),
                                      ms(M["first_push"]["cpu"]), ""),
             "%-52s %10s %10s %8s" % ("first pull (%d teammates' records)" % results["server_rows"],
                                      ms(M["first_pull"]["wall"]), ms(M["first_pull"]["cpu"]), "")]
    for key, label in (("pull_after_teammates_changed_100_each", "pull + merge, 49 x 100 changed records"),
                       ("pull_nothing_new", "pull, nothing new"),
                       ("stage_after_100_new_messages", "stage after a sync with 100 new messages"),
                       ("push_after_100_new_messages", "push after a sync with 100 new messages")):
        m = M[key]
        target = m.get("target_ms")
        verdict = ""
        if target:
            verdict = "PASS" if m["wall"]["median"] * 1000 <= target else "MISS"
        ins = m.get("instructions")
        lines.append("%-52s %10s %10s %8s  %s%s" % (label, ms(m["wall"]["median"]), ms(m["cpu"]["median"]),
                                                     "%d ms" % target if target else "", verdict,
                                                     "  %.1fM instructions" % (ins / 1e6) if ins else ""))
    mt = M["member_store_overdue_team"]
    m100 = M["model_100k"]
    for m, label in ((mt, "member's store: overdue --team (%d rows; %d of %d ok: team)"
                      % (mt["rows"], mt["ok_thanks_to_the_team"], mt["relationships"])),
                     (M["member_store_overdue"], "member's store: overdue"),
                     (M["member_store_overdue_team_json"], "member's store: overdue --team --format=json"),
                     (m100["overdue_team"], "100k store + %d teammates' records: overdue --team (%d rows)"
                      % (m100["team_records"], m100["overdue_team"]["rows"])),
                     (m100["overdue"], "  the same: overdue (%d of %d ok thanks to the team)"
                      % (m100["ok_thanks_to_the_team"], m100["relationships"])),
                     (m100["overdue_team_json"], "  the same: overdue --team --format=json"),
                     (m100["overdue_team_without_team_records"], "100k store, no team records: overdue --team"),
                     (m100["overdue_without_team_records"], "  the same: overdue"),
                     (m100["overdue_team_json_without_team_records"], "  the same: overdue --team --format=json")):
        target = m.get("target_ms")
        verdict = ("PASS" if m["wall"]["median"] * 1000 <= target else "MISS") if target else ""
        ins = m.get("instructions")
        lines.append("%-52s %10s %10s %8s  %s%s" % (label, ms(m["wall"]["median"]), ms(m["cpu"]["median"]),
                                                     "%d ms" % target if target else "", verdict,
                                                     "  %.1fM instructions" % (ins / 1e6) if ins else ""))
    print("\n".join(lines))
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    log("results in", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
