# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration language, the vocabulary: which stanzas and directives exist, where,
with which value types and how many values (built from the data table in pmta.directives), which
names hold secrets, and what a finding is; the table as Markdown for the docs.

Layer 1 of the linter (pmta.directives, pmta.schema, pmta.values; then pmta.lexer, pmta.parser,
pmta.checks; pmta.secrets masks passwords); module_utils/pmta_config is its public face."""

from __future__ import annotations

import re

from ansible_collections.egress.mail.plugins.module_utils.pmta import directives as pmta_directives
from ansible_collections.egress.mail.plugins.module_utils.pmta.values import _TYPE_HELP

MASK = "********"
GLOBAL = "global"

# --------------------------------------------------------------------------
# Stanzas and directives: built from the data table in pmta.directives
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
REFERENCE = dict(
    (row[0], ("section %s" % row[4]) if row[4] else SOURCES[row[3]].split(",")[0].split(" (")[0])
    for row in pmta_directives.DIRECTIVE_TABLE
)

# Directives that may legitimately appear several times in one block.
REPEATABLE = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "r" in row[5])
DEPRECATED = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "d" in row[5])
SECRET_DIRECTIVES = frozenset(row[0] for row in pmta_directives.DIRECTIVE_TABLE if "s" in row[5])
ROUTE_DIRECTIVES = ("route", "smtp-hosts")

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
# Documentation of the table (docs/pmta-directives.md is generated from it)
# --------------------------------------------------------------------------


def directives_markdown():
    """The directive and stanza table as Markdown, from pmta.directives (the source of truth)."""

    def ctx(names):
        return ", ".join("top level" if n == GLOBAL else "`<%s>`" % n for n in names)

    lines = [
        "# PowerMTA directives known to egress.mail.pmta_config",
        "",
        "Generated from `plugins/module_utils/pmta/directives.py` by `pmta_config.directives_markdown()`",
        "(`PMTA_DOCS_UPDATE=1 pytest tests/unit/plugins/module_utils/pmta/test_schema.py` rewrites it).",
        "Values marked *not checked* are accepted and reported as such.",
        "",
        "## Sources",
        "",
    ]
    for key in sorted(SOURCES):
        lines.append("- `%s`: %s" % (key, SOURCES[key]))
    lines += [
        "",
        "## Stanzas (%d)" % len(pmta_directives.STANZA_TABLE),
        "",
        "| stanza | inside | argument | source | section |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, parents, arg, source, section, opaque in pmta_directives.STANZA_TABLE:
        lines.append(
            "| `<%s>` | %s | %s | %s | %s |"
            % (
                name,
                ctx(parents),
                "none" if arg is None else _TYPE_HELP[arg].replace("|", "\\|"),
                source,
                (section or "") + (" (contents not checked)" if opaque else ""),
            )
        )
    lines += [
        "",
        "## Directives (%d: %d type-checked, %d not checked)"
        % (
            len(pmta_directives.DIRECTIVE_TABLE),
            len(DIRECTIVES),
            sum(1 for row in pmta_directives.DIRECTIVE_TABLE if row[2] is None),
        ),
        "",
        "| directive | where | value | source | section | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, where, values, source, section, flags in pmta_directives.DIRECTIVE_TABLE:
        value = (
            "*not checked*"
            if values is None
            else "; ".join(("one or more: " if v.startswith("*") else "") + _TYPE_HELP[v.lstrip("?*")] for v in values)
        )
        notes = ", ".join(
            word for flag, word in (("r", "repeatable"), ("d", "deprecated"), ("s", "secret")) if flag in flags
        )
        lines.append(
            "| `%s` | %s | %s | %s | %s | %s |"
            % (name, ctx(where), value.replace("|", "\\|"), source, section or "", notes)
        )
    return "\n".join(lines) + "\n"
