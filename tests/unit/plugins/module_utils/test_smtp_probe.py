# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/smtp_probe.py against real SMTP test servers on 127.0.0.1.

No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import errno
import os
import socket
import time

import yaml

import pytest

from ansible_collections.egress.mail.plugins.module_utils import smtp_probe
from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers

LOCAL = "127.0.0.1"
EHLO = "probe.example.org"
# A label longer than 63 octets cannot be encoded: resolution fails locally, nothing is sent.
BAD_NAME = "x" * 64 + ".smtp-probe-test.invalid"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return smtp_servers.make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def tls_context(pki):
    return smtp_servers.server_context(pki["cert_file"], pki["key_file"])


@pytest.fixture
def server(tls_context):
    """Factory: server(behaviour, **kwargs) -> started SMTPTestServer on 127.0.0.1, stopped after the test."""
    started = []

    def factory(behaviour, **kwargs):
        srv = smtp_servers.SMTPTestServer(
            behaviour, host=kwargs.pop("host", LOCAL), tls_context=tls_context, **kwargs
        ).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


def run(hosts, ports, **params):
    params.setdefault("timeout", 2)
    params.setdefault("ehlo_name", EHLO)
    params.setdefault("implicit_tls_ports", [])
    params["hosts"] = hosts
    params["ports"] = ports
    options, report = smtp_probe.probe(params)
    return options, report


def only(report):
    assert len(report["results"]) == 1, report["results"]
    return report["results"][0]


def assert_polite(srv):
    """The probe said only EHLO, STARTTLS and QUIT."""
    for line in srv.commands:
        assert line.split(" ", 1)[0].upper() in ("EHLO", "STARTTLS", "QUIT"), srv.commands


# ---------------------------------------------------------------------------
# Argument validation


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hosts": []}, "hosts must list at least one host"),
        ({"hosts": None}, "hosts must list at least one host"),
        ({"hosts": ["smtp.example.net", "two words"]}, "invalid entry 'two words'"),
        ({"hosts": [""]}, "invalid entry ''"),
        (
            {"hosts": ["smtp.example.net:587"]},
            "invalid entry 'smtp.example.net:587': give the host name or address only",
        ),
        ({"hosts": ["[2001:db8::1]:587"]}, "invalid entry '[2001:db8::1]:587'"),
        ({"hosts": ["a"], "ports": [0]}, "ports: 0 is out of range: TCP ports are 1-65535"),
        ({"hosts": ["a"], "ports": [65536]}, "ports: 65536 is out of range"),
        ({"hosts": ["a"], "ports": []}, "ports must list at least one port"),
        ({"hosts": ["a"], "ports": ["smtp"]}, "ports: 'smtp' is not a TCP port number"),
        ({"hosts": ["a"], "prefer": [70000]}, "prefer: 70000 is out of range"),
        ({"hosts": ["a"], "implicit_tls_ports": [-1]}, "implicit_tls_ports: -1 is out of range"),
        ({"hosts": ["a"], "timeout": 0}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "timeout": -2.5}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "timeout": float("nan")}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "max_workers": 0}, "max_workers must be between 1 and 1024"),
        ({"hosts": ["a"], "expect_banner": "(unclosed"}, "expect_banner is not a valid regular expression"),
        ({"hosts": ["a"], "ehlo_name": "has space"}, "ehlo_name must be a host name without whitespace"),
        ({"hosts": ["a"], "ca_file": "/nonexistent/ca.pem"}, "ca_file /nonexistent/ca.pem does not exist"),
    ],
)
def test_argument_validation(params, message):
    with pytest.raises(smtp_probe.ProbeArgumentError) as excinfo:
        smtp_probe.build_options(params)
    assert message in str(excinfo.value)


