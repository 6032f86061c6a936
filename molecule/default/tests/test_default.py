"""postfix_relay: mail from Debian 12 and 13 arrives at the smarthost over TLS, authenticated."""

import base64
import json
import os
import re
import urllib.parse
import uuid

import pytest

from egress_ansible import changed, playbook
from egress_helpers import container, journal_lines, mail_queue, postconf, records, submit, wait_for_records, wait_until

MAILHOSTS = ["default-bookworm", "default-trixie"]
USER = "relayuser"
PASSWORD = "p:a ss#w0rd$%"
MAP_TASK = "Write the SASL password map (0600) and build it"
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
    cmd = (
        "printf 'Subject: %s\\nFrom: app@%s\\n\\nhello\\n' | /usr/sbin/sendmail -i -f app@%s -- someone@example.test"
        % (subject, mailhost.backend.name, mailhost.backend.name)
    )
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
    since = int(mailhost.check_output("date +%s")) - 1
    mailhost.run_test(
        "for i in $(seq 1 20); do printf 'Subject: %s '$i'\\n\\nburst\\n' | "
        "/usr/sbin/sendmail -i -f app@%s -- someone@example.test; done" % (tag, mailhost.backend.name)
    )
    found = wait_for_records(smarthost, tag, count=20)
    assert len(found) == 20
    assert all(r["auth_user"] == "relayuser" and r["tls_version"] for r in found)
    sent = [
        line
        for line in journal_lines(mailhost, since, identifier="postfix/smtp")
        if "status=sent" in line and "relay=default-smarthost" in line
    ]
    assert len(sent) >= 20, sent
    reused = [line for line in sent if "conn_use=" in line]
    assert reused, "no message reused a connection:\n" + "\n".join(sent)


def test_converge_test_message_arrived(smarthost):
    found = wait_for_records(smarthost, "egress.mail relay test from", count=len(MAILHOSTS))
    assert set(r["subject"].rsplit(" ", 1)[1] for r in found) == set(MAILHOSTS)
    assert all(r["auth_user"] == "relayuser" and r["tls_version"] for r in found)


def test_outsider_connection_refused_on_loopback_only_host(outsider, smarthost):
    """default-bookworm listens on loopback only: an outsider cannot even connect to port 25."""
    host = container("default-bookworm")
    listeners = host.check_output("ss -Hltn 'sport = :25'").split("\n")
    local = sorted(line.split()[3] for line in listeners if line.strip())
    assert local and all(a.startswith(("127.0.0.1:", "[::1]:")) for a in local), local
    answer = submit(
        outsider,
        host="default-bookworm",
        port=25,
        tls="none",
        rcpt="victim@example.test",
        sender="spam@outsider.test",
        subject="openrelay-%s" % uuid.uuid4().hex[:8],
    )
    assert answer["accepted"] is False and answer["step"] == "connect", answer
    assert answer["code"] is None and "Connection refused" in answer["reply"], answer


def test_outsider_gets_554_relay_access_denied_with_inet_interfaces_all(outsider, smarthost):
    """default-trixie listens on every interface: the outsider connects, and Postfix refuses
    the recipient with 554 (nothing enters the queue: NOQUEUE in the log)."""
    host = container("default-trixie")
    since = int(host.check_output("date +%s"))
    subject = "openrelay-%s" % uuid.uuid4().hex[:8]
    answer = submit(
        outsider,
        host="default-trixie",
        port=25,
        tls="none",
        rcpt="victim@example.test",
        sender="spam@outsider.test",
        subject=subject,
    )
    assert answer["accepted"] is False and answer["step"] == "send", answer
    assert answer["code"] == 554 and "Relay access denied" in answer["reply"], answer

    def rejected():
        return [
            line
            for line in journal_lines(host, since, identifier="postfix/smtpd")
            if "NOQUEUE: reject: RCPT from" in line and "<victim@example.test>: Relay access denied" in line
        ]

    assert wait_until(rejected, 30), journal_lines(host, since)[-20:]
    queued = [m for m in mail_queue(host) for r in m["recipients"] if r["address"] == "victim@example.test"]
    assert queued == []
    assert records(smarthost, subject) == []


# --- the password in no output, on runs that change it ---------------------------------------


def needles(password):
    """The password as it could leak: plain, distinctive fragments, base64 (alone, the AUTH PLAIN
    and the map-line forms), URL-encoded."""
    forms = [password, password[:6], password[-7:]]
    for raw in (password, "\0%s\0%s" % (USER, password), "%s:%s" % (USER, password)):
        forms.append(base64.b64encode(raw.encode()).decode())
    forms += [urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password)]
    return forms


def leaks(text, password):
    return [n for n in needles(password) if n in text]


LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ p=(\d+) u=\S+ n=\S+ \w+\| ?(.*)$")


