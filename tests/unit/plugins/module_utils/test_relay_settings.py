# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.egress.mail.plugins.module_utils.relay_settings import (
    resolve,
    validate_host,
    validate_password,
    validate_port,
    validate_sender,
)

P = 'postfix_relay_'
SECRET = 'p:a ss#w0rd$%'
AUTH = {'username': 'relayuser', 'password_set': True}


def _s(**kwargs):
    settings = {'host': 'smtp.example.com'}
    settings.update(kwargs)
    return settings


# (id, settings, variable the message must start with, fragment the message must contain)
BAD = [
    ('host-missing', {}, P + 'host', 'required'),
    ('host-empty', {'host': '', 'port': 587}, P + 'host', 'required'),
    ('host-blank-preset-less', {'host': '   '}, P + 'host', 'required'),
    ('host-space', _s(host='smtp example.com'), P + 'host', 'whitespace'),
    ('host-newline', _s(host='smtp.example.com\nrelayhost = evil'), P + 'host', 'newline'),
    ('host-tab', _s(host='smtp.example.com\t'), P + 'host', 'control'),
    ('host-comma', _s(host='a.example.com,b.example.com'), P + 'host', 'comma'),
    ('host-with-port', _s(host='smtp.example.com:587'), P + 'host', "port setting"),
    ('host-brackets', _s(host='[smtp.example.com]'), P + 'host', 'bracket'),
    ('host-bracketed-ipv6', _s(host='[2001:db8::1]'), P + 'host', 'bracket'),
    ('host-slash', _s(host='smtp.example.com/24'), P + 'host', "'/'"),
    ('host-equals', _s(host='relayhost=smtp.example.com'), P + 'host', "'='"),
    ('host-hash', _s(host='smtp.example.com#comment'), P + 'host', "'#'"),
    ('host-underscore', _s(host='smtp_relay.example.com'), P + 'host', 'invalid character'),
    ('host-double-dot', _s(host='smtp..example.com'), P + 'host', 'empty label'),
    ('host-leading-hyphen', _s(host='-smtp.example.com'), P + 'host', "'-'"),
    ('host-long-label', _s(host='a' * 64 + '.example.com'), P + 'host', '63'),
    ('host-too-long', _s(host='.'.join(['abcdefghi'] * 26)), P + 'host', '253'),
    ('host-bad-ipv4', _s(host='256.1.1.1'), P + 'host', 'IPv4'),
    ('host-short-ipv4', _s(host='10.1.1'), P + 'host', 'IPv4'),
    ('host-numeric-tld', _s(host='smtp.example.123'), P + 'host', 'all digits'),
    ('host-bad-ipv6', _s(host='2001:db8:::1'), P + 'host', 'IPv6'),
    ('host-ipv6-zone', _s(host='fe80::1%eth0'), P + 'host', 'zone'),
    ('host-not-string', _s(host=['smtp.example.com']), P + 'host', 'string'),
    ('host-trailing-newline', _s(host='smtp.example.com\n'), P + 'host', 'newline'),
    ('port-inner-newline', _s(port='5\n87'), P + 'port', 'newline'),
    ('port-zero', _s(port=0), P + 'port', 'out of range'),
    ('port-70000', _s(port=70000), P + 'port', 'out of range'),
    ('port-70000-str', _s(port='70000'), P + 'port', 'out of range'),
    ('port-abc', _s(port='abc'), P + 'port', 'not a port'),
    ('port-negative', _s(port='-1'), P + 'port', 'not a port'),
    ('port-true', _s(port=True), P + 'port', 'boolean'),
    ('port-false', _s(port=False), P + 'port', 'boolean'),
    ('port-float', _s(port=587.0), P + 'port', 'float'),
    ('provider-unknown', {'provider': 'sendgird'}, P + 'provider', 'sendgrid'),
    ('provider-not-string', {'provider': 5}, P + 'provider', 'unknown provider'),
    ('ses-no-region', {'provider': 'ses', 'username': 'AKIA1', 'password_set': True}, P + 'provider_region',
     'needs a region'),
    ('ses-bad-region', {'provider': 'ses', 'provider_region': 'europe', 'username': 'A', 'password_set': True},
     P + 'provider_region', 'region'),
    ('sparkpost-bad-region', {'provider': 'sparkpost', 'provider_region': 'us', 'password_set': True},
     P + 'provider_region', 'eu'),
    ('region-without-provider', _s(provider_region='eu'), P + 'provider_region', P + 'provider'),
    ('region-for-regionless', {'provider': 'postmark', 'provider_region': 'eu'}, P + 'provider_region',
     'no regions'),
    ('username-without-password', _s(username='bob'), P + 'password', 'required'),
    ('password-without-username', _s(password_set=True), P + 'username', P + 'password'),
    ('password-value-without-username', _s(password=SECRET), P + 'username', P + 'password'),
    ('preset-user-without-password', {'provider': 'sendgrid'}, P + 'password', 'apikey'),
    ('preset-auth-required', {'provider': 'mailgun'}, P + 'username', 'postmaster@your-domain'),
    ('username-space', _s(username='bob smith', password_set=True), P + 'username', 'whitespace'),
    ('username-newline', _s(username='bob\n', password_set=True), P + 'username', 'newline'),
    ('username-comma', _s(username='bob,alice', password_set=True), P + 'username', 'comma'),
    ('username-colon', _s(username='SMTP_Injection:X-MSYS-SUBACCOUNT=1', password_set=True), P + 'username', "':'"),
    ('username-control', _s(username='bob\x07', password_set=True), P + 'username', 'control'),
    ('username-too-long', _s(username='u' * 257, password_set=True), P + 'username', '256'),
    ('username-int', _s(username=12345, password_set=True), P + 'username', 'string'),
    ('password-newline', _s(username='bob', password='secret\n'), P + 'password', 'newline'),
    ('password-int', _s(username='bob', password=1234), P + 'password', 'string'),
    ('password-set-not-bool', _s(password_set='maybe'), P + 'password_set', 'boolean'),
    ('tls-unknown', _s(tls_security_level='dane'), P + 'tls_security_level', 'not one of'),
    ('tls-may-no-optin', _s(tls_security_level='may'), P + 'tls_security_level', P + 'allow_plaintext: true'),
    ('tls-none-no-optin', _s(tls_security_level='none'), P + 'tls_security_level', P + 'allow_plaintext: true'),
    ('tls-may-optin-false', _s(tls_security_level='may', allow_plaintext=False), P + 'tls_security_level',
     'opt in'),
    ('tls-may-wrapper', _s(port=465, tls_security_level='may', allow_plaintext=True), P + 'tls_security_level',
     'implicit TLS'),
    ('allow-plaintext-garbage', _s(allow_plaintext='sure'), P + 'allow_plaintext', 'boolean'),
    ('ca-relative', _s(tls_ca_file='certs/ca.pem'), P + 'tls_ca_file', 'absolute'),
    ('unknown-setting', _s(hots='x'), P + 'hots', 'unknown relay setting'),
    ('sd-not-list', _s(sender_dependent={'sender': '@a.example'}), P + 'sender_dependent', 'list'),
    ('sd-string', _s(sender_dependent='@a.example smtp.example.com'), P + 'sender_dependent', 'list'),
    ('sd-entry-not-dict', _s(sender_dependent=['@a.example']), P + 'sender_dependent[0]', 'dict'),
    ('sd-unknown-key', _s(sender_dependent=[
        {'sender': '@a.example', 'host': 'r.example.com'},
        {'sender': '@b.example', 'host': 'r.example.com'},
        {'sender': '@c.example', 'hots': 'r.example.com'},
    ]), P + 'sender_dependent[2]', "unknown key 'hots'"),
    ('sd-no-sender', _s(sender_dependent=[{'host': 'r.example.com'}]), P + 'sender_dependent[0].sender',
     'required'),
    ('sd-sender-no-at', _s(sender_dependent=[{'sender': 'a.example', 'host': 'r.example.com'}]),
     P + 'sender_dependent[0].sender', '@domain'),
    ('sd-sender-space', _s(sender_dependent=[{'sender': 'bob @a.example', 'host': 'r.example.com'}]),
     P + 'sender_dependent[0].sender', 'whitespace'),
    ('sd-sender-comma', _s(sender_dependent=[{'sender': 'a@a.example,b@a.example', 'host': 'r.example.com'}]),
     P + 'sender_dependent[0].sender', 'comma'),
    ('sd-sender-two-at', _s(sender_dependent=[{'sender': 'a@b@a.example', 'host': 'r.example.com'}]),
     P + 'sender_dependent[0].sender', '@domain'),
    ('sd-sender-bad-domain', _s(sender_dependent=[{'sender': '@a_b.example', 'host': 'r.example.com'}]),
     P + 'sender_dependent[0].sender', 'invalid character'),
    ('sd-duplicate', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com'},
                                          {'sender': '@A.example', 'host': 's.example.com'}]),
     P + 'sender_dependent[1].sender', 'already used'),
    ('sd-no-host', _s(sender_dependent=[{'sender': '@a.example'}]), P + 'sender_dependent[0].host', 'required'),
    ('sd-bad-host', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com:2525'}]),
     P + 'sender_dependent[0].host', "':'"),
    ('sd-bad-port', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com', 'port': 0}]),
     P + 'sender_dependent[0].port', 'out of range'),
    ('sd-user-no-password', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com',
                                                  'username': 'u'}]),
     P + 'sender_dependent[0].password', 'required'),
    ('sd-password-no-user', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com',
                                                  'password': SECRET}]),
     P + 'sender_dependent[0].username', 'password'),
    ('sd-password-newline', _s(sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com',
                                                  'username': 'u', 'password': 'x\ny'}]),
     P + 'sender_dependent[0].password', 'newline'),
    ('sd-wrapper-plaintext', _s(tls_security_level='may', allow_plaintext=True,
                                sender_dependent=[{'sender': '@a.example', 'host': 'r.example.com', 'port': 465}]),
     P + 'sender_dependent[0].port', 'implicit TLS'),
    ('settings-not-dict', ['host'], P + '*', 'dict'),
    ('concurrency-zero', _s(concurrency_limit=0), P + 'concurrency_limit', 'out of range'),
    ('concurrency-too-high', _s(concurrency_limit=101), P + 'concurrency_limit', 'out of range'),
    ('concurrency-word', _s(concurrency_limit='ten'), P + 'concurrency_limit', 'whole number'),
    ('concurrency-bool', _s(concurrency_limit=True), P + 'concurrency_limit', 'whole number'),
    ('concurrency-negative', _s(concurrency_limit='-1'), P + 'concurrency_limit', 'whole number'),
    ('concurrency-over-provider', dict(provider='office365', username='u@example.com', password_set=True,
                                       concurrency_limit=4),
     P + 'concurrency_limit', "provider 'office365' allows (3"),
    ('sasl-mechanisms-string', _s(sasl_mechanisms='plain'), P + 'sasl_mechanisms', 'list'),
    ('sasl-mechanisms-empty', _s(sasl_mechanisms=[]), P + 'sasl_mechanisms', 'non-empty'),
    ('sasl-mechanisms-space', _s(sasl_mechanisms=['plain login']), P + 'sasl_mechanisms[0]', 'whitespace'),
    ('sasl-mechanisms-injection', _s(sasl_mechanisms=['plain', 'x"\nrelayhost: "[evil.test]:25']),
     P + 'sasl_mechanisms[1]', 'newline'),
    ('sasl-mechanisms-quote', _s(sasl_mechanisms=['plain', 'x"relayhost']), P + 'sasl_mechanisms[1]', 'one mechanism'),
    ('sasl-mechanisms-backslash', _s(sasl_mechanisms=['pl\\ain']), P + 'sasl_mechanisms[0]', 'backslash'),
    ('sasl-mechanisms-none', _s(sasl_mechanisms=[None]), P + 'sasl_mechanisms[0]', 'one mechanism'),
]


