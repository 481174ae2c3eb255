"""A key publisher for tests of token verification: authorization server metadata (RFC 8414) and a
JWKS on a loopback port, and the private keys to sign any token a test wants with them, well-formed
or not (an expired one, one for another audience, one signed with a key it never published). The
whole OAuth flow is tested against a real authorization server (harness/authorization_server.py);
this one exists to make the tokens no real server would issue."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.servers import free_port
from harness.threaded_server import ThreadedServer

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class SigningKey:
    kid: str
    private: PrivateKey
    alg: str

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")

    def public_jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        exported = RSAAlgorithm.to_jwk(public) if isinstance(public, rsa.RSAPublicKey) else ECAlgorithm.to_jwk(public)
        return {**json.loads(exported), "kid": self.kid, "use": "sig", "alg": self.alg}


@dataclass
class JwtIssuer:
    audience: str
    published: list[SigningKey] = field(default_factory=lambda: [SigningKey.rsa("key-1")])
    port: int = field(default_factory=free_port)
    jwks_fetches: int = 0
    _server: ThreadedServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> JwtIssuer:
        async def metadata(_: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"})

        async def jwks(_: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse({"keys": [key.public_jwk() for key in self.published]})

        routes = [Route("/.well-known/oauth-authorization-server", metadata), Route("/jwks", jwks)]
        self._server = ThreadedServer(Starlette(routes=routes), self.port)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def token(
        self,
        *,
        sub: str | None = "alice",
        scope: str | None = "tasks:read tasks:write",
        lifetime_s: float = 300,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An access token signed by `key` (the first published one by default), with the claims of a
        valid one for this audience unless overridden (a claim given as None is left out)."""
        signer = key or self.published[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "scope": scope,
            "iat": now,
            "exp": now + int(lifetime_s),
            "client_id": "test-client",
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        header = {"typ": "at+jwt", "kid": signer.kid, **(headers or {})}
        return jwt.encode(payload, signer.private, algorithm=signer.alg, headers=header)
