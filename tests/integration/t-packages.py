#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-packages — smoke test of the Debian packages, installed into the system.

Builds the packages (`make deb`, into build/deb/), installs them with
`apt-get install ./keepwarm_*.deb ./claws-mail-plugin-keepwarm_*.deb`, then
checks the installed files only: `keepwarm --version`, a sync against a test
Dovecot on 127.0.0.1 (tests/lib/kwtest.py) with /usr/bin/keepwarm, and Claws
Mail loading the installed plugin by its bare name under Xvfb, the installed
native host answering in German, Thunderbird running the packaged add-on. Finally the
packages are purged again.

Skipped unless KW_TEST_PACKAGES=1, because building the packages takes
minutes and installing needs root. Set KW_PACKAGES_DIR=DIR to test .deb files
built beforehand instead of running `make deb` (DEB_BUILD_OPTIONS=nocheck
make deb avoids running the whole suite twice). Refuses to run when keepwarm
packages are already installed (it would remove them).
"""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import (SRC_DIR, Dovecot, add_cleanup, contacts_json, default_db, is_, like, main, skip,  # noqa: E402
                    note, ok, remove_cleanup, run_keepwarm, skip_all, sync_args, tmpdir)
from guitest import start_xvfb  # noqa: E402

PACKAGES = ("keepwarm", "claws-mail-plugin-keepwarm", "webext-keepwarm")
ADDON_ID = "keepwarm@keepwarm.example.org"
ME = "seller@mycompany.example"


def sh(cmd, env=None, timeout=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                       timeout=timeout)
    return r.returncode, r.stdout


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return "install ok installed" in r.stdout


def build_packages():
    d = os.environ.get("KW_PACKAGES_DIR")
    if d:
        note("using the packages in %s" % d)
        return os.path.abspath(d)
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "KW_TEST_PACKAGES"):
        env.pop(k, None)
    # The suite itself is what is running now: do not run it again inside
    # the package build (DEB_BUILD_OPTIONS=nocheck), unless asked to.
    env.setdefault("DEB_BUILD_OPTIONS", "nocheck")
    t0 = time.monotonic()
    rc, out = sh(["make", "--no-print-directory", "-C", SRC_DIR, "deb"], env=env)
    ok(rc == 0, "make deb (%.0f s)" % (time.monotonic() - t0), out[-6000:])
    return os.path.join(SRC_DIR, "build", "deb")


def purge():
    sh(["apt-get", "purge", "-y", "-q"] + list(PACKAGES),
       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def write_claws_config(cfg, dv):
    """Just enough for Claws to start without its wizard or a dialog (every
    special folder listed, or Claws reports an incomplete mailbox); the plugin
    is preloaded by bare file name, i.e. from the system plugin dir."""
    os.makedirs(cfg, mode=0o700, exist_ok=True)
    with open(os.path.join(cfg, "accountrc"), "w") as f:
        f.write("[Account: 1]\nconfig_version=4\naccount_name=Work\nis_default=1\nname=Sam Seller\n"
                "address=%s\nprotocol=1\nreceive_server=%s\nsmtp_server=127.0.0.1\nuser_id=%s\n"
                "set_imapport=1\nimap_port=%d\nssl_imap=0\nssl_smtp=0\nuse_smtp_auth=0\n"
                "imap_auth_method=0\nuse_apop_auth=0\nimap_use_trash=1\n"
                % (ME, dv.host, dv.user, dv.port))
    with open(os.path.join(cfg, "folderlist.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<folderlist config_version="4">\n'
                '  <folder type="imap" name="Work" account_id="1" collapsed="0">\n'
                '    <folderitem type="inbox" name="INBOX" path="INBOX" />\n'
                '    <folderitem type="outbox" name="Sent" path="Sent" />\n'
                '    <folderitem type="queue" name="Queue" path="Queue" />\n'
                '    <folderitem type="draft" name="Drafts" path="Drafts" />\n'
                '    <folderitem type="trash" name="Trash" path="Trash" />\n'
                '  </folder>\n</folderlist>\n')
    with open(os.path.join(cfg, "clawsrc"), "w") as f:
        f.write("[Common]\nconfig_version=4\nenable_aspell=0\ncheck_on_startup=0\nconfirm_on_exit=0\n"
                "warn_queued_on_exit=0\nshow_tooltips=0\nlayout_mode=0\nmainwin_x=0\nmainwin_y=0\n"
                "mainwin_width=1000\nmainwin_height=700\nfolderview_width=300\nsummaryview_height=300\n"
                "mainview_x=0\nmainview_y=0\nmainview_width=1000\nmainview_height=700\n"
                "\n[Plugins_GTK3]\nkeepwarm.so\n\n[KeepWarm]\nsync_interval=0\n")
    pw = os.path.join(cfg, "passwordstorerc")
    with open(pw, "w") as f:
        f.write("[config_version:4]\n[account:1]\nrecv %s\n" % dv.password)
    os.chmod(pw, 0o600)


def kill_group(p):
    if p and p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()


def plugins_in_clawsrc(cfg):
    try:
        with open(os.path.join(cfg, "clawsrc"), errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    m = re.search(r"^\[Plugins_GTK3\]\n(.*?)(?:^\[|\Z)", text, re.M | re.S)
    return [ln.strip() for ln in m.group(1).splitlines() if ln.strip()] if m else []


def claws_loads_plugin(dv, plugin_dir):
    work = tmpdir("kw-pkg-claws-")
    xvfb, display = start_xvfb(work)  # guitest.Proc: killed at exit
    cfg = os.path.join(work, "cfg")
    write_claws_config(cfg, dv)
    env = dict(os.environ, HOME=os.path.join(work, "home"), XDG_RUNTIME_DIR=os.path.join(work, "run"),
               XDG_DATA_HOME=os.path.join(work, "data"), XDG_CONFIG_HOME=os.path.join(work, "config"),
               NO_AT_BRIDGE="1", DISPLAY=display, LC_ALL="C.UTF-8", LANGUAGE="C")
    env.pop("KEEPWARM_BIN", None)
    for k in ("HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        os.makedirs(env[k], mode=0o700, exist_ok=True)
    log_path = os.path.join(work, "claws.log")
    log = open(log_path, "wb")
    claws = subprocess.Popen(["claws-mail", "--debug", "--alternate-config-dir", cfg], env=env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    c2 = add_cleanup(lambda: kill_group(claws))
    so = os.path.join(plugin_dir, "keepwarm.so")
    loaded = None
    end = time.monotonic() + 30
    while time.monotonic() < end and claws.poll() is None:
        with open(log_path, errors="replace") as f:
            text = f.read()
        # Claws' debug output names the plugin file when it loads it, and
        # complains when it cannot.
        bad = re.search(r"(?im)^.*(keepwarm\.so.*(?:error|fail|cannot|refus)|plugin.*keepwarm.*(?:error|fail)).*$", text)
        if bad:
            loaded = False
            break
        if re.search(r"(?i)plugin.*" + re.escape(so) + r".*loaded|" + re.escape(so) + r".*loaded|loaded.*" + re.escape(so), text):
            loaded = True
            break
        time.sleep(0.2)
    with open(log_path, errors="replace") as f:
        text = f.read()
    lines = [ln for ln in text.splitlines() if "keepwarm" in ln.lower()]
    ok(loaded, "Claws Mail loads the installed plugin %s (claws-mail --debug)" % so,
       "\n".join(lines[-20:]) or text[-3000:])
    # A clean exit rewrites clawsrc, keeping only the plugins that are loaded.
    # Let the main window finish starting first (the plugin is loaded before).
    time.sleep(3)
    subprocess.run(["claws-mail", "--alternate-config-dir", cfg, "--exit"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    try:
        claws.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    windows = []
    if claws.poll() is None and shutil.which("xdotool"):
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "."], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for wid in r.stdout.split():
            n = subprocess.run(["xdotool", "getwindowname", wid], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True).stdout.strip()
            windows.append(n)
        if shutil.which("import"):
            shot = os.path.join(SRC_DIR, "build", "test-artifacts", "t-packages-claws.png")
            os.makedirs(os.path.dirname(shot), exist_ok=True)
            subprocess.run(["import", "-window", "root", shot], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            windows.append("screenshot: " + shot)
    with open(log_path, errors="replace") as f:
        tail = f.read()[-2000:]
    ok(claws.poll() is not None, "Claws Mail exits on --exit",
       "visible windows: %s" % windows, tail)
    kill_group(claws)
    plugins = plugins_in_clawsrc(cfg)
    ok(any(os.path.basename(p) == "keepwarm.so" for p in plugins),
       "clawsrc [Plugins_GTK3] still lists keepwarm.so after Claws' exit", plugins)
    log.close()
    xvfb.kill()
    remove_cleanup(c2)


# kw_words_state() in core/po/de.po
GERMAN_STATES = {"overdue": "überfällig", "due-soon": "bald fällig", "awaiting-your-reply": "wartet auf Ihre Antwort",
                 "awaiting-their-reply": "wartet auf deren Antwort", "ok": "in Kontakt"}


def host_speaks_german():
    """The installed native host (the add-on's side) finds the German
    catalogue of the keepwarm package when the add-on asks in German."""
    from kwhost import host_call
    ok(os.path.isfile("/usr/share/locale/de/LC_MESSAGES/keepwarm.mo"), "the German catalogue is installed")
    answers, rc, err = host_call([{"id": 1, "cmd": "overdue", "all": True, "lang": "de"}],
                                 argv=["/usr/bin/keepwarm", "--db", default_db(), "native-host"])
    items = answers[0].get("result", {}).get("items", []) if answers else []
    ok(items and all(GERMAN_STATES.get(i["state"]) == i["state_text"] for i in items),
       "the installed host words the states in German", [(i["state"], i["state_text"]) for i in items], answers)


def thunderbird_has_addon():
    """The webext-keepwarm package: files in Debian's places, the host manifest
    names /usr/bin/keepwarm, setup-thunderbird knows, and a fresh Thunderbird
    profile has the add-on active without any click."""
    xpi = "/usr/share/webext/%s.xpi" % ADDON_ID
    link = "/usr/lib/thunderbird/extensions/%s.xpi" % ADDON_ID
    ok(os.path.isfile(xpi), "the add-on is in %s" % xpi)
    ok(os.path.islink(link) and os.path.realpath(link) == xpi, "and linked from Thunderbird's extensions")
    with open("/usr/lib/mozilla/native-messaging-hosts/keepwarm.json") as f:
        m = json.load(f)
    is_((m.get("path"), m.get("allowed_extensions")), ("/usr/bin/keepwarm", [ADDON_ID]),
        "the system host manifest names /usr/bin/keepwarm and allows the add-on")
    home = tmpdir("kw-pkg-tb-")
    rc, out = sh(["/usr/bin/keepwarm", "setup-thunderbird"], env=dict(os.environ, HOME=home))
    ok(rc == 0 and "installed for all users" in out, "setup-thunderbird says the add-on is installed", out)
    if not os.access("/usr/lib/thunderbird/thunderbird", os.X_OK):
        skip("Thunderbird is not installed", 1)
        return
    sys.path.insert(0, os.path.join(SRC_DIR, "tests", "lib"))
    import tbtest
    from marionette import Marionette
    prof = os.path.join(home, "profile")
    os.makedirs(prof)
    port = tbtest.free_port()
    with open(os.path.join(prof, "user.js"), "w") as f:
        f.write(tbtest.user_js({"marionette.port": port, "remote.prefs.recommended": False}))
    tb = subprocess.Popen([tbtest.TB_BIN, "--headless", "--profile", prof, "--marionette",
                           "--remote-allow-system-access"], env=tbtest._tb_env(home), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    c = add_cleanup(lambda: kill_group(tb))
    try:
        mn = Marionette(port, timeout=90)
        mn.session()
        mn.chrome()
        state = mn.js("""
            const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
            return AddonManager.getAddonByID(arguments[0]).then(a => a && {active: a.isActive, scope: a.scope});
        """, ADDON_ID)
        is_(state, {"active": True, "scope": 4}, "a fresh Thunderbird profile runs the packaged add-on (no click)")
        mn.close()
    finally:
        kill_group(tb)
        remove_cleanup(c)


def run():
    # CI (CI=true, a throwaway machine) always runs it; elsewhere it installs
    # packages system-wide, so it asks for KW_TEST_PACKAGES=1.
    if os.environ.get("KW_TEST_PACKAGES") != "1" and not (
            os.environ.get("CI") == "true" and os.environ.get("KW_TEST_PACKAGES") != "0"):
        skip_all("building and installing the Debian packages takes minutes and installs them "
                 "system-wide: set KW_TEST_PACKAGES=1 (CI does)")
    if os.geteuid() != 0:
        skip_all("installing packages needs root")
    for tool in ("dpkg-buildpackage", "apt-get", "dovecot", "claws-mail", "Xvfb"):
        if not shutil.which(tool):
            skip_all("%s is not installed" % tool)
    already = [p for p in PACKAGES if installed(p)]
    if already:
        skip_all("already installed, would be removed: %s" % " ".join(already))

    debdir = build_packages()
    debs = [os.path.abspath(p) for name in PACKAGES
            for p in sorted(glob.glob(os.path.join(debdir, "%s_*.deb" % name)))]
    if not is_(len(debs), len(PACKAGES), "one .deb per package in %s" % debdir, debs):
        return

    add_cleanup(purge)
    rc, out = sh(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + debs,
                 env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if not ok(rc == 0 and all(installed(p) for p in PACKAGES), "apt-get install ./keepwarm*.deb", out[-4000:]):
        return

    rc, out = sh(["dpkg-query", "-W", "-f=${Depends}", "claws-mail-plugin-keepwarm"])
    _, claws_version = sh(["pkg-config", "--modversion", "claws-mail"])
    v = claws_version.strip().split(".")
    like(out, r"claws-mail \(>= %s\), claws-mail \(<< %s\.%s\.%d~\)" % (re.escape(".".join(v[:3])), v[0], v[1], int(v[2]) + 1),
         "the plugin package pins the Claws Mail release it was built against")

    # ---- the command, as installed
    rc, out = sh(["/usr/bin/keepwarm", "--version"])
    ok(rc == 0 and re.match(r"keepwarm \d+\.\d+\.\d+", out), "/usr/bin/keepwarm --version", out)
    rc, out = sh(["man", "-w", "keepwarm"])
    ok(rc == 0 and "keepwarm.1" in out, "man keepwarm finds the manual page", out)
    rc, out = sh(["nm", "-D", "--defined-only", "/usr/bin/keepwarm"])
    like(out, r"(?m) T _gnutls_global_init_skip$",
         "/usr/bin/keepwarm exports GnuTLS's init hook (TLS floor set in-process)")

    # kwtest runs $KW_BUILD/keepwarm: point it at the installed program.
    fake_build = tmpdir("kw-pkg-build-")
    os.symlink("/usr/bin/keepwarm", os.path.join(fake_build, "keepwarm"))
    os.environ["KW_BUILD"] = fake_build
    with Dovecot() as dv:
        now = int(time.time())
        for i, (frm, to) in enumerate((("Jane Doe <jane@acme.example>", ME),
                                       ("Sam Seller <%s>" % ME, "jane@acme.example"))):
            raw = ("From: %s\r\nTo: %s\r\nSubject: Order %d\r\nDate: %s\r\nMessage-ID: <pkg-%d@test>\r\n\r\nHi.\r\n"
                   % (frm, to, i, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(now - 86400 * (10 - i))), i))
            dv.append("INBOX" if i == 0 else "Sent", raw, date=now - 86400 * (10 - i))
        rc, out, err = run_keepwarm(sync_args(dv, tls="implicit"), password=dv.password)
        is_(rc, 0, "installed keepwarm syncs the test Dovecot over verified TLS", err)
        ok("warning" not in err, "no warning (the TLS floor file is found in /usr/share/keepwarm)", err)
        rc, data, err = contacts_json(all_=True)
        emails = sorted(c.get("email") for c in (data or []))
        ok(rc == 0 and "jane@acme.example" in emails, "keepwarm contacts lists the synced correspondent", emails, err)
        host_speaks_german()

        plugin_dir = subprocess.run(["pkg-config", "--variable=plugindir", "claws-mail"],
                                    stdout=subprocess.PIPE, text=True).stdout.strip()
        ok(os.path.isfile(os.path.join(plugin_dir, "keepwarm.so")), "the plugin is installed in %s" % plugin_dir)
        claws_loads_plugin(dv, plugin_dir)
    thunderbird_has_addon()

    purge()
    ok(not any(installed(p) for p in PACKAGES) and not os.path.exists("/usr/bin/keepwarm"),
       "apt-get purge removes the packages")


if __name__ == "__main__":
    main(run)
