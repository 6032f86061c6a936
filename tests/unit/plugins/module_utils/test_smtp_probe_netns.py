# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""smtp_probe against nftables rules in a network namespace: filtered, unreachable, refused, port 25 logic.

Two namespaces are created per test module and joined by a veth pair
(10.231.0.1 probe side, 10.231.0.2 target side); neither has a default route,
so no packet can leave them. The probe code runs in the probe namespace through
``ip netns exec``; nftables rules and SMTP test servers live in the target one.
Skipped, with the reason, when not root or when ``ip``/``nft`` are missing.
"""

import os
import time

import pytest

from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers

REASON = smtp_servers.netns_unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

TARGET = smtp_servers.NETNS_TARGET
TARGET2 = smtp_servers.NETNS_TARGET2
COLLECTIONS = os.path.join(smtp_servers.REPO_ROOT, ".cache", "collections")

RULES = """
table inet egress_probe_test {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr 10.231.0.2 tcp dport 25 drop
        tcp dport 2525 drop
        tcp dport 2526 reject with icmpx type admin-prohibited
        tcp dport 2527 reject with icmp type host-unreachable
        tcp dport 2528 reject with tcp reset
        tcp dport 40000-40063 drop
    }
}
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return smtp_servers.make_pki(str(tmp_path_factory.mktemp("netns-pki")))


@pytest.fixture(scope="module")
def netns(pki):
    pair = smtp_servers.NetnsPair(prefix="egt")
    pair.create()
    try:
        pair.nft(RULES)
        pair.start_servers(["starttls:587", "implicit:465"], pki["cert_file"], pki["key_file"])
        pair.start_servers(["reject:25"], bind=TARGET2)
        yield pair
    finally:
        pair.destroy()


def probe(netns, **params):
    params.setdefault("hosts", [TARGET])
    params.setdefault("timeout", 1)
    params.setdefault("ehlo_name", "probe.example.org")
    out = netns.probe(params)
    assert "report" in out, out
    return out


def by_port(report):
    return dict((r["port"], r) for r in report["results"])


def test_filtered_unreachable_refused_and_open(netns, pki):
    out = probe(netns, ports=[25, 2526, 2527, 2528, 587, 465], ca_file=pki["ca_file"])
    report = out["report"]
    res = by_port(report)
    assert res[25]["state"] == "filtered"
    assert res[25]["error"] == "no answer within 1s"
    assert res[2526]["state"] == "unreachable"  # icmp admin-prohibited
    assert "EHOSTUNREACH" in res[2526]["error"]
    assert res[2527]["state"] == "unreachable"  # icmp host-unreachable
    assert res[2528]["state"] == "refused"  # tcp reset
    assert res[2528]["error"] == "Connection refused"
    assert res[587]["state"] == "open" and res[587]["tls_verified"] is True
    assert res[587]["auth_mechanisms"] == ["PLAIN", "LOGIN"]
    assert res[465]["state"] == "open" and res[465]["tls_version"] is not None
    assert report["port25_blocked"] is True
    assert report["blocked_ports"] == [25, 2526, 2527, 2528]
    assert report["open_ports"] == [465, 587]
    assert report["recommended_port"] == 587
    assert report["recommended_wrappermode"] is False
    # all concurrent: about one timeout, not one per dropped port
    assert out["wall"] < 1.2 * 1 + 1.5


def test_implicit_tls_recommended_with_wrappermode(netns):
    report = probe(netns, ports=[25, 465, 587, 2525], prefer=[2525, 465, 587])["report"]
    assert by_port(report)[2525]["state"] == "filtered"
    assert report["recommended_port"] == 465
    assert report["recommended_wrappermode"] is True
    assert report["port25_blocked"] is True


def test_network_unreachable_without_route(netns):
    # TEST-NET-2 address: the probe namespace has no route to it, connect() fails locally.
    report = probe(netns, hosts=["198.51.100.25"], ports=[587])["report"]
    res = report["results"][0]
    assert res["state"] == "unreachable"
    assert "ENETUNREACH" in res["error"]


