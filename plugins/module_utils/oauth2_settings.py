# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate the OAuth 2.0 (client credentials) settings of a relay.

Used through the ``egress.mail.oauth2_settings`` filter by ``postfix_relay``: with
``auth_method: oauth2`` the relay goes through the local Email OAuth 2.0 Proxy (role
``egress.mail.oauth2_proxy``), which fetches tokens from ``token_url`` and logs in to the
smarthost with ``AUTH XOAUTH2``. Every error is a ValueError whose message starts with the full
name of the offending variable; the client secret is checked but never returned or quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


from ansible_collections.egress.mail.plugins.module_utils.net_values import is_ip_address, validate_host, validate_port
from ansible_collections.egress.mail.plugins.module_utils.providers import PRESETS
from ansible_collections.egress.mail.plugins.module_utils.settings_values import (
    check_settings_dict,
    has_control,
    is_unset,
)
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import WRAPPER_PORT

AUTH_METHODS = ("password", "oauth2")
SETTINGS_KEYS = (
    "auth_method",
    "client_id",
    "client_secret",
    "token_url",
    "tenant",
    "scope",
    "provider",
    "username",
    "password",
    "local_password",
    "host",
    "port",
    "sender_dependent",
    "listen_port",
)
PROXY_ADDRESS = "127.0.0.1"
MAX_SECRET_LENGTH = 2048
MAX_URL_LENGTH = 2048

_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/:@-]{0,255}")
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# https://host[:port]/path[?query]: no user info, no fragment, no spaces; host checked on its own.
_URL_RE = re.compile(
    r"https://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[A-Za-z0-9._~!$&\'()*+,;=:@/%-]*)(?:\?(?P<query>[A-Za-z0-9._~!$&\'()*+,;=:@/?%-]*))?"
)
_SCOPE_RE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*")
# The mailbox names a section of the proxy's INI file and is the SMTP login: a plain address.
_MAILBOX_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")
# What each pattern stands for, in "<variable>: <value> is not <what>".
_CLIENT_ID_WHAT = (
    "a client id (letters, digits and ._~+/:@-, at most 256 characters; "
    "for Microsoft Entra the application (client) ID, a GUID)"
)
_SCOPE_WHAT = "an OAuth 2.0 scope (space-separated printable tokens, e.g. https://outlook.office365.com/.default)"
_MAILBOX_WHAT = "a mailbox address (user@domain): with OAuth 2.0 it is the mailbox the mail is sent as"


def _string(value, name):
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be a string (quote it in YAML), got %s" % (name, type(value).__name__))
    return value


def _matching(value, name, pattern, what, max_length=None):
    """A string that ``pattern`` matches as a whole (at most ``max_length`` characters)."""
    _string(value, name)
    if not pattern.fullmatch(value) or (max_length is not None and len(value) > max_length):
        raise ValueError("%s: %r is not %s" % (name, value, what))
    return value


def validate_secret(value, name):
    """A client secret: printable, no line break, no surrounding space (the INI file strips it)."""
    _string(value, name)
    if value == "":
        raise ValueError("%s: is empty" % name)
    if "\n" in value or "\r" in value:
        raise ValueError("%s: contains a line break (check for a trailing newline from a file or vault)" % name)
    if has_control(value):
        raise ValueError("%s: contains a control or invisible format character" % name)
    if value != value.strip():
        raise ValueError("%s: starts or ends with whitespace" % name)
    if len(value) > MAX_SECRET_LENGTH:
        raise ValueError("%s: is longer than %d characters" % (name, MAX_SECRET_LENGTH))
    return value


def validate_client_id(value, name):
    return _matching(value, name, _CLIENT_ID_RE, _CLIENT_ID_WHAT)


def validate_token_url(value, name):
    """An https URL without user info or fragment; returns it unchanged."""
    _string(value, name)
    if len(value) > MAX_URL_LENGTH:
        raise ValueError("%s: is longer than %d characters" % (name, MAX_URL_LENGTH))
    if has_control(value) or any(ch.isspace() for ch in value):
        raise ValueError("%s: contains whitespace or a control character" % name)
    if not value.lower().startswith("https://"):
        raise ValueError("%s: %r must be an https:// URL (the client secret is sent to it)" % (name, value))
    match = _URL_RE.fullmatch(value)
    if not match:
        raise ValueError(
            "%s: %r is not a URL of the form https://host[:port]/path[?query] (no user info, "
            "no fragment)" % (name, value)
        )
    host = match.group("host")
    validate_host(host[1:-1] if host.startswith("[") else host, name)
    if match.group("port") is not None:
        validate_port(match.group("port"), name, allow_auto=False)
    return value


