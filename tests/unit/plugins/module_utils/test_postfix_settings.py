# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/postfix_settings.py (the Postfix part), directly and through relay_settings.resolve."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import assert_message
from ansible_collections.egress.mail.plugins.module_utils.postfix_settings import (
    check_local_settings,
    validate_aliases,
    validate_canonical_map,
    validate_concurrency,
    validate_interfaces,
    validate_sender,
)
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import resolve
from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import (
    BASE,
    P,
    refused as _refused,
    settings as _s,
)


def test_sender_dependent_defaults_and_wrappermode():
    result = resolve(
        {
            "provider": "ses",
            "provider_region": "eu-west-1",
            "username": "A",
            "password_set": True,
            "port": 2587,
            "sender_dependent": [
                {
                    "sender": "@Shop.Example.COM",
                    "host": "smtp.sendgrid.net",
                    "port": "465",
                    "username": "apikey",
                    "password": "SG.x",
                },
                {
                    "sender": "alerts@example.com",
                    "host": "email-smtp.eu-west-1.amazonaws.com",
                    "port": 2465,
                    "username": "B",
                    "password": "y",
                },
                {"sender": "noauth@example.com", "host": "192.0.2.1"},
            ],
        },
        P,
    )
    entries = result["sender_dependent"]
    assert entries[0] == {
        "index": 0,
        "sender": "@shop.example.com",
        "host": "smtp.sendgrid.net",
        "port": 465,
        "nexthop": "[smtp.sendgrid.net]:465",
        "username": "apikey",
        "password_set": True,
        "wrappermode": True,
    }
    assert entries[1]["wrappermode"] is True
    assert entries[2] == {
        "index": 2,
        "sender": "noauth@example.com",
        "host": "192.0.2.1",
        "port": 2587,
        "username": None,
        "nexthop": "[192.0.2.1]:2587",
        "password_set": False,
        "wrappermode": False,
    }


def test_sender_dependent_ipv6_nexthop():
    result = resolve(_s(sender_dependent=[{"sender": "@a.example", "host": "2001:db8::25", "port": 2525}]), P)
    assert result["sender_dependent"][0]["nexthop"] == "[ipv6:2001:db8::25]:2525"


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({}, 10),
        ({"concurrency_limit": None}, 10),
        ({"concurrency_limit": ""}, 10),
        ({"concurrency_limit": 4}, 4),
        ({"concurrency_limit": "20"}, 20),
        ({"concurrency_limit": 100}, 100),
        ({"provider": "office365", "username": "u@example.com", "password_set": True}, 3),
        ({"provider": "office365", "username": "u@example.com", "password_set": True, "concurrency_limit": 2}, 2),
        ({"provider": "sendgrid", "password_set": True}, 10),
    ],
)
def test_concurrency_limit(settings, expected):
    settings = dict(settings)
    if "provider" not in settings:
        settings["host"] = "smtp.example.com"
    assert resolve(settings, P)["concurrency_limit"] == expected


@pytest.mark.parametrize(
    "mechanisms",
    [["plain", "login"], ["PLAIN"], ["!gssapi", "!ntlm", "static:all"], ["cram-md5", "scram-sha-256", "xoauth2"]],
)
def test_sasl_mechanisms_accepted(mechanisms):
    resolve(_s(sasl_mechanisms=mechanisms), P)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("bob@example.com", "bob@example.com"),
        ("@Example.com", "@example.com"),
        ("Bob.Smith+tag@Example.com", "Bob.Smith+tag@example.com"),
    ],
)
def test_validate_sender_good(value, expected):
    assert validate_sender(value, "s") == expected


