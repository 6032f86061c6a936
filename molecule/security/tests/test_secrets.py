"""Item 5: the relay passwords never leak.

Searched for each password: the whole password, distinctive fragments, and its base64 forms
as SMTP AUTH would send them (sec_helpers.needles). Places searched:
  - the output of a -vvv converge (the converge.yml part of dump_hostvars.yml), of a
    --check --diff -vvv run, and of the -vvv check-mode run on the bare host;
  - what the converge left in hostvars, as printed by the second play of dump_hostvars.yml
    (facts, registered results, set_fact values; only the inventory inputs
    postfix_relay_password / powermta_relay_password and the harness's molecule_* variables
    are left out), and the fact cache of that run;
  - every file under /etc /var/log /var/spool/postfix /root /tmp /var/lib of the mail host,
    the PowerMTA host and the bare host, and their journals.
The only files allowed to hold a password are /etc/postfix/sasl_passwd and its built map
(0600 root) for Postfix and /etc/pmta/config (0640 root:pmta) for PowerMTA; that the search
does find them proves it works.

The runs above change nothing (the host is converged), so the password map task never reports a
change and the secret is never near its output. The last tests (issue 21) therefore change the
password on the converged mail host: a --check --diff -vvv run and a -vvv run with a new
password, then a -vvv run back to the old one; each must report the password map task changed
and is searched for both passwords (plain, fragments, base64, URL-encoded). The new password is
given in a 0600 extra-vars file, never on a command line.
"""

import json
import os
import re

import pytest

from egress_helpers import container
from sec_helpers import (
    BARE,
    FIGURES,
    MAILHOST,
    PMTA,
    PMTA_NEEDLES,
    POSTFIX_NEEDLES,
    POSTFIX_PASSWORD,
    POSTFIX_USER,
    found,
    grep_host,
    journal_hits,
    needles,
    playbook,
    recap,
)

SEARCHED = ["/etc", "/var/log", "/var/spool/postfix", "/root", "/tmp", "/var/lib"]
ALL_NEEDLES = POSTFIX_NEEDLES + PMTA_NEEDLES
DUMP_PLAY = "Show the relay hosts' variables after the run"  # the second play of dump_hostvars.yml


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("factcache"))


@pytest.fixture(scope="module")
def converge_vvv(cache_dir):
    return playbook(
        "dump_hostvars.yml",
        "-vvv",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile",
        ANSIBLE_CACHE_PLUGIN_CONNECTION=cache_dir,
    )


@pytest.fixture(scope="module")
def check_diff_vvv():
    return playbook("converge.yml", "--check", "--diff", "-vvv")


def _record(name, count):
    FIGURES["password hits"][name] = count


def _split(output):
    """(the converge part, the hostvars dump part) of the output of dump_hostvars.yml."""
    marker = "PLAY [%s]" % DUMP_PLAY
    assert output.count(marker) == 1, "no dump play in the output"
    converge, dump = output.split(marker)
    return converge, dump


def test_converge_vvv_succeeds_unchanged_without_password(converge_vvv):
    assert converge_vvv.returncode == 0, converge_vvv.output[-3000:]
    counts = recap(converge_vvv.output)
    assert counts[MAILHOST]["changed"] == 0 and counts[PMTA]["changed"] == 0, counts
    converge, dummy = _split(converge_vvv.output)
    assert "Using module file" in converge and "TASK [egress.mail.postfix_relay" in converge  # really -vvv
    leaks = found(converge, ALL_NEEDLES)
    _record("converge -vvv output", len(leaks))
    assert leaks == []


def test_check_diff_vvv_succeeds_unchanged_without_password(check_diff_vvv):
    assert check_diff_vvv.returncode == 0, check_diff_vvv.output[-3000:]
    counts = recap(check_diff_vvv.output)
    assert counts[MAILHOST]["changed"] == 0 and counts[PMTA]["changed"] == 0, counts
    leaks = found(check_diff_vvv.output, ALL_NEEDLES)
    _record("--check --diff -vvv output", len(leaks))
    assert leaks == []


