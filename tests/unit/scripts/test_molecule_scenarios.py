"""scripts/molecule-scenarios.py: per-step times from molecule's output, lanes, the table."""

import importlib.util
import os
import stat

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "molecule-scenarios.py")


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("molecule_scenarios", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def fake_molecule(tmp_path, monkeypatch):
    """A `molecule` on PATH that prints molecule's step lines, sleeping between them, and exits
    with the status in FAKE_RC."""
    script = tmp_path / "molecule"
    script.write_text(
        "#!/bin/sh\n"
        "s=$5\n"
        "for step in destroy create converge verify destroy; do\n"
        '  sleep 0.2; echo "INFO     [$s > $step] Executed: Successful"\n'
        "done\n"
        "exit ${FAKE_RC:-0}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    return tmp_path


def test_the_step_lines_molecule_prints_are_recognised(runner):
    line = "INFO     [port25_blocked > idempotence] Executed: Successful"
    match = runner.EXECUTED.search(line)
    assert match.group("scenario", "step", "result") == ("port25_blocked", "idempotence", "Successful")
    assert runner.EXECUTED.search("ERROR    [security > verify] Executed: Failed (Verifier tests failed)")
    assert runner.EXECUTED.search("INFO     [default > verify] Executing") is None


def test_a_run_times_each_step_and_sums_both_destroys(runner, fake_molecule, tmp_path):
    results = {}
    runner.run("fixture", str(tmp_path), results)
    rc, seconds, steps = results["fixture"]
    assert rc == 0
    assert sorted(steps) == ["converge", "create", "destroy", "verify"]
    assert steps["destroy"] == pytest.approx(0.4, abs=0.15)
    assert all(steps[s] == pytest.approx(0.2, abs=0.15) for s in ("create", "converge", "verify"))
    assert seconds >= sum(steps.values())
    log = (tmp_path / "fixture.log").read_text()
    assert log.count("Executed: Successful") == 5
    assert log.splitlines()[0].split()[0].replace(".", "").isdigit()  # seconds before each line


def test_a_failed_scenario_is_reported_as_failed(runner, fake_molecule, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_RC", "2")
    results = {}
    runner.run("security", str(tmp_path), results)
    assert results["security"][0] == 2
    table = runner.table(results, 1.0, 1)
    assert "| security | FAILED |" in table


def test_the_table_has_a_column_per_step_that_ran_and_the_longest_first(runner):
    results = {
        "fixture": (0, 40.0, {"destroy": 5.0, "verify": 10.0}),
        "security": (0, 200.0, {"destroy": 6.0, "converge": 50.0, "verify": 90.0}),
    }
    lines = runner.table(results, 210.0, 2).splitlines()
    assert lines[2] == "| scenario | result | total | destroy | converge | verify |"
    assert lines[4] == "| security | ok | 200 | 6 | 50 | 90 |"
    assert lines[5] == "| fixture | ok | 40 | 5 | - | 10 |"
    assert lines[6] == "| sum of scenarios | | 240 | |"
    assert "2 at a time; 210 s in all" in lines[1]
