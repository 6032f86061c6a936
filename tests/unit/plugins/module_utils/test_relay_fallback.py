# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fallback relays (check_relay_entry, the one definition of a relay of a list), the address
handling (canonical maps, aliases, Received: stripping) and message_size_limit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.egress.mail.plugins.module_utils import postfix_parameters
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (
    RELAY_KEYS,
    apply_probed_ports,
    check_relay_entry,
    resolve,
)

P = "postfix_relay_"
F = P + "fallback_relays"
SECRET = "Fb:s3cr3t #pw%"
BASE = {"host": "smtp.example.net", "username": "u", "password": "main pw"}
FB = {"host": "backup.example.org", "username": "fb", "password": SECRET}


def _fb(**kwargs):
    entry = dict(FB)
    entry.update(kwargs)
    return entry


def _r(**kwargs):
    settings_ = dict(BASE)
    settings_.update(kwargs)
    return resolve(settings_, P)


# (id, extra settings, variable the message starts with, fragment)
BAD = [
    ("fb-not-list", {"fallback_relays": {"host": "a.example"}}, F, "list of dicts"),
    ("fb-string", {"fallback_relays": "a.example, b.example"}, F, "list of dicts"),
    ("fb-entry-not-dict", {"fallback_relays": ["a.example"]}, F + "[0]", "must be a dict"),
    ("fb-unknown-key", {"fallback_relays": [_fb(), _fb(host="c.example", hots="x")]}, F + "[1]", "unknown key 'hots'"),
    ("fb-sender-key", {"fallback_relays": [_fb(sender="@a.example")]}, F + "[0]", "unknown key 'sender'"),
    ("fb-no-host", {"fallback_relays": [{"port": 587}]}, F + "[0].host", "is required"),
    ("fb-host-newline", {"fallback_relays": [_fb(host="a.example\nrelayhost = evil")]}, F + "[0].host", "newline"),
    ("fb-host-comma", {"fallback_relays": [_fb(host="a.example,b.example")]}, F + "[0].host", "comma"),
    ("fb-host-port", {"fallback_relays": [_fb(host="a.example:587")]}, F + "[0].host", "port setting"),
    ("fb-host-bracket", {"fallback_relays": [_fb(host="[a.example]")]}, F + "[0].host", "bracket"),
    ("fb-port-range", {"fallback_relays": [_fb(port=70000)]}, F + "[0].port", "out of range"),
    ("fb-port-text", {"fallback_relays": [_fb(port="smtp")]}, F + "[0].port", "not a port"),
    ("fb-port-bool", {"fallback_relays": [_fb(port=True)]}, F + "[0].port", "boolean"),
    (
        "fb-user-without-password",
        {"fallback_relays": [_fb(password=None)]},
        F + "[0].password",
        "required when " + F + "[0].username",
    ),
    ("fb-password-without-user", {"fallback_relays": [_fb(username=None)]}, F + "[0].username", F + "[0].password"),
    ("fb-user-colon", {"fallback_relays": [_fb(username="a:b")]}, F + "[0].username", "':'"),
    ("fb-user-space", {"fallback_relays": [_fb(username="a b")]}, F + "[0].username", "whitespace"),
    ("fb-password-newline", {"fallback_relays": [_fb(password="pw\n")]}, F + "[0].password", "newline"),
    ("fb-password-int", {"fallback_relays": [_fb(password=1234)]}, F + "[0].password", "string"),
    ("fb-password-space-end", {"fallback_relays": [_fb(password="pw ")]}, F + "[0].password", "whitespace"),
    ("fb-password-control", {"fallback_relays": [_fb(password="p\x07w")]}, F + "[0].password", "control"),
    ("fb-provider-unknown", {"fallback_relays": [{"provider": "sendgird"}]}, F + "[0].provider", "sendgrid"),
    ("fb-preset-needs-password", {"fallback_relays": [{"provider": "sendgrid"}]}, F + "[0].password", "apikey"),
    ("fb-preset-needs-user", {"fallback_relays": [{"provider": "mailgun"}]}, F + "[0].username", "SMTP AUTH"),
    (
        "fb-ses-region",
        {"fallback_relays": [{"provider": "ses", "username": "A", "password": "p"}]},
        F + "[0].provider_region",
        "needs a region",
    ),
    (
        "fb-region-without-provider",
        {"fallback_relays": [_fb(provider_region="eu")]},
        F + "[0].provider_region",
        F + "[0].provider",
    ),
    (
        "fb-same-as-main",
        {"fallback_relays": [_fb(host="SMTP.example.net.", port=587)]},
        F + "[0]",
        "already the relay of " + P + "host",
    ),
    (
        "fb-twice",
        {"fallback_relays": [_fb(), _fb(host="other.example"), _fb(username="x")]},
        F + "[2]",
        "already the relay of " + F + "[0]",
    ),
    (
        "fb-mixed-tls-mode",
        {"port": 465, "fallback_relays": [_fb(port=587)]},
        F + "[0].port",
        "uses STARTTLS but " + P + "port (port 465) uses implicit TLS",
    ),
    (
        "fb-mixed-tls-mode-2",
        {"fallback_relays": [_fb(), _fb(host="c.example", port=465)]},
        F + "[1].port",
        "uses implicit TLS but " + P + "port (port 587) uses STARTTLS",
    ),
    (
        "fb-wrapper-with-plaintext",
        {"tls_security_level": "may", "allow_plaintext": True, "fallback_relays": [_fb(port=465)]},
        F + "[0].port",
        "implicit TLS",
    ),
    (
        "fb-plaintext-password",
        {"username": None, "password": None, "tls_security_level": "may", "fallback_relays": [_fb()]},
        P + "tls_security_level",
        "and the password",
    ),
    (
        "fb-concurrency-over-preset",
        {
            "concurrency_limit": 5,
            "fallback_relays": [{"provider": "office365", "username": "a@b.example", "password": "p"}],
        },
        P + "concurrency_limit",
        "provider 'office365' allows (3",
    ),
    ("sc-not-dict", {"sender_canonical": ["a@b.example"]}, P + "sender_canonical", "must be a dict"),
    ("sc-bad-key", {"sender_canonical": {"a|b@x.example": "c@x.example"}}, P + "sender_canonical", "'|'"),
    ("sc-key-hash", {"sender_canonical": {"#a": "c@x.example"}}, P + "sender_canonical", "'#'"),
    (
        "sc-bad-target",
        {"sender_canonical": {"a@x.example": "|/bin/sh"}},
        P + "sender_canonical[a@x.example]",
        "local@domain",
    ),
    (
        "sc-target-list",
        {"sender_canonical": {"a@x.example": ["b@x.example"]}},
        P + "sender_canonical[a@x.example]",
        "a string",
    ),
    (
        "sc-target-comma",
        {"sender_canonical": {"a@x.example": "b@x.example,c@x.example"}},
        P + "sender_canonical[a@x.example]",
        "comma",
    ),
    ("sc-target-newline", {"sender_canonical": {"a@x.example": "b@x.example\nc d"}}, P + "sender_canonical", "newline"),
    (
        "sc-domain-for-address",
        {"sender_canonical": {"a@x.example": "@y.example"}},
        P + "sender_canonical[a@x.example]",
        "domain key",
    ),
    (
        "sc-twice",
        {"sender_canonical": {"a@X.example": "b@y.example", "a@x.example": "c@y.example"}},
        P + "sender_canonical",
        "twice",
    ),
    (
        "rc-bad-domain",
        {"recipient_canonical": {"@x_y.example": "@y.example"}},
        P + "recipient_canonical",
        "invalid character",
    ),
    ("rc-not-dict", {"recipient_canonical": "a@b.example"}, P + "recipient_canonical", "must be a dict"),
    ("al-not-dict", {"aliases": ["webmaster"]}, P + "aliases", "must be a dict"),
    ("al-pipe", {"aliases": {"webmaster": "|/usr/bin/evil"}}, P + "aliases[webmaster][0]", "local@domain"),
    ("al-file", {"aliases": {"webmaster": "/var/spool/mail/x"}}, P + "aliases[webmaster][0]", "local@domain"),
    ("al-include", {"aliases": {"webmaster": ":include:/etc/x"}}, P + "aliases[webmaster][0]", "local@domain"),
    ("al-local-only", {"aliases": {"webmaster": "root"}}, P + "aliases[webmaster][0]", "local@domain"),
    (
        "al-bad-second",
        {"aliases": {"webmaster": ["a@b.example", 'x"y@b.example']}},
        P + "aliases[webmaster][1]",
        "not allowed in the local part",
    ),
    ("al-empty-list", {"aliases": {"webmaster": []}}, P + "aliases[webmaster]", "non-empty list"),
    ("al-name-domain", {"aliases": {"web@x.example": "a@b.example"}}, P + "aliases", "without @domain"),
    ("al-name-colon", {"aliases": {"web:master": "a@b.example"}}, P + "aliases", "':'"),
    ("al-name-space", {"aliases": {"web master": "a@b.example"}}, P + "aliases", "whitespace"),
    ("al-name-twice", {"aliases": {"Web": "a@b.example", "web": "c@b.example"}}, P + "aliases", "twice"),
    (
        "al-root-with-forward",
        {"root_forward": "ops@x.example", "aliases": {"ROOT": "a@b.example"}},
        P + "aliases",
        P + "root_forward",
    ),
    ("al-target-dict", {"aliases": {"webmaster": {"a": "b"}}}, P + "aliases[webmaster]", "list of addresses"),
    ("strip-garbage", {"strip_received_headers": "sometimes"}, P + "strip_received_headers", "boolean"),
    ("size-text", {"message_size_limit": "20M"}, P + "message_size_limit", "not a size in bytes"),
    ("size-float", {"message_size_limit": 1.5e7}, P + "message_size_limit", "not a size in bytes"),
    ("size-bool", {"message_size_limit": True}, P + "message_size_limit", "not a size in bytes"),
    ("size-zero", {"message_size_limit": 0}, P + "message_size_limit", "1 MiB"),
    ("size-small", {"message_size_limit": 1000}, P + "message_size_limit", "1 MiB"),
    ("size-over-mailbox", {"message_size_limit": 60000000}, P + "message_size_limit", "mailbox_size_limit"),
    (
        "size-over-preset",
        {"host": None, "provider": "postmark", "message_size_limit": 20000000},
        P + "message_size_limit",
        "provider 'postmark' accepts (10000000",
    ),
    (
        "size-over-fallback-preset",
        {
            "message_size_limit": 20000000,
            "fallback_relays": [{"provider": "postmark", "username": "tok", "password": "tok"}],
        },
        P + "message_size_limit",
        "'postmark'",
    ),
    (
        "size-twice",
        {"message_size_limit": 20000000, "extra_config": {"message_size_limit": 20000000}},
        P + "message_size_limit",
        "also set in " + P + "extra_config.message_size_limit",
    ),
    (
        "size-extra-over-preset",
        {"host": None, "provider": "postmark", "extra_config": {"message_size_limit": 0}},
        P + "extra_config.message_size_limit",
        "no limit (0)",
    ),
    (
        "extra-fallback",
        {"extra_config": {"smtp_fallback_relay": "[evil.example]:25"}},
        P + "extra_config",
        "set " + P + "fallback_relays instead",
    ),
    (
        "extra-old-fallback",
        {"extra_config": {"fallback_relay": "[evil.example]:25"}},
        P + "extra_config",
        "set " + P + "fallback_relays instead",
    ),
    (
        "extra-canonical",
        {"extra_config": {"sender_canonical_maps": "hash:/etc/x"}},
        P + "extra_config",
        "set " + P + "sender_canonical instead",
    ),
    (
        "extra-header-checks",
        {"extra_config": {"smtp_header_checks": "regexp:/etc/x"}},
        P + "extra_config",
        "set " + P + "strip_received_headers instead",
    ),
]


