# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hosts and ports in role input: the one rule every settings module applies.

``validate_host`` (a DNS host name, an IPv4 or an IPv6 address), ``validate_port`` (1-65535,
optionally ``auto``) and ``is_port_number`` (the range alone, for parsers that read a port from
text), and ``nexthop``, how Postfix writes a host and a port together. Networks are
``network_policy``'s. Every error is a ValueError whose message starts with the variable's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.egress.mail.plugins.module_utils.mail_address import check_domain
from ansible_collections.egress.mail.plugins.module_utils.settings_values import DIGITS_RE, check_token, require_str

MIN_PORT = 1
MAX_PORT = 65535
# Characters refused in host names, with a human description.
_HOST_BAD_CHARS = (
    (",", "a comma (give a single host)"),
    ("/", "'/'"),
    ("=", "'='"),
    ("#", "'#'"),
    ("[", "'[' (give the bare host name or IPv6 address; brackets are added where needed)"),
    ("]", "']' (give the bare host name or IPv6 address; brackets are added where needed)"),
    ("@", "'@'"),
)


def is_port_number(number):
    """True for an int in the TCP port range (the one place of the range rule)."""
    return not isinstance(number, bool) and isinstance(number, int) and MIN_PORT <= number <= MAX_PORT


def validate_ipv4(value, name):
    parts = value.split(".")
    if len(parts) != 4:
        raise ValueError("%s: %r is not a valid IPv4 address (need four dot-separated numbers)" % (name, value))
    for part in parts:
        if not DIGITS_RE.fullmatch(part) or int(part) > 255 or (len(part) > 1 and part[0] == "0"):
            raise ValueError("%s: %r is not a valid IPv4 address" % (name, value))
    return value


def validate_dns_name(value, name, what="host name"):
    """Validate an RFC 1123 host name; returns it lower-cased without a trailing dot."""
    require_str(value, name, "a %s" % what)
    check_token(value, name, "the %s" % what)
    return check_domain(value, name, what)


def validate_host(value, name):
    """Validate a relay host: a DNS host name, an IPv4 or an IPv6 address.

    Returns host names lower-cased without a trailing dot, IPv4 and IPv6
    addresses as given (IPv6 without brackets; the caller adds them).
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be a host name or IP address string, got %s" % (name, type(value).__name__))
    if value.strip() == "":
        raise ValueError("%s: is empty" % name)
    check_token(value, name, "the host")
    for ch, desc in _HOST_BAD_CHARS:
        if ch in value:
            raise ValueError("%s: %r contains %s" % (name, value, desc))
    if ":" in value:
        if "%" in value:
            raise ValueError("%s: %r: IPv6 zone indexes are not supported" % (name, value))
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError(
                "%s: %r contains ':' but is not an IPv6 address; give the port in the port "
                "setting, not in the host" % (name, value)
            )
        return value
    if re.fullmatch(r"[0-9.]+", value):
        return validate_ipv4(value, name)
    return validate_dns_name(value, name)


def is_ip_address(host):
    """True for what validate_host returned as an IPv4 or IPv6 address (not a host name)."""
    return ":" in host or bool(re.fullmatch(r"[0-9.]+", host))


def same_host_key(host):
    """What validate_host returned, in one spelling per host: IP addresses in their compressed
    form (2001:DB8:0::1 and 2001:db8::1 are one host), host names as they are (already lower-case)."""
    return ipaddress.ip_address(host).compressed if is_ip_address(host) else host


def validate_port(value, name, allow_auto=True):
    """Validate a port: int 1-65535, a numeric string or 'auto'. Returns int or 'auto'."""
    if isinstance(value, bool):
        raise ValueError(
            "%s: must be a port number (1-65535)%s, not a boolean" % (name, " or 'auto'" if allow_auto else "")
        )
    if isinstance(value, int):
        port = value
    elif isinstance(value, str):
        text = value.strip()
        if allow_auto and text.lower() == "auto":
            return "auto"
        if not DIGITS_RE.fullmatch(text):
            raise ValueError(
                "%s: %r is not a port number (1-65535)%s" % (name, value, " or 'auto'" if allow_auto else "")
            )
        port = int(text)
    else:
        raise ValueError(
            "%s: must be a port number (1-65535)%s, got %s"
            % (name, " or 'auto'" if allow_auto else "", type(value).__name__)
        )
    if not is_port_number(port):
        raise ValueError("%s: %d is out of range (1-65535)" % (name, port))
    return port


def nexthop(host, port):
    """Postfix next-hop syntax: brackets suppress MX lookups; IPv6 literals carry ``ipv6:``."""
    return "[%s%s]:%s" % ("ipv6:" if ":" in host else "", host, port)
