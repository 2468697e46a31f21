#!/usr/bin/env python3
"""Another IMAP server, as a new user would meet it: Cyrus IMAP 3.6 (Debian's
packages, fetched and unpacked by tests/lib/cyrus.py) gives exactly the contacts
Dovecot gives for the same generated mailbox — over plaintext, implicit TLS,
STARTTLS, and STARTTLS on a service that advertises LOGINDISABLED until TLS —
and incremental and nothing-new syncs behave as on Dovecot.

Known client bug (the `sync` branch fixes it; TAP TODO until then): against a
server that advertises LOGINDISABLED, --tls=none must not send LOGIN at all and
must say that the server wants TLS (today: LOGIN is sent, and the refusal is
reported as a wrong password)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import cyrus
import gen_mailbox as g

FIELDS = ("name", "org", "kind", "last_inbound", "last_outbound", "inbound", "outbound")


def contacts(db):
    rc, data, err = contacts_json(db)
    return rc, {c["email"]: tuple(c.get(f) for f in FIELDS) for c in data or []}, err


def sync(server, db, tls, port, label, ca=None, extra=()):
    args = ["sync", "--host", "localhost", "--port", str(port), "--tls=" + tls, "--user", server.user,
            "--account", "work", "--me", g.DEFAULT_ME, "--ca-file", ca or server.ca_file,
            "--progress=json"] + list(extra)
    rc, out, err = kwtest.run_keepwarm(args, password=server.password, db=db)
    done = [e for e in parse_progress(out) if e.get("event") in ("done", "error")]
    return rc, out, err, (done[0] if done else {})


def diff(a, b):
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            lines.append("%s: dovecot %s / cyrus %s" % (k, a.get(k), b.get(k)))
    return "\n".join(lines[:40])


def test():
    why = cyrus.unavailable()
    if why:
        skip_all("Cyrus IMAP cannot run here: " + why)
    box = g.generate(messages=150, seed=31)
    work = kwtest.tmpdir("kwcyrus-mail-")
    truth = box.write(work)

    # ---- the reference: Dovecot
    with Dovecot(maildir=os.path.join(work, "Maildir"), password="pw-cyrus-1") as dv:
        ref_db = kwtest.new_db()
        rc, out, err, done = sync(dv, ref_db, "implicit", dv.tls_port, "dovecot")
        is_(rc, 0, "Dovecot: sync exits 0", show_run(rc, out, err))
        rc, ref, err = contacts(ref_db)
        is_(rc, 0, "Dovecot: contacts", err)
        rc, data, err = contacts_json(ref_db)
        probs = contacts_problems(data, truth)
        ok(not probs, "Dovecot: contacts equal the generator's truth", "\n".join(probs[:30]))

    with cyrus.Cyrus(password="pw-cyrus-1") as cy:
        cy.append_many([(m.folder, m.raw(), m.internaldate) for m in box.messages])
        note("Cyrus %s on ports %d (plain/STARTTLS), %d (TLS), %d (LOGINDISABLED)"
             % (os.path.basename(cy.root), cy.port, cy.tls_port, cy.notls_port))

        dbs = {}
        for label, tls, port in (("plaintext", "none", cy.port), ("implicit TLS", "implicit", cy.tls_port),
                                 ("STARTTLS", "starttls", cy.port),
                                 ("STARTTLS after LOGINDISABLED", "starttls", cy.notls_port)):
            db = dbs[label] = kwtest.new_db()
            rc, out, err, done = sync(cy, db, tls, port, label)
            is_(rc, 0, "Cyrus, %s: sync exits 0" % label, show_run(rc, out, err))
            evs = parse_progress(out)
            read = [e.get("folder") for e in evs if e.get("event") == "folder"]
            ok("Trash" not in read and "Drafts" not in read and "Junk" not in read,
               "Cyrus, %s: Trash, Drafts and Junk are not read" % label, read)
            rc, got, err = contacts(db)
            ok(rc == 0 and got == ref, "Cyrus, %s: the same contacts as Dovecot (%d)" % (label, len(got)),
               diff(ref, got), err)

        # ---- incremental, then nothing new
        db = dbs["implicit TLS"]
        me = box.people[box.me[0]]
        known = next(p for p in box.people.values() if p.kind == "customer")
        fresh = g.Person("erste.anfrage@neukunde-cyrus.de", "Erna Erst", "customer")
        base = box.now + 3600
        new = [g.Message("INBOX", fresh, [me], base + 100, "Anfrage", "cy-1@neukunde-cyrus.de"),
               g.Message("Sent", me, [fresh], base + 200, "Re: Anfrage", "cy-2@mycompany.example",
                         in_reply_to="cy-1@neukunde-cyrus.de"),
               g.Message("INBOX", known, [me], base + 300, "Nachtrag", "cy-3@" + known.email.split("@")[1])]
        new.append(new[0].copy_to("Archive"))
        cy.append_many([(m.folder, m.raw(), m.internaldate) for m in new])
        rc, out, err, done = sync(cy, db, "implicit", cy.tls_port, "incremental")
        is_(rc, 0, "Cyrus: incremental sync exits 0", show_run(rc, out, err))
        is_((done.get("new"), done.get("fetched")), (3, 4),
            "Cyrus: incremental sync fetches the 4 new copies and stores the 3 distinct messages", done)
        rc, got, err = contacts(db)
        c = got.get(fresh.email)
        ok(c is not None and (c[5], c[6]) == (1, 1), "Cyrus: the new customer has one inbound and one outbound", c)
        rc, out, err, done = sync(cy, db, "implicit", cy.tls_port, "nothing new")
        is_((rc, done.get("new"), done.get("fetched")), (0, 0, 0), "Cyrus: a sync with nothing new fetches nothing",
            show_run(rc, out, err))

        # ---- plaintext against LOGINDISABLED: never a LOGIN, a clear message
        with RecordingProxy(cy.notls_port) as px:
            rc, out, err, done = sync(cy, kwtest.new_db(), "none", px.port, "logindisabled")
            ok(rc != 0, "Cyrus, LOGINDISABLED over plaintext: the sync fails", show_run(rc, out, err))
            sent = px.command_names()
            todo_ok("LOGIN" not in sent and "AUTHENTICATE" not in sent,
                    "Cyrus, LOGINDISABLED over plaintext: no credential is sent", "sync branch: LOGINDISABLED",
                    "commands: %s" % sent)
            todo_ok(rc == EXIT["tls"] and "TLS" in err and "password" not in err,
                    "Cyrus, LOGINDISABLED over plaintext: says the server wants TLS (exit 4)",
                    "sync branch: LOGINDISABLED", show_run(rc, out, err))


main(test)
