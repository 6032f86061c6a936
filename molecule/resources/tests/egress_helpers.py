"""Helpers shared by the scenarios' testinfra tests (imported through each tests/conftest.py)."""

import json
import time

import testinfra


def container(name):
    """A testinfra host for a container of the scenario (podman backend: fast, no Ansible)."""
    return testinfra.get_host("podman://%s" % name)


def records(smarthost, subject=None):
    """What the smarthost fixture accepted, optionally only messages whose Subject matches."""
    cmd = "egress-fixture-records"
    if subject:
        cmd += " --subject %s" % shell_quote(subject)
    out = smarthost.check_output(cmd)
    return json.loads(out)


def wait_for_records(smarthost, subject, count=1, timeout=60, interval=1):
    """Wait until `count` messages matching `subject` arrived; return them (maybe fewer). The
    records are read once more when the monotonic deadline has passed."""
    deadline = time.monotonic() + timeout
    while True:
        found = records(smarthost, subject)
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(interval)


def submit(client, password=None, **kwargs):
    """Run egress-submit on `client`; returns its JSON answer. Password goes through a 0600 file."""
    args = []
    if password is not None:
        pwfile = "/root/.egress-submit-pw"
        client.run("umask 077; printf '%%s' %s > %s" % (shell_quote(password), pwfile))
        args += ["--password-file", pwfile]
    for key, value in kwargs.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    result = client.run("egress-submit " + " ".join(shell_quote(a) for a in args))
    return json.loads(result.stdout)


def postconf(host, flag="-n"):
    """Postfix parameters as a dict: `postconf -n` (set in main.cf) or `postconf` (effective)."""
    out = host.check_output("postconf %s" % flag if flag else "postconf")
    pairs = (line.partition(" =") for line in out.splitlines())
    return dict((name.strip(), value.strip()) for name, dummy, value in pairs)


def shell_quote(value):
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def wait_until(predicate, timeout, interval=1):
    """Call predicate() until it returns something truthy (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def mail_queue(host):
    """The Postfix queue of host as a list of dicts (`postqueue -j`: queue_name, queue_id,
    recipients with delay_reason, ...). Raises when Postfix cannot be asked (not running)."""
    out = host.check_output("postqueue -j")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_deferred_queue(host, count, timeout):
    """Wait until at least `count` messages are in host's queue and all of them are deferred
    (tried and refused, not still active); return the queue as it then is, or as it is when
    timeout seconds have passed."""

    def settled():
        queue = mail_queue(host)
        if len(queue) >= count and all(m["queue_name"] == "deferred" for m in queue):
            return queue
        return None

    return wait_until(settled, timeout) or mail_queue(host)


def message_ids(smarthost):
    """Message-ID of every message the smarthost fixture accepted (with angle brackets), one
    entry per stored message: an ID that arrived twice is listed twice."""
    out = smarthost.check_output("egress-fixture-records --field message_id")
    return out.splitlines()


def journal_lines(host, since, unit=None, identifier=None):
    """Journal lines (short format) logged on host since the epoch second `since`, optionally
    only those of a systemd unit (`postfix@-`) or a syslog identifier (`postfix/smtp`)."""
    cmd = "journalctl --no-pager -q -o short --since @%d" % int(since)
    if unit:
        cmd += " -u %s" % shell_quote(unit)
    if identifier:
        cmd += " -t %s" % shell_quote(identifier)
    return host.check_output(cmd).splitlines()
