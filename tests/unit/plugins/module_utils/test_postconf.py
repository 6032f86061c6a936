# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections import OrderedDict

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postconf import (
    SETTLE_SECONDS,
    PostconfError,
    apply,
    backup,
    build_diff,
    build_edit_command,
    build_remove_command,
    build_show_command,
    compute_changes,
    format_value,
    holds_password,
    normalize_value,
    parse_main_cf,
    parse_show_output,
    parse_unknown_parameters,
    prepare,
    settle,
    validate_name,
)

REAL_POSTCONF = "/usr/sbin/postconf"


# --- normalization and formatting -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ""),
        ("   ", ""),
        ("a", "a"),
        ("  a  b\t\tc  ", "a b c"),
        ("$myhostname ESMTP  $mail_name", "$myhostname ESMTP $mail_name"),
        ("a,b", "a,b"),  # commas are not touched
        ("b, a", "b, a"),  # nor is the order
    ],
)
def test_normalize_value(text, expected):
    assert normalize_value(text) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("[smtp.sendgrid.net]:587", "[smtp.sendgrid.net]:587"),
        (True, "yes"),
        (False, "no"),
        (0, "0"),
        (10240000, "10240000"),
        ("", ""),
        ("  spaced   out  ", "spaced out"),
        (["127.0.0.0/8", "[::1]/128"], "127.0.0.0/8, [::1]/128"),
        (("a", 1, True), "a, 1, yes"),
        ([], ""),
        (">=TLSv1.2", ">=TLSv1.2"),
        ("p:a ss#w0rd$%", "p:a ss#w0rd$%"),
    ],
)
def test_format_value(value, expected):
    assert format_value(value, "x") == expected


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("a\nb", "newline"),
        ("a\rb", "newline"),
        (["a", "b\nc"], "newline"),
        ("a\x00b", "control"),
        (None, "null"),
        (1.5, "unsupported value type float"),
        ({"a": 1}, "unsupported value type dict"),
        ([["nested"]], "scalars"),
    ],
)
def test_format_value_refuses(value, fragment):
    with pytest.raises(PostconfError, match=fragment):
        format_value(value, "relayhost")


@pytest.mark.parametrize("name", ["relayhost", "smtp_tls_security_level", "inet_protocols", "x1"])
def test_validate_name_good(name):
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "relay-host",
        "relay-host",
        "relay host",
        "submission/inet/smtpd_tls_security_level",
        "relayhost=x",
        "a\nb",
        "relayhost\n",
        None,
        5,
    ],
)
def test_validate_name_bad(name):
    with pytest.raises(PostconfError, match="invalid parameter name"):
        validate_name(name)


def test_prepare_keeps_order_and_dedupes_absent():
    desired, absent = prepare(OrderedDict([("b", 1), ("a", True)]), ["x", "y", "x"])
    assert list(desired.items()) == [("b", "1"), ("a", "yes")]
    assert absent == ["x", "y"]


def test_prepare_refuses_overlap_and_bad_absent():
    with pytest.raises(PostconfError, match="both in parameters and in absent"):
        prepare({"relayhost": ""}, ["relayhost"])
    with pytest.raises(PostconfError, match="invalid name in absent"):
        prepare(None, ["Bad-Name"])


# --- command lines ---------------------------------------------------------------------------


def test_build_commands():
    assert build_show_command("/usr/sbin/postconf", "/etc/postfix", ["relayhost", "mynetworks"]) == [
        "/usr/sbin/postconf",
        "-c",
        "/etc/postfix",
        "relayhost",
        "mynetworks",
    ]
    assert build_edit_command(
        "/usr/sbin/postconf",
        "/etc/postfix",
        [("relayhost", "[smtp.sendgrid.net]:587"), ("smtpd_banner", "$myhostname ESMTP")],
    ) == [
        "/usr/sbin/postconf",
        "-c",
        "/etc/postfix",
        "-e",
        "relayhost=[smtp.sendgrid.net]:587",
        "smtpd_banner=$myhostname ESMTP",
    ]
    assert build_remove_command("postconf", "/etc/postfix-out", ["a", "b"]) == [
        "postconf",
        "-c",
        "/etc/postfix-out",
        "-X",
        "a",
        "b",
    ]


# --- parsing ---------------------------------------------------------------------------------


def test_parse_show_output():
    out = (
        "relayhost = [smtp.sendgrid.net]:587\n"
        "mydestination =\n"
        "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
        "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
        "\n"
    )
    assert parse_show_output(out) == {
        "relayhost": "[smtp.sendgrid.net]:587",
        "mydestination": "",
        "smtpd_banner": "$myhostname ESMTP $mail_name (Debian/GNU)",
        "mynetworks": "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
    }


def test_parse_show_output_value_with_equals():
    assert parse_show_output("smtp_tls_mandatory_protocols = >=TLSv1.2\n") == {
        "smtp_tls_mandatory_protocols": ">=TLSv1.2"
    }
    assert parse_show_output("a = b = c\n") == {"a": "b = c"}


def test_parse_show_output_refuses_garbage():
    # e.g. what "postconf -h" would print: values without names cannot be mapped back
    with pytest.raises(PostconfError, match="cannot parse"):
        parse_show_output("[smtp.sendgrid.net]:587\n")


def test_parse_unknown_parameters():
    err = (
        "postconf: warning: relay_hots: unknown parameter\n"
        "postconf: warning: /etc/postfix/main.cf: unused parameter: foo=bar\n"
        "postconf: warning: smtp_tls_securty_level: unknown parameter\n"
    )
    assert parse_unknown_parameters(err) == ["relay_hots", "smtp_tls_securty_level"]
    assert parse_unknown_parameters("") == []
    assert parse_unknown_parameters(None) == []


def test_parse_main_cf():
    text = (
        "# comment\n"
        "smtpd_banner = $myhostname ESMTP\n"
        "\n"
        "mynetworks = 127.0.0.0/8\n"
        "    [::1]/128\n"
        "  # indented comment is ignored\n"
        "\t192.0.2.0/24\n"
        "relayhost =\n"
        "relayhost = [smtp.example.com]:587\n"
        "my_custom=value\n"
        "garbage line without equals\n"
    )
    parsed = parse_main_cf(text)
    assert parsed == OrderedDict(
        [
            ("smtpd_banner", "$myhostname ESMTP"),
            ("mynetworks", "127.0.0.0/8 [::1]/128 192.0.2.0/24"),
            ("relayhost", "[smtp.example.com]:587"),
            ("my_custom", "value"),
        ]
    )


# --- change computation and diff -------------------------------------------------------------


def test_compute_changes():
    desired = OrderedDict(
        [
            ("relayhost", "[smtp.sendgrid.net]:587"),
            ("smtp_tls_security_level", "encrypt"),
            ("mydestination", ""),
            ("smtpd_banner", "$myhostname ESMTP"),
        ]
    )
    current = {"relayhost": "", "smtp_tls_security_level": "encrypt", "smtpd_banner": "$myhostname   ESMTP"}
    changes, removals = compute_changes(
        desired, current, {"smtp_tls_wrappermode": "yes"}, ["smtp_tls_wrappermode", "not_set_anywhere"]
    )
    assert changes == [("relayhost", "[smtp.sendgrid.net]:587")]
    assert removals == ["smtp_tls_wrappermode"]