# --- local side of the relay host (identity, listening, rewriting, extra main.cf) -----------
LOCAL_BAD = [
    ({"myhostname": "mail host"}, "postfix_relay_myhostname"),
    ({"myhostname": "mail\nrelayhost = evil"}, "postfix_relay_myhostname"),
    ({"myorigin": "a,b"}, "postfix_relay_myorigin"),
    ({"root_forward": "ops"}, "postfix_relay_root_forward"),
    ({"root_forward": "@example.com"}, "postfix_relay_root_forward"),
    ({"root_forward": "a@example.com, b@example.com"}, "postfix_relay_root_forward"),
    ({"sender_rewrite": "noreply@exa mple.com"}, "postfix_relay_sender_rewrite"),
    ({"sender_rewrite": {"root@host name": "noreply@example.com"}}, "postfix_relay_sender_rewrite"),
    ({"mynetworks": "127.0.0.0/8"}, "postfix_relay_mynetworks"),
    ({"mynetworks": ["127.0.0.0/8", "0.0.0.0/0, evil"]}, "postfix_relay_mynetworks[1]"),
    ({"mynetworks": ["::1/128"]}, "postfix_relay_mynetworks[0]"),
    ({"inet_interfaces": "all\nmynetworks = 0.0.0.0/0"}, "postfix_relay_inet_interfaces"),
    ({"inet_interfaces": ""}, "postfix_relay_inet_interfaces"),
    ({"extra_config": {"bad name": "x"}}, "postfix_relay_extra_config"),
    ({"extra_config": {"smtp_helo_name": "a\nrelayhost = evil"}}, "postfix_relay_extra_config.smtp_helo_name"),
    ({"extra_config": ["smtp_helo_name"]}, "postfix_relay_extra_config"),
    ({"extra_config": {"smtp_tls_security_level": "may"}}, "postfix_relay_extra_config"),
    ({"extra_config": {"smtp_sasl_auth_enable": "no"}}, "postfix_relay_extra_config"),
    ({"extra_config": {"relayhost": "[evil.example]:25"}}, "postfix_relay_extra_config"),
    ({"extra_config": {"mynetworks": "0.0.0.0/0"}}, "postfix_relay_extra_config"),
    ({"extra_config": {"always_bcc": "spy@example.com"}}, "postfix_relay_extra_config"),
    ({"mynetworks": ["0.0.0.0/0"]}, "postfix_relay_mynetworks[0]"),
    ({"mynetworks": ["127.0.0.0/8", "[::]/0"]}, "postfix_relay_mynetworks[1]"),
    ({"mynetworks": ["10.0.0.0/0"]}, "postfix_relay_mynetworks[0]"),
]


@pytest.mark.parametrize("extra,name", LOCAL_BAD)
def test_local_settings_refused_naming_the_variable(extra, name):
    settings = {"host": "smtp.example.net", "username": "u", "password": "p"}
    settings.update(extra)
    with pytest.raises(ValueError) as exc:
        resolve(settings, "postfix_relay_")
    assert str(exc.value).startswith(name + ":") or str(exc.value).startswith(name + "["), str(exc.value)


def test_local_settings_accepted():
    settings = {
        "host": "smtp.example.net",
        "username": "u",
        "password": "p",
        "myhostname": "web1.example.com",
        "myorigin": "example.com",
        "root_forward": "ops@example.com",
        "sender_rewrite": {"root@web1": "noreply@example.com", "@localhost": "noreply@example.com"},
        "mynetworks": ["127.0.0.0/8", "[::1]/128", "10.0.0.0/8"],
        "inet_interfaces": "loopback-only",
        "extra_config": {"smtp_helo_name": "web1.example.com", "maximal_queue_lifetime": "5d"},
    }
    assert resolve(settings, "postfix_relay_")["host"] == "smtp.example.net"
    assert resolve(dict(settings, sender_rewrite="noreply@example.com", inet_interfaces="all"))


# --- issue 12: regression cases (each was accepted, or crashed, on main 283c62b) ---------------


