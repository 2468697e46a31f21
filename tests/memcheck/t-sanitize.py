#!/usr/bin/env python3
"""The core built with AddressSanitizer + UndefinedBehaviorSanitizer
(make SANITIZE=1, in build-san/): every core unit test, then the integration
and fault tests that feed real servers' and hostile servers' bytes through
the sync, run again against the sanitized keepwarm. Any sanitizer report
fails the run (-fno-sanitize-recover; LeakSanitizer on)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

SRC = kwtest.SRC_DIR
SAN = os.environ.get("KW_BUILD_SAN") or os.path.join(SRC, "build-san")
CORE_UNITS = ["test-imap-fetch", "test-store", "test-header-parse", "test-classify",
              "test-sanitize", "test-relationship", "test-model"]
# Test files re-run against build-san/keepwarm (each is a TAP test itself).
AGAIN = ["tests/integration/t-sync-full.py", "tests/integration/t-sync-incremental.py",
         "tests/integration/t-sync-uidvalidity.py", "tests/integration/t-sync-tls.py",
         "tests/integration/t-model-scenarios.py", "tests/faults/t-fake-faults.py",
         "tests/faults/t-proxy-faults.py", "tests/integration/t-addresses.py",
         "tests/integration/t-real-mail.py", "tests/faults/t-providers.py"]
ASAN = "detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=97"
LSAN = "print_suppressions=0:suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
UBSAN = "halt_on_error=1:print_stacktrace=1"


def test():
    env = dict(os.environ, ASAN_OPTIONS=ASAN, UBSAN_OPTIONS=UBSAN, LSAN_OPTIONS=LSAN)
    if not os.path.exists(os.path.join(SAN, "keepwarm")):
        bail_out("build-san/keepwarm missing: run 'make check' (it builds SANITIZE=1 first)")
    for name in CORE_UNITS:
        path = os.path.join(SAN, "tests", name)
        r = subprocess.run([path], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, errors="replace", timeout=600)
        is_(r.returncode, 0, "%s under ASan/UBSan" % name, r.stderr[-3000:], r.stdout[-1000:])
    env_again = dict(env, KW_BUILD=SAN)
    for rel in AGAIN:
        path = os.path.join(SRC, rel)
        if not os.path.exists(path):
            ok(False, "%s exists" % rel)
            continue
        r = subprocess.run([sys.executable, path], env=env_again, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, errors="replace", timeout=1200,
                           cwd=SRC)
        failed = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
        is_(r.returncode, 0, "%s against the sanitized keepwarm" % rel,
            "\n".join(failed[:20]), r.stderr[-3000:])


main(test)
