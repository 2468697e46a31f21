#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-host-today — the daily routine through the native host (what the
Thunderbird add-on's toolbar badge, popup and space show), without
Thunderbird, against a store synced from a real Dovecot:

1. status.features says today, review, record-sent and every action.
2. `today` is `keepwarm today --format=json` (the one builder) plus each
   item's how_text; the words in English and German per request.
3. done, skip, log-call, log-meeting, tier, undo: each goes through the
   library and the CLI sees the result at once (`keepwarm today`, `show`);
   done/skip answer the day's list as it is now; undo takes back a tier and
   a logged call.
4. `review` is `keepwarm review --format=json`.
5. `record-sent` ticks the item at once; the account is the configured one
   (by From, or the only one); given the saved copy's header block (as the
   add-on sends it), a later sync of the Sent folder holding that copy stores
   nothing twice; without one, the fields make the header.
6. Errors: unknown target, a target not on the day's list, bad tier, bad
   dates and sizes, header injection, a From that is not the user's,
   no account, a busy store (another writer holds the lock past the busy
   timeout: "store", saying so; the same request succeeds afterwards), nothing synced (no store is created).
"""
import json
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
from kwhost import cli_json, err_code, host_call, host_request, seller_synced

ME = "seller@mycompany.example"
ACTIONS = ["snooze", "unsnooze", "ignore", "unignore", "cadence", "note", "name",
           "done", "skip", "log-call", "log-meeting", "tier", "undo"]


def result(a, what):
    ok(a.get("ok"), what, a)
    return a.get("result") or {}


def item(today, key):
    return ([i for i in today.get("items", []) if i["key"] == key] or [{}])[0]


def without_how_text(today):
    t = dict(today)
    t["items"] = [{k: v for k, v in i.items() if k != "how_text"} for i in today.get("items", [])]
    return t


def test_status(env):
    st = result(host_request("status", env=env), "status")
    is_(st.get("features"), {"today": True, "review": True, "record_sent": True, "actions": ACTIONS},
        "status.features: today, review, record-sent and every action")


def test_today(env, db, de_env):
    t = result(host_request("today", env=env), "today answers ok")
    cli = cli_json(["today"], db) or {}
    is_(without_how_text(t), cli, "today is `keepwarm today --format=json` (plus how_text)")
    keys = [i["key"] for i in t.get("items", [])]
    for k in ("globex.example", "acme.example", "bob.builder@gmail.com"):
        ok(k in keys, "Today lists %s" % k, keys)
    is_(item(t, "globex.example").get("slot"), "owed", "the reply owed to Globex is on the list")
    is_(t.get("done"), 0, "nothing done yet")
    like(t.get("progress"), r"^Today: 0 of %d done · about \d+ minutes left$" % t.get("size", -1),
         "the progress line from the wording module")
    is_(sorted(set(i["how_text"] for i in t.get("items", []))), [""], "how_text is empty while not done")
    is_(result(host_request("today", env=env), "today again").get("items"), t.get("items"),
        "the day's list is kept: the same items on a second look")
    if de_env:
        d = result(host_request("today", env=de_env, lang="de"), "today lang de")
        like(d.get("progress"), r"^Heute: 0 von \d+ erledigt", "lang 'de': the progress line in German")
        is_(item(d, "globex.example").get("slot_text"), "Antwort offen", "and why it is listed")
        is_(item(d, "acme.example").get("state_text"), "überfällig", "and the state")
    else:
        skip("no German catalogue", 3)
    return t


def test_actions(env, db, de_env, t):
    keys = [i["key"] for i in t.get("items", [])]
    # done: marked, the day's list answered as it is now, the CLI sees it.
    a = result(host_request("action", env=env, action="done", target="acme.example"), "done acme.example")
    after = a.get("today", {})
    is_((item(after, "acme.example").get("done"), item(after, "acme.example").get("how"),
         item(after, "acme.example").get("how_text")), (True, "other", "done"),
        "done: the answer's list has ACME done")
    like(after.get("progress"), r"^Today: 1 of %d done" % len(keys), "and the progress line counts it")
    is_(item(cli_json(["today"], db) or {}, "acme.example").get("how"), "other", "`keepwarm today` sees it")
    # skip, through a person of the organisation? no: Globex by a name the resolver knows
    a = result(host_request("action", env=de_env or env, action="skip", target="hank@globex.example",
                            lang="de" if de_env else "en"), "skip hank@globex.example")
    g = item(a.get("today", {}), "globex.example")
    is_(g.get("how"), "skipped", "skip by a person's address marks their organisation's item")
    if de_env:
        is_(g.get("how_text"), "übersprungen", "how_text in German")
    # log-call on Bob: ticks as a call; undo of the touch takes it back.
    a = result(host_request("action", env=env, action="log-call", target="bob.builder@gmail.com",
                            note="about the quote"), "log-call Bob")
    touch = a.get("touch")
    ok(isinstance(touch, int) and touch > 0, "log-call answers the touch's id", a)
    is_((a.get("kind"), a.get("planned")), ("call", False), "a call, now (not planned)")
    b = item(result(host_request("today", env=env), "today after the call"), "bob.builder@gmail.com")
    is_((b.get("done"), b.get("how"), b.get("how_text")), (True, "call", "called"), "the call ticks Bob's item")
    cli_t = cli_json(["touches", "bob.builder@gmail.com"], db) or []
    is_([(x["id"], x["kind"], x["note"]) for x in cli_t], [(touch, "call", "about the quote")],
        "`keepwarm touches` lists the call with its note")
    a = result(host_request("action", env=env, action="undo", touch=touch), "undo the call")
    is_((a.get("touch") or {}).get("id"), touch, "undo touch: the call is removed")
    is_(item(result(host_request("today", env=env), "today"), "bob.builder@gmail.com").get("done"), False,
        "and Bob's item is open again")
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    is_(c.execute("SELECT COUNT(*) FROM touches WHERE id = ?", (touch,)).fetchone()[0], 0,
        "the store holds the call no more")
    c.close()
    is_(cli_json(["touches", "bob.builder@gmail.com"], db), [], "`keepwarm touches`: none left")
    # log-meeting planned for later: a planned touch
    tomorrow = time.strftime("%Y-%m-%dT10:00:00Z", time.gmtime(time.time() + 86400 * 2))
    a = result(host_request("action", env=env, action="log-meeting", target="acme.example", when=tomorrow),
               "log-meeting ACME in two days")
    is_((a.get("kind"), a.get("planned")), ("meeting", True), "a meeting, planned")
    result(host_request("action", env=env, action="undo", touch=a.get("touch")), "undo the meeting")
    # tier and undo (the action log)
    a = result(host_request("action", env=env, action="tier", target="acme.example", tier="a"), "tier ACME a")
    is_(a.get("tier"), "A", "tier answers A")
    is_((cli_json(["show", "acme.example"], db) or {}).get("tier"), "A", "`keepwarm show` says tier A")
    a = result(host_request("action", env=env, action="undo"), "undo (the last action)")
    is_(((a.get("undone") or {}).get("kind"), (a.get("undone") or {}).get("target")), ("tier", "acme.example"),
        "undo answers what it undid: ACME's tier")
    is_((cli_json(["show", "acme.example"], db) or {}).get("tier"), None, "`keepwarm show`: no tier again")
    # Errors
    for params, code, what in (
            ({"action": "done", "target": "unknown.example"}, "not-found", "done of an unknown target"),
            ({"action": "done", "target": "initech.example"}, "not-found", "done of one not on the list"),
            ({"action": "skip", "target": "acme.example", "as_of": "someday"}, "bad-request", "skip as_of someday"),
            ({"action": "log-call", "target": "unknown.example"}, "not-found", "log-call of an unknown target"),
            ({"action": "log-call", "target": "acme.example", "when": "yesteryear"}, "bad-request",
             "log-call when 'yesteryear'"),
            ({"action": "log-meeting", "target": "acme.example", "note": "x" * 4001}, "bad-request",
             "a 4001-byte note"),
            ({"action": "tier", "target": "acme.example", "tier": "Z"}, "bad-request", "tier Z"),
            ({"action": "tier", "target": "acme.example"}, "bad-request", "tier without a tier"),
            ({"action": "tier", "target": "unknown.example", "tier": "B"}, "not-found", "tier of an unknown target"),
            ({"action": "undo", "touch": 999999}, "not-found", "undo of no such touch"),
            ({"action": "undo", "action_id": 1, "touch": 1}, "bad-request", "undo with action_id and touch"),
            ({"action": "undo", "action_id": 999999}, "not-found", "undo of no such action"),
            ({"action": "done"}, "bad-request", "done without a target")):
        a = host_request("action", env=env, **params)
        is_(err_code(a), code, "%s: %s" % (what, code), a.get("error"))
    a = host_request("action", env=env, action="tier", target="acme.example", tier="Z")
    like((a.get("error") or {}).get("message"), r"A, B, C or none, not 'Z'", "the bad tier is named")
    a = host_request("action", env=env, action="done", target="unknown.example")
    like((a.get("error") or {}).get("message"), r"unknown\.example", "the unknown target is named")
    for params, what in (({"size": 0}, "size 0"), ({"size": 51}, "size 51"), ({"as_of": "soon-ish"}, "as_of soon-ish")):
        is_(err_code(host_request("today", env=env, **params)), "bad-request", "today %s: bad-request" % what)


def test_review(env, db):
    r = result(host_request("review", env=env), "review answers ok")
    is_(r, cli_json(["review"], db), "review is `keepwarm review --format=json`")
    is_(len(r.get("weeks", [])), 4, "four weeks by default")
    ok(r.get("weeks") and r["weeks"][-1]["done"] >= 1 and r["weeks"][-1]["skipped"] >= 1,
       "this week counts what was done and skipped", (r.get("weeks") or [{}])[-1])
    r = result(host_request("review", env=env, weeks=2), "review weeks 2")
    is_(r, cli_json(["review", "--weeks", "2"], db), "weeks 2: the command's too")
    is_(err_code(host_request("review", env=env, weeks=0)), "bad-request", "review weeks 0: bad-request")


def sent_message(to, msgid, when):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    return ("From: Seller <%s>\r\nTo: %s\r\nSubject: Checking in\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
            "\r\nHello.\r\n" % (ME, to, date, msgid))


def test_record_sent(env, db, dv, root):
    cfg_dir = os.path.join(env["XDG_CONFIG_HOME"], "keepwarm")
    bob = "bob.builder@gmail.com"
    sent_at = time.time() - 5
    copy = sent_message(bob, "kw-tb-sent-1@mycompany.example", sent_at)
    # As the add-on sends it: the saved copy's header block, and the fields.
    send = dict(message_id="kw-tb-sent-1@mycompany.example", to=['"Bob Builder" <%s>' % bob],
                cc=[], subject="Checking in", headers=copy.split("\r\n\r\n")[0] + "\r\n",
                **{"from": "Seller <%s>" % ME})
    # No account set up: the host does not guess.
    is_(err_code(host_request("record-sent", env=env, **send)), "not-configured",
        "record-sent with no account configured: not-configured")
    is_(err_code(host_request("record-sent", env=env, account="nope", **send)), "not-configured",
        "record-sent for an account that is not set up: not-configured")
    os.makedirs(cfg_dir, exist_ok=True)
    with open(os.path.join(cfg_dir, "config"), "w") as f:
        f.write("[account other]\nhost = 127.0.0.1\nuser = someone@else.example\n\n"
                "[account test]\nhost = 127.0.0.1\nuser = %s\nme = %s\n" % (dv.user, ME))
    # Errors before anything is written
    fields = {k: v for k, v in send.items() if k != "headers"}
    for params, code, what in (
            (dict(fields, subject="hi\r\nBcc: x@evil.example"), "bad-request", "a line break in the subject"),
            (dict(fields, to=["bob@x.example\nX: y"]), "bad-request", "a line break in 'to'"),
            (dict(fields, date="Mon, 1 Jan 2024\r\nX: y"), "bad-request", "a line break in 'date'"),
            (dict(fields, message_id="<>"), "bad-request", "an empty message id"),
            ({k: v for k, v in send.items() if k != "from"}, "bad-request", "no 'from'"),
            (dict(fields, **{"from": "someone@else.example"}), "usage", "from an address that is not the user's"),
            (dict(send, headers=copy.split("\r\n\r\n")[0].replace(ME, "someone@else.example")), "usage",
             "headers from an address that is not the user's")):
        is_(err_code(host_request("record-sent", env=env, **params)), code, "record-sent %s: %s" % (what, code))
    is_(item(cli_json(["today"], db) or {}, "bob.builder@gmail.com").get("done"), False, "Bob's item is still open")
    a = result(host_request("record-sent", env=env, **send), "record-sent to Bob")
    is_((a.get("recorded"), a.get("account"), a.get("message_id")),
        (True, "test", "kw-tb-sent-1@mycompany.example"), "recorded for account 'test' (its me = From)")
    b = item(result(host_request("today", env=env), "today after the send"), bob)
    is_((b.get("done"), b.get("how"), b.get("how_text")), (True, "mail", "wrote"),
        "Today ticks at once: Bob's item done by mail")
    is_(item(cli_json(["today"], db) or {}, bob).get("how"), "mail", "`keepwarm today` sees it too")
    def stored(msgid):
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        n = c.execute("SELECT COUNT(*) FROM messages WHERE message_id = ?", (msgid,)).fetchone()[0]
        c.close()
        return n
    is_(stored("kw-tb-sent-1@mycompany.example"), 1, "the message is stored")
    a = result(host_request("record-sent", env=env, **send), "record-sent again")
    is_(stored("kw-tb-sent-1@mycompany.example"), 1, "the same message twice is stored once")
    # The sync then finds the copy in the Sent folder: nothing twice.
    sent_dir = os.path.join(root, "Maildir", ".Sent", "new")
    os.makedirs(sent_dir, exist_ok=True)
    with open(os.path.join(sent_dir, "%d.kwsent.host" % int(time.time())), "w") as f:
        f.write(copy)
    rc, out, err = run_keepwarm(kwtest.sync_args(dv, me=(ME,)), password=dv.password, db=db)
    is_(rc, 0, "sync after the send", show_run(rc, out, err))
    is_(stored("kw-tb-sent-1@mycompany.example"), 1, "after the sync read the Sent folder's copy, it is stored once")
    # The only account is taken when From names none.
    with open(os.path.join(cfg_dir, "config"), "w") as f:
        f.write("[account test]\nhost = 127.0.0.1\nuser = %s\n" % dv.user)
    a = result(host_request("record-sent", env=env, **dict(fields, message_id="<kw-tb-sent-2@mycompany.example>",
                                                           date="Mon, 2 Mar 2026 10:00:00 +0100")),
               "record-sent with one account, from the fields (no saved copy)")
    is_((a.get("account"), a.get("message_id")), ("test", "kw-tb-sent-2@mycompany.example"),
        "the only account is taken; the id without its <>")
    is_(stored("kw-tb-sent-2@mycompany.example"), 1, "stored")


def test_busy(env, db):
    """Another writer holds the store's write lock longer than the busy timeout."""
    ready, release = threading.Event(), threading.Event()

    def holder():
        c = sqlite3.connect(db, timeout=30, isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        ready.set()
        release.wait(60)
        c.execute("ROLLBACK")
        c.close()
    th = threading.Thread(target=holder)
    th.start()
    ready.wait(30)
    try:
        a = host_request("action", env=env, action="tier", target="acme.example", tier="B")
        is_(err_code(a), "store", "tier while another writer holds the store past the busy timeout: store",
            a.get("error"))
        like((a.get("error") or {}).get("message"), r"locked by another program",
             "with a message that says the store is locked")
    finally:
        release.set()
        th.join(60)
    a = host_request("action", env=env, action="tier", target="acme.example", tier="B")
    ok(a.get("ok"), "once it is free, the same request succeeds", a)
    is_((cli_json(["show", "acme.example"], db) or {}).get("tier"), "B", "and the CLI sees tier B")
    host_request("action", env=env, action="undo")
    is_(sqlite_integrity(db), "ok", "the store passes integrity_check")


def test_not_synced(env):
    empty = kwtest.new_db()
    answers, rc, err = host_call([{"id": 1, "cmd": "today"}, {"id": 2, "cmd": "review"},
                                  {"id": 3, "cmd": "action", "action": "done", "target": "acme.example"}],
                                 env=env, argv=[kwtest.keepwarm_path(), "--db", empty, "native-host"])
    is_([err_code(a) for a in answers], ["not-synced"] * 3, "no store yet: today, review, done answer not-synced")
    ok(not os.path.exists(empty), "and the host created no store")


def run():
    env = kwtest.kw_env()
    db = os.path.join(env["XDG_DATA_HOME"], "keepwarm", "keepwarm.db")
    de_env = None
    if os.path.exists(os.path.join(kwtest.build_dir(), "locale", "de", "LC_MESSAGES", "keepwarm.mo")):
        de_env = dict(env, LC_ALL="C.UTF-8")
    test_status(env)
    with seller_synced(db, ME) as dv:
        if not dv:
            return
        t = test_today(env, db, de_env)
        test_actions(env, db, de_env, t)
        test_review(env, db)
        test_record_sent(env, db, dv, dv.root)
        test_busy(env, db)
    test_not_synced(env)


if __name__ == "__main__":
    main(run)
