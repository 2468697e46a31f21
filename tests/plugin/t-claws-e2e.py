#!/usr/bin/env python3
"""End-to-end test of the Keep warm plugin inside the real Claws Mail (TAP).

Xvfb + a Dovecot on loopback holding a generated seller's mailbox + claws-mail
with an isolated config (account, password store, plugin preloaded from
build/plugin/keepwarm.so, KEEPWARM_BIN=build/keepwarm). What a user sees is
read from the plugin's test-only dump (KEEPWARM_PLUGIN_TEST_DUMP) and driven
through its command fifo (KEEPWARM_PLUGIN_TEST_CMD); screenshots go to
build/test-artifacts/. A password canary is checked everywhere afterwards.

Environment: KW_BUILD (default ./build), KW_KEEP_TMP=1 keeps the temp dirs.
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402

DAY = 86400
ME = "seller@mycompany.example"
ACCOUNT = "Work"


def need(tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        skip_all("missing: " + " ".join(missing))


# --------------------------------------------------------------------------
# The seller's mailbox
# --------------------------------------------------------------------------

def message(frm, to, subject, when, msgid, extra=""):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%s"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
            % (frm, to, subject, date, msgid, extra))


def seller_mailbox(now):
    """[(folder, raw, when)] — a small seller's history with known shapes.
    Uses tests/lib/gen_mailbox.py when it offers `seller_messages(now)`."""
    try:
        import gen_mailbox  # noqa: F401
        if hasattr(gen_mailbox, "seller_messages"):
            return list(gen_mailbox.seller_messages(now))
    except ImportError:
        pass
    msgs = []
    n = [0]

    def pair(them, name, first_ago, last_ago, every, reply=True, subject="Order"):
        t = now - first_ago * DAY
        while t <= now - last_ago * DAY + 1:
            n[0] += 1
            msgs.append(("INBOX", message('"%s" <%s>' % (name, them), ME, "%s %d" % (subject, n[0]),
                                          t, "in%d@kw.test" % n[0]), t))
            if reply:
                msgs.append(("Sent", message('"Sam Seller" <%s>' % ME, them, "Re: %s %d" % (subject, n[0]),
                                             t + 3600 * 5, "out%d@kw.test" % n[0]), t + 3600 * 5))
            t += every * DAY
    # ACME: every 3 weeks for most of a year, silent for the last 93 days -> overdue
    pair("jane@acme.example", "Jane Doe", 93 + 21 * 10, 93, 21)
    # Globex: monthly, and an unanswered mail 6 days ago -> awaiting your reply
    pair("hank@globex.example", "Hank Scorpio", 36 + 30 * 6, 36, 30)
    n[0] += 1
    msgs.append(("INBOX", message('"Hank Scorpio" <hank@globex.example>', ME, "Quote please",
                                  now - 6 * DAY, "globex-open@kw.test"), now - 6 * DAY))
    # Initech: every two weeks, last exchange 3 days ago -> fine, not listed
    pair("bill@initech.example", "Bill Lumbergh", 3 + 14 * 12, 3, 14)
    # A freemail customer: every 2 months, silent for 130 days -> overdue person
    pair("bob.builder@gmail.com", "Bob Builder", 130 + 60 * 4, 130, 60)
    # A newsletter: never a relationship
    for i in range(5):
        t = now - (5 + 7 * i) * DAY
        msgs.append(("INBOX", message('"Deals" <news@lists.example>', ME, "Deals %d" % i, t,
                                      "news%d@kw.test" % i,
                                      "List-Unsubscribe: <mailto:unsub@lists.example>\r\n"
                                      "Precedence: bulk\r\n"), t))
    msgs.sort(key=lambda m: m[2])
    return msgs


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

class Proc:
    """A child in its own session, killed (group) at exit."""

    def __init__(self, argv, env, log_path, **kw):
        self.log = open(log_path, "ab")
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True, **kw)
        self._c = add_cleanup(self.kill)

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        else:  # leftovers in its group (workers)
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()
        remove_cleanup(self._c)


def start_xvfb(workdir):
    r, w = os.pipe()
    log = os.path.join(workdir, "xvfb.log")
    x = Proc(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
             os.environ.copy(), log, pass_fds=(w,))
    os.close(w)
    buf = b""
    end = time.monotonic() + 15
    while not buf.endswith(b"\n") and time.monotonic() < end:
        chunk = os.read(r, 16)
        if not chunk:
            break
        buf += chunk
    os.close(r)
    if not buf.strip():
        raise RuntimeError("Xvfb did not start: " + open(log).read()[-2000:])
    return x, ":" + buf.decode().strip()


def write_claws_config(cfg, dv, password, so_path):
    os.makedirs(cfg, mode=0o700, exist_ok=True)
    with open(os.path.join(cfg, "accountrc"), "w") as f:
        f.write("[Account: 1]\nconfig_version=4\naccount_name=%s\nis_default=1\nname=Sam Seller\n"
                "address=%s\nprotocol=1\nreceive_server=%s\nsmtp_server=127.0.0.1\nuser_id=%s\n"
                "set_imapport=1\nimap_port=%d\nssl_imap=0\nssl_smtp=0\nuse_smtp_auth=0\n"
                "imap_auth_method=0\nuse_apop_auth=0\nimap_use_trash=1\n"
                % (ACCOUNT, ME, dv.host, dv.user, dv.port))
    with open(os.path.join(cfg, "folderlist.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<folderlist config_version="4">\n'
                '  <folder type="imap" name="%s" account_id="1" collapsed="0">\n'
                '    <folderitem type="inbox" name="INBOX" path="INBOX" />\n'
                '    <folderitem type="outbox" name="Sent" path="Sent" />\n'
                '    <folderitem type="draft" name="Drafts" path="Drafts" />\n'
                '    <folderitem type="queue" name="Queue" path="Queue" />\n'
                '    <folderitem type="trash" name="Trash" path="Trash" />\n'
                '  </folder>\n</folderlist>\n' % ACCOUNT)
    with open(os.path.join(cfg, "clawsrc"), "w") as f:
        f.write("[Common]\nconfig_version=4\nenable_aspell=0\ncheck_on_startup=0\nconfirm_on_exit=0\n"
                "warn_queued_on_exit=0\nshow_tooltips=0\nlayout_mode=0\nmainwin_x=0\nmainwin_y=0\n"
                "mainwin_width=1260\nmainwin_height=780\nfolderview_width=330\n"
                "summaryview_height=300\nmainview_x=0\nmainview_y=0\nmainview_width=1260\n"
                "mainview_height=780\nshow_statusbar=1\n"
                "\n[Plugins_GTK3]\n%s\n\n[KeepWarm]\nsync_interval=0\npanel_position=-1\n" % so_path)
    pw = os.path.join(cfg, "passwordstorerc")
    with open(pw, "w") as f:
        f.write("[config_version:4]\n[account:1]\nrecv %s\n" % password)
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


class ProcScanner(threading.Thread):
    """Watches /proc for `keepwarm sync` workers and records their argv and env."""

    def __init__(self, marker):
        super().__init__(daemon=True)
        self.marker = marker
        self.seen = {}
        self.stop = False

    def run(self):
        while not self.stop:
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or pid in self.seen:
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        cmd = f.read()
                    if self.marker not in cmd or b"\0sync\0" not in cmd:
                        continue
                    with open("/proc/%s/environ" % pid, "rb") as f:
                        env = f.read()
                    self.seen[pid] = (cmd, env)
                except OSError:
                    continue
            time.sleep(0.005)


def files_containing(paths, needle):
    hits = []
    for top in paths:
        walk = [(top, [], [os.path.basename(top)])] if os.path.isfile(top) else os.walk(top)
        for root, _dirs, files in walk:
            for fn in files:
                p = os.path.join(root if os.path.isdir(top) else os.path.dirname(top), fn)
                try:
                    with open(p, "rb") as f:
                        if needle in f.read():
                            hits.append(p)
                except OSError:
                    pass
    return hits


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def run():
    build = os.path.abspath(build_dir())
    so = os.path.join(build, "plugin", "keepwarm.so")
    kw = os.path.join(build, "keepwarm")
    need(["claws-mail", "Xvfb", "xdotool", "import", "dovecot"])
    if not os.path.exists(so):
        skip_all("build/plugin/keepwarm.so not built (make plugin)")
    if not os.access(kw, os.X_OK):
        skip_all("build/keepwarm not built yet (make all)")

    artifacts = os.path.join(build, "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    work = tmpdir("kwclaws-")
    password = "CANARY-kw-" + secrets.token_hex(8)
    now = int(time.time())

    with Dovecot(password=password) as dv:
        inbox_uid = {}  # sender -> UIDs in INBOX (a fresh folder numbers APPENDs 1, 2, ...)
        uid = 0
        for folder, raw, when in seller_mailbox(now):
            dv.append(folder, raw, date=when)
            if folder == "INBOX":
                uid += 1
                inbox_uid.setdefault(re.search(r"From: .*<([^>]+)>", raw).group(1), []).append(uid)
        acme_uid = inbox_uid["jane@acme.example"][-1]

        xvfb, display = start_xvfb(work)
        cfg = os.path.join(work, "cfg")
        home = os.path.join(work, "home")
        run_dir = os.path.join(work, "run")
        data = os.path.join(work, "data")
        for d in (home, run_dir, data):
            os.makedirs(d, mode=0o700, exist_ok=True)
        write_claws_config(cfg, dv, password, so)
        dump = os.path.join(work, "dump.json")
        fifo = os.path.join(work, "cmd.fifo")
        os.mkfifo(fifo, 0o600)
        db = os.path.join(data, "keepwarm", "keepwarm.db")
        env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=run_dir, XDG_DATA_HOME=data,
                   XDG_CONFIG_HOME=os.path.join(work, "config"), NO_AT_BRIDGE="1",
                   DISPLAY=display, LC_ALL="C.UTF-8", LANGUAGE="C", KEEPWARM_BIN=kw,
                   KEEPWARM_PLUGIN_TEST_DUMP=dump, KEEPWARM_PLUGIN_TEST_CMD=fifo,
                   KEEPWARM_PLUGIN_STARTUP_S="1", KEEPWARM_PLUGIN_COALESCE_S="2",
                   GTK_THEME="Adwaita")
        ui = Ui(dump, fifo, env, artifacts)
        scanner = ProcScanner(db.encode())
        scanner.start()

        claws = Proc(["claws-mail", "--alternate-config-dir", cfg], env, os.path.join(work, "claws.out"))

        def remote(*args):
            return subprocess.run(["claws-mail", "--alternate-config-dir", cfg] + list(args), env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

        try:
            # ---- the plugin is loaded and its panel sits under the folder tree
            s = ui.wait(lambda s: s["panel_inserted"], 30, "panel")
            ok(s is not None, "plugin loaded, panel inserted under the folder tree",
               open(os.path.join(work, "claws.out"), errors="replace").read()[-3000:])
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
            hist = s["workers"]["history"] if s else []
            is_([h["exit"] for h in hist][:1], [0], "worker exited 0", s and s.get("status"))
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

            # ---- "your other addresses": adding and removing one really changes the store
            def work_identities():
                rc, out, err = run_keepwarm(["identity", "list", "--account", ACCOUNT], db=db)
                return re.findall(r"^  (\S+@\S+)$", out.split("Addresses that sent")[0], re.M)

            def inbound(email):
                rc, data, err = contacts_json(db)
                return contacts_by_email(data).get(email, {}).get("inbound")

            jane_in = inbound("jane@acme.example")
            ui.cmd("identities jane@acme.example")
            ok(ui.wait(lambda s: "jane@acme.example" in work_identities(), 15, "identity added") is not None
               or "jane@acme.example" in work_identities(), "prefs: an extra address becomes an identity",
               work_identities())
            is_(inbound("jane@acme.example"), 0, "... and mail from it is no longer inbound")
            ui.cmd("identities")
            ok(ui.wait(lambda s: "jane@acme.example" not in work_identities(), 15, "identity removed") is not None,
               "prefs: removing it forgets it", work_identities())
            is_(inbound("jane@acme.example"), jane_in, "... and its mail counts as inbound again")
            ok(ME in work_identities(), "the account's own address stays", work_identities())

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
            ok(claws.p.poll() is None, "Claws still runs after the unload")
        finally:
            scanner.stop = True
            remote("--exit")
            end = time.monotonic() + 15
            while claws.p.poll() is None and time.monotonic() < end:
                time.sleep(0.1)
            exited = claws.p.poll() is not None
            claws.kill()
            xvfb.kill()

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
        hits = files_containing([cfg, data, dump, os.path.join(work, "claws.out"), home], pw)
        hits = [h for h in hits if not os.path.basename(h).startswith("passwordstorerc")]  # Claws' own store
        is_(hits, [], "the password appears nowhere (claws.log, store, config, dumps)")


if __name__ == "__main__":
    main(run)
