"""`task-api-mcp keys create|list|revoke`: API keys in the store the server uses (`--db` / TASK_API_DB).

They act on the store directly, with the server running or not: a replica sees a new or revoked key
on its next request."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from mcp_server.config import default_db_path
from mcp_server.core.audit import calling_from
from mcp_server.core.errors import InvalidInput
from mcp_server.core.keys import ApiKey, ApiKeys
from mcp_server.core.principals import DEFAULT_SCOPES, parse_scopes
from mcp_server.core.usage import DEFAULT_PLANS, parse_plans
from mcp_server.observability.logs import configure_logging


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=os.environ.get("TASK_API_DB") or str(default_db_path()),
        help="the store: a SQLite path or a postgresql:// URL (default: TASK_API_DB, else the server's default)",
    )


def add_plans_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plans",
        default=os.environ.get("TASK_API_PLANS") or DEFAULT_PLANS,
        help="the plans the server is configured with, to check --plan against (default: TASK_API_PLANS, "
        "else the server's default)",
    )


def check_plan(plan: str | None, configured: str) -> None:
    """A plan the server does not know would be counted and never refused: say so now."""
    plans = parse_plans(configured)
    if plan is not None and plan not in plans:
        raise InvalidInput(f"plan {plan!r} is not one of the configured plans ({', '.join(plans)})")


def log_audit_lines() -> None:
    """The audit lines of what a command changes go to stderr as the server's do (JSON); nothing else."""
    configure_logging("WARNING")
    logging.getLogger("mcp_server.audit").setLevel(logging.INFO)


def add_keys_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="create, list and revoke API keys for HTTP")
    add_store_argument(keys)
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="make a key and print it once (it is stored only as a hash)")
    create.add_argument("--name", required=True, help="the key's name, unique (e.g. alice-laptop)")
    create.add_argument("--principal", help="whose tasks the key reaches (default: the name)")
    create.add_argument(
        "--scopes",
        default=",".join(sorted(s.value for s in DEFAULT_SCOPES)),
        help="comma-separated: tasks:read, tasks:write, admin, calendar:read (a feed token; default: "
        "tasks:read,tasks:write)",
    )
    create.add_argument(
        "--plan",
        help="the principal's plan, one of the server's --plans (TASK_API_PLANS); kept for the principal, "
        "shared by its keys",
    )
    add_plans_argument(create)
    listing = actions.add_parser("list", help="every key by name and prefix, never the key")
    listing.add_argument("--json", action="store_true", help="one JSON object per key")
    revoke = actions.add_parser("revoke", help="revoke a key by name or prefix; it stops working at once")
    revoke.add_argument("key", metavar="NAME_OR_PREFIX")


def _described(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "prefix": key.shown,
        "principal": key.principal_id,
        "scopes": sorted(s.value for s in key.scopes),
        "plan": key.plan,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def _run(args: argparse.Namespace) -> str:
    from mcp_server.store import store_for

    store = store_for(args.db, pool_size=2)
    await store.open()
    try:
        keys = ApiKeys(store)
        if args.keys_command == "create":
            check_plan(args.plan, args.plans)
            presented, key = await keys.create(
                args.name, principal_id=args.principal, scopes=parse_scopes(args.scopes), plan=args.plan
            )
            sys.stderr.write(
                f"created key {key.name!r} for principal {key.principal_id!r} "
                f"({', '.join(sorted(s.value for s in key.scopes))}); it is shown only now:\n"
            )
            return presented
        if args.keys_command == "list":
            found = await keys.list()
            if args.json:
                return "\n".join(json.dumps(_described(key)) for key in found)
            rows = [
                f"{key.name}\t{key.shown}\t{key.principal_id}\t{','.join(sorted(s.value for s in key.scopes))}"
                f"\t{key.plan or '-'}\t{'revoked ' + key.revoked_at.isoformat() if key.revoked_at else 'active'}"
                for key in found
            ]
            return "\n".join(["name\tprefix\tprincipal\tscopes\tplan\tstate", *rows])
        revoked = await keys.revoke(args.key)
        return f"revoked {revoked.name} ({revoked.shown})"
    finally:
        await store.close()


def run_store_command(
    parser: argparse.ArgumentParser,
    command: str,
    run: Callable[[argparse.Namespace], Awaitable[str]],
    args: argparse.Namespace,
) -> None:
    """Runs one `keys` or `principals` action on the store: its audit lines to stderr, its output to
    stdout, and a refusal (a TaskError) as the command's error and exit status 2, never a traceback."""
    import anyio

    from mcp_server.core.errors import TaskError

    log_audit_lines()
    try:
        with calling_from(f"cli:{command}", None):
            output = anyio.run(run, args)
    except TaskError as exc:
        parser.exit(2, f"task-api-mcp {command.split()[0]}: error: {exc}\n")
    if output:
        sys.stdout.write(output + "\n")


def run_keys(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    run_store_command(parser, f"keys {args.keys_command}", _run, args)
