# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate and resolve smarthost relay settings.

Shared by the Postfix and PowerMTA roles (through the ``egress.mail.relay_settings``
filter). Every error is a ValueError whose message starts with the full name of
the offending variable (``prefix + key``), so the user knows what to fix.
Passwords are validated but never returned and never quoted in messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import unicodedata

from collections.abc import Mapping, Sequence

from ansible_collections.egress.mail.plugins.module_utils.providers import PRESETS, get_preset, provider_names

SETTINGS_KEYS = (
    'host', 'port', 'provider', 'provider_region', 'username', 'password', 'password_set',
    'tls_security_level', 'allow_plaintext', 'sender_dependent', 'tls_ca_file', 'concurrency_limit',
    'sasl_mechanisms',
) + ('myhostname', 'myorigin', 'root_forward', 'sender_rewrite', 'mynetworks', 'inet_interfaces',
     'extra_config')
SENDER_DEPENDENT_KEYS = ('sender', 'host', 'port', 'username', 'password')
TLS_LEVELS = ('encrypt', 'verify', 'secure', 'may', 'none')
PLAINTEXT_TLS_LEVELS = ('may', 'none')
DEFAULT_PORT = 587
DEFAULT_TLS_SECURITY_LEVEL = 'encrypt'
DEFAULT_CANDIDATE_PORTS = [587, 2525, 465]
WRAPPER_PORT = 465
# Parallel connections to one relay. With TLS connection reuse a few connections carry the
# whole load (bench/throughput_bench.py measured 4, 8 and 20 within noise of each other), and
# fewer connections mean fewer handshakes and logins at the provider, which may cap them.
DEFAULT_CONCURRENCY_LIMIT = 10
MAX_CONCURRENCY_LIMIT = 100
MAX_USERNAME_LENGTH = 256
MAX_HOSTNAME_LENGTH = 253

_LABEL_RE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')
_DIGITS_RE = re.compile(r'^[0-9]+$')
_TRUE_STRINGS = ('yes', 'true', 'on', '1', 'y')
_FALSE_STRINGS = ('no', 'false', 'off', '0', 'n', '')
# Characters refused in host names, with a human description.
_HOST_BAD_CHARS = (
    (',', "a comma (give a single host)"),
    ('/', "'/'"),
    ('=', "'='"),
    ('#', "'#'"),
    ('[', "'[' (give the bare host name or IPv6 address; brackets are added where needed)"),
    (']', "']' (give the bare host name or IPv6 address; brackets are added where needed)"),
    ('@', "'@'"),
)
# Characters refused in the local part of a sender address.
_SENDER_LOCAL_BAD = set(',<>"():;[]\\@')


def _is_unset(value):
    """None, an empty or blank string count as 'not set'."""
    if value is None:
        return True
    if isinstance(value, str) and value.strip() == '':
        return True
    return False


def _has_control(value):
    for ch in value:
        if unicodedata.category(ch) in ('Cc', 'Cs'):
            return True
    return False


def _has_newline(value):
    return '\n' in value or '\r' in value


def _check_text(value, name, what):
    """Common checks for short single-token strings (host names, user names)."""
    if _has_newline(value):
        raise ValueError('%s: %s contains a newline' % (name, what))
    if _has_control(value):
        raise ValueError('%s: %s contains a control character' % (name, what))
    if any(ch.isspace() for ch in value):
        raise ValueError('%s: %s contains whitespace' % (name, what))


