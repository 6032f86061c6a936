# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.egress.mail.plugins.module_utils import private_file

UID, GID = os.geteuid(), os.getegid()


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_with_final_mode(tmp_path):
    path = str(tmp_path / "conf")
    result = private_file.apply(path, b"secret=1\n", 0o600, UID, GID)
    assert result == {"changed": True, "created": True, "content_changed": True, "attributes_changed": False}
    assert open(path, "rb").read() == b"secret=1\n" and _mode(path) == 0o600
    assert private_file.apply(path, b"secret=1\n", 0o600, UID, GID)["changed"] is False


def test_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "conf")
    assert private_file.apply(path, b"x", 0o600, UID, GID, check_mode=True)["changed"] is True
    assert not os.path.exists(path)


def test_replaces_content_and_fixes_mode(tmp_path):
    path = str(tmp_path / "conf")
    with open(path, "wb") as handle:
        handle.write(b"old")
    os.chmod(path, 0o644)
    result = private_file.apply(path, b"new", 0o600, UID, GID)
    assert result["content_changed"] and result["attributes_changed"]
    assert open(path, "rb").read() == b"new" and _mode(path) == 0o600


def test_create_only_keeps_content_but_fixes_mode(tmp_path):
    path = str(tmp_path / "pw")
    private_file.apply(path, b"first", 0o600, UID, GID, create_only=True)
    os.chmod(path, 0o640)
    result = private_file.apply(path, b"second", 0o600, UID, GID, create_only=True)
    assert result == {"changed": True, "created": False, "content_changed": False, "attributes_changed": True}
    assert open(path, "rb").read() == b"first" and _mode(path) == 0o600
    assert private_file.apply(path, b"third", 0o600, UID, GID, create_only=True)["changed"] is False


def test_refuses_a_symlink(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(target)
    try:
        private_file.apply(str(link), b"y", 0o600, UID, GID)
    except OSError:
        pass
    else:
        raise AssertionError("a symlink was followed")
    assert target.read_bytes() == b"x"
