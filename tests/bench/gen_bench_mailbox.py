#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen_bench_mailbox — deterministic seller mailboxes for `make bench` (stdlib only).

Used by tests/bench/bench.py only when the shared generator tests/lib/gen_mailbox.py
is not available. Same seed and size => byte-identical files.

Layout: Maildir++ (what kwtest.Dovecot serves by default); 13 folders keepwarm reads
(INBOX, Sent, Archive, Archive/2022, Archive/2023, Customers, Customers/Key Accounts,
Suppliers, Team, Newsletters, Notifications, Projects, Travel) plus Trash, Junk and
Drafts (skipped by keepwarm). Messages live in cur/ with ":2,S"; the file mtime is the
INTERNALDATE.

Mix: ~2,000 contacts at ~400 organisations (10% at freemail domains), threads with
In-Reply-To/References, replies from the seller in Sent, colleagues at the seller's
own domain, newsletters (List-Id, List-Unsubscribe, Precedence: bulk), automated
notifications (Auto-Submitted), out-of-office replies, RFC 2047 names and subjects.
Bodies 1-20 KB of text; ~8% carry a base64 attachment (20-300 KB).

Profile "big" (the 1M tier: ten years of a busy seller, or a shared sales mailbox):
~20,000 contacts at ~4,000 organisations, ten years, one archive folder per year
(Archive/2014 ... Archive/2023) and a Shared/Sales folder: 21 folders read, Sent and
Newsletters above 200,000 messages at 1M. Same headers; bodies 0.3-3 KB and few,
small attachments, because keepwarm reads headers only and 1M files must fit a disk.

    generate(path, n_messages, seed=1, profile="seller") -> metadata dict (also meta.json)
