# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration language, the values: what each value type accepts (booleans, ports,
durations, networks, host:port, smtp-hosts, patterns...) and how it is described in messages.

Part of layer 1 of the linter (pmta.directives, pmta.schema, pmta.values); module_utils/pmta_config
is its public face."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.egress.mail.plugins.module_utils.net_values import is_port_number
from ansible_collections.egress.mail.plugins.module_utils.pmta.directives import PATTERN_ACTIONS
from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import _BLANKS, split_tokens

_TYPE_HELP = {
    "bool": "yes/no/true/false",
    "uint": "a non-negative integer",
    "port": "a TCP port (1-65535)",
    "duration": "a time interval such as 10m or 4d12h",
    "duration_list": "a comma-separated list of time intervals such as 10m,1h",
    "duration_or_never": "a time interval such as 30d, or never",
    "size": "a size such as 50M, or unlimited",
    "rate": "a rate such as 100/h, 0 or unlimited",
    "email": "an e-mail address",
    "hostname": "a host name",
    "ip_or_cidr": "an IP address or CIDR range such as 10.0.0.0/8 or 0/0",
    "source_match": "an IP address, a CIDR range such as 0/0, or a {name}",
    "listener": "address:port such as 127.0.0.1:25 or 0/0:587",
    "hostport": "host:port or [host]:port",
    "path": "an absolute path",
    "name": "a name made of letters, digits, '.', '_' or '-'",
    "user": "a user name",
    "domain_pattern": "*, a domain name or a wildcard such as *.example.com",
    "access_level": "admin, monitor or none",
    "auth_method": "password, certificate or system",
    "named_source": "a source name in braces such as {relay-users}",
    "string": "a value",
    "secret": "a value",
    "smtp_hosts": (
        "host names (bare, with an optional :port), [IPv4] or [IPv6:address] literals or "
        "lookup-mx:domain, ',' within a preference level and ';' between levels"
    ),
    "dkim_key": "selector,domain,key-file (domain-key)",
    "dkim_sign": "yes/no/true/false or if-x-dkim-options-present",
    "pattern_line": "/regular expression/ followed by actions such as mode=backoff",
    "acct_target": "an absolute path, or |command",
}

_BOOL_WORDS = {"yes": True, "true": True, "no": False, "false": False}
# Every pattern is matched with fullmatch() and re.ASCII: "\d" is 0-9 only, never "²".
_A = re.ASCII | re.I
_UINT_RE = re.compile(r"[0-9]+", re.ASCII)
_DURATION_RE = re.compile(r"0|(?:[0-9]+[dhms])+", _A)
_SIZE_RE = re.compile(r"unlimited|[0-9]+[bkmgt]?", _A)
_RATE_RE = re.compile(r"unlimited|0|[0-9]+/[0-9]*(?:d|day|h|hr|m|min|s|sec)", _A)
_DKIM_SELECTOR_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)
_EMAIL_RE = re.compile(r"[!#-'*+\-./0-9=?A-Z^-~]+@[A-Za-z0-9_.-]+", _A)
_LABEL_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", re.ASCII)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_USER_RE = re.compile(r"[!#-;=?-z|~]+", re.ASCII)  # printable ASCII but space " < > { }
# *, a name, *.name or [*.]name (section 3.3.10), a label may be a $macro (domain-macro), or a
# special queue such as {sparkpost} (section 3.3.10.100).
_DOMAIN_PATTERN_RE = re.compile(
    r"\*|\{[A-Za-z0-9._-]+\}|(?:\*\.|\[\*\.\])?\$?[A-Za-z0-9_-]+"
    r"(?:\.\$?[A-Za-z0-9_-]+)*\.?",
    re.ASCII,
)
_NAMED_SOURCE_RE = re.compile(r"\{[A-Za-z0-9._-]+\}", re.ASCII)
_ASCII_RE = re.compile(r"[\x00-\x7f]*")
_SHORT_V4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}", re.ASCII)


# --------------------------------------------------------------------------
# Value checks
# --------------------------------------------------------------------------


def parse_bool(value):
    """Return True/False for yes/no/true/false (any case), else None."""
    return _BOOL_WORDS.get(str(value).lower())


