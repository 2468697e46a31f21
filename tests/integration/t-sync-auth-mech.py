#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication mechanisms: LOGIN by default, AUTHENTICATE PLAIN with
--auth=plain (or auth = plain in the config file), an unknown mechanism is a
usage error, and a wrong password over AUTHENTICATE PLAIN is an auth error.
The commands are seen by a recording proxy (plaintext on loopback)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

MSG = (b"From: Ann <ann@acme.example>\r\nTo: seller@mycompany.example\r\nSubject: hello\r\n"
       b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@acme.example>\r\n\r\nhi\r\n")


def test():
    with Dovecot() as dv:
        dv.append("INBOX", MSG)
        for mech, expect in (("auto", "LOGIN"), ("login", "LOGIN"), ("plain", "AUTHENTICATE")):
            with RecordingProxy(dv.port) as px:
                args = kwtest.sync_args(dv, tls="none", port=px.port, ca=False,
                                        extra=["--auth", mech])
                rc, out, err = kwtest.run_keepwarm(args, password=dv.password)
                is_(rc, 0, "--auth=%s: sync succeeds" % mech, show_run(rc, out, err))
                names = px.command_names()
                ok(expect in names, "--auth=%s sends %s" % (mech, expect), names)
                other = "AUTHENTICATE" if expect == "LOGIN" else "LOGIN"
                ok(other not in names, "--auth=%s does not send %s" % (mech, other), names)
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--auth", "cram"]),
                                           password=dv.password)
        is_(rc, 2, "an unknown mechanism is a usage error", show_run(rc, out, err))
        like(err, r"auto, login or plain", "the error names the choices")
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, extra=["--auth", "plain"]),
                                           password="not-the-password")
        is_(rc, 3, "a wrong password over AUTHENTICATE PLAIN is an auth error", show_run(rc, out, err))


main(test)
