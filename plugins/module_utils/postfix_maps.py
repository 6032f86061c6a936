# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write Postfix lookup tables and build their indexed files, in one round trip.

Used by the egress.mail.postfix_maps module. ``apply()`` takes the desired maps and callables
for running commands and moving files, so that the logic is testable without a module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.egress.mail.plugins.module_utils import secret_file

# File that postmap(1) builds next to the source, per database type: <source>.db unless listed
# (hash, btree, dbm, ...: .db).
SUFFIXES = {"lmdb": ".lmdb", "cdb": ".cdb", "sdbm": ".pag"}
_DB_TYPE_RE = re.compile(r"[a-z0-9]+")


class PostfixMapsError(Exception):
    pass


def parse_mode(value, name):
    """'0600', '600', 0o600 or 384 -> 0o600; symbolic modes are not accepted."""
    if isinstance(value, bool):
        raise PostfixMapsError("%s: %r is not an octal file mode such as 0600" % (name, value))
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"0?[0-7]{3,4}", value.strip()):
        mode = int(value.strip(), 8)
    else:
        raise PostfixMapsError("%s: %r is not an octal file mode such as 0600" % (name, value))
    if mode & ~0o7777:
        raise PostfixMapsError("%s: %r is not an octal file mode such as 0600" % (name, value))
    return mode


def check_maps(maps):
    """Validate the ``maps`` option; returns a list of (path, content, mode, secret); content is
    None for a table to remove (``state: absent``)."""
    result = []
    seen = set()
    for index, entry in enumerate(maps or []):
        name = "maps[%d]" % index
        if not isinstance(entry, dict):
            raise PostfixMapsError("%s: must be a dictionary with path and content" % name)
        path = entry.get("path")
        if not isinstance(path, str) or not os.path.isabs(path) or path.endswith("/"):
            raise PostfixMapsError("%s.path: %r must be an absolute file path" % (name, path))
        if path in seen:
            raise PostfixMapsError("%s.path: %s is listed twice" % (name, path))
        seen.add(path)
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            raise PostfixMapsError("%s.state: %r is neither present nor absent" % (name, state))
        content = entry.get("content")
        if state == "absent":
            content = None
        elif not isinstance(content, str):
            raise PostfixMapsError("%s.content: must be a string" % name)
        elif content and not content.endswith("\n"):
            content += "\n"
        mode = parse_mode(entry.get("mode", "0644"), name + ".mode")
        result.append((path, content, mode, bool(entry.get("secret"))))
    return result


def _remove(path, suffix, check_mode):
    """Remove a table's source and built file; returns the diff, or None when both are gone."""
    current = _read(path)
    built = path + suffix
    if current is None and not os.path.lexists(path) and not os.path.lexists(built):
        return None
    if not check_mode:
        for name in (built, path):  # the built file first: it is what Postfix reads
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise PostfixMapsError("%s: cannot remove: %s" % (name, exc.strerror or exc))
    before = "" if current is None else "(%d lines, not shown)\n" % current.count(b"\n")
    return {"before": before, "after": "", "before_header": path, "after_header": path}


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _needs_build(source, built):
    """The built file is missing or older than its source (what postmap would refresh)."""
    try:
        return os.stat(built).st_mtime < os.stat(source).st_mtime
    except OSError:
        return True


def _owner():
    return os.geteuid(), os.getegid()


def _wrong_attrs(info, mode, uid, gid):
    return stat.S_IMODE(info.st_mode) != mode or (info.st_uid, info.st_gid) != (uid, gid)


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _tighten(path, mode, uid, gid):
    try:
        secret_file.tighten(path, mode, uid, gid)
    except OSError as exc:
        raise PostfixMapsError("%s: cannot set mode %04o: %s" % (path, mode, exc.strerror or exc))


def _write(path, data, mode, uid, gid):
    """Replace ``path`` by a new file that has its final owner and mode before a byte is in it."""
    try:
        secret_file.write(path, data, mode, uid, gid)
    except OSError as exc:
        raise PostfixMapsError("%s: cannot write: %s" % (path, exc.strerror or exc))


def apply(maps, db_type, run_command, postmap, check_mode=False):
    """Bring every map to its content and mode (owned by the running user and group), then run postmap
    for each map that changed or whose built file is missing or older than the source.

    A source is replaced by a new file created with its final owner and mode (secret_file.write),
    never written in place; an existing built file is given its final owner and mode *before*
    postmap writes the new content into it.

    ``run_command(args, umask) -> (rc, stdout, stderr)``.
    Returns changed, changed_maps, rebuilt_maps and diff (a list; secret maps show no content).
    """
    if not isinstance(db_type, str) or not _DB_TYPE_RE.fullmatch(db_type):
        raise PostfixMapsError("db_type: %r is not a Postfix database type such as hash or lmdb" % (db_type,))
    suffix = SUFFIXES.get(db_type, ".db")
    uid, gid = _owner()
    changed_maps, rebuilt, diffs = [], [], []
    entries = check_maps(maps)
    for path, content, _dummy, _dummy in entries:  # every input is checked before anything is written
        if content is not None and not os.path.isdir(os.path.dirname(path)):
            raise PostfixMapsError("%s: directory %s does not exist" % (path, os.path.dirname(path)))
    for path, content, mode, secret in entries:
        if content is None:  # state: absent
            diff = _remove(path, suffix, check_mode)
            if diff is not None:
                changed_maps.append(path)
                diffs.append(diff)
            continue
        data = content.encode("utf-8")
        current = _read(path)
        info = os.stat(path) if current is not None else None
        content_changed = current != data
        attrs_changed = info is not None and _wrong_attrs(info, mode, uid, gid)
        if content_changed or attrs_changed:
            changed_maps.append(path)
            if secret:
                before = "" if current is None else "(%d lines, not shown)\n" % current.count(b"\n")
                after = "(%d lines, not shown)\n" % data.count(b"\n")
            else:
                before = "" if current is None else current.decode("utf-8", "replace")
                after = content
            if info is not None and stat.S_IMODE(info.st_mode) != mode:
                before = "mode %04o\n" % stat.S_IMODE(info.st_mode) + before
                after = "mode %04o\n" % mode + after
            diffs.append({"before": before, "after": after, "before_header": path, "after_header": path})
            if not check_mode:
                if content_changed:
                    _write(path, data, mode, uid, gid)
                else:
                    _tighten(path, mode, uid, gid)
        built = path + suffix
        build = content_changed or _needs_build(path, built)
        built_info = _stat(built)
        if built_info is not None and _wrong_attrs(built_info, mode, uid, gid):
            # The built file holds the same data as its source: same owner and mode (0600 for
            # passwords), and before postmap writes the new data into it (it keeps the inode).
            if not build and path not in changed_maps:
                changed_maps.append(path)
            if not check_mode:
                _tighten(built, mode, uid, gid)
        if build:
            rebuilt.append(path)
            if not check_mode:
                # The umask makes postmap create a new indexed file with the source's mode.
                rc, out, err = run_command([postmap, "%s:%s" % (db_type, path)], 0o777 & ~mode)
                if rc != 0:
                    # postmap quotes the offending line; never echo a secret map's content.
                    detail = "exit %d" % rc if secret else (err or out).strip()
                    raise PostfixMapsError("postmap %s:%s failed: %s" % (db_type, path, detail))
                _tighten(built, mode, uid, gid)  # a new file: the umask cannot add bits (0755)
    return {
        "changed": bool(changed_maps or rebuilt),
        "changed_maps": changed_maps,
        "rebuilt_maps": rebuilt,
        "diff": diffs,
    }
