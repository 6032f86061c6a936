# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (
    resolve,
    validate_host,
    validate_password,
    validate_port,
    validate_sender,
)

P = "postfix_relay_"
SECRET = "p:a ss#w0rd$%"
AUTH = {"username": "relayuser", "password_set": True}


def _s(**kwargs):
    settings = {"host": "smtp.example.com"}
    settings.update(kwargs)
    return settings


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


@pytest.mark.parametrize(
    "password", [SECRET, "inner space", "ünïcödé€", "\"quoted'", "a" * 512, "=:#$%&*()[]{}<>,;|\\/"]
)
def test_validate_password_accepts_printable(password):
    assert validate_password(password, P + "password") == password


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("", "empty"),
        ("abc\n", "newline"),
        ("abc\r", "newline"),
        ("ab\x00c", "control"),
        ("ab\tc", "control"),
        ("ab\x1bc", "control"),
        ("ab\x7fc", "control"),
        ("ab\x85c", "control"),
        ("ab\x0bc", "control"),
        ("ab\x0cc", "control"),
        ("ab\x1cc", "control"),
        ("ab\u2028c", "control"),
        ("ab\u2029c", "control"),
        ("ab\u200bc", "control"),
        ("ab\ud800c", "control"),
        (" leading space", "whitespace"),
        ("trailing space ", "whitespace"),
        ("trailing nbsp\u00a0", "whitespace"),
        (None, "string"),
        (True, "string"),
        (123456, "string"),
    ],
)
def test_validate_password_refuses(password, fragment):
    with pytest.raises(ValueError) as excinfo:
        validate_password(password, "pmta_relay_password")
    message = str(excinfo.value)
    assert message.startswith("pmta_relay_password: ")
    assert fragment in message
    if isinstance(password, str) and password:
        assert password.strip() not in message


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


def test_sendgrid_preset():
    result = resolve({"provider": "sendgrid", "password_set": True}, P)
    assert result["host"] == "smtp.sendgrid.net"
    assert result["port"] == 587
    assert result["username"] == "apikey"
    assert result["provider"] == "sendgrid"
    assert result["candidate_ports"] == [587, 2525, 25, 465]


def test_preset_user_overrides_win():
    result = resolve(
        {
            "provider": "sendgrid",
            "host": "relay.internal.example",
            "port": "2525",
            "username": "other",
            "password_set": True,
        },
        P,
    )
    assert (result["host"], result["port"], result["username"]) == ("relay.internal.example", 2525, "other")
    assert result["provider"] == "sendgrid"


def test_provider_name_case_insensitive():
    assert resolve({"provider": " SparkPost ", "password_set": True}, P)["username"] == "SMTP_Injection"


def test_sparkpost_and_mailgun_eu():
    assert (
        resolve({"provider": "sparkpost", "provider_region": "eu", "password_set": True}, P)["host"]
        == "smtp.eu.sparkpostmail.com"
    )
    result = resolve(
        {"provider": "mailgun", "provider_region": "EU", "username": "postmaster@mg.example.com", "password_set": True},
        P,
    )
    assert result["host"] == "smtp.eu.mailgun.org"
    assert result["provider_region"] == "eu"


def test_ses_with_region():
    result = resolve(
        {"provider": "ses", "provider_region": "eu-west-1", "username": "AKIAEXAMPLE", "password_set": True}, P
    )
    assert result["host"] == "email-smtp.eu-west-1.amazonaws.com"
    assert result["port"] == 587
    assert result["wrappermode"] is False
    gov = resolve({"provider": "ses", "provider_region": "us-gov-west-1", "username": "A", "password_set": True}, P)
    assert gov["host"] == "email-smtp.us-gov-west-1.amazonaws.com"


def test_ses_tls_wrapper_ports():
    base = {"provider": "ses", "provider_region": "us-east-1", "username": "A", "password_set": True}
    assert resolve(dict(base, port=465), P)["wrappermode"] is True
    assert resolve(dict(base, port=2465), P)["wrappermode"] is True
    assert resolve(dict(base, port=2587), P)["wrappermode"] is False


