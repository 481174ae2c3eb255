"""This server as an OAuth protected resource: its metadata (RFC 9728) and its challenges.

A client that gets a 401 reads `resource_metadata` from the `WWW-Authenticate` header, fetches that
document, and learns from it which authorization server issues tokens for this server and which
scopes it knows; it then asks that server for a token whose audience is `resource` (RFC 8707).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_server.core.principals import Scope

METADATA_ROOT = "/.well-known/oauth-protected-resource"
# What clients are told to ask for; `admin` is honoured when an issuer grants it, never advertised.
ADVERTISED_SCOPES = (Scope.READ.value, Scope.WRITE.value)


@dataclass(frozen=True)
class ProtectedResource:
    issuer: str
    resource: str  # this server's canonical URI: the audience its tokens must name

    @property
    def metadata_paths(self) -> frozenset[str]:
        """Where the metadata is served: the well-known path with the resource's path after it
        (RFC 9728 section 3.1, where clients look first), and the bare one."""
        path = urlsplit(self.resource).path.rstrip("/")
        return frozenset({METADATA_ROOT, METADATA_ROOT + path})

    @property
    def metadata_url(self) -> str:
        parts = urlsplit(self.resource)
        return f"{parts.scheme}://{parts.netloc}{METADATA_ROOT}{parts.path.rstrip('/')}"

    def document(self) -> dict[str, object]:
        return {
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": list(ADVERTISED_SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Task API MCP",
        }

    def challenge(self, *, error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
        """A `WWW-Authenticate` value (RFC 6750 section 3) that points at the metadata."""
        parts = []
        if error is not None:
            parts.append(f'error="{error}"')
        if description is not None:
            parts.append(f'error_description="{_quoted(description)}"')
        parts.append(f'scope="{scope or " ".join(ADVERTISED_SCOPES)}"')
        parts.append(f'resource_metadata="{self.metadata_url}"')
        return "Bearer " + ", ".join(parts)

    def routes(self) -> list[Route]:
        async def metadata(_: Request) -> Response:
            return JSONResponse(self.document(), headers={"Cache-Control": "max-age=300"})

        return [Route(path, metadata, methods=["GET"]) for path in sorted(self.metadata_paths)]


def _quoted(text: str) -> str:
    """RFC 6750's error_description allows printable ASCII but the quote and backslash."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)
