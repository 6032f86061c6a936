# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Why port 25 is blocked: the cloud the host is on, its documented policy, one summary line.

Joins an ``smtp_probe`` report, :mod:`cloud_detect` and :mod:`port25_policies`; used by the
``egress.mail.smtp_probe`` module. Kept apart from ``smtp_probe.py``, which has no imports
outside the standard library (the network namespace tests load that file on its own).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.egress.mail.plugins.module_utils import cloud_detect, port25_policies

# The state of port 25 the summary shows when addresses differ: the one that got furthest.
_STATE_ORDER = (
    "open",
    "tls_failed",
    "intercepted",
    "rejected",
    "no_banner",
    "refused",
    "unreachable",
    "filtered",
    "dns_error",
)


def port25_text(report):
    """What the probe saw on port 25, in a word: 'filtered', 'open', ..., or 'not probed'."""
    states = set(r["state"] for r in report["results"] if r["port"] == 25)
    for state in _STATE_ORDER:
        if state in states:
            return state
    return "not probed"


def explain(report, detection=True, dmi_path=None, files_root=None):
    """Return ``{'cloud', 'port25_policy', 'msg'}`` for a ``run_probes`` report.

    ``cloud`` is :func:`cloud_detect.detect`'s value (None when ``detection`` is off),
    ``port25_policy`` the provider's policy (None when the provider is unknown or detection is off).
    """
    cloud = None
    policy = None
    if detection:
        cloud = cloud_detect.detect(dmi_path=dmi_path, files_root=files_root)
        policy = port25_policies.policy(cloud["provider"])
    msg = port25_policies.summary_line(
        port25_text(report), report["port25_blocked"], policy, report["recommended_port"]
    )
    return {"cloud": cloud, "port25_policy": policy, "msg": msg}
