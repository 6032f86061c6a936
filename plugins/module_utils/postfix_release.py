# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the egress.mail.postfix_release module: retry Postfix's queued mail now and wait,
boundedly, until every released message has been delivered or tried again.

``postqueue -f`` makes qmgr move the deferred mail to the active queue whatever its retry time.
A message whose attempt fails goes back to ``deferred/``: qmgr renames its queue file there and
sets the file's time stamps to the next retry time, so the file's ctime (which no program can
set back) is later than the moment of the flush. A released message has therefore been tried
again when it left the queue, or when it waits in ``deferred/`` with a queue file changed since
the flush. The wait stops as soon as that holds for all of them (the messages that arrived before
the flush, outside the hold queue): a broken route costs one retry, not the whole wait. When the
queue files cannot be read (not root, another queue_directory), the wait lasts until the released
mail has left or the time is up.

The side effects (run_command, the clocks, sleep) are arguments, for the unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_info import collect, waited
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_postfix import failure

# The queues postqueue -f releases; mail on hold stays there and corrupt files are never sent.
RELEASED_QUEUES = ("maildrop", "incoming", "active", "deferred")
DEFAULT_SPOOL = "/var/spool/postfix"


class ReleaseError(Exception):
    pass


def queue_directory(run_command, postconf):
    """Postfix's queue_directory (``postconf -h``), or Debian's default when it cannot be read."""
    if postconf:
        try:
            rc, out, _dummy = run_command([postconf, "-h", "queue_directory"])
        except OSError:
            rc, out = 1, ""
        if rc == 0 and out.strip().startswith("/"):
            return out.strip()
    return DEFAULT_SPOOL


def deferred_changes(spool, names):
    """{queue id: ctime} of the files in ``spool``/deferred named in ``names`` (unreadable: {})."""
    found = {}
    if not names:
        return found
    for root, _dummy, files in os.walk(os.path.join(spool, "deferred")):
        for name in files:
            if name in names:
                try:
                    found[name] = os.stat(os.path.join(root, name)).st_ctime
                except OSError:
                    pass  # delivered or moved meanwhile
    return found


def _read(run_command, postqueue):
    result = collect(run_command, mtas=["postfix"], postqueue=postqueue, with_messages=True, sendmail_path=None)
    return result, result.pop("messages")


def _summary(result):
    return {"total": result["total"], "reason_lines": result["reason_lines"]}


def release(run_command, postqueue, spool, wait, check_mode=False, sleep=time.sleep, clock=time.monotonic,
            wallclock=time.time):  # fmt: skip
    """Read the queue, flush it when it holds mail to release, wait; the module's result."""
    before, messages = _read(run_command, postqueue)
    warnings = list(before.pop("warnings"))
    released = set(m["queue_id"] for m in messages if m["queue"] in RELEASED_QUEUES)
    result = {
        "changed": bool(released),
        "flushed": False,
        "released": len(released),
        "before": _summary(before),
        "left": 0,
        "retried": 0,
        "waited": 0.0,
    }
    if not released or check_mode:
        result.update(before, warnings=warnings)
        return result
    flushed_at = wallclock()
    rc, out, err = run_command([postqueue, "-f"])
    if rc != 0:
        raise ReleaseError(failure("-f", rc, out, err))
    result["flushed"] = True
    deadline = clock() + wait
    confirming = False
    while True:
        after, messages = _read(run_command, postqueue)
        waiting, retried = settled(messages, spool, flushed_at)
        if waiting == retried:
            # Done, once a second listing agrees at once: showq reads the queue directories one
            # after the other, so a message moving between two of them can be missing from one.
            if confirming:
                break
            confirming = True
            continue
        confirming = False
        if clock() >= deadline:
            break
        sleep(1)
    warnings.extend(w for w in after.pop("warnings") if w not in warnings)
    result.update(after, warnings=warnings)
    result.update(
        left=max(0, len(released) - len(waiting)),
        retried=len(retried),
        waited=waited(wait, deadline, clock),
    )
    return result


def settled(messages, spool, flushed_at):
    """(waiting, retried): the queue ids of the messages that arrived before the flush and still
    wait outside hold and corrupt, and those of them tried again since the flush.

    By arrival time rather than by the ids listed before the flush: pickup gives mail it takes
    from maildrop a new queue id (it keeps the arrival time), and mail put on hold meanwhile
    is not waited for."""
    waiting = set(
        m["queue_id"]
        for m in messages
        if m["queue"] in RELEASED_QUEUES and (m["arrival_time"] is None or m["arrival_time"] <= flushed_at)
    )
    deferred = set(m["queue_id"] for m in messages if m["queue"] == "deferred") & waiting
    changed = deferred_changes(spool, deferred)
    return waiting, set(i for i in changed if changed[i] >= flushed_at)
