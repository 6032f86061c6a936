#!/usr/bin/env bash
# Build a test image on top of a base image from build-image.sh, with packages preinstalled
# (podman run + podman commit), so scenarios start it instead of installing it every run.
# Usage: scripts/build-derived-image.sh KIND SUITE
#   fixture  localhost/egress-fixture:SUITE  the smarthost fixture role's install step applied
#            (Postfix, Dovecot, OpenSSL, its programs); services disabled until the role's
#            prepare configures and starts them. Needs ansible-playbook (the .venv) on PATH.
#   postfix  localhost/egress-postfix:SUITE  a host where Postfix is already installed, as apt
#            leaves it (enabled, Debian's default main.cf), with the image builder's host name
#            taken out of main.cf so every container gets its own
# Skipped when the image exists with the same recipe (this script, the fixture role's install
# files, the base image's ID);
# FORCE=1 rebuilds. The container reaches the Debian mirror of the base image's sources.list.
set -euo pipefail
kind=${1:?usage: build-derived-image.sh fixture|postfix SUITE}
suite=${2:?usage: build-derived-image.sh fixture|postfix SUITE}
base=localhost/egress-debian:$suite
image=localhost/egress-$kind:$suite

top=$(cd "$(dirname "$0")/.." && pwd)
fixture_role=$top/molecule/resources/roles/smarthost_fixture
case $kind in
  # The fixture role's own install step (molecule/resources/fixture-image.yml), so the image and
  # a bare host get the same packages and programs; its services stay off until configured.
  fixture) recipe_files=("$top/molecule/resources/fixture-image.yml" "$fixture_role/tasks/install.yml"
                         "$fixture_role/defaults/main.yml" "$fixture_role"/files/*) ;;
  postfix) recipe_files=() ;;
  *) echo "build-derived-image: unknown kind $kind (fixture or postfix)" >&2; exit 2 ;;
esac

podman image exists "$base" || { echo "build-derived-image: $base missing (run scripts/build-image.sh $suite)" >&2; exit 1; }
recipe=$( { cat "$0" "${recipe_files[@]}"; podman image inspect --format '{{ .Id }}' "$base"; } | sha256sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && podman image exists "$image" &&
   [ "$(podman image inspect --format '{{ index .Labels "egress.recipe" }}' "$image")" = "$recipe" ]; then
  echo "image $image (recipe $recipe) exists, skipped"
  exit 0
fi

builder=egress-build-$kind-$suite
podman rm -f "$builder" >/dev/null 2>&1 || true
trap 'podman rm -f "$builder" >/dev/null 2>&1 || true' EXIT
echo "building $image from $base"
podman run -d --name "$builder" --hostname egress-image-builder "$base" sleep infinity >/dev/null
in_builder() { podman exec "$builder" /bin/bash -c "set -eu; export DEBIAN_FRONTEND=noninteractive; $1"; }
case $kind in
  fixture)
    ANSIBLE_ROLES_PATH=$top/molecule/resources/roles ANSIBLE_FORCE_COLOR=0 \
      ansible-playbook -i "$builder," -c containers.podman.podman \
      "$top/molecule/resources/fixture-image.yml" >"/var/tmp/$builder.log" 2>&1 || {
        tail -n 40 "/var/tmp/$builder.log" >&2; exit 1; }
    rm -f "/var/tmp/$builder.log"
    in_builder "systemctl disable --quiet postfix.service dovecot.service && echo $recipe > /etc/egress-fixture-image" ;;
  postfix)
    # As apt leaves it: Debian's postinst writes the build container's name as myhostname and
    # into mydestination; taken out, so every container answers with its own name.
    in_builder "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
      apt-get update -qq && apt-get install -y -qq postfix libsasl2-modules ca-certificates >/dev/null
      rm -f /usr/sbin/policy-rc.d
      postconf -X myhostname && postconf -e 'mydestination = \$myhostname, localhost.localdomain, localhost'" ;;
esac
# No caches, and package lists as old as the base image's: apt must refresh them.
in_builder "apt-get clean && rm -rf /var/lib/apt/lists/* && touch -d @0 /var/lib/apt/lists && : > /etc/machine-id"
podman stop -t 0 "$builder" >/dev/null
podman commit -q \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL egress.recipe=$recipe" \
  "$builder" "$image" >/dev/null
echo "built $image"
