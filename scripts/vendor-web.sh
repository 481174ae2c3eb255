#!/usr/bin/env bash
# Copies the browser libraries the web page and the MCP App view use from npm (scripts/web/package-lock.json pins them)
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

# The MCP Apps view library (@modelcontextprotocol/ext-apps), its build with its dependencies (the MCP
# TypeScript SDK's protocol and zod) bundled in: one ES module, inlined into the view's HTML by
# mcp_server/mcp/apps/view.py, since a host renders the view in a sandbox that can load nothing else.
apps=../../mcp_server/mcp/apps/vendor
mkdir -p "$apps"
cp node_modules/@modelcontextprotocol/ext-apps/dist/src/app-with-deps.js "$apps/ext-apps.js"
cp node_modules/@modelcontextprotocol/ext-apps/LICENSE "$apps/ext-apps.LICENSE"
{
  echo "ext-apps.js is @modelcontextprotocol/ext-apps's dist/src/app-with-deps.js (https://github.com/modelcontextprotocol/ext-apps),"
  echo "licensed as ext-apps.LICENSE says. It bundles these packages, under their licences below:"
  for bundled in @modelcontextprotocol/client @modelcontextprotocol/core zod; do
    printf '\n==== %s %s ====\n\n' "$bundled" "$(node -p "require('./node_modules/$bundled/package.json').version")"
    cat "node_modules/$bundled/LICENSE"
  done
} >"$apps/ext-apps.NOTICE"
version=$(node -p 'require("./node_modules/@modelcontextprotocol/ext-apps/package.json").version')
digest=$(sha256sum "$apps/ext-apps.js" | cut -d' ' -f1)
printf '{\n  "ext-apps.js": {"package": "@modelcontextprotocol/ext-apps", "version": "%s", "file": "dist/src/app-with-deps.js", "sha256": "%s"}\n}\n' \
  "$version" "$digest" >"$apps/SOURCES.json"
