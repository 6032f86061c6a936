# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/channel.py: the deadline, the line and head limits, QUIT's wait.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import os
import re
import socket
import ssl
import struct
import threading
import time


import pytest

from ansible_collections.egress.mail.plugins.module_utils import smtp_probe
from ansible_collections.egress.mail.plugins.module_utils.probe import channel
from ansible_collections.egress.mail.tests.unit.helpers.smtp_probe_run import (
    EHLO,
    LOCAL,
    only,
    run,
)


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


def test_plaintext_head_on_implicit_port_is_kept_up_to_1024_bytes(server):
    srv = server("plain", banner="220 " + "x" * 1100)
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port])
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["banner"] == ("220 " + "x" * 1100)[:1024]


# ---------------------------------------------------------------------------
# Deadlines and concurrency


def test_deadline_covers_the_whole_exchange(server, pki):
    # Every reply comes 0.3 s late: greeting 0.3, EHLO 0.6, STARTTLS 0.9, EHLO over TLS 1.2 > timeout.
    srv = server("slow", delay=0.3)
    start = time.monotonic()
    dummy, report = run([LOCAL], [srv.port], timeout=1.0, ca_file=pki["ca_file"])
    took = time.monotonic() - start
    res = only(report)
    assert took < 1.0 + 0.6, took  # the overrun is bounded; the state below shows the deadline held
    # TLS came up but the session never carried SMTP within the deadline: not usable.
    assert res["state"] == "tls_failed"
    assert res["tls_verified"] is True
    assert res["error"] == "no reply to EHLO after STARTTLS within the 1s deadline"
    assert report["recommended_port"] is None and report["open_ports"] == []


# ---------------------------------------------------------------------------
# mutation testing (issue 21)


@pytest.mark.parametrize("lines, state", [(200, "open"), (201, "intercepted")])
def test_reply_line_count_limit(server, lines, state):
    """A reply of more than MAX_REPLY_LINES (200) lines is not SMTP; 200 lines still are."""
    srv = server("plain", banner="\r\n".join(["220-mail.test"] * (lines - 1) + ["220 mail.test ESMTP"]))
    dummy, report = run([LOCAL], [srv.port])
    res = only(report)
    assert res["state"] == state, res
    if state == "intercepted":
        assert (
            res["error"] == "greeting is not SMTP (reply with more than 200 lines): something else answers on this port"
        )
        assert res["banner"] == "220-mail.test"
    else:
        assert res["banner"].count("\n") == 199


def test_a_silent_implicit_tls_port_is_a_handshake_timeout(server):
    """The handshake is under the connection's deadline: its message names the timeout."""
    srv = server("silent")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port], timeout=0.5)
    res = only(report)
    assert res["state"] == "tls_failed"
    assert res["error"] == "TLS handshake did not complete within 0.5s"


def test_a_reset_before_the_greeting_is_connection_lost():
    """A peer that resets (RST, not FIN) the connection: the reader says the connection was lost and why.

    The reset comes 1 s after the accept, when the probe waits for the greeting (a reset within
    connect() is "refused": test_session.py)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOCAL, 0))
    listener.listen(1)

    def reset_one():
        conn, dummy = listener.accept()
        time.sleep(1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=reset_one)
    thread.start()
    try:
        dummy, report = run([LOCAL], [listener.getsockname()[1]], timeout=4)
    finally:
        thread.join(5)
        listener.close()
    res = only(report)
    assert res["state"] == "no_banner"
    assert res["error"] == "connection lost (Connection reset by peer) before the greeting"


def test_a_tls_failure_names_openssl_s_reason(server):
    """Not TLS on an implicit-TLS port (an SSH banner): OpenSSL's reason, readable and as it is."""
    srv = server("garbage")
    dummy, report = run([LOCAL], [srv.port], implicit_tls_ports=[srv.port])
    res = only(report)
    assert res["state"] == "tls_failed"
    match = re.fullmatch(r"TLS handshake failed: ([a-z0-9 ]+) \(([A-Z0-9_]+)\)", res["error"])
    assert match, res["error"]
    assert match.group(1) == match.group(2).lower().replace("_", " ")


