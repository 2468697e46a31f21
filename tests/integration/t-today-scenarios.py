#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daily routine end to end, fifteen working days of it: a seller's
mailbox (tests/lib/gen_today.py) served by a real Dovecot and synced through
the real `keepwarm sync`, replayed day by day with `--as-of`.

Every day's list must be exactly what the test's own statement of the rules
(gen_today.expected_list) derives from `keepwarm overdue --all --format=json`
as of the same instant and the earlier lists; the items are then handled
the ways a seller handles them — a reply or a mail (appended to Sent, synced),
a call (`keepwarm log`), a meeting (a calendar imported with `import-ics`),
`skip`, `done` — and `today` must tick each with the right `how`, keep the
list, and count the streak: across a weekend, with mail synced only days
later, broken by a missed working day. A meeting planned in a calendar
keeps its customer in touch until it has passed. A second, small world
shows that a day with an empty list breaks nothing."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kwtest import *  # noqa: E402,F401,F403
import kwtest  # noqa: E402
import gen_today as gt  # noqa: E402

DAY = 86400
ENV = {"TZ": "UTC"}
MISSED = 16          # Wednesday of the third week: the seller does nothing
LATE_MAIL_DAY = 4    # Friday: a mail whose copy is synced only on Monday
ACTIONS = ("mail", "call", "skip", "done")
HOW = {"mail": "mail", "reply": "mail", "late-mail": "mail", "call": "call", "skip": "skipped",
       "done": "other", "meeting": "meeting"}


def iso(t):
    return kwtest.iso_utc(t)


def kw(args, **kv):
    return kwtest.run_keepwarm(args, env=ENV, **kv)


def json_of(args, what):
    rc, out, err = kw(args)
    if rc != 0:
        kwtest.diag("%s failed (%d): %s" % (what, rc, err))
        return None
    try:
        return json.loads(out)
    except ValueError:
        kwtest.diag("%s: not JSON: %s" % (what, out[:300]))
        return None


class Run:
    def __init__(self, dv, world, work):
        self.dv, self.w, self.work = dv, world, work
        self.lists = {}          # date -> [(key, slot)]
        self.handled = {}        # date -> {key: how expected}
        self.tally = {}          # week index -> {"done": n, "skipped": n}

    def sync(self, what):
        rc, out, err = kw(kwtest.sync_args(self.dv, me=(gt.ME,)), password=self.dv.password)
        if not kwtest.is_(rc, 0, "sync %s" % what, err):
            kwtest.bail_out("sync failed")

    def today(self, k):
        return json_of(["today", "--as-of", self.w.date(k), "--format=json"], "today %s" % self.w.date(k))

    def overdue(self, k):
        as_of = self.w.day(k + 1) - 1
        return json_of(["overdue", "--all", "--format=json", "--as-of", iso(as_of)], "overdue")

    def mail_to(self, person, when, subject):
        self.dv.append("Sent", gt.raw((gt.ME_NAME, gt.ME), (None, person), when, subject), date=when)

    def act(self, k, i, item, action):
        """Handle one item; returns the `how` today must report."""
        date, key, who = self.w.date(k), item["key"], item["main_person"]
        when = self.w.day(k) + 11 * 3600 + 60 * i
        if action in ("mail", "reply", "late-mail"):
            self.mail_to(who, when, "Re: your question" if action == "reply" else "Keeping in touch")
        elif action == "call":
            rc, out, err = kw(["log", key, "call", "--date", date, "--note", "Checked in by phone"])
            kwtest.is_(rc, 0, "%s: log a call with %s" % (date, key), err)
        elif action in ("skip", "done"):
            rc, out, err = kw([action, key, "--as-of", date])
            kwtest.is_(rc, 0, "%s: %s %s" % (date, action, key), err)
        elif action == "meeting":
            path = os.path.join(self.work, "meeting-%d.ics" % k)
            with open(path, "w") as f:
                f.write(gt.meeting_ics("visit-%d@scenario.test" % k, self.w.day(k) + 15 * 3600, who,
                                       "On site"))
            rc, out, err = kw(["import-ics", path, "--as-of", date])
            kwtest.is_(rc, 0, "%s: import a meeting with %s" % (date, key), err)
            kwtest.like(out, r": 1 events, 1 occurrences, 1 with your contacts: 1 added",
                        "%s: the meeting was imported" % date)
        return HOW[action]


