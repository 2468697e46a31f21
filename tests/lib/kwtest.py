# SPDX-License-Identifier: GPL-3.0-or-later
"""kwtest — shared fixtures for keepwarm's Python tests (stdlib only).

TAP:
    from kwtest import *          # plan, ok, is_, diag, note, skip, skip_all, done, main
    plan(3)        # optional; without it done() prints 1..N at the end
    ok(cond, "name")  /  is_(got, expected, "name")  /  skip("why", count)
    todo_ok(cond, "name", "known bug ...")   # TAP TODO: shown, never a failure
    done()         # prints the plan if needed, exits 1 when something failed
    main(fn)       # runs fn() and done(); an exception becomes a failed test with a traceback

Dovecot (context manager, stops on exit/atexit/SIGTERM even when the test fails):
    with Dovecot(maildir=PATH, password="pw") as dv:
        dv.host, dv.port (plain/STARTTLS), dv.tls_port (implicit TLS), dv.ca_file,
        dv.user, dv.password, dv.workdir, dv.log_path
        dv.login_count(); dv.append(folder, data, date); dv.uidvalidity(folder)
        dv.delete_and_recreate(folder); dv.reset_uidvalidity(folder)
        dv.flags_snapshot(); dv.restart(cert="wrong_name"); dv.stop()
    Server certificates (cert=...): "valid" (localhost + 127.0.0.1, signed by the test CA),
    "wrong_name" (wrong.example, same CA), "expired" (same CA, expired in 2020),
    "self_signed" (localhost + 127.0.0.1, not signed by the CA).

keepwarm:
    rc, out, err = run_keepwarm(["sync", ...], password="pw")   # --db defaults to a temp db
    p = start_keepwarm([...], password="pw")                     # Popen, for kill/concurrency
    sync_args(dv, ...) builds the usual sync argument list.

    run_keepwarm(..., db=PATH | False (no --db), umask=0, env={...}, timeout=60)
    Environment: HOME and XDG_* point into a per-process temp dir; $KW_BUILD selects
    the build (default: the `build` dir next to tests/).
    contacts_json(db) -> (rc, list, stderr); parse_progress(stdout) -> [events];
    new_db() -> a fresh db path (its directory does not exist yet); sqlite_integrity(db);
    EXIT = {"ok": 0, "usage": 2, "auth": 3, "tls": 4, ..., "busy": 8, "partial": 9}.

Mailboxes: maildir, truth, box = generated_mailbox(messages=300, seed=1, ...)
    contacts_problems(contacts_json_list, truth) -> [] when keepwarm agrees with the truth.

RecordingProxy(upstream_port, pause_on=REGEX, delay=S): plaintext TCP proxy on 127.0.0.1
    recording the client's commands (sync with --tls=none --port px.port):
    with RecordingProxy(dv.port) as px: px.port; px.commands(); px.command_names()
    pause_on stops server->client bytes after a matching command (px.paused; px.resume()).
    READ_ONLY_COMMANDS, fetch_sets_seen(line) help to assert the read-only guarantee.

Temp files: tmpdir() dirs are 0755 and removed at exit (KW_KEEP_TMP=1 keeps them).
Each Dovecot also has a watchdog process that stops it if the test is killed -9.
"""

import atexit
import datetime as _dt
import errno
import fcntl
import imaplib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(HERE)
SRC_DIR = os.path.dirname(TESTS_DIR)

# --------------------------------------------------------------------------
# TAP
# --------------------------------------------------------------------------

_tap = {"n": 0, "failed": 0, "planned": None, "done": False, "skipped_all": False}
_out_lock = threading.Lock()


def _emit(line):
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def plan(n):
    """Print the plan first (optional; done() prints it at the end otherwise)."""
    _tap["planned"] = n
    _emit("1..%d" % n)


def diag(*msg):
    """Diagnostic on stderr (shown by prove), one '# ' line per text line."""
    text = " ".join(str(m) for m in msg)
    with _out_lock:
        sys.stdout.flush()
        for line in text.splitlines() or [""]:
            sys.stderr.write("# " + line + "\n")
        sys.stderr.flush()


def note(*msg):
    """Diagnostic on stdout (only shown with prove -v)."""
    text = " ".join(str(m) for m in msg)
    for line in text.splitlines() or [""]:
        _emit("# " + line)


def ok(cond, name="", *diags):
    """One test. Extra arguments are printed as diagnostics when it fails."""
    _tap["n"] += 1
    name = str(name).replace("\n", " ").replace("#", "\\#")
    if cond:
        _emit("ok %d - %s" % (_tap["n"], name))
    else:
        _tap["failed"] += 1
        _emit("not ok %d - %s" % (_tap["n"], name))
        where = traceback.extract_stack()[:-1]
        caller = [f for f in where if not f.filename.endswith("kwtest.py")]
        if caller:
            f = caller[-1]
            diag("  Failed test '%s'\n  at %s line %d." % (name, os.path.basename(f.filename), f.lineno))
        for d in diags:
            diag(d)
    return bool(cond)


def todo_ok(cond, name, reason, *diags):
    """A test of a known bug (TAP TODO): reported, never counted as a failure;
    prove lists it as "unexpectedly succeeded" once the bug is fixed."""
    _tap["n"] += 1
    name = str(name).replace("\n", " ").replace("#", "\\#")
    _emit("%s %d - %s # TODO %s" % ("ok" if cond else "not ok", _tap["n"], name, reason))
    if not cond:
        for d in diags:
            note(d)
    return bool(cond)


def _short(v, limit=4000):
    s = v if isinstance(v, str) else repr(v)
    return s if len(s) <= limit else s[:limit] + "... (%d chars)" % len(s)


def is_(got, expected, name="", *diags):
    """got == expected, with both shown on failure."""
    res = got == expected
    if res:
        return ok(True, name)
    extra = ["       got: " + _short(got), "  expected: " + _short(expected)]
    if isinstance(got, (list, dict)) and isinstance(expected, (list, dict)):
        extra.append(_diff(got, expected))
    return ok(False, name, *(extra + list(diags)))


