#!/usr/bin/env bash
# The embedded demo: a local mail host and the local test smarthost (podman containers),
# `ansible-playbook playbooks/site.yml` with demo/inventory.yml, one message sent with
# sendmail, and where and how it arrived. `scripts/demo.sh down` removes the containers.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections
export ANSIBLE_CONFIG=$PWD/ansible.cfg MOLECULE_EPHEMERAL_DIRECTORY=$PWD/.cache/demo
net=egress-demo
hosts=(egress-demo-smarthost egress-demo-mailhost)

down() { podman rm -f "${hosts[@]}" >/dev/null 2>&1 || true; podman network rm "$net" >/dev/null 2>&1 || true; }
if [ "${1:-}" = down ]; then down; echo "demo removed"; exit 0; fi

echo "== demo: containers ${hosts[*]} on podman network $net"
down
mkdir -p "$MOLECULE_EPHEMERAL_DIRECTORY"
podman network create "$net" >/dev/null
# The smarthost from the fixture image (its packages preinstalled), the mail host bare.
declare -A image=([egress-demo-smarthost]=localhost/egress-fixture:bookworm
                  [egress-demo-mailhost]=localhost/egress-debian:bookworm)
for h in "${hosts[@]}"; do
  podman run -d --name "$h" --hostname "$h" --network "$net" --systemd=always \
    "${image[$h]}" /sbin/init >/dev/null
done
for h in "${hosts[@]}"; do   # wait for systemd to finish booting (it mounts /tmp)
  for _ in $(seq 1 30); do
    state=$(podman exec "$h" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break;; esac; sleep 1
  done
done

echo "== demo: the local smarthost (STARTTLS on 587/2525, TLS on 465, SASL required)"
ansible-playbook -i demo/inventory.yml molecule/resources/prepare.yml

echo "== demo: ansible-playbook playbooks/site.yml"
ansible-playbook -i demo/inventory.yml playbooks/site.yml

subject="egress.mail demo $(date +%s)"
echo "== demo: sending '$subject' with /usr/sbin/sendmail on egress-demo-mailhost"
printf 'Subject: %s\nFrom: app@egress-demo-mailhost\n\nHello from the demo.\n' "$subject" |
  podman exec -i egress-demo-mailhost /usr/sbin/sendmail -i -f app@egress-demo-mailhost -- someone@example.test
for _ in $(seq 1 30); do
  n=$(podman exec egress-demo-smarthost egress-fixture-records --subject "$subject" --count)
  [ "$n" -ge 1 ] && break; sleep 1
done
podman exec egress-demo-smarthost egress-fixture-records --subject "$subject" | python3 -c '
import json, sys
records = json.load(sys.stdin)
if not records:
    sys.exit("demo: the message did not arrive at the smarthost")
r = records[0]
print("== demo: the message arrived at the smarthost")
for key in ("subject", "sender", "recipient", "port", "tls_version", "tls_cipher", "auth_user", "protocol", "client"):
    print("   %-12s %s" % (key, r[key]))
'
echo "== demo: done. Look around with 'podman exec -it egress-demo-mailhost bash'; remove with 'make demo-down'."
