#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Protocol faults from the scripted fake IMAP server (reliability notes B1-B6,
B9-B16, B19-B20, C2-C4, C8, A16, A17).

Per case: `keepwarm sync` ends within a deadline with a categorised exit code
and a clean message; peak RSS stays below 100 MB; the store passes
integrity_check and no folder position is beyond what was stored; then a sync
against a healthy fake server resumes and the store equals an uninterrupted
run (nothing lost, nothing duplicated)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
import faultlib as fl
import kwtest

NET, AUTH, TLS, SERVER, STORE, PARTIAL = 5, 3, 4, 6, 7, 9
DEADLINE = 30          # seconds a faulty sync may take (timeout is 3 s)
FOLDERS = "INBOX:6,Sent:3"


def core(d):
    return {k: d[k] for k in ("messages", "contacts", "interactions", "message_addrs")}


# scenario, keepwarm --tls, accepted exit codes, what must follow
CASES = [
    ("drop-in-literal", "implicit", {NET}, "resume"),     # B1
    ("drop-in-literal", "none", {NET}, "resume"),         # B2 (libetpan spins here)
    ("drop-mid-line", "implicit", {NET}, "resume"),       # B3
    ("drop-mid-line", "none", {NET}, "resume"),
    ("rst", "implicit", {NET}, "resume"),                 # B4
    ("bye-mid-fetch", "implicit", {NET, SERVER}, "resume"),  # B5
    ("stall", "implicit", {NET}, "resume"),               # B6
    ("huge-literal", "implicit", {NET, SERVER, PARTIAL}, "resume"),   # B10
    ("literal-overflow", "implicit", {NET, SERVER, PARTIAL}, "resume"),  # B11
    ("crlf-less-line", "implicit", {NET, SERVER}, "resume"),  # B12
    ("crlf-less-line", "none", {NET, SERVER}, "resume"),
    ("unsolicited-fetch", "implicit", {0}, "equal"),      # B13
    ("partial-fetch", "implicit", {0, SERVER, PARTIAL}, "resume"),  # B14
    ("unsolicited-misc", "implicit", {0}, "equal"),       # B15
    ("nil-fields", "implicit", {0, SERVER, PARTIAL}, "resume"),  # B16
    ("throttle-limit", "implicit", {NET, SERVER, PARTIAL}, "resume"),  # B20
    ("throttle-unavailable", "implicit", {NET, SERVER, PARTIAL}, "resume"),
    ("no-uidnext", "implicit", {0}, "equal"),             # C3
    ("no-uidvalidity", "implicit", {0, PARTIAL}, "equal-core"),  # C2
]


def one_case(certs, work, ref, scn, tls, codes, follow):
    label = "%s/%s" % (scn, tls)
    db = kwtest.new_db()
    cert, key = certs["valid"]
    with FakeImap(scn, tls="plain" if tls == "none" else "implicit", cert=cert, key=key,
                  workdir=work, deadline=DEADLINE + 10, stream_seconds=15,
                  folders=FOLDERS, name="fake-" + label.replace("/", "-")) as srv:
        r = fl.fake_sync(srv, db, tls=tls, certs=certs, timeout=DEADLINE + 20)
        srv.wait(5)
        server_log = "\n".join(srv.lines()[-15:])
    ok(r.rc in codes, "%s: exit code %s in %s" % (label, r.rc, sorted(codes)), r.show(), server_log)
    ok(r.rc != -9 and r.seconds < DEADLINE, "%s: finished within %d s (%.1f s)" % (label, DEADLINE, r.seconds))
    if r.rc != 0:
        fl.stderr_is_clean_message(r, label)
        final = "done" if r.rc == PARTIAL else "error"
        ev = [e for e in r.events if e.get("event") in ("done", "error")]
        ok(len(ev) == 1 and ev[0].get("event") == final and ev[0].get("exit") == r.rc,
           "%s: one final JSON '%s' event with the exit code" % (label, final), r.out[-2000:])
    fl.peak_ok(r, label)
    if os.path.exists(db):
        is_(fl.integrity(db), "ok", "%s: integrity_check" % label)
        fl.check_cursor_invariant(db, fl.fake_uid_map(FOLDERS), label)
        ids = fl.message_ids(db)
        ok(all(i and "ghost" not in i for i in ids),
           "%s: no unrequested or empty message stored" % label, repr(ids))
    if follow == "equal":
        is_(fl.dump(db), ref, "%s: store equals an undisturbed sync" % label)
        return
    # resume against a healthy server (equal-core: the folder position may legitimately differ)
    with FakeImap("ok", tls="implicit", cert=cert, key=key, workdir=work, deadline=40,
                  folders=FOLDERS, name="fake-resume-" + label.replace("/", "-")) as srv:
        r2 = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=40)
    is_(r2.rc, 0, "%s: the next sync succeeds" % label, r2.show())
    if follow == "equal-core":
        is_(core(fl.dump(db)), core(ref), "%s: resumed store equals an undisturbed sync (content)" % label)
    else:
        is_(fl.dump(db), ref, "%s: resumed store equals an undisturbed sync" % label)


