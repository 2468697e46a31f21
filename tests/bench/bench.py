#!/usr/bin/env python3
"""bench.py — `make bench` / `make bench-quick` (issue 7).

keepwarm against the physical limit (tests/bench/rawimap.c: the same UID FETCH of
the same header fields from the same folders, nothing parsed or stored) and
against peer tools, on deterministic seller mailboxes served by a loopback
Dovecot (tests/lib/kwtest.py). Every figure is the median of interleaved runs
(raw, keepwarm, raw, keepwarm, ...) with min and max. Prints a table with
PASS/MISS per target and writes build/bench/results.json. Never fails on a MISS.

    bench.py [--quick] [--runs N] [--sizes 10000,100000] [--no-peers]
             [--no-callgrind] [--cache DIR] [--out FILE]

Environment: BENCH_CACHE (mailbox cache; default .cache/bench in the source
tree), BENCH_PEERS=0 (skip mbsync/notmuch/mu), BENCH_RUNS, KW_BUILD.
"""

import argparse
import datetime as dt
import fcntl
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, HERE)

import kwtest  # noqa: E402

ME = "seller@mycompany.example"
ACCOUNT = "bench"

# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

T0 = time.monotonic()
GNU_TIME = "/usr/bin/time"


def log(*a):
    sys.stderr.write("[bench %6.1fs] %s\n" % (time.monotonic() - T0, " ".join(str(x) for x in a)))
    sys.stderr.flush()


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v), "runs": v}


def med(s):
    return s["median"] if s else None


def run_measured(cmd, env=None, pass_fds=(), cwd=None, stdin=subprocess.DEVNULL, timeout=None,
                 capture=True):
    """Run a command; wall time, CPU and peak RSS from the kernel (wait4 rusage)."""
    # Peak RSS comes from GNU time (%M): rusage of a child forked by Python would
    # include the pre-exec copy of this Python process (Linux keeps the larger
    # hiwater mark across exec), i.e. ~25 MB for every command.
    tf = tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False)
    tf.close()
    if os.path.exists(GNU_TIME):
        cmd = [GNU_TIME, "-q", "-f", "%M", "-o", tf.name] + list(cmd)
    t = time.monotonic()
    out_f = tempfile.TemporaryFile() if capture else subprocess.DEVNULL
    err_f = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=out_f, stderr=err_f, env=env, pass_fds=pass_fds, cwd=cwd)
    if timeout:
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.01)
    else:
        pid, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    out = ""
    if capture:
        out_f.seek(0)
        out = out_f.read().decode(errors="replace")
    err_f.seek(0)
    err = err_f.read().decode(errors="replace")
    rss = ru.ru_maxrss
    try:
        with open(tf.name) as f:
            lines = [x for x in f.read().split() if x.isdigit()]
        if lines:
            rss = int(lines[-1])
    except OSError:
        pass
    os.unlink(tf.name)
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "rss_kb": rss,
            "rc": p.returncode, "out": out, "err": err}


def dir_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def machine_info():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass

    def cmd_out(c):
        try:
            return subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  cwd=SRC, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    dirty = cmd_out(["git", "status", "--porcelain", "--", "core"])
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "mem_mb": mem,
            "python": platform.python_version(),
            "dovecot": cmd_out(["dovecot", "--version"]),
            "valgrind": cmd_out(["valgrind", "--version"]),
            "keepwarm_commit": cmd_out(["git", "rev-parse", "HEAD"]),
            "keepwarm_core_uncommitted_files": len(dirty.splitlines()) if dirty else 0,
            "loadavg_start": os.getloadavg()[0],
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


# --------------------------------------------------------------------------
# mailboxes (generated once into the cache)
# --------------------------------------------------------------------------

def profile_for(n):
    """The generator profile of a tier: the 1M tier is ten years of a busy seller."""
    return "big" if n >= 1000000 else "seller"


