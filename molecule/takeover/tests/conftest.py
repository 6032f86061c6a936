import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

# The shared fixtures; pytest finds them here.
from egress_fixtures import mailhost, smarthost  # noqa: E402,F401 pylint: disable=unused-import
