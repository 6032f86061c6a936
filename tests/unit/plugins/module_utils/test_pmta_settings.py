# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests for plugins/module_utils/pmta_settings.py (the powermta_relay role's checks).

The role's defaults are the base; each case changes one variable and names the variable the
error must start with.
The value types are tested in test_pmta_values.py, the listeners, users, sources and
http-access in test_pmta_access.py.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps
from ansible_collections.egress.mail.tests.unit.helpers.pmta_settings_cases import (
    EXPOSED,
    PASSWORD,
    PREFIX,
    ROOT,
    USERS,
    defaults,
    settings_with,
)


def test_defaults_pass_and_nothing_returned_holds_a_password():
    result = ps.check(defaults())
    assert result["relay"]["host"] == "smtp.example.net"
    assert result["relay"]["port"] == 587
    assert result["listeners"] == [{"address": "127.0.0.1", "port": 25, "loopback": True, "listener": "127.0.0.1:25"}]
    assert result["exposed_listeners"] == []
    assert PASSWORD not in repr(result)
    users = ps.check(settings_with(smtp_users=USERS, listeners=EXPOSED))
    assert users["smtp_users"] == ["app"] and PASSWORD not in repr(users)


GOOD = [
    ("port-auto", dict(port="auto")),
    ("port-2525-string", dict(port="2525")),
    ("private-allow-list", dict(sources=[{"match": "10.0.0.0/8", "always_allow_relaying": True}], listeners=EXPOSED)),
    ("public-24", dict(sources=[{"match": "8.8.8.0/24", "always_allow_relaying": True}])),
    (
        "public-wide-opt-in",
        dict(sources=[{"match": "8.0.0.0/8", "always_allow_relaying": True}], sources_allow_public=True),
    ),
    (
        "catch-all-auth",
        dict(
            smtp_users=USERS,
            listeners=EXPOSED,
            sources=[{"match": "0/0", "require_auth": True, "always_allow_relaying": True}],
        ),
    ),
    (
        "catch-all-no-service",
        dict(
            listeners=EXPOSED,
            sources=[
                {"match": "10.1.0.0/16", "always_allow_relaying": True},
                {"match": "0.0.0.0/0", "smtp_service": False},
            ],
        ),
    ),
    ("catch-all-loopback-listener", dict(sources=[{"match": "0/0"}])),
    ("ipv6-source", dict(sources=[{"match": "2001:db8::/32", "always_allow_relaying": True}])),
    (
        "http-access-none-everyone",
        dict(http_access=[{"address": "0/0", "level": "none"}, {"address": "::1", "level": "monitor"}]),
    ),
    (
        "vmtas",
        dict(
            virtual_mtas=[
                {
                    "name": "mta1",
                    "source_ip": "192.0.2.10",
                    "hostname": "mta1.example.com",
                    "domains": {
                        "max_smtp_out": 5,
                        "retry_after": "10m,1h",
                        "bounce_after": "4d12h",
                        "max_msg_rate": "100/h",
                    },
                }
            ],
            virtual_mta_pools=[{"name": "pool1", "members": ["mta1"]}],
            sources=[{"match": "127.0.0.1", "always_allow_relaying": True, "default_virtual_mta": "pool1"}],
        ),
    ),
    ("password-with-space", dict(password="two words")),
    ("postmaster", dict(postmaster="postmaster@example.com", host_name="mta.example.com")),
    ("install", dict(install=True, package_src="/tmp/PowerMTA.deb", license_src="/tmp/license")),
]


@pytest.mark.parametrize("changes", [c for _i, c in GOOD], ids=[i for i, _c in GOOD])
def test_accepted(changes):
    result = ps.check(settings_with(**changes))
    assert PASSWORD not in repr(result)


