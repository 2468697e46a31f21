#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret hygiene (reliability notes A14, F2): a canary password never appears
in stdout/stderr, the store, its -wal/-shm, any file keepwarm writes under its
XDG directories, nor in /proc/PID/cmdline or /proc/PID/environ of the running
sync (caught alive against a fake server that stalls after LOGIN), nor of any
child it starts."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
import faultlib as fl
import kwtest

CANARY = "CANARY-s3cr3t-%d" % os.getpid()


def alive_check(certs, work):
    c, k = certs["valid"]
    db = kwtest.new_db()
    with FakeImap("stall-after-login", tls="implicit", cert=c, key=k, workdir=work, deadline=40) as srv:
        args = fl.fake_sync_args(srv.port, tls="implicit", ca=certs["ca"], timeout=20)
        p = kwtest.start_keepwarm(args, password=CANARY, db=db)
        end = time.monotonic() + 15
        while time.monotonic() < end and not srv.saw(r"^# stalling"):
            time.sleep(0.05)
        ok(srv.saw(r"^# stalling"), "the sync logged in and is waiting on a stalled FETCH")
        ok(p.poll() is None, "the sync process is alive")
        pids = [p.pid] + descendants(p.pid)
        leaks = []
        for pid in pids:
            for what in ("cmdline", "environ"):
                data = proc_read(pid, what)
                if data is not None and CANARY.encode() in data:
                    leaks.append("/proc/%d/%s" % (pid, what))
        ok(not leaks, "password not in /proc/PID/cmdline or environ of the sync (%d processes)" % len(pids),
           *leaks)
        cmd = (proc_read(p.pid, "cmdline") or b"").split(b"\0")
        ok(b"--password-fd" in cmd, "the password came through --password-fd", repr(cmd))
        # an open pipe is fine, the secret itself must not be in argv
        os.killpg(p.pid, 9)
        out, err = p.communicate()
    ok(CANARY not in (out or "") and CANARY not in (err or ""), "killed sync: not in stdout/stderr")


def dovecot_check(certs, work):
    maild = os.path.join(work, "Maildir")
    fl.write_maildir(maild, {"INBOX": 12, "Sent": 4})
    with kwtest.Dovecot(maildir=maild, password=CANARY) as dv:
        db = kwtest.new_db()
        env = {"G_MESSAGES_DEBUG": "all", "KW_DEBUG": "1"}
        for mode in ("json", "text"):
            r = fl.run(kwtest.sync_args(dv, extra=["--progress=" + mode, "--chunk-size", "5"]),
                       password=CANARY, db=db, env=env, timeout=60)
            is_(r.rc, 0, "dovecot sync (progress=%s) succeeds" % mode, r.show())
            ok(CANARY not in r.out and CANARY not in r.err, "progress=%s: not in stdout/stderr" % mode)
        # wrong password: the error message must not echo what was typed
        r = fl.run(kwtest.sync_args(dv), password=CANARY + "-wrong", db=db, timeout=60)
        is_(r.rc, 3, "wrong password: auth exit code", r.show())
        ok(CANARY not in r.out and CANARY not in r.err, "wrong password: not echoed")
        ok(dv.login_count() >= 2, "the server saw the logins (%d)" % dv.login_count())
    roots = [os.path.dirname(db), os.path.join(kwtest._session_tmp(), "xdg")]
    hits = files_containing(roots, CANARY)
    ok(not hits, "not in the store, -wal/-shm or any file under the XDG dirs", *hits)
    for suf in ("", "-wal", "-shm"):
        if os.path.exists(db + suf):
            with open(db + suf, "rb") as f:
                ok(CANARY.encode() not in f.read(), "not in %s" % os.path.basename(db + suf))


def main():
    fl.require_keepwarm()
    certs = kwtest.test_certs()
    work = kwtest.tmpdir("kwsecrets-")
    alive_check(certs, work)
    dovecot_check(certs, work)


kwtest.main(main)
