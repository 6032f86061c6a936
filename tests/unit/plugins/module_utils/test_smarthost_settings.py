# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/smarthost_settings.py (preset, host, port, credentials, TLS), directly and through relay_settings.resolve."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import assert_message
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import resolve
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import validate_password, validate_username
from ansible_collections.egress.mail.tests.unit.helpers.relay_cases import P, SECRET, settings as _s


@pytest.mark.parametrize(
    "password", [SECRET, "inner space", "ünïcödé€", "\"quoted'", "a" * 512, "=:#$%&*()[]{}<>,;|\\/"]
)
def test_validate_password_accepts_printable(password):
    assert validate_password(password, P + "password") == password


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("", "empty"),
        ("abc\n", "newline"),
        ("abc\r", "newline"),
        ("ab\x00c", "control"),
        ("ab\tc", "control"),
        ("ab\x1bc", "control"),
        ("ab\x7fc", "control"),
        ("ab\x85c", "control"),
        ("ab\x0bc", "control"),
        ("ab\x0cc", "control"),
        ("ab\x1cc", "control"),
        ("ab\u2028c", "control"),
        ("ab\u2029c", "control"),
        ("ab\u200bc", "control"),
        ("ab\ud800c", "control"),
        (" leading space", "whitespace"),
        ("trailing space ", "whitespace"),
        ("trailing nbsp\u00a0", "whitespace"),
        (None, "string"),
        (True, "string"),
        (123456, "string"),
    ],
)
def test_validate_password_refuses(password, fragment):
    with pytest.raises(ValueError) as excinfo:
        validate_password(password, "pmta_relay_password")
    message = str(excinfo.value)
    assert message.startswith("pmta_relay_password: ")
    assert fragment in message
    if isinstance(password, str) and password:
        assert password.strip() not in message


def test_sendgrid_preset():
    result = resolve({"provider": "sendgrid", "password_set": True}, P)
    assert result["host"] == "smtp.sendgrid.net"
    assert result["port"] == 587
    assert result["username"] == "apikey"
    assert result["provider"] == "sendgrid"
    assert result["candidate_ports"] == [587, 2525, 25, 465]


def test_preset_user_overrides_win():
    result = resolve(
        {
            "provider": "sendgrid",
            "host": "relay.internal.example",
            "port": "2525",
            "username": "other",
            "password_set": True,
        },
        P,
    )
    assert (result["host"], result["port"], result["username"]) == ("relay.internal.example", 2525, "other")
    assert result["provider"] == "sendgrid"


def test_provider_name_case_insensitive():
    assert resolve({"provider": " SparkPost ", "password_set": True}, P)["username"] == "SMTP_Injection"


def test_sparkpost_and_mailgun_eu():
    assert (
        resolve({"provider": "sparkpost", "provider_region": "eu", "password_set": True}, P)["host"]
        == "smtp.eu.sparkpostmail.com"
    )
    result = resolve(
        {"provider": "mailgun", "provider_region": "EU", "username": "postmaster@mg.example.com", "password_set": True},
        P,
    )
    assert result["host"] == "smtp.eu.mailgun.org"
    assert result["provider_region"] == "eu"


def test_ses_with_region():
    result = resolve(
        {"provider": "ses", "provider_region": "eu-west-1", "username": "AKIAEXAMPLE", "password_set": True}, P
    )
    assert result["host"] == "email-smtp.eu-west-1.amazonaws.com"
    assert result["port"] == 587
    assert result["wrappermode"] is False
    gov = resolve({"provider": "ses", "provider_region": "us-gov-west-1", "username": "A", "password_set": True}, P)
    assert gov["host"] == "email-smtp.us-gov-west-1.amazonaws.com"


def test_ses_tls_wrapper_ports():
    base = {"provider": "ses", "provider_region": "us-east-1", "username": "A", "password_set": True}
    assert resolve(dict(base, port=465), P)["wrappermode"] is True
    assert resolve(dict(base, port=2465), P)["wrappermode"] is True
    assert resolve(dict(base, port=2587), P)["wrappermode"] is False


@pytest.mark.parametrize("port", [465, "465", " 465 "])
def test_port_465_is_wrappermode(port):
    result = resolve(_s(port=port), P)
    assert result["port"] == 465
    assert result["wrappermode"] is True


@pytest.mark.parametrize("port", [25, 587, 2525, 2465])
def test_other_ports_are_not_wrappermode_without_preset(port):
    assert resolve(_s(port=port), P)["wrappermode"] is False


def test_port_auto():
    result = resolve({"provider": "postmark", "port": "auto", "username": "tok", "password_set": True}, P)
    assert result["port"] == "auto"
    assert result["wrappermode"] is False
    assert result["candidate_ports"] == [587, 2525, 25]
    assert resolve(_s(port="AUTO"), P)["port"] == "auto"