def parse_network(value):
    """Parse an IP address or CIDR range, accepting PowerMTA's ``0/0`` shorthand.

    Returns an ipaddress network, or None if the value is not one.
    """
    text = str(value).strip(_BLANKS)
    if not _ASCII_RE.fullmatch(text):
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "/" in text:
        addr, _sep, plen = text.partition("/")
        if not _UINT_RE.fullmatch(plen):
            return None
        if ":" not in addr and addr.count(".") < 3 and _SHORT_V4_RE.fullmatch(addr):
            addr = ".".join((addr.split(".") + ["0", "0", "0"])[:4])
        text = "%s/%s" % (addr, plen)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _is_hostname(value):
    text = value[:-1] if value.endswith(".") else value
    if not text or len(text) > 253:
        return False
    return all(_LABEL_RE.fullmatch(label) for label in text.split("."))


def parse_hostport(value):
    """Parse ``host``, ``host:port``, ``[host]`` or ``[host]:port``.

    Returns (host, port or None, bracketed) or None when malformed.
    """
    text = str(value).strip(_BLANKS).rstrip(",")
    bracketed = False
    port = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1 :]
        bracketed = True
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host = text
    if port is not None:
        if not _is_port(port):
            return None
        port = int(port)
    if not host:
        return None
    if parse_network(host) is None and not _is_hostname(host):
        return None
    return host, port, bracketed


def _smtp_host(text):
    """One host of smtp-hosts: a dict (host, port, kind) or an error string."""
    if not text:
        return "an empty host between separators"
    if text.lower().startswith("lookup-mx:"):
        domain = text[len("lookup-mx:") :]
        if not _is_hostname(domain):
            return "'%s': lookup-mx: must be followed by a domain name" % text
        return {"host": domain, "port": None, "kind": "lookup-mx"}
    port = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return "'%s': unclosed '['" % text
        inner, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":") or not _is_port(rest[1:]):
                return "'%s': only ':port' may follow ']'" % text
            port = int(rest[1:])
        if inner[:5].lower() == "ipv6:":
            try:
                ipaddress.IPv6Address(inner[5:])
            except ValueError:
                return "'%s': not an IPv6 address after IPv6:" % text
            return {"host": inner[5:], "port": port, "kind": "ipv6"}
        try:
            ipaddress.IPv4Address(inner)
        except ValueError:
            if ":" in inner:
                return "'%s': write an IPv6 literal as [IPv6:%s]" % (text, inner)
            return "'%s': brackets are for IP address literals only; write a host name bare, as in %s:587" % (
                text,
                inner,
            )
        return {"host": inner, "port": port, "kind": "ipv4"}
    if text.count(":") > 1:
        return "'%s': write an IPv6 address as [IPv6:address]" % text
    host, _sep, port_text = text.partition(":")
    if _sep:
        if not _is_port(port_text):
            return "'%s': the port must be 1-65535" % text
        port = int(port_text)
    if not _is_hostname(host):
        return "'%s': not a host name" % text
    return {"host": host, "port": port, "kind": "name"}


def parse_smtp_hosts(value):
    """Parse an smtp-hosts value (reference section 3.3.10.90).

    ``h1.test.com, h2.test.com; [10.1.1.1]:2525; last.test.com``: commas separate hosts within a
    preference level, semicolons separate levels; IP literals in brackets (``[IPv6:...]`` for
    IPv6), host names bare; each may end in ``:port``; ``lookup-mx:domain``; ``""`` clears.
    Returns (levels, None) with levels a list of lists of dicts (host, port, kind), or
    (None, message).
    """
    text = str(value).strip(_BLANKS)
    if text == "":
        return [], None
    levels = []
    for level in text.split(";"):
        hosts = []
        for item in level.split(","):
            parsed = _smtp_host(item.strip(_BLANKS))
            if isinstance(parsed, str):
                return None, parsed
            hosts.append(parsed)
        levels.append(hosts)
    return levels, None


