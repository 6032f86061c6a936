"""Make the collection importable as ansible_collections.egress.mail for unit tests; no silent
skips; the real Postfix binaries as a fixture.

The repository root is the collection root; a symlink under .cache/collections gives it the
ansible_collections/egress/mail path that Ansible's import machinery expects.

``--strict-skips`` (``make unit`` passes it): a test that skips fails instead, unless its node
ID is in ALLOWED_SKIPS below, each with the reason it may skip.

``postfix_bin``: Debian's postconf and postmap, unpacked by scripts/postfix-binaries.sh into
.cache/postfix (``make setup`` runs it). A test that uses it fails, never skips, when they are
missing.
"""

import collections
import os
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "egress", "mail")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    try:
        os.symlink(ROOT, LINK)
    except FileExistsError:  # another pytest-xdist worker made it first
        pass
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# The only tests that may skip under --strict-skips (node ID relative to the repository root):
ALLOWED_SKIPS = {
    # Some CI runners boot with IPv6 disabled (net.ipv6.conf.lo.disable_ipv6=1): no ::1 to bind.
    "tests/unit/plugins/module_utils/probe/test_runner.py::test_ipv6_loopback_and_bracketed_host": "IPv6 loopback disabled on the runner",
}


def pytest_addoption(parser):
    parser.addoption(
        "--strict-skips",
        action="store_true",
        default=False,
        help="a skipped test fails unless it is in ALLOWED_SKIPS (tests/unit/conftest.py)",
    )


def _node_path(nodeid):
    """Node ID relative to the repository root, whatever directory pytest was started in."""
    path, sep, rest = nodeid.partition("::")
    absolute = os.path.abspath(path)
    if absolute.startswith(ROOT + os.sep):
        path = os.path.relpath(absolute, ROOT)
    return path + sep + rest


def _allowed(nodeid):
    name = _node_path(nodeid)
    return name in ALLOWED_SKIPS or name.split("[", 1)[0] in ALLOWED_SKIPS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not item.config.getoption("--strict-skips") or not report.skipped or hasattr(report, "wasxfail"):
        return
    if _allowed(item.nodeid):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = (
        "skipped, and not in ALLOWED_SKIPS (tests/unit/conftest.py): %s\n"
        "Install what the test needs (make setup) or run it where it can run." % reason
    )


# --- the real Postfix binaries ---------------------------------------------------------------

POSTFIX_BIN = os.environ.get("EGRESS_POSTFIX_BIN", os.path.join(ROOT, ".cache", "postfix", "bin"))
# postmap refuses to start unless these name existing, distinct, unprivileged accounts; the
# controller has no postfix user, so a configuration directory of the tests names others.
POSTMAP_MAIN_CF = "mail_owner = mail\ndefault_privs = nobody\nsetgid_group = daemon\n"

PostfixBin = collections.namedtuple("PostfixBin", "postconf postmap config_dir run postmap_query")


def _run(args, stdin=None):
    # Postfix reads a main.cf written within the last second again every 300 ms until it is older
    # (up to 2 s a call); the tests' files are complete when they run a command, so date them back.
    if "-c" in args[:-1]:
        main_cf = os.path.join(args[args.index("-c") + 1], "main.cf")
        if os.path.exists(main_cf):
            then = time.time() - 2
            os.utime(main_cf, (then, then))
    return subprocess.run(
        args, input=stdin, capture_output=True, text=True, check=False, env=dict(os.environ, LANG="C", LC_ALL="C")
    )


@pytest.fixture(scope="session")
def postfix_bin():
    """Real postconf and postmap (Debian's, from .cache/postfix/bin).

    ``run(args)`` runs a command and returns the CompletedProcess; ``postmap_query(table, keys)``
    runs ``postmap -c DIR -q - TABLE`` with the keys on stdin and returns ({key: value}, stderr).
    ``config_dir`` holds a main.cf postmap accepts on this machine; ``postconf -c DIR`` with a
    directory of your own works without it.
    """
    paths = [os.path.join(POSTFIX_BIN, name) for name in ("postconf", "postmap")]
    missing = [path for path in paths if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            "Postfix binaries missing: %s. Run `bash scripts/postfix-binaries.sh` (make setup "
            "runs it) to unpack Debian's postfix package into .cache/postfix." % ", ".join(missing),
            pytrace=False,
        )
    config_dir = tempfile.mkdtemp(prefix="egress-postfix-")
    with open(os.path.join(config_dir, "main.cf"), "w") as handle:
        handle.write(POSTMAP_MAIN_CF)
    open(os.path.join(config_dir, "master.cf"), "w").close()
    version = _run([paths[0], "-c", config_dir, "-h", "mail_version"])
    if version.returncode != 0:
        pytest.fail("%s does not run: %s" % (paths[0], version.stderr.strip()), pytrace=False)

    def postmap_query(table, keys):
        proc = _run([paths[1], "-c", config_dir, "-q", "-", table], stdin="".join(k + "\n" for k in keys))
        if proc.returncode not in (0, 1):
            raise AssertionError("postmap -q - %s failed (%d): %s" % (table, proc.returncode, proc.stderr))
        found = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
        return found, proc.stderr

    yield PostfixBin(paths[0], paths[1], config_dir, _run, postmap_query)
    for name in os.listdir(config_dir):
        os.unlink(os.path.join(config_dir, name))
    os.rmdir(config_dir)
