# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mail_queue_exim.read on the spool of a real Exim 4.96."""

import os
import shutil

import pytest

from ansible_collections.egress.mail.plugins.module_utils import mail_queue_exim
from ansible_collections.egress.mail.tests.unit.helpers.mail_queue import EXIM, by_message_id


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
