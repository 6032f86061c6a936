# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Mail addresses the roles write into aliases and lookup tables: one rule, used everywhere.

An address is ``local@domain``: the local part a dot-atom made of a safe subset of RFC 5322
``atext`` (letters, digits, ``+``, ``-``, ``_``, ``=``; each atom starts with a letter or digit;
at most 64 characters), the domain a host name (RFC 1123 labels, returned lower-cased without a
trailing dot). Everything else in ``atext`` is left out on purpose: ``|`` and ``/`` make an
alias run a command or append to a file, ``:include:`` reads a file, ``#`` starts a comment in a
lookup table, ``$``, ``{``, ``}`` and quotes are expanded or quoted by local(8) and shells,
``%`` and ``!`` route mail (percent hack, bang paths). No quoted local parts, no comments, no
display names, no lists, no non-ASCII.

Every error is a ValueError whose message starts with the variable's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MAX_LOCAL_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
LOCAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+=_-]*(?:\.[A-Za-z0-9][A-Za-z0-9+=_-]*)*", re.ASCII)
LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_FORMS = {
    "address": "an address local@domain",
    "sender": "an address local@domain or a domain written as @domain",
    "key": "an address local@domain, a domain written as @domain, or a local part",
}


def check_domain(value, name, what="domain"):
    """An RFC 1123 host name -> lower-cased, without a trailing dot."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: the %s must be a string, got %s" % (name, what, type(value).__name__))
    text = value[:-1] if value.endswith(".") else value
    if not text:
        raise ValueError("%s: %r is not a valid %s" % (name, value, what))
    if len(text) > MAX_DOMAIN_LENGTH:
        raise ValueError("%s: the %s is longer than %d characters" % (name, what, MAX_DOMAIN_LENGTH))
    labels = text.split(".")
    for label in labels:
        if label == "":
            raise ValueError("%s: %r has an empty label (two dots in a row, or a leading dot)" % (name, value))
        if len(label) > 63:
            raise ValueError("%s: %r has a label longer than 63 characters" % (name, value))
        if not LABEL_RE.fullmatch(label):
            bad = [ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch == "-"))]
            if bad:
                raise ValueError(
                    "%s: %r contains the invalid character %r (allowed: letters, digits, "
                    "'-' and '.')" % (name, value, bad[0])
                )
            raise ValueError("%s: %r has a label that starts or ends with '-'" % (name, value))
    if DIGITS_RE.fullmatch(labels[-1]):
        raise ValueError("%s: %r is not a valid %s (the last label is all digits)" % (name, value, what))
    return text.lower()


def check_local_part(value, name, whole=None):
    """The local part of an address: a dot-atom of letters, digits and + - _ =."""
    shown = value if whole is None else whole
    if value == "":
        raise ValueError("%s: %r has an empty local part" % (name, shown))
    if len(value) > MAX_LOCAL_LENGTH:
        raise ValueError("%s: %r has a local part longer than %d characters" % (name, shown, MAX_LOCAL_LENGTH))
    if not LOCAL_RE.fullmatch(value):
        bad = [ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch in "+=_-."))]
        if bad:
            raise ValueError(
                "%s: %r: the character %r is not allowed in the local part (plain addresses "
                "only: letters, digits, . + - _ =; no pipes, paths, :include:, quotes or "
                "expansions)" % (name, shown, bad[0])
            )
        raise ValueError(
            "%s: %r: the local part must be dot-separated words that start with a letter or digit "
            "(no leading, trailing or double dots)" % (name, shown)
        )
    return value


def check_address(value, name, form="address"):
    """One address, in one of the forms of ``_FORMS``: returned with the domain lower-cased.

    ``address``: local@domain; ``sender``: local@domain or @domain (sender-dependent keys);
    ``key``: also a bare local part (the left side of smtp_generic_maps).
    """
    if form not in _FORMS:
        raise ValueError("%s: unknown address form %r" % (name, form))
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be %s (a string), got %s" % (name, _FORMS[form], type(value).__name__))
    if value == "":
        raise ValueError("%s: is empty" % name)
    if value.count("@") > 1:
        raise ValueError("%s: %r must be %s (one @)" % (name, value, _FORMS[form]))
    if "@" not in value:
        if form != "key":
            raise ValueError("%s: %r must be %s" % (name, value, _FORMS[form]))
        return check_local_part(value, name)
    local, domain = value.split("@")
    if local == "" and form == "address":
        raise ValueError("%s: %r must be a full address local@domain" % (name, value))
    if local != "":
        check_local_part(local, name, value)
    if domain == "":
        raise ValueError("%s: %r has no domain after @" % (name, value))
    return "%s@%s" % (local, check_domain(domain, name))
