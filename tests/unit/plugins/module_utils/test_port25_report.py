# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import port25_report
from ansible_collections.egress.mail.plugins.module_utils.port25_report import (
    cell_state,
    host_blocked,
    host_result,
    play_report,
    target_row,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "port25_report")
CASES = sorted(name for name in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, name)))


def _load(case, name):
    with open(os.path.join(FIXTURES, case, name), encoding="utf-8") as handle:
        return json.load(handle)


def _probe(results, **overrides):
    probe = {
        "item": "mx.example.test",
        "msg": "probed",
        "cloud": None,
        "port25_policy": None,
        "port25_blocked": False,
        "recommended_port": 587,
        "recommended_wrappermode": False,
        "open_ports": [25, 587],
        "blocked_ports": [],
        "results": results,
    }
    probe.update(overrides)
    return probe


def _result(port, state, address="192.0.2.1", latency_ms=None):
    return {"port": port, "address": address, "state": state, "latency_ms": latency_ms}


QUEUE = {"waiting": {"postfix": 0}, "queues": [{"mta": "postfix", "queue": "deferred", "reasons": []}]}


@pytest.mark.parametrize("case", CASES)
def test_host_result_matches_the_recorded_facts(case):
    case_input = _load(case, "input.json")
    expected = _load(case, "facts.json")
    facts = dict(
        (host, host_result(host, given["probes"], given["queue"], case_input["ports"]))
        for host, given in case_input["inputs"].items()
    )
    assert facts == expected


@pytest.mark.parametrize(
    "states, expected",
    [
        ([], "not_probed"),
        (["filtered"], "filtered"),
        (["filtered", "open"], "open"),
        (["dns_error", "unreachable", "refused"], "refused"),
        (["tls_failed", "intercepted"], "tls_failed"),
        (["no_banner", "rejected"], "rejected"),
        (["something_new"], "not_probed"),
    ],
    ids=["none", "one", "furthest-wins", "refused-over-unreachable", "tls-failed", "rejected", "unknown-state"],
)
def test_cell_state_is_the_state_that_got_furthest(states, expected):
    results = [_result(25, state, "192.0.2.%d" % n) for n, state in enumerate(states)]
    results.append(_result(587, "open"))  # another port never counts
    assert cell_state(results, 25) == expected
    assert cell_state(results, "25") == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        ([False], False),
        ([True, False], False),
        ([None, False, True], False),
        ([True], True),
        ([None, True], True),
        ([None], None),
        ([], None),
    ],
    ids=["out", "out-to-one", "out-to-one-of-three", "blocked", "blocked-and-unknown", "unknown", "no-target"],
)
def test_host_blocked(values, expected):
    assert host_blocked([{"port25_blocked": value} for value in values]) is expected


@pytest.mark.parametrize(
    "results, recommended, expected",
    [
        ([_result(587, "open", latency_ms=12.345)], 587, 12.3),
        ([_result(587, "open", latency_ms=12)], 587, 12),
        ([_result(587, "open", "a", 30.0), _result(587, "open", "b", 7.06)], 587, 7.1),
        ([_result(587, "filtered", latency_ms=1.0), _result(587, "open", latency_ms=None)], 587, None),
        ([_result(25, "open", latency_ms=1.0), _result(587, "open", latency_ms=9.0)], 587, 9.0),
        ([_result(587, "open", latency_ms=1.0)], None, None),
    ],
    ids=["rounded", "int-kept", "fastest-address", "only-open-with-a-figure", "recommended-port-only", "no-port"],
)
def test_latency_is_the_fastest_greeting_on_the_recommended_port(results, recommended, expected):
    row = target_row("web1", _probe(results, recommended_port=recommended), QUEUE, [25, 587])
    assert row["latency_ms"] == expected
    assert type(row["latency_ms"]) is type(expected)