def test_wrappermode_with_verified_tls():
    result = resolve(_s(port=465, tls_security_level="secure"), P)
    assert result["wrappermode"] is True
    assert result["tls_security_level"] == "secure"


def test_plaintext_opt_in():
    result = resolve(_s(tls_security_level="May", allow_plaintext="yes"), P)
    assert result["tls_security_level"] == "may"
    assert result["allow_plaintext"] is True
    assert resolve(_s(tls_security_level="none", allow_plaintext=True), P)["tls_security_level"] == "none"


def test_google_relay_without_auth():
    result = resolve({"provider": "google_relay"}, P)
    assert result["host"] == "smtp-relay.gmail.com"
    assert result["username"] is None
    assert result["password_set"] is False


def test_tls_ca_file():
    assert (
        resolve(_s(tls_ca_file="/etc/ssl/certs/ca-certificates.crt"), P)["tls_ca_file"]
        == "/etc/ssl/certs/ca-certificates.crt"
    )


def test_username_boundaries():
    assert validate_username("u" * 256, "x") == "u" * 256
    with pytest.raises(ValueError, match="^x: is longer than 256 characters$"):
        validate_username("u" * 257, "x")
    with pytest.raises(ValueError, match="^x: is empty$"):
        validate_username("", "x")
    with pytest.raises(ValueError, match="^x: the user name contains a comma$"):
        validate_username("a,b", "x")


def test_password_set_and_username_from_preset():
    result = resolve({"provider": "sendgrid", "password": SECRET}, P)
    assert result["username"] == "apikey" and result["password_set"] is True
    result = resolve({"host": "h", "username": "u", "password": "", "password_set": True}, P)
    assert result["password_set"] is True
    result = resolve({"host": "h", "username": "", "password": "   "}, P)
    assert result["username"] is None and result["password_set"] is False


from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import (  # noqa: E402
    credentials,
    validate_ca_file,
    wrappermode,
)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: validate_username("a\nb", "u"), "u: the user name contains a newline"),
        (
            lambda: validate_password(" x", "p"),
            "p: starts or ends with whitespace, which the configuration file cannot keep (postmap and PowerMTA "
            "strip it): the login would fail (remove it, or fix the vault or file it comes from)",
        ),
        (lambda: validate_ca_file(5, "c"), "c: must be a file path (a string), got int"),
        (lambda: validate_ca_file("/a\nb", "c"), "c: the path contains a newline"),
        (lambda: credentials("u", None, False, ("U", "P"), "apikey"), "P: is required when U is set (apikey)"),
        (
            lambda: credentials(None, "pw", False, ("U", "P"), "apikey"),
            "U: is empty but P is set; the relay needs both (user name: apikey)",
        ),
        (lambda: credentials("u", None, False, ("U", "P")), "P: is required when U is set"),
        (lambda: credentials(None, "pw", False, ("U", "P")), "U: is empty but P is set; the relay needs both"),
        (
            lambda: resolve({"provider": "nope"}, "p_"),
            "p_provider: unknown provider 'nope'; valid providers: brevo, gmail, google_relay, mailgun, mailjet, "
            "office365, postmark, sendgrid, ses, sparkpost",
        ),
        (
            lambda: resolve({"provider": "ses", "provider_region": 5}, "p_"),
            "p_provider_region: must be a region name (a string), got int",
        ),
        (
            lambda: resolve({"provider": "mailgun"}, "p_"),
            "p_username: provider 'mailgun' requires SMTP AUTH; set p_username (the sending domain's SMTP login, "
            "e.g. postmaster@your-domain) and p_password",
        ),
        (
            lambda: resolve(
                {
                    "host": "h",
                    "port": 587,
                    "tls_security_level": "may",
                    "allow_plaintext": True,
                    "sender_dependent": [{"sender": "@a.example", "host": "r", "port": 465}],
                },
                "p_",
            ),
            "p_sender_dependent[0].port: port 465 uses implicit TLS (wrappermode), which cannot be combined with "
            "p_tls_security_level 'may'",
        ),
    ],
)
def test_smarthost_messages_are_exact(call, message):
    assert_message(call, message)


def test_wrappermode():
    assert wrappermode(465, None) is True
    assert wrappermode(587, None) is False
    assert wrappermode("auto", None) is False
    assert wrappermode(2465, {"tls_wrapper_ports": [465, 2465]}) is True
    assert wrappermode(2587, {"tls_wrapper_ports": [465, 2465]}) is False


def test_mixed_tls_modes_message_is_exact():
    with pytest.raises(ValueError) as exc:
        resolve({"host": "h", "port": 587, "fallback_relays": [{"host": "f.example", "port": 465}]}, "p_")
    assert str(exc.value) == (
        "p_fallback_relays[0].port: port 465 uses implicit TLS but p_port (port 587) uses STARTTLS; the relays "
        "are tried in one delivery through one Postfix transport, so all of them need the same TLS mode (give a "
        "port of the same kind)"
    )