@pytest.mark.parametrize("port", [465, "465", " 465 "])
def test_port_465_is_wrappermode(port):
    result = resolve(_s(port=port), P)
    assert result["port"] == 465
    assert result["wrappermode"] is True


@pytest.mark.parametrize("port", [25, 587, 2525, 2465])
def test_other_ports_are_not_wrappermode_without_preset(port):
    assert resolve(_s(port=port), P)["wrappermode"] is False


def test_port_auto():
    result = resolve({"provider": "postmark", "port": "auto", "username": "tok", "password_set": True}, P)
    assert result["port"] == "auto"
    assert result["wrappermode"] is False
    assert result["candidate_ports"] == [587, 2525, 25]
    assert resolve(_s(port="AUTO"), P)["port"] == "auto"


def test_wrappermode_with_verified_tls():
    result = resolve(_s(port=465, tls_security_level="secure"), P)
    assert result["wrappermode"] is True
    assert result["tls_security_level"] == "secure"


def test_plaintext_opt_in():
    result = resolve(_s(tls_security_level="May", allow_plaintext="yes"), P)
    assert result["tls_security_level"] == "may"
    assert result["allow_plaintext"] is True
    assert resolve(_s(tls_security_level="none", allow_plaintext=True), P)["tls_security_level"] == "none"


def test_google_relay_without_auth():
    result = resolve({"provider": "google_relay"}, P)
    assert result["host"] == "smtp-relay.gmail.com"
    assert result["username"] is None
    assert result["password_set"] is False


