# SPDX-License-Identifier: GPL-3.0-or-later
"""imapservers — throwaway Cyrus IMAP 3.6 and Courier-IMAP 5.0 servers on 127.0.0.1,
for keepwarm's tests (besides Dovecot, kwtest.Dovecot).

Neither can be installed beside Dovecot (all three Conflict: imap-server), so
the harness fetches Debian's .debs itself (`apt-get download`), unpacks them
with `dpkg-deb -x` into a cache under the build directory
(<build>/other-servers/NAME-VERSION, never into the repository) and runs them
from there. Runtime libraries come from the Makefile's DEB_TEST
(/work/shared/notes/other-servers.md has the facts behind each trick).

    with Cyrus(password="pw") as srv:        # or Courier(...)
        srv.port          plain IMAP, STARTTLS offered, LOGIN allowed
        srv.tls_port      implicit TLS
        srv.notls_port    plain IMAP advertising LOGINDISABLED until STARTTLS
        srv.ca_file       the test CA (server certificate "valid": localhost, 127.0.0.1)
        srv.imap()        a logged-in imaplib client (plain port)
        srv.append_many([(folder, raw, internaldate)])   folder names with '/'
        srv.name, srv.version

Cyrus: runs `master` as nobody with cyrus_user set, a -C for every service
(master does not pass its own on), the SASL realm equal to servername; it
autocreates INBOX, Sent, Drafts, Trash and Archive with SPECIAL-USE flags.
Courier: /etc/courier and the authdaemon socket are compiled in, so it runs
as root inside private mount and PID namespaces (`unshare --mount --pid
--kill-child`: couriertcpd calls setsid, and the namespace ending is what
stops every process) where the
unpacked /usr and /etc are overlaid on the real ones and /run is a fresh
tmpfs; its STARTTLS and TLS need a `courier` user owning the certificate,
which exists only in that namespace's /etc/passwd (nothing is added to the
machine). Folders are INBOX.Name (no SPECIAL-USE); EXAMINE has no UIDNEXT.

`unavailable()` (module function of each class) says why a server cannot run
here; the test then skips it, naming the reason. Every process is stopped at
exit, and a watchdog kills the server's process group if the test is killed."""
import fcntl
import glob
import grp
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


def _run(cmd, cwd=None, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)


def unpacked_root(name, packages, main):
    """Debian `packages` fetched with apt-get download and unpacked once (under a
    lock) into <build>/other-servers/NAME-VERSION (VERSION of package `main`).
    Returns (root, None) or (None, reason)."""
    base = os.path.join(kwtest.build_dir(), "other-servers")
    os.makedirs(base, exist_ok=True)
    lock = open(os.path.join(base, ".%s.lock" % name), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = sorted(glob.glob(os.path.join(base, name + "-*", "complete")))
        if done:
            return os.path.dirname(done[-1]), None
        if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
            return None, "apt-get and dpkg-deb are needed to fetch %s" % name
        tmp = tempfile.mkdtemp(prefix="fetch-", dir=base)
        try:
            r = _run(["apt-get", "download"] + list(packages), cwd=tmp)
            debs = sorted(glob.glob(os.path.join(tmp, "*.deb")))
            if r.returncode != 0 or len(debs) != len(packages):
                return None, "apt-get download %s failed: %s" % (" ".join(packages), r.stdout.strip()[-300:])
            version = os.path.basename([d for d in debs if os.path.basename(d).startswith(main + "_")][0])
            version = version.split("_")[1]
            root = os.path.join(tmp, "root")
            for d in debs:
                r = _run(["dpkg-deb", "-x", d, root])
                if r.returncode != 0:
                    return None, "dpkg-deb -x %s failed: %s" % (d, r.stdout.strip())
            final = os.path.join(base, "%s-%s" % (name, version.replace(":", "_").replace("+", "_")))
            shutil.rmtree(final, ignore_errors=True)
            os.rename(root, final)
            open(os.path.join(final, "complete"), "w").close()
            return final, None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def missing_libraries(binaries, libdirs):
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(libdirs))
    missing = set()
    for b in binaries:
        r = _run(["ldd", b], env=env)
        missing |= {l.split()[0] for l in r.stdout.splitlines() if "not found" in l}
    return sorted(missing)


