# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/relay_settings.py, the public face: resolve() as a whole, apply_probed_ports().

The rules of each layer are tested in test_settings_values.py, test_net_values.py,
test_smarthost_settings.py and test_postfix_settings.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.plugins.module_utils.net_values import nexthop
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import apply_probed_ports, resolve
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import DEFAULT_CANDIDATE_PORTS
from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import (
    BASE,
    assert_message,
    P,
    SECRET,
    refused as _refused,
    settings as _s,
)


AUTH = {"username": "relayuser", "password_set": True}


# (id, settings, variable the message must start with, fragment the message must contain)
BAD = [
    ("host-missing", {}, P + "host", "required"),
    ("host-empty", {"host": "", "port": 587}, P + "host", "required"),
    ("host-blank-preset-less", {"host": "   "}, P + "host", "required"),
    ("host-space", _s(host="smtp example.com"), P + "host", "whitespace"),
    ("host-newline", _s(host="smtp.example.com\nrelayhost = evil"), P + "host", "newline"),
    ("host-tab", _s(host="smtp.example.com\t"), P + "host", "control"),
    ("host-comma", _s(host="a.example.com,b.example.com"), P + "host", "comma"),
    ("host-with-port", _s(host="smtp.example.com:587"), P + "host", "port setting"),
    ("host-brackets", _s(host="[smtp.example.com]"), P + "host", "bracket"),
    ("host-bracketed-ipv6", _s(host="[2001:db8::1]"), P + "host", "bracket"),
    ("host-slash", _s(host="smtp.example.com/24"), P + "host", "'/'"),
    ("host-equals", _s(host="relayhost=smtp.example.com"), P + "host", "'='"),
    ("host-hash", _s(host="smtp.example.com#comment"), P + "host", "'#'"),
    ("host-underscore", _s(host="smtp_relay.example.com"), P + "host", "invalid character"),
    ("host-double-dot", _s(host="smtp..example.com"), P + "host", "empty label"),
    ("host-leading-hyphen", _s(host="-smtp.example.com"), P + "host", "'-'"),
    ("host-long-label", _s(host="a" * 64 + ".example.com"), P + "host", "63"),
    ("host-too-long", _s(host=".".join(["abcdefghi"] * 26)), P + "host", "253"),
    ("host-bad-ipv4", _s(host="256.1.1.1"), P + "host", "IPv4"),
    ("host-short-ipv4", _s(host="10.1.1"), P + "host", "IPv4"),
    ("host-numeric-tld", _s(host="smtp.example.123"), P + "host", "all digits"),
    ("host-bad-ipv6", _s(host="2001:db8:::1"), P + "host", "IPv6"),
    ("host-ipv6-zone", _s(host="fe80::1%eth0"), P + "host", "zone"),
    ("host-not-string", _s(host=["smtp.example.com"]), P + "host", "string"),
    ("host-trailing-newline", _s(host="smtp.example.com\n"), P + "host", "newline"),
    ("port-inner-newline", _s(port="5\n87"), P + "port", "newline"),
    ("port-zero", _s(port=0), P + "port", "out of range"),
    ("port-70000", _s(port=70000), P + "port", "out of range"),
    ("port-70000-str", _s(port="70000"), P + "port", "out of range"),
    ("port-abc", _s(port="abc"), P + "port", "not a port"),
    ("port-negative", _s(port="-1"), P + "port", "not a port"),
    ("port-true", _s(port=True), P + "port", "boolean"),
    ("port-false", _s(port=False), P + "port", "boolean"),
    ("port-float", _s(port=587.0), P + "port", "float"),
    ("provider-unknown", {"provider": "sendgird"}, P + "provider", "sendgrid"),
    ("provider-not-string", {"provider": 5}, P + "provider", "unknown provider"),
    (
        "ses-no-region",
        {"provider": "ses", "username": "AKIA1", "password_set": True},
        P + "provider_region",
        "needs a region",
    ),
    (
        "ses-bad-region",
        {"provider": "ses", "provider_region": "europe", "username": "A", "password_set": True},
        P + "provider_region",
        "region",
    ),
    (
        "sparkpost-bad-region",
        {"provider": "sparkpost", "provider_region": "us", "password_set": True},
        P + "provider_region",
        "eu",
    ),
    ("region-without-provider", _s(provider_region="eu"), P + "provider_region", P + "provider"),
    ("region-for-regionless", {"provider": "postmark", "provider_region": "eu"}, P + "provider_region", "no regions"),
    ("username-without-password", _s(username="bob"), P + "password", "required"),
    ("password-without-username", _s(password_set=True), P + "username", P + "password"),
    ("password-value-without-username", _s(password=SECRET), P + "username", P + "password"),
    ("preset-user-without-password", {"provider": "sendgrid"}, P + "password", "apikey"),
    ("preset-auth-required", {"provider": "mailgun"}, P + "username", "postmaster@your-domain"),
    ("username-space", _s(username="bob smith", password_set=True), P + "username", "whitespace"),
    ("username-newline", _s(username="bob\n", password_set=True), P + "username", "newline"),
    ("username-comma", _s(username="bob,alice", password_set=True), P + "username", "comma"),
    ("username-colon", _s(username="SMTP_Injection:X-MSYS-SUBACCOUNT=1", password_set=True), P + "username", "':'"),
    ("username-control", _s(username="bob\x07", password_set=True), P + "username", "control"),
    ("username-too-long", _s(username="u" * 257, password_set=True), P + "username", "256"),
    ("username-int", _s(username=12345, password_set=True), P + "username", "string"),
    ("password-newline", _s(username="bob", password="secret\n"), P + "password", "newline"),
    ("password-int", _s(username="bob", password=1234), P + "password", "string"),
    ("password-set-not-bool", _s(password_set="maybe"), P + "password_set", "boolean"),
    ("tls-unknown", _s(tls_security_level="dane"), P + "tls_security_level", "not one of"),
    ("tls-may-no-optin", _s(tls_security_level="may"), P + "tls_security_level", P + "allow_plaintext: true"),
    ("tls-none-no-optin", _s(tls_security_level="none"), P + "tls_security_level", P + "allow_plaintext: true"),
    ("tls-may-optin-false", _s(tls_security_level="may", allow_plaintext=False), P + "tls_security_level", "opt in"),
    (
        "tls-may-wrapper",
        _s(port=465, tls_security_level="may", allow_plaintext=True),
        P + "tls_security_level",
        "implicit TLS",
    ),
    ("allow-plaintext-garbage", _s(allow_plaintext="sure"), P + "allow_plaintext", "boolean"),
    ("ca-relative", _s(tls_ca_file="certs/ca.pem"), P + "tls_ca_file", "absolute"),
    ("unknown-setting", _s(hots="x"), P + "hots", "unknown relay setting"),
    ("sd-not-list", _s(sender_dependent={"sender": "@a.example"}), P + "sender_dependent", "list"),
    ("sd-string", _s(sender_dependent="@a.example smtp.example.com"), P + "sender_dependent", "list"),
    ("sd-entry-not-dict", _s(sender_dependent=["@a.example"]), P + "sender_dependent[0]", "dict"),
    (
        "sd-unknown-key",
        _s(
            sender_dependent=[
                {"sender": "@a.example", "host": "r.example.com"},
                {"sender": "@b.example", "host": "r.example.com"},
                {"sender": "@c.example", "hots": "r.example.com"},
            ]
        ),
        P + "sender_dependent[2]",
        "unknown key 'hots'",
    ),
    ("sd-no-sender", _s(sender_dependent=[{"host": "r.example.com"}]), P + "sender_dependent[0].sender", "required"),
    (
        "sd-sender-no-at",
        _s(sender_dependent=[{"sender": "a.example", "host": "r.example.com"}]),
        P + "sender_dependent[0].sender",
        "@domain",
    ),
    (
        "sd-sender-space",
        _s(sender_dependent=[{"sender": "bob @a.example", "host": "r.example.com"}]),
        P + "sender_dependent[0].sender",
        "whitespace",
    ),
    (
        "sd-sender-comma",
        _s(sender_dependent=[{"sender": "a@a.example,b@a.example", "host": "r.example.com"}]),
        P + "sender_dependent[0].sender",
        "comma",
    ),
    (
        "sd-sender-two-at",
        _s(sender_dependent=[{"sender": "a@b@a.example", "host": "r.example.com"}]),
        P + "sender_dependent[0].sender",
        "@domain",
    ),
    (
        "sd-sender-bad-domain",
        _s(sender_dependent=[{"sender": "@a_b.example", "host": "r.example.com"}]),
        P + "sender_dependent[0].sender",
        "invalid character",
    ),
    (
        "sd-duplicate",
        _s(
            sender_dependent=[
                {"sender": "@a.example", "host": "r.example.com"},
                {"sender": "@A.example", "host": "s.example.com"},
            ]
        ),
        P + "sender_dependent[1].sender",
        "already used",
    ),
    ("sd-no-host", _s(sender_dependent=[{"sender": "@a.example"}]), P + "sender_dependent[0].host", "required"),
    (
        "sd-bad-host",
        _s(sender_dependent=[{"sender": "@a.example", "host": "r.example.com:2525"}]),
        P + "sender_dependent[0].host",
        "':'",
    ),
    (
        "sd-bad-port",
        _s(sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "port": 0}]),
        P + "sender_dependent[0].port",
        "out of range",
    ),
    (
        "sd-user-no-password",
        _s(sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "username": "u"}]),
        P + "sender_dependent[0].password",
        "required",
    ),
    (
        "sd-password-no-user",
        _s(sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "password": SECRET}]),
        P + "sender_dependent[0].username",
        "password",
    ),
    (
        "sd-password-newline",
        _s(sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "username": "u", "password": "x\ny"}]),
        P + "sender_dependent[0].password",
        "newline",
    ),
    (
        "sd-wrapper-plaintext",
        _s(
            tls_security_level="may",
            allow_plaintext=True,
            sender_dependent=[{"sender": "@a.example", "host": "r.example.com", "port": 465}],
        ),
        P + "sender_dependent[0].port",
        "implicit TLS",
    ),
    ("settings-not-dict", ["host"], P + "*", "dict"),
    ("concurrency-zero", _s(concurrency_limit=0), P + "concurrency_limit", "out of range"),
    ("concurrency-too-high", _s(concurrency_limit=101), P + "concurrency_limit", "out of range"),
    ("concurrency-word", _s(concurrency_limit="ten"), P + "concurrency_limit", "whole number"),
    ("concurrency-bool", _s(concurrency_limit=True), P + "concurrency_limit", "whole number"),
    ("concurrency-negative", _s(concurrency_limit="-1"), P + "concurrency_limit", "whole number"),
    (
        "concurrency-over-provider",
        dict(provider="office365", username="u@example.com", password_set=True, concurrency_limit=4),
        P + "concurrency_limit",
        "provider 'office365' allows (3",
    ),
    ("sasl-mechanisms-string", _s(sasl_mechanisms="plain"), P + "sasl_mechanisms", "list"),
    ("sasl-mechanisms-empty", _s(sasl_mechanisms=[]), P + "sasl_mechanisms", "non-empty"),
    ("sasl-mechanisms-space", _s(sasl_mechanisms=["plain login"]), P + "sasl_mechanisms[0]", "whitespace"),
    (
        "sasl-mechanisms-injection",
        _s(sasl_mechanisms=["plain", 'x"\nrelayhost: "[evil.test]:25']),
        P + "sasl_mechanisms[1]",
        "newline",
    ),
    ("sasl-mechanisms-quote", _s(sasl_mechanisms=["plain", 'x"relayhost']), P + "sasl_mechanisms[1]", "one mechanism"),
    ("sasl-mechanisms-backslash", _s(sasl_mechanisms=["pl\\ain"]), P + "sasl_mechanisms[0]", "backslash"),
    ("sasl-mechanisms-none", _s(sasl_mechanisms=[None]), P + "sasl_mechanisms[0]", "one mechanism"),
]


