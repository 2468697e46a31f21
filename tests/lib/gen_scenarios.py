# SPDX-License-Identifier: GPL-3.0-or-later
"""gen_scenarios — a seller's mailbox with known truth for the relationship model.
Messages are rendered and written by the shared tests/lib/gen_mailbox.py.

Each scenario is a small story (a customer, a newsletter, a colleague...) told
as messages relative to AS_OF, with the state `keepwarm overdue --as-of AS_OF
--format=json --all` must report for it (or None: never listed).

    from gen_scenarios import build, SCENARIOS, ME
    msgs, as_of = build()            # list of message dicts, as_of (epoch, midnight UTC)
    write(maildir, msgs)             # Maildir++: INBOX and .Sent

A message dict: folder ("INBOX" | "Sent"), from, to (list), date (epoch),
subject, message_id, in_reply_to, headers (extra: List-Id, Auto-Submitted...).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

DAY = 86400
ME = "seller@mycompany.example"
ME_NAME = "Sam Seller"


def as_of_default():
    """Midnight UTC today: every message lies before it (the sync rejects dates in the
    future), and snooze dates after it are in the future for `keepwarm snooze` too."""
    return int(time.time()) // DAY * DAY


class Story:
    def __init__(self, as_of):
        self.as_of = as_of
        self.msgs = []
        self.n = 0

    def _mid(self, tag):
        self.n += 1
        return "%s.%d@scenario.test" % (tag, self.n)

    def inbound(self, who, name, days_ago, subject, hour=9, headers=None, to=None, reply_to=None):
        mid = self._mid("in")
        self.msgs.append({
            "folder": "INBOX", "from": (name, who), "to": to or [(ME_NAME, ME)],
            "date": self.as_of - int(days_ago * DAY) + hour * 3600,
            "subject": subject, "message_id": mid, "in_reply_to": reply_to,
            "headers": headers or {},
        })
        return mid

    def outbound(self, who, name, days_ago, subject, hour=11, to_extra=(), reply_to=None):
        mid = self._mid("out")
        self.msgs.append({
            "folder": "Sent", "from": (ME_NAME, ME), "to": [(name, who)] + list(to_extra),
            "date": self.as_of - int(days_ago * DAY) + hour * 3600,
            "subject": subject, "message_id": mid, "in_reply_to": reply_to,
            "headers": {},
        })
        return mid

    def exchange(self, who, name, days_ago, subject="Project"):
        """They write in the morning, you answer before noon: one two-way touch."""
        m = self.inbound(who, name, days_ago, subject)
        self.outbound(who, name, days_ago, "Re: " + subject, reply_to=m)

    def exchanges(self, who, name, first_days_ago, last_days_ago, every):
        """Exchanges every `every` days, the last exactly `last_days_ago`, none
        earlier than `first_days_ago`."""
        d = last_days_ago
        while d <= first_days_ago + 1e-9:
            self.exchange(who, name, d)
            d += every


# Each scenario: (name, key in the overdue JSON, kind, expected state at AS_OF or None
# when never listed, story function). Days are "days before AS_OF".
def _steady_ok(s):
    # two years every 14 days, last exchange 5 days ago
    s.exchanges("anna@steady-ok.example", "Anna Steady", 5 + 14 * 50, 5, 14)


def _steady_overdue(s):
    # every 14 days for a year and a half, silent for 5x the cadence (70 days)
    s.exchanges("ben@steady-cold.example", "Ben Cold", 70 + 14 * 40, 70, 14)


def _quarterly_ok(s):
    # quarterly for two years, 60 days silent: within the rhythm
    s.exchanges("cara@quarterly-a.example", "Cara Quarter", 60 + 91 * 8, 60, 91)


def _quarterly_overdue(s):
    # quarterly for two years, then 400 days silent
    s.exchanges("dan@quarterly-b.example", "Dan Quarter", 400 + 91 * 8, 400, 91)


def _takeover(s):
    # the old contact talked monthly and left 300 days ago; the new one
    # took over a month later and talks monthly until 10 days ago
    s.exchanges("olga.old@takeover.example", "Olga Old", 300 + 30 * 12, 300, 30)
    s.exchanges("nick.new@takeover.example", "Nick New", 270, 10, 30)


def _awaiting_your_reply(s):
    # monthly; last exchange 25 days ago; she wrote again last week, unanswered
    s.exchanges("eva@waiting.example", "Eva Waiting", 25 + 30 * 12, 25, 30)
    s.inbound("eva@waiting.example", "Eva Waiting", 7, "Can you send the new price list?")


def _awaiting_their_reply(s):
    # monthly; last exchange 35 days ago; a proposal sent 30 days ago, no reply
    s.exchanges("fred@proposal.example", "Fred Proposal", 35 + 30 * 12, 35, 30)
    s.outbound("fred@proposal.example", "Fred Proposal", 30, "Our proposal for 2025")


def _newsletter(s):
    # a weekly newsletter (List-Id, List-Unsubscribe, Precedence: bulk); the
    # user once answered it
    for k in range(60):
        s.inbound("news@letters.example", "Weekly Letter", 3 + 7 * k, "This week #%d" % k,
                  headers={"List-Id": "<weekly.letters.example>",
                           "List-Unsubscribe": "<mailto:leave@letters.example>",
                           "Precedence": "bulk"})
    s.outbound("news@letters.example", "Weekly Letter", 100, "Re: This week")


def _notifier(s):
    # a no-reply notifier with Auto-Submitted; the user answered one
    for k in range(40):
        s.inbound("no-reply@notify.example", "Notifier", 2 + 9 * k, "Alert %d" % k,
                  headers={"Auto-Submitted": "auto-generated"})
    s.outbound("no-reply@notify.example", "Notifier", 50, "Re: Alert")


def _colleague(s):
    # a colleague, weekly for a year, silent for 200 days
    s.exchanges("tom@mycompany.example", "Tom Colleague", 200 + 7 * 50, 200, 7)


def _cold_outreach(s):
    # cold outreach, three mails, never answered
    for d in (90, 60, 30):
        s.outbound("lead@cold.example", "Lee Lead", d, "Quick intro")


def _freemail(s):
    # a freemail customer, monthly, silent 100 days
    s.exchanges("gina.free@gmail.com", "Gina Free", 100 + 30 * 12, 100, 30)


def _out_of_office(s):
    # monthly until 120 days ago; since then three mails from the user, each
    # answered only by an out-of-office reply: the user's mail stays
    # awaiting their reply (an unanswered offer is never forgotten), overdue
    # by the rhythm too; the last auto-reply says until when (German form)
    s.exchanges("hugo@ooo.example", "Hugo Away", 120 + 30 * 10, 120, 30)
    for d in (100, 80, 60):
        m = s.outbound("hugo@ooo.example", "Hugo Away", d, "Checking in")
        back = time.strftime("%d.%m.%Y", time.gmtime(s.as_of - (d - 14) * DAY))
        s.inbound("hugo@ooo.example", "Hugo Away", d,
                  "Abwesend bis %s: Checking in" % back if d == 60 else "Out of office: Checking in",
                  hour=12, headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
                  reply_to=m)


def _forgotten_question(s):
    # fortnightly; last exchange 70 days ago; then the customer asked a
    # question (45 days ago) that was never answered: the most urgent item,
    # above every overdue one, and overdue by the rhythm as well
    s.exchanges("quinn@question.example", "Quinn Fragen", 70 + 14 * 20, 70, 14)
    s.inbound("quinn@question.example", "Quinn Fragen", 45, "Frage zur Lieferung")


def _snoozed(s):
    # overdue (monthly, silent 90 days), then snoozed via the CLI
    s.exchanges("ivy@snooze.example", "Ivy Snooze", 90 + 30 * 10, 90, 30)


def _ignored(s):
    # overdue (monthly, silent 90 days), then ignored via the CLI
    s.exchanges("jack@ignore.example", "Jack Ignore", 90 + 30 * 10, 90, 30)


def _co_uk(s):
    # a .co.uk company reached at a subdomain, monthly, last exchange 10 days ago
    s.exchanges("kate@sales.widgets.co.uk", "Kate Widget", 10 + 30 * 12, 10, 30)


def _broadcast(s):
    # a customer who only ever got the user's broadcasts (30 recipients) and
    # answered one: no relationship
    crowd = [("Someone %d" % i, "p%d@crowd%d.example" % (i, i)) for i in range(29)]
    for d in (200, 150, 100):
        m = s.outbound("liz@broadcast.example", "Liz Broadcast", d, "Our news", to_extra=crowd)
    s.inbound("liz@broadcast.example", "Liz Broadcast", 99, "Re: Our news", reply_to=m)


def _team_copied(s):
    # monthly until 80 days ago (overdue on the user's own mail), but a
    # colleague wrote to them 5 days ago with the user in To: a team touch
    # from the user's own mailbox, so ok (team)
    s.exchanges("lena@copied.example", "Lena Copied", 80 + 30 * 10, 80, 30)
    s.inbound("uwe@mycompany.example", "Uwe Colleague", 5, "Your order",
              to=[("Lena Copied", "lena@copied.example"), (ME_NAME, ME)])


SCENARIOS = [
    # name, key, kind, expected state at AS_OF (None: never listed), story
    ("steady customer recently contacted", "steady-ok.example", "org", "ok", _steady_ok),
    ("steady customer silent 5x its cadence", "steady-cold.example", "org", "overdue",
     _steady_overdue),
    ("quarterly customer 60 days silent", "quarterly-a.example", "org", "ok", _quarterly_ok),
    ("quarterly customer 400 days silent", "quarterly-b.example", "org", "overdue",
     _quarterly_overdue),
    ("old contact left, new one took over", "takeover.example", "org", "ok", _takeover),
    ("customer wrote last week, unanswered", "waiting.example", "org", "awaiting-your-reply",
     _awaiting_your_reply),
    ("proposal sent a month ago, no reply", "proposal.example", "org", "awaiting-their-reply",
     _awaiting_their_reply),
    ("weekly newsletter", "letters.example", "org", None, _newsletter),
    ("no-reply notifier", "notify.example", "org", None, _notifier),
    ("colleague", "mycompany.example", "org", None, _colleague),
    ("cold outreach never answered", "cold.example", "org", None, _cold_outreach),
    ("freemail customer", "gina.free@gmail.com", "person", "overdue", _freemail),
    ("out-of-office replies are not touches", "ooo.example", "org", "awaiting-their-reply",
     _out_of_office),
    ("a question never answered", "question.example", "org", "awaiting-your-reply",
     _forgotten_question),
    ("snoozed customer", "snooze.example", "org", "overdue", _snoozed),
    ("ignored customer", "ignore.example", "org", "overdue", _ignored),
    ("a .co.uk organisation", "widgets.co.uk", "org", "ok", _co_uk),
    ("broadcast recipient", "broadcast.example", "org", None, _broadcast),
    ("a colleague wrote to them with the user in copy", "copied.example", "org", "ok",
     _team_copied),
]


def build(as_of=None):
    as_of = as_of or as_of_default()
    s = Story(as_of)
    for sc in SCENARIOS:
        sc[4](s)
    s.msgs.sort(key=lambda m: m["date"])
    return s.msgs, as_of


# --------------------------------------------------------------------------
# Writing the Maildir (through the shared generator's building blocks)
# --------------------------------------------------------------------------

def to_messages(msgs):
    """gen_mailbox.Message objects for the message dicts."""
    import gen_mailbox as g
    people = {}

    def person(pair):
        name, email = pair
        p = people.get(email)
        if p is None:
            p = people[email] = g.Person(email, name)
        return p

    out = []
    for m in msgs:
        out.append(g.Message(m["folder"], person(m["from"]), [person(x) for x in m["to"]],
                             m["date"], m["subject"], message_id=m["message_id"],
                             in_reply_to=m.get("in_reply_to"),
                             references=[m["in_reply_to"]] if m.get("in_reply_to") else (),
                             extra_headers=list(m.get("headers", {}).items()), body="Hello.\n"))
    return out


def write(maildir, msgs):
    """Maildir++ with INBOX and .Sent (file mtime = INTERNALDATE = Date); returns maildir."""
    import gen_mailbox as g
    g.write_maildir(maildir, to_messages(msgs))
    g.ensure_folders(maildir, ["Sent"])
    return maildir


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("maildir")
    ap.add_argument("--as-of", type=int, default=None)
    a = ap.parse_args()
    msgs, as_of = build(a.as_of)
    write(a.maildir, msgs)
    print("wrote %d messages; as_of %d" % (len(msgs), as_of))
