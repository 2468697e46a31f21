# SPDX-License-Identifier: GPL-3.0-or-later
"""guitest — helpers for the tests that drive a real mail client under Xvfb
(tests/plugin/t-claws-e2e.py, tests/thunderbird/t-tb-e2e.py).

    need(["Xvfb", "xdotool"])            skip_all unless the programs exist
    p = Proc(argv, env, log_path)        a child in its own session, killed (group) at exit
    xvfb, display = start_xvfb(workdir)  a private X server (":N")
    files_containing([dirs or files], b"needle") -> [paths]
    rerun_in_dbus_session()              run this test again inside dbus-run-session (a
                                         private session bus that ends with the test)
    start_keyring(env)                   gnome-keyring-daemon with a throwaway, unlocked keyring
    w = ProcWatcher(match); w.start() ... w.stop = True; w.join(); w.seen {pid: (cmdline, environ)}
                                         every process whose cmdline match(bytes) accepts, as it appears
"""
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

import kwtest
from kwtest import add_cleanup, remove_cleanup, skip_all


def need(tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        skip_all("missing: " + " ".join(missing))


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


def rerun_in_dbus_session():
    """Unless already done, run this script again under dbus-run-session and
    exit with its status (its TAP goes to our stdout)."""
    if os.environ.get("KW_TEST_DBUS_SESSION") == str(os.getpid()):
        return
    need(["dbus-run-session", "dbus-send"])
    r = subprocess.run(["dbus-run-session", "--", "sh", "-c", 'KW_TEST_DBUS_SESSION=$$ exec "$0" "$@"',
                        sys.executable] + sys.argv, stderr=subprocess.PIPE)
    for line in r.stderr.decode(errors="replace").splitlines():
        # The private bus's own chatter (service activation, fd limits as root).
        if not line.startswith("dbus-daemon["):
            sys.stderr.write(line + "\n")
    kwtest._tap["done"] = True
    sys.exit(r.returncode)


def start_keyring(env):
    """gnome-keyring-daemon in the foreground, its login keyring created and
    unlocked with a throwaway password (read from stdin)."""
    p = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    p.stdin.write(secrets.token_hex(8).encode())
    p.stdin.close()

    def stop():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    add_cleanup(stop)
    # Ready when it owns the Secret Service's name (asking the bus, which
    # does not start a second, locked daemon through D-Bus activation).
    end = time.monotonic() + 15
    while time.monotonic() < end and p.poll() is None:
        r = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                            "string:org.freedesktop.secrets"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        if "boolean true" in r.stdout:
            return p
        time.sleep(0.1)
    raise RuntimeError("gnome-keyring-daemon did not come up")


class ProcWatcher(threading.Thread):
    """Records the cmdline and environment of each process, seen in /proc while
    it runs, whose cmdline (bytes, NUL-separated) `match` accepts."""

    def __init__(self, match, interval=0.005):
        super().__init__(daemon=True)
        self.match = match
        self.interval = interval
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
                    if not cmd or not self.match(cmd):
                        continue
                    with open("/proc/%s/environ" % pid, "rb") as f:
                        self.seen[pid] = (cmd, f.read())
                except OSError:
                    continue
            time.sleep(self.interval)
