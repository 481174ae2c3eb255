#!/usr/bin/env bash
# Installs everything the tests need into .venv and .cache/, then runs lint and the whole test suite.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
export MCP_CONFORMANCE_DIR="${MCP_CONFORMANCE_DIR:-$PWD/.cache/conformance}"
scripts/install-conformance.sh >/dev/null
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