@pytest.mark.parametrize("settings, variable, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_settings_are_refused_naming_the_variable(settings, variable, fragment):
    with pytest.raises(ValueError) as excinfo:
        resolve(settings, P)
    message = str(excinfo.value)
    assert message.startswith(variable + ":"), message
    assert fragment in message, message
    # No password ever appears in an error message.
    assert SECRET not in message
    assert "secret" not in message


def test_bad_corpus_is_large_enough():
    assert len(BAD) >= 25


def test_good_password_with_special_characters():
    result = resolve(_s(username="bob@example.com", password=SECRET), P)
    assert result["password_set"] is True
    assert SECRET not in repr(result)
    assert "password" not in result


def test_password_never_in_result_or_sender_dependent():
    result = resolve(
        _s(
            username="u",
            password=SECRET,
            sender_dependent=[
                {"sender": "bob@a.example", "host": "r.example.com", "username": "u2", "password": SECRET},
            ],
        ),
        P,
    )
    assert SECRET not in repr(result)
    assert result["sender_dependent"] == [
        {
            "index": 0,
            "sender": "bob@a.example",
            "host": "r.example.com",
            "port": 587,
            "nexthop": "[r.example.com]:587",
            "username": "u2",
            "password_set": True,
            "wrappermode": False,
        }
    ]


def test_ipv6_host_returned_as_is():
    result = resolve(_s(host="2001:db8::25", **AUTH), P)
    assert result["host"] == "2001:db8::25"
    assert resolve(_s(host="::1"), P)["host"] == "::1"


def test_ipv4_host():
    assert resolve(_s(host="192.0.2.25"), P)["host"] == "192.0.2.25"


def test_hostname_normalised():
    assert resolve(_s(host="SMTP.Example.COM."), P)["host"] == "smtp.example.com"
    assert resolve(_s(host="relay"), P)["host"] == "relay"


def test_defaults_without_provider():
    result = resolve({"host": "smtp.example.com"}, P)
    assert result == {
        "host": "smtp.example.com",
        "port": 587,
        "username": None,
        "password_set": False,
        "wrappermode": False,
        "tls_security_level": "encrypt",
        "allow_plaintext": False,
        "tls_ca_file": None,
        "provider": None,
        "provider_region": None,
        "candidate_ports": [587, 2525, 465],
        "tls_wrapper_ports": [465],
        "sender_dependent": [],
        "concurrency_limit": 10,
        "probe_hosts": [],
        "mynetworks": ["127.0.0.0/8", "[::1]/128"],
        "inet_interfaces": "loopback-only",
        "extra_config": {},
        "fallback_relays": [],
        "sasl_auth": False,
        "sender_canonical": [],
        "recipient_canonical": [],
        "aliases": [],
        "strip_received_headers": False,
        "message_size_limit": None,
    }


def test_empty_strings_and_none_are_unset():
    result = resolve(
        {
            "host": "smtp.example.com",
            "port": "",
            "provider": "",
            "provider_region": None,
            "username": "",
            "password_set": False,
            "tls_security_level": "",
            "allow_plaintext": None,
            "sender_dependent": None,
            "tls_ca_file": "",
        },
        P,
    )
    assert result["port"] == 587
    assert result["username"] is None
    assert result["tls_security_level"] == "encrypt"
    assert result["sender_dependent"] == []


# --- issue 12: regression cases (each was accepted, or crashed, on main 283c62b) ---------------


def test_protected_parameters_deny_list_is_gone():
    from ansible_collections.egress.mail.plugins.module_utils import relay_settings

    assert not hasattr(relay_settings, "PROTECTED_PARAMETERS")


# Every character that a parser might read as a line break, or that hides text, in every value.
BAD_CHARS = [
    "\n",
    "\r",
    "\v",
    "\f",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x85",
    "\u2028",
    "\u2029",
    "\x00",
    "\t",
    "\x7f",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\ud800",
]


WHERE = [
    ("host", lambda c: {"host": "smtp%s.example.net" % c}, P + "host"),
    ("username", lambda c: {"username": "u%sx" % c}, P + "username"),
    ("password", lambda c: {"password": SECRET + c + SECRET}, P + "password"),
    ("myhostname", lambda c: {"myhostname": "web1%s.example.com" % c}, P + "myhostname"),
    ("myorigin", lambda c: {"myorigin": "example.com" + c}, P + "myorigin"),
    ("root_forward", lambda c: {"root_forward": "ops@example.com" + c}, P + "root_forward"),
    ("sender_rewrite", lambda c: {"sender_rewrite": "ops@example.com" + c}, P + "sender_rewrite"),
    ("sender_rewrite_key", lambda c: {"sender_rewrite": {"root" + c: "ops@example.com"}}, P + "sender_rewrite"),
    ("mynetworks", lambda c: {"mynetworks": ["127.0.0.0/8" + c]}, P + "mynetworks[0]"),
    ("inet_interfaces", lambda c: {"inet_interfaces": "all" + c}, P + "inet_interfaces"),
    ("extra_config", lambda c: {"extra_config": {"smtpd_banner": "a%sb" % c}}, P + "extra_config.smtpd_banner"),
    ("tls_ca_file", lambda c: {"tls_ca_file": "/etc/ssl/ca%s.pem" % c}, P + "tls_ca_file"),
    ("provider_region", lambda c: {"provider": "ses", "provider_region": "eu-west-1" + c}, P + "provider_region"),
    ("sasl_mechanisms", lambda c: {"sasl_mechanisms": ["plain" + c]}, P + "sasl_mechanisms[0]"),
    (
        "sd_sender",
        lambda c: {"sender_dependent": [{"sender": "@a%s.example" % c, "host": "r.example.com"}]},
        P + "sender_dependent[0].sender",
    ),
    (
        "sd_password",
        lambda c: {
            "sender_dependent": [
                {"sender": "@a.example", "host": "r.example.com", "username": "x", "password": SECRET + c}
            ]
        },
        P + "sender_dependent[0].password",
    ),
]


@pytest.mark.parametrize("char", BAD_CHARS, ids=["U+%04X" % ord(c) for c in BAD_CHARS])
@pytest.mark.parametrize("make, name", [w[1:] for w in WHERE], ids=[w[0] for w in WHERE])
def test_control_characters_refused_in_every_value(make, name, char):
    message = _refused(make(char), name)
    assert char not in message
    assert SECRET not in message and "secret" not in message.lower()


TYPE_BAD = [
    ("myhostname-int", {"myhostname": 12345}, P + "myhostname"),
    ("myhostname-dict", {"myhostname": {"a": 1}}, P + "myhostname"),
    ("myhostname-list", {"myhostname": ["a.example"]}, P + "myhostname"),
    ("myorigin-bool", {"myorigin": True}, P + "myorigin"),
    ("region-int", {"provider": "ses", "provider_region": 5}, P + "provider_region"),
    ("region-list", {"provider": "ses", "provider_region": ["eu-west-1"]}, P + "provider_region"),
    ("tls-level-int", {"tls_security_level": 5}, P + "tls_security_level"),
    ("ca-file-int", {"tls_ca_file": 5}, P + "tls_ca_file"),
    ("concurrency-trailing-newline", {"concurrency_limit": "10\n"}, P + "concurrency_limit"),
    ("concurrency-float", {"concurrency_limit": 2.5}, P + "concurrency_limit"),
    ("concurrency-unicode-digits", {"concurrency_limit": "\u0661\u0660"}, P + "concurrency_limit"),
    ("port-unicode-digits", {"port": "\u0665\u0668\u0667"}, P + "port"),
    ("sasl-trailing-newline", {"sasl_mechanisms": ["plain\n"]}, P + "sasl_mechanisms[0]"),
    ("sender-rewrite-int", {"sender_rewrite": 5}, P + "sender_rewrite"),
    ("sender-rewrite-list", {"sender_rewrite": ["ops@example.com"]}, P + "sender_rewrite"),
    ("sender-rewrite-empty-dict-is-unset-or-refused", {"sender_rewrite": {1: "ops@example.com"}}, P + "sender_rewrite"),
    ("sd-host-int", {"sender_dependent": [{"sender": "@a.example", "host": 5}]}, P + "sender_dependent[0].host"),
    ("sd-sender-int", {"sender_dependent": [{"sender": 5, "host": "r.example.com"}]}, P + "sender_dependent[0].sender"),
    (
        "sd-username-dict",
        {
            "sender_dependent": [
                {"sender": "@a.example", "host": "r.example.com", "username": {"a": 1}, "password": "x"}
            ]
        },
        P + "sender_dependent[0].username",
    ),
    ("unknown-key-int", {5: "x"}, P + "5"),
]


@pytest.mark.parametrize("extra, name", [c[1:] for c in TYPE_BAD], ids=[c[0] for c in TYPE_BAD])
def test_wrong_types_give_a_value_error_naming_the_variable(extra, name):
    _refused(extra, name)


def test_password_edge_whitespace_message_is_clear():
    message = _refused({"password": SECRET + " "}, P + "password", "postmap and PowerMTA strip it")
    assert SECRET not in message
    _refused(
        {
            "sender_dependent": [
                {"sender": "@a.example", "host": "r.example.com", "username": "x", "password": "\t" + SECRET}
            ]
        },
        P + "sender_dependent[0].password",
    )


# --- port auto with sender-dependent relays (item 8) ---------------------------------------
SD_AUTO = [
    {"sender": "@A.Example.", "host": "r1.example.com"},
    {"sender": "bob@b.example", "host": "r2.example.com", "port": "auto", "username": "b", "password": "y"},
    {"sender": "@c.example", "host": "r3.example.com", "port": 2525},
]


def test_port_auto_sender_dependent_entries_are_probed_not_written_as_auto():
    result = resolve(dict(BASE, port="auto", sender_dependent=SD_AUTO), P)
    assert result["probe_hosts"] == ["r1.example.com", "r2.example.com", "smtp.example.net"]
    entries = result["sender_dependent"]
    assert [e["port"] for e in entries] == ["auto", "auto", 2525]
    assert [e["nexthop"] for e in entries] == [None, None, "[r3.example.com]:2525"]
    assert entries[0]["sender"] == "@a.example"
    probed = apply_probed_ports(
        result, {"smtp.example.net": 587, "r1.example.com": 465, "r2.example.com": 2525}, [465], P
    )
    assert (probed["port"], probed["wrappermode"]) == (587, False)
    assert [(e["port"], e["wrappermode"], e["nexthop"]) for e in probed["sender_dependent"]] == [
        (465, True, "[r1.example.com]:465"),
        (2525, False, "[r2.example.com]:2525"),
        (2525, False, "[r3.example.com]:2525"),
    ]
    assert probed["probe_hosts"] == []
    assert ":auto" not in repr(probed)
    assert result["sender_dependent"][0]["port"] == "auto"  # the input is not changed


def test_port_auto_on_an_entry_with_a_fixed_main_port():
    result = resolve(dict(BASE, port=587, sender_dependent=SD_AUTO), P)
    assert result["probe_hosts"] == ["r2.example.com"]
    assert result["sender_dependent"][0]["port"] == 587


@pytest.mark.parametrize(
    "ports, name",
    [
        ({"smtp.example.net": 587, "r1.example.com": None, "r2.example.com": 587}, P + "sender_dependent[0].port"),
        ({"smtp.example.net": 587, "r1.example.com": 587}, P + "sender_dependent[1].port"),
        ({"r1.example.com": 587, "r2.example.com": 587}, P + "port"),
        ({"smtp.example.net": "auto", "r1.example.com": 587, "r2.example.com": 587}, P + "port"),
        ({"smtp.example.net": True, "r1.example.com": 587, "r2.example.com": 587}, P + "port"),
        ({"smtp.example.net": 70000, "r1.example.com": 587, "r2.example.com": 587}, P + "port"),
    ],
)
def test_port_auto_unresolved_is_an_error_naming_the_entry(ports, name):
    result = resolve(dict(BASE, port="auto", sender_dependent=SD_AUTO), P)
    with pytest.raises(ValueError) as exc:
        apply_probed_ports(result, ports, [465], P)
    assert str(exc.value).startswith(name + ":"), str(exc.value)


def test_port_auto_probed_wrapper_port_refused_with_plaintext_level():
    result = resolve(dict(BASE, port="auto", tls_security_level="may", allow_plaintext=True), P)
    with pytest.raises(ValueError, match="^postfix_relay_port: auto: .*implicit TLS"):
        apply_probed_ports(result, {"smtp.example.net": 465}, [465], P)
    assert apply_probed_ports(result, {"smtp.example.net": 587}, [465], P)["port"] == 587


@pytest.mark.parametrize(
    "args",
    [
        ("not a dict", {}, [465]),
        ({"port": "auto", "host": "h"}, "x", [465]),
        ({}, {}, "465"),
        ({}, {}, ["x"]),
    ],
)
def test_apply_probed_ports_bad_arguments(args):
    with pytest.raises(ValueError):
        apply_probed_ports(*args)


def test_office365_allows_exactly_its_maximum():
    base = {"provider": "office365", "username": "u@example.com", "password_set": True}
    assert resolve(dict(base, concurrency_limit=3), P)["concurrency_limit"] == 3
    assert resolve(dict(base, concurrency_limit="3"), P)["concurrency_limit"] == 3
    with pytest.raises(ValueError, match="allows"):
        resolve(dict(base, concurrency_limit=4), P)


def test_exact_messages():
    def msg(settings):
        with pytest.raises(ValueError) as exc:
            resolve(settings, P)
        return str(exc.value)

    assert msg({"host": "smtp.example.com", "port": 0}) == P + "port: 0 is out of range (1-65535)"
    assert msg({"host": "smtp.example.com", "port": "x"}) == P + "port: 'x' is not a port number (1-65535) or 'auto'"
    assert msg({"host": "smtp.example.com", "port": True}) == (
        P + "port: must be a port number (1-65535) or 'auto', not a boolean"
    )
    assert msg({"host": "smtp.example.com", "port": 1.5}) == (
        P + "port: must be a port number (1-65535) or 'auto', got float"
    )
    assert msg({"host": ""}) == P + "host: is required (or set %sprovider to use a provider preset: %s)" % (
        P,
        ", ".join(
            __import__(
                "ansible_collections.egress.mail.plugins.module_utils.providers", fromlist=["provider_names"]
            ).provider_names()
        ),
    )
    assert msg({"host": "h", "username": "u"}) == P + "password: is required when %susername is set" % P
    assert msg({"host": "h", "password_set": True}) == (
        P + "username: is empty but %spassword is set; the relay needs both" % P
    )
    assert msg({"host": "h", "tls_security_level": "may"}) == (
        P + "tls_security_level: 'may' lets mail travel in clear text; set %sallow_plaintext: true to opt in" % P
    )
    assert msg({"host": "h", "username": "u", "password_set": True, "tls_security_level": "none"}) == (
        P + "tls_security_level: 'none' lets mail and the password travel in clear text; set "
        "%sallow_plaintext: true to opt in" % P
    )
    assert msg({"host": "h", "port": 465, "tls_security_level": "may", "allow_plaintext": True}) == (
        P + "tls_security_level: 'may' cannot be used with port 465, which uses implicit TLS (wrappermode); "
        "use encrypt, verify or secure"
    )
    assert msg({"host": "h", "tls_security_level": "x"}) == (
        P + "tls_security_level: 'x' is not one of encrypt, verify, secure, may, none"
    )
    assert msg({"host": "h", "tls_security_level": 5}) == (
        P + "tls_security_level: must be one of encrypt, verify, secure, may, none"
    )
    assert msg({"host": "h", "tls_ca_file": "ca.pem"}) == P + "tls_ca_file: 'ca.pem' must be an absolute path"
    assert msg({"host": "h", "tls_ca_file": "/a,b"}) == P + "tls_ca_file: '/a,b' contains a comma"
    assert msg({"host": "h", "concurrency_limit": 0}) == P + "concurrency_limit: 0 is out of range (1 to 100)"
    assert msg({"host": "h", "concurrency_limit": "x"}) == (
        P + "concurrency_limit: 'x' is not a whole number of connections (1 to 100)"
    )
    assert msg({"host": "h", "provider_region": "eu"}) == P + "provider_region: is set but %sprovider is empty" % P
    assert msg({"provider": "mailgun"}).startswith(
        P + "username: provider 'mailgun' requires SMTP AUTH; set %susername (" % P
    )
    assert msg({"provider": "sendgrid"}).startswith(
        P + "password: is required: provider 'sendgrid' authenticates as 'apikey' ("
    )
    assert msg("x") == P + "*: the relay settings must be a dict, got str"
    assert msg({"host": "h", "hots": 1}).startswith(P + "hots: unknown relay setting 'hots' (valid: host, port, ")
    assert msg({"host": "h", "sender_dependent": [{"sender": "@a.example"}]}) == (
        P + "sender_dependent[0].host: is required"
    )
    assert msg({"host": "h", "sender_dependent": [{"host": "r"}]}) == (
        P + "sender_dependent[0].sender: is required (user@domain or @domain)"
    )
    assert msg({"host": "h", "sender_dependent": ["x"]}) == (
        P + "sender_dependent[0]: must be a dict (keys: sender, host, port, username, password)"
    )
    assert msg({"host": "h", "sender_dependent": "x"}) == (
        P + "sender_dependent: must be a list of dicts (keys: sender, host, port, username, password)"
    )
    assert msg(
        {
            "host": "h",
            "sender_dependent": [{"sender": "@a.example", "host": "r"}, {"sender": "@a.example", "host": "r"}],
        }
    ) == (P + "sender_dependent[1].sender: '@a.example' is already used by %ssender_dependent[0]" % P)
    assert msg({"host": "h", "sasl_mechanisms": "plain"}) == (
        P + "sasl_mechanisms: must be a non-empty list of mechanism names such as plain, login"
    )
    assert msg({"host": "h", "myhostname": "a b"}) == P + "myhostname: the host name contains whitespace"
    assert msg({"host": "h", "root_forward": "a,b@example.com"}) == (
        P + "root_forward: 'a,b@example.com' contains a comma (one address)"
    )
    assert msg({"host": "h", "sender_rewrite": {}}) == (
        P + "sender_rewrite: is an empty dict; give one address or {local address: address}"
    )
    assert msg({"host": "h", "sender_rewrite": {"": "a@example.com"}}) == (
        P + "sender_rewrite: '' is not a local address, user or @domain"
    )
    assert msg({"host": "h", "inet_interfaces": "all loopback-only"}) == (
        P + "inet_interfaces: all and loopback-only stand alone, not in a list with other items"
    )
    assert msg({"host": "h", "extra_config": {"biff": "x"}}) == P + "extra_config.biff: 'x' is not yes or no"
    assert msg({"host": "h", "extra_config": "x"}) == P + "extra_config: must be a dict of main.cf parameters"
    assert msg({"host": "h", "extra_config": {"1x": "y"}}) == P + "extra_config: '1x' is not a main.cf parameter name"


def test_nested_passwords_are_secrets_and_names_are_dotted():
    with pytest.raises(ValueError) as exc:
        resolve(
            _s(
                sender_dependent=[
                    {"sender": "@a.example", "host": "r.example.com", "username": "u", "password": "x\vy"}
                ]
            ),
            P,
        )
    assert str(exc.value) == P + "sender_dependent[0].password: contains a control character or line separator"
    with pytest.raises(ValueError) as exc:
        resolve(_s(extra_config={"smtpd_banner": "x\vy"}), P)
    assert str(exc.value).startswith(
        P + "extra_config.smtpd_banner: contains a control character or line separator (U+000B)"
    )
    with pytest.raises(ValueError) as exc:
        resolve(_s(sender_rewrite={"a\vb": "ops@example.com"}), P)
    assert str(exc.value).startswith(P + "sender_rewrite (a key): contains a control character")


def test_nexthop_and_candidates():
    assert nexthop("smtp.example.com", 587) == "[smtp.example.com]:587"
    assert nexthop("2001:db8::1", 25) == "[ipv6:2001:db8::1]:25"
    assert DEFAULT_CANDIDATE_PORTS == [587, 2525, 465]
    result = resolve({"host": "smtp.example.com"}, P)
    assert result["candidate_ports"] == [587, 2525, 465] and result["tls_wrapper_ports"] == [465]
    ses = resolve({"provider": "ses", "provider_region": "eu-west-1", "username": "A", "password_set": True}, P)
    assert ses["tls_wrapper_ports"] == [465, 2465]


def test_probe_hosts_sorted_unique():
    result = resolve(
        {
            "host": "z.example.com",
            "port": "auto",
            "sender_dependent": [
                {"sender": "@a.example", "host": "z.example.com"},
                {"sender": "@b.example", "host": "a.example.com"},
            ],
        },
        P,
    )
    assert result["probe_hosts"] == ["a.example.com", "z.example.com"]
    assert resolve({"host": "z.example.com"}, P)["probe_hosts"] == []


def test_without_a_prefix_messages_name_the_bare_setting():
    assert_message(lambda: resolve({"host": "h", "port": 0}), "port: 0 is out of range (1-65535)")
    assert_message(
        lambda: apply_probed_ports(resolve({"host": "h", "port": "auto"}), {}, [465]),
        "port: auto: no port of the probe is open with TLS on h; set the port",
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (({"host": "h"}, 5), "relay settings: the variable prefix must be a string"),
    ],
)
def test_resolve_arguments_exact_messages(args, message):
    assert_message(lambda: resolve(*args), message)


