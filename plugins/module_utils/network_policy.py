# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Networks allowed to relay: parsed strictly, and never wider than a small public range.

One place for the rule both roles apply (Postfix ``mynetworks``, PowerMTA ``<source>``,
listeners and ``http-access``):

* an entry is an IPv4 or IPv6 network in one exact spelling (``ipaddress`` with ``strict``:
  no host bits, no leading zeros, ASCII digits only); anything else is refused;
* a prefix length of 0 ("every address") is refused in every spelling, always;
* all entries together may cover at most ``PUBLIC_IPV4_LIMIT`` public IPv4 addresses and
  ``PUBLIC_IPV6_LIMIT`` public IPv6 addresses (private, loopback, link-local, documentation and
  other special-purpose blocks are not public) unless the caller's opt-in variable says so.
  IPv4-mapped IPv6 networks (``::ffff:0:0/96``) and the NAT64 prefix (``64:ff9b::/96``, RFC 6052:
  clients behind a NAT64 gateway appear with it) count as the IPv4 networks they embed. A network
  in the local-use NAT64 block (``64:ff9b:1::/48``, RFC 8215) counts as that many distinct public
  IPv4 addresses (a /96 or longer: where a translator puts the IPv4 bits depends on the prefix
  length it uses), or as all of IPv4 when it holds a whole /96.

Every error is a ValueError whose message starts with the variable's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from collections.abc import Sequence

# Public addresses that may relay without an opt-in: one IPv4 /24, one IPv6 /64.
PUBLIC_IPV4_LIMIT = 256
PUBLIC_IPV6_LIMIT = 2**64

# Special-purpose blocks (IANA registries) that are not reachable from the public internet.
# Each list is disjoint, so the overlaps can be added up.
NON_PUBLIC_IPV4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
NON_PUBLIC_IPV6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)
# IPv6 blocks whose last 32 bits are an IPv4 address: counted as those IPv4 addresses.
EMBEDDED_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("::ffff:0:0/96", "64:ff9b::/96"))
# RFC 8215 local-use NAT64 block: the translator's prefix (/48 to /96) decides where the IPv4 bits are.
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_ALL_IPV4 = ipaddress.IPv4Network("0.0.0.0/0")

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = r"%s(?:\.%s){3}" % (_OCTET, _OCTET)
_IPV6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*"
_PREFIX = r"[0-9]{1,3}"
# Postfix: 192.0.2.0/24, 192.0.2.1, [2001:db8::]/32, [::1]. Plain (PowerMTA): no brackets.
_POSTFIX_RE = re.compile(
    r"(?P<v4>%s)(?:/(?P<p4>%s))?|\[(?P<v6>%s)\](?:/(?P<p6>%s))?" % (_IPV4, _PREFIX, _IPV6, _PREFIX), re.ASCII
)
_PLAIN_RE = re.compile(
    r"(?P<v4>%s)(?:/(?P<p4>%s))?|(?P<v6>%s)(?:/(?P<p6>%s))?" % (_IPV4, _PREFIX, _IPV6, _PREFIX), re.ASCII
)
_SYNTAX = {"postfix": _POSTFIX_RE, "plain": _PLAIN_RE}
_EXAMPLES = {"postfix": "127.0.0.0/8, 192.0.2.10 or [::1]/128", "plain": "127.0.0.0/8, 192.0.2.10 or ::1/128"}


def parse_network(value, name, syntax="postfix"):
    """One network entry -> ``ipaddress.IPv4Network`` or ``IPv6Network``; prefix 0 is refused."""
    if syntax not in _SYNTAX:
        raise ValueError("%s: unknown network syntax %r" % (name, syntax))
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            "%s: must be a network string such as %s, got %s" % (name, _EXAMPLES[syntax], type(value).__name__)
        )
    match = _SYNTAX[syntax].fullmatch(value)
    if not match:
        raise ValueError(
            "%s: %r is not a network such as %s (one network, no spaces, names or tables)"
            % (name, value, _EXAMPLES[syntax])
        )
    address = match.group("v4") or match.group("v6")
    prefix = match.group("p4") if match.group("v4") else match.group("p6")
    if prefix is not None and int(prefix) == 0:
        raise ValueError("%s: %r covers every address: an open relay" % (name, value))
    if prefix is not None and prefix != str(int(prefix)):
        raise ValueError("%s: %r: write the prefix length without leading zeros" % (name, value))
    try:
        if match.group("v4"):
            network = ipaddress.IPv4Network("%s/%s" % (address, prefix or 32))
        else:
            # No zone index (fe80::1%eth0) gets here: the syntax allows only hex digits, ':' and '.'.
            network = ipaddress.IPv6Network("%s/%s" % (address, prefix or 128))
    except ValueError as exc:
        detail = str(exc)
        if "host bits" in detail:
            raise ValueError("%s: %r has host bits set after the prefix; write the network address" % (name, value))
        raise ValueError("%s: %r is not a valid IP network (%s)" % (name, value, detail))
    # A prefix length of 0 was refused above; a missing one is /32 or /128.
    return network


