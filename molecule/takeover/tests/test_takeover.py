"""Taking over a host's mail: nothing lost, nothing doubled, nobody flushing by hand.

Every message queued in prepare (20 deferred in Postfix, 10 in exim4, 10 in nullmailer; every
fifth with a second recipient) must have reached the fixture exactly once per recipient over
TLS with AUTH on 587, with its envelope sender, recipient and Message-ID, within 30 s of the
end of the first converge; the frozen exim4 message must be kept, not sent; the old spools
must be empty and Postfix must own sendmail, mailq and newaliases.
"""

import collections
import json
import os

import pytest

from egress_helpers import container, mail_queue, records, wait_until

SMARTHOST = "takeover-smarthost"
HOSTS = {"takeover-postfix": 20, "takeover-exim": 10, "takeover-nullmailer": 10}
ARRIVAL_BUDGET = 30  # seconds after the converge
FIGURES = {}


def expected():
    """(Message-ID, envelope sender, recipient) of every delivery the fixture must record once."""
    want = set()
    for tag, count in HOSTS.items():
        for i in range(count):
            for rcpt in ["rcpt-%d@example.test" % i] + (["cc-%d@example.test" % i] if i % 5 == 0 else []):
                want.add(("<%s.%d@takeover.test>" % (tag, i), "%s-app@takeover.test" % tag, rcpt))
    return want


def converge_time(which):
    directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
    name = "takeover-converge.json" if which == "start" else "takeover-converge-end.json"
    with open(os.path.join(directory, name), encoding="utf-8") as handle:
        return json.load(handle)[which]


@pytest.fixture(scope="module")
def smarthost():
    return container(SMARTHOST)


@pytest.fixture(scope="module")
def arrived(smarthost):
    want = expected()

    def ours():
        found = [r for r in records(smarthost, r"^takeover-") if r["message_id"].startswith("<takeover-")]
        return found if set((r["message_id"], r["sender"], r["recipient"]) for r in found) >= want else None

    found = wait_until(ours, ARRIVAL_BUDGET, interval=2) or records(smarthost, r"^takeover-")
    mtimes = smarthost.check_output("stat -c '%%n %%Y' %s" % " ".join(r["file"] for r in found)) if found else ""
    arrival = dict(line.rsplit(" ", 1) for line in mtimes.splitlines())
    for record in found:
        record["arrival"] = int(arrival[record["file"]])
    start, end = converge_time("start"), converge_time("end")
    FIGURES["deliveries"] = len(found)
    FIGURES["expected"] = len(want)
    FIGURES["converge_s"] = end - start
    if found:
        FIGURES["last_arrival_after_converge_start_s"] = max(r["arrival"] for r in found) - start
        FIGURES["last_arrival_after_converge_end_s"] = max(r["arrival"] for r in found) - end
    print("\n== takeover figures ==\n" + json.dumps(FIGURES, indent=1, sort_keys=True))
    return found


def test_every_message_arrived_exactly_once(arrived):
    counted = collections.Counter((r["message_id"], r["sender"], r["recipient"]) for r in arrived)
    missing = expected() - set(counted)
    assert not missing, "%d deliveries missing, e.g. %s" % (len(missing), sorted(missing)[:3])
    doubled = [k for k, n in counted.items() if n > 1]
    assert not doubled, "arrived twice: %s" % doubled[:3]
    assert set(counted) == expected(), "foreign: %s" % sorted(set(counted) - expected())[:3]


def test_over_tls_with_auth_on_587(arrived):
    wrong = [
        r
        for r in arrived
        if not (
            r["port"] == 587
            and r["auth_user"] == "relayuser"
            and r["protocol"] == "ESMTPSA"
            and r["tls_version"] in ("TLSv1.2", "TLSv1.3")
        )
    ]
    assert not wrong, wrong[:2]


def test_within_30_seconds_of_the_converge(arrived):
    """No message may arrive later than 30 s after the first converge ended (nobody flushed by
    hand: the role released the queue)."""
    end = converge_time("end")
    late = [r["message_id"] for r in arrived if r["arrival"] > end + ARRIVAL_BUDGET]
    assert not late, "%d arrived more than %d s after the converge: %s" % (len(late), ARRIVAL_BUDGET, late[:3])


def test_the_frozen_exim_message_was_kept_not_sent(arrived):
    exim = container("takeover-exim")
    kept = exim.check_output("ls /var/spool/egress-mail-unmovable/exim4").split()
    assert len([n for n in kept if n.endswith("-H")]) == 1, kept
    header = [n for n in kept if n.endswith("-H")][0]
    assert "<frozen@takeover.test>" in exim.check_output("sed -n 3p /var/spool/egress-mail-unmovable/exim4/%s" % header)
    assert not [r for r in arrived if r["message_id"] == "<takeover-exim.frozen@takeover.test>"]


@pytest.mark.parametrize(
    "host, spool", [("takeover-exim", "/var/spool/exim4/input"), ("takeover-nullmailer", "/var/spool/nullmailer/queue")]
)
def test_old_spools_are_empty(arrived, host, spool):
    assert container(host).check_output("find %s -type f | wc -l" % spool).strip() == "0"


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_postfix_queues_are_empty(arrived, host):
    assert wait_until(lambda: mail_queue(container(host)) == [], 20) is not None


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_postfix_owns_sendmail_mailq_newaliases_and_no_other_mta_runs(host):
    node = container(host)
    for path in ("/usr/sbin/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases"):
        real = node.check_output("readlink -f %s" % path)
        assert node.check_output("dpkg-query -S %s" % real).startswith("postfix:"), path
    for service in ("exim4", "nullmailer"):
        assert node.run("systemctl is-enabled %s" % service).stdout.strip() not in ("enabled", "enabled-runtime")
        assert node.run("systemctl is-active %s" % service).stdout.strip() != "active"
