#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden files for what the command prints, in English (LC_ALL=C) and in
German (LC_ALL=de_DE.UTF-8): the overdue table (fitted to 100 columns, to a
narrow terminal, and --wide), TSV and JSON, `show` as text and JSON,
contacts, CSV (RFC 4180), Excel CSV and vCard exports, `config`, the day's
list (`today` in every format), logged touches, a tier, the weekly review;
and messages.txt, a transcript of the messages of issue 15 (targets by name,
"did you mean", rhythms and days as people type them, snooze, undo, settle,
tier, the routine's targets, config-file errors), each with its exit code
and both output streams.
German (LC_ALL=de_DE.UTF-8): the overdue table, TSV and JSON, `show` as text
and JSON, contacts, CSV (RFC 4180) and vCard exports, `config`; then, with
teammates' records in the store, `overdue --team` and `show` with the team's
touches.

The mailbox is tests/lib/gen_scenarios.py's, as of a fixed day, served by a
real Dovecot and synced through the real `keepwarm sync`; a few settings are
made through the commands (a name, a note, a snooze, an ignore, a cadence,
the default cadence, a tier, a call logged, a meeting planned in a calendar,
an item of the day skipped). Every output is compared byte for byte with
tests/data/golden/LANG/NAME. The German locale is built with localedef into
a temporary LOCPATH when the system has none (no root needed); without the
locale sources the German half is skipped.

After a deliberate change of the output, regenerate with
    KW_GOLDEN_UPDATE=1 KW_BUILD=$PWD/build tests/integration/t-cli-golden.py
and read the diff of tests/data/golden/ before committing it."""

import calendar
import difflib
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import gen_scenarios  # noqa: E402

GOLDEN = os.path.join(kwtest.SRC_DIR, "tests", "data", "golden")
AS_OF = calendar.timegm((2024, 6, 3, 0, 0, 0))  # a Monday
AS_OF_TEXT = "2024-06-03"

# name -> keepwarm arguments (--as-of is added to every model command)
OUTPUTS = [
    ("overdue.txt", ["overdue"]),           # piped, no $COLUMNS: 100 columns
    ("overdue-wide.txt", ["overdue", "--wide"]),
    ("overdue-narrow.txt", ["overdue"], {"COLUMNS": "60"}),
    ("overdue-all.tsv", ["overdue", "--all", "--format=tsv"]),
    ("overdue-all.json", ["overdue", "--all", "--format=json"]),
    ("overdue-by-person.txt", ["overdue", "--by", "person", "--limit", "4"]),
    ("show-org.txt", ["show", "takeover.example"]),
    ("show-person.json", ["show", "Gina Free <gina.free@gmail.com>", "--format=json"]),
    ("show-waiting.txt", ["show", "mailto:eva@waiting.example"]),
    ("contacts.txt", ["contacts"]),
    ("export.csv", ["export", "--format=csv"]),
    ("export.vcf", ["export", "--format=vcard"]),
    ("export-excel.csv", ["export", "--excel"]),
    ("config.txt", ["config"]),
]
# ... and after the daily routine's actions (a tier, a call logged, a meeting
# planned in a calendar, an item of the day skipped)
ROUTINE_OUTPUTS = [
    ("today.txt", ["today"]),
    ("today.tsv", ["today", "--format=tsv"]),
    ("today.json", ["today", "--format=json"]),
    ("touches.txt", ["touches", "waiting.example"]),
    ("show-touches.txt", ["show", "waiting.example"]),
    ("show-planned.json", ["show", "quarterly-b.example", "--format=json"]),
    ("overdue-tier-a.txt", ["overdue", "--all", "--tier", "A"]),
    ("review.txt", ["review", "--weeks", "3"]),
    ("config-routine.txt", ["config"]),
]

# After teammates' records arrive (as a pull stores them; after the routine's
# actions): the team's words.
TEAM_OUTPUTS = [
    ("overdue-team.txt", ["overdue", "--all", "--team"]),
    ("overdue-team.tsv", ["overdue", "--team", "--format=tsv"]),
    ("show-team.txt", ["show", "steady-cold.example"]),
]


def add_teammates(db):
    """Teammates' records as `keepwarm team pull` stores them: Jan talked to
    Ben at steady-cold.example 3 days ago (within its 14-day rhythm: ok
    thanks to the team), Kim called Dan at quarterly-b.example 2 days ago,
    Jan talked to Hugo at ooo.example 50 days ago (after the user's last
    exchange, but beyond the rhythm: still overdue)."""
    day = 86400
    con = sqlite3.connect(db)
    con.executemany("INSERT INTO team_members (member, display_name) VALUES (?, ?)",
                    [("jan", "Jan Weber"), ("kim", None)])
    rows = [("jan", "org", "steady-cold.example", "steady-cold.example", None, AS_OF - 3 * day + 36000, None, 0),
            ("jan", "person", "ben@steady-cold.example", "steady-cold.example", "ben@steady-cold.example",
             AS_OF - 3 * day + 36000, None, 0),
            ("kim", "touch", "call-1", "quarterly-b.example", "dan@quarterly-b.example", 0, "call",
             AS_OF - 2 * day + 50400),
            ("jan", "org", "ooo.example", "ooo.example", None, AS_OF - 50 * day + 36000, None, 0)]
    con.executemany("INSERT INTO team_records (member, kind, key, org, person, last_exchange, "
                    "touch_kind, touch_time, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ok')", rows)
    con.commit()
    con.close()


def run_bytes(args, env, db=None):
    """keepwarm ARGS with the test's store: (exit code, stdout exactly as
    written — CRLF kept —, stderr)."""
    cmd = [kwtest.keepwarm_path(), "--db", db or kwtest.default_db()] + args
    r = subprocess.run(cmd, env=kwtest.kw_env(env), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8", "replace")


def check(lang, name, got):
    path = os.path.join(GOLDEN, lang, name)
    if os.environ.get("KW_GOLDEN_UPDATE"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(got)
        kwtest.note("wrote %s" % path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            want = f.read()
    except OSError:
        kwtest.ok(False, "%s/%s: golden file exists" % (lang, name), path)
        return
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                        "golden/%s/%s" % (lang, name), "keepwarm", n=1))
    kwtest.ok(got == want, "%s/%s is byte for byte the golden file" % (lang, name), diff[:6000])


# The messages of issue 15, each run against a fresh copy of the store (so
# the actions do not change what the other outputs show).
TRANSCRIPT = [
    ["show", "whitfield"],                  # nobody by that name: exit 10
    ["show", "steady"],                     # several: "did you mean", exit 2
    ["show", "quartrly"],                   # a typo: near misses, exit 10
    ["show", "steady-cold.com"],            # another ending: exit 10, suggested
    ["show", "nobody@nowhere.example"],
    ["note", "eva waiting", "Call back about the price list"],  # a person by name
    ["note", "Stëady Cöld", "Accents are ignored"],  # accents typed where there are none
    ["cadence", "waiting", "1.5"],          # not whole days: a usage error
    ["cadence", "waiting", "fortnightlyish"],
    ["cadence", "waiting", "0"],
    ["cadence", "waiting", "monthly"],
    ["cadence", "waiting", "quarterly"],
    ["cadence", "waiting", "2 Wochen"],
    ["cadence", "waiting", "vierteljährlich"],
    ["cadence", "waiting", "auto"],
    ["snooze", "waiting", "2w", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "30.06.2024", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "next monday", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "nächsten Montag", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "in 2 Wochen", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "1.5w", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "someday", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "31.02.2024", "--as-of", AS_OF_TEXT],
    ["snooze", "waiting", "2024-05-01", "--as-of", AS_OF_TEXT],
    ["undo"],
    ["undo"],
    ["ignore", "Eva"],
    ["undo"],
    ["undo", "1"],                          # the first action: the setup's name
    ["undo", "999"],
    ["undo", "x"],
    ["settle", "question", "--as-of", AS_OF_TEXT],
    ["show", "question", "--as-of", AS_OF_TEXT],
    ["settle", "question", "off"],
    ["overdue", "--limit", "2", "--as-of", AS_OF_TEXT],
    # the daily routine's targets go through the same resolver; a tier is
    # undone like any setting
    ["tier", "steady", "A"],                # several: "did you mean", exit 2
    ["tier", "eva waiting", "B"],
    ["undo"],
    ["log", "whitfield", "call", "--date", "31.05.2024"],  # nobody by that name: exit 10
    ["log", "eva waiting", "call", "--date", "someday"],   # not a day: a usage error
    ["done", "quartrly", "--as-of", AS_OF_TEXT],           # a typo: near misses, exit 10
    # the config file's errors name key and line; a host that does not
    # resolve says so, with one piece of advice
    ["sync", "tls = off"],
    ["sync", "tls = implicit\nauth = kerberos"],
    ["sync", "tls = implicit\nport = 993"],
]


def transcript(env, work, lang):
    """Every TRANSCRIPT command on one copy of the store: "$ keepwarm ARGS",
    its stdout and stderr, and "[exit N]"."""
    db = os.path.join(work, "transcript-%s.db" % lang)
    shutil.copyfile(kwtest.default_db(), db)
    cfg = os.path.join(work, "config-%s" % lang)
    out = []
    for args in TRANSCRIPT:
        a = list(args)
        if a[0] == "sync":
            # an account on a host that cannot exist (RFC 2606 .invalid)
            with open(cfg, "w") as f:
                f.write("[account work]\nhost = imap.no-such-host.invalid\nuser = sam\n"
                        "password_cmd = echo secret\n%s\n" % a[1])
            a = ["sync", "--config", cfg]
            args = ["sync", "# " + args[1].replace("\n", "; ")]
        rc, o, e = run_bytes(a, dict(env, COLUMNS="100"), db=db)
        shown = " ".join(("'%s'" % x if " " in x and not x.startswith("#") else x) for x in args)
        out.append("$ keepwarm %s\n%s%s[exit %d]\n" % (shown, o, e.replace(cfg, "CONFIG"), rc))
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    return "\n".join(out)


def calendar_file(work):
    """A meeting on June 12 with the quarterly customer, planned as of June 2."""
    path = os.path.join(work, "calendar.ics")
    with open(path, "w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm//golden//EN\r\n"
                "BEGIN:VEVENT\r\nUID:review@golden.test\r\nDTSTART:20240612T090000Z\r\n"
                "ORGANIZER:mailto:%s\r\nATTENDEE:mailto:dan@quarterly-b.example\r\n"
                "SUMMARY:Yearly review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % gen_scenarios.ME)
    return path


def test():
    msgs, as_of = gen_scenarios.build(AS_OF)
    work = kwtest.tmpdir("kwgold-")
    maildir = gen_scenarios.write(os.path.join(work, "Maildir"), msgs)
    de_env = kwtest.german_locale(work)
    if de_env:
        de_env["LANGUAGE"] = None

    with kwtest.Dovecot(maildir=maildir) as dv:
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(gen_scenarios.ME,)),
                                           password=dv.password)
        if not kwtest.is_(rc, 0, "sync exits 0", err):
            kwtest.bail_out("sync failed")
    for args in (["name", "steady-ok.example", "Steady OK GmbH"],
                 ["note", "fred@proposal.example", "Send the offer again;", "call on Tuesday"],
                 ["snooze", "snooze.example", "2099-01-01"],
                 ["ignore", "ignore.example"],
                 ["cadence", "quarterly-b.example", "60"],
                 ["config", "default-cadence", "45"]):
        rc, out, err = kwtest.run_keepwarm(args)
        kwtest.is_(rc, 0, "keepwarm %s" % " ".join(args), err)
    compare(OUTPUTS, de_env, work)
    for args in (["tier", "steady-cold.example", "A"],
                 ["log", "waiting.example", "call", "--date", "2024-05-31", "--note", "Price list, by phone"],
                 ["import-ics", calendar_file(work), "--as-of", "2024-06-02"],
                 ["skip", "ooo.example", "--as-of", AS_OF_TEXT],
                 ["config", "workdays", "mon-thu"],
                 ["config", "daily-size", "4"]):
        rc, out, err = kwtest.run_keepwarm(args, env={"TZ": "UTC"})
        kwtest.is_(rc, 0, "keepwarm %s" % " ".join(args), err)
    compare(ROUTINE_OUTPUTS, de_env)
    # last, so that the outputs above stay the user's own view
    add_teammates(kwtest.default_db())
    compare(TEAM_OUTPUTS, de_env)

    # errors speak the user's language too (the library's message stays English)
    if de_env:
        rc, out, err = kwtest.run_keepwarm(["show"], env=de_env)
        kwtest.is_(rc, 2, "de: show without a target is a usage error")
        kwtest.like(err, r"welcher Kontakt oder welche Organisation\?", "de: the usage error in German")
        kwtest.like(err, r"Siehe „keepwarm show --help“", "de: the hint in German")
        # --help: the options and their argument names too, not only glib's headings
        rc, out, err = kwtest.run_keepwarm(["overdue", "--help"], env=de_env)
        kwtest.like(out, r"--limit=N +Höchstens N Zeilen zeigen", "de: overdue --help: the options in German")
        kwtest.like(out, r"--db=PFAD +Datenbankdatei", "de: ... and the options every command has")
        rc, out, err = kwtest.run_keepwarm(["sync", "--help"], env=de_env)
        kwtest.like(out, r"--user=BENUTZER +Anmeldename", "de: sync --help in German")
        rc, out, err = kwtest.run_keepwarm(["sync", "--host", "h.example"], env=de_env)
        kwtest.like(err, r"--host braucht --user", "de: the sync's usage errors in German")


def compare(outputs, de_env, work=None):
    """Every output in both languages; with `work`, the transcript too."""
    for lang, env in (("C", {"LC_ALL": "C", "LANGUAGE": None}), ("de", de_env)):
        if env is None:
            kwtest.skip("no de_DE.UTF-8 locale and no localedef: German not checked", len(outputs))
            continue
        env = dict(env, TZ="UTC")   # the day's list is of a local day
        for name, args, *extra in outputs:
            if args[0] != "config":
                args = args + ["--as-of", AS_OF_TEXT]
            rc, out, err = run_bytes(args, dict(env, **(extra[0] if extra else {})))
            if not kwtest.is_(rc, 0, "%s: keepwarm %s" % (lang, " ".join(args)), err):
                continue
            check(lang, name, out)
            if name.endswith((".csv", ".vcf")):
                kwtest.ok(out and "\n" not in out.replace("\r\n", ""),
                          "%s/%s: every line ends in CRLF" % (lang, name))
            if name.endswith(".txt") and "wide" not in name:
                width = int((extra[0] if extra else {}).get("COLUMNS", 100))
                kwtest.ok(all(len(l) <= width for l in out.splitlines()),
                          "%s/%s: no line wider than %d columns" % (lang, name, width))
        if work:
            check(lang, "messages.txt", transcript(env, work, lang))


if __name__ == "__main__":
    kwtest.main(test)