@pytest.mark.parametrize(
    "relay, ports, implicit, message",
    [
        ("x", {}, [465], P + "port: auto: the probe result must be a dict of host -> port"),
        (None, "x", [465], P + "port: auto: the probe result must be a dict of host -> port"),
        (None, {}, "465", P + "port: auto: the implicit TLS ports must be a list of ports"),
        (None, {"h": 587}, ["x"], P + "probe implicit TLS ports: 'x' is not a port number (1-65535)"),
        (None, {"h": 587}, ["auto"], P + "probe implicit TLS ports: 'auto' is not a port number (1-65535)"),
    ],
)
def test_apply_probed_ports_arguments_exact_messages(relay, ports, implicit, message):
    if relay is None:
        relay = resolve({"host": "h", "port": "auto"}, P)
    assert_message(lambda: apply_probed_ports(relay, ports, implicit, P), message)


def test_port_auto_implicit_tls_with_plaintext_level_exact_message():
    result = resolve({"host": "h", "port": "auto", "tls_security_level": "may", "allow_plaintext": True}, P)
    assert_message(
        lambda: apply_probed_ports(result, {"h": 465}, [465], P),
        P
        + "port: auto: the probe chose port 465 (implicit TLS), which cannot be combined with "
        + P
        + "tls_security_level 'may'",
    )


