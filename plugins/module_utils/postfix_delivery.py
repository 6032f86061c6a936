# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Send one message through the local Postfix and follow it to its delivery result.

The message is injected with sendmail(1) under a unique Message-ID; Postfix's log tells
the queue ID (cleanup: "QID: message-id=<...>") and then the result of each delivery
attempt ("QID: to=<...>, relay=..., status=sent|deferred|bounced (reply)"). The log is
read from journald when it is there, else from the classic log files.
"""

import json
import os
import re
import time
import uuid

LOG_FILES = ("/var/log/mail.log", "/var/log/maillog", "/var/log/mail.info")
# \b: short queue IDs vary in length, and one may end another (C7781E04D8, AC7781E04D8).
STATUS_RE = (
    r"\b(?P<qid>%s): to=<(?P<rcpt>[^>]*)>,.*?relay=(?P<relay>[^,]+),.*?status=(?P<status>\w+) \((?P<reply>.*)\)\s*$"
)


def build_message(sender, recipient, subject, message_id):
    return (
        "From: <{0}>\nTo: <{1}>\nSubject: {2}\nMessage-ID: <{3}>\n"
        "Date: {4}\n\nThis is a test message sent by egress.mail.postfix_relay.\n"
    ).format(sender, recipient, subject, message_id, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()))


def find_queue_id(lines, message_id):
    pattern = re.compile(r"\b([0-9A-Za-z]{6,}): message-id=<%s>" % re.escape(message_id))
    for line in lines:
        match = pattern.search(line)
        if match:
            return match.group(1)
    return None


def find_status(lines, qid):
    """Last delivery result logged for the queue ID, as a dict, or None."""
    pattern = re.compile(STATUS_RE % re.escape(qid))
    result = None
    for line in lines:
        match = pattern.search(line)
        if match:
            result = match.groupdict()
    return result


class LogReader(object):
    """Postfix log lines written since this object was created."""

    def __init__(self, run):
        self.run = run
        self.since = int(time.time()) - 1
        self.offsets = {}
        for path in LOG_FILES:
            if os.path.exists(path):
                self.offsets[path] = os.path.getsize(path)
        rc, out, dummy = run(["journalctl", "--version"])
        self.journal = rc == 0

    def lines(self):
        found = []
        if self.journal:
            rc, out, dummy = self.run(["journalctl", "--no-pager", "-q", "-o", "cat", "--since", "@%d" % self.since])
            if rc == 0:
                found.extend(out.splitlines())
        for path in LOG_FILES:
            if not os.path.exists(path):
                continue
            with open(path, "rb") as handle:
                handle.seek(self.offsets.get(path, 0))
                found.extend(handle.read().decode("utf-8", "replace").splitlines())
        return found


def queue_entry(run, qid):
    """The queue entry (postqueue -j) for a queue ID, or None when it left the queue."""
    rc, out, dummy = run(["postqueue", "-j"])
    if rc != 0:
        return None
    for line in out.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("queue_id") == qid:
            return entry
    return None


def send_and_follow(run, sendmail, sender, recipient, subject, timeout, poll=0.5):
    """Returns a dict: status (sent, deferred, bounced, unknown), reply, relay, queue_id."""
    message_id = "egress-test.%s@egress.mail" % uuid.uuid4().hex
    reader = LogReader(run)
    rc, out, err = run(
        [sendmail, "-i", "-f", sender, "--", recipient], data=build_message(sender, recipient, subject, message_id)
    )
    if rc != 0:
        return {
            "status": "not_queued",
            "reply": (err or out).strip(),
            "relay": None,
            "queue_id": None,
            "message_id": message_id,
        }
    deadline = time.time() + timeout
    qid = None
    while True:
        lines = reader.lines()
        qid = qid or find_queue_id(lines, message_id)
        if qid:
            status = find_status(lines, qid)
            if status:
                return {
                    "status": status["status"],
                    "reply": status["reply"],
                    "relay": status["relay"],
                    "queue_id": qid,
                    "message_id": message_id,
                }
            entry = queue_entry(run, qid)
            reasons = [r.get("delay_reason") for r in (entry or {}).get("recipients", []) if r.get("delay_reason")]
            if reasons:
                return {
                    "status": "deferred",
                    "reply": reasons[0],
                    "relay": None,
                    "queue_id": qid,
                    "message_id": message_id,
                }
        if time.time() >= deadline:
            return {
                "status": "unknown",
                "relay": None,
                "queue_id": qid,
                "message_id": message_id,
                "reply": "no delivery result logged within %ss" % timeout,
            }
        time.sleep(poll)
