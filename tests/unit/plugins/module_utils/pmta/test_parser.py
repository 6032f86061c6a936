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
from ansible_collections.egress.mail.plugins.module_utils.pmta import parser as pp
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
    with pytest.raises(TypeError) as raised:
        pc.validate(b"smtp-listener 127.0.0.1:25")
    assert str(raised.value) == "the configuration must be text (str), got bytes"


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


# --- mutation testing (issue 21): every finding of the builder, whole, with its line -----------
# Each case lists all errors and warnings pc.parse() reports for one text, in its order.
_PARSE_FINDINGS = [
    (
        "stanzas",
        "<domain x.example>\n<source 10.0.0.1>\n</source>\n<rewrite-list r>\nanything goes here\n"
        "</rewrite-list>\n</domain>\n<frobnicate a>\nbogus-directive 1\n</frobnicate>\n",
        [
            (2, "stanza <source> is not allowed in <domain x.example>"),
            (4, "stanza <rewrite-list> is not allowed in <domain x.example>"),
            (8, "unknown stanza <frobnicate>"),
        ],
        [(4, "contents of <rewrite-list> are not validated")],
    ),
    (
        "tags",
        "<domain y.example>\n<virtual-mta v>\n</domain extra>\n</source>\n",
        [
            (2, "stanza <virtual-mta> is not allowed in <domain y.example>"),
            (3, "closing tag </domain> takes no argument"),
            (2, "<virtual-mta v> opened here is not closed before </domain> on line 3"),
            (4, "stray </source> without a matching <source>"),
        ],
        [],
    ),
    (
        "directives",
        "smtp-hosts a.example:587\nfoo-bar 1\ninclude /etc/pmta/more.conf\n<smtp-pattern-list p>\nreply "
        "/x/ mode=backoff\nfoo 1\n</smtp-pattern-list>\n<domain z.example>\nroute a.example:587\n"
        "delivery-priority 1\nenable-signals yes\n</domain>\n<source 10.0.0.4>\ninclude /x\n</source>\n",
        [
            (1, "directive 'smtp-hosts' is not allowed in the top level (it belongs in <domain>)"),
            (2, "unknown directive 'foo-bar'"),
            (11, "directive 'enable-signals' is not allowed in <domain> (it belongs in the top level)"),
            (14, "directive 'include' is not allowed in <source> (it belongs in the top level or <domain>)"),
        ],
        [
            (3, "included file '/etc/pmta/more.conf' is not validated"),
            (6, "'foo' in <smtp-pattern-list> is not in the directive table; it is not validated"),
            (9, "'route' is deprecated by the PowerMTA reference (section 3.3.10.88); use smtp-hosts"),
            (
                10,
                "directive 'delivery-priority' is in the PowerMTA reference (section 3.3.10.17) but the linter does not check its value",
            ),
            (10, "'delivery-priority' is deprecated by the PowerMTA reference (section 3.3.10.17)"),
        ],
    ),
    (
        "labels",
        "<rewrite-list auth-password>\n</rewrite-list>\n<domain password.example>\n<source 10.0.0.1>\n"
        "</source>\n</domain>\n<bounce-processor>\n<source 10.0.0.3>\n</source>\n</bounce-processor>\n",
        [
            (4, "stanza <source> is not allowed in <domain> of line 3"),
            (8, "stanza <source> is not allowed in <bounce-processor>"),
        ],
        [
            (
                1,
                "this line holds a password and looks odd; it is not quoted: check the directive name, where it is and that it has exactly one value",
            )
        ],
    ),
    (
        "secret_lines",
        "auth-password Hunter2 x\n<domain w.example>\nauth-password\n</domain>\n<source 10.0.0.2 password=x>\n</source>\n",
        [
            (1, "directive 'auth-password' is not allowed in the top level (it belongs in <domain>)"),
            (3, "directive 'auth-password' expects exactly one value"),
            (
                5,
                "this line holds a password and is not valid here; it is not quoted: check the directive name, where it is and that it has exactly one value",
            ),
        ],
        [],
    ),
    (
        "args",
        "<domain v.example>\nsmtp-hosts\nmax-smtp-out\n</domain>\n<domain u.example>\nsmtp-hosts a.example:99999\n</domain>\n",
        [
            (
                2,
                "directive 'smtp-hosts' expects host names (bare, with an optional :port), [IPv4] or "
                "[IPv6:address] literals or lookup-mx:domain, ',' within a preference level and ';' between levels",
            ),
            (3, "directive 'max-smtp-out' expects 1 value, got 0"),
            (
                6,
                "directive 'smtp-hosts' expects host names (bare, with an optional :port), [IPv4] or "
                "[IPv6:address] literals or lookup-mx:domain, ',' within a preference level and ';' between "
                "levels: 'a.example:99999': the port must be 1-65535",
            ),
        ],
        [],
    ),
    (
        "values",
        "domain-key x\n<smtp-pattern-list p>\nreply 421 too many\n</smtp-pattern-list>\n<domain a.example>\n"
        "route a.example:25X\nmax-smtp-out 5,\n</domain>\n<domain b.example>\nroute ,\n</domain>\n",
        [
            (1, "directive 'domain-key' expects selector,domain,key-file (domain-key), got 'x'"),
            (
                3,
                "directive 'reply' expects /regular expression/ followed by actions such as mode=backoff: "
                "the pattern must be written /regular expression/",
            ),
            (6, "directive 'route' expects host:port or [host]:port, got 'a.example:25X'"),
            (7, "directive 'max-smtp-out' expects a non-negative integer, got '5,'"),
            (10, "directive 'route' expects host:port or [host]:port, got ','"),
        ],
        [
            (6, "'route' is deprecated by the PowerMTA reference (section 3.3.10.88); use smtp-hosts"),
            (10, "'route' is deprecated by the PowerMTA reference (section 3.3.10.88); use smtp-hosts"),
        ],
    ),
    (
        # each finding of a line stops only that line; an opaque body skips every tag but its own closing one
        "lines",
        "frobnicate\x01yes\n<domain a.example> max-smtp-out 1\n</domain> x\n<bounce-processor> x\n</bounce-processor>\n"
        "<x-y\nmax-smtp-out 1 <domain b.example>\n<rewrite-list r>\n<rewrite-list s> x\n</other> y\n<other>\n"
        "</rewrite-list>\nfoo-bar 1\n<domain c.example>\n",
        [
            (
                1,
                "the line contains the control or separator character U+0001; PowerMTA and this linter could "
                "read it differently (the line is not quoted)",
            ),
            (
                2,
                "text after <domain a.example> on the same line: put each directive on its own line (or parse "
                "with compact=True)",
            ),
            (
                3,
                "text after </domain> on the same line: put each directive on its own line (or parse with compact=True)",
            ),
            (
                4,
                "text after <bounce-processor> on the same line: put each directive on its own line (or parse "
                "with compact=True)",
            ),
            (6, "malformed stanza tag '<x-y'"),
            (7, "stanza tag in the middle of a line: put it on its own line (or parse with compact=True)"),
            (13, "unknown directive 'foo-bar'"),
            (14, "<domain c.example> is never closed (missing </domain>)"),
        ],
        [(8, "contents of <rewrite-list> are not validated")],
    ),
    (
        "secret_line_messages",
        "password\x01x\n<smtp-user a> password x\n</smtp-user>\n",
        [
            (
                1,
                "the line contains the control or separator character U+0001 (the line holds a password and is not quoted)",
            ),
            (
                2,
                "text after a stanza tag on the same line: put each directive on its own line (or parse with "
                "compact=True); the line holds a password and is not quoted",
            ),
        ],
        [],
    ),
]


