# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_summary on the messages the readers find in the real MTAs' fixture spools."""

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_exim, mail_queue_nullmailer
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import reason_lines, summarize
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import EXIM, NULLMAILER


def test_reason_lines():
    summaries = [
        summarize("exim4", "input", mail_queue_exim.read(EXIM), 1796127100),
        summarize("nullmailer", "queue", mail_queue_nullmailer.read(NULLMAILER), 1796127100),
        summarize("postfix", "hold", [], 1796127100),
    ]
    assert reason_lines(summaries) == [
        "exim4 input: 10.88.0.6 [10.88.0.6]: Connection refused: 2",
        "nullmailer queue: 3 waiting",
    ]
    assert summaries[0]["frozen"] == 1 and summaries[0]["oldest_age"] == 104
