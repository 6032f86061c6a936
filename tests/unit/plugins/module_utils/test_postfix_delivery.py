# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/postfix_delivery: following a test message through Postfix's log.

The log lines are Postfix 3.7's own (fixtures/postfix_delivery, README there): a message
delivered, one bounced, one deferred, in journald's and in mail.log's format. The real path
(sendmail, a real smarthost) is proven by the molecule scenarios; here the command runner is
given those real lines.
"""

import json
import os
import re

import pytest

from ansible_collections.egress.mail.plugins.module_utils import postfix_delivery as pd

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "postfix_delivery")
SENT_ID, BOUNCED_ID, DEFERRED_ID = ("egress-test.%s@egress.mail" % s for s in ("aaa", "bbb", "ccc"))
REFUSED = "connect to 127.0.0.1[127.0.0.1]:2525: Connection refused"


def fixture_lines(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read().split("\n")


def fixture_text(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


FORMATS = ["journal-cat.txt", "mail-log.txt"]


@pytest.mark.parametrize("log", FORMATS)
@pytest.mark.parametrize(
    "message_id, qid",
    [
        (SENT_ID, "79CE41E0546"),
        (BOUNCED_ID, "8ABFA1E04D7"),
        (DEFERRED_ID, "AC7781E04D8"),
        ("20261201152816.A91631E0556@pd-logs", "A91631E0556"),  # the bounce's own notification
    ],
)
def test_queue_id_is_found_by_message_id(log, message_id, qid):
    assert pd.find_queue_id(fixture_lines(log), message_id) == qid


@pytest.mark.parametrize("log", FORMATS)
@pytest.mark.parametrize(
    "message_id",
    [
        "egress-test.aa@egress.mail",  # a prefix of a logged one
        "gress-test.aaa@egress.mail",  # a suffix
        "egress-test.aaa@egress.mai",
        "egress-test.a.a@egress.mail",  # a dot is not a wildcard
        "egress-test.aaa@egress-mail",
    ],
)
def test_only_the_exact_message_id_matches(log, message_id):
    assert pd.find_queue_id(fixture_lines(log), message_id) is None


@pytest.mark.parametrize("log", FORMATS)
@pytest.mark.parametrize(
    "qid, status, relay, reply",
    [
        ("79CE41E0546", "sent", "local", "delivered to mailbox"),
        ("8ABFA1E04D7", "bounced", "local", 'unknown user: "nosuchuser"'),
        ("AC7781E04D8", "deferred", "none", REFUSED),
    ],
)
def test_delivery_result_of_each_message(log, qid, status, relay, reply):
    result = pd.find_status(fixture_lines(log), qid)
    assert (result["status"], result["relay"], result["reply"]) == (status, relay, reply)
    assert result["qid"] == qid


def test_the_last_attempt_is_the_result():
    deferred = [line for line in fixture_lines("journal-cat.txt") if "AC7781E04D8: to=" in line]
    sent = (
        "AC7781E04D8: to=<someone@example.test>, relay=smarthost[10.89.0.2]:587, delay=61, "
        "delays=60/0.01/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4Xy7Qm3)"
    )
    result = pd.find_status(deferred + [sent], "AC7781E04D8")
    assert result["status"] == "sent" and result["relay"] == "smarthost[10.89.0.2]:587"
    assert result["reply"] == "250 2.0.0 Ok: queued as 4Xy7Qm3"
    assert pd.find_status([sent] + deferred, "AC7781E04D8")["status"] == "deferred"


@pytest.mark.parametrize("qid", ["C7781E04D8", "AC7781E04D", "7781E04"])
def test_another_queue_ids_result_is_not_taken(qid):
    """Short queue IDs vary in length: a suffix or a prefix of a logged ID is another message."""
    assert pd.find_status(fixture_lines("journal-cat.txt"), qid) is None
    assert pd.find_status(fixture_lines("mail-log.txt"), qid) is None


def test_no_result_yet_is_none():
    lines = [line for line in fixture_lines("journal-cat.txt") if "status=" not in line]
    assert pd.find_status(lines, "AC7781E04D8") is None


class Runner(object):
    """A command runner answering like the host would: journalctl with the given lines,
    postqueue -j with the given output, sendmail with the given exit code."""

    def __init__(self, journal=None, postqueue=(0, ""), sendmail=(0, "", "")):
        self.journal = journal
        self.postqueue = postqueue
        self.sendmail = sendmail
        self.calls = []
        self.message = None

    def __call__(self, args, data=None):
        self.calls.append(list(args))
        if args[0] == "journalctl":
            if self.journal is None:
                return 127, "", "journalctl: not found"
            if args[1:] == ["--version"]:
                return 0, "systemd 252 (252.39-1~deb12u1)\n", ""
            lines = self.journal(self.message_id()) if callable(self.journal) else self.journal
            return 0, "\n".join(lines) + "\n", ""
        if args[0] == "postqueue":
            return self.postqueue[0], self.postqueue[1], ""
        self.message = data
        return self.sendmail

    def message_id(self):
        match = re.search(r"^Message-ID: <([^>]+)>$", self.message or "", re.M)
        return match.group(1) if match else None


def lines_for(template_id):
    """The fixture's journal lines, with the test message's ID in place of `template_id`."""

    def lines(message_id):
        if message_id is None:
            return []
        return [line.replace(template_id, message_id) for line in fixture_lines("journal-cat.txt")]

    return lines


@pytest.fixture()
def no_log_files(monkeypatch, tmp_path):
    monkeypatch.setattr(pd, "LOG_FILES", (str(tmp_path / "mail.log"),))
    return tmp_path / "mail.log"


def follow(run, timeout=2, recipient="someone@example.test"):
    return pd.send_and_follow(run, "/usr/sbin/sendmail", "root", recipient, "relay test", timeout, poll=0.01)


@pytest.mark.parametrize(
    "template_id, status, reply",
    [
        (SENT_ID, "sent", "delivered to mailbox"),
        (BOUNCED_ID, "bounced", 'unknown user: "nosuchuser"'),
        (DEFERRED_ID, "deferred", REFUSED),
    ],
)
def test_send_and_follow_reports_the_logged_result(no_log_files, template_id, status, reply):
    run = Runner(journal=lines_for(template_id))
    result = follow(run)
    assert result["status"] == status and result["reply"] == reply
    assert result["message_id"] == run.message_id()
    assert result["message_id"].startswith("egress-test.") and result["message_id"].endswith("@egress.mail")
    assert ["/usr/sbin/sendmail", "-i", "-f", "root", "--", "someone@example.test"] in run.calls
    since = [c for c in run.calls if c[0] == "journalctl" and "--since" in c]
    assert since and all(re.fullmatch(r"@\d+", c[c.index("--since") + 1]) for c in since)


def test_each_message_gets_its_own_id(no_log_files):
    ids = set()
    for _dummy in range(3):
        run = Runner(journal=lines_for(SENT_ID))
        ids.add(follow(run)["message_id"])
    assert len(ids) == 3


def test_deferred_from_the_queue_when_the_log_has_no_result(no_log_files):
    """The first attempt's result is not logged yet, but the queue already holds the reason."""

    def lines(message_id):
        return [line for line in lines_for(DEFERRED_ID)(message_id) if "status=" not in line]

    run = Runner(journal=lines, postqueue=(0, fixture_text("postqueue-j.txt")))
    result = follow(run)
    assert result == {
        "status": "deferred",
        "reply": REFUSED,
        "relay": None,
        "queue_id": "AC7781E04D8",
        "message_id": run.message_id(),
    }


