# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate and resolve smarthost relay settings: the public face of the settings layers.

Used through the ``egress.mail.relay_settings`` filter. ``resolve`` checks every key of the
settings; the rules live one concern per module:

* ``settings_values``: control characters and line separators refused in every value, booleans,
  the shapes of dicts and lists;
* ``net_values``: hosts and ports (one rule for every role);
* ``smarthost_settings``: the smarthost both roles share (preset, host, port, credentials, TLS,
  fallback relays, relay entries);
* ``postfix_settings``: the Postfix part (local settings, addresses, sender-dependent relays,
  SASL mechanisms, concurrency and message size limits).

Every error is a ValueError whose message starts with the full name of the offending variable
(``prefix + key``), so the user knows what to fix. Passwords are validated but never returned
and never quoted in messages. No input raises anything but ValueError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

# The names of the layers imported here are part of this module's public face (__all__).
from ansible_collections.egress.mail.plugins.module_utils.net_values import (
    nexthop,
    validate_host,
    validate_port,
)
from ansible_collections.egress.mail.plugins.module_utils.postfix_settings import (
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_INET_INTERFACES,
    DEFAULT_MAILBOX_SIZE_LIMIT,
    DEFAULT_MYNETWORKS,
    MAX_CONCURRENCY_LIMIT,
    MIN_MESSAGE_SIZE_LIMIT,
    SENDER_DEPENDENT_KEYS,
    check_address_settings,
    check_local_settings,
    check_postfix_settings,
    validate_address,
    validate_aliases,
    validate_canonical_map,
    validate_concurrency,
    validate_extra_config,
    validate_interfaces,
    validate_message_size_limit,
    validate_sasl_mechanisms,
    validate_sender,
)
from ansible_collections.egress.mail.plugins.module_utils.settings_values import (
    check_settings_dict,
    check_text,
    check_text_values,
    forbidden_character,
    to_bool,
)
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import (
    DEFAULT_CANDIDATE_PORTS,
    DEFAULT_PORT,
    DEFAULT_TLS_SECURITY_LEVEL,
    MAX_USERNAME_LENGTH,
    PLAINTEXT_TLS_LEVELS,
    RELAY_KEYS,
    TLS_LEVELS,
    WRAPPER_PORT,
    check_relay_entry,
    check_distinct_relays,
    check_same_tls_mode,
    resolve_smarthost,
    validate_ca_file,
    validate_password,
    validate_tls_level,
    validate_username,
)

__all__ = [
    "DEFAULT_CANDIDATE_PORTS",
    "DEFAULT_CONCURRENCY_LIMIT",
    "DEFAULT_INET_INTERFACES",
    "DEFAULT_MAILBOX_SIZE_LIMIT",
    "DEFAULT_MYNETWORKS",
    "DEFAULT_PORT",
    "DEFAULT_TLS_SECURITY_LEVEL",
    "MAX_CONCURRENCY_LIMIT",
    "MAX_USERNAME_LENGTH",
    "MIN_MESSAGE_SIZE_LIMIT",
    "PLAINTEXT_TLS_LEVELS",
    "RELAY_KEYS",
    "SENDER_DEPENDENT_KEYS",
    "SETTINGS_KEYS",
    "TLS_LEVELS",
    "WRAPPER_PORT",
    "apply_probed_ports",
    "check_address_settings",
    "check_local_settings",
    "check_postfix_settings",
    "check_relay_entry",
    "check_distinct_relays",
    "check_same_tls_mode",
    "check_settings_dict",
    "check_text",
    "check_text_values",
    "forbidden_character",
    "nexthop",
    "resolve",
    "resolve_smarthost",
    "to_bool",
    "validate_address",
    "validate_aliases",
    "validate_ca_file",
    "validate_canonical_map",
    "validate_concurrency",
    "validate_extra_config",
    "validate_host",
    "validate_interfaces",
    "validate_message_size_limit",
    "validate_password",
    "validate_port",
    "validate_sasl_mechanisms",
    "validate_sender",
    "validate_tls_level",
    "validate_username",
]

SETTINGS_KEYS = (
    RELAY_KEYS
    + (
        "password_set",
        "tls_security_level",
        "allow_plaintext",
        "sender_dependent",
        "tls_ca_file",
        "concurrency_limit",
        "sasl_mechanisms",
    )
    + (
        "myhostname",
        "myorigin",
        "root_forward",
        "sender_rewrite",
        "mynetworks",
        "mynetworks_allow_public",
        "inet_interfaces",
        "extra_config",
    )
    + (
        "fallback_relays",
        "sender_canonical",
        "recipient_canonical",
        "aliases",
        "strip_received_headers",
        "message_size_limit",
    )
)


