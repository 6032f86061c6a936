#!/usr/bin/env bash
# Make a fresh Debian 12 machine ready to run `make test` (idempotent; run as root).
#  1. Debian packages: podman (with runc, netavark, aardvark-dns), debootstrap, nftables, ...
#  2. /etc/containers/containers.conf: default_ulimits = [] and runtime = "runc"
#  3. local test images localhost/egress-debian:{bookworm,trixie} (debootstrap + podman import)
#  4. .venv from the pinned requirements-test.txt
#  5. .cache/collections/ansible_collections/egress/mail -> this checkout
#  6. .cache/wheels: the pinned emailproxy wheel for the oauth2 scenario (hash checked)
#  7. .cache/postfix: postconf/postmap for the unit tests
#  8. on top of bookworm: localhost/egress-fixture (the smarthost fixture installed) and
#     localhost/egress-postfix (Postfix installed as apt leaves it), build-derived-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
log() { printf '\n== setup: %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "setup-test-env: run as root (podman rootful, debootstrap, nftables)" >&2; exit 1; }

# 1. Debian packages ---------------------------------------------------------------
pkgs=(podman runc netavark aardvark-dns iptables debootstrap nftables iproute2 make git rsync openssl openssh-client shellcheck
      python3-venv ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# 2. containers.conf -----------------------------------------------------------------
log "containers.conf"
python3 scripts/containers-conf.py /etc/containers/containers.conf

# 3. test images -----------------------------------------------------------------------
log "test images"
for suite in bookworm trixie; do
  scripts/build-image.sh "$suite"
done

# 4. Python virtual environment ----------------------------------------------------------
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "virtual environment .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
  echo "$want" >"$stamp"
else
  log "virtual environment up to date"
fi

# 5. collection path ------------------------------------------------------------------
link=.cache/collections/ansible_collections/egress/mail
if [ ! -L "$link" ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn "$top" "$link"
fi
# 6. emailproxy wheel for the oauth2 scenario (the test containers cannot reach PyPI) ---------
wheel_version=$(sed -n 's/^oauth2_proxy_version: "\(.*\)"$/\1/p' roles/oauth2_proxy/defaults/main.yml)
wheel_sha256=$(sed -n 's/^oauth2_proxy_wheel_sha256: //p' roles/oauth2_proxy/defaults/main.yml)
wheel=.cache/wheels/emailproxy-$wheel_version-py3-none-any.whl
if [ ! -f "$wheel" ] || ! echo "$wheel_sha256  $wheel" | sha256sum -c --status; then
  log "emailproxy $wheel_version wheel"
  rm -f "$wheel"
  .venv/bin/pip download -q --disable-pip-version-check --no-deps --only-binary :all: \
    --dest .cache/wheels "emailproxy==$wheel_version"
  echo "$wheel_sha256  $wheel" | sha256sum -c --status || { echo "setup-test-env: $wheel: wrong sha256" >&2; exit 1; }
else
  log "emailproxy wheel present"
fi
bash scripts/postfix-binaries.sh  # 7. postconf/postmap for the unit tests in .cache/postfix
# 8. images on top of the base images (the fixture's one is built with ansible-playbook) -------
log "derived test images"
PATH=$top/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$top/.cache/collections scripts/build-derived-image.sh fixture bookworm
scripts/build-derived-image.sh postfix bookworm
log "ready"