def test_unknown_when_nothing_is_logged_in_time(no_log_files):
    run = Runner(journal=[])
    result = follow(run, timeout=0.05)
    assert result["status"] == "unknown" and result["queue_id"] is None
    assert result["reply"] == "no delivery result logged within 0.05s"


def test_not_queued_when_sendmail_fails(no_log_files):
    run = Runner(journal=[], sendmail=(75, "", "sendmail: fatal: bad address syntax\n"))
    result = follow(run)
    assert result["status"] == "not_queued" and result["reply"] == "sendmail: fatal: bad address syntax"
    assert not [c for c in run.calls if c[0] == "postqueue"]


def test_the_classic_log_file_is_read_from_where_it_was(no_log_files):
    """Without journald, the mail log is read from its size at the start: an older result for
    the same Message-ID text is not taken."""
    old = fixture_lines("mail-log.txt")
    no_log_files.write_text("\n".join(old) + "\n")
    reader = pd.LogReader(Runner(journal=None))
    assert reader.journal is False and reader.lines() == []
    new = "Dec 01 15:30:00 h postfix/local[9]: 79CE41E0546: to=<root@pd-logs>, relay=local, status=sent (x)"
    with open(str(no_log_files), "a") as handle:
        handle.write(new + "\n")
    assert reader.lines() == [new]


def test_a_missing_log_file_is_no_error(no_log_files):
    reader = pd.LogReader(Runner(journal=None))
    assert reader.lines() == []


def test_queue_entry_reads_postqueue_json():
    text = "not json\n" + fixture_text("postqueue-j.txt")
    entry = pd.queue_entry(lambda args: (0, text, ""), "AC7781E04D8")
    assert entry["queue_name"] == "deferred"
    assert entry["recipients"][0]["delay_reason"] == REFUSED
    assert pd.queue_entry(lambda args: (0, text, ""), "79CE41E0546") is None
    assert pd.queue_entry(lambda args: (69, "", "postqueue: fatal"), "AC7781E04D8") is None


def test_the_message_has_the_headers_and_only_those():
    text = pd.build_message("root@host.example", "ops@example.test", "relay test", "egress-test.1@egress.mail")
    head, sep, body = text.partition("\n\n")
    names = [line.split(":", 1)[0] for line in head.split("\n")]
    assert names == ["From", "To", "Subject", "Message-ID", "Date"]
    assert "Message-ID: <egress-test.1@egress.mail>" in head.split("\n")
    assert re.fullmatch(r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", head.split("\n")[-1])
    assert body == "This is a test message sent by egress.mail.postfix_relay.\n"


def test_fixture_queue_is_one_json_document_per_line():
    for line in fixture_text("postqueue-j.txt").strip().split("\n"):
        assert json.loads(line)["queue_id"]
