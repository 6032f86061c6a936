# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the egress.mail.postfix_info module: what the postfix_relay role needs to know of a host.

``inspect(run_command, ...)`` takes the side effects as arguments (run_command and the paths of
the programs and files it reads), so unit tests call it without AnsibleModule, on real files.
It reads, in one module call: which packages are missing (one dpkg-query or rpm call), whether
apt's package lists are there and how old they are, Postfix's default map type and the services
master.cf defines outside the role's block, the service's state, whether a reload is still
pending, /etc/mailname, and optionally the mail every MTA holds (egress.mail.mail_queue's logic).
``host_facts(module)`` gives the facts a role would otherwise gather with the setup module (one
round trip more), from the collectors setup itself uses. Nothing is changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import time

from ansible.module_utils.facts.namespace import PrefixFactNamespace
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible.module_utils.facts.system.platform import PlatformFactCollector
from ansible.module_utils.facts.system.selinux import SelinuxFactCollector
from ansible.module_utils.facts.system.service_mgr import ServiceMgrFactCollector

from ansible_collections.egress.mail.plugins.module_utils.mail_queue_info import ALL_MTAS, collect

# Debian and RPM package names (policy: lower case, digits, + - . and, for RPM, _).
PACKAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*")
SERVICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._-]*")
DEFAULT_BLOCK_MARKER = "# {mark} egress.mail"


class PostfixInfoError(Exception):
    """An error with a message fit for the user."""


def host_facts(module):
    """What setup's distribution, platform, selinux and service_mgr collectors gather, by those
    collectors and with setup's ``ansible_`` prefix (``ansible_os_family``, ``ansible_fqdn``,
    ``ansible_service_mgr``, ...): Ansible keeps prefixed facts out of the host's variables
    (``hostname`` in the inventory stays) and shows them as ``ansible_facts.os_family`` too. The
    service module needs ``service_mgr``; without it, it would run setup itself."""
    facts = {}
    prefix = PrefixFactNamespace(namespace_name="ansible", prefix="ansible_")
    for collector in (DistributionFactCollector, PlatformFactCollector, SelinuxFactCollector, ServiceMgrFactCollector):
        facts.update(collector(namespace=prefix).collect_with_namespace(module=module, collected_facts=facts))
    return facts


def packages_for(packages_by_os_family, os_family):
    """The package list of ``os_family`` in ``packages_by_os_family`` (a dict of lists)."""
    if os_family not in packages_by_os_family:
        raise PostfixInfoError(
            "packages_by_os_family has no package list for this host's OS family %r (it has: %s)"
            % (os_family, ", ".join(sorted(packages_by_os_family)) or "none")
        )
    packages = packages_by_os_family[os_family]
    if not isinstance(packages, list):
        raise PostfixInfoError("packages_by_os_family: the value of %s must be a list of package names" % os_family)
    return packages


def check_names(names, pattern, what):
    """Refuse any name that is not a plain package or unit name (they go to a command line)."""
    for name in names:
        if not isinstance(name, str) or not pattern.fullmatch(name):
            raise PostfixInfoError("%s: %r is not a valid name" % (what, name))
    return list(names)


def missing_packages(run_command, packages, dpkg_query=None, rpm=None):
    """The packages of ``packages`` that are not installed, in their order, asked in one call."""
    if not packages:
        return []
    if dpkg_query:
        # One line per package dpkg knows; unknown ones only get a message on stderr (rc 1).
        rc, out, err = run_command([dpkg_query, "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", "--"] + packages)
        installed = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1].startswith("ii"):
                installed.add(fields[0].split(":", 1)[0])
        return [p for p in packages if p not in installed]
    if rpm:
        rc, out, err = run_command([rpm, "-q", "--qf", "%{NAME}\\n", "--"] + packages)
        installed = set(line.strip() for line in out.splitlines() if " " not in line.strip())
        return [p for p in packages if p not in installed]
    raise PostfixInfoError("neither dpkg-query nor rpm found: cannot tell which packages are installed")