def to_bool(value, name):
    """Interpret a boolean setting strictly (bool, or yes/no/true/false strings)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_STRINGS:
        return False
    raise ValueError('%s: must be a boolean (true or false), got %r' % (name, value))


def _validate_ipv4(value, name):
    parts = value.split('.')
    if len(parts) != 4:
        raise ValueError('%s: %r is not a valid IPv4 address (need four dot-separated numbers)' % (name, value))
    for part in parts:
        if not _DIGITS_RE.fullmatch(part) or int(part) > 255 or (len(part) > 1 and part[0] == '0'):
            raise ValueError('%s: %r is not a valid IPv4 address' % (name, value))
    return value


def _validate_dns_name(value, name, what='host name'):
    """Validate an RFC 1123 host name; returns it lower-cased without a trailing dot."""
    text = value[:-1] if value.endswith('.') else value
    if not text:
        raise ValueError('%s: %r is not a valid %s' % (name, value, what))
    if len(text) > MAX_HOSTNAME_LENGTH:
        raise ValueError('%s: %s is longer than %d characters' % (name, what, MAX_HOSTNAME_LENGTH))
    labels = text.split('.')
    for label in labels:
        if label == '':
            raise ValueError('%s: %r has an empty label (two dots in a row, or a leading dot)' % (name, value))
        if len(label) > 63:
            raise ValueError('%s: %r has a label longer than 63 characters' % (name, value))
        if not _LABEL_RE.fullmatch(label):
            bad = [ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch == '-'))]
            if bad:
                raise ValueError('%s: %r contains the invalid character %r (allowed: letters, digits, '
                                 "'-' and '.')" % (name, value, bad[0]))
            raise ValueError("%s: %r has a label that starts or ends with '-'" % (name, value))
    if _DIGITS_RE.fullmatch(labels[-1]):
        raise ValueError('%s: %r is neither a valid IPv4 address nor a host name '
                         '(the last label is all digits)' % (name, value))
    return text.lower()


def validate_host(value, name):
    """Validate a relay host: a DNS host name, an IPv4 or an IPv6 address.

    Returns host names lower-cased without a trailing dot, IPv4 and IPv6
    addresses as given (IPv6 without brackets; the caller adds them).
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('%s: must be a host name or IP address string, got %s' % (name, type(value).__name__))
    if value.strip() == '':
        raise ValueError('%s: is empty' % name)
    _check_text(value, name, 'the host')
    for ch, desc in _HOST_BAD_CHARS:
        if ch in value:
            raise ValueError('%s: %r contains %s' % (name, value, desc))
    if ':' in value:
        if '%' in value:
            raise ValueError('%s: %r: IPv6 zone indexes are not supported' % (name, value))
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError("%s: %r contains ':' but is not an IPv6 address; give the port in the port "
                             'setting, not in the host' % (name, value))
        return value
    if re.fullmatch(r'[0-9.]+', value):
        return _validate_ipv4(value, name)
    return _validate_dns_name(value, name)


def validate_port(value, name, allow_auto=True):
    """Validate a port: int 1-65535, a numeric string or 'auto'. Returns int or 'auto'."""
    if isinstance(value, bool):
        raise ValueError('%s: must be a port number (1-65535)%s, not a boolean'
                         % (name, " or 'auto'" if allow_auto else ''))
    if isinstance(value, int):
        port = value
    elif isinstance(value, str):
        text = value.strip()
        if allow_auto and text.lower() == 'auto':
            return 'auto'
        if not _DIGITS_RE.fullmatch(text):
            raise ValueError('%s: %r is not a port number (1-65535)%s'
                             % (name, value, " or 'auto'" if allow_auto else ''))
        port = int(text)
    else:
        raise ValueError('%s: must be a port number (1-65535)%s, got %s'
                         % (name, " or 'auto'" if allow_auto else '', type(value).__name__))
    if port < 1 or port > 65535:
        raise ValueError('%s: %d is out of range (1-65535)' % (name, port))
    return port


def validate_username(value, name):
    """Validate a SASL user name (never echoed in messages)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('%s: must be a string (quote it in YAML), got %s' % (name, type(value).__name__))
    if value == '':
        raise ValueError('%s: is empty' % name)
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValueError('%s: is longer than %d characters' % (name, MAX_USERNAME_LENGTH))
    _check_text(value, name, 'the user name')
    if ',' in value:
        raise ValueError('%s: the user name contains a comma' % name)
    if ':' in value:
        raise ValueError("%s: the user name contains ':', which cannot be stored in a SASL password map "
                         '(user:password)' % name)
    return value


def validate_password(value, name):
    """Validate a password. Any printable character is allowed (space, ':', '#', '$', '%', ...).

    Refuses non-strings, the empty string, newlines and other control characters.
    The message never contains the password. Returns the password unchanged.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('%s: must be a string (quote it in YAML), got %s' % (name, type(value).__name__))
    if value == '':
        raise ValueError('%s: is empty' % name)
    if _has_newline(value):
        raise ValueError('%s: contains a newline (check for a trailing line break from a file or vault)' % name)
    if _has_control(value):
        raise ValueError('%s: contains a control character' % name)
    return value


