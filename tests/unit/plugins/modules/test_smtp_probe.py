# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of the egress.mail.smtp_probe module entry point (argument handling, exit/fail JSON).

Probes only contact test servers on 127.0.0.1.
"""

import json
import os
import subprocess
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import smtp_probe as module
from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers

LOCAL = "127.0.0.1"
COLLECTIONS = os.path.join(smtp_servers.REPO_ROOT, ".cache", "collections")


def run_module(args, capsys):
    """Run main() in-process; return (exit code, parsed JSON)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            module.main()
    out = capsys.readouterr().out
    return excinfo.value.code, json.loads(out)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"hosts": []}, "hosts must list at least one host name or address"),
        ({"hosts": ["smtp.example.net"], "ports": [587, 70000]}, "ports: 70000 is out of range: TCP ports are 1-65535"),
        ({"hosts": ["smtp.example.net"], "timeout": 0}, "timeout must be greater than 0 seconds"),
        ({"hosts": ["smtp example net"]}, "hosts: invalid entry 'smtp example net'"),
        ({"hosts": ["smtp.example.net"], "max_workers": 0}, "max_workers must be between 1 and 1024"),
        ({"hosts": ["smtp.example.net"], "expect_banner": "[220"}, "expect_banner is not a valid regular expression"),
    ],
)
def test_argument_errors(args, message, capsys):
    rc, result = run_module(args, capsys)
    assert rc == 1
    assert result["failed"] is True
    assert message in result["msg"]


def test_missing_hosts_is_an_ansible_error(capsys):
    rc, result = run_module({}, capsys)
    assert rc == 1
    assert "missing required arguments: hosts" in result["msg"]


def test_ports_type_conversion_error(capsys):
    rc, result = run_module({"hosts": ["smtp.example.net"], "ports": ["smtp"]}, capsys)
    assert rc == 1
    assert "ports" in result["msg"]


def test_success_check_mode_changes_nothing(capsys, tmp_path):
    pki = smtp_servers.make_pki(str(tmp_path))
    context = smtp_servers.server_context(pki["cert_file"], pki["key_file"])
    with smtp_servers.SMTPTestServer("starttls", tls_context=context) as srv:
        rc, result = run_module(
            {
                "hosts": [LOCAL],
                "ports": [srv.port],
                "prefer": [srv.port],
                "timeout": 2,
                "ca_file": pki["ca_file"],
                "require_recommended": True,
                "_ansible_check_mode": True,
            },
            capsys,
        )
    assert rc == 0, result
    assert result["changed"] is False
    assert result["recommended_port"] == srv.port
    assert result["recommended_wrappermode"] is False
    assert result["results"][0]["state"] == "open"
    assert result["results"][0]["tls_verified"] is True
    assert set(result) >= {
        "results",
        "port25_blocked",
        "open_ports",
        "blocked_ports",
        "recommended_port",
        "recommended_wrappermode",
        "elapsed_ms",
    }


def test_require_recommended_failure_message(capsys):
    refused = smtp_servers.closed_port()
    with smtp_servers.SMTPTestServer("plain") as plain:
        rc, result = run_module(
            {
                "hosts": [LOCAL],
                "ports": [refused, plain.port],
                "prefer": [refused, plain.port],
                "timeout": 2,
                "require_recommended": True,
            },
            capsys,
        )
    assert rc == 1
    assert result["msg"] == (
        "require_recommended: no usable relay port on 127.0.0.1: %d refused (Connection refused); "
        "%d open without TLS (STARTTLS not offered)" % (refused, plain.port)
    )
    assert len(result["results"]) == 2
    assert result["recommended_port"] is None


def test_module_file_runs_as_a_script_with_args_file(tmp_path):
    """The module as Ansible runs it: a python process reading an args JSON file."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"hosts": ["smtp.example.net"], "ports": [0]}}))
    env = dict(os.environ)
    env["PYTHONPATH"] = COLLECTIONS + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, smtp_servers.MODULE, str(args_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["failed"] is True
    assert result["msg"] == "ports: 0 is out of range: TCP ports are 1-65535"


CLOUD_FIXTURES = os.path.join(smtp_servers.REPO_ROOT, "tests", "unit", "plugins", "module_utils", "fixtures", "cloud")


def test_cloud_and_policy_from_dmi_fixture(capsys, tmp_path):
    pki = smtp_servers.make_pki(str(tmp_path))
    context = smtp_servers.server_context(pki["cert_file"], pki["key_file"])
    with smtp_servers.SMTPTestServer("starttls", tls_context=context) as srv:
        rc, result = run_module(
            {
                "hosts": [LOCAL],
                "ports": [srv.port],
                "prefer": [srv.port],
                "timeout": 2,
                "ca_file": pki["ca_file"],
                "dmi_path": os.path.join(CLOUD_FIXTURES, "azure", "dmi"),
                "cloud_files_root": os.path.join(CLOUD_FIXTURES, "azure", "root"),
            },
            capsys,
        )
    assert rc == 0, result
    assert result["cloud"]["provider"] == "azure"
    assert result["cloud"]["name"] == "Microsoft Azure"
    assert any("7783-7084-3265-9085-8269-3286-77" in item for item in result["cloud"]["evidence"])
    assert result["cloud"]["unreadable"] == []
    policy = result["port25_policy"]
    assert policy["provider"] == "azure" and policy["since"] == "2017-11-15" and policy["relay_ports"] == [587, 443]
    assert result["msg"] == (
        "port 25 not probed; Azure blocks outbound 25 for this subscription type since "
        "2017-11-15; relay on %d" % srv.port
    )


def test_unknown_cloud_and_detection_off(capsys):
    refused = smtp_servers.closed_port()
    args = {
        "hosts": [LOCAL],
        "ports": [refused],
        "prefer": [refused],
        "timeout": 2,
        "dmi_path": os.path.join(CLOUD_FIXTURES, "kvm-unknown", "dmi"),
        "cloud_files_root": os.path.join(CLOUD_FIXTURES, "kvm-unknown", "root"),
    }
    rc, result = run_module(args, capsys)
    assert rc == 0
    assert result["cloud"]["provider"] == "unknown"
    assert "product_name = 'Standard PC (Q35 + ICH9, 2009)'" in " ".join(result["cloud"]["evidence"])
    assert result["port25_policy"] is None
    assert result["msg"] == "port 25 not probed; cloud provider unknown; no relay port open with TLS"

    args["cloud_detection"] = False
    rc, result = run_module(args, capsys)
    assert rc == 0
    assert result["cloud"] is None and result["port25_policy"] is None
    assert result["msg"] == "port 25 not probed; cloud provider unknown; no relay port open with TLS"


def test_require_recommended_failure_keeps_cloud(capsys):
    refused = smtp_servers.closed_port()
    rc, result = run_module(
        {
            "hosts": [LOCAL],
            "ports": [refused],
            "prefer": [refused],
            "timeout": 2,
            "require_recommended": True,
            "dmi_path": os.path.join(CLOUD_FIXTURES, "gcp", "dmi"),
            "cloud_files_root": os.path.join(CLOUD_FIXTURES, "gcp", "root"),
        },
        capsys,
    )
    assert rc == 1
    assert result["msg"].startswith("require_recommended: no usable relay port on 127.0.0.1")
    assert result["cloud"]["provider"] == "gcp"
    assert result["port25_policy"]["provider"] == "gcp"
