"""465 without saying wrappermode, sender-dependent relays, root forwarding, sender rewriting;
bad input refused before anything changes, on the converged host and on a host where the role
never ran; a configuration Postfix refuses checked on a staged copy and never live; a reload
that did not complete retried on the next run; credentials removed cleanly.

Tests that change the mail host's configuration put it back (converge.yml) before they end,
so the tests pass in any order."""
import time
import uuid

import pytest

from egress_ansible import playbook as run_playbook, recap as play_recap
from egress_helpers import container, postconf, records

MAILHOST = "options-mailhost"
FRESH = "options-fresh"
SMARTHOST = "options-smarthost"
MARKER = "/etc/postfix/egress-reload-pending"
# Every file and directory under /etc/postfix and /etc/aliases: type, mode, owner, size and
# content checksum; stage directories left in /tmp; whether Postfix is installed.
STATE = ("find /etc/postfix /etc/aliases -printf '%p %y %m %u:%g %s\\n' 2>/dev/null | sort; "
         "find /etc/postfix /etc/aliases -type f -exec sha256sum {} + 2>/dev/null | sort; "
         "ls -d /tmp/egress-postfix-stage-* 2>/dev/null; "
         "dpkg-query -W -f='${Package} ${Status}\\n' postfix 2>/dev/null; true")


@pytest.fixture(scope="module")
def fresh():
    return container(FRESH)


