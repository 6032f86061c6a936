#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mail_queue
short_description: Report the mail waiting in Postfix's and other MTAs' queues
version_added: 0.2.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Reports, per queue, how many messages wait, how old the oldest is, and why they wait (the deferral
    reasons grouped, each with the number of messages that give it).
  - Postfix's queues (V(incoming), V(active), V(deferred), V(hold), and V(maildrop) or V(corrupt) when they hold
    mail) are read with C(postqueue -j). When Postfix is not running its queue files are counted instead
    (without reasons) and a warning says so.
  - Exim's queue is read from its spool files (C(input/*-H), C(-D), reasons from C(msglog/)); nullmailer's from
    C(queue/) and C(failed/). The queues of sendmail, dma and OpenSMTPD are counted by their files only.
  - Also reports which MTA owns C(/usr/sbin/sendmail) (the package that ships the file it resolves to).
options:
  mtas:
    description:
      - The MTAs whose queues are read. An MTA that is not installed has an empty queue.
    type: list
    elements: str
    choices: [postfix, exim4, nullmailer, sendmail, dma, opensmtpd]
    default: [postfix, exim4, nullmailer, sendmail, dma, opensmtpd]
  spools:
    description:
      - Spool directories by MTA name, for MTAs configured with another spool than Debian's default
        (C(/var/spool/exim4), C(/var/spool/nullmailer), C(/var/spool/postfix), C(/var/spool/mqueue),
        C(/var/spool/dma), C(/var/spool/smtpd)).
    type: dict
    default: {}
  messages:
    description:
      - Also return every queued message (envelope, state, reasons; never the content).
    type: bool
    default: false
  wait:
    description:
      - Read the queues again every second until no message waits in them, for at most this many seconds
        (for example after C(postqueue -f)). V(0) reads them once.
    type: int
    default: 0
  postqueue_path:
    description:
      - Path of Postfix's C(postqueue). By default searched in E(PATH), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
extends_documentation_fragment:
  - egress.mail.attributes.read_only
  - egress.mail.attributes
notes:
  - Reading Exim's and nullmailer's spools needs root (become).
  - A reason is counted once per message even when several recipients of the message give it.
requirements:
  - Postfix 3.1 or later for its reasons (C(postqueue -j)).
seealso:
  - name: postqueue(1)
    description: The Postfix queue control program (C(-j) prints the queue as JSON).
    link: https://www.postfix.org/postqueue.1.html
  - name: Exim spool file format
    description: The format of the C(-H) and C(-D) files.
    link: https://www.exim.org/exim-html-current/doc/html/spec_html/ch-format_of_spool_files.html
"""

EXAMPLES = r"""
- name: Count the mail waiting on the host
  egress.mail.mail_queue:
  become: true
  register: queue

# For example "postfix deferred: connect to smtp.example.net[192.0.2.1]:25: Connection timed out: 18"
- name: Say why mail waits
  ansible.builtin.debug:
    msg: "{{ queue.reason_lines }}"

# Monitoring: fail when mail has waited more than an hour in any queue.
- name: Read the queues
  egress.mail.mail_queue:
    mtas: [postfix]
  become: true
  register: queue

- name: Alert on old mail
  ansible.builtin.assert:
    that: queue.queues | selectattr('oldest_age', 'number') | selectattr('oldest_age', 'gt', 3600) | list | length == 0
    fail_msg: "mail waits for more than an hour: {{ queue.reason_lines | join('; ') }}"

- name: After a flush, wait up to 20 seconds for Postfix's queue to empty
  egress.mail.mail_queue:
    mtas: [postfix]
    wait: 20
  become: true
  register: queue

- name: Which MTA owns /usr/sbin/sendmail, and what does it still hold?
  egress.mail.mail_queue:
    messages: true
  become: true
  register: queue

- name: Show it
  ansible.builtin.debug:
    msg: "{{ queue.sendmail_owner.mta }} owns sendmail; {{ queue.total }} messages wait"
