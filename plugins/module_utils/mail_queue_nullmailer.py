# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nullmailer's queue (nullmailer-queue.cc): one file per message in ``queue/``, named
``TIME.PID``: the envelope sender, one recipient a line, an empty line, then the message
exactly as submitted. ``failed/`` (nullmailer 2) holds messages it gave up on, in the same
format. nullmailer keeps no reasons in its spool (they are only in its log).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueuedMessage

NAME_RE = re.compile(r"(\d+)\.\d+")
_MESSAGE_ID_RE = re.compile(rb"^message-id:[ \t]*(.*(?:\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def parse(data):
    """(sender, recipients, message bytes) of a nullmailer queue file, or ValueError."""
    end = data.find(b"\n\n")
    if end < 0:
        raise ValueError("no empty line after the envelope")
    lines = data[:end].decode("utf-8", "surrogateescape").split("\n")
    if len(lines) < 2 or any(not r.strip() for r in lines[1:]):
        raise ValueError("no recipients")
    return lines[0], lines[1:], data[end + 2 :]


def _content(path):
    def read():
        with open(path, "rb") as handle:
            return parse(handle.read())[2]

    return read


def read(spool_dir="/var/spool/nullmailer"):
    """The messages in queue/ (state queued) and failed/ (state frozen), oldest first."""
    messages = []
    for queue, state in (("queue", "queued"), ("failed", "frozen")):
        directory = os.path.join(spool_dir, queue)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            message = QueuedMessage("nullmailer", queue, name, files=[path], state=state)
            match = NAME_RE.fullmatch(name)
            message.arrival_time = int(match.group(1)) if match else int(os.stat(path).st_mtime)
            try:
                with open(path, "rb") as handle:
                    sender, recipients, body = parse(handle.read())
            except (ValueError, IOError, OSError) as exc:
                message.state = "corrupt"
                message.problem = str(exc)
                messages.append(message)
                continue
            message.sender, message.recipients = sender, recipients
            headers = body.split(b"\n\n", 1)[0]
            found = _MESSAGE_ID_RE.search(headers)
            if found:
                message.message_id = " ".join(found.group(1).decode("utf-8", "replace").split())
            message.content = _content(path)
            messages.append(message)
    messages.sort(key=lambda m: (m.arrival_time or 0, m.queue_id))
    return messages
