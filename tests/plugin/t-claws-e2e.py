#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end test of the Keep warm plugin inside the real Claws Mail (TAP).

Xvfb + a Dovecot on loopback holding a generated seller's mailbox + claws-mail
with an isolated config (account, password store, the test build of the
plugin preloaded from build/plugin-test/keepwarm-test.so, keepwarm_path =
build/keepwarm). What a user sees is read from the test build's dump
(KEEPWARM_PLUGIN_TEST_DUMP, tests/plugin/testhook.c) and driven through its
command fifo (KEEPWARM_PLUGIN_TEST_CMD); screenshots go to
build/test-artifacts/. A password canary is checked everywhere afterwards.
The shipped keepwarm.so has no such hook (t-plugin-build.py); the settings
it keeps in the store are tested by t-claws-settings.py.

Environment: KW_BUILD (default ./build), KW_KEEP_TMP=1 keeps the temp dirs.
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
from guitest import Proc, ProcWatcher, files_containing, need, start_xvfb  # noqa: E402

DAY = 86400
ME = "seller@mycompany.example"
ACCOUNT = "Work"


# --------------------------------------------------------------------------
# The seller's mailbox
# --------------------------------------------------------------------------

def message(frm, to, subject, when, msgid, extra=""):
    return gen_mailbox.simple_message(frm, to, subject, when, msgid, extra)


def seller_mailbox(now):
    """[(folder, raw, when)] — a small seller's history with known shapes
    (tests/lib/gen_mailbox.py: seller_messages)."""
    return gen_mailbox.seller_messages(now, ME)


class Setup:
    """What every Claws test needs, or skip_all: the tools, the command
    (`kw`), the test build of the plugin (`so`), a temp dir (`work`), the
    screenshot dir (`artifacts`), a canary password and "now"."""

    def __init__(self, prefix):
        build = os.path.abspath(build_dir())
        self.kw = os.path.join(build, "keepwarm")
        need(["claws-mail", "Xvfb", "xdotool", "import", "dovecot"])
        self.so = os.path.join(build, "plugin-test", "keepwarm-test.so")
        if not os.path.exists(self.so):
            skip_all("build/plugin-test/keepwarm-test.so not built (make check-quick builds it)")
        if not os.access(self.kw, os.X_OK):
            skip_all("build/keepwarm not built yet (make all)")
        self.artifacts = os.path.join(build, "test-artifacts")
        os.makedirs(self.artifacts, exist_ok=True)
        self.work = tmpdir(prefix)
        self.password = "CANARY-kw-" + secrets.token_hex(8)
        self.now = int(time.time())


