#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mkxpi.py OUT.xpi SRCDIR FILE... — pack the add-on (`make thunderbird`).

An .xpi is a zip archive. This one is reproducible: the files in the given
order, fixed timestamps (SOURCE_DATE_EPOCH, else 2024-01-01), fixed modes,
deflate. Refuses a file list without manifest.json, and any path that would
leave SRCDIR."""
import os
import sys
import time
import zipfile


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    out, src, files = argv[1], argv[2], argv[3:]
    if "manifest.json" not in files:
        sys.exit("mkxpi.py: manifest.json is not among the files")
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1704067200"))
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot go before 1980
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in files:
            norm = os.path.normpath(rel)
            if norm.startswith("..") or os.path.isabs(norm):
                sys.exit("mkxpi.py: %s is outside %s" % (rel, src))
            info = zipfile.ZipInfo(norm, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(os.path.join(src, norm), "rb") as f:
                z.writestr(info, f.read())
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
