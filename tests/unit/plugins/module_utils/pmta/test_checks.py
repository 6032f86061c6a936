# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/checks.py (what a configuration does: validate, the relay policy, the summary).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.tests.unit.helpers.pmta_texts import (
    cfg,
    GOOD,
    SEED_LISTENERS,
    SEED_SNIPPETS,
    messages,
    find,
    BASE_HEAD,
    BASE_DOMAIN,
    with_base,
    SECRET,
    HEAD,
    DOMAIN,
)


def test_good_config_is_valid_without_warnings():
    report = pc.validate(GOOD)
    assert report.valid, pc.format_errors(report.errors)
    assert report.warnings == []


def test_summary_of_good_config():
    summary = pc.validate(GOOD).summary
    assert summary["listeners"] == ["127.0.0.1:25"]
    assert summary["listener_details"][0]["loopback"] is True
    assert summary["route"] == {
        "directive": "smtp-hosts",
        "host": "smtp.example.net",
        "port": 587,
        "line": GOOD.splitlines().index("    smtp-hosts smtp.example.net:587") + 1,
        "levels": [[{"host": "smtp.example.net", "port": 587, "kind": "name"}]],
    }
    assert summary["tls"] == {
        "tlsv1": False,
        "tlsv1.1": False,
        "tlsv1.2": None,
        "tlsv1.3": None,
        "ca_file": "/etc/ssl/certs/ca-certificates.crt",
        "log_tls": None,
    }
    assert summary["policy"] is True and summary["unchecked_directives"] == []
    assert summary["starttls"] == {"use": True, "require": True}
    assert summary["auth_user"] == "apikey"
    assert summary["auth_password_set"] is True
    assert summary["smtp_users"] == ["app"]
    assert summary["virtual_mtas"][0]["name"] == "mta1"
    assert summary["virtual_mtas"][0]["source_hosts"] == [["192.0.2.10", "mta1.example.com"]]
    assert summary["virtual_mta_pools"] == [{"name": "pool1", "members": ["mta1"]}]
    by_match = {s["match"]: s for s in summary["sources"]}
    assert by_match["0/0"]["require_auth"] is True
    assert by_match["127.0.0.1"]["always_allow_relaying"] is True
    assert by_match["127.0.0.1"]["require_auth"] is None


def test_summary_never_contains_password():
    assert "s3cret-Value" not in repr(pc.validate(GOOD).as_dict())
    assert "two words" not in repr(pc.validate(GOOD).as_dict())


def test_route_directive_variant_and_default_port():
    text = GOOD.replace("smtp-hosts smtp.example.net:587", "route smtp.example.net:2525")
    report = pc.validate(text)
    assert report.valid
    assert report.summary["route"]["directive"] == "route"
    assert report.summary["route"]["port"] == 2525


def test_vendor_style_route_with_ip():
    text = GOOD.replace("smtp-hosts smtp.example.net:587", "route 5.181.234.238:22400")
    assert pc.validate(text).summary["route"]["host"] == "5.181.234.238"


def test_default_smtp_port_completes_a_route_without_port():
    text = GOOD.replace("smtp-hosts smtp.example.net:587", "smtp-hosts smtp.example.net\n    default-smtp-port 2525")
    report = pc.validate(text)
    assert report.valid
    assert report.summary["route"]["port"] == 2525


def test_seed_as_a_whole_needs_a_route():
    text = "\n".join([SEED_LISTENERS] + SEED_SNIPPETS)
    report = pc.validate(text, compact=True)
    assert messages(report.errors) == [
        "<domain *> has no route or smtp-hosts: mail would go straight to each recipient's MX on port 25"
    ]
    fixed = text.replace(
        "<domain *> # (*)", "<domain *> smtp-hosts smtp.example.net:587 smtp-tls-allow-tlsv1.1 no # (*)"
    )
    report = pc.validate(fixed, compact=True)
    assert report.valid, pc.format_errors(report.errors)
    assert report.summary["route"]["port"] == 587
    # the seed listens on 0/0 and protects it with <source 0/0> require-auth true
    assert report.summary["listener_details"][-1]["loopback"] is False


