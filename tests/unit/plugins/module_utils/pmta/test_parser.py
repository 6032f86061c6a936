# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/parser.py (the tree, line numbers, the findings of the builder, no secret in them, time).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.tests.unit.helpers.pmta_texts import (
    cfg,
    GOOD,
    SEED_LISTENERS,
    SEED_SMTP_USER,
    SEED_RELAY_DOMAIN,
    SEED_DOMAIN,
    SEED_VMTA,
    SEED_SNIPPETS,
    find,
    BASE_HEAD,
    BASE_DOMAIN,
    with_base,
    SECRET,
    SEPARATORS,
    OTHER_CONTROLS,
    HEAD,
    DOMAIN,
    everything,
)


def test_tree_shape_and_line_numbers():
    root, errors, _warnings = pc.parse(GOOD)
    assert errors == []
    vmta = root.stanzas("virtual-mta")[0]
    assert vmta.line == GOOD.splitlines().index("<virtual-mta mta1>") + 1
    assert vmta.end_line == GOOD.splitlines().index("</virtual-mta>") + 1
    inner = vmta.stanzas("domain")[0]
    assert inner.parent is vmta and inner.arg == "*"
    assert inner.first("retry-after").args == ["10m,30m"]
    user = root.stanzas("smtp-user")[0]
    assert user.first("password").args == ["two words"]


def test_seed_listeners_parse_line_by_line():
    root, errors, _warnings = pc.parse(SEED_LISTENERS)
    assert errors == []
    assert [d.args for d in root.directives("smtp-listener")] == [["10.0.1.22:587"], ["10.0.1.22:25"], ["0/0:25"]]


@pytest.mark.parametrize("snippet", SEED_SNIPPETS)
def test_seed_snippets_parse_in_compact_mode(snippet):
    root, errors, _warnings = pc.parse(snippet, compact=True)
    assert errors == [], pc.format_errors(errors)
    assert root is not None


def test_seed_smtp_user_and_source():
    root, errors, _warnings = pc.parse(SEED_SMTP_USER, compact=True)
    assert errors == []
    user = root.stanzas("smtp-user")[0]
    assert user.arg == "foo"
    assert user.first("password").args == ["barbaz"]
    assert user.first("authentication-method").args == ["password"]
    assert root.stanzas("source")[0].first("require-auth").args == ["true"]


def test_seed_domain_comment_does_not_swallow_directives():
    root, errors, _warnings = pc.parse(SEED_DOMAIN, compact=True)
    assert errors == []
    domain = root.stanzas("domain")[0]
    assert [d.key for d in domain.directives()] == ["use-starttls", "require-starttls"]


def test_seed_virtual_mtas_nest_domains():
    root, errors, _warnings = pc.parse(SEED_VMTA, compact=True)
    assert errors == []
    vmtas = root.stanzas("virtual-mta")
    assert [v.arg for v in vmtas] == ["mta1", "mta2"]
    assert vmtas[0].first("smtp-source-host").args == ["1.2.3.4", "mta1.yourserver.com"]
    assert vmtas[1].stanzas("domain")[0].first("retry-after").args == ["45m"]


def test_seed_relay_domain_line_is_a_comment():
    root, errors, _warnings = pc.parse(SEED_RELAY_DOMAIN, compact=True)
    assert errors == [] and root.children == []


def test_seed_compact_text_is_rejected_in_line_mode():
    _root, errors, _warnings = pc.parse(SEED_SMTP_USER)
    assert errors
    assert errors[0].line == 1
    assert "on the same line" in errors[0].message
    assert "barbaz" not in errors[0].message and "foo" not in errors[0].message  # the line holds a password


def test_comment_lines_and_blank_lines_keep_line_numbers():
    text = "# one\n\n   # three\n" + with_base("  frobnicate yes   # trailing\n")
    assert find(pc.validate(text).errors, "unknown directive").line == 8


def test_include_is_accepted_with_a_warning():
    text = with_base("include /etc/pmta/extra.conf\n")
    report = pc.validate(text)
    assert report.valid
    find(report.warnings, "included file '/etc/pmta/extra.conf' is not validated")


def test_opaque_stanzas_are_skipped_with_a_warning():
    text = with_base(
        "<rewrite-list mfrom>\n    mail-from *@a.example *@bounces.a.example\n    <not a tag\n</rewrite-list>\n"
    )
    report = pc.validate(text)
    assert report.valid, pc.format_errors(report.errors)
    find(report.warnings, "contents of <rewrite-list> are not validated")


