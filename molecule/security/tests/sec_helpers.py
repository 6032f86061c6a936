"""Helpers of the security scenario: ansible-playbook runs of the scenario's playbooks, their
recaps, the passwords and what to grep for, checksums of configuration trees."""
import base64
import json
import os
import re
import subprocess
import time
from collections import namedtuple
from urllib.parse import quote, quote_plus

from egress_helpers import container

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.dirname(os.path.dirname(SCENARIO))

# Figures for the report, printed at the end of the pytest run (conftest.py).
FIGURES = {"bad input tried/refused": {}, "password hits": {}}

MAILHOST = "sec-mailhost"
BARE = "sec-bare"
PMTA = "sec-pmta"
OUTSIDER = "sec-outsider"
SMARTHOST = "sec-smarthost"

# The passwords of molecule.yml (there written with a doubled dollar sign).
POSTFIX_USER = "relayuser"
POSTFIX_PASSWORD = "Zq9:s3cr3t pw#X$%"
PMTA_USER = "pmtauser"
PMTA_PASSWORD = "Pm7:vK3y s3cr3t$%Tq"


def needles(user, password, fragments):
    """What a leaked password looks like: whole, distinctive fragments of it (a password cut by
    quoting or wrapping), the base64 forms an SMTP AUTH exchange would carry (AUTH PLAIN
    \\0user\\0password, AUTH LOGIN password) and its URL-encoded forms."""
    assert all(len(f) >= 5 and f in password for f in fragments)
    plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    login = base64.b64encode(password.encode()).decode()
    return [password] + list(fragments) + [plain, login, quote(password, safe=""), quote_plus(password)]


POSTFIX_NEEDLES = needles(POSTFIX_USER, POSTFIX_PASSWORD, ["Zq9:s3cr", "s3cr3t pw", "t pw#X$%", "3cr3t pw#X"])
PMTA_NEEDLES = needles(PMTA_USER, PMTA_PASSWORD, ["Pm7:vK3y", "vK3y s3cr", "s3cr3t$%Tq", "K3y s3cr3t$"])


def found(text, needle_list):
    return [n for n in needle_list if n in text]


Run = namedtuple("Run", "args returncode stdout output")


def ansible_env(**extra):
    # molecule (ansible-compat) sends -v output to stderr; keep it in order with the rest.
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1", PY_COLORS="0",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_VERBOSE_TO_STDERR="0")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(PROJECT, ".cache", "collections"))
    env.update(extra)
    return env


def playbook(name, *args, **env):
    """ansible-playbook on one of the scenario's playbooks with molecule's inventory; with
    json=True (JSON callback) stdout and stderr are kept apart, else merged in order."""
    as_json = env.pop("json", False)
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO, name)]
    cmd += list(args)
    proc = subprocess.run(cmd, env=ansible_env(**env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if as_json else subprocess.STDOUT, text=True, check=False)
    return Run(cmd, proc.returncode, proc.stdout, proc.stdout + (proc.stderr or ""))


def adhoc(pattern, module, module_args="", *args, **env):
    """ansible (ad-hoc) with molecule's inventory."""
    cmd = ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], pattern, "-m", module]
    cmd += (["-a", module_args] if module_args else []) + list(args)
    proc = subprocess.run(cmd, env=ansible_env(**env), capture_output=True, text=True, check=False)
    return Run(cmd, proc.returncode, proc.stdout, proc.stdout + proc.stderr)


def recap(output):
    """PLAY RECAP counters per host: {host: {"ok": n, "changed": n, "failed": n, ...}}."""
    counts = {}
    for line in output.splitlines():
        match = re.match(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", line.strip())
        if match:
            counts[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return counts


def json_run(name, *args, **env):
    """ansible-playbook with the JSON callback: (returncode, parsed output, raw output)."""
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    run = playbook(name, *args, json=True, **env)
    return run.returncode, json.loads(run.stdout[run.stdout.find("{"):]), run.output


def failures(report, host):
    """(task name, message) of each failed task of host in a JSON-callback report."""
    result = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            res = task.get("hosts", {}).get(host)
            if res and res.get("failed"):
                result.append((task["task"]["name"], str(res.get("msg", ""))))
    return result


def tree_state(host, paths):
    """sha256 of every file under paths, plus type, mode and owner of every entry."""
    quoted = " ".join(paths)
    return host.check_output(
        "(find %s -xdev -type f -exec sha256sum {} + ; "
        "find %s -xdev -printf '%%y %%m %%u:%%g %%p\\n') 2>&1 | LC_ALL=C sort" % (quoted, quoted))


def bare_state():
    host = container(BARE)
    return {
        "etc": tree_state(host, ["/etc"]),
        "dpkg": host.check_output("sha256sum /var/lib/dpkg/status"),
        "postfix": host.run("dpkg-query -W -f='${Status}' postfix").stdout,
        "binaries": host.run("ls /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/sendmail 2>&1").stdout,
    }


def grep_host(host, needle_list, paths):
    """Files under paths on host that contain any needle (devices, FIFOs and sockets skipped)."""
    args = " ".join("-e %s" % shell_quote(n) for n in needle_list)
    existing = " ".join(p for p in paths if host.file(p).exists)
    out = host.run("grep -rlsF -D skip --binary-files=text %s %s" % (args, existing))
    assert out.rc in (0, 1), out.stderr
    return sorted(set(out.stdout.split()))


def journal_hits(host, needle_list):
    journal = host.run("journalctl --no-pager -a -o cat")
    assert journal.rc == 0, journal.stderr
    return journal.stdout, found(journal.stdout, needle_list)


def shell_quote(value):
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def wait_for(predicate, timeout, interval=1.0):
    """Call predicate() until it returns something truthy (returned) or timeout seconds have
    passed on the monotonic clock (then the last value is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
