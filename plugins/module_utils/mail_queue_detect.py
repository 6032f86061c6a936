# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which MTA owns /usr/sbin/sendmail, and where each known MTA keeps its queue.

The owner is the package that ships the file /usr/sbin/sendmail resolves to (Debian:
``dpkg-query -S``, which also follows the RHEL-style ``mta`` alternative once resolved; RHEL
family: ``rpm -qf``). Packages map to MTAs by an allow-list (PACKAGES); anything else is
``unknown``, never guessed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_summary import QueuedMessage

# package -> MTA
PACKAGES = {
    "postfix": "postfix",
    "exim4-daemon-light": "exim4",
    "exim4-daemon-heavy": "exim4",
    "exim4-base": "exim4",
    "exim": "exim4",
    "nullmailer": "nullmailer",
    "msmtp-mta": "msmtp",
    "dma": "dma",
    "opensmtpd": "opensmtpd",
    "sendmail-bin": "sendmail",
    "sendmail": "sendmail",
}

# MTA -> what the role needs to know: its services, its spool, whether the collection can
# read (and so move) its queue, and the packages that hold its binaries.
MTAS = {
    "postfix": {"services": ["postfix"], "spool": "/var/spool/postfix", "movable": True},
    "exim4": {"services": ["exim4", "exim"], "spool": "/var/spool/exim4", "movable": True},
    "nullmailer": {"services": ["nullmailer"], "spool": "/var/spool/nullmailer", "movable": True},
    # msmtp sends synchronously: no queue.
    "msmtp": {"services": ["msmtpd"], "spool": None, "movable": True},
    "dma": {"services": [], "spool": "/var/spool/dma", "movable": False},
    "opensmtpd": {"services": ["opensmtpd"], "spool": "/var/spool/smtpd", "movable": False},
    "sendmail": {"services": ["sendmail"], "spool": "/var/spool/mqueue", "movable": False},
}


def owner(run_command, path="/usr/sbin/sendmail", realpath=os.path.realpath, exists=os.path.exists):
    """(mta, package, resolved path) of the MTA that owns ``path``; mta is None without the file."""
    if not exists(path):
        return None, None, None
    target = realpath(path)
    for args in (["dpkg-query", "-S", target], ["rpm", "-qf", "--qf", "%{NAME}\n", target]):
        try:
            rc, out, dummy = run_command(args)
        except (OSError, IOError):
            continue
        if rc != 0 or not out.strip():
            continue
        line = out.strip().splitlines()[0]
        # dpkg-query -S: "pkg1, pkg2: /path" (a diversion prints "diversion by ..." lines first).
        if args[0] == "dpkg-query":
            line = [x for x in out.strip().splitlines() if not x.startswith(("diversion ", "local diversion"))][-1]
            packages = [p.strip().split(":")[0] for p in line.rsplit(": ", 1)[0].split(",")]
        else:
            packages = [line.strip()]
        for package in packages:
            if package in PACKAGES:
                return PACKAGES[package], package, target
        return "unknown", packages[0], target
    return "unknown", None, target


def count_files(mta, spool):
    """Messages of a queue the collection cannot parse, counted by their files (never moved)."""
    messages = []
    if spool is None or not os.path.isdir(spool):
        return messages
    if mta == "sendmail":
        # qf (queue control) files: one per message, ``qf`` + ID; ``Qf`` = lost (corrupt).
        names = [n for n in os.listdir(spool) if n[:2] in ("qf", "Qf", "hf")]
    elif mta == "dma":
        names = [n for n in os.listdir(spool) if n.startswith("Q")]
    else:  # opensmtpd keeps one directory per message under queue/XX/
        queue = os.path.join(spool, "queue")
        names = []
        if os.path.isdir(queue):
            for bucket in os.listdir(queue):
                inner = os.path.join(queue, bucket)
                if os.path.isdir(inner):
                    names.extend(os.path.join("queue", bucket, n) for n in os.listdir(inner))
    for name in sorted(names):
        path = os.path.join(spool, name)
        messages.append(
            QueuedMessage(mta, "queue", name, arrival_time=int(os.stat(path).st_mtime), state="queued", files=[path])
        )
    return messages
