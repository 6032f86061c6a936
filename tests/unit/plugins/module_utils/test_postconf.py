# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
from collections import OrderedDict

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postconf import (
    PostconfError,
    apply,
    build_diff,
    build_edit_command,
    build_remove_command,
    build_show_command,
    compute_changes,
    format_value,
    normalize_value,
    parse_main_cf,
    parse_show_output,
    parse_unknown_parameters,
    prepare,
    validate_name,
)

REAL_POSTCONF = '/usr/sbin/postconf'


# --- normalization and formatting -------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('', ''),
    ('   ', ''),
    ('a', 'a'),
    ('  a  b\t\tc  ', 'a b c'),
    ('$myhostname ESMTP  $mail_name', '$myhostname ESMTP $mail_name'),
    ('a,b', 'a,b'),            # commas are not touched
    ('b, a', 'b, a'),          # nor is the order
])
def test_normalize_value(text, expected):
    assert normalize_value(text) == expected


@pytest.mark.parametrize('value, expected', [
    ('[smtp.sendgrid.net]:587', '[smtp.sendgrid.net]:587'),
    (True, 'yes'),
    (False, 'no'),
    (0, '0'),
    (10240000, '10240000'),
    ('', ''),
    ('  spaced   out  ', 'spaced out'),
    (['127.0.0.0/8', '[::1]/128'], '127.0.0.0/8, [::1]/128'),
    (('a', 1, True), 'a, 1, yes'),
    ([], ''),
    ('>=TLSv1.2', '>=TLSv1.2'),
    ('p:a ss#w0rd$%', 'p:a ss#w0rd$%'),
])
def test_format_value(value, expected):
    assert format_value(value, 'x') == expected


@pytest.mark.parametrize('value, fragment', [
    ('a\nb', 'newline'),
    ('a\rb', 'newline'),
    (['a', 'b\nc'], 'newline'),
    ('a\x00b', 'control'),
    (None, 'null'),
    (1.5, 'unsupported value type float'),
    ({'a': 1}, 'unsupported value type dict'),
    ([['nested']], 'scalars'),
])
def test_format_value_refuses(value, fragment):
    with pytest.raises(PostconfError, match=fragment):
        format_value(value, 'relayhost')


@pytest.mark.parametrize('name', ['relayhost', 'smtp_tls_security_level', 'inet_protocols', 'x1'])
def test_validate_name_good(name):
    assert validate_name(name) == name


@pytest.mark.parametrize('name', ['', 'relay-host', 'relay-host', 'relay host', 'submission/inet/smtpd_tls_security_level',
                                  'relayhost=x', 'a\nb', 'relayhost\n', None, 5])
def test_validate_name_bad(name):
    with pytest.raises(PostconfError, match='invalid parameter name'):
        validate_name(name)


def test_prepare_keeps_order_and_dedupes_absent():
    desired, absent = prepare(OrderedDict([('b', 1), ('a', True)]), ['x', 'y', 'x'])
    assert list(desired.items()) == [('b', '1'), ('a', 'yes')]
    assert absent == ['x', 'y']


def test_prepare_refuses_overlap_and_bad_absent():
    with pytest.raises(PostconfError, match='both in parameters and in absent'):
        prepare({'relayhost': ''}, ['relayhost'])
    with pytest.raises(PostconfError, match='invalid name in absent'):
        prepare(None, ['Bad-Name'])


# --- command lines ---------------------------------------------------------------------------

def test_build_commands():
    assert build_show_command('/usr/sbin/postconf', '/etc/postfix', ['relayhost', 'mynetworks']) == \
        ['/usr/sbin/postconf', '-c', '/etc/postfix', 'relayhost', 'mynetworks']
    assert build_edit_command('/usr/sbin/postconf', '/etc/postfix',
                              [('relayhost', '[smtp.sendgrid.net]:587'), ('smtpd_banner', '$myhostname ESMTP')]) == \
        ['/usr/sbin/postconf', '-c', '/etc/postfix', '-e',
         'relayhost=[smtp.sendgrid.net]:587', 'smtpd_banner=$myhostname ESMTP']
    assert build_remove_command('postconf', '/etc/postfix-out', ['a', 'b']) == \
        ['postconf', '-c', '/etc/postfix-out', '-X', 'a', 'b']


