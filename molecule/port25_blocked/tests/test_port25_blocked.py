"""Port 25 dropped, 587 rejected: the probe tells them apart and port `auto` picks what works."""

import json
import uuid

import pytest

from egress_ansible import adhoc, playbook
from egress_helpers import postconf, wait_for_records

MAILHOST = "blocked-mailhost"
SMARTHOST = "blocked-smarthost"


def probe(timeout=2):
    """Run egress.mail.smtp_probe on the mail host (as a user would, through Ansible)."""
    args = json.dumps({"hosts": [SMARTHOST], "timeout": timeout, "ca_file": "/etc/ssl/egress-fixture-ca.pem"})
    run = adhoc(
        MAILHOST, "egress.mail.smtp_probe", args, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1"
    )
    assert run.returncode == 0, run.output[-3000:]
    result = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"][MAILHOST]
    return result, {r["port"]: r for r in result["results"]}


def converge():
    run = playbook("converge.yml")
    assert run.returncode == 0, run.output[-3000:]


@pytest.fixture()
def provider_rules(mailhost):
    """The provider's rules of prepare.yml (25 dropped, 587 reset), whatever a test added
    before; again after the test."""
    mailhost.run_test("systemctl restart nftables")
    yield
    mailhost.run_test("systemctl restart nftables")


def send(mailhost, tag):
    subject = "blocked-%s-%s" % (tag, uuid.uuid4().hex[:8])
    mailhost.run_test(
        "printf 'Subject: %s\\n\\nhi\\n' | /usr/sbin/sendmail -i -f app@blocked.test -- rcpt@example.test" % subject
    )
    return subject


def test_probe_tells_the_blocks_apart(provider_rules):
    result, by_port = probe()
    assert by_port[25]["state"] == "filtered", by_port[25]
    assert by_port[587]["state"] == "refused", by_port[587]
    assert by_port[2525]["state"] == "open" and by_port[2525]["starttls"] is True
    assert by_port[2525]["tls_version"] in ("TLSv1.2", "TLSv1.3") and by_port[2525]["tls_verified"]
    assert "PLAIN" in by_port[2525]["auth_mechanisms"]
    assert by_port[465]["state"] == "open" and by_port[465]["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert result["port25_blocked"] is True
    assert result["recommended_port"] == 2525
    assert result["changed"] is False


def test_auto_picked_2525_and_mail_arrives_there(provider_rules, mailhost, smarthost):
    """The state molecule's converge made; converged again here, so that the test does not
    depend on what an earlier test (the 465 one) left."""
    converge()
    assert postconf(mailhost)["relayhost"] == "[blocked-smarthost]:2525"
    [record] = wait_for_records(smarthost, send(mailhost, "2525"))
    assert record["port"] == 2525 and record["auth_user"] == "relayuser" and record["tls_version"]


def test_with_2525_dropped_too_auto_picks_465(provider_rules, mailhost, smarthost):
    mailhost.run_test("nft add rule inet egress_block output tcp dport 2525 drop")
    result, by_port = probe()
    assert by_port[2525]["state"] == "filtered"
    assert result["recommended_port"] == 465 and result["recommended_wrappermode"] is True
    converge()
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[blocked-smarthost]:465"
    assert conf["smtp_tls_wrappermode"] == "yes"
    [record] = wait_for_records(smarthost, send(mailhost, "465"))
    assert record["port"] == 465 and record["auth_user"] == "relayuser" and record["tls_version"]
