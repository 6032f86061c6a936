# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests (hypothesis) of relay_settings and network_policy.

Bounded: every property has a fixed max_examples and no deadline, so the file runs in well under
a minute; `pytest --hypothesis-show-statistics` prints the example counts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from ansible_collections.egress.mail.plugins.module_utils import network_policy, postfix_parameters
from ansible_collections.egress.mail.plugins.module_utils.mail_address import check_address
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (
    SETTINGS_KEYS,
    check_text,
    resolve,
)

P = "postfix_relay_"
SECRET = "Hq7:pw s3cr3t#$%"
BOUNDED = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Text that is likely to hit the interesting cases: separators, control and format characters,
# the characters aliases and maps treat specially, digits of other scripts, brackets and dots.
SPECIAL = (
    list("\n\r\t\v\f\x00\x1c\x1d\x1e\x1f\x7f\x85\u2028\u2029\u200b\u202e\ufeff")
    + list("|/:#$%!\"'`{}[]@,. =\\")
    + ["\u0661", "\u00b2", "\u00a0", "${IFS}", ":include:", "0/0", "::", "/0", "/00"]
)
text = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8"), st.sampled_from("abcdefxyz0123456789-_.")),
    max_size=30,
).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.floats(allow_nan=True), text)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(text, st.integers()), inner, max_size=4)
    ),
    max_leaves=8,
)
GOOD = {"host": "smtp.example.net", "username": "relayuser", "password": SECRET}


def _no_secret(obj):
    assert SECRET not in repr(obj)
    for fragment in ("Hq7:pw", "s3cr3t#"):
        assert fragment not in repr(obj)


@settings(max_examples=300, **BOUNDED)
@given(st.dictionaries(st.sampled_from(SETTINGS_KEYS), values, max_size=6), st.booleans())
def test_resolve_raises_only_value_error_and_never_shows_the_password(extra, with_secret):
    settings_ = dict(GOOD) if with_secret else {}
    settings_.update(extra)
    if with_secret:
        settings_["password"] = SECRET
    try:
        result = resolve(settings_, P)
    except ValueError as exc:
        message = str(exc)
        assert message.startswith(P), message
        _no_secret(message)
        return
    _no_secret(result)
    assert "password" not in result


def _sd_entries():
    entry = st.fixed_dictionaries(
        {
            "sender": st.one_of(text, st.sampled_from(["@a.example", "b@c.example"])),
            "host": st.one_of(text, st.just("r.example.com")),
        },
        optional={"port": values, "username": st.one_of(text, st.just("u")), "password": st.just(SECRET + " x")},
    )
    return st.lists(entry, max_size=3)


@settings(max_examples=150, **BOUNDED)
@given(_sd_entries(), st.sampled_from([587, "auto", 465]))
def test_sender_dependent_never_leaks_and_never_writes_auto(entries, port):
    try:
        result = resolve(dict(GOOD, port=port, sender_dependent=entries), P)
    except ValueError as exc:
        _no_secret(str(exc))
        return
    _no_secret(result)
    for entry in result["sender_dependent"]:
        assert (entry["port"] == "auto") == (entry["nexthop"] is None)
        assert entry["nexthop"] is None or ":auto" not in entry["nexthop"]
        assert entry["port"] != "auto" or entry["host"] in result["probe_hosts"]
        # The normalised sender is a map key: never a comment, never more than one token.
        assert not entry["sender"].startswith("#") and entry["sender"] == entry["sender"].strip()
        assert not any(ch.isspace() for ch in entry["sender"])


# --- mynetworks ------------------------------------------------------------------------------
def _spellings(network):
    """Several ways to write one network, some valid, some not."""
    address, prefix = str(network.network_address), network.prefixlen
    out = ["%s/%d" % (address, prefix), "%s/0%d" % (address, prefix), "%s/%s" % (address, "0" * (prefix == 0))]
    if network.version == 6:
        out = [
            "[%s]/%d" % (network.network_address.exploded, prefix),
            "[%s]/%d" % (address, prefix),
            "[%s]" % address,
            "%s/%d" % (address, prefix),
            "[%s]/%03d" % (address, prefix),
        ]
    else:
        out.append(address)
    return out


ipv4_networks = st.builds(
    lambda a, p: ipaddress.IPv4Network((a, p), strict=False), st.integers(0, 2**32 - 1), st.integers(0, 32)
)
ipv6_networks = st.builds(
    lambda a, p: ipaddress.IPv6Network((a, p), strict=False),
    st.one_of(st.integers(0, 2**128 - 1), st.integers(0xFFFF00000000, 0xFFFFFFFFFFFF), st.integers(0, 2**40)),
    st.integers(0, 128),
)
network_texts = st.one_of(
    st.builds(
        lambda n, i: _spellings(n)[i % len(_spellings(n))], st.one_of(ipv4_networks, ipv6_networks), st.integers(0, 10)
    ),
    text,
    st.sampled_from(
        [
            "0.0.0.0/0",
            "0/0",
            "[::]/0",
            "[::]/00",
            "0.0.0.0/00",
            "10.0.0.1/8",
            "999.1.1.1/99",
            "....",
            "8.8.8.0/24",
            "8.8.9.0/24",
            "[2a00::]/64",
            "[::ffff:0.0.0.0]/96",
            "[64:ff9b::]/96",
        ]
    ),
)


