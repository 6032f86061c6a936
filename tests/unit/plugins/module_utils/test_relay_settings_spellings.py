# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Issue 12, tried again with other spellings than the issue's (audit of 2026-12-01).

Each class of input (networks, extra_config, addresses and alias names, characters in nested
values) is attacked with spellings the regression tables of test_relay_settings.py do not hold.
Three were accepted on main 59705f8 and are fixed with these tests:

* a network of the RFC 8215 local-use NAT64 block (``[64:ff9b:1::]/96``): it stands for IPv4
  clients (all of IPv4 through a translator) but was counted as public IPv6 within the /64 limit;
* ``$`` expansions in the ``text`` kind of extra_config (``smtpd_banner: $smtp_sasl_password_maps``
  showed the map's path to every client; ``$smtpd_banner`` stops smtpd, which postconf confirms);
* PowerMTA values with Unicode format characters the old list of code points did not name
  (U+2066-U+2069 bidirectional isolates, U+00AD, U+061C, U+180E, U+FFF9, tags): refused now by
  category, the rule relay_settings applies.

The other cases passed on main and are kept as the record of what was tried.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.egress.mail.plugins.module_utils import network_policy, pmta_settings
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import resolve
from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import refused

P = "postfix_relay_"
SECRET = "Zq9-audit-S3cret"
BASE = {"host": "smtp.example.net", "username": "u", "password": SECRET}
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def _refused(extra, name, fragment=""):
    return refused(extra, name, fragment, base=BASE, secret=SECRET)


# --- networks -----------------------------------------------------------------------------------
LOCAL_NAT64 = [
    ("local-nat64-96", ["[64:ff9b:1::]/96"]),
    ("local-nat64-48", ["[64:ff9b:1::]/48"]),
    ("local-nat64-64", ["[64:ff9b:1:ab::]/64"]),
    ("local-nat64-104", ["[64:ff9b:1::]/104"]),
    ("local-nat64-two-120-and-a-24", ["[64:ff9b:1::a00:0]/120", "8.8.8.0/24"]),
    ("local-nat64-257-hosts", ["[64:ff9b:1::%x]" % i for i in range(257)]),
    ("around-local-nat64", ["[64:ff9b::]/47"]),
]


@pytest.mark.parametrize("networks", [c[1] for c in LOCAL_NAT64], ids=[c[0] for c in LOCAL_NAT64])
def test_local_use_nat64_counts_as_ipv4(networks):
    _refused({"mynetworks": networks}, P + "mynetworks", P + "mynetworks_allow_public")
    assert resolve(dict(BASE, mynetworks=networks, mynetworks_allow_public=True), P)["mynetworks"]


def test_local_use_nat64_within_the_limit_and_not_public_ipv6():
    # A /120 is at most 256 IPv4 clients, wherever the translator puts them; not public IPv6.
    nets = [network_policy.parse_network("[64:ff9b:1::808:800]/120", "x")]
    assert network_policy.public_addresses(nets) == (256, 0)
    assert resolve(dict(BASE, mynetworks=["[64:ff9b:1::808:800]/120"]), P)["mynetworks"] == ["[64:ff9b:1::808:800]/120"]
    # Counted as distinct from any IPv4 network listed (their place in IPv4 is unknown).
    _refused({"mynetworks": ["[64:ff9b:1::808:800]/121", "8.8.8.0/25", "1.1.1.1"]}, P + "mynetworks", "public")
    # Never more than all public IPv4.
    every = network_policy.public_addresses([network_policy.parse_network("[::ffff:0:0]/96", "x")])[0]
    assert network_policy.public_addresses(
        [network_policy.parse_network(n, "x") for n in ("[64:ff9b:1::]/96", "[64:ff9b:1::1:0:0]/96")]
    ) == (every, 0)


def test_powermta_sources_count_local_use_nat64_too():
    settings = _pmta_defaults()
    settings["sources"] = [{"match": "64:ff9b:1::/96", "always_allow_relaying": True}]
    with pytest.raises(ValueError, match="^powermta_relay_sources: .*sources_allow_public"):
        pmta_settings.check(settings)


NETWORKS_HELD = [
    # (id, entries): refused on main already; kept as the record of what was tried.
    ("mapped-short", ["[::ffff:0:0]/96"]),
    ("mapped-upper", ["[::FFFF:0:0]/96"]),
    ("mapped-long-zeros", ["[0:0:0:0:0:ffff::]/96"]),
    ("mapped-half", ["[::ffff:0.0.0.0]/97"]),
    ("all-zero-groups-prefix-0", ["[0000:0000:0000:0000:0000:0000:0000:0000]/0"]),
    ("v6-first-half", ["[::]/1"]),
    ("v4-halves", ["0.0.0.0/1", "128.0.0.0/1"]),
    ("mapped-leading-zero-octet", ["[::ffff:010.0.0.1]"]),
    ("v4-short-form", ["127.1"]),
    ("v4-hex", ["0x7f.0.0.1"]),
    ("v4-octal-prefix", ["10.0.0.0/010"]),
    ("netmask-form", ["0.0.0.0/0.0.0.0"]),
    ("scoped", ["[fe80::1%eth0]"]),
    ("scope-only", ["[::%1]"]),
    ("prefix-leading-zero-v6", ["[::1]/0128"]),
    ("trailing-space", ["127.0.0.1/32 "]),
    ("fullwidth-digits", ["\uff11\uff12\uff17.0.0.1"]),
    ("257-small-public", ["8.8.%d.%d" % (i // 200, i % 200) for i in range(257)]),
    ("mapped-plus-v4", ["[::ffff:8.8.9.0]/120", "8.8.8.0/24"]),
    ("nat64-plus-v4", ["[64:ff9b::808:900]/120", "8.8.8.0/24"]),
    ("two-v6-64", ["[2001:db9::]/64", "[2001:db9:0:1::]/64"]),
]


@pytest.mark.parametrize("networks", [c[1] for c in NETWORKS_HELD], ids=[c[0] for c in NETWORKS_HELD])
def test_other_network_spellings_refused(networks):
    _refused({"mynetworks": networks}, P + "mynetworks")


def test_256_small_public_networks_are_the_limit():
    assert (
        len(resolve(dict(BASE, mynetworks=["8.8.%d.%d" % (i // 200, i % 200) for i in range(256)]), P)["mynetworks"])
        == 256
    )


# --- extra_config: $ expansions in text values -----------------------------------------------
BANNERS_REFUSED = [
    "$smtp_sasl_password_maps",
    "${smtp_sasl_password_maps}",
    "$(relayhost)",
    "$smtpd_banner",
    "${smtpd_banner}",
    "$myhostname ESMTP ${smtp_tls_security_level?encrypt}",
    "${myhostname:x}",
    "$myhostnamex",
    "$mail_name_x",
    "cost $ 5",
    "$",
    "x$",
    "${myhostname",
    "$(mail_name",
    "$config_directory",
    "$mynetworks",
]


@pytest.mark.parametrize("banner", BANNERS_REFUSED)
def test_banner_expands_only_names_and_versions(banner):
    _refused({"extra_config": {"smtpd_banner": banner}}, P + "extra_config.smtpd_banner", "$ only in $myhostname")


BANNERS_ACCEPTED = [
    "$myhostname ESMTP $mail_name (Debian/GNU)",
    "${myhostname} ESMTP",
    "$(mail_version)",
    "cost $$5",
    "$myhostname$mydomain",
    "$myorigin mail",
    "relay_domains = static:all",
    "#not-a-comment",
    "x" * 500,
]


@pytest.mark.parametrize("banner", BANNERS_ACCEPTED)
def test_accepted_banners_expand_in_postfix(banner, postfix_bin, tmp_path):
    text = resolve(dict(BASE, extra_config={"smtpd_banner": banner}), P)["extra_config"]["smtpd_banner"]
    (tmp_path / "main.cf").write_text("myhostname = mail.example.com\nsmtpd_banner = %s\n" % text)
    (tmp_path / "master.cf").write_text("")
    proc = postfix_bin.run([postfix_bin.postconf, "-c", str(tmp_path), "-x", "-h", "smtpd_banner"])
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    expanded = proc.stdout.strip()
    assert ("$" in expanded) == ("$$" in banner), expanded  # every expansion resolved
    assert "mail.example.com" in expanded or "myhostname" not in banner


def test_the_refused_self_reference_is_what_stops_postfix(postfix_bin, tmp_path):
    # Why the rule: postconf (and smtpd, at start) cannot expand a banner that names itself.
    (tmp_path / "main.cf").write_text("smtpd_banner = $smtpd_banner ESMTP\n")
    (tmp_path / "master.cf").write_text("")
    proc = postfix_bin.run([postfix_bin.postconf, "-c", str(tmp_path), "-x", "-h", "smtpd_banner"])
    assert proc.returncode != 0 and "unreasonable macro call nesting" in proc.stderr


EXTRA_HELD = [
    # (id, extra_config, fragment): refused on main already.
    ("case-variant", {"Relay_Domains": "static:all"}, "not on the allow-list"),
    ("upper-case", {"RELAYHOST": "[evil.example]:25"}, "not on the allow-list"),
    ("leading-space-name", {" relayhost": "x"}, "not a main.cf parameter name"),
    ("trailing-space-name", {"relayhost ": "x"}, "not a main.cf parameter name"),
    ("cyrillic-a-name", {"relay\u0430host": "x"}, "not a main.cf parameter name"),
    ("name-with-equals", {"smtpd_banner = x relayhost": "y"}, "not a main.cf parameter name"),
    ("name-with-newline", {"smtpd_banner = x\nrelayhost": "y"}, "newline"),
    ("helo-braces", {"smtp_helo_name": "${myhostname}"}, "host name"),
    ("helo-parens", {"smtp_helo_name": "$(relayhost)"}, "host name"),
    ("level-expansion", {"compatibility_level": "${compatibility_level}"}, "compatibility level"),
    ("size-expansion", {"message_size_limit": "$mailbox_size_limit"}, "size in bytes"),
    ("size-fullwidth", {"message_size_limit": "\uff11\uff10"}, "size in bytes"),
    ("time-inner-space", {"maximal_queue_lifetime": "5 d"}, "a time"),
    ("yesno-case", {"biff": "YES"}, "yes or no"),
    ("banner-tab", {"smtpd_banner": "a\tb"}, "U+0009"),
    ("banner-nbsp-nel", {"smtpd_banner": "a\u0085b"}, "U+0085"),
]


@pytest.mark.parametrize("extra, fragment", [c[1:] for c in EXTRA_HELD], ids=[c[0] for c in EXTRA_HELD])
def test_other_extra_config_spellings_refused(extra, fragment):
    _refused({"extra_config": extra}, P + "extra_config", fragment)


# --- addresses and alias names --------------------------------------------------------------
ADDRESSES_HELD = [
    "%7cbin@example.com",
    "\uff5cbin@example.com",
    "\u2223x@example.com",
    "\\|x@example.com",
    "ops@example.c\u043em",
    "ops@example.com\u3002",
    "ops@ex\uff0eample.com",
    "ops@example.com..",
    "ops@[192.0.2.1]",
    "ops@192.0.2.1",
    "ops+$x@example.com",
    "ops@-x.com",
    "ops\u200b@example.com",
]


@pytest.mark.parametrize("address", ADDRESSES_HELD)
@pytest.mark.parametrize("where", ["root_forward", "aliases"])
def test_other_address_spellings_refused(where, address):
    if where == "aliases":
        _refused({"aliases": {"postmaster": [address]}}, P + "aliases")
    else:
        _refused({"root_forward": address}, P + "root_forward")


def test_trailing_dot_and_case_are_normalised_not_refused():
    result = resolve(dict(BASE, aliases={"PostMaster": "Ops@Example.COM."}), P)
    assert result["aliases"] == [["postmaster", ["Ops@example.com"]]]
    _refused({"aliases": {"ROOT": "ops@example.com"}, "root_forward": "a@example.com"}, P + "aliases", "root")


@pytest.mark.parametrize("name", ["root.", ".root", "|root", "ro ot", "root\u200b", "\uff52oot", "root@x"])
def test_other_alias_name_spellings_refused(name):
    _refused({"aliases": {name: "ops@example.com"}}, P + "aliases")


# --- characters at every depth ----------------------------------------------------------------
FORMAT_CHARS = ["\u2066", "\u2067", "\u2068", "\u2069", "\u00ad", "\u061c", "\u180e", "\ufff9", "\U000e0041"]


def _pmta_defaults():
    with open(os.path.join(ROOT, "roles", "powermta_relay", "defaults", "main.yml")) as handle:
        values = yaml.safe_load(handle)
    prefix = "powermta_relay_"
    settings = dict(
        (key[len(prefix) :], value)
        for key, value in values.items()
        if key[len(prefix) :] in pmta_settings.SETTINGS_KEYS
    )
    settings.update(
        host="smtp.example.net",
        username="relayuser",
        password=SECRET,
        package_ext="deb",
        tls_ca_file="/etc/ssl/certs/ca-certificates.crt",
    )
    return settings


@pytest.mark.parametrize("char", FORMAT_CHARS, ids=["U+%04X" % ord(c) for c in FORMAT_CHARS])
@pytest.mark.parametrize(
    "key, value",
    [
        ("package_src", "/srv/pmta%s.deb"),
        ("license_src", "/srv/license%s"),
        ("password", SECRET + "%s"),
        ("smtp_users", [{"name": "app", "password": "pw%s1"}]),
    ],
    ids=["package_src", "license_src", "password", "smtp_users-password"],
)
def test_powermta_refuses_every_format_character(key, value, char):
    settings = dict(_pmta_defaults(), install=True, package_src="/srv/pmta.deb", license_src="/srv/license")
    pmta_settings.check(settings)
    if isinstance(value, list):
        settings[key] = [dict((k, v % char if k == "password" else v) for k, v in entry.items()) for entry in value]
    else:
        settings[key] = value % char
    with pytest.raises(ValueError) as exc:
        pmta_settings.check(settings)
    message = str(exc.value)
    assert message.startswith("powermta_relay_" + key), message
    assert SECRET not in message and char not in message
    if "password" in key or key == "smtp_users":
        assert "U+" not in message


@pytest.mark.parametrize("char", FORMAT_CHARS, ids=["U+%04X" % ord(c) for c in FORMAT_CHARS])
def test_postfix_refuses_the_same_characters_deep_in_nested_values(char):
    _refused({"aliases": {"postmaster": ["ops@example.com", "a%s@example.com" % char]}}, P + "aliases.postmaster[1]")
    _refused(
        {"fallback_relays": [{"host": "r.example.com", "username": "x", "password": SECRET + char}]},
        P + "fallback_relays[0].password",
    )
    _refused({"sender_canonical": {"@a.example": "@b%s.example" % char}}, P + "sender_canonical")
