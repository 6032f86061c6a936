# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mail_queue and mail_queue_migrate entry points on copies of the real MTAs' spools."""

import json
import os
import shutil

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import mail_queue, mail_queue_migrate

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "mail_queue")


def run_module(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            module.main()
    return excinfo.value.code, json.loads(capsys.readouterr().out)


def test_mail_queue_reads_the_spools(capsys, tmp_path):
    rc, result = run_module(
        mail_queue,
        {
            "mtas": ["exim4", "nullmailer"],
            "spools": {"exim4": os.path.join(FIXTURES, "exim4"), "nullmailer": os.path.join(FIXTURES, "nullmailer")},
            "_ansible_check_mode": True,
        },
        capsys,
    )
    assert rc == 0, result
    assert result["changed"] is False
    assert result["waiting"] == {"exim4": 6, "nullmailer": 3}


def test_mail_queue_unknown_spool_name(capsys):
    rc, result = run_module(mail_queue, {"spools": {"qmail": "/var/qmail"}}, capsys)
    assert rc == 1
    assert result["msg"].startswith("spools: unknown MTA qmail")


def test_migrate_refuses_while_sendmail_is_not_postfix(capsys, tmp_path):
    spool = str(tmp_path / "nullmailer")
    shutil.copytree(os.path.join(FIXTURES, "nullmailer"), spool)
    rc, result = run_module(
        mail_queue_migrate,
        {
            "mta": "nullmailer",
            "spool": spool,
            "journal": str(tmp_path / "j"),
            "unmovable_dir": str(tmp_path / "u"),
            "sendmail_path": str(tmp_path / "no-sendmail"),
        },
        capsys,
    )
    assert rc == 1
    assert "is not Postfix's (owner: None)" in result["msg"]
    assert len(os.listdir(os.path.join(spool, "queue"))) == 3


def test_migrate_nothing_to_do(capsys, tmp_path):
    rc, result = run_module(mail_queue_migrate, {"mta": "exim4", "spool": str(tmp_path)}, capsys)
    assert rc == 0 and result["changed"] is False and result["moved"] == 0
