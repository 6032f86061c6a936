# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/settings_values.py (the values layer: text, booleans, shapes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.plugins.module_utils.settings_values import check_text, to_bool


def test_check_text_names_code_point_but_not_for_secrets():
    with pytest.raises(ValueError, match=r"^x: .*\(U\+000B\)"):
        check_text("a\vb", "x")
    with pytest.raises(ValueError) as exc:
        check_text("hunter2\vb", "x_password", secret=True)
    assert "U+" not in str(exc.value) and "hunter2" not in str(exc.value)


# --- mutation-testing kills: boundaries, every accepted spelling, exact messages ----------------
@pytest.mark.parametrize("value", [True, 1, "yes", "YES", " true ", "on", "1", "y", "True"])
def test_to_bool_true(value):
    assert to_bool(value, "x") is True


@pytest.mark.parametrize("value", [False, 0, None, "no", "false", "off", "0", "n", "", " No "])
def test_to_bool_false(value):
    assert to_bool(value, "x") is False


@pytest.mark.parametrize("value", [2, -1, "maybe", 1.0, [], {}, "yes!"])
def test_to_bool_refused_with_exact_message(value):
    with pytest.raises(ValueError) as exc:
        to_bool(value, "x_flag")
    assert str(exc.value) == "x_flag: must be a boolean (true or false), got %r" % (value,)


def test_every_line_break_python_knows_is_refused():
    breaks = [chr(c) for c in range(0x110000) if len(("a%sb" % chr(c)).splitlines()) > 1]
    assert len(breaks) == 10
    for ch in breaks:
        with pytest.raises(ValueError):
            check_text("a%sb" % ch, "x")


def test_check_text_exact_messages():
    def msg(value, secret=False, name="x"):
        with pytest.raises(ValueError) as exc:
            check_text(value, name, secret)
        return str(exc.value)

    assert msg("a\nb") == "x: contains a newline"
    assert msg("a\rb", True) == "x: contains a newline (check for a trailing line break from a file or vault)"
    assert msg("a\u2028b") == (
        "x: contains a control character or line separator (U+2028), refused in every "
        "value written to a configuration file"
    )
    assert msg("a\u2029b", True) == "x: contains a control character or line separator"
    assert check_text("a b", "x") == "a b"


# --- the shape helpers every settings module uses ----------------------------------------------
from ansible_collections.egress.mail.plugins.module_utils.settings_values import (  # noqa: E402
    check_entry,
    check_settings_dict,
    dict_keys,
    entry_list,
    is_unset,
)


@pytest.mark.parametrize("value", [None, "", "  ", "\t"])
def test_is_unset(value):
    assert is_unset(value)


@pytest.mark.parametrize("value", [0, False, "x", [], {}])
def test_is_set(value):
    assert not is_unset(value)


def test_check_settings_dict_messages():
    check_settings_dict({}, "p_", "some settings", "the settings")
    with pytest.raises(ValueError) as exc:
        check_settings_dict({}, 1, "some settings", "the settings")
    assert str(exc.value) == "some settings: the variable prefix must be a string"
    with pytest.raises(ValueError) as exc:
        check_settings_dict([], "p_", "some settings", "the settings", "x_*")
    assert str(exc.value) == "p_x_*: the settings must be a dict, got list"


def test_entry_list_and_check_entry():
    assert entry_list(None, "v", ("a",)) == []
    assert entry_list(" ", "v", ("a",)) == []
    assert entry_list(({"a": 1},), "v", ("a",)) == [{"a": 1}]
    for bad in ("x", b"x", {"a": 1}, 3):
        with pytest.raises(ValueError) as exc:
            entry_list(bad, "v", ("a", "b"))
        assert str(exc.value) == "v: must be a list of dicts (keys: a, b)"
    assert check_entry({"a": 1}, "v[0]", ("a", "b")) == {"a": 1}
    with pytest.raises(ValueError) as exc:
        check_entry(["a"], "v[0]", ("a", "b"))
    assert str(exc.value) == "v[0]: must be a dict (keys: a, b)"
    with pytest.raises(ValueError) as exc:
        check_entry({"c": 1, "a": 1, "b": 2}, "v[0]", ("a",))
    assert str(exc.value) == "v[0]: unknown key 'b' (valid keys: a)"


def test_dict_keys_sorted_and_checked():
    assert list(dict_keys({"b": 1, "a": 2}, "v", "{k: v}", "a key", "the key")) == ["a", "b"]
    assert list(dict_keys(None, "v", "{k: v}", "a key", "the key")) == []
    with pytest.raises(ValueError) as exc:
        list(dict_keys({"a b": 1}, "v", "{k: v}", "a key", "the key"))
    assert str(exc.value) == "v: the key contains whitespace"


def test_check_entry_messages_are_exact():
    from ansible_collections.egress.mail.plugins.module_utils.settings_values import check_entry

    keys = ("sender", "host")
    with pytest.raises(ValueError) as exc:
        check_entry({"host": "h", "hots": 1}, "x[0]", keys)
    assert str(exc.value) == "x[0]: unknown key 'hots' (valid keys: sender, host)"
    with pytest.raises(ValueError) as exc:
        check_entry("h", "x[0]", keys)
    assert str(exc.value) == "x[0]: must be a dict (keys: sender, host)"
    assert check_entry({"host": "h"}, "x[0]", keys) == {"host": "h"}


def test_check_token_messages_are_exact():
    from ansible_collections.egress.mail.plugins.module_utils.settings_values import check_token

    with pytest.raises(ValueError) as exc:
        check_token("a\nb", "x", "the host")
    assert str(exc.value) == "x: the host contains a newline"
