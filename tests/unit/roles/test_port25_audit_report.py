"""port25_audit's report, rendered by ansible-core from the role's own task and templates, byte
for byte as the role wrote it before its logic moved to module_utils/port25_report.py.

The cases (tests/unit/plugins/module_utils/fixtures/port25_report/) hold each host's registered
probe loop and queue: the fact is built by the role's own set_fact task (tasks/probe.yml), the
report by its templates with hostvars and ansible_play_hosts_all as a play has them.

The role calls the collection's filters by name, which ansible-core's collection loader resolves;
the other unit tests import the collection as a plain package, which that loader cannot use. So
the rendering runs in a fresh Python process: this file run as a script.
"""

import json
import os
import subprocess
import sys

import pytest

ROLES_TESTS = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(ROLES_TESTS, "..", "plugins", "module_utils", "fixtures", "port25_report")
CASES = sorted(name for name in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, name)))
FORMATS = ["md", "csv", "json"]


def _fixture(case, name):
    with open(os.path.join(FIXTURES, case, name), encoding="utf-8") as handle:
        return handle.read()


def _render(case):
    """{facts: {host: port25_audit_result}, files: {format: text}} of a case, as the role makes them."""
    sys.path.insert(0, os.path.join(os.path.dirname(ROLES_TESTS), "helpers"))
    from role_render import RoleRenderer, _trust
    from ansible.template import Templar

    given = json.loads(_fixture(case, "input.json"))
    renderer = RoleRenderer("port25_audit", ["defaults/main.yml", "vars/main.yml"])
    common = {"port25_audit_ports": given["ports"], "port25_audit_timeout": given["timeout"]}
    tasks = renderer.loader.load_from_file(os.path.join(renderer.path, "tasks", "probe.yml"))
    set_fact = _trust(
        [task for task in tasks if task.get("name") == "Set the result of this host"][0]["ansible.builtin.set_fact"]
    )
    hostvars = {}
    for host in given["hosts"]:
        hostvars[host] = {}
        if host in given["inputs"]:
            variables = dict(
                renderer.variables,
                inventory_hostname=host,
                __port25_audit_probe={"results": given["inputs"][host]["probes"]},
                __port25_audit_queue=given["inputs"][host]["queue"],
                **common,
            )
            hostvars[host] = Templar(loader=renderer.loader, variables=variables).template(set_fact)
    play = dict(common, hostvars=hostvars, ansible_play_hosts_all=given["hosts"])
    files = dict(
        (fmt, renderer.render("{{ lookup('ansible.builtin.template', 'port25-audit.%s.j2') }}" % fmt, **play))
        for fmt in FORMATS
    )
    facts = dict((host, values["port25_audit_result"]) for host, values in hostvars.items() if values)
    return {"facts": facts, "files": files}


@pytest.fixture(scope="module")
def rendered():
    proc = subprocess.run([sys.executable, os.path.abspath(__file__)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("case", CASES)
def test_facts_as_before(rendered, case):
    assert rendered[case]["facts"] == json.loads(_fixture(case, "facts.json"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_report_file_byte_for_byte(rendered, case, fmt):
    assert rendered[case]["files"][fmt] == _fixture(case, "port25-audit." + fmt)


if __name__ == "__main__":
    json.dump(dict((case, _render(case)) for case in CASES), sys.stdout)
