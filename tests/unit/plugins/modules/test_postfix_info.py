# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_info module's entry point: arguments, check mode, warnings, errors."""

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import postfix_info


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            postfix_info.main()
    return excinfo.value.code, json.loads(capsys.readouterr().out)


def test_reads_files_and_packages_in_check_mode(capsys, tmp_path):
    mailname = tmp_path / "mailname"
    mailname.write_text("web1.example.com\n")
    rc, result = run_module(
        {
            "packages": ["dpkg", "egress-no-such-package"],
            "mailname": str(mailname),
            "reload_pending": str(tmp_path / "pending"),
            "parts": ["packages", "files"],
            "_ansible_check_mode": True,
        },
        capsys,
    )
    assert rc == 0, result
    assert result["changed"] is False
    assert result["missing"] == ["egress-no-such-package"]
    assert result["reload_pending"] is False
    assert result["mailname"]["content"] == "web1.example.com\n"
    assert "db_type" not in result and "mail_queues" not in result


def test_every_part_and_the_queues(capsys, tmp_path):
    rc, result = run_module(
        {"packages": ["dpkg"], "queues": True, "config_dir": str(tmp_path), "mailname": str(tmp_path / "none")}, capsys
    )
    assert rc == 0, result
    for key in (
        "missing",
        "apt_lists",
        "apt_lists_age",
        "installed",
        "db_type",
        "services",
        "active",
        "enabled",
        "reload_pending",
        "mailname",
        "mail_queues",
    ):
        assert key in result, key
    assert result["mailname"] is None
    assert result["mail_queues"]["total"] == sum(result["mail_queues"]["waiting"].values())


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"packages": ["postfix; id"]}, "packages: 'postfix; id' is not a valid name"),
        ({"service": "../postfix"}, "service: '../postfix' is not a valid name"),
        ({"parts": ["everything"]}, "value of parts must be one or more of"),
    ],
)
def test_refused_arguments(capsys, args, fragment):
    rc, result = run_module(args, capsys)
    assert rc == 1
    assert fragment in result["msg"], result["msg"]
