# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check the variables of the powermta_relay role before anything is rendered.

One place for the role's rules (they were YAML asserts in tasks/validate.yml and settings.yml):

* every string anywhere in the input is refused if it holds a control character, a Unicode
  line or paragraph separator or an invisible format character: each value is written on one
  line of /etc/pmta/config, and PowerMTA and Python would not agree where that line ends;
* values are checked with the linter's own value types (``pmta_config``), so what this accepts
  is what ``egress.mail.pmta_config`` accepts once rendered;
* networks (sources, listeners, http-access) are parsed strictly with ``network_policy``:
  prefix 0 only as the exact catch-all ``0/0`` of a source that cannot relay, a public range
  wider than the limit only with ``<prefix>sources_allow_public``, an ``http-access`` entry
  above ``none`` only for loopback addresses;
* the smarthost (host, port, provider, credentials) is resolved by ``relay_settings.resolve()``,
  a virtual MTA's own smarthost with the shared host, port and credential rules
  (``net_values``, ``smarthost_settings``).

The value types are in ``pmta_values``, who may connect and relay in ``pmta_access``.

Every error is a ValueError whose message starts with the variable's full name. Passwords are
checked but never returned and never quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections.abc import Mapping

from ansible_collections.egress.mail.plugins.module_utils import network_policy, providers
from ansible_collections.egress.mail.plugins.module_utils import relay_settings
from ansible_collections.egress.mail.plugins.module_utils.net_values import validate_host, validate_port
from ansible_collections.egress.mail.plugins.module_utils.pmta_access import (
    ACCESS_KEYS,
    SOURCE_KEYS,
    check_exposure,
    check_http_access,
    check_listeners,
    check_sources,
    check_users,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta_values import (
    abs_path,
    check_lines,
    check_secret,
    check_user_name,
    dict_list,
    entries,
    flag,
    token,
    uint,
    unset,
)
from ansible_collections.egress.mail.plugins.module_utils.settings_values import check_settings_dict
from ansible_collections.egress.mail.plugins.module_utils.smarthost_settings import (
    RELAY_KEYS,
    WRAPPER_PORT,
    validate_ca_file,
    validate_username,
)

# check() and smtp_host() are the public face; the keys of the role's variables and entries too.
__all__ = ["ACCESS_KEYS", "SETTINGS_KEYS", "SOURCE_KEYS", "check", "smtp_host"]

SETTINGS_KEYS = RELAY_KEYS + (
    "require_starttls",
    "route_directive",
    "probe_ports",
    "probe_timeout",
    "probe_ca_file",
    "max_smtp_out",
    "retry_after",
    "listeners",
    "smtp_users",
    "sources",
    "sources_allow_public",
    "server_tls_certificate",
    "postmaster",
    "host_name",
    "virtual_mtas",
    "virtual_mta_pools",
    "http_mgmt_port",
    "http_access",
    "log_file",
    "acct_file",
    "acct_max_size",
    "spool_dir",
    "install",
    "package_src",
    "license_src",
    "package_ext",
    "tls_ca_file",
    "backoff_retry_after",
    "backoff_max_msg_rate",
    "backoff_to_normal_after",
    "throttling_patterns",
    "bounce_after",
    "acct_move_interval",
    "acct_delete_after",
    "dkim_keys",
)
VMTA_KEYS = ("name", "source_ip", "hostname", "domains", "smarthost")
VMTA_SMARTHOST_KEYS = ("host", "port", "username", "password")
DKIM_KEYS = ("selector", "domain", "key_file")
DEFAULT_MAX_SMTP_OUT = 20  # the reference's default (section 3.3.10.75)
VMTA_DOMAIN_KEYS = ("max_smtp_out", "retry_after", "bounce_after", "max_msg_rate")
POOL_KEYS = ("name", "members")
ROUTE_DIRECTIVES = ("smtp-hosts", "route")
PACKAGE_EXTENSIONS = ("deb", "rpm")


def smtp_host(host, port=None):
    """``host[:port]`` as smtp-hosts writes it (reference section 3.3.10.90): host names bare,
    ``[10.1.1.1]`` for IPv4, ``[IPv6:2001:db8::1]`` for IPv6."""
    host = str(host)
    if ":" in host:
        text = "[IPv6:%s]" % host
    elif re.fullmatch("[0-9]{1,3}(?:[.][0-9]{1,3}){3}", host, re.ASCII):
        text = "[%s]" % host
    else:
        text = host
    return text if port in (None, "") else "%s:%s" % (text, port)


def _smarthost(settings, prefix):
    relay = relay_settings.resolve(
        {
            "host": settings.get("host"),
            "port": settings.get("port"),
            "provider": settings.get("provider"),
            "provider_region": settings.get("provider_region"),
            "username": settings.get("username"),
            "password_set": not unset(settings.get("password")),
        },
        prefix,
    )
    if not unset(settings.get("password")):
        check_secret(settings["password"], prefix + "password")
    if relay["username"] is not None:
        check_user_name(relay["username"], prefix + "username")
    if relay["port"] != "auto" and (relay["port"] == WRAPPER_PORT or relay["wrappermode"]):
        raise ValueError(
            "%sport: %s is implicit TLS (wrapper mode), which PowerMTA is not configured for: "
            "its published smarthost settings are STARTTLS only, so use 587 or 2525" % (prefix, relay["port"])
        )
    return relay


def _probe(settings, prefix, port):
    if port != "auto":
        return []
    ports = settings.get("probe_ports")
    if isinstance(ports, (str, bytes, Mapping)) or not isinstance(ports, (list, tuple)) or not ports:
        raise ValueError("%sprobe_ports: must list at least one STARTTLS port (587, 2525...)" % prefix)
    checked = []
    for index, value in enumerate(ports):
        where = "%sprobe_ports[%d]" % (prefix, index)
        checked.append(validate_port(value, where, allow_auto=False))
        if checked[-1] == WRAPPER_PORT:
            raise ValueError("%s: 465 is implicit TLS; PowerMTA is configured for STARTTLS only" % where)
    uint(settings.get("probe_timeout", 5), prefix + "probe_timeout", 1)
    if not unset(settings.get("probe_ca_file")):
        validate_ca_file(settings["probe_ca_file"], prefix + "probe_ca_file")
    return checked


def _virtual_mtas(settings, prefix):
    names = []
    for where, entry in entries(settings, prefix, "virtual_mtas", VMTA_KEYS, ("name", "source_ip", "hostname")):
        vmta = token(entry["name"], where + ".name", "a name of letters, digits, ., _ and -", "name")
        if vmta in names:
            raise ValueError("%s.name: %r is defined twice" % (where, vmta))
        names.append(vmta)
        address = entry["source_ip"]
        if isinstance(address, str) and "/" in address:
            raise ValueError("%s.source_ip: %r must be one IP address" % (where, address))
        network_policy.parse_network(address, where + ".source_ip", syntax="plain")
        token(entry["hostname"], where + ".hostname", "a host name", "hostname")
        smarthost = entry.get("smarthost")
        if smarthost is not None:
            _vmta_smarthost(smarthost, where + ".smarthost")
        domains = entry.get("domains") or {}
        if not isinstance(domains, Mapping):
            raise ValueError("%s.domains: must be a dict" % where)
        for key in domains:
            if key not in VMTA_DOMAIN_KEYS:
                raise ValueError("%s.domains: unknown key '%s' (valid: %s)" % (where, key, ", ".join(VMTA_DOMAIN_KEYS)))
        if domains.get("max_smtp_out") is not None:
            uint(domains["max_smtp_out"], where + ".domains.max_smtp_out")
        for key, vtype, what in (
            ("retry_after", "duration_list", "a time interval list such as 10m,1h"),
            ("bounce_after", "duration", "a time interval such as 4d12h"),
            ("max_msg_rate", "rate", "a rate such as 100/h"),
        ):
            if not unset(domains.get(key)):
                token(domains[key], "%s.domains.%s" % (where, key), what, vtype)
    return names


def _vmta_smarthost(value, where):
    """A virtual MTA's own smarthost: host, port (587 unless given; no probing), credentials."""
    if not isinstance(value, Mapping):
        raise ValueError("%s: must be a dict (keys: %s)" % (where, ", ".join(VMTA_SMARTHOST_KEYS)))
    for key in value:
        if key not in VMTA_SMARTHOST_KEYS:
            raise ValueError("%s: unknown key '%s' (valid: %s)" % (where, key, ", ".join(VMTA_SMARTHOST_KEYS)))
    if unset(value.get("host")):
        raise ValueError("%s.host: is required" % where)
    validate_host(value["host"], where + ".host")
    port = 587
    if not unset(value.get("port")):
        port = validate_port(value["port"], where + ".port", allow_auto=False)
    if port == WRAPPER_PORT:
        raise ValueError("%s.port: 465 is implicit TLS; PowerMTA is configured for STARTTLS only (587 or 2525)" % where)
    user, password = value.get("username"), value.get("password")
    if unset(user) != unset(password):
        raise ValueError(
            "%s.%s: is required when %s.%s is set"
            % (
                where,
                "password" if unset(password) else "username",
                where,
                "username" if unset(password) else "password",
            )
        )
    if not unset(user):
        validate_username(user, where + ".username")
        check_user_name(user, where + ".username")
        check_secret(password, where + ".password")
    return port


def _dkim(settings, prefix):
    found = []
    for where, entry in entries(settings, prefix, "dkim_keys", DKIM_KEYS, DKIM_KEYS):
        selector = token(entry["selector"], where + ".selector", "a DKIM selector (letters, digits, ., _, -)", "name")
        domain = token(entry["domain"], where + ".domain", "a domain name", "hostname")
        path = abs_path(entry["key_file"], where + ".key_file")
        if "," in path:
            raise ValueError(
                "%s.key_file: %r contains a comma, which separates the fields of domain-key" % (where, path)
            )
        if (selector, domain.lower()) in [(f[0], f[1].lower()) for f in found]:
            raise ValueError("%s: selector %r of %r is defined twice" % (where, selector, domain))
        found.append((selector, domain))
    return found


def _max_smtp_out(settings, prefix, relay):
    """max-smtp-out per queue, held to the provider's documented limit (providers.py max_connections).

    PowerMTA opens max-smtp-out connections per queue: the top-level <domain *> and each virtual MTA
    that uses the same smarthost. Their sum may not exceed the provider's limit.
    """
    name = prefix + "max_smtp_out"
    limit = None
    if relay.get("provider"):
        limit = providers.get_preset(relay["provider"], relay.get("provider_region")).get("max_connections")
    vmtas = [v for v in (settings.get("virtual_mtas") or []) if isinstance(v, Mapping) and v.get("smarthost") is None]
    queues = 1 + len(vmtas)
    value = settings.get("max_smtp_out")
    if unset(value):
        value = max(1, limit // queues) if limit else DEFAULT_MAX_SMTP_OUT
    else:
        value = uint(value, name, 1)
    if limit:
        total = value + sum(uint((v.get("domains") or {}).get("max_smtp_out") or value, name) for v in vmtas)
        if total > limit:
            detail = ""
            if vmtas:
                detail = " in all (the top-level queue and %d virtual MTA(s) using the same smarthost)" % len(vmtas)
            hint = "; lower it or %svirtual_mtas[].domains.max_smtp_out" % prefix if vmtas else ""
            raise ValueError(
                "%s: %d connections%s is more than provider '%s' allows (%d concurrent connections; "
                "more are refused with a temporary error and delay mail)%s"
                % (name, total, detail, relay["provider"], limit, hint)
            )
    return value


def _pools(settings, prefix, vmtas):
    names = []
    for where, entry in entries(settings, prefix, "virtual_mta_pools", POOL_KEYS, ("name",)):
        pool = token(entry["name"], where + ".name", "a name of letters, digits, ., _ and -", "name")
        if pool in names or pool in vmtas:
            raise ValueError("%s.name: %r is already the name of a virtual MTA or pool" % (where, pool))
        names.append(pool)
        members = entry.get("members")
        if isinstance(members, (str, bytes, Mapping)) or not isinstance(members, (list, tuple)) or not members:
            raise ValueError("%s.members: must list at least one virtual MTA" % where)
        for position, member in enumerate(members):
            if member not in vmtas:
                raise ValueError("%s.members[%d]: %r is not in %svirtual_mtas" % (where, position, member, prefix))
    return names


def _install(settings, prefix):
    if not flag(settings.get("install"), prefix + "install"):
        return
    ext = settings.get("package_ext")
    if ext not in PACKAGE_EXTENSIONS:
        raise ValueError(
            "%sinstall: is true, but only the Debian (.deb) and Red Hat (.rpm) families are supported" % prefix
        )
    for key in ("package_src", "license_src"):
        value = settings.get(key)
        if unset(value) or not isinstance(value, str):
            raise ValueError("%s%s: is required when %sinstall is true" % (prefix, key, prefix))
    if not settings["package_src"].endswith("." + ext):
        raise ValueError(
            "%spackage_src: %r must be a .%s package on this OS family" % (prefix, settings["package_src"], ext)
        )


def check(settings, prefix="powermta_relay_"):
    """Validate the role variables (keys without ``prefix``); returns the checked view.

    The result holds no password: ``relay`` (relay_settings.resolve() of the smarthost, plus
    ``smtp_host``, the host as smtp-hosts writes it), ``max_smtp_out`` (held to the provider's limit),
    ``tls_ca_file``, ``dkim_keys`` (domain-key values), ``deprecations`` (messages to warn with),
    ``probe_ports``, ``listeners`` (address, port, loopback, listener), ``exposed_listeners``,
    ``sources`` (every flag filled in, ``catch_all``), ``smtp_users`` (names), ``http_access``,
    ``virtual_mtas`` and ``virtual_mta_pools`` (names).
    """
    check_settings_dict(settings, prefix, "powermta settings", "the settings")
    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError("%s%s: unknown setting (valid: %s)" % (prefix, key, ", ".join(SETTINGS_KEYS)))
    for key in sorted(settings):
        check_lines(settings[key], prefix + key)

    relay = _smarthost(settings, prefix)
    probe_ports = _probe(settings, prefix, relay["port"])
    flag(settings.get("require_starttls", True), prefix + "require_starttls")
    route = settings.get("route_directive", "smtp-hosts")
    if route not in ROUTE_DIRECTIVES:
        raise ValueError("%sroute_directive: must be one of %s, got %r" % (prefix, ", ".join(ROUTE_DIRECTIVES), route))
    deprecations = []
    if route == "route":
        deprecations.append(
            "%sroute_directive: route is deprecated by the PowerMTA reference (section 3.3.10.88, "
            '"use smtp-hosts instead"); the role still renders it, but set smtp-hosts' % prefix
        )
    max_smtp_out = _max_smtp_out(settings, prefix, relay)
    token(
        settings.get("retry_after", "10m"),
        prefix + "retry_after",
        "a PowerMTA time interval list such as 10m, 1h or 10m,30m,1h",
        "duration_list",
    )
    token(
        settings.get("backoff_retry_after", "1h"),
        prefix + "backoff_retry_after",
        "a PowerMTA time interval list such as 1h or 30m,1h",
        "duration_list",
    )
    token(
        settings.get("backoff_max_msg_rate", ""),
        prefix + "backoff_max_msg_rate",
        "a rate such as 100/h or 83/10m",
        "rate",
        True,
    )
    token(
        settings.get("backoff_to_normal_after", "1h"),
        prefix + "backoff_to_normal_after",
        "a time interval such as 1h, or never",
        "duration_or_never",
    )
    flag(settings.get("throttling_patterns", True), prefix + "throttling_patterns")
    token(settings.get("bounce_after", "4d12h"), prefix + "bounce_after", "a time interval such as 4d12h", "duration")
    token(
        settings.get("acct_move_interval", ""),
        prefix + "acct_move_interval",
        "a time interval such as 1d",
        "duration",
        True,
    )
    token(
        settings.get("acct_delete_after", ""),
        prefix + "acct_delete_after",
        "a time interval such as 30d, or never",
        "duration_or_never",
        True,
    )
    tls_ca_file = settings.get("tls_ca_file")
    if unset(tls_ca_file):
        raise ValueError(
            "%stls_ca_file: is empty and this OS family has no known CA bundle; give the PEM file of "
            "the CAs that sign the smarthost certificate (smtp-tls-ca-file)" % prefix
        )
    abs_path(tls_ca_file, prefix + "tls_ca_file")
    dkim = _dkim(settings, prefix)

    certificate = abs_path(settings.get("server_tls_certificate", ""), prefix + "server_tls_certificate", True)
    token(settings.get("postmaster", ""), prefix + "postmaster", "an e-mail address", "email", True)
    token(settings.get("host_name", ""), prefix + "host_name", "a host name", "hostname", True)
    validate_port(settings.get("http_mgmt_port", 8080), prefix + "http_mgmt_port", allow_auto=False)
    abs_path(settings.get("log_file", "/var/log/pmta/log"), prefix + "log_file")
    abs_path(settings.get("spool_dir", "/var/spool/pmta"), prefix + "spool_dir")
    abs_path(settings.get("acct_file", ""), prefix + "acct_file", True)
    token(settings.get("acct_max_size", "50M"), prefix + "acct_max_size", "a size such as 50M or unlimited", "size")

    listeners = check_listeners(settings, prefix)
    users = check_users(settings, prefix)
    sources = check_sources(settings, prefix, users, certificate)
    access = check_http_access(settings, prefix)
    vmtas = _virtual_mtas(settings, prefix)
    pools = _pools(settings, prefix, vmtas)
    for source in sources:
        if source["default_virtual_mta"] and source["default_virtual_mta"] not in vmtas + pools:
            raise ValueError(
                "%s.default_virtual_mta: %r is neither in %svirtual_mtas nor in %svirtual_mta_pools"
                % (source["name"], source["default_virtual_mta"], prefix, prefix)
            )

    exposed = check_exposure(listeners, users, sources, prefix)
    _install(settings, prefix)

    return {
        "relay": dict(relay, smtp_host=smtp_host(relay["host"])),
        "max_smtp_out": max_smtp_out,
        "tls_ca_file": tls_ca_file,
        "dkim_keys": [
            "%s,%s,%s" % (e["selector"], e["domain"], e["key_file"])
            for e in dict_list(settings.get("dkim_keys"), prefix + "dkim_keys", DKIM_KEYS)
        ]
        if dkim
        else [],
        "deprecations": deprecations,
        "probe_ports": probe_ports,
        "listeners": listeners,
        "exposed_listeners": exposed,
        "sources": [dict((k, v) for k, v in s.items() if k != "name") for s in sources],
        "smtp_users": users,
        "http_access": access,
        "virtual_mtas": vmtas,
        "virtual_mta_pools": pools,
    }
