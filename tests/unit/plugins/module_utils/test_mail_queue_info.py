# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_info.collect and mail_queue_detect on the real MTAs' fixture spools."""

import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_detect, mail_queue_info

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mail_queue")
with open(os.path.join(FIXTURES, "postfix", "postqueue-j.jsonl")) as _handle:
    POSTQUEUE_OUT = _handle.read()


def runner(answers):
    calls = []

    def run(args):
        calls.append(args)
        for prefix, answer in answers.items():
            if " ".join(args).startswith(prefix):
                return answer
        raise OSError("%s not found" % args[0])

    run.calls = calls
    return run


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


def test_collect_every_queue():
    run = runner(
        {
            "/usr/sbin/postqueue -j": (0, POSTQUEUE_OUT, ""),
            "dpkg-query -S": (0, "exim4-daemon-light: /usr/sbin/exim4\n", ""),
        }
    )
    spools = {
        "exim4": os.path.join(FIXTURES, "exim4"),
        "nullmailer": os.path.join(FIXTURES, "nullmailer"),
        "sendmail": "/nonexistent",
        "dma": "/nonexistent",
        "opensmtpd": "/nonexistent",
    }
    result = mail_queue_info.collect(
        run,
        postqueue="/usr/sbin/postqueue",
        spools=spools,
        now=1796127100,
        with_messages=True,
        sendmail_path=os.path.join(FIXTURES, "postfix"),
    )
    assert result["sendmail_owner"]["mta"] == "exim4"
    assert result["waiting"] == {"postfix": 6, "exim4": 6, "nullmailer": 3, "sendmail": 0, "dma": 0, "opensmtpd": 0}
    assert result["total"] == 15
    names = [(q["mta"], q["queue"], q["count"]) for q in result["queues"]]
    assert names == [
        ("postfix", "incoming", 0),
        ("postfix", "active", 0),
        ("postfix", "deferred", 5),
        ("postfix", "hold", 1),
        ("exim4", "input", 6),
        ("nullmailer", "queue", 3),
    ]
    assert "exim4 input: 10.88.0.6 [10.88.0.6]: Connection refused: 2" in result["reason_lines"]
    assert len(result["messages"]) == 15
    assert "content" not in result["messages"][0]


def test_postfix_down_counts_files(tmp_path):
    for queue, name in (("deferred", "A/ABC123"), ("hold", "DEF456")):
        path = tmp_path / queue / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    run = runner({"/usr/sbin/postqueue -j": (69, "", "postqueue: fatal: Queue report unavailable")})
    result = mail_queue_info.collect(
        run,
        mtas=["postfix"],
        postqueue="/usr/sbin/postqueue",
        spools={"postfix": str(tmp_path)},
        sendmail_path="/nonexistent",
    )
    assert result["waiting"] == {"postfix": 2}
    assert result["warnings"] == [
        "postqueue -j failed (69): postqueue: fatal: Queue report unavailable; counted the queue files instead"
    ]


def test_unparsed_queues_are_counted(tmp_path):
    (tmp_path / "qfABC").write_text("x")
    (tmp_path / "dfABC").write_text("x")
    assert len(mail_queue_detect.count_files("sendmail", str(tmp_path))) == 1
    (tmp_path / "queue" / "ab").mkdir(parents=True)
    (tmp_path / "queue" / "ab" / "ab123456").mkdir()
    assert [m.queue_id for m in mail_queue_detect.count_files("opensmtpd", str(tmp_path))] == ["queue/ab/ab123456"]


def test_collect_until_empty_polls_until_the_queue_drains():
    outputs = [POSTQUEUE_OUT, POSTQUEUE_OUT.split("\n", 3)[3], ""]
    clock = [0.0]

    def run(args):
        if args[0].endswith("postqueue"):
            return 0, outputs.pop(0) if len(outputs) > 1 else outputs[0], ""
        raise OSError("no dpkg")

    def sleep(seconds):
        clock[0] += seconds

    result = mail_queue_info.collect_until_empty(
        run,
        20,
        sleep=sleep,
        clock=lambda: clock[0],
        mtas=["postfix"],
        postqueue="/usr/sbin/postqueue",
        sendmail_path="/nonexistent",
    )
    assert result["total"] == 0 and result["waited"] == 2.0


def test_collect_until_empty_gives_up_after_the_wait():
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    run = runner({"/usr/sbin/postqueue -j": (0, POSTQUEUE_OUT, "")})
    result = mail_queue_info.collect_until_empty(
        run,
        5,
        sleep=sleep,
        clock=lambda: clock[0],
        mtas=["postfix"],
        postqueue="/usr/sbin/postqueue",
        sendmail_path="/nonexistent",
    )
    assert result["total"] == 6 and result["waited"] == 5.0