BROKEN = [
    (
        "unclosed stanza",
        BASE_HEAD + "<domain *>\n    smtp-hosts smtp.example.net:587\n",
        5,
        "<domain *> is never closed (missing </domain>)",
    ),
    (
        "unclosed inner stanza",
        with_base("<virtual-mta m1>\n    <domain *>\n        max-smtp-out 1\n</virtual-mta>\n"),
        6,
        "<domain *> opened here is not closed before </virtual-mta> on line 8",
    ),
    ("stray closing tag", with_base("</source>\n"), 5, "stray </source> without a matching <source>"),
    (
        "mismatched closing tag",
        with_base("<source 10.1.1.1>\n    smtp-service yes\n</domain>\n"),
        7,
        "stray </domain> without a matching <domain>",
    ),
    (
        "closing tag with argument",
        with_base("<source 10.1.1.1>\n</source 10.1.1.1>\n"),
        6,
        "closing tag </source> takes no argument",
    ),
    ("stanza without argument", with_base("<source>\n</source>\n"), 5, "stanza <source> needs an argument"),
    (
        "directive in the wrong context",
        with_base("<source 10.1.1.1>\n    use-starttls yes\n</source>\n"),
        6,
        "directive 'use-starttls' is not allowed in <source> (it belongs in <domain>)",
    ),
    (
        "source directive at the top level",
        with_base("require-auth yes\n"),
        5,
        "directive 'require-auth' is not allowed in the top level (it belongs in <source>)",
    ),
    (
        "smtp-user directive in a domain",
        BASE_HEAD + "<domain *>\n    smtp-hosts a.example:587\n    password x\n</domain>\n",
        7,
        "directive 'password' is not allowed in <domain> (it belongs in <smtp-user>)",
    ),
    (
        "allow-listed directive in the wrong context",
        with_base("<source 10.1.1.1>\n    dkim-sign yes\n</source>\n"),
        6,
        "directive 'dkim-sign' is not allowed in <source> (it belongs in <domain>)",
    ),
    (
        "stanza in the wrong context",
        with_base("<source 10.1.1.1>\n    <domain *>\n    </domain>\n</source>\n"),
        6,
        "stanza <domain> is not allowed in <source 10.1.1.1>",
    ),
    (
        "virtual-mta inside a domain",
        BASE_HEAD + "<domain *>\n    smtp-hosts a.example:587\n    <virtual-mta x>\n    </virtual-mta>\n</domain>\n",
        7,
        "stanza <virtual-mta> is not allowed in <domain *>",
    ),
    ("unknown directive", with_base("frobnicate yes\n"), 5, "unknown directive 'frobnicate'"),
    ("unknown stanza", with_base("<frob x>\n    whatever\n</frob>\n"), 5, "unknown stanza <frob>"),
    (
        "open relay on 0/0",
        with_base("<source 0/0>\n    always-allow-relaying yes\n</source>\n"),
        5,
        "open relay: <source 0/0> has always-allow-relaying yes without require-auth yes",
    ),
    (
        "open relay on a wide public range",
        with_base("<source 8.0.0.0/8>\n    always-allow-relaying true\n    require-auth no\n</source>\n"),
        5,
        "open relay: <source 8.0.0.0/8>",
    ),
    (
        "open relay on ::/0",
        with_base("<source ::/0>\n    always-allow-relaying yes\n</source>\n"),
        5,
        "open relay: <source ::/0>",
    ),
    (
        "exposed listener without catch-all",
        "smtp-listener 0/0:25\n"
        + cfg("""
        <source 10.0.5.20>
            always-allow-relaying yes
        </source>
     """)
        + BASE_DOMAIN,
        1,
        "listener '0/0:25' is not on a loopback address",
    ),
    (
        "exposed listener with a permissive catch-all",
        "smtp-listener 10.0.1.22:587\n<source 0/0>\n    smtp-service yes\n</source>\n" + BASE_DOMAIN,
        1,
        "listener '10.0.1.22:587' is not on a loopback address",
    ),
    (
        "missing route",
        BASE_HEAD + "<domain *>\n    use-starttls yes\n</domain>\n",
        5,
        "<domain *> has no route or smtp-hosts",
    ),
    ("missing <domain *>", BASE_HEAD, None, "no <domain *> stanza"),
    (
        "duplicate route",
        BASE_HEAD + "<domain *>\n    route a.example:587\n    smtp-hosts b.example:2525\n</domain>\n",
        7,
        "second route for <domain *>: 'smtp-hosts' here and 'route' on line 6",
    ),
    (
        "duplicate route across two <domain *>",
        BASE_HEAD + BASE_DOMAIN + "<domain *>\n    route b.example:2525\n</domain>\n",
        14,
        "second route for <domain *>",
    ),
    (
        "duplicate route inside a virtual MTA",
        with_base(
            "<virtual-mta m>\n    <domain *>\n        route a.example:587\n        route b.example:587\n"
            "    </domain>\n</virtual-mta>\n"
        ),
        8,
        "second route for <domain *> in <virtual-mta m>",
    ),
    (
        "bad bool",
        BASE_HEAD + BASE_DOMAIN.replace("require-starttls yes", "require-starttls maybe"),
        8,
        "directive 'require-starttls' expects yes/no/true/false, got 'maybe'",
    ),
    (
        "bad integer",
        BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "max-smtp-out ten"),
        7,
        "directive 'max-smtp-out' expects a non-negative integer, got 'ten'",
    ),
    (
        "bad duration",
        BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "retry-after 10x"),
        7,
        "directive 'retry-after' expects a comma-separated list of time intervals",
    ),
    (
        "too many values",
        BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "retry-after 10 minutes"),
        7,
        "directive 'retry-after' expects 1 value, got 2",
    ),
    (
        "missing value",
        with_base("smtp-source-host 192.0.2.1\n"),
        5,
        "directive 'smtp-source-host' expects 2 values, got 1",
    ),
    (
        "bad port in route",
        BASE_HEAD + BASE_DOMAIN.replace("smtp.example.net:587", "smtp.example.net:99999"),
        6,
        "directive 'smtp-hosts' expects host names (bare, with an optional :port)",
    ),
    ("bad listener", "smtp-listener localhost\n" + BASE_DOMAIN, 1, "directive 'smtp-listener' expects address:port"),
    (
        "bad source address",
        with_base("<source 300.1.1.1>\n</source>\n"),
        5,
        "stanza <source 300.1.1.1>: expected an IP address",
    ),
    (
        "bad http-access level",
        with_base("http-access 127.0.0.1 root\n"),
        5,
        "directive 'http-access' expects admin, monitor or none, got 'root'",
    ),
    (
        "text after a tag in line mode",
        with_base("<source 10.0.5.20> always-allow-relaying yes\n</source>\n"),
        5,
        "text after <source 10.0.5.20> on the same line",
    ),
    (
        "unknown pool member",
        with_base("<virtual-mta-pool p>\n    virtual-mta nope\n</virtual-mta-pool>\n"),
        6,
        "<virtual-mta-pool p> lists unknown virtual MTA 'nope'",
    ),
    ("empty pool", with_base("<virtual-mta-pool p>\n</virtual-mta-pool>\n"), 5, "<virtual-mta-pool p> has no members"),
    (
        "unknown default-virtual-mta",
        with_base("<source 10.1.1.1>\n    default-virtual-mta nope\n</source>\n"),
        6,
        "default-virtual-mta 'nope' is neither",
    ),
    (
        "smtp-user without password",
        with_base("<smtp-user bob>\n    authentication-method password\n</smtp-user>\n"),
        5,
        "<smtp-user bob> has no password",
    ),
    (
        "smtp-user with an undefined named source",
        with_base("<smtp-user bob>\n    password x\n    source {nope}\n</smtp-user>\n"),
        7,
        "<smtp-user bob> refers to {nope} but no <source {nope}> is defined",
    ),
    (
        "missing listener",
        "<source 127.0.0.1>\n    always-allow-relaying yes\n</source>\n" + BASE_DOMAIN,
        None,
        "no smtp-listener",
    ),
    ("malformed tag", with_base("<source 10.1.1.1\n"), 5, "malformed stanza tag"),
]