MYNETWORKS_BAD = [
    ("v4-prefix-00", ["0.0.0.0/00"], "every address"),
    ("v6-prefix-00", ["[::]/00"], "every address"),
    ("v4-prefix-000", ["10.0.0.0/000"], "every address"),
    ("short-0-0", ["0/0"], "not a network"),
    ("v6-written-open", ["[0::0]/0"], "every address"),
    ("bad-octets", ["999.1.1.1/99"], "not a network"),
    ("dots", ["...."], "not a network"),
    ("prefix-too-long", ["10.0.0.0/33"], "not a valid IP network"),
    ("host-bits", ["10.0.0.1/8"], "host bits"),
    ("leading-zero-octet", ["010.0.0.0/8"], "not a network"),
    ("leading-zero-prefix", ["10.0.0.0/08"], "leading zeros"),
    ("v6-without-brackets", ["::1/128"], "not a network"),
    ("name", ["localhost"], "not a network"),
    ("table", ["hash:/etc/postfix/network_table"], "not a network"),
    ("spaces", [" 127.0.0.0/8"], "not a network"),
    ("unicode-digit", ["١٢٧.0.0.0/8"], "not a network"),
    ("public-slash-23", ["198.51.99.0/24", "203.0.112.0/24"], "public"),
    ("public-v4-wide", ["8.0.0.0/8"], P + "mynetworks_allow_public"),
    ("public-v6-wide", ["[2a00::]/16"], "public"),
    ("mapped-v4-wide", ["[::ffff:0.0.0.0]/96"], "public"),
    ("nat64-v4-wide", ["[64:ff9b::]/96"], "public"),
    ("not-a-list", "127.0.0.0/8", "non-empty list"),
    ("empty", [], "non-empty list"),
    ("none", None, "non-empty list"),
    ("int-entry", [2130706432], "string"),
]


@pytest.mark.parametrize("value, fragment", [c[1:] for c in MYNETWORKS_BAD], ids=[c[0] for c in MYNETWORKS_BAD])
def test_mynetworks_refused(value, fragment):
    _refused({"mynetworks": value}, P + "mynetworks", fragment)


def test_mynetworks_prefix_zero_refused_even_with_opt_in():
    _refused({"mynetworks": ["0.0.0.0/0"], "mynetworks_allow_public": True}, P + "mynetworks[0]", "every address")


def test_mynetworks_public_opt_in_and_limit():
    assert resolve(dict(BASE, mynetworks=["192.0.2.0/24", "198.51.100.7", "203.0.113.0/24"]), P)["mynetworks"] == [
        "192.0.2.0/24",
        "198.51.100.7/32",
        "203.0.113.0/24",
    ]
    # One public /24 is within the limit; two are not, unless the opt-in says so.
    assert resolve(dict(BASE, mynetworks=["8.8.8.0/24"]), P)["mynetworks"] == ["8.8.8.0/24"]
    _refused({"mynetworks": ["8.8.8.0/24", "8.8.9.0/24"]}, P + "mynetworks", P + "mynetworks_allow_public")
    assert resolve(dict(BASE, mynetworks=["8.8.8.0/23"], mynetworks_allow_public=True), P)["mynetworks"] == [
        "8.8.8.0/23"
    ]
    _refused({"mynetworks_allow_public": "perhaps"}, P + "mynetworks_allow_public", "boolean")


def test_mynetworks_canonical_spelling():
    result = resolve(dict(BASE, mynetworks=["10.0.0.0/8", "[2001:DB8:0:0::]/64", "[::1]", "127.0.0.1"]), P)
    assert result["mynetworks"] == ["10.0.0.0/8", "[2001:db8::]/64", "[::1]/128", "127.0.0.1/32"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("all", "all"),
        ("loopback-only", "loopback-only"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1, ::1", "127.0.0.1, ::1"),
        ("127.0.0.1,::1", "127.0.0.1, ::1"),
        ("127.0.0.1 192.0.2.5", "127.0.0.1, 192.0.2.5"),
        ("[0:0::1]", "[::1]"),
        ("Mail.Example.COM, 127.0.0.1", "mail.example.com, 127.0.0.1"),
        (["127.0.0.1", "::1"], "127.0.0.1, ::1"),
    ],
)
def test_inet_interfaces_accepted(value, expected):
    assert resolve(dict(BASE, inet_interfaces=value), P)["inet_interfaces"] == expected


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("999.1.1.1", "not a valid IP address"),
        ("127.0.0.1, 2001:db8:::1", "not a valid IP address"),
        ("[127.0.0.1]", "only IPv6"),
        ("all, 127.0.0.1", "stand alone"),
        ("127.0.0.1, mail_host", "invalid character"),
        (" , ", "must be"),
        (5, "int"),
        ({"all": True}, "dict"),
        (None, "NoneType"),
    ],
)
def test_inet_interfaces_refused(value, fragment):
    _refused({"inet_interfaces": value}, P + "inet_interfaces", fragment)


