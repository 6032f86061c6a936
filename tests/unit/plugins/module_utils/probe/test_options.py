# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/probe/options.py: the parameters' checks, the defaults and the states.

Through the public face module_utils/smtp_probe, against real SMTP test servers on 127.0.0.1.
No socket call is mocked. Only loopback addresses are contacted; the one name that is
resolved is under .invalid with an over-long label, which fails inside the resolver
library before any query is sent.
"""

import os
import socket
import ssl

import yaml

import pytest

from ansible_collections.egress.mail.plugins.module_utils import smtp_probe
from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers


# ---------------------------------------------------------------------------
# Argument validation


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hosts": []}, "hosts must list at least one host"),
        ({"hosts": None}, "hosts must list at least one host"),
        ({"hosts": ["smtp.example.net", "two words"]}, "invalid entry 'two words'"),
        ({"hosts": [""]}, "invalid entry ''"),
        (
            {"hosts": ["smtp.example.net:587"]},
            "invalid entry 'smtp.example.net:587': give the host name or address only",
        ),
        ({"hosts": ["[2001:db8::1]:587"]}, "invalid entry '[2001:db8::1]:587'"),
        ({"hosts": ["a"], "ports": [0]}, "ports: 0 is out of range: TCP ports are 1-65535"),
        ({"hosts": ["a"], "ports": [65536]}, "ports: 65536 is out of range"),
        ({"hosts": ["a"], "ports": []}, "ports must list at least one port"),
        ({"hosts": ["a"], "ports": ["smtp"]}, "ports: 'smtp' is not a TCP port number"),
        ({"hosts": ["a"], "prefer": [70000]}, "prefer: 70000 is out of range"),
        ({"hosts": ["a"], "implicit_tls_ports": [-1]}, "implicit_tls_ports: -1 is out of range"),
        ({"hosts": ["a"], "timeout": 0}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "timeout": -2.5}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "timeout": float("nan")}, "timeout must be greater than 0"),
        ({"hosts": ["a"], "max_workers": 0}, "max_workers must be between 1 and 1024"),
        ({"hosts": ["a"], "expect_banner": "(unclosed"}, "expect_banner is not a valid regular expression"),
        ({"hosts": ["a"], "ehlo_name": "has space"}, "ehlo_name must be a host name without whitespace"),
        ({"hosts": ["a"], "ca_file": "/nonexistent/ca.pem"}, "ca_file /nonexistent/ca.pem does not exist"),
    ],
)
def test_argument_validation(params, message):
    with pytest.raises(smtp_probe.ProbeArgumentError) as excinfo:
        smtp_probe.build_options(params)
    assert message in str(excinfo.value)


def test_defaults_and_normalisation():
    options = smtp_probe.build_options(
        {"hosts": ["smtp.example.net", "[2001:db8::25]", "smtp.example.net", "fe80::1%eth0", "192.0.2.25"]}
    )
    assert options.hosts == ["smtp.example.net", "2001:db8::25", "fe80::1%eth0", "192.0.2.25"]
    assert options.ports == [25, 465, 587, 2525]
    assert options.implicit_tls_ports == [465]
    assert options.prefer == [587, 2525, 465]
    assert options.timeout == 5.0
    assert options.max_workers == 64
    assert options.ehlo_name == (socket.getfqdn() or "localhost")
    assert options.starttls is True and options.require_recommended is False


def test_bad_ca_file_content(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(smtp_probe.ProbeArgumentError, match="could not be loaded"):
        smtp_probe.build_options({"hosts": ["a"], "ca_file": str(bad)})


# ---------------------------------------------------------------------------
# Constants and limits the documentation promises (mutation testing found these unchecked)


def _module_doc(name):
    path = os.path.join(smtp_servers.REPO_ROOT, "plugins", "modules", "smtp_probe.py")
    with open(path) as handle:
        source = handle.read()
    start = source.index('%s = r"""' % name) + len('%s = r"""' % name)
    return yaml.safe_load(source[start : source.index('"""', start)])


