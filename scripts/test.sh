#!/usr/bin/env bash
# The test command: installs what is missing (scripts/install.sh, quick when pyproject.toml and
# constraints.txt are unchanged), runs the static checks (scripts/check.sh), then pytest with the
# arguments given.
# Usage: scripts/test.sh [--no-install] [--no-check] [pytest args...]   (the two options anywhere)
#   scripts/test.sh                          # everything, as CI runs it
#   scripts/test.sh -k http                  # a subset (nothing is reinstalled while nothing changed)
#   scripts/test.sh --no-check tests/http    # pytest alone
set -euo pipefail
cd "$(dirname "$0")/.."
install=1
check=1
pytest_args=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-check) check=0 ;;
    *) pytest_args+=("$arg") ;;
  esac
done
export MCP_CONFORMANCE_DIR="${MCP_CONFORMANCE_DIR:-$PWD/.cache/conformance}"
if [ "$install" = 1 ]; then
  scripts/install.sh
elif [ ! -x .venv/bin/python ]; then
  echo "scripts/test.sh: no .venv; run scripts/install.sh first (or drop --no-install)" >&2
  exit 2
fi
[ "$check" = 0 ] || scripts/check.sh
exec .venv/bin/python -m pytest "${pytest_args[@]}"
