"""The Grafana dashboard queries only metrics the server really exports, by labels they really carry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from mcp import Client
from prometheus_client.parser import text_string_to_metric_families

from harness.ollama_server import FakeOllama
from harness.servers import start_http_server
from scripts.build_dashboard import OUT, render
from tests.deploy.support import of_kind, render_manifests

pytestmark = pytest.mark.anyio

CREATE = '{"action":"create_task","params":{"title":"Water the plants"}}'
METRIC = re.compile(r"\b(task_api_[a-z_]+)")
GROUPING = re.compile(r"\bby \(([^)]*)\)")
PROMQL_WORDS = {"le"}


def dashboard_queries() -> list[str]:
    dashboard = json.loads(OUT.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_dashboard_file_is_the_one_the_script_builds() -> None:
    assert OUT.read_text() == render(), "run: python scripts/build_dashboard.py"


def test_dashboard_covers_what_operators_watch() -> None:
    titles = " ".join(p["title"] for p in json.loads(OUT.read_text())["panels"]).lower()
    for topic in ("requests per second", "latency", "errors", "model latency", "queue depth", "model ready"):
        assert topic in titles


async def test_every_dashboard_metric_and_label_is_exported(ollama: FakeOllama, db_path: Path, tmp_path: Path) -> None:
    """Drive a real server through every path the dashboard watches, then read /metrics as Prometheus would."""
    ollama.script.answer("plants", CREATE)
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "ollama", "--ollama-host", ollama.host)
    try:
        async with Client(server.mcp_url) as client:
            assert not (await client.call_tool("create_task", {"title": "first"})).is_error
            assert (await client.call_tool("delete_task", {"task_id": 999999, "confirm": True})).is_error
            for _ in range(50):
                answer = await client.call_tool("process_command", {"command": "water the plants"})
                if not answer.is_error:
                    break
            assert not answer.is_error, answer.content
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/v1/tasks")).status_code == 200
            exposition = (await http.get("/metrics")).text
    finally:
        server.stop()

    samples: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples.setdefault(sample.name, set()).update(sample.labels)
    for query in dashboard_queries():
        names = METRIC.findall(query)
        assert names, query
        for name in names:
            assert name in samples, f"{name} is not exported (query: {query})"
            for grouping in GROUPING.findall(query):
                labels = {label.strip() for label in grouping.split(",")} - PROMQL_WORDS
                assert labels <= samples[name], f"{name} lacks labels {labels - samples[name]}"


def test_dashboard_and_scrape_config_ship_as_configmaps(tmp_path: Path) -> None:
    docs = render_manifests(tmp_path)
    (dashboard,) = of_kind(docs, "ConfigMap", "task-api-grafana-dashboard")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["task-api.json"]) == json.loads(OUT.read_text())
    (scrape,) = of_kind(docs, "ConfigMap", "task-api-prometheus-scrape")
    assert "/etc/prometheus/secrets/task-api-token/token" in scrape["data"]["prometheus-scrape.yaml"]
