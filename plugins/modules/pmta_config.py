#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pmta_config
short_description: Lint a PowerMTA configuration file, and write it only when it passes
version_added: 0.1.0
description:
  - Parses a PowerMTA configuration (C(/etc/pmta/config)) without running PowerMTA and reports
    errors with their line numbers.
  - Checks that stanzas such as C(<domain *>) are balanced, that every directive is allowed where it
    is used (top level, C(<source>), C(<domain>), C(<virtual-mta>), C(<smtp-user>),
    C(<virtual-mta-pool>), C(<acct-file>)) and that values have the right type (yes/no, integers,
    time intervals such as C(10m), C(host:port), IP addresses and CIDR ranges).
  - "Answers two questions separately. Is this a valid PowerMTA configuration (stanzas balanced, every
    directive known and allowed where it is used, values of the right type, references between
    stanzas resolved)? This is always checked, for any file. Does it meet the relay policy of the
    C(egress.mail.powermta_relay) role? Only with O(relay_policy=true), which the role sets."
  - "Under the relay policy: C(<domain *>) has exactly one C(smtp-hosts) (or the deprecated C(route)),
    TLSv1 and TLSv1.1 are off towards the smarthost (C(smtp-tls-allow-tlsv1 no),
    C(smtp-tls-allow-tlsv1.1 no)), no wide C(<source>) such as C(0/0) has C(always-allow-relaying yes)
    without C(require-auth yes), a C(smtp-listener) on a non-loopback address has a catch-all
    C(<source 0/0>) with C(require-auth yes) or C(smtp-service no), and C(http-access) above C(none)
    is for loopback only. Without the policy the relay-safety findings are warnings."
  - The directive table is data (C(plugins/module_utils/pmta/directives.py)); each entry has the
    reference section or the published configuration it was read from, and its allowed contexts.
    Unknown directives are errors. A directive the reference lists whose value the table does not
    type-check is accepted and reported as a warning and in RV(summary.unchecked_directives).
    O(extra_directives) adds more names, unchecked.
  - Suspicious but valid settings, such as a route on port 25, are emitted as Ansible warnings and
    returned in RV(warning_details).
  - Passwords (C(auth-password), and C(password) in C(<smtp-user>)) never appear in the module's
    output. Error messages about them do not quote the value. O(content) is a no_log option.
  - Without O(dest), never changes anything on the target.
  - With O(dest), writes O(content) to O(dest) only if it has no errors. The file is created with its
    final owner, group and mode before any byte is written (a temporary file in the same directory,
    then an atomic rename), so the passwords in it are never readable by anyone else, not even for a
    moment. A configuration with errors never becomes live.
author:
  - egress.mail contributors (!UNKNOWN)
