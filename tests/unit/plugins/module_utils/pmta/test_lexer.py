# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/lexer.py (tokens, blanks, line ends).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.tests.unit.helpers.pmta_texts import (
    SECRET,
    HEAD,
    DOMAIN,
)


def test_split_tokens_quotes():
    assert pc.split_tokens('password "a b"  c ""') == ["password", "a b", "c", ""]


def test_crlf_line_ends_are_accepted():
    assert pc.validate((HEAD + DOMAIN.replace("PASSWORD", SECRET)).replace("\n", "\r\n")).valid


def test_only_blanks_and_tabs_separate_tokens():
    # U+00A0 and U+3000 are str.isspace(); PowerMTA would read one unknown word.
    for blank in ("\u00a0", "\u3000", "\u2003"):
        text = HEAD.replace("always-allow-relaying yes", "always-allow-relaying%syes" % blank) + DOMAIN
        assert not pc.validate(text).valid


def test_only_space_and_tab_separate_tokens():
    """Mutation testing (issue 21): no other character splits a token (an upper-case X did not
    occur in any token of the tests)."""
    from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import split_tokens

    assert split_tokens('XmtaX  a\tb "c d" Zz') == ["XmtaX", "a", "b", "c d", "Zz"]


# --- mutation testing (issue 21): stanza tags and compact comments, at the lexer -----------------


def test_a_tag_is_found_right_after_a_lone_angle_bracket():
    from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import _find_tags

    assert _find_tags("<<c>") == [(1, (False, "c", None, 4))]
    assert _find_tags("a < b </c> <d x>") == [(6, (True, "c", None, 10)), (11, (False, "d", "x", 16))]


def test_a_tag_holding_another_angle_bracket_is_not_a_tag():
    from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import _parse_tag

    assert _parse_tag("<a <b>") is None
    assert _parse_tag("<a b>") == (False, "a", "b", 5)


def test_a_compact_comment_ends_at_the_next_directive_name_even_right_after_the_mark():
    from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import _strip_comment_compact

    def known(token):
        return token in ("use-starttls", "require-starttls")

    assert _strip_comment_compact("a-b 1 #use-starttls yes", known) == "a-b 1  use-starttls yes"
    assert _strip_comment_compact("a-b 1 # x-y use-starttls yes", known) == "a-b 1  use-starttls yes"
    assert _strip_comment_compact("a-b 1 #x#use-starttls yes", known) == "a-b 1 "