# --- parsing ---------------------------------------------------------------------------------

def test_parse_show_output():
    out = ('relayhost = [smtp.sendgrid.net]:587\n'
           'mydestination =\n'
           'smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n'
           'mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n'
           '\n')
    assert parse_show_output(out) == {
        'relayhost': '[smtp.sendgrid.net]:587',
        'mydestination': '',
        'smtpd_banner': '$myhostname ESMTP $mail_name (Debian/GNU)',
        'mynetworks': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
    }


def test_parse_show_output_value_with_equals():
    assert parse_show_output('smtp_tls_mandatory_protocols = >=TLSv1.2\n') == {
        'smtp_tls_mandatory_protocols': '>=TLSv1.2'}
    assert parse_show_output('a = b = c\n') == {'a': 'b = c'}


def test_parse_show_output_refuses_garbage():
    # e.g. what "postconf -h" would print: values without names cannot be mapped back
    with pytest.raises(PostconfError, match='cannot parse'):
        parse_show_output('[smtp.sendgrid.net]:587\n')


def test_parse_unknown_parameters():
    err = ('postconf: warning: relay_hots: unknown parameter\n'
           'postconf: warning: /etc/postfix/main.cf: unused parameter: foo=bar\n'
           'postconf: warning: smtp_tls_securty_level: unknown parameter\n')
    assert parse_unknown_parameters(err) == ['relay_hots', 'smtp_tls_securty_level']
    assert parse_unknown_parameters('') == []
    assert parse_unknown_parameters(None) == []


def test_parse_main_cf():
    text = ('# comment\n'
            'smtpd_banner = $myhostname ESMTP\n'
            '\n'
            'mynetworks = 127.0.0.0/8\n'
            '    [::1]/128\n'
            '  # indented comment is ignored\n'
            '\t192.0.2.0/24\n'
            'relayhost =\n'
            'relayhost = [smtp.example.com]:587\n'
            'my_custom=value\n'
            'garbage line without equals\n')
    parsed = parse_main_cf(text)
    assert parsed == OrderedDict([
        ('smtpd_banner', '$myhostname ESMTP'),
        ('mynetworks', '127.0.0.0/8 [::1]/128 192.0.2.0/24'),
        ('relayhost', '[smtp.example.com]:587'),
        ('my_custom', 'value'),
    ])


# --- change computation and diff -------------------------------------------------------------

def test_compute_changes():
    desired = OrderedDict([('relayhost', '[smtp.sendgrid.net]:587'), ('smtp_tls_security_level', 'encrypt'),
                           ('mydestination', ''), ('smtpd_banner', '$myhostname ESMTP')])
    current = {'relayhost': '', 'smtp_tls_security_level': 'encrypt', 'smtpd_banner': '$myhostname   ESMTP'}
    changes, removals = compute_changes(desired, current, {'smtp_tls_wrappermode': 'yes'},
                                        ['smtp_tls_wrappermode', 'not_set_anywhere'])
    assert changes == [('relayhost', '[smtp.sendgrid.net]:587')]
    assert removals == ['smtp_tls_wrappermode']


def test_compute_changes_keeps_list_order_significant():
    changes, dummy = compute_changes({'mynetworks': '10.0.0.0/8, 127.0.0.0/8'},
                                     {'mynetworks': '127.0.0.0/8, 10.0.0.0/8'}, {}, [])
    assert changes == [('mynetworks', '10.0.0.0/8, 127.0.0.0/8')]


