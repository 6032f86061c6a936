# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render roles/powermta_relay/templates/config.j2 over many variable combinations and lint the result.

Every combination the role accepts must give a configuration that
egress.mail.pmta_config considers valid, with the smarthost route, STARTTLS and
AUTH settings the variables asked for, and no password outside the masked
secret lines.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap

import jinja2
import pytest
import yaml

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps
from ansible_collections.egress.mail.plugins.module_utils import role_vars as rv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "powermta_relay")
TEMPLATE = os.path.join(ROLE, "templates", "config.j2")


def _ansible_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "on", "1", "true", "y", "t")


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.dirname(TEMPLATE)),
    trim_blocks=True,  # what lookup('ansible.builtin.template') uses
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
ENV.filters["bool"] = _ansible_bool
ENV.filters["egress.mail.pmta_smtp_host"] = ps.smtp_host


def load_yaml(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


DEFAULTS = load_yaml("defaults", "main.yml")


def role_vars(**overrides):
    variables = copy.deepcopy(DEFAULTS)
    variables.update(
        {
            "powermta_relay_host": "smtp.example.net",
            "powermta_relay_username": "relayuser",
            "powermta_relay_password": "S3cret-pass",
        }
    )
    variables.update(overrides)
    variables.setdefault(
        "__powermta_relay_smarthost",
        {
            "host": variables["powermta_relay_host"],
            "username": variables["powermta_relay_username"],
        },
    )
    variables.setdefault("powermta_relay_selected_port", 587)
    variables.setdefault("__powermta_relay_auth_password", variables["powermta_relay_password"])
    variables.setdefault("__powermta_relay_max_smtp_out", variables["powermta_relay_max_smtp_out"] or 20)
    variables.setdefault(
        "__powermta_relay_tls_ca_file", variables["powermta_relay_tls_ca_file"] or "/etc/ssl/certs/ca-certificates.crt"
    )
    return variables


def render(variables):
    return ENV.get_template("config.j2").render(**variables)


def secrets_of(variables):
    found = [variables.get("__powermta_relay_auth_password") or variables.get("powermta_relay_password") or ""]
    found += [u["password"] for u in variables.get("powermta_relay_smtp_users", [])]
    return [s for s in found if s]


def check(variables):
    text = render(variables)
    report = pc.validate(text, policy=True)
    assert report.valid, "%s\n---\n%s" % (pc.format_errors(report.errors), text)
    # every directive the role writes is in the table and type-checked: nothing reported as unchecked
    assert report.summary["unchecked_directives"] == [], report.summary["unchecked_directives"]
    assert report.summary["tls"] == {
        "tlsv1": False,
        "tlsv1.1": False,
        "tlsv1.2": True,
        "tlsv1.3": True,
        "ca_file": variables["__powermta_relay_tls_ca_file"],
        "log_tls": True,
    }

    expected_warnings = []
    if variables["__powermta_relay_auth_password"] and not variables["powermta_relay_require_starttls"]:
        expected_warnings.append("without 'require-starttls yes'")
    if variables["powermta_relay_route_directive"] == "route":
        expected_warnings.append("'route' is deprecated by the PowerMTA reference (section 3.3.10.88); use smtp-hosts")
    for warning in report.warnings:
        assert any(e in warning.message for e in expected_warnings), pc.format_error(warning)

    summary = report.summary
    relay = variables["__powermta_relay_smarthost"]
    assert summary["route"]["host"] == relay["host"]
    assert summary["route"]["port"] == variables["powermta_relay_selected_port"]
    assert summary["route"]["directive"] == variables["powermta_relay_route_directive"]
    assert summary["starttls"] == {"use": True, "require": bool(variables["powermta_relay_require_starttls"])}
    assert summary["auth_user"] == (relay["username"] or None)
    assert summary["auth_password_set"] == bool(variables["__powermta_relay_auth_password"])
    assert summary["listeners"] == [
        "%s:%s" % (lst["address"], lst.get("port", 25)) for lst in variables["powermta_relay_listeners"]
    ]
    assert summary["smtp_users"] == [u["name"] for u in variables["powermta_relay_smtp_users"]]
    # always a catch-all that either requires authentication or refuses service
    catch_all = [s for s in summary["sources"] if s["match"] in ("0/0", "0.0.0.0/0")]
    assert catch_all and (catch_all[-1]["require_auth"] or catch_all[-1]["smtp_service"] is False)

    masked = pc.mask_secrets(text)
    summary_text = json.dumps(report.as_dict())
    for secret in secrets_of(variables):
        assert secret not in masked
        assert secret not in summary_text
    return text, report


# ---------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------

LISTENERS = [
    [{"address": "127.0.0.1", "port": 25}],
    [{"address": "0/0", "port": 25}],
    [{"address": "127.0.0.1", "port": 25}, {"address": "10.0.1.22", "port": 587}],
]
USERS = [
    [],
    [{"name": "app", "password": "app-Pass1"}],
    [{"name": "app", "password": "pass with spaces"}, {"name": "svc@example.com", "password": "Xy-Pass9"}],
]
SOURCES = [
    [{"match": "127.0.0.1", "always_allow_relaying": True}],
    [
        {"match": "127.0.0.1", "always_allow_relaying": True},
        {"match": "10.0.5.0/24", "always_allow_relaying": True, "smtp_service": True},
    ],
    [
        {"match": "127.0.0.1", "always_allow_relaying": True},
        {
            "match": "0/0",
            "require_auth": True,
            "always_allow_relaying": True,
            "allow_starttls": True,
            "require_starttls_before_auth": True,
        },
    ],
]
CERTS = ["", "/etc/pmta/server.pem"]
VMTAS = [
    ([], []),
    (
        [
            {
                "name": "mta1",
                "source_ip": "192.0.2.10",
                "hostname": "mta1.example.com",
                "domains": {"max_smtp_out": 5, "retry_after": "10m", "bounce_after": "4d12h", "max_msg_rate": "100/h"},
            },
            {"name": "mta2", "source_ip": "192.0.2.11", "hostname": "mta2.example.com"},
        ],
        [{"name": "pool1", "members": ["mta1", "mta2"]}],
    ),
]
ROUTE_DIRECTIVES = ["smtp-hosts", "route"]
REQUIRE_STARTTLS = [True, False]
HOSTS = ["smtp.example.net", "192.0.2.25", "2001:db8::25"]
CREDENTIALS = [("apikey", "S3cret-pass"), ("postmaster@mg.example.com", "pass word 2"), ("", "")]
PORTS = [587, 2525]


def os_computed(variables):
    """What tasks/validate.yml takes from vars/Debian.yml."""
    ca_file = variables.get("powermta_relay_tls_ca_file") or "/etc/ssl/certs/ca-certificates.crt"
    return {"package_ext": "deb", "tls_ca_file": ca_file}


def role_settings(variables):
    """The filter input tasks/validate.yml builds from the role variables (the one mapping, role_vars)."""
    return rv.inputs(variables, "powermta_relay", os_computed(variables))


def supported(variables):
    """The role's own checks (pmta_settings.check(), what tasks/validate.yml calls) accept these."""
    try:
        ps.check(role_settings(variables))
    except ValueError:
        return False
    return True


def build(listeners, users, sources, cert, vmtas, route_directive, require_starttls, host, creds, port):
    username, password = creds
    vmta_list, pools = vmtas
    sources = copy.deepcopy(sources)
    if vmta_list:
        sources.append(
            {
                "match": "10.9.9.9",
                "always_allow_relaying": True,
                "process_x_virtual_mta": True,
                "default_virtual_mta": "pool1",
            }
        )
    return role_vars(
        powermta_relay_listeners=listeners,
        powermta_relay_smtp_users=users,
        powermta_relay_sources=sources,
        powermta_relay_server_tls_certificate=cert,
        powermta_relay_virtual_mtas=vmta_list,
        powermta_relay_virtual_mta_pools=pools,
        powermta_relay_route_directive=route_directive,
        powermta_relay_require_starttls=require_starttls,
        powermta_relay_host=host,
        powermta_relay_username=username,
        powermta_relay_password=password,
        powermta_relay_selected_port=port,
    )


def local_combinations():
    """Every listener/user/source/certificate/virtual-MTA combination; smarthost axes rotate."""
    tails = list(itertools.product(ROUTE_DIRECTIVES, REQUIRE_STARTTLS, HOSTS, CREDENTIALS, PORTS))
    combos, refused = [], []
    for index, head in enumerate(itertools.product(LISTENERS, USERS, SOURCES, CERTS, VMTAS)):
        combo = head + tails[(index * 7) % len(tails)]
        (combos if supported(build(*combo)) else refused).append(combo)
    return combos, refused


def smarthost_combinations():
    """Every smarthost combination with the default local side."""
    head = (LISTENERS[0], USERS[0], SOURCES[0], CERTS[0], VMTAS[0])
    return [head + tail for tail in itertools.product(ROUTE_DIRECTIVES, REQUIRE_STARTTLS, HOSTS, CREDENTIALS, PORTS)]


LOCAL, REFUSED = local_combinations()
SMARTHOST = smarthost_combinations()


@pytest.mark.parametrize("combo", LOCAL, ids=["local%d" % i for i in range(len(LOCAL))])
def test_local_side_combinations_are_valid(combo):
    check(build(*combo))


@pytest.mark.parametrize("combo", SMARTHOST, ids=["smarthost%d" % i for i in range(len(SMARTHOST))])
def test_smarthost_combinations_are_valid(combo):
    check(build(*combo))


def test_matrix_is_large():
    assert len(LOCAL) >= 70
    assert len(SMARTHOST) == 72
    assert REFUSED, "the role's checks refuse nothing in the matrix: the filter is not being applied"


def test_role_checks_accept_every_smarthost_combination():
    assert all(supported(build(*combo)) for combo in SMARTHOST)


@pytest.mark.parametrize("combo", REFUSED[:12], ids=["refused%d" % i for i in range(len(REFUSED[:12]))])
def test_what_the_role_refuses_the_linter_refuses_or_flags(combo):
    """The role's checks are no looser than the linter: a refused combination may lint clean only when
    the refusal is one the linter only warns about (STARTTLS without a certificate, auth without users)."""
    variables = build(*combo)
    with pytest.raises(ValueError) as exc:
        ps.check(role_settings(variables))
    report = pc.validate(render(variables))
    if report.valid:
        assert any(
            reason in str(exc.value)
            for reason in ("server_tls_certificate", "nobody could log in", "is not a loopback address")
        ), str(exc.value)


# ---------------------------------------------------------------------------
# Specific renderings
# ---------------------------------------------------------------------------


def test_defaults_render_a_loopback_only_relay():
    text, report = check(role_vars())
    assert report.summary["listeners"] == ["127.0.0.1:25"]
    assert "    smtp-hosts smtp.example.net:587\n" in text
    assert (
        "    use-starttls yes\n    require-starttls yes\n"
        "    smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\n"
        "    smtp-tls-allow-tlsv1 no\n    smtp-tls-allow-tlsv1.1 no\n"
        "    smtp-tls-allow-tlsv1.2 yes\n    smtp-tls-allow-tlsv1.3 yes\n"
        "    log-tls yes\n    use-unencrypted-plain-auth no\n"
    ) in text
    assert (
        "    max-smtp-out 20\n    retry-after 10m\n    backoff-retry-after 1h\n"
        "    backoff-to-normal-after 1h\n    backoff-to-normal-after-delivery yes\n"
        "    smtp-pattern-list egress-throttling\n    bounce-after 4d12h\n</domain>\n"
    ) in text
    assert (
        "<smtp-pattern-list egress-throttling>\n    reply /421[ -]/ mode=backoff\n"
        "    reply /4[0-9][0-9][ -]4\\.7\\.[0-9]+/ mode=backoff\n</smtp-pattern-list>\n"
    ) in text
    assert "    move-interval 1d\n    delete-after 30d\n</acct-file>\n" in text
    assert "dkim-sign" not in text and "domain-key" not in text
    assert "auth-username relayuser\n" in text
    assert "auth-password S3cret-pass\n" in text
    assert "http-access 127.0.0.1 admin\n" in text
    # no user: everyone but the allow-listed sources is refused
    assert "<source 0/0>\n    smtp-service no\n" in text
    assert text.endswith("</domain>\n")


@pytest.mark.parametrize(
    "host, written",
    [
        ("smtp.example.net", "smtp-hosts smtp.example.net:2525"),
        ("192.0.2.25", "smtp-hosts [192.0.2.25]:2525"),
        ("2001:db8::25", "smtp-hosts [IPv6:2001:db8::25]:2525"),
    ],
)
def test_smtp_hosts_uses_the_reference_syntax(host, written):
    text, report = check(role_vars(powermta_relay_host=host, powermta_relay_selected_port=2525))
    assert "    %s\n" % written in text
    kinds = {"smtp.example.net": "name", "192.0.2.25": "ipv4", "2001:db8::25": "ipv6"}
    assert report.summary["route"]["levels"][0][0]["kind"] == kinds[host]


def test_throttling_backoff_dkim_and_accounting_settings():
    text, _report = check(
        role_vars(
            powermta_relay_backoff_max_msg_rate="100/h",
            powermta_relay_backoff_retry_after="30m,1h",
            powermta_relay_backoff_to_normal_after="never",
            powermta_relay_bounce_after="1d",
            powermta_relay_throttling_patterns=False,
            powermta_relay_acct_move_interval="",
            powermta_relay_acct_delete_after="never",
            __powermta_relay_max_smtp_out=3,
            powermta_relay_dkim_keys=[{"selector": "s1", "domain": "example.com", "key_file": "/etc/pmta/s1.pem"}],
        )
    )
    assert "    max-smtp-out 3\n" in text
    assert "    backoff-retry-after 30m,1h\n    backoff-max-msg-rate 100/h\n    backoff-to-normal-after never\n" in text
    assert "smtp-pattern-list" not in text
    assert "    bounce-after 1d\n    dkim-sign yes\n</domain>\n" in text
    assert "\ndomain-key s1,example.com,/etc/pmta/s1.pem\n" in text
    assert "move-interval" not in text and "    delete-after never\n" in text


def test_virtual_mta_with_its_own_smarthost_and_credentials():
    vmtas = [
        {
            "name": "eu",
            "source_ip": "192.0.2.10",
            "hostname": "eu.example.com",
            "smarthost": {
                "host": "smtp.eu.example.net",
                "port": 2525,
                "username": "eu-user",
                "password": "Eu-Secret-1",
            },
            "domains": {"max_smtp_out": 2},
        },
        {"name": "plain", "source_ip": "192.0.2.11", "hostname": "plain.example.com"},
    ]
    variables = role_vars(powermta_relay_virtual_mtas=vmtas)
    assert supported(variables)
    text, report = check(variables)
    assert (
        "<virtual-mta eu>\n    smtp-source-host 192.0.2.10 eu.example.com\n    <domain *>\n"
        "        smtp-hosts smtp.eu.example.net:2525\n        use-starttls yes\n        require-starttls yes\n"
        "        smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt\n"
    ) in text
    assert "        auth-username eu-user\n        auth-password Eu-Secret-1\n        max-smtp-out 2\n" in text
    assert "Eu-Secret-1" not in pc.mask_secrets(text) and "Eu-Secret-1" not in json.dumps(report.as_dict())
    broken = text.replace("        smtp-tls-allow-tlsv1.1 no\n", "", 1)
    errors = pc.validate(broken).errors
    assert [e.message for e in errors if "smtp-tls-allow-tlsv1.1" in e.message], errors


def test_passwords_with_spaces_are_quoted():
    text, _report = check(
        role_vars(powermta_relay_password="a b", powermta_relay_smtp_users=[{"name": "u", "password": "c d"}])
    )
    assert 'auth-password "a b"\n' in text
    assert 'password "c d"\n' in text


def test_route_directive_route_brackets_ipv6_only():
    text, _report = check(role_vars(powermta_relay_route_directive="route"))
    assert "    route smtp.example.net:587\n" in text
    text, _report = check(role_vars(powermta_relay_route_directive="route", powermta_relay_host="2001:db8::25"))
    assert "    route [2001:db8::25]:587\n" in text


def test_route_alias_warns_when_the_role_checks_it():
    variables = role_vars(powermta_relay_route_directive="route")
    assert ps.check(role_settings(variables))["deprecations"] == [
        "powermta_relay_route_directive: route is deprecated by the PowerMTA reference (section 3.3.10.88, "
        '"use smtp-hosts instead"); the role still renders it, but set smtp-hosts'
    ]
    assert ps.check(role_settings(role_vars()))["deprecations"] == []


def test_users_get_an_authenticated_source_and_the_catch_all_requires_auth():
    text, report = check(role_vars(powermta_relay_smtp_users=[{"name": "app", "password": "pw"}]))
    assert "<smtp-user app>\n    password pw\n    source {egress-authenticated}\n</smtp-user>\n" in text
    by_match = {s["match"]: s for s in report.summary["sources"]}
    assert by_match["{egress-authenticated}"]["always_allow_relaying"] is True
    assert by_match["0/0"]["require_auth"] is True


def test_certificate_enables_starttls_on_the_catch_all():
    text, _report = check(
        role_vars(
            powermta_relay_server_tls_certificate="/etc/pmta/server.pem",
            powermta_relay_smtp_users=[{"name": "app", "password": "pw"}],
        )
    )
    assert "smtp-server-tls-certificate /etc/pmta/server.pem\n" in text
    assert "    allow-starttls yes\n    require-starttls-before-auth yes\n" in text


def test_user_catch_all_replaces_the_generated_one():
    sources = [{"match": "0/0", "require_auth": True}]
    text, report = check(
        role_vars(powermta_relay_sources=sources, powermta_relay_smtp_users=[{"name": "app", "password": "pw"}])
    )
    assert text.count("<source 0/0>") == 1
    assert [s["match"] for s in report.summary["sources"]] == ["{egress-authenticated}", "0/0"]


def test_optional_top_level_settings():
    text, _report = check(
        role_vars(
            powermta_relay_postmaster="postmaster@example.com",
            powermta_relay_host_name="relay.example.com",
            powermta_relay_acct_file="",
        )
    )
    assert text.splitlines()[1:3] == ["postmaster postmaster@example.com", "host-name relay.example.com"]
    assert "<acct-file" not in text


def test_virtual_mtas_and_pools():
    combo = build(
        LISTENERS[0],
        USERS[0],
        SOURCES[0],
        CERTS[0],
        VMTAS[1],
        "smtp-hosts",
        True,
        "smtp.example.net",
        CREDENTIALS[0],
        587,
    )
    text, report = check(combo)
    assert "<virtual-mta mta1>\n    smtp-source-host 192.0.2.10 mta1.example.com\n    <domain *>\n" in text
    assert "        max-msg-rate 100/h\n" in text
    assert "<virtual-mta mta2>\n    smtp-source-host 192.0.2.11 mta2.example.com\n</virtual-mta>\n" in text
    assert report.summary["virtual_mta_pools"] == [{"name": "pool1", "members": ["mta1", "mta2"]}]


# ---------------------------------------------------------------------------
# The parser is the last line of defence behind the role's own checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"powermta_relay_sources": [{"match": "0/0", "always_allow_relaying": True}]}, "open relay"),
        ({"powermta_relay_sources": [{"match": "8.0.0.0/8", "always_allow_relaying": True}]}, "open relay"),
        ({"powermta_relay_virtual_mta_pools": [{"name": "p", "members": ["ghost"]}]}, "unknown virtual MTA"),
        ({"powermta_relay_retry_after": "ten minutes"}, "directive 'retry-after' expects 1 value"),
        ({"powermta_relay_listeners": [{"address": "localhost", "port": 25}]}, "directive 'smtp-listener'"),
    ],
)
def test_unsupported_inputs_are_caught_by_the_linter(overrides, message):
    report = pc.validate(render(role_vars(**overrides)))
    assert not report.valid
    assert any(message in e.message for e in report.errors), pc.format_errors(report.errors)


