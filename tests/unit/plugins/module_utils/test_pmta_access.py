# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/pmta_access.py (listeners, smtp_users, sources, http-access).

pmta_settings.check() runs these with the role's variables (test_pmta_settings.py, test_refused);
here each check is called on its own.
"""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_access as pa

P = "powermta_relay_"
PASSWORD = "Zq9-pass-WORD"


def test_listeners_default_port_and_loopback():
    found = pa.check_listeners({"listeners": [{"address": "127.0.0.1"}, {"address": "0/0", "port": "587"}]}, P)
    assert found == [
        {"address": "127.0.0.1", "port": 25, "loopback": True, "listener": "127.0.0.1:25"},
        {"address": "0/0", "port": 587, "loopback": False, "listener": "0/0:587"},
    ]


@pytest.mark.parametrize(
    "listeners, message",
    [
        ([], "powermta_relay_listeners: needs at least one entry"),
        ([{"address": "10.0.0.0/8"}], "powermta_relay_listeners[0].address: '10.0.0.0/8': give one IPv4 address"),
        ([{"address": "::1"}], "powermta_relay_listeners[0].address: '::1': only IPv4 listeners"),
        ([{"address": "127.0.0.1", "port": 0}], "powermta_relay_listeners[0].port: 0 is out of range (1-65535)"),
    ],
)
def test_listeners_refused(listeners, message):
    with pytest.raises(ValueError) as exc:
        pa.check_listeners({"listeners": listeners}, P)
    assert str(exc.value).startswith(message), exc.value


def test_users_names_and_secrets():
    users = [{"name": "app", "password": PASSWORD}, {"name": "ops", "password": "x" + PASSWORD}]
    assert pa.check_users({"smtp_users": users}, P) == ["app", "ops"]
    with pytest.raises(ValueError, match=r"^powermta_relay_smtp_users\[1\].name: 'app' is defined twice$"):
        pa.check_users({"smtp_users": [users[0], users[0]]}, P)


def test_sources_fill_every_flag():
    sources = pa.check_sources({"sources": [{"match": "10.0.5.0/24", "always_allow_relaying": True}]}, P, [], "")
    assert sources == [
        {
            "require_auth": False,
            "always_allow_relaying": True,
            "allow_starttls": False,
            "require_starttls_before_auth": False,
            "smtp_service": True,
            "process_x_virtual_mta": False,
            "match": "10.0.5.0/24",
            "catch_all": False,
            "default_virtual_mta": "",
            "name": "powermta_relay_sources[0]",
        }
    ]


def test_sources_public_limit_names_the_opt_in():
    settings = {"sources": [{"match": "8.8.0.0/23", "always_allow_relaying": True}]}
    with pytest.raises(ValueError, match="^powermta_relay_sources: .*powermta_relay_sources_allow_public: true"):
        pa.check_sources(settings, P, [], "")
    settings["sources_allow_public"] = True
    assert pa.check_sources(settings, P, [], "")[0]["match"] == "8.8.0.0/23"


def test_http_access_admin_only_on_loopback():
    assert pa.check_http_access({"http_access": [{"address": "127.0.0.1", "level": "admin"}]}, P) == [
        {"address": "127.0.0.1", "level": "admin"}
    ]
    assert pa.check_http_access({"http_access": [{"address": "0/0", "level": "none"}]}, P)
    with pytest.raises(ValueError, match=r"^powermta_relay_http_access\[0\].address: '10.0.0.1' is not a loopback"):
        pa.check_http_access({"http_access": [{"address": "10.0.0.1", "level": "monitor"}]}, P)


def _source(match, **flags):
    return pa.check_sources({"sources": [dict(match=match, **flags)]}, P, ["app"], "")[0]


def test_exposure():
    loopback = pa.check_listeners({"listeners": [{"address": "127.0.0.1"}]}, P)
    exposed = pa.check_listeners({"listeners": [{"address": "0/0", "port": 587}]}, P)
    assert pa.check_exposure(loopback, [], [], P) == []
    assert pa.check_exposure(exposed, ["app"], [], P) == ["0/0:587"]
    assert pa.check_exposure(exposed, [], [_source("10.0.5.0/24", always_allow_relaying=True)], P) == ["0/0:587"]
    with pytest.raises(ValueError, match="^powermta_relay_listeners: 0/0:587 is not a loopback address"):
        pa.check_exposure(exposed, [], [_source("127.0.0.1/32", always_allow_relaying=True)], P)
    with pytest.raises(ValueError, match=r"^powermta_relay_sources\[0\].match: the catch-all 0/0 serves"):
        pa.check_exposure(exposed, ["app"], [_source("0/0")], P)
    assert pa.check_exposure(exposed, ["app"], [_source("0/0", require_auth=True)], P) == ["0/0:587"]
