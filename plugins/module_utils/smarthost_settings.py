# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The smarthost part of the relay settings, shared by the Postfix and PowerMTA roles.

A smarthost is a provider preset, a host, a port, the credentials (a user name and password
pair) and a TLS mode: STARTTLS or implicit TLS (wrapper mode: port 465 or a preset's
TLS-wrapper port). ``check_relay_entry`` checks one entry of a list of relays,
``resolve_smarthost`` the main relay, the TLS level and the fallback relays.

Errors are ValueErrors naming the variable first; a password is checked, never returned or quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.egress.mail.plugins.module_utils.net_values import (
    nexthop,
    same_host_key,
    validate_host,
    validate_port,
)
from ansible_collections.egress.mail.plugins.module_utils.providers import PRESETS, get_preset, provider_names
from ansible_collections.egress.mail.plugins.module_utils.settings_values import (
    check_entry,
    check_text_values,
    check_token,
    entry_list,
    has_control,
    has_newline,
    is_unset,
    require_str,
    to_bool,
)

RELAY_KEYS = ("host", "port", "provider", "provider_region", "username", "password")
TLS_LEVELS = ("encrypt", "verify", "secure", "may", "none")
PLAINTEXT_TLS_LEVELS = ("may", "none")
DEFAULT_PORT = 587
DEFAULT_TLS_SECURITY_LEVEL = "encrypt"
DEFAULT_CANDIDATE_PORTS = [587, 2525, 465]
WRAPPER_PORT = 465
MAX_USERNAME_LENGTH = 256


def validate_username(value, name):
    """Validate a SASL user name (never echoed in messages)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be a string (quote it in YAML), got %s" % (name, type(value).__name__))
    if value == "":
        raise ValueError("%s: is empty" % name)
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValueError("%s: is longer than %d characters" % (name, MAX_USERNAME_LENGTH))
    check_token(value, name, "the user name")
    if "," in value:
        raise ValueError("%s: the user name contains a comma" % name)
    if ":" in value:
        raise ValueError(
            "%s: the user name contains ':', which cannot be stored in a SASL password map (user:password)" % name
        )
    return value


def validate_password(value, name):
    """Validate a password. Any printable character is allowed (space, ':', '#', '$', '%', ...).

    Refuses non-strings, the empty string, newlines and other control characters.
    The message never contains the password. Returns the password unchanged.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be a string (quote it in YAML), got %s" % (name, type(value).__name__))
    if value == "":
        raise ValueError("%s: is empty" % name)
    if has_newline(value):
        raise ValueError("%s: contains a newline (check for a trailing line break from a file or vault)" % name)
    if has_control(value):
        raise ValueError("%s: contains a control character or line separator" % name)
    if value[0].isspace() or value[-1].isspace():
        raise ValueError(
            "%s: starts or ends with whitespace, which the configuration file cannot keep "
            "(postmap and PowerMTA strip it): the login would fail (remove it, or fix the vault or file it comes from)"
            % name
        )
    return value


def validate_tls_level(value, name):
    if not isinstance(value, str):
        raise ValueError("%s: must be one of %s" % (name, ", ".join(TLS_LEVELS)))
    level = value.strip().lower()
    if level not in TLS_LEVELS:
        raise ValueError("%s: %r is not one of %s" % (name, value, ", ".join(TLS_LEVELS)))
    return level


def validate_ca_file(value, name):
    require_str(value, name, "a file path")
    check_token(value, name, "the path")
    if not value.startswith("/"):
        raise ValueError("%s: %r must be an absolute path" % (name, value))
    if "," in value:
        raise ValueError("%s: %r contains a comma" % (name, value))
    return value


def wrappermode(port, preset):
    """Implicit TLS: port 465, or one of the preset's TLS-wrapper ports."""
    if port == "auto":
        return False
    if port == WRAPPER_PORT:
        return True
    return bool(preset) and port in preset.get("tls_wrapper_ports", [])


def check_wrapper_level(relay, name, prefix, tls_level):
    """An entry on an implicit-TLS port cannot go with a plaintext TLS level."""
    if relay["wrappermode"] and tls_level in PLAINTEXT_TLS_LEVELS:
        raise ValueError(
            "%s.port: port %s uses implicit TLS (wrappermode), which cannot be combined with "
            "%stls_security_level %r" % (name, relay["port"], prefix, tls_level)
        )


