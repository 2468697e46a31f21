#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A UIDVALIDITY change makes the sync rescan that folder without duplicating
anything: (1) Archive/2024 deleted and re-created over IMAP with the same messages,
(2) INBOX given a new UIDVALIDITY with the very same files (index removed)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def sync(dv, db, label):
    rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--progress=json"]),
                                       password=dv.password, db=db)
    is_(rc, 0, "%s: sync exits 0" % label, show_run(rc, out, err))
    return parse_progress(out)


def folder_total(evs, folder):
    t = [e.get("total") for e in evs if e.get("event") == "folder" and e.get("folder") == folder]
    return t[-1] if t else None


def test():
    maildir, truth, box = generated_mailbox(messages=250, seed=6)
    db = kwtest.new_db()
    with Dovecot(maildir=maildir) as dv:
        sync(dv, db, "first")
        rc, first, err = contacts_json(db)
        probs = contacts_problems(first, truth)
        ok(not probs, "first sync equals the truth", "\n".join(probs[:20]))

        for folder, how in (("Archive/2024", "delete_and_recreate"), ("INBOX", "reset_uidvalidity")):
            count = dv.status(folder)["MESSAGES"]
            old = dv.uidvalidity(folder)
            getattr(dv, how)(folder)
            new = dv.uidvalidity(folder)
            ok(new != old, "fixture: %s has a new UIDVALIDITY (%d -> %d) via %s" % (folder, old, new, how))
            is_(dv.status(folder)["MESSAGES"], count, "fixture: %s still holds %d messages" % (folder, count))
            evs = sync(dv, db, "after %s of %s" % (how, folder))
            is_(folder_total(evs, folder), count, "%s is rescanned (all %d messages fetched)" % (folder, count),
                [e for e in evs if e.get("folder") == folder])
            is_(sum(e.get("new", 0) for e in evs if e.get("event") == "folder_done"), 0,
                "the rescan stores no new message")
            rc, data, err = contacts_json(db)
            is_(data, first, "contacts identical after the rescan of %s (no duplicates)" % folder)
            evs = sync(dv, db, "again after %s" % folder)
            is_(folder_total(evs, folder) or 0, 0, "the next sync does not rescan %s again" % folder)


main(test)
