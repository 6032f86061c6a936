# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_info.collect on the real MTAs' fixture spools."""

import os

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_info
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import FIXTURES, runner

with open(os.path.join(FIXTURES, "postfix", "postqueue-j.jsonl")) as _handle:
    POSTQUEUE_OUT = _handle.read()


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


def until_empty(run, wait, sendmail_path="/nonexistent"):
    """collect_until_empty() of Postfix's queue on a clock that only sleep() moves."""
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    return mail_queue_info.collect_until_empty(
        run,
        wait,
        sleep=sleep,
        clock=lambda: clock[0],
        mtas=["postfix"],
        postqueue="/usr/sbin/postqueue",
        sendmail_path=sendmail_path,
    )


def test_collect_until_empty_polls_until_the_queue_drains():
    outputs = [POSTQUEUE_OUT, POSTQUEUE_OUT.split("\n", 3)[3], ""]

    def run(args):
        if args[0].endswith("postqueue"):
            return 0, outputs.pop(0) if len(outputs) > 1 else outputs[0], ""
        raise OSError("no dpkg")

    result = until_empty(run, 20)
    assert result["total"] == 0 and result["waited"] == 2.0


def test_collect_until_empty_gives_up_after_the_wait():
    run = runner({"/usr/sbin/postqueue -j": (0, POSTQUEUE_OUT, "")})
    result = until_empty(run, 5)
    assert result["total"] == 6 and result["waited"] == 5.0
    assert isinstance(result["waited"], float)  # also when the time is up


def test_collect_until_empty_looks_up_the_sendmail_owner_once():
    run = runner(
        {
            "/usr/sbin/postqueue -j": (0, POSTQUEUE_OUT, ""),
            "dpkg-query -S": (0, "postfix: /usr/sbin/sendmail\n", ""),
        }
    )
    result = until_empty(run, 3, sendmail_path=os.path.join(FIXTURES, "postfix"))
    assert result["sendmail_owner"]["mta"] == "postfix"
    assert [c[0] for c in run.calls].count("dpkg-query") == 1
    assert [c[0] for c in run.calls].count("/usr/sbin/postqueue") == 4


def test_collect_without_a_sendmail_path_does_not_look_for_its_owner():
    run = runner({"/usr/sbin/postqueue -j": (0, POSTQUEUE_OUT, "")})
    result = mail_queue_info.collect(run, mtas=["postfix"], postqueue="/usr/sbin/postqueue", sendmail_path=None)
    assert "sendmail_owner" not in result and result["total"] == 6
    assert run.calls == [["/usr/sbin/postqueue", "-j"]]
