#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What ships holds no test code, and the plugin's files form layers (TAP).

- The shipped build/plugin/keepwarm.so exports only plugin_*, has no symbol
  of the test hook (nm, its full symbol table), none of the test's
  environment knobs or fifo commands among its strings, and its own objects
  read no environment variable (no g_getenv/getenv).
- The test build build/plugin-test/keepwarm-test.so has all of them: the
  positive control that these checks can see what they look for.
- plugin/*.c include only the headers of the modules below them (the order
  in plugin/kw_plugin.h): the worker reports through callbacks, nothing
  calls upwards, no import circle.

Environment: KW_BUILD (default ./build).
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
from kwtest import SRC_DIR, build_dir, is_, main, note, ok, skip_all  # noqa: E402

# What only the test build may contain.
TEST_SYMBOLS = ("kw_testhook_init", "kw_testhook_done")
TEST_STRINGS = ("KEEPWARM_PLUGIN_TEST_DUMP", "KEEPWARM_PLUGIN_TEST_CMD", "KEEPWARM_PLUGIN_STARTUP_S",
                "KEEPWARM_PLUGIN_COALESCE_S", "KEEPWARM_PLUGIN_DEADLINE_S", "prefs-open")
# Knobs of earlier versions, gone from every build.
GONE_STRINGS = ("KEEPWARM_AS_OF", "KEEPWARM_BIN")
ENV_READERS = ("g_getenv", "getenv", "secure_getenv")

# plugin/ modules from the bottom up; a module may include its own header and
# those of the modules before it.
LAYERS = [("view_model.c", "view_model.h"), ("context.c", "kw_context.h"), ("prefs.c", "kw_prefs.h"),
          ("team.c", "kw_team.h"), ("today.c", "kw_today.h"), ("panel.c", "kw_panel.h"),
          ("dialogs.c", "kw_dialogs.h"), ("worker.c", "kw_worker.h"), ("plugin_main.c", None)]


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace").stdout


def symbols(so):
    return {line.split()[-1] for line in run(["nm", so]).splitlines() if line.strip()}


def exported(so):
    return sorted(line.split()[-1] for line in run(["nm", "-D", "--defined-only", so]).splitlines()
                  if line.strip())


def imported(so):
    return {line.split()[-1].split("@")[0] for line in run(["nm", "-D", "--undefined-only", so]).splitlines()
            if line.strip()}


def strings(so):
    with open(so, "rb") as f:
        data = f.read()
    return {m.decode() for m in re.findall(rb"[\x20-\x7e]{4,}", data)}


def check_builds(build):
    shipped = os.path.join(build, "plugin", "keepwarm.so")
    test = os.path.join(build, "plugin-test", "keepwarm-test.so")
    if not os.path.exists(shipped):
        skip_all("build/plugin/keepwarm.so not built (make plugin)")
    if not shutil.which("nm"):
        skip_all("no nm (binutils)")
    have_test = os.path.exists(test)

    for so, name in ((shipped, "keepwarm.so"), (test, "keepwarm-test.so")):
        if os.path.exists(so):
            exp = exported(so)
            is_([e for e in exp if not e.startswith("plugin_")], [], "%s exports only plugin_*" % name, exp)

    syms, text = symbols(shipped), strings(shipped)
    ok(len(syms) > 100, "keepwarm.so has a symbol table to look at (%d symbols)" % len(syms))
    is_(sorted(s for s in syms if "testhook" in s), [], "keepwarm.so: no symbol of the test hook")
    is_(sorted(s for s in TEST_STRINGS if any(s in t for t in text)), [],
        "keepwarm.so: no test knob or fifo command among its strings")
    is_(sorted(s for s in GONE_STRINGS if any(s in t for t in text)), [],
        "keepwarm.so: no environment knob of earlier versions")
    # the plugin's own objects (the library inside may read XDG_DATA_HOME)
    objs = [os.path.join(build, "plugin", c[:-2] + ".o") for c, _h in LAYERS]
    objs = [o for o in objs if os.path.exists(o)]
    readers = sorted({"%s: %s" % (os.path.basename(o), u) for o in objs
                      for u in run(["nm", "--undefined-only", o]).split() if u in ENV_READERS})
    ok(len(objs) >= len(LAYERS), "the shipped plugin's objects are there (%d)" % len(objs))
    is_(readers, [], "the shipped plugin's code reads no environment variable")
    ok(any("keepwarm_path" in t for t in text), "keepwarm.so: the checks read its strings (keepwarm_path)")

    if not have_test:
        skip_all("build/plugin-test/keepwarm-test.so not built (make check-quick builds it)")
    tsyms, ttext, timports = symbols(test), strings(test), imported(test)
    is_(sorted(s for s in TEST_SYMBOLS if s not in tsyms), [], "the test build has the hook's symbols")
    is_(sorted(s for s in TEST_STRINGS if not any(s in t for t in ttext)), [],
        "the test build has the knobs and commands")
    ok("g_getenv" in timports, "the test build reads its environment (g_getenv)")


def includes(path):
    with open(path, encoding="utf-8") as f:
        return re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read(), re.M)


def check_layers():
    plugin = os.path.join(SRC_DIR, "plugin")
    order = {h: i for i, (_c, h) in enumerate(LAYERS) if h}
    sources = sorted(f for f in os.listdir(plugin) if f.endswith(".c"))
    is_(sources, sorted(c for c, _h in LAYERS), "every plugin/*.c has its place in the layers")
    for level, (c, _h) in enumerate(LAYERS):
        path = os.path.join(plugin, c)
        if not os.path.exists(path):
            continue
        above = [h for h in includes(path) if h in order and order[h] > level]
        is_(above, [], "%s includes no header of a module above it" % c)
    # the headers themselves: kw_plugin.h (everyone's) brings only the bottom two
    is_(sorted(h for h in includes(os.path.join(plugin, "kw_plugin.h")) if h in order),
        ["kw_context.h", "view_model.h"], "kw_plugin.h brings only view_model.h and kw_context.h")
    for _c, h in LAYERS:
        if h:
            up = [x for x in includes(os.path.join(plugin, h)) if x in order and order[x] > order[h]]
            is_(up, [], "%s includes no header above it" % h)
    # the shipped sources read no environment and know nothing of the hook
    for c, _h in LAYERS:
        with open(os.path.join(plugin, c), encoding="utf-8") as f:
            src = f.read()
        is_(re.findall(r"\b(?:g_getenv|getenv|secure_getenv)\s*\(", src), [], "%s reads no environment" % c)
        hooks = re.findall(r"\bkw_testhook_\w+", src)
        if c == "plugin_main.c":
            note("plugin_main.c calls the test build's hook at: %s" % ", ".join(hooks))
            ok(all(re.search(r"KW_TEST_HOOK\(%s\(" % h, src) for h in hooks),
               "plugin_main.c calls the hook only through KW_TEST_HOOK (compiled out when shipped)")
        else:
            is_(hooks, [], "%s knows nothing of the test hook" % c)


def run_test():
    check_layers()
    check_builds(os.path.abspath(build_dir()))


if __name__ == "__main__":
    main(run_test)
