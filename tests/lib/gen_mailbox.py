#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen_mailbox — a deterministic, seeded seller's mailbox as Maildir files, plus its truth.

Command line:
    gen_mailbox.py --out DIR [--messages N] [--seed S] [--me ADDR] [--now ISO]
                   [--years Y] [--layout maildir++|fs] [--folders A,B,...]
                   [--body-min BYTES --body-max BYTES] [--companies N]
  writes DIR/Maildir/ (served by kwtest.Dovecot(maildir=DIR/Maildir)) and DIR/truth.json.

Library:
    import gen_mailbox as g
    box = g.generate(messages=300, seed=1)          # a Mailbox: .messages, .people, .now, ...
    box.write(DIR)                                  # DIR/Maildir + DIR/truth.json; returns truth
    g.expected_contacts(box.truth())                # what `keepwarm contacts --all` must say
  Building blocks for other generators (scenario tests):
    p = g.Person("jane@acme.com", "Jane Doe", kind="customer")
    m = g.Message(folder="INBOX", frm=p, to=[me], date=EPOCH, subject="Hi")   # .raw() -> bytes
    g.make_message(frm, to, date, subject, ...) -> bytes
    g.write_maildir(ROOT, [Message...], layout="maildir++")
    g.truth_of(messages, me=[...], now=EPOCH) -> dict;  g.expected_contacts(truth)

Truth (JSON): {"me": [...], "own_domains": [...], "now": ISO, "folders": {name: {...}},
  "excluded_folders": [...], "people": {email: {name, kind, org, expected_kind}},
  "messages": [{folder, file, from, from_name, from_kind, from_raw, to, cc, bcc, date,
                internaldate, message_id, in_reply_to, subject, kind, flags, copy}]}
Dates are ISO 8601 UTC ("2024-03-01T10:00:00Z"). Message kinds: customer, colleague,
newsletter, notifier, ooo, cold_outreach, broken_from, trash, draft, junk.
Person kinds: self, customer, freemail_customer, colleague, newsletter, notifier,
prospect, spammer (only in Trash/Junk), draft_only (only in Drafts).
"""

import argparse
import base64
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_ME = "seller@mycompany.example"
DEFAULT_NOW = "2025-06-02T09:00:00Z"
DEFAULT_FOLDERS = ("INBOX", "Sent", "Archive", "Archive/2024", "Kunden/Müller",
                   "Trash", "Drafts", "Junk")
# Folders a sync must not read (SPECIAL-USE \Trash, \Drafts, \Junk in the fixture).
EXCLUDED_FOLDERS = ("Trash", "Drafts", "Junk")
SPECIAL = {"Sent": "\\Sent", "Trash": "\\Trash", "Drafts": "\\Drafts", "Junk": "\\Junk",
           "Archive": "\\Archive"}

# Person kind -> the `kind` keepwarm's contacts command must report.
EXPECTED_KIND = {"self": "self", "customer": "person", "freemail_customer": "person",
                 "prospect": "person", "colleague": "colleague", "newsletter": "list",
                 "notifier": "automated", "spammer": "person", "draft_only": "person"}

FREEMAIL = {"gmail.com", "gmx.de", "web.de", "outlook.com", "yahoo.com", "icloud.com",
            "t-online.de", "googlemail.com", "hotmail.com"}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------

def iso(ts):
    t = time.gmtime(int(ts))
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % t[:6]


def parse_iso(s):
    import calendar
    return calendar.timegm(time.strptime(s.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ"))


def rfc5322_date(ts, tz_minutes=0):
    t = time.gmtime(int(ts) + tz_minutes * 60)
    sign = "+" if tz_minutes >= 0 else "-"
    off = abs(tz_minutes)
    return "%s, %d %s %04d %02d:%02d:%02d %s%02d%02d" % (
        _DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min,
        t.tm_sec, sign, off // 60, off % 60)


_ATEXT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")


def encode_name(name, charset="utf-8", method="Q"):
    """A display name as a header phrase: atoms as is, specials quoted, non-ASCII as
    RFC 2047 encoded words (charset utf-8 or iso-8859-1, method Q or B)."""
    if not name:
        return ""
    if all(ord(c) < 128 for c in name):
        if all(c in _ATEXT for c in name):
            return name
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raw = name.encode(charset)
    if method.upper() == "B":
        return "=?%s?B?%s?=" % (charset.upper(), base64.b64encode(raw).decode())
    out = []
    for b in raw:
        c = chr(b)
        if c == " ":
            out.append("_")
        elif b < 128 and (c.isalnum() or c in "!*+-/"):
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset.upper(), "".join(out))


def encode_text(text, charset="utf-8"):
    """Unstructured header text: as is when ASCII, else one RFC 2047 B encoded word
    per 30 characters (so lines stay short)."""
    if all(ord(c) < 128 for c in text):
        return text
    words = []
    for i in range(0, len(text), 30):
        words.append("=?%s?B?%s?=" % (charset.upper(), base64.b64encode(text[i:i + 30].encode(charset)).decode()))
    return "\n ".join(words)


def mutf7_encode(s):
    """IMAP modified UTF-7 (how Dovecot names folders on disk)."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=").replace("/", ",") + "-")
            del buf[:]

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def folder_dir(root, folder, layout="maildir++"):
    """Directory of a folder in a Maildir tree (separator '/' in folder names)."""
    if folder.upper() == "INBOX":
        return root
    enc = mutf7_encode(folder)
    if layout == "maildir++":
        return os.path.join(root, "." + enc.replace("/", "."))
    if layout == "fs":
        return os.path.join(root, *enc.split("/"))
    raise ValueError("layout must be maildir++ or fs")


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

