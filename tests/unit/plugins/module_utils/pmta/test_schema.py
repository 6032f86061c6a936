# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/schema.py (the lookup tables built from the directive table, findings, the docs).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.plugins.module_utils.pmta import schema

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))


def test_format_error():
    finding = pc.Finding(12, "directive 'use-starttls' is not allowed in <source>")
    assert pc.format_error(finding) == "line 12: directive 'use-starttls' is not allowed in <source>"
    assert str(finding) == pc.format_error(finding)
    assert pc.format_error({"line": 3, "message": "x"}) == "line 3: x"
    assert pc.format_error({"line": None, "message": "x"}) == "config: x"
    assert pc.format_errors([pc.Finding(1, "a"), pc.Finding(None, "b")]) == "line 1: a\nconfig: b"


def test_every_directive_has_a_known_type_and_context():
    contexts = set(pc.STANZAS) | {pc.GLOBAL}
    for name, (where, spec) in pc.DIRECTIVES.items():
        assert set(where) <= contexts, name
        for item in spec:
            assert item.lstrip("?*") in pc._TYPE_HELP, (name, item)
    for ctx, names in pc.UNCHECKED_DIRECTIVES.items():
        assert ctx in contexts
        assert not set(names) & set(pc.DIRECTIVES), ctx


# Every directive of the table, with a valid value in one of its contexts, parses without an
# error, and with a value of the wrong type gets an error naming it (mutation: a renamed or
# retyped table entry must fail a test).
SAMPLE_VALUES = {
    "bool": "yes",
    "uint": "5",
    "port": "25",
    "duration": "10m",
    "duration_list": "10m,1h",
    "duration_or_never": "never",
    "size": "50M",
    "rate": "100/h",
    "email": "pm@example.com",
    "hostname": "mta.example.com",
    "ip_or_cidr": "10.0.0.0/8",
    "listener": "127.0.0.1:25",
    "hostport": "[smtp.example.net]:587",
    "path": "/var/x",
    "name": "mta1",
    "user": "app",
    "access_level": "none",
    "auth_method": "password",
    "named_source": "{relay}",
    "string": "x",
    "secret": "x",
    "smtp_hosts": "h1.example.net, h2.example.net; [10.1.1.1]:2525; [IPv6:2001:db8::1]:587",
    "dkim_key": "key1,example.com,/etc/pmta/key1.pem",
    "dkim_sign": "if-x-dkim-options-present",
    "pattern_line": "/421 4\\.7\\.[0-9]/ mode=backoff",
    "domain_pattern": "example.com",
}


STANZA_ARGS = {
    "source": "10.0.0.1",
    "domain": "example.com",
    "virtual-mta": "mta1",
    "virtual-mta-pool": "pool1",
    "smtp-user": "app",
    "acct-file": "/var/x",
    "spool": "/var/spool/pmta",
    "bounce-processor": None,
    "feedback-loop-processor": None,
    "address-list": None,
    "smtp-pattern-list": "throttling",
}


# Stanzas that only exist inside another one.
STANZA_PARENT = {"address-list": "bounce-processor"}


def _in_context(context, line):
    if context == pc.GLOBAL:
        return line + "\n"
    arg = STANZA_ARGS[context]
    text = "<%s%s>\n%s\n</%s>\n" % (context, " " + arg if arg else "", line, context)
    if context in STANZA_PARENT:
        text = _in_context(STANZA_PARENT[context], text.rstrip("\n"))
    return text


@pytest.mark.parametrize("name", sorted(pc.DIRECTIVES))
def test_every_directive_parses_with_a_valid_value(name):
    contexts, spec = pc.DIRECTIVES[name]
    values = [SAMPLE_VALUES[item.lstrip("?*")] for item in spec]
    for context in contexts:
        _root, errors, _warnings = pc.parse(_in_context(context, " ".join([name] + values)))
        assert errors == [], (context, errors)


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, (_c, spec) in pc.DIRECTIVES.items()
        if not any(i.lstrip("?*") in ("string", "secret", "user") for i in spec)
    ),
)
def test_every_typed_directive_refuses_a_wrong_value(name):
    contexts, spec = pc.DIRECTIVES[name]
    line = " ".join([name] + ["%bad"] * len(spec))
    _root, errors, _warnings = pc.parse(_in_context(contexts[0], line))
    assert any("directive '%s' expects" % name in e.message for e in errors), errors


