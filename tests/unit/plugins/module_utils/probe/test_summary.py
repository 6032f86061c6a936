# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/summary.py: port 25, the recommended port, the message when none is usable.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import pytest

from ansible_collections.egress.mail.plugins.module_utils import smtp_probe
from ansible_collections.egress.mail.plugins.module_utils.probe import summary as probe_summary
from ansible_collections.egress.mail.plugins.module_utils.probe.options import ProbeOptions
from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers
from ansible_collections.egress.mail.tests.unit.helpers.smtp_probe_run import (
    BAD_NAME,
    LOCAL,
    run,
)


@pytest.mark.parametrize("state", ["open", "rejected", "no_banner", "intercepted", "tls_failed"])
def test_any_connected_state_on_25_means_not_blocked(state):
    options = smtp_probe.ProbeOptions(["mx.example.net"], ports=[25, 587], timeout=1)
    on25 = smtp_probe._new_result("mx.example.net", 25, "192.0.2.1")
    on25["state"] = state
    other = smtp_probe._new_result("mx.example.net", 587, "192.0.2.1")
    other["state"] = "open"
    summary = smtp_probe.summarize([on25, other], options)
    assert summary["port25_blocked"] is False
    assert summary["blocked_ports"] == []


@pytest.mark.parametrize("state", ["filtered", "refused", "unreachable"])
def test_any_blocking_state_on_25_means_blocked(state):
    options = smtp_probe.ProbeOptions(["mx.example.net"], ports=[25, 587], timeout=1)
    on25 = smtp_probe._new_result("mx.example.net", 25, "192.0.2.1")
    on25["state"] = state
    other = smtp_probe._new_result("mx.example.net", 587, "192.0.2.1")
    other["state"] = "rejected"
    summary = smtp_probe.summarize([on25, other], options)
    assert summary["port25_blocked"] is True
    assert summary["blocked_ports"] == [25]


# ---------------------------------------------------------------------------
# Summary logic with real probes


def test_recommended_follows_prefer_order_and_needs_tls(server):
    plain = server("plain")
    starttls = server("starttls")
    implicit = server("implicit")
    ports = [plain.port, starttls.port, implicit.port]
    dummy, report = run(
        [LOCAL], ports, implicit_tls_ports=[implicit.port], prefer=[plain.port, implicit.port, starttls.port]
    )
    assert report["open_ports"] == sorted(ports)
    assert report["recommended_port"] == implicit.port
    assert report["recommended_wrappermode"] is True
    assert report["recommended_by_host"] == {LOCAL: implicit.port}

    dummy, report = run(
        [LOCAL], ports, implicit_tls_ports=[implicit.port], prefer=[plain.port, starttls.port, implicit.port]
    )
    assert report["recommended_port"] == starttls.port
    assert report["recommended_wrappermode"] is False


def test_recommended_requires_every_host(server):
    srv = server("starttls")
    dummy, report = run([LOCAL, BAD_NAME], [srv.port], prefer=[srv.port])
    assert report["recommended_by_host"] == {LOCAL: srv.port, BAD_NAME: None}
    assert report["recommended_port"] is None


def test_unusable_message_lists_host_and_ports(server):
    plain = server("plain")
    silent = server("silent")
    broken = server("broken_tls")
    refused = smtp_servers.closed_port()
    prefer = [refused, silent.port, broken.port, plain.port, 1]
    options, report = run(
        [LOCAL, BAD_NAME],
        [refused, silent.port, broken.port, plain.port],
        prefer=prefer,
        timeout=0.5,
        require_recommended=True,
    )
    assert report["recommended_port"] is None
    message = smtp_probe.unusable_message(report, options)
    assert message.startswith("require_recommended: no usable relay port on 127.0.0.1: ")
    assert "%d refused (Connection refused)" % refused in message
    assert "%d no_banner (no greeting within 0.5s)" % silent.port in message
    assert "%d tls_failed (TLS handshake failed" % broken.port in message
    assert "%d open without TLS (STARTTLS not offered)" % plain.port in message
    assert "1 not probed (not in ports)" in message
    assert "no usable relay port on %s: name resolution failed" % BAD_NAME in message


