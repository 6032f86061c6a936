# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Postfix part of the relay settings (role ``postfix_relay``).

The local side of the relay host (myhostname, myorigin, root_forward, sender_rewrite,
mynetworks, inet_interfaces, extra_config), address handling (canonical maps, aliases,
Received: header stripping), sender-dependent relays, SASL mechanisms, the concurrency and
message size limits. The checks return the canonical values the role writes.

Each error is a ValueError that starts with the variable's full name (``prefix + key``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from collections.abc import Mapping, Sequence

from ansible_collections.egress.mail.plugins.module_utils import network_policy, postfix_parameters
from ansible_collections.egress.mail.plugins.module_utils.mail_address import check_address, check_local_part
from ansible_collections.egress.mail.plugins.module_utils.net_values import (
    is_ip_address,
    nexthop,
    validate_dns_name,
    validate_host,
    validate_port,
)
from ansible_collections.egress.mail.plugins.module_utils.postconf import PostconfError, format_value
from ansible_collections.egress.mail.plugins.module_utils.settings_values import (
    DIGITS_RE,
    check_entry,
    check_token,
    dict_keys,
    entry_list,
    is_unset,
    to_bool,
)
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import (
    check_wrapper_level,
    credentials,
    validate_username,
    wrappermode,
)

SENDER_DEPENDENT_KEYS = ("sender", "host", "port", "username", "password")
# Parallel connections to one relay. With TLS connection reuse a few connections carry the
# whole load (bench/throughput_bench.py measured 4, 8 and 20 within noise of each other), and
# fewer connections mean fewer handshakes and logins at the provider, which may cap them.
DEFAULT_CONCURRENCY_LIMIT = 10
MAX_CONCURRENCY_LIMIT = 100
# What the Postfix role writes when the caller gives no mynetworks / inet_interfaces.
DEFAULT_MYNETWORKS = ("127.0.0.0/8", "[::1]/128")
DEFAULT_INET_INTERFACES = "loopback-only"
# Smaller limits lose non-delivery notifications, which carry the original headers.
MIN_MESSAGE_SIZE_LIMIT = 1048576
# Postfix's default mailbox_size_limit: local(8) refuses to run when message_size_limit is larger.
DEFAULT_MAILBOX_SIZE_LIMIT = 51200000

_MECHANISM_RE = re.compile(r"!?[A-Za-z0-9*?_.:/-]+", re.ASCII)
_PARAM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)


def validate_sender(value, name):
    """Validate a sender-dependent lookup key: user@domain or @domain (mail_address rule)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be an address string (user@domain or @domain)" % name)
    if value.strip() == "":
        raise ValueError("%s: is empty" % name)
    check_token(value, name, "the sender")
    if "," in value:
        raise ValueError("%s: %r contains a comma (one sender per entry)" % (name, value))
    return check_address(value, name, "sender")


def validate_address(value, name):
    """A full mail address local@domain (no display name, no list): the mail_address rule."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be an address local@domain (a string), got %s" % (name, type(value).__name__))
    check_token(value, name, "the address")
    if "," in value:
        raise ValueError("%s: %r contains a comma (one address)" % (name, value))
    return check_address(value, name, "address")


def validate_concurrency(value, name, preset=None):
    """Concurrent connections to the relay: 1 to 100, at most what the provider allows."""
    limit = (preset.get("max_connections") if preset else None) or 0
    if is_unset(value):
        return limit or DEFAULT_CONCURRENCY_LIMIT
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and DIGITS_RE.fullmatch(value))
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


