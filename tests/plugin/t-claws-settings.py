#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real Claws Mail under Xvfb: the plugin's settings live in the store (TAP).

The plugin, the command and cron must agree on what keepwarm knows about the
user, so those settings are kept in the store and read and written through
the library:
- Settings of an earlier version in clawsrc ([KeepWarm] default_cadence,
  extra_identities, own_domains, ignored_domains) move into the store when
  the plugin loads; a domain the store does not know yet moves after the
  first sync; a free-mail domain (no organisation) and a non-address are
  dropped with a line in Claws' log; the moved keys leave clawsrc, the one
  still waiting stays.
- The preferences page, opened in Claws' own preferences window, shows what
  the command set (default cadence, an address added with `keepwarm
  identity add`); OK without a change writes nothing; removing one of "your
  other addresses" there really removes the identity (its mail counts as
  inbound again); the default cadence set there is what `keepwarm config`
  says, and panel rows stay equal to `keepwarm overdue`.
Fixtures (mailbox, Xvfb, Claws config, the test build's hook) are those of
t-claws-e2e.py. Screenshot: claws-keepwarm-prefs.png.
"""

import importlib.util
import json
import os
import re
import sys
import time

PLUGIN_TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(PLUGIN_TESTS, "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403

_spec = importlib.util.spec_from_file_location("claws_e2e", os.path.join(PLUGIN_TESTS, "t-claws-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

DAY = 86400
OLD_KEYS = ("tracked_accounts=1\n"
            "default_cadence=75\n"
            "extra_identities=sam.private@gmail.com, not-an-address\n"
            "own_domains=partner.example\n"
            "no_colleagues=0\n"
            "ignored_domains=globex.example, gmail.com, notseenyet.example\n")


def mailbox(now):
    """The seller's mailbox, plus Umbrella: one exchange 100 days ago, too
    little history to learn a rhythm, so the default cadence decides."""
    msgs = list(e2e.seller_mailbox(now))
    t = now - 100 * DAY
    msgs.append(("INBOX", e2e.message('"Alice Umbrella" <alice@umbrella.example>', e2e.ME, "Hello",
                                      t, "umb-in@kw.test"), t))
    msgs.append(("Sent", e2e.message('"Sam Seller" <%s>' % e2e.ME, "alice@umbrella.example", "Re: Hello",
                                     t + 3600, "umb-out@kw.test"), t + 3600))
    msgs.sort(key=lambda m: m[2])
    return msgs


def keepwarm_block(cfg):
    with open(os.path.join(cfg, "clawsrc"), encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(r"^\[KeepWarm\]\n(.*?)(?:^\[|\Z)", text, re.M | re.S)
    return dict(line.split("=", 1) for line in (m.group(1) if m else "").splitlines() if "=" in line)


def run():
    t = e2e.Setup("kwclaws-settings-")
    now = t.now

    with Dovecot(password=t.password) as dv:
        uid, inbox_uid = 0, {}
        for folder, raw, when in mailbox(now):
            dv.append(folder, raw, date=when)
            if folder == "INBOX":
                uid += 1
                inbox_uid[re.search(r"From: .*<([^>]+)>", raw).group(1)] = uid
        # Work is read; Home (the same mailbox, as a second Claws account) not yet
        session = e2e.ClawsSession(t.work, dv, t.password, t.so, t.kw, t.artifacts, keepwarm_keys=OLD_KEYS,
                                   accounts=((e2e.ACCOUNT, e2e.ME), ("Home", "sam@home.example")))
        ui, cfg, db = session.ui, session.cfg, session.db
        session.start()

        def cli(*args):
            rc, out, err = run_keepwarm(list(args), db=db)
            return out + err

        def identities(account=e2e.ACCOUNT):
            out = cli("identity", "list", "--account", account)
            return re.findall(r"^  (\S+@\S+)$", out.split("Addresses that sent")[0], re.M)

        def hint_for(sender):
            """The hint bar once the last message from `sender` is shown."""
            session.remote("--select", "#imap/%s/INBOX/%d" % (e2e.ACCOUNT, inbox_uid[sender]))
            # message_from is set once the display (and the plugin's hint) is done
            s = ui.wait(lambda s: sender in (s["message_from"] or ""), 30, "message from %s" % sender)
            return s["hint"] if s else "(message not shown)"

        def inbound(email):
            rc, out, err = contacts_json(db)
            return contacts_by_email(out).get(email, {}).get("inbound")

        def overdue_keys():
            rc, out, err = run_keepwarm(["overdue", "--format=json"], db=db)
            return [r["key"] for r in json.loads(out or "[]")]

        def states():
            rc, out, err = run_keepwarm(["overdue", "--all", "--format=json"], db=db)
            return {r["key"]: r["state"] for r in json.loads(out or "[]")}

        def rows(s):
            return [r["key"] for r in (s or {}).get("rows", [])]

        def page(what, timeout=15):
            return ui.wait(lambda s: s["prefs"] is not None, timeout, what)

        def closed(what):
            return ui.wait(lambda s: s["prefs"] is None, 15, what)

        try:
            s = ui.wait(lambda s: s["panel_inserted"], 30, "panel")
            ok(s is not None, "plugin loaded", session.output())
            if s is None:
                return

            # ---- settings of an earlier version moved into the store at load
            like(cli("config"), r"default-cadence\s+75\b", "old default_cadence=75 is the store's default cadence")
            ok("sam.private@gmail.com" in identities(), "an old extra identity is an identity of the account",
               identities())
            ok("not-an-address" not in " ".join(identities()), "a non-address was not kept")
            like(cli("identity", "own-domain", "list"), r"partner\.example\s+own domain",
                 "old own_domains are the store's own domains")

            s = ui.wait(lambda s: s["workers"]["finished"] >= 1 and not s["workers"]["running"], 90, "first sync")
            ok(s is not None, "first background sync finished")
            is_((s or {}).get("workers", {}).get("last", {}).get(e2e.ACCOUNT), "ok", "... and said ok")
            st = states()
            is_(st.get("globex.example"), "ignored",
                "a domain the store did not know at load is ignored after the first sync")
            ok("globex.example" not in rows(s), "... and not in the panel", rows(s))
            like(hint_for("jane@acme.example") or "", r"^Acme — last exchange", "a message from ACME has a hint")
            is_(hint_for("hank@globex.example"), None, "a message from ignored Globex has none")
            is_(rows(s), overdue_keys(), "panel rows == `keepwarm overdue`")
            ok("umbrella.example" in rows(s), "Umbrella is listed (100 days, default rhythm 75)", rows(s))
            block = keepwarm_block(cfg)
            note("clawsrc [KeepWarm]: %s" % json.dumps(block))
            is_(sorted(k for k in ("default_cadence", "extra_identities", "own_domains", "no_colleagues")
                       if k in block), [], "the moved keys left clawsrc")
            is_(block.get("ignored_domains"), "notseenyet.example",
                "the domain the store does not know yet waits in clawsrc (gmail.com, free mail, dropped)")

            # ---- the page shows what the command set
            cli("config", "default-cadence", "80")
            cli("identity", "add", "--account", e2e.ACCOUNT, "other@mycompany.example")
            ui.cmd("prefs-open")
            s = page("preferences page")
            ok(s is not None, "the preferences page opens in Claws' preferences window")
            p = (s or {}).get("prefs") or {}
            note("page: %s" % json.dumps(p))
            is_(p.get("default-cadence"), 80, "the page shows the default cadence the command set")
            is_(sorted((p.get("other-addresses") or "").splitlines()),
                ["other@mycompany.example", "sam.private@gmail.com"],
                "the page lists the other addresses (the command's too; not the account's own)")
            is_(p.get("own-domains"), "partner.example", "the page shows the own domains")
            is_(p.get("no-colleagues"), False, "... 'nobody is a colleague' is off")
            is_(p.get("error"), None, "no error on the page")
            time.sleep(0.5)
            ui.screenshot("claws-keepwarm-prefs.png")

            # OK without a change writes nothing (a concurrent command's change stays)
            cli("identity", "add", "--account", e2e.ACCOUNT, "late@mycompany.example")
            ui.cmd("prefs-ok")
            ok(closed("page closed") is not None, "OK closes the page")
            ok("late@mycompany.example" in identities(),
               "OK without a change leaves the identities alone", identities())
            like(cli("config"), r"default-cadence\s+80\b", "... and the default cadence")

            # ---- an account ticked on the page gets the other addresses; the others keep theirs
            ok(not any("@" in a for a in identities("Home")), "Home is not read yet: no identities",
               identities("Home"))
            ui.cmd("prefs-open")
            s = page("page again")
            is_(((s or {}).get("prefs") or {}).get("accounts"), [1], "the page ticks Work only")
            ui.cmd("prefs-set accounts 1,2")
            ui.cmd("prefs-ok")
            closed("page closed")
            is_(sorted(identities("Home")),
                ["late@mycompany.example", "other@mycompany.example", "sam.private@gmail.com"],
                "Home, ticked now, has the other addresses")
            ok("late@mycompany.example" in identities(), "Work keeps what the command added", identities())
            ui.cmd("prefs-open")
            s = page("page again")
            is_(((s or {}).get("prefs") or {}).get("accounts"), [1, 2], "the page ticks both")
            ui.cmd("prefs-set accounts 1")
            ui.cmd("prefs-ok")
            closed("page closed")

            # ---- removing one of "your other addresses" really removes it
            jane_in = inbound("jane@acme.example")
            ok(jane_in and jane_in > 0, "Jane's mail is inbound (%s)" % jane_in)
            ui.cmd("prefs-open")
            page("page again")
            ui.cmd("prefs-set other-addresses sam.private@gmail.com,jane@acme.example")
            ui.cmd("prefs-ok")
            closed("page closed")
            ok("jane@acme.example" in identities(), "an address added on the page is an identity", identities())
            is_(inbound("jane@acme.example"), 0, "... and mail from it is no longer inbound")
            ok("other@mycompany.example" not in identities() and "late@mycompany.example" not in identities(),
               "addresses left off the page are no identities any more", identities())
            ok("late@mycompany.example" in identities("Home"),
               "... of the accounts Keep warm reads (Home, not read any more, keeps its own)", identities("Home"))
            ui.cmd("prefs-open")
            page("page again")
            ui.cmd("prefs-set other-addresses sam.private@gmail.com")
            ui.cmd("prefs-set default-cadence 150")
            ui.cmd("prefs-ok")
            closed("page closed")
            ok("jane@acme.example" not in identities(), "removing it on the page forgets it", identities())
            is_(inbound("jane@acme.example"), jane_in, "... and its mail counts as inbound again")
            ok(e2e.ME in identities(), "the account's own address stays", identities())

            # ---- the default cadence set on the page is the store's
            like(cli("config"), r"default-cadence\s+150\b", "the page's default cadence is `keepwarm config`'s")
            s = ui.wait(lambda s: "umbrella.example" not in rows(s), 15, "panel without Umbrella")
            ok(s is not None, "Umbrella leaves the panel (100 days < 150)", rows(ui.state()))
            is_(rows(ui.state()), overdue_keys(), "panel rows == `keepwarm overdue` after the change")

            # ---- own domains: nobody is a colleague
            ui.cmd("prefs-open")
            page("page again")
            ui.cmd("prefs-set own-domains ")
            ui.cmd("prefs-set no-colleagues 1")
            ui.cmd("prefs-ok")
            closed("page closed")
            like(cli("identity", "own-domain", "list"), r"nobody is a colleague",
                 "'nobody is a colleague' on the page is the store's setting")

            # ---- unload keeps what still waits
            ui.cmd("unload")
            s = ui.wait(lambda s: s.get("unloaded"), 15, "unload")
            ok(s is not None, "unloaded")
            is_(keepwarm_block(cfg).get("ignored_domains"), "notseenyet.example",
                "after unloading, the waiting domain is still in clawsrc")
        finally:
            session.stop()

        log = ""
        for f in os.listdir(cfg):
            if f.startswith("claws.log"):
                with open(os.path.join(cfg, f), errors="replace") as fh:
                    log += fh.read()
        like(log, r"gmail\.com is a free-mail domain", "Claws' log says why gmail.com was not moved")
        like(log, r"not-an-address.*not an e-mail address", "... and why not-an-address was not kept")


if __name__ == "__main__":
    main(run)
