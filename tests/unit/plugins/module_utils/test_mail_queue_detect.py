# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_detect: who owns /usr/sbin/sendmail, and the queues that are only counted."""

import pytest

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_detect
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import runner


@pytest.mark.parametrize(
    "out, mta, package",
    [
        ("exim4-daemon-light: /usr/sbin/exim4\n", "exim4", "exim4-daemon-light"),
        ("nullmailer: /usr/sbin/sendmail\n", "nullmailer", "nullmailer"),
        ("postfix: /usr/sbin/sendmail\n", "postfix", "postfix"),
        ("msmtp-mta: /usr/sbin/sendmail\n", "msmtp", "msmtp-mta"),
        ("dma: /usr/sbin/dma\n", "dma", "dma"),
        ("sendmail-bin: /usr/sbin/sendmail-mta\n", "sendmail", "sendmail-bin"),
        ("opensmtpd: /usr/sbin/smtpctl\n", "opensmtpd", "opensmtpd"),
        ("diversion by foo from: /usr/sbin/sendmail\nbusybox-mta: /usr/sbin/sendmail\n", "unknown", "busybox-mta"),
    ],
    ids=["exim4", "nullmailer", "postfix", "msmtp", "dma", "sendmail", "opensmtpd", "unknown"],
)
def test_owner_debian(out, mta, package):
    run = runner({"dpkg-query -S": (0, out, "")})
    found = mail_queue_detect.owner(run, realpath=lambda p: "/usr/sbin/x", exists=lambda p: True)
    assert found == (mta, package, "/usr/sbin/x")


def test_owner_rhel_alternative():
    run = runner({"rpm -qf": (0, "sendmail\n", "")})
    found = mail_queue_detect.owner(run, realpath=lambda p: "/usr/sbin/sendmail.sendmail", exists=lambda p: True)
    assert found == ("sendmail", "sendmail", "/usr/sbin/sendmail.sendmail")
    assert run.calls[-1] == ["rpm", "-qf", "--qf", "%{NAME}\n", "/usr/sbin/sendmail.sendmail"]


def test_owner_without_sendmail():
    assert mail_queue_detect.owner(runner({}), exists=lambda p: False) == (None, None, None)


def test_unparsed_queues_are_counted(tmp_path):
    (tmp_path / "qfABC").write_text("x")
    (tmp_path / "dfABC").write_text("x")
    assert len(mail_queue_detect.count_files("sendmail", str(tmp_path))) == 1
    (tmp_path / "queue" / "ab").mkdir(parents=True)
    (tmp_path / "queue" / "ab" / "ab123456").mkdir()
    assert [m.queue_id for m in mail_queue_detect.count_files("opensmtpd", str(tmp_path))] == ["queue/ab/ab123456"]
