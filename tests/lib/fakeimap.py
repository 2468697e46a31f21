#!/usr/bin/env python3
"""fakeimap.py — a scripted fake IMAP server for keepwarm's fault tests.

One process serves ONE connection on 127.0.0.1 and exits.  It never outlives
its hard deadline (--deadline, default 60 s): a timer thread calls os._exit().

Modes: plain, implicit TLS, STARTTLS (with --cert/--key).  Every line the
client sends is appended to --log as "C: <line>" (flushed at once, so a test
can read it while the server is still running); server-side events are logged
as "# <event>".  A test asserts "no credential was sent" with saw_login().

It speaks enough IMAP4rev1 for a keepwarm sync: greeting, CAPABILITY, ID,
ENABLE, NAMESPACE, NOOP, LOGIN, AUTHENTICATE PLAIN, LIST (with or without
SPECIAL-USE), LSUB, EXAMINE/SELECT, STATUS, UID FETCH / FETCH / UID SEARCH
over a deterministic generated mailbox, CLOSE/UNSELECT, LOGOUT.

Scenarios (--scenario NAME) inject one fault each; see SCENARIOS below.
Fetch faults fire when the server is about to send the header block of the
(--fault-after + 1)-th message of the connection, so with --fault-after 3 the
first three messages are delivered intact.

Command line:
    fakeimap.py --scenario drop-in-literal --tls implicit --cert c.pem \
        --key k.pem --log server.log [--port-file F] [--deadline 60] \
        [--folders INBOX:5,Sent:3 | --mailbox-json F] [--fault-after 3]
        [--tls-max 1.1] [--uidvalidity N] [--stream-seconds S]
It prints "PORT <n>" on stdout once it listens.

Python use (tests):
    from fakeimap import FakeImap
    with FakeImap("stall", tls="implicit", cert=..., key=..., workdir=d) as srv:
        ... srv.port ... srv.saw_login() ... srv.client_lines()
"""
import argparse
import email.utils
import os
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from childserver import ChildServer  # noqa: E402

# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
# Each scenario is a dict of overrides of DEFAULT.
DEFAULT = dict(
    greeting="ok",        # ok | bad | bye | preauth | stall
    starttls="ok",        # ok | no | bad | inject | stripped (not advertised, BAD) | okno
    login="ok",           # ok | authfail | o365 (OK, then BAD on everything)
    list="special",       # special | plain (no SPECIAL-USE) | empty
    uidvalidity=True,
    uidnext=True,
    uids="normal",        # normal | high | max
    fetch=None,           # fetch fault, see below
    trickle=False,        # all output in 50-byte pieces every 100 ms
)

SCENARIOS = {
    "ok": {},
    "ok-nospecialuse": dict(list="plain"),
    # B1/B2: connection closed (FIN) in the middle of a header literal
    "drop-in-literal": dict(fetch="drop-literal"),
    # B3: FIN in the middle of a response line
    "drop-mid-line": dict(fetch="drop-line"),
    # B4: RST (SO_LINGER 0)
    "rst": dict(fetch="rst"),
    # B6: server stops answering mid-FETCH, connection kept open
    "stall": dict(fetch="stall"),
    "stall-greeting": dict(greeting="stall"),
    # secrets: the sync is alive, logged in, waiting on a FETCH that never comes
    "stall-after-login": dict(fetch="stall-at-once"),
    # B5
    "bye-mid-fetch": dict(fetch="bye"),
    # B9: every byte arrives slowly, but the session completes
    "trickle": dict(trickle=True),
    # B10: {4000000000} then streamed data
    "huge-literal": dict(fetch="huge-literal"),
    # B11: {4294967296} wraps to an empty literal in libetpan 1.9.4
    "literal-overflow": dict(fetch="literal-overflow"),
    # B12: a response line that never ends (up to 300 MB, capped by time)
    "crlf-less-line": dict(fetch="crlf-less"),
    # B14: BODY[HEADER.FIELDS ...] missing for one UID
    "partial-fetch": dict(fetch="partial"),
    # B13: unrequested UID, FETCH without UID, duplicate FETCH
    "unsolicited-fetch": dict(fetch="unsolicited"),
    # B15: EXISTS / ALERT / FLAGS / RECENT interleaved with FETCH
    "unsolicited-misc": dict(fetch="misc"),
    # B16: NIL header block / NIL INTERNALDATE-less response
    "nil-fields": dict(fetch="nil"),
    # B19
    "bad-greeting": dict(greeting="bad"),
    "bye-greeting": dict(greeting="bye"),
    # A10
    "preauth": dict(greeting="preauth"),
    # A7
    "starttls-no": dict(starttls="no"),
    "starttls-bad": dict(starttls="bad"),
    "starttls-stripped": dict(starttls="stripped"),
    # A6
    "starttls-inject": dict(starttls="inject"),
    # Courier without its `courier` user: "OK Begin SSL/TLS", then "NO STARTTLS failed"
    "starttls-ok-then-no": dict(starttls="okno"),
    # C2/C3/C4
    "no-uidvalidity": dict(uidvalidity=False),
    "no-uidnext": dict(uidnext=False),
    "high-uids": dict(uids="high"),
    "max-uid": dict(uids="max", uidnext=False),
    # B20
    "throttle-limit": dict(fetch="throttle-limit"),
    "throttle-unavailable": dict(fetch="throttle-unavailable"),
    # A16, A17
    "auth-failed": dict(login="authfail"),
    "o365-not-connected": dict(login="o365"),
    # C8
    "empty-list": dict(list="empty"),
}

