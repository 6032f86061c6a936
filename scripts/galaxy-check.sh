#!/usr/bin/env bash
# make galaxy-check: is the collection artifact ready for Galaxy? Offline.
#  1. ansible-galaxy collection build --output-path build/
#  2. the artifact's file list: what must be there is, and nothing from the work tree that
#     must not ship (virtual environments, caches, build output, test output, molecule
#     ephemeral data, reports, local tooling) is
#  3. galaxy-importer on the artifact (settings: scripts/galaxy-importer.cfg: everything a
#     Galaxy import checks except ansible-test in a container, which needs a registry; `make
#     sanity` runs ansible-test locally). Any ERROR fails, and so does any WARNING that is not
#     listed in KNOWN_WARNINGS below.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export PATH="$top/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=0 NO_COLOR=1
log() { printf '\n== galaxy-check: %s\n' "$*"; }

# Warnings the importer prints that are accepted for now, exactly as printed, each with the
# reason and what removes it. Keep this list empty whenever possible.
KNOWN_WARNINGS=()

version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
artifact=build/egress-mail-$version.tar.gz

# 1. build ----------------------------------------------------------------------------------------
log "ansible-galaxy collection build"
mkdir -p build
ansible-galaxy collection build --force --output-path build/ .
[ -s "$artifact" ] || { echo "galaxy-check: $artifact was not built" >&2; exit 1; }

# 2. file list ------------------------------------------------------------------------------------
log "file list of $artifact"
tar -tzf "$artifact" | sed 's|^\./||; s|/$||' | sort >build/artifact-files.txt
python - "$artifact" <<'EOF'
import json, re, sys, tarfile

artifact = sys.argv[1]
names = [l.strip() for l in open('build/artifact-files.txt') if l.strip()]
problems = []

forbidden = [
    (r'(^|/)\.venv[^/]*(/|$)', 'a virtual environment'),
    (r'(^|/)\.cache(/|$)', 'a cache'),
    (r'(^|/)\.git(/|$)', 'git metadata'),
    (r'(^|/)\.ansible(/|$)', 'ansible local data'),
    (r'(^|/)\.molecule(/|$)', 'molecule ephemeral data'),
    (r'(^|/)(\.pytest_cache|__pycache__|\.tox|\.nox|\.mypy_cache|\.hypothesis|\.ruff_cache|\.mutmut-cache)(/|$)', 'a Python or test cache'),
    (r'\.py[co]$', 'compiled Python'),
    (r'^build(/|$)', 'build output'),
    (r'^tests/output(/|$)', 'ansible-test output'),
    (r'^bench/', 'benchmarks (bench/results in particular)'),
    (r'(^|/)port25-report(/|$)', 'a port25_audit report'),
    (r'(^|/)importer_result\.json$', 'galaxy-importer output'),
    (r'^changelogs/\.plugin-cache\.yaml$', 'the antsibull-changelog plugin cache'),
    (r'\.(tar\.gz|tgz|zip|whl|log|retry|swp)$', 'an archive, log or editor file'),
    (r'^(scripts|demo|\.ci)(/|$)', 'local tooling (build_ignore in galaxy.yml)'),
    (r'^(Makefile|ansible\.cfg|requirements-test\.txt|requirements-mutation\.txt|requirements-galaxy\.txt|pytest\.ini)$',
     'local tooling (build_ignore in galaxy.yml)'),
    (r'(^|/)(vault-password|\.vault_pass)[^/]*$|\.pem$|\.key$', 'a secret or key'),
]
for name in names:
    for pattern, what in forbidden:
        if re.search(pattern, name):
            problems.append('%s: %s must not be in the artifact' % (name, what))

required = ['MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.rst', 'changelogs/changelog.yaml',
            'changelogs/config.yaml', 'meta/runtime.yml', 'meta/execution-environment.yml',
            'meta/ee-requirements.txt', 'meta/ee-bindep.txt', 'playbooks/site.yml',
            'docs/docsite/extra-docs.yml', 'docs/docsite/rst/providers.rst',
            'examples/inventory/hosts.yml', 'examples/validate.yml']
roles = sorted({n.split('/')[1] for n in names if n.startswith('roles/') and n.count('/') >= 2})
required += ['roles/%s/README.md' % r for r in roles]
required += ['roles/%s/meta/argument_specs.yml' % r for r in roles]
for name in required:
    if name not in names:
        problems.append('%s: missing from the artifact' % name)

with tarfile.open(artifact) as tar:
    manifest = json.load(tar.extractfile('MANIFEST.json'))
    files = json.load(tar.extractfile('FILES.json'))
info = manifest['collection_info']
listed = {f['name'] for f in files['files'] if f['name'] != '.'}
if listed != set(names) - {'MANIFEST.json', 'FILES.json'}:
    problems.append('FILES.json does not list exactly the files of the archive')

top = sorted({n.split('/')[0] for n in names})
print('artifact: %s %s.%s %s, %d entries; top level: %s' % (
    artifact, info['namespace'], info['name'], info['version'], len(names), ' '.join(top)))
print('roles: %s' % ', '.join(roles))
if problems:
    print('\n'.join('galaxy-check: ' + p for p in problems))
    sys.exit(1)
print('file list: clean (no caches, virtual environments, build or test output, local tooling)')
EOF

# 3. galaxy-importer --------------------------------------------------------------------------------
log "galaxy-importer $(python -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))') on $artifact"
work=build/galaxy-importer
rm -rf "$work"
mkdir -p "$work"
# The importer writes importer_result.json into its working directory.
(cd "$work" && GALAXY_IMPORTER_CONFIG="$top/scripts/galaxy-importer.cfg" \
   python -m galaxy_importer.main "$top/$artifact") >"$work/output.txt" 2>&1 || {
  cat "$work/output.txt"; echo "galaxy-check: galaxy-importer failed" >&2; exit 1; }
grep -v '^Loading ' "$work/output.txt" | grep -v '^[[:space:]]*$'
echo "($(grep -c '^Loading ' "$work/output.txt") 'Loading ...' lines not shown; full output: $work/output.txt)"

status=0
grep -q '^Importer processing completed successfully' "$work/output.txt" || status=1
while IFS= read -r line; do
  known=0
  for k in "${KNOWN_WARNINGS[@]}"; do [ "$line" = "$k" ] && known=1; done
  if [ $known = 1 ]; then
    echo "galaxy-check: known warning (see KNOWN_WARNINGS in $0): $line"
  else
    echo "galaxy-check: NEW WARNING OR ERROR: $line"; status=1
  fi
done < <(grep -E '^(WARNING|ERROR|CRITICAL)' "$work/output.txt" || true)
for k in "${KNOWN_WARNINGS[@]}"; do
  grep -qxF "$k" "$work/output.txt" || echo "galaxy-check: the known warning '$k' is gone: remove it from KNOWN_WARNINGS"
done
if [ $status != 0 ]; then
  echo "galaxy-check: FAILED" >&2
  exit 1
fi
echo "galaxy-check: $artifact is ready for Galaxy"
