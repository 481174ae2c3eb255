"""Write the Grafana dashboard for the service's metrics (manifests/monitoring/dashboards/task-api.json).

Run after changing a panel: `python scripts/build_dashboard.py`. A test checks that the file is current
and that every metric it queries is exported at /metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "manifests" / "monitoring" / "dashboards" / "task-api.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


def rate_sum(metric: str, by: str, legend: str, match: str = "") -> dict[str, str]:
    """Per-second rate of a counter, summed by `by`, for the chosen jobs (plus any label `match`)."""
    selector = ", ".join(m for m in ('job=~"$job"', match) if m)
    return {"expr": f"sum by ({by}) (rate({metric}{{{selector}}}[{RATE}]))", "legendFormat": legend}


def quantiles(metric: str, by: str, legend: str) -> list[dict[str, str]]:
    """P50 and P99 of a histogram, one series per `by` label."""
    return [
        {
            "expr": f'histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket{{job=~"$job"}}[{RATE}])))',
            "legendFormat": f"P{int(q * 100)} {legend}",
        }
        for q in (0.5, 0.99)
    ]


PANELS: list[tuple[str, str, str, list[dict[str, str]]]] = [
    # (title, kind, unit, targets)
    (
        "HTTP requests per second, by route",
        "timeseries",
        "reqps",
        [
            {
                "expr": f'sum by (route) (rate(task_api_http_requests_total{{job=~"$job"}}[{RATE}]))',
                "legendFormat": "{{route}}",
            }
        ],
    ),
    (
        "HTTP latency P50 / P99, by route",
        "timeseries",
        "s",
        quantiles("task_api_http_request_seconds", "route", "{{route}}"),
    ),
    (
        "Tool calls per second, by tool and outcome",
        "timeseries",
        "reqps",
        [
            {
                "expr": f'sum by (tool, outcome) (rate(task_api_tool_calls_total{{job=~"$job"}}[{RATE}]))',
                "legendFormat": "{{tool}} {{outcome}}",
            }
        ],
    ),
    ("Tool latency P50 / P99, by tool", "timeseries", "s", quantiles("task_api_tool_call_seconds", "tool", "{{tool}}")),
    (
        "Errors per second",
        "timeseries",
        "reqps",
        [
            rate_sum("task_api_http_requests_total", "route, status", "HTTP {{status}} {{route}}", 'status=~"5.."'),
            rate_sum(
                "task_api_tool_calls_total", "tool, error_kind", "tool {{tool}}: {{error_kind}}", 'outcome="error"'
            ),
            {
                "expr": f'sum(rate(task_api_store_errors_total{{job=~"$job"}}[{RATE}]))',
                "legendFormat": "store errors",
            },
        ],
    ),
    (
        "Model latency P50 / P99, by backend",
        "timeseries",
        "s",
        quantiles("task_api_model_call_seconds", "backend", "{{backend}}"),
    ),
    (
        "Model events per second (calls, retries, timeouts, busy, invalid outputs)",
        "timeseries",
        "ops",
        [
            {
                "expr": f'sum by (backend, event) (rate(task_api_model_events_total{{job=~"$job"}}[{RATE}]))',
                "legendFormat": "{{backend}} {{event}}",
            },
            {
                "expr": f'sum by (backend) (rate(task_api_model_invalid_outputs_total{{job=~"$job"}}[{RATE}]))',
                "legendFormat": "{{backend}} invalid outputs",
            },
        ],
    ),
    (
        "Model queue depth",
        "timeseries",
        "short",
        [
            {
                "expr": 'sum by (backend) (task_api_model_queue_depth{job=~"$job"})',
                "legendFormat": "{{backend}}",
            }
        ],
    ),
    (
        "Model ready (replicas ready, by backend)",
        "stat",
        "short",
        [
            {
                "expr": 'sum by (backend) (task_api_model_ready{job=~"$job"})',
                "legendFormat": "{{backend}}",
            }
        ],
    ),
]


def panel(index: int, title: str, kind: str, unit: str, targets: list[dict[str, str]]) -> dict[str, Any]:
    width, height = 12, 8
    return {
        "id": index + 1,
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": height, "w": width, "x": (index % 2) * width, "y": (index // 2) * height},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, **t} for i, t in enumerate(targets)],
    }


def dashboard() -> dict[str, Any]:
    return {
        "uid": "task-api-mcp",
        "title": "Task API MCP",
        "description": "Requests, latency per tool and route, errors, and the model behind process_command.",
        "tags": ["task-api", "mcp"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
                {
                    "name": "job",
                    "type": "query",
                    "label": "Job",
                    "datasource": DATASOURCE,
                    "query": "label_values(task_api_http_requests_total, job)",
                    "includeAll": True,
                    "multi": True,
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render())
    print(f"wrote {OUT}")