@pytest.mark.parametrize("extra, variable, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_the_variable(extra, variable, fragment):
    with pytest.raises(ValueError) as exc:
        _r(**extra)
    message = str(exc.value)
    assert message.startswith((variable + ":", variable + " ", variable + ".")), message
    assert fragment in message, message
    for secret in (SECRET, "main pw"):
        assert secret not in message


def test_every_new_variable_has_bad_cases():
    ids = [b[0] for b in BAD]
    for prefix in ("fb-", "sc-", "rc-", "al-", "strip-", "size-", "extra-"):
        assert len([i for i in ids if i.startswith(prefix)]) >= 1, prefix


def test_fallback_relays_resolved_in_order_without_passwords():
    result = _r(
        fallback_relays=[_fb(), {"provider": "sendgrid", "password": SECRET}, {"host": "2001:db8::25", "port": "2525"}]
    )
    assert [
        (r["index"], r["nexthop"], r["username"], r["password_set"], r["wrappermode"])
        for r in result["fallback_relays"]
    ] == [
        (0, "[backup.example.org]:587", "fb", True, False),
        (1, "[smtp.sendgrid.net]:587", "apikey", True, False),
        (2, "[ipv6:2001:db8::25]:2525", None, False, False),
    ]
    assert result["fallback_relays"][1]["provider"] == "sendgrid"
    assert result["sasl_auth"] is True
    assert SECRET not in repr(result)


def test_fallback_default_port_is_the_main_port_or_the_presets():
    result = _r(port=465, fallback_relays=[_fb(), {"provider": "sendgrid", "password": "k", "port": 465}])
    assert [(r["port"], r["wrappermode"]) for r in result["fallback_relays"]] == [(465, True), (465, True)]
    # A preset's implicit-TLS port counts as implicit TLS, and joins the probe's list.
    result = _r(
        port=465,
        fallback_relays=[
            {"provider": "ses", "provider_region": "eu-west-1", "username": "A", "password": "p", "port": 2465}
        ],
    )
    assert result["fallback_relays"][0]["wrappermode"] is True
    assert 2465 in result["tls_wrapper_ports"]


def test_only_a_fallback_logs_in():
    result = _r(username=None, password=None, fallback_relays=[_fb()])
    assert result["username"] is None and result["sasl_auth"] is True
    assert _r(username=None, password=None)["sasl_auth"] is False


def test_concurrency_covers_every_relay():
    office = {"provider": "office365", "username": "a@b.example", "password": "p"}
    assert _r(fallback_relays=[office])["concurrency_limit"] == 3
    assert _r(fallback_relays=[office], concurrency_limit=2)["concurrency_limit"] == 2
    assert _r()["concurrency_limit"] == 10


def test_fallback_port_auto_is_probed_and_checked_for_the_tls_mode():
    result = _r(port=465, fallback_relays=[_fb(port="auto")])
    assert result["probe_hosts"] == ["backup.example.org"]
    assert result["fallback_relays"][0]["nexthop"] is None
    probed = apply_probed_ports(result, {"backup.example.org": 465}, [465], P)
    assert probed["fallback_relays"][0]["nexthop"] == "[backup.example.org]:465"
    assert probed["fallback_relays"][0]["wrappermode"] is True
    with pytest.raises(ValueError, match=r"^postfix_relay_fallback_relays\[0\]\.port: port 587 uses STARTTLS"):
        apply_probed_ports(result, {"backup.example.org": 587}, [465], P)
    with pytest.raises(ValueError, match=r"^postfix_relay_fallback_relays\[0\]\.port: auto: no port"):
        apply_probed_ports(result, {}, [465], P)


def test_main_port_auto_gives_the_fallbacks_auto():
    result = _r(port="auto", fallback_relays=[_fb()])
    assert result["fallback_relays"][0]["port"] == "auto"
    assert result["probe_hosts"] == ["backup.example.org", "smtp.example.net"]
    with pytest.raises(ValueError, match=r"^postfix_relay_fallback_relays\[0\]\.port: port 465 uses implicit TLS"):
        apply_probed_ports(result, {"smtp.example.net": 587, "backup.example.org": 465}, [465], P)


def test_address_settings_come_back_canonical():
    result = _r(
        sender_canonical={
            "Legacy@Old.Example": "app@New.Example",
            "cron": "ops@x.example",
            "@old.example": "@new.example",
        },
        recipient_canonical={"@Customers.OLD.example": "@customers.example"},
        aliases={"Webmaster": "web@x.example", "abuse": ["a@x.example", "b@y.example"]},
        strip_received_headers="yes",
        message_size_limit="20971520",
    )
    assert result["sender_canonical"] == [
        ["@old.example", "@new.example"],
        ["Legacy@old.example", "app@new.example"],
        ["cron", "ops@x.example"],
    ]
    assert result["recipient_canonical"] == [["@customers.old.example", "@customers.example"]]
    assert result["aliases"] == [["abuse", ["a@x.example", "b@y.example"]], ["webmaster", ["web@x.example"]]]
    assert result["strip_received_headers"] is True
    assert result["message_size_limit"] == 20971520


def test_size_limit_within_the_presets_and_mailbox_limit():
    assert (
        _r(message_size_limit=40000000, host=None, provider="ses", provider_region="eu-west-1")["message_size_limit"]
        == 40000000
    )
    assert _r(message_size_limit=60000000, extra_config={"mailbox_size_limit": 0})["message_size_limit"] == 60000000
    assert (
        _r(message_size_limit=60000000, extra_config={"mailbox_size_limit": 70000000})["message_size_limit"] == 60000000
    )
    # extra_config's own value stays allowed (0 is no limit there) where no preset caps it.
    assert _r(extra_config={"message_size_limit": 0})["extra_config"] == {"message_size_limit": "0"}


def test_fallback_parameters_are_managed_not_allowed():
    for name in (
        "smtp_fallback_relay",
        "fallback_relay",
        "lmtp_fallback_relay",
        "sender_canonical_maps",
        "recipient_canonical_maps",
        "smtp_header_checks",
    ):
        assert name in postfix_parameters.MANAGED and name not in postfix_parameters.ALLOWED


def test_check_relay_entry_interface():
    """The function powermta_relay will call for its fallback levels: one entry, its own name."""
    relay = check_relay_entry(
        {"host": "relay.example.com", "port": 465, "username": "u", "password": SECRET},
        "powermta_relay_fallback_relays[3]",
    )
    assert relay == {
        "host": "relay.example.com",
        "port": 465,
        "nexthop": "[relay.example.com]:465",
        "username": "u",
        "password_set": True,
        "wrappermode": True,
        "provider": None,
        "provider_region": None,
        "candidate_ports": [587, 2525, 465],
        "tls_wrapper_ports": [465],
        "max_connections": None,
        "max_message_size": None,
    }
    relay = check_relay_entry({"provider": "postmark", "username": "t", "password": "t"}, "x[0]", default_port=2525)
    assert (relay["port"], relay["max_message_size"]) == (587, 10000000)
    assert check_relay_entry({"host": "r.example"}, "x[0]", default_port=2525)["port"] == 2525
    with pytest.raises(ValueError, match=r"^powermta_relay_fallback_relays\[3\]\.port: "):
        check_relay_entry({"host": "r.example", "port": 0}, "powermta_relay_fallback_relays[3]")


BOUNDED = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SPECIAL = list("\n\r\t\x00\x7f\x85\u2028\u200b") + list("|/:#$%!\"'`{}[]@,. =\\")
text = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8"), st.sampled_from("abcxyz0123456789-_.")),
    max_size=24,
).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.floats(allow_nan=True), text)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(text, scalars, max_size=3))


