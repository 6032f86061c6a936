#!/usr/bin/env bash
# make changelog: antsibull-changelog lint of the fragments and of changelogs/changelog.yaml;
# CHANGELOG.rst must be what changelogs/changelog.yaml generates; says how many fragments are
# not in a release yet (README, Versioning).
set -euo pipefail
cd "$(dirname "$0")/.."
(set -x; antsibull-changelog lint)
(set -x; antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml)
mkdir -p build
(set -x; antsibull-changelog generate --output build/CHANGELOG.rst --output-format rst)
rm -f changelogs/.plugin-cache.yaml
diff -u CHANGELOG.rst build/CHANGELOG.rst || {
  echo "changelog: CHANGELOG.rst is out of date: run antsibull-changelog generate"; exit 1; }
n=$(find changelogs/fragments -name '*.yml' -o -name '*.yaml' 2>/dev/null | wc -l)
if [ "$n" -gt 0 ]; then
  echo "changelog: $n fragment(s) not in a release yet (README, Versioning)"
else
  echo "changelog: lint passed, CHANGELOG.rst up to date, no unreleased fragments"
fi
