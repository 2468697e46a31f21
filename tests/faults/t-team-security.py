#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Team security, enforced by the server and by the connection policy:

- row-level security, asserted from PostgreSQL's own answers (psql as member
  B): B cannot update, delete or insert rows of member A, nor hand its own
  rows to A, nor touch the schema (ALTER, DROP, TRUNCATE, CREATE, policies,
  the version table, other roles); B reads the team's rows and writes its own;
- a removed member reads and writes nothing (dropped role; adopted role
  out of the group), and keepwarm says "not a member";
- TLS: a wrong server name, a self-signed or expired certificate, a private CA
  without ca_file are refused before the password is sent (a fake PostgreSQL
  server logs what the client sends; with a trusted certificate it does
  receive the password: the positive control); plaintext or an unverified
  sslmode to a non-loopback address is refused before connecting; a password
  in the URL is refused without being echoed;
- the password canary (password_cmd through a FIFO, or --password-fd) is in
  no file, no argv or environment of keepwarm or its children (caught alive
  while a fault proxy stalls the server), no output and no server log."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import pgtest  # noqa: E402
from fakepg import FakePg  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from teamtest import Team, kw, start_kw, write_config, DB, ADMIN_PASSWORD  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import proc_read, descendants, files_containing  # noqa: E402

CANARY = "CANARY-team-s3cr3t-%d" % os.getpid()


def psql_ok(t, who, pw, sql, expect, name):
    rc, out, err = t.member_psql(who, pw, sql)
    return is_((rc, out.strip()), (0, expect), name, err)


def psql_refused(t, who, pw, sql, pattern, name):
    rc, out, err = t.member_psql(who, pw, sql)
    return ok(rc != 0 and pattern in err, name, "rc %d\nstdout: %s\nstderr: %s" % (rc, out, err))


def rls(t):
    t.add_member("amy", "pw-amy")
    t.add_member("bea", "pw-bea")
    psql_ok(t, "amy", "pw-amy", "INSERT INTO keepwarm.records (kind, key, org, state) "
            "VALUES ('org', 'acme.example', 'acme.example', 'ok')", "INSERT 0 1",
            "amy inserts her own record")
    a_before = t.pg.sql("SELECT row_to_json(r)::text FROM keepwarm.records r WHERE member = 'amy'", db=DB)
    # B against A's rows
    psql_ok(t, "bea", "pw-bea", "UPDATE keepwarm.records SET state = 'overdue' WHERE member = 'amy'",
            "UPDATE 0", "bea cannot update amy's rows (UPDATE 0)")
    psql_ok(t, "bea", "pw-bea", "UPDATE keepwarm.records SET state = 'overdue'", "UPDATE 0",
            "not even without a WHERE")
    psql_ok(t, "bea", "pw-bea", "DELETE FROM keepwarm.records WHERE member = 'amy'", "DELETE 0",
            "bea cannot delete amy's rows (DELETE 0)")
    psql_refused(t, "bea", "pw-bea", "INSERT INTO keepwarm.records (member, kind, key, org) "
                 "VALUES ('amy', 'org', 'evil.example', 'evil.example')",
                 "violates row-level security policy", "bea cannot insert a row as amy")
    psql_refused(t, "bea", "pw-bea", "INSERT INTO keepwarm.records (member, kind, key, org) "
                 "VALUES ('amy', 'org', 'acme.example', 'acme.example') ON CONFLICT (member, kind, key) "
                 "DO UPDATE SET state = 'overdue'",
                 "violates row-level security policy", "nor upsert over amy's row")
    psql_refused(t, "bea", "pw-bea", "INSERT INTO keepwarm.tombstones (member, kind, key) "
                 "VALUES ('amy', 'org', 'acme.example')",
                 "violates row-level security policy", "nor forge a removal of amy's row")
    is_(t.pg.sql("SELECT row_to_json(r)::text FROM keepwarm.records r WHERE member = 'amy'", db=DB), a_before,
        "amy's row is unchanged")
    # B's own rows
    psql_ok(t, "bea", "pw-bea", "INSERT INTO keepwarm.records (kind, key, org) "
            "VALUES ('org', 'beta.example', 'beta.example')", "INSERT 0 1", "bea inserts her own row")
    psql_ok(t, "bea", "pw-bea", "UPDATE keepwarm.records SET state = 'ok' WHERE member = 'bea'", "UPDATE 1",
            "bea updates her own row")
    psql_refused(t, "bea", "pw-bea", "UPDATE keepwarm.records SET member = 'amy' WHERE member = 'bea'",
                 "violates row-level security policy", "bea cannot hand her row over to amy")
    psql_ok(t, "bea", "pw-bea", "UPDATE keepwarm.records SET txid = '1' WHERE member = 'bea'", "UPDATE 1",
            "bea sets txid on her row...")
    is_(t.pg.sql("SELECT txid <> '1' FROM keepwarm.records WHERE member = 'bea'", db=DB).strip(), "t",
        "...and the server's stamp wins (pulls cannot be fooled)")
    psql_ok(t, "bea", "pw-bea", "SELECT count(*) FROM keepwarm.records WHERE member = 'amy'", "1",
            "bea reads the team's rows")
    psql_ok(t, "bea", "pw-bea", "DELETE FROM keepwarm.records WHERE member = 'bea'", "DELETE 1",
            "bea deletes her own row")
    # The schema
    for sql, pattern, what in (
            ("ALTER TABLE keepwarm.records ADD COLUMN x int", "must be owner", "alter a table"),
            ("ALTER TABLE keepwarm.records DISABLE ROW LEVEL SECURITY", "must be owner", "switch RLS off"),
            ("DROP POLICY own_updates ON keepwarm.records", "must be owner", "drop a policy"),
            ("CREATE POLICY mine ON keepwarm.records FOR ALL USING (true)", "must be owner", "add a policy"),
            ("DROP TABLE keepwarm.records", "must be owner", "drop a table"),
            ("TRUNCATE keepwarm.records", "permission denied", "truncate"),
            ("CREATE TABLE keepwarm.evil (x int)", "permission denied for schema", "create a table"),
            ("CREATE FUNCTION keepwarm.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
             "permission denied for schema", "create a function"),
            ("DROP TRIGGER records_stamp ON keepwarm.records", "must be owner", "drop the stamping trigger"),
            ("UPDATE keepwarm.schema_version SET version = 2", "permission denied", "change the version"),
            ("INSERT INTO keepwarm.members VALUES ('bea', 'Boss', true)", "permission denied",
             "add herself as a member"),
            ("DELETE FROM keepwarm.tombstones", "permission denied", "delete removals"),
            ("SET ROLE amy", "permission denied", "become amy"),
            ("GRANT keepwarm_sales TO amy", "must have admin option", "grant the team's role"),
            ("ALTER ROLE bea BYPASSRLS", "must be superuser", "exempt herself from row-level security")):
        psql_refused(t, "bea", "pw-bea", sql, pattern, "bea cannot %s" % what)
    return "amy", "pw-amy"


