# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One connection's transport: a socket with one deadline, a line reader that bounds what a
server may send, SMTP replies, and TLS over memory BIOs (so the deadline also covers the
handshake). The exceptions say how a read ended.

Part of the smtp_probe logic; module_utils/smtp_probe is its public face.
"""

import re
import socket
import ssl
import time


# How long to wait for the 221 reply to QUIT (within the per-connection deadline).
QUIT_WAIT = 1.0
# Protection against servers that send endless data.
MAX_LINE_BYTES = 8192
MAX_REPLY_LINES = 200
RAW_HEAD_BYTES = 1024
_REPLY_RE = re.compile(r"^(\d{3})(?:([ -])(.*))?$")
_SMTP_LIKE_RE = re.compile(rb"^\d{3}[ -]")


class _Timeout(Exception):
    """The per-connection deadline passed."""


class _Closed(Exception):
    """The peer closed the connection (or reset it)."""


class _ProtocolError(Exception):
    """The peer sent something that is not an SMTP reply."""

    def __init__(self, message, line=None):
        super(_ProtocolError, self).__init__(message)
        self.line = line


class _TLSFailure(Exception):
    """The TLS handshake failed; ``state`` is the probe state to report."""

    def __init__(self, message, state="tls_failed", verified=None, banner=None):
        super(_TLSFailure, self).__init__(message)
        self.state = state
        self.verified = verified
        self.banner = banner


class _VerifyFailed(Exception):
    """Certificate verification against the system CA store failed (no ca_file given).

    ``partial`` is the result of the attempt so far (set by :func:`_attempt`).
    """

    partial = None


class _Channel(object):
    """A socket with one deadline, a line reader and optional TLS over memory BIOs.

    TLS runs over ``ssl.MemoryBIO`` so that every byte read from the network goes
    through :meth:`_raw_recv` (which enforces the deadline) and so that the first
    bytes the server sent are known when a handshake fails (plaintext SMTP on an
    implicit-TLS port).
    """

    def __init__(self, sock, deadline, span):
        self.sock = sock
        self.deadline = deadline
        self.span = span
        self.tls = None
        self.raw_head = b""
        self.discarded = 0
        self._buf = b""
        self._in = None
        self._out = None
        self._eof = False

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Timeout()
        return left

    def _raw_recv(self):
        self.sock.settimeout(self.remaining())
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise _Timeout()
        except OSError as exc:
            raise _Closed("connection lost (%s)" % (exc.strerror or exc))
        if len(self.raw_head) < RAW_HEAD_BYTES:
            self.raw_head += data[: RAW_HEAD_BYTES - len(self.raw_head)]
        return data

    def _raw_send(self, data):
        self.sock.settimeout(self.remaining())
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise _Timeout()
        except OSError as exc:
            raise _Closed("connection lost (%s)" % (exc.strerror or exc))

    def _flush_tls(self):
        data = self._out.read()
        if data:
            self._raw_send(data)

    def _tls_call(self, func, *args):
        while True:
            try:
                result = func(*args)
            except ssl.SSLWantReadError:
                self._flush_tls()
                if self._eof:
                    raise _Closed("connection closed by server during TLS")
                data = self._raw_recv()
                if data:
                    self._in.write(data)
                else:
                    self._eof = True
                    self._in.write_eof()
                continue
            self._flush_tls()
            return result

    def start_tls(self, context, server_hostname):
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._in, self._out, server_side=False, server_hostname=server_hostname)
        # Plaintext the server sent after its reply must not be taken as TLS data
        # (or later as a reply: that is the STARTTLS command injection pattern).
        self.discarded = len(self._buf)
        self._buf = b""
        self._tls_call(self.tls.do_handshake)

    def _recv_more(self):
        if self.tls is None:
            data = self._raw_recv()
            closed = "connection closed by server"
        else:
            # An SSLObject reads the server's close_notify as the end of the data (b""), a close
            # without it as an EOF error: the TLS session ended either way.
            closed = "TLS session closed by server"
            try:
                data = self._tls_call(self.tls.read, 65536)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                raise _Closed(closed)
            except ssl.SSLError as exc:
                raise _Closed("TLS session broken (%s)" % _ssl_reason(exc))
        if not data:
            raise _Closed(closed)
        return data

    def readline(self):
        while b"\n" not in self._buf:
            if len(self._buf) > MAX_LINE_BYTES:
                raise _ProtocolError(
                    "reply line longer than %d bytes" % MAX_LINE_BYTES, self._buf[:200].decode("utf-8", "replace")
                )
            try:
                self._buf += self._recv_more()
            except (_Timeout, _Closed) as exc:
                exc.partial = self._buf.decode("utf-8", "replace")
                raise
        line, _sep, self._buf = self._buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def read_reply(self):
        """Read one (possibly multi-line) reply; return (code, [lines])."""
        lines = []
        while True:
            line = self.readline()
            match = _REPLY_RE.match(line)
            if not match:
                raise _ProtocolError("not an SMTP reply: %r" % line[:200], line)
            lines.append(line)
            if match.group(2) != "-":
                return int(match.group(1)), lines
            if len(lines) >= MAX_REPLY_LINES:
                raise _ProtocolError("reply with more than %d lines" % MAX_REPLY_LINES, lines[0])

    def send_line(self, text):
        data = (text + "\r\n").encode("ascii")
        if self.tls is None:
            self._raw_send(data)
        else:
            self._tls_call(self.tls.write, data)

    def command(self, text):
        self.send_line(text)
        return self.read_reply()

    def close(self):
        try:
            if self.tls is not None and self.deadline > time.monotonic():
                try:
                    self.tls.unwrap()
                except ssl.SSLWantReadError:
                    pass
                self._flush_tls()
        except Exception:  # best effort: close_notify is a courtesy
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def _ssl_reason(exc):
    reason = getattr(exc, "reason", None)
    if reason:
        return "%s (%s)" % (reason.lower().replace("_", " "), reason)
    return str(exc)
