# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parser, validator and secret masker for the PowerMTA configuration language.

PowerMTA reads ``/etc/pmta/config``: ``#`` comments, one directive per line
(``name value...``) and stanzas ``<name arg>`` ... ``</name>``.  Stanzas nest:
``<domain>`` may sit inside ``<virtual-mta>``.

Nothing here runs PowerMTA (it is licensed software).  The directive table
below lists only directives whose spelling and context were checked against
published material (the SparkPost "which SMTP port" guide, the vendor's sample
``/etc/pmta/config``, a transcription of the vendor's recipient-domain
directive reference, and public configurations); see the role README for the
sources.  Anything else is reported as an unknown directive, unless it is in
the small ``UNCHECKED_DIRECTIVES`` allow-list (accepted, value not checked) or
the caller passes it in ``extra_directives``.

Stdlib only; runs on Python 3.8 and later.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

MASK = "********"
GLOBAL = "global"

# --------------------------------------------------------------------------
# Stanzas
# --------------------------------------------------------------------------

# name -> (allowed parent contexts, argument type)
STANZAS = {
    "source": ((GLOBAL,), "source_match"),
    "domain": ((GLOBAL, "virtual-mta"), "domain_pattern"),
    "virtual-mta": ((GLOBAL,), "name"),
    "virtual-mta-pool": ((GLOBAL,), "name"),
    "smtp-user": ((GLOBAL,), "user"),
    "acct-file": ((GLOBAL,), "string"),
}

# Stanzas whose body is a list of patterns rather than directives.  They are
# accepted at the top level and their contents are not validated.
OPAQUE_STANZAS = ("smtp-pattern-list", "bounce-category-patterns", "pattern-list")

# --------------------------------------------------------------------------
# Directives
# --------------------------------------------------------------------------
# Each argument type may carry a prefix: "?" optional, "*" one or more.

_G = (GLOBAL,)
_S = ("source",)
_D = ("domain",)
_U = ("smtp-user",)
_P = ("virtual-mta-pool",)
_A = ("acct-file",)

DIRECTIVES = {
    # top level
    "postmaster": (_G, ("email",)),
    "host-name": (_G, ("hostname",)),
    "smtp-listener": (_G, ("listener",)),
    "smtp-server-tls-certificate": (_G, ("path",)),
    "http-mgmt-port": (_G, ("port",)),
    "http-access": (_G, ("ip_or_cidr", "access_level")),
    "run-as-root": (_G, ("bool",)),
    "log-file": (_G, ("path",)),
    "spool": (_G, ("path",)),
    "total-max-smtp-out": (_G, ("uint",)),
    "sync-msg-create": (_G, ("bool",)),
    "sync-msg-update": (_G, ("bool",)),
    "relay-domain": (_G, ("*string",)),
    "relay-address": (_G, ("*string",)),
    "include": (_G + _D, ("path",)),
    "smtp-source-host": ((GLOBAL, "virtual-mta"), ("ip_or_cidr", "hostname")),
    # <source>
    "always-allow-relaying": (_S, ("bool",)),
    "require-auth": (_S, ("bool",)),
    "allow-starttls": (_S, ("bool",)),
    "require-starttls-before-auth": (_S, ("bool",)),
    "allow-unencrypted-plain-auth": (_S, ("bool",)),
    "smtp-service": (_S, ("bool",)),
    "process-x-virtual-mta": (_S, ("bool",)),
    "default-virtual-mta": (_S, ("name",)),
    "max-message-size": (_S, ("size",)),
    "log-data": (_S, ("bool",)),
    "hide-message-source": (_S, ("bool",)),
    "add-received-header": (_S, ("bool",)),
    "remove-received-headers": (_S, ("bool",)),
    "process-x-envid": (_S, ("bool",)),
    "log-connections": (_S + _D, ("bool",)),
    "log-commands": (_S + _D, ("bool",)),
    # <domain>
    "route": (_D, ("hostport",)),
    "smtp-hosts": (_D, ("*hostport",)),
    "default-smtp-port": (_D, ("port",)),
    "use-starttls": (_D, ("bool",)),
    "require-starttls": (_D, ("bool",)),
    "auth-username": (_D, ("string",)),
    "auth-password": (_D, ("secret",)),
    "use-unencrypted-plain-auth": (_D, ("bool",)),
    "max-smtp-out": (_D, ("uint",)),
    "retry-after": (_D, ("duration_list",)),
    "bounce-after": (_D, ("duration",)),
    "max-msg-rate": (_D, ("rate",)),
    "max-msg-per-connection": (_D, ("uint",)),
    "connect-timeout": (_D, ("duration",)),
    "log-resolution": (_D, ("bool",)),
    "log-transfer-failures": (_D, ("bool",)),
    # <smtp-user>
    "password": (_U, ("secret",)),
    "authentication-method": (_U, ("auth_method",)),
    "source": (_U, ("named_source",)),
    # <virtual-mta-pool>
    "virtual-mta": (_P, ("name",)),
    # <acct-file>
    "records": (_A, ("*string",)),
    "max-size": (_A, ("size",)),
    "move-interval": (_A, ("duration",)),
    "delete-after": (_A, ("duration_or_never",)),
    "move-to": (_A, ("path",)),
    "sync": (_A, ("bool",)),
    "record-fields": (_A, ("*string",)),
    "map-header-to-field": (_A, ("*string",)),
}

