#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postconf
short_description: Manage Postfix main.cf parameters with postconf
version_added: 0.1.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Sets and removes parameters in the Postfix C(main.cf) file with C(postconf), in one round trip.
  - The current effective values of all named parameters are read with a single C(postconf) call; only the
    parameters whose value differs are written, with a single C(postconf -e) call.
  - Values are compared after collapsing whitespace, the way C(postconf) prints them. Nothing else is normalized;
    in particular list items are never reordered, so V(a,b) and V(a, b) differ.
  - A parameter whose default value already equals the desired value is not written.
  - In C(main.cf) only parameters are managed. In C(master.cf) the module can keep one block of lines between
    two marker lines (O(master_cf_block)), the way C(ansible.builtin.blockinfile) does; service parameters
    are not managed one by one.
  - With O(stage=true) a change is first made to a copy of the configuration directory (a private temporary
    directory), and C(postconf -c COPY -M) and C(postfix -c COPY check) must accept it before the live
    C(main.cf) and C(master.cf) change. A configuration Postfix refuses never becomes live; the task fails
    with Postfix's message and the live files are left as they were.
  - The module does not reload Postfix; notify a handler that reloads it when the task reports a change.
extends_documentation_fragment:
  - egress.mail.attributes
options:
  parameters:
    description:
      - Parameters to set, as a dictionary of name to value.
      - Names must match C(^[A-Za-z0-9_]+$).
      - Values may be strings, integers, booleans (written as V(yes) or V(no)) or lists (items joined with V(", ")).
      - V(null) values and values containing a newline or another control character are refused. Use V("") for an
        empty value.
      - Required unless O(absent) is given.
    type: dict
  absent:
    description:
      - Names of parameters to remove from C(main.cf) with C(postconf -X), so that their default value applies.
      - Only parameters that C(main.cf) sets explicitly are removed; others are left alone.
      - A name may not appear in both O(parameters) and O(absent).
    type: list
    elements: str
  config_dir:
    description:
      - Directory that holds C(main.cf), passed to C(postconf -c).
    type: path
    default: /etc/postfix
  postconf_path:
    description:
      - Path of the C(postconf) executable.
      - By default it is searched in E(PATH), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
  master_cf_block:
    description:
      - Lines to keep in C(master.cf) between the marker lines of O(master_cf_marker), written the way
        C(ansible.builtin.blockinfile) writes them (at the end of the file when the markers are missing).
      - V("") removes the block and its markers. When not given, C(master.cf) is not touched.
    type: str
  master_cf_marker:
    description:
      - The marker line template of O(master_cf_block); V({mark}) becomes V(BEGIN) and V(END).
    type: str
    default: "# {mark} ANSIBLE MANAGED BLOCK"
  stage:
    description:
      - Check a staged copy of the new configuration with C(postconf -M) and C(postfix check) before the live
        files change (not in check mode, and only when something changes).
    type: bool
    default: false
  postfix_path:
    description:
      - Path of the C(postfix) executable used by O(stage). By default searched like O(postconf_path).
    type: path
  backup_dir:
    description:
      - Before C(main.cf) or C(master.cf) change, copy the live file into this directory (created 0700; copies
        0600) as C(NAME.<UTC time>), for example C(main.cf.20261201T120000.000000Z).
      - A C(main.cf) that holds a password inline (a C(static:) or C(inline:) SASL password map) is not copied.
    type: path
  backup_keep:
    description:
      - How many copies of each file O(backup_dir) keeps (the newest); older ones are removed.
    type: int
    default: 5
notes:
  - Parameter names that C(postconf) does not know (typos, or parameters of a newer Postfix) are still written, with a
    warning. Their current value is read from C(main.cf).
  - Whether a parameter is explicitly set is read from C(main.cf) itself, because C(postconf -n) hides parameters it
    does not know.
requirements:
  - Postfix (the C(postconf) command) on the target.
seealso:
  - name: postconf(1)
    description: The Postfix configuration utility.
    link: https://www.postfix.org/postconf.1.html
  - name: postconf(5)
    description: Postfix configuration parameters.
    link: https://www.postfix.org/postconf.5.html
"""

EXAMPLES = r"""
- name: Relay all mail through SendGrid on port 587
  egress.mail.postconf:
    parameters:
      relayhost: "[smtp.sendgrid.net]:587"
      smtp_sasl_auth_enable: true
      smtp_sasl_password_maps: hash:/etc/postfix/sasl_passwd
      smtp_sasl_security_options: noanonymous
      smtp_tls_security_level: encrypt
      smtp_tls_wrappermode: false
  notify: Reload postfix

- name: List items are joined with ", "; other values are written as given
  egress.mail.postconf:
    parameters:
      mynetworks:
        - 127.0.0.0/8
        - "[::1]/128"
      smtp_tls_mandatory_protocols: ">=TLSv1.2"