def test_defaults_and_normalisation():
    options = smtp_probe.build_options(
        {"hosts": ["smtp.example.net", "[2001:db8::25]", "smtp.example.net", "fe80::1%eth0", "192.0.2.25"]}
    )
    assert options.hosts == ["smtp.example.net", "2001:db8::25", "fe80::1%eth0", "192.0.2.25"]
    assert options.ports == [25, 465, 587, 2525]
    assert options.implicit_tls_ports == [465]
    assert options.prefer == [587, 2525, 465]
    assert options.timeout == 5.0
    assert options.max_workers == 64
    assert options.ehlo_name == (socket.getfqdn() or "localhost")
    assert options.starttls is True and options.require_recommended is False


def test_bad_ca_file_content(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(smtp_probe.ProbeArgumentError, match="could not be loaded"):
        smtp_probe.build_options({"hosts": ["a"], "ca_file": str(bad)})


# ---------------------------------------------------------------------------
# Constants and limits the documentation promises (mutation testing found these unchecked;
# first in the file, so that a mutant is killed without running the slow socket tests)


def _module_doc(name):
    path = os.path.join(smtp_servers.REPO_ROOT, "plugins", "modules", "smtp_probe.py")
    with open(path) as handle:
        source = handle.read()
    start = source.index('%s = r"""' % name) + len('%s = r"""' % name)
    return yaml.safe_load(source[start : source.index('"""', start)])


def test_states_are_the_documented_choices():
    choices = _module_doc("RETURN")["results"]["contains"]["state"]["choices"]
    assert list(smtp_probe.STATES) == choices
    assert smtp_probe.BLOCKING_STATES == {"filtered", "refused", "unreachable"}
    assert smtp_probe.CONNECTED_STATES == {"open", "rejected", "no_banner", "intercepted", "tls_failed"}
    assert smtp_probe.BLOCKING_STATES | smtp_probe.CONNECTED_STATES | {"dns_error"} == set(smtp_probe.STATES)


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


def test_quit_waits_at_most_one_second(server):
    """A server that never answers QUIT costs QUIT_WAIT (1 s), not the whole timeout."""
    assert smtp_probe.QUIT_WAIT == 1.0
    srv = server("reject", silent_quit=True)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=8)
    took = time.monotonic() - start
    assert only(report)["state"] == "rejected"
    assert 0.9 <= took < 6, took  # loose upper bound: the machine may be loaded; 8 s would be the bug


@pytest.mark.parametrize("size, state", [(8192, "no_banner"), (8193, "intercepted")])
def test_reply_line_limit(server, size, state):
    """A line of more than MAX_LINE_BYTES (8192) without a line end is refused at once, not waited for."""
    srv = server("plain", raw_greeting=b"2" * size)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=4)
    res = only(report)
    assert res["state"] == state, res
    if state == "intercepted":
        assert "reply line longer than 8192 bytes" in res["error"]
        assert res["banner"] == "2" * 200
        assert time.monotonic() - start < 3.5
    else:
        assert res["error"].startswith("no greeting within 4s")


@pytest.mark.parametrize(
    "sent, close, error",
    [
        (b"220 half a gree", True, "connection closed by server before the greeting (received '220 half a gree')"),
        (b"220 half a gree", False, "no greeting within 1s (received '220 half a gree')"),
        (
            b"220 " + b"x" * 300,
            True,
            "connection closed by server before the greeting (received %r)" % ("220 " + "x" * 196),
        ),
        (b"", True, "connection closed by server before the greeting"),
    ],
    ids=["closed", "silent", "quoted-200", "nothing"],
)
def test_partial_greeting_is_quoted(server, sent, close, error):
    srv = server("plain", raw_greeting=sent, close_after_greeting=close)
    dummy, report = run([LOCAL], [srv.port], timeout=1)
    res = only(report)
    assert res["state"] == "no_banner"
    assert res["error"] == error


def test_plaintext_head_on_implicit_port_is_kept_up_to_1024_bytes(server):
    srv = server("plain", banner="220 " + "x" * 1100)
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port])
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["banner"] == ("220 " + "x" * 1100)[:1024]


