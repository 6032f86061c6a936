# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_maps on real files in a temporary directory. postmap itself is stood in for by a
function that builds <source>.db (or .lmdb) the way postmap does: from the source, honouring
the umask. The real postmap runs in the molecule scenarios."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import time

import pytest

from ansible_collections.egress.mail.plugins.module_utils.postfix_maps import PostfixMapsError, apply, parse_mode

SECRET = 'p:a ss#w0rd$%'


class Postmap(object):
    """Records the calls and builds the indexed file; fails for sources containing 'BROKEN'."""

    def __init__(self):
        self.calls = []

    def __call__(self, args, umask):
        self.calls.append(args)
        db_type, path = args[1].split(':', 1)
        with open(path) as handle:
            data = handle.read()
        if 'BROKEN' in data:
            return 1, '', 'postmap: warning: %s, line 1: expected format: key whitespace value: %s' % (path, data)
        old = os.umask(umask)
        try:
            built = path + {'lmdb': '.lmdb'}.get(db_type, '.db')
            with open(built, 'w') as handle:
                handle.write('built from ' + data)
        finally:
            os.umask(old)
        return 0, '', ''


def move(src, dest):
    """Like AnsibleModule.atomic_move: an existing destination's mode is kept."""
    if os.path.exists(dest):
        os.chmod(src, stat.S_IMODE(os.stat(dest).st_mode))
    shutil.move(src, dest)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def run(tmp_path):
    postmap = Postmap()

    def _run(maps, check_mode=False, db_type='hash'):
        for entry in maps:
            entry['path'] = str(tmp_path / entry['path'])
        return apply(maps, db_type, postmap, '/usr/sbin/postmap', move, check_mode=check_mode)
    _run.postmap = postmap
    _run.dir = tmp_path
    return _run


def sasl(content='[relay]:587 user:%s\n' % SECRET, file_mode='0600'):
    return {'path': 'sasl_passwd', 'content': content, 'mode': file_mode, 'secret': True}


def table(content='@a.example egress_starttls:[r.example]:587\n'):
    return {'path': 'transport', 'content': content}


def test_first_run_writes_and_builds_with_the_modes(run):
    result = run([sasl(), table()])
    d = run.dir
    assert result['changed'] is True
    assert result['changed_maps'] == [str(d / 'sasl_passwd'), str(d / 'transport')]
    assert result['rebuilt_maps'] == result['changed_maps']
    assert (d / 'sasl_passwd').read_text() == '[relay]:587 user:%s\n' % SECRET
    assert mode(d / 'sasl_passwd') == 0o600 and mode(d / 'sasl_passwd.db') == 0o600
    assert mode(d / 'transport') == 0o644 and mode(d / 'transport.db') == 0o644
    assert run.postmap.calls == [['/usr/sbin/postmap', 'hash:%s' % (d / 'sasl_passwd')],
                                 ['/usr/sbin/postmap', 'hash:%s' % (d / 'transport')]]


def test_second_run_changes_nothing(run):
    run([sasl(), table()])
    calls = len(run.postmap.calls)
    result = run([sasl(), table()])
    assert result == {'changed': False, 'changed_maps': [], 'rebuilt_maps': [], 'diff': []}
    assert len(run.postmap.calls) == calls


def test_changed_content_is_rewritten_and_rebuilt_and_diffed(run):
    run([sasl(), table()])
    result = run([sasl('[relay]:587 user:new-%s\n' % SECRET), table('@b.example smtp:[x]:25\n')])
    assert result['rebuilt_maps'] == result['changed_maps'] and len(result['changed_maps']) == 2
    secret_diff, table_diff = result['diff']
    assert SECRET not in str(secret_diff)
    assert secret_diff['after'] == '(1 lines, not shown)\n'
    assert table_diff['before'] == '@a.example egress_starttls:[r.example]:587\n'
    assert table_diff['after'] == '@b.example smtp:[x]:25\n'
    assert (run.dir / 'transport.db').read_text() == 'built from @b.example smtp:[x]:25\n'


