# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plugins/filter/pmta.py: the PowerMTA role's filters around module_utils/pmta_settings."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.filter.pmta import FilterModule, pmta_smtp_host
from ansible_collections.egress.mail.plugins.filter.pmta import pmta_settings as pmta_filter
from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps
from ansible_collections.egress.mail.tests.unit.helpers.pmta_settings_cases import ROOT, defaults, settings_with


def test_the_filters_are_registered():
    assert FilterModule().filters() == {"pmta_settings": pmta_filter, "pmta_smtp_host": pmta_smtp_host}


@pytest.mark.parametrize(
    "host, port, written",
    [
        ("smtp.example.net", None, "smtp.example.net"),
        ("smtp.example.net", 587, "smtp.example.net:587"),
        ("192.0.2.10", "", "[192.0.2.10]"),
        ("192.0.2.10", 25, "[192.0.2.10]:25"),
        ("2001:db8::1", 465, "[IPv6:2001:db8::1]:465"),
    ],
    ids=["name", "name-port", "ipv4-empty-port", "ipv4-port", "ipv6-port"],
)
def test_pmta_smtp_host(host, port, written):
    assert pmta_smtp_host(host, port) == written


def test_filter_wraps_errors_and_names_the_variable():
    assert pmta_filter(defaults())["relay"]["host"] == "smtp.example.net"
    with pytest.raises(AnsibleFilterError, match="^powermta_relay_sources\\[0\\].match: "):
        pmta_filter(settings_with(sources=[{"match": "0/0", "always_allow_relaying": True}]))


def test_filter_is_documented():
    path = os.path.join(ROOT, "plugins", "filter", "pmta_settings.yml")
    with open(path) as handle:
        doc = yaml.safe_load(handle)
    assert doc["DOCUMENTATION"]["name"] == "pmta_settings"
    assert set(ps.SETTINGS_KEYS) <= set(
        doc["DOCUMENTATION"]["options"]["_input"]["description"][1].replace(",", " ").replace(".", " ").split()
    )


def test_the_filter_warns_about_the_route_alias(monkeypatch):
    from ansible.utils.display import Display

    seen = []
    monkeypatch.setattr(Display, "warning", lambda self, msg, *a, **k: seen.append(msg))
    pmta_filter(settings_with(route_directive="route"))
    assert seen == [
        "powermta_relay_route_directive: route is deprecated by the PowerMTA reference (section "
        '3.3.10.88, "use smtp-hosts instead"); the role still renders it, but set smtp-hosts'
    ]
    seen[:] = []
    pmta_filter(settings_with())
    assert seen == []