@pytest.mark.parametrize("name,text,line,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_configs_are_reported_with_their_line(name, text, line, message):
    report = pc.validate(text)
    assert not report.valid, name
    hit = find(report.errors, message)
    assert hit.line == line, "%s: %s" % (name, pc.format_errors(report.errors))


def test_errors_are_sorted_by_line():
    text = with_base("frobnicate 1\n<source 0/0>\n    always-allow-relaying yes\n</source>\n")
    lines = [e.line or 0 for e in pc.validate(text).errors]
    assert lines == sorted(lines)


def test_private_allow_list_is_fine():
    text = with_base("<source 10.0.0.0/8>\n    always-allow-relaying yes\n</source>\n")
    report = pc.validate(text)
    assert report.valid and report.warnings == []


def test_narrow_public_allow_list_is_a_warning():
    text = with_base("<source 93.184.216.34>\n    always-allow-relaying yes\n</source>\n")
    report = pc.validate(text)
    assert report.valid
    assert find(report.warnings, "relays for public addresses without authentication").line == 5


def test_wide_source_with_require_auth_is_fine():
    text = with_base("<source 0/0>\n    always-allow-relaying yes\n    require-auth true\n</source>\n")
    assert pc.validate(text).valid


def test_exposed_listener_with_smtp_service_no_catch_all():
    text = (
        "smtp-listener 0/0:2525\n<source 0/0>\n    smtp-service no\n</source>\n"
        "<source 10.0.5.20>\n    always-allow-relaying yes\n</source>\n" + BASE_DOMAIN
    )
    assert pc.validate(text).valid


def test_named_sources_are_not_networks():
    text = with_base("<source {relay}>\n    always-allow-relaying yes\n</source>\n")
    assert pc.validate(text).valid


@pytest.mark.parametrize(
    "replace,expected",
    [
        ("smtp.example.net", "has no port"),
        ("smtp.example.net:25", "uses port 25"),
    ],
)
def test_route_port_warnings(replace, expected):
    text = BASE_HEAD + BASE_DOMAIN.replace("smtp.example.net:587", replace)
    report = pc.validate(text)
    assert report.valid
    assert find(report.warnings, expected).line == 6


def test_credentials_without_required_starttls_warn():
    text = BASE_HEAD + cfg("""
        <domain *>
            smtp-hosts smtp.example.net:587
            use-starttls yes
            auth-username u
            auth-password p
            smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt
            smtp-tls-allow-tlsv1 no
            smtp-tls-allow-tlsv1.1 no
        </domain>
    """)
    report = pc.validate(text)
    assert report.valid
    find(report.warnings, "without 'require-starttls yes'")


def test_password_without_username_warns():
    text = BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "use-starttls yes\n    auth-password p")
    find(pc.validate(text).warnings, "auth-username is not")