class Person:
    """A correspondent. `kind` is a person kind (see module doc); `org` the expected
    organisation key (registrable domain, the address for freemail)."""
    __slots__ = ("email", "name", "kind", "org", "tz", "charset", "method", "_hdr", "company")

    def __init__(self, email, name=None, kind="customer", org=None, tz=None, charset="utf-8",
                 method="Q", company=None):
        self.email = email.lower()
        self.name = name
        self.kind = kind
        dom = self.email.rsplit("@", 1)[-1]
        if org is None:
            org = self.email if dom in FREEMAIL else registrable_guess(dom)
        self.org = org
        self.tz = tz
        self.charset = charset
        self.method = method
        self.company = company
        self._hdr = None

    def header(self):
        """'Name <addr>' with the name encoded as needed (cached)."""
        if self._hdr is None:
            n = encode_name(self.name, self.charset, self.method) if self.name else ""
            self._hdr = "%s <%s>" % (n, self.email) if n else self.email
        return self._hdr

    def __repr__(self):
        return "Person(%r, %r, %r)" % (self.email, self.name, self.kind)


_TWO_LEVEL = {"co.uk", "org.uk", "ac.uk", "co.at", "or.at", "com.au", "co.nz", "co.jp"}


def registrable_guess(domain):
    """Registrable domain for the domains this generator uses (the public suffix
    list decides in keepwarm; unknown TLDs like .example follow its '*' rule)."""
    parts = domain.split(".")
    if len(parts) >= 3 and ".".join(parts[-2:]) in _TWO_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def make_message(frm, to, date, subject, message_id=None, cc=(), bcc=(), in_reply_to=None,
                 references=(), extra_headers=(), body="", tz_minutes=0, from_raw=None,
                 date_header=None):
    """RFC 5322 message bytes (LF line ends, as Maildir stores them).
    frm/to/cc/bcc: Person objects or preformatted strings; date: UTC epoch seconds."""
    def addr(x):
        return x.header() if isinstance(x, Person) else str(x)

    h = []
    if from_raw is not None:
        h.append("From: " + from_raw)
    elif frm is not None:
        h.append("From: " + addr(frm))
    if to:
        h.append("To: " + ",\n ".join(addr(x) for x in to))
    if cc:
        h.append("Cc: " + ",\n ".join(addr(x) for x in cc))
    if bcc:
        h.append("Bcc: " + ",\n ".join(addr(x) for x in bcc))
    h.append("Subject: " + encode_text(subject))
    h.append("Date: " + (date_header or rfc5322_date(date, tz_minutes)))
    if message_id:
        h.append("Message-ID: <%s>" % message_id)
    if in_reply_to:
        h.append("In-Reply-To: <%s>" % in_reply_to)
    if references:
        h.append("References: " + "\n ".join("<%s>" % r for r in references))
    for k, v in extra_headers:
        h.append("%s: %s" % (k, v))
    h.append("MIME-Version: 1.0")
    h.append("Content-Type: text/plain; charset=utf-8")
    h.append("Content-Transfer-Encoding: 8bit")
    if not body.endswith("\n"):
        body += "\n"
    return ("\n".join(h) + "\n\n" + body).encode("utf-8")


class Message:
    """One message placed in one folder. `raw()` renders it (cached).
    A copy of the same message in another folder: m.copy_to("Archive")."""
    __slots__ = ("folder", "frm", "to", "cc", "bcc", "date", "internaldate", "subject",
                 "message_id", "in_reply_to", "references", "extra_headers", "body", "flags",
                 "kind", "tz_minutes", "from_raw", "copy", "file", "_raw")

    def __init__(self, folder, frm, to, date, subject, message_id=None, cc=(), bcc=(),
                 in_reply_to=None, references=(), extra_headers=(), body="", flags="S",
                 kind="customer", tz_minutes=0, from_raw=None, internaldate=None):
        self.folder = folder
        self.frm = frm
        self.to = list(to)
        self.cc = list(cc)
        self.bcc = list(bcc)
        self.date = int(date)
        self.internaldate = int(internaldate if internaldate is not None else date)
        self.subject = subject
        self.message_id = message_id
        self.in_reply_to = in_reply_to
        self.references = list(references)
        self.extra_headers = list(extra_headers)
        self.body = body
        self.flags = flags
        self.kind = kind
        self.tz_minutes = tz_minutes
        self.from_raw = from_raw
        self.copy = False
        self.file = None
        self._raw = None

    def raw(self):
        if self._raw is None:
            self._raw = make_message(self.frm, self.to, self.date, self.subject, self.message_id,
                                     self.cc, self.bcc, self.in_reply_to, self.references,
                                     self.extra_headers, self.body, self.tz_minutes, self.from_raw)
        return self._raw

    def copy_to(self, folder, flags=None):
        m = Message(folder, self.frm, self.to, self.date, self.subject, self.message_id, self.cc,
                    self.bcc, self.in_reply_to, self.references, self.extra_headers, self.body,
                    self.flags if flags is None else flags, self.kind, self.tz_minutes,
                    self.from_raw, self.internaldate)
        m._raw = self._raw
        m.copy = True
        return m

    def truth(self):
        def em(p):
            return p.email if isinstance(p, Person) else str(p)
        frm = self.frm.email if isinstance(self.frm, Person) and self.from_raw is None else None
        return {"folder": self.folder, "file": self.file, "from": frm,
                "from_name": self.frm.name if frm else None,
                "from_raw": self.from_raw,
                "to": [em(p) for p in self.to], "cc": [em(p) for p in self.cc],
                "bcc": [em(p) for p in self.bcc],
                "date": iso(self.date), "internaldate": iso(self.internaldate),
                "message_id": self.message_id, "in_reply_to": self.in_reply_to,
                "subject": self.subject, "kind": self.kind, "flags": self.flags,
                "copy": self.copy}


