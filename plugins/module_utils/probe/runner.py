# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Many probes at once: resolve every host, probe every (address, port) on at most max_workers
threads within one overall deadline.

Part of the smtp_probe logic; module_utils/smtp_probe is its public face.
"""

import math
import socket
import threading
import time

from ansible_collections.egress.mail.plugins.module_utils.probe.channel import QUIT_WAIT
from ansible_collections.egress.mail.plugins.module_utils.probe.options import _fmt_seconds
from ansible_collections.egress.mail.plugins.module_utils.probe.session import (
    _new_result,
    probe_address,
)
from ansible_collections.egress.mail.plugins.module_utils.probe.summary import summarize


def _bounded_map(func, items, max_workers, timeout=None):
    """Run ``func(item)`` for every item on at most ``max_workers`` daemon threads.

    Returns a list with, per item, ``(True, value)``, ``(False, exception)`` or
    ``None`` when it had not finished within ``timeout`` seconds. Daemon threads
    are used so that a hung name lookup cannot keep the process alive.
    """
    items = list(items)
    results = [None] * len(items)
    if not items:
        return results
    lock = threading.Lock()
    all_done = threading.Event()
    state = {"next": 0, "left": len(items)}

    def worker():
        while True:
            with lock:
                index = state["next"]
                if index >= len(items):
                    return
                state["next"] = index + 1
            try:
                outcome = (True, func(items[index]))
            except Exception as exc:
                outcome = (False, exc)
            with lock:
                results[index] = outcome
                state["left"] -= 1
                if state["left"] == 0:
                    all_done.set()

    for _dummy in range(min(max_workers, len(items))):
        thread = threading.Thread(target=worker, name="smtp_probe")
        thread.daemon = True
        thread.start()
    all_done.wait(timeout)
    with lock:
        return list(results)


def _resolve(host):
    """Return [(family, sockaddr)] for every IPv4/IPv6 address of host, in resolver order."""
    infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    seen = set()
    addresses = []
    for family, _dummy_type, _dummy_proto, _dummy_canon, sockaddr in infos:
        if family not in (socket.AF_INET, getattr(socket, "AF_INET6", None)):
            continue
        key = (family, sockaddr[0])
        if key in seen:
            continue
        seen.add(key)
        addresses.append((family, sockaddr))
    return addresses


def _dns_error_text(exc):
    if isinstance(exc, socket.gaierror):
        name = ""
        for attr in dir(socket):
            if attr.startswith("EAI_") and getattr(socket, attr) == exc.errno:
                name = attr
                break
        text = exc.strerror or str(exc)
        return "%s (%s)" % (text, name) if name else text
    return str(exc)


def run_probes(options):
    """Resolve every host and probe every (host, port, address) concurrently.

    Returns the module's result keys (without ``changed``): ``results`` and the
    summary of :func:`summarize`, plus ``elapsed_ms``.
    """
    start = time.monotonic()
    lookups = _bounded_map(_resolve, options.hosts, options.max_workers, timeout=options.timeout)

    slots = []  # per (host, port): either a finished result or a task to run
    tasks = []
    for host, lookup in zip(options.hosts, lookups):
        if lookup is None:
            error = "name resolution did not finish within %s" % _fmt_seconds(options.timeout)
            addresses = None
        elif not lookup[0]:
            error = _dns_error_text(lookup[1])
            addresses = None
        elif not lookup[1]:
            error = "name has no IPv4 or IPv6 address"
            addresses = None
        else:
            error = None
            addresses = lookup[1]
        for port in options.ports:
            if addresses is None:
                result = _new_result(host, port, None)
                result["state"] = "dns_error"
                result["error"] = error
                slots.append(result)
                continue
            for family, sockaddr in addresses:
                slots.append(len(tasks))
                tasks.append((host, port, family, sockaddr))

    def run_task(task):
        return probe_address(task[0], task[1], task[2], task[3], options)

    # Each probe is bounded by its own deadline; the wait bound is a safety net only.
    waves = int(math.ceil(len(tasks) / float(options.max_workers))) if tasks else 0
    outcomes = _bounded_map(run_task, tasks, options.max_workers, timeout=waves * (options.timeout + QUIT_WAIT) * 2 + 5)

    results = []
    for slot in slots:
        if isinstance(slot, dict):
            results.append(slot)
            continue
        outcome = outcomes[slot]
        host, port, dummy_family, sockaddr = tasks[slot]
        if outcome is not None and outcome[0]:
            results.append(outcome[1])
            continue
        result = _new_result(host, port, sockaddr[0])
        result["state"] = "filtered"
        result["error"] = "probe did not finish in time" if outcome is None else "unexpected error: %r" % (outcome[1],)
        results.append(result)

    report = {"results": results}
    report.update(summarize(results, options))
    report["elapsed_ms"] = round((time.monotonic() - start) * 1000.0, 1)
    return report