def test_starttls_without_certificate_warns():
    text = with_base("<source 10.1.1.1>\n    allow-starttls yes\n</source>\n")
    find(pc.validate(text).warnings, "no smtp-server-tls-certificate")


def test_repeated_directive_and_duplicate_stanza_warn():
    text = with_base("log-file /a\nlog-file /b\n<source 10.1.1.1>\n</source>\n<source 10.1.1.1>\n</source>\n")
    report = pc.validate(text)
    assert find(report.warnings, "directive 'log-file' repeated").line == 6
    assert find(report.warnings, "duplicate <source 10.1.1.1> (first on line 7)").line == 9


def test_require_auth_without_users_warns():
    text = with_base("<source 10.1.1.1>\n    require-auth yes\n</source>\n")
    find(pc.validate(text).warnings, "no <smtp-user> is defined")


def test_fragment_skips_whole_file_checks():
    text = "<source 10.0.5.20>\n    always-allow-relaying yes\n</source>\n"
    assert not pc.validate(text).valid
    assert pc.validate(text, fragment=True).valid


def test_fragment_still_checks_open_relay():
    text = "<source 0/0>\n    always-allow-relaying yes\n</source>\n"
    assert not pc.validate(text, fragment=True).valid


def test_baseline_is_valid():
    report = pc.validate(HEAD + DOMAIN.replace("PASSWORD", SECRET))
    assert report.valid, pc.format_errors(report.errors)


def exposed(source_body, listener="0/0:25"):
    return cfg("""
        smtp-listener %s
        <source 0/0>
        %s
        </source>
    """) % (listener, source_body) + DOMAIN.replace("PASSWORD", SECRET)


@pytest.mark.parametrize("listener", ["0/0:25", "10.0.1.22:587", "192.0.2.1:25", "[2001:db8::1]:25"])
@pytest.mark.parametrize(
    "body",
    [
        "",  # bare catch-all: service and relaying defaults
        "    smtp-service yes",
        "    require-auth no",
        "    always-allow-relaying yes",
        "    always-allow-relaying yes\n    smtp-service yes",
    ],
)
def test_exposed_listener_with_bare_or_open_catch_all_is_an_open_relay(listener, body):
    report = pc.validate(exposed(body, listener))
    assert not report.valid
    assert any("is not on a loopback address" in f.message or "open relay" in f.message for f in report.errors), (
        pc.format_errors(report.errors)
    )


@pytest.mark.parametrize(
    "body", ["    require-auth yes", "    smtp-service no", "    smtp-service no\n    require-auth no"]
)
def test_exposed_listener_with_closed_catch_all_is_fine(body):
    report = pc.validate(exposed(body))
    assert report.valid, pc.format_errors(report.errors)


def test_catch_all_split_in_two_stanzas_must_agree():
    good = exposed("    require-auth yes") + "<source 0/0>\n    allow-starttls no\n</source>\n"
    assert pc.validate(good).valid
    bad = exposed("    require-auth yes") + "<source 0/0>\n    require-auth no\n</source>\n"
    assert not pc.validate(bad).valid


def test_loopback_listener_needs_no_catch_all():
    report = pc.validate(HEAD + DOMAIN)
    assert report.valid


@pytest.mark.parametrize(
    "access, ok",
    [
        ("127.0.0.1 admin", True),
        ("127.0.0.0/8 monitor", True),
        ("::1 admin", True),
        ("0/0 none", True),
        ("10.0.0.0/8 none", True),
        ("0/0 admin", False),
        ("0/0 monitor", False),
        ("10.0.0.5 admin", False),
        ("192.0.2.0/24 MONITOR", False),
        ("::/0 admin", False),
    ],
)
def test_http_access_above_none_only_for_loopback(access, ok):
    report = pc.validate(HEAD + "http-access %s\n" % access + DOMAIN)
    assert report.valid is ok, pc.format_errors(report.errors)


