#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postfix_release
short_description: Retry Postfix's queued mail now and wait until every released message was delivered or tried again
version_added: 0.2.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Reads Postfix's queue (C(postqueue -j)). When mail waits in it outside the hold queue, runs C(postqueue -f),
    which retries all of it at once instead of after Postfix's back-off (minutes to over an hour), and forgets
    the destinations marked dead.
  - Then reads the queue again every second until every message that arrived before the flush has left it
    (delivered, or bounced) or has been tried again and waits deferred once more, for at most O(wait) seconds.
    A message counts as tried again when its queue file in C(deferred/) changed after the flush, which Postfix
    does when it defers it, so a route that is still broken costs one retry, not the whole wait. Messages are
    followed by their arrival time, so mail that pickup moves from C(maildrop) under a new queue ID is still
    waited for; a listing that looks done is confirmed by a second one.
  - Mail on hold (also mail put on hold meanwhile) stays where it is and is not waited for. An empty queue is
    not flushed (no change).
  - Returns the queue before the flush and after the wait, in the format of M(egress.mail.mail_queue).
extends_documentation_fragment:
  - egress.mail.attributes.no_diff
  - egress.mail.attributes
options:
  wait:
    description:
      - Seconds to wait at most, after the flush, for the released mail to be delivered or tried again (0 to 3600).
        V(0) flushes and reads the queue once.
    type: int
    default: 20
  postqueue_path:
    description: Path of Postfix's C(postqueue). By default searched in E(PATH), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
  queue_directory:
    description:
      - Postfix's queue directory, where the queue files of deferred mail are looked at. By default
        C(postconf -h queue_directory), or C(/var/spool/postfix) when that cannot be read.
      - When the files cannot be read (the module runs without root), the wait lasts until the released mail has
        left the queue or O(wait) has passed.
    type: path
notes:
  - In check mode nothing is flushed; the result says whether mail would be released.
requirements:
  - Postfix 3.1 or later (C(postqueue -j)).
seealso:
  - module: egress.mail.mail_queue
  - name: postqueue(1)
    description: C(postqueue -f) flushes the queue; C(-j) prints it as JSON.
    link: https://www.postfix.org/postqueue.1.html
"""

EXAMPLES = r"""
# After a change of the relay: retry the deferred mail now, wait up to 20 s, say what still waits.
- name: Release the mail deferred behind the old route
  egress.mail.postfix_release:
    wait: 20
  register: released

- name: Say what still waits
  ansible.builtin.debug:
    msg: "{{ released.before.total }} waiting before, {{ released.total }} after: {{ released.reason_lines }}"
  when: released.total > 0
"""

RETURN = r"""
flushed:
  description: Whether C(postqueue -f) ran (false in check mode and when nothing waited outside the hold queue).
  returned: always
  type: bool
released:
  description: Number of messages released (waiting outside the hold queue before the flush).
  returned: always
  type: int
  sample: 12
before:
  description: The queue before the flush, C(total) and C(reason_lines) as below.
  returned: always
  type: dict
  sample: {total: 12, reason_lines: ["postfix deferred: connect to relay.example.net[192.0.2.10]:25: Connection timed out: 12"]}
left:
  description: Released messages no longer waiting after the wait (delivered, bounced, or put on hold).
  returned: always
  type: int
retried:
  description: Released messages tried again after the flush and waiting deferred once more.
  returned: always
  type: int
waited:
  description: Seconds spent waiting after the flush.
  returned: always
  type: float
  sample: 1.2
queues:
  description: Postfix's queues after the wait (before it when nothing was flushed), as M(egress.mail.mail_queue) returns them.
  returned: always
  type: list
  elements: dict
waiting:
  description: "Number of messages in Postfix's queues after the wait, C({postfix: N})."
  returned: always
  type: dict
total:
  description: Number of messages waiting in Postfix's queues after the wait.
  returned: always
  type: int
reason_lines:
  description: "One line per queue and reason after the wait (C(postfix QUEUE: REASON: COUNT))."
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueueReadError
from ansible_collections.egress.mail.plugins.module_utils.module_runner import command_runner
from ansible_collections.egress.mail.plugins.module_utils.postfix_release import (
    ReleaseError,
    queue_directory,
    release,
)

SBIN = ["/usr/sbin", "/usr/local/sbin"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            wait=dict(type="int", default=20),
            postqueue_path=dict(type="path"),
            queue_directory=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if not 0 <= module.params["wait"] <= 3600:
        module.fail_json(msg="wait: must be between 0 and 3600 seconds")
    postqueue = module.params["postqueue_path"] or module.get_bin_path("postqueue", opt_dirs=SBIN)
    if not postqueue:
        module.fail_json(msg="postqueue not found (is Postfix installed?)")
    run_command = command_runner(module, opt_dirs=SBIN)
    spool = module.params["queue_directory"] or queue_directory(
        run_command, module.get_bin_path("postconf", opt_dirs=SBIN)
    )
    try:
        result = release(run_command, postqueue, spool, module.params["wait"], check_mode=module.check_mode)
    except (ReleaseError, QueueReadError, OSError, IOError) as exc:
        module.fail_json(msg="could not release the Postfix queue: %s" % exc)
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
