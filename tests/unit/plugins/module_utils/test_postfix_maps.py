# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_maps on real files in a temporary directory. postmap itself is stood in for by a
function that builds <source>.db (or .lmdb) the way postmap does: from the source, honouring
the umask, into the existing file when there is one (same inode, same mode). The real postmap
runs in the molecule scenarios.

`Audit` watches every moment a password could become readable: each write of content into a
file (the file's mode and owner at that moment, read from its descriptor) and the state of the
map files after every rename, replace, chmod or chown."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import shutil
import stat
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postfix_maps import PostfixMapsError, apply, parse_mode

SECRET = "p:a ss#w0rd$%"


class Postmap(object):
    """Records the calls and builds the indexed file; fails for sources containing 'BROKEN'."""

    def __init__(self):
        self.calls = []
        self.seen = []  # (built file, its mode and owner before postmap wrote to it, or None)

    def __call__(self, args, umask):
        self.calls.append(args)
        db_type, path = args[1].split(":", 1)
        with open(path) as handle:
            data = handle.read()
        if "BROKEN" in data:
            return 1, "", "postmap: warning: %s, line 1: expected format: key whitespace value: %s" % (path, data)
        old = os.umask(umask)
        try:
            built = path + {"lmdb": ".lmdb"}.get(db_type, ".db")
            try:
                info = os.stat(built)
                self.seen.append((built, (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)))
            except OSError:
                self.seen.append((built, None))
            with open(built, "w") as handle:
                handle.write("built from " + data)
        finally:
            os.umask(old)
        return 0, "", ""


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


OWNER = (os.geteuid(), os.getegid())


class _WatchedFile(object):
    def __init__(self, handle, audit):
        self._handle = handle
        self._audit = audit

    def write(self, data):
        info = os.fstat(self._handle.fileno())
        self._audit.check("write into fd %d" % self._handle.fileno(), info, data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


class Audit(object):
    """Records every moment a file holding ``secret`` has another mode than ``secret_mode`` or
    another owner than the running user's (``bad``), and every write of content (``writes``)."""

    def __init__(self, watched, secret=SECRET, secret_mode=0o600):
        self.watched = watched
        self.secret = secret.encode()
        self.secret_mode = secret_mode
        self.bad = []
        self.writes = 0

    def check(self, moment, info, data):
        if isinstance(data, str):
            data = data.encode()
        if self.secret in data:
            attrs = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
            if attrs != (self.secret_mode,) + OWNER:
                self.bad.append("%s: mode %04o owner %d:%d" % ((moment,) + attrs))
        self.writes += 1

    def look(self, moment):
        for path in self.watched:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
                info = os.stat(path)
            except OSError:
                continue
            self.check("%s, then %s" % (moment, path), info, data)

    @contextlib.contextmanager
    def watching(self, monkeypatch):
        def wrap(owner, name):
            real = getattr(owner, name)

            def wrapped(*args, **kwargs):
                result = real(*args, **kwargs)
                self.look(name)
                return result

            monkeypatch.setattr(owner, name, wrapped)

        for name in ("rename", "replace", "chmod", "fchmod", "chown", "fchown"):
            wrap(os, name)
        wrap(shutil, "move")
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _WatchedFile(real_fdopen(*a, **k), self))
        try:
            yield self
        finally:
            monkeypatch.undo()


@pytest.fixture
def run(tmp_path):
    postmap = Postmap()

    def _run(maps, check_mode=False, db_type="hash"):
        for entry in maps:
            entry["path"] = str(tmp_path / entry["path"])
        return apply(maps, db_type, postmap, "/usr/sbin/postmap", check_mode=check_mode)

    _run.postmap = postmap
    _run.dir = tmp_path
    return _run


@pytest.fixture
def audited(run, monkeypatch):
    """``run`` under an Audit of sasl_passwd and sasl_passwd.db, with the usual umask 022."""
    audit = Audit([str(run.dir / "sasl_passwd"), str(run.dir / "sasl_passwd.db")])

    def _run(maps, **kwargs):
        old = os.umask(0o022)
        try:
            with audit.watching(monkeypatch):
                return run(maps, **kwargs)
        finally:
            os.umask(old)

    _run.audit = audit
    _run.postmap = run.postmap
    _run.dir = run.dir
    return _run


def sasl(content="[relay]:587 user:%s\n" % SECRET, file_mode="0600"):
    return {"path": "sasl_passwd", "content": content, "mode": file_mode, "secret": True}


def table(content="@a.example egress_starttls:[r.example]:587\n"):
    return {"path": "transport", "content": content}


def test_first_run_writes_and_builds_with_the_modes(run):
    result = run([sasl(), table()])
    d = run.dir
    assert result["changed"] is True
    assert result["changed_maps"] == [str(d / "sasl_passwd"), str(d / "transport")]
    assert result["rebuilt_maps"] == result["changed_maps"]
    assert (d / "sasl_passwd").read_text() == "[relay]:587 user:%s\n" % SECRET
    assert mode(d / "sasl_passwd") == 0o600 and mode(d / "sasl_passwd.db") == 0o600
    assert mode(d / "transport") == 0o644 and mode(d / "transport.db") == 0o644
    assert run.postmap.calls == [
        ["/usr/sbin/postmap", "hash:%s" % (d / "sasl_passwd")],
        ["/usr/sbin/postmap", "hash:%s" % (d / "transport")],
    ]


def test_second_run_changes_nothing(run):
    run([sasl(), table()])
    calls = len(run.postmap.calls)
    result = run([sasl(), table()])
    assert result == {"changed": False, "changed_maps": [], "rebuilt_maps": [], "diff": []}
    assert len(run.postmap.calls) == calls


def test_changed_content_is_rewritten_and_rebuilt_and_diffed(run):
    run([sasl(), table()])
    result = run([sasl("[relay]:587 user:new-%s\n" % SECRET), table("@b.example smtp:[x]:25\n")])
    assert result["rebuilt_maps"] == result["changed_maps"] and len(result["changed_maps"]) == 2
    secret_diff, table_diff = result["diff"]
    assert SECRET not in str(secret_diff)
    assert secret_diff["after"] == "(1 lines, not shown)\n"
    assert table_diff["before"] == "@a.example egress_starttls:[r.example]:587\n"
    assert table_diff["after"] == "@b.example smtp:[x]:25\n"
    assert (run.dir / "transport.db").read_text() == "built from @b.example smtp:[x]:25\n"


def test_a_loosened_password_map_is_made_private_again(run):
    run([sasl()])
    os.chmod(str(run.dir / "sasl_passwd"), 0o644)
    os.chmod(str(run.dir / "sasl_passwd.db"), 0o644)
    result = run([sasl()])
    assert result["changed"] is True and result["rebuilt_maps"] == []
    assert mode(run.dir / "sasl_passwd") == 0o600 and mode(run.dir / "sasl_passwd.db") == 0o600
    assert result["diff"][0]["before"].startswith("mode 0644\n")


def test_new_content_with_a_stricter_mode_never_lands_in_the_old_mode(run, audited):
    run([sasl("[relay]:587 user:old\n", "0644")])
    audited([sasl()])  # now a password, 0600
    assert audited.audit.bad == [] and audited.audit.writes > 0
    # postmap writes into the existing .db (same inode): it must already be 0600 then.
    assert audited.postmap.seen[-1] == (str(run.dir / "sasl_passwd.db"), (0o600,) + OWNER)
    assert mode(run.dir / "sasl_passwd") == 0o600 and mode(run.dir / "sasl_passwd.db") == 0o600


def test_a_new_password_map_is_private_from_its_first_byte(audited):
    """AnsibleModule.atomic_move gives a new file 0666 & ~umask and chmods it only later."""
    audited([sasl()])
    assert audited.audit.bad == [] and audited.audit.writes > 0
    assert audited.postmap.seen == [(str(audited.dir / "sasl_passwd.db"), None)]
    assert mode(audited.dir / "sasl_passwd") == 0o600 and mode(audited.dir / "sasl_passwd.db") == 0o600


def test_a_changed_password_is_private_from_its_first_byte(run, audited):
    run([sasl("[relay]:587 user:old\n")])
    audited([sasl()])
    assert audited.audit.bad == [] and audited.audit.writes > 0
    assert (audited.dir / "sasl_passwd").read_text() == "[relay]:587 user:%s\n" % SECRET


def test_an_open_built_map_is_tightened_before_postmap_writes_into_it(run, audited):
    """A sasl_passwd.db left 0644 (by hand, or by an older tool) gets the new password only
    after it is 0600: postmap keeps the inode and its mode."""
    run([sasl("[relay]:587 user:old\n")])
    os.chmod(str(run.dir / "sasl_passwd.db"), 0o644)
    result = audited([sasl()])
    assert audited.postmap.seen[-1] == (str(run.dir / "sasl_passwd.db"), (0o600,) + OWNER)
    assert audited.audit.bad == []
    assert result["rebuilt_maps"] == [str(run.dir / "sasl_passwd")]
    assert mode(run.dir / "sasl_passwd.db") == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file to another owner needs root")
def test_foreign_owner_is_taken_back_before_the_password_is_written(run, audited):
    run([sasl("[relay]:587 user:old\n")])
    for name in ("sasl_passwd", "sasl_passwd.db"):
        os.chown(str(run.dir / name), 65534, 65534)
    result = audited([sasl()])
    assert audited.audit.bad == []
    assert audited.postmap.seen[-1] == (str(run.dir / "sasl_passwd.db"), (0o600,) + OWNER)
    assert result["changed_maps"] == [str(run.dir / "sasl_passwd")]
    for name in ("sasl_passwd", "sasl_passwd.db"):
        info = os.stat(str(run.dir / name))
        assert (info.st_uid, info.st_gid) == OWNER


@pytest.mark.skipif(os.geteuid() != 0, reason="a set-group-ID directory of another group needs root")
def test_set_group_id_directory_does_not_give_the_map_its_group(run, audited):
    os.chown(str(run.dir), -1, 65534)
    os.chmod(str(run.dir), 0o2755)
    audited([sasl()])
    assert audited.audit.bad == []
    assert os.stat(str(run.dir / "sasl_passwd")).st_gid == OWNER[1]


def test_the_audit_sees_a_late_chmod(tmp_path, monkeypatch):
    """The audit itself can fail: a file written 0644 and chmodded 0600 afterwards is caught."""
    path = str(tmp_path / "sasl_passwd")
    audit = Audit([path])
    with audit.watching(monkeypatch):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(SECRET.encode())
        os.chmod(path, 0o600)
    assert len(audit.bad) == 1 and audit.bad[0].startswith("write into fd")
    assert mode(path) == 0o600


def test_a_write_error_names_the_map_and_leaves_no_temporary_file(run, monkeypatch):
    run([sasl("[relay]:587 user:old\n")])

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([sasl()])
    assert str(excinfo.value) == "%s: cannot write: No space left on device" % (run.dir / "sasl_passwd")
    assert sorted(os.listdir(str(run.dir))) == ["sasl_passwd", "sasl_passwd.db"]
    assert (run.dir / "sasl_passwd").read_text() == "[relay]:587 user:old\n"


def test_a_built_map_that_cannot_be_tightened_stops_before_postmap(run):
    run([sasl("[relay]:587 user:old\n")])
    built = run.dir / "sasl_passwd.db"
    os.unlink(str(built))
    os.symlink(str(run.dir / "elsewhere"), str(built))
    (run.dir / "elsewhere").write_text("x")
    os.chmod(str(run.dir / "elsewhere"), 0o644)
    calls = len(run.postmap.calls)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([sasl()])
    assert str(excinfo.value).startswith("%s: cannot set mode 0600: " % built)
    assert SECRET not in str(excinfo.value)
    assert len(run.postmap.calls) == calls and mode(run.dir / "elsewhere") == 0o644


def test_stale_index_is_rebuilt_without_rewriting_the_source(run):
    run([table()])
    built = str(run.dir / "transport.db")
    old = time.time() - 60
    os.utime(built, (old, old))
    result = run([table()])
    assert result["changed_maps"] == [] and result["rebuilt_maps"] == [str(run.dir / "transport")]
    os.unlink(built)
    assert run([table()])["rebuilt_maps"] == [str(run.dir / "transport")]


def test_check_mode_reports_and_touches_nothing(run):
    result = run([sasl(), table()], check_mode=True)
    assert result["changed"] is True and len(result["changed_maps"]) == 2 and len(result["rebuilt_maps"]) == 2
    assert os.listdir(str(run.dir)) == [] and run.postmap.calls == []


def test_lmdb_suffix(run):
    run([table()], db_type="lmdb")
    assert (run.dir / "transport.lmdb").exists()
    assert run([table()], db_type="lmdb")["changed"] is False


def test_postmap_failure_names_the_map_and_hides_secrets(run):
    with pytest.raises(PostfixMapsError) as excinfo:
        run([table("BROKEN line\n")])
    assert "postmap hash:" in str(excinfo.value) and "expected format" in str(excinfo.value)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([sasl("BROKEN %s\n" % SECRET)])
    assert str(excinfo.value).endswith("failed: exit 1") and SECRET not in str(excinfo.value)


def test_final_newline_added(run):
    run([table("@a.example smtp:[r]:25")])
    assert (run.dir / "transport").read_text() == "@a.example smtp:[r]:25\n"


@pytest.mark.parametrize(
    "maps, fragment",
    [
        ([{"path": "relative", "content": ""}], "maps[0].path"),
        ([{"path": "/tmp/a/", "content": ""}], "maps[0].path"),
        (
            [{"path": "/tmp/x", "content": ""}, {"path": "/tmp/x", "content": ""}],
            "maps[1].path: /tmp/x is listed twice",
        ),
        ([{"path": "/tmp/x", "content": None}], "maps[0].content"),
        ([{"path": "/tmp/x", "content": "", "mode": "u=rw"}], "maps[0].mode"),
        ([{"path": "/tmp/x", "content": "", "mode": True}], "maps[0].mode"),
        ([{"path": "/tmp/x", "content": "", "mode": "0999"}], "maps[0].mode"),
        ([{"path": "/nonexistent-dir/x", "content": ""}], "does not exist"),
    ],
)
def test_bad_input_is_refused_before_writing(maps, fragment):
    with pytest.raises(PostfixMapsError) as excinfo:
        apply(maps, "hash", None, "postmap")
    assert fragment in str(excinfo.value)


@pytest.mark.parametrize("db_type", ["", "hash;rm", "Hash", None])
def test_bad_db_type(db_type):
    with pytest.raises(PostfixMapsError):
        apply([], db_type, None, "postmap")


@pytest.mark.parametrize("value, expected", [("0600", 0o600), ("600", 0o600), (0o640, 0o640), ("0644", 0o644)])
def test_parse_mode(value, expected):
    assert parse_mode(value, "mode") == expected


# --- state: absent (a relay that no longer logs in) -----------------------------------------------


def test_absent_removes_source_and_built_file(run):
    run([sasl(), table()])
    result = run([{"path": "sasl_passwd", "state": "absent"}, table()])
    assert result["changed"] is True and result["changed_maps"] == [str(run.dir / "sasl_passwd")]
    assert result["rebuilt_maps"] == []
    assert sorted(os.listdir(str(run.dir))) == ["transport", "transport.db"]
    assert result["diff"] == [
        {
            "before": "(1 lines, not shown)\n",
            "after": "",
            "before_header": str(run.dir / "sasl_passwd"),
            "after_header": str(run.dir / "sasl_passwd"),
        }
    ]
    assert SECRET not in str(result)
    again = run([{"path": "sasl_passwd", "state": "absent"}])
    assert again == {"changed": False, "changed_maps": [], "rebuilt_maps": [], "diff": []}


@pytest.mark.parametrize("left", ["sasl_passwd", "sasl_passwd.lmdb"])
def test_absent_removes_what_is_left(run, left):
    (run.dir / left).write_text("x\n")
    result = run([{"path": "sasl_passwd", "state": "absent"}], db_type="lmdb")
    assert result["changed_maps"] == [str(run.dir / "sasl_passwd")] and os.listdir(str(run.dir)) == []
    assert result["diff"][0]["before"] == ("(1 lines, not shown)\n" if left == "sasl_passwd" else "")


def test_absent_in_check_mode_removes_nothing(run):
    run([sasl()])
    result = run([{"path": "sasl_passwd", "state": "absent"}], check_mode=True)
    assert result["changed"] is True
    assert sorted(os.listdir(str(run.dir))) == ["sasl_passwd", "sasl_passwd.db"]


def test_absent_removes_a_dangling_symlink(run):
    os.symlink(str(run.dir / "nowhere"), str(run.dir / "sasl_passwd.db"))
    assert run([{"path": "sasl_passwd", "state": "absent"}])["changed"] is True
    assert os.listdir(str(run.dir)) == []


def test_absent_error_names_the_file(run, monkeypatch):
    run([sasl()])

    def refuse(path):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "unlink", refuse)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([{"path": "sasl_passwd", "state": "absent"}])
    assert str(excinfo.value) == "%s: cannot remove: Permission denied" % (run.dir / "sasl_passwd.db")


