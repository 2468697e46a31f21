# SPDX-License-Identifier: GPL-3.0-or-later
"""pgtest — a throwaway PostgreSQL server for keepwarm's team tests (stdlib only).

    from pgtest import Postgres
    with Postgres() as pg:                       # initdb + start, TLS with the test CA
        pg.port, pg.ca_file, pg.sockdir, pg.log_path
        pg.sql("CREATE ROLE ...")                # as the superuser, over the private socket
        pg.create_admin("kwadmin", "pw", db="sales")   # CREATEROLE admin owning database sales
        pg.url("jan", db="sales")                # postgresql://jan@localhost:PORT/sales
        pg.psql("jan", "pw", "SELECT 1", db="sales")  # as a member over TCP+TLS -> (rc, out, err)
        pg.set_cert("wrong_name"); pg.stop(); pg.start()   # a restart keeps the port

The server runs as the `postgres` system user when the tests run as root (initdb
refuses root), inside its own PID namespace (unshare --pid --fork --kill-child)
whose holder dies with the test process; a watchdog process removes the work
directory even when the test is killed with SIGKILL. It listens on 127.0.0.1
(a free port) and on a private socket directory only, with throwaway settings
(fsync off: what was committed survives stop(), which kills the server like a
crash, but not a crash of the machine).

Certificates come from kwtest.test_certs(): "valid" (localhost, 127.0.0.1),
"wrong_name", "expired", "self_signed".
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import kwtest  # noqa: E402

PG_BIN_CANDIDATES = ["/usr/lib/postgresql/%d/bin" % v for v in range(17, 12, -1)]

# Runs in its own session: when the test process dies (even by SIGKILL), its end
# of the pipe closes; this then kills the server's process group and removes the
# work directory.
_WATCHDOG = r"""
import os, signal, sys, time, shutil
pidfile, workdir, rm = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
try:
    sys.stdin.buffer.read()
except Exception:
    pass
try:
    pid = int(open(pidfile).read().strip())
    os.killpg(pid, signal.SIGKILL)
except Exception:
    pass
time.sleep(0.3)
if rm:
    shutil.rmtree(workdir, ignore_errors=True)
