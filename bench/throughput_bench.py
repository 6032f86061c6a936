# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: how fast a postfix_relay host pushes mail through the smarthost fixture.

M messages (default 1,000, 2 KB in 78-character lines) are injected on the mail host over
SMTP on loopback (one session) or with sendmail, and the clock runs until the fixture has
written the last of them to its maildir (its file time, so polling adds nothing). Compared
in the same run:
  (a) tuned: the role's defaults: TLS connection reuse through tlsproxy, connections to the
      relay cached, 10 parallel connections;
  (b) plain: what a plain relay configuration gives: no TLS connection reuse (one TLS
      handshake and one AUTH per message), Postfix's default concurrency (20);
  (c) limit: a direct client on the mail host that opens one TLS session to the fixture,
      authenticates once and sends all messages pipelined: the fixture's own acceptance rate.
Two numbers per configuration: end to end (injection and relaying together) and the relay
drain (messages queued while the relay is held with defer_transports, then released: the
relaying alone). Goals: (a) >= 3x (b), and (a) >= 70% of (c). Median of --runs runs.

By default the mail host and the smarthost are pinned to different CPUs (--cpus pinned), as
two machines would be: otherwise the relay's own work takes CPU from the fixture it is
measured against, which the direct client (c) hardly does. --cpus shared lets them share.

--try NAME=VALUE,... (repeatable) adds a row per variant: the role's defaults plus those main.cf
settings (postconf -e on the mail host, removed again after the row), to find settings worth a
default. Every row carries the 1-minute load average before it.

    python3 bench/throughput_bench.py [--messages 1000] [--runs 3] [--inject smtp|sendmail]
                                      [--cpus pinned|shared] [--try NAME=VALUE,...] [--skip-plain]
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

MAILHOST = "bench-tp"
CONVERGE = os.path.join(lab.ROOT, "playbooks", "site.yml")
SINK = "/var/mail/fixture/sink/new"

# Runs on the mail host: inject over SMTP on loopback, or through sendmail, or (direct) send
# straight to the smarthost in one pipelined TLS session.
CLIENT = r"""
import smtplib, ssl, subprocess, sys
mode, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def message(i):
    return ("From: <bench@bench-tp>\r\nTo: <sink@example.test>\r\nSubject: %s %d\r\n"
            "Message-ID: <%s.%d@bench-tp>\r\n\r\n%s" % (tag, i, tag, i, ("x" * 78 + "\r\n") * 25))
if mode == "smtp":
    s = smtplib.SMTP("127.0.0.1", 25); s.ehlo("bench")
    for i in range(count):
        s.sendmail("bench@bench-tp", ["sink@example.test"], message(i))
    s.quit()
elif mode == "sendmail":
    for i in range(count):
        subprocess.run(["/usr/sbin/sendmail", "-i", "-f", "bench@bench-tp", "--", "sink@example.test"],
                       input=message(i).replace("\r\n", "\n"), text=True, check=True)
else:
    host, user, password = sys.argv[4], sys.argv[5], open("/root/.bench-pw").read()
    s = smtplib.SMTP(host, 587); s.ehlo("bench")
    s.starttls(context=ssl.create_default_context(cafile="/etc/ssl/egress-fixture-ca.pem")); s.ehlo("bench")
    s.login(user, password)
    f = s.sock.makefile("rb")
    def reply():
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
        return int(line[:3])
    for i in range(count):  # RFC 2920: MAIL, RCPT and DATA in one write
        s.sock.sendall(b"MAIL FROM:<bench@bench-tp>\r\nRCPT TO:<sink@example.test>\r\nDATA\r\n")
        codes = [reply(), reply(), reply()]
        assert codes == [250, 250, 354], codes
        s.sock.sendall(message(i).encode() + b".\r\n")
        assert reply() == 250
    s.sock.sendall(b"QUIT\r\n")
"""


def exec_(host, *args, **kwargs):
    return lab.sh("podman", "exec", *((["-i"] if "input" in kwargs else []) + [host] + list(args)), **kwargs)


