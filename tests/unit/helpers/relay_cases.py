# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared cases of the relay settings tests: the role prefix, a password with the characters
that break naive quoting, a minimal settings dict, and the check that a value is refused with a
message naming the variable and never quoting the password."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.plugins.module_utils.relay_settings import resolve

P = "postfix_relay_"
SECRET = "p:a ss#w0rd$%"
BASE = {"host": "smtp.example.net", "username": "u", "password": SECRET}


def settings(**kwargs):
    """A relay on smtp.example.com with the given settings added."""
    result = {"host": "smtp.example.com"}
    result.update(kwargs)
    return result


def refused(extra, name, fragment="", base=None, secret=SECRET):
    """resolve() of ``base`` (BASE) updated with ``extra`` raises a ValueError starting with
    ``name``, containing ``fragment`` and not ``secret``; returns the message."""
    settings = dict(BASE if base is None else base)
    settings.update(extra)  # keys that are not strings too
    with pytest.raises(ValueError) as exc:
        resolve(settings, P)
    message = str(exc.value)
    assert message.startswith(name), message
    assert fragment in message, message
    assert secret not in message
    return message


def assert_message(call, message):
    """``call()`` raises ValueError with exactly ``message`` (not a search in it: text around
    the message, or a changed word, fails)."""
    with pytest.raises(ValueError) as exc:
        call()
    assert str(exc.value) == message