"""

RETURN = r"""
sendmail_owner:
  description: The MTA that owns C(/usr/sbin/sendmail), the package that ships it, and the file it resolves to.
  returned: always
  type: dict
  contains:
    mta:
      description: V(postfix), V(exim4), V(nullmailer), V(msmtp), V(dma), V(opensmtpd), V(sendmail), V(unknown),
        or V(null) without a C(/usr/sbin/sendmail).
      type: str
    package:
      description: The package that ships the file.
      type: str
    path:
      description: The file C(/usr/sbin/sendmail) resolves to.
      type: str
  sample: {mta: exim4, package: exim4-daemon-light, path: /usr/sbin/exim4}
queues:
  description: One entry per queue. Postfix's incoming, active, deferred and hold queues are always listed.
  returned: always
  type: list
  elements: dict
  contains:
    mta:
      description: The MTA.
      type: str
    queue:
      description: The queue's name (Postfix's queue names, V(input) for Exim, V(queue) or V(failed) for nullmailer).
      type: str
    count:
      description: Number of messages.
      type: int
    oldest_age:
      description: Age of the oldest message in seconds, V(null) when the queue is empty.
      type: int
    frozen:
      description: Messages the MTA does not try any more (Exim frozen, nullmailer failed).
      type: int
    corrupt:
      description: Messages whose spool files could not be read.
      type: int
    reasons:
      description: The deferral reasons with the number of messages giving each, most frequent first.
      type: list
      elements: dict
  sample:
    - mta: postfix
      queue: deferred
      count: 20
      oldest_age: 5400
      frozen: 0
      corrupt: 0
      reasons:
        - reason: "connect to relay.example.net[192.0.2.10]:25: Connection timed out"
          count: 20
waiting:
  description: Number of messages per MTA, all its queues together.
  returned: always
  type: dict
  sample: {postfix: 20, exim4: 0, nullmailer: 0, sendmail: 0, dma: 0, opensmtpd: 0}
total:
  description: Number of messages waiting in all queues read.
  returned: always
  type: int
  sample: 20
reason_lines:
  description: "One line per queue and reason (C(MTA QUEUE: REASON: COUNT)), or C(MTA QUEUE: N waiting) without reasons."
  returned: always
  type: list
  elements: str
  sample: ["postfix deferred: connect to relay.example.net[192.0.2.10]:25: Connection timed out: 20"]
waited:
  description: Seconds spent waiting for the queues to empty (see O(wait)).
  returned: always
  type: float
  sample: 2.1
messages:
  description: Every queued message (mta, queue, queue_id, sender, recipients, arrival_time, state, reasons,
    message_id, problem).
  returned: when O(messages=true)
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_info import ALL_MTAS, collect_until_empty
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueueReadError
from ansible_collections.egress.mail.plugins.module_utils.module_runner import command_runner, exit_with


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mtas=dict(type="list", elements="str", choices=list(ALL_MTAS), default=list(ALL_MTAS)),
            spools=dict(type="dict", default={}),
            messages=dict(type="bool", default=False),
            wait=dict(type="int", default=0),
            postqueue_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if not 0 <= module.params["wait"] <= 3600:
        module.fail_json(msg="wait must be between 0 and 3600 seconds")
    unknown = sorted(set(module.params["spools"]) - set(ALL_MTAS))
    if unknown:
        module.fail_json(msg="spools: unknown MTA %s (one of %s)" % (", ".join(unknown), ", ".join(ALL_MTAS)))
    postqueue = module.params["postqueue_path"] or module.get_bin_path(
        "postqueue", opt_dirs=["/usr/sbin", "/usr/local/sbin"]
    )

    run_command = command_runner(module)
    exit_with(
        module,
        lambda: collect_until_empty(
            run_command,
            module.params["wait"],
            mtas=module.params["mtas"],
            postqueue=postqueue,
            spools=module.params["spools"],
            with_messages=module.params["messages"],
        ),
        [((QueueReadError, OSError, IOError), "could not read the mail queues")],
    )


if __name__ == "__main__":
    main()
