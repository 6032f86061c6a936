# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each cloud provider's documented policy on outbound TCP port 25: data, one entry per provider.

Keys of :data:`POLICIES` are the provider ids of ``cloud_detect``. Each entry:

``name``          display name
``status``        ``blocked`` (connections dropped), ``throttled`` (rate-limited),
                  ``blocked_on_abuse`` (open until the provider's anti-spam system blocks it),
                  ``blocked_by_default`` (blocked until the customer opens it), or ``unknown``
``ports``         the outbound ports the policy covers
``since``         ISO date the policy started, or None when the source gives none
``rules``         list of ``{'who', 'blocked', 'lift'}``: for whom, whether blocked
                  (``yes``/``no``/``throttled``/``on_abuse``/``by_default``/``unknown``), and
                  whether and how it can be lifted (text; ``never`` when the source says so)
``relay_ports``   the ports the provider recommends for an authenticated relay ([] when not stated)
``what_to_do``    one short sentence for a report
``summary``       the policy in a clause, completing "port 25 filtered; <summary>; relay on 587"
``source``        the provider's document this entry is taken from, ``unknown`` when none was found
``source_date``   that document's date (its last update as shown), or ``unknown``
``source_url``    its address, or None

Only what the source says is here; where no source was found the entry says ``unknown``.
Generated into docs/docsite/rst/port25_policies.rst by scripts/role-docs.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

UNKNOWN = "unknown"


def _unknown(name, short_name, what_to_do):
    """The entry of a provider for which no document on port 25 was found: nothing is guessed."""
    return {
        "name": name,
        "status": UNKNOWN,
        "ports": [25],
        "since": None,
        "rules": [{"who": UNKNOWN, "blocked": UNKNOWN, "lift": UNKNOWN}],
        "relay_ports": [],
        "what_to_do": what_to_do,
        "summary": "no documented %s port 25 policy was found" % short_name,
        "source": UNKNOWN,
        "source_date": UNKNOWN,
        "source_url": None,
    }


POLICIES = {
    "ibm": {
        "name": "IBM Cloud (SoftLayer)",
        "status": "blocked",
        "ports": [25],
        "since": "2015-10-28",
        "rules": [
            {
                "who": "accounts created since 2015-10-28",
                "blocked": "yes",
                "lift": "the source names no way to lift it: use a smarthost outside IBM Cloud (IBM offers a "
                "SendGrid relay)",
            },
        ],
        "relay_ports": [465, 587],
        "what_to_do": "Relay through a smarthost outside IBM Cloud on 465 or 587 (or another port "
        "that is not 25); IBM offers a SendGrid-based relay.",
        "summary": "IBM Cloud blocks outbound 25 for accounts created since 2015-10-28",
        "source": 'IBM Cloud docs, "Outbound email on port 25" (Spanish and French editions; the German '
        "edition is dated 2017-11-21)",
        "source_date": "2018-03-21",
        "source_url": None,
    },
    "azure": {
        "name": "Microsoft Azure",
        "status": "blocked",
        "ports": [25],
        "since": "2017-11-15",
        "rules": [
            {"who": "Enterprise Agreement subscriptions", "blocked": "no", "lift": "not needed: never blocked"},
            {"who": "pay-as-you-go subscriptions created before 2017-11-15", "blocked": "no", "lift": "not needed"},
            {
                "who": "pay-as-you-go subscriptions created since 2017-11-15",
                "blocked": "yes",
                "lift": "on request, for accounts in good standing with a payment history: Azure portal, "
                "a virtual network resource, Diagnose and solve problems > Connectivity; then stop "
                "and start the VMs",
            },
            {
                "who": "Cloud Solution Provider (CSP) subscriptions",
                "blocked": "yes",
                "lift": "on request: Diagnose and solve problems > Connectivity",
            },
            {
                "who": "Microsoft Partner Network, BizSpark Plus, Azure Sponsorship (since 2017-11-15)",
                "blocked": "yes",
                "lift": "support case Technical > Virtual network > Connectivity > Cannot send email "
                "(SMTP/Port 25), at Microsoft's discretion",
            },
            {
                "who": "MSDN, Azure Pass, Azure in Open, Education, Azure for Students, Visual Studio, "
                "free trial (since 2017-11-15)",
                "blocked": "yes",
                "lift": "never: requests are not accepted (change the subscription type or use a relay)",
            },
        ],
        "relay_ports": [587, 443],
        "what_to_do": "Use an authenticated SMTP relay on 587 (Azure also names 443); a direct-to-MX "
        "exemption exists only for some subscription types.",
        "summary": "Azure blocks outbound 25 for this subscription type since 2017-11-15",
        "source": 'Microsoft Docs, "Troubleshoot outbound SMTP connectivity problems in Azure" (Spanish edition)',
        "source_date": "2021-01-04",
        "source_url": "https://learn.microsoft.com/en-us/azure/virtual-network/troubleshoot-outbound-smtp-connectivity",
    },
    "aws": {
        "name": "Amazon Web Services (EC2)",
        "status": "throttled",
        "ports": [25],
        "since": None,
        "rules": [
            {
                "who": "all EC2 instances (and Lambda functions in a VPC) of accounts not on the allow list",
                "blocked": "throttled",
                "lift": 'on request: the "Request to remove email sending limitations" form (AWS Support), '
                "after which AWS Support gives the next steps",
            },
        ],
        "relay_ports": [587, 465, 2587, 2465],
        "what_to_do": "Relay through Amazon SES or another authenticated relay on 587, or ask AWS to lift "
        'the limit with the "Request to remove email sending limitations" form.',
        "summary": "AWS throttles or blocks outbound 25 on EC2 unless the account asked for it to be lifted",
        "source": 'AWS Knowledge Center, "How do I remove the restriction on port 25 from my Amazon EC2 '
        'instance or Lambda function?"; Amazon SES Developer Guide, "Amazon SES SMTP issues"',
        "source_date": UNKNOWN,
        "source_url": "https://aws.amazon.com/premiumsupport/knowledge-center/ec2-port-25-throttle/",
    },
    "gcp": {
        "name": "Google Cloud (Compute Engine)",
        "status": "blocked",
        "ports": [25],
        "since": None,
        "rules": [
            {"who": "all VM instances", "blocked": "yes", "lift": UNKNOWN},
        ],
        "relay_ports": [465, 587],
        "what_to_do": "Relay through a third-party mail service on 587 or 465 (or a non-standard port).",
        "summary": "Google Cloud blocks outbound 25 from Compute Engine",
        "source": 'Google Cloud docs, "Sending email from an instance" (not read here: as quoted in '
        'GitLab charts merge request 647, "Although port 25 is blocked, you can choose to use '
        'port 465, 587, or a non-standard port")',
        "source_date": UNKNOWN,
        "source_url": "https://cloud.google.com/compute/docs/tutorials/sending-mail",
    },
    "oracle": _unknown(
        "Oracle Cloud Infrastructure",
        "Oracle Cloud",
        "No Oracle document on port 25 was found; OCI Email Delivery is Oracle's own authenticated relay.",
    ),
    "digitalocean": {
        "name": "DigitalOcean",
        "status": "blocked",
        "ports": [25],
        "since": None,
        "rules": [
            {"who": "all Droplets of new accounts", "blocked": "yes", "lift": "the source names no way to lift it"},
            {
                "who": "older accounts",
                "blocked": "may be open",
                "lift": "not needed (DigitalOcean still recommends a delivery platform)",
            },
        ],
        "relay_ports": [],
        "what_to_do": "Relay through an email delivery platform (DigitalOcean recommends SendGrid) on a "
        "submission port.",
        "summary": "DigitalOcean blocks outbound 25 on all Droplets of new accounts",
        "source": 'DigitalOcean docs, "Why is SMTP blocked?"',
        "source_date": UNKNOWN,
        "source_url": "https://docs.digitalocean.com/support/why-is-smtp-blocked/",
    },
    "hetzner": _unknown(
        "Hetzner Cloud",
        "Hetzner",
        "No Hetzner document on port 25 was found; probe 587 and 465 and relay on what gets out.",
    ),
    "ovh": {
        "name": "OVHcloud",
        "status": "blocked_on_abuse",
        "ports": [25],
        "since": None,
        "rules": [
            {
                "who": "an IP address the anti-spam system saw sending spam",
                "blocked": "on_abuse",
                "lift": "after stopping the mail service and fixing the cause, unblock the IP in the control "
                "panel; whitelisting (no outbound filtering) is not possible",
            },
        ],
        "relay_ports": [],
        "what_to_do": "Port 25 is open unless the IP was blocked for spam: find the cause, then unblock "
        "the IP in the OVHcloud control panel.",
        "summary": "OVHcloud blocks outbound 25 only for an IP its anti-spam system saw sending spam",
        "source": 'OVHcloud docs, "OVHcloud AntiSpam - Best Practices and Unblocking an IP"',
        "source_date": "2022-10-17",
        "source_url": "https://docs.ovh.com/au/en/dedicated/antispam-best-practices/",
    },
    "linode": {
        "name": "Akamai Cloud (Linode)",
        "status": "blocked",
        "ports": [25, 465, 587],
        "since": "2019-11-05",
        "rules": [
            {
                "who": "accounts created since 2019-11-05",
                "blocked": "yes",
                "lift": "on request: set valid A and reverse DNS records, then open a support ticket",
            },
            {"who": "accounts created before 2019-11-05", "blocked": "no", "lift": "not needed"},
        ],
        "relay_ports": [],
        "what_to_do": "Open a support ticket (after setting A and reverse DNS records) to lift the "
        "restriction on 25, 465 and 587, or relay on another port.",
        "summary": "Linode restricts outbound 25, 465 and 587 for accounts created since 2019-11-05",
        "source": 'Linode blog, "A New Policy to Help Fight Spam"',
        "source_date": "2019-11-05",
        "source_url": "https://www.linode.com/blog/linode/a-new-policy-to-help-fight-spam/",
    },
    "vultr": _unknown(
        "Vultr",
        "Vultr",
        "No Vultr document on port 25 was found; probe 587 and 465 and relay on what gets out.",
    ),
    "scaleway": {
        "name": "Scaleway",
        "status": "blocked_by_default",
        "ports": [25],
        "since": None,
        "rules": [
            {
                "who": "Instances in a new security group",
                "blocked": "by_default",
                "lift": 'self-service: tick "Enable SMTP" in the Instance\'s security group',
            },
        ],
        "relay_ports": [],
        "what_to_do": "Enable SMTP in the Instance's security group, or relay on a submission port.",
        "summary": 'Scaleway security groups block outbound SMTP until "Enable SMTP" is set',
        "source": 'Scaleway docs, "How to Activate a Stateful Cloud Firewall" and "How to use security groups"',
        "source_date": "2024-02-21",
        "source_url": "https://www.scaleway.com/en/docs/compute/instances/how-to/use-security-groups/",
    },
}

# Order of the docs page and of reports.
ORDER = ("ibm", "azure", "aws", "gcp", "oracle", "digitalocean", "hetzner", "ovh", "linode", "vultr", "scaleway")


def policy(provider):
    """Return a copy of the policy of ``provider`` (a ``cloud_detect`` id), or None."""
    entry = POLICIES.get(provider)
    if entry is None:
        return None
    result = dict(entry)
    result["provider"] = provider
    result["rules"] = [dict(rule) for rule in entry["rules"]]
    result["ports"] = list(entry["ports"])
    result["relay_ports"] = list(entry["relay_ports"])
    return result


def summary_line(port25_text, blocked, policy_entry, relay_port):
    """One line: 'port 25 filtered; Azure blocks outbound 25 ... since 2017-11-15; relay on 587'.

    ``port25_text`` says what the probe saw on 25 (``filtered``, ``open``, ``not probed``...),
    ``blocked`` is the probe's ``port25_blocked`` (True, False or None), ``policy_entry`` is
    :func:`policy`'s value or None, ``relay_port`` the recommended port or None.
    """
    parts = ["port 25 %s" % port25_text]
    if policy_entry is None:
        parts.append("cloud provider unknown")
    elif blocked is False:
        parts.append("%s, but 25 gets out from this host" % policy_entry["summary"])
    else:
        parts.append(policy_entry["summary"])
    if relay_port is not None:
        parts.append("relay on %d" % relay_port)
    elif policy_entry is not None and policy_entry["relay_ports"]:
        parts.append(
            "no relay port open with TLS (%s recommends %s)"
            % (policy_entry["name"], ", ".join(str(p) for p in policy_entry["relay_ports"]))
        )
    else:
        parts.append("no relay port open with TLS")
    return "; ".join(parts)


def policies_markdown():
    """The table of every policy, one row per rule, in Markdown (the docs page is generated from it)."""
    header = [
        "Provider",
        "Status",
        "Ports",
        "Since",
        "For whom",
        "Blocked",
        "Can it be lifted, how",
        "Relay ports",
        "What to do",
        "Source",
        "Source date",
    ]
    lines = ["| %s |" % " | ".join(header), "|%s" % ("---|" * len(header))]

    def cell(value):
        if value is None or value == "" or value == []:
            return "-"
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return str(value).replace("|", "\\|").replace("\n", " ")

    for provider in ORDER:
        entry = POLICIES[provider]
        source = entry["source"]
        if entry["source_url"]:
            source = "[%s](%s)" % (source.replace("[", "(").replace("]", ")"), entry["source_url"])
        for index, rule in enumerate(entry["rules"]):
            first = index == 0
            lines.append(
                "| %s |"
                % " | ".join(
                    [
                        cell(entry["name"] if first else ""),
                        cell(entry["status"] if first else ""),
                        cell(entry["ports"] if first else ""),
                        cell(entry["since"] if first else ""),
                        cell(rule["who"]),
                        cell(rule["blocked"]),
                        cell(rule["lift"]),
                        cell(entry["relay_ports"] if first else ""),
                        cell(entry["what_to_do"] if first else ""),
                        source.replace("|", "\\|") if first else "-",
                        cell(entry["source_date"] if first else ""),
                    ]
                )
            )
    return "\n".join(lines) + "\n"
