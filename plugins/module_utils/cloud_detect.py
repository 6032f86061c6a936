# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline detection of the cloud a host runs on, from what the host itself shows.

No metadata endpoint, no network: only the DMI strings the firmware gives the kernel
(``/sys/class/dmi/id/*``) and a few well-known files that providers' images carry. Every
signature is a full, case-insensitive match of one value (or a prefix where the provider puts
a serial number or a size after a fixed text), so an unrelated vendor string never matches by
accident; the signature list says where each value is documented.

Public entry point: :func:`detect` -> ``{'provider', 'name', 'evidence', 'unreadable'}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

DEFAULT_DMI_PATH = "/sys/class/dmi/id"
DEFAULT_FILES_ROOT = "/"

# DMI files read, in this order. product_serial is root-only on most kernels: unreadable is normal.
DMI_FIELDS = (
    "sys_vendor",
    "product_name",
    "bios_vendor",
    "bios_version",
    "chassis_asset_tag",
    "board_vendor",
    "product_serial",
)
MAX_VALUE_BYTES = 256

# SIGNATURES: (provider id, kind, field or path, match, value, origin of the value), written per provider.
#   kind 'dmi': field is a DMI file name; 'file': path below files_root that must exist (value
#   None) or whose first line must match.
#   match 'equals' (case-insensitive full match after stripping) or 'prefix' / 'contains'.
# fmt: off
_SIGNATURES_BY_PROVIDER = (
    ("azure", (
        ("dmi", "chassis_asset_tag", "equals", "7783-7084-3265-9085-8269-3286-77",
         "the fixed chassis asset tag of every Azure VM (cloud-init DataSourceAzure, ds-identify)"),
    )),
    ("aws", (
        ("dmi", "sys_vendor", "equals", "Amazon EC2",
         "Nitro instances (AWS EC2 User Guide, \"Detect whether a host is an EC2 instance\")"),
        ("dmi", "bios_vendor", "equals", "Amazon EC2", "Nitro instances (AWS EC2 User Guide)"),
        ("dmi", "bios_version", "contains", "amazon", "Xen instances: BIOS version such as 4.11.amazon"),
        ("file", "sys/hypervisor/uuid", "prefix", "ec2",
         "Xen instances: the hypervisor UUID starts with ec2 (AWS EC2 User Guide, cloud-init ds-identify)"),
    )),
    ("gcp", (
        ("dmi", "product_name", "equals", "Google Compute Engine", "cloud-init ds-identify dscheck_GCE"),
        ("dmi", "sys_vendor", "equals", "Google", "Compute Engine images"),
        ("dmi", "bios_vendor", "equals", "Google", "Compute Engine images"),
        ("dmi", "product_serial", "prefix", "GoogleCloud-", "cloud-init ds-identify dscheck_GCE"),
    )),
    ("oracle", (
        ("dmi", "chassis_asset_tag", "equals", "OracleCloud.com", "cloud-init ds-identify dscheck_Oracle"),
    )),
    ("digitalocean", (
        ("dmi", "sys_vendor", "equals", "DigitalOcean", "cloud-init DataSourceDigitalOcean"),
        ("dmi", "bios_vendor", "equals", "DigitalOcean", "Droplet images"),
    )),
    ("hetzner", (
        ("dmi", "sys_vendor", "equals", "Hetzner", "cloud-init ds-identify dscheck_Hetzner"),
    )),
    ("linode", (
        ("dmi", "sys_vendor", "equals", "Linode", "cloud-init DataSourceAkamai"),
        ("dmi", "sys_vendor", "equals", "Akamai", "cloud-init DataSourceAkamai"),
    )),
    ("vultr", (
        ("dmi", "sys_vendor", "equals", "Vultr", "cloud-init ds-identify dscheck_Vultr"),
        ("file", "etc/vultr", "exists", None, "cloud-init ds-identify dscheck_Vultr"),
    )),
    ("scaleway", (
        ("dmi", "sys_vendor", "equals", "Scaleway", "cloud-init ds-identify dscheck_Scaleway"),
        ("file", "var/run/scaleway", "exists", None, "cloud-init ds-identify dscheck_Scaleway"),
    )),
    ("ibm", (
        ("file", "root/provisioningConfiguration.cfg", "exists", None,
         "IBM Cloud classic (SoftLayer) provisioning file (cloud-init ds-identify is_ibm_provisioning)"),
        ("dmi", "sys_vendor", "contains", "SoftLayer",
         "IBM Cloud classic (SoftLayer); not confirmed by an IBM document"),
        ("dmi", "chassis_asset_tag", "equals", "ibmcloud", "IBM Cloud VPC; not confirmed by an IBM document"),
    )),
    ("ovh", (
        ("dmi", "sys_vendor", "contains", "OVH", "OVHcloud-branded hardware; not confirmed by an OVHcloud document"),
        ("dmi", "board_vendor", "contains", "OVH", "OVHcloud-branded hardware; not confirmed by an OVHcloud document"),
    )),
)
# fmt: on
SIGNATURES = tuple((provider,) + row for provider, rows in _SIGNATURES_BY_PROVIDER for row in rows)

PROVIDER_NAMES = {
    "aws": "Amazon Web Services (EC2)",
    "azure": "Microsoft Azure",
    "gcp": "Google Cloud (Compute Engine)",
    "ibm": "IBM Cloud (SoftLayer)",
    "oracle": "Oracle Cloud Infrastructure",
    "digitalocean": "DigitalOcean",
    "hetzner": "Hetzner Cloud",
    "ovh": "OVHcloud",
    "linode": "Akamai Cloud (Linode)",
    "vultr": "Vultr",
    "scaleway": "Scaleway",
    "unknown": "unknown",
}

# When signatures of two providers match (a provider reselling another's hardware), the first wins.
PRIORITY = ("azure", "aws", "gcp", "oracle", "ibm", "digitalocean", "hetzner", "linode", "vultr", "scaleway", "ovh")


def _read_first_line(path):
    """Return (text or None, error text or None); a missing file is (None, None)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_VALUE_BYTES)
    except (IOError, OSError) as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None, None
        return None, "%s (%s)" % (path, exc.strerror or exc)
    text = data.decode("utf-8", "replace").split("\n", 1)[0]
    # DMI strings are printable ASCII; drop anything else rather than echo it.
    text = "".join(c for c in text if c.isprintable()).strip()
    return text, None


def _matches(match, expected, value):
    if value is None:
        return False
    if match == "exists":
        return True
    value = value.lower()
    expected = expected.lower()
    if match == "equals":
        return value == expected
    if match == "prefix":
        return value.startswith(expected)
    return expected in value


def read_dmi(dmi_path=DEFAULT_DMI_PATH):
    """Return ({field: value or None}, [unreadable descriptions]) of :data:`DMI_FIELDS`."""
    values = {}
    unreadable = []
    for field in DMI_FIELDS:
        value, error = _read_first_line(os.path.join(dmi_path, field))
        values[field] = value
        if error:
            unreadable.append(error)
    return values, unreadable


def detect(dmi_path=DEFAULT_DMI_PATH, files_root=DEFAULT_FILES_ROOT):
    """Detect the cloud provider; never raises for unreadable or missing files.

    Returns ``{'provider': id, 'name': display name, 'evidence': [text, ...],
    'unreadable': [text, ...]}``; ``provider`` is ``'unknown'`` when no signature matched,
    and then ``evidence`` lists the DMI values that were read (what the host does show).
    """
    dmi_path = dmi_path or DEFAULT_DMI_PATH
    files_root = files_root or DEFAULT_FILES_ROOT
    dmi, unreadable = read_dmi(dmi_path)
    found = {}
    files = {}
    for provider, kind, where, match, expected, origin in SIGNATURES:
        if kind == "dmi":
            path = os.path.join(dmi_path, where)
            value = dmi.get(where)
        else:
            path = os.path.join(files_root, where)
            if path not in files:
                value, error = _read_first_line(path)
                if value is None and error is None and os.path.lexists(path):
                    value = ""  # exists but empty or unreadable as text
                if error:
                    unreadable.append(error)
                    value = "" if match == "exists" else None
                files[path] = value
            value = files[path]
        if _matches(match, expected, value):
            if match == "exists":
                text = "%s exists (%s)" % (path, origin)
            else:
                text = "%s = %r (%s)" % (path, value, origin)
            found.setdefault(provider, []).append(text)
    for provider in PRIORITY:
        if provider in found:
            return {
                "provider": provider,
                "name": PROVIDER_NAMES[provider],
                "evidence": found[provider],
                "unreadable": unreadable,
            }
    shown = [
        "%s = %r" % (os.path.join(dmi_path, field), dmi[field]) for field in DMI_FIELDS if dmi[field] not in (None, "")
    ]
    if not shown:
        shown = ["no DMI value readable under %s" % dmi_path]
    return {"provider": "unknown", "name": PROVIDER_NAMES["unknown"], "evidence": shown, "unreadable": unreadable}
