"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis), against a real
server: no 5xx, and every response's status, content type and body match what the schema documents.

Not checked: that every schema-valid request is accepted. Some rules cannot be written in JSON schema
(2026-02-30 is not a date; a cursor must be one the server issued), and those requests rightly
answer 422."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from harness.servers import start_http_server
from mcp_server.http.events import EVENTS_PATH

EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_answers_within_its_schema(tmp_path: Path) -> None:
    server = start_http_server(tmp_path / "fuzz.db", tmp_path / "fuzz.log", "--backend", "rules")
    try:
        schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 18
        for operation in operations:
            if operation.path == EVENTS_PATH:  # a stream that stays open; tests/http/test_events.py
                continue

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS)

            check()
    finally:
        server.stop()
