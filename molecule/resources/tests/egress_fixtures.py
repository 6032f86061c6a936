"""pytest fixtures shared by the scenarios (imported by each scenario's conftest.py).

`mailhost` and `smarthost` are the containers named by the test module's MAILHOST and
SMARTHOST constants; a module that needs something else (several mail hosts, say) defines
its own fixture of the same name, which wins.
"""

import pytest

from egress_helpers import container


@pytest.fixture(scope="module")
def mailhost(request):
    return container(request.module.MAILHOST)


@pytest.fixture(scope="module")
def smarthost(request):
    return container(request.module.SMARTHOST)