@pytest.mark.parametrize('settings, variable, fragment', [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_settings_are_refused_naming_the_variable(settings, variable, fragment):
    with pytest.raises(ValueError) as excinfo:
        resolve(settings, P)
    message = str(excinfo.value)
    assert message.startswith(variable + ':'), message
    assert fragment in message, message
    # No password ever appears in an error message.
    assert SECRET not in message
    assert 'secret' not in message


def test_bad_corpus_is_large_enough():
    assert len(BAD) >= 25


def test_good_password_with_special_characters():
    result = resolve(_s(username='bob@example.com', password=SECRET), P)
    assert result['password_set'] is True
    assert SECRET not in repr(result)
    assert 'password' not in result


@pytest.mark.parametrize('password', [SECRET, 'inner space', 'ünïcödé€', '"quoted\'',
                                      'a' * 512, '=:#$%&*()[]{}<>,;|\\/'])
def test_validate_password_accepts_printable(password):
    assert validate_password(password, P + 'password') == password


@pytest.mark.parametrize('password, fragment', [
    ('', 'empty'),
    ('abc\n', 'newline'),
    ('abc\r', 'newline'),
    ('ab\x00c', 'control'),
    ('ab\tc', 'control'),
    ('ab\x1bc', 'control'),
    ('ab\x7fc', 'control'),
    ('ab\x85c', 'control'),
    ('ab\x0bc', 'control'),
    ('ab\x0cc', 'control'),
    ('ab\x1cc', 'control'),
    ('ab\u2028c', 'control'),
    ('ab\u2029c', 'control'),
    ('ab\u200bc', 'control'),
    ('ab\ud800c', 'control'),
    (' leading space', 'whitespace'),
    ('trailing space ', 'whitespace'),
    ('trailing nbsp\u00a0', 'whitespace'),
    (None, 'string'),
    (True, 'string'),
    (123456, 'string'),
])
def test_validate_password_refuses(password, fragment):
    with pytest.raises(ValueError) as excinfo:
        validate_password(password, 'pmta_relay_password')
    message = str(excinfo.value)
    assert message.startswith('pmta_relay_password: ')
    assert fragment in message
    if isinstance(password, str) and password:
        assert password.strip() not in message


def test_password_never_in_result_or_sender_dependent():
    result = resolve(_s(username='u', password=SECRET, sender_dependent=[
        {'sender': 'bob@a.example', 'host': 'r.example.com', 'username': 'u2', 'password': SECRET},
    ]), P)
    assert SECRET not in repr(result)
    assert result['sender_dependent'] == [{
        'index': 0, 'sender': 'bob@a.example', 'host': 'r.example.com', 'port': 587, 'nexthop': '[r.example.com]:587',
        'username': 'u2', 'password_set': True, 'wrappermode': False,
    }]


def test_ipv6_host_returned_as_is():
    result = resolve(_s(host='2001:db8::25', **AUTH), P)
    assert result['host'] == '2001:db8::25'
    assert resolve(_s(host='::1'), P)['host'] == '::1'


def test_ipv4_host():
    assert resolve(_s(host='192.0.2.25'), P)['host'] == '192.0.2.25'


def test_hostname_normalised():
    assert resolve(_s(host='SMTP.Example.COM.'), P)['host'] == 'smtp.example.com'
    assert resolve(_s(host='relay'), P)['host'] == 'relay'


def test_defaults_without_provider():
    result = resolve({'host': 'smtp.example.com'}, P)
    assert result == {
        'host': 'smtp.example.com',
        'port': 587,
        'username': None,
        'password_set': False,
        'wrappermode': False,
        'tls_security_level': 'encrypt',
        'allow_plaintext': False,
        'tls_ca_file': None,
        'provider': None,
        'provider_region': None,
        'candidate_ports': [587, 2525, 465],
        'tls_wrapper_ports': [465],
        'sender_dependent': [],
        'concurrency_limit': 10,
        'probe_hosts': [],
        'mynetworks': ['127.0.0.0/8', '[::1]/128'],
        'inet_interfaces': 'loopback-only',
        'extra_config': {},
    }


def test_empty_strings_and_none_are_unset():
    result = resolve({'host': 'smtp.example.com', 'port': '', 'provider': '', 'provider_region': None,
                      'username': '', 'password_set': False, 'tls_security_level': '',
                      'allow_plaintext': None, 'sender_dependent': None, 'tls_ca_file': ''}, P)
    assert result['port'] == 587
    assert result['username'] is None
    assert result['tls_security_level'] == 'encrypt'
    assert result['sender_dependent'] == []


def test_sendgrid_preset():
    result = resolve({'provider': 'sendgrid', 'password_set': True}, P)
    assert result['host'] == 'smtp.sendgrid.net'
    assert result['port'] == 587
    assert result['username'] == 'apikey'
    assert result['provider'] == 'sendgrid'
    assert result['candidate_ports'] == [587, 2525, 25, 465]


def test_preset_user_overrides_win():
    result = resolve({'provider': 'sendgrid', 'host': 'relay.internal.example', 'port': '2525',
                      'username': 'other', 'password_set': True}, P)
    assert (result['host'], result['port'], result['username']) == ('relay.internal.example', 2525, 'other')
    assert result['provider'] == 'sendgrid'


def test_provider_name_case_insensitive():
    assert resolve({'provider': ' SparkPost ', 'password_set': True}, P)['username'] == 'SMTP_Injection'


def test_sparkpost_and_mailgun_eu():
    assert resolve({'provider': 'sparkpost', 'provider_region': 'eu', 'password_set': True},
                   P)['host'] == 'smtp.eu.sparkpostmail.com'
    result = resolve({'provider': 'mailgun', 'provider_region': 'EU', 'username': 'postmaster@mg.example.com',
                      'password_set': True}, P)
    assert result['host'] == 'smtp.eu.mailgun.org'
    assert result['provider_region'] == 'eu'


def test_ses_with_region():
    result = resolve({'provider': 'ses', 'provider_region': 'eu-west-1', 'username': 'AKIAEXAMPLE',
                      'password_set': True}, P)
    assert result['host'] == 'email-smtp.eu-west-1.amazonaws.com'
    assert result['port'] == 587
    assert result['wrappermode'] is False
    gov = resolve({'provider': 'ses', 'provider_region': 'us-gov-west-1', 'username': 'A', 'password_set': True}, P)
    assert gov['host'] == 'email-smtp.us-gov-west-1.amazonaws.com'


def test_ses_tls_wrapper_ports():
    base = {'provider': 'ses', 'provider_region': 'us-east-1', 'username': 'A', 'password_set': True}
    assert resolve(dict(base, port=465), P)['wrappermode'] is True
    assert resolve(dict(base, port=2465), P)['wrappermode'] is True
    assert resolve(dict(base, port=2587), P)['wrappermode'] is False


@pytest.mark.parametrize('port', [465, '465', ' 465 '])
def test_port_465_is_wrappermode(port):
    result = resolve(_s(port=port), P)
    assert result['port'] == 465
    assert result['wrappermode'] is True


@pytest.mark.parametrize('port', [25, 587, 2525, 2465])
def test_other_ports_are_not_wrappermode_without_preset(port):
    assert resolve(_s(port=port), P)['wrappermode'] is False


def test_port_auto():
    result = resolve({'provider': 'postmark', 'port': 'auto', 'username': 'tok', 'password_set': True}, P)
    assert result['port'] == 'auto'
    assert result['wrappermode'] is False
    assert result['candidate_ports'] == [587, 2525, 25]
    assert resolve(_s(port='AUTO'), P)['port'] == 'auto'


def test_wrappermode_with_verified_tls():
    result = resolve(_s(port=465, tls_security_level='secure'), P)
    assert result['wrappermode'] is True
    assert result['tls_security_level'] == 'secure'


def test_plaintext_opt_in():
    result = resolve(_s(tls_security_level='May', allow_plaintext='yes'), P)
    assert result['tls_security_level'] == 'may'
    assert result['allow_plaintext'] is True
    assert resolve(_s(tls_security_level='none', allow_plaintext=True), P)['tls_security_level'] == 'none'


def test_google_relay_without_auth():
    result = resolve({'provider': 'google_relay'}, P)
    assert result['host'] == 'smtp-relay.gmail.com'
    assert result['username'] is None
    assert result['password_set'] is False


def test_tls_ca_file():
    assert resolve(_s(tls_ca_file='/etc/ssl/certs/ca-certificates.crt'), P)['tls_ca_file'] == \
        '/etc/ssl/certs/ca-certificates.crt'


def test_sender_dependent_defaults_and_wrappermode():
    result = resolve({'provider': 'ses', 'provider_region': 'eu-west-1', 'username': 'A', 'password_set': True,
                      'port': 2587, 'sender_dependent': [
                          {'sender': '@Shop.Example.COM', 'host': 'smtp.sendgrid.net', 'port': '465',
                           'username': 'apikey', 'password': 'SG.x'},
                          {'sender': 'alerts@example.com', 'host': 'email-smtp.eu-west-1.amazonaws.com',
                           'port': 2465, 'username': 'B', 'password': 'y'},
                          {'sender': 'noauth@example.com', 'host': '192.0.2.1'},
                      ]}, P)
    entries = result['sender_dependent']
    assert entries[0] == {'index': 0, 'sender': '@shop.example.com', 'host': 'smtp.sendgrid.net', 'port': 465,
                          'nexthop': '[smtp.sendgrid.net]:465',
                          'username': 'apikey', 'password_set': True, 'wrappermode': True}
    assert entries[1]['wrappermode'] is True
    assert entries[2] == {'index': 2, 'sender': 'noauth@example.com', 'host': '192.0.2.1', 'port': 2587, 'username': None,
                          'nexthop': '[192.0.2.1]:2587', 'password_set': False, 'wrappermode': False}


def test_sender_dependent_ipv6_nexthop():
    result = resolve(_s(sender_dependent=[{'sender': '@a.example', 'host': '2001:db8::25', 'port': 2525}]), P)
    assert result['sender_dependent'][0]['nexthop'] == '[ipv6:2001:db8::25]:2525'


@pytest.mark.parametrize('settings, expected', [
    ({}, 10),
    ({'concurrency_limit': None}, 10),
    ({'concurrency_limit': ''}, 10),
    ({'concurrency_limit': 4}, 4),
    ({'concurrency_limit': '20'}, 20),
    ({'concurrency_limit': 100}, 100),
    ({'provider': 'office365', 'username': 'u@example.com', 'password_set': True}, 3),
    ({'provider': 'office365', 'username': 'u@example.com', 'password_set': True, 'concurrency_limit': 2}, 2),
    ({'provider': 'sendgrid', 'password_set': True}, 10),
])
def test_concurrency_limit(settings, expected):
    settings = dict(settings)
    if 'provider' not in settings:
        settings['host'] = 'smtp.example.com'
    assert resolve(settings, P)['concurrency_limit'] == expected


@pytest.mark.parametrize('mechanisms', [['plain', 'login'], ['PLAIN'], ['!gssapi', '!ntlm', 'static:all'],
                                        ['cram-md5', 'scram-sha-256', 'xoauth2']])
def test_sasl_mechanisms_accepted(mechanisms):
    resolve(_s(sasl_mechanisms=mechanisms), P)


@pytest.mark.parametrize('value, expected', [
    (1, 1), (65535, 65535), ('25', 25), ('2525', 2525), ('auto', 'auto'),
])
def test_validate_port_good(value, expected):
    assert validate_port(value, 'x_port') == expected


def test_validate_port_without_auto():
    with pytest.raises(ValueError, match='^x_port: '):
        validate_port('auto', 'x_port', allow_auto=False)


@pytest.mark.parametrize('value', ['a.example', 'xn--bcher-kva.example', 'a-b.c-d.example', '10.0.0.1',
                                   '2001:db8::1', '::ffff:192.0.2.1', 'a' * 63 + '.example'])
def test_validate_host_good(value):
    assert validate_host(value, 'h') in (value, value.lower())


@pytest.mark.parametrize('value', ['01.2.3.4', '1.2.3.4.5', '1.2.3.'])
def test_validate_host_bad_ipv4(value):
    with pytest.raises(ValueError, match='^h: '):
        validate_host(value, 'h')


@pytest.mark.parametrize('value, expected', [
    ('bob@example.com', 'bob@example.com'),
    ('@Example.com', '@example.com'),
    ('Bob.Smith+tag@Example.com', 'Bob.Smith+tag@example.com'),
])
def test_validate_sender_good(value, expected):
    assert validate_sender(value, 's') == expected


# --- local side of the relay host (identity, listening, rewriting, extra main.cf) -----------
LOCAL_BAD = [
    ({'myhostname': 'mail host'}, 'postfix_relay_myhostname'),
    ({'myhostname': 'mail\nrelayhost = evil'}, 'postfix_relay_myhostname'),
    ({'myorigin': 'a,b'}, 'postfix_relay_myorigin'),
    ({'root_forward': 'ops'}, 'postfix_relay_root_forward'),
    ({'root_forward': '@example.com'}, 'postfix_relay_root_forward'),
    ({'root_forward': 'a@example.com, b@example.com'}, 'postfix_relay_root_forward'),
    ({'sender_rewrite': 'noreply@exa mple.com'}, 'postfix_relay_sender_rewrite'),
    ({'sender_rewrite': {'root@host name': 'noreply@example.com'}}, 'postfix_relay_sender_rewrite'),
    ({'mynetworks': '127.0.0.0/8'}, 'postfix_relay_mynetworks'),
    ({'mynetworks': ['127.0.0.0/8', '0.0.0.0/0, evil']}, 'postfix_relay_mynetworks[1]'),
    ({'mynetworks': ['::1/128']}, 'postfix_relay_mynetworks[0]'),
    ({'inet_interfaces': 'all\nmynetworks = 0.0.0.0/0'}, 'postfix_relay_inet_interfaces'),
    ({'inet_interfaces': ''}, 'postfix_relay_inet_interfaces'),
    ({'extra_config': {'bad name': 'x'}}, 'postfix_relay_extra_config'),
    ({'extra_config': {'smtp_helo_name': 'a\nrelayhost = evil'}}, 'postfix_relay_extra_config.smtp_helo_name'),
    ({'extra_config': ['smtp_helo_name']}, 'postfix_relay_extra_config'),
    ({'extra_config': {'smtp_tls_security_level': 'may'}}, 'postfix_relay_extra_config'),
    ({'extra_config': {'smtp_sasl_auth_enable': 'no'}}, 'postfix_relay_extra_config'),
    ({'extra_config': {'relayhost': '[evil.example]:25'}}, 'postfix_relay_extra_config'),
    ({'extra_config': {'mynetworks': '0.0.0.0/0'}}, 'postfix_relay_extra_config'),
    ({'extra_config': {'always_bcc': 'spy@example.com'}}, 'postfix_relay_extra_config'),
    ({'mynetworks': ['0.0.0.0/0']}, 'postfix_relay_mynetworks[0]'),
    ({'mynetworks': ['127.0.0.0/8', '[::]/0']}, 'postfix_relay_mynetworks[1]'),
    ({'mynetworks': ['10.0.0.0/0']}, 'postfix_relay_mynetworks[0]'),
]


@pytest.mark.parametrize('extra,name', LOCAL_BAD)
def test_local_settings_refused_naming_the_variable(extra, name):
    settings = {'host': 'smtp.example.net', 'username': 'u', 'password': 'p'}
    settings.update(extra)
    with pytest.raises(ValueError) as exc:
        resolve(settings, 'postfix_relay_')
    assert str(exc.value).startswith(name + ':') or str(exc.value).startswith(name + '['), str(exc.value)


def test_local_settings_accepted():
    settings = {'host': 'smtp.example.net', 'username': 'u', 'password': 'p',
                'myhostname': 'web1.example.com', 'myorigin': 'example.com',
                'root_forward': 'ops@example.com',
                'sender_rewrite': {'root@web1': 'noreply@example.com', '@localhost': 'noreply@example.com'},
                'mynetworks': ['127.0.0.0/8', '[::1]/128', '10.0.0.0/8'],
                'inet_interfaces': 'loopback-only', 'extra_config': {'smtp_helo_name': 'web1.example.com',
                                                                     'maximal_queue_lifetime': '5d'}}
    assert resolve(settings, 'postfix_relay_')['host'] == 'smtp.example.net'
    assert resolve(dict(settings, sender_rewrite='noreply@example.com', inet_interfaces='all'))
