#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench-today`: how fast the daily routine answers, as a user sees it
(whole `keepwarm today` and `keepwarm import-ics` processes).

The store is the one `make bench` syncs from its 100k-message mailbox
(build/bench/store-100000.db, kept by bench.py), else the 100k store `make
bench-model` synthesises, or any store given with --db; it is copied first
(the copy is migrated, the original never touched).
Days are replayed with --as-of from the end of that mailbox on.

Reported (measured under load when others share the machine — the
instruction counts of callgrind are the stable figure):
  - `keepwarm today --as-of DAY`, the day's first call (the list is computed
    and kept) and later calls (the list is read back), whole process, median
    of N runs; callgrind instructions of both;
  - `keepwarm import-ics` of a generated calendar of 5,000 events (single
    meetings, weekly series with exceptions, cancelled ones, time zones) with
    the store's customers: the first import and a re-import (nothing changes).
Targets (issue 12): today <= 20 ms on the 100k store; import-ics of 5,000
events <= 1 s. A missed target is reported (MISS), never a failure.
Results: build/bench/today.json.

Options: --db PATH, --as-of DATE (default: the day after the newest message),
--runs N (default 15), --events N (default 5000), --no-callgrind, --quick.
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
os.environ["TZ"] = "UTC"   # the days replayed are UTC days (kw_env copies it)
import bench_model  # noqa: E402  (the helpers of bench-model: one way to run and measure)
from bench_model import build_dir, callgrind, keepwarm, kw_env, log, stats  # noqa: E402

DAY = 86400
TARGETS = {"today_ms": 20.0, "import_5000_s": 1.0}


