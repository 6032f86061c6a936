# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/values.py (the value types).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.tests.unit.helpers.pmta_texts import (
    HEAD,
    DOMAIN,
)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0/0", "0.0.0.0/0"),
        ("10/8", "10.0.0.0/8"),
        ("192.168/16", "192.168.0.0/16"),
        ("127.0.0.1", "127.0.0.1/32"),
        ("::/0", "::/0"),
        ("[::1]", "::1/128"),
        ("10.1.2.3/24", "10.1.2.0/24"),
        ("300.1.1.1", None),
        ("example.com", None),
        ("", None),
    ],
)
def test_parse_network(value, expected):
    net = pc.parse_network(value)
    assert (str(net) if net is not None else None) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("smtp.example.net:587", ("smtp.example.net", 587, False)),
        ("[smtp.example.net]:2525", ("smtp.example.net", 2525, True)),
        ("[2001:db8::1]:587", ("2001:db8::1", 587, True)),
        ("5.181.234.238:22400", ("5.181.234.238", 22400, False)),
        ("smtp.example.net", ("smtp.example.net", None, False)),
        ("smtp.example.net:0", None),
        ("smtp.example.net:x", None),
        ("[a.example", None),
        ("bad host:25", None),
        ("[a.example]587", None),
    ],
)
def test_parse_hostport(value, expected):
    assert pc.parse_hostport(value) == expected


@pytest.mark.parametrize(
    "value,ok",
    [
        ("0/0:25", True),
        ("127.0.0.1:25", True),
        ("[::1]:25", True),
        ("10.0.1.22:587", True),
        ("127.0.0.1", False),
        ("localhost:25", False),
        ("127.0.0.1:70000", False),
        ("[::1]25", False),
    ],
)
def test_parse_listener(value, ok):
    assert (pc.parse_listener(value) is not None) == ok


@pytest.mark.parametrize(
    "value,expected", [("yes", True), ("TRUE", True), ("no", False), ("false", False), ("1", None)]
)
def test_parse_bool(value, expected):
    assert pc.parse_bool(value) is expected


DIGITS = ["\u00b2", "\u0663", "\uff11", "\u2460", "\U0001d7d9"]  # ², Arabic-Indic 3, fullwidth 1, ①, 𝟙


@pytest.mark.parametrize("digit", DIGITS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize(
    "template",
    [
        "http-mgmt-port {d}",
        "smtp-listener 127.0.0.1:{d}",
        "smtp-listener 127.0.0.1:2{d}",
        "total-max-smtp-out {d}",
        "<source {d}/8>\n</source>",
        "<source 10/{d}>\n</source>",
        "http-access {d}.0.0.1 admin",
        "<domain *>\nroute smtp.example.net:{d}\n</domain>",
        "<domain *>\nroute [smtp.example.net]:{d}\n</domain>",
        "<domain example.com>\nroute smtp.example.net\ndefault-smtp-port {d}\n</domain>",
        "<domain *>\nretry-after {d}m\n</domain>",
        "<acct-file /x>\nmax-size {d}M\n</acct-file>",
    ],
)
def test_non_ascii_digits_are_errors_not_crashes(digit, template):
    text = HEAD + template.format(d=digit) + "\n" + DOMAIN
    for compact in (False, True):
        report = pc.validate(text, compact=compact)
        assert not report.valid


def test_non_ascii_digit_in_route_is_not_taken_as_default_port():
    text = HEAD + DOMAIN.replace(
        "smtp-hosts smtp.example.net:587", "route smtp.example.net\n    default-smtp-port \u00b2"
    )
    report = pc.validate(text)
    assert not report.valid and report.summary["route"]["port"] is None
