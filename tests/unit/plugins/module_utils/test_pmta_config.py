# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta_config.py (PowerMTA config parser and validator)."""

from __future__ import annotations

import textwrap
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc


def cfg(text):
    return textwrap.dedent(text).lstrip("\n")


GOOD = cfg("""
    # relay through a smarthost
    postmaster postmaster@example.com
    smtp-listener 127.0.0.1:25
    http-mgmt-port 8080
    http-access 127.0.0.1 admin
    run-as-root no
    log-file /var/log/pmta/log
    spool /var/spool/pmta
    <acct-file /var/log/pmta/acct.csv>
        max-size 50M
    </acct-file>

    <smtp-user app>
        password "two words"
        source {egress-authenticated}
    </smtp-user>
    <source {egress-authenticated}>
        smtp-service yes
        always-allow-relaying yes
    </source>
    <source 127.0.0.1>
        smtp-service yes
        always-allow-relaying yes
    </source>
    <source 0/0>
        smtp-service yes
        require-auth yes
    </source>

    <virtual-mta mta1>
        smtp-source-host 192.0.2.10 mta1.example.com
        <domain *>
            max-smtp-out 5
            retry-after 10m,30m
        </domain>
    </virtual-mta>
    <virtual-mta-pool pool1>
        virtual-mta mta1
    </virtual-mta-pool>

    <domain *>
        smtp-hosts smtp.example.net:587
        use-starttls yes
        require-starttls yes
        use-unencrypted-plain-auth no
        auth-username apikey
        auth-password s3cret-Value
        max-smtp-out 20
        retry-after 10m
        smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt
        smtp-tls-allow-tlsv1 no
        smtp-tls-allow-tlsv1.1 no
    </domain>
""")


# The PowerMTA snippets of the SparkPost guide (seed 004), exactly as the web
# page rendered them: most line breaks were lost when the page was flattened.
SEED_LISTENERS = cfg("""
    smtp-listener 10.0.1.22:587 # listens on port 587 and IP 10.0.1.22
    smtp-listener 10.0.1.22:25 # escucha en el puerto 25 y la IP 10.0.1.22
    smtp-listener 0/0:25 # listens on port 25 of all local IPs. You can also specify a CIDR range of IP addresses
""")
SEED_SMTP_USER = (
    "<smtp-user foo> password barbaz authentication-method password #certificate (TLS) or "
    "system(linux user) are other options</smtp-user>#Then require authentication at the source "
    "stanza<source 0/0> require-auth true</source>"
)
SEED_ALLOW = "<source 10.0.5.20> always-allow-relaying yes # allow feeding from 10.0.5.20</source>"
SEED_RELAY_DOMAIN = (
    "# allow relaying of mail to some.domainrelay-domain some.domainrelay-address [email protected] "
    "/@foo(bar)?\\.com$/ # regex pattern"
)
SEED_TLS = (
    "smtp-server-tls-certificate /etc/pmta/yourcert.pem#Enable TLS on inbound connections<source 0/0> "
    "allow-starttls true require-starttls-before-auth true #ensures authentication information is only "
    "sent over tls</source>"
)
SEED_DOMAIN = (
    "<domain *> # (*) is a wildcard for all recipient domain use-starttls true #uses TLS if available "
    "require-starttls true #enforces TLS </domain>"
)
SEED_SOURCE_HOST = "smtp-source-host 192.168.0.10 mail10.yourserver.com #You can also specify CIDR range"
SEED_VMTA = (
    "<virtual-mta mta1> smtp-source-host 1.2.3.4 mta1.yourserver.com<domain *> use-starttls true "
    "require-starttls true retry-after 10m</domain></virtual-mta><virtual-mta mta2> smtp-source-host "
    "2.3.4.5 mta2.yourserver.com<domain *> use-starttls false require-starttls false retry-after 45m "
    "</domain></virtual-mta>"
)
SEED_SNIPPETS = [SEED_SMTP_USER, SEED_ALLOW, SEED_RELAY_DOMAIN, SEED_TLS, SEED_DOMAIN, SEED_SOURCE_HOST, SEED_VMTA]


