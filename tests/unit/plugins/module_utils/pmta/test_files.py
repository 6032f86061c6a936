# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/files.py (the file side of the module pmta_config), on
real files in a temporary directory, owned by the user the tests run as."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.egress.mail.plugins.module_utils.pmta import files

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
TEXT = "smtp-listener 127.0.0.1:25\n<domain *>\n    auth-password Hunter2-secret\n</domain>\n"


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_read_text(tmp_path):
    path = tmp_path / "config"
    path.write_bytes(b"log-file /var/log/pmta/log\n\xff\n")
    assert files.read_text(str(path)) == "log-file /var/log/pmta/log\n\ufffd\n"
    assert files.read_text(str(tmp_path / "missing"), missing_ok=True) == ""
    with pytest.raises(files.FileError, match="^%s does not exist$" % (tmp_path / "missing")):
        files.read_text(str(tmp_path / "missing"))
    with pytest.raises(files.FileError, match="^cannot read %s: " % tmp_path):
        files.read_text(str(tmp_path))  # a directory


@pytest.mark.parametrize("text, mode", [("0640", 0o640), ("640", 0o640), ("0600", 0o600), ("1750", 0o1750)])
def test_parse_mode(text, mode):
    assert files.parse_mode(text) == mode


@pytest.mark.parametrize("text", ["", None, "640x", "0o640", "0999", "64", "u=rw"])
def test_parse_mode_refuses_what_is_not_an_octal_string(text):
    with pytest.raises(files.FileError, match="mode must be an octal string such as 0640, got %r" % (text,)):
        files.parse_mode(text)


def test_ids():
    assert files.ids(ME, MY_GROUP) == (os.getuid(), os.getgid())
    assert files.ids(ME, "egress-no-such-group", check_mode=True) is None
    with pytest.raises(files.FileError, match="^owner %s or group egress-no-such-group does not exist$" % ME):
        files.ids(ME, "egress-no-such-group")


def test_write_creates_the_file_with_its_mode_and_says_what_changed(tmp_path):
    dest = str(tmp_path / "config")
    data, result = files.write(dest, TEXT, "0640", ME, MY_GROUP, diff=True)
    assert data == TEXT.encode("utf-8")
    assert open(dest).read() == TEXT and mode_of(dest) == 0o640
    assert result["changed"] is True and result["secrets_changed"] is True
    assert result["diff"]["before"] == "" and "Hunter2" not in result["diff"]["after"]
    assert "backup_file" not in result
    # the same again: nothing to do, no diff asked for
    _data, result = files.write(dest, TEXT, "0640", ME, MY_GROUP)
    assert result == {"changed": False, "secrets_changed": False}


def test_write_fixes_the_mode_without_rewriting(tmp_path):
    dest = tmp_path / "config"
    dest.write_text(TEXT)
    os.chmod(str(dest), 0o644)
    inode = os.stat(str(dest)).st_ino
    _data, result = files.write(str(dest), TEXT, "0640", ME, MY_GROUP)
    assert result["changed"] is True and mode_of(dest) == 0o640
    assert os.stat(str(dest)).st_ino == inode


def test_write_keeps_a_backup_of_the_previous_file(tmp_path):
    dest = tmp_path / "config"
    dest.write_text("old\n")
    os.chmod(str(dest), 0o600)
    _data, result = files.write(str(dest), TEXT, "0640", ME, MY_GROUP, backup=True)
    backup = str(dest) + files.BACKUP_SUFFIX
    assert result["backup_file"] == backup
    assert open(backup).read() == "old\n" and mode_of(backup) == 0o640
    assert dest.read_text() == TEXT


def test_write_in_check_mode_writes_nothing(tmp_path):
    dest = str(tmp_path / "config")
    data, result = files.write(dest, TEXT, "0640", ME, "egress-no-such-group", check_mode=True)
    assert data == TEXT.encode("utf-8") and result["changed"] is True
    assert not os.path.exists(dest)


def test_write_checks_the_mode_before_anything_else(tmp_path):
    with pytest.raises(files.FileError, match="mode must be an octal string"):
        files.write(str(tmp_path / "config"), TEXT, "rw", "egress-no-such-user", MY_GROUP)
    assert os.listdir(str(tmp_path)) == []


def test_applied_marker(tmp_path):
    marker = str(tmp_path / "applied")
    data = TEXT.encode("utf-8")
    assert files.applied(marker, data) == (False, False)
    assert files.applied(marker, data, mark=True, check_mode=True) == (True, True)
    assert not os.path.exists(marker)
    assert files.applied(marker, data, mark=True) == (True, True)
    assert mode_of(marker) == 0o600
    assert open(marker).read() == files.digest(data) + "\n"
    assert "Hunter2" not in open(marker).read()
    assert files.applied(marker, data, mark=True) == (False, True)
    assert files.applied(marker, data) == (False, True)
    assert files.applied(marker, data + b"changed") == (False, False)


def test_digest_is_of_the_bytes():
    assert files.digest(b"a") != files.digest(b"b")
    assert len(files.digest(b"")) == 64


# --- mutation testing (issue 21) -------------------------------------------------------------


def test_the_backup_name_is_the_one_the_role_restores_from():
    """roles/powermta_relay rolls back from ``<config>.egress-previous``: the module must write that name."""
    assert files.BACKUP_SUFFIX == ".egress-previous"
    role_vars = os.path.join(os.path.dirname(__file__), *[".."] * 5, "roles", "powermta_relay", "vars", "main.yml")
    with open(role_vars) as handle:
        assert '__powermta_relay_backup: "{{ powermta_relay_config_path }}.egress-previous"' in handle.read()


def test_a_rewrite_without_backup_leaves_no_backup_file(tmp_path):
    dest = tmp_path / "config"
    dest.write_text("old\n")
    _data, result = files.write(str(dest), TEXT, "0640", ME, MY_GROUP)
    assert "backup_file" not in result
    assert sorted(os.listdir(str(tmp_path))) == ["config"]
    assert dest.read_text() == TEXT


def test_the_marker_digest_is_stable_across_versions():
    """A marker written by an earlier version still says "applied": the digest's prefix is fixed."""
    assert files.digest(b"a") == "6c45daf0bba465fa44a7fb0dcf33dbd61be6770ad59c9f1c004c5d79965ea28e"


def test_the_message_of_a_bad_mode_is_exact():
    with pytest.raises(files.FileError) as raised:
        files.parse_mode("rw")
    assert str(raised.value) == "mode must be an octal string such as 0640, got 'rw'"


def test_the_diff_is_masked_and_names_the_file_and_replaces_bytes_that_are_not_utf8(tmp_path):
    dest = tmp_path / "config"
    dest.write_bytes(b"old \xff line\n<domain *>\n    auth-password Old-secret\n</domain>\n")
    _data, result = files.write(str(dest), TEXT, "0640", ME, MY_GROUP, check_mode=True, diff=True)
    assert set(result["diff"]) == {"before_header", "after_header", "before", "after"}
    assert result["diff"]["before_header"] == result["diff"]["after_header"] == str(dest)
    assert result["diff"]["before"].startswith("old \ufffd line\n")
    assert "Old-secret" not in result["diff"]["before"] and "Hunter2" not in result["diff"]["after"]
    assert result["secrets_changed"] is True
    new = tmp_path / "new"
    _data, result = files.write(str(new), TEXT, "0640", ME, MY_GROUP, check_mode=True, diff=True)
    assert result["diff"]["before"] == ""
