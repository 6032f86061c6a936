# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the postfix_maps module: arguments, check mode, diff mode, failures as JSON.

Moved from tests/unit/plugins/modules/test_postfix_modules.py; the logic behind the module has its
own tests in tests/unit/plugins/module_utils. Here the module runs in-process with Debian's real
postconf and postmap (.cache/postfix, the ``postfix_bin`` fixture, and ``postfix_env`` of
tests/unit/plugins/modules/conftest.py).
"""

import json
import os
import stat

from ansible_collections.egress.mail.plugins.modules import postfix_maps as maps_module
from ansible_collections.egress.mail.tests.unit.helpers.modules import SECRET, run_module


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
