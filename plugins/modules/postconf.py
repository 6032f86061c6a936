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
  - Only C(main.cf) is managed. C(master.cf) service entries and service parameters are out of scope.
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
diff:
  description: The changed parameters before and after, as C(main.cf) lines.
  returned: when diff mode is enabled
  type: dict
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
            parameters=dict(type='dict'),
            absent=dict(type='list', elements='str'),
            config_dir=dict(type='path', default='/etc/postfix'),
            postconf_path=dict(type='path'),
        ),
        required_one_of=[('parameters', 'absent')],
        supports_check_mode=True,
    )

    postconf = module.params['postconf_path']
    if not postconf:
        postconf = module.get_bin_path('postconf', required=True, opt_dirs=['/usr/sbin', '/usr/local/sbin'])

    def run_command(args):
        return module.run_command(args, environ_update={'LANG': 'C', 'LC_ALL': 'C'})

    try:
        result = apply(
            run_command,
            postconf,
            module.params['config_dir'],
            parameters=module.params['parameters'],
            absent=module.params['absent'],
            check_mode=module.check_mode,
        )
    except PostconfError as exc:
        module.fail_json(msg=str(exc))

    for warning in result.pop('warnings'):
        module.warn(warning)
    diff = result.pop('diff')
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
