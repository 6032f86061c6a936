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
* the smarthost (host, port, provider, credentials) is resolved by ``relay_settings.resolve()``.

Every error is a ValueError whose message starts with the variable's full name. Passwords are
checked but never returned and never quoted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections.abc import Mapping

from ansible_collections.egress.mail.plugins.module_utils import network_policy
from ansible_collections.egress.mail.plugins.module_utils import pmta_config
from ansible_collections.egress.mail.plugins.module_utils import providers
from ansible_collections.egress.mail.plugins.module_utils import relay_settings

SETTINGS_KEYS = (
    "host",
    "port",
    "provider",
    "provider_region",
    "username",
    "password",
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
LISTENER_KEYS = ("address", "port")
USER_KEYS = ("name", "password")
SOURCE_KEYS = (
    "match",
    "require_auth",
    "always_allow_relaying",
    "allow_starttls",
    "require_starttls_before_auth",
    "smtp_service",
    "process_x_virtual_mta",
    "default_virtual_mta",
)
SOURCE_BOOLS = SOURCE_KEYS[1:-1]
VMTA_KEYS = ("name", "source_ip", "hostname", "domains", "smarthost")
VMTA_SMARTHOST_KEYS = ("host", "port", "username", "password")
DKIM_KEYS = ("selector", "domain", "key_file")
DEFAULT_MAX_SMTP_OUT = 20  # the reference's default (section 3.3.10.75)
VMTA_DOMAIN_KEYS = ("max_smtp_out", "retry_after", "bounce_after", "max_msg_rate")
POOL_KEYS = ("name", "members")
ACCESS_KEYS = ("address", "level")
ACCESS_LEVELS = ("admin", "monitor", "none")
ROUTE_DIRECTIVES = ("smtp-hosts", "route")
WRAPPER_PORT = 465
# The exact spellings of "every address" the template and PowerMTA know as the catch-all source.
CATCH_ALL = ("0/0", "0.0.0.0/0")
LISTEN_ALL = "0/0"
PACKAGE_EXTENSIONS = ("deb", "rpm")

# Characters PowerMTA gives a meaning inside a line: a comment, a quote, a stanza tag.
_LINE_SYNTAX = '#"<>'
# A user name or password value: printable, no comment sign, no double quote (PowerMTA has no
# escape), no angle bracket (the linter reads '<' and '>' as stanza tags).
_SECRET_FORBIDDEN = '#"<>'
# Booleans the template's `bool` filter reads the same way as this check in every ansible-core:
# a YAML boolean, or exactly one of these strings. ' yes', 'Y' or 'on' would be read one way
# here and another way there (an open relay if require_auth were read as no).
_BOOL_STRINGS = {"yes": True, "true": True, "no": False, "false": False}
_ASCII_RE = re.compile(r"[\x00-\x7f]*")


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


def _walk(value, name):
    """Refuse every string holding a bad character, anywhere in nested dicts and lists.

    Bad is what relay_settings refuses in every value, by Unicode category: controls (C0, DEL,
    C1: \\t \\n \\v \\f \\r \\x1c-\\x1e \\x85), format characters (zero-width, bidirectional
    controls and isolates, BOM, soft hyphen, tags), surrogates, line and paragraph separators.
    """
    pending = [(value, name)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            bad = next((char for char in item if relay_settings.forbidden_character(char)), None)
            if bad and where.endswith("password"):
                # Not even the code point: it would tell which character the password holds.
                raise ValueError(
                    "%s: contains a control or separator character; each value is "
                    "written on one line of the PowerMTA configuration" % where
                )
            if bad:
                raise ValueError(
                    "%s: contains the control or separator character U+%04X; each value is "
                    "written on one line of the PowerMTA configuration" % (where, ord(bad))
                )
        elif isinstance(item, Mapping):
            for key in item:
                if not isinstance(key, str):
                    raise ValueError("%s: keys must be strings, got %r" % (where, key))
                pending.append((key, "%s (a key)" % where))
                pending.append((item[key], "%s.%s" % (where, key)))
        elif isinstance(item, (list, tuple)):
            pending.extend((entry, "%s[%d]" % (where, index)) for index, entry in enumerate(item))


def _unset(value):
    return value is None or (isinstance(value, str) and value == "")


def _list(value, name, keys, required=(), allow_empty=True):
    """A list of dicts with only ``keys``, each holding the ``required`` ones."""
    if value is None:
        value = []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise ValueError("%s: must be a list of dicts, got %s" % (name, type(value).__name__))
    if not value and not allow_empty:
        raise ValueError("%s: needs at least one entry" % name)
    for index, entry in enumerate(value):
        where = "%s[%d]" % (name, index)
        if not isinstance(entry, Mapping):
            raise ValueError("%s: must be a dict, got %s" % (where, type(entry).__name__))
        for key in entry:
            if key not in keys:
                raise ValueError("%s: unknown key '%s' (valid: %s)" % (where, key, ", ".join(keys)))
        for key in required:
            if _unset(entry.get(key)):
                raise ValueError("%s.%s: is required" % (where, key))
    return list(value)


def _text(value, name, what, vtype=None, allow_empty=False):
    """A one-token string for the configuration, checked with the linter's own value type."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("%s: must be %s (a string), got %s" % (name, what, type(value).__name__))
    if value == "":
        if allow_empty:
            return value
        raise ValueError("%s: is empty; it must be %s" % (name, what))
    if any(char.isspace() for char in value) or any(char in value for char in _LINE_SYNTAX):
        raise ValueError("%s: %r must be %s, without blanks or any of %s" % (name, value, what, _LINE_SYNTAX))
    if not _ASCII_RE.fullmatch(value) or (vtype is not None and not pmta_config._check_value(vtype, value)):
        raise ValueError("%s: %r is not %s" % (name, value, what))
    return value


def _path(value, name, allow_empty=False):
    path = _text(value, name, "an absolute path", "path", allow_empty)
    if path and "//" in path:
        raise ValueError("%s: %r must be a plain absolute path" % (name, value))
    return path


def _uint(value, name, minimum=0):
    if isinstance(value, bool):
        raise ValueError("%s: must be an integer, not a boolean" % name)
    if isinstance(value, str) and re.fullmatch("[0-9]{1,9}", value, re.ASCII):
        value = int(value)
    if not isinstance(value, int) or value < minimum:
        raise ValueError("%s: must be an integer of at least %d, got %r" % (name, minimum, value))
    return value


def _bool(value, name):
    """A boolean as the template will read it: unset is false; see _BOOL_STRINGS."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _BOOL_STRINGS:
        return _BOOL_STRINGS[value]
    raise ValueError(
        "%s: must be true or false (a YAML boolean, or exactly yes, no, true or false), got %r" % (name, value)
    )


def _secret(value, name):
    """A password PowerMTA can read back: never quoted in a message, never returned."""
    relay_settings.validate_password(value, name)
    if any(char in value for char in _SECRET_FORBIDDEN):
        raise ValueError(
            "%s: must not contain '#', '\"', '<' or '>' (PowerMTA reads '#' as the "
            "start of a comment, '<' and '>' as stanza tags, and has no way to escape a quote)" % name
        )
    if value != value.strip():
        raise ValueError("%s: starts or ends with a blank; remove it (PowerMTA would not keep it)" % name)


def _network(value, name, catch_all=False):
    """A network (plain syntax); the exact catch-all spellings only where ``catch_all`` is allowed."""
    if catch_all and value in CATCH_ALL:
        return None
    if isinstance(value, str) and value.strip() in CATCH_ALL:
        raise ValueError("%s: %r covers every address: an open relay" % (name, value))
    return network_policy.parse_network(value, name, syntax="plain")


def _smarthost(settings, prefix):
    relay = relay_settings.resolve(
        {
            "host": settings.get("host"),
            "port": settings.get("port"),
            "provider": settings.get("provider"),
            "provider_region": settings.get("provider_region"),
            "username": settings.get("username"),
            "password_set": not _unset(settings.get("password")),
        },
        prefix,
    )
    if not _unset(settings.get("password")):
        _secret(settings["password"], prefix + "password")
    if relay["username"] is not None and any(char in relay["username"] for char in _SECRET_FORBIDDEN):
        raise ValueError("%susername: must not contain '#', '\"', '<' or '>'" % prefix)
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
        checked.append(relay_settings.validate_port(value, where, allow_auto=False))
        if checked[-1] == WRAPPER_PORT:
            raise ValueError("%s: 465 is implicit TLS; PowerMTA is configured for STARTTLS only" % where)
    _uint(settings.get("probe_timeout", 5), prefix + "probe_timeout", 1)
    if not _unset(settings.get("probe_ca_file")):
        relay_settings.validate_ca_file(settings["probe_ca_file"], prefix + "probe_ca_file")
    return checked


def _listeners(settings, prefix):
    name = prefix + "listeners"
    found = []
    for index, entry in enumerate(_list(settings.get("listeners"), name, LISTENER_KEYS, ("address",), False)):
        where = "%s[%d]" % (name, index)
        address = entry["address"]
        if address == LISTEN_ALL:
            loopback = False
        else:
            if isinstance(address, str) and "/" in address:
                raise ValueError(
                    "%s.address: %r: give one IPv4 address, or 0/0 for every local address" % (where, address)
                )
            net = network_policy.parse_network(address, where + ".address", syntax="plain")
            if net.version != 4:
                raise ValueError(
                    "%s.address: %r: only IPv4 listeners are supported (the IPv6 listener "
                    "syntax has not been checked against PowerMTA)" % (where, address)
                )
            loopback = network_policy.is_loopback(net)
        port = entry.get("port")
        port = 25 if port is None else relay_settings.validate_port(port, where + ".port", allow_auto=False)
        found.append({"address": address, "port": port, "loopback": loopback, "listener": "%s:%d" % (address, port)})
    return found


def _users(settings, prefix):
    name = prefix + "smtp_users"
    names = []
    for index, entry in enumerate(_list(settings.get("smtp_users"), name, USER_KEYS, ("name", "password"))):
        where = "%s[%d]" % (name, index)
        user = _text(entry["name"], where + ".name", "a user name (printable ASCII, no '{', '}')", "user")
        if user in names:
            raise ValueError("%s.name: %r is defined twice" % (where, user))
        names.append(user)
        _secret(entry["password"], where + ".password")
    return names


def _sources(settings, prefix, users, certificate):
    name = prefix + "sources"
    allow_public = _bool(settings.get("sources_allow_public"), prefix + "sources_allow_public")
    found, open_networks = [], []
    for index, entry in enumerate(_list(settings.get("sources"), name, SOURCE_KEYS, ("match",))):
        where = "%s[%d]" % (name, index)
        source = dict((key, _bool(entry.get(key), "%s.%s" % (where, key))) for key in SOURCE_BOOLS)
        source["smtp_service"] = True if entry.get("smtp_service") is None else source["smtp_service"]
        relays = source["always_allow_relaying"] and not source["require_auth"] and source["smtp_service"]
        source["match"] = entry["match"]
        net = _network(entry["match"], where + ".match", catch_all=not relays)
        source["catch_all"] = net is None
        if relays:
            open_networks.append(net)
        if net is not None and net.prefixlen == 0:  # defensive: parse_network refuses prefix 0
            raise ValueError("%s.match: covers every address" % where)
        if source["require_auth"] and not users:
            raise ValueError(
                "%s.require_auth: is true but %ssmtp_users is empty: nobody could log in" % (where, prefix)
            )
        for key in ("allow_starttls", "require_starttls_before_auth"):
            if source[key] and not certificate:
                raise ValueError(
                    "%s.%s: needs %sserver_tls_certificate (the certificate offered for STARTTLS)"
                    % (where, key, prefix)
                )
        source["default_virtual_mta"] = _text(
            entry.get("default_virtual_mta") or "",
            where + ".default_virtual_mta",
            "a virtual MTA or pool name",
            "name",
            allow_empty=True,
        )
        source["name"] = where
        found.append(source)
    if not allow_public:
        count4, count6 = network_policy.public_addresses(open_networks)
        if count4 > network_policy.PUBLIC_IPV4_LIMIT or count6 > network_policy.PUBLIC_IPV6_LIMIT:
            raise ValueError(
                "%s: the sources that relay without authentication cover %d public IPv4 and %d public IPv6 "
                "addresses together; at most %d IPv4 (a /24) and one IPv6 /64 may relay without an opt-in "
                "(set %ssources_allow_public: true if every client there may send mail through this host)"
                % (name, count4, count6, network_policy.PUBLIC_IPV4_LIMIT, prefix)
            )
    return found


def _access(settings, prefix):
    name = prefix + "http_access"
    found = []
    for index, entry in enumerate(_list(settings.get("http_access"), name, ACCESS_KEYS, ("address", "level"))):
        where = "%s[%d]" % (name, index)
        level = entry["level"]
        if not isinstance(level, str) or level not in ACCESS_LEVELS:
            raise ValueError("%s.level: must be one of %s, got %r" % (where, ", ".join(ACCESS_LEVELS), level))
        net = _network(entry["address"], where + ".address", catch_all=level == "none")
        if level != "none" and not network_policy.is_loopback(net):
            raise ValueError(
                "%s.address: %r is not a loopback address; level %s lets anyone there reload or "
                "reconfigure PowerMTA (use 127.0.0.1 or ::1, or level none)" % (where, entry["address"], level)
            )
        found.append({"address": entry["address"], "level": level})
    return found


def _virtual_mtas(settings, prefix):
    name = prefix + "virtual_mtas"
    names = []
    for index, entry in enumerate(
        _list(settings.get("virtual_mtas"), name, VMTA_KEYS, ("name", "source_ip", "hostname"))
    ):
        where = "%s[%d]" % (name, index)
        vmta = _text(entry["name"], where + ".name", "a name of letters, digits, ., _ and -", "name")
        if vmta in names:
            raise ValueError("%s.name: %r is defined twice" % (where, vmta))
        names.append(vmta)
        address = entry["source_ip"]
        if isinstance(address, str) and "/" in address:
            raise ValueError("%s.source_ip: %r must be one IP address" % (where, address))
        network_policy.parse_network(address, where + ".source_ip", syntax="plain")
        _text(entry["hostname"], where + ".hostname", "a host name", "hostname")
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
            _uint(domains["max_smtp_out"], where + ".domains.max_smtp_out")
        for key, vtype, what in (
            ("retry_after", "duration_list", "a time interval list such as 10m,1h"),
            ("bounce_after", "duration", "a time interval such as 4d12h"),
            ("max_msg_rate", "rate", "a rate such as 100/h"),
        ):
            if not _unset(domains.get(key)):
                _text(domains[key], "%s.domains.%s" % (where, key), what, vtype)
    return names


def _vmta_smarthost(value, where):
    """A virtual MTA's own smarthost: host, port (587 unless given; no probing), credentials."""
    if not isinstance(value, Mapping):
        raise ValueError("%s: must be a dict (keys: %s)" % (where, ", ".join(VMTA_SMARTHOST_KEYS)))
    for key in value:
        if key not in VMTA_SMARTHOST_KEYS:
            raise ValueError("%s: unknown key '%s' (valid: %s)" % (where, key, ", ".join(VMTA_SMARTHOST_KEYS)))
    if _unset(value.get("host")):
        raise ValueError("%s.host: is required" % where)
    relay_settings.validate_host(value["host"], where + ".host")
    port = 587
    if not _unset(value.get("port")):
        port = relay_settings.validate_port(value["port"], where + ".port", allow_auto=False)
    if port == WRAPPER_PORT:
        raise ValueError("%s.port: 465 is implicit TLS; PowerMTA is configured for STARTTLS only (587 or 2525)" % where)
    user, password = value.get("username"), value.get("password")
    if _unset(user) != _unset(password):
        raise ValueError(
            "%s.%s: is required when %s.%s is set"
            % (
                where,
                "password" if _unset(password) else "username",
                where,
                "username" if _unset(password) else "password",
            )
        )
    if not _unset(user):
        relay_settings.validate_username(user, where + ".username")
        if any(char in user for char in _SECRET_FORBIDDEN):
            raise ValueError("%s.username: must not contain '#', '\"', '<' or '>'" % where)
        _secret(password, where + ".password")
    return port


def _dkim(settings, prefix):
    name = prefix + "dkim_keys"
    found = []
    for index, entry in enumerate(_list(settings.get("dkim_keys"), name, DKIM_KEYS, DKIM_KEYS)):
        where = "%s[%d]" % (name, index)
        selector = _text(entry["selector"], where + ".selector", "a DKIM selector (letters, digits, ., _, -)", "name")
        domain = _text(entry["domain"], where + ".domain", "a domain name", "hostname")
        path = _path(entry["key_file"], where + ".key_file")
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
    if _unset(value):
        value = max(1, limit // queues) if limit else DEFAULT_MAX_SMTP_OUT
    else:
        value = _uint(value, name, 1)
    if limit:
        total = value + sum(_uint((v.get("domains") or {}).get("max_smtp_out") or value, name) for v in vmtas)
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
    name = prefix + "virtual_mta_pools"
    names = []
    for index, entry in enumerate(_list(settings.get("virtual_mta_pools"), name, POOL_KEYS, ("name",))):
        where = "%s[%d]" % (name, index)
        pool = _text(entry["name"], where + ".name", "a name of letters, digits, ., _ and -", "name")
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
    if not _bool(settings.get("install"), prefix + "install"):
        return
    ext = settings.get("package_ext")
    if ext not in PACKAGE_EXTENSIONS:
        raise ValueError(
            "%sinstall: is true, but only the Debian (.deb) and Red Hat (.rpm) families are supported" % prefix
        )
    for key in ("package_src", "license_src"):
        value = settings.get(key)
        if _unset(value) or not isinstance(value, str):
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
    if not isinstance(prefix, str):
        raise ValueError("powermta settings: the variable prefix must be a string")
    if not isinstance(settings, Mapping):
        raise ValueError("%s*: the settings must be a dict, got %s" % (prefix, type(settings).__name__))
    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError("%s%s: unknown setting (valid: %s)" % (prefix, key, ", ".join(SETTINGS_KEYS)))
    for key in sorted(settings):
        _walk(settings[key], prefix + key)

    relay = _smarthost(settings, prefix)
    probe_ports = _probe(settings, prefix, relay["port"])
    _bool(settings.get("require_starttls", True), prefix + "require_starttls")
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
    _text(
        settings.get("retry_after", "10m"),
        prefix + "retry_after",
        "a PowerMTA time interval list such as 10m, 1h or 10m,30m,1h",
        "duration_list",
    )
    _text(
        settings.get("backoff_retry_after", "1h"),
        prefix + "backoff_retry_after",
        "a PowerMTA time interval list such as 1h or 30m,1h",
        "duration_list",
    )
    _text(
        settings.get("backoff_max_msg_rate", ""),
        prefix + "backoff_max_msg_rate",
        "a rate such as 100/h or 83/10m",
        "rate",
        True,
    )
    _text(
        settings.get("backoff_to_normal_after", "1h"),
        prefix + "backoff_to_normal_after",
        "a time interval such as 1h, or never",
        "duration_or_never",
    )
    _bool(settings.get("throttling_patterns", True), prefix + "throttling_patterns")
    _text(settings.get("bounce_after", "4d12h"), prefix + "bounce_after", "a time interval such as 4d12h", "duration")
    _text(
        settings.get("acct_move_interval", ""),
        prefix + "acct_move_interval",
        "a time interval such as 1d",
        "duration",
        True,
    )
    _text(
        settings.get("acct_delete_after", ""),
        prefix + "acct_delete_after",
        "a time interval such as 30d, or never",
        "duration_or_never",
        True,
    )
    tls_ca_file = settings.get("tls_ca_file")
    if _unset(tls_ca_file):
        raise ValueError(
            "%stls_ca_file: is empty and this OS family has no known CA bundle; give the PEM file of "
            "the CAs that sign the smarthost certificate (smtp-tls-ca-file)" % prefix
        )
    _path(tls_ca_file, prefix + "tls_ca_file")
    dkim = _dkim(settings, prefix)

    certificate = _path(settings.get("server_tls_certificate", ""), prefix + "server_tls_certificate", True)
    _text(settings.get("postmaster", ""), prefix + "postmaster", "an e-mail address", "email", True)
    _text(settings.get("host_name", ""), prefix + "host_name", "a host name", "hostname", True)
    relay_settings.validate_port(settings.get("http_mgmt_port", 8080), prefix + "http_mgmt_port", allow_auto=False)
    _path(settings.get("log_file", "/var/log/pmta/log"), prefix + "log_file")
    _path(settings.get("spool_dir", "/var/spool/pmta"), prefix + "spool_dir")
    _path(settings.get("acct_file", ""), prefix + "acct_file", True)
    _text(settings.get("acct_max_size", "50M"), prefix + "acct_max_size", "a size such as 50M or unlimited", "size")

    listeners = _listeners(settings, prefix)
    users = _users(settings, prefix)
    sources = _sources(settings, prefix, users, certificate)
    access = _access(settings, prefix)
    vmtas = _virtual_mtas(settings, prefix)
    pools = _pools(settings, prefix, vmtas)
    for source in sources:
        if source["default_virtual_mta"] and source["default_virtual_mta"] not in vmtas + pools:
            raise ValueError(
                "%s.default_virtual_mta: %r is neither in %svirtual_mtas nor in %svirtual_mta_pools"
                % (source["name"], source["default_virtual_mta"], prefix, prefix)
            )

    exposed = [lst["listener"] for lst in listeners if not lst["loopback"]]
    if exposed:
        allow_list = [
            s
            for s in sources
            if s["always_allow_relaying"]
            and s["smtp_service"]
            and not s["catch_all"]
            and not network_policy.is_loopback(_network(s["match"], s["name"]))
        ]
        if not users and not allow_list:
            raise ValueError(
                "%slisteners: %s is not a loopback address: define %ssmtp_users (clients must log "
                "in) or allow-list the client networks in %ssources (always_allow_relaying: true)"
                % (prefix, ", ".join(exposed), prefix, prefix)
            )
        for source in sources:
            if source["catch_all"] and not source["require_auth"] and source["smtp_service"]:
                raise ValueError(
                    "%s.match: the catch-all %s serves the non-loopback listener %s without "
                    "authentication; set require_auth: true or smtp_service: false"
                    % (source["name"], source["match"], exposed[0])
                )
    _install(settings, prefix)

    return {
        "relay": dict(relay, smtp_host=smtp_host(relay["host"])),
        "max_smtp_out": max_smtp_out,
        "tls_ca_file": tls_ca_file,
        "dkim_keys": [
            "%s,%s,%s" % (e["selector"], e["domain"], e["key_file"])
            for e in _list(settings.get("dkim_keys"), prefix + "dkim_keys", DKIM_KEYS)
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
