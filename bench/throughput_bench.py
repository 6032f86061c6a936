# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: how fast a postfix_relay host pushes mail through the smarthost fixture.

M messages (default 1,000) are injected on the mail host over SMTP on loopback (one
session) or with sendmail, and the clock runs until the fixture has delivered all of them
to its maildir. Compared in the same run:
  (a) tuned: the role's defaults (TLS connection reuse through tlsproxy, connection caching
      to the relay);
  (b) plain: the same relay without TLS connection reuse (what a plain relay config gives:
      one TLS handshake and one AUTH per message);
  (c) limit: a direct client on the mail host that opens one TLS session to the fixture,
      authenticates once and sends all messages pipelined: the fixture's own acceptance rate.
Goals: (a) >= 3x (b), and (a) >= 70% of (c). Median of --runs runs.

    python3 bench/throughput_bench.py [--messages 1000] [--runs 3] [--inject smtp|sendmail]
"""
import argparse
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
CLIENT = r'''
import smtplib, ssl, subprocess, sys
mode, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def message(i):
    return ("From: <bench@bench-tp>\r\nTo: <sink@example.test>\r\nSubject: %s %d\r\n"
            "Message-ID: <%s.%d@bench-tp>\r\n\r\n%s\r\n" % (tag, i, tag, i, "x" * 2000))
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
'''


def exec_(host, *args, **kwargs):
    return lab.sh("podman", "exec", *((["-i"] if "input" in kwargs else []) + [host] + list(args)), **kwargs)


def delivered():
    return int(exec_(lab.SMARTHOST, "sh", "-c", "ls %s | wc -l" % SINK).stdout.strip())


def one_run(mode, count, timeout=600):
    tag = "bench-%s-%d" % (mode, time.time_ns())
    before = delivered()
    start = time.monotonic()
    if mode == "direct":
        exec_(MAILHOST, "python3", "-c", CLIENT, "direct", str(count), tag, lab.SMARTHOST, "relayuser")
    else:
        exec_(MAILHOST, "python3", "-c", CLIENT, mode, str(count), tag)
    injected = time.monotonic() - start
    while delivered() - before < count:
        if time.monotonic() - start > timeout:
            raise RuntimeError("%s: only %d of %d arrived in %ds" % (mode, delivered() - before, count, timeout))
        time.sleep(0.2)
    return time.monotonic() - start, injected


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
    before = delivered()
    exec_(MAILHOST, "postconf", "-X", "defer_transports")
    exec_(MAILHOST, "postfix", "reload")
    start = time.monotonic()
    exec_(MAILHOST, "postqueue", "-f")
    while delivered() - before < count:
        if time.monotonic() - start > timeout:
            raise RuntimeError("drain: only %d of %d arrived" % (delivered() - before, count))
        time.sleep(0.2)
    return time.monotonic() - start


def configure(inv, reuse):
    lab.playbook(inv, CONVERGE, "-e", '{"postfix_relay_tls_connection_reuse": %s}' % ("true" if reuse else "false"))
    exec_(MAILHOST, "postqueue", "-f")  # empty queue, fresh processes
    exec_(MAILHOST, "postfix", "reload")
    time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inject", choices=["smtp", "sendmail"], default="smtp")
    args = parser.parse_args()
    lab.setup_network()
    lab.start([lab.SMARTHOST, MAILHOST])
    results = {}
    try:
        inv = lab.inventory([MAILHOST], os.path.join(lab.WORK, "throughput.json"))
        lab.prepare(inv)
        exec_(MAILHOST, "sh", "-c", "umask 077; cat > /root/.bench-pw", input=lab.PASSWORD)
        for label, mode, reuse in (("(a) tuned: role defaults", args.inject, True),
                                   ("(b) plain: no TLS connection reuse", args.inject, False),
                                   ("(c) limit: direct pipelined TLS session", "direct", None)):
            if reuse is not None:
                configure(inv, reuse)
            runs = [one_run(mode, args.messages) for dummy in range(args.runs)]
            drain = (statistics.median(drain_run(args.messages) for dummy in range(args.runs))
                     if reuse is not None else statistics.median(r[0] for r in runs))
            results[label] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), drain)
            print("  measured %s" % label, file=sys.stderr)
        configure(inv, True)
    finally:
        lab.teardown([MAILHOST])
    a, b, c = (results[k][0] for k in sorted(results))
    da, db, dc = (results[k][2] for k in sorted(results))
    print("relay throughput: %d messages of ~2 KB, injected with %s on the mail host; median of %d runs"
          % (args.messages, args.inject, args.runs))
    print("end to end: from the start of injection until all arrived; relay drain: messages queued with")
    print("the relay held (defer_transports), then released: from the flush until all arrived")
    print("| configuration | end to end (s) | msg/s | injection (s) | relay drain (s) | drain msg/s | drain vs (b) | drain vs (c) |")
    print("|---|---|---|---|---|---|---|---|")
    for label in sorted(results):
        total, injected, drain = results[label]
        print("| %s | %.1f | %.0f | %.1f | %.1f | %.0f | %.2fx | %.0f%% |" % (
            label, total, args.messages / total, injected, drain, args.messages / drain, db / drain,
            100.0 * dc / drain))
    for name, (x, y, z) in (("end to end", (a, b, c)), ("relay drain", (da, db, dc))):
        print("goals (%s): (a) >= 3x (b): %s (%.2fx); (a) >= 70%% of (c): %s (%.0f%%)" % (
            name, "met" if y / x >= 3 else "NOT met", y / x, "met" if z / x >= 0.7 else "NOT met", 100.0 * z / x))


if __name__ == "__main__":
    main()
