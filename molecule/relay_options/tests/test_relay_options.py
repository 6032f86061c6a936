"""465 without saying wrappermode, sender-dependent relays, root forwarding, sender rewriting,
and bad input refused before anything on the host changes."""
import json
import os
import subprocess
import uuid

import pytest

from egress_helpers import postconf, wait_for_records

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAILHOST = "options-mailhost"
SMARTHOST = "options-smarthost"


def send(host, sender, rcpt="someone@example.test"):
    subject = "options-%s" % uuid.uuid4().hex[:10]
    host.run_test("printf 'Subject: %s\\n\\nhi\\n' | /usr/sbin/sendmail -i -f %s -- %s" % (subject, sender, rcpt))
    return subject


def test_465_is_implicit_tls(mailhost, smarthost):
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[options-smarthost]:465"
    assert conf["smtp_tls_wrappermode"] == "yes"
    [record] = wait_for_records(smarthost, send(mailhost, "app@options.test"))
    assert record["port"] == 465 and record["auth_user"] == "relayuser" and record["tls_version"]


def test_sender_dependent_relay_uses_its_port_and_user(mailhost, smarthost):
    [record] = wait_for_records(smarthost, send(mailhost, "invoices@billing.test"))
    assert record["port"] == 587
    assert record["auth_user"] == "altuser"
    assert record["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert record["sender"] == "invoices@billing.test"


def test_root_mail_is_forwarded_and_sender_rewritten(mailhost, smarthost):
    [record] = wait_for_records(smarthost, send(mailhost, "root", rcpt="root"))
    assert record["recipient"] == "ops@example.test"
    assert record["sender"] == "noreply@options.test"
    assert record["port"] == 465 and record["auth_user"] == "relayuser"


BAD_INPUTS = [
    ({"postfix_relay_host": "smtp.example.net\nrelayhost = evil"}, "postfix_relay_host"),
    ({"postfix_relay_host": ""}, "postfix_relay_host"),
    ({"postfix_relay_port": 70000}, "postfix_relay_port"),
    ({"postfix_relay_port": "abc"}, "postfix_relay_port"),
    ({"postfix_relay_provider": "sendgird"}, "postfix_relay_provider"),
    ({"postfix_relay_password": None}, "postfix_relay_password"),
    ({"postfix_relay_username": "relay user"}, "postfix_relay_username"),
    ({"postfix_relay_port": 587, "postfix_relay_tls_security_level": "may"}, "postfix_relay_tls_security_level"),
    ({"postfix_relay_sender_dependent": [{"sender": "@x.test", "port": 587}]}, "postfix_relay_sender_dependent[0]"),
    ({"postfix_relay_sender_dependent": [{"sender": "@x.test", "hots": "a"}]}, "postfix_relay_sender_dependent[0]"),
    ({"postfix_relay_mynetworks": ["0.0.0.0/0, evil"]}, "postfix_relay_mynetworks[0]"),
    ({"postfix_relay_inet_interfaces": "all\nmynetworks = 0.0.0.0/0"}, "postfix_relay_inet_interfaces"),
]


@pytest.mark.parametrize("extra,variable", BAD_INPUTS, ids=[v for dummy, v in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(mailhost, extra, variable):
    checksum = "find /etc/postfix /etc/aliases -type f -exec sha256sum {} + | sort"
    before = mailhost.check_output(checksum)
    result = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(SCENARIO, "converge.yml"), "-e", json.dumps(extra)],
        env=dict(os.environ, ANSIBLE_FORCE_COLOR="0"), capture_output=True, text=True, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-2000:]
    assert variable in out, out[-2000:]
    assert "changed=0" in out, out[-2000:]
    assert mailhost.check_output(checksum) == before
