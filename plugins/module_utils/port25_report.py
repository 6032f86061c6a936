# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The data of the port25_audit report: one host's rows, then the rows and groups of the play.

``host_result`` turns one host's registered ``smtp_probe`` loop (one run per target) and its
``mail_queue`` result into the ``port25_audit_result`` fact; ``play_report`` joins the facts of
every host of the play into what the report templates print. Used by the
``egress.mail.port25_audit_result`` and ``egress.mail.port25_report`` filters, on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.egress.mail.plugins.module_utils.port25_explain import _STATE_ORDER

# What the detected cloud is called when none was detected, and what to do there.
UNKNOWN = "unknown"
UNKNOWN_WHAT_TO_DO = "The cloud provider was not detected: relay on the recommended port of the table."


def _fold(value):
    """Jinja's sort and min compare strings case-insensitively; so does the report."""
    return value.lower() if isinstance(value, str) else value


def _flatten(items):
    """Ansible's ``flatten`` filter: every level, nulls left out."""
    flat = []
    for item in items:
        if item is None or (isinstance(item, str) and item in ("None", "null")):
            continue
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        else:
            flat.append(item)
    return flat


def cell_state(results, port):
    """The state a report cell shows for a port: of every address, the one that got furthest."""
    seen = [r.get("state") for r in results if r.get("port") == int(port)]
    for state in _STATE_ORDER:
        if state in seen:
            return state
    return "not_probed"


def _provider(cloud):
    return (cloud["provider"], cloud["name"]) if cloud else (UNKNOWN, UNKNOWN)


def _policy_text(policy):
    if not policy:
        return None
    since = policy.get("since")
    return "%s%s" % (policy["status"], (" since %s" % since) if since else "")


def target_row(host, probe, queue, ports):
    """One row of the report: what ``host`` saw of one target (one registered smtp_probe run)."""
    results = probe["results"]
    latencies = [
        r["latency_ms"]
        for r in results
        if r.get("port") == probe["recommended_port"] and r.get("state") == "open" and r.get("latency_ms") is not None
    ]
    policy = probe["port25_policy"]
    provider, provider_name = _provider(probe["cloud"])
    waiting = queue["waiting"]
    return {
        "host": host,
        "target": probe["item"],
        "provider": provider,
        "provider_name": provider_name,
        "policy": _policy_text(policy),
        "what_to_do": policy["what_to_do"] if policy else None,
        "msg": probe["msg"],
        "cloud": probe["cloud"],
        "port25_policy": policy,
        "states": dict((str(port), cell_state(results, port)) for port in ports),
        "port25_blocked": probe["port25_blocked"],
        "recommended_port": probe["recommended_port"],
        "recommended_wrappermode": probe["recommended_wrappermode"],
        "mail_waiting": sum(waiting.values()),
        "mail_waiting_by_mta": dict((mta, count) for mta, count in waiting.items() if count != 0),
        "mail_waiting_reasons": _flatten([q["reasons"] for q in queue["queues"]]),
        "latency_ms": round(min(latencies, key=_fold), 1) if latencies else None,
        "open_ports": probe["open_ports"],
        "blocked_ports": probe["blocked_ports"],
        "probes": sorted(results, key=lambda r: [_fold(r.get("port")), _fold(r.get("address"))]),
    }


def host_blocked(rows):
    """Port 25 of a host: not blocked (False) when it got out to any target, blocked (True)
    when it was blocked towards some target and got out to none, unknown (None) otherwise."""
    values = [row["port25_blocked"] for row in rows]
    if False in values:
        return False
    if True in values:
        return True
    return None


def host_result(host, probes, queue, ports):
    """The ``port25_audit_result`` fact of a host: ``probes`` is the registered loop's
    ``results`` (one smtp_probe run per target), ``queue`` the mail_queue result."""
    rows = [target_row(host, probe, queue, ports) for probe in probes]
    first = probes[0]
    return {
        "host": host,
        "port25_blocked": host_blocked(rows),
        "cloud": first["cloud"],
        "port25_policy": first["port25_policy"],
        "mail_waiting": sum(queue["waiting"].values()),
        "targets": rows,
    }


def _no_result_row(host, ports):
    """The one row of a host without a result (it failed or was unreachable before it probed)."""
    return {
        "host": host,
        "target": None,
        "provider": None,
        "provider_name": None,
        "policy": None,
        "what_to_do": None,
        "msg": None,
        "cloud": None,
        "port25_policy": None,
        "states": dict((str(port), "no_result") for port in ports),
        "port25_blocked": None,
        "recommended_port": None,
        "recommended_wrappermode": None,
        "mail_waiting": None,
        "mail_waiting_by_mta": {},
        "mail_waiting_reasons": [],
        "latency_ms": None,
        "open_ports": [],
        "blocked_ports": [],
        "probes": [],
    }


def _group(provider, result, hosts):
    cloud = result["cloud"]
    policy = result["port25_policy"]
    return {
        "provider": provider,
        "name": cloud["name"] if cloud else UNKNOWN,
        "hosts": hosts,
        "policy": policy["status"] if policy else None,
        "since": policy["since"] if policy else None,
        "relay_ports": policy["relay_ports"] if policy else [],
        "what_to_do": policy["what_to_do"] if policy else UNKNOWN_WHAT_TO_DO,
        "source": policy["source"] if policy else None,
        "source_date": policy["source_date"] if policy else None,
    }


def play_report(results, hosts, ports):
    """The report of the play: ``results`` maps each host that has a result to its
    ``port25_audit_result``; ``hosts`` are all hosts of the play. Hosts sorted (case-insensitive,
    as Jinja sorts); a host without a result gets one row of ``no_result``. One group per cloud
    provider of the hosts with a result, in order of first appearance."""
    hosts = sorted(hosts, key=_fold)
    missing = [host for host in hosts if host not in results]
    rows = []
    groups = []
    by_provider = {}
    for host in hosts:
        if host in missing:
            rows.append(_no_result_row(host, ports))
            continue
        result = results[host]
        rows.extend(result["targets"])
        provider = _provider(result["cloud"])[0]
        if provider not in by_provider:
            by_provider[provider] = []
            groups.append(_group(provider, result, by_provider[provider]))
        by_provider[provider].append(host)
    targets = []
    for target in (row["target"] for row in rows if row["target"] is not None):
        if _fold(target) not in [_fold(seen) for seen in targets]:
            targets.append(target)  # the first spelling, as Jinja's unique keeps it
    return {"rows": rows, "hosts_without_result": missing, "providers": groups, "targets": targets}
