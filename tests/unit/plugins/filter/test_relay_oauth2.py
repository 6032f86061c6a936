# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.filter import relay

SECRET = "Zk8~q.Secret"


def test_errors_become_filter_errors_without_the_secret():
    with pytest.raises(AnsibleFilterError) as exc:
        relay.oauth2_settings(
            {"auth_method": "oauth2", "client_id": "abc", "client_secret": SECRET + "\n"}, "postfix_relay_"
        )
    assert str(exc.value).startswith("postfix_relay_oauth2_client_secret:")
    assert SECRET not in str(exc.value)


def test_office365_password_warns(monkeypatch):
    warnings = []
    monkeypatch.setattr(relay.Display, "warning", lambda self, msg, *a, **k: warnings.append(msg))
    result = relay.oauth2_settings({"auth_method": "password", "provider": "office365"}, "postfix_relay_")
    assert result["enabled"] is False
    assert len(warnings) == 1 and "end of December 2026" in warnings[0]


def test_other_password_relays_do_not_warn(monkeypatch):
    warnings = []
    monkeypatch.setattr(relay.Display, "warning", lambda self, msg, *a, **k: warnings.append(msg))
    assert relay.oauth2_settings({"auth_method": "password", "provider": "sendgrid"}) == {"enabled": False}
    assert warnings == []