EXTRA_REFUSED = [
    # (id, extra_config, fragment)
    ("tls-per-site", {"smtp_tls_per_site": "hash:/etc/postfix/tls_per_site"}, "security-relevant"),
    ("tls-policy", {"smtp_tls_policy_maps": "hash:/etc/postfix/tls_policy"}, "security-relevant"),
    ("relay-domains", {"relay_domains": "static:all"}, "security-relevant"),
    ("tls-level", {"smtp_tls_security_level": "may"}, "set postfix_relay_tls_security_level"),
    ("relayhost", {"relayhost": "[evil.example]:25"}, "set postfix_relay_host and postfix_relay_port"),
    ("mynetworks", {"mynetworks": "0.0.0.0/0"}, "set postfix_relay_mynetworks"),
    ("sasl", {"smtp_sasl_auth_enable": "no"}, "written by the role"),
    ("always-bcc", {"always_bcc": "spy@example.com"}, "security-relevant"),
    ("transport-maps", {"transport_maps": "hash:/etc/postfix/transport"}, "where mail goes"),
    ("content-filter", {"content_filter": "smtp:[evil.example]:25"}, "where mail goes"),
    ("debug-peer", {"debug_peer_list": "smtp.example.net"}, "security-relevant"),
    ("smtpd-tls", {"smtpd_tls_security_level": "none"}, "TLS"),
    ("recipient-restrictions", {"smtpd_recipient_restrictions": "permit"}, "who may relay"),
    ("unknown", {"egress_frobnicate": "1"}, "not on the allow-list"),
    ("bad-name", {"relayhost = evil": "x"}, "not a main.cf parameter name"),
    ("not-a-dict", ["message_size_limit"], "dict"),
    ("size-with-unit", {"message_size_limit": "10M"}, "a size in bytes"),
    ("size-negative", {"message_size_limit": -1}, "a size in bytes"),
    ("time-bad-unit", {"maximal_queue_lifetime": "5x"}, "a time"),
    ("yesno-word", {"biff": "maybe"}, "yes or no"),
    ("level-word", {"compatibility_level": "latest"}, "compatibility level"),
    ("helo-name-expansion", {"smtp_helo_name": "$relayhost"}, "host name"),
    ("notify-unknown", {"notify_classes": "resource, everything"}, "classes"),
    ("banner-too-long", {"smtpd_banner": "x" * 501}, "printable ASCII"),
    ("banner-non-ascii", {"smtpd_banner": "mail \u00e9"}, "printable ASCII"),
    ("value-none", {"message_size_limit": None}, "null"),
    ("value-dict", {"message_size_limit": {"a": 1}}, "unsupported value type"),
    ("value-nested-list", {"notify_classes": [["resource"]]}, "scalars"),
    ("value-newline", {"smtp_helo_name": "a.example\nrelayhost = evil"}, "newline"),
    ("value-u2028", {"smtpd_banner": "mail\u2028relayhost = [evil]"}, "U+2028"),
    ("key-control", {"biff\x0b": "no"}, "a key"),
]


