# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plugins/module_utils/postfix_reload.py with stand-in programs: shell scripts named postfix,
systemctl and service that log their arguments and answer with the exit status a test asks for
(the real reload is proven on real hosts by the relay_options scenario)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postfix_reload import (
    MARKER_RESTART_TEXT,
    MARKER_TEXT,
    ReloadError,
    reload,
    service_commands,
)
from ansible_collections.egress.mail.tests.unit.helpers.programs import StandIns as Programs
from ansible_collections.egress.mail.tests.unit.helpers.programs import run


@pytest.fixture()
def marker(tmp_path):
    return str(tmp_path / "reload-pending")


def test_reload_checks_then_reloads_and_removes_the_marker(tmp_path, marker):
    programs = Programs(tmp_path)
    result = reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert result == {"changed": True, "action": "reload", "checked": True, "warnings": []}
    assert programs.calls() == ["systemctl is-active postfix", "postfix check", "systemctl reload postfix"]
    assert not os.path.exists(marker)


def test_the_marker_exists_with_its_mode_while_the_check_runs(tmp_path, marker):
    """Written before `postfix check`: a check that never returns (a killed run) leaves it."""
    programs = Programs(tmp_path)
    seen = []

    def watching(args):
        if args[-1] == "check":
            info = os.stat(marker)
            with open(marker, "rb") as handle:
                seen.append((handle.read(), stat.S_IMODE(info.st_mode)))
        return run(args)

    reload(watching, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert seen == [(MARKER_TEXT, 0o644)]


def test_a_refused_check_keeps_the_marker_and_does_not_reload(tmp_path, marker):
    programs = Programs(tmp_path, fail={"postfix check": (1, "postfix/postfix-script: fatal: bad   config")})
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert str(excinfo.value) == (
        "postfix check (of the live configuration) failed (rc 1): postfix/postfix-script: fatal: bad config"
    )
    assert programs.calls() == ["systemctl is-active postfix", "postfix check"]
    with open(marker, "rb") as handle:
        assert handle.read() == MARKER_TEXT


def test_a_failed_reload_keeps_the_marker(tmp_path, marker):
    programs = Programs(tmp_path, fail={"systemctl reload": (1, "Job for postfix.service failed.")})
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert str(excinfo.value) == "systemctl reload postfix failed (rc 1): Job for postfix.service failed."
    assert os.path.exists(marker)


def test_a_failed_command_without_output_says_so(tmp_path, marker):
    programs = Programs(tmp_path, fail={"systemctl reload": (3, "")})
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert str(excinfo.value) == "systemctl reload postfix failed (rc 3): no output"


def test_a_stopped_service_is_started(tmp_path, marker):
    programs = Programs(tmp_path, fail={"systemctl is-active": (3, "")})
    result = reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert result["action"] == "start"
    assert programs.calls()[-1] == "systemctl start postfix"
    assert not os.path.exists(marker)


def test_restarted_restarts_a_running_or_stopped_service(tmp_path):
    for fail in ({}, {"systemctl is-active": (3, "")}):
        programs = Programs(tmp_path, fail=fail)
        result = reload(run, programs.paths["postfix"], state="restarted", systemctl=programs.paths["systemctl"])
        assert result == {"changed": True, "action": "restart", "checked": True, "warnings": []}
        assert programs.calls()[-1] == "systemctl restart postfix"


def test_without_systemd_service_8_and_postfix_status(tmp_path, marker):
    programs = Programs(tmp_path)
    reload(run, programs.paths["postfix"], marker=marker, service_tool=programs.paths["service"], name="postfix2")
    assert programs.calls() == ["postfix status", "postfix check", "service postfix2 reload"]
    programs = Programs(
        tmp_path, fail={"postfix status": (1, "postfix/postfix-script: the Postfix mail system is not running")}
    )
    assert reload(run, programs.paths["postfix"], service_tool=programs.paths["service"])["action"] == "start"
    assert programs.calls()[-1] == "service postfix start"


def test_no_service_manager_is_an_error_after_the_marker_is_written(tmp_path, marker):
    """The marker comes first: a failure of any later step is remembered for the next run."""
    programs = Programs(tmp_path)
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker)
    assert str(excinfo.value) == "neither systemctl (with systemd running) nor service(8) was found to reload postfix"
    assert excinfo.value.kept is True
    assert programs.calls() == ["postfix status"]
    assert os.path.exists(marker)


def test_no_postfix_is_an_error(marker):
    with pytest.raises(ReloadError) as excinfo:
        reload(run, None, marker=marker, systemctl="/bin/true")
    assert str(excinfo.value) == "postfix was not found on the host"
    assert excinfo.value.kept is True and os.path.exists(marker)
    with pytest.raises(ReloadError) as excinfo:
        reload(run, None, systemctl="/bin/true")
    assert excinfo.value.kept is False


def test_a_failed_restart_is_remembered_as_a_restart(tmp_path, marker):
    """inet_interfaces changed, the restart failed: the next run (which changes nothing, so asks for a
    reload) restarts, since a reload would not apply inet_interfaces."""
    programs = Programs(tmp_path, fail={"postfix check": (1, "injected")})
    with pytest.raises(ReloadError):
        reload(run, programs.paths["postfix"], state="restarted", marker=marker, systemctl=programs.paths["systemctl"])
    with open(marker, "rb") as handle:
        assert handle.read() == MARKER_RESTART_TEXT
    programs = Programs(tmp_path)
    result = reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert result["action"] == "restart"
    assert programs.calls()[-1] == "systemctl restart postfix"
    assert not os.path.exists(marker)
    programs = Programs(tmp_path)
    assert (
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])["action"]
        == "reload"
    )