def arrivals(since):
    """(count, newest) of the messages the fixture delivered after `since` (epoch seconds):
    the file times in its maildir, so the clock stops when the last message is on disk, not
    when a poll notices it (containers share the host's clock)."""
    out = exec_(lab.SMARTHOST, "sh", "-c", "find %s -type f -newermt @%.6f -printf '%%T@\\n'" % (SINK, since))
    times = [float(t) for t in out.stdout.split()]
    return len(times), max(times) if times else since


def wait_arrivals(count, since, what, timeout=600):
    deadline = time.monotonic() + timeout
    while True:
        got, newest = arrivals(since)
        if got >= count:
            return newest - since
        if time.monotonic() > deadline:
            raise RuntimeError("%s: only %d of %d arrived in %ds" % (what, got, count, timeout))
        time.sleep(0.2)


def clock(host, *command):
    """Run `command` in `host` and return the container's clock just before it started."""
    out = exec_(host, "sh", "-c", 'date +%s.%N; exec "$@"', "clock", *command).stdout
    return float(out.split()[0])


def one_run(mode, count):
    """End to end: from the start of injection until the fixture has every message."""
    tag = "bench-%s-%d" % (mode, time.time_ns())
    extra = (lab.SMARTHOST, "relayuser") if mode == "direct" else ()
    start = clock(MAILHOST, "python3", "-c", CLIENT, mode, str(count), tag, *extra)
    injected = time.time() - start  # upper bound: includes podman exec's return
    return wait_arrivals(count, start, mode), injected


def queued():
    out = exec_(MAILHOST, "sh", "-c", "postqueue -j | wc -l").stdout.strip()
    return int(out or 0)


def drain_run(count, timeout=600):
    """Queue `count` messages with the relay held (defer_transports), then release them and time
    only the relaying: from the flush until the fixture has them all."""
    exec_(MAILHOST, "postconf", "-e", "defer_transports=smtp,relay")
    exec_(MAILHOST, "postfix", "reload")
    tag = "bench-drain-%d" % time.time_ns()
    exec_(MAILHOST, "python3", "-c", CLIENT, "smtp", str(count), tag)
    deadline = time.monotonic() + timeout
    while queued() < count:
        if time.monotonic() > deadline:
            raise RuntimeError("drain: only %d of %d queued" % (queued(), count))
        time.sleep(0.2)
    exec_(MAILHOST, "postconf", "-X", "defer_transports")
    exec_(MAILHOST, "postfix", "reload")
    time.sleep(1)
    start = clock(MAILHOST, "postqueue", "-f")
    return wait_arrivals(count, start, "drain", timeout)


def configure(inv, reuse):
    """(a) the role's defaults; (b) without reuse and caching, at Postfix's default concurrency."""
    plain = {"postfix_relay_tls_connection_reuse": False, "postfix_relay_concurrency_limit": 20}
    lab.playbook(inv, CONVERGE, "-e", json.dumps({} if reuse else plain))
    exec_(MAILHOST, "postqueue", "-f")  # empty queue, fresh processes
    exec_(MAILHOST, "postfix", "reload")
    time.sleep(1)


