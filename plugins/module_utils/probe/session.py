# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One probe of one (host, port, address): connect, greeting, EHLO, STARTTLS and the handshake,
EHLO again, QUIT; the result's state (open, rejected, tls_failed, intercepted, ...) and why.
It never sends MAIL, RCPT, DATA or AUTH.

Part of the smtp_probe logic; module_utils/smtp_probe is its public face.
"""

import errno
import socket
import ssl
import time

from ansible_collections.egress.mail.plugins.module_utils.probe.channel import (
    _Channel,
    _Closed,
    _ProtocolError,
    QUIT_WAIT,
    _REPLY_RE,
    _SMTP_LIKE_RE,
    _ssl_reason,
    _Timeout,
    _TLSFailure,
    _VerifyFailed,
)
from ansible_collections.egress.mail.plugins.module_utils.probe.options import (
    BLOCKING_STATES,
    _fmt_seconds,
)


# errno values of connect() that mean "the network says no" rather than "the port says no".
_UNREACHABLE_HINTS = {
    errno.ENETUNREACH: "no route to the network, or ICMP network unreachable/prohibited",
    errno.EHOSTUNREACH: "ICMP host unreachable or administratively prohibited",
    errno.EHOSTDOWN: "host is down",
    errno.ENETDOWN: "network interface is down",
    errno.EADDRNOTAVAIL: "no usable source address for this destination",
    errno.EAFNOSUPPORT: "address family not supported on this system",
    errno.EACCES: "blocked by a local firewall or policy",
    errno.EPERM: "blocked by a local firewall rule",
}
if hasattr(errno, "ENONET"):
    _UNREACHABLE_HINTS[errno.ENONET] = "machine is not on the network"


def _new_result(host, port, address):
    return {
        "host": host,
        "port": port,
        "address": address,
        "state": None,
        "banner": None,
        "latency_ms": None,
        "starttls": None,
        "tls_version": None,
        "tls_cipher": None,
        "tls_verified": None,
        "auth_mechanisms": [],
        "error": None,
    }


def _add_error(result, message):
    if result["error"]:
        result["error"] = "%s; %s" % (result["error"], message)
    else:
        result["error"] = message


def _classify_connect_error(exc):
    """Map an OSError of connect() to (state, error text)."""
    code = exc.errno
    text = exc.strerror or str(exc)
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return "refused", text or "Connection refused"
    if code == errno.ECONNRESET:
        return "refused", "%s (reset during connect)" % text
    if code == errno.ETIMEDOUT:
        return "filtered", "%s (the kernel gave up retrying SYN)" % text
    name = errno.errorcode.get(code, str(code))
    hint = _UNREACHABLE_HINTS.get(code)
    if hint:
        return "unreachable", "%s (%s: %s)" % (text, name, hint)
    return "unreachable", "%s (%s)" % (text, name)


def _parse_ehlo(lines):
    """Return (set of upper-case keywords, list of AUTH mechanisms) from an EHLO reply."""
    keywords = set()
    mechanisms = []
    for line in lines[1:]:
        words = line[4:].split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword.startswith("AUTH="):  # obsolete form used by old Outlook-era servers
            params = [keyword[5:]] + words[1:]
            keyword = "AUTH"
        else:
            params = words[1:]
        keywords.add(keyword)
        if keyword == "AUTH":
            for mech in params:
                mech = mech.upper()
                if mech and mech not in mechanisms:
                    mechanisms.append(mech)
    return keywords, mechanisms


def _handshake(chan, result, context, host, verify_fatal, implicit):
    try:
        chan.start_tls(context, host)
    except ssl.SSLCertVerificationError as exc:
        reason = getattr(exc, "verify_message", None) or str(exc)
        if verify_fatal:
            raise _TLSFailure("certificate verification against ca_file failed: %s" % reason, verified=False)
        raise _VerifyFailed(reason)
    except (ssl.SSLError, _Closed, _Timeout, OSError) as exc:
        if implicit and _SMTP_LIKE_RE.match(chan.raw_head):
            banner = _first_reply(chan.raw_head)
            raise _TLSFailure(
                "plaintext SMTP greeting on an implicit-TLS port: the server (or a middlebox in the path) "
                "does not speak TLS here; it may expect STARTTLS on this port",
                state="intercepted",
                banner=banner,
            )
        if isinstance(exc, _Timeout):
            message = "TLS handshake did not complete within %s" % _fmt_seconds(chan.span)
        elif isinstance(exc, _Closed):
            message = "TLS handshake failed: %s" % exc
        elif isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            message = "TLS handshake failed: connection closed by server during the handshake"
        elif isinstance(exc, ssl.SSLError):
            message = "TLS handshake failed: %s" % _ssl_reason(exc)
        else:
            message = "TLS handshake failed: %s" % (exc.strerror or exc)
        if chan.discarded:
            message += (
                " (the server sent %d bytes of plaintext after its reply to STARTTLS, which were discarded)"
                % chan.discarded
            )
        raise _TLSFailure(message)
    cipher = chan.tls.cipher()
    result["tls_version"] = chan.tls.version()
    result["tls_cipher"] = cipher[0] if cipher else None
    result["tls_verified"] = context.verify_mode == ssl.CERT_REQUIRED


def _first_reply(raw):
    """Return the first (possibly multi-line) SMTP reply found at the start of raw bytes."""
    lines = []
    for line in raw.decode("utf-8", "replace").splitlines():
        match = _REPLY_RE.match(line)
        if not match:
            break
        lines.append(line)
        if match.group(2) != "-":
            break
    return "\n".join(lines)


def _quit(chan):
    """Say goodbye politely; never let this change the outcome."""
    try:
        chan.deadline = min(chan.deadline, time.monotonic() + QUIT_WAIT)
        chan.command("QUIT")
    except Exception:
        pass


def _converse(chan, result, options, context, verify_fatal, implicit, start):
    host = result["host"]
    if implicit:
        try:
            _handshake(chan, result, context, host, verify_fatal, implicit=True)
        except _TLSFailure as exc:
            result["state"] = exc.state
            result["tls_verified"] = exc.verified
            if exc.banner is not None:
                result["banner"] = exc.banner
            _add_error(result, str(exc))
            return

    try:
        code, lines = chan.read_reply()
    except _Timeout as exc:
        result["state"] = "no_banner"
        partial = getattr(exc, "partial", "")
        _add_error(
            result,
            "no greeting within %s%s"
            % (_fmt_seconds(options.timeout), (" (received %r)" % partial[:200]) if partial else ""),
        )
        return
    except _Closed as exc:
        # On an implicit-TLS port the handshake succeeded: a TLS session that carries no SMTP.
        result["state"] = "tls_failed" if implicit else "no_banner"
        partial = getattr(exc, "partial", "")
        _add_error(result, "%s before the greeting%s" % (exc, (" (received %r)" % partial[:200]) if partial else ""))
        return
    except _ProtocolError as exc:
        result["state"] = "intercepted"
        result["banner"] = exc.line
        _add_error(result, "greeting is not SMTP (%s): something else answers on this port" % exc)
        return
    result["latency_ms"] = round((time.monotonic() - start) * 1000.0, 1)
    result["banner"] = "\n".join(lines)

    if 400 <= code < 600:
        result["state"] = "rejected"
        _add_error(result, "server refused the session: %s" % lines[0])
        _quit(chan)
        return
    if code != 220:
        result["state"] = "intercepted"
        _add_error(result, "unexpected greeting code %d (SMTP servers greet with 220)" % code)
        _quit(chan)
        return
    result["state"] = "open"
    if options.expect_banner is not None and not options.expect_banner.search(result["banner"]):
        result["state"] = "intercepted"
        _add_error(result, "banner does not match expect_banner %r" % options.expect_banner.pattern)

    step = "EHLO"
    try:
        keywords = _ehlo(chan, result, options, step)
        if keywords is None:
            return
        if not implicit:
            result["starttls"] = "STARTTLS" in keywords
            if result["starttls"] and options.starttls:
                step = "STARTTLS"
                code, lines = chan.command("STARTTLS")
                if code != 220:
                    if result["state"] == "open":
                        result["state"] = "tls_failed"
                    _add_error(result, "STARTTLS offered but refused: %s" % lines[0])
                    _quit(chan)
                    return
                try:
                    _handshake(chan, result, context, host, verify_fatal, implicit=False)
                except _TLSFailure as exc:
                    if result["state"] == "open":
                        result["state"] = exc.state
                    result["tls_verified"] = exc.verified
                    _add_error(result, str(exc))
                    return
                step = "EHLO after STARTTLS"
                result["auth_mechanisms"] = []  # what the server offered in clear does not count
                if _ehlo(chan, result, options, step) is None:
                    return
        _quit(chan)
    except _Timeout:
        _after_tls_failure(chan, result)
        _add_error(result, "no reply to %s within the %s deadline" % (step, _fmt_seconds(options.timeout)))
    except _Closed as exc:
        _after_tls_failure(chan, result)
        _add_error(result, "%s during %s" % (exc, step))
    except _ProtocolError as exc:
        _after_tls_failure(chan, result)
        _add_error(result, "bad reply to %s: %s" % (step, exc))


def _ehlo(chan, result, options, step):
    """EHLO (``step`` says before or after TLS): the keywords the server offers, its AUTH
    mechanisms in the result; None when it answered something else than 250 (the session is
    not usable: it is ended)."""
    code, lines = chan.command("EHLO %s" % options.ehlo_name)
    if code != 250:
        if result["state"] == "open":
            result["state"] = "rejected" if 400 <= code < 600 else "intercepted"
        _add_error(result, "%s refused: %s" % (step, lines[0]))
        _quit(chan)
        return None
    keywords, result["auth_mechanisms"] = _parse_ehlo(lines)
    return keywords


def _after_tls_failure(chan, result):
    """The TLS handshake succeeded but the session then broke (closed, silent, not SMTP).

    Such a port must never count as open with TLS: it is ``tls_failed``. Before TLS the state
    stays (an ``open`` port without TLS is never recommended anyway).
    """
    if chan.tls is not None and result["tls_version"] is not None and result["state"] == "open":
        result["state"] = "tls_failed"


def _attempt(host, port, family, sockaddr, options, context, verify_fatal, deadline):
    result = _new_result(host, port, sockaddr[0])
    implicit = port in options.implicit_tls_ports
    start = time.monotonic()
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        result["state"], result["error"] = _classify_connect_error(exc)
        return result
    chan = None
    try:
        left = deadline - start
        if left <= 0:
            result["state"] = "filtered"
            result["error"] = "no time left within the %s deadline" % _fmt_seconds(options.timeout)
            return result
        sock.settimeout(left)
        try:
            # Small request/response exchanges: do not let Nagle wait for delayed ACKs.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        try:
            sock.connect(sockaddr[:1] + (port,) + tuple(sockaddr[2:]))
        except socket.timeout:
            result["state"] = "filtered"
            result["error"] = "no answer within %s" % _fmt_seconds(options.timeout)
            return result
        except OSError as exc:
            result["state"], result["error"] = _classify_connect_error(exc)
            return result
        chan = _Channel(sock, deadline, options.timeout)
        try:
            _converse(chan, result, options, context, verify_fatal, implicit, start)
        except _VerifyFailed as exc:
            exc.partial = result
            raise
        except Exception as exc:  # a bug must not take the other probes down
            if result["state"] is None:
                result["state"] = "no_banner"
            _add_error(result, "unexpected error: %r" % (exc,))
        return result
    finally:
        if chan is not None:
            chan.close()
        else:
            sock.close()


def probe_address(host, port, family, sockaddr, options):
    """Probe one address on one port; return one result dict.

    When no ``ca_file`` is given and the certificate does not verify against the
    system CA store, the probe connects a second time, within the same deadline,
    with verification off, to read the TLS details and AUTH mechanisms.
    """
    deadline = time.monotonic() + options.timeout
    verify_fatal = options.ca_file is not None
    try:
        return _attempt(host, port, family, sockaddr, options, options.verify_context, verify_fatal, deadline)
    except _VerifyFailed as exc:
        note = "certificate not verified against the system CA store: %s" % exc
        result = _attempt(host, port, family, sockaddr, options, options.insecure_context, True, deadline)
        if result["state"] in BLOCKING_STATES or result["state"] == "no_banner":
            # The second connection ran out of time (or failed): report what the first one saw.
            first = exc.partial
            if first["state"] is None:
                first["state"] = "tls_failed"
            first["tls_verified"] = False
            _add_error(first, note)
            _add_error(
                first,
                "the second, unverified connection to read the TLS details failed: %s (%s)"
                % (result["state"], result["error"]),
            )
            return first
        result["tls_verified"] = False
        _add_error(result, note)
        return result
