# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write files that hold secrets so that no byte is ever readable with a wider mode.

A file is created in the target's directory with its final owner and mode *before* any content
is written, then renamed over the target (``os.replace``, atomic on one file system). An
existing file is never written in place, and ``tighten()`` narrows an existing file's mode
before another program (postmap, for example) writes a secret into it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat
import tempfile


def tighten(path, mode, uid=-1, gid=-1):
    """Give an existing ``path`` the owner and ``mode`` asked for; returns True when it changed.

    The owner is changed first and the mode second, both on an open descriptor, so a
    symlink swapped in between cannot redirect them. A missing file is left missing; a
    symlink (ELOOP) or anything but a regular file (EINVAL) raises OSError, and a FIFO does
    not block the call.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        changed = False
        if (uid != -1 and info.st_uid != uid) or (gid != -1 and info.st_gid != gid):
            os.fchown(fd, uid, gid)
            changed = True
        if stat.S_IMODE(info.st_mode) != mode:
            os.fchmod(fd, mode)
            changed = True
        return changed
    finally:
        os.close(fd)


def write(path, data, mode, uid=-1, gid=-1):
    """Replace ``path`` with ``data`` (bytes); the file has ``mode`` and owner from its first byte.

    ``uid``/``gid`` of -1 keep the running user's. The temporary file lives next to ``path`` and
    is removed if anything fails; the directory entry is synced after the rename.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".egress-", dir=directory)  # created 0600, owned by us
    try:
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = None
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
