#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-host`: the Thunderbird add-on's native host, request by
request, as Thunderbird calls it — one `keepwarm native-host` process per
runtime.sendNativeMessage: start, one framed request, the answer, exit.

For each request type (status; overdue for the badge (limit 1) and the
list (500 rows) in English and German; for-sender of
a tracked customer and of a stranger, the banner's two cases; relationship;
timeline; an action that writes; today, the badge's and the popup's
request; record-sent, a new sent message each run) on the model benchmark's synthesised 10k
and 100k stores (tests/bench/bench_model.py, cached in $BENCH_CACHE), or on
any store given with --db:
  - callgrind instructions of the whole process (the stable figure);
  - wall time, median of N runs (measured under load when others share the
    machine).
The process start-up alone (`native-host` with no request) is the baseline.
Writes go to a copy of the store. Results: build/bench/host.json.

Options: --db PATH (repeatable), --as-of DATE (for --db stores), --tiers
10k,100k, --runs N (default 15), --no-callgrind.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_model as bm  # noqa: E402


def framed(req):
    body = json.dumps(req).encode()
    return struct.pack("=I", len(body)) + body


def answers(data):
    out = []
    while len(data) >= 4:
        n = struct.unpack("=I", data[:4])[0]
        out.append(json.loads(data[4:4 + n]))
        data = data[4 + n:]
    return out


def host_env(work):
    # the host's log and last-sync file go to a throwaway XDG_STATE_HOME
    return dict(bm.kw_env(), XDG_STATE_HOME=os.path.join(work, "state"),
                XDG_CONFIG_HOME=os.path.join(work, "config"))


def ask(db, req, env, prefix=()):
    r = subprocess.run(list(prefix) + [bm.keepwarm(), "--db", db, "native-host"],
                       input=framed(req) if req else b"", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    return r


def nth(req, k):
    """record-sent: a new message each run (a repeat would only find it there)."""
    if req and "message_id" in req:
        return dict(req, message_id="%s.%s" % (k, req["message_id"]))
    return req


def wall(db, req, env, runs):
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        r = ask(db, nth(req, k), env)
        t = (time.perf_counter() - t0) * 1000
        got = answers(r.stdout)
        if r.returncode != 0 or (req and not (got and got[0].get("ok"))):
            raise RuntimeError("host %s: exit %d, %s" % (req, r.returncode, got[:1]))
        if k:
            times.append(t)
    return bm.stats(times)


def callgrind(db, req, env):
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory(prefix="kwbench-cg-") as d:
        out = os.path.join(d, "cg.out")
        r = ask(db, nth(req, "cg"), env, ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out])
        if r.returncode != 0:
            return None
        with open(out) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
    return None


def sender_account(db, env):
    """One of the user's addresses, and a config naming it as an account's
    (record-sent finds the account by the From address)."""
    import sqlite3
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    me = c.execute("SELECT email FROM identities ORDER BY email LIMIT 1").fetchone()[0]
    c.close()
    os.makedirs(os.path.join(env["XDG_CONFIG_HOME"], "keepwarm"), exist_ok=True)
    with open(os.path.join(env["XDG_CONFIG_HOME"], "keepwarm", "config"), "w") as f:
        f.write("[account bench]\nhost = 127.0.0.1\nuser = %s\n" % me)
    return me


def requests(db, env, as_of):
    """The request types, with a tracked customer and its key from the store."""
    when = {"as_of": "@%d" % as_of} if as_of else {}
    first = answers(ask(db, dict(cmd="overdue", limit=1, **when), env).stdout)[0]["result"]["items"][0]
    me = sender_account(db, env)
    return [
        ("startup (no request)", None),
        ("status", {"cmd": "status"}),
        ("overdue limit=1 (badge)", dict(cmd="overdue", limit=1, **when)),
        ("overdue", dict(cmd="overdue", **when)),
        ("overdue lang=de", dict(cmd="overdue", lang="de", **when)),
        ("for-sender (tracked)", dict(cmd="for-sender", address=first["main_person"], **when)),
        ("for-sender (stranger)", dict(cmd="for-sender", address="news@nowhere.example", **when)),
        ("relationship", dict(cmd="relationship", target=first["key"], **when)),
        ("timeline", dict(cmd="timeline", target=first["key"], **when)),
        ("action note (writes)", {"cmd": "action", "action": "note", "target": first["key"], "text": "bench"}),
        # the day's list: the first run makes and keeps it (not timed), the others read it
        ("today (the badge, popup)", dict(cmd="today", **when)),
        ("record-sent (writes)", {"cmd": "record-sent", "message_id": "bench@kw.test", "from": me,
                                  "to": [first["main_person"]], "subject": "bench"}),
    ]


def measure(name, path, runs, with_callgrind, as_of=None):
    bm.log("== %s: %s" % (name, path))
    res = {"store": path, "facts": bm.store_facts(path), "as_of": as_of, "requests": {}}
    bm.log("   %s" % res["facts"])
    with tempfile.TemporaryDirectory(prefix="kwbench-host-") as work:
        db = os.path.join(work, "keepwarm.db")
        shutil.copy(path, db)  # the action writes
        env = host_env(work)
        for label, req in requests(db, env, as_of):
            row = {"wall_ms": wall(db, req, env, runs)}
            if with_callgrind:
                row["instructions"] = callgrind(db, req, env)
            res["requests"][label] = row
            bm.log("   %-24s %8.1f ms   %s instructions" % (label, row["wall_ms"]["median"],
                                                          "{:,}".format(row["instructions"])
                                                          if row.get("instructions") else "-"))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", action="append", default=[], help="measure this store (repeatable)")
    ap.add_argument("--as-of", help="for --db stores: the model's now (a date keepwarm reads)")
    ap.add_argument("--tiers", default="10k,100k")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--no-callgrind", action="store_true")
    a = ap.parse_args()
    if not os.access(bm.keepwarm(), os.X_OK):
        bm.log("bench-host: %s is missing: run 'make' first" % bm.keepwarm())
        return 1
    results = {}
    if a.db:
        as_of = None
        if a.as_of:
            r = subprocess.run(["date", "-u", "-d", a.as_of, "+%s"], stdout=subprocess.PIPE, text=True)
            as_of = int(r.stdout.strip())
        for path in a.db:
            results[os.path.basename(path)] = measure(path, os.path.abspath(path), a.runs,
                                                      not a.no_callgrind, as_of)
    else:
        cache = os.environ.get("BENCH_CACHE") or os.path.join(bm.SRC, ".cache", "bench")
        os.makedirs(cache, exist_ok=True)
        for tier in [t for t in a.tiers.split(",") if t]:
            path = bm.cached_store(cache, tier)
            results[tier] = measure(tier, path, a.runs, not a.no_callgrind)
    report = {"machine": os.uname().nodename, "runs": a.runs, "measured_under_load": True, "results": results}
    out_dir = os.path.join(bm.build_dir(), "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "host.json"), "w") as f:
        json.dump(report, f, indent=2)
    bm.log("results: %s" % os.path.join(out_dir, "host.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
