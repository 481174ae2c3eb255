"""The task adapter that ships in the package: trained on the test model's exact file, recorded
with how and what it reached, named by the Modelfile, and loaded by default on the embedded backend."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import anyio
import pytest
from mcp import Client

from mcp_server.app import build_embedded, open_app
from mcp_server.cli import main
from mcp_server.config import Settings
from mcp_server.nlu.llamacpp import (
    ADAPTER_DIR,
    TEST_MODEL_SHA256,
    LlamaCppParser,
    installed_test_model,
    sha256_of,
    shipped_adapter,
)
from mcp_server.nlu.prompt import ADAPTER_GGUF, BASE_GGUF, render_modelfile
from mcp_server.observability.health import ComponentState
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended

RECORD = json.loads((ADAPTER_DIR / "training.json").read_text())


def test_the_adapter_ships_with_its_record() -> None:
    adapter = shipped_adapter()
    assert adapter is not None
    assert RECORD["adapter"]["sha256"] == sha256_of(adapter)
    assert adapter.stat().st_size < 8 * 1024 * 1024
    assert RECORD["base"]["sha256"] == TEST_MODEL_SHA256


def test_the_record_is_what_the_default_command_trains() -> None:
    """`task-api-mcp train` with no options reproduces the shipped adapter: the defaults are its config."""
    from mcp_server.training.finetune import TrainConfig

    assert RECORD["config"] == TrainConfig().record()
    assert {f.name for f in fields(TrainConfig)} == set(RECORD["config"])


def test_the_recorded_figures_show_the_fine_tune_far_above_the_base() -> None:
    # The record is the shipped adapter's own run, the model alone (no rules) on the typed test set,
    # whose phrasings no training phrasing shares: 0.82 / 0.61 against the base's 0.25 / 0.13.
    base, tuned = RECORD["eval"]["base"], RECORD["eval"]["fine-tuned"]
    assert RECORD["eval"]["dataset"].endswith("eval/test.jsonl") and tuned["n"] == base["n"] > 200
    assert tuned["schema_valid_rate"] == base["schema_valid_rate"] == 1.0
    assert tuned["action_accuracy"] >= 0.8 and tuned["action_accuracy"] >= base["action_accuracy"] + 0.5
    assert tuned["params_accuracy"] >= base["params_accuracy"] + 0.4
    assert RECORD["data"]["examples"] > 7000 and RECORD["data"]["held_out_commands"] > 3000


def test_the_modelfile_names_the_base_and_the_adapter(capsys) -> None:
    text = (Path(__file__).parents[2] / "Modelfile").read_text()
    assert f"\nFROM {BASE_GGUF}\nADAPTER {ADAPTER_GGUF}\n" in text and TEST_MODEL_SHA256 in text
    main(["modelfile", "--gguf", "qwen2.5:1.5b-instruct"])
    assert "ADAPTER" not in capsys.readouterr().out  # an adapter only fits the base it was trained on
    assert "ADAPTER" not in render_modelfile("x.gguf", adapter=None)


def test_model_files_puts_what_the_modelfile_names_in_place(tmp_path: Path, capsys) -> None:
    require_embedded()
    main(["model-files", str(tmp_path)])
    assert sha256_of(tmp_path / Path(BASE_GGUF).name) == TEST_MODEL_SHA256
    assert sha256_of(tmp_path / Path(ADAPTER_GGUF).name) == RECORD["adapter"]["sha256"]
    assert capsys.readouterr().out.count("\n") == 2


def test_model_files_takes_a_fetched_base_and_checks_it(tmp_path: Path, capsys) -> None:
    """A deployment that downloaded the base passes it with --base; a wrong file is refused."""
    require_embedded()
    fetched = tmp_path / "fetched.gguf"
    shutil.copyfile(installed_test_model(), fetched)
    main(["model-files", "--base", str(fetched), str(tmp_path / "out")])
    assert sha256_of(tmp_path / "out" / Path(BASE_GGUF).name) == TEST_MODEL_SHA256
    fetched.write_bytes(b"GGUF not the base")
    with pytest.raises(SystemExit) as exited:
        main(["model-files", "--base", str(fetched), str(tmp_path / "wrong")])
    assert exited.value.code == 2 and "is not the file the adapter was trained on" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["model-files", "--base", str(tmp_path / "missing.gguf"), str(tmp_path / "wrong")])
    assert "no base model file at" in capsys.readouterr().err
    assert not (tmp_path / "wrong").exists()


def test_the_embedded_default_is_the_test_model_with_the_adapter(tmp_path: Path) -> None:
    require_embedded()
    assert build_embedded(Settings()).adapter == shipped_adapter()
    assert build_embedded(Settings(adapter="none")).adapter is None
    assert build_embedded(Settings(gguf=str(tmp_path / "other.gguf"))).adapter is None


def test_the_adapter_is_merged_as_q8_0_unless_turned_off(tmp_path: Path) -> None:
    require_embedded()
    default = build_embedded(Settings())
    assert default is not None and (default.merge, default.cache_dir) == ("q8_0", None)
    chosen = build_embedded(Settings(adapter_merge="f16", model_cache=str(tmp_path)))
    assert chosen is not None and (chosen.merge, chosen.cache_dir) == ("f16", tmp_path)
    off = build_embedded(Settings(adapter_merge="off"))
    assert off is not None and off.merge is None


@pytest.mark.anyio
async def test_process_command_uses_the_fine_tuned_model_when_ollama_is_down(db_path: Path) -> None:
    """The auto backend with no Ollama: the commands the rules leave go to the fine-tuned model,
    which gets them right (commands from the held-out test half)."""
    require_embedded()
    settings = Settings(db=str(db_path), backend="auto", ollama_host="http://127.0.0.1:9", model_timeout_s=120)
    async with open_app(settings) as app:
        with anyio.fail_after(120):
            await app.health.model.wait_for(lambda models: models.active == "llamacpp")
        async with Client(app.server) as client:
            for title in ("Renew passport", "Backup the laptop"):
                await client.call_tool("create_task", {"title": title})
            done = await client.call_tool("process_command", {"command": "I finished passport"})
            moved = await client.call_tool("process_command", {"command": "push the laptop backup deadline to Friday"})
            refused = await client.call_tool("process_command", {"command": "what model are you?"})
            health = json.loads((await client.read_resource("health://status")).contents[0].text)
    assert done.structured_content["parser"] == "llamacpp", done.content[0].text
    assert done.structured_content["action"] == {"action": "complete_task", "params": {"task_id": 1}}
    assert done.structured_content["result"]["status"] == "done"
    assert moved.structured_content["action"]["action"] == "update_task", moved.content[0].text
    assert moved.structured_content["action"]["params"]["task_id"] == 2
    assert moved.structured_content["result"]["due"] is not None
    assert refused.is_error
    assert "task-api-lora.gguf" in health["components"]["model"]["backends"]["llamacpp"]["detail"]


@pytest.mark.anyio
async def test_a_missing_adapter_is_reported_not_loaded(tmp_path: Path) -> None:
    parser = LlamaCppParser(gguf=require_embedded(), adapter=tmp_path / "nope.gguf")
    async with parser.running():
        await load_ended(parser.health, within_s=30)
    assert parser.health.state == ComponentState.UNAVAILABLE
    assert parser.health.detail == f"no adapter file at {tmp_path / 'nope.gguf'}: set --adapter (or none)"