# The documented allow-list: directives seen in the vendor's directive
# reference or sample configurations, accepted in these contexts without
# checking their values.
UNCHECKED_DIRECTIVES = {
    "domain": (
        "backoff-max-msg-rate", "backoff-retry-after", "backoff-to-normal-after",
        "backoff-to-normal-after-delivery", "bounce-upon-no-mx", "dkim-sign",
        "smtp-pattern-list", "max-errors-per-connection", "max-rcpt-per-message",
        "max-connect-rate", "queue-priority", "dsn-format",
        "assume-delivery-upon-data-termination-timeout",
    ),
    "source": ("add-message-id-header", "add-date-header", "jobid-header", "process-x-job"),
    GLOBAL: ("domain-key",),
    "virtual-mta": ("domain-key",),
}

# Directives that may legitimately appear several times in one block.
REPEATABLE = frozenset((
    "smtp-listener", "http-access", "relay-domain", "relay-address", "include",
    "smtp-source-host", "virtual-mta", "record-fields", "map-header-to-field",
    "domain-key", "route", "smtp-hosts",
))

SECRET_DIRECTIVES = frozenset(("auth-password", "password"))
ROUTE_DIRECTIVES = ("route", "smtp-hosts")

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
}

_BOOL_WORDS = {"yes": True, "true": True, "no": False, "false": False}
_DURATION_RE = re.compile(r"^(?:0|(?:\d+[dhms])+)$", re.I)
_SIZE_RE = re.compile(r"^(?:unlimited|\d+[bkmgt]?)$", re.I)
_RATE_RE = re.compile(r"^(?:unlimited|0|\d+/\d*(?:d|day|h|hr|m|min|s|sec))$", re.I)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_USER_RE = re.compile(r"^[^\s<>{}]+$")
_DOMAIN_PATTERN_RE = re.compile(r"^(?:\*|(?:\*\.)?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?)$")
_NAMED_SOURCE_RE = re.compile(r"^\{[A-Za-z0-9._-]+\}$")
_TAG_RE = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s+([^<>]*?))?\s*>(.*)$")
_TAG_ANYWHERE_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s+[^<>]*?)?\s*>")

# Mask the value of auth-password / password up to a comment or end of line.
_SECRET_VALUE_RE = re.compile(
    r"(?P<pre>(?:^|(?<=[\s>]))(?:auth-password|password)[ \t]+)(?P<val>[^#\n]*[^\s#])",
    re.I | re.M,
)


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------

class Finding(object):
    """An error or warning tied to a line (None: the file as a whole)."""

    __slots__ = ("line", "message")

    def __init__(self, line, message):
        self.line = line
        self.message = message

    def as_dict(self):
        return {"line": self.line, "message": self.message}

    def __repr__(self):
        return "Finding(%r, %r)" % (self.line, self.message)

    def __str__(self):
        return format_error(self)


def format_error(finding):
    """Format a Finding or a {line, message} dict as ``line 12: message``."""
    if isinstance(finding, dict):
        line, message = finding.get("line"), finding.get("message", "")
    else:
        line, message = finding.line, finding.message
    if line:
        return "line %d: %s" % (line, message)
    return "config: %s" % message


def format_errors(findings):
    """Format a list of findings, one per line."""
    return "\n".join(format_error(f) for f in findings)


def _sort_key(finding):
    return (finding.line or 0, finding.message)


# --------------------------------------------------------------------------
# Tree
# --------------------------------------------------------------------------

