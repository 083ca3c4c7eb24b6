#!/usr/bin/env bash
# Starts a single-node skiff cluster in the foreground (Ctrl-C stops it; data is reused next time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/deps.sh"
exec "$root/bin/skiff" server --agent "$@"
