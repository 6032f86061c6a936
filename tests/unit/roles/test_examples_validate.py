"""examples/validate.yml: the roles' own checks on the example inventory, no host contacted.

Every host of examples/inventory is pointed at a closed port on loopback (a second inventory
source), so a task that tried to connect would make the host unreachable: the runs below must
end with no unreachable host. Bad values given as extra variables fail with the roles' own
messages, naming the variable.
"""

import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "examples", "validate.yml")
INVENTORY = os.path.join(ROOT, "examples", "inventory")
HOSTS = ["web1.example.com", "web2.example.com", "mta1.example.com"]


def _closed_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when this returns: a connection is refused


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory):
    """A second inventory source: every example host at a closed port of 127.0.0.1, over SSH."""
    path = tmp_path_factory.mktemp("inventory") / "unreachable.yml"
    port = _closed_port()
    hosts = dict(
        (name, {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_connection": "ssh"}) for name in HOSTS
    )
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return str(path)


def run(unreachable, playbook=EXAMPLE, extra=None):
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        INVENTORY,
        "-i",
        unreachable,
        playbook,
    ]
    if extra:
        command += ["-e", json.dumps(extra)]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_TIMEOUT="5",
    )
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(proc.stdout[proc.stdout.find("{") :])
    return proc.returncode, report


def failures(report):
    """{host: message} of every failed task."""
    found = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed") or result.get("unreachable"):
                    found[host] = result.get("msg", "")
    return found


def test_the_harness_notices_a_contacted_host(unreachable, tmp_path):
    playbook = tmp_path / "contact.yml"
    playbook.write_text("- hosts: web1.example.com\n  gather_facts: true\n  tasks: []\n")
    code, report = run(unreachable, str(playbook))
    assert code != 0 and report["stats"]["web1.example.com"]["unreachable"] == 1


def test_the_example_inventory_passes_without_contacting_a_host(unreachable):
    code, report = run(unreachable)
    assert code == 0, failures(report)
    for host in HOSTS:
        stats = report["stats"][host]
        assert stats["unreachable"] == 0 and stats["failures"] == 0 and stats["changed"] == 0, (host, stats)
    messages = dict(
        (host, result["msg"])
        for play in report["plays"]
        for task in play["tasks"]
        if task["task"]["name"].startswith("Show the smarthost")
        for host, result in task["hosts"].items()
    )
    assert messages["web1.example.com"] == "smtp.sendgrid.net:587 as apikey, TLS verify"
    assert messages["mta1.example.com"] == "smtp.eu.mailgun.org:auto as postmaster@mg.example.com"
    assert "SG.replace-me" not in json.dumps(report) and "replace-me-with" not in json.dumps(report)


WEB = ["web1.example.com", "web2.example.com"]
MTA = ["mta1.example.com"]


@pytest.mark.parametrize(
    "extra, hosts, message",
    [
        (
            {"postfix_relay_mynetworks": ["0.0.0.0/0"]},
            WEB,
            "postfix_relay_mynetworks[0]: '0.0.0.0/0' covers every address: an open relay",
        ),
        (
            {
                "powermta_relay_install": True,
                "powermta_relay_package_src": "/srv/pmta.rpm",
                "powermta_relay_license_src": "/srv/l",
            },
            MTA,
            "powermta_relay_package_src: '/srv/pmta.rpm' must be a .deb package on this OS family",
        ),
    ],
    ids=["postfix-networks", "powermta-install-os-vars"],
)
# The .rpm is refused because the checks ran with vars/Debian.yml (the example's default OS family).
def test_bad_values_fail_with_the_roles_messages(unreachable, extra, hosts, message):
    code, report = run(unreachable, extra=extra)
    assert code != 0
    found = failures(report)
    assert sorted(found) == hosts, found
    for host in hosts:
        assert message in found[host], found
    assert all(stats["unreachable"] == 0 for stats in report["stats"].values())