def messages(findings):
    return [f.message for f in findings]


def find(findings, fragment):
    hits = [f for f in findings if fragment in f.message]
    assert hits, "no finding containing %r in %r" % (fragment, findings)
    return hits[0]


# ---------------------------------------------------------------------------
# A good configuration
# ---------------------------------------------------------------------------


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


def test_tree_shape_and_line_numbers():
    root, errors, _warnings = pc.parse(GOOD)
    assert errors == []
    vmta = root.stanzas("virtual-mta")[0]
    assert vmta.line == GOOD.splitlines().index("<virtual-mta mta1>") + 1
    assert vmta.end_line == GOOD.splitlines().index("</virtual-mta>") + 1
    inner = vmta.stanzas("domain")[0]
    assert inner.parent is vmta and inner.arg == "*"
    assert inner.first("retry-after").args == ["10m,30m"]
    user = root.stanzas("smtp-user")[0]
    assert user.first("password").args == ["two words"]


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


# ---------------------------------------------------------------------------
# The seed's examples
# ---------------------------------------------------------------------------


def test_seed_listeners_parse_line_by_line():
    root, errors, _warnings = pc.parse(SEED_LISTENERS)
    assert errors == []
    assert [d.args for d in root.directives("smtp-listener")] == [["10.0.1.22:587"], ["10.0.1.22:25"], ["0/0:25"]]


@pytest.mark.parametrize("snippet", SEED_SNIPPETS)
def test_seed_snippets_parse_in_compact_mode(snippet):
    root, errors, _warnings = pc.parse(snippet, compact=True)
    assert errors == [], pc.format_errors(errors)
    assert root is not None


def test_seed_smtp_user_and_source():
    root, errors, _warnings = pc.parse(SEED_SMTP_USER, compact=True)
    assert errors == []
    user = root.stanzas("smtp-user")[0]
    assert user.arg == "foo"
    assert user.first("password").args == ["barbaz"]
    assert user.first("authentication-method").args == ["password"]
    assert root.stanzas("source")[0].first("require-auth").args == ["true"]


def test_seed_domain_comment_does_not_swallow_directives():
    root, errors, _warnings = pc.parse(SEED_DOMAIN, compact=True)
    assert errors == []
    domain = root.stanzas("domain")[0]
    assert [d.key for d in domain.directives()] == ["use-starttls", "require-starttls"]


def test_seed_virtual_mtas_nest_domains():
    root, errors, _warnings = pc.parse(SEED_VMTA, compact=True)
    assert errors == []
    vmtas = root.stanzas("virtual-mta")
    assert [v.arg for v in vmtas] == ["mta1", "mta2"]
    assert vmtas[0].first("smtp-source-host").args == ["1.2.3.4", "mta1.yourserver.com"]
    assert vmtas[1].stanzas("domain")[0].first("retry-after").args == ["45m"]


def test_seed_relay_domain_line_is_a_comment():
    root, errors, _warnings = pc.parse(SEED_RELAY_DOMAIN, compact=True)
    assert errors == [] and root.children == []


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


def test_seed_compact_text_is_rejected_in_line_mode():
    _root, errors, _warnings = pc.parse(SEED_SMTP_USER)
    assert errors
    assert errors[0].line == 1
    assert "on the same line" in errors[0].message
    assert "barbaz" not in errors[0].message and "foo" not in errors[0].message  # the line holds a password


# ---------------------------------------------------------------------------
# Broken configurations: each reported with its line
# ---------------------------------------------------------------------------

BASE_HEAD = cfg("""
    smtp-listener 127.0.0.1:25
    <source 127.0.0.1>
        always-allow-relaying yes
    </source>
""")
BASE_DOMAIN = cfg("""
    <domain *>
        smtp-hosts smtp.example.net:587
        use-starttls yes
        require-starttls yes
        smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt
        smtp-tls-allow-tlsv1 no
        smtp-tls-allow-tlsv1.1 no
    </domain>
""")


