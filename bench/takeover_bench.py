# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: a host with N messages stuck in exim4 (smarthost client on a dropped port 25)
is converged with postfix_relay relaying through the smarthost fixture on 587.

Prints the migration's messages per second (egress.mail.mail_queue_migrate's own timing), the
converge's wall time, and the time from converge start to the last arrival at the fixture
(counted by Message-ID: every message once, none twice).

    python3 bench/takeover_bench.py [--count 1000]
"""

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

lab.NETWORK = "egress-takeover-bench"
lab.SMARTHOST = "takeover-bench-smarthost"
HOST = "takeover-bench-exim"
QUEUE_MAIL = os.path.join(lab.ROOT, "molecule", "takeover", "files", "queue_mail.py")
EXIM_CONF = (
    """dc_eximconfig_configtype='satellite'
dc_other_hostnames=''
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost='takeover.test'
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost='%s::25'
CFILEMODE='644'
dc_use_split_config='false'
dc_hide_mailname='true'
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
"""
    % lab.SMARTHOST
)
PLAY = """- name: Converge
  hosts: egress_postfix
  gather_facts: false
  roles:
    - role: egress.mail.postfix_relay
"""


def recipients(message_id):
    """Recipients of message <takeover-bench.N@takeover.test>: 2 for every fifth, else 1."""
    return 2 if int(message_id.split(".", 1)[1].split("@", 1)[0]) % 5 == 0 else 1


def podman_exec(*args, **kwargs):
    return lab.sh("podman", "exec", HOST, *args, **kwargs)


def run(count):
    lab.setup_network()
    names = [lab.SMARTHOST, HOST]
    lab.start(names)
    try:
        inv = lab.inventory([HOST], os.path.join(lab.WORK, "takeover-bench.json"))
        lab.prepare(inv)
        podman_exec(
            "bash",
            "-c",
            "export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && "
            "apt-get install -y -q exim4-daemon-light >/dev/null",
        )
        podman_exec(
            "bash",
            "-c",
            "cat > /etc/exim4/update-exim4.conf.conf <<'X'\n%sX\nupdate-exim4.conf && "
            "systemctl restart exim4" % EXIM_CONF,
        )
        # Stopped, and the messages queued with -odq: nothing tries them (the containers have no
        # NET_ADMIN to drop port 25 as the molecule scenario does).
        podman_exec("systemctl", "stop", "exim4")
        lab.sh("podman", "cp", QUEUE_MAIL, "%s:/usr/local/bin/takeover-queue-mail" % HOST)
        started = time.monotonic()
        podman_exec("python3", "/usr/local/bin/takeover-queue-mail", "takeover-bench", str(count), "-odq")
        queue_seconds = time.monotonic() - started
        queued = int(podman_exec("bash", "-c", "ls /var/spool/exim4/input | grep -c -- '-H$'").stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=lab.WORK, delete=False) as handle:
            handle.write(PLAY)
        t0 = time.time()
        seconds, recap, out = lab.playbook(inv, handle.name, "-v", forks=1)
        moved = re.search(r"exim4: (\d+) messages moved into Postfix in ([\d.]+) s", out)
        want = set("<takeover-bench.%d@takeover.test>" % i for i in range(count))
        deadline = time.monotonic() + 300
        while True:
            ids = lab.sh(
                "podman",
                "exec",
                lab.SMARTHOST,
                "egress-fixture-records",
                "--field",
                "message_id",
                "--subject",
                "^takeover-bench ",
            ).stdout.split()
            if set(ids) >= want or time.monotonic() > deadline:
                break
            time.sleep(1)
        last = int(
            lab.sh(
                "podman",
                "exec",
                lab.SMARTHOST,
                "bash",
                "-c",
                "stat -c %Y /var/mail/fixture/sink/new/* /var/mail/fixture/sink/cur/* 2>/dev/null | sort -n | tail -1",
            ).stdout.strip()
            or 0
        )
        counted = collections.Counter(i for i in ids if i in want)
        left = podman_exec("bash", "-c", "find /var/spool/exim4/input -type f | wc -l").stdout.strip()
        return {
            "messages": count,
            "queued_in_exim": queued,
            "queue_seconds": round(queue_seconds, 1),
            "migrated": int(moved.group(1)) if moved else None,
            "migration_seconds": float(moved.group(2)) if moved else None,
            "migration_msgs_per_s": round(int(moved.group(1)) / float(moved.group(2)), 1) if moved else None,
            "converge_seconds": round(seconds, 1),
            "converge_start_to_last_arrival_s": last - int(t0) if last else None,
            "distinct_arrived": len(counted),
            # Every fifth message has a second recipient (queue_mail.py): it is stored twice.
            "deliveries": sum(counted.values()),
            "expected_deliveries": count + len(range(0, count, 5)),
            "arrived_twice": sum(1 for i, n in counted.items() if n > recipients(i)),
            "left_in_exim_spool": int(left),
        }
    finally:
        lab.teardown([HOST])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(run(args.count), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