def test_states_are_the_documented_choices():
    choices = _module_doc("RETURN")["results"]["contains"]["state"]["choices"]
    assert list(smtp_probe.STATES) == choices
    assert smtp_probe.BLOCKING_STATES == {"filtered", "refused", "unreachable"}
    assert smtp_probe.CONNECTED_STATES == {"open", "rejected", "no_banner", "intercepted", "tls_failed"}
    assert smtp_probe.BLOCKING_STATES | smtp_probe.CONNECTED_STATES | {"dns_error"} == set(smtp_probe.STATES)


# ---------------------------------------------------------------------------
# mutation testing (issue 21)


def test_probe_options_defaults_without_build_options():
    """ProbeOptions' own defaults are the documented ones (summarize's tests build it directly)."""
    options = smtp_probe.ProbeOptions(["mx.example.net"])
    assert options.hosts == ["mx.example.net"]
    assert options.ports == [25, 465, 587, 2525]
    assert options.implicit_tls_ports == [465]
    assert options.prefer == [587, 2525, 465]
    assert options.timeout == 5.0
    assert options.starttls is True
    assert options.require_recommended is False
    assert options.max_workers == 64
    assert options.expect_banner is None
    assert options.ca_file is None
    assert options.insecure_context is not None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hosts": []}, "hosts must list at least one host name or address"),
        (
            {"hosts": ["two words"]},
            "hosts: invalid entry 'two words': a host must be a non-empty name or address without whitespace",
        ),
        (
            {"hosts": [" smtp.example.net"]},
            "hosts: invalid entry ' smtp.example.net': a host must be a non-empty name or address without whitespace",
        ),
        (
            {"hosts": [25]},
            "hosts: invalid entry 25: a host must be a non-empty name or address without whitespace",
        ),
        (
            {"hosts": ["smtp.example.net:587"]},
            "hosts: invalid entry 'smtp.example.net:587': give the host name or address only and list the ports "
            "in ports (IPv6 addresses may be written with or without brackets)",
        ),
        (
            {"hosts": ["[smtp.example.net:587]"]},
            "hosts: invalid entry '[smtp.example.net:587]': give the host name or address only and list the ports "
            "in ports (IPv6 addresses may be written with or without brackets)",
        ),
        ({"hosts": ["[]"]}, 'hosts: invalid entry "[]"'),
        ({"hosts": ["a"], "ports": [True]}, "ports: True is not a TCP port number (1-65535)"),
        ({"hosts": ["a"], "ports": ["smtp"]}, "ports: 'smtp' is not a TCP port number (1-65535)"),
        ({"hosts": ["a"], "ports": [None]}, "ports: None is not a TCP port number (1-65535)"),
        ({"hosts": ["a"], "ports": [25.5]}, "ports: 25.5 is not a TCP port number (1-65535)"),
        ({"hosts": ["a"], "ports": [0]}, "ports: 0 is out of range: TCP ports are 1-65535"),
        ({"hosts": ["a"], "ports": [65536]}, "ports: 65536 is out of range: TCP ports are 1-65535"),
        ({"hosts": ["a"], "ports": []}, "ports must list at least one port"),
        ({"hosts": ["a"], "prefer": [False]}, "prefer: False is not a TCP port number (1-65535)"),
        ({"hosts": ["a"], "timeout": "soon"}, "timeout must be a number of seconds, got 'soon'"),
        ({"hosts": ["a"], "timeout": [1]}, "timeout must be a number of seconds, got [1]"),
        ({"hosts": ["a"], "timeout": 0}, "timeout must be greater than 0 seconds, got 0"),
        ({"hosts": ["a"], "timeout": float("inf")}, "timeout must be greater than 0 seconds, got inf"),
        ({"hosts": ["a"], "timeout": float("-inf")}, "timeout must be greater than 0 seconds, got -inf"),
        ({"hosts": ["a"], "max_workers": True}, "max_workers must be an integer, got True"),
        ({"hosts": ["a"], "max_workers": "many"}, "max_workers must be an integer, got 'many'"),
        ({"hosts": ["a"], "max_workers": [2]}, "max_workers must be an integer, got [2]"),
        ({"hosts": ["a"], "max_workers": 0}, "max_workers must be between 1 and 1024, got 0"),
        ({"hosts": ["a"], "max_workers": 1025}, "max_workers must be between 1 and 1024, got 1025"),
        (
            {"hosts": ["a"], "ehlo_name": "has space"},
            "ehlo_name must be a host name without whitespace, got 'has space'",
        ),
        ({"hosts": ["a"], "ehlo_name": 42}, "ehlo_name must be a host name without whitespace, got 42"),
        (
            {"hosts": ["a"], "ehlo_name": "b\u00fccher.example"},
            "ehlo_name must be ASCII (use the IDNA \"xn--\" form), got 'b\u00fccher.example'",
        ),
        (
            {"hosts": ["a"], "expect_banner": "(unclosed"},
            "expect_banner is not a valid regular expression: missing ), unterminated subpattern at position 0",
        ),
        (
            {"hosts": ["a"], "ca_file": "/nonexistent/ca.pem"},
            "ca_file /nonexistent/ca.pem does not exist or is not a regular file",
        ),
    ],
)
def test_argument_errors_are_whole_messages(params, message):
    """The whole message, not a part of it (mutation testing changed the text around them)."""
    with pytest.raises(smtp_probe.ProbeArgumentError) as excinfo:
        smtp_probe.build_options(params)
    assert str(excinfo.value) == message