def trickle(certs, work):
    # B9: 50 bytes / 100 ms never trips the inactivity timeout: the sync completes.
    db = kwtest.new_db()
    with FakeImap("trickle", tls="plain", workdir=work, deadline=60, folders="INBOX:3") as srv:
        r = fl.fake_sync(srv, db, tls="none", certs=certs, timeout=60)
    is_(r.rc, 0, "trickle: a slow but live server completes", r.show())
    is_(sorted(fl.message_ids(db)) if os.path.exists(db) else None,
        ["INBOX.%d@fake.example" % i for i in (1, 2, 3)], "trickle: all messages stored")


def uid_edges(certs, work):
    # C4: UIDs near 2^32-1, sparse; a second sync fetches nothing and never
    # sends a UID set beyond 4294967295.
    cert, key = certs["valid"]
    for scn, top in (("high-uids", 4294967294), ("max-uid", 4294967295)):
        db = kwtest.new_db()
        for attempt in (1, 2):
            with FakeImap(scn, tls="implicit", cert=cert, key=key, workdir=work, deadline=30,
                          folders="INBOX:4", name="fake-%s-%d" % (scn, attempt)) as srv:
                r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=30)
                srv.wait(5)
                bad = [l for l in srv.lines() if l.startswith("# bad set")]
            is_(r.rc, 0, "%s run %d: exit 0" % (scn, attempt), r.show())
            ok(not bad, "%s run %d: no invalid UID set sent" % (scn, attempt), *bad)
            pos = fl.folder_positions(db) if os.path.exists(db) else {}
            is_(pos.get("INBOX", (None, None))[1], top, "%s run %d: position is the top UID" % (scn, attempt))
            n = len(fl.build_mailbox("INBOX:4", "high" if scn == "high-uids" else "max")["INBOX"])
            is_(len(fl.message_ids(db)) if os.path.exists(db) else 0, n,
                "%s run %d: every message stored once" % (scn, attempt))
            if attempt == 2:
                done = [e for e in r.events if e.get("event") == "done"]
                is_(done and done[0].get("new"), 0, "%s: second run adds nothing" % scn)


def auth_cases(certs, work):
    cert, key = certs["valid"]
    for scn, code in (("auth-failed", AUTH), ("o365-not-connected", AUTH)):   # A16, A17
        db = kwtest.new_db()
        with FakeImap(scn, tls="implicit", cert=cert, key=key, workdir=work, deadline=30) as srv:
            r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=30)
            srv.wait(5)
            logins = [l for l in srv.client_lines() if l.split(None, 2)[1:2] and
                      l.split(None, 2)[1].upper() in ("LOGIN", "AUTHENTICATE")]
            cmds = srv.client_lines()
        is_(r.rc, code, "%s: exit code %d (auth)" % (scn, code), r.show(), "\n".join(cmds))
        is_(len(logins), 1, "%s: exactly one login attempt (no retry)" % scn)
        ok(r.seconds < 15, "%s: no tight retry loop (%.1f s, %d commands)" % (scn, r.seconds, len(cmds)))
        if r.rc != 0:
            fl.stderr_is_clean_message(r, scn)