def mailbox(cache, n, seed=1):
    """Path of the cached seller mailbox of n messages and its metadata."""
    import gen_bench_mailbox
    os.makedirs(cache, exist_ok=True)
    profile = profile_for(n)
    name = "seller-%d-s%d-v%d%s" % (n, seed, gen_bench_mailbox.VERSION,
                                    "" if profile == "seller" else "-" + profile)
    path = os.path.join(cache, name)
    with open(os.path.join(cache, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(path, "meta.json")):
            log("generating the %d-message mailbox into %s (once)" % (n, path))
            t = time.monotonic()
            shutil.rmtree(path, ignore_errors=True)
            meta = gen_bench_mailbox.generate(path, n, seed=seed, log=log, profile=profile)
            log("generated %d messages, %.0f MB in %.0f s" % (meta["messages"], meta["bytes"] / 1e6,
                                                              time.monotonic() - t))
    with open(os.path.join(path, "meta.json")) as f:
        return path, json.load(f)


# --------------------------------------------------------------------------
# Dovecot
# --------------------------------------------------------------------------

class _DovecotStartShim:
    """kwtest.Dovecot.start() runs `dovecot -c` with stdout=PIPE; the daemonised
    master keeps that pipe as its stderr, so subprocess.run() never sees EOF and
    hangs. While starting, route that one call's output to a file instead."""

    def __init__(self, real, logfile):
        self._real = real
        self._logfile = logfile

    def __getattr__(self, name):
        return getattr(self._real, name)

    def run(self, cmd, *a, **kw):
        if cmd and os.path.basename(str(cmd[0])) == "dovecot" and kw.get("stdout") == self._real.PIPE:
            with open(self._logfile, "ab+") as f:
                off = f.tell()
                kw["stdout"] = f
                kw["stderr"] = f
                r = self._real.run(cmd, *a, **kw)
                f.seek(off)
                r.stdout = f.read()
            return r
        return self._real.run(cmd, *a, **kw)


class BenchDovecot(kwtest.Dovecot):
    def start(self, timeout=15):
        real = kwtest.subprocess
        kwtest.subprocess = _DovecotStartShim(real, os.path.join(self.workdir, "dovecot-start.out"))
        try:
            return super().start(timeout)
        finally:
            kwtest.subprocess = real

    def drop_cache(self):
        """Cold server cache: index kept, cached header fields deleted."""
        n = 0
        for root, _dirs, files in os.walk(self.index_dir):
            for f in files:
                if f == "dovecot.index.cache":
                    os.unlink(os.path.join(root, f))
                    n += 1
        return n


# --------------------------------------------------------------------------
# the clients
# --------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.build = kwtest.build_dir()
        self.kw = os.path.join(self.build, "keepwarm")
        self.raw = os.path.join(self.build, "bench", "rawimap")
        self.outdir = os.path.join(self.build, "bench")
        os.makedirs(self.outdir, exist_ok=True)
        self.env = kwtest.kw_env()
        self.notes = []

    # raw limit ---------------------------------------------------------------
    def raw_run(self, dv, tls=False, mode="fetch"):
        cmd = [self.raw, "--user", dv.user, "--password", dv.password, "--mode=" + mode]
        cmd += ["--port", str(dv.tls_port), "--tls", "--ca-file", dv.ca_file] if tls else ["--port", str(dv.port)]
        r = run_measured(cmd)
        if r["rc"] != 0:
            raise RuntimeError("rawimap failed: %s" % r["err"])
        info = json.loads(r["out"].strip().splitlines()[-1])
        r.update(messages=info["messages"], bytes=info["bytes"], folders=info["folders"])
        return r

    # keepwarm ------------------------------------------------------------------
    def kw_sync_cmd(self, dv, db, tls=False, progress="none"):
        cmd = [self.kw, "--db", db, "sync", "--host", "127.0.0.1", "--user", dv.user, "--account", ACCOUNT,
               "--me", ME, "--progress=" + progress]
        if tls:
            cmd += ["--port", str(dv.tls_port), "--tls=implicit", "--ca-file", dv.ca_file]
        else:
            cmd += ["--port", str(dv.port), "--tls=none"]
        return cmd

    def kw_sync(self, dv, db, tls=False, wrapper=(), timeout=None, env=None):
        os.makedirs(os.path.dirname(db), exist_ok=True)
        rfd, wfd = os.pipe()
        os.write(wfd, dv.password.encode())
        os.close(wfd)
        cmd = list(wrapper) + self.kw_sync_cmd(dv, db, tls) + ["--password-fd", str(rfd)]
        try:
            r = run_measured(cmd, env=env or self.env, pass_fds=(rfd,), timeout=timeout)
        finally:
            os.close(rfd)
        if r["rc"] != 0:
            raise RuntimeError("keepwarm sync failed (%d): %s" % (r["rc"], r["err"][-2000:]))
        return r

    def kw_query(self, db, args):
        r = run_measured([self.kw, "--db", db] + args, env=self.env)
        if r["rc"] != 0:
            raise RuntimeError("keepwarm %s failed (%d): %s" % (args[0], r["rc"], r["err"][-1000:]))
        return r

    def store_count(self, db, table):
        try:
            r = subprocess.run(["sqlite3", db, "SELECT count(*) FROM %s" % table], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            return int(r.stdout.strip())
        except (OSError, ValueError, subprocess.SubprocessError):
            return None

    # ------------------------------------------------------------------------------
    def full_sync_series(self, dv, work, runs, tls, cold):
        """Interleaved raw / keepwarm full syncs; returns (raw runs, kw runs, last db)."""
        raws, kws = [], []
        db = None
        for i in range(runs):
            if cold:
                dv.drop_cache()
            raws.append(self.raw_run(dv, tls))
            if db:
                shutil.rmtree(os.path.dirname(db), ignore_errors=True)
            db = os.path.join(work, "db-%s-%s-%d" % ("tls" if tls else "plain", "cold" if cold else "warm", i),
                              "keepwarm.db")
            if cold:
                dv.drop_cache()
            kws.append(self.kw_sync(dv, db, tls))
            log("  %s %s run %d/%d: raw %.3f s, keepwarm %.3f s (%.2fx)" % (
                "TLS" if tls else "plain", "cold" if cold else "warm", i + 1, runs, raws[-1]["wall"],
                kws[-1]["wall"], kws[-1]["wall"] / raws[-1]["wall"]))
        return raws, kws, db

    def summarize_pair(self, raws, kws):
        ratios = [k["wall"] / r["wall"] for r, k in zip(raws, kws)]
        return {"raw_s": stats([r["wall"] for r in raws]),
                "keepwarm_s": stats([k["wall"] for k in kws]),
                "ratio_of_medians": med(stats([k["wall"] for k in kws])) / med(stats([r["wall"] for r in raws])),
                "ratio_per_pair": stats(ratios),
                "keepwarm_cpu_s": stats([k["user"] + k["sys"] for k in kws]),
                "raw_cpu_s": stats([r["user"] + r["sys"] for r in raws]),
                "keepwarm_rss_mb": stats([k["rss_kb"] / 1024 for k in kws]),
                "raw_rss_mb": stats([r["rss_kb"] / 1024 for r in raws]),
                "messages": raws[0]["messages"], "bytes": raws[0]["bytes"], "folders": raws[0]["folders"]}

    def append_new(self, dv, k, corpus_inbox, rnd):
        """APPEND k new messages (copies of corpus messages with a fresh Message-ID)
        to INBOX from a second client."""
        files = sorted(os.listdir(corpus_inbox))
        c = dv.imap()
        try:
            for _ in range(k):
                with open(os.path.join(corpus_inbox, rnd.choice(files)), "rb") as f:
                    data = f.read()
                mid = b"<bench-new-%x@mail.example>" % rnd.getrandbits(64)
                data = re.sub(rb"(?im)^Message-ID:[^\r\n]*", b"Message-ID: " + mid, data, count=1)
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                typ, resp = c.append("INBOX", "(\\Seen)", kwtest.imaplib.Time2Internaldate(time.time()), data)
                if typ != "OK":
                    raise RuntimeError("APPEND failed: %r" % resp)
        finally:
            c.logout()

    # callgrind ------------------------------------------------------------------------
    def callgrind(self, dv, work, label):
        out = os.path.join(self.outdir, "callgrind-%s.out" % label)
        db = os.path.join(work, "db-callgrind", "keepwarm.db")
        shutil.rmtree(os.path.dirname(db), ignore_errors=True)
        wrapper = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--callgrind-out-file=" + out]
        r = self.kw_sync(dv, db, False, wrapper=wrapper, timeout=1800)
        msgs = self.store_count(db, "messages")
        res = {"file": out, "wall_s": r["wall"], "messages_stored": msgs}
        ann = subprocess.run(["callgrind_annotate", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True).stdout
        inc = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout
        with open(os.path.join(self.outdir, "callgrind-%s.self.txt" % label), "w") as f:
            f.write(ann)
        with open(os.path.join(self.outdir, "callgrind-%s.inclusive.txt" % label), "w") as f:
            f.write(inc)
        total = None
        m = re.search(r"^\s*([\d,]+)(?:\s+\([^)]*\))?\s+PROGRAM TOTALS", ann, re.M)
        if m:
            total = int(m.group(1).replace(",", ""))
        res["instructions"] = total

        def top(text, n):
            rows = []
            for line in text.splitlines():
                mm = re.match(r"^\s*([\d,]+)\s+(?:\(\s*([\d.]+)%\)\s+)?(\S.*?)\s*$", line)
                if not mm or "PROGRAM TOTALS" in line:
                    continue
                ir = int(mm.group(1).replace(",", ""))
                fn = mm.group(3)
                fn = re.sub(r"\s*\[[^\]]*\]$", "", fn)
                rows.append({"ir": ir, "share": ir / total if total else None, "function": fn})
                if len(rows) >= n:
                    break
            return rows

        res["top_self"] = top(ann, 25)
        res["top_inclusive"] = top(inc, 40)
        return res

    # peers --------------------------------------------------------------------------------
    def peers(self, dv, work, size):
        res = {}
        have = {t: shutil.which(t) for t in ("mbsync", "notmuch", "mu")}
        res["installed"] = {k: bool(v) for k, v in have.items()}
        if not have["mbsync"]:
            self.notes.append("peers skipped: mbsync (isync) is not installed")
            return res
        md = os.path.join(work, "peer-maildir")
        shutil.rmtree(md, ignore_errors=True)
        os.makedirs(md)
        conf = os.path.join(work, "mbsyncrc")
        with open(conf, "w") as f:
            f.write("""IMAPAccount bench
Host localhost
Port {port}
User {user}
Pass {pw}
SSLType IMAPS
CertificateFile {ca}

IMAPStore bench-remote
Account bench

MaildirStore bench-local
Path {md}/
Inbox {md}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-remote:
Near :bench-local:
Patterns * !Trash !Junk !Drafts
Create Near
Sync Pull
SyncState *
""".format(port=dv.tls_port, user=dv.user, pw=dv.password, ca=dv.ca_file, md=md))
        log("  peer: mbsync pulling the %d mailbox" % size)
        r = run_measured(["mbsync", "-c", conf, "-a"], env=self.env, timeout=3600)
        res["mbsync"] = {"wall_s": r["wall"], "rss_mb": r["rss_kb"] / 1024, "rc": r["rc"],
                         "maildir_mb": dir_size(md) / 1e6}
        if r["rc"] != 0:
            res["mbsync"]["error"] = r["err"][-500:]
            self.notes.append("mbsync failed: %s" % r["err"][-300:])
            return res
        if have["notmuch"]:
            cfg = os.path.join(work, "notmuch-config")
            with open(cfg, "w") as f:
                f.write("[database]\npath=%s\n[user]\nname=Sam Seller\nprimary_email=%s\n"
                        "[new]\ntags=unread;inbox;\nignore=.mbsyncstate;.uidvalidity\n"
                        "[maildir]\nsynchronize_flags=false\n" % (md, ME))
            env = dict(self.env, NOTMUCH_CONFIG=cfg)
            log("  peer: notmuch new")
            r1 = run_measured(["notmuch", "new", "--quiet"], env=env, timeout=7200)
            log("  peer: notmuch address")
            r2 = run_measured(["notmuch", "address", "--output=sender", "--output=recipients",
                               "--output=count", "--deduplicate=address", "*"], env=env, timeout=3600)
            res["notmuch"] = {"new_s": r1["wall"], "new_rss_mb": r1["rss_kb"] / 1024, "address_s": r2["wall"],
                              "address_rss_mb": r2["rss_kb"] / 1024, "rc": [r1["rc"], r2["rc"]],
                              "addresses": len(r2["out"].splitlines()),
                              "db_mb": dir_size(os.path.join(md, ".notmuch")) / 1e6,
                              "route_s": res["mbsync"]["wall_s"] + r1["wall"] + r2["wall"]}
            shutil.rmtree(os.path.join(md, ".notmuch"), ignore_errors=True)
        if have["mu"]:
            muhome = os.path.join(work, "muhome")
            shutil.rmtree(muhome, ignore_errors=True)
            r0 = run_measured(["mu", "init", "--muhome", muhome, "--maildir", md, "--my-address", ME],
                              env=self.env)
            log("  peer: mu index")
            r1 = run_measured(["mu", "index", "--muhome", muhome, "--quiet"], env=self.env, timeout=7200)
            r2 = run_measured(["mu", "cfind", "--muhome", muhome], env=self.env, timeout=600)
            res["mu"] = {"init_rc": r0["rc"], "index_s": r1["wall"], "index_rss_mb": r1["rss_kb"] / 1024,
                         "cfind_s": r2["wall"], "rc": [r1["rc"], r2["rc"]], "contacts": len(r2["out"].splitlines()),
                         "db_mb": dir_size(muhome) / 1e6,
                         "route_s": res["mbsync"]["wall_s"] + r0["wall"] + r1["wall"] + r2["wall"]}
            shutil.rmtree(muhome, ignore_errors=True)
        shutil.rmtree(md, ignore_errors=True)
        return res

    # one mailbox size ---------------------------------------------------------------------
    def bench_size(self, size):
        a = self.args
        corpus, meta = mailbox(a.cache, size)
        res = {"size": size, "mailbox": {k: meta.get(k) for k in ("generator", "messages", "bytes",
                                                                   "messages_read_by_keepwarm", "contacts",
                                                                   "domains", "folders_read")}}
        work = kwtest.tmpdir("kwbench-%d-" % size)
        served = os.path.join(work, "Maildir")
        t = time.monotonic()
        # Hard-linked copy: Dovecot and the APPENDs of the incremental test never
        # touch the cached corpus (messages are immutable files in Maildir).
        subprocess.run(["cp", "-al", corpus, served], check=True)
        os.unlink(os.path.join(served, "meta.json"))
        log("size %d: serving a hard-linked copy (%.1f s)" % (size, time.monotonic() - t))
        runs = a.runs
        os.makedirs(os.path.join(work, "dovecot"), mode=0o755)
        with BenchDovecot(maildir=served, workdir=os.path.join(work, "dovecot")) as dv:
            # First access ever: Dovecot builds its index and cache (informational).
            first = self.raw_run(dv)
            res["server_first_access_s"] = first["wall"]
            log("  first access (index build) %.2f s, %d messages, %d folders, %.1f MB" % (
                first["wall"], first["messages"], first["folders"], first["bytes"] / 1e6))
            self.raw_run(dv)  # settle the cache decisions

            # (1)+(2) full syncs, plain: cold then warm
            out = {}
            for tls in ([False, True] if not a.no_tls else [False]):
                for cold in (True, False):
                    if not cold:
                        self.raw_run(dv, tls)  # warm the cache again after the cold series
                    raws, kws, db = self.full_sync_series(dv, work, runs, tls, cold)
                    key = "%s_%s" % ("tls" if tls else "plain", "cold" if cold else "warm")
                    out[key] = self.summarize_pair(raws, kws)
                    if key == "plain_warm":
                        last_db = db
            res["full_sync"] = out
            msgs = self.store_count(last_db, "messages")
            res["store"] = {"messages": msgs, "contacts": self.store_count(last_db, "contacts"),
                            "interactions": self.store_count(last_db, "interactions"),
                            "db_bytes": os.path.getsize(last_db),
                            "wal_bytes": os.path.getsize(last_db + "-wal") if os.path.exists(last_db + "-wal") else 0}
            res["store"]["bytes_per_message"] = res["store"]["db_bytes"] / msgs if msgs else None

            # (3) nothing new, and K new messages
            nothing, raw_status = [], []
            for _ in range(max(runs, 5)):
                raw_status.append(self.raw_run(dv, mode="status"))
                nothing.append(self.kw_sync(dv, last_db))
            res["nothing_new"] = {"keepwarm_s": stats([r["wall"] for r in nothing]),
                                  "keepwarm_rss_mb": stats([r["rss_kb"] / 1024 for r in nothing]),
                                  "raw_login_list_status_s": stats([r["wall"] for r in raw_status]),
                                  "folders": raw_status[0]["folders"]}
            log("  nothing new: keepwarm %.1f ms (raw LOGIN+LIST+STATUS loop %.1f ms)" % (
                1000 * med(res["nothing_new"]["keepwarm_s"]), 1000 * med(res["nothing_new"]["raw_login_list_status_s"])))
            K = 100
            rnd = random.Random(size)
            knew = []
            for _ in range(max(runs, 5)):
                self.append_new(dv, K, os.path.join(corpus, "cur"), rnd)
                knew.append(self.kw_sync(dv, last_db))
            res["k_new"] = {"k": K, "keepwarm_s": stats([r["wall"] for r in knew]),
                            "keepwarm_rss_mb": stats([r["rss_kb"] / 1024 for r in knew])}
            log("  %d new: keepwarm %.1f ms" % (K, 1000 * med(res["k_new"]["keepwarm_s"])))

            # (4) queries on the store
            as_of = dt.datetime.fromtimestamp(meta.get("last_date", time.time()) + 86400,
                                              dt.timezone.utc).strftime("%Y-%m-%d")
            ov, ct = [], []
            for _ in range(max(runs, 5)):
                ov.append(self.kw_query(last_db, ["overdue", "--as-of", as_of, "--format=json"]))
                ct.append(self.kw_query(last_db, ["contacts", "--all", "--format=json"]))
            n_over = n_cont = None
            try:
                n_over = len(json.loads(ov[-1]["out"]))
                n_cont = len(json.loads(ct[-1]["out"]))
            except (ValueError, TypeError):
                pass
            res["queries"] = {"as_of": as_of, "overdue_s": stats([r["wall"] for r in ov]),
                              "overdue_rss_mb": stats([r["rss_kb"] / 1024 for r in ov]), "overdue_rows": n_over,
                              "contacts_all_s": stats([r["wall"] for r in ct]),
                              "contacts_all_rss_mb": stats([r["rss_kb"] / 1024 for r in ct]),
                              "contacts_rows": n_cont,
                              "store_contacts": self.store_count(last_db, "contacts")}
            log("  overdue %.1f ms (%s rows), contacts --all %.1f ms (%s rows)" % (
                1000 * med(res["queries"]["overdue_s"]), n_over, 1000 * med(res["queries"]["contacts_all_s"]), n_cont))

            # (7) callgrind, 10k warm
            if not a.no_callgrind and size == min(a.sizes):
                if shutil.which("valgrind"):
                    log("  callgrind of keepwarm sync (warm server)")
                    self.raw_run(dv)
                    cg = self.callgrind(dv, work, "keepwarm-%d" % size)
                    n = cg.get("messages_stored") or res["full_sync"]["plain_warm"]["messages"]
                    cg["instructions_per_message"] = cg["instructions"] / n if cg.get("instructions") and n else None
                    res["callgrind"] = cg
                    log("  callgrind: %s instructions, %.0f per message" % (cg["instructions"],
                                                                           cg["instructions_per_message"] or 0))
                else:
                    self.notes.append("callgrind skipped: valgrind is not installed")
            # (8) peers last: they take minutes and nothing after them is timed
            if not a.no_peers and size in a.peer_sizes:
                log("  peers (each once)")
                res["peers"] = self.peers(dv, work, size)
        shutil.rmtree(work, ignore_errors=True)
        return res


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

def fmt_s(s, unit="s"):
    if not s:
        return "-"
    if unit == "ms":
        return "%.1f ms [%.1f–%.1f]" % (1000 * s["median"], 1000 * s["min"], 1000 * s["max"])
    return "%.3f s [%.3f–%.3f]" % (s["median"], s["min"], s["max"])


def evaluate(results):
    """Targets of issue 7: [(name, measured text, PASS/MISS/n/a)]."""
    sizes = {r["size"]: r for r in results["sizes"]}
    big = sizes.get(max(sizes)) if sizes else None
    t = []

    def add(name, value, limit, text, ok):
        t.append({"target": name, "measured": text, "value": value, "limit": limit,
                  "result": "n/a" if ok is None else ("PASS" if ok else "MISS")})

    at = big["size"] if big else None
    for key, lim, label in (("plain_cold", 1.10, "first sync, cold server cache"),
                            ("plain_warm", 1.5, "full sync, warm server cache"),
                            ("tls_cold", 1.10, "TLS first sync, cold cache"),
                            ("tls_warm", 1.5, "TLS full sync, warm cache")):
        fs = big and big["full_sync"].get(key)
        if fs:
            v = fs["ratio_of_medians"]
            add("%s ≤ %.2f× raw @%dk" % (label, lim, at // 1000), v, lim,
                "%.2f× (%.3f s vs %.3f s)" % (v, med(fs["keepwarm_s"]), med(fs["raw_s"])), v <= lim)
    nn = big and big.get("nothing_new")
    if nn:
        v = med(nn["keepwarm_s"]) * 1000
        add("nothing new ≤ 40 ms (%d folders)" % nn["folders"], v, 40, "%.1f ms" % v, v <= 40)
    kn = big and big.get("k_new")
    if kn:
        v = med(kn["keepwarm_s"]) * 1000
        lim = 40 + 0.1 * kn["k"]
        add("%d new ≤ %.0f ms" % (kn["k"], lim), v, lim, "%.1f ms" % v, v <= lim)
    fs = big and big["full_sync"].get("plain_warm")
    if fs:
        peak = max(max(f["keepwarm_rss_mb"]["max"] for f in big["full_sync"].values()), 0)
        add("peak RSS ≤ 32 MB @%dk" % (at // 1000), peak, 32, "%.1f MB" % peak, peak <= 32)
    q = big and big.get("queries")
    if q:
        v = med(q["overdue_s"]) * 1000
        add("overdue ≤ 20 ms (5k contacts; store has %s)" % q.get("store_contacts"), v, 20,
            "%.1f ms" % v, v <= 20)
    pe = big and big.get("peers")
    if pe and (pe.get("notmuch") or pe.get("mu")):
        kwt = med(big["full_sync"]["plain_cold"]["keepwarm_s"])
        routes = [(n, pe[n]["route_s"]) for n in ("notmuch", "mu") if pe.get(n)]
        fastest = min(routes, key=lambda x: x[1])
        v = fastest[1] / kwt
        add("≥ 100× faster than peers @%dk" % (at // 1000), v, 100,
            "%.0f× (fastest peer route %s %.0f s vs keepwarm first sync %.2f s)" % (v, fastest[0], fastest[1], kwt),
            v >= 100)
    else:
        add("≥ 100× faster than peers", None, 100, "not measured (quick mode, BENCH_PEERS=0 or not installed)", None)
    cg = None
    for r in results["sizes"]:
        if r.get("callgrind"):
            cg = r["callgrind"]
    if cg and cg.get("instructions_per_message"):
        v = cg["instructions_per_message"]
        add("≤ 80k instructions/message (callgrind)", v, 80000, "%.0fk" % (v / 1000), v <= 80000)
    else:
        add("≤ 80k instructions/message (callgrind)", None, 80000, "not measured", None)
    return t


def print_report(results):
    w = sys.stdout.write
    m = results["machine"]
    w("\nkeepwarm bench — %s, %d CPUs (%s), kernel %s, commit %s%s\n" % (
        m["date"], m["nproc"], m["cpu"], m["kernel"], (m["keepwarm_commit"] or "?")[:12],
        " (+%d uncommitted files in core/)" % m["keepwarm_core_uncommitted_files"]
        if m["keepwarm_core_uncommitted_files"] else ""))
    w("median [min–max] of %d interleaved runs; ratio = keepwarm median / raw median\n" % results["runs"])
    for r in results["sizes"]:
        mb = r["mailbox"]
        w("\n== %d messages (%s read by keepwarm, %.0f MB, %s contacts at %s domains) ==\n" % (
            r["size"], mb.get("messages_read_by_keepwarm"), (mb.get("bytes") or 0) / 1e6, mb.get("contacts"),
            mb.get("domains")))
        w("server first access (index build, raw client): %.2f s\n" % r["server_first_access_s"])
        w("%-22s %-28s %-28s %7s %9s %9s\n" % ("full sync", "raw limit", "keepwarm", "ratio", "kw CPU", "kw RSS"))
        for key, fs in r["full_sync"].items():
            w("%-22s %-28s %-28s %6.2fx %8.2fs %7.1fMB\n" % (
                key.replace("_", " "), fmt_s(fs["raw_s"]), fmt_s(fs["keepwarm_s"]), fs["ratio_of_medians"],
                med(fs["keepwarm_cpu_s"]), fs["keepwarm_rss_mb"]["max"]))
        fs = r["full_sync"].get("plain_warm")
        if fs:
            w("  %d messages, %.1f MB of header fields (%.0f B/msg), %d folders; raw client RSS %.1f MB\n" % (
                fs["messages"], fs["bytes"] / 1e6, fs["bytes"] / max(fs["messages"], 1), fs["folders"],
                fs["raw_rss_mb"]["max"]))
        st = r["store"]
        w("store: %s messages, %s contacts, %s interactions; %.1f MB on disk (%.0f B/msg) + WAL %.1f MB\n" % (
            st["messages"], st["contacts"], st["interactions"], st["db_bytes"] / 1e6,
            st["bytes_per_message"] or 0, st["wal_bytes"] / 1e6))
        nn = r["nothing_new"]
        w("nothing new (%d folders): keepwarm %s, RSS %.1f MB; raw LOGIN+LIST+STATUS×%d %s\n" % (
            nn["folders"], fmt_s(nn["keepwarm_s"], "ms"), nn["keepwarm_rss_mb"]["max"], nn["folders"],
            fmt_s(nn["raw_login_list_status_s"], "ms")))
        kn = r["k_new"]
        w("%d new messages: keepwarm %s, RSS %.1f MB\n" % (kn["k"], fmt_s(kn["keepwarm_s"], "ms"),
                                                           kn["keepwarm_rss_mb"]["max"]))
        q = r["queries"]
        w("overdue --as-of %s: %s (%s rows, RSS %.1f MB); contacts --all: %s (%s rows, RSS %.1f MB)\n" % (
            q["as_of"], fmt_s(q["overdue_s"], "ms"), q["overdue_rows"], q["overdue_rss_mb"]["max"],
            fmt_s(q["contacts_all_s"], "ms"), q["contacts_rows"], q["contacts_all_rss_mb"]["max"]))
        cg = r.get("callgrind")
        if cg:
            w("callgrind (keepwarm sync, warm, plain): %s instructions = %.0f per message\n" % (
                format(cg["instructions"] or 0, ","), cg["instructions_per_message"] or 0))
            w("  top functions (self):\n")
            for row in cg["top_self"][:12]:
                w("    %5.1f%%  %s\n" % (100 * (row["share"] or 0), row["function"][:100]))
        pe = r.get("peers")
        if pe:
            if pe.get("mbsync"):
                w("peers: mbsync %.1f s (%.0f MB maildir, RSS %.0f MB)\n" % (
                    pe["mbsync"]["wall_s"], pe["mbsync"]["maildir_mb"], pe["mbsync"]["rss_mb"]))
            if pe.get("notmuch"):
                n = pe["notmuch"]
                w("  + notmuch new %.1f s (RSS %.0f MB, db %.0f MB) + notmuch address %.2f s = %.1f s\n" % (
                    n["new_s"], n["new_rss_mb"], n["db_mb"], n["address_s"], n["route_s"]))
            if pe.get("mu"):
                n = pe["mu"]
                w("  + mu index %.1f s (RSS %.0f MB, db %.0f MB) + mu cfind %.2f s = %.1f s\n" % (
                    n["index_s"], n["index_rss_mb"], n["db_mb"], n["cfind_s"], n["route_s"]))
            kwt = med(r["full_sync"]["plain_cold"]["keepwarm_s"])
            for n in ("notmuch", "mu"):
                if pe.get(n):
                    w("  keepwarm first sync (cold) is %.0f× faster than mbsync+%s\n" % (pe[n]["route_s"] / kwt, n))
    w("\ntargets (issue 7):\n")
    for t in results["targets"]:
        w("  %-4s  %-52s %s\n" % (t["result"], t["target"], t["measured"]))
    for n in results["notes"]:
        w("note: %s\n" % n)
    w("\nresults: %s (took %.0f s)\n" % (results["file"], results["seconds"]))
    sys.stdout.flush()


def serve(size, cache):
    """Serve a cached mailbox from a throwaway Dovecot until SIGINT/SIGTERM:
    for profiling by hand (callgrind, strace, perf) against the bench's data."""
    import signal
    corpus, meta = mailbox(cache, size)
    work = kwtest.tmpdir("kwbench-serve-%d-" % size)
    served = os.path.join(work, "Maildir")
    subprocess.run(["cp", "-al", corpus, served], check=True)
    os.unlink(os.path.join(served, "meta.json"))
    os.makedirs(os.path.join(work, "dovecot"), mode=0o755)
    pwfile = os.path.join(work, "password")
    with BenchDovecot(maildir=served, workdir=os.path.join(work, "dovecot")) as dv:
        with open(pwfile, "w") as f:
            f.write(dv.password)
        sys.stdout.write("KW_BENCH_PORT=%d KW_BENCH_TLS_PORT=%d KW_BENCH_USER=%s KW_BENCH_PASSWORD_FILE=%s "
                         "KW_BENCH_CA=%s KW_BENCH_INDEX=%s\n" % (dv.port, dv.tls_port, dv.user, pwfile,
                                                                  dv.ca_file, dv.index_dir))
        sys.stdout.write("e.g. build/keepwarm --db /tmp/kw.db sync --host 127.0.0.1 --port %d --tls=none "
                         "--user %s --account bench --me %s --password-fd 3 3<%s\n"
                         % (dv.port, dv.user, ME, pwfile))
        sys.stdout.flush()
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10k only, 3 runs, no peers, no callgrind")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "0") or 0))
    ap.add_argument("--sizes", default=None, help="comma-separated message counts (default 10000,100000)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--no-tls", action="store_true")
    ap.add_argument("--cache", default=os.environ.get("BENCH_CACHE") or os.path.join(SRC, ".cache", "bench"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--serve", type=int, metavar="N", default=None,
                    help="only serve the N-message mailbox until interrupted (prints how to reach it)")
    a = ap.parse_args()
    if a.serve:
        return serve(a.serve, os.path.abspath(a.cache))
    if a.quick:
        a.sizes = a.sizes or "10000"
        a.runs = a.runs or 3
        a.no_peers = True
        a.no_callgrind = True
    a.sizes = [int(x) for x in (a.sizes or "10000,100000").split(",")]
    a.runs = a.runs or 5
    a.cache = os.path.abspath(a.cache)
    if os.environ.get("BENCH_PEERS", "1") == "0":
        a.no_peers = True
    a.peer_sizes = set(a.sizes)

    b = Bench(a)
    for exe in (b.kw, b.raw):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s is missing; run `make all bench-tools`" % exe)
    if not shutil.which("dovecot"):
        sys.exit("bench: dovecot is not installed (apt-get install dovecot-imapd)")
    out = a.out or os.path.join(b.outdir, "results.json")
    results = {"machine": machine_info(), "runs": a.runs, "quick": a.quick, "sizes": [], "notes": b.notes,
               "file": out}
    if a.no_peers:
        b.notes.append("peers not run (%s)" % ("quick mode" if a.quick else "BENCH_PEERS=0 / --no-peers"))
    for size in a.sizes:
        results["sizes"].append(b.bench_size(size))
    results["targets"] = evaluate(results)
    results["seconds"] = time.monotonic() - T0
    results["machine"]["loadavg_end"] = os.getloadavg()[0]
    with open(out + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(out + ".tmp", out)
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
