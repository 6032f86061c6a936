# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kill rate per name from mutmut caches (scripts/mutation.sh, scripts/mutation-jobs.sh).

    mutation-report.py MIN NAME=CACHE[,CACHE...] ...

Each CACHE is a mutmut cache (sqlite) with CACHE minus ".db" plus ".seconds" beside it (the wall
time of the run that wrote it); a name's counts and times are summed over its caches. Exits 1
when a name's kill rate is below MIN percent.
"""

import os
import sqlite3
import sys

COLUMNS = ("ok_killed", "bad_survived", "bad_timeout", "ok_suspicious")


def counts(cache):
    with sqlite3.connect(cache) as db:
        return dict(db.execute("SELECT status, count(*) FROM Mutant GROUP BY status"))


def seconds(cache):
    with open(cache[: -len(".db")] + ".seconds") as handle:
        return int(handle.read().strip())


def main(argv):
    minimum, low = float(argv[0]), []
    print(
        "\n%-16s %7s %8s %8s %7s %10s %6s %8s"
        % ("file", "killed", "survived", "timeout", "suspic.", "kill rate", "total", "time (s)")
    )
    for spec in argv[1:]:
        name, caches = spec.split("=", 1)
        total, secs = {}, 0
        for cache in caches.split(","):
            for status, number in counts(cache).items():
                total[status] = total.get(status, 0) + number
            secs += seconds(cache)
        mutants = sum(total.values())
        killed = total.get("ok_killed", 0) + total.get("ok_suspicious", 0)
        rate = 100.0 * killed / mutants if mutants else 0.0
        print(
            "%-16s %7d %8d %8d %7d %9.1f%% %6d %8d"
            % ((name,) + tuple(total.get(c, 0) for c in COLUMNS) + (rate, mutants, secs))
        )
        if rate < minimum:
            low.append(name)
    print("\nkill rate = (killed + suspicious) / all mutants; a timeout counts as not killed.")
    print("time: the wall time of the run, or the sum over the jobs of a name (they run side by side).")
    print(
        "Surviving mutants: the .survivors.txt beside each cache (%s)"
        % os.path.dirname(argv[1].split("=", 1)[1].split(",")[0])
    )
    if low:
        print("mutation: kill rate below %g%% in: %s" % (minimum, ", ".join(low)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
