"""kwhost — talk to keepwarm's native-messaging host (the Thunderbird add-on's
side of the protocol) from a test.

    answers, rc, err = host_call([{"id": 1, "cmd": "status"}])    # one host process
    result = host_ok("overdue", limit=5)                          # one request, asserts nothing
    frame(b"...") / unframe(data) -> [bytes]
    h = Host(); h.send({...}); h.recv() -> dict; h.close() -> rc  # an open "port"

The host is started as Thunderbird starts it: `keepwarm MANIFEST EXTENSION-ID`
(argv form), with kwtest.kw_env() (HOME, XDG_* in a temp dir) unless env= is given.
"""
import json
import struct
import subprocess

import kwtest

EXTENSION_ID = "keepwarm@keepwarm.example.org"


def frame(body):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return struct.pack("=I", len(body)) + body


def unframe(data):
    """Split host output into message bodies; raises on trailing garbage."""
    out = []
    while data:
        if len(data) < 4:
            raise ValueError("%d stray bytes after the last message" % len(data))
        n = struct.unpack("=I", data[:4])[0]
        if len(data) < 4 + n:
            raise ValueError("message of %d bytes cut after %d" % (n, len(data) - 4))
        out.append(data[4:4 + n])
        data = data[4 + n:]
    return out


def host_argv(manifest="/usr/lib/mozilla/native-messaging-hosts/keepwarm.json"):
    return [kwtest.keepwarm_path(), manifest, EXTENSION_ID]


def host_call(messages, env=None, argv=None, raw=None, timeout=60):
    """Run one host process, send the messages (dicts, or bytes sent as they are
    with raw=True semantics via `raw`), close stdin, return ([answers], rc, stderr)."""
    data = raw if raw is not None else b"".join(frame(m) for m in messages)
    p = subprocess.run(argv or host_argv(), input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env or kwtest.kw_env(), timeout=timeout)
    return [json.loads(b) for b in unframe(p.stdout)], p.returncode, p.stderr.decode(errors="replace")


def host_request(cmd, env=None, **params):
    """One request in its own process (as sendNativeMessage does); the answer dict."""
    answers, rc, err = host_call([dict(params, id=1, cmd=cmd)], env=env)
    if len(answers) != 1:
        raise RuntimeError("host gave %d answers (rc %d): %s" % (len(answers), rc, err))
    return answers[0]


class Host:
    """One host process kept open (as connectNative does)."""

    def __init__(self, env=None, argv=None):
        self.p = subprocess.Popen(argv or host_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env or kwtest.kw_env())
        self._c = kwtest.add_cleanup(self.kill)

    def send_bytes(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, msg):
        self.send_bytes(frame(msg))

    def recv(self):
        head = self.p.stdout.read(4)
        if len(head) < 4:
            return None
        n = struct.unpack("=I", head)[0]
        return json.loads(self.p.stdout.read(n))

    def close(self, timeout=60):
        self.p.stdin.close()
        rest = self.p.stdout.read()
        rc = self.p.wait(timeout)
        self.p.stderr.close()
        self.p.stdout.close()
        kwtest.remove_cleanup(self._c)
        return rc, rest

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
