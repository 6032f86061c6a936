# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters around smarthost relay settings.

Documentation lives in the sidecar files relay_settings.yml, relay_ports.yml and provider_preset.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.egress.mail.plugins.module_utils.providers import get_preset
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import apply_probed_ports, resolve
from ansible_collections.egress.mail.plugins.module_utils.oauth2_settings import resolve as resolve_oauth2


def relay_settings(settings, prefix=""):
    """Validate relay settings and fill in provider presets; see relay_settings.yml."""
    try:
        return resolve(settings, prefix)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def relay_ports(relay, ports_by_host, implicit_tls_ports, prefix=""):
    """Fill in the probed ports of ``port: auto``; see relay_ports.yml."""
    try:
        return apply_probed_ports(relay, ports_by_host, implicit_tls_ports, prefix)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def provider_preset(name, region=None):
    """Return the resolved preset of a smarthost provider; see provider_preset.yml."""
    try:
        return get_preset(name, region)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def oauth2_settings(settings, prefix="", oauth2_prefix=None):
    """Validate the OAuth 2.0 settings of a relay; see oauth2_settings.yml."""
    try:
        result = resolve_oauth2(settings, prefix, oauth2_prefix)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    if result.get("warning"):
        Display().warning(result["warning"])  # shown once per run however often the filter runs
    return result


class FilterModule(object):
    """egress.mail relay filters."""

    def filters(self):
        return {
            "relay_settings": relay_settings,
            "relay_ports": relay_ports,
            "provider_preset": provider_preset,
            "oauth2_settings": oauth2_settings,
        }
