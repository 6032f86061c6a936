# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The queue readers on spool files made by the real MTAs (fixtures/mail_queue/README.md says how)."""

import os
import shutil

import pytest

from ansible_collections.egress.mail.plugins.module_utils import (
    mail_queue_exim,
    mail_queue_nullmailer,
    mail_queue_postfix,
)
from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import (
    QueueReadError,
    reason_lines,
    summarize,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mail_queue")
EXIM = os.path.join(FIXTURES, "exim4")
NULLMAILER = os.path.join(FIXTURES, "nullmailer")
POSTQUEUE = os.path.join(FIXTURES, "postfix", "postqueue-j.jsonl")


def by_message_id(messages):
    return dict((m.message_id, m) for m in messages)


# --- Exim 4.96 ---------------------------------------------------------------------------------


def test_exim_envelopes():
    found = by_message_id(mail_queue_exim.read(EXIM))
    assert sorted(found) == sorted(
        "<fixture.%s@example.test>" % n for n in ("1", "2", "3", "multi", "bounce", "frozen")
    )
    assert found["<fixture.1@example.test>"].sender == "app@example.test"
    assert found["<fixture.1@example.test>"].recipients == ["rcpt1@example.test"]
    assert found["<fixture.multi@example.test>"].recipients == ["a@example.test", "b@example.test", "c@example.test"]
    assert found["<fixture.bounce@example.test>"].sender == ""
    assert found["<fixture.frozen@example.test>"].state == "frozen"
    assert [m.state for m in found.values()].count("queued") == 5
    assert found["<fixture.1@example.test>"].arrival_time == 1796126996


def test_exim_reasons_from_the_message_log():
    found = by_message_id(mail_queue_exim.read(EXIM))
    assert found["<fixture.1@example.test>"].reasons == ["10.88.0.6 [10.88.0.6]: Connection refused"]
    assert found["<fixture.multi@example.test>"].reasons == ["10.88.0.6 [10.88.0.6]: Connection refused"] * 3
    assert found["<fixture.2@example.test>"].reasons == []  # never tried (queued with -odq)


def test_exim_content_is_headers_and_body_as_exim_would_send_them():
    found = by_message_id(mail_queue_exim.read(EXIM))
    content = found["<fixture.multi@example.test>"].content()
    headers, body = content.split(b"\n\n", 1)
    assert headers.startswith(b"Received: from root by fixgen.example.test with local (Exim 4.96)\n\t(envelope-from")
    assert b"\nMessage-ID: <fixture.multi@example.test>\n" in headers + b"\n"
    assert b"\nTo: a@example.test, b@example.test\n" in headers
    assert body == b".leading dot\nend\n"
    assert not headers.startswith(b"1")  # no length prefixes left


def test_exim_deleted_header_is_left_out_and_delivered_recipients_are_not_pending(tmp_path):
    spool = str(tmp_path / "exim4")
    shutil.copytree(EXIM, spool)
    name = os.path.join(spool, "input", "1xYMgJ-0000Im-2g-H")
    with open(name, "rb") as handle:
        data = handle.read()
    # As Exim writes them after delivering to b@ (a one-node tree) and removing a header (*).
    data = data.replace(b"XX\n3\n", b"NN b@example.test\n3\n").replace(b"035T To:", b"035* To:")
    with open(name, "wb") as handle:
        handle.write(data)
    found = by_message_id(mail_queue_exim.read(spool))["<fixture.multi@example.test>"]
    assert found.recipients == ["a@example.test", "c@example.test"]
    assert b"\nTo:" not in found.content()


def test_exim_tree_with_children():
    lines = ["YY m@x", "NN a@x", "NN z@x", "2"]
    assert mail_queue_exim._tree(lines, 0) == (["m@x", "a@x", "z@x"], 3)


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda d: d[:40], "no empty line"),
        (lambda d: d.replace(b"<app@example.test>", b"app@example.test", 1), "bad sender"),
        (lambda d: d.replace(b"XX\n1\n", b"XX\n2\n"), "1 recipients listed, 2 announced"),
        (lambda d: d.replace(b"038  Date", b"090  Date"), "truncated header"),
        (lambda d: d.replace(b"181P", b"x81P"), "bad header length"),
    ],
    ids=["truncated", "sender", "count", "header-length", "header-prefix"],
)
def test_exim_corrupt_messages(tmp_path, damage, problem):
    spool = str(tmp_path / "exim4")
    shutil.copytree(EXIM, spool)
    name = os.path.join(spool, "input", "1xYMgG-0000Id-2V-H")
    with open(name, "rb") as handle:
        data = handle.read()
    with open(name, "wb") as handle:
        handle.write(damage(data))
    found = dict((m.queue_id, m) for m in mail_queue_exim.read(spool))
    assert found["1xYMgG-0000Id-2V"].state == "corrupt"
    assert problem in found["1xYMgG-0000Id-2V"].problem
    assert found["1xYMgG-0000Id-2V"].files  # kept, to be moved aside


def test_exim_missing_data_file(tmp_path):
    spool = str(tmp_path / "exim4")
    shutil.copytree(EXIM, spool)
    os.unlink(os.path.join(spool, "input", "1xYMgH-0000Ig-2Z-D"))
    found = dict((m.queue_id, m) for m in mail_queue_exim.read(spool))
    assert found["1xYMgH-0000Ig-2Z"].state == "corrupt"
    assert found["1xYMgH-0000Ig-2Z"].problem == "the -D file is missing"


def test_exim_split_spool_and_foreign_files(tmp_path):
    spool = str(tmp_path / "exim4")
    shutil.copytree(EXIM, spool)
    os.mkdir(os.path.join(spool, "input", "V"))
    for suffix in ("-H", "-D"):
        os.rename(
            os.path.join(spool, "input", "1xYMgI-0000Ij-2c" + suffix),
            os.path.join(spool, "input", "V", "1xYMgI-0000Ij-2c" + suffix),
        )
    open(os.path.join(spool, "input", "hdr.12345"), "w").close()  # Exim's temporary file
    found = dict((m.queue_id, m) for m in mail_queue_exim.read(spool))
    assert len(found) == 6
    assert found["1xYMgI-0000Ij-2c"].state == "queued"


def test_exim_without_spool(tmp_path):
    assert mail_queue_exim.read(str(tmp_path)) == []


def test_exim_extended_recipient_line():
    assert mail_queue_exim._EXTENDED_RCPT_RE.match("a@x errors@y 8,0#1").group(1) == "a@x"
    assert mail_queue_exim._EXTENDED_RCPT_RE.match("a@x") is None


# --- nullmailer 2.2 ----------------------------------------------------------------------------


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


# --- Postfix 3.7 -------------------------------------------------------------------------------


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