FETCH_FAULTS_THAT_END = {"drop-literal", "drop-line", "rst", "stall", "stall-at-once",
                         "bye", "huge-literal", "crlf-less"}

IN_LOOP_FAULTS = FETCH_FAULTS_THAT_END - {"stall-at-once"} | {
    "literal-overflow", "partial", "nil", "unsolicited"}

BASE_DATE = 1700000000  # 2023-11-14


# ---------------------------------------------------------------------------
# The generated mailbox
# ---------------------------------------------------------------------------
class Message:
    __slots__ = ("uid", "internaldate", "header")

    def __init__(self, uid, internaldate, header):
        self.uid = uid
        self.internaldate = internaldate
        self.header = header


def make_header(folder, uid, i):
    """A deterministic header block for message i (0-based) of folder."""
    t = BASE_DATE + i * 3600 + (0 if folder == "INBOX" else 600)
    date = email.utils.formatdate(t, localtime=False)
    if folder.lower().startswith("sent"):
        frm = "Me Example <me@example.org>"
        to = "Bob %d <bob%d@client%d.example>" % (i, i % 4, i % 3)
    else:
        frm = "Alice %d <alice%d@acme%d.example>" % (i, i % 5, i % 3)
        to = "Me Example <me@example.org>"
    hdr = ("From: %s\r\nTo: %s\r\nDate: %s\r\nMessage-ID: <%s.%d@fake.example>\r\n"
           "Subject: message %d in %s\r\n\r\n" % (frm, to, date, folder.replace("/", "."),
                                                 uid, uid, folder))
    return hdr.encode()


def build_mailbox(spec, uids_mode):
    """spec: 'INBOX:5,Sent:3' -> {name: [Message]} (insertion ordered)."""
    box = {}
    for part in spec.split(","):
        if not part:
            continue
        name, _, n = part.rpartition(":")
        n = int(n)
        if uids_mode == "high":
            base = [4294967000, 4294967290, 4294967292, 4294967294]
            uids = base[:max(1, min(n, 4))]
        elif uids_mode == "max":
            uids = [4294967293, 4294967294, 4294967295][:max(1, min(n, 3))]
        else:
            uids = list(range(1, n + 1))
        msgs = []
        for i, uid in enumerate(uids):
            msgs.append(Message(uid, BASE_DATE + i * 3600 + 60, make_header(name, uid, i)))
        box[name] = msgs
    return box


def load_mailbox(path):
    """A mailbox from JSON: {"INBOX": [{"uid": 1, "internaldate": 1700000000,
    "header": "From: ...\r\n\r\n" (latin-1 string: bytes 0-255)}], ...}.
    A folder may instead be an object {"messages": [...], "flags": ["\\All"],
    "uidvalidity": N, "noselect": true} (wire names: modified UTF-7). Returns
    (box, meta): meta[name] = {"flags": [...] or None, "uidvalidity": N or None,
    "noselect": bool}."""
    import json
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    box, meta = {}, {}
    for name, val in data.items():
        msgs = val.get("messages", []) if isinstance(val, dict) else val
        info = val if isinstance(val, dict) else {}
        meta[name] = {"flags": info.get("flags"), "uidvalidity": info.get("uidvalidity"),
                      "noselect": bool(info.get("noselect"))}
        box[name] = [Message(int(m["uid"]), int(m.get("internaldate", BASE_DATE)),
                             m["header"].encode("latin-1")) for m in msgs]
        box[name].sort(key=lambda m: m.uid)
    return box, meta


