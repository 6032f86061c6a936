# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the private_file module: arguments, check mode, diff mode, failures as JSON.

Moved from tests/unit/plugins/modules/test_postfix_modules.py; the logic behind the module has its
own tests in tests/unit/plugins/module_utils.
"""

import json
import os
import stat

import pytest

from ansible_collections.egress.mail.plugins.modules import private_file as private_module
from ansible_collections.egress.mail.tests.unit.helpers.modules import SECRET, run_module


def test_private_file_created_with_its_mode_and_no_content_in_the_result(tmp_path, capsys):
    path = str(tmp_path / "secret")
    rc, result = run_module(private_module, {"path": path, "content": SECRET}, capsys, diff=True)
    assert rc == 0 and result["changed"] is True and result["created"] is True
    with open(path) as handle:
        assert handle.read() == SECRET
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    out = json.dumps(result)
    assert SECRET not in out
    assert result["diff"]["after"] == "(private content created)\n"
    rc, again = run_module(private_module, {"path": path, "content": SECRET}, capsys)
    assert rc == 0 and again["changed"] is False


@pytest.mark.parametrize("mode, expected", [("0640", 0o640), (0o600, 0o600), ("600", 0o600)])
def test_private_file_mode_as_text_or_number(tmp_path, capsys, mode, expected):
    path = str(tmp_path / "secret")
    rc, result = run_module(private_module, {"path": path, "content": "x", "mode": mode}, capsys)
    assert rc == 0, result
    assert stat.S_IMODE(os.stat(path).st_mode) == expected


@pytest.mark.parametrize(
    "args, message",
    [
        ({"path": "relative/secret"}, "path: must be absolute"),
        ({"mode": "rw-------"}, "mode: 'rw-------' is not an octal mode"),
        ({"owner": "no-such-user-egress"}, "unknown user or group"),
        ({"group": "no-such-group-egress"}, "unknown user or group"),
    ],
)
def test_private_file_bad_arguments_fail_before_writing(tmp_path, capsys, args, message):
    full = dict({"path": str(tmp_path / "secret"), "content": SECRET}, **args)
    rc, result = run_module(private_module, full, capsys)
    assert rc == 1 and message in result["msg"] and SECRET not in json.dumps(result)
    assert os.listdir(str(tmp_path)) == []


def test_private_file_check_mode_writes_nothing(tmp_path, capsys):
    rc, result = run_module(
        private_module, {"path": str(tmp_path / "secret"), "content": SECRET}, capsys, check_mode=True
    )
    assert rc == 0 and result["changed"] is True
    assert os.listdir(str(tmp_path)) == []
