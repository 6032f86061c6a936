# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The main.cf parameters ``postfix_relay_extra_config`` may set: an allow-list, with value kinds.

The one definition of the list: ``relay_settings`` checks ``extra_config`` against it and
``scripts/role-docs.py`` writes it into the postfix_relay README. A parameter is listed only if
no value of its kind can weaken TLS to the smarthost, authentication, who may relay, or where
mail goes. Everything else is refused, with the reason: a parameter that decides one of those
four things (``security_concern``), one the role itself manages (``MANAGED``), or one that is
simply not on the list.

This file has no imports from the collection, so that the docs script can load it alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# The parameters a text value may expand ($name): names and versions, nothing that routes or holds a path.
_TEXT_EXPANSIONS = ("myhostname", "mydomain", "myorigin", "mail_name", "mail_version")
# Value kinds: name -> (regular expression the value must match as a whole, description).
# Values are checked as postconf(1) will write them (egress.mail.postconf: booleans yes/no,
# integers as digits, lists joined with ", ", runs of whitespace collapsed to one space).
KINDS = {
    "integer": (r"[0-9]{1,9}", "a whole number (digits only)"),
    "size": (r"[0-9]{1,18}", "a size in bytes (digits only)"),
    "time": (r"[0-9]{1,9}[smhdw]?", "a time: digits and an optional unit s, m, h, d or w (5m, 3d)"),
    "yesno": (r"yes|no", "yes or no"),
    "level": (r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}", "a compatibility level such as 3.6 or 2"),
    "hostname": (
        r"\$myhostname|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
        "a host name (letters, digits, - and .) or $myhostname",
    ),
    "notify": (
        r"(?:2bounce|bounce|data|delay|policy|protocol|resource|software)"
        r"(?:(?:, ?| )(?:2bounce|bounce|data|delay|policy|protocol|resource|software))*",
        "a list of the classes 2bounce, bounce, data, delay, policy, protocol, resource, software",
    ),
    # $ only in the expansions of _TEXT_EXPANSIONS: any other $name would show another parameter's
    # value (a map's path, a relay) to every client, and $smtpd_banner in smtpd_banner stops smtpd.
    "text": (
        r"(?=[!-~](?:[ -~]{0,498}[!-~])?\Z)"  # printable, at most 500, no blank at either end
        r"(?:[ -#%%-~]|\$(?:\$|(?:%(n)s)(?![A-Za-z0-9_])|\{(?:%(n)s)\}|\((?:%(n)s)\)))*"
        % {"n": "|".join(_TEXT_EXPANSIONS)},
        "printable ASCII text, at most 500 characters; $ only in %s (also written ${name} or $(name)) "
        "and $$ for a $" % ", ".join("$" + name for name in _TEXT_EXPANSIONS),
    ),
}
_KIND_RES = dict((kind, re.compile(pattern, re.ASCII)) for kind, (pattern, dummy) in KINDS.items())

# The allow-list, in groups: (title, why no value can weaken TLS, authentication, relaying
# or routing, {parameter: kind}).
GROUPS = (
    (
        "Message and header limits",
        "they only limit the size of what is accepted or delivered",
        {
            "message_size_limit": "size",
            "mailbox_size_limit": "size",
            "header_size_limit": "integer",
            "header_address_token_limit": "integer",
            "line_length_limit": "integer",
            "hopcount_limit": "integer",
            "smtp_line_length_limit": "integer",
            "queue_minfree": "size",
        },
    ),
    (
        "Queue lifetime and retry timing",
        "they decide when mail is retried or returned, never where it goes",
        {
            "maximal_queue_lifetime": "time",
            "bounce_queue_lifetime": "time",
            "delay_warning_time": "time",
            "minimal_backoff_time": "time",
            "maximal_backoff_time": "time",
            "queue_run_delay": "time",
            "default_destination_rate_delay": "time",
            "default_destination_recipient_limit": "integer",
        },
    ),
    (
        "SMTP client timeouts and connection cache timing",
        "they decide how long the client waits or keeps a connection, not whether TLS or a login is used",
        {
            "smtp_connect_timeout": "time",
            "smtp_helo_timeout": "time",
            "smtp_mail_timeout": "time",
            "smtp_rcpt_timeout": "time",
            "smtp_data_init_timeout": "time",
            "smtp_data_xfer_timeout": "time",
            "smtp_data_done_timeout": "time",
            "smtp_quit_timeout": "time",
            "smtp_connection_cache_time_limit": "time",
            "smtp_connection_reuse_time_limit": "time",
        },
    ),
    (
        "Local SMTP server timeouts and client limits",
        "they slow down or limit local clients; who may relay stays mynetworks",
        {
            "smtpd_timeout": "time",
            "smtpd_error_sleep_time": "time",
            "smtpd_soft_error_limit": "integer",
            "smtpd_hard_error_limit": "integer",
            "smtpd_recipient_limit": "integer",
            "smtpd_client_connection_count_limit": "integer",
            "smtpd_client_connection_rate_limit": "integer",
            "smtpd_client_message_rate_limit": "integer",
            "anvil_rate_time_unit": "time",
            "in_flow_delay": "time",
        },
    ),
    (
        "Names, banners and notices",
        "they change what is said or logged, not what is sent where",
        {
            "smtp_helo_name": "hostname",
            "smtpd_banner": "text",
            "biff": "yesno",
            "notify_classes": "notify",
            "disable_vrfy_command": "yesno",
            "enable_long_queue_ids": "yesno",
            "delay_logging_resolution_limit": "integer",
        },
    ),
    (
        "Compatibility and processes",
        "they select Postfix defaults of a release or the number of processes",
        {
            "compatibility_level": "level",
            "default_process_limit": "integer",
        },
    ),
)
ALLOWED = dict((name, kind) for dummy, dummy, members in GROUPS for name, kind in members.items())