@pytest.mark.parametrize("name", sorted(pc.DIRECTIVES))
def test_every_directive_is_refused_outside_its_contexts(name):
    contexts, spec = pc.DIRECTIVES[name]
    values = [SAMPLE_VALUES[item.lstrip("?*")] for item in spec]
    others = [c for c in [pc.GLOBAL] + sorted(STANZA_ARGS) if c not in contexts and c not in pc.LENIENT_STANZAS]
    for context in others[:2]:
        _root, errors, _warnings = pc.parse(_in_context(context, " ".join([name] + values)))
        assert any("is not allowed in" in e.message or "holds a password" in e.message for e in errors), (
            context,
            errors,
        )


# Written out (not read from pc.REPEATABLE) so that a changed entry fails.
REPEATABLE_DIRECTIVES = [
    "smtp-listener",
    "http-access",
    "relay-domain",
    "relay-address",
    "include",
    "smtp-source-host",
    "virtual-mta",
    "record-fields",
    "map-header-to-field",
    "route",
    "smtp-hosts",
]


@pytest.mark.parametrize("name", REPEATABLE_DIRECTIVES)
def test_repeatable_directives_do_not_warn_when_repeated(name):
    contexts, spec = pc.DIRECTIVES[name]
    line = " ".join([name] + [SAMPLE_VALUES[item.lstrip("?*")] for item in spec])
    _root, _errors, warnings = pc.parse(_in_context(contexts[0], line + "\n" + line))
    report = pc.validate(_in_context(contexts[0], line + "\n" + line), fragment=True)
    assert not any("repeated" in w.message for w in report.warnings + warnings), report.warnings


def test_the_directive_docs_are_generated_from_the_table():
    path = os.path.join(ROOT, "docs", "pmta-directives.md")
    wanted = pc.directives_markdown()
    if os.environ.get("PMTA_DOCS_UPDATE") == "1":
        with open(path, "w") as handle:
            handle.write(wanted)
    with open(path) as handle:
        assert handle.read() == wanted, "run: PMTA_DOCS_UPDATE=1 pytest %s" % __file__


# --- mutation testing (issue 21): the tables built from the rows, arity, findings ------------------


@pytest.mark.parametrize(
    "spec, arity, text",
    [
        (("name",), (1, 1), "1 value"),
        (("?name",), (0, 1), "0 to 1 values"),
        (("name", "?int", "?int"), (1, 3), "1 to 3 values"),
        (("*string",), (1, None), "at least 1 value"),
        (("name", "*string"), (2, None), "at least 2 values"),
    ],
)
def test_arity_and_its_description(spec, arity, text):
    assert schema._arity(spec) == arity
    assert schema._describe_arity(spec) == text


def test_tables_built_from_the_rows():
    assert schema.OPAQUE_ARGS == {"rewrite-list": "name", "pattern-list": "name", "bounce-category-patterns": None}
    assert schema.DEPRECATED == {
        "backoff-max-msg-per-hour",
        "deliver-local-dsn",
        "delivery-priority",
        "max-msg-per-hour",
        "max-smtp-out-per-source-ip",
        "route",
    }
    # a row without a section names its source up to the first comma or parenthesis
    assert schema.REFERENCE["smtp-listener"] == "SparkPost"
    assert schema.REFERENCE["postmaster"] == "the vendor's sample /etc/pmta/config"
    assert schema.REFERENCE["route"] == "section 3.3.10.88"


def test_findings_as_dict_repr_text_and_order():
    finding = schema.Finding(3, "x")
    assert finding.as_dict() == {"line": 3, "message": "x"}
    assert repr(finding) == "Finding(3, 'x')"
    assert str(finding) == "line 3: x"
    assert schema.format_error({"line": None}) == "config: "
    assert schema.format_errors([schema.Finding(None, "a"), {"line": 2, "message": "b"}]) == "config: a\nline 2: b"
    findings = [schema.Finding(1, "b"), schema.Finding(None, "c"), schema.Finding(1, "a")]
    assert [f.message for f in sorted(findings, key=schema._sort_key)] == ["c", "a", "b"]


def test_directive_values_are_escaped_in_the_markdown_table(monkeypatch):
    """A value help with a `|` is escaped (it would split the Markdown cell); the `?` and `*`
    marks are stripped before the help is looked up, and only they (a type may start with X)."""
    monkeypatch.setitem(schema._TYPE_HELP, "Xpipe", "one|two")
    row = ("x-directive", (schema.GLOBAL,), ("?Xpipe", "*Xpipe"), "guide", "1.2", "r")
    monkeypatch.setattr(schema.pmta_directives, "DIRECTIVE_TABLE", (row,))
    lines = schema.directives_markdown().splitlines()
    assert "| `x-directive` | top level | one\\|two; one or more: one\\|two | guide | 1.2 | repeatable |" in lines