@settings(max_examples=400, **BOUNDED)
@given(st.dictionaries(st.sampled_from(RELAY_KEYS + ("sender", "bogus")), values, max_size=6))
def test_an_entry_raises_only_value_error_and_never_shows_its_password(entry):
    entry = dict(entry, password=SECRET) if "password" in entry else entry
    try:
        relay = check_relay_entry(entry, F + "[0]")
    except ValueError as exc:
        message = str(exc)
        assert message.startswith(F + "[0]"), message
        assert SECRET not in message and "Fb:s3" not in message
        return
    assert SECRET not in repr(relay)
    assert relay["nexthop"] is None or relay["nexthop"] == "[%s%s]:%s" % (
        "ipv6:" if ":" in relay["host"] else "",
        relay["host"],
        relay["port"],
    )
    if relay["nexthop"]:
        assert not set(relay["nexthop"]) & set("\n\r, ")


@settings(max_examples=300, **BOUNDED)
@given(
    st.sampled_from(("sender_canonical", "recipient_canonical", "aliases")),
    st.dictionaries(text, st.one_of(text, st.lists(text, max_size=3)), max_size=4),
)
def test_address_maps_accept_only_plain_addresses(variable, value):
    try:
        result = _r(**{variable: value})
    except ValueError as exc:
        assert str(exc).startswith(P + variable), str(exc)
        return
    for key, target in result[variable]:
        for item in [key] + (target if isinstance(target, list) else [target]):
            assert not set(item) & set("|/:#$%!\"'`{}[], =\\\n\r\t"), item


