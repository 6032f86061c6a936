import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pytest  # noqa: E402

from sec_helpers import FIGURES, bare_state, playbook  # noqa: E402


@pytest.fixture(scope="session")
def bare_check_run():
    """The only run of postfix_relay on the bare Debian 13 host, in check mode, with -vvv:
    (state before, result, state after). Used by test_check_mode.py and test_secrets.py."""
    before = bare_state()
    result = playbook("bare_check.yml", "--check", "-vvv")
    after = bare_state()
    return before, result, after


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("security figures")
    for name, values in FIGURES.items():
        for key, value in sorted(values.items()):
            terminalreporter.write_line("%s: %s: %s" % (name, key, value))
    hits = FIGURES["password hits"]
    if hits:
        terminalreporter.write_line(
            "password hits in total (secrets found): %d in %d places searched" % (sum(hits.values()), len(hits))
        )
