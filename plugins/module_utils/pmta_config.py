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

from ansible_collections.egress.mail.plugins.module_utils import pmta_directives
from ansible_collections.egress.mail.plugins.module_utils.network_policy import (
    PUBLIC_IPV4_LIMIT,
    PUBLIC_IPV6_LIMIT,
    public_addresses,
)

MASK = "********"
GLOBAL = "global"

# --------------------------------------------------------------------------
# Stanzas and directives: built from the data table in pmta_directives
# --------------------------------------------------------------------------
# A type may carry a prefix: "?" optional, "*" one or more.

SOURCES = pmta_directives.SOURCES
JOINED_TYPES = frozenset(pmta_directives.JOINED_TYPES)
LENIENT_STANZAS = frozenset(pmta_directives.LENIENT_STANZAS)

# name -> (allowed parent contexts, argument type or None when it takes no argument)
STANZAS = dict((row[0], (row[1], row[2])) for row in pmta_directives.STANZA_TABLE if not row[5])
# Stanzas whose body is a list of patterns rather than directives: kept, contents not validated.
OPAQUE_STANZAS = tuple(row[0] for row in pmta_directives.STANZA_TABLE if row[5])
OPAQUE_PARENTS = dict((row[0], row[1]) for row in pmta_directives.STANZA_TABLE if row[5])
OPAQUE_ARGS = dict((row[0], row[2]) for row in pmta_directives.STANZA_TABLE if row[5])

# name -> (contexts, value types): the directives whose values are checked.
DIRECTIVES = dict((row[0], (row[1], row[2])) for row in pmta_directives.DIRECTIVE_TABLE if row[2] is not None)


def _unchecked_by_context():
    """context -> names: directives the reference lists whose values are not checked (accepted, and
    reported as such)."""
    found = {}
    for row in pmta_directives.DIRECTIVE_TABLE:
        if row[2] is None:
            for ctx in row[1]:
                found[ctx] = found.get(ctx, ()) + (row[0],)
    return found


UNCHECKED_DIRECTIVES = _unchecked_by_context()

# name -> "reference section" (or the source) for messages and the summary.
REFERENCE = dict((row[0], ("section %s" % row[4]) if row[4] else SOURCES[row[3]].split(",")[0].split(" (")[0])
                 for row in pmta_directives.DIRECTIVE_TABLE)

# Directives that may legitimately appear several times in one block.
REPEATABLE = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "r" in row[5])
DEPRECATED = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "d" in row[5])
SECRET_DIRECTIVES = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "s" in row[5])
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
    "smtp_hosts": ("host names (bare, with an optional :port), [IPv4] or [IPv6:address] literals or "
                   "lookup-mx:domain, ',' within a preference level and ';' between levels"),
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
_PORT_SUFFIX_RE = re.compile(r"(.*?)(?::([0-9]+))?", re.ASCII | re.S)
_EMAIL_RE = re.compile(r"[!#-'*+\-./0-9=?A-Z^-~]+@[A-Za-z0-9_.-]+", _A)
_LABEL_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", re.ASCII)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_USER_RE = re.compile(r"[!#-;=?-z|~]+", re.ASCII)  # printable ASCII but space " < > { }
# *, a name, *.name or [*.]name (section 3.3.10), a label may be a $macro (domain-macro), or a
# special queue such as {sparkpost} (section 3.3.10.100).
_DOMAIN_PATTERN_RE = re.compile(r"\*|\{[A-Za-z0-9._-]+\}|(?:\*\.|\[\*\.\])?\$?[A-Za-z0-9_-]+"
                                r"(?:\.\$?[A-Za-z0-9_-]+)*\.?", re.ASCII)
_NAMED_SOURCE_RE = re.compile(r"\{[A-Za-z0-9._-]+\}", re.ASCII)
_TOKEN_RE = re.compile(r"[^ \t]+")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*", re.ASCII)
_ASCII_RE = re.compile(r"[\x00-\x7f]*")
_SHORT_V4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}", re.ASCII)

# PowerMTA separates tokens with spaces and tabs and lines with "\n" only.
_BLANKS = " \t"
# A line holding one of these characters reads differently to PowerMTA and to Python
# (str.splitlines() breaks at \v \f \x1c-\x1e \x85 \u2028 \u2029): refused, never quoted.
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\u200b-\u200f\u202a-\u202e\u2060-\u2064]")

