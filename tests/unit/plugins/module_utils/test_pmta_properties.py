# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests (hypothesis) for pmta_config and pmta_settings.

* no input makes them raise anything but their documented error (pmta_config: none for text,
  pmta_settings: ValueError);
* a password never appears in an error, a warning, the summary, the masked text or the
  masked diff, whatever characters it holds and wherever its line sits;
* time stays bounded.

Example counts are fixed (no deadline flakiness: the time bound is asserted per example).
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.plugins.module_utils import pmta_settings as ps

PROFILE = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MARK = "Qz9"  # every generated password starts with it; nothing else in the inputs holds it

# Characters that matter to the lexer, plus the ones Python and PowerMTA disagree about.
SPECIAL = list('<>/#"{}*:[],=.- \t\r\n') + [
    "\v",
    "\f",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u00b2",
    "\u0663",
    "\x00",
    "\ufeff",
    "\u202e",
]
ALPHABET = st.sampled_from(SPECIAL) | st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.characters()
WORDS = [
    "smtp-listener",
    "0/0:25",
    "127.0.0.1:25",
    "<source",
    "0/0>",
    "</source>",
    "<domain",
    "*>",
    "</domain>",
    "require-auth",
    "always-allow-relaying",
    "smtp-service",
    "yes",
    "no",
    "route",
    "smtp-hosts",
    "[smtp.example.net]:587",
    "auth-username",
    "auth-password",
    "password",
    "<smtp-user",
    "app>",
    "</smtp-user>",
    "<virtual-mta",
    "mta1>",
    "</virtual-mta>",
    "http-access",
    "admin",
    "max-smtp-out",
    "\u00b2",
    "#",
    "use-starttls",
    "<acct-file",
    "/x>",
    "</acct-file>",
    "retry-after",
    "10m",
]
LINE = st.lists(st.sampled_from(WORDS) | st.text(ALPHABET, max_size=6), max_size=8).map(" ".join)
CONFIG = st.lists(LINE, max_size=25).map("\n".join)
SEPARATORS = st.sampled_from([" ", "\t", "  ", "\n", "\v", "\f", "\u2028", "#", "<", ">", '"'])
# A password: the marker, then anything but a line feed (a line feed starts a new line).
PASSWORD = st.text(ALPHABET.filter(lambda c: c != "\n"), min_size=1, max_size=16).map(lambda t: MARK + t)
COUNTS = {}


