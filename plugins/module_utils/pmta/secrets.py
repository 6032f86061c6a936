# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration secrets: the values of password directives, masked in a text and in a
diff, whatever blank follows the directive name.

module_utils/pmta_config is the linter's public face."""

from __future__ import annotations

import difflib

from ansible_collections.egress.mail.plugins.module_utils.pmta.schema import (
    MASK,
    _SECRET_NAME_RE,
)


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------


def _secret_spans(line):
    """(start, end) of the secret value in one line: from the first secret directive name and
    its blanks to the end of the line, comments included (a '#' may belong to the password),
    trailing blanks excluded.  One pass over the line."""
    match = _SECRET_NAME_RE.search(line)
    if match is None:
        return []
    start = match.end()
    while start < len(line) and line[start].isspace():
        start += 1
    stop = len(line[start:].rstrip())
    return [(start, start + stop)] if stop else []


def _mask_line(line, mask):
    out = []
    position = 0
    for start, end in _secret_spans(line):
        out.append(line[position:start])
        out.append(mask)
        position = end
    out.append(line[position:])
    return "".join(out)


def mask_secrets(text, mask=MASK):
    """Replace the values of auth-password and password with a mask.

    Everything after the directive name up to the end of the line, a comment
    included, is masked, so a value with spaces or a '#' never leaks half-masked.  Lines end at
    "\n" only, and any other whitespace (\v, \f, U+2028...) counts as a blank
    inside the line, so no spelling leaves part of a password unmasked.
    """
    if not text:
        return text
    return "\n".join(_mask_line(line, mask) for line in text.split("\n"))


def secret_values(text):
    """The values that mask_secrets() hides, in order (for change detection only)."""
    found = []
    for line in (text or "").split("\n"):
        found.extend(line[start:end] for start, end in _secret_spans(line))
    return found


def _split_lines(text):
    """Lines split at "\n" only (no empty last line for a final "\n", like splitlines())."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def masked_diff(before, after, path="config"):
    """Unified diff (list of lines) of two configurations with secrets masked."""
    return list(
        difflib.unified_diff(
            _split_lines(mask_secrets(before or "")),
            _split_lines(mask_secrets(after or "")),
            fromfile="%s (current)" % path,
            tofile="%s (new)" % path,
            lineterm="",
        )
    )
