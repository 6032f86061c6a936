# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # egress.mail.cloud_detection: the options of the offline cloud provider detection
    # (module_utils/cloud_detect.py) and of the provider's port 25 policy that comes with it
    # (module_utils/port25_policies.py, module_utils/port25_explain.py), for a module that returns
    # RV(cloud), RV(port25_policy) and a RV(msg) that explains the port 25 result.
    DOCUMENTATION = r"""
options:
  cloud_detection:
    description:
      - Detect, offline, the cloud provider the target runs on and return it as RV(cloud), with the provider's
        documented outbound port 25 policy as RV(port25_policy), and say both in RV(msg).
      - 'Only local files are read: the DMI strings under O(dmi_path) (C(sys_vendor), C(product_name),
        C(bios_vendor), C(bios_version), C(chassis_asset_tag), C(board_vendor), C(product_serial)) and a few
        well-known files under O(cloud_files_root) (C(/sys/hypervisor/uuid), C(/etc/vultr), C(/var/run/scaleway),
        C(/root/provisioningConfiguration.cfg)). No metadata endpoint is contacted. Missing or unreadable files are
        skipped and listed in RV(cloud.unreadable).'
      - 'Detected: IBM Cloud, Azure, AWS, Google Cloud, Oracle Cloud, DigitalOcean, Hetzner, OVHcloud, Akamai
        (Linode), Vultr and Scaleway. The signatures and the policy table are listed on the docs page
        "Outbound port 25 policies of cloud providers".'
    type: bool
    default: true
  dmi_path:
    description:
      - Directory the DMI files are read from, on the target. Point it at a copy for tests, or at the host's
        DMI directory mounted into a container.
    type: path
    default: /sys/class/dmi/id
  cloud_files_root:
    description:
      - Directory the well-known files of O(cloud_detection) are looked up under, on the target (for example
        V(/host) when the host's root file system is mounted there in a container).
    type: path
    default: /
"""
