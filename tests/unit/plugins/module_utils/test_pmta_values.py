# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/pmta_values.py (the value types of the powermta_relay variables).

Through pmta_settings.check (every value of the role) and directly.
"""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps
from ansible_collections.egress.mail.tests.unit.helpers.pmta_settings_cases import PASSWORD, USERS, settings_with


# Every control character, the Unicode separators and the invisible format characters, in every
# role value, at any depth.
BAD_CHARS = [
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "\x00",
    "\x1b",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\u202e",
]


PLACES = [
    ("host", lambda c: dict(host="smtp" + c + "example.net"), "powermta_relay_host"),
    ("password", lambda c: dict(password="a" + c + PASSWORD), "powermta_relay_password"),
    ("host_name", lambda c: dict(host_name="mta" + c + ".example.com"), "powermta_relay_host_name"),
    ("postmaster", lambda c: dict(postmaster="pm@example.com" + c), "powermta_relay_postmaster"),
    ("log_file", lambda c: dict(log_file="/var/log/pmta/log" + c + "x"), "powermta_relay_log_file"),
    ("source-match", lambda c: dict(sources=[{"match": "10.0.0.1" + c}]), "powermta_relay_sources[0].match"),
    ("listener", lambda c: dict(listeners=[{"address": "127.0.0.1" + c}]), "powermta_relay_listeners[0].address"),
    (
        "user-password",
        lambda c: dict(smtp_users=[{"name": "u", "password": PASSWORD + c + "x"}]),
        "powermta_relay_smtp_users[0].password",
    ),
    (
        "vmta-domains",
        lambda c: dict(
            virtual_mtas=[
                {"name": "m", "source_ip": "192.0.2.1", "hostname": "h.example", "domains": {"retry_after": "10m" + c}}
            ]
        ),
        "powermta_relay_virtual_mtas[0].domains.retry_after",
    ),
    ("retry_after", lambda c: dict(retry_after="10m" + c + "require-auth yes"), "powermta_relay_retry_after"),
    ("key", lambda c: dict(sources=[{"match" + c: "10.0.0.1"}]), "powermta_relay_sources[0]"),
]


@pytest.mark.parametrize("char", BAD_CHARS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize("place, changes, variable", PLACES, ids=[p[0] for p in PLACES])
def test_control_and_separator_characters_are_refused_everywhere(char, place, changes, variable):
    with pytest.raises(ValueError) as exc:
        ps.check(settings_with(**changes(char)))
    message = str(exc.value)
    assert message.startswith(variable), message
    if variable.endswith("password"):
        # A password's message does not even say which character it holds.
        assert "U+" not in message and "control or separator character" in message, message
    else:
        assert "U+%04X" % ord(char) in message
    assert PASSWORD not in message and char not in message


def test_form_feed_cannot_hide_require_auth():
    # Rendered as "retry-after 10m # x\frequire-auth yes": the linter split at \f used to read a
    # directive that PowerMTA reads as part of a comment.
    with pytest.raises(ValueError, match="^powermta_relay_retry_after: .*U\\+000C"):
        ps.check(settings_with(retry_after="10m # x\frequire-auth yes"))


# Found in review: the check and the template must read a source flag the same way. ' yes' or
# 'y' were true here (to_bool) but false in the template's `bool` filter: require_auth read as
# "yes" by the check was rendered "require-auth no", an open relay stopped only by the linter.
@pytest.mark.parametrize("value", ["y", " yes", "Yes ", "on", "1", 1, "t"])
def test_source_flags_only_in_spellings_the_template_reads_the_same(value):
    sources = [{"match": "10.0.5.0/24", "always_allow_relaying": True, "require_auth": value}]
    with pytest.raises(ValueError) as exc:
        ps.check(settings_with(sources=sources))
    assert str(exc.value).startswith("powermta_relay_sources[0].require_auth: must be true or false"), exc.value


@pytest.mark.parametrize(
    "value, expected", [(True, True), (False, False), ("yes", True), ("no", False), ("true", True), ("false", False)]
)
def test_source_flags_accepted_spellings(value, expected):
    sources = [{"match": "10.0.5.0/24", "always_allow_relaying": True, "require_auth": value}]
    ps.check(settings_with(sources=sources, smtp_users=USERS))


@pytest.mark.parametrize("field", ["password", "username"])
@pytest.mark.parametrize("char", ["<", ">"])
def test_angle_brackets_refused_in_credentials(field, char):
    with pytest.raises(ValueError) as exc:
        ps.check(settings_with(**{field: "ab%scd" % char}))
    message = str(exc.value)
    assert message.startswith("powermta_relay_%s: must not contain" % field), message
    assert "ab%scd" % char not in message


# --- each value type directly --------------------------------------------------------------------
from ansible_collections.egress.mail.plugins.module_utils import pmta_values as pv  # noqa: E402


def test_token_checks_the_linter_value_type():
    assert pv.token("10m,1h", "v", "a list", "duration_list") == "10m,1h"
    assert pv.token("", "v", "a list", "duration_list", allow_empty=True) == ""
    with pytest.raises(ValueError, match="^v: is empty; it must be a list$"):
        pv.token("", "v", "a list")
    with pytest.raises(ValueError, match="^v: '10m 1h' must be a list, without blanks or any of #\"<>$"):
        pv.token("10m 1h", "v", "a list")
    with pytest.raises(ValueError, match="^v: 'x' is not a list$"):
        pv.token("x", "v", "a list", "duration_list")
    with pytest.raises(ValueError, match="^v: must be a list \\(a string\\), got int$"):
        pv.token(5, "v", "a list")


def test_abs_path_uint_and_flag():
    assert pv.abs_path("/var/log/pmta", "v") == "/var/log/pmta"
    with pytest.raises(ValueError, match="^v: '/var//log' must be a plain absolute path$"):
        pv.abs_path("/var//log", "v")
    assert pv.uint("12", "v") == 12 and pv.uint(3, "v", 3) == 3
    with pytest.raises(ValueError, match="^v: must be an integer of at least 1, got 0$"):
        pv.uint(0, "v", 1)
    with pytest.raises(ValueError, match="^v: must be an integer, not a boolean$"):
        pv.uint(True, "v")
    assert pv.flag(None, "v") is False and pv.flag("yes", "v") is True and pv.flag("false", "v") is False


def test_entries_name_each_entry():
    settings = {"items": [{"a": 1}, {"a": 2}]}
    assert list(pv.entries(settings, "p_", "items", ("a",))) == [("p_items[0]", {"a": 1}), ("p_items[1]", {"a": 2})]
    assert list(pv.entries({}, "p_", "items", ("a",))) == []
    with pytest.raises(ValueError, match="^p_items: needs at least one entry$"):
        list(pv.entries({}, "p_", "items", ("a",), allow_empty=False))
    with pytest.raises(ValueError, match="^p_items\\[0\\].a: is required$"):
        list(pv.entries({"items": [{}]}, "p_", "items", ("a",), ("a",)))


def test_network_catch_all_only_where_allowed():
    assert pv.network("0/0", "v", catch_all=True) is None
    with pytest.raises(ValueError, match="^v: '0/0' covers every address: an open relay$"):
        pv.network("0/0", "v")
    assert str(pv.network("10.0.0.0/8", "v")) == "10.0.0.0/8"


@pytest.mark.parametrize("char", ["#", '"', "<", ">"])
def test_check_user_name_and_secret_refuse_line_syntax(char):
    with pytest.raises(ValueError, match="^v: must not contain"):
        pv.check_user_name("a%sb" % char, "v")
    with pytest.raises(ValueError, match="^v: must not contain") as exc:
        pv.check_secret("a%sb" % char, "v")
    assert "a%sb" % char not in str(exc.value)
