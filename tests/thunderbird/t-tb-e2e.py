#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end test of the keepwarm add-on inside the real Thunderbird (TAP).

A private D-Bus session with a throwaway gnome-keyring, Xvfb, a Dovecot on
loopback holding a small seller's mailbox, an SMTP sink, and Thunderbird 153
with a fresh profile: one IMAP account, the add-on (build/thunderbird/
keepwarm.xpi) in place before the first start, the stored IMAP login, and the
host manifest written by `keepwarm setup-thunderbird` (build/keepwarm).
Thunderbird is driven and read through Marionette (chrome scripts; the
add-on's own pages through frame scripts); screenshots go to
build/test-artifacts/tb-*.png.

English run:
  the add-on is active; the options page (prefilled from Thunderbird's
  identity) takes the IMAP password, the host keeps it in the keyring and
  syncs; the badge equals Today's open items as the host counts them; the
  banner above a tracked customer's message equals the hint keepwarm gives
  for that sender, and there is none above a newsletter; the popup shows
  Today as the host keeps it (items in order, the progress line), and its
  Skip button marks an item (the badge follows); the space opens on Today,
  lists everything needing attention, shows the weekly review week by week
  and one relationship's details; "Write" in the banner opens a compose
  window to the customer, sending it through the SMTP sink makes the add-on
  hand the sent message to the host (record-sent), which ticks ACME's Today
  item at once, with no sync; the later sync of the Sent folder counts it
  once; new mail in the INBOX makes the add-on sync and keepwarm has the
  message (waited for, not timed); with the host manifest removed, the popup
  says keepwarm is not installed and the badge shows "!".
German run (a second profile, Thunderbird in German): badge title, banner,
  buttons, popup and space in German, screenshots.
Finally: the password appears in no keepwarm file and in no process's
command line or environment.
"""
import json
import os
import re
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import gen_mailbox  # noqa: E402
import tbtest  # noqa: E402
from guitest import (ProcWatcher, files_containing, need, rerun_in_dbus_session, start_keyring,  # noqa: E402
                     start_xvfb)
from kwhost import host_request  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

ME = "seller@mycompany.example"
ID = tbtest.EXTENSION_ID

# Chrome-side snippets.
ACTION_BUTTON = 'document.querySelector(\'[extension="%s"]\')' % ID
MESSAGE_DOC = ('document.getElementById("tabmail").currentAbout3Pane.messageBrowser.contentWindow'
               '.getMessagePaneBrowser().contentDocument')


class Ctx:
    pass


def host(ctx, cmd, **params):
    """Ask the host exactly as the add-on does (same HOME, same files)."""
    return host_request(cmd, env=ctx.host_env, **params)


def log_lines(ctx):
    try:
        with open(ctx.host_log, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def wait_log(ctx, regex, after=0, timeout=60):
    """Wait for a host log line matching regex among the lines after `after`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for line in log_lines(ctx)[after:]:
            if re.search(regex, line):
                return line
        time.sleep(0.2)
    return None


def screenshot(ctx, name):
    path = os.path.join(ctx.artifacts, name)
    subprocess.run(["import", "-window", "root", path], env=dict(os.environ, DISPLAY=ctx.display),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    ok(os.path.exists(path), "screenshot %s" % path)


def badge(tb):
    return tb.m.js("const b = %s; return b ? [b.getAttribute('badge') || '', b.title] : null;" % ACTION_BUTTON)


def show_message(tb, author, timeout=90):
    """Select the newest message of `author` in the current folder and wait
    until the message pane displays it (selecting again while Thunderbird is
    still loading the folder). Its Message-ID, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        mid = tb.wait_js("""
            const about3Pane = document.getElementById("tabmail").currentAbout3Pane;
            let best = null;
            for (const hdr of about3Pane.gFolder.messages)
                if (hdr.author.includes(arguments[0]) && (!best || hdr.date > best.date)) best = hdr;
            if (!best) return null;
            about3Pane.selectMessage(best);
            return best.messageId;
        """, author, timeout=max(1, end - time.monotonic()), what="a message from %s" % author)
        if not mid:
            return None
        if tb.wait_js("""
            const w = document.getElementById("tabmail").currentAbout3Pane.messageBrowser.contentWindow;
            return w.gMessage && w.gMessage.messageId == arguments[0] && w.document.readyState == "complete"
                && %s.body != null;
        """ % MESSAGE_DOC, mid, timeout=min(15, max(1, end - time.monotonic())), what="message %s" % mid):
            return mid
    return None


def banner(tb):
    return tb.m.js("""
        const b = %s.getElementById("keepwarm-banner");
        return b ? {text: b.querySelector(".keepwarm-banner-text").textContent,
                    buttons: [...b.querySelectorAll("button")].map(x => x.textContent)} : null;
    """ % MESSAGE_DOC)


def open_popup(ctx, tb):
    """The popup, opened with its keyboard shortcut (Ctrl+Shift+Y) as a user would."""
    xenv = dict(os.environ, DISPLAY=ctx.display)
    win = subprocess.run(["xdotool", "search", "--name", "Mozilla Thunderbird"], env=xenv,
                         stdout=subprocess.PIPE, text=True).stdout.split()
    if win:
        subprocess.run(["xdotool", "windowfocus", "--sync", win[0]], env=xenv, timeout=10)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+shift+y"], env=xenv, timeout=10)
    p = tb.wait_content(tb.POPUP, """
        const d = content.document;
        const rows = [...d.querySelectorAll("#today-list .kw-row")].map(r => r.dataset.key);
        const problem = d.getElementById("problem");
        if (!rows.length && problem.hidden && d.getElementById("today-empty").hidden) return null;
        return {rows, problem: problem.hidden ? null : problem.innerText, text: d.body.innerText,
                progress: d.getElementById("today-progress").textContent};
    """, timeout=30, what="the popup")
    if p is None:
        note("popup state: %s" % tb.m.js("""
            return [[...document.querySelectorAll("panel")].filter(p => p.state != "closed").map(p => p.id + " " + p.state),
                    [...document.querySelectorAll("browser")].map(b => (b.getAttribute("webextension-view-type") || b.id)
                     + " " + (b.currentURI && b.currentURI.spec))];
        """))
    return p


def close_popup(tb):
    tb.m.js("""
        for (const p of document.querySelectorAll("panel.webextension-popup-panel")) p.hidePopup();
        return 1;
    """)


def set_up_account(ctx, tb):
    """The options page, as a user fills it in."""
    url = tb.m.js('return WebExtensionPolicy.getByID(arguments[0]).getURL("options.html");', ID)
    tb.m.js('document.getElementById("tabmail").openTab("contentTab", {url: arguments[0]}); return 1;', url)
    page = tb.page("options.html")
    form = tb.wait_content(page, """
        const d = content.document;
        if (d.getElementById("form-section").hidden || !d.getElementById("identity").options.length) return null;
        return {me: d.getElementById("me").value, user: d.getElementById("user").value,
                identity: d.getElementById("identity").value, host_placeholder: d.getElementById("host").placeholder};
    """, timeout=30, what="the options form")
    ok(form is not None, "the options page asks for an account (no keepwarm config yet)")
    if not form:
        return False
    is_((form["identity"], form["me"], form["user"]), (ME, ME, ME),
        "prefilled from Thunderbird's identity: address, your addresses, user name")
    is_(form["host_placeholder"], "imap.mycompany.example", "and a guess for the server")
    before = len(log_lines(ctx))
    tb.content(page, """
        const [port, password] = args;
        const d = content.document;
        d.getElementById("host").value = "127.0.0.1";
        d.getElementById("security").value = "none";
        d.getElementById("port").value = String(port);
        d.getElementById("user").value = "seller";
        d.getElementById("password").value = password;
        d.getElementById("account-form").requestSubmit();
        return 1;
    """, ctx.dv.port, ctx.password)
    ok(wait_log(ctx, r"set-account: \[account Work\] written", before, 30),
       "the host stored the account 'Work' (named as in Thunderbird)")
    line = wait_log(ctx, r"sync id=\S+ (ok|error)", before, 90)
    ok(line and " ok " in line, "and the add-on ran a sync through the host", line)
    status = tb.wait_content(page, """
        const d = content.document;
        return d.getElementById("password").value === "" && !d.getElementById("accounts-section").hidden
            ? d.body.innerText : null;
    """, timeout=30, what="the options page after saving")
    ok(status and "password in the desktop keyring" in status, "the page lists the account, password in the keyring",
       status)
    done = tb.wait_content(page, """
        const box = content.document.getElementById("form-status");
        return !box.hidden && box.innerText.includes("is set up") ? box.innerText : null;
    """, timeout=60, what="the outcome of the first sync")
    like(done, r"“Work” is set up: keepwarm has read your mail", "and says the first sync went well")
    screenshot(ctx, "tb-options-%s.png" % ctx.lang)
    with open(ctx.config) as f:
        text = f.read()
    ok("[account Work]" in text and ctx.password not in text and "password_cmd" not in text,
       "config has [account Work] and no password", text)
    tb.m.js('const t = document.getElementById("tabmail"); t.closeTab(t.currentTabInfo); t.switchToTab(0); return 1;')
    return True


def today_open(ctx):
    t = host(ctx, "today", lang=ctx.lang)["result"]
    return t["size"] - t["done"]


def check_badge(ctx, tb):
    want = today_open(ctx)
    title = (("keepwarm: %d open for today" if ctx.lang == "en" else "keepwarm: heute noch %d offen") % want
             if want else ctx.words["badge_nothing"])
    # The text and the tooltip are set one after the other: wait for both.
    b = tb.wait_js("const b = %s; return b && b.getAttribute('badge') == arguments[0] && b.title == arguments[1];"
                   % ACTION_BUTTON, str(want) if want else "", title, timeout=60, what="the badge")
    ok(b, "the badge shows %s, Today's open items, and says so: '%s'" % (want, title), badge(tb))
    return want


def check_banner(ctx, tb):
    ok(show_message(tb, "jane@acme.example"), "a message from ACME's Jane is displayed")
    want = host(ctx, "for-sender", address="jane@acme.example", lang=ctx.lang)["result"]["relationship"]["hint"]
    got = tb.wait_js("const b = %s.getElementById('keepwarm-banner'); return b ? b.textContent : null;"
                     % MESSAGE_DOC, timeout=30, what="the banner")
    b = banner(tb)
    is_(b and b["text"], want, "the banner equals the hint keepwarm gives for jane@acme.example")
    is_(b and b["buttons"], ctx.words["buttons"], "with the buttons Reply / Write / Log call / Snooze")
    if got:
        screenshot(ctx, "tb-banner-%s.png" % ctx.lang)

    before = len(log_lines(ctx))
    ok(show_message(tb, "news@lists.example"), "a newsletter is displayed")
    ok(wait_log(ctx, r"for-sender id=\S+ ok", before, 30), "the add-on asked keepwarm about its sender")
    time.sleep(0.5)
    is_(banner(tb), None, "no banner above the newsletter")


def check_popup(ctx, tb, total):
    p = open_popup(ctx, tb)
    ok(p is not None, "the popup opens")
    if not p:
        return
    today = host(ctx, "today", lang=ctx.lang)["result"]
    is_(p["rows"], [i["key"] for i in today["items"]], "the popup lists Today's items as the host keeps them, in order")
    ok(ctx.words["today"] in p["text"], "popup heading: %s" % ctx.words["today"], p["text"][:300])
    is_(p["progress"], today["progress"], "with the host's progress line in the add-on's language")
    time.sleep(0.3)
    screenshot(ctx, "tb-popup-%s.png" % ctx.lang)
    if ctx.lang == "en":
        # Skip an open item other than ACME's (the send below ticks ACME's).
        target = [i["key"] for i in today["items"] if not i["done"] and i["key"] != "acme.example"][:1]
        ok(target, "Today has an open item besides ACME", today["items"])
        if target:
            tb.content(tb.POPUP, """
                content.document.querySelector('#today-list .kw-row[data-key="' + args[0] + '"]'
                                                + ' button[data-action="skip"]').click(); return 1;""", target[0])
            got = tb.wait_content(tb.POPUP, """
                const r = content.document.querySelector('#today-list .kw-row[data-key="' + args[0] + '"]');
                return r && r.classList.contains("kw-handled") ? r.innerText : null;""", target[0],
                                  timeout=30, what="the skipped row")
            ok(got and "skipped" in got, "the popup's Skip marks %s skipped (✓ skipped)" % target[0], got)
            t = host(ctx, "today")["result"]
            is_([i["how"] for i in t["items"] if i["key"] == target[0]], ["skipped"],
                "the host's Today has it skipped")
            check_badge(ctx, tb)
    # "Open keepwarm": the space with the full view, then one relationship's details.
    tb.content(tb.POPUP, 'content.document.getElementById("open-space").click(); return 1;')
    space = tb.page("space.html")
    rows = tb.wait_content(space, """
        const rows = [...content.document.querySelectorAll(".kw-today-item")].map(r => r.dataset.key);
        return rows.length ? rows : null;
    """, timeout=30, what="the space's Today")
    is_(rows, [i["key"] for i in host(ctx, "today")["result"]["items"]], "the space opens on Today")
    review = host(ctx, "review", weeks=8, lang=ctx.lang)["result"]
    tb.content(space, 'content.document.querySelector(\'#views button[data-view="review"]\').click(); return 1;')
    weeks = tb.wait_content(space, """
        const rows = [...content.document.querySelectorAll(".kw-review tbody tr")]
            .map(r => [...r.querySelectorAll("td")].map(c => c.textContent));
        return rows.length ? {rows, trend: content.document.querySelector(".kw-trend").textContent} : null;
    """, timeout=30, what="the weekly review")
    is_(weeks and weeks["rows"], [[w["week"], "%d / %d" % (w["done"], w["listed"]), str(w["skipped"]),
                                   str(w["brought_back"]), str(w["overdue_end"])] for w in reversed(review["weeks"])],
        "the space's weekly review shows the host's eight weeks, newest first")
    ok(weeks and review["overdue_sparkline"] in weeks["trend"] and ctx.words["trend"] in weeks["trend"],
       "with the overdue trend line", weeks and weeks["trend"])
    time.sleep(0.3)
    screenshot(ctx, "tb-review-%s.png" % ctx.lang)
    tb.content(space, 'content.document.querySelector(\'#views button[data-view="attention"]\').click(); return 1;')
    rows = tb.wait_content(space, """
        const rows = [...content.document.querySelectorAll(".kw-row:not(.kw-today-item)")].map(r => r.dataset.key);
        return rows.length ? rows : null;
    """, timeout=30, what="the space's list")
    is_(rows, [r["key"] for r in host(ctx, "overdue", limit=1000)["result"]["items"]],
        "the space lists every relationship needing attention")
    if not rows:
        return
    tb.content(space, 'content.document.querySelector(".kw-row strong").click(); return 1;')
    details = tb.wait_content(space, """
        const d = content.document;
        const items = d.querySelectorAll("#d-timeline li").length;
        return !d.getElementById("details").hidden && items ? {title: d.getElementById("d-title").textContent,
            timeline: items, text: d.getElementById("details").innerText} : null;
    """, timeout=30, what="the details of %s" % rows[0])
    show = json.loads(run_keepwarm(["show", rows[0], "--format=json"], db=ctx.db)[1])
    ok(details and details["timeline"] == len(show["timeline"]),
       "the details show %s's history (%s touches)" % (rows[0], details and details["timeline"]))
    rel = host(ctx, "relationship", target=rows[0], lang=ctx.lang)["result"]["relationship"]
    ok(details and rel["reason"] in details["text"],
       "and the reason keepwarm gives, in the add-on's language with its dates: %s" % rel["reason"],
       details and details["text"])
    if ctx.lang == "de" and ctx.host_env.get("LC_ALL") == "de_DE.UTF-8":
        # (April, August, September and November are German too)
        ok(not re.search(r"\b(January|February|March|May|June|July|October|December)\b",
                         details["text"] if details else ""), "no English month in German",
           details and details["text"])
    time.sleep(0.3)
    screenshot(ctx, "tb-space-%s.png" % ctx.lang)
    tb.m.js('const t = document.getElementById("tabmail"); t.closeTab(t.currentTabInfo); t.switchToTab(0); return 1;')


def check_send(ctx, tb):
    """Write from the banner, send through the SMTP sink; the host hears of it
    and the sent message reaches the store."""
    show_message(tb, "jane@acme.example")
    if not tb.wait_js("return %s.getElementById('keepwarm-banner') != null;" % MESSAGE_DOC, timeout=30):
        ok(False, "the banner is there to write from")
        return
    tb.m.js("%s.querySelector('#keepwarm-banner button[data-action=\"write\"]').click(); return 1;" % MESSAGE_DOC)
    to = tb.wait_js("""
        const w = Services.wm.getMostRecentWindow("msgcompose");
        if (!w || !w.gMsgCompose || w.document.readyState != "complete") return null;
        return [...w.document.querySelectorAll("mail-address-pill")].map(p => p.emailAddress || p.fullAddress);
    """, timeout=30, what="the compose window")
    is_(to, ["jane@acme.example"], "the banner's Write opens a message to jane@acme.example")
    if not to:
        return
    subject = "Checking in " + secrets.token_hex(4)
    before = len(log_lines(ctx))
    tb.m.js("""
        const w = Services.wm.getMostRecentWindow("msgcompose");
        w.document.getElementById("msgSubject").value = arguments[0];
        w.GetCurrentEditor().insertText("Hi Jane, how are things on your side?");
        w.goDoCommand("cmd_sendNow");
        return 1;
    """, subject)
    ok(ctx.sink.wait(lambda ms: any(subject.encode() in m["data"] for m in ms), 60),
       "Thunderbird sent it through the SMTP sink")
    sent = [m for m in ctx.sink.messages if subject.encode() in m["data"]]
    is_(sent and sent[0]["to"], ["jane@acme.example"], "to jane@acme.example")
    line = wait_log(ctx, r"record-sent id=\S+ ", before, 30)
    ok(line and re.search(r"record-sent id=\S+ ok", line),
       "compose.onAfterSend handed the sent message to the host: record-sent ok", line)
    acme = [i for i in host(ctx, "today")["result"]["items"] if i["key"] == "acme.example"]
    is_([(i["done"], i["how"]) for i in acme], [(True, "mail")], "ACME's Today item ticks at once: done by mail")
    is_([l for l in log_lines(ctx)[before:] if "sync: started" in l], [],
        "with no sync started since the send (the host recorded the message itself)")
    check_badge(ctx, tb)
    found = subject_in_history(ctx, subject, 5)
    ok(found and found[0]["direction"] in ("out", "both"),
       "the sent message is in keepwarm's history of ACME", found)
    ctx.sent_subject = subject


def subject_in_history(ctx, subject, timeout):
    """ACME's touches with this subject, waited for up to `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        rc, out, err = run_keepwarm(["show", "acme.example", "--format=json"], db=ctx.db)
        found = [t for t in json.loads(out)["timeline"] if t["subject"] == subject] if rc == 0 else []
        if found or time.monotonic() >= end:
            return found
        time.sleep(1)


def check_new_mail(ctx, tb):
    """New mail in the INBOX: Thunderbird hears of it (IDLE), the add-on syncs,
    keepwarm has the message."""
    subject = "Re: Checking in " + secrets.token_hex(4)
    before = len(log_lines(ctx))
    # Unread, as new mail is: Thunderbird reports no \Seen message as new
    # (onNewMailReceived stays silent; the check used to pass only when the
    # after-send sync happened to run after this append).
    ctx.dv.append("INBOX", gen_mailbox.simple_message('"Jane Doe" <jane@acme.example>', ME, subject,
                                                      time.time() - 30, "new-%s@kw.test" % secrets.token_hex(4)),
                  flags="")
    ok(wait_log(ctx, r"sync: started pid \d+", before, 90), "new mail arrives: the add-on syncs (no alarm needed)")
    # The sync that saw the new mail may not be the first one to end (one may
    # have been running already): wait for the message, not for a time.
    ok(subject_in_history(ctx, subject, 120), "and keepwarm has the new message from Jane")
    if getattr(ctx, "sent_subject", None):
        # The sync has read the Sent folder's copy by now: the host recorded
        # that very copy's header (the same dedupe keys), so it is stored once.
        import sqlite3
        c = sqlite3.connect("file:%s?mode=ro" % ctx.db, uri=True)
        n = c.execute("SELECT COUNT(*) FROM messages WHERE subject = ?", (ctx.sent_subject,)).fetchone()[0]
        c.close()
        is_(n, 1, "the sent message is stored once after the sync read the Sent folder")


def check_not_installed(ctx, tb):
    moved = ctx.manifest + ".away"
    os.rename(ctx.manifest, moved)
    try:
        p = open_popup(ctx, tb)
        ok(p and p["problem"] and ctx.words["not_installed"] in p["problem"],
           "without the host manifest the popup says: %s" % ctx.words["not_installed"], p)
        ok(p and "keepwarm setup-thunderbird" in (p["problem"] or ""), "and how to install it")
        time.sleep(0.3)
        screenshot(ctx, "tb-not-installed-%s.png" % ctx.lang)
        b = tb.wait_js("const b = %s; return b && b.getAttribute('badge') == '!' ? b.title : null;"
                       % ACTION_BUTTON, timeout=30, what="the badge '!'")
        is_(b, ctx.words["badge_missing"], "the badge shows '!': %s" % ctx.words["badge_missing"])
        close_popup(tb)
    finally:
        os.rename(moved, ctx.manifest)


WORDS = {
    "en": {"buttons": ["Reply", "Write", "Log call", "Snooze a week"], "today": "TODAY",
           "badge_nothing": "keepwarm: nothing open for today", "trend": "Overdue, week by week",
           "not_installed": "keepwarm is not installed for Thunderbird",
           "badge_missing": "keepwarm is not installed for Thunderbird"},
    "de": {"buttons": ["Antworten", "Schreiben", "Anruf notieren", "Eine Woche zurückstellen"],
           "today": "HEUTE", "badge_nothing": "keepwarm: heute nichts offen",
           "trend": "Überfällig, Woche für Woche",
           "not_installed": "keepwarm ist für Thunderbird nicht eingerichtet",
           "badge_missing": "keepwarm ist für Thunderbird nicht eingerichtet"},
}


def run_thunderbird(ctx, lang):
    ctx.lang = lang
    ctx.words = WORDS[lang]
    prefs = tbtest.account_prefs(ctx.dv, ctx.sink.port, ME)
    # Sent copies go to the IMAP account's Sent folder, where keepwarm reads them.
    prefs["mail.identity.id1.fcc_folder"] = "imap://%s@127.0.0.1/Sent" % ctx.dv.user
    prefs["mail.identity.id1.fcc_folder_picker_mode"] = "1"
    if lang == "de":
        prefs["intl.locale.requested"] = "de"
    # A German desktop: Thunderbird and the host it starts have de_DE.UTF-8
    # (built into a LOCPATH when the system lacks it); the test asks the host
    # in the same environment.
    german = (kwtest.german_locale(ctx.work) or {}) if lang == "de" else {}
    ctx.host_env = dict(ctx.env, **german)
    tb = tbtest.Thunderbird(ctx.work, lang, ctx.home, ctx.display, prefs, ctx.xpi, ctx.logins,
                            lang="de_DE.UTF-8" if lang == "de" else "C.UTF-8",
                            env=dict({"XDG_RUNTIME_DIR": ctx.env["XDG_RUNTIME_DIR"]},
                                     **{k: v for k, v in german.items() if k == "LOCPATH"}))
    try:
        started = len(log_lines(ctx))
        tb.start()
        active = tb.m.js("""
            const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
            return AddonManager.getAddonByID(arguments[0]).then(a => a && a.isActive);
        """, ID)
        ok(active, "%s: the keepwarm add-on is installed and active" % lang)
        if lang == "de":
            ui = tb.m.js("return Services.locale.appLocaleAsBCP47;")
            is_(ui, "de", "Thunderbird speaks German")
        if lang == "en":
            ok(tb.wait_js("const b = %s; return b && /set up/.test(b.title);" % ACTION_BUTTON, timeout=60),
               "before set-up the button's tooltip asks to set up the account", badge(tb))
            if not set_up_account(ctx, tb):
                return
        if lang == "de":  # configured by now: the sync alarm's first run (shortly after start)
            ok(wait_log(ctx, r"sync: pid \d+ exited 0", started, 60), "the sync alarm runs keepwarm sync at start-up")
        total = check_badge(ctx, tb)
        check_banner(ctx, tb)
        check_popup(ctx, tb, total)
        if lang == "en":
            check_send(ctx, tb)
            check_new_mail(ctx, tb)
        check_not_installed(ctx, tb)
    finally:
        tb.stop()
        ctx.tb_logs.append(tb.log_path)


def run():
    need(["Xvfb", "xdotool", "import", "dovecot", "dbus-run-session", "dbus-send", "gnome-keyring-daemon"])
    if not os.access(tbtest.TB_BIN, os.X_OK):
        skip_all("Thunderbird is not installed (%s)" % tbtest.TB_BIN)
    build = os.path.abspath(build_dir())
    ctx = Ctx()
    ctx.xpi = os.path.join(build, "thunderbird", "keepwarm.xpi")
    kw = os.path.join(build, "keepwarm")
    if not os.path.exists(ctx.xpi) or not os.access(kw, os.X_OK):
        skip_all("build/keepwarm and build/thunderbird/keepwarm.xpi are not built (make)")
    rerun_in_dbus_session()

    ctx.artifacts = os.path.join(build, "test-artifacts")
    os.makedirs(ctx.artifacts, exist_ok=True)
    ctx.work = kwtest.tmpdir("kwtb-")
    ctx.home = os.path.join(ctx.work, "home")
    run_dir = os.path.join(ctx.work, "run")
    os.makedirs(ctx.home)
    os.makedirs(run_dir, mode=0o700)
    ctx.env = dict(os.environ, HOME=ctx.home, XDG_RUNTIME_DIR=run_dir, LC_ALL="C.UTF-8")
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        ctx.env.pop(k, None)
    ctx.host_env = ctx.env
    ctx.config = os.path.join(ctx.home, ".config", "keepwarm", "config")
    ctx.db = os.path.join(ctx.home, ".local", "share", "keepwarm", "keepwarm.db")
    ctx.host_log = os.path.join(ctx.home, ".local", "state", "keepwarm", "host.log")
    ctx.password = "CANARY-tb-" + secrets.token_hex(8)
    ctx.tb_logs = []
    scanner = ProcWatcher(lambda cmd: True, interval=0.05)
    scanner.start()

    start_keyring(ctx.env)
    root = os.path.join(ctx.work, "mail")
    gen_mailbox.write_seller_maildir(os.path.join(root, "Maildir"), int(time.time()), ME)
    with Dovecot(maildir=os.path.join(root, "Maildir"), password=ctx.password) as dv, SmtpSink() as sink:
        ctx.dv, ctx.sink = dv, sink
        _xvfb, ctx.display = start_xvfb(ctx.work)
        ctx.logins = tbtest.login_fixture(ctx.work, dv.user, ctx.password)

        r = subprocess.run([kw, "setup-thunderbird"], env=ctx.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        ctx.manifest = os.path.join(ctx.home, ".mozilla", "native-messaging-hosts", "keepwarm.json")
        ok(r.returncode == 0 and os.path.exists(ctx.manifest), "keepwarm setup-thunderbird writes the manifest",
           r.stdout + r.stderr)
        with open(ctx.manifest) as f:
            m = json.load(f)
        is_((m["name"], m["path"], m["type"], m["allowed_extensions"]), ("keepwarm", kw, "stdio", [ID]),
            "the manifest names build/keepwarm and allows only the keepwarm add-on")
        like(r.stdout, r"Install Add-on From File.*\n.*keepwarm\.xpi", "and says how to add the add-on")

        run_thunderbird(ctx, "en")
        run_thunderbird(ctx, "de")

    scanner.stop = True
    scanner.join()
    hits = sorted({c.split(b"\0")[0].decode(errors="replace") for c, e in scanner.seen.values()
                   if ctx.password.encode() in c or ctx.password.encode() in e})
    ok(len(scanner.seen) > 20, "watched %d processes (Thunderbird, keepwarm hosts and syncs...)" % len(scanner.seen))
    is_(hits, [], "the password is in no process's command line or environment")
    keepwarm_files = [os.path.join(ctx.home, d) for d in (".config", ".local")] + [ctx.manifest]
    is_(files_containing(keepwarm_files, ctx.password.encode()), [],
        "the password is in no keepwarm file (config, store, host log, last sync) and not in clear in the keyring")
    is_(files_containing(ctx.tb_logs, ctx.password.encode()), [], "nor in Thunderbird's output")
    profiles = [os.path.join(ctx.work, lang, "profile") for lang in WORDS]
    is_(files_containing(profiles, ctx.password.encode()), [],
        "nor in clear in the Thunderbird profiles (the add-on's storage; Thunderbird's own logins are encrypted)")


if __name__ == "__main__":
    main(run)
