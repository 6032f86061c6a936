# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the ``egress.mail.smtp_probe`` module: find which SMTP ports get out.

Everything here uses the standard library only and runs on Python 3.8 and later.

The probe of one (host, port, address) is a small, careful SMTP client:

* connect (TCP), on an implicit-TLS port do the TLS handshake at once,
* read the greeting (multi-line aware),
* ``EHLO``; on other ports, when the server offers ``STARTTLS`` and the
  ``starttls`` option is on, ``STARTTLS``, the handshake and ``EHLO`` again
  (the AUTH mechanisms reported are those offered over TLS),
* ``QUIT``.

It never sends ``MAIL``, ``RCPT``, ``DATA`` or ``AUTH``. One deadline of
``timeout`` seconds covers the whole exchange of one connection; all probes run
concurrently on at most ``max_workers`` threads.

Public entry points: :func:`build_options`, :func:`run_probes`,
:func:`unusable_message` and :func:`probe` (both steps in one call).

This module is the public face; the code is in the package ``probe``, by layer:
``probe.options`` (defaults, states, checking the parameters), ``probe.channel`` (a socket with
one deadline, SMTP replies, TLS over memory BIOs), ``probe.session`` (one connection's
conversation and its state), ``probe.runner`` (many connections on bounded threads) and
``probe.summary`` (the recommended port, the message when none is usable).
"""

from ansible_collections.egress.mail.plugins.module_utils.probe.channel import QUIT_WAIT
from ansible_collections.egress.mail.plugins.module_utils.probe.options import (
    BLOCKING_STATES,
    CONNECTED_STATES,
    DEFAULT_IMPLICIT_TLS_PORTS,
    DEFAULT_MAX_WORKERS,
    DEFAULT_PORTS,
    DEFAULT_PREFER,
    DEFAULT_TIMEOUT,
    MAX_WORKERS_LIMIT,
    STATES,
    ProbeArgumentError,
    ProbeOptions,
    build_options,
)
from ansible_collections.egress.mail.plugins.module_utils.probe.runner import run_probes
from ansible_collections.egress.mail.plugins.module_utils.probe.session import (
    _classify_connect_error,
    _new_result,
    _parse_ehlo,
    probe_address,
)
from ansible_collections.egress.mail.plugins.module_utils.probe.summary import summarize, unusable_message

__all__ = [
    "BLOCKING_STATES",
    "CONNECTED_STATES",
    "DEFAULT_IMPLICIT_TLS_PORTS",
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_PORTS",
    "DEFAULT_PREFER",
    "DEFAULT_TIMEOUT",
    "MAX_WORKERS_LIMIT",
    "QUIT_WAIT",
    "STATES",
    "ProbeArgumentError",
    "ProbeOptions",
    "build_options",
    "probe",
    "probe_address",
    "run_probes",
    "summarize",
    "unusable_message",
    # for the unit tests of the layers below
    "_classify_connect_error",
    "_new_result",
    "_parse_ehlo",
]


def probe(params):
    """Validate ``params`` (module-style dict) and run the probes; return (options, report)."""
    options = build_options(params)
    return options, run_probes(options)
