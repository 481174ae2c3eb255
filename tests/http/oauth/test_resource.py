"""This server's protected resource metadata and challenges, and the settings that name the issuer
and the resource."""

from __future__ import annotations

import pytest

from mcp_server.config import ConfigError, Settings
from mcp_server.http.oauth.resource import ProtectedResource


def test_the_metadata_lives_beside_the_resource_path_and_at_the_root() -> None:
    resource = ProtectedResource("https://login.example.com", "https://tasks.example.com/mcp")
    assert resource.metadata_url == "https://tasks.example.com/.well-known/oauth-protected-resource/mcp"
    assert resource.metadata_paths == {
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    }
    assert resource.document()["authorization_servers"] == ["https://login.example.com"]


def test_a_challenge_names_the_metadata_and_cannot_be_broken_by_its_description() -> None:
    resource = ProtectedResource("https://login.example.com", "https://tasks.example.com/mcp")
    assert resource.challenge() == (
        'Bearer scope="tasks:read tasks:write", '
        'resource_metadata="https://tasks.example.com/.well-known/oauth-protected-resource/mcp"'
    )
    hostile = resource.challenge(error="invalid_token", description='the "key" \\ é\nnext')
    assert 'error_description="the ?key? ? ??next"' in hostile


def test_the_audience_is_the_mcp_endpoint_of_the_bind_unless_given() -> None:
    assert Settings(oauth_issuer="https://login.example.com").oauth_audience == "http://127.0.0.1:8000/mcp"
    assert (
        Settings(oauth_issuer="https://x.example", host="::1", port=9).validate().oauth_audience == "http://[::1]:9/mcp"
    )
    given = Settings(oauth_issuer="https://x.example", oauth_resource="https://tasks.example.com/mcp/")
    assert given.validate().oauth_audience == "https://tasks.example.com/mcp"
    assert Settings().oauth_audience is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(oauth_issuer="http://login.example.com"), "must be an https URL"),
        (Settings(oauth_issuer="https://login.example.com?x=1"), "no query or fragment"),
        (Settings(oauth_resource="https://tasks.example.com/mcp"), "needs --oauth-issuer"),
        (Settings(oauth_issuer="https://x.example", host="0.0.0.0"), "set --oauth-resource"),
        (Settings(oauth_issuer="https://x.example", oauth_leeway_s=-1), "leeway"),
        (Settings(oauth_issuer="https://x.example", oauth_resource='https://t/m"cp, error="x'), "plain URL"),
        (Settings(oauth_issuer="https://[::1"), "not a URL"),
    ],
)
def test_bad_oauth_settings_are_refused(settings: Settings, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings.validate()


def test_metadata_is_looked_for_where_rfc_8414_and_openid_put_it() -> None:
    from mcp_server.http.oauth.tokens import metadata_urls

    assert metadata_urls("https://login.example.com/") == [
        "https://login.example.com/.well-known/oauth-authorization-server",
        "https://login.example.com/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://login.example.com/realms/tasks") == [
        "https://login.example.com/.well-known/oauth-authorization-server/realms/tasks",
        "https://login.example.com/realms/tasks/.well-known/openid-configuration",
        "https://login.example.com/.well-known/openid-configuration/realms/tasks",
    ]


def test_an_issuer_is_credentials_enough_for_a_shared_bind() -> None:
    shared = Settings(
        transport="http", host="0.0.0.0", oauth_issuer="https://x.example", oauth_resource="https://t.example/mcp"
    )
    assert shared.validate().open_bind_refusal() is None
