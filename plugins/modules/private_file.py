#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: private_file
short_description: Write a file that holds a secret, with its final owner and mode from the first byte
version_added: 0.2.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Writes O(content) to O(path) through a temporary file in the same directory that gets its final owner and
    mode before any byte is written, then is renamed over O(path). No reader ever sees the content with a
    wider mode, unlike a copy followed by a mode change.
  - The content is never returned, never shown in a diff and never quoted in an error.
  - Run the task with C(no_log=true), since Ansible writes a module's arguments to the target's journal.
extends_documentation_fragment:
  - egress.mail.attributes
options:
  path:
    description: Absolute path of the file. Its directory must exist.
    type: path
    required: true
  content:
    description: The full content.
    type: str
    required: true
  mode:
    description: Octal mode, for example V('0600').
    type: raw
    default: '0600'
  owner:
    description: User name that owns the file; default the user the module runs as.
    type: str
  group:
    description: Group that owns the file; default the primary group of O(owner), or the running user's.
    type: str
  create_only:
    description: Write O(content) only when the file does not exist yet (a generated secret is kept).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write the proxy configuration (0600, owned by the proxy user)
  egress.mail.private_file:
    path: /etc/egress-oauth2-proxy/emailproxy.config
    content: "{{ lookup('ansible.builtin.template', 'emailproxy.config.j2') }}"
    owner: egress-oauth2
    mode: "0600"
  no_log: true
"""

RETURN = r"""
created:
  description: The file did not exist (and was, or in check mode would be, created).
  returned: always
  type: bool
content_changed:
  description: The content was (or would be) replaced.
  returned: always
  type: bool
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.egress.mail.plugins.module_utils.private_file import apply


def _ids(module):
    owner, group = module.params["owner"], module.params["group"]
    try:
        uid = pwd.getpwnam(owner).pw_uid if owner else os.geteuid()
        if group:
            gid = grp.getgrnam(group).gr_gid
        elif owner:
            gid = pwd.getpwnam(owner).pw_gid
        else:
            gid = os.getegid()
    except KeyError as exc:
        module.fail_json(msg="unknown user or group: %s" % exc)
    return uid, gid


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            content=dict(type="str", required=True, no_log=True),
            mode=dict(type="raw", default="0600"),
            owner=dict(type="str"),
            group=dict(type="str"),
            create_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    mode = module.params["mode"]
    try:
        mode = int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        module.fail_json(msg="mode: %r is not an octal mode" % mode)
    if not os.path.isabs(path):
        module.fail_json(msg="path: must be absolute")
    uid, gid = _ids(module)
    try:
        result = apply(
            path, to_bytes(module.params["content"]), mode, uid, gid, module.params["create_only"], module.check_mode
        )
    except (OSError, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (path, exc.strerror if isinstance(exc, OSError) else exc))
    diff = {"before_header": path, "after_header": path, "before": "", "after": ""}
    if result["changed"]:
        diff["after"] = "(private content %s)\n" % ("created" if result["created"] else "or mode changed")
    module.exit_json(path=path, diff=diff, **result)


if __name__ == "__main__":
    main()