class ImapServer:
    """What Cyrus and Courier share: ports, process group, watchdog, IMAP helpers."""
    name = "?"
    separator = "/"

    def __init__(self, password="test-password-1", user="seller", cert="valid"):
        self.password = password
        self.user = user
        self.host = "127.0.0.1"
        self.root, why = self.unpacked()
        if why:
            raise RuntimeError(why)
        self.version = os.path.basename(self.root).split("-", 1)[1]
        self.workdir = kwtest.tmpdir("kw%s-" % self.name.lower())
        certs = kwtest.test_certs()
        self.ca_file = certs["ca"]
        self._cert = certs[cert]
        self.proc = None
        self._wd = None
        self._cleanup = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _ports(self):
        ports = set()
        while len(ports) < 3:
            ports.add(kwtest.free_port())
        self.port, self.tls_port, self.notls_port = sorted(ports)

    def _launch(self, argv, env, preexec_fn=None):
        self.log_path = os.path.join(self.workdir, "server.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                         preexec_fn=preexec_fn, start_new_session=preexec_fn is None)
        self._cleanup = kwtest.add_cleanup(self.stop)
        self._wd = kwtest.Watchdog(_WATCHDOG, [self.proc.pid])

    def _wait_ready(self, timeout=20):
        end = time.monotonic() + timeout
        for port in (self.port, self.tls_port, self.notls_port):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("%s exited (%s): %s" % (self.name, self.proc.returncode, self.log_tail()))
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=2)
                    s.close()
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise RuntimeError("%s did not listen on %d: %s" % (self.name, port, self.log_tail()))
                    time.sleep(0.05)
        while True:   # logins work (authentication daemons up; Cyrus creates INBOX & co.)
            try:
                self.imap().logout()
                return
            except (OSError, imaplib.IMAP4.error) as e:
                if time.monotonic() > end:
                    raise RuntimeError("%s: no login: %s\n%s" % (self.name, e, self.log_tail()))
                time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except OSError:
                    pass
                try:
                    self.proc.wait(10 if sig == signal.SIGTERM else 5)
                    if sig == signal.SIGTERM:
                        os.killpg(self.proc.pid, signal.SIGKILL)   # children still in the group
                except (subprocess.TimeoutExpired, OSError):
                    pass
            self.proc = None
        if self._wd is not None:
            self._wd.cancel()
            self._wd = None
        if self._cleanup is not None:
            kwtest.remove_cleanup(self._cleanup)
            self._cleanup = None

    def log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except (OSError, AttributeError):
            return "(no log)"

    def folder(self, name):
        """A folder name with '/' as this server spells it (modified UTF-7)."""
        return name if name.upper() == "INBOX" else name.replace("/", self.separator)

    def imap(self):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        c.login(self.user, self.password)
        return c

    def append_many(self, items):
        """[(folder, raw, internaldate)] over one connection; folders are created."""
        c = self.imap()
        made = set()
        try:
            for folder, data, date in items:
                if isinstance(data, str):
                    data = data.encode()
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                q = kwtest.imap_quote(self.folder(folder))
                if folder not in made and folder.upper() != "INBOX":
                    c.create(q)
                    made.add(folder)
                typ, resp = c.append(q, "(\\Seen)", imaplib.Time2Internaldate(date), data)
                if typ != "OK":
                    raise RuntimeError("APPEND %s: %s %r" % (folder, typ, resp))
        finally:
            c.logout()


# --------------------------------------------------------------------------
# Cyrus IMAP
# --------------------------------------------------------------------------

