"""The Makefile: every target calls a script or one command (no inline shell programs), and
`make help` lists every target with its ## comment."""

import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MAKEFILE = os.path.join(ROOT, "Makefile")
TARGET = re.compile(r"^([A-Za-z0-9_.-]+):(?!=)([^#]*?)(?:## (.*))?$")


def _targets():
    """{target: (comment, [recipe lines])} in the Makefile's order."""
    targets = {}
    current = None
    with open(MAKEFILE, encoding="utf-8") as handle:
        for line in handle.read().splitlines():
            match = TARGET.match(line)
            if match and match.group(1) != ".PHONY":
                current = match.group(1)
                targets[current] = ((match.group(3) or "").strip(), [])
            elif line.startswith("\t") and current:
                targets[current][1].append(line[1:])
            else:
                current = None
    return targets


def test_every_target_has_a_comment_and_is_phony():
    targets = _targets()
    with open(MAKEFILE, encoding="utf-8") as handle:
        text = handle.read()
    phony = set(re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", text, re.M).group(1).replace("\\\n", " ").split())
    assert [t for t, (comment, dummy) in targets.items() if not comment] == []
    assert set(targets) == phony


def test_recipes_are_one_command_each_no_shell_program():
    shell = re.compile(r"(^|\s)(if|then|else|fi|for|while|do|done|case)(\s|;|$)|&&|\|\||;|\$\$|\\$|[{}]")
    offending = [
        (target, line) for target, (dummy, recipe) in _targets().items() for line in recipe if shell.search(line)
    ]
    assert offending == []


def test_make_help_lists_every_target_with_its_comment():
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", ROOT, "help"], capture_output=True, text=True, check=True
    ).stdout
    listed = dict((line.split(None, 1) + [""])[:2] for line in out.splitlines() if line.strip())
    assert dict((t, c) for t, (c, dummy) in _targets().items()) == dict((t, c.strip()) for t, c in listed.items())
