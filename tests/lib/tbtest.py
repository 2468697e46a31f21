# SPDX-License-Identifier: GPL-3.0-or-later
"""tbtest — the real Thunderbird under Xvfb for the add-on's end-to-end test
(tests/thunderbird/t-tb-e2e.py); the recipe of /work/shared/notes/thunderbird.md.

    fixture = login_fixture(workdir, password)       # logins.json + key4.db (once)
    tb = Thunderbird(workdir, display, dv, smtp_port, xpi, fixture, lang="en")
    tb.start(); tb.m (Marionette, chrome context); tb.stop()

A profile gets a user.js (one IMAP account on the test Dovecot, plain on
loopback; one SMTP server = the test sink; no first-run UI; unsigned add-ons
enabled when sideloaded), the add-on as extensions/<id>.xpi before its first
start, and the stored IMAP login (no password prompt).

The add-on's pages (popup, space, options) run in the extension process as
for any user; tb.content(browser, code) runs code there through a frame
script and returns its result. The message pane is in the main process:
chrome scripts read the banner directly.
"""
import json
import os
import shutil
import signal
import subprocess
import time

from kwtest import free_port, note
from guitest import Proc
from marionette import Marionette, MarionetteError

TB_BIN = "/usr/lib/thunderbird/thunderbird"
EXTENSION_ID = "keepwarm@keepwarm.example.org"
ACCOUNT_NAME = "Work"

BASE_PREFS = {
    # no first-run UI, no network beyond the test servers
    "mail.rights.version": 1,
    "mailnews.start_page.enabled": False,
    "mail.inappnotifications.enabled": False,
    "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "app.update.enabled": False,
    "mail.shell.checkDefaultClient": False,
    "mail.warn_on_send_accel_key": False,
    "mail.spellcheck.inline": False,
    "mailnews.auto_config_url": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    # the sideloaded add-on is enabled without a click
    "extensions.autoDisableScopes": 0,
    # Marionette: no "recommended" prefs left behind in prefs.js
    "remote.prefs.recommended": False,
    "devtools.console.stdout.chrome": True,
}


def user_js(prefs):
    lines = []
    for k, v in prefs.items():
        lines.append("user_pref(%s, %s);" % (json.dumps(k), json.dumps(v)))
    return "\n".join(lines) + "\n"


def account_prefs(dv, smtp_port, me, name="Sam Seller"):
    return {
        "mail.accountmanager.accounts": "account1,account2",
        "mail.accountmanager.defaultaccount": "account1",
        "mail.accountmanager.localfoldersserver": "server2",
        "mail.account.account1.server": "server1",
        "mail.account.account1.identities": "id1",
        "mail.account.account2.server": "server2",
        "mail.server.server1.type": "imap",
        "mail.server.server1.hostname": "127.0.0.1",
        "mail.server.server1.port": dv.port,
        "mail.server.server1.userName": dv.user,
        "mail.server.server1.name": ACCOUNT_NAME,
        "mail.server.server1.socketType": 0,
        "mail.server.server1.authMethod": 3,
        "mail.server.server1.login_at_startup": True,
        "mail.server.server1.autosync_offline_stores": False,
        "mail.server.server1.check_new_mail": True,
        "mail.server.server1.directory-rel": "[ProfD]ImapMail/127.0.0.1",
        "mail.server.server2.type": "none",
        "mail.server.server2.hostname": "Local Folders",
        "mail.server.server2.userName": "nobody",
        "mail.server.server2.name": "Local Folders",
        "mail.server.server2.directory-rel": "[ProfD]Mail/Local Folders",
        "mail.identity.id1.fullName": name,
        "mail.identity.id1.useremail": me,
        "mail.identity.id1.valid": True,
        "mail.identity.id1.smtpServer": "smtp1",
        "mail.smtpservers": "smtp1",
        "mail.smtp.defaultserver": "smtp1",
        "mail.smtpserver.smtp1.hostname": "127.0.0.1",
        "mail.smtpserver.smtp1.port": smtp_port,
        "mail.smtpserver.smtp1.authMethod": 1,
        "mail.smtpserver.smtp1.try_ssl": 0,
    }


