#!/usr/bin/env bash
# Installs axe-core, the accessibility checker the page tests run in the page (harness/browser/), from
# the npm registry, exactly as its package-lock.json pins it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../harness/browser"
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
