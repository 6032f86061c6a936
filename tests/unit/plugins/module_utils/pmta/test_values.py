# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/values.py (the value types).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.plugins.module_utils.pmta import values
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
        # mutation testing (issue 21)
        ("relay.example", ("relay.example", None, False)),
        ("[10.0.0.1]", ("10.0.0.1", None, True)),
        ("[10.0.0.1", None),
        ("[10.0.0.1]x", None),
        ("[10.0.0.1]:", None),
        ("a:b:c", None),
        ("relay.example.:25,", ("relay.example.", 25, False)),
        (":25", None),
        ("mx.exampleX,", ("mx.exampleX", None, False)),  # only commas are stripped
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


# --- mutation testing (issue 21): host lists, host:port, networks and host names, whole -------
_SMTP_HOSTS = [
    (
        "a.example:587, b.example; [10.1.1.1]:2525;lookup-mx:example.net",
        (
            [
                [
                    {"host": "a.example", "port": 587, "kind": "name"},
                    {"host": "b.example", "port": None, "kind": "name"},
                ],
                [{"host": "10.1.1.1", "port": 2525, "kind": "ipv4"}],
                [{"host": "example.net", "port": None, "kind": "lookup-mx"}],
            ],
            None,
        ),
    ),
    ("lookup-mx:", (None, "'lookup-mx:': lookup-mx: must be followed by a domain name")),
    ("LOOKUP-MX:mx.example.", ([[{"host": "mx.example.", "port": None, "kind": "lookup-mx"}]], None)),
    ("[10.1.1.1", (None, "'[10.1.1.1': unclosed '['")),
    ("[10.1.1.1]x", (None, "'[10.1.1.1]x': only ':port' may follow ']'")),
    ("[10.1.1.1]:0", (None, "'[10.1.1.1]:0': only ':port' may follow ']'")),
    ("[10.1.1.1]:65536", (None, "'[10.1.1.1]:65536': only ':port' may follow ']'")),
    ("[IPv6:2001:db8::1]:465", ([[{"host": "2001:db8::1", "port": 465, "kind": "ipv6"}]], None)),
    ("[IPv6:::1]", ([[{"host": "::1", "port": None, "kind": "ipv6"}]], None)),
    ("[ipv6:zz]", (None, "'[ipv6:zz]': not an IPv6 address after IPv6:")),
    ("[2001:db8::1]", (None, "'[2001:db8::1]': write an IPv6 literal as [IPv6:2001:db8::1]")),
    (
        "[relay.example]",
        (
            None,
            "'[relay.example]': brackets are for IP address literals only; write a host name bare, as in relay.example:587",
        ),
    ),
    ("2001:db8::1", (None, "'2001:db8::1': write an IPv6 address as [IPv6:address]")),
    ("::1", (None, "'::1': write an IPv6 address as [IPv6:address]")),  # two colons are one too many
    ("a.example:70000", (None, "'a.example:70000': the port must be 1-65535")),
    ("bad!name", (None, "'bad!name': not a host name")),
    ("a.example,,b.example", (None, "an empty host between separators")),
    ("", ([], None)),
]
_NETWORKS = [
    ("10/8", "10.0.0.0/8"),
    ("10.1/16", "10.1.0.0/16"),
    ("10.1.2/24", "10.1.2.0/24"),
    ("10.1.2.3/24", "10.1.2.0/24"),
    ("[10.0.0.0/8]", "10.0.0.0/8"),
    ("[::1]", "::1/128"),
    ("0/0", "0.0.0.0/0"),
    ("10.0.0.1/x", None),
    ("10.0.0.0.0/8", None),  # five parts are not cut to four
    ("x10.0.0.1]", None),
    ("[10.0.0.1x", None),
]


@pytest.mark.parametrize("text, parsed", _SMTP_HOSTS)
def test_smtp_hosts_parse_or_error_is_exact(text, parsed):
    assert values.parse_smtp_hosts(text) == parsed


@pytest.mark.parametrize("text, network", _NETWORKS)
def test_network_parse_is_exact(text, network):
    parsed = values.parse_network(text)
    assert (None if parsed is None else str(parsed)) == network


def test_host_names_at_the_length_limit_and_with_a_final_dot():
    longest = ("a" * 63 + ".") * 3 + "a" * 61  # 253 characters
    assert values._is_hostname(longest) and values._is_hostname(longest + ".")
    assert not values._is_hostname(longest + "a") and not values._is_hostname(longest + "a.")
    assert not values._is_hostname("bad!name.") and not values._is_hostname(".")


