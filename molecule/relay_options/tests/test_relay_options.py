"""465 without saying wrappermode, sender-dependent relays, root forwarding, sender rewriting;
bad input refused before anything changes, on the converged host and on a host where the role
never ran; a configuration Postfix refuses checked on a staged copy and never live; a reload
that did not complete retried on the next run; credentials removed cleanly; a fallback relay
with its own login while the main one is down; canonical maps, aliases and Received: stripping
seen in the headers of what arrived; /etc/mailname; backups of main.cf and master.cf.

Tests that change the mail host's configuration put it back (converge.yml) before they end,
so the tests pass in any order."""

import re
import time
import uuid

import pytest

from egress_ansible import playbook as run_playbook, recap as play_recap
from egress_helpers import container, postconf, records, shell_quote, wait_for_records

MAILHOST = "options-mailhost"
FRESH = "options-fresh"
SMARTHOST = "options-smarthost"
SMARTHOST2 = "options-smarthost2"
PASSWORDS = ("p:a ss#w0rd$%", "alt S3cret:with#specials", "fall back:S3cret#%")
MARKER = "/etc/postfix/egress-reload-pending"
# Every file and directory under /etc/postfix and /etc/aliases: type, mode, owner, size and
# content checksum; stage directories left in /tmp; whether Postfix is installed.
STATE = (
    "find /etc/postfix /etc/aliases -printf '%p %y %m %u:%g %s\\n' 2>/dev/null | sort; "
    "find /etc/postfix /etc/aliases -type f -exec sha256sum {} + 2>/dev/null | sort; "
    "ls -d /tmp/egress-postfix-stage-* 2>/dev/null; "
    "dpkg-query -W -f='${Package} ${Status}\\n' postfix 2>/dev/null; true"
)


@pytest.fixture(scope="module")
def fresh():
    return container(FRESH)


def state(host):
    return host.check_output(STATE)


def play(extra=None, playbook="converge.yml", limit=None, verbose=False):
    """Run a playbook of the scenario; returns (rc, output, {host: {ok: n, changed: n, ...}})."""
    args = (["-vvv"] if verbose else []) + (["-l", limit] if limit else [])
    run = run_playbook(playbook, *args, extra_vars=extra or None)
    return run.returncode, run.output, play_recap(run.output)


# The same configuration, when files were rewritten: main.cf as `postconf -n` (postconf -e
# appends a parameter it adds again), built maps without their bytes (postmap's layout).
CONFIG = (
    "find /etc/postfix /etc/aliases -printf '%p %y %m %u:%g\\n' 2>/dev/null | sort; "
    "find /etc/postfix /etc/aliases -type f ! -name main.cf ! -name '*.db' ! -name '*.lmdb' "
    "-exec sha256sum {} + 2>/dev/null | sort; postconf -n | sort; ls -d /tmp/egress-postfix-stage-* 2>/dev/null; true"
)


@pytest.fixture
def restore(mailhost):
    """Converge the mail host again after the test, and prove it is back where it was. The test
    appends to ``restore.undo`` the commands that undo what converge.yml does not manage."""
    before = mailhost.check_output(CONFIG)
    undo = []
    yield undo
    for command in undo:
        mailhost.run_test(command)
    # At -vvv, and it writes the password map again after a test changed it: no password shown.
    rc, out, dummy = play(limit=MAILHOST, verbose=True)
    assert rc == 0, out[-3000:]
    assert mailhost.check_output(CONFIG) == before
    for password in PASSWORDS:
        assert password not in out and password[:9] not in out


def send(host, sender, rcpt="someone@example.test"):
    subject = "options-%s" % uuid.uuid4().hex[:10]
    host.run_test("printf 'Subject: %s\\n\\nhi\\n' | /usr/sbin/sendmail -i -f %s -- %s" % (subject, sender, rcpt))
    return subject


def test_465_is_implicit_tls(mailhost, smarthost):
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[options-smarthost]:465, [options-smarthost2]:465"
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


@pytest.fixture(scope="module")
def smarthost2():
    return container(SMARTHOST2)


def headers(smarthost, record):
    """The header lines of a message as the fixture stored it (continuation lines unfolded)."""
    text = smarthost.check_output("sed '/^$/q' %s" % record["file"])
    return re.sub(r"\n[ \t]+", " ", text).splitlines()


