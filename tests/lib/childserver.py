# SPDX-License-Identifier: GPL-3.0-or-later
"""childserver — a loopback test server run as a child process (the fake IMAP
server, the fault proxy): it prints "PORT n" when listening and logs what it
sees (client lines start with "C: ") to a file. Context manager that always
kills the child."""

import os
import re
import select
import subprocess


class ChildServer:
    what = "server"

    def __init__(self, cmd, log_path):
        self.log_path = log_path
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        r, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if r else b""
        m = re.match(rb"PORT (\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("%s did not start: %r" % (self.what, line))
        self.port = int(m.group(1))

    def lines(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def client_lines(self):
        return [l[3:] for l in self.lines() if l.startswith("C: ")]

    def saw_login(self):
        """True when the client sent LOGIN or AUTHENTICATE (any credential)."""
        for l in self.client_lines():
            parts = l.split(None, 2)
            if len(parts) >= 2 and parts[1].upper() in ("LOGIN", "AUTHENTICATE"):
                return True
        return False

    def saw(self, pattern):
        return any(re.search(pattern, l) for l in self.lines())

    def wait(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
