# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the port25_audit report; the logic is module_utils/port25_report.py.

Documentation lives in the sidecar files port25_audit_result.yml and port25_report.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.module_utils.port25_report import host_result, play_report

RESULT_FACT = "port25_audit_result"


def port25_audit_result(probes, host, queue, ports):
    """The port25_audit_result fact of one host; see port25_audit_result.yml."""
    if not probes:
        raise AnsibleFilterError("port25_audit_result: the probe loop has no result (port25_audit_targets is empty)")
    return host_result(host, probes, queue, ports)


def port25_report(hosts, hostvars, ports):
    """The rows and provider groups of the report of the play; see port25_report.yml."""
    results = dict((host, hostvars[host][RESULT_FACT]) for host in hosts if RESULT_FACT in hostvars[host])
    return play_report(results, hosts, ports)


class FilterModule(object):
    """egress.mail port25_audit report filters."""

    def filters(self):
        return {
            "port25_audit_result": port25_audit_result,
            "port25_report": port25_report,
        }