def test_fallback_relay_takes_the_mail_while_the_primary_is_down(mailhost, smarthost, smarthost2):
    """relayhost lists both; the fallback gets its own user over TLS; back to the primary after."""
    conf = postconf(mailhost)
    assert conf["relayhost"] == "[options-smarthost]:465, [options-smarthost2]:465"
    assert "smtp_fallback_relay" not in conf
    assert "[options-smarthost2]:465" in conf["smtp_connection_cache_destinations"]
    smarthost.run_test("systemctl stop postfix")
    try:
        [record] = wait_for_records(smarthost2, send(mailhost, "app@options.test"))
        assert record["auth_user"] == "fallbackuser" and record["port"] == 465, record
        assert record["tls_version"] in ("TLSv1.2", "TLSv1.3"), record
    finally:
        smarthost.run_test("systemctl start postfix")
    assert smarthost.run("for i in $(seq 50); do ss -ltn | grep -q ':465 ' && exit 0; sleep 0.2; done; exit 1").rc == 0
    subject = send(mailhost, "app@options.test")
    [record] = wait_for_records(smarthost, subject)
    assert record["auth_user"] == "relayuser" and record["port"] == 465, record
    assert records(smarthost2, subject) == []


def test_addresses_rewritten_aliases_expanded_and_received_lines_stripped(mailhost, smarthost):
    [record] = wait_for_records(smarthost, send(mailhost, "legacy-app@old.test", rcpt="someone@old-customers.test"))
    assert record["sender"] == "app@options.test"
    assert record["recipient"] == "someone@example.test"
    lines = headers(smarthost, record)
    received = [line for line in lines if line.lower().startswith("received:")]
    # Only the fixture's own Received: line; nothing names the mail host or its addresses.
    assert len(received) == 1 and "by port465.options-smarthost" in received[0], lines
    assert not [
        line
        for line in lines
        if "options-mailhost" in line
        and not line.lower().startswith("received:")
        and not line.lower().startswith("message-id:")
    ], lines
    assert "options-mailhost" not in received[0].split(" by ")[1], received
    found = wait_for_records(smarthost, send(mailhost, "app@options.test", rcpt="webmaster"), count=2)
    assert sorted(r["recipient"] for r in found) == ["web-oncall@example.test", "web-team@example.test"]


def test_mailname_backups_and_size_limit(mailhost):
    assert mailhost.check_output("cat /etc/mailname") == mailhost.check_output("postconf -h -x myorigin")
    assert postconf(mailhost)["message_size_limit"] == "20480000"
    listing = mailhost.check_output("stat -c '%n %a %U' /var/backups/egress-postfix /var/backups/egress-postfix/*")
    lines = listing.splitlines()
    assert lines[0] == "/var/backups/egress-postfix 700 root"
    copies = [line.split()[0].rsplit("/", 1)[1] for line in lines[1:]]
    assert all(line.endswith(" 600 root") for line in lines[1:]), lines
    assert 1 <= len([c for c in copies if c.startswith("main.cf.")]) <= 2, copies
    assert len([c for c in copies if c.startswith("master.cf.")]) <= 2, copies
    assert all(c.startswith(("main.cf.", "master.cf.")) for c in copies), copies
    for password in PASSWORDS:
        assert mailhost.run("grep -rqF -- %s /var/backups/egress-postfix" % shell_quote(password)).rc == 1


# (extra variables, fragments of the error message, each of which must appear as given)
BAD_INPUTS = [
    ({"postfix_relay_host": "smtp.example.net\nrelayhost = evil"}, ["postfix_relay_host: ", "contains a newline"]),
    ({"postfix_relay_host": ""}, ["postfix_relay_host: is required"]),
    ({"postfix_relay_port": 70000}, ["postfix_relay_port: 70000 is out of range (1-65535)"]),
    ({"postfix_relay_port": "abc"}, ["postfix_relay_port: 'abc' is not a port number (1-65535) or 'auto'"]),
    ({"postfix_relay_provider": "sendgird"}, ["postfix_relay_provider: unknown provider 'sendgird'"]),
    ({"postfix_relay_password": None}, ["postfix_relay_password: is required when postfix_relay_username is set"]),
    ({"postfix_relay_username": "relay user"}, ["postfix_relay_username: the user name contains whitespace"]),
    (
        {"postfix_relay_port": 587, "postfix_relay_tls_security_level": "may", "postfix_relay_fallback_relays": []},
        ["postfix_relay_tls_security_level: 'may' lets mail and the password travel in clear text"],
    ),
    (
        {"postfix_relay_sender_dependent": [{"sender": "@x.test", "port": 587}]},
        ["postfix_relay_sender_dependent[0].host: is required"],
    ),
    (
        {"postfix_relay_sender_dependent": [{"sender": "@x.test", "hots": "a"}]},
        ["postfix_relay_sender_dependent[0]: unknown key 'hots'"],
    ),
    (
        {"postfix_relay_mynetworks": ["0.0.0.0/0, evil"]},
        ["postfix_relay_mynetworks[0]: '0.0.0.0/0, evil' is not a network such as 127.0.0.0/8"],
    ),
    (
        {"postfix_relay_inet_interfaces": "all\nmynetworks = 0.0.0.0/0"},
        ["postfix_relay_inet_interfaces: ", "contains a newline"],
    ),
    (
        {"postfix_relay_fallback_relays": [{"host": "options-smarthost2", "port": 465, "username": "x"}]},
        [
            "postfix_relay_fallback_relays[0].password: is required when postfix_relay_fallback_relays[0].username is set"
        ],
    ),
    # One case of the new variables here (each costs a run); every one is refused in the unit tests
    # (tests/unit/plugins/module_utils/test_relay_fallback.py) before the role reaches a host.
]