def write_maildir(root, messages, layout="maildir++", set_mtime=True):
    """Write messages as Maildir files under root (created): cur/<unique>:2,<flags>,
    file mtime = INTERNALDATE. Sets m.file (path relative to root). Returns the
    folders written {name: directory}."""
    root = os.path.abspath(root)
    dirs = {}
    seq = 0
    for m in messages:
        d = dirs.get(m.folder)
        if d is None:
            d = folder_dir(root, m.folder, layout)
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(d, sub), exist_ok=True)
            if d != root and layout == "maildir++":
                open(os.path.join(d, "maildirfolder"), "a").close()
            dirs[m.folder] = d
        seq += 1
        data = m.raw()
        name = "%d.M%dP0.kwgen,S=%d:2,%s" % (m.internaldate, seq, len(data),
                                             "".join(sorted(m.flags)))
        path = os.path.join(d, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        if set_mtime:
            os.utime(path, (m.internaldate, m.internaldate))
        m.file = os.path.relpath(path, root)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    return dirs


def ensure_folders(root, folders, layout="maildir++"):
    """Create empty folders (so they exist even without messages)."""
    for f in folders:
        d = folder_dir(root, f, layout)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if d != root and layout == "maildir++":
            open(os.path.join(d, "maildirfolder"), "a").close()


def truth_of(messages, me, now, people=None, folders=None, excluded=EXCLUDED_FOLDERS,
             own_domains=None, extra=None):
    """The truth dict for a list of Messages (see the module doc)."""
    me = [m.lower() for m in ([me] if isinstance(me, str) else me)]
    if people is None:
        people = {}
        for m in messages:
            for p in [m.frm] + m.to + m.cc + m.bcc:
                if isinstance(p, Person):
                    people.setdefault(p.email, p)
    if own_domains is None:
        own_domains = sorted({a.split("@")[1] for a in me if a.split("@")[1] not in FREEMAIL})
    fold = {}
    for m in messages:
        f = fold.setdefault(m.folder, {"special_use": SPECIAL.get(m.folder), "messages": 0})
        f["messages"] += 1
    for f in folders or ():
        fold.setdefault(f, {"special_use": SPECIAL.get(f), "messages": 0})
    t = {"generator": "gen_mailbox.py", "version": 1, "me": me, "own_domains": own_domains,
         "now": iso(now), "folders": fold, "excluded_folders": list(excluded),
         "people": {e: {"name": p.name, "kind": p.kind, "org": p.org,
                        "expected_kind": EXPECTED_KIND.get(p.kind, "person")}
                    for e, p in sorted(people.items())},
         "messages": [m.truth() for m in messages]}
    for mt in t["messages"]:  # the kind of correspondent, for convenience
        p = t["people"].get(mt["from"]) if mt["from"] else None
        mt["from_kind"] = p["kind"] if p else None
    if extra:
        t.update(extra)
    return t


def expected_contacts(truth, excluded=None, count_autoreplies=True):
    """What `keepwarm contacts --all --format=json` must report, from a truth dict.

    Returns (contacts, info): contacts = {email: {email, name, org, kind, last_inbound,
    last_outbound, inbound, outbound}} for every address with at least one interaction
    (self excluded); info = {"mentioned": addresses in read folders (may be listed with
    zero counts), "excluded_only": addresses seen only in excluded folders (must never be
    listed), "self": the user's addresses, "messages": distinct messages read}.
    Rules: folders in `excluded` are not read; a Message-ID seen twice counts once;
    From is mine => outbound to every To/Cc/Bcc address except mine; otherwise inbound
    from From; no usable From => nothing."""
    excluded = set(truth["excluded_folders"] if excluded is None else excluded)
    me = set(truth["me"])
    people = truth["people"]
    seen = set()
    acc = {}
    mentioned = set()
    everywhere = set()
    n = 0

    def rec(email):
        r = acc.get(email)
        if r is None:
            p = people.get(email, {})
            r = acc[email] = {"email": email, "name": p.get("name"), "org": p.get("org"),
                              "kind": p.get("expected_kind", "person"), "last_inbound": None,
                              "last_outbound": None, "inbound": 0, "outbound": 0}
        return r

    for m in truth["messages"]:
        addrs = ([m["from"]] if m["from"] else []) + m["to"] + m["cc"] + m.get("bcc", [])
        everywhere.update(addrs)
        if m["folder"] in excluded:
            continue
        mentioned.update(addrs)
        key = m["message_id"] or (m["date"], m["from"], m["subject"])
        if key in seen:
            continue
        seen.add(key)
        n += 1
        if not m["from"]:
            continue
        if m["kind"] == "ooo" and not count_autoreplies:
            continue
        if m["from"] in me:
            for a in m["to"] + m["cc"] + m.get("bcc", []):
                if a in me:
                    continue
                r = rec(a)
                r["outbound"] += 1
                if r["last_outbound"] is None or m["date"] > r["last_outbound"]:
                    r["last_outbound"] = m["date"]
        else:
            r = rec(m["from"])
            r["inbound"] += 1
            if r["last_inbound"] is None or m["date"] > r["last_inbound"]:
                r["last_inbound"] = m["date"]
    info = {"mentioned": sorted(mentioned), "excluded_only": sorted(everywhere - mentioned),
            "self": sorted(me), "messages": n}
    return acc, info


# --------------------------------------------------------------------------
# The seller profile
# --------------------------------------------------------------------------

_FIRST = ["Anna", "Jürgen", "Bärbel", "Thomas", "Sabine", "Michael", "Günther", "Claudia",
          "Stefan", "Katrin", "Jörg", "Petra", "Oliver", "Sophie", "James", "Emily", "Oliver",
          "Charlotte", "Harry", "Amelia", "Lukas", "Lea", "Maximilian", "Jürgen", "Zoë",
          "François", "Renée", "Ömer", "Ayşe", "Niklas", "Hannah", "David", "Laura", "Paul",
          "Marie", "Felix", "Julia", "Tobias", "Miriam", "Sven"]
_LAST = ["Müller", "Schmidt", "Köhler", "Weiß", "Becker", "Hoffmann", "Schäfer", "Koch",
         "Richter", "Wagner", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson",
         "Krüger", "Groß", "Böhm", "Lange", "Fischer", "Meyer", "Schulz", "Neumann", "Wolf",
         "Zimmermann", "Braun", "Hartmann", "Lehmann", "Walker", "Evans", "Hughes", "Dupont",
         "Yılmaz", "Öztürk", "Lindqvist", "Novák", "Kowalski", "Rossi", "Fernández"]
_CO_A = ["Brandt", "Keller", "Nordlicht", "Harbour", "Sonnen", "Alpen", "Rhein", "Elbe",
         "Thames", "Kestrel", "Falken", "Eichen", "Birken", "Lindgren", "Weser", "Isar",
         "Pennine", "Severn", "Granit", "Kupfer", "Silber", "Blau", "Grün", "Stern", "Atlas",
         "Orion", "Vega", "Castle", "Bridge", "Mill"]
_CO_B = ["maschinen", "logistik", "systems", "tools", "werk", "bau", "tech", "foods",
         "print", "energy", "medical", "optics", "plastics", "consulting", "design",
         "freight", "textil", "metall", "software", "labs"]
_TLDS = [".de", ".de", ".de", ".com", ".co.uk", ".co.uk", ".at", ".ch", ".nl", ".com"]
_SUBJECTS = ["Angebot {n}", "Rückfrage zu Auftrag {n}", "Lieferung KW {w}", "Quote request {n}",
             "Order {n} – delivery date", "Rahmenvertrag {y}", "Ersatzteile für Anlage {n}",
             "Meeting next week", "Preisliste {y}", "Invoice {n}", "Reklamation {n}",
             "Projekt {n}: nächste Schritte", "Samples for trial", "Wartungstermin",
             "Follow-up on our call", "Bestellung {n}"]
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ç": "c",
                           "ë": "e", "ı": "i", "ş": "s", "á": "a", "ñ": "n", "Ä": "ae",
                           "Ö": "oe", "Ü": "ue", "Ø": "o", "å": "a"})


