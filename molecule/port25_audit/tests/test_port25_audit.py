"""port25_audit: one report on the controller, with the states the hosts' nftables rules cause."""

import csv
import io
import json
import os
import re
import shutil

from egress_ansible import changed, playbook, recap

REPORT_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "port25-report")
PORTS = ["25", "465", "587", "2525"]
FORMATS = ["md", "csv", "json"]
TARGET = "audit-smarthost"

# host: (states of 25/465/587/2525, port25_blocked, recommended_port), hosts sorted by name.
EXPECTED = {
    "audit-drop25": (["filtered", "open", "open", "open"], True, 587),
    "audit-open": (["open", "open", "open", "open"], False, 587),
    "audit-reject": (["refused", "open", "refused", "filtered"], True, 465),
}
HOSTS = sorted(EXPECTED)
# Messages prepare.yml left in Postfix's queue behind the dropped port 25 (audit-drop25 only).
MAIL_WAITING = {"audit-drop25": 3, "audit-open": 0, "audit-reject": 0}
# host: (provider, policy column) from the fixture DMI directory each host was given (molecule.yml).
CLOUD = {
    "audit-drop25": ("azure", "blocked since 2017-11-15"),
    "audit-open": ("digitalocean", "blocked"),
    "audit-reject": ("azure", "blocked since 2017-11-15"),
}


def _path(fmt, report_dir=REPORT_DIR):
    return os.path.join(report_dir, "port25-audit.%s" % fmt)


def _read(fmt, report_dir=REPORT_DIR):
    with open(_path(fmt, report_dir), encoding="utf-8") as handle:
        return handle.read()


def _expected_row(host):
    states, blocked, port = EXPECTED[host]
    return {
        "host": host,
        "target": TARGET,
        "states": dict(zip(PORTS, states)),
        "port25_blocked": blocked,
        "recommended_port": port,
    }


def _json_rows(report_dir=REPORT_DIR):
    return json.loads(_read("json", report_dir))["rows"]


def _csv_rows(report_dir=REPORT_DIR):
    return list(csv.DictReader(io.StringIO(_read("csv", report_dir))))


def _markdown_table(report_dir=REPORT_DIR):
    """The table of the Markdown report: a list of rows, each a list of cells (header first)."""
    lines = [line for line in _read("md", report_dir).split("## What to do")[0].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip()[1:-1].split("|")] for line in lines]


def _parse_bool(text):
    return {"true": True, "false": False, "": None, "-": None}[text]


def _parse_int(text):
    return None if text in ("", "-") else int(text)


def _parse_float(text):
    return None if text in ("", "-") else float(text)


# --- The report of the converge run -----------------------------------------------------------


def test_report_files_are_0644():
    assert os.path.isdir(REPORT_DIR)
    for fmt in FORMATS:
        mode = os.stat(_path(fmt)).st_mode & 0o777
        assert mode == 0o644, "%s is %o" % (fmt, mode)


def test_json_rows_per_host():
    report = json.loads(_read("json"))
    assert report["ports"] == [int(p) for p in PORTS]
    assert report["targets"] == [TARGET]
    assert report["hosts_without_result"] == []
    rows = report["rows"]
    assert [r["host"] for r in rows] == HOSTS
    for row in rows:
        expected = _expected_row(row["host"])
        assert {k: row[k] for k in expected} == expected, row
        assert row["recommended_wrappermode"] == (row["recommended_port"] == 465)
        assert isinstance(row["latency_ms"], (int, float)) and row["latency_ms"] >= 0
        assert row["mail_waiting"] == MAIL_WAITING[row["host"]], row
        assert row["mail_waiting_by_mta"] == ({"postfix": 3} if MAIL_WAITING[row["host"]] else {}), row
        # Every address's own result is kept, sorted by port.
        assert [p["port"] for p in row["probes"]] == [int(p) for p in PORTS]
        assert all(p["address"] and p["host"] == TARGET for p in row["probes"])


def test_csv_rows_per_host():
    text = _read("csv")
    assert text.splitlines()[0] == (
        "host,target,port_25,port_465,port_587,port_2525,"
        "port25_blocked,recommended_port,provider,policy,what_to_do,mail_waiting,latency_ms"
    )
    rows = _csv_rows()
    assert [r["host"] for r in rows] == HOSTS
    for row in rows:
        expected = _expected_row(row["host"])
        assert row["target"] == TARGET
        assert {p: row["port_" + p] for p in PORTS} == expected["states"], row
        assert _parse_bool(row["port25_blocked"]) is expected["port25_blocked"], row
        assert _parse_int(row["recommended_port"]) == expected["recommended_port"], row
        assert _parse_int(row["mail_waiting"]) == MAIL_WAITING[row["host"]], row
        assert _parse_float(row["latency_ms"]) >= 0