def test_port25_blocked_is_null_when_nothing_answers(netns):
    report = probe(netns, ports=[25, 40000, 2528])["report"]
    assert [r["state"] for r in report["results"]] == ["filtered", "filtered", "refused"]
    assert report["port25_blocked"] is None
    assert report["blocked_ports"] == [25, 2528, 40000]
    assert report["recommended_port"] is None


def test_port25_not_blocked_when_one_host_connects(netns):
    # TARGET drops 25; TARGET2 greets with 554 on 25: TCP got through, so 25 is not blocked.
    report = probe(netns, hosts=[TARGET, TARGET2], ports=[25, 587])["report"]
    states = [(r["address"], r["port"], r["state"]) for r in report["results"]]
    assert states == [
        (TARGET, 25, "filtered"),
        (TARGET, 587, "open"),
        (TARGET2, 25, "rejected"),
        (TARGET2, 587, "refused"),
    ]
    assert report["port25_blocked"] is False
    assert report["blocked_ports"] == []
    assert report["recommended_by_host"] == {TARGET: 587, TARGET2: None}
    assert report["recommended_port"] is None


def test_port25_blocked_needs_every_host_blocked(netns):
    report = probe(netns, hosts=[TARGET], ports=[25, 587])["report"]
    assert report["port25_blocked"] is True
    report = probe(netns, hosts=[TARGET], ports=[587])["report"]
    assert report["port25_blocked"] is None  # 25 not probed


def test_dns_error_for_invalid_name(netns):
    # Inside the probe namespace the resolver is unreachable, so nothing is sent anywhere.
    report = probe(netns, hosts=["smtp.example.invalid", TARGET], ports=[587])["report"]
    res = report["results"]
    assert res[0]["state"] == "dns_error" and res[0]["address"] is None
    assert res[1]["state"] == "open"
    assert report["recommended_by_host"] == {"smtp.example.invalid": None, TARGET: 587}
    assert report["recommended_port"] is None


def test_sixteen_dropped_ports_cost_one_timeout(netns):
    timeout = 1.0
    out = probe(netns, ports=list(range(40000, 40016)), timeout=timeout)
    states = [r["state"] for r in out["report"]["results"]]
    assert states == ["filtered"] * 16
    assert out["wall"] < 1.2 * timeout + 1.5, out["wall"]
    assert out["report"]["blocked_ports"] == list(range(40000, 40016))


def test_max_workers_one_is_sequential(netns):
    out = probe(netns, ports=[40000, 40001, 40002], timeout=0.5, max_workers=1)
    assert out["wall"] >= 3 * 0.5 - 0.05, out["wall"]


def test_module_require_recommended_fails_with_details(netns, tmp_path):
    start = time.monotonic()
    rc, result = netns.run_module(
        {
            "hosts": [TARGET],
            "ports": [25, 2528, 2525, 2526],
            "prefer": [2528, 2525, 2526],
            "timeout": 1,
            "require_recommended": True,
            "ehlo_name": "probe.example.org",
        },
        COLLECTIONS,
        str(tmp_path),
    )
    assert time.monotonic() - start < 10
    assert rc == 1
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("require_recommended: no usable relay port on %s: " % TARGET), msg
    assert "2528 refused (Connection refused); 2525 filtered (no answer within 1s); 2526 unreachable (" in msg
    assert result["port25_blocked"] is None  # nothing answered at all
    assert len(result["results"]) == 4


def test_module_success_in_netns(netns, pki, tmp_path):
    rc, result = netns.run_module(
        {
            "hosts": [TARGET],
            "ports": [25, 465, 587],
            "timeout": 1,
            "require_recommended": True,
            "ca_file": pki["ca_file"],
        },
        COLLECTIONS,
        str(tmp_path),
    )
    assert rc == 0, result
    assert result["changed"] is False
    assert result["port25_blocked"] is True
    assert result["recommended_port"] == 587
    assert result["open_ports"] == [465, 587]
    assert result["blocked_ports"] == [25]