def test_compute_changes_keeps_list_order_significant():
    changes, dummy = compute_changes(
        {"mynetworks": "10.0.0.0/8, 127.0.0.0/8"}, {"mynetworks": "127.0.0.0/8, 10.0.0.0/8"}, {}, []
    )
    assert changes == [("mynetworks", "10.0.0.0/8, 127.0.0.0/8")]


def test_build_diff():
    diff = build_diff(
        [("relayhost", "[smtp.sendgrid.net]:587"), ("brand_new", "x")],
        ["smtp_tls_wrappermode"],
        {"relayhost": "", "smtp_tls_wrappermode": "yes"},
        "/etc/postfix",
    )
    assert diff == {
        "before": "relayhost = \nsmtp_tls_wrappermode = yes\n",
        "after": "relayhost = [smtp.sendgrid.net]:587\nbrand_new = x\n",
        "before_header": "/etc/postfix/main.cf",
        "after_header": "/etc/postfix/main.cf",
    }


def test_build_diff_no_changes():
    diff = build_diff([], [], {}, "/etc/postfix")
    assert (diff["before"], diff["after"]) == ("", "")


# --- against the real postconf, when Postfix is installed -------------------------------------


def _run(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, env=dict(os.environ, LANG="C", LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr


def test_apply_against_real_postconf(tmp_path, postfix_bin):
    # Debian's postconf, unpacked by scripts/postfix-binaries.sh (fixture in tests/unit/conftest.py).
    real_postconf = postfix_bin.postconf
    config_dir = str(tmp_path)
    with open(os.path.join(config_dir, "main.cf"), "w") as handle:
        handle.write("# test\ncompatibility_level = 3.6\nsmtp_tls_wrappermode = yes\nmy_unused = 1\n")
    then = time.time() - 2  # written whole: Postfix need not wait for it to settle
    os.utime(os.path.join(config_dir, "main.cf"), (then, then))
    if os.path.exists("/etc/postfix/master.cf"):
        shutil.copy("/etc/postfix/master.cf", os.path.join(config_dir, "master.cf"))
    else:
        open(os.path.join(config_dir, "master.cf"), "w").close()

    params = {
        "relayhost": "[smtp.sendgrid.net]:587",
        "smtp_sasl_auth_enable": True,
        "smtp_tls_security_level": "encrypt",
        "mynetworks": ["127.0.0.0/8", "[::1]/128"],
        "relay_hots": "typo",
    }
    # Check mode: nothing written.
    result = apply(
        _run, real_postconf, config_dir, params, ["smtp_tls_wrappermode", "my_unused", "never_set"], check_mode=True
    )
    assert result["changed"] is True
    assert set(result["changed_parameters"]) == {
        "relayhost",
        "smtp_sasl_auth_enable",
        "smtp_tls_security_level",
        "mynetworks",
        "relay_hots",
    }
    assert result["removed_parameters"] == ["smtp_tls_wrappermode", "my_unused"]
    assert any("relay_hots" in warning for warning in result["warnings"])
    with open(os.path.join(config_dir, "main.cf")) as handle:
        assert "relayhost" not in handle.read()

    # Real run.
    result = apply(_run, real_postconf, config_dir, params, ["smtp_tls_wrappermode", "my_unused", "never_set"])
    assert result["changed"] is True
    with open(os.path.join(config_dir, "main.cf")) as handle:
        written = parse_main_cf(handle.read())
    assert written["relayhost"] == "[smtp.sendgrid.net]:587"
    assert written["smtp_sasl_auth_enable"] == "yes"
    assert written["mynetworks"] == "127.0.0.0/8, [::1]/128"
    assert written["relay_hots"] == "typo"
    assert "smtp_tls_wrappermode" not in written
    assert "my_unused" not in written
    assert os.stat(os.path.join(config_dir, "main.cf")).st_mtime <= time.time() - SETTLE_SECONDS

    # Idempotent, including the parameter postconf does not know.
    result = apply(_run, real_postconf, config_dir, params, ["smtp_tls_wrappermode", "my_unused", "never_set"])
    assert result["changed"] is False, result
    assert result["changed_parameters"] == []
    assert result["removed_parameters"] == []


def test_apply_fails_cleanly_without_postconf(tmp_path):
    missing = str(tmp_path / "no-such-postconf")

    def run(args):
        try:
            return _run(args)
        except OSError as exc:
            return 127, "", str(exc)

    with pytest.raises(PostconfError, match="failed"):
        apply(run, missing, str(tmp_path), {"relayhost": "x"})


def test_apply_nothing_to_do_reads_nothing(tmp_path):
    def run(args):
        raise AssertionError("no command expected, got %r" % (args,))

    result = apply(run, REAL_POSTCONF, str(tmp_path), {}, None)
    assert result["changed"] is False
    assert result["values"] == {}


# --- line breaks: postconf and Postfix end a line at \n only (issue 12 item 5) ------------------

# What str.splitlines() also breaks at; none of them ends a line for Postfix.
NOT_LINE_ENDS = ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_LINE_ENDS, ids=[repr(c) for c in NOT_LINE_ENDS])
def test_parse_show_output_keeps_a_value_with_a_unicode_separator(char):
    out = "smtpd_banner = a%sb\nrelayhost = [r]:587\n" % char
    assert parse_show_output(out) == {"smtpd_banner": "a%sb" % char, "relayhost": "[r]:587"}


@pytest.mark.parametrize("char", NOT_LINE_ENDS, ids=[repr(c) for c in NOT_LINE_ENDS])
def test_parse_main_cf_keeps_a_value_with_a_unicode_separator(char):
    parsed = parse_main_cf("smtpd_banner = a%sb\nrelayhost = [r]:587\n" % char)
    assert parsed == OrderedDict([("smtpd_banner", "a%sb" % char), ("relayhost", "[r]:587")])


def test_parse_main_cf_trims_only_what_postfix_trims():
    assert parse_main_cf("a = \u2028x \t\r\n")["a"] == "\u2028x"
    assert parse_main_cf("\x1c = 1\n") == OrderedDict([("\x1c", "1")])


@pytest.mark.parametrize("char", NOT_LINE_ENDS + ["\x7f", "\x9f", "\x1f"], ids=repr)
def test_format_value_refuses_separators_and_control_characters(char):
    with pytest.raises(PostconfError, match="parameter 'smtpd_banner': value contains a control character"):
        format_value("a%sb" % char, "smtpd_banner")


def test_format_value_keeps_other_non_ascii():
    assert format_value("caf\xe9 \xa0 \u2027", "x") == "caf\xe9 \xa0 \u2027"


def test_a_host_with_a_separator_in_main_cf_still_converges(tmp_path):
    """A \\u2028 that got into main.cf (by hand, or by an older version) does not break the
    next runs: they read it, report it and replace it."""
    banner = "$myhostname\u2028ESMTP"
    (tmp_path / "main.cf").write_text("smtpd_banner = %s\n" % banner, encoding="utf-8")
    calls = []

    def run(args):
        calls.append(args)
        if "-e" in args:
            return 0, "", ""
        return 0, "smtpd_banner = %s\nrelayhost =\n" % banner, ""

    result = apply(run, "postconf", str(tmp_path), {"smtpd_banner": "$myhostname ESMTP", "relayhost": ""})
    assert result["changed_parameters"] == ["smtpd_banner"]
    assert result["diff"]["before"] == "smtpd_banner = %s\n" % banner
    assert calls[-1] == ["postconf", "-c", str(tmp_path), "-e", "smtpd_banner=$myhostname ESMTP"]
    assert (
        apply(run, "postconf", str(tmp_path), {"smtpd_banner": banner.replace("\u2028", " ")}, check_mode=True)[
            "changed"
        ]
        is True
    )


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover - hypothesis is in requirements-test.txt
    given = None

if given is not None:
    NAMES = st.from_regex(r"[A-Za-z0-9_]{1,30}", fullmatch=True)
    VALUES = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(NAMES, VALUES), max_size=6, unique_by=lambda pair: pair[0]))
    def test_parse_show_output_property(pairs):
        """Any value without \\n survives: one name = value line each, nothing split elsewhere."""
        out = "".join("%s = %s\n" % pair for pair in pairs)
        assert parse_show_output(out) == dict((name, normalize_value(value)) for name, value in pairs)

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=80))
    def test_parse_show_output_raises_only_its_error(text):
        try:
            parse_show_output(text)
        except PostconfError:
            pass


