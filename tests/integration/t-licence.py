#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-licence — the project says its licence (GPL-3.0-or-later) everywhere it
must: LICENSE holds the GPL version 3 text; every source file (C, headers,
Python, shell, JavaScript, CSS, HTML, Makefiles, linker scripts, the manual)
names it with an SPDX line in its first three lines; debian/copyright says
GPL-3+ for every file and its maintainer is the project, as debian/control,
debian/changelog and the add-on's manifest say. Files without one are named."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import SRC_DIR, done, is_, main, ok  # noqa: E402

TAG = "SPDX-License-Identifier: GPL-3.0-or-later"
SOURCE_EXT = (".c", ".h", ".py", ".sh", ".js", ".css", ".html", ".sym", ".mk", ".local", ".in", ".1")
SOURCE_NAMES = ("Makefile", "rules", "run")
SKIP_DIRS = {".git", "build", "node_modules", "data", "__pycache__"}
MAINTAINER = "keepwarm developers <developers@keepwarm.example.org>"


def source_files():
    for top in ("core", "plugin", "tests", "packaging", ".ci"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(SRC_DIR, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                if name.endswith(SOURCE_EXT) or name in SOURCE_NAMES:
                    yield os.path.join(dirpath, name)
    yield os.path.join(SRC_DIR, "Makefile")


def read(path):
    with open(os.path.join(SRC_DIR, path), encoding="utf-8") as f:
        return f.read()


def run():
    lic = read("LICENSE")
    ok("GNU GENERAL PUBLIC LICENSE" in lic and "Version 3, 29 June 2007" in lic
       and "END OF TERMS AND CONDITIONS" in lic, "LICENSE is the whole GPL version 3")

    files = sorted(set(source_files()))
    ok(len(files) > 150, "the source files are found (%d)" % len(files))
    missing = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [f.readline() for _ in range(3)]
        if not any(TAG in line for line in head):
            missing.append(os.path.relpath(path, SRC_DIR))
    is_(missing, [], "every source file starts with the SPDX line")

    cp = read("packaging/debian/copyright")
    ok(re.search(r"^Files: \*\nCopyright: .*\nLicense: GPL-3\+$", cp, re.M) is not None,
       "debian/copyright: every file GPL-3+")
    ok("or\n (at your option) any later version" in cp, "... with the or-later clause")
    ok("Upstream-Contact: " + MAINTAINER in cp, "... the project as upstream contact")
    ctl = read("packaging/debian/control")
    ok("\nMaintainer: " + MAINTAINER + "\n" in ctl, "debian/control: the project maintains the package")
    first = read("packaging/debian/changelog").split("\n\n -- ", 1)[1].split("  ", 1)[0]
    is_(first, MAINTAINER, "debian/changelog: the latest entry is signed by the project")
    manifest = json.loads(read("plugin/thunderbird/manifest.json"))
    is_(manifest.get("author"), "keepwarm developers", "the add-on's author is the project")
    done()


if __name__ == "__main__":
    main(run)