def test_summary_port25_logic():
    """port25_blocked from synthetic results (the real-probe variant needs port 25: see the netns tests)."""
    options = smtp_probe.ProbeOptions(["a.example.net", "b.example.net"], ports=[25, 587], timeout=1)

    def res(host, port, state, tls=None):
        item = smtp_probe._new_result(host, port, "192.0.2.10")
        item["state"] = state
        item["tls_version"] = tls
        return item

    blocked = [
        res("a.example.net", 25, "filtered"),
        res("a.example.net", 587, "open", "TLSv1.3"),
        res("b.example.net", 25, "refused"),
        res("b.example.net", 587, "filtered"),
    ]
    summary = smtp_probe.summarize(blocked, options)
    assert summary["port25_blocked"] is True
    assert summary["blocked_ports"] == [25]
    assert summary["recommended_port"] is None  # b has no usable port
    assert summary["recommended_by_host"] == {"a.example.net": 587, "b.example.net": None}

    one_open = blocked[:2] + [res("b.example.net", 25, "rejected"), res("b.example.net", 587, "open", "TLSv1.2")]
    summary = smtp_probe.summarize(one_open, options)
    assert summary["port25_blocked"] is False
    assert summary["recommended_port"] == 587

    nothing = [
        res("a.example.net", 25, "filtered"),
        res("a.example.net", 587, "unreachable"),
        res("b.example.net", 25, "dns_error"),
        res("b.example.net", 587, "dns_error"),
    ]
    assert smtp_probe.summarize(nothing, options)["port25_blocked"] is None

    no25 = smtp_probe.ProbeOptions(["a.example.net"], ports=[587])
    assert smtp_probe.summarize([res("a.example.net", 587, "open")], no25)["port25_blocked"] is None


# --- mutation testing (issue 21): summarize and the descriptions on given results ---------------


def _result(host, port, state, **keys):
    result = smtp_probe._new_result(host, port, None if state == "dns_error" else "192.0.2.1")
    result.update(state=state, **keys)
    return result


def test_a_host_whose_name_failed_does_not_unblock_a_port():
    options = ProbeOptions(["gone.example", "relay.example"], ports=[587, 2525], implicit_tls_ports=[])
    results = [
        _result("gone.example", 587, "dns_error"),
        _result("gone.example", 2525, "dns_error"),
        _result("relay.example", 587, "filtered"),
        _result("relay.example", 2525, "open", starttls=True, tls_version="TLSv1.3"),
    ]
    assert probe_summary.summarize(results, options)["blocked_ports"] == [587]


@pytest.mark.parametrize(
    "port, starttls_option, starttls, text",
    [
        (465, True, None, "open without TLS"),
        (587, False, True, "open without TLS (STARTTLS offered, but starttls=false)"),
        (587, True, True, "open without TLS"),
        (587, True, False, "open without TLS (STARTTLS not offered)"),
    ],
)
def test_the_description_of_a_port_open_without_tls(port, starttls_option, starttls, text):
    options = ProbeOptions(["relay.example"], ports=[port], implicit_tls_ports=[465], starttls=starttls_option)
    result = _result("relay.example", port, "open", starttls=starttls)
    assert probe_summary._describe(result, options) == text


def test_the_unusable_message_is_exact_host_by_host_and_port_by_port():
    options = ProbeOptions(
        ["ok.example", "gone.example", "two.example"], ports=[587], implicit_tls_ports=[], prefer=[2525, 587]
    )
    usable = dict(starttls=True, tls_version="TLSv1.3")
    results = [
        _result("ok.example", 587, "open", **usable),
        _result("gone.example", 587, "dns_error", error="Name or service not known (EAI_NONAME)"),
        _result("two.example", 587, "open", **usable),
        _result("two.example", 587, "filtered", error="timed out"),
    ]
    results[2]["address"], results[2]["state"], results[2]["tls_version"] = "192.0.2.7", "refused", None
    report = dict(results=results, **probe_summary.summarize(results, options))
    assert probe_summary.unusable_message(report, options) == (
        "require_recommended: no usable relay port on gone.example: name resolution failed "
        "(Name or service not known (EAI_NONAME)) | no usable relay port on two.example: "
        "2525 not probed (not in ports); 587: 192.0.2.7 refused, 192.0.2.1 filtered (timed out)"
    )
    nothing = ProbeOptions(["two.example"], ports=[587], implicit_tls_ports=[], prefer=[])
    report = dict(results=results[2:], **probe_summary.summarize(results[2:], nothing))
    assert probe_summary.unusable_message(report, nothing) == (
        "require_recommended: no usable relay port on two.example: prefer is empty"
    )


def test_the_message_when_every_host_has_a_port_but_no_port_serves_all():
    # 587 on a.example, 2525 on b.example: each host has one, no prefer port is usable on both.
    options = ProbeOptions(["a.example", "b.example"], ports=[587, 2525], implicit_tls_ports=[], prefer=[587, 2525])
    usable = dict(starttls=True, tls_version="TLSv1.3")
    results = [
        _result("a.example", 587, "open", **usable),
        _result("a.example", 2525, "filtered"),
        _result("b.example", 587, "refused"),
        _result("b.example", 2525, "open", **usable),
    ]
    report = dict(results=results, **probe_summary.summarize(results, options))
    assert report["recommended_port"] is None
    assert report["recommended_by_host"] == {"a.example": 587, "b.example": 2525}
    assert probe_summary.unusable_message(report, options) == (
        "require_recommended: every host has a usable port, but no port of prefer [587, 2525] is open with TLS "
        "on all of them (a.example: 587, b.example: 2525)"
    )
