"""Running Ansible from a scenario's tests, as a user would (ansible-playbook with molecule's
inventory), and reading what it printed: one copy for every scenario.

    run = playbook("converge.yml", "--check", "-e", json.dumps({...}))
    run.returncode, run.output       # stdout and stderr merged, in order
    recap(run.output)["host"]["changed"]
"""

import json
import os
import re
import subprocess
from collections import namedtuple

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

Run = namedtuple("Run", "args returncode stdout output")


def scenario_directory():
    return os.environ["MOLECULE_SCENARIO_DIRECTORY"]


def ansible_env(**extra):
    """The environment of a run: molecule's (its ansible.cfg, the collection path), no colours;
    -v output kept in order with the rest."""
    env = dict(
        os.environ,
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
        PY_COLORS="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_VERBOSE_TO_STDERR="0",
    )
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(PROJECT, ".cache", "collections"))
    env.update(extra)
    return env


def playbook(name, *args, **env):
    """ansible-playbook on a playbook of the scenario (name relative to its directory) with
    molecule's inventory. Keyword arguments are environment variables; json=True keeps stderr
    apart (stdout is then the JSON callback's document); extra_vars=dict passes them with -e."""
    as_json = env.pop("json", False)
    extra_vars = env.pop("extra_vars", None)
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(scenario_directory(), name)]
    if extra_vars is not None:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += list(args)
    proc = subprocess.run(
        cmd,
        env=ansible_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if as_json else subprocess.STDOUT,
        text=True,
        check=False,
    )
    return Run(cmd, proc.returncode, proc.stdout, proc.stdout + (proc.stderr or ""))


def adhoc(pattern, module, module_args="", *args, **env):
    """ansible (ad hoc) with molecule's inventory."""
    cmd = ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], pattern, "-m", module]
    cmd += (["-a", module_args] if module_args else []) + list(args)
    proc = subprocess.run(cmd, env=ansible_env(**env), capture_output=True, text=True, check=False)
    return Run(cmd, proc.returncode, proc.stdout, proc.stdout + proc.stderr)


def json_run(name, *args, **env):
    """ansible-playbook with the JSON callback: (returncode, parsed report, raw output)."""
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    run = playbook(name, *args, json=True, **env)
    return run.returncode, json.loads(run.stdout[run.stdout.find("{") :]), run.output


def recap(output):
    """PLAY RECAP counters per host: {host: {"ok": n, "changed": n, "failed": n, ...}}."""
    counts = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", line.strip())
        if match:
            counts[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return counts


def changed(output):
    """changed= of every host of the recap, summed."""
    return sum(host.get("changed", 0) for host in recap(output).values())


def task_section(output, task):
    """What the default callback printed for the first task whose name contains `task`, up to the
    next task or the recap ('' when no such task ran)."""
    start = output.find(" : %s" % task)
    if start < 0:
        start = output.find("TASK [%s" % task)
    if start < 0:
        return ""
    return re.split(
        r"^(?:TASK \[|RUNNING HANDLER \[|PLAY RECAP)", output[start:].split("\n", 1)[-1], maxsplit=1, flags=re.M
    )[0]


def failures(report, host):
    """(task name, message) of each failed task of host in a JSON-callback report."""
    result = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            res = task.get("hosts", {}).get(host)
            if res and res.get("failed"):
                result.append((task["task"]["name"], str(res.get("msg", ""))))
    return result