def isnt(got, unexpected, name="", *diags):
    return ok(got != unexpected, name, "  got: " + _short(got) + "\n  expected anything else", *diags)


def like(got, regex, name="", *diags):
    return ok(got is not None and re.search(regex, got) is not None, name,
              "  '%s'\n  doesn't match '%s'" % (_short(got), regex), *diags)


def _diff(got, expected, limit=40):
    """A short structural difference of two lists/dicts (for diagnostics)."""
    lines = []
    if isinstance(got, dict) and isinstance(expected, dict):
        for k in sorted(set(got) | set(expected), key=str):
            if k not in got:
                lines.append("  missing key %r: expected %s" % (k, _short(expected[k], 300)))
            elif k not in expected:
                lines.append("  unexpected key %r: %s" % (k, _short(got[k], 300)))
            elif got[k] != expected[k]:
                lines.append("  %r: got %s, expected %s" % (k, _short(got[k], 300), _short(expected[k], 300)))
    elif isinstance(got, list) and isinstance(expected, list):
        if len(got) != len(expected):
            lines.append("  length: got %d, expected %d" % (len(got), len(expected)))
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                lines.append("  [%d]: got %s, expected %s" % (i, _short(g, 300), _short(e, 300)))
    if len(lines) > limit:
        lines = lines[:limit] + ["  ... %d more differences" % (len(lines) - limit)]
    return "\n".join(lines) or "  (no structural difference shown)"


def skip(reason, count=1):
    for _ in range(count):
        _tap["n"] += 1
        _emit("ok %d # skip %s" % (_tap["n"], reason))


def skip_all(reason):
    _emit("1..0 # SKIP %s" % reason)
    _tap["skipped_all"] = True
    _tap["done"] = True
    sys.exit(0)


def bail_out(reason):
    _emit("Bail out! %s" % reason)
    _tap["done"] = True
    sys.exit(255)


def failures():
    return _tap["failed"]


def done():
    """Print the plan (when none was given) and exit: 0 all passed, 1 otherwise."""
    if _tap["done"]:
        return
    _tap["done"] = True
    if _tap["planned"] is None:
        _emit("1..%d" % _tap["n"])
    elif _tap["planned"] != _tap["n"]:
        diag("planned %d tests but ran %d" % (_tap["planned"], _tap["n"]))
        _tap["failed"] += 1
    sys.exit(1 if _tap["failed"] else 0)


def main(fn, *args, **kwargs):
    """Run fn(); an uncaught exception is reported as one failed test. Then done()."""
    t0 = time.monotonic()
    try:
        fn(*args, **kwargs)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        ok(False, "interrupted")
    except BaseException:
        ok(False, "test script died with an exception", traceback.format_exc())
    note("took %.1f s" % (time.monotonic() - t0))
    done()


# --------------------------------------------------------------------------
# Cleanup machinery (atexit + SIGTERM/SIGHUP turn into a normal exit)
# --------------------------------------------------------------------------

_cleanups = []


def add_cleanup(fn):
    """Run fn() at exit (LIFO). Returns fn so it can be removed with remove_cleanup."""
    _cleanups.append(fn)
    return fn


def remove_cleanup(fn):
    try:
        _cleanups.remove(fn)
    except ValueError:
        pass


def _run_cleanups():
    try:  # a second Ctrl-C must not abort the cleanup half-way
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        old = None
    try:
        _run_cleanups_now()
    finally:
        if old is not None:
            try:
                signal.signal(signal.SIGINT, old)
            except (ValueError, OSError):
                pass


def _run_cleanups_now():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception:
            traceback.print_exc(file=sys.stderr)


atexit.register(_run_cleanups)


def _on_signal(signum, frame):
    # Raise in the main thread so `with` blocks and atexit handlers run.
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        if signal.getsignal(_sig) in (signal.SIG_DFL, None):
            signal.signal(_sig, _on_signal)
    except (ValueError, OSError):  # not the main thread
        pass

_tmp_root = None