BAD = [
    # (id, changes, variable the message starts with, fragment)
    ("unknown-key", dict(bogus=1), "powermta_relay_bogus", "unknown setting"),
    ("port-465", dict(port=465), "powermta_relay_port", "implicit TLS"),
    ("port-text", dict(port="5x"), "powermta_relay_port", "not a port"),
    ("port-superscript", dict(port="5\u00b2"), "powermta_relay_port", "not a port"),
    ("port-bool", dict(port=True), "powermta_relay_port", "boolean"),
    ("host-missing", dict(host=""), "powermta_relay_host", "required"),
    ("host-space", dict(host="a b"), "powermta_relay_host", ""),
    ("probe-empty", dict(port="auto", probe_ports=[]), "powermta_relay_probe_ports", "at least one"),
    ("probe-465", dict(port="auto", probe_ports=[587, 465]), "powermta_relay_probe_ports[1]", "implicit"),
    ("retry", dict(retry_after="10 minutes"), "powermta_relay_retry_after", ""),
    ("retry-superscript", dict(retry_after="\u00b2m"), "powermta_relay_retry_after", ""),
    ("route-directive", dict(route_directive="smarthost"), "powermta_relay_route_directive", "one of"),
    ("max-smtp-out", dict(max_smtp_out=0), "powermta_relay_max_smtp_out", "at least 1"),
    ("password-hash", dict(password="a#b"), "powermta_relay_password", "'#'"),
    ("password-quote", dict(password='a"b'), "powermta_relay_password", "'#'"),
    ("password-blank-end", dict(password="abc "), "powermta_relay_password", "starts or ends with whitespace"),
    ("username-hash", dict(username="a#b"), "powermta_relay_username", "'#'"),
    ("no-listener", dict(listeners=[]), "powermta_relay_listeners", "at least one"),
    ("listener-cidr", dict(listeners=[{"address": "10.0.0.0/8"}]), "powermta_relay_listeners[0].address", ""),
    ("listener-bad", dict(listeners=[{"address": "999.1.1.1"}]), "powermta_relay_listeners[0].address", ""),
    ("listener-ipv6", dict(listeners=[{"address": "::1"}]), "powermta_relay_listeners[0].address", "IPv4"),
    ("listener-zero-spelling", dict(listeners=[{"address": "0.0.0.0/00"}]), "powermta_relay_listeners[0].address", ""),
    ("listener-port", dict(listeners=[{"address": "127.0.0.1", "port": 0}]), "powermta_relay_listeners[0].port", ""),
    (
        "listener-key",
        dict(listeners=[{"address": "127.0.0.1", "bind": 1}]),
        "powermta_relay_listeners[0]",
        "unknown key",
    ),
    ("exposed-nobody", dict(listeners=EXPOSED), "powermta_relay_listeners", "not a loopback"),
    (
        "exposed-allow-list-without-service",
        dict(
            listeners=EXPOSED, sources=[{"match": "10.0.0.0/8", "always_allow_relaying": True, "smtp_service": False}]
        ),
        "powermta_relay_listeners",
        "not a loopback",
    ),
    (
        "exposed-bare-catch-all",
        dict(listeners=EXPOSED, smtp_users=USERS, sources=[{"match": "0/0"}]),
        "powermta_relay_sources[0].match",
        "catch-all",
    ),
    (
        "open-relay-0/0",
        dict(sources=[{"match": "0/0", "always_allow_relaying": True}]),
        "powermta_relay_sources[0].match",
        "every address",
    ),
    (
        "open-relay-0.0.0.0/0",
        dict(sources=[{"match": "0.0.0.0/0", "always_allow_relaying": True}]),
        "powermta_relay_sources[0].match",
        "every address",
    ),
    (
        "open-relay-00",
        dict(sources=[{"match": "0.0.0.0/00", "always_allow_relaying": True}]),
        "powermta_relay_sources[0].match",
        "",
    ),
    (
        "open-relay-v6",
        dict(sources=[{"match": "::/0", "always_allow_relaying": True}]),
        "powermta_relay_sources[0].match",
        "every address",
    ),
    (
        "catch-all-other-spelling",
        dict(sources=[{"match": "::/0", "smtp_service": False}]),
        "powermta_relay_sources[0].match",
        "every address",
    ),
    ("source-invalid", dict(sources=[{"match": "999.1.1.1/99"}]), "powermta_relay_sources[0].match", ""),
    ("source-dots", dict(sources=[{"match": "...."}]), "powermta_relay_sources[0].match", ""),
    ("source-host-bits", dict(sources=[{"match": "10.0.0.1/8"}]), "powermta_relay_sources[0].match", "host bits"),
    (
        "source-public-wide",
        dict(sources=[{"match": "8.0.0.0/8", "always_allow_relaying": True}]),
        "powermta_relay_sources",
        "sources_allow_public",
    ),
    (
        "source-public-together",
        dict(
            sources=[
                {"match": "8.8.8.0/24", "always_allow_relaying": True},
                {"match": "8.8.9.0/24", "always_allow_relaying": True},
            ]
        ),
        "powermta_relay_sources",
        "together",
    ),
    (
        "source-public-mapped",
        dict(sources=[{"match": "::ffff:8.0.0.0/104", "always_allow_relaying": True}]),
        "powermta_relay_sources",
        "sources_allow_public",
    ),
    (
        "source-bool",
        dict(sources=[{"match": "10.0.0.1", "require_auth": "perhaps"}]),
        "powermta_relay_sources[0].require_auth",
        "boolean",
    ),
    (
        "auth-without-users",
        dict(sources=[{"match": "10.0.0.1", "require_auth": True}]),
        "powermta_relay_sources[0].require_auth",
        "nobody could log in",
    ),
    (
        "starttls-without-cert",
        dict(sources=[{"match": "10.0.0.1", "allow_starttls": True}]),
        "powermta_relay_sources[0].allow_starttls",
        "server_tls_certificate",
    ),
    ("allow-public-bool", dict(sources_allow_public="maybe"), "powermta_relay_sources_allow_public", "boolean"),
    ("user-name-brace", dict(smtp_users=[{"name": "a{b", "password": "x"}]), "powermta_relay_smtp_users[0].name", ""),
    ("user-duplicate", dict(smtp_users=USERS + USERS), "powermta_relay_smtp_users[1].name", "twice"),
    (
        "user-password-hash",
        dict(smtp_users=[{"name": "a", "password": "x#" + PASSWORD}]),
        "powermta_relay_smtp_users[0].password",
        "'#'",
    ),
    ("user-password-missing", dict(smtp_users=[{"name": "a"}]), "powermta_relay_smtp_users[0].password", "required"),
    (
        "http-admin-everyone",
        dict(http_access=[{"address": "0/0", "level": "admin"}]),
        "powermta_relay_http_access[0].address",
        "every address",
    ),
    (
        "http-admin-lan",
        dict(http_access=[{"address": "10.0.0.5", "level": "admin"}]),
        "powermta_relay_http_access[0].address",
        "not a loopback",
    ),
    (
        "http-monitor-lan",
        dict(http_access=[{"address": "192.0.2.0/24", "level": "monitor"}]),
        "powermta_relay_http_access[0].address",
        "not a loopback",
    ),
    (
        "http-level",
        dict(http_access=[{"address": "127.0.0.1", "level": "root"}]),
        "powermta_relay_http_access[0].level",
        "one of",
    ),
    (
        "vmta-name",
        dict(virtual_mtas=[{"name": "a b", "source_ip": "192.0.2.1", "hostname": "h.example"}]),
        "powermta_relay_virtual_mtas[0].name",
        "",
    ),
    (
        "vmta-ip",
        dict(virtual_mtas=[{"name": "a", "source_ip": "192.0.2.300", "hostname": "h.example"}]),
        "powermta_relay_virtual_mtas[0].source_ip",
        "",
    ),
    (
        "vmta-rate",
        dict(
            virtual_mtas=[
                {"name": "a", "source_ip": "192.0.2.1", "hostname": "h.example", "domains": {"max_msg_rate": "fast"}}
            ]
        ),
        "powermta_relay_virtual_mtas[0].domains.max_msg_rate",
        "",
    ),
    (
        "pool-unknown",
        dict(virtual_mta_pools=[{"name": "p", "members": ["nope"]}]),
        "powermta_relay_virtual_mta_pools[0].members[0]",
        "not in",
    ),
    (
        "pool-empty",
        dict(virtual_mta_pools=[{"name": "p", "members": []}]),
        "powermta_relay_virtual_mta_pools[0].members",
        "at least one",
    ),
    (
        "default-vmta",
        dict(sources=[{"match": "127.0.0.1", "default_virtual_mta": "ghost"}]),
        "powermta_relay_sources[0].default_virtual_mta",
        "neither",
    ),
    ("cert-relative", dict(server_tls_certificate="cert.pem"), "powermta_relay_server_tls_certificate", ""),
    ("log-space", dict(log_file="/var/log/pmta log"), "powermta_relay_log_file", "blanks"),
    ("spool-hash", dict(spool_dir="/var/spool/#pmta"), "powermta_relay_spool_dir", ""),
    ("acct-size", dict(acct_max_size="50 MB"), "powermta_relay_acct_max_size", ""),
    ("postmaster", dict(postmaster="nobody"), "powermta_relay_postmaster", ""),
    ("host-name", dict(host_name="-bad-"), "powermta_relay_host_name", ""),
    ("mgmt-port", dict(http_mgmt_port=70000), "powermta_relay_http_mgmt_port", ""),
    ("install-no-package", dict(install=True), "powermta_relay_package_src", "required"),
    (
        "install-wrong-ext",
        dict(install=True, package_src="/tmp/p.rpm", license_src="/l"),
        "powermta_relay_package_src",
        ".deb",
    ),
    ("install-unsupported-os", dict(install=True, package_ext=None), "powermta_relay_install", "supported"),
    ("sources-not-list", dict(sources="127.0.0.1"), "powermta_relay_sources", "list"),
]