def test_the_plaintext_head_is_kept_across_reads():
    """A plaintext greeting on an implicit-TLS port that comes in two reads: the head keeps both, up to 1024 bytes."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOCAL, 0))
    listener.listen(1)

    def greet_in_two_parts():
        conn, dummy = listener.accept()
        conn.sendall(b"22")
        time.sleep(0.3)
        conn.sendall(b"0 " + b"x" * 1100 + b"\r\n")
        conn.settimeout(3)
        try:
            conn.recv(65536)
            conn.recv(65536)
        except OSError:
            pass
        conn.close()

    thread = threading.Thread(target=greet_in_two_parts)
    thread.start()
    port = listener.getsockname()[1]
    try:
        dummy, report = run([LOCAL], [port], implicit_tls_ports=[port], timeout=3)
    finally:
        thread.join(5)
        listener.close()
    res = only(report)
    assert res["state"] == "intercepted"
    assert res["banner"] == ("220 " + "x" * 1100)[:1024]


def test_a_send_to_a_closed_peer_is_connection_lost():
    """_Channel on a real socket pair whose other end is closed: the write fails as "connection lost"."""
    mine, theirs = socket.socketpair()
    theirs.close()
    chan = channel._Channel(mine, time.monotonic() + 2, 2)
    try:
        with pytest.raises(channel._Closed) as excinfo:
            chan.send_line("EHLO %s" % EHLO)
    finally:
        chan.close()
    assert str(excinfo.value) == "connection lost (Broken pipe)"


# --- mutation testing (issue 21): the line reader on a socket pair ------------------------------


def _pair_channel():
    mine, theirs = socket.socketpair()
    return channel._Channel(mine, time.monotonic() + 5, 5), theirs


def test_a_line_over_two_reads_and_bytes_that_are_not_utf8():
    chan, theirs = _pair_channel()
    try:
        theirs.sendall(b"220 caf\xe9 X")
        sender = threading.Timer(0.1, theirs.sendall, (b"X\r\n250 ok\n",))
        sender.start()
        assert chan.readline() == "220 caf\ufffd XX"
        sender.join()
        assert chan.readline() == "250 ok"
    finally:
        chan.sock.close()
        theirs.close()


def test_the_line_reader_errors_are_exact():
    chan, theirs = _pair_channel()
    try:
        theirs.sendall(b"x" * 300 + b"\r\n")
        with pytest.raises(channel._ProtocolError) as raised:
            chan.read_reply()
        assert str(raised.value) == "not an SMTP reply: %r" % ("x" * 200)
        theirs.sendall(b"".join(b"250-line %d\r\n" % n for n in range(channel.MAX_REPLY_LINES)))
        with pytest.raises(channel._ProtocolError) as raised:
            chan.read_reply()
        assert (str(raised.value), raised.value.line) == ("reply with more than 200 lines", "250-line 0")
        theirs.sendall(b"\xe9" * (channel.MAX_LINE_BYTES + 1))
        with pytest.raises(channel._ProtocolError) as raised:
            chan.readline()
        assert (str(raised.value), raised.value.line) == ("reply line longer than 8192 bytes", "\ufffd" * 200)
    finally:
        chan.sock.close()
        theirs.close()


def test_what_was_read_before_the_peer_closed_is_kept_replaced_where_not_utf8():
    chan, theirs = _pair_channel()
    theirs.sendall(b"220 caf\xe9")
    theirs.close()
    try:
        with pytest.raises(channel._Closed) as raised:
            chan.readline()
        assert raised.value.partial == "220 caf\ufffd"
    finally:
        chan.sock.close()


# --- mutation testing (issue 21): TLS on a socket pair: how a session ends ----------------------


def _tls_pair(tls_context, pki, peer):
    """A _Channel with TLS up on a socket pair. The other end is the test server's TLS context on a
    thread: ``peer(tls)`` runs there after the handshake (a close without close_notify raises
    there); what it returns or raises is in ``outcome``. Returns (chan, thread, outcome)."""
    chan, theirs = _pair_channel()
    outcome = []

    def serve():
        try:
            with tls_context.wrap_socket(theirs, server_side=True, suppress_ragged_eofs=False) as tls:
                outcome.append(peer(tls))
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    chan.start_tls(ssl.create_default_context(cafile=pki["ca_file"]), "localhost")
    return chan, thread, outcome


def _closed_reading(tls_context, pki, peer):
    """The message of the _Closed a readline raises on a _tls_pair whose server runs ``peer``."""
    chan, thread, dummy = _tls_pair(tls_context, pki, peer)
    try:
        with pytest.raises(channel._Closed) as raised:
            chan.readline()
    finally:
        chan.close()
        thread.join(5)
    return str(raised.value)


@pytest.mark.parametrize(
    "peer, error",
    [(lambda tls: tls.unwrap(), "TLS session closed by server"), (lambda tls: None, "TLS session closed by server")],
    ids=["close_notify", "close-without-close_notify"],
)
def test_a_tls_session_the_server_ends_is_closed_by_server(tls_context, pki, peer, error):
    """ssl reads a close_notify as the end of the data (b""), a close without it as an EOF error: the
    session ended either way (before stop 27, a close_notify said "connection closed by server")."""
    assert _closed_reading(tls_context, pki, peer) == error


def test_a_record_that_is_not_tls_after_the_handshake_is_a_broken_session(tls_context, pki):
    """Bytes written under the TLS layer (an application-data record no key made): OpenSSL's reason."""
    message = _closed_reading(tls_context, pki, lambda tls: os.write(tls.fileno(), b"\x17\x03\x03\x00\x05hello"))
    match = re.fullmatch(r"TLS session broken \(([a-z0-9 ]+) \(([A-Z0-9_]+)\)\)", message)
    assert match, message
    assert match.group(1) == match.group(2).lower().replace("_", " ")


def test_close_ends_the_tls_session_with_close_notify(tls_context, pki):
    """The server reads a clean end of the session (b""), not an EOF without close_notify (an error here)."""
    chan, thread, outcome = _tls_pair(tls_context, pki, lambda tls: tls.recv(1))
    chan.close()
    thread.join(5)
    assert outcome == [b""]
