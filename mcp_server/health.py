"""Readiness of each component, and the counters health reports.

The store must answer for the server to be ready. The model is a component of its own so
that later parsers can report "loading" without making the plain task tools unavailable.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mcp_server import __version__
from mcp_server.store.base import TaskStore


class ComponentState(StrEnum):
    DISABLED = "disabled"
    LOADING = "loading"
    READY = "ready"
    UNAVAILABLE = "unavailable"


@dataclass
class CallCounters:
    """Tool calls and errors since start, by tool name."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, tool: str, *, error: bool) -> None:
        self.calls[tool] += 1
        if error:
            self.errors[tool] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": sum(self.calls.values()),
            "errors": sum(self.errors.values()),
            "by_tool": {name: {"calls": n, "errors": self.errors[name]} for name, n in sorted(self.calls.items())},
        }


@dataclass
class ModelHealth:
    """What the command model is doing, and how its calls have gone since start."""

    state: ComponentState = ComponentState.DISABLED
    detail: str = "natural-language commands are not configured"
    backend: str | None = None
    model: str | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def set(self, state: ComponentState, detail: str) -> None:
        self.state, self.detail = state, detail

    def count(self, what: str) -> None:
        """what: calls, invalid_outputs, retries, timeouts, busy_refusals, errors."""
        self.counts[what] += 1

    def snapshot(self) -> dict[str, Any]:
        counts = {
            key: self.counts[key]
            for key in ("calls", "invalid_outputs", "retries", "timeouts", "busy_refusals", "errors")
        }
        return {
            "status": self.state.value,
            "detail": self.detail,
            "backend": self.backend,
            "model": self.model,
            **counts,
        }


class Health:
    def __init__(self, store: TaskStore, model: ModelHealth | None = None) -> None:
        self.store = store
        self.started = time.monotonic()
        self.counters = CallCounters()
        self.model = model or ModelHealth()

    async def store_status(self) -> dict[str, Any]:
        try:
            await self.store.ping()
        except Exception as exc:  # any failure to answer means "down", with the reason
            return {"status": "down", "backend": self.store.description, "error": str(exc)}
        return {"status": "up", "backend": self.store.description}

    async def report(self) -> dict[str, Any]:
        """The health document: overall status, components, version, uptime, call counts."""
        store = await self.store_status()
        model_usable = self.model.state in (ComponentState.READY, ComponentState.DISABLED)
        ready = store["status"] == "up" and model_usable
        if store["status"] != "up":
            overall = "down"
        elif not model_usable:
            overall = "loading" if self.model.state == ComponentState.LOADING else "degraded"
        else:
            overall = "ok"
        return {
            "status": overall,
            "ready": ready,
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "components": {
                "store": store,
                "model": self.model.snapshot(),
            },
            "tool_calls": self.counters.snapshot(),
        }
