#!/usr/bin/env python3
"""Addresses as mail systems use them, through the real sync (Dovecot), and
bad input reported instead of dropped.

A mailbox written by hand: the user writes from an X.400-gateway address with
an empty dot-atom (k..allen@enron.com), customers with obsolete and quoted
local parts, a routed address, an address literal, an IDN domain; To fields
with an X.400 name, undisclosed-recipients:; and a bare name. Then:
- every address is a contact with the right direction and counts;
- the unreadable items are counted in --progress=json and the text summary;
- --me / me = / identity add / a TARGET that is not an address -> exit 2 naming it;
- an unknown config key -> a warning with file and line; a bad own domain -> exit 2;
- own_domains: default (the enron.com colleague rule), a list, set to nothing;
  `identity own-domain` list/add/remove/none/default;
- `identity remove` really recomputes directions (and says when the config
  file would add the address back)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: F401,F403
import kwtest

ME_MAIN = "phillip.allen@enron.com"
ME_X400 = "k..allen@enron.com"
DAY = 86400
T0 = 989000000  # 2001-05-04


def msg(frm, to, n, date, cc=None, extra=""):
    lines = ["From: %s" % frm, "To: %s" % to]
    if cc:
        lines.append("Cc: %s" % cc)
    lines += ["Date: %s" % kwtest._dt.datetime.fromtimestamp(date, kwtest._dt.timezone.utc)
              .strftime("%a, %d %b %Y %H:%M:%S +0000"),
              "Message-ID: <addr-%d@test.example>" % n, "Subject: message %d" % n]
    if extra:
        lines.append(extra)
    return "\r\n".join(lines) + "\r\n\r\nbody %d\r\n" % n


MESSAGES = [
    # (folder, raw) — the user's own mail from the X.400 form of his address
    ("Sent", msg("\"Allen, Phillip K.\" <K..Allen@ENRON.com>", "jsmith@austintx.com", 1, T0)),
    ("Sent", msg("k..allen@enron.com", "\"John Doe\"@partner.example, s..shively@enron.com", 2, T0 + DAY,
                 cc="user%host.example@relay.example")),
    ("Sent", msg(ME_MAIN, "a@[192.0.2.1], =?utf-8?q?J=C3=B6rg?= <j@b\u00fccher.example>", 3, T0 + 2 * DAY)),
    # customers writing back, some of them in obsolete forms
    ("INBOX", msg("\"Jeff Smith\" <jsmith@austintx.com>@ENRON", "k..allen@enron.com", 4, T0 + 3 * DAY)),
    ("INBOX", msg("Hunter <s..shively@enron.com>", "\"Allen, Phillip K.\" <k..allen@enron.com>", 5, T0 + 4 * DAY,
                  cc="/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN")),
    ("INBOX", msg("\"john doe\"@partner.example", "undisclosed-recipients:;", 6, T0 + 5 * DAY)),
    ("INBOX", msg("j@XN--BCHER-KVA.example", "Allen, Phillip K.", 7, T0 + 6 * DAY)),
    ("INBOX", msg(".ward@enron.com", ME_MAIN, 8, T0 + 7 * DAY)),
]

# email -> (inbound, outbound) with both identities known
EXPECTED = {
    "jsmith@austintx.com": (1, 1),
    "\"john doe\"@partner.example": (1, 1),
    "s..shively@enron.com": (1, 1),
    "user%host.example@relay.example": (0, 1),
    "a@[192.0.2.1]": (0, 1),
    "j@b\u00fccher.example": (1, 1),
    ".ward@enron.com": (1, 0),
}
UNREADABLE = 3  # the X.400 Cc, undisclosed-recipients:;, the bare name "Allen, Phillip K."


def write_config(path, port, ca, body_general="", me=(ME_MAIN, ME_X400), extra=""):
    with open(path, "w") as f:
        f.write(body_general)
        f.write("[account enron]\nhost = 127.0.0.1\nport = %d\ntls = implicit\nuser = seller\n"
                "ca_file = %s\nme = %s\npassword_cmd = cat %s\n%s"
                % (port, ca, ";".join(me), os.path.join(os.path.dirname(path), "pw"), extra))


def kinds(db):
    rc, data, err = contacts_json(db)
    return {c["email"]: c for c in data or []}, rc, err


def test():
    with Dovecot(password="pw-addr-1") as dv:
        for folder, raw in MESSAGES:
            dv.append(folder, raw, T0)
        work = kwtest.tmpdir("kwaddr-")
        with open(os.path.join(work, "pw"), "w") as f:
            f.write(dv.password + "\n")
        os.chmod(os.path.join(work, "pw"), 0o600)
        cfg = os.path.join(work, "config")

        # ---- bad input is an error naming the value; nothing is written -------------
        db = kwtest.new_db()
        for bad in ("Allen, Phillip K.", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN", "a@b@example.org"):
            rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(bad,)), password=dv.password, db=db)
            is_(rc, EXIT["usage"], "--me %r -> usage error" % bad, show_run(rc, out, err))
            ok(bad in err, "--me %r: the message names the value" % bad, err)
        ok(not os.path.exists(db), "a refused --me writes no store")
        write_config(cfg, dv.tls_port, dv.ca_file, me=(ME_MAIN, "a@x.org, b@y.org"))
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "sync"], db=db)
        is_(rc, EXIT["usage"], "me = with a comma-separated pair -> usage error", show_run(rc, out, err))
        like(err, r"config:\d+: me: 'a@x\.org, b@y\.org' is not an e-mail address", "... naming file, line and value")
        like(err, r"separate several addresses with ';'", "... and how to write several")
        write_config(cfg, dv.tls_port, dv.ca_file, body_general="[general]\nown_domains = enron.com;jane@acme.example\n")
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "sync"], db=db)
        is_(rc, EXIT["usage"], "own_domains with an address -> usage error", show_run(rc, out, err))
        like(err, r"config:2: own_domains: 'jane@acme\.example' is not a domain name", "... naming file, line and value")

        # ---- the real sync, configured with both identities and a typo ---------------
        write_config(cfg, dv.tls_port, dv.ca_file, extra="password-cmd = cat /dev/null\n")
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "sync", "--progress=json"], db=db)
        is_(rc, 0, "sync from the config file", show_run(rc, out, err))
        like(err, r"config:\d+: unknown key 'password-cmd' in \[account enron\] \(ignored; did you mean 'password_cmd'\?\)",
             "an unknown key is a warning with file, line and the likely key")
        done = [e for e in parse_progress(out) if e.get("event") == "done"]
        is_(len(done), 1, "one final JSON event")
        is_(done[0].get("unreadable_addresses") if done else None, UNREADABLE,
            "--progress=json counts the items that are no address")
        is_(done[0].get("new") if done else None, len(MESSAGES), "every message stored")

        got, rc, err = kinds(db)
        is_(rc, 0, "contacts --format=json", err)
        for email, (n_in, n_out) in sorted(EXPECTED.items()):
            c = got.get(email)
            ok(c is not None, "contact %s exists" % email, sorted(got))
            if c:
                is_((c["inbound"], c["outbound"]), (n_in, n_out), "%s: inbound/outbound" % email, c)
        for me in (ME_MAIN, ME_X400):
            is_(got.get(me, {}).get("kind"), "self", "%s is the user" % me)
            is_(got.get(me, {}).get("inbound"), 0, "%s: no inbound (its mail is outbound)" % me)
        ok(not any("/o=" in e or "undisclosed" in e or "@" not in e for e in got),
           "no contact made from an X.400 name, an empty group or a bare name", sorted(got))
        is_(got.get("s..shively@enron.com", {}).get("kind"), "colleague",
            "default: enron.com (the identities' domain) makes colleagues")

        # the text summary says it too (a second store: only new messages count)
        db2 = kwtest.new_db()
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "sync", "--progress=text"], db=db2)
        like(err, r"enron: %d addresses could not be read .* left out" % UNREADABLE, "the text summary counts them")

        # ---- own domains -------------------------------------------------------------
        write_config(cfg, dv.tls_port, dv.ca_file, body_general="[general]\nown_domains =\n")
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "sync"], db=db)
        is_(rc, 0, "sync with own_domains set to nothing", show_run(rc, out, err))
        got, _, _ = kinds(db)
        is_(got.get("s..shively@enron.com", {}).get("kind"), "person",
            "own_domains = (nothing): everyone at enron.com can be a relationship")
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain"], db=db)
        like(out, r"set to nothing: nobody is a colleague", "own-domain list says so")
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain", "add", "Partner.EXAMPLE."], db=db)
        is_(rc, 0, "own-domain add", show_run(rc, out, err))
        like(out, r"partner\.example +own domain", "... listed normalised")
        like(out, r"enron\.com +the domain of your address", "... with the identity domain back")
        got, _, _ = kinds(db)
        is_(got.get("\"john doe\"@partner.example", {}).get("kind"), "colleague", "partner.example people are colleagues")
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain", "remove", "nowhere.example"], db=db)
        is_(rc, 10, "removing a domain that is not there -> not found", show_run(rc, out, err))
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain", "add", "not a domain"], db=db)
        is_(rc, EXIT["usage"], "own-domain add 'not a domain' -> usage error", show_run(rc, out, err))
        ok("'not a domain'" in err, "... naming it", err)
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain", "none"], db=db)
        is_(rc, 0, "own-domain none")
        got, _, _ = kinds(db)
        is_(got.get("s..shively@enron.com", {}).get("kind"), "person", "own-domain none: no colleagues")
        rc, out, err = kwtest.run_keepwarm(["identity", "own-domain", "default"], db=db)
        got, _, _ = kinds(db)
        is_(got.get("s..shively@enron.com", {}).get("kind"), "colleague", "own-domain default: enron.com again")

        # ---- identities -------------------------------------------------------------
        rc, out, err = kwtest.run_keepwarm(["identity", "list", "--account", "enron"], db=db)
        like(out, r"Your addresses in 'enron':\n  k\.\.allen@enron\.com\n  phillip\.allen@enron\.com\n",
             "identity list shows both addresses")
        for bad in ("Allen, Phillip K.", "undisclosed-recipients:;"):
            rc, out, err = kwtest.run_keepwarm(["identity", "add", "--account", "enron", bad], db=db)
            is_(rc, EXIT["usage"], "identity add %r -> usage error" % bad, show_run(rc, out, err))
            ok(bad in err, "... naming it", err)
        rc, out, err = kwtest.run_keepwarm(["--config", cfg, "identity", "remove", "--account", "enron",
                                            "K..ALLEN@enron.com"], db=db)
        is_(rc, 0, "identity remove k..allen@enron.com", show_run(rc, out, err))
        like(err, r"config:\d+ lists k\.\.allen@enron\.com in 'me'", "... warns that the config file adds it back")
        got, _, _ = kinds(db)
        is_((got.get(ME_X400, {}).get("inbound"), got.get(ME_X400, {}).get("outbound")), (2, 0),
            "after removal: the two messages from k..allen@enron.com count as inbound from it")
        is_(got.get("jsmith@austintx.com", {}).get("outbound"), 0,
            "... and the mail it sent is no longer outbound")
        rc, out, err = kwtest.run_keepwarm(["identity", "remove", "--account", "enron", ME_X400], db=db)
        is_(rc, 10, "removing it twice -> not found", show_run(rc, out, err))
        rc, out, err = kwtest.run_keepwarm(["identity", "add", "--account", "enron", "<K..Allen@Enron.com>"], db=db)
        is_(rc, 0, "identity add in another spelling", show_run(rc, out, err))
        got, _, _ = kinds(db)
        is_(got.get("jsmith@austintx.com", {}).get("outbound"), 1, "... and its mail is outbound again")

        # ---- targets ----------------------------------------------------------------
        for bad in ("Allen, Phillip K.", "/O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN"):
            for cmd in (["snooze", bad, "2w"], ["show", bad]):
                rc, out, err = kwtest.run_keepwarm(cmd, db=db)
                is_(rc, EXIT["usage"], "%s %r -> usage error" % (cmd[0], bad), show_run(rc, out, err))
                ok(bad in err, "... naming it", err)
        rc, out, err = kwtest.run_keepwarm(["show", "S..Shively@ENRON.com"], db=db)
        ok(rc in (0, 10) and "not an e-mail address" not in err and "neither" not in err,
           "a TARGET with an empty dot-atom is read as an address", show_run(rc, out, err))
        like(out + err, r"s\.\.shively@enron\.com", "... and named in its normal form")


main(test)
