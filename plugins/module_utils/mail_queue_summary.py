# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every queue reader returns, and the per-queue summary of the mail_queue module.

A reader yields one ``QueuedMessage`` per message. ``summarize()`` turns a list of them into
the figures a person monitoring a host wants: how many, how old the oldest is, and why they
wait, the reasons grouped with counts (each distinct reason counted once per message).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections


class QueueReadError(Exception):
    """A queue could not be read (a message fit for the user)."""


class QueuedMessage(object):
    """One queued message as the old MTA holds it.

    ``content`` is a callable returning the message (headers and body) as bytes, read only
    when the message is moved; ``files`` are the spool files that make up the message.
    ``state`` is ``queued``, ``frozen`` or ``corrupt``.
    """

    __slots__ = (
        "mta",
        "queue",
        "queue_id",
        "sender",
        "recipients",
        "arrival_time",
        "state",
        "reasons",
        "message_id",
        "files",
        "content",
        "problem",
    )

    def __init__(self, mta, queue, queue_id, sender=None, recipients=None, arrival_time=None, state="queued",
                 reasons=None, message_id=None, files=None, content=None, problem=None):  # fmt: skip
        self.mta = mta
        self.queue = queue
        self.queue_id = queue_id
        self.sender = sender
        self.recipients = list(recipients or [])
        self.arrival_time = arrival_time
        self.state = state
        self.reasons = list(reasons or [])
        self.message_id = message_id
        self.files = list(files or [])
        self.content = content
        self.problem = problem

    def as_dict(self):
        return dict(
            mta=self.mta,
            queue=self.queue,
            queue_id=self.queue_id,
            sender=self.sender,
            recipients=list(self.recipients),
            arrival_time=self.arrival_time,
            state=self.state,
            reasons=list(self.reasons),
            message_id=self.message_id,
            problem=self.problem,
        )


def summarize(mta, queue, messages, now):
    """The summary of one queue: count, oldest age in seconds, states and grouped reasons."""
    reasons = collections.Counter()
    states = collections.Counter()
    oldest = None
    for message in messages:
        states[message.state] += 1
        for reason in sorted(set(message.reasons)):
            reasons[reason] += 1
        if message.arrival_time is not None and (oldest is None or message.arrival_time < oldest):
            oldest = message.arrival_time
    return {
        "mta": mta,
        "queue": queue,
        "count": len(messages),
        "oldest_age": None if oldest is None else max(0, int(now - oldest)),
        "frozen": states.get("frozen", 0),
        "corrupt": states.get("corrupt", 0),
        "reasons": [
            {"reason": reason, "count": count}
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def reason_lines(summaries):
    """One line per queue and reason, e.g. ``postfix deferred: connect to [x]:25: Connection timed out: 18``."""
    lines = []
    for summary in summaries:
        if not summary["count"]:
            continue
        head = "%s %s" % (summary["mta"], summary["queue"])
        if not summary["reasons"]:
            lines.append("%s: %d waiting" % (head, summary["count"]))
        for item in summary["reasons"]:
            lines.append("%s: %s: %d" % (head, item["reason"], item["count"]))
    return lines
