"""Prometheus metrics, served at /metrics over HTTP.

One registry per server (not the global one), so that several servers in one process - the
tests - keep their own counts. Names follow Prometheus conventions: `_total` counters, `_seconds`
histograms, labels of small fixed sets only (tool, outcome, error kind, backend), never ids or text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from mcp_server.observability.health import MODEL_EVENTS, PROBE_PATHS, ComponentState, ModelsHealth

# Tool calls are milliseconds; model calls are up to tens of seconds.
TOOL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MODEL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST

METRICS_PATH = "/metrics"
_KNOWN_ROUTES = frozenset({"/mcp", "/v1/task", "/v1/tasks", *PROBE_PATHS, METRICS_PATH, "/openapi.json", "/docs"})
_TASK_PATH = re.compile(r"^/v1/tasks/[^/]+(?P<rest>/complete)?$")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_of(method: str) -> str:
    """The method as a label: a client can send any token as a method, and each new label value
    would be a new time series kept forever, so anything unusual is OTHER."""
    return method if method in _KNOWN_METHODS else "OTHER"


def route_of(path: str) -> str:
    """A route template for a path, so that metric labels stay a small fixed set (never an id)."""
    if path in _KNOWN_ROUTES:
        return path
    if match := _TASK_PATH.match(path):
        return "/v1/tasks/{task_id}" + (match["rest"] or "")
    return "other"


class ModelCollector(Collector):
    """Model backend counters and gauges, read from health at scrape time (no bookkeeping twice)."""

    def __init__(self, models: ModelsHealth) -> None:
        self.models = models

    def collect(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "task_api_model_events", "Model backend events since start, by kind.", labels=["backend", "event"]
        )
        queue = GaugeMetricFamily(
            "task_api_model_queue_depth", "Commands waiting for a generation slot.", labels=["backend"]
        )
        limit = GaugeMetricFamily(
            "task_api_model_concurrency_limit",
            "Generations the backend may have at once now (adapting for a remote engine).",
            labels=["backend"],
        )
        in_flight = GaugeMetricFamily(
            "task_api_model_in_flight", "Commands the backend is generating an answer for now.", labels=["backend"]
        )
        ready = GaugeMetricFamily(
            "task_api_model_ready", "1 when the backend's model is ready to answer.", labels=["backend"]
        )
        invalid = CounterMetricFamily(
            "task_api_model_invalid_outputs", "Model answers that were not one valid action.", labels=["backend"]
        )
        for backend in self.models.backends:
            name = backend.backend or "model"
            for event in MODEL_EVENTS:
                calls.add_metric([name, event], backend.counts[event])
            invalid.add_metric([name], backend.counts["invalid_outputs"])
            queue.add_metric([name], backend.queued)
            in_flight.add_metric([name], backend.in_flight)
            if backend.concurrency_limit is not None:
                limit.add_metric([name], backend.concurrency_limit)
            ready.add_metric([name], 1.0 if backend.state == ComponentState.READY else 0.0)
        yield from (calls, invalid, queue, limit, in_flight, ready)


class Metrics:
    def __init__(self, models: ModelsHealth | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if models is not None:
            self.registry.register(ModelCollector(models))
        self.tool_calls = Counter(
            "task_api_tool_calls_total",
            "MCP tool calls by tool and outcome.",
            ["tool", "outcome", "error_kind"],
            registry=self.registry,
        )
        self.tool_seconds = Histogram(
            "task_api_tool_call_seconds",
            "Time to answer an MCP tool call.",
            ["tool", "outcome"],
            buckets=TOOL_BUCKETS,
            registry=self.registry,
        )
        self.http_requests = Counter(
            "task_api_http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "task_api_http_request_seconds",
            "Time to answer an HTTP request (to the end of its body).",
            ["method", "route"],
            buckets=TOOL_BUCKETS,
            registry=self.registry,
        )
        self.model_seconds = Histogram(
            "task_api_model_call_seconds",
            "Time a model backend took to answer one generation.",
            ["backend"],
            buckets=MODEL_BUCKETS,
            registry=self.registry,
        )
        self.plan_requests = Counter(
            "task_api_plan_requests_total",
            "Requests counted against plans (a command in words counts more than one), by plan.",
            ["plan"],
            registry=self.registry,
        )
        self.quota_refusals = Counter(
            "task_api_quota_refusals_total",
            "Calls refused because their principal's plan was used up this month, by plan.",
            ["plan"],
            registry=self.registry,
        )
        self.store_errors = Counter(
            "task_api_store_errors_total",
            "Store operations that failed (database unreachable, locked...).",
            registry=self.registry,
        )

    def record_plan_use(self, plan: str, units: int) -> None:
        """Requests counted against a plan (`none`: no plan, `other`: one the configuration lacks)."""
        self.plan_requests.labels(plan).inc(units)

    def record_quota_refusal(self, plan: str) -> None:
        self.quota_refusals.labels(plan).inc()

    def observe_model_call(self, backend: str, seconds: float) -> None:
        self.model_seconds.labels(backend).observe(seconds)

    def record_http_request(self, method: str, path: str, status: int, seconds: float) -> None:
        route, method = route_of(path), method_of(method)
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)

    def record_tool_call(self, tool: str, seconds: float, outcome: str, error_kind: str | None) -> None:
        self.tool_calls.labels(tool, outcome, error_kind or "").inc()
        self.tool_seconds.labels(tool, outcome).observe(seconds)
        if error_kind == "store_unavailable":
            self.store_errors.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
