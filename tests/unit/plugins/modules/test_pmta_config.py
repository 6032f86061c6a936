# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for the egress.mail.pmta_config module."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import pmta_config

GOOD = """\
smtp-listener 127.0.0.1:25
<source 127.0.0.1>
    always-allow-relaying yes
</source>
<domain *>
    smtp-hosts smtp.example.net:587
    use-starttls yes
    require-starttls yes
    auth-username relayuser
    auth-password Hunter2-secret
    smtp-tls-ca-file /etc/ssl/certs/ca-certificates.crt
    smtp-tls-allow-tlsv1 no
    smtp-tls-allow-tlsv1.1 no
</domain>
"""

BAD = GOOD.replace("<source 127.0.0.1>", "<source 0/0>")  # open relay, line 2


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            pmta_config.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def test_valid_content(capsys):
    code, result, raw = run({"content": GOOD}, capsys)
    assert code == 0
    assert result["changed"] is False
    assert result["valid"] is True
    assert result["errors"] == []
    assert result["warning_details"] == []
    assert result["summary"]["route"]["host"] == "smtp.example.net"
    assert result["summary"]["route"]["port"] == 587
    assert result["summary"]["starttls"] == {"use": True, "require": True}
    assert result["summary"]["auth_user"] == "relayuser"
    assert result["summary"]["listeners"] == ["127.0.0.1:25"]
    assert "masked_diff" not in result
    assert "Hunter2-secret" not in raw


def test_valid_path(tmp_path, capsys):
    path = tmp_path / "config"
    path.write_text(GOOD)
    code, result, _raw = run({"path": str(path)}, capsys)
    assert code == 0 and result["valid"] is True


def test_missing_path_fails(tmp_path, capsys):
    code, result, _raw = run({"path": str(tmp_path / "nope")}, capsys)
    assert code == 1
    assert "does not exist" in result["msg"]


def test_errors_fail_with_line_numbers(capsys):
    code, result, raw = run({"content": BAD, "relay_policy": True}, capsys)
    assert code == 1
    assert result["failed"] is True
    assert result["valid"] is False
    assert result["errors"] == [
        {"line": 2, "message": "open relay: <source 0/0> has always-allow-relaying yes without require-auth yes"}
    ]
    assert "line 2: open relay" in result["msg"]
    assert "Hunter2-secret" not in raw


def test_without_the_relay_policy_an_open_relay_is_a_warning(capsys):
    code, result, _raw = run({"content": BAD}, capsys)
    assert code == 0 and result["valid"] is True
    assert result["summary"]["policy"] is False
    assert {
        "line": 2,
        "message": "open relay: <source 0/0> has always-allow-relaying yes without require-auth yes",
    } in result["warning_details"]


def test_fail_on_error_false_reports_only(capsys):
    code, result, _raw = run({"content": BAD, "fail_on_error": False, "relay_policy": True}, capsys)
    assert code == 0
    assert result["valid"] is False
    assert result["errors"][0]["line"] == 2
    assert "failed" not in result or result["failed"] is False


def test_warnings_use_the_standard_mechanism(capsys, monkeypatch):
    emitted = []
    monkeypatch.setattr(pmta_config.AnsibleModule, "warn", lambda self, message: emitted.append(message))
    text = GOOD.replace("smtp.example.net:587", "smtp.example.net:25")
    code, result, _raw = run({"content": text, "relay_policy": True}, capsys)
    assert code == 0
    assert result["warning_details"] == [
        {"line": 6, "message": "'smtp-hosts' uses port 25, which most clouds block outbound"}
    ]
    assert emitted == ["line 6: 'smtp-hosts' uses port 25, which most clouds block outbound"]


def test_diff_against_is_masked(tmp_path, capsys):
    path = tmp_path / "config"
    path.write_text(GOOD)
    new = GOOD.replace(":587", ":2525").replace("Hunter2-secret", "Other-secret")
    code, result, raw = run({"content": new, "diff_against": str(path)}, capsys)
    assert code == 0
    assert "-    smtp-hosts smtp.example.net:587" in result["masked_diff"]
    assert "+    smtp-hosts smtp.example.net:2525" in result["masked_diff"]
    assert result["secrets_changed"] is True
    assert "Hunter2-secret" not in raw and "Other-secret" not in raw


def test_diff_against_missing_file_is_empty(tmp_path, capsys):
    code, result, _raw = run({"content": GOOD, "diff_against": str(tmp_path / "nope")}, capsys)
    assert code == 0
    assert result["masked_diff"][0].startswith("---")
    assert all(line.startswith(("---", "+++", "@@", "+")) for line in result["masked_diff"])
    assert "+    auth-password ********" in result["masked_diff"]
    assert result["secrets_changed"] is True