options:
  path:
    description:
      - Path of a configuration file on the target to lint.
      - Mutually exclusive with O(content).
    type: path
  content:
    description:
      - Configuration text to lint, for example a template rendered on the controller before it is
        written.
      - Mutually exclusive with O(path).
    type: str
  compact:
    description:
      - Accept text whose line breaks were lost, with several directives and stanza tags on one
        line (as in guides copied from web pages), for example
        C(<source 0/0> require-auth true</source>).
      - In this mode a C(#) comment ends at the next hyphenated directive name. This is a best-effort
        heuristic, so do not use it for real configuration files.
    type: bool
    default: false
  fragment:
    description:
      - The text is a fragment, such as an include file or a snippet.
      - Skip the whole-file checks of the relay policy, which require a C(smtp-listener) and exactly
        one route in C(<domain *>).
    type: bool
    default: false
  extra_directives:
    description:
      - More directive names to accept anywhere, without checking their values.
    type: list
    elements: str
    default: []
  diff_against:
    description:
      - Path of the file that O(content) is meant to replace. When given, RV(masked_diff) holds a
        unified diff between that file and O(content), with passwords masked.
      - A missing file is treated as empty.
    type: path
  relay_policy:
    description:
      - Also check the relay policy of the C(egress.mail.powermta_relay) role (see the description).
      - With V(false), only whether the file is a valid PowerMTA configuration is an error; the
        relay-safety findings are warnings.
    type: bool
    default: false
  fail_on_error:
    description:
      - Fail when the configuration has errors. Set to V(false) to only report them in
        RV(valid) and RV(errors).
      - With O(dest), a configuration with errors is never written, whatever this option says.
    type: bool
    default: true
  dest:
    description:
      - Write O(content) to this path if it has no errors. Requires O(content).
      - In diff mode the diff shows the old and new files with passwords masked.
    type: path
  owner:
    description: Owner of O(dest).
    type: str
    default: root
  group:
    description: Group of O(dest).
    type: str
    default: root
  mode:
    description: Mode of O(dest), as an octal string.
    type: str
    default: "0640"
  backup:
    description:
      - Before replacing an existing O(dest), keep its previous content in RV(backup_file) (same owner,
        group and mode), for a rollback. The caller removes it once the new file is in use.
    type: bool
    default: false
  applied_marker:
    description:
      - A file (mode 0600) that records which configuration the daemon was last reloaded with.
      - With O(dest), RV(applied) tells whether the file now in place is that configuration, so a
        reload that failed, or never ran, is tried again on the next run.
      - With O(path) and O(mark_applied=true), records the file at O(path) as applied.
    type: path
  mark_applied:
    description: Record the file at O(path) in O(applied_marker) (after a successful reload).
    type: bool
    default: false
extends_documentation_fragment:
  - egress.mail.attributes
notes:
  - Passwords are masked in the diff.
  - "Stanzas known: C(<source>), C(<domain>) (top level, in C(<virtual-mta>) and in C(<virtual-mta-pool>)),
    C(<virtual-mta>), C(<virtual-mta-pool>), C(<smtp-user>), C(<acct-file>), C(<spool>),
    C(<bounce-processor>), C(<feedback-loop-processor>), C(<address-list>), C(<smtp-pattern-list>).
    The contents of C(<rewrite-list>), C(<pattern-list>) and C(<bounce-category-patterns>) are
    accepted and not checked. The full table, with the source of each entry, is in
    C(docs/pmta-directives.md)."
  - The checks are based on published PowerMTA documentation and sample configurations, not on the
    licensed binary. A file that passes can still be rejected by PowerMTA. Run C(pmta reload) and
    check C(pmta show status) after writing it.
"""

EXAMPLES = r"""
- name: Lint the live PowerMTA configuration
  egress.mail.pmta_config:
    path: /etc/pmta/config

- name: Lint a rendered template before writing it, and get a masked diff
  egress.mail.pmta_config:
    content: "{{ lookup('ansible.builtin.template', 'config.j2') }}"
    diff_against: /etc/pmta/config
  register: pmta_lint

- name: Report problems without failing
  egress.mail.pmta_config:
    path: /etc/pmta/config
    fail_on_error: false
  register: pmta_lint

- name: Show them
  ansible.builtin.debug:
    var: pmta_lint.errors

- name: Also hold the live file to the relay policy of egress.mail.powermta_relay
  egress.mail.pmta_config:
    path: /etc/pmta/config
    relay_policy: true

- name: Lint a rendered template and write it, 0640 root:pmta from its first byte
  egress.mail.pmta_config:
    content: "{{ lookup('ansible.builtin.template', 'config.j2') }}"
    dest: /etc/pmta/config
    group: pmta
    mode: "0640"
    applied_marker: /etc/pmta/.egress-applied
    relay_policy: true
  register: pmta_write

- name: Check a snippet copied from a web page
  egress.mail.pmta_config:
    content: "<source 0/0> require-auth true</source>"
    compact: true
    fragment: true
"""

RETURN = r"""
valid:
  description: Whether the configuration has no errors.
  returned: always
  type: bool
  sample: true
errors:
  description:
    - Problems that make the configuration unusable or unsafe.
    - O(fail_on_error=true) fails the task when this list is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: Line number (1-based), or V(null) for problems about the file as a whole.
      type: int
    message:
      description: What is wrong.
      type: str
  sample:
    - line: 12
      message: "directive 'use-starttls' is not allowed in <source> (it belongs in <domain>)"
warning_details:
  description:
    - Things that are suspicious but not invalid, such as a route without a port.
    - "Each one is also emitted as a standard Ansible warning formatted as C(line N: message), which
      puts them in the C(warnings) key of the result."
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: Line number, or V(null).
      type: int
    message:
      description: What is suspicious.
      type: str
  sample:
    - line: 41
      message: "'smtp-hosts' uses port 25, which most clouds block outbound"
summary:
  description: What the configuration does, as far as relaying is concerned.
  returned: always
  type: dict
  contains:
    listeners:
      description: C(smtp-listener) values.
      type: list
      elements: str
      sample: ["127.0.0.1:25"]
    listener_details:
      description: Listeners with address, port, loopback and line.
      type: list
      elements: dict
    route:
      description:
        - The route of C(<domain *>) (directive, host, port, line), or V(null).
        - For C(smtp-hosts), C(levels) lists the preference levels, each a list of hosts (host, port, kind).
      type: dict
      sample: {directive: smtp-hosts, host: smtp.example.com, port: 587, line: 30}
    starttls:
      description: C(use-starttls) and C(require-starttls) of C(<domain *>) as booleans (V(null) when unset).
      type: dict
      sample: {use: true, require: true}
    auth_user:
      description: C(auth-username) of C(<domain *>).
      type: str
      sample: apikey
    auth_password_set:
      description: Whether C(<domain *>) has an C(auth-password). The value is never returned.
      type: bool
    server_tls_certificate:
      description: C(smtp-server-tls-certificate) path, if any.
      type: str
    sources:
      description: C(<source>) stanzas and their relay and TLS settings.
      type: list
      elements: dict
    smtp_users:
      description: Names of the C(<smtp-user>) stanzas.
      type: list
      elements: str
    virtual_mtas:
      description: C(<virtual-mta>) names with their C(smtp-source-host) values.
      type: list
      elements: dict
    virtual_mta_pools:
      description: C(<virtual-mta-pool>) names with their members.
      type: list
      elements: dict
    policy:
      description: Whether the relay policy was checked (O(relay_policy)).
      type: bool
    tls:
      description:
        - Outbound TLS of C(<domain *>) as written (V(null) when unset, PowerMTA's default applies).
        - Keys C(tlsv1), C(tlsv1.1), C(tlsv1.2), C(tlsv1.3) (the C(smtp-tls-allow-*) directives), C(ca_file)
          (C(smtp-tls-ca-file)) and C(log_tls).
      type: dict
      sample: {tlsv1: false, tlsv1.1: false, tlsv1.2: true, tlsv1.3: true, ca_file: /etc/ssl/certs/ca-certificates.crt, log_tls: true}
    unchecked_directives:
      description: Directives the reference lists whose values the linter does not check, first occurrence each.
      type: list
      elements: dict
      sample: [{name: bounce-upon-no-mx, line: 40, reference: section 3.3.10.61}]
masked_diff:
  description:
    - Unified diff between O(diff_against) and O(content), with the values of C(auth-password) and
      C(password) replaced by C(********).
    - Empty when nothing changed, or when only masked values changed (see RV(secrets_changed)).
  returned: when O(diff_against) is set
  type: list
  elements: str
  sample: ["--- /etc/pmta/config (current)", "+++ /etc/pmta/config (new)", "@@ -30 +30 @@", "-    smtp-hosts [a]:587", "+    smtp-hosts [a]:2525"]
secrets_changed:
  description: Whether any C(auth-password) or C(password) value differs between the two texts (the values themselves are not returned).
  returned: when O(diff_against) or O(dest) is set
  type: bool
backup_file:
  description: Where the previous O(dest) was kept.
  returned: when O(backup=true) and an existing O(dest) was replaced
  type: str
applied:
  description: Whether O(applied_marker) records the file now at O(dest) (or O(path)) as applied.
  returned: when O(applied_marker) is set
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.pmta import files
from ansible_collections.egress.mail.plugins.module_utils.pmta_config import (
    format_error,
    format_errors,
    masked_diff,
    secret_values,
    validate,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path"),
            content=dict(type="str", no_log=True),
            compact=dict(type="bool", default=False),
            fragment=dict(type="bool", default=False),
            relay_policy=dict(type="bool", default=False),
            extra_directives=dict(type="list", elements="str", default=[]),
            diff_against=dict(type="path"),
            fail_on_error=dict(type="bool", default=True),
            dest=dict(type="path"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="str", default="0640"),
            backup=dict(type="bool", default=False),
            applied_marker=dict(type="path"),
            mark_applied=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("path", "content"), ("path", "dest"), ("dest", "mark_applied")],
        required_one_of=[("path", "content")],
        required_by={"dest": ("content",)},
        supports_check_mode=True,
    )
    try:
        _run(module, module.params)
    except files.FileError as exc:
        module.fail_json(msg=str(exc))


def _run(module, params):
    if params["mark_applied"] and (params["applied_marker"] is None or params["path"] is None):
        module.fail_json(msg="mark_applied needs applied_marker and path")
    if params["path"] is not None:
        text = files.read_text(params["path"])
    else:
        text = params["content"]

    report = validate(
        text,
        compact=params["compact"],
        fragment=params["fragment"],
        extra_directives=params["extra_directives"],
        policy=params["relay_policy"],
    )
    found = report.as_dict()
    result = dict(
        changed=False,
        valid=found["valid"],
        errors=found["errors"],
        warning_details=found["warnings"],
        summary=found["summary"],
    )
    for warning in report.warnings:
        module.warn(format_error(warning))

    if params["diff_against"] is not None:
        before = files.read_text(params["diff_against"], missing_ok=True)
        diff = masked_diff(before, text, params["diff_against"])
        result["masked_diff"] = diff
        result["secrets_changed"] = secret_values(before) != secret_values(text)

    if report.errors and (params["fail_on_error"] or params["dest"] or params["mark_applied"]):
        source = params["path"] or "content"
        result["msg"] = "PowerMTA configuration %s has %d error(s)%s:\n%s" % (
            source,
            len(report.errors),
            "; %s was not changed" % params["dest"] if params["dest"] else "",
            format_errors(report.errors),
        )
        module.fail_json(**result)
    data = text.encode("utf-8")
    if params["dest"] is not None:
        data, written = files.write(
            params["dest"],
            text,
            params["mode"],
            params["owner"],
            params["group"],
            backup=params["backup"],
            check_mode=module.check_mode,
            diff=module._diff,
        )
        result.update(written)
    if params["applied_marker"] is not None:
        changed, result["applied"] = files.applied(
            params["applied_marker"], data, mark=params["mark_applied"], check_mode=module.check_mode
        )
        result["changed"] = result["changed"] or changed
    module.exit_json(**result)


if __name__ == "__main__":
    main()