def plan(k, i, item):
    if item["slot"] == "owed":
        return "reply"
    if item["slot"] == "reactivation":
        return "call" if k == 9 else "skip"   # offered every few days, won back once
    if k == 3 and i == 1:
        return "meeting"
    if k == LATE_MAIL_DAY and i == 0:
        return "late-mail"
    return ACTIONS[(i + k) % len(ACTIONS)]


def check_meeting_customer(run, k):
    rels = run.overdue(k) or []
    m = {r["key"]: r for r in rels}.get("meet.example")
    if not kwtest.ok(m is not None, "day %d: the meeting customer is known" % k):
        return
    if k < gt.MEETING_DAY:
        kwtest.is_(m["state"], "ok", "day %d: a meeting is planned: in touch, not overdue" % k,
                   m.get("reason"))
        kwtest.is_(m["why"]["planned_touch"], iso(run.w.day(gt.MEETING_DAY) + 10 * 3600),
                   "day %d: the planned meeting's time" % k)
        kwtest.like(m["reason"], r"^Meeting on \w{3} \d+;", "day %d: the reason names it" % k)
    else:
        kwtest.is_(m["why"]["planned_touch"], None, "day %d: the meeting has passed" % k)
        kwtest.is_(m["why"]["last_exchange_source"], "meeting",
                   "day %d: it is the last exchange" % k, m.get("reason"))
        kwtest.is_(m["state"], "ok", "day %d: in touch since the meeting" % k)