class Directive(object):
    __slots__ = ("name", "args", "line")

    def __init__(self, name, args, line):
        self.name = name
        self.args = list(args)
        self.line = line

    @property
    def key(self):
        return self.name.lower()

    @property
    def value(self):
        return " ".join(self.args)


class Stanza(object):
    __slots__ = ("name", "arg", "line", "end_line", "children", "parent", "opaque")

    def __init__(self, name, arg, line, parent=None, opaque=False):
        self.name = name
        self.arg = arg
        self.line = line
        self.end_line = None
        self.children = []
        self.parent = parent
        self.opaque = opaque

    @property
    def key(self):
        return self.name.lower()

    @property
    def context(self):
        return self.key

    def directives(self, name=None):
        return [c for c in self.children
                if isinstance(c, Directive) and (name is None or c.key == name)]

    def stanzas(self, name=None):
        return [c for c in self.children
                if isinstance(c, Stanza) and (name is None or c.key == name)]

    def first(self, name):
        found = self.directives(name)
        return found[0] if found else None

    def label(self):
        if self.key == GLOBAL:
            return "the top level"
        return "<%s %s>" % (self.name, self.arg) if self.arg else "<%s>" % self.name


def _context_label(ctx):
    return "the top level" if ctx == GLOBAL else "<%s>" % ctx


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
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "/" in text:
        addr, _sep, plen = text.partition("/")
        if ":" not in addr and addr.count(".") < 3 and re.match(r"^\d+(\.\d+){0,2}$", addr):
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
    return all(_LABEL_RE.match(label) for label in text.split("."))


def parse_hostport(value):
    """Parse ``host``, ``host:port``, ``[host]`` or ``[host]:port``.

    Returns (host, port or None, bracketed) or None when malformed.
    """
    text = str(value).strip().rstrip(",")
    bracketed = False
    port = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1:]
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
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            return None
        port = int(port)
    if not host:
        return None
    if parse_network(host) is None and not _is_hostname(host):
        return None
    return host, port, bracketed


def parse_listener(value):
    """Parse ``address:port`` (``0/0:25``, ``10.0.1.22:587``, ``[::1]:25``).

    Returns (network, port) or None.
    """
    text = str(value).strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not text[end + 1:].startswith(":"):
            return None
        addr, port = text[1:end], text[end + 2:]
    else:
        addr, sep, port = text.rpartition(":")
        if not sep:
            return None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return None
    net = parse_network(addr)
    if net is None:
        return None
    return net, int(port)


def _check_value(vtype, value):
    """Return True when value matches vtype."""
    if vtype in ("string", "secret"):
        return True
    if vtype == "bool":
        return parse_bool(value) is not None
    if vtype == "uint":
        return value.isdigit()
    if vtype == "port":
        return value.isdigit() and 1 <= int(value) <= 65535
    if vtype == "duration":
        return bool(_DURATION_RE.match(value))
    if vtype == "duration_list":
        return all(_DURATION_RE.match(v) for v in value.split(","))
    if vtype == "duration_or_never":
        return value.lower() == "never" or bool(_DURATION_RE.match(value))
    if vtype == "size":
        return bool(_SIZE_RE.match(value))
    if vtype == "rate":
        return bool(_RATE_RE.match(value))
    if vtype == "email":
        return bool(_EMAIL_RE.match(value))
    if vtype == "hostname":
        return _is_hostname(value)
    if vtype == "ip_or_cidr":
        return parse_network(value) is not None
    if vtype == "source_match":
        return bool(_NAMED_SOURCE_RE.match(value)) or parse_network(value) is not None
    if vtype == "listener":
        return parse_listener(value) is not None
    if vtype == "hostport":
        return parse_hostport(value) is not None
    if vtype == "path":
        return value.startswith("/")
    if vtype == "name":
        return bool(_NAME_RE.match(value))
    if vtype == "user":
        return bool(_USER_RE.match(value))
    if vtype == "domain_pattern":
        return bool(_DOMAIN_PATTERN_RE.match(value)) or (
            value.startswith("[") and parse_network(value) is not None)
    if vtype == "access_level":
        return value.lower() in ("admin", "monitor", "none")
    if vtype == "auth_method":
        return value.lower() in ("password", "certificate", "system")
    if vtype == "named_source":
        return bool(_NAMED_SOURCE_RE.match(value))
    raise ValueError("unknown value type %r" % vtype)


def _arity(spec):
    """(minimum, maximum or None) number of values for an argument spec."""
    low, high = 0, 0
    for item in spec:
        if item.startswith("*"):
            low += 1
            high = None
        elif item.startswith("?"):
            if high is not None:
                high += 1
        else:
            low += 1
            if high is not None:
                high += 1
    return low, high


