#!/usr/bin/env python3
"""mail_oracle.py — an independent oracle for keepwarm's contacts on real mail.

Reads Maildir folders with Python's `email` package and computes, for every
address a mailbox exchanged mail with, the four values `keepwarm contacts`
reports: inbound and outbound counts, last inbound and last outbound.
No code is shared with keepwarm's core: the rules below are this file's own
statement of what README.md and DESIGN.md promise, written from scratch.

  Folders   every folder is read except trash, junk and drafts (by name:
            the corpus has no SPECIAL-USE flags).
  Addresses email.utils.getaddresses on each address field. An address is
            local@domain; the local part may be any mix of atext and dots
            (k..allen, .ward, ward. — RFC 5322's obsolete syntax) or a quoted
            string, whose quotes go when its content needs none; the domain is
            a host name (IDN "xn--" labels decoded) or an [address literal].
            Lower case. Anything else (no '@', X.400 names, empty groups) is
            no address.
  Copies    a message counts once: a copy is a later message with the same
            (Message-ID, Date, first From) or the same (Date, first From,
            Subject, set of To/Cc addresses). Folders in name order, files in
            name order.
  Date      the Date header when it reads as a date between 1990-01-01 and
            two days after `now`; otherwise the server's INTERNALDATE, which
            for Maildir is the file's modification time.
  Direction a message whose first From is one of the user's addresses is
            outbound to each To/Cc/Bcc address that is not theirs (once per
            message); any other message is inbound from its first From.

Command line (regenerates a golden file):
    mail_oracle.py ROOT USER:ME1,ME2 [USER:ME ...]  > oracle.tsv
ROOT holds one directory per user, each with one Maildir per folder
(ROOT/USER/FOLDER/{cur,new}), as in ../shared/corpus/enron-dev.
"""
import datetime
import email
import email.header
import email.policy
import email.utils
import os
import re
import sys
import time

SKIP_FOLDERS = re.compile(r"^(deleted|trash|junk|spam|drafts?)([ _-]?(items|messages|e-?mail))?$")
ATEXT_DOTS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff]+$")
HOST = re.compile(r"^[a-z0-9_\-\u0080-\U0010ffff]+(\.[a-z0-9_\-\u0080-\U0010ffff]+)*$")
DATE_MIN = 631152000  # 1990-01-01T00:00:00Z
SLACK = 2 * 86400


def skip_folder(name):
    return SKIP_FOLDERS.match(name.lower().strip("_")) is not None


def _unquote(q):
    out, i = [], 0
    while i < len(q):
        if q[i] == "\\" and i + 1 < len(q):
            i += 1
        out.append(q[i])
        i += 1
    return "".join(out)


def normalize(addr):
    """An address as the oracle keys it, or None when it is no address."""
    a = addr.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip()
    if "@" not in a:
        return None
    if a.startswith('"'):
        end = a.find('"', 1)
        while end > 0 and a[end - 1] == "\\":
            end = a.find('"', end + 1)
        if end < 0 or a[end + 1:end + 2] != "@":
            return None
        inner = _unquote(a[1:end])
        if not inner or any(ord(c) < 32 or ord(c) == 127 for c in inner):
            return None
        local = inner if ATEXT_DOTS.match(inner) else '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'
        domain = a[end + 2:]
    else:
        local, _, domain = a.rpartition("@")
        if not local or not ATEXT_DOTS.match(local) or local.strip(".") == "":
            return None
    domain = domain.strip().rstrip(".").lower()
    if not domain:
        return None
    if domain.startswith("["):
        if not domain.endswith("]") or not re.match(r"^\[[!-Z^-~]+\]$", domain) or "@" in domain:
            return None
    else:
        labels = domain.split(".")
        try:
            labels = [l.encode("ascii").decode("idna") if l.startswith("xn--") else l for l in labels]
        except UnicodeError:
            return None
        domain = ".".join(labels)
        if not HOST.match(domain):
            return None
    return (local + "@" + domain).lower()


