#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postfix_info
short_description: Read what configuring Postfix as a relay needs to know of a host, in one round trip
version_added: 0.1.0
author:
  - egress.mail contributors (!UNKNOWN)
description:
  - Reads, without changing anything, which of O(packages) are not installed (one C(dpkg-query) or C(rpm) call),
    how many package lists apt has and how old they are, Postfix's C(default_database_type), the C(unix)
    services C(master.cf) defines outside the block between the O(master_cf_marker) lines, whether the
    Postfix service is active and enabled, whether a reload is still pending (O(reload_pending) exists) and the
    content and mode of C(/etc/mailname).
  - With O(queues=true) it also reads the mail every MTA on the host holds, as M(egress.mail.mail_queue) does.
  - Used by the P(egress.mail.postfix_relay#role) role, so that a host that is already right costs one call here
    and nothing but the checks that can change something.
extends_documentation_fragment:
  - egress.mail.attributes.read_only
  - egress.mail.attributes
options:
  packages:
    description:
      - Names of the packages whose installation is checked (Debian or RPM package names).
    type: list
    elements: str
    default: []
  packages_by_os_family:
    description:
      - The packages to check per OS family (V(Debian), V(RedHat), ... as the C(os_family) fact names it). The
        list of the host's family is used as O(packages); a family not in it is an error.
      - For a caller that does not know the host's family yet, such as a role that skips the setup module.
    type: dict
  facts:
    description:
      - Also return what the setup module's C(distribution), C(platform), C(selinux) and C(service_mgr) collectors
        gather (C(ansible_os_family), C(ansible_fqdn), C(ansible_selinux), C(ansible_service_mgr), ...) as facts,
        read by those same collectors and named as setup names them. A role that needs only those facts saves the
        setup call, one round trip on every run.
    type: bool
    default: false
  config_dir:
    description: Postfix's configuration directory (C(postconf -c)).
    type: path
    default: /etc/postfix
  master_cf_marker:
    description:
      - Services between the lines starting with this marker (V({mark}) is V(BEGIN) or V(END)) are not listed in
        RV(services), since they are the block the caller manages itself.
    type: str
    default: "# {mark} egress.mail"
  service:
    description: The systemd unit of Postfix.
    type: str
    default: postfix
  reload_pending:
    description: A file whose existence means that a reload of Postfix has not completed yet.
    type: path
  mailname:
    description: The file read for RV(mailname).
    type: path
    default: /etc/mailname
  parts:
    description:
      - What to read. V(packages) (RV(missing), RV(apt_lists), RV(apt_lists_age)), V(postfix) (RV(installed),
        RV(db_type), RV(services)), V(service) (RV(active), RV(enabled)), V(files) (RV(reload_pending), RV(mailname)).
    type: list
    elements: str
    choices: [packages, postfix, service, files]
    default: [packages, postfix, service, files]
  queues:
    description: Also read the mail queues of every MTA (RV(mail_queues)).
    type: bool
    default: false
notes:
  - Reads the commands' output with C(LANG=C).
requirements:
  - C(dpkg-query) (Debian family) or C(rpm) (RHEL family) on the target.
seealso:
  - module: egress.mail.mail_queue
  - module: egress.mail.postconf
"""

EXAMPLES = r"""
- name: Inspect Postfix on the host
  egress.mail.postfix_info:
    packages: [postfix, libsasl2-modules, ca-certificates]
    reload_pending: /etc/postfix/egress-reload-pending
    queues: true
  register: postfix_state

- name: Inspect Postfix and gather the facts the role needs (no setup call)
  egress.mail.postfix_info:
    packages_by_os_family:
      Debian: [postfix, libsasl2-modules, ca-certificates]
      RedHat: [postfix, cyrus-sasl-plain, ca-certificates]
    facts: true
  register: postfix_state
- name: Install what is missing
  ansible.builtin.apt:
    name: "{{ postfix_state.missing }}"
  when: postfix_state.missing | length > 0

- name: Read Postfix again after installing it
  egress.mail.postfix_info:
    parts: [postfix]
  register: postfix_after
"""

RETURN = r"""
missing:
  description: The packages of O(packages) that are not installed, in their order.
  returned: when O(parts) has V(packages)
  type: list
  elements: str
  sample: [postfix, libsasl2-modules]
apt_lists:
  description: Number of package lists in C(/var/lib/apt/lists) (0 on hosts without apt, or whose lists were deleted).
  returned: when O(parts) has V(packages)
  type: int
  sample: 8
apt_lists_age:
  description: Age in seconds of the newest package list, V(null) without any.
  returned: when O(parts) has V(packages)
  type: int
  sample: 3600
installed:
  description: Whether C(postconf) was found (Postfix is installed).
  returned: when O(parts) has V(postfix)
  type: bool
  sample: true
db_type:
  description: Postfix's C(default_database_type), V("") when Postfix is not installed.
  returned: when O(parts) has V(postfix)
  type: str
  sample: hash
services:
  description: Names of the C(unix) services C(master.cf) defines outside the O(master_cf_marker) block.
  returned: when O(parts) has V(postfix)
  type: list
  elements: str
  sample: [pickup, cleanup, tlsmgr, tlsproxy]
active:
  description: What C(systemctl is-active) says of O(service) (V(active), V(inactive), ...), V("") without systemctl.
  returned: when O(parts) has V(service)
  type: str
  sample: active
enabled:
  description: What C(systemctl is-enabled) says of O(service) (V(enabled), V(disabled), ...), V("") without systemctl.
  returned: when O(parts) has V(service)
  type: str
  sample: enabled
reload_pending:
  description: Whether O(reload_pending) exists.
  returned: when O(parts) has V(files)
  type: bool
  sample: false
mailname:
  description: Content, mode (octal string), owner and group ids of O(mailname); V(null) when it does not exist.
  returned: when O(parts) has V(files)
  type: dict
  sample: {content: "mail.example.com\n", mode: "0644", uid: 0, gid: 0}
ansible_facts:
  description:
    - What the setup module's C(distribution), C(platform), C(selinux) and C(service_mgr) collectors gather, with
      setup's C(ansible_) prefix (so they are also C(ansible_facts.os_family), ...).
  returned: when O(facts=true)
  type: dict
  sample: {ansible_os_family: Debian, ansible_distribution: Debian, ansible_distribution_major_version: "12",
           ansible_fqdn: mail.example.com, ansible_hostname: mail, ansible_domain: example.com,
           ansible_selinux: {status: Missing selinux Python library}, ansible_service_mgr: systemd}
mail_queues:
  description: The mail every MTA holds, as M(egress.mail.mail_queue) returns it (sendmail_owner, queues, waiting,
    total, reason_lines).
  returned: when O(queues=true)
  type: dict
  sample:
    sendmail_owner: {mta: postfix, package: postfix, path: /usr/sbin/sendmail}
    waiting: {postfix: 0, exim4: 0, nullmailer: 0, sendmail: 0, dma: 0, opensmtpd: 0}
    total: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueueReadError
from ansible_collections.egress.mail.plugins.module_utils.module_runner import command_runner, exit_with
from ansible_collections.egress.mail.plugins.module_utils.postfix_info import (
    PostfixInfoError,
    host_facts,
    inspect,
    packages_for,
)

SBIN = ["/usr/sbin", "/usr/local/sbin"]
PARTS = ["packages", "postfix", "service", "files"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            packages_by_os_family=dict(type="dict"),
            facts=dict(type="bool", default=False),
            config_dir=dict(type="path", default="/etc/postfix"),
            master_cf_marker=dict(type="str", default="# {mark} egress.mail"),
            service=dict(type="str", default="postfix"),
            reload_pending=dict(type="path"),
            mailname=dict(type="path", default="/etc/mailname"),
            parts=dict(type="list", elements="str", choices=PARTS, default=PARTS),
            queues=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("packages", "packages_by_os_family")],
        supports_check_mode=True,
    )

    run_command = command_runner(module, opt_dirs=SBIN)

    def find(name):
        return module.get_bin_path(name, opt_dirs=SBIN)

    def read():
        by_family = module.params["packages_by_os_family"]
        facts = host_facts(module) if module.params["facts"] or by_family is not None else {}
        packages = module.params["packages"]
        if by_family is not None:
            packages = packages_for(by_family, facts.get("ansible_os_family"))
        result = inspect(
            run_command,
            packages,
            config_dir=module.params["config_dir"],
            postconf=find("postconf"),
            dpkg_query=find("dpkg-query"),
            rpm=find("rpm"),
            systemctl=find("systemctl"),
            service=module.params["service"],
            reload_pending=module.params["reload_pending"],
            mailname=module.params["mailname"],
            master_cf_marker=module.params["master_cf_marker"],
            queues=module.params["queues"],
            postqueue=find("postqueue"),
            parts=module.params["parts"],
        )
        if module.params["facts"]:
            result["ansible_facts"] = facts
        return result

    exit_with(
        module,
        read,
        [(PostfixInfoError, None), ((QueueReadError, IOError, OSError), "could not inspect the host")],
    )


if __name__ == "__main__":
    main()
