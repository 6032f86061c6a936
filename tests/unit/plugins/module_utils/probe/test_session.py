# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/session.py: one connection's conversation and the state it ends in.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import errno
import os
import socket
import ssl
import struct
import threading
import time


import pytest

from ansible_collections.egress.mail.plugins.module_utils.probe import session
from ansible_collections.egress.mail.plugins.module_utils.probe.options import ProbeOptions
from ansible_collections.egress.mail.plugins.module_utils import smtp_probe
from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers
from ansible_collections.egress.mail.tests.unit.helpers.smtp_probe_run import (
    EHLO,
    LOCAL,
    assert_polite,
    only,
    run,
)


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
        (b"220 " + b"x" * 300, False, "no greeting within 1s (received %r)" % ("220 " + "x" * 196)),
        (b"", True, "connection closed by server before the greeting"),
    ],
    ids=["closed", "silent", "quoted-200", "quoted-200-silent", "nothing"],
)
def test_partial_greeting_is_quoted(server, sent, close, error):
    srv = server("plain", raw_greeting=sent, close_after_greeting=close)
    dummy, report = run([LOCAL], [srv.port], timeout=1)
    res = only(report)
    assert res["state"] == "no_banner"
    assert res["error"] == error


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


def test_multi_line_ehlo_and_auth_parsing():
    keywords, mechs = smtp_probe._parse_ehlo(
        ["250-mail.test", "250-PIPELINING", "250-AUTH PLAIN LOGIN", "250-AUTH=LOGIN CRAM-MD5", "250 STARTTLS"]
    )
    assert keywords == {"PIPELINING", "AUTH", "STARTTLS"}
    assert mechs == ["PLAIN", "LOGIN", "CRAM-MD5"]


def test_unverified_retry_shares_the_deadline(server):
    # First connection: handshake at ~0.9 s fails verification; the unverified second
    # connection cannot get its greeting before the 1 s deadline: report what the first saw.
    srv = server("slow", delay=0.3)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=1.0)
    took = time.monotonic() - start
    res = only(report)
    # A second connection with a deadline of its own would end at about 0.9 + 1.0 s; the
    # margin is for a loaded machine.
    assert took < 1.0 + 0.6, took
    assert res["state"] == "open"
    assert res["starttls"] is True and res["tls_version"] is None and res["tls_verified"] is False
    assert "not verified against the system CA store" in res["error"]
    assert "second, unverified connection" in res["error"]


# ---------------------------------------------------------------------------
# mutation testing (issue 21)


def test_a_new_result_has_every_key_and_nothing_set():
    unset = "state banner latency_ms starttls tls_version tls_cipher tls_verified error".split()
    expected = dict(host="mx.example.net", port=587, address="192.0.2.1", auth_mechanisms=[], **dict.fromkeys(unset))
    assert smtp_probe._new_result("mx.example.net", 587, "192.0.2.1") == expected


@pytest.mark.parametrize(
    "exc",
    [ConnectionRefusedError("Connection refused"), ConnectionRefusedError()],
    ids=["without-errno", "without-text"],
)
def test_a_connection_refused_error_is_refused_whatever_its_errno_and_text(exc):
    assert smtp_probe._classify_connect_error(exc) == ("refused", "Connection refused")


