#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Team sharing under the memory checkers:
- the team unit test under valgrind memcheck and under ASan+UBSan (build-san);
- the real commands against a real PostgreSQL under valgrind — init,
  add-member, a sync that pushes and pulls, push, pull, sync, status,
  show-shared, list, overdue --team and show with a teammate's touches, an
  action that pushes, remove-member — and their failure paths (wrong password, wrong server
  name, server down, a stalled server hitting the timeout, a newer schema):
  zero errors, zero definitely/indirectly lost bytes;
- the team integration and fault tests again against the sanitized keepwarm."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import pgtest
from faultproxy import FaultProxy
from teamtest import Team, SecretPipes, write_config, dovecot_account, seller_mailbox, q, DB, ADMIN_PASSWORD

SRC = kwtest.SRC_DIR
SAN = os.environ.get("KW_BUILD_SAN") or os.path.join(SRC, "build-san")
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--num-callers=30"]
ASAN = "detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=97"
LSAN = "print_suppressions=0:suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
UBSAN = "halt_on_error=1:print_stacktrace=1"
AGAIN = ["tests/integration/t-team-two-members.py", "tests/integration/t-team-admin.py",
         "tests/faults/t-team-security.py", "tests/faults/t-team-faults.py"]


def vg(args, env, secrets=None, config=None, db=None):
    """keepwarm under valgrind; secrets {"--password-fd": pw, ...} on pipes."""
    cmd = VALGRIND + [kwtest.keepwarm_path()]
    if db:
        cmd += ["--db", db]
    if config:
        cmd += ["--config", config]
    pipes = SecretPipes(secrets)
    cmd += args + pipes.args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pipes.fds, env=env,
                         text=True, errors="replace", stdin=subprocess.DEVNULL)
    pipes.feed()
    out, err = p.communicate(timeout=900)
    return p.returncode, out, err


def stories(s):
    for i in range(40):
        s.exchanges("buyer%d@customer%d.example" % (i, i), "Buyer %d" % i, 120, 10 + i, 30)