@pytest.mark.parametrize("case_id, changes, variable, fragment", BAD, ids=[c[0] for c in BAD])
def test_refused(case_id, changes, variable, fragment):
    with pytest.raises(ValueError) as exc:
        ps.check(settings_with(**changes))
    message = str(exc.value)
    assert message.startswith(variable + ":") or message.startswith(variable + " "), message
    assert fragment in message
    assert PASSWORD not in message


def test_not_a_dict():
    with pytest.raises(ValueError, match="must be a dict"):
        ps.check(["host"])
    with pytest.raises(ValueError, match="prefix"):
        ps.check({}, prefix=None)


def test_settings_keys_match_the_role_variables():
    with open(os.path.join(ROOT, "roles", "powermta_relay", "meta", "argument_specs.yml")) as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    role = set(key[len(PREFIX) :] for key in spec)
    assert set(ps.SETTINGS_KEYS) - {"package_ext"} <= role


def test_input_is_not_modified():
    settings = settings_with(smtp_users=USERS, listeners=EXPOSED)
    before = copy.deepcopy(settings)
    ps.check(settings)
    assert settings == before


# ---------------------------------------------------------------------------
# Issue 15: verified TLS, provider caps, back-off, bounces, accounting, DKIM, per-VMTA smarthosts
# ---------------------------------------------------------------------------
O365 = dict(host="", provider="office365", username="mailbox@example.com")