@pytest.mark.parametrize(
    "code, name, text",
    [
        (errno.ENETUNREACH, "ENETUNREACH", "no route to the network, or ICMP network unreachable/prohibited"),
        (errno.EHOSTUNREACH, "EHOSTUNREACH", "ICMP host unreachable or administratively prohibited"),
        (errno.EHOSTDOWN, "EHOSTDOWN", "host is down"),
        (errno.ENETDOWN, "ENETDOWN", "network interface is down"),
        (errno.EADDRNOTAVAIL, "EADDRNOTAVAIL", "no usable source address for this destination"),
        (errno.EAFNOSUPPORT, "EAFNOSUPPORT", "address family not supported on this system"),
        (errno.EACCES, "EACCES", "blocked by a local firewall or policy"),
        (errno.EPERM, "EPERM", "blocked by a local firewall rule"),
        (errno.ENONET, "ENONET", "machine is not on the network"),
    ],
)
def test_unreachable_hints(code, name, text):
    assert smtp_probe._classify_connect_error(OSError(code, "Kernel says")) == (
        "unreachable",
        "Kernel says (%s: %s)" % (name, text),
    )


@pytest.mark.parametrize(
    "exc, result",
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), ("refused", "Connection refused")),
        (
            OSError(errno.ECONNRESET, "Connection reset by peer"),
            ("refused", "Connection reset by peer (reset during connect)"),
        ),
        (
            OSError(errno.ETIMEDOUT, "Connection timed out"),
            ("filtered", "Connection timed out (the kernel gave up retrying SYN)"),
        ),
        (OSError(errno.EIO, "Input/output error"), ("unreachable", "Input/output error (EIO)")),
    ],
    ids=["refused", "reset", "timedout", "other"],
)
def test_connect_error_classes(exc, result):
    assert smtp_probe._classify_connect_error(exc) == result


# ---------------------------------------------------------------------------
# After TLS: a handshake that works is not yet a usable port (issue 12, item 9)


@pytest.mark.parametrize(
    "after_tls, state, error",
    [
        (
            "reply:554 5.7.0 no relay service over TLS",
            "rejected",
            "EHLO after STARTTLS refused: 554 5.7.0 no relay service over TLS",
        ),
        ("reply:421 4.3.2 service shutting down", "rejected", "EHLO after STARTTLS refused: 421 4.3.2 service"),
        ("reply:220 mail.test hello again", "intercepted", "EHLO after STARTTLS refused: 220 mail.test"),
        ("close", "tls_failed", "during EHLO after STARTTLS"),
        ("garbage", "tls_failed", "bad reply to EHLO after STARTTLS: not an SMTP reply: 'HTTP/1.1 400 Bad Request'"),
    ],
    ids=["ehlo-554", "ehlo-421", "ehlo-not-250", "close-after-handshake", "not-smtp-after-handshake"],
)
def test_starttls_port_dead_after_the_handshake_is_never_recommended(server, pki, after_tls, state, error):
    dead = server("starttls", after_tls=after_tls)
    good = server("starttls")
    dummy, report = run([LOCAL], [dead.port, good.port], ca_file=pki["ca_file"], prefer=[dead.port, good.port])
    res = report["results"][0]
    assert res["port"] == dead.port
    assert res["state"] == state, res
    assert res["tls_version"] is not None and res["tls_verified"] is True  # the handshake itself worked
    assert error in res["error"]
    assert report["open_ports"] == [good.port]
    assert report["recommended_port"] == good.port
    assert report["recommended_by_host"] == {LOCAL: good.port}
    assert res["auth_mechanisms"] == []  # none read over TLS
    assert_polite(dead)


def test_silence_after_the_handshake_is_tls_failed(server, pki):
    srv = server("starttls", after_tls="silent")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["ca_file"], prefer=[srv.port], timeout=1)
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["tls_version"] is not None
    assert res["error"] == "no reply to EHLO after STARTTLS within the 1s deadline"
    assert report["recommended_port"] is None


def test_after_tls_failure_keeps_a_banner_mismatch_intercepted(server, pki):
    srv = server("starttls", banner="220 proxy.isp.example ESMTP", after_tls="close")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["ca_file"], expect_banner=r"^220 mail\.test ")
    res = only(report)
    assert res["state"] == "intercepted"
    assert "during EHLO after STARTTLS" in res["error"]


