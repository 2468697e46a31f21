#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The core under valgrind memcheck: every core unit test, and the real
command (sync against a Dovecot, then contacts/overdue/show/export), with
zero errors and zero definitely/indirectly lost bytes. GLib's and GMime's
one-time type registrations are "still reachable" and not counted."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

ME = "seller@mycompany.example"  # the --me of kwtest.sync_args()

VALGRIND = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--num-callers=30"]
# Anything GTK is not core; the plugin's view logic (no GTK: rows, progress
# lines through json-glib, messages) runs below as well.
CORE_UNITS = ["test-imap-fetch", "test-store", "test-header-parse", "test-classify",
              "test-sanitize", "test-relationship", "test-model", "test-words", "test-cli-common",
              "test-host-frame", "test-host", "test-today", "test-ics"]


def run_vg(argv, env=None, stdin=None, timeout=600):
    r = subprocess.run(VALGRIND + argv, env=env, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True, errors="replace")
    return r.returncode, r.stdout, r.stderr


def test():
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    build = kwtest.build_dir()
    for name in CORE_UNITS:
        path = os.path.join(build, "tests", name)
        if not os.path.exists(path):
            ok(False, "%s exists (run make check)" % name)
            continue
        # Speed measurements inside the tests are skipped under valgrind.
        env = dict(os.environ, KW_UNDER_VALGRIND="1")
        rc, out, err = run_vg([path], env=env)
        is_(rc, 0, "%s: no memcheck errors, no leaks, all tests pass" % name, err[-3000:], out[-1500:])

    view_model = os.path.join(build, "tests", "plugin", "test-view-model")
    if os.path.exists(view_model):
        rc, out, err = run_vg([view_model, "--tap"], env=dict(os.environ, KW_BUILD=os.path.abspath(build)))
        is_(rc, 0, "test-view-model: no memcheck errors, no leaks, all tests pass", err[-3000:], out[-1500:])
    else:
        ok(False, "test-view-model exists (run make check)")

    maildir, truth, box = generated_mailbox(messages=300, seed=11)
    db = kwtest.new_db()
    tmp = kwtest.tmpdir("kwvg-")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp, XDG_STATE_HOME=tmp)
    kw = kwtest.keepwarm_path()
    with Dovecot(maildir=maildir) as dv:
        for tls, port in (("implicit", dv.tls_port), ("starttls", dv.port)):
            r, w = os.pipe()
            os.write(w, dv.password.encode())
            os.close(w)
            argv = [kw, "--db", db] + kwtest.sync_args(dv, tls=tls, port=port,
                                                       extra=["--password-fd", str(r), "--progress=json"])
            p = subprocess.run(VALGRIND + argv, env=env, pass_fds=(r,), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=900, text=True, errors="replace")
            os.close(r)
            is_(p.returncode, 0, "sync over %s under valgrind: clean" % tls, p.stderr[-3000:])
    for args in (["contacts", "--all", "--format=json"],
                 ["overdue", "--as-of", truth["now"], "--all", "--format=json"],
                 ["overdue", "--as-of", truth["now"]],
                 ["overdue", "--as-of", truth["now"], "--exact", "--format=tsv"],
                 ["export", "--format=csv"], ["export", "--format=vcard"],
                 ["config", "default-cadence", "45"], ["config"]):
        rc, out, err = run_vg([kw, "--db", db] + args, env=env)
        is_(rc, 0, "keepwarm %s under valgrind: clean" % " ".join(args), err[-3000:])
    rc, out, err = run_vg([kw, "--db", db, "contacts", "--format=json"], env=env)
    import json
    people = [c["email"] for c in json.loads(out or "[]")]
    if people:
        rc, out, err = run_vg([kw, "--db", db, "show", people[0]], env=env)
        is_(rc, 0, "keepwarm show under valgrind: clean", err[-3000:])
    else:
        ok(False, "the synced store has people to show")

    # The Thunderbird add-on's native host: one process answering a session
    # of good and bad requests, reads and writes.
    from kwhost import frame, unframe
    # record-sent finds the account by its From address in the config file
    os.makedirs(os.path.join(tmp, "keepwarm"), exist_ok=True)
    with open(os.path.join(tmp, "keepwarm", "config"), "w") as f:
        f.write("[account test]\nhost = 127.0.0.1\nuser = %s\nme = %s\n" % (ME, ME))
    target = people[0] if people else "nobody@example.com"
    msgs = [frame(m) for m in (
        {"id": 1, "cmd": "status"}, {"id": 2, "cmd": "overdue", "as_of": truth["now"]},
        {"id": 3, "cmd": "overdue", "all": True, "by": "person", "lang": "de"},
        {"id": 4, "cmd": "for-sender", "address": "Someone <%s>" % target},
        {"id": 5, "cmd": "relationship", "target": target}, {"id": 6, "cmd": "timeline", "target": target},
        {"id": 7, "cmd": "action", "action": "snooze", "target": target, "days": 3},
        {"id": 8, "cmd": "action", "action": "note", "target": target, "text": "Renewal in März"},
        {"id": 9, "cmd": "action", "action": "cadence", "target": target, "days": 0},
        {"id": 10, "cmd": "today", "as_of": truth["now"][:10]},
        {"id": 11, "cmd": "record-sent", "message_id": "<vg-sent@kw.test>", "from": "Seller <%s>" % ME,
         "to": [target], "cc": "Other <other@example.com>", "subject": "Grüße"},
        {"id": 16, "cmd": "record-sent", "message_id": "x@y", "from": ME, "to": target, "subject": "a\r\nb: c"},
        {"id": 17, "cmd": "review", "weeks": 3, "as_of": truth["now"][:10]},
        {"id": 18, "cmd": "action", "action": "done", "target": target, "as_of": truth["now"][:10]},
        {"id": 19, "cmd": "action", "action": "skip", "target": "unknown.example"},
        {"id": 20, "cmd": "action", "action": "log-call", "target": target, "note": "Anruf"},
        {"id": 21, "cmd": "action", "action": "undo", "touch": 1},
        {"id": 22, "cmd": "action", "action": "tier", "target": target, "tier": "b"},
        {"id": 23, "cmd": "action", "action": "tier", "target": target, "tier": "Z"},
        {"id": 24, "cmd": "action", "action": "undo"},
        {"id": 25, "cmd": "today", "lang": "de"},
        {"id": 12, "cmd": "nope"},
        {"id": 13, "cmd": "action", "action": "name", "target": target, "name": "Kunde Eins"},
        {"id": 14, "cmd": "for-sender", "address": target, "lang": "en"},
        # loads the keyring module (libsecret), which finds no Secret Service here
        {"id": 15, "cmd": "set-account", "host": "127.0.0.1", "user": "u", "password": "p"})]
    msgs += [frame(b"{broken"), frame(b"[" * 20000 + b"]" * 20000), frame(b"x" * 70000), frame(b"")]
    p = subprocess.run(VALGRIND + [kw, "--db", db, "native-host"], input=b"".join(msgs),
                       env=dict(env, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    with open(os.path.join(tmp, "keepwarm", "host.log"), errors="replace") as f:
        log = f.read()
    is_(p.returncode, 0, "the native host under valgrind: clean", log[-3000:])
    is_(len(unframe(p.stdout)), len(msgs), "and it answered every message")

    # the daily routine: the day's list, touches, a calendar, marks, tiers, the review
    day = truth["now"][:10]
    cal = os.path.join(tmp, "calendar.ics")
    with open(cal, "w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:vg@test\r\n"
                "DTSTART;TZID=Europe/Berlin:%s090000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
                "ATTENDEE:MAILTO:%s\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                % (day.replace("-", "") + "T", (people or ["nobody@example.com"])[0].upper()))
    bad = os.path.join(tmp, "bad.ics")
    with open(bad, "w") as f:
        f.write("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2024XX01\r\nEND:VEVENT\r\n")
    env_day = dict(env, TZ="UTC")
    for args, want in ((["today", "--as-of", day], 0), (["today", "--as-of", day, "--format=json"], 0),
                       (["import-ics", cal, "--as-of", day], 0), (["import-ics", bad], 2),
                       (["log", people[0] if people else "x@y.example", "call", "--date", day,
                         "--note", "valgrind"], 0),
                       (["touches", people[0] if people else "x@y.example"], 0),
                       (["today", "--as-of", day, "--format=tsv"], 0),
                       (["tier", people[0] if people else "x@y.example", "A"], 0),
                       (["tier", "--suggest"], 0), (["overdue", "--tier", "A", "--all"], 0),
                       (["review", "--weeks", "2", "--as-of", day], 0), (["log", "--undo", "1"], 0),
                       (["config", "workdays", "mon-thu"], 0)):
        rc, out, err = run_vg([kw, "--db", db] + args, env=env_day)
        is_(rc, want, "keepwarm %s under valgrind: clean" % " ".join(args), err[-3000:])
    rc, out, err = run_vg([kw, "--db", db, "today", "--as-of", day, "--format=json"], env=env_day)
    items = json.loads(out)["items"] if rc == 0 else []
    if items:
        for cmd in ("skip", "done"):
            rc, out, err = run_vg([kw, "--db", db, cmd, items[-1]["key"], "--as-of", day], env=env_day)
            is_(rc, 0, "keepwarm %s under valgrind: clean" % cmd, err[-3000:])
    else:
        skip("no item on the day's list to mark", 2)


main(test)
