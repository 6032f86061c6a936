# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.egress.mail.plugins.module_utils.network_policy import (
    NON_PUBLIC_IPV4,
    NON_PUBLIC_IPV6,
    PUBLIC_IPV4_LIMIT,
    PUBLIC_IPV6_LIMIT,
    check_networks,
    format_network,
    is_loopback,
    parse_network,
    public_addresses,
)

N = "x_networks"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("127.0.0.0/8", "127.0.0.0/8"),
        ("192.0.2.10", "192.0.2.10/32"),
        ("192.0.2.10/32", "192.0.2.10/32"),
        ("0.0.0.0", "0.0.0.0/32"),
        ("255.255.255.255/32", "255.255.255.255/32"),
        ("10.0.0.0/1", "0.0.0.0/1"),
        ("[::1]", "[::1]/128"),
        ("[::1]/128", "[::1]/128"),
        ("[2001:DB8::]/32", "[2001:db8::]/32"),
        ("[2001:db8:0:0:0:0:0:0]/48", "[2001:db8::]/48"),
        ("[::ffff:127.0.0.1]/128", None),
        ("[fe80::]/10", "[fe80::]/10"),
        ("[8000::]/1", "[8000::]/1"),
    ],
)
def test_parse_postfix_syntax(value, expected):
    if value == "10.0.0.0/1":
        with pytest.raises(ValueError, match="host bits"):
            parse_network(value, N)
        return
    network = parse_network(value, N)
    text = format_network(network)
    if expected is not None:
        assert text == expected
    # The canonical spelling parses back to the same network.
    assert parse_network(text, N) == network


@pytest.mark.parametrize(
    "value, expected",
    [
        ("127.0.0.1", "127.0.0.1/32"),
        ("::1", "::1/128"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("10.1.0.0/16", "10.1.0.0/16"),
    ],
)
def test_parse_plain_syntax(value, expected):
    assert format_network(parse_network(value, N, "plain"), "plain") == expected


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("0.0.0.0/0", "every address"),
        ("0.0.0.0/00", "every address"),
        ("10.0.0.0/000", "every address"),
        ("[::]/0", "every address"),
        ("[::]/00", "every address"),
        ("[0:0::0]/0", "every address"),
        ("0/0", "not a network"),
        ("0/00", "not a network"),
        ("[::/0]", "not a network"),
        ("999.1.1.1/99", "not a network"),
        ("256.0.0.0/8", "not a network"),
        ("1.2.3/24", "not a network"),
        ("1.2.3.4.5", "not a network"),
        ("....", "not a network"),
        ("", "not a network"),
        ("10.0.0.0/33", "not a valid IP network"),
        ("[::1]/129", "not a valid IP network"),
        ("[::1]/1000", "not a network"),
        ("10.0.0.0/08", "leading zeros"),
        ("[::]/064", "leading zeros"),
        ("010.0.0.0/8", "not a network"),
        ("10.0.0.1/8", "host bits"),
        ("[2001:db8::1]/32", "host bits"),
        ("[2001:db8:::1]", "not a valid IP network"),
        ("[fe80::1%eth0]", "not a network"),
        ("[127.0.0.1]", "not a network"),
        ("::1/128", "not a network"),
        ("10.0.0.0/8 ", "not a network"),
        ("10.0.0.0/8\n", "not a network"),
        ("10.0.0.0/8, 0/0", "not a network"),
        ("hash:/etc/postfix/networks", "not a network"),
        ("localhost", "not a network"),
        ("!10.0.0.0/8", "not a network"),
        ("\u0661\u0660.0.0.0/8", "not a network"),
        ("10.0.0.0/\u0668", "not a network"),
    ],
)
def test_parse_refused(value, fragment):
    with pytest.raises(ValueError) as exc:
        parse_network(value, N)
    assert str(exc.value).startswith(N + ": ")
    assert fragment in str(exc.value)


@pytest.mark.parametrize("value", [None, 5, True, ["10.0.0.0/8"], {"10.0.0.0/8": 1}, b"10.0.0.0/8"])
def test_parse_refuses_non_strings(value):
    with pytest.raises(ValueError, match="^x_networks: must be a network string"):
        parse_network(value, N)


def test_parse_unknown_syntax():
    with pytest.raises(ValueError, match="unknown network syntax"):
        parse_network("10.0.0.0/8", N, "cidr")


@pytest.mark.parametrize("value", ["[::1]/128", "[2001:db8::]/32"])
def test_plain_syntax_refuses_brackets_and_postfix_refuses_bare_ipv6(value):
    with pytest.raises(ValueError):
        parse_network(value, N, "plain")
    with pytest.raises(ValueError):
        parse_network(value[1:].replace("]", ""), N, "postfix")