# --- master.cf block and the staged check (issue 12 item 7) ---------------------------------------

from ansible_collections.egress.mail.plugins.module_utils.postconf import set_block  # noqa: E402

MARKER = "# {mark} egress.mail postfix_relay transports"
BLOCK = "egress_smtps unix  -       -       n       -       -       smtp\n  -o smtp_tls_wrappermode=yes\n"
MASTER = "smtp      inet  n       -       y       -       -       smtpd\npickup    unix  n       -       y       60      1       pickup\n"
WITH_BLOCK = (
    MASTER + "# BEGIN egress.mail postfix_relay transports\n" + BLOCK + "# END egress.mail postfix_relay transports\n"
)


@pytest.mark.parametrize(
    "text, block, expected",
    [
        (MASTER, BLOCK, WITH_BLOCK),
        (MASTER, BLOCK.rstrip("\n"), WITH_BLOCK),  # a final newline or not: the same
        (MASTER.rstrip("\n"), BLOCK, WITH_BLOCK),  # the last line gets its newline
        (WITH_BLOCK, BLOCK, WITH_BLOCK),  # converged: unchanged
        (
            WITH_BLOCK,
            "x unix - - n - - smtp\n",
            MASTER + "# BEGIN egress.mail postfix_relay transports\nx unix - - n - - smtp\n"
            "# END egress.mail postfix_relay transports\n",
        ),
        (
            WITH_BLOCK + "after unix - - n - - smtp\n",
            "y\n",
            MASTER + "# BEGIN egress.mail postfix_relay transports\ny\n# END egress.mail postfix_relay transports\n"
            "after unix - - n - - smtp\n",
        ),  # replaced where it is
        (WITH_BLOCK, "", MASTER),  # an empty block removes it
        (MASTER, "", MASTER),
        ("", BLOCK, WITH_BLOCK[len(MASTER) :]),
        (
            "# END egress.mail postfix_relay transports\nold\n# BEGIN egress.mail postfix_relay transports\n",
            "new\n",
            "# BEGIN egress.mail postfix_relay transports\nnew\n# END egress.mail postfix_relay transports\n",
        ),
        (
            MASTER + "# BEGIN egress.mail postfix_relay transports\n",
            "a\n",  # an unpaired marker: appended
            MASTER + "# BEGIN egress.mail postfix_relay transports\n# BEGIN egress.mail postfix_relay transports\na\n"
            "# END egress.mail postfix_relay transports\n",
        ),
    ],
)
def test_set_block(text, block, expected):
    assert set_block(text, block, MARKER) == expected


def test_set_block_splits_on_newline_only():
    block = "a\u2028b\x0bc\n"
    assert set_block("", block, MARKER).split("\n")[1] == "a\u2028b\x0bc"


def test_set_block_default_marker():
    assert set_block("", "x") == "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n"


class FakePostfix(object):
    """postconf -c DIR [-e|-X|-M] and postfix -c DIR check, on the files of DIR.

    `postfix check` refuses a ``*_limit`` that is not a number (Postfix: "bad numerical
    configuration"); `postconf -M` refuses a master.cf entry with fewer than 8 fields."""

    def __init__(self):
        self.calls = []
        self.stages = []
        self.seen_in_stage = []
        self.ages = []

    def __call__(self, args):
        self.calls.append(args)
        if args[1] != "-c":  # both programs take the configuration directory only as -c DIR
            return 1, "", "%s: invalid option -- '%s'\n" % (os.path.basename(args[0]), args[1])
        prog, config_dir, rest = os.path.basename(args[0]), args[2], args[3:]
        if config_dir not in self.stages and os.path.basename(config_dir).startswith("egress-postfix-stage-"):
            self.stages.append(config_dir)
            self.seen_in_stage.append(sorted(os.listdir(config_dir)))
        main_cf = os.path.join(config_dir, "main.cf")
        with open(main_cf) as handle:
            current = parse_main_cf(handle.read())
        if rest[:1] not in (["-e"], ["-X"]):  # a reader: how old main.cf is (Postfix waits below 1 s)
            self.ages.append((os.path.basename(config_dir), rest[:1], time.time() - os.stat(main_cf).st_mtime))
        if prog == "postfix":
            for name, value in current.items():
                if name.endswith("_limit") and not value.isdigit():
                    return 1, "", "postfix: fatal: bad numerical configuration: %s = %s\n" % (name, value)
            return 0, "", ""
        if rest[:1] == ["-M"]:
            with open(os.path.join(config_dir, "master.cf")) as handle:
                for number, line in enumerate(handle.read().split("\n"), 1):
                    if line and line[0] not in "# \t" and len(line.split()) < 8:
                        return (
                            1,
                            "",
                            "postconf: fatal: file %s/master.cf: line %d: bad field count\n" % (config_dir, number),
                        )
            return 0, "", ""
        if rest[:1] in (["-e"], ["-X"]):
            for item in rest[1:]:
                name = item.split("=", 1)[0]
                current.pop(name, None)
                if rest[0] == "-e":
                    current[name] = item.split("=", 1)[1]
            with open(main_cf, "w") as handle:
                handle.write("".join("%s = %s\n" % pair for pair in current.items()))
            return 0, "", ""
        return 0, "".join("%s = %s\n" % (name, current.get(name, "")) for name in rest), ""