@pytest.mark.parametrize("extra, fragment", [c[1:] for c in EXTRA_REFUSED], ids=[c[0] for c in EXTRA_REFUSED])
def test_extra_config_refused_naming_parameter_and_reason(extra, fragment):
    message = _refused({"extra_config": extra}, P + "extra_config", fragment)
    name = list(extra)[0] if isinstance(extra, dict) else None
    if name and name.isidentifier() and "not a main.cf" not in message:
        assert name in message


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"message_size_limit": 10240000}, {"message_size_limit": "10240000"}),
        ({"message_size_limit": "0"}, {"message_size_limit": "0"}),
        ({"biff": False, "disable_vrfy_command": True}, {"biff": "no", "disable_vrfy_command": "yes"}),
        (
            {"maximal_queue_lifetime": "5d", "bounce_queue_lifetime": "1d", "minimal_backoff_time": 300},
            {"maximal_queue_lifetime": "5d", "bounce_queue_lifetime": "1d", "minimal_backoff_time": "300"},
        ),
        ({"notify_classes": ["resource", "software"]}, {"notify_classes": "resource, software"}),
        ({"notify_classes": "resource,  software"}, {"notify_classes": "resource, software"}),
        ({"notify_classes": "resource,software delay"}, {"notify_classes": "resource,software delay"}),
        ({"notify_classes": "resource,,software"}, None),
        ({"smtpd_banner": "$myhostname   ESMTP"}, {"smtpd_banner": "$myhostname ESMTP"}),
        ({"smtp_helo_name": "web1.example.com"}, {"smtp_helo_name": "web1.example.com"}),
        ({"smtp_helo_name": "$myhostname"}, {"smtp_helo_name": "$myhostname"}),
        ({"compatibility_level": "3.6"}, {"compatibility_level": "3.6"}),
        ({"compatibility_level": 2}, {"compatibility_level": "2"}),
        ({}, {}),
        (None, {}),
    ],
)
def test_extra_config_accepted_as_postconf_writes_it(extra, expected):
    if expected is None:
        _refused({"extra_config": extra}, P + "extra_config.notify_classes", "classes")
        return
    assert resolve(dict(BASE, extra_config=extra), P)["extra_config"] == expected


ADDRESS_BAD = [
    ("pipe", "|/bin/touch${IFS}/tmp/x@example.com"),
    ("file", "/var/tmp/copy@example.com"),
    ("include", ":include:/etc/postfix/list@example.com"),
    ("quoted", '"ops team"@example.com'),
    ("single-quote", "o'brien@example.com"),
    ("dollar", "${IFS}@example.com"),
    ("backtick", "`id`@example.com"),
    ("percent-hack", "victim%example.org@example.com"),
    ("bang-path", "example.org!victim@example.com"),
    ("hash", "#ops@example.com"),
    ("leading-dot", ".ops@example.com"),
    ("double-dot", "o..ps@example.com"),
    ("trailing-dot", "ops.@example.com"),
    ("leading-hyphen", "-oops@example.com"),
    ("non-ascii", "öps@example.com"),
    ("two-at", "ops@x@example.com"),
    ("no-domain", "ops@"),
    ("domain-only", "@example.com"),
    ("no-at", "ops"),
    ("list", "a@example.com, b@example.com"),
    ("display-name", "Ops <ops@example.com>"),
    ("domain-underscore", "ops@ex_ample.com"),
    ("too-long-local", "o" * 65 + "@example.com"),
    ("int", 12345),
    ("dict", {"ops": "example.com"}),
    ("list-type", ["ops@example.com"]),
]


@pytest.mark.parametrize("value", [c[1] for c in ADDRESS_BAD], ids=[c[0] for c in ADDRESS_BAD])
@pytest.mark.parametrize("key", ["root_forward", "sender_rewrite", "sender_rewrite_value"])
def test_addresses_refused_everywhere(key, value):
    if key == "sender_rewrite_value":
        if not isinstance(value, str):
            value = [value]  # a list as a value of the dict
        _refused({"sender_rewrite": {"root": value}}, P + "sender_rewrite")
    elif key == "sender_rewrite" and isinstance(value, (dict, list)):
        _refused({key: value if isinstance(value, list) else {"root@x": "a b"}}, P + key)
    else:
        _refused({key: value}, P + key)


@pytest.mark.parametrize(
    "value",
    [
        "ops@example.com",
        "Ops.Team+alerts@Example.COM",
        "a_b=c-d@mail.example.com",
        "o" * 64 + "@example.com",
        "ops@localhost",
        "0@example.com",
    ],
)
def test_plain_addresses_accepted(value):
    resolve(dict(BASE, root_forward=value, sender_rewrite={"root": value, "@localhost": value}), P)


