# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.filter.port25_report import (
    FilterModule,
    port25_audit_result,
    port25_report,
)

PROBE = {
    "item": "mx.example.test",
    "msg": "ok",
    "cloud": None,
    "port25_policy": None,
    "port25_blocked": True,
    "recommended_port": 587,
    "recommended_wrappermode": False,
    "open_ports": [587],
    "blocked_ports": [25],
    "results": [
        {"port": 25, "address": "192.0.2.1", "state": "filtered", "latency_ms": None},
        {"port": 587, "address": "192.0.2.1", "state": "open", "latency_ms": 8.25},
    ],
}
QUEUE = {"waiting": {"postfix": 1}, "queues": [{"reasons": []}]}


def test_filter_names():
    filters = FilterModule().filters()
    assert filters == {"port25_audit_result": port25_audit_result, "port25_report": port25_report}


def test_port25_audit_result():
    result = port25_audit_result([PROBE], "web1", QUEUE, [25, 587])
    assert result["host"] == "web1"
    assert result["port25_blocked"] is True
    assert result["mail_waiting"] == 1
    assert result["targets"][0]["states"] == {"25": "filtered", "587": "open"}
    assert result["targets"][0]["latency_ms"] == 8.2


def test_port25_audit_result_without_probes():
    with pytest.raises(AnsibleFilterError, match="port25_audit_targets"):
        port25_audit_result([], "web1", QUEUE, [25])


def test_port25_report_reads_the_fact_of_each_host():
    result = port25_audit_result([PROBE], "web1", QUEUE, [25, 587])
    hostvars = {"web1": {"port25_audit_result": result, "other": 1}, "web2": {"other": 2}}
    report = port25_report(["web2", "web1"], hostvars, [25, 587])
    assert [row["host"] for row in report["rows"]] == ["web1", "web2"]
    assert report["rows"][0] is result["targets"][0]
    assert report["hosts_without_result"] == ["web2"]
    assert report["targets"] == ["mx.example.test"]
