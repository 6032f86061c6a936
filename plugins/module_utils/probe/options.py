# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The probe's options: defaults, the states a result can have, and the checks that turn the
module's parameters into a ProbeOptions (every error a ProbeArgumentError naming the option).

Part of the smtp_probe logic; module_utils/smtp_probe is its public face.
"""

import ipaddress
import math
import os
import re
import socket
import ssl

from ansible_collections.egress.mail.plugins.module_utils.net_values import is_port_number


DEFAULT_PORTS = (25, 465, 587, 2525)
DEFAULT_IMPLICIT_TLS_PORTS = (465,)
DEFAULT_PREFER = (587, 2525, 465)
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_WORKERS = 64
MAX_WORKERS_LIMIT = 1024
STATES = (
    "open",
    "refused",
    "filtered",
    "unreachable",
    "no_banner",
    "rejected",
    "intercepted",
    "tls_failed",
    "dns_error",
)
# TCP did not get through: the packet was dropped, reset or answered with ICMP.
BLOCKING_STATES = frozenset(("filtered", "refused", "unreachable"))
# The TCP handshake completed: something on the far side accepted the connection.
CONNECTED_STATES = frozenset(("open", "rejected", "no_banner", "intercepted", "tls_failed"))


class ProbeArgumentError(ValueError):
    """An argument of the probe is invalid; the message says which and why."""


def _fmt_seconds(value):
    return "%gs" % value


class ProbeOptions(object):
    """Validated, normalised arguments of one probe run."""

    def __init__(self, hosts, ports=DEFAULT_PORTS, timeout=DEFAULT_TIMEOUT,
                 implicit_tls_ports=DEFAULT_IMPLICIT_TLS_PORTS, starttls=True, ehlo_name=None, ca_file=None,
                 expect_banner=None, prefer=DEFAULT_PREFER, max_workers=DEFAULT_MAX_WORKERS,
                 require_recommended=False):  # fmt: skip
        self.hosts = _check_hosts(hosts)
        self.ports = _check_ports("ports", ports, allow_empty=False)
        self.implicit_tls_ports = _check_ports("implicit_tls_ports", implicit_tls_ports)
        self.prefer = _check_ports("prefer", prefer)
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
        raise ProbeArgumentError("hosts must list at least one host name or address")
    result = []
    for host in hosts:
        if not isinstance(host, str) or not host or host != host.strip() or any(c.isspace() for c in host):
            raise ProbeArgumentError(
                "hosts: invalid entry %r: a host must be a non-empty name or address without whitespace" % (host,)
            )
        bracketed = host.startswith("[") and host.endswith("]")
        if bracketed:
            host = host[1:-1]
        if ":" in host and not _is_ipv6(host):
            raise ProbeArgumentError(
                "hosts: invalid entry %r: give the host name or address only and list the ports in ports "
                "(IPv6 addresses may be written with or without brackets)" % (host if not bracketed else "[%s]" % host,)
            )
        if not host:
            raise ProbeArgumentError('hosts: invalid entry "[]"')
        if host not in result:
            result.append(host)
    return result


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])  # Python < 3.9 does not know scope ids
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
            raise ProbeArgumentError("%s: %r is not a TCP port number (1-65535)" % (name, port))
        try:
            number = int(port)
        except (TypeError, ValueError):
            raise ProbeArgumentError("%s: %r is not a TCP port number (1-65535)" % (name, port))
        if number != port and not isinstance(port, str):
            raise ProbeArgumentError("%s: %r is not a TCP port number (1-65535)" % (name, port))
        if not is_port_number(number):
            raise ProbeArgumentError("%s: %d is out of range: TCP ports are 1-65535" % (name, number))
        if number not in result:
            result.append(number)
    if not result and not allow_empty:
        raise ProbeArgumentError("%s must list at least one port" % name)
    return result


def _check_timeout(timeout):
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise ProbeArgumentError("timeout must be a number of seconds, got %r" % (timeout,))
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise ProbeArgumentError("timeout must be greater than 0 seconds, got %r" % (timeout,))
    return value


def _check_max_workers(max_workers):
    if isinstance(max_workers, bool):
        raise ProbeArgumentError("max_workers must be an integer, got %r" % (max_workers,))
    try:
        value = int(max_workers)
    except (TypeError, ValueError):
        raise ProbeArgumentError("max_workers must be an integer, got %r" % (max_workers,))
    if not 1 <= value <= MAX_WORKERS_LIMIT:
        raise ProbeArgumentError("max_workers must be between 1 and %d, got %d" % (MAX_WORKERS_LIMIT, value))
    return value


def _check_ehlo_name(name):
    if name is None or name == "":
        name = socket.getfqdn() or "localhost"
        if any(c.isspace() for c in name):
            name = "localhost"
        return name
    if not isinstance(name, str) or any(c.isspace() for c in name):
        raise ProbeArgumentError("ehlo_name must be a host name without whitespace, got %r" % (name,))
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        raise ProbeArgumentError('ehlo_name must be ASCII (use the IDNA "xn--" form), got %r' % (name,))
    return name


def _check_regex(pattern):
    if pattern is None or pattern == "":
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ProbeArgumentError("expect_banner is not a valid regular expression: %s" % exc)


def _make_contexts(ca_file):
    """Return (verifying context, non-verifying context or None)."""
    if ca_file:
        if not os.path.isfile(ca_file):
            raise ProbeArgumentError("ca_file %s does not exist or is not a regular file" % ca_file)
        try:
            verify = ssl.create_default_context(cafile=ca_file)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ProbeArgumentError("ca_file %s could not be loaded as PEM CA certificates: %s" % (ca_file, exc))
        return verify, None
    verify = ssl.create_default_context()
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    return verify, insecure


def build_options(params):
    """Build :class:`ProbeOptions` from a module-style parameter dict (``None`` means default)."""
    defaults = {
        "ports": DEFAULT_PORTS,
        "timeout": DEFAULT_TIMEOUT,
        "implicit_tls_ports": DEFAULT_IMPLICIT_TLS_PORTS,
        "starttls": True,
        "ehlo_name": None,
        "ca_file": None,
        "expect_banner": None,
        "prefer": DEFAULT_PREFER,
        "max_workers": DEFAULT_MAX_WORKERS,
        "require_recommended": False,
    }
    kwargs = {}
    for key, default in defaults.items():
        value = params.get(key)
        kwargs[key] = default if value is None else value
    return ProbeOptions(params.get("hosts"), **kwargs)
