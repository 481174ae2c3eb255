"""`task-api-mcp keys` as an operator runs it, on SQLite and on PostgreSQL: a key is printed once and
works against the same store; listings never show it; a revoked key stops working; mistakes are one
clear line and exit status 2, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Principal, Scope
from mcp_server.store import store_for

pytestmark = pytest.mark.anyio


def keys(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_server", "keys", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def authenticates_as(db: str, key: str) -> Principal | None:
    store = store_for(db)
    await store.open()
    try:
        return await ApiKeys(store).authenticate(key)
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "tasks.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")


async def test_create_list_revoke(db: str) -> None:
    made = keys(
        db, "create", "--name", "alice-phone", "--principal", "alice", "--scopes", "tasks:read", "--plan", "pro"
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert re.fullmatch(r"tam_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    assert "alice" in made.stderr and "shown only now" in made.stderr
    principal = await authenticates_as(db, key)
    assert principal == Principal("alice", scopes=frozenset({Scope.READ}), plan="pro")

    listed = keys(db, "list", "--json")
    assert listed.returncode == 0 and key not in listed.stdout and key[16:] not in listed.stdout
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["name"] == "alice-phone" and row["prefix"] == key[:17] + "..." and row["revoked_at"] is None
    assert key[:17] in keys(db, "list").stdout

    revoked = keys(db, "revoke", "alice-phone")
    assert revoked.returncode == 0 and "revoked alice-phone" in revoked.stdout
    assert await authenticates_as(db, key) is None
    assert json.loads(keys(db, "list", "--json").stdout)["revoked_at"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--name", "taken"), "exists already"),
        (("create", "--name", "x", "--scopes", "tasks:everything"), "unknown scope 'tasks:everything'"),
        (("create", "--name", "has space"), "is not one"),
        (("revoke", "nobody"), "no key is named 'nobody'"),
        (("create", "--name", "y", "--plan", "gold"), "plan 'gold' is not one of the configured plans (starter, pro)"),
    ],
)
def test_mistakes_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    db = str(tmp_path / "tasks.db")
    assert keys(db, "create", "--name", "taken").returncode == 0
    failed = keys(db, *args)
    assert failed.returncode == 2 and message in failed.stderr and "Traceback" not in failed.stderr, failed.stderr


def principals(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_server", "principals", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_principals_get_plans_before_their_first_sign_in_and_every_change_is_audited(db: str) -> None:
    made = keys(db, "create", "--name", "bot", "--plan", "starter")
    assert made.returncode == 0, made.stderr
    (audit_line,) = [json.loads(line) for line in made.stderr.splitlines() if line.startswith("{")]
    assert audit_line["event"] == "audit" and audit_line["operation"] == "create_key"
    assert (audit_line["subject"], audit_line["entry"], audit_line["outcome"]) == ("bot", "cli:keys create", "ok")
    assert audit_line["key"] == made.stdout.strip()[:17] + "..."  # the public prefix, never the key
    assert made.stdout.strip() not in made.stderr

    given = principals(db, "plan", "auth0|5f1c2e", "pro")  # an issuer's subject, before its first token
    assert given.returncode == 0 and "auth0|5f1c2e: plan pro" in given.stdout, given.stderr
    assert '"operation": "set_plan"' in given.stderr
    listed = [json.loads(line) for line in principals(db, "list", "--json").stdout.splitlines()]
    assert [(p["principal"], p["plan"], p["active_keys"]) for p in listed] == [
        ("bot", "starter", 1),
        ("auth0|5f1c2e", "pro", 0),
    ]
    assert principals(db, "plan", "bot", "none").returncode == 0
    assert "bot\t-\t1" in principals(db, "list").stdout

    revoked = keys(db, "revoke", "bot")
    assert '"operation": "revoke_key"' in revoked.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "alice", "gold"), "plan 'gold' is not one of the configured plans (starter, pro)"),
        (("plan", "has space", "pro"), "principal 'has space' is not one"),
        (("plan", "alice", "gold", "--plans", "gold=5"), ""),
    ],
)
def test_principals_mistakes_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = principals(str(tmp_path / "tasks.db"), *args)
    if not message:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
