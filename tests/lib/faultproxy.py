#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""faultproxy.py — a byte-level loopback TCP proxy that injects faults into
the server->client direction (for keepwarm's fault tests, in front of the
Dovecot fixture).

It listens on 127.0.0.1 port 0, prints "PORT <n>", relays ONE connection to
--upstream HOST:PORT and exits.  Its lifetime is bounded by --deadline (a
timer thread calls os._exit()).  Client->server bytes are always relayed
intact (and logged as "C: <line>" when --log is given and they look like
text, so a test can see whether a LOGIN crossed the proxy).

Faults (server->client bytes; N counts bytes relayed to the client):
    none          relay only
    cut N         FIN to the client after N bytes
    rst N         RST (SO_LINGER 0) to the client after N bytes
    stall N       after N bytes forward nothing more (black hole), keep the
                  connection open until the client gives up or the deadline
    corrupt N     flip one bit (0x20) of byte N
    delay MS      hold every chunk MS milliseconds
    trickle B     at most B bytes every 100 ms

Python use:
    from faultproxy import FaultProxy
    with FaultProxy(upstream_port, "cut", 2000, workdir=d) as p: ... p.port ...
"""
import argparse
import os
import re
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from childserver import ChildServer  # noqa: E402

FAULTS = ("none", "cut", "rst", "stall", "corrupt", "delay", "trickle")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT (loopback)")
    ap.add_argument("--fault", default="none", choices=FAULTS)
    ap.add_argument("--arg", type=int, default=0)
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--log")
    args = ap.parse_args(argv)
    t0 = time.time()
    deadline = t0 + args.deadline
    timer = threading.Timer(args.deadline + 2, lambda: os._exit(3))
    timer.daemon = True
    timer.start()

    host, _, port = args.upstream.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("upstream must be a loopback address")
    logf = open(args.log, "a", encoding="utf-8") if args.log else None

    def log(s):
        if logf:
            logf.write(s + "\n")
            logf.flush()

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    log("# listening on %d fault=%s %d" % (ls.getsockname()[1], args.fault, args.arg))
    ls.settimeout(args.deadline)
    try:
        c, _ = ls.accept()
    except socket.timeout:
        log("# no connection")
        return 0
    ls.close()
    try:
        s = socket.create_connection((host, int(port)), timeout=10)
    except OSError as e:
        log("# upstream connect failed: %s" % e)
        c.close()
        return 1
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    fault, n = args.fault, args.arg
    pending = []          # [(release_time, bytes)] server->client
    relayed = 0           # bytes relayed to the client
    client_open = True    # we still read from the client
    server_open = True    # we still read from the server
    stalled = False
    cbuf = b""
    last_trickle = 0.0

    def finish(rst=False):
        log("# fault %s fired after %d bytes" % (fault, relayed))
        try:
            if rst:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        c.close()
        s.close()

    while time.time() < deadline:
        # flush what may be sent now
        now = time.time()
        while pending and not stalled and pending[0][0] <= now:
            data = pending[0][1]
            if fault == "trickle":
                if now - last_trickle < 0.1:
                    break
                last_trickle = now
                piece, rest = data[:max(1, n)], data[max(1, n):]
            else:
                piece, rest = data, b""
            if fault in ("cut", "rst", "stall") and relayed + len(piece) >= n:
                piece, rest = piece[:n - relayed], b""
                try:
                    c.sendall(piece)
                except OSError:
                    pass
                relayed += len(piece)
                if fault == "stall":
                    stalled = True
                    pending.clear()
                    log("# stalled after %d bytes" % relayed)
                    break
                finish(rst=(fault == "rst"))
                return 0
            if fault == "corrupt" and relayed <= n < relayed + len(piece):
                b = bytearray(piece)
                b[n - relayed] ^= 0x20
                piece = bytes(b)
                log("# corrupted byte %d" % n)
            try:
                c.sendall(piece)
            except OSError:
                log("# client gone")
                return 0
            relayed += len(piece)
            if rest:
                pending[0] = (pending[0][0], rest)
            else:
                pending.pop(0)
        if not pending and not server_open:
            log("# server closed; relayed %d bytes" % relayed)
            try:
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if not client_open:
                break
        rl = []
        if client_open:
            rl.append(c)
        if server_open and not stalled and sum(len(p[1]) for p in pending) < (1 << 20):
            rl.append(s)
        timeout = max(0.005, min(0.1, deadline - time.time()))
        if pending and not stalled:
            due = pending[0][0]
            if fault == "trickle":
                due = max(due, last_trickle + 0.1)
            timeout = max(0.0, min(timeout, due - time.time()))
        if not rl:
            time.sleep(timeout)
            if not client_open and (stalled or not server_open):
                break
            continue
        r, _, _ = select.select(rl, [], [], timeout)
        if c in r:
            try:
                d = c.recv(65536)
            except OSError:
                d = b""
            if not d:
                client_open = False
                log("# client closed")
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                if stalled or not server_open:
                    break
            else:
                cbuf = (cbuf + d)[-65536:]
                while b"\r\n" in cbuf:
                    line, _, cbuf = cbuf.partition(b"\r\n")
                    if re.match(rb"^[\x20-\x7e]*$", line):
                        log("C: " + line.decode("ascii"))
                try:
                    s.sendall(d)
                except OSError:
                    pass
        if s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                server_open = False
            else:
                delay = n / 1000.0 if fault == "delay" else 0.0
                pending.append((time.time() + delay, d))
    log("# exit after %.1f s, relayed %d bytes" % (time.time() - t0, relayed))
    for x in (c, s):
        try:
            x.close()
        except OSError:
            pass
    return 0


class FaultProxy(ChildServer):
    """Run faultproxy.py as a child process in front of 127.0.0.1:upstream_port."""
    what = "faultproxy"

    def __init__(self, upstream_port, fault="none", arg=0, workdir=".", deadline=60, name=None):
        log_path = os.path.join(workdir, "%s.log" % (name or "faultproxy-%s-%d" % (fault, arg)))
        cmd = [sys.executable, os.path.abspath(__file__), "--upstream",
               "127.0.0.1:%d" % upstream_port, "--fault", fault, "--arg", str(arg),
               "--deadline", str(deadline), "--log", log_path]
        ChildServer.__init__(self, cmd, log_path)

    def fired(self):
        return any(l.startswith(("# fault", "# stalled", "# corrupted")) for l in self.lines())


if __name__ == "__main__":
    sys.exit(main())
