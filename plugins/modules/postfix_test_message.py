#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: postfix_test_message
short_description: Send a test message through the local Postfix and report what the relay answered
version_added: 0.1.0
description:
  - Injects one message with C(sendmail), finds its queue ID in Postfix's log (journald or
    C(/var/log/mail.log), C(/var/log/maillog)) by its unique Message-ID, and waits for the
    result of the first delivery attempt.
  - "Fails when the message is deferred or bounced, with the reply of the smarthost in the
    message (for example C(535 5.7.8 Error: authentication failed) or
    C(TLS is required, but was not offered by host)). A deferred message stays in the queue
    and is delivered once the cause is fixed."
  - Sends real mail. The module reports C(changed=true) when it sent a message and does
    nothing in check mode.
author: egress.mail contributors (!UNKNOWN)
options:
  recipient:
    description: Address the test message is sent to.
    type: str
    required: true
  sender:
    description: Envelope and header sender. Default is C(root) at the host's name, as Postfix fills it in.
    type: str
  subject:
    description: Subject of the test message.
    type: str
    default: egress.mail relay test
  timeout:
    description: Seconds to wait for the delivery result.
    type: int
    default: 60
  sendmail_path:
    description: Path of the sendmail command.
    type: path
    default: /usr/sbin/sendmail
extends_documentation_fragment:
  - egress.mail.attributes.no_diff
  - egress.mail.attributes
notes:
  - In check mode nothing is sent.
"""

EXAMPLES = r"""
- name: Prove that mail gets out through the smarthost
  egress.mail.postfix_test_message:
    recipient: ops@example.com
    subject: relay test from {{ inventory_hostname }}
"""

RETURN = r"""
status:
  description: C(sent), C(deferred), C(bounced), C(not_queued) or C(unknown) (no result logged in time).
  returned: success and failure
  type: str
  sample: sent
reply:
  description: What the relay answered, as Postfix logged it.
  returned: success and failure
  type: str
  sample: "250 2.0.0 Ok: queued as 4Xy7Qm3"
relay:
  description: The relay Postfix delivered to (host[address]:port).
  returned: when logged
  type: str
  sample: "smtp.example.net[192.0.2.10]:587"
queue_id:
  description: The Postfix queue ID of the test message.
  returned: when found
  type: str
message_id:
  description: The Message-ID of the test message (without angle brackets).
  returned: success and failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.postfix_delivery import send_and_follow


def main():
    module = AnsibleModule(
        argument_spec=dict(
            recipient=dict(type="str", required=True),
            sender=dict(type="str"),
            subject=dict(type="str", default="egress.mail relay test"),
            timeout=dict(type="int", default=60),
            sendmail_path=dict(type="path", default="/usr/sbin/sendmail"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for name in ("recipient", "sender", "subject"):
        if p[name] is not None and any(c in p[name] for c in "\r\n"):
            module.fail_json(msg="%s: must be a single line" % name)
    if module.check_mode:
        module.exit_json(changed=False, status="skipped", reply="check mode: nothing sent")

    def run(args, data=None):
        return module.run_command(args, data=data, binary_data=False)

    sender = p["sender"] or "root"
    result = send_and_follow(run, p["sendmail_path"], sender, p["recipient"], p["subject"], p["timeout"])
    if result["status"] != "sent":
        module.fail_json(
            changed=True,
            msg="test message to %s was not accepted by the relay: %s: %s"
            % (p["recipient"], result["status"], result["reply"]),
            **result,
        )
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