def test_absent_needs_no_directory_and_no_content():
    result = apply([{"path": "/nonexistent-dir/x", "state": "absent"}], "hash", None, "postmap")
    assert result["changed"] is False


def test_bad_state_is_refused():
    with pytest.raises(PostfixMapsError, match=r"maps\[0\].state: 'gone' is neither present nor absent"):
        apply([{"path": "/tmp/x", "content": "", "state": "gone"}], "hash", None, "postmap")


# --- the details (each of these was a surviving mutant) -------------------------------------------


@pytest.mark.parametrize(
    "db_type, suffix",
    [
        ("hash", ".db"),
        ("btree", ".db"),
        ("dbm", ".db"),
        ("lmdb", ".lmdb"),
        ("cdb", ".cdb"),
        ("sdbm", ".pag"),
        ("texthash", ".db"),
    ],
)
def test_the_built_file_of_each_database_type_is_tightened(tmp_path, db_type, suffix):
    """The built file postmap writes for each type is the one whose mode the module keeps."""
    source = str(tmp_path / "sasl_passwd")
    with open(source, "w") as handle:
        handle.write("[r]:587 u:%s\n" % SECRET)
    os.chmod(source, 0o600)
    built = source + suffix
    with open(built, "w") as handle:
        handle.write("old")
    os.chmod(built, 0o644)
    seen = []

    def postmap(args, umask):
        seen.append(mode(built))
        return 0, "", ""

    result = apply(
        [{"path": source, "content": "[r]:587 u:%s\n" % SECRET, "mode": "0600", "secret": True}],
        db_type,
        postmap,
        "postmap",
    )
    assert mode(built) == 0o600
    assert result["changed_maps"] == [source] and result["rebuilt_maps"] == []  # built file not older
    assert seen == []