@pytest.fixture
def live(tmp_path):
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("relayhost =\ndefault_process_limit = 100\n")
    (config / "master.cf").write_text(MASTER)
    os.chmod(str(config / "master.cf"), 0o640)
    (config / "sasl_passwd").write_text("x\n")
    (config / "sasl").mkdir()
    (config / "sasl" / "smtpd.conf").write_text("x\n")
    os.symlink("main.cf", str(config / "link.cf"))
    return config


def snapshot(directory):
    result = {}
    for root, dirs, files in os.walk(str(directory)):
        for name in files + dirs:
            path = os.path.join(root, name)
            info = os.lstat(path)
            data = (
                os.readlink(path)
                if os.path.islink(path)
                else (open(path, "rb").read() if os.path.isfile(path) else None)
            )
            result[os.path.relpath(path, str(directory))] = (info.st_mode, info.st_uid, info.st_gid, data)
    return result


def staged_apply(live, fake, parameters, **kwargs):
    kwargs.setdefault("master_cf_block", BLOCK)
    return apply(
        fake,
        "/usr/sbin/postconf",
        str(live),
        parameters,
        master_cf_marker=MARKER,
        stage=True,
        postfix="/usr/sbin/postfix",
        **kwargs,
    )


def test_staged_change_is_checked_then_made_live(live):
    fake = FakePostfix()
    result = staged_apply(live, fake, {"relayhost": "[r]:587"})
    assert result["changed"] is True and result["staged"] is True and result["master_cf_changed"] is True
    [stage] = fake.stages
    assert [(os.path.basename(c[0]), c[2] == stage, c[3:]) for c in fake.calls] == [
        ("postconf", False, ["relayhost"]),
        ("postconf", True, ["-e", "relayhost=[r]:587"]),
        ("postconf", True, ["-M"]),
        ("postfix", True, ["check"]),
        ("postconf", False, ["-e", "relayhost=[r]:587"]),
    ]
    assert fake.seen_in_stage == [["link.cf", "main.cf", "master.cf", "sasl", "sasl_passwd"]]
    assert not os.path.exists(stage)
    assert (live / "master.cf").read_text() == WITH_BLOCK
    assert stat.S_IMODE(os.stat(str(live / "master.cf")).st_mode) == 0o640
    assert parse_main_cf((live / "main.cf").read_text())["relayhost"] == "[r]:587"
    main_diff, master_diff = result["diff"]
    assert main_diff["after"] == "relayhost = [r]:587\n"
    assert (master_diff["before"], master_diff["after"]) == (MASTER, WITH_BLOCK)
    assert master_diff["after_header"] == str(live / "master.cf")


@pytest.mark.parametrize(
    "parameters, master_extra, fragment",
    [
        (
            {"default_process_limit": "abc"},
            "",
            "postfix check (on a staged copy) failed: postfix: fatal: bad numerical configuration: "
            "default_process_limit = abc",
        ),
        (
            {"relayhost": "[r]:587"},
            "broken unix -\n",
            "postconf -M (on a staged copy) failed: postconf: fatal: file LIVE/master.cf: line 6: bad field count",
        ),
    ],
    ids=["main.cf refused by postfix check", "master.cf refused by postconf -M"],
)
def test_refused_configuration_never_becomes_live(live, parameters, master_extra, fragment):
    before = snapshot(live)
    fake = FakePostfix()
    with pytest.raises(PostconfError) as excinfo:
        staged_apply(live, fake, parameters, master_cf_block=BLOCK + master_extra)
    message = str(excinfo.value)
    assert message.startswith("the new configuration was refused and nothing in %s was changed: " % live)
    assert message.endswith(fragment.replace("LIVE", str(live)))  # the stage's path reads as the live one
    assert snapshot(live) == before
    assert not os.path.exists(fake.stages[0])
    assert all(call[2] != str(live) for call in fake.calls[1:])  # only the first read touched the live dir
    # The next run tries again (and fails again): nothing was recorded as done.
    with pytest.raises(PostconfError):
        staged_apply(live, FakePostfix(), parameters, master_cf_block=BLOCK + master_extra)
    assert snapshot(live) == before


def test_a_failing_edit_on_the_stage_changes_nothing_live(live):
    before = snapshot(live)

    def run(args):
        if "-e" in args:
            return 1, "", "postconf: fatal: cannot write"
        return FakePostfix()(args)

    with pytest.raises(PostconfError, match="failed"):
        staged_apply(live, run, {"relayhost": "[r]:587"})
    assert snapshot(live) == before


def test_every_read_after_an_edit_finds_main_cf_settled(live):
    # Postfix reads a main.cf younger than 1 s again every 300 ms (up to 2 s a call): after each
    # edit, on the stage and live, main.cf is dated SETTLE_SECONDS back.
    fake = FakePostfix()
    staged_apply(live, fake, {"relayhost": "[relay.example]:587"}, absent=["default_process_limit"])
    stage_reads = [age for where, what, age in fake.ages if where.startswith("egress-postfix-stage-")]
    assert len(stage_reads) == 2  # postconf -M, postfix check
    assert all(SETTLE_SECONDS <= age < SETTLE_SECONDS + 1 for age in stage_reads), fake.ages
    age = time.time() - os.stat(str(live / "main.cf")).st_mtime
    assert SETTLE_SECONDS <= age < SETTLE_SECONDS + 1
    assert "relayhost = [relay.example]:587" in (live / "main.cf").read_text()


def test_settle_dates_main_cf_back_and_ignores_a_missing_one(tmp_path):
    (tmp_path / "main.cf").write_text("relayhost =\n")
    settle(str(tmp_path), now=1000.5)
    info = os.stat(str(tmp_path / "main.cf"))
    assert (info.st_mtime, info.st_atime) == (998.5, 998.5)
    settle(str(tmp_path / "missing"), now=1000.5)  # no error: the next reader reports it
    before = time.time()
    settle(str(tmp_path))
    assert before - SETTLE_SECONDS <= os.stat(str(tmp_path / "main.cf")).st_mtime <= time.time() - SETTLE_SECONDS


def test_converged_host_runs_no_staged_check(live):
    staged_apply(live, FakePostfix(), {"relayhost": "[r]:587"})
    fake = FakePostfix()
    result = staged_apply(live, fake, {"relayhost": "[r]:587"})
    assert result["changed"] is False and result["staged"] is False and result["master_cf_changed"] is False
    assert [c[3:] for c in fake.calls] == [["relayhost"]] and fake.stages == []


def test_master_cf_alone_is_staged_too(live):
    staged_apply(live, FakePostfix(), {"relayhost": "[r]:587"})
    fake = FakePostfix()
    result = staged_apply(live, fake, {"relayhost": "[r]:587"}, master_cf_block="x unix - - n - - smtp\n")
    assert result["changed"] is True and result["staged"] is True and result["changed_parameters"] == []
    assert [c[3:] for c in fake.calls[1:]] == [["-M"], ["check"]]
    assert "x unix - - n - - smtp\n" in (live / "master.cf").read_text()


