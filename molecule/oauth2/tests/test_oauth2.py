"""OAuth 2.0 relay through the local Email OAuth 2.0 Proxy, against the fixture's XOAUTH2-only
port and its HTTPS token endpoint (client credentials grant, 8-second tokens).

Proven here against local software only: Postfix -> proxy over STARTTLS on loopback, the proxy's
client credentials request to an HTTPS endpoint verified with a private CA, XOAUTH2 after STARTTLS
to a server that validates the token (Dovecot's oauth2 passdb, by introspection), a new token once the
last one expired, queueing while the proxy is down, failure on a refused secret, no secret leaked. What only a
real Microsoft 365 tenant can prove (the Entra application, SMTP.SendAsApp, the mailbox permission,
Microsoft's token and SMTP behaviour) is not claimed.
"""

import json
import time
import uuid

from egress_ansible import playbook
from egress_helpers import (
    mail_queue,
    message_ids,
    records,
    shell_quote,
    wait_deferred_queue,
    wait_for_records,
    wait_until,
)

MAILHOST = "oauth2-mailhost"
SMARTHOST = "oauth2-smarthost"
MAILBOX = "relay@example.test"
SECRET = "fixture~S3cret.with;special#chars%"
ROTATED = "rotated~S3cret.after;expiry#2%"
LIFETIME = 8  # smarthost_fixture_oauth2_token_lifetime in molecule.yml
PROXY_CONFIG = "/etc/egress-oauth2-proxy/emailproxy.config"
TAG = "oauth2-%s" % uuid.uuid4().hex[:8]


def send(mailhost, name):
    """Submit one message with sendmail; returns its Message-ID."""
    msgid = "<%s.%s@oauth2.test>" % (TAG, name)
    body = "From: app@oauth2.test\nTo: rcpt@example.test\nSubject: %s %s\nMessage-ID: %s\n\n%s\n" % (
        TAG,
        name,
        msgid,
        name,
    )
    mailhost.check_output("printf %%s %s | /usr/sbin/sendmail -f app@oauth2.test rcpt@example.test" % shell_quote(body))
    return msgid


def token_events(smarthost):
    out = smarthost.check_output("cat /var/log/egress-fixture-oauth2.log")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def issued(smarthost):
    return [e for e in token_events(smarthost) if e["event"] == "token" and e["result"] == "issued"]


def set_fixture_secret(smarthost, secret):
    conf = json.loads(smarthost.check_output("cat /etc/egress-fixture-oauth2.json"))
    conf["clients"][0]["client_secret"] = secret
    smarthost.check_output("umask 077; printf %%s %s > /etc/egress-fixture-oauth2.json" % shell_quote(json.dumps(conf)))


def wait_for_token_expiry(smarthost):
    """Until every token the fixture has issued is past its lifetime (the fixture then refuses
    it). The containers share this machine's clock."""
    last = max(e["time"] for e in issued(smarthost))
    remaining = last + LIFETIME + 1 - time.time()
    if remaining > 0:
        time.sleep(remaining)
    assert time.time() > last + LIFETIME


def converge(*args):
    """ansible-playbook converge.yml: (returncode, output)."""
    run = playbook("converge.yml", *args)
    return run.returncode, run.output


def listening(mailhost):
    """A predicate: the proxy's port is open."""

    def check():
        return mailhost.run("ss -Hltn 'sport = :11587'").stdout.strip()

    return check


def flush_and_wait(mailhost, smarthost, msgid, timeout=90):
    def arrived():
        mailhost.run("postqueue -f")
        return msgid in message_ids(smarthost)

    return wait_until(arrived, timeout, interval=1)


