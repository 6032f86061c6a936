"""No clear text, no unverified peer, bad credentials.

Each test re-applies the role with one broken setting (as a user would: ansible-playbook with
-e overrides on the scenario's converge.yml, the test message on), checks that the play fails
with the real reason, that nothing reaches the smarthost and that the messages wait in the
mail host's queue, deferred with that reason (queue and mail log); then re-applies the good
settings, flushes the queue and checks that every waiting message arrives exactly once, over
TLS as the relay user.
"""

import json
import uuid

import pytest

from egress_ansible import playbook
from egress_helpers import journal_lines, mail_queue, message_ids, postconf, wait_deferred_queue, wait_until

MAILHOST = "tlsfail-mailhost"
SMARTHOST = "tlsfail-smarthost"
ALIAS = "other-name"  # a network alias of the smarthost its certificate does not name
FIXTURE_CA = "/etc/ssl/egress-fixture-ca.pem"
OTHER_CA = "/etc/ssl/egress-other-ca.pem"
PASSWORD = "p:a ss#w0rd$%"
WRONG_PASSWORD = "wr0ng pass:word#"
TEST_RECIPIENT = "tls-failures@example.test"
# The good settings the tests go back to: `verify` against the fixture's CA, by its real name.
GOOD = {"postfix_relay_tls_security_level": "verify", "postfix_relay_tls_ca_file": FIXTURE_CA}
TLS_NOT_OFFERED = "TLS is required, but was not offered by host %s[" % SMARTHOST
NOT_VERIFIED = "Server certificate not verified"
AUTH_535 = "535 5.7.8 Error: authentication failed"


class Run(object):
    """One ansible-playbook run of converge.yml, with the result of the test message task."""

    def __init__(self, extra):
        run = playbook(
            "converge.yml",
            json=True,
            extra_vars=dict(extra, postfix_relay_test_recipient=TEST_RECIPIENT),
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        )
        self.rc = run.returncode
        self.output = run.output
        self.test_message = None
        self.release = None
        try:
            plays = json.loads(run.stdout)["plays"]
        except ValueError:
            return
        for task in plays[0]["tasks"]:
            if "Send the test message" in task["task"]["name"]:
                self.test_message = task["hosts"].get(MAILHOST)
            if "Release the deferred mail" in task["task"]["name"]:
                self.release = task["hosts"].get(MAILHOST)

    def tail(self):
        return self.output[-3000:]


def send(mailhost, tag):
    """A message sent with sendmail on the mail host; returns its Message-ID (with brackets)."""
    message_id = "<tlsfail-%s-%s@tlsfail.test>" % (tag, uuid.uuid4().hex[:10])
    mailhost.run_test(
        "printf 'Subject: tlsfail %s\\nMessage-ID: %s\\nFrom: app@tlsfail.test\\n\\nhi\\n'"
        " | /usr/sbin/sendmail -i -f app@tlsfail.test -- rcpt@example.test" % (tag, message_id)
    )
    return message_id


def fixture_log_mark(smarthost):
    return int(smarthost.check_output("wc -l < /var/log/mail.log"))


def fixture_log_since(smarthost, mark, port):
    """The smarthost's mail log lines for one listener (postfix/portNNN/...) after `mark`."""
    out = smarthost.check_output("tail -n +%d /var/log/mail.log" % (mark + 1))
    return [line for line in out.splitlines() if "postfix/port%d/" % port in line]


def mailhost_ip(mailhost):
    return mailhost.check_output("hostname -I").split()[0]


def wait_deferred(mailhost, count, reason, timeout=60):
    """Wait until `count` messages wait in the queue, deferred; assert their reason."""
    queue = wait_deferred_queue(mailhost, count, timeout)
    assert len(queue) == count, queue
    assert all(m["queue_name"] == "deferred" for m in queue), queue
    reasons = [r.get("delay_reason", "") for m in queue for r in m["recipients"]]
    assert reasons and all(reason in text for text in reasons), reasons
    return queue


