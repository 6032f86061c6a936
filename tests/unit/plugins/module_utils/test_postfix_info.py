# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plugins/module_utils/postfix_info.py on real programs (dpkg-query, Debian's postconf) and real files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postfix_info import (
    PostfixInfoError,
    apt_lists,
    file_state,
    inspect,
    master_services,
    missing_packages,
    service_state,
)
from ansible_collections.egress.mail.tests.unit.helpers.programs import run

DPKG_QUERY = shutil.which("dpkg-query")


def recording():
    calls = []

    def run_command(args):
        calls.append(list(args))
        return run(args)

    return run_command, calls


DEBIAN_MASTER_CF = """\
# Postfix master process configuration file.
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd
#submission inet n       -       y       -       -       smtpd
#  -o syslog_name=postfix/submission
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
#tlsproxy unix  -       -       y       -       0       tlsproxy
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
#       -o smtp_helo_timeout=5 -o smtp_connect_timeout=5
# BEGIN egress.mail postfix_relay transports
egress_smtps unix  -       -       n       -       -       smtp
  -o smtp_tls_wrappermode=yes
tlsproxy  unix  -       -       y       -       0       tlsproxy
# END egress.mail postfix_relay transports
retry     unix  -       -       y       -       -       error
"""


# --- master.cf ------------------------------------------------------------------------------


def test_master_services_outside_the_block():
    """Comments, continuation lines, inet services and the role's own block are not services."""
    assert master_services(DEBIAN_MASTER_CF) == ["pickup", "cleanup", "tlsmgr", "relay", "retry"]


def test_master_services_other_marker_and_tlsproxy_outside():
    text = DEBIAN_MASTER_CF.replace("#tlsproxy unix", "tlsproxy unix")
    assert "tlsproxy" in master_services(text)
    # With another marker the egress.mail lines are ordinary services.
    assert master_services(DEBIAN_MASTER_CF, "# {mark} other")[-3:] == ["egress_smtps", "tlsproxy", "retry"]


def test_master_services_unterminated_block_hides_the_rest():
    assert master_services("# BEGIN egress.mail x\nfoo unix - - n - - smtp\n") == []


# --- packages -------------------------------------------------------------------------------


def test_missing_packages_with_real_dpkg_query():
    run_command, calls = recording()
    missing = missing_packages(
        run_command, ["dpkg", "egress-no-such-package", "coreutils", "egress-nope2"], dpkg_query=DPKG_QUERY
    )
    assert missing == ["egress-no-such-package", "egress-nope2"]
    assert len(calls) == 1, "one dpkg-query call for every package"


def test_package_known_to_dpkg_but_not_installed(tmp_path):
    """A package dpkg remembers (removed, config files left: status rc) counts as missing."""
    admin = tmp_path / "dpkg"
    admin.mkdir()
    (admin / "status").write_text(
        "Package: postfix\nStatus: deinstall ok config-files\nVersion: 3.7.11-0+deb12u1\nArchitecture: amd64\n\n"
        "Package: libsasl2-modules\nStatus: install ok installed\nVersion: 2.1.28\nArchitecture: amd64\n"
        "Multi-Arch: same\n\n"
    )
    (admin / "info").mkdir()
    (admin / "updates").mkdir()

    def run_command(args):
        return run([args[0], "--admindir=%s" % admin] + args[1:])

    assert missing_packages(run_command, ["postfix", "libsasl2-modules"], dpkg_query=DPKG_QUERY) == ["postfix"]


def test_missing_packages_with_rpm_output():
    """rpm prints the name of what is installed and a sentence for what is not (same stdout)."""

    def run_command(args):
        assert args[:4] == ["/bin/rpm", "-q", "--qf", "%{NAME}\\n"]
        return 1, "postfix\npackage cyrus-sasl-plain is not installed\n", ""

    assert missing_packages(run_command, ["postfix", "cyrus-sasl-plain"], rpm="/bin/rpm") == ["cyrus-sasl-plain"]


def test_no_package_tool_is_an_error():
    with pytest.raises(PostfixInfoError, match="neither dpkg-query nor rpm"):
        missing_packages(run, ["postfix"])
    assert missing_packages(run, []) == []


@pytest.mark.parametrize("name", ["post fix", "-postfix", "postfix;id", "", "a\nb", None])
def test_package_names_are_an_allow_list(name):
    with pytest.raises(PostfixInfoError, match="packages: .* is not a valid name"):
        inspect(run, [name], parts=["packages"], dpkg_query="/bin/false")