def test_markdown_table_is_well_formed():
    table = _markdown_table()
    header, separator, body = table[0], table[1], table[2:]
    assert header == ["host", "target"] + PORTS + [
        "port25_blocked",
        "recommended_port",
        "provider",
        "policy",
        "mail_waiting",
        "latency_ms",
    ]
    assert all(re.fullmatch(r":?-{3,}:?", cell) for cell in separator), separator
    assert len(separator) == len(header)
    for row in body:
        assert len(row) == len(header), row
        assert all(cell for cell in row), row
    # A table needs a blank line before it and its rows must be contiguous.
    lines = _read("md").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    assert lines[first - 1] == ""
    assert all(line.startswith("|") for line in lines[first : first + len(table)])
    assert lines[first + len(table)] == ""
    assert not any(line.startswith("|") for line in lines[first + len(table) :])


def test_markdown_rows_per_host():
    header, body = _markdown_table()[0], _markdown_table()[2:]
    rows = [dict(zip(header, cells)) for cells in body]
    assert [r["host"] for r in rows] == HOSTS
    for row in rows:
        expected = _expected_row(row["host"])
        assert row["target"] == TARGET
        assert {p: row[p] for p in PORTS} == expected["states"], row
        assert _parse_bool(row["port25_blocked"]) is expected["port25_blocked"], row
        assert _parse_int(row["recommended_port"]) == expected["recommended_port"], row
        assert _parse_int(row["mail_waiting"]) == MAIL_WAITING[row["host"]], row


def test_formats_agree():
    """Markdown, CSV and JSON say the same, latency included."""
    header, body = _markdown_table()[0], _markdown_table()[2:]
    markdown = [dict(zip(header, cells)) for cells in body]
    for md, csv_row, js in zip(markdown, _csv_rows(), _json_rows()):
        assert md["host"] == csv_row["host"] == js["host"]
        assert [md[p] for p in PORTS] == [csv_row["port_" + p] for p in PORTS] == [js["states"][p] for p in PORTS]
        assert _parse_float(md["latency_ms"]) == _parse_float(csv_row["latency_ms"]) == js["latency_ms"]


# --- The provider and policy columns (each host has a fixture DMI directory) -------------------


def test_provider_and_policy_columns_in_every_format():
    header, body = _markdown_table()[0], _markdown_table()[2:]
    markdown = {cells[0]: dict(zip(header, cells)) for cells in body}
    csv_rows = {row["host"]: row for row in _csv_rows()}
    json_rows = {row["host"]: row for row in _json_rows()}
    for host, (provider, policy) in CLOUD.items():
        assert (markdown[host]["provider"], markdown[host]["policy"]) == (provider, policy)
        assert (csv_rows[host]["provider"], csv_rows[host]["policy"]) == (provider, policy)
        assert (json_rows[host]["provider"], json_rows[host]["policy"]) == (provider, policy)
        row = json_rows[host]
        assert row["cloud"]["provider"] == provider
        assert any("/srv/egress-cloud/dmi/" in item for item in row["cloud"]["evidence"]), row["cloud"]
        assert row["port25_policy"]["provider"] == provider
        assert csv_rows[host]["what_to_do"] == row["port25_policy"]["what_to_do"]
    # The one-line summary of each probe says why 25 is blocked where it is.
    assert json_rows["audit-drop25"]["msg"] == (
        "port 25 filtered; Azure blocks outbound 25 for this subscription type since 2017-11-15; relay on 587"
    )
    assert json_rows["audit-reject"]["msg"] == (
        "port 25 refused; Azure blocks outbound 25 for this subscription type since 2017-11-15; relay on 465"
    )
    assert json_rows["audit-open"]["msg"] == (
        "port 25 open; DigitalOcean blocks outbound 25 on all Droplets of new accounts, but 25 gets out from "
        "this host; relay on 587"
    )


def test_what_to_do_per_provider_group():
    report = json.loads(_read("json"))
    groups = {group["provider"]: group for group in report["providers"]}
    assert set(groups) == {"azure", "digitalocean"}
    assert groups["azure"]["hosts"] == ["audit-drop25", "audit-reject"]
    assert groups["digitalocean"]["hosts"] == ["audit-open"]
    assert groups["azure"]["since"] == "2017-11-15" and groups["azure"]["relay_ports"] == [587, 443]
    section = _read("md").split("## What to do, per provider", 1)[1]
    azure = section.split("### Microsoft Azure", 1)[1].split("###", 1)[0]
    assert "- Hosts: audit-drop25, audit-reject" in azure
    assert "- Policy: blocked since 2017-11-15; recommended relay ports: 587, 443" in azure
    assert "- What to do: Use an authenticated SMTP relay on 587" in azure
    assert "Troubleshoot outbound SMTP connectivity problems in Azure" in azure
    digitalocean = section.split("### DigitalOcean", 1)[1]
    assert "- Hosts: audit-open" in digitalocean
    assert "recommended relay ports: not stated" in digitalocean


# --- Further runs of converge.yml with other settings -------------------------------------------


