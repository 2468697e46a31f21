#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-model`: how fast the relationship model answers, as a user
sees it (whole `keepwarm overdue` processes) and inside the processes that
keep a model loaded (the plugin's hint bar), on stores of 10k, 100k and 1M
messages with the same ~5,800 addresses — or on any store given with --db.

Stores are synthesised straight into the schema (no IMAP: a 1M-message
mailbox would take an hour to serve): a seller's contacts at ~600
organisations, free-mail customers, colleagues, newsletters, notifiers and
one-off correspondents, with messages whose addresses are packed exactly as
the sync packs them. `keepwarm identity add` then makes the library derive
the interactions and, when it closes the store, the model's aggregates — the
same code paths a real sync ends with. Stores are cached in
$BENCH_CACHE/model-*.db (default .cache/bench).

Reported (measured under load when others share the machine — the
instruction counts of callgrind are the stable figure):
  - `keepwarm overdue --format=json` and the table: whole process, median of
    N runs; also with --exact (every message read, what the model cost
    before the aggregates), for comparison;
  - callgrind instructions of the whole `overdue --format=json` process;
  - in process (tests/bench/bench_model.c): model load, the default list,
    and the hint lookup for a clicked message on a loaded model.
Targets (issue 10): overdue <= 15 ms at 100k and within 1.5x of 10k with the
same contacts; load for 5k contacts <= 5 ms; at 1M overdue <= 20 ms and the
hint lookup <= 2 ms. A missed target is reported (MISS), never a failure.
Results: build/bench/model.json.

Options: --db PATH (measure this store, repeatable), --as-of DATE (for
--db stores: e.g. the end of bench.py's mailbox, 2024-06-28T16:00:00Z),
--tiers 10k,100k,1M, --runs N (default 15), --no-callgrind, --quick (10k and
100k, 7 runs).
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
DAY = 86400
SYNTH_VERSION = 3            # bump when the synthesis changes (cached stores are redone)
ME = "sam.seller@mycompany.example"
TIERS = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
TARGETS = {"overdue_100k_ms": 15.0, "ratio_100k_10k": 1.5, "load_5k_ms": 5.0,
           "overdue_1M_ms": 20.0, "hint_1M_ms": 2.0}


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def build_dir():
    return os.environ.get("KW_BUILD") or os.path.join(SRC, "build")


def keepwarm():
    return os.path.join(build_dir(), "keepwarm")


def kw_env():
    env = dict(os.environ, LC_ALL="C.UTF-8")
    env.pop("LANGUAGE", None)
    return env


# ---- synthesis ---------------------------------------------------------------

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def pack(pairs):
    """messages.addrs: (role byte, contact id LEB128) pairs, From first."""
    return b"".join(bytes([role]) + varint(cid) for role, cid in pairs)


WORDS = ["nord", "blau", "weser", "elbe", "atlas", "kupfer", "sonnen", "harbour", "penn", "severn",
         "falken", "keller", "lind", "stein", "berg", "rhein", "alpen", "bavaria", "hansa", "delta"]
TRADES = ["logistik", "metall", "tools", "design", "textil", "bau", "energy", "print", "systems",
          "feinmechanik", "consulting", "foods", "pharma", "media"]
TLDS = ["de", "com", "ch", "at", "co.uk", "fr", "nl", "io"]
FIRST = ["Anna", "Jürgen", "Laura", "David", "Sophie", "Felix", "Maria", "James", "Lea", "Jörg",
         "Ayşe", "Harry", "Bärbel", "Stefan", "Emma", "Lukas", "Mia", "Noah", "Olga", "Paul"]
LAST = ["Müller", "Schmidt", "Brown", "Evans", "Weiß", "Köhler", "Lehmann", "Taylor", "Richter",
        "Hartmann", "Smith", "Jones", "Braun", "Zimmermann", "Schäfer", "Wagner", "Becker"]
FREEMAIL = ["gmail.com", "gmx.de", "web.de", "outlook.com", "yahoo.com"]


def synthesise(path, messages, seed=1, now=None):
    """A seller's store with `messages` messages and ~5,800 addresses."""
    rng = random.Random(seed)
    now = now or (int(time.time()) // DAY - 1) * DAY
    span = 3 * 365 * DAY
    tmp = path + ".tmp"
    for p in (tmp, tmp + "-wal", tmp + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    # the schema comes from keepwarm itself (a read-write open creates it)
    subprocess.run([keepwarm(), "--db", tmp, "config", "default-cadence", "default"], check=True,
                   env=kw_env(), stdout=subprocess.DEVNULL)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    cur = db.cursor()
    cur.execute("INSERT INTO accounts(id, name) VALUES (1, 'bench')")
    contacts = {}

    def contact(email, name):
        if email not in contacts:
            cur.execute("INSERT INTO contacts(email, name, domain) VALUES (?, ?, ?)",
                        (email, name, email.split("@", 1)[1]))
            contacts[email] = cur.lastrowid
        return contacts[email]

    me = contact(ME, "Sam Seller")
    orgs = set()
    while len(orgs) < 600:
        orgs.add("%s-%s.%s" % (rng.choice(WORDS), rng.choice(TRADES), rng.choice(TLDS)))
    orgs = sorted(orgs)
    # who: (email, name, kind, weight)
    people = []
    for org in orgs:
        for _ in range(rng.choice([1, 1, 2, 3, 4, 6, 8])):
            f, l = rng.choice(FIRST), rng.choice(LAST)
            people.append(("%s.%s%d@%s" % (f.lower(), l.lower(), rng.randrange(100), org),
                           "%s %s" % (f, l), "customer"))
    for _ in range(400):
        f, l = rng.choice(FIRST), rng.choice(LAST)
        people.append(("%s.%s%d@%s" % (f.lower(), l.lower(), rng.randrange(1000), rng.choice(FREEMAIL)),
                       "%s %s" % (f, l), "customer"))
    for k in range(100):
        people.append(("colleague%d@mycompany.example" % k, "Colleague %d" % k, "colleague"))
    for k in range(150):
        people.append(("news%d@letters%d.example" % (k, k % 40), "Newsletter %d" % k, "list"))
    for k in range(150):
        people.append(("no-reply%d@notify%d.example" % (k, k % 30), None, "auto"))
    while len(people) < 5800:
        k = len(people)
        people.append(("oneoff%d@%s" % (k, rng.choice(orgs + FREEMAIL)), "One Off %d" % k, "oneoff"))
    ids = [contact(e, n) for e, n, _ in people]
    # message budget: a fixed share per kind, spread over the contacts of each
    # kind; one-off correspondents write once or twice whatever the mailbox size
    kinds = {"customer": 0.73, "colleague": 0.12, "list": 0.10, "auto": 0.05, "oneoff": 0.0}
    rows = []
    msg_id = 0
    for kind, share in kinds.items():
        members = [(i, p) for i, p in zip(ids, people) if p[2] == kind]
        budget = int(messages * share)
        per = max(1, budget // max(1, len(members))) if share else 2
        for cid, (email, name, _) in members:
            # each relationship has its own rhythm and its own silence at the end
            rhythm = rng.choice([7, 14, 21, 30, 45, 60, 91, 120])
            silence = rng.choice([0, 5, 20, 40, 90, 200, 400]) * DAY
            n = max(1, int(rng.gauss(per, per / 4)))
            t_end = now - silence - rng.randrange(DAY)
            step = (span - silence - rhythm * DAY // 4) / n
            for j in range(n):
                t = t_end - int(j * step) - rng.randrange(max(1, rhythm * DAY // 4))
                msg_id += 1
                flags, rcpt = 0, 1
                if kind == "list":
                    frm, to, flags = cid, [me], 1 | 2
                elif kind == "auto":
                    frm, to, flags = cid, [me], 4
                elif kind == "oneoff":
                    # they wrote; now and then you answered once
                    frm, to = (me, [cid]) if j == 1 and cid % 5 == 0 else (cid, [me])
                else:
                    inbound = j % 2 == 0
                    frm, to = (cid, [me]) if inbound else (me, [cid])
                    if rng.random() < 0.02:
                        rcpt = 30  # a broadcast
                addrs = pack([(1, frm)] + [(4, x) for x in to])
                rows.append((msg_id, msg_id, msg_id, "Subject %d" % msg_id, t, flags, rcpt, frm, addrs))
    rng.shuffle(rows)  # the store's row order is arrival order, not per contact
    rows.sort(key=lambda r: r[4])
    cur.executemany("INSERT INTO messages(id, account_id, identity_key, fingerprint, subject, date, "
                    "flags, n_recipients, from_contact, addrs) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i + 1,) + r[1:] for i, r in enumerate(rows)])
    db.commit()
    db.close()
    # the library derives interactions from the packed addresses (identity),
    # and its aggregates when it closes the store
    subprocess.run([keepwarm(), "--db", tmp, "identity", "add", "--account", "bench", ME], check=True,
                   env=kw_env(), stdout=subprocess.DEVNULL)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()
    for p in (tmp + "-wal", tmp + "-shm", tmp + ".checked"):
        if os.path.exists(p):
            os.unlink(p)
    os.replace(tmp, path)
    return len(rows)


def store_facts(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    facts = {"messages": db.execute("SELECT count(*) FROM messages").fetchone()[0],
             "interactions": db.execute("SELECT count(*) FROM interactions").fetchone()[0],
             "contacts": db.execute("SELECT count(*) FROM contacts").fetchone()[0],
             "size_mb": round(os.path.getsize(path) / 1e6, 1)}
    try:
        facts["kept_contacts"] = db.execute("SELECT count(*) FROM contact_agg").fetchone()[0]
        facts["kept_orgs"] = db.execute("SELECT count(*) FROM org_agg").fetchone()[0]
    except sqlite3.Error:
        pass
    db.close()
    return facts


# ---- measurements ----------------------------------------------------------------

def stats(values):
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "n": len(values)}


def wall(args, runs):
    """Whole-process wall times (ms) of keepwarm ARGS, after one warm-up."""
    env = kw_env()
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        r = subprocess.run([keepwarm()] + args, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        t = (time.perf_counter() - t0) * 1000
        if r.returncode != 0:
            raise RuntimeError("keepwarm %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                            r.stderr.decode(errors="replace")[-500:]))
        if k:
            times.append(t)
    return stats(times)


def callgrind(args):
    """Instructions of the whole process (callgrind), or None."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory(prefix="kwbench-cg-") as d:
        out = os.path.join(d, "cg.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            keepwarm()] + args, env=kw_env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            return None
        with open(out) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
    return None


def in_process(path, runs, as_of=None):
    exe = os.path.join(build_dir(), "bench", "bench_model")
    args = [exe, path, str(runs)]
    if as_of:
        args.append(str(as_of))
    r = subprocess.run(args, env=kw_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("bench_model: " + r.stderr[-500:])
    return json.loads(r.stdout)


def measure(name, path, runs, with_callgrind, as_of=None):
    log("== %s: %s" % (name, path))
    res = {"store": path, "facts": store_facts(path), "as_of": as_of}
    log("   %s" % res["facts"])
    when = ["--as-of", "@%d" % as_of] if as_of else []
    res["overdue_json_ms"] = wall(["--db", path, "overdue", "--format=json"] + when, runs)
    res["overdue_table_ms"] = wall(["--db", path, "overdue"] + when, runs)
    res["overdue_exact_ms"] = wall(["--db", path, "overdue", "--format=json", "--exact"] + when,
                                   max(3, runs // 3))
    res["version_ms"] = wall(["--version"], runs)  # process start-up alone
    res["in_process"] = in_process(path, runs, as_of)
    r = subprocess.run([keepwarm(), "--db", path, "overdue", "--format=tsv"] + when, env=kw_env(),
                       stdout=subprocess.PIPE, text=True)
    res["overdue_rows"] = max(0, len(r.stdout.splitlines()) - 1)
    if with_callgrind:
        for key, args in (("overdue_json_instructions", ["--format=json"]),
                          ("overdue_table_instructions", []),
                          ("overdue_exact_instructions", ["--format=json", "--exact"]),
                          ("version_instructions", None)):
            res[key] = callgrind(["--version"] if args is None
                                 else ["--db", path, "overdue"] + args + when)
    ip = res["in_process"]
    log("   %d rows; overdue --format=json %.1f ms (table %.1f ms, --exact %.1f ms, --version %.1f ms); "
        "load %.2f ms, list %.2f ms, hint %.3f ms%s" % (
            res["overdue_rows"], res["overdue_json_ms"]["median"], res["overdue_table_ms"]["median"],
            res["overdue_exact_ms"]["median"], res["version_ms"]["median"],
            ip["load_ms"]["median"], ip["list_ms"]["median"], ip["hint_lookup_ms"]["median"],
            "; %s instructions" % format(res["overdue_json_instructions"], ",")
            if res.get("overdue_json_instructions") else ""))
    return res


def verdicts(results):
    out = []

    def add(what, value, target, higher_is_worse=True):
        if value is None:
            return
        ok = value <= target if higher_is_worse else value >= target
        out.append({"what": what, "value": round(value, 3), "target": target,
                    "verdict": "ok" if ok else "MISS"})

    t = {k: v for k, v in results.items()}
    if "100k" in t:
        add("overdue whole command at 100k (ms)", t["100k"]["overdue_table_ms"]["median"],
            TARGETS["overdue_100k_ms"])
        add("overdue --format=json at 100k (ms)", t["100k"]["overdue_json_ms"]["median"],
            TARGETS["overdue_100k_ms"])
        add("model load, ~5.8k contacts (ms)", t["100k"]["in_process"]["load_ms"]["median"],
            TARGETS["load_5k_ms"])
    if "100k" in t and "10k" in t:
        add("overdue 100k / 10k, same contacts", t["100k"]["overdue_table_ms"]["median"] /
            t["10k"]["overdue_table_ms"]["median"], TARGETS["ratio_100k_10k"])
    if "1M" in t:
        add("overdue whole command at 1M (ms)", t["1M"]["overdue_table_ms"]["median"],
            TARGETS["overdue_1M_ms"])
        add("hint lookup at 1M (ms)", t["1M"]["in_process"]["hint_lookup_ms"]["median"],
            TARGETS["hint_1M_ms"])
    return out


def cached_store(cache, tier):
    """The synthesised store of a tier ("10k", "100k", "1M") in `cache`,
    made when missing (also used by bench_host.py)."""
    n = TIERS[tier]
    path = os.path.join(cache, "model-%s-v%d.db" % (tier, SYNTH_VERSION))
    # a store synthesised by another keepwarm schema is redone
    if os.path.exists(path):
        r = subprocess.run([keepwarm(), "--db", path, "config"], env=kw_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            os.unlink(path)
    if not os.path.exists(path):
        log("== synthesising %s (%d messages) into %s" % (tier, n, path))
        t0 = time.monotonic()
        got = synthesise(path, n)
        log("   %d messages in %.0f s" % (got, time.monotonic() - t0))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", action="append", default=[], help="measure this store (repeatable)")
    ap.add_argument("--as-of", help="for --db stores: the model's now (a date keepwarm reads)")
    ap.add_argument("--tiers", default="10k,100k,1M")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.tiers, a.runs = "10k,100k", 7
    if not os.access(keepwarm(), os.X_OK):
        log("bench-model: %s is missing: run 'make' first" % keepwarm())
        return 1
    cache = os.environ.get("BENCH_CACHE") or os.path.join(SRC, ".cache", "bench")
    os.makedirs(cache, exist_ok=True)
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
        for tier in [t for t in a.tiers.split(",") if t]:
            results[tier] = measure(tier, cached_store(cache, tier), a.runs, not a.no_callgrind)
    report = {"machine": os.uname().nodename, "runs": a.runs, "measured_under_load": True,
              "results": results, "targets": verdicts(results)}
    out_dir = os.path.join(build_dir(), "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(report, f, indent=2)
    log("")
    for v in report["targets"]:
        log("%-4s %-45s %10s  (target %s)" % (v["verdict"], v["what"], v["value"], v["target"]))
    log("results: %s" % os.path.join(out_dir, "model.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
