# SPDX-License-Identifier: GPL-3.0-or-later
"""gen_today — three weeks of a seller's daily routine, with known truth.

The history before the first simulated day (written to a Maildir by
gen_scenarios/gen_mailbox) and the mail of the simulated days (appended to
the running Dovecot day by day), plus an independent statement of the rules
of the day's list (`expected_list`) that the test compares keepwarm with.

    import gen_today as gt
    w = gt.World()                 # w.days (15 working days), w.msgs (history)
    gt.write(maildir, w.msgs)
    gt.raw(frm, to, when, subject) # a message to append during the run

Days: w.day(k) is the midnight (UTC) of calendar day k; day 0 is a Monday
five weeks ago, so that all of it lies in the past (the sync refuses dates
in the future). Working days are Monday to Friday.

The customers:
  cNN@custNN.example   30 overdue customers of one depth (8 exchanges, every
                       two weeks), each silent two days longer than the one
                       before (c30 the longest); c05 and c10 are tier A
  q1, q2               wrote 6 and 4 days before day 0, unanswered: owed
  q3                   asks on day 2 (Wednesday): owed from the weekend on
  old1..old3           former customers, silent 500-700 days: reactivation
  m1@meet.example      overdue, but a meeting is planned on day 8
"""

import calendar
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import gen_scenarios  # noqa: E402

DAY = 86400
ME = gen_scenarios.ME
ME_NAME = gen_scenarios.ME_NAME
N_CUSTOMERS = 30
TIER_A = ("cust05.example", "cust10.example")
MEETING_DAY = 8        # Tuesday of the second week
QUESTION_DAY = 2       # q3 asks on Wednesday of the first week

# The rules (keepwarm's core/today.h says the same; this is the test's own copy)
REST_DAYS = 3
FRESH_DAYS = 5
DORMANT_MIN_EXCHANGES = 3
DORMANT_MIN_DAYS = 365
DORMANT_RHYTHMS = 4


def start_monday():
    """Midnight UTC of the Monday five weeks before this week's Monday."""
    now = int(time.time())
    today = now // DAY * DAY
    weekday = time.gmtime(today).tm_wday  # Monday 0
    return today - weekday * DAY - 5 * 7 * DAY


class World:
    def __init__(self, d0=None):
        self.d0 = d0 or start_monday()
        s = gen_scenarios.Story(self.d0)
        for i in range(1, N_CUSTOMERS + 1):
            last = 40 + 2 * i                    # days before day 0
            s.exchanges("c%02d@cust%02d.example" % (i, i), "Customer %d" % i,
                        last + 14 * 7, last, 14)
        s.exchanges("q1@ask1.example", "Quinn One", 20 + 30 * 3, 20, 30)
        s.inbound("q1@ask1.example", "Quinn One", 6, "Question about the invoice")
        s.exchanges("q2@ask2.example", "Quentin Two", 25 + 30 * 3, 25, 30)
        s.inbound("q2@ask2.example", "Quentin Two", 4, "Delivery date?")
        s.exchanges("q3@ask3.example", "Quirin Three", 10 + 30 * 3, 10, 30)
        for k, silent in ((1, 500), (2, 600), (3, 700)):
            s.exchanges("old%d@former%d.example" % (k, k), "Old Friend %d" % k,
                        silent + 45 * 3, silent, 45)
        s.exchanges("m1@meet.example", "Mia Meeting", 90 + 14 * 7, 90, 14)
        s.msgs.sort(key=lambda m: m["date"])
        self.msgs = s.msgs
        self.days = [k for k in range(19) if k % 7 < 5]   # 15 working days

    def day(self, k):
        return self.d0 + k * DAY

    def date(self, k):
        return time.strftime("%Y-%m-%d", time.gmtime(self.day(k)))


def write(maildir, msgs):
    return gen_scenarios.write(maildir, msgs)


_seq = [0]


