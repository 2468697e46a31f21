#!/usr/bin/env python3
"""Golden files for what the command prints, in English (LC_ALL=C) and in
German (LC_ALL=de_DE.UTF-8): the overdue table, TSV and JSON, `show` as text
and JSON, contacts, CSV (RFC 4180) and vCard exports, `config`; then, with
teammates' records in the store, `overdue --team` and `show` with the team's
touches.

The mailbox is tests/lib/gen_scenarios.py's, as of a fixed day, served by a
real Dovecot and synced through the real `keepwarm sync`; a few settings are
made through the commands (a name, a note, a snooze, an ignore, a cadence,
the default cadence). Every output is compared byte for byte with
tests/data/golden/LANG/NAME. The German locale is built with localedef into
a temporary LOCPATH when the system has none (no root needed); without the
locale sources the German half is skipped.

After a deliberate change of the output, regenerate with
    KW_GOLDEN_UPDATE=1 KW_BUILD=$PWD/build tests/integration/t-cli-golden.py
and read the diff of tests/data/golden/ before committing it."""

import calendar
import difflib
import os
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
    ("overdue.txt", ["overdue"]),
    ("overdue-all.tsv", ["overdue", "--all", "--format=tsv"]),
    ("overdue-all.json", ["overdue", "--all", "--format=json"]),
    ("overdue-by-person.txt", ["overdue", "--by", "person", "--limit", "4"]),
    ("show-org.txt", ["show", "takeover.example"]),
    ("show-person.json", ["show", "Gina Free <gina.free@gmail.com>", "--format=json"]),
    ("show-waiting.txt", ["show", "mailto:eva@waiting.example"]),
    ("contacts.txt", ["contacts"]),
    ("export.csv", ["export", "--format=csv"]),
    ("export.vcf", ["export", "--format=vcard"]),
    ("config.txt", ["config"]),
]

# After teammates' records arrive (as a pull stores them): the team's words.
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


def run_bytes(args, env):
    """keepwarm ARGS with the test's store: (exit code, stdout exactly as
    written — CRLF kept —, stderr)."""
    cmd = [kwtest.keepwarm_path(), "--db", kwtest.default_db()] + args
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

    for outputs in (OUTPUTS, TEAM_OUTPUTS):
        if outputs is TEAM_OUTPUTS:
            add_teammates(kwtest.default_db())
        for lang, env in (("C", {"LC_ALL": "C", "LANGUAGE": None}), ("de", de_env)):
            if env is None:
                kwtest.skip("no de_DE.UTF-8 locale and no localedef: German not checked",
                            2 * len(outputs))
                continue
            for name, args in outputs:
                if args[0] != "config":
                    args = args + ["--as-of", AS_OF_TEXT]
                rc, out, err = run_bytes(args, env)
                if not kwtest.is_(rc, 0, "%s: keepwarm %s" % (lang, " ".join(args)), err):
                    continue
                check(lang, name, out)
                if name.endswith((".csv", ".vcf")):
                    kwtest.ok(out and "\n" not in out.replace("\r\n", ""),
                              "%s/%s: every line ends in CRLF" % (lang, name))

    # errors speak the user's language too (the library's message stays English)
    if de_env:
        rc, out, err = kwtest.run_keepwarm(["show"], env=de_env)
        kwtest.is_(rc, 2, "de: show without a target is a usage error")
        kwtest.like(err, r"welcher Kontakt oder welche Organisation\?", "de: the usage error in German")
        kwtest.like(err, r"Siehe „keepwarm show --help“", "de: the hint in German")


if __name__ == "__main__":
    kwtest.main(test)
