#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A second concurrent sync of the same account exits with "busy" (8) while the
first one keeps running and finishes normally; the lock frees itself when its
holder is killed with -9. The first sync is held in the middle by a proxy that
stops forwarding the server's answers once the client sent a UID FETCH."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def test():
    maildir, truth, box = generated_mailbox(messages=200, seed=10)
    db = kwtest.new_db()
    with Dovecot(maildir=maildir) as dv:
        with RecordingProxy(dv.port, pause_on=r"^\S+ UID FETCH") as px:
            slow = kwtest.sync_args(dv, tls="none", port=px.port, ca=False, extra=["--progress=json"])
            p1 = kwtest.start_keepwarm(slow, password=dv.password, db=db)
            ok(px.paused.wait(15), "first sync is held in the middle of fetching")
            t0 = time.monotonic()
            rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--progress=json"]),
                                               password=dv.password, db=db, timeout=30)
            is_(rc, EXIT["busy"], "a concurrent sync of the same account exits %d (busy)" % EXIT["busy"],
                show_run(rc, out, err))
            ok(time.monotonic() - t0 < 10, "busy is reported at once (%.1f s)" % (time.monotonic() - t0))
            ok(err.strip() != "", "with a message on stderr", err)
            note("busy: %s" % err.strip())
            evs = parse_progress(out)
            if evs:
                is_(evs[-1].get("event"), "error", "the JSON progress ends with an error event", evs[-2:])
                is_(evs[-1].get("exit"), EXIT["busy"], "whose exit is %d" % EXIT["busy"])
            rc_other, out_o, err_o = kwtest.run_keepwarm(
                kwtest.sync_args(dv, account="other-account"), password=dv.password, db=db, timeout=30)
            is_(rc_other, 0, "a different account in the same store can sync meanwhile",
                show_run(rc_other, out_o, err_o))
            ok(p1.poll() is None, "the first sync is still running")
            px.resume()
            try:
                out1, err1 = p1.communicate(timeout=60)
            except Exception:
                os.killpg(p1.pid, signal.SIGKILL)
                out1, err1 = p1.communicate()
            is_(p1.returncode, 0, "the first sync finishes normally once unblocked", show_run(p1.returncode, out1, err1))

        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv), password=dv.password, db=db)
        is_(rc, 0, "after it finished, the account syncs again", show_run(rc, out, err))

        # A holder killed with -9 does not leave a stale lock.
        db2 = kwtest.new_db()
        with RecordingProxy(dv.port, pause_on=r"^\S+ UID FETCH") as px:
            p = kwtest.start_keepwarm(kwtest.sync_args(dv, tls="none", port=px.port, ca=False),
                                      password=dv.password, db=db2)
            ok(px.paused.wait(15), "second holder is held in the middle of fetching")
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv), password=dv.password, db=db2, timeout=30)
        is_(rc, 0, "after kill -9 of the holder the lock is free", show_run(rc, out, err))
        rc, data, err = contacts_json(db2)
        probs = contacts_problems(data, truth)
        ok(not probs, "and the store is complete and correct", "\n".join(probs[:20]))


main(test)
