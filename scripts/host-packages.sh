#!/usr/bin/env bash
# The single list of host packages skiff needs. Idempotent: installs only what is missing.
set -euo pipefail
PACKAGES=(
  etcd-server etcd-client
  containerd runc containernetworking-plugins
  iptables nftables iproute2 conntrack
  busybox-static curl wget ca-certificates
  docker-registry
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "skiff: missing host packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "skiff: installing host packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Debian starts etcd, containerd and docker-registry on install; skiff runs its own, so no
  # daemon is started during this install (policy-rc.d 101 = action forbidden).
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    own_policy=1
  fi
  trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for svc in etcd docker-registry; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  done
fi