def validate_tenant(value, name):
    """A Microsoft Entra tenant: its ID (a GUID) or one of its domains (contoso.onmicrosoft.com)."""
    _string(value, name)
    if _GUID_RE.fullmatch(value):
        return value.lower()
    if "." not in value:
        raise ValueError(
            "%s: %r is neither a tenant ID (GUID) nor a domain such as contoso.onmicrosoft.com "
            "(client credentials need a specific tenant, not 'common' or 'organizations')" % (name, value)
        )
    host = validate_host(value, name)
    if is_ip_address(host):
        raise ValueError("%s: %r is an IP address, not a tenant domain" % (name, value))
    return host


def validate_scope(value, name):
    return _matching(value, name, _SCOPE_RE, _SCOPE_WHAT, 1024)


def validate_mailbox(value, name):
    _matching(value, name, _MAILBOX_RE, _MAILBOX_WHAT)
    domain = value.rsplit("@", 1)[1]
    validate_host(domain, name)
    return value


def basic_auth_warning(provider, retirement, variable):
    """The warning for a password login to a provider that retires Basic authentication."""
    return (
        "provider '%s' with a password: %s says Basic authentication for SMTP AUTH is disabled by default "
        "at the %s (update of %s, %s); set %s: oauth2 (client credentials) before then"
        % (
            provider,
            retirement["announcement"],
            retirement["date"],
            retirement["updated"],
            retirement["source"],
            variable,
        )
    )