def run(args, check=True):
    r = subprocess.run([keepwarm()] + args, env=kw_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("keepwarm %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr[-500:]))
    return r


def timed(args):
    t0 = time.perf_counter()
    run(args)
    return (time.perf_counter() - t0) * 1000


def day_text(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def customers(db, n):
    """Addresses the store knows that wrote and were written to (people a
    calendar would hold), the most active first."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = c.execute("SELECT c.email FROM contacts c JOIN interactions i ON i.contact_id = c.id "
                     "GROUP BY c.id HAVING sum(i.direction = 1) > 0 AND sum(i.direction = 2) > 0 "
                     "ORDER BY count(*) DESC LIMIT ?", (n,)).fetchall()
    c.close()
    return [r[0] for r in rows]


BERLIN = ("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
          "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
          "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
          "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
          "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def calendar(path, people, events, as_of, me):
    """A calendar of `events` VEVENTs over the two years before as_of and the
    90 days after: 80% single meetings, 15% weekly series of 4-10 weeks (a
    tenth with an exception moved or cancelled), 5% cancelled; times in UTC
    and in Europe/Berlin; attendees in any case, with and without mailto:."""
    rnd = random.Random(7)
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm//bench//EN\r\n", BERLIN]
    k = 0
    while k < events:
        start = as_of - rnd.randrange(720) * DAY + rnd.randrange(60) * DAY + rnd.choice((9, 10, 14, 16)) * 3600
        who = rnd.choice(people)
        attendee = who.upper() if rnd.random() < 0.2 else who
        mailto = "MAILTO:" if rnd.random() < 0.3 else "mailto:"
        uid = "bench-%d@kw.test" % k
        if rnd.random() < 0.5:
            dt = "DTSTART;TZID=Europe/Berlin:" + time.strftime("%Y%m%dT%H%M%S", time.gmtime(start + 3600))
        else:
            dt = "DTSTART:" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start))
        r = rnd.random()
        body = ["BEGIN:VEVENT", "UID:" + uid, dt, "DURATION:PT1H", "ORGANIZER:mailto:" + me,
                "ATTENDEE;PARTSTAT=ACCEPTED;CN=Customer:%s%s" % (mailto, attendee), "SUMMARY:Meeting %d" % k]
        if r < 0.05:
            body.append("STATUS:CANCELLED")
        elif r < 0.20:
            body.append("RRULE:FREQ=WEEKLY;COUNT=%d" % rnd.randint(4, 10))
        out.append("\r\n".join(body) + "\r\nEND:VEVENT\r\n")
        k += 1
        if 0.05 <= r < 0.20 and rnd.random() < 0.1 and k < events:
            # an exception of the series: the second occurrence moved a day, or cancelled
            rid = dt.replace("DTSTART", "RECURRENCE-ID")
            moved = dt.split(":", 1)
            out.append("BEGIN:VEVENT\r\nUID:%s\r\n%s\r\n%s\r\n%s\r\nEND:VEVENT\r\n" % (
                uid, rid, moved[0] + ":" + moved[1], "STATUS:CANCELLED" if rnd.random() < 0.5
                else "SUMMARY:Moved"))
            k += 1
    out.append("END:VCALENDAR\r\n")
    with open(path, "w") as f:
        f.write("".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="the store to measure (default: build/bench/store-100000.db)")
    ap.add_argument("--as-of", help="the first day replayed (default: the day after the newest message)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.runs = 5
    if not os.access(keepwarm(), os.X_OK):
        log("bench-today: %s is missing: run 'make' first" % keepwarm())
        return 1
    source = a.db or os.path.join(build_dir(), "bench", "store-100000.db")
    if not a.db and not os.path.exists(source):
        # no `make bench` run yet: the 100k store `make bench-model` synthesises
        cache = os.environ.get("BENCH_CACHE") or os.path.join(SRC, ".cache", "bench")
        os.makedirs(cache, exist_ok=True)
        source = os.path.join(cache, "model-100k-v%d.db" % bench_model.SYNTH_VERSION)
        log("bench-today: no synced 100k store (build/bench/store-100000.db: 'make bench' makes it); "
            "using the synthesised one, %s" % source)
        if not os.path.exists(source):
            bench_model.synthesise(source, bench_model.TIERS["100k"])
    if not os.path.exists(source):
        log("bench-today: no store at %s" % source)
        return 1
    work = tempfile.mkdtemp(prefix="kwbench-today-")
    try:
        db = os.path.join(work, "keepwarm.db")
        shutil.copyfile(source, db)
        run(["--db", db, "config", "workdays", "default"])  # migrates the copy, outside the measurements
        c = sqlite3.connect(db)
        newest, me = c.execute("SELECT max(m.date), (SELECT email FROM identities LIMIT 1) "
                               "FROM messages m").fetchone()
        n_msgs = c.execute("SELECT count(*) FROM messages").fetchone()[0]
        n_contacts = c.execute("SELECT count(*) FROM contacts").fetchone()[0]
        c.close()
        if a.as_of:
            first = int(subprocess.run(["date", "-u", "-d", a.as_of, "+%s"], stdout=subprocess.PIPE,
                                       text=True).stdout) // DAY * DAY
        else:
            first = (newest // DAY + 1) * DAY
        log("== %s: %d messages, %d contacts; days from %s" % (source, n_msgs, n_contacts, day_text(first)))
        res = {"store": source, "messages": n_msgs, "contacts": n_contacts}

        # the day's first call: a new day each time (the list is computed and kept)
        firsts = [timed(["--db", db, "today", "--as-of", day_text(first + k * DAY)])
                  for k in range(a.runs)]
        res["today_first_call_ms"] = stats(firsts)
        # later calls of one day: the list is read back, what was done seen again
        day = day_text(first)
        run(["--db", db, "today", "--as-of", day])
        res["today_ms"] = stats([timed(["--db", db, "today", "--as-of", day]) for _ in range(a.runs)])
        res["today_json_ms"] = stats([timed(["--db", db, "today", "--as-of", day, "--format=json"])
                                      for _ in range(a.runs)])
        r = run(["--db", db, "today", "--as-of", day, "--format=json"])
        res["items"] = len(json.loads(r.stdout)["items"])
        if not a.no_callgrind:
            res["today_instructions"] = callgrind(["--db", db, "today", "--as-of", day])
            res["today_first_call_instructions"] = callgrind(
                ["--db", db, "today", "--as-of", day_text(first + (a.runs + 1) * DAY)])
        log("   today: first call of a day %.1f ms, later calls %.1f ms (json %.1f ms), %d items%s" % (
            res["today_first_call_ms"]["median"], res["today_ms"]["median"],
            res["today_json_ms"]["median"], res["items"],
            "; %s / %s instructions" % (format(res["today_first_call_instructions"] or 0, ","),
                                        format(res["today_instructions"] or 0, ","))
            if not a.no_callgrind else ""))

        # a calendar of 5,000 events with the store's customers
        people = customers(db, 300)
        ics = os.path.join(work, "calendar.ics")
        calendar(ics, people, a.events, first, me or "me@example.com")
        t0 = time.perf_counter()
        r = run(["--db", db, "import-ics", ics, "--as-of", day])
        res["import_first_s"] = round(time.perf_counter() - t0, 3)
        res["import_first_report"] = r.stdout.strip()
        t0 = time.perf_counter()
        r = run(["--db", db, "import-ics", ics, "--as-of", day])
        res["import_again_s"] = round(time.perf_counter() - t0, 3)
        res["import_again_report"] = r.stdout.strip()
        res["calendar_bytes"] = os.path.getsize(ics)
        if not a.no_callgrind:
            res["import_again_instructions"] = callgrind(["--db", db, "import-ics", ics, "--as-of", day])
        log("   import-ics of %d events (%d KB): %.2f s, again %.2f s" % (
            a.events, res["calendar_bytes"] // 1024, res["import_first_s"], res["import_again_s"]))
        log("   %s" % res["import_first_report"])
        # today with the calendar's touches in the store
        res["today_after_calendar_ms"] = stats([timed(["--db", db, "today", "--as-of", day])
                                                for _ in range(a.runs)])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    verdicts = []
    for what, value, target in (("today, later calls (ms)", res["today_ms"]["median"], TARGETS["today_ms"]),
                                ("today, a day's first call (ms)", res["today_first_call_ms"]["median"],
                                 TARGETS["today_ms"]),
                                ("today with 5,000 calendar events (ms)",
                                 res["today_after_calendar_ms"]["median"], TARGETS["today_ms"]),
                                ("import-ics, %d events (s)" % a.events, res["import_first_s"],
                                 TARGETS["import_5000_s"]),
                                ("import-ics again (s)", res["import_again_s"], TARGETS["import_5000_s"])):
        verdicts.append({"what": what, "value": value, "target": target,
                         "verdict": "ok" if value <= target else "MISS"})
    report = {"machine": os.uname().nodename, "runs": a.runs, "measured_under_load": True,
              "results": res, "targets": verdicts}
    out_dir = os.path.join(build_dir(), "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "today.json"), "w") as f:
        json.dump(report, f, indent=2)
    log("")
    for v in verdicts:
        log("%-4s %-45s %10s  (target %s)" % (v["verdict"], v["what"], v["value"], v["target"]))
    log("results: %s" % os.path.join(out_dir, "today.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
