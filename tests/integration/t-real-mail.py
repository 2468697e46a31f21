#!/usr/bin/env python3
"""Conformance on real mail: the five Enron mailboxes of ../shared/corpus/enron-dev
(6,856 messages), served by Dovecot and synced through the real path, agree with
an independent oracle (tests/lib/mail_oracle.py: Python's email package, its own
address normalisation, dedupe and direction rules) on every address's inbound
count, outbound count, last inbound and last outbound.

- The corpus is copied into a temp dir; files get a fixed modification time (the
  Date header when it is a sane date, else 2002-01-01), which Dovecot serves as
  INTERNALDATE, so that results do not depend on when the copy was made.
- Each mailbox is one Dovecot user, synced over implicit TLS into its own store
  with the owner's addresses as --me (two of them have an X.400 form,
  k..allen@enron.com and s..shively@enron.com).
- The oracle's output must equal tests/data/enron-dev/oracle.tsv (so a change of
  either side shows in review), agreement must be >= 99.9 % of the addresses, and
  the remaining differences must be exactly tests/data/enron-dev/differences.tsv,
  each explained in tests/README.md.
- KW_UPDATE_GOLDEN=1 rewrites both golden files (then review the diff).

Skips (with a message) when ../shared is not next to the checkout."""
import datetime
import email
import email.policy
import email.utils
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
import mail_oracle

CORPUS = os.path.normpath(os.path.join(kwtest.SRC_DIR, "..", "shared", "corpus", "enron-dev"))
GOLDEN_DIR = os.path.join(kwtest.TESTS_DIR, "data", "enron-dev")
ORACLE_GOLDEN = os.path.join(GOLDEN_DIR, "oracle.tsv")
DIFF_GOLDEN = os.path.join(GOLDEN_DIR, "differences.tsv")
# Each mailbox owner's addresses: the most common From of their Sent folders,
# and its X.400-gateway form where the corpus has one.
USERS = {
    "allen-p": ["phillip.allen@enron.com", "k..allen@enron.com"],
    "holst-k": ["keith.holst@enron.com"],
    "kuykendall-t": ["tori.kuykendall@enron.com"],
    "shively-h": ["hunter.shively@enron.com", "s..shively@enron.com"],
    "south-s": ["steven.south@enron.com", "p..south@enron.com"],
}
FALLBACK_MTIME = 1009843200  # 2002-01-01T00:00:00Z
AGREEMENT = 0.999


def mtime_for(path, now):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    t = mail_oracle.read_date(msg.get("Date"))
    return t if t is not None and mail_oracle.DATE_MIN <= t <= now else FALLBACK_MTIME


def prepare(now):
    """Copy the corpus: ROOT/oracle/USER/FOLDER/cur (the oracle's view) and the same
    files hard-linked as ROOT/imap/USER (Maildir++, 'inbox' as INBOX) for Dovecot."""
    root = kwtest.tmpdir("kwenron-")
    n = 0
    for user in USERS:
        for folder in sorted(os.listdir(os.path.join(CORPUS, user))):
            for sub in ("cur", "new"):
                src = os.path.join(CORPUS, user, folder, sub)
                if not os.path.isdir(src):
                    continue
                odir = os.path.join(root, "oracle", user, folder, sub)
                idir = os.path.join(root, "imap", user, "" if folder == "inbox" else "." + folder, sub)
                os.makedirs(odir, exist_ok=True)
                os.makedirs(idir, exist_ok=True)
                for sub2 in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(os.path.dirname(idir), sub2), exist_ok=True)
                for fn in os.listdir(src):
                    dst = os.path.join(odir, fn)
                    shutil.copyfile(os.path.join(src, fn), dst)
                    t = mtime_for(dst, now)
                    os.utime(dst, (t, t))
                    os.link(dst, os.path.join(idir, fn))
                    n += 1
    return root, n


def keepwarm_lines(user, db):
    rc, data, err = contacts_json(db)
    lines = []
    for c in data or []:
        if not (c.get("inbound") or c.get("outbound")):
            continue
        lines.append("%s\t%s\t%d\t%d\t%s\t%s" % (user, c["email"], c["inbound"], c["outbound"],
                                                 c.get("last_inbound") or "-", c.get("last_outbound") or "-"))
    return rc, lines, err


def by_key(lines):
    return {tuple(l.split("\t")[:2]): l for l in lines}


def read_golden(path, columns):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return ["\t".join(l.rstrip("\n").split("\t")[:columns]) for l in f
                if l.strip() and not l.startswith("#")]