@pytest.mark.parametrize(
    "text, errors, warnings", [c[1:] for c in _PARSE_FINDINGS], ids=[c[0] for c in _PARSE_FINDINGS]
)
def test_every_finding_of_the_builder_is_exact(text, errors, warnings):
    _root, found_errors, found_warnings = pc.parse(text)
    assert [(m.line, m.message) for m in found_errors] == errors
    assert [(m.line, m.message) for m in found_warnings] == warnings


def test_an_unclosed_stanza_has_no_end_line_and_a_directive_value_joins_by_one_space():
    root, _errors, _warnings = pc.parse("<domain a.example>\nsmtp-hosts  a.example:587,\tb.example:587\n")
    domain = root.stanzas("domain")[0]
    assert domain.end_line is None
    assert domain.first("smtp-hosts").value == "a.example:587, b.example:587"


def test_a_source_on_a_password_line_is_not_shown_in_the_summary():
    text = BASE_HEAD + "<source 10.0.0.2 password=x>\n</source>\n" + BASE_DOMAIN
    assert [s["match"] for s in pc.validate(text, policy=False).summary["sources"]] == [
        "127.0.0.1",
        "(not shown: its line holds a password)",
    ]


def test_every_finding_of_the_compact_feeder_is_exact():
    # a bad line stops only itself; an opaque segment skips only itself; an unknown directive takes
    # every word up to the next directive name; a known one ends at its last value
    text = (
        "frobnicate\x01yes\n<rewrite-list r> a b </rewrite-list> foo-bar 1\nfrobnicate a b use-starttls yes\n"
        "<domain d.example> max-smtp-out 5 6 </domain>\n"
    )
    _root, errors, warnings = pc.parse(text, compact=True)
    assert [(m.line, m.message) for m in errors] == [
        (
            1,
            "the line contains the control or separator character U+0001; PowerMTA and this linter could "
            "read it differently (the line is not quoted)",
        ),
        (2, "unknown directive 'foo-bar'"),
        (3, "unknown directive 'frobnicate'"),
        (3, "directive 'use-starttls' is not allowed in the top level (it belongs in <domain>)"),
        (4, "unknown directive '6'"),
    ]
    assert [(m.line, m.message) for m in warnings] == [(2, "contents of <rewrite-list> are not validated")]