def test_relaying_sources_together_may_not_cover_much_public_space():
    one = HEAD + "<source 198.18.0.0/15>\nalways-allow-relaying yes\n</source>\n"  # not public
    assert pc.validate(one + DOMAIN).valid
    sources = "".join("<source 192.0.%d.0/24>\nalways-allow-relaying yes\n</source>\n" % n for n in (1, 3))
    report = pc.validate(HEAD.replace("127.0.0.1>", "127.0.0.1>") + sources.replace("192.0.", "8.8.") + DOMAIN)
    assert not report.valid
    assert any("together" in f.message for f in report.errors)


def test_summary_keys_and_the_password_without_user_warning():
    text = (
        "smtp-listener 127.0.0.1:25\n<source 127.0.0.1>\nalways-allow-relaying yes\n</source>\n"
        "<domain *>\nsmtp-hosts smtp.example.net:587\nrequire-starttls yes\nauth-password x\n</domain>\n"
    )
    report = pc.validate(text)
    assert set(report.summary["sources"][0]) == {
        "match",
        "line",
        "always_allow_relaying",
        "require_auth",
        "allow_starttls",
        "require_starttls_before_auth",
        "smtp_service",
    }
    assert report.summary["listener_details"] == [
        {"address": "127.0.0.1", "port": 25, "loopback": True, "line": 1, "listener": "127.0.0.1:25"}
    ]
    assert "auth-password is set in <domain *> but auth-username is not" in [w.message for w in report.warnings]


# --- mutation testing (issue 21): the width rule of a relaying source, at its boundaries ---------
@pytest.mark.parametrize(
    "text, wide",
    [
        ("0/0", True),
        ("::/0", True),
        # Public ranges (documentation ranges count as private in ipaddress); no traffic is sent.
        ("8.8.8.0/24", False),  # 256 addresses: the widest accepted
        ("8.8.8.0/23", True),
        ("2a00:1450:4001:2::/64", False),  # a /64 is the widest accepted
        ("2a00:1450:4001:2::/63", True),
        ("10.0.0.0/8", False),  # private ranges may be wide
        ("127.0.0.0/8", False),
        ("fd00::/8", False),
        ("198.51.100.7", False),
    ],
)
def test_the_width_of_a_relaying_source_at_its_boundaries(text, wide):
    from ansible_collections.egress.mail.plugins.module_utils.pmta.checks import _is_wide
    from ansible_collections.egress.mail.plugins.module_utils.pmta.values import parse_network

    net = parse_network(text)
    assert net is not None, text
    assert _is_wide(net) is wide
    assert _is_wide(None) is False


def test_the_report_and_a_source_summary_carry_every_key_with_its_value():
    text = GOOD.replace(
        "<source 0/0>\n    smtp-service yes\n    require-auth yes\n",
        "<source 0/0>\n    smtp-service no\n    require-auth yes\n    allow-starttls yes\n"
        "    require-starttls-before-auth yes\n",
    )
    assert text != GOOD
    report = pc.validate(text).as_dict()
    assert sorted(report) == ["errors", "summary", "valid", "warnings"] and report["valid"] is True
    (source,) = [s for s in report["summary"]["sources"] if s["match"] == "0/0"]
    assert source == {
        "match": "0/0",
        "line": source["line"],
        "always_allow_relaying": None,
        "require_auth": True,
        "allow_starttls": True,
        "require_starttls_before_auth": True,
        "smtp_service": False,
    }


def test_a_repeated_directive_message_is_exact_and_the_report_keeps_the_tree():
    text = HEAD + "<domain *>\n    smtp-hosts smtp.example.net:587\n    max-smtp-out 5\n    max-smtp-out 6\n</domain>\n"
    report = pc.validate(text)
    assert [(w.line, w.message) for w in report.warnings if "repeated" in w.message] == [
        (8, "directive 'max-smtp-out' repeated in <domain *> (first on line 7)")
    ]
    assert [getattr(child, "key", None) for child in report.root.children] == ["smtp-listener", "source", "domain"]