def with_base(body):
    return BASE_HEAD + cfg(body) + BASE_DOMAIN


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


def test_comment_lines_and_blank_lines_keep_line_numbers():
    text = "# one\n\n   # three\n" + with_base("  frobnicate yes   # trailing\n")
    assert find(pc.validate(text).errors, "unknown directive").line == 8


# ---------------------------------------------------------------------------
# Relay safety details
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------


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


def test_include_is_accepted_with_a_warning():
    text = with_base("include /etc/pmta/extra.conf\n")
    report = pc.validate(text)
    assert report.valid
    find(report.warnings, "included file '/etc/pmta/extra.conf' is not validated")


def test_opaque_stanzas_are_skipped_with_a_warning():
    text = with_base(
        "<rewrite-list mfrom>\n    mail-from *@a.example *@bounces.a.example\n    <not a tag\n</rewrite-list>\n"
    )
    report = pc.validate(text)
    assert report.valid, pc.format_errors(report.errors)
    find(report.warnings, "contents of <rewrite-list> are not validated")


def test_smtp_pattern_lists_are_checked_line_by_line():
    text = with_base(
        "<smtp-pattern-list errs>\n    reply /421 .* too many/ mode=backoff\n"
        "    reply /4[0-9][0-9] 4\\.7\\.[0-9]+/ mode=backoff backoff-to-normal-after=1h\n"
        "    frobnicate /x/\n</smtp-pattern-list>\n"
    )
    report = pc.validate(text)
    assert report.valid, pc.format_errors(report.errors)
    assert find(report.warnings, "'frobnicate' in <smtp-pattern-list> is not in the directive table").line == 8
    broken = text.replace("mode=backoff\n", "mode=sleepy\n", 1)
    assert find(pc.validate(broken).errors, "action 'mode' expects one of backoff, normal").line == 6
    broken = text.replace("/421 .* too many/", "421 too many", 1)
    assert find(pc.validate(broken).errors, "the pattern must be written /regular expression/").line == 6


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------


def test_extra_directives_are_accepted():
    text = with_base("frobnicate yes\n")
    assert not pc.validate(text).valid
    assert pc.validate(text, extra_directives=["Frobnicate"]).valid


def test_unchecked_allow_list():
    text = BASE_HEAD + BASE_DOMAIN.replace(
        "use-starttls yes", "use-starttls yes\n    dkim-sign yes\n    bounce-upon-no-mx yes"
    )
    assert pc.validate(text).valid


def test_fragment_skips_whole_file_checks():
    text = "<source 10.0.5.20>\n    always-allow-relaying yes\n</source>\n"
    assert not pc.validate(text).valid
    assert pc.validate(text, fragment=True).valid


def test_fragment_still_checks_open_relay():
    text = "<source 0/0>\n    always-allow-relaying yes\n</source>\n"
    assert not pc.validate(text, fragment=True).valid


def test_directive_names_are_case_insensitive():
    text = BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "Use-StartTLS YES")
    assert pc.validate(text).valid


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------


def test_secret_values_are_never_echoed_in_errors():
    text = BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "auth-password hunter2 extra-word")
    report = pc.validate(text)
    hit = find(report.errors, "directive 'auth-password' expects exactly one value")
    assert "hunter2" not in hit.message and "extra-word" not in hit.message
    assert "hunter2" not in repr(report.as_dict())


def test_mask_secrets():
    text = cfg("""
        <smtp-user app>
            password   hunter2   # keep this comment
            authentication-method password
        </smtp-user>
        <domain *>
            auth-password "a b c"
            auth-username hunter
        </domain>
    """)
    masked = pc.mask_secrets(text)
    assert "hunter2" not in masked and "a b c" not in masked
    assert "keep this comment" not in masked  # a '#' may belong to the password: masked to the end
    assert "    password   ********\n" in masked
    assert "authentication-method password\n" in masked
    assert "auth-password ********\n" in masked
    assert "auth-username hunter\n" in masked
    assert masked.count(pc.MASK) == 2


