# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the postconf module: arguments, check mode, diff mode, failures as JSON.

Moved from tests/unit/plugins/modules/test_postfix_modules.py; the logic behind the module has its
own tests in tests/unit/plugins/module_utils. Here the module runs in-process with Debian's real
postconf and postmap (.cache/postfix, the ``postfix_bin`` fixture, and ``postfix_env`` of
tests/unit/plugins/modules/conftest.py).
"""

import json

import pytest

from ansible_collections.egress.mail.plugins.modules import postconf as postconf_module
from ansible_collections.egress.mail.tests.unit.helpers.modules import _internal, run_module


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
