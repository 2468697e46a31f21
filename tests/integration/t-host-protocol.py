#!/usr/bin/env python3
"""t-host-protocol — keepwarm as Thunderbird's native-messaging host, without
Thunderbird: started as `keepwarm MANIFEST EXTENSION-ID`, fed framed JSON on
stdin (4-byte native-endian length + UTF-8 JSON), answers read from stdout.

1. Framing and bad input: several requests in one process, a request written
   one byte at a time, an oversized request refused with an answer (then the
   next one still served), an absurd length given up cleanly, input ending
   mid-message, zero-length, malformed JSON, not UTF-8, deep nesting, wrong
   shapes and types, unknown commands. stdout holds nothing but frames; the
   log (0600) has a line per request and never a request body.
2. The model requests against a store synced from a real Dovecot: overdue
   equals `keepwarm overdue --format=json`; the relationship for a sender
   (organisation first, nothing for a newsletter or a stranger) with its hint
   in English and German; relationship and timeline equal `keepwarm show`;
   actions change the store as the CLI sees it; the daily routine's requests
   answer "not-available"; nothing synced yet gives "not-synced" and creates
   no store.
3. Concurrency: many host processes (reads and writes) while a sync writes
   the same store: every answer is ok, the sync finishes, the store is sound.
4. An answer over Thunderbird's 1 MiB limit (500 people with 4 KB notes): the
   list is cut from its end and marked truncated.
5. `keepwarm setup-thunderbird`.
"""
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import gen_mailbox
from kwhost import Host, frame, host_call, host_request, unframe, host_argv

ME = "seller@mycompany.example"
# What a relationship has in the host's answers beyond the command's JSON.
HOST_ONLY = ("hint", "hint_action")
CANARY = "NOTE-CANARY-7f3a"


def err_code(answer):
    return (answer.get("error") or {}).get("code") if isinstance(answer, dict) else None