def tmpdir(prefix="kwtest-"):
    """A fresh directory (mode 0755, removed at exit unless KW_KEEP_TMP=1)."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    if not os.environ.get("KW_KEEP_TMP"):
        add_cleanup(lambda: shutil.rmtree(d, ignore_errors=True))
    else:
        add_cleanup(lambda: sys.stderr.write("# kept %s\n" % d))
    return d


def _session_tmp():
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = tmpdir("kwtest-run-")
    return _tmp_root


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def iso_utc(ts):
    """UTC seconds -> '2024-03-01T10:00:00Z' (the format keepwarm prints)."""
    if ts is None:
        return None
    if isinstance(ts, _dt.datetime):
        ts = ts.timestamp()
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    if s is None:
        return None
    return int(_dt.datetime.strptime(s.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=_dt.timezone.utc).timestamp())


# IMAP modified UTF-7 (RFC 3501 5.1.3): one encoder, the generator's (it
# names the folders on disk the same way).
sys.path.insert(0, HERE)
from gen_mailbox import mutf7_encode  # noqa: E402


def mutf7_decode(s):
    import base64
    out, i = [], 0
    while i < len(s):
        if s[i] == "&":
            j = s.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b64 = s[i + 1:j].replace(",", "/")
                b64 += "=" * (-len(b64) % 4)
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def imap_quote(name):
    """A folder name (UTF-8) as an IMAP quoted string in modified UTF-7."""
    enc = mutf7_encode(name)
    return '"' + enc.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _wait_pid_gone(pid, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not _pid_alive(pid):
            return True
        time.sleep(0.02)
    return not _pid_alive(pid)


# --------------------------------------------------------------------------
# Test certificates (openssl), cached
# --------------------------------------------------------------------------

CERT_NAMES = ("valid", "wrong_name", "expired", "self_signed")
_CERT_VERSION = "1"


def build_dir():
    """$KW_BUILD, else the `build` directory next to tests/."""
    return os.environ.get("KW_BUILD") or os.path.join(SRC_DIR, "build")


def keepwarm_path():
    return os.path.join(build_dir(), "keepwarm")


def _openssl(args, cwd):
    r = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))


def _gen_certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
              "-subj", "/O=keepwarm tests/CN=keepwarm test CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    leaf_ext = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n")
    for name, cn, san in (("valid", "localhost", "DNS:localhost,IP:127.0.0.1"),
                          ("wrong_name", "wrong.example", "DNS:wrong.example"),
                          ("expired", "localhost", "DNS:localhost,IP:127.0.0.1")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(leaf_ext % san)
        _openssl(["req", "-new"] + ec + ["-keyout", name + ".key", "-out", name + ".csr",
                  "-subj", "/O=keepwarm tests/CN=" + cn], d)
        if name != "expired":
            _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                      "-set_serial", str(1000 + CERT_NAMES.index(name)), "-days", "3650",
                      "-sha256", "-extfile", name + ".ext", "-out", name + ".pem"], d)
    # Expired: `openssl ca` can set explicit start and end dates.
    os.makedirs(os.path.join(d, "ca-db"), exist_ok=True)
    open(os.path.join(d, "ca-db", "index.txt"), "w").close()
    with open(os.path.join(d, "ca-db", "serial"), "w") as f:
        f.write("2000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = ca-db/index.txt\nnew_certs_dir = ca-db\n"
                "serial = ca-db/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n"
                "[p]\ncommonName = supplied\norganizationName = optional\n")
    _openssl(["ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
              "-in", "expired.csr", "-out", "expired.pem", "-startdate", "20190101000000Z",
              "-enddate", "20200101000000Z", "-extfile", "expired.ext"], d)
    _openssl(["req", "-x509"] + ec + ["-keyout", "self_signed.key", "-out", "self_signed.pem",
              "-days", "3650", "-subj", "/O=keepwarm tests/CN=localhost",
              "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
              "-addext", "extendedKeyUsage=serverAuth"], d)
    for fn in os.listdir(d):
        p = os.path.join(d, fn)
        if os.path.isfile(p):
            os.chmod(p, 0o644)


def test_certs(cache_dir=None):
    """Generate (once) and return {"ca": path, NAME: (cert, key), ...}.

    Cached in $KW_TEST_CERTS, else <build>/test-certs (shared by all tests of a
    build; generated under a lock, so parallel tests are fine)."""
    d = cache_dir or os.environ.get("KW_TEST_CERTS") or os.path.join(build_dir(), "test-certs")
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    final = os.path.join(d, "v" + _CERT_VERSION)
    lockf = open(os.path.join(d, ".lock"), "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(final, "complete")):
            tmp = tempfile.mkdtemp(prefix="gen-", dir=d)
            _gen_certs(tmp)
            open(os.path.join(tmp, "complete"), "w").close()
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
            os.chmod(final, 0o755)
    finally:
        fcntl.flock(lockf, fcntl.LOCK_UN)
        lockf.close()
    res = {"ca": os.path.join(final, "ca.pem"), "dir": final}
    for n in CERT_NAMES:
        res[n] = (os.path.join(final, n + ".pem"), os.path.join(final, n + ".key"))
    return res


# --------------------------------------------------------------------------
# Dovecot fixture
# --------------------------------------------------------------------------

SPECIAL_USE = (("Sent", "\\Sent"), ("Trash", "\\Trash"), ("Drafts", "\\Drafts"),
               ("Junk", "\\Junk"), ("Archive", "\\Archive"))

_instances = set()

# Runs in its own process: when the test process dies (even by SIGKILL) its end of
# the pipe closes, and this stops the instance and removes its work dir.
_WATCHDOG = r"""
import os, signal, sys, time, shutil
pidfile, inst, workdir, rm = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4] == "1"
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
try:
    sys.stdin.buffer.read()
except Exception:
    pass
def alive(p):
    try:
        os.kill(p, 0)
        return True
    except OSError:
        return False
try:
    pid = int(open(pidfile).read().strip())
except Exception:
    pid = None
if pid:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    end = time.time() + 5
    while alive(pid) and time.time() < end:
        time.sleep(0.05)
time.sleep(0.5)
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            if open("/proc/%s/cmdline" % p, "rb").read().startswith(b"dovecot-" + inst + b"/"):
                os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass
if rm:
    shutil.rmtree(workdir, ignore_errors=True)
