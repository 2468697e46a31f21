# SPDX-License-Identifier: GPL-3.0-or-later
"""smtpsink — an SMTP server on 127.0.0.1 that accepts every message and keeps
it (for the mail-client tests: what Thunderbird sent). No TLS, no AUTH: the
client is configured for a plain loopback relay.

    with SmtpSink() as s:       # s.port
        ...
        s.wait(lambda msgs: len(msgs) >= 1, timeout=30)
        s.messages -> [{"from": addr, "to": [addrs], "data": bytes}]
"""
import socket
import threading
import time

from kwtest import add_cleanup, remove_cleanup


class SmtpSink:
    def __init__(self, max_bytes=10 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.messages = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        self._c = add_cleanup(self.stop)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass
        remove_cleanup(self._c)

    def wait(self, pred, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if pred(list(self.messages)):
                    return True
            time.sleep(0.1)
        return False

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        conn.settimeout(60)

        def say(line):
            conn.sendall(line.encode() + b"\r\n")
        try:
            say("220 localhost keepwarm test sink")
            mail_from, rcpt = None, []
            while True:
                line = f.readline(4096)
                if not line:
                    return
                cmd = line.decode(errors="replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    say("250-localhost")
                    say("250-SIZE %d" % self.max_bytes)
                    say("250 8BITMIME")
                elif verb == "HELO":
                    say("250 localhost")
                elif verb == "MAIL":
                    mail_from, rcpt = cmd.split(":", 1)[1].split()[0].strip("<>"), []
                    say("250 OK")
                elif verb == "RCPT":
                    rcpt.append(cmd.split(":", 1)[1].split()[0].strip("<>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while True:
                        l = f.readline(65536)
                        if not l or l in (b".\r\n", b".\n"):
                            break
                        data += l[1:] if l.startswith(b"..") else l
                        if len(data) > self.max_bytes:
                            say("552 too big")
                            return
                    with self.lock:
                        self.messages.append({"from": mail_from, "to": rcpt, "data": data})
                    say("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 Bye")
                    return
                else:
                    say("502 not implemented")
        except OSError:
            pass
        finally:
            f.close()
            conn.close()
