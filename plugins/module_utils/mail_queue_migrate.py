# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Move another MTA's queued messages into Postfix, each exactly once.

For each message, in this order:

1. a ``pending`` line goes to the journal (fsync'd) with the message's key (MTA and queue ID)
   and Message-ID;
2. Postfix's sendmail gets it: ``sendmail -oi -f SENDER -- RCPT...`` with the content on
   stdin, unchanged;
3. only when sendmail exited 0, an ``accepted`` line goes to the journal (fsync'd);
4. then the message's spool files are removed.

An interrupted run that is started again therefore never loses a message (the spool files go
only after Postfix accepted it) and never sends one twice: a key the journal has as
``accepted`` is only removed from the old spool; a key left ``pending`` (the run died while
sendmail ran) is resent only when Postfix has no record of its Message-ID
(``accepted_elsewhere``: Postfix's cleanup log and queue), and a message without a Message-ID
is resent (a possible duplicate is better than a lost message).

Frozen, failed and unreadable messages are not sent: their files move to ``unmovable_dir``
(per MTA), where they are kept and counted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time


class MigrationError(Exception):
    """A message fit for the user."""


def key_of(message):
    return "%s:%s/%s" % (message.mta, message.queue, message.queue_id)


def read_journal(path):
    """{key: (state, message_id)} from the journal; the last line of a key wins; a torn last line is
    ignored."""
    states = {}
    if not os.path.exists(path):
        return states
    with open(path, "rb") as handle:
        for line in handle.read().decode("utf-8", "replace").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(item, dict)
                and isinstance(item.get("key"), str)
                and item.get("state") in ("pending", "accepted")
            ):
                states[item["key"]] = (item["state"], item.get("message_id"))
    return states


class Journal(object):
    def __init__(self, path):
        self.path = path
        directory = os.path.dirname(path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        self.states = read_journal(path)
        self._fd = None

    def write(self, key, state, message_id):
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        line = json.dumps({"key": key, "state": state, "message_id": message_id}, sort_keys=True) + "\n"
        os.write(self._fd, line.encode("utf-8"))
        os.fsync(self._fd)
        self.states[key] = (state, message_id)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _remove(files):
    # Exim: the -H file first, so that a half-removed message is never seen as a message.
    for path in sorted(files, key=lambda p: (not p.endswith("-H"), p)):
        try:
            os.unlink(path)
        except OSError:
            if os.path.exists(path):
                raise


def _keep(message, unmovable_dir):
    target = os.path.join(unmovable_dir, message.mta)
    if not os.path.isdir(target):
        os.makedirs(target, 0o700)
    for path in message.files:
        name = os.path.basename(path)
        if message.mta == "nullmailer":
            name = "%s.%s" % (message.queue, name)
        elif path.rstrip("/").split("/")[-2:-1] == ["msglog"]:
            name = name + ".msglog"
        os.rename(path, os.path.join(target, name))


def migrate(messages, submit, journal_path, unmovable_dir, accepted_elsewhere=None, check_mode=False):
    """Move ``messages`` (QueuedMessage) into Postfix; return the figures.

    ``submit(sender, recipients, content)`` returns (rc, error text); ``accepted_elsewhere(message_id)``
    says whether Postfix already has (or already sent) a message with that Message-ID.
    """
    started = time.monotonic()
    result = {
        "moved": 0,
        "resumed": 0,
        "unmovable": 0,
        "failed": [],
        "message_ids": [],
        "unmovable_dir": unmovable_dir,
        "unmovable_ids": [],
        "seconds": 0.0,
    }
    movable = [m for m in messages if m.state == "queued" and m.recipients and m.content is not None]
    kept = [m for m in messages if m not in movable]
    result["unmovable"] = len(kept)
    result["unmovable_ids"] = ["%s %s (%s)" % (m.mta, m.queue_id, m.problem or m.state) for m in kept]
    if check_mode:
        result["moved"] = len(movable)
        result["message_ids"] = [m.message_id for m in movable]
        return result
    journal = Journal(journal_path)
    try:
        for message in kept:
            _keep(message, unmovable_dir)
        for message in movable:
            key = key_of(message)
            # A key names the same message only with the same Message-ID (queue IDs are reused after a
            # clock reset or a new installation).
            state, journal_id = journal.states.get(key, (None, None))
            if journal_id != message.message_id:
                state = None
            if (
                state == "pending"
                and message.message_id
                and accepted_elsewhere is not None
                and accepted_elsewhere(message.message_id)
            ):
                journal.write(key, "accepted", message.message_id)
                state = "accepted"
            if state == "accepted":
                _remove(message.files)
                result["resumed"] += 1
                continue
            try:
                content = message.content()
            except (ValueError, IOError, OSError) as exc:
                message.problem = str(exc)
                _keep(message, unmovable_dir)
                result["unmovable"] += 1
                result["unmovable_ids"].append("%s %s (%s)" % (message.mta, message.queue_id, exc))
                continue
            journal.write(key, "pending", message.message_id)
            rc, error = submit(message.sender, message.recipients, content)
            if rc != 0:
                result["failed"].append(
                    {"key": key, "message_id": message.message_id, "error": " ".join(str(error).split())[:300]}
                )
                continue
            journal.write(key, "accepted", message.message_id)
            _remove(message.files)
            result["moved"] += 1
            result["message_ids"].append(message.message_id)
    finally:
        journal.close()
    result["seconds"] = round(time.monotonic() - started, 3)
    return result