def test_mask_secrets_unquoted_spaces_and_compact_text():
    assert pc.mask_secrets("auth-password my secret words\n") == "auth-password ********\n"
    masked = pc.mask_secrets(SEED_SMTP_USER)
    assert "barbaz" not in masked
    assert masked.startswith("<smtp-user foo> password ********")


def test_mask_secrets_empty():
    assert pc.mask_secrets("") == ""
    assert pc.mask_secrets(None) is None


def test_secret_values():
    assert pc.secret_values(GOOD) == ['"two words"', "s3cret-Value"]


def test_masked_diff_hides_passwords_and_shows_changes():
    after = GOOD.replace("s3cret-Value", "n3w-Value").replace(":587", ":2525")
    diff = pc.masked_diff(GOOD, after, "/etc/pmta/config")
    text = "\n".join(diff)
    assert "s3cret" not in text and "n3w" not in text
    assert "-    smtp-hosts smtp.example.net:587" in diff
    assert "+    smtp-hosts smtp.example.net:2525" in diff
    assert diff[0] == "--- /etc/pmta/config (current)"


def test_masked_diff_empty_when_only_secrets_change():
    assert pc.masked_diff(GOOD, GOOD.replace("s3cret-Value", "other")) == []


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def test_format_error():
    finding = pc.Finding(12, "directive 'use-starttls' is not allowed in <source>")
    assert pc.format_error(finding) == "line 12: directive 'use-starttls' is not allowed in <source>"
    assert str(finding) == pc.format_error(finding)
    assert pc.format_error({"line": 3, "message": "x"}) == "line 3: x"
    assert pc.format_error({"line": None, "message": "x"}) == "config: x"
    assert pc.format_errors([pc.Finding(1, "a"), pc.Finding(None, "b")]) == "line 1: a\nconfig: b"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0/0", "0.0.0.0/0"),
        ("10/8", "10.0.0.0/8"),
        ("192.168/16", "192.168.0.0/16"),
        ("127.0.0.1", "127.0.0.1/32"),
        ("::/0", "::/0"),
        ("[::1]", "::1/128"),
        ("10.1.2.3/24", "10.1.2.0/24"),
        ("300.1.1.1", None),
        ("example.com", None),
        ("", None),
    ],
)
def test_parse_network(value, expected):
    net = pc.parse_network(value)
    assert (str(net) if net is not None else None) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("smtp.example.net:587", ("smtp.example.net", 587, False)),
        ("[smtp.example.net]:2525", ("smtp.example.net", 2525, True)),
        ("[2001:db8::1]:587", ("2001:db8::1", 587, True)),
        ("5.181.234.238:22400", ("5.181.234.238", 22400, False)),
        ("smtp.example.net", ("smtp.example.net", None, False)),
        ("smtp.example.net:0", None),
        ("smtp.example.net:x", None),
        ("[a.example", None),
        ("bad host:25", None),
        ("[a.example]587", None),
    ],
)
def test_parse_hostport(value, expected):
    assert pc.parse_hostport(value) == expected


@pytest.mark.parametrize(
    "value,ok",
    [
        ("0/0:25", True),
        ("127.0.0.1:25", True),
        ("[::1]:25", True),
        ("10.0.1.22:587", True),
        ("127.0.0.1", False),
        ("localhost:25", False),
        ("127.0.0.1:70000", False),
        ("[::1]25", False),
    ],
)
def test_parse_listener(value, ok):
    assert (pc.parse_listener(value) is not None) == ok


@pytest.mark.parametrize(
    "value,expected", [("yes", True), ("TRUE", True), ("no", False), ("false", False), ("1", None)]
)
def test_parse_bool(value, expected):
    assert pc.parse_bool(value) is expected


def test_split_tokens_quotes():
    assert pc.split_tokens('password "a b"  c ""') == ["password", "a b", "c", ""]


