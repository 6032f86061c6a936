# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Smarthost provider presets: the one definition used by the whole collection.

Each preset describes how a mail relay provider documents its SMTP submission
endpoint. Keys:

``host``
    Host name of the SMTP endpoint; may contain ``{region}`` (SES).
``port``
    Recommended port (587, STARTTLS, for every provider listed here).
``ports``
    All ports the provider documents, recommended first.
``tls_wrapper_ports``
    Those of ``ports`` that speak implicit TLS ("SMTPS", "TLS wrapper") rather
    than STARTTLS.
``username``
    The fixed user name when the provider has one (SendGrid ``apikey``,
    SparkPost ``SMTP_Injection``); ``None`` when the user supplies it.
``username_hint``
    What to put as user name (or, with a fixed user name, what the password is).
``auth_required``
    Whether the provider always needs SMTP AUTH.
``regions``
    Region handling: ``None`` (no regions), or a dict with ``required`` (bool),
    ``hosts`` (region name -> host, for providers with a fixed list) and/or
    ``pattern`` (regular expression a free-form region must match).
``max_connections``
    Concurrent SMTP connections the provider allows (per account or mailbox), when it
    documents a limit; connections beyond it are refused with a 4xx and deferred. The
    Postfix role caps its concurrency to the relay at this number. Optional.
``max_message_size``
    The largest message (bytes, after MIME encoding) the provider documents accepting, when it
    documents one; ``postfix_relay_message_size_limit`` may not be larger. Optional, with
    ``size_source``, the page documenting it.
``notes``
    Short operational notes.
``source``
    URL of the provider's documentation page the facts come from.
``limits_source``
    URL of the page documenting ``max_connections``, when it is another page. Optional.
``oauth2``
    OAuth 2.0 for SMTP, when the provider offers it: ``client_credentials`` (whether a server can
    get tokens with a client id and secret, what the ``oauth2`` auth method needs), ``token_url``
    (may contain ``{tenant}``), default ``scope``, ``notes`` and ``source``. Optional.
``basic_auth_retirement``
    When the provider switches password (Basic) authentication off: ``date``, ``announcement``,
    ``updated`` and ``source``; a run that still uses a password warns with it. Optional.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

SES_REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"