def test_port_auto_twice_on_one_host_is_one_relay_twice():
    """The probe picks one port per host: two `auto` entries of one host would be one
    [host]:port with two logins, so they are refused before any probe."""
    with pytest.raises(ValueError) as exc:
        _r(port="auto", fallback_relays=[_fb(host="smtp.example.net", port="auto")])
    assert str(exc.value) == (
        F + "[0]: [smtp.example.net]:auto is already the relay of " + P + "host"
        " (each relay once: one login per [host]:port)"
    )
    with pytest.raises(ValueError) as exc:
        _r(fallback_relays=[_fb(host="a.example", port="auto"), _fb(host="a.example", port="auto")])
    assert str(exc.value).startswith(F + "[1]: [a.example]:auto is already the relay of " + F + "[0] (")


def test_port_auto_next_to_a_fixed_port_of_its_host_is_checked_after_the_probe():
    fallback = [_fb(host="a.example", port="auto"), _fb(host="a.example", port=2525)]
    result = _r(fallback_relays=fallback)
    probed = apply_probed_ports(result, {"a.example": 587}, [465], P)
    assert [r["nexthop"] for r in probed["fallback_relays"]] == ["[a.example]:587", "[a.example]:2525"]
    with pytest.raises(ValueError) as exc:
        apply_probed_ports(result, {"a.example": 2525}, [465], P)
    assert str(exc.value).startswith(F + "[1]: [a.example]:2525 is already the relay of " + F + "[0] (")


def test_one_ip_address_in_two_spellings_is_one_relay():
    with pytest.raises(ValueError) as exc:
        _r(fallback_relays=[_fb(host="2001:db8::1", port=587), _fb(host="2001:DB8:0::1", port=587)])
    assert str(exc.value).startswith(F + "[1]: [ipv6:2001:DB8:0::1]:587 is already the relay of " + F + "[0] (")
    with pytest.raises(ValueError) as exc:
        _r(port="auto", host="2001:db8::1", fallback_relays=[_fb(host="2001:0db8::1", port="auto")])
    assert str(exc.value).startswith(F + "[0]: [ipv6:2001:0db8::1]:auto is already the relay of " + P + "host (")