def _describe_arity(spec):
    low, high = _arity(spec)
    if high is None:
        return "at least %d value%s" % (low, "" if low == 1 else "s")
    if low == high:
        return "%d value%s" % (low, "" if low == 1 else "s")
    return "%d to %d values" % (low, high)


# --------------------------------------------------------------------------
# Lexing
# --------------------------------------------------------------------------

def split_tokens(text):
    """Split on whitespace; double quotes group words ("" is an empty value)."""
    tokens = []
    current = []
    in_quotes = False
    had_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
            had_quotes = True
        elif char.isspace() and not in_quotes:
            if current or had_quotes:
                tokens.append("".join(current))
            current, had_quotes = [], False
        else:
            current.append(char)
    if current or had_quotes:
        tokens.append("".join(current))
    return tokens


def _strip_comment(text):
    index = text.find("#")
    return text if index < 0 else text[:index]


def _is_directive_name(token, extra=()):
    low = token.lower()
    if low in DIRECTIVES or low in extra:
        return True
    return any(low in names for names in UNCHECKED_DIRECTIVES.values())


def _strip_comment_compact(text, extra=()):
    """Comment removal for text whose line breaks were lost.

    A ``#`` comment normally runs to the end of the line.  In collapsed text
    it would swallow the directives that followed it on later lines, so here a
    comment ends at the next hyphenated directive name (``use-starttls``,
    ``require-starttls``...).  Plain words (``password``, ``source``) do not
    end a comment.  Best effort, only used with ``compact=True``.
    """
    out = []
    while True:
        index = text.find("#")
        if index < 0:
            out.append(text)
            break
        out.append(text[:index])
        rest = text[index + 1:]
        resume = None
        for match in re.finditer(r"\S+", rest):
            token = match.group(0)
            if "-" in token and _is_directive_name(token, extra):
                resume = match.start()
                break
        if resume is None:
            break
        out.append(" ")
        text = rest[resume:]
    return "".join(out)


# --------------------------------------------------------------------------
# Tree builder
# --------------------------------------------------------------------------