@pytest.mark.parametrize("key", ["#root", "#", "ro#ot", "@#example.com", "|x", "/tmp/x", "root@host name"])
def test_sender_rewrite_key_refused(key):
    _refused({"sender_rewrite": {key: "ops@example.com"}}, P + "sender_rewrite")


@pytest.mark.parametrize(
    "sender",
    [
        "#bob@example.com",
        "#@example.com",
        "|cmd@example.com",
        "/x@example.com",
        '"bob"@example.com',
        "bob%x@example.com",
    ],
)
def test_sender_dependent_sender_refused(sender):
    _refused({"sender_dependent": [{"sender": sender, "host": "r.example.com"}]}, P + "sender_dependent[0].sender")


# --- surviving mutants of issue 21 -------------------------------------------------------------
def test_sender_dependent_relay_does_not_inherit_the_main_presets_wrapper_ports():
    # SES documents 2465 as implicit TLS; another host on 2465 is STARTTLS.
    result = resolve(
        {
            "provider": "ses",
            "provider_region": "eu-west-1",
            "username": "A",
            "password_set": True,
            "sender_dependent": [
                {"sender": "@a.example", "host": "relay.example.org", "port": 2465},
                {"sender": "@b.example", "host": "email-smtp.eu-west-1.amazonaws.com", "port": 2465},
            ],
        },
        P,
    )
    assert [e["wrappermode"] for e in result["sender_dependent"]] == [False, True]


def test_validate_interfaces_direct():
    assert validate_interfaces("127.0.0.1,  ::1", "x") == "127.0.0.1, ::1"


def test_concurrency_boundaries_and_preset_cap():
    assert validate_concurrency(1, "c") == 1
    assert validate_concurrency(100, "c") == 100
    assert validate_concurrency(None, "c") == 10
    assert validate_concurrency("", "c", {"max_connections": 3, "name": "x"}) == 3
    assert validate_concurrency(3, "c", {"max_connections": 3, "name": "x"}) == 3
    assert validate_concurrency(5, "c", {"max_connections": None, "name": "x"}) == 5
    for bad in (101, 0, -1, 4):
        with pytest.raises(ValueError, match="^c: "):
            validate_concurrency(bad, "c", {"max_connections": 3, "name": "x"})


def test_sender_dependent_entry_wrapper_with_main_preset_port_465_and_plaintext():
    # A sender-dependent relay on 465 with may/none: implicit TLS cannot be combined with plaintext.
    with pytest.raises(ValueError, match=r"^postfix_relay_sender_dependent\[0\]\.port: port 465 uses implicit TLS"):
        resolve(
            _s(
                tls_security_level="none",
                allow_plaintext=True,
                sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "port": "465"}],
            ),
            P,
        )
    ok = resolve(
        _s(
            tls_security_level="none",
            allow_plaintext=True,
            sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "port": 2525}],
        ),
        P,
    )
    assert ok["sender_dependent"][0]["wrappermode"] is False


# --- blank is not unset (review of issue 12: '  ' passed the check and was written) -------------
@pytest.mark.parametrize("key", ["myhostname", "myorigin", "root_forward", "sender_rewrite"])
@pytest.mark.parametrize("blank", [" ", "   ", "\u00a0 ", " \t "])
def test_blank_local_settings_are_refused_naming_the_variable(key, blank):
    with pytest.raises(ValueError) as exc:
        check_local_settings({key: blank}, prefix=P)
    assert str(exc.value).startswith(P + key + ":"), str(exc.value)


@pytest.mark.parametrize("key", ["myhostname", "myorigin", "root_forward", "sender_rewrite"])
@pytest.mark.parametrize("unset", [None, ""])
def test_empty_local_settings_stay_unset(key, unset):
    check_local_settings({key: unset}, prefix=P)


