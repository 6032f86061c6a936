# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the tests of plugins/module_utils/probe/ share: the loopback address, the EHLO name, a
name that cannot resolve, one probe run through the public face, and the checks on its report.
The servers are in smtp_servers.py; the fixtures in tests/unit/plugins/module_utils/probe/conftest.py.
"""

from ansible_collections.egress.mail.plugins.module_utils import smtp_probe

LOCAL = "127.0.0.1"
EHLO = "probe.example.org"
# A label longer than 63 octets cannot be encoded: resolution fails locally, nothing is sent.
BAD_NAME = "x" * 64 + ".smtp-probe-test.invalid"


def run(hosts, ports, **params):
    params.setdefault("timeout", 2)
    params.setdefault("ehlo_name", EHLO)
    params.setdefault("implicit_tls_ports", [])
    params["hosts"] = hosts
    params["ports"] = ports
    options, report = smtp_probe.probe(params)
    return options, report


def only(report):
    assert len(report["results"]) == 1, report["results"]
    return report["results"][0]


def assert_polite(srv):
    """The probe said only EHLO, STARTTLS and QUIT."""
    for line in srv.commands:
        assert line.split(" ", 1)[0].upper() in ("EHLO", "STARTTLS", "QUIT"), srv.commands
