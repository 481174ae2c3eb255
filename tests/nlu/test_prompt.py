"""The model's instructions have one source; the committed Modelfile must say the same."""

from pathlib import Path

from mcp_server.cli import main
from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.prompt import EXAMPLES, MODEL_NAME, OPTIONS, STOP_TOKENS, SYSTEM_PROMPT, render_modelfile

MODELFILE = Path(__file__).parents[2] / "Modelfile"


def test_committed_modelfile_matches_the_package() -> None:
    assert MODELFILE.read_text() == render_modelfile(), "run: task-api-mcp modelfile > Modelfile"


def test_modelfile_has_production_parameters() -> None:
    text = MODELFILE.read_text()
    assert f"ollama create {MODEL_NAME} -f Modelfile" in text
    assert "PARAMETER num_ctx 2048" in text and "PARAMETER num_predict 256" in text
    assert OPTIONS["temperature"] <= 0.2
    assert all(f'PARAMETER stop "{token}"' in text for token in STOP_TOKENS)
    assert f'SYSTEM """{SYSTEM_PROMPT}"""' in text


def test_examples_are_valid_actions_and_appear_in_the_prompt() -> None:
    assert {example["action"] for _, example in EXAMPLES} >= {
        "create_task",
        "list_tasks",
        "update_task",
        "delete_task",
        "complete_task",
        "error",
    }
    for command, example in EXAMPLES:
        parse_action(example)
        assert command in SYSTEM_PROMPT


def test_modelfile_command_prints_it(capsys) -> None:
    main(["modelfile", "--gguf", "qwen2.5:0.5b-instruct"])
    out = capsys.readouterr().out
    assert out.startswith("# task-api-prod") and "FROM qwen2.5:0.5b-instruct\n" in out