"""


class Watchdog:
    """Runs `script` (Python source, with `args` as its argv) in its own session
    as soon as the test process is gone, even killed with SIGKILL: the script
    first reads its stdin, a pipe whose write end only the test process holds,
    so EOF means the test died. cancel() when the test cleaned up itself."""

    def __init__(self, script, args):
        r, w = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", script] + [str(a) for a in args], stdin=r,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            os.close(r)
        self.fd = w

    def cancel(self):
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        os.close(self.fd)


def _ids():
    import pwd
    import grp
    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


class Dovecot:
    """A throwaway Dovecot on 127.0.0.1 (see the module docstring).

    maildir:      an existing Maildir (e.g. from gen_mailbox); None = an empty one.
                  It is chown'ed to nobody:nogroup (when running as root).
    users:        several user names (same password); maildir is then a directory
                  holding one Maildir per user (maildir/NAME).
    layout:       "maildir++" (folders as .Name.Sub) or "fs" (LAYOUT=fs) — must match the files.
    special_use:  False to declare no SPECIAL-USE flags (auto-created folders stay).
    cert:         "valid" | "wrong_name" | "expired" | "self_signed".
    """

    def __init__(self, maildir=None, user="seller", password="test-password-1",
                 layout="maildir++", special_use=True, cert="valid", workdir=None,
                 auto_create=True, extra_conf="", users=None):
        # users: several accounts (same password); `maildir` is then the root
        # holding one Maildir per user name (maildir/USER)
        self.users = list(users) if users else None
        self.user = self.users[0] if self.users else user
        self.password = password
        self.layout = layout
        self.special_use = special_use
        self.cert = cert
        self.auto_create = auto_create
        self.extra_conf = extra_conf
        self.host = "127.0.0.1"
        self._own_workdir = workdir is None
        self.workdir = os.path.abspath(workdir) if workdir else tmpdir("kwdovecot-")
        os.chmod(self.workdir, 0o755)
        self.maildir = os.path.abspath(maildir) if maildir else os.path.join(self.workdir, "Maildir")
        self.instance_name = "kwtest-%d-%s" % (os.getpid(), os.path.basename(self.workdir)[-8:])
        self.base_dir = os.path.join(self.workdir, "run")
        self.state_dir = os.path.join(self.workdir, "state")
        self.index_dir = os.path.join(self.workdir, "index")
        self.log_path = os.path.join(self.workdir, "dovecot.log")
        self.conf_path = os.path.join(self.workdir, "dovecot.conf")
        self.passwd_path = os.path.join(self.workdir, "passwd")
        self.port = None
        self.tls_port = None
        self.pid = None
        certs = test_certs()
        self.certs = certs
        self.ca_file = certs["ca"]
        self._cleanup = None

    # -- lifecycle -------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _write_conf(self):
        for d in (self.base_dir, self.state_dir, self.index_dir, self.maildir):
            os.makedirs(d, exist_ok=True)
        for d in (self.base_dir, self.state_dir):
            os.chmod(d, 0o755)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        # every directory on the path must be traversable by dovecot/dovenull
        p = self.maildir
        while p not in ("/", ""):
            st = os.stat(p)
            if st.st_mode & 0o005 != 0o005 and (p.startswith(self.workdir) or p == self.maildir
                                                  or p.startswith(tempfile.gettempdir() + "/")):
                os.chmod(p, st.st_mode | 0o755)
            p = os.path.dirname(p)
        if os.geteuid() == 0:
            uid, gid = _ids()
            for d in (self.maildir, self.index_dir):
                subprocess.run(["chown", "-R", "%d:%d" % (uid, gid), d], check=True)
            user_ids = "uid=%d gid=%d" % (uid, gid)
        else:
            user_ids = "uid=%d gid=%d" % (os.getuid(), os.getgid())
        with open(self.passwd_path, "w") as f:
            for u in self.users or [self.user]:
                f.write("%s:{PLAIN}%s\n" % (u, self.password))
        os.chmod(self.passwd_path, 0o644)
        cert, key = self.certs[self.cert]
        loc = "maildir:%s" % (self.maildir + "/%u" if self.users else self.maildir)
        if self.layout == "fs":
            loc += ":LAYOUT=fs"
        elif self.layout != "maildir++":
            raise ValueError("layout must be 'maildir++' or 'fs'")
        loc += ":INDEX=%s/%%u:CONTROL=%s/%%u" % (self.index_dir, self.index_dir)
        mailboxes = []
        for name, su in SPECIAL_USE:
            body = []
            if self.special_use:
                body.append("special_use = %s" % su)
            if self.auto_create:
                body.append("auto = create")
            if body:
                mailboxes.append("  mailbox %s {\n    %s\n  }" % (name, "\n    ".join(body)))
        dh = "ssl_dh = </usr/share/dovecot/dh.pem\n" if os.path.exists("/usr/share/dovecot/dh.pem") else ""
        nonroot = ""
        if os.geteuid() != 0:
            import pwd
            import grp
            me = pwd.getpwuid(os.getuid()).pw_name
            grpname = grp.getgrgid(os.getgid()).gr_name
            nonroot = ("default_internal_user = %s\ndefault_internal_group = %s\n"
                       "default_login_user = %s\n" % (me, grpname, me))
        conf = """# generated by tests/lib/kwtest.py