- name: Remove settings so that their defaults apply again
  egress.mail.postconf:
    absent:
      - smtp_tls_wrappermode
      - sender_dependent_relayhost_maps

- name: Relay settings and a master.cf service, checked by Postfix on a staged copy before they are live
  egress.mail.postconf:
    parameters:
      relayhost: "[smtp.example.com]:465"
    master_cf_block: |
      relay465 unix  -       -       n       -       -       smtp
        -o smtp_tls_wrappermode=yes
    master_cf_marker: "# {mark} relay465 service"
    stage: true
  notify: Reload postfix

- name: Manage a second Postfix instance
  egress.mail.postconf:
    config_dir: /etc/postfix-out
    parameters:
      inet_interfaces: loopback-only
"""

RETURN = r"""
changed_parameters:
  description: Names of the parameters that were (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [relayhost, smtp_tls_security_level]
removed_parameters:
  description: Names of the parameters that were (or, in check mode, would be) removed.
  returned: always
  type: list
  elements: str
  sample: [smtp_tls_wrappermode]
values:
  description: The desired values of O(parameters), as written to C(main.cf) (booleans as V(yes)/V(no), lists joined,
    whitespace collapsed).
  returned: always
  type: dict
  sample:
    relayhost: "[smtp.sendgrid.net]:587"
    smtp_sasl_auth_enable: "yes"
master_cf_changed:
  description: Whether the O(master_cf_block) block of C(master.cf) was (or, in check mode, would be) changed.
  returned: always
  type: bool
  sample: false
backups:
  description: The copies O(backup_dir) got in this run (paths).
  returned: always
  type: list
  elements: str
staged:
  description: Whether a staged copy of the new configuration was checked (and accepted) before it became live.
  returned: always
  type: bool
  sample: true
diff:
  description:
    - The changed parameters before and after, as C(main.cf) lines.
    - When O(master_cf_block) is given, a list of two such dictionaries, C(main.cf) then C(master.cf).
  returned: when diff mode is enabled
  type: raw
  contains:
    before:
      description: Previous effective values of the changed and removed parameters.
      type: str
      sample: "relayhost = \n"
    after:
      description: New values of the changed parameters.
      type: str
      sample: "relayhost = [smtp.sendgrid.net]:587\n"
    before_header:
      description: Path of C(main.cf).
      type: str
      sample: /etc/postfix/main.cf
    after_header:
      description: Path of C(main.cf).
      type: str
      sample: /etc/postfix/main.cf
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.postconf import PostconfError, apply


def main():
    module = AnsibleModule(
        argument_spec=dict(
            parameters=dict(type="dict"),
            absent=dict(type="list", elements="str"),
            config_dir=dict(type="path", default="/etc/postfix"),
            postconf_path=dict(type="path"),
            master_cf_block=dict(type="str"),
            master_cf_marker=dict(type="str", default="# {mark} ANSIBLE MANAGED BLOCK"),
            stage=dict(type="bool", default=False),
            postfix_path=dict(type="path"),
            backup_dir=dict(type="path"),
            backup_keep=dict(type="int", default=5),
        ),
        required_one_of=[("parameters", "absent", "master_cf_block")],
        supports_check_mode=True,
    )

    sbin = ["/usr/sbin", "/usr/local/sbin"]
    postconf = module.params["postconf_path"] or module.get_bin_path("postconf", required=True, opt_dirs=sbin)
    postfix = module.params["postfix_path"]
    log_command = None
    if module.params["stage"]:
        postfix = postfix or module.get_bin_path("postfix", required=True, opt_dirs=sbin)
        # Postfix writes why it refused a configuration to stderr only when that is a terminal.
        journalctl = module.get_bin_path("journalctl")
        if journalctl:
            log_command = [
                journalctl,
                "--quiet",
                "--no-pager",
                "--output",
                "cat",
                "--identifier",
                "postfix",
                "--identifier",
                "postfix/postfix-script",
            ]

    def run_command(args):
        return module.run_command(args, environ_update={"LANG": "C", "LC_ALL": "C"})

    try:
        result = apply(
            run_command,
            postconf,
            module.params["config_dir"],
            parameters=module.params["parameters"],
            absent=module.params["absent"],
            check_mode=module.check_mode,
            master_cf_block=module.params["master_cf_block"],
            master_cf_marker=module.params["master_cf_marker"],
            stage=module.params["stage"],
            postfix=postfix,
            log_command=log_command,
            backup_dir=module.params["backup_dir"],
            backup_keep=module.params["backup_keep"],
        )
    except PostconfError as exc:
        module.fail_json(msg=str(exc))

    for warning in result.pop("warnings"):
        module.warn(warning)
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
