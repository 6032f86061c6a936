# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the module tests."""

import os

import pytest


@pytest.fixture()
def postfix_env(postfix_bin, monkeypatch, tmp_path):
    """The real binaries on PATH (as on a host: the modules look them up) and MAIL_CONFIG
    pointing at a main.cf postmap accepts (the controller has no postfix user)."""
    monkeypatch.setenv("PATH", os.path.dirname(postfix_bin.postconf) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MAIL_CONFIG", postfix_bin.config_dir)
    return postfix_bin