class Cyrus(ImapServer):
    name = "Cyrus"
    packages = ("cyrus-common", "cyrus-imapd")

    @classmethod
    def unpacked(cls):
        return unpacked_root("cyrus", cls.packages, "cyrus-imapd")

    @classmethod
    def unavailable(cls):
        root, why = cls.unpacked()
        if why:
            return why
        b = os.path.join(root, "usr", "lib", "cyrus", "bin")
        missing = missing_libraries([os.path.join(b, x) for x in ("master", "imapd", "ctl_cyrusdb")],
                                    [os.path.join(root, "usr", "lib", "x86_64-linux-gnu")])
        if missing:
            return "libraries missing: %s (run 'make deps')" % " ".join(missing)
        if not shutil.which("saslpasswd2") and not os.path.exists("/usr/sbin/saslpasswd2"):
            return "saslpasswd2 missing (Debian package sasl2-bin; run 'make deps')"
        return None

    def __init__(self, **kw):
        super().__init__(**kw)
        self.bin = os.path.join(self.root, "usr", "lib", "cyrus", "bin")
        if os.geteuid() == 0:
            self.run_user, self.run_group = "nobody", "nogroup"
        else:
            self.run_user = pwd.getpwuid(os.getuid()).pw_name
            self.run_group = grp.getgrgid(os.getgid()).gr_name

    def _write_conf(self):
        d = self.workdir
        for sub in ("conf", "spool", "sieve", "run/proc", "run/lock", "run/socket"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        shutil.copyfile(self._cert[0], os.path.join(d, "server.pem"))
        shutil.copyfile(self._cert[1], os.path.join(d, "server.key"))
        os.chmod(os.path.join(d, "server.key"), 0o600)
        conf = os.path.join(d, "imapd.conf")
        with open(conf, "w") as f:
            f.write("""# generated by tests/lib/imapservers.py
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
        r = subprocess.run(["saslpasswd2", "-p", "-c", "-f", os.path.join(d, "sasldb2"), "-u", "localhost",
                            self.user], input=self.password + "\n", stdout=subprocess.PIPE,
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

    def start(self):
        self._ports()
        self._write_conf()
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(self.root, "usr", "lib", "x86_64-linux-gnu"))
        self._launch([os.path.join(self.bin, "master"), "-C", os.path.join(self.workdir, "imapd.conf"),
                      "-M", os.path.join(self.workdir, "cyrus.conf"), "-p",
                      os.path.join(self.workdir, "run", "master.pid"), "-D"], env, self._demote)
        self._wait_ready()
        return self


# --------------------------------------------------------------------------
# Courier-IMAP
# --------------------------------------------------------------------------

class Courier(ImapServer):
    name = "Courier"
    separator = "."
    packages = ("courier-base", "courier-imap", "courier-authlib", "courier-authlib-userdb")
    _bins = ("usr/bin/imapd", "usr/lib/courier/courier/imaplogin", "usr/sbin/couriertcpd",
             "usr/bin/couriertls", "usr/lib/courier/courier-authlib/authdaemond",
             "usr/lib/courier-authlib/libauthuserdb.so.0")

    @classmethod
    def unpacked(cls):
        return unpacked_root("courier", cls.packages, "courier-imap")

    @classmethod
    def unavailable(cls):
        if os.geteuid() != 0:
            return "Courier runs in a private mount namespace, which needs root"
        if not shutil.which("unshare"):
            return "unshare (util-linux) missing"
        root, why = cls.unpacked()
        if why:
            return why
        missing = missing_libraries([os.path.join(root, b) for b in cls._bins],
                                    [os.path.join(root, "usr", "lib"), os.path.join(root, "usr", "lib", "courier-authlib")])
        if missing:
            return "libraries missing: %s (run 'make deps')" % " ".join(missing)
        if not shutil.which("perl"):
            return "perl missing (makeuserdb)"
        return None

    def folder(self, name):
        return name if name.upper() == "INBOX" else "INBOX." + name.replace("/", ".")

    def _courier_ids(self):
        """An unused uid/gid for the namespace-only `courier` user."""
        used_u = {p.pw_uid for p in pwd.getpwall()}
        used_g = {g.gr_gid for g in grp.getgrall()}
        for i in range(64990, 64000, -1):
            if i not in used_u and i not in used_g:
                return i
        raise RuntimeError("no free uid for the courier user")

    def _write_conf(self):
        import crypt  # deprecated in 3.11, still the way to a crypt(3) hash here
        d = self.workdir
        etc = os.path.join(d, "etc-upper")
        os.makedirs(os.path.join(etc, "courier"), exist_ok=True)
        os.makedirs(os.path.join(d, "etc-work"), exist_ok=True)
        cid = self._courier_ids()
        with open("/etc/passwd") as f:
            passwd = f.read()
        with open("/etc/group") as f:
            group = f.read()
        with open(os.path.join(etc, "passwd"), "w") as f:
            f.write(passwd + "courier:x:%d:%d:Courier (keepwarm test namespace):/nonexistent:/usr/sbin/nologin\n"
                    % (cid, cid))
        with open(os.path.join(etc, "group"), "w") as f:
            f.write(group + "courier:x:%d:\n" % cid)
        os.chmod(os.path.join(etc, "passwd"), 0o644)
        os.chmod(os.path.join(etc, "group"), 0o644)
        pem = os.path.join(d, "server.pem")
        with open(pem, "w") as f:
            f.write(open(self._cert[1]).read() + open(self._cert[0]).read())
        os.chmod(pem, 0o600)
        os.chown(pem, cid, cid)
        with open(os.path.join(etc, "courier", "authdaemonrc"), "w") as f:
            f.write('authmodulelist="authuserdb"\nauthmodulelistorig="authuserdb"\ndaemons=2\n'
                    'authdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n')
        nobody = pwd.getpwnam("nobody")
        self.home = os.path.join(d, "home", self.user)
        self.maildir = os.path.join(self.home, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        udb = os.path.join(etc, "courier", "userdb")
        with open(udb, "w") as f:
            f.write("%s\tuid=%d|gid=%d|home=%s|mail=%s|systempw=%s\n" % (
                self.user, nobody.pw_uid, nobody.pw_gid, self.home, self.maildir,
                crypt.crypt(self.password, crypt.mksalt(crypt.METHOD_SHA512))))
        os.chmod(udb, 0o600)
        open(os.path.join(etc, "courier", "imapaccess"), "w").close()
        env = ("IMAP_CAPABILITY='IMAP4rev1 UIDPLUS CHILDREN NAMESPACE IDLE' "
               "IMAP_CAPABILITY_TLS='IMAP4rev1 UIDPLUS CHILDREN NAMESPACE IDLE AUTH=PLAIN' "
               "IMAP_STARTTLS=YES COURIERTLS=/usr/bin/couriertls TLS_CERTFILE=%s "
               "TLS_PROTOCOL=TLSv1.2+ IMAP_MAILBOX_SANITY_CHECK=1 IMAP_USELOCKS=1 MAILDIRPATH=Maildir" % pem)
        tcpd = "/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=20 -maxperip=20 -nodnslookup -noidentlookup"
        login = "/usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir"
        with open(os.path.join(d, "run.sh"), "w") as f:
            f.write("""set -e
# a private mount namespace: the unpacked packages look installed, nothing
# of this reaches the machine
mount --make-rprivate /
mount -t overlay kwcourier-usr -o lowerdir={root}/usr:/usr /usr
mount -t overlay kwcourier-etc -o lowerdir={root}/etc:/etc,upperdir={etc},workdir={d}/etc-work /etc
mount -t tmpfs kwcourier-run /run
mkdir -p /run/courier/authdaemon
chmod 755 /run/courier /run/courier/authdaemon
cd /etc/courier && /usr/sbin/makeuserdb
/usr/lib/courier/courier-authlib/authdaemond &
env {env} {tcpd} {p} {login} &
env {env} {tcpd} {tp} /usr/bin/couriertls -server -tcpd {login} &
env {env} IMAP_TLS_REQUIRED=1 {tcpd} {np} {login} &
wait
""".format(root=self.root, etc=etc, d=d, env=env, tcpd=tcpd, login=login, p=self.port,
                tp=self.tls_port, np=self.notls_port))
        subprocess.run(["chown", "-R", "%d:%d" % (nobody.pw_uid, nobody.pw_gid), os.path.join(d, "home")],
                       check=True)

    def start(self):
        self._ports()
        self._write_conf()
        # a PID namespace too: couriertcpd calls setsid, so only the
        # namespace's end (its first process killed) reaches every process
        self._launch(["unshare", "--mount", "--pid", "--fork", "--kill-child", "sh",
                      os.path.join(self.workdir, "run.sh")], dict(os.environ))
        self._wait_ready()
        return self