@pytest.mark.parametrize(
    "reset, error",
    [
        (False, "TLS handshake failed: connection closed by server during the handshake"),
        (True, "TLS handshake failed: connection lost (Connection reset by peer)"),
    ],
    ids=["closed", "reset"],
)
def test_an_implicit_tls_port_that_ends_after_the_client_hello_is_a_failed_handshake(reset, error):
    """The peer reads the ClientHello, then closes (FIN) or resets the connection; closing before
    reading it would be a reset in both cases. The reader's reason is in the message."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOCAL, 0))
    listener.listen(1)

    def read_hello_and_end():
        conn, dummy = listener.accept()
        conn.settimeout(3)
        try:
            conn.recv(65536)
        except OSError:
            pass
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=read_hello_and_end)
    thread.start()
    port = listener.getsockname()[1]
    try:
        dummy, report = run([LOCAL], [port], implicit_tls_ports=[port])
    finally:
        thread.join(5)
        listener.close()
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["error"] == error
    assert res["banner"] is None and res["tls_verified"] is None


def test_a_failed_verification_gives_openssl_s_verify_message(server, pki):
    """The reason is OpenSSL's verify message, not the exception's whole text."""
    srv = server("starttls")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["other_ca_file"])
    assert (
        only(report)["error"]
        == "certificate verification against ca_file failed: unable to get local issuer certificate"
    )
    dummy, report = run([LOCAL], [srv.port])
    assert (
        only(report)["error"]
        == "certificate not verified against the system CA store: unable to get local issuer certificate"
    )


def test_plaintext_smtp_on_an_implicit_tls_port_says_what_it_may_be(server):
    srv = server("plain")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port])
    assert only(report)["error"] == (
        "plaintext SMTP greeting on an implicit-TLS port: the server (or a middlebox in the path) "
        "does not speak TLS here; it may expect STARTTLS on this port"
    )


def test_plaintext_after_the_starttls_reply_is_discarded_and_counted(server):
    """Bytes after the 220 to STARTTLS are not TLS (the command injection pattern): dropped, and said so."""
    srv = server("starttls", starttls_reply="220 2.0.0 Ready\r\n250 injected")
    dummy, report = run([LOCAL], [srv.port], timeout=1)
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["error"].endswith(
        " (the server sent 14 bytes of plaintext after its reply to STARTTLS, which were discarded)"
    ), res["error"]


# --- mutation testing (issue 21): a socket that cannot be made, no time left ---------------------


def _options():
    return ProbeOptions(["relay.example"], ports=[2525], implicit_tls_ports=[], timeout=2)


def test_a_socket_of_an_unsupported_family_is_unreachable_with_the_reason():
    """As on a host booted with IPv6 off, where a socket of that family cannot be made."""
    options = _options()
    result = session.probe_address("relay.example", 2525, 255, ("192.0.2.1", 0), options)
    assert (result["address"], result["state"]) == ("192.0.2.1", "unreachable")
    assert result["error"] == "%s (EAFNOSUPPORT: address family not supported on this system)" % os.strerror(
        errno.EAFNOSUPPORT
    )


def test_no_time_left_before_the_connect_is_filtered_and_says_so():
    options = _options()
    result = session._attempt(
        "relay.example", 2525, socket.AF_INET, ("192.0.2.1", 0), options, None, False, time.monotonic() - 1
    )
    assert (result["state"], result["error"]) == ("filtered", "no time left within the 2s deadline")


# --- mutation testing (issue 21): the TLS handshake and what the result keeps of it ------------


def test_an_ehlo_line_without_a_keyword_is_skipped_not_the_end():
    assert smtp_probe._parse_ehlo(["250-mail.test", "250-", "250 AUTH PLAIN"]) == ({"AUTH"}, ["PLAIN"])


def test_a_socket_error_in_the_handshake_gives_its_reason():
    """Neither a close nor a time-out: the channel's socket was closed under it (EBADF)."""
    mine, peer = socket.socketpair()
    chan = session._Channel(mine, time.monotonic() + 5, 5)
    mine.close()
    try:
        with pytest.raises(session._TLSFailure) as failure:
            session._handshake(
                chan, smtp_probe._new_result(LOCAL, 25, LOCAL), ssl.create_default_context(), "mail.test", False, False
            )
    finally:
        peer.close()
    assert str(failure.value) == "TLS handshake failed: %s" % os.strerror(errno.EBADF)
    assert (failure.value.state, failure.value.verified, failure.value.banner) == ("tls_failed", None, None)


def test_the_cipher_is_its_name(server, pki):
    srv = server("implicit")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], ca_file=pki["ca_file"])
    res = only(report)
    assert res["tls_cipher"] in {cipher["name"] for cipher in ssl.create_default_context().get_ciphers()}


@pytest.mark.parametrize(
    "greeting, banner",
    [
        (b"220-mail.test first\r\n220 mail.test second", "220-mail.test first\n220 mail.test second"),
        (b"220-mail.test first\r\nnot smtp\r\n220 mail.test", "220-mail.test first"),
        (b"220 mail.test first\r\n220 mail.test second", "220 mail.test first"),
        (b"220 caf\xe9 ESMTP", "220 caf\ufffd ESMTP"),
    ],
    ids=["multi-line", "up-to-a-line-not-smtp", "up-to-the-last-line", "not-utf8"],
)
def test_a_plaintext_greeting_on_an_implicit_tls_port_is_kept_as_its_first_reply(server, greeting, banner):
    srv = server("plain", raw_greeting=greeting + b"\r\n")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port])
    res = only(report)
    assert (res["state"], res["banner"]) == ("intercepted", banner)


