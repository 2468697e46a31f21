"""cyrus — a throwaway Cyrus IMAP 3.6 on 127.0.0.1, for keepwarm's tests.

Cyrus cannot be installed beside Dovecot (both Conflict: imap-server), so the
harness fetches Debian's .debs itself (`apt-get download cyrus-imapd
cyrus-common`), unpacks them with `dpkg-deb -x` into a cache under the build
directory (<build>/other-servers/cyrus-<version>, never into the repository),
and runs `master` from there. Runtime libraries and saslpasswd2 come from
Debian packages listed in the Makefile's DEB_TEST (notes: other-servers.md).

    with Cyrus(password="pw", users=["seller"]) as cy:
        cy.port          plain IMAP, STARTTLS offered, LOGIN allowed
        cy.tls_port      implicit TLS
        cy.notls_port    plain IMAP that advertises LOGINDISABLED until STARTTLS
        cy.ca_file       the test CA (server certificate "valid": localhost, 127.0.0.1)
        cy.imap(user)    a logged-in imaplib client (plain port)
        cy.append(folder, raw, date, user=None); cy.create(folder, user=None)

Cyrus autocreates INBOX, Sent, Drafts, Trash and Archive at the first login,
with SPECIAL-USE flags. `unavailable()` says why Cyrus cannot run here (the
test then skips, naming it). Every process is stopped at exit, also when the
test process is killed (a watchdog kills Cyrus's process group)."""
import fcntl
import glob
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kwtest  # noqa: E402

PACKAGES = ("cyrus-common", "cyrus-imapd")
_WATCHDOG = r"""
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
try:
    sys.stdin.buffer.read()
except Exception:
    pass
try:
    os.killpg(int(sys.argv[1]), signal.SIGKILL)
except OSError:
    pass
"""


def _run(cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)


def cache_root():
    return os.path.join(kwtest.build_dir(), "other-servers")