@pytest.mark.parametrize("db_type", ["hash\n", "lmdb\n", " hash", "hash:x"])
def test_db_type_is_matched_whole(db_type):
    with pytest.raises(PostfixMapsError, match=r"^db_type: .* is not a Postfix database type such as hash or lmdb$"):
        apply([], db_type, None, "postmap")


@pytest.mark.parametrize("value", ["0600\n0", "066000", "0o600", 0o10000, -1, "", None, 1.5, True, False])
def test_parse_mode_refuses(value):
    with pytest.raises(PostfixMapsError, match=r"^m: .* is not an octal file mode such as 0600$"):
        parse_mode(value, "m")


@pytest.mark.parametrize(
    "value, expected", [("0600\n", 0o600), (" 0640 ", 0o640), ("4755", 0o4755), (0o7777, 0o7777), (0, 0)]
)
def test_parse_mode_more(value, expected):
    assert parse_mode(value, "mode") == expected


@pytest.mark.parametrize(
    "maps, message",
    [
        (["/tmp/x"], "maps[0]: must be a dictionary with path and content"),
        ([{"path": None, "content": ""}], "maps[0].path: None must be an absolute file path"),
        ([{"path": "/tmp/x", "content": 5}], "maps[0].content: must be a string"),
        (
            [{"path": "/tmp/x", "content": "", "mode": "0999"}],
            "maps[0].mode: '0999' is not an octal file mode such as 0600",
        ),
    ],
)
def test_messages(maps, message):
    with pytest.raises(PostfixMapsError) as excinfo:
        apply(maps, "hash", None, "postmap")
    assert str(excinfo.value) == message


