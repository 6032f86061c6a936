# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: first converge and idempotent re-run of postfix_relay on N hosts (forks = N).

For each N, N fresh Debian 12 containers are started, `ansible-playbook playbooks/site.yml`
converges them against the smarthost fixture (first run: packages installed, Postfix
configured), then the same playbook is re-run --reruns times (nothing may change). Prints
wall time, tasks per host and time per host, with the ratio to N = 1 measured in the same run.
Goals: 20 hosts take at most 3x one host; an idempotent re-run on one host takes a few seconds.

    python3 bench/converge_bench.py [--ns 1,5,10,20] [--reruns 3]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

SITE = os.path.join(lab.ROOT, "playbooks", "site.yml")


def tasks_per_host(recap, hosts):
    counts = [sum(recap[h].get(k, 0) for k in ("ok", "changed", "failed")) for h in hosts]
    return max(counts)


def run(n, reruns, connection):
    hosts = ["bench-mh-%02d" % i for i in range(1, n + 1)]
    lab.start(hosts)
    try:
        if connection == "ssh":
            lab.enable_ssh(hosts)
        inv = lab.inventory(hosts, os.path.join(lab.WORK, "converge-%d.json" % n), connection=connection)
        lab.prepare(inv, limit=",".join(hosts))
        first, recap, dummy = lab.playbook(inv, SITE, forks=n)
        tasks = tasks_per_host(recap, hosts)
        times = []
        for dummy in range(reruns):
            seconds, recap, out = lab.playbook(inv, SITE, forks=n)
            changed = sum(recap[h]["changed"] for h in hosts)
            if changed:
                raise RuntimeError("re-run changed %d tasks:\n%s" % (changed, out[-3000:]))
            times.append((seconds, lab.LAST_CPU["controller"], lab.LAST_CPU["hosts"]))
        median = sorted(times)[len(times) // 2]
        return {"n": n, "first": first, "tasks": tasks, "rerun": median[0], "rerun_tasks": tasks_per_host(recap, hosts),
                "controller_cpu": median[1], "hosts_cpu": median[2]}
    finally:
        lab.remove(hosts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ns", default="1,5,10,20")
    parser.add_argument("--reruns", type=int, default=3, help="idempotent re-runs per N, median reported")
    parser.add_argument("--connections", default="podman,ssh",
                        help="podman (exec into the containers) and/or ssh (OpenSSH with pipelining)")
    args = parser.parse_args()
    ns = [int(n) for n in args.ns.split(",")]
    lab.setup_network()
    lab.start([lab.SMARTHOST])
    lab.prepare(lab.inventory([], os.path.join(lab.WORK, "smarthost.json")))
    tables = {}
    try:
        for connection in args.connections.split(","):
            tables[connection] = []
            for n in ns:
                tables[connection].append(run(n, args.reruns, connection))
                print("  measured %s N=%d" % (connection, n), file=sys.stderr)
    finally:
        lab.teardown([])
    print("postfix_relay converge: playbooks/site.yml, forks = N, re-run = median of %d idempotent runs"
          % args.reruns)
    print("re-run CPU: seconds of CPU the re-run cost on the controller (ansible-playbook, its workers and")
    print("their ssh/podman clients) and inside the containers (the hosts' side of every module), on %d CPUs"
          % os.cpu_count())
    print("| connection | N hosts | first converge (s) | vs N=%d | s/host | re-run (s) | vs N=%d "
          "| re-run CPU controller (s) | re-run CPU hosts (s) | tasks/host (first, re-run) |" % (ns[0], ns[0]))
    print("|---|---|---|---|---|---|---|---|---|---|")
    for connection, rows in tables.items():
        base = rows[0]
        for r in rows:
            print("| %s | %d | %.1f | %.2fx | %.2f | %.1f | %.2fx | %.1f | %.1f | %d, %d |" % (
                connection, r["n"], r["first"], r["first"] / base["first"], r["first"] / r["n"], r["rerun"],
                r["rerun"] / base["rerun"], r["controller_cpu"], r["hosts_cpu"], r["tasks"], r["rerun_tasks"]))


if __name__ == "__main__":
    main()