def assert_failed_with(run, reason):
    """The play failed at the test message, with the relay's reason, not a generic error."""
    assert run.rc != 0, run.tail()
    result = run.test_message
    assert result is not None and result.get("failed"), run.tail()
    assert result["status"] == "deferred", result
    assert reason in result["reply"], result
    assert result["msg"].startswith("test message to %s was not accepted by the relay: deferred: " % TEST_RECIPIENT), (
        result
    )
    assert reason in result["msg"], result
    for secret in (PASSWORD, WRONG_PASSWORD):
        assert secret not in run.output
    return "<%s>" % result["message_id"]


def assert_nothing_arrived(smarthost, waiting_ids):
    arrived = set(message_ids(smarthost)) & set(waiting_ids)
    assert not arrived, "sent although the settings were wrong: %s" % sorted(arrived)


def fix_and_drain(mailhost, smarthost, waiting_ids):
    """Re-apply the good settings, flush, and check every waiting message arrives exactly once."""
    run = Run(GOOD)
    assert run.rc == 0, run.tail()
    assert run.test_message["status"] == "sent", run.test_message
    expected = set(waiting_ids) | {"<%s>" % run.test_message["message_id"]}
    mailhost.run_test("postqueue -f")
    assert wait_until(lambda: mail_queue(mailhost) == [], 90), mail_queue(mailhost)
    assert wait_until(lambda: mail_queue(smarthost) == [], 30), mail_queue(smarthost)
    ids = message_ids(smarthost)
    counts = dict((i, ids.count(i)) for i in expected)
    assert counts == dict((i, 1) for i in expected), "not exactly once: %s" % counts
    records = json.loads(smarthost.check_output("egress-fixture-records"))
    for record in records:
        if record["message_id"] in expected:
            assert record["port"] == 587 and record["auth_user"] == "relayuser", record
            assert record["tls_version"] in ("TLSv1.2", "TLSv1.3"), record


@pytest.fixture()
def clean_queue(mailhost):
    """An empty queue, whichever test ran before (what an earlier failed test left waiting is
    deleted). The settings need no reset: each Run applies the whole role with its overrides."""
    if mail_queue(mailhost):
        mailhost.run_test("postsuper -d ALL")
    assert mail_queue(mailhost) == [], "the mail host's queue is not empty before the test"


def test_no_starttls_means_nothing_leaves_in_clear(clean_queue, mailhost, smarthost):
    """A smarthost that offers no STARTTLS (fixture port 2500), role default TLS level."""
    mark = fixture_log_mark(smarthost)
    since = int(mailhost.check_output("date +%s"))
    run = Run({"postfix_relay_port": 2500})
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[%s]:2500" % SMARTHOST
    assert conf["smtp_tls_security_level"] == "encrypt"  # the role's default
    waiting = [assert_failed_with(run, TLS_NOT_OFFERED), send(mailhost, "nostarttls")]
    wait_deferred(mailhost, 2, "TLS is required, but was not offered by host")
    log = journal_lines(mailhost, since, identifier="postfix/smtp")
    assert any(TLS_NOT_OFFERED in line and "status=deferred" in line for line in log), log
    assert_nothing_arrived(smarthost, waiting)
    # The smarthost saw the mail host connect and leave after EHLO: no AUTH, no MAIL, no data.
    port_log = fixture_log_since(smarthost, mark, 2500)
    ip = mailhost_ip(mailhost)
    assert any("connect from" in line and "[%s]" % ip in line for line in port_log), port_log
    disconnects = [line for line in port_log if "disconnect from" in line and "[%s]" % ip in line]
    assert disconnects, port_log
    for line in disconnects:
        commands = line.rsplit("]", 1)[1].split()
        assert set(c.split("=")[0] for c in commands) <= {"ehlo", "quit", "commands"}, line
    for word in ("client=", "sasl_method", "sasl_username", "auth=", "mail=", "rcpt=", "data="):
        assert not any(word in line for line in port_log), (word, port_log)
    fix_and_drain(mailhost, smarthost, waiting)


