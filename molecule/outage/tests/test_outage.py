"""Outage, nothing lost, nothing doubled.

The smarthost's Postfix is stopped; 1,000 messages (each with its own Message-ID and subject
tag) are sent through the mail host in one SMTP session to 127.0.0.1:25. They must all wait
in the mail host's queue, deferred with the reason (connection refused) in the queue and in
the mail log, and none may reach the smarthost. The smarthost is started again and the queue
flushed: within a bounded time exactly 1,000 distinct messages must arrive, none twice, none
foreign, and both queues must be empty afterwards.

The figures (sent / queued / arrived / duplicated) and timings are printed (molecule shows
them with the verifier's output) and written to outage-figures.json in the scenario's
ephemeral directory.
"""

import collections
import json
import os
import time
import uuid

import pytest

from egress_helpers import journal_lines, mail_queue, message_ids, records, shell_quote, wait_deferred_queue, wait_until

MAILHOST = "outage-mailhost"
SMARTHOST = "outage-smarthost"
COUNT = 1000
QUEUE_TIMEOUT = 120  # seconds for the 1,000 messages to be deferred while the smarthost is down
ARRIVAL_TIMEOUT = 180  # seconds for the 1,000 messages to arrive once it is back
TAG = "outage-%s" % uuid.uuid4().hex[:8]

# Runs on the mail host: one SMTP session to the local Postfix, COUNT messages, each with its
# own Message-ID <TAG.NNNN@outage.test> and subject "TAG NNNN". Prints what happened as JSON.
INJECT = r"""
import json, smtplib, sys, time
tag, count = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
accepted, refused = 0, []
smtp = smtplib.SMTP("127.0.0.1", 25, timeout=60)
smtp.ehlo("outage-injector.test")
for i in range(count):
    msg = ("From: <app@outage.test>\r\nTo: <rcpt@example.test>\r\nSubject: %s %04d\r\n"
           "Message-ID: <%s.%04d@outage.test>\r\nDate: %s\r\n\r\nmessage %d of %d\r\n"
           % (tag, i, tag, i, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
              i + 1, count))
    try:
        smtp.sendmail("app@outage.test", ["rcpt@example.test"], msg)
        accepted += 1
    except smtplib.SMTPException as exc:
        refused.append([i, str(exc)])
smtp.quit()
print(json.dumps({"accepted": accepted, "refused": refused[:5],
                  "seconds": round(time.monotonic() - start, 3)}))
"""

FIGURES = {"count": COUNT, "tag": TAG}


def expected_ids():
    return set("<%s.%04d@outage.test>" % (TAG, i) for i in range(COUNT))


