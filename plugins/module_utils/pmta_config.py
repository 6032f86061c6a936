# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parser, validator and secret masker for the PowerMTA configuration language.

PowerMTA reads ``/etc/pmta/config``: ``#`` comments, one directive per line
(``name value...``) and stanzas ``<name arg>`` ... ``</name>``.  Stanzas nest:
``<domain>`` may sit inside ``<virtual-mta>``.

Nothing here runs PowerMTA (it is licensed software).  The directive table
below lists only directives whose spelling and context were checked against
published material (the SparkPost "which SMTP port" guide, the vendor's sample
``/etc/pmta/config``, a transcription of the vendor's recipient-domain
directive reference, and public configurations); see the role README for the
sources.  Anything else is reported as an unknown directive, unless it is in
the small ``UNCHECKED_DIRECTIVES`` allow-list (accepted, value not checked) or
the caller passes it in ``extra_directives``.

Stdlib only; runs on Python 3.8 and later.

This module is the linter's public face; the code is in the package ``pmta``, by layer:
``pmta.directives`` (the data table of stanzas and directives), ``pmta.schema`` (the lookup
tables built from it, findings), ``pmta.values`` (the value types), ``pmta.lexer`` (lines,
tokens, comments, tags), ``pmta.parser`` (the tree), ``pmta.checks`` (what a configuration
does: ``validate``) and ``pmta.secrets`` (masking passwords in texts and diffs).
"""

from __future__ import annotations

from ansible_collections.egress.mail.plugins.module_utils.pmta.checks import validate
from ansible_collections.egress.mail.plugins.module_utils.pmta.parser import REDACTED, Directive, Stanza, parse
from ansible_collections.egress.mail.plugins.module_utils.pmta.lexer import split_tokens
from ansible_collections.egress.mail.plugins.module_utils.pmta.schema import (
    DIRECTIVES,
    GLOBAL,
    LENIENT_STANZAS,
    MASK,
    OPAQUE_STANZAS,
    REPEATABLE,
    SECRET_DIRECTIVES,
    STANZAS,
    UNCHECKED_DIRECTIVES,
    Finding,
    directives_markdown,
    format_error,
    format_errors,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.secrets import mask_secrets, masked_diff, secret_values
from ansible_collections.egress.mail.plugins.module_utils.pmta.values import (
    _TYPE_HELP,
    _check_value,
    parse_bool,
    parse_hostport,
    parse_listener,
    parse_network,
    parse_pattern_line,
    parse_smtp_hosts,
)

__all__ = [
    "DIRECTIVES",
    "GLOBAL",
    "LENIENT_STANZAS",
    "MASK",
    "OPAQUE_STANZAS",
    "REDACTED",
    "REPEATABLE",
    "SECRET_DIRECTIVES",
    "STANZAS",
    "UNCHECKED_DIRECTIVES",
    "Directive",
    "Finding",
    "Stanza",
    "directives_markdown",
    "format_error",
    "format_errors",
    "mask_secrets",
    "masked_diff",
    "parse",
    "parse_bool",
    "parse_hostport",
    "parse_listener",
    "parse_network",
    "parse_pattern_line",
    "parse_smtp_hosts",
    "secret_values",
    "split_tokens",
    "validate",
    # used by pmta_settings (value types) and the docs tests
    "_TYPE_HELP",
    "_check_value",
]