def test_smtp_pattern_lists_are_checked_line_by_line():
    text = with_base(
        "<smtp-pattern-list errs>\n    reply /421 .* too many/ mode=backoff\n"
        "    reply /4[0-9][0-9] 4\\.7\\.[0-9]+/ mode=backoff backoff-to-normal-after=1h\n"
        "    frobnicate /x/\n</smtp-pattern-list>\n"
    )
    report = pc.validate(text)
    assert report.valid, pc.format_errors(report.errors)
    assert find(report.warnings, "'frobnicate' in <smtp-pattern-list> is not in the directive table").line == 8
    broken = text.replace("mode=backoff\n", "mode=sleepy\n", 1)
    assert find(pc.validate(broken).errors, "action 'mode' expects one of backoff, normal").line == 6
    broken = text.replace("/421 .* too many/", "421 too many", 1)
    assert find(pc.validate(broken).errors, "the pattern must be written /regular expression/").line == 6


def test_extra_directives_are_accepted():
    text = with_base("frobnicate yes\n")
    assert not pc.validate(text).valid
    assert pc.validate(text, extra_directives=["Frobnicate"]).valid


def test_unchecked_allow_list():
    text = BASE_HEAD + BASE_DOMAIN.replace(
        "use-starttls yes", "use-starttls yes\n    dkim-sign yes\n    bounce-upon-no-mx yes"
    )
    assert pc.validate(text).valid


def test_directive_names_are_case_insensitive():
    text = BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "Use-StartTLS YES")
    assert pc.validate(text).valid


def test_secret_values_are_never_echoed_in_errors():
    text = BASE_HEAD + BASE_DOMAIN.replace("use-starttls yes", "auth-password hunter2 extra-word")
    report = pc.validate(text)
    hit = find(report.errors, "directive 'auth-password' expects exactly one value")
    assert "hunter2" not in hit.message and "extra-word" not in hit.message
    assert "hunter2" not in repr(report.as_dict())


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


SECRET_LINES = [
    "auth-password %s",  # top level: not allowed here
    "<source 10.0.0.1>\npassword %s\n</source>",
    "<smtp-user app>\npassword %s extra\n</smtp-user>",
    "<smtp-user app>\nPassWord %s\n</smtp-user>",
    "<password %s",  # malformed tag
    "<smtp-user a> password %s </smtp-user>",  # text after a tag
    "<domain *>\nauth-password %s <x>\n</domain>",
    "<smtp-user %s> password x",
    "password%s",  # unknown directive that starts with password
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
        for _dummy in range(5):
            pc.validate(line, compact=True)
        return time.process_time() - started

    small, large = cost(20000), cost(160000)
    assert large < small * 8 * 3 + 0.05  # 8x the input: at most ~8x the time (with slack), not 64x


def test_text_must_be_a_string():
    with pytest.raises(TypeError):
        pc.validate(b"smtp-listener 127.0.0.1:25")


@pytest.mark.parametrize(
    "text, message",
    [
        ("<smtp-user a{b>\n</smtp-user>\n", "stanza <smtp-user a{b>: expected a user name"),
        ("<source x>\n</source>\n", "stanza <source x>: expected an IP address, a CIDR range such as 0/0, or a {name}"),
        (
            "<domain a..b>\n</domain>\n",
            "stanza <domain a..b>: expected *, a domain name or a wildcard such as *.example.com",
        ),
        (
            "<virtual-mta -x>\n</virtual-mta>\n",
            "stanza <virtual-mta -x>: expected a name made of letters, digits, '.', '_' or '-'",
        ),
        ("<acct-file>\n</acct-file>\n", "stanza <acct-file> needs an argument (an absolute path, or |command)"),
        ("<bounce-processor x>\n</bounce-processor>\n", "stanza <bounce-processor> takes no argument"),
        ("<address-list>\n</address-list>\n", "stanza <address-list> is not allowed in the top level"),
    ],
)
def test_stanza_argument_messages(text, message):
    _root, errors, _warnings = pc.parse(text)
    assert message in [e.message for e in errors], errors


def test_a_stanza_closed_by_its_parent_ends_on_the_parent_closing_line():
    root, errors, _warnings = pc.parse("<virtual-mta a>\n<domain *>\n</virtual-mta>\n")
    vmta = root.stanzas("virtual-mta")[0]
    assert vmta.end_line == 3 and vmta.stanzas("domain")[0].end_line == 3
    assert errors
