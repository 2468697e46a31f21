#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzz smoke run (reliability notes H1-H3): each libFuzzer target for a few
seconds from its seed corpus, then every saved regression input replayed.
`make fuzz` runs them longer."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest


def test():
    if not shutil.which("clang-14"):
        skip_all("clang-14 is not installed")
    secs = os.environ.get("KW_FUZZ_SECONDS", "10")
    r = subprocess.run(["make", "--no-print-directory", "-C", kwtest.SRC_DIR, "fuzz-smoke",
                        "FUZZ_SMOKE_SECONDS=" + secs], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", timeout=900)
    crashes = [l for l in r.stdout.splitlines() if "ERROR:" in l or "crash-" in l or "deadly signal" in l]
    is_(r.returncode, 0, "fuzz-smoke: every target ran %ss without a crash, regressions replayed" % secs,
        "\n".join(crashes[:20]), r.stdout[-2500:])
    runs = [l for l in r.stdout.splitlines() if l.startswith("Done ")]
    ok(len(runs) >= 2, "both targets ran (%s)" % "; ".join(runs), r.stdout[-1500:])


main(test)