PRESETS = {
    "sendgrid": {
        "title": "Twilio SendGrid",
        "host": "smtp.sendgrid.net",
        "port": 587,
        "ports": [587, 2525, 25, 465],
        "tls_wrapper_ports": [465],
        "username": "apikey",
        "username_hint": "the literal string 'apikey'; the password is an API key with Mail Send permission",
        "auth_required": True,
        "regions": None,
        "notes": (
            "STARTTLS on 587, 2525 and 25; implicit TLS (SSL) on 465. "
            "The user name is the fixed string apikey, not the key itself."
        ),
        "source": "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
    },
    "sparkpost": {
        "title": "SparkPost (Bird)",
        "host": "smtp.sparkpostmail.com",
        "port": 587,
        "ports": [587, 2525],
        "tls_wrapper_ports": [],
        "username": "SMTP_Injection",
        "username_hint": "the literal string 'SMTP_Injection'; the password is an API key with 'Send via SMTP' permission",
        "auth_required": True,
        "regions": {
            "required": False,
            "hosts": {"eu": "smtp.eu.sparkpostmail.com"},
        },
        "notes": (
            "STARTTLS with AUTH LOGIN; 2525 is the documented alternative where 587 is blocked "
            "(e.g. Google Compute Engine). Region eu uses smtp.eu.sparkpostmail.com. "
            "Subaccount user names (SMTP_Injection:X-MSYS-SUBACCOUNT=N) contain ':' and cannot be "
            "stored in a Postfix SASL password map."
        ),
        "source": "https://developers.sparkpost.com/api/smtp/",
    },
    "mailgun": {
        "title": "Mailgun",
        "host": "smtp.mailgun.org",
        "port": 587,
        "ports": [587, 2525, 25, 465],
        "tls_wrapper_ports": [465],
        "username": None,
        "username_hint": "the sending domain's SMTP login, e.g. postmaster@your-domain",
        "auth_required": True,
        "regions": {
            "required": False,
            "hosts": {"eu": "smtp.eu.mailgun.org"},
        },
        "notes": (
            "SMTP credentials are per sending domain; the password is the SMTP password, not the API key. "
            "US and EU are separate infrastructures: domains created in the EU need region eu "
            "(smtp.eu.mailgun.org). STARTTLS on 587, 2525 and 25; implicit TLS on 465."
        ),
        "source": "https://documentation.mailgun.com/docs/mailgun/user-manual/smtp-protocol/",
    },
    "ses": {
        "title": "Amazon SES",
        "host": "email-smtp.{region}.amazonaws.com",
        "port": 587,
        "ports": [587, 2587, 25, 465, 2465],
        "tls_wrapper_ports": [465, 2465],
        "username": None,
        "username_hint": "the SES SMTP user name (from SES SMTP credentials, not an IAM access key pair)",
        "auth_required": True,
        "regions": {
            "required": True,
            "pattern": SES_REGION_PATTERN,
        },
        "notes": (
            "A region is required (e.g. eu-west-1). TLS is mandatory: STARTTLS on 587, 2587 and 25, "
            "TLS wrapper on 465 and 2465. SMTP credentials are region specific. "
            "EC2 throttles port 25 by default."
        ),
        "source": "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
        # "Using the SES v2 API or SMTP - Maximum message size (including attachments): 40 MB per
        # message (after base64 encoding)", not adjustable.
        "max_message_size": 40000000,
        "size_source": "https://docs.aws.amazon.com/ses/latest/dg/quotas.html",
    },
    "postmark": {
        "title": "Postmark",
        "host": "smtp.postmarkapp.com",
        "port": 587,
        "ports": [587, 2525, 25],
        "tls_wrapper_ports": [],
        "username": None,
        "username_hint": "the Server API token (used as both user name and password)",
        "auth_required": True,
        "regions": None,
        "notes": (
            "STARTTLS on 587, 2525 and 25; no implicit-TLS port. "
            "Broadcast streams use smtp-broadcasts.postmarkapp.com (set the host explicitly)."
        ),
        "source": "https://postmarkapp.com/support/article/811-what-are-the-smtp-details-api-tokens-i-should-be-using",
        # "Total message size, including attachments, can be 10 MB" (measured after base64 encoding).
        "max_message_size": 10000000,
        "size_source": "https://postmarkapp.com/support/article/1056-what-are-the-attachment-and-email-size-limits",
    },
    "brevo": {
        "title": "Brevo (formerly Sendinblue)",
        "host": "smtp-relay.brevo.com",
        "port": 587,
        "ports": [587, 2525, 465],
        "tls_wrapper_ports": [465],
        "username": None,
        "username_hint": "the SMTP login shown under SMTP & API settings",
        "auth_required": True,
        "regions": None,
        "notes": "The password is an SMTP key, not an API key. STARTTLS on 587 and 2525; implicit TLS on 465.",
        "source": "https://developers.brevo.com/docs/smtp-integration",
    },
    "mailjet": {
        "title": "Mailjet",
        "host": "in-v3.mailjet.com",
        "port": 587,
        "ports": [587, 2525, 25, 465],
        "tls_wrapper_ports": [465],
        "username": None,
        "username_hint": "the API key (the password is the secret key)",
        "auth_required": True,
        "regions": None,
        "notes": (
            "STARTTLS on 587 (and 25); implicit TLS on 465; 2525 is the port used in "
            "Google Compute Engine's Mailjet guide."
        ),
        "source": "https://dev.mailjet.com/smtp-relay/overview/",
    },
    "office365": {
        "title": "Microsoft 365 (SMTP AUTH client submission)",
        "host": "smtp.office365.com",
        "port": 587,
        "ports": [587, 25],
        "tls_wrapper_ports": [],
        "username": None,
        "username_hint": "the mailbox UPN (user@your-tenant-domain)",
        "auth_required": True,
        "regions": None,
        "max_connections": 3,
        "notes": (
            "Use postfix_relay_auth_method: oauth2. MC786329 (updated 2026-01-27): Basic authentication "
            "for SMTP AUTH is disabled by default for existing tenants at the end of December 2026 "
            "(administrators can re-enable it), unavailable by default for tenants created after "
            "December 2026, final removal date announced in the second half of 2027; OAuth 2.0 "
            "(XOAUTH2, client credentials with SMTP.SendAsApp) is the supported method. SMTP AUTH must be "
            "enabled for the mailbox. Mail is sent as that mailbox. At most 3 concurrent connections per "
            "mailbox (more get 432 4.3.2 and are retried) and 30 messages a minute."
        ),
        "basic_auth_retirement": {
            "date": "end of December 2026",
            "announcement": "MC786329",
            "updated": "2026-01-27",
            "source": (
                "https://techcommunity.microsoft.com/t5/exchange-team-blog/"
                "exchange-online-to-retire-basic-auth-for-client-submission-smtp/ba-p/4114750"
            ),
        },
        "oauth2": {
            "client_credentials": True,
            "token_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            "scope": "https://outlook.office365.com/.default",
            "notes": (
                "client credentials: an Entra application with the SMTP.SendAsApp application permission "
                "and its service principal granted access to the mailbox in Exchange Online"
            ),
            "source": (
                "https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/"
                "how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth"
            ),
        },
        "limits_source": "https://learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements",
        "source": (
            "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/"
            "how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365"
        ),
    },
    "gmail": {
        "title": "Gmail / Google Workspace mailbox",
        "host": "smtp.gmail.com",
        "port": 587,
        "ports": [587, 465],
        "tls_wrapper_ports": [465],
        "username": None,
        "username_hint": "the full Gmail or Workspace address",
        "auth_required": True,
        "regions": None,
        "oauth2": {
            "client_credentials": False,
            "notes": (
                "Google has no client credentials grant; Email OAuth 2.0 Proxy supports Google Workspace "
                "service accounts with domain-wide delegation (oauth2_flow = service_account), which this "
                "role does not configure"
            ),
            "source": "https://github.com/simonrob/email-oauth2-proxy#google-workspace-service-accounts",
        },
        "notes": (
            "Needs 2-Step Verification and an app password (regular passwords are refused). "
            "Daily sending limits apply per account. STARTTLS on 587, SSL on 465."
        ),
        "source": "https://support.google.com/mail/answer/7126229",
    },
    "google_relay": {
        "title": "Google Workspace SMTP relay service",
        "host": "smtp-relay.gmail.com",
        "port": 587,
        "ports": [587, 465, 25],
        "tls_wrapper_ports": [465],
        "username": None,
        "username_hint": (
            "optional: a Workspace user address when the relay rule requires SMTP AUTH; "
            "leave empty for IP address authentication"
        ),
        "auth_required": False,
        "regions": None,
        "notes": (
            "Configure the SMTP relay rule in the Google Admin console first. With TLS use 587; "
            "SMTP AUTH is only possible over TLS, otherwise IP address authentication applies."
        ),
        "source": "https://support.google.com/a/answer/2956491",
    },
}