SPECIAL = {"sent": "\\Sent", "trash": "\\Trash", "junk": "\\Junk", "drafts": "\\Drafts",
           "archive": "\\Archive"}


def imap_date(t):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(t))


# ---------------------------------------------------------------------------
# A small tokenizer for command arguments
# ---------------------------------------------------------------------------
def tokenize(data):
    """Tokens of an IMAP command (bytes, literals already inlined as
    {n}\\r\\n<n bytes>).  Returns a list of bytes / nested lists."""
    pos = 0
    out = []
    stack = [out]
    n = len(data)
    while pos < n:
        c = data[pos:pos + 1]
        if c == b" ":
            pos += 1
        elif c == b"(":
            lst = []
            stack[-1].append(lst)
            stack.append(lst)
            pos += 1
        elif c == b")":
            if len(stack) > 1:
                stack.pop()
            pos += 1
        elif c == b'"':
            pos += 1
            buf = bytearray()
            while pos < n and data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\" and pos + 1 < n:
                    pos += 1
                buf += data[pos:pos + 1]
                pos += 1
            pos += 1
            stack[-1].append(bytes(buf))
        elif c == b"{":
            m = re.match(rb"\{(\d+)\+?\}\r\n", data[pos:])
            if not m:
                stack[-1].append(data[pos:])
                break
            ln = int(m.group(1))
            pos += m.end()
            stack[-1].append(data[pos:pos + ln])
            pos += ln
        else:
            start = pos
            depth = 0
            while pos < n:
                ch = data[pos:pos + 1]
                if ch == b"[":
                    depth += 1
                elif ch == b"]":
                    depth -= 1
                elif depth <= 0 and ch in (b" ", b"(", b")"):
                    break
                pos += 1
            stack[-1].append(data[start:pos])
    return out


def parse_set(text, maxval):
    """IMAP sequence set -> list of (lo, hi) inclusive ranges; raises
    ValueError for syntax errors or numbers beyond 2^32-1."""
    ranges = []
    for part in text.split(","):
        if not part:
            raise ValueError("empty set element")
        ends = part.split(":")
        if len(ends) > 2:
            raise ValueError("bad range")
        vals = []
        for e in ends:
            if e == "*":
                vals.append(maxval)
            else:
                if not e.isdigit():
                    raise ValueError("bad number %r" % e)
                v = int(e)
                if v == 0 or v > 4294967295:
                    raise ValueError("number out of range %r" % e)
                vals.append(v)
        lo, hi = min(vals), max(vals)
        ranges.append((lo, hi))
    return ranges


def in_set(v, ranges):
    return any(lo <= v <= hi for lo, hi in ranges)


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
class Closed(Exception):
    pass


