# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.egress.mail.plugins.filter.relay import FilterModule, provider_preset, relay_settings


def test_filter_names():
    filters = FilterModule().filters()
    assert set(filters) == {"relay_settings", "relay_ports", "provider_preset", "oauth2_settings"}
    assert filters["relay_settings"] is relay_settings
    assert filters["provider_preset"] is provider_preset


def test_relay_settings_resolves():
    result = relay_settings({"provider": "sendgrid", "password_set": True}, "postfix_relay_")
    assert result["host"] == "smtp.sendgrid.net"
    assert result["username"] == "apikey"
    assert result["port"] == 587
    assert result["wrappermode"] is False


def test_relay_settings_default_prefix():
    with pytest.raises(AnsibleFilterError) as excinfo:
        relay_settings({"host": "bad host"})
    assert str(excinfo.value).startswith("host: ")


def test_relay_settings_error_is_filter_error_naming_variable():
    with pytest.raises(AnsibleFilterError) as excinfo:
        relay_settings({"host": "smtp.example.com", "port": 70000}, "pmta_relay_")
    assert "pmta_relay_port: 70000 is out of range" in str(excinfo.value)


def test_relay_settings_error_never_shows_password():
    with pytest.raises(AnsibleFilterError) as excinfo:
        relay_settings({"host": "smtp.example.com", "password": "hunter2:#$%"}, "postfix_relay_")
    assert "hunter2" not in str(excinfo.value)
    assert str(excinfo.value).startswith("postfix_relay_username: ")


def test_provider_preset():
    preset = provider_preset("ses", region="eu-central-1")
    assert preset["host"] == "email-smtp.eu-central-1.amazonaws.com"
    assert preset["name"] == "ses"
    assert provider_preset("sendgrid")["username"] == "apikey"


@pytest.mark.parametrize(
    "name, region, fragment",
    [
        ("nope", None, "valid providers"),
        ("ses", None, "needs a region"),
        ("mailgun", "asia", "valid regions: eu"),
    ],
)
def test_provider_preset_errors(name, region, fragment):
    with pytest.raises(AnsibleFilterError, match=fragment):
        provider_preset(name, region)


# Rendering through a real Templar needs Ansible's collection loader, which would replace the import
# machinery of this pytest process; run it in a child interpreter instead.
_RENDER_SCRIPT = """
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible import template as template_mod
from ansible.parsing.dataloader import DataLoader
trust = getattr(template_mod, 'trust_as_template', lambda value: value)
request = json.loads(sys.stdin.read())
templar = template_mod.Templar(loader=DataLoader(), variables=request['variables'])
try:
    result = templar.template(trust(request['template']))
except Exception as exc:
    print(json.dumps({'error': str(exc)}))
else:
    print(json.dumps({'result': result}))
"""


def _render(template, variables):
    collections = os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".cache", "collections")
    )
    if not os.path.isdir(os.path.join(collections, "ansible_collections", "egress", "mail")):
        pytest.skip("collection link %s not present" % collections)
    proc = subprocess.run(
        [sys.executable, "-c", _RENDER_SCRIPT, collections],
        input=json.dumps({"template": template, "variables": variables}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_filter_through_templar():
    """The filters work from a real template, under their collection names."""
    out = _render(
        "{{ settings | egress.mail.relay_settings('postfix_relay_') }}",
        {
            "settings": {
                "provider": "ses",
                "provider_region": "eu-west-1",
                "port": 465,
                "username": "AKIAEXAMPLE",
                "password_set": True,
                "sender_dependent": [
                    {
                        "sender": "@shop.example.com",
                        "host": "smtp.sendgrid.net",
                        "username": "apikey",
                        "password": "SG.secret",
                    }
                ],
            },
        },
    )
    assert out["result"]["host"] == "email-smtp.eu-west-1.amazonaws.com"
    assert out["result"]["wrappermode"] is True
    assert out["result"]["sender_dependent"] == [
        {
            "index": 0,
            "sender": "@shop.example.com",
            "host": "smtp.sendgrid.net",
            "port": 465,
            "username": "apikey",
            "nexthop": "[smtp.sendgrid.net]:465",
            "password_set": True,
            "wrappermode": True,
        }
    ]
    assert "SG.secret" not in json.dumps(out)
    out = _render("{{ ('sparkpost' | egress.mail.provider_preset(region='eu')).host }}", {})
    assert out["result"] == "smtp.eu.sparkpostmail.com"


def test_filter_error_through_templar():
    out = _render(
        "{{ settings | egress.mail.relay_settings('postfix_relay_') }}",
        {"settings": {"host": "smtp.example.com", "username": "u", "password": "s3cr3t!\n"}},
    )
    assert "postfix_relay_password: contains a newline" in out["error"]
    assert "s3cr3t" not in out["error"]


def test_relay_ports_fills_in_probed_ports_and_raises_filter_errors():
    from ansible_collections.egress.mail.plugins.filter.relay import relay_ports

    relay = relay_settings(
        {
            "host": "smtp.example.com",
            "port": "auto",
            "sender_dependent": [{"sender": "@a.example", "host": "r.example.com"}],
        },
        "postfix_relay_",
    )
    assert relay["probe_hosts"] == ["r.example.com", "smtp.example.com"]
    done = relay_ports(relay, {"smtp.example.com": 465, "r.example.com": 2525}, [465], "postfix_relay_")
    assert (done["port"], done["wrappermode"]) == (465, True)
    assert done["sender_dependent"][0]["nexthop"] == "[r.example.com]:2525"
    with pytest.raises(AnsibleFilterError, match=r"^postfix_relay_sender_dependent\[0\]\.port: auto: "):
        relay_ports(relay, {"smtp.example.com": 587}, [465], "postfix_relay_")