def validate_sender(value, name):
    """Validate a sender-dependent lookup key: user@domain or @domain."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('%s: must be an address string (user@domain or @domain)' % name)
    if value.strip() == '':
        raise ValueError('%s: is empty' % name)
    _check_text(value, name, 'the sender')
    if ',' in value:
        raise ValueError('%s: %r contains a comma (one sender per entry)' % (name, value))
    if value.count('@') != 1:
        raise ValueError('%s: %r must be an address user@domain or a domain written as @domain' % (name, value))
    local, domain = value.split('@')
    bad = [ch for ch in local if ch in _SENDER_LOCAL_BAD]
    if bad:
        raise ValueError('%s: %r contains the invalid character %r in the local part' % (name, value, bad[0]))
    if domain == '':
        raise ValueError('%s: %r has no domain after @' % (name, value))
    domain = _validate_dns_name(domain, name, what='sender domain')
    return '%s@%s' % (local, domain)


def validate_tls_level(value, name):
    if not isinstance(value, str):
        raise ValueError('%s: must be one of %s' % (name, ', '.join(TLS_LEVELS)))
    level = value.strip().lower()
    if level not in TLS_LEVELS:
        raise ValueError('%s: %r is not one of %s' % (name, value, ', '.join(TLS_LEVELS)))
    return level


def validate_ca_file(value, name):
    if not isinstance(value, str):
        raise ValueError('%s: must be a file path string' % name)
    _check_text(value, name, 'the path')
    if not value.startswith('/'):
        raise ValueError('%s: %r must be an absolute path' % (name, value))
    if ',' in value:
        raise ValueError('%s: %r contains a comma' % (name, value))
    return value


def _wrappermode(port, preset):
    if port == 'auto':
        return False
    if port == WRAPPER_PORT:
        return True
    return bool(preset) and port in preset.get('tls_wrapper_ports', [])


def _credentials(username, password, password_set, names, hint=None):
    """Check that user name and password come as a pair; returns password_set."""
    user_name, pass_name = names
    if password is not None and not _is_unset(password):
        validate_password(password, pass_name)
        password_set = True
    if username is not None and not password_set:
        raise ValueError('%s: is required when %s is set' % (pass_name, user_name)
                         + (' (%s)' % hint if hint else ''))
    if username is None and password_set:
        raise ValueError('%s: is empty but %s is set; the relay needs both' % (user_name, pass_name)
                         + (' (user name: %s)' % hint if hint else ''))
    return password_set


def nexthop(host, port):
    """Postfix next-hop syntax: brackets suppress MX lookups; IPv6 literals carry ``ipv6:``."""
    return '[%s%s]:%s' % ('ipv6:' if ':' in host else '', host, port)


def validate_concurrency(value, name, preset=None):
    """Concurrent connections to the relay: 1 to 100, at most what the provider allows."""
    limit = (preset.get('max_connections') if preset else None) or 0
    if _is_unset(value):
        return limit or DEFAULT_CONCURRENCY_LIMIT
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _DIGITS_RE.match(value))):
        raise ValueError('%s: %r is not a whole number of connections (1 to %d)' % (name, value, MAX_CONCURRENCY_LIMIT))
    value = int(value)
    if not 1 <= value <= MAX_CONCURRENCY_LIMIT:
        raise ValueError('%s: %d is out of range (1 to %d)' % (name, value, MAX_CONCURRENCY_LIMIT))
    if limit and value > limit:
        raise ValueError("%s: %d is more than provider '%s' allows (%d concurrent connections; more are "
                         'refused with a temporary error and delay mail)' % (name, value, preset['name'], limit))
    return value


_MECHANISM_RE = re.compile(r'^!?[A-Za-z0-9*?_.:/-]+$')


def validate_sasl_mechanisms(value, name):
    """smtp_sasl_mechanism_filter entries: one mechanism name or pattern each (plain, !gssapi)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValueError('%s: must be a non-empty list of mechanism names such as plain, login' % name)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _MECHANISM_RE.match(item):
            raise ValueError('%s[%d]: %r is not one mechanism name or pattern (plain, login, !gssapi, ...): '
                             'no whitespace, line breaks, quotes or backslashes' % (name, index, item))
    return list(value)


