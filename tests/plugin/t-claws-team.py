#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The team in the real Claws Mail under Xvfb, with a real PostgreSQL team
server and a real Dovecot: the plugin's team settings ([KeepWarmTeam] in
clawsrc, the password in Claws' password store) make it run, after the
accounts' `keepwarm sync --no-team` workers, one `keepwarm team sync` child
per cycle. Checked: Sam's records reach the server (shared), a teammate's
records reach Sam's store (pulled) and the panel (ACME, overdue on Sam's own
mail, leaves the list because Jan talked to them yesterday; Globex keeps
waiting for Sam's answer but its tooltip says what Jan did), the status line
says the team was updated, a snooze in the panel reaches the server within
seconds, no PostgreSQL library is loaded into Claws, the
team password is in no argv or environment of any child and in no file but
Claws' own password store, and no child is left behind.
Fixtures (mailbox, Xvfb, Claws config, the test build of the plugin and its
hook) are t-claws-e2e.py's."""

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time

PLUGIN_TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(PLUGIN_TESTS, "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import pgtest  # noqa: E402
from teamtest import Team, server_rows, DB  # noqa: E402
from guitest import ProcWatcher, files_containing  # noqa: E402

_spec = importlib.util.spec_from_file_location("claws_e2e", os.path.join(PLUGIN_TESTS, "t-claws-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

DAY = 86400


def run():
    setup = e2e.Setup("kwclaws-team-")
    kw, so, artifacts, work, mail_pw, now = (setup.kw, setup.so, setup.artifacts, setup.work,
                                             setup.password, setup.now)
    why = pgtest.available()
    if why:
        skip_all(why)
    team_pw = "CANARY-team-" + secrets.token_hex(8)

    with Team() as t, kwtest.Dovecot(password=mail_pw) as dv:
        t.add_member("sam", team_pw, display="Sam Seller")
        t.add_member("jan", "pw-jan-" + secrets.token_hex(4), display="Jan Weber")
        # Jan's records, as his own keepwarm would have pushed them: he talked
        # to ACME (overdue on Sam's mail) and to Globex (waiting for Sam) yesterday
        t.pg.sql("INSERT INTO keepwarm.records (member, kind, key, org, person, last_exchange, state) "
                 "VALUES ('jan', 'org', 'acme.example', 'acme.example', NULL, %d, 'ok'),"
                 "('jan', 'person', 'jane@acme.example', 'acme.example', 'jane@acme.example', %d, 'ok'),"
                 "('jan', 'org', 'globex.example', 'globex.example', NULL, %d, 'ok')"
                 % (now - DAY, now - DAY, now - DAY - 3600), db=DB)
        for folder, raw, when in e2e.seller_mailbox(now):
            dv.append(folder, raw, date=when)
        session = e2e.ClawsSession(work, dv, mail_pw, so, kw, artifacts)
        ui, cfg, data, db, env = session.ui, session.cfg, session.data, session.db, session.env
        url = "postgresql://localhost:%d/%s" % (t.pg.port, DB)  # the server; the member apart
        with open(os.path.join(cfg, "clawsrc"), "a") as f:
            f.write("\n[KeepWarmTeam]\nurl=%s\nmember=sam\nshare=1\nca_file=%s\ntimeout=30\n"
                    % (url, t.pg.ca_file))
        with open(os.path.join(cfg, "passwordstorerc"), "a") as f:
            f.write("[plugin:KeepWarm]\nteam %s\n" % team_pw)
        scanner = ProcWatcher(lambda cmd: db.encode() in cmd and b"\0sync\0" in cmd)
        scanner.start()
        session.start()
        claws = session.claws

        try:
            s = ui.wait(lambda s: s["team"]["exchanges"] >= 1 and not s["team"]["running"], 120,
                        "the first team exchange")
            ok(s is not None, "after the first sync cycle the plugin exchanged with the team",
               session.output())
            s = s or {"rows": [], "team": {}, "status": None}
            is_(s["team"].get("last_exit"), 0, "`keepwarm team sync` exited 0")
            like(s.get("team_status") or "", r"^Keep warm: team updated (today|\d+ days? ago|yesterday) "
                 r"\(1 teammate\)$", "the status bar says when the team was updated")
            rows = {r["key"]: r for r in s["rows"]}
            note("panel rows: " + json.dumps(list(rows.values()), indent=1, ensure_ascii=False))
            ok("acme.example" not in rows, "ACME (overdue on Sam's mail) left the list: Jan talked to them "
               "yesterday")
            g = rows.get("globex.example", {})
            is_(g.get("state"), "awaiting-your-reply", "Globex still waits for Sam's answer")
            is_(g.get("team"), "Jan Weber: exchange yesterday", "Globex's tooltip line says what Jan did")
            # the plugin's store: pulled and judged like the command does
            r = subprocess.run([kw, "--db", db, "overdue", "--all", "--team", "--format=json"], env=env,
                               stdout=subprocess.PIPE, text=True)
            cli = {c["key"]: c for c in json.loads(r.stdout or "[]")}
            a = cli.get("acme.example", {})
            is_((a.get("state"), (a.get("why") or {}).get("own_state"), a.get("team_member")),
                ("ok", "overdue", "Jan Weber"), "`keepwarm overdue --team` on the plugin's store agrees")
            # shared: Sam's records are on the server, as Sam
            mine = server_rows(t.pg, "sam")
            ok(("sam", "org", "acme.example") in mine and ("sam", "person", "jane@acme.example") in mine,
               "Sam's records reached the team server", sorted(mine))
            is_(mine.get(("sam", "org", "acme.example"), {}).get("state"), "overdue",
                "Sam shares his own state of ACME")
            # no PostgreSQL inside Claws
            maps = open("/proc/%d/maps" % claws.p.pid).read() if claws.p.poll() is None else ""
            ok(maps and "libpq" not in maps and "keepwarm-sync" not in maps,
               "Claws has mapped neither libpq nor keepwarm's network module")
            time.sleep(0.3)
            ui.screenshot("claws-keepwarm-team.png")
            # a snooze in the panel reaches the team within seconds
            keys = [r["key"] for r in s["rows"]]
            if "globex.example" in keys:
                before = s["team"]["exchanges"]
                ui.cmd("snooze %d 7" % keys.index("globex.example"))
                s2 = ui.wait(lambda x: x["team"]["exchanges"] > before and not x["team"]["running"], 60,
                             "the exchange after a snooze")
                ok(s2 is not None, "the snooze triggered an exchange with the team")
                is_(server_rows(t.pg, "sam").get(("sam", "org", "globex.example"), {}).get("state"),
                    "snoozed", "the server has Globex snoozed")
            else:
                ok(False, "Globex is in the panel to be snoozed")
        finally:
            scanner.stop = True
            session.stop()

        seen = dict(scanner.seen)
        syncs = [c for c, _e in seen.values() if b"\0team\0" not in c]
        teams = [c for c, _e in seen.values() if b"\0team\0sync\0" in c]
        ok(syncs and all(b"\0--no-team\0" in c for c in syncs),
           "every account worker ran `keepwarm sync --no-team` (%d seen)" % len(syncs))
        ok(teams, "saw the `keepwarm team sync` child (%d)" % len(teams))
        if teams:
            argv = teams[0].split(b"\0")
            ok(b"--password-fd=3" in argv and b"--member" in argv and b"--share=yes" in argv
               and b"--config=/dev/null" in argv,
               "its argv: the password on fd 3, the member, share, none of the command's config",
               b" ".join(argv).decode(errors="replace"))
        leaks = [pid for pid, (c, e) in seen.items() for pw in (mail_pw, team_pw)
                 if pw.encode() in c or pw.encode() in e]
        is_(leaks, [], "no password in any child's /proc cmdline or environ")
        left = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if kw.encode() in open("/proc/%s/cmdline" % pid, "rb").read():
                        left.append(pid)
                except OSError:
                    pass
        is_(left, [], "no keepwarm child left running")
        hits = files_containing([cfg, data, session.dump, session.out, session.home], team_pw.encode())
        hits = [h for h in hits if not os.path.basename(h).startswith("passwordstorerc")]
        is_(hits, [], "the team password appears nowhere but Claws' password store")
        ok(team_pw not in t.pg.log_text(), "nor in the server's log")


if __name__ == "__main__":
    main(run)
