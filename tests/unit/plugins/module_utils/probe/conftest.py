# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the tests of plugins/module_utils/probe/: a throw-away PKI and SMTP test servers
on 127.0.0.1 (tests/unit/helpers/smtp_servers.py), stopped after each test."""

import pytest

from ansible_collections.egress.mail.tests.unit.helpers import smtp_servers
from ansible_collections.egress.mail.tests.unit.helpers.smtp_probe_run import LOCAL


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return smtp_servers.make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def tls_context(pki):
    return smtp_servers.server_context(pki["cert_file"], pki["key_file"])


@pytest.fixture
def server(tls_context):
    """Factory: server(behaviour, **kwargs) -> started SMTPTestServer on 127.0.0.1, stopped after the test."""
    started = []

    def factory(behaviour, **kwargs):
        srv = smtp_servers.SMTPTestServer(
            behaviour, host=kwargs.pop("host", LOCAL), tls_context=tls_context, **kwargs
        ).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()
