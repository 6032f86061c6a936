# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: what K dropped (filtered) ports cost egress.mail.smtp_probe, concurrent vs sequential.

Creates two network namespaces joined by a veth pair (no default route, so no packet
can leave them), drops TCP 30000-30063 with nftables in the target namespace, and runs
the probe (plugins/module_utils/smtp_probe.py) in the probe namespace against K of those
ports with timeout T. Prints, per K, the concurrent wall time (median of --runs runs),
its ratio to T, and the sequential time (max_workers=1, measured for K <= --seq-max-k,
beyond that extrapolated as K * T). Goal: concurrent <= 1.2 * T + 0.5 s.

Must run as root (network namespaces, nftables); cleans up after itself.

    python3 bench/probe_bench.py [--timeout 2] [--ks 1,4,16,64] [--runs 3]
"""

import argparse
import importlib.util
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = os.path.join(HERE, "..", "tests", "unit", "helpers", "smtp_servers.py")
FIRST_PORT = 30000
MAX_K = 64


def load_helpers():
    spec = importlib.util.spec_from_file_location("smtp_servers_for_bench", HELPERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(pair, target, k, timeout, max_workers):
    out = pair.probe(
        {
            "hosts": [target],
            "ports": list(range(FIRST_PORT, FIRST_PORT + k)),
            "timeout": timeout,
            "max_workers": max_workers,
            "ehlo_name": "bench.example.org",
        },
        timeout=k * timeout * 2 + 60,
    )
    states = set(r["state"] for r in out["report"]["results"])
    if states != {"filtered"}:
        raise RuntimeError("expected only filtered results, got %s" % sorted(states))
    return out["wall"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=2.0, help="probe timeout T in seconds (default 2)")
    parser.add_argument("--ks", default="1,4,16,64", help="comma-separated numbers of dropped ports (max 64)")
    parser.add_argument("--runs", type=int, default=3, help="concurrent runs per K, median reported (default 3)")
    parser.add_argument("--seq-runs", type=int, default=1, help="sequential runs per K (default 1)")
    parser.add_argument(
        "--seq-max-k",
        type=int,
        default=16,
        help="measure sequential time only up to this K, extrapolate K*T above (default 16)",
    )
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",") if k.strip()]
    if any(not 1 <= k <= MAX_K for k in ks):
        parser.error("every K must be between 1 and %d" % MAX_K)

    helpers = load_helpers()
    reason = helpers.netns_unavailable_reason()
    if reason:
        sys.stderr.write("probe_bench: cannot run: %s\n" % reason)
        return 2

    timeout = args.timeout
    pair = helpers.NetnsPair(prefix="egb")
    target = helpers.NETNS_TARGET
    rows = []
    try:
        pair.create()
        pair.nft(
            "table inet egress_probe_bench {\n"
            "  chain input {\n"
            "    type filter hook input priority 0; policy accept;\n"
            "    tcp dport %d-%d drop\n"
            "  }\n"
            "}\n" % (FIRST_PORT, FIRST_PORT + MAX_K - 1)
        )
        measure(pair, target, 1, 0.2, 64)  # warm-up: page cache, interpreter, neighbour discovery
        for k in ks:
            concurrent = [measure(pair, target, k, timeout, 64) for dummy in range(args.runs)]
            if k <= args.seq_max_k:
                sequential = statistics.median([measure(pair, target, k, timeout, 1) for dummy in range(args.seq_runs)])
                estimated = False
            else:
                sequential = k * timeout
                estimated = True
            rows.append((k, statistics.median(concurrent), min(concurrent), max(concurrent), sequential, estimated))
            sys.stderr.write("K=%d done\n" % k)
    finally:
        pair.destroy()

    goal = 1.2 * timeout + 0.5
    print("smtp_probe: K dropped ports (nft drop in a netns), timeout T = %gs, max_workers = 64" % timeout)
    print(
        "concurrent = median of %d runs (min..max); sequential = max_workers=1, %d run(s); "
        '"est" = extrapolated as K*T' % (args.runs, args.seq_runs)
    )
    print("")
    columns = ("K", "concurrent (s)", "min..max (s)", "conc/T", "sequential (s)", "speedup", "goal <= %.1fs" % goal)
    header = "%4s  %14s  %14s  %7s  %14s  %8s  %s" % columns
    print(header)
    print("-" * len(header))
    ok = True
    for k, median, low, high, sequential, estimated in rows:
        met = median <= goal
        ok = ok and met
        print(
            "%4d  %14.3f  %14s  %7.2f  %14s  %7.1fx  %s"
            % (
                k,
                median,
                "%.3f..%.3f" % (low, high),
                median / timeout,
                "%.2f%s" % (sequential, " (est)" if estimated else ""),
                sequential / median,
                "yes" if met else "NO",
            )
        )
    print("")
    print("goal met for every K" if ok else "goal MISSED for some K")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