def test_bare_host_check_mode_output_without_password(bare_check_run):
    dummy, result, dummy = bare_check_run
    assert result.returncode == 0, result.output[-3000:]
    leaks = found(result.output, ALL_NEEDLES)
    _record("bare host --check -vvv output", len(leaks))
    assert leaks == []


def _dumps(output):
    """The hostvars dumps printed by dump_hostvars.yml, per host."""
    dumps = {}
    for host, body in re.findall(r"^ok: \[([^\]]+)\] => (\{.*?^\})$", output, re.S | re.M):
        data = json.loads(body)
        if isinstance(data.get("msg"), dict) and "sec_dump_begin" in data["msg"]:
            dumps[host] = data["msg"]
    return dumps


def test_hostvars_after_the_run_hold_no_password(converge_vvv):
    dummy, dump = _split(converge_vvv.output)
    dumps = _dumps(dump)
    assert set(dumps) == {MAILHOST, PMTA}, list(dumps)
    assert dumps[MAILHOST]["left_out"] == ["postfix_relay_password"]
    assert dumps[PMTA]["left_out"] == ["powermta_relay_password"]
    # The dumps are the real thing: what the roles set and registered is in them.
    mail_vars, pmta_vars = dumps[MAILHOST]["hostvars"], dumps[PMTA]["hostvars"]
    for key in ("__postfix_relay", "postfix_relay_test_result", "ansible_facts"):
        assert key in mail_vars, key
    assert mail_vars["__postfix_relay"]["password_set"] is True
    assert len([k for k in mail_vars if k.startswith("__postfix_relay_")]) >= 3, sorted(mail_vars)
    for key in (
        "__powermta_relay_smarthost",
        "__powermta_relay_write",
        "powermta_relay_selected_port",
        "ansible_facts",
    ):
        assert key in pmta_vars, key
    leaks = found(dump, ALL_NEEDLES)
    _record("hostvars after the run", len(leaks))
    assert leaks == []


def test_fact_cache_holds_no_password(converge_vvv, cache_dir):
    assert converge_vvv.returncode == 0
    files = sorted(os.listdir(cache_dir))
    assert any(f.endswith(MAILHOST) for f in files) and any(f.endswith(PMTA) for f in files), files
    text = "".join(open(os.path.join(cache_dir, f), encoding="utf-8").read() for f in files)
    leaks = found(text, ALL_NEEDLES)
    _record("fact cache", len(leaks))
    assert leaks == []


def _db_suffix(host):
    db_type = host.check_output("postconf -h default_database_type")
    return {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}[db_type]


def test_postfix_password_only_in_the_password_maps():
    host = container(MAILHOST)
    allowed = ["/etc/postfix/sasl_passwd", "/etc/postfix/sasl_passwd" + _db_suffix(host)]
    holders = grep_host(host, POSTFIX_NEEDLES, SEARCHED)
    _record("files on the mail host (besides the maps)", len(set(holders) - set(allowed)))
    assert holders == allowed
    for path in allowed:
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), "%s is %s:%s %o" % (path, f.user, f.group, f.mode)
    assert grep_host(host, PMTA_NEEDLES, SEARCHED) == []


def test_powermta_password_only_in_its_config():
    host = container(PMTA)
    holders = grep_host(host, PMTA_NEEDLES, SEARCHED)
    _record("files on the PowerMTA host (besides /etc/pmta/config)", len(set(holders) - {"/etc/pmta/config"}))
    assert holders == ["/etc/pmta/config"]
    f = host.file("/etc/pmta/config")
    assert (f.user, f.group, f.mode) == ("root", "pmta", 0o640), "%s:%s %o" % (f.user, f.group, f.mode)
    assert grep_host(host, POSTFIX_NEEDLES, SEARCHED) == []


def test_bare_host_holds_no_password(bare_check_run):
    host = container(BARE)
    holders = grep_host(host, ALL_NEEDLES, SEARCHED)
    _record("files on the bare host", len(holders))
    assert holders == []


