# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""secret_file on real files in a temporary directory. Each write of content is watched through
its descriptor: the file must have its final mode and owner before the first byte."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

import pytest

from ansible_collections.egress.mail.plugins.module_utils import secret_file

SECRET = b"user:p:a ss#w0rd$%\n"
ROOT = os.geteuid() == 0
# Another owner than the running user's: only root can give one.
OTHER = (65534, 65534) if ROOT else (os.geteuid(), os.getegid())


def attrs(path):
    info = os.lstat(str(path))
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


@pytest.fixture
def writes(monkeypatch):
    """Every write through os.fdopen: (mode, uid, gid of the descriptor at that moment, data)."""
    seen = []
    real_fdopen = os.fdopen

    class Watched(object):
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            info = os.fstat(self._handle.fileno())
            seen.append((stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, data))
            return self._handle.write(data)

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Watched(real_fdopen(*a, **k)))
    return seen


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o400, 0o644])
def test_new_file_has_its_mode_before_the_first_byte(tmp_path, writes, mode):
    path = tmp_path / "sasl_passwd"
    old = os.umask(0)  # the umask must not matter either way
    try:
        secret_file.write(str(path), SECRET, mode)
    finally:
        os.umask(old)
    assert writes == [(mode, os.geteuid(), os.getegid(), SECRET)]
    assert attrs(path) == (mode, os.geteuid(), os.getegid())
    assert path.read_bytes() == SECRET
    assert os.listdir(str(tmp_path)) == ["sasl_passwd"]


def test_owner_is_set_before_the_first_byte(tmp_path, writes):
    path = tmp_path / "pmta.conf"
    secret_file.write(str(path), SECRET, 0o640, *OTHER)
    assert writes == [(0o640,) + OTHER + (SECRET,)]
    assert attrs(path) == (0o640,) + OTHER


def test_an_open_existing_file_is_replaced_not_written_in_place(tmp_path, writes):
    path = tmp_path / "sasl_passwd"
    path.write_bytes(b"old\n")
    os.chmod(str(path), 0o644)
    old_inode = os.stat(str(path)).st_ino
    with open(str(path), "rb") as reader:  # a reader that opened the old file keeps the old content
        secret_file.write(str(path), SECRET, 0o600)
        assert reader.read() == b"old\n"
    assert writes[0][:3] == (0o600, os.geteuid(), os.getegid())
    assert os.stat(str(path)).st_ino != old_inode
    assert attrs(path)[0] == 0o600 and path.read_bytes() == SECRET


def test_minus_one_keeps_the_running_users_owner(tmp_path):
    path = tmp_path / "f"
    secret_file.write(str(path), b"x", 0o600, -1, -1)
    assert attrs(path) == (0o600, os.geteuid(), os.getegid())


@pytest.mark.parametrize("failing", ["replace", "fchmod", "fsync"])
def test_a_failure_leaves_the_target_and_no_temporary_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "sasl_passwd"
    path.write_bytes(b"old\n")
    real = getattr(os, failing)

    def fail(*args):
        if failing == "fsync" and not stat.S_ISREG(os.fstat(args[0]).st_mode):
            return real(*args)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError) as excinfo:
        secret_file.write(str(path), SECRET, 0o600)
    assert excinfo.value.errno == errno.ENOSPC
    assert os.listdir(str(tmp_path)) == ["sasl_passwd"] and path.read_bytes() == b"old\n"


def test_data_must_be_bytes_and_nothing_is_left_behind(tmp_path):
    with pytest.raises(TypeError):
        secret_file.write(str(tmp_path / "f"), "text", 0o600)
    assert os.listdir(str(tmp_path)) == []


def test_a_directory_that_cannot_be_synced_is_no_error(tmp_path, monkeypatch):
    real = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    secret_file.write(str(tmp_path / "f"), b"x", 0o600)
    assert (tmp_path / "f").read_bytes() == b"x"


def test_a_missing_directory_raises(tmp_path):
    with pytest.raises(OSError) as excinfo:
        secret_file.write(str(tmp_path / "missing" / "f"), b"x", 0o600)
    assert excinfo.value.errno == errno.ENOENT


def test_a_symlink_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep\n")
    link = tmp_path / "sasl_passwd"
    os.symlink(str(victim), str(link))
    secret_file.write(str(link), SECRET, 0o600)
    assert not os.path.islink(str(link)) and link.read_bytes() == SECRET
    assert victim.read_bytes() == b"keep\n"


# --- tighten ------------------------------------------------------------------------------------


def test_tighten_narrows_mode_and_owner(tmp_path):
    path = tmp_path / "sasl_passwd.db"
    path.write_bytes(SECRET)
    os.chmod(str(path), 0o644)
    assert secret_file.tighten(str(path), 0o600, *OTHER) is True
    assert attrs(path) == (0o600,) + OTHER
    assert path.read_bytes() == SECRET
    assert secret_file.tighten(str(path), 0o600, *OTHER) is False


def test_tighten_mode_only(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    os.chmod(str(path), 0o644)
    assert secret_file.tighten(str(path), 0o600) is True
    assert attrs(path) == (0o600, os.geteuid(), os.getegid())


@pytest.mark.skipif(not ROOT, reason="a file of another owner needs root")
def test_tighten_owner_only(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    os.chmod(str(path), 0o600)
    os.chown(str(path), 65534, 65534)
    assert secret_file.tighten(str(path), 0o600, os.geteuid(), -1) is True
    assert attrs(path) == (0o600, os.geteuid(), 65534)
    assert secret_file.tighten(str(path), 0o600, -1, os.getegid()) is True
    assert attrs(path) == (0o600, os.geteuid(), os.getegid())


def test_tighten_clears_set_id_bits_and_keeps_them_off(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    os.chmod(str(path), 0o4755)
    assert secret_file.tighten(str(path), 0o600, os.geteuid(), os.getegid()) is True
    assert attrs(path)[0] == 0o600


def test_tighten_a_missing_file_is_false(tmp_path):
    assert secret_file.tighten(str(tmp_path / "missing"), 0o600) is False
    assert os.listdir(str(tmp_path)) == []


def test_tighten_does_not_follow_a_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"x")
    os.chmod(str(victim), 0o644)
    link = tmp_path / "sasl_passwd.db"
    os.symlink(str(victim), str(link))
    with pytest.raises(OSError) as excinfo:
        secret_file.tighten(str(link), 0o600)
    assert excinfo.value.errno == errno.ELOOP
    assert attrs(victim)[0] == 0o644


def test_tighten_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "sasl_passwd.db"
    os.mkfifo(str(fifo), 0o644)
    with pytest.raises(OSError) as excinfo:
        secret_file.tighten(str(fifo), 0o600)
    assert excinfo.value.errno == errno.EINVAL
    assert attrs(fifo)[0] == 0o644


def test_tighten_refuses_a_directory(tmp_path):
    with pytest.raises(OSError) as excinfo:
        secret_file.tighten(str(tmp_path), 0o700)
    assert excinfo.value.errno == errno.EINVAL