def test_tls_ca_file():
    assert (
        resolve(_s(tls_ca_file="/etc/ssl/certs/ca-certificates.crt"), P)["tls_ca_file"]
        == "/etc/ssl/certs/ca-certificates.crt"
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
from ansible_collections.egress.mail.plugins.module_utils import postfix_parameters  # noqa: E402
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (  # noqa: E402
    apply_probed_ports,
    check_text,
    validate_interfaces,
)

BASE = {"host": "smtp.example.net", "username": "u", "password": SECRET}


def _refused(extra, name, fragment=""):
    settings = dict(BASE)
    settings.update(extra)
    with pytest.raises(ValueError) as exc:
        resolve(settings, P)
    message = str(exc.value)
    assert message.startswith(name), message
    assert fragment in message, message
    assert SECRET not in message
    return message


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


def test_extra_config_allow_list_holds_nothing_the_role_manages_or_that_is_security_relevant():
    assert not set(postfix_parameters.ALLOWED) & set(postfix_parameters.MANAGED)
    for name in postfix_parameters.ALLOWED:
        assert not any(
            word in name
            for word in (
                "tls",
                "sasl",
                "relay",
                "transport",
                "maps",
                "network",
                "restriction",
                "bcc",
                "domain",
                "filter",
                "milter",
            )
        ), name
    assert len(postfix_parameters.ALLOWED) == sum(len(g[2]) for g in postfix_parameters.GROUPS)
    assert set(postfix_parameters.ALLOWED.values()) <= set(postfix_parameters.KINDS)
    assert all(g[1] for g in postfix_parameters.GROUPS)  # every group says why it is safe


def test_protected_parameters_deny_list_is_gone():
    from ansible_collections.egress.mail.plugins.module_utils import relay_settings

    assert not hasattr(relay_settings, "PROTECTED_PARAMETERS")


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


def test_check_text_names_code_point_but_not_for_secrets():
    with pytest.raises(ValueError, match=r"^x: .*\(U\+000B\)"):
        check_text("a\vb", "x")
    with pytest.raises(ValueError) as exc:
        check_text("hunter2\vb", "x_password", secret=True)
    assert "U+" not in str(exc.value) and "hunter2" not in str(exc.value)


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


def test_office365_allows_exactly_its_maximum():
    base = {"provider": "office365", "username": "u@example.com", "password_set": True}
    assert resolve(dict(base, concurrency_limit=3), P)["concurrency_limit"] == 3
    assert resolve(dict(base, concurrency_limit="3"), P)["concurrency_limit"] == 3
    with pytest.raises(ValueError, match="allows"):
        resolve(dict(base, concurrency_limit=4), P)


def test_validate_interfaces_direct():
    assert validate_interfaces("127.0.0.1,  ::1", "x") == "127.0.0.1, ::1"


# --- mutation-testing kills: boundaries, every accepted spelling, exact messages ----------------
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (  # noqa: E402
    DEFAULT_CANDIDATE_PORTS,
    nexthop,
    to_bool,
    validate_concurrency,
    validate_username,
)


@pytest.mark.parametrize("value", [True, 1, "yes", "YES", " true ", "on", "1", "y", "True"])
def test_to_bool_true(value):
    assert to_bool(value, "x") is True


@pytest.mark.parametrize("value", [False, 0, None, "no", "false", "off", "0", "n", "", " No "])
def test_to_bool_false(value):
    assert to_bool(value, "x") is False


@pytest.mark.parametrize("value", [2, -1, "maybe", 1.0, [], {}, "yes!"])
def test_to_bool_refused_with_exact_message(value):
    with pytest.raises(ValueError) as exc:
        to_bool(value, "x_flag")
    assert str(exc.value) == "x_flag: must be a boolean (true or false), got %r" % (value,)


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


def test_every_line_break_python_knows_is_refused():
    breaks = [chr(c) for c in range(0x110000) if len(("a%sb" % chr(c)).splitlines()) > 1]
    assert len(breaks) == 10
    for ch in breaks:
        with pytest.raises(ValueError):
            check_text("a%sb" % ch, "x")


def test_check_text_exact_messages():
    def msg(value, secret=False, name="x"):
        with pytest.raises(ValueError) as exc:
            check_text(value, name, secret)
        return str(exc.value)

    assert msg("a\nb") == "x: contains a newline"
    assert msg("a\rb", True) == "x: contains a newline (check for a trailing line break from a file or vault)"
    assert msg("a\u2028b") == (
        "x: contains a control character or line separator (U+2028), refused in every "
        "value written to a configuration file"
    )
    assert msg("a\u2029b", True) == "x: contains a control character or line separator"
    assert check_text("a b", "x") == "a b"


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


def test_username_boundaries():
    assert validate_username("u" * 256, "x") == "u" * 256
    with pytest.raises(ValueError, match="^x: is longer than 256 characters$"):
        validate_username("u" * 257, "x")
    with pytest.raises(ValueError, match="^x: is empty$"):
        validate_username("", "x")
    with pytest.raises(ValueError, match="^x: the user name contains a comma$"):
        validate_username("a,b", "x")


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


def test_nexthop_and_candidates():
    assert nexthop("smtp.example.com", 587) == "[smtp.example.com]:587"
    assert nexthop("2001:db8::1", 25) == "[ipv6:2001:db8::1]:25"
    assert DEFAULT_CANDIDATE_PORTS == [587, 2525, 465]
    result = resolve({"host": "smtp.example.com"}, P)
    assert result["candidate_ports"] == [587, 2525, 465] and result["tls_wrapper_ports"] == [465]
    ses = resolve({"provider": "ses", "provider_region": "eu-west-1", "username": "A", "password_set": True}, P)
    assert ses["tls_wrapper_ports"] == [465, 2465]


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


def test_password_set_and_username_from_preset():
    result = resolve({"provider": "sendgrid", "password": SECRET}, P)
    assert result["username"] == "apikey" and result["password_set"] is True
    result = resolve({"host": "h", "username": "u", "password": "", "password_set": True}, P)
    assert result["password_set"] is True
    result = resolve({"host": "h", "username": "", "password": "   "}, P)
    assert result["username"] is None and result["password_set"] is False


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


# --- blank is not unset (review of issue 12: '  ' passed the check and was written) -------------
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import check_local_settings  # noqa: E402


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
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (  # noqa: E402
    validate_aliases,
    validate_canonical_map,
)


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