def test_every_directive_has_a_known_type_and_context():
    contexts = set(pc.STANZAS) | {pc.GLOBAL}
    for name, (where, spec) in pc.DIRECTIVES.items():
        assert set(where) <= contexts, name
        for item in spec:
            assert item.lstrip("?*") in pc._TYPE_HELP, (name, item)
    for ctx, names in pc.UNCHECKED_DIRECTIVES.items():
        assert ctx in contexts
        assert not set(names) & set(pc.DIRECTIVES), ctx


# ===========================================================================
# Regressions of issues 12 and 21 (each failed on main 283c62b): line breaks,
# secrets in errors, crashes, time, relay rules
# ===========================================================================

SECRET = "Zq9-TAILsecret"

# Python's str.splitlines() breaks at all of these; PowerMTA only at "\n".
SEPARATORS = ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
OTHER_CONTROLS = ["\x00", "\x1b", "\x7f", "\x9b", "\u200b", "\u202e", "\ufeff"]


HEAD = cfg("""
    smtp-listener 127.0.0.1:25
    <source 127.0.0.1>
        always-allow-relaying yes
    </source>
""")
DOMAIN = cfg("""
    <domain *>
        smtp-hosts smtp.example.net:587
        use-starttls yes
        require-starttls yes
        auth-username relayuser
        auth-password PASSWORD
        smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt
        smtp-tls-allow-tlsv1 no
        smtp-tls-allow-tlsv1.1 no
    </domain>
""")


def everything(report):
    """Errors and warnings, as returned and as formatted (the summary names users on purpose)."""
    found = report.as_dict()
    return repr([found["errors"], found["warnings"]]) + pc.format_errors(report.errors + report.warnings)


def test_baseline_is_valid():
    report = pc.validate(HEAD + DOMAIN.replace("PASSWORD", SECRET))
    assert report.valid, pc.format_errors(report.errors)


@pytest.mark.parametrize("sep", SEPARATORS + OTHER_CONTROLS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_password_with_a_separator_never_leaks_its_tail(sep, compact):
    text = HEAD + DOMAIN.replace("PASSWORD", "head" + sep + SECRET + " more")
    report = pc.validate(text, compact=compact)
    assert not report.valid
    assert "head" not in everything(report) and SECRET not in everything(report)
    assert any("U+%04X" % ord(sep) in f.message for f in report.errors)


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda c: "U+%04X" % ord(c))
def test_separator_cannot_hide_require_auth_behind_a_comment(sep):
    # PowerMTA reads "smtp-service yes # note<sep>require-auth yes" as one line: require-auth is
    # part of the comment, so <source 0/0> is open to every client of the 0/0 listener.
    text = cfg("""
        smtp-listener 0/0:25
        <source 0/0>
            always-allow-relaying no
            smtp-service yes # note%srequire-auth yes
        </source>
    """) % sep + DOMAIN.replace("PASSWORD", SECRET)
    report = pc.validate(text)
    assert not report.valid
    assert any(f.line == 4 and "U+%04X" % ord(sep) in f.message for f in report.errors)


def test_crlf_line_ends_are_accepted():
    assert pc.validate((HEAD + DOMAIN.replace("PASSWORD", SECRET)).replace("\n", "\r\n")).valid


def test_only_blanks_and_tabs_separate_tokens():
    # U+00A0 and U+3000 are str.isspace(); PowerMTA would read one unknown word.
    for blank in ("\u00a0", "\u3000", "\u2003"):
        text = HEAD.replace("always-allow-relaying yes", "always-allow-relaying%syes" % blank) + DOMAIN
        assert not pc.validate(text).valid


SECRET_LINES = [
    "auth-password %s",  # top level: not allowed here
    "<source 10.0.0.1>\npassword %s\n</source>",
    "<smtp-user app>\npassword %s extra\n</smtp-user>",
    "<smtp-user app>\nPassWord %s\n</smtp-user>",
    "<password %s",  # malformed tag
    "<smtp-user a> password %s </smtp-user>",  # text after a tag
    "<domain *>\nauth-password %s <x>\n</domain>",
    "<smtp-user %s> password x",
    "password%s",  # unknown directive that starts with password
    "smtp-listener password %s",
]


