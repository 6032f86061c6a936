# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PowerMTA configuration texts and finders shared by the tests of module_utils/pmta/ (the
linter): a good configuration, the seed guide's snippets, the bases the broken cases build on."""

from __future__ import annotations

import textwrap

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
