# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The value types of the powermta_relay variables (used by pmta_settings and pmta_access).

Each value is written on one line of /etc/pmta/config: strings are refused when they hold a
control or separator character (``settings_values.forbidden_character``), a blank or a character
PowerMTA reads as syntax; values are checked with the linter's own value types (``pmta_config``),
so what this accepts is what ``egress.mail.pmta_config`` accepts once rendered. Every error is a
ValueError whose message starts with the variable's full name; a password is never quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections.abc import Mapping

from ansible_collections.egress.mail.plugins.module_utils import network_policy
from ansible_collections.egress.mail.plugins.module_utils import pmta_config
from ansible_collections.egress.mail.plugins.module_utils.settings_values import forbidden_character
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import validate_password

# The exact spellings of "every address" the template and PowerMTA know as the catch-all source.
CATCH_ALL = ("0/0", "0.0.0.0/0")
# Characters PowerMTA gives a meaning inside a line: a comment, a quote, a stanza tag.
_LINE_SYNTAX = '#"<>'
# A user name or password value: printable, no comment sign, no double quote (PowerMTA has no
# escape), no angle bracket (the linter reads '<' and '>' as stanza tags).
SECRET_FORBIDDEN = '#"<>'
# Booleans the template's `bool` filter reads the same way as this check in every ansible-core:
# a YAML boolean, or exactly one of these strings. ' yes', 'Y' or 'on' would be read one way
# here and another way there (an open relay if require_auth were read as no).
_BOOL_STRINGS = {"yes": True, "true": True, "no": False, "false": False}
_ASCII_RE = re.compile(r"[\x00-\x7f]*")


def check_lines(value, name):
    """Refuse every string holding a bad character, anywhere in nested dicts and lists.

    Bad is what relay_settings refuses in every value, by Unicode category: controls (C0, DEL,
    C1: \\t \\n \\v \\f \\r \\x1c-\\x1e \\x85), format characters (zero-width, bidirectional
    controls and isolates, BOM, soft hyphen, tags), surrogates, line and paragraph separators.
    """
    pending = [(value, name)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            bad = next((char for char in item if forbidden_character(char)), None)
            if bad and where.endswith("password"):
                # Not even the code point: it would tell which character the password holds.
                raise ValueError(
                    "%s: contains a control or separator character; each value is "
                    "written on one line of the PowerMTA configuration" % where
                )
            if bad:
                raise ValueError(
                    "%s: contains the control or separator character U+%04X; each value is "
                    "written on one line of the PowerMTA configuration" % (where, ord(bad))
                )
        elif isinstance(item, Mapping):
            for key in item:
                if not isinstance(key, str):
                    raise ValueError("%s: keys must be strings, got %r" % (where, key))
                pending.append((key, "%s (a key)" % where))
                pending.append((item[key], "%s.%s" % (where, key)))
        elif isinstance(item, (list, tuple)):
            pending.extend((entry, "%s[%d]" % (where, index)) for index, entry in enumerate(item))


def unset(value):
    return value is None or (isinstance(value, str) and value == "")


def dict_list(value, name, keys, required=(), allow_empty=True):
    """A list of dicts with only ``keys``, each holding the ``required`` ones."""
    if value is None:
        value = []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise ValueError("%s: must be a list of dicts, got %s" % (name, type(value).__name__))
    if not value and not allow_empty:
        raise ValueError("%s: needs at least one entry" % name)
    for index, entry in enumerate(value):
        where = "%s[%d]" % (name, index)
        if not isinstance(entry, Mapping):
            raise ValueError("%s: must be a dict, got %s" % (where, type(entry).__name__))
        for key in entry:
            if key not in keys:
                raise ValueError("%s: unknown key '%s' (valid: %s)" % (where, key, ", ".join(keys)))
        for key in required:
            if unset(entry.get(key)):
                raise ValueError("%s.%s: is required" % (where, key))
    return list(value)


def entries(settings, prefix, key, keys, required=(), allow_empty=True):
    """(where, entry) for each entry of the list variable ``prefix + key`` (see dict_list)."""
    name = prefix + key
    for index, entry in enumerate(dict_list(settings.get(key), name, keys, required, allow_empty)):
        yield "%s[%d]" % (name, index), entry


def token(value, name, what, vtype=None, allow_empty=False):
    """A one-token string for the configuration, checked with the linter's own value type.
    None (a role default left unset) counts as the empty string."""
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be %s (a string), got %s" % (name, what, type(value).__name__))
    if value == "":
        if allow_empty:
            return value
        raise ValueError("%s: is empty; it must be %s" % (name, what))
    if any(char.isspace() for char in value) or any(char in value for char in _LINE_SYNTAX):
        raise ValueError("%s: %r must be %s, without blanks or any of %s" % (name, value, what, _LINE_SYNTAX))
    if not _ASCII_RE.fullmatch(value) or (vtype is not None and not pmta_config._check_value(vtype, value)):
        raise ValueError("%s: %r is not %s" % (name, value, what))
    return value


def abs_path(value, name, allow_empty=False):
    path = token(value, name, "an absolute path", "path", allow_empty)
    if path and "//" in path:
        raise ValueError("%s: %r must be a plain absolute path" % (name, value))
    return path


def uint(value, name, minimum=0):
    if isinstance(value, bool):
        raise ValueError("%s: must be an integer, not a boolean" % name)
    if isinstance(value, str) and re.fullmatch("[0-9]{1,9}", value, re.ASCII):
        value = int(value)
    if not isinstance(value, int) or value < minimum:
        raise ValueError("%s: must be an integer of at least %d, got %r" % (name, minimum, value))
    return value


def flag(value, name):
    """A boolean as the template will read it: unset is false; see _BOOL_STRINGS."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _BOOL_STRINGS:
        return _BOOL_STRINGS[value]
    raise ValueError(
        "%s: must be true or false (a YAML boolean, or exactly yes, no, true or false), got %r" % (name, value)
    )


def check_secret(value, name):
    """A password PowerMTA can read back: never quoted in a message, never returned."""
    validate_password(value, name)
    if any(char in value for char in SECRET_FORBIDDEN):
        raise ValueError(
            "%s: must not contain '#', '\"', '<' or '>' (PowerMTA reads '#' as the "
            "start of a comment, '<' and '>' as stanza tags, and has no way to escape a quote)" % name
        )
    if value != value.strip():
        raise ValueError("%s: starts or ends with a blank; remove it (PowerMTA would not keep it)" % name)


def check_user_name(value, name):
    """A user name PowerMTA can read back (after the smarthost layer's user name rule)."""
    if any(char in value for char in SECRET_FORBIDDEN):
        raise ValueError("%s: must not contain '#', '\"', '<' or '>'" % name)


def network(value, name, catch_all=False):
    """A network (plain syntax); the exact catch-all spellings only where ``catch_all`` is allowed."""
    if catch_all and value in CATCH_ALL:
        return None
    if isinstance(value, str) and value.strip() in CATCH_ALL:
        raise ValueError("%s: %r covers every address: an open relay" % (name, value))
    return network_policy.parse_network(value, name, syntax="plain")