def test_default_mode_is_0644_and_empty_content_stays_empty(run):
    result = run([{"path": "empty", "content": ""}])
    assert (run.dir / "empty").read_text() == "" and mode(run.dir / "empty") == 0o644
    assert result["diff"] == [
        {"before": "", "after": "", "before_header": str(run.dir / "empty"), "after_header": str(run.dir / "empty")}
    ]


def test_diff_of_a_mode_change_and_of_a_table(run):
    run([table()])
    os.chmod(str(run.dir / "transport"), 0o600)
    result = run([table("@b.example smtp:[x]:25\n")])
    [diff] = result["diff"]
    assert diff["before"] == "mode 0600\n@a.example egress_starttls:[r.example]:587\n"
    assert diff["after"] == "mode 0644\n@b.example smtp:[x]:25\n"


def test_diff_of_a_secret_map_counts_lines(run):
    run([sasl("a x:1\nb y:2\n")])
    result = run([sasl("a x:1\nb y:2\nc z:3\n")])
    assert result["diff"][0]["before"] == "(2 lines, not shown)\n"
    assert result["diff"][0]["after"] == "(3 lines, not shown)\n"


def test_postmap_gets_the_type_and_a_umask_that_gives_the_mode(run):
    umasks = []
    real = run.postmap.__call__

    def recording(args, umask):
        umasks.append(umask)
        return real(args, umask)

    run.postmap.__call__ = recording
    result = apply(
        [{"path": str(run.dir / "sasl_passwd"), "content": "k v\n", "mode": "0640"}],
        "btree",
        recording,
        "/usr/sbin/postmap",
    )
    assert umasks == [0o137] and run.postmap.calls[-1] == ["/usr/sbin/postmap", "btree:%s" % (run.dir / "sasl_passwd")]
    assert mode(run.dir / "sasl_passwd.db") == 0o640 and result["rebuilt_maps"] == [str(run.dir / "sasl_passwd")]


