#!/usr/bin/env bash
# The static checks, with the versions scripts/install.sh put in .venv: lint (ruff check), formatting
# (ruff format --check) and types (mypy, strict over mcp_server/, configured in pyproject.toml).
# Runs all three and fails if any fails.
# Usage: scripts/check.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
if [ ! -x .venv/bin/mypy ]; then
  echo "scripts/check.sh: .venv lacks the checkers; run scripts/install.sh first" >&2
  exit 2
fi
status=0
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1
.venv/bin/mypy || status=1
exit "$status"