def _local(first, last):
    return ("%s.%s" % (first, last)).lower().translate(_TRANSLIT).replace(" ", "")


def _tz_for(domain, rnd):
    if domain.endswith(".co.uk"):
        return "uk"
    if domain.endswith(".com") and rnd.random() < 0.3:
        return "us"
    return "eu"


def _tz_minutes(zone, ts):
    m = time.gmtime(ts).tm_mon
    summer = 4 <= m <= 10
    return {"uk": 60 if summer else 0, "us": -240 if summer else -300,
            "eu": 120 if summer else 60, "utc": 0}.get(zone, 0)


class Mailbox:
    """A generated mailbox: messages (in generation order), people, me, now, folders."""

    def __init__(self, messages, people, me, now, folders, layout, seed, params):
        self.messages = messages
        self.people = people
        self.me = me
        self.now = now
        self.folders = list(folders)
        self.layout = layout
        self.seed = seed
        self.params = params

    def write(self, out_dir, truth_name="truth.json"):
        """DIR/Maildir + DIR/truth.json; returns the truth dict."""
        root = os.path.join(out_dir, "Maildir")
        os.makedirs(root, exist_ok=True)
        write_maildir(root, self.messages, self.layout)
        ensure_folders(root, self.folders, self.layout)
        t = self.truth()
        with open(os.path.join(out_dir, truth_name), "w") as f:
            json.dump(t, f, ensure_ascii=False, indent=0)
        return t

    def truth(self):
        return truth_of(self.messages, self.me, self.now, people=self.people,
                        folders=self.folders,
                        excluded=[f for f in EXCLUDED_FOLDERS if f in self.folders],
                        extra={"seed": self.seed, "layout": self.layout, "params": self.params})


