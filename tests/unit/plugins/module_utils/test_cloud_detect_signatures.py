# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every signature of cloud_detect.SIGNATURES detects its provider on its own (audit of 2026-12-01).

The fixture directories of test_cloud_detect.py prove one realistic host per provider; these
tests prove each row of the table by itself, on a directory holding only that one value, so a
signature that never matches (a typo in a field name, a path or a match kind) fails here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.egress.mail.plugins.module_utils import cloud_detect, port25_policies

VALUE = {"equals": "%s", "prefix": "%s0123456789", "contains": "vendor %s hardware", "exists": ""}


@pytest.mark.parametrize(
    "signature",
    cloud_detect.SIGNATURES,
    ids=["%s-%s-%s" % (s[0], s[1], s[2].replace("/", ".")) for s in cloud_detect.SIGNATURES],
)
def test_each_signature_alone_detects_its_provider(tmp_path, signature):
    provider, kind, where, match, expected, dummy = signature
    dmi, root = tmp_path / "dmi", tmp_path / "root"
    dmi.mkdir()
    root.mkdir()
    path = (dmi if kind == "dmi" else root) / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((VALUE[match] % expected if expected else VALUE[match]) + "\n")
    result = cloud_detect.detect(dmi_path=str(dmi), files_root=str(root))
    assert result["provider"] == provider
    assert result["evidence"] and all(item.startswith(str(path)) for item in result["evidence"])
    assert result["unreadable"] == []
    # A detected provider always has a policy (the one smtp_probe returns).
    assert port25_policies.policy(provider)["provider"] == provider


def test_signatures_use_known_fields_and_kinds():
    for provider, kind, where, match, expected, origin in cloud_detect.SIGNATURES:
        assert provider in cloud_detect.PRIORITY and origin
        assert kind in ("dmi", "file") and match in VALUE
        assert (kind == "dmi") == (where in cloud_detect.DMI_FIELDS) or kind == "file"
        assert (expected is None) == (match == "exists")
        assert not os.path.isabs(where)


def test_a_dmi_path_that_is_a_file_is_unknown_without_error(tmp_path):
    dmi = tmp_path / "dmi"
    dmi.write_text("not a directory\n")
    result = cloud_detect.detect(dmi_path=str(dmi), files_root=str(tmp_path))
    assert result["provider"] == "unknown" and result["unreadable"] == []


def test_each_source_date_is_the_date_of_the_editions_named():
    # The seed documents: IBM's Spanish and French notes are dated 2018-03-21, the German one
    # 2017-11-21; Azure's Spanish article 2021-01-04 (ms.date).
    ibm = port25_policies.POLICIES["ibm"]
    assert ibm["source_date"] == "2018-03-21" and "Spanish and French" in ibm["source"]
    assert "German edition is dated 2017-11-21" in ibm["source"]
    azure = port25_policies.POLICIES["azure"]
    assert azure["source_date"] == "2021-01-04" and "Spanish edition" in azure["source"]
