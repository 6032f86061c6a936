# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One convention for the roles' defaults: a variable with nothing set is null (YAML `name:`),
never an empty string, and every check takes null and "" (a user's spelling) alike."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.egress.mail.plugins.module_utils import pmta_settings
from ansible_collections.egress.mail.tests.unit.helpers.pmta_settings_cases import settings_with

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))


def _defaults(role):
    path = os.path.join(ROOT, "roles", role, "defaults", "main.yml")
    if not os.path.isfile(path):
        return {}
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize("role", ROLES)
def test_an_unset_default_is_null_not_an_empty_string(role):
    empty = sorted(name for name, value in _defaults(role).items() if value == "")
    assert empty == [], "%s: write these defaults as null (`name:`): %s" % (role, ", ".join(empty))


def test_the_powermta_checks_take_null_and_an_empty_string_alike():
    unset = sorted(name for name, value in _defaults("powermta_relay").items() if value is None)
    assert "powermta_relay_postmaster" in unset and "powermta_relay_server_tls_certificate" in unset
    keys = [name[len("powermta_relay_") :] for name in unset]
    base = settings_with()
    keys = [key for key in keys if key in pmta_settings.SETTINGS_KEYS and base[key] is None]
    assert "postmaster" in keys and "server_tls_certificate" in keys
    as_null = pmta_settings.check(settings_with(**dict.fromkeys(keys)), "powermta_relay_")
    as_empty = pmta_settings.check(settings_with(**dict.fromkeys(keys, "")), "powermta_relay_")
    assert as_null == as_empty