def _resolve_sender_dependent(value, prefix, default_port, tls_level, preset):
    name = prefix + 'sender_dependent'
    if value is None or (isinstance(value, str) and value.strip() == ''):
        return []
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise ValueError('%s: must be a list of dicts (keys: %s)' % (name, ', '.join(SENDER_DEPENDENT_KEYS)))
    result = []
    seen = {}
    for index, entry in enumerate(value):
        ename = '%s[%d]' % (name, index)
        if not isinstance(entry, Mapping):
            raise ValueError('%s: must be a dict (keys: %s)' % (ename, ', '.join(SENDER_DEPENDENT_KEYS)))
        for key in sorted(entry, key=str):
            if key not in SENDER_DEPENDENT_KEYS:
                raise ValueError("%s: unknown key '%s' (valid keys: %s)"
                                 % (ename, key, ', '.join(SENDER_DEPENDENT_KEYS)))
        if _is_unset(entry.get('sender')):
            raise ValueError('%s.sender: is required (user@domain or @domain)' % ename)
        sender = validate_sender(entry['sender'], ename + '.sender')
        if sender.lower() in seen:
            raise ValueError('%s.sender: %r is already used by %s[%d]' % (ename, sender, name, seen[sender.lower()]))
        seen[sender.lower()] = index
        if _is_unset(entry.get('host')):
            raise ValueError('%s.host: is required' % ename)
        host = validate_host(entry['host'], ename + '.host')
        if _is_unset(entry.get('port')):
            port = default_port
        else:
            port = validate_port(entry['port'], ename + '.port')
        username = None
        if not _is_unset(entry.get('username')):
            username = validate_username(entry['username'], ename + '.username')
        password_set = _credentials(username, entry.get('password'), False,
                                    (ename + '.username', ename + '.password'))
        entry_preset = preset if preset and host == preset['host'] else None
        wrappermode = _wrappermode(port, entry_preset)
        if wrappermode and tls_level in PLAINTEXT_TLS_LEVELS:
            raise ValueError('%s.port: port %s uses implicit TLS (wrappermode), which cannot be combined with '
                             '%stls_security_level %r' % (ename, port, prefix, tls_level))
        result.append({
            'sender': sender,
            'host': host,
            'port': port,
            'nexthop': nexthop(host, port),
            'username': username,
            'password_set': password_set,
            'wrappermode': wrappermode,
        })
    return result


