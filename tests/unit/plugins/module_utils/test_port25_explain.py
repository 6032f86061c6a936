# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/port25_explain.py: probe report + DMI fixture -> cloud, policy, one line."""

import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import port25_explain, smtp_probe

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "cloud")


def report(states, recommended=None):
    """A run_probes-shaped report from {port: [state per address]}."""
    options = smtp_probe.ProbeOptions(["mx.example.net"], ports=sorted(states), timeout=1)
    results = []
    for port, per_address in sorted(states.items()):
        for index, state in enumerate(per_address):
            item = smtp_probe._new_result("mx.example.net", port, "192.0.2.%d" % (index + 1))
            item["state"] = state
            results.append(item)
    summary = smtp_probe.summarize(results, options)
    summary["results"] = results
    summary["recommended_port"] = recommended
    return summary


def explain(rep, case, **kwargs):
    return port25_explain.explain(
        rep, dmi_path=os.path.join(FIXTURES, case, "dmi"), files_root=os.path.join(FIXTURES, case, "root"), **kwargs
    )


@pytest.mark.parametrize(
    "case, states, recommended, msg",
    [
        (
            "azure",
            {25: ["filtered"], 587: ["open"]},
            587,
            "port 25 filtered; Azure blocks outbound 25 for this subscription type since 2017-11-15; relay on 587",
        ),
        (
            "ibm-classic",
            {25: ["filtered", "refused"], 465: ["open"]},
            465,
            "port 25 refused; IBM Cloud blocks outbound 25 for accounts created since 2015-10-28; relay on 465",
        ),
        (
            "linode",
            {25: ["unreachable"], 587: ["filtered"]},
            None,
            "port 25 unreachable; Linode restricts outbound 25, 465 and 587 for accounts created since 2019-11-05; "
            "no relay port open with TLS",
        ),
        (
            "aws-nitro",
            {25: ["open"], 587: ["open"]},
            587,
            "port 25 open; AWS throttles or blocks outbound 25 on EC2 unless the account asked for it to be lifted, "
            "but 25 gets out from this host; relay on 587",
        ),
        (
            "kvm-unknown",
            {25: ["filtered"], 587: ["open"]},
            587,
            "port 25 filtered; cloud provider unknown; relay on 587",
        ),
        (
            "oracle",
            {587: ["open"]},
            587,
            "port 25 not probed; no documented Oracle Cloud port 25 policy was found; relay on 587",
        ),
    ],
    ids=["azure", "ibm", "linode", "aws-open", "unknown", "oracle-no-source"],
)
def test_one_line(case, states, recommended, msg):
    result = explain(report(states, recommended), case)
    assert result["msg"] == msg
    assert (result["port25_policy"] is None) == (result["cloud"]["provider"] == "unknown")


def test_state_that_got_furthest_is_shown():
    assert port25_explain.port25_text(report({25: ["filtered", "rejected", "refused"]})) == "rejected"
    assert port25_explain.port25_text(report({25: ["dns_error"]})) == "dns_error"
    assert port25_explain.port25_text(report({587: ["open"]})) == "not probed"


def test_detection_off():
    result = explain(report({25: ["filtered"]}, 587), "azure", detection=False)
    assert result == {
        "cloud": None,
        "port25_policy": None,
        "msg": "port 25 filtered; cloud provider unknown; relay on 587",
    }
