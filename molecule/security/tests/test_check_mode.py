"""Item 7 (the rest is the scenario's idempotence and check steps): postfix_relay in check mode
on a bare Debian 13 host does not fail and changes nothing; Postfix stays uninstalled."""

from sec_helpers import BARE, recap


def test_check_mode_on_bare_host_succeeds(bare_check_run):
    dummy, result, dummy = bare_check_run
    assert result.returncode == 0, result.output[-3000:]
    counts = recap(result.output)
    assert counts[BARE]["failed"] == 0 and counts[BARE]["unreachable"] == 0, counts
    # The role saw that Postfix is missing and said so instead of previewing its configuration.
    assert "Postfix is not installed yet; check mode cannot preview its configuration." in result.output


def test_check_mode_on_bare_host_changes_nothing(bare_check_run):
    before, dummy, after = bare_check_run
    assert before["postfix"] == after["postfix"] == "", "postfix package status: %r" % after["postfix"]
    assert after["binaries"].count("No such file or directory") == 3, after["binaries"]
    assert after["dpkg"] == before["dpkg"], "the package database changed"
    assert after["etc"] == before["etc"], "files under /etc changed"
    assert "/etc/postfix" not in after["etc"]
