# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry points of the postconf, postfix_maps, private_file and
postfix_test_message modules: arguments, check mode, diff mode, failures as JSON.

The logic behind them has its own tests in tests/unit/plugins/module_utils; here the modules
run in-process with Debian's real postconf and postmap (.cache/postfix, the ``postfix_bin``
fixture), against configuration directories in a temporary directory.
"""

import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import postconf as postconf_module
from ansible_collections.egress.mail.plugins.modules import postfix_maps as maps_module
from ansible_collections.egress.mail.plugins.modules import postfix_test_message as message_module
from ansible_collections.egress.mail.plugins.modules import private_file as private_module

SECRET = "s3cr3t-Pa55 word"


def _internal():
    """ansible-core 2.19's module_utils._internal (it knows whether code runs on the controller)."""
    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core before 2.19
        return None
    return _internal


def run_module(module, args, capsys, check_mode=False, diff=False):
    """main() in-process; (exit code, parsed JSON)."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            module.main()
    return excinfo.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture()
def postfix_env(postfix_bin, monkeypatch, tmp_path):
    """The real binaries on PATH (as on a host: the modules look them up) and MAIL_CONFIG
    pointing at a main.cf postmap accepts (the controller has no postfix user)."""
    monkeypatch.setenv("PATH", os.path.dirname(postfix_bin.postconf) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MAIL_CONFIG", postfix_bin.config_dir)
    return postfix_bin


# --- postfix_maps ----------------------------------------------------------------------------


def sasl_map(tmp_path, password=SECRET):
    return {
        "path": str(tmp_path / "sasl_passwd"),
        "content": "[relay.example]:587 user:%s\n" % password,
        "mode": "0600",
        "secret": True,
    }


def test_maps_module_builds_with_the_default_database_type_of_postconf(postfix_env, tmp_path, capsys):
    rc, result = run_module(maps_module, {"maps": [sasl_map(tmp_path)]}, capsys)
    assert rc == 0 and result["changed"] is True, result
    expected_type = postfix_env.run(
        [postfix_env.postconf, "-c", postfix_env.config_dir, "-h", "default_database_type"]
    ).stdout.strip()
    assert result["db_type"] == expected_type
    found, dummy = postfix_env.postmap_query(
        "%s:%s" % (expected_type, tmp_path / "sasl_passwd"), ["[relay.example]:587"]
    )
    assert found == {"[relay.example]:587": "user:%s" % SECRET}
    for name in os.listdir(str(tmp_path)):
        assert stat.S_IMODE(os.stat(str(tmp_path / name)).st_mode) == 0o600, name
    assert "diff" not in result

    rc, again = run_module(maps_module, {"maps": [sasl_map(tmp_path)]}, capsys)
    assert rc == 0 and again["changed"] is False, again


def test_maps_module_diff_only_in_diff_mode_and_never_the_secret(postfix_env, tmp_path, capsys):
    run_module(maps_module, {"maps": [sasl_map(tmp_path)]}, capsys)
    rc, result = run_module(maps_module, {"maps": [sasl_map(tmp_path, "n3w-" + SECRET)]}, capsys, diff=True)
    assert rc == 0 and result["changed"] is True
    diff_text = json.dumps(result["diff"])
    assert SECRET not in diff_text and "n3w-" not in diff_text


def test_maps_module_check_mode_writes_nothing(postfix_env, tmp_path, capsys):
    rc, result = run_module(maps_module, {"maps": [sasl_map(tmp_path)], "db_type": "hash"}, capsys, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert os.listdir(str(tmp_path)) == []


def test_maps_module_failure_is_json_naming_the_map(postfix_env, tmp_path, capsys):
    bad = dict(sasl_map(tmp_path), mode="0999")
    rc, result = run_module(maps_module, {"maps": [bad], "db_type": "hash"}, capsys)
    assert rc == 1 and result["failed"] is True
    assert "mode" in result["msg"] and SECRET not in result["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_maps_module_postconf_failure_is_reported(postfix_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MAIL_CONFIG", str(tmp_path / "no-such-dir"))
    rc, result = run_module(maps_module, {"maps": [sasl_map(tmp_path)]}, capsys)
    assert rc == 1 and result["msg"].startswith("postconf -h default_database_type failed: ")
    assert not os.path.exists(str(tmp_path / "sasl_passwd"))


# --- postconf --------------------------------------------------------------------------------


@pytest.fixture()
def config_dir(tmp_path):
    (tmp_path / "main.cf").write_text("# hand-edited\ncompatibility_level = 3.6\nsmtp_tls_wrappermode = yes\n")
    (tmp_path / "master.cf").write_text("")
    return tmp_path


def main_cf(config_dir):
    return (config_dir / "main.cf").read_text()


def test_postconf_module_sets_removes_and_is_idempotent(postfix_env, config_dir, capsys):
    parameters = {"relayhost": "[relay.example]:587", "smtp_sasl_auth_enable": True}
    args = {"config_dir": str(config_dir), "parameters": parameters, "absent": ["smtp_tls_wrappermode"]}
    rc, result = run_module(postconf_module, args, capsys)
    assert rc == 0 and result["changed"] is True, result
    assert sorted(result["changed_parameters"]) == ["relayhost", "smtp_sasl_auth_enable"]
    assert result["removed_parameters"] == ["smtp_tls_wrappermode"]
    text = main_cf(config_dir)
    assert "relayhost = [relay.example]:587\n" in text and "smtp_sasl_auth_enable = yes\n" in text
    assert "smtp_tls_wrappermode" not in text and text.startswith("# hand-edited\n")
    rc, again = run_module(postconf_module, args, capsys)
    assert rc == 0 and again["changed"] is False, again


def test_postconf_module_check_and_diff(postfix_env, config_dir, capsys):
    before = main_cf(config_dir)
    args = {"config_dir": str(config_dir), "parameters": {"relayhost": "[relay.example]:587"}}
    rc, result = run_module(postconf_module, args, capsys, check_mode=True, diff=True)
    assert rc == 0 and result["changed"] is True
    assert "relayhost = [relay.example]:587" in result["diff"]["after"]
    assert main_cf(config_dir) == before
    rc, result = run_module(postconf_module, args, capsys, check_mode=True)
    assert "diff" not in result


def test_postconf_module_warns_of_a_parameter_postfix_does_not_know(postfix_env, config_dir, capsys, monkeypatch):
    # On the controller (after another test imported controller code) ansible-core 2.19 prints
    # a module's warnings instead of returning them: this test runs the module as on a target.
    internal = _internal()
    if internal is not None:
        monkeypatch.setattr(internal, "is_controller", False)
    args = {"config_dir": str(config_dir), "parameters": {"relay_hots": "typo"}}
    rc, result = run_module(postconf_module, args, capsys)
    assert rc == 0
    # ansible-core 2.19 returns warnings as structured summaries, older ones as text.
    assert "postconf does not know the parameter 'relay_hots'" in json.dumps(result["warnings"]), result


def test_postconf_module_refuses_a_bad_name_before_any_change(postfix_env, config_dir, capsys):
    before = main_cf(config_dir)
    args = {"config_dir": str(config_dir), "parameters": {"relayhost\nmynetworks": "0.0.0.0/0"}}
    rc, result = run_module(postconf_module, args, capsys)
    assert rc == 1 and result["failed"] is True
    assert main_cf(config_dir) == before


def test_postconf_module_needs_something_to_do(postfix_env, config_dir, capsys):
    rc, result = run_module(postconf_module, {"config_dir": str(config_dir)}, capsys)
    assert rc == 1 and "one of the following is required" in result["msg"]


# --- private_file ----------------------------------------------------------------------------


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


# --- postfix_test_message --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["recipient", "sender", "subject"])
@pytest.mark.parametrize("line_break", ["\n", "\r"])
def test_test_message_refuses_a_header_break(capsys, name, line_break):
    args = {"recipient": "ops@example.test", name: "ops@example.test%sBcc: other@example.test" % line_break}
    rc, result = run_module(message_module, args, capsys)
    assert rc == 1 and result["msg"] == "%s: must be a single line" % name


def test_test_message_sends_nothing_in_check_mode(capsys, tmp_path):
    marker = tmp_path / "ran"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text("#!/bin/sh\ntouch %s\n" % marker)
    sendmail.chmod(0o755)
    rc, result = run_module(
        message_module, {"recipient": "ops@example.test", "sendmail_path": str(sendmail)}, capsys, check_mode=True
    )
    assert rc == 0 and result["changed"] is False and result["status"] == "skipped"
    assert not marker.exists()


def test_test_message_fails_when_sendmail_refuses(capsys, tmp_path):
    """A sendmail that exits 75 (EX_TEMPFAIL) with a reason: failed, status not_queued."""
    sendmail = tmp_path / "sendmail"
    sendmail.write_text("#!/bin/sh\ncat >/dev/null\necho 'sendmail: fatal: queue file write error' >&2\nexit 75\n")
    sendmail.chmod(0o755)
    rc, result = run_module(
        message_module, {"recipient": "ops@example.test", "sendmail_path": str(sendmail), "timeout": 1}, capsys
    )
    assert rc == 1 and result["failed"] is True and result["status"] == "not_queued"
    assert result["msg"] == (
        "test message to ops@example.test was not accepted by the relay: not_queued: "
        "sendmail: fatal: queue file write error"
    )