def test_converge_message_arrived_by_xoauth2(smarthost):
    found = wait_for_records(smarthost, "egress.mail relay test from oauth2-mailhost", timeout=30)
    assert found, "the converge test message did not arrive"
    rec = found[0]
    assert rec["port"] == 1588
    assert rec["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert rec["auth_user"] == MAILBOX
    log = smarthost.check_output("grep 'sasl_method=' /var/log/mail.log")
    assert "sasl_method=XOAUTH2, sasl_username=%s" % MAILBOX in log
    assert "sasl_method=PLAIN" not in log and "sasl_method=LOGIN" not in log


def test_fixture_port_accepts_only_xoauth2(smarthost):
    ehlo = smarthost.check_output(
        "python3 -c \"import smtplib,ssl; s=smtplib.SMTP('127.0.0.1',1588); s.starttls("
        'context=ssl._create_unverified_context()); print(s.ehlo()[1].decode())"'
    )
    assert "AUTH XOAUTH2" in ehlo and "PLAIN" not in ehlo


def test_postfix_relays_to_the_proxy_over_tls(mailhost):
    conf = dict(line.split(" = ", 1) for line in mailhost.check_output("postconf -n").splitlines() if " = " in line)
    assert conf["relayhost"] == "[127.0.0.1]:11587"
    assert conf["smtp_tls_security_level"] == "encrypt"
    log = mailhost.check_output("journalctl -q --no-pager -t postfix/smtp")
    assert "TLS connection established to 127.0.0.1[127.0.0.1]:11587: TLSv1.3" in log
    sasl = mailhost.check_output("cat /etc/postfix/sasl_passwd")
    assert "[127.0.0.1]:11587 %s:" % MAILBOX in sasl and SECRET not in sasl


def test_proxy_listens_on_loopback_only_as_its_user(mailhost):
    listening = mailhost.check_output("ss -Hltn 'sport = :11587'")
    assert listening.split()[3] == "127.0.0.1:11587", listening
    pid = mailhost.check_output("systemctl show -p MainPID --value egress-oauth2-proxy")
    assert mailhost.check_output("ps -o user:32= -p %s" % pid).strip() == "egress-oauth2"
    for path, owner in (
        (PROXY_CONFIG, "egress-oauth2"),
        ("/var/lib/egress-oauth2-proxy/token-cache.config", "egress-oauth2"),
        ("/etc/egress-oauth2-proxy/local.key", "egress-oauth2"),
        ("/etc/egress-oauth2-proxy/local_password", "root"),
    ):
        f = mailhost.file(path)
        assert f.exists and f.mode == 0o600 and f.user == owner, path
    assert mailhost.file("/var/lib/egress-oauth2-proxy").mode == 0o700
    assert mailhost.file("/etc/egress-oauth2-proxy").mode == 0o750


def test_mail_sent_after_token_expiry_arrives(mailhost, smarthost):
    """Mail still flows once the previous token has expired at the fixture (which refuses expired
    tokens), with a new token. What this does not show: emailproxy fetches a token for every
    login while less than 600 s of it are left (its TOKEN_EXPIRY_MARGIN), so with the fixture's
    short tokens it never reuses one; its reuse of a valid token is not tested here."""
    first = send(mailhost, "before-expiry")
    assert flush_and_wait(mailhost, smarthost, first), "first message did not arrive"
    tokens_before = len(issued(smarthost))
    wait_for_token_expiry(smarthost)
    second = send(mailhost, "after-expiry")
    assert flush_and_wait(mailhost, smarthost, second), "message after token expiry did not arrive"
    assert len(issued(smarthost)) > tokens_before, "the proxy did not fetch a new token"
    print("tokens issued so far: %d" % len(issued(smarthost)))


def test_proxy_down_queues_then_delivers_once(mailhost, smarthost):
    mailhost.check_output("systemctl stop egress-oauth2-proxy")
    try:
        msgid = send(mailhost, "proxy-down")
        queue = wait_deferred_queue(mailhost, 1, 60)
        assert len(queue) == 1 and queue[0]["queue_name"] == "deferred", queue
        assert msgid not in message_ids(smarthost)
    finally:
        mailhost.check_output("systemctl start egress-oauth2-proxy")
    assert wait_until(listening(mailhost), 30)
    assert flush_and_wait(mailhost, smarthost, msgid), "queued message did not arrive after the proxy came back"
    # Both queues empty: nothing more can arrive, so one copy means exactly once.
    assert wait_until(lambda: mail_queue(mailhost) == [], 30), mail_queue(mailhost)
    assert wait_until(lambda: mail_queue(smarthost) == [], 30), mail_queue(smarthost)
    assert message_ids(smarthost).count(msgid) == 1


def test_systemd_restarts_a_killed_proxy(mailhost):
    pid = mailhost.check_output("systemctl show -p MainPID --value egress-oauth2-proxy")
    mailhost.check_output("kill -9 %s" % pid)

    def restarted():
        new = mailhost.check_output("systemctl show -p MainPID --value egress-oauth2-proxy")
        return new not in ("0", pid) and listening(mailhost)()

    assert wait_until(restarted, 30), "systemd did not restart the proxy"


def test_refused_secret_fails_the_play_and_mail_waits(mailhost, smarthost):
    # The provider rotates the secret (an Entra secret expires): the proxy's token runs out,
    # new ones are refused, mail waits; the play fails with the endpoint's error; the new
    # secret delivers the waiting mail once.
    set_fixture_secret(smarthost, ROTATED)
    try:
        wait_for_token_expiry(smarthost)
        msgid = send(mailhost, "refused-secret")
        queue = wait_deferred_queue(mailhost, 1, 90)
        assert len(queue) == 1, queue
        reason = queue[0]["recipients"][0].get("delay_reason", "")
        assert "535" in reason or "uthentication" in reason, reason
        assert msgid not in message_ids(smarthost)

        code, out = converge()
        assert code != 0
        assert "invalid_client" in out and "FIXTURE7000215" in out, out[-3000:]
        assert SECRET not in out and ROTATED not in out

        code, out = converge("-vvv", "-e", "postfix_relay_oauth2_client_secret=%s" % ROTATED)
        assert code == 0, out[-3000:]
        assert ROTATED not in out and SECRET not in out, "a secret is in the -vvv output"
        assert flush_and_wait(mailhost, smarthost, msgid), "waiting message did not arrive with the new secret"
        assert message_ids(smarthost).count(msgid) == 1
    finally:
        set_fixture_secret(smarthost, SECRET)


def test_check_diff_and_journal_and_files_hold_no_secret(mailhost):
    code, out = converge("--check", "--diff")
    assert code == 0, out[-3000:]
    assert SECRET not in out
    journal = mailhost.check_output("journalctl -q --no-pager -o cat")
    assert SECRET not in journal and ROTATED not in journal
    hits = mailhost.run(
        "grep -rlF -e %s -e %s /etc /var /root /tmp /usr/local /run /home /srv /opt"
        % (shell_quote(SECRET), shell_quote(ROTATED))
    ).stdout.split()
    assert hits == [PROXY_CONFIG], hits


def test_converge_records_in_the_usual_format(smarthost):
    rec = records(smarthost, TAG)
    assert rec and all(r["auth_user"] == MAILBOX and r["port"] == 1588 and r["message_id"] for r in rec)
