# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the postfix_reload module: arguments, the programs it finds, check
mode, failures as JSON. The logic has its own tests in tests/unit/plugins/module_utils."""

import os

import pytest

from ansible_collections.egress.mail.plugins.modules import postfix_reload as reload_module
from ansible_collections.egress.mail.tests.unit.helpers.modules import _internal, run_module
from ansible_collections.egress.mail.tests.unit.helpers.programs import StandIns as Programs


@pytest.fixture()
def programs(tmp_path, monkeypatch):
    """Stand-ins found instead of the host's programs, systemd running or not (``systemd``)."""

    def install(fail=None, systemd=True):
        found = Programs(tmp_path, fail=fail)
        monkeypatch.setattr(reload_module, "SBIN", [str(tmp_path)])
        monkeypatch.setenv("PATH", str(tmp_path))
        real_isdir = os.path.isdir
        monkeypatch.setattr(
            reload_module.os.path, "isdir", lambda path: systemd if path == "/run/systemd/system" else real_isdir(path)
        )
        return found

    return install


def test_reloads_and_returns_the_action(programs, tmp_path, capsys):
    found = programs()
    marker = str(tmp_path / "pending")
    rc, result = run_module(reload_module, {"pending_marker": marker}, capsys)
    assert rc == 0, result
    assert (result["changed"], result["action"], result["checked"]) == (True, "reload", True)
    assert found.calls() == ["systemctl is-active postfix", "postfix check", "systemctl reload postfix"]
    assert not os.path.exists(marker)


def test_restarted_without_systemd_uses_service(programs, capsys):
    found = programs(systemd=False)
    rc, result = run_module(reload_module, {"state": "restarted", "service": "postfix"}, capsys)
    assert rc == 0 and result["action"] == "restart", result
    assert found.calls() == ["postfix status", "postfix check", "service postfix restart"]


def test_a_refused_check_fails_and_names_the_kept_marker(programs, tmp_path, capsys):
    programs(fail={"postfix check": (1, "fatal: /etc/postfix/main.cf: bad line")})
    marker = str(tmp_path / "pending")
    rc, result = run_module(reload_module, {"pending_marker": marker}, capsys)
    assert rc == 1 and result["failed"] is True
    assert result["msg"] == (
        "postfix check (of the live configuration) failed (rc 1): fatal: /etc/postfix/main.cf: bad line;"
        " the reload is still due (%s is kept)" % marker
    )
    assert os.path.exists(marker)


def test_a_failure_without_marker_says_what_failed(programs, capsys):
    programs(fail={"systemctl reload": (1, "Job failed")})
    rc, result = run_module(reload_module, {}, capsys)
    assert rc == 1 and result["msg"] == "systemctl reload postfix failed (rc 1): Job failed"


def test_warnings_of_the_check_are_ansible_warnings(programs, capsys, monkeypatch):
    # On the controller (after another test imported controller code) ansible-core 2.19 prints a
    # module's warnings instead of returning them: this test runs the module as on a target.
    internal = _internal()
    if internal is not None:
        monkeypatch.setattr(internal, "is_controller", False)
    programs(fail={"postfix check": (0, "warning: group or other writable")})
    rc, result = run_module(reload_module, {}, capsys)
    # ansible-core 2.19 returns each warning as a summary of its event, earlier versions as text;
    # the list is process-wide in the unit tests (other modules' tests in this worker add theirs).
    texts = [w if isinstance(w, str) else w["event"]["msg"] for w in result.get("warnings", [])]
    assert rc == 0, result
    assert [t for t in texts if t.startswith("postfix check")] == ["postfix check: warning: group or other writable"]


def test_check_mode_without_postfix_fails_without_claiming_a_kept_marker(programs, tmp_path, capsys):
    programs()
    os.unlink(str(tmp_path / "postfix"))
    marker = str(tmp_path / "pending")
    rc, result = run_module(reload_module, {"pending_marker": marker}, capsys, check_mode=True)
    assert rc == 1 and result["msg"] == "postfix was not found on the host"
    assert not os.path.exists(marker)


def test_check_mode_runs_nothing_but_the_state_query(programs, tmp_path, capsys):
    found = programs()
    marker = str(tmp_path / "pending")
    rc, result = run_module(reload_module, {"pending_marker": marker}, capsys, check_mode=True)
    assert rc == 0 and result["changed"] is True and result["action"] == "reload"
    assert found.calls() == ["systemctl is-active postfix"]
    assert not os.path.exists(marker)


def test_a_relative_marker_is_refused_before_anything_runs(programs, capsys):
    found = programs()
    rc, result = run_module(reload_module, {"pending_marker": "egress-reload-pending"}, capsys)
    assert rc == 1 and result["msg"] == "pending_marker: must be an absolute path"
    assert found.calls() == []


def test_a_marker_that_cannot_be_written_fails_with_its_path(programs, tmp_path, capsys):
    found = programs()
    marker = str(tmp_path / "missing-directory" / "pending")
    rc, result = run_module(reload_module, {"pending_marker": marker}, capsys)
    assert rc == 1 and result["msg"] == (
        "pending_marker %s could not be written (No such file or directory); nothing was checked or reloaded" % marker
    )
    assert found.calls() == []


def test_an_unknown_state_is_refused_by_the_argument_spec(programs, capsys):
    programs()
    rc, result = run_module(reload_module, {"state": "stopped"}, capsys)
    assert rc == 1 and "value of state must be one of: reloaded, restarted" in result["msg"]
