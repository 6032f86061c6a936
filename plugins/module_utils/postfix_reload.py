# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the egress.mail.postfix_reload module: make a changed configuration live, in one
round trip, without forgetting a reload that did not happen.

In this order: write the pending marker (a later run that finds it reloads again), run
``postfix check`` on the live configuration, reload (or restart, or start a stopped service),
remove the marker. A refused check or a failed reload raises ``ReloadError`` with the marker
left in place. ``reload()`` takes the side effects as arguments (run_command, the programs'
paths) so unit tests call it without AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.egress.mail.plugins.module_utils import secret_file

STATES = ("reloaded", "restarted")
MARKER_TEXT = b"egress.mail: a reload of Postfix has not completed yet\n"


class ReloadError(Exception):
    """The check refused the configuration or the service manager failed; the marker is kept."""


def _output(out, err):
    return " ".join((err.strip() or out.strip()).split()) or "no output"


def _run(run_command, args, what):
    rc, out, err = run_command(args)
    if rc != 0:
        raise ReloadError("%s failed (rc %d): %s" % (what, rc, _output(out, err)))
    return out


def service_commands(state, active, systemctl, service_tool, name):
    """The service manager's command for ``state``: a stopped service is started (a reload of a
    service that is not running does nothing). systemctl when systemd runs the host, else
    service(8)."""
    if state == "restarted":
        action = "restart"
    else:
        action = "reload" if active else "start"
    if systemctl:
        return action, [systemctl, action, name]
    if service_tool:
        return action, [service_tool, name, action]
    raise ReloadError("neither systemctl (with systemd running) nor service(8) was found to %s %s" % (action, name))


def is_active(run_command, systemctl, postfix, name):
    """Whether the service runs: systemctl is-active, or ``postfix status`` without systemd."""
    if systemctl:
        rc, out, dummy = run_command([systemctl, "is-active", name])
        return rc == 0
    rc, out, dummy = run_command([postfix, "status"])
    return rc == 0


def reload(run_command, postfix, state="reloaded", marker=None, check=True, systemctl=None, service_tool=None,
           name="postfix", check_mode=False):  # fmt: skip
    """Check and reload (``state``) the Postfix of the host. Returns a dict: changed, action
    (reload, restart or start), checked. Raises ReloadError (marker kept) on a failure."""
    if state not in STATES:
        raise ValueError("state must be one of %s, got %r" % (", ".join(STATES), state))
    if not postfix:
        raise ReloadError("postfix was not found on the host")
    active = is_active(run_command, systemctl, postfix, name)
    action, command = service_commands(state, active, systemctl, service_tool, name)
    result = {"changed": True, "action": action, "checked": bool(check)}
    if check_mode:
        return result
    if marker:
        secret_file.write(marker, MARKER_TEXT, 0o644)
    if check:
        _run(run_command, [postfix, "check"], "postfix check (of the live configuration)")
    _run(run_command, command, " ".join(os.path.basename(part) if i == 0 else part for i, part in enumerate(command)))
    if marker:
        try:
            os.unlink(marker)
        except FileNotFoundError:
            pass
    return result