def provider_names():
    """Return the sorted list of preset names."""
    return sorted(PRESETS)


def _region_names(preset):
    regions = preset.get("regions") or {}
    return sorted((regions.get("hosts") or {}).keys())


def get_preset(name, region=None):
    """Return a resolved copy of the preset ``name``.

    ``host`` has ``{region}`` substituted (or the regional host picked) and the
    result carries ``name`` and ``region``. Raises ValueError with a clear
    message for an unknown provider, a missing or invalid region.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("provider name must be a non-empty string; valid providers: %s" % ", ".join(provider_names()))
    key = name.strip().lower()
    if key not in PRESETS:
        raise ValueError("unknown provider '%s'; valid providers: %s" % (name, ", ".join(provider_names())))
    preset = copy.deepcopy(PRESETS[key])
    regions = preset.get("regions")

    if region is not None and not isinstance(region, str):
        raise ValueError("provider '%s': region must be a string" % key)
    region = region.strip().lower() if region else None

    if regions is None:
        if region:
            raise ValueError("provider '%s' has no regions, but region '%s' was given" % (key, region))
    elif region is None:
        if regions.get("required"):
            raise ValueError("provider '%s' needs a region (for example eu-west-1); none was given" % key)
    else:
        hosts = regions.get("hosts") or {}
        pattern = regions.get("pattern")
        if region in hosts:
            preset["host"] = hosts[region]
        elif pattern and re.fullmatch(pattern, region):
            preset["host"] = preset["host"].replace("{region}", region)
        elif pattern:
            raise ValueError(
                "provider '%s': region '%s' does not look like a region name (expected e.g. "
                "us-east-1, eu-west-1, us-gov-west-1)" % (key, region)
            )
        else:
            raise ValueError(
                "provider '%s': unknown region '%s'; valid regions: %s"
                % (key, region, ", ".join(_region_names(preset)))
            )
    if "{region}" in preset["host"]:
        # Only reachable if a preset has a templated host without a required region.
        raise ValueError("provider '%s' needs a region" % key)
    preset["name"] = key
    preset["region"] = region
    return preset


def _md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _region_cell(preset):
    regions = preset.get("regions")
    if not regions:
        return "-"
    parts = []
    for rname, rhost in sorted((regions.get("hosts") or {}).items()):
        parts.append("`%s` (`%s`)" % (rname, rhost))
    if regions.get("pattern"):
        parts.append("any AWS region, e.g. `eu-west-1`")
    text = ", ".join(parts)
    if regions.get("required"):
        text += " (required)"
    return text


def presets_markdown():
    """Render the presets as a Markdown table (used to generate documentation)."""
    lines = [
        "| Provider | Name | Host | Port | Other ports | Implicit TLS | User name | Regions | Notes | Source |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in provider_names():
        preset = PRESETS[key]
        others = [str(p) for p in preset["ports"] if p != preset["port"]]
        wrapper = ", ".join(str(p) for p in preset["tls_wrapper_ports"]) or "-"
        if preset["username"]:
            user = "`%s`" % preset["username"]
        else:
            user = preset["username_hint"]
        cells = [
            preset.get("title", key),
            "`%s`" % key,
            "`%s`" % preset["host"],
            str(preset["port"]),
            ", ".join(others) or "-",
            wrapper,
            user,
            _region_cell(preset),
            preset["notes"],
            "[docs](%s)" % preset["source"]
            + (", [limits](%s)" % preset["limits_source"] if preset.get("limits_source") else ""),
        ]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