instance_name = {inst}
base_dir = {base}
state_dir = {state}
log_path = {log}
info_log_path = {log}
{nonroot}protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
{dh}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
mail_location = {loc}
first_valid_uid = 1
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = {ids} home={home}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
{mailboxes}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{extra}
""".format(inst=self.instance_name, base=self.base_dir, state=self.state_dir, log=self.log_path,
           nonroot=nonroot, cert=cert, key=key, dh=dh, loc=loc, passwd=self.passwd_path, ids=user_ids,
           home=os.path.join(self.workdir, "home"), mailboxes="\n".join(mailboxes), port=self.port,
           tls_port=self.tls_port, extra=self.extra_conf)
        with open(self.conf_path, "w") as f:
            f.write(conf)
        os.chmod(self.conf_path, 0o644)

    def start(self, timeout=15):
        if self.pid:
            return self
        last_err = None
        for attempt in range(3):
            self.port, self.tls_port = free_port(), free_port()
            while self.tls_port == self.port:
                self.tls_port = free_port()
            self._write_conf()
            log_off = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            # The daemon keeps its stdout/stderr open: never a pipe here (it would never see EOF).
            start_log = os.path.join(self.workdir, "dovecot.start.log")
            with open(start_log, "wb") as so:
                r = subprocess.run(["dovecot", "-c", self.conf_path], stdout=so, stderr=so,
                                   stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                with open(start_log, errors="replace") as f:
                    msg = f.read()
                last_err = "dovecot -c failed (%d): %s\n%s" % (r.returncode, msg, self.log_tail(log_off))
                self._kill_leftovers()
                if "in use" in last_err:
                    continue
                raise RuntimeError(last_err)
            if self._cleanup is None:
                self._cleanup = add_cleanup(self.stop)
                _instances.add(self)
            self.pid = self._read_pid(timeout=5)
            self._start_watchdog()
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as e:
                last_err = str(e)
                self.stop()
                if "in use" not in last_err:
                    break
        raise RuntimeError(last_err)

    def _start_watchdog(self):
        if getattr(self, "_wd", None) is not None:
            return
        rm = "1" if (self._own_workdir and not os.environ.get("KW_KEEP_TMP")) else "0"
        self._wd = Watchdog(_WATCHDOG, [os.path.join(self.base_dir, "master.pid"), self.instance_name,
                                        self.workdir, rm])

    def _stop_watchdog(self):
        wd = getattr(self, "_wd", None)
        if wd is not None:
            wd.cancel()
            self._wd = None

    def _read_pid(self, timeout):
        pidfile = os.path.join(self.base_dir, "master.pid")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with open(pidfile) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.02)
        raise RuntimeError("dovecot wrote no master.pid\n" + self.log_tail())

    def _wait_ready(self, timeout):
        end = time.monotonic() + timeout
        pending = [self.port, self.tls_port]
        while pending and time.monotonic() < end:
            port = pending[0]
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=1)
                s.close()
                pending.pop(0)
                continue
            except OSError:
                pass
            if self.pid and not _pid_alive(self.pid):
                raise RuntimeError("dovecot exited during start-up\n" + self.log_tail())
            time.sleep(0.03)
        if pending:
            raise RuntimeError("dovecot did not listen on %s within %ss\n%s" % (pending, timeout, self.log_tail()))
        # Greeting on the plain port proves imap-login works.
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            greet = s.recv(200)
        finally:
            s.close()
        if not greet.startswith(b"* OK"):
            raise RuntimeError("unexpected greeting %r\n%s" % (greet, self.log_tail()))

    def _leftovers(self):
        mine = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"dovecot-" + self.instance_name.encode() + b"/") or (
                    self.conf_path.encode() in cmd and b"dovecot" in cmd):
                mine.append(int(pid))
        return mine

    def _kill_leftovers(self, grace=0.0):
        """Kill processes of this instance (matched by its unique instance name),
        after giving them `grace` seconds to exit by themselves."""
        end = time.monotonic() + grace
        mine = self._leftovers()
        while mine and time.monotonic() < end:
            time.sleep(0.05)
            mine = self._leftovers()
        for pid in mine:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in mine:
            _wait_pid_gone(pid, 2)
        return mine

    def stop(self, timeout=10):
        """Stop the instance and wait until its processes are gone. Idempotent."""
        self._stop_watchdog()
        pid = self.pid
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not _wait_pid_gone(pid, timeout):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _wait_pid_gone(pid, 2)
            self.pid = None
        left = self._kill_leftovers(grace=3.0)
        if left:
            sys.stderr.write("# killed leftover dovecot processes %s\n" % left)
        if self._cleanup is not None:
            remove_cleanup(self._cleanup)
            self._cleanup = None
            _instances.discard(self)
        try:
            os.unlink(os.path.join(self.base_dir, "master.pid"))
        except OSError:
            pass

    def restart(self, **changes):
        """Stop, change settings (cert=, special_use=, password=, layout=), start on new ports."""
        self.stop()
        for k, v in changes.items():
            if not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, v)
        return self.start()

    # -- log -------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, offset=0, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read().decode(errors="replace")
        except OSError:
            return "(no dovecot log)"
        return "dovecot log:\n" + "\n".join(data.splitlines()[-lines:])

    def login_count(self):
        """Successful IMAP logins so far (the fixture's own helpers log in too)."""
        return self.log_text().count("Login: user=<")

    # -- IMAP helpers ------------------------------------------------------
    def imap(self):
        """A logged-in imaplib client on the plain port (caller logs out)."""
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        c.login(self.user, self.password)
        return c

    def _check(self, typ, data, what):
        if typ != "OK":
            raise RuntimeError("%s: %s %r" % (what, typ, data))
        return data

    def append(self, folder, data, date=None, flags="(\\Seen)", create=True):
        """APPEND raw message bytes; date (datetime/epoch) becomes INTERNALDATE.
        A missing folder is created first (create=False: fail instead)."""
        if isinstance(data, str):
            data = data.encode()
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if date is None:
            date = time.time()
        if isinstance(date, _dt.datetime):
            date = date.timestamp()
        c = self.imap()
        try:
            idate = imaplib.Time2Internaldate(date)
            typ, resp = c.append(imap_quote(folder), flags, idate, data)
            if typ != "OK" and create and b"TRYCREATE" in b" ".join(x for x in resp if isinstance(x, bytes)):
                self._check(*c.create(imap_quote(folder)), what="CREATE " + folder)
                typ, resp = c.append(imap_quote(folder), flags, idate, data)
            self._check(typ, resp, "APPEND " + folder)
        finally:
            c.logout()

    def folders(self):
        """[(name_utf8, flags_list)] of all folders (incl. \\Noselect)."""
        c = self.imap()
        try:
            return self._list(c)
        finally:
            c.logout()

    def _list(self, c):
        typ, data = c.list('""', "*")
        self._check(typ, data, "LIST")
        res = []
        pat = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')
        it = iter(data)
        for item in it:
            if isinstance(item, tuple):  # literal name
                head, lit = item
                m = re.match(rb'^\((?P<flags>[^)]*)\)', head)
                name = lit
            else:
                m = pat.match(item)
                name = m.group("name")
                if name.startswith(b'"'):
                    name = re.sub(rb'\\(.)', rb'\1', name[1:-1])
            res.append((mutf7_decode(name.decode()), m.group("flags").decode().split()))
        return res

    def _status(self, c, folder, items="(MESSAGES UIDNEXT UIDVALIDITY)"):
        typ, data = c.status(imap_quote(folder), items)
        self._check(typ, data, "STATUS " + folder)
        raw = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
        body = raw[raw.rindex("(") + 1:raw.rindex(")")].split()
        return {body[i].upper(): int(body[i + 1]) for i in range(0, len(body) - 1, 2)}

    def status(self, folder):
        c = self.imap()
        try:
            return self._status(c, folder)
        finally:
            c.logout()

    def uidvalidity(self, folder):
        return self.status(folder)["UIDVALIDITY"]

    def flags_snapshot(self):
        """{folder: {"messages", "uidvalidity", "uidnext", "flags": {uid: sorted flags}}}.

        Read-only itself (EXAMINE, FETCH FLAGS); \\Recent is included, so a client
        that SELECTed a folder would show up as a difference."""
        c = self.imap()
        snap = {}
        try:
            for name, flags in self._list(c):
                if any(f.lower() in ("\\noselect", "\\nonexistent") for f in flags):
                    continue
                typ, data = c.select(imap_quote(name), readonly=True)
                self._check(typ, data, "EXAMINE " + name)
                st = self._status(c, name)
                per = {}
                if int(data[0]) > 0:
                    typ, fdata = c.uid("FETCH", "1:*", "(FLAGS)")
                    self._check(typ, fdata, "FETCH FLAGS " + name)
                    for line in fdata:
                        if isinstance(line, tuple):
                            line = line[0]
                        if not line:
                            continue
                        line = line.decode(errors="replace")
                        mu = re.search(r"UID (\d+)", line)
                        mf = re.search(r"FLAGS \(([^)]*)\)", line)
                        if mu:
                            per[int(mu.group(1))] = sorted(mf.group(1).split()) if mf else []
                snap[name] = {"messages": st["MESSAGES"], "uidvalidity": st["UIDVALIDITY"],
                              "uidnext": st["UIDNEXT"], "flags": per}
        finally:
            c.logout()
        return snap

    def fetch_all(self, folder):
        """[(uid, flags, internaldate_epoch, raw bytes)] of a folder (read-only)."""
        c = self.imap()
        out = []
        try:
            typ, data = c.select(imap_quote(folder), readonly=True)
            self._check(typ, data, "EXAMINE " + folder)
            if int(data[0]) == 0:
                return out
            typ, data = c.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            self._check(typ, data, "FETCH " + folder)
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head = item[0].decode(errors="replace")
                uid = int(re.search(r"UID (\d+)", head).group(1))
                flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
                idate = time.mktime(imaplib.Internaldate2tuple(item[0]))
                out.append((uid, flags, idate, item[1]))
        finally:
            c.logout()
        return out

    def delete_and_recreate(self, folder):
        """DELETE the folder and CREATE it again with the same messages (same bytes,
        INTERNALDATE and flags except \\Recent), which gives it a new UIDVALIDITY.
        Works for leaf folders (Dovecot refuses to delete a folder with children)."""
        old = self.uidvalidity(folder)
        msgs = self.fetch_all(folder)
        c = self.imap()
        try:
            self._check(*c.delete(imap_quote(folder)), what="DELETE " + folder)
            self._check(*c.create(imap_quote(folder)), what="CREATE " + folder)
            for _uid, flags, idate, raw in msgs:
                fl = "(" + " ".join(f for f in flags if f.lower() != "\\recent") + ")"
                self._check(*c.append(imap_quote(folder), fl, imaplib.Time2Internaldate(idate), raw),
                            what="APPEND " + folder)
            new = self._status(c, folder)["UIDVALIDITY"]
        finally:
            c.logout()
        if new == old:
            raise RuntimeError("UIDVALIDITY of %s did not change (%d)" % (folder, old))
        return new

    def reset_uidvalidity(self, folder):
        """Give a folder a new UIDVALIDITY with the very same files: stop, remove its
        index and uidlist (in CONTROL/INDEX), start again. Works for INBOX too.
        Note: ports change (restart)."""
        old = self.uidvalidity(folder)
        self.stop()
        udir = os.path.join(self.index_dir, self.user)
        name = "INBOX" if folder.upper() == "INBOX" else mutf7_encode(folder)
        if self.layout == "maildir++":
            sub = os.path.join(udir, "." + name.replace("/", "."))
        else:
            sub = os.path.join(udir, name)
        targets = [os.path.join(sub, f) for f in os.listdir(sub)
                   if os.path.isfile(os.path.join(sub, f))] if os.path.isdir(sub) else []
        if not targets:
            raise RuntimeError("no index files found for %s under %s" % (folder, udir))
        for t in targets:
            os.unlink(t)
        self.start()
        new = self.uidvalidity(folder)
        if new == old:
            raise RuntimeError("UIDVALIDITY of %s did not change (%d)" % (folder, old))
        return new


# --------------------------------------------------------------------------
# Running keepwarm
# --------------------------------------------------------------------------


def kw_env(env=None):
    """The environment for keepwarm: XDG_* and HOME point into a temp dir."""
    base = _session_tmp()
    e = dict(os.environ)
    for k, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                   ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state"),
                   ("XDG_RUNTIME_DIR", "runtime")):
        p = os.path.join(base, "xdg", sub)
        os.makedirs(p, mode=0o700, exist_ok=True)
        e[k] = p
    e.setdefault("LC_ALL", "C.UTF-8")
    e.pop("NO_COLOR", None)
    e.pop("COLUMNS", None)  # tables fit 100 columns when piped, whatever the caller's terminal
    if env:
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
    return e