def main_world():
    w = gt.World()
    work = kwtest.tmpdir("kwtoday-")
    maildir = gt.write(os.path.join(work, "Maildir"), w.msgs)
    kwtest.note("day 0 is %s; %d messages of history" % (w.date(0), len(w.msgs)))
    with kwtest.Dovecot(maildir=maildir) as dv:
        run = Run(dv, w, work)
        run.sync("of the history")
        for key in gt.TIER_A:
            rc, out, err = kw(["tier", key, "A"])
            kwtest.is_(rc, 0, "tier %s A" % key, err)
        # the meeting with m1, planned in a calendar imported on day 0
        cal = os.path.join(work, "calendar.ics")
        with open(cal, "w") as f:
            f.write(gt.meeting_ics("planned@scenario.test", w.day(gt.MEETING_DAY) + 10 * 3600,
                                   "m1@meet.example", "Quarterly review"))
        rc, out, err = kw(["import-ics", cal, "--as-of", w.date(0)])
        kwtest.is_(rc, 0, "import the calendar with the planned meeting", err)
        rc, out2, err = kw(["import-ics", cal, "--as-of", w.date(0)])
        kwtest.like(out2, r"0 added, 0 moved, 0 removed, 1 unchanged", "importing it again changes nothing")

        streak = 0
        longest = 0
        for k in w.days:
            date = w.date(k)
            week = k // 7
            if k == MISSED:
                kwtest.note("%s: missed (nothing done, no list)" % date)
                continue
            if k == gt.QUESTION_DAY:
                dv.append("INBOX", gt.raw(("Quirin Three", "q3@ask3.example"), (gt.ME_NAME, gt.ME),
                                          w.day(k) + 10 * 3600, "Can you call me?"),
                          date=w.day(k) + 10 * 3600)
            run.sync("of %s" % date)
            if k <= gt.MEETING_DAY or k == gt.MEETING_DAY + 1:
                check_meeting_customer(run, k)

            rels = run.overdue(k)
            t = run.today(k)
            if t is None or rels is None:
                kwtest.bail_out("no list for %s" % date)
            got = [(i["key"], i["slot"]) for i in t["items"]]
            want = gt.expected_list(rels, date, w.day(k + 1) - 1, run.lists)
            kwtest.is_(got, want, "%s: the list is exactly what the rules give" % date)
            run.lists[date] = got
            kwtest.is_(t["date"], date, "%s: the list's date" % date)
            kwtest.is_(t["size"], len(got), "%s: its size" % date)
            for field in ("kind", "key", "name", "state", "slot", "reason", "done", "how"):
                kwtest.ok(all(field in i for i in t["items"]), "%s: every item has %s" % (date, field))
            kwtest.is_(t["streak"], streak, "%s: the streak before the day's work" % date)

            # the day's work
            expect = {}
            for i, item in enumerate(t["items"]):
                expect[item["key"]] = run.act(k, i, item, plan(k, i, item))
            if k != LATE_MAIL_DAY:
                run.sync("after the mail of %s" % date)
            # (Friday's only mail is the late one: its copy is synced on Monday)
            t2 = run.today(k)
            kwtest.is_([(i["key"], i["slot"]) for i in t2["items"]], got,
                       "%s: the list stays the same all day" % date)
            for item in t2["items"]:
                how = expect[item["key"]]
                if k == LATE_MAIL_DAY and plan(k, t2["items"].index(item), item) == "late-mail":
                    kwtest.is_((item["done"], item["how"]), (False, None),
                               "%s: %s not done before its mail is synced" % (date, item["key"]))
                    continue
                kwtest.is_((item["done"], item["how"]), (True, how),
                           "%s: %s done by %s" % (date, item["key"], how))
                if how == "mail" and item["slot"] == "owed":
                    kwtest.is_(item["state"], "ok", "%s: the owed reply is answered" % date)
            if k != LATE_MAIL_DAY:
                streak += 1
                longest = max(longest, streak)
                kwtest.is_(t2["streak"], streak, "%s: the streak after the day's work" % date)
                kwtest.like(t2["progress"], r"^Today: (\d+) of \1 done · %d-day streak · all done$" % streak,
                            "%s: the progress line" % date)
            else:
                kwtest.is_(t2["streak"], streak, "%s: an unfinished day is still going" % date)
                kwtest.like(t2["progress"], r"^Today: 4 of 5 done · %d-day streak · about 2 minutes left$" % streak,
                            "%s: the progress line of an unfinished day" % date)
                streak += 1      # counted once Monday's sync brings the mail
                longest = max(longest, streak)
            for item in t2["items"]:
                if item["how"] in ("skipped",):
                    run.tally.setdefault(week, {"done": 0, "skipped": 0})["skipped"] += 1
                elif item["how"]:
                    run.tally.setdefault(week, {"done": 0, "skipped": 0})["done"] += 1
            if k == LATE_MAIL_DAY:
                run.tally[week]["done"] += 1
            if k + 1 == MISSED:
                streak = 0   # the missed Wednesday breaks it, whatever comes after

        # after the loop: the checks that need the whole run
        lists = run.lists
        dates = sorted(lists)
        for a, b in zip(dates, dates[1:]):
            if gt.workdays_between(gt.date_number(a), gt.date_number(b)) != 1:
                continue
            again = [key for key, slot in lists[b] if slot != "owed" and (key, "owed") not in lists[b]
                     and key in [x for x, _ in lists[a]]]
            kwtest.is_(again, [], "rotation: nothing of %s comes back on %s" % (a, b))
        week1 = [key for d in dates[:5] for key, slot in lists[d] if slot == "overdue"]
        kwtest.is_(len(week1), len(set(week1)), "the first week never lists an overdue customer twice")
        kwtest.ok(len(set(k for d in dates[:5] for k, _ in lists[d])) >= 20,
                  "the first week covers at least 20 relationships")
        react = [key for d in dates for key, slot in lists[d] if slot == "reactivation"]
        kwtest.ok(len(react) >= 5, "a former customer is offered on most days", react)
        kwtest.is_(sorted(set(react)), ["former1.example", "former2.example", "former3.example"],
                   "the former customers take turns")
        kwtest.is_(lists[dates[0]][:2], [("ask1.example", "owed"), ("ask2.example", "owed")],
                   "owed replies come first, the oldest first")
        kwtest.is_(lists[w.date(7)][0], ("ask3.example", "owed"),
                   "the question asked on Wednesday is owed on Monday, first")
        firsts = [key for key, slot in lists[dates[0]] if slot == "overdue"]
        kwtest.is_(sorted(firsts), sorted(gt.TIER_A), "tier A first among the overdue")
        kwtest.ok(not any(key == "meet.example" for d in dates for key, _ in lists[d]),
                  "the customer with a planned meeting is never listed")

        # the mail of Friday, synced on Monday, counts for Friday
        t = run.today(LATE_MAIL_DAY)
        kwtest.is_((t["done"], t["size"]), (5, 5), "Friday is done once its mail is synced")
        kwtest.is_(t["streak"], 5, "... and its streak counts it")
        last = run.today(w.days[-1])
        kwtest.is_(last["streak"], 2, "the missed Wednesday broke the streak")
        kwtest.is_(last["longest_streak"], longest, "the longest streak is kept (%d)" % longest)

        # review: the weeks' work
        rv = json_of(["review", "--weeks", "4", "--as-of", w.date(20), "--format=json"], "review")
        if rv:
            weeks = rv["weeks"][1:]
            for i, wk in enumerate(weeks):
                tally = run.tally.get(i, {"done": 0, "skipped": 0})
                kwtest.is_((wk["done"], wk["skipped"]), (tally["done"], tally["skipped"]),
                           "review: week %d done and skipped" % (i + 1))
            kwtest.ok(weeks[0]["brought_back"] > 0, "review: relationships came back in week 1",
                      weeks[0])
            kwtest.ok(weeks[-1]["overdue_end"] < rv["weeks"][0]["overdue_end"],
                      "review: fewer overdue at the end than before the routine", rv["weeks"])
            kwtest.is_(len(rv["overdue_sparkline"]), 4, "review: a sparkline of four weeks")
        rc, out, err = kw(["review", "--weeks", "4", "--as-of", w.date(20)])
        kwtest.like(out, r"Overdue, week by week: [▁▂▃▄▅▆▇█]{4}  \d+ → \d+", "review: the table's sparkline")