def variant(settings, saved=None):
    """Set the main.cf settings of a --try row on the mail host and reload; returns what main.cf
    set for those names before. variant(settings, saved) puts that back."""
    names = [item.split("=", 1)[0] for item in settings]
    if saved is None:
        before = exec_(MAILHOST, "postconf", "-n", *names, check=False).stdout.splitlines()
        exec_(MAILHOST, "postconf", "-e", *settings)
    else:
        before = None
        exec_(MAILHOST, "postconf", "-X", *names)
        if saved:
            exec_(MAILHOST, "postconf", "-e", *[line.replace(" = ", "=", 1) for line in saved])
    exec_(MAILHOST, "postfix", "reload")
    time.sleep(1)
    return before


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--try",
        dest="variants",
        action="append",
        default=[],
        help="NAME=VALUE,... main.cf settings on top of the role's defaults (a row each)",
    )
    parser.add_argument("--skip-plain", action="store_true", help="leave out row (b)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inject", choices=["smtp", "sendmail"], default="smtp")
    parser.add_argument("--cpus", choices=["pinned", "shared"], default="pinned")
    args = parser.parse_args()
    if args.cpus == "pinned" and (os.cpu_count() or 1) < 2:
        parser.error("--cpus pinned needs 2 CPUs; use --cpus shared")
    lab.setup_network()
    lab.start([lab.SMARTHOST, MAILHOST])
    if args.cpus == "pinned":
        lab.sh("podman", "update", "--cpuset-cpus", "0", MAILHOST)
        lab.sh("podman", "update", "--cpuset-cpus", "1", lab.SMARTHOST)
    results = {}
    try:
        inv = lab.inventory([MAILHOST], os.path.join(lab.WORK, "throughput.json"))
        lab.prepare(inv)
        exec_(MAILHOST, "sh", "-c", "umask 077; cat > /root/.bench-pw", input=lab.PASSWORD)
        rows = [("(a) tuned: role defaults", args.inject, True, None)]
        if not args.skip_plain:
            rows.append(("(b) plain: no reuse or caching, concurrency 20", args.inject, False, None))
        rows.append(("(c) limit: direct pipelined TLS session", "direct", None, None))
        for number, settings in enumerate(args.variants, 1):
            rows.append(
                (
                    "(d%d) role defaults + %s" % (number, settings.replace(",", ", ")),
                    args.inject,
                    True,
                    settings.split(","),
                )
            )
        configured = None
        for label, mode, reuse, settings in rows:
            load = lab.loadavg()
            if reuse is not None and reuse != configured:
                configure(inv, reuse)
                configured = reuse
            saved = variant(settings) if settings else None
            runs = [one_run(mode, args.messages) for dummy in range(args.runs)]
            drain = (
                statistics.median(drain_run(args.messages) for dummy in range(args.runs))
                if reuse is not None
                else statistics.median(r[0] for r in runs)
            )
            if settings:
                variant(settings, saved)
            results[label] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), drain, load)
            print("  measured %s" % label, file=sys.stderr)
        configure(inv, True)
    finally:
        lab.teardown([MAILHOST])
    a, c = results["(a) tuned: role defaults"], results["(c) limit: direct pipelined TLS session"]
    b = results.get("(b) plain: no reuse or caching, concurrency 20")
    print(
        "relay throughput: %d messages of ~2 KB, injected with %s on the mail host; median of %d runs; "
        "CPUs %s (%d on this machine)" % (args.messages, args.inject, args.runs, args.cpus, os.cpu_count())
    )
    print("end to end: from the start of injection until all arrived; relay drain: messages queued with")
    print("the relay held (defer_transports), then released: from the flush until all arrived; vs (c): the")
    print("fixture's own acceptance rate (c) as a share reached; load: 1-minute load average before the row")
    print(
        "| configuration | end to end (s) | msg/s | end to end vs (c) | injection (s) | relay drain (s) "
        "| drain msg/s | drain vs (b) | drain vs (c) | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label in sorted(results):
        total, injected, drain, load = results[label]
        print(
            "| %s | %.1f | %.0f | %.0f%% | %.1f | %.1f | %.0f | %s | %.0f%% | %.1f |"
            % (
                label,
                total,
                args.messages / total,
                100.0 * c[0] / total,
                injected,
                drain,
                args.messages / drain,
                "%.2fx" % (b[2] / drain) if b else "-",
                100.0 * c[2] / drain,
                load,
            )
        )
    for name, index in (("end to end", 0), ("relay drain", 2)):
        x, z = a[index], c[index]
        line = "goals (%s): (a) >= 70%% of (c): %s (%.0f%%)" % (
            name,
            "met" if z / x >= 0.7 else "NOT met",
            100.0 * z / x,
        )
        if b:
            y = b[index]
            line += "; (a) >= 3x (b): %s (%.2fx)" % ("met" if y / x >= 3 else "NOT met", y / x)
        print(line)


if __name__ == "__main__":
    main()
