# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: first converge and idempotent re-run of postfix_relay on N hosts (forks = N).

For each N, N fresh Debian 12 containers are started and reached over SSH with pipelining (as
real hosts are). Measured on them, in this order:
  floor   bench/floor.yml: setup's minimal facts and one module (ping), median of --reruns;
          the least any re-run of a role that gathers facts costs on these hosts over this
          connection (postfix_relay's inspection reads the facts it needs itself);
  first   `ansible-playbook playbooks/site.yml` against the smarthost fixture: packages
          installed (apt cache fetched: the image has no package lists), Postfix configured,
          the test message sent when --test-message;
  re-run  the same playbook again, median of --reruns (nothing may change).
Every figure carries the 1-minute load average before it (the machine may be shared) and the
ratio to the floor measured in the same run, so runs on a busy machine stay comparable.
Controller CPU per host is the CPU the controller spent (ansible-playbook, its workers and their
ssh clients) divided by N: what carries over to a fleet on real machines.
--profile keeps each run's ansible.posix.profile_tasks output in bench/results/.
--anchor DIR also measures first converge and re-run of another Postfix relay role (a checkout
of it: issue 19 compares with Oefenweb's ansible-postfix, `git clone
https://github.com/Oefenweb/ansible-postfix`) with the same relay settings (bench/anchor.yml),
on its own fresh hosts; its re-run is not required to change nothing (its changed count is shown).

    python3 bench/converge_bench.py [--ns 1,5] [--reruns 5] [--test-message] [--profile] [--anchor DIR]
"""

import argparse
import contextlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

SITE = os.path.join(lab.ROOT, "playbooks", "site.yml")
FLOOR = os.path.join(lab.ROOT, "bench", "floor.yml")
ANCHOR = os.path.join(lab.ROOT, "bench", "anchor.yml")
PROFILE = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "60"}


def tasks_per_host(recap, hosts):
    counts = [sum(recap[h].get(k, 0) for k in ("ok", "changed", "failed")) for h in hosts]
    return max(counts)


def measure(inv, play, n, profile, label, check_unchanged=True, extra=(), environ=None, prefix="bench-mh-"):
    environ = dict(PROFILE if profile else {}, **(environ or {}))
    seconds, recap, out = lab.playbook(inv, play, *extra, forks=n, environ=environ)
    hosts = [h for h in recap if h.startswith(prefix)]
    changed = sum(recap[h]["changed"] for h in hosts)
    if check_unchanged and changed:
        raise RuntimeError("%s changed %d tasks:\n%s" % (label, changed, out[-3000:]))
    if profile:
        with open(os.path.join(lab.WORK, "profile-%s-n%d.txt" % (label, n)), "a") as handle:
            handle.write(out)
    return {
        "s": seconds,
        "cpu": lab.LAST_CPU["controller"],
        "hosts_cpu": lab.LAST_CPU["hosts"],
        "load": lab.LAST_CPU["load"],
        "tasks": tasks_per_host(recap, hosts),
        "changed": changed,
    }


def median_of(runs):
    best = sorted(runs, key=lambda r: r["s"])[len(runs) // 2]
    return dict(best, loads=[r["load"] for r in runs])


@contextlib.contextmanager
def fresh_hosts(prefix, n, label, extra_vars):
    """N fresh mail hosts named <prefix>NN, reached over SSH and prepared; yields the inventory."""
    hosts = ["%s%02d" % (prefix, i) for i in range(1, n + 1)]
    lab.start(hosts)
    try:
        lab.enable_ssh(hosts)
        inv = lab.inventory(hosts, os.path.join(lab.WORK, "%s-%d.json" % (label, n)), connection="ssh", **extra_vars)
        lab.prepare(inv, limit=",".join(hosts))
        yield inv
    finally:
        lab.remove(hosts)


def run_anchor(n, reruns, extra_vars, anchor):
    """The anchor role on N fresh hosts of its own: first converge and median re-run."""
    with fresh_hosts("bench-an-", n, "anchor", extra_vars) as inv:
        anchor = os.path.abspath(anchor)  # no trailing slash: the role's name and its parent
        extra = ("-e", "bench_anchor_role=" + os.path.basename(anchor))
        environ = {"ANSIBLE_ROLES_PATH": os.path.dirname(anchor)}
        kwargs = dict(check_unchanged=False, extra=extra, environ=environ, prefix="bench-an-")
        first = measure(inv, ANCHOR, n, False, "anchor-first", **kwargs)
        rerun = median_of([measure(inv, ANCHOR, n, False, "anchor-rerun", **kwargs) for dummy in range(reruns)])
        return {"first": first, "rerun": rerun}


def run(n, reruns, extra_vars, profile):
    with fresh_hosts("bench-mh-", n, "converge", extra_vars) as inv:
        floor = median_of([measure(inv, FLOOR, n, False, "floor") for dummy in range(reruns)])
        first = measure(inv, SITE, n, profile, "first", check_unchanged=False)
        rerun = median_of([measure(inv, SITE, n, profile, "rerun") for dummy in range(reruns)])
        return {"n": n, "floor": floor, "first": first, "rerun": rerun}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ns", default="1,5")
    parser.add_argument("--reruns", type=int, default=5, help="floor runs and idempotent re-runs per N, median")
    parser.add_argument(
        "--test-message", action="store_true", help="set postfix_relay_test_recipient (a test message on every run)"
    )
    parser.add_argument("--profile", action="store_true", help="keep profile_tasks output in bench/results/")
    parser.add_argument("--anchor", metavar="DIR", help="a checkout of another Postfix role to compare with")
    args = parser.parse_args()
    if args.anchor and not os.path.isfile(os.path.join(args.anchor, "tasks", "main.yml")):
        parser.error("--anchor %s: not a role directory (no tasks/main.yml)" % args.anchor)
    ns = [int(n) for n in args.ns.split(",")]
    extra_vars = {"postfix_relay_test_recipient": "bench@example.test"} if args.test_message else {}
    lab.setup_network()
    lab.start([lab.SMARTHOST])
    lab.prepare(lab.inventory([], os.path.join(lab.WORK, "smarthost.json")))
    rows = []
    try:
        for n in ns:
            rows.append(run(n, args.reruns, extra_vars, args.profile))
            if args.anchor:
                rows[-1]["anchor"] = run_anchor(n, args.reruns, extra_vars, args.anchor)
            print("  measured N=%d" % n, file=sys.stderr)
    finally:
        lab.teardown([])
    print(
        "postfix_relay converge over SSH with pipelining (ControlPersist), forks = N, %d CPUs; "
        "floor and re-run: median of %d runs; test message: %s"
        % (os.cpu_count(), args.reruns, "yes" if args.test_message else "no")
    )
    print(
        "floor: bench/floor.yml (setup's minimal facts and one ping); load: 1-minute load average before each "
        "run (floor and re-run: the range over their runs); CPU/host: controller CPU seconds / N"
    )
    print(
        "| N | floor (s) | first converge (s) | first / floor | re-run (s) | re-run / floor | "
        "CPU/host floor (s) | CPU/host first (s) | CPU/host re-run (s) | tasks/host (first, re-run) | "
        "load (floor; first; re-run) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f, a, b, n = r["floor"], r["first"], r["rerun"], r["n"]
        print(
            "| %d | %.2f | %.1f | %.1fx | %.2f | %.2fx | %.2f | %.2f | %.2f | %d, %d | %.1f-%.1f; %.1f; %.1f-%.1f |"
            % (
                n,
                f["s"],
                a["s"],
                a["s"] / f["s"],
                b["s"],
                b["s"] / f["s"],
                f["cpu"] / n,
                a["cpu"] / n,
                b["cpu"] / n,
                a["tasks"],
                b["tasks"],
                min(f["loads"]),
                max(f["loads"]),
                a["load"],
                min(b["loads"]),
                max(b["loads"]),
            )
        )
    anchored = [r for r in rows if "anchor" in r]
    if anchored:
        print()
        print("anchor: %s (bench/anchor.yml, the same relay settings), on its own fresh hosts" % args.anchor)
        print(
            "| N | anchor first (s) | postfix_relay first / anchor first | anchor re-run (s) | "
            "postfix_relay re-run / anchor re-run | anchor re-run / floor | anchor re-run changed | "
            "CPU/host anchor first (s) | CPU/host anchor re-run (s) | tasks/host (first, re-run) | load (first; re-run) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in anchored:
            f, a, b, n = r["floor"], r["anchor"]["first"], r["anchor"]["rerun"], r["n"]
            print(
                "| %d | %.1f | %.2fx | %.2f | %.2fx | %.2fx | %d | %.2f | %.2f | %d, %d | %.1f; %.1f-%.1f |"
                % (
                    n,
                    a["s"],
                    r["first"]["s"] / a["s"],
                    b["s"],
                    r["rerun"]["s"] / b["s"],
                    b["s"] / f["s"],
                    b["changed"],
                    a["cpu"] / n,
                    b["cpu"] / n,
                    a["tasks"],
                    b["tasks"],
                    a["load"],
                    min(b["loads"]),
                    max(b["loads"]),
                )
            )


if __name__ == "__main__":
    main()
