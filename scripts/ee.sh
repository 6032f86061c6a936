#!/usr/bin/env bash
# make ee: the execution environment's build context in build/ee (ansible-builder create) from
# the artifact `make build` wrote, then what the image build's galaxy and builder stages run,
# without a container: install the collection from the context's requirements.yml, then
# ansible-builder's introspection. Building the image itself needs quay.io (README).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
rm -rf build/ee build/ee-introspect
(set -x; ansible-builder create -f execution-environment.yml --context build/ee)
test -s build/ee/Containerfile
grep -q '^FROM ' build/ee/Containerfile
v=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
test -s "build/ee/_build/collections/egress-mail-$v.tar.gz" || {
  echo "ee: execution-environment.yml must name build/egress-mail-$v.tar.gz (galaxy.yml version)"; exit 1; }
(cd build/ee/_build && set -x && ANSIBLE_COLLECTIONS_PATH="$top/build/ee-introspect" \
  ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ansible-galaxy collection install --force \
  -r requirements.yml --collections-path "$top/build/ee-introspect")
(set -x; python build/ee/_build/scripts/introspect.py introspect --user-bindep=build/ee/_build/bindep.txt \
  build/ee-introspect)
echo "ee: build context in build/ee ($(find build/ee -type f | wc -l) files); building the image needs quay.io (see README)"
