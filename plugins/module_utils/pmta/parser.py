# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration language, the syntax: lines, comments, stanza tags and the tree of
stanzas and directives a text builds, with the findings met on the way (unknown names, wrong
places, bad values, lines that read differently to PowerMTA and to Python).

Layer 2 of the linter (on pmta.lexer); module_utils/pmta_config is its public face."""

from __future__ import annotations

from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import (
    _BLANKS,
    _CONTROL_RE,
    _TOKEN_RE,
    _find_tags,
    _lines,
    _parse_tag,
    _strip_comment,
    _strip_comment_compact,
    split_tokens,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.schema import (
    _arity,
    DEPRECATED,
    _describe_arity,
    DIRECTIVES,
    Finding,
    GLOBAL,
    JOINED_TYPES,
    LENIENT_STANZAS,
    OPAQUE_PARENTS,
    OPAQUE_STANZAS,
    REFERENCE,
    SECRET_DIRECTIVES,
    _SECRET_LINE_RE,
    STANZAS,
    UNCHECKED_DIRECTIVES,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.values import (
    _check_value,
    parse_pattern_line,
    parse_smtp_hosts,
    _TYPE_HELP,
)


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

    def directives(self, name=None):
        return [c for c in self.children if isinstance(c, Directive) and (name is None or c.key == name)]

    def stanzas(self, name=None):
        return [c for c in self.children if isinstance(c, Stanza) and (name is None or c.key == name)]

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


def _is_directive_name(token, extra=()):
    low = token.lower()
    if low in DIRECTIVES or low in extra:
        return True
    return any(low in names for names in UNCHECKED_DIRECTIVES.values())


# --------------------------------------------------------------------------
# Tree builder
# --------------------------------------------------------------------------

REDACTED = "(not shown: its line holds a password)"
SECRET_LINE_MESSAGE = (
    "this line holds a password and is not valid here; it is not quoted: check the "
    "directive name, where it is and that it has exactly one value"
)


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
            self.error(inner.line, "%s opened here is not closed before </%s> on line %d" % (inner.label(), name, line))
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
            homes = sorted(
                set(
                    [c for c, names in UNCHECKED_DIRECTIVES.items() if key in names]
                    + list(DIRECTIVES.get(key, ((), ()))[0])
                ),
                key=_context_order,
            )
            if ctx in LENIENT_STANZAS:
                self.warn(
                    line, "'%s' in <%s> is not in the directive table; it is not validated" % (directive.name, ctx)
                )
            elif homes:
                where = " or ".join(_context_label(h) for h in homes)
                self.error(
                    line,
                    "directive '%s' is not allowed in %s (it belongs in %s)"
                    % (directive.name, _context_label(ctx), where),
                    redacted="directive '%s' is not allowed in %s (it belongs in %s)"
                    % (key, _context_label(ctx), where)
                    if key in SECRET_DIRECTIVES
                    else None,
                )
            else:
                self.error(line, "unknown directive '%s'" % directive.name)
            return
        self._check_args(directive, DIRECTIVES[key][1])
        if key == "include":
            self.warn(line, "included file '%s' is not validated" % directive.value)
        if key in DEPRECATED:
            self.warn(
                line,
                "'%s' is deprecated by the PowerMTA reference (%s)%s"
                % (directive.name, REFERENCE[key], "; use smtp-hosts" if key == "route" else ""),
            )

    def _note_unchecked(self, directive):
        key = directive.key
        if key not in self.unchecked:
            self.unchecked[key] = {"name": key, "line": directive.line, "reference": REFERENCE[key]}
            self.warn(
                directive.line,
                "directive '%s' is in the PowerMTA reference (%s) but the linter does "
                "not check its value" % (directive.name, REFERENCE[key]),
            )
        if key in DEPRECATED:
            self.warn(
                directive.line, "'%s' is deprecated by the PowerMTA reference (%s)" % (directive.name, REFERENCE[key])
            )

    def _check_args(self, directive, spec):
        args, line, name = directive.args, directive.line, directive.name
        secret = directive.key in SECRET_DIRECTIVES
        if len(spec) == 1 and spec[0].startswith("*") and spec[0][1:] in JOINED_TYPES:
            vtype = spec[0][1:]
            value = " ".join(args)
            if not args:
                self.error(line, "directive '%s' expects %s" % (name, _TYPE_HELP[vtype]))
            elif vtype == "smtp_hosts" and parse_smtp_hosts(value)[1] is not None:
                self.error(
                    line, "directive '%s' expects %s: %s" % (name, _TYPE_HELP[vtype], parse_smtp_hosts(value)[1])
                )
            elif vtype == "pattern_line" and parse_pattern_line(value) is not None:
                self.error(line, "directive '%s' expects %s: %s" % (name, _TYPE_HELP[vtype], parse_pattern_line(value)))
            elif not _check_value(vtype, value):
                self.error(line, "directive '%s' expects %s, got '%s'" % (name, _TYPE_HELP[vtype], value))
            return
        low, high = _arity(spec)
        if len(args) < low or (high is not None and len(args) > high):
            if secret:
                # never echo anything about a secret value, not even its word count
                self.error(
                    line,
                    "directive '%s' expects exactly one value" % directive.key,
                    redacted="directive '%s' expects exactly one value" % directive.key,
                )
            else:
                self.error(line, "directive '%s' expects %s, got %d" % (name, _describe_arity(spec), len(args)))
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
                if not _check_value(vtype, value):
                    self.error(line, "directive '%s' expects %s, got '%s'" % (name, _TYPE_HELP[vtype], value))

    def finish(self):
        while len(self.stack) > 1:
            stanza = self.pop()
            self.error(stanza.line, "%s is never closed (missing </%s>)" % (stanza.label(), stanza.name))
        return self.root


def _screen(builder, lineno, raw):
    """False (and an error) for a line PowerMTA and this parser could read differently."""
    if _SECRET_LINE_RE.search(raw):
        builder.secret_lines.add(lineno)
    bad = _CONTROL_RE.search(raw)
    if bad is None:
        return True
    builder.error(
        lineno,
        "the line contains the control or separator character U+%04X; PowerMTA and "
        "this linter could read it differently (the line is not quoted)" % ord(bad.group(0)),
        redacted="the line contains the control or separator character U+%04X (the line holds "
        "a password and is not quoted)" % ord(bad.group(0)),
    )
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
                builder.error(
                    lineno,
                    "text after <%s%s> on the same line: put each directive "
                    "on its own line (or parse with compact=True)"
                    % ("/" if closing else "", name + (" " + arg if arg else "")),
                    redacted="text after a stanza tag on the same line: put each directive on "
                    "its own line (or parse with compact=True); the line holds a "
                    "password and is not quoted",
                )
            builder.tag(lineno, closing, name, arg)
            continue
        if builder.in_opaque():
            continue
        if stripped.startswith("<"):
            builder.error(lineno, "malformed stanza tag '%s'" % _TOKEN_RE.match(stripped).group(0))
            continue
        if _find_tags(stripped):
            builder.error(
                lineno, "stanza tag in the middle of a line: put it on its own line (or parse with compact=True)"
            )
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
            content = _strip_comment_compact(segment, lambda token: _is_directive_name(token, builder.extra))
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