def apt_lists(lists_dir):
    """(number of package lists, age in seconds of the newest) in apt's lists directory.

    Images often delete the lists but keep apt's update stamp, which would make apt trust an
    empty cache; the lists themselves are what counts."""
    try:
        names = [n for n in os.listdir(lists_dir) if n.endswith("_Packages") or "_Packages." in n]
    except OSError:
        return 0, None
    newest = None
    for name in names:
        try:
            mtime = os.stat(os.path.join(lists_dir, name)).st_mtime
        except OSError:
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return len(names), newest


def master_services(text, marker=DEFAULT_BLOCK_MARKER):
    """Names of the ``unix`` services master.cf defines outside the block between the markers
    (``{mark}`` is BEGIN or END; lines starting with the marker text)."""
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    services, inside = [], False
    for line in text.splitlines():
        if line.startswith(begin):
            inside = True
            continue
        if line.startswith(end):
            inside = False
            continue
        if inside or not line or line[0] in " \t#":
            continue
        fields = line.split()
        if len(fields) >= 2 and fields[1] == "unix" and fields[0] not in services:
            services.append(fields[0])
    return services


def file_state(path):
    """{content, mode, uid, gid} of a small text file, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(65536)
        info = os.stat(path)
    except (IOError, OSError):
        return None
    return {
        "content": data.decode("utf-8", "replace"),
        "mode": "%04o" % (info.st_mode & 0o7777),
        "uid": info.st_uid,
        "gid": info.st_gid,
    }


def service_state(run_command, systemctl, service):
    """(active, enabled) as systemctl prints them, '' without systemctl."""
    if not systemctl:
        return "", ""
    rc, out, err = run_command([systemctl, "is-active", service])
    active = out.strip().splitlines()[-1] if out.strip() else ""
    rc, out, err = run_command([systemctl, "is-enabled", service])
    enabled = out.strip().splitlines()[-1] if out.strip() else ""
    return active, enabled


def postfix_state(run_command, postconf, config_dir, marker=DEFAULT_BLOCK_MARKER):
    """(installed, db_type, services) of the Postfix in ``config_dir``."""
    if not postconf:
        return False, "", []
    rc, out, err = run_command([postconf, "-c", config_dir, "-h", "default_database_type"])
    if rc != 0:
        raise PostfixInfoError("postconf -h default_database_type failed: %s" % (err.strip() or out.strip()))
    try:
        with open(os.path.join(config_dir, "master.cf")) as handle:
            services = master_services(handle.read(), marker)
    except (IOError, OSError):
        services = []
    return True, out.strip(), services


def inspect(run_command, packages, config_dir="/etc/postfix", postconf=None, dpkg_query=None, rpm=None,
            systemctl=None, service="postfix", reload_pending=None, mailname="/etc/mailname",
            lists_dir="/var/lib/apt/lists", master_cf_marker=DEFAULT_BLOCK_MARKER, queues=False,
            postqueue=None, parts=("packages", "postfix", "service", "files"), now=None):  # fmt: skip
    """What the role needs to know of the host (see the module's RETURN). ``parts`` limits the
    reading to some of packages, postfix, service and files (re-reading Postfix after install)."""
    now = time.time() if now is None else now
    packages = check_names(packages or [], PACKAGE_RE, "packages")
    check_names([service], SERVICE_RE, "service")
    result = {}
    if "packages" in parts:
        count, newest = apt_lists(lists_dir)
        result.update(
            missing=missing_packages(run_command, packages, dpkg_query, rpm),
            apt_lists=count,
            apt_lists_age=None if newest is None else max(0, int(now - newest)),
        )
    if "postfix" in parts:
        installed, db_type, services = postfix_state(run_command, postconf, config_dir, master_cf_marker)
        result.update(installed=installed, db_type=db_type, services=services)
    if "service" in parts:
        active, enabled = service_state(run_command, systemctl, service)
        result.update(active=active, enabled=enabled)
    if "files" in parts:
        result.update(
            reload_pending=bool(reload_pending) and os.path.exists(reload_pending),
            mailname=file_state(mailname) if mailname else None,
        )
    if queues:
        found = collect(run_command, mtas=ALL_MTAS, postqueue=postqueue)
        result["warnings"] = found.pop("warnings")
        result["mail_queues"] = found
    else:
        result["warnings"] = []
    return result
