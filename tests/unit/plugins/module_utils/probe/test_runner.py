# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/runner.py: name resolution, many probes on bounded threads.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked, except the resolver's answer in the tests marked "mutation testing"
(answers this machine's resolver cannot be made to give). Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import socket
import threading
import time


import pytest

from ansible_collections.egress.mail.plugins.module_utils.probe import runner
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


# --- mutation testing (issue 21): the threads, the resolver's answers, the DNS messages --------
# The resolver cannot be made to answer with an unsupported family, duplicates, no address or
# not at all on this machine, so these tests give runner's own functions those answers.


def _wait_for_no_probe_threads():
    deadline = time.monotonic() + 10
    while any(t.name == "smtp_probe" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "smtp_probe threads still running"
        time.sleep(0.01)


def test_bounded_map_keeps_order_and_exceptions_on_named_daemon_threads(monkeypatch):
    crashes = []
    monkeypatch.setattr(threading, "excepthook", crashes.append)
    seen = []

    def func(item):
        seen.append((threading.current_thread().name, threading.current_thread().daemon))
        if item == 2:
            raise ValueError("two")
        return item * 10

    _wait_for_no_probe_threads()
    outcomes = runner._bounded_map(func, [1, 2, 3, 4], 2)
    _wait_for_no_probe_threads()
    assert [o[0] for o in outcomes] == [True, False, True, True]
    assert [o[1] for o in outcomes if o[0]] == [10, 30, 40]
    assert isinstance(outcomes[1][1], ValueError) and str(outcomes[1][1]) == "two"
    assert set(seen) == {("smtp_probe", True)}
    assert crashes == []  # no worker went past the last item


def test_resolve_keeps_ip_addresses_once_each_in_resolver_order(monkeypatch):
    unix = getattr(socket, "AF_UNIX", 1)
    answer = [
        (unix, socket.SOCK_STREAM, 0, "", "/tmp/x"),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 0)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2001:db8::1", 0, 0, 0)),
        (unix, socket.SOCK_STREAM, 0, "", "/tmp/y"),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", 0)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args: answer)
    assert runner._resolve("relay.example") == [
        (socket.AF_INET, ("192.0.2.1", 0)),
        (socket.AF_INET6, ("2001:db8::1", 0, 0, 0)),
        (socket.AF_INET, ("192.0.2.2", 0)),
    ]


@pytest.mark.parametrize(
    "exc, text",
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "Name or service not known (EAI_NONAME)"),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), "Temporary failure (EAI_AGAIN)"),
        (socket.gaierror("no errno"), "no errno"),
        (UnicodeError("label too long"), "label too long"),
    ],
)
def test_dns_error_texts_are_exact(exc, text):
    assert runner._dns_error_text(exc) == text


def test_a_name_without_address_and_a_lookup_that_does_not_finish_are_dns_errors(monkeypatch):
    release = threading.Event()

    def resolve(host):
        if host == "hangs.example":
            release.wait(30)
        return []

    monkeypatch.setattr(runner, "_resolve", resolve)
    try:
        dummy, report = run(["empty.example", "hangs.example"], [587, 2525], timeout=0.5)
    finally:
        release.set()
    assert [(r["host"], r["port"], r["state"], r["address"], r["error"]) for r in report["results"]] == [
        ("empty.example", 587, "dns_error", None, "name has no IPv4 or IPv6 address"),
        ("empty.example", 2525, "dns_error", None, "name has no IPv4 or IPv6 address"),
        ("hangs.example", 587, "dns_error", None, "name resolution did not finish within 0.5s"),
        ("hangs.example", 2525, "dns_error", None, "name resolution did not finish within 0.5s"),
    ]


def test_a_probe_that_raises_is_filtered_with_the_error_and_its_address(monkeypatch):
    def probe_address(host, port, family, sockaddr, options):
        raise ValueError("boom")

    monkeypatch.setattr(runner, "probe_address", probe_address)
    dummy, report = run([LOCAL], [2525], timeout=0.5)
    res = only(report)
    assert (res["address"], res["state"], res["error"]) == (LOCAL, "filtered", "unexpected error: ValueError('boom')")


def test_elapsed_ms_is_the_run_s_own_wall_time_in_milliseconds(server):
    srv = server("silent")
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=0.5)
    took_ms = (time.monotonic() - start) * 1000.0
    assert isinstance(report["elapsed_ms"], float)
    assert 500.0 <= report["elapsed_ms"] <= took_ms


def test_a_probe_past_the_wait_bound_is_filtered_as_not_finished(monkeypatch):
    """The safety net: a probe that ignores its own deadline is reported, not waited for. The
    real _bounded_map, with its bound cut to 0.2 s (the run's own bound is several seconds)."""
    release = threading.Event()

    def probe_address(host, port, family, sockaddr, options):
        release.wait(10)
        raise AssertionError("the run should not have waited for this probe")

    bounded_map = runner._bounded_map
    monkeypatch.setattr(runner, "probe_address", probe_address)
    monkeypatch.setattr(
        runner, "_bounded_map", lambda func, items, workers, timeout: bounded_map(func, items, workers, 0.2)
    )
    try:
        dummy, report = run([LOCAL], [2525], timeout=0.5)
    finally:
        release.set()
    res = only(report)
    assert (res["address"], res["state"], res["error"]) == (LOCAL, "filtered", "probe did not finish in time")
