"""The command line: stdio as a real subprocess, configuration errors, and stdout kept for the protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from harness.servers import free_port, spawn_http_server
from mcp_server.config import DEFAULT_SHARED_RATE_LIMIT, default_db_path, rate_limit_for

pytestmark = pytest.mark.anyio


def stdio_params(db: Path, *extra: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_server", "serve", "--db", str(db), *extra],
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_subprocess_serves_both_client_generations(db_path: Path, mode: str) -> None:
    async with Client(stdio_params(db_path), mode=mode) as client:
        created = await client.call_tool("create_task", {"title": "over stdio", "priority": "high"})
        assert not created.is_error
        page = await client.call_tool("list_tasks", {"priority": "high"})
        assert page.structured_content["total"] == 1
    async with Client(stdio_params(db_path)) as client:
        assert (await client.call_tool("list_tasks", {})).structured_content["total"] == 1


async def test_stdio_advertises_and_delivers_legacy_subscriptions(db_path: Path) -> None:
    heard = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            heard.set()

    async with Client(stdio_params(db_path), mode="legacy", message_handler=on_message) as client:
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe
        created = (await client.call_tool("create_task", {"title": "watched over stdio"})).structured_content
        await client.subscribe_resource(f"task://{created['id']}")
        await client.call_tool("complete_task", {"task_id": created["id"]})
        with anyio.fail_after(10):
            await heard.wait()


async def test_db_comes_from_the_environment_when_no_flag(tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server", "serve"], env={**os.environ, "TASK_API_DB": str(db)}
    )
    async with Client(params) as client:
        await client.call_tool("create_task", {"title": "env"})
    assert db.exists()


def test_stdout_carries_only_protocol_messages_and_stderr_only_json_logs(db_path: Path) -> None:
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "create_task", "arguments": {"title": "x"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "delete_task", "arguments": {"task_id": 9}},
        },
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_server", "serve", "--db", str(db_path), "--log-level", "debug"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin and process.stdout
    lines = []
    for message in messages:
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
        if "id" in message:  # wait for each reply, as a client would, before closing stdin
            lines.append(process.stdout.readline())
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    replies = [json.loads(line) for line in [*lines, *stdout.splitlines()]]
    assert all(reply["jsonrpc"] == "2.0" for reply in replies)
    assert [reply.get("id") for reply in replies] == [1, 2, 3]
    assert replies[2]["result"]["isError"] is True
    logs = [json.loads(line) for line in stderr.splitlines()]
    events = [entry["event"] for entry in logs]
    assert events.index("server_start") < events.index("server_stop")
    assert [e["tool"] for e in logs if e["event"] == "tool_call"] == ["create_task", "delete_task"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_server", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def test_non_loopback_bind_without_token_refuses_to_start(db_path: Path) -> None:
    done = run_cli("serve", "--transport", "http", "--host", "0.0.0.0", "--db", str(db_path))
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without a bearer token, API keys or an OAuth issuer" in done.stderr


def test_non_loopback_bind_with_api_keys_starts_and_asks_for_them(db_path: Path, tmp_path: Path) -> None:
    """Keys in the store are credentials enough for a shared bind: every request must present one."""
    made = run_cli("keys", "--db", str(db_path), "create", "--name", "team-bot")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    port = free_port()
    args = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--host", "0.0.0.0"]
    server = spawn_http_server(
        [*args, "--port", str(port), "--db", str(db_path), "--backend", "none"], port, tmp_path / "server.log"
    )
    try:
        assert httpx.get(f"{server.base_url}/v1/tasks", timeout=10).status_code == 401
        authorised = httpx.get(f"{server.base_url}/v1/tasks", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert authorised.status_code == 200
    finally:
        server.stop()


def test_bad_log_level_and_missing_token_file_are_reported(db_path: Path, tmp_path: Path) -> None:
    bad_level = run_cli("serve", "--log-level", "loud", "--db", str(db_path))
    assert bad_level.returncode == 2 and "log level must be one of" in bad_level.stderr
    missing = run_cli("serve", "--token-file", str(tmp_path / "nope"), "--db", str(db_path))
    assert missing.returncode == 2 and "cannot read --token-file" in missing.stderr


def test_default_db_lives_in_the_user_data_directory() -> None:
    path = default_db_path()
    assert path.name == "tasks.db" and "task-api-mcp" in str(path)


def test_version_flag() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("task-api-mcp ")


def test_a_store_that_cannot_open_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_cli("serve", "--db", str(blocker / "tasks.db"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failure = json.loads(done.stderr.splitlines()[-1])
    assert failure["event"] == "server_failed" and failure["store"] == str(blocker / "tasks.db")


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    port = free_port()
    done = run_cli("serve", "--db", f"postgresql://tasks:hunter2@127.0.0.1:{port}/tasks", "--backend", "none")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
    failure = json.loads(done.stderr.splitlines()[-1])
    assert failure["event"] == "server_failed"
    assert failure["store"] == f"postgresql://tasks@127.0.0.1:{port}/tasks"
    assert "cannot connect to the task database" in failure["error"]


def test_eval_reads_a_naive_now_and_refuses_a_bad_line_without_a_traceback(tmp_path: Path) -> None:
    line = {"command": "move task 2 to Friday", "expected": {"action": "update_task", "params": {"task_id": 2}}}
    naive = tmp_path / "naive.jsonl"
    naive.write_text(json.dumps({**line, "now": "2026-11-28T10:00:00", "timezone": "UTC"}) + "\n")
    done = run_cli("eval", "--dataset", str(naive), "--backend", "rules")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["action_accuracy"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(line) + "\n" + json.dumps({**line, "now": "2026-11-28T10:00:00", "timezone": "Mars"}))
    refused = run_cli("eval", "--dataset", str(bad), "--backend", "rules")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "Traceback" not in refused.stderr
    assert f"task-api-mcp eval: error: {bad}:2: unknown timezone 'Mars'" in refused.stderr


def test_rate_limit_defaults_to_off_locally_and_on_for_shared_binds() -> None:
    assert rate_limit_for(None, "127.0.0.1") is None
    assert rate_limit_for(None, "0.0.0.0") == DEFAULT_SHARED_RATE_LIMIT
    assert rate_limit_for("off", "0.0.0.0") is None
    assert rate_limit_for("10/second", "127.0.0.1") == "10/second"
    done = run_cli("serve", "--rate-limit", "lots", "--db", "/tmp/unused.db")
    assert done.returncode == 2 and "rate limit must look like '600/minute'" in done.stderr


def test_a_shared_bind_with_an_issuer_starts_while_the_issuer_is_down_and_points_clients_at_it(
    db_path: Path, tmp_path: Path
) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    args = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--host", "0.0.0.0"]
    args += ["--port", str(port), "--db", str(db_path), "--backend", "none", "--oauth-issuer", issuer]
    args += ["--oauth-resource", "https://tasks.example.com/mcp", "--allowed-host", "tasks.example.com"]
    server = spawn_http_server(args, port, tmp_path / "server.log")
    try:
        refused = httpx.post(f"{server.base_url}/mcp", timeout=10)
        assert refused.status_code == 401
        metadata = "https://tasks.example.com/.well-known/oauth-protected-resource/mcp"
        assert f'resource_metadata="{metadata}"' in refused.headers["WWW-Authenticate"]
        document = httpx.get(f"{server.base_url}/.well-known/oauth-protected-resource/mcp", timeout=10).json()
        assert document["authorization_servers"] == [issuer]
    finally:
        server.stop()
