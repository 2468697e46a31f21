#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS attacks, all refused BEFORE any credential is sent (asserted from the
server side: the fake server's log shows no LOGIN/AUTHENTICATE), reliability
notes A1-A8, A10-A12.

The password travels on a pipe (--password-fd); the fake server logs every
client line."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403
from kwtest import like
import faultlib as fl
import kwtest

TLS = 4


def attempt(certs, work, label, scenario="ok", fake_tls="implicit", kw_tls="implicit", cert="valid",
            ca=True, host="127.0.0.1", tls_max=None, expect=TLS, deadline=30, env=None):
    c, k = certs[cert]
    db = kwtest.new_db()
    with FakeImap(scenario, tls=fake_tls, cert=c, key=k, workdir=work, deadline=deadline,
                  tls_max=tls_max, name="tls-" + label) as srv:
        args = fl.fake_sync_args(srv.port, tls=kw_tls, ca=certs["ca"] if ca else None, host=host)
        r = fl.run(args, db=db, timeout=deadline + 10, env=env)
        srv.wait(5)
        lines = srv.lines()
        client = srv.client_lines()
        login = srv.saw_login()
    is_(r.rc, expect, "%s: exit %d" % (label, expect), r.show(), "\n".join(lines[-20:]))
    if expect != 0:
        ok(not login, "%s: no LOGIN/AUTHENTICATE reached the server" % label, "\n".join(client))
        fl.stderr_is_clean_message(r, label)
    ok(r.seconds < deadline, "%s: within %d s (%.1f s)" % (label, deadline, r.seconds))
    return r, lines, client


