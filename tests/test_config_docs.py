"""docs/configuration.md's table says what `task-api-mcp serve` really accepts: it is regenerated from
the argument parser and compared (`python scripts/config_table.py --write` updates it)."""

from __future__ import annotations

import argparse

import pytest

from scripts import config_table


def test_the_documented_table_is_the_one_the_parser_gives() -> None:
    documented = config_table.documented(config_table.DOC.read_text())
    assert documented == config_table.render(), (
        "docs/configuration.md differs from the serve parser: run python scripts/config_table.py --write"
    )


def test_every_serve_flag_and_variable_has_a_row() -> None:
    from mcp_server.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    flags = {action.option_strings[-1] for action in serve._actions if action.option_strings} - {"--help"}
    table = config_table.render()
    assert all(f"`{flag}`" in table or f"`{flag} " in table for flag in flags)
    assert "`TASK_API_TOKEN`" in table and "`OLLAMA_HOST`" in table


def test_the_defaults_ignore_the_environment_of_whoever_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = config_table.render()
    monkeypatch.setenv("TASK_API_PORT", "9999")
    monkeypatch.setenv("TASK_API_STATEFUL", "1")
    assert config_table.render() == expected


def test_a_variable_read_outside_the_flags_must_be_described(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(config_table.ENV_ONLY, "TASK_API_OPENAI_API_KEY")
    with pytest.raises(ValueError, match="TASK_API_OPENAI_API_KEY"):
        config_table.rows()