def test_a_restart_marker_survives_a_failed_reload_request(tmp_path, marker):
    """Asked to reload while a restart is due and the check fails: the marker still says restart."""
    with open(marker, "wb") as handle:
        handle.write(MARKER_RESTART_TEXT)
    programs = Programs(tmp_path, fail={"postfix check": (1, "injected")})
    with pytest.raises(ReloadError):
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    with open(marker, "rb") as handle:
        assert handle.read() == MARKER_RESTART_TEXT


def test_a_marker_that_cannot_be_written_stops_before_anything_runs(tmp_path):
    programs = Programs(tmp_path)
    marker = str(tmp_path / "missing-directory" / "pending")
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert str(excinfo.value) == (
        "pending_marker %s could not be written (No such file or directory); nothing was checked or reloaded" % marker
    )
    assert excinfo.value.kept is False
    assert programs.calls() == []


def test_a_marker_that_cannot_be_read_stops_before_anything_runs(tmp_path):
    programs = Programs(tmp_path)
    marker = str(tmp_path)  # a directory
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert str(excinfo.value) == (
        "pending_marker %s could not be read (Is a directory); nothing was checked or reloaded" % marker
    )
    assert programs.calls() == []


def test_warnings_of_a_check_that_passes_are_returned(tmp_path):
    programs = Programs(
        tmp_path, fail={"postfix check": (0, "postfix/postfix-script: warning: symlink leaves directory")}
    )
    result = reload(run, programs.paths["postfix"], systemctl=programs.paths["systemctl"])
    assert result["warnings"] == ["postfix check: postfix/postfix-script: warning: symlink leaves directory"]


def test_a_failure_quotes_stderr_and_stdout(tmp_path):
    programs = Programs(tmp_path)
    with open(programs.paths["service"], "w") as handle:
        handle.write("#!/bin/sh\necho 'Starting postfix failed' ; echo 'bad  thing' >&2; exit 1\n")
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], service_tool=programs.paths["service"])
    assert str(excinfo.value) == "service postfix reload failed (rc 1): bad thing; Starting postfix failed"


@pytest.mark.parametrize("name", ["-postfix", "postfix service", "", None, "post$fix"])
def test_a_service_name_that_is_not_a_unit_name_is_refused(tmp_path, marker, name):
    programs = Programs(tmp_path)
    with pytest.raises(ReloadError) as excinfo:
        reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"], name=name)
    assert str(excinfo.value) == "service: %r is not a valid name" % (name,)
    assert programs.calls() == [] and not os.path.exists(marker)


def test_check_false_reloads_without_checking(tmp_path, marker):
    programs = Programs(tmp_path)
    result = reload(run, programs.paths["postfix"], marker=marker, check=False, systemctl=programs.paths["systemctl"])
    assert result == {"changed": True, "action": "reload", "checked": False, "warnings": []}
    assert programs.calls() == ["systemctl is-active postfix", "systemctl reload postfix"]


def test_no_marker_is_written_without_a_path(tmp_path):
    programs = Programs(tmp_path)
    before = sorted(os.listdir(str(tmp_path)))
    reload(run, programs.paths["postfix"], systemctl=programs.paths["systemctl"])
    assert sorted(os.listdir(str(tmp_path))) == before


def test_an_old_marker_is_replaced_and_removed(tmp_path, marker):
    """A marker left by a failed run (any content, another mode) goes after a good reload."""
    with open(marker, "w") as handle:
        handle.write("left by an earlier version\n")
    os.chmod(marker, 0o600)
    programs = Programs(tmp_path)
    reload(run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"])
    assert not os.path.exists(marker)


def test_check_mode_changes_nothing_and_says_what_it_would_do(tmp_path, marker):
    programs = Programs(tmp_path, fail={"systemctl is-active": (3, "")})
    result = reload(
        run, programs.paths["postfix"], marker=marker, systemctl=programs.paths["systemctl"], check_mode=True
    )
    assert result == {"changed": True, "action": "start", "checked": True, "warnings": []}
    assert programs.calls() == ["systemctl is-active postfix"]
    assert not os.path.exists(marker)


def test_an_unknown_state_is_refused():
    with pytest.raises(ValueError) as excinfo:
        reload(run, "/bin/true", state="stopped", systemctl="/bin/true")
    assert str(excinfo.value) == "state must be one of reloaded, restarted, got 'stopped'"


@pytest.mark.parametrize(
    "state, active, expected",
    [
        ("reloaded", True, ("reload", ["/bin/systemctl", "reload", "postfix"])),
        ("reloaded", False, ("start", ["/bin/systemctl", "start", "postfix"])),
        ("restarted", True, ("restart", ["/bin/systemctl", "restart", "postfix"])),
        ("restarted", False, ("restart", ["/bin/systemctl", "restart", "postfix"])),
    ],
)
def test_service_commands_with_systemctl(state, active, expected):
    assert service_commands(state, active, "/bin/systemctl", "/usr/sbin/service", "postfix") == expected


def test_service_commands_prefer_systemctl_then_service():
    assert service_commands("reloaded", True, None, "/usr/sbin/service", "pf") == (
        "reload",
        ["/usr/sbin/service", "pf", "reload"],
    )
