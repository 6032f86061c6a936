# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mutmut's hook for scripts/mutation.sh (found through PYTHONPATH; not used by anything else).

MUTATION_OWN_TESTS maps a source file to its own (mirrored) test files, one entry a line:
``plugins/module_utils/probe/options.py tests/unit/plugins/module_utils/probe/test_options.py``.
A mutant of such a file runs those tests first; mutmut's --rerun-all then runs the name's whole
test list (the --runner) on a mutant they did not kill, so the verdict is the whole list's.
A file without an entry runs the whole list at once.
"""

import os
import shlex


def _own_tests():
    table = {}
    for line in os.environ.get("MUTATION_OWN_TESTS", "").splitlines():
        words = line.split()
        if len(words) >= 2:
            table[words[0]] = words[1:]
    return table


_OWN = _own_tests()
_PYTEST = os.environ.get("MUTATION_PYTEST", "python -m pytest -x -q -p no:randomly")


def pre_mutation(context):
    tests = _OWN.get(os.path.normpath(context.filename))
    if tests:
        context.config.test_command = "%s %s" % (_PYTEST, " ".join(shlex.quote(t) for t in tests))