@pytest.mark.parametrize(
    "body, kind, line, message",
    [
        (
            "    smtp-hosts smtp.example.net:587\n    route smtp.example.org:587\n",
            "error",
            7,
            "second route for <domain *>: 'route' here and 'smtp-hosts' on line 6; exactly one route or "
            "smtp-hosts is allowed",
        ),
        (
            "    smtp-hosts smtp.example.net\n",
            "warning",
            6,
            "'smtp-hosts smtp.example.net' has no port: PowerMTA would use port 25, which most clouds block; "
            "add :587 or :2525",
        ),
        (
            "    smtp-hosts smtp.example.net:25\n",
            "warning",
            6,
            "'smtp-hosts' uses port 25, which most clouds block outbound",
        ),
        (
            "    smtp-hosts smtp.example.net:587,smtp.example.org:587\n",
            "warning",
            6,
            "smtp-hosts lists several hosts (1 preference level(s)); the summary reports the first",
        ),
    ],
)
def test_route_messages_are_exact(body, kind, line, message):
    report = pc.validate(HEAD + "<domain *>\n" + body + "</domain>\n")
    found = report.errors if kind == "error" else report.warnings
    assert (line, message) in [(m.line, m.message) for m in found]


def test_one_route_of_one_host_gives_no_route_message():
    report = pc.validate(HEAD + "<domain *>\n    smtp-hosts smtp.example.net:587\n</domain>\n")
    messages_ = [m.message for m in report.errors + report.warnings]
    for text in ("second route", "several hosts", "has no port", "uses port 25"):
        assert not [m for m in messages_ if text in m], messages_


def test_a_duplicate_stanza_message_is_exact():
    report = pc.validate(HEAD + "<source 10.1.1.1>\n</source>\n<source 10.1.1.1>\n</source>\n")
    assert [(w.line, w.message) for w in report.warnings] == [(7, "duplicate <source 10.1.1.1> (first on line 5)")]


def test_the_route_summary_of_each_directive_is_exact():
    """A `route` has one host: its summary has no `levels` (those are smtp-hosts' preference levels)."""
    route = pc.validate(HEAD + "<domain *>\n    route smtp.example.net:2525\n</domain>\n").summary["route"]
    assert route == {"directive": "route", "host": "smtp.example.net", "port": 2525, "line": 6}
    hosts = pc.validate(HEAD + "<domain *>\n    smtp-hosts smtp.example.net:587\n</domain>\n").summary["route"]
    assert hosts == {
        "directive": "smtp-hosts",
        "host": "smtp.example.net",
        "port": 587,
        "line": 6,
        "levels": [[{"host": "smtp.example.net", "port": 587, "kind": "name"}]],
    }


def test_a_listener_after_a_malformed_one_is_still_read():
    """A listener the linter cannot read is reported by its own check; the ones after it still count."""
    report = pc.validate("smtp-listener 127.0.0.1 2525\n" + HEAD + DOMAIN)
    assert [d["listener"] for d in report.summary["listener_details"]] == ["127.0.0.1:25"]
    assert "no smtp-listener" not in " ".join(m.message for m in report.errors)


def test_http_access_after_a_none_level_is_still_checked_and_its_message_is_exact():
    report = pc.validate(HEAD + "http-access 0/0 none\nhttp-access 10.0.0.5 Admin\n" + DOMAIN)
    assert [(e.line, e.message) for e in report.errors] == [
        (
            6,
            "http-access 10.0.0.5 admin: the admin level lets anyone there reload or change PowerMTA; "
            "give it only to loopback addresses (127.0.0.1, ::1)",
        )
    ]


# --- mutation testing (issue 21): every finding of validate(), whole, with its line --------------
# Each case lists all errors and all warnings of one configuration, in the report's order; a
# changed word, another line or a finding too many or too few fails it.
_L = "smtp-listener 127.0.0.1:25\n"
_SRC = "<source 127.0.0.1>\nalways-allow-relaying yes\n</source>\n"
_D = (
    "<domain *>\nsmtp-hosts smtp.example.net:587\nuse-starttls yes\nrequire-starttls yes\n"
    "smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\nsmtp-tls-allow-tlsv1 no\nsmtp-tls-allow-tlsv1.1 no\n"
    "</domain>\n"
)
_RELAY = "always-allow-relaying yes\n</source>\n"
_PUBLIC = "relays for public addresses without authentication; make sure every address in it is yours"
_FLOOR = (
    "relay policy: smtp-tls-allow-%s is %s for this route (section 3.3.10.95.%d); TLS below 1.2 must be off "
    "towards the smarthost: add 'smtp-tls-allow-%s no'"
)


def _relaying_sources(nets):
    """<source> stanzas that relay without login, one after the listener line each (3 lines a
    stanza, from line 2), and the warning each gets."""
    text = "".join("<source %s>\n" % net + _RELAY for net in nets)
    return text, [(2 + 3 * i, "<source %s> " % net + _PUBLIC) for i, net in enumerate(nets)]