def test():
    if not os.path.isdir(CORPUS):
        skip_all("the real-mail corpus is not there (%s): ../shared is absent next to the checkout" % CORPUS)
    now = int(time.time())
    t0 = time.monotonic()
    root, n_files = prepare(now)
    note("copied %d files in %.1f s" % (n_files, time.monotonic() - t0))

    # ---- the oracle, and its golden file
    t0 = time.monotonic()
    oracle = mail_oracle.table(os.path.join(root, "oracle"), USERS, now)
    note("oracle: %d addresses in %.1f s" % (len(oracle), time.monotonic() - t0))
    update = os.environ.get("KW_UPDATE_GOLDEN") == "1"
    if update:
        os.makedirs(GOLDEN_DIR, exist_ok=True)
        with open(ORACLE_GOLDEN, "w", encoding="utf-8") as f:
            f.write("# user\taddress\tinbound\toutbound\tlast_inbound\tlast_outbound"
                    "  (tests/lib/mail_oracle.py on ../shared/corpus/enron-dev; t-real-mail.py)\n")
            f.write("".join(l + "\n" for l in oracle))
    golden = read_golden(ORACLE_GOLDEN, 6)
    ok(golden is not None, "golden file %s exists" % os.path.relpath(ORACLE_GOLDEN, kwtest.SRC_DIR))
    if golden is not None:
        is_(len(oracle), len(golden), "the oracle finds as many addresses as its golden file")
        ok(oracle == golden, "the oracle's output equals its golden file",
            "\n".join(sorted(set(oracle) ^ set(golden))[:30]))

    # ---- the real path: Dovecot, one user per mailbox, implicit TLS
    got = []
    with Dovecot(maildir=os.path.join(root, "imap"), users=list(USERS), special_use=False,
                 auto_create=False, password="enron-dev-1") as dv:
        for user, me in USERS.items():
            db = kwtest.new_db()
            args = ["sync", "--host", "localhost", "--port", str(dv.tls_port), "--tls=implicit",
                    "--user", user, "--account", user, "--ca-file", dv.ca_file]
            for m in me:
                args += ["--me", m]
            t0 = time.monotonic()
            rc, out, err = kwtest.run_keepwarm(args + ["--progress=json"], password=dv.password, db=db,
                                               timeout=180)
            secs = time.monotonic() - t0
            is_(rc, 0, "%s: sync exits 0" % user, show_run(rc, out, err))
            done = [e for e in parse_progress(out) if e.get("event") == "done"]
            if done:
                note("%s: %s new messages of %s read, %s addresses unreadable, %.1f s (measured under load)"
                     % (user, done[0].get("new"), done[0].get("fetched"), done[0].get("unreadable_addresses"), secs))
            rc, lines, err = keepwarm_lines(user, db)
            is_(rc, 0, "%s: contacts --all --format=json" % user, err)
            got += lines
            # a user's next steps work on real mail too
            for cmd in (["contacts", "--all"], ["overdue", "--all"]):
                rc, out, err = kwtest.run_keepwarm(cmd, db=db)
                is_(rc, 0, "%s: keepwarm %s" % (user, " ".join(cmd)), show_run(rc, out[:2000], err))
            rc, out, err = kwtest.run_keepwarm(args + ["--progress=json"], password=dv.password, db=db)
            done = [e for e in parse_progress(out) if e.get("event") == "done"]
            ok(rc == 0 and done and done[0].get("new") == 0 and done[0].get("fetched") == 0,
               "%s: a second sync finds nothing new" % user, show_run(rc, out, err))

    # ---- agreement
    o, k = by_key(oracle), by_key(got)
    keys = sorted(set(o) | set(k))
    differ = [key for key in keys if o.get(key) != k.get(key)]
    ratio = 1 - len(differ) / max(1, len(keys))
    note("agreement: %d of %d addresses (%.3f %%), %d differences" % (len(keys) - len(differ), len(keys),
                                                                       100 * ratio, len(differ)))
    ok(len(keys) > 800, "the corpus gives more than 800 addresses (%d)" % len(keys))
    ok(ratio >= AGREEMENT, "agreement %.3f %% >= %.1f %% on all four values" % (100 * ratio, 100 * AGREEMENT))
    rows = ["%s\t%s\toracle %s\tkeepwarm %s" % (key[0], key[1],
                                               " ".join(o[key].split("\t")[2:]) if key in o else "-",
                                               " ".join(k[key].split("\t")[2:]) if key in k else "-")
            for key in differ]
    if update:
        old = {}
        for l in open(DIFF_GOLDEN, encoding="utf-8") if os.path.exists(DIFF_GOLDEN) else []:
            if l.strip() and not l.startswith("#"):
                p = l.rstrip("\n").split("\t")
                old["\t".join(p[:4])] = p[4] if len(p) > 4 else "REASON?"
        with open(DIFF_GOLDEN, "w", encoding="utf-8") as f:
            f.write("# user\taddress\toracle in out last_in last_out\tkeepwarm ...\treason (see tests/README.md)\n")
            for r in rows:
                f.write("%s\t%s\n" % (r, old.get(r, "REASON?")))
    golden_diff = read_golden(DIFF_GOLDEN, 4)
    ok(golden_diff is not None, "golden file %s exists" % os.path.relpath(DIFF_GOLDEN, kwtest.SRC_DIR))
    if golden_diff is not None:
        unexpected = sorted(set(rows) - set(golden_diff))
        gone = sorted(set(golden_diff) - set(rows))
        ok(not unexpected, "every difference is a known, explained one (%d new)" % len(unexpected),
           "\n".join(unexpected[:40]))
        ok(not gone, "every listed difference still occurs (%d gone: update the list)" % len(gone),
           "\n".join(gone[:40]))
    if differ:
        note("differences:\n" + "\n".join(rows[:60]))


main(test)
