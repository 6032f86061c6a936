"""Shared by the tests of every scenario (molecule/<scenario>/tests): the helpers and fixtures
of molecule/resources/tests become importable, and its fixtures (`mailhost`, `smarthost`) are
found by pytest without a per-scenario copy of this file."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources", "tests"))

from egress_fixtures import mailhost, smarthost  # noqa: E402,F401 pylint: disable=unused-import,wrong-import-position
