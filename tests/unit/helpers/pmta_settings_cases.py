# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The powermta_relay settings the PowerMTA settings tests start from: the role's defaults.

Each case changes one variable (``settings_with``); used by test_pmta_settings.py,
test_pmta_values.py and test_pmta_access.py.
"""

from __future__ import annotations

import os

import yaml

from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PREFIX = "powermta_relay_"
PASSWORD = "Zq9-pass-WORD"


def defaults():
    with open(os.path.join(ROOT, "roles", "powermta_relay", "defaults", "main.yml")) as handle:
        values = yaml.safe_load(handle)
    settings = dict(
        (key[len(PREFIX) :], value) for key, value in values.items() if key[len(PREFIX) :] in ps.SETTINGS_KEYS
    )
    settings.update(
        host="smtp.example.net",
        username="relayuser",
        password=PASSWORD,
        package_ext="deb",
        tls_ca_file="/etc/ssl/certs/ca-certificates.crt",
    )  # vars/Debian.yml, as tasks/validate.yml does
    return settings


def settings_with(**changes):
    settings = defaults()
    for key, value in changes.items():
        if value is DELETE:
            settings.pop(key, None)
        else:
            settings[key] = value
    return settings


DELETE = object()
USERS = [{"name": "app", "password": "an0ther-" + PASSWORD}]
EXPOSED = [{"address": "0/0", "port": 587}]
