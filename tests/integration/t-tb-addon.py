#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-tb-addon — the Thunderbird add-on as files (plugin/thunderbird/ and
build/thunderbird/keepwarm.xpi), without Thunderbird:

- manifest.json: Manifest V3, the gecko id the native host allows
  (core/cli/host.h), no strict_max_version, exactly the permissions used;
  every file it names exists.
- the xpi holds exactly the files the add-on uses (manifest, pages, their
  scripts and styles, the banner's script and style, icons, both locales) and
  nothing else (no build script, no docs); packing twice gives the same bytes.
- locales: English and German have the same keys, the same placeholders, no
  empty message; every key the code and the pages use exists, and every key
  exists for a reason (is used).
- pages: a Content-Security-Policy, no inline script or event handler, no
  innerHTML (text from mail only ever becomes text).
- every command the add-on sends exists in the host (never "unknown-command").
- JavaScript parses (node --check).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest
from kwhost import host_request

ADDON = os.path.join(kwtest.SRC_DIR, "plugin", "thunderbird")
PERMISSIONS = {
    "nativeMessaging": r"sendNativeMessage|connectNative",
    "messagesRead": r"messageDisplay\.getDisplayedMessages",
    "accountsRead": r"accounts\.list|onNewMailReceived",
    "scripting": r"scripting\.messageDisplay",
    "alarms": r"alarms\.",
    "storage": r"storage\.local",
    "compose": r"compose\.(beginNew|beginReply|onAfterSend)",
}


def read(name):
    with open(os.path.join(ADDON, name), encoding="utf-8") as f:
        return f.read()


def used_files(manifest):
    """Files the add-on loads: from the manifest, the pages and registerScripts()."""
    files = {"manifest.json"}
    files.update(manifest["background"]["scripts"])
    files.add(manifest["action"]["default_popup"])
    files.add(manifest["action"]["default_icon"])
    files.add(manifest["options_ui"]["page"])
    files.update(manifest["icons"].values())
    for lang in os.listdir(os.path.join(ADDON, "_locales")):
        files.add("_locales/%s/messages.json" % lang)
    js = {f for f in os.listdir(ADDON) if f.endswith(".js")}
    pages = [f for f in files if f.endswith(".html")]
    for code in [read(f) for f in js]:
        pages += re.findall(r'"([\w-]+\.html)"', code)
        for m in re.finditer(r'js: \[([^\]]*)\], css: \[([^\]]*)\]', code):
            files.update(re.findall(r'"([^"]+)"', m.group(1) + m.group(2)))
        files.update(re.findall(r'"(icons/[^"]+)"', code))
    for page in set(pages):
        files.add(page)
        html = read(page)
        files.update(re.findall(r'<script src="([^"]+)"', html))
        files.update(re.findall(r'<link rel="stylesheet" href="([^"]+)"', html))
        files.update(re.findall(r'<img src="([^"]+)"', html))
    return files


def test_manifest():
    m = json.loads(read("manifest.json"))
    is_(m.get("manifest_version"), 3, "Manifest V3")
    host_h = open(os.path.join(kwtest.SRC_DIR, "core", "cli", "host.h")).read()
    want_id = re.search(r'#define KW_TB_EXTENSION_ID "([^"]+)"', host_h).group(1)
    gecko = m["browser_specific_settings"]["gecko"]
    is_(gecko.get("id"), want_id, "the gecko id is the one the host's manifest allows")
    ok("strict_max_version" not in gecko, "no strict_max_version (Thunderbird would refuse newer releases)")
    code = "\n".join(read(f) for f in os.listdir(ADDON) if f.endswith(".js"))
    is_(sorted(m["permissions"]), sorted(PERMISSIONS), "permissions: exactly those the code needs")
    for perm, regex in PERMISSIONS.items():
        like(code, regex, "permission %s is used" % perm)
    is_(m.get("default_locale"), "en", "default locale en")
    files = used_files(m)
    missing = sorted(f for f in files if not os.path.isfile(os.path.join(ADDON, f)))
    is_(missing, [], "every file the add-on names exists")
    return m, files


def test_xpi(files):
    xpi = os.path.join(kwtest.build_dir(), "thunderbird", "keepwarm.xpi")
    if not os.path.exists(xpi):
        ok(False, "build/thunderbird/keepwarm.xpi exists (make thunderbird)")
        return
    with zipfile.ZipFile(xpi) as z:
        names = z.namelist()
        bad = z.testzip()
        manifest_in_zip = json.loads(z.read("manifest.json"))
    is_(bad, None, "the xpi is a sound zip")
    is_(sorted(names), sorted(files), "the xpi holds exactly the files the add-on uses")
    is_(manifest_in_zip, json.loads(read("manifest.json")), "and the current manifest")
    tmp = kwtest.tmpdir("kw-xpi-")
    order = [n for n in names]
    outs = []
    for i in range(2):
        out = os.path.join(tmp, "%d.xpi" % i)
        r = subprocess.run([sys.executable, os.path.join(ADDON, "mkxpi.py"), out, ADDON] + order,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        is_(r.returncode, 0, "mkxpi.py packs (%d)" % i, r.stdout)
        outs.append(open(out, "rb").read())
    ok(outs[0] == outs[1], "packing twice gives the same bytes (reproducible)")
    r = subprocess.run([sys.executable, os.path.join(ADDON, "mkxpi.py"), os.path.join(tmp, "x.xpi"), ADDON,
                        "manifest.json", "../../Makefile"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    ok(r.returncode != 0 and "outside" in r.stdout, "mkxpi.py refuses a path outside the add-on", r.stdout)


def test_locales(m):
    locales = {}
    for lang in ("en", "de"):
        locales[lang] = json.loads(read("_locales/%s/messages.json" % lang))
    en, de = locales["en"], locales["de"]
    is_(sorted(set(en) ^ set(de)), [], "English and German have the same keys")
    placeholders = [k for k in en if k in de and
                    sorted(re.findall(r"\$\d", en[k]["message"])) != sorted(re.findall(r"\$\d", de[k]["message"]))]
    is_(placeholders, [], "and the same $1.. placeholders")
    empty = [k + "/" + lang for lang, msgs in locales.items() for k, v in msgs.items() if not v["message"].strip()]
    is_(empty, [], "no empty message")
    code = "\n".join(read(f) for f in os.listdir(ADDON) if f.endswith((".js", ".html")))
    code += read("manifest.json")
    used = set(re.findall(r'kwMsg\("(\w+)"', code))
    used |= set(re.findall(r'data-i18n(?:-title|-placeholder)?="(\w+)"', code))
    used |= set(re.findall(r"__MSG_(\w+)__", code))
    used |= set(re.findall(r'"(\w+Title)"', code))            # badge titles chosen by a ternary
    used |= set(re.findall(r'"(password\w+)"', code))          # options: where the password is
    used |= set(re.findall(r'"((?:error|sync)\w+)"', code))    # error and sync words from tables
    # Keys built from a prefix: action_<action>, banner_<action>, direction_<in|out|both>.
    for prefix, names in (("action_", re.findall(r'"(write|snooze|unsnooze|ignore|unignore|details|done|skip|'
                                                  r'log-call|log-meeting)"', code)),
                          ("banner_", ["reply", "write", "log-call", "snooze"]),
                          ("direction_", ["in", "out", "both"])):
        used |= {prefix + n.replace("-", "_") for n in names}
    used = {k for k in used if not k.endswith("_")}  # kwMsg("action_" + ...): the prefix itself
    is_(sorted(used - set(en)), [], "every key the add-on uses is defined")
    quoted = set(re.findall(r'"(\w+)"', code)) | used
    is_(sorted(set(en) - quoted), [], "every defined key is used")


def test_pages():
    for page in ("popup.html", "space.html", "options.html"):
        html = read(page)
        like(html, r'<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">',
             "%s has a strict Content-Security-Policy" % page)
        ok(not re.search(r"<script>|<script [^>]*>[^<]+</script>", html), "%s has no inline script" % page)
        ok(not re.search(r"\son[a-z]+=", html), "%s has no inline event handler" % page)
    for f in sorted(os.listdir(ADDON)):
        if f.endswith(".js"):
            ok(not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", read(f)),
               "%s never writes HTML from strings" % f)


def test_commands():
    code = "\n".join(read(f) for f in os.listdir(ADDON) if f.endswith(".js"))
    cmds = sorted(set(re.findall(r'kwCall\("([\w-]+)"', code)) | set(re.findall(r'cmd: "([\w-]+)"', code)))
    ok(len(cmds) >= 10, "the add-on sends %d kinds of request: %s" % (len(cmds), " ".join(cmds)))
    env = kwtest.kw_env()
    unknown = [c for c in cmds if (host_request(c, env=env).get("error") or {}).get("code") == "unknown-command"]
    is_(unknown, [], "the host knows every one of them")


def test_js():
    node = shutil.which("node") or shutil.which("nodejs")
    scripts = sorted(f for f in os.listdir(ADDON) if f.endswith(".js"))
    if not node:
        skip("node is not installed: JavaScript syntax not checked", len(scripts))
        return
    for f in scripts:
        r = subprocess.run([node, "--check", os.path.join(ADDON, f)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        is_(r.returncode, 0, "%s parses" % f, r.stdout)


def run():
    m, files = test_manifest()
    test_xpi(files)
    test_locales(m)
    test_pages()
    test_commands()
    test_js()


if __name__ == "__main__":
    main(run)
