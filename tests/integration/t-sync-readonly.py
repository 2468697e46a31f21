#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sync leaves the server exactly as it was: flags (incl. \\Seen and \\Recent),
message counts, UIDVALIDITY/UIDNEXT of every folder are unchanged, and the client
only sent read-only commands (EXAMINE, never SELECT/STORE/COPY/EXPUNGE/...), with
BODY.PEEK (never an item that sets \\Seen)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def test():
    maildir, truth, box = generated_mailbox(messages=200, seed=4)
    with Dovecot(maildir=maildir) as dv, RecordingProxy(dv.port) as px:
        before = dv.flags_snapshot()
        unseen = sum(1 for f in before.values() for fl in f["flags"].values() if "\\Seen" not in fl)
        ok(unseen > 0, "fixture: some messages are unseen (%d), so \\Seen changes would show" % unseen)
        args = kwtest.sync_args(dv, tls="none", port=px.port, ca=False, extra=["--progress=json"])
        rc, out, err = kwtest.run_keepwarm(args, password=dv.password)
        is_(rc, 0, "sync through the recording proxy exits 0", show_run(rc, out, err))
        after = dv.flags_snapshot()
        is_(sorted(after), sorted(before), "same folders after the sync")
        for folder in sorted(before):
            is_(after.get(folder), before[folder], "server state of %s unchanged" % folder)
        cmds = px.commands()
        names = [c["cmd"] for c in cmds if c["cmd"]]
        bad = sorted({n for n in names if n not in READ_ONLY_COMMANDS})
        is_(bad, [], "only read-only commands were sent", "all: %s" % sorted(set(names)))
        strict = {"CAPABILITY", "LOGIN", "AUTHENTICATE", "LIST", "EXAMINE", "STATUS", "UID FETCH", "LOGOUT"}
        note("commands used: %s (outside the minimal set: %s)" % (
            sorted(set(names)), sorted(set(names) - strict)))
        ok("SELECT" not in names, "never SELECT (EXAMINE only)")
        seen_setting = [c["line"] for c in cmds if c["cmd"] in ("FETCH", "UID FETCH") and fetch_sets_seen(c["line"])]
        is_(seen_setting, [], "every FETCH uses BODY.PEEK (nothing that sets \\Seen)")
        ok(any(c["cmd"] == "UID FETCH" for c in cmds), "headers were fetched by UID", sorted(set(names)))
        non_cmd = [c["line"] for c in cmds if not c["cmd"]]
        ok(len(non_cmd) <= 2, "no unparsed client lines beyond SASL continuations", non_cmd)


main(test)