def test_framing(env):
    # Several requests, ids of any JSON type echoed back.
    answers, rc, err = host_call([{"id": 1, "cmd": "status"}, {"id": "two", "cmd": "status"},
                                  {"id": {"n": 3}, "cmd": "status"}, {"cmd": "status"}], env=env)
    is_(rc, 0, "the host exits 0 when the add-on closes the pipe", err)
    is_([a.get("id") for a in answers], [1, "two", {"n": 3}, None], "one answer per request, ids echoed")
    ok(all(a.get("ok") is True for a in answers), "status answers ok", answers[:1])
    st = answers[0]["result"]
    is_(st.get("protocol"), 1, "status: protocol 1")
    is_(st.get("features"), {"today": False, "review": False, "record_sent": False,
                             "actions": ["snooze", "unsnooze", "ignore", "unignore", "cadence", "note", "name"]},
        "status.features: what this version answers (no Today yet)")
    is_(err, "", "nothing on the host's stderr (it logs to its own file)")

    # A request written a byte at a time (lengths and bodies split across reads).
    h = Host(env=env)
    data = frame({"id": 7, "cmd": "status"})
    for i in range(len(data)):
        h.send_bytes(data[i:i + 1])
        time.sleep(0.002)
    a = h.recv()
    ok(a and a.get("id") == 7 and a.get("ok"), "a request split over %d writes is answered" % len(data), a)
    # A port stays usable: a second request on the same process.
    h.send({"id": 8, "cmd": "status"})
    a = h.recv()
    ok(a and a.get("id") == 8, "a second request on the same open port is answered", a)
    rc, rest = h.close()
    is_((rc, rest), (0, b""), "and the host ends cleanly at EOF")

    # Oversized: refused with an answer, drained, the next request is served.
    big = json.dumps({"id": 9, "cmd": "status", "pad": "x" * 70000}).encode()
    answers, rc, err = host_call(None, env=env, raw=frame(big) + frame({"id": 10, "cmd": "status"}))
    is_([err_code(a) for a in answers], ["too-large", None], "a 70 KB request is refused with 'too-large'")
    is_(answers[-1].get("id"), 10, "and the request after it is still answered")
    # An absurd length: answered, then the stream is given up without reading 2 GB.
    t0 = time.monotonic()
    answers, rc, err = host_call(None, env=env, raw=b"\xff\xff\xff\x7f" + b"x" * 100)
    is_([err_code(a) for a in answers], ["too-large"], "a 2 GB length is refused with one answer")
    ok(rc == 0 and time.monotonic() - t0 < 10, "and the host ends at once (rc %s)" % rc)

    # Input that ends inside a message: no answer, clean exit.
    for name, raw in (("inside the length", b"\x10\x00"), ("inside the body", frame({"cmd": "status"})[:-3])):
        answers, rc, err = host_call(None, env=env, raw=raw)
        is_((answers, rc), ([], 0), "input ending %s: no answer, exit 0" % name)

    bad = [
        ("zero-length message", b"", "bad-json"),
        ("malformed JSON", b"{\"cmd\": \"status\"", "bad-json"),
        ("not UTF-8", b"{\"cmd\": \"st\xe4tus\"}", "bad-json"),
        ("nested 30000 deep", b"[" * 30000 + b"]" * 30000, "bad-json"),
        ("nested 40 deep (the limit is 32)", b"[" * 40 + b"]" * 40, "bad-json"),
        ("a JSON array", b"[1, 2]", "bad-request"),
        ("a JSON string", b"\"status\"", "bad-request"),
        ("no cmd", b"{\"id\": 1}", "bad-request"),
        ("cmd not a string", b"{\"cmd\": 5}", "bad-request"),
        ("unknown command", b"{\"cmd\": \"format-disk\"}", "unknown-command"),
        ("wrong parameter type", b"{\"cmd\": \"overdue\", \"limit\": \"ten\"}", "bad-request"),
        ("parameter out of range", b"{\"cmd\": \"overdue\", \"limit\": 0}", "bad-request"),
        ("unknown state", b"{\"cmd\": \"overdue\", \"state\": \"lukewarm\"}", "bad-request"),
    ]
    # Brackets inside strings are text, not nesting.
    raw = b"".join(frame(b) for _, b, _ in bad) + frame({"id": "last", "cmd": "status", "x": "[{" * 100})
    p = subprocess.run(host_argv(), input=raw, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=60)
    try:
        bodies = unframe(p.stdout)
        answers = [json.loads(b) for b in bodies]
        ok(True, "stdout holds nothing but complete frames of JSON")
    except ValueError as e:
        ok(False, "stdout holds nothing but complete frames of JSON", str(e), p.stdout[:300])
        answers = []
    is_(len(answers), len(bad) + 1, "one answer per bad message, and the host kept going")
    for (name, _, code), a in zip(bad, answers):
        is_(err_code(a), code, "%s: error '%s'" % (name, code), a)
        ok(isinstance((a.get("error") or {}).get("message"), str) and a["error"]["message"],
           "%s: with a message" % name)
    is_(answers[-1].get("id") if answers else None, "last", "a good request after all of them is answered")
    is_(p.returncode, 0, "exit 0")

    # The explicit command form, with --db.
    db = os.path.join(env["XDG_DATA_HOME"], "nowhere", "keepwarm.db")
    answers, rc, err = host_call([{"id": 1, "cmd": "status"}], env=env,
                                 argv=[kwtest.keepwarm_path(), "--db", db, "native-host"])
    is_(answers and answers[0]["result"]["store"]["path"], db, "`keepwarm --db PATH native-host` uses PATH")
    # The argv form is recognised only as Thunderbird gives it; the CLI is unchanged.
    r = subprocess.run([kwtest.keepwarm_path(), "/tmp/x.json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env, stdin=subprocess.DEVNULL)
    ok(r.returncode == 2 and "unknown command" in r.stderr, "one path argument is still a CLI usage error",
       r.stderr)


def test_log(env):
    log = os.path.join(env["XDG_STATE_HOME"], "keepwarm", "host.log")
    ok(os.path.isfile(log), "the host logs to $XDG_STATE_HOME/keepwarm/host.log")
    if not os.path.isfile(log):
        return
    is_(stat.S_IMODE(os.stat(log).st_mode), 0o600, "the log is 0600")
    is_(stat.S_IMODE(os.stat(os.path.dirname(log)).st_mode), 0o700, "in a 0700 directory")
    text = open(log, errors="replace").read()
    like(text, r"status id=1 ok \d+ bytes", "one line per request: command, id, outcome")
    like(text, r"refused a message of \d+ bytes", "refusals are logged")
    ok(CANARY not in text, "request bodies (here a note) never reach the log")


def cli_json(args, db, env=None):
    rc, out, err = run_keepwarm(args + ["--format=json"], db=db, env=env)
    try:
        return json.loads(out)
    except ValueError:
        ok(False, "keepwarm %s --format=json" % " ".join(args), show_run(rc, out, err))
        return None


def test_model(env, db):
    # overdue == the CLI, both as of the same second (the score moves with time)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    a = host_request("overdue", env=env, as_of=now)
    cli = cli_json(["overdue", "--as-of", now], db)
    ok(a.get("ok"), "overdue answers ok", a)
    items = a["result"]["items"] if a.get("ok") else []
    is_([(r["key"], r["state"]) for r in items], [(r["key"], r["state"]) for r in cli or []],
        "overdue lists what `keepwarm overdue` lists, in the same order")
    is_(a["result"]["total"] if a.get("ok") else None, len(cli or []), "total is the number of relationships")
    by = {r["key"]: r for r in items}
    for k in ("acme.example", "globex.example", "bob.builder@gmail.com"):
        ok(k in by, "overdue lists %s" % k, sorted(by))
    for k in ("initech.example", "lists.example"):
        ok(k not in by, "overdue does not list %s" % k)
    acme = by.get("acme.example", {})
    is_(acme.get("state"), "overdue", "ACME is overdue")
    # One description of a relationship: the host's is the command's, plus the banner's hint.
    cli_acme = ([r for r in cli or [] if r["key"] == "acme.example"] or [{}])[0]
    is_({k: v for k, v in acme.items() if k not in HOST_ONLY}, cli_acme,
        "ACME is exactly what `keepwarm overdue --format=json` says, plus %s" % ", ".join(HOST_ONLY))
    is_(sorted(k for k in acme if k not in cli_acme), sorted(HOST_ONLY), "and nothing else")
    like(acme.get("hint"), r"^%s — last exchange 9[234] days ago; you usually talk every 3 weeks$"
         % re.escape(acme.get("name", "?")), "the hint line is the Claws hint bar's sentence")
    is_(acme.get("hint_action"), "write", "ACME's suggested action: write")
    is_([(r["key"], r["hint_action"]) for r in items if r["state"] == "awaiting-your-reply"][:1],
        [("globex.example", "reply")], "awaiting your reply: the banner suggests a reply")
    a = host_request("overdue", env=env, limit=1)
    ok(a.get("ok") and len(a["result"]["items"]) == 1 and a["result"]["truncated"] is True
       and a["result"]["total"] == len(items), "limit 1: one item, truncated, total unchanged", a)
    a = host_request("overdue", env=env, all=True, by="person")
    cli_all = cli_json(["overdue", "--all", "--by", "person"], db)
    is_([r["key"] for r in a["result"]["items"]] if a.get("ok") else None, [r["key"] for r in cli_all or []],
        "overdue all by person equals the CLI's")
    a = host_request("overdue", env=env, as_of="2000-01-01")
    ok(a.get("ok") and a["result"]["total"] == 0, "as_of before any mail: nothing", a)

    # The relationship for a sender: organisation first; nothing for noise.
    a = host_request("for-sender", env=env, address="Jane Doe <jane@acme.example>")
    r = a.get("result", {})
    ok(r.get("tracked") is True and r.get("relationship", {}).get("key") == "acme.example",
       "for-sender 'Jane Doe <jane@acme.example>' finds ACME", a)
    is_(r.get("relationship", {}).get("hint"), acme.get("hint"), "with the same hint as in the list")
    a = host_request("for-sender", env=env, address="bob.builder@gmail.com")
    is_(a.get("result", {}).get("relationship", {}).get("key"), "bob.builder@gmail.com",
        "a free-mail customer is found as a person")
    for addr, why in (("news@lists.example", "a newsletter"), ("someone@nowhere.example", "a stranger")):
        a = host_request("for-sender", env=env, address=addr)
        is_(a.get("result"), {"tracked": False}, "for-sender %s (%s): not tracked, no relationship" % (addr, why))
    a = host_request("for-sender", env=env, address="not an address")
    is_(err_code(a), "bad-request", "for-sender of something that is no address: bad-request")
    # German: the catalogue next to an uninstalled binary (build/locale), the
    # dates with a German LC_TIME when one can be had.
    if os.path.exists(os.path.join(kwtest.build_dir(), "locale", "de", "LC_MESSAGES", "keepwarm.mo")):
        de_env = dict(env, **(kwtest.german_locale(kwtest.tmpdir("kw-de-")) or {}))
        de_env.update(LC_ALL="C.UTF-8")  # the add-on's "lang" decides, not the environment
        a = host_request("for-sender", env=de_env, address="jane@acme.example", lang="de")
        rel_de = a.get("result", {}).get("relationship", {})
        like(rel_de.get("hint"), r"letzter Austausch vor 9\d Tagen; Sie haben üblicherweise alle 3 Wochen Kontakt",
             "lang 'de': the hint in German")
        is_(rel_de.get("state_text"), "überfällig", "and the state")
        like(rel_de.get("reason"), r"^Letzter Austausch vor 9\d Tagen", "and the reason")
        is_(rel_de.get("cadence_text"), "alle 3 Wochen", "and the rhythm")
        cli_de = cli_json(["overdue"], db, env={"LC_ALL": de_env.get("LC_ALL") if "LOCPATH" in de_env else "C.UTF-8",
                                               "LANGUAGE": "de", "LOCPATH": de_env.get("LOCPATH")})
        cli_acme_de = ([r for r in cli_de or [] if r["key"] == "acme.example"] or [{}])[0]
        if "LOCPATH" in de_env or de_env.get("LC_ALL") == "de_DE.UTF-8":
            is_(rel_de.get("reason"), cli_acme_de.get("reason"),
                "the German reason (with its German date) is the command's in a German locale")
        else:
            skip("no de_DE.UTF-8 locale: German month names not compared")
        a = host_request("for-sender", env=env, address="jane@acme.example", lang="en")
        is_(a.get("result", {}).get("relationship", {}).get("hint"), acme.get("hint"), "lang 'en': English again")
        answers, rc, err = host_call([{"id": 1, "cmd": "for-sender", "address": "jane@acme.example", "lang": "de"},
                                      {"id": 2, "cmd": "for-sender", "address": "jane@acme.example", "lang": "en"},
                                      {"id": 3, "cmd": "for-sender", "address": "jane@acme.example", "lang": "de"}],
                                     env=de_env)
        is_([a.get("result", {}).get("relationship", {}).get("state_text") for a in answers],
            ["überfällig", "overdue", "überfällig"], "one process switches language per request")
    else:
        skip("no German catalogue in %s" % kwtest.build_dir(), 8)

    # relationship and timeline == keepwarm show
    show = cli_json(["show", "acme.example"], db) or {}
    a = host_request("relationship", env=env, target="acme.example")
    is_(a.get("result", {}).get("relationship", {}).get("touches"), show.get("touches"),
        "relationship acme.example: touches as `keepwarm show`")
    a = host_request("timeline", env=env, target="acme.example")
    t = a.get("result", {})
    ok(t.get("items"), "timeline acme.example has touches", a)
    is_(t.get("items"), show.get("timeline"), "timeline acme.example is `keepwarm show`'s timeline")
    a = host_request("timeline", env=env, target="acme.example", limit=3)
    ok(len(a["result"]["items"]) == 3 and a["result"]["truncated"] and a["result"]["total"] == len(t["items"]),
       "timeline limit 3: three touches, truncated", a.get("result", {}).get("total"))
    a = host_request("relationship", env=env, target="unknown.example")
    is_(err_code(a), "not-found", "an unknown target: not-found")
    like((a.get("error") or {}).get("message"), r"unknown\.example", "with the library's message naming it")
    a = host_request("timeline", env=env, target="unknown.example")
    like((a.get("error") or {}).get("message"), r"unknown\.example", "timeline of it: the same")

    # Actions: what the CLI sees afterwards.
    def state_of(key):
        for rel in cli_json(["overdue", "--all"], db) or []:
            if rel["key"] == key:
                return rel
        return {}
    a = host_request("action", env=env, action="snooze", target="acme.example", days=7)
    ok(a.get("ok") and a["result"].get("until"), "snooze 7 days answers the date", a)
    is_(state_of("acme.example").get("state"), "snoozed", "the CLI sees ACME snoozed")
    a = host_request("action", env=env, action="unsnooze", target="acme.example")
    is_(state_of("acme.example").get("state"), "overdue", "unsnooze: overdue again")
    a = host_request("action", env=env, action="snooze", target="acme.example", until="2w")
    is_(state_of("acme.example").get("state"), "snoozed", "snooze until 2w")
    host_request("action", env=env, action="unsnooze", target="acme.example")
    host_request("action", env=env, action="ignore", target="globex.example")
    is_(state_of("globex.example").get("state"), "ignored", "ignore")
    a = host_request("for-sender", env=env, address="hank@globex.example")
    is_(a.get("result", {}).get("tracked"), False, "an ignored relationship is not tracked (no banner)")
    host_request("action", env=env, action="unignore", target="globex.example")
    is_(state_of("globex.example").get("state"), "awaiting-your-reply", "unignore")
    host_request("action", env=env, action="cadence", target="acme.example", days=30)
    show = cli_json(["show", "acme.example"], db) or {}
    is_((show.get("cadence_days"), show.get("cadence_user_set")), (30, True), "cadence 30 days")
    host_request("action", env=env, action="cadence", target="acme.example", days=0)
    show = cli_json(["show", "acme.example"], db) or {}
    is_(show.get("cadence_user_set"), False, "cadence 0: learned again")
    host_request("action", env=env, action="note", target="acme.example", text=CANARY + " renewal in März")
    is_((cli_json(["show", "acme.example"], db) or {}).get("note"), CANARY + " renewal in März", "note saved")
    host_request("action", env=env, action="note", target="acme.example", text="")
    is_((cli_json(["show", "acme.example"], db) or {}).get("note"), None, "an empty note removes it")
    a = host_request("action", env=env, action="name", target="acme.example", name="ACME Corporation")
    ok(a.get("ok"), "name ACME", a)
    is_((cli_json(["show", "acme.example"], db) or {}).get("name"), "ACME Corporation", "the CLI sees the name")
    a = host_request("for-sender", env=env, address="jane@acme.example")
    like(a.get("result", {}).get("relationship", {}).get("hint") or "", r"^ACME Corporation — ",
         "and the hint says it")
    host_request("action", env=env, action="name", target="acme.example", name="")
    is_((cli_json(["show", "acme.example"], db) or {}).get("name_user_set"), False, "an empty name: derived again")
    for params, code, what in (
            ({"action": "snooze", "target": "acme.example"}, "bad-request", "snooze without a date"),
            ({"action": "snooze", "target": "acme.example", "until": "2001-01-01"}, "bad-request",
             "snooze into the past"),
            ({"action": "snooze", "target": "acme.example", "days": 7, "until": "2w"}, "bad-request",
             "snooze with days and until"),
            ({"action": "cadence", "target": "acme.example", "days": 5000}, "bad-request", "cadence of 5000 days"),
            ({"action": "note", "target": "acme.example", "text": "x" * 4001}, "bad-request", "a 4001-byte note"),
            ({"action": "name", "target": "acme.example"}, "bad-request", "name without a name"),
            ({"action": "name", "target": "acme.example", "name": "x" * 201}, "usage", "a 201-byte name"),
            ({"action": "paint", "target": "acme.example"}, "bad-request", "an unknown action"),
            ({"action": "ignore", "target": "unknown.example"}, "not-found", "ignore an unknown target"),
            ({"action": "ignore"}, "bad-request", "no target")):
        is_(err_code(host_request("action", env=env, **params)), code, "%s: %s" % (what, code))

    # The daily routine: defined, answered "not-available" in this version.
    for params in ({"action": "done", "target": "acme.example"}, {"action": "skip", "target": "acme.example"},
                   {"action": "log-call", "target": "acme.example"},
                   {"action": "log-meeting", "target": "acme.example"},
                   {"action": "tier", "target": "acme.example", "tier": "A"}, {"action": "undo"}):
        a = host_request("action", env=env, **params)
        is_(err_code(a), "not-available", "action %s: not-available" % params["action"])
    for cmd in ("today", "review"):
        is_(err_code(host_request(cmd, env=env)), "not-available", "%s: not-available" % cmd)
    a = host_request("record-sent", env=env, message_id="<x@kw.test>", to=["jane@acme.example"])
    is_(err_code(a), "not-available", "record-sent: not-available")
    like(a.get("error", {}).get("message"), r"not available", "with a message that says so")
    is_(err_code(host_request("record-sent", env=env, to=["jane@acme.example"])), "bad-request",
        "record-sent without message_id: bad-request (the request is checked already)")

    # Nothing synced: not-synced, and no store is created.
    empty = kwtest.new_db()
    answers, rc, err = host_call([{"id": 1, "cmd": "overdue"}, {"id": 2, "cmd": "action", "action": "ignore",
                                                                "target": "acme.example"}],
                                 env=env, argv=[kwtest.keepwarm_path(), "--db", empty, "native-host"])
    is_([err_code(a) for a in answers], ["not-synced", "not-synced"], "no store yet: not-synced")
    ok(not os.path.exists(empty), "and the host created no store")


def test_concurrency(env, db):
    """Host reads and writes while a sync writes the same store."""
    maildir, truth, _ = generated_mailbox(messages=400, seed=5)
    with Dovecot(maildir=maildir) as dv2:
        args = kwtest.sync_args(dv2, tls="none", account="second", ca=False,
                                extra=["--chunk-size", "5", "--progress=json"])
        # The proxy holds the sync back (each server read delayed) until enough
        # host runs have overlapped it, then lets it finish: how many runs fit
        # into a sync must not depend on the machine's speed (ASan, load).
        with RecordingProxy(dv2.port, delay=0.2) as px:
            args[args.index("--port") + 1] = str(px.port)
            sync = kwtest.start_keepwarm(args, password=dv2.password, db=db)
            results = []
            lock = threading.Lock()

            def worker(w):
                i = 0
                while sync.poll() is None or i < 3:
                    i += 1
                    write = ({"action": "snooze", "days": 3} if (w + i) % 2 else {"action": "unsnooze"})
                    reqs = [{"id": i, "cmd": "overdue"},
                            {"id": i, "cmd": "for-sender", "address": "jane@acme.example"},
                            dict(write, id=i, cmd="action", target="bob.builder@gmail.com")]
                    running = sync.poll() is None
                    answers, rc, err = host_call(reqs, env=env)
                    with lock:
                        results.append((answers, rc, err, running and sync.poll() is None))
                        if sum(1 for r in results if r[3]) >= 12:
                            px.delay = 0.0

            threads = [threading.Thread(target=worker, args=(w,)) for w in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(180)
            out, err = sync.communicate(timeout=120)
        during = sum(1 for r in results if r[3])
        ok(during >= 10, "%d of %d host runs (3 requests each) ran while the sync wrote" % (during, len(results)))
        bad = [(r[0], r[2]) for r in results if r[1] != 0 or len(r[0]) != 3 or not all(a.get("ok") for a in r[0])]
        is_(bad, [], "every host answer during the sync is ok (no 'busy', no store error)")
        is_(sync.returncode, 0, "the sync finished", err[-2000:])
    is_(sqlite_integrity(db), "ok", "the store passes integrity_check")


def test_big_answer(env):
    """An answer over Thunderbird's 1 MiB limit: the list is cut from its end,
    marked truncated, and the message stays under the limit."""
    maildir, truth, _ = generated_mailbox(messages=10000, seed=3)
    db = kwtest.new_db()
    with Dovecot(maildir=maildir) as dv:
        rc, out, err = run_keepwarm(kwtest.sync_args(dv), password=dv.password, db=db, timeout=300)
    if not is_(rc, 0, "sync a 10k-message mailbox", show_run(rc, out, err)):
        return
    argv = [kwtest.keepwarm_path(), "--db", db, "native-host"]
    answers, rc, err = host_call([{"id": 1, "cmd": "overdue", "all": True, "by": "person", "limit": 5000,
                                   "as_of": truth["now"]}], env=env, argv=argv)
    people = [r["key"] for r in answers[0]["result"]["items"]]
    note_text = "N" * 3990
    answers, rc, err = host_call([{"id": k, "cmd": "action", "action": "note", "target": k, "text": note_text}
                                  for k in people], env=env, argv=argv, timeout=300)
    ok(len(answers) == len(people) and all(a.get("ok") for a in answers),
       "%d notes of 4 KB set in one host process" % len(people))
    p = subprocess.run(argv, input=frame({"id": 2, "cmd": "overdue", "all": True, "by": "person", "limit": 5000,
                                          "as_of": truth["now"]}),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
    bodies = unframe(p.stdout)
    size = len(bodies[0]) if bodies else 0
    ok(0 < size <= 1024 * 1024, "the answer fits in 1 MiB (%d bytes) although the list does not" % size)
    r = json.loads(bodies[0])["result"] if bodies else {}
    ok(r.get("truncated") is True and 0 < len(r.get("items", [])) < r.get("total", 0) == len(people),
       "cut from the end and marked truncated: %s of %s items" % (len(r.get("items", [])), r.get("total")))
    is_([i["key"] for i in r.get("items", [])], people[:len(r.get("items", []))], "the items kept are the first ones")


def test_setup():
    """keepwarm setup-thunderbird: the user's manifest, idempotent, --print, --program, --remove."""
    home = kwtest.tmpdir("kw-setup-")
    env = kwtest.kw_env({"HOME": home})
    kw = kwtest.keepwarm_path()
    path = os.path.join(home, ".mozilla", "native-messaging-hosts", "keepwarm.json")

    def setup(*args):
        r = subprocess.run([kw, "setup-thunderbird"] + list(args), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
    rc, out, err = setup()
    ok(rc == 0 and os.path.isfile(path), "setup-thunderbird writes ~/.mozilla/native-messaging-hosts/keepwarm.json",
       out, err)
    m = json.load(open(path))
    is_(m, {"name": "keepwarm", "description": m.get("description"), "path": os.path.realpath(kw),
            "type": "stdio", "allowed_extensions": ["keepwarm@keepwarm.example.org"]},
        "the manifest: name, this program's absolute path, stdio, only the keepwarm add-on")
    is_(stat.S_IMODE(os.stat(path).st_mode), 0o644, "readable by Thunderbird (0644), no secret in it")
    xpi = os.path.join(kwtest.build_dir(), "thunderbird", "keepwarm.xpi")
    if os.path.exists(xpi):
        like(out, re.escape(os.path.realpath(xpi)), "it says which .xpi to add (the build's)")
    rc, out, err = setup()
    like(out, r"is up to date", "a second run changes nothing")
    rc, out, err = setup("--print", "--program", "/opt/kw/bin/keepwarm")
    ok(rc == 0 and json.loads(out)["path"] == "/opt/kw/bin/keepwarm", "--print --program PATH: the manifest for PATH")
    rc, out, err = setup("--program", "bin/keepwarm")
    is_(rc, 2, "--program with a relative path: usage error", err)
    rc, out, err = setup("--remove")
    ok(rc == 0 and not os.path.exists(path), "--remove removes it")
    rc, out, err = setup("--remove")
    is_(rc, 0, "--remove again is fine")


def run():
    test_setup()
    env = kwtest.kw_env()
    db = os.path.join(env["XDG_DATA_HOME"], "keepwarm", "keepwarm.db")
    test_framing(env)
    root = kwtest.tmpdir("kw-seller-")
    gen_mailbox.write_seller_maildir(os.path.join(root, "Maildir"), int(time.time()), ME)
    with Dovecot(maildir=os.path.join(root, "Maildir")) as dv:
        rc, out, err = run_keepwarm(kwtest.sync_args(dv, me=(ME,)), password=dv.password, db=db)
        if not is_(rc, 0, "sync the seller's mailbox", show_run(rc, out, err)):
            return
        test_model(env, db)
        test_concurrency(env, db)
    test_big_answer(env)
    test_log(env)


if __name__ == "__main__":
    main(run)
