"""Verifying JWT access tokens (RFC 9068) against the issuer's published keys.

The keys are fetched on first use, not at start (the server starts while the issuer is down), from
the `jwks_uri` of the issuer's metadata (RFC 8414, else OpenID discovery). They are kept for an hour;
a token signed by a key not among them makes one fetch again (the issuer rotated its key), at most
one a second however many such tokens arrive and whether fetches fail or not, so forged key ids
cannot turn this server into a flood of requests to the issuer. Only asymmetric algorithms are
accepted: a token can never pick `none` or an HMAC keyed with a public key.

A token once verified is remembered for up to a minute (never past its expiry, and forgotten when a
fetch finds the issuer's keys changed): a client sends the same token on every request, and checking
its signature each time (some 0.2 ms of CPU) added a fifth to a CRUD call's P50 on a busy 2-core
server.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
        self.issuer = issuer  # exactly as configured: a token's iss is compared to it as given (Auth0's ends in /)
        self.audience = audience
        self.leeway_s = leeway_s
        self.keys_max_age_s = keys_max_age_s
        self.refetch_floor_s = refetch_floor_s
        self.timeout_s = timeout_s
        self.fetches = 0  # how many times the keys were fetched (for tests and logs)
        self._jwks_uri: str | None = None
        self._keys: dict[str, PublishedKey] = {}
        self._fetched_at: float | None = None  # when the keys were last fetched
        self._attempted_at: float | None = None  # when a fetch was last tried, whatever its outcome
        self._attempts = 0
        self._failure: str | None = None  # why the last try failed
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
            await self._refresh(seen=self._attempts)
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

    async def _refresh(self, *, seen: int) -> None:
        """Fetch the keys again, unless another request tried since it looked (`seen` tries): then
        share that try's outcome. Tries, failed ones included, are at least the floor apart."""
        async with self._lock:
            if self._attempts != seen:
                if self._failure is not None:
                    raise IssuerUnavailable(self._failure)
                return
            if self._attempted_at is not None:
                wait = self.refetch_floor_s - (time.monotonic() - self._attempted_at)
                if wait > 0:
                    await anyio.sleep(wait)
            self._attempts += 1
            try:
                published = await self._fetch()
            except Exception as exc:  # any failure to fetch is the issuer's, never a 500 here
                self._failure = f"cannot fetch the keys of {self.issuer}: {exc or type(exc).__name__}"
                raise IssuerUnavailable(self._failure) from None
            finally:
                self._attempted_at = time.monotonic()
            self._failure = None
            keys = _usable_keys(published)
            if {kid: key.jwk for kid, key in keys.items()} != {kid: key.jwk for kid, key in self._keys.items()}:
                self._verified.clear()  # a withdrawn or replaced key's tokens must not outlive it here
            self._keys = keys
            self._fetched_at = time.monotonic()
            self.fetches += 1

    async def _fetch(self) -> Any:
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as http:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover(http)
            response = await http.get(self._jwks_uri)
            response.raise_for_status()
            return response.json()

    async def _discover(self, http: httpx.AsyncClient) -> str:
        """The issuer's `jwks_uri`, from the first metadata document it serves (RFC 8414's paths,
        then OpenID Connect's)."""
        tried = []
        for url in metadata_urls(self.issuer):
            response = await http.get(url)
            tried.append(f"{url}: {response.status_code}")
            if 400 <= response.status_code < 500:
                continue
            response.raise_for_status()
            metadata = response.json()
            named = metadata.get("issuer") if isinstance(metadata, dict) else None
            if not isinstance(named, str) or named.rstrip("/") != self.issuer.rstrip("/"):
                raise ValueError(f"{url} names another issuer")
            uri = metadata.get("jwks_uri")
            if not isinstance(uri, str) or not _fetchable(uri):
                raise ValueError(f"{url} names no https jwks_uri")
            return uri
        raise ValueError(f"no authorization server metadata ({'; '.join(tried)})")


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may be: RFC 8414 puts the well-known path before the issuer's own
    path; OpenID Connect Discovery after it."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    found = [f"{origin}{METADATA_PATHS[0]}{path}", f"{origin}{path}{METADATA_PATHS[1]}"]
    if path:
        found.append(f"{origin}{METADATA_PATHS[1]}{path}")
    return list(dict.fromkeys(found))


def _fetchable(url: str) -> bool:
    """https, or http on loopback (a local issuer, the tests)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in ("127.0.0.1", "::1", "localhost"))


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
    jwk: str  # the published JWK itself, to tell a replaced key from the same one


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
        except Exception:  # a key this library cannot read (a kind it lacks, a malformed field) is skipped
            continue
        named = entry.get("alg")
        kid = entry.get("kid")
        published = PublishedKey(key, named if isinstance(named, str) else None, json.dumps(entry, sort_keys=True))
        keys[kid if isinstance(kid, str) else f"#{index}"] = published
    return keys
