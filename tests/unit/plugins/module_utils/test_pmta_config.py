# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The linter through its public face, module_utils/pmta_config, against a corpus of realistic
PowerMTA configurations (tests/unit/fixtures/pmta). The tests of each layer are in
tests/unit/plugins/module_utils/pmta/.

Each file lints with no error as a PowerMTA configuration; the only warnings are the kinds that
say what the linter did not check. Each file is then broken in several ways, one at a time, and
the error must be reported on the broken line.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "unit", "fixtures", "pmta")
FILES = sorted(name for name in os.listdir(CORPUS) if name.endswith(".conf"))

# What a warning on a corpus file may say: what was not checked, or relay safety (policy off).
ALLOWED_WARNINGS = (
    "is in the PowerMTA reference",
    "are not validated",
    "relays for public addresses",
    "not in the directive table",
)


def read(name):
    with open(os.path.join(CORPUS, name)) as handle:
        return handle.read()


def test_the_corpus_is_there():
    assert len(FILES) >= 6
    readme = read("README.md")
    for name in FILES:
        assert "`%s`" % name in readme, name


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_is_a_valid_powermta_configuration(name):
    report = pc.validate(read(name), policy=False)
    assert report.valid, pc.format_errors(report.errors)
    for warning in report.warnings:
        assert any(text in warning.message for text in ALLOWED_WARNINGS), pc.format_error(warning)


def test_the_smarthost_relay_meets_the_relay_policy():
    report = pc.validate(read("smarthost-relay.conf"), policy=True)
    assert report.valid, pc.format_errors(report.errors)
    assert [w.message for w in report.warnings] == [
        "smtp-hosts lists several hosts (3 preference level(s)); the summary reports the first"
    ]
    route = report.summary["route"]
    assert [[h["kind"] for h in level] for level in route["levels"]] == [["name", "name"], ["ipv4"], ["ipv6"]]
    assert route["host"] == "smtp1.example.net" and route["port"] == 587
    assert report.summary["tls"]["tlsv1.1"] is False and report.summary["tls"]["log_tls"] is True


def test_unchecked_directives_are_reported_with_their_section():
    report = pc.validate(read("dkim-pools.conf"), policy=False)
    found = dict((item["name"], item["reference"]) for item in report.summary["unchecked_directives"])
    assert found == {
        "max-cold-virtual-mta-msg": "section 3.3.10.49",
        "max-errors-per-connection": "section 3.3.10.1",
        "dkim-algorithm": "section 3.3.10.22",
        "dkim-identity": "section 3.3.10.28",
        "bounce-upon-no-mx": "section 3.3.10.61",
    }


def test_the_issue_15_false_errors_are_gone():
    """Each of these was 'unknown' or 'not allowed' on main 1bb313d."""
    text = read("bounce-fbl.conf") + read("smarthost-relay.conf")
    report = pc.validate(read("bounce-fbl.conf"), policy=False)
    assert report.valid, pc.format_errors(report.errors)
    for needle in (
        "<spool ",
        "<bounce-processor>",
        "<feedback-loop-processor>",
        "<rewrite-list ",
        "<address-list>",
        "smtp-tls-ca-file",
        "log-tls",
        "smtp-max-auth-failure-rate",
        "<virtual-mta-pool default>\n    virtual-mta mta1\n    <domain *>",
    ):
        assert needle in text, needle


def test_without_the_policy_a_vendor_style_file_is_not_held_to_one_route():
    text = read("sparkpost-relay.conf")
    assert pc.validate(text, policy=False).valid
    assert "no route or smtp-hosts" in pc.format_errors(pc.validate(text, policy=True).errors)