"""

import base64
import json
import math
import os
import random
import sys
import time

VERSION = 1
ME = "seller@mycompany.example"
ME_NAME = "Sam Seller"
OWN_DOMAIN = "mycompany.example"
END = 1719590400  # 2024-06-28T16:00:00Z
SPAN = 3 * 365 * 86400

FOLDERS = ["INBOX", "Sent", "Archive", "Archive/2022", "Archive/2023", "Customers",
           "Customers/Key Accounts", "Suppliers", "Team", "Newsletters", "Notifications",
           "Projects", "Travel"]
SKIPPED = ["Trash", "Junk", "Drafts"]

FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannah", "Ivan", "Julia",
         "Karl", "Laura", "Max", "Nina", "Oskar", "Paula", "Quentin", "Rosa", "Stefan", "Tina",
         "Uwe", "Vera", "Walter", "Xenia", "Yusuf", "Zoe", "Jürgen", "Sören", "Zoë", "Renée",
         "José", "Łukasz", "Björn", "François", "Mia", "Noah", "Emma", "Liam", "Olivia", "Lucas"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Smith", "Johnson", "Brown", "Taylor", "Martin", "Bernard",
        "Dubois", "Rossi", "Russo", "García", "Martínez", "Nowak", "Kowalski", "Jansen",
        "de Vries", "Andersson", "Nielsen", "O'Brien", "Murphy", "Kelly", "Novák", "Horváth"]
WORDS = ["alpha", "nord", "tech", "bau", "logistik", "werk", "data", "green", "blue", "stahl",
         "food", "solar", "med", "print", "trans", "haus", "star", "delta", "agro", "chem",
         "micro", "maschinen", "vision", "system", "netz", "holz", "glas", "textil", "auto", "bio"]
TLDS = ["com", "de", "co.uk", "fr", "nl", "it", "es", "at", "ch", "io", "com.au", "pl", "se"]
FREEMAIL = ["gmail.com", "gmx.de", "web.de", "yahoo.com", "outlook.com", "hotmail.com",
            "t-online.de", "icloud.com"]
TOPICS = ["Angebot", "quote", "order", "Bestellung", "invoice", "Rechnung", "delivery",
          "Lieferung", "meeting", "Termin", "price list", "Preisliste", "samples", "contract",
          "Rahmenvertrag", "project update", "follow-up", "Reklamation", "forecast Q3", "visit"]
LOREM = ("Thank you for your message. As discussed on the phone, please find the details "
         "below. We would be glad to prepare an updated offer for the next quarter and can "
         "deliver within two weeks after your order. Vielen Dank für Ihre Nachricht, anbei "
         "die gewünschten Unterlagen. Let me know if anything is missing or if you would like "
         "to schedule a call next week. Prices are valid until the end of the month. ")


def _enc_word(s):
    """RFC 2047 B-encoding when s is not ASCII."""
    try:
        s.encode("ascii")
        return s
    except UnicodeEncodeError:
        return "=?UTF-8?B?%s?=" % base64.b64encode(s.encode()).decode()


def _addr(name, email):
    if not name:
        return email
    n = _enc_word(name)
    if n == name and any(c in name for c in ",.'\"()<>@;:"):
        n = '"%s"' % name.replace('"', '')
    return "%s <%s>" % (n, email)


def _date_hdr(ts, rnd):
    off = rnd.choice([0, 60, 120, -300, 330])
    t = time.gmtime(ts + off * 60)
    sign = "+" if off >= 0 else "-"
    return time.strftime("%a, %d %b %Y %H:%M:%S ", t) + "%s%02d%02d" % (sign, abs(off) // 60, abs(off) % 60)


class _World:
    def __init__(self, rnd, n_contacts=2000, n_domains=400):
        self.domains = []
        seen = set()
        while len(self.domains) < n_domains:
            d = "%s%s.%s" % (rnd.choice(WORDS), rnd.choice(WORDS), rnd.choice(TLDS))
            if d not in seen:
                seen.add(d)
                self.domains.append(d)
        self.contacts = []
        emails = set()
        while len(self.contacts) < n_contacts:
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            if rnd.random() < 0.10:
                dom = rnd.choice(FREEMAIL)
            else:
                # Zipf-like: a few organisations have many contacts
                dom = self.domains[min(int(rnd.paretovariate(1.1)) - 1, n_domains - 1)
                                   if rnd.random() < 0.5 else rnd.randrange(n_domains)]
            local = "%s.%s" % (first.lower(), last.lower().replace(" ", "").replace("'", ""))
            local = local.encode("ascii", "ignore").decode() or "x"
            email = "%s@%s" % (local, dom)
            if email in emails:
                email = "%s%d@%s" % (local, len(self.contacts), dom)
            emails.add(email)
            # activity weight: heavy tail; cadence days
            self.contacts.append({"name": "%s %s" % (first, last), "email": email,
                                  "w": rnd.paretovariate(1.3)})
        tot = sum(c["w"] for c in self.contacts)
        acc = 0.0
        self.cum = []
        for c in self.contacts:
            acc += c["w"] / tot
            self.cum.append(acc)
        self.colleagues = [("%s %s" % (rnd.choice(FIRST), rnd.choice(LAST)),
                            "colleague%02d@%s" % (i, OWN_DOMAIN)) for i in range(25)]
        self.newsletters = [("%s News" % rnd.choice(WORDS).title(),
                             "%s@%s" % (rnd.choice(["news", "newsletter", "info", "marketing"]),
                                        rnd.choice(self.domains))) for _ in range(40)]
        self.notifiers = [("%s Notifications" % rnd.choice(WORDS).title(),
                           "noreply@%s" % rnd.choice(self.domains)) for _ in range(15)]

    def pick_contact(self, rnd):
        import bisect
        return self.contacts[min(bisect.bisect_left(self.cum, rnd.random()), len(self.contacts) - 1)]


PROFILES = {
    # the default: what the 10k and 100k tiers have always been (byte-identical)
    "seller": dict(contacts=2000, domains=400, years=3, body=(1024, 20 * 1024), attach=0.08,
                   attach_size=(20 * 1024, 300 * 1024), yearly_archives=False),
    "big": dict(contacts=20000, domains=4000, years=10, body=(300, 3000), attach=0.005,
                attach_size=(5 * 1024, 30 * 1024), yearly_archives=True),
}


def _body_pool(rnd):
    text = (LOREM * 120)
    blob = base64.encodebytes(rnd.randbytes(240 * 1024)).decode()
    return text, blob


def _maildir_path(root, folder):
    if folder == "INBOX":
        return root
    return os.path.join(root, "." + folder.replace("/", "."))


def generate(path, n_messages, seed=1, log=None, profile="seller"):
    prof = PROFILES[profile]
    rnd = random.Random("%d-%d" % (seed, n_messages) if profile == "seller"
                        else "%d-%d-%s" % (seed, n_messages, profile))
    world = _World(rnd, prof["contacts"], prof["domains"])
    text, blob = _body_pool(rnd)
    span = prof["years"] * 365 * 86400
    folders = list(FOLDERS)
    if prof["yearly_archives"]:
        first_year = time.gmtime(END - span).tm_year
        last_archived = time.gmtime(END - 365 * 86400).tm_year
        folders = [f for f in FOLDERS if not f.startswith("Archive/")]
        folders += ["Archive/%d" % y for y in range(first_year, last_archived + 1)]
        folders += ["Shared/Sales"]
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        import shutil
        shutil.rmtree(tmp)
    for f in folders + SKIPPED:
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(_maildir_path(tmp, f), sub), exist_ok=True)
    counts = {f: 0 for f in folders + SKIPPED}
    total_bytes = 0
    start = END - span
    # message times: increasing, with weekday/working-hours bias
    times = sorted(start + int(rnd.random() * span) for _ in range(n_messages))
    seq = 0
    i = 0
    threads = []  # open threads: (contact, subject, [msgids], last_ts)
    t0 = time.monotonic()

    def write(folder, ts, headers, body):
        nonlocal seq, total_bytes
        seq += 1
        data = ("\r\n".join(headers) + "\r\n\r\n" + body).encode()
        d = os.path.join(_maildir_path(tmp, folder), "cur")
        fn = os.path.join(d, "%d.M%dP%d.bench,S=%d:2,S" % (ts, seq, seed, len(data)))
        with open(fn, "wb") as fh:
            fh.write(data)
        os.utime(fn, (ts, ts))
        counts[folder] += 1
        total_bytes += len(data)

    def common(ts, frm, to, cc, subj, msgid, irt, refs, extra=()):
        h = ["Return-Path: <%s>" % frm[1],
             "Received: from mx%d.%s (mx%d.%s [192.0.2.%d]) by mail.%s with ESMTPS id %08x for <%s>; %s"
             % (rnd.randrange(9), frm[1].split("@")[1], rnd.randrange(9), frm[1].split("@")[1],
                rnd.randrange(1, 254), OWN_DOMAIN, rnd.getrandbits(32), ME, _date_hdr(ts, rnd)),
             "Received: from [10.0.%d.%d] by smtp.%s; %s" % (rnd.randrange(255), rnd.randrange(255),
                                                             frm[1].split("@")[1], _date_hdr(ts - 2, rnd)),
             "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=s1; t=%d;\r\n"
             "\th=from:to:subject:date:message-id; bh=%s;\r\n\tb=%s" % (
                 frm[1].split("@")[1], ts, base64.b64encode(rnd.getrandbits(256).to_bytes(32, "big")).decode(),
                 base64.b64encode(rnd.getrandbits(1024).to_bytes(128, "big")).decode()),
             "From: " + _addr(*frm),
             "To: " + ", ".join(_addr(*a) for a in to)]
        if cc:
            h.append("Cc: " + ", ".join(_addr(*a) for a in cc))
        h += ["Subject: " + _enc_word(subj), "Date: " + _date_hdr(ts, rnd),
              "Message-ID: <%s>" % msgid]
        if irt:
            h.append("In-Reply-To: <%s>" % irt)
        if refs:
            h.append("References: " + "\r\n ".join("<%s>" % r for r in refs[-8:]))
        h += ["MIME-Version: 1.0", "X-Mailer: Generator %d" % VERSION] + list(extra)
        return h

    def body_for(kind_attach):
        size = int(math.exp(rnd.uniform(math.log(prof["body"][0]), math.log(prof["body"][1]))))
        off = rnd.randrange(len(text) - size - 1)
        t = text[off:off + size]
        if not kind_attach:
            return ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"], t
        bnd = "b%016x" % rnd.getrandbits(64)
        asz = rnd.randrange(*prof["attach_size"]) * 4 // 3
        aoff = rnd.randrange(max(1, len(blob) - asz))
        att = blob[aoff:aoff + asz]
        b = ("--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--%s\r\n"
             "Content-Type: application/pdf; name=\"doc%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
             "Content-Disposition: attachment; filename=\"doc%d.pdf\"\r\n\r\n%s\r\n--%s--\r\n"
             % (bnd, t, bnd, rnd.randrange(999), rnd.randrange(999), att, bnd))
        return ['Content-Type: multipart/mixed; boundary="%s"' % bnd], b

    me = (ME_NAME, ME)
    while i < n_messages:
        ts = times[i]
        r = rnd.random()
        year = time.gmtime(ts).tm_year
        msgid = "%x.%d@%s" % (rnd.getrandbits(48), i, "mail.example")
        if r < 0.58:
            # customer conversation: continue a thread or open one
            if threads and rnd.random() < 0.55:
                k = rnd.randrange(len(threads))
                c, subj, ids, _last = threads[k]
            else:
                c = world.pick_contact(rnd)
                subj = "%s %s" % (rnd.choice(TOPICS), rnd.randrange(1000, 9999))
                ids = []
                k = None
            outbound = bool(ids) and rnd.random() < 0.5 or (not ids and rnd.random() < 0.3)
            them = (c["name"], c["email"])
            cc = []
            if rnd.random() < 0.15:
                o = world.pick_contact(rnd)
                cc.append((o["name"], o["email"]))
            if rnd.random() < 0.10:
                cc.append(rnd.choice(world.colleagues))
            s = ("Re: " + subj) if ids else subj
            irt = ids[-1] if ids else None
            if outbound:
                frm, to, folder = me, [them], "Sent"
            else:
                frm, to = them, [me]
                if prof["yearly_archives"]:
                    if ts < END - 365 * 86400:
                        folder = "Archive/%d" % year
                    else:
                        folder = rnd.choice(["INBOX", "INBOX", "INBOX", "Customers", "Customers/Key Accounts",
                                             "Suppliers", "Projects", "Archive", "Shared/Sales"])
                elif ts < END - 2 * 365 * 86400:
                    folder = "Archive/2022" if year <= 2022 else "Archive/2023"
                elif ts < END - 365 * 86400:
                    folder = rnd.choice(["Archive/2023", "Archive"])
                else:
                    folder = rnd.choice(["INBOX", "INBOX", "INBOX", "Customers", "Customers/Key Accounts",
                                         "Suppliers", "Projects", "Archive"])
            hdr, body = body_for(rnd.random() < prof["attach"])
            write(folder, ts, common(ts, frm, to, cc, s, msgid, irt, ids) + hdr, body)
            ids = ids + [msgid]
            if k is None:
                threads.append((c, subj, ids, ts))
            else:
                threads[k] = (c, subj, ids, ts)
            if len(threads) > 300:
                threads.pop(0)
            # occasional out-of-office answer to an outbound message
            if outbound and rnd.random() < 0.02 and i + 1 < n_messages:
                i += 1
                ts2 = times[i]
                write("INBOX", ts2, common(ts2, them, [me], [], "Automatic reply: " + s,
                                           "%x.%d@ooo.example" % (rnd.getrandbits(40), i), msgid, [msgid],
                                           ["Auto-Submitted: auto-replied", "X-Autoreply: yes"])
                      + ["Content-Type: text/plain; charset=utf-8"], "I am out of the office.\r\n")
        elif r < 0.78:
            nl = rnd.choice(world.newsletters)
            lid = nl[1].split("@")[1]
            hdr, body = body_for(False)
            write("Newsletters", ts, common(ts, nl, [me], [], "%s — %s" % (nl[0], rnd.choice(TOPICS)), msgid,
                                            None, [], ["List-Id: <news.%s>" % lid,
                                                       "List-Unsubscribe: <mailto:unsubscribe@%s>, <https://%s/u/%x>"
                                                       % (lid, lid, rnd.getrandbits(40)),
                                                       "Precedence: bulk"]) + hdr, body)
        elif r < 0.88:
            col = rnd.choice(world.colleagues)
            out = rnd.random() < 0.4
            frm, to = (me, [col]) if out else (col, [me])
            hdr, body = body_for(rnd.random() < 0.05)
            write("Sent" if out else "Team", ts,
                  common(ts, frm, to, [rnd.choice(world.colleagues)] if rnd.random() < 0.3 else [],
                         "Intern: %s" % rnd.choice(TOPICS), msgid, None, []) + hdr, body)
        elif r < 0.96:
            nt = rnd.choice(world.notifiers)
            hdr, body = body_for(False)
            write("Notifications", ts, common(ts, nt, [me], [], "Your %s status" % rnd.choice(TOPICS), msgid,
                                              None, [], ["Auto-Submitted: auto-generated"]) + hdr, body)
        else:
            c = world.pick_contact(rnd)
            folder = rnd.choice(["Travel", "Travel", "Projects", "Trash", "Junk", "Drafts"])
            frm, to = ((c["name"], c["email"]), [me]) if folder != "Drafts" else (me, [(c["name"], c["email"])])
            hdr, body = body_for(rnd.random() < 0.1)
            write(folder, ts, common(ts, frm, to, [], "%s %d" % (rnd.choice(TOPICS), rnd.randrange(99)), msgid,
                                     None, []) + hdr, body)
        i += 1
        if log and i % 20000 == 0:
            log("  generated %d/%d messages (%.0f s)" % (i, n_messages, time.monotonic() - t0))
    meta = {"generator": "tests/bench/gen_bench_mailbox.py", "version": VERSION, "seed": seed,
            "profile": profile,
            "messages": sum(counts.values()), "bytes": total_bytes,
            "messages_read_by_keepwarm": sum(counts[f] for f in folders),
            "folders": counts, "folders_read": folders, "me": ME, "own_domain": OWN_DOMAIN,
            "contacts": len(world.contacts), "domains": len(world.domains),
            "first_date": start, "last_date": END, "layout": "maildir++"}
    with open(os.path.join(tmp, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    os.rename(tmp, path)
    return meta


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    prof = sys.argv[3] if len(sys.argv) > 3 else "seller"
    print(json.dumps(generate(sys.argv[1], n, log=print, profile=prof), indent=1))