# ---------------------------------------------------------------------------
# Role metadata consistency
# ---------------------------------------------------------------------------


def test_argument_specs_document_every_default():
    options = load_yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(options) == set(DEFAULTS)
    for name, spec in options.items():
        assert name.startswith("powermta_relay_")
        assert spec.get("description"), name
        assert spec.get("default") == DEFAULTS[name], name


# ---------------------------------------------------------------------------
# The role's own checks run before anything changes (needs ansible-playbook)
# ---------------------------------------------------------------------------

PLAYBOOK = textwrap.dedent(
    """
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - name: Validate against the role's argument spec (what the role does first)
          ansible.builtin.validate_argument_spec:
            argument_spec: "{{ (lookup('ansible.builtin.file', '%s') | from_yaml).argument_specs.main.options }}"
        - name: Run only the checks of the role
          ansible.builtin.include_role:
            name: egress.mail.powermta_relay
            tasks_from: validate.yml
"""
    % os.path.join(ROLE, "meta", "argument_specs.yml")
)


def _playbook_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return candidate if os.path.exists(candidate) else shutil.which("ansible-playbook")


def _run_playbook(tmp_path, text, extra_vars):
    playbook = tmp_path / "play.yml"
    playbook.write_text(text)
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    proc = subprocess.run(
        [_playbook_bin(), str(playbook), "-e", "@%s" % vars_file],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.skipif(_playbook_bin() is None, reason="ansible-playbook not available")
def test_ansible_template_lookup_renders_the_same_text(tmp_path):
    """Render through lookup('ansible.builtin.template'), as the role does, and compare."""
    variables = role_vars(
        powermta_relay_smtp_users=[{"name": "app", "password": "p w"}],
        powermta_relay_virtual_mtas=VMTAS[1][0],
        powermta_relay_virtual_mta_pools=VMTAS[1][1],
        powermta_relay_server_tls_certificate="/etc/pmta/server.pem",
    )
    out = tmp_path / "config"
    playbook = textwrap.dedent("""
        - hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Render like the role does
              ansible.builtin.copy:
                content: "{{ lookup('ansible.builtin.template', '%s') }}"
                dest: "%s"
                mode: "0600"
    """) % (TEMPLATE, out)
    code, output = _run_playbook(tmp_path, playbook, variables)
    assert code == 0, output
    assert out.read_text() == render(variables)


OAUTH2 = {
    "powermta_relay_auth_method": "oauth2",
    "powermta_relay_provider": "office365",
    "powermta_relay_host": "",
    "powermta_relay_username": "mailbox@contoso.example",
    "powermta_relay_oauth2_client_id": "app-id-1",
    "powermta_relay_oauth2_client_secret": "Cl13nt~Secret",
    "powermta_relay_oauth2_tenant": "contoso.onmicrosoft.com",
}


@pytest.mark.skipif(_playbook_bin() is None, reason="ansible-playbook not available")
@pytest.mark.parametrize(
    "extra,expected",
    [
        (OAUTH2, None),
        (dict(OAUTH2, powermta_relay_oauth2_client_id=""), "powermta_relay_oauth2_client_id: is required"),
        (
            dict(OAUTH2, powermta_relay_oauth2_tenant="", powermta_relay_oauth2_token_url="http://login.example/token"),
            "powermta_relay_oauth2_token_url",
        ),
        (dict(OAUTH2, powermta_relay_password="Own-pass-1"), "powermta_relay_password: leave it unset"),
        (dict(OAUTH2, powermta_relay_port="auto"), "powermta_relay_port: 'auto' cannot be used"),
        ({"powermta_relay_port": 465}, "powermta_relay_port: 465 is implicit TLS"),
        (
            {"powermta_relay_username": "u", "powermta_relay_password": "has#hash"},
            "powermta_relay_password: must not contain '#'",
        ),
        (
            {"powermta_relay_listeners": [{"address": "0/0", "port": 25}]},
            "powermta_relay_listeners: 0/0:25 is not a loopback address",
        ),
        (
            {"powermta_relay_sources": [{"match": "0/0", "always_allow_relaying": True}]},
            "powermta_relay_sources[0].match: '0/0' covers every address: an open relay",
        ),
        (
            {"powermta_relay_sources": [{"match": "0.0.0.0/00", "always_allow_relaying": True}]},
            "powermta_relay_sources[0].match: '0.0.0.0/00' covers every address",
        ),
        (
            {"powermta_relay_virtual_mta_pools": [{"name": "p", "members": ["ghost"]}]},
            "powermta_relay_virtual_mta_pools[0].members[0]: 'ghost' is not in powermta_relay_virtual_mtas",
        ),
        ({"powermta_relay_route_directive": "mx"}, "powermta_relay_route_directive"),
        (
            {"powermta_relay_sources": [{"match": "10.0.0.0/8", "require_auth": True}]},
            "powermta_relay_sources[0].require_auth: is true but powermta_relay_smtp_users is empty",
        ),
        (
            {"powermta_relay_host_name": "relay.example.com\f<source 0/0>"},
            "powermta_relay_host_name: contains the control or separator character U+000C",
        ),
        (
            {"powermta_relay_username": "u", "powermta_relay_password": "pass\u2028word"},
            "powermta_relay_password: contains a control or separator character;",
        ),
        (
            {"powermta_relay_http_access": [{"address": "0/0", "level": "admin"}]},
            "powermta_relay_http_access[0].address: '0/0' covers every address",
        ),
        ({}, None),
    ],
)
def test_role_checks(tmp_path, extra, expected):
    code, output = _run_playbook(tmp_path, PLAYBOOK, dict({"powermta_relay_host": "smtp.example.net"}, **extra))
    for secret in ("powermta_relay_password", "powermta_relay_oauth2_client_secret"):
        if extra.get(secret):
            assert extra[secret] not in output
    if expected is None:
        assert code == 0, output
    else:
        assert code != 0, output
        assert expected in " ".join(output.split()), output


def test_every_directive_the_role_writes_is_in_the_table_with_its_context():
    """Walk the tree of the richest rendering: each directive and stanza is a typed row of the table
    (plugins/module_utils/pmta/directives.py) allowed where the template puts it."""
    vmtas = [
        {
            "name": "eu",
            "source_ip": "192.0.2.10",
            "hostname": "eu.example.com",
            "smarthost": {"host": "192.0.2.30", "port": 587, "username": "eu", "password": "Eu-pass-1"},
            "domains": {"max_smtp_out": 2, "retry_after": "10m", "bounce_after": "1d", "max_msg_rate": "10/m"},
        },
        {"name": "us", "source_ip": "192.0.2.11", "hostname": "us.example.com"},
    ]
    variables = role_vars(
        powermta_relay_smtp_users=[{"name": "app", "password": "pw-1"}],
        powermta_relay_server_tls_certificate="/etc/pmta/server.pem",
        powermta_relay_sources=[
            {
                "match": "127.0.0.1",
                "always_allow_relaying": True,
                "process_x_virtual_mta": True,
                "default_virtual_mta": "pool1",
                "allow_starttls": True,
                "require_starttls_before_auth": True,
            }
        ],
        powermta_relay_virtual_mtas=vmtas,
        powermta_relay_virtual_mta_pools=[{"name": "pool1", "members": ["eu", "us"]}],
        powermta_relay_postmaster="pm@example.com",
        powermta_relay_host_name="relay.example.com",
        powermta_relay_backoff_max_msg_rate="100/h",
        powermta_relay_dkim_keys=[{"selector": "s1", "domain": "example.com", "key_file": "/etc/pmta/s1.pem"}],
    )
    assert supported(variables)
    text, report = check(variables)
    seen = set()
    pending = [report.root]
    while pending:
        stanza = pending.pop()
        for child in stanza.children:
            if isinstance(child, pc.Directive):
                assert child.key in pc.DIRECTIVES, child.key
                assert stanza.key in pc.DIRECTIVES[child.key][0], (child.key, stanza.key)
                seen.add(child.key)
            else:
                assert child.key in pc.STANZAS, child.key
                assert stanza.key in pc.STANZAS[child.key][0], (child.key, stanza.key)
                seen.add("<%s>" % child.key)
                pending.append(child)
    for expected in (
        "smtp-hosts",
        "smtp-tls-ca-file",
        "smtp-tls-allow-tlsv1",
        "smtp-tls-allow-tlsv1.1",
        "log-tls",
        "backoff-retry-after",
        "backoff-max-msg-rate",
        "smtp-pattern-list",
        "reply",
        "bounce-after",
        "move-interval",
        "delete-after",
        "domain-key",
        "dkim-sign",
        "auth-password",
        "<smtp-pattern-list>",
    ):
        assert expected in seen, expected
    assert "    smtp-hosts [192.0.2.30]:587\n" in text


def test_oauth2_routes_smtp_hosts_to_the_local_proxy_and_verifies_its_certificate():
    """What tasks/validate.yml and smarthost.yml compute with auth_method oauth2, rendered and linted."""
    variables = role_vars(**dict((k, v) for k, v in OAUTH2.items()))
    variables["powermta_relay_password"] = ""
    local = "L0cal-proxy-pass"
    result = rv.check(
        variables,
        "powermta_relay",
        dict(os_computed(variables), password=local),
        {"password": local, "local_password": local},
    )
    checked, oauth = result["settings"], result["oauth2"]
    assert oauth["enabled"] and oauth["upstream_host"] == "smtp.office365.com"
    vars_main = load_yaml("vars", "main.yml")
    proxy_vars = yaml.safe_load(open(os.path.join(ROOT, "roles", "oauth2_proxy", "vars", "main.yml")))
    assert vars_main["__powermta_relay_oauth2_proxy_certificate"] == proxy_vars["__oauth2_proxy_etc"] + "/local.pem"
    variables.update(
        {
            "__powermta_relay_smarthost": {"host": oauth["relay"]["host"], "username": oauth["mailbox"]},
            "powermta_relay_selected_port": oauth["relay"]["port"],
            "__powermta_relay_tls_ca_file": vars_main["__powermta_relay_oauth2_proxy_certificate"],
            "__powermta_relay_auth_password": local,
            "__powermta_relay_max_smtp_out": checked["max_smtp_out"],
        }
    )
    text, report = check(variables)
    assert "    smtp-hosts [127.0.0.1]:11587\n" in text
    assert "    smtp-tls-ca-file /etc/egress-oauth2-proxy/local.pem\n" in text
    assert "    require-starttls yes\n" in text
    assert "    auth-username mailbox@contoso.example\n    auth-password L0cal-proxy-pass\n" in text
    assert "    max-smtp-out 3\n" in text  # office365's limit still holds behind the proxy
    assert OAUTH2["powermta_relay_oauth2_client_secret"] not in text
    assert report.summary["route"]["levels"] == [[{"host": "127.0.0.1", "port": 11587, "kind": "ipv4"}]]