# --- mutation testing (issue 21): pattern lines, listeners and the value types, whole ---------
_KNOWN_ACTIONS = "backoff-to-normal-after, disable-source-ip, mode, reenable-after"
_PATTERN_LINES = [
    ("/421 .*/ mode=backoff", None),
    ("/a  b/ MODE=Normal disable-source-ip", None),  # a pattern of several tokens; any case
    ("// reenable-after=never backoff-to-normal-after=1h", None),
    ("/x/", None),
    ("/", "the pattern must be written /regular expression/"),
    ("", "the pattern must be written /regular expression/"),
    ("mode=backoff", "the pattern must be written /regular expression/"),
    ("x/ mode=backoff", "the pattern must be written /regular expression/"),
    ("/x/ fast", "unknown action 'fast' (known: %s)" % _KNOWN_ACTIONS),
    ("/x/ fast=1 slow", "unknown action 'fast=1' (known: %s)" % _KNOWN_ACTIONS),  # the first one
    ("/x/ disable-source-ip=yes", "action 'disable-source-ip' takes no value"),
    ("/x/ mode=fast", "action 'mode' expects one of backoff, normal"),
    ("/x/ Mode", "action 'Mode' expects one of backoff, normal"),
    ("/x/ reenable-after=soon", "action 'reenable-after' expects a time interval such as 30d, or never"),
    ("/x/ backoff-to-normal-after=", "action 'backoff-to-normal-after' expects a time interval such as 30d, or never"),
]
_LISTENERS = [
    ("0/0:25", ("0.0.0.0/0", 25)),
    (" 10.0.1.22:587\t", ("10.0.1.22/32", 587)),
    ("[10.0.0.1]:25", ("10.0.0.1/32", 25)),
    ("[::1]:2525", ("::1/128", 2525)),
    ("[10.0.0.0/8]:25", ("10.0.0.0/8", 25)),
    # Blanks inside the brackets are refused, as parse_network refuses '[ ::1]' (before stop 27
    # the listener's brackets were taken off first and the blanks stripped: accepted).
    ("[ 10.0.0.1]:25", None),
    ("[::1 ]:25", None),
    ("[::1]", None),
    ("[::1:25", None),
    ("[::1]x:25", None),
    ("[::1]:", None),
    ("10.0.0.1", None),
    ("10.0.0.1:0", None),
    ("x:25", None),
]
# Each type with a value it accepts and one it refuses.
_VALUE_TYPES = [
    ("string", "any thing", None),
    ("secret", "", None),
    ("bool", "Yes", "1"),
    ("uint", "0", "-1"),
    ("port", "65535", "0"),
    ("duration", "4d12h", "4x"),
    ("duration_list", "10m,1h", "10m,x"),
    ("duration_or_never", "NEVER", "soon"),
    ("duration_or_never", "30d", "30"),
    ("size", "50M", "50X"),
    ("rate", "100/h", "100"),
    ("email", "a@b.example", "a.example"),
    ("hostname", "a.example", "a b"),
    ("ip_or_cidr", "10/8", "a.example"),
    ("source_match", "{relay-users}", "relay-users"),
    ("source_match", "0/0", "{a b}"),
    ("listener", "0/0:25", "0/0"),
    ("hostport", "a.example:25", "a.example:0"),
    ("path", "/var/log", "var/log"),
    ("name", "relay-1", "-relay"),
    ("user", "bob", "b<b"),
    ("domain_pattern", "*.example.com", "a b"),
    ("domain_pattern", "[10.0.0.1]", "10.0.0.0/8"),  # an address literal in brackets only
    ("access_level", "ADMIN", "root"),
    ("access_level", "monitor", "admin,monitor"),
    ("access_level", "none", ""),
    ("auth_method", "Password", "token"),
    ("auth_method", "certificate", "cert"),
    ("auth_method", "system", ""),
    ("named_source", "{relay}", "relay"),
    ("smtp_hosts", "a.example; [10.1.1.1]:2525", "[10.1.1.1"),
    ("dkim_key", "sel,example.com,/etc/k.pem", "sel,example.com"),
    ("dkim_key", "sel,example.com.,/etc/k.pem", "-sel,example.com,/etc/k.pem"),  # the selector is the first part
    ("dkim_sign", "no", "maybe"),
    ("dkim_sign", "If-X-DKIM-Options-Present", "if-x-dkim-options"),
    ("pattern_line", "/x/ mode=backoff", "x"),
    ("acct_target", "/var/log/acct.csv", "var/log/acct.csv"),
    ("acct_target", "|X", "|"),  # a command after the '|'
    ("acct_target", "|/usr/bin/logger", "| \t|"),
]


@pytest.mark.parametrize("line, message", _PATTERN_LINES)
def test_pattern_line_message_is_exact(line, message):
    assert values.parse_pattern_line(line) == message


@pytest.mark.parametrize("text, parsed", _LISTENERS)
def test_listener_parse_is_exact(text, parsed):
    result = values.parse_listener(text)
    assert (None if result is None else (str(result[0]), result[1])) == parsed


@pytest.mark.parametrize("vtype, good, bad", _VALUE_TYPES)
def test_check_value_accepts_and_refuses(vtype, good, bad):
    assert values._check_value(vtype, good) is True
    if bad is not None:
        assert values._check_value(vtype, bad) is False


def test_check_value_of_an_unknown_type_raises():
    with pytest.raises(ValueError) as raised:
        values._check_value("colour", "red")
    assert str(raised.value) == "unknown value type 'colour'"
