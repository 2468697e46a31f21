#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The relationship model end to end: a mailbox with known truth
(tests/lib/gen_scenarios.py) served by a real Dovecot, synced through the real
`keepwarm sync`, and the exact state of every scenario asserted with
`keepwarm overdue --as-of ... --format=json --all`; snooze and ignore through
the CLI commands, kept across a second sync."""

import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import gen_scenarios  # noqa: E402

DAY = 86400


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def overdue(as_of, *extra):
    rc, out, err = kwtest.run_keepwarm(["overdue", "--as-of", iso(as_of), "--format=json"]
                                       + list(extra))
    if rc != 0:
        kwtest.diag("overdue failed (%d): %s" % (rc, err))
        return None
    try:
        return {r["key"]: r for r in json.loads(out)}
    except ValueError:
        kwtest.diag("not JSON: " + out[:500])
        return None


def same_both_ways(as_of, when):
    """The model from the aggregates the sync kept equals the model computed
    from every message (--exact), today and as of a past day."""
    for t, what in ((as_of, "as of today"), (as_of - 200 * DAY, "as of 200 days ago")):
        outs = []
        for extra in ([], ["--exact"]):
            rc, out, err = kwtest.run_keepwarm(["overdue", "--as-of", iso(t), "--all", "--by", "person",
                                                "--format=json"] + extra)
            outs.append(out if rc == 0 else err)
        kwtest.ok(outs[0] == outs[1] and outs[0].startswith("["),
                  "%s, %s: kept aggregates and --exact print the same" % (when, what),
                  outs[0][:1500], outs[1][:1500])


def test():
    msgs, as_of = gen_scenarios.build()
    work = kwtest.tmpdir("kwscn-")
    maildir = gen_scenarios.write(os.path.join(work, "Maildir"), msgs)
    kwtest.note("%d messages, as of %s" % (len(msgs), iso(as_of)))

    with kwtest.Dovecot(maildir=maildir) as dv:
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(gen_scenarios.ME,)),
                                           password=dv.password)
        if not kwtest.is_(rc, 0, "sync exits 0", err):
            kwtest.bail_out("sync failed")

        rels = overdue(as_of, "--all")
        if rels is None:
            kwtest.bail_out("overdue --all failed")
        same_both_ways(as_of, "after the first sync")
        everyone = {p for r in rels.values() for p in r["people"]}

        # -- every scenario's exact state --------------------------------
        for name, key, kind, state, _story in gen_scenarios.SCENARIOS:
            if state is None:
                kwtest.ok(key not in rels, "%s: never listed (%s)" % (name, key))
                continue
            r = rels.get(key)
            if not kwtest.ok(r is not None, "%s: listed as %s" % (name, key), sorted(rels)):
                continue
            kwtest.is_(r["state"], state, "%s: %s" % (name, state), r.get("reason"))
            kwtest.is_(r["kind"], kind, "%s: kind %s" % (name, kind))
            for field in ("name", "people", "last_touch", "days_since", "cadence_days",
                          "due_date", "score", "reason"):
                kwtest.ok(field in r, "%s: has %s" % (name, field))

        # -- details the states alone do not show ----------------------
        kwtest.ok("gmail.com" not in rels, "freemail domain is never an organisation")
        kwtest.ok(not any(p.endswith("@mycompany.example") for p in everyone),
                  "no colleague among anyone's people")
        kwtest.ok("lead@cold.example" not in everyone, "cold outreach is nobody's person")
        kwtest.ok("liz@broadcast.example" not in everyone, "broadcast recipient is nobody's person")
        r = rels.get("takeover.example", {})
        kwtest.is_(sorted(r.get("people", [])),
                   ["nick.new@takeover.example", "olga.old@takeover.example"],
                   "takeover: both people roll up into the organisation")
        kwtest.is_(r.get("people", [None])[0], "nick.new@takeover.example",
                   "takeover: the new contact comes first")
        r = rels.get("ooo.example", {})
        kwtest.ok(r.get("days_since", 0) >= 118,
                  "out-of-office: the clock still runs from the exchange 120 days ago",
                  r.get("last_touch"), r.get("reason"))
        why = r.get("why", {})
        kwtest.is_(why.get("away_until"), iso(as_of - 46 * DAY)[:10] + "T00:00:00Z",
                   "out-of-office: the day its subject names", why)
        kwtest.is_(why.get("rhythm_state"), "overdue", "out-of-office: overdue by the rhythm too")
        # the forgotten question: first of all, and late by the rhythm too
        r = rels.get("question.example", {})
        kwtest.is_(r.get("why", {}).get("rhythm_state"), "overdue",
                   "forgotten question: overdue by the rhythm too")
        kwtest.like(r.get("reason", ""), r"^Quinn Fragen wrote 4[45] days ago \(.*\) and has no answer "
                                         r"yet; overdue too: last exchange (69|70) days ago",
                    "forgotten question: the reason says both")
        r = rels.get("quarterly-a.example", {})
        kwtest.ok(85 <= r.get("cadence_days", 0) <= 95, "quarterly: cadence learned ~91 days",
                  r.get("cadence_days"))
        r = rels.get("steady-ok.example", {})
        kwtest.is_(r.get("cadence_days"), 14, "steady: cadence learned 14 days")
        kwtest.like(rels.get("gina.free@gmail.com", {}).get("reason", ""),
                    r"^Last exchange \d+ days ago \(\w{3} \d+(, \d{4})?, with Gina Free\); "
                    r"you usually talk every month; \d+ exchanges since \d{4}\.$",
                    "reason sentence")

        # the team from the user's own mail: a colleague's mail with the user in copy
        r = rels.get("copied.example", {})
        why = r.get("why") or {}
        kwtest.is_((why.get("own_state"), why.get("team_ok"), why.get("team_touch")),
                   ("overdue", True, "copied"),
                   "copied: overdue on the user's own mail, ok thanks to the colleague's", why)
        kwtest.is_((why.get("team_member") or {}).get("address"), "uwe@mycompany.example",
                   "copied: the colleague is named")
        kwtest.like(r.get("reason", ""),
                    r"^Uwe Colleague wrote to them \d days ago with you in copy; your last exchange "
                    r"\d+ days ago \(\w{3} \d+(, \d{4})?, with Lena Copied\); you usually talk every "
                    r"month; \d+ exchanges since \d{4}\.$", "copied: the reason says who and when")
        rc, out, err = kwtest.run_keepwarm(["overdue", "--all", "--team", "--format=json", "--as-of",
                                            iso(as_of)])
        team = {x["key"]: x for x in json.loads(out)} if rc == 0 else {}
        kwtest.is_((team.get("copied.example", {}).get("team_member"),
                    team.get("copied.example", {}).get("team_last_touch")),
                   ("Uwe Colleague", iso(as_of - 5 * DAY + 9 * 3600)),
                   "overdue --team: team_member and team_last_touch", err)
        kwtest.is_((team.get("steady-ok.example", {}).get("team_member", "absent"),
                    team.get("steady-ok.example", {}).get("team_last_touch", "absent")), (None, None),
                   "overdue --team: null without team evidence")
        kwtest.ok("team_member" not in rels.get("steady-ok.example", {}),
                  "without --team the rows have no team columns")
        rc, out, err = kwtest.run_keepwarm(["show", "copied.example", "--as-of", iso(as_of)])
        kwtest.like(out, r"(?m)^Team \(newest first, 1 touch\):\n  \d{4}-\d\d-\d\d  Uwe Colleague: "
                    r"mail with you in copy \d days ago — lena@copied.example  Your order$",
                    "show lists the team's touch, shown as such", err)

        # the default list: exactly the relationships needing attention, ranked
        default = overdue(as_of) or {}
        want = sorted(k for _n, k, _kd, st, _s in gen_scenarios.SCENARIOS
                      if st in ("overdue", "due-soon", "awaiting-your-reply", "awaiting-their-reply"))
        kwtest.is_(sorted(default), want, "default list = those needing attention")
        # ranked: owed replies first, then your unanswered mail, then the rest
        order = [default[k]["state"] for k in default]
        groups = [{"awaiting-your-reply": 0, "awaiting-their-reply": 1}.get(st, 2) for st in order]
        kwtest.is_(groups, sorted(groups), "owed replies rank above every overdue one", order)

        # by person: the old contact is overdue, the new one fine
        persons = overdue(as_of, "--all", "--by", "person") or {}
        kwtest.is_(persons.get("olga.old@takeover.example", {}).get("state"), "overdue",
                   "by person: the contact who left is overdue")
        kwtest.is_(persons.get("nick.new@takeover.example", {}).get("state"), "ok",
                   "by person: the new contact is ok")
        kwtest.ok("tom@mycompany.example" not in persons, "by person: colleague never listed")

        # -- contacts: the kinds -----------------------------------------
        rc, out, err = kwtest.run_keepwarm(["contacts", "--all", "--format=json"])
        kinds = {c["email"]: c["kind"] for c in json.loads(out)} if rc == 0 else {}
        kwtest.is_(rc, 0, "contacts --all exits 0", err)
        for email, kind in (("news@letters.example", "list"),
                            ("no-reply@notify.example", "automated"),
                            ("tom@mycompany.example", "colleague"),
                            ("anna@steady-ok.example", "person"),
                            ("gina.free@gmail.com", "person")):
            kwtest.is_(kinds.get(email), kind, "contacts: %s is %s" % (email, kind))

        # -- snooze and ignore through the CLI ----------------------------
        until = as_of + 20 * DAY
        rc, out, err = kwtest.run_keepwarm(["snooze", "snooze.example",
                                            iso(until)[:10]])
        kwtest.is_(rc, 0, "snooze exits 0", err)
        rc, out, err = kwtest.run_keepwarm(["ignore", "IGNORE.example"])
        kwtest.is_(rc, 0, "ignore exits 0", err)
        rc, out, err = kwtest.run_keepwarm(["snooze", "nobody@nowhere.example", "2w"])
        kwtest.is_(rc, 10, "unknown target: exit code 10")
        kwtest.like(err, r"nobody@nowhere\.example", "unknown target: named in the error")
        rc, out, err = kwtest.run_keepwarm(["ignore", "gmail.com"])
        kwtest.is_(rc, 10, "a freemail domain is not a target")

        # settings survive a second sync
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(gen_scenarios.ME,)),
                                           password=dv.password)
        kwtest.is_(rc, 0, "second sync exits 0", err)
        same_both_ways(as_of, "after the second sync")

        default = overdue(as_of) or {}
        kwtest.ok("snooze.example" not in default, "snoozed: hidden until the date")
        kwtest.ok("ignore.example" not in default, "ignored: hidden")
        alls = overdue(as_of, "--all") or {}
        kwtest.is_(alls.get("snooze.example", {}).get("state"), "snoozed", "snoozed: state")
        kwtest.is_(alls.get("ignore.example", {}).get("state"), "ignored", "ignored: state")
        later = overdue(until + DAY) or {}
        kwtest.is_(later.get("snooze.example", {}).get("state"), "overdue",
                   "snoozed: back after the date")
        kwtest.ok("ignore.example" not in later, "ignored: still hidden after the date")
        much_later = overdue(as_of + 400 * DAY, "--all") or {}
        kwtest.is_(much_later.get("ignore.example", {}).get("state"), "ignored",
                   "ignored: for good")
        rc, out, err = kwtest.run_keepwarm(["unignore", "ignore.example"])
        kwtest.is_(rc, 0, "unignore exits 0", err)
        kwtest.ok("ignore.example" in (overdue(as_of) or {}), "unignored: listed again")

        # the other formats run and say the same
        rc, out, err = kwtest.run_keepwarm(["overdue", "--as-of", iso(as_of), "--format=tsv"])
        kwtest.is_(rc, 0, "tsv exits 0", err)
        kwtest.like(out, r"(?m)^org\tsteady-cold\.example\t[^\t]*\toverdue\t", "tsv row")
        rc, out, err = kwtest.run_keepwarm(["show", "takeover.example", "--as-of", iso(as_of)])
        kwtest.is_(rc, 0, "show exits 0", err)
        kwtest.like(out, r"nick\.new@takeover\.example", "show lists the people")
        rc, out, err = kwtest.run_keepwarm(["export", "--format=csv", "--as-of", iso(as_of)])
        kwtest.is_(rc, 0, "export csv exits 0", err)
        kwtest.like(out, r"(?m)^kate@sales\.widgets\.co\.uk,Kate Widget,widgets\.co\.uk,ok,",
                    "export: the .co.uk contact with its organisation")


if __name__ == "__main__":
    kwtest.main(test)
