#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A second sync with nothing new sends no FETCH at all (seen by a recording proxy,
--tls=none on 127.0.0.1), stores nothing and writes nothing: the database file is
byte for byte what it was (no write transaction, no checkpoint)."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def test():
    maildir, truth, box = generated_mailbox(messages=150, seed=3)
    db = kwtest.new_db()
    with Dovecot(maildir=maildir) as dv, RecordingProxy(dv.port) as px:
        args = kwtest.sync_args(dv, tls="none", port=px.port, ca=False, extra=["--progress=json"])
        rc, out, err = kwtest.run_keepwarm(args, password=dv.password, db=db)
        is_(rc, 0, "first sync (plaintext on loopback through the proxy) exits 0", show_run(rc, out, err))
        first = px.command_names()
        ok(any(c == "UID FETCH" for c in first), "the first sync fetched with UID FETCH", first)
        rc, before, _ = contacts_json(db)

        def db_bytes():
            # content and modification time: a checkpoint rewriting equal
            # bytes (a write within the same second) still moves the mtime
            with open(db, "rb") as f:
                return hashlib.sha256(f.read()).hexdigest(), os.stat(db).st_mtime_ns
        ok(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0,
           "after the first sync the log is checkpointed into the database")
        digest = db_bytes()

        px.clear()
        rc, out, err = kwtest.run_keepwarm(args, password=dv.password, db=db)
        is_(rc, 0, "second sync exits 0", show_run(rc, out, err))
        is_(db_bytes(), digest, "the second sync wrote nothing into the database")
        ok(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0,
           "and left nothing in its write-ahead log")
        names = px.command_names()
        fetches = [c["line"] for c in px.commands() if c["cmd"] and "FETCH" in c["cmd"]]
        is_(fetches, [], "no FETCH was sent when nothing is new", "commands: %s" % names)
        ok("LOGOUT" in names or not names, "the session ends with LOGOUT", names)
        ok(names and all(n in READ_ONLY_COMMANDS for n in names), "only read-only commands", names)
        per_folder = [c for c in names if c in ("STATUS", "EXAMINE", "SELECT")]
        ok(len(per_folder) <= 2 * 5, "at most a STATUS/EXAMINE or two per folder (%d)" % len(per_folder), names)
        note("commands of a nothing-new sync: %s" % " ".join(names))
        evs = parse_progress(out)
        is_(sum(e.get("new", 0) for e in evs if e.get("event") == "folder_done"), 0, "nothing stored")
        done_ev = [e for e in evs if e.get("event") == "done"]
        ok(done_ev and done_ev[-1].get("exit") == 0, "done event with exit 0", evs[-3:])
        rc, after, _ = contacts_json(db)
        is_(after, before, "contacts unchanged")


main(test)