def resolve(settings, prefix="", oauth2_prefix=None):
    """Check the OAuth 2.0 settings; see the module docstring.

    ``settings`` keys: auth_method, client_id, client_secret, token_url, tenant, scope, provider,
    username, password, local_password, host, port (the smarthost's, as resolved by
    relay_settings), sender_dependent, listen_port (the proxy's). Variables are named
    ``prefix + key``, the OAuth 2.0 ones ``oauth2_prefix + key`` (default ``prefix + 'oauth2_'``).

    Returns ``{'enabled': False}`` for the password method. For oauth2: enabled, mailbox,
    client_id, token_url, scope, upstream_host, upstream_port, listen_port and ``relay``, the
    settings that replace the smarthost in the relay settings (the proxy on loopback with
    STARTTLS). Secrets are not returned.
    """
    check_settings_dict(settings, prefix, "oauth2 settings", "the OAuth 2.0 settings", "oauth2_*")

    def var(key):
        return prefix + key

    if oauth2_prefix is None:
        oauth2_prefix = prefix + "oauth2_"
    if not isinstance(oauth2_prefix, str):
        raise ValueError("oauth2 settings: the variable prefix must be a string")

    def oauth_var(key):
        return oauth2_prefix + key

    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError(
                "%s: unknown OAuth 2.0 setting '%s' (valid: %s)"
                % (oauth2_prefix + str(key), key, ", ".join(SETTINGS_KEYS))
            )

    method = settings.get("auth_method")
    method = "password" if is_unset(method) else method
    if not isinstance(method, str) or method not in AUTH_METHODS:
        raise ValueError("%s: %r is not one of %s" % (var("auth_method"), method, ", ".join(AUTH_METHODS)))
    oauth_keys = ("client_id", "client_secret", "token_url", "tenant")
    provider = settings.get("provider")
    provider = None if is_unset(provider) else str(provider).strip().lower()
    if method == "password":
        given = [oauth_var(k) for k in oauth_keys if not is_unset(settings.get(k))]
        if given:
            raise ValueError(
                "%s: is set but %s is password; set %s: oauth2 to use it"
                % (given[0], var("auth_method"), var("auth_method"))
            )
        result = {"enabled": False}
        retirement = (PRESETS.get(provider) or {}).get("basic_auth_retirement") if provider else None
        if retirement:
            result["warning"] = basic_auth_warning(provider, retirement, var("auth_method"))
        return result

    preset_oauth = (PRESETS.get(provider) or {}).get("oauth2") if provider else None
    if provider and not (preset_oauth and preset_oauth.get("client_credentials")):
        raise ValueError(
            "%s: provider '%s' does not offer OAuth 2.0 client credentials for SMTP that this role "
            "can use (%s); use a password, or oauth2 with office365 or your own token_url"
            % (var("auth_method"), provider, (preset_oauth or {}).get("notes", "no OAuth 2.0 support documented"))
        )

    if is_unset(settings.get("client_id")):
        raise ValueError("%s: is required when %s is oauth2" % (oauth_var("client_id"), var("auth_method")))
    client_id = validate_client_id(settings["client_id"], oauth_var("client_id"))
    if is_unset(settings.get("client_secret")):
        raise ValueError("%s: is required when %s is oauth2" % (oauth_var("client_secret"), var("auth_method")))
    validate_secret(settings["client_secret"], oauth_var("client_secret"))

    if not is_unset(settings.get("token_url")):
        token_url = validate_token_url(settings["token_url"], oauth_var("token_url"))
        if not is_unset(settings.get("tenant")):
            raise ValueError(
                "%s: give either %s or %s, not both"
                % (oauth_var("tenant"), oauth_var("tenant"), oauth_var("token_url"))
            )
    elif preset_oauth and preset_oauth.get("token_url"):
        if is_unset(settings.get("tenant")):
            raise ValueError(
                "%s: is required with provider '%s' (the tenant ID or a domain of the tenant), or "
                "give %s" % (oauth_var("tenant"), provider, oauth_var("token_url"))
            )
        tenant = validate_tenant(settings["tenant"], oauth_var("tenant"))
        token_url = preset_oauth["token_url"].replace("{tenant}", tenant)
    else:
        raise ValueError(
            "%s: is required when %s is oauth2 (or use provider office365 with %s)"
            % (oauth_var("token_url"), var("auth_method"), oauth_var("tenant"))
        )

    if not is_unset(settings.get("scope")):
        scope = validate_scope(settings["scope"], oauth_var("scope"))
    elif preset_oauth and preset_oauth.get("scope"):
        scope = preset_oauth["scope"]
    else:
        raise ValueError(
            "%s: is required when %s is oauth2 without a provider preset" % (oauth_var("scope"), var("auth_method"))
        )

    if is_unset(settings.get("username")):
        raise ValueError(
            "%s: is required when %s is oauth2: the mailbox the mail is sent as" % (var("username"), var("auth_method"))
        )
    mailbox = validate_mailbox(settings["username"], var("username"))
    # The role fills postfix_relay_password with the proxy's local password; one of its own breaks that.
    if settings.get("password") != settings.get("local_password"):
        raise ValueError(
            "%s: leave it unset when %s is oauth2 (Postfix logs in to the local proxy with a "
            "password the role generates)" % (var("password"), var("auth_method"))
        )
    if settings.get("sender_dependent"):
        raise ValueError(
            "%s: sender-dependent relays cannot be combined with %s oauth2"
            % (var("sender_dependent"), var("auth_method"))
        )
    if is_unset(settings.get("host")):
        raise ValueError("%s: is required" % var("host"))
    host = validate_host(settings["host"], var("host"))
    port = settings.get("port")
    if port == "auto":
        raise ValueError(
            "%s: 'auto' cannot be used with %s oauth2; give the smarthost's STARTTLS port"
            % (var("port"), var("auth_method"))
        )
    port = validate_port(port, var("port"), allow_auto=False)
    if port == WRAPPER_PORT:
        raise ValueError(
            "%s: 465 (implicit TLS) is not supported with %s oauth2; use 587 (STARTTLS)"
            % (var("port"), var("auth_method"))
        )
    listen_port = validate_port(settings.get("listen_port"), oauth_var("listen_port"), allow_auto=False)

    return {
        "enabled": True,
        "mailbox": mailbox,
        "client_id": client_id,
        "token_url": token_url,
        "scope": scope,
        "upstream_host": host,
        "upstream_port": port,
        "listen_port": listen_port,
        # What Postfix relays to: the proxy, over STARTTLS on loopback (its own certificate).
        "relay": {
            "host": PROXY_ADDRESS,
            "port": listen_port,
            "wrappermode": False,
            "tls_security_level": "encrypt",
            "password_set": True,
        },
    }