def test_verify_refuses_unverified_smarthosts(clean_queue, mailhost, smarthost):
    """`verify`: a certificate from another CA, then a name the certificate does not carry."""
    mark = fixture_log_mark(smarthost)
    since = int(mailhost.check_output("date +%s"))
    ip = mailhost_ip(mailhost)

    # 1. The mail host trusts another CA only.
    run = Run(dict(GOOD, postfix_relay_tls_ca_file=OTHER_CA))
    conf = postconf(mailhost)
    assert conf["smtp_tls_security_level"] == "verify" and conf["smtp_tls_CAfile"] == OTHER_CA
    waiting = [assert_failed_with(run, NOT_VERIFIED), send(mailhost, "otherca")]
    wait_deferred(mailhost, 2, NOT_VERIFIED)
    # TLS is set up (by tlsproxy, smtp_tls_connection_reuse) but the issuer is not trusted.
    log = journal_lines(mailhost, since, unit="postfix@-")
    assert any(
        "certificate verification failed for %s[" % SMARTHOST in line
        and "untrusted issuer /CN=egress.mail test CA" in line
        for line in log
    ), log
    assert any("Untrusted TLS connection established to %s[" % SMARTHOST in line for line in log), log
    assert not any("Verified TLS connection" in line for line in log), log
    assert_nothing_arrived(smarthost, waiting)

    # 2. The right CA, but the smarthost is reached by a name its certificate does not carry.
    since = int(mailhost.check_output("date +%s"))
    run = Run(dict(GOOD, postfix_relay_host=ALIAS))
    assert postconf(mailhost)["relayhost"] == "[%s]:587" % ALIAS
    # The two waiting messages were released through the new (still unverified) route, both were
    # tried again and deferred once more, and that ended the release's wait before its 20 s.
    release = run.release
    assert release is not None and release["flushed"] and release["released"] == 2, run.tail()
    assert (release["retried"], release["left"], release["total"]) == (2, 0, 2), release
    assert release["waited"] < 20, release
    print("release through the still-broken route: 2 retried, waited %.1f s of 20" % release["waited"])
    waiting += [assert_failed_with(run, NOT_VERIFIED), send(mailhost, "othername")]
    wait_deferred(mailhost, 4, NOT_VERIFIED)
    log = journal_lines(mailhost, since, unit="postfix@-")
    assert any(
        "certificate verification failed for %s[" % ALIAS in line and "hostname mismatch" in line for line in log
    ), log
    assert not any("Verified TLS connection" in line for line in log), log
    assert_nothing_arrived(smarthost, waiting)

    # The password never went to the unverified peer: no AUTH on the smarthost's 587 from the
    # mail host, although it connected and started TLS.
    port_log = fixture_log_since(smarthost, mark, 587)
    assert any("connect from" in line and "[%s]" % ip in line for line in port_log), port_log
    for word in ("sasl_method", "sasl_username", "auth=", "mail="):
        assert not any(word in line for line in port_log), (word, port_log)
    fix_and_drain(mailhost, smarthost, waiting)


def test_wrong_password_keeps_mail_queued(clean_queue, mailhost, smarthost):
    mark = fixture_log_mark(smarthost)
    since = int(mailhost.check_output("date +%s"))
    run = Run(dict(GOOD, postfix_relay_password=WRONG_PASSWORD))
    waiting = [assert_failed_with(run, AUTH_535), send(mailhost, "badpassword")]
    assert "SASL authentication failed; server %s[" % SMARTHOST in run.test_message["reply"]
    wait_deferred(mailhost, 2, AUTH_535)
    log = journal_lines(mailhost, since, identifier="postfix/smtp")
    assert any("SASL authentication failed" in line and AUTH_535 in line for line in log), log
    assert_nothing_arrived(smarthost, waiting)
    # The smarthost refused the credentials itself.
    port_log = fixture_log_since(smarthost, mark, 587)
    assert any(
        "SASL PLAIN authentication failed" in line or "SASL LOGIN authentication failed" in line for line in port_log
    ), port_log
    fix_and_drain(mailhost, smarthost, waiting)