def greeting_cases(certs, work):
    cert, key = certs["valid"]
    for scn, codes in (("bad-greeting", {NET, SERVER}), ("bye-greeting", {NET, SERVER}),
                       ("stall-greeting", {NET})):                     # B19, B6
        db = kwtest.new_db()
        with FakeImap(scn, tls="implicit", cert=cert, key=key, workdir=work, deadline=DEADLINE + 5) as srv:
            r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=DEADLINE + 10)
            srv.wait(5)
            login = srv.saw_login()
        ok(r.rc in codes, "%s: exit %s in %s" % (scn, r.rc, sorted(codes)), r.show())
        ok(r.rc != -9 and r.seconds < DEADLINE, "%s: within %d s (%.1f)" % (scn, DEADLINE, r.seconds))
        ok(not login, "%s: no credentials sent" % scn)
        fl.stderr_is_clean_message(r, scn)


def empty_list(certs, work, ref_db):
    # C8: an empty LIST never prunes history.
    cert, key = certs["valid"]
    db = kwtest.new_db()
    os.makedirs(os.path.dirname(db), exist_ok=True)
    fl.copy_db(ref_db, db)
    before = fl.dump(db)
    with FakeImap("empty-list", tls="implicit", cert=cert, key=key, workdir=work, deadline=30) as srv:
        r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=30)
    ok(r.rc in (0, PARTIAL, SERVER), "empty LIST: exit %s is ok/partial/server" % r.rc, r.show())
    is_(core(fl.dump(db)), core(before), "empty LIST: no history pruned")
    is_(fl.integrity(db), "ok", "empty LIST: integrity_check")


def courier_forms(certs, work):
    # Courier-IMAP's forms (notes/other-servers.md): the INBOX. namespace with a
    # "." delimiter and no SPECIAL-USE (Sent found by its name), EXAMINE without
    # [UIDNEXT] (STATUS has it), header names quoted in the FETCH answers.
    spec = "INBOX:6,INBOX.Sent:3,INBOX.Archive:2"
    cert, key = certs["valid"]
    db = kwtest.new_db()
    for attempt in (1, 2):
        with FakeImap("courier", tls="implicit", cert=cert, key=key, workdir=work, deadline=30,
                      folders=spec, name="fake-courier-%d" % attempt) as srv:
            r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=30)
            srv.wait(5)
            fetches = [l for l in srv.client_lines() if "FETCH" in l.upper()]
        is_(r.rc, 0, "courier run %d: exit 0" % attempt, r.show())
        want = sorted(mid for f in fl.fake_uid_map(spec).values() for mid in f.values())
        is_(sorted(fl.message_ids(db)) if os.path.exists(db) else [], want,
            "courier run %d: every message stored once" % attempt)
        pos = fl.folder_positions(db) if os.path.exists(db) else {}
        is_({k: v[1] for k, v in pos.items()}, {"INBOX": 6, "INBOX.Sent": 3, "INBOX.Archive": 2},
            "courier run %d: each position is the folder's top UID (UIDNEXT from STATUS)" % attempt)
        fl.check_cursor_invariant(db, fl.fake_uid_map(spec), "courier run %d" % attempt)
        if attempt == 2:
            is_(fetches, [], "courier run 2: nothing new, no FETCH")
    c = fl._connect(db)
    try:
        special = c.execute("SELECT special FROM folders WHERE raw_name = 'INBOX.Sent'").fetchone()
        in_sent = c.execute("SELECT count(*) FROM messages WHERE flags & 32768").fetchone()[0]
    finally:
        c.close()
    is_(special and special[0], "Sent", "courier: INBOX.Sent is the Sent folder (by its name)")
    is_(in_sent, 3, "courier: its 3 messages count as sent")