def test_diff_against_identical_file(tmp_path, capsys):
    path = tmp_path / "config"
    path.write_text(GOOD)
    code, result, _raw = run({"content": GOOD, "diff_against": str(path)}, capsys)
    assert code == 0
    assert result["masked_diff"] == []
    assert result["secrets_changed"] is False


def test_compact_and_fragment(capsys):
    snippet = "<source 0/0> require-auth true</source><source 10.0.5.20> always-allow-relaying yes</source>"
    code, result, _raw = run({"content": snippet, "compact": True, "fragment": True}, capsys)
    assert code == 0, result
    assert [s["match"] for s in result["summary"]["sources"]] == ["0/0", "10.0.5.20"]


def test_extra_directives(capsys):
    text = GOOD + "frobnicate yes\n"
    code, _result, _raw = run({"content": text}, capsys)
    assert code == 1
    code, _result, _raw = run({"content": text, "extra_directives": ["frobnicate"]}, capsys)
    assert code == 0


def test_check_mode(capsys):
    code, result, _raw = run({"content": GOOD, "_ansible_check_mode": True}, capsys)
    assert code == 0 and result["changed"] is False and result["valid"] is True


def test_path_and_content_are_mutually_exclusive(capsys):
    code, result, _raw = run({"content": GOOD, "path": "/etc/pmta/config"}, capsys)
    assert code == 1
    assert "mutually exclusive" in result["msg"]


def test_path_or_content_required(capsys):
    code, result, _raw = run({}, capsys)
    assert code == 1
    assert "one of the following is required" in result["msg"]


def test_content_is_no_log(capsys):
    code, result, raw = run({"content": GOOD, "_ansible_verbosity": 4}, capsys)
    assert code == 0
    invocation = result.get("invocation", {}).get("module_args", {})
    assert invocation.get("content") in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    assert "Hunter2-secret" not in raw


def test_documentation_names_the_options_and_the_table():
    import yaml

    from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc

    doc = yaml.safe_load(pmta_config.DOCUMENTATION)
    notes = " ".join(doc["notes"])
    for name in pc.OPAQUE_STANZAS + tuple(pc.STANZAS):
        assert "C(<%s>)" % name in notes, name
    assert "docs/pmta-directives.md" in notes
    assert set(doc["options"]) == {
        "path",
        "content",
        "compact",
        "fragment",
        "extra_directives",
        "diff_against",
        "fail_on_error",
        "dest",
        "owner",
        "group",
        "mode",
        "backup",
        "applied_marker",
        "mark_applied",
        "relay_policy",
    }


# ---------------------------------------------------------------------------
# dest: written only when valid, with its final owner and mode from the first byte
# ---------------------------------------------------------------------------

import grp  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import stat  # noqa: E402

from ansible_collections.egress.mail.plugins.module_utils import secret_file  # noqa: E402

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def write_args(dest, content=GOOD, **extra):
    args = {"content": content, "dest": str(dest), "owner": ME, "group": MY_GROUP, "mode": "0640", "relay_policy": True}
    args.update(extra)
    return args


def test_dest_is_written_with_its_final_mode_before_any_byte(tmp_path, capsys, monkeypatch):
    dest = tmp_path / "config"
    seen = []
    real_fdopen = os.fdopen

    class Spy(object):
        """Records the mode of the file on disk at the moment each byte is written."""

        def __init__(self, fd, *args, **kwargs):
            self._fd = fd
            self._handle = real_fdopen(fd, *args, **kwargs)

        def write(self, data):
            seen.append(stat.S_IMODE(os.fstat(self._fd).st_mode))
            return self._handle.write(data)

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)

    monkeypatch.setattr(secret_file.os, "fdopen", Spy)
    code, result, raw = run(write_args(dest), capsys)
    assert code == 0, result
    assert result["changed"] is True
    assert seen and set(seen) == {0o640}
    assert dest.read_text() == GOOD
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert "Hunter2-secret" not in raw


def test_dest_replaces_a_world_readable_file_without_writing_into_it(tmp_path, capsys):
    dest = tmp_path / "config"
    dest.write_text("old\n")
    dest.chmod(0o644)
    inode = dest.stat().st_ino
    code, result, _raw = run(write_args(dest), capsys)
    assert code == 0 and result["changed"] is True
    assert dest.stat().st_ino != inode  # a new file, never the old 0644 one rewritten
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640


