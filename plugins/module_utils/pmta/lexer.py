# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration language, the lexing: lines (split on "\\n" only, as PowerMTA does),
blanks and tokens, comments, stanza tags, and the characters that read differently to PowerMTA
and to Python.

Layer 2 of the linter, under pmta.parser; module_utils/pmta_config is its public face."""

from __future__ import annotations

import re

# PowerMTA separates tokens with spaces and tabs and lines with "\n" only.
_BLANKS = " \t"
# A line holding one of these characters reads differently to PowerMTA and to Python
# (str.splitlines() breaks at \v \f \x1c-\x1e \x85 \u2028 \u2029): refused, never quoted.
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\u200b-\u200f\u202a-\u202e\u2060-\u2064]")
_TOKEN_RE = re.compile(r"[^ \t]+")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*", re.ASCII)


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------


def split_tokens(text):
    """Split on whitespace; double quotes group words ("" is an empty value)."""
    tokens = []
    current = []
    in_quotes = False
    had_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
            had_quotes = True
        elif char in _BLANKS and not in_quotes:
            if current or had_quotes:
                tokens.append("".join(current))
            current, had_quotes = [], False
        else:
            current.append(char)
    if current or had_quotes:
        tokens.append("".join(current))
    return tokens


# --------------------------------------------------------------------------
# Lines, comments, tags
# --------------------------------------------------------------------------


def _lines(text):
    """(number, line) pairs: split on "\n" only, as PowerMTA does; a "\r" before it is dropped."""
    for lineno, raw in enumerate(text.split("\n"), 1):
        yield lineno, raw[:-1] if raw.endswith("\r") else raw


def _strip_comment(text):
    index = text.find("#")
    return text if index < 0 else text[:index]


def _strip_comment_compact(text, is_directive_name):
    """Comment removal for text whose line breaks were lost.

    A ``#`` comment normally runs to the end of the line.  In collapsed text
    it would swallow the directives that followed it on later lines, so here a
    comment ends at the next hyphenated directive name (``use-starttls``,
    ``require-starttls``...).  Plain words (``password``, ``source``) do not
    end a comment.  Best effort, only used with ``compact=True``.
    Linear in the text: every character is looked at a bounded number of times.
    ``is_directive_name(token)`` says whether a token is a directive name.
    """
    out = []
    position = 0
    while True:
        index = text.find("#", position)
        if index < 0:
            out.append(text[position:])
            break
        out.append(text[position:index])
        resume = None
        for match in _TOKEN_RE.finditer(text, index + 1):
            token = match.group(0)
            if "-" in token and is_directive_name(token):
                resume = match.start()
                break
        if resume is None:
            break
        out.append(" ")
        position = resume
    return "".join(out)


def _parse_tag(text, start=0, end=None):
    """The stanza tag ``<name arg>`` or ``</name>`` at ``text[start]``.

    Returns (closing, name, arg or None, index after '>') or None.  ``end`` is
    the index of the first '>' at or after ``start`` (found when None).  No
    regular expression with nested repeats: the cost is the tag's own length.
    """
    if end is None:
        end = text.find(">", start)
    if end < 0 or text.find("<", start + 1, end) >= 0:
        return None
    inner = text[start + 1 : end]
    closing = inner.startswith("/")
    if closing:
        inner = inner[1:]
    match = _TAG_NAME_RE.match(inner)
    if match is None:
        return None
    rest = inner[match.end() :]
    if rest and rest[0] not in _BLANKS:
        return None
    return closing, match.group(0), rest.strip(_BLANKS) or None, end + 1


def _find_tags(text):
    """Every stanza tag in a line: a list of (start, (closing, name, arg, end))."""
    found = []
    position = 0
    close = -1
    while True:
        start = text.find("<", position)
        if start < 0:
            return found
        if close < start:
            close = text.find(">", start)
            if close < 0:
                return found
        tag = _parse_tag(text, start, close)
        if tag is None:
            position = start + 1
            continue
        found.append((start, tag))
        position = tag[3]