def raw(frm, to, when, subject, in_reply_to=None):
    """An RFC 5322 message (CRLF) for IMAP APPEND; frm and to are (name, address)."""
    import gen_mailbox as g
    _seq[0] += 1
    mid = "today.%d.%d@scenario.test" % (when, _seq[0])
    data = g.make_message(g.Person(frm[1], frm[0]), [g.Person(to[1], to[0])], when, subject,
                          message_id=mid, in_reply_to=in_reply_to, body="Hello.\n")
    return data.replace(b"\n", b"\r\n")


def meeting_ics(uid, when, attendee, summary="Meeting"):
    """A calendar with one meeting at `when` (UTC) with `attendee`, organised by the user."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm//scenario//EN\r\n"
            "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDURATION:PT1H\r\n"
            "ORGANIZER;CN=%s:mailto:%s\r\nATTENDEE;PARTSTAT=ACCEPTED:MAILTO:%s\r\n"
            "SUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            % (uid, stamp, stamp, ME_NAME, ME, attendee.upper(), summary))


# --------------------------------------------------------------------------
# The rules of the day's list, stated independently of keepwarm's C code
# --------------------------------------------------------------------------

def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) if s else 0


def date_number(date):
    """'2024-03-01' -> days since the epoch."""
    return calendar.timegm(time.strptime(date, "%Y-%m-%d")) // DAY


def workdays_between(a, b):
    """Working days (Mon-Fri) after day number a up to and including b."""
    return sum(1 for d in range(a + 1, b + 1) if (d + 3) % 7 < 5)  # 1970-01-01 was a Thursday


def dormant(r, as_of):
    why = r["why"]
    life = max(parse_iso(why["last_exchange"]), parse_iso(r["last_inbound"]))
    quiet = max(DORMANT_MIN_DAYS, DORMANT_RHYTHMS * r["cadence_days"])
    return (why["exchanges"] >= DORMANT_MIN_EXCHANGES and life > 0
            and r["state"] in ("overdue", "awaiting-their-reply")
            and as_of - life > quiet * DAY)


TIER_RANK = {"A": 1, "B": 2, "C": 3, None: 4}


def expected_list(rels, date, as_of, earlier, size=5):
    """The day's list from `keepwarm overdue --all --format=json` (by
    organisation, as of the day's as_of) and the earlier lists
    {date: [(key, slot)]}: [(key, slot)]."""
    today = date_number(date)
    last, last_react = {}, {}
    for d, items in earlier.items():
        if d >= date:
            continue
        n = date_number(d)
        for key, slot in items:
            last[key] = max(last.get(key, n), n)
            if slot == "reactivation":
                last_react[key] = max(last_react.get(key, n), n)

    def rest(key, table):
        return workdays_between(table[key], today) if key in table else -1

    owed, over, dorm = [], [], []
    for r in rels:
        k = r["key"]
        if r["state"] == "awaiting-your-reply":
            owed.append(r)
        elif 0 <= rest(k, last) < REST_DAYS:
            continue
        elif dormant(r, as_of):
            dorm.append(r)
        elif r["state"] in ("overdue", "awaiting-their-reply"):
            over.append(r)

    owed.sort(key=lambda r: (parse_iso(r["why"]["waiting_since"]), r["key"]))

    def fresh(r):
        x = rest(r["key"], last)
        return x < 0 or x >= FRESH_DAYS

    over.sort(key=lambda r: (0 if fresh(r) else 1, TIER_RANK[r.get("tier")], -r["score"], r["key"]))

    def offered(r):
        x = rest(r["key"], last_react)
        return -(10 ** 9) if x < 0 else -x

    dorm.sort(key=lambda r: (offered(r), TIER_RANK[r.get("tier")], -r["why"]["exchanges"], r["key"]))
    out = [(r["key"], "owed") for r in owed][:size]
    room = size - len(out) - (1 if dorm else 0)
    out += [(r["key"], "overdue") for r in over[:max(room, 0)]]
    if dorm and len(out) < size:
        out.append((dorm[0]["key"], "reactivation"))
    return out
