#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Self-test of the shared fixtures (tests/lib): the generator is deterministic, the
Dovecot fixture serves exactly what it wrote, and the checks the sync tests rely on
do notice violations (flags_snapshot sees \\Seen set by a FETCH and \\Recent cleared
by a SELECT; the recording proxy sees commands and literals; contacts_problems
reports a wrong count; no instance is left running after stop())."""
import copy
import imaplib
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import gen_mailbox as g


def test():
    a = g.generate(messages=120, seed=5)
    b = g.generate(messages=120, seed=5)
    is_([m.raw() for m in a.messages], [m.raw() for m in b.messages], "generator: same seed, same bytes")
    c = g.generate(messages=120, seed=6)
    ok([m.raw() for m in a.messages] != [m.raw() for m in c.messages], "generator: another seed differs")
    is_(len(a.messages), 120, "generator: exactly the requested number of messages")
    kinds = {m.kind for m in a.messages}
    for k in ("customer", "colleague", "newsletter", "notifier", "ooo", "cold_outreach", "broken_from",
              "trash", "draft", "junk"):
        ok(k in kinds, "generator: has a %s message" % k)
    ok(any(m.copy for m in a.messages), "generator: has a message filed twice")
    is_(g.mutf7_encode("Kunden/Müller"), "Kunden/M&APw-ller", "mUTF-7 encoding")
    is_(kwtest.mutf7_decode("Kunden/M&APw-ller"), "Kunden/Müller", "mUTF-7 decoding")

    maildir, truth, box = generated_mailbox(messages=120, seed=5)
    ok(os.path.isdir(os.path.join(maildir, ".Kunden.M&APw-ller", "cur")), "Maildir++ name of Kunden/Müller")
    m0 = box.messages[0]
    st = os.stat(os.path.join(maildir, m0.file))
    is_(int(st.st_mtime), m0.internaldate, "file mtime = INTERNALDATE")

    exp, info = g.expected_contacts(truth)
    fake = [dict(v) for v in exp.values()]
    is_(contacts_problems(fake, truth), [], "contacts_problems: the truth itself passes")
    bad = copy.deepcopy(fake)
    bad[0]["inbound"] += 1
    ok(contacts_problems(bad, truth), "contacts_problems: a wrong count is reported")
    ok(contacts_problems(fake[1:], truth), "contacts_problems: a missing contact is reported")
    extra = fake + [{"email": info["excluded_only"][0], "inbound": 1, "outbound": 0}]
    ok(contacts_problems(extra, truth), "contacts_problems: a Trash-only contact is reported")

    with Dovecot(maildir=maildir) as dv:
        pid = dv.pid
        snap = dv.flags_snapshot()
        got = {f: v["messages"] for f, v in snap.items()}
        want = {f: v["messages"] for f, v in truth["folders"].items()}
        is_(got, want, "Dovecot serves every folder with the generated counts")
        is_(dv.flags_snapshot(), snap, "flags_snapshot itself changes nothing")
        specials = {n: fl for n, fl in dv.folders()}
        for f, su in (("Sent", "\\Sent"), ("Trash", "\\Trash"), ("Drafts", "\\Drafts"), ("Junk", "\\Junk")):
            ok(su in specials.get(f, []), "SPECIAL-USE %s on %s" % (su, f))

        with RecordingProxy(dv.port) as px:
            cl = imaplib.IMAP4("127.0.0.1", px.port)
            cl.login(dv.user, dv.password)
            cl.select(imap_quote("Archive"))  # SELECT clears \Recent
            cl.uid("FETCH", "1:2", "(BODY[HEADER])")  # sets \Seen where unset
            cl.append(imap_quote("Sent"), "()", imaplib.Time2Internaldate(time.time()), b"Subject: x\r\n\r\nx\r\n")
            cl.logout()
            names = px.command_names()
            for n in ("LOGIN", "SELECT", "UID FETCH", "APPEND", "LOGOUT"):
                ok(n in names, "proxy recorded %s" % n, names)
            ok(any(fetch_sets_seen(c["line"]) for c in px.commands()), "fetch_sets_seen spots BODY[HEADER]")
            ok(not fetch_sets_seen("a UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM)])"), "BODY.PEEK is fine")
            ok(not any(n not in READ_ONLY_COMMANDS for n in ["EXAMINE", "UID FETCH"]), "READ_ONLY_COMMANDS")
        after = dv.flags_snapshot()
        is_(after["Archive"]["messages"], snap["Archive"]["messages"], "Archive: same message count")
        isnt(after["Archive"]["flags"], snap["Archive"]["flags"], "flags_snapshot notices a SELECT (\\Recent gone)")
        is_(after["Sent"]["messages"], snap["Sent"]["messages"] + 1, "flags_snapshot notices an APPEND")

        n0 = dv.login_count()
        dv.status("INBOX")
        time.sleep(0.2)
        is_(dv.login_count(), n0 + 1, "login_count counts a login")
        old = dv.uidvalidity("Kunden/Müller")
        dv.delete_and_recreate("Kunden/Müller")
        isnt(dv.uidvalidity("Kunden/Müller"), old, "delete_and_recreate changes UIDVALIDITY")
        wd = dv.workdir
    ok(not kwtest._pid_alive(pid), "the master process is gone after stop()")
    time.sleep(0.2)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _cmd(p).startswith(b"dovecot-" + dv.instance_name.encode())]
    is_(left, [], "no process of the instance is left")
    ok(os.path.isdir(wd), "the work dir stays until exit (removed by the atexit cleanup)")


def _cmd(p):
    try:
        with open("/proc/%s/cmdline" % p, "rb") as f:
            return f.read()
    except OSError:
        return b""


main(test)