VMTA = {"name": "eu", "source_ip": "192.0.2.10", "hostname": "eu.example.com"}


OWN = {"host": "smtp.eu.example.net", "port": 2525, "username": "eu", "password": "Eu-" + PASSWORD}


DKIM = {"selector": "s1", "domain": "example.com", "key_file": "/etc/pmta/s1.pem"}


NEW_GOOD = [
    ("office365 capped by default", dict(O365), 3),
    ("office365 at its limit", dict(O365, max_smtp_out=3), 3),
    ("office365 limit shared with two vMTAs", dict(O365, virtual_mtas=[VMTA, dict(VMTA, name="us")]), 1),
    ("a vMTA with its own smarthost is not counted", dict(O365, virtual_mtas=[dict(VMTA, smarthost=OWN)]), 3),
    ("no provider: the PowerMTA default", {}, 20),
    ("no provider: any value", dict(max_smtp_out="50"), 50),
]


@pytest.mark.parametrize("changes, expected", [c[1:] for c in NEW_GOOD], ids=[c[0] for c in NEW_GOOD])
def test_max_smtp_out_follows_the_provider_limit(changes, expected):
    assert ps.check(settings_with(**changes))["max_smtp_out"] == expected


NEW_BAD = [
    (
        "office365 above its limit",
        dict(O365, max_smtp_out=4),
        "powermta_relay_max_smtp_out",
        "4 connections is more than provider 'office365' allows (3 concurrent connections",
    ),
    (
        "office365 limit exceeded by the vMTAs",
        dict(O365, max_smtp_out=2, virtual_mtas=[VMTA]),
        "powermta_relay_max_smtp_out",
        "4 connections in all (the top-level queue and 1 virtual MTA(s)",
    ),
    ("max_smtp_out zero", dict(max_smtp_out=0), "powermta_relay_max_smtp_out", "at least 1"),
    ("no CA file", dict(tls_ca_file=""), "powermta_relay_tls_ca_file", "smtp-tls-ca-file"),
    ("relative CA file", dict(tls_ca_file="certs/ca.pem"), "powermta_relay_tls_ca_file", "an absolute path"),
    ("bad backoff retry", dict(backoff_retry_after="1 hour"), "powermta_relay_backoff_retry_after", "without blanks"),
    ("bad backoff rate", dict(backoff_max_msg_rate="fast"), "powermta_relay_backoff_max_msg_rate", "a rate"),
    (
        "bad backoff to normal",
        dict(backoff_to_normal_after="soon"),
        "powermta_relay_backoff_to_normal_after",
        "or never",
    ),
    ("bad throttling switch", dict(throttling_patterns="on"), "powermta_relay_throttling_patterns", "true or false"),
    ("bad bounce-after", dict(bounce_after="never"), "powermta_relay_bounce_after", "a time interval"),
    ("bad move-interval", dict(acct_move_interval="daily"), "powermta_relay_acct_move_interval", "a time interval"),
    ("bad delete-after", dict(acct_delete_after="-1"), "powermta_relay_acct_delete_after", "or never"),
    (
        "DKIM key without file",
        dict(dkim_keys=[dict(DKIM, key_file="")]),
        "powermta_relay_dkim_keys[0].key_file",
        "is required",
    ),
    (
        "DKIM key file with a comma",
        dict(dkim_keys=[dict(DKIM, key_file="/etc/a,b.pem")]),
        "powermta_relay_dkim_keys[0].key_file",
        "contains a comma",
    ),
    (
        "DKIM bad domain",
        dict(dkim_keys=[dict(DKIM, domain="exa mple.com")]),
        "powermta_relay_dkim_keys[0].domain",
        "a domain name",
    ),
    ("DKIM selector twice", dict(dkim_keys=[DKIM, DKIM]), "powermta_relay_dkim_keys[1]", "defined twice"),
    (
        "DKIM unknown key",
        dict(dkim_keys=[dict(DKIM, algorithm="rsa")]),
        "powermta_relay_dkim_keys[0]",
        "unknown key 'algorithm'",
    ),
    (
        "vMTA smarthost unknown key",
        dict(virtual_mtas=[dict(VMTA, smarthost=dict(OWN, tls=True))]),
        "powermta_relay_virtual_mtas[0].smarthost",
        "unknown key 'tls'",
    ),
    (
        "vMTA smarthost without host",
        dict(virtual_mtas=[dict(VMTA, smarthost={"port": 587})]),
        "powermta_relay_virtual_mtas[0].smarthost.host",
        "is required",
    ),
    (
        "vMTA smarthost user without password",
        dict(virtual_mtas=[dict(VMTA, smarthost=dict(OWN, password=""))]),
        "powermta_relay_virtual_mtas[0].smarthost.password",
        "is required",
    ),
    (
        "vMTA smarthost on 465",
        dict(virtual_mtas=[dict(VMTA, smarthost=dict(OWN, port=465))]),
        "powermta_relay_virtual_mtas[0].smarthost.port",
        "implicit TLS",
    ),
    (
        "vMTA smarthost password with #",
        dict(virtual_mtas=[dict(VMTA, smarthost=dict(OWN, password="a#b"))]),
        "powermta_relay_virtual_mtas[0].smarthost.password",
        "must not contain",
    ),
    (
        "vMTA smarthost is a string",
        dict(virtual_mtas=[dict(VMTA, smarthost="smtp.eu.example.net")]),
        "powermta_relay_virtual_mtas[0].smarthost",
        "must be a dict",
    ),
]


