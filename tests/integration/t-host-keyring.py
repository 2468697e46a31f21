#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-host-keyring — the add-on's account set-up through the native host, with
the password in a real desktop keyring (gnome-keyring's Secret Service in a
private D-Bus session with a throwaway keyring), and syncs that use it.

- set-account writes an ordinary [account] group (0600, no password) and
  stores the password in the keyring; the password (a canary) is nowhere in
  clear: not in the config, the host log, the last-sync file, the store, any
  file under HOME, nor in the cmdline or environment of the sync processes.
- the host's sync (progress relayed as events, then one answer) and a plain
  `keepwarm sync` from the command line both read the password from the keyring.
- a wrong password: stored, then the sync reports "auth" for that account.
- refusals: a hand-written group (password_cmd) is never changed; bad host,
  user or password; no Secret Service (the config is then left untouched);
  sync with no account: "not-configured"; a keepwarm whose keyring module
  (keepwarm-keyring.so) is missing says so and writes nothing.
- remove-account clears the keyring entry and the group.

Re-runs itself under dbus-run-session; skipped without dbus-run-session or
gnome-keyring-daemon."""
import os
import secrets
import shutil
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import gen_mailbox
from guitest import ProcWatcher, files_containing, need, rerun_in_dbus_session, start_keyring
from kwhost import Host, host_call, host_request

ME = "seller@mycompany.example"


def err_code(a):
    return (a.get("error") or {}).get("code")


def test(env):
    cfg = os.path.join(env["XDG_CONFIG_HOME"], "keepwarm", "config")
    canary = "CANARY-kr-" + secrets.token_hex(6)

    a = host_request("sync", env=env)
    is_(err_code(a), "not-configured", "sync before any account: not-configured")

    root = kwtest.tmpdir("kw-seller-")
    gen_mailbox.write_seller_maildir(os.path.join(root, "Maildir"), int(time.time()), ME)
    with Dovecot(maildir=os.path.join(root, "Maildir"), password=canary) as dv:
        for params, what in (({"host": "imap.example.com; rm -rf /", "user": "u", "password": "p"}, "a bad host"),
                             ({"host": "127.0.0.1", "user": "a\nb", "password": "p"}, "a user with a newline"),
                             ({"host": "127.0.0.1", "user": "u", "password": "p\nq"}, "a two-line password"),
                             ({"host": "127.0.0.1", "user": "u", "password": ""}, "an empty password"),
                             ({"host": "127.0.0.1", "user": "u"}, "no password"),
                             ({"host": "127.0.0.1", "user": "u", "password": "p", "tls": "maybe"}, "tls 'maybe'"),
                             ({"host": "127.0.0.1", "user": "u", "password": "p", "port": 70000}, "port 70000"),
                             ({"host": "127.0.0.1", "user": "u", "password": "p", "me": ["not-an-address"]},
                              "'me' without @")):
            is_(err_code(host_request("set-account", env=env, **params)), "bad-request",
                "set-account with %s: bad-request" % what)
        ok(not os.path.exists(cfg), "no config file after refused requests")

        a = host_request("set-account", env=env, host=dv.host, port=dv.port, tls="none", user=dv.user,
                         password=canary, me=[ME], name="Work")
        ok(a.get("ok") and a["result"]["account"] == "Work" and a["result"]["password"] == "keyring",
           "set-account: saved, password in the keyring", a)
        ok(os.path.isfile(cfg), "the config file exists")
        if os.path.isfile(cfg):
            is_(stat.S_IMODE(os.stat(cfg).st_mode), 0o600, "config file 0600")
            text = open(cfg).read()
            like(text, r"(?m)^\[account Work\]$", "with an [account Work] group")
            like(text, r"(?m)^host=127\.0\.0\.1$", "host")
            like(text, r"(?m)^port=%d$" % dv.port, "port")
            like(text, r"(?m)^tls=none$", "tls")
            like(text, r"(?m)^me=" + ME, "me")
            ok("password" not in text.replace("Passwords are never", "").replace("the password is in", ""),
               "no password key in the config file", text)
        st = host_request("status", env=env)["result"]
        is_([(x["name"], x["password"], x["managed_here"]) for x in st["accounts"]], [("Work", "keyring", True)],
            "status lists the account: password in the keyring, managed here")

        # The host's sync: progress events, then the answer.
        exe = kwtest.keepwarm_path().encode()
        scanner = ProcWatcher(lambda cmd: cmd.startswith(exe) and b"\0sync\0" in cmd, interval=0.003)
        scanner.start()
        h = Host(env=env)
        h.send({"id": "s1", "cmd": "sync", "progress": True})
        events, answer = [], None
        while True:
            m = h.recv()
            if m is None or "event" not in m:
                answer = m
                break
            events.append(m)
        rc, rest = h.close()
        scanner.stop = True
        scanner.join()
        ok(events and all(e["event"] == "sync-progress" and e["id"] == "s1" for e in events),
           "sync relays %d progress events with the request's id" % len(events))
        is_([e["data"]["event"] for e in events][:1], ["connected"], "the first is 'connected'")
        ok(answer and answer.get("ok") and answer["result"]["exit"] == 0, "the sync answers exit 0", answer)
        accts = answer["result"]["accounts"] if answer and answer.get("ok") else []
        is_([(x.get("account"), x.get("status")) for x in accts], [("Work", "ok")], "account Work synced ok")
        ok(accts and accts[0].get("new", 0) > 50, "and read the mailbox (%s new)" % (accts and accts[0].get("new")))
        a = host_request("overdue", env=env)
        ok(a.get("ok") and "acme.example" in [r["key"] for r in a["result"]["items"]],
           "after the sync, overdue lists ACME")
        last = host_request("status", env=env)["result"]["last_sync"]
        ok(last and last["result"]["exit"] == 0 and last.get("time"), "status tells the last sync", last)
        ok(scanner.seen, "saw the sync process(es) in /proc: %d" % len(scanner.seen))
        leaks = [pid for pid, (c, e) in scanner.seen.items() if canary.encode() in c or canary.encode() in e]
        is_(leaks, [], "the password is in no sync process's cmdline or environment")

        # The command line finds the same password in the keyring.
        rc, out, err = run_keepwarm(["sync", "--account", "Work"], db=False, env=env)
        is_(rc, 0, "`keepwarm sync` (no --password-fd, no password_cmd) uses the keyring", show_run(rc, out, err))

        # A hand-written group is never changed from the add-on.
        with open(cfg, "a") as f:
            f.write("\n[account Hand]\nhost=imap.example.com\nuser=me\npassword_cmd=pass show mail\n")
        before = open(cfg).read()
        a = host_request("set-account", env=env, name="Hand", host="imap.example.com", user="me", password="x")
        is_(err_code(a), "config", "set-account over a group with password_cmd: refused ('config')")
        a = host_request("remove-account", env=env, name="Hand")
        is_(err_code(a), "config", "remove-account of a hand-written group: refused")
        is_(open(cfg).read(), before, "and the config file is unchanged")
        st = host_request("status", env=env)["result"]
        is_(sorted((x["name"], x["password"], x["managed_here"]) for x in st["accounts"]),
            [("Hand", "command", False), ("Work", "keyring", True)], "status tells who manages which account")

        # No Secret Service: a clear error, nothing written.
        a = host_request("set-account", env=dict(env, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus"),
                         name="Other", host="127.0.0.1", user="other", password="x")
        is_(err_code(a), "keyring", "set-account without a Secret Service: 'keyring'")
        like((a.get("error") or {}).get("message"), r"password_cmd", "and the message names password_cmd")
        is_(open(cfg).read(), before, "nothing was written to the config")

        # The keyring module missing (a keepwarm without its keepwarm-keyring.so):
        # a clear error naming it, nothing written; other requests are unaffected.
        lone = os.path.join(kwtest.tmpdir("kw-lone-"), "keepwarm")
        shutil.copy2(kwtest.keepwarm_path(), lone)
        answers, rc, err = host_call([{"id": 1, "cmd": "set-account", "name": "Other", "host": "127.0.0.1",
                                       "user": "other", "password": "x"}, {"id": 2, "cmd": "status"}],
                                     env=env, argv=[lone, "native-host"])
        is_([err_code(a) for a in answers], ["keyring", None], "no keyring module: 'keyring', status still ok")
        like((answers[0].get("error") or {}).get("message") if answers else "", r"keepwarm-keyring\.so",
             "and the message names the module")
        is_(open(cfg).read(), before, "nothing was written to the config")

        # A wrong password: stored; the sync says "auth" for that account.
        a = host_request("set-account", env=env, host=dv.host, port=dv.port, tls="none", user=dv.user,
                         password="wrong-" + canary, me=[ME], name="Work")
        ok(a.get("ok"), "set-account again replaces the password")
        a = host_request("sync", env=env, account="Work")
        res = a.get("result", {})
        is_((res.get("exit"), [x.get("status") for x in res.get("accounts", [])]), (3, ["auth"]),
            "with a wrong password the sync answers exit 3, status auth")

        # remove-account: keyring entry and group gone; the CLI has no password now.
        a = host_request("remove-account", env=env, name="Work")
        ok(a.get("ok") and a["result"]["keyring"] is True, "remove-account clears the keyring entry", a)
        ok("[account Work]" not in open(cfg).read(), "and removes the group")
        with open(cfg, "a") as f:
            f.write("\n[account Work]\nhost=%s\nport=%d\ntls=none\nuser=%s\n" % (dv.host, dv.port, dv.user))
        rc, out, err = run_keepwarm(["sync", "--account", "Work"], db=False, env=env)
        ok(rc == 2 and "no password for account 'Work'" in err, "without the keyring entry: no password (exit 2)",
           show_run(rc, out, err))

    hits = files_containing([env["HOME"], env["XDG_CONFIG_HOME"], env["XDG_DATA_HOME"], env["XDG_STATE_HOME"]],
                            canary.encode())
    is_(hits, [], "the password appears in no file in clear (config, log, last sync, store, keyring)")
    log = open(os.path.join(env["XDG_STATE_HOME"], "keepwarm", "host.log")).read()
    like(log, r"set-account: \[account Work\] written", "the log tells what set-account did")


def run():
    need(["dbus-run-session", "dbus-send", "gnome-keyring-daemon"])
    rerun_in_dbus_session()
    env = kwtest.kw_env({"XDG_RUNTIME_DIR": kwtest.tmpdir("kw-run-")})
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    start_keyring(env)
    test(env)


if __name__ == "__main__":
    main(run)
