# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the PowerMTA role.

Documentation lives in the sidecar file pmta_settings.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.module_utils.pmta_settings import check


def pmta_settings(settings, prefix='powermta_relay_'):
    """Check the powermta_relay variables; see pmta_settings.yml."""
    try:
        return check(settings, prefix)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """egress.mail PowerMTA filters."""

    def filters(self):
        return {
            'pmta_settings': pmta_settings,
        }
