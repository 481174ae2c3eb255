#!/usr/bin/env bash
# Installs the OAuth authorization server the tests start (oidc-provider, harness/oidc/) from the npm
# registry, exactly as its package-lock.json pins it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../harness/oidc"
if [ ! -d node_modules/oidc-provider ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
