# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the ``egress.mail.smtp_probe`` module: find which SMTP ports get out.

Everything here uses the standard library only and runs on Python 3.8 and later.

The probe of one (host, port, address) is a small, careful SMTP client:

* connect (TCP), on an implicit-TLS port do the TLS handshake at once,
* read the greeting (multi-line aware),
* ``EHLO``; on other ports, when the server offers ``STARTTLS`` and the
  ``starttls`` option is on, ``STARTTLS``, the handshake and ``EHLO`` again
  (the AUTH mechanisms reported are those offered over TLS),
* ``QUIT``.

It never sends ``MAIL``, ``RCPT``, ``DATA`` or ``AUTH``. One deadline of
``timeout`` seconds covers the whole exchange of one connection; all probes run
concurrently on at most ``max_workers`` threads.

Public entry points: :func:`build_options`, :func:`run_probes`,
:func:`unusable_message` and :func:`probe` (both steps in one call).
"""

import errno
import ipaddress
import math
import os
import re
import socket
import ssl
import threading
import time

DEFAULT_PORTS = (25, 465, 587, 2525)
DEFAULT_IMPLICIT_TLS_PORTS = (465,)
DEFAULT_PREFER = (587, 2525, 465)
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_WORKERS = 64
MAX_WORKERS_LIMIT = 1024

STATES = (
    'open',
    'refused',
    'filtered',
    'unreachable',
    'no_banner',
    'rejected',
    'intercepted',
    'tls_failed',
    'dns_error',
)

# TCP did not get through: the packet was dropped, reset or answered with ICMP.
BLOCKING_STATES = frozenset(('filtered', 'refused', 'unreachable'))
# The TCP handshake completed: something on the far side accepted the connection.
CONNECTED_STATES = frozenset(('open', 'rejected', 'no_banner', 'intercepted', 'tls_failed'))

# How long to wait for the 221 reply to QUIT (within the per-connection deadline).
QUIT_WAIT = 1.0
# Protection against servers that send endless data.
MAX_LINE_BYTES = 8192
MAX_REPLY_LINES = 200
RAW_HEAD_BYTES = 1024

_REPLY_RE = re.compile(r'^(\d{3})(?:([ -])(.*))?$')
_SMTP_LIKE_RE = re.compile(br'^\d{3}[ -]')

# errno values of connect() that mean "the network says no" rather than "the port says no".
_UNREACHABLE_HINTS = {
    errno.ENETUNREACH: 'no route to the network, or ICMP network unreachable/prohibited',
    errno.EHOSTUNREACH: 'ICMP host unreachable or administratively prohibited',
    errno.EHOSTDOWN: 'host is down',
    errno.ENETDOWN: 'network interface is down',
    errno.EADDRNOTAVAIL: 'no usable source address for this destination',
    errno.EAFNOSUPPORT: 'address family not supported on this system',
    errno.EACCES: 'blocked by a local firewall or policy',
    errno.EPERM: 'blocked by a local firewall rule',
}
if hasattr(errno, 'ENONET'):
    _UNREACHABLE_HINTS[errno.ENONET] = 'machine is not on the network'


class ProbeArgumentError(ValueError):
    """An argument of the probe is invalid; the message says which and why."""


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

    def __init__(self, message, state='tls_failed', verified=None, banner=None):
        super(_TLSFailure, self).__init__(message)
        self.state = state
        self.verified = verified
        self.banner = banner


class _VerifyFailed(Exception):
    """Certificate verification against the system CA store failed (no ca_file given).

    ``partial`` is the result of the attempt so far (set by :func:`_attempt`).
    """

    partial = None


def _fmt_seconds(value):
    return '%gs' % value


class ProbeOptions(object):
    """Validated, normalised arguments of one probe run."""

    def __init__(self, hosts, ports=DEFAULT_PORTS, timeout=DEFAULT_TIMEOUT,
                 implicit_tls_ports=DEFAULT_IMPLICIT_TLS_PORTS, starttls=True,
                 ehlo_name=None, ca_file=None, expect_banner=None,
                 prefer=DEFAULT_PREFER, max_workers=DEFAULT_MAX_WORKERS,
                 require_recommended=False):
        self.hosts = _check_hosts(hosts)
        self.ports = _check_ports('ports', ports, allow_empty=False)
        self.implicit_tls_ports = _check_ports('implicit_tls_ports', implicit_tls_ports)
        self.prefer = _check_ports('prefer', prefer)
        self.timeout = _check_timeout(timeout)
        self.starttls = bool(starttls)
        self.ehlo_name = _check_ehlo_name(ehlo_name)
        self.max_workers = _check_max_workers(max_workers)
        self.require_recommended = bool(require_recommended)
        self.expect_banner = _check_regex(expect_banner)
        self.ca_file = ca_file or None
        self.verify_context, self.insecure_context = _make_contexts(self.ca_file)


def _check_hosts(hosts):
    if isinstance(hosts, str):
        hosts = [hosts]
    if not hosts:
        raise ProbeArgumentError('hosts must list at least one host name or address')
    result = []
    for host in hosts:
        if not isinstance(host, str) or not host or host != host.strip() or any(c.isspace() for c in host):
            raise ProbeArgumentError(
                'hosts: invalid entry %r: a host must be a non-empty name or address without whitespace' % (host,))
        bracketed = host.startswith('[') and host.endswith(']')
        if bracketed:
            host = host[1:-1]
        if ':' in host and not _is_ipv6(host):
            raise ProbeArgumentError(
                'hosts: invalid entry %r: give the host name or address only and list the ports in ports '
                '(IPv6 addresses may be written with or without brackets)' % (host if not bracketed else '[%s]' % host,))
        if not host:
            raise ProbeArgumentError('hosts: invalid entry "[]"')
        if host not in result:
            result.append(host)
    return result


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text.split('%', 1)[0])  # Python < 3.9 does not know scope ids
    except ValueError:
        return False
    return True


def _check_ports(name, ports, allow_empty=True):
    if ports is None:
        ports = []
    if isinstance(ports, (int, str)):
        ports = [ports]
    result = []
    for port in ports:
        if isinstance(port, bool):
            raise ProbeArgumentError('%s: %r is not a TCP port number (1-65535)' % (name, port))
        try:
            number = int(port)
        except (TypeError, ValueError):
            raise ProbeArgumentError('%s: %r is not a TCP port number (1-65535)' % (name, port))
        if number != port and not isinstance(port, str):
            raise ProbeArgumentError('%s: %r is not a TCP port number (1-65535)' % (name, port))
        if not 1 <= number <= 65535:
            raise ProbeArgumentError('%s: %d is out of range: TCP ports are 1-65535' % (name, number))
        if number not in result:
            result.append(number)
    if not result and not allow_empty:
        raise ProbeArgumentError('%s must list at least one port' % name)
    return result


def _check_timeout(timeout):
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise ProbeArgumentError('timeout must be a number of seconds, got %r' % (timeout,))
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise ProbeArgumentError('timeout must be greater than 0 seconds, got %r' % (timeout,))
    return value


def _check_max_workers(max_workers):
    if isinstance(max_workers, bool):
        raise ProbeArgumentError('max_workers must be an integer, got %r' % (max_workers,))
    try:
        value = int(max_workers)
    except (TypeError, ValueError):
        raise ProbeArgumentError('max_workers must be an integer, got %r' % (max_workers,))
    if not 1 <= value <= MAX_WORKERS_LIMIT:
        raise ProbeArgumentError('max_workers must be between 1 and %d, got %d' % (MAX_WORKERS_LIMIT, value))
    return value


def _check_ehlo_name(name):
    if name is None or name == '':
        name = socket.getfqdn() or 'localhost'
        if any(c.isspace() for c in name):
            name = 'localhost'
        return name
    if not isinstance(name, str) or any(c.isspace() for c in name):
        raise ProbeArgumentError('ehlo_name must be a host name without whitespace, got %r' % (name,))
    try:
        name.encode('ascii')
    except UnicodeEncodeError:
        raise ProbeArgumentError('ehlo_name must be ASCII (use the IDNA "xn--" form), got %r' % (name,))
    return name


def _check_regex(pattern):
    if pattern is None or pattern == '':
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ProbeArgumentError('expect_banner is not a valid regular expression: %s' % exc)


def _make_contexts(ca_file):
    """Return (verifying context, non-verifying context or None)."""
    if ca_file:
        if not os.path.isfile(ca_file):
            raise ProbeArgumentError('ca_file %s does not exist or is not a regular file' % ca_file)
        try:
            verify = ssl.create_default_context(cafile=ca_file)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ProbeArgumentError('ca_file %s could not be loaded as PEM CA certificates: %s' % (ca_file, exc))
        return verify, None
    verify = ssl.create_default_context()
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    return verify, insecure


def build_options(params):
    """Build :class:`ProbeOptions` from a module-style parameter dict (``None`` means default)."""
    defaults = {
        'ports': DEFAULT_PORTS,
        'timeout': DEFAULT_TIMEOUT,
        'implicit_tls_ports': DEFAULT_IMPLICIT_TLS_PORTS,
        'starttls': True,
        'ehlo_name': None,
        'ca_file': None,
        'expect_banner': None,
        'prefer': DEFAULT_PREFER,
        'max_workers': DEFAULT_MAX_WORKERS,
        'require_recommended': False,
    }
    kwargs = {}
    for key, default in defaults.items():
        value = params.get(key)
        kwargs[key] = default if value is None else value
    return ProbeOptions(params.get('hosts'), **kwargs)


# ---------------------------------------------------------------------------
# One connection


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
        self.raw_head = b''
        self.discarded = 0
        self._buf = b''
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
            raise _Closed('connection lost (%s)' % (exc.strerror or exc))
        if len(self.raw_head) < RAW_HEAD_BYTES:
            self.raw_head += data[:RAW_HEAD_BYTES - len(self.raw_head)]
        return data

    def _raw_send(self, data):
        self.sock.settimeout(self.remaining())
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise _Timeout()
        except OSError as exc:
            raise _Closed('connection lost (%s)' % (exc.strerror or exc))

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
                    raise _Closed('connection closed by server during TLS')
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
        self._buf = b''
        self._tls_call(self.tls.do_handshake)

    def _recv_more(self):
        if self.tls is None:
            data = self._raw_recv()
        else:
            try:
                data = self._tls_call(self.tls.read, 65536)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                raise _Closed('TLS session closed by server')
            except ssl.SSLError as exc:
                raise _Closed('TLS session broken (%s)' % _ssl_reason(exc))
        if not data:
            raise _Closed('connection closed by server')
        return data

    def readline(self):
        while b'\n' not in self._buf:
            if len(self._buf) > MAX_LINE_BYTES:
                raise _ProtocolError('reply line longer than %d bytes' % MAX_LINE_BYTES,
                                     self._buf[:200].decode('utf-8', 'replace'))
            try:
                self._buf += self._recv_more()
            except (_Timeout, _Closed) as exc:
                exc.partial = self._buf.decode('utf-8', 'replace')
                raise
        line, _sep, self._buf = self._buf.partition(b'\n')
        return line.rstrip(b'\r').decode('utf-8', 'replace')

    def read_reply(self):
        """Read one (possibly multi-line) reply; return (code, [lines])."""
        lines = []
        while True:
            line = self.readline()
            match = _REPLY_RE.match(line)
            if not match:
                raise _ProtocolError('not an SMTP reply: %r' % line[:200], line)
            lines.append(line)
            if match.group(2) != '-':
                return int(match.group(1)), lines
            if len(lines) >= MAX_REPLY_LINES:
                raise _ProtocolError('reply with more than %d lines' % MAX_REPLY_LINES, lines[0])

    def send_line(self, text):
        data = (text + '\r\n').encode('ascii')
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


def _new_result(host, port, address):
    return {
        'host': host,
        'port': port,
        'address': address,
        'state': None,
        'banner': None,
        'latency_ms': None,
        'starttls': None,
        'tls_version': None,
        'tls_cipher': None,
        'tls_verified': None,
        'auth_mechanisms': [],
        'error': None,
    }


def _add_error(result, message):
    if result['error']:
        result['error'] = '%s; %s' % (result['error'], message)
    else:
        result['error'] = message


def _classify_connect_error(exc):
    """Map an OSError of connect() to (state, error text)."""
    code = exc.errno
    text = exc.strerror or str(exc)
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return 'refused', text or 'Connection refused'
    if code == errno.ECONNRESET:
        return 'refused', '%s (reset during connect)' % text
    if code == errno.ETIMEDOUT:
        return 'filtered', '%s (the kernel gave up retrying SYN)' % text
    name = errno.errorcode.get(code, str(code))
    hint = _UNREACHABLE_HINTS.get(code)
    if hint:
        return 'unreachable', '%s (%s: %s)' % (text, name, hint)
    return 'unreachable', '%s (%s)' % (text, name)


def _parse_ehlo(lines):
    """Return (set of upper-case keywords, list of AUTH mechanisms) from an EHLO reply."""
    keywords = set()
    mechanisms = []
    for line in lines[1:]:
        words = line[4:].split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword.startswith('AUTH='):  # obsolete form used by old Outlook-era servers
            params = [keyword[5:]] + words[1:]
            keyword = 'AUTH'
        else:
            params = words[1:]
        keywords.add(keyword)
        if keyword == 'AUTH':
            for mech in params:
                mech = mech.upper()
                if mech and mech not in mechanisms:
                    mechanisms.append(mech)
    return keywords, mechanisms


def _handshake(chan, result, context, host, verify_fatal, implicit):
    try:
        chan.start_tls(context, host)
    except ssl.SSLCertVerificationError as exc:
        reason = getattr(exc, 'verify_message', None) or str(exc)
        if verify_fatal:
            raise _TLSFailure('certificate verification against ca_file failed: %s' % reason, verified=False)
        raise _VerifyFailed(reason)
    except (ssl.SSLError, _Closed, _Timeout, OSError) as exc:
        if implicit and _SMTP_LIKE_RE.match(chan.raw_head):
            banner = _first_reply(chan.raw_head)
            raise _TLSFailure(
                'plaintext SMTP greeting on an implicit-TLS port: the server (or a middlebox in the path) '
                'does not speak TLS here; it may expect STARTTLS on this port',
                state='intercepted', banner=banner)
        if isinstance(exc, _Timeout):
            message = 'TLS handshake did not complete within %s' % _fmt_seconds(chan.span)
        elif isinstance(exc, _Closed):
            message = 'TLS handshake failed: %s' % exc
        elif isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            message = 'TLS handshake failed: connection closed by server during the handshake'
        elif isinstance(exc, ssl.SSLError):
            message = 'TLS handshake failed: %s' % _ssl_reason(exc)
        else:
            message = 'TLS handshake failed: %s' % (exc.strerror or exc)
        if chan.discarded:
            message += (' (the server sent %d bytes of plaintext after its reply to STARTTLS, which were discarded)'
                        % chan.discarded)
        raise _TLSFailure(message)
    cipher = chan.tls.cipher()
    result['tls_version'] = chan.tls.version()
    result['tls_cipher'] = cipher[0] if cipher else None
    result['tls_verified'] = context.verify_mode == ssl.CERT_REQUIRED


def _ssl_reason(exc):
    reason = getattr(exc, 'reason', None)
    if reason:
        return '%s (%s)' % (reason.lower().replace('_', ' '), reason)
    return str(exc)


def _first_reply(raw):
    """Return the first (possibly multi-line) SMTP reply found at the start of raw bytes."""
    lines = []
    for line in raw.decode('utf-8', 'replace').splitlines():
        match = _REPLY_RE.match(line)
        if not match:
            break
        lines.append(line)
        if match.group(2) != '-':
            break
    return '\n'.join(lines)


def _quit(chan):
    """Say goodbye politely; never let this change the outcome."""
    try:
        chan.deadline = min(chan.deadline, time.monotonic() + QUIT_WAIT)
        chan.command('QUIT')
    except Exception:
        pass


def _converse(chan, result, options, context, verify_fatal, implicit, start):
    host = result['host']
    if implicit:
        try:
            _handshake(chan, result, context, host, verify_fatal, implicit=True)
        except _TLSFailure as exc:
            result['state'] = exc.state
            result['tls_verified'] = exc.verified
            if exc.banner is not None:
                result['banner'] = exc.banner
            _add_error(result, str(exc))
            return

    try:
        code, lines = chan.read_reply()
    except _Timeout as exc:
        result['state'] = 'no_banner'
        partial = getattr(exc, 'partial', '')
        _add_error(result, 'no greeting within %s%s' % (
            _fmt_seconds(options.timeout), (' (received %r)' % partial[:200]) if partial else ''))
        return
    except _Closed as exc:
        # On an implicit-TLS port the handshake succeeded: a TLS session that carries no SMTP.
        result['state'] = 'tls_failed' if implicit else 'no_banner'
        partial = getattr(exc, 'partial', '')
        _add_error(result, '%s before the greeting%s' % (
            exc, (' (received %r)' % partial[:200]) if partial else ''))
        return
    except _ProtocolError as exc:
        result['state'] = 'intercepted'
        result['banner'] = exc.line
        _add_error(result, 'greeting is not SMTP (%s): something else answers on this port' % exc)
        return
    result['latency_ms'] = round((time.monotonic() - start) * 1000.0, 1)
    result['banner'] = '\n'.join(lines)

    if 400 <= code < 600:
        result['state'] = 'rejected'
        _add_error(result, 'server refused the session: %s' % lines[0])
        _quit(chan)
        return
    if code != 220:
        result['state'] = 'intercepted'
        _add_error(result, 'unexpected greeting code %d (SMTP servers greet with 220)' % code)
        _quit(chan)
        return
    result['state'] = 'open'
    if options.expect_banner is not None and not options.expect_banner.search(result['banner']):
        result['state'] = 'intercepted'
        _add_error(result, 'banner does not match expect_banner %r' % options.expect_banner.pattern)

    step = 'EHLO'
    try:
        keywords = _ehlo(chan, result, options, step)
        if keywords is None:
            return
        if not implicit:
            result['starttls'] = 'STARTTLS' in keywords
            if result['starttls'] and options.starttls:
                step = 'STARTTLS'
                code, lines = chan.command('STARTTLS')
                if code != 220:
                    if result['state'] == 'open':
                        result['state'] = 'tls_failed'
                    _add_error(result, 'STARTTLS offered but refused: %s' % lines[0])
                    _quit(chan)
                    return
                try:
                    _handshake(chan, result, context, host, verify_fatal, implicit=False)
                except _TLSFailure as exc:
                    if result['state'] == 'open':
                        result['state'] = exc.state
                    result['tls_verified'] = exc.verified
                    _add_error(result, str(exc))
                    return
                step = 'EHLO after STARTTLS'
                result['auth_mechanisms'] = []  # what the server offered in clear does not count
                if _ehlo(chan, result, options, step) is None:
                    return
        _quit(chan)
    except _Timeout:
        _after_tls_failure(chan, result)
        _add_error(result, 'no reply to %s within the %s deadline' % (step, _fmt_seconds(options.timeout)))
    except _Closed as exc:
        _after_tls_failure(chan, result)
        _add_error(result, '%s during %s' % (exc, step))
    except _ProtocolError as exc:
        _after_tls_failure(chan, result)
        _add_error(result, 'bad reply to %s: %s' % (step, exc))


def _ehlo(chan, result, options, step):
    """EHLO (``step`` says before or after TLS): the keywords the server offers, its AUTH
    mechanisms in the result; None when it answered something else than 250 (the session is
    not usable: it is ended)."""
    code, lines = chan.command('EHLO %s' % options.ehlo_name)
    if code != 250:
        if result['state'] == 'open':
            result['state'] = 'rejected' if 400 <= code < 600 else 'intercepted'
        _add_error(result, '%s refused: %s' % (step, lines[0]))
        _quit(chan)
        return None
    keywords, result['auth_mechanisms'] = _parse_ehlo(lines)
    return keywords


def _after_tls_failure(chan, result):
    """The TLS handshake succeeded but the session then broke (closed, silent, not SMTP).

    Such a port must never count as open with TLS: it is ``tls_failed``. Before TLS the state
    stays (an ``open`` port without TLS is never recommended anyway).
    """
    if chan.tls is not None and result['tls_version'] is not None and result['state'] == 'open':
        result['state'] = 'tls_failed'


def _attempt(host, port, family, sockaddr, options, context, verify_fatal, deadline):
    result = _new_result(host, port, sockaddr[0])
    implicit = port in options.implicit_tls_ports
    start = time.monotonic()
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        result['state'], result['error'] = _classify_connect_error(exc)
        return result
    chan = None
    try:
        left = deadline - start
        if left <= 0:
            result['state'] = 'filtered'
            result['error'] = 'no time left within the %s deadline' % _fmt_seconds(options.timeout)
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
            result['state'] = 'filtered'
            result['error'] = 'no answer within %s' % _fmt_seconds(options.timeout)
            return result
        except OSError as exc:
            result['state'], result['error'] = _classify_connect_error(exc)
            return result
        chan = _Channel(sock, deadline, options.timeout)
        try:
            _converse(chan, result, options, context, verify_fatal, implicit, start)
        except _VerifyFailed as exc:
            exc.partial = result
            raise
        except Exception as exc:  # a bug must not take the other probes down
            if result['state'] is None:
                result['state'] = 'no_banner'
            _add_error(result, 'unexpected error: %r' % (exc,))
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
        note = 'certificate not verified against the system CA store: %s' % exc
        result = _attempt(host, port, family, sockaddr, options, options.insecure_context, True, deadline)
        if result['state'] in BLOCKING_STATES or result['state'] == 'no_banner':
            # The second connection ran out of time (or failed): report what the first one saw.
            first = exc.partial
            if first['state'] is None:
                first['state'] = 'tls_failed'
            first['tls_verified'] = False
            _add_error(first, note)
            _add_error(first, 'the second, unverified connection to read the TLS details failed: %s (%s)'
                       % (result['state'], result['error']))
            return first
        result['tls_verified'] = False
        _add_error(result, note)
        return result


# ---------------------------------------------------------------------------
# Many connections


def _bounded_map(func, items, max_workers, timeout=None):
    """Run ``func(item)`` for every item on at most ``max_workers`` daemon threads.

    Returns a list with, per item, ``(True, value)``, ``(False, exception)`` or
    ``None`` when it had not finished within ``timeout`` seconds. Daemon threads
    are used so that a hung name lookup cannot keep the process alive.
    """
    items = list(items)
    results = [None] * len(items)
    if not items:
        return results
    lock = threading.Lock()
    all_done = threading.Event()
    state = {'next': 0, 'left': len(items)}

    def worker():
        while True:
            with lock:
                index = state['next']
                if index >= len(items):
                    return
                state['next'] = index + 1
            try:
                outcome = (True, func(items[index]))
            except Exception as exc:
                outcome = (False, exc)
            with lock:
                results[index] = outcome
                state['left'] -= 1
                if state['left'] == 0:
                    all_done.set()

    for dummy in range(min(max_workers, len(items))):
        thread = threading.Thread(target=worker, name='smtp_probe')
        thread.daemon = True
        thread.start()
    all_done.wait(timeout)
    with lock:
        return list(results)


def _resolve(host):
    """Return [(family, sockaddr)] for every IPv4/IPv6 address of host, in resolver order."""
    infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    seen = set()
    addresses = []
    for family, dummy_type, dummy_proto, dummy_canon, sockaddr in infos:
        if family not in (socket.AF_INET, getattr(socket, 'AF_INET6', None)):
            continue
        key = (family, sockaddr[0])
        if key in seen:
            continue
        seen.add(key)
        addresses.append((family, sockaddr))
    return addresses


def _dns_error_text(exc):
    if isinstance(exc, socket.gaierror):
        name = ''
        for attr in dir(socket):
            if attr.startswith('EAI_') and getattr(socket, attr) == exc.errno:
                name = attr
                break
        text = exc.strerror or str(exc)
        return '%s (%s)' % (text, name) if name else text
    return str(exc)


def _usable(result):
    return result['state'] == 'open' and result['tls_version'] is not None


def summarize(results, options):
    """Compute the summary keys of the module's return value from the per-address results."""
    ports = options.ports
    open_ports = sorted(set(r['port'] for r in results if r['state'] == 'open'))
    blocked_ports = []
    for port in sorted(ports):
        states = [r['state'] for r in results if r['port'] == port and r['state'] != 'dns_error']
        if states and all(s in BLOCKING_STATES for s in states):
            blocked_ports.append(port)

    port25_blocked = None
    if 25 in ports:
        on25 = [r for r in results if r['port'] == 25 and r['state'] != 'dns_error']
        if on25:
            if any(r['state'] in CONNECTED_STATES for r in on25):
                port25_blocked = False
            elif any(r['state'] not in BLOCKING_STATES and r['state'] != 'dns_error' for r in results):
                port25_blocked = True

    by_host = {}
    for host in options.hosts:
        by_host[host] = None
        for port in options.prefer:
            if any(_usable(r) for r in results if r['host'] == host and r['port'] == port):
                by_host[host] = port
                break
    recommended = None
    for port in options.prefer:
        if all(any(_usable(r) for r in results if r['host'] == host and r['port'] == port)
               for host in options.hosts):
            recommended = port
            break
    return {
        'port25_blocked': port25_blocked,
        'open_ports': open_ports,
        'blocked_ports': blocked_ports,
        'recommended_port': recommended,
        'recommended_wrappermode': recommended is not None and recommended in options.implicit_tls_ports,
        'recommended_by_host': by_host,
    }