"""


def pg_bin():
    for d in PG_BIN_CANDIDATES:
        if os.path.exists(os.path.join(d, "postgres")):
            return d
    return None


def available():
    """None when a server can be started here, else the reason."""
    if not pg_bin():
        return "PostgreSQL server binaries not installed (apt-get install postgresql)"
    if not shutil.which("psql"):
        return "psql not installed (apt-get install postgresql-client)"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "no 'postgres' system user to run the server as"
    return None


def _pdeathsig():
    """preexec: the child gets SIGKILL when the test process dies."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Postgres:
    def __init__(self, cert="valid", tls=True, log_statements=False, workdir=None, extra_conf=None):
        self.bin = pg_bin()
        if not self.bin:
            raise RuntimeError(available())
        self.cert = cert
        self.tls = tls
        self.log_statements = log_statements
        self.extra_conf = dict(extra_conf or {})
        self._own_workdir = workdir is None
        self.workdir = os.path.abspath(workdir) if workdir else kwtest.tmpdir("kwpg-")
        os.chmod(self.workdir, 0o755)
        self.data = os.path.join(self.workdir, "data")
        self.sockdir = os.path.join(self.workdir, "sock")
        self.log_path = os.path.join(self.workdir, "server.log")
        self.pidfile = os.path.join(self.workdir, "holder.pid")
        self.passfile = os.path.join(self.workdir, "pgpass")
        self.certs = kwtest.test_certs()
        self.ca_file = self.certs["ca"]
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self._wd = None
        self._cleanup = None
        self._as_root = os.geteuid() == 0
        self._initdb()

    # -- set-up ------------------------------------------------------------
    def _run_as_server_user(self, argv):
        if self._as_root:
            return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv
        return argv

    def _chown(self, path):
        if self._as_root:
            shutil.chown(path, "postgres", "postgres")

    def _initdb(self):
        for d in (self.data, self.sockdir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o700)
            self._chown(d)
        argv = self._run_as_server_user([
            os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"])
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           stdin=subprocess.DEVNULL, cwd="/")
        if r.returncode != 0:
            raise RuntimeError("initdb failed: " + r.stdout[-2000:])
        self._write_hba()
        self._install_cert(self.cert)

    def _write_hba(self):
        # The superuser only over the private socket; everyone else with
        # SCRAM over TCP (TLS, or plaintext for the loopback-plaintext tests).
        hba = ("local all postgres trust\n"
               "hostssl all all 127.0.0.1/32 scram-sha-256\n"
               "host all all 127.0.0.1/32 scram-sha-256\n")
        p = os.path.join(self.data, "pg_hba.conf")
        with open(p, "w") as f:
            f.write(hba)
        self._chown(p)

    def _install_cert(self, name):
        cert, key = self.certs[name]
        for src, dst, mode in ((cert, "server.crt", 0o644), (key, "server.key", 0o600)):
            p = os.path.join(self.data, dst)
            shutil.copyfile(src, p)
            os.chmod(p, mode)
            self._chown(p)
        self.cert = name

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _settings(self):
        s = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": self.sockdir,
            "unix_socket_permissions": "0700",
            "ssl": "on" if self.tls else "off",
            "ssl_cert_file": os.path.join(self.data, "server.crt"),
            "ssl_key_file": os.path.join(self.data, "server.key"),
            # A commit reaches the kernel (it survives stop(), a SIGKILL), never the disk.
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "on",
            "shared_buffers": "16MB",
            "max_connections": "60",
            "max_wal_senders": "0",
            "wal_level": "minimal",
            "log_connections": "on",
            "log_disconnections": "on",
            "log_line_prefix": "%m [%p] %q%u@%d ",
            "logging_collector": "off",
            "log_statement": "all" if self.log_statements else "none",
            "lc_messages": "C",
        }
        s.update(self.extra_conf)
        return s

    def start(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            return self
        last = None
        for attempt in range(3):
            # A restart keeps the port (clients keep their URL), unless taken.
            if attempt > 0 or self.port is None:
                self.port = kwtest.free_port()
            argv = [os.path.join(self.bin, "postgres"), "-D", self.data]
            for k, v in self._settings().items():
                argv += ["-c", "%s=%s" % (k, v)]
            argv = self._run_as_server_user(argv)
            if self._as_root:
                argv = ["unshare", "--pid", "--fork", "--kill-child"] + argv
            logf = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                             preexec_fn=_pdeathsig, cwd="/")
            finally:
                logf.close()
            with open(self.pidfile, "w") as f:
                f.write(str(self.proc.pid))
            if self._cleanup is None:
                self._cleanup = kwtest.add_cleanup(self.close)
            self._start_watchdog()
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as e:
                last = str(e)
                self._kill()
                if "in use" not in last:
                    break
        raise RuntimeError(last)

    def _start_watchdog(self):
        if self._wd is None:
            rm = "1" if (self._own_workdir and not os.environ.get("KW_KEEP_TMP")) else "0"
            self._wd = kwtest.Watchdog(_WATCHDOG, [self.pidfile, self.workdir, rm])

    def _stop_watchdog(self):
        if self._wd is not None:
            self._wd.cancel()
            self._wd = None

    def _wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited during start-up\n" + self.log_tail())
            r = subprocess.run(["psql", "-X", "-q", "-h", self.sockdir, "-p", str(self.port), "-U", "postgres",
                                "-d", "postgres", "-tAc", "SELECT 1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            if r.returncode == 0 and r.stdout.strip() == "1":
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("postgres did not get ready within %ss\n%s" % (timeout, self.log_tail()))

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None
        # without a PID namespace, make sure no backend outlives the postmaster
        if not self._as_root:
            time.sleep(0.2)

    def stop(self):
        """Stop the server (immediately, like a crash; the data stays). Idempotent."""
        self._kill()

    def close(self):
        """Stop and forget (the work dir is removed at exit)."""
        self.stop()
        self._stop_watchdog()
        if self._cleanup is not None:
            kwtest.remove_cleanup(self._cleanup)
            self._cleanup = None

    def restart(self):
        self.stop()
        return self.start()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def set_cert(self, name):
        """Serve another test certificate (reloaded without a restart)."""
        self._install_cert(name)
        self.sql("SELECT pg_reload_conf()")
        time.sleep(0.5)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=30):
        return "postgres log:\n" + "\n".join(self.log_text().splitlines()[-lines:])

    # -- SQL -------------------------------------------------------------------
    def sql(self, statement, db="postgres", check=True):
        """Run SQL as the superuser over the private socket; returns stdout (tuples only,
        unaligned, '|' separated)."""
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.sockdir,
                            "-p", str(self.port), "-U", "postgres", "-d", db, "-tA", "-c", statement],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (statement[:200], r.stderr))
        return r.stdout

    def create_admin(self, name="kwadmin", password="admin-password-1", db="sales"):
        """A team admin: LOGIN CREATEROLE (not a superuser), owner of database `db`."""
        self.sql("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'" % (name, password.replace("'", "''")))
        self.sql("CREATE DATABASE %s OWNER %s" % (db, name))
        return name

    def url(self, user, db="sales", host="localhost", port=None, **params):
        u = "postgresql://%s@%s:%d/%s" % (user, host, port or self.port, db)
        if params:
            u += "?" + "&".join("%s=%s" % kv for kv in params.items())
        return u

    def psql(self, user, password, statement, db="sales", host="localhost", sslmode="verify-full",
             port=None):
        """Run SQL as `user` over TCP (TLS verified against the test CA by default), the
        password from a 0600 passfile. Returns (rc, stdout, stderr); stdout has the
        command tags (UPDATE 0, DELETE 0, ...) besides the tuples."""
        with open(self.passfile, "w") as f:
            f.write("*:*:*:%s:%s\n" % (user.replace(":", "\\:"), password.replace(":", "\\:")))
        os.chmod(self.passfile, 0o600)
        env = dict(os.environ, PGPASSFILE=self.passfile, PGSSLMODE=sslmode, PGSSLROOTCERT=self.ca_file,
                   PGCONNECT_TIMEOUT="10", LC_ALL="C")
        for k in ("PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"):
            env.pop(k, None)
        try:
            r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port or self.port),
                                "-U", user, "-d", db, "-tA", "-c", statement], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL,
                               timeout=60)
        finally:
            os.unlink(self.passfile)
        return r.returncode, r.stdout, r.stderr