class _Builder(object):
    def __init__(self, extra_directives=()):
        self.root = Stanza(GLOBAL, None, 0)
        self.stack = [self.root]
        self.errors = []
        self.warnings = []
        self.extra = frozenset(d.lower() for d in extra_directives)

    @property
    def top(self):
        return self.stack[-1]

    def in_opaque(self):
        return self.top.opaque

    def error(self, line, message):
        self.errors.append(Finding(line, message))

    def warn(self, line, message):
        self.warnings.append(Finding(line, message))

    def open_tag(self, line, name, arg):
        key = name.lower()
        parent = self.top
        if parent.opaque:
            return
        arg = (arg or "").strip()
        if key in OPAQUE_STANZAS:
            if parent.key != GLOBAL:
                self.error(line, "stanza <%s> is not allowed in %s" % (name, parent.label()))
            self.warn(line, "contents of <%s> are not validated" % name)
            stanza = Stanza(name, arg, line, parent, opaque=True)
        elif key not in STANZAS:
            self.error(line, "unknown stanza <%s>" % name)
            stanza = Stanza(name, arg, line, parent, opaque=True)
        else:
            parents, arg_type = STANZAS[key]
            if parent.key not in parents:
                self.error(line, "stanza <%s> is not allowed in %s" % (name, parent.label()))
            if not arg:
                self.error(line, "stanza <%s> needs an argument (%s)" % (name, _TYPE_HELP[arg_type]))
            elif not _check_value(arg_type, arg):
                self.error(line, "stanza <%s %s>: expected %s" % (name, arg, _TYPE_HELP[arg_type]))
            stanza = Stanza(name, arg, line, parent)
        parent.children.append(stanza)
        self.stack.append(stanza)

    def close_tag(self, line, name, arg):
        key = name.lower()
        if self.top.opaque and self.top.key != key:
            return
        if arg and arg.strip():
            self.error(line, "closing tag </%s> takes no argument" % name)
        open_keys = [s.key for s in self.stack[1:]]
        if key not in open_keys:
            self.error(line, "stray </%s> without a matching <%s>" % (name, name))
            return
        while self.top.key != key:
            inner = self.stack.pop()
            self.error(inner.line, "<%s> opened here is not closed before </%s> on line %d"
                       % (inner.label()[1:-1], name, line))
            inner.end_line = line
        closed = self.stack.pop()
        closed.end_line = line

    def directive(self, line, name, args):
        stanza = self.top
        if stanza.opaque:
            return
        directive = Directive(name, args, line)
        stanza.children.append(directive)
        self._check_directive(stanza, directive)

    def _check_directive(self, stanza, directive):
        key, ctx, line = directive.key, stanza.key, directive.line
        if key in self.extra:
            return
        if key in UNCHECKED_DIRECTIVES.get(ctx, ()):
            return
        if key not in DIRECTIVES:
            homes = [c for c, names in UNCHECKED_DIRECTIVES.items() if key in names]
            if homes:
                self.error(line, "directive '%s' is not allowed in %s (it belongs in %s)"
                           % (directive.name, _context_label(ctx),
                              " or ".join(_context_label(h) for h in homes)))
            else:
                self.error(line, "unknown directive '%s'" % directive.name)
            return
        contexts, spec = DIRECTIVES[key]
        if ctx not in contexts:
            self.error(line, "directive '%s' is not allowed in %s (it belongs in %s)"
                       % (directive.name, _context_label(ctx),
                          " or ".join(_context_label(c) for c in contexts)))
            return
        self._check_args(directive, spec)
        if key == "include":
            self.warn(line, "included file '%s' is not validated" % directive.value)

    def _check_args(self, directive, spec):
        args, line, name = directive.args, directive.line, directive.name
        secret = directive.key in SECRET_DIRECTIVES
        low, high = _arity(spec)
        if len(args) < low or (high is not None and len(args) > high):
            if secret:
                # never echo anything about a secret value, not even its word count
                self.error(line, "directive '%s' expects exactly one value" % name)
            else:
                self.error(line, "directive '%s' expects %s, got %d"
                           % (name, _describe_arity(spec), len(args)))
            return
        index = 0
        for item in spec:
            vtype = item.lstrip("?*")
            if item.startswith("*"):
                values = args[index:]
                index = len(args)
            elif index < len(args):
                values = [args[index]]
                index += 1
            else:
                values = []
            for value in values:
                if vtype == "hostport":
                    value = value.rstrip(",")
                    if not value:
                        continue
                if not _check_value(vtype, value):
                    self.error(line, "directive '%s' expects %s, got '%s'"
                               % (name, _TYPE_HELP[vtype], value))

    def finish(self):
        while len(self.stack) > 1:
            stanza = self.stack.pop()
            self.error(stanza.line, "%s is never closed (missing </%s>)"
                       % (stanza.label(), stanza.name))
        return self.root


def _feed_lines(builder, text):
    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = _strip_comment(raw).strip()
        if not stripped:
            continue
        match = _TAG_RE.match(stripped)
        if match:
            closing, name, arg, rest = match.groups()
            if builder.in_opaque() and not (closing and name.lower() == builder.top.key):
                continue
            if rest.strip():
                builder.error(lineno, "text after <%s%s> on the same line: put each directive "
                                      "on its own line (or parse with compact=True)"
                              % ("/" if closing else "", name + (" " + arg if arg else "")))
            if closing:
                builder.close_tag(lineno, name, arg)
            else:
                builder.open_tag(lineno, name, arg)
            continue
        if builder.in_opaque():
            continue
        if stripped.startswith("<"):
            builder.error(lineno, "malformed stanza tag '%s'" % stripped.split()[0])
            continue
        if _TAG_ANYWHERE_RE.search(stripped):
            builder.error(lineno, "stanza tag in the middle of a line: put it on its own line "
                                  "(or parse with compact=True)")
            continue
        tokens = split_tokens(stripped)
        builder.directive(lineno, tokens[0], tokens[1:])


def _feed_compact(builder, text):
    """Feed text whose line breaks were lost (several directives per line)."""
    for lineno, raw in enumerate(text.splitlines(), 1):
        position = 0
        segments = []
        for match in _TAG_ANYWHERE_RE.finditer(raw):
            segments.append(("text", raw[position:match.start()]))
            segments.append(("tag", match.group(0)))
            position = match.end()
        segments.append(("text", raw[position:]))
        for kind, segment in segments:
            if kind == "tag":
                closing, name, arg, _rest = _TAG_RE.match(segment).groups()
                if closing:
                    builder.close_tag(lineno, name, arg)
                else:
                    builder.open_tag(lineno, name, arg)
                continue
            if builder.in_opaque():
                continue
            content = _strip_comment_compact(segment, builder.extra)
            _feed_compact_tokens(builder, lineno, split_tokens(content))


