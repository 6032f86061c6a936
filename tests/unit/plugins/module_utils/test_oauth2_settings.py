# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.egress.mail.plugins.module_utils.oauth2_settings import (
    resolve,
    validate_secret,
    validate_tenant,
    validate_token_url,
)
from ansible_collections.egress.mail.plugins.module_utils.providers import PRESETS

P = "postfix_relay_"
OA = P + "oauth2_"
SECRET = "Zk8~q.Secret;with#chars%and spaces"
GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def _s(**kwargs):
    settings = {
        "auth_method": "oauth2",
        "client_id": "0b9e6e0c-1d7e-4c6b-9a38-0123456789ab",
        "client_secret": SECRET,
        "token_url": "https://login.example.com/tenant/oauth2/v2.0/token",
        "scope": "https://outlook.office365.com/.default",
        "username": "alerts@example.com",
        "password": "local",
        "local_password": "local",
        "host": "smtp.example.com",
        "port": 587,
        "sender_dependent": [],
        "listen_port": 11587,
    }
    settings.update(kwargs)
    return settings


def _o365(**kwargs):
    base = _s(provider="office365", tenant="contoso.onmicrosoft.com", host="smtp.office365.com")
    del base["token_url"]
    del base["scope"]
    base.update(kwargs)
    return base


# (id, settings, variable the message must start with, fragment the message must contain)
BAD = [
    ("method-unknown", _s(auth_method="xoauth"), P + "auth_method", "not one of"),
    ("method-not-string", _s(auth_method=True), P + "auth_method", "not one of"),
    ("client-id-missing", _s(client_id=""), OA + "client_id", "required"),
    ("client-id-space", _s(client_id="abc def"), OA + "client_id", "not a client id"),
    ("client-id-newline", _s(client_id="abc\n"), OA + "client_id", "not a client id"),
    ("client-id-int", _s(client_id=12), OA + "client_id", "string"),
    ("secret-missing", _s(client_secret=None), OA + "client_secret", "required"),
    ("secret-blank", _s(client_secret="   "), OA + "client_secret", "required"),
    ("secret-newline", _s(client_secret=SECRET + "\n"), OA + "client_secret", "line break"),
    ("secret-inner-cr", _s(client_secret="abc\rdef"), OA + "client_secret", "line break"),
    ("secret-nul", _s(client_secret="abc\x00def"), OA + "client_secret", "control"),
    ("secret-line-separator", _s(client_secret="abc\u2028def"), OA + "client_secret", "control"),
    ("secret-leading-space", _s(client_secret=" abc"), OA + "client_secret", "whitespace"),
    ("secret-too-long", _s(client_secret="a" * 3000), OA + "client_secret", "longer"),
    ("secret-number", _s(client_secret=123456), OA + "client_secret", "string"),
    ("url-http", _s(token_url="http://login.example.com/token"), OA + "token_url", "https"),
    ("url-ftp", _s(token_url="ftp://login.example.com/token"), OA + "token_url", "https"),
    ("url-userinfo", _s(token_url="https://user:pw@login.example.com/token"), OA + "token_url", "no user info"),
    ("url-fragment", _s(token_url="https://login.example.com/token#x"), OA + "token_url", "fragment"),
    ("url-space", _s(token_url="https://login.example.com/to ken"), OA + "token_url", "whitespace"),
    ("url-newline", _s(token_url="https://login.example.com/token\n"), OA + "token_url", "whitespace"),
    ("url-no-path", _s(token_url="https://login.example.com"), OA + "token_url", "not a URL"),
    ("url-bad-host", _s(token_url="https://login..example.com/token"), OA + "token_url", "empty label"),
    ("url-bad-port", _s(token_url="https://login.example.com:70000/token"), OA + "token_url", "out of range"),
    ("url-missing", _s(token_url=""), OA + "token_url", "required"),
    ("url-and-tenant", _o365(token_url="https://login.example.com/t"), OA + "tenant", "not both"),
    ("tenant-missing", _o365(tenant=None), OA + "tenant", "required"),
    ("tenant-common", _o365(tenant="common"), OA + "tenant", "GUID"),
    ("tenant-injection", _o365(tenant="contoso.com/../x"), OA + "tenant", "'/'"),
    ("tenant-ip", _o365(tenant="10.0.0.1"), OA + "tenant", "IP address"),
    ("tenant-without-preset", _s(tenant=GUID), OA + "tenant", "not both"),
    ("tenant-only-without-preset", _s(tenant=GUID, token_url=None), OA + "token_url", "required"),
    ("scope-missing", _s(scope=None), OA + "scope", "required"),
    ("scope-newline", _s(scope="a\nb"), OA + "scope", "not an OAuth 2.0 scope"),
    ("scope-quote", _s(scope='a"b'), OA + "scope", "not an OAuth 2.0 scope"),
    ("mailbox-missing", _s(username=None), P + "username", "mailbox"),
    ("mailbox-no-at", _s(username="alerts"), P + "username", "not a mailbox"),
    ("mailbox-bracket", _s(username="a]b@example.com"), P + "username", "not a mailbox"),
    ("mailbox-bad-domain", _s(username="a@example..com"), P + "username", "empty label"),
    ("own-password", _s(password="mailbox password"), P + "password", "leave it unset"),
    ("sender-dependent", _s(sender_dependent=[{"sender": "@x.example"}]), P + "sender_dependent", "cannot"),
    ("port-auto", _s(port="auto"), P + "port", "'auto'"),
    ("port-465", _s(port=465), P + "port", "implicit TLS"),
    ("listen-port-bad", _s(listen_port=0), OA + "listen_port", "out of range"),
    ("provider-gmail", _s(provider="gmail"), P + "auth_method", "service account"),
    ("provider-sendgrid", _s(provider="sendgrid"), P + "auth_method", "no OAuth 2.0 support"),
    ("unknown-key", _s(refresh_token="x"), OA + "refresh_token", "unknown"),
    ("password-method-with-oauth-var", {"auth_method": "password", "client_id": "abc"}, OA + "client_id", "set "),
]


