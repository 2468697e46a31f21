#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""t-install — `make install` / `make uninstall` put exactly the right files
in the right places, and the installed programs are hardened.

1. `make install DESTDIR=... ` with every directory variable set to an
   unusual place: the exact file list, modes, symlinks (soname and dev link);
   the installed keepwarm is PIE (readelf -h: Type DYN), has BIND_NOW and
   RELRO, links libkeepwarm.so.0 and runs; the library has its soname, BIND_NOW
   and RELRO. Then `make uninstall` with the same variables leaves no file.
2. `make install PREFIX=<tmp>` (no DESTDIR): the installed command finds its
   library and its TLS floor file (compiled-in DATADIR), and its keyring
   module (compiled-in LIBDIR) without any help, and
   a small program builds against keepwarm.h + keepwarm.pc and runs.

Runs make in the source tree (build/, the normal build directory).
"""

import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import SRC_DIR, is_, like, main, note, ok, skip_all, tmpdir  # noqa: E402

VERSION = "0.1.0"


def make_env():
    """The environment for a sub-make: without the parent make's jobserver
    and command-line variables (this test may run under `make check`)."""
    e = dict(os.environ)
    for k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"):
        e.pop(k, None)
    e["LC_ALL"] = "C"
    return e


def make(*args):
    cmd = ["make", "--no-print-directory", "-C", SRC_DIR] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=make_env())
    return r.returncode, r.stdout, cmd


def run(cmd, env=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def plugin_buildable():
    return subprocess.run(["pkg-config", "--exists", "claws-mail", "gtk+-3.0"]).returncode == 0


def tree(root):
    """{relative path: ('f', mode) | ('l', target)} of everything but directories."""
    res = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = "/" + os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                res[rel] = ("l", os.readlink(p))
            elif not stat.S_ISDIR(st.st_mode):
                res[rel] = ("f", stat.S_IMODE(st.st_mode))
    return res


def elf_checks(path, what, exe):
    """Hardening of one ELF file: PIE/DYN, BIND_NOW, RELRO, no TEXTREL."""
    _, hdr, _ = run(["readelf", "-hW", path])
    _, dyn, _ = run(["readelf", "-dW", path])
    _, seg, _ = run(["readelf", "-lW", path])
    m = re.search(r"^\s*Type:\s+(\S+)", hdr, re.M)
    is_(m and m.group(1), "DYN", "%s: ELF type DYN (position independent)" % what)
    if exe:
        like(dyn, r"\(FLAGS_1\).*\bPIE\b", "%s: FLAGS_1 has PIE (not linked with no-pie-link.specs)" % what)
    ok(re.search(r"\(FLAGS\).*\bBIND_NOW\b", dyn) or re.search(r"\(FLAGS_1\).*\bNOW\b", dyn),
       "%s: BIND_NOW" % what, dyn)
    like(seg, r"\bGNU_RELRO\b", "%s: GNU_RELRO segment" % what)
    ok("TEXTREL" not in dyn, "%s: no text relocations" % what)
    return dyn


def test_destdir(plugin):
    root = tmpdir("kw-install-")
    dest = os.path.join(root, "dest")
    dirs = {
        "PREFIX": "/opt/kw",
        "BINDIR": "/opt/kw/xbin",
        "LIBDIR": "/opt/kw/xlib",
        "INCLUDEDIR": "/opt/kw/xinclude",
        "DATADIR": "/opt/kw/xshare",
        "MANDIR": "/opt/kw/xman",
        "PLUGIN_DIR": "/opt/kw/xplugins",
        "NATIVE_HOST_DIR": "/opt/kw/xmozilla",
    }
    args = ["%s=%s" % kv for kv in dirs.items()] + ["DESTDIR=" + dest]
    rc, out, cmd = make("install", *args)
    if not is_(rc, 0, "make install DESTDIR=... with every directory set", " ".join(cmd), out[-4000:]):
        return
    got = tree(dest)
    B, L, D = dirs["BINDIR"], dirs["LIBDIR"], dirs["DATADIR"]
    want = {
        B + "/keepwarm": ("f", 0o755),
        L + "/libkeepwarm.so." + VERSION: ("f", 0o644),
        L + "/libkeepwarm.so.0": ("l", "libkeepwarm.so." + VERSION),
        L + "/libkeepwarm.so": ("l", "libkeepwarm.so.0"),
        L + "/pkgconfig/keepwarm.pc": ("f", 0o644),
        L + "/keepwarm/keepwarm-sync.so": ("f", 0o644),
        L + "/keepwarm/keepwarm-ics.so": ("f", 0o644),
        L + "/keepwarm/keepwarm-team.so": ("f", 0o644),
        L + "/keepwarm/keepwarm-keyring.so": ("f", 0o644),
        dirs["INCLUDEDIR"] + "/keepwarm.h": ("f", 0o644),
        dirs["MANDIR"] + "/man1/keepwarm.1": ("f", 0o644),
        # Thunderbird: the native-messaging host manifest and the add-on
        dirs["NATIVE_HOST_DIR"] + "/keepwarm.json": ("f", 0o644),
        D + "/keepwarm/keepwarm.xpi": ("f", 0o644),
    }
    # the one catalogue of the command, its words and the plugin:
    # $(DATADIR)/locale/LANG/LC_MESSAGES/keepwarm.mo
    mos = {p: v for p, v in got.items()
           if re.match(re.escape(D) + r"/locale/[^/]+/LC_MESSAGES/keepwarm\.mo$", p)}
    ok(D + "/locale/de/LC_MESSAGES/keepwarm.mo" in mos,
       "the translations are installed under DATADIR/locale", sorted(got))
    want.update({p: ("f", 0o644) for p in mos})
    if plugin:
        want[dirs["PLUGIN_DIR"] + "/keepwarm.so"] = ("f", 0o644)
    else:
        note("claws-mail.pc or gtk+-3.0.pc missing: the plugin is not built, not installed")
    is_(got, want, "installed files, modes and symlinks are exactly the expected ones")

    manifest = dest + dirs["NATIVE_HOST_DIR"] + "/keepwarm.json"
    if os.path.isfile(manifest):
        with open(manifest) as f:
            m = json.load(f)
        is_((m.get("name"), m.get("path"), m.get("allowed_extensions")),
            ("keepwarm", B + "/keepwarm", ["keepwarm@keepwarm.example.org"]),
            "the host manifest names the installed BINDIR/keepwarm and allows the add-on")
    exe = dest + B + "/keepwarm"
    lib = dest + L + "/libkeepwarm.so." + VERSION
    if os.path.isfile(exe):
        dyn = elf_checks(exe, "bin/keepwarm", exe=True)
        like(dyn, r"\(NEEDED\).*\[libkeepwarm\.so\.0\]", "bin/keepwarm links the shared libkeepwarm.so.0")
        like(dyn, r"\((?:RUNPATH|RPATH)\).*\[" + re.escape(L) + r"\]",
             "bin/keepwarm finds a library in a non-system LIBDIR through RUNPATH")
        env = dict(os.environ, LD_LIBRARY_PATH=dest + L)
        _, ldd, _ = run(["ldd", exe], env=env)
        like(ldd, r"libkeepwarm\.so\.0 => " + re.escape(dest + L), "ldd resolves libkeepwarm.so.0 to the installed copy")
        rc, out, err = run([exe, "--version"], env=env)
        ok(rc == 0 and out.startswith("keepwarm " + VERSION), "installed keepwarm --version runs", out, err)
        # The reading commands never load the network module, nor IMAP, TLS,
        # MIME or PostgreSQL libraries (LD_DEBUG=libs lists every object the
        # dynamic linker initialises, dlopen()ed ones too).
        home = tmpdir("kw-inst-libs-")
        db = os.path.join(home, "kw.db")
        envl = dict(env, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
        run([exe, "config", "default-cadence", "30", "--db", db], env=envl)
        for words in (["overdue", "--all"], ["team", "status"], ["team", "list"]):
            rc, out, err = run([exe] + words + ["--db", db], env=dict(envl, LD_DEBUG="libs"))
            inits = re.findall(r"calling init: (\S+)", err)
            heavy = [l for l in inits if re.search(r"keepwarm-sync|lib(pq|ssl|crypto|etpan|gnutls|gmime|ical)", l)]
            ok(rc == 0 and inits and not heavy,
               "keepwarm %s loads no network library (%d objects)" % (" ".join(words), len(inits)),
               "rc %d" % rc, *heavy)
    if os.path.isfile(lib):
        dyn = elf_checks(lib, "libkeepwarm.so." + VERSION, exe=False)
        like(dyn, r"\(SONAME\).*\[libkeepwarm\.so\.0\]", "library soname libkeepwarm.so.0")
    mod = dest + L + "/keepwarm/keepwarm-sync.so"
    if os.path.isfile(mod):
        elf_checks(mod, "keepwarm/keepwarm-sync.so", exe=False)
        _, syms, _ = run(["nm", "-D", "--defined-only", mod])
        is_(sorted(l.split()[-1] for l in syms.splitlines() if " T " in l or " D " in l or " B " in l),
            ["kw_record_sent@@KEEPWARM_SYNC_MODULE", "kw_sync_run@@KEEPWARM_SYNC_MODULE"],
            "the sync module exports kw_sync_run and kw_record_sent only")
        _, ldd, _ = run(["ldd", mod])
        ok(not re.search(r"libical|libicu|libstdc\+\+|libpq|libssl|libldap|libgssapi", ldd),
           "a sync loads no calendar or team libraries (libical, ICU, libstdc++, libpq, OpenSSL)", ldd)
    mod = dest + L + "/keepwarm/keepwarm-ics.so"
    if os.path.isfile(mod):
        dyn = elf_checks(mod, "keepwarm/keepwarm-ics.so", exe=False)
        like(dyn, r"\(NEEDED\).*\[libical\.so", "the calendar module links libical")
        _, syms, _ = run(["nm", "-D", "--defined-only", mod])
        is_(sorted(l.split()[-1] for l in syms.splitlines() if " T " in l or " D " in l or " B " in l),
            ["kw_import_ics@@KEEPWARM_ICS_MODULE"], "the calendar module exports kw_import_ics only")
    mod = dest + L + "/keepwarm/keepwarm-team.so"
    if os.path.isfile(mod):
        dyn = elf_checks(mod, "keepwarm/keepwarm-team.so", exe=False)
        like(dyn, r"\(NEEDED\).*\[libpq\.so", "the team module links libpq")
        ok(not re.search(r"NEEDED.*(libetpan|libgnutls|libgmime|libical)", dyn),
           "... and none of the sync's or the calendar's libraries", dyn)
        _, syms, _ = run(["nm", "-D", "--defined-only", mod])
        is_(sorted(l.split()[-1] for l in syms.splitlines() if " T " in l or " D " in l or " B " in l),
            sorted(n + "@@KEEPWARM_TEAM_MODULE" for n in
                   ("kw_team_init", "kw_team_add_member", "kw_team_remove_member", "kw_team_push",
                    "kw_team_pull", "kw_team_sync")),
            "the team module exports the team's server functions only")
    mod = dest + L + "/keepwarm/keepwarm-keyring.so"
    if os.path.isfile(mod):
        dyn = elf_checks(mod, "keepwarm/keepwarm-keyring.so", exe=False)
        like(dyn, r"\(NEEDED\).*\[libsecret-1\.so", "the keyring module links libsecret")
        _, syms, _ = run(["nm", "-D", "--defined-only", mod])
        is_(sorted(l.split()[-1] for l in syms.splitlines() if " T " in l or " D " in l or " B " in l),
            ["kw_keyring_module@@KEEPWARM_KEYRING_MODULE"], "the keyring module exports kw_keyring_module only")
    if os.path.isfile(exe):
        _, dyn, _ = run(["readelf", "-d", exe])
        ok(not re.search(r"NEEDED.*(libsecret|libgcrypt)", dyn),
           "bin/keepwarm itself needs no libsecret or libgcrypt (its keyring module does)", dyn)
    if os.path.isfile(lib):
        _, ldd, _ = run(["readelf", "-d", lib])
        ok(not re.search(r"NEEDED.*(libetpan|libgnutls|libgmime|libical|libpq|libssl)", ldd),
           "libkeepwarm.so.0 itself needs no IMAP, TLS, MIME, calendar or PostgreSQL library "
           "(the network module does)", ldd)
    if plugin and os.path.isfile(dest + dirs["PLUGIN_DIR"] + "/keepwarm.so"):
        elf_checks(dest + dirs["PLUGIN_DIR"] + "/keepwarm.so", "plugin keepwarm.so", exe=False)
    pc = dest + L + "/pkgconfig/keepwarm.pc"
    if os.path.isfile(pc):
        with open(pc) as f:
            text = f.read()
        like(text, r"(?m)^Version: " + re.escape(VERSION) + "$", "keepwarm.pc: Version")
        like(text, r"(?m)^libdir=" + re.escape(L) + "$", "keepwarm.pc: libdir is LIBDIR")
        like(text, r"(?m)^includedir=" + re.escape(dirs["INCLUDEDIR"]) + "$", "keepwarm.pc: includedir is INCLUDEDIR")

    rc, out, cmd = make("uninstall", *args)
    is_(rc, 0, "make uninstall with the same variables", " ".join(cmd), out[-4000:])
    is_(sorted(tree(dest)), [], "nothing is left after make uninstall")
    shutil.rmtree(root, ignore_errors=True)


def test_prefix():
    root = tmpdir("kw-prefix-")
    prefix = os.path.join(root, "prefix")
    # NATIVE_HOST_DIR is outside PREFIX by default (/usr/lib/mozilla/...): keep it inside.
    host_dir = "NATIVE_HOST_DIR=" + os.path.join(prefix, "lib", "mozilla", "native-messaging-hosts")
    rc, out, cmd = make("install", "PREFIX=" + prefix, "WITH_PLUGIN=no", host_dir)
    if not is_(rc, 0, "make install PREFIX=<tmp> (no DESTDIR)", " ".join(cmd), out[-4000:]):
        return
    exe = os.path.join(prefix, "bin", "keepwarm")
    env = dict(os.environ, LC_ALL="C")
    env.pop("LD_LIBRARY_PATH", None)
    env.pop("GNUTLS_SYSTEM_PRIORITY_FILE", None)
    rc, out, err = run([exe, "sync", "--help"], env=env)
    is_(rc, 0, "installed keepwarm runs without LD_LIBRARY_PATH", err)
    # The TLS floor is set in-process before GnuTLS initialises: the command
    # (linked to the shared library) must still hand GnuTLS its init hook.
    rc, out, err = run(["nm", "-D", "--defined-only", exe], env=env)
    like(out, r"(?m) T _gnutls_global_init_skip$",
         "installed keepwarm exports GnuTLS's init hook (TLS floor set in-process)", err)

    # A program built against the installed header and keepwarm.pc.
    src = os.path.join(root, "use.c")
    with open(src, "w") as f:
        f.write('#include <keepwarm.h>\n#include <stdio.h>\n#include <string.h>\n'
                'int main(void) {\n'
                '    printf("%s %s %s\\n", KW_VERSION, kw_status_to_string(KW_ERR_AUTH),\n'
                '           kw_status_to_string(kw_sync_run(NULL, NULL, NULL, NULL)));\n'
                '    return strcmp(kw_status_to_string(KW_OK), "ok") != 0;\n}\n')
    penv = dict(env, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    rc, flags, err = run(["pkg-config", "--cflags", "--libs", "keepwarm"], env=penv)
    ok(rc == 0 and "-lkeepwarm" in flags, "pkg-config finds the installed keepwarm.pc", flags, err)
    binp = os.path.join(root, "use")
    rc, out, err = run(["cc", "-Wall", "-o", binp, src] + flags.split()
                       + ["-Wl,-rpath," + os.path.join(prefix, "lib")], env=env)
    if ok(rc == 0, "a program compiles and links against the installed header and library", out, err):
        rc, out, err = run([binp], env=env)
        # "usage" comes from the sync module (loaded from LIBDIR/keepwarm); a
        # missing module would say "internal"
        is_((rc, out.strip()), (0, VERSION + " auth usage"),
            "and runs with the installed libkeepwarm.so.0, which finds its sync module", err)

    # The installed command finds its keyring module in PREFIX/lib/keepwarm:
    # without a Secret Service, setting up an account fails on the keyring
    # itself, not on loading the module.
    body = json.dumps({"id": 1, "cmd": "set-account", "host": "127.0.0.1", "user": "u", "password": "p"}).encode()
    kenv = dict(env, HOME=root, XDG_CONFIG_HOME=os.path.join(root, "cfg"), XDG_STATE_HOME=os.path.join(root, "st"),
                DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    r = subprocess.run([exe, "native-host"], input=struct.pack("=I", len(body)) + body, stdout=subprocess.PIPE,
                       env=kenv, timeout=60)
    ans = json.loads(r.stdout[4:]) if len(r.stdout) > 4 else {}
    err = (ans.get("error") or {})
    ok(err.get("code") == "keyring" and "keepwarm-keyring.so" not in err.get("message", ""),
       "installed keepwarm loads its keyring module from PREFIX/lib/keepwarm", ans)
    for d in ("cfg", "st"):
        shutil.rmtree(os.path.join(root, d), ignore_errors=True)

    rc, out, cmd = make("uninstall", "PREFIX=" + prefix, "WITH_PLUGIN=no", host_dir)
    is_(rc, 0, "make uninstall PREFIX=<tmp>", " ".join(cmd), out[-4000:])
    is_(sorted(tree(prefix)), [], "nothing is left after make uninstall")
    shutil.rmtree(root, ignore_errors=True)


def run_all():
    if not shutil.which("readelf") or not shutil.which("make"):
        skip_all("readelf (binutils) and make are needed")
    test_destdir(plugin_buildable())
    test_prefix()


if __name__ == "__main__":
    main(run_all)
