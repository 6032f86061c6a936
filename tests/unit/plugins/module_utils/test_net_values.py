# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/net_values.py (hosts and ports)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import assert_message
from ansible_collections.egress.mail.plugins.module_utils.net_values import validate_host, validate_port


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, 1),
        (65535, 65535),
        ("25", 25),
        ("2525", 2525),
        ("auto", "auto"),
    ],
)
def test_validate_port_good(value, expected):
    assert validate_port(value, "x_port") == expected


def test_validate_port_without_auto():
    with pytest.raises(ValueError, match="^x_port: "):
        validate_port("auto", "x_port", allow_auto=False)


@pytest.mark.parametrize(
    "value",
    [
        "a.example",
        "xn--bcher-kva.example",
        "a-b.c-d.example",
        "10.0.0.1",
        "2001:db8::1",
        "::ffff:192.0.2.1",
        "a" * 63 + ".example",
    ],
)
def test_validate_host_good(value):
    assert validate_host(value, "h") in (value, value.lower())


@pytest.mark.parametrize("value", ["01.2.3.4", "1.2.3.4.5", "1.2.3."])
def test_validate_host_bad_ipv4(value):
    with pytest.raises(ValueError, match="^h: "):
        validate_host(value, "h")


BRACKETS = "(give the bare host name or IPv6 address; brackets are added where needed)"


@pytest.mark.parametrize(
    "host, description",
    [
        ("a@b.example", "'@'"),
        ("a=b", "'='"),
        ("a#b", "'#'"),
        ("a/b", "'/'"),
        ("a,b", "a comma (give a single host)"),
        ("a[b", "'[' " + BRACKETS),
        ("a]b", "']' " + BRACKETS),
    ],
)
def test_host_bad_characters_named(host, description):
    with pytest.raises(ValueError) as exc:
        validate_host(host, "h")
    assert str(exc.value) == "h: %r contains %s" % (host, description)


@pytest.mark.parametrize(
    "host, ok",
    [
        ("255.255.255.255", True),
        ("0.0.0.0", True),
        ("256.0.0.1", False),
        ("1.2.3.00", False),
        ("1.2.3.0", True),
        ("10.0.0", False),
        ("a" * 63 + ".example", True),
        ("a" * 64 + ".example", False),
    ],
)
def test_ipv4_and_label_boundaries(host, ok):
    if ok:
        assert validate_host(host, "h") == host
    else:
        with pytest.raises(ValueError, match="^h: "):
            validate_host(host, "h")


# --- the range rule and the host kinds ---------------------------------------------------------
from ansible_collections.egress.mail.plugins.module_utils.net_values import (  # noqa: E402
    MAX_PORT,
    MIN_PORT,
    is_ip_address,
    is_port_number,
    nexthop,
)


def test_port_range_is_written_once():
    assert (MIN_PORT, MAX_PORT) == (1, 65535)


@pytest.mark.parametrize("number, ok", [(1, True), (65535, True), (0, False), (65536, False), (-1, False)])
def test_is_port_number(number, ok):
    assert is_port_number(number) is ok


@pytest.mark.parametrize("value", [True, False, "25", 25.0, None])
def test_is_port_number_only_for_ints(value):
    assert is_port_number(value) is False


@pytest.mark.parametrize("host, ok", [("192.0.2.1", True), ("2001:db8::1", True), ("smtp.example.com", False)])
def test_is_ip_address(host, ok):
    assert is_ip_address(host) is ok


def test_nexthop():
    assert nexthop("smtp.example.com", 587) == "[smtp.example.com]:587"
    assert nexthop("2001:db8::1", 2525) == "[ipv6:2001:db8::1]:2525"


from ansible_collections.egress.mail.plugins.module_utils.net_values import validate_dns_name  # noqa: E402


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: validate_dns_name(5, "h"), "h: must be a host name (a string), got int"),
        (lambda: validate_dns_name("a b", "h"), "h: the host name contains whitespace"),
        (lambda: validate_host("", "h"), "h: is empty"),
        (lambda: validate_host("  ", "h"), "h: is empty"),
        (lambda: validate_host("a\nb", "h"), "h: the host contains a newline"),
        (lambda: validate_host("a\tb", "h"), "h: the host contains a control character or line separator"),
        (lambda: validate_port(True, "p"), "p: must be a port number (1-65535) or 'auto', not a boolean"),
        (lambda: validate_port(True, "p", allow_auto=False), "p: must be a port number (1-65535), not a boolean"),
        (lambda: validate_port("x", "p"), "p: 'x' is not a port number (1-65535) or 'auto'"),
        (lambda: validate_port("x", "p", allow_auto=False), "p: 'x' is not a port number (1-65535)"),
        (lambda: validate_port(1.5, "p"), "p: must be a port number (1-65535) or 'auto', got float"),
        (lambda: validate_port(1.5, "p", allow_auto=False), "p: must be a port number (1-65535), got float"),
    ],
)
def test_messages_are_exact(call, message):
    """The whole message, not a search in it: the variable, what is wrong, and (only where
    'auto' is accepted) that 'auto' is."""
    assert_message(call, message)


def test_same_host_key_gives_one_spelling_per_host():
    from ansible_collections.egress.mail.plugins.module_utils.net_values import same_host_key

    assert same_host_key("2001:DB8:0::1") == same_host_key("2001:db8::1") == "2001:db8::1"
    assert same_host_key("192.0.2.1") == "192.0.2.1"
    assert same_host_key("smtp.example.net") == "smtp.example.net"
