# SPDX-License-Identifier: GPL-3.0-or-later
"""faultlib — helpers shared by tests/faults/t-*.py (on top of tests/lib/kwtest.py).

- sync against the fake server (FAKE) or a Dovecot, measuring wall time and the
  peak RSS of the keepwarm child;
- store dumps for "equals an uninterrupted run" comparisons;
- invariants: integrity_check, and "no folder position beyond what was stored".
"""
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import kwtest  # noqa: E402
import guitest  # noqa: E402
from kwtest import ok, is_, diag, note, skip  # noqa: E402,F401
from fakeimap import FakeImap, build_mailbox  # noqa: E402,F401

PASSWORD = "CANARY-pw-7Qx9"
ME = "me@example.org"
RSS_LIMIT_KB = 100 * 1024


def have_keepwarm():
    return os.access(kwtest.keepwarm_path(), os.X_OK)


def require_keepwarm():
    if not have_keepwarm():
        kwtest.skip_all("keepwarm is not built (%s)" % kwtest.keepwarm_path())


class Run:
    """Result of one keepwarm run."""

    def __init__(self, rc, out, err, seconds, peak_kb, events):
        self.rc, self.out, self.err = rc, out, err
        self.seconds, self.peak_kb, self.events = seconds, peak_kb, events

    def show(self):
        return "%s\n(%.1f s, peak RSS %d KB)" % (kwtest.show_run(self.rc, self.out, self.err),
                                                 self.seconds, self.peak_kb)

    def stderr_lines(self):
        return [l for l in (self.err or "").splitlines() if l.strip()]


def _vmhwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(args, password=PASSWORD, db=None, timeout=60, env=None):
    """Run keepwarm, sampling the child's peak RSS (VmHWM) while it runs."""
    t0 = time.monotonic()
    p = kwtest.start_keepwarm(args, password=password, db=db, env=env)
    peak = [0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            v = _vmhwm(p.pid)
            if v > peak[0]:
                peak[0] = v
            stop.wait(0.02)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, 9)
        except OSError:
            pass
        out, err = p.communicate()
        err = (err or "") + "\n[faultlib: killed after %ss timeout]" % timeout
        rc = -9
    stop.set()
    th.join()
    # RUSAGE_CHILDREN is the max over every reaped child: an upper bound.
    return Run(rc, out, err, time.monotonic() - t0, peak[0], kwtest.parse_progress(out))


def fake_sync_args(port, tls="implicit", ca=None, account="acct", chunk=2, timeout=3,
                   host="127.0.0.1", extra=()):
    a = ["sync", "--host", host, "--port", str(port), "--tls=" + tls, "--user", "seller",
         "--account", account, "--me", ME, "--progress=json", "--chunk-size", str(chunk),
         "--timeout", str(timeout)]
    if ca:
        a += ["--ca-file", ca]
    return a + list(extra)


def fake_sync(srv, db, tls="implicit", certs=None, timeout=60, **kw):
    ca = (certs or kwtest.test_certs())["ca"]
    return run(fake_sync_args(srv.port, tls=tls, ca=ca, **kw), db=db, timeout=timeout)


# ---------------------------------------------------------------------------
# Store inspection (Python's sqlite3, read-only URI so nothing is created)
# ---------------------------------------------------------------------------
def _connect(db):
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)


def integrity(db):
    return kwtest.sqlite_integrity(db)


def dump(db):
    """Everything that must be equal between an interrupted+resumed and an
    uninterrupted run (ids left out: they depend on insertion order)."""
    c = _connect(db)
    try:
        d = {}
        d["messages"] = sorted(c.execute(
            "SELECT a.name, m.identity_key, m.message_id, m.subject, m.date, m.flags, m.n_recipients "
            "FROM messages m JOIN accounts a ON a.id = m.account_id").fetchall(),
            key=lambda r: tuple(str(x) for x in r))
        d["contacts"] = sorted(c.execute("SELECT email, name, domain FROM contacts").fetchall(),
                               key=lambda r: tuple(str(x) for x in r))
        d["interactions"] = sorted(c.execute(
            "SELECT ct.email, i.date, m.identity_key, i.direction, i.flags FROM interactions i "
            "JOIN contacts ct ON ct.id = i.contact_id JOIN messages m ON m.id = i.message_id")
            .fetchall(), key=lambda r: tuple(str(x) for x in r))
        d["folders"] = sorted((a, bytes(r) if isinstance(r, (bytes, memoryview)) else r, dn, uv, lu, g)
                              for a, r, dn, uv, lu, g in c.execute(
            "SELECT a.name, f.raw_name, f.display_name, f.uidvalidity, f.last_uid, f.gone "
            "FROM folders f JOIN accounts a ON a.id = f.account_id").fetchall())
        # every stored address of every message (packed in messages.addrs)
        d["message_addrs"] = c.execute("SELECT total(length(addrs)) FROM messages").fetchone()[0]
        return d
    finally:
        c.close()


def message_ids(db):
    c = _connect(db)
    try:
        return [r[0] for r in c.execute("SELECT message_id FROM messages")]
    finally:
        c.close()