def _nets(*texts):
    return [ipaddress.ip_network(t) for t in texts]


@pytest.mark.parametrize(
    "texts, expected",
    [
        ((), (0, 0)),
        (("127.0.0.0/8", "10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "::1/128", "fe80::/10", "fc00::/7"), (0, 0)),
        (("8.8.8.8/32",), (1, 0)),
        (("8.8.8.0/24",), (256, 0)),
        (("8.8.8.0/24", "8.8.8.0/25"), (256, 0)),  # overlaps counted once
        (("8.8.8.0/24", "8.8.9.0/24"), (512, 0)),
        (("0.0.0.0/1",), (2**31 - 3 * 2**24 - 2**22, 0)),  # 0/8, 10/8, 100.64/10, 127/8 are not public
        (("2001:db8::/32",), (0, 0)),
        (("2a00::/64",), (0, 2**64)),
        (("2a00::/63",), (0, 2**65)),
        (("::ffff:8.8.8.0/120",), (256, 0)),
        (("::ffff:0:0/96",), (2**32 - sum(n.num_addresses for n in NON_PUBLIC_IPV4), 0)),
        (("64:ff9b::808:800/120",), (256, 0)),
        (
            ("::/64",),
            (2**32 - sum(n.num_addresses for n in NON_PUBLIC_IPV4), 2**64 - 2 - 2**32),
        ),  # ::, ::1 and the mapped /96
        (("100.64.0.0/10", "198.18.0.0/15", "224.0.0.0/3"), (0, 0)),
    ],
)
def test_public_addresses(texts, expected):
    assert public_addresses(_nets(*texts)) == expected


def test_public_ipv4_exact_count():
    # 128.0.0.0/1 minus the non-public blocks inside it.
    inside = [n for n in NON_PUBLIC_IPV4 if n.subnet_of(ipaddress.IPv4Network("128.0.0.0/1"))]
    assert public_addresses(_nets("128.0.0.0/1")) == (2**31 - sum(n.num_addresses for n in inside), 0)


def test_non_public_blocks_are_disjoint():
    for blocks in (NON_PUBLIC_IPV4, NON_PUBLIC_IPV6):
        for i, a in enumerate(blocks):
            for b in blocks[i + 1 :]:
                assert not a.overlaps(b), (a, b)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("127.0.0.0/8", True),
        ("127.0.0.1/32", True),
        ("127.1.0.0/16", True),
        ("126.0.0.0/7", False),
        ("10.0.0.0/8", False),
        ("::1/128", True),
        ("::/127", False),
        ("::ffff:127.0.0.1/128", True),
        ("::ffff:127.0.0.0/104", True),
        ("::ffff:126.0.0.0/103", False),
        ("::2/128", False),
    ],
)
def test_is_loopback(text, expected):
    assert is_loopback(ipaddress.ip_network(text)) is expected


def test_check_networks_canonical():
    assert check_networks(["127.0.0.0/8", "[::1]", "192.0.2.1", "[2001:DB8::]/32"], N) == [
        "127.0.0.0/8",
        "[::1]/128",
        "192.0.2.1/32",
        "[2001:db8::]/32",
    ]
    assert check_networks(("::1", "10.0.0.0/8"), N, syntax="plain") == ["::1/128", "10.0.0.0/8"]


@pytest.mark.parametrize("values", ["127.0.0.0/8", b"127.0.0.0/8", [], (), None, 5, {"127.0.0.0/8": True}])
def test_check_networks_needs_a_non_empty_list(values):
    with pytest.raises(ValueError, match="^x_networks: must be a non-empty list"):
        check_networks(values, N)


def test_check_networks_names_the_entry():
    with pytest.raises(ValueError, match=r"^x_networks\[2\]: "):
        check_networks(["127.0.0.0/8", "10.0.0.0/8", "0.0.0.0/0"], N)


@pytest.mark.parametrize(
    "values",
    [
        ["8.8.8.0/23"],
        ["8.8.8.0/24", "9.9.9.9"],
        ["[2a00::]/63"],
        ["[2a00::]/64", "[2a01::]/64"],
        ["[::ffff:8.8.0.0]/112"],
        ["[64:ff9b::]/96"],
        ["128.0.0.0/1"],
    ],
)
def test_public_limit_and_opt_in(values):
    with pytest.raises(ValueError) as exc:
        check_networks(values, N, opt_in="x_allow_public")
    assert str(exc.value).startswith(N + ": ")
    assert "x_allow_public: true" in str(exc.value)
    with pytest.raises(ValueError) as exc:
        check_networks(values, N)
    assert "allow_public" not in str(exc.value)
    assert check_networks(values, N, allow_public=True)


