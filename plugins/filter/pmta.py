# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the PowerMTA role.

Documentation lives in the sidecar files pmta_settings.yml and pmta_smtp_host.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.egress.mail.plugins.module_utils.pmta_settings import check, smtp_host


def pmta_settings(settings, prefix="powermta_relay_"):
    """Check the powermta_relay variables; see pmta_settings.yml."""
    try:
        result = check(settings, prefix)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    for message in result["deprecations"]:
        Display().warning(message)  # shown once per run however often the filter runs
    return result


def pmta_smtp_host(host, port=None):
    """A host in smtp-hosts syntax; see pmta_smtp_host.yml."""
    return smtp_host(host, port)


class FilterModule(object):
    """egress.mail PowerMTA filters."""

    def filters(self):
        return {
            "pmta_settings": pmta_settings,
            "pmta_smtp_host": pmta_smtp_host,
        }
