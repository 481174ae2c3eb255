#!/usr/bin/env bash
# Makes sure a real browser is there for the page tests: Debian's chromium, which Playwright drives
# (Playwright's own browser download cannot work on a machine without internet). Installs it when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing a browser for the page tests (apt-get install chromium)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