def odd_names(certs, work):
    # Folder names the server has to escape (a quote, a backslash) or send as
    # a literal (8-bit: a server that does not use modified UTF-7), read
    # through LIST-STATUS (RFC 5819) and through pipelined STATUS. A name that
    # needs a literal gets no pipelined STATUS: it is opened directly (as a
    # LITERAL+ argument). Nothing is lost, nothing is fetched twice.
    spec = 'INBOX:3,Quo"te:2,Back\\slash:2,Caf\u00e9:2'
    want = sorted(mid for f in fl.fake_uid_map(spec).values() for mid in f.values())
    cert, key = certs["valid"]
    for scn in ("list-status", "ok"):
        db = kwtest.new_db()
        for attempt in (1, 2):
            with FakeImap(scn, tls="implicit", cert=cert, key=key, workdir=work, deadline=30, folders=spec,
                          name="fake-odd-%s-%d" % (scn, attempt)) as srv:
                r = fl.fake_sync(srv, db, tls="implicit", certs=certs, timeout=30)
                srv.wait(5)
                lines = srv.client_lines()
            label = "odd names/%s run %d" % (scn, attempt)
            is_(r.rc, 0, "%s: exit 0" % label, r.show(), "\n".join(lines))
            is_(sorted(fl.message_ids(db)) if os.path.exists(db) else [], want, "%s: every message once" % label)
            pos = fl.folder_positions(db) if os.path.exists(db) else {}
            is_(sorted((k, v[1]) for k, v in pos.items()),
                sorted([("INBOX", 3), ('Quo"te', 2), ("Back\\slash", 2), ("Caf\u00e9", 2)]),
                "%s: every folder at its top UID, names decoded" % label)
            if attempt == 2:
                cmds = [l.split(None, 2)[1].upper() for l in lines if len(l.split(None, 2)) > 1]
                fetches = [l for l in lines if "FETCH" in l.upper()]
                is_(fetches, [], "%s: nothing new, no FETCH" % label)
                if scn == "list-status":
                    ok(any("RETURN (" in l for l in lines) and "STATUS" not in cmds and "EXAMINE" not in cmds,
                       "%s: the statuses came with the LIST: no STATUS, no EXAMINE" % label, "\n".join(lines))
                else:
                    examined = [l for l in lines if " EXAMINE " in l.upper()]
                    ok(cmds.count("STATUS") == 3 and len(examined) == 1 and "+}" in examined[0],
                       "%s: STATUS for the three quotable names, the 8-bit one opened as a LITERAL+" % label,
                       "\n".join(lines))


def main():
    fl.require_keepwarm()
    certs = kwtest.test_certs()
    work = kwtest.tmpdir("kwfaults-")
    only = os.environ.get("KW_FAULT_ONLY")
    # the reference: an undisturbed sync of the same mailbox
    ref_db = kwtest.new_db()
    cert, key = certs["valid"]
    with FakeImap("ok", tls="implicit", cert=cert, key=key, workdir=work, deadline=30,
                  folders=FOLDERS, name="fake-reference") as srv:
        r = fl.fake_sync(srv, ref_db, tls="implicit", certs=certs, timeout=30)
    if not is_(r.rc, 0, "reference sync against the healthy fake server", r.show()):
        return
    ref = fl.dump(ref_db)
    is_(len(ref["messages"]), 9, "reference: 9 messages")
    for scn, tls, codes, follow in CASES:
        if only and only not in scn:
            continue
        one_case(certs, work, ref, scn, tls, codes, follow)
    if not only or "trickle" in only:
        trickle(certs, work)
    if not only or "uid" in only:
        uid_edges(certs, work)
    if not only or "auth" in only or "o365" in only:
        auth_cases(certs, work)
    if not only or "greeting" in only:
        greeting_cases(certs, work)
    if not only or "empty" in only:
        empty_list(certs, work, ref_db)
    if not only or "courier" in only:
        courier_forms(certs, work)
    if not only or "odd" in only:
        odd_names(certs, work)


kwtest.main(main)
