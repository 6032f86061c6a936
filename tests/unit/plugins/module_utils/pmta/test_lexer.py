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