def run_probes(options):
    """Resolve every host and probe every (host, port, address) concurrently.

    Returns the module's result keys (without ``changed``): ``results`` and the
    summary of :func:`summarize`, plus ``elapsed_ms``.
    """
    start = time.monotonic()
    lookups = _bounded_map(_resolve, options.hosts, options.max_workers, timeout=options.timeout)

    slots = []  # per (host, port): either a finished result or a task to run
    tasks = []
    for host, lookup in zip(options.hosts, lookups):
        if lookup is None:
            error = 'name resolution did not finish within %s' % _fmt_seconds(options.timeout)
            addresses = None
        elif not lookup[0]:
            error = _dns_error_text(lookup[1])
            addresses = None
        elif not lookup[1]:
            error = 'name has no IPv4 or IPv6 address'
            addresses = None
        else:
            error = None
            addresses = lookup[1]
        for port in options.ports:
            if addresses is None:
                result = _new_result(host, port, None)
                result['state'] = 'dns_error'
                result['error'] = error
                slots.append(result)
                continue
            for family, sockaddr in addresses:
                slots.append(len(tasks))
                tasks.append((host, port, family, sockaddr))

    def run_task(task):
        return probe_address(task[0], task[1], task[2], task[3], options)

    # Each probe is bounded by its own deadline; the wait bound is a safety net only.
    waves = int(math.ceil(len(tasks) / float(options.max_workers))) if tasks else 0
    outcomes = _bounded_map(run_task, tasks, options.max_workers, timeout=waves * (options.timeout + QUIT_WAIT) * 2 + 5)

    results = []
    for slot in slots:
        if isinstance(slot, dict):
            results.append(slot)
            continue
        outcome = outcomes[slot]
        host, port, dummy_family, sockaddr = tasks[slot]
        if outcome is not None and outcome[0]:
            results.append(outcome[1])
            continue
        result = _new_result(host, port, sockaddr[0])
        result['state'] = 'filtered'
        result['error'] = ('probe did not finish in time' if outcome is None
                           else 'unexpected error: %r' % (outcome[1],))
        results.append(result)

    report = {'results': results}
    report.update(summarize(results, options))
    report['elapsed_ms'] = round((time.monotonic() - start) * 1000.0, 1)
    return report


