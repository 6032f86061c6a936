# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a module's main() in-process in the unit tests of tests/unit/plugins/modules/."""

import json

import pytest

from ansible.module_utils.testing import patch_module_args

SECRET = "s3cr3t-Pa55 word"


def _internal():
    """ansible-core 2.19's module_utils._internal (it knows whether code runs on the controller)."""
    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core before 2.19
        return None
    return _internal


def run_module(module, args, capsys, check_mode=False, diff=False):
    """main() in-process; (exit code, parsed JSON). ``_ansible_check_mode`` or ``_ansible_diff`` in
    ``args`` win over ``check_mode`` and ``diff``."""
    args = dict({"_ansible_check_mode": check_mode, "_ansible_diff": diff}, **args)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            module.main()
    return excinfo.value.code, json.loads(capsys.readouterr().out)