def german_locale(work):
    """Environment variables for de_DE.UTF-8: {"LC_ALL"}, plus "LOCPATH"
    (a locale built with localedef under `work`, no root needed) when the
    system has none; None when it cannot be had."""
    r = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, text=True)
    if any(l.lower().replace("-", "") == "de_de.utf8" for l in r.stdout.split()):
        return {"LC_ALL": "de_DE.UTF-8"}
    if not shutil.which("localedef"):
        return None
    path = os.path.join(work, "locale")
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", os.path.join(path, "de_DE.UTF-8")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not os.path.isdir(os.path.join(path, "de_DE.UTF-8")):
        diag("localedef failed: " + r.stderr[-300:])
        return None
    return {"LC_ALL": "de_DE.UTF-8", "LOCPATH": path}


def default_db():
    """The per-test-process temp db used when no --db is given."""
    return os.path.join(_session_tmp(), "db", "keepwarm.db")


def new_db(name=None):
    """A fresh db path (its directory does not exist yet)."""
    d = tempfile.mkdtemp(prefix="db-", dir=_session_tmp())
    return os.path.join(d, "store", name or "keepwarm.db")


def _prepare(args, password, db, env, umask):
    exe = keepwarm_path()
    args = [str(a) for a in args]
    cmd = [exe]
    if db is not False and "--db" not in args and not any(a.startswith("--db=") for a in args):
        cmd += ["--db", db or default_db()]
    pass_fds = ()
    wfd = None
    rfd = None
    if password is not None:
        rfd, wfd = os.pipe()
        pass_fds = (rfd,)
        args = [str(rfd) if a == "{PWFD}" else a for a in args]
        if not any(a == "--password-fd" or a.startswith("--password-fd=") for a in args):
            args += ["--password-fd", str(rfd)]
    cmd += args

    def pre():
        if umask is not None:
            os.umask(umask)
        os.setsid()

    return cmd, pass_fds, rfd, wfd, pre, kw_env(env)