# The name of a secret directive (auth-password, password) where a directive can start.
_SECRET_NAME_RE = re.compile(r"(?:^|(?<=[\s<>/]))(?:auth-password|password)(?=[^\S\n])", re.I)
# A line that holds a secret: errors about it never quote any of its tokens.
_SECRET_LINE_RE = re.compile(r"password", re.I)


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
    __slots__ = ("name", "arg", "line", "end_line", "children", "parent", "opaque", "redacted")

    def __init__(self, name, arg, line, parent=None, opaque=False):
        self.name = name
        self.arg = arg
        self.line = line
        self.end_line = None
        self.children = []
        self.parent = parent
        self.opaque = opaque
        self.redacted = False  # its line holds a secret: the label quotes nothing of it

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
        if self.redacted:
            return "<%s> of line %d" % (self.key, self.line)
        return "<%s %s>" % (self.name, self.arg) if self.arg else "<%s>" % self.name


def _context_order(ctx):
    return (ctx != GLOBAL, ctx)


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
        domain = text[len("lookup-mx:"):]
        if not _is_hostname(domain):
            return "'%s': lookup-mx: must be followed by a domain name" % text
        return {"host": domain, "port": None, "kind": "lookup-mx"}
    port = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return "'%s': unclosed '['" % text
        inner, rest = text[1:end], text[end + 1:]
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
            return ("'%s': brackets are for IP address literals only; write a host name bare, "
                    "as in %s:587" % (text, inner))
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
        allowed = pmta_directives.PATTERN_ACTIONS.get(key.lower(), False)
        if allowed is False:
            return "unknown action '%s' (known: %s)" % (action, ", ".join(sorted(pmta_directives.PATTERN_ACTIONS)))
        if allowed is None and sep:
            return "action '%s' takes no value" % key
        if isinstance(allowed, tuple) and arg.lower() not in allowed:
            return "action '%s' expects one of %s" % (key, ", ".join(allowed))
        if isinstance(allowed, str) and not _check_value(allowed, arg):
            return "action '%s' expects %s" % (key, _TYPE_HELP[allowed])
    return None


def _is_dkim_key(value):
    parts = [part.strip(_BLANKS) for part in value.split(",")]
    return (len(parts) == 3 and bool(_DKIM_SELECTOR_RE.fullmatch(parts[0])) and _is_hostname(parts[1])
            and bool(parts[2]) and not any(char in parts[2] for char in _BLANKS))