class _Gen:
    def __init__(self, seed, n, me, now, years, folders, layout, body_min, body_max, companies):
        self.rnd = random.Random(seed)
        self.seed = seed
        self.n = n
        self.now = now
        self.start = now - int(years * 365 * 86400)
        self.folders = list(folders)
        self.fset = set(folders)
        self.layout = layout
        self.body_min = body_min
        self.body_max = body_max
        self.msgs = []
        self.people = {}
        self.mid = 0
        me_dom = me.split("@")[1]
        self.me = self.person(me, "Sam Seller", "self", tz="eu")
        self.me_domain = me_dom
        self._make_text()
        self._make_people(companies)
        self.extra_folders = [f for f in folders if f not in ("INBOX", "Sent", "Archive")
                              and f not in EXCLUDED_FOLDERS and not f.startswith("Archive/")
                              and not f.startswith("Kunden/")]

    # -- people ---------------------------------------------------------------
    def person(self, email, name, kind, tz="eu", company=None, charset="utf-8", method="Q"):
        email = email.lower()
        p = self.people.get(email)
        if p is None:
            p = Person(email, name, kind, tz=tz, charset=charset, method=method, company=company)
            self.people[email] = p
        return p

    def _name(self):
        r = self.rnd
        return r.choice(_FIRST), r.choice(_LAST)

    def _make_people(self, companies):
        r = self.rnd
        n = self.n
        ncomp = companies if companies else max(15, n // 40)
        self.companies = []
        used = set()
        # A customer whose mail is filed in "Kunden/Müller".
        if "Kunden/Müller" in self.fset:
            dom = "mueller-feinmechanik.de"
            used.add(dom)
            c = {"domain": dom, "name": "Müller Feinmechanik GmbH", "people": [], "folder": "Kunden/Müller"}
            c["people"].append(self.person("j.mueller@" + dom, "Jürgen Müller", "customer", "eu", dom,
                                           "utf-8", "Q"))
            c["people"].append(self.person("t.weber@" + dom, None, "customer", "eu", dom))
            c["people"].append(self.person("b.koehler@" + dom, "Bärbel Köhler", "customer", "eu", dom,
                                           "iso-8859-1", "Q"))
            self.companies.append(c)
        while len(self.companies) < ncomp:
            dom = (r.choice(_CO_A) + r.choice(["", "-"]) + r.choice(_CO_B)).lower().translate(_TRANSLIT)
            if len(used) > 500:
                dom += str(len(self.companies))
            dom += r.choice(_TLDS)
            if dom in used:
                continue
            used.add(dom)
            c = {"domain": dom, "name": dom.split(".")[0].capitalize(), "people": [], "folder": None}
            k = 1 + min(int(r.expovariate(0.6)), 5)
            tz = _tz_for(dom, r)
            for i in range(k):
                first, last = self._name()
                addr_dom = dom
                if i == 1 and r.random() < 0.3:
                    addr_dom = "mail." + dom  # a subdomain: same organisation
                email = "%s@%s" % (_local(first, last), addr_dom)
                if email in self.people:
                    continue
                charset, method = ("utf-8", "Q")
                x = r.random()
                if x < 0.15:
                    charset = "iso-8859-1"
                elif x < 0.35:
                    method = "B"
                try:
                    ("%s %s" % (first, last)).encode(charset)
                except UnicodeEncodeError:
                    charset = "utf-8"
                name = "%s %s" % (first, last)
                if r.random() < 0.1:
                    name = "%s, %s" % (last, first)  # needs quoting
                c["people"].append(self.person(email, name, "customer", tz, dom, charset, method))
            if c["people"]:
                self.companies.append(c)
        self.freemail = []
        for i in range(max(5, n // 400)):
            first, last = self._name()
            dom = "gmail.com" if i % 4 else "gmx.de"
            email = "%s%s@%s" % (_local(first, last), "" if i < 5 else str(i), dom)
            if email not in self.people:
                self.freemail.append(self.person(email, "%s %s" % (first, last), "freemail_customer", "eu"))
        self.colleagues = []
        for first, last in [("Kim", "Kollege"), ("Lena", "Vertrieb"), ("Max", "Technik"),
                            ("Ute", "Buchhaltung"), ("Ole", "Lager")][:max(2, min(5, 1 + n // 80))]:
            self.colleagues.append(self.person("%s.%s@%s" % (first.lower(), last.lower(), self.me_domain),
                                               "%s %s" % (first, last), "colleague", "eu"))
        for i in range(5, max(5, n // 5000)):
            self.colleagues.append(self.person("staff%d@%s" % (i, self.me_domain), "Staff %d" % i,
                                               "colleague", "eu"))
        self.newsletters = []
        for addr, name, lid in [("weekly@tradenews.example", "Trade News Weekly", "weekly.tradenews.example"),
                                ("digest@maschinenmarkt.example", "Maschinenmarkt Digest", "digest.maschinenmarkt.example"),
                                ("eventdigest@industry-events.example", "Industry Events", "events.industry-events.example"),
                                ("crmtips@crm-vendor.example", "CRM Vendor Tips", "tips.crm-vendor.example")]:
            p = self.person(addr, name, "newsletter", "utc")
            self.newsletters.append((p, lid))
        self.notifiers = [self.person("noreply@billing.saas-invoices.example", "Invoices", "notifier", "utc"),
                          self.person("no-reply@calendar.meetly.example", "Meetly", "notifier", "utc")]
        self.prospects = []
        for i in range(max(4, n // 60)):
            first, last = self._name()
            dom = "%s%s.com" % (r.choice(_CO_A).lower(), r.choice(["corp", "group", "ag", "ltd"]))
            dom = dom.translate(_TRANSLIT)
            email = "%s@%s" % (_local(first, last), dom)
            if email in self.people:
                continue
            self.prospects.append(self.person(email, "%s %s" % (first, last), "prospect", _tz_for(dom, r)))

    # -- helpers ----------------------------------------------------------------
    def _make_text(self):
        r = random.Random(self.seed * 7919 + 1)
        words = ("der die und wir Ihnen Angebot Lieferung bitte danke gerne Termin Preis "
                 "the and we you quote delivery please thanks meeting price order parts "
                 "machine project schedule invoice contract samples update next week").split()
        lines, size = [], 0
        while size < 96 * 1024:
            ln = " ".join(r.choice(words) for _ in range(r.randint(6, 12)))
            lines.append(ln.capitalize() + ".")
            size += len(ln) + 2
        self.text = "\n".join(lines) + "\n"

    def body(self, greeting):
        r = self.rnd
        size = r.randint(self.body_min, self.body_max)
        parts = [greeting, ""]
        remaining = max(0, size - len(greeting) - 30)
        while remaining > 0:
            take = min(remaining, len(self.text) - 1)
            off = r.randrange(0, len(self.text) - take)
            parts.append(self.text[off:off + take])
            remaining -= take
        parts.append("\n-- \nSent from keepwarm's test generator\n")
        return "\n".join(parts)

    def new_mid(self, domain):
        self.mid += 1
        return "%d.%x.%d@%s" % (self.mid, self.rnd.getrandbits(32), self.seed, domain)

    def rand_time(self, lo=None, hi=None):
        lo = self.start if lo is None else lo
        hi = self.now - 3600 if hi is None else hi
        ts = self.rnd.randint(lo, max(lo, hi))
        # office hours-ish, keep it simple: shift nights to the morning
        hour = time.gmtime(ts).tm_hour
        if hour < 6:
            ts += (7 - hour) * 3600
        return min(ts, self.now - 60)

    def inbound_folder(self, ts, company=None):
        if company and company.get("folder") and company["folder"] in self.fset:
            return company["folder"]
        r = self.rnd
        if self.extra_folders and r.random() < 0.15:
            return r.choice(self.extra_folders)
        year = time.gmtime(ts).tm_year
        y = "Archive/%d" % year
        if y in self.fset:
            return y
        if ts < self.now - 180 * 86400 and "Archive" in self.fset:
            return "Archive"
        return "INBOX"

    def inbox_flags(self, ts):
        r = self.rnd.random()
        if ts > self.now - 14 * 86400 and r < 0.4:
            return ""
        if r < 0.05:
            return "FS"
        if r < 0.08:
            return "RS"
        return "S"

    def add(self, m):
        self.msgs.append(m)
        return m

    def out_msg(self, to, ts, subject, cc=(), in_reply_to=None, references=(), kind="customer",
                greeting="Hallo,"):
        mid = self.new_mid(self.me_domain)
        return self.add(Message("Sent", self.me, to, ts, subject, mid, cc=cc, in_reply_to=in_reply_to,
                                references=references, body=self.body(greeting), flags="S", kind=kind,
                                tz_minutes=_tz_minutes("eu", ts)))

    def in_msg(self, frm, ts, subject, to=None, cc=(), in_reply_to=None, references=(),
               kind="customer", company=None, extra=(), folder=None, greeting="Hello,"):
        mid = self.new_mid(frm.email.split("@")[1])
        folder = folder or self.inbound_folder(ts, company)
        flags = self.inbox_flags(ts) if folder == "INBOX" else "S"
        return self.add(Message(folder, frm, to or [self.me], ts, subject, mid, cc=cc,
                                in_reply_to=in_reply_to, references=references, extra_headers=extra,
                                body=self.body(greeting), flags=flags, kind=kind,
                                tz_minutes=_tz_minutes(frm.tz or "utc", ts)))

    def subject(self):
        r = self.rnd
        return r.choice(_SUBJECTS).format(n=r.randint(1000, 99999), w=r.randint(1, 52),
                                          y=r.randint(2023, 2025))

    # -- events -------------------------------------------------------------
    def customer_thread(self, freemail=False):
        r = self.rnd
        if freemail:
            p = r.choice(self.freemail)
            company = None
            others = []
        else:
            company = r.choice(self.companies)
            p = r.choice(company["people"])
            others = [q for q in company["people"] if q is not p]
        ts = self.rand_time()
        subj = self.subject()
        length = 1 + min(int(r.expovariate(0.5)), 6)
        inbound = r.random() < 0.55
        refs = []
        for i in range(length):
            if ts >= self.now - 60:
                break
            s = subj if i == 0 else "Re: " + subj
            irt = refs[-1] if refs else None
            if inbound:
                cc = [r.choice(others)] if others and r.random() < 0.15 else []
                if r.random() < 0.1 and self.colleagues:
                    cc.append(r.choice(self.colleagues))
                m = self.in_msg(p, ts, s, cc=cc, in_reply_to=irt, references=list(refs),
                                company=company, greeting="Hallo Herr Seller,")
                if r.random() < 0.04 and m.folder == "INBOX" and "Archive" in self.fset:
                    self.add(m.copy_to("Archive"))  # the same message filed twice
            else:
                cc = [r.choice(others)] if others and r.random() < 0.15 else []
                if r.random() < 0.1 and self.colleagues:
                    cc.append(r.choice(self.colleagues))
                m = self.out_msg([p], ts, s, cc=cc, in_reply_to=irt, references=list(refs),
                                 greeting="Hallo %s," % (p.name or ""))
            refs.append(m.message_id)
            inbound = not inbound
            ts += r.randint(1800, 5 * 86400)

    def colleague_exchange(self):
        r = self.rnd
        c = r.choice(self.colleagues)
        ts = self.rand_time()
        subj = r.choice(["Urlaubsplanung", "Messe {y}", "Kundenliste", "Quartalszahlen", "Team-Meeting"])
        subj = subj.format(y=r.randint(2023, 2025))
        if r.random() < 0.5:
            m = self.in_msg(c, ts, subj, kind="colleague", greeting="Hi Sam,")
            if r.random() < 0.6 and ts + 7200 < self.now:
                self.out_msg([c], ts + r.randint(600, 7200), "Re: " + subj, in_reply_to=m.message_id,
                             references=[m.message_id], kind="colleague", greeting="Hi,")
        else:
            self.out_msg([c], ts, subj, kind="colleague", greeting="Hi,")

    def newsletter(self):
        r = self.rnd
        p, lid = r.choice(self.newsletters)
        ts = self.rand_time()
        dom = p.email.split("@")[1]
        extra = [("List-Id", "%s <%s>" % (p.name, lid)),
                 ("List-Unsubscribe", "<mailto:unsubscribe@%s>, <https://%s/u/%d>" % (dom, dom, r.randint(1, 10 ** 6))),
                 ("Precedence", "bulk")]
        self.in_msg(p, ts, "%s – Ausgabe %d" % (p.name, r.randint(1, 300)), kind="newsletter", extra=extra,
                    greeting="Newsletter")

    def notifier(self):
        r = self.rnd
        p = r.choice(self.notifiers)
        ts = self.rand_time()
        extra = [("Auto-Submitted", "auto-generated")]
        if r.random() < 0.5:
            extra.append(("Return-Path", "<bounces+%d@%s>" % (r.randint(1, 10 ** 6), p.email.split("@")[1])))
        self.in_msg(p, ts, "Ihre Rechnung %d" % r.randint(10000, 99999) if "billing" in p.email
                    else "Erinnerung: Termin", kind="notifier", extra=extra, greeting="Automatisch erzeugt.")

    def cold_outreach(self, p=None):
        r = self.rnd
        p = p or r.choice(self.prospects)
        ts = self.rand_time()
        self.out_msg([p], ts, "Kurze Vorstellung: %s" % r.choice(["Ersatzteile", "Wartung", "Automation"]),
                     kind="cold_outreach", greeting="Sehr geehrte Damen und Herren,")

    def ooo(self):
        """I write to a customer, their auto-reply comes back, later a real answer."""
        r = self.rnd
        company = r.choice(self.companies)
        p = company["people"][0]
        ts = self.rand_time(hi=self.now - 10 * 86400)
        subj = self.subject()
        m = self.out_msg([p], ts, subj, greeting="Hallo,")
        auto = self.in_msg(p, ts + r.randint(5, 120),
                           r.choice(["Abwesenheitsnotiz: ", "Automatic reply: ", "Out of Office: "]) + subj,
                           in_reply_to=m.message_id, references=[m.message_id], kind="ooo", company=company,
                           extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
                           greeting="Ich bin bis zum Monatsende nicht im Büro.")
        auto.flags = "S"
        self.in_msg(p, ts + r.randint(7, 9) * 86400, "Re: " + subj, in_reply_to=m.message_id,
                    references=[m.message_id], company=company, greeting="Zurück aus dem Urlaub.")

    def specials(self):
        """Fixed edge cases present in every mailbox of >= ~60 messages."""
        r = self.rnd
        fs = self.fset
        # Trash: mail from addresses that appear nowhere else (must never be listed).
        if "Trash" in fs:
            for addr, name in [("deals@cheap-leads.example", "Deal Alert"),
                               ("trash.only@forgotten-vendor.de", "Theo Trash")]:
                p = self.person(addr, name, "spammer", "utc")
                ts = self.rand_time()
                self.add(Message("Trash", p, [self.me], ts, "Sonderangebot", self.new_mid(addr.split("@")[1]),
                                 body=self.body("Hallo"), flags="S", kind="trash"))
        if "Drafts" in fs:
            p = self.person("draft.only@never-sent.example", "Dora Draft", "draft_only", "utc")
            ts = self.now - 2 * 86400
            self.add(Message("Drafts", self.me, [p], ts, "Entwurf: Angebot", self.new_mid(self.me_domain),
                             body=self.body("Hallo Dora,"), flags="DS", kind="draft",
                             tz_minutes=_tz_minutes("eu", ts)))
        if "Junk" in fs:
            p = self.person("winner@lottery-spam.example", "You Won", "spammer", "utc")
            self.add(Message("Junk", p, [self.me], self.rand_time(), "You won!!!",
                             self.new_mid("lottery-spam.example"), body=self.body("Congratulations"),
                             flags="", kind="junk"))
        # A broken From: no address at all.
        ts = self.rand_time(lo=self.now - 90 * 86400)
        self.add(Message("INBOX", None, [self.me], ts, "Kaputter Absender", self.new_mid("broken.invalid"),
                         body=self.body("?"), flags="S", kind="broken_from",
                         from_raw='"Mailer (broken header <no address here'))
        # Out-of-office replies, cold outreach, a duplicate.
        self.ooo()
        self.ooo()
        for p in self.prospects[:3]:
            self.cold_outreach(p)
        # Müller: one inbound + one outbound at least (non-ASCII folder is read).
        if "Kunden/Müller" in fs:
            c = self.companies[0]
            p = c["people"][0]
            ts = self.rand_time(lo=self.now - 200 * 86400)
            m = self.in_msg(p, ts, "Anfrage Präzisionsteile", company=c, greeting="Guten Tag,")
            self.out_msg([p], ts + 3 * 3600, "Re: Anfrage Präzisionsteile", in_reply_to=m.message_id,
                         references=[m.message_id], cc=[c["people"][2]], greeting="Guten Tag Herr Müller,")
        # Archive/2024: a 2024 thread.
        if "Archive/2024" in fs:
            c = self.companies[-1]
            p = c["people"][0]
            ts = max(self.start, parse_iso("2024-05-14T08:30:00Z"))
            m = self.in_msg(p, ts, "Anfrage 2024", company=c)
            self.out_msg([p], ts + 86400, "Re: Anfrage 2024", in_reply_to=m.message_id,
                         references=[m.message_id])
        # A message filed twice (INBOX and Archive).
        c = self.companies[1 % len(self.companies)]
        ts = self.now - 5 * 86400
        m = self.in_msg(c["people"][0], ts, "Doppelt abgelegt", company=c, folder="INBOX")
        if "Archive" in fs:
            self.add(m.copy_to("Archive"))
        # A freemail customer exchange.
        p = self.freemail[0]
        ts = self.rand_time(lo=self.now - 60 * 86400)
        m = self.in_msg(p, ts, "Frage zu Ihrem Angebot", greeting="Hallo,")
        self.out_msg([p], ts + 5 * 3600, "Re: Frage zu Ihrem Angebot", in_reply_to=m.message_id,
                     references=[m.message_id])
        # A newsletter and a notifier, at least one each.
        self.newsletter()
        self.notifier()

    def run(self):
        r = self.rnd
        if self.n >= 40:
            self.specials()
        events = [(self.customer_thread, 50), (lambda: self.customer_thread(True), 8),
                  (self.colleague_exchange, 10), (self.newsletter, 15), (self.notifier, 7),
                  (self.cold_outreach, 5), (self.ooo, 1)]
        total = sum(w for _, w in events)
        while len(self.msgs) < self.n:
            x = r.random() * total
            for fn, w in events:
                x -= w
                if x < 0:
                    fn()
                    break
        del self.msgs[self.n:]
        # Ensure no message is dated after now (threads were cut above).
        return self.msgs


def generate(messages=300, seed=1, me=DEFAULT_ME, now=DEFAULT_NOW, years=2,
             folders=DEFAULT_FOLDERS, layout="maildir++", body_min=80, body_max=400,
             companies=None):
    """Generate (but do not write) a seller's mailbox. `now` is an ISO string or epoch."""
    if isinstance(now, str):
        now = parse_iso(now)
    g = _Gen(seed, messages, me, int(now), years, folders, layout, body_min, body_max, companies)
    msgs = g.run()
    params = {"messages": messages, "years": years, "folders": list(folders), "body_min": body_min,
              "body_max": body_max, "companies": companies}
    return Mailbox(msgs, g.people, [me.lower()], int(now), folders, layout, seed, params)


# --------------------------------------------------------------------------
# A small seller's history with known shapes, for the mail-client tests
# (Claws Mail, Thunderbird): messages are APPENDed to a live Dovecot.
# --------------------------------------------------------------------------

_DAY = 86400


def simple_message(frm, to, subject, when, msgid, extra=""):
    """A plain-text message (str, CRLF) for IMAP APPEND; `extra` adds header lines."""
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%s"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
            % (frm, to, subject, date, msgid, extra))


def seller_messages(now, me=DEFAULT_ME):
    """[(folder, raw, when)] relative to `now` (epoch), oldest first:
    ACME (jane@acme.example, every 3 weeks, silent for 93 days -> overdue),
    Globex (monthly, an unanswered mail 6 days ago -> awaiting your reply),
    Initech (every 2 weeks, last exchange 3 days ago -> fine, not listed),
    Bob Builder (bob.builder@gmail.com, every 2 months, silent 130 days ->
    overdue person), and a newsletter (news@lists.example: never a relationship)."""
    msgs = []
    n = [0]

    def pair(them, name, first_ago, last_ago, every, reply=True, subject="Order"):
        t = now - first_ago * _DAY
        while t <= now - last_ago * _DAY + 1:
            n[0] += 1
            msgs.append(("INBOX", simple_message('"%s" <%s>' % (name, them), me, "%s %d" % (subject, n[0]),
                                                 t, "in%d@kw.test" % n[0]), t))
            if reply:
                msgs.append(("Sent", simple_message('"Sam Seller" <%s>' % me, them,
                                                    "Re: %s %d" % (subject, n[0]), t + 3600 * 5,
                                                    "out%d@kw.test" % n[0]), t + 3600 * 5))
            t += every * _DAY
    pair("jane@acme.example", "Jane Doe", 93 + 21 * 10, 93, 21)
    pair("hank@globex.example", "Hank Scorpio", 36 + 30 * 6, 36, 30)
    n[0] += 1
    msgs.append(("INBOX", simple_message('"Hank Scorpio" <hank@globex.example>', me, "Quote please",
                                         now - 6 * _DAY, "globex-open@kw.test"), now - 6 * _DAY))
    pair("bill@initech.example", "Bill Lumbergh", 3 + 14 * 12, 3, 14)
    pair("bob.builder@gmail.com", "Bob Builder", 130 + 60 * 4, 130, 60)
    for i in range(5):
        t = now - (5 + 7 * i) * _DAY
        msgs.append(("INBOX", simple_message('"Deals" <news@lists.example>', me, "Deals %d" % i, t,
                                             "news%d@kw.test" % i,
                                             "List-Unsubscribe: <mailto:unsub@lists.example>\r\n"
                                             "Precedence: bulk\r\n"), t))
    msgs.sort(key=lambda m: m[2])
    return msgs


def write_seller_maildir(root, now, me=DEFAULT_ME):
    """seller_messages(now) as a Maildir tree under root (for kwtest.Dovecot),
    with the usual special folders; INTERNALDATE = the message's time."""
    class _Raw:
        def __init__(self, folder, raw, when):
            self.folder, self._raw, self.internaldate = folder, raw.encode(), int(when)
            self.flags, self.file = {"S"}, None

        def raw(self):
            return self._raw
    write_maildir(root, [_Raw(*m) for m in seller_messages(now, me)])
    ensure_folders(root, ("Sent", "Trash", "Drafts", "Junk", "Archive"))
    return root


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory (gets Maildir/ and truth.json)")
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--me", default=DEFAULT_ME)
    ap.add_argument("--now", default=DEFAULT_NOW, help="ISO 8601 UTC end of the mailbox's history")
    ap.add_argument("--years", type=float, default=2)
    ap.add_argument("--layout", choices=("maildir++", "fs"), default="maildir++")
    ap.add_argument("--folders", default=",".join(DEFAULT_FOLDERS),
                    help="comma-separated folder names ('/' separates levels)")
    ap.add_argument("--body-min", type=int, default=80)
    ap.add_argument("--body-max", type=int, default=400)
    ap.add_argument("--companies", type=int, default=None)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    folders = [f for f in a.folders.split(",") if f]
    box = generate(a.messages, a.seed, a.me, a.now, a.years, folders, a.layout, a.body_min,
                   a.body_max, a.companies)
    truth = box.write(a.out)
    if not a.quiet:
        print("wrote %d messages in %d folders to %s/Maildir (truth: %s/truth.json) in %.1fs"
              % (len(box.messages), len(truth["folders"]), a.out, a.out, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
