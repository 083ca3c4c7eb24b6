#!/usr/bin/env bash
# Runs the pinned Node.js LTS that npm installed from the registry (node-linux-<arch>), never the host's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "skiff: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
node="$root/node_modules/node-linux-$arch/bin/node"
if [ ! -x "$node" ]; then
  echo "skiff: pinned Node.js runtime missing at $node; run 'npm ci'" >&2
  exit 1
fi
exec "$node" "$@"