def test_port_auto_fallback_relays_are_probed():
    """A fallback relay with port auto is probed like the main one and gets its nexthop."""
    fallback = [{"host": "f.example", "port": "auto"}, {"host": "g.example", "port": 2525}]
    result = resolve({"host": "h", "port": 587, "fallback_relays": fallback}, P)
    assert result["probe_hosts"] == ["f.example"]
    assert [(r["port"], r["nexthop"]) for r in result["fallback_relays"]] == [
        ("auto", None),
        (2525, "[g.example]:2525"),
    ]
    probed = apply_probed_ports(result, {"f.example": 2525}, [465], P)
    assert [(r["port"], r["wrappermode"], r["nexthop"]) for r in probed["fallback_relays"]] == [
        (2525, False, "[f.example]:2525"),
        (2525, False, "[g.example]:2525"),
    ]
    assert probed["probe_hosts"] == []
    assert_message(
        lambda: apply_probed_ports(result, {}, [465], P),
        P + "fallback_relays[0].port: auto: no port of the probe is open with TLS on f.example; set the port",
    )


def test_port_auto_main_relay_probed_to_implicit_tls_sets_wrappermode():
    result = resolve({"host": "h", "port": "auto"}, P)
    assert result["wrappermode"] is False
    probed = apply_probed_ports(result, {"h": 465}, [465], P)
    assert (probed["port"], probed["wrappermode"]) == (465, True)
