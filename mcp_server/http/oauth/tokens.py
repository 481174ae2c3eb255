"""Verifying JWT access tokens (RFC 9068) against the issuer's published keys.

The keys are fetched on first use, not at start (the server starts while the issuer is down), from
the `jwks_uri` of the issuer's metadata (RFC 8414, else OpenID discovery). They are kept for an hour;
a token signed by a key not among them makes one fetch again (the issuer rotated its key), at most one
a second however many such tokens arrive, so forged key ids cannot turn this server into a flood of
requests to the issuer. Only asymmetric algorithms are accepted: a token can never pick `none` or an
HMAC keyed with a public key.

A token once verified is remembered for up to a minute (never past its expiry, and forgotten when the
issuer's keys change): a client sends the same token on every request, and checking its signature
each time (some 0.2 ms of CPU) added a fifth to a CRUD call's P50 on a busy 2-core server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import jwt

# Asymmetric signatures only; the verifier also holds each key to the `alg` its JWK names.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# RFC 9068 says at+jwt; many issuers still write JWT or nothing. The audience check is what keeps
# an ID token (whose audience is a client) out; a typ naming another kind of JWT is refused too.
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt"})
KEYS_MAX_AGE_S = 3600.0
REFETCH_FLOOR_S = 1.0
REMEMBERED_S = 60.0
REMEMBERED_MAX = 10_000
FETCH_TIMEOUT_S = 5.0
METADATA_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")


class TokenRefused(Exception):
    """The token is not one this server accepts; the message says why (for the 401's description)."""


class IssuerUnavailable(Exception):
    """The issuer's metadata or keys cannot be fetched now, so no token can be checked."""


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    scopes: frozenset[str]
    client_id: str | None
    expires_at: int


class AccessTokenVerifier:
    """Checks a token's signature, `typ`, `iss`, `aud` (this server's canonical URI, RFC 8707),
    `exp`, `nbf` and `iat` (with `leeway_s` of clock skew), and that it names a subject."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        leeway_s: float = 30.0,
        keys_max_age_s: float = KEYS_MAX_AGE_S,
        refetch_floor_s: float = REFETCH_FLOOR_S,
        timeout_s: float = FETCH_TIMEOUT_S,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.leeway_s = leeway_s
        self.keys_max_age_s = keys_max_age_s
        self.refetch_floor_s = refetch_floor_s
        self.timeout_s = timeout_s
        self.fetches = 0  # how many times the keys were fetched (for tests and logs)
        self._jwks_uri: str | None = None
        self._keys: dict[str, PublishedKey] = {}
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()
        self._verified: dict[str, tuple[float, VerifiedToken]] = {}

    async def verify(self, token: str) -> VerifiedToken:
        """The token's subject, scopes and client; TokenRefused saying why it is not accepted, or
        IssuerUnavailable when its keys cannot be fetched."""
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None and now < remembered[0] and not self._keys_stale():
            return remembered[1]
        verified = await self._check(token)
        if len(self._verified) >= REMEMBERED_MAX:
            self._verified.clear()
        self._verified[token] = (min(verified.expires_at + self.leeway_s, now + REMEMBERED_S), verified)
        return verified

    async def _check(self, token: str) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("the bearer token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise TokenRefused(f"tokens signed with {algorithm!r} are not accepted")
        kind = header.get("typ")
        if kind is not None and str(kind).lower() not in ACCEPTED_TYPES:
            raise TokenRefused(f"a {kind!r} JWT is not an access token")
        kid = header.get("kid")
        key = await self._key(kid if isinstance(kid, str) else None, str(algorithm))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[str(algorithm)],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(f"the token is not for this server ({self.audience})") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused(f"the token is not from {self.issuer}") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is invalid: {exc}") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("the token names no subject")
        client_id = claims.get("client_id")
        return VerifiedToken(
            subject=subject,
            scopes=_granted(claims),
            client_id=client_id if isinstance(client_id, str) else None,
            expires_at=int(claims["exp"]),
        )

    def _keys_stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self.keys_max_age_s

    async def _key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        found = None if self._keys_stale() else self._pick(kid, algorithm)
        if found is None:
            await self._refresh(seen=self._fetched_at)
            found = self._pick(kid, algorithm)
        if found is None:
            raise TokenRefused(f"the token's key {kid!r} is not one the issuer publishes")
        return found

    def _pick(self, kid: str | None, algorithm: str) -> jwt.PyJWK | None:
        if kid is not None:
            key = self._keys.get(kid)
        else:  # no kid: only unambiguous when the issuer publishes one key
            key = next(iter(self._keys.values())) if len(self._keys) == 1 else None
        if key is None:
            return None
        if key.algorithm not in (None, algorithm):
            raise TokenRefused(f"the token's key is for {key.algorithm}, not {algorithm}")
        return key.key

    async def _refresh(self, *, seen: float | None) -> None:
        """Fetch the keys again, unless another request did since `seen`; at most once a floor."""
        async with self._lock:
            if self._fetched_at != seen:
                return
            if self._fetched_at is not None:
                wait = self.refetch_floor_s - (time.monotonic() - self._fetched_at)
                if wait > 0:
                    await anyio.sleep(wait)
            try:
                async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as http:
                    if self._jwks_uri is None:
                        self._jwks_uri = await self._discover(http)
                    response = await http.get(self._jwks_uri)
                    response.raise_for_status()
                    published = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise IssuerUnavailable(f"cannot fetch the keys of {self.issuer}: {exc}") from None
            keys = _usable_keys(published)
            if keys.keys() != self._keys.keys():
                self._verified.clear()  # a withdrawn key's tokens must not outlive it here
            self._keys = keys
            self._fetched_at = time.monotonic()
            self.fetches += 1

    async def _discover(self, http: httpx.AsyncClient) -> str:
        """The issuer's `jwks_uri`, from the first metadata document it serves."""
        for path in METADATA_PATHS:
            response = await http.get(self.issuer + path)
            if response.status_code == 404:
                continue
            response.raise_for_status()
            metadata = response.json()
            if not isinstance(metadata, dict) or metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise ValueError(f"{self.issuer}{path} names another issuer")
            uri = metadata.get("jwks_uri")
            if not isinstance(uri, str):
                raise ValueError(f"{self.issuer}{path} names no jwks_uri")
            return uri
        raise ValueError(f"{self.issuer} serves no authorization server metadata")


def _granted(claims: dict[str, Any]) -> frozenset[str]:
    """The scopes a token grants: RFC 9068's space-separated `scope`, else the `scp` some issuers
    write instead (a string, or a list)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return frozenset(value.split())
        if isinstance(value, list):
            return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


@dataclass(frozen=True)
class PublishedKey:
    key: jwt.PyJWK
    algorithm: str | None  # the `alg` the JWK itself names, if it names one


def _usable_keys(published: Any) -> dict[str, PublishedKey]:
    """The signing keys of a JWKS by kid, skipping those this library cannot use (other key types,
    encryption keys)."""
    keys: dict[str, PublishedKey] = {}
    entries = published.get("keys", []) if isinstance(published, dict) else []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        named = entry.get("alg")
        keys[str(entry.get("kid", f"#{index}"))] = PublishedKey(key, named if isinstance(named, str) else None)
    return keys
