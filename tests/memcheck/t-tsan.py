#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ThreadSanitizer: the sync reads and parses in one thread while another
writes to SQLite (and a watchdog thread watches). The core built with
-fsanitize=thread (make SANITIZE=thread, in build-tsan/) runs the sync
integration tests that exercise the pipeline — full sync, incremental sync,
kill -9 and resume, and the fault proxy — and any race report fails.
(The pipeline's locks are pthread ones on purpose: GLib's GMutex uses raw
futexes that TSan cannot see.)"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

SRC = kwtest.SRC_DIR
TSAN_BUILD = os.environ.get("KW_BUILD_TSAN") or os.path.join(SRC, "build-tsan")
AGAIN = ["tests/integration/t-sync-full.py", "tests/integration/t-sync-incremental.py",
         "tests/integration/t-sync-kill-resume.py", "tests/faults/t-crash.py",
         "tests/faults/t-proxy-faults.py"]


def test():
    if not os.path.exists(os.path.join(TSAN_BUILD, "keepwarm")):
        bail_out("build-tsan/keepwarm missing: run 'make check' (it builds SANITIZE=thread first)")
    env = dict(os.environ, KW_BUILD=TSAN_BUILD,
               TSAN_OPTIONS="halt_on_error=1:exitcode=66:report_signal_unsafe=0")
    for rel in AGAIN:
        r = subprocess.run([sys.executable, os.path.join(SRC, rel)], env=env, cwd=SRC,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", timeout=1500)
        races = [l for l in (r.stdout + r.stderr).splitlines() if "ThreadSanitizer" in l]
        failed = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
        is_(r.returncode, 0, "%s against the ThreadSanitizer build" % rel,
            "\n".join(races[:10]), "\n".join(failed[:10]), r.stderr[-2000:])


main(test)
