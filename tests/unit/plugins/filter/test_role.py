# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.filter import role

PASSWORD = "Zq9-pass WORD"
OS_VARS = {"package_ext": "deb", "tls_ca_file": "/etc/ssl/certs/ca-certificates.crt"}


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(role.Display, "warning", lambda self, msg, *a, **k: seen.append(msg))
    return seen


def test_filter_names():
    assert role.FilterModule().filters() == {"role_settings": role.role_settings}


def test_postfix_variables_by_name(warnings):
    result = role.role_settings(
        {
            "postfix_relay_provider": "sendgrid",
            "postfix_relay_password": PASSWORD,
            "postfix_relay_manage_package": True,  # not a setting: ignored
        },
        "postfix_relay",
    )
    assert result["settings"]["host"] == "smtp.sendgrid.net" and result["settings"]["username"] == "apikey"
    assert result["oauth2"] == {"enabled": False}
    assert PASSWORD not in repr(result) and warnings == []


def test_errors_become_filter_errors_naming_the_variable_without_the_password():
    with pytest.raises(AnsibleFilterError) as exc:
        role.role_settings(
            {"postfix_relay_host": "relay.example.net", "postfix_relay_password": PASSWORD + "\n"}, "postfix_relay"
        )
    assert str(exc.value).startswith("postfix_relay_password:")
    assert PASSWORD not in str(exc.value)


def test_bad_role_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="unknown role 'exim_relay'"):
        role.role_settings({}, "exim_relay")


def test_powermta_deprecation_warns(warnings):
    result = role.role_settings(
        {
            "powermta_relay_host": "smtp.example.net",
            "powermta_relay_route_directive": "route",
            "powermta_relay_sources": [{"match": "127.0.0.1", "always_allow_relaying": True}],
            "powermta_relay_listeners": [{"address": "127.0.0.1", "port": 25}],
        },
        "powermta_relay",
        computed=OS_VARS,
    )
    assert result["settings"]["relay"]["host"] == "smtp.example.net"
    assert len(warnings) == 1 and warnings[0].startswith("powermta_relay_route_directive: route is deprecated")


def test_office365_password_warns(warnings):
    role.role_settings(
        {
            "postfix_relay_provider": "office365",
            "postfix_relay_username": "alerts@contoso.example",
            "postfix_relay_password": PASSWORD,
        },
        "postfix_relay",
    )
    assert len(warnings) == 1 and "postfix_relay_auth_method" in warnings[0]


def test_oauth2_with_the_local_password():
    result = role.role_settings(
        {
            "postfix_relay_provider": "office365",
            "postfix_relay_username": "alerts@contoso.example",
            "postfix_relay_password": "L0cal",
            "postfix_relay_auth_method": "oauth2",
            "postfix_relay_oauth2_client_id": "app-id-1",
            "postfix_relay_oauth2_client_secret": "Cl13nt~Secret",
            "postfix_relay_oauth2_tenant": "contoso.onmicrosoft.com",
            "postfix_relay_oauth2_listen_port": 11587,
        },
        "postfix_relay",
        oauth2={"local_password": "L0cal"},
    )
    assert result["oauth2"]["enabled"] and result["settings"]["host"] == "127.0.0.1"
    assert "Cl13nt~Secret" not in repr(result)
