"""`task-api-mcp principals list|plan`: the principals of the store the server uses, and their plans.

A principal exists from its first key or its first access token (OAuth users have no key), so a
person's plan is set here, before or after they first sign in."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from mcp_server.core.audit import audit_account
from mcp_server.core.errors import TaskError
from mcp_server.core.keys import PrincipalRecord, valid_name
from mcp_server.core.principals import valid_principal_id
from mcp_server.keys_command import add_plans_argument, add_store_argument, check_plan, run_store_command

NO_PLAN = "none"


def add_principals_parser(commands: Any) -> None:
    principals = commands.add_parser("principals", help="list principals and set their plans")
    add_store_argument(principals)
    actions = principals.add_subparsers(dest="principals_command", required=True)
    listing = actions.add_parser("list", help="every principal with its plan and active keys")
    listing.add_argument("--json", action="store_true", help="one JSON object per principal")
    plan = actions.add_parser("plan", help="give a principal a plan (created if new)")
    plan.add_argument("principal", help="the principal: a key's --principal, or an access token's subject")
    plan.add_argument("plan", help=f"one of the server's --plans, or {NO_PLAN!r} for the server's --default-plan")
    add_plans_argument(plan)


def _described(principal: PrincipalRecord) -> dict[str, Any]:
    return {
        "principal": principal.id,
        "plan": principal.plan,
        "created_at": principal.created_at.isoformat(),
        "active_keys": principal.active_keys,
    }


async def _run(args: argparse.Namespace) -> str:
    from mcp_server.store import store_for

    store = store_for(args.db, pool_size=2)
    await store.open()
    try:
        if args.principals_command == "list":
            found = await store.list_principals()
            if args.json:
                return "\n".join(json.dumps(_described(principal)) for principal in found)
            rows = [f"{p.id}\t{p.plan or '-'}\t{p.active_keys}\t{p.created_at.isoformat()}" for p in found]
            return "\n".join(["principal\tplan\tactive keys\tcreated", *rows])
        try:
            principal = valid_principal_id(args.principal)
            plan = None if args.plan == NO_PLAN else valid_name("plan", args.plan)
            check_plan(plan, args.plans)
            await store.set_principal_plan(principal, plan, now=dt.datetime.now(dt.UTC))
        except TaskError as exc:
            audit_account("set_plan", "?", exc.kind.value)
            raise
        audit_account("set_plan", principal, "ok")
        return f"{principal}: plan {plan or 'none (the server default)'}"
    finally:
        await store.close()


def run_principals(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    run_store_command(parser, f"principals {args.principals_command}", _run, args)
