#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""kill -9 at every commit boundary (reliability notes E1, E2).

A sync against Dovecot with a small --chunk-size runs behind a trickling proxy
(so that commits are ~100 ms apart); after the k-th JSON "progress" event (one
per committed chunk) the process group gets SIGKILL.  Then: integrity_check,
the committed progress is in the store, no folder position is beyond what was
stored; a resumed sync makes the store equal to an uninterrupted run.
Loop k = 1..N, N = the number of commits of the uninterrupted run."""
import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
import faultlib as fl
import kwtest
from faultproxy import FaultProxy

FOLDERS = {"INBOX": 24, "Sent": 10, "Archive": 6}
CHUNK = 4


def main():
    fl.require_keepwarm()
    work = kwtest.tmpdir("kwcrash-")
    maild = os.path.join(work, "Maildir")
    fl.write_maildir(maild, FOLDERS)
    with kwtest.Dovecot(maildir=maild) as dv:
        uidmap = fl.dovecot_uid_map(dv, FOLDERS)
        ref_db = kwtest.new_db()
        r = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", str(CHUNK), "--progress=json"]),
                   password=dv.password, db=ref_db)
        if not is_(r.rc, 0, "uninterrupted reference sync", r.show()):
            return
        ref = fl.dump(ref_db)
        n_commits = len([e for e in r.events if e.get("event") == "progress"])
        ok(n_commits >= sum(FOLDERS.values()) // CHUNK, "reference made %d commits" % n_commits)

        landed = 0
        for k in range(1, n_commits + 1):
            db = kwtest.new_db()
            with FaultProxy(dv.tls_port, "trickle", 1500, workdir=work, deadline=60,
                            name="crash-proxy-%d" % k) as px:
                args = kwtest.sync_args(dv, port=px.port, extra=[
                    "--chunk-size", str(CHUNK), "--progress=json", "--timeout", "10"])
                p = kwtest.start_keepwarm(args, password=dv.password, db=db)
                seen, last_done, finished = 0, {}, False
                end = time.monotonic() + 45
                while time.monotonic() < end:
                    rl, _, _ = select.select([p.stdout], [], [], 0.5)
                    if not rl:
                        if p.poll() is not None:
                            break
                        continue
                    line = p.stdout.readline()
                    if not line:
                        break
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if ev.get("event") == "progress":
                        seen += 1
                        last_done[ev.get("folder")] = ev.get("done", 0)
                        if seen == k:
                            os.killpg(p.pid, signal.SIGKILL)
                            break
                    if ev.get("event") in ("done", "error"):
                        finished = True
                        break
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except OSError:
                        pass
                p.wait(10)
                p.stdout.close()
                p.stderr.close()
            killed = p.returncode == -signal.SIGKILL
            landed += killed
            ok(seen == k and killed and not finished, "k=%d: killed right after commit %d" % (k, k),
               "seen %d progress events, rc %s" % (seen, p.returncode))
            if not os.path.exists(db):
                ok(False, "k=%d: a store exists after a commit" % k)
                continue
            is_(fl.integrity(db), "ok", "k=%d: integrity_check after kill -9" % k)
            stored = len(fl.message_ids(db))
            ok(stored >= sum(last_done.values()),
               "k=%d: the committed chunks are in the store (%d >= %d)" % (k, stored, sum(last_done.values())))
            fl.check_cursor_invariant(db, uidmap, "k=%d" % k)
            r2 = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", str(CHUNK)]), password=dv.password, db=db)
            is_(r2.rc, 0, "k=%d: resume succeeds" % k, r2.show())
            is_(fl.dump(db), ref, "k=%d: resumed store equals the uninterrupted run" % k)
            is_(fl.integrity(db), "ok", "k=%d: integrity_check after resume" % k)
        ok(landed == n_commits, "every kill landed inside the sync (%d of %d)" % (landed, n_commits))


kwtest.main(main)
