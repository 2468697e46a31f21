#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""kill -9 in the middle of a sync, then resume: the result equals an uninterrupted
run (contacts JSON identical, SQLite integrity_check ok). The interrupted run goes
through a slowing proxy (--tls=none on loopback) so it is still busy when killed,
with --chunk-size 50; it is killed twice, after some chunks were committed."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def run_and_kill(args, password, db, kill_after):
    """Start a sync, kill -9 it after `kill_after` committed-chunk progress events.
    Returns (killed_in_the_middle, events seen)."""
    p = kwtest.start_keepwarm(args, password=password, db=db)
    watchdog = threading.Timer(30, lambda: os.killpg(p.pid, signal.SIGKILL))
    watchdog.start()
    evs, chunks, killed = [], 0, False
    try:
        for line in p.stdout:
            evs += parse_progress(line)
            if evs and evs[-1].get("event") == "progress" and evs[-1].get("done", 0) > 0:
                chunks += 1
                if chunks >= kill_after:
                    os.killpg(p.pid, signal.SIGKILL)
                    killed = True
                    break
    finally:
        watchdog.cancel()
        p.wait()
        p.stdout.close()
        p.stderr.close()
    finished = any(e.get("event") in ("done", "error") for e in evs)
    return killed and not finished and p.returncode == -signal.SIGKILL, evs


def test():
    maildir, truth, box = generated_mailbox(messages=3000, seed=7)
    db_ref = kwtest.new_db("ref.db")
    db = kwtest.new_db("killed.db")
    with Dovecot(maildir=maildir) as dv:
        t0 = time.monotonic()
        rc, out, err = kwtest.run_keepwarm(
            kwtest.sync_args(dv, extra=["--chunk-size", "50", "--progress=json"]),
            password=dv.password, db=db_ref)
        is_(rc, 0, "uninterrupted sync exits 0", show_run(rc, out, err))
        note("uninterrupted sync of 3000 messages: %.2f s" % (time.monotonic() - t0))
        rc, ref, err = contacts_json(db_ref)
        probs = contacts_problems(ref, truth)
        ok(not probs, "uninterrupted run equals the truth", "\n".join(probs[:20]))

        with RecordingProxy(dv.port, delay=0.01) as px:
            args = kwtest.sync_args(dv, tls="none", port=px.port, ca=False,
                                    extra=["--chunk-size", "50", "--progress=json"])
            for n, kill_after in ((1, 4), (2, 9)):
                killed, evs = run_and_kill(args, dv.password, db, kill_after)
                ok(killed, "run %d: killed with -9 in the middle (after %d committed chunks)" % (n, kill_after),
                   "last events: %s" % evs[-3:])
                is_(sqlite_integrity(db), "ok", "run %d: integrity_check ok after kill -9" % n)
                rc, partial, err = contacts_json(db)
                is_(rc, 0, "run %d: the store is readable after kill -9" % n, err)
                got = sum(c.get("inbound", 0) + c.get("outbound", 0) for c in partial or [])
                full = sum(c.get("inbound", 0) + c.get("outbound", 0) for c in ref or [])
                ok(0 < got < full, "run %d: some but not all interactions were committed (%d of %d)" % (n, got, full))

        rc, out, err = kwtest.run_keepwarm(
            kwtest.sync_args(dv, extra=["--chunk-size", "50", "--progress=json"]),
            password=dv.password, db=db)
        is_(rc, 0, "resumed sync exits 0", show_run(rc, out, err))
        rc, resumed, err = contacts_json(db)
        is_(rc, 0, "contacts of the resumed store")
        is_(resumed, ref, "resumed run equals the uninterrupted run (contacts JSON identical)")
        is_(sqlite_integrity(db), "ok", "integrity_check ok after resuming")
        is_(sqlite_integrity(db_ref), "ok", "integrity_check ok of the uninterrupted store")
        rc, out, err = kwtest.run_keepwarm(
            kwtest.sync_args(dv, extra=["--progress=json"]), password=dv.password, db=db)
        is_(sum(e.get("new", 0) for e in parse_progress(out) if e.get("event") == "folder_done"), 0,
            "a sync after resuming finds nothing new (positions were stored)")


main(test)
