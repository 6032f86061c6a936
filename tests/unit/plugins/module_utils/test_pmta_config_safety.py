# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pmta_config regressions (issues 12 and 21): line breaks, secrets in errors, crashes, time, relay rules.

Each test here failed on main (283c62b).
"""

from __future__ import annotations

import textwrap
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc

SECRET = "Zq9-TAILsecret"

# Python's str.splitlines() breaks at all of these; PowerMTA only at "\n".
SEPARATORS = ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
OTHER_CONTROLS = ["\x00", "\x1b", "\x7f", "\x9b", "\u200b", "\u202e", "\ufeff"]


def cfg(text):
    return textwrap.dedent(text).lstrip("\n")


HEAD = cfg("""
    smtp-listener 127.0.0.1:25
    <source 127.0.0.1>
        always-allow-relaying yes
    </source>
""")
DOMAIN = cfg("""
    <domain *>
        smtp-hosts [smtp.example.net]:587
        use-starttls yes
        require-starttls yes
        auth-username relayuser
        auth-password PASSWORD
    </domain>
""")


def everything(report):
    """Errors and warnings, as returned and as formatted (the summary names users on purpose)."""
    found = report.as_dict()
    return repr([found["errors"], found["warnings"]]) + pc.format_errors(report.errors + report.warnings)


def test_baseline_is_valid():
    report = pc.validate(HEAD + DOMAIN.replace("PASSWORD", SECRET))
    assert report.valid, pc.format_errors(report.errors)


@pytest.mark.parametrize("sep", SEPARATORS + OTHER_CONTROLS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_password_with_a_separator_never_leaks_its_tail(sep, compact):
    text = HEAD + DOMAIN.replace("PASSWORD", "head" + sep + SECRET + " more")
    report = pc.validate(text, compact=compact)
    assert not report.valid
    assert "head" not in everything(report) and SECRET not in everything(report)
    assert any("U+%04X" % ord(sep) in f.message for f in report.errors)


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda c: "U+%04X" % ord(c))
def test_separator_cannot_hide_require_auth_behind_a_comment(sep):
    # PowerMTA reads "smtp-service yes # note<sep>require-auth yes" as one line: require-auth is
    # part of the comment, so <source 0/0> is open to every client of the 0/0 listener.
    text = cfg("""
        smtp-listener 0/0:25
        <source 0/0>
            always-allow-relaying no
            smtp-service yes # note%srequire-auth yes
        </source>
    """) % sep + DOMAIN.replace("PASSWORD", SECRET)
    report = pc.validate(text)
    assert not report.valid
    assert any(f.line == 4 and "U+%04X" % ord(sep) in f.message for f in report.errors)


def test_crlf_line_ends_are_accepted():
    assert pc.validate((HEAD + DOMAIN.replace("PASSWORD", SECRET)).replace("\n", "\r\n")).valid


def test_only_blanks_and_tabs_separate_tokens():
    # U+00A0 and U+3000 are str.isspace(); PowerMTA would read one unknown word.
    for blank in ("\u00a0", "\u3000", "\u2003"):
        text = HEAD.replace("always-allow-relaying yes", "always-allow-relaying%syes" % blank) + DOMAIN
        assert not pc.validate(text).valid


SECRET_LINES = [
    "auth-password %s",                      # top level: not allowed here
    "<source 10.0.0.1>\npassword %s\n</source>",
    "<smtp-user app>\npassword %s extra\n</smtp-user>",
    "<smtp-user app>\nPassWord %s\n</smtp-user>",
    "<password %s",                          # malformed tag
    "<smtp-user a> password %s </smtp-user>",  # text after a tag
    "<domain *>\nauth-password %s <x>\n</domain>",
    "<smtp-user %s> password x",
    "password%s",                            # unknown directive that starts with password
    "smtp-listener password %s",
]


@pytest.mark.parametrize("line", SECRET_LINES)
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_no_token_of_a_line_holding_a_secret_is_quoted(line, compact):
    text = HEAD + (line % SECRET) + "\n" + DOMAIN.replace("PASSWORD", "x")
    report = pc.validate(text, compact=compact)
    assert SECRET not in everything(report)
    if "password %s" in line.lower():
        assert SECRET not in pc.mask_secrets(text)


@pytest.mark.parametrize("sep", SEPARATORS + ["\t", " \t "], ids=repr)
def test_mask_and_diff_hide_a_password_after_any_blank(sep):
    text = HEAD + DOMAIN.replace("auth-password PASSWORD", "auth-password" + sep + SECRET)
    assert SECRET not in pc.mask_secrets(text)
    assert SECRET not in "\n".join(pc.masked_diff("", text))
    assert pc.secret_values(text) == [SECRET]


# ---------------------------------------------------------------------------
# Item 10: no crash, no recursion limit, linear time
# ---------------------------------------------------------------------------

DIGITS = ["\u00b2", "\u0663", "\uff11", "\u2460", "\U0001d7d9"]  # ², Arabic-Indic 3, fullwidth 1, ①, 𝟙


@pytest.mark.parametrize("digit", DIGITS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize("template", [
    "http-mgmt-port {d}",
    "smtp-listener 127.0.0.1:{d}",
    "smtp-listener 127.0.0.1:2{d}",
    "total-max-smtp-out {d}",
    "<source {d}/8>\n</source>",
    "<source 10/{d}>\n</source>",
    "http-access {d}.0.0.1 admin",
    "<domain *>\nroute smtp.example.net:{d}\n</domain>",
    "<domain *>\nroute [smtp.example.net]:{d}\n</domain>",
    "<domain example.com>\nroute smtp.example.net\ndefault-smtp-port {d}\n</domain>",
    "<domain *>\nretry-after {d}m\n</domain>",
    "<acct-file /x>\nmax-size {d}M\n</acct-file>",
])
def test_non_ascii_digits_are_errors_not_crashes(digit, template):
    text = HEAD + template.format(d=digit) + "\n" + DOMAIN
    for compact in (False, True):
        report = pc.validate(text, compact=compact)
        assert not report.valid


def test_non_ascii_digit_in_route_is_not_taken_as_default_port():
    text = HEAD + DOMAIN.replace("smtp-hosts [smtp.example.net]:587",
                                 "route smtp.example.net\n    default-smtp-port \u00b2")
    report = pc.validate(text)
    assert not report.valid and report.summary["route"]["port"] is None


@pytest.mark.parametrize("depth", [1100, 20000])
def test_deep_nesting_is_an_error_not_a_recursion_error(depth):
    text = HEAD + "<virtual-mta a>\n" * depth + "</virtual-mta>\n" * depth + DOMAIN
    started = time.process_time()
    report = pc.validate(text)
    assert time.process_time() - started < 5
    assert not report.valid
    assert any("is not allowed in <virtual-mta a>" in f.message for f in report.errors)


def test_unbalanced_deep_nesting():
    text = HEAD + "<source 10.0.0.1>\n" * 5000 + "</domain>\n" * 5000 + DOMAIN
    assert not pc.validate(text).valid


SIZE = 100 * 1024
ADVERSARIAL = {
    "tag-spaces": "<a" + " " * SIZE,
    "tag-spaces-word": "<source" + " " * SIZE + "x",
    "tag-spaces-close": "<source" + " \t" * (SIZE // 2) + "x >",
    "mid-line-tags": "x " + "<a " * (SIZE // 3),
    "lt-only": "<" * SIZE,
    "lt-gt": "<a" * (SIZE // 4) + ">",
    "many-tags": "<a>" * (SIZE // 3),
    "comment-directives": "x #use-starttls " * (SIZE // 16),
    "hashes": "#" * SIZE,
    "password-words": "password " * (SIZE // 9),
    "password-hash": "password x#" * (SIZE // 11),
    "quotes": '"' * SIZE,
    "tokens": "a " * (SIZE // 2),
    "route-colons": "route " + ":" * SIZE,
    "brackets": "route [" + "a" * SIZE,
    "digits": "max-smtp-out " + "9" * SIZE,
    "dots": "<domain " + "a." * (SIZE // 2) + ">",
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("compact", [False, True], ids=["lines", "compact"])
def test_a_100kb_adversarial_line_lints_in_well_under_a_second(name, compact):
    line = ADVERSARIAL[name]
    started = time.process_time()
    report = pc.validate(line + "\n", compact=compact)
    pc.mask_secrets(line)
    pc.masked_diff(line, line + "x")
    elapsed = time.process_time() - started
    assert elapsed < 0.5, "%s took %.2f s of CPU" % (name, elapsed)
    assert isinstance(report.valid, bool)


def test_time_is_linear_in_the_input():
    def cost(size):
        line = "<source" + " " * size + "x"
        started = time.process_time()
        for _ in range(5):
            pc.validate(line, compact=True)
        return time.process_time() - started
    small, large = cost(20000), cost(160000)
    assert large < small * 8 * 3 + 0.05  # 8x the input: at most ~8x the time (with slack), not 64x


def test_text_must_be_a_string():
    with pytest.raises(TypeError):
        pc.validate(b"smtp-listener 127.0.0.1:25")


# ---------------------------------------------------------------------------
# Item 2: listeners, catch-all source, http-access, public relay space
# ---------------------------------------------------------------------------

def exposed(source_body, listener="0/0:25"):
    return cfg("""
        smtp-listener %s
        <source 0/0>
        %s
        </source>
    """) % (listener, source_body) + DOMAIN.replace("PASSWORD", SECRET)


@pytest.mark.parametrize("listener", ["0/0:25", "10.0.1.22:587", "192.0.2.1:25", "[2001:db8::1]:25"])
@pytest.mark.parametrize("body", [
    "",                                            # bare catch-all: service and relaying defaults
    "    smtp-service yes",
    "    require-auth no",
    "    always-allow-relaying yes",
    "    always-allow-relaying yes\n    smtp-service yes",
])
def test_exposed_listener_with_bare_or_open_catch_all_is_an_open_relay(listener, body):
    report = pc.validate(exposed(body, listener))
    assert not report.valid
    assert any("is not on a loopback address" in f.message or "open relay" in f.message
               for f in report.errors), pc.format_errors(report.errors)


@pytest.mark.parametrize("body", ["    require-auth yes", "    smtp-service no",
                                  "    smtp-service no\n    require-auth no"])
def test_exposed_listener_with_closed_catch_all_is_fine(body):
    report = pc.validate(exposed(body))
    assert report.valid, pc.format_errors(report.errors)


def test_catch_all_split_in_two_stanzas_must_agree():
    good = exposed("    require-auth yes") + "<source 0/0>\n    allow-starttls no\n</source>\n"
    assert pc.validate(good).valid
    bad = exposed("    require-auth yes") + "<source 0/0>\n    require-auth no\n</source>\n"
    assert not pc.validate(bad).valid


def test_loopback_listener_needs_no_catch_all():
    report = pc.validate(HEAD + DOMAIN)
    assert report.valid


@pytest.mark.parametrize("access, ok", [
    ("127.0.0.1 admin", True),
    ("127.0.0.0/8 monitor", True),
    ("::1 admin", True),
    ("0/0 none", True),
    ("10.0.0.0/8 none", True),
    ("0/0 admin", False),
    ("0/0 monitor", False),
    ("10.0.0.5 admin", False),
    ("192.0.2.0/24 MONITOR", False),
    ("::/0 admin", False),
])
def test_http_access_above_none_only_for_loopback(access, ok):
    report = pc.validate(HEAD + "http-access %s\n" % access + DOMAIN)
    assert report.valid is ok, pc.format_errors(report.errors)


def test_relaying_sources_together_may_not_cover_much_public_space():
    one = HEAD + "<source 198.18.0.0/15>\nalways-allow-relaying yes\n</source>\n"  # not public
    assert pc.validate(one + DOMAIN).valid
    sources = "".join("<source 192.0.%d.0/24>\nalways-allow-relaying yes\n</source>\n" % n for n in (1, 3))
    report = pc.validate(HEAD.replace("127.0.0.1>", "127.0.0.1>") + sources.replace("192.0.", "8.8.") + DOMAIN)
    assert not report.valid
    assert any("together" in f.message for f in report.errors)