def credentials(username, password, password_set, names, hint=None):
    """Check that user name and password come as a pair; returns password_set."""
    user_name, pass_name = names
    if password is not None and not is_unset(password):
        validate_password(password, pass_name)
        password_set = True
    if username is not None and not password_set:
        raise ValueError("%s: is required when %s is set" % (pass_name, user_name) + (" (%s)" % hint if hint else ""))
    if username is None and password_set:
        raise ValueError(
            "%s: is empty but %s is set; the relay needs both" % (user_name, pass_name)
            + (" (user name: %s)" % hint if hint else "")
        )
    return password_set


def _preset(entry, var):
    provider = entry.get("provider")
    region = entry.get("provider_region")
    if not is_unset(provider):
        if not isinstance(provider, str) or provider.strip().lower() not in PRESETS:
            raise ValueError(
                "%s: unknown provider %r; valid providers: %s"
                % (var("provider"), provider, ", ".join(provider_names()))
            )
        if not is_unset(region):
            require_str(region, var("provider_region"), "a region name")
        try:
            return get_preset(provider, None if is_unset(region) else region)
        except ValueError as exc:
            raise ValueError("%s: %s" % (var("provider_region"), exc))
    if not is_unset(region):
        raise ValueError("%s: is set but %s is empty" % (var("provider_region"), var("provider")))
    return None


def check_relay(entry, var, password_set=False, default_port=None):
    """The checks of one smarthost (the main relay and every entry of a relay list): see check_relay_entry.

    Returns (result, preset); ``var(key)`` names the variable of a key in messages.
    """
    preset = _preset(entry, var)

    # Host.
    if not is_unset(entry.get("host")):
        host = validate_host(entry["host"], var("host"))
    elif preset:
        host = preset["host"]
    else:
        raise ValueError(
            "%s: is required (or set %s to use a provider preset: %s)"
            % (var("host"), var("provider"), ", ".join(provider_names()))
        )

    # Port.
    if not is_unset(entry.get("port")):
        port = validate_port(entry["port"], var("port"))
    elif preset:
        port = preset["port"]
    else:
        port = default_port or DEFAULT_PORT

    # Credentials.
    hint = preset["username_hint"] if preset else None
    if not is_unset(entry.get("username")):
        username = validate_username(entry["username"], var("username"))
    elif preset and preset.get("username"):
        username = preset["username"]
    else:
        username = None
    if (
        is_unset(entry.get("username"))
        and username is not None
        and not password_set
        and is_unset(entry.get("password"))
    ):
        raise ValueError(
            "%s: is required: provider '%s' authenticates as %r (%s)"
            % (var("password"), preset["name"], username, hint)
        )
    password_set = credentials(username, entry.get("password"), password_set, (var("username"), var("password")), hint)
    if preset and preset.get("auth_required") and username is None:
        raise ValueError(
            "%s: provider '%s' requires SMTP AUTH; set %s (%s) and %s"
            % (var("username"), preset["name"], var("username"), hint, var("password"))
        )
    return {
        "host": host,
        "port": port,
        # Filled in by apply_probed_ports() when the port is probed (auto).
        "nexthop": None if port == "auto" else nexthop(host, port),
        "username": username,
        "password_set": password_set,
        "wrappermode": wrappermode(port, preset),
        "provider": preset["name"] if preset else None,
        "provider_region": preset["region"] if preset else None,
        "candidate_ports": list(preset["ports"]) if preset else list(DEFAULT_CANDIDATE_PORTS),
        "tls_wrapper_ports": sorted(set([WRAPPER_PORT] + (list(preset["tls_wrapper_ports"]) if preset else []))),
        "max_connections": preset.get("max_connections") if preset else None,
        "max_message_size": preset.get("max_message_size") if preset else None,
    }, preset


def check_relay_entry(entry, name, default_port=None):
    """Check one smarthost of a list of relays: the one definition both roles use.

    ``entry`` is a dict with the keys of ``RELAY_KEYS``: ``host`` (required unless ``provider``
    gives it), ``port`` (1-65535 or ``auto``; default the preset's port, else ``default_port``,
    else 587), ``provider`` and ``provider_region`` (a preset, as for the main relay),
    ``username`` and ``password`` (a pair; a preset's fixed user name counts). ``name`` is the
    entry's variable name (``postfix_relay_fallback_relays[0]``); every error is a ValueError
    naming ``name.key`` and never quoting the password.

    Returns a dict without the password: host, port (an int, or ``auto``), nexthop (Postfix
    ``[host]:port``, None while the port is ``auto``), username (None without login),
    password_set, wrappermode (implicit TLS: port 465 or a preset's TLS-wrapper port), provider,
    provider_region, candidate_ports, tls_wrapper_ports, max_connections and max_message_size
    (the preset's documented limits, or None).
    """
    check_entry(entry, name, RELAY_KEYS)
    check_text_values(entry, name)
    result, dummy = check_relay(entry, lambda key: "%s.%s" % (name, key), default_port=default_port)
    return result


