# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.egress.mail.plugins.module_utils import (
    oauth2_settings,
    pmta_settings,
    relay_settings,
    role_vars,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PASSWORD = "Zq9-pass WORD"
OS_VARS = {"package_ext": "deb", "tls_ca_file": "/etc/ssl/certs/ca-certificates.crt"}  # vars/Debian.yml


def _yaml(role, *parts):
    with open(os.path.join(ROOT, "roles", role, *parts)) as handle:
        return yaml.safe_load(handle)


def spec(role):
    return _yaml(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def defaults(role, **changes):
    """The role's defaults as the role sees them (no template is left in the values used here)."""
    variables = dict(_yaml(role, "defaults", "main.yml"))
    variables.update(changes)
    return variables


def relay(role, **changes):
    """The role's defaults with a smarthost and a login, then ``changes``."""
    base = {role + "_host": "smtp.example.net", role + "_username": "relayuser", role + "_password": PASSWORD}
    base.update(changes)
    return defaults(role, **base)


def postfix(**changes):
    return relay("postfix_relay", **changes)


def powermta(**changes):
    return relay("powermta_relay", **changes)


def walk(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk(item)
    else:
        yield value


# --- The mapping is the argument spec's names, nothing else ------------------------------------


@pytest.mark.parametrize("role", role_vars.ROLES)
def test_every_variable_the_checks_read_is_a_role_variable(role):
    options = spec(role)
    for key in role_vars.settings_keys(role):
        assert role_vars.variable(role, key) in options, key
    for key in role_vars.oauth2_keys(role):
        assert role_vars.variable(role, key, oauth2=True) in options, key


@pytest.mark.parametrize(
    "role, keys",
    [("postfix_relay", relay_settings.SETTINGS_KEYS), ("powermta_relay", pmta_settings.SETTINGS_KEYS)],
)
def test_every_setting_but_the_computed_ones_comes_from_a_variable(role, keys):
    assert set(keys) - set(role_vars.settings_keys(role)) <= set(role_vars.NOT_ROLE_VARIABLES)
    oauth = set(oauth2_settings.SETTINGS_KEYS) - set(role_vars.oauth2_keys(role))
    assert oauth <= set(role_vars.NOT_ROLE_VARIABLES + role_vars.OAUTH2_SMARTHOST_KEYS + ("sender_dependent",))


def test_oauth2_client_settings_are_named_with_oauth2():
    assert role_vars.variable("postfix_relay", "client_id", oauth2=True) == "postfix_relay_oauth2_client_id"
    assert role_vars.variable("powermta_relay", "listen_port", oauth2=True) == "powermta_relay_oauth2_listen_port"
    assert role_vars.variable("postfix_relay", "auth_method", oauth2=True) == "postfix_relay_auth_method"
    assert role_vars.variable("postfix_relay", "username", oauth2=True) == "postfix_relay_username"


def test_only_the_variables_the_check_knows_are_picked():
    variables = postfix(
        postfix_relay_selected_port=2525,  # a fact of an earlier run
        postfix_relay_password_set=True,  # a key of relay_settings, but no role variable
        powermta_relay_host="other.example.net",
        unrelated="x",
    )
    picked = role_vars.inputs(variables, "postfix_relay")
    assert set(picked) == set(role_vars.settings_keys("postfix_relay"))
    assert picked["host"] == "smtp.example.net" and picked["password"] == PASSWORD
    assert "password_set" not in picked and "selected_port" not in picked


def test_a_missing_variable_is_left_to_the_check():
    picked = role_vars.inputs({"postfix_relay_provider": "sendgrid"}, "postfix_relay")
    assert picked == {"provider": "sendgrid"}


def test_computed_values_replace_the_variables():
    variables = powermta(powermta_relay_tls_ca_file="")
    picked = role_vars.inputs(variables, "powermta_relay", dict(OS_VARS, password="local"))
    assert picked["package_ext"] == "deb" and picked["password"] == "local"
    assert picked["tls_ca_file"] == OS_VARS["tls_ca_file"]


# --- The checks' results and errors ------------------------------------------------------------


def test_postfix_result_is_what_the_filters_return():
    variables = postfix()
    result = role_vars.check(variables, "postfix_relay", oauth2={"local_password": "generated-on-the-host"})
    assert result["settings"] == relay_settings.resolve(role_vars.inputs(variables, "postfix_relay"), "postfix_relay_")
    assert result["oauth2"] == {"enabled": False}
    assert PASSWORD not in list(walk(result))


def test_powermta_result_is_what_the_filters_return():
    variables = powermta()
    result = role_vars.check(variables, "powermta_relay", OS_VARS, {"local_password": "generated-on-the-host"})
    expected = pmta_settings.check(role_vars.inputs(variables, "powermta_relay", OS_VARS), "powermta_relay_")
    assert result["settings"] == expected
    assert result["oauth2"] == {"enabled": False}
    assert PASSWORD not in list(walk(result))


OAUTH2 = {
    "auth_method": "oauth2",
    "provider": "office365",
    "host": None,
    "username": "mailbox@contoso.example",
    "password": "L0cal-proxy",
    "oauth2_client_id": "app-id-1",
    "oauth2_client_secret": "Cl13nt~Secret",
    "oauth2_tenant": "contoso.onmicrosoft.com",
}


def _with_prefix(role, values):
    return dict((role + "_" + key, value) for key, value in values.items())


def test_postfix_oauth2_relays_to_the_local_proxy():
    variables = postfix(**_with_prefix("postfix_relay", OAUTH2))
    result = role_vars.check(variables, "postfix_relay", oauth2={"local_password": "L0cal-proxy"})
    oauth = result["oauth2"]
    assert oauth["enabled"] and oauth["upstream_host"] == "smtp.office365.com" and oauth["upstream_port"] == 587
    assert oauth["mailbox"] == "mailbox@contoso.example"
    assert (result["settings"]["host"], result["settings"]["port"]) == ("127.0.0.1", 11587)
    assert result["settings"]["wrappermode"] is False and result["settings"]["password_set"] is True
    assert "Cl13nt~Secret" not in list(walk(result)) and "L0cal-proxy" not in list(walk(result))


def test_powermta_oauth2_keeps_the_smarthost_and_returns_the_proxy():
    variables = powermta(**_with_prefix("powermta_relay", dict(OAUTH2, password="", host="")))
    result = role_vars.check(
        variables,
        "powermta_relay",
        dict(OS_VARS, password="L0cal-proxy"),
        {"password": "L0cal-proxy", "local_password": "L0cal-proxy"},
    )
    assert result["settings"]["relay"]["host"] == "smtp.office365.com"
    assert result["oauth2"]["relay"]["host"] == "127.0.0.1"


# Every message is the checks' own, naming the variable (molecule/security asserts them on hosts).
ERRORS = [
    ("postfix_relay", {"postfix_relay_port": 0}, "postfix_relay_port"),
    ("postfix_relay", {"postfix_relay_mynetworks": ["0.0.0.0/0"]}, "postfix_relay_mynetworks[0]"),
    ("postfix_relay", {"postfix_relay_extra_config": {"relay_domains": "static:all"}}, "postfix_relay_extra_config"),
    ("postfix_relay", {"postfix_relay_auth_method": "token"}, "postfix_relay_auth_method: 'token' is not one of"),
    (
        "postfix_relay",
        {"postfix_relay_oauth2_client_id": "app-id-1"},
        "postfix_relay_oauth2_client_id: is set but postfix_relay_auth_method is password",
    ),
    (
        "postfix_relay",
        dict(_with_prefix("postfix_relay", OAUTH2), postfix_relay_oauth2_client_secret=None),
        "postfix_relay_oauth2_client_secret: is required when postfix_relay_auth_method is oauth2",
    ),
    (
        "postfix_relay",
        dict(
            _with_prefix("postfix_relay", OAUTH2),
            postfix_relay_sender_dependent=[{"sender": "@example.com", "host": "relay2.example.net"}],
        ),
        "postfix_relay_sender_dependent: sender-dependent relays cannot be combined",
    ),
    ("powermta_relay", {"powermta_relay_port": 465}, "powermta_relay_port: 465 is implicit TLS"),
    (
        "powermta_relay",
        {"powermta_relay_listeners": [{"address": "0/0", "port": 25}]},
        "powermta_relay_listeners: 0/0:25 is not a loopback address",
    ),
    (
        "powermta_relay",
        {
            "powermta_relay_install": True,
            "powermta_relay_package_src": "/tmp/pmta.rpm",
            "powermta_relay_license_src": "l",
        },
        "powermta_relay_package_src: '/tmp/pmta.rpm' must be a .deb package on this OS family",
    ),
    (
        "powermta_relay",
        {"powermta_relay_oauth2_tenant": "contoso.onmicrosoft.com"},
        "powermta_relay_oauth2_tenant: is set but powermta_relay_auth_method is password",
    ),
]


@pytest.mark.parametrize("role, changes, fragment", ERRORS, ids=[e[2].split(":")[0] for e in ERRORS])
def test_errors_name_the_variable(role, changes, fragment):
    variables = postfix(**changes) if role == "postfix_relay" else powermta(**changes)
    computed = OS_VARS if role == "powermta_relay" else None
    with pytest.raises(ValueError) as exc:
        role_vars.check(variables, role, computed, {"local_password": "L0cal-proxy", "password": "L0cal-proxy"})
    assert str(exc.value).startswith(fragment.split(":")[0])
    assert fragment in str(exc.value)
    assert PASSWORD not in str(exc.value)


def test_the_oauth2_check_runs_only_after_the_main_one():
    variables = postfix(postfix_relay_port=0, postfix_relay_auth_method="token")
    with pytest.raises(ValueError, match="^postfix_relay_port"):
        role_vars.check(variables, "postfix_relay")


@pytest.mark.parametrize(
    "args, message",
    [
        (([], "postfix_relay"), "role settings: the role variables must be a dict, got list"),
        (({}, "exim_relay"), "role settings: unknown role 'exim_relay' (one of postfix_relay, powermta_relay)"),
        (({}, "postfix_relay", ["x"]), "role settings: computed must be a dict, got list"),
        (({"postfix_relay_provider": "sendgrid"}, "postfix_relay", None, "x"), "role settings: oauth2 must be a dict"),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(ValueError) as exc:
        role_vars.check(*args)
    assert str(exc.value).startswith(message)


def test_warnings_of_both_checks():
    pmta = role_vars.check(powermta(powermta_relay_route_directive="route"), "powermta_relay", OS_VARS)
    assert [w.split(":")[0] for w in role_vars.warnings(pmta)] == ["powermta_relay_route_directive"]
    office = role_vars.check(
        postfix(
            postfix_relay_provider="office365", postfix_relay_host=None, postfix_relay_username="a@contoso.example"
        ),
        "postfix_relay",
    )
    [warning] = role_vars.warnings(office)
    assert "postfix_relay_auth_method" in warning
    assert role_vars.warnings(role_vars.check(postfix(), "postfix_relay")) == []


# --- The roles call it once and write no mapping of their own ----------------------------------


@pytest.mark.parametrize("role", role_vars.ROLES)
def test_validate_yml_is_one_filter_call(role):
    with open(os.path.join(ROOT, "roles", role, "tasks", "validate.yml")) as handle:
        text = handle.read()
    tasks = yaml.safe_load(text)
    # postfix_relay's checks need no facts: its inspection (egress.mail.postfix_info, facts: true)
    # comes after them and loads the OS family's variables.
    first = [] if role == "postfix_relay" else ["ansible.builtin.setup", "ansible.builtin.include_vars"]
    assert [next(k for k in t if k.startswith("ansible.builtin.")) for t in tasks] == first + [
        "ansible.builtin.set_fact",
        "ansible.builtin.set_fact",
    ]
    check, keep = tasks[-2:]
    calls = re.findall(r"egress\.mail\.\w+", yaml.safe_dump(check))
    assert calls == ["egress.mail.role_settings"]
    assert re.findall(r"egress\.mail\.\w+", yaml.safe_dump(tasks)) == ["egress.mail.role_settings"]
    # The result is a fact, templated once; the second task only splits it.
    assert list(check["ansible.builtin.set_fact"]) == ["__%s_checked" % role]
    assert keep["ansible.builtin.set_fact"] == {
        "__%s" % role: "{{ __%s_checked.settings }}" % role,
        "__%s_oauth2" % role: "{{ __%s_checked.oauth2 }}" % role,
    }
    assert "query('ansible.builtin.varnames', '^%s_')" % role in text
    # No variable is mapped to its key by hand (`key: "{{ <role>_key }}"`, `'key': <role>_key,`); what
    # `computed` passes is computed (a default, a condition).
    plain = r"['\"]?(\w+)['\"]?:\s*['\"]?(\{\{\s*)?%s_\1\s*(\}\}|,|\}|$)" % role
    assert not re.search(plain, text, re.MULTILINE)


def test_the_example_runs_the_roles_own_checks():
    with open(os.path.join(ROOT, "examples", "validate.yml")) as handle:
        text = handle.read()
    plays = yaml.safe_load(text)
    included = [
        (t["ansible.builtin.include_role"]["name"], t["ansible.builtin.include_role"]["tasks_from"])
        for play in plays
        for t in play["tasks"]
        if "ansible.builtin.include_role" in t
    ]
    assert included == [
        ("egress.mail.postfix_relay", "validate.yml"),
        ("egress.mail.powermta_relay", "validate.yml"),
        ("egress.mail.port25_audit", "validate.yml"),
    ]
    assert "relay_settings" not in text and "pmta_settings" not in text and "default(none)" not in text
    assert all(play["gather_facts"] is False for play in plays)
