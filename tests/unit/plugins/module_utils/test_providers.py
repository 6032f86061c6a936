# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.egress.mail.plugins.module_utils.providers import (
    PRESETS,
    SES_REGION_PATTERN,
    get_preset,
    presets_markdown,
    provider_names,
)
from ansible_collections.egress.mail.plugins.module_utils.relay_settings import validate_host

EXPECTED = [
    "brevo",
    "gmail",
    "google_relay",
    "mailgun",
    "mailjet",
    "office365",
    "postmark",
    "sendgrid",
    "ses",
    "sparkpost",
]
REQUIRED_KEYS = {
    "title",
    "host",
    "port",
    "ports",
    "tls_wrapper_ports",
    "username",
    "username_hint",
    "auth_required",
    "regions",
    "notes",
    "source",
}
OPTIONAL_KEYS = {
    "max_connections",
    "limits_source",
    "oauth2",
    "basic_auth_retirement",
    "max_message_size",
    "size_source",
}


def test_provider_names():
    assert provider_names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_shape(name):
    preset = PRESETS[name]
    assert REQUIRED_KEYS <= set(preset) <= REQUIRED_KEYS | OPTIONAL_KEYS
    if "max_connections" in preset:
        assert isinstance(preset["max_connections"], int) and 1 <= preset["max_connections"] <= 100
        assert preset["limits_source"].startswith("https://")
    if "max_message_size" in preset:
        assert isinstance(preset["max_message_size"], int) and preset["max_message_size"] >= 1048576
        assert preset["size_source"].startswith("https://")
    assert preset["port"] == 587
    assert preset["ports"][0] == preset["port"]
    assert len(set(preset["ports"])) == len(preset["ports"])
    assert set(preset["tls_wrapper_ports"]) <= set(preset["ports"])
    assert preset["username"] is None or isinstance(preset["username"], str)
    assert preset["username_hint"]
    assert preset["notes"]
    assert preset["source"].startswith("https://")
    assert isinstance(preset["auth_required"], bool)


@pytest.mark.parametrize("name", [n for n in EXPECTED if n != "ses"])
def test_preset_hosts_are_valid(name):
    preset = get_preset(name)
    assert validate_host(preset["host"], "host") == preset["host"]
    assert preset["name"] == name
    assert preset["region"] is None


@pytest.mark.parametrize(
    "name, host, port, username",
    [
        ("sendgrid", "smtp.sendgrid.net", 587, "apikey"),
        ("sparkpost", "smtp.sparkpostmail.com", 587, "SMTP_Injection"),
        ("mailgun", "smtp.mailgun.org", 587, None),
        ("postmark", "smtp.postmarkapp.com", 587, None),
        ("brevo", "smtp-relay.brevo.com", 587, None),
        ("mailjet", "in-v3.mailjet.com", 587, None),
        ("office365", "smtp.office365.com", 587, None),
        ("gmail", "smtp.gmail.com", 587, None),
        ("google_relay", "smtp-relay.gmail.com", 587, None),
    ],
)
def test_documented_facts(name, host, port, username):
    preset = get_preset(name)
    assert (preset["host"], preset["port"], preset["username"]) == (host, port, username)


def test_documented_ports():
    assert PRESETS["sendgrid"]["ports"] == [587, 2525, 25, 465]
    assert PRESETS["sparkpost"]["ports"] == [587, 2525]
    assert PRESETS["ses"]["ports"] == [587, 2587, 25, 465, 2465]
    assert PRESETS["ses"]["tls_wrapper_ports"] == [465, 2465]
    assert 2525 in PRESETS["postmark"]["ports"]
    assert PRESETS["gmail"]["ports"] == [587, 465]
    assert PRESETS["google_relay"]["ports"] == [587, 465, 25]
    assert PRESETS["google_relay"]["auth_required"] is False


def test_get_preset_returns_a_copy():
    preset = get_preset("sendgrid")
    preset["ports"].append(1)
    preset["host"] = "changed"
    assert PRESETS["sendgrid"]["host"] == "smtp.sendgrid.net"
    assert 1 not in PRESETS["sendgrid"]["ports"]


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "eu-central-1",
        "il-central-1",
        "us-gov-west-1",
        "ca-central-1",
        "EU-WEST-1",
    ],
)
def test_ses_regions(region):
    preset = get_preset("ses", region)
    assert preset["host"] == "email-smtp.%s.amazonaws.com" % region.lower()
    assert preset["region"] == region.lower()
    assert validate_host(preset["host"], "host") == preset["host"]


@pytest.mark.parametrize(
    "region",
    [
        "europe",
        "us-east",
        "us-east-12",
        "useast1",
        "u-east-1",
        "us_east_1",
        "us-east-1.evil.example",
        "us-east-1 ",
        "x-gov-west-1",
    ],
)
def test_ses_bad_regions(region):
    if region.strip() != region and re.match(SES_REGION_PATTERN, region.strip()):
        # surrounding whitespace is stripped, that one is fine
        assert get_preset("ses", region)["region"] == region.strip()
        return
    with pytest.raises(ValueError, match="provider 'ses': region"):
        get_preset("ses", region)


def test_ses_without_region():
    with pytest.raises(ValueError, match="provider 'ses' needs a region"):
        get_preset("ses")
    with pytest.raises(ValueError, match="needs a region"):
        get_preset("ses", "")


def test_eu_regions():
    assert get_preset("sparkpost", "eu")["host"] == "smtp.eu.sparkpostmail.com"
    assert get_preset("mailgun", "eu")["host"] == "smtp.eu.mailgun.org"
    assert get_preset("mailgun")["host"] == "smtp.mailgun.org"
    with pytest.raises(ValueError, match="unknown region 'us'; valid regions: eu"):
        get_preset("mailgun", "us")


def test_region_for_provider_without_regions():
    with pytest.raises(ValueError, match="provider 'sendgrid' has no regions"):
        get_preset("sendgrid", "eu")


@pytest.mark.parametrize("name", ["nope", "", "   ", None, 5])
def test_unknown_provider_lists_valid_names(name):
    with pytest.raises(ValueError) as excinfo:
        get_preset(name)
    message = str(excinfo.value)
    for valid in EXPECTED:
        assert valid in message


def test_provider_name_is_case_insensitive():
    assert get_preset(" SendGrid ")["name"] == "sendgrid"


def test_presets_markdown():
    text = presets_markdown()
    lines = text.strip().splitlines()
    assert lines[0].startswith("| Provider |")
    assert lines[1].startswith("| --- |")
    assert len(lines) == 2 + len(EXPECTED)
    columns = lines[0].count("|")
    for line in lines[2:]:
        assert line.count("|") - line.count("\\|") == columns
    assert "`smtp.sendgrid.net`" in text
    assert "`email-smtp.{region}.amazonaws.com`" in text
    assert "`eu` (`smtp.eu.sparkpostmail.com`)" in text
    assert "`apikey`" in text
    assert text.endswith("\n")