def commands(t, work):
    build = kwtest.build_dir()
    env = kwtest.kw_env({"GNUTLS_SYSTEM_PRIORITY_FILE": os.path.join(build, "gnutls-priority.conf")})
    admin = ["--url", t.admin_url(), "--ca-file", t.pg.ca_file]
    pw = {"--password-fd": ADMIN_PASSWORD}
    rc, out, err = vg(["team", "init"] + admin, env, secrets=pw)
    is_(rc, 0, "team init under valgrind: clean", err[-3000:])
    rc, out, err = vg(["team", "add-member", "fay", "--display-name", "Fay"] + admin, env,
                      secrets={"--password-fd": ADMIN_PASSWORD, "--member-password-fd": "pw-fay"})
    is_(rc, 0, "team add-member under valgrind: clean", err[-3000:])
    t.add_member("gus", "pw-gus")
    t.pg.sql("INSERT INTO keepwarm.records (member, kind, key, org) SELECT 'gus', 'org', 'g' || i || "
             "'.example', 'g' || i || '.example' FROM generate_series(1, 50) i", db=DB)
    # Gus talked to two of Fay's customers yesterday, and logged a call with a third
    t.pg.sql("INSERT INTO keepwarm.records (member, kind, key, org, person, last_exchange, touch_kind, "
             "touch_time) VALUES "
             "('gus', 'org', 'customer3.example', 'customer3.example', NULL, "
             " pg_catalog.date_part('epoch', now())::bigint - 86400, NULL, 0),"
             "('gus', 'person', 'buyer3@customer3.example', 'customer3.example', 'buyer3@customer3.example', "
             " pg_catalog.date_part('epoch', now())::bigint - 86400, NULL, 0),"
             "('gus', 'touch', 'call-1', 'customer5.example', 'buyer5@customer5.example', 0, 'call', "
             " pg_catalog.date_part('epoch', now())::bigint - 3600)", db=DB)
    maildir, _ = seller_mailbox(os.path.join(work, "Maildir"), "fay@mycompany.example", "Fay", [stories])
    with kwtest.Dovecot(maildir=maildir) as dv:
        cfg = write_config(os.path.join(work, "config"), [dovecot_account(dv, "fay@mycompany.example")],
                           {"url": t.member_url("fay"), "password_cmd": "printf %s " + q("pw-fay"),
                            "share": "yes", "ca_file": t.pg.ca_file, "timeout": "60"})
        db = os.path.join(work, "db", "keepwarm.db")
        rc, out, err = vg(["sync", "--progress=json"], env, config=cfg, db=db)
        is_(rc, 0, "sync with a team push and pull under valgrind: clean", err[-3000:])
        ok('"event":"team","status":"ok"' in out, "the team part ran", out[-1500:])
    for args in (["team", "push"], ["team", "pull"], ["team", "sync"], ["team", "status"],
                 ["team", "status", "--format=json"], ["team", "show-shared"],
                 ["team", "show-shared", "--format=json"], ["team", "list"],
                 ["team", "list", "g7.example", "--format=json"],
                 # the model with the team's touches (pulled and none), and an action that pushes
                 ["overdue", "--all", "--team"], ["overdue", "--team", "--format=json"],
                 ["overdue", "--all", "--team", "--format=tsv", "--exact"], ["show", "customer3.example"],
                 ["show", "customer5.example", "--format=json"], ["show", "customer9.example"],
                 ["snooze", "customer9.example", "2w"],
                 # the routine with the team: a call shared (and taken back), a tier, the day's list
                 ["log", "customer3.example", "call", "--note", "memcheck"],
                 ["team", "show-shared", "--format=json"], ["tier", "customer3.example", "A"],
                 ["today"], ["log", "--undo", "1"]):
        rc, out, err = vg(args, env, config=cfg, db=db)
        is_(rc, 0, "keepwarm %s under valgrind: clean" % " ".join(args), err[-3000:])
        if args[:3] == ["overdue", "--all", "--team"] and len(args) == 3:
            like(out, r"(?m)^in touch .*customer3\.example.*gus: exchange yesterday", "customer3 is ok thanks to gus")
    # Failure paths.
    member = ["--url", t.member_url("fay"), "--ca-file", t.pg.ca_file]
    rc, out, err = vg(["team", "pull"] + member, env, secrets={"--password-fd": "wrong"}, db=db)
    is_(rc, 3, "a wrong password under valgrind: exit 3, clean", err[-3000:])
    t.pg.set_cert("wrong_name")
    rc, out, err = vg(["team", "pull"] + member, env, secrets={"--password-fd": "pw-fay"}, db=db)
    is_(rc, 4, "a certificate for another name under valgrind: exit 4, clean", err[-3000:])
    t.pg.set_cert("valid")
    with FaultProxy(t.pg.port, "stall", 1500, workdir=work, deadline=60, name="vg-stall") as px:
        rc, out, err = vg(["team", "pull", "--url", "postgresql://fay@localhost:%d/sales" % px.port,
                           "--ca-file", t.pg.ca_file, "--timeout", "3"], env,
                          secrets={"--password-fd": "pw-fay"}, db=db)
    is_(rc, 5, "a stalled server under valgrind: exit 5, clean", err[-3000:])
    t.pg.sql("UPDATE keepwarm.schema_version SET version = 99", db=DB)
    rc, out, err = vg(["team", "push"], env, config=cfg, db=db)
    is_(rc, 6, "a newer schema under valgrind: exit 6, clean", err[-3000:])
    t.pg.sql("UPDATE keepwarm.schema_version SET version = 1", db=DB)
    rc, out, err = vg(["team", "remove-member", "gus"] + admin, env, secrets=pw)
    is_(rc, 0, "team remove-member under valgrind: clean", err[-3000:])
    t.pg.stop()
    rc, out, err = vg(["team", "push"], env, config=cfg, db=db)
    is_(rc, 5, "the server down under valgrind: exit 5, clean", err[-3000:])


def test():
    why = pgtest.available()
    if why:
        skip_all(why)
    import shutil
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    unit = os.path.join(kwtest.build_dir(), "tests", "test-team")
    r = subprocess.run(VALGRIND + [unit], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=600)
    is_(r.returncode, 0, "test-team under valgrind: no errors, no leaks", r.stderr[-3000:], r.stdout[-1000:])
    env = dict(os.environ, ASAN_OPTIONS=ASAN, UBSAN_OPTIONS=UBSAN, LSAN_OPTIONS=LSAN)
    san_unit = os.path.join(SAN, "tests", "test-team")
    if not os.path.exists(san_unit):
        bail_out("build-san/tests/test-team missing: run 'make SANITIZE=1 core-tests' (make check does)")
    r = subprocess.run([san_unit], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=600)
    is_(r.returncode, 0, "test-team under ASan/UBSan", r.stderr[-3000:], r.stdout[-1000:])

    work = kwtest.tmpdir("kwteamvg-")
    with Team(init=False) as t:
        commands(t, work)

    env_again = dict(env, KW_BUILD=SAN)
    for rel in AGAIN:
        r = subprocess.run([sys.executable, os.path.join(SRC, rel)], env=env_again, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, errors="replace", timeout=1800, cwd=SRC)
        failed = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
        is_(r.returncode, 0, "%s against the sanitized keepwarm" % rel, "\n".join(failed[:20]), r.stderr[-3000:])


kwtest.main(test)