# The dict variables (sender_canonical, recipient_canonical, aliases) share one prologue
# (_dict_keys): unset, not a dict, a key that is not a string, blank or holds a control character.
@pytest.mark.parametrize(
    "value, canonical_error, aliases_error",
    [
        (
            ["a@b.example"],
            "v: must be a dict {address, @domain or local part: address or @domain}, got list",
            "v: must be a dict {local name: address or list of addresses}, got list",
        ),
        ({1: "x"}, "v: 1 is not an address, @domain or local part", "v: 1 is not a local name"),
        ({" ": "x"}, "v: ' ' is not an address, @domain or local part", "v: ' ' is not a local name"),
        (
            {"a\tb": "x"},
            "v: a key contains a control character or line separator",
            "v: a name contains a control character or line separator",
        ),
        (
            {"ok": "a@b.example", "zz": 7},
            "v[zz]: must be an address local@domain or @domain (a string)",
            "v[zz]: must be an address or a non-empty list of addresses",
        ),
    ],
    ids=["not-a-dict", "int-key", "blank-key", "control-character", "bad-value-after-a-good-key"],
)
def test_dict_variables_refuse_the_same_shapes(value, canonical_error, aliases_error):
    with pytest.raises(ValueError) as excinfo:
        validate_canonical_map(value, "v")
    assert str(excinfo.value) == canonical_error
    with pytest.raises(ValueError) as excinfo:
        validate_aliases(value, "v")
    assert str(excinfo.value) == aliases_error


@pytest.mark.parametrize("unset", [None, "", {}])
def test_dict_variables_unset(unset):
    assert validate_canonical_map(unset, "v") == [] and validate_aliases(unset, "v") == []


from ansible_collections.egress.mail.plugins.module_utils.postfix_settings import (  # noqa: E402
    validate_address,
    validate_extra_config,
    validate_message_size_limit,
    validate_sasl_mechanisms,
)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: validate_sender("", "s"), "s: is empty"),
        (lambda: validate_sender("  ", "s"), "s: is empty"),
        (lambda: validate_sender("a\nb", "s"), "s: the sender contains a newline"),
        (lambda: validate_address("a\nb@x.example", "a"), "a: the address contains a newline"),
        (
            lambda: validate_sasl_mechanisms(["a b"], "s"),
            "s[0]: 'a b' is not one mechanism name or pattern (plain, login, !gssapi, ...): "
            "no whitespace, line breaks, quotes or backslashes",
        ),
        (lambda: validate_interfaces(["a", ""], "i"), "i: must be all, loopback-only or a list of addresses"),
        (
            lambda: validate_interfaces(["loopback-only", "127.0.0.1"], "i"),
            "i: all and loopback-only stand alone, not in a list with other items",
        ),
        (
            lambda: validate_interfaces(["[127.0.0.1"], "i"),
            "i[0]: '[127.0.0.1' contains the invalid character '[' (allowed: letters, digits, '-' and '.')",
        ),
        (
            lambda: validate_interfaces(["127.0.0.1]"], "i"),
            "i[0]: '127.0.0.1]' contains the invalid character ']' (allowed: letters, digits, '-' and '.')",
        ),
        (lambda: validate_interfaces(["a b"], "i"), "i[0]: the host name or address contains whitespace"),
        (
            lambda: validate_canonical_map({"a@x.example": ""}, "c"),
            "c[a@x.example]: must be an address local@domain or @domain (a string)",
        ),
        (
            lambda: validate_canonical_map({"a@x.example": " "}, "c"),
            "c[a@x.example]: must be an address local@domain or @domain (a string)",
        ),
        (
            lambda: validate_canonical_map({"a@x.example": "b\n@x.example"}, "c"),
            "c[a@x.example]: the address contains a newline",
        ),
        (
            lambda: check_local_settings({"sender_rewrite": {"a\nb": "x@y.example"}}),
            "sender_rewrite: a key contains a newline",
        ),
        (lambda: check_local_settings({"myhostname": "a b"}), "myhostname: the host name contains whitespace"),
        (
            lambda: validate_extra_config({"relayhost": "x"}, "e"),
            "e: relayhost is written by the role from its checked variables (TLS, authentication, relay access "
            "and routing): set host and port instead",
        ),
        (
            lambda: validate_concurrency(4, "c", {"name": "office365", "max_connections": 3}),
            "c: 4 is more than provider 'office365' allows (3 concurrent connections; more are refused with a "
            "temporary error and delay mail)",
        ),
    ],
)
def test_postfix_messages_are_exact(call, message):
    """The whole message: the variable, what is wrong, and the words a user acts on."""
    assert_message(call, message)


