# SPDX-License-Identifier: GPL-3.0-or-later
"""kwhost — talk to keepwarm's native-messaging host (the Thunderbird add-on's
side of the protocol) from a test.

    answers, rc, err = host_call([{"id": 1, "cmd": "status"}])    # one host process
    result = host_ok("overdue", limit=5)                          # one request, asserts nothing
    frame(b"...") / unframe(data) -> [bytes]
    h = Host(); h.send({...}); h.recv() -> dict; h.close() -> rc  # an open "port"
    err_code(answer) -> "not-found" / None;  cli_json(["today"], db) -> the command's JSON
    with seller_synced(db, me) as dv: ...  # the seller's mailbox in a Dovecot, synced (dv None: failed)

The host is started as Thunderbird starts it: `keepwarm MANIFEST EXTENSION-ID`
(argv form), with kwtest.kw_env() (HOME, XDG_* in a temp dir) unless env= is given.
"""
import contextlib
import json
import os
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


class HostCrashed(RuntimeError):
    pass


def host_call(messages, env=None, argv=None, raw=None, timeout=60):
    """Run one host process, send the messages (dicts; or `raw` bytes as they
    are), close stdin, return ([answers], rc, stderr). The host always exits 0:
    anything else (a crash, a sanitizer report, a leak) raises HostCrashed with
    the end of its log, where its stderr goes."""
    env = env or kwtest.kw_env()
    data = raw if raw is not None else b"".join(frame(m) for m in messages)
    p = subprocess.run(argv or host_argv(), input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=timeout)
    if p.returncode != 0:
        raise HostCrashed("the host exited %d\n%s" % (p.returncode, log_tail(env)))
    return [json.loads(b) for b in unframe(p.stdout)], p.returncode, p.stderr.decode(errors="replace")


def log_tail(env, lines=60):
    state = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME", "/"), ".local", "state")
    try:
        with open(os.path.join(state, "keepwarm", "host.log"), errors="replace") as f:
            return "\n".join(f.read().splitlines()[-lines:])
    except OSError:
        return "(no host log)"


def host_request(cmd, env=None, **params):
    """One request in its own process (as sendNativeMessage does); the answer dict."""
    answers, rc, err = host_call([dict(params, id=1, cmd=cmd)], env=env)
    if len(answers) != 1:
        raise RuntimeError("host gave %d answers (rc %d): %s" % (len(answers), rc, err))
    return answers[0]


class Host:
    """One host process kept open (as connectNative does)."""

    def __init__(self, env=None, argv=None):
        self.env = env or kwtest.kw_env()
        self.p = subprocess.Popen(argv or host_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=self.env)
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
        if rc != 0:
            raise HostCrashed("the host exited %d\n%s" % (rc, log_tail(self.env)))
        self.p.stderr.close()
        self.p.stdout.close()
        kwtest.remove_cleanup(self._c)
        return rc, rest

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def err_code(answer):
    """The error code of an answer, None when it is ok."""
    return (answer.get("error") or {}).get("code") if isinstance(answer, dict) else None


def cli_json(args, db, env=None):
    """`keepwarm ARGS --format=json` parsed (a failed TAP check and None when it is not JSON)."""
    rc, out, err = kwtest.run_keepwarm(args + ["--format=json"], db=db, env=env)
    try:
        return json.loads(out)
    except ValueError:
        kwtest.ok(False, "keepwarm %s --format=json" % " ".join(args), kwtest.show_run(rc, out, err))
        return None


@contextlib.contextmanager
def seller_synced(db, me):
    """gen_mailbox's seller mailbox in a real Dovecot, synced into `db` (a TAP
    check); yields the Dovecot, or None when the sync failed."""
    import gen_mailbox
    import time
    root = kwtest.tmpdir("kw-seller-")
    gen_mailbox.write_seller_maildir(os.path.join(root, "Maildir"), int(time.time()), me)
    with kwtest.Dovecot(maildir=os.path.join(root, "Maildir")) as dv:
        dv.root = root
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(me,)), password=dv.password, db=db)
        ok = kwtest.is_(rc, 0, "sync the seller's mailbox", kwtest.show_run(rc, out, err))
        yield dv if ok else None
