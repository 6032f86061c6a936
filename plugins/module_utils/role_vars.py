# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""From the variables of a relay role to the input of its settings checks: the one mapping.

A role's ``tasks/validate.yml`` hands every variable named ``<role>_*`` (``query('varnames')``
with its value) to the ``egress.mail.role_settings`` filter. ``check()`` picks the keys each
check knows (``relay_settings.SETTINGS_KEYS`` for Postfix, ``pmta_settings.SETTINGS_KEYS`` for
PowerMTA, the OAuth 2.0 keys for both) and ignores the role's other variables, so no list of
variable names is written anywhere else. The variable of key ``k`` is ``<role>_k``; the OAuth 2.0
client settings are ``<role>_oauth2_k``.

What is not a role variable stays explicit in the role (``computed``): inputs taken from the OS
variables or from another role (PowerMTA's ``package_ext`` and default ``tls_ca_file``, the
password with ``auth_method: oauth2``, the local proxy's password). The OAuth 2.0 check gets the
smarthost's provider, host and port as the first check resolved them.

Errors are the checks' own ValueErrors, each naming the variable; no password is returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.egress.mail.plugins.module_utils import oauth2_settings, pmta_settings, relay_settings

ROLES = ("postfix_relay", "powermta_relay")
# Keys of the checks that no role variable gives: passed in ``computed`` or not at all.
NOT_ROLE_VARIABLES = ("password_set", "package_ext", "local_password")
# OAuth 2.0 keys named <role>_oauth2_<key>; the other ones are <role>_<key>.
OAUTH2_CLIENT_KEYS = ("client_id", "client_secret", "token_url", "tenant", "scope", "listen_port")
# OAuth 2.0 keys taken from the resolved smarthost, not from a variable.
OAUTH2_SMARTHOST_KEYS = ("provider", "host", "port")
# PowerMTA relays one smarthost: no sender-dependent relays to check against oauth2.
_OAUTH2_NOT_FOR = {"powermta_relay": ("sender_dependent",)}


def prefix(role):
    """The prefix of the role's variables (``postfix_relay_``)."""
    if role not in ROLES:
        raise ValueError("role settings: unknown role %r (one of %s)" % (role, ", ".join(ROLES)))
    return role + "_"


def variable(role, key, oauth2=False):
    """The name of the variable that gives ``key`` of the role's main (or OAuth 2.0) check."""
    if oauth2 and key in OAUTH2_CLIENT_KEYS:
        return prefix(role) + "oauth2_" + key
    return prefix(role) + key


def settings_keys(role):
    """The keys of the main check that come from a role variable."""
    prefix(role)
    keys = relay_settings.SETTINGS_KEYS if role == "postfix_relay" else pmta_settings.SETTINGS_KEYS
    return tuple(key for key in keys if key not in NOT_ROLE_VARIABLES)


def oauth2_keys(role):
    """The keys of the OAuth 2.0 check that come from a role variable."""
    skip = NOT_ROLE_VARIABLES + OAUTH2_SMARTHOST_KEYS + _OAUTH2_NOT_FOR.get(role, ())
    prefix(role)
    return tuple(key for key in oauth2_settings.SETTINGS_KEYS if key not in skip)


def _pick(variables, role, keys, oauth2=False):
    return dict(
        (key, variables[variable(role, key, oauth2)]) for key in keys if variable(role, key, oauth2) in variables
    )


def _computed(value, name):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("role settings: %s must be a dict, got %s" % (name, type(value).__name__))
    return dict(value)


def inputs(variables, role, computed=None):
    """The input of the main check: the role's variables by key, then ``computed`` over them."""
    if not isinstance(variables, Mapping):
        raise ValueError("role settings: the role variables must be a dict, got %s" % type(variables).__name__)
    settings = _pick(variables, role, settings_keys(role))
    settings.update(_computed(computed, "computed"))
    return settings


def oauth2_inputs(variables, role, smarthost, oauth2=None):
    """The input of the OAuth 2.0 check: its variables, the resolved smarthost, then ``oauth2``."""
    settings = _pick(variables, role, oauth2_keys(role), oauth2=True)
    settings.update((key, smarthost.get(key)) for key in OAUTH2_SMARTHOST_KEYS)
    settings.update(_computed(oauth2, "oauth2"))
    return settings


def check(variables, role, computed=None, oauth2=None):
    """Check the role's variables; returns ``{'settings': ..., 'oauth2': ...}``.

    ``settings`` is what ``relay_settings.resolve()`` (postfix_relay; with oauth2 its smarthost
    replaced by the local proxy) or ``pmta_settings.check()`` (powermta_relay) return;
    ``oauth2`` what ``oauth2_settings.resolve()`` returns. ``computed`` and ``oauth2`` are the
    values that are no role variable, by key of the check they go to.
    """
    role_prefix = prefix(role)
    oauth2 = _computed(oauth2, "oauth2")
    settings = inputs(variables, role, computed)
    if role == "postfix_relay":
        main = relay_settings.resolve(settings, role_prefix)
        smarthost = main
    else:
        main = pmta_settings.check(settings, role_prefix)
        smarthost = main["relay"]
    oauth = oauth2_settings.resolve(oauth2_inputs(variables, role, smarthost, oauth2), role_prefix)
    if role == "postfix_relay" and oauth.get("relay"):
        main = dict(main, **oauth["relay"])
    return {"settings": main, "oauth2": oauth}


def warnings(result):
    """The warnings a result of ``check()`` carries (deprecated settings, retiring Basic auth)."""
    messages = list(result["settings"].get("deprecations", []))
    if result["oauth2"].get("warning"):
        messages.append(result["oauth2"]["warning"])
    return messages