def format_network(network, syntax="postfix"):
    """The canonical spelling written to the configuration file."""
    if network.version == 6 and syntax == "postfix":
        return "[%s]/%d" % (network.network_address.compressed, network.prefixlen)
    return "%s/%d" % (network.network_address.compressed, network.prefixlen)


def _overlap(network, blocks):
    total = 0
    for block in blocks:
        if network.subnet_of(block):
            return network.num_addresses
        if block.subnet_of(network):
            total += block.num_addresses
    return total


def public_addresses(networks):
    """(IPv4, IPv6) counts of public addresses covered by ``networks`` together."""
    ipv4, ipv6 = [], []
    unplaced4 = 0  # IPv4 addresses of the local-use NAT64 block, whose place in IPv4 is unknown
    for network in networks:
        if network.version == 4:
            ipv4.append(network)
            continue
        ipv6.append(network)
        for block in EMBEDDED_IPV4:
            if network.subnet_of(block):
                ipv4.append(ipaddress.IPv4Network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96)))
            elif block.subnet_of(network):
                ipv4.append(_ALL_IPV4)
        if network.subnet_of(LOCAL_NAT64) and network.prefixlen >= 96:
            unplaced4 += network.num_addresses
        elif network.subnet_of(LOCAL_NAT64) or LOCAL_NAT64.subnet_of(network):
            ipv4.append(_ALL_IPV4)
    count4 = sum(n.num_addresses - _overlap(n, NON_PUBLIC_IPV4) for n in ipaddress.collapse_addresses(ipv4))
    count4 = min(count4 + unplaced4, _ALL_IPV4.num_addresses - sum(n.num_addresses for n in NON_PUBLIC_IPV4))
    count6 = sum(n.num_addresses - _overlap(n, NON_PUBLIC_IPV6) for n in ipaddress.collapse_addresses(ipv6))
    return count4, count6


def is_loopback(network):
    """Every address of ``network`` is a loopback address (127.0.0.0/8, ::1, mapped 127/8)."""
    if network.version == 4:
        return network.subnet_of(ipaddress.IPv4Network("127.0.0.0/8"))
    return network == ipaddress.IPv6Network("::1/128") or network.subnet_of(
        ipaddress.IPv6Network("::ffff:127.0.0.0/104")
    )


def check_networks(values, name, allow_public=False, opt_in=None, syntax="postfix"):
    """A non-empty list of networks -> their canonical spellings.

    Refuses an entry that does not parse, prefix 0, and, unless ``allow_public``, more public
    addresses than the limits; the message names ``opt_in`` (the variable that allows it).
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError("%s: must be a non-empty list of networks such as %s" % (name, _EXAMPLES[syntax]))
    networks = [parse_network(value, "%s[%d]" % (name, index), syntax) for index, value in enumerate(values)]
    if not allow_public:
        count4, count6 = public_addresses(networks)
        if count4 > PUBLIC_IPV4_LIMIT or count6 > PUBLIC_IPV6_LIMIT:
            raise ValueError(
                "%s: together the networks cover %s public IPv4 and %s public IPv6 addresses; at most %d IPv4 "
                "(a /24) and one IPv6 /64 may relay without an opt-in%s"
                % (
                    name,
                    count4,
                    count6,
                    PUBLIC_IPV4_LIMIT,
                    " (set %s: true if every client there may send mail through this host)" % opt_in if opt_in else "",
                )
            )
    return [format_network(network, syntax) for network in networks]
