# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the egress.mail.mail_queue module: every MTA's queue on a host, summarized.

``collect(run_command, ...)`` takes the side effects as arguments (run_command, the spool
directories, the clock), so unit tests call it on fixture spools without AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.egress.mail.plugins.module_utils import (
    mail_queue_detect,
    mail_queue_exim,
    mail_queue_nullmailer,
    mail_queue_postfix,
)
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import (
    QueuedMessage,
    QueueReadError,
    reason_lines,
    summarize,
)

ALL_MTAS = ("postfix", "exim4", "nullmailer", "sendmail", "dma", "opensmtpd")


def postfix_files(spool):
    """Postfix's queue counted by its queue files, for when Postfix is not running (no reasons)."""
    messages = []
    for queue in mail_queue_postfix.QUEUES:
        top = os.path.join(spool, queue)
        for root, _dummy, names in os.walk(top):
            for name in names:
                path = os.path.join(root, name)
                messages.append(
                    QueuedMessage(
                        "postfix",
                        queue,
                        name,
                        arrival_time=int(os.stat(path).st_mtime),
                        state="corrupt" if queue == "corrupt" else "queued",
                    )
                )
    return messages


def read_mta(mta, run_command, postqueue=None, spools=None):
    """(messages, warning or None) of one MTA."""
    spools = spools or {}
    spool = spools.get(mta) or mail_queue_detect.MTAS[mta]["spool"]
    if mta == "postfix":
        if postqueue:
            try:
                return mail_queue_postfix.read(run_command, postqueue), None
            except QueueReadError as exc:
                warning = "%s; counted the queue files instead" % exc
        else:
            warning = None
        if not os.path.isdir(spool):
            return [], warning
        return postfix_files(spool), warning
    if mta == "exim4":
        return mail_queue_exim.read(spool), None
    if mta == "nullmailer":
        return mail_queue_nullmailer.read(spool), None
    return mail_queue_detect.count_files(mta, spool), None


def sendmail_owner(run_command, sendmail_path="/usr/sbin/sendmail"):
    """Which MTA owns ``sendmail_path`` (the package its target comes from), as collect() reports it."""
    mta, package, path = mail_queue_detect.owner(run_command, sendmail_path)
    return {"mta": mta, "package": package, "path": path}


def collect(run_command, mtas=ALL_MTAS, postqueue=None, spools=None, with_messages=False, now=None,
            sendmail_path="/usr/sbin/sendmail"):  # fmt: skip
    """The queues of ``mtas``; with ``sendmail_path=None`` without ``sendmail_owner`` (not looked up)."""
    now = time.time() if now is None else now
    queues, warnings, listed = [], [], []
    waiting = {}
    for name in mtas:
        messages, warning = read_mta(name, run_command, postqueue, spools)
        if warning:
            warnings.append(warning)
        by_queue = {}
        for message in messages:
            by_queue.setdefault(message.queue, []).append(message)
        order = list(mail_queue_postfix.QUEUES) if name == "postfix" else sorted(by_queue)
        for queue in order:
            if queue in by_queue or name == "postfix" and queue in ("incoming", "active", "deferred", "hold"):
                queues.append(summarize(name, queue, by_queue.get(queue, []), now))
        waiting[name] = len(messages)
        if with_messages:
            listed.extend(m.as_dict() for m in messages)
    result = {
        "queues": queues,
        "waiting": waiting,
        "total": sum(waiting.values()),
        "reason_lines": reason_lines(queues),
        "warnings": warnings,
    }
    if sendmail_path is not None:
        result["sendmail_owner"] = sendmail_owner(run_command, sendmail_path)
    if with_messages:
        result["messages"] = listed
    return result


def waited(wait, deadline, clock):
    """Seconds of a ``wait`` that ends at ``deadline`` spent by now, to a tenth (a float)."""
    return float(round(wait - max(0, deadline - clock()), 1))


def collect_until_empty(run_command, wait, sleep=time.sleep, clock=time.monotonic, sendmail_path="/usr/sbin/sendmail",
                        **kwargs):  # fmt: skip
    """collect(), again every second until nothing waits or ``wait`` seconds have passed (the owner
    of sendmail is looked up once)."""
    owner = sendmail_owner(run_command, sendmail_path)
    deadline = clock() + wait
    while True:
        result = collect(run_command, sendmail_path=None, **kwargs)
        if result["total"] == 0 or clock() >= deadline:
            result.update(sendmail_owner=owner, waited=waited(wait, deadline, clock))
            return result
        sleep(1)
