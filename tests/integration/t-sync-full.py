#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Full sync of a generated seller's mailbox equals what the generator wrote.

Trash/Drafts/Junk are not read, a message filed in two folders counts once, the
nested and the non-ASCII folder are read, RFC 2047 names are decoded. Then the
same with SPECIAL-USE turned off (folders recognised by their usual names)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import gen_mailbox

READ = {"INBOX", "Sent", "Archive", "Archive/2024", "Kunden/Müller"}


def check_sync(dv, truth, label):
    db = kwtest.new_db()
    rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--progress=json"]),
                                       password=dv.password, db=db)
    is_(rc, 0, "%s: sync exits 0" % label, show_run(rc, out, err))
    evs = parse_progress(out)
    kinds = [e.get("event") for e in evs]
    ok("connected" in kinds and "folders" in kinds, "%s: progress has connected and folders events" % label,
       "events: %s" % kinds)
    ok(kinds and kinds[-1] == "done", "%s: the last progress event is done" % label, "events: %s" % kinds)
    folders = {e.get("folder") for e in evs if e.get("event") == "folder"}
    is_(sorted(folders), sorted(READ), "%s: exactly the non-Trash/Drafts/Junk folders were read" % label)
    exp, info = gen_mailbox.expected_contacts(truth)
    done_ev = [e for e in evs if e.get("event") == "done"]
    if done_ev and "new" in done_ev[-1]:
        is_(done_ev[-1]["new"], info["messages"], "%s: distinct messages stored (a copy counts once)" % label)
    news = sum(e.get("new", 0) for e in evs if e.get("event") == "folder_done")
    is_(news, info["messages"], "%s: folder_done 'new' adds up to the distinct messages" % label)

    rc, data, err = contacts_json(db)
    is_(rc, 0, "%s: contacts exits 0" % label, err)
    probs = contacts_problems(data, truth)
    ok(not probs, "%s: contacts --all equals the generator's truth (%d contacts)" % (label, len(exp)),
       "\n".join(probs[:40]))
    got = contacts_by_email(data)
    for addr in info["excluded_only"]:
        ok(addr not in got, "%s: %s (only in Trash/Drafts/Junk) is not listed" % (label, addr))
    mueller = got.get("j.mueller@mueller-feinmechanik.de", {})
    ok(mueller.get("inbound", 0) >= 1, "%s: a contact filed in Kunden/Müller is read" % label, mueller)
    is_(got.get("b.koehler@mueller-feinmechanik.de", {}).get("name"), "Bärbel Köhler",
        "%s: ISO-8859-1 RFC 2047 name decoded" % label)
    is_(got.get("j.mueller@mueller-feinmechanik.de", {}).get("name"), "Jürgen Müller",
        "%s: UTF-8 RFC 2047 name decoded" % label)

    # Without --all: only people the user has written to.
    rc, data2, err = contacts_json(db, all_=False)
    is_(rc, 0, "%s: contacts (default) exits 0" % label, err)
    listed = contacts_by_email(data2)
    should = {e for e, c in exp.items() if c["outbound"] > 0 and c["kind"] == "person"}
    never = {e for e, c in exp.items() if c["outbound"] == 0}
    ok(should <= set(listed), "%s: default list has every person the user wrote to" % label,
       "missing: %s" % sorted(should - set(listed)))
    ok(not (never & set(listed)), "%s: default list has nobody the user never wrote to" % label,
       "listed: %s" % sorted(never & set(listed)))
    return db


def test():
    maildir, truth, box = generated_mailbox(messages=300, seed=1)
    with Dovecot(maildir=maildir) as dv:
        check_sync(dv, truth, "special-use")
        dv.restart(special_use=False)
        flags = dict(dv.folders())
        ok(not any(f.lower() in ("\\sent", "\\trash", "\\drafts", "\\junk")
                   for fl in flags.values() for f in fl), "fixture: no SPECIAL-USE flags advertised", flags)
        check_sync(dv, truth, "no special-use")


main(test)
