"""Metric labels stay a small fixed set: paths become route templates, never ids."""

import pytest

from mcp_server.observability.metrics import route_of


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/mcp", "/mcp"),
        ("/v1/tasks", "/v1/tasks"),
        ("/v1/tasks/42", "/v1/tasks/{task_id}"),
        ("/v1/tasks/42/complete", "/v1/tasks/{task_id}/complete"),
        ("/v1/task", "/v1/task"),
        ("/wp-admin/setup.php", "other"),
        ("/v1/tasks/1/2/3", "other"),
    ],
)
def test_paths_map_to_route_templates(path: str, route: str) -> None:
    assert route_of(path) == route
