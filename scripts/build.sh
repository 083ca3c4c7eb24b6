#!/usr/bin/env bash
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
echo "skiff: build" >&2
rm -rf dist
bash scripts/node.sh node_modules/typescript/bin/tsc -p tsconfig.build.json
bash scripts/node.sh dist/scripts/gen-openapi.js
# The pause and busybox images every agent imports at start (no registry needed).
bash scripts/node.sh dist/scripts/build-images.js