def test_the_root_stanza():
    root, _errors, _warnings = pc.parse("")
    assert (root.key, root.line, root.end_line, root.redacted, root.label()) == (
        "global",
        0,
        None,
        False,
        "the top level",
    )


@pytest.mark.parametrize(
    "spec, args, errors",
    [
        (("name", "?uint"), ["a"], []),
        (("name", "?uint"), ["a", "b"], ["directive 'd' expects a non-negative integer, got 'b'"]),
        (
            ("uint", "bool", "name"),
            ["1", "yes", "?!"],
            ["directive 'd' expects a name made of letters, digits, '.', '_' or '-', got '?!'"],
        ),
        (("*uint",), ["1", "x"], ["directive 'd' expects a non-negative integer, got 'x'"]),
    ],
    ids=["optional-left-out", "optional-given", "three-values", "star"],
)
def test_each_value_is_checked_against_its_own_item_of_the_spec(spec, args, errors):
    # the spec language of the table ("?" optional, "*" the rest) beyond the rows it has today
    builder = pp._Builder()
    builder._check_args(pp.Directive("d", args, 1), spec)
    assert [(f.line, f.message) for f in builder.errors] == [(1, m) for m in errors]


def test_rows_the_table_may_get(monkeypatch):
    # a deprecated directive the linter checks, other than route; a secret whose name has no "password"
    monkeypatch.setattr(pp, "DEPRECATED", frozenset(["max-smtp-out"]))
    monkeypatch.setattr(pp, "SECRET_DIRECTIVES", frozenset(["max-smtp-out"]))
    _root, errors, warnings = pc.parse("<domain a.example>\nmax-smtp-out 1\nmax-smtp-out 1 2\n</domain>\n")
    assert [(f.line, f.message) for f in errors] == [(3, "directive 'max-smtp-out' expects exactly one value")]
    assert [(f.line, f.message) for f in warnings] == [
        (2, "'max-smtp-out' is deprecated by the PowerMTA reference (section 3.3.10.75)"),
        (3, "'max-smtp-out' is deprecated by the PowerMTA reference (section 3.3.10.75)"),
    ]