def poll(fn, timeout, what):
    """Call fn() until it returns something truthy (Marionette errors count as
    not yet); that value, or None after `timeout` seconds (noted)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = fn()
            if last:
                return last
        except MarionetteError as e:
            last = str(e)
        time.sleep(0.25)
    note("timed out waiting for %s (last: %s)" % (what, str(last)[:500]))
    return None


def _tb_env(home, display=None, lang="C.UTF-8", extra=None):
    e = dict(os.environ)
    # Thunderbird makes TMPDIR/MozillaMailnews and leaves it: keep it in the profile's home
    tmp = os.path.join(home, "tmp")
    os.makedirs(tmp, exist_ok=True)
    e.update({"HOME": home, "TMPDIR": tmp, "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_CRASHREPORTER": "0",
              "LANG": lang, "LC_ALL": lang, "NO_AT_BRIDGE": "1", "GTK_THEME": "Adwaita"})
    e.pop("LANGUAGE", None)
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        e.pop(k, None)
    if display:
        e["DISPLAY"] = display
    else:
        e.pop("DISPLAY", None)
    if extra:
        e.update(extra)
    return e


def login_fixture(workdir, user, password):
    """logins.json + key4.db holding the IMAP login for imap://127.0.0.1 (a
    headless Thunderbird stores it through its login manager). Returns the
    directory holding the two files."""
    prof = os.path.join(workdir, "login-fixture")
    home = os.path.join(workdir, "login-home")
    os.makedirs(prof)
    os.makedirs(home)
    port = free_port()
    with open(os.path.join(prof, "user.js"), "w") as f:
        f.write(user_js(dict(BASE_PREFS, **{"marionette.port": port})))
    p = Proc([TB_BIN, "--headless", "--profile", prof, "--marionette", "--remote-allow-system-access"],
             _tb_env(home), os.path.join(workdir, "login-fixture.log"))
    try:
        m = Marionette(port, timeout=90)
        m.session()
        m.chrome()
        m.js("""
            const [user, password] = arguments;
            const info = Cc["@mozilla.org/login-manager/loginInfo;1"].createInstance(Ci.nsILoginInfo);
            info.init("imap://127.0.0.1", null, "imap://127.0.0.1", user, password, "", "");
            return Services.logins.addLoginAsync(info).then(() => true);
        """, user, password)
        end = time.monotonic() + 20
        while time.monotonic() < end and not os.path.exists(os.path.join(prof, "logins.json")):
            time.sleep(0.2)
        time.sleep(1)
        m.close()
    finally:
        if p.p.poll() is None:
            p.p.send_signal(signal.SIGTERM)
            try:
                p.p.wait(15)
            except subprocess.TimeoutExpired:
                pass
        p.kill()
    out = os.path.join(workdir, "logins")
    os.makedirs(out)
    for f in ("logins.json", "key4.db"):
        shutil.copy(os.path.join(prof, f), out)
    shutil.rmtree(prof, ignore_errors=True)
    return out


class Thunderbird:
    """One Thunderbird with a fresh profile (see the module doc)."""

    def __init__(self, workdir, name, home, display, prefs, xpi, logins, lang="C.UTF-8", env=None):
        self.dir = os.path.join(workdir, name)
        self.profile = os.path.join(self.dir, "profile")
        self.home = home
        self.log_path = os.path.join(self.dir, "thunderbird.log")
        self.port = free_port()
        os.makedirs(os.path.join(self.profile, "extensions"))
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            f.write(user_js(dict(BASE_PREFS, **prefs, **{"marionette.port": self.port})))
        shutil.copy(xpi, os.path.join(self.profile, "extensions", EXTENSION_ID + ".xpi"))
        for f in ("logins.json", "key4.db"):
            shutil.copy(os.path.join(logins, f), self.profile)
        self.env = _tb_env(home, display, lang, env)
        self.proc = None
        self.m = None

    def start(self, args=()):
        self.proc = Proc([TB_BIN, "--profile", self.profile, "--marionette", "--remote-allow-system-access"]
                         + list(args), self.env, self.log_path)
        self.m = Marionette(self.port, timeout=90)
        self.m.session()
        self.m.chrome()
        return self

    def remote(self, *args):
        """A second `thunderbird ARGS` handed to the running one over D-Bus."""
        return subprocess.run([TB_BIN, "--profile", self.profile] + list(args), env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def wait_js(self, script, *args, timeout=30, what="condition"):
        """Poll a chrome script until it returns something truthy; that value or None."""
        return poll(lambda: self.m.js(script, *args), timeout, what)

    # JS expressions (chrome) that find the <browser> of an add-on page.
    POPUP = ('[...document.querySelectorAll("browser")]'
             '.find(b => b.getAttribute("webextension-view-type") == "popup"'
             ' && b.currentURI && b.currentURI.spec.endsWith("/popup.html"))')

    @staticmethod
    def page(name):
        return ('[...document.querySelectorAll("browser")]'
                '.find(b => b.currentURI && b.currentURI.spec.startsWith("moz-extension:")'
                ' && b.currentURI.spec.split("#")[0].endsWith("/%s"))' % name)

    def content(self, browser, code, *args, timeout=20):
        """Run `code` (a function body; `args` is its argument list, `content` the
        page's window) in the process of the page whose <browser> the chrome
        expression `browser` finds; returns what it returns (awaited)."""
        r = self.m.js("""
            const [find, code, args, timeout] = arguments;
            const b = eval(find);
            if (!b) return {missing: true};
            return new Promise((resolve) => {
                const mm = b.messageManager;
                const id = "kwtest:" + Math.random();
                const done = (msg) => { mm.removeMessageListener(id, done); resolve(msg.data); };
                mm.addMessageListener(id, done);
                const src = "(async (args) => { try { const value = await (async () => {" + code + "})();"
                    + " sendAsyncMessage(" + JSON.stringify(id) + ", {value}); }"
                    + " catch (e) { sendAsyncMessage(" + JSON.stringify(id) + ", {error: String(e)}); } })("
                    + JSON.stringify(args) + ");";
                mm.loadFrameScript("data:," + encodeURIComponent(src), false);
                setTimeout(() => resolve({error: "timeout"}), timeout * 1000);
            });
        """, browser, code, list(args), timeout, timeout=timeout + 5)
        if not isinstance(r, dict) or r.get("missing"):
            return None
        if "error" in r:
            raise MarionetteError("in the page: " + r["error"])
        return r.get("value")

    def wait_content(self, browser, code, *args, timeout=30, what="page condition"):
        return poll(lambda: self.content(browser, code, *args), timeout, what)

    def stop(self):
        if self.m:
            try:
                self.m.close()
            except OSError:
                pass
            self.m = None
        if self.proc and self.proc.p.poll() is None:
            self.proc.p.send_signal(signal.SIGTERM)
            try:
                self.proc.p.wait(15)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            self.proc.kill()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""
