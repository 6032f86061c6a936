# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mail_queue entry point on copies of the real MTAs' spools.

Moved from tests/unit/plugins/modules/test_mail_queue_modules.py."""

import os

from ansible_collections.egress.mail.plugins.modules import mail_queue
from ansible_collections.egress.mail.tests.unit.helpers.modules import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "mail_queue")


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