def test_close_at_starttls_is_open_without_tls(server):
    srv = server("starttls", starttls_reply="<close>")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open" and res["tls_version"] is None
    assert res["error"].endswith(" during STARTTLS")
    assert report["recommended_port"] is None


def test_starttls_refused_message(server):
    srv = server("starttls", starttls_reply="502 5.5.1 not now")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["error"] == "STARTTLS offered but refused: 502 5.5.1 not now"
    assert srv.commands == ["EHLO %s" % EHLO, "STARTTLS", "QUIT"]


@pytest.mark.parametrize(
    "after_tls, state, error",
    [
        ("close", "tls_failed", "before the greeting"),
        ("reply:554 5.7.0 go away", "rejected", "EHLO refused: 554 5.7.0 go away"),
        ("reply:451 4.3.0 try later", "rejected", "EHLO refused: 451 4.3.0 try later"),
    ],
    ids=["close-after-handshake", "ehlo-554", "ehlo-451"],
)
def test_implicit_tls_port_dead_after_the_handshake_is_never_recommended(server, pki, after_tls, state, error):
    srv = server("implicit", after_tls=after_tls)
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], ca_file=pki["ca_file"], prefer=[srv.port])
    res = only(report)
    assert res["state"] == state, res
    assert res["tls_version"] is not None
    assert error in res["error"]
    assert report["open_ports"] == []
    assert report["recommended_port"] is None
    assert report["recommended_wrappermode"] is False


def test_after_tls_failure_is_not_recommended_without_ca_file(server):
    """The unverified second connection must not turn a dead port into a recommended one."""
    srv = server("starttls", after_tls="reply:554 5.7.0 no")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "rejected"
    assert res["tls_verified"] is False
    assert report["recommended_port"] is None


@pytest.mark.parametrize(
    "reply, state",
    [
        ("554 5.7.1 you are not welcome", "rejected"),
        ("421 4.7.0 too many connections", "rejected"),
        ("400 lowest 4xx", "rejected"),
        ("599 highest 5xx", "rejected"),
        ("600 not a reply class", "intercepted"),
        ("250 but this is not a multi-line EHLO reply", "open"),
        ("354 go ahead", "intercepted"),
        ("399 below 4xx", "intercepted"),
    ],
    ids=["554", "421", "400", "599", "600", "250", "354", "399"],
)
def test_ehlo_reply_before_tls(server, reply, state):
    srv = server("plain", ehlo_reply=reply)
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == state, res
    if state != "open":
        assert res["error"] == "EHLO refused: %s" % reply
    assert report["recommended_port"] is None
    assert srv.commands == ["EHLO %s" % EHLO, "QUIT"]


@pytest.mark.parametrize(
    "code, state",
    [
        (220, "open"),
        (221, "intercepted"),
        (399, "intercepted"),
        (400, "rejected"),
        (421, "rejected"),
        (554, "rejected"),
        (599, "rejected"),
        (600, "intercepted"),
    ],
)
def test_greeting_code_boundaries(server, code, state):
    """421 (service not available) is a refusal, not an interception (issue 21's surviving mutant)."""
    srv = server("plain", banner="%d mail.test greeting" % code)
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == state
    assert res["banner"] == "%d mail.test greeting" % code
    if state == "rejected":
        assert res["error"] == "server refused the session: %d mail.test greeting" % code
        assert srv.commands == ["QUIT"]
    elif state == "intercepted":
        assert res["error"] == "unexpected greeting code %d (SMTP servers greet with 220)" % code
        assert srv.commands == ["QUIT"]


def test_ehlo_refused_after_a_banner_mismatch_stays_intercepted(server):
    srv = server("plain", banner="220 proxy.isp.example ESMTP", ehlo_reply="554 5.7.1 no")
    dummy, report = run([LOCAL], [srv.port], expect_banner=r"^220 mail\.test ")
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["error"] == ("banner does not match expect_banner '^220 mail\\\\.test '; EHLO refused: 554 5.7.1 no")


