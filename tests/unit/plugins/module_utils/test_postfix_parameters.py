# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plugins/module_utils/postfix_parameters.py: the extra_config allow-list, called directly.

relay_settings applies it to postfix_relay_extra_config (test_postfix_settings.py,
test_relay_settings_spellings.py); here are the list, the value kinds and the refusal reasons."""

import pytest

from ansible_collections.egress.mail.plugins.module_utils import postfix_parameters


@pytest.mark.parametrize(
    "name, value",
    [
        ("maximal_queue_lifetime", "5d"),
        ("message_size_limit", "10240000"),
        ("biff", "no"),
        ("smtp_helo_name", "$myhostname"),
        ("notify_classes", "bounce, resource"),
        ("compatibility_level", "3.6"),
        ("smtpd_banner", "$myhostname ESMTP $mail_name"),
    ],
)
def test_allowed_parameter_and_value_of_its_kind(name, value):
    assert name in postfix_parameters.ALLOWED
    assert postfix_parameters.security_concern(name) is None
    assert postfix_parameters.check_value(name, value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("maximal_queue_lifetime", "5y"),
        ("message_size_limit", "10M"),
        ("biff", "true"),
        ("smtp_helo_name", "-bad.example"),
        ("notify_classes", "bounce, everything"),
        ("smtpd_banner", "$smtp_sasl_password_maps"),
        ("smtpd_banner", " leading blank"),
    ],
)
def test_allowed_parameter_with_a_value_of_another_kind(name, value):
    assert not postfix_parameters.check_value(name, value)


def test_kind_description():
    assert postfix_parameters.kind_description("biff") == "yes or no"
    assert postfix_parameters.kind_description("maximal_queue_lifetime").startswith("a time: digits")


@pytest.mark.parametrize(
    "name, concern, reason",
    [
        (
            "relayhost",
            "where mail goes",
            "relayhost is written by the role from its checked variables (TLS, authentication, relay access "
            "and routing): set postfix_relay_host and postfix_relay_port instead",
        ),
        (
            "smtp_tls_security_level",
            "TLS to the smarthost",
            "smtp_tls_security_level is written by the role from its checked variables (TLS, authentication, "
            "relay access and routing): set postfix_relay_tls_security_level instead",
        ),
        (
            "smtp_sasl_path",
            "authentication",
            "smtp_sasl_path is security-relevant (it can change authentication) and is not on the allow-list "
            "of extra_config parameters (see the role README)",
        ),
        (
            "mynetworks_style",
            "who may relay",
            "mynetworks_style is security-relevant (it can change who may relay) and is not on the allow-list "
            "of extra_config parameters (see the role README)",
        ),
        (
            "always_bcc",
            "where mail goes",
            "always_bcc is security-relevant (it can change where mail goes) and is not on the allow-list "
            "of extra_config parameters (see the role README)",
        ),
        (
            "foo_bar",
            None,
            "foo_bar is not on the allow-list of extra_config parameters (unknown, or not reviewed to be "
            "unable to weaken TLS, authentication, relay access or routing; see the role README)",
        ),
    ],
    ids=["managed-host", "managed-tls", "auth", "relay-access", "routing", "unknown"],
)
def test_refused_parameter_and_its_reason(name, concern, reason):
    assert name not in postfix_parameters.ALLOWED
    assert postfix_parameters.security_concern(name) == concern
    assert postfix_parameters.refusal(name, "postfix_relay_") == reason


def test_managed_without_a_variable_is_fixed_by_the_role():
    assert postfix_parameters.refusal("smtp_tls_protocols").endswith(": it is fixed by the role")


def test_allow_list_markdown_lists_every_parameter_and_kind():
    text = postfix_parameters.allow_list_markdown()
    for name in postfix_parameters.ALLOWED:
        assert "`%s` (%s)" % (name, postfix_parameters.ALLOWED[name]) in text
    for kind, description in ((k, v[1]) for k, v in postfix_parameters.KINDS.items()):
        assert "%s: %s" % (kind, description) in text


def test_extra_config_allow_list_holds_nothing_the_role_manages_or_that_is_security_relevant():
    assert not set(postfix_parameters.ALLOWED) & set(postfix_parameters.MANAGED)
    for name in postfix_parameters.ALLOWED:
        assert not any(
            word in name
            for word in (
                "tls",
                "sasl",
                "relay",
                "transport",
                "maps",
                "network",
                "restriction",
                "bcc",
                "domain",
                "filter",
                "milter",
            )
        ), name
    assert len(postfix_parameters.ALLOWED) == sum(len(g[2]) for g in postfix_parameters.GROUPS)
    assert set(postfix_parameters.ALLOWED.values()) <= set(postfix_parameters.KINDS)
    assert all(g[1] for g in postfix_parameters.GROUPS)  # every group says why it is safe


def test_the_kind_is_documented_with_the_expansions():
    assert "$myhostname, $mydomain, $myorigin, $mail_name, $mail_version" in postfix_parameters.KINDS["text"][1]
    assert postfix_parameters.KINDS["text"][1] in postfix_parameters.allow_list_markdown()