@pytest.mark.parametrize("name", [MAILHOST, PMTA, BARE])
def test_journal_holds_no_password(name):
    journal, leaks = journal_hits(container(name), ALL_NEEDLES)
    assert len(journal.splitlines()) > 10, "the journal is empty: nothing was searched"
    if name == MAILHOST:
        assert "status=sent" in journal  # Postfix logs there: the mail the relay sent is in it
    _record("journal of %s" % name, len(leaks))
    assert leaks == []


# --- runs that change the password (issue 21) -----------------------------------------------
NEW_PASSWORD = "Nw4:ch4ng3d pw#Y$%&+/="
NEW_NEEDLES = needles(POSTFIX_USER, NEW_PASSWORD, ["Nw4:ch4n", "ch4ng3d pw", "3d pw#Y$%", "pw#Y$%&+"])
# The task that writes the map (not the one that removes it when no user name is set).
MAP_TASK = re.compile(r"^TASK \[egress\.mail\.postfix_relay : Write the SASL password map[^\]]*\]", re.M)


def _extra_vars(directory, password):
    """A 0600 extra-vars file: the password, and no test message (the smarthost knows only the old one)."""
    path = os.path.join(directory, "password-%d.json" % len(os.listdir(directory)))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"postfix_relay_password": password, "postfix_relay_test_recipient": ""}, handle)
    return "@" + path


def _map_task_changed(output):
    """Whether the password map task reported a change on the mail host (it must have run once)."""
    headers = list(MAP_TASK.finditer(output))
    assert len(headers) == 1, "the password map task ran %d times" % len(headers)
    start = headers[0].end()
    end = output.find("\nTASK [", start)
    section = output[start : end if end >= 0 else len(output)]
    return "changed: [%s]" % MAILHOST in section


@pytest.fixture(scope="module")
def password_change_runs(tmp_path_factory):
    """(check --diff -vvv with the new password, -vvv with the new password, -vvv back to the old one)."""
    directory = str(tmp_path_factory.mktemp("extravars"))
    runs = {}
    try:
        runs["check"] = playbook(
            "converge.yml", "--limit", MAILHOST, "--check", "--diff", "-vvv", "-e", _extra_vars(directory, NEW_PASSWORD)
        )
        runs["change"] = playbook(
            "converge.yml", "--limit", MAILHOST, "-vvv", "-e", _extra_vars(directory, NEW_PASSWORD)
        )
    finally:
        runs["restore"] = playbook(
            "converge.yml", "--limit", MAILHOST, "-vvv", "-e", _extra_vars(directory, POSTFIX_PASSWORD)
        )
    return runs


@pytest.mark.parametrize("run", ["check", "change", "restore"])
def test_runs_that_change_the_password_show_no_password(password_change_runs, run):
    result = password_change_runs[run]
    assert result.returncode == 0, result.output[-3000:]
    assert "Using module file" in result.output  # really -vvv
    assert _map_task_changed(result.output), "the password map task did not report a change"
    assert recap(result.output)[MAILHOST]["changed"] >= 1
    if run == "check":
        assert "--diff" in result.args and "--check" in result.args
    leaks = found(result.output, NEW_NEEDLES + POSTFIX_NEEDLES + PMTA_NEEDLES)
    _record("password-changing run (%s) output" % run, len(leaks))
    assert leaks == []


def test_password_change_left_no_trace_on_the_host(password_change_runs):
    assert password_change_runs["restore"].returncode == 0
    host = container(MAILHOST)
    holders = grep_host(host, NEW_NEEDLES, SEARCHED)
    _record("files on the mail host holding the changed password after the restore", len(holders))
    assert holders == []
    dummy, leaks = journal_hits(host, NEW_NEEDLES)
    assert leaks == []
    # The restore put the old password back: the map holds it again.
    assert grep_host(host, [POSTFIX_PASSWORD], ["/etc/postfix/sasl_passwd"]) == ["/etc/postfix/sasl_passwd"]