def test_service_name_is_an_allow_list():
    with pytest.raises(PostfixInfoError, match="service"):
        inspect(run, [], service="postfix; id", parts=[])


# --- apt lists, files, service --------------------------------------------------------------


def test_apt_lists_counts_package_lists_and_their_age(tmp_path):
    assert apt_lists(str(tmp_path / "none")) == (0, None)
    assert apt_lists(str(tmp_path)) == (0, None)
    for name, age in (
        ("deb_dists_bookworm_main_binary-amd64_Packages", 7200),
        ("deb_dists_bookworm-updates_main_binary-amd64_Packages.lz4", 60),
        ("deb_dists_bookworm_InRelease", 0),
        ("lock", 0),
    ):
        path = tmp_path / name
        path.write_text("x")
        os.utime(str(path), (time.time() - age, time.time() - age))
    count, newest = apt_lists(str(tmp_path))
    assert count == 2
    assert 55 <= time.time() - newest <= 70
    result = inspect(run, [], lists_dir=str(tmp_path), parts=["packages"])
    assert result["apt_lists"] == 2 and 55 <= result["apt_lists_age"] <= 70 and result["missing"] == []


def test_file_state_and_reload_pending(tmp_path):
    mailname = tmp_path / "mailname"
    assert file_state(str(mailname)) is None
    mailname.write_text("mail.example.com\n")
    os.chmod(str(mailname), 0o640)
    assert file_state(str(mailname)) == {
        "content": "mail.example.com\n",
        "mode": "0640",
        "uid": os.getuid(),
        "gid": os.getgid(),
    }
    pending = tmp_path / "egress-reload-pending"
    result = inspect(run, [], reload_pending=str(pending), mailname=str(mailname), parts=["files"])
    assert result == {"reload_pending": False, "mailname": file_state(str(mailname)), "warnings": []}
    pending.write_text("")
    assert inspect(run, [], reload_pending=str(pending), mailname=str(mailname), parts=["files"])["reload_pending"]


def test_service_state_reads_systemctl(tmp_path):
    systemctl = tmp_path / "systemctl"
    systemctl.write_text(
        '#!/bin/sh\n[ "$2" = postfix ] || exit 4\n'
        "case $1 in is-active) echo inactive; exit 3;; is-enabled) echo enabled;; esac\n"
    )
    systemctl.chmod(0o755)
    assert service_state(run, str(systemctl), "postfix") == ("inactive", "enabled")
    assert service_state(run, str(systemctl), "other") == ("", "")
    assert service_state(run, None, "postfix") == ("", "")


# --- Postfix --------------------------------------------------------------------------------


def test_postfix_with_real_postconf(tmp_path, postfix_bin):
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("default_database_type = lmdb\n")
    (config / "master.cf").write_text(DEBIAN_MASTER_CF)
    run_command, calls = recording()
    result = inspect(run_command, [], config_dir=str(config), postconf=postfix_bin.postconf, parts=["postfix"])
    assert result == {
        "installed": True,
        "db_type": "lmdb",
        "services": ["pickup", "cleanup", "tlsmgr", "relay", "retry"],
        "warnings": [],
    }
    assert calls == [[postfix_bin.postconf, "-c", str(config), "-h", "default_database_type"]]
    (config / "main.cf").write_text("")
    assert inspect(run, [], config_dir=str(config), postconf=postfix_bin.postconf, parts=["postfix"])["db_type"] in (
        "hash",
        "lmdb",
        "cdb",
    )


def test_postfix_not_installed_and_postconf_failing(tmp_path, postfix_bin):
    assert inspect(run, [], parts=["postfix"]) == {"installed": False, "db_type": "", "services": [], "warnings": []}
    with pytest.raises(PostfixInfoError, match="postconf -h default_database_type failed"):
        inspect(run, [], config_dir=str(tmp_path / "missing"), postconf=postfix_bin.postconf, parts=["postfix"])


def test_queues_read_with_the_mail_queue_logic(tmp_path):
    """With queues, the mail_queue module's summary (no Postfix here: its queue counts 0)."""
    result = inspect(run, [], parts=[], queues=True)
    queues = result["mail_queues"]
    assert set(queues) >= {"sendmail_owner", "queues", "waiting", "total", "reason_lines"}
    assert set(queues["waiting"]) == {"postfix", "exim4", "nullmailer", "sendmail", "dma", "opensmtpd"}
    assert "mail_queues" not in inspect(run, [], parts=[])
