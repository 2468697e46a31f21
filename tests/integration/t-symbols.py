#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-symbols — libkeepwarm exports exactly the kw_* functions of keepwarm.h.

The dynamic symbols defined by $KW_BUILD/libkeepwarm.so.0 (nm -D
--defined-only) must be the functions declared in core/keepwarm.h: no more
(an internal helper leaking into the ABI), no fewer (a declared function not
written yet, or not marked KW_PUBLIC). Mismatches are named one by one.
Also checks the soname and that every export carries the version node of
core/keepwarm.sym.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import SRC_DIR, build_dir, diag, done, is_, main, ok  # noqa: E402

HEADER = os.path.join(SRC_DIR, "core", "keepwarm.h")
VERSION_SCRIPT = os.path.join(SRC_DIR, "core", "keepwarm.sym")


def header_functions(path):
    """Names of the kw_* functions declared in a C header.

    Comments, string literals, `#ifdef __cplusplus` blocks and preprocessor
    lines are removed first; a
    declaration is then `kw_name (` at file scope, i.e. outside braces (struct
    and enum bodies) and not written as `(*kw_name)` (a function-pointer
    typedef such as kw_progress_fn)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    # extern "C" { ... } guards of C++ would count as braces
    text = re.sub(r"^[ \t]*#[ \t]*ifdef[ \t]+__cplusplus\b.*?^[ \t]*#[ \t]*endif", " ", text, flags=re.M | re.S)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    names = []
    depth = 0
    i = 0
    ident = re.compile(r"\bkw_[A-Za-z0-9_]*")
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and text.startswith("kw_", i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = ident.match(text, i)
            name = m.group(0)
            rest = text[m.end():].lstrip()
            if rest.startswith("(") and not re.search(r"\(\s*\*\s*$", text[:i]):
                names.append(name)
            i = m.end()
            continue
        i += 1
    return names


def version_node(path):
    """The name of the version node in a GNU ld version script."""
    with open(path, encoding="utf-8") as f:
        m = re.search(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\{", f.read(), re.M)
    return m.group(1) if m else None


def dynamic_symbols(lib):
    """{name: (type, version)} of the defined dynamic symbols."""
    r = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", lib],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("nm -D %s failed: %s" % (lib, r.stderr.strip()))
    syms = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        typ, full = parts[-2], parts[-1]
        name, _, version = full.partition("@")
        syms[name] = (typ, version.lstrip("@"))
    return syms


def soname(lib):
    r = subprocess.run(["readelf", "-d", lib], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", r.stdout)
    return m.group(1) if m else None


def run():
    lib = os.path.join(build_dir(), "libkeepwarm.so.0")
    if not ok(os.path.isfile(lib), "library exists: %s" % lib, "build it first: make all"):
        return
    is_(soname(lib), "libkeepwarm.so.0", "soname is libkeepwarm.so.0")

    declared = header_functions(HEADER)
    dups = sorted({n for n in declared if declared.count(n) > 1})
    ok(not dups, "every function is declared once in keepwarm.h", *(["declared twice: " + ", ".join(dups)] if dups else []))
    declared = set(declared)
    ok(len(declared) > 0, "keepwarm.h declares %d kw_* functions" % len(declared))

    node = version_node(VERSION_SCRIPT)
    syms = dynamic_symbols(lib)
    # The version script's node itself appears as an absolute symbol.
    syms.pop(node, None)
    exported = set(syms)

    missing = sorted(declared - exported)
    extra = sorted(exported - declared)
    ok(not missing, "every function declared in keepwarm.h is exported (%d declared)" % len(declared),
       *(["declared in core/keepwarm.h but not exported by %s (not written yet, or not KW_PUBLIC): %s"
          % (os.path.basename(lib), name) for name in missing]))
    ok(not extra, "nothing else is exported (%d exported)" % len(exported),
       *(["exported but not declared in core/keepwarm.h: %s (type %s)" % (name, syms[name][0])
          for name in extra]))

    not_code = sorted(n for n in exported & declared if syms[n][0] not in ("T", "i"))
    ok(not not_code, "every export is a function (nm type T)",
       *["%s has nm type %s" % (n, syms[n][0]) for n in not_code])
    unversioned = sorted(n for n in exported if syms[n][1] != node)
    ok(node is not None and not unversioned, "every export carries version %s" % node,
       *["%s has version %r" % (n, syms[n][1] or None) for n in unversioned])
    if missing or extra:
        diag("summary: %d missing, %d extra" % (len(missing), len(extra)))


if __name__ == "__main__":
    main(run)