def ansible_runs(path):
    """The ansible runs logged to ANSIBLE_LOG_PATH (molecule.yml), in order: [(pid, text)]."""
    runs, order, pid = {}, [], None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = LOG_PREFIX.match(line)
            if match:
                pid = match.group(1)
                if pid not in runs:
                    runs[pid] = []
                    order.append(pid)
                line = match.group(2) + "\n"
            if pid is not None:
                runs[pid].append(line)
    return [(p, "".join(runs[p])) for p in order]


def task_results(output, name_part):
    """{host: status} for the task whose name contains name_part (default callback output)."""
    statuses, inside = {}, False
    for line in output.splitlines():
        if line.startswith("TASK ["):
            inside = name_part in line
        elif inside:
            match = re.match(r"^(ok|changed|skipping|failed|fatal): \[([^\]]+)\]", line)
            if match:
                statuses[match.group(2)] = match.group(1)
    return statuses


def test_first_converge_wrote_the_map_and_never_showed_the_password():
    """molecule's converge on the fresh hosts (logged at -vvv, molecule.yml): the run that wrote
    the password map, searched for the password."""
    runs = ansible_runs(
        os.environ.get("ANSIBLE_LOG_PATH") or os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "ansible.log")
    )

    def playbook_is(text, name):
        return re.search(r"^\d+ plays? in \S*/%s$" % re.escape(name), text, re.M) is not None

    creates = [i for i, (pid, text) in enumerate(runs) if playbook_is(text, "create.yml")]
    assert creates, "no create run in the log"
    converges = [text for pid, text in runs[creates[-1] :] if playbook_is(text, "converge.yml")]
    assert converges, "no converge run after the last create"
    first = converges[0]
    assert "Using module file" in first, "the log is not at -vvv (ANSIBLE_LOG_VERBOSITY, molecule.yml)"
    assert task_results(first, MAP_TASK) == dict((h, "changed") for h in MAILHOSTS), first[-3000:]
    assert leaks(first, PASSWORD) == []


def _extra_vars(tmp_path, **values):
    path = tmp_path / "extra.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(values))
    return "@%s" % path


def _map_line(host):
    db_type = host.check_output("postconf -h default_database_type")
    return host.check_output("postmap -q '[default-smarthost]:587' %s:/etc/postfix/sasl_passwd" % db_type)


def test_changed_password_check_diff_vvv_shows_no_password(tmp_path):
    new = "Ch3ck:%s d#f$%%" % uuid.uuid4().hex[:6]
    result = playbook(
        "converge.yml",
        "--check",
        "--diff",
        "-vvv",
        "-e",
        _extra_vars(tmp_path, postfix_relay_password=new, postfix_relay_test_recipient=None),
    )
    out = result.output
    assert result.returncode == 0, out[-3000:]
    assert task_results(out, MAP_TASK) == dict((h, "changed") for h in MAILHOSTS), out[-3000:]
    assert leaks(out, new) == [] and leaks(out, PASSWORD) == []
    for name in MAILHOSTS:  # check mode: the map still holds the old password
        assert _map_line(container(name)) == "relayuser:" + PASSWORD


def test_changed_password_vvv_shows_no_password(tmp_path):
    new = "N3w:%s pw#$%%" % uuid.uuid4().hex[:6]
    try:
        extra = _extra_vars(tmp_path, postfix_relay_password=new, postfix_relay_test_recipient=None)
        result = playbook("converge.yml", "-vvv", "-e", extra)
        out = result.output
        assert result.returncode == 0, out[-3000:]
        assert task_results(out, MAP_TASK) == dict((h, "changed") for h in MAILHOSTS), out[-3000:]
        assert leaks(out, new) == [] and leaks(out, PASSWORD) == []
        for name in MAILHOSTS:
            assert _map_line(container(name)) == "relayuser:" + new
    finally:
        # Back to the password the smarthost knows (a change too: searched the same way).
        result = playbook("converge.yml", "-vvv")
        out = result.output
        assert result.returncode == 0, out[-3000:]
        assert task_results(out, MAP_TASK) == dict((h, "changed") for h in MAILHOSTS), out[-3000:]
        assert leaks(out, new) == [] and leaks(out, PASSWORD) == []
    for name in MAILHOSTS:
        assert _map_line(container(name)) == "relayuser:" + PASSWORD


@pytest.mark.parametrize("mode", [["-vvv"], ["--check", "--diff", "-vvv"]])
def test_password_never_in_output_and_no_change(mode):
    """On the converged hosts, unchanged settings: nothing changes (nor in check mode), and the
    password is in no output."""
    result = playbook("converge.yml", *mode)
    out = result.output
    assert result.returncode == 0, out[-3000:]
    assert "recap" in out.lower()
    assert leaks(out, PASSWORD) == [], mode
    assert changed(out) == 0, out[-3000:]
