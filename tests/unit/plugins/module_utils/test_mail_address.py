# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plugins/module_utils/mail_address.py: the one address rule, called directly.

relay_settings applies it to every address variable (test_relay_settings.py, test_relay_properties.py);
here are the accepted and refused forms themselves, each error starting with the variable's name."""

import pytest

from ansible_collections.egress.mail.plugins.module_utils.mail_address import (
    check_address,
    check_domain,
    check_local_part,
)


@pytest.mark.parametrize(
    "value, form, expected",
    [
        ("App.Alerts+x@Example.COM.", "address", "App.Alerts+x@example.com"),
        ("a_b=c-d@mail.example.net", "address", "a_b=c-d@mail.example.net"),
        ("@Example.com", "sender", "@example.com"),
        ("app@example.com", "sender", "app@example.com"),
        ("postmaster", "key", "postmaster"),
        ("@example.com", "key", "@example.com"),
    ],
    ids=["address-lowercases-domain", "address-atext", "sender-domain", "sender-address", "key-local", "key-domain"],
)
def test_accepted_forms(value, form, expected):
    assert check_address(value, "var", form) == expected


@pytest.mark.parametrize(
    "value, form, message",
    [
        ("|/bin/sh@x.test", "address", "var: '|/bin/sh@x.test': the character '|' is not allowed in the local part"),
        (":include:/etc/x", "key", "var: ':include:/etc/x': the character ':' is not allowed in the local part"),
        ('"a"@x.test', "address", "var: '\"a\"@x.test': the character '\"' is not allowed in the local part"),
        ("a%b@x.test", "address", "var: 'a%b@x.test': the character '%' is not allowed in the local part"),
        ("a@b@c.test", "address", "var: 'a@b@c.test' must be an address local@domain (one @)"),
        ("@x.test", "address", "var: '@x.test' must be a full address local@domain"),
        ("root", "address", "var: 'root' must be an address local@domain"),
        ("root", "sender", "var: 'root' must be an address local@domain or a domain written as @domain"),
        ("a@", "address", "var: 'a@' has no domain after @"),
        (".a@x.test", "address", "var: '.a@x.test': the local part must be dot-separated words"),
        ("a..b@x.test", "address", "var: 'a..b@x.test': the local part must be dot-separated words"),
        ("a" * 65 + "@x.test", "address", "has a local part longer than 64 characters"),
        ("a@x..test", "address", "var: 'x..test' has an empty label"),
        ("a@x.123", "address", "var: 'x.123' is not a valid domain (the last label is all digits)"),
        ("a@-x.test", "address", "var: '-x.test' has a label that starts or ends with '-'"),
        ("a@x_y.test", "address", "var: 'x_y.test' contains the invalid character '_'"),
        ("a@" + "x" * 64 + ".test", "address", "has a label longer than 63 characters"),
        ("", "address", "var: is empty"),
        (True, "address", "var: must be an address local@domain (a string), got bool"),
        ("a@x.test", "other", "var: unknown address form 'other'"),
    ],
    ids=[
        "pipe",
        "include",
        "quoted",
        "percent-hack",
        "two-at",
        "no-local",
        "no-at",
        "sender-no-at",
        "no-domain",
        "leading-dot",
        "double-dot",
        "long-local",
        "empty-label",
        "numeric-tld",
        "hyphen-label",
        "underscore-domain",
        "long-label",
        "empty",
        "bool",
        "unknown-form",
    ],
)
def test_refused_forms_name_the_variable(value, form, message):
    with pytest.raises(ValueError) as info:
        check_address(value, "var", form)
    assert str(info.value).startswith("var: ") and message in str(info.value)


def test_domain_and_local_part_alone():
    assert check_domain("Mail.Example.NET.", "var") == "mail.example.net"
    assert check_local_part("first.last+tag", "var") == "first.last+tag"
    with pytest.raises(ValueError, match="^var: the domain must be a string, got int$"):
        check_domain(25, "var")
    with pytest.raises(ValueError, match="^var: 'a.1' is not a valid domain \\(the last label is all digits\\)$"):
        check_domain("a.1", "var")
    with pytest.raises(ValueError, match="^var: '' has an empty local part$"):
        check_local_part("", "var")