def folder_positions(db):
    """{display_name: (uidvalidity, last_uid)}"""
    c = _connect(db)
    try:
        return {(dn if isinstance(dn, str) else str(dn)): (uv, lu) for dn, uv, lu in c.execute(
            "SELECT display_name, uidvalidity, last_uid FROM folders")}
    finally:
        c.close()


def check_cursor_invariant(db, uid_to_msgid, name="cursor"):
    """For every folder: every message with UID <= last_uid is stored.
    uid_to_msgid: {folder: {uid: message-id without <>}}."""
    if not os.path.exists(db):
        return ok(True, name + ": no store written")
    stored = set(message_ids(db))
    pos = folder_positions(db)
    bad = []
    for folder, (uv, last) in pos.items():
        for uid, mid in sorted(uid_to_msgid.get(folder, {}).items()):
            if uid <= last and mid not in stored:
                bad.append("%s uid %d (%s) is below the position %d but not stored" % (folder, uid, mid, last))
    return ok(not bad, name + ": no folder position beyond what was stored", *bad[:10])


def fake_uid_map(folders_spec="INBOX:6,Sent:3", uids="normal"):
    box = build_mailbox(folders_spec, uids)
    out = {}
    for f, msgs in box.items():
        m = {}
        for msg in msgs:
            mid = re.search(rb"Message-ID: <([^>]+)>", msg.header).group(1).decode()
            m[msg.uid] = mid
        out[f] = m
    return out


def stderr_is_clean_message(r, name):
    """A clean categorised error: 'keepwarm: message' (+ at most one hint line),
    printable, no traceback or protocol dump."""
    lines = r.stderr_lines()
    good = (1 <= len(lines) <= 2 and lines[0].startswith("keepwarm")
            and all(len(l) < 400 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", l) for l in lines))
    return ok(good, name + ": one-line error message on stderr", r.show())


def peak_ok(r, name, limit_kb=RSS_LIMIT_KB):
    return ok(r.peak_kb < limit_kb,
              name + ": peak RSS below %d MB (%d KB)" % (limit_kb // 1024, r.peak_kb), r.show())


def progress_done_counts(events):
    return [(e.get("folder"), e.get("done")) for e in events if e.get("event") == "progress"]


def copy_db(src, dst):
    for suf in ("", "-wal", "-shm"):
        if os.path.exists(src + suf):
            shutil.copy2(src + suf, dst + suf)


# ---------------------------------------------------------------------------
# Maildir generation for Dovecot
# ---------------------------------------------------------------------------
def write_maildir(root, folders, base=1700000000):
    """folders: {"INBOX": n, "Sent": n, "Archive": n} -> Maildir++ tree with
    deterministic messages; Message-ID <FOLDER.i@gen.example> (i 1-based, in
    the order Dovecot will see them: files are named so they sort by i)."""
    import email.utils
    for folder, n in folders.items():
        d = root if folder == "INBOX" else os.path.join(root, "." + folder.replace("/", "."))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if folder != "INBOX":
            open(os.path.join(d, "maildirfolder"), "w").close()
        for i in range(1, n + 1):
            t = base + i * 3600 + (0 if folder == "INBOX" else 500)
            if folder.lower().startswith("sent"):
                frm, to = "Me <%s>" % ME, "Client %d <c%d@client%d.example>" % (i, i % 7, i % 5)
            else:
                frm, to = "Person %d <p%d@org%d.example>" % (i, i % 9, i % 6), "Me <%s>" % ME
            msg = ("From: %s\r\nTo: %s\r\nDate: %s\r\nMessage-ID: <%s.%d@gen.example>\r\n"
                   "Subject: %s message %d\r\n\r\nbody %d\r\n" % (
                       frm, to, email.utils.formatdate(t), folder.replace("/", "."), i, folder, i, i))
            p = os.path.join(d, "cur", "%010d.M%dP1.kwtest:2,S" % (t, i))
            with open(p, "w") as f:
                f.write(msg)
            os.utime(p, (t, t))


def dovecot_uid_map(dv, folders):
    """{folder: {uid: message-id}} read back from the running Dovecot."""
    out = {}
    for f in folders:
        m = {}
        for uid, _flags, _idate, raw in dv.fetch_all(f):
            mm = re.search(rb"Message-ID: <([^>]+)>", raw, re.I)
            if mm:
                m[int(uid)] = mm.group(1).decode()
        out[f] = m
    return out


# --------------------------------------------------------------------------
# Secret hygiene: where a canary must never be found
# --------------------------------------------------------------------------

def proc_read(pid, what):
    """/proc/PID/<what> (cmdline, environ) as bytes, or None."""
    try:
        with open("/proc/%d/%s" % (pid, what), "rb") as f:
            return f.read()
    except OSError:
        return None


def descendants(pid):
    """Every process below pid (children, grandchildren, ...)."""
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


def files_containing(roots, needle):
    """Files under the roots whose bytes contain needle (text)."""
    return guitest.files_containing(roots, needle.encode())