def test_a_multi_line_greeting_is_the_banner_line_by_line(server):
    srv = server("plain", banner="220-mail.test first\r\n220 mail.test second")
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert (res["state"], res["banner"]) == ("open", "220-mail.test first\n220 mail.test second")


def test_a_certificate_is_checked_against_the_name_of_the_probed_host(server, pki):
    """The address is 127.0.0.1, but the name probed is mail.test, which the certificate does not name."""
    srv = server("starttls")
    options = ProbeOptions(
        ["mail.test"], ports=[srv.port], implicit_tls_ports=[], timeout=2, ca_file=pki["ca_file"], ehlo_name=EHLO
    )
    result = session.probe_address("mail.test", srv.port, socket.AF_INET, (LOCAL, 0), options)
    assert (result["state"], result["tls_verified"]) == ("tls_failed", False)
    assert (
        result["error"]
        == "certificate verification against ca_file failed: Hostname mismatch, certificate is not valid for 'mail.test'."
    )
    result = session.probe_address("localhost", srv.port, socket.AF_INET, (LOCAL, 0), options)
    assert (result["state"], result["tls_verified"], result["error"]) == ("open", True, None)


def test_a_failed_verification_on_an_implicit_tls_port_is_not_verified(server, pki):
    srv = server("implicit")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], ca_file=pki["other_ca_file"])
    res = only(report)
    assert (res["state"], res["tls_verified"], res["banner"]) == ("tls_failed", False, None)
    assert res["error"] == "certificate verification against ca_file failed: unable to get local issuer certificate"


class _FrozenClock(object):
    """session's clock only (the channel keeps the real one for its deadline)."""

    def __init__(self, now):
        self.now = now

    def monotonic(self):
        return self.now


def test_the_latency_is_in_milliseconds_to_a_tenth(server, monkeypatch):
    srv = server("plain")
    now = time.monotonic()
    options = ProbeOptions([LOCAL], ports=[srv.port], implicit_tls_ports=[], timeout=2, ehlo_name=EHLO)
    sock = socket.create_connection((LOCAL, srv.port), timeout=2)
    chan = session._Channel(sock, now + 2, 2)
    result = smtp_probe._new_result(LOCAL, srv.port, LOCAL)
    monkeypatch.setattr(session, "time", _FrozenClock(now))
    try:
        session._converse(chan, result, options, None, False, False, now - 0.01234)
    finally:
        chan.close()
    assert (result["state"], result["latency_ms"]) == ("open", 12.3)


def _serve_in_turn(handlers):
    """A listener on 127.0.0.1 that hands its n-th connection to handlers[n], then stops listening
    (before the last handler runs: a connection after it is refused). Returns (port, thread)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOCAL, 0))
    listener.listen(len(handlers))

    def serve():
        try:
            for number, handler in enumerate(handlers):
                conn, dummy = listener.accept()
                if number == len(handlers) - 1:
                    listener.close()
                conn.settimeout(5)
                try:
                    handler(conn)
                except OSError:
                    pass
                finally:
                    conn.close()
        finally:
            listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def _tls_handshake(tls_context):
    def handler(conn):
        tls_context.wrap_socket(conn, server_side=True).close()

    return handler


def _greet_in_clear(conn):
    conn.sendall(b"220 mail.test plaintext\r\n")
    while conn.recv(4096):
        pass


NOT_VERIFIED = "certificate not verified against the system CA store: unable to get local issuer certificate"


def test_an_implicit_tls_port_whose_second_connection_is_refused_is_tls_failed(tls_context):
    """The handshake of the first connection fails verification (no ca_file); the second, unverified
    one is refused: the first connection's result, which has no state yet on an implicit-TLS port."""
    port, thread = _serve_in_turn([_tls_handshake(tls_context)])
    try:
        dummy, report = run([LOCAL], [port], implicit_tls_ports=[port])
    finally:
        thread.join(5)
    res = only(report)
    assert (res["state"], res["tls_verified"], res["banner"]) == ("tls_failed", False, None)
    assert res["error"] == NOT_VERIFIED + (
        "; the second, unverified connection to read the TLS details failed: refused (Connection refused)"
    )


