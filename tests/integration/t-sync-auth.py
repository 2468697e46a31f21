#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A wrong password gives the authentication exit code (3), one attempt only, a
one-line message, and the password is never echoed. An empty password: 3 or 2.
(Dovecot's anvil penalises repeated failures from 127.0.0.1: each later attempt
waits a few seconds, so keep the number of attempts small.)"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def test():
    maildir, truth, box = generated_mailbox(messages=60, seed=9)
    with Dovecot(maildir=maildir, password="right-Secret-42") as dv:
        for mode in ("implicit", "starttls"):
            before = dv.log_text().count("auth failed")
            wrong = "WRONG-canary-%s-9f3e" % mode
            t0 = time.monotonic()
            rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, tls=mode), password=wrong, timeout=40)
            is_(rc, EXIT["auth"], "%s: wrong password -> exit %d" % (mode, EXIT["auth"]), show_run(rc, out, err))
            ok(err.strip() and len(err.strip().splitlines()) <= 3, "%s: a short message on stderr" % mode, err)
            note("%s: %s (%.1f s)" % (mode, err.strip().splitlines()[0] if err.strip() else "", time.monotonic() - t0))
            ok(wrong not in out + err, "%s: the password is not echoed" % mode)
            time.sleep(0.3)
            failed = dv.log_text().count("auth failed") - before
            ok(failed <= 1, "%s: no automatic retry (%d failed login sessions logged)" % (mode, failed),
               dv.log_tail(lines=6))
            db = kwtest.default_db()
            if os.path.exists(db):
                with open(db, "rb") as f:
                    ok(wrong.encode() not in f.read(), "%s: the password is not in the store" % mode)
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv), password="", timeout=40)
        ok(rc in (EXIT["auth"], EXIT["usage"]), "empty password -> auth or usage error (got %s)" % rc,
           show_run(rc, out, err))


main(test)
