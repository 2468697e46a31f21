#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The store is created 0600 in a 0700 directory even under umask 000, for a
--db path in directories that do not exist yet and for the default path
($XDG_DATA_HOME/keepwarm/keepwarm.db); -wal/-shm files are 0600 too."""
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def check(db, label):
    ok(os.path.exists(db), "%s: store created at %s" % (label, db))
    if not os.path.exists(db):
        return
    is_(oct(mode(db)), oct(0o600), "%s: file mode 0600" % label)
    is_(oct(mode(os.path.dirname(db))), oct(0o700), "%s: directory mode 0700" % label)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            is_(oct(mode(db + suffix)), oct(0o600), "%s: %s mode 0600" % (label, suffix))


def test():
    maildir, truth, box = generated_mailbox(messages=40, seed=11)
    with Dovecot(maildir=maildir) as dv:
        db = kwtest.new_db()
        ok(not os.path.exists(os.path.dirname(db)), "the --db directory does not exist yet")
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv), password=dv.password, db=db, umask=0)
        is_(rc, 0, "sync under umask 000 exits 0", show_run(rc, out, err))
        check(db, "--db")
        rc, out, err = kwtest.run_keepwarm(["contacts", "--format=json"], db=db, umask=0)
        is_(rc, 0, "contacts under umask 000 exits 0", show_run(rc, out, err))
        check(db, "--db after contacts")

        data_home = os.path.join(kwtest.tmpdir("kwxdg-"), "data")
        env = {"XDG_DATA_HOME": data_home}
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv), password=dv.password, db=False,
                                           umask=0, env=env)
        is_(rc, 0, "sync with the default store path exits 0", show_run(rc, out, err))
        check(os.path.join(data_home, "keepwarm", "keepwarm.db"), "default path")

        db3 = kwtest.new_db()
        rc, out, err = kwtest.run_keepwarm(["sync", "--db", db3] + kwtest.sync_args(dv)[1:],
                                           password=dv.password, db=False, umask=0)
        is_(rc, 0, "--db after the subcommand is accepted", show_run(rc, out, err))
        check(db3, "--db after the subcommand")


main(test)