def report():
    text = json.dumps(FIGURES, indent=1, sort_keys=True)
    print("\n== outage figures ==\n" + text)
    directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if directory:
        with open(os.path.join(directory, "outage-figures.json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


@pytest.fixture(scope="module")
def outage(mailhost, smarthost):
    """Smarthost down, 1,000 messages sent, the mail host's queue once it has settled."""
    assert mailhost.service("postfix").is_running
    assert mail_queue(mailhost) == [], "the mail host's queue is not empty before the test"
    before = collections.Counter(message_ids(smarthost))
    since = int(smarthost.check_output("date +%s"))
    smarthost.run_test("systemctl stop postfix")
    assert smarthost.run("postfix status").rc != 0, "the smarthost's Postfix did not stop"

    started = time.monotonic()
    out = mailhost.check_output("python3 -c %s %s %d" % (shell_quote(INJECT), TAG, COUNT))
    injected = json.loads(out)
    FIGURES["sent"] = injected["accepted"]
    FIGURES["inject_seconds"] = injected["seconds"]

    queue = wait_deferred_queue(mailhost, COUNT, QUEUE_TIMEOUT)
    FIGURES["queued_deferred_seconds"] = round(time.monotonic() - started, 1)
    FIGURES["queued"] = len(queue)
    FIGURES["queued_deferred"] = sum(1 for m in queue if m["queue_name"] == "deferred")
    arrived_while_down = [i for i in message_ids(smarthost) if i.startswith("<%s." % TAG)]
    FIGURES["arrived_while_down"] = len(arrived_while_down)
    log = journal_lines(mailhost, since, unit="postfix@-")
    return {
        "injected": injected,
        "queue": queue,
        "before": before,
        "log": log,
        "arrived_while_down": arrived_while_down,
    }


@pytest.fixture(scope="module")
def recovery(outage, mailhost, smarthost):
    """Smarthost started again, queue flushed; what arrived, counted by Message-ID."""
    started = time.monotonic()
    smarthost.run_test("systemctl start postfix")
    wait_until(lambda: smarthost.run("postfix status").rc == 0, 30)
    mailhost.run_test("postqueue -f")
    ids = expected_ids()

    def all_arrived():
        found = [i for i in message_ids(smarthost) if i in ids]
        return found if len(set(found)) >= COUNT else None

    wait_until(all_arrived, ARRIVAL_TIMEOUT, interval=2)
    FIGURES["arrival_seconds"] = round(time.monotonic() - started, 1)
    # The final count waits for both queues to drain, the mail host's first: once it is empty
    # nothing more is sent, and once the smarthost's is empty after that, everything it
    # accepted is delivered, so a late duplicate would be counted too.
    drained = wait_until(lambda: mail_queue(mailhost) == [] and mail_queue(smarthost) == [], 60)
    FIGURES["drained"] = bool(drained)
    timer = time.monotonic()
    counted = collections.Counter(message_ids(smarthost)) - outage["before"]
    evidence = list(records(smarthost, "^%s [0-9]{4}$" % TAG))
    FIGURES["records_seconds"] = round(time.monotonic() - timer, 2)
    ours = dict((i, n) for i, n in counted.items() if i in ids)
    FIGURES["arrived"] = len(ours)
    FIGURES["duplicated"] = sum(n - 1 for n in ours.values() if n > 1)
    FIGURES["foreign"] = sum(n for i, n in counted.items() if i not in ids)
    FIGURES["left_in_queue"] = len(mail_queue(mailhost))
    FIGURES["left_in_smarthost_queue"] = len(mail_queue(smarthost))
    report()
    return {"counted": counted, "ours": ours, "drained": drained, "evidence": evidence}


def test_every_message_was_accepted_by_the_mail_host(outage):
    assert outage["injected"]["accepted"] == COUNT, outage["injected"]
    assert outage["injected"]["refused"] == []


def test_all_wait_in_the_queue_deferred(outage):
    queue = outage["queue"]
    assert len(queue) == COUNT, "%d messages in the queue, expected %d" % (len(queue), COUNT)
    states = collections.Counter(m["queue_name"] for m in queue)
    assert states == {"deferred": COUNT}, states


def test_the_queue_says_connection_refused(outage):
    reasons = collections.Counter(r.get("delay_reason", "") for m in outage["queue"] for r in m["recipients"])
    assert sum(reasons.values()) == COUNT, reasons
    assert all("Connection refused" in reason and ":587" in reason for reason in reasons), reasons


def test_the_mail_log_says_connection_refused(outage):
    lines = outage["log"]
    assert any(
        "connect to %s[" % SMARTHOST in line and "]:587: Connection refused" in line
        for line in lines
        if "postfix/smtp[" in line
    ), lines[-20:]
    # "<date> <host> postfix/error[pid]: QUEUEID: to=<...>, ..., status=deferred (reason)"
    deferred = set(
        line.split("]: ", 1)[-1].split(":", 1)[0]
        for line in lines
        if "status=deferred" in line and "Connection refused" in line
    )
    assert len(deferred) >= COUNT, "%d deferrals logged, expected %d" % (len(deferred), COUNT)
    queued = set(m["queue_id"] for m in outage["queue"])
    assert queued <= deferred, "%d queued messages without a logged deferral" % len(queued - deferred)
    for status in ("status=sent", "status=bounced", "status=expired", "returned to sender"):
        assert not any(status in line for line in lines), status


def test_nothing_arrived_while_the_smarthost_was_down(outage):
    assert outage["arrived_while_down"] == []


def test_every_message_arrived_after_the_outage(recovery):
    missing = expected_ids() - set(recovery["ours"])
    assert not missing, "%d messages lost, e.g. %s" % (len(missing), sorted(missing)[:3])
    assert len(recovery["ours"]) == COUNT


def test_no_message_arrived_twice(recovery):
    doubled = dict((i, n) for i, n in recovery["ours"].items() if n > 1)
    assert not doubled, "%d messages arrived more than once, e.g. %s" % (len(doubled), sorted(doubled.items())[:3])
    foreign = [i for i in recovery["counted"] if i not in recovery["ours"]]
    assert not foreign, "unexpected messages arrived: %s" % foreign[:3]


def test_every_message_arrived_over_tls_as_the_relay_user(recovery):
    """The evidence of each of the 1,000 records: port, TLS, authenticated user, envelope."""
    evidence = recovery["evidence"]
    assert sorted(r["message_id"] for r in evidence) == sorted(expected_ids()), len(evidence)
    wrong = [
        r
        for r in evidence
        if not (
            r["port"] == 587
            and r["auth_user"] == "relayuser"
            and r["protocol"] == "ESMTPSA"
            and r["tls_version"] in ("TLSv1.2", "TLSv1.3")
            and r["tls_cipher"]
            and r["sender"] == "app@outage.test"
            and r["recipient"] == "rcpt@example.test"
        )
    ]
    assert not wrong, "%d of %d without the evidence, e.g. %s" % (len(wrong), len(evidence), wrong[:2])


def test_both_queues_are_empty_afterwards(recovery, mailhost, smarthost):
    assert recovery["drained"], "the queues did not drain within 60 s"
    assert mail_queue(mailhost) == []
    assert mail_queue(smarthost) == []
