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
from ansible_collections.egress.mail.plugins.module_utils.postfix_info import SERVICE_RE

STATES = ("reloaded", "restarted")
MARKER_TEXT = b"egress.mail: a reload of Postfix has not completed yet\n"
# A restart that did not complete is remembered as one: a reload would not apply what needed it
# (inet_interfaces, inet_protocols), so the next run restarts even when it changes nothing.
MARKER_RESTART_TEXT = b"egress.mail: a restart of Postfix has not completed yet\n"


class ReloadError(Exception):
    """The check refused the configuration or the service manager failed (``kept``: the marker
    stays, so the next run tries again)."""

    def __init__(self, message, kept=False):
        super(ReloadError, self).__init__(message)
        self.kept = kept


def _output(out, err):
    """What a program printed, stderr then stdout (init scripts print their errors on stdout)."""
    parts = [" ".join(text.split()) for text in (err, out) if text and text.strip()]
    return "; ".join(parts) or "no output"


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
        rc, dummy_out, dummy_err = run_command([systemctl, "is-active", name])
        return rc == 0
    rc, dummy_out, dummy_err = run_command([postfix, "status"])
    return rc == 0


def _marker_error(marker, what, exc):
    return ReloadError(
        "pending_marker %s could not be %s (%s); nothing was checked or reloaded" % (marker, what, exc.strerror or exc)
    )


def pending_restart(marker):
    """Whether ``marker`` says that a restart (not only a reload) is still due."""
    try:
        with open(marker, "rb") as handle:
            return handle.read(4096) == MARKER_RESTART_TEXT
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _marker_error(marker, "read", exc)


def reload(run_command, postfix, state="reloaded", marker=None, check=True, systemctl=None, service_tool=None,
           name="postfix", check_mode=False):  # fmt: skip
    """Check and reload (``state``) the Postfix of the host. Returns a dict: changed, action
    (reload, restart or start), checked, warnings (what ``postfix check`` printed when it passed).
    Raises ReloadError on a failure, with ``kept`` when the marker stays (a marker that cannot be
    written fails before anything is checked or reloaded)."""
    if state not in STATES:
        raise ValueError("state must be one of %s, got %r" % (", ".join(STATES), state))
    if not isinstance(name, str) or not SERVICE_RE.fullmatch(name):
        raise ReloadError("service: %r is not a valid name" % (name,))
    if marker and pending_restart(marker):
        state = "restarted"
    kept = False
    if marker and not check_mode:
        # First: whatever fails after this, the next run knows that a reload is due.
        try:
            secret_file.write(marker, MARKER_RESTART_TEXT if state == "restarted" else MARKER_TEXT, 0o644)
        except OSError as exc:
            raise _marker_error(marker, "written", exc)
        kept = True
    try:
        if not postfix:
            raise ReloadError("postfix was not found on the host")
        action, command = service_commands(state, is_active(run_command, systemctl, postfix, name),
                                           systemctl, service_tool, name)  # fmt: skip
        result = {"changed": True, "action": action, "checked": bool(check), "warnings": []}
        if check_mode:
            return result
        if check:
            rc, out, err = run_command([postfix, "check"])
            if rc != 0:
                raise ReloadError(
                    "postfix check (of the live configuration) failed (rc %d): %s" % (rc, _output(out, err))
                )
            if (out + err).strip():
                result["warnings"].append("postfix check: %s" % _output(out, err))
        rc, out, err = run_command(command)
        if rc != 0:
            raise ReloadError(
                "%s %s failed (rc %d): %s"
                % (os.path.basename(command[0]), " ".join(command[1:]), rc, _output(out, err))
            )
    except ReloadError as exc:
        exc.kept = kept
        raise
    if marker:
        try:
            os.unlink(marker)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ReloadError(
                "Postfix was %sed, but the pending marker %s could not be removed (%s)"
                % (result["action"].rstrip("e"), marker, exc.strerror or exc),
                kept=True,
            )
    return result
