"""Run molecule scenarios, a few at a time, and print how long each step of each took.

    python scripts/molecule-scenarios.py [--jobs N] [--timings FILE] [SCENARIO ...]

Without scenario names: every molecule/*/molecule.yml. Each scenario is one `molecule test -s X`
with the base configuration .config/molecule/config.yml; its output goes to
build/molecule/X.log with the seconds since its start in front of every line, and is printed
whole when the scenario ends (so two scenarios' outputs never interleave). Scenarios are
independent (their own containers and podman network), so N of them run at once; the longest
start first (the weights below, measured; a new scenario counts as a long one).
The exit status is non-zero when a scenario failed; all of them run anyway.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
# Seconds on a quiet 2-core machine (build/timings-molecule.tsv of a full run); only the order
# matters: long scenarios first, so that the last to finish is a short one.
WEIGHTS = {
    "takeover": 260,
    "security": 240,
    "tls_failures": 180,
    "outage": 150,
    "default": 150,
    "oauth2": 150,
    "port25_audit": 140,
    "relay_options": 130,
    "port25_blocked": 110,
    "powermta": 70,
    "fixture": 40,
}
STEPS = ("destroy", "create", "prepare", "converge", "idempotence", "check", "side_effect", "verify", "cleanup")
EXECUTED = re.compile(r"\[(?P<scenario>[\w.-]+) > (?P<step>\w+)\] Executed: (?P<result>.*)$")
PRINT_LOCK = threading.Lock()
# The molecule runs under way, so that a stop of this script (SIGTERM, SIGHUP, Ctrl-C) stops them
# and what they started too. They stay in this script's process group, so a signal to the whole
# group (a CI runner's kill) still reaches every one of them directly.
RUNNING = {}  # Popen: scenario name
STOPPED = set()  # the scenarios the stop ended (a scenario that failed by itself stays "FAILED")
STOPPING = threading.Event()
STOP_SIGNALS = []  # the signals that stopped the run, first one first


def scenarios():
    root = os.path.join(TOP, "molecule")
    return sorted(name for name in os.listdir(root) if os.path.isfile(os.path.join(root, name, "molecule.yml")))


def run(name, logdir, results):
    """One `molecule test -s name`; results[name] = (rc, seconds, {step: seconds})."""
    log_path = os.path.join(logdir, name + ".log")
    cmd = ["molecule", "-c", os.path.join(TOP, ".config", "molecule", "config.yml"), "test", "-s", name]
    start = time.monotonic()
    last = start
    steps = {}
    with open(log_path, "w", encoding="utf-8") as log:
        # Unbuffered: each line arrives when printed, so the times in front of them are right.
        proc = subprocess.Popen(
            cmd,
            cwd=TOP,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        RUNNING[proc] = name
        if STOPPING.is_set():
            stop(proc)
        for line in proc.stdout:
            now = time.monotonic()
            log.write("%7.1f %s" % (now - start, line))
            match = EXECUTED.search(line)
            if match:
                step = match.group("step")
                # destroy runs twice (before and after): the table shows both together.
                steps[step] = steps.get(step, 0.0) + (now - last)
                last = now
        rc = proc.wait()
        RUNNING.pop(proc, None)
    seconds = time.monotonic() - start
    results[name] = (rc, seconds, steps)
    with PRINT_LOCK:
        with open(log_path, encoding="utf-8") as log:
            sys.stdout.write(log.read())
        print(
            "== molecule %s: %s in %.0f s (log: %s)"
            % (name, verdict(name, rc, "passed", "FAILED rc=%d" % rc), seconds, os.path.relpath(log_path, TOP))
        )
        sys.stdout.flush()


def verdict(name, rc, ok, failed):
    """What a scenario's exit status says: a run the stop ended is "stopped", not failed."""
    if rc == 0:
        return ok
    return "stopped" if name in STOPPED else failed


def descendants(pid):
    """The processes ``pid`` started, and theirs (from /proc: Linux)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(proc):
    """SIGTERM to a molecule run and everything it started (ansible-playbook, pytest, ssh). Its
    containers stay; the next run's first step (destroy) removes them."""
    STOPPED.add(RUNNING.get(proc))
    for pid in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def stop_all(signum, dummy_frame):
    STOP_SIGNALS.append(signum)
    STOPPING.set()
    for proc in list(RUNNING):
        stop(proc)
    print("molecule: stopped by signal %d; the scenarios under way were stopped" % signum, file=sys.stderr)


def table(results, wall, jobs):
    used = [s for s in STEPS if any(s in r[2] for r in results.values())]
    lines = [
        "",
        "molecule: wall time per scenario and step, seconds (%d at a time; %.0f s in all)" % (jobs, wall),
        "| scenario | result | total | " + " | ".join(used) + " |",
        "|---|---|---:|" + "---:|" * len(used),
    ]
    for name in sorted(results, key=lambda n: -results[n][1]):
        rc, seconds, steps = results[name]
        cells = ["%.0f" % steps[s] if s in steps else "-" for s in used]
        lines.append("| %s | %s | %.0f | %s |" % (name, verdict(name, rc, "ok", "FAILED"), seconds, " | ".join(cells)))
    lines.append("| sum of scenarios | | %.0f | |" % sum(r[1] for r in results.values()))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MOLECULE_JOBS", "2")))
    parser.add_argument("--timings", default=os.path.join(TOP, "build", "timings-molecule.tsv"))
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    names = args.names or scenarios()
    unknown = sorted(set(names) - set(scenarios()))
    if unknown:
        parser.error("no such scenario: %s" % ", ".join(unknown))
    names.sort(key=lambda n: -WEIGHTS.get(n, 200))
    logdir = os.path.join(TOP, "build", "molecule")
    os.makedirs(logdir, exist_ok=True)
    results = {}
    pending = list(names)
    lock = threading.Lock()

    def lane():
        while True:
            with lock:
                if not pending or STOPPING.is_set():
                    return
                name = pending.pop(0)
            run(name, logdir, results)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop_all)
    start = time.monotonic()
    threads = [threading.Thread(target=lane) for dummy in range(max(1, min(args.jobs, len(names))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - start
    summary = table(results, wall, len(threads))
    print(summary)
    with open(os.path.splitext(args.timings)[0] + ".md", "w", encoding="utf-8") as out:
        out.write(summary.lstrip("\n") + "\n")
    with open(args.timings, "w", encoding="utf-8") as out:
        for name, (rc, seconds, steps) in sorted(results.items()):
            out.write(
                "%s\t%d\t%.1f\t%s\n" % (name, rc, seconds, " ".join("%s=%.1f" % item for item in sorted(steps.items())))
            )
    failed = sorted(n for n, r in results.items() if r[0] != 0)
    if STOPPING.is_set():
        print("molecule: stopped; not run: %s" % (" ".join(n for n in names if n not in results) or "none"))
        return 128 + STOP_SIGNALS[0]
    if failed:
        print("molecule: FAILED: %s" % " ".join(failed))
        return 1
    print("molecule: %d scenarios passed" % len(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
