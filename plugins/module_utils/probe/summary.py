# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the results mean together: per port and per host, which port to use (the first of
`prefer` that is usable with TLS), and the message when none is.

Part of the smtp_probe logic; module_utils/smtp_probe is its public face.
"""

from ansible_collections.egress.mail.plugins.module_utils.probe.options import (
    BLOCKING_STATES,
    CONNECTED_STATES,
)


def _usable(result):
    return result["state"] == "open" and result["tls_version"] is not None


def summarize(results, options):
    """Compute the summary keys of the module's return value from the per-address results."""
    ports = options.ports
    open_ports = sorted(set(r["port"] for r in results if r["state"] == "open"))
    blocked_ports = []
    for port in sorted(ports):
        states = [r["state"] for r in results if r["port"] == port and r["state"] != "dns_error"]
        if states and all(s in BLOCKING_STATES for s in states):
            blocked_ports.append(port)

    port25_blocked = None
    if 25 in ports:
        on25 = [r for r in results if r["port"] == 25 and r["state"] != "dns_error"]
        if on25:
            if any(r["state"] in CONNECTED_STATES for r in on25):
                port25_blocked = False
            elif any(r["state"] not in BLOCKING_STATES and r["state"] != "dns_error" for r in results):
                port25_blocked = True

    by_host = {}
    for host in options.hosts:
        by_host[host] = None
        for port in options.prefer:
            if any(_usable(r) for r in results if r["host"] == host and r["port"] == port):
                by_host[host] = port
                break
    recommended = None
    for port in options.prefer:
        if all(any(_usable(r) for r in results if r["host"] == host and r["port"] == port) for host in options.hosts):
            recommended = port
            break
    return {
        "port25_blocked": port25_blocked,
        "open_ports": open_ports,
        "blocked_ports": blocked_ports,
        "recommended_port": recommended,
        "recommended_wrappermode": recommended is not None and recommended in options.implicit_tls_ports,
        "recommended_by_host": by_host,
    }


def _describe(result, options):
    state = result["state"]
    if state == "open" and result["tls_version"] is None:
        if result["port"] in options.implicit_tls_ports:
            text = "open without TLS"
        elif result["starttls"] and not options.starttls:
            text = "open without TLS (STARTTLS offered, but starttls=false)"
        elif result["starttls"] is False:
            text = "open without TLS (STARTTLS not offered)"
        else:
            text = "open without TLS"
    else:
        text = state
    if result["error"]:
        text = "%s (%s)" % (text, result["error"])
    return text


def unusable_message(report, options):
    """Explain, host by host and port by port, why no ``prefer`` port is usable with TLS."""
    results = report["results"]
    parts = []
    for host in options.hosts:
        if report["recommended_by_host"].get(host) is not None:
            continue
        mine = [r for r in results if r["host"] == host]
        if mine and all(r["state"] == "dns_error" for r in mine):
            parts.append("no usable relay port on %s: name resolution failed (%s)" % (host, mine[0]["error"]))
            continue
        port_parts = []
        for port in options.prefer:
            on_port = [r for r in mine if r["port"] == port]
            if not on_port:
                port_parts.append("%d not probed (not in ports)" % port)
                continue
            texts = [_describe(r, options) for r in on_port]
            if len(set(texts)) == 1:
                port_parts.append("%d %s" % (port, texts[0]))
            else:
                port_parts.append(
                    "%d: %s" % (port, ", ".join("%s %s" % (r["address"], text) for r, text in zip(on_port, texts)))
                )
        if not options.prefer:
            port_parts.append("prefer is empty")
        parts.append("no usable relay port on %s: %s" % (host, "; ".join(port_parts)))
    if not parts:
        usable = ", ".join("%s: %s" % (h, report["recommended_by_host"][h]) for h in options.hosts)
        parts.append(
            "every host has a usable port, but no port of prefer %s is open with TLS on all of them (%s)"
            % (list(options.prefer), usable)
        )
    return "require_recommended: " + " | ".join(parts)
