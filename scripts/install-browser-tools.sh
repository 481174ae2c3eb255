#!/usr/bin/env bash
# Installs what the browser tests bring into their pages (harness/browser/), from the npm registry,
# exactly as its package-lock.json pins it: axe-core, and ext-apps' MCP Apps host bridge, bundled
# by esbuild into harness/browser/built/app-bridge.js for the test host page. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../harness/browser"
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f built/app-bridge.js ] || [ node_modules/.package-lock.json -nt built/app-bridge.js ]; then
  npx --no-install esbuild app-bridge-entry.js --bundle --format=esm --platform=browser --log-level=warning \
    --outfile=built/app-bridge.js
fi
