# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: %s
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""


class ModuleDocFragment(object):
    # egress.mail.attributes: modules that change files on the target and fully support check
    # and diff mode.
    DOCUMENTATION = _ATTRIBUTES % 'full'

    # egress.mail.attributes.no_diff: modules that fully support check mode and return no diff
    # (they only read, or what they change is not a file's content).
    NO_DIFF = _ATTRIBUTES % 'none'
