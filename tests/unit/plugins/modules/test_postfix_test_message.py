# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the entry point of the postfix_test_message module: arguments, check mode, diff mode, failures as JSON.

Moved from tests/unit/plugins/modules/test_postfix_modules.py; the logic behind the module has its
own tests in tests/unit/plugins/module_utils.
"""

import pytest

from ansible_collections.egress.mail.plugins.modules import postfix_test_message as message_module
from ansible_collections.egress.mail.tests.unit.helpers.modules import run_module


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
