# -*- coding: utf-8 -*-
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PowerMTA configuration, the meaning: what a parsed configuration does (open relay, exposed
listeners and admin access, routes and smarthosts, TLS floor, duplicates), as errors and
warnings; ``validate`` is the linter's entry point.

Layer 3 of the linter; module_utils/pmta_config is its public face."""

from __future__ import annotations

from ansible_collections.egress.mail.plugins.module_utils.network_policy import (
    PUBLIC_IPV4_LIMIT,
    PUBLIC_IPV6_LIMIT,
    public_addresses,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.parser import (
    _build,
    Directive,
    REDACTED,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.schema import (
    DIRECTIVES,
    REFERENCE,
    REPEATABLE,
    ROUTE_DIRECTIVES,
    _sort_key,
)
from ansible_collections.egress.mail.plugins.module_utils.pmta.values import (
    _check_value,
    _is_port,
    parse_bool,
    parse_hostport,
    parse_listener,
    parse_network,
    parse_smtp_hosts,
)


# --------------------------------------------------------------------------
# Semantic checks
# --------------------------------------------------------------------------


def _bool_of(stanza, name):
    directive = stanza.first(name)
    if directive is None or not directive.args:
        return None
    return parse_bool(directive.args[0])


def _is_loopback(net):
    return net is not None and net.is_loopback


def _is_wide(net):
    """A source range too wide to be an allow-list: 0/0, or public and bigger than a /24."""
    if net is None:
        return False
    if net.prefixlen == 0:
        return True
    if net.is_loopback or net.is_private:
        return False
    limit = 256 if net.version == 4 else 2**64
    return net.num_addresses > limit


def _route_of(directive, stanza):
    if not directive.args:
        return None
    levels = None
    if directive.key == "smtp-hosts":
        levels, _problem = parse_smtp_hosts(" ".join(directive.args))
        if not levels:
            return None
        first = levels[0][0]
        host, port = first["host"], first["port"]
    else:
        parsed = parse_hostport(directive.args[0])
        if parsed is None:
            return None
        host, port, _bracketed = parsed
    if port is None:
        default = stanza.first("default-smtp-port")
        if default is not None and default.args and _is_port(default.args[0]):
            port = int(default.args[0])
    route = {"directive": directive.key, "host": host, "port": port, "line": directive.line}
    if levels is not None:
        route["levels"] = [[dict(h) for h in level] for level in levels]
    return route


def _source_summary(stanza):
    return {
        "match": stanza.arg,
        "line": stanza.line,
        "always_allow_relaying": _bool_of(stanza, "always-allow-relaying"),
        "require_auth": _bool_of(stanza, "require-auth"),
        "allow_starttls": _bool_of(stanza, "allow-starttls"),
        "require_starttls_before_auth": _bool_of(stanza, "require-starttls-before-auth"),
        "smtp_service": _bool_of(stanza, "smtp-service"),
    }


class Report(object):
    """Result of validate(): valid, errors, warnings, summary, tree."""

    def __init__(self, root, errors, warnings, summary):
        self.root = root
        self.errors = sorted(errors, key=_sort_key)
        self.warnings = sorted(warnings, key=_sort_key)
        self.summary = summary

    @property
    def valid(self):
        return not self.errors

    def as_dict(self):
        return {
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "summary": self.summary,
        }


def _check_duplicates(root, warn):
    """Repeated directives and duplicate stanzas, block by block (iterative: any depth)."""
    pending = [root]
    while pending:
        stanza = pending.pop()
        seen_directives = {}
        seen_stanzas = {}
        for child in stanza.children:
            if isinstance(child, Directive):
                if child.key in REPEATABLE or child.key not in DIRECTIVES:
                    continue
                if child.key in seen_directives:
                    warn(
                        child.line,
                        "directive '%s' repeated in %s (first on line %d)"
                        % (child.key, stanza.label(), seen_directives[child.key]),
                    )
                else:
                    seen_directives[child.key] = child.line
            else:
                ident = (child.key, (child.arg or "").lower())
                if ident in seen_stanzas and not child.opaque:
                    warn(child.line, "duplicate %s (first on line %d)" % (child.label(), seen_stanzas[ident]))
                else:
                    seen_stanzas[ident] = child.line
                pending.append(child)


def _check_routes(domain_stanzas, error, warn, where):
    routes = []
    for stanza in domain_stanzas:
        for directive in stanza.children:
            if isinstance(directive, Directive) and directive.key in ROUTE_DIRECTIVES:
                routes.append((stanza, directive))
    if len(routes) > 1:
        first = routes[0][1]
        for _stanza, extra in routes[1:]:
            error(
                extra.line,
                "second route for %s: '%s' here and '%s' on line %d; exactly one "
                "route or smtp-hosts is allowed" % (where, extra.name, first.name, first.line),
            )
    for stanza, directive in routes[:1]:
        route = _route_of(directive, stanza)
        if route is None:
            return None
        if sum(len(level) for level in route.get("levels", [[]])) > 1:
            warn(
                directive.line,
                "smtp-hosts lists several hosts (%d preference level(s)); the summary "
                "reports the first" % len(route["levels"]),
            )
        if route["port"] is None:
            warn(
                directive.line,
                "'%s %s' has no port: PowerMTA would use port 25, which most "
                "clouds block; add :587 or :2525" % (directive.name, directive.args[0]),
            )
        elif route["port"] == 25:
            warn(directive.line, "'%s' uses port 25, which most clouds block outbound" % directive.name)
        return route
    return None


def validate(text, compact=False, fragment=False, extra_directives=(), policy=True):
    """Parse and check a whole configuration; returns a Report.

    Two questions, kept apart. Is this a valid PowerMTA configuration (syntax, stanzas, where
    each directive may appear, values, references between stanzas): always checked. Does it
    meet the relay policy of egress.mail.powermta_relay (``policy=True``, the default here; the
    module's ``relay_policy`` option): an explicit listener, exactly one route in ``<domain *>``,
    no TLS below 1.2 towards the smarthost, no open relay, no exposed listener without login, no
    remote admin access. With ``policy=False`` the relay-safety findings are warnings and the
    routing rules are not applied.

    With ``fragment=True`` the whole-file checks (a listener and exactly one
    route for ``<domain *>`` must exist) are skipped, for include files and
    snippets.
    """
    builder = _build(text, compact, extra_directives)
    root, errors, warnings = builder.root, builder.errors, builder.warnings
    error, warn = builder.error, builder.warn
    # Relay safety: an error under the relay policy, a warning for any other file.
    unsafe = error if policy else warn
    whole = policy and not fragment

    _check_duplicates(root, warn)

    # --- listeners -------------------------------------------------------
    listeners = []
    for directive in root.directives("smtp-listener"):
        parsed = parse_listener(directive.args[0]) if len(directive.args) == 1 else None
        if parsed is None:
            continue
        net, port = parsed
        listeners.append(
            {
                "address": directive.args[0].rpartition(":")[0],
                "port": port,
                "loopback": _is_loopback(net),
                "line": directive.line,
                "listener": directive.args[0],
            }
        )
    for directive in root.directives("http-access"):
        if len(directive.args) != 2 or directive.args[1].lower() == "none":
            continue
        net = parse_network(directive.args[0])
        if net is not None and not _is_loopback(net):
            unsafe(
                directive.line,
                "http-access %s %s: the %s level lets anyone there reload or change "
                "PowerMTA; give it only to loopback addresses (127.0.0.1, ::1)"
                % (directive.args[0], directive.args[1].lower(), directive.args[1].lower()),
            )
    if not listeners and whole:
        error(None, "no smtp-listener: declare the listener explicitly (for example 'smtp-listener 127.0.0.1:25')")

    # --- sources -----------------------------------------------------------
    sources = root.stanzas("source")
    source_args = set(s.arg for s in sources)
    catch_alls = []
    open_networks = []
    for stanza in sources:
        if not stanza.arg or stanza.arg.startswith("{"):
            continue
        net = parse_network(stanza.arg)
        relays = _bool_of(stanza, "always-allow-relaying") is True
        auth = _bool_of(stanza, "require-auth") is True
        if net is not None and net.prefixlen == 0:
            catch_alls.append((_bool_of(stanza, "require-auth"), _bool_of(stanza, "smtp-service")))
        if relays and not auth:
            if net is not None:
                open_networks.append(net)
            if _is_wide(net):
                unsafe(
                    stanza.line,
                    "open relay: <source %s> has always-allow-relaying yes without require-auth yes" % stanza.arg,
                )
            elif net is not None and not net.is_private and not net.is_loopback:
                warn(
                    stanza.line,
                    "<source %s> relays for public addresses without authentication; "
                    "make sure every address in it is yours" % stanza.arg,
                )
        if (_bool_of(stanza, "allow-starttls") or _bool_of(stanza, "require-starttls-before-auth")) and root.first(
            "smtp-server-tls-certificate"
        ) is None:
            warn(stanza.line, "<source %s> offers STARTTLS but no smtp-server-tls-certificate is set" % stanza.arg)
    count4, count6 = public_addresses([n for n in open_networks if n.prefixlen])
    if count4 > PUBLIC_IPV4_LIMIT or count6 > PUBLIC_IPV6_LIMIT:
        unsafe(
            None,
            "open relay: together the <source> stanzas with always-allow-relaying yes and no "
            "require-auth cover %d public IPv4 and %d public IPv6 addresses (at most a /24 and "
            "a /64)" % (count4, count6),
        )
    # The catch-all (<source 0/0>, possibly written as several stanzas) is safe only if its
    # clients must log in or get no service at all, and no stanza of it says otherwise.
    auth_values = set(a for a, _s in catch_alls if a is not None)
    service_values = set(v for _a, v in catch_alls if v is not None)
    catch_all_ok = auth_values == {True} or service_values == {False}
    exposed = [lst for lst in listeners if not lst["loopback"]]
    if exposed and not catch_all_ok:
        unsafe(
            exposed[0]["line"],
            "listener '%s' is not on a loopback address: add <source 0/0> with "
            "require-auth yes (clients must log in) or smtp-service no (only the "
            "allow-listed sources may connect)" % exposed[0]["listener"],
        )
    if any(_bool_of(s, "require-auth") for s in sources) and not root.stanzas("smtp-user"):
        warn(None, "a source requires authentication but no <smtp-user> is defined")

    # --- smtp users --------------------------------------------------------
    for stanza in root.stanzas("smtp-user"):
        method = stanza.first("authentication-method")
        method = method.args[0].lower() if method is not None and method.args else "password"
        if method == "password" and stanza.first("password") is None:
            error(stanza.line, "<smtp-user %s> has no password" % stanza.arg)
        for directive in stanza.directives("source"):
            # A value the schema refuses ("expects a source name in braces") is its error alone.
            if (
                directive.args
                and _check_value("named_source", directive.args[0])
                and directive.args[0] not in source_args
            ):
                error(
                    directive.line,
                    "<smtp-user %s> refers to %s but no <source %s> is defined"
                    % (stanza.arg, directive.args[0], directive.args[0]),
                )

    # --- virtual MTAs and pools -------------------------------------------
    rule = error if policy else _ignore
    note = warn if policy else _ignore
    wildcard = [s for s in root.stanzas("domain") if s.arg == "*"]
    vmtas = {}
    for stanza in root.stanzas("virtual-mta"):
        vmtas.setdefault(stanza.arg, stanza)
    for stanza in root.stanzas("virtual-mta") + root.stanzas("virtual-mta-pool"):
        inner = [s for s in stanza.stanzas("domain") if s.arg == "*"]
        if inner:
            _check_routes(inner, rule, note, "<domain *> in %s" % stanza.label())
            if policy:
                # Whether a virtual MTA's <domain *> inherits the top-level one is not in the
                # reference transcription: its own route must carry its own TLS floor.
                _check_tls_floor(inner, error)
    pools = {}
    pool_lines = {}
    for stanza in root.stanzas("virtual-mta-pool"):
        members = []
        pool_lines[stanza.arg] = (stanza.line, [])
        for directive in stanza.directives("virtual-mta"):
            if not directive.args:
                continue
            members.append(directive.args[0])
            pool_lines[stanza.arg][1].append((directive.args[0], directive.line))
            if directive.args[0] not in vmtas:
                error(
                    directive.line,
                    "<virtual-mta-pool %s> lists unknown virtual MTA '%s'" % (stanza.arg, directive.args[0]),
                )
        if not members:
            error(stanza.line, "<virtual-mta-pool %s> has no members" % stanza.arg)
        pools[stanza.arg] = members
    for stanza in sources:
        for directive in stanza.directives("default-virtual-mta"):
            if directive.args and directive.args[0] not in vmtas and directive.args[0] not in pools:
                error(
                    directive.line,
                    "default-virtual-mta '%s' is neither a <virtual-mta> nor a <virtual-mta-pool>" % directive.args[0],
                )

    # --- the default route -------------------------------------------------
    route = None
    starttls = {"use": None, "require": None}
    auth_user = None
    auth_user_line = None
    auth_password_set = False
    if not wildcard:
        if whole:
            error(None, "no <domain *> stanza: all mail must be routed to the smarthost with route or smtp-hosts")
    else:
        route = _check_routes(wildcard, rule, note, "<domain *>")
        has_route = any(d.key in ROUTE_DIRECTIVES for s in wildcard for d in s.directives())
        if policy and has_route:
            _check_tls_floor(wildcard, error)
            if _last_value(wildcard, "smtp-tls-ca-file") is None:
                warn(
                    wildcard[0].line,
                    "<domain *> has no smtp-tls-ca-file: PowerMTA does not verify the smarthost's certificate",
                )
        if not has_route and whole:
            error(
                wildcard[0].line,
                "<domain *> has no route or smtp-hosts: mail would go straight to each recipient's MX on port 25",
            )
        for stanza in wildcard:
            starttls["use"] = _first_not_none(_bool_of(stanza, "use-starttls"), starttls["use"])
            starttls["require"] = _first_not_none(_bool_of(stanza, "require-starttls"), starttls["require"])
            user = stanza.first("auth-username")
            if user is not None and user.args:
                auth_user, auth_user_line = user.args[0], user.line
            if stanza.first("auth-password") is not None:
                auth_password_set = True
        if auth_password_set and auth_user is None:
            warn(wildcard[0].line, "auth-password is set in <domain *> but auth-username is not")
        if auth_password_set and starttls["require"] is not True:
            warn(
                wildcard[0].line,
                "credentials for the smarthost without 'require-starttls yes': they could be sent before TLS is up",
            )
        if starttls["use"] is False and starttls["require"] is True:
            warn(wildcard[0].line, "<domain *> has use-starttls no but require-starttls yes")

    certificate = root.first("smtp-server-tls-certificate")
    secret_lines = builder.secret_lines

    def hide(value, line):
        """Nothing read from a line that holds a password reaches the summary."""
        return REDACTED if line in secret_lines else value

    for lst in listeners:
        lst["address"], lst["listener"] = hide(lst["address"], lst["line"]), hide(lst["listener"], lst["line"])
    if route is not None:
        route["host"] = hide(route["host"], route["line"])
    user_stanzas = root.stanzas("smtp-user")
    tls = dict(
        (key, _bool_value(_last_value(wildcard, "smtp-tls-allow-" + key)))
        for key in ("tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3")
    )
    tls["ca_file"] = _last_value(wildcard, "smtp-tls-ca-file")
    tls["log_tls"] = _bool_value(_last_value(wildcard, "log-tls"))
    summary = {
        "policy": bool(policy),
        "tls": tls,
        "unchecked_directives": sorted(builder.unchecked.values(), key=lambda item: item["line"]),
        "listeners": [lst["listener"] for lst in listeners],
        "listener_details": listeners,
        "route": route,
        "starttls": starttls,
        "auth_user": hide(auth_user, auth_user_line),
        "auth_password_set": auth_password_set,
        "server_tls_certificate": hide(certificate.args[0], certificate.line)
        if certificate is not None and certificate.args
        else None,
        "sources": [dict(_source_summary(s), match=hide(s.arg, s.line)) for s in sources],
        "smtp_users": [hide(s.arg, s.line) for s in user_stanzas],
        "virtual_mtas": [
            {
                "name": hide(name, s.line),
                "line": s.line,
                "source_hosts": [[hide(a, d.line) for a in d.args] for d in s.directives("smtp-source-host")],
            }
            for name, s in vmtas.items()
        ],
        "virtual_mta_pools": [
            {"name": hide(name, line), "members": [hide(m, ml) for m, ml in members]}
            for name, (line, members) in pool_lines.items()
        ],
    }
    return Report(root, errors, warnings, summary)


def _ignore(_line, _message, redacted=None):
    return None


def _last_value(stanzas, name):
    """The first value of the last ``name`` in ``stanzas`` (later stanzas win), or None."""
    found = None
    for stanza in stanzas:
        for directive in stanza.directives(name):
            if directive.args:
                found = directive.args[0]
    return found


def _bool_value(value):
    return None if value is None else parse_bool(value)


# The reference's defaults (section 3.3.10.95.6-9): TLSv1 off, TLSv1.1 on.
_TLS_DEFAULTS = {"tlsv1": False, "tlsv1.1": True}


def _check_tls_floor(stanzas, error):
    """Under the relay policy no TLS below 1.2 towards the smarthost: TLSv1 and TLSv1.1 must be off.

    Only ``stanzas`` count: an unset version has the reference's default, never a value of
    another block (whether a virtual MTA's <domain *> inherits the top-level one is not in the
    reference transcription)."""
    routes = [d for s in stanzas for d in s.directives() if d.key in ROUTE_DIRECTIVES]
    if not routes:
        return
    for version, default in sorted(_TLS_DEFAULTS.items()):
        name = "smtp-tls-allow-" + version
        value = _bool_value(_last_value(stanzas, name))
        unset = value is None
        if unset:
            value = default
        if value:
            error(
                routes[0].line,
                "relay policy: %s is %s for this route (%s); TLS below 1.2 must be off "
                "towards the smarthost: add '%s no'"
                % (name, "on by default" if unset else "on", REFERENCE[name], name),
            )


def _first_not_none(value, fallback):
    return fallback if value is None else value
