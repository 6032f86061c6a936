#!/usr/bin/env bash
# postconf and postmap for the unit tests, from Debian's postfix package unpacked into
# .cache/postfix without installing it: no service, no postfix user, nothing in /etc.
# .cache/postfix/bin/{postconf,postmap} run them with the package's own shared libraries
# (LD_LIBRARY_PATH); runtime libraries missing on this machine are installed with apt.
# Idempotent; run as root (apt). tests/unit/conftest.py (fixture postfix_bin) uses them.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$PWD/.cache/postfix
root=$dest/root
bins=(postconf postmap)

works() {  # postconf prints its version; postmap finds an address in a cidr table
  local cf
  [ -x "$dest/bin/postconf" ] && [ -x "$dest/bin/postmap" ] || return 1
  cf=$(mktemp -d)
  printf 'mail_owner = mail\ndefault_privs = nobody\nsetgid_group = daemon\n' >"$cf/main.cf"
  : >"$cf/master.cf"
  printf '192.0.2.0/24 OK\n' >"$cf/t.cidr"
  "$dest/bin/postconf" -c "$cf" -h mail_version >/dev/null 2>&1 &&
    [ "$("$dest/bin/postmap" -c "$cf" -q 192.0.2.7 "cidr:$cf/t.cidr" 2>&1)" = OK ]
  local rc=$?
  rm -rf "$cf"
  return $rc
}
missing_libs() {
  LD_LIBRARY_PATH=$root/usr/lib/postfix ldd "${bins[@]/#/$root/usr/sbin/}" | awk '/not found/ {print $1}' | sort -u
}

if works; then
  echo "postfix-binaries: $("$dest/bin/postconf" -d -h mail_version 2>/dev/null) in $dest (present)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chown _apt "$tmp" 2>/dev/null || true   # apt downloads as _apt when it can write there
(cd "$tmp" && apt-get download -q postfix >/dev/null)
deb=$(echo "$tmp"/postfix_*.deb)
rm -rf "$root"
mkdir -p "$root" "$dest/bin"
dpkg-deb -x "$deb" "$root"

libs=$(missing_libs)
if [ -n "$libs" ]; then
  # The package's own library dependencies (libdb5.3, libicu72, libsasl2-2, libssl3, ...).
  mapfile -t deps < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *([^ (|]+).*/\1/' | grep '^lib')
  echo "postfix-binaries: missing ${libs//$'\n'/ }; installing ${deps[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${deps[@]}" >/dev/null
  libs=$(missing_libs)
  [ -z "$libs" ] || { echo "postfix-binaries: still missing: ${libs//$'\n'/ }" >&2; exit 1; }
fi

for b in "${bins[@]}"; do
  cat >"$dest/bin/$b" <<WRAPPER
#!/bin/sh
# $b from $(basename "$deb"), unpacked by scripts/postfix-binaries.sh
LD_LIBRARY_PATH=$root/usr/lib/postfix\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec $root/usr/sbin/$b "\$@"
WRAPPER
  chmod 0755 "$dest/bin/$b"
done
works || { echo "postfix-binaries: $dest/bin/postconf or postmap does not run" >&2; exit 1; }
echo "postfix-binaries: $("$dest/bin/postconf" -d -h mail_version 2>/dev/null) unpacked into $dest"
