"""Helpers of the security scenario: the passwords and what to grep for, checksums of
configuration trees; the Ansible runs (egress_ansible, shared by every scenario) re-exported."""

import base64
from urllib.parse import quote, quote_plus

from egress_ansible import adhoc, ansible_env, failures, json_run, playbook, recap  # noqa: F401 pylint: disable=unused-import
from egress_helpers import container, shell_quote  # noqa: F401 pylint: disable=unused-import


# Figures for the report, printed at the end of the pytest run (conftest.py).
FIGURES = {"bad input tried/refused": {}, "password hits": {}}

MAILHOST = "sec-mailhost"
BARE = "sec-bare"
PMTA = "sec-pmta"
OUTSIDER = "sec-outsider"
SMARTHOST = "sec-smarthost"

# The passwords of molecule.yml (there written with a doubled dollar sign).
POSTFIX_USER = "relayuser"
POSTFIX_PASSWORD = "Zq9:s3cr3t pw#X$%"
PMTA_USER = "pmtauser"
PMTA_PASSWORD = "Pm7:vK3y s3cr3t$%Tq"


def needles(user, password, fragments):
    """What a leaked password looks like: whole, distinctive fragments of it (a password cut by
    quoting or wrapping), the base64 forms an SMTP AUTH exchange would carry (AUTH PLAIN
    \\0user\\0password, AUTH LOGIN password) and its URL-encoded forms."""
    assert all(len(f) >= 5 and f in password for f in fragments)
    plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    login = base64.b64encode(password.encode()).decode()
    return [password] + list(fragments) + [plain, login, quote(password, safe=""), quote_plus(password)]


POSTFIX_NEEDLES = needles(POSTFIX_USER, POSTFIX_PASSWORD, ["Zq9:s3cr", "s3cr3t pw", "t pw#X$%", "3cr3t pw#X"])
PMTA_NEEDLES = needles(PMTA_USER, PMTA_PASSWORD, ["Pm7:vK3y", "vK3y s3cr", "s3cr3t$%Tq", "K3y s3cr3t$"])


def found(text, needle_list):
    return [n for n in needle_list if n in text]


def tree_state(host, paths):
    """sha256 of every file under paths, plus type, mode and owner of every entry."""
    quoted = " ".join(paths)
    return host.check_output(
        "(find %s -xdev -type f -exec sha256sum {} + ; "
        "find %s -xdev -printf '%%y %%m %%u:%%g %%p\\n') 2>&1 | LC_ALL=C sort" % (quoted, quoted)
    )


def bare_state():
    host = container(BARE)
    return {
        "etc": tree_state(host, ["/etc"]),
        "dpkg": host.check_output("sha256sum /var/lib/dpkg/status"),
        "postfix": host.run("dpkg-query -W -f='${Status}' postfix").stdout,
        "binaries": host.run("ls /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/sendmail 2>&1").stdout,
    }


def grep_host(host, needle_list, paths):
    """Files under paths on host that contain any needle (devices, FIFOs and sockets skipped)."""
    args = " ".join("-e %s" % shell_quote(n) for n in needle_list)
    existing = " ".join(p for p in paths if host.file(p).exists)
    out = host.run("grep -rlsF -D skip --binary-files=text %s %s" % (args, existing))
    assert out.rc in (0, 1), out.stderr
    return sorted(set(out.stdout.split()))


def journal_hits(host, needle_list):
    journal = host.run("journalctl --no-pager -a -o cat")
    assert journal.rc == 0, journal.stderr
    return journal.stdout, found(journal.stdout, needle_list)