def empty_day_world():
    """Two overdue customers and one who asks on Saturday: Monday's list is
    handled, Tuesday's is empty, Wednesday's (the question) is handled."""
    d0 = gt.start_monday()
    s = gt.gen_scenarios.Story(d0)
    s.exchanges("x1@one.example", "Xena One", 60 + 14 * 7, 60, 14)
    s.exchanges("x2@two.example", "Xavier Two", 62 + 14 * 7, 62, 14)
    s.exchanges("y@three.example", "Yara Three", 7 + 14 * 2, 7, 14)
    s.inbound("y@three.example", "Yara Three", 1, "Weekend question", hour=12)  # Sunday noon
    s.msgs.sort(key=lambda m: m["date"])
    work = kwtest.tmpdir("kwtoday2-")
    maildir = gt.write(os.path.join(work, "Maildir"), s.msgs)
    db = kwtest.new_db()

    def today(k):
        date = kwtest.iso_utc(d0 + k * DAY)[:10]
        rc, out, err = kwtest.run_keepwarm(["today", "--as-of", date, "--format=json"], env=ENV, db=db)
        return json.loads(out) if rc == 0 else kwtest.diag(err)

    with kwtest.Dovecot(maildir=maildir) as dv:
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(gt.ME,)), password=dv.password,
                                           env=ENV, db=db)
        kwtest.is_(rc, 0, "small world: sync", err)
        t = today(0)
        kwtest.is_([i["key"] for i in t["items"]], ["two.example", "one.example"],
                   "Monday: the two overdue customers, the longer silent first")
        for key in ("one.example", "two.example"):
            kwtest.run_keepwarm(["log", key, "visit", "--date", kwtest.iso_utc(d0)[:10]], env=ENV, db=db)
        t = today(0)
        kwtest.is_((t["done"], t["streak"]), (2, 1), "Monday handled: a one-day streak")
        t = today(1)
        kwtest.is_((t["size"], t["items"], t["streak"]), (0, [], 1),
                   "Tuesday: nothing to do, the streak stands")
        kwtest.like(t["progress"], r"^Today: nothing to do · 1-day streak$", "Tuesday's progress line")
        t = today(2)
        kwtest.is_([(i["key"], i["slot"]) for i in t["items"]], [("three.example", "owed")],
                   "Wednesday: the weekend's question")
        dv.append("Sent", gt.raw((gt.ME_NAME, gt.ME), ("Yara Three", "y@three.example"),
                                 d0 + 2 * DAY + 9 * 3600, "Re: Weekend question"), date=d0 + 2 * DAY + 9 * 3600)
        rc, out, err = kwtest.run_keepwarm(kwtest.sync_args(dv, me=(gt.ME,)), password=dv.password,
                                           env=ENV, db=db)
        t = today(2)
        kwtest.is_((t["done"], t["streak"], t["longest_streak"]), (1, 2, 2),
                   "Wednesday answered: two days in a row, the empty Tuesday between them")


def test():
    main_world()
    empty_day_world()


if __name__ == "__main__":
    kwtest.main(test)