def test_a_loosened_password_map_is_made_private_again(run):
    run([sasl()])
    os.chmod(str(run.dir / 'sasl_passwd'), 0o644)
    os.chmod(str(run.dir / 'sasl_passwd.db'), 0o644)
    result = run([sasl()])
    assert result['changed'] is True and result['rebuilt_maps'] == []
    assert mode(run.dir / 'sasl_passwd') == 0o600 and mode(run.dir / 'sasl_passwd.db') == 0o600
    assert result['diff'][0]['before'].startswith('mode 0644\n')


def test_new_content_with_a_stricter_mode_never_lands_in_the_old_mode(run):
    run([sasl('[relay]:587 user:old\n', '0644')])
    run([sasl()])  # now a password, 0600: the move keeps the old mode unless fixed first
    assert mode(run.dir / 'sasl_passwd') == 0o600 and mode(run.dir / 'sasl_passwd.db') == 0o600


def test_stale_index_is_rebuilt_without_rewriting_the_source(run):
    run([table()])
    built = str(run.dir / 'transport.db')
    old = time.time() - 60
    os.utime(built, (old, old))
    result = run([table()])
    assert result['changed_maps'] == [] and result['rebuilt_maps'] == [str(run.dir / 'transport')]
    os.unlink(built)
    assert run([table()])['rebuilt_maps'] == [str(run.dir / 'transport')]


def test_check_mode_reports_and_touches_nothing(run):
    result = run([sasl(), table()], check_mode=True)
    assert result['changed'] is True and len(result['changed_maps']) == 2 and len(result['rebuilt_maps']) == 2
    assert os.listdir(str(run.dir)) == [] and run.postmap.calls == []


def test_lmdb_suffix(run):
    run([table()], db_type='lmdb')
    assert (run.dir / 'transport.lmdb').exists()
    assert run([table()], db_type='lmdb')['changed'] is False


def test_postmap_failure_names_the_map_and_hides_secrets(run):
    with pytest.raises(PostfixMapsError) as excinfo:
        run([table('BROKEN line\n')])
    assert 'postmap hash:' in str(excinfo.value) and 'expected format' in str(excinfo.value)
    with pytest.raises(PostfixMapsError) as excinfo:
        run([sasl('BROKEN %s\n' % SECRET)])
    assert str(excinfo.value).endswith('failed: exit 1') and SECRET not in str(excinfo.value)


def test_final_newline_added(run):
    run([table('@a.example smtp:[r]:25')])
    assert (run.dir / 'transport').read_text() == '@a.example smtp:[r]:25\n'


@pytest.mark.parametrize('maps, fragment', [
    ([{'path': 'relative', 'content': ''}], 'maps[0].path'),
    ([{'path': '/tmp/a/', 'content': ''}], 'maps[0].path'),
    ([{'path': '/tmp/x', 'content': ''}, {'path': '/tmp/x', 'content': ''}], 'maps[1].path: /tmp/x is listed twice'),
    ([{'path': '/tmp/x', 'content': None}], 'maps[0].content'),
    ([{'path': '/tmp/x', 'content': '', 'mode': 'u=rw'}], 'maps[0].mode'),
    ([{'path': '/tmp/x', 'content': '', 'mode': True}], 'maps[0].mode'),
    ([{'path': '/tmp/x', 'content': '', 'mode': '0999'}], 'maps[0].mode'),
    ([{'path': '/nonexistent-dir/x', 'content': ''}], 'does not exist'),
])
def test_bad_input_is_refused_before_writing(maps, fragment):
    with pytest.raises(PostfixMapsError) as excinfo:
        apply(maps, 'hash', None, 'postmap', move)
    assert fragment in str(excinfo.value)


@pytest.mark.parametrize('db_type', ['', 'hash;rm', 'Hash', None])
def test_bad_db_type(db_type):
    with pytest.raises(PostfixMapsError):
        apply([], db_type, None, 'postmap', move)


@pytest.mark.parametrize('value, expected', [('0600', 0o600), ('600', 0o600), (0o640, 0o640), ('0644', 0o644)])
def test_parse_mode(value, expected):
    assert parse_mode(value, 'mode') == expected
