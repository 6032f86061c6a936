# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/module_runner.py, with a real AnsibleModule and real programs."""

import json
import os

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.module_utils import module_runner


@pytest.fixture()
def make_module():
    """AnsibleModule() with no arguments; the module's context stays active through the test."""
    with patch_module_args({}):
        yield lambda: AnsibleModule(argument_spec={}, supports_check_mode=True)


def exit_of(capsys, call):
    with pytest.raises(SystemExit) as excinfo:
        call()
    return excinfo.value.code, json.loads(capsys.readouterr().out)


def test_command_runner_runs_in_the_c_locale(make_module, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    run_command = module_runner.command_runner(make_module())
    rc, out, _err = run_command(["sh", "-c", 'echo "$LANG $LC_ALL"'])
    # C, or the C.UTF-8 that AnsibleModule prefers where the host has it
    assert rc == 0 and [word.split(".")[0] for word in out.split()] == ["C", "C"], out
    rc, out, _err = run_command(["/bin/sh", "-c", "exit 3"])
    assert rc == 3


def test_command_runner_looks_in_opt_dirs(make_module, tmp_path):
    program = tmp_path / "egress-test-program"
    program.write_text('#!/bin/sh\necho found "$@"\n')
    os.chmod(str(program), 0o755)
    with pytest.raises(OSError, match="^egress-test-program not found$"):
        module_runner.command_runner(make_module())(["egress-test-program"])
    run_command = module_runner.command_runner(make_module(), opt_dirs=[str(tmp_path)])
    assert run_command(["egress-test-program", "a", "b"])[:2] == (0, "found a b\n")


def test_exit_with_returns_the_result_unchanged_and_its_warnings(make_module, capsys, monkeypatch):
    emitted = []  # AnsibleModule's warnings are global to the process: record the calls of this test
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, message: emitted.append(message))
    module = make_module()
    rc, result = exit_of(
        capsys, lambda: module_runner.exit_with(module, lambda: {"total": 2, "warnings": ["w1", "w2"]}, [])
    )
    assert rc == 0
    assert result["changed"] is False and result["total"] == 2
    assert emitted == ["w1", "w2"]


class Expected(Exception):
    pass


def raises(exc):
    def collect():
        raise exc

    return collect


@pytest.mark.parametrize(
    "exc, message",
    [
        (Expected("plain"), "plain"),
        (OSError("postqueue not found"), "could not read: postqueue not found"),
        (IOError("disk"), "could not read: disk"),
    ],
)
def test_exit_with_fails_on_the_expected_errors(make_module, capsys, exc, message):
    module = make_module()
    failures = [(Expected, None), ((OSError, IOError), "could not read")]
    rc, result = exit_of(capsys, lambda: module_runner.exit_with(module, raises(exc), failures))
    assert rc == 1 and result["failed"] is True
    assert result["msg"] == message


def test_exit_with_lets_other_errors_through(make_module):
    with pytest.raises(KeyError):
        module_runner.exit_with(make_module(), raises(KeyError("bug")), [((OSError,), "could not read")])
