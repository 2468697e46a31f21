#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Byte-level faults between keepwarm and a real Dovecot (implicit TLS), from
tests/lib/faultproxy.py: FIN, RST, black hole and a flipped bit at several
points of the session, plus delay and trickle (reliability notes B1, B4, B6-B9,
B22).  Per case: categorised exit within a deadline, integrity_check, no folder
position beyond what was stored, and a resumed sync equals an undisturbed one."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
import faultlib as fl
import kwtest
from faultproxy import FaultProxy

FOLDERS = {"INBOX": 40, "Sent": 15, "Archive": 10}
DEADLINE = 30


def main():
    fl.require_keepwarm()
    work = kwtest.tmpdir("kwproxy-")
    maild = os.path.join(work, "Maildir")
    fl.write_maildir(maild, FOLDERS)
    with kwtest.Dovecot(maildir=maild) as dv:
        uidmap = fl.dovecot_uid_map(dv, FOLDERS)
        ref_db = kwtest.new_db()
        r = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", "7"]), password=dv.password, db=ref_db)
        if not is_(r.rc, 0, "reference sync", r.show()):
            return
        ref = fl.dump(ref_db)
        is_(len(ref["messages"]), sum(FOLDERS.values()), "reference: every message stored")

        def through_proxy(fault, arg, db, timeout=3):
            with FaultProxy(dv.tls_port, fault, arg, workdir=work, deadline=DEADLINE + 10,
                            name="proxy-%s-%d" % (fault, arg)) as px:
                args = kwtest.sync_args(dv, port=px.port, extra=[
                    "--chunk-size", "7", "--timeout", str(timeout), "--progress=json"])
                rr = fl.run(args, password=dv.password, db=db, timeout=DEADLINE + 20)
                px.wait(5)
                return rr, px.lines()

        # total server->client bytes of a full session
        db0 = kwtest.new_db()
        r, lines = through_proxy("none", 0, db0)
        is_(r.rc, 0, "through a transparent proxy: ok", r.show())
        total = 0
        for l in lines:
            m = re.search(r"relayed (\d+) bytes", l)
            if m:
                total = max(total, int(m.group(1)))
        ok(total > 5000, "session size measured (%d bytes)" % total)
        is_(fl.dump(db0), ref, "transparent proxy: same store as direct")

        cases = []
        for frac in (0.1, 0.45, 0.8, 0.97):
            n = int(total * frac)
            cases += [("cut", n, {5}), ("rst", n, {5}), ("corrupt", n, {4, 5, 6}), ("stall", n, {5})]
        cases += [("delay", 150, {0}), ("trickle", 4000, {0})]
        for fault, arg, codes in cases:
            label = "%s %d" % (fault, arg)
            db = kwtest.new_db()
            r, lines = through_proxy(fault, arg, db)
            ok(r.rc in codes, "%s: exit %s in %s" % (label, r.rc, sorted(codes)), r.show(), "\n".join(lines[-5:]))
            ok(r.rc != -9 and r.seconds < DEADLINE, "%s: within %d s (%.1f s)" % (label, DEADLINE, r.seconds))
            if r.rc != 0:
                fl.stderr_is_clean_message(r, label)
            fl.peak_ok(r, label)
            if os.path.exists(db):
                is_(fl.integrity(db), "ok", "%s: integrity_check" % label)
                fl.check_cursor_invariant(db, uidmap, label)
                # corrupt: nothing garbled was stored
                ids = set(fl.message_ids(db))
                ref_ids = set(m[2] for m in ref["messages"])
                ok(ids <= ref_ids, "%s: only genuine messages stored" % label, repr(sorted(ids - ref_ids)))
            r2 = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", "7"]), password=dv.password, db=db)
            is_(r2.rc, 0, "%s: the next sync succeeds" % label, r2.show())
            is_(fl.dump(db), ref, "%s: resumed store equals an undisturbed sync" % label)


kwtest.main(main)