def _feed(wfd, password):
    if wfd is None:
        return
    try:
        data = password.encode() if isinstance(password, str) else password
        while data:
            n = os.write(wfd, data)
            data = data[n:]
    except BrokenPipeError:
        pass  # keepwarm exited (e.g. refused its store) before it read the password
    finally:
        os.close(wfd)


def start_keepwarm(args, password=None, env=None, db=None, umask=None, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE):
    """Start keepwarm (Popen, text mode, own session). The password goes through a pipe
    as --password-fd N (appended unless args already name --password-fd; "{PWFD}" in
    args is replaced with the fd). db=None: the temp default db; db=False: no --db."""
    cmd, pass_fds, rfd, wfd, pre, e = _prepare(args, password, db, env, umask)
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                             pass_fds=pass_fds, env=e, preexec_fn=pre, text=True, bufsize=1)
    finally:
        if rfd is not None:
            os.close(rfd)
    _feed(wfd, password)
    p.cmdline = cmd

    def reap():
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    add_cleanup(reap)
    return p


def run_keepwarm(args, password=None, env=None, timeout=60, db=None, umask=None):
    """Run keepwarm to completion: returns (exit code, stdout, stderr).
    On timeout the process is killed and the exit code is -9."""
    p = start_keepwarm(args, password=password, env=env, db=db, umask=umask)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        err = (err or "") + "\n[kwtest: killed after %ss timeout]" % timeout
        return -9, out, err
    return p.returncode, out, err


def sync_args(dv, tls="implicit", port=None, host=None, me=("seller@mycompany.example",),
              account="test", ca=True, extra=()):
    """The usual `sync` argument list for a Dovecot fixture."""
    if port is None:
        port = dv.tls_port if tls == "implicit" else dv.port
    a = ["sync", "--host", host or dv.host, "--port", str(port), "--tls=" + tls,
         "--user", dv.user, "--account", account]
    for m in me:
        a += ["--me", m]
    if ca:
        a += ["--ca-file", ca if isinstance(ca, str) else dv.ca_file]
    return a + list(extra)


def parse_progress(out):
    """JSON progress lines -> list of dicts (non-JSON lines are skipped)."""
    evs = []
    for line in (out or "").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                evs.append(json.loads(line))
            except ValueError:
                pass
    return evs


def contacts_json(db=None, all_=True, env=None):
    """`keepwarm contacts [--all] --format=json` -> (rc, list or None, stderr)."""
    args = ["contacts", "--format=json"] + (["--all"] if all_ else [])
    rc, out, err = run_keepwarm(args, db=db, env=env)
    try:
        data = json.loads(out)
    except ValueError:
        data = None
        err = err + "\n[stdout was not JSON: %r]" % out[:500]
    return rc, data, err


def sqlite_integrity(db):
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.stdout.strip()


# Exit codes of the contract
EXIT = {"ok": 0, "other": 1, "usage": 2, "auth": 3, "tls": 4, "network": 5, "server": 6,
        "store": 7, "busy": 8, "partial": 9}


def show_run(rc, out, err):
    return "exit %s\nstdout: %s\nstderr: %s" % (rc, _short(out or "", 3000), _short(err or "", 3000))


# --------------------------------------------------------------------------
# Recording proxy
# --------------------------------------------------------------------------

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n?$")


