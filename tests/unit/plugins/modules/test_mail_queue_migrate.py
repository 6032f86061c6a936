# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mail_queue_migrate entry point on copies of the real MTAs' spools.

Moved from tests/unit/plugins/modules/test_mail_queue_modules.py."""

import os
import shutil

from ansible_collections.egress.mail.plugins.modules import mail_queue_migrate
from ansible_collections.egress.mail.tests.unit.helpers.modules import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "mail_queue")


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
