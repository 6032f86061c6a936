"""Item 6: nobody relays for an outsider.

The mail host runs postfix_relay with inet_interfaces: all, so Postfix answers on port 25 of
every interface. From sec-outsider, every TCP port the mail host listens on (`ss -ltn`) is
asked to relay to an outside address (but sshd's: the test harness reaches its hosts over SSH,
molecule/resources/create.yml; it is not a port the role opened), in plain text and after STARTTLS, with the classic relay
tricks (a local sender, percent hack, source route, quoted local part, bang path, trailing
dot). Every attempt must be refused, and nothing may reach the smarthost or wait in the mail
host's queue: a marker message sent the legitimate way after the attempts must have arrived,
and the queue be empty, before the smarthost's records are searched.
PowerMTA: no licensed binary runs here, so nothing can be relayed through it and no SMTP test
would prove anything ("connection refused" from a host without the daemon is no proof). What is
proven is the written configuration, parsed: its listener is loopback only and everyone else
meets a catch-all source that refuses service (the listener/source rule itself is unit-tested
with pmta_config).
"""

import json
import uuid

import pytest

from egress_helpers import container, records, submit, wait_until
from sec_helpers import MAILHOST, OUTSIDER, PMTA, SMARTHOST, adhoc, shell_quote

RUN = uuid.uuid4().hex[:8]
ATTEMPTS = [
    ("spam@outsider.test", "victim@example.test"),
    ("root@sec-mailhost", "victim@example.test"),
    ("spam@outsider.test", "victim%example.test@sec-mailhost"),
    ("spam@outsider.test", "@sec-mailhost:victim@example.test"),
    ("spam@outsider.test", '"victim@example.test"@sec-mailhost'),
    ("spam@outsider.test", "example.test!victim@sec-mailhost"),
    ("spam@outsider.test", "victim@example.test."),
]


def listening(host):
    """Sorted (address, port) of every listening TCP socket of host but the harness's sshd."""
    sockets = set()
    for line in host.check_output("ss -ltnpH").splitlines():
        if '(("sshd",' in line:
            continue
        address, port = line.split()[3].rsplit(":", 1)
        sockets.add((address, int(port)))
    return sorted(sockets)


def test_only_sshd_is_left_out():
    """The sshd exception is narrow: one process, port 22, and nothing else is skipped."""
    skipped = [line for line in container(MAILHOST).check_output("ss -ltnpH").splitlines() if '(("sshd",' in line]
    assert skipped and all(line.split()[3].rsplit(":", 1)[1] == "22" for line in skipped), skipped


def _try_to_relay(outsider, target, ports):
    outcomes = []
    for port in ports:
        for tls in ("none", "starttls"):
            for index, (sender, rcpt) in enumerate(ATTEMPTS):
                subject = "sec-openrelay-%s-%s-%d-%s-%d" % (RUN, target, port, tls, index)
                answer = submit(
                    outsider, host=target, port=port, tls=tls, sender=sender, rcpt=rcpt, subject=subject, timeout=5
                )
                outcomes.append((port, tls, sender, rcpt, answer))
    return outcomes


def _refused(answer):
    """A relay attempt counts as refused when the connection is refused or the server answers
    Relay access denied; anything else (accepted, another error) fails the test."""
    if answer.get("accepted"):
        return False
    if answer["step"] == "connect" and answer["code"] is None:
        return "refused" in answer["reply"].lower()
    return answer["code"] == 554 and "Relay access denied" in answer["reply"]


@pytest.fixture(scope="module")
def mailhost_attempts():
    mailhost = container(MAILHOST)
    ports = sorted(set(port for dummy, port in listening(mailhost)))
    return ports, _try_to_relay(container(OUTSIDER), MAILHOST, ports)


def test_mailhost_listens_on_25_for_everyone():
    sockets = listening(container(MAILHOST))
    assert ("0.0.0.0", 25) in sockets, sockets


def test_outsider_cannot_relay_through_any_listening_port(mailhost_attempts):
    ports, outcomes = mailhost_attempts
    assert 25 in ports
    assert len(outcomes) == len(ports) * 2 * len(ATTEMPTS)
    not_refused = [o for o in outcomes if not _refused(o[4])]
    assert not_refused == [], json.dumps(not_refused, indent=1)
    # Port 25 is open to the outsider: the refusal is Postfix's, not the network's.
    assert all(o[4]["code"] == 554 for o in outcomes if o[0] == 25)


def _queue_empty(host):
    return host.check_output("postqueue -j").strip() == ""


def test_nothing_relayed_reaches_the_smarthost_or_the_queue(mailhost_attempts):
    smarthost, mailhost = container(SMARTHOST), container(MAILHOST)
    # The path to the smarthost works (converge sent a test message through it) ...
    assert records(smarthost, "egress.mail relay test from %s" % MAILHOST)
    # ... and a marker sent the legitimate way after the attempts gets there: once it has
    # arrived and the queue is empty, the mail host has handled everything it took in.
    marker = "sec-marker-%s" % RUN
    mailhost.check_output(
        "printf 'Subject: %%s\\n\\nmarker\\n' %s | /usr/sbin/sendmail -f root@%s %s"
        % (shell_quote(marker), MAILHOST, "converge-test@example.test")
    )
    arrived = wait_until(lambda: records(smarthost, marker) and _queue_empty(mailhost), timeout=60)
    assert arrived, "the marker did not arrive within 60 s, or the queue is not empty: %s" % (
        mailhost.check_output("postqueue -j")
    )
    # ... but no relay attempt went that way, or waits to.
    assert records(smarthost, "sec-openrelay-%s" % RUN) == []
    queue = mailhost.check_output("postqueue -j")
    assert "example.test" not in queue and "sec-openrelay" not in queue, queue


def _pmta_summary():
    run = adhoc(
        PMTA,
        "egress.mail.pmta_config",
        "path=/etc/pmta/config relay_policy=true",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
    )
    assert run.returncode == 0, run.output[-2000:]
    report = json.loads(run.stdout[run.stdout.find("{") :])
    [result] = [task["hosts"][PMTA] for play in report["plays"] for task in play["tasks"]]
    assert result["valid"], result["errors"]
    return result["summary"]


def test_powermta_listener_is_loopback_only_and_strangers_get_no_service():
    summary = _pmta_summary()
    assert summary["listeners"] == ["127.0.0.1:25"], summary["listeners"]
    assert summary["listener_details"] and all(d["loopback"] for d in summary["listener_details"])
    sources = dict((s["match"], s) for s in summary["sources"])
    assert sources["0/0"]["smtp_service"] is False, sources
    relaying = [m for m, s in sources.items() if s.get("always_allow_relaying") and not s.get("require_auth")]
    assert relaying == ["127.0.0.1"], sources
    assert summary["route"]["host"] == "sec-smarthost" and summary["starttls"] == {"use": True, "require": True}