def wait_for_records(smarthost, subject, count=1, timeout=60):
    """Messages matching `subject` once `count` arrived, or what arrived by a monotonic deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = records(smarthost, subject)
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(0.5)


def state(host):
    return host.check_output(STATE)


def play(extra=None, playbook="converge.yml", limit=None):
    """Run a playbook of the scenario; returns (rc, output, {host: {ok: n, changed: n, ...}})."""
    run = run_playbook(playbook, *(["-l", limit] if limit else []), extra_vars=extra or None)
    return run.returncode, run.output, play_recap(run.output)


# The same configuration, when files were rewritten: main.cf as `postconf -n` (postconf -e
# appends a parameter it adds again), built maps without their bytes (postmap's layout).
CONFIG = ("find /etc/postfix /etc/aliases -printf '%p %y %m %u:%g\\n' 2>/dev/null | sort; "
          "find /etc/postfix /etc/aliases -type f ! -name main.cf ! -name '*.db' ! -name '*.lmdb' "
          "-exec sha256sum {} + 2>/dev/null | sort; postconf -n | sort; ls -d /tmp/egress-postfix-stage-* 2>/dev/null; true")


@pytest.fixture
def restore(mailhost):
    """Converge the mail host again after the test, and prove it is back where it was. The test
    appends to ``restore.undo`` the commands that undo what converge.yml does not manage."""
    before = mailhost.check_output(CONFIG)
    undo = []
    yield undo
    for command in undo:
        mailhost.run_test(command)
    rc, out, dummy = play(limit=MAILHOST)
    assert rc == 0, out[-3000:]
    assert mailhost.check_output(CONFIG) == before


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


# (extra variables, fragments of the error message, each of which must appear as given)
BAD_INPUTS = [
    ({"postfix_relay_host": "smtp.example.net\nrelayhost = evil"}, ["postfix_relay_host: ", "contains a newline"]),
    ({"postfix_relay_host": ""}, ["postfix_relay_host: is required"]),
    ({"postfix_relay_port": 70000}, ["postfix_relay_port: 70000 is out of range (1-65535)"]),
    ({"postfix_relay_port": "abc"}, ["postfix_relay_port: 'abc' is not a port number (1-65535) or 'auto'"]),
    ({"postfix_relay_provider": "sendgird"}, ["postfix_relay_provider: unknown provider 'sendgird'"]),
    ({"postfix_relay_password": None},
     ["postfix_relay_password: is required when postfix_relay_username is set"]),
    ({"postfix_relay_username": "relay user"}, ["postfix_relay_username: the user name contains whitespace"]),
    ({"postfix_relay_port": 587, "postfix_relay_tls_security_level": "may"},
     ["postfix_relay_tls_security_level: 'may' lets mail and the password travel in clear text"]),
    ({"postfix_relay_sender_dependent": [{"sender": "@x.test", "port": 587}]},
     ["postfix_relay_sender_dependent[0].host: is required"]),
    ({"postfix_relay_sender_dependent": [{"sender": "@x.test", "hots": "a"}]},
     ["postfix_relay_sender_dependent[0]: unknown key 'hots'"]),
    ({"postfix_relay_mynetworks": ["0.0.0.0/0, evil"]},
     ["postfix_relay_mynetworks[0]: '0.0.0.0/0, evil' is not a network such as 127.0.0.0/8"]),
    ({"postfix_relay_inet_interfaces": "all\nmynetworks = 0.0.0.0/0"},
     ["postfix_relay_inet_interfaces: ", "contains a newline"]),
]


@pytest.mark.parametrize("extra,fragments", BAD_INPUTS, ids=[f[0].split(":")[0] + "-%d" % i
                                                             for i, (e, f) in enumerate(BAD_INPUTS)])
def test_bad_input_is_refused_and_changes_nothing(mailhost, fresh, extra, fragments):
    """On the converged host and on the one where the role never ran (no Postfix yet)."""
    before = {MAILHOST: state(mailhost), FRESH: state(fresh)}
    assert "postfix install ok installed" in before[MAILHOST]
    assert "postfix install ok installed" not in before[FRESH]
    rc, out, recap = play(extra, playbook="bad_input.yml")
    assert rc != 0, out[-3000:]
    for host in (MAILHOST, FRESH):
        assert recap[host]["failed"] == 1 and recap[host]["changed"] == 0, (host, recap, out[-3000:])
        [line] = [line for line in out.splitlines() if line.startswith("fatal: [%s]" % host)]
        for fragment in fragments:
            assert fragment in line, (host, fragment, line)
    assert {MAILHOST: state(mailhost), FRESH: state(fresh)} == before


def test_a_configuration_postfix_refuses_never_becomes_live(mailhost, restore):
    """line_length_limit 0 passes the role's checks, but Postfix refuses it (minimum 512):
    refused on the staged copy, and the live files stay as they were, on this run and on the
    next (which does not report ok either)."""
    extra = {"postfix_relay_extra_config": {"line_length_limit": 0}}
    before = state(mailhost)
    for dummy in range(2):
        rc, out, recap = play(extra, limit=MAILHOST)
        assert rc != 0, out[-3000:]
        assert recap[MAILHOST]["failed"] == 1 and recap[MAILHOST]["changed"] == 0, (recap, out[-3000:])
        [line] = [line for line in out.splitlines() if line.startswith("fatal: [%s]" % MAILHOST)]
        assert "the new configuration was refused and nothing in /etc/postfix was changed" in line, line
        assert "postfix check (on a staged copy) failed" in line, line
        assert "invalid line_length_limit parameter value 0" in line, line
        assert state(mailhost) == before
    assert "line_length_limit" not in postconf(mailhost)


def test_a_reload_that_failed_is_retried_on_the_next_run(mailhost, restore):
    """`postfix check` (live, in the handler) fails once: the next run reloads again and
    reports a change, and clears the marker (so the run after it is ok: restore's converge)."""
    wrapper = ("#!/bin/sh\n"
               "if [ \"$*\" = check ] && [ -e /run/egress-fail-check ]; then echo injected >&2; exit 1; fi\n"
               "exec /usr/sbin/postfix.real \"$@\"\n")
    mailhost.run_test("cp -p /usr/sbin/postfix /usr/sbin/postfix.real && touch /run/egress-fail-check")
    try:
        mailhost.run_test("cat > /usr/sbin/postfix.wrapper <<'EOF'\n%sEOF\nchmod 0755 /usr/sbin/postfix.wrapper && "
                          "mv /usr/sbin/postfix.wrapper /usr/sbin/postfix" % wrapper)
        extra = {"postfix_relay_extra_config": {"smtp_connect_timeout": "31s"}}
        restore.append("postconf -X smtp_connect_timeout && postfix reload")
        rc, out, recap = play(extra, limit=MAILHOST)
        assert rc != 0 and "Check the Postfix configuration" in out, out[-3000:]
        assert mailhost.file(MARKER).exists
        assert postconf(mailhost)["smtp_connect_timeout"] == "31s"   # staged check passed: it is live
        mailhost.run_test("rm -f /run/egress-fail-check")
        since = time.time()
        rc, out, recap = play(extra, limit=MAILHOST)
        assert rc == 0 and recap[MAILHOST]["changed"] >= 1, out[-3000:]
        assert "Reload the configuration a previous run could not check or reload" in out
        assert not mailhost.file(MARKER).exists
        assert mailhost.run("journalctl -q --no-pager --since @%d | grep -q 'refreshing the Postfix mail system'"
                            % int(since)).rc == 0
    finally:
        mailhost.run("rm -f /run/egress-fail-check; [ -e /usr/sbin/postfix.real ] && "
                     "mv /usr/sbin/postfix.real /usr/sbin/postfix")


def test_removing_the_user_name_removes_the_credentials(mailhost, restore):
    rc, out, recap = play({"postfix_relay_username": "", "postfix_relay_password": "",
                           "postfix_relay_sender_dependent": []}, limit=MAILHOST)
    assert rc == 0 and recap[MAILHOST]["changed"] >= 1, out[-3000:]
    conf = postconf(mailhost)
    assert conf["smtp_sasl_auth_enable"] == "no"
    for name in ("smtp_sasl_password_maps", "smtp_sasl_security_options", "smtp_sasl_mechanism_filter"):
        assert name not in conf, name
    left = mailhost.check_output("ls /etc/postfix; ls -a /etc/postfix /tmp | grep -i -e sasl -e '~' -e bak || true")
    assert "sasl_passwd" not in left, left