@pytest.mark.parametrize(
    "extra,fragments", BAD_INPUTS, ids=[f[0].split(":")[0] + "-%d" % i for i, (e, f) in enumerate(BAD_INPUTS)]
)
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
    for _dummy in range(2):
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
    wrapper = (
        "#!/bin/sh\n"
        'if [ "$*" = check ] && [ -e /run/egress-fail-check ]; then echo injected >&2; exit 1; fi\n'
        'exec /usr/sbin/postfix.real "$@"\n'
    )
    mailhost.run_test("cp -p /usr/sbin/postfix /usr/sbin/postfix.real && touch /run/egress-fail-check")
    try:
        mailhost.run_test(
            "cat > /usr/sbin/postfix.wrapper <<'EOF'\n%sEOF\nchmod 0755 /usr/sbin/postfix.wrapper && "
            "mv /usr/sbin/postfix.wrapper /usr/sbin/postfix" % wrapper
        )
        extra = {"postfix_relay_extra_config": {"smtp_connect_timeout": "31s"}}
        restore.append("postconf -X smtp_connect_timeout && postfix reload")
        rc, out, recap = play(extra, limit=MAILHOST)
        assert rc != 0, out[-3000:]
        [line] = [line for line in out.splitlines() if line.startswith("fatal: [%s]" % MAILHOST)]
        assert "postfix check (of the live configuration) failed (rc 1): injected" in line, line
        assert "the reload is still due (%s is kept)" % MARKER in line, line
        assert mailhost.file(MARKER).exists
        assert postconf(mailhost)["smtp_connect_timeout"] == "31s"  # staged check passed: it is live
        mailhost.run_test("rm -f /run/egress-fail-check")
        since = time.time()
        rc, out, recap = play(extra, limit=MAILHOST)
        assert rc == 0 and recap[MAILHOST]["changed"] >= 1, out[-3000:]
        assert "Reload the configuration a previous run could not check or reload" in out
        assert not mailhost.file(MARKER).exists
        assert (
            mailhost.run(
                "journalctl -q --no-pager --since @%d | grep -q 'refreshing the Postfix mail system'" % int(since)
            ).rc
            == 0
        )
    finally:
        mailhost.run(
            "rm -f /run/egress-fail-check; [ -e /usr/sbin/postfix.real ] && mv /usr/sbin/postfix.real /usr/sbin/postfix"
        )


def test_removing_the_user_name_removes_the_credentials(mailhost, restore):
    rc, out, recap = play(
        {
            "postfix_relay_username": "",
            "postfix_relay_password": "",
            "postfix_relay_sender_dependent": [],
            "postfix_relay_fallback_relays": [],
        },
        limit=MAILHOST,
    )
    assert rc == 0 and recap[MAILHOST]["changed"] >= 1, out[-3000:]
    conf = postconf(mailhost)
    assert conf["smtp_sasl_auth_enable"] == "no"
    for name in ("smtp_sasl_password_maps", "smtp_sasl_security_options", "smtp_sasl_mechanism_filter"):
        assert name not in conf, name
    left = mailhost.check_output("ls /etc/postfix; ls -a /etc/postfix /tmp | grep -i -e sasl -e '~' -e bak || true")
    assert "sasl_passwd" not in left, left