def resolve(settings, prefix=''):
    """Validate relay settings and fill in provider presets.

    ``settings`` keys: host, port, provider, provider_region, username,
    password_set (or password), tls_security_level, allow_plaintext,
    sender_dependent, tls_ca_file. ``prefix`` is prepended to every key in
    error messages (e.g. ``postfix_relay_``).

    Returns a dict without any password: host, port, username, password_set,
    wrappermode, tls_security_level, allow_plaintext, tls_ca_file, provider,
    provider_region, candidate_ports, tls_wrapper_ports, sender_dependent
    (each with a ``nexthop``), concurrency_limit.
    """
    if not isinstance(prefix, str):
        raise ValueError('relay settings: the variable prefix must be a string')
    if not isinstance(settings, Mapping):
        raise ValueError('%s*: the relay settings must be a dict, got %s' % (prefix, type(settings).__name__))

    def var(key):
        return prefix + key

    for key in sorted(settings, key=str):
        if key not in SETTINGS_KEYS:
            raise ValueError("%s: unknown relay setting '%s' (valid: %s)"
                             % (var(str(key)), key, ', '.join(SETTINGS_KEYS)))

    # Provider preset.
    preset = None
    provider = settings.get('provider')
    region = settings.get('provider_region')
    if not _is_unset(provider):
        if not isinstance(provider, str) or provider.strip().lower() not in PRESETS:
            raise ValueError("%s: unknown provider %r; valid providers: %s"
                             % (var('provider'), provider, ', '.join(provider_names())))
        try:
            preset = get_preset(provider, None if _is_unset(region) else region)
        except ValueError as exc:
            raise ValueError('%s: %s' % (var('provider_region'), exc))
    elif not _is_unset(region):
        raise ValueError('%s: is set but %s is empty' % (var('provider_region'), var('provider')))

    # Host.
    if not _is_unset(settings.get('host')):
        host = validate_host(settings['host'], var('host'))
    elif preset:
        host = preset['host']
    else:
        raise ValueError('%s: is required (or set %s to use a provider preset: %s)'
                         % (var('host'), var('provider'), ', '.join(provider_names())))

    # Port.
    if not _is_unset(settings.get('port')):
        port = validate_port(settings['port'], var('port'))
    elif preset:
        port = preset['port']
    else:
        port = DEFAULT_PORT
    wrappermode = _wrappermode(port, preset)

    # Credentials.
    hint = preset['username_hint'] if preset else None
    if not _is_unset(settings.get('username')):
        username = validate_username(settings['username'], var('username'))
    elif preset and preset.get('username'):
        username = preset['username']
    else:
        username = None
    password_set = to_bool(settings.get('password_set'), var('password_set'))
    if (_is_unset(settings.get('username')) and username is not None and not password_set
            and _is_unset(settings.get('password'))):
        raise ValueError("%s: is required: provider '%s' authenticates as %r (%s)"
                         % (var('password'), preset['name'], username, hint))
    password_set = _credentials(username, settings.get('password'), password_set,
                                (var('username'), var('password')), hint)
    if preset and preset.get('auth_required') and username is None:
        raise ValueError("%s: provider '%s' requires SMTP AUTH; set %s (%s) and %s"
                         % (var('username'), preset['name'], var('username'), hint, var('password')))

    # TLS.
    allow_plaintext = to_bool(settings.get('allow_plaintext'), var('allow_plaintext'))
    if _is_unset(settings.get('tls_security_level')):
        tls_level = DEFAULT_TLS_SECURITY_LEVEL
    else:
        tls_level = validate_tls_level(settings['tls_security_level'], var('tls_security_level'))
    if tls_level in PLAINTEXT_TLS_LEVELS:
        if wrappermode:
            raise ValueError('%s: %r cannot be used with port %s, which uses implicit TLS (wrappermode); '
                             'use encrypt, verify or secure' % (var('tls_security_level'), tls_level, port))
        if not allow_plaintext:
            raise ValueError('%s: %r lets mail%s travel in clear text; set %s: true to opt in'
                             % (var('tls_security_level'), tls_level,
                                ' and the password' if password_set else '', var('allow_plaintext')))
    tls_ca_file = None
    if not _is_unset(settings.get('tls_ca_file')):
        tls_ca_file = validate_ca_file(settings['tls_ca_file'], var('tls_ca_file'))

    sender_dependent = _resolve_sender_dependent(settings.get('sender_dependent'), prefix, port, tls_level,
                                                 preset)
    concurrency_limit = validate_concurrency(settings.get('concurrency_limit'), var('concurrency_limit'), preset)
    if 'sasl_mechanisms' in settings:
        validate_sasl_mechanisms(settings['sasl_mechanisms'], var('sasl_mechanisms'))
    check_local_settings(settings, prefix)

    return {
        'host': host,
        'port': port,
        'username': username,
        'password_set': password_set,
        'wrappermode': wrappermode,
        'tls_security_level': tls_level,
        'allow_plaintext': allow_plaintext,
        'tls_ca_file': tls_ca_file,
        'provider': preset['name'] if preset else None,
        'provider_region': preset['region'] if preset else None,
        'candidate_ports': list(preset['ports']) if preset else list(DEFAULT_CANDIDATE_PORTS),
        'tls_wrapper_ports': sorted(set([WRAPPER_PORT] + (list(preset['tls_wrapper_ports']) if preset else []))),
        'sender_dependent': sender_dependent,
        'concurrency_limit': concurrency_limit,
    }


_PARAM_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]*$')
# main.cf parameters the role derives from its checked variables: extra_config may not
# override them, or it could send mail in clear text, unauthenticated, or open the relay.
PROTECTED_PARAMETERS = frozenset((
    'relayhost', 'inet_interfaces', 'mynetworks', 'smtpd_relay_restrictions', 'smtpd_recipient_restrictions',
    'smtp_tls_security_level', 'smtp_tls_wrappermode', 'smtp_tls_CAfile', 'smtp_tls_CApath',
    'smtp_tls_protocols', 'smtp_tls_mandatory_protocols', 'smtp_tls_policy_maps', 'smtp_tls_verify_cert_match',
    'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'smtp_sasl_security_options',
    'smtp_sasl_tls_security_options', 'smtp_sasl_mechanism_filter', 'smtp_sasl_auth_soft_bounce',
    'smtp_sender_dependent_authentication', 'sender_dependent_default_transport_maps',
    'sender_dependent_relayhost_maps', 'default_transport', 'relay_transport', 'transport_maps',
    'always_bcc', 'sender_bcc_maps', 'recipient_bcc_maps',
))
_OPEN_NETWORKS = ('0.0.0.0/0', '0/0', '[::]/0', '[::/0]', '[0::0]/0')
_NETWORK_RE = re.compile(r'^(?:[0-9.]+(?:/[0-9]{1,2})?|\[[0-9A-Fa-f:.]+\](?:/[0-9]{1,3})?)$')


