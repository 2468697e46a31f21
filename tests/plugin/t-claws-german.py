#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real Claws Mail under Xvfb in German (LC_ALL=de_DE.UTF-8): the plugin's
panel rows and its hint bar speak German, from the one "keepwarm" catalogue
through the wording module — the same words `keepwarm overdue` prints.
Fixtures (mailbox, Xvfb, Claws config, the test build's hook) are those of
t-claws-e2e.py; the German locale is built with localedef into a temporary
LOCPATH where the system has none. Screenshots: claws-keepwarm-panel-de.png,
claws-keepwarm-prefs-de.png (the preferences page)."""

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


def run():
    t = e2e.Setup("kwclaws-de-")
    kw, so, artifacts, work, password, now = t.kw, t.so, t.artifacts, t.work, t.password, t.now
    lang = kwtest.german_locale(work)
    if lang is None:
        skip_all("no de_DE.UTF-8 locale and no localedef")

    with Dovecot(password=password) as dv:
        acme_uid, uid = None, 0
        for folder, raw, when in e2e.seller_mailbox(now):
            dv.append(folder, raw, date=when)
            if folder == "INBOX":
                uid += 1
                if re.search(r"From: .*<jane@acme\.example>", raw):
                    acme_uid = uid
        session = e2e.ClawsSession(work, dv, password, so, kw, artifacts, lang=lang)
        ui, env, remote = session.ui, session.env, session.remote
        session.start()

        try:
            s = ui.wait(lambda s: s["workers"]["finished"] >= 1 and not s["workers"]["running"], 90,
                        "first sync")
            ok(s is not None, "plugin loaded and the first background sync finished", session.output())
            rows = {r["key"]: r for r in (s or {}).get("rows", [])}
            note("panel rows: " + json.dumps(list(rows.values()), indent=1, ensure_ascii=False))
            acme = rows.get("acme.example")
            ok(acme is not None, "the panel lists ACME")
            if acme:
                like(acme["since"], r"^9[234] Tage$", "ACME: the days since, in German")
                is_(acme["cadence"], "alle 3 Wochen", "ACME: the rhythm, in German")
                like(acme["reason"], r"^Letzter Austausch vor 9[234] Tagen \(\d+\. \w+, mit Jane Doe\); "
                     r"Sie haben üblicherweise alle 3 Wochen Kontakt; \d+ Austausche seit \d{4}\.$",
                     "ACME: the reason, in German")
                # the same words as the command's, for the same store
                r = subprocess.run([kw, "--db", session.db, "overdue", "--format=json"], env=env,
                                   stdout=subprocess.PIPE, text=True)
                cli = {c["key"]: c for c in json.loads(r.stdout or "[]")}
                is_(acme["reason"], cli.get("acme.example", {}).get("reason"),
                    "panel and `keepwarm overdue` word ACME's reason the same way")
            if acme_uid:
                remote("--select", "#imap/%s/INBOX/%d" % (e2e.ACCOUNT, acme_uid))
                s = ui.wait(lambda s: s["hint"] and "Austausch" in s["hint"], 30, "hint")
                like((s or {}).get("hint") or "", r"^Acme — letzter Austausch vor 9[234] Tagen; Sie haben "
                     r"üblicherweise alle 3 Wochen Kontakt$", "the hint bar, in German")
            time.sleep(0.5)
            shot = ui.screenshot("claws-keepwarm-panel-de.png")
            ok(shot is not None, "screenshot saved: %s" % shot)
            # the preferences page, in Claws' own (German) preferences window
            ui.cmd("prefs-open")
            s = ui.wait(lambda s: s["prefs"] is not None, 15, "preferences page")
            ok(s is not None and s["prefs"]["error"] is None, "the preferences page opens, in German")
            is_((s or {}).get("prefs", {}).get("default-cadence"), 60, "... with the built-in default rhythm")
            time.sleep(0.5)
            shot = ui.screenshot("claws-keepwarm-prefs-de.png")
            ok(shot is not None, "screenshot saved: %s" % shot)
            ui.cmd("prefs-ok")
            ok(ui.wait(lambda s: s["prefs"] is None, 15, "page closed") is not None, "OK closes it")
        finally:
            session.stop()


if __name__ == "__main__":
    main(run)
