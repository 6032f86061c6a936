# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/secrets.py (masking passwords in texts and diffs).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

import pytest

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.tests.unit.helpers.pmta_texts import (
    cfg,
    GOOD,
    SEED_SMTP_USER,
    SECRET,
    SEPARATORS,
    HEAD,
    DOMAIN,
)


def test_mask_secrets():
    text = cfg("""
        <smtp-user app>
            password   hunter2   # keep this comment
            authentication-method password
        </smtp-user>
        <domain *>
            auth-password "a b c"
            auth-username hunter
        </domain>
    """)
    masked = pc.mask_secrets(text)
    assert "hunter2" not in masked and "a b c" not in masked
    assert "keep this comment" not in masked  # a '#' may belong to the password: masked to the end
    assert "    password   ********\n" in masked
    assert "authentication-method password\n" in masked
    assert "auth-password ********\n" in masked
    assert "auth-username hunter\n" in masked
    assert masked.count(pc.MASK) == 2


def test_mask_secrets_unquoted_spaces_and_compact_text():
    assert pc.mask_secrets("auth-password my secret words\n") == "auth-password ********\n"
    masked = pc.mask_secrets(SEED_SMTP_USER)
    assert "barbaz" not in masked
    assert masked.startswith("<smtp-user foo> password ********")


def test_mask_secrets_empty():
    assert pc.mask_secrets("") == ""
    assert pc.mask_secrets(None) is None


def test_secret_values():
    assert pc.secret_values(GOOD) == ['"two words"', "s3cret-Value"]


def test_masked_diff_hides_passwords_and_shows_changes():
    after = GOOD.replace("s3cret-Value", "n3w-Value").replace(":587", ":2525")
    diff = pc.masked_diff(GOOD, after, "/etc/pmta/config")
    text = "\n".join(diff)
    assert "s3cret" not in text and "n3w" not in text
    assert "-    smtp-hosts smtp.example.net:587" in diff
    assert "+    smtp-hosts smtp.example.net:2525" in diff
    assert diff[0] == "--- /etc/pmta/config (current)"


def test_masked_diff_empty_when_only_secrets_change():
    assert pc.masked_diff(GOOD, GOOD.replace("s3cret-Value", "other")) == []


@pytest.mark.parametrize("sep", SEPARATORS + ["\t", " \t "], ids=repr)
def test_mask_and_diff_hide_a_password_after_any_blank(sep):
    text = HEAD + DOMAIN.replace("auth-password PASSWORD", "auth-password" + sep + SECRET)
    assert SECRET not in pc.mask_secrets(text)
    assert SECRET not in "\n".join(pc.masked_diff("", text))
    assert pc.secret_values(text) == [SECRET]


# --- mutation testing (issue 21): the diff whole, a secret name with no value ---------------------


def test_masked_diff_is_exact_with_and_without_a_final_newline_and_an_absent_side():
    assert pc.masked_diff("a\nauth-password x\n", "a\nauth-password y\nb") == [
        "--- config (current)",
        "+++ config (new)",
        "@@ -1,2 +1,3 @@",
        " a",
        " auth-password ********",
        "+b",
    ]
    assert pc.masked_diff(None, "a\n") == ["--- config (current)", "+++ config (new)", "@@ -0,0 +1 @@", "+a"]
    assert pc.masked_diff("a\n", None, "/etc/pmta/config") == [
        "--- /etc/pmta/config (current)",
        "+++ /etc/pmta/config (new)",
        "@@ -1 +0,0 @@",
        "-a",
    ]


@pytest.mark.parametrize("line", ["    auth-password", "auth-password \t", "password"])
def test_a_secret_name_without_a_value_has_nothing_to_mask(line):
    assert pc.mask_secrets(line) == line
    assert pc.secret_values(line) == []
