#!/usr/bin/env python3
"""The core under valgrind memcheck: every core unit test, and the real
command (sync against a Dovecot, then contacts/overdue/show/export), with
zero errors and zero definitely/indirectly lost bytes. GLib's and GMime's
one-time type registrations are "still reachable" and not counted."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

VALGRIND = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--num-callers=30"]
# Anything GTK is not core; the plugin's view logic (no GTK: rows, progress
# lines through json-glib, messages) runs below as well.
CORE_UNITS = ["test-imap-fetch", "test-store", "test-header-parse", "test-classify",
              "test-sanitize", "test-relationship", "test-model", "test-words", "test-cli-common",
              "test-host"]


def run_vg(argv, env=None, stdin=None, timeout=600):
    r = subprocess.run(VALGRIND + argv, env=env, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True, errors="replace")
    return r.returncode, r.stdout, r.stderr


def test():
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    build = kwtest.build_dir()
    for name in CORE_UNITS:
        path = os.path.join(build, "tests", name)
        if not os.path.exists(path):
            ok(False, "%s exists (run make check)" % name)
            continue
        # Speed measurements inside the tests are skipped under valgrind.
        env = dict(os.environ, KW_UNDER_VALGRIND="1")
        rc, out, err = run_vg([path], env=env)
        is_(rc, 0, "%s: no memcheck errors, no leaks, all tests pass" % name, err[-3000:], out[-1500:])

    view_model = os.path.join(build, "tests", "plugin", "test-view-model")
    if os.path.exists(view_model):
        rc, out, err = run_vg([view_model, "--tap"], env=dict(os.environ, KW_BUILD=os.path.abspath(build)))
        is_(rc, 0, "test-view-model: no memcheck errors, no leaks, all tests pass", err[-3000:], out[-1500:])
    else:
        ok(False, "test-view-model exists (run make check)")

    maildir, truth, box = generated_mailbox(messages=300, seed=11)
    db = kwtest.new_db()
    tmp = kwtest.tmpdir("kwvg-")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp,
               # Valgrind does not follow the TLS-floor re-exec; give the
               # file directly so that no exec happens.
               GNUTLS_SYSTEM_PRIORITY_FILE=os.path.join(build, "gnutls-priority.conf"))
    kw = kwtest.keepwarm_path()
    with Dovecot(maildir=maildir) as dv:
        for tls, port in (("implicit", dv.tls_port), ("starttls", dv.port)):
            r, w = os.pipe()
            os.write(w, dv.password.encode())
            os.close(w)
            argv = [kw, "--db", db] + kwtest.sync_args(dv, tls=tls, port=port,
                                                       extra=["--password-fd", str(r), "--progress=json"])
            p = subprocess.run(VALGRIND + argv, env=env, pass_fds=(r,), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=900, text=True, errors="replace")
            os.close(r)
            is_(p.returncode, 0, "sync over %s under valgrind: clean" % tls, p.stderr[-3000:])
    for args in (["contacts", "--all", "--format=json"],
                 ["overdue", "--as-of", truth["now"], "--all", "--format=json"],
                 ["overdue", "--as-of", truth["now"]],
                 ["overdue", "--as-of", truth["now"], "--exact", "--format=tsv"],
                 ["export", "--format=csv"], ["export", "--format=vcard"],
                 ["config", "default-cadence", "45"], ["config"]):
        rc, out, err = run_vg([kw, "--db", db] + args, env=env)
        is_(rc, 0, "keepwarm %s under valgrind: clean" % " ".join(args), err[-3000:])
    rc, out, err = run_vg([kw, "--db", db, "contacts", "--format=json"], env=env)
    import json
    people = [c["email"] for c in json.loads(out or "[]")]
    if people:
        rc, out, err = run_vg([kw, "--db", db, "show", people[0]], env=env)
        is_(rc, 0, "keepwarm show under valgrind: clean", err[-3000:])
    else:
        ok(False, "the synced store has people to show")


main(test)
