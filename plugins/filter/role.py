# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filter each relay role checks its variables with.

Documentation lives in the sidecar file role_settings.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.egress.mail.plugins.module_utils import role_vars


def role_settings(variables, role, computed=None, oauth2=None):
    """Check a relay role's variables in one call; see role_settings.yml."""
    try:
        result = role_vars.check(variables, role, computed, oauth2)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    for message in role_vars.warnings(result):
        Display().warning(message)  # shown once per run however often the filter runs
    return result


class FilterModule(object):
    """egress.mail role filters."""

    def filters(self):
        return {"role_settings": role_settings}
