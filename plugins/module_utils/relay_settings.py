# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate and resolve smarthost relay settings.

Shared by the Postfix and PowerMTA roles (through the ``egress.mail.relay_settings``
filter). Every error is a ValueError whose message starts with the full name of
the offending variable (``prefix + key``), so the user knows what to fix.
Passwords are validated but never returned and never quoted in messages.

Every string of the settings (keys and values, nested ones too) is first checked for control
characters and line separators in one place (``check_text_values``); each value is then
type-checked and matched as a whole (``fullmatch``). No input raises anything but ValueError.
The Postfix-side checks (addresses, networks, listening addresses, ``extra_config``) return
the canonical values the role writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import unicodedata

from collections.abc import Mapping, Sequence

from ansible_collections.egress.mail.plugins.module_utils import network_policy, postfix_parameters
from ansible_collections.egress.mail.plugins.module_utils.mail_address import (
    check_address,
    check_domain,
    check_local_part,
)
from ansible_collections.egress.mail.plugins.module_utils.postconf import PostconfError, format_value
from ansible_collections.egress.mail.plugins.module_utils.providers import PRESETS, get_preset, provider_names

SETTINGS_KEYS = (
    (
        "host",
        "port",
        "provider",
        "provider_region",
        "username",
        "password",
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
SENDER_DEPENDENT_KEYS = ("sender", "host", "port", "username", "password")
TLS_LEVELS = ("encrypt", "verify", "secure", "may", "none")
PLAINTEXT_TLS_LEVELS = ("may", "none")
DEFAULT_PORT = 587
DEFAULT_TLS_SECURITY_LEVEL = "encrypt"
DEFAULT_CANDIDATE_PORTS = [587, 2525, 465]
WRAPPER_PORT = 465
# Parallel connections to one relay. With TLS connection reuse a few connections carry the
# whole load (bench/throughput_bench.py measured 4, 8 and 20 within noise of each other), and
# fewer connections mean fewer handshakes and logins at the provider, which may cap them.
DEFAULT_CONCURRENCY_LIMIT = 10
MAX_CONCURRENCY_LIMIT = 100
MAX_USERNAME_LENGTH = 256
# What the Postfix role writes when the caller gives no mynetworks / inet_interfaces.
DEFAULT_MYNETWORKS = ("127.0.0.0/8", "[::1]/128")
DEFAULT_INET_INTERFACES = "loopback-only"

_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_TRUE_STRINGS = ("yes", "true", "on", "1", "y")
_FALSE_STRINGS = ("no", "false", "off", "0", "n", "")
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
# Unicode categories refused in every value: control (Cc: C0, DEL and C1, so \t \n \r \v \f
# \x1c-\x1e and \x85, every line break of Python's str.splitlines() but two), format (Cf:
# zero-width and bidi controls that hide text), surrogates (Cs), line and paragraph separators
# (Zl, Zp: U+2028, U+2029, the other two).
_FORBIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def _is_unset(value):
    """None, an empty or blank string count as 'not set'."""
    if value is None:
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    return False


def forbidden_character(ch):
    """True for a character refused in every value (see _FORBIDDEN_CATEGORIES); pmta_settings uses it too."""
    return unicodedata.category(ch) in _FORBIDDEN_CATEGORIES


def _has_control(value):
    return any(forbidden_character(ch) for ch in value)


def check_text(value, name, secret=False):
    """Refuse a string holding a newline, a control or format character or a line separator.

    The message names the variable and, unless ``secret``, the code point; it never quotes
    the value.
    """
    for ch in value:
        if ch in "\n\r":
            raise ValueError(
                "%s: contains a newline%s"
                % (name, " (check for a trailing line break from a file or vault)" if secret else "")
            )
        if forbidden_character(ch):
            if secret:
                raise ValueError("%s: contains a control character or line separator" % name)
            raise ValueError(
                "%s: contains a control character or line separator (U+%04X), refused in every "
                "value written to a configuration file" % (name, ord(ch))
            )
    return value


def _is_secret(path):
    return path and path[-1] == "password"


def check_text_values(value, name, path=()):
    """``check_text`` on every string in ``value`` (dict keys too), nested lists and dicts included.

    A key of a dict is never quoted in the message (it could be anything); values of a key
    ``password`` are treated as secrets.
    """
    if isinstance(value, str):
        check_text(value, name, secret=_is_secret(path))
    elif isinstance(value, Mapping):
        for key in value:
            if isinstance(key, str):
                check_text(key, "%s (a key)" % name)
            sub = key if isinstance(key, str) else str(key)
            check_text_values(value[key], "%s.%s" % (name, sub), path + (sub,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_text_values(item, "%s[%d]" % (name, index), path + (index,))


def _require_str(value, name, what):
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be %s (a string), got %s" % (name, what, type(value).__name__))
    return value


def _has_newline(value):
    return "\n" in value or "\r" in value


def _check_text(value, name, what):
    """Common checks for short single-token strings (host names, user names)."""
    if _has_newline(value):
        raise ValueError("%s: %s contains a newline" % (name, what))
    if _has_control(value):
        raise ValueError("%s: %s contains a control character or line separator" % (name, what))
    if any(ch.isspace() for ch in value):
        raise ValueError("%s: %s contains whitespace" % (name, what))


def to_bool(value, name):
    """Interpret a boolean setting strictly (bool, or yes/no/true/false strings)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_STRINGS:
        return False
    raise ValueError("%s: must be a boolean (true or false), got %r" % (name, value))


def _validate_ipv4(value, name):
    parts = value.split(".")
    if len(parts) != 4:
        raise ValueError("%s: %r is not a valid IPv4 address (need four dot-separated numbers)" % (name, value))
    for part in parts:
        if not _DIGITS_RE.fullmatch(part) or int(part) > 255 or (len(part) > 1 and part[0] == "0"):
            raise ValueError("%s: %r is not a valid IPv4 address" % (name, value))
    return value


def _validate_dns_name(value, name, what="host name"):
    """Validate an RFC 1123 host name; returns it lower-cased without a trailing dot."""
    _require_str(value, name, "a %s" % what)
    _check_text(value, name, "the %s" % what)
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
    _check_text(value, name, "the host")
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
        return _validate_ipv4(value, name)
    return _validate_dns_name(value, name)


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
        if not _DIGITS_RE.fullmatch(text):
            raise ValueError(
                "%s: %r is not a port number (1-65535)%s" % (name, value, " or 'auto'" if allow_auto else "")
            )
        port = int(text)
    else:
        raise ValueError(
            "%s: must be a port number (1-65535)%s, got %s"
            % (name, " or 'auto'" if allow_auto else "", type(value).__name__)
        )
    if port < 1 or port > 65535:
        raise ValueError("%s: %d is out of range (1-65535)" % (name, port))
    return port


def validate_username(value, name):
    """Validate a SASL user name (never echoed in messages)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be a string (quote it in YAML), got %s" % (name, type(value).__name__))
    if value == "":
        raise ValueError("%s: is empty" % name)
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValueError("%s: is longer than %d characters" % (name, MAX_USERNAME_LENGTH))
    _check_text(value, name, "the user name")
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
    if _has_newline(value):
        raise ValueError("%s: contains a newline (check for a trailing line break from a file or vault)" % name)
    if _has_control(value):
        raise ValueError("%s: contains a control character or line separator" % name)
    if value[0].isspace() or value[-1].isspace():
        raise ValueError(
            "%s: starts or ends with whitespace, which the configuration file cannot keep "
            "(postmap and PowerMTA strip it): the login would fail (remove it, or fix the vault or file it comes from)"
            % name
        )
    return value


def validate_sender(value, name):
    """Validate a sender-dependent lookup key: user@domain or @domain (mail_address rule)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be an address string (user@domain or @domain)" % name)
    if value.strip() == "":
        raise ValueError("%s: is empty" % name)
    _check_text(value, name, "the sender")
    if "," in value:
        raise ValueError("%s: %r contains a comma (one sender per entry)" % (name, value))
    return check_address(value, name, "sender")


def validate_tls_level(value, name):
    if not isinstance(value, str):
        raise ValueError("%s: must be one of %s" % (name, ", ".join(TLS_LEVELS)))
    level = value.strip().lower()
    if level not in TLS_LEVELS:
        raise ValueError("%s: %r is not one of %s" % (name, value, ", ".join(TLS_LEVELS)))
    return level


def validate_ca_file(value, name):
    _require_str(value, name, "a file path")
    _check_text(value, name, "the path")
    if not value.startswith("/"):
        raise ValueError("%s: %r must be an absolute path" % (name, value))
    if "," in value:
        raise ValueError("%s: %r contains a comma" % (name, value))
    return value


def _wrappermode(port, preset):
    if port == "auto":
        return False
    if port == WRAPPER_PORT:
        return True
    return bool(preset) and port in preset.get("tls_wrapper_ports", [])


def _credentials(username, password, password_set, names, hint=None):
    """Check that user name and password come as a pair; returns password_set."""
    user_name, pass_name = names
    if password is not None and not _is_unset(password):
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


def nexthop(host, port):
    """Postfix next-hop syntax: brackets suppress MX lookups; IPv6 literals carry ``ipv6:``."""
    return "[%s%s]:%s" % ("ipv6:" if ":" in host else "", host, port)


def validate_concurrency(value, name, preset=None):
    """Concurrent connections to the relay: 1 to 100, at most what the provider allows."""
    limit = (preset.get("max_connections") if preset else None) or 0
    if _is_unset(value):
        return limit or DEFAULT_CONCURRENCY_LIMIT
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and _DIGITS_RE.fullmatch(value))
    ):
        raise ValueError("%s: %r is not a whole number of connections (1 to %d)" % (name, value, MAX_CONCURRENCY_LIMIT))
    value = int(value)
    if not 1 <= value <= MAX_CONCURRENCY_LIMIT:
        raise ValueError("%s: %d is out of range (1 to %d)" % (name, value, MAX_CONCURRENCY_LIMIT))
    if limit and value > limit:
        raise ValueError(
            "%s: %d is more than provider '%s' allows (%d concurrent connections; more are "
            "refused with a temporary error and delay mail)" % (name, value, preset["name"], limit)
        )
    return value


_MECHANISM_RE = re.compile(r"!?[A-Za-z0-9*?_.:/-]+", re.ASCII)


def validate_sasl_mechanisms(value, name):
    """smtp_sasl_mechanism_filter entries: one mechanism name or pattern each (plain, !gssapi)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValueError("%s: must be a non-empty list of mechanism names such as plain, login" % name)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _MECHANISM_RE.fullmatch(item):
            raise ValueError(
                "%s[%d]: %r is not one mechanism name or pattern (plain, login, !gssapi, ...): "
                "no whitespace, line breaks, quotes or backslashes" % (name, index, item)
            )
    return list(value)


def _resolve_sender_dependent(value, prefix, default_port, tls_level, preset):
    name = prefix + "sender_dependent"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return []
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise ValueError("%s: must be a list of dicts (keys: %s)" % (name, ", ".join(SENDER_DEPENDENT_KEYS)))
    result = []
    seen = {}
    for index, entry in enumerate(value):
        ename = "%s[%d]" % (name, index)
        if not isinstance(entry, Mapping):
            raise ValueError("%s: must be a dict (keys: %s)" % (ename, ", ".join(SENDER_DEPENDENT_KEYS)))
        for key in sorted(entry, key=str):
            if key not in SENDER_DEPENDENT_KEYS:
                raise ValueError(
                    "%s: unknown key '%s' (valid keys: %s)" % (ename, key, ", ".join(SENDER_DEPENDENT_KEYS))
                )
        if _is_unset(entry.get("sender")):
            raise ValueError("%s.sender: is required (user@domain or @domain)" % ename)
        sender = validate_sender(entry["sender"], ename + ".sender")
        if sender.lower() in seen:
            raise ValueError("%s.sender: %r is already used by %s[%d]" % (ename, sender, name, seen[sender.lower()]))
        seen[sender.lower()] = index
        if _is_unset(entry.get("host")):
            raise ValueError("%s.host: is required" % ename)
        host = validate_host(entry["host"], ename + ".host")
        if _is_unset(entry.get("port")):
            port = default_port
        else:
            port = validate_port(entry["port"], ename + ".port")
        username = None
        if not _is_unset(entry.get("username")):
            username = validate_username(entry["username"], ename + ".username")
        password_set = _credentials(username, entry.get("password"), False, (ename + ".username", ename + ".password"))
        # The main preset's implicit-TLS ports apply only to an entry for the preset's own host.
        entry_preset = preset if preset and host == preset["host"] else None
        wrappermode = _wrappermode(port, entry_preset)
        if wrappermode and tls_level in PLAINTEXT_TLS_LEVELS:
            raise ValueError(
                "%s.port: port %s uses implicit TLS (wrappermode), which cannot be combined with "
                "%stls_security_level %r" % (ename, port, prefix, tls_level)
            )
        result.append(
            {
                "index": index,
                "sender": sender,
                "host": host,
                "port": port,
                # Filled in by apply_probed_ports() when the port is probed (auto).
                "nexthop": None if port == "auto" else nexthop(host, port),
                "username": username,
                "password_set": password_set,
                "wrappermode": wrappermode,
            }
        )
    return result


RELAY_KEYS = ("host", "port", "provider", "provider_region", "username", "password")


def _check_relay(entry, var, password_set=False, default_port=None):
    """The checks of one smarthost (the main relay and every entry of a relay list): see check_relay_entry.

    Returns (result, preset); ``var(key)`` names the variable of a key in messages.
    """
    # Provider preset.
    preset = None
    provider = entry.get("provider")
    region = entry.get("provider_region")
    if not _is_unset(provider):
        if not isinstance(provider, str) or provider.strip().lower() not in PRESETS:
            raise ValueError(
                "%s: unknown provider %r; valid providers: %s"
                % (var("provider"), provider, ", ".join(provider_names()))
            )
        if not _is_unset(region):
            _require_str(region, var("provider_region"), "a region name")
        try:
            preset = get_preset(provider, None if _is_unset(region) else region)
        except ValueError as exc:
            raise ValueError("%s: %s" % (var("provider_region"), exc))
    elif not _is_unset(region):
        raise ValueError("%s: is set but %s is empty" % (var("provider_region"), var("provider")))

    # Host.
    if not _is_unset(entry.get("host")):
        host = validate_host(entry["host"], var("host"))
    elif preset:
        host = preset["host"]
    else:
        raise ValueError(
            "%s: is required (or set %s to use a provider preset: %s)"
            % (var("host"), var("provider"), ", ".join(provider_names()))
        )

    # Port.
    if not _is_unset(entry.get("port")):
        port = validate_port(entry["port"], var("port"))
    elif preset:
        port = preset["port"]
    else:
        port = default_port or DEFAULT_PORT
    wrappermode = _wrappermode(port, preset)

    # Credentials.
    hint = preset["username_hint"] if preset else None
    if not _is_unset(entry.get("username")):
        username = validate_username(entry["username"], var("username"))
    elif preset and preset.get("username"):
        username = preset["username"]
    else:
        username = None
    if (
        _is_unset(entry.get("username"))
        and username is not None
        and not password_set
        and _is_unset(entry.get("password"))
    ):
        raise ValueError(
            "%s: is required: provider '%s' authenticates as %r (%s)"
            % (var("password"), preset["name"], username, hint)
        )
    password_set = _credentials(username, entry.get("password"), password_set, (var("username"), var("password")), hint)
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
        "wrappermode": wrappermode,
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
    if not isinstance(entry, Mapping):
        raise ValueError("%s: must be a dict (keys: %s)" % (name, ", ".join(RELAY_KEYS)))
    for key in sorted(entry, key=str):
        if key not in RELAY_KEYS:
            raise ValueError("%s: unknown key '%s' (valid keys: %s)" % (name, key, ", ".join(RELAY_KEYS)))
    check_text_values(entry, name)
    result, dummy = _check_relay(entry, lambda key: "%s.%s" % (name, key), default_port=default_port)
    return result


def _resolve_fallback_relays(value, prefix, main, tls_level):
    """postfix_relay_fallback_relays: relays tried in order after the main one (see resolve)."""
    name = prefix + "fallback_relays"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return []
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise ValueError("%s: must be a list of dicts (keys: %s)" % (name, ", ".join(RELAY_KEYS)))
    result = []
    seen = {} if main["port"] == "auto" else {(main["host"], main["port"]): prefix + "host"}
    for index, entry in enumerate(value):
        ename = "%s[%d]" % (name, index)
        relay = check_relay_entry(entry, ename, default_port=main["port"])
        relay["index"] = index
        key = (relay["host"], relay["port"])
        if relay["port"] != "auto" and key in seen:
            raise ValueError(
                "%s: %s is already the relay of %s (each relay once: one login per [host]:port)"
                % (ename, relay["nexthop"], seen[key])
            )
        seen[key] = ename
        if relay["wrappermode"] and tls_level in PLAINTEXT_TLS_LEVELS:
            raise ValueError(
                "%s.port: port %s uses implicit TLS (wrappermode), which cannot be combined with "
                "%stls_security_level %r" % (ename, relay["port"], prefix, tls_level)
            )
        result.append(relay)
    check_same_tls_mode(main, result, prefix)
    return result


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
    if not isinstance(prefix, str):
        raise ValueError("relay settings: the variable prefix must be a string")
    if not isinstance(settings, Mapping):
        raise ValueError("%s*: the relay settings must be a dict, got %s" % (prefix, type(settings).__name__))

    def var(key):
        return prefix + key

    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError(
                "%s: unknown relay setting %r (valid: %s)" % (var(str(key)), key, ", ".join(SETTINGS_KEYS))
            )
    for key in SETTINGS_KEYS:
        if key in settings:
            check_text_values(settings[key], var(key), (key,))

    main, preset = _check_relay(settings, var, to_bool(settings.get("password_set"), var("password_set")))
    host, port, username = main["host"], main["port"], main["username"]
    password_set, wrappermode = main["password_set"], main["wrappermode"]

    # TLS.
    allow_plaintext = to_bool(settings.get("allow_plaintext"), var("allow_plaintext"))
    if _is_unset(settings.get("tls_security_level")):
        tls_level = DEFAULT_TLS_SECURITY_LEVEL
    else:
        tls_level = validate_tls_level(settings["tls_security_level"], var("tls_security_level"))
    fallback_relays = _resolve_fallback_relays(settings.get("fallback_relays"), prefix, main, tls_level)
    if tls_level in PLAINTEXT_TLS_LEVELS:
        if wrappermode:
            raise ValueError(
                "%s: %r cannot be used with port %s, which uses implicit TLS (wrappermode); "
                "use encrypt, verify or secure" % (var("tls_security_level"), tls_level, port)
            )
        if not allow_plaintext:
            raise ValueError(
                "%s: %r lets mail%s travel in clear text; set %s: true to opt in"
                % (
                    var("tls_security_level"),
                    tls_level,
                    " and the password" if password_set or any(r["password_set"] for r in fallback_relays) else "",
                    var("allow_plaintext"),
                )
            )
    tls_ca_file = None
    if not _is_unset(settings.get("tls_ca_file")):
        tls_ca_file = validate_ca_file(settings["tls_ca_file"], var("tls_ca_file"))

    sender_dependent = _resolve_sender_dependent(settings.get("sender_dependent"), prefix, port, tls_level, preset)
    # One concurrency limit covers every relay of the list: the lowest documented provider limit.
    relays = [main] + fallback_relays
    capped = sorted((r for r in relays if r["max_connections"]), key=lambda r: r["max_connections"])
    concurrency_limit = validate_concurrency(
        settings.get("concurrency_limit"),
        var("concurrency_limit"),
        {"max_connections": capped[0]["max_connections"], "name": capped[0]["provider"]} if capped else None,
    )
    if "sasl_mechanisms" in settings:
        validate_sasl_mechanisms(settings["sasl_mechanisms"], var("sasl_mechanisms"))
    local = check_local_settings(settings, prefix)
    message_size_limit = validate_message_size_limit(
        settings.get("message_size_limit"), var("message_size_limit"), relays, local["extra_config"], prefix
    )
    probe_hosts = ([host] if port == "auto" else []) + [e["host"] for e in sender_dependent if e["port"] == "auto"]
    probe_hosts += [r["host"] for r in fallback_relays if r["port"] == "auto"]
    wrapper_ports = set(main["tls_wrapper_ports"])
    for relay in fallback_relays:
        wrapper_ports.update(relay["tls_wrapper_ports"])

    return {
        "host": host,
        "port": port,
        "username": username,
        "password_set": password_set,
        "wrappermode": wrappermode,
        "tls_security_level": tls_level,
        "allow_plaintext": allow_plaintext,
        "tls_ca_file": tls_ca_file,
        "provider": preset["name"] if preset else None,
        "provider_region": preset["region"] if preset else None,
        "candidate_ports": list(preset["ports"]) if preset else list(DEFAULT_CANDIDATE_PORTS),
        "tls_wrapper_ports": sorted(wrapper_ports),
        "sender_dependent": sender_dependent,
        "fallback_relays": fallback_relays,
        # Whether any relay logs in (the SASL password map and smtp_sasl_* are needed).
        "sasl_auth": any(r["username"] for r in relays + sender_dependent),
        "concurrency_limit": concurrency_limit,
        "probe_hosts": sorted(set(probe_hosts)),
        "mynetworks": local["mynetworks"],
        "inet_interfaces": local["inet_interfaces"],
        "extra_config": local["extra_config"],
        "sender_canonical": local["sender_canonical"],
        "recipient_canonical": local["recipient_canonical"],
        "aliases": local["aliases"],
        "strip_received_headers": local["strip_received_headers"],
        "message_size_limit": message_size_limit,
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
    check_same_tls_mode(result, result["fallback_relays"], prefix)
    result["probe_hosts"] = []
    return result


def validate_address(value, name):
    """A full mail address local@domain (no display name, no list): the mail_address rule."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be an address local@domain (a string), got %s" % (name, type(value).__name__))
    _check_text(value, name, "the address")
    if "," in value:
        raise ValueError("%s: %r contains a comma (one address)" % (name, value))
    return check_address(value, name, "address")


def validate_interfaces(value, name):
    """inet_interfaces: ``all``, ``loopback-only``, or IP addresses and host names.

    A string (items separated by commas and/or spaces) or a list. Returns the canonical
    spelling: the keyword alone, or the items joined with ``, `` (IPv6 addresses compressed, in
    the brackets they were given with, if any).
    """
    if isinstance(value, str):
        items = [item for item in re.split(r"[,\s]+", value) if item]
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError("%s: must be all, loopback-only or a list of addresses, got %s" % (name, type(value).__name__))
    if not items or "" in items:
        raise ValueError("%s: must be all, loopback-only or a list of addresses" % name)
    if any(item in ("all", "loopback-only") for item in items):
        if len(items) != 1:
            raise ValueError("%s: all and loopback-only stand alone, not in a list with other items" % name)
        return items[0]
    canonical = []
    for index, item in enumerate(items):
        iname = "%s[%d]" % (name, index)
        bracketed = item.startswith("[") and item.endswith("]")
        text = item[1:-1] if bracketed else item
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is not None:
            if address.version == 4 and bracketed:
                raise ValueError("%s: %r: only IPv6 addresses are written in brackets" % (iname, item))
            spelled = address.compressed
            canonical.append("[%s]" % spelled if bracketed else spelled)
        elif bracketed or ":" in text or re.fullmatch(r"[0-9.]+", text):
            raise ValueError("%s: %r is not a valid IP address" % (iname, item))
        else:
            canonical.append(_validate_dns_name(text, iname, "host name or address"))
    return ", ".join(canonical)


def validate_extra_config(extra, name, prefix=""):
    """extra_config: only parameters of the allow-list (postfix_parameters), values of their kind.

    Each value is formatted the way egress.mail.postconf writes it, and that text is what is
    checked and returned: {parameter: text}.
    """
    if not isinstance(extra, Mapping):
        raise ValueError("%s: must be a dict of main.cf parameters" % name)
    result = {}
    for key in sorted(extra, key=str):
        if not isinstance(key, str) or not _PARAM_RE.fullmatch(key):
            raise ValueError("%s: %r is not a main.cf parameter name" % (name, key))
        if key not in postfix_parameters.ALLOWED:
            raise ValueError("%s: %s" % (name, postfix_parameters.refusal(key, prefix)))
        try:
            text = format_value(extra[key], key)
        except PostconfError as exc:
            raise ValueError("%s.%s: %s" % (name, key, exc))
        if not postfix_parameters.check_value(key, text):
            raise ValueError("%s.%s: %r is not %s" % (name, key, text, postfix_parameters.kind_description(key)))
        result[key] = text
    return result


_PARAM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)


def check_local_settings(settings, prefix=""):
    """Check the local side of a relay host (identity, listening, rewriting, extra main.cf).

    Every value that ends up in a configuration file is refused when it could inject
    configuration (newlines, commas where one item is expected, and so on). Returns the
    canonical values the Postfix role writes: mynetworks (list), inet_interfaces, extra_config.
    """

    def var(key):
        return prefix + key

    for key in ("myhostname", "myorigin", "root_forward", "sender_rewrite"):
        # Blank is not "unset": the role would write it (a string of spaces is true in Jinja).
        value = settings.get(key)
        if isinstance(value, str) and value != "" and value.strip() == "":
            raise ValueError("%s: is blank; leave it empty (or unset) for none" % var(key))
    for key in ("myhostname", "myorigin"):
        if not _is_unset(settings.get(key)):
            _validate_dns_name(settings[key], var(key))
    if not _is_unset(settings.get("root_forward")):
        validate_address(settings["root_forward"], var("root_forward"))
    rewrite = settings.get("sender_rewrite")
    if isinstance(rewrite, Mapping):
        if not rewrite:
            raise ValueError(
                "%s: is an empty dict; give one address or {local address: address}" % var("sender_rewrite")
            )
        for local, address in rewrite.items():
            if not isinstance(local, str) or local.strip() == "":
                raise ValueError("%s: %r is not a local address, user or @domain" % (var("sender_rewrite"), local))
            _check_text(local, var("sender_rewrite"), "a key")
            check_address(local, var("sender_rewrite"), "key")
            validate_address(address, "%s[%s]" % (var("sender_rewrite"), local))
    elif not _is_unset(rewrite):
        validate_address(rewrite, var("sender_rewrite"))
    allow_public = to_bool(settings.get("mynetworks_allow_public"), var("mynetworks_allow_public"))
    if "mynetworks" in settings:
        mynetworks = network_policy.check_networks(
            settings["mynetworks"], var("mynetworks"), allow_public, var("mynetworks_allow_public"), "postfix"
        )
    else:
        mynetworks = list(DEFAULT_MYNETWORKS)
    if "inet_interfaces" in settings:
        inet_interfaces = validate_interfaces(settings["inet_interfaces"], var("inet_interfaces"))
    else:
        inet_interfaces = DEFAULT_INET_INTERFACES
    extra = settings.get("extra_config")
    extra_config = {} if _is_unset(extra) else validate_extra_config(extra, var("extra_config"), prefix)
    result = {"mynetworks": mynetworks, "inet_interfaces": inet_interfaces, "extra_config": extra_config}
    result.update(check_address_settings(settings, prefix))
    return result


def _dict_keys(value, name, shape, what, noun):
    """The keys of a dict variable, sorted, each checked as it is handed out: a non-empty string
    without control characters (``what`` and ``noun`` name it in errors). Nothing when unset."""
    if _is_unset(value):
        return
    if not isinstance(value, Mapping):
        raise ValueError("%s: must be a dict %s, got %s" % (name, shape, type(value).__name__))
    for key in sorted(value, key=str):
        if not isinstance(key, str) or key.strip() == "":
            raise ValueError("%s: %r is not %s" % (name, key, what))
        _check_text(key, name, noun)
        yield key


def validate_canonical_map(value, name):
    """sender_canonical / recipient_canonical: {address, @domain or local part: address or @domain}.

    Returns the map in the spelling written (domains lower-cased), a list of [key, value] pairs
    sorted by key; two keys that are the same once normalised are refused.
    """
    result = {}
    for key in _dict_keys(
        value,
        name,
        "{address, @domain or local part: address or @domain}",
        "an address, @domain or local part",
        "a key",
    ):
        canonical_key = check_address(key, name, "key")
        if canonical_key.lower() in (k.lower() for k in result):
            raise ValueError("%s: %r is given twice (keys are compared without case)" % (name, key))
        target = value[key]
        tname = "%s[%s]" % (name, canonical_key)
        if isinstance(target, bool) or not isinstance(target, str) or target.strip() == "":
            raise ValueError("%s: must be an address local@domain or @domain (a string)" % tname)
        _check_text(target, tname, "the address")
        if "," in target:
            raise ValueError("%s: %r contains a comma (one address)" % (tname, target))
        if target.startswith("@") and not canonical_key.startswith("@"):
            raise ValueError("%s: %r: a domain (@domain) can only replace a domain key (@domain)" % (tname, target))
        result[canonical_key] = check_address(target, tname, "sender")
    return [[key, result[key]] for key in sorted(result)]


def validate_aliases(value, name, root_forward_set=False, prefix=""):
    """aliases: {local name: address or list of addresses}; plain addresses only (mail_address).

    Returns [[name, [address, ...]], ...] sorted by name, names lower-cased (aliases(5) compares
    them without case).
    """
    result = {}
    for key in _dict_keys(value, name, "{local name: address or list of addresses}", "a local name", "a name"):
        if "@" in key:
            raise ValueError("%s: %r: an alias name is a local name without @domain" % (name, key))
        alias = check_local_part(key, name).lower()
        if alias in result:
            raise ValueError("%s: %r is given twice (names are compared without case)" % (name, key))
        if alias == "root" and root_forward_set:
            raise ValueError("%s: root is set by %sroot_forward; give it there only" % (name, prefix))
        aname = "%s[%s]" % (name, alias)
        targets = value[key]
        if isinstance(targets, str):
            targets = [targets]
        if isinstance(targets, (bytes, Mapping)) or not isinstance(targets, Sequence) or not targets:
            raise ValueError("%s: must be an address or a non-empty list of addresses" % aname)
        result[alias] = [validate_address(target, "%s[%d]" % (aname, index)) for index, target in enumerate(targets)]
    return [[alias, result[alias]] for alias in sorted(result)]


def check_address_settings(settings, prefix=""):
    """Address handling: canonical maps, aliases, Received: header stripping (see check_local_settings)."""

    def var(key):
        return prefix + key

    return {
        "sender_canonical": validate_canonical_map(settings.get("sender_canonical"), var("sender_canonical")),
        "recipient_canonical": validate_canonical_map(settings.get("recipient_canonical"), var("recipient_canonical")),
        "aliases": validate_aliases(
            settings.get("aliases"), var("aliases"), not _is_unset(settings.get("root_forward")), prefix
        ),
        "strip_received_headers": to_bool(settings.get("strip_received_headers"), var("strip_received_headers")),
    }


# Smaller limits lose non-delivery notifications, which carry the original headers.
MIN_MESSAGE_SIZE_LIMIT = 1048576
# Postfix's default mailbox_size_limit: local(8) refuses to run when message_size_limit is larger.
DEFAULT_MAILBOX_SIZE_LIMIT = 51200000


def validate_message_size_limit(value, name, relays=(), extra_config=None, prefix=""):
    """message_size_limit in bytes: a whole number, at least 1 MiB, at most the smallest limit a
    provider of the relays documents, and not above mailbox_size_limit. Returns an int or None."""
    extra_config = extra_config or {}
    extra_name = prefix + "extra_config.message_size_limit"
    if not _is_unset(value) and "message_size_limit" in extra_config:
        raise ValueError("%s: is also set in %s; give it in one place" % (name, extra_name))
    if _is_unset(value):
        # A value given in extra_config (checked there; 0 is no limit) only has to fit the providers.
        size = int(extra_config.get("message_size_limit", -1))
        _check_provider_size_limits(size or float("inf"), extra_name, relays)
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and _DIGITS_RE.fullmatch(value))
    ):
        raise ValueError("%s: %r is not a size in bytes (a whole number, such as 20971520 for 20 MiB)" % (name, value))
    size = int(value)
    if size < MIN_MESSAGE_SIZE_LIMIT:
        raise ValueError(
            "%s: %d is less than %d bytes (1 MiB); bounces carrying the original headers would be lost"
            " (0, no limit, is refused too)" % (name, size, MIN_MESSAGE_SIZE_LIMIT)
        )
    _check_provider_size_limits(size, name, relays)
    mailbox = extra_config.get("mailbox_size_limit")
    mailbox = int(mailbox) if mailbox is not None else DEFAULT_MAILBOX_SIZE_LIMIT
    if mailbox and size > mailbox:
        raise ValueError(
            "%s: %d is larger than mailbox_size_limit (%d), which Postfix refuses; raise %s"
            % (name, size, mailbox, prefix + "extra_config.mailbox_size_limit")
        )
    return size


def _check_provider_size_limits(size, name, relays):
    for relay in relays:
        limit = relay.get("max_message_size")
        if limit and size > limit:
            raise ValueError(
                "%s: %s is more than provider '%s' accepts (%d bytes); larger messages would be "
                "accepted here and bounced later"
                % (name, "no limit (0)" if size == float("inf") else size, relay["provider"], limit)
            )