class RecordingProxy:
    """Plaintext TCP proxy on 127.0.0.1 that records the client's IMAP command lines.

    commands():      [{"conn": i, "tag": t, "cmd": "UID FETCH", "line": full text}]
                     (literals are inlined; lines that are not commands, such as
                     SASL continuations or DONE, have cmd None)
    command_names(): ["CAPABILITY", "LOGIN", ...]
    pause_on:        a regex (str) on command lines; when a client command matches,
                     server->client forwarding stops until resume() (see .paused).
    delay:           seconds to sleep before forwarding each server->client read.
    """

    def __init__(self, upstream_port, upstream_host="127.0.0.1", pause_on=None, delay=0.0):
        self.upstream = (upstream_host, upstream_port)
        self.pause_on = re.compile(pause_on) if pause_on else None
        self.delay = delay
        self.paused = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._lock = threading.Lock()
        self._cmds = []
        self._conns = 0
        self._stop = False
        self._socks = []
        self._threads = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.host = "127.0.0.1"
        self._cleanup = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        self._cleanup = add_cleanup(self.stop)
        return self

    def stop(self):
        self._stop = True
        self._resume.set()
        for s in [self.sock] + self._socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        if self._cleanup is not None:
            remove_cleanup(self._cleanup)
            self._cleanup = None

    def resume(self):
        self.pause_on = None
        self.paused.clear()
        self._resume.set()

    def clear(self):
        with self._lock:
            self._cmds = []

    def commands(self):
        with self._lock:
            return list(self._cmds)

    def command_names(self):
        return [c["cmd"] for c in self.commands() if c["cmd"]]

    def connections(self):
        return self._conns

    def wait_for(self, regex, timeout=10):
        r = re.compile(regex)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(r.search(c["line"]) for c in self.commands()):
                return True
            time.sleep(0.02)
        return False

    def _accept_loop(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                c.close()
                continue
            u.settimeout(None)
            with self._lock:
                self._conns += 1
                conn_id = self._conns
            self._socks += [c, u]
            for target in (self._c2s, self._s2c):
                t = threading.Thread(target=target, args=(c, u, conn_id), daemon=True)
                t.start()
                self._threads.append(t)

    def _record(self, conn_id, line):
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        parts = text.split(" ")
        cmd = None
        tag = None
        if len(parts) >= 2 and re.match(r"^[A-Za-z0-9.]+$", parts[0]) and re.match(r"^[A-Za-z]+$", parts[1]):
            tag = parts[0]
            cmd = parts[1].upper()
            if cmd == "UID" and len(parts) >= 3:
                cmd = "UID " + parts[2].upper()
        with self._lock:
            self._cmds.append({"conn": conn_id, "tag": tag, "cmd": cmd, "line": text})
        if cmd and self.pause_on and self.pause_on.search(text):
            self._resume.clear()
            self.paused.set()

    def _c2s(self, c, u, conn_id):
        buf = b""
        cur = b""
        need = 0  # literal bytes still to inline
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while True:
                    if need:
                        take = buf[:need]
                        cur += take
                        buf = buf[len(take):]
                        need -= len(take)
                        if need:
                            break
                        continue
                    i = buf.find(b"\n")
                    if i < 0:
                        break
                    line, buf = buf[:i + 1], buf[i + 1:]
                    m = _LITERAL.search(line)
                    if m:
                        cur += line
                        need = int(m.group(1))
                        continue
                    self._record(conn_id, cur + line)
                    cur = b""
                u.sendall(data)
        except OSError:
            pass
        finally:
            for s in (u,):
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def _s2c(self, c, u, conn_id):
        try:
            while True:
                data = u.recv(65536)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                while not self._resume.wait(0.1):
                    if self._stop:
                        return
                c.sendall(data)
        except OSError:
            pass
        finally:
            try:
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass


# Commands that can never change server state (plus the ones a read-only sync needs).
READ_ONLY_COMMANDS = {"CAPABILITY", "LOGIN", "AUTHENTICATE", "LIST", "EXAMINE", "STATUS",
                      "UID FETCH", "LOGOUT", "NOOP", "ID", "NAMESPACE", "ENABLE", "UNSELECT",
                      "CLOSE", "STARTTLS"}


def fetch_sets_seen(line):
    """True when a FETCH command line asks for an item that sets \\Seen."""
    up = line.upper()
    if re.search(r"BODY\[", up.replace("BODY.PEEK[", "")):
        return True
    if re.search(r"\bRFC822(?![.](HEADER|SIZE))\b", up) or re.search(r"\bRFC822\.TEXT\b", up):
        return True
    if re.search(r"\bBINARY\[", up.replace("BINARY.PEEK[", "")):
        return True
    return False


# --------------------------------------------------------------------------
# Generated mailboxes and the contacts they must produce
# --------------------------------------------------------------------------


def generated_mailbox(messages=300, seed=1, **kwargs):
    """Generate a mailbox (gen_mailbox.generate) into a temp dir.
    Returns (maildir path, truth dict, Mailbox)."""
    sys.path.insert(0, HERE)
    import gen_mailbox
    d = tmpdir("kwmail-")
    box = gen_mailbox.generate(messages=messages, seed=seed, **kwargs)
    truth = box.write(d)
    return os.path.join(d, "Maildir"), truth, box


CONTACT_FIELDS = ("email", "name", "org", "kind", "last_inbound", "last_outbound", "inbound", "outbound")


def contacts_problems(got, truth, count_autoreplies=True, excluded=None):
    """Compare `contacts --all --format=json` output with a generator truth.
    Returns a list of human-readable problems (empty = equal). Tolerated: the user's
    own addresses (must then have kind "self") and addresses mentioned in read
    folders but without any interaction, when both counts are 0."""
    sys.path.insert(0, HERE)
    import gen_mailbox
    exp, info = gen_mailbox.expected_contacts(truth, excluded=excluded,
                                              count_autoreplies=count_autoreplies)
    probs = []
    if not isinstance(got, list):
        return ["contacts output is not a JSON array: %r" % (got,)]
    seen = {}
    for c in got:
        if not isinstance(c, dict) or "email" not in c:
            probs.append("not a contact object: %r" % (c,))
            continue
        if c["email"] in seen:
            probs.append("listed twice: %s" % c["email"])
        seen[c["email"]] = c
    mentioned = set(info["mentioned"])
    for email, c in sorted(seen.items()):
        if email in exp:
            continue
        if email in info["self"]:
            if c.get("kind") != "self":
                probs.append("%s is the user's address but kind is %r" % (email, c.get("kind")))
            continue
        if email in info["excluded_only"]:
            probs.append("%s appears only in excluded folders (Trash/Drafts/Junk) but is listed" % email)
        elif email in mentioned and not c.get("inbound") and not c.get("outbound"):
            continue
        else:
            probs.append("unexpected contact %s: %s" % (email, json.dumps(c, ensure_ascii=False)))
    for email, e in sorted(exp.items()):
        c = seen.get(email)
        if c is None:
            probs.append("missing contact %s (expected %s)" % (email, json.dumps(e, ensure_ascii=False)))
            continue
        for f in CONTACT_FIELDS:
            gv, ev = c.get(f), e[f]
            if f == "name" and not gv and not ev:
                continue
            if gv != ev:
                probs.append("%s: %s is %r, expected %r" % (email, f, gv, ev))
    return probs


def contacts_by_email(data):
    return {c["email"]: c for c in data or [] if isinstance(c, dict) and "email" in c}
