#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The local store under stress (reliability notes E3, E5, E6, E7, E8, E10):
a database newer than the binary and a corrupt or truncated file are refused
with the store exit code and left byte-identical; files are 0600 under umask
000; disk full mid-sync (a small tmpfs) rolls back and the next sync on a
healthy disk resumes; two syncs of different accounts plus `keepwarm snooze`
at once never surface "database is locked"; a second sync of the same account
is refused as busy, and kill -9 of the holder frees the lock."""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
import faultlib as fl
import kwtest

STORE, BUSY = 7, 8
FOLDERS = {"INBOX": 30, "Sent": 10}


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def checkpoint(db):
    subprocess.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE);"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    for suf in ("-wal", "-shm"):
        if os.path.exists(db + suf) and os.path.getsize(db + suf) == 0:
            os.unlink(db + suf)


def refused_unchanged(dv, db, label, word=None, read_must_refuse=True):
    before = sha(db)
    others = sorted(os.listdir(os.path.dirname(db)))
    r = fl.run(kwtest.sync_args(dv), password=dv.password, db=db, timeout=60)
    is_(r.rc, STORE, "%s: sync refused with the store exit code" % label, r.show())
    fl.stderr_is_clean_message(r, label)
    if word:
        ok(word in r.err.lower(), "%s: the message says '%s'" % (label, word), r.err)
    is_(sha(db), before, "%s: the file is byte-identical" % label)
    rc, out, err = kwtest.run_keepwarm(["contacts", "--all"], db=db)
    if read_must_refuse:
        is_(rc, STORE, "%s: a read command is refused too" % label, kwtest.show_run(rc, out, err))
    else:
        # Readers do not check every page (a full quick_check costs ~20 ms
        # per 100k messages, the whole overdue budget); they report damage
        # in the pages they read and never write.
        ok(rc in (0, STORE), "%s: a read command reads what is sound or refuses (rc %d)" % (label, rc),
           kwtest.show_run(rc, out, err))
    is_(sha(db), before, "%s: still byte-identical" % label)
    now = sorted(os.listdir(os.path.dirname(db)))
    extra = [f for f in now if f not in others and not f.endswith(("-wal", "-shm", ".lock"))]
    ok(set(others) <= set(now) and not extra,
       "%s: nothing removed or created next to it (besides -wal/-shm/lock)" % label, repr(now))


def too_new_and_corrupt(dv, ref_db):
    # E5: user_version higher than the binary's
    db = kwtest.new_db()
    os.makedirs(os.path.dirname(db))
    fl.copy_db(ref_db, db)
    checkpoint(db)
    subprocess.run(["sqlite3", db, "PRAGMA user_version=999;"], check=True)
    checkpoint(db)
    refused_unchanged(dv, db, "newer schema", word="newer")
    # E8: corrupt page, truncated file, not a database at all
    for kind in ("garbage-page", "truncated", "not-sqlite"):
        db = kwtest.new_db()
        os.makedirs(os.path.dirname(db))
        fl.copy_db(ref_db, db)
        checkpoint(db)
        size = os.path.getsize(db)
        if kind == "garbage-page":
            with open(db, "r+b") as f:
                f.seek(4096)
                f.write(bytes((i * 37 + 11) & 0xFF for i in range(4096)))
        elif kind == "truncated":
            with open(db, "r+b") as f:
                f.truncate(size // 2 + 100)
        else:
            with open(db, "wb") as f:
                f.write(b"this is not a database\n" * 200)
        refused_unchanged(dv, db, "corrupt (%s)" % kind, read_must_refuse=(kind != "garbage-page"))


def modes(dv):
    # E6: under umask 000 the db, -wal, -shm are 0600 and the new directory 0700
    db = kwtest.new_db()
    p = kwtest.start_keepwarm(kwtest.sync_args(dv, extra=["--chunk-size", "5"]), password=dv.password,
                              db=db, umask=0)
    out, err = p.communicate(timeout=60)
    is_(p.returncode, 0, "umask 000: sync ok", err)
    for suf in ("", "-wal", "-shm"):
        if os.path.exists(db + suf):
            is_(oct(stat.S_IMODE(os.stat(db + suf).st_mode)), "0o600", "umask 000: %s is 0600" % ("db" + suf))
    is_(oct(stat.S_IMODE(os.stat(os.path.dirname(db)).st_mode)), "0o700", "umask 000: new directory is 0700")


def disk_full(dv, ref, uidmap, work):
    # E7: a small tmpfs fills up mid-sync
    mnt = os.path.join(work, "tiny")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "kwtest-tiny", mnt],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        skip("cannot mount a tmpfs here: %s" % r.stdout.strip(), 6)
        return
    kwtest.add_cleanup(lambda: subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL))
    try:
        db = os.path.join(mnt, "kw.db")
        rr = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", "10", "--progress=json"]),
                    password=dv.password, db=db, timeout=60)
        is_(rr.rc, STORE, "disk full: store exit code", rr.show(),
            subprocess.run(["df", "-k", mnt], stdout=subprocess.PIPE, text=True).stdout)
        fl.stderr_is_clean_message(rr, "disk full")
        if os.path.exists(db):
            is_(fl.integrity(db), "ok", "disk full: integrity_check")
            fl.check_cursor_invariant(db, uidmap, "disk full")
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        r2 = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", "10"]), password=dv.password, db=db)
        is_(r2.rc, 0, "disk full: the next sync with space succeeds", r2.show())
        d = fl.dump(db)
        is_({k: d[k] for k in ("messages", "contacts", "interactions", "message_addrs")},
            {k: ref[k] for k in ("messages", "contacts", "interactions", "message_addrs")},
            "disk full: resumed store equals an undisturbed sync")
    finally:
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)


def concurrency(dv, ref_db):
    # E3: two syncs (different accounts) and snoozes into one db at once
    db = kwtest.new_db()
    os.makedirs(os.path.dirname(db))
    fl.copy_db(ref_db, db)
    target = fl.dump(db)["contacts"][0][0]
    procs = []
    for acct in ("alpha", "beta"):
        procs.append((acct, kwtest.start_keepwarm(
            kwtest.sync_args(dv, account=acct, extra=["--chunk-size", "1"]), password=dv.password, db=db)))
    snoozes = []
    end = time.monotonic() + 20
    i = 0
    while any(p.poll() is None for _, p in procs) and time.monotonic() < end:
        rc, out, err = kwtest.run_keepwarm(["snooze", target, "%dd" % (3 + i % 5)], db=db, timeout=30)
        snoozes.append((rc, err))
        i += 1
    for _ in range(3):
        snoozes.append(kwtest.run_keepwarm(["snooze", target, "9d"], db=db, timeout=30)[0::2])
    results = []
    for acct, p in procs:
        out, err = p.communicate(timeout=60)
        results.append((acct, p.returncode, err))
    for acct, rc, err in results:
        is_(rc, 0, "concurrent sync %s: ok" % acct, err)
        ok("locked" not in err.lower() and "busy" not in err.lower(),
           "concurrent sync %s: no 'database is locked'" % acct, err)
    bad = [(rc, e) for rc, e in snoozes if rc != 0 or "locked" in (e or "").lower()]
    ok(not bad, "%d concurrent snoozes all succeeded" % len(snoozes), repr(bad[:3]))
    is_(fl.integrity(db), "ok", "concurrency: integrity_check")
    ok(len(snoozes) >= 2, "snooze really ran while the syncs were running (%d)" % len(snoozes))


def busy(dv, certs, work):
    # E10: one sync per account; the lock frees itself when the holder dies
    db = kwtest.new_db()
    c, k = certs["valid"]
    with FakeImap("stall-after-login", tls="implicit", cert=c, key=k, workdir=work, deadline=40) as srv:
        p = kwtest.start_keepwarm(fl.fake_sync_args(srv.port, ca=certs["ca"], account="test", timeout=30),
                                  password="x", db=db, umask=0)
        end = time.monotonic() + 15
        while time.monotonic() < end and not srv.saw(r"^# stalling"):
            time.sleep(0.05)
        ok(p.poll() is None and srv.saw(r"^# stalling"), "holder: a sync of 'test' is running")
        for suf in ("", "-wal", "-shm"):
            if os.path.exists(db + suf):
                is_(oct(stat.S_IMODE(os.stat(db + suf).st_mode)), "0o600",
                    "umask 000, sync running: %s is 0600" % ("db" + suf))
        r = fl.run(kwtest.sync_args(dv, account="test"), password=dv.password, db=db, timeout=30)
        is_(r.rc, BUSY, "second sync of the same account: busy", r.show())
        fl.stderr_is_clean_message(r, "busy")
        r = fl.run(kwtest.sync_args(dv, account="other"), password=dv.password, db=db, timeout=30)
        is_(r.rc, 0, "a sync of another account is not blocked", r.show())
        os.killpg(p.pid, 9)
        p.communicate()
    r = fl.run(kwtest.sync_args(dv, account="test"), password=dv.password, db=db, timeout=30)
    is_(r.rc, 0, "after kill -9 of the holder the lock is free", r.show())


def main():
    fl.require_keepwarm()
    certs = kwtest.test_certs()
    work = kwtest.tmpdir("kwstore-")
    maild = os.path.join(work, "Maildir")
    fl.write_maildir(maild, FOLDERS)
    with kwtest.Dovecot(maildir=maild) as dv:
        uidmap = fl.dovecot_uid_map(dv, FOLDERS)
        ref_db = kwtest.new_db()
        r = fl.run(kwtest.sync_args(dv, extra=["--chunk-size", "10"]), password=dv.password, db=ref_db)
        if not is_(r.rc, 0, "reference sync", r.show()):
            return
        ref = fl.dump(ref_db)
        too_new_and_corrupt(dv, ref_db)
        modes(dv)
        disk_full(dv, ref, uidmap, work)
        concurrency(dv, ref_db)
        busy(dv, certs, work)


kwtest.main(main)
