# SPDX-License-Identifier: GPL-3.0-or-later
"""teamtest — fixtures for keepwarm's team tests (on top of kwtest and pgtest).

    from teamtest import *
    with Team() as t:                     # PostgreSQL (TLS, test CA), admin kwadmin, `keepwarm team init`
        t.add_member("jan", "pw-jan", display="Jan Weber")
        t.member_url("jan")               # postgresql://jan@localhost:PORT/sales
        r = kw(["team", "push"], config=cfg, db=db, secrets={"--password-fd": "pw"})
        r.rc, r.out, r.err, r.json()

    seller_mailbox(dir, me, me_name, stories) -> maildir: gen_scenarios stories told by
        another seller (the default ME is swapped for `me`).
    write_config(path, accounts=[...], team={...}) writes a keepwarm config file.
    server_rows(pg, member=None) -> {(member, kind, key): {column: value}} (txid/updated left out).

Secrets go to keepwarm through pipes (one per --*-fd option), never argv or files.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import kwtest  # noqa: E402
import pgtest  # noqa: E402

ADMIN = "kwadmin"
ADMIN_PASSWORD = "admin-pw-4Zt8"
DB = "sales"
RECORD_COLUMNS = ("org", "person", "name", "last_inbound", "last_outbound", "last_exchange",
                  "exchanges", "cadence_days", "state", "touch_kind", "touch_time")


class Result:
    def __init__(self, rc, out, err, cmd):
        self.rc, self.out, self.err, self.cmd = rc, out or "", err or "", cmd

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            return None

    def events(self):
        return kwtest.parse_progress(self.out)

    def show(self):
        return "%s\ncommand: %s" % (kwtest.show_run(self.rc, self.out, self.err), " ".join(self.cmd))


class SecretPipes:
    """One pipe per secret option: args() gives ["--password-fd", "N", ...] to
    append to the command, fds the read ends to pass to the child; after the
    child started, feed() writes each secret and closes everything."""

    def __init__(self, secrets):
        self.fds, self.writers, self.args = [], [], []
        for opt, secret in (secrets or {}).items():
            r, w = os.pipe()
            self.fds.append(r)
            self.writers.append((w, secret))
            self.args += [opt, str(r)]

    def feed(self):
        for r in self.fds:
            os.close(r)
        for w, secret in self.writers:
            try:
                os.write(w, secret.encode())
            finally:
                os.close(w)


def start_kw(args, config=None, db=None, secrets=None, env=None, build=None):
    """Start keepwarm; secrets = {"--password-fd": "pw", ...} each through its own pipe.
    Returns (Popen, cmd)."""
    exe = os.path.join(build, "keepwarm") if build else kwtest.keepwarm_path()
    cmd = [exe]
    if db:
        cmd += ["--db", db]
    if config:
        cmd += ["--config", config]
    pipes = SecretPipes(secrets)
    cmd += [str(a) for a in args] + pipes.args
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=pipes.fds, env=kwtest.kw_env(env), text=True, start_new_session=True)
    pipes.feed()

    def reap():
        if p.poll() is None:
            try:
                os.killpg(p.pid, 9)
            except OSError:
                pass
            p.wait()
    kwtest.add_cleanup(reap)
    return p, cmd


def kw(args, config=None, db=None, secrets=None, env=None, timeout=120, build=None):
    p, cmd = start_kw(args, config=config, db=db, secrets=secrets, env=env, build=build)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, 9)
        except OSError:
            pass
        out, err = p.communicate()
        return Result(-9, out, (err or "") + "\n[killed after %ss]" % timeout, cmd)
    return Result(p.returncode, out, err, cmd)


class Team:
    """A PostgreSQL server with database `sales` owned by the team admin `kwadmin`
    (LOGIN CREATEROLE, not a superuser) and the team schema set up by
    `keepwarm team init` over TLS."""

    def __init__(self, log_statements=False, init=True):
        self.pg = pgtest.Postgres(log_statements=log_statements)
        self.init = init

    def __enter__(self):
        self.pg.start()
        self.pg.create_admin(ADMIN, ADMIN_PASSWORD, db=DB)
        if self.init:
            r = self.admin(["init"])
            if r.rc != 0:
                raise RuntimeError("keepwarm team init failed:\n" + r.show())
        return self

    def __exit__(self, *exc):
        self.pg.close()
        return False

    def admin_url(self, **params):
        return self.pg.url(ADMIN, db=DB, **params)

    def member_url(self, member, **params):
        return self.pg.url(member, db=DB, **params)

    def admin(self, args, password=ADMIN_PASSWORD, extra_secrets=None, url=None):
        """`keepwarm team SUB ... --url ADMIN_URL --ca-file CA` with the admin password on a pipe."""
        sub, rest = args[0], list(args[1:])
        secrets = {"--password-fd": password}
        secrets.update(extra_secrets or {})
        return kw(["team", sub] + rest + ["--url", url or self.admin_url(), "--ca-file", self.pg.ca_file],
                  secrets=secrets)

    def add_member(self, name, password, display=None):
        args = ["add-member", name]
        if display:
            args += ["--display-name", display]
        r = self.admin(args, extra_secrets={"--member-password-fd": password})
        if r.rc != 0:
            raise RuntimeError("add-member %s failed:\n%s" % (name, r.show()))
        return r

    def member_psql(self, member, password, sql, **kw_):
        return self.pg.psql(member, password, sql, db=DB, **kw_)


def q(s):
    """A shell single-quoted word."""
    return "'" + s.replace("'", "'\\''") + "'"


def write_config(path, accounts=(), team=None):
    """accounts: dicts with name, host, port, tls, user, me, password_cmd, ca_file.
    team: dict of [team] keys (url, password_cmd, share, ca_file, timeout)."""
    lines = []
    for a in accounts:
        lines.append("[account %s]" % a["name"])
        for k in ("host", "port", "tls", "user", "me", "password_cmd", "ca_file"):
            if a.get(k) is not None:
                lines.append("%s = %s" % (k, a[k]))
        lines.append("")
    if team is not None:
        lines.append("[team]")
        for k, v in team.items():
            if v is not None:
                lines.append("%s = %s" % (k, v))
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def dovecot_account(dv, me, name="work"):
    return {"name": name, "host": dv.host, "port": dv.tls_port, "tls": "implicit", "user": dv.user,
            "me": me, "password_cmd": "printf %s " + q(dv.password), "ca_file": dv.ca_file}


def seller_mailbox(maildir, me, me_name, stories, as_of=None):
    """A Maildir for a seller `me` with gen_scenarios stories (functions of a Story).
    Returns (maildir, as_of)."""
    import gen_scenarios as gs
    as_of = as_of or gs.as_of_default()
    s = gs.Story(as_of)
    for story in stories:
        story(s)
    swap = {gs.ME: (me_name, me)}

    def fix(pair):
        return swap.get(pair[1], pair)
    for m in s.msgs:
        m["from"] = fix(m["from"])
        m["to"] = [fix(x) for x in m["to"]]
    s.msgs.sort(key=lambda m: m["date"])
    gs.write(maildir, s.msgs)
    return maildir, as_of


def server_rows(pg, member=None):
    """The team's records on the server as {(member, kind, key): {column: value}},
    read as the superuser (txid and updated left out: they are the server's)."""
    where = " WHERE member = '%s'" % member.replace("'", "''") if member else ""
    out = pg.sql("SELECT pg_catalog.json_agg(r ORDER BY member, kind, key) FROM "
                 "(SELECT member, kind, key, %s FROM keepwarm.records%s) r" % (", ".join(RECORD_COLUMNS), where),
                 db=DB).strip()
    rows = json.loads(out) if out else None
    return {(r["member"], r["kind"], r["key"]): {c: r[c] for c in RECORD_COLUMNS} for r in rows or []}


def local_state(db):
    """team_state, outbox count and pulled records of a local store (sqlite3)."""
    import sqlite3
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        st = c.execute("SELECT team_id, member, full_push, pull_xmin, last_push, last_pull, last_error "
                       "FROM team_state").fetchone()
        outbox = c.execute("SELECT count(*) FROM team_outbox").fetchone()[0]
        pulled = c.execute("SELECT member, kind, key FROM team_records ORDER BY 1, 2, 3").fetchall()
    finally:
        c.close()
    keys = ("team_id", "member", "full_push", "pull_xmin", "last_push", "last_pull", "last_error")
    return dict(zip(keys, st)), outbox, pulled