@pytest.mark.parametrize("line", SECRET_LINES)
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_no_token_of_a_line_holding_a_secret_is_quoted(line, compact):
    text = HEAD + (line % SECRET) + "\n" + DOMAIN.replace("PASSWORD", "x")
    report = pc.validate(text, compact=compact)
    assert SECRET not in everything(report)
    if "password %s" in line.lower():
        assert SECRET not in pc.mask_secrets(text)


@pytest.mark.parametrize("sep", SEPARATORS + ["\t", " \t "], ids=repr)
def test_mask_and_diff_hide_a_password_after_any_blank(sep):
    text = HEAD + DOMAIN.replace("auth-password PASSWORD", "auth-password" + sep + SECRET)
    assert SECRET not in pc.mask_secrets(text)
    assert SECRET not in "\n".join(pc.masked_diff("", text))
    assert pc.secret_values(text) == [SECRET]


# ---------------------------------------------------------------------------
# Item 10: no crash, no recursion limit, linear time
# ---------------------------------------------------------------------------

DIGITS = ["\u00b2", "\u0663", "\uff11", "\u2460", "\U0001d7d9"]  # ², Arabic-Indic 3, fullwidth 1, ①, 𝟙


@pytest.mark.parametrize("digit", DIGITS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize(
    "template",
    [
        "http-mgmt-port {d}",
        "smtp-listener 127.0.0.1:{d}",
        "smtp-listener 127.0.0.1:2{d}",
        "total-max-smtp-out {d}",
        "<source {d}/8>\n</source>",
        "<source 10/{d}>\n</source>",
        "http-access {d}.0.0.1 admin",
        "<domain *>\nroute smtp.example.net:{d}\n</domain>",
        "<domain *>\nroute [smtp.example.net]:{d}\n</domain>",
        "<domain example.com>\nroute smtp.example.net\ndefault-smtp-port {d}\n</domain>",
        "<domain *>\nretry-after {d}m\n</domain>",
        "<acct-file /x>\nmax-size {d}M\n</acct-file>",
    ],
)
def test_non_ascii_digits_are_errors_not_crashes(digit, template):
    text = HEAD + template.format(d=digit) + "\n" + DOMAIN
    for compact in (False, True):
        report = pc.validate(text, compact=compact)
        assert not report.valid


def test_non_ascii_digit_in_route_is_not_taken_as_default_port():
    text = HEAD + DOMAIN.replace(
        "smtp-hosts smtp.example.net:587", "route smtp.example.net\n    default-smtp-port \u00b2"
    )
    report = pc.validate(text)
    assert not report.valid and report.summary["route"]["port"] is None


@pytest.mark.parametrize("depth", [1100, 20000])
def test_deep_nesting_is_an_error_not_a_recursion_error(depth):
    text = HEAD + "<virtual-mta a>\n" * depth + "</virtual-mta>\n" * depth + DOMAIN
    started = time.process_time()
    report = pc.validate(text)
    assert time.process_time() - started < 5
    assert not report.valid
    assert any("is not allowed in <virtual-mta a>" in f.message for f in report.errors)


def test_unbalanced_deep_nesting():
    text = HEAD + "<source 10.0.0.1>\n" * 5000 + "</domain>\n" * 5000 + DOMAIN
    assert not pc.validate(text).valid


SIZE = 100 * 1024
ADVERSARIAL = {
    "tag-spaces": "<a" + " " * SIZE,
    "tag-spaces-word": "<source" + " " * SIZE + "x",
    "tag-spaces-close": "<source" + " \t" * (SIZE // 2) + "x >",
    "mid-line-tags": "x " + "<a " * (SIZE // 3),
    "lt-only": "<" * SIZE,
    "lt-gt": "<a" * (SIZE // 4) + ">",
    "many-tags": "<a>" * (SIZE // 3),
    "comment-directives": "x #use-starttls " * (SIZE // 16),
    "hashes": "#" * SIZE,
    "password-words": "password " * (SIZE // 9),
    "password-hash": "password x#" * (SIZE // 11),
    "quotes": '"' * SIZE,
    "tokens": "a " * (SIZE // 2),
    "route-colons": "route " + ":" * SIZE,
    "brackets": "route [" + "a" * SIZE,
    "digits": "max-smtp-out " + "9" * SIZE,
    "dots": "<domain " + "a." * (SIZE // 2) + ">",
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_a_100kb_adversarial_line_lints_in_well_under_a_second(name, compact):
    line = ADVERSARIAL[name]
    started = time.process_time()
    report = pc.validate(line + "\n", compact=compact)
    pc.mask_secrets(line)
    pc.masked_diff(line, line + "x")
    elapsed = time.process_time() - started
    assert elapsed < 0.5, "%s took %.2f s of CPU" % (name, elapsed)
    assert isinstance(report.valid, bool)


def test_time_is_linear_in_the_input():
    def cost(size):
        line = "<source" + " " * size + "x"
        started = time.process_time()
        for _dummy in range(5):
            pc.validate(line, compact=True)
        return time.process_time() - started

    small, large = cost(20000), cost(160000)
    assert large < small * 8 * 3 + 0.05  # 8x the input: at most ~8x the time (with slack), not 64x


def test_text_must_be_a_string():
    with pytest.raises(TypeError):
        pc.validate(b"smtp-listener 127.0.0.1:25")


# ---------------------------------------------------------------------------
# Item 2: listeners, catch-all source, http-access, public relay space
# ---------------------------------------------------------------------------


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


# Every directive of the table, with a valid value in one of its contexts, parses without an
# error, and with a value of the wrong type gets an error naming it (mutation: a renamed or
# retyped table entry must fail a test).
SAMPLE_VALUES = {
    "bool": "yes",
    "uint": "5",
    "port": "25",
    "duration": "10m",
    "duration_list": "10m,1h",
    "duration_or_never": "never",
    "size": "50M",
    "rate": "100/h",
    "email": "pm@example.com",
    "hostname": "mta.example.com",
    "ip_or_cidr": "10.0.0.0/8",
    "listener": "127.0.0.1:25",
    "hostport": "[smtp.example.net]:587",
    "path": "/var/x",
    "name": "mta1",
    "user": "app",
    "access_level": "none",
    "auth_method": "password",
    "named_source": "{relay}",
    "string": "x",
    "secret": "x",
    "smtp_hosts": "h1.example.net, h2.example.net; [10.1.1.1]:2525; [IPv6:2001:db8::1]:587",
    "dkim_key": "key1,example.com,/etc/pmta/key1.pem",
    "dkim_sign": "if-x-dkim-options-present",
    "pattern_line": "/421 4\\.7\\.[0-9]/ mode=backoff",
    "domain_pattern": "example.com",
}
STANZA_ARGS = {
    "source": "10.0.0.1",
    "domain": "example.com",
    "virtual-mta": "mta1",
    "virtual-mta-pool": "pool1",
    "smtp-user": "app",
    "acct-file": "/var/x",
    "spool": "/var/spool/pmta",
    "bounce-processor": None,
    "feedback-loop-processor": None,
    "address-list": None,
    "smtp-pattern-list": "throttling",
}
# Stanzas that only exist inside another one.
STANZA_PARENT = {"address-list": "bounce-processor"}


def _in_context(context, line):
    if context == pc.GLOBAL:
        return line + "\n"
    arg = STANZA_ARGS[context]
    text = "<%s%s>\n%s\n</%s>\n" % (context, " " + arg if arg else "", line, context)
    if context in STANZA_PARENT:
        text = _in_context(STANZA_PARENT[context], text.rstrip("\n"))
    return text


@pytest.mark.parametrize("name", sorted(pc.DIRECTIVES))
def test_every_directive_parses_with_a_valid_value(name):
    contexts, spec = pc.DIRECTIVES[name]
    values = [SAMPLE_VALUES[item.lstrip("?*")] for item in spec]
    for context in contexts:
        _root, errors, _warnings = pc.parse(_in_context(context, " ".join([name] + values)))
        assert errors == [], (context, errors)


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, (_c, spec) in pc.DIRECTIVES.items()
        if not any(i.lstrip("?*") in ("string", "secret", "user") for i in spec)
    ),
)
def test_every_typed_directive_refuses_a_wrong_value(name):
    contexts, spec = pc.DIRECTIVES[name]
    line = " ".join([name] + ["%bad"] * len(spec))
    _root, errors, _warnings = pc.parse(_in_context(contexts[0], line))
    assert any("directive '%s' expects" % name in e.message for e in errors), errors


@pytest.mark.parametrize("name", sorted(pc.DIRECTIVES))
def test_every_directive_is_refused_outside_its_contexts(name):
    contexts, spec = pc.DIRECTIVES[name]
    values = [SAMPLE_VALUES[item.lstrip("?*")] for item in spec]
    others = [c for c in [pc.GLOBAL] + sorted(STANZA_ARGS) if c not in contexts and c not in pc.LENIENT_STANZAS]
    for context in others[:2]:
        _root, errors, _warnings = pc.parse(_in_context(context, " ".join([name] + values)))
        assert any("is not allowed in" in e.message or "holds a password" in e.message for e in errors), (
            context,
            errors,
        )


# Written out (not read from pc.REPEATABLE) so that a changed entry fails.
REPEATABLE_DIRECTIVES = [
    "smtp-listener",
    "http-access",
    "relay-domain",
    "relay-address",
    "include",
    "smtp-source-host",
    "virtual-mta",
    "record-fields",
    "map-header-to-field",
    "route",
    "smtp-hosts",
]


@pytest.mark.parametrize("name", REPEATABLE_DIRECTIVES)
def test_repeatable_directives_do_not_warn_when_repeated(name):
    contexts, spec = pc.DIRECTIVES[name]
    line = " ".join([name] + [SAMPLE_VALUES[item.lstrip("?*")] for item in spec])
    _root, _errors, warnings = pc.parse(_in_context(contexts[0], line + "\n" + line))
    report = pc.validate(_in_context(contexts[0], line + "\n" + line), fragment=True)
    assert not any("repeated" in w.message for w in report.warnings + warnings), report.warnings


@pytest.mark.parametrize(
    "text, message",
    [
        ("<smtp-user a{b>\n</smtp-user>\n", "stanza <smtp-user a{b>: expected a user name"),
        ("<source x>\n</source>\n", "stanza <source x>: expected an IP address, a CIDR range such as 0/0, or a {name}"),
        (
            "<domain a..b>\n</domain>\n",
            "stanza <domain a..b>: expected *, a domain name or a wildcard such as *.example.com",
        ),
        (
            "<virtual-mta -x>\n</virtual-mta>\n",
            "stanza <virtual-mta -x>: expected a name made of letters, digits, '.', '_' or '-'",
        ),
        ("<acct-file>\n</acct-file>\n", "stanza <acct-file> needs an argument (an absolute path, or |command)"),
        ("<bounce-processor x>\n</bounce-processor>\n", "stanza <bounce-processor> takes no argument"),
        ("<address-list>\n</address-list>\n", "stanza <address-list> is not allowed in the top level"),
    ],
)
def test_stanza_argument_messages(text, message):
    _root, errors, _warnings = pc.parse(text)
    assert message in [e.message for e in errors], errors


def test_a_stanza_closed_by_its_parent_ends_on_the_parent_closing_line():
    root, errors, _warnings = pc.parse("<virtual-mta a>\n<domain *>\n</virtual-mta>\n")
    vmta = root.stanzas("virtual-mta")[0]
    assert vmta.end_line == 3 and vmta.stanzas("domain")[0].end_line == 3
    assert errors


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
