# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_postfix on the postqueue -j output of a real Postfix 3.7."""

import pytest

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_postfix
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueueReadError, summarize
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import POSTQUEUE


def test_postfix_postqueue_json():
    with open(POSTQUEUE) as handle:
        messages = mail_queue_postfix.parse_postqueue_json(handle.read())
    assert len(messages) == 6
    deferred = [m for m in messages if m.queue == "deferred"]
    summary = summarize("postfix", "deferred", deferred, 1796127100)
    assert summary["count"] == 5
    assert summary["oldest_age"] == 77
    assert summary["reasons"] == [
        {
            "reason": "Host or domain name not found. Name service error for name=takeover-nowhere type=AAAA: "
            "Host not found, try again",
            "count": 3,
        },
        {"reason": "connect to 10.88.0.6[10.88.0.6]:2525: Connection refused", "count": 2},
    ]
    assert [m.queue for m in messages].count("hold") == 1


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("not json\n", "not JSON (line 1)"),
        ("{}\n", "without queue_name"),
    ],
)
def test_postfix_bad_output(text, fragment):
    with pytest.raises(QueueReadError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        mail_queue_postfix.parse_postqueue_json(text)


def test_postfix_read_failure():
    def run(args):
        return 69, "", "postqueue: fatal: Queue report unavailable - mail system is down\n"

    with pytest.raises(QueueReadError, match="mail system is down"):
        mail_queue_postfix.read(run, "/usr/sbin/postqueue")
