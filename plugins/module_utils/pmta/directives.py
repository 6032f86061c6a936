# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The PowerMTA directives and stanzas the linter knows: data, one row per name.

No PowerMTA binary can be had here, so the vendor's reference is the only oracle. Each row says
where its name was read (``source``, a key of ``SOURCES``), the reference section when the
source numbers its sections (the User's Guide "3.3.10 <domain> Directives"), the contexts it
may appear in, and its value types. A row whose ``values`` is ``None`` is listed by the
reference but its value is not type-checked: the linter accepts it and reports it as such.

Value types are the names ``pmta.values._check_value`` knows; a prefix ``?`` marks an optional
value, ``*`` one or more (for the types in ``JOINED_TYPES``: the rest of the line, blanks included,
checked as one value). ``flags``: ``r`` the directive may be repeated in one block, ``d``
deprecated by the reference (the linter warns), ``s`` its value is a secret.

Stdlib only, no logic: ``pmta.schema`` builds its lookup tables from these rows (layer 1 of the
linter; module_utils/pmta_config is its public face).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

GLOBAL = "global"

SOURCES = {
    "guide": "PowerMTA User's Guide, section 3.3.10 <domain> Directives, as transcribed publicly "
    "(boheyse/PMTA_Manager_FrontEnd domainDirectives.txt)",
    "seed": "SparkPost, 'Which SMTP port should I use' (PowerMTA section; the project's seed 004)",
    "sparkpost": "SparkPost support-docs, integrations/power-mta.md (Using SparkPost with PowerMTA)",
    "sparky": "tuck1s/sparkypmtatracking etc/pmta/config.example (a SparkPost engineer's PowerMTA config)",
    "sample": "the vendor's sample /etc/pmta/config ($Id: config 14069 2012-08-13, pastebin 0R7JjaJ5)",
    "public": "public PowerMTA configurations and install notes listed in the role README",
}

# name, parent contexts, argument type (None: takes no argument), source, section, opaque
# (opaque: the body is a list of patterns, kept but not parsed as directives).
STANZA_TABLE = (
    ("source", (GLOBAL,), "source_match", "seed", None, False),
    ("domain", (GLOBAL, "virtual-mta", "virtual-mta-pool"), "domain_pattern", "guide", "3.3.10", False),
    ("virtual-mta", (GLOBAL,), "name", "seed", None, False),
    ("virtual-mta-pool", (GLOBAL,), "name", "public", None, False),
    ("smtp-user", (GLOBAL,), "user", "seed", None, False),
    ("acct-file", (GLOBAL,), "acct_target", "public", None, False),
    ("spool", (GLOBAL,), "path", "sparky", None, False),
    ("bounce-processor", (GLOBAL,), None, "sparky", None, False),
    ("feedback-loop-processor", (GLOBAL,), None, "sparky", None, False),
    ("address-list", ("bounce-processor", "feedback-loop-processor"), None, "sparky", None, False),
    ("smtp-pattern-list", (GLOBAL,), "name", "guide", "3.3.10.91", False),
    ("rewrite-list", (GLOBAL,), "name", "sparky", None, True),
    ("pattern-list", (GLOBAL,), "name", "sparkpost", None, True),
    ("bounce-category-patterns", (GLOBAL,), None, "public", None, True),
)

_G = (GLOBAL,)
_S = ("source",)
_D = ("domain",)
_U = ("smtp-user",)
_P = ("virtual-mta-pool",)
_V = ("virtual-mta",)
_A = ("acct-file",)
_BP = ("bounce-processor", "feedback-loop-processor")

# name, contexts, value types (None: listed, not type-checked), source, section, flags
_TABLE_HEAD = (
    # --- top level --------------------------------------------------------------------------
    ("postmaster", _G, ("email",), "sample", None, ""),
    ("host-name", _G, ("hostname",), "sparky", None, ""),
    ("smtp-listener", _G, ("listener",), "seed", None, "r"),
    ("smtp-server-tls-certificate", _G, ("path",), "seed", None, ""),
    ("smtp-server-tls-allow-tlsv1.1", _G, ("bool",), "sparky", None, ""),
    ("smtp-server-tls-allow-tlsv1.2", _G, ("bool",), "sparky", None, ""),
    ("http-mgmt-port", _G, ("port",), "public", None, ""),
    ("http-access", _G, ("ip_or_cidr", "access_level"), "public", None, "r"),
    ("run-as-root", _G, ("bool",), "public", None, ""),
    ("log-file", _G, ("path",), "public", None, ""),
    ("spool", _G, ("path",), "public", None, ""),
    ("total-max-smtp-out", _G, ("uint",), "public", None, ""),
    ("sync-msg-create", _G, ("bool",), "public", None, ""),
    ("sync-msg-update", _G, ("bool",), "public", None, ""),
    ("relay-domain", _G, ("*string",), "seed", None, "r"),
    ("relay-address", _G, ("*string",), "seed", None, "r"),
    ("include", _G + _D, ("path",), "guide", "3.3.10.94", "r"),
    ("smtp-source-host", _G + _V, ("ip_or_cidr", "hostname"), "seed", None, "r"),
    ("domain-key", _G + _V, ("*dkim_key",), "guide", "3.3.10.28", "r"),
    ("domain-macro", _G, None, "guide", "3.3.10", "r"),
    ("name-server", _G, None, "guide", "3.3.10.95.3", "r"),
    ("enable-signals", _G, None, "sparky", None, ""),
    # --- <source> ---------------------------------------------------------------------------
    ("always-allow-relaying", _S, ("bool",), "seed", None, ""),
    ("require-auth", _S, ("bool",), "seed", None, ""),
    ("allow-starttls", _S, ("bool",), "seed", None, ""),
    ("require-starttls-before-auth", _S, ("bool",), "seed", None, ""),
    ("allow-unencrypted-plain-auth", _S, ("bool",), "sparky", None, ""),
    ("smtp-service", _S, ("bool",), "sample", None, ""),
    ("smtp-max-auth-failure-rate", _S, ("rate",), "sparky", None, ""),
    ("process-x-virtual-mta", _S, ("bool",), "sample", None, ""),
    ("process-x-job", _S, ("bool",), "sparky", None, ""),
    ("default-virtual-mta", _S, ("name",), "sparky", None, ""),
    ("max-message-size", _S, ("size",), "sample", None, ""),
    ("log-data", _S, ("bool",), "sample", None, ""),
    ("rewrite-list", _S, ("name",), "sparky", None, ""),
    ("pattern-list", _S, ("name",), "sparkpost", None, ""),
    ("verp-default", _S, ("bool",), "sparky", None, ""),
    ("hide-message-source", _S, ("bool",), "public", None, ""),
    ("add-received-header", _S, ("bool",), "public", None, ""),
    ("remove-received-headers", _S, ("bool",), "public", None, ""),
    ("process-x-envid", _S, ("bool",), "public", None, ""),
    ("suppress-local-dsn", _S, None, "guide", "3.3.10.10", ""),
    ("add-message-id-header", _S, None, "public", None, ""),
    ("add-date-header", _S, None, "public", None, ""),
    ("jobid-header", _S, None, "public", None, ""),
    ("log-connections", _S + _D, ("bool",), "sample", None, ""),
    ("log-commands", _S + _D, ("bool",), "guide", "3.3.10", ""),
    # --- <domain>: routing, authentication, TLS (section 3.3.10) -----------------------------
    ("smtp-hosts", _D, ("*smtp_hosts",), "guide", "3.3.10.90", "r"),
    ("route", _D, ("hostport",), "guide", "3.3.10.88", "rd"),
    ("default-smtp-port", _D, ("port",), "guide", "3.3.10.89", ""),
    ("auth-username", _D, ("string",), "guide", "3.3.10.54", ""),
    ("auth-password", _D, ("secret",), "guide", "3.3.10.56", "s"),
    ("use-unencrypted-plain-auth", _D, ("bool",), "guide", "3.3.10.57", ""),
    ("use-starttls", _D, ("bool",), "guide", "3.3.10.95.1", ""),
    ("require-starttls", _D, ("bool",), "guide", "3.3.10.95.2", ""),
    ("use-dane", _D, ("bool",), "guide", "3.3.10.95.3", ""),
    ("use-mta-sts", _D, ("bool",), "guide", "3.3.10.95.4", ""),
    ("reuse-ssl-session", _D, ("bool",), "guide", "3.3.10.95.5", ""),
    ("smtp-tls-allow-tlsv1", _D, ("bool",), "guide", "3.3.10.95.6", ""),
    ("smtp-tls-allow-tlsv1.1", _D, ("bool",), "guide", "3.3.10.95.7", ""),
    ("smtp-tls-allow-tlsv1.2", _D, ("bool",), "guide", "3.3.10.95.8", ""),
    ("smtp-tls-allow-tlsv1.3", _D, ("bool",), "guide", "3.3.10.95.9", ""),
    ("smtp-tls-ca-file", _D, ("path",), "guide", "3.3.10.95.12", ""),
    ("log-tls", _D, ("bool",), "guide", "3.3.10.95.15", ""),
    # --- <domain>: connections, rates, retries, back-off -------------------------------------
    ("max-smtp-out", _D, ("uint",), "guide", "3.3.10.75", ""),
    ("backoff-max-smtp-out", _D, ("uint",), "guide", "3.3.10.76", ""),
    ("max-msg-rate", _D, ("rate",), "guide", "3.3.10.33", ""),
    ("backoff-max-msg-rate", _D, ("rate",), "guide", "3.3.10.34", ""),
    ("max-connect-rate", _D, ("rate",), "guide", "3.3.10.80", ""),
    ("backoff-max-connect-rate", _D, ("rate",), "guide", "3.3.10.85", ""),
    ("retry-after", _D, ("duration_list",), "guide", "3.3.10.39", ""),
    ("backoff-retry-after", _D, ("duration_list",), "guide", "3.3.10.40", ""),
    ("retry-recipients-after", _D, ("duration",), "guide", "3.3.10.41", ""),
    ("retry-after-dns-error", _D, ("duration",), "guide", "3.3.10.42", ""),
    ("backoff-to-normal-after", _D, ("duration_or_never",), "guide", "3.3.10.45", ""),
    ("backoff-to-normal-after-delivery", _D, ("bool",), "guide", "3.3.10.46", ""),
    ("backoff-upon-all-sources-disabled", _D, ("bool",), "guide", "3.3.10.47", ""),
    ("smtp-pattern-list", _D, ("name",), "guide", "3.3.10.91", ""),
    ("bounce-after", _D, ("duration",), "guide", "3.3.10.11", ""),
    ("max-msg-per-connection", _D, ("uint",), "guide", "3.3.10.72", ""),
    ("connect-timeout", _D, ("duration",), "guide", "3.3.10.65", ""),
    ("queue-priority", _D, ("uint",), "guide", "3.3.10.15", ""),
    ("dkim-sign", _D, ("dkim_sign",), "guide", "3.3.10.19", ""),
    ("log-resolution", _D, ("bool",), "guide", "3.3.10.4", ""),
    ("log-transfer-failures", _D, ("bool",), "guide", "3.3.10.5", ""),
)

# <domain> directives the reference lists whose values are not type-checked (values None, source
# "guide"): name, section, flags.
_DOMAIN_LISTED = (
    ("smtp-client-certificate", "3.3.10.95.11", ""),
    ("smtp-tls-ciphers", "3.3.10.95.13", ""),
    ("smtp-tls-tlsv1.3-ciphersuites", "3.3.10.95.14", ""),
    ("max-errors-per-connection", "3.3.10.1", ""),
    ("check-spf-outbound", "3.3.10.2", ""),
    ("dsn-format", "3.3.10.3", ""),
    ("log-disabled-ips", "3.3.10.7", ""),
    ("max-events-recorded", "3.3.10.8", ""),
    ("disable-acct-records", "3.3.10.9", ""),
    ("deliver-local-dsn", "3.3.10.10", "d"),
    ("bcc-upon-delivery", "3.3.10.12", ""),
    ("allow-priority-interruption", "3.3.10.13", ""),
    ("allow-priority-interruption-during-transfer", "3.3.10.14", ""),
    ("track-recipient-events", "3.3.10.16", ""),
    ("delivery-priority", "3.3.10.17", "d"),
    ("notify-of-delay-every", "3.3.10.18", ""),
    ("dkim-add-body-limit", "3.3.10.20", ""),
    ("dkim-add-timestamp", "3.3.10.21", ""),
    ("dkim-algorithm", "3.3.10.22", ""),
    ("dkim-body-canon", "3.3.10.23", ""),
    ("dkim-headers-canon", "3.3.10.24", ""),
    ("dkim-expire-after", "3.3.10.25", ""),
    ("dkim-query-method", "3.3.10.26", ""),
    ("dkim-headers", "3.3.10.27", ""),
    ("dkim-identity", "3.3.10.28", ""),
    ("dkim-identity-fallback", "3.3.10.29", ""),
    ("dkim-disallow-adding-headers", "3.3.10.30", ""),
    ("queue-to", "3.3.10.31", ""),
    ("source-ip-max-msg-rate", "3.3.10.32", "r"),
    ("max-msg-per-hour", "3.3.10.35", "d"),
    ("backoff-max-msg-per-hour", "3.3.10.36", "d"),
    ("max-data-volume-rate", "3.3.10.37", ""),
    ("backoff-max-data-volume-rate", "3.3.10.38", ""),
    ("backoff-notify", "3.3.10.43", ""),
    ("disabled-source-ip-notify", "3.3.10.44", ""),
    ("reenable-source-ip-after", "3.3.10.48", ""),
    ("max-cold-virtual-mta-msg", "3.3.10.49", ""),
    ("reroute-to-virtual-mta", "3.3.10.50", ""),
    ("backoff-reroute-to-virtual-mta", "3.3.10.51", ""),
    ("type", "3.3.10.52", ""),
    ("allow-cancel-during-transfer", "3.3.10.53", ""),
    ("smtp-data-termination-timeout", "3.3.10.55", ""),
    ("smtp-553-means-invalid-mailbox", "3.3.10.58", ""),
    ("smtp-421-means-mx-unavailable", "3.3.10.59", ""),
    ("replace-smtp-421-service-response", "3.3.10.60", ""),
    ("bounce-upon-no-mx", "3.3.10.61", ""),
    ("bounce-upon-5xx-greeting", "3.3.10.62", ""),
    ("bounce-upon-pix-transfer-failure", "3.3.10.63", ""),
    ("bounce-upon-transfer-failure", "3.3.10.64", ""),
    ("smtp-greeting-timeout", "3.3.10.66", ""),
    ("data-send-timeout", "3.3.10.67", ""),
    ("ignore-8bitmime", "3.3.10.68", ""),
    ("ignore-chunking", "3.3.10.69", ""),
    ("ignore-pipelining", "3.3.10.70", ""),
    ("ignore-dsn", "3.3.10.71", ""),
    ("max-rcpt-per-transaction", "3.3.10.73", ""),
    ("max-rcpt-per-message", "3.3.10.74", ""),
    ("max-smtp-out-per-source-ip", "3.3.10.77", "d"),
    ("source-ip-max-smtp-out", "3.3.10.78", "r"),
    ("smtp-out-rampup-interval", "3.3.10.79", ""),
    ("source-ip-max-connect-rate", "3.3.10.81", "r"),
    ("connection-idle-timeout", "3.3.10.82", ""),
    ("source-ip-max-data-volume-rate", "3.3.10.84", "r"),
    ("retry-upon-new-mail", "3.3.10.86", ""),
    ("pix-bug-workaround", "3.3.10.87", ""),
    ("assume-delivery-upon-data-termination-timeout", "3.3.10.92", ""),
    ("disable-mx-rollup", "3.3.10.93", ""),
    ("discard-as-bounce", "3.3.10.96.1", ""),
    ("file-format", "3.3.10.97.1", ""),
    ("file-destination", "3.3.10.97.2", ""),
    ("command", "3.3.10.98.1", ""),
    ("macro-variables-preserve-case", "3.3.10.98.2", ""),
    ("http-delivery-url", "3.3.10.99.1", ""),
    ("http-delivery-extra-headers", "3.3.10.99.2", ""),
    ("add-x-msys-api-header", "3.3.10.100.1", ""),
    ("sparkpost-sandbox", "3.3.10.100.2", ""),
    ("sparkpost-ip-pool", "3.3.10.100.3", ""),
)

_TABLE_TAIL = (
    # --- <smtp-user> -------------------------------------------------------------------------
    ("password", _U, ("secret",), "seed", None, "s"),
    ("authentication-method", _U, ("auth_method",), "seed", None, ""),
    ("source", _U, ("named_source",), "public", None, ""),
    # --- <virtual-mta>, <virtual-mta-pool> ---------------------------------------------------
    ("cold-virtual-mta", _V, ("name",), "guide", "3.3.10.49", ""),
    ("virtual-mta", _P, ("name",), "sparky", None, "r"),
    # --- <acct-file> -------------------------------------------------------------------------
    ("records", _A, ("*string",), "sparky", None, ""),
    ("max-size", _A, ("size",), "sparky", None, ""),
    ("move-interval", _A, ("duration",), "sparky", None, ""),
    ("delete-after", _A, ("duration_or_never",), "sparky", None, ""),
    ("move-to", _A, ("path",), "sparky", None, ""),
    ("sync", _A, ("bool",), "public", None, ""),
    ("record-fields", _A, ("*string",), "sparky", None, "r"),
    ("map-header-to-field", _A, ("*string",), "public", None, "r"),
    # --- <spool> -----------------------------------------------------------------------------
    ("deliver-only", ("spool",), ("bool",), "sparky", None, ""),
    # --- <bounce-processor>, <feedback-loop-processor>, <address-list> -----------------------
    ("deliver-unmatched-email", _BP, ("bool",), "sparky", None, ""),
    ("deliver-matched-email", _BP, ("bool",), "sparky", None, ""),
    ("domain", ("address-list",), ("domain_pattern",), "sparky", None, "r"),
    # --- <smtp-pattern-list> -----------------------------------------------------------------
    ("reply", ("smtp-pattern-list",), ("*pattern_line",), "public", "3.3.10.91", "r"),
)

DIRECTIVE_TABLE = (
    _TABLE_HEAD
    + tuple((name, _D, None, "guide", section, flags) for name, section, flags in _DOMAIN_LISTED)
    + _TABLE_TAIL
)

# Values that may hold blanks ("h1, h2; [10.1.1.1]:2525", "key1, example.com, /path", a regex).
JOINED_TYPES = ("smtp_hosts", "dkim_key", "pattern_line")

# Inside these stanzas a line whose name is not in the table is a warning (not validated), not an
# error: the table knows only the pattern-list keys seen in published configurations.
LENIENT_STANZAS = ("smtp-pattern-list",)

# What a <smtp-pattern-list> "reply" line may do, as seen in published configurations
# (key=value actions take a value of the given type).
PATTERN_ACTIONS = {
    "mode": ("backoff", "normal"),
    "backoff-to-normal-after": "duration_or_never",
    "disable-source-ip": None,
    "reenable-after": "duration_or_never",
}
