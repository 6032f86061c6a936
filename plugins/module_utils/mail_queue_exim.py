# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Exim's queue, read from its spool files (Exim 4 spool format, spool_out.c / spool_in.c).

A message is two files in ``input/`` (or ``input/X/`` with split_spool_directory):

* ``ID-H``: the line ``ID-H``; ``login uid gid``; ``<sender>``; ``received_time warning_count``;
  option lines starting with ``-`` (``-frozen TIME`` among them); the tree of recipients
  already delivered (``XX`` when empty, else nodes ``YN address`` written node, left, right);
  the number of recipients and one line each (an address, or ``address errors_to len,pno#1``
  and longer ``#N`` forms); an empty line; the headers, each ``NNNc text`` where NNN is the
  header's length in bytes (newlines included, so it may run over several lines) and c its
  type; ``*`` marks a header Exim deleted.
* ``ID-D``: the line ``ID-D`` and then the body, exactly as received.

``msglog/ID`` holds the delivery attempts; its ``defer (N): reason`` lines give the reasons.
The content of a message is its headers (the deleted ones left out) and its body, which is
what Exim itself would have sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueuedMessage

# Exim 4 message IDs: 6-6-2 base-62 (4.96 and older) and 6-11-4 (4.97 and later).
ID_RE = re.compile(r"[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|[0-9A-Za-z]{11}-[0-9A-Za-z]{4})")
_HEADER_START_RE = re.compile(rb"^(\d{3,})(.)")
_EXTENDED_RCPT_RE = re.compile(r"^(\S+) .*\d+,-?\d+#\d+$")
_DEFER_RE = re.compile(r"^\S+ \S+ (\S+) .*\bdefer \(-?\d+\): (.*)$")
_HOST_RE = re.compile(r"^\S+ \S+ H=(\S+ \[[^\]]+\](?::\d+)?) ")
_MESSAGE_ID_RE = re.compile(rb"^message-id:[ \t]*(.*)$", re.IGNORECASE | re.DOTALL)


class SpoolFormatError(ValueError):
    """A -H file that does not follow Exim's format."""


def _tree(lines, index):
    """Parse the non-recipients tree starting at lines[index]; return (addresses, next index)."""
    line = lines[index]
    if line == "XX":
        return [], index + 1
    if len(line) < 4 or line[0] not in "YN" or line[1] not in "YN" or line[2] != " ":
        raise SpoolFormatError("bad non-recipients tree line %r" % line[:60])
    found = [line[3:]]
    index += 1
    for flag in line[:2]:
        if flag == "Y":
            sub, index = _tree_node(lines, index)
            found.extend(sub)
    return found, index


def _tree_node(lines, index):
    if index >= len(lines) or lines[index] == "XX":
        raise SpoolFormatError("truncated non-recipients tree")
    return _tree(lines, index)


def parse_header_file(data):
    """The envelope and headers of a -H file (bytes): a dict, or SpoolFormatError."""
    end = data.find(b"\n\n")
    if end < 0:
        raise SpoolFormatError("no empty line before the headers")
    envelope = data[:end].decode("utf-8", "surrogateescape").split("\n")
    if len(envelope) < 6 or not envelope[0].endswith("-H"):
        raise SpoolFormatError("not an Exim -H file")
    sender = envelope[2]
    if not (sender.startswith("<") and sender.endswith(">")):
        raise SpoolFormatError("bad sender line")
    try:
        received = int(envelope[3].split()[0])
    except (IndexError, ValueError):
        raise SpoolFormatError("bad received time line")
    index = 4
    options = {}
    while index < len(envelope) and envelope[index].startswith("-"):
        name, dummy, value = envelope[index][1:].partition(" ")
        options[name] = value
        index += 1
    if index >= len(envelope):
        raise SpoolFormatError("no recipients")
    delivered, index = _tree(envelope, index)
    try:
        count = int(envelope[index])
    except (IndexError, ValueError):
        raise SpoolFormatError("bad recipient count")
    recipients = []
    for line in envelope[index + 1 :]:
        match = _EXTENDED_RCPT_RE.match(line)
        recipients.append(match.group(1) if match else line)
    if len(recipients) != count:
        raise SpoolFormatError("%d recipients listed, %d announced" % (len(recipients), count))

    headers = []
    rest = data[end + 2 :]
    pos = 0
    while pos < len(rest):
        match = _HEADER_START_RE.match(rest[pos : pos + 12])
        if not match:
            raise SpoolFormatError("bad header length at byte %d" % (end + 2 + pos))
        length = int(match.group(1))
        start = pos + len(match.group(1)) + 1
        if rest[start : start + 1] == b" ":
            start += 1
        text = rest[start : start + length]
        if len(text) != length:
            raise SpoolFormatError("truncated header")
        headers.append((match.group(2).decode("latin-1"), text))
        pos = start + length
    return {
        "sender": sender[1:-1],
        "received": received,
        "options": options,
        "delivered": delivered,
        "recipients": recipients,
        "headers": headers,
    }


def _defer_reasons(msglog_path, pending):
    """The last defer reason of each still pending recipient, from the message log."""
    last = {}
    try:
        with open(msglog_path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return []
    host = None
    for line in text.splitlines():
        match = _DEFER_RE.match(line)
        if match:
            reason = " ".join(match.group(2).split())
            last[match.group(1)] = "%s: %s" % (host, reason) if host and host not in reason else reason
            continue
        match = _HOST_RE.match(line)
        host = match.group(1) if match else None
    return [last[r] for r in pending if r in last]


def _spool_dirs(input_dir):
    yield input_dir
    try:
        names = sorted(os.listdir(input_dir))
    except OSError:
        return
    for name in names:
        path = os.path.join(input_dir, name)
        if len(name) == 1 and os.path.isdir(path):
            yield path


def _content(header_path, data_path):
    def read():
        with open(header_path, "rb") as handle:
            parsed = parse_header_file(handle.read())
        with open(data_path, "rb") as handle:
            body = handle.read()
        first = body.find(b"\n")
        if first < 0 or not body[:first].endswith(b"-D"):
            raise SpoolFormatError("not an Exim -D file")
        return b"".join(text for kind, text in parsed["headers"] if kind != "*") + b"\n" + body[first + 1 :]

    return read


def read(spool_dir="/var/spool/exim4"):
    """Every message in Exim's spool, oldest first; unreadable ones come back ``corrupt``."""
    input_dir = os.path.join(spool_dir, "input")
    messages = []
    if not os.path.isdir(input_dir):
        return messages
    for directory in _spool_dirs(input_dir):
        names = set(os.listdir(directory))
        ids = set(name[:-2] for name in names if name.endswith(("-H", "-D")) and ID_RE.fullmatch(name[:-2]))
        for queue_id in sorted(ids):
            header_path = os.path.join(directory, queue_id + "-H")
            data_path = os.path.join(directory, queue_id + "-D")
            msglog = os.path.join(spool_dir, "msglog", os.path.relpath(directory, input_dir), queue_id)
            msglog = os.path.normpath(msglog)
            files = [p for p in (header_path, data_path, msglog) if os.path.exists(p)]
            message = QueuedMessage("exim4", "input", queue_id, files=files)
            if queue_id + "-H" not in names or queue_id + "-D" not in names:
                message.state = "corrupt"
                message.problem = "the %s file is missing" % ("-H" if queue_id + "-H" not in names else "-D")
                message.arrival_time = int(os.stat(files[0]).st_mtime) if files else None
                messages.append(message)
                continue
            try:
                with open(header_path, "rb") as handle:
                    parsed = parse_header_file(handle.read())
            except (SpoolFormatError, IOError, OSError) as exc:
                message.state = "corrupt"
                message.problem = str(exc)
                message.arrival_time = int(os.stat(header_path).st_mtime)
                messages.append(message)
                continue
            delivered = set(parsed["delivered"])
            pending = [r for r in parsed["recipients"] if r not in delivered]
            message.sender = parsed["sender"]
            message.recipients = pending
            message.arrival_time = parsed["received"]
            message.state = "frozen" if "frozen" in parsed["options"] else "queued"
            message.reasons = _defer_reasons(msglog, pending)
            for kind, text in parsed["headers"]:
                found = _MESSAGE_ID_RE.match(text) if kind != "*" else None
                if found:
                    message.message_id = " ".join(found.group(1).decode("utf-8", "replace").split())
            message.content = _content(header_path, data_path)
            messages.append(message)
    messages.sort(key=lambda m: (m.arrival_time or 0, m.queue_id))
    return messages
