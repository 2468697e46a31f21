#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""fakepg.py — a scripted PostgreSQL server for one connection, to see what a
client sends BEFORE it trusts the server (the keepwarm team tests).

It listens on 127.0.0.1 port 0, prints "PORT <n>", accepts ONE connection and
logs what happens:
    "# ssl request"            the client asked for TLS ('S' is answered)
    "# tls ok" / "# tls failed: ..."   the handshake with the given certificate
    "C: startup user=U database=D"     the client's startup message (after TLS)
    "C: password <n> bytes"            a password message (its text is never logged)
It asks for a cleartext password (the most a hostile server could ask for),
then ends with an error. Lifetime bounded by --deadline.

    from fakepg import FakePg
    with FakePg(cert, key, workdir=d) as srv: ... srv.port; srv.saw_password(); srv.saw_startup()
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from childserver import ChildServer  # noqa: E402

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return buf


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--deadline", type=float, default=30.0)
    ap.add_argument("--log", required=True)
    args = ap.parse_args(argv)
    timer = threading.Timer(args.deadline, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    logf = open(args.log, "a", encoding="utf-8")

    def log(s):
        logf.write(s + "\n")
        logf.flush()

    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    c, _ = ls.accept()
    ls.close()
    c.settimeout(args.deadline)
    try:
        head = recv_exact(c, 8)
        length, code = struct.unpack("!II", head)
        if code == GSS_REQUEST:
            log("# gss request (refused)")
            c.sendall(b"N")
            head = recv_exact(c, 8)
            length, code = struct.unpack("!II", head)
        stream = c
        if code == SSL_REQUEST:
            log("# ssl request")
            c.sendall(b"S")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            try:
                stream = ctx.wrap_socket(c, server_side=True)
                log("# tls ok")
            except (ssl.SSLError, OSError) as e:
                log("# tls failed: %s" % e)
                return 0
            head = recv_exact(stream, 8)
            length, code = struct.unpack("!II", head)
        else:
            log("# plaintext startup")
        body = recv_exact(stream, length - 8)
        parts = body.split(b"\0")
        params = dict(zip(parts[0::2], parts[1::2]))
        log("C: startup user=%s database=%s" % (params.get(b"user", b"").decode(errors="replace"),
                                                params.get(b"database", b"").decode(errors="replace")))
        stream.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        typ = recv_exact(stream, 1)
        length = struct.unpack("!I", recv_exact(stream, 4))[0]
        data = recv_exact(stream, length - 4)
        if typ == b"p":
            pw = data.rstrip(b"\0")
            log("C: password %d bytes" % len(pw))
        else:
            log("C: message %r" % typ)
        msg = b"SFATAL\0C28P01\0Mfake server: no\0\0"
        stream.sendall(b"E" + struct.pack("!I", len(msg) + 4) + msg)
    except (EOFError, OSError, ssl.SSLError) as e:
        log("# connection ended: %s" % e)
    finally:
        try:
            c.close()
        except OSError:
            pass
    return 0


class FakePg(ChildServer):
    what = "fakepg"

    def __init__(self, cert, key, workdir=".", deadline=30, name="fakepg"):
        log_path = os.path.join(workdir, "%s.log" % name)
        cmd = [sys.executable, os.path.abspath(__file__), "--cert", cert, "--key", key,
               "--deadline", str(deadline), "--log", log_path]
        ChildServer.__init__(self, cmd, log_path)

    def saw_startup(self):
        return self.saw(r"^C: startup")

    def saw_password(self):
        return self.saw(r"^C: password")


if __name__ == "__main__":
    sys.exit(main())