def test_a_new_built_file_is_given_a_mode_the_umask_cannot_give(run):
    run([{"path": "script_map", "content": "k v\n", "mode": "0755"}])
    assert mode(run.dir / "script_map.db") == 0o755


def test_only_an_older_built_file_is_rebuilt(run):
    run([table()])
    source, built = str(run.dir / "transport"), str(run.dir / "transport.db")
    now = time.time()
    os.utime(source, (now, now))
    os.utime(built, (now, now))  # same time: not older, not rebuilt
    assert run([table()])["rebuilt_maps"] == []


def test_postmap_error_of_a_table_quotes_stdout_when_stderr_is_empty(tmp_path):
    path = str(tmp_path / "transport")
    with pytest.raises(PostfixMapsError) as excinfo:
        apply([{"path": path, "content": "x\n"}], "hash", lambda args, umask: (2, " out \n", ""), "postmap")
    assert str(excinfo.value) == "postmap hash:%s failed: out" % path
    with pytest.raises(PostfixMapsError) as excinfo:
        apply([{"path": path, "content": "y\n", "secret": True}], "hash", lambda args, umask: (2, "x", "y"), "postmap")
    assert str(excinfo.value) == "postmap hash:%s failed: exit 2" % path


def test_a_foreign_owner_alone_is_a_change(run, monkeypatch):
    run([table()])
    from ansible_collections.egress.mail.plugins.module_utils import postfix_maps

    monkeypatch.setattr(postfix_maps, "_owner", lambda: (OWNER[0], OWNER[1] + 1))
    tightened = []
    monkeypatch.setattr(postfix_maps.secret_file, "tighten", lambda *args: tightened.append(args))
    result = run([table()])
    assert result["changed_maps"] == [str(run.dir / "transport")] and result["rebuilt_maps"] == []
    assert result["diff"][0]["before"] == result["diff"][0]["after"]  # no mode line: same mode
    assert tightened == [
        (str(run.dir / "transport"), 0o644, OWNER[0], OWNER[1] + 1),
        (str(run.dir / "transport.db"), 0o644, OWNER[0], OWNER[1] + 1),
    ]