@settings(max_examples=600, **BOUNDED)
@given(st.lists(network_texts, min_size=1, max_size=5), st.booleans())
def test_every_accepted_mynetworks_keeps_the_invariants(entries, allow_public):
    try:
        result = resolve(dict(GOOD, mynetworks=entries, mynetworks_allow_public=allow_public), P)
    except ValueError as exc:
        assert str(exc).startswith(P + "mynetworks"), str(exc)
        return
    written = result["mynetworks"]
    assert len(written) == len(entries)
    parsed = []
    for given_text, canonical in zip(entries, written):
        plain = canonical[1:].replace("]", "") if canonical.startswith("[") else canonical
        network = ipaddress.ip_network(plain)  # parses back with ipaddress ...
        assert network.prefixlen > 0  # ... never "everything" ...
        given_plain = given_text[1:].replace("]", "") if given_text.startswith("[") else given_text
        assert ipaddress.ip_network(given_plain) == network  # ... and is the network that was given
        assert canonical == network_policy.format_network(network)
        parsed.append(network)
    if not allow_public:
        count4, count6 = network_policy.public_addresses(parsed)
        assert count4 <= network_policy.PUBLIC_IPV4_LIMIT and count6 <= network_policy.PUBLIC_IPV6_LIMIT


@settings(max_examples=200, **BOUNDED)
@given(st.lists(st.one_of(ipv4_networks, ipv6_networks), min_size=1, max_size=6))
def test_public_addresses_never_exceeds_the_covered_space_and_ignores_order(networks):
    count4, count6 = network_policy.public_addresses(networks)
    assert (count4, count6) == network_policy.public_addresses(list(reversed(networks)))
    assert 0 <= count4 <= 2**32 and 0 <= count6 <= 2**128
    v4 = [n for n in networks if n.version == 4]
    assert count4 >= sum(
        n.num_addresses
        for n in ipaddress.collapse_addresses(v4)
        if not any(n.subnet_of(b) or b.subnet_of(n) or n.overlaps(b) for b in network_policy.NON_PUBLIC_IPV4)
    )


# --- extra_config ------------------------------------------------------------------------------
param_names = st.one_of(
    st.sampled_from(sorted(postfix_parameters.ALLOWED)),
    st.sampled_from(sorted(postfix_parameters.MANAGED)),
    st.sampled_from(
        [
            "smtp_tls_per_site",
            "relay_domains",
            "always_bcc",
            "transport_maps",
            "smtp_tls_policy_maps",
            "content_filter",
            "debug_peer_list",
        ]
    ),
    st.from_regex(r"[a-z][a-z_]{0,30}", fullmatch=True),
    text,
)
param_values = st.one_of(
    st.integers(-5, 10**12),
    st.booleans(),
    st.none(),
    st.sampled_from(
        ["5m", "3d", "yes", "no", "3.6", "$myhostname", "resource, software", "may", "none", "static:all", "10M", "5x"]
    ),
    text,
    st.lists(st.one_of(text, st.integers()), max_size=3),
)


@settings(max_examples=400, **BOUNDED)
@given(st.dictionaries(param_names, param_values, max_size=5), st.sampled_from([None, "encrypt", "verify"]))
def test_every_accepted_extra_config_is_on_the_allow_list_and_tls_stays(extra, level):
    settings_ = dict(GOOD, extra_config=extra)
    if level:
        settings_["tls_security_level"] = level
    try:
        result = resolve(settings_, P)
    except ValueError as exc:
        assert str(exc).startswith(P + "extra_config"), str(exc)
        return
    assert set(result["extra_config"]) <= set(postfix_parameters.ALLOWED)
    assert set(result["extra_config"]) == set(extra)
    assert result["tls_security_level"] == (level or "encrypt")
    for name, value in result["extra_config"].items():
        assert postfix_parameters.check_value(name, value)
        assert not any(ch in value for ch in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
        assert name not in postfix_parameters.MANAGED


# --- texts and addresses -----------------------------------------------------------------------
@settings(max_examples=300, **BOUNDED)
@given(text)
def test_check_text_refuses_every_line_break_python_knows(value):
    try:
        check_text(value, "x")
    except ValueError as exc:
        assert str(exc).startswith("x: ") and value not in str(exc).replace("x: ", "", 1) or len(value) < 3
        return
    assert len(value.splitlines()) <= 1 and "\n" not in value


@settings(max_examples=300, **BOUNDED)
@given(
    st.one_of(
        text, st.builds(lambda a, b: "%s@%s" % (a, b), text, text), st.builds(lambda a: "%s@example.com" % a, text)
    ),
    st.sampled_from(["address", "sender", "key"]),
)
def test_accepted_addresses_are_plain(value, form):
    try:
        address = check_address(value, "x", form)
    except ValueError as exc:
        assert str(exc).startswith("x: ")
        return
    assume(address)
    assert address.isascii() and address.isprintable()
    assert not any(ch in address for ch in "|/:\"'`$%!#{}[]<>(),;\\ \t\n")
    assert not address.startswith(("-", ".")) and ".." not in address
    assert address.count("@") <= 1
    if form == "address":
        local, domain = address.split("@")
        assert local and domain