def parse_listener(value):
    """Parse ``address:port`` (``0/0:25``, ``10.0.1.22:587``, ``[::1]:25``).

    Returns (network, port) or None.
    """
    text = str(value).strip(_BLANKS)
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not text[end + 1:].startswith(":"):
            return None
        addr, port = text[1:end], text[end + 2:]
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
    return _is_uint(value) and 1 <= int(value) <= 65535


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
        return bool(_DOMAIN_PATTERN_RE.fullmatch(value)) or (
            value.startswith("[") and parse_network(value) is not None)
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
        elif char in _BLANKS and not in_quotes:
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
    Linear in the text: every character is looked at a bounded number of times.
    """
    out = []
    position = 0
    while True:
        index = text.find("#", position)
        if index < 0:
            out.append(text[position:])
            break
        out.append(text[position:index])
        resume = None
        for match in _TOKEN_RE.finditer(text, index + 1):
            token = match.group(0)
            if "-" in token and _is_directive_name(token, extra):
                resume = match.start()
                break
        if resume is None:
            break
        out.append(" ")
        position = resume
    return "".join(out)


def _parse_tag(text, start=0, end=None):
    """The stanza tag ``<name arg>`` or ``</name>`` at ``text[start]``.

    Returns (closing, name, arg or None, index after '>') or None.  ``end`` is
    the index of the first '>' at or after ``start`` (found when None).  No
    regular expression with nested repeats: the cost is the tag's own length.
    """
    if end is None:
        end = text.find(">", start)
    if end < 0 or text.find("<", start + 1, end) >= 0:
        return None
    inner = text[start + 1:end]
    closing = inner.startswith("/")
    if closing:
        inner = inner[1:]
    match = _TAG_NAME_RE.match(inner)
    if match is None:
        return None
    rest = inner[match.end():]
    if rest and rest[0] not in _BLANKS:
        return None
    return closing, match.group(0), rest.strip(_BLANKS) or None, end + 1


def _find_tags(text):
    """Every stanza tag in a line: a list of (start, (closing, name, arg, end))."""
    found = []
    position = 0
    close = -1
    while True:
        start = text.find("<", position)
        if start < 0:
            return found
        if close < start:
            close = text.find(">", start)
            if close < 0:
                return found
        tag = _parse_tag(text, start, close)
        if tag is None:
            position = start + 1
            continue
        found.append((start, tag))
        position = tag[3]


# --------------------------------------------------------------------------
# Tree builder
# --------------------------------------------------------------------------

REDACTED = "(not shown: its line holds a password)"
SECRET_LINE_MESSAGE = ("this line holds a password and is not valid here; it is not quoted: check the "
                       "directive name, where it is and that it has exactly one value")


class _Builder(object):
    def __init__(self, extra_directives=()):
        self.root = Stanza(GLOBAL, None, 0)
        self.stack = [self.root]
        self.open_counts = {}
        self.errors = []
        self.warnings = []
        self.secret_lines = set()
        self.extra = frozenset(d.lower() for d in extra_directives)
        self.unchecked = {}

    @property
    def top(self):
        return self.stack[-1]

    def in_opaque(self):
        return self.top.opaque

    def error(self, line, message, redacted=None):
        if line in self.secret_lines:
            message = redacted or SECRET_LINE_MESSAGE
        self.errors.append(Finding(line, message))

    def warn(self, line, message, redacted=None):
        if line in self.secret_lines:
            message = redacted or SECRET_LINE_MESSAGE.replace("is not valid here", "looks odd")
        self.warnings.append(Finding(line, message))

    def push(self, stanza):
        self.stack.append(stanza)
        self.open_counts[stanza.key] = self.open_counts.get(stanza.key, 0) + 1

    def pop(self):
        stanza = self.stack.pop()
        self.open_counts[stanza.key] -= 1
        return stanza

    def tag(self, line, closing, name, arg):
        """A stanza tag: ``<name arg>`` opens a stanza, ``</name>`` closes one."""
        if closing:
            self.close_tag(line, name, arg)
        else:
            self.open_tag(line, name, arg)

    def open_tag(self, line, name, arg):
        key = name.lower()
        parent = self.top
        if parent.opaque:
            return
        arg = (arg or "").strip()
        if key in OPAQUE_STANZAS:
            if parent.key not in OPAQUE_PARENTS[key]:
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
            if arg_type is None:
                if arg:
                    self.error(line, "stanza <%s> takes no argument" % name)
            elif not arg:
                self.error(line, "stanza <%s> needs an argument (%s)" % (name, _TYPE_HELP[arg_type]))
            elif not _check_value(arg_type, arg):
                self.error(line, "stanza <%s %s>: expected %s" % (name, arg, _TYPE_HELP[arg_type]))
            stanza = Stanza(name, arg, line, parent)
        stanza.redacted = line in self.secret_lines
        parent.children.append(stanza)
        self.push(stanza)

    def close_tag(self, line, name, arg):
        key = name.lower()
        if self.top.opaque and self.top.key != key:
            return
        if arg and arg.strip():
            self.error(line, "closing tag </%s> takes no argument" % name)
        if not self.open_counts.get(key):
            self.error(line, "stray </%s> without a matching <%s>" % (name, name))
            return
        while self.top.key != key:
            inner = self.pop()
            self.error(inner.line, "%s opened here is not closed before </%s> on line %d"
                       % (inner.label(), name, line))
            inner.end_line = line
        closed = self.pop()
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
            self._note_unchecked(directive)
            return
        if key not in DIRECTIVES or ctx not in DIRECTIVES[key][0]:
            homes = sorted(set([c for c, names in UNCHECKED_DIRECTIVES.items() if key in names]
                               + list(DIRECTIVES.get(key, ((), ()))[0])), key=_context_order)
            if ctx in LENIENT_STANZAS:
                self.warn(line, "'%s' in <%s> is not in the directive table; it is not validated"
                          % (directive.name, ctx))
            elif homes:
                where = " or ".join(_context_label(h) for h in homes)
                self.error(line, "directive '%s' is not allowed in %s (it belongs in %s)"
                           % (directive.name, _context_label(ctx), where),
                           redacted="directive '%s' is not allowed in %s (it belongs in %s)"
                           % (key, _context_label(ctx), where) if key in SECRET_DIRECTIVES else None)
            else:
                self.error(line, "unknown directive '%s'" % directive.name)
            return
        self._check_args(directive, DIRECTIVES[key][1])
        if key == "include":
            self.warn(line, "included file '%s' is not validated" % directive.value)
        if key in DEPRECATED:
            self.warn(line, "'%s' is deprecated by the PowerMTA reference (%s)%s"
                      % (directive.name, REFERENCE[key], "; use smtp-hosts" if key == "route" else ""))

    def _note_unchecked(self, directive):
        key = directive.key
        if key not in self.unchecked:
            self.unchecked[key] = {"name": key, "line": directive.line, "reference": REFERENCE[key]}
            self.warn(directive.line, "directive '%s' is in the PowerMTA reference (%s) but the linter does "
                                      "not check its value" % (directive.name, REFERENCE[key]))
        if key in DEPRECATED:
            self.warn(directive.line, "'%s' is deprecated by the PowerMTA reference (%s)"
                      % (directive.name, REFERENCE[key]))

    def _check_args(self, directive, spec):
        args, line, name = directive.args, directive.line, directive.name
        secret = directive.key in SECRET_DIRECTIVES
        if len(spec) == 1 and spec[0].startswith("*") and spec[0][1:] in JOINED_TYPES:
            vtype = spec[0][1:]
            value = " ".join(args)
            if not args:
                self.error(line, "directive '%s' expects %s" % (name, _TYPE_HELP[vtype]))
            elif vtype == "smtp_hosts" and parse_smtp_hosts(value)[1] is not None:
                self.error(line, "directive '%s' expects %s: %s" % (name, _TYPE_HELP[vtype], parse_smtp_hosts(value)[1]))
            elif vtype == "pattern_line" and parse_pattern_line(value) is not None:
                self.error(line, "directive '%s' expects %s: %s" % (name, _TYPE_HELP[vtype], parse_pattern_line(value)))
            elif not _check_value(vtype, value):
                self.error(line, "directive '%s' expects %s, got '%s'" % (name, _TYPE_HELP[vtype], value))
            return
        low, high = _arity(spec)
        if len(args) < low or (high is not None and len(args) > high):
            if secret:
                # never echo anything about a secret value, not even its word count
                self.error(line, "directive '%s' expects exactly one value" % directive.key,
                           redacted="directive '%s' expects exactly one value" % directive.key)
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
            stanza = self.pop()
            self.error(stanza.line, "%s is never closed (missing </%s>)"
                       % (stanza.label(), stanza.name))
        return self.root


def _lines(text):
    """(number, line) pairs: split on "\n" only, as PowerMTA does; a "\r" before it is dropped."""
    for lineno, raw in enumerate(text.split("\n"), 1):
        yield lineno, raw[:-1] if raw.endswith("\r") else raw


def _screen(builder, lineno, raw):
    """False (and an error) for a line PowerMTA and this parser could read differently."""
    if _SECRET_LINE_RE.search(raw):
        builder.secret_lines.add(lineno)
    bad = _CONTROL_RE.search(raw)
    if bad is None:
        return True
    builder.error(lineno, "the line contains the control or separator character U+%04X; PowerMTA and "
                          "this linter could read it differently (the line is not quoted)" % ord(bad.group(0)),
                  redacted="the line contains the control or separator character U+%04X (the line holds "
                           "a password and is not quoted)" % ord(bad.group(0)))
    return False


def _feed_lines(builder, text):
    for lineno, raw in _lines(text):
        if not _screen(builder, lineno, raw):
            continue
        stripped = _strip_comment(raw).strip(_BLANKS)
        if not stripped:
            continue
        tag = _parse_tag(stripped) if stripped.startswith("<") else None
        if tag is not None:
            closing, name, arg, end = tag
            rest = stripped[end:]
            if builder.in_opaque() and not (closing and name.lower() == builder.top.key):
                continue
            if rest.strip(_BLANKS):
                builder.error(lineno, "text after <%s%s> on the same line: put each directive "
                                      "on its own line (or parse with compact=True)"
                              % ("/" if closing else "", name + (" " + arg if arg else "")),
                              redacted="text after a stanza tag on the same line: put each directive on "
                                       "its own line (or parse with compact=True); the line holds a "
                                       "password and is not quoted")
            builder.tag(lineno, closing, name, arg)
            continue
        if builder.in_opaque():
            continue
        if stripped.startswith("<"):
            builder.error(lineno, "malformed stanza tag '%s'" % _TOKEN_RE.match(stripped).group(0))
            continue
        if _find_tags(stripped):
            builder.error(lineno, "stanza tag in the middle of a line: put it on its own line "
                                  "(or parse with compact=True)")
            continue
        tokens = split_tokens(stripped)
        builder.directive(lineno, tokens[0], tokens[1:])


def _feed_compact(builder, text):
    """Feed text whose line breaks were lost (several directives per line)."""
    for lineno, raw in _lines(text):
        if not _screen(builder, lineno, raw):
            continue
        position = 0
        segments = []
        for start, tag in _find_tags(raw):
            segments.append(("text", raw[position:start]))
            segments.append(("tag", tag))
            position = tag[3]
        segments.append(("text", raw[position:]))
        for kind, segment in segments:
            if kind == "tag":
                closing, name, arg, _end = segment
                builder.tag(lineno, closing, name, arg)
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
    builder = _build(text, compact, extra_directives)
    return builder.root, builder.errors, builder.warnings


def _build(text, compact, extra_directives):
    if not isinstance(text, str):
        raise TypeError("the configuration must be text (str), got %s" % type(text).__name__)
    builder = _Builder(extra_directives)
    if compact:
        _feed_compact(builder, text)
    else:
        _feed_lines(builder, text)
    builder.finish()
    return builder


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
    levels = None
    if directive.key == "smtp-hosts":
        levels, _problem = parse_smtp_hosts(" ".join(directive.args))
        if not levels:
            return None
        first = levels[0][0]
        host, port = first["host"], first["port"]
    else:
        parsed = parse_hostport(directive.args[0])
        if parsed is None:
            return None
        host, port, _bracketed = parsed
    if port is None:
        default = stanza.first("default-smtp-port")
        if default is not None and default.args and _is_port(default.args[0]):
            port = int(default.args[0])
    route = {"directive": directive.key, "host": host, "port": port, "line": directive.line}
    if levels is not None:
        route["levels"] = [[dict(h) for h in level] for level in levels]
    return route


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


def _check_duplicates(root, warn):
    """Repeated directives and duplicate stanzas, block by block (iterative: any depth)."""
    pending = [root]
    while pending:
        stanza = pending.pop()
        seen_directives = {}
        seen_stanzas = {}
        for child in stanza.children:
            if isinstance(child, Directive):
                if child.key in REPEATABLE or child.key not in DIRECTIVES:
                    continue
                if child.key in seen_directives:
                    warn(child.line, "directive '%s' repeated in %s (first on line %d)"
                         % (child.key, stanza.label(), seen_directives[child.key]))
                else:
                    seen_directives[child.key] = child.line
            else:
                ident = (child.key, (child.arg or "").lower())
                if ident in seen_stanzas and not child.opaque:
                    warn(child.line, "duplicate %s (first on line %d)"
                         % (child.label(), seen_stanzas[ident]))
                else:
                    seen_stanzas[ident] = child.line
                pending.append(child)


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
        if sum(len(level) for level in route.get("levels", [[]])) > 1:
            warn(directive.line, "smtp-hosts lists several hosts (%d preference level(s)); the summary "
                                 "reports the first" % len(route["levels"]))
        if route["port"] is None:
            warn(directive.line, "'%s %s' has no port: PowerMTA would use port 25, which most "
                                 "clouds block; add :587 or :2525" % (directive.name, directive.args[0]))
        elif route["port"] == 25:
            warn(directive.line, "'%s' uses port 25, which most clouds block outbound" % directive.name)
        return route
    return None


def validate(text, compact=False, fragment=False, extra_directives=(), policy=True):
    """Parse and check a whole configuration; returns a Report.

    Two questions, kept apart. Is this a valid PowerMTA configuration (syntax, stanzas, where
    each directive may appear, values, references between stanzas): always checked. Does it
    meet the relay policy of egress.mail.powermta_relay (``policy=True``, the default here; the
    module's ``relay_policy`` option): an explicit listener, exactly one route in ``<domain *>``,
    no TLS below 1.2 towards the smarthost, no open relay, no exposed listener without login, no
    remote admin access. With ``policy=False`` the relay-safety findings are warnings and the
    routing rules are not applied.

    With ``fragment=True`` the whole-file checks (a listener and exactly one
    route for ``<domain *>`` must exist) are skipped, for include files and
    snippets.
    """
    builder = _build(text, compact, extra_directives)
    root, errors, warnings = builder.root, builder.errors, builder.warnings
    error, warn = builder.error, builder.warn
    # Relay safety: an error under the relay policy, a warning for any other file.
    unsafe = error if policy else warn
    whole = policy and not fragment

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
    for directive in root.directives("http-access"):
        if len(directive.args) != 2 or directive.args[1].lower() == "none":
            continue
        net = parse_network(directive.args[0])
        if net is not None and not _is_loopback(net):
            unsafe(directive.line, "http-access %s %s: the %s level lets anyone there reload or change "
                                   "PowerMTA; give it only to loopback addresses (127.0.0.1, ::1)"
                   % (directive.args[0], directive.args[1].lower(), directive.args[1].lower()))
    if not listeners and whole:
        error(None, "no smtp-listener: declare the listener explicitly "
                    "(for example 'smtp-listener 127.0.0.1:25')")

    # --- sources -----------------------------------------------------------
    sources = root.stanzas("source")
    named_sources = set(s.arg for s in sources if s.arg and s.arg.startswith("{"))
    catch_alls = []
    open_networks = []
    for stanza in sources:
        if not stanza.arg or stanza.arg.startswith("{"):
            continue
        net = parse_network(stanza.arg)
        relays = _bool_of(stanza, "always-allow-relaying") is True
        auth = _bool_of(stanza, "require-auth") is True
        if net is not None and net.prefixlen == 0:
            catch_alls.append((_bool_of(stanza, "require-auth"), _bool_of(stanza, "smtp-service")))
        if relays and not auth:
            if net is not None:
                open_networks.append(net)
            if _is_wide(net):
                unsafe(stanza.line, "open relay: <source %s> has always-allow-relaying yes without "
                                    "require-auth yes" % stanza.arg)
            elif net is not None and not net.is_private and not net.is_loopback:
                warn(stanza.line, "<source %s> relays for public addresses without authentication; "
                                  "make sure every address in it is yours" % stanza.arg)
        if (_bool_of(stanza, "allow-starttls") or _bool_of(stanza, "require-starttls-before-auth")) \
                and root.first("smtp-server-tls-certificate") is None:
            warn(stanza.line, "<source %s> offers STARTTLS but no smtp-server-tls-certificate is set"
                 % stanza.arg)
    count4, count6 = public_addresses([n for n in open_networks if n.prefixlen])
    if count4 > PUBLIC_IPV4_LIMIT or count6 > PUBLIC_IPV6_LIMIT:
        unsafe(None, "open relay: together the <source> stanzas with always-allow-relaying yes and no "
                     "require-auth cover %d public IPv4 and %d public IPv6 addresses (at most a /24 and "
                     "a /64)" % (count4, count6))
    # The catch-all (<source 0/0>, possibly written as several stanzas) is safe only if its
    # clients must log in or get no service at all, and no stanza of it says otherwise.
    auth_values = set(a for a, _s in catch_alls if a is not None)
    service_values = set(v for _a, v in catch_alls if v is not None)
    catch_all_ok = auth_values == {True} or service_values == {False}
    exposed = [lst for lst in listeners if not lst["loopback"]]
    if exposed and not catch_all_ok:
        unsafe(exposed[0]["line"], "listener '%s' is not on a loopback address: add <source 0/0> with "
                                   "require-auth yes (clients must log in) or smtp-service no (only the "
                                   "allow-listed sources may connect)" % exposed[0]["listener"])
    if any(_bool_of(s, "require-auth") for s in sources) and not root.stanzas("smtp-user"):
        warn(None, "a source requires authentication but no <smtp-user> is defined")

    # --- smtp users --------------------------------------------------------
    for stanza in root.stanzas("smtp-user"):
        method = stanza.first("authentication-method")
        method = method.args[0].lower() if method is not None and method.args else "password"
        if method == "password" and stanza.first("password") is None:
            error(stanza.line, "<smtp-user %s> has no password" % stanza.arg)
        for directive in stanza.directives("source"):
            if directive.args and directive.args[0] not in named_sources:
                error(directive.line, "<smtp-user %s> refers to %s but no <source %s> is defined"
                      % (stanza.arg, directive.args[0], directive.args[0]))

    # --- virtual MTAs and pools -------------------------------------------
    rule = error if policy else _ignore
    note = warn if policy else _ignore
    wildcard = [s for s in root.stanzas("domain") if s.arg == "*"]
    vmtas = {}
    for stanza in root.stanzas("virtual-mta"):
        vmtas.setdefault(stanza.arg, stanza)
    for stanza in root.stanzas("virtual-mta") + root.stanzas("virtual-mta-pool"):
        inner = [s for s in stanza.stanzas("domain") if s.arg == "*"]
        if inner:
            _check_routes(inner, rule, note, "<domain *> in %s" % stanza.label())
            if policy:
                # Whether a virtual MTA's <domain *> inherits the top-level one is not in the
                # reference transcription: its own route must carry its own TLS floor.
                _check_tls_floor(inner, [], error)
    pools = {}
    pool_lines = {}
    for stanza in root.stanzas("virtual-mta-pool"):
        members = []
        pool_lines[stanza.arg] = (stanza.line, [])
        for directive in stanza.directives("virtual-mta"):
            if not directive.args:
                continue
            members.append(directive.args[0])
            pool_lines[stanza.arg][1].append((directive.args[0], directive.line))
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
    route = None
    starttls = {"use": None, "require": None}
    auth_user = None
    auth_user_line = None
    auth_password_set = False
    if not wildcard:
        if whole:
            error(None, "no <domain *> stanza: all mail must be routed to the smarthost "
                        "with route or smtp-hosts")
    else:
        route = _check_routes(wildcard, rule, note, "<domain *>")
        has_route = any(d.key in ROUTE_DIRECTIVES for s in wildcard for d in s.directives())
        if policy and has_route:
            _check_tls_floor(wildcard, [], error)
            if _last_value(wildcard, "smtp-tls-ca-file") is None:
                warn(wildcard[0].line, "<domain *> has no smtp-tls-ca-file: PowerMTA does not verify the "
                                       "smarthost's certificate")
        if not has_route and whole:
            error(wildcard[0].line, "<domain *> has no route or smtp-hosts: mail would go straight "
                                    "to each recipient's MX on port 25")
        for stanza in wildcard:
            starttls["use"] = _first_not_none(_bool_of(stanza, "use-starttls"), starttls["use"])
            starttls["require"] = _first_not_none(_bool_of(stanza, "require-starttls"),
                                                  starttls["require"])
            user = stanza.first("auth-username")
            if user is not None and user.args:
                auth_user, auth_user_line = user.args[0], user.line
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
    secret_lines = builder.secret_lines

    def hide(value, line):
        """Nothing read from a line that holds a password reaches the summary."""
        return REDACTED if line in secret_lines else value

    for lst in listeners:
        lst["address"], lst["listener"] = hide(lst["address"], lst["line"]), hide(lst["listener"], lst["line"])
    if route is not None:
        route["host"] = hide(route["host"], route["line"])
    user_stanzas = root.stanzas("smtp-user")
    tls = dict((key, _bool_value(_last_value(wildcard, "smtp-tls-allow-" + key)))
               for key in ("tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"))
    tls["ca_file"] = _last_value(wildcard, "smtp-tls-ca-file")
    tls["log_tls"] = _bool_value(_last_value(wildcard, "log-tls"))
    summary = {
        "policy": bool(policy),
        "tls": tls,
        "unchecked_directives": sorted(builder.unchecked.values(), key=lambda item: item["line"]),
        "listeners": [lst["listener"] for lst in listeners],
        "listener_details": listeners,
        "route": route,
        "starttls": starttls,
        "auth_user": hide(auth_user, auth_user_line),
        "auth_password_set": auth_password_set,
        "server_tls_certificate": hide(certificate.args[0], certificate.line)
        if certificate is not None and certificate.args else None,
        "sources": [dict(_source_summary(s), match=hide(s.arg, s.line)) for s in sources],
        "smtp_users": [hide(s.arg, s.line) for s in user_stanzas],
        "virtual_mtas": [{"name": hide(name, s.line), "line": s.line,
                          "source_hosts": [[hide(a, d.line) for a in d.args] for d in s.directives("smtp-source-host")]}
                         for name, s in vmtas.items()],
        "virtual_mta_pools": [{"name": hide(name, line), "members": [hide(m, ml) for m, ml in members]}
                              for name, (line, members) in pool_lines.items()],
    }
    return Report(root, errors, warnings, summary)


def _ignore(_line, _message, redacted=None):
    return None


def _last_value(stanzas, name):
    """The first value of the last ``name`` in ``stanzas`` (later stanzas win), or None."""
    found = None
    for stanza in stanzas:
        for directive in stanza.directives(name):
            if directive.args:
                found = directive.args[0]
    return found


def _bool_value(value):
    return None if value is None else parse_bool(value)


# The reference's defaults (section 3.3.10.95.6-9): TLSv1 off, TLSv1.1 on.
_TLS_DEFAULTS = {"tlsv1": False, "tlsv1.1": True}


def _check_tls_floor(stanzas, inherited, error):  # inherited: stanzas whose values apply when unset
    """Under the relay policy no TLS below 1.2 towards the smarthost: TLSv1 and TLSv1.1 must be off."""
    routes = [d for s in stanzas for d in s.directives() if d.key in ROUTE_DIRECTIVES]
    if not routes:
        return
    for version, default in sorted(_TLS_DEFAULTS.items()):
        name = "smtp-tls-allow-" + version
        value = _bool_value(_last_value(stanzas, name))
        if value is None:
            value = _bool_value(_last_value(inherited, name))
        if value is None:
            value = default
        if value:
            error(routes[0].line, "relay policy: %s is %s for this route (%s); TLS below 1.2 must be off "
                                  "towards the smarthost: add '%s no'"
                  % (name, "on by default" if default else "on", REFERENCE[name], name))


def _first_not_none(value, fallback):
    return fallback if value is None else value


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------

def _secret_spans(line):
    """(start, end) of the secret value in one line: from the first secret directive name and
    its blanks to the end of the line, comments included (a '#' may belong to the password),
    trailing blanks excluded.  One pass over the line."""
    match = _SECRET_NAME_RE.search(line)
    if match is None:
        return []
    start = match.end()
    while start < len(line) and line[start].isspace():
        start += 1
    stop = len(line[start:].rstrip())
    return [(start, start + stop)] if stop else []


def _mask_line(line, mask):
    out = []
    position = 0
    for start, end in _secret_spans(line):
        out.append(line[position:start])
        out.append(mask)
        position = end
    out.append(line[position:])
    return "".join(out)


def mask_secrets(text, mask=MASK):
    """Replace the values of auth-password and password with a mask.

    Everything after the directive name up to the end of the line, a comment
    included, is masked, so a value with spaces or a '#' never leaks half-masked.  Lines end at
    "\n" only, and any other whitespace (\v, \f, U+2028...) counts as a blank
    inside the line, so no spelling leaves part of a password unmasked.
    """
    if not text:
        return text
    return "\n".join(_mask_line(line, mask) for line in text.split("\n"))


def secret_values(text):
    """The values that mask_secrets() hides, in order (for change detection only)."""
    found = []
    for line in (text or "").split("\n"):
        found.extend(line[start:end] for start, end in _secret_spans(line))
    return found


def _split_lines(text):
    """Lines split at "\n" only (no empty last line for a final "\n", like splitlines())."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def masked_diff(before, after, path="config"):
    """Unified diff (list of lines) of two configurations with secrets masked."""
    return list(difflib.unified_diff(
        _split_lines(mask_secrets(before or "")),
        _split_lines(mask_secrets(after or "")),
        fromfile="%s (current)" % path,
        tofile="%s (new)" % path,
        lineterm="",
    ))


# --------------------------------------------------------------------------
# Documentation of the table (docs/pmta-directives.md is generated from it)
# --------------------------------------------------------------------------

def directives_markdown():
    """The directive and stanza table as Markdown, from pmta_directives (the source of truth)."""
    def ctx(names):
        return ", ".join("top level" if n == GLOBAL else "`<%s>`" % n for n in names)

    lines = ["# PowerMTA directives known to egress.mail.pmta_config", "",
             "Generated from `plugins/module_utils/pmta_directives.py` by `pmta_config.directives_markdown()`",
             "(`PMTA_DOCS_UPDATE=1 pytest tests/unit/plugins/module_utils/test_pmta_corpus.py` rewrites it).",
             "Values marked *not checked* are accepted and reported as such.", "",
             "## Sources", ""]
    for key in sorted(SOURCES):
        lines.append("- `%s`: %s" % (key, SOURCES[key]))
    lines += ["", "## Stanzas (%d)" % len(pmta_directives.STANZA_TABLE), "",
              "| stanza | inside | argument | source | section |", "| --- | --- | --- | --- | --- |"]
    for name, parents, arg, source, section, opaque in pmta_directives.STANZA_TABLE:
        lines.append("| `<%s>` | %s | %s | %s | %s |" % (
            name, ctx(parents), "none" if arg is None else _TYPE_HELP[arg].replace("|", "\\|"),
            source, (section or "") + (" (contents not checked)" if opaque else "")))
    lines += ["", "## Directives (%d: %d type-checked, %d not checked)" % (
        len(pmta_directives.DIRECTIVE_TABLE), len(DIRECTIVES),
        sum(1 for row in pmta_directives.DIRECTIVE_TABLE if row[2] is None)), "",
        "| directive | where | value | source | section | notes |", "| --- | --- | --- | --- | --- | --- |"]
    for name, where, values, source, section, flags in pmta_directives.DIRECTIVE_TABLE:
        value = "*not checked*" if values is None else "; ".join(
            ("one or more: " if v.startswith("*") else "") + _TYPE_HELP[v.lstrip("?*")] for v in values)
        notes = ", ".join(word for flag, word in (("r", "repeatable"), ("d", "deprecated"), ("s", "secret"))
                          if flag in flags)
        lines.append("| `%s` | %s | %s | %s | %s | %s |"
                     % (name, ctx(where), value.replace("|", "\\|"), source, section or "", notes))
    return "\n".join(lines) + "\n"