def main():
    fl.require_keepwarm()
    certs = kwtest.test_certs()
    work = kwtest.tmpdir("kwtls-")

    # control: a valid chain for 127.0.0.1 and localhost, private CA given -> accepted (A4 second half)
    attempt(certs, work, "valid-implicit", expect=0)
    attempt(certs, work, "valid-starttls", fake_tls="starttls", kw_tls="starttls", expect=0)

    # A1: self-signed certificate (not from the CA we trust)
    attempt(certs, work, "self-signed", cert="self_signed")
    # A2: valid chain, wrong name
    attempt(certs, work, "wrong-name", cert="wrong_name")
    attempt(certs, work, "wrong-name-localhost", cert="wrong_name", host="localhost")
    # A3: expired
    attempt(certs, work, "expired", cert="expired")
    # A4: private CA, system trust only (no --ca-file)
    attempt(certs, work, "private-ca-no-cafile", ca=False)
    # A5: STARTTLS with a bad certificate
    attempt(certs, work, "starttls-wrong-name", fake_tls="starttls", kw_tls="starttls", cert="wrong_name")
    attempt(certs, work, "starttls-self-signed", fake_tls="starttls", kw_tls="starttls", cert="self_signed")
    attempt(certs, work, "starttls-expired", fake_tls="starttls", kw_tls="starttls", cert="expired")
    # A6: STARTTLS response injection (CVE-2020-15953 class)
    attempt(certs, work, "starttls-inject", scenario="starttls-inject", fake_tls="starttls", kw_tls="starttls")
    # A7: STARTTLS refused or stripped: never fall back to plaintext
    for scn in ("starttls-no", "starttls-bad", "starttls-stripped"):
        r, lines, client = attempt(certs, work, scn, scenario=scn, fake_tls="starttls", kw_tls="starttls")
        names = [l.split(None, 2)[1].upper() for l in client if len(l.split(None, 2)) > 1]
        ok(all(n in ("CAPABILITY", "STARTTLS", "LOGOUT", "ID", "NOOP") for n in names),
           "%s: nothing but CAPABILITY/STARTTLS/LOGOUT in plaintext" % scn, repr(names))
        if scn == "starttls-stripped":
            ok("STARTTLS" in names, "starttls-stripped: STARTTLS sent although not advertised "
               "(or refused before)", repr(names))
    # A6 says which: the injected bytes are named in the message
    r, lines, client = attempt(certs, work, "starttls-inject-message", scenario="starttls-inject",
                               fake_tls="starttls", kw_tls="starttls")
    like(r.err, r"injected", "starttls-inject: the message says the data may be injected", r.err)
    # Courier without its certificate: OK to STARTTLS, then "NO STARTTLS failed"
    # in plain text. Say what happened, not "the server may offer only TLS 1.0/1.1".
    r, lines, client = attempt(certs, work, "starttls-ok-then-no", scenario="starttls-ok-then-no",
                               fake_tls="starttls", kw_tls="starttls")
    ok("agreed to STARTTLS" in r.err and "STARTTLS failed" in r.err and "1.0/1.1" not in r.err,
       "starttls-ok-then-no: the message says the server agreed, then failed, and quotes it", r.err)
    # RFC 3501 7.2.1 LOGINDISABLED on a plain connection: the server wants TLS
    # first. Neither LOGIN nor AUTHENTICATE PLAIN (it is advertised) is sent,
    # and the message says how (--tls=starttls), not "check the password".
    r, lines, client = attempt(certs, work, "logindisabled-plain", scenario="logindisabled", fake_tls="plain",
                               kw_tls="none", ca=False)
    ok("--tls=starttls" in r.err and "password" not in r.err.split("\n")[0],
       "logindisabled: the message says the server wants TLS first and how", r.err)
    # ... and once STARTTLS is on, the same server takes the LOGIN
    attempt(certs, work, "logindisabled-starttls", scenario="logindisabled", fake_tls="starttls",
            kw_tls="starttls", expect=0)
    # A8: plaintext-only server while TLS is required
    attempt(certs, work, "implicit-vs-plaintext-server", fake_tls="plain", kw_tls="implicit")
    # --tls=none only to loopback: a non-loopback host is refused without connecting
    db = kwtest.new_db()
    t0 = time.monotonic()
    r = fl.run(fl.fake_sync_args(9, tls="none", host="192.0.2.1", timeout=20), db=db, timeout=40)
    is_(r.rc, TLS, "--tls=none to a non-loopback host: refused with the tls exit code", r.show())
    ok(time.monotonic() - t0 < 5, "--tls=none to a non-loopback host: refused before connecting (%.1f s)"
       % (time.monotonic() - t0))
    # A10: PREAUTH on a plaintext connection when STARTTLS is required
    r, lines, client = attempt(certs, work, "preauth", scenario="preauth", fake_tls="starttls", kw_tls="starttls")
    names = [l.split(None, 2)[1].upper() for l in client if len(l.split(None, 2)) > 1]
    ok(not any(n in ("LIST", "LSUB", "EXAMINE", "SELECT", "STATUS", "FETCH", "UID")
               or n.startswith("UID") for n in names),
       "preauth: no mailbox command in plaintext", repr(names))
    # A11: server capped at TLS 1.0 / 1.1 (python offers them with @SECLEVEL=0)
    import ssl
    # The floor is set inside the process (no re-exec, nothing in the
    # environment beforehand): the server must see the client refuse the
    # version itself, not any other handshake failure.
    if getattr(ssl, "HAS_TLSv1_1", False):
        env_clean = {"GNUTLS_SYSTEM_PRIORITY_FILE": None}
        for label, kw in (("tls1.1-only", dict(tls_max="1.1")), ("tls1.0-only", dict(tls_max="1.0")),
                          ("starttls-tls1.1-only", dict(fake_tls="starttls", kw_tls="starttls", tls_max="1.1"))):
            r, lines, client = attempt(certs, work, label, env=env_clean, **kw)
            ok(any("unsupported protocol" in l.lower() for l in lines),
               "%s: the server saw the client refuse TLS < 1.2" % label, "\n".join(lines[-5:]))
        attempt(certs, work, "tls1.2-max", tls_max="1.2", expect=0, env=env_clean)
    else:
        skip("this python/OpenSSL cannot offer TLS 1.1", 7)
    # A12: SNI carries the configured host name; none for an IP literal
    r, lines, client = attempt(certs, work, "sni-name", host="localhost", expect=0)
    ok("# sni localhost" in lines, "SNI: the server saw 'localhost'", "\n".join(l for l in lines if "sni" in l))
    r, lines, client = attempt(certs, work, "sni-ip", expect=0)
    ok("# sni (none)" in lines or not any("# sni" in l for l in lines),
       "SNI: none sent for an IP literal", "\n".join(l for l in lines if "sni" in l))


kwtest.main(main)
