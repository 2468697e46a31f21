#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A seller's first week in the real Claws Mail (issue 15), in English and in
German, under Xvfb with a Dovecot on loopback and the plugin's test hook:

- the question a customer asked 45 days ago and nobody answered is the first
  row (above every overdue one), and the hint bar on it offers Reply;
- the out-of-office reply says until when the customer is away and offers to
  snooze until then;
- rows show people by name and the reason without a tooltip; a legend says
  what the colours mean; a narrow panel gives the width to the names;
- every action is confirmed with an Undo, and the list keeps its place;
- the snoozed and ignored are one click away, and can be brought back;
- the rhythm dialog opens at the current rhythm and changes nothing on OK;
- Details is a dialog with the timeline, an editable note and actions;
- "Show their messages" finds them in every folder the sync reads.

Fixtures are those of t-claws-e2e.py (Setup, ClawsSession: the test build
of the plugin, its dump and command fifo, tests/plugin/testhook.c), which
drives the dialogs and menus through their widgets as a user would.
Screenshots: build/test-artifacts/claws-ux-*-{en,de}.png."""

import importlib.util
import json
import os
import re
import subprocess
import sys
import time

PLUGIN_TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(PLUGIN_TESTS, "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402

_spec = importlib.util.spec_from_file_location("claws_e2e", os.path.join(PLUGIN_TESTS, "t-claws-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

DAY = 86400
ME = e2e.ME


def mailbox(now):
    """The e2e seller's mailbox, plus a forgotten question and an
    out-of-office. Returns the messages and the UIDs of interest in INBOX."""
    msgs = list(e2e.seller_mailbox(now))
    n = [1000]

    def add(folder, frm, to, subject, when, extra=""):
        n[0] += 1
        msgs.append((folder, e2e.message(frm, to, subject, when, "ux%d@kw.test" % n[0], extra), when))

    # Quinn: fortnightly until 70 days ago, then a question 45 days ago: no answer
    t = now - (70 + 14 * 15) * DAY
    while t <= now - 70 * DAY + 1:
        add("INBOX", '"Quinn Fragen" <quinn@question.example>', ME, "Lieferung", t)
        add("Sent", '"Sam Seller" <%s>' % ME, "quinn@question.example", "Re: Lieferung", t + 3600)
        t += 14 * DAY
    add("INBOX", '"Quinn Fragen" <quinn@question.example>', ME, "Frage zur Lieferung", now - 45 * DAY)
    # Hugo: monthly until 40 days ago; an offer 9 days ago answered only by
    # his out-of-office, which says until when
    t = now - (40 + 30 * 10) * DAY
    while t <= now - 40 * DAY + 1:
        add("INBOX", '"Hugo Away" <hugo@ooo.example>', ME, "Projekt", t)
        add("Sent", '"Sam Seller" <%s>' % ME, "hugo@ooo.example", "Re: Projekt", t + 3600)
        t += 30 * DAY
    add("Sent", '"Sam Seller" <%s>' % ME, "hugo@ooo.example", "Angebot", now - 9 * DAY)
    until = time.strftime("%d.%m.%Y", time.gmtime(now + 5 * DAY))
    add("INBOX", '"Hugo Away" <hugo@ooo.example>', ME, "Automatische Antwort: Abwesend bis %s" % until,
        now - 9 * DAY + 600, "Auto-Submitted: auto-replied\r\n")
    msgs.sort(key=lambda m: m[2])
    uids, uid = {}, 0
    for folder, raw, _when in msgs:
        if folder == "INBOX":
            uid += 1
            subject = re.search(r"Subject: (.*)\r\n", raw).group(1)
            uids[subject] = uid  # the last one of each subject
    return msgs, uids


class Session:
    """One Claws Mail with the plugin, in one language (`lang`: None for
    English, else kwtest.german_locale's variables)."""

    def __init__(self, t, work, dv, lang):
        self.claws = e2e.ClawsSession(work, dv, t.password, t.so, t.kw, t.artifacts, lang=lang)
        self.kw, self.env, self.db, self.ui = t.kw, self.claws.env, self.claws.db, self.claws.ui
        self.env.pop("COLUMNS", None)
        self.remote = self.claws.remote
        self.claws.start()

    def output(self):
        return self.claws.output(2000)

    def cli(self, *args):
        r = subprocess.run([self.kw, "--db", self.db] + list(args), env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r.returncode, r.stdout, r.stderr

    def cmd(self, line, pred, what, timeout=20):
        """Send a test-hook command and wait for the dump to show its effect."""
        self.ui.cmd(line)
        return self.ui.wait(pred, timeout, what)

    def shot(self, name):
        time.sleep(0.6)
        return self.ui.screenshot(name)

    def close(self):
        self.claws.stop()


def keys(s):
    return [r["key"] for r in (s or {}).get("rows", [])]


def row_of(s, key):
    for i, r in enumerate((s or {}).get("rows", [])):
        if r["key"] == key:
            return i, r
    return None, None


WORDS = {
    "en": {"legend": r"awaiting your reply.*overdue", "reply": "Reply", "settle": "No reply needed",
           "back": "Snooze until back", "follow": "Follow up…", "away": r"Hugo Away is away until \w{3} \d+ \w{3}",
           "ignored": "Ignored %s.", "undone": "Undone: Ignored %s.", "snoozed": r"^Snoozed Globex until ",
           "rhythm": "Rhythm of Acme: every month.", "note": "Note saved for Acme.",
           "learn_now": r"now: every 3 weeks", "overdue_too": r"overdue too: last exchange"},
    "de": {"legend": r"wartet auf Ihre Antwort.*überfällig", "reply": "Antworten",
           "settle": "Keine Antwort nötig", "back": "Zurückstellen bis zurück", "follow": "Nachfassen…",
           "away": r"Hugo Away ist abwesend bis \w{2}\. \d+\. \w{3}", "ignored": "%s ignoriert.",
           "undone": "Rückgängig gemacht: %s ignoriert.", "snoozed": r"^Globex ist zurückgestellt bis ",
           "rhythm": "Rhythmus von Acme: jeden Monat.", "note": "Notiz für Acme gespeichert.",
           "learn_now": r"jetzt: alle 3 Wochen", "overdue_too": r"auch überfällig: letzter Austausch"},
}


def hidden_count(s):
    """The number on the "Snoozed & ignored (N)" toggle."""
    m = re.search(r"\((\d+)\)", (s or {}).get("hidden_toggle") or "")
    return int(m.group(1)) if m else None


def session(lang_name, t, dv, uids):
    """The whole first week, in one language; every check is named with it."""
    w = WORDS[lang_name]
    work = tmpdir("kwux-%s-" % lang_name)
    lang = None
    if lang_name == "de":
        lang = kwtest.german_locale(work)
        if lang is None:
            skip("no de_DE.UTF-8 locale and no localedef: German not checked")
            return
    ses = Session(t, work, dv, lang)
    L = lambda text: "%s: %s" % (lang_name, text)  # noqa: E731
    try:
        s = ses.ui.wait(lambda s: s["workers"]["finished"] >= 1 and not s["workers"]["running"]
                        and s["rows"], 90, "first sync")
        if not ok(s is not None, L("plugin loaded and the first sync finished"),
                  ses.output()):
            return
        rows = s["rows"]
        note(json.dumps(rows, indent=1, ensure_ascii=False))

        # ---- the forgotten question first, never forgotten ------------------
        is_(rows[0]["key"], "question.example", L("the unanswered question is the first row"))
        is_(rows[0]["state"], "awaiting-your-reply", L("... awaiting your reply"))
        like(rows[0]["reason"], w["overdue_too"], L("... and the reason says it is overdue too"))
        states = [r["state"] for r in rows]
        first_overdue = states.index("overdue") if "overdue" in states else len(states)
        ok(all(st.startswith("awaiting") for st in states[:first_overdue]) and
           "awaiting-your-reply" not in states[first_overdue:],
           L("owed replies rank above every overdue row"), states)
        i, acme = row_of(s, "acme.example")
        ok(acme is not None and acme["people"] == "Jane Doe", L("the people by name, not address"),
           acme)
        ok(all(r["reason"] for r in rows), L("every row carries its reason (shown under the name)"))
        like(s.get("legend") or "", w["legend"], L("a legend says what the colours mean"))

        ses.remote("--select", "#imap/%s/INBOX/%d" % (e2e.ACCOUNT, uids["Frage zur Lieferung"]))
        s = ses.ui.wait(lambda s: s["hint"] and s["hint_buttons"][0] == w["reply"], 30, "hint reply")
        ok(s is not None, L("the hint on the very unanswered mail offers Reply"),
           ses.ui.state() and ses.ui.state().get("hint_buttons"))
        is_((s or {}).get("hint_buttons", [None, None])[1], w["settle"],
            L("... and 'No reply needed'"))

        # ---- the out-of-office ---------------------------------------------
        ses.remote("--select", "#imap/%s/INBOX/%d" % (e2e.ACCOUNT, [v for k, v in uids.items()
                                                                 if k.startswith("Automatische")][0]))
        s = ses.ui.wait(lambda s: s["hint"] and "Hugo" in s["hint"], 30, "hint away")
        like((s or {}).get("hint") or "", w["away"], L("the hint says the customer is away, and until when"))
        is_((s or {}).get("hint_buttons"), [w["back"], w["follow"]],
            L("... offering to snooze until back, or to follow up"))
        ses.shot("claws-ux-panel-%s.png" % lang_name)

        # ---- an action is confirmed, with an Undo; the list keeps its place -
        s = ses.ui.state()
        i, acme = row_of(s, "acme.example")
        before = keys(s)
        s = ses.cmd("menu %d ignore-domain" % i, lambda s: "acme.example" not in keys(s), "ignore acme")
        ok(s is not None, L("Ignore domain takes Acme off the list"))
        is_((s or {}).get("confirmation"), w["ignored"] % "Acme", L("... confirmed in words"))
        ok((s or {}).get("can_undo"), L("... with an Undo"))
        is_((s or {}).get("selected"), min(i, len(before) - 2), L("... and the same place stays selected"))
        is_(hidden_count(s), 1, L("... and it is counted among the snoozed & ignored"))
        ses.shot("claws-ux-confirm-%s.png" % lang_name)
        s = ses.cmd("undo", lambda s: "acme.example" in keys(s), "undo")
        ok(s is not None, L("Undo brings Acme back"))
        is_((s or {}).get("confirmation"), w["undone"] % "Acme", L("... and says so"))
        is_(keys(s), before, L("... in its place"))
        rc, out, err = ses.cli("undo", "--list")
        like(out, r"acme\.example", L("the plugin's action is in the store's action log"))

        # ---- the snoozed & ignored view brings them back --------------------
        i, _ = row_of(s, "globex.example")
        s = ses.cmd("menu %d snooze-week" % i, lambda s: "globex.example" not in keys(s), "snooze")
        like((s or {}).get("confirmation") or "", w["snoozed"], L("snoozing is confirmed with the day"))
        s = ses.cmd("view hidden", lambda s: s["view"] == "hidden" and "globex.example" in keys(s),
                    "hidden view")
        ok(s is not None, L("the snoozed & ignored view lists the snoozed customer"))
        ses.shot("claws-ux-hidden-%s.png" % lang_name)
        s = ses.cmd("menu 0 bring-back", lambda s: "globex.example" not in keys(s), "wake up")
        ok(s is not None, L("... and wakes it up"))
        s = ses.cmd("view attention", lambda s: s["view"] == "attention" and "globex.example" in keys(s),
                    "back")
        ok(s is not None, L("... back on the list"))

        # ---- the rhythm dialog: at the current value, nothing changed on OK -
        i, acme = row_of(s, "acme.example")
        if i is None:
            note("rows now: %s" % keys(s))
            note(ses.cli("overdue", "--all", "--wide")[1])
            note(ses.cli("undo", "--list", "--wide")[1])
            s2 = ses.cmd("refresh", lambda s: True, "refresh")
            note("after refresh: %s hidden %s" % (keys(s2), hidden_count(s2)))
            s2 = ses.cmd("view hidden", lambda s: s["view"] == "hidden", "hidden")
            note("hidden: %s" % json.dumps(s2["rows"], indent=1))
            return
        s = ses.cmd("menu %d cadence" % i, lambda s: s["cadence_dialog"], "cadence dialog")
        c = (s or {}).get("cadence_dialog") or {}
        is_(c.get("days"), 21, L("the rhythm dialog opens at the learned 21 days"))
        ok(c.get("learn"), L("... with 'learn' ticked"))
        like(c.get("learn_label") or "", w["learn_now"], L("... saying what it learned"))
        ses.shot("claws-ux-cadence-%s.png" % lang_name)
        log_before = ses.cli("undo", "--list")[1]
        s = ses.cmd("dialog cadence-ok", lambda s: not s["cadence_dialog"], "cadence ok")
        is_(ses.cli("undo", "--list")[1], log_before, L("OK without a change changes nothing"))
        rc, out, err = ses.cli("show", "acme.example", "--format=json")
        is_(json.loads(out or "{}").get("cadence_source"), "learned", L("... the rhythm is still learned"))
        ses.cmd("menu %d cadence" % i, lambda s: s["cadence_dialog"], "cadence dialog again")
        ses.ui.cmd("dialog cadence-days 30")
        s = ses.cmd("dialog cadence-ok", lambda s: not s["cadence_dialog"] and s["confirmation"]
                    and "Acme" in s["confirmation"], "cadence set")
        is_((s or {}).get("confirmation"), w["rhythm"], L("a changed rhythm is confirmed"))
        rc, out, err = ses.cli("show", "acme.example", "--format=json")
        is_(json.loads(out or "{}").get("cadence_days"), 30, L("... and stored"))
        s = ses.cmd("menu %d cadence" % i, lambda s: s["cadence_dialog"], "cadence dialog third")
        c = (s or {}).get("cadence_dialog") or {}
        ok(c.get("days") == 30 and not c.get("learn"), L("reopened: your 30 days, 'learn' not ticked"), c)
        ses.cmd("dialog cadence-cancel", lambda s: not s["cadence_dialog"], "cadence cancel")

        # ---- Details: a dialog with the timeline, the note, the actions ------
        s = ses.cmd("menu %d details" % i, lambda s: s["details_dialog"], "details")
        d = (s or {}).get("details_dialog") or {}
        like(d.get("title") or "", r"^Acme — Keep warm$", L("Details opens for Acme"))
        ok(d.get("timeline", 0) >= 10, L("... with the timeline"), d.get("timeline"))
        ok({"write", "snooze", "ignore", "rhythm", "close"} <= set(d.get("buttons", [])),
           L("... and the actions"), d.get("buttons"))
        ses.ui.cmd("dialog details-note Call about the renewal in March")
        s = ses.cmd("dialog details-save", lambda s: s["confirmation"] == w["note"], "note saved")
        ok(s is not None, L("the note saved from Details is confirmed"))
        rc, out, err = ses.cli("show", "acme.example", "--format=json")
        is_(json.loads(out or "{}").get("note"), "Call about the renewal in March", L("... and stored"))
        ses.shot("claws-ux-details-%s.png" % lang_name)
        ses.cmd("dialog details-button close", lambda s: not s["details_dialog"], "details closed")

        # ---- their messages in every folder the sync reads -------------------
        s = ses.cmd("menu %d messages" % i, lambda s: s["messages_dialog"], "messages", timeout=60)
        m = (s or {}).get("messages_dialog") or {}
        ok(m.get("count", 0) >= 20, L("their messages: from Inbox and Sent"), m)
        numbers = [int(x) for x in re.findall(r"\d+", m.get("summary") or "")]
        ok(len(numbers) == 2 and numbers[0] == m.get("count") and numbers[1] >= 2,
           L("... searched in every folder the sync reads, and it says so"), m)
        ses.cmd("dialog close-all", lambda s: not s["messages_dialog"], "closed")

        # ---- a narrow panel gives the width to the names ----------------------
        s = ses.cmd("folder-width 230", lambda s: s["narrow"], "narrow")
        ok(s is not None, L("in a narrow panel the extra columns give way to the names"))
        ses.shot("claws-ux-narrow-%s.png" % lang_name)
        s = ses.cmd("folder-width 520", lambda s: not s["narrow"], "wide")
        ok(s is not None, L("... and come back when there is room"))
    finally:
        ses.close()


def run():
    t = e2e.Setup("kwux-")
    msgs, uids = mailbox(t.now)
    with Dovecot(password=t.password) as dv:
        for folder, raw, when in msgs:
            dv.append(folder, raw, date=when)
        session("en", t, dv, uids)
        if not os.environ.get("KW_UX_EN_ONLY"):
            session("de", t, dv, uids)


if __name__ == "__main__":
    main(run)