def addresses(msg, field):
    """Normalised addresses of every occurrence of `field`, in order, each once."""
    out = []
    for _name, addr in email.utils.getaddresses([str(v) for v in msg.get_all(field, [])]):
        n = normalize(addr)
        if n and n not in out:
            out.append(n)
    return out


def header_text(value):
    """A header's decoded text, whitespace runs folded (None when absent)."""
    if value is None:
        return None
    try:
        text = str(email.header.make_header(email.header.decode_header(str(value))))
    except (UnicodeError, LookupError, email.errors.HeaderParseError):
        text = str(value)
    return " ".join(text.split()) or None


def message_id(value):
    if value is None:
        return None
    m = re.search(r"<([^<>\s]+)>", str(value))
    v = m.group(1) if m else str(value).strip()
    return v if v and not re.search(r"\s", v) else None


def read_date(value):
    """Seconds since the epoch, or None when the header is not a date."""
    if value is None:
        return None
    try:
        t = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def iso(t):
    if not t:
        return "-"
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mailbox_messages(root):
    """(folder, path) of every message to read, folders and files in name order."""
    for folder in sorted(os.listdir(root)):
        if skip_folder(folder) or not os.path.isdir(os.path.join(root, folder)):
            continue
        for sub in ("cur", "new"):
            d = os.path.join(root, folder, sub)
            if os.path.isdir(d):
                for fn in sorted(os.listdir(d)):
                    yield folder, os.path.join(d, fn)


def contacts(root, me, now=None):
    """{address: [inbound, outbound, last_inbound, last_outbound]} of one mailbox."""
    now = int(now if now is not None else time.time())
    me = {normalize(a) for a in me}
    ids, fps, res = set(), set(), {}
    for _folder, path in mailbox_messages(root):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.compat32)
        frm = addresses(msg, "From")[:1] or []
        author = frm[0] if frm else None
        key_from = author or (addresses(msg, "Sender")[:1] or [""])[0]
        date_hdr = msg.get("Date")
        parsed = read_date(date_hdr)
        date_key = str(parsed) if parsed is not None else str(date_hdr or "")
        subject = header_text(msg.get("Subject")) or ""
        mid = message_id(msg.get("Message-ID"))
        rcpt_tocc = sorted(set(addresses(msg, "To") + addresses(msg, "Cc")))
        id_key = ("id", mid, date_key, key_from) if mid else ("noid", date_key, key_from, subject)
        fp_key = (date_key, key_from, subject, tuple(rcpt_tocc))
        if id_key in ids or fp_key in fps:
            continue                       # a copy of a message already counted
        ids.add(id_key)
        fps.add(fp_key)
        if author is None:
            continue
        when = parsed if parsed is not None and DATE_MIN <= parsed <= now + SLACK else int(os.stat(path).st_mtime)
        if author in me:
            seen = set()
            for field in ("To", "Cc", "Bcc"):
                for a in addresses(msg, field):
                    if a in me or a in seen:
                        continue
                    seen.add(a)
                    c = res.setdefault(a, [0, 0, 0, 0])
                    c[1] += 1
                    c[3] = max(c[3], when)
        else:
            c = res.setdefault(author, [0, 0, 0, 0])
            c[0] += 1
            c[2] = max(c[2], when)
    return res


def table(root, users, now=None):
    """TSV lines "user address inbound outbound last_inbound last_outbound", sorted."""
    lines = []
    for user, me in sorted(users.items()):
        for addr, (n_in, n_out, l_in, l_out) in contacts(os.path.join(root, user), me, now).items():
            lines.append("%s\t%s\t%d\t%d\t%s\t%s" % (user, addr, n_in, n_out, iso(l_in), iso(l_out)))
    return sorted(lines)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    users = {}
    for spec in argv[2:]:
        user, _, me = spec.partition(":")
        users[user] = [a for a in me.split(",") if a]
    sys.stdout.write("".join(line + "\n" for line in table(argv[1], users)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