def test_dest_idempotent_and_mode_fixed_without_rewrite(tmp_path, capsys):
    dest = tmp_path / "config"
    assert run(write_args(dest), capsys)[0] == 0
    code, result, _raw = run(write_args(dest), capsys)
    assert code == 0 and result["changed"] is False
    dest.chmod(0o644)
    code, result, _raw = run(write_args(dest), capsys)
    assert code == 0 and result["changed"] is True
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640


def test_invalid_content_is_never_written(tmp_path, capsys):
    dest = tmp_path / "config"
    dest.write_text(GOOD)
    for fail_on_error in (True, False):
        code, result, raw = run(write_args(dest, BAD, fail_on_error=fail_on_error), capsys)
        assert code == 1
        assert "was not changed" in result["msg"]
        assert dest.read_text() == GOOD
        assert "Hunter2-secret" not in raw
    code, _result, _raw = run(write_args(tmp_path / "new", BAD), capsys)
    assert code == 1 and not (tmp_path / "new").exists()


def test_check_mode_with_diff_masks_passwords_and_writes_nothing(tmp_path, capsys):
    dest = tmp_path / "config"
    dest.write_text(GOOD)
    new = GOOD.replace(":587", ":2525").replace("Hunter2-secret", "Other-secret")
    code, result, raw = run(write_args(dest, new, _ansible_check_mode=True, _ansible_diff=True), capsys)
    assert code == 0 and result["changed"] is True
    assert dest.read_text() == GOOD
    assert "smtp.example.net:2525" in result["diff"]["after"]
    assert "auth-password ********" in result["diff"]["before"]
    assert result["secrets_changed"] is True
    assert "Hunter2-secret" not in raw and "Other-secret" not in raw


def test_check_mode_with_a_group_that_does_not_exist_yet(tmp_path, capsys):
    args = write_args(tmp_path / "config", group="egress-no-such-group", _ansible_check_mode=True)
    code, result, _raw = run(args, capsys)
    assert code == 0 and result["changed"] is True
    code, result, _raw = run(dict(args, _ansible_check_mode=False), capsys)
    assert code == 1 and "does not exist" in result["msg"]


def test_backup_keeps_the_previous_file_with_the_same_mode(tmp_path, capsys):
    dest = tmp_path / "config"
    dest.write_text(GOOD)
    new = GOOD.replace(":587", ":2525")
    code, result, _raw = run(write_args(dest, new, backup=True), capsys)
    assert code == 0
    backup = tmp_path / "config.egress-previous"
    assert result["backup_file"] == str(backup)
    assert backup.read_text() == GOOD and stat.S_IMODE(backup.stat().st_mode) == 0o640


def test_applied_marker_makes_a_failed_reload_retry(tmp_path, capsys):
    dest, marker = tmp_path / "config", tmp_path / ".applied"
    code, result, _raw = run(write_args(dest, applied_marker=str(marker)), capsys)
    assert code == 0 and result["changed"] is True and result["applied"] is False
    # the reload failed: nothing recorded; the next run changes nothing but is not applied either
    code, result, _raw = run(write_args(dest, applied_marker=str(marker)), capsys)
    assert code == 0 and result["changed"] is False and result["applied"] is False
    # the reload worked: recorded
    code, result, raw = run({"path": str(dest), "applied_marker": str(marker), "mark_applied": True}, capsys)
    assert code == 0 and result["changed"] is True and result["applied"] is True
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert marker.read_text() not in raw
    code, result, _raw = run(write_args(dest, applied_marker=str(marker)), capsys)
    assert code == 0 and result["changed"] is False and result["applied"] is True
    code, result, _raw = run(write_args(dest, GOOD.replace(":587", ":2525"), applied_marker=str(marker)), capsys)
    assert code == 0 and result["changed"] is True and result["applied"] is False


@pytest.mark.parametrize(
    "args, message",
    [
        ({"dest": "/tmp/x"}, "one of the following is required"),
        ({"path": "/etc/pmta/config", "dest": "/tmp/x"}, "mutually exclusive"),
        ({"content": GOOD, "mark_applied": True}, "mark_applied needs"),
    ],
)
def test_write_option_combinations(args, message, capsys):
    code, result, _raw = run(args, capsys)
    assert code == 1 and message in result["msg"]


def test_mode_must_be_octal(tmp_path, capsys):
    code, result, _raw = run(write_args(tmp_path / "c", mode="rw-r-----"), capsys)
    assert code == 1 and "octal" in result["msg"]