@pytest.mark.parametrize("case_id, changes, variable, fragment", NEW_BAD, ids=[c[0] for c in NEW_BAD])
def test_refused_issue_15(case_id, changes, variable, fragment):
    test_refused(case_id, changes, variable, fragment)


def test_vmta_smarthost_password_is_never_returned_or_quoted():
    result = ps.check(settings_with(virtual_mtas=[dict(VMTA, smarthost=OWN)]))
    assert OWN["password"] not in repr(result)
    with pytest.raises(ValueError) as exc:
        ps.check(settings_with(virtual_mtas=[dict(VMTA, smarthost=dict(OWN, password="Sec#ret-9"))]))
    assert "Sec#ret-9" not in str(exc.value)


@pytest.mark.parametrize(
    "host, port, written",
    [
        ("smtp.example.net", 587, "smtp.example.net:587"),
        ("10.1.1.1", 2525, "[10.1.1.1]:2525"),
        ("2001:db8::1", 587, "[IPv6:2001:db8::1]:587"),
        ("smtp.example.net", None, "smtp.example.net"),
    ],
)
def test_smtp_host_writes_the_reference_syntax(host, port, written):
    from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc

    assert ps.smtp_host(host, port) == written
    levels, problem = pc.parse_smtp_hosts(written)
    assert problem is None and levels[0][0]["host"] == host and levels[0][0]["port"] == port


def test_result_carries_the_dkim_keys_ca_file_and_smtp_host():
    result = ps.check(settings_with(dkim_keys=[DKIM], host="2001:db8::1"))
    assert result["dkim_keys"] == ["s1,example.com,/etc/pmta/s1.pem"]
    assert result["tls_ca_file"] == "/etc/ssl/certs/ca-certificates.crt"
    assert result["relay"]["smtp_host"] == "[IPv6:2001:db8::1]"