def removed_members(t):
    t.add_member("cid", "pw-cid")
    psql_ok(t, "cid", "pw-cid", "INSERT INTO keepwarm.records (kind, key, org) "
            "VALUES ('org', 'gamma.example', 'gamma.example')", "INSERT 0 1", "cid shares a record")
    r = t.admin(["remove-member", "cid"])
    is_(r.rc, 0, "the admin removes cid", r.show())
    rc, out, err = t.member_psql("cid", "pw-cid", "SELECT count(*) FROM keepwarm.records")
    ok(rc != 0 and "authentication failed" in err, "cid (role dropped) cannot even log in", out + err)
    is_(t.pg.sql("SELECT count(*) FROM keepwarm.records WHERE member = 'cid'", db=DB).strip(), "0",
        "cid's rows are gone")
    is_(t.pg.sql("SELECT count(*) FROM keepwarm.tombstones WHERE member = 'cid'", db=DB).strip(), "1",
        "and their removal is recorded for teammates' pulls")
    # An adopted role stays, but outside the team.
    t.pg.sql("CREATE ROLE dee LOGIN PASSWORD 'pw-dee'")
    r = t.admin(["add-member", "dee"])
    is_(r.rc, 0, "add-member dee (an existing role)", r.show())
    psql_ok(t, "dee", "pw-dee", "INSERT INTO keepwarm.records (kind, key, org) "
            "VALUES ('org', 'delta.example', 'delta.example')", "INSERT 0 1", "dee shares a record")
    r = t.admin(["remove-member", "dee"])
    is_(r.rc, 0, "the admin removes dee", r.show())
    psql_refused(t, "dee", "pw-dee", "SELECT count(*) FROM keepwarm.records", "permission denied",
                 "dee logs in but reads nothing")
    psql_refused(t, "dee", "pw-dee", "INSERT INTO keepwarm.records (kind, key, org) "
                 "VALUES ('org', 'x.example', 'x.example')", "permission denied", "and writes nothing")
    psql_refused(t, "dee", "pw-dee", "SELECT count(*) FROM keepwarm.tombstones", "permission denied",
                 "not even the removals")
    db = kwtest.new_db()
    r = kw(["team", "pull", "--url", t.member_url("dee"), "--ca-file", t.pg.ca_file], db=db,
           secrets={"--password-fd": "pw-dee"})
    is_(r.rc, 3, "keepwarm team pull as dee: exit 3", r.show())
    like(r.err, r"not a member of the team", "says dee is not a member (any more)")