def _feed_compact_tokens(builder, lineno, tokens):
    current = None
    for token in tokens:
        if current is None:
            current = [token]
            continue
        spec = DIRECTIVES.get(current[0].lower(), (None, ("*string",)))[1]
        low, high = _arity(spec)
        have = len(current) - 1
        if have >= low and _is_directive_name(token, builder.extra):
            builder.directive(lineno, current[0], current[1:])
            current = [token]
        elif high is not None and have >= high:
            builder.directive(lineno, current[0], current[1:])
            current = [token]
        else:
            current.append(token)
    if current:
        builder.directive(lineno, current[0], current[1:])


def parse(text, compact=False, extra_directives=()):
    """Parse a configuration.

    Returns (root stanza, errors, warnings).  Errors cover syntax (balanced
    stanzas), context (which directive may appear where) and value types.
    ``compact=True`` accepts text whose line breaks were lost, as in the seed
    guide (``<domain *> use-starttls true require-starttls true</domain>``).
    """
    builder = _Builder(extra_directives)
    if compact:
        _feed_compact(builder, text)
    else:
        _feed_lines(builder, text)
    root = builder.finish()
    return root, builder.errors, builder.warnings


# --------------------------------------------------------------------------
# Semantic checks
# --------------------------------------------------------------------------

def _bool_of(stanza, name):
    directive = stanza.first(name)
    if directive is None or not directive.args:
        return None
    return parse_bool(directive.args[0])


def _is_loopback(net):
    return net is not None and net.is_loopback


def _is_wide(net):
    """A source range too wide to be an allow-list: 0/0, or public and bigger than a /24."""
    if net is None:
        return False
    if net.prefixlen == 0:
        return True
    if net.is_loopback or net.is_private:
        return False
    limit = 256 if net.version == 4 else 2 ** 64
    return net.num_addresses > limit


def _route_of(directive, stanza):
    if not directive.args:
        return None
    parsed = parse_hostport(directive.args[0])
    if parsed is None:
        return None
    host, port, _bracketed = parsed
    if port is None:
        default = stanza.first("default-smtp-port")
        if default is not None and default.args and default.args[0].isdigit():
            port = int(default.args[0])
    return {"directive": directive.key, "host": host, "port": port, "line": directive.line}


def _source_summary(stanza):
    return {
        "match": stanza.arg,
        "line": stanza.line,
        "always_allow_relaying": _bool_of(stanza, "always-allow-relaying"),
        "require_auth": _bool_of(stanza, "require-auth"),
        "allow_starttls": _bool_of(stanza, "allow-starttls"),
        "require_starttls_before_auth": _bool_of(stanza, "require-starttls-before-auth"),
        "smtp_service": _bool_of(stanza, "smtp-service"),
    }


class Report(object):
    """Result of validate(): valid, errors, warnings, summary, tree."""

    def __init__(self, root, errors, warnings, summary):
        self.root = root
        self.errors = sorted(errors, key=_sort_key)
        self.warnings = sorted(warnings, key=_sort_key)
        self.summary = summary

    @property
    def valid(self):
        return not self.errors

    def as_dict(self):
        return {
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "summary": self.summary,
        }


def _check_duplicates(stanza, warn):
    seen_directives = {}
    seen_stanzas = {}
    for child in stanza.children:
        if isinstance(child, Directive):
            if child.key in REPEATABLE or child.key not in DIRECTIVES:
                continue
            if child.key in seen_directives:
                warn(child.line, "directive '%s' repeated in %s (first on line %d)"
                     % (child.name, stanza.label(), seen_directives[child.key]))
            else:
                seen_directives[child.key] = child.line
        else:
            ident = (child.key, (child.arg or "").lower())
            if ident in seen_stanzas and not child.opaque:
                warn(child.line, "duplicate %s (first on line %d)"
                     % (child.label(), seen_stanzas[ident]))
            else:
                seen_stanzas[ident] = child.line
            _check_duplicates(child, warn)


