# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Containers for the benchmarks: mail hosts and the smarthost fixture on one podman network.

Only the project's own containers are used; nothing leaves the machine. The smarthost is
prepared with molecule/resources/prepare.yml, exactly as in the molecule scenarios.
"""

import glob
import json
import os
import re
import resource
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
IMAGE = "localhost/egress-debian:bookworm"
# The smarthost fixture preinstalled (make setup builds it): prepare only starts it.
FIXTURE_IMAGE = "localhost/egress-fixture:bookworm"
NETWORK = "egress-bench"
SMARTHOST = "bench-smarthost"
PASSWORD = "p:a ss#w0rd$%"
WORK = os.path.join(ROOT, "bench", "results")


def sh(*args, **kwargs):
    check = kwargs.pop("check", True)
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kwargs)


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + e["PATH"]
    e["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".cache", "collections")
    e["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
    e["MOLECULE_EPHEMERAL_DIRECTORY"] = WORK
    e["ANSIBLE_FORCE_COLOR"] = "0"
    e["ANSIBLE_HOST_KEY_CHECKING"] = "0"
    return e


def ssh_key():
    """The benchmark's SSH key (made once); its public half is every container's authorized key."""
    key = os.path.join(WORK, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(WORK, exist_ok=True)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "egress-bench", "-f", key)
    return key


def start(names, image=None):
    """Start systemd containers (removing old ones of the same name) and wait for their boot.
    The images run sshd; the benchmark's key is mounted as root's authorized key, as the
    molecule scenarios do (molecule/resources/create.yml)."""
    sh("podman", "rm", "-f", *names, check=False)
    key = ssh_key()
    for name in names:
        sh(
            "podman",
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            name,
            "--network",
            NETWORK,
            "-v",
            key + ".pub:/root/.ssh/authorized_keys:ro",
            "--systemd=always",
            image or (FIXTURE_IMAGE if name == SMARTHOST else IMAGE),
            "/sbin/init",
        )
    for name in names:
        for _dummy in range(60):
            state = sh("podman", "exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)


def enable_ssh(names):
    """Wait until sshd answers in the containers (the key is mounted by start())."""
    for name in names:
        for _dummy in range(60):
            if sh("podman", "exec", name, "systemctl", "is-active", "ssh", check=False).stdout.strip() == "active":
                break
            time.sleep(0.5)


def address(name):
    return sh(
        "podman", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name
    ).stdout.strip()


def remove(names):
    if names:
        sh("podman", "rm", "-f", "-t", "0", *names, check=False)


def inventory(mailhosts, path, connection="podman", **group_vars):
    """Write an inventory: group egress_postfix (the mail hosts) and smarthost.

    connection "podman": Ansible execs into the containers (no pipelining possible);
    "ssh": OpenSSH to the containers' addresses with pipelining, as on real hosts.
    """
    mail_vars = {
        "postfix_relay_host": SMARTHOST,
        "postfix_relay_port": 587,
        "postfix_relay_username": "relayuser",
        "postfix_relay_password": PASSWORD,
        "postfix_relay_tls_security_level": "verify",
        "postfix_relay_tls_ca_file": "/etc/ssl/egress-fixture-ca.pem",
    }
    mail_vars.update(group_vars)
    data = {
        "all": {
            "vars": {
                "ansible_connection": "containers.podman.podman",
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "children": {
                "egress_postfix": {"hosts": dict((h, host_vars(h, connection)) for h in mailhosts), "vars": mail_vars},
                "smarthost": {"hosts": {SMARTHOST: {}}},
            },
        }
    }
    with open(path, "w") as handle:
        json.dump(data, handle, indent=1)
    return path


def host_vars(name, connection):
    if connection != "ssh":
        return {}
    return {
        "ansible_connection": "ssh",
        "ansible_host": address(name),
        "ansible_user": "root",
        "ansible_ssh_private_key_file": ssh_key(),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_ssh_pipelining": True,
    }


def setup_network():
    os.makedirs(WORK, exist_ok=True)
    if sh("podman", "network", "exists", NETWORK, check=False).returncode != 0:
        sh("podman", "network", "create", NETWORK)


def prepare(inv, limit=None):
    args = ["ansible-playbook", "-i", inv, os.path.join(ROOT, "molecule", "resources", "prepare.yml")]
    if limit:
        args += ["--limit", limit]
    result = subprocess.run(args, env=env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("prepare failed:\n" + (result.stdout + result.stderr)[-3000:])


def controller_cpu():
    """CPU seconds used so far by this process's finished children (ansible-playbook, its
    workers, and the ssh or podman clients they ran)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def containers_cpu():
    """CPU seconds used so far inside all podman containers (cgroup v1 cpuacct; 0 elsewhere)."""
    total = 0
    for path in glob.glob("/sys/fs/cgroup/cpuacct/libpod_parent/libpod-*/cpuacct.usage"):
        try:
            with open(path) as handle:
                total += int(handle.read())
        except (IOError, OSError, ValueError):
            pass
    return total / 1e9


LAST_CPU = {}


def loadavg():
    """The 1-minute load average, recorded next to every measurement (the machine is shared)."""
    return os.getloadavg()[0]


def playbook(inv, play, *extra, forks=5, environ=None):
    """Run a playbook; returns (seconds, recap dict host -> counters, output). The CPU it
    cost on the controller and inside the containers is left in LAST_CPU, with the load
    average before it started."""
    load = loadavg()
    start_time = time.monotonic()
    cpu0, hosts0 = controller_cpu(), containers_cpu()
    e = env()
    e.update(environ or {})
    result = subprocess.run(
        ["ansible-playbook", "-i", inv, "-f", str(forks), play] + list(extra),
        env=e,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - start_time
    LAST_CPU.update(controller=controller_cpu() - cpu0, hosts=containers_cpu() - hosts0, load=load)
    if result.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (play, (result.stdout + result.stderr)[-3000:]))
    recap = {}
    in_recap = False
    for line in result.stdout.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap and re.match(r"^\S+\s*:\s+ok=", line):
            host, counters = line.split(":", 1)
            recap[host.strip()] = dict((k, int(v)) for k, v in (part.split("=") for part in counters.split()))
    return seconds, recap, result.stdout


def teardown(names):
    remove(names + [SMARTHOST])
    sh("podman", "network", "rm", NETWORK, check=False)