def tls(t, work):
    certs = t.pg.certs
    db = kwtest.new_db()
    url = t.member_url("amy")
    # Against the real server with the wrong name: refused, nothing logged in.
    r = kw(["team", "pull", "--url", url, "--ca-file", t.pg.ca_file], db=db, secrets={"--password-fd": "pw-amy"})
    is_(r.rc, 0, "amy pulls with the valid certificate (control)", r.show())
    t.pg.set_cert("wrong_name")
    before = t.pg.log_text()
    r = kw(["team", "pull", "--url", url, "--ca-file", t.pg.ca_file], db=db, secrets={"--password-fd": "pw-amy"})
    is_(r.rc, 4, "the server's certificate names wrong.example: exit 4", r.show())
    like(r.err, r"TLS failed, nothing was sent", "says TLS failed and nothing was sent")
    new = t.pg.log_text()[len(before):]
    ok("connection authorized" not in new and "authentication failed" not in new,
       "the server saw no login attempt", new[-1500:])
    t.pg.set_cert("valid")

    # A fake server shows what a client sends before trusting it.
    for cert_name, ca, expect_pw in (("valid", t.pg.ca_file, True), ("wrong_name", t.pg.ca_file, False),
                                     ("self_signed", t.pg.ca_file, False), ("expired", t.pg.ca_file, False),
                                     ("valid", None, False)):
        c, k = certs[cert_name]
        with FakePg(c, k, workdir=work, name="fakepg-%s-%s" % (cert_name, bool(ca))) as srv:
            args = ["team", "pull", "--url", "postgresql://amy@localhost:%d/sales" % srv.port, "--timeout", "10"]
            if ca:
                args += ["--ca-file", ca]
            r = kw(args, db=db, secrets={"--password-fd": CANARY})
            srv.wait(10)
            label = "%s certificate%s" % (cert_name, "" if ca else ", no ca_file (system CAs)")
            if expect_pw:
                ok(srv.saw(r"^C: password %d bytes" % len(CANARY)),
                   "control: with a trusted certificate the fake server receives the password", srv.lines())
            else:
                is_(r.rc, 4, "%s: exit 4" % label, r.show())
                # The chain is checked in the handshake; libpq checks the name
                # right after it: either way nothing else is sent.
                ok(srv.saw(r"^# ssl request") and not srv.saw_startup() and not srv.saw_password(),
                   "%s: refused before the startup message and the password" % label, srv.lines())
    # Plaintext: only to a loopback address, and refused before connecting otherwise.
    c, k = certs["valid"]
    with FakePg(c, k, workdir=work, name="fakepg-plain") as srv:
        r = kw(["team", "pull", "--url", "postgresql://amy@127.0.0.1:%d/sales?sslmode=disable" % srv.port,
                "--timeout", "10"], db=db, secrets={"--password-fd": "pw-amy"})
        srv.wait(10)
        ok(srv.saw(r"^# plaintext startup"), "sslmode=disable to 127.0.0.1 is allowed (loopback)", srv.lines())
    for u in ("postgresql://amy@192.0.2.1:5432/sales?sslmode=disable",
              "postgresql://amy@db.example.com/sales?sslmode=require",
              "postgresql://amy@db.example.com/sales?sslmode=verify-ca",
              "host=db.example.com hostaddr=127.0.0.1 dbname=sales sslmode=prefer"):
        t0 = time.monotonic()
        r = kw(["team", "pull", "--url", u], db=db, secrets={"--password-fd": "pw-amy"})
        is_(r.rc, 4, "refused: %s" % u, r.show())
        like(r.err, r"refusing sslmode", "says what was refused and why")
    r = kw(["team", "pull", "--url", "postgresql://amy:%s@db.example.com/sales" % CANARY], db=db)
    is_(r.rc, 2, "a password in the URL: usage error", r.show())
    ok(CANARY not in r.err and CANARY not in r.out, "the password in the URL is not echoed")


