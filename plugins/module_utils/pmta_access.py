# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Who may connect to PowerMTA and relay through it (powermta_relay listeners, smtp_users,
sources and http_access): used by pmta_settings.check.

Networks are parsed strictly with ``network_policy``: prefix 0 only as the exact catch-all
``0/0`` of a source that cannot relay, a public range wider than the limit only with
``<prefix>sources_allow_public``, an ``http-access`` entry above ``none`` only for loopback
addresses; a listener on a non-loopback address needs clients that log in or an allow-listed
network. Every error is a ValueError whose message starts with the variable's full name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.egress.mail.plugins.module_utils import network_policy
from ansible_collections.egress.mail.plugins.module_utils.net_values import validate_port
from ansible_collections.egress.mail.plugins.module_utils.pmta_values import (
    check_secret,
    entries,
    flag,
    network,
    token,
)

LISTENER_KEYS = ("address", "port")
USER_KEYS = ("name", "password")
SOURCE_KEYS = (
    "match",
    "require_auth",
    "always_allow_relaying",
    "allow_starttls",
    "require_starttls_before_auth",
    "smtp_service",
    "process_x_virtual_mta",
    "default_virtual_mta",
)
SOURCE_BOOLS = SOURCE_KEYS[1:-1]
ACCESS_KEYS = ("address", "level")
ACCESS_LEVELS = ("admin", "monitor", "none")
LISTEN_ALL = "0/0"


def check_listeners(settings, prefix):
    found = []
    for where, entry in entries(settings, prefix, "listeners", LISTENER_KEYS, ("address",), False):
        address = entry["address"]
        if address == LISTEN_ALL:
            loopback = False
        else:
            if isinstance(address, str) and "/" in address:
                raise ValueError(
                    "%s.address: %r: give one IPv4 address, or 0/0 for every local address" % (where, address)
                )
            net = network_policy.parse_network(address, where + ".address", syntax="plain")
            if net.version != 4:
                raise ValueError(
                    "%s.address: %r: only IPv4 listeners are supported (the IPv6 listener "
                    "syntax has not been checked against PowerMTA)" % (where, address)
                )
            loopback = network_policy.is_loopback(net)
        port = entry.get("port")
        port = 25 if port is None else validate_port(port, where + ".port", allow_auto=False)
        found.append({"address": address, "port": port, "loopback": loopback, "listener": "%s:%d" % (address, port)})
    return found


def check_users(settings, prefix):
    names = []
    for where, entry in entries(settings, prefix, "smtp_users", USER_KEYS, ("name", "password")):
        user = token(entry["name"], where + ".name", "a user name (printable ASCII, no '{', '}')", "user")
        if user in names:
            raise ValueError("%s.name: %r is defined twice" % (where, user))
        names.append(user)
        check_secret(entry["password"], where + ".password")
    return names


def check_sources(settings, prefix, users, certificate):
    allow_public = flag(settings.get("sources_allow_public"), prefix + "sources_allow_public")
    found, open_networks = [], []
    for where, entry in entries(settings, prefix, "sources", SOURCE_KEYS, ("match",)):
        source = dict((key, flag(entry.get(key), "%s.%s" % (where, key))) for key in SOURCE_BOOLS)
        source["smtp_service"] = True if entry.get("smtp_service") is None else source["smtp_service"]
        relays = source["always_allow_relaying"] and not source["require_auth"] and source["smtp_service"]
        source["match"] = entry["match"]
        net = network(entry["match"], where + ".match", catch_all=not relays)
        source["catch_all"] = net is None
        if relays:
            open_networks.append(net)
        if net is not None and net.prefixlen == 0:  # defensive: parse_network refuses prefix 0
            raise ValueError("%s.match: covers every address" % where)
        if source["require_auth"] and not users:
            raise ValueError(
                "%s.require_auth: is true but %ssmtp_users is empty: nobody could log in" % (where, prefix)
            )
        for key in ("allow_starttls", "require_starttls_before_auth"):
            if source[key] and not certificate:
                raise ValueError(
                    "%s.%s: needs %sserver_tls_certificate (the certificate offered for STARTTLS)"
                    % (where, key, prefix)
                )
        source["default_virtual_mta"] = token(
            entry.get("default_virtual_mta") or "",
            where + ".default_virtual_mta",
            "a virtual MTA or pool name",
            "name",
            allow_empty=True,
        )
        source["name"] = where
        found.append(source)
    if not allow_public:
        count4, count6 = network_policy.public_addresses(open_networks)
        if count4 > network_policy.PUBLIC_IPV4_LIMIT or count6 > network_policy.PUBLIC_IPV6_LIMIT:
            raise ValueError(
                "%ssources: the sources that relay without authentication cover %d public IPv4 and %d public IPv6 "
                "addresses together; at most %d IPv4 (a /24) and one IPv6 /64 may relay without an opt-in "
                "(set %ssources_allow_public: true if every client there may send mail through this host)"
                % (prefix, count4, count6, network_policy.PUBLIC_IPV4_LIMIT, prefix)
            )
    return found


def check_http_access(settings, prefix):
    found = []
    for where, entry in entries(settings, prefix, "http_access", ACCESS_KEYS, ("address", "level")):
        level = entry["level"]
        if not isinstance(level, str) or level not in ACCESS_LEVELS:
            raise ValueError("%s.level: must be one of %s, got %r" % (where, ", ".join(ACCESS_LEVELS), level))
        net = network(entry["address"], where + ".address", catch_all=level == "none")
        if level != "none" and not network_policy.is_loopback(net):
            raise ValueError(
                "%s.address: %r is not a loopback address; level %s lets anyone there reload or "
                "reconfigure PowerMTA (use 127.0.0.1 or ::1, or level none)" % (where, entry["address"], level)
            )
        found.append({"address": entry["address"], "level": level})
    return found


def check_exposure(listeners, users, sources, prefix):
    """A listener on a non-loopback address: clients log in or come from an allow-listed network,
    and no catch-all source serves it without authentication. Returns the exposed listeners."""
    exposed = [lst["listener"] for lst in listeners if not lst["loopback"]]
    if exposed:
        allow_list = [
            s
            for s in sources
            if s["always_allow_relaying"]
            and s["smtp_service"]
            and not s["catch_all"]
            and not network_policy.is_loopback(network(s["match"], s["name"]))
        ]
        if not users and not allow_list:
            raise ValueError(
                "%slisteners: %s is not a loopback address: define %ssmtp_users (clients must log "
                "in) or allow-list the client networks in %ssources (always_allow_relaying: true)"
                % (prefix, ", ".join(exposed), prefix, prefix)
            )
        for source in sources:
            if source["catch_all"] and not source["require_auth"] and source["smtp_service"]:
                raise ValueError(
                    "%s.match: the catch-all %s serves the non-loopback listener %s without "
                    "authentication; set require_auth: true or smtp_service: false"
                    % (source["name"], source["match"], exposed[0])
                )
    return exposed
