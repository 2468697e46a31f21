#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Incremental sync after APPENDs picks up exactly the new messages.

New mail in INBOX (a known customer and a new one), in Sent (to a known and to a
new address), a copy of one new message in Archive/2024 (counts once) and one in
Trash (never read). The second sync stores exactly the distinct new messages and
the contacts equal the generator's truth plus the appended messages."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import gen_mailbox as g


def sync(dv, db, label):
    rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--progress=json"]),
                                       password=dv.password, db=db)
    is_(rc, 0, "%s: sync exits 0" % label, show_run(rc, out, err))
    return parse_progress(out)


def new_count(evs):
    return sum(e.get("new", 0) for e in evs if e.get("event") == "folder_done")


def test():
    maildir, truth, box = generated_mailbox(messages=200, seed=2)
    db = kwtest.new_db()
    with Dovecot(maildir=maildir) as dv:
        evs = sync(dv, db, "first sync")
        _, info = g.expected_contacts(truth)
        is_(new_count(evs), info["messages"], "first sync stores every distinct message")

        me = box.people[box.me[0]]
        known = next(p for p in box.people.values() if p.kind == "customer")
        newcust = g.Person("neu.kunde@frisch-gmbh.de", "Nina Neukunde", "customer")
        newpeer = g.Person("first.contact@brand-new.co.uk", "Fiona First", "customer")
        trash_only = g.Person("appended.trash@nowhere-else.example", "Tom Trash", "spammer")
        base = box.now + 3600
        msgs = [
            g.Message("INBOX", known, [me], base + 100, "Neue Anfrage", "inc-1@" + known.email.split("@")[1]),
            g.Message("INBOX", newcust, [me], base + 200, "Erstkontakt", "inc-2@frisch-gmbh.de",
                      cc=[known]),
            g.Message("Sent", me, [newcust], base + 300, "Re: Erstkontakt", "inc-3@mycompany.example",
                      in_reply_to="inc-2@frisch-gmbh.de", references=["inc-2@frisch-gmbh.de"]),
            g.Message("Sent", me, [known, newpeer], base + 400, "Angebot", "inc-4@mycompany.example"),
            g.Message("INBOX", known, [me], base + 500, "Re: Angebot", "inc-5@" + known.email.split("@")[1],
                      in_reply_to="inc-4@mycompany.example"),
            g.Message("Trash", trash_only, [me], base + 600, "Werbung", "inc-6@nowhere-else.example"),
        ]
        msgs.append(msgs[1].copy_to("Archive/2024"))  # the same message filed twice
        for m in msgs:
            dv.append(m.folder, m.raw(), m.internaldate)
        for p in (newcust, newpeer, trash_only):
            truth["people"][p.email] = {"name": p.name, "kind": p.kind, "org": p.org,
                                        "expected_kind": g.EXPECTED_KIND[p.kind]}
        truth["messages"] += [m.truth() for m in msgs]
        distinct_new = 5

        evs = sync(dv, db, "incremental sync")
        is_(new_count(evs), distinct_new, "incremental sync stores exactly the new distinct messages",
            "folder_done events: %s" % [e for e in evs if e.get("event") == "folder_done"])
        per_folder = {e.get("folder"): e.get("total") for e in evs if e.get("event") == "folder"}
        ok(all((per_folder.get(f) or 0) == 0 for f in ("Archive", "Kunden/Müller")),
           "folders without new mail fetch nothing", per_folder)
        is_(per_folder.get("INBOX"), 3, "INBOX: only the 3 appended messages are fetched", per_folder)
        is_(per_folder.get("Sent"), 2, "Sent: only the 2 appended messages are fetched", per_folder)
        ok("Trash" not in per_folder, "Trash is not read", per_folder)

        rc, data, err = contacts_json(db)
        is_(rc, 0, "contacts exits 0", err)
        probs = contacts_problems(data, truth)
        ok(not probs, "contacts after the incremental sync equal the truth", "\n".join(probs[:40]))
        got = contacts_by_email(data)
        is_(got.get(newpeer.email, {}).get("outbound"), 1, "a brand-new recipient appears with one outbound")
        is_(got.get(newcust.email, {}).get("inbound"), 1, "a copy in a second folder counted once")
        ok(trash_only.email not in got, "an address only in Trash is not listed")

        evs = sync(dv, db, "third sync")
        is_(new_count(evs), 0, "a third sync finds nothing new")


main(test)