class SecretServer:
    """Hands `secret` to every client of a Unix socket: password_cmd connects and
    prints it. The secret then lives only in memory and pipes, never in a file."""

    def __init__(self, path, secret):
        import socket
        self.path, self.secret = path, secret
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        os.chmod(path, 0o600)
        self.sock.listen(4)
        self.served = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.sendall(self.secret.encode())
            self.served += 1

    def command(self):
        return ("%s -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                "sys.stdout.write(s.recv(4096).decode())' %s" % (sys.executable, self.path))

    def close(self):
        self.sock.close()


def canary(t, work):
    t.add_member("eli", CANARY)
    d = os.path.join(work, "eli")
    os.makedirs(d)
    secrets = SecretServer(os.path.join(d, "pw.sock"), CANARY)
    cfg = write_config(os.path.join(d, "config"), [],
                       {"url": t.member_url("eli"), "password_cmd": secrets.command(), "share": "yes",
                        "ca_file": t.pg.ca_file})
    db = os.path.join(d, "db", "keepwarm.db")
    outs = []
    for args in (["team", "push"], ["team", "pull"], ["team", "status"], ["team", "status", "--format=json"],
                 ["team", "show-shared"], ["team", "list"]):
        r = kw(args, config=cfg, db=db, env={"G_MESSAGES_DEBUG": "all", "PGSSLMODE": "disable"})
        is_(r.rc, 0, "eli: keepwarm %s" % " ".join(args), r.show())
        outs.append(r.out + r.err)
    # The wrong password: refused, never echoed.
    r = kw(["team", "pull", "--url", t.member_url("eli"), "--ca-file", t.pg.ca_file], db=db,
           secrets={"--password-fd": CANARY + "-wrong"})
    is_(r.rc, 3, "a wrong password: exit 3", r.show())
    outs.append(r.out + r.err)
    ok(not [o for o in outs if CANARY in o], "the canary is in no output")

    is_(secrets.served, 2, "password_cmd ran for the push and the pull only")

    # Caught alive: a proxy stalls the server near the end of a pull, after the
    # login (the byte count comes from an undisturbed pull through the proxy).
    pull = ["team", "pull", "--ca-file", t.pg.ca_file, "--timeout", "30"]
    with FaultProxy(t.pg.port, "none", 0, workdir=d, name="measure") as px:
        r = kw(pull + ["--url", "postgresql://eli@localhost:%d/sales" % px.port], db=db,
               secrets={"--password-fd": CANARY})
        is_(r.rc, 0, "a pull through the proxy", r.show())
        px.wait(10)
        total = max([int(l.split()[-2]) for l in px.lines() if "relayed" in l and "bytes" in l] or [0])
    with FaultProxy(t.pg.port, "stall", max(total - 150, 1), workdir=d, deadline=60, name="stall") as px:
        p, cmd = start_kw(pull + ["--url", "postgresql://eli@localhost:%d/sales" % px.port], db=db,
                          secrets={"--password-fd": CANARY})
        end = time.monotonic() + 20
        while time.monotonic() < end and not px.saw(r"^# stalled"):
            time.sleep(0.05)
        ok(px.saw(r"^# stalled") and p.poll() is None,
           "keepwarm waits on a stalled server after the login (caught alive)", px.lines()[-5:])
        pids = [p.pid] + descendants(p.pid)
        leaks = ["/proc/%d/%s" % (pid, w) for pid in pids for w in ("cmdline", "environ")
                 if CANARY.encode() in (proc_read(pid, w) or b"")]
        ok(not leaks, "the canary is not in argv or environment of keepwarm (%d processes)" % len(pids), *leaks)
        ok(b"--password-fd" in (proc_read(p.pid, "cmdline") or b""), "it came through --password-fd")
        os.killpg(p.pid, 9)
        p.communicate()
    secrets.close()
    roots = [d, os.path.join(kwtest._session_tmp(), "xdg")]
    hits = files_containing(roots, CANARY)
    ok(not hits, "the canary is in no file: store, -wal, -shm, config, proxy log, XDG dirs", *hits)
    ok(CANARY not in t.pg.log_text(), "nor in the server's log (statements logged)")


def test():
    why = pgtest.available()
    if why:
        skip_all(why)
    work = kwtest.tmpdir("kwteamsec-")
    with Team(log_statements=True) as t:
        rls(t)
        removed_members(t)
        tls(t, work)
        canary(t, work)


kwtest.main(test)