def test_one_loopback_only_and_bracketed_ipv6_interfaces():
    assert validate_interfaces("loopback-only", "i") == "loopback-only"
    assert validate_interfaces(["loopback-only"], "i") == "loopback-only"
    assert validate_interfaces(["[::1]"], "i") == "[::1]"


def test_message_size_limit_bounds_are_exact():
    """1 MiB is the least accepted; Postfix's default mailbox_size_limit the most, without extra_config."""
    assert validate_message_size_limit(1048576, "m") == 1048576
    assert validate_message_size_limit(51200000, "m") == 51200000
    with pytest.raises(ValueError) as exc:
        validate_message_size_limit(1048575, "m")
    assert str(exc.value) == (
        "m: 1048575 is less than 1048576 bytes (1 MiB); bounces carrying the original headers would be lost"
        " (0, no limit, is refused too)"
    )
    with pytest.raises(ValueError) as exc:
        validate_message_size_limit(51200001, "m")
    assert str(exc.value) == (
        "m: 51200001 is larger than mailbox_size_limit (51200000), which Postfix refuses; "
        "raise extra_config.mailbox_size_limit"
    )


def test_root_alias_is_free_unless_root_forward_is_set():
    assert validate_aliases({"root": "a@x.example"}, "al") == [["root", ["a@x.example"]]]
    with pytest.raises(ValueError) as exc:
        validate_aliases({"root": "a@x.example"}, "al", True, "p_")
    assert str(exc.value) == "al: root is set by p_root_forward; give it there only"


def test_root_forward_refuses_only_the_root_alias_and_bare_names_without_prefix():
    from ansible_collections.egress.mail.plugins.module_utils.postfix_settings import check_address_settings

    assert validate_aliases({"ops": "a@x.example"}, "al", True) == [["ops", ["a@x.example"]]]
    with pytest.raises(ValueError) as exc:
        validate_aliases({"root": "a@x.example"}, "al", True)
    assert str(exc.value) == "al: root is set by root_forward; give it there only"
    with pytest.raises(ValueError) as exc:
        check_address_settings({"sender_canonical": {"a@x.example": ""}})
    assert str(exc.value) == "sender_canonical[a@x.example]: must be an address local@domain or @domain (a string)"


def test_provider_size_limit_messages_are_exact():
    relays = [{"max_message_size": 100, "provider": "x"}]
    with pytest.raises(ValueError) as exc:
        validate_message_size_limit(None, "m", relays, {"message_size_limit": "0"}, "p_")
    assert str(exc.value) == (
        "p_extra_config.message_size_limit: no limit (0) is more than provider 'x' accepts (100 bytes); "
        "larger messages would be accepted here and bounced later"
    )
    with pytest.raises(ValueError) as exc:
        validate_message_size_limit(2000000, "m", [{"max_message_size": 1500000, "provider": "x"}])
    assert str(exc.value) == (
        "m: 2000000 is more than provider 'x' accepts (1500000 bytes); larger messages would be "
        "accepted here and bounced later"
    )


def test_the_lowest_provider_connection_limit_covers_every_relay():
    """Today only office365 documents a limit; two made-up presets show the lowest one wins."""
    from ansible_collections.egress.mail.plugins.module_utils.postfix_settings import check_postfix_settings

    def relay(limit, provider):
        return {"port": 587, "max_connections": limit, "provider": provider, "max_message_size": None}

    smarthost = {
        "main": relay(5, "five"),
        "fallback_relays": [relay(None, None), relay(2, "two"), relay(4, "four")],
        "tls_security_level": "encrypt",
        "preset": None,
    }
    assert check_postfix_settings({}, P, smarthost)["concurrency_limit"] == 2
    with pytest.raises(ValueError) as exc:
        check_postfix_settings({"concurrency_limit": 3}, P, smarthost)
    assert str(exc.value).startswith(P + "concurrency_limit: 3 is more than provider 'two' allows (2 concurrent")
