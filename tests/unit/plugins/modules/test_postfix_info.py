# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_info module's entry point: arguments, check mode, warnings, errors."""

import functools
import json
import os
import subprocess
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.egress.mail.plugins.modules import postfix_info


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as excinfo:
            postfix_info.main()
    return excinfo.value.code, json.loads(capsys.readouterr().out)


def test_reads_files_and_packages_in_check_mode(capsys, tmp_path):
    mailname = tmp_path / "mailname"
    mailname.write_text("web1.example.com\n")
    rc, result = run_module(
        {
            "packages": ["dpkg", "egress-no-such-package"],
            "mailname": str(mailname),
            "reload_pending": str(tmp_path / "pending"),
            "parts": ["packages", "files"],
            "_ansible_check_mode": True,
        },
        capsys,
    )
    assert rc == 0, result
    assert result["changed"] is False
    assert result["missing"] == ["egress-no-such-package"]
    assert result["reload_pending"] is False
    assert result["mailname"]["content"] == "web1.example.com\n"
    assert "db_type" not in result and "mail_queues" not in result


def test_every_part_and_the_queues(capsys, tmp_path):
    rc, result = run_module(
        {"packages": ["dpkg"], "queues": True, "config_dir": str(tmp_path), "mailname": str(tmp_path / "none")}, capsys
    )
    assert rc == 0, result
    for key in (
        "missing",
        "apt_lists",
        "apt_lists_age",
        "installed",
        "db_type",
        "services",
        "active",
        "enabled",
        "reload_pending",
        "mailname",
        "mail_queues",
    ):
        assert key in result, key
    assert result["mailname"] is None
    assert result["mail_queues"]["total"] == sum(result["mail_queues"]["waiting"].values())


@functools.lru_cache(maxsize=None)
def setup_facts():
    """What ``ansible -m setup -a gather_subset=min`` gathers on this machine (the controller)."""
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-c", "local", "-o",
         "-e", "ansible_python_interpreter=%s" % sys.executable, "-m", "ansible.builtin.setup", "-a", "gather_subset=min"],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(proc.stdout.split("=>", 1)[1])["ansible_facts"]


def test_facts_are_what_setup_gathers(capsys, tmp_path):
    # The role skips the setup module on this module's facts: the same values, the same names.
    rc, result = run_module({"facts": True, "parts": ["files"], "mailname": str(tmp_path / "none")}, capsys)
    assert rc == 0, result
    facts, expected = result["ansible_facts"], setup_facts()
    for name in ("os_family", "distribution", "distribution_major_version", "fqdn", "hostname", "domain", "selinux",
                 "service_mgr", "system"):  # fmt: skip
        assert facts["ansible_" + name] == expected["ansible_" + name], name
    assert all(name.startswith("ansible_") for name in facts)


PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - egress.mail.postfix_info: {facts: true, parts: [files], mailname: %s}
    - ansible.builtin.debug:
        msg: "{{ [hostname, domain, ansible_facts.os_family, ansible_os_family, ansible_facts.fqdn,
                  ansible_facts.service_mgr] | to_json }}"
"""


def test_facts_reach_ansible_facts_and_leave_the_inventorys_variables(tmp_path):
    # As setup's: ansible_facts.os_family and ansible_os_family; an inventory `hostname` or `domain`
    # keeps its value; ansible_facts.service_mgr is there, so the service module gathers nothing.
    (tmp_path / "play.yml").write_text(PLAY % (tmp_path / "none"))
    (tmp_path / "hosts").write_text("target ansible_connection=local hostname=from-inventory domain=corp.example "
                                    "ansible_python_interpreter=%s\n" % sys.executable)  # fmt: skip
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "hosts"),
         str(tmp_path / "play.yml")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    msg = json.loads(json.loads(proc.stdout)["plays"][0]["tasks"][1]["hosts"]["target"]["msg"])
    expected = setup_facts()
    assert msg == ["from-inventory", "corp.example", expected["ansible_os_family"], expected["ansible_os_family"],
                   expected["ansible_fqdn"], expected["ansible_service_mgr"]]  # fmt: skip


def test_packages_of_the_hosts_os_family(capsys, tmp_path):
    family = setup_facts()["ansible_os_family"]
    installed = "dpkg" if family == "Debian" else "rpm"  # a package every host of the family has
    rc, result = run_module(
        {
            "packages_by_os_family": {family: [installed, "egress-no-such-package"], "Other": ["egress-other"]},
            "parts": ["packages"],
        },
        capsys,
    )
    assert rc == 0, result
    assert result["missing"] == ["egress-no-such-package"]
    assert "ansible_facts" not in result  # facts: false


@pytest.mark.parametrize(
    "by_family, fragment",
    [
        (
            {"Other": ["postfix"]},
            "packages_by_os_family has no package list for this host's OS family '{family}' (it has: Other)",
        ),
        ({}, "no package list for this host's OS family '{family}' (it has: none)"),
        ({"{family}": "postfix"}, "packages_by_os_family: the value of {family} must be a list of package names"),
        ({"{family}": ["postfix; id"]}, "packages: 'postfix; id' is not a valid name"),
    ],
)
def test_refused_package_lists(capsys, by_family, fragment):
    family = setup_facts()["ansible_os_family"]
    by_family = dict((key.replace("{family}", family), value) for key, value in by_family.items())
    rc, result = run_module({"packages_by_os_family": by_family, "parts": ["packages"]}, capsys)
    assert rc == 1 and result["failed"] is True
    assert fragment.replace("{family}", family) in result["msg"]


def test_packages_and_packages_by_os_family_exclude_each_other(capsys):
    rc, result = run_module({"packages": ["postfix"], "packages_by_os_family": {"Debian": ["postfix"]}}, capsys)
    assert rc == 1 and "mutually exclusive: packages|packages_by_os_family" in result["msg"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"packages": ["postfix; id"]}, "packages: 'postfix; id' is not a valid name"),
        ({"service": "../postfix"}, "service: '../postfix' is not a valid name"),
        ({"parts": ["everything"]}, "value of parts must be one or more of"),
    ],
)
def test_refused_arguments(capsys, args, fragment):
    rc, result = run_module(args, capsys)
    assert rc == 1
    assert fragment in result["msg"], result["msg"]