def test_check_mode_stages_nothing_and_changes_nothing(live):
    before = snapshot(live)
    fake = FakePostfix()
    result = staged_apply(live, fake, {"relayhost": "[r]:587"}, check_mode=True)
    assert result["changed"] is True and result["staged"] is False and result["master_cf_changed"] is True
    assert fake.stages == [] and len(fake.calls) == 1
    assert snapshot(live) == before


def test_without_stage_nothing_is_checked(live):
    fake = FakePostfix()
    result = apply(fake, "postconf", str(live), {"relayhost": "[r]:587"})
    assert result["staged"] is False and isinstance(result["diff"], dict) and fake.stages == []
    assert (live / "master.cf").read_text() == MASTER  # master.cf is not managed without a block


def test_removals_are_staged(live):
    fake = FakePostfix()
    result = staged_apply(live, fake, {}, absent=["default_process_limit"], master_cf_block=None)
    assert result["removed_parameters"] == ["default_process_limit"] and result["staged"] is True
    assert [c[3:] for c in fake.calls[1:]] == [
        ["-X", "default_process_limit"],
        ["-M"],
        ["check"],
        ["-X", "default_process_limit"],
    ]


def test_a_missing_master_cf_is_created(tmp_path):
    (tmp_path / "main.cf").write_text("")
    result = apply(FakePostfix(), "postconf", str(tmp_path), None, master_cf_block="x\n", master_cf_marker=MARKER)
    assert result["master_cf_changed"] is True
    assert (tmp_path / "master.cf").read_text().split("\n")[1] == "x"
    assert stat.S_IMODE(os.stat(str(tmp_path / "master.cf")).st_mode) == 0o644


def test_a_stage_that_cannot_be_copied_is_an_error_and_removed(live, monkeypatch):
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(**kwargs):
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    def refuse(*args, **kwargs):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(shutil, "copy2", refuse)
    before = snapshot(live)
    with pytest.raises(PostconfError, match="cannot copy %s to a staging directory" % live):
        staged_apply(live, FakePostfix(), {"relayhost": "[r]:587"})
    assert snapshot(live) == before and not os.path.exists(made[0])
    assert stat.S_IMODE(os.stat(os.path.dirname(made[0])).st_mode) & 0o7 in (0o7, 0o5, 0o0)


class QuietPostfix(FakePostfix):
    """Like Postfix when stderr is not a terminal: the reason goes to the system log only."""

    def __init__(self, journal):
        super(QuietPostfix, self).__init__()
        self.journal = list(journal)
        self.log_calls = []

    def __call__(self, args):
        if args[0] == "journalctl":
            self.log_calls.append(args)
            return 0, self.journal.pop(0) if self.journal else "", ""
        rc, out, err = super(QuietPostfix, self).__call__(args)
        return rc, out, "" if rc else err


def test_the_reason_is_read_from_the_journal_when_postfix_says_nothing(live):
    stage_line = []

    class Recording(QuietPostfix):
        def __call__(self, args):
            if args[0] == "journalctl" and self.stages:
                stage_line.append(self.stages[0])
                self.journal = [
                    "postfix[1]: fatal: %s/main.cf: invalid line_length_limit parameter value 0 < 512\n"
                    % self.stages[0]
                ]
            return super(Recording, self).__call__(args)

    fake = Recording([])
    with pytest.raises(PostconfError) as excinfo:
        staged_apply(live, fake, {"line_length_limit": "abc"}, log_command=["journalctl", "-t", "postfix"])
    assert str(excinfo.value).endswith(
        "postfix check (on a staged copy) failed: postfix[1]: fatal: %s/main.cf: invalid line_length_limit "
        "parameter value 0 < 512" % live
    )
    [call] = fake.log_calls
    assert call[:3] == ["journalctl", "-t", "postfix"] and call[3] == "--since" and call[4].startswith("@")


def test_the_journal_is_asked_again_until_the_line_is_there(live):
    fake = QuietPostfix(["", "", "postfix[1]: fatal: bad\n"])
    with pytest.raises(PostconfError, match=r"failed: postfix\[1\]: fatal: bad$"):
        staged_apply(live, fake, {"default_process_limit": "abc"}, log_command=["journalctl"])
    assert len(fake.log_calls) == 3


def test_an_empty_journal_says_so(live, monkeypatch):
    clock = iter(range(0, 1000, 1))
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    fake = QuietPostfix([])
    with pytest.raises(PostconfError, match=r"failed: \(nothing in the mail log\)$"):
        staged_apply(live, fake, {"default_process_limit": "abc"}, log_command=["journalctl"])
    assert len(fake.log_calls) == 2


def test_without_a_journal_the_message_says_where_the_reason_is(live):
    with pytest.raises(PostconfError, match=r"failed: \(Postfix wrote the reason to the mail log only\)$"):
        staged_apply(live, QuietPostfix([]), {"default_process_limit": "abc"})


# --- apply() end to end on FakePostfix (what the real-postconf test does where Postfix is missing) --


class TypoPostfix(FakePostfix):
    """Knows every parameter but ``relay_hots`` and ``my_unused``: no output line for those,
    a warning on stderr, exit 0 (postconf_main.c)."""

    UNKNOWN = ("relay_hots", "my_unused")

    def __call__(self, args):
        rc, out, err = super(TypoPostfix, self).__call__(args)
        names = args[3:]
        if names and not names[0].startswith("-"):
            out = "".join(line + "\n" for line in out.split("\n") if line and line.split(" =")[0] not in self.UNKNOWN)
            err = "".join("postconf: warning: %s: unknown parameter\n" % n for n in names if n in self.UNKNOWN)
        return rc, out, err


