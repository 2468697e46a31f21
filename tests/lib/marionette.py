# SPDX-License-Identifier: GPL-3.0-or-later
"""marionette — a minimal Marionette client (stdlib only) for driving the real
Thunderbird in tests: Firefox's remote protocol, "len:JSON" frames, commands
[0, id, name, params], answers [1, id, error, result].

    m = Marionette(port)              # connect (retries until the browser listens)
    m.session()                       # WebDriver:NewSession
    m.chrome()                        # script context: the privileged chrome
    m.js("return document.title")     # WebDriver:ExecuteScript (a returned Promise is awaited)
    m.close()

Thunderbird must run with --marionette --remote-allow-system-access (chrome
scripts are refused without the second flag) and `marionette.port` set.
"""
import json
import socket
import time


class MarionetteError(Exception):
    pass


class Marionette:
    def __init__(self, port, host="127.0.0.1", timeout=60):
        end = time.monotonic() + timeout
        last = None
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=30)
                break
            except OSError as e:
                last = e
                if time.monotonic() > end:
                    raise MarionetteError("cannot connect to Marionette on %d: %s" % (port, last))
                time.sleep(0.2)
        self.buf = b""
        self.next_id = 0
        self.hello = self._read()

    def _read(self):
        while b":" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("connection closed")
            self.buf += chunk
        head, rest = self.buf.split(b":", 1)
        n = int(head)
        while len(rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("connection closed")
            rest += chunk
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def command(self, name, params=None, timeout=60):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.settimeout(timeout)
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self._read()
            if msg[0] == 1 and msg[1] == self.next_id:
                if msg[2]:
                    raise MarionetteError("%s: %s" % (name, msg[2].get("message", msg[2])))
                return msg[3]

    def session(self):
        return self.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {}}})

    def chrome(self):
        self.command("Marionette:SetContext", {"value": "chrome"})

    def js(self, script, *args, timeout=60):
        """Run a script in the current context; its return value (or resolved Promise)."""
        r = self.command("WebDriver:ExecuteScript", {"script": script, "args": list(args),
                                                       "scriptTimeout": int(timeout * 1000)}, timeout + 5)
        return r.get("value") if isinstance(r, dict) else r

    def close(self):
        try:
            self.command("WebDriver:DeleteSession", timeout=10)
        except (MarionetteError, OSError):
            pass
        self.sock.close()