# --- mutation testing (issue 21): cases the surviving mutants showed were not pinned ---------


def test_message_of_a_path_listed_twice():
    with pytest.raises(PostfixMapsError) as excinfo:
        apply([{"path": "/tmp/x", "content": ""}, {"path": "/tmp/x", "content": ""}], "hash", None, "postmap")
    assert str(excinfo.value) == "maps[1].path: /tmp/x is listed twice"


def test_message_of_a_bad_state():
    with pytest.raises(PostfixMapsError) as excinfo:
        apply([{"path": "/tmp/x", "content": "", "state": "gone"}], "hash", None, "postmap")
    assert str(excinfo.value) == "maps[0].state: 'gone' is neither present nor absent"


@pytest.mark.parametrize(
    "error, reason",
    [(OSError(1, "Operation not permitted"), "Operation not permitted"), (OSError("no errno"), "no errno")],
)
def test_a_mode_that_cannot_be_set_is_reported_with_the_reason_alone(run, monkeypatch, error, reason):
    run([table()])
    from ansible_collections.egress.mail.plugins.module_utils import postfix_maps

    def refuse(*args):
        raise error

    monkeypatch.setattr(postfix_maps.secret_file, "tighten", refuse)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([dict(table(), mode="0640")])
    assert str(excinfo.value) == "%s: cannot set mode 0640: %s" % (run.dir / "transport", reason)


