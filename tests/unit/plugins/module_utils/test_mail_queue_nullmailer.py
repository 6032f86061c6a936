# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_nullmailer.read on the spool of a real nullmailer 2.2."""

import os
import shutil

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_nullmailer
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import NULLMAILER, by_message_id


def test_nullmailer_envelopes_and_content():
    found = by_message_id(mail_queue_nullmailer.read(NULLMAILER))
    assert sorted(found) == ["<null.1@example.test>", "<null.2@example.test>", "<null.multi@example.test>"]
    multi = found["<null.multi@example.test>"]
    assert (multi.sender, multi.recipients, multi.arrival_time) == (
        "multi@example.test",
        ["x@example.test", "y@example.test"],
        1796127013,
    )
    content = multi.content()
    assert content.startswith(b"Received: (nullmailer pid 167 invoked by uid 0);\n\t")
    assert content.endswith(b"\n\n.dot line\n")


def test_nullmailer_failed_and_corrupt(tmp_path):
    spool = str(tmp_path / "nullmailer")
    shutil.copytree(NULLMAILER, spool)
    os.makedirs(os.path.join(spool, "failed"), exist_ok=True)  # git keeps no empty directory
    os.rename(os.path.join(spool, "queue", "1796127010.159"), os.path.join(spool, "failed", "1796127010.159"))
    with open(os.path.join(spool, "queue", "1796127099.1"), "wb") as handle:
        handle.write(b"sender@x\n")
    found = dict((m.queue_id, m) for m in mail_queue_nullmailer.read(spool))
    assert found["1796127010.159"].state == "frozen" and found["1796127010.159"].queue == "failed"
    assert found["1796127099.1"].state == "corrupt"
