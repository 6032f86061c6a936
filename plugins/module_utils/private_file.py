# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Decide and apply the state of one private file (module egress.mail.private_file).

``apply()`` takes the file system operations' inputs as values (uid, gid, the content as bytes)
so that unit tests can call it without AnsibleModule. Content is never returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.egress.mail.plugins.module_utils import secret_file


def current(path):
    """(content bytes, uid, gid, mode) of ``path``, or None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("%s is not a regular file" % path)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)
    finally:
        os.close(fd)


def apply(path, content, mode, uid, gid, create_only=False, check_mode=False):
    """Make ``path`` hold ``content`` (bytes) with ``mode``/``uid``/``gid``.

    With ``create_only`` an existing file keeps its content (its owner and mode are still fixed).
    Returns a dict: changed, created, content_changed, attributes_changed.
    """
    state = current(path)
    if state is None:
        if not check_mode:
            secret_file.write(path, content, mode, uid, gid)
        return {"changed": True, "created": True, "content_changed": True, "attributes_changed": False}
    data, cur_uid, cur_gid, cur_mode = state
    content_changed = data != content and not create_only
    attributes_changed = (cur_uid, cur_gid, cur_mode) != (uid, gid, mode)
    if not check_mode:
        if content_changed:
            secret_file.write(path, content, mode, uid, gid)
        elif attributes_changed:
            secret_file.tighten(path, mode, uid, gid)
    return {
        "changed": content_changed or attributes_changed,
        "created": False,
        "content_changed": content_changed,
        "attributes_changed": attributes_changed,
    }
