"""postfix_relay: mail from Debian 12 and 13 arrives at the smarthost over TLS, authenticated."""
import os
import subprocess
import time
import uuid

import pytest

from egress_helpers import container, journal_lines, postconf, submit, wait_for_records

MAILHOSTS = ["default-bookworm", "default-trixie"]
PASSWORD = "p:a ss#w0rd$%"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMARTHOST = "default-smarthost"


@pytest.fixture(scope="module")
def outsider():
    return container("default-outsider")


@pytest.fixture(scope="module", params=MAILHOSTS)
def mailhost(request):
    return container(request.param)


def test_postfix_running(mailhost):
    assert mailhost.service("postfix").is_running


def test_relay_settings_in_main_cf(mailhost):
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[default-smarthost]:587"
    assert conf["smtp_tls_security_level"] == "verify"
    assert conf["smtp_tls_CAfile"] == "/etc/ssl/egress-fixture-ca.pem"
    assert conf["smtp_sasl_auth_enable"] == "yes"
    assert conf["smtp_sasl_password_maps"].endswith(":/etc/postfix/sasl_passwd")
    assert postconf(mailhost, flag="")["smtp_tls_wrappermode"] == "no"
    assert conf["smtpd_relay_restrictions"] == "permit_mynetworks, reject_unauth_destination"
    db_type = mailhost.check_output("postconf -h default_database_type")
    assert conf["smtp_sasl_password_maps"].startswith(db_type + ":")
    assert mailhost.run("postfix check").rc == 0


def test_password_maps_are_root_0600(mailhost):
    db_type = mailhost.check_output("postconf -h default_database_type")
    suffix = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}[db_type]
    for path in ("/etc/postfix/sasl_passwd", "/etc/postfix/sasl_passwd" + suffix):
        f = mailhost.file(path)
        assert f.exists, path
        assert f.user == "root" and f.group == "root", path
        assert f.mode == 0o600, "%s is %o" % (path, f.mode)
    # Postfix reads the password it was given, colon, space and all.
    lookup = mailhost.check_output("postmap -q '[default-smarthost]:587' %s:/etc/postfix/sasl_passwd" % db_type)
    assert lookup == "relayuser:" + PASSWORD


def test_sendmail_arrives_over_tls_authenticated(mailhost, smarthost):
    subject = "default-%s-%s" % (mailhost.backend.name, uuid.uuid4().hex[:8])
    cmd = ("printf 'Subject: %s\\nFrom: app@%s\\n\\nhello\\n' | /usr/sbin/sendmail -i -f app@%s -- someone@example.test"
           % (subject, mailhost.backend.name, mailhost.backend.name))
    mailhost.run_test(cmd)
    [record] = wait_for_records(smarthost, subject)
    assert record["port"] == 587
    assert record["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert record["auth_user"] == "relayuser"
    assert record["protocol"] == "ESMTPSA"
    assert record["sender"] == "app@%s" % mailhost.backend.name
    assert record["recipient"] == "someone@example.test"


def test_connections_to_the_relay_are_reused(mailhost, smarthost):
    """The throughput defaults (bench/throughput_bench.py) are set and work: a burst of mail
    goes over cached TLS connections (Postfix logs conn_use=N for the 2nd and later message
    on a connection), every message still over TLS and authenticated."""
    conf = postconf(mailhost)
    assert conf["smtp_tls_connection_reuse"] == "yes"
    assert conf["smtp_connection_cache_destinations"] == "[default-smarthost]:587"
    assert conf["default_destination_concurrency_limit"] == "10"
    assert "tlsproxy" in mailhost.check_output("postconf -M tlsproxy/unix")
    tag = "reuse-%s-%s" % (mailhost.backend.name, uuid.uuid4().hex[:8])
    since = time.time() - 1
    mailhost.run_test("for i in $(seq 1 20); do printf 'Subject: %s '$i'\\n\\nburst\\n' | "
                      "/usr/sbin/sendmail -i -f app@%s -- someone@example.test; done" % (tag, mailhost.backend.name))
    found = wait_for_records(smarthost, tag, count=20)
    assert len(found) == 20
    assert all(r["auth_user"] == "relayuser" and r["tls_version"] for r in found)
    sent = [line for line in journal_lines(mailhost, since, identifier="postfix/smtp")
            if "status=sent" in line and "relay=default-smarthost" in line]
    assert len(sent) >= 20, sent
    reused = [line for line in sent if "conn_use=" in line]
    assert reused, "no message reused a connection:\n" + "\n".join(sent)


def test_converge_test_message_arrived(smarthost):
    found = wait_for_records(smarthost, "egress.mail relay test from", count=len(MAILHOSTS))
    assert set(r["subject"].rsplit(" ", 1)[1] for r in found) == set(MAILHOSTS)
    assert all(r["auth_user"] == "relayuser" and r["tls_version"] for r in found)


@pytest.mark.parametrize("target", MAILHOSTS)
def test_outsider_cannot_relay(outsider, smarthost, target):
    subject = "openrelay-%s" % uuid.uuid4().hex[:8]
    answer = submit(outsider, host=target, port=25, tls="none", rcpt="victim@example.test",
                    sender="spam@outsider.test", subject=subject)
    assert not answer["accepted"], answer
    # loopback-only: the connection is refused; listening on all: 554 Relay access denied.
    assert answer["code"] in (None, 454, 554), answer
    if answer["code"]:
        assert "Relay access denied" in answer["reply"], answer
    assert wait_for_records(smarthost, subject, timeout=3) == []


def _playbook(*args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(SCENARIO, "converge.yml")] + list(args),
        env=env, capture_output=True, text=True, check=False)


def _changed(output):
    return sum(int(part.split("=")[1]) for line in output.splitlines() if "changed=" in line
               for part in line.split() if part.startswith("changed="))


@pytest.mark.parametrize("mode", [["-vvv"], ["--check", "--diff", "-vvv"]])
def test_password_never_in_output_and_no_change(mode):
    result = _playbook(*mode)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "recap" in out.lower()
    for secret in (PASSWORD, "p:a ss", "ss#w0rd"):
        assert secret not in out, "password fragment %r in %s output" % (secret, mode)
    assert _changed(out) == 0, out[-3000:]
