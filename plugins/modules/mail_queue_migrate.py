#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mail_queue_migrate
short_description: Move the mail queued by another MTA into Postfix, each message exactly once
version_added: 0.2.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Reads the queue another MTA left behind (Exim's spool files, nullmailer's queue files) and gives each
    message to Postfix's C(sendmail) with its original envelope sender and recipients (C(-oi -f SENDER -- RCPT...))
    and its content unchanged (the Message-ID stays what it was).
  - A message leaves the old spool only after Postfix's C(sendmail) exited 0. Every step is written to a journal
    first, so a run that was interrupted and is started again neither loses nor duplicates a message (see
    O(journal)).
  - Frozen (Exim), failed (nullmailer) and unreadable messages are not sent; their files are moved to
    O(unmovable_dir) and counted.
  - Stop the old MTA first; the module refuses to run while C(/usr/sbin/sendmail) is not Postfix's.
extends_documentation_fragment:
  - egress.mail.attributes.no_diff
  - egress.mail.attributes
options:
  mta:
    description: The MTA whose queue is moved.
    type: str
    required: true
    choices: [exim4, nullmailer]
  spool:
    description: Its spool directory. Default C(/var/spool/exim4) or C(/var/spool/nullmailer).
    type: path
  journal:
    description:
      - The journal of the moves (JSON lines, 0600). A message whose move was accepted is never sent again; one
        whose move was interrupted while Postfix's C(sendmail) ran is sent again only when Postfix's log has no
        C(message-id=) line for its Message-ID.
    type: path
    default: /var/lib/egress-mail/queue-migration.jsonl
  unmovable_dir:
    description: Where the files of messages that cannot be moved are kept (a directory per MTA, 0700).
    type: path
    default: /var/spool/egress-mail-unmovable
  sendmail_path:
    description: Postfix's C(sendmail).
    type: path
    default: /usr/sbin/sendmail
notes:
  - In check mode nothing is sent or moved; the counts say what would be.
  - The diff mode shows nothing.
requirements:
  - Postfix installed and running (its C(sendmail) hands messages to C(postdrop)).
seealso:
  - module: egress.mail.mail_queue
  - name: sendmail(1) of Postfix
    description: The Sendmail-compatible interface of Postfix.
    link: https://www.postfix.org/sendmail.1.html
"""

EXAMPLES = r"""
- name: Stop Exim before moving its queue
  ansible.builtin.service:
    name: exim4
    state: stopped

- name: Move what Exim still holds into Postfix
  egress.mail.mail_queue_migrate:
    mta: exim4
  become: true
  register: moved

- name: Say what could not be moved
  ansible.builtin.debug:
    msg: "{{ moved.unmovable }} messages kept in {{ moved.unmovable_dir }}"
  when: moved.unmovable > 0
"""

RETURN = r"""
moved:
  description: Messages Postfix accepted in this run (in check mode, that would be given to it).
  returned: always
  type: int
  sample: 10
resumed:
  description: Messages an interrupted run had already given to Postfix, removed from the old spool now.
  returned: always
  type: int
  sample: 0
unmovable:
  description: Messages kept in O(unmovable_dir) (frozen, failed, unreadable) by this run.
  returned: always
  type: int
  sample: 1
unmovable_dir:
  description: Where unmovable messages are kept.
  returned: always
  type: str
  sample: /var/spool/egress-mail-unmovable
unmovable_ids:
  description: The kept messages (MTA, queue ID, why).
  returned: always
  type: list
  elements: str
  sample: ["exim4 1xYMgJ-0000Iq-2m (frozen)"]
message_ids:
  description: The Message-IDs of the messages moved.
  returned: always
  type: list
  elements: str
  sample: ["<fixture.1@example.test>"]
seconds:
  description: How long the move took.
  returned: always
  type: float
  sample: 0.41
failed:
  description: Messages Postfix refused (they stay in the old spool); the task fails when there are any.
  returned: always
  type: list
  elements: dict
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils import (
    mail_queue_detect,
    mail_queue_exim,
    mail_queue_nullmailer,
)
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_migrate import migrate

READERS = {"exim4": mail_queue_exim.read, "nullmailer": mail_queue_nullmailer.read}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mta=dict(type="str", required=True, choices=sorted(READERS)),
            spool=dict(type="path"),
            journal=dict(type="path", default="/var/lib/egress-mail/queue-migration.jsonl"),
            unmovable_dir=dict(type="path", default="/var/spool/egress-mail-unmovable"),
            sendmail_path=dict(type="path", default="/usr/sbin/sendmail"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    spool = params["spool"] or mail_queue_detect.MTAS[params["mta"]]["spool"]

    def run_command(args, data=None):
        binary = args[0] if args[0].startswith("/") else module.get_bin_path(args[0])
        if not binary:
            raise OSError("%s not found" % args[0])
        return module.run_command(
            [binary] + list(args[1:]), data=data, binary_data=True, environ_update={"LANG": "C", "LC_ALL": "C"}
        )

    messages = READERS[params["mta"]](spool)
    if not messages:
        module.exit_json(
            changed=False,
            moved=0,
            resumed=0,
            unmovable=0,
            unmovable_dir=params["unmovable_dir"],
            unmovable_ids=[],
            message_ids=[],
            failed=[],
            seconds=0.0,
        )
    owner = mail_queue_detect.owner(run_command, params["sendmail_path"])[0]
    if owner != "postfix" and not module.check_mode:
        module.fail_json(
            msg="%s is not Postfix's (owner: %s): install Postfix before moving the %s queue"
            % (params["sendmail_path"], owner, params["mta"])
        )

    seen = {}

    def accepted_elsewhere(message_id):
        # Postfix's cleanup logs "QUEUEID: message-id=<...>" for every message it accepts.
        if "ids" not in seen:
            text = ""
            try:
                rc, out, dummy = run_command(
                    ["journalctl", "--quiet", "--no-pager", "--output", "cat", "--identifier", "postfix/cleanup"]
                )
                text += out if rc == 0 else ""
            except OSError:
                pass
            for path in ("/var/log/mail.log", "/var/log/maillog"):
                if os.path.exists(path):
                    with open(path, "rb") as handle:
                        text += handle.read().decode("utf-8", "replace")
            seen["ids"] = set(
                line.split("message-id=", 1)[1].strip() for line in text.splitlines() if "message-id=" in line
            )
        return message_id in seen["ids"]

    def submit(sender, recipients, content):
        rc, out, err = run_command(
            [params["sendmail_path"], "-oi", "-f", sender or "<>", "--"] + recipients, data=content
        )
        return rc, err or out

    result = migrate(
        messages,
        submit,
        params["journal"],
        params["unmovable_dir"],
        accepted_elsewhere=accepted_elsewhere,
        check_mode=module.check_mode,
    )
    changed = bool(result["moved"] or result["resumed"] or result["unmovable"])
    if result["failed"]:
        module.fail_json(
            msg="Postfix refused %d of the %s messages (they stay in %s): %s"
            % (len(result["failed"]), params["mta"], spool, result["failed"][0]["error"]),
            changed=changed,
            **result,
        )
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