def resolve(settings, prefix=""):
    """Validate relay settings and fill in provider presets.

    ``settings`` keys: host, port, provider, provider_region, username,
    password_set (or password), tls_security_level, allow_plaintext,
    sender_dependent, tls_ca_file. ``prefix`` is prepended to every key in
    error messages (e.g. ``postfix_relay_``).

    Returns a dict without any password: host, port, username, password_set,
    wrappermode, tls_security_level, allow_plaintext, tls_ca_file, provider,
    provider_region, candidate_ports, tls_wrapper_ports, sender_dependent
    (each with a ``nexthop``), concurrency_limit.
    """
    check_settings_dict(settings, prefix, "relay settings", "the relay settings")
    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError(
                "%s: unknown relay setting %r (valid: %s)" % (prefix + str(key), key, ", ".join(SETTINGS_KEYS))
            )
    for key in SETTINGS_KEYS:
        if key in settings:
            check_text_values(settings[key], prefix + key, (key,))

    smarthost = resolve_smarthost(settings, prefix)
    local = check_postfix_settings(settings, prefix, smarthost)
    main, preset, fallback_relays = smarthost["main"], smarthost["preset"], smarthost["fallback_relays"]
    sender_dependent = local["sender_dependent"]
    host, port = main["host"], main["port"]
    probe_hosts = ([host] if port == "auto" else []) + [e["host"] for e in sender_dependent if e["port"] == "auto"]
    probe_hosts += [r["host"] for r in fallback_relays if r["port"] == "auto"]
    wrapper_ports = set(main["tls_wrapper_ports"])
    for relay in fallback_relays:
        wrapper_ports.update(relay["tls_wrapper_ports"])

    return {
        "host": host,
        "port": port,
        "username": main["username"],
        "password_set": main["password_set"],
        "wrappermode": main["wrappermode"],
        "tls_security_level": smarthost["tls_security_level"],
        "allow_plaintext": smarthost["allow_plaintext"],
        "tls_ca_file": smarthost["tls_ca_file"],
        "provider": preset["name"] if preset else None,
        "provider_region": preset["region"] if preset else None,
        "candidate_ports": list(preset["ports"]) if preset else list(DEFAULT_CANDIDATE_PORTS),
        "tls_wrapper_ports": sorted(wrapper_ports),
        "sender_dependent": sender_dependent,
        "fallback_relays": fallback_relays,
        # Whether any relay logs in (the SASL password map and smtp_sasl_* are needed).
        "sasl_auth": any(r["username"] for r in [main] + fallback_relays + sender_dependent),
        "concurrency_limit": local["concurrency_limit"],
        "probe_hosts": sorted(set(probe_hosts)),
        "mynetworks": local["mynetworks"],
        "inet_interfaces": local["inet_interfaces"],
        "extra_config": local["extra_config"],
        "sender_canonical": local["sender_canonical"],
        "recipient_canonical": local["recipient_canonical"],
        "aliases": local["aliases"],
        "strip_received_headers": local["strip_received_headers"],
        "message_size_limit": local["message_size_limit"],
    }


def apply_probed_ports(relay, ports_by_host, implicit_tls_ports, prefix=""):
    """Fill in the ports of ``port: auto`` (the relay and every sender-dependent entry) from a probe.

    ``relay`` is what :func:`resolve` returned, ``ports_by_host`` the probe's
    ``recommended_by_host`` (host -> port or None), ``implicit_tls_ports`` the ports the probe
    treated as implicit TLS. Returns a new dict in which no port is ``auto`` and every
    ``nexthop`` is set; a host without a usable port is an error naming the variable.
    """
    if not isinstance(relay, Mapping) or not isinstance(ports_by_host, Mapping):
        raise ValueError("%sport: auto: the probe result must be a dict of host -> port" % prefix)
    if isinstance(implicit_tls_ports, (str, bytes)) or not isinstance(implicit_tls_ports, Sequence):
        raise ValueError("%sport: auto: the implicit TLS ports must be a list of ports" % prefix)
    implicit = [validate_port(p, prefix + "probe implicit TLS ports", allow_auto=False) for p in implicit_tls_ports]
    plaintext = relay.get("tls_security_level") in PLAINTEXT_TLS_LEVELS

    def probed(host, name):
        port = ports_by_host.get(host)
        if port is None or isinstance(port, bool):
            raise ValueError("%s: auto: no port of the probe is open with TLS on %s; set the port" % (name, host))
        port = validate_port(port, name, allow_auto=False)
        if plaintext and port in implicit:
            raise ValueError(
                "%s: auto: the probe chose port %d (implicit TLS), which cannot be combined with "
                "%stls_security_level %r" % (name, port, prefix, relay.get("tls_security_level"))
            )
        return port, port in implicit

    result = dict(relay)
    if relay.get("port") == "auto":
        result["port"], result["wrappermode"] = probed(relay["host"], prefix + "port")
    for key in ("sender_dependent", "fallback_relays"):
        entries = []
        for entry in relay.get(key) or []:
            entry = dict(entry)
            if entry.get("port") == "auto":
                name = "%s%s[%s].port" % (prefix, key, entry.get("index"))
                entry["port"], entry["wrappermode"] = probed(entry["host"], name)
            entry["nexthop"] = nexthop(entry["host"], entry["port"])
            entries.append(entry)
        result[key] = entries
    check_distinct_relays(result, result["fallback_relays"], prefix)
    check_same_tls_mode(result, result["fallback_relays"], prefix)
    result["probe_hosts"] = []
    return result
