#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postfix_reload
short_description: Check the live Postfix configuration and reload or restart Postfix, remembering a reload that failed
version_added: 0.2.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Makes a changed Postfix configuration live in one round trip. In this order, it writes O(pending_marker)
    (when set), runs C(postfix check) on the live configuration, reloads Postfix (or restarts it, or starts it
    when it is not running) and removes O(pending_marker).
  - When the check refuses the configuration or the reload fails, the task fails with the program's output and
    O(pending_marker) stays, so that the next run sees that a reload is still due (M(egress.mail.postfix_info)
    checks for the file) and reloads instead of reporting ok.
  - Uses systemctl when systemd runs the host, otherwise service(8).
  - Always reports a change; run it as a handler.
extends_documentation_fragment:
  - egress.mail.attributes.no_diff
  - egress.mail.attributes
options:
  state:
    description:
      - V(reloaded) reloads a running Postfix (C(systemctl reload)) and starts a stopped one.
      - V(restarted) restarts it, which Postfix needs for a change of C(inet_interfaces) or C(inet_protocols).
    type: str
    choices: [reloaded, restarted]
    default: reloaded
  pending_marker:
    description:
      - Absolute path of a file that exists while a reload is due. Written (mode 0644) first, before anything
        else can fail, and removed after a successful reload or restart. Without it, a failed reload is not
        remembered.
      - A marker left by a failed restart makes this run restart, whatever O(state) says (a reload would not
        apply what needed the restart).
    type: path
  check:
    description: Run C(postfix check) before the reload, and fail without reloading when it refuses.
    type: bool
    default: true
  service:
    description: Name of the Postfix service (letters, digits and C(@._-)).
    type: str
    default: postfix
notes:
  - In check mode nothing is written, checked or reloaded; the result says what would be done.
"""

EXAMPLES = r"""
# A handler: every task that changes Postfix's configuration notifies "Reload postfix".
- name: Check the Postfix configuration and reload Postfix
  egress.mail.postfix_reload:
    pending_marker: /etc/postfix/egress-reload-pending
  listen: Reload postfix
"""

RETURN = r"""
action:
  description: What the service manager was (or in check mode would be) asked to do.
  returned: always
  type: str
  choices: [reload, restart, start]
  sample: reload
checked:
  description: Whether C(postfix check) ran (or would run) first.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.module_runner import command_runner
from ansible_collections.egress.mail.plugins.module_utils.postfix_reload import STATES, ReloadError, reload

SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=list(STATES), default="reloaded"),
            pending_marker=dict(type="path"),
            check=dict(type="bool", default=True),
            service=dict(type="str", default="postfix"),
        ),
        supports_check_mode=True,
    )
    marker = module.params["pending_marker"]
    if marker and not os.path.isabs(marker):
        module.fail_json(msg="pending_marker: must be an absolute path")
    systemctl = module.get_bin_path("systemctl", opt_dirs=SBIN) if os.path.isdir("/run/systemd/system") else None
    try:
        result = reload(
            command_runner(module, opt_dirs=SBIN),
            module.get_bin_path("postfix", opt_dirs=SBIN),
            state=module.params["state"],
            marker=marker,
            check=module.params["check"],
            systemctl=systemctl,
            service_tool=None if systemctl else module.get_bin_path("service", opt_dirs=SBIN),
            name=module.params["service"],
            check_mode=module.check_mode,
        )
    except ReloadError as exc:
        module.fail_json(msg="%s%s" % (exc, "; the reload is still due (%s is kept)" % marker if exc.kept else ""))
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