def test_apply_end_to_end(tmp_path):
    (tmp_path / "main.cf").write_text("compatibility_level = 3.6\nsmtp_tls_wrappermode = yes\nmy_unused = 1\n")
    (tmp_path / "master.cf").write_text(MASTER)
    params = OrderedDict(
        [
            ("relayhost", "[smtp.sendgrid.net]:587"),
            ("smtp_sasl_auth_enable", True),
            ("mynetworks", ["127.0.0.0/8", "[::1]/128"]),
            ("relay_hots", "typo"),
        ]
    )
    absent = ["smtp_tls_wrappermode", "my_unused", "never_set"]
    fake = TypoPostfix()
    result = apply(fake, "postconf", str(tmp_path), params, absent, check_mode=True)
    assert result == {
        "changed": True,
        "changed_parameters": ["relayhost", "smtp_sasl_auth_enable", "mynetworks", "relay_hots"],
        "removed_parameters": ["smtp_tls_wrappermode", "my_unused"],
        "master_cf_changed": False,
        "staged": False,
        "backups": [],
        "values": {
            "relayhost": "[smtp.sendgrid.net]:587",
            "smtp_sasl_auth_enable": "yes",
            "mynetworks": "127.0.0.0/8, [::1]/128",
            "relay_hots": "typo",
        },
        "diff": {
            "before": "relayhost = \nsmtp_sasl_auth_enable = \nmynetworks = \n"
            "smtp_tls_wrappermode = yes\nmy_unused = 1\n",
            "after": "relayhost = [smtp.sendgrid.net]:587\nsmtp_sasl_auth_enable = yes\n"
            "mynetworks = 127.0.0.0/8, [::1]/128\nrelay_hots = typo\n",
            "before_header": str(tmp_path / "main.cf"),
            "after_header": str(tmp_path / "main.cf"),
        },
        "warnings": ["postconf does not know the parameter 'relay_hots' (typo, or a parameter of a newer Postfix?)"],
    }
    assert len(fake.calls) == 1 and "relayhost" not in (tmp_path / "main.cf").read_text()

    result = apply(fake, "postconf", str(tmp_path), params, absent)  # check_mode defaults to False
    assert result["changed"] is True and result["staged"] is False
    written = parse_main_cf((tmp_path / "main.cf").read_text())
    assert written == OrderedDict(
        [
            ("compatibility_level", "3.6"),
            ("relayhost", "[smtp.sendgrid.net]:587"),
            ("smtp_sasl_auth_enable", "yes"),
            ("mynetworks", "127.0.0.0/8, [::1]/128"),
            ("relay_hots", "typo"),
        ]
    )
    assert [c[3:4] for c in fake.calls[1:]] == [["relayhost"], ["-e"], ["-X"]]

    result = apply(fake, "postconf", str(tmp_path), params, absent)
    assert (result["changed"], result["changed_parameters"], result["removed_parameters"]) == (False, [], [])
    assert result["warnings"] == [
        "postconf does not know the parameter 'relay_hots' (typo, or a parameter of a newer Postfix?)"
    ]


def test_apply_only_removals_is_a_change(tmp_path):
    (tmp_path / "main.cf").write_text("smtp_tls_wrappermode = yes\n")
    result = apply(FakePostfix(), "postconf", str(tmp_path), None, ["smtp_tls_wrappermode"])
    assert result["changed"] is True and result["changed_parameters"] == []
    assert result["diff"]["before"] == "smtp_tls_wrappermode = yes\n"
    assert parse_main_cf((tmp_path / "main.cf").read_text()) == OrderedDict()


def test_apply_an_unknown_parameter_not_in_main_cf_counts_as_empty(tmp_path):
    (tmp_path / "main.cf").write_text("")
    result = apply(TypoPostfix(), "postconf", str(tmp_path), {"relay_hots": ""}, ["my_unused"], check_mode=True)
    assert result["changed"] is False and result["warnings"] == [
        "postconf does not know the parameter 'relay_hots' (typo, or a parameter of a newer Postfix?)"
    ]


def test_apply_a_main_cf_that_cannot_be_read(tmp_path):
    with pytest.raises(PostconfError) as excinfo:
        apply(lambda args: (0, "relayhost = x\n", ""), "postconf", str(tmp_path), {"relayhost": "x"})
    assert str(excinfo.value).startswith("cannot read %s: " % (tmp_path / "main.cf"))


@pytest.mark.parametrize(
    "rc, out, err, detail",
    [
        (2, " o \n", "", "o"),
        (1, "o", " e \n", "e"),
        (1, None, None, ""),
        (-9, "", "", ""),
    ],
)
def test_a_failing_command_is_reported_with_its_rc_and_output(tmp_path, rc, out, err, detail):
    with pytest.raises(PostconfError) as excinfo:
        apply(lambda args: (rc, out, err), "/usr/sbin/postconf", str(tmp_path), {"relayhost": "x"})
    assert str(excinfo.value) == ("/usr/sbin/postconf -c %s relayhost failed (rc=%s): %s" % (tmp_path, rc, detail))


def test_an_edit_gets_none_output_right(tmp_path):
    (tmp_path / "main.cf").write_text("")
    calls = []

    def run(args):
        calls.append(args)
        return 0, None, None

    result = apply(run, "postconf", str(tmp_path), {"relayhost": "x"})
    assert result["changed_parameters"] == ["relayhost"] and calls[-1][3:] == ["-e", "relayhost=x"]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: validate_name("a-b"),
            "invalid parameter name 'a-b': main.cf parameter names consist of a-z, 0-9 and _ "
            "(master.cf service parameters are not supported)",
        ),
        (
            lambda: validate_name("a b", "name in absent"),
            "invalid name in absent 'a b': main.cf parameter names consist "
            "of a-z, 0-9 and _ (master.cf service parameters are not supported)",
        ),
        (
            lambda: format_value(None, "p"),
            "parameter 'p': value is null; use '' for an empty value, or list the parameter in absent to remove it",
        ),
        (
            lambda: format_value(1.5, "p"),
            "parameter 'p': unsupported value type float (use a string, integer, boolean or list)",
        ),
        (lambda: format_value([["x"]], "p"), "parameter 'p': list items must be scalars"),
        (lambda: format_value([{"x": 1}], "p"), "parameter 'p': list items must be scalars"),
        (lambda: format_value(("a", ("b",)), "p"), "parameter 'p': list items must be scalars"),
        (lambda: format_value("a\rb", "p"), "parameter 'p': value contains a newline"),
        (lambda: format_value("a\x7fb", "p"), "parameter 'p': value contains a control character or a line separator"),
        (lambda: prepare({"p": 1}, ["p"]), "parameter 'p' is both in parameters and in absent"),
        (lambda: parse_show_output("x\n"), "cannot parse postconf output line 'x'"),
    ],
)
def test_exact_messages(call, message):
    with pytest.raises(PostconfError) as excinfo:
        call()
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a\tb", "a b"),
        ("\ta\t", "a"),
        ("caf\xe9", "caf\xe9"),
    ],
)
def test_format_value_keeps_tabs_as_space(text, expected):
    assert format_value(text, "p") == expected


@pytest.mark.parametrize("char", ["\x7f", "\x80", "\x9f", "\x00", "\x1f"], ids=repr)
def test_format_value_refuses_the_edges_of_the_control_ranges(char):
    with pytest.raises(PostconfError):
        format_value("a" + char, "p")


def test_format_value_accepts_the_characters_next_to_the_control_ranges():
    assert format_value(" ~\xa0\u2027\u202a", "p") == "~\xa0\u2027\u202a"


def test_parse_show_output_blank_lines_anywhere():
    assert parse_show_output("\na = 1\n\n  \nb = 2\n") == {"a": "1", "b": "2"}


def test_parse_main_cf_continuations_and_comments_anywhere():
    text = "a = 1\n# c\nb = 2\n\nc = 3\n  more\nXd = 4\n\t# indented comment\n  x\ne\n"
    assert parse_main_cf(text) == OrderedDict([("a", "1"), ("b", "2"), ("c", "3 more"), ("Xd", "4 x")])


def test_parse_unknown_parameters_of_a_pipe_only_output():
    assert parse_unknown_parameters("postconf: warning: a_b: unknown parameter") == ["a_b"]
    assert parse_unknown_parameters("warning: : unknown parameter") == []


