# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The values layer of the role settings: text, booleans and the shapes of dicts and lists.

Used by every settings module (``relay_settings`` and its layers, ``pmta_settings``,
``oauth2_settings``). One rule refuses control characters and line separators in every value
(``forbidden_character``, ``check_text``, ``check_text_values``); the other helpers check a
value's type and shape. Every error is a ValueError whose message starts with the variable's
name; a secret is never quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from collections.abc import Mapping, Sequence

DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_TRUE_STRINGS = ("yes", "true", "on", "1", "y")
_FALSE_STRINGS = ("no", "false", "off", "0", "n", "")
# Unicode categories refused in every value: control (Cc: C0, DEL and C1, so \t \n \r \v \f
# \x1c-\x1e and \x85, every line break of Python's str.splitlines() but two), format (Cf:
# zero-width and bidi controls that hide text), surrogates (Cs), line and paragraph separators
# (Zl, Zp: U+2028, U+2029, the other two).
_FORBIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def check_settings_dict(settings, prefix, label, what, pattern="*"):
    """The arguments of a settings check: ``prefix`` a string, ``settings`` a dict.

    ``label`` names the settings while the prefix is unknown, ``what`` names them in
    ``<prefix><pattern>: <what> must be a dict``.
    """
    if not isinstance(prefix, str):
        raise ValueError("%s: the variable prefix must be a string" % label)
    if not isinstance(settings, Mapping):
        raise ValueError("%s%s: %s must be a dict, got %s" % (prefix, pattern, what, type(settings).__name__))


def is_unset(value):
    """None, an empty or blank string count as 'not set'."""
    if value is None:
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    return False


def forbidden_character(ch):
    """True for a character refused in every value (see _FORBIDDEN_CATEGORIES)."""
    return unicodedata.category(ch) in _FORBIDDEN_CATEGORIES


def has_control(value):
    return any(forbidden_character(ch) for ch in value)


def has_newline(value):
    return "\n" in value or "\r" in value


def check_text(value, name, secret=False):
    """Refuse a string holding a newline, a control or format character or a line separator.

    The message names the variable and, unless ``secret``, the code point; it never quotes
    the value.
    """
    for ch in value:
        if ch in "\n\r":
            raise ValueError(
                "%s: contains a newline%s"
                % (name, " (check for a trailing line break from a file or vault)" if secret else "")
            )
        if forbidden_character(ch):
            if secret:
                raise ValueError("%s: contains a control character or line separator" % name)
            raise ValueError(
                "%s: contains a control character or line separator (U+%04X), refused in every "
                "value written to a configuration file" % (name, ord(ch))
            )
    return value


def _is_secret(path):
    return path and path[-1] == "password"


def check_text_values(value, name, path=()):
    """``check_text`` on every string in ``value`` (dict keys too), nested lists and dicts included.

    A key of a dict is never quoted in the message (it could be anything); values of a key
    ``password`` are treated as secrets.
    """
    if isinstance(value, str):
        check_text(value, name, secret=_is_secret(path))
    elif isinstance(value, Mapping):
        for key in value:
            if isinstance(key, str):
                check_text(key, "%s (a key)" % name)
            sub = key if isinstance(key, str) else str(key)
            check_text_values(value[key], "%s.%s" % (name, sub), path + (sub,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_text_values(item, "%s[%d]" % (name, index), path + (index,))


def require_str(value, name, what):
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be %s (a string), got %s" % (name, what, type(value).__name__))
    return value


def check_token(value, name, what):
    """Common checks for short single-token strings (host names, user names)."""
    if has_newline(value):
        raise ValueError("%s: %s contains a newline" % (name, what))
    if has_control(value):
        raise ValueError("%s: %s contains a control character or line separator" % (name, what))
    if any(ch.isspace() for ch in value):
        raise ValueError("%s: %s contains whitespace" % (name, what))


def to_bool(value, name):
    """Interpret a boolean setting strictly (bool, or yes/no/true/false strings)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_STRINGS:
        return False
    raise ValueError("%s: must be a boolean (true or false), got %r" % (name, value))


def dict_keys(value, name, shape, what, noun):
    """The keys of a dict variable, sorted, each checked as it is handed out: a non-empty string
    without control characters (``what`` and ``noun`` name it in errors). Nothing when unset."""
    if is_unset(value):
        return
    if not isinstance(value, Mapping):
        raise ValueError("%s: must be a dict %s, got %s" % (name, shape, type(value).__name__))
    for key in sorted(value, key=str):
        if not isinstance(key, str) or key.strip() == "":
            raise ValueError("%s: %r is not %s" % (name, key, what))
        check_token(key, name, noun)
        yield key


def entry_list(value, name, keys):
    """A list variable of dict entries (sender-dependent or fallback relays): [] when unset."""
    if is_unset(value):
        return []
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise ValueError("%s: must be a list of dicts (keys: %s)" % (name, ", ".join(keys)))
    return list(value)


def check_entry(entry, name, keys):
    """One entry of such a list: a dict holding only ``keys``."""
    if not isinstance(entry, Mapping):
        raise ValueError("%s: must be a dict (keys: %s)" % (name, ", ".join(keys)))
    for key in sorted(entry, key=str):
        if key not in keys:
            raise ValueError("%s: unknown key '%s' (valid keys: %s)" % (name, key, ", ".join(keys)))
    return entry
