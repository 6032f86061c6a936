# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of plugins/module_utils/cloud_detect.py on DMI fixture directories (real files, no mocks)."""

import os
import shutil

import pytest

from ansible_collections.egress.mail.plugins.module_utils import cloud_detect

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "cloud")


def detect(case):
    return cloud_detect.detect(
        dmi_path=os.path.join(FIXTURES, case, "dmi"), files_root=os.path.join(FIXTURES, case, "root")
    )


# case, provider, a fragment every evidence list must hold
CASES = [
    ("aws-nitro", "aws", "sys_vendor = 'Amazon EC2'"),
    ("aws-xen", "aws", "sys/hypervisor/uuid = 'ec2e1916-9099-7caf-fd21-012345abcdef'"),
    ("azure", "azure", "chassis_asset_tag = '7783-7084-3265-9085-8269-3286-77'"),
    ("gcp", "gcp", "product_name = 'Google Compute Engine'"),
    ("oracle", "oracle", "chassis_asset_tag = 'OracleCloud.com'"),
    ("digitalocean", "digitalocean", "sys_vendor = 'DigitalOcean'"),
    ("hetzner", "hetzner", "sys_vendor = 'Hetzner'"),
    ("linode", "linode", "sys_vendor = 'Linode'"),
    ("akamai", "linode", "sys_vendor = 'Akamai'"),
    ("vultr", "vultr", "sys_vendor = 'Vultr'"),
    ("vultr-file", "vultr", "etc/vultr exists"),
    ("scaleway", "scaleway", "sys_vendor = 'Scaleway'"),
    ("ibm-classic", "ibm", "root/provisioningConfiguration.cfg exists"),
    ("ovh", "ovh", "sys_vendor = 'OVHcloud'"),
]


@pytest.mark.parametrize("case, provider, fragment", CASES, ids=[c[0] for c in CASES])
def test_provider_detected_with_evidence(case, provider, fragment):
    result = detect(case)
    assert result["provider"] == provider
    assert result["name"] == cloud_detect.PROVIDER_NAMES[provider]
    assert any(fragment in item for item in result["evidence"]), result["evidence"]
    # Every piece of evidence names the file it came from and where the signature is documented.
    assert all(item.startswith(FIXTURES) and item.endswith(")") for item in result["evidence"])
    assert result["unreadable"] == []


def test_every_provider_has_a_fixture():
    assert set(c[1] for c in CASES) == set(cloud_detect.PROVIDER_NAMES) - {"unknown"}
    assert set(cloud_detect.PRIORITY) == set(cloud_detect.PROVIDER_NAMES) - {"unknown"}


@pytest.mark.parametrize("case", ["kvm-unknown", "hyperv-onprem"])
def test_unknown_shows_what_was_read(case):
    """On-premises Hyper-V says Microsoft Corporation / Virtual Machine too: only Azure's asset tag is Azure."""
    result = detect(case)
    assert result["provider"] == "unknown"
    assert result["name"] == "unknown"
    dmi = os.path.join(FIXTURES, case, "dmi")
    assert "%s = 'Virtual Machine'" % os.path.join(dmi, "product_name") in result["evidence"] or case == "kvm-unknown"
    assert all(item.startswith(dmi) for item in result["evidence"])
    # Empty values are not evidence.
    assert not any(item.endswith("= ''") for item in result["evidence"])


def test_missing_dmi_directory_is_unknown(tmp_path):
    result = cloud_detect.detect(dmi_path=str(tmp_path / "none"), files_root=str(tmp_path))
    assert result == {
        "provider": "unknown",
        "name": "unknown",
        "evidence": ["no DMI value readable under %s" % (tmp_path / "none")],
        "unreadable": [],
    }


def _copy(tmp_path, case):
    target = tmp_path / case
    shutil.copytree(os.path.join(FIXTURES, case), str(target))
    return target


def test_unreadable_file_is_reported_and_the_rest_still_decides(tmp_path):
    target = _copy(tmp_path, "azure")
    sys_vendor = target / "dmi" / "sys_vendor"
    sys_vendor.unlink()
    # open() fails with EISDIR, for root too (a mode 0000 file would not stop root): the same
    # branch as EACCES on product_serial for an unprivileged user.
    sys_vendor.mkdir()
    result = cloud_detect.detect(dmi_path=str(target / "dmi"), files_root=str(target / "root"))
    assert result["provider"] == "azure"
    assert len(result["unreadable"]) == 1
    assert result["unreadable"][0].startswith(str(sys_vendor) + " (")


def test_unreadable_well_known_file_still_counts_as_present(tmp_path):
    target = _copy(tmp_path, "vultr-file")
    marker = target / "root" / "etc" / "vultr"
    marker.unlink()
    marker.mkdir()
    result = cloud_detect.detect(dmi_path=str(target / "dmi"), files_root=str(target / "root"))
    assert result["provider"] == "vultr"
    assert result["unreadable"] == ["%s (Is a directory)" % marker]


def test_unreadable_value_file_is_not_a_match(tmp_path):
    target = _copy(tmp_path, "aws-xen")
    uuid = target / "root" / "sys" / "hypervisor" / "uuid"
    uuid.unlink()
    uuid.mkdir()
    result = cloud_detect.detect(dmi_path=str(target / "dmi"), files_root=str(target / "root"))
    # bios_version 4.11.amazon still identifies the Xen instance.
    assert result["provider"] == "aws"
    assert not any("hypervisor" in item for item in result["evidence"])
    assert result["unreadable"] == ["%s (Is a directory)" % uuid]


@pytest.mark.parametrize(
    "value, provider",
    [
        ("DigitalOcean", "digitalocean"),
        ("digitalocean", "digitalocean"),  # case-insensitive
        ("  DigitalOcean  ", "digitalocean"),  # surrounding blanks
        ("DigitalOceanX", "unknown"),  # a full match, not a prefix
        ("Not DigitalOcean", "unknown"),
        ("Hetzner Online GmbH", "unknown"),  # equals: the dedicated-server vendor string is not the cloud
        ("Amazon EC2", "aws"),
        ("Scaleway\x1b[31m", "unknown"),  # control characters are dropped, never echoed
    ],
    ids=["exact", "case", "blanks", "longer", "embedded", "other-hetzner", "aws", "control"],
)
def test_sys_vendor_matching(tmp_path, value, provider):
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "sys_vendor").write_bytes(value.encode("utf-8") + b"\n")
    result = cloud_detect.detect(dmi_path=str(dmi), files_root=str(tmp_path / "root"))
    assert result["provider"] == provider
    assert all("\x1b" not in item for item in result["evidence"])
    if provider == "unknown" and value.startswith("Scaleway"):
        assert result["evidence"] == ["%s = 'Scaleway[31m'" % (dmi / "sys_vendor")]


def test_priority_when_two_providers_match(tmp_path):
    target = _copy(tmp_path, "azure")
    (target / "dmi" / "sys_vendor").write_text("Hetzner\n")
    result = cloud_detect.detect(dmi_path=str(target / "dmi"), files_root=str(target / "root"))
    assert result["provider"] == "azure"


def test_long_value_is_bounded(tmp_path):
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "product_name").write_text("x" * 100000)
    result = cloud_detect.detect(dmi_path=str(dmi), files_root=str(tmp_path))
    assert result["provider"] == "unknown"
    assert len(result["evidence"][0]) < cloud_detect.MAX_VALUE_BYTES + 100


def test_default_paths():
    assert cloud_detect.DEFAULT_DMI_PATH == "/sys/class/dmi/id"
    assert cloud_detect.DEFAULT_FILES_ROOT == "/"
