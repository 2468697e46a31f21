#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two sellers, two real Dovecot mailboxes, one real PostgreSQL team server:
after both `keepwarm sync` (which pushes and pulls when [team] is configured),
each sees exactly what the other shares (field by field against the other's
`team show-shared`), and nothing else: no subjects, message ids or bodies on
the server, no colleagues, no prospects, no ignored relationships. An ignore
after sharing becomes a removal on the server and in the teammate's store;
an unchanged sync rewrites nothing; the model turns a relationship overdue on
one member's own mail ok when the teammate touched it within the rhythm
(pulled records, and the teammate's mail with the member in copy), and each
still shares their own state; share = no removes a member's rows while
still pulling; a logged call reaches the teammate (kind, time, person, never
its note) and its undo removes it; `sync --no-team` leaves the server alone;
a removed member's rows vanish from the teammates' stores."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import pgtest  # noqa: E402
from teamtest import (Team, kw, write_config, dovecot_account, seller_mailbox, server_rows,  # noqa: E402
                      local_state, q, DB, RECORD_COLUMNS)

SAM = "sam@mycompany.example"
JAN = "jan@mycompany.example"
FIELDS = ("kind", "key") + RECORD_COLUMNS


def sam_stories(s):
    s.exchanges("alice@acme.example", "Alice Acme", 100 + 30 * 10, 100, 30)   # overdue for Sam
    s.exchanges("bob@beta.example", "Bob Beta", 5 + 14 * 20, 5, 14)
    s.exchanges("carl@beta.example", "Carl Beta", 40 + 30 * 6, 40, 30)       # ignored later
    s.exchanges("jack@ignore.example", "Jack Ignore", 90 + 30 * 10, 90, 30)  # ignored later
    s.exchanges("gina.free@gmail.com", "Gina Free", 100 + 30 * 12, 100, 30)  # free-mail person
    s.exchanges(JAN, "Jan Weber", 2 + 7 * 30, 2, 7)                          # a colleague
    for d in (90, 60, 30):                                                   # a prospect
        s.outbound("lead@cold.example", "Lee Lead", d, "Quick intro")
    for k in range(20):                                                      # a newsletter
        s.inbound("news@letters.example", "Weekly Letter", 3 + 7 * k, "This week #%d" % k,
                  headers={"List-Id": "<weekly.letters.example>", "Precedence": "bulk"})
    # Jan wrote to Alice with Sam in Cc: a colleague's mail, never shared by Sam
    s.inbound(JAN, "Jan Weber", 3, "Alice's renewal", to=[("Alice Acme", "alice@acme.example"),
                                                          ("Sam", SAM)])


def jan_stories(s):
    s.exchanges("alice@acme.example", "Alice Acme", 3 + 30 * 5, 3, 30)   # Jan talked 3 days ago
    s.exchanges("gus@gamma.example", "Gus Gamma", 20 + 30 * 5, 20, 30)
    s.exchanges("gina.free@gmail.com", "Gina Free", 2 + 30 * 3, 2, 30)  # Jan talked 2 days ago
    s.exchanges(SAM, "Sam Seller", 2 + 7 * 30, 2, 7)


def strip(rec):
    return {k: rec.get(k) for k in FIELDS}


class Member:
    def __init__(self, team, work, name, me, display, stories, password):
        self.name, self.me, self.password = name, me, password
        d = os.path.join(work, name)
        self.maildir, self.as_of = seller_mailbox(os.path.join(d, "Maildir"), me, display, [stories])
        self.dv = kwtest.Dovecot(maildir=self.maildir)
        self.dv.start()
        self.db = os.path.join(d, "db", "keepwarm.db")
        self.config = os.path.join(d, "config")
        self.team = team
        self.configure(share="yes")

    def configure(self, share):
        write_config(self.config, [dovecot_account(self.dv, self.me)],
                     {"url": self.team.member_url(self.name), "password_cmd": "printf %s " + q(self.password),
                      "share": share, "ca_file": self.team.pg.ca_file})

    def kw(self, args, **kw_):
        # The stories are days before midnight UTC of the day the test started
        # ("Jan talked 3 days ago" at 09:00 then). Read the model at noon of
        # that day, so the words checked do not depend on the hour the test
        # runs at (at 00:30 the real clock would say "2 days ago").
        if args and args[0] in ("overdue", "show") and not any(a.startswith("--as-of") for a in args):
            noon = time.strftime("%Y-%m-%dT12:00:00Z", time.gmtime(self.as_of))
            args = [args[0], "--as-of", noon] + list(args[1:])
        return kw(args, config=self.config, db=self.db, **kw_)

    def sync(self, *extra):
        r = self.kw(["sync", "--progress=json"] + list(extra))
        ev = [e for e in r.events() if e.get("event") == "team"]
        return r, (ev[-1] if ev else None)

    def shared(self):
        r = self.kw(["team", "show-shared", "--format=json"])
        d = r.json()
        return {(x["kind"], x["key"]): strip(x) for x in d["records"]} if d else None

    def pulled(self, org=None):
        r = self.kw(["team", "list", "--format=json"] + ([org] if org else []))
        d = r.json()
        return {(x["member"], x["kind"], x["key"]): x for x in d} if d is not None else None


def iso_field_rows(rows):
    """server_rows values with times as ISO strings, like the JSON output."""
    out = {}
    for (m, kind, key), v in rows.items():
        r = dict(v, kind=kind, key=key)
        for t in ("last_inbound", "last_outbound", "last_exchange", "touch_time"):
            r[t] = kwtest.iso_utc(r[t]) if r[t] else None
        out[(m, kind, key)] = strip(r)
    return out


def test():
    why = pgtest.available()
    if why:
        skip_all(why)
    work = kwtest.tmpdir("kwteam2-")
    with Team(log_statements=True) as t:
        t.add_member("sam", "pw-sam-1", display="Sam Seller")
        t.add_member("jan", "pw-jan-1", display="Jan Weber")
        sam = Member(t, work, "sam", SAM, "Sam Seller", sam_stories, "pw-sam-1")
        jan = Member(t, work, "jan", JAN, "Jan Weber", jan_stories, "pw-jan-1")

        # -- first round: sam, jan, sam ------------------------------------
        for m, expect_pulled in ((sam, 0), (jan, None), (sam, None)):
            r, ev = m.sync()
            is_(r.rc, 0, "%s: sync exits 0" % m.name, r.show())
            ok(ev is not None and ev["status"] == "ok", "%s: the sync pushed and pulled (team event ok)" % m.name,
               repr(ev), r.err[-2000:])
        sam_shared, jan_shared = sam.shared(), jan.shared()
        ok(sam_shared and jan_shared, "show-shared --format=json works for both")
        is_(sorted(sam_shared), sorted([
            ("org", "acme.example"), ("org", "beta.example"), ("org", "ignore.example"),
            ("person", "alice@acme.example"), ("person", "bob@beta.example"),
            ("person", "carl@beta.example"), ("person", "gina.free@gmail.com"),
            ("person", "jack@ignore.example")]),
            "Sam shares his customers' organisations and people; not the colleague, the prospect, "
            "the newsletter")
        g = sam_shared[("person", "gina.free@gmail.com")]
        is_((g["org"], g["name"], g["person"]), ("gina.free@gmail.com", "Gina Free", "gina.free@gmail.com"),
            "a free-mail customer is their own organisation")
        a = sam_shared[("org", "acme.example")]
        is_((a["state"], a["cadence_days"], a["person"], a["name"]), ("overdue", 30, None, None),
            "Sam's acme.example: overdue, monthly rhythm, no person on an org record")

        # Each sees exactly what the other shares.
        on_server = iso_field_rows(server_rows(t.pg))
        is_({k[1:]: v for k, v in on_server.items() if k[0] == "sam"}, sam_shared,
            "the server holds exactly Sam's show-shared records")
        is_({k[1:]: v for k, v in on_server.items() if k[0] == "jan"}, jan_shared,
            "the server holds exactly Jan's show-shared records")
        jp, sp = jan.pulled(), sam.pulled()
        is_({k[1:]: strip(v) for k, v in jp.items() if k[0] == "sam"}, sam_shared,
            "Jan's store has exactly what Sam shares")
        is_({k[1:]: strip(v) for k, v in sp.items() if k[0] == "jan"}, jan_shared,
            "Sam's store has exactly what Jan shares")
        ok(all(k[0] != "jan" for k in jp) and all(k[0] != "sam" for k in sp),
           "nobody pulls their own records")
        j_acme = sp.get(("jan", "org", "acme.example"))
        ok(j_acme and j_acme["member_name"] == "Jan Weber" and j_acme["state"] == "ok"
           and kwtest.parse_iso(j_acme["last_exchange"]) > jan.as_of - 4 * 86400,
           "Sam sees that Jan Weber talked to acme.example 3 days ago", repr(j_acme))
        # -- the model: ok (team) ------------------------------------------
        r = sam.kw(["overdue", "--all", "--team", "--format=json"])
        rows = {x["key"]: x for x in (r.json() or [])}
        g = rows.get("gina.free@gmail.com", {})
        is_((g.get("state"), g.get("why", {}).get("own_state"), g.get("why", {}).get("team_touch"),
             g.get("team_member")), ("ok", "overdue", "exchange", "Jan Weber"),
            "Sam's Gina (silent 100 days): ok thanks to Jan's exchange 2 days ago, pulled", r.show())
        like(g.get("reason", ""), r"^Jan Weber talked to them 2 days ago; your last exchange 100 days ago",
             "the reason names the teammate and when")
        a = rows.get("acme.example", {})
        is_((a.get("state"), a.get("why", {}).get("own_state"), a.get("team_member")),
            ("ok", "overdue", "Jan Weber"),
            "Sam's acme.example: ok thanks to Jan (his exchange and his mail with Sam in copy)", repr(a))
        ok(rows.get("beta.example", {}).get("team_member", "x") is None,
           "beta.example: nobody on the team touched it (team_member null)")
        r = sam.kw(["overdue"])
        ok(r.rc == 0 and "acme.example" not in r.out and "gina.free@gmail.com" not in r.out,
           "the default list leaves out what the team keeps warm", r.show())
        r = sam.kw(["show", "acme.example"])
        like(r.out, r"(?m)^Team \(newest first, 2 touches\):\n  \S+  Jan Weber: (exchange|mail with you in copy) 3 days ago"
             r" — alice@acme.example.*\n  \S+  Jan Weber: (exchange|mail with you in copy) 3 days ago",
             "show acme.example lists Jan's exchange (pulled) and his mail with Sam in copy (local)", r.show())
        shared_acme = sam.shared()[("org", "acme.example")]
        is_(shared_acme["state"], "overdue", "Sam shares his own state, not the team's ok")
        r = jan.kw(["overdue", "--all", "--team", "--format=json"])
        jrows = {x["key"]: x for x in (r.json() or [])}
        is_((jrows.get("acme.example", {}).get("state"), jrows.get("acme.example", {}).get("why", {}).get("team_ok")),
            ("ok", False), "Jan's own acme.example is ok on his own exchange (Sam's older one changes nothing)")

        only_acme = sam.pulled("sub.acme.example")
        is_(sorted(only_acme), [("jan", "org", "acme.example"), ("jan", "person", "alice@acme.example")],
            "team list ORG: one organisation (a subdomain names it)")

        # Nothing but aggregates on the server.
        dump = t.pg.sql("SELECT pg_catalog.row_to_json(r)::text FROM keepwarm.records r", db=DB)
        leaks = [w for w in ("Project", "Quick intro", "renewal", "scenario.test", "Hello", "Weekly",
                             SAM, JAN, "cold.example", "letters.example") if w in dump]
        ok(not leaks, "no subject, message id, body, colleague, prospect or newsletter on the server", leaks)

        # -- an unchanged sync rewrites nothing --------------------------------
        txids = t.pg.sql("SELECT member, key, txid FROM keepwarm.records ORDER BY 1, 2", db=DB)
        r, ev = sam.sync()
        is_((r.rc, ev and ev["pushed"], ev and ev["removed"]), (0, 0, 0),
            "a second sync with nothing new pushes nothing", r.show())
        is_(t.pg.sql("SELECT member, key, txid FROM keepwarm.records ORDER BY 1, 2", db=DB), txids,
            "and no server row was rewritten")
        r = sam.kw(["team", "push"])
        is_(r.rc, 0, "team push by hand", r.show())
        is_(t.pg.sql("SELECT member, key, txid FROM keepwarm.records ORDER BY 1, 2", db=DB), txids,
            "a push with an empty outbox rewrites nothing either")

        # -- ignoring after sharing: removed on the server and at Jan's --------
        for target in ("ignore.example", "carl@beta.example"):
            r = sam.kw(["ignore", target])
            is_(r.rc, 0, "sam ignores %s" % target, r.show())
            ok("team:" not in r.err, "quietly pushed at once", r.show())
        st = sam.kw(["team", "status", "--format=json"]).json()
        is_(st and st["pending"], 0, "team status: nothing pending, each ignore was pushed at once "
            "(three removals and beta.example's new roll-up without Carl)", repr(st))
        rows = server_rows(t.pg, "sam")
        ok(("sam", "org", "ignore.example") not in rows and ("sam", "person", "carl@beta.example") not in rows
           and ("sam", "person", "jack@ignore.example") not in rows and ("sam", "org", "beta.example") in rows,
           "the server no longer has what Sam ignores", sorted(rows))
        r, ev = sam.sync()
        is_((r.rc, ev and ev["pushed"], ev and ev["removed"]), (0, 0, 0),
            "the next sync has nothing left to push or remove", r.show())
        r, ev = jan.sync()
        is_(r.rc, 0, "jan syncs", r.show())
        jp = jan.pulled()
        is_(sorted(k[1:] for k in jp if k[0] == "sam"), sorted(k for k in sam.shared()),
            "Jan's store dropped what Sam now ignores")
        ok(("sam", "org", "ignore.example") not in jp and ("sam", "person", "carl@beta.example") not in jp
           and ("sam", "org", "beta.example") in jp,
           "an ignored person is gone, their organisation stays")

        # -- snooze changes the shared state -----------------------------------
        r = sam.kw(["snooze", "acme.example", "2w"])
        is_(r.rc, 0, "sam snoozes acme.example", r.show())
        is_(server_rows(t.pg, "sam")[("sam", "org", "acme.example")]["state"], "snoozed",
            "the server has the new state at once (the snooze pushed it)")
        r, ev = sam.sync()
        is_((r.rc, ev and ev["pushed"]), (0, 0), "the next sync has nothing more to push", r.show())

        # -- a logged call is shared: kind, time and person, never its note ----
        canary = "NOTE-CANARY-price-list-7731"
        r = sam.kw(["log", "bob@beta.example", "call", "--note", canary])
        is_(r.rc, 0, "sam logs a call with Bob (with a note)", r.show())
        m = re.search(r"\(id (\d+);", r.out)
        key = "touch:%s" % (m.group(1) if m else "?")
        ok("team:" not in r.err, "the call was pushed quietly at once", r.show())
        rec = sam.shared().get(("touch", key), {})
        is_((rec.get("org"), rec.get("person"), rec.get("touch_kind"), rec.get("name")),
            ("beta.example", "bob@beta.example", "call", None),
            "show-shared lists the call: organisation, person, kind (no name, no note)", repr(rec))
        ok(rec.get("touch_time") and abs(kwtest.parse_iso(rec["touch_time"]) - time.time()) < 600,
           "with its time", repr(rec))
        is_(iso_field_rows(server_rows(t.pg, "sam")).get(("sam", "touch", key)), rec,
            "the server has exactly that record at once (log pushes)")
        dump = t.pg.sql("SELECT pg_catalog.row_to_json(r)::text FROM keepwarm.records r", db=DB)
        ok(canary not in dump and "price list" not in dump, "the call's note is not on the server")
        r, ev = jan.sync()
        is_(r.rc, 0, "jan syncs", r.show())
        got = jan.pulled().get(("sam", "touch", key), {})
        is_((got.get("member_name"), got.get("touch_kind"), got.get("person"), got.get("org")),
            ("Sam Seller", "call", "bob@beta.example", "beta.example"),
            "Jan sees Sam's call with Bob at beta.example", repr(got))
        ok(canary not in repr(got), "and not its note")
        with open(jan.db, "rb") as f:
            ok(canary.encode() not in f.read(), "the note is nowhere in Jan's store")
        r = sam.kw(["log", "--undo", m.group(1) if m else "0"])
        is_(r.rc, 0, "sam takes the call back (log --undo)", r.show())
        ok(("touch", key) not in sam.shared(), "show-shared no longer lists it")
        ok(("sam", "touch", key) not in server_rows(t.pg, "sam"), "the server removed it at once")
        r, ev = jan.sync()
        ok(("sam", "touch", key) not in jan.pulled(), "and Jan's next sync drops it", r.show())

        # -- sync --no-team leaves the server alone ------------------------------
        before = t.pg.log_text().count("connection authorized: user=jan")
        r = jan.kw(["sync", "--no-team", "--progress=json"])
        is_(r.rc, 0, "sync --no-team", r.show())
        ok(not [e for e in r.events() if e.get("event") == "team"], "no team event")
        is_(t.pg.log_text().count("connection authorized: user=jan"), before,
            "no connection to the team server")

        # -- share = no: pull only, and what was shared is removed ---------------
        jan.configure(share="no")
        r, ev = jan.sync()
        is_((r.rc, ev and ev["status"], ev and ev["share"], ev and ev["removed"]), (0, "ok", False, 5),
            "share = no: the next sync removes Jan's five records", r.show())
        ok(not any(k[0] == "jan" for k in server_rows(t.pg)), "none of Jan's rows are left on the server")
        ok(any(k[0] == "sam" for k in jan.pulled()), "Jan still sees Sam's records")
        r = jan.kw(["team", "show-shared"])
        like(r.out, r"Sharing is off", "show-shared says sharing is off")
        r, ev = sam.sync()
        ok(not any(k[0] == "jan" for k in sam.pulled()), "Sam's store dropped Jan's records")

        # -- a removed member's rows vanish ------------------------------------
        jan.configure(share="yes")
        r, ev = jan.sync()
        is_((r.rc, ev and ev["pushed"]), (0, 5), "share = yes again: Jan's records are back", r.show())
        r, ev = sam.sync()
        ok(any(k[0] == "jan" for k in sam.pulled()), "Sam sees them again")
        r = t.admin(["remove-member", "jan"])
        is_(r.rc, 0, "the admin removes jan", r.show())
        r, ev = sam.sync()
        is_(r.rc, 0, "sam syncs", r.show())
        ok(not any(k[0] == "jan" for k in sam.pulled()), "Sam's store dropped the removed member's records")
        r, ev = jan.sync()
        is_(r.rc, 0, "a removed member's mail sync still succeeds", r.show())
        ok(ev and ev["status"] == "auth", "its team part fails as auth", repr(ev))
        st = jan.kw(["team", "status", "--format=json"]).json()
        ok(st and st["last_error"] and st["pending"] == 0, "team status shows the last error", repr(st))
        state, outbox, pulled = local_state(sam.db)
        is_((outbox, state["full_push"], state["member"]), (0, 0, "sam"), "Sam's outbox is empty")
        is_(kwtest.sqlite_integrity(sam.db), "ok", "Sam's store passes integrity_check")
        sam.dv.stop()
        jan.dv.stop()


kwtest.main(test)