def test_message_of_a_missing_directory():
    with pytest.raises(PostfixMapsError) as excinfo:
        apply([{"path": "/nonexistent-dir/x", "content": ""}], "hash", None, "postmap")
    assert str(excinfo.value) == "/nonexistent-dir/x: directory /nonexistent-dir does not exist"


def test_a_map_after_an_absent_one_is_still_written(run):
    run([table()])
    result = run([{"path": "transport", "state": "absent"}, sasl()])
    assert result["changed_maps"] == [str(run.dir / "transport"), str(run.dir / "sasl_passwd")]
    assert (run.dir / "sasl_passwd").read_text() == "[relay]:587 user:%s\n" % SECRET
    assert not (run.dir / "transport").exists()


def test_the_diff_of_a_new_secret_map_has_an_empty_before(run):
    result = run([sasl()])
    assert [(d["before"], d["after"]) for d in result["diff"]] == [("", "(1 lines, not shown)\n")]


def test_the_diff_of_a_table_that_is_not_utf8_replaces_the_bad_bytes(run):
    (run.dir / "transport").write_bytes(b"caf\xe9 x\n")
    result = run([table("cafe x\n")])
    assert result["diff"][0]["before"] == "caf\ufffd x\n" and result["diff"][0]["after"] == "cafe x\n"