def write_claws_config(cfg, dv, password, so_path, keepwarm, keepwarm_keys="", accounts=((ACCOUNT, ME),)):
    """Claws' config for IMAP accounts on `dv` (`accounts`: (name, address),
    ids 1, 2, ...; the first is the default); `keepwarm` is the command the
    plugin runs, `keepwarm_keys` more lines of its [KeepWarm] block."""
    os.makedirs(cfg, mode=0o700, exist_ok=True)
    with open(os.path.join(cfg, "accountrc"), "w") as f:
        for i, (name, address) in enumerate(accounts, 1):
            f.write("[Account: %d]\nconfig_version=4\naccount_name=%s\nis_default=%d\nname=Sam Seller\n"
                    "address=%s\nprotocol=1\nreceive_server=%s\nsmtp_server=127.0.0.1\nuser_id=%s\n"
                    "set_imapport=1\nimap_port=%d\nssl_imap=0\nssl_smtp=0\nuse_smtp_auth=0\n"
                    "imap_auth_method=0\nuse_apop_auth=0\nimap_use_trash=1\n\n"
                    % (i, name, i == 1, address, dv.host, dv.user, dv.port))
    with open(os.path.join(cfg, "folderlist.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<folderlist config_version="4">\n')
        for i, (name, _address) in enumerate(accounts, 1):
            f.write('  <folder type="imap" name="%s" account_id="%d" collapsed="0">\n'
                    '    <folderitem type="inbox" name="INBOX" path="INBOX" />\n'
                    '    <folderitem type="outbox" name="Sent" path="Sent" />\n'
                    '    <folderitem type="draft" name="Drafts" path="Drafts" />\n'
                    '    <folderitem type="queue" name="Queue" path="Queue" />\n'
                    '    <folderitem type="trash" name="Trash" path="Trash" />\n'
                    '  </folder>\n' % (name, i))
        f.write('</folderlist>\n')
    with open(os.path.join(cfg, "clawsrc"), "w") as f:
        f.write("[Common]\nconfig_version=4\nenable_aspell=0\ncheck_on_startup=0\nconfirm_on_exit=0\n"
                "warn_queued_on_exit=0\nshow_tooltips=0\nlayout_mode=0\nmainwin_x=0\nmainwin_y=0\n"
                "mainwin_width=1260\nmainwin_height=780\nfolderview_width=330\n"
                "summaryview_height=300\nmainview_x=0\nmainview_y=0\nmainview_width=1260\n"
                "mainview_height=780\nshow_statusbar=1\n"
                "\n[Plugins_GTK3]\n%s\n\n[KeepWarm]\nsync_interval=0\npanel_position=-1\nkeepwarm_path=%s\n%s"
                % (so_path, keepwarm, keepwarm_keys))
    pw = os.path.join(cfg, "passwordstorerc")
    with open(pw, "w") as f:
        f.write("[config_version:4]\n")
        for i in range(1, len(accounts) + 1):
            f.write("[account:%d]\nrecv %s\n" % (i, password))
    os.chmod(pw, 0o600)


class Ui:
    """Reads the plugin's dump, writes its command fifo, takes screenshots."""

    def __init__(self, dump, fifo, env, artifacts):
        self.dump, self.fifo, self.env, self.artifacts = dump, fifo, env, artifacts

    def state(self):
        try:
            with open(self.dump) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait(self, pred, timeout=30, what="state"):
        end = time.monotonic() + timeout
        s = None
        while time.monotonic() < end:
            s = self.state()
            if s is not None:
                try:
                    if pred(s):
                        return s
                except (KeyError, TypeError, IndexError):
                    pass
            time.sleep(0.1)
        note("timed out waiting for %s; last dump: %s" % (what, json.dumps(s)[:3000]))
        return None

    def cmd(self, line):
        fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def screenshot(self, name):
        path = os.path.join(self.artifacts, name)
        subprocess.run(["import", "-window", "root", path], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        return path if os.path.exists(path) else None

    def modal_dialogs(self):
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                            "Warning|Error|Certificate|Password|passphrase"],
                           env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return [w for w in r.stdout.split() if w]


class ClawsSession:
    """Xvfb, Claws' config for accounts on `dv` in work/cfg with the test
    build `so` of the plugin, and (start()) claws-mail with the test hook's
    dump and fifo (`ui`). `lang` replaces the English locale; `keepwarm_keys`
    adds lines to clawsrc's [KeepWarm]; `accounts` as write_claws_config's.
    stop() quits Claws (--exit, then kill) and says whether it quit by
    itself."""

    def __init__(self, work, dv, password, so, kw, artifacts, lang=None, keepwarm_keys="",
                 accounts=((ACCOUNT, ME),)):
        self.work = work
        self.xvfb, display = start_xvfb(work)
        self.cfg = os.path.join(work, "cfg")
        self.home, run_dir, self.data = (os.path.join(work, d) for d in ("home", "run", "data"))
        for d in (self.home, run_dir, self.data):
            os.makedirs(d, mode=0o700, exist_ok=True)
        write_claws_config(self.cfg, dv, password, so, kw, keepwarm_keys, accounts)
        self.dump, fifo = os.path.join(work, "dump.json"), os.path.join(work, "cmd.fifo")
        os.mkfifo(fifo, 0o600)
        self.db = os.path.join(self.data, "keepwarm", "keepwarm.db")
        self.out = os.path.join(work, "claws.out")
        self.env = dict(os.environ, HOME=self.home, XDG_RUNTIME_DIR=run_dir, XDG_DATA_HOME=self.data,
                        XDG_CONFIG_HOME=os.path.join(work, "config"), NO_AT_BRIDGE="1",
                        DISPLAY=display, LC_ALL="C.UTF-8", LANGUAGE="C",
                        KEEPWARM_PLUGIN_TEST_DUMP=self.dump, KEEPWARM_PLUGIN_TEST_CMD=fifo,
                        KEEPWARM_PLUGIN_STARTUP_S="1", KEEPWARM_PLUGIN_COALESCE_S="2",
                        GTK_THEME="Adwaita")
        if lang:
            self.env.pop("LANGUAGE")
            self.env.update(lang)
        self.ui = Ui(self.dump, fifo, self.env, artifacts)
        self.claws = None

    def start(self):
        self.claws = Proc(["claws-mail", "--alternate-config-dir", self.cfg], self.env, self.out)

    def output(self, tail=3000):
        with open(self.out, errors="replace") as f:
            return f.read()[-tail:]

    def remote(self, *args):
        """A command for the running Claws (a second claws-mail forwards it)."""
        return subprocess.run(["claws-mail", "--alternate-config-dir", self.cfg] + list(args), env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def running(self):
        return self.claws is not None and self.claws.p.poll() is None

    def stop(self):
        exited = False
        if self.claws is not None:
            self.remote("--exit")
            end = time.monotonic() + 15
            while self.claws.p.poll() is None and time.monotonic() < end:
                time.sleep(0.1)
            exited = self.claws.p.poll() is not None
            self.claws.kill()
        self.xvfb.kill()
        return exited


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def run():
    t = Setup("kwclaws-")
    kw, so, artifacts, work, password, now = t.kw, t.so, t.artifacts, t.work, t.password, t.now

    with Dovecot(password=password) as dv:
        inbox_uid = {}  # sender -> UIDs in INBOX (a fresh folder numbers APPENDs 1, 2, ...)
        uid = 0
        for folder, raw, when in seller_mailbox(now):
            dv.append(folder, raw, date=when)
            if folder == "INBOX":
                uid += 1
                inbox_uid.setdefault(re.search(r"From: .*<([^>]+)>", raw).group(1), []).append(uid)
        acme_uid = inbox_uid["jane@acme.example"][-1]

        session = ClawsSession(work, dv, password, so, kw, artifacts)
        ui, cfg, data, db = session.ui, session.cfg, session.data, session.db
        remote = session.remote
        scanner = ProcWatcher(lambda cmd: db.encode() in cmd and b"\0sync\0" in cmd)
        scanner.start()
        session.start()

        try:
            # ---- the plugin is loaded and its panel sits under the folder tree
            s = ui.wait(lambda s: s["panel_inserted"], 30, "panel")
            ok(s is not None, "plugin loaded, panel inserted under the folder tree", session.output())
            if s is None:
                for w in ui.modal_dialogs():
                    diag("modal window: %s" % w)
                ui.screenshot("claws-e2e-failed-start.png")
                return
            ok(s["folderview_parents"][:1] == ["keepwarm-paned"],
               "the folder view's parent is the plugin's split", s["folderview_parents"])

            # ---- first background sync, then the rows
            s = ui.wait(lambda s: s["workers"]["finished"] >= 1 and not s["workers"]["running"], 90,
                        "first sync")
            ok(s is not None, "background sync finished")
            is_((s or {}).get("workers", {}).get("last", {}).get(ACCOUNT), "ok",
                "the sync's final event says ok", s and s.get("status"))
            rows = s["rows"] if s else []
            keys = [r["key"] for r in rows]
            note("panel rows: " + json.dumps(rows, indent=1))
            for k in ("acme.example", "globex.example", "bob.builder@gmail.com"):
                ok(k in keys, "panel lists %s" % k, keys)
            for k in ("initech.example", "lists.example", "news@lists.example"):
                ok(k not in keys, "panel does not list %s" % k, keys)
            by = {r["key"]: r for r in rows}
            if "acme.example" in by:
                is_(by["acme.example"]["state"], "overdue", "ACME is overdue")
                like(by["acme.example"]["since"], r"^9[234] days$", "ACME: ~93 days since the last exchange")
                is_(by["acme.example"]["cadence"], "every 3 weeks", "ACME: usual cadence every 3 weeks")
            if "globex.example" in by:
                is_(by["globex.example"]["state"], "awaiting-your-reply", "Globex awaits your reply")
            # order: the library's ranking, as the CLI prints it
            rc, out, err = run_keepwarm(["overdue", "--format=json"], db=db)
            try:
                cli = json.loads(out)
                cli = cli.get("relationships", cli) if isinstance(cli, dict) else cli
                cli_keys = [c.get("key") or c.get("target") for c in cli]
                cli_keys = [k for k in cli_keys if k in keys or k is None]
                is_(keys, [k for k in cli_keys if k], "panel order == `keepwarm overdue` order")
            except (ValueError, AttributeError, TypeError):
                skip("`keepwarm overdue --format=json` not usable yet (rc %s)" % rc)

            # ---- hint bar for a message from ACME
            remote("--select", "#imap/%s/INBOX/%d" % (ACCOUNT, acme_uid))
            s = ui.wait(lambda s: s["hint"] and "last exchange" in s["hint"], 30, "hint")
            hint = s["hint"] if s else None
            if "acme.example" in by:
                r = by["acme.example"]
                is_(hint, "%s — last exchange %s ago; you usually talk %s" % (r["title"], r["since"], r["cadence"]),
                    "hint bar text for a message from ACME")
                is_(s and s["hint_button"], "Write…", "... and its button offers to write (ACME is overdue)")
            else:
                like(hint, r"— last exchange \d+ days ago", "hint bar text for a message from ACME")
            time.sleep(0.5)
            shot = ui.screenshot("claws-keepwarm-panel.png")
            ok(shot is not None, "screenshot saved: %s" % shot)

            # ---- snooze removes a row
            if rows:
                victim = rows[-1]["key"]
                ui.cmd("snooze %d 7" % (len(rows) - 1))
                s = ui.wait(lambda s: victim not in [r["key"] for r in s["rows"]], 15, "snooze")
                ok(s is not None, "snooze 1 week removes %s from the panel" % victim)
            else:
                skip("no rows to snooze")

            # ---- a newly delivered message shows after the next sync
            dv.append("INBOX", message('"Jane Doe" <jane@acme.example>', ME, "Back from holiday",
                                       time.time() - 60, "new-acme@kw.test"))
            before = ui.state()["workers"]["finished"]
            ui.cmd("sync")
            s = ui.wait(lambda s: s["workers"]["finished"] > before and not s["workers"]["running"], 60,
                        "second sync")
            acme = [r for r in (s or {}).get("rows", []) if r["key"] == "acme.example"]
            # Jane wrote today: ACME is no longer "overdue" (the model decides
            # whether it now awaits your reply or counts as in touch)
            ok(s is not None and (not acme or acme[0]["state"] != "overdue"),
               "new mail from ACME is reflected after the next sync (no longer overdue)", acme)

            # ---- every layout keeps the panel
            for mode in (1, 2, 4, 5, 0):
                ui.cmd("layout %d" % mode)
                s = ui.wait(lambda s: s["layout"] == mode and s["panel_inserted"], 15, "layout %d" % mode)
                ok(s is not None, "layout %d keeps the panel" % mode)
                if mode == 1:
                    ui.screenshot("claws-keepwarm-layout-threecolumns.png")

            # ---- password canary while a worker runs: /proc cmdline and environ
            ui.cmd("sync")
            ui.wait(lambda s: s["workers"]["finished"] >= before + 2 and not s["workers"]["running"], 60,
                    "third sync")
            seen = dict(scanner.seen)
            ok(len(seen) >= 1, "saw %d worker process(es) in /proc" % len(seen))
            leaks = [pid for pid, (c, e) in seen.items() if password.encode() in c or password.encode() in e]
            is_(leaks, [], "password not in any worker's /proc cmdline or environ")
            if seen:
                argv = list(seen.values())[0][0].split(b"\0")
                ok(b"--password-fd=3" in argv and b"--tls=none" in argv and b"--db" in argv,
                   "worker argv carries --password-fd=3 --tls=none --db",
                   b" ".join(argv).decode(errors="replace"))

            # ---- unloading restores the folder view
            ui.cmd("unload")
            s = ui.wait(lambda s: s.get("unloaded"), 15, "unload")
            ok(s is not None and s.get("folderview_restored"), "unloading puts the folder view back", s)
            ok(s is not None and s["folderview_parents"][:1] == ["GtkPaned"],
               "the folder view's parent is Claws' paned again", s and s["folderview_parents"])
            time.sleep(0.5)
            ui.screenshot("claws-keepwarm-unloaded.png")
            ok(session.running(), "Claws still runs after the unload")
        finally:
            scanner.stop = True
            exited = session.stop()

        ok(exited, "Claws quit cleanly on --exit")
        # no worker left behind
        left = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if kw.encode() in open("/proc/%s/cmdline" % pid, "rb").read():
                        left.append(pid)
                except OSError:
                    pass
        is_(left, [], "no keepwarm worker left running")

        # ---- password canary: logs, store, config (Claws' own password store excepted)
        pw = password.encode()
        log_files = [os.path.join(cfg, f) for f in os.listdir(cfg) if f.startswith("claws.log")]
        ok(log_files, "Claws wrote its network log (%s)" % ", ".join(map(os.path.basename, log_files)))
        hits = files_containing([cfg, data, session.dump, session.out, session.home], pw)
        hits = [h for h in hits if not os.path.basename(h).startswith("passwordstorerc")]  # Claws' own store
        is_(hits, [], "the password appears nowhere (claws.log, store, config, dumps)")


if __name__ == "__main__":
    main(run)