def unpacked_root():
    """The unpacked packages (fetched and unpacked once, under a lock).
    Returns (root, None) or (None, reason)."""
    base = cache_root()
    os.makedirs(base, exist_ok=True)
    lock = open(os.path.join(base, ".cyrus.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = sorted(glob.glob(os.path.join(base, "cyrus-*", "complete")))
        if done:
            return os.path.dirname(done[-1]), None
        if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
            return None, "apt-get and dpkg-deb are needed to fetch Cyrus"
        tmp = tempfile.mkdtemp(prefix="fetch-", dir=base)
        try:
            r = _run(["apt-get", "download"] + list(PACKAGES), cwd=tmp)
            debs = sorted(glob.glob(os.path.join(tmp, "*.deb")))
            if r.returncode != 0 or len(debs) != len(PACKAGES):
                return None, "apt-get download %s failed: %s" % (" ".join(PACKAGES), r.stdout.strip()[-300:])
            version = os.path.basename([d for d in debs if "cyrus-imapd_" in d][0]).split("_")[1]
            root = os.path.join(tmp, "root")
            for d in debs:
                r = _run(["dpkg-deb", "-x", d, root])
                if r.returncode != 0:
                    return None, "dpkg-deb -x %s failed: %s" % (d, r.stdout.strip())
            final = os.path.join(base, "cyrus-" + version.replace(":", "_").replace("+", "_"))
            shutil.rmtree(final, ignore_errors=True)
            os.rename(root, final)
            open(os.path.join(final, "complete"), "w").close()
            return final, None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _libdir(root):
    return os.path.join(root, "usr", "lib", "x86_64-linux-gnu")


def unavailable():
    """None when Cyrus can run here, else the reason (for skip_all)."""
    root, why = unpacked_root()
    if why:
        return why
    missing = []
    env = dict(os.environ, LD_LIBRARY_PATH=_libdir(root))
    for b in ("master", "imapd", "ctl_cyrusdb"):
        r = subprocess.run(["ldd", os.path.join(root, "usr", "lib", "cyrus", "bin", b)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        missing += [l.split()[0] for l in r.stdout.splitlines() if "not found" in l]
    if missing:
        return "libraries missing for Cyrus: %s (run 'make deps')" % " ".join(sorted(set(missing)))
    if not shutil.which("saslpasswd2") and not os.path.exists("/usr/sbin/saslpasswd2"):
        return "saslpasswd2 missing (Debian package sasl2-bin; run 'make deps')"
    return None


class Cyrus:
    def __init__(self, password="test-password-1", users=("seller",), cert="valid"):
        self.password = password
        self.users = list(users)
        self.user = self.users[0]
        self.host = "127.0.0.1"
        self.cert = cert
        self.root, why = unpacked_root()
        if why:
            raise RuntimeError(why)
        self.bin = os.path.join(self.root, "usr", "lib", "cyrus", "bin")
        self.workdir = kwtest.tmpdir("kwcyrus-")
        certs = kwtest.test_certs()
        self.ca_file = certs["ca"]
        self._cert_src = certs[cert]
        self.proc = None
        self._wd = None
        self._cleanup = None
        if os.geteuid() == 0:
            self.run_user, self.run_group = "nobody", "nogroup"
        else:
            self.run_user = pwd.getpwuid(os.getuid()).pw_name
            import grp
            self.run_group = grp.getgrgid(os.getgid()).gr_name

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- configuration -----------------------------------------------------
    def _write_conf(self):
        d = self.workdir
        for sub in ("conf", "spool", "sieve", "run/proc", "run/lock", "run/socket"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        shutil.copyfile(self._cert_src[0], os.path.join(d, "server.pem"))
        shutil.copyfile(self._cert_src[1], os.path.join(d, "server.key"))
        os.chmod(os.path.join(d, "server.key"), 0o600)
        conf = os.path.join(d, "imapd.conf")
        with open(conf, "w") as f:
            f.write("""# generated by tests/lib/cyrus.py
configdirectory: {d}/conf
proc_path: {d}/run/proc
mboxname_lockpath: {d}/run/lock
defaultpartition: default
partition-default: {d}/spool
sievedir: {d}/sieve
servername: localhost
cyrus_user: {user}
cyrus_group: {group}
allowplaintext: yes
imapnotls_allowplaintext: no
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {d}/sasldb2
sasl_mech_list: PLAIN LOGIN
tls_server_cert: {d}/server.pem
tls_server_key: {d}/server.key
lmtpsocket: {d}/run/socket/lmtp
idlesocket: {d}/run/socket/idle
notifysocket: {d}/run/socket/notify
unixhierarchysep: yes
altnamespace: yes
autocreate_quota: 0
autocreate_inbox_folders: Sent|Drafts|Trash|Archive
autocreate_specialuse_folders: Sent|Drafts|Trash|Archive
syslog_prefix: kwcyrus
""".format(d=d, user=self.run_user, group=self.run_group))
        # master does not pass -C on to what it starts: every cmd gets its own
        with open(os.path.join(d, "cyrus.conf"), "w") as f:
            f.write("""START {{
  recover cmd="{b}/ctl_cyrusdb -C {c} -r"
}}
SERVICES {{
  imap cmd="{b}/imapd -C {c}" listen="127.0.0.1:{p}" prefork=0
  imaps cmd="{b}/imapd -s -C {c}" listen="127.0.0.1:{tp}" prefork=0
  imapnotls cmd="{b}/imapd -C {c}" listen="127.0.0.1:{np}" prefork=0
}}
EVENTS {{
}}
""".format(b=self.bin, c=conf, p=self.port, tp=self.tls_port, np=self.notls_port))
        # SASL users: the realm must be servername
        sasl = os.path.join(d, "sasldb2")
        for u in self.users:
            r = subprocess.run(["saslpasswd2", "-p", "-c", "-f", sasl, "-u", "localhost", u],
                               input=self.password + "\n", stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise RuntimeError("saslpasswd2 failed: %s" % r.stdout)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "%s:%s" % (self.run_user, self.run_group), d], check=True)

    def _demote(self):
        os.setsid()
        if os.geteuid() == 0:
            pw = pwd.getpwnam(self.run_user)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout=20):
        ports = set()
        while len(ports) < 3:
            ports.add(kwtest.free_port())
        self.port, self.tls_port, self.notls_port = sorted(ports)
        self._write_conf()
        env = dict(os.environ, LD_LIBRARY_PATH=_libdir(self.root))
        self.log_path = os.path.join(self.workdir, "master.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "master"), "-C", os.path.join(self.workdir, "imapd.conf"),
                 "-M", os.path.join(self.workdir, "cyrus.conf"), "-p",
                 os.path.join(self.workdir, "run", "master.pid"), "-D"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, preexec_fn=self._demote)
        self._cleanup = kwtest.add_cleanup(self.stop)
        r, w = os.pipe()
        self._wd = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(self.proc.pid)], stdin=r,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
        os.close(r)
        self._wd_fd = w
        end = time.monotonic() + timeout
        for port in (self.port, self.tls_port, self.notls_port):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("cyrus master exited (%s): %s" % (self.proc.returncode, self.log_tail()))
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise RuntimeError("cyrus did not listen on %d: %s" % (port, self.log_tail()))
                    time.sleep(0.05)
        for u in self.users:   # the first login creates INBOX and the special folders
            self.imap(u).logout()
        return self

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            if self.proc.poll() is None:
                self.proc.wait(5)
            self.proc = None
        if self._wd is not None:
            self._wd.kill()
            self._wd.wait()
            os.close(self._wd_fd)
            self._wd = None
        if self._cleanup is not None:
            kwtest.remove_cleanup(self._cleanup)
            self._cleanup = None

    def log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return "(no log)"

    # -- IMAP helpers ------------------------------------------------------
    def imap(self, user=None):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        c.login(user or self.user, self.password)
        return c

    def create(self, folder, user=None):
        c = self.imap(user)
        try:
            typ, data = c.create(kwtest.imap_quote(folder))
            if typ != "OK" and b"already exists" not in b" ".join(x for x in data if isinstance(x, bytes)):
                raise RuntimeError("CREATE %s: %s %r" % (folder, typ, data))
        finally:
            c.logout()

    def append(self, folder, data, date=None, user=None, flags="(\\Seen)"):
        if isinstance(data, str):
            data = data.encode()
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        c = self.imap(user)
        try:
            idate = imaplib.Time2Internaldate(date if date is not None else time.time())
            typ, resp = c.append(kwtest.imap_quote(folder), flags, idate, data)
            if typ != "OK":
                c.create(kwtest.imap_quote(folder))
                typ, resp = c.append(kwtest.imap_quote(folder), flags, idate, data)
            if typ != "OK":
                raise RuntimeError("APPEND %s: %s %r" % (folder, typ, resp))
        finally:
            c.logout()

    def append_many(self, items, user=None):
        """[(folder, raw, date)] over one connection."""
        c = self.imap(user)
        made = set()
        try:
            for folder, data, date in items:
                if isinstance(data, str):
                    data = data.encode()
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                q = kwtest.imap_quote(folder)
                if folder not in made and folder.upper() != "INBOX":
                    c.create(q)
                    made.add(folder)
                typ, resp = c.append(q, "(\\Seen)", imaplib.Time2Internaldate(date), data)
                if typ != "OK":
                    raise RuntimeError("APPEND %s: %s %r" % (folder, typ, resp))
        finally:
            c.logout()