def test_build_diff():
    diff = build_diff([('relayhost', '[smtp.sendgrid.net]:587'), ('brand_new', 'x')],
                      ['smtp_tls_wrappermode'],
                      {'relayhost': '', 'smtp_tls_wrappermode': 'yes'},
                      '/etc/postfix')
    assert diff == {
        'before': 'relayhost = \nsmtp_tls_wrappermode = yes\n',
        'after': 'relayhost = [smtp.sendgrid.net]:587\nbrand_new = x\n',
        'before_header': '/etc/postfix/main.cf',
        'after_header': '/etc/postfix/main.cf',
    }


def test_build_diff_no_changes():
    diff = build_diff([], [], {}, '/etc/postfix')
    assert (diff['before'], diff['after']) == ('', '')


# --- against the real postconf, when Postfix is installed -------------------------------------

def _run(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False,
                          env=dict(os.environ, LANG='C', LC_ALL='C'))
    return proc.returncode, proc.stdout, proc.stderr


def test_apply_against_real_postconf(tmp_path, postfix_bin):
    # Debian's postconf, unpacked by scripts/postfix-binaries.sh (fixture in tests/unit/conftest.py).
    real_postconf = postfix_bin.postconf
    config_dir = str(tmp_path)
    with open(os.path.join(config_dir, 'main.cf'), 'w') as handle:
        handle.write('# test\ncompatibility_level = 3.6\nsmtp_tls_wrappermode = yes\nmy_unused = 1\n')
    if os.path.exists('/etc/postfix/master.cf'):
        shutil.copy('/etc/postfix/master.cf', os.path.join(config_dir, 'master.cf'))
    else:
        open(os.path.join(config_dir, 'master.cf'), 'w').close()

    params = {
        'relayhost': '[smtp.sendgrid.net]:587',
        'smtp_sasl_auth_enable': True,
        'smtp_tls_security_level': 'encrypt',
        'mynetworks': ['127.0.0.0/8', '[::1]/128'],
        'relay_hots': 'typo',
    }
    # Check mode: nothing written.
    result = apply(_run, real_postconf, config_dir, params, ['smtp_tls_wrappermode', 'my_unused', 'never_set'],
                   check_mode=True)
    assert result['changed'] is True
    assert set(result['changed_parameters']) == {'relayhost', 'smtp_sasl_auth_enable', 'smtp_tls_security_level',
                                                 'mynetworks', 'relay_hots'}
    assert result['removed_parameters'] == ['smtp_tls_wrappermode', 'my_unused']
    assert any('relay_hots' in warning for warning in result['warnings'])
    with open(os.path.join(config_dir, 'main.cf')) as handle:
        assert 'relayhost' not in handle.read()

    # Real run.
    result = apply(_run, real_postconf, config_dir, params, ['smtp_tls_wrappermode', 'my_unused', 'never_set'])
    assert result['changed'] is True
    with open(os.path.join(config_dir, 'main.cf')) as handle:
        written = parse_main_cf(handle.read())
    assert written['relayhost'] == '[smtp.sendgrid.net]:587'
    assert written['smtp_sasl_auth_enable'] == 'yes'
    assert written['mynetworks'] == '127.0.0.0/8, [::1]/128'
    assert written['relay_hots'] == 'typo'
    assert 'smtp_tls_wrappermode' not in written
    assert 'my_unused' not in written

    # Idempotent, including the parameter postconf does not know.
    result = apply(_run, real_postconf, config_dir, params, ['smtp_tls_wrappermode', 'my_unused', 'never_set'])
    assert result['changed'] is False, result
    assert result['changed_parameters'] == []
    assert result['removed_parameters'] == []


def test_apply_fails_cleanly_without_postconf(tmp_path):
    missing = str(tmp_path / 'no-such-postconf')

    def run(args):
        try:
            return _run(args)
        except OSError as exc:
            return 127, '', str(exc)

    with pytest.raises(PostconfError, match='failed'):
        apply(run, missing, str(tmp_path), {'relayhost': 'x'})


def test_apply_nothing_to_do_reads_nothing(tmp_path):
    def run(args):
        raise AssertionError('no command expected, got %r' % (args,))

    result = apply(run, REAL_POSTCONF, str(tmp_path), {}, None)
    assert result['changed'] is False
    assert result['values'] == {}
