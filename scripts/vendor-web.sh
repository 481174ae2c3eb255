#!/usr/bin/env bash
# Copies the browser libraries the web page uses from npm (scripts/web/package-lock.json pins them)
# into the package, with their licences, so the page works offline and from an installed wheel.
# Run after changing scripts/web/package.json; tests/http/web/test_vendored.py checks the copies.
set -euo pipefail
cd "$(dirname "$0")/web"
npm ci --no-audit --no-fund --loglevel=error
vendor=../../mcp_server/http/web/static/vendor
mkdir -p "$vendor"
# htm's standalone build: htm and Preact (with its hooks) in one ES module, no eval, no bare imports.
cp node_modules/htm/preact/standalone.module.js "$vendor/htm-preact.js"
cp node_modules/htm/LICENSE "$vendor/htm-preact.LICENSE"
# What each copy is, for tests/http/web/test_vendored.py to hold the copies to.
version=$(node -p 'require("./node_modules/htm/package.json").version')
digest=$(sha256sum "$vendor/htm-preact.js" | cut -d' ' -f1)
printf '{\n  "htm-preact.js": {"package": "htm", "version": "%s", "file": "preact/standalone.module.js", "sha256": "%s"}\n}\n' \
  "$version" "$digest" >"$vendor/SOURCES.json"