def resolve_fallback_relays(value, prefix, main, tls_level):
    """<prefix>fallback_relays: relays tried in order after the main one (see resolve)."""
    name = prefix + "fallback_relays"
    result = []
    for index, entry in enumerate(entry_list(value, name, RELAY_KEYS)):
        ename = "%s[%d]" % (name, index)
        relay = check_relay_entry(entry, ename, default_port=main["port"])
        relay["index"] = index
        check_wrapper_level(relay, ename, prefix, tls_level)
        result.append(relay)
    check_distinct_relays(main, result, prefix)
    check_same_tls_mode(main, result, prefix)
    return result


def check_distinct_relays(main, fallbacks, prefix):
    """Each relay of the list once: one login per [host]:port.

    Hosts are compared in one spelling each (same_host_key). ``auto`` counts as one port: the
    probe chooses one port per host, so two entries of one host
    with port ``auto`` always end on the same [host]:port. An ``auto`` entry and a fixed port of
    the same host are checked again once the probe chose the port (apply_probed_ports).
    """
    seen = {(same_host_key(main["host"]), main["port"]): prefix + "host"}
    for relay in fallbacks:
        key = (same_host_key(relay["host"]), relay["port"])
        ename = "%sfallback_relays[%d]" % (prefix, relay["index"])
        if key in seen:
            raise ValueError(
                "%s: %s is already the relay of %s (each relay once: one login per [host]:port)"
                % (ename, nexthop(relay["host"], relay["port"]), seen[key])
            )
        seen[key] = ename


def check_same_tls_mode(main, fallbacks, prefix):
    """Every relay of the list is reached by one Postfix transport, so all share one TLS mode.

    A relay whose port is still ``auto`` is checked once the probe chose it (apply_probed_ports).
    """
    known = [(prefix + "port", main)] + [("%sfallback_relays[%d].port" % (prefix, r["index"]), r) for r in fallbacks]
    known = [(name, r) for name, r in known if r["port"] != "auto"]
    for name, relay in known[1:]:
        first_name, first = known[0]
        if relay["wrappermode"] != first["wrappermode"]:
            raise ValueError(
                "%s: port %s uses %s but %s (port %s) uses %s; the relays are tried in one delivery "
                "through one Postfix transport, so all of them need the same TLS mode (give a port "
                "of the same kind)" % (name, relay["port"], _mode(relay), first_name, first["port"], _mode(first))
            )


def _mode(relay):
    return "implicit TLS" if relay["wrappermode"] else "STARTTLS"


def resolve_smarthost(settings, prefix):
    """The main relay, its TLS level and the fallback relays of ``settings`` (see relay_settings.resolve).

    Returns a dict: main (check_relay's result), preset, tls_security_level, allow_plaintext,
    tls_ca_file, fallback_relays.
    """

    def var(key):
        return prefix + key

    main, preset = check_relay(settings, var, to_bool(settings.get("password_set"), var("password_set")))
    allow_plaintext = to_bool(settings.get("allow_plaintext"), var("allow_plaintext"))
    if is_unset(settings.get("tls_security_level")):
        tls_level = DEFAULT_TLS_SECURITY_LEVEL
    else:
        tls_level = validate_tls_level(settings["tls_security_level"], var("tls_security_level"))
    fallback_relays = resolve_fallback_relays(settings.get("fallback_relays"), prefix, main, tls_level)
    if tls_level in PLAINTEXT_TLS_LEVELS:
        if main["wrappermode"]:
            raise ValueError(
                "%s: %r cannot be used with port %s, which uses implicit TLS (wrappermode); "
                "use encrypt, verify or secure" % (var("tls_security_level"), tls_level, main["port"])
            )
        if not allow_plaintext:
            raise ValueError(
                "%s: %r lets mail%s travel in clear text; set %s: true to opt in"
                % (
                    var("tls_security_level"),
                    tls_level,
                    " and the password"
                    if main["password_set"] or any(r["password_set"] for r in fallback_relays)
                    else "",
                    var("allow_plaintext"),
                )
            )
    tls_ca_file = None
    if not is_unset(settings.get("tls_ca_file")):
        tls_ca_file = validate_ca_file(settings["tls_ca_file"], var("tls_ca_file"))
    return {
        "main": main,
        "preset": preset,
        "tls_security_level": tls_level,
        "allow_plaintext": allow_plaintext,
        "tls_ca_file": tls_ca_file,
        "fallback_relays": fallback_relays,
    }
