#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Today section of the Keep warm plugin inside the real Claws Mail (TAP).

Xvfb, a Dovecot holding the seller's mailbox of t-claws-e2e.py, an SMTP sink
on loopback (tests/lib/smtpsink.py), and claws-mail with the plugin (and, when installed, Claws'
vCalendar plugin). What the user sees comes from the plugin's test dump, the
actions go through its command fifo (the functions the context menu and its
dialog call). Checked:
  - the Today rows are exactly `keepwarm today --format=json`;
  - logging a call ticks its row and puts the relationship in touch;
  - a mail sent from Claws (composed, sent over SMTP, saved to the IMAP Sent
    folder) ticks its row at once, before any sync, and the sync after it
    counts the message once;
  - skipping an item ticks it as skipped;
  - a meeting in the vCalendar plugin's calendar ticks its item.
The fixtures are t-claws-e2e.py's (Setup, ClawsSession: the test build of
the plugin, its dump and command fifo, tests/plugin/testhook.c).
Screenshots go to build/test-artifacts/."""
import importlib.util
import json
import os
import subprocess
import sys
import time

THIS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(THIS_DIR), "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

# The fixtures of the main end-to-end test (Claws config, Xvfb, the UI dump).
_spec = importlib.util.spec_from_file_location("claws_e2e", os.path.join(THIS_DIR, "t-claws-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

DAY = 86400
ME, ACCOUNT = e2e.ME, e2e.ACCOUNT
VCAL_SO = "/usr/lib/x86_64-linux-gnu/claws-mail/plugins/vcalendar.so"


def cli_today(db):
    rc, out, err = kwtest.run_keepwarm(["today", "--format=json"], db=db, env={"TZ": "UTC"})
    if rc != 0:
        kwtest.diag("keepwarm today failed: " + err)
        return None
    return json.loads(out)


def shown(item):
    """What a row shows, to compare with the command's JSON."""
    return {k: item.get(k) for k in ("key", "name", "state", "slot", "reason", "done", "how")}


def same_as_cli(ui, db, what):
    s = ui.state()
    cli = cli_today(db)
    if s is None or cli is None:
        return kwtest.ok(False, "%s: the Today rows equal `keepwarm today --format=json`" % what)
    rows = [shown(i) for i in s["today"]["items"]]
    want = [shown(i) for i in cli["items"]]
    kwtest.is_(rows, want, "%s: the Today rows equal `keepwarm today --format=json`" % what)
    kwtest.is_((s["today"]["date"], s["today"]["progress"], s["today"]["streak"]),
               (cli["date"], cli["progress"], cli["streak"]), "%s: the header equals its progress line" % what)
    return s


def item(s, key):
    for i in (s or {}).get("today", {}).get("items", []):
        if i["key"] == key:
            return i
    return None