# main.cf parameters the role writes from its own checked variables (variable suffix).
MANAGED = {
    "relayhost": "host and port",
    "myhostname": "myhostname",
    "myorigin": "myorigin",
    "inet_interfaces": "inet_interfaces",
    "mynetworks": "mynetworks",
    "smtpd_relay_restrictions": None,
    "smtp_tls_security_level": "tls_security_level",
    "smtp_tls_wrappermode": "port",
    "smtp_tls_CAfile": "tls_ca_file",
    "smtp_tls_CApath": "tls_ca_file",
    "smtp_tls_protocols": None,
    "smtp_tls_mandatory_protocols": None,
    "smtp_tls_loglevel": None,
    "smtp_tls_connection_reuse": "tls_connection_reuse",
    "smtp_connection_cache_destinations": "tls_connection_reuse",
    "default_destination_concurrency_limit": "concurrency_limit",
    "smtp_sasl_auth_enable": "username",
    "smtp_sasl_password_maps": "username and password",
    "smtp_sasl_security_options": None,
    "smtp_sasl_tls_security_options": None,
    "smtp_sasl_mechanism_filter": "sasl_mechanisms",
    "smtp_sender_dependent_authentication": "sender_dependent",
    "sender_dependent_default_transport_maps": "sender_dependent",
    "smtp_generic_maps": "sender_rewrite",
    # Fallback smarthosts: the role writes them into relayhost (tried in order) with their own
    # logins; a fallback set here would be used with no credentials, or with another relay's.
    "smtp_fallback_relay": "fallback_relays",
    "fallback_relay": "fallback_relays",
    "lmtp_fallback_relay": "fallback_relays",
    "sender_canonical_maps": "sender_canonical",
    "recipient_canonical_maps": "recipient_canonical",
    "smtp_header_checks": "strip_received_headers",
}

# Only to say why a parameter that is not on the list is refused: which of the four things
# a parameter of that name decides. The decision itself is the allow-list above.
_CONCERNS = (
    ("TLS to the smarthost", re.compile(r".*(tls|ssl|cert|cafile|capath|cipher|dane|tlsa|_key|_dh).*", re.I)),
    ("authentication", re.compile(r".*(sasl|auth|password|login|xoauth).*", re.I)),
    (
        "who may relay",
        re.compile(
            r"(mynetworks.*|inet_.*|.*restrictions|.*_clients?|relay_.*|permit_.*|"
            r"authorized_.*|smtpd_(client|helo|sender|recipient|relay|etrn|data|end_of_data)_.*|"
            r".*access.*|proxy_interfaces|master_service_disable|.*_networks?.*)",
            re.I,
        ),
    ),
    (
        "where mail goes",
        re.compile(
            r"(relayhost|.*transport.*|.*_maps|.*bcc.*|mydestination|mydomain|myorigin|"
            r".*domains|.*filter.*|.*milter.*|fallback_.*|.*alias.*|.*mailbox_command.*|"
            r".*forward.*|luser_relay|.*rewrite.*|.*masquerade.*|.*_checks|.*recipient.*|"
            r".*notice_recipient|.*command.*|.*_service.*|.*destination.*|.*nexthop.*|"
            r".*debug_peer.*|.*log.*|.*export_environment|.*import_environment|"
            r".*delimiter.*|.*_directory|.*_path|.*_file.*|.*mail_spool.*|.*owner.*|"
            r".*mailbox.*|.*virtual.*|.*local_.*|.*verify.*)",
            re.I,
        ),
    ),
)


def security_concern(name):
    """Which of the four protected things a parameter of this name looks like it decides, or None."""
    for concern, pattern in _CONCERNS:
        if pattern.fullmatch(name):
            return concern
    return None


def refusal(name, prefix=""):
    """Why ``name`` is refused in extra_config (a sentence without the variable's name)."""
    if name in MANAGED:
        managed = MANAGED[name]
        how = (
            "set %s instead" % " and ".join(prefix + part for part in managed.split(" and "))
            if managed
            else "it is fixed by the role"
        )
        return (
            "%s is written by the role from its checked variables (TLS, authentication, relay access "
            "and routing): %s" % (name, how)
        )
    concern = security_concern(name)
    if concern:
        return (
            "%s is security-relevant (it can change %s) and is not on the allow-list of extra_config "
            "parameters (see the role README)" % (name, concern)
        )
    return (
        "%s is not on the allow-list of extra_config parameters (unknown, or not reviewed to be "
        "unable to weaken TLS, authentication, relay access or routing; see the role README)" % name
    )


def check_value(name, text):
    """``text`` (as postconf will write it) is of the kind ``name`` allows: True or False."""
    return bool(_KIND_RES[ALLOWED[name]].fullmatch(text))


def kind_description(name):
    return KINDS[ALLOWED[name]][1]


def allow_list_markdown():
    """The allow-list as Markdown (role README, written by scripts/role-docs.py)."""
    lines = []
    for title, reason, members in GROUPS:
        lines.append(
            "- **%s** (%s): %s"
            % (title, reason, ", ".join("`%s` (%s)" % (name, members[name]) for name in sorted(members)))
        )
    lines.append("")
    lines.append("Value kinds: %s." % "; ".join("%s: %s" % (kind, KINDS[kind][1]) for kind in sorted(KINDS)))
    return "\n".join(lines) + "\n"
