# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration files, for the module ``pmta_config``: the text to lint read from the
target, a checked configuration written with its final owner and mode from its first byte (an
optional backup of the previous one), and the marker that records which configuration the daemon
was last reloaded with.

Values in, values out (no AnsibleModule): a problem the task should fail on raises FileError,
whose text is the task's message."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import stat

from ansible_collections.egress.mail.plugins.module_utils import secret_file
from ansible_collections.egress.mail.plugins.module_utils.pmta.secrets import mask_secrets, secret_values

BACKUP_SUFFIX = ".egress-previous"


class FileError(Exception):
    """What makes the task fail (the message names the file or the option)."""


def read_text(path, missing_ok=False):
    """The text of ``path`` (undecodable bytes replaced); "" for a missing file when ``missing_ok``."""
    if not os.path.exists(path):
        if missing_ok:
            return ""
        raise FileError("%s does not exist" % path)
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except (IOError, OSError) as exc:
        raise FileError("cannot read %s: %s" % (path, exc)) from exc


def digest(data):
    # A digest of a file holding passwords: the marker is 0600 and never printed.
    return hashlib.sha256(b"egress.mail pmta_config applied\0" + data).hexdigest()


def read_bytes(path):
    """The bytes of ``path``, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def parse_mode(text):
    """The mode of an octal string such as 0640."""
    if not re.fullmatch(r"0?[0-7]{3,4}", text or ""):
        raise FileError("mode must be an octal string such as 0640, got %r" % text)
    return int(text, 8)


def ids(owner, group, check_mode=False):
    """(uid, gid) of the names, or None when a name does not exist (yet: check mode)."""
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        if check_mode:
            return None
        raise FileError("owner %s or group %s does not exist" % (owner, group)) from None


def write(dest, text, mode, owner, group, backup=False, check_mode=False, diff=False):
    """Write the checked ``text`` to ``dest`` with its final owner, group and ``mode`` (an octal
    string). Returns (the bytes written or to write, result keys: changed, secrets_changed, and
    diff, backup_file when they apply)."""
    mode = parse_mode(mode)
    data = text.encode("utf-8")
    wanted = ids(owner, group, check_mode)
    before = read_bytes(dest)
    same_content = before == data
    info = os.lstat(dest) if before is not None else None
    same_attrs = (
        info is not None
        and wanted is not None
        and stat.S_ISREG(info.st_mode)
        and stat.S_IMODE(info.st_mode) == mode
        and (info.st_uid, info.st_gid) == wanted
    )
    result = {"changed": not (same_content and same_attrs)}
    result["secrets_changed"] = secret_values((before or b"").decode("utf-8", "replace")) != secret_values(text)
    if diff:
        result["diff"] = {
            "before_header": dest,
            "after_header": dest,
            "before": mask_secrets((before or b"").decode("utf-8", "replace")),
            "after": mask_secrets(text),
        }
    if check_mode or not result["changed"]:
        return data, result
    uid, gid = wanted
    if not same_content:
        if backup and before is not None:
            backup_file = dest + BACKUP_SUFFIX
            secret_file.write(backup_file, before, mode, uid, gid)
            result["backup_file"] = backup_file
        secret_file.write(dest, data, mode, uid, gid)
    else:
        secret_file.tighten(dest, mode, uid, gid)
    return data, result


def applied(marker, data, mark=False, check_mode=False):
    """(changed, applied): whether ``marker`` records ``data`` as the configuration the daemon was
    reloaded with; with ``mark``, record it (mode 0600) and say applied."""
    current = read_bytes(marker)
    wanted = digest(data).encode("ascii") + b"\n"
    if not mark:
        return False, current == wanted
    if current == wanted:
        return False, True
    if not check_mode:
        secret_file.write(marker, wanted, 0o600)
    return True, True
