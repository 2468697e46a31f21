"""guitest — helpers for the tests that drive a real mail client under Xvfb
(tests/plugin/t-claws-e2e.py, tests/thunderbird/t-tb-e2e.py).

    need(["Xvfb", "xdotool"])            skip_all unless the programs exist
    p = Proc(argv, env, log_path)        a child in its own session, killed (group) at exit
    xvfb, display = start_xvfb(workdir)  a private X server (":N")
    files_containing([dirs or files], b"needle") -> [paths]
"""
import os
import shutil
import signal
import subprocess
import time

from kwtest import add_cleanup, remove_cleanup, skip_all


def need(tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        skip_all("missing: " + " ".join(missing))


class Proc:
    """A child in its own session, killed (group) at exit."""

    def __init__(self, argv, env, log_path, **kw):
        self.log = open(log_path, "ab")
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True, **kw)
        self._c = add_cleanup(self.kill)

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        else:  # leftovers in its group (workers)
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()
        remove_cleanup(self._c)


def start_xvfb(workdir):
    r, w = os.pipe()
    log = os.path.join(workdir, "xvfb.log")
    x = Proc(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
             os.environ.copy(), log, pass_fds=(w,))
    os.close(w)
    buf = b""
    end = time.monotonic() + 15
    while not buf.endswith(b"\n") and time.monotonic() < end:
        chunk = os.read(r, 16)
        if not chunk:
            break
        buf += chunk
    os.close(r)
    if not buf.strip():
        raise RuntimeError("Xvfb did not start: " + open(log).read()[-2000:])
    return x, ":" + buf.decode().strip()


def files_containing(paths, needle):
    hits = []
    for top in paths:
        walk = [(top, [], [os.path.basename(top)])] if os.path.isfile(top) else os.walk(top)
        for root, _dirs, files in walk:
            for fn in files:
                p = os.path.join(root if os.path.isdir(top) else os.path.dirname(top), fn)
                try:
                    with open(p, "rb") as f:
                        if needle in f.read():
                            hits.append(p)
                except OSError:
                    pass
    return hits
