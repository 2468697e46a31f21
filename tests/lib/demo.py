#!/usr/bin/env python3
"""`make demo`: keepwarm's main job on a throwaway local mailbox.

Generates a seller's mailbox (a few hundred messages over two years), serves it with a
throwaway Dovecot on 127.0.0.1 (implicit TLS, certificate from a test CA), syncs it
through the real IMAP path, prints the contacts and the relationships needing
attention as of the mailbox's "now", then stops everything and removes its files
(also on Ctrl-C or failure).

Options: --messages N (300), --seed S (1), --keep (keep the temp files, print where).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kwtest  # noqa: E402
import gen_mailbox  # noqa: E402

ME = gen_mailbox.DEFAULT_ME


def say(msg):
    sys.stdout.write("\n== %s\n" % msg)
    sys.stdout.flush()


def run(args, password=None, db=None):
    """Run keepwarm with the terminal as its stdout/stderr; returns the exit code."""
    shown = [a for a in args]
    sys.stdout.write("$ keepwarm %s\n" % " ".join(shlex.quote(a) for a in shown))
    sys.stdout.flush()
    p = kwtest.start_keepwarm(args, password=password, db=db, stdout=None, stderr=None)
    return p.wait()


def supports(command):
    r = subprocess.run([kwtest.keepwarm_path(), command, "--help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=kwtest.kw_env())
    return r.returncode == 0


def demo(a):
    exe = kwtest.keepwarm_path()
    if not os.access(exe, os.X_OK):
        sys.stderr.write("demo: %s is missing: run 'make all' first\n" % exe)
        return 1
    work = kwtest.tmpdir("kwdemo-")
    db = os.path.join(work, "store", "keepwarm.db")

    say("Generating a seller's mailbox (%d messages, seed %d)" % (a.messages, a.seed))
    box = gen_mailbox.generate(messages=a.messages, seed=a.seed)
    truth = box.write(os.path.join(work, "mail"))
    counts = ", ".join("%s %d" % (f, v["messages"]) for f, v in sorted(truth["folders"].items()))
    print("folders: %s" % counts)
    print("as of:   %s (the mailbox's 'now')" % truth["now"])

    with kwtest.Dovecot(maildir=os.path.join(work, "mail", "Maildir"), user="seller",
                        password="demo-password") as dv:
        say("Dovecot on 127.0.0.1:%d (implicit TLS, test CA %s)" % (dv.tls_port, dv.ca_file))
        say("Syncing headers over IMAP (read-only)")
        t0 = time.monotonic()
        rc = run(["sync", "--host", "127.0.0.1", "--port", str(dv.tls_port), "--tls=implicit",
                  "--ca-file", dv.ca_file, "--user", dv.user, "--account", "demo", "--me", ME,
                  "--progress=text"], password=dv.password, db=db)
        print("sync finished with exit code %d in %.2f s" % (rc, time.monotonic() - t0))
        if rc not in (0, 9):
            return rc
        say("Contacts (people you have written to)")
        rc = run(["contacts"], db=db)
        if rc != 0:
            return rc
        if supports("overdue"):
            say("Relationships needing attention as of %s" % truth["now"])
            rc = run(["overdue", "--as-of", truth["now"]], db=db)
            if rc != 0:
                return rc
        else:
            say("(keepwarm overdue is not built yet)")
        if supports("today"):
            day = truth["now"][:10]
            say("Ten minutes a day: the list of %s" % day)
            rc = run(["today", "--as-of", day], db=db)
            if rc != 0:
                return rc
            r = subprocess.run([exe, "--db", db, "today", "--as-of", day, "--format=json"],
                               stdout=subprocess.PIPE, env=kwtest.kw_env(), text=True)
            items = json.loads(r.stdout)["items"] if r.returncode == 0 else []
            if items:
                say("A call with %s, logged: its item ticks, the relationship is in touch" % items[0]["name"])
                rc = run(["log", items[0]["key"], "call", "--date", truth["now"], "--note",
                          "asked about the autumn order"], db=db)
                if rc != 0:
                    return rc
                rc = run(["today", "--as-of", day], db=db)
                if rc != 0:
                    return rc
    if a.keep:
        print("\nkept: %s" % work)
    say("Done: Dovecot stopped, temporary files removed.")
    return 0


def main():
    ap = argparse.ArgumentParser(description="keepwarm demo on a throwaway local mailbox")
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary files")
    a = ap.parse_args()
    if a.keep:
        os.environ["KW_KEEP_TMP"] = "1"
    try:
        return demo(a)
    except KeyboardInterrupt:
        sys.stderr.write("\ndemo: interrupted, cleaning up\n")
        return 130
    except Exception as e:  # a failure of the harness itself
        sys.stderr.write("demo: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
