# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix's queue, from ``postqueue -j`` (Postfix 3.1 and later): one JSON object a line.

Each object has queue_name (maildrop, incoming, active, deferred, hold, corrupt), queue_id,
arrival_time (epoch seconds), sender and recipients [{address, delay_reason}].
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueuedMessage, QueueReadError

QUEUES = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")


def parse_postqueue_json(text):
    """QueuedMessage objects from the output of ``postqueue -j``."""
    messages = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise QueueReadError("postqueue -j printed a line that is not JSON (line %d)" % number)
        if not isinstance(item, dict) or not isinstance(item.get("queue_name"), str):
            raise QueueReadError("postqueue -j printed an object without queue_name (line %d)" % number)
        recipients = [r for r in item.get("recipients") or [] if isinstance(r, dict)]
        arrival = item.get("arrival_time")
        messages.append(
            QueuedMessage(
                "postfix",
                item["queue_name"],
                str(item.get("queue_id", "")),
                sender=item.get("sender", ""),
                recipients=[str(r.get("address", "")) for r in recipients],
                arrival_time=arrival if isinstance(arrival, int) else None,
                state="corrupt" if item["queue_name"] == "corrupt" else "queued",
                reasons=[" ".join(str(r["delay_reason"]).split()) for r in recipients if r.get("delay_reason")],
            )
        )
    return messages


def failure(option, rc, out, err):
    """What a failed ``postqueue OPTION`` said, on one line, at most 300 characters of it."""
    return "postqueue %s failed (%d): %s" % (option, rc, " ".join((err or out).split())[:300])


def read(run_command, postqueue):
    """The Postfix queue; ``run_command(args)`` returns (rc, stdout, stderr)."""
    rc, out, err = run_command([postqueue, "-j"])
    if rc != 0:
        raise QueueReadError(failure("-j", rc, out, err))
    return parse_postqueue_json(out)