def validate_address(value, name):
    """A full mail address user@domain (no display name, no list)."""
    address = validate_sender(value, name)
    if address.startswith('@'):
        raise ValueError('%s: %r must be a full address user@domain' % (name, value))
    return address


def validate_network(value, name):
    """A mynetworks entry: 127.0.0.0/8, 192.0.2.1 or [::1]/128 (IPv6 in brackets)."""
    if not isinstance(value, str) or not _NETWORK_RE.match(value.strip()):
        raise ValueError('%s: %r is not a network such as 127.0.0.0/8 or [::1]/128' % (name, value))
    prefix = value.strip().rsplit('/', 1)[1] if '/' in value else None
    if value.strip() in _OPEN_NETWORKS or prefix == '0':
        raise ValueError('%s: %r would let every client relay (an open relay)' % (name, value))
    return value.strip()


def validate_interfaces(value, name):
    """inet_interfaces: all, loopback-only, or addresses / host names separated by commas."""
    if not isinstance(value, str) or value.strip() == '':
        raise ValueError('%s: must be all, loopback-only or a list of addresses' % name)
    _check_text(value, name, 'the value')
    for item in re.split(r'[,\s]+', value.strip()):
        if item in ('all', 'loopback-only'):
            continue
        validate_host(item, name)
    return value.strip()


def check_local_settings(settings, prefix=''):
    """Check the local side of a relay host (identity, listening, rewriting, extra main.cf).

    Every value that ends up in a configuration file is refused when it could inject
    configuration (newlines, commas where one item is expected, and so on).
    """
    def var(key):
        return prefix + key

    for key in ('myhostname', 'myorigin'):
        if not _is_unset(settings.get(key)):
            _validate_dns_name(settings[key], var(key))
    if not _is_unset(settings.get('root_forward')):
        validate_address(settings['root_forward'], var('root_forward'))
    rewrite = settings.get('sender_rewrite')
    if isinstance(rewrite, Mapping):
        for local, address in rewrite.items():
            if not isinstance(local, str) or local.strip() == '' or re.search(r'[\s,:]', local):
                raise ValueError('%s: %r is not a local address, user or @domain' % (var('sender_rewrite'), local))
            validate_address(address, '%s[%s]' % (var('sender_rewrite'), local))
    elif not _is_unset(rewrite):
        validate_address(rewrite, var('sender_rewrite'))
    networks = settings.get('mynetworks')
    if not _is_unset(networks):
        if isinstance(networks, str) or not isinstance(networks, Sequence) or not networks:
            raise ValueError('%s: must be a non-empty list of networks' % var('mynetworks'))
        for index, network in enumerate(networks):
            validate_network(network, '%s[%d]' % (var('mynetworks'), index))
    if settings.get('inet_interfaces') is not None:
        validate_interfaces(settings['inet_interfaces'], var('inet_interfaces'))
    extra = settings.get('extra_config')
    if not _is_unset(extra):
        if not isinstance(extra, Mapping):
            raise ValueError('%s: must be a dict of main.cf parameters' % var('extra_config'))
        for key, value in extra.items():
            if not isinstance(key, str) or not _PARAM_RE.match(key):
                raise ValueError('%s: %r is not a main.cf parameter name' % (var('extra_config'), key))
            if key in PROTECTED_PARAMETERS:
                raise ValueError('%s: %s is managed by the role from its checked variables and cannot be '
                                 'overridden here (TLS, authentication, relay access and routing)'
                                 % (var('extra_config'), key))
            text = ', '.join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
            if _has_newline(text) or _has_control(text):
                raise ValueError('%s.%s: contains a newline or control character' % (var('extra_config'), key))