@pytest.mark.parametrize("case_id, settings, variable, fragment", BAD, ids=[c[0] for c in BAD])
def test_bad_settings_name_the_variable(case_id, settings, variable, fragment):
    with pytest.raises(ValueError) as exc:
        resolve(settings, P)
    message = str(exc.value)
    assert message.startswith(variable + ":"), message
    assert fragment in message, message
    assert SECRET not in message and "mailbox password" not in message


def test_not_a_dict():
    with pytest.raises(ValueError, match="must be a dict"):
        resolve(["auth_method"], P)


def test_password_method_is_disabled():
    assert resolve({"auth_method": "password"}, P) == {"enabled": False}
    assert resolve({}, P) == {"enabled": False}


def test_office365_password_warns_with_the_date():
    result = resolve({"auth_method": "password", "provider": "office365"}, P)
    assert result["enabled"] is False
    assert "MC786329" in result["warning"] and "end of December 2026" in result["warning"]
    assert "postfix_relay_auth_method: oauth2" in result["warning"]
    assert "warning" not in resolve({"auth_method": "password", "provider": "sendgrid"}, P)


def test_custom_endpoint():
    result = resolve(_s(), P)
    assert result == {
        "enabled": True,
        "mailbox": "alerts@example.com",
        "client_id": "0b9e6e0c-1d7e-4c6b-9a38-0123456789ab",
        "token_url": "https://login.example.com/tenant/oauth2/v2.0/token",
        "scope": "https://outlook.office365.com/.default",
        "upstream_host": "smtp.example.com",
        "upstream_port": 587,
        "listen_port": 11587,
        "relay": {
            "host": "127.0.0.1",
            "port": 11587,
            "wrappermode": False,
            "tls_security_level": "encrypt",
            "password_set": True,
        },
    }
    assert SECRET not in repr(result)


@pytest.mark.parametrize(
    "tenant, expected",
    [
        ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
        ("Contoso.COM", "contoso.com"),
        (GUID.upper(), GUID),
    ],
)
def test_office365_builds_the_token_url(tenant, expected):
    result = resolve(_o365(tenant=tenant), P)
    assert result["token_url"] == "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % expected
    assert result["scope"] == PRESETS["office365"]["oauth2"]["scope"] == "https://outlook.office365.com/.default"


def test_office365_scope_can_be_given():
    assert (
        resolve(_o365(scope="https://outlook.office.com/.default"), P)["scope"] == "https://outlook.office.com/.default"
    )


def test_own_prefix_for_the_proxy_role():
    with pytest.raises(ValueError) as exc:
        resolve(_s(client_id=None), "oauth2_proxy_", "oauth2_proxy_")
    assert str(exc.value).startswith("oauth2_proxy_client_id:")


@pytest.mark.parametrize(
    "url",
    [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
        "https://oauth2-smarthost:8443/token",
        "https://10.0.0.5/token?tenant=x",
        "https://[2001:db8::1]:8443/t",
    ],
)
def test_good_urls(url):
    assert validate_token_url(url, "v") == url


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_secrets_with_breaks_are_refused_and_never_quoted(text):
    secret = "S3cr" + text + "\n"
    with pytest.raises(ValueError) as exc:
        validate_secret(secret, OA + "client_secret")
    assert str(exc.value).startswith(OA + "client_secret:")
    assert secret.strip() not in str(exc.value) or len(secret.strip()) < 5


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200))
def test_printable_secrets_are_accepted(text):
    assert validate_secret(text, "v") == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_token_url_is_https_or_refused(text):
    try:
        url = validate_token_url(text, "v")
    except ValueError:
        return
    assert url.startswith("https://") and "#" not in url and "@" not in url.split("/")[2]


@pytest.mark.parametrize("tenant", ["", "organizations", "a b.com", "x" * 300 + ".com", "-bad.com"])
def test_bad_tenants(tenant):
    with pytest.raises(ValueError):
        validate_tenant(tenant, "v")


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u200e", "\u2060", "\u00ad"])
def test_secrets_with_invisible_format_characters_are_refused(invisible):
    """Pasted from a portal: a zero-width space, a byte order mark or a direction mark in the
    secret would be sent as part of it."""
    with pytest.raises(ValueError) as exc:
        validate_secret("Abc~def" + invisible + "ghi.jkl", OA + "client_secret")
    assert str(exc.value).startswith(OA + "client_secret:") and "Abc~def" not in str(exc.value)