def test_close_during_ehlo_before_tls_is_open_without_tls(server):
    """Before TLS nothing was promised: the port answered SMTP, but it is not usable (no TLS)."""
    srv = server("starttls", ehlo_reply="<close>")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["tls_version"] is None
    assert "during EHLO" in res["error"] and "STARTTLS" not in res["error"]
    assert report["recommended_port"] is None


# ---------------------------------------------------------------------------
# States


def test_open_starttls_verified_against_ca_file(server, pki):
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["ca_file"], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["host"] == LOCAL and res["address"] == LOCAL and res["port"] == srv.port
    assert res["banner"] == "220 mail.test ESMTP egress-test"
    assert res["starttls"] is True
    assert res["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert res["tls_cipher"]
    assert res["tls_verified"] is True
    assert res["auth_mechanisms"] == ["PLAIN", "LOGIN"]
    assert res["error"] is None
    assert res["latency_ms"] is not None and 0 <= res["latency_ms"] < 2000
    assert srv.commands == ["EHLO %s" % EHLO, "STARTTLS", "EHLO %s" % EHLO, "QUIT"]
    assert report["open_ports"] == [srv.port]
    assert report["recommended_port"] == srv.port
    assert report["recommended_wrappermode"] is False
    assert report["port25_blocked"] is None  # 25 not probed


def test_unverified_certificate_without_ca_file_does_not_fail(server):
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["tls_version"] is not None
    assert res["tls_verified"] is False
    assert "not verified against the system CA store" in res["error"]
    assert res["auth_mechanisms"] == ["PLAIN", "LOGIN"]
    assert report["recommended_port"] == srv.port
    assert_polite(srv)


def test_certificate_not_matching_ca_file_is_tls_failed(server, pki):
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["other_ca_file"], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["tls_verified"] is False
    assert "certificate verification against ca_file failed" in res["error"]
    assert report["recommended_port"] is None


def test_starttls_disabled_reports_offer_without_tls(server):
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], starttls=False, prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["starttls"] is True
    assert res["tls_version"] is None and res["tls_verified"] is None
    assert srv.commands == ["EHLO %s" % EHLO, "QUIT"]
    assert report["recommended_port"] is None


def test_plain_server_without_starttls(server):
    srv = server("plain")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["starttls"] is False
    assert res["tls_version"] is None
    assert res["auth_mechanisms"] == ["PLAIN", "LOGIN"]
    assert report["open_ports"] == [srv.port]
    assert report["recommended_port"] is None  # open, but not with TLS


def test_closes_at_once_is_no_banner(server):
    srv = server("close")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == "no_banner"
    assert "closed" in res["error"] or "reset" in res["error"]
    assert res["banner"] is None


def test_silent_server_is_no_banner_after_timeout(server):
    srv = server("silent")
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=0.5)
    took = time.monotonic() - start
    res = only(report)
    assert res["state"] == "no_banner"
    assert res["error"] == "no greeting within 0.5s"
    assert 0.45 <= took < 1.5


def test_554_greeting_is_rejected_and_quit_sent(server):
    srv = server("reject")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == "rejected"
    assert res["banner"].startswith("554 ")
    assert "server refused the session" in res["error"]
    assert srv.commands == ["QUIT"]
    assert report["open_ports"] == []
    assert report["blocked_ports"] == []


def test_implicit_tls(server, pki):
    srv = server("implicit")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], ca_file=pki["ca_file"], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "open"
    assert res["banner"] == "220 mail.test ESMTP egress-test"
    assert res["starttls"] is None
    assert res["tls_version"] is not None and res["tls_verified"] is True
    assert res["auth_mechanisms"] == ["PLAIN", "LOGIN"]
    assert srv.commands == ["EHLO %s" % EHLO, "QUIT"]
    assert report["recommended_port"] == srv.port
    assert report["recommended_wrappermode"] is True