# (file, text of the line to break, replacement, expected fragment of the error on that line)
BREAKS = [
    ("vendor-sample.conf", "    max-message-size unlimited", "    max-message-size huge", "expects a size"),
    ("vendor-sample.conf", "    require-auth true", "    require-auth maybe", "expects yes/no/true/false"),
    ("vendor-sample.conf", '    password "app secret"', '    passwd "app secret"', "unknown directive 'passwd'"),
    ("vendor-sample.conf", "<domain [*.]example.org>", "<domain [*.]exa mple.org>", "expected *, a domain name"),
    (
        "vendor-sample.conf",
        "    bounce-after 4d12h              # 4 days, 12 hours",
        "    bounce-after 4 days",
        "expects 1 value",
    ),
    ("vendor-sample.conf", "http-access 10.1.0.10 none", "http-access 10.1.0.10 root", "admin, monitor or none"),
    ("vendor-sample.conf", "spool /var/spool/pmta", "spool-dir /var/spool/pmta", "unknown directive 'spool-dir'"),
    (
        "bounce-fbl.conf",
        "    smtp-max-auth-failure-rate 1/min",
        "    smtp-max-auth-failure-rate often",
        "expects a rate",
    ),
    ("bounce-fbl.conf", "    <address-list>", "    <address-lists>", "unknown stanza <address-lists>"),
    (
        "bounce-fbl.conf",
        "        domain fbl.news.example.com",
        "        domain fbl..example.com",
        "expects *, a domain name",
    ),
    (
        "bounce-fbl.conf",
        "    deliver-unmatched-email no",
        "    deliver-unmatched-email sometimes",
        "expects yes/no/true/false",
    ),
    (
        "bounce-fbl.conf",
        "domain-key news, news.example.com,  /etc/pmta/news.news.example.com.pem",
        "domain-key news, /etc/pmta/news.pem",
        "expects selector,domain,key-file",
    ),
    ("bounce-fbl.conf", "        dkim-sign yes", "        dkim-sign always", "if-x-dkim-options-present"),
    ("bounce-fbl.conf", "    deliver-only no", "    smtp-service no", "is not allowed in <spool>"),
    ("bounce-fbl.conf", "    move-interval 5m", "    move-interval soon", "expects a time interval"),
    ("bounce-fbl.conf", "    virtual-mta mta1", "    virtual-mta mta9", "lists unknown virtual MTA 'mta9'"),
    (
        "dkim-pools.conf",
        "    reply /421 .* try again later/ mode=backoff",
        "    reply /421/ mode=panic",
        "action 'mode' expects one of backoff, normal",
    ),
    ("dkim-pools.conf", "    backoff-max-msg-rate 50/h", "    backoff-max-msg-rate fifty", "expects a rate"),
    ("dkim-pools.conf", "    backoff-retry-after 30m", "    backoff-retry-after 30 m", "expects 1 value"),
    (
        "dkim-pools.conf",
        "    domain-key tx,shop.example.com,/etc/pmta/dkim/tx.shop.example.com.pem",
        "    domain-key tx,shop.example.com",
        "expects selector,domain,key-file",
    ),
    (
        "dkim-pools.conf",
        "    smtp-pattern-list isp-throttling\n    reuse-ssl-session true",
        "    smtp-pattern-list isp throttling\n    reuse-ssl-session true",
        "expects 1 value",
    ),
    ("dkim-pools.conf", "    cold-virtual-mta news2", "    cold-virtual-mta news2 news3", "expects 1 value"),
    ("sparkpost-relay.conf", "<domain {sparkpost}>", "<domain {spark post}>", "expected *, a domain name"),
    (
        "sparkpost-relay.conf",
        "    pattern-list domainsRelayedToSparkPost",
        "    pattern-lists x",
        "unknown directive 'pattern-lists'",
    ),
    (
        "sparkpost-relay.conf",
        "        queue-to {sparkpost}",
        "        smtp-source-host 10.0.0.1 x.example.com",
        "is not allowed in <domain>",
    ),
    ("sparkpost-relay.conf", "    auth-username SMTP_Injection", "    auth-username", "expects 1 value, got 0"),
    (
        "smarthost-relay.conf",
        "        smtp-hosts smtp.eu.example.net:2525",
        "        smtp-hosts [smtp.eu.example.net]:2525",
        "brackets are for IP address literals only",
    ),
    (
        "smarthost-relay.conf",
        "    smtp-hosts smtp1.example.net:587, smtp2.example.net:587; [192.0.2.25]:2525; [IPv6:2001:db8::25]:587",
        "    smtp-hosts smtp1.example.net:587, ; [2001:db8::25]:587",
        "an empty host between separators",
    ),
    (
        "smarthost-relay.conf",
        "    smtp-hosts smtp1.example.net:587, smtp2.example.net:587; [192.0.2.25]:2525; [IPv6:2001:db8::25]:587",
        "    smtp-hosts 2001:db8::25:587",
        "write an IPv6 address as [IPv6:address]",
    ),
    (
        "smarthost-relay.conf",
        "    smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt",
        "    smtp-tls-ca-file certs/ca.pem",
        "expects an absolute path",
    ),
    (
        "smarthost-relay.conf",
        "    log-tls yes\n    use-unencrypted-plain-auth no\n    auth-username apikey",
        "    log-tls verbose\n    use-unencrypted-plain-auth no\n    auth-username apikey",
        "expects yes/no/true/false",
    ),
    (
        "smarthost-relay.conf",
        "    reply /421[ -]/ mode=backoff",
        "    reply 421 mode=backoff",
        "the pattern must be written /regular expression/",
    ),
    ("accounting.conf", "    delete-after never", "    delete-after forever", "a time interval such as 30d, or never"),
    ("accounting.conf", "    move-to /var/spool/pmta-acct", "    move-to var/spool", "expects an absolute path"),
    ("accounting.conf", "<acct-file /var/log/pmta/diag.csv>", "<acct-file diag.csv>", "an absolute path, or |command"),
    ("accounting.conf", "    sync yes", "    sync always", "expects yes/no/true/false"),
]


@pytest.mark.parametrize(
    "name, line, replacement, fragment", BREAKS, ids=["%s:%d" % (b[0], i) for i, b in enumerate(BREAKS)]
)
def test_a_broken_corpus_file_is_caught_on_its_line(name, line, replacement, fragment):
    text = read(name)
    lines = text.split("\n")
    first = line.split("\n")[0]
    assert lines.count(first) >= 1, first
    position = text.index(line + "\n")
    number = text[:position].count("\n") + 1
    broken = text[:position] + replacement + text[position + len(line) :]
    report = pc.validate(broken, policy=False)
    on_line = [e.message for e in report.errors if e.line == number]
    assert any(fragment in message for message in on_line), (number, pc.format_errors(report.errors))


def test_every_file_is_broken_at_least_four_times():
    for name in FILES:
        assert sum(1 for b in BREAKS if b[0] == name) >= 4, name