def parse_pattern_line(value):
    """``/regex/ action...`` of an smtp-pattern-list ``reply``: None when valid, else a message."""
    tokens = split_tokens(value)
    actions = []
    while tokens and not tokens[-1].endswith("/"):
        actions.insert(0, tokens.pop())
    pattern = " ".join(tokens)
    if len(pattern) < 2 or not pattern.startswith("/") or not pattern.endswith("/"):
        return "the pattern must be written /regular expression/"
    for action in actions:
        key, sep, arg = action.partition("=")
        allowed = PATTERN_ACTIONS.get(key.lower(), False)
        if allowed is False:
            return "unknown action '%s' (known: %s)" % (action, ", ".join(sorted(PATTERN_ACTIONS)))
        if allowed is None and sep:
            return "action '%s' takes no value" % key
        if isinstance(allowed, tuple) and arg.lower() not in allowed:
            return "action '%s' expects one of %s" % (key, ", ".join(allowed))
        if isinstance(allowed, str) and not _check_value(allowed, arg):
            return "action '%s' expects %s" % (key, _TYPE_HELP[allowed])
    return None


def _is_dkim_key(value):
    parts = [part.strip(_BLANKS) for part in value.split(",")]
    return (
        len(parts) == 3
        and bool(_DKIM_SELECTOR_RE.fullmatch(parts[0]))
        and _is_hostname(parts[1])
        and bool(parts[2])
        and not any(char in parts[2] for char in _BLANKS)
    )


def parse_listener(value):
    """Parse ``address:port`` (``0/0:25``, ``10.0.1.22:587``, ``[::1]:25``).

    Returns (network, port) or None.
    """
    text = str(value).strip(_BLANKS)
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not text[end + 1 :].startswith(":"):
            return None
        # With its brackets: parse_network strips blanks only outside them ('[ ::1]' is refused).
        addr, port = text[: end + 1], text[end + 2 :]
    else:
        addr, sep, port = text.rpartition(":")
        if not sep:
            return None
    if not _is_port(port):
        return None
    net = parse_network(addr)
    if net is None:
        return None
    return net, int(port)


def _is_uint(value):
    return bool(_UINT_RE.fullmatch(value))


def _is_port(value):
    return _is_uint(value) and is_port_number(int(value))


def _check_value(vtype, value):
    """Return True when value matches vtype."""
    if vtype in ("string", "secret"):
        return True
    if vtype == "bool":
        return parse_bool(value) is not None
    if vtype == "uint":
        return _is_uint(value)
    if vtype == "port":
        return _is_port(value)
    if vtype == "duration":
        return bool(_DURATION_RE.fullmatch(value))
    if vtype == "duration_list":
        return all(_DURATION_RE.fullmatch(v) for v in value.split(","))
    if vtype == "duration_or_never":
        return value.lower() == "never" or bool(_DURATION_RE.fullmatch(value))
    if vtype == "size":
        return bool(_SIZE_RE.fullmatch(value))
    if vtype == "rate":
        return bool(_RATE_RE.fullmatch(value))
    if vtype == "email":
        return bool(_EMAIL_RE.fullmatch(value))
    if vtype == "hostname":
        return _is_hostname(value)
    if vtype == "ip_or_cidr":
        return parse_network(value) is not None
    if vtype == "source_match":
        return bool(_NAMED_SOURCE_RE.fullmatch(value)) or parse_network(value) is not None
    if vtype == "listener":
        return parse_listener(value) is not None
    if vtype == "hostport":
        return parse_hostport(value) is not None
    if vtype == "path":
        return value.startswith("/")
    if vtype == "name":
        return bool(_NAME_RE.fullmatch(value))
    if vtype == "user":
        return bool(_USER_RE.fullmatch(value))
    if vtype == "domain_pattern":
        return bool(_DOMAIN_PATTERN_RE.fullmatch(value)) or (value.startswith("[") and parse_network(value) is not None)
    if vtype == "access_level":
        return value.lower() in ("admin", "monitor", "none")
    if vtype == "auth_method":
        return value.lower() in ("password", "certificate", "system")
    if vtype == "named_source":
        return bool(_NAMED_SOURCE_RE.fullmatch(value))
    if vtype == "smtp_hosts":
        return parse_smtp_hosts(value)[1] is None
    if vtype == "dkim_key":
        return _is_dkim_key(value)
    if vtype == "dkim_sign":
        return parse_bool(value) is not None or value.lower() == "if-x-dkim-options-present"
    if vtype == "pattern_line":
        return parse_pattern_line(value) is None
    if vtype == "acct_target":
        return value.startswith("/") or (value.startswith("|") and len(value.strip("| \t")) > 0)
    raise ValueError("unknown value type %r" % vtype)
