# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/pmta/directives.py (the data table itself).

Moved from tests/unit/plugins/module_utils/test_pmta_config.py (and the table tests of
test_pmta_corpus.py); they call the layer through its public face, module_utils/pmta_config."""

from __future__ import annotations

from ansible_collections.egress.mail.plugins.module_utils import pmta_config as pc
from ansible_collections.egress.mail.plugins.module_utils.pmta import directives as pd


def test_every_row_names_a_known_source_context_and_type():
    contexts = set(row[0] for row in pd.STANZA_TABLE) | {pd.GLOBAL}
    names = set()
    for name, where, values, source, section, flags in pd.DIRECTIVE_TABLE:
        assert name not in names, name
        names.add(name)
        assert source in pd.SOURCES, name
        assert set(where) <= contexts, name
        assert set(flags) <= set("rds"), name
        assert section is None or section.startswith("3.3.10"), name
        for item in values or ():
            assert item.lstrip("?*") in pc._TYPE_HELP, (name, item)
    for name, parents, arg, source, _section, _opaque in pd.STANZA_TABLE:
        assert source in pd.SOURCES and set(parents) <= contexts, name
        assert arg is None or arg in pc._TYPE_HELP, name


def test_the_guide_rows_cover_the_domain_reference():
    """Every numbered entry of section 3.3.10 that names a directive is in the table."""
    sections = set(row[4] for row in pd.DIRECTIVE_TABLE if row[3] == "guide")
    # 3.3.10.6 repeats log-resolution (3.3.10.4), 3.3.10.83 source-ip-max-msg-rate (3.3.10.32)
    numbered = set("3.3.10.%d" % n for n in range(1, 95)) - {"3.3.10.6", "3.3.10.83"}
    missing = sorted(numbered - sections, key=lambda s: [int(p) for p in s.split(".")])
    assert missing == [], missing