@pytest.mark.parametrize(
    "values",
    [
        ["8.8.8.0/24"],
        ["[2a00::]/64"],
        ["8.8.8.0/24", "[2a00::]/64", "10.0.0.0/8"],
        ["[::ffff:8.8.8.0]/120"],
        ["8.8.8.0/24", "8.8.8.128/25"],
    ],
)
def test_within_the_public_limit(values):
    assert check_networks(values, N) == [format_network(parse_network(v, N)) for v in values]


def test_limits_are_what_the_docs_say():
    assert PUBLIC_IPV4_LIMIT == 256 and PUBLIC_IPV6_LIMIT == 2**64
    # Exactly at the limit is allowed; one more address is not.
    assert check_networks(["8.8.8.0/24"], N)
    with pytest.raises(ValueError):
        check_networks(["8.8.8.0/24", "9.9.9.9"], N)
    with pytest.raises(ValueError):
        check_networks(["[2a00::]/64", "[2a01::1]"], N)


def test_prefix_zero_refused_even_when_public_is_allowed():
    for value in ("0.0.0.0/0", "[::]/0"):
        with pytest.raises(ValueError, match="every address"):
            check_networks([value], N, allow_public=True)


def test_non_public_ipv6_includes_the_mapped_and_nat64_blocks():
    assert ipaddress.IPv6Network("::ffff:0:0/96") in NON_PUBLIC_IPV6
    assert ipaddress.IPv6Network("64:ff9b::/96") in NON_PUBLIC_IPV6


def test_exact_messages():
    def msg(*args, **kwargs):
        with pytest.raises(ValueError) as exc:
            (check_networks if isinstance(args[0], list) else parse_network)(*args, **kwargs)
        return str(exc.value)

    assert msg(5, N) == N + ": must be a network string such as 127.0.0.0/8, 192.0.2.10 or [::1]/128, got int"
    assert msg(5, N, "plain") == N + ": must be a network string such as 127.0.0.0/8, 192.0.2.10 or ::1/128, got int"
    assert msg("x", N) == (
        N + ": 'x' is not a network such as 127.0.0.0/8, 192.0.2.10 or [::1]/128 (one network, "
        "no spaces, names or tables)"
    )
    assert msg("0.0.0.0/0", N) == N + ": '0.0.0.0/0' covers every address: an open relay"
    assert msg("10.0.0.0/08", N) == N + ": '10.0.0.0/08': write the prefix length without leading zeros"
    assert msg("10.0.0.1/8", N) == N + ": '10.0.0.1/8' has host bits set after the prefix; write the network address"
    assert msg("10.0.0.0/33", N).startswith(N + ": '10.0.0.0/33' is not a valid IP network (")
    assert msg("x", N, "cidr") == N + ": unknown network syntax 'cidr'"
    assert msg(["8.8.8.0/23"], N, opt_in="x_allow") == (
        N + ": together the networks cover 512 public IPv4 and 0 public IPv6 addresses; at most 256 IPv4 (a /24) "
        "and one IPv6 /64 may relay without an opt-in (set x_allow: true if every client there may send mail "
        "through this host)"
    )
    assert msg(["8.8.8.0/23"], N) == (
        N + ": together the networks cover 512 public IPv4 and 0 public IPv6 addresses; at most 256 IPv4 (a /24) "
        "and one IPv6 /64 may relay without an opt-in"
    )
    assert (
        msg([], N, syntax="plain")
        == N + ": must be a non-empty list of networks such as 127.0.0.0/8, 192.0.2.10 or ::1/128"
    )


def test_format_network_both_syntaxes():
    v6 = ipaddress.IPv6Network("2001:db8::/32")
    v4 = ipaddress.IPv4Network("10.0.0.0/8")
    assert format_network(v6) == "[2001:db8::]/32" and format_network(v6, "plain") == "2001:db8::/32"
    assert format_network(v4) == "10.0.0.0/8" and format_network(v4, "plain") == "10.0.0.0/8"


def test_embedded_ipv4_counts_exactly():
    # A mapped /120 is the IPv4 /24 it embeds, counted once with the same IPv4 network.
    assert public_addresses(_nets("::ffff:8.8.8.0/120", "8.8.8.0/24")) == (256, 0)
    assert public_addresses(_nets("64:ff9b::808:800/121")) == (128, 0)
    assert public_addresses(_nets("::fffe:0:0/95")) == (2**32 - sum(n.num_addresses for n in NON_PUBLIC_IPV4), 2**32)