def _check_routes(domain_stanzas, error, warn, where):
    routes = []
    for stanza in domain_stanzas:
        for directive in stanza.children:
            if isinstance(directive, Directive) and directive.key in ROUTE_DIRECTIVES:
                routes.append((stanza, directive))
    if len(routes) > 1:
        first = routes[0][1]
        for _stanza, extra in routes[1:]:
            error(extra.line, "second route for %s: '%s' here and '%s' on line %d; exactly one "
                              "route or smtp-hosts is allowed" % (where, extra.name, first.name, first.line))
    for stanza, directive in routes[:1]:
        route = _route_of(directive, stanza)
        if route is None:
            return None
        if directive.key == "smtp-hosts" and len([a for a in directive.args if a.strip(",")]) > 1:
            warn(directive.line, "smtp-hosts lists several hosts; the summary reports the first")
        if route["port"] is None:
            warn(directive.line, "'%s %s' has no port: PowerMTA would use port 25, which most "
                                 "clouds block; add :587 or :2525" % (directive.name, directive.args[0]))
        elif route["port"] == 25:
            warn(directive.line, "'%s' uses port 25, which most clouds block outbound" % directive.name)
        return route
    return None


def validate(text, compact=False, fragment=False, extra_directives=()):
    """Parse and check a whole configuration; returns a Report.

    With ``fragment=True`` the whole-file checks (a listener and exactly one
    route for ``<domain *>`` must exist) are skipped, for include files and
    snippets.
    """
    root, errors, warnings = parse(text, compact=compact, extra_directives=extra_directives)

    def error(line, message):
        errors.append(Finding(line, message))

    def warn(line, message):
        warnings.append(Finding(line, message))

    _check_duplicates(root, warn)

    # --- listeners -------------------------------------------------------
    listeners = []
    for directive in root.directives("smtp-listener"):
        parsed = parse_listener(directive.args[0]) if len(directive.args) == 1 else None
        if parsed is None:
            continue
        net, port = parsed
        listeners.append({"address": directive.args[0].rpartition(":")[0], "port": port,
                          "loopback": _is_loopback(net), "line": directive.line,
                          "listener": directive.args[0]})
    if not listeners and not fragment:
        error(None, "no smtp-listener: declare the listener explicitly "
                    "(for example 'smtp-listener 127.0.0.1:25')")

    # --- sources -----------------------------------------------------------
    sources = root.stanzas("source")
    named_sources = set(s.arg for s in sources if s.arg and s.arg.startswith("{"))
    catch_all_ok = False
    for stanza in sources:
        if not stanza.arg or stanza.arg.startswith("{"):
            continue
        net = parse_network(stanza.arg)
        relays = _bool_of(stanza, "always-allow-relaying") is True
        auth = _bool_of(stanza, "require-auth") is True
        if net is not None and net.prefixlen == 0:
            if auth or _bool_of(stanza, "smtp-service") is False:
                catch_all_ok = True
        if relays and not auth:
            if _is_wide(net):
                error(stanza.line, "open relay: <source %s> has always-allow-relaying yes without "
                                   "require-auth yes" % stanza.arg)
            elif net is not None and not net.is_private and not net.is_loopback:
                warn(stanza.line, "<source %s> relays for public addresses without authentication; "
                                  "make sure every address in it is yours" % stanza.arg)
        if (_bool_of(stanza, "allow-starttls") or _bool_of(stanza, "require-starttls-before-auth")) \
                and root.first("smtp-server-tls-certificate") is None:
            warn(stanza.line, "<source %s> offers STARTTLS but no smtp-server-tls-certificate is set"
                 % stanza.arg)
    exposed = [lst for lst in listeners if not lst["loopback"]]
    if exposed and not catch_all_ok:
        error(exposed[0]["line"], "listener '%s' is not on a loopback address: add <source 0/0> with "
                                  "require-auth yes (clients must log in) or smtp-service no (only the "
                                  "allow-listed sources may connect)" % exposed[0]["listener"])
    if any(_bool_of(s, "require-auth") for s in sources) and not root.stanzas("smtp-user"):
        warn(None, "a source requires authentication but no <smtp-user> is defined")

    # --- smtp users --------------------------------------------------------
    users = []
    for stanza in root.stanzas("smtp-user"):
        users.append(stanza.arg)
        method = stanza.first("authentication-method")
        method = method.args[0].lower() if method is not None and method.args else "password"
        if method == "password" and stanza.first("password") is None:
            error(stanza.line, "<smtp-user %s> has no password" % stanza.arg)
        for directive in stanza.directives("source"):
            if directive.args and directive.args[0] not in named_sources:
                error(directive.line, "<smtp-user %s> refers to %s but no <source %s> is defined"
                      % (stanza.arg, directive.args[0], directive.args[0]))

    # --- virtual MTAs and pools -------------------------------------------
    vmtas = {}
    for stanza in root.stanzas("virtual-mta"):
        vmtas.setdefault(stanza.arg, stanza)
        inner = [s for s in stanza.stanzas("domain") if s.arg == "*"]
        if inner:
            _check_routes(inner, error, warn, "<domain *> in <virtual-mta %s>" % stanza.arg)
    pools = {}
    for stanza in root.stanzas("virtual-mta-pool"):
        members = []
        for directive in stanza.directives("virtual-mta"):
            if not directive.args:
                continue
            members.append(directive.args[0])
            if directive.args[0] not in vmtas:
                error(directive.line, "<virtual-mta-pool %s> lists unknown virtual MTA '%s'"
                      % (stanza.arg, directive.args[0]))
        if not members:
            error(stanza.line, "<virtual-mta-pool %s> has no members" % stanza.arg)
        pools[stanza.arg] = members
    for stanza in sources:
        for directive in stanza.directives("default-virtual-mta"):
            if directive.args and directive.args[0] not in vmtas and directive.args[0] not in pools:
                error(directive.line, "default-virtual-mta '%s' is neither a <virtual-mta> nor a "
                                      "<virtual-mta-pool>" % directive.args[0])

    # --- the default route -------------------------------------------------
    wildcard = [s for s in root.stanzas("domain") if s.arg == "*"]
    route = None
    starttls = {"use": None, "require": None}
    auth_user = None
    auth_password_set = False
    if not wildcard:
        if not fragment:
            error(None, "no <domain *> stanza: all mail must be routed to the smarthost "
                        "with route or smtp-hosts")
    else:
        route = _check_routes(wildcard, error, warn, "<domain *>")
        has_route = any(d.key in ROUTE_DIRECTIVES for s in wildcard for d in s.directives())
        if not has_route and not fragment:
            error(wildcard[0].line, "<domain *> has no route or smtp-hosts: mail would go straight "
                                    "to each recipient's MX on port 25")
        for stanza in wildcard:
            starttls["use"] = _first_not_none(_bool_of(stanza, "use-starttls"), starttls["use"])
            starttls["require"] = _first_not_none(_bool_of(stanza, "require-starttls"),
                                                  starttls["require"])
            user = stanza.first("auth-username")
            if user is not None and user.args:
                auth_user = user.args[0]
            if stanza.first("auth-password") is not None:
                auth_password_set = True
        if auth_password_set and auth_user is None:
            warn(wildcard[0].line, "auth-password is set in <domain *> but auth-username is not")
        if auth_password_set and starttls["require"] is not True:
            warn(wildcard[0].line, "credentials for the smarthost without 'require-starttls yes': "
                                   "they could be sent before TLS is up")
        if starttls["use"] is False and starttls["require"] is True:
            warn(wildcard[0].line, "<domain *> has use-starttls no but require-starttls yes")

    certificate = root.first("smtp-server-tls-certificate")
    summary = {
        "listeners": [lst["listener"] for lst in listeners],
        "listener_details": listeners,
        "route": route,
        "starttls": starttls,
        "auth_user": auth_user,
        "auth_password_set": auth_password_set,
        "server_tls_certificate": certificate.args[0] if certificate is not None and certificate.args else None,
        "sources": [_source_summary(s) for s in sources],
        "smtp_users": users,
        "virtual_mtas": [{"name": name, "line": s.line,
                          "source_hosts": [d.args for d in s.directives("smtp-source-host")]}
                         for name, s in vmtas.items()],
        "virtual_mta_pools": [{"name": name, "members": members} for name, members in pools.items()],
    }
    return Report(root, errors, warnings, summary)


def _first_not_none(value, fallback):
    return fallback if value is None else value


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------

def mask_secrets(text, mask=MASK):
    """Replace the values of auth-password and password with a mask.

    Everything after the directive name up to a comment or the end of the line
    is masked, so a value with spaces never leaks half-masked.
    """
    if not text:
        return text
    return _SECRET_VALUE_RE.sub(lambda m: m.group("pre") + mask, text)


def secret_values(text):
    """The values that mask_secrets() hides, in order (for change detection only)."""
    return [m.group("val") for m in _SECRET_VALUE_RE.finditer(text or "")]


def masked_diff(before, after, path="config"):
    """Unified diff (list of lines) of two configurations with secrets masked."""
    return list(difflib.unified_diff(
        mask_secrets(before or "").splitlines(),
        mask_secrets(after or "").splitlines(),
        fromfile="%s (current)" % path,
        tofile="%s (new)" % path,
        lineterm="",
    ))
