#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postfix_maps
short_description: Write Postfix lookup tables and build their indexed files
version_added: 0.1.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Writes Postfix lookup table sources (for example C(/etc/postfix/sasl_passwd)) with the given content and
    mode, owned by the user the module runs as (root), and runs C(postmap) for each table whose source changed
    or whose indexed file is missing or older than the source. All tables are handled in one round trip.
  - Files are replaced atomically, so Postfix never reads a half-written table. A new file is created
    next to the table with its final owner and mode before any content is written to it, then renamed over
    the table, so a password is never readable with a wider mode, not even for a moment.
  - The indexed file (C(.db), C(.lmdb), ...) gets the same owner and mode as its source, so a password map
    stays private in both forms. An existing indexed file is given them before C(postmap) writes the new
    content into it.
  - The diff shows the content of ordinary tables and only the line count of O(maps[].secret) tables, and
    error messages never quote a secret table.
  - Run a task that writes secrets with C(no_log=true). Ansible writes every module's arguments to the
    target's system log (journal or syslog), and it cannot mask an option nested in a list there.
  - The module does not reload Postfix; notify a handler when it reports a change.
extends_documentation_fragment:
  - egress.mail.attributes
options:
  maps:
    description:
      - The lookup tables to write.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the table source. Its directory must exist.
        type: path
        required: true
      content:
        description:
          - Full content of the table source. A final newline is added when missing.
          - In diff mode shown only when O(maps[].secret=false).
          - Required when O(maps[].state=present).
        type: str
      state:
        description:
          - V(absent) removes the table source and its indexed file (the indexed file first); the diff
            shows only the number of lines removed.
        type: str
        choices: [present, absent]
        default: present
      mode:
        description: Octal mode of the source and of its indexed file, for example V('0600').
        type: raw
        default: '0644'
      secret:
        description: The table holds credentials; its content is left out of the diff and of error messages.
        type: bool
        default: false
  db_type:
    description:
      - Postfix database type passed to C(postmap), for example V(hash) or V(lmdb).
      - By default Postfix's C(default_database_type), read with C(postconf -h).
    type: str
  postmap_path:
    description:
      - Path of the C(postmap) executable. By default it is searched in E(PATH), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
notes:
  - A table that is no longer used should be removed only after C(main.cf) stopped naming it.
requirements:
  - Postfix (the C(postmap) and C(postconf) commands) on the target.
seealso:
  - module: egress.mail.postconf
  - name: postmap(1)
    description: Postfix lookup table management.
    link: https://www.postfix.org/postmap.1.html
"""

EXAMPLES = r"""
- name: Write the SASL password map (private; no_log keeps it out of the host's journal too)
  egress.mail.postfix_maps:
    maps:
      - path: /etc/postfix/sasl_passwd
        content: "[smtp.sendgrid.net]:587 apikey:{{ sendgrid_api_key }}\n"
        mode: "0600"
        secret: true
  no_log: true
  notify: Reload postfix

- name: Write a sender-dependent transport table (its diff is shown)
  egress.mail.postfix_maps:
    maps:
      - path: /etc/postfix/sender_transport
        content: |
          @shop.example.com smtp:[smtp.eu.mailgun.org]:587
  notify: Reload postfix

- name: Remove the password map of a relay that no longer logs in (after main.cf stopped naming it)
  egress.mail.postfix_maps:
    maps:
      - path: /etc/postfix/sasl_passwd
        state: absent

- name: Build lmdb tables explicitly
  egress.mail.postfix_maps:
    db_type: lmdb
    maps:
      - path: /etc/postfix/generic
        content: "@web1.example.com noreply@example.com\n"
"""

RETURN = r"""
changed_maps:
  description: Table sources whose content, mode or owner were (or, in check mode, would be) changed, or that were
    removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/postfix/sasl_passwd]
rebuilt_maps:
  description: Tables for which C(postmap) ran (or, in check mode, would run).
  returned: always
  type: list
  elements: str
  sample: [/etc/postfix/sasl_passwd]
db_type:
  description: The database type used.
  returned: always
  type: str
  sample: hash
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.postfix_maps import PostfixMapsError, apply

SBIN = ["/usr/sbin", "/usr/local/sbin"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            maps=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    content=dict(type="str"),  # secrets: no_log on the task (DOCUMENTATION)
                    state=dict(type="str", choices=["present", "absent"], default="present"),
                    mode=dict(type="raw", default="0644"),
                    secret=dict(type="bool", default=False),
                ),
            ),
            db_type=dict(type="str"),
            postmap_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )

    def run_command(args, umask=None):
        return module.run_command(args, environ_update={"LANG": "C", "LC_ALL": "C"}, umask=umask)

    postmap = module.params["postmap_path"] or module.get_bin_path("postmap", required=True, opt_dirs=SBIN)
    db_type = module.params["db_type"]
    if not db_type:
        postconf = module.get_bin_path("postconf", required=True, opt_dirs=SBIN)
        rc, out, err = run_command([postconf, "-h", "default_database_type"])
        if rc != 0:
            module.fail_json(msg="postconf -h default_database_type failed: %s" % err.strip())
        db_type = out.strip()

    try:
        result = apply(module.params["maps"], db_type, run_command, postmap, check_mode=module.check_mode)
    except PostfixMapsError as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(db_type=db_type, **result)


if __name__ == "__main__":
    main()