def resolve_sender_dependent(value, prefix, default_port, tls_level, preset):
    """<prefix>sender_dependent: a relay per sender address or domain (see relay_settings.resolve)."""
    name = prefix + "sender_dependent"
    result = []
    seen = {}
    for index, entry in enumerate(entry_list(value, name, SENDER_DEPENDENT_KEYS)):
        ename = "%s[%d]" % (name, index)
        check_entry(entry, ename, SENDER_DEPENDENT_KEYS)
        if is_unset(entry.get("sender")):
            raise ValueError("%s.sender: is required (user@domain or @domain)" % ename)
        sender = validate_sender(entry["sender"], ename + ".sender")
        if sender.lower() in seen:
            raise ValueError("%s.sender: %r is already used by %s[%d]" % (ename, sender, name, seen[sender.lower()]))
        seen[sender.lower()] = index
        if is_unset(entry.get("host")):
            raise ValueError("%s.host: is required" % ename)
        host = validate_host(entry["host"], ename + ".host")
        port = default_port if is_unset(entry.get("port")) else validate_port(entry["port"], ename + ".port")
        username = None
        if not is_unset(entry.get("username")):
            username = validate_username(entry["username"], ename + ".username")
        password_set = credentials(username, entry.get("password"), False, (ename + ".username", ename + ".password"))
        # The main preset's implicit-TLS ports apply only to an entry for the preset's own host.
        entry_preset = preset if preset and host == preset["host"] else None
        relay = {
            "index": index,
            "sender": sender,
            "host": host,
            "port": port,
            # Filled in by apply_probed_ports() when the port is probed (auto).
            "nexthop": None if port == "auto" else nexthop(host, port),
            "username": username,
            "password_set": password_set,
            "wrappermode": wrappermode(port, entry_preset),
        }
        check_wrapper_level(relay, ename, prefix, tls_level)
        result.append(relay)
    return result


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
        elif bracketed or is_ip_address(text):
            raise ValueError("%s: %r is not a valid IP address" % (iname, item))
        else:
            canonical.append(validate_dns_name(text, iname, "host name or address"))
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
        if not is_unset(settings.get(key)):
            validate_dns_name(settings[key], var(key))
    if not is_unset(settings.get("root_forward")):
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
            check_token(local, var("sender_rewrite"), "a key")
            check_address(local, var("sender_rewrite"), "key")
            validate_address(address, "%s[%s]" % (var("sender_rewrite"), local))
    elif not is_unset(rewrite):
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
    extra_config = {} if is_unset(extra) else validate_extra_config(extra, var("extra_config"), prefix)
    result = {"mynetworks": mynetworks, "inet_interfaces": inet_interfaces, "extra_config": extra_config}
    result.update(check_address_settings(settings, prefix))
    return result


def validate_canonical_map(value, name):
    """sender_canonical / recipient_canonical: {address, @domain or local part: address or @domain}.

    Returns the map in the spelling written (domains lower-cased), a list of [key, value] pairs
    sorted by key; two keys that are the same once normalised are refused.
    """
    result = {}
    for key in dict_keys(
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
        check_token(target, tname, "the address")
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
    for key in dict_keys(value, name, "{local name: address or list of addresses}", "a local name", "a name"):
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
            settings.get("aliases"), var("aliases"), not is_unset(settings.get("root_forward")), prefix
        ),
        "strip_received_headers": to_bool(settings.get("strip_received_headers"), var("strip_received_headers")),
    }


def validate_message_size_limit(value, name, relays=(), extra_config=None, prefix=""):
    """message_size_limit in bytes: a whole number, at least 1 MiB, at most the smallest limit a
    provider of the relays documents, and not above mailbox_size_limit. Returns an int or None."""
    extra_config = extra_config or {}
    extra_name = prefix + "extra_config.message_size_limit"
    if not is_unset(value) and "message_size_limit" in extra_config:
        raise ValueError("%s: is also set in %s; give it in one place" % (name, extra_name))
    if is_unset(value):
        # A value given in extra_config (checked there; 0 is no limit) only has to fit the providers.
        size = int(extra_config.get("message_size_limit", -1))
        _check_provider_size_limits(size or float("inf"), extra_name, relays)
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and DIGITS_RE.fullmatch(value))
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


def check_postfix_settings(settings, prefix, smarthost):
    """The Postfix-only settings of relay_settings.resolve, after the smarthost part (``smarthost``:
    smarthost_settings.resolve_smarthost's result). Returns sender_dependent, concurrency_limit,
    the local settings (check_local_settings) and message_size_limit."""

    def var(key):
        return prefix + key

    main = smarthost["main"]
    sender_dependent = resolve_sender_dependent(
        settings.get("sender_dependent"), prefix, main["port"], smarthost["tls_security_level"], smarthost["preset"]
    )
    # One concurrency limit covers every relay of the list: the lowest documented provider limit.
    relays = [main] + smarthost["fallback_relays"]
    capped = sorted((r for r in relays if r["max_connections"]), key=lambda r: r["max_connections"])
    result = {
        "sender_dependent": sender_dependent,
        "concurrency_limit": validate_concurrency(
            settings.get("concurrency_limit"),
            var("concurrency_limit"),
            {"max_connections": capped[0]["max_connections"], "name": capped[0]["provider"]} if capped else None,
        ),
    }
    if "sasl_mechanisms" in settings:
        validate_sasl_mechanisms(settings["sasl_mechanisms"], var("sasl_mechanisms"))
    result.update(check_local_settings(settings, prefix))
    result["message_size_limit"] = validate_message_size_limit(
        settings.get("message_size_limit"), var("message_size_limit"), relays, result["extra_config"], prefix
    )
    return result