def test_row_of_a_target():
    results = [
        _result(587, "open", "b", 5.0),
        _result(25, "filtered", "B"),
        _result(25, "open", "a"),
        _result(587, "open", "A", 4.0),
    ]
    policy = {"status": "blocked", "since": "2017-11-15", "what_to_do": "Relay on 587."}
    queue = {
        "waiting": {"postfix": 2, "exim4": 0, "nullmailer": 1},
        "queues": [
            {"reasons": [{"reason": "r1", "count": 2}]},
            {"reasons": None},
            {"reasons": [[{"reason": "r2", "count": 1}]]},
        ],
    }
    row = target_row(
        "web1",
        _probe(
            results, port25_policy=policy, port25_blocked=None, cloud={"provider": "azure", "name": "Microsoft Azure"}
        ),
        queue,
        [25, 587, 2525],
    )
    assert row["states"] == {"25": "open", "587": "open", "2525": "not_probed"}
    assert (row["host"], row["target"], row["provider"], row["provider_name"]) == (
        "web1",
        "mx.example.test",
        "azure",
        "Microsoft Azure",
    )
    assert row["policy"] == "blocked since 2017-11-15"
    assert row["what_to_do"] == "Relay on 587."
    assert row["port25_blocked"] is None
    assert row["mail_waiting"] == 3
    assert row["mail_waiting_by_mta"] == {"postfix": 2, "nullmailer": 1}
    assert row["mail_waiting_reasons"] == [{"reason": "r1", "count": 2}, {"reason": "r2", "count": 1}]
    assert row["latency_ms"] == 4.0
    # by port, then address without regard to case (as Jinja's sort), stable
    assert [(r["port"], r["address"]) for r in row["probes"]] == [(25, "a"), (25, "B"), (587, "A"), (587, "b")]


@pytest.mark.parametrize(
    "policy, expected",
    [
        (None, None),
        ({}, None),
        ({"status": "throttled", "since": None, "what_to_do": "x"}, "throttled"),
        ({"status": "blocked", "since": "2015-10-28", "what_to_do": "x"}, "blocked since 2015-10-28"),
    ],
    ids=["none", "empty", "no-date", "dated"],
)
def test_policy_column(policy, expected):
    row = target_row("web1", _probe([], port25_policy=policy), QUEUE, [25])
    assert row["policy"] == expected
    assert row["provider"] == row["provider_name"] == "unknown"


def _host(host, provider, *targets):
    cloud = {"provider": provider, "name": provider.title()} if provider else None
    policy = (
        {
            "status": "blocked",
            "since": None,
            "relay_ports": [587],
            "what_to_do": "Relay.",
            "source": "docs",
            "source_date": "unknown",
        }
        if provider
        else None
    )
    return {
        "host": host,
        "cloud": cloud,
        "port25_policy": policy,
        "targets": [{"host": host, "target": target} for target in targets],
    }


def test_play_report_rows_groups_and_hosts_without_result():
    results = {
        "web2": _host("web2", "azure", "MX.example.test"),
        "Web1": _host("Web1", None, "mx.example.test", "b"),
        "web3": _host("web3", "azure", "c"),
        "app": _host("app", "gcp", "b"),
    }
    report = play_report(results, ["web3", "web2", "down", "Web1", "app"], [25, 587])
    assert [(row["host"], row["target"]) for row in report["rows"]] == [
        ("app", "b"),
        ("down", None),
        ("Web1", "mx.example.test"),
        ("Web1", "b"),
        ("web2", "MX.example.test"),
        ("web3", "c"),
    ]
    assert report["hosts_without_result"] == ["down"]
    missing = report["rows"][1]
    assert missing["states"] == {"25": "no_result", "587": "no_result"}
    assert missing["mail_waiting_by_mta"] == {} and missing["probes"] == [] and missing["latency_ms"] is None
    assert set(missing) == set(target_row("x", _probe([]), QUEUE, [25]))
    assert report["targets"] == ["b", "mx.example.test", "c"]  # unique without regard to case, first spelling
    assert [(g["provider"], g["name"], g["hosts"]) for g in report["providers"]] == [
        ("gcp", "Gcp", ["app"]),
        ("unknown", "unknown", ["Web1"]),
        ("azure", "Azure", ["web2", "web3"]),
    ]
    unknown = report["providers"][1]
    assert unknown["what_to_do"] == port25_report.UNKNOWN_WHAT_TO_DO
    assert (unknown["policy"], unknown["since"], unknown["relay_ports"], unknown["source"]) == (None, None, [], None)
    azure = report["providers"][2]
    assert (azure["policy"], azure["relay_ports"], azure["source_date"]) == ("blocked", [587], "unknown")


def test_play_report_without_any_result():
    report = play_report({}, ["b", "a"], [25])
    assert [row["host"] for row in report["rows"]] == ["a", "b"]
    assert report["hosts_without_result"] == ["a", "b"]
    assert report["providers"] == [] and report["targets"] == []
