# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the postfix_release module: arguments, the programs it finds,
check mode, failures as JSON. The logic has its own tests in tests/unit/plugins/module_utils."""

import pytest

from ansible_collections.egress.mail.plugins.modules import postfix_release as release_module
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import POSTQUEUE
from ansible_collections.egress.mail.tests.unit.helpers.modules import run_module

# A postqueue that lists the fixture queue until it is flushed, then only the held message;
# postconf names a queue directory in tmp_path. Both log their arguments.
POSTQUEUE_SCRIPT = """#!/bin/sh
echo "postqueue $*" >> {log}
case "$1" in
-j) if [ -e {flushed} ]; then /bin/grep '"hold"' {fixture}; else /bin/cat {fixture}; fi;;
-f) [ -n "{fail}" ] && {{ echo "{fail}" >&2; exit 69; }}; : > {flushed};;
esac
"""
POSTCONF_SCRIPT = """#!/bin/sh
echo "postconf $*" >> {log}
echo {spool}
"""


@pytest.fixture()
def programs(tmp_path, monkeypatch):
    def install(fail=""):
        log = tmp_path / "calls.log"
        log.write_text("")
        names = dict(log=log, flushed=tmp_path / "flushed", fixture=POSTQUEUE, fail=fail, spool=tmp_path / "spool")
        for name, script in (("postqueue", POSTQUEUE_SCRIPT), ("postconf", POSTCONF_SCRIPT)):
            path = tmp_path / name
            path.write_text(script.format(**names))
            path.chmod(0o755)
        monkeypatch.setattr(release_module, "SBIN", [str(tmp_path)])
        monkeypatch.setenv("PATH", str(tmp_path))
        return lambda: log.read_text().splitlines()

    return install


def test_flushes_and_reports_before_and_after(programs, capsys):
    calls = programs()
    rc, result = run_module(release_module, {"wait": 5}, capsys)
    assert rc == 0, result
    assert (result["changed"], result["flushed"], result["released"], result["left"]) == (True, True, 5, 5)
    assert (result["before"]["total"], result["total"], result["waiting"]) == (6, 1, {"postfix": 1})
    assert calls() == ["postconf -h queue_directory", "postqueue -j", "postqueue -f", "postqueue -j", "postqueue -j"]


def test_check_mode_flushes_nothing(programs, capsys):
    calls = programs()
    rc, result = run_module(release_module, {}, capsys, check_mode=True)
    assert rc == 0, result
    assert (result["changed"], result["flushed"], result["total"]) == (True, False, 6)
    assert "postqueue -f" not in calls()


def test_a_given_queue_directory_is_not_asked_for(programs, tmp_path, capsys):
    calls = programs()
    rc, result = run_module(release_module, {"queue_directory": str(tmp_path), "wait": 0}, capsys)
    assert rc == 0, result
    assert calls()[0] == "postqueue -j"


def test_a_failed_flush_fails_with_postqueues_words(programs, capsys):
    programs(fail="postqueue: fatal: Cannot flush mail queue - mail system is down")
    rc, result = run_module(release_module, {}, capsys)
    assert rc == 1 and result["failed"] is True
    assert result["msg"] == (
        "could not release the Postfix queue: postqueue -f failed (69):"
        " postqueue: fatal: Cannot flush mail queue - mail system is down"
    )


@pytest.mark.parametrize("wait", [-1, 3601])
def test_wait_out_of_range_is_refused(wait, capsys):
    rc, result = run_module(release_module, {"wait": wait}, capsys)
    assert rc == 1 and result["msg"] == "wait: must be between 0 and 3600 seconds"


def test_no_postqueue(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(release_module, "SBIN", [str(tmp_path)])
    monkeypatch.setenv("PATH", str(tmp_path))
    rc, result = run_module(release_module, {}, capsys)
    assert rc == 1 and result["msg"] == "postqueue not found (is Postfix installed?)"