def count(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1


def bounded(function, *args, **kwargs):
    started = time.process_time()
    result = function(*args, **kwargs)
    assert time.process_time() - started < 1.0
    return result


def visible(report, text):
    """Everything pmta_config shows of a text: findings, summary, masked text and masked diff."""
    found = report.as_dict()
    return "\n".join(
        [
            repr(found),
            pc.format_errors(report.errors + report.warnings),
            pc.mask_secrets(text),
            "\n".join(pc.masked_diff("", text)),
        ]
    )


@PROFILE
@given(text=CONFIG | st.text(ALPHABET, max_size=300), compact=st.booleans(), fragment=st.booleans())
def test_any_text_gives_a_report(text, compact, fragment):
    count("any_text")
    report = bounded(pc.validate, text, compact=compact, fragment=fragment)
    assert isinstance(report.valid, bool)
    for finding in report.errors + report.warnings:
        assert isinstance(finding.message, str) and (finding.line is None or finding.line >= 1)
    assert pc.mask_secrets(text).count("\n") == text.count("\n")
    pc.secret_values(text)


@PROFILE
@given(
    before=CONFIG,
    after=CONFIG,
    password=PASSWORD,
    name=st.sampled_from(["auth-password", "password", "PASSWORD", "Auth-Password"]),
    separator=SEPARATORS,
    position=st.integers(0, 30),
    tail=LINE,
    compact=st.booleans(),
)
def test_a_password_never_shows(before, after, password, name, separator, position, tail, compact):
    count("password_never_shows")
    lines = (before + "\n" + after).split("\n")
    position = min(position, len(lines))
    secret_line = name + (" " if separator == "\n" else separator.replace("#", " #")) + password
    secret_line = name + " " + password if separator in '<>"#' else secret_line
    lines[position:position] = [secret_line + " " + tail if tail else secret_line]
    text = "\n".join(lines)
    report = bounded(pc.validate, text, compact=compact)
    shown = visible(report, text)
    assert password not in shown
    for token in password.split():
        if token.startswith(MARK) and len(token) > len(MARK):
            assert token not in shown


@PROFILE
@given(depth=st.integers(1, 400), name=st.sampled_from(["source 10.0.0.1", "virtual-mta a", "domain *", "x"]))
def test_nesting_never_raises(depth, name):
    count("nesting")
    tag = name.split()[0]
    bounded(pc.validate, "<%s>\n" % name * depth + "</%s>\n" % tag * (depth // 2))


@PROFILE
@given(
    parts=st.lists(
        st.sampled_from(["<", ">", " ", "\t", "a", "/", "#", "-", "password ", '"']), min_size=1, max_size=60
    ),
    repeat=st.integers(1, 1500),
    compact=st.booleans(),
)
def test_long_lines_take_linear_time(parts, repeat, compact):
    count("long_lines")
    line = "".join(parts) * repeat
    bounded(pc.validate, line, compact=compact)
    bounded(pc.mask_secrets, line)


# ---------------------------------------------------------------------------
# pmta_settings
# ---------------------------------------------------------------------------


def base():
    return {
        "host": "smtp.example.net",
        "port": 587,
        "username": "relayuser",
        "password": "Qz9-base",
        "listeners": [{"address": "127.0.0.1", "port": 25}],
        "sources": [{"match": "127.0.0.1", "always_allow_relaying": True}],
        "http_access": [{"address": "127.0.0.1", "level": "admin"}],
        "package_ext": "deb",
    }


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.text(ALPHABET, max_size=20)
    | st.sampled_from(
        [
            "0/0",
            "0.0.0.0/00",
            "::/0",
            "10.0.0.0/8",
            "8.0.0.0/8",
            "127.0.0.1",
            "auto",
            "465",
            "yes",
            "10m",
            "admin",
            "none",
            "192.0.2.1",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(ps.SOURCE_KEYS + ps.ACCESS_KEYS + ("name", "password")), inner, max_size=4)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(ps.SETTINGS_KEYS + ("bogus",))


@PROFILE
@given(
    changes=st.dictionaries(KEYS, VALUES, max_size=4),
    password=PASSWORD,
    where=st.sampled_from(["password", "user", "none"]),
)
def test_settings_raise_only_value_error_and_never_show_a_password(changes, password, where):
    count("settings")
    settings_ = base()
    settings_.update(changes)
    if where == "password":
        settings_["password"] = password
    elif where == "user":
        settings_["smtp_users"] = [{"name": "app", "password": password}]
    try:
        result = bounded(ps.check, settings_)
    except ValueError as exc:
        count("settings_refused")
        assert password not in str(exc)
        return
    count("settings_accepted")
    assert password not in repr(result)
    assert "Qz9-base" not in repr(result)


@PROFILE
@given(
    sources=st.lists(
        st.fixed_dictionaries(
            {
                "match": st.sampled_from(
                    [
                        "0/0",
                        "0.0.0.0/0",
                        "0.0.0.0/00",
                        "::/0",
                        "0/00",
                        "10.0.0.0/8",
                        "8.8.8.0/24",
                        "8.8.0.0/16",
                        "1.2.3.4",
                        "::ffff:8.8.0.0/112",
                        "2001:db8::/32",
                        "2a00::/16",
                        "100.64.0.0/10",
                        "999.1.1.1/99",
                        "....",
                        "8.8.8.8/32",
                    ]
                )
            },
            optional={
                "always_allow_relaying": st.booleans(),
                "require_auth": st.booleans(),
                "smtp_service": st.booleans(),
            },
        ),
        min_size=1,
        max_size=5,
    ),
    listener=st.sampled_from(["127.0.0.1", "0/0", "10.0.0.1"]),
    users=st.booleans(),
)
def test_accepted_sources_never_make_an_open_relay(sources, listener, users):
    """Whatever the role accepts renders into a file the linter finds closed."""
    count("open_relay_invariant")
    settings_ = base()
    settings_.update(
        sources=sources,
        listeners=[{"address": listener, "port": 25}],
        smtp_users=[{"name": "app", "password": "Qz9-user"}] if users else [],
    )
    try:
        result = ps.check(settings_)
    except ValueError:
        return
    count("open_relay_accepted")
    relaying = [
        s for s in result["sources"] if s["always_allow_relaying"] and not s["require_auth"] and s["smtp_service"]
    ]
    assert not any(s["catch_all"] for s in relaying)
    assert all(s["match"] not in ("0.0.0.0/00", "::/0", "0/00", "999.1.1.1/99", "....") for s in result["sources"])
    if listener != "127.0.0.1":
        assert users or any(not s["match"].startswith("127.") for s in relaying)


def test_example_counts_are_recorded(capsys):
    # Runs last in file order (pytest-randomly is off by default): print what the suite tried.
    with capsys.disabled():
        print("\nhypothesis example counts:", dict(sorted(COUNTS.items())))