class Session:
    def __init__(self, args, conn, logf):
        self.args = args
        self.sc = dict(DEFAULT)
        self.sc.update(SCENARIOS[args.scenario])
        self.conn = conn          # raw or TLS socket
        self.raw = conn
        self.logf = logf
        self.buf = b""
        self.tls_active = False
        self.authed = False
        self.selected = None
        self.delivered = 0        # header blocks sent so far
        self.faulted = False
        self.meta = {}
        if args.mailbox_json:
            self.box, self.meta = load_mailbox(args.mailbox_json)
        else:
            self.box = build_mailbox(args.folders, self.sc["uids"])
        self.uidvalidity = args.uidvalidity
        self.deadline = args.t0 + args.deadline

    # -- logging / io --------------------------------------------------
    def log(self, s):
        self.logf.write(s + "\n")
        self.logf.flush()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            if self.sc["trickle"]:
                for i in range(0, len(data), 50):
                    self.conn.sendall(data[i:i + 50])
                    time.sleep(0.1)
            else:
                self.conn.sendall(data)
        except (OSError, ssl.SSLError) as e:
            raise Closed("send: %s" % e)

    def recv_some(self):
        remaining = self.deadline - time.time()
        if remaining <= 0:
            raise Closed("deadline")
        self.conn.settimeout(remaining)
        try:
            d = self.conn.recv(65536)
        except (socket.timeout, OSError, ssl.SSLError) as e:
            raise Closed("recv: %s" % e)
        if not d:
            raise Closed("client closed")
        return d

    def read_line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise Closed("client line too long")
            self.buf += self.recv_some()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self.buf += self.recv_some()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def read_command(self):
        """One full command, client literals inlined."""
        full = b""
        while True:
            line = self.read_line()
            full += line
            m = re.search(rb"\{(\d+)(\+?)\}$", line)
            if not m:
                break
            n = int(m.group(1))
            if n > 1 << 20:
                raise Closed("client literal too large")
            if not m.group(2):
                self.send(b"+ Ready for literal\r\n")
            full += b"\r\n" + self.read_exact(n)
        self.log("C: " + full.decode("latin-1").replace("\r\n", "\\r\\n"))
        return full

    # -- TLS -------------------------------------------------------------
    def start_tls(self):
        ctx = server_context(self.args)

        def sni(sock, name, _ctx):
            self.log("# sni %s" % (name if name is not None else "(none)"))
        ctx.sni_callback = sni
        self.conn.settimeout(max(1, self.deadline - time.time()))
        try:
            self.conn = ctx.wrap_socket(self.conn, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.log("# tls handshake failed: %s" % e)
            raise Closed("tls handshake failed")
        self.tls_active = True
        self.log("# tls established %s" % self.conn.version())

    # -- faults ------------------------------------------------------------
    def hard_close(self, rst=False):
        try:
            if rst:
                self.raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.raw.close()
        except OSError:
            pass
        raise Closed("fault: connection closed by the server")

    def stall_forever(self):
        self.log("# stalling")
        # Keep the connection open, answer nothing; drain what the client
        # sends, until it gives up or the deadline passes.
        while time.time() < self.deadline:
            try:
                r, _, _ = select.select([self.conn], [], [], min(1.0, max(0.01, self.deadline - time.time())))
                if r and not self.conn.recv(65536):
                    break
            except (OSError, ssl.SSLError, ValueError):
                break
        raise Closed("stall ended")

    def stream(self, head, byte, limit):
        """Send head, then `byte` repeated up to limit bytes, capped by
        --stream-seconds; never builds the stream in memory."""
        self.send(head)
        chunk = byte * 65536
        sent = 0
        stop = min(self.deadline, time.time() + self.args.stream_seconds)
        self.conn.settimeout(5)
        while sent < limit and time.time() < stop:
            n = min(len(chunk), limit - sent)
            try:
                self.conn.sendall(chunk[:n])
            except (OSError, ssl.SSLError):
                self.log("# stream: client went away after %d bytes" % sent)
                raise Closed("client closed during stream")
            sent += n
        self.log("# stream: sent %d bytes, stopping" % sent)
        self.hard_close()

    # -- commands ------------------------------------------------------------
    def caps(self):
        c = ["IMAP4rev1", "LITERAL+", "ID", "ENABLE", "NAMESPACE", "UIDPLUS"]
        if self.sc["list"] != "plain":
            c.append("SPECIAL-USE")
        if self.args.tls == "starttls" and not self.tls_active and self.sc["starttls"] != "stripped":
            c.append("STARTTLS")
        c.append("AUTH=PLAIN")
        return " ".join(c)

    def greeting(self):
        g = self.sc["greeting"]
        if g == "stall":
            self.stall_forever()
        elif g == "bad":
            self.send(b"HELLO this is not IMAP at all\r\n")
            time.sleep(0.5)
            self.hard_close()
        elif g == "bye":
            self.send(b"* BYE [UNAVAILABLE] Too many connections, try later\r\n")
            time.sleep(0.2)
            self.hard_close()
        elif g == "preauth":
            self.authed = True
            self.send(b"* PREAUTH [CAPABILITY %s] Logged in as me\r\n" % self.caps().encode())
        else:
            self.send(b"* OK fakeimap ready\r\n")

    def run(self):
        if self.args.tls == "implicit":
            self.start_tls()
        self.greeting()
        while True:
            cmd = self.read_command()
            toks = tokenize(cmd)
            if len(toks) < 2 or not isinstance(toks[0], bytes) or not isinstance(toks[1], bytes):
                self.send(b"* BAD invalid command\r\n")
                continue
            tag = toks[0].decode("latin-1")
            name = toks[1].decode("latin-1").upper()
            rest = toks[2:]
            if name == "UID" and rest and isinstance(rest[0], bytes):
                name = "UID " + rest[0].decode("latin-1").upper()
                rest = rest[1:]
            h = getattr(self, "cmd_" + name.replace(" ", "_"), None)
            if self.authed and self.sc["login"] == "o365" and name not in (
                    "LOGOUT", "CAPABILITY", "NOOP", "LOGIN", "AUTHENTICATE"):
                self.send("%s BAD User is authenticated but not connected.\r\n" % tag)
                continue
            if h is None:
                self.send("%s BAD unknown command %s\r\n" % (tag, name))
                continue
            h(tag, rest, cmd)

    def cmd_CAPABILITY(self, tag, rest, raw):
        self.send("* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n" % (self.caps(), tag))

    def cmd_NOOP(self, tag, rest, raw):
        self.send("%s OK NOOP completed\r\n" % tag)

    cmd_CHECK = cmd_NOOP

    def cmd_ID(self, tag, rest, raw):
        self.send('* ID ("name" "fakeimap")\r\n%s OK ID completed\r\n' % tag)

    def cmd_ENABLE(self, tag, rest, raw):
        self.send("* ENABLED\r\n%s OK ENABLE completed\r\n" % tag)

    def cmd_NAMESPACE(self, tag, rest, raw):
        self.send('* NAMESPACE (("" "/")) NIL NIL\r\n%s OK NAMESPACE completed\r\n' % tag)

    def cmd_LOGOUT(self, tag, rest, raw):
        self.send("* BYE logging out\r\n%s OK LOGOUT completed\r\n" % tag)
        raise Closed("logout")

    def cmd_STARTTLS(self, tag, rest, raw):
        mode = self.sc["starttls"]
        if self.args.tls != "starttls" or self.tls_active or self.sc["greeting"] == "preauth":
            self.send("%s BAD STARTTLS not available\r\n" % tag)
            return
        if mode == "no":
            self.send("%s NO STARTTLS refused\r\n" % tag)
            return
        if mode in ("bad", "stripped"):
            self.send("%s BAD unknown command STARTTLS\r\n" % tag)
            return
        if mode == "okno":
            # Courier-IMAP when it cannot start couriertls: OK; the client's
            # TLS ClientHello then gets a NO in clear (as seen on the wire)
            self.send("%s OK Begin SSL/TLS negotiation now.\r\n" % tag)
            hello = self.recv_some()
            self.log("# %d bytes of TLS handshake answered in clear" % len(hello))
            self.send("%s NO STARTTLS failed: 500 Error starting couriertls.\r\n"
                      "* NO Error in IMAP command received by server.\r\n" % tag)
            raise Closed("starttls failed")
        if mode == "inject":
            self.send("%s OK Begin TLS negotiation now\r\n* OK injected\r\n" % tag)
        else:
            self.send("%s OK Begin TLS negotiation now\r\n" % tag)
        self.buf = b""
        self.start_tls()

    def login_ok(self, tag):
        if self.sc["login"] == "authfail":
            self.send("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
            return
        self.authed = True
        self.send("%s OK [CAPABILITY %s] Logged in\r\n" % (tag, self.caps()))

    def cmd_LOGIN(self, tag, rest, raw):
        self.log("# LOGIN received (tls=%s)" % self.tls_active)
        self.login_ok(tag)

    def cmd_AUTHENTICATE(self, tag, rest, raw):
        self.log("# AUTHENTICATE received (tls=%s)" % self.tls_active)
        mech = rest[0].decode("latin-1").upper() if rest and isinstance(rest[0], bytes) else ""
        if mech != "PLAIN":
            self.send("%s NO unsupported mechanism\r\n" % tag)
            return
        if len(rest) < 2:
            self.send(b"+ \r\n")
            self.read_command()
        self.login_ok(tag)

    def need_auth(self, tag):
        if not self.authed:
            self.send("%s NO not authenticated\r\n" % tag)
            return False
        return True

    def cmd_LIST(self, tag, rest, raw):
        if not self.need_auth(tag):
            return
        pattern = rest[-1] if rest and isinstance(rest[-1], bytes) else b"*"
        out = []
        if pattern == b"":
            out.append('* LIST (\\Noselect) "/" ""\r\n')
        elif self.sc["list"] != "empty":
            for name in self.box:
                meta = self.meta.get(name, {})
                flags = ["\\HasNoChildren"]
                if meta.get("noselect"):
                    flags = ["\\Noselect", "\\HasChildren"]
                if meta.get("flags") is not None:
                    flags += meta["flags"]          # as the mailbox file says
                else:
                    sp = SPECIAL.get(name.lower())
                    if sp and self.sc["list"] == "special":
                        flags.append(sp)
                out.append('* LIST (%s) "/" "%s"\r\n' % (" ".join(flags), name))
        self.send("".join(out) + "%s OK LIST completed\r\n" % tag)

    cmd_LSUB = cmd_LIST

    def folder_arg(self, rest):
        if not rest or not isinstance(rest[0], bytes):
            return None
        name = rest[0].decode("utf-8", "replace")
        if name.upper() == "INBOX":
            name = "INBOX"
        if self.meta.get(name, {}).get("noselect"):
            return None
        return name if name in self.box else None

    def folder_uidvalidity(self, name):
        return self.meta.get(name, {}).get("uidvalidity") or self.uidvalidity

    def cmd_EXAMINE(self, tag, rest, raw):
        if not self.need_auth(tag):
            return
        name = self.folder_arg(rest)
        if name is None:
            self.send("%s NO [NONEXISTENT] Mailbox doesn't exist\r\n" % tag)
            return
        self.selected = name
        msgs = self.box[name]
        out = ["* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
               "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n",
               "* %d EXISTS\r\n" % len(msgs), "* 0 RECENT\r\n"]
        if self.sc["uidvalidity"]:
            out.append("* OK [UIDVALIDITY %d] UIDs valid\r\n" % self.folder_uidvalidity(name))
        if self.sc["uidnext"]:
            nxt = (msgs[-1].uid + 1) if msgs else 1
            out.append("* OK [UIDNEXT %d] Predicted next UID\r\n" % nxt)
        out.append("%s OK [READ-ONLY] EXAMINE completed\r\n" % tag)
        self.send("".join(out))

    cmd_SELECT = cmd_EXAMINE

    def cmd_CLOSE(self, tag, rest, raw):
        self.selected = None
        self.send("%s OK CLOSE completed\r\n" % tag)

    cmd_UNSELECT = cmd_CLOSE

    def cmd_STATUS(self, tag, rest, raw):
        if not self.need_auth(tag):
            return
        name = self.folder_arg(rest)
        if name is None:
            self.send("%s NO [NONEXISTENT] Mailbox doesn't exist\r\n" % tag)
            return
        msgs = self.box[name]
        items = rest[1] if len(rest) > 1 and isinstance(rest[1], list) else []
        vals = []
        for it in items:
            it = it.decode("latin-1").upper() if isinstance(it, bytes) else ""
            if it == "MESSAGES":
                vals.append("MESSAGES %d" % len(msgs))
            elif it == "UIDNEXT" and self.sc["uidnext"]:
                vals.append("UIDNEXT %d" % ((msgs[-1].uid + 1) if msgs else 1))
            elif it == "UIDVALIDITY" and self.sc["uidvalidity"]:
                vals.append("UIDVALIDITY %d" % self.folder_uidvalidity(name))
            elif it in ("UNSEEN", "RECENT"):
                vals.append("%s 0" % it)
        self.send('* STATUS "%s" (%s)\r\n%s OK STATUS completed\r\n' % (name, " ".join(vals), tag))

    # -- FETCH -------------------------------------------------------------
    def cmd_UID_SEARCH(self, tag, rest, raw):
        if self.selected is None:
            self.send("%s BAD no mailbox selected\r\n" % tag)
            return
        msgs = self.box[self.selected]
        ranges = None
        for i, t in enumerate(rest):
            if isinstance(t, bytes) and t.upper() == b"UID" and i + 1 < len(rest):
                try:
                    ranges = parse_set(rest[i + 1].decode(), msgs[-1].uid if msgs else 0)
                except ValueError as e:
                    self.send("%s BAD %s\r\n" % (tag, e))
                    return
        uids = [m.uid for m in msgs if ranges is None or in_set(m.uid, ranges)]
        self.send("* SEARCH%s\r\n%s OK SEARCH completed\r\n" % (
            "".join(" %d" % u for u in uids), tag))

    def cmd_UID_FETCH(self, tag, rest, raw):
        self.do_fetch(tag, rest, raw, by_uid=True)

    def cmd_FETCH(self, tag, rest, raw):
        self.do_fetch(tag, rest, raw, by_uid=False)

    def fetch_item(self, seq, m, want, section):
        """The bytes of one FETCH response for message m."""
        parts = []
        if want.get("UID"):
            parts.append(b"UID %d" % m.uid)
        if want.get("FLAGS"):
            parts.append(b"FLAGS (\\Seen)")
        if want.get("INTERNALDATE"):
            parts.append(b'INTERNALDATE "%s"' % imap_date(m.internaldate).encode())
        if want.get("RFC822.SIZE"):
            parts.append(b"RFC822.SIZE %d" % (len(m.header) + 100))
        if section is not None:
            parts.append(b"BODY[%s] {%d}\r\n%s" % (section, len(m.header), m.header))
        return b"* %d FETCH (%s)\r\n" % (seq, b" ".join(parts))

    def do_fetch(self, tag, rest, raw, by_uid):
        if self.selected is None:
            self.send("%s BAD no mailbox selected\r\n" % tag)
            return
        msgs = self.box[self.selected]
        if not rest or not isinstance(rest[0], bytes):
            self.send("%s BAD missing set\r\n" % tag)
            return
        maxval = (msgs[-1].uid if msgs else 0) if by_uid else len(msgs)
        try:
            ranges = parse_set(rest[0].decode("latin-1"), maxval)
        except ValueError as e:
            self.log("# bad set %r: %s" % (rest[0], e))
            self.send("%s BAD Error in IMAP command FETCH: Invalid %s set\r\n" % (
                tag, "uid" if by_uid else "sequence"))
            return
        text = raw.decode("latin-1").upper()
        want = {k: (k in text) for k in ("FLAGS", "INTERNALDATE", "RFC822.SIZE")}
        want["UID"] = by_uid or ("UID" in text.split(None, 2)[-1])
        msec = re.search(r"BODY(?:\.PEEK)?\[([^\]]*)\]", raw.decode("latin-1"), re.I)
        section = msec.group(1).encode("latin-1") if msec else None
        fault = self.sc["fetch"]
        sel = [(i + 1, m) for i, m in enumerate(msgs)
               if in_set(m.uid if by_uid else i + 1, ranges)]

        if fault in ("throttle-limit", "throttle-unavailable") and section is not None \
                and self.delivered >= self.args.fault_after and not self.faulted:
            self.faulted = True
            code = "LIMIT" if fault == "throttle-limit" else "UNAVAILABLE"
            self.log("# fault %s" % fault)
            self.send("%s NO [%s] Too many requests, slow down\r\n" % (tag, code))
            return
        if fault == "stall-at-once" and section is not None:
            self.stall_forever()

        out = []
        for idx, (seq, m) in enumerate(sel):
            if section is not None and fault in IN_LOOP_FAULTS and not self.faulted \
                    and self.delivered >= self.args.fault_after:
                if self.inject_fault(fault, tag, seq, m, want, section, out):
                    continue
            out.append(self.fetch_item(seq, m, want, section))
            if section is not None:
                self.delivered += 1
            if fault == "misc" and not self.faulted and idx == 0:
                self.faulted = True
                out.append(b"* OK [ALERT] fakeimap: scheduled maintenance tonight\r\n"
                           b"* %d EXISTS\r\n* 0 RECENT\r\n"
                           b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"
                           % len(msgs))
            if sum(len(x) for x in out) > 65536:
                self.send(b"".join(out))
                out = []
        out.append(("%s OK FETCH completed\r\n" % tag).encode())
        self.send(b"".join(out))

    def inject_fault(self, fault, tag, seq, m, want, section, out):
        """Fire `fault` in place of message m.  Returns True when m's normal
        response must be skipped; faults that end the session raise Closed."""
        self.faulted = True
        self.log("# fault %s at uid %d (after %d messages)" % (fault, m.uid, self.delivered))
        full = self.fetch_item(seq, m, want, section)
        if fault in FETCH_FAULTS_THAT_END:
            self.send(b"".join(out))
            out.clear()
        if fault == "drop-literal":
            cut = full.index(b"}\r\n") + 3 + len(m.header) // 2
            self.send(full[:cut])
            time.sleep(0.2)
            self.hard_close()
        if fault == "drop-line":
            self.send(full[:full.index(b"INTERNALDATE") + 8 if b"INTERNALDATE" in full else 12])
            time.sleep(0.2)
            self.hard_close()
        if fault == "rst":
            self.send(full[:len(full) // 2])
            time.sleep(0.2)
            self.hard_close(rst=True)
        if fault == "stall":
            self.send(full[:len(full) // 2])
            self.stall_forever()
        if fault == "bye":
            self.send(b"* BYE Server shutting down for maintenance\r\n")
            time.sleep(0.2)
            self.hard_close()
        if fault == "huge-literal":
            self.stream(b"* %d FETCH (UID %d BODY[%s] {4000000000}\r\n" % (seq, m.uid, section),
                        b"X", 4000000000)
        if fault == "crlf-less":
            self.stream(b"* %d FETCH (UID %d INTERNALDATE \"" % (seq, m.uid),
                        b"A", 300 * 1024 * 1024)
        if fault == "literal-overflow":
            out.append(b"* %d FETCH (UID %d BODY[%s] {4294967296}\r\n)\r\n" % (seq, m.uid, section))
            return True
        if fault == "partial":
            w = dict(want)
            out.append(self.fetch_item(seq, m, w, None))
            return True
        if fault == "nil":
            parts = [b"UID %d" % m.uid]
            if want.get("INTERNALDATE"):
                parts.append(b'INTERNALDATE "%s"' % imap_date(m.internaldate).encode())
            parts.append(b"BODY[%s] NIL" % section)
            out.append(b"* %d FETCH (%s)\r\n" % (seq, b" ".join(parts)))
            return True
        if fault == "unsolicited":
            # FETCH without UID (flags update), an unrequested UID, then the
            # real response twice.
            out.append(b"* %d FETCH (FLAGS (\\Seen))\r\n" % seq)
            ghost = Message(m.uid + 100000, m.internaldate,
                            b"From: ghost@evil.example\r\nTo: me@example.org\r\n"
                            b"Message-ID: <ghost@evil.example>\r\nSubject: unrequested\r\n\r\n")
            out.append(self.fetch_item(seq + 50, ghost, want, section))
            out.append(full)
            out.append(full)
            self.delivered += 1
            return True
        return False


def server_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.tls_max:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = {"1.0": ssl.TLSVersion.TLSv1,
                                   "1.1": ssl.TLSVersion.TLSv1_1,
                                   "1.2": ssl.TLSVersion.TLSv1_2}[args.tls_max]
    return ctx


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="ok", choices=sorted(SCENARIOS))
    ap.add_argument("--tls", default="plain", choices=["plain", "implicit", "starttls"])
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--tls-max", choices=["1.0", "1.1", "1.2"])
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--stream-seconds", type=float, default=20.0)
    ap.add_argument("--folders", default="INBOX:6,Sent:3")
    ap.add_argument("--fault-after", type=int, default=3)
    ap.add_argument("--uidvalidity", type=int, default=1234567)
    ap.add_argument("--mailbox-json", help="serve this mailbox instead of --folders")
    args = ap.parse_args(argv)
    args.t0 = time.time()
    if args.tls != "plain" and not (args.cert and args.key):
        ap.error("--cert and --key are needed for TLS")

    # Hard deadline: whatever happens, this process is gone by then.
    t = threading.Timer(args.deadline + 2, lambda: os._exit(3))
    t.daemon = True
    t.start()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    port = ls.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print("PORT %d" % port, flush=True)

    with open(args.log, "a", encoding="utf-8") as logf:
        logf.write("# listening on 127.0.0.1:%d scenario=%s tls=%s\n" % (port, args.scenario, args.tls))
        logf.flush()
        ls.settimeout(args.deadline)
        try:
            conn, peer = ls.accept()
        except socket.timeout:
            logf.write("# no connection before the deadline\n")
            return 0
        ls.close()
        logf.write("# connection from %s:%d\n" % peer)
        logf.flush()
        sess = Session(args, conn, logf)
        try:
            sess.run()
        except Closed as e:
            sess.log("# end: %s" % e)
        except Exception as e:  # a fixture bug must not hang a test
            sess.log("# fixture error: %r" % (e,))
        finally:
            try:
                sess.conn.close()
            except OSError:
                pass
            sess.log("# exit")
    return 0


# ---------------------------------------------------------------------------
# Python API for tests: run the server as a child process
# ---------------------------------------------------------------------------
class FakeImap(ChildServer):
    """Start fakeimap.py as a child process; .port, .log_path; a context
    manager that always kills the child."""
    what = "fakeimap"

    def __init__(self, scenario="ok", tls="plain", cert=None, key=None, workdir=".",
                 folders=None, fault_after=None, deadline=60, tls_max=None,
                 stream_seconds=None, uidvalidity=None, name=None, mailbox_json=None):
        self.scenario = scenario
        log_path = os.path.join(workdir, "%s.log" % (name or "fakeimap-" + scenario))
        cmd = [sys.executable, os.path.abspath(__file__), "--scenario", scenario,
               "--tls", tls, "--log", log_path, "--deadline", str(deadline)]
        if cert:
            cmd += ["--cert", cert, "--key", key]
        if folders:
            cmd += ["--folders", folders]
        if fault_after is not None:
            cmd += ["--fault-after", str(fault_after)]
        if tls_max:
            cmd += ["--tls-max", tls_max]
        if stream_seconds is not None:
            cmd += ["--stream-seconds", str(stream_seconds)]
        if uidvalidity is not None:
            cmd += ["--uidvalidity", str(uidvalidity)]
        if mailbox_json:
            cmd += ["--mailbox-json", mailbox_json]
        ChildServer.__init__(self, cmd, log_path)


if __name__ == "__main__":
    sys.exit(main())
