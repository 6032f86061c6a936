# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the modules that only read share: the ``run_command`` they pass to their logic in
module_utils, and the last step (the result returned unchanged, its warnings as Ansible
warnings, the expected errors as a failure that says what went wrong).

Used by the modules ``mail_queue`` and ``postfix_info``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The programs' output is parsed: always in the C locale.
C_LOCALE = {"LANG": "C", "LC_ALL": "C"}


def command_runner(module, opt_dirs=None):
    """``run_command(args)`` for the logic: ``args[0]`` is looked up on the target (in PATH and
    ``opt_dirs``) unless it is an absolute path, and run in the C locale. A program that is not
    there raises OSError (a caller may try another one, as the package readers try dpkg-query,
    then rpm). Returns ``(rc, stdout, stderr)`` as ``AnsibleModule.run_command`` does."""

    def run_command(args):
        binary = args[0] if args[0].startswith("/") else module.get_bin_path(args[0], opt_dirs=opt_dirs)
        if not binary:
            raise OSError("%s not found" % args[0])
        return module.run_command([binary] + list(args[1:]), environ_update=dict(C_LOCALE))

    return run_command


def exit_with(module, collect, failures):
    """Exit with the dict ``collect()`` returns, ``changed=False``; its ``warnings`` (a list,
    removed from the result) become Ansible warnings.

    ``failures``: ``((exception classes, message prefix or None), ...)``, tried in order; an
    exception of those classes fails the task with ``prefix: exception`` (or the exception's
    own text when the prefix is None). Any other exception propagates."""
    try:
        result = collect()
    except Exception as exc:  # matched against ``failures`` below; re-raised when none fits
        for classes, prefix in failures:
            if isinstance(exc, classes):
                module.fail_json(msg=str(exc) if prefix is None else "%s: %s" % (prefix, exc))
        raise
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=False, **result)