_AT_LIMIT = _relaying_sources(("8.8.8.0/25", "8.8.9.0/25", "2001:4860::/65", "2001:4860:0:0:8000::/65"))
_OVER_LIMIT = _relaying_sources(("8.8.8.0/25", "8.8.9.0/25", "8.8.10.1", "2001:4860::/64", "2001:4861::1"))
_FINDINGS = [
    (
        "no_listener",
        _SRC + _D,
        [(None, "no smtp-listener: declare the listener explicitly (for example 'smtp-listener 127.0.0.1:25')")],
        [],
    ),
    (
        "no_domain",
        _L + _SRC,
        [(None, "no <domain *> stanza: all mail must be routed to the smarthost with route or smtp-hosts")],
        [],
    ),
    (
        # no route: no TLS floor and no CA file warning either (they are about the route)
        "domain_without_route_or_ca_file",
        _L + _SRC + "<domain *>\nuse-starttls yes\n</domain>\n",
        [(5, "<domain *> has no route or smtp-hosts: mail would go straight to each recipient's MX on port 25")],
        [],
    ),
    (
        "no_ca_file",
        _L + _SRC + _D.replace("smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\n", ""),
        [],
        [(5, "<domain *> has no smtp-tls-ca-file: PowerMTA does not verify the smarthost's certificate")],
    ),
    (
        # a named source is skipped by the network checks, and the sources after it are still checked
        "named_source_then_open_relay",
        _L + "<source {auth}>\nallow-starttls yes\n</source>\n<source 0/0>\n" + _RELAY + _D,
        [(5, "open relay: <source 0/0> has always-allow-relaying yes without require-auth yes")],
        [],
    ),
    (
        "public_relay_and_starttls_without_certificate",
        _L
        + "<source 8.8.8.0/28>\n"
        + _RELAY
        + "<source 10.0.0.0/8>\nrequire-starttls-before-auth yes\n</source>\n"
        + _D,
        [],
        [
            (2, "<source 8.8.8.0/28> " + _PUBLIC),
            (5, "<source 10.0.0.0/8> offers STARTTLS but no smtp-server-tls-certificate is set"),
        ],
    ),
    (
        # together exactly a /24 and a /64 of public space: allowed
        "public_relays_at_the_limit",
        _L + _AT_LIMIT[0] + _D,
        [],
        _AT_LIMIT[1],
    ),
    (
        "public_relays_one_address_over_the_limit",
        _L + _OVER_LIMIT[0] + _D,
        [
            (
                None,
                "open relay: together the <source> stanzas with always-allow-relaying yes and no require-auth cover "
                "257 public IPv4 and 18446744073709551617 public IPv6 addresses (at most a /24 and a /64)",
            )
        ],
        _OVER_LIMIT[1],
    ),
    (
        "exposed_listener_and_auth_without_users",
        "smtp-listener 192.0.2.1:25\n<source 10.0.0.0/8>\nrequire-auth yes\n</source>\n" + _D,
        [
            (
                1,
                "listener '192.0.2.1:25' is not on a loopback address: add <source 0/0> with require-auth yes "
                "(clients must log in) or smtp-service no (only the allow-listed sources may connect)",
            )
        ],
        [(None, "a source requires authentication but no <smtp-user> is defined")],
    ),
    (
        # a user of another authentication method needs no password
        "smtp_users",
        _L
        + _SRC
        + "<smtp-user ann>\nsource {nowhere}\n</smtp-user>\n<smtp-user sys>\nauthentication-method system\n</smtp-user>\n"
        + "<smtp-user bob>\npassword s3cret\nsource {auth}\n</smtp-user>\n<source {auth}>\nrequire-auth yes\n</source>\n"
        + _D,
        [
            (5, "<smtp-user ann> has no password"),
            (6, "<smtp-user ann> refers to {nowhere} but no <source {nowhere}> is defined"),
        ],
        [],
    ),
    (
        # a value without braces is the schema's error alone, not also "no <source 127.0.0.1>"
        "smtp_user_source_without_braces",
        _L + _SRC + "<smtp-user bob>\npassword pw\nsource 127.0.0.1\n</smtp-user>\n" + _D,
        [(7, "directive 'source' expects a source name in braces such as {relay-users}, got '127.0.0.1'")],
        [],
    ),
    (
        "smtp_user_source_with_broken_braces",
        _L + _SRC + "<smtp-user bob>\npassword pw\nsource {auth\n</smtp-user>\n" + _D,
        [(7, "directive 'source' expects a source name in braces such as {relay-users}, got '{auth'")],
        [],
    ),
    (
        # a pool's own <domain *> is checked like the top-level one; a member without a name is skipped
        "virtual_mtas",
        _L
        + "<source 127.0.0.1>\nalways-allow-relaying yes\ndefault-virtual-mta nothing\n</source>\n"
        + "<virtual-mta mta1>\nsmtp-source-host 192.0.2.10 mta1.example.com\n</virtual-mta>\n"
        + "<virtual-mta-pool pool1>\nvirtual-mta\nvirtual-mta mta1\nvirtual-mta ghost\n"
        + "<domain *>\nsmtp-hosts smtp.example.net:25\n</domain>\n</virtual-mta-pool>\n"
        + "<virtual-mta-pool empty>\n</virtual-mta-pool>\n"
        + _D,
        [
            (4, "default-virtual-mta 'nothing' is neither a <virtual-mta> nor a <virtual-mta-pool>"),
            (10, "directive 'virtual-mta' expects 1 value, got 0"),
            (12, "<virtual-mta-pool pool1> lists unknown virtual MTA 'ghost'"),
            (14, _FLOOR % ("tlsv1.1", "on by default", 7, "tlsv1.1")),
            (17, "<virtual-mta-pool empty> has no members"),
        ],
        [(14, "'smtp-hosts' uses port 25, which most clouds block outbound")],
    ),
    (
        "credentials_without_require_starttls",
        _L + _SRC + _D.replace("require-starttls yes\n", "auth-username relayuser\nauth-password pw\n"),
        [],
        [(5, "credentials for the smarthost without 'require-starttls yes': they could be sent before TLS is up")],
    ),
    (
        # <domain *> in two stanzas: the later one completes the first; the warning is on the first
        "use_starttls_no_with_require_starttls_yes_in_a_second_stanza",
        _L
        + _SRC
        + "<domain *>\nsmtp-hosts smtp.example.net:587\nuse-starttls no\nauth-username relayuser\nauth-password pw\n"
        + "</domain>\n<domain *>\nrequire-starttls yes\nsmtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\n"
        + "smtp-tls-allow-tlsv1 no\nsmtp-tls-allow-tlsv1.1 no\n</domain>\n",
        [],
        [
            (5, "<domain *> has use-starttls no but require-starttls yes"),
            (11, "duplicate <domain *> (first on line 5)"),
        ],
    ),
    (
        "use_starttls_no_require_starttls_unset",
        _L + _SRC + _D.replace("use-starttls yes\nrequire-starttls yes\n", "use-starttls no\n"),
        [],
        [],
    ),
    (
        "use_starttls_no_require_starttls_no",
        _L + _SRC + _D.replace("use-starttls yes\nrequire-starttls yes\n", "use-starttls no\nrequire-starttls no\n"),
        [],
        [],
    ),
    (
        # the reference's defaults: TLSv1 off, TLSv1.1 on
        "tls_floor_unset",
        _L + _SRC + _D.replace("smtp-tls-allow-tlsv1 no\nsmtp-tls-allow-tlsv1.1 no\n", ""),
        [(6, _FLOOR % ("tlsv1.1", "on by default", 7, "tlsv1.1"))],
        [],
    ),
    (
        "tls_floor_set_on",
        _L
        + _SRC
        + _D.replace(
            "smtp-tls-allow-tlsv1 no\nsmtp-tls-allow-tlsv1.1 no\n",
            "smtp-tls-allow-tlsv1 yes\nsmtp-tls-allow-tlsv1.1 yes\n",
        ),
        [(6, _FLOOR % ("tlsv1", "on", 6, "tlsv1")), (6, _FLOOR % ("tlsv1.1", "on", 7, "tlsv1.1"))],
        [],
    ),
]


