"""The composition root: one store, one service, one parser, health, and the MCP server over them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from mcp.server.mcpserver import MCPServer

from mcp_server.commands.executor import CommandExecutor
from mcp_server.commands.runner import CommandRunner
from mcp_server.config import ConfigError, Settings
from mcp_server.core.errors import TaskError
from mcp_server.core.keys import ApiKeys
from mcp_server.core.service import TaskService
from mcp_server.core.usage import FLUSH_EVERY_S, UsageMeter, parse_plans
from mcp_server.mcp.notifications import ClientNotifier
from mcp_server.mcp.server import build_server
from mcp_server.nlu import dates
from mcp_server.nlu.chain import ChainParser
from mcp_server.nlu.llamacpp import TEST_MODEL_SHA256, LlamaCppParser, installed_test_model, shipped_adapter
from mcp_server.nlu.ollama import OllamaParser
from mcp_server.nlu.parser import CommandParser, ModelParser
from mcp_server.nlu.rules import RulesParser
from mcp_server.observability.health import Health, ModelsHealth
from mcp_server.observability.metrics import Metrics
from mcp_server.store import store_for
from mcp_server.store.urls import is_postgres_url

if TYPE_CHECKING:
    from mcp_server.nlu.openai_compat import OpenAICompatParser


logger = logging.getLogger(__name__)

# How long a SQLite server trusts a key it read (core/keys.py: PostgreSQL replicas read it every time).
KEY_CACHE_SQLITE_S = 1.0


@dataclass
class App:
    """Everything one running server holds."""

    service: TaskService
    keys: ApiKeys
    meter: UsageMeter
    health: Health
    server: MCPServer
    parser: CommandParser | None
    metrics: Metrics
    runner: CommandRunner
    store_description: str
    """Where the tasks live, for the start-up log line (never includes secrets)."""


def build_parser(settings: Settings) -> tuple[CommandParser | None, ModelsHealth]:
    """The parser the settings ask for, and the health view of its models."""
    if settings.backend == "none":
        return None, ModelsHealth()
    if settings.backend == "rules":
        return RulesParser(), ModelsHealth(rules=True)
    ollama = OllamaParser(
        host=settings.ollama_host,
        model=settings.model,
        timeout_s=settings.model_timeout_s,
        max_concurrent=settings.model_concurrency,
        max_queued=settings.model_queue,
    )
    if settings.backend == "ollama":
        return ollama, ModelsHealth([ollama.health])
    remote = build_openai(settings)
    if settings.backend == "openai":
        assert remote is not None, "Settings.validate requires a base URL for this backend"
        return remote, ModelsHealth([remote.health])
    embedded = build_embedded(settings)
    if settings.backend == "llamacpp":
        if embedded is None:
            raise ConfigError("--backend llamacpp needs a GGUF: --gguf PATH (or TASK_API_GGUF), or the test model")
        return embedded, ModelsHealth([embedded.health])
    models: list[ModelParser] = [m for m in (ollama, remote, embedded) if m is not None]
    return ChainParser(models, rules=True, name="auto"), ModelsHealth([m.health for m in models], rules=True)


def build_openai(settings: Settings) -> OpenAICompatParser | None:
    if not settings.openai_base_url:
        return None
    from mcp_server.nlu.openai_compat import OpenAICompatParser  # the openai client loads only when used

    return OpenAICompatParser(
        base_url=settings.openai_base_url,
        model=settings.model,
        api_key=settings.openai_api_key,
        timeout_s=settings.model_timeout_s,
        max_concurrent=settings.model_concurrency,
        max_queued=settings.model_queue,
    )


def build_embedded(settings: Settings) -> LlamaCppParser | None:
    """The in-process model: the configured GGUF, else the test model when its package is installed,
    with the task adapter trained for it (an adapter only fits the base it was trained on)."""
    embedded = partial(
        LlamaCppParser,
        timeout_s=settings.model_timeout_s,  # as set: the load has its own timeout, and warms the model up
        load_timeout_s=settings.model_load_timeout_s,
        threads=settings.model_threads,
        shared_threads=settings.model_shared_threads,
        max_queued=settings.model_queue,
        merge=None if settings.adapter_merge == "off" else settings.adapter_merge,
        cache_dir=Path(settings.model_cache) if settings.model_cache else None,
    )
    chosen = None if settings.adapter in (None, "none") else Path(settings.adapter)
    if settings.gguf:
        return embedded(gguf=Path(settings.gguf), adapter=chosen)
    bundled = installed_test_model()
    if bundled is None:
        return None
    if settings.adapter is None:
        chosen = shipped_adapter()
    return embedded(gguf=bundled, adapter=chosen, expected_sha256=TEST_MODEL_SHA256)


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Open the store, start the model's warm-up in the background (never waited for), build the server."""
    store = store_for(settings.db, pool_size=settings.db_pool_size)
    await store.open()
    refusal = settings.open_bind_refusal()
    if refusal is not None and not await store.has_keys():  # with keys, every request must present one
        await store.close()
        raise ConfigError(refusal)
    service = TaskService(store, default_timezone=settings.timezone, trash_days=settings.trash_days)
    await service.purge_expired()
    parser, models_health = build_parser(settings)
    health = Health(store, models_health, readiness=settings.readiness)
    metrics = Metrics(models_health)
    for backend in models_health.backends:
        backend.on_call = metrics.observe_model_call
    runner = CommandRunner(CommandExecutor(service), parser, settings.timezone)
    server = build_server(
        service,
        health,
        parser=parser,
        default_timezone=settings.timezone,
        metrics=metrics,
        runner=runner,
        notifier=ClientNotifier(stall_s=settings.subscriber_timeout_s),
        stateless_http=settings.transport == "http" and settings.stateless,
    )
    meter = UsageMeter(
        store,
        parse_plans(settings.plans),
        default_plan=settings.default_plan,
        on_use=lambda plan, units: (
            metrics.record_plan_use(plan, units) if units else metrics.record_quota_refusal(plan)
        ),
    )
    try:
        async with AsyncExitStack() as stack:
            if settings.transport == "http":  # only HTTP calls are counted
                stack.push_async_callback(_flush_quietly, meter)  # at exit, what the last second counted
                upkeep = await stack.enter_async_context(anyio.create_task_group())
                upkeep.start_soon(_flush_every_second, meter)
                stack.callback(upkeep.cancel_scope.cancel)
            if parser is not None:
                await stack.enter_async_context(parser.running())
                background = await stack.enter_async_context(anyio.create_task_group())
                background.start_soon(anyio.to_thread.run_sync, dates.warm_up)
            yield App(
                service=service,
                keys=ApiKeys(store, cache_s=0.0 if is_postgres_url(settings.db) else KEY_CACHE_SQLITE_S),
                meter=meter,
                health=health,
                server=server,
                parser=parser,
                metrics=metrics,
                runner=runner,
                store_description=store.description,
            )
    finally:
        await store.close()


async def _flush_every_second(meter: UsageMeter) -> None:
    while True:
        await anyio.sleep(FLUSH_EVERY_S)
        await _flush_quietly(meter)


async def _flush_quietly(meter: UsageMeter) -> None:
    """Write the counts; a store that fails keeps them for the next flush (and says so in its logs)."""
    try:
        await meter.flush()
    except TaskError as exc:  # the store's own message says what is wrong; no traceback for an outage
        logger.warning("usage_flush_failed", extra={"error": str(exc)})