def test_implicit_tls_port_answering_plaintext_smtp_is_intercepted(server):
    srv = server("plain")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["banner"] == "220 mail.test ESMTP egress-test"
    assert "plaintext SMTP greeting on an implicit-TLS port" in res["error"]
    assert report["recommended_port"] is None


def test_expect_banner_mismatch_is_intercepted(server):
    srv = server("starttls", banner="220 proxy.isp.example ESMTP transparent proxy")
    dummy, report = run([LOCAL], [srv.port], expect_banner=r"^220 mail\.test ", prefer=[srv.port])
    res = only(report)
    assert res["state"] == "intercepted"
    assert "does not match expect_banner" in res["error"]
    assert res["banner"].startswith("220 proxy.isp.example")
    # the exchange still went on, for information
    assert res["starttls"] is True and res["tls_version"] is not None
    assert report["open_ports"] == [] and report["recommended_port"] is None


def test_expect_banner_match_is_open(server):
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], expect_banner=r"^220 mail\.test ")
    assert only(report)["state"] == "open"


def test_non_smtp_greeting_is_intercepted(server):
    srv = server("garbage")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["banner"].startswith("SSH-2.0-")
    assert res["error"] == (
        "greeting is not SMTP (not an SMTP reply: 'SSH-2.0-OpenSSH_9.2p1 Debian-2'): "
        "something else answers on this port"
    )


def test_closed_port_is_refused():
    port = smtp_servers.closed_port()
    dummy, report = run([LOCAL], [port])
    res = only(report)
    assert res["state"] == "refused"
    assert res["error"] == "Connection refused"
    assert report["blocked_ports"] == [port]


def test_broken_starttls_handshake_is_tls_failed(server):
    srv = server("broken_tls")
    dummy, report = run([LOCAL], [srv.port], prefer=[srv.port])
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["starttls"] is True
    assert res["error"].startswith("TLS handshake failed")
    assert report["recommended_port"] is None


def test_starttls_refused_with_454_is_tls_failed(server):
    srv = server("starttls_454")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == "tls_failed"
    assert "454" in res["error"]
    assert srv.commands == ["EHLO %s" % EHLO, "STARTTLS", "QUIT"]


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


def test_multi_line_ehlo_and_auth_parsing():
    keywords, mechs = smtp_probe._parse_ehlo(
        ["250-mail.test", "250-PIPELINING", "250-AUTH PLAIN LOGIN", "250-AUTH=LOGIN CRAM-MD5", "250 STARTTLS"]
    )
    assert keywords == {"PIPELINING", "AUTH", "STARTTLS"}
    assert mechs == ["PLAIN", "LOGIN", "CRAM-MD5"]


# ---------------------------------------------------------------------------
# Deadlines and concurrency


def test_deadline_covers_the_whole_exchange(server, pki):
    # Every reply comes 0.3 s late: greeting 0.3, EHLO 0.6, STARTTLS 0.9, EHLO over TLS 1.2 > timeout.
    srv = server("slow", delay=0.3)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=1.0, ca_file=pki["ca_file"])
    took = time.monotonic() - start
    res = only(report)
    assert took < 1.0 + 0.4, took
    # TLS came up but the session never carried SMTP within the deadline: not usable.
    assert res["state"] == "tls_failed"
    assert res["tls_verified"] is True
    assert res["error"] == "no reply to EHLO after STARTTLS within the 1s deadline"
    assert report["recommended_port"] is None and report["open_ports"] == []


def test_unverified_retry_shares_the_deadline(server):
    # First connection: handshake at ~0.9 s fails verification; the unverified second
    # connection cannot get its greeting before the 1 s deadline: report what the first saw.
    srv = server("slow", delay=0.3)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=1.0)
    took = time.monotonic() - start
    res = only(report)
    assert took < 1.0 + 0.4, took
    assert res["state"] == "open"
    assert res["starttls"] is True and res["tls_version"] is None and res["tls_verified"] is False
    assert "not verified against the system CA store" in res["error"]
    assert "second, unverified connection" in res["error"]


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
