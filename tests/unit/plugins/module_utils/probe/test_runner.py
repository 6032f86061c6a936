# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/runner.py: name resolution, many probes on bounded threads.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import time


import pytest

from ansible_collections.egress.mail.tests.unit.helpers.smtp_probe_run import (
    BAD_NAME,
    LOCAL,
    only,
    run,
)


def test_dns_error_one_result_per_port():
    dummy, report = run([BAD_NAME], [587, 465])
    assert [r["port"] for r in report["results"]] == [587, 465]
    for res in report["results"]:
        assert res["state"] == "dns_error"
        assert res["address"] is None
        assert res["error"]
    assert report["port25_blocked"] is None
    assert report["blocked_ports"] == []


def test_ipv6_loopback_and_bracketed_host(server):
    try:
        srv = server("plain", host="::1")
    except OSError as exc:
        pytest.skip("IPv6 loopback not available: %s" % exc)
    dummy, report = run(["[::1]"], [srv.port])
    res = only(report)
    assert res["host"] == "::1" and res["address"] == "::1"
    assert res["state"] == "open"


def test_sixteen_silent_ports_take_about_one_timeout(server):
    servers = [server("silent") for dummy in range(16)]
    timeout = 1.0
    start = time.monotonic()
    dummy, report = run([LOCAL], [s.port for s in servers], timeout=timeout)
    took = time.monotonic() - start
    assert [r["state"] for r in report["results"]] == ["no_banner"] * 16
    assert took < 1.2 * timeout + 1.5, took


def test_max_workers_bounds_concurrency(server):
    servers = [server("silent") for dummy in range(6)]
    start = time.monotonic()
    dummy, report = run([LOCAL], [s.port for s in servers], timeout=0.4, max_workers=2)
    took = time.monotonic() - start
    assert [r["state"] for r in report["results"]] == ["no_banner"] * 6
    assert took >= 3 * 0.4 - 0.05, took  # three waves of two
    assert took < 3 * 0.4 + 1.0, took