def test_build_diff_of_a_removal_without_a_current_value():
    diff = build_diff([], ["gone"], {}, "/etc/postfix")
    assert diff["before"] == "gone = \n" and diff["after"] == ""


# --- Backups: a timestamped copy of main.cf / master.cf before they change, the newest N kept,
# never a file that holds a password (apply(backup_dir=...), backup()). ---
def _backup_apply(live, backups, parameters, keep=2, **kwargs):  # pylint: disable=redefined-outer-name
    kwargs.setdefault("master_cf_block", BLOCK)
    return apply(
        FakePostfix(),
        "/usr/sbin/postconf",
        str(live),
        parameters,
        master_cf_marker=MARKER,
        stage=True,
        postfix="/usr/sbin/postfix",
        backup_dir=str(backups),
        backup_keep=keep,
        **kwargs,
    )


def test_copies_before_a_change_and_keeps_the_newest(live, tmp_path):  # pylint: disable=redefined-outer-name
    backups = tmp_path / "backups"
    before = (live / "main.cf").read_text()
    result = _backup_apply(live, backups, {"relayhost": "[r1]:587"})
    assert sorted(os.path.basename(p) for p in result["backups"])[0].startswith("main.cf.")
    assert stat.S_IMODE(os.stat(str(backups)).st_mode) == 0o700
    [main_copy] = [p for p in result["backups"] if os.path.basename(p).startswith("main.cf.")]
    assert open(main_copy).read() == before
    assert stat.S_IMODE(os.stat(main_copy).st_mode) == 0o600
    assert len(result["backups"]) == 2  # master.cf got the block: copied too
    # No change, no copy.
    assert _backup_apply(live, backups, {"relayhost": "[r1]:587"})["backups"] == []
    for host in ("r2", "r3", "r4"):
        _backup_apply(live, backups, {"relayhost": "[%s]:587" % host})
    names = sorted(os.listdir(str(backups)))
    assert len([n for n in names if n.startswith("main.cf.")]) == 2
    assert len([n for n in names if n.startswith("master.cf.")]) == 1  # master.cf changed once
    newest = sorted(n for n in names if n.startswith("main.cf."))[-1]
    assert "relayhost = [r3]:587" in (backups / newest).read_text()
    assert not [n for n in names if "sasl" in n]


def test_check_mode_and_no_backup_dir_copy_nothing(live, tmp_path):  # pylint: disable=redefined-outer-name
    backups = tmp_path / "backups"
    assert _backup_apply(live, backups, {"relayhost": "[r1]:587"}, check_mode=True)["backups"] == []
    assert not backups.exists()
    result = apply(
        FakePostfix(),
        "/usr/sbin/postconf",
        str(live),
        {"relayhost": "[r1]:587"},
        stage=True,
        postfix="/usr/sbin/postfix",
    )
    assert result["backups"] == [] and not backups.exists()


@pytest.mark.parametrize(
    "line, secret",
    [
        ("smtp_sasl_password_maps = static:user:S3cret", True),
        ("  lmtp_sasl_password_maps = inline:{ [r]:587=u:pw }", True),
        ("smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd", False),
        ("# smtp_sasl_password_maps = static:user:S3cret", True),  # a comment holds it too
    ],
)
def test_a_main_cf_holding_a_password_is_never_copied(live, tmp_path, line, secret):  # pylint: disable=redefined-outer-name
    (live / "main.cf").write_text("relayhost =\n%s\n" % line)
    assert holds_password((live / "main.cf").read_text()) is secret
    backups = tmp_path / "backups"
    written, skipped = backup(str(live), ["main.cf", "master.cf", "absent.cf"], str(backups), 3)
    assert skipped == (["main.cf"] if secret else [])
    expected = ["master.cf"] if secret else ["main.cf", "master.cf"]
    assert [os.path.basename(p).split(".2")[0] for p in written] == expected
    for path in written:
        assert "S3cret" not in open(path).read()


def test_keep_zero_keeps_no_copy_and_errors_are_postconf_errors(live, tmp_path):  # pylint: disable=redefined-outer-name
    backups = tmp_path / "backups"
    written, dummy = backup(str(live), ["main.cf"], str(backups), 0)
    assert os.listdir(str(backups)) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(PostconfError, match="cannot keep a copy"):
        backup(str(live), ["main.cf"], str(tmp_path / "file" / "sub"), 2)


# --- mutation testing (issue 21): cases the surviving mutants showed were not pinned ---------


def test_format_value_keeps_every_printable_ascii_character():
    printable = "".join(chr(code) for code in range(33, 127))
    assert format_value(printable, "x") == printable


def test_parse_main_cf_goes_on_after_a_line_without_equals_and_keeps_equals_in_values():
    text = "not a setting\nsmtpd_banner = a=b c=d\nrelayhost = [r.example]:587\n"
    assert parse_main_cf(text) == OrderedDict([("smtpd_banner", "a=b c=d"), ("relayhost", "[r.example]:587")])


def test_set_block_copies_the_block_verbatim_whatever_its_lines_hold():
    block = "aXX\nXXb\n  -o x=y\n"
    assert set_block("", block, MARKER) == (
        "# BEGIN egress.mail postfix_relay transports\n" + block + "# END egress.mail postfix_relay transports\n"
    )


def test_a_master_cf_that_is_not_utf8_keeps_its_bytes(tmp_path):
    (tmp_path / "main.cf").write_text("")
    (tmp_path / "master.cf").write_bytes(b"# caf\xe9\n")
    result = apply(FakePostfix(), "postconf", str(tmp_path), None, master_cf_block="x\n", master_cf_marker=MARKER)
    assert result["master_cf_changed"] is True
    assert (tmp_path / "master.cf").read_bytes() == (
        b"# caf\xe9\n# BEGIN egress.mail postfix_relay transports\nx\n# END egress.mail postfix_relay transports\n"
    )


def test_a_master_cf_that_cannot_be_read_is_named(tmp_path):
    (tmp_path / "main.cf").write_text("")
    (tmp_path / "master.cf").mkdir()
    with pytest.raises(PostconfError) as excinfo:
        apply(FakePostfix(), "postconf", str(tmp_path), None, master_cf_block="x\n", master_cf_marker=MARKER)
    path = str(tmp_path / "master.cf")
    assert str(excinfo.value) == "cannot read %s: [Errno 21] Is a directory: '%s'" % (path, path)


def test_a_new_master_cf_belongs_to_the_user_running_the_module(tmp_path):
    (tmp_path / "main.cf").write_text("")
    apply(FakePostfix(), "postconf", str(tmp_path), None, master_cf_block="x\n", master_cf_marker=MARKER)
    info = os.stat(str(tmp_path / "master.cf"))
    assert (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid())


