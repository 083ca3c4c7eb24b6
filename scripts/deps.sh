#!/usr/bin/env bash
# Host packages, npm dependencies and the build: what both README commands need first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/host-packages.sh
stamp=node_modules/.skiff-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "skiff: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
bash scripts/build.sh
