# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Running programs in the unit tests: ``run(args)``, the ``run_command`` the module_utils take,
on real programs (C locale, as command_runner runs them); ``StandIns``, shell scripts in place
of the host's postfix, systemctl and service(8) that log how they were called."""

import os
import subprocess

SCRIPT = """#!/bin/sh
echo "${{0##*/}} $*" >> {log}
case "${{0##*/}} $1" in
{cases}
esac
exit 0
"""


def run(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, env=dict(os.environ, LANG="C", LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr


class StandIns(object):
    """Stand-ins in ``tmp_path``; ``fail`` maps "program first-argument" to (rc, message on stderr)."""

    def __init__(self, tmp_path, fail=None):
        self.log = tmp_path / "calls.log"
        self.log.write_text("")
        cases = "".join(
            '"%s") echo "%s" >&2; exit %d;;\n' % (key, message, rc) for key, (rc, message) in (fail or {}).items()
        )
        self.paths = {}
        for name in ("postfix", "systemctl", "service"):
            path = tmp_path / name
            path.write_text(SCRIPT.format(log=self.log, cases=cases))
            path.chmod(0o755)
            self.paths[name] = str(path)

    def calls(self):
        return self.log.read_text().splitlines()