def run():
    t = e2e.Setup("kwclawstoday-")
    now = t.now
    smtp = SmtpSink()
    kwtest.add_cleanup(smtp.stop)

    with kwtest.Dovecot(password=t.password) as dv:
        for folder, raw, when in e2e.seller_mailbox(now):
            dv.append(folder, raw, date=when)
        for k in range(6):  # one more overdue customer: Umbrella, every 3 weeks, silent 100 days
            t0 = now - (100 + 21 * k) * DAY
            dv.append("INBOX", e2e.message('"Carol Umbrella" <carol@umbrella.example>', ME, "Order %d" % k,
                                           t0, "umb-in%d@kw.test" % k), date=t0)
            dv.append("Sent", e2e.message('"Sam Seller" <%s>' % ME, "carol@umbrella.example",
                                          "Re: Order %d" % k, t0 + 3600, "umb-out%d@kw.test" % k),
                      date=t0 + 3600)
        # Claws queues outgoing mail in the account's IMAP Queue folder
        c = dv.imap()
        try:
            for folder in ("Queue", "Drafts", "Trash"):
                c.create(folder)
        finally:
            c.logout()
        ses = e2e.ClawsSession(t.work, dv, t.password, t.so, t.kw, t.artifacts)
        cfg = ses.cfg
        with open(os.path.join(cfg, "accountrc"), "a") as f:
            f.write("set_smtpport=1\nsmtp_port=%d\nsave_message=1\n" % smtp.port)
        vcal = os.path.exists(VCAL_SO)
        if vcal:
            with open(os.path.join(cfg, "clawsrc")) as f:
                rc_text = f.read()
            with open(os.path.join(cfg, "clawsrc"), "w") as f:
                f.write(rc_text.replace("[Plugins_GTK3]\n", "[Plugins_GTK3]\n%s\n" % VCAL_SO))
        # no coalesced sync behind the test's back: each sync is asked for
        ses.env.update(TZ="UTC", KEEPWARM_PLUGIN_COALESCE_S="600")
        db, ui = ses.db, ses.ui
        ses.start()

        try:
            s = ui.wait(lambda s: s["workers"]["finished"] >= 1 and not s["workers"]["running"]
                        and s["today"]["items"], 90, "first sync and the day's list")
            if not kwtest.ok(s is not None, "the first sync ran and the Today section has items",
                               ses.output()):
                for w in ui.modal_dialogs():
                    kwtest.diag("modal window: %s" % w)
                ui.screenshot("claws-today-failed-start.png")
                return
            note("Today: " + json.dumps(s["today"], indent=1))
            keys = [i["key"] for i in s["today"]["items"]]
            kwtest.is_(keys[:1], ["globex.example"], "the reply owed to Globex comes first")
            kwtest.ok("acme.example" in keys and "bob.builder@gmail.com" in keys,
                      "the overdue customers are listed", keys)
            kwtest.ok("initech.example" not in keys, "a customer in touch is not", keys)
            kwtest.like(s["today"]["progress"], r"^Today: 0 of \d+ done · about \d+ minutes left$",
                        "the header is the progress line")
            same_as_cli(ui, db, "after the first sync")
            ui.screenshot("claws-today.png")

            # ---- a call logged from the menu: ticked, and the relationship in touch
            row = keys.index("acme.example")
            ui.cmd("today-log %d call" % row)
            s = ui.wait(lambda s: (item(s, "acme.example") or {}).get("done"), 15, "the call's tick")
            acme = item(s, "acme.example") or {}
            kwtest.is_((acme.get("done"), acme.get("how"), acme.get("state")), (True, "call", "ok"),
                       "logging a call ticks ACME's row and puts it in touch")
            rc, out, err = kwtest.run_keepwarm(["overdue", "--all", "--format=json"], db=db)
            rel = {r["key"]: r for r in json.loads(out)}.get("acme.example", {}) if rc == 0 else {}
            kwtest.is_(rel.get("state"), "ok", "`keepwarm overdue` agrees: ACME is in touch")
            kwtest.is_(rel.get("why", {}).get("last_exchange_source"), "call", "... by a call")
            same_as_cli(ui, db, "after the call")

            # ---- a mail sent from Claws: ticked at once, before any sync
            before = ui.state()["workers"]["finished"]
            ui.cmd("send bob.builder@gmail.com How is the new site going?")
            s = ui.wait(lambda s: (item(s, "bob.builder@gmail.com") or {}).get("done"), 60, "the mail's tick")
            bob = item(s, "bob.builder@gmail.com") or {}
            kwtest.is_((bob.get("done"), bob.get("how")), (True, "mail"),
                       "sending Bob a mail from Claws ticks his row")
            kwtest.is_(s and s["workers"]["finished"], before, "... before any sync ran")
            kwtest.ok(s is not None and not s["workers"]["running"], "... with no sync running")
            kwtest.ok(smtp.wait(lambda msgs: any("bob.builder@gmail.com" in " ".join(m["to"]) for m in msgs), 15),
                      "the message really went out over SMTP", smtp.messages[:1])
            same_as_cli(ui, db, "after the mail")
            ui.screenshot("claws-today-ticked.png")
            rc, outb, err = kwtest.contacts_json(db)
            out_before = kwtest.contacts_by_email(outb).get("bob.builder@gmail.com", {}).get("outbound")
            ui.cmd("sync")
            s = ui.wait(lambda s: s["workers"]["finished"] > before and not s["workers"]["running"], 60,
                        "the sync after the mail")
            kwtest.ok(s is not None, "a sync ran after the mail")
            rc, outa, err = kwtest.contacts_json(db)
            out_after = kwtest.contacts_by_email(outa).get("bob.builder@gmail.com", {}).get("outbound")
            kwtest.is_(out_after, out_before, "the sync of the Sent folder counts the message once")
            kwtest.is_((item(s, "bob.builder@gmail.com") or {}).get("how"), "mail", "... and it stays ticked")

            # ---- skip
            s = ui.state()
            left = [i for i in s["today"]["items"] if not i["done"] and i["key"] != "globex.example"]
            if left:
                k = left[0]["key"]
                ui.cmd("today-skip %d" % [i["key"] for i in s["today"]["items"]].index(k))
                s = ui.wait(lambda s: (item(s, k) or {}).get("how") == "skipped", 15, "the skip")
                kwtest.ok(s is not None, "skipping %s ticks it as skipped" % k)
            else:
                kwtest.skip("nothing left to skip")

            # ---- a meeting in the vCalendar plugin's calendar
            if vcal:
                # a meeting that has taken place today (UTC, the test's TZ): an hour
                # ago, or, in the first hour of the day, since midnight
                t_now = int(time.time())
                midnight = t_now // 86400 * 86400
                start, length = (t_now - 3600, 3600) if t_now - 3600 >= midnight else \
                    (midnight + (t_now - midnight) // 3, max(1, (t_now - midnight) // 3))
                when = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start))
                os.makedirs(os.path.join(cfg, "vcalendar"), exist_ok=True)
                with open(os.path.join(cfg, "vcalendar", "internal.ics"), "w") as f:
                    f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Claws Mail//test//EN\r\n"
                            "BEGIN:VEVENT\r\nUID:globex-visit@test\r\nDTSTART:%s\r\nDURATION:PT%dS\r\n"
                            "ORGANIZER:mailto:%s\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:Hank@Globex.example\r\n"
                            "SUMMARY:Quote walkthrough\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % (when, length, ME))
                ui.cmd("refresh")
                s = ui.wait(lambda s: (item(s, "globex.example") or {}).get("how") == "meeting", 30,
                            "the calendar's meeting")
                kwtest.ok(s is not None, "a meeting in the vCalendar plugin's calendar ticks Globex")
                rc, out, err = kwtest.run_keepwarm(["touches", "globex.example", "--format=json"], db=db)
                kwtest.like(out, r'"origin" : "calendar"', "... imported as a calendar touch")
            else:
                kwtest.skip("Claws' vCalendar plugin is not installed", 2)
            same_as_cli(ui, db, "at the end")
            kwtest.ok(not ui.modal_dialogs(), "no dialog was left open")
            ui.screenshot("claws-today-end.png")
        finally:
            ses.stop()


if __name__ == "__main__":
    main(run)