def _playbook(*args, **extra_vars):
    """converge.yml with extra_vars: (run, output)."""
    run = playbook("converge.yml", *args, extra_vars=extra_vars or None)
    return run, run.output


def _task_results(output, task):
    """[(host, item, status)] of the looped role task `task`, sorted."""
    section = output.split(" : %s] " % task, 1)[1]
    section = re.split(r"^(?:TASK \[|PLAY RECAP)", section, maxsplit=1, flags=re.M)[0]
    return sorted(
        (host, item, status)
        for status, host, item in re.findall(r"^(\w+): \[([^]\s]+)[^]\n]*\] => \(item=([^)\n]*)\)", section, flags=re.M)
    )


def _report_items(output, task):
    """{item: status} of a looped report task (it runs once): {"md": "changed", ...}."""
    return dict((item, status) for host, item, status in _task_results(output, task))


def test_check_mode_probes_but_writes_no_report(tmp_path):
    report_dir = str(tmp_path / "check")
    result, out = _playbook("--check", "--diff", port25_audit_report_dir=report_dir)
    assert result.returncode == 0, out[-3000:]
    assert _task_results(out, "Probe the SMTP ports of every target") == [(h, TARGET, "ok") for h in HOSTS]
    assert changed(out) == 0, out[-3000:]
    assert not os.path.exists(report_dir)


def test_fail_on_blocked_fails_the_blocked_hosts_after_the_report(tmp_path):
    report_dir = str(tmp_path / "fail")
    result, out = _playbook(port25_audit_report_dir=report_dir, port25_audit_fail_on_blocked=True)
    assert result.returncode != 0, out[-3000:]
    counts = recap(out)
    assert {h: counts[h]["failed"] for h in HOSTS} == {"audit-drop25": 1, "audit-open": 0, "audit-reject": 1}, out[
        -3000:
    ]
    assert (
        "Outbound port 25 is blocked on audit-reject: audit-smarthost port 25 refused. Azure blocks outbound "
        "25 for this subscription type since 2017-11-15. Relay through a smarthost on port 465."
    ) in out
    # The report was written first, with every host.
    assert [r["host"] for r in _json_rows(report_dir)] == HOSTS


def _copy_report(tmp_path, name):
    report_dir = str(tmp_path / name)
    shutil.copytree(REPORT_DIR, report_dir)
    return report_dir


def _rewrite(report_dir, fmt, pattern, replacement):
    text = _read(fmt, report_dir)
    new, count = re.subn(pattern, replacement, text, flags=re.M)
    assert count, (fmt, pattern)
    with open(_path(fmt, report_dir), "w", encoding="utf-8") as handle:
        handle.write(new)


def test_new_latency_alone_is_rewritten_but_not_a_change(tmp_path):
    report_dir = _copy_report(tmp_path, "latency")
    _rewrite(report_dir, "md", r"\| [0-9.]+ \|$", "| 99999.9 |")
    _rewrite(report_dir, "csv", r",[0-9.]+$", ",99999.9")
    _rewrite(report_dir, "json", r'"latency_ms": [0-9.]+', '"latency_ms": 99999.9')
    result, out = _playbook(port25_audit_report_dir=report_dir)
    assert result.returncode == 0, out[-3000:]
    assert changed(out) == 0, out[-3000:]
    assert _report_items(out, "Write the report") == {"md": "ok", "csv": "ok", "json": "ok"}
    for fmt in FORMATS:
        assert "99999.9" not in _read(fmt, report_dir), fmt


def test_changed_findings_are_a_change(tmp_path):
    report_dir = _copy_report(tmp_path, "findings")
    _rewrite(
        report_dir, "md", r"^\| audit-open \| audit-smarthost \| open \|", "| audit-open | audit-smarthost | filtered |"
    )
    _rewrite(report_dir, "csv", r"^audit-open,audit-smarthost,open,", "audit-open,audit-smarthost,filtered,")
    report = json.loads(_read("json", report_dir))
    report["rows"][HOSTS.index("audit-open")]["states"]["25"] = "filtered"
    with open(_path("json", report_dir), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    os.chmod(_path("md", report_dir), 0o600)
    result, out = _playbook(port25_audit_report_dir=report_dir)
    assert result.returncode == 0, out[-3000:]
    # The three files are rewritten with the real findings, and the mode of one is put back.
    assert _report_items(out, "Write the report") == {"md": "changed", "csv": "changed", "json": "changed"}
    assert _report_items(out, "Keep the previous report files at mode 0644") == {
        "md": "changed",
        "csv": "ok",
        "json": "ok",
    }
    assert _csv_rows(report_dir)[HOSTS.index("audit-open")]["port_25"] == "open"
    assert _json_rows(report_dir)[HOSTS.index("audit-open")]["states"]["25"] == "open"
    assert os.stat(_path("md", report_dir)).st_mode & 0o777 == 0o644
