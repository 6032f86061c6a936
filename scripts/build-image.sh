#!/usr/bin/env bash
# Build a local Debian test image with debootstrap (minbase) and `podman import` it.
# Usage: scripts/build-image.sh SUITE [IMAGE]   e.g. scripts/build-image.sh bookworm
# Skipped when the image already exists (FORCE=1 rebuilds). No registry is involved.
set -euo pipefail
suite=${1:?usage: build-image.sh SUITE [IMAGE]}
image=${2:-localhost/egress-debian:$suite}
here=$(cd "$(dirname "$0")" && pwd)

# The recipe's hash is stored as a label: a cached image built by an older recipe is rebuilt.
recipe=$(sha256sum "$0" | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && podman image exists "$image" &&
   [ "$(podman image inspect --format '{{ index .Labels "egress.recipe" }}' "$image")" = "$recipe" ]; then
  echo "image $image (recipe $recipe) exists, skipped"
  exit 0
fi

mirror=$("$here/debian-mirror")
# python3 for Ansible, systemd as PID 1 so services behave as on a real host,
# iproute2/nftables for the port-blocking scenarios, openssh-server: Ansible reaches the test
# hosts over SSH as on real hosts (molecule/resources/create.yml; pipelining).
include=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,nftables,procps,ca-certificates,openssl,netbase,less,openssh-server
root=$(mktemp -d /var/tmp/egress-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

echo "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 40 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# A container image must not carry the build machine's identity or caches.
: >"$root/etc/machine-id"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# Like a long-running host, the package lists are old: `apt update_cache` with
# cache_valid_time must refresh them.
touch -d @0 "$root/var/lib/apt/lists"
# Units that make no sense in a container (and slow its boot).
for u in systemd-networkd-wait-online.service getty.target console-getty.service \
         systemd-logind.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done

tar -C "$root" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL egress.recipe=$recipe" \
  - "$image"
echo "built $image"
