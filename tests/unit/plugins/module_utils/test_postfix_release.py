# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""postfix_release.release on the real ``postqueue -j`` fixture (5 deferred, 1 on hold) and a
queue directory in tmp_path: what is flushed, and when the wait ends."""

import json
import os
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils import postfix_release
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import POSTQUEUE

with open(POSTQUEUE) as _handle:
    LINES = _handle.read().splitlines()
DEFERRED = [json.loads(line)["queue_id"] for line in LINES if '"deferred"' in line]
HOLD = [line for line in LINES if '"hold"' in line]


def as_active(line):
    return line.replace('"queue_name": "deferred"', '"queue_name": "active"')


class Host(object):
    """postqueue -j answers one listing per read (the last one again once they run out), and
    postqueue -f is recorded; a clock that sleep() moves, and the wall clock of the flush."""

    def __init__(self, listings, flush=(0, "", "")):
        self.listings = list(listings)
        self.flush = flush
        self.calls = []
        self.now = 0.0
        self.sleeps = 0

    def run(self, args):
        self.calls.append(" ".join(args[1:]))
        if args[1:] == ["-j"]:
            listing = self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]
            return 0, "\n".join(listing) + "\n", ""
        if args[1:] == ["-f"]:
            return self.flush
        raise OSError("%s not found" % args[0])

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds

    def release(self, spool, wait=20, check_mode=False, flushed_at=None):
        return postfix_release.release(
            self.run,
            "/usr/sbin/postqueue",
            str(spool),
            wait,
            check_mode=check_mode,
            sleep=self.sleep,
            clock=lambda: self.now,
            wallclock=lambda: time.time() - 60 if flushed_at is None else flushed_at,
        )


def queue_files(spool, ids, queue="deferred"):
    """Queue files as Postfix hashes them (deferred/<first character>/<id>): their ctime is now."""
    for queue_id in ids:
        path = spool / queue / queue_id[0] / queue_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("queue file")


def test_an_empty_queue_is_not_flushed(tmp_path):
    host = Host([[]])
    result = host.release(tmp_path)
    assert host.calls == ["-j"]
    assert (result["changed"], result["flushed"], result["released"], result["total"]) == (False, False, 0, 0)


def test_mail_on_hold_only_is_not_flushed(tmp_path):
    host = Host([HOLD])
    result = host.release(tmp_path)
    assert host.calls == ["-j"] and result["changed"] is False
    assert result["before"]["total"] == result["total"] == 1


def test_check_mode_says_it_would_release_and_flushes_nothing(tmp_path):
    host = Host([LINES])
    result = host.release(tmp_path, check_mode=True)
    assert host.calls == ["-j"]
    assert (result["changed"], result["flushed"], result["released"], result["waited"]) == (True, False, 5, 0.0)
    assert result["total"] == 6


def test_released_mail_delivered_ends_the_wait(tmp_path):
    host = Host([LINES, HOLD])
    result = host.release(tmp_path)
    assert host.calls == ["-j", "-f", "-j", "-j"]  # the last one confirms at once
    assert (result["flushed"], result["left"], result["retried"]) == (True, 5, 0)
    assert (result["total"], result["waited"]) == (1, 0.0)
    assert result["before"]["total"] == 6
    assert result["before"]["reason_lines"] != result["reason_lines"]
    assert host.sleeps == 0


def test_a_broken_route_costs_one_retry_not_the_whole_wait(tmp_path):
    """Every released message deferred again, its queue file changed after the flush: done,
    although all of them (and the held one) still wait."""
    queue_files(tmp_path, DEFERRED)
    host = Host([LINES, [as_active(line) for line in LINES[:2]] + LINES[2:], LINES])
    result = host.release(tmp_path)
    assert host.calls == ["-j", "-f", "-j", "-j", "-j"] and host.sleeps == 1
    assert (result["left"], result["retried"], result["total"], result["waited"]) == (0, 5, 6, 1.0)
    assert isinstance(result["waited"], float)


def test_deferred_files_older_than_the_flush_mean_not_tried_yet(tmp_path):
    """Still deferred with files from before the flush (qmgr has not got to them): the wait
    goes on to its end."""
    queue_files(tmp_path, DEFERRED)
    host = Host([LINES])
    result = host.release(tmp_path, wait=5, flushed_at=time.time() + 60)
    assert (result["retried"], result["total"], result["waited"]) == (0, 6, 5.0)
    assert isinstance(result["waited"], float)  # also when the time is up
    assert host.sleeps == 5


def test_one_message_not_tried_again_keeps_the_wait(tmp_path):
    queue_files(tmp_path, DEFERRED[1:])  # the first one's file is not there (moved meanwhile)
    host = Host([LINES])
    result = host.release(tmp_path, wait=3)
    assert (result["retried"], result["waited"]) == (4, 3.0)


def test_unreadable_queue_files_wait_until_the_mail_left(tmp_path):
    """No deferred/ to look at (another queue_directory, no root): only leaving ends the wait."""
    host = Host([LINES, LINES, HOLD])
    result = host.release(tmp_path / "elsewhere")
    assert (result["left"], result["retried"], result["waited"]) == (5, 0, 1.0)


def test_a_failed_flush_says_why(tmp_path):
    host = Host([LINES], flush=(69, "", "postqueue: fatal: Cannot flush mail queue - mail system is down\n"))
    with pytest.raises(postfix_release.ReleaseError) as err:
        host.release(tmp_path)
    assert str(err.value) == "postqueue -f failed (69): postqueue: fatal: Cannot flush mail queue - mail system is down"


@pytest.mark.parametrize(
    "answer, expected",
    [
        ((0, "/srv/postfix-queue\n", ""), "/srv/postfix-queue"),
        ((1, "", "postconf: fatal: no main.cf"), "/var/spool/postfix"),
        ((0, "relative/path\n", ""), "/var/spool/postfix"),
        (OSError("postconf not found"), "/var/spool/postfix"),
    ],
)
def test_queue_directory(answer, expected):
    calls = []

    def run(args):
        calls.append(args)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert postfix_release.queue_directory(run, "/usr/sbin/postconf") == expected
    assert calls == [["/usr/sbin/postconf", "-h", "queue_directory"]]
    assert postfix_release.queue_directory(run, None) == "/var/spool/postfix"


def test_deferred_changes_reads_only_the_named_files(tmp_path):
    queue_files(tmp_path, ["AAA1", "BBB2"])
    queue_files(tmp_path, ["CCC3"], queue="active")
    found = postfix_release.deferred_changes(str(tmp_path), {"AAA1", "CCC3"})
    assert list(found) == ["AAA1"]
    assert abs(found["AAA1"] - os.stat(str(tmp_path / "deferred" / "A" / "AAA1")).st_ctime) < 1e-6


def test_mail_pickup_takes_from_maildrop_is_waited_for_under_its_new_id(tmp_path):
    """pickup moves a maildrop file into the queue under a new queue id, with its arrival time:
    the message is still waited for (its old id vanishing is not a delivery)."""
    maildrop = LINES[0].replace('"queue_name": "deferred"', '"queue_name": "maildrop"')
    picked_up = as_active(LINES[0]).replace(DEFERRED[0], "NEWID000001")
    host = Host([[maildrop], [picked_up], [picked_up], []])
    result = host.release(tmp_path)
    assert host.calls == ["-j", "-f", "-j", "-j", "-j", "-j"] and host.sleeps == 2
    assert (result["left"], result["total"]) == (1, 0)


def test_mail_put_on_hold_meanwhile_is_not_waited_for(tmp_path):
    queue_files(tmp_path, DEFERRED[1:])
    held = LINES[0].replace('"queue_name": "deferred"', '"queue_name": "hold"')
    host = Host([LINES, [held] + LINES[1:]])
    result = host.release(tmp_path, wait=5)
    assert (result["retried"], result["waited"], host.sleeps) == (4, 0.0, 0)


def test_mail_arrived_after_the_flush_is_not_waited_for(tmp_path):
    queue_files(tmp_path, DEFERRED)
    late = as_active(LINES[0]).replace(DEFERRED[0], "LATE0000001").replace("1796127023", str(int(time.time()) + 120))
    host = Host([LINES, LINES + [late]])
    result = host.release(tmp_path, wait=5)
    assert (result["retried"], result["waited"], result["total"]) == (5, 0.0, 7)


def test_a_message_missing_from_one_listing_is_looked_for_again(tmp_path):
    """showq can miss a message moving between two queue directories: the listing that looks
    done is confirmed by a second one, which here still shows it (active: not tried yet)."""
    queue_files(tmp_path, DEFERRED)
    host = Host([LINES, LINES[1:], [as_active(LINES[0])] + LINES[1:], LINES])
    result = host.release(tmp_path)
    assert host.calls == ["-j", "-f", "-j", "-j", "-j", "-j"] and host.sleeps == 1
    assert (result["left"], result["retried"]) == (0, 5)
