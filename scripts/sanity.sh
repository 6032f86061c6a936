#!/usr/bin/env bash
# ansible-test sanity for the collection, locally (no Docker): the tracked files are copied to
# .cache/sanity/ansible_collections/egress/mail, the path ansible-test requires.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

# ansible-test bootstraps pip in its virtual environments with a script it downloads from a
# host that is not reachable here; its documented workaround is to place the script in its
# cache. scripts/get-pip-offline.py installs pip from the interpreter's ensurepip wheel and
# then the requested pip version from the package index.
pip_version=$(python -c '
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])')
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
cp scripts/get-pip-offline.py "$cache"

dest=.cache/sanity/ansible_collections/egress/mail
rm -rf .cache/sanity
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | rsync -a --ignore-missing-args --from0 --files-from=- ./ "$dest/"
cd "$dest"
git init -q
git add -A
# A test whose program is missing is skipped with only a warning (shellcheck, once): that fails
# here, so that no sanity test is skipped silently (make setup installs the programs).
log=$top/build/sanity.log
mkdir -p "$top/build"
ansible-test sanity --python 3.11 --venv --color no "$@" 2>&1 | tee "$log"
if grep -E 'WARNING: Required program "[^"]+" not found' "$log"; then
  echo "sanity: a sanity test was skipped for want of a program (make setup installs it)" >&2
  exit 1
fi
echo "sanity: passed ($top)"
