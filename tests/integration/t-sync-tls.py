#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS: the test CA's certificate is accepted (implicit TLS and STARTTLS); a wrong
host name, an untrusted (self-signed) certificate, an expired certificate and a
private CA without --ca-file are rejected with the TLS exit code (4) before any
LOGIN reaches the server; --tls=none to a non-loopback address is refused (4)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

TLS = EXIT["tls"]


def logins_settled(dv, before, want_more, timeout=3.0):
    """Dovecot's log process writes asynchronously: wait for the expected count."""
    end = time.monotonic() + timeout
    n = dv.login_count()
    while time.monotonic() < end:
        n = dv.login_count()
        if (want_more and n > before) or (not want_more and n != before):
            break
        time.sleep(0.05)
    return n


def attempt(dv, mode, label, expect, ca=True, host=None):
    before = dv.login_count()
    db = kwtest.new_db()
    rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, tls=mode, ca=ca, host=host), password=dv.password,
                                       db=db, timeout=30)
    if expect == 0:
        is_(rc, 0, "%s: accepted (exit 0)" % label, show_run(rc, out, err))
        after = logins_settled(dv, before, True)
        ok(after > before, "%s: the login reached the server" % label)
    else:
        is_(rc, expect, "%s: rejected with exit %d" % (label, expect), show_run(rc, out, err))
        ok(err.strip() != "" and len(err.strip().splitlines()) <= 3,
           "%s: a short message on stderr" % label, err)
        note("%s: %s" % (label, err.strip().splitlines()[0] if err.strip() else "(no message)"))
        time.sleep(0.25)  # let Dovecot's log process catch up
        after = dv.login_count()
        is_(after, before, "%s: no LOGIN reached the server" % label, dv.log_tail(lines=8))
        ok(dv.password not in out + err, "%s: the password is not echoed" % label)


def test():
    maildir, truth, box = generated_mailbox(messages=60, seed=8)
    with Dovecot(maildir=maildir, cert="valid") as dv:
        attempt(dv, "implicit", "valid cert, implicit TLS", 0)
        attempt(dv, "starttls", "valid cert, STARTTLS", 0)
        attempt(dv, "implicit", "private CA without --ca-file", TLS, ca=False)
        attempt(dv, "starttls", "private CA without --ca-file, STARTTLS", TLS, ca=False)
        for cert, what in (("wrong_name", "wrong host name"), ("self_signed", "self-signed"),
                           ("expired", "expired")):
            dv.restart(cert=cert)
            attempt(dv, "implicit", "%s cert, implicit TLS" % what, TLS)
            attempt(dv, "starttls", "%s cert, STARTTLS" % what, TLS)
        # The wrong-name certificate is valid for wrong.example: connecting by that
        # name would work, so the rejection above is about the name, not the chain.
        dv.restart(cert="valid")
        attempt(dv, "implicit", "valid cert again after restarts", 0)

        # Plaintext only to loopback.
        t0 = time.monotonic()
        rc, out, err = kwtest.run_keepwarm(
            ["sync", "--host", "192.0.2.1", "--port", "143", "--tls=none", "--user", "u",
             "--account", "far", "--me", "seller@mycompany.example"], password="pw", timeout=30)
        is_(rc, TLS, "--tls=none to a non-loopback address is refused with exit %d" % TLS, show_run(rc, out, err))
        ok(time.monotonic() - t0 < 10, "refused without waiting for the network")
        rc, out, err = kwtest.run_keepwarm(
            ["sync", "--host", "example.com", "--port", "143", "--tls=none", "--user", "u",
             "--account", "far2", "--me", "seller@mycompany.example"], password="pw", timeout=30)
        is_(rc, TLS, "--tls=none to a host name that is not loopback is refused", show_run(rc, out, err))
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, tls="none", ca=False), password=dv.password)
        is_(rc, 0, "--tls=none to 127.0.0.1 is allowed", show_run(rc, out, err))


main(test)
