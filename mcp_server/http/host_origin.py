"""DNS-rebinding and cross-site protection for every HTTP route but the probes.

A page on another site can make a browser send requests to this server: by DNS rebinding (its own
name resolving to 127.0.0.1, so the `Host` header carries that name) or by a plain cross-site form
POST (which carries an `Origin`). So every request must name this server in `Host`, and a request
that carries an `Origin` must come from an origin this server trusts. A `Host` that is an IP address
is accepted as well: rebinding always carries the attacker's host name, never an address, and in a
cluster a scraper or a peer reaches a pod by its IP; a cross-site request to an address still
carries its page's `Origin`, which is checked. Non-browser clients send no
`Origin` and are not affected. Probes are exempt: an orchestrator probes a pod by its IP address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.config import TOKEN_FREE_HOSTS
from mcp_server.http.errors import error_response
from mcp_server.observability.health import PROBE_PATHS


def host_for_header(host: str) -> str:
    """How a bind address appears in a Host header: an IPv6 address in brackets."""
    bare = host.strip("[]")
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return host


# The token-free binds as names in a Host header.
LOOPBACK_NAMES = tuple(sorted({host_for_header(host) for host in TOKEN_FREE_HOSTS}))
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]"})
_MAX_PORT_DIGITS = 5


@dataclass(frozen=True)
class Allowlist:
    """Exact values, or `value:*` for that value with any port; compared without regard to case.

    A `:*` pattern matches only a numeric port, so `127.0.0.1:*` does not let `127.0.0.1:80.evil.example`
    through, as a prefix match would."""

    patterns: frozenset[str]
    ip_addresses: bool = False  # also any IP address, with or without a port

    @classmethod
    def of(cls, values: Iterable[str]) -> Allowlist:
        return cls(frozenset(value.strip().lower() for value in values if value.strip()))

    def allows(self, value: str) -> bool:
        value = value.lower()
        if value in self.patterns or (self.ip_addresses and is_ip_address(value)):
            return True
        base, colon, port = value.rpartition(":")
        return bool(colon) and port.isdigit() and len(port) <= _MAX_PORT_DIGITS and f"{base}:*" in self.patterns


def is_ip_address(host: str) -> bool:
    """Whether a Host value is an IP address (IPv6 in brackets), with or without a numeric port."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        has_port, port = rest.startswith(":"), rest[1:]
        if rest and not has_port:
            return False
    else:
        name, colon, port = host.partition(":") if host.count(":") == 1 else (host, "", "")
        has_port = bool(colon)
    if has_port and not (port.isdigit() and len(port) <= _MAX_PORT_DIGITS):
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowlist(bind_host: str, extra: Iterable[str] = ()) -> Allowlist:
    """Loopback names, the address the server is bound to (unless it binds every address), any IP
    address, and `extra`."""
    allowed = Allowlist.of([*_own_names(bind_host), *(f"{name}:*" for name in _own_names(bind_host)), *extra])
    return Allowlist(allowed.patterns, ip_addresses=True)


def _own_names(bind_host: str) -> list[str]:
    names = list(LOOPBACK_NAMES)
    if bind_host.strip().lower() not in WILDCARD_BINDS:
        names.append(host_for_header(bind_host.strip()))
    return names


def origin_allowlist(bind_host: str, extra: Iterable[str] = ()) -> Allowlist:
    """Pages served from loopback (or the bound address), over http or https, and `extra`."""
    hosts = [*_own_names(bind_host), *(f"{name}:*" for name in _own_names(bind_host))]
    return Allowlist.of([*(f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")), *extra])


class HostOriginMiddleware:
    """421 for a `Host` that does not name this server, 403 for an `Origin` it does not trust."""

    def __init__(self, app: ASGIApp, *, hosts: Allowlist, origins: Allowlist) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        origin = headers.get(b"origin")
        if not self.hosts.allows(host):
            shown = host[:100] or "(none)"
            response = error_response(
                421,
                "invalid_host",
                f"Host {shown!r} is not a name of this server; add it with --allowed-host (TASK_API_ALLOWED_HOSTS)",
            )
        elif origin is not None and not self.origins.allows(origin.decode("latin-1")):
            shown = origin.decode("latin-1")[:100]
            response = error_response(
                403,
                "invalid_origin",
                f"requests from origin {shown!r} are not allowed; add it with --allowed-origin "
                f"(TASK_API_ALLOWED_ORIGINS)",
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
