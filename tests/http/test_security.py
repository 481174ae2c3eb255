"""What guards every HTTP route: the Host/Origin allowlist, the bearer token, the rate limit and its
key, the JSON error shape, and the metrics labels (in-process through the real ASGI app; the
listening server's own limits are in test_http_limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.types import ASGIApp

from mcp_server.app import App
from mcp_server.config import ConfigError, Settings
from mcp_server.http.host_origin import host_allowlist, origin_allowlist
from mcp_server.http.rest import build_rest_app
from mcp_server.http.stack import build_http_app

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:8000"
TOKEN = "s3cret-token-for-tests"
# Every route family but the probes, as (method, path).
GUARDED_ROUTES = [
    ("GET", "/v1/tasks"),
    ("POST", "/v1/tasks/1/complete"),
    ("DELETE", "/v1/tasks/1"),
    ("POST", "/v1/task"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/metrics"),
    ("POST", "/mcp"),
    ("GET", "/no-such-route"),
]
PROBES = ["/healthz", "/readyz", "/health"]

AsgiFactory = Callable[..., ASGIApp]


@pytest.fixture
def asgi(app: App) -> AsgiFactory:
    """The HTTP app of the running test server, built once with the options a test gives."""

    def build(**options: object) -> ASGIApp:
        rest = build_rest_app(app.service, app.runner)
        return build_http_app(app.server, app.health, metrics=app.metrics, rest=rest, **options)  # type: ignore[arg-type]

    return build


@pytest.fixture
async def http(asgi: AsgiFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi()), base_url=BASE) as client:
        yield client


def assert_json_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path"), GUARDED_ROUTES)
async def test_a_rebinding_host_is_refused_on_every_route(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path, headers={"Host": "rebind.evil.example"})
    assert_json_error(response, 421, "invalid_host")


@pytest.mark.parametrize(("method", "path"), GUARDED_ROUTES)
async def test_a_cross_site_origin_is_refused_on_every_route(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path, headers={"Origin": "http://evil.example"})
    assert_json_error(response, 403, "invalid_origin")


async def test_a_cross_site_post_without_a_body_changes_nothing(http: httpx.AsyncClient) -> None:
    created = await http.post("/v1/tasks", json={"title": "keep me open"})
    task_id = created.json()["id"]
    forged = await http.post(f"/v1/tasks/{task_id}/complete", headers={"Origin": "http://evil.example"})
    assert_json_error(forged, 403, "invalid_origin")
    assert (await http.get(f"/v1/tasks/{task_id}")).json()["status"] == "open"
    same_site = await http.post(f"/v1/tasks/{task_id}/complete", headers={"Origin": "http://localhost:5173"})
    assert same_site.status_code == 200 and same_site.json()["status"] == "done"


@pytest.mark.parametrize("path", PROBES)
async def test_probes_answer_any_host(http: httpx.AsyncClient, path: str) -> None:
    """An orchestrator may probe by any name; probes change nothing and reveal nothing."""
    response = await http.get(path, headers={"Host": "node-17.cluster.internal:8000", "Origin": "http://evil.example"})
    assert response.status_code == 200


def test_allowlists_match_ports_exactly_not_by_prefix() -> None:
    hosts = host_allowlist("127.0.0.1", ["tasks.example.com:*", "exact.example.com"])
    assert hosts.allows("127.0.0.1:8000") and hosts.allows("LOCALHOST:8000") and hosts.allows("[::1]:9")
    assert hosts.allows("tasks.example.com:443") and hosts.allows("exact.example.com")
    assert not hosts.allows("exact.example.com:8000")
    assert not hosts.allows("127.0.0.1:80.evil.example") and not hosts.allows("127.0.0.1:")
    assert not hosts.allows("127.0.0.1.evil.example:8000") and not hosts.allows("")
    origins = origin_allowlist("127.0.0.1", ["https://app.example.com"])
    assert origins.allows("http://127.0.0.1:8000") and origins.allows("https://app.example.com")
    assert not origins.allows("http://127.0.0.1:8000.evil.example") and not origins.allows("null")
    assert not origins.allows("https://app.example.com.evil.example")


@pytest.mark.parametrize("host", ["10.1.2.3:8000", "10.1.2.3", "[fd00::17]:8000"])
async def test_a_scraper_reaching_the_pod_by_its_address_is_served(http: httpx.AsyncClient, host: str) -> None:
    """Prometheus's Kubernetes discovery scrapes pods by IP: an IP address in Host is never DNS
    rebinding (which always carries the attacker's name)."""
    assert (await http.get("/metrics", headers={"Host": host})).status_code == 200
    assert (await http.get("/v1/tasks", headers={"Host": host})).status_code == 200
    forged = await http.post("/v1/tasks/1/complete", headers={"Host": host, "Origin": "http://evil.example"})
    assert_json_error(forged, 403, "invalid_origin")


def test_ip_address_hosts_are_matched_as_addresses_not_prefixes() -> None:
    hosts = host_allowlist("0.0.0.0")
    assert hosts.allows("192.0.2.7:8000") and hosts.allows("[2001:db8::1]:443")
    assert not hosts.allows("192.0.2.7.evil.example:8000") and not hosts.allows("192.0.2.7:80.evil.example")
    assert not hosts.allows("[2001:db8::1].evil.example") and not hosts.allows("192.0.2.7:port")


def test_the_bound_address_is_an_allowed_host_and_a_wildcard_bind_is_not() -> None:
    assert host_allowlist("127.0.0.2").allows("127.0.0.2:8000")
    assert host_allowlist("::2").allows("[::2]:8000")
    assert host_allowlist("192.0.2.7").allows("192.0.2.7:8000")
    assert origin_allowlist("192.0.2.7").allows("http://192.0.2.7:8000")
    assert not origin_allowlist("0.0.0.0").allows("http://192.0.2.7:8000")


@pytest.mark.parametrize("host", ["127.0.0.2", "127.1.2.3", "::ffff:127.0.0.1", "0.0.0.0", "192.0.2.7"])
def test_only_this_machines_own_loopback_names_serve_without_a_token(host: str) -> None:
    refusal = Settings(transport="http", host=host).validate().open_bind_refusal()
    assert refusal is not None and "without a bearer token, API keys or an OAuth issuer" in refusal
    assert Settings(transport="http", host=host, token=TOKEN).validate().open_bind_refusal() is None
    assert Settings(transport="http", host=host, allow_insecure_bind=True).validate().open_bind_refusal() is None


def test_a_token_short_enough_to_guess_is_refused() -> None:
    with pytest.raises(ConfigError, match="use at least 16"):
        Settings(transport="http", token="short-secret").validate()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_names_serve_without_a_token(host: str) -> None:
    assert Settings(transport="http", host=host).validate().open_bind_refusal() is None


async def test_guessing_tokens_with_a_new_header_each_time_is_rate_limited(asgi: AsgiFactory) -> None:
    """Made-up credentials count against the client's address, however they vary."""
    app = asgi(token=TOKEN, rate_limit="5/minute")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        statuses = [
            (await http.get("/v1/tasks", headers={"Authorization": f"Bearer guess-{n}"})).status_code for n in range(8)
        ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses


async def test_without_a_token_the_authorization_header_does_not_choose_the_bucket(asgi: AsgiFactory) -> None:
    """With no token configured (a proxy in front authenticates), every client is its address."""
    app = asgi(rate_limit="3/minute")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        statuses = [
            (await http.get("/v1/tasks", headers={"Authorization": f"Bearer any-{n}"})).status_code for n in range(5)
        ]
    assert statuses == [200, 200, 200, 429, 429]


async def test_a_valid_token_is_its_own_bucket(asgi: AsgiFactory) -> None:
    app = asgi(token=TOKEN, rate_limit="3/minute")
    good = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        for _ in range(3):  # failures from this address use up the address's share ...
            assert (await http.get("/v1/tasks", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await http.get("/v1/tasks")).status_code == 429
        authorised = [(await http.get("/v1/tasks", headers=good)).status_code for _ in range(4)]
    assert authorised == [200, 200, 200, 429]  # ... not the token's


async def test_failed_authentications_are_limited_but_a_valid_token_never_is(asgi: AsgiFactory) -> None:
    """Wrong tokens from one address get 429 past the failure limit, with no rate limit set; clients
    with the valid token from that same address (behind one proxy, say) keep working."""
    app = asgi(token=TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        failures = [
            (await http.get("/v1/tasks", headers={"Authorization": f"Bearer g{n}"})).status_code for n in range(20)
        ]
        refused = await http.get("/v1/tasks", headers={"Authorization": "Bearer another-guess"})
        valid = await http.get("/v1/tasks", headers={"Authorization": f"Bearer {TOKEN}"})
        probe = await http.get("/healthz")
    assert failures == [401] * 20
    assert_json_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert valid.status_code == 200
    assert probe.status_code == 200


async def test_made_up_methods_do_not_grow_the_metrics(http: httpx.AsyncClient) -> None:
    for n in range(200):
        await http.request(f"X{n}", "/healthz")
    metrics = (await http.get("/metrics")).text
    methods = {line.split('method="')[1].split('"')[0] for line in metrics.splitlines() if 'method="' in line}
    assert methods <= {"GET", "OTHER"}, methods
    assert len(metrics) < 20_000


async def test_made_up_routes_share_one_label(http: httpx.AsyncClient) -> None:
    for n in range(50):
        await http.get(f"/probe-{n}/x")
    metrics = (await http.get("/metrics")).text
    assert "probe-" not in metrics and 'route="other"' in metrics


async def test_framework_errors_have_the_json_error_shape(app: App, http: httpx.AsyncClient) -> None:
    assert_json_error(await http.get("/no-such-route"), 404, "not_found")
    assert_json_error(await http.delete("/v1/tasks"), 405, "method_not_allowed")
    not_json = await http.post("/v1/tasks", content=b"{not json", headers={"content-type": "application/json"})
    assert_json_error(not_json, 422, "invalid_input")
    assert not_json.json()["error"]["message"].startswith("body: not valid JSON")
    async with app.server.session_manager.run():  # what the HTTP server's lifespan does
        wrong_type = await http.post("/mcp", content=b"{}", headers={"content-type": "text/plain"})
    assert_json_error(wrong_type, 400, "bad_request")


async def test_a_misspelt_command_field_is_refused_and_nothing_runs(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/task", json={"command": "create a task: call mum", "dryRun": True})
    assert_json_error(response, 422, "invalid_input")
    assert "dryRun" in response.json()["error"]["message"]
    assert (await http.get("/v1/tasks")).json()["tasks"] == []