def _describe(result, options):
    state = result['state']
    if state == 'open' and result['tls_version'] is None:
        if result['port'] in options.implicit_tls_ports:
            text = 'open without TLS'
        elif result['starttls'] and not options.starttls:
            text = 'open without TLS (STARTTLS offered, but starttls=false)'
        elif result['starttls'] is False:
            text = 'open without TLS (STARTTLS not offered)'
        else:
            text = 'open without TLS'
    else:
        text = state
    if result['error']:
        text = '%s (%s)' % (text, result['error'])
    return text


def unusable_message(report, options):
    """Explain, host by host and port by port, why no ``prefer`` port is usable with TLS."""
    results = report['results']
    parts = []
    for host in options.hosts:
        if report['recommended_by_host'].get(host) is not None:
            continue
        mine = [r for r in results if r['host'] == host]
        if mine and all(r['state'] == 'dns_error' for r in mine):
            parts.append('no usable relay port on %s: name resolution failed (%s)' % (host, mine[0]['error']))
            continue
        port_parts = []
        for port in options.prefer:
            on_port = [r for r in mine if r['port'] == port]
            if not on_port:
                port_parts.append('%d not probed (not in ports)' % port)
                continue
            texts = [_describe(r, options) for r in on_port]
            if len(set(texts)) == 1:
                port_parts.append('%d %s' % (port, texts[0]))
            else:
                port_parts.append('%d: %s' % (port, ', '.join(
                    '%s %s' % (r['address'], text) for r, text in zip(on_port, texts))))
        if not options.prefer:
            port_parts.append('prefer is empty')
        parts.append('no usable relay port on %s: %s' % (host, '; '.join(port_parts)))
    if not parts:
        usable = ', '.join('%s: %s' % (h, report['recommended_by_host'][h]) for h in options.hosts)
        parts.append('every host has a usable port, but no port of prefer %s is open with TLS on all of them (%s)'
                     % (list(options.prefer), usable))
    return 'require_recommended: ' + ' | '.join(parts)


def probe(params):
    """Validate ``params`` (module-style dict) and run the probes; return (options, report)."""
    options = build_options(params)
    return options, run_probes(options)