def test_an_implicit_tls_port_whose_second_connection_is_plaintext_is_not_verified(tls_context):
    """The second connection's own result (intercepted, not blocking), with the first one's verdict on the certificate."""
    port, thread = _serve_in_turn([_tls_handshake(tls_context), _greet_in_clear])
    try:
        dummy, report = run([LOCAL], [port], implicit_tls_ports=[port])
    finally:
        thread.join(5)
    res = only(report)
    assert (res["state"], res["tls_verified"], res["banner"]) == ("intercepted", False, "220 mail.test plaintext")
    assert res["error"] == (
        "plaintext SMTP greeting on an implicit-TLS port: the server (or a middlebox in the path) "
        "does not speak TLS here; it may expect STARTTLS on this port; " + NOT_VERIFIED
    )


def _read_line(conn):
    line = b""
    while not line.endswith(b"\n"):
        data = conn.recv(1)
        if not data:
            break
        line += data
    return line


def _auth_in_clear_then_ehlo_refused_over_tls(tls_context):
    """Offers AUTH before TLS (as some servers do), then refuses the EHLO over TLS."""

    def handler(conn):
        conn.sendall(b"220 mail.test ESMTP\r\n")
        _read_line(conn)
        conn.sendall(b"250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n")
        _read_line(conn)
        conn.sendall(b"220 2.0.0 Ready\r\n")
        tls = tls_context.wrap_socket(conn, server_side=True)
        _read_line(tls)
        tls.sendall(b"554 5.7.0 no\r\n")
        _read_line(tls)
        tls.sendall(b"221 2.0.0 Bye\r\n")
        tls.close()

    return handler


def test_auth_offered_in_clear_does_not_count_when_the_ehlo_over_tls_is_refused(tls_context, pki):
    port, thread = _serve_in_turn([_auth_in_clear_then_ehlo_refused_over_tls(tls_context)])
    try:
        dummy, report = run([LOCAL], [port], ca_file=pki["ca_file"])
    finally:
        thread.join(5)
    res = only(report)
    assert (res["state"], res["tls_verified"], res["auth_mechanisms"]) == ("rejected", True, [])
    assert res["error"] == "EHLO after STARTTLS refused: 554 5.7.0 no"


def test_a_reply_that_is_not_smtp_after_the_handshake_is_said_whole(server, pki):
    srv = server("starttls", after_tls="garbage")
    dummy, report = run([LOCAL], [srv.port], ca_file=pki["ca_file"])
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["error"] == "bad reply to EHLO after STARTTLS: not an SMTP reply: 'HTTP/1.1 400 Bad Request'"


@pytest.mark.parametrize(
    "behaviour, implicit, state",
    [("implicit", True, "no_banner"), ("starttls", False, "open")],
    ids=["before-any-state", "after-the-greeting"],
)
def test_a_bug_in_the_conversation_is_an_unexpected_error_that_keeps_the_state(server, behaviour, implicit, state):
    """A bug (here: no TLS context) is reported in the result; a state already set stays."""
    srv = server(behaviour)
    options = ProbeOptions([LOCAL], ports=[srv.port], implicit_tls_ports=[srv.port] if implicit else [], timeout=2)
    result = session._attempt(LOCAL, srv.port, socket.AF_INET, (LOCAL, 0), options, None, False, time.monotonic() + 2)
    assert result["state"] == state
    assert result["error"] == "unexpected error: AttributeError(\"'NoneType' object has no attribute 'wrap_bio'\")"


def test_the_scope_id_of_an_ipv6_address_is_passed_as_the_scope_id(server):
    """1 << 20 is a valid scope id (ignored for ::1) but too large for the flow info before it."""
    try:
        srv = server("plain", host="::1")
    except OSError as exc:
        pytest.skip("IPv6 loopback not available: %s" % exc)
    options = ProbeOptions(["::1"], ports=[srv.port], implicit_tls_ports=[], timeout=2)
    result = session.probe_address("::1", srv.port, socket.AF_INET6, ("::1", 0, 0, 1 << 20), options)
    assert (result["address"], result["state"], result["error"]) == ("::1", "open", None)
