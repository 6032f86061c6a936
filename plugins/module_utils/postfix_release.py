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
the flush. The wait stops as soon as that holds for all of them: a broken route costs one retry,
not the whole wait. When the queue files cannot be read (not root, another queue_directory),
the wait simply lasts until the released mail has left or the time is up.

The side effects (run_command, the clocks, sleep) are arguments, for the unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_info import collect

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
    for root, _dummy, files in os.walk(os.path.join(spool, "deferred")):
        for name in files:
            if name in names:
                try:
                    found[name] = os.stat(os.path.join(root, name)).st_ctime
                except OSError:
                    pass  # delivered or moved meanwhile
    return found


def _read(run_command, postqueue):
    result = collect(run_command, mtas=["postfix"], postqueue=postqueue, with_messages=True)
    messages = result.pop("messages")
    result.pop("sendmail_owner")
    return result, messages


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
        raise ReleaseError("postqueue -f failed (%d): %s" % (rc, " ".join((err or out).split())[:300]))
    result["flushed"] = True
    deadline = clock() + wait
    while True:
        after, messages = _read(run_command, postqueue)
        waiting = dict((m["queue_id"], m["queue"]) for m in messages if m["queue_id"] in released)
        changed = deferred_changes(spool, set(i for i, q in waiting.items() if q == "deferred"))
        retried = set(i for i in changed if changed[i] >= flushed_at)
        done = len(waiting) == len(retried)
        if done or clock() >= deadline:
            break
        sleep(1)
    warnings.extend(w for w in after.pop("warnings") if w not in warnings)
    result.update(after, warnings=warnings)
    result.update(
        left=len(released) - len(waiting),
        retried=len(retried),
        waited=round(wait - max(0, deadline - clock()), 1),
    )
    return result
