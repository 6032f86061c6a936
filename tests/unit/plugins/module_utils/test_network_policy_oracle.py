# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""network_policy.parse_network against Postfix itself, the program that reads ``mynetworks``.

For each generated entry, Postfix's cidr table (``postmap -q - cidr:FILE``, the matcher behind
``mynetworks``-style network lists) is the oracle:

* an entry network_policy accepts: Postfix reads the entry as written and the canonical spelling
  the roles write without a warning, and agrees with ``ipaddress`` on which sample addresses
  (first, last, inside, just outside, random of both families) it covers;
* an entry Postfix skips with a warning (bad mask, host bits, not an address): network_policy
  refuses it too. network_policy is stricter on purpose (prefix 0, leading zeros), so a refusal
  of something Postfix would read is not a disagreement.

Postfix binaries: the ``postfix_bin`` fixture (tests/unit/conftest.py). Bounded: 100 examples per
property; no example database is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from hypothesis import HealthCheck, event, example, given, settings, strategies as st

from ansible_collections.egress.mail.plugins.module_utils.network_policy import format_network, parse_network

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cidr_lookup(postfix_bin, tmp_path, entry, addresses):
    """Postfix's answer for a one-rule cidr table: (set of addresses it matches, its warnings)."""
    table = tmp_path / "oracle.cidr"
    table.write_text("%s MATCH\n" % entry)
    found, stderr = postfix_bin.postmap_query("cidr:%s" % table, [str(a) for a in addresses])
    warnings = [line for line in stderr.splitlines() if "warning" in line or "fatal" in line]
    return set(found), warnings


def samples(network, draw_int):
    """Addresses worth asking about: the edges, one inside, one on each side, other family."""
    first, last = int(network.network_address), int(network.broadcast_address)
    cls = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
    top = 2**network.max_prefixlen - 1
    picks = {first, last, draw_int(first, last)}
    if first > 0:
        picks.add(first - 1)
    if last < top:
        picks.add(last + 1)
    picks.add(draw_int(0, top))
    other = (
        ipaddress.IPv6Address(draw_int(0, 2**128 - 1))
        if network.version == 4
        else ipaddress.IPv4Address(draw_int(0, 2**32 - 1))
    )
    return [cls(n) for n in sorted(picks)] + [other]


@st.composite
def networks(draw):
    """Valid networks (strict: no host bits) of both families, any prefix but 0."""
    version = draw(st.sampled_from([4, 6]))
    bits = 32 if version == 4 else 128
    prefix = draw(st.integers(min_value=1, max_value=bits))
    address = draw(st.integers(min_value=0, max_value=2**bits - 1))
    address &= ~((1 << (bits - prefix)) - 1) & (2**bits - 1)
    cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    return cls((address, prefix))


@st.composite
def spellings(draw):
    """Entries as a user might write them: canonical, bare address, or broken on purpose."""
    network = draw(networks())
    bare = network.prefixlen == network.max_prefixlen and draw(st.booleans())
    text = format_network(network, "postfix")
    if bare:
        text = text.rsplit("/", 1)[0]
    damage = draw(
        st.sampled_from(
            [
                "none",
                "host_bits",
                "long_prefix",
                "zero_prefix",
                "lead_zero_prefix",
                "lead_zero_octet",
                "no_brackets",
                "garbage",
                "empty_prefix",
            ]
        )
    )
    head, slash, prefix = text.rpartition("/") if not bare else (text, "", "")
    if damage == "host_bits" and network.prefixlen < network.max_prefixlen:
        address = network.network_address + draw(st.integers(1, network.num_addresses - 1))
        text = (("[%s]" % address) if network.version == 6 else str(address)) + "/" + prefix
    elif damage == "long_prefix":
        text = "%s/%d" % (head, network.max_prefixlen + draw(st.integers(1, 200)))
    elif damage == "zero_prefix":
        text = "%s/0" % head
    elif damage == "lead_zero_prefix":
        text = "%s/0%d" % (head, network.prefixlen)
    elif damage == "lead_zero_octet" and network.version == 4:
        octets = head.split(".")
        index = draw(st.integers(0, 3))
        octets[index] = "0" + octets[index]
        text = ".".join(octets) + slash + prefix
    elif damage == "no_brackets" and network.version == 6:
        text = text.replace("[", "").replace("]", "")
    elif damage == "garbage":
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["x", ":", ".", "/", "]", "[", "::", ".0", "/3x"])) + text[cut:]
    elif damage == "empty_prefix":
        text = head + "/"
    return text


def test_fixture_answers(postfix_bin, tmp_path):
    found, warnings = cidr_lookup(postfix_bin, tmp_path, "192.0.2.0/24", ["192.0.2.200", "192.0.3.1"])
    assert (found, warnings) == ({"192.0.2.200"}, [])
    found, warnings = cidr_lookup(postfix_bin, tmp_path, "192.0.2.1/24", ["192.0.2.1"])
    assert found == set() and warnings, "Postfix skips a rule with host bits set"


@SETTINGS
@given(network=networks(), data=st.data())
@example(network=ipaddress.IPv4Network("127.0.0.0/8"), data=None)
@example(network=ipaddress.IPv6Network("::1/128"), data=None)
@example(network=ipaddress.IPv6Network("::ffff:0:0/96"), data=None)
def test_accepted_networks_match_what_postfix_matches(postfix_bin, tmp_path, network, data):
    def draw_int(low, high):
        return data.draw(st.integers(low, high)) if data is not None else (low + high) // 2

    canonical = format_network(network, "postfix")
    assert parse_network(canonical, "mynetworks[0]") == network
    addresses = samples(network, draw_int)
    found, warnings = cidr_lookup(postfix_bin, tmp_path, canonical, addresses)
    assert warnings == [], (canonical, warnings)
    assert found == set(str(a) for a in addresses if a in network), canonical


@SETTINGS
@given(text=spellings())
@example(text="10.0.0.1/8")
@example(text="10.0.0.0/33")
@example(text="[2001:db8::1]/32")
@example(text="[2001:db8::]/129")
@example(text="192.0.2.256")
def test_what_postfix_refuses_is_refused(postfix_bin, tmp_path, text):
    try:
        network = parse_network(text, "mynetworks[0]")
    except ValueError as exc:
        assert str(exc).startswith("mynetworks[0]: ")
        network = None
    probe = [ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("2001:db8::1")]
    if network is not None:
        probe += [network.network_address, network.broadcast_address]
    found, warnings = cidr_lookup(postfix_bin, tmp_path, text, probe)
    event(
        "postfix %s, network_policy %s"
        % ("refuses" if warnings else "reads it", "refuses" if network is None else "accepts")
    )
    if warnings:
        assert network is None, "Postfix refuses %r (%s), network_policy accepts it" % (text, warnings)
    if network is not None:
        # Accepted as written: Postfix reads it the same way.
        assert found == set(str(a) for a in probe if a in network), text
