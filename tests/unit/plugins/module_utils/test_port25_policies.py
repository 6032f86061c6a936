# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/port25_policies.py: the table's shape and the seed documents' facts."""

import datetime
import re

import pytest

from ansible_collections.egress.mail.plugins.module_utils import cloud_detect, port25_policies as p25

KEYS = {
    "name",
    "status",
    "ports",
    "since",
    "rules",
    "relay_ports",
    "what_to_do",
    "summary",
    "source",
    "source_date",
    "source_url",
}
STATUSES = {"blocked", "throttled", "blocked_on_abuse", "blocked_by_default", "unknown"}
BLOCKED = {"yes", "no", "throttled", "on_abuse", "by_default", "may be open", "unknown"}


def _iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d").date().isoformat() == text


@pytest.mark.parametrize("provider", sorted(p25.POLICIES))
def test_entry_shape(provider):
    entry = p25.POLICIES[provider]
    assert set(entry) == KEYS
    assert entry["status"] in STATUSES
    assert entry["name"] == cloud_detect.PROVIDER_NAMES[provider]
    assert entry["ports"] and all(isinstance(port, int) and 1 <= port <= 65535 for port in entry["ports"])
    assert all(isinstance(port, int) and 1 <= port <= 65535 and port != 25 for port in entry["relay_ports"])
    assert entry["since"] is None or _iso(entry["since"])
    assert entry["source_date"] == "unknown" or _iso(entry["source_date"])
    assert entry["source_url"] is None or re.fullmatch(r"https://[a-z0-9.-]+/[^\s|]*", entry["source_url"])
    assert entry["rules"] and all(set(rule) == {"who", "blocked", "lift"} for rule in entry["rules"])
    assert all(rule["blocked"] in BLOCKED for rule in entry["rules"])
    for text in [entry["what_to_do"], entry["summary"]] + [v for r in entry["rules"] for v in r.values()]:
        assert text and "\n" not in text and "|" not in text


@pytest.mark.parametrize("provider", sorted(p25.POLICIES))
def test_no_source_means_no_claims(provider):
    """Where no provider document was found, the entry says unknown instead of guessing."""
    entry = p25.POLICIES[provider]
    if entry["source"] == "unknown":
        assert entry["status"] == "unknown"
        assert entry["source_date"] == "unknown" and entry["source_url"] is None and entry["since"] is None
        assert entry["relay_ports"] == []
        assert all(set(rule.values()) == {"unknown"} for rule in entry["rules"])
        assert entry["summary"].startswith("no documented ")


def test_every_detected_provider_has_a_policy_and_a_place():
    providers = set(cloud_detect.PROVIDER_NAMES) - {"unknown"}
    assert set(p25.POLICIES) == providers
    assert sorted(p25.ORDER) == sorted(providers) and len(p25.ORDER) == len(providers)


def test_ibm_seed():
    entry = p25.POLICIES["ibm"]
    assert entry["since"] == "2015-10-28" and entry["status"] == "blocked"
    assert entry["relay_ports"] == [465, 587]
    assert "SendGrid" in entry["what_to_do"]


def test_azure_seed_by_subscription_type():
    entry = p25.POLICIES["azure"]
    assert entry["since"] == "2017-11-15"
    assert entry["relay_ports"] == [587, 443]
    rules = {rule["who"]: rule for rule in entry["rules"]}
    assert rules["Enterprise Agreement subscriptions"]["blocked"] == "no"
    payg = rules["pay-as-you-go subscriptions created since 2017-11-15"]
    assert payg["blocked"] == "yes" and "Diagnose and solve problems > Connectivity" in payg["lift"]
    assert "Diagnose and solve" in rules["Cloud Solution Provider (CSP) subscriptions"]["lift"]
    never = [rule for who, rule in rules.items() if "MSDN" in who]
    assert len(never) == 1 and never[0]["lift"].startswith("never")
    assert "free trial" in [who for who in rules if "MSDN" in who][0]
    assert "Azure for Students" in [who for who in rules if "MSDN" in who][0]


def test_policy_returns_a_copy():
    first = p25.policy("azure")
    first["rules"][0]["blocked"] = "changed"
    first["relay_ports"].append(1)
    assert p25.POLICIES["azure"]["rules"][0]["blocked"] == "no"
    assert p25.POLICIES["azure"]["relay_ports"] == [587, 443]
    assert first["provider"] == "azure"
    assert p25.policy("unknown") is None
    assert p25.policy("nonexistent") is None


@pytest.mark.parametrize(
    "text, blocked, provider, port, line",
    [
        (
            "filtered",
            True,
            "azure",
            587,
            "port 25 filtered; Azure blocks outbound 25 for this subscription type since 2017-11-15; relay on 587",
        ),
        ("filtered", True, None, 587, "port 25 filtered; cloud provider unknown; relay on 587"),
        (
            "open",
            False,
            "aws",
            465,
            "port 25 open; AWS throttles or blocks outbound 25 on EC2 unless the account asked for it to be lifted, "
            "but 25 gets out from this host; relay on 465",
        ),
        (
            "refused",
            True,
            "azure",
            None,
            "port 25 refused; Azure blocks outbound 25 for this subscription type since 2017-11-15; "
            "no relay port open with TLS (Microsoft Azure recommends 587, 443)",
        ),
        (
            "not probed",
            None,
            "hetzner",
            None,
            "port 25 not probed; no documented Hetzner port 25 policy was found; no relay port open with TLS",
        ),
        ("filtered", True, None, None, "port 25 filtered; cloud provider unknown; no relay port open with TLS"),
    ],
)
def test_summary_line(text, blocked, provider, port, line):
    entry = p25.policy(provider) if provider else None
    assert p25.summary_line(text, blocked, entry, port) == line


def test_markdown_table_has_one_row_per_rule():
    lines = p25.policies_markdown().strip().splitlines()
    header = lines[0]
    assert header.startswith("| Provider | Status |")
    columns = header.count("|")
    body = lines[2:]
    assert len(body) == sum(len(entry["rules"]) for entry in p25.POLICIES.values())
    assert all(re.sub(r"\\\|", "", line).count("|") == columns for line in body)
    assert (
        '[Microsoft Docs, "Troubleshoot outbound SMTP connectivity problems in Azure" (Spanish edition)]'
        in p25.policies_markdown()
    )
