"""Render a role's variables and templates with ansible-core's own templating, no host needed.

Used by the render tests to cover what no reachable test host can run (the RHEL family) and
every variable combination. Variables files are trusted the way Ansible trusts a role's own
files, so templates inside them render as they do in a play.
"""

import os

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
init_plugin_loader([os.path.join(ROOT, ".cache", "collections")])


def _trust(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((k, _trust(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_trust(v) for v in value]
    return value


class RoleRenderer(object):
    def __init__(self, role, var_files):
        self.path = os.path.join(ROOT, "roles", role)
        self.loader = DataLoader()
        self.variables = {}
        for name in var_files:
            self.variables.update(_trust(self.loader.load_from_file(os.path.join(self.path, name)) or {}))
        self.variables["ansible_search_path"] = [self.path]
        self.variables["ansible_managed"] = "Ansible managed"

    def render(self, expression, **overrides):
        variables = dict(self.variables)
        variables.update(overrides)
        return Templar(loader=self.loader, variables=variables).template(trust_as_template(expression))
