# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tests mirror the code: every plugins/<dir>/X.py of module_utils (and its packages), modules
and filter has tests/unit/plugins/<dir>/test_X.py, and every test file there is named after the
file it tests (test_X.py, or test_X_<aspect>.py for a second file of tests of X).

The exceptions are the short lists below, one line of reason each."""

import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CODE_DIRS = ("plugins/module_utils", "plugins/modules", "plugins/filter")

# A public face re-exports a package (module_utils/<package>/): tests of the package's files count.
PUBLIC_FACES = {
    "plugins/module_utils/pmta_config.py": "pmta",
    "plugins/module_utils/smtp_probe.py": "probe",
}

# Code files without tests/unit/<same dir>/test_<name>.py.
UNTESTED_HERE = {}

# Test files under tests/unit/plugins whose name is not test_<a code file's name>[_<aspect>].py.
NAMED_OTHERWISE = {
    "tests/unit/plugins/module_utils/test_relay_fallback.py": "relay_settings: the fallback relays",
    "tests/unit/plugins/module_utils/test_relay_properties.py": "relay_settings: properties (hypothesis)",
    "tests/unit/plugins/module_utils/test_pmta_properties.py": "pmta_config and pmta_settings: properties (hypothesis)",
}


def _code_files():
    found = []
    for top in CODE_DIRS:
        for directory, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py") and name != "__init__.py":
                    found.append(os.path.relpath(os.path.join(directory, name), ROOT))
    return found


def _test_files():
    found = []
    for directory, dirnames, filenames in os.walk(os.path.join(ROOT, "tests", "unit", "plugins")):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "fixtures"))
        for name in sorted(filenames):
            if name.startswith("test_") and name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(directory, name), ROOT))
    return found


def _mirror(path):
    directory, name = os.path.split(path)
    return os.path.join("tests", "unit", directory, "test_" + name)


CODE = _code_files()
TESTS = _test_files()


def test_the_walk_finds_the_code_and_the_tests():
    assert "plugins/module_utils/pmta/parser.py" in CODE and "plugins/modules/smtp_probe.py" in CODE
    assert "tests/unit/plugins/module_utils/pmta/test_parser.py" in TESTS
    for face, package in PUBLIC_FACES.items():
        assert face in CODE and os.path.isdir(os.path.join(ROOT, os.path.dirname(face), package)), face


@pytest.mark.parametrize("path", CODE)
def test_every_code_file_has_its_test_file(path):
    if path in UNTESTED_HERE:
        return
    if path in PUBLIC_FACES:
        package = os.path.join("tests", "unit", os.path.dirname(path), PUBLIC_FACES[path])
        if any(p.startswith(package + os.sep) for p in TESTS):
            return
    assert os.path.isfile(os.path.join(ROOT, _mirror(path))), "%s has no %s (or a line in UNTESTED_HERE)" % (
        path,
        _mirror(path),
    )


@pytest.mark.parametrize("path", TESTS)
def test_every_test_file_is_named_after_its_code_file(path):
    if path in NAMED_OTHERWISE:
        return
    directory, name = os.path.split(os.path.relpath(path, os.path.join("tests", "unit")))
    stem = name[len("test_") : -len(".py")]
    names = set(os.path.basename(p)[: -len(".py")] for p in CODE if os.path.dirname(p) == directory)
    assert any(stem == n or stem.startswith(n + "_") for n in names), (
        "%s is not named after a file of %s (test_<name>.py or test_<name>_<aspect>.py)" % (path, directory)
    )


@pytest.mark.parametrize("table", ["UNTESTED_HERE", "NAMED_OTHERWISE"])
def test_the_exceptions_are_still_needed(table):
    """An entry whose file has gone, or that has its mirror now, is removed."""
    if table == "UNTESTED_HERE":
        stale = [p for p in UNTESTED_HERE if p not in CODE or os.path.isfile(os.path.join(ROOT, _mirror(p)))]
    else:
        stale = [p for p in NAMED_OTHERWISE if p not in TESTS]
    assert stale == [], "remove from %s: %s" % (table, ", ".join(stale))
