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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these daemons on install; skiff supervises its own.
  for svc in etcd docker-registry; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  done
fi