@pytest.mark.parametrize("text, errors, warnings", [c[1:] for c in _FINDINGS], ids=[c[0] for c in _FINDINGS])
def test_every_finding_of_a_configuration_is_exact(text, errors, warnings):
    report = pc.validate(text)
    assert [(m.line, m.message) for m in report.errors] == errors
    assert [(m.line, m.message) for m in report.warnings] == warnings


def test_the_summary_of_tls_certificate_users_and_virtual_mtas_is_exact():
    text = (
        _L
        + "smtp-server-tls-certificate /etc/pmta/server.pem\n"
        + _SRC
        + "<virtual-mta mta1>\nsmtp-source-host 192.0.2.10 mta1.example.com\n</virtual-mta>\n"
        + _D
    )
    summary = pc.validate(text).summary
    assert summary["server_tls_certificate"] == "/etc/pmta/server.pem"
    assert summary["virtual_mtas"] == [
        {"name": "mta1", "line": 6, "source_hosts": [["192.0.2.10", "mta1.example.com"]]}
    ]
    assert summary["auth_user"] is None
    assert summary["auth_password_set"] is False
    bare = pc.validate(_L + _SRC + _D.replace("smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\n", "")).summary
    assert bare["tls"]["ca_file"] is None
    assert bare["server_tls_certificate"] is None
