"""Access token verification against an issuer's published keys: every claim and header a token could
get wrong is refused with a reason, keys are fetched on first use and again only when a token names a
key not yet seen (at most once a floor, however many such tokens arrive), and an issuer that cannot be
reached is told apart from a bad token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import anyio
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from harness.jwt_issuer import JwtIssuer, SigningKey
from harness.servers import free_port
from mcp_server.http.oauth.tokens import AccessTokenVerifier, IssuerUnavailable, TokenRefused

pytestmark = pytest.mark.anyio

AUDIENCE = "http://127.0.0.1:8000/mcp"


@pytest.fixture
def issuer() -> Iterator[JwtIssuer]:
    published = JwtIssuer(AUDIENCE).start()
    yield published
    published.stop()


def verifier_for(issuer: JwtIssuer, **options: float) -> AccessTokenVerifier:
    return AccessTokenVerifier(issuer.issuer, AUDIENCE, **{"leeway_s": 0, **options})


def unsigned(header: dict[str, object], claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


async def refused(verifier: AccessTokenVerifier, token: str) -> str:
    with pytest.raises(TokenRefused) as caught:
        await verifier.verify(token)
    return str(caught.value)


async def test_a_valid_token_gives_its_subject_scopes_and_client(issuer: JwtIssuer) -> None:
    verified = await verifier_for(issuer).verify(issuer.token(sub="alice", scope="tasks:read other"))
    assert (verified.subject, verified.scopes, verified.client_id) == ("alice", {"tasks:read", "other"}, "test-client")
    assert verified.expires_at > time.time()


async def test_scopes_may_come_as_scp_a_string_or_a_list(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer)
    assert (await verifier.verify(issuer.token(scope=None, scp=["tasks:read", "x"]))).scopes == {"tasks:read", "x"}
    assert (await verifier.verify(issuer.token(scope=None, scp="tasks:write"))).scopes == {"tasks:write"}
    assert (await verifier.verify(issuer.token(scope=None))).scopes == frozenset()


async def test_ec_keys_and_tokens_without_typ_or_with_jwt_typ_verify(issuer: JwtIssuer) -> None:
    issuer.published.append(SigningKey.ec("ec-1"))
    verifier = verifier_for(issuer)
    assert (await verifier.verify(issuer.token(key=issuer.published[1]))).subject == "alice"
    assert (await verifier.verify(issuer.token(headers={"typ": "JWT"}))).subject == "alice"
    untyped = jwt.encode(
        jwt.decode(issuer.token(), options={"verify_signature": False}),
        issuer.published[0].private,
        algorithm="RS256",
        headers={"kid": "key-1"},
    )
    assert (await verifier.verify(untyped)).subject == "alice"


async def test_every_wrong_claim_is_refused_with_its_reason(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer)
    assert "not for this server" in await refused(verifier, issuer.token(aud="http://127.0.0.1:9/mcp"))
    assert "not from" in await refused(verifier, issuer.token(iss="http://127.0.0.1:9"))
    assert "expired" in await refused(verifier, issuer.token(lifetime_s=-1))
    assert "not valid yet" in await refused(verifier, issuer.token(nbf=int(time.time()) + 60))
    assert "sub" in await refused(verifier, issuer.token(sub=None))
    assert "exp" in await refused(verifier, issuer.token(exp=None))
    assert "names no subject" in await refused(verifier, issuer.token(sub=""))
    assert "not an access token" in await refused(verifier, issuer.token(headers={"typ": "logout+jwt"}))


async def test_clock_skew_within_the_leeway_is_allowed(issuer: JwtIssuer) -> None:
    lenient = verifier_for(issuer, leeway_s=30)
    assert (await lenient.verify(issuer.token(lifetime_s=-5))).subject == "alice"
    assert (await lenient.verify(issuer.token(nbf=int(time.time()) + 5))).subject == "alice"
    assert "expired" in await refused(lenient, issuer.token(lifetime_s=-60))


async def test_forged_tokens_are_refused(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer)
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    assert "'none'" in await refused(verifier, unsigned({"alg": "none", "typ": "at+jwt", "kid": "key-1"}, claims))
    # An HMAC keyed with the issuer's public key (the classic confusion) never gets as far as a key.
    public_pem = (
        issuer.published[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = unsigned({"alg": "HS256", "typ": "at+jwt", "kid": "key-1"}, claims).rstrip(".")
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hmac_token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert "'HS256'" in await refused(verifier, hmac_token)
    header, _, signature = issuer.token().split(".")
    tampered_claims = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "mallory"}).encode()).rstrip(b"=")
    assert "invalid" in await refused(verifier, f"{header}.{tampered_claims.decode()}.{signature}")
    assert "not a JWT" in await refused(verifier, "tam_0123456789ab_not-a-jwt")
    # A key the JWK names for RS256 cannot verify a PS256 token, though both are RSA.
    ps256 = jwt.encode(claims, issuer.published[0].private, algorithm="PS256", headers={"kid": "key-1"})
    assert "is for RS256" in await refused(verifier, ps256)


async def test_keys_are_fetched_on_first_use_and_again_for_a_new_key(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer, refetch_floor_s=0.0)
    assert issuer.jwks_fetches == 0  # nothing at construction: a server starts with its issuer down
    for _ in range(3):
        await verifier.verify(issuer.token())
    assert issuer.jwks_fetches == 1
    issuer.published.insert(0, SigningKey.rsa("key-2"))  # the issuer rotates
    assert (await verifier.verify(issuer.token())).subject == "alice"
    assert issuer.jwks_fetches == 2
    await verifier.verify(issuer.token(key=issuer.published[1]))  # the old key, still published
    assert issuer.jwks_fetches == 2


async def test_a_token_without_kid_verifies_only_when_one_key_is_published(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer, refetch_floor_s=0.0)
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    no_kid = jwt.encode(claims, issuer.published[0].private, algorithm="RS256", headers={"typ": "at+jwt"})
    assert (await verifier.verify(no_kid)).subject == "alice"
    issuer.published.append(SigningKey.rsa("key-2"))
    fresh = verifier_for(issuer)
    assert "None" in await refused(fresh, no_kid)


async def test_a_flood_of_unknown_keys_fetches_once_a_floor(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer, refetch_floor_s=0.2)
    await verifier.verify(issuer.token())
    stranger = SigningKey.rsa("never-published")
    reasons: list[str] = []

    async def forge() -> None:
        reasons.append(await refused(verifier, issuer.token(key=stranger)))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(forge)
    assert len(reasons) == 20 and all("'never-published' is not one the issuer publishes" in r for r in reasons)
    assert issuer.jwks_fetches == 2  # the first use, and one refetch for all twenty


async def test_keys_older_than_their_max_age_are_fetched_again(issuer: JwtIssuer) -> None:
    verifier = verifier_for(issuer, keys_max_age_s=0.0, refetch_floor_s=0.0)
    token = issuer.token()
    await verifier.verify(token)
    issuer.published[:] = [SigningKey.rsa("key-2")]  # key-1 withdrawn
    assert "'key-1'" in await refused(verifier, token)


async def test_failed_fetches_keep_the_floor_and_are_shared_by_the_requests_waiting() -> None:
    verifier = AccessTokenVerifier(f"http://127.0.0.1:{free_port()}", AUDIENCE, refetch_floor_s=0.3)
    token = jwt.encode({"sub": "a"}, SigningKey.rsa("k").private, algorithm="RS256", headers={"kid": "k"})
    outcomes: list[str] = []

    async def try_once() -> None:
        try:
            await verifier.verify(token)
        except IssuerUnavailable:
            outcomes.append("unavailable")

    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(try_once)
    assert outcomes == ["unavailable"] * 20
    assert verifier._attempts == 1  # one try for all twenty
    await try_once()
    assert verifier._attempts == 2 and time.monotonic() - started >= 0.3  # the next waited for the floor


async def test_an_issuer_named_with_a_trailing_slash_is_compared_as_given() -> None:
    issuer = JwtIssuer(AUDIENCE).start()
    try:
        slashed = issuer.issuer + "/"
        verifier = AccessTokenVerifier(slashed, AUDIENCE, leeway_s=0)
        assert (await verifier.verify(issuer.token(iss=slashed))).subject == "alice"
        assert "not from" in await refused(verifier, issuer.token())
    finally:
        issuer.stop()


async def test_malformed_metadata_or_keys_are_the_issuer_s_fault_never_a_crash(issuer: JwtIssuer) -> None:
    issuer.published.append(SigningKey.rsa("odd"))
    odd_jwk = {"kty": "RSA", "kid": "odd", "use": "sig", "n": 5, "e": {}}  # fields of the wrong type
    issuer.published[1].public_jwk = lambda: odd_jwk  # type: ignore[method-assign]
    verifier = verifier_for(issuer)
    assert (await verifier.verify(issuer.token())).subject == "alice"  # the odd key is skipped, not fatal
    assert "publishes" in await refused(verifier, issuer.token(key=issuer.published[1]))


async def test_an_issuer_that_cannot_be_reached_is_not_a_bad_token() -> None:
    verifier = AccessTokenVerifier(f"http://127.0.0.1:{free_port()}", AUDIENCE)
    token = jwt.encode({"sub": "a"}, SigningKey.rsa("k").private, algorithm="RS256", headers={"kid": "k"})
    with pytest.raises(IssuerUnavailable):
        await verifier.verify(token)
