# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Moving Exim's and nullmailer's queues (copies of the real spools) into a recording "Postfix".

The interruption tests kill the move at every point a kill can land (inside sendmail, between
sendmail's exit and the journal line, between the journal line and the removal) and start
it again: every message must reach "Postfix" exactly once and the old spool must end empty.
"""

import collections
import os
import shutil

import pytest

from ansible_collections.egress.mail.plugins.module_utils import (
    mail_queue_exim,
    mail_queue_migrate,
    mail_queue_nullmailer,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mail_queue")
READERS = {"exim4": mail_queue_exim.read, "nullmailer": mail_queue_nullmailer.read}


class Killed(BaseException):
    """The play being killed (not an Exception: nothing may catch it)."""


class Postfix(object):
    """Records what its sendmail accepted; can die at the n-th call, before or after accepting."""

    def __init__(self):
        self.accepted = []
        self.calls = 0
        self.die_at = None
        self.die_after_accept = False

    def submit(self, sender, recipients, content):
        self.calls += 1
        if self.calls == self.die_at and not self.die_after_accept:
            raise Killed()
        self.accepted.append((sender, tuple(recipients), content))
        if self.calls == self.die_at:
            raise Killed()
        return 0, ""

    def seen(self, message_id):
        return any(("\nMessage-ID: %s\n" % message_id).encode() in b"\n" + c for dummy, dummy2, c in self.accepted)


def spool_copy(tmp_path, mta):
    spool = str(tmp_path / mta)
    shutil.copytree(os.path.join(FIXTURES, mta), spool)
    return spool


def expected(mta, spool):
    return sorted((m.sender, tuple(m.recipients), m.content()) for m in READERS[mta](spool) if m.state == "queued")


def run(mta, spool, postfix, tmp_path, check_mode=False):
    return mail_queue_migrate.migrate(
        READERS[mta](spool),
        postfix.submit,
        str(tmp_path / "journal.jsonl"),
        str(tmp_path / "unmovable"),
        accepted_elsewhere=postfix.seen,
        check_mode=check_mode,
    )


def left(spool):
    return sorted(os.path.relpath(os.path.join(r, n), spool) for r, dummy, names in os.walk(spool) for n in names)


@pytest.mark.parametrize("mta, movable, unmovable", [("exim4", 5, 1), ("nullmailer", 3, 0)])
def test_moves_everything_once_and_keeps_the_frozen(tmp_path, mta, movable, unmovable):
    spool = spool_copy(tmp_path, mta)
    want = expected(mta, spool)
    postfix = Postfix()
    result = run(mta, spool, postfix, tmp_path)
    assert (result["moved"], result["unmovable"], result["failed"]) == (movable, unmovable, [])
    assert sorted(postfix.accepted) == want
    assert left(spool) == []
    kept = os.listdir(str(tmp_path / "unmovable" / mta)) if unmovable else []
    if mta == "exim4":
        assert sorted(kept) == ["1xYMgJ-0000Iq-2m-D", "1xYMgJ-0000Iq-2m-H", "1xYMgJ-0000Iq-2m.msglog"]
        assert result["unmovable_ids"] == ["exim4 1xYMgJ-0000Iq-2m (frozen)"]
    # A second run finds nothing to do.
    again = run(mta, spool, postfix, tmp_path)
    assert (again["moved"], again["resumed"], again["unmovable"]) == (0, 0, 0)
    assert len(postfix.accepted) == movable


def test_envelope_of_a_bounce_and_a_multi_recipient_message(tmp_path):
    spool = spool_copy(tmp_path, "exim4")
    postfix = Postfix()
    run("exim4", spool, postfix, tmp_path)
    envelopes = dict((c.split(b"Message-ID: ")[1].split(b"\n")[0], (s, r)) for s, r, c in postfix.accepted)
    assert envelopes[b"<fixture.bounce@example.test>"] == ("", ("d@example.test",))
    assert envelopes[b"<fixture.multi@example.test>"] == (
        "multi@example.test",
        ("a@example.test", "b@example.test", "c@example.test"),
    )


def test_check_mode_changes_nothing(tmp_path):
    spool = spool_copy(tmp_path, "exim4")
    before = left(spool)
    postfix = Postfix()
    result = run("exim4", spool, postfix, tmp_path, check_mode=True)
    assert (result["moved"], result["unmovable"]) == (5, 1)
    assert postfix.accepted == [] and left(spool) == before
    assert not os.path.exists(str(tmp_path / "journal.jsonl"))


def test_refused_message_stays(tmp_path):
    spool = spool_copy(tmp_path, "nullmailer")
    messages = mail_queue_nullmailer.read(spool)

    def submit(sender, recipients, content):
        return (75, "postdrop: warning: unable to look up public/pickup") if b"null 2" in content else (0, "")

    result = mail_queue_migrate.migrate(messages, submit, str(tmp_path / "j"), str(tmp_path / "u"))
    assert result["moved"] == 2 and len(result["failed"]) == 1
    assert left(spool) == ["queue/1796127012.163"]


def kill_points(mta):
    """(die at call n, after accepting?, kill during removal of message n?) for every n."""
    count = {"exim4": 5, "nullmailer": 3}[mta]
    points = []
    for n in range(1, count + 1):
        points += [(mta, n, False, False), (mta, n, True, False), (mta, n, False, True)]
    return points


@pytest.mark.parametrize("mta, die_at, after_accept, in_removal", kill_points("exim4") + kill_points("nullmailer"))
def test_interrupted_and_started_again_loses_nothing_and_doubles_nothing(
    tmp_path, monkeypatch, mta, die_at, after_accept, in_removal
):
    spool = spool_copy(tmp_path, mta)
    want = expected(mta, spool)
    postfix = Postfix()
    if in_removal:
        real_remove = mail_queue_migrate._remove
        calls = collections.Counter()

        def remove(files):
            calls["n"] += 1
            if calls["n"] == die_at:
                raise Killed()
            real_remove(files)

        monkeypatch.setattr(mail_queue_migrate, "_remove", remove)
    else:
        postfix.die_at, postfix.die_after_accept = die_at, after_accept
    with pytest.raises(Killed):
        run(mta, spool, postfix, tmp_path)
    monkeypatch.undo()
    postfix.die_at = None
    result = run(mta, spool, postfix, tmp_path)
    assert sorted(postfix.accepted) == want, "lost or doubled"
    assert left(spool) == []
    assert result["failed"] == []


def test_pending_without_message_id_is_resent(tmp_path):
    """No Message-ID to look for: sent again (a duplicate is better than a loss)."""
    spool = spool_copy(tmp_path, "nullmailer")
    path = os.path.join(spool, "queue", "1796127010.159")
    with open(path, "rb") as handle:
        data = handle.read().replace(b"Message-ID: <null.1@example.test>\n", b"")
    with open(path, "wb") as handle:
        handle.write(data)
    postfix = Postfix()
    postfix.die_at, postfix.die_after_accept = 1, True
    with pytest.raises(Killed):
        run("nullmailer", spool, postfix, tmp_path)
    postfix.die_at = None
    run("nullmailer", spool, postfix, tmp_path)
    assert len(postfix.accepted) == 4 and left(spool) == []


def test_torn_journal_line_is_ignored(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"key": "exim4:input/a", "state": "accepted"}\n{"key": "exim4:inp')
    assert mail_queue_migrate.read_journal(str(journal)) == {"exim4:input/a": ("accepted", None)}


def test_a_reused_queue_id_with_another_message_id_is_sent(tmp_path):
    spool = spool_copy(tmp_path, "nullmailer")
    (tmp_path / "journal.jsonl").write_text(
        '{"key": "nullmailer:queue/1796127010.159", "state": "accepted", "message_id": "<old@example.test>"}\n'
    )
    postfix = Postfix()
    result = run("nullmailer", spool, postfix, tmp_path)
    assert (result["moved"], result["resumed"]) == (3, 0)