def test_the_staged_copy_keeps_symlinks_as_symlinks(tmp_path):
    from ansible_collections.egress.mail.plugins.module_utils.postconf import _copy_config

    config, stage = tmp_path / "config", tmp_path / "stage"
    (config / "sasl").mkdir(parents=True)
    stage.mkdir()
    (config / "main.cf").write_text("")
    os.symlink("main.cf", str(config / "link.cf"))
    os.symlink("/nonexistent/passwd", str(config / "sasl" / "dangling"))
    _copy_config(str(config), str(stage))
    assert os.readlink(str(stage / "link.cf")) == "main.cf"
    assert os.readlink(str(stage / "sasl" / "dangling")) == "/nonexistent/passwd"


def test_a_master_cf_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    from ansible_collections.egress.mail.plugins.module_utils import postconf

    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(postconf.secret_file, "write", refuse)
    (tmp_path / "main.cf").write_text("")
    with pytest.raises(PostconfError) as excinfo:
        apply(FakePostfix(), "postconf", str(tmp_path), None, master_cf_block="x\n", master_cf_marker=MARKER)
    assert str(excinfo.value) == "cannot write %s: [Errno 28] No space left on device" % (tmp_path / "master.cf")


def test_the_last_five_journal_lines_are_joined_by_one_space():
    from ansible_collections.egress.mail.plugins.module_utils.postconf import _logged_reason

    journal = "".join("postfix: line %d in /tmp/stage\n" % n for n in range(1, 8))
    reason = _logged_reason(lambda args: (0, journal, ""), ["journalctl"], 0, "/tmp/stage", "/etc/postfix")
    assert reason == " ".join("postfix: line %d in /etc/postfix" % n for n in range(3, 8))


def test_a_stage_that_cannot_be_copied_names_the_entry(live):
    os.mkfifo(str(live / "a-pipe"))
    with pytest.raises(PostconfError) as excinfo:
        staged_apply(live, FakePostfix(), {"relayhost": "[r]:587"})
    assert str(excinfo.value) == "cannot copy %s to a staging directory: `%s/a-pipe` is a named pipe" % (live, live)


def test_the_staged_checks_are_postconf_m_and_postfix_check_on_the_stage(live):
    fake = FakePostfix()
    staged_apply(live, fake, {"relayhost": "[r]:587"})
    [stage] = fake.stages
    checks = [call for call in fake.calls if call[3:] in (["-M"], ["check"])]
    assert checks == [["/usr/sbin/postconf", "-c", stage, "-M"], ["/usr/sbin/postfix", "-c", stage, "check"]]


def test_the_reason_in_the_message_is_cut_at_2000_characters(live):
    class Verbose(FakePostfix):
        def __call__(self, args):
            rc, out, err = super(Verbose, self).__call__(args)
            return (1, "", "y" * 1999 + "z" + "w" * 1000) if args[3:] == ["check"] else (rc, out, err)

    with pytest.raises(PostconfError) as excinfo:
        staged_apply(live, Verbose(), {"relayhost": "[r]:587"})
    assert str(excinfo.value).endswith("postfix check (on a staged copy) failed: " + "y" * 1999 + "z")


def test_the_journal_is_read_from_one_second_before_the_check(live):
    fake = QuietPostfix(["postfix[1]: fatal: bad\n"])
    before = time.time()
    with pytest.raises(PostconfError):
        staged_apply(live, fake, {"default_process_limit": "abc"}, log_command=["journalctl"])
    after = time.time()
    [call] = fake.log_calls
    assert call[1] == "--since"
    assert int(before) - 1 <= int(call[2][1:]) <= int(after) - 1


def test_a_missing_name_does_not_stop_the_copies_of_the_next_ones(live, tmp_path):  # pylint: disable=redefined-outer-name
    written, skipped = backup(str(live), ["absent.cf", "main.cf", "master.cf"], str(tmp_path / "backups"), 3)
    assert [os.path.basename(p).split(".2")[0] for p in written] == ["main.cf", "master.cf"] and skipped == []


def test_a_backup_keeps_the_bytes_of_a_main_cf_that_is_not_utf8(live, tmp_path):  # pylint: disable=redefined-outer-name
    data = b"relayhost =\n# caf\xe9 in Latin-1\n"
    (live / "main.cf").write_bytes(data)
    [path], dummy = backup(str(live), ["main.cf"], str(tmp_path / "backups"), 3)
    assert open(path, "rb").read() == data


def test_backups_belong_to_the_user_running_the_module_and_pruning_touches_only_copies(live, tmp_path):  # pylint: disable=redefined-outer-name
    backups = tmp_path / "backups"
    backups.mkdir()
    for other in ("main.cf.keep-me", "master.cf.20260101T000000.000000Z", "notes"):
        (backups / other).write_text("x")
    first, dummy = backup(str(live), ["main.cf"], str(backups), 1, now=1767225600.25)
    second, dummy = backup(str(live), ["main.cf"], str(backups), 1, now=1767225601.5)
    assert sorted(os.listdir(str(backups))) == sorted(
        ["main.cf.keep-me", "master.cf.20260101T000000.000000Z", "notes", os.path.basename(second[0])]
    )
    info = os.stat(second[0])
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (os.getuid(), os.getgid(), 0o600)


def test_the_message_of_a_backup_that_cannot_be_kept_is_exact(live, tmp_path):  # pylint: disable=redefined-outer-name
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub"
    with pytest.raises(PostconfError) as excinfo:
        backup(str(live), ["main.cf"], str(target), 2)
    assert str(excinfo.value) == "cannot keep a copy of the configuration in %s: [Errno 20] Not a directory: '%s'" % (
        target,
        target,
    )


def test_apply_defaults_check_with_postfix_on_the_path_and_keep_five_copies(live, tmp_path):  # pylint: disable=redefined-outer-name
    backups = tmp_path / "backups"
    for n in range(7):
        fake = FakePostfix()
        apply(
            fake, "/usr/sbin/postconf", str(live), {"relayhost": "[r%d]:587" % n}, stage=True, backup_dir=str(backups)
        )
    assert [call[0] for call in fake.calls if call[3:] == ["check"]] == ["postfix"]
    assert len([n for n in os.listdir(str(backups)) if n.startswith("main.cf.")]) == 5


def test_apply_of_a_master_cf_block_alone_diffs_master_cf_with_its_headers(live):
    result = apply(FakePostfix(), "/usr/sbin/postconf", str(live), master_cf_block=BLOCK, master_cf_marker=MARKER)
    assert result["changed"] is True and result["changed_parameters"] == [] and result["master_cf_changed"] is True
    main_diff, master_diff = result["diff"]
    master = str(live / "master.cf")
    assert (master_diff["before_header"], master_diff["after_header"]) == (master, master)
    assert BLOCK in master_diff["after"] and BLOCK not in master_diff["before"]


def test_the_warning_for_a_main_cf_holding_a_password_is_exact(live, tmp_path):  # pylint: disable=redefined-outer-name
    (live / "main.cf").write_text("smtp_sasl_password_maps = static:user:S3cret\n")
    result = _backup_apply(live, tmp_path / "backups", {"relayhost": "[r]:587"}, master_cf_block=None)
    assert result["warnings"] == ["main.cf holds a password (inline SASL password map): no copy kept"]