def test_a_ca_file_that_is_not_pem_is_named_with_the_reason(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(smtp_probe.ProbeArgumentError) as excinfo:
        smtp_probe.build_options({"hosts": ["a"], "ca_file": str(bad)})
    prefix = "ca_file %s could not be loaded as PEM CA certificates: " % bad
    assert str(excinfo.value).startswith(prefix) and len(str(excinfo.value)) > len(prefix)


def test_accepted_boundaries_and_single_values():
    options = smtp_probe.build_options(
        {
            "hosts": "mx.example.net",
            "ports": [1, 65535, "587", 1],
            "implicit_tls_ports": 465,
            "prefer": "587",
            "timeout": "0.25",
            "max_workers": 1024,
            "ehlo_name": "",
            "expect_banner": "",
            "starttls": 0,
            "require_recommended": 1,
        }
    )
    assert options.hosts == ["mx.example.net"]
    assert options.ports == [1, 65535, 587]
    assert options.implicit_tls_ports == [465]
    assert options.prefer == [587]
    assert options.timeout == 0.25
    assert options.max_workers == 1024
    assert options.ehlo_name == (socket.getfqdn() or "localhost")
    assert options.expect_banner is None
    assert options.starttls is False and options.require_recommended is True
    assert smtp_probe.build_options({"hosts": ["a"], "max_workers": "1"}).max_workers == 1
    assert smtp_probe.build_options({"hosts": ["a"], "prefer": []}).prefer == []


def test_a_given_ca_file_has_no_unverified_context(pki):
    options = smtp_probe.build_options({"hosts": ["a"], "ca_file": pki["ca_file"]})
    assert options.ca_file == pki["ca_file"]
    assert options.insecure_context is None
    assert options.verify_context.verify_mode == ssl.CERT_REQUIRED
    options = smtp_probe.build_options({"hosts": ["a"], "ca_file": ""})
    assert options.ca_file is None
    assert options.insecure_context.verify_mode == ssl.CERT_NONE and options.insecure_context.check_hostname is False
    assert options.verify_context.verify_mode == ssl.CERT_REQUIRED and options.verify_context.check_hostname is True


def test_no_port_list_is_an_empty_one_where_that_is_allowed():
    options = smtp_probe.ProbeOptions(["mx.example.net"], implicit_tls_ports=None, prefer=None)
    assert options.implicit_tls_ports == [] and options.prefer == []
    with pytest.raises(smtp_probe.ProbeArgumentError) as excinfo:
        smtp_probe.ProbeOptions(["mx.example.net"], ports=None)
    assert str(excinfo.value) == "ports must list at least one port"


@pytest.mark.parametrize("fqdn", ["", "host name"], ids=["empty", "whitespace"])
def test_the_ehlo_name_falls_back_to_localhost(monkeypatch, fqdn):
    """The machine's own name cannot be changed for a test: getfqdn is the one thing replaced here."""
    monkeypatch.setattr(socket, "getfqdn", lambda: fqdn)
    assert smtp_probe.build_options({"hosts": ["a"]}).ehlo_name == "localhost"
