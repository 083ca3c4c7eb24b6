#!/usr/bin/env bash
# The whole check: host packages, npm ci, build, lint, type check, unit, integration and e2e suites.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/deps.sh
echo "skiff: lint" >&2
node_modules/.bin/biome check .
echo "skiff: type check" >&2
bash scripts/node.sh node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
echo "skiff: tests" >&2
mkdir -p .tmp
status=0
bash scripts/node.sh node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
# One plain closing line: N passed, N failed, N skipped.
bash scripts/node.sh -e '
  const r = JSON.parse(require("node:fs").readFileSync(".tmp/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"
