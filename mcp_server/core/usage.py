"""Plans, and each principal's use of its plan in a calendar month (UTC).

A plan is a number of requests a month. What a request is: one MCP tool call, or one REST call; a
command in words (`process_command`, `POST /v1/task`) is COMMAND_UNITS, for the model's work behind
it; protocol traffic (initialize, tools/list, a listen stream) is free. A principal without a plan
(the local principal, a key made without `--plan`, unless a default plan is set) is counted, never
refused.

Counts are kept in the store, per principal and month, so replicas share them and a restart keeps
them. A meter adds its own calls in memory and writes them every FLUSH_EVERY_S, and reads the stored
count at most that often: replicas may together pass a limit by what they admit in that second.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mcp_server.core.errors import ErrorKind, InvalidInput, TaskError
from mcp_server.core.principals import Principal

COMMAND_UNITS = 5
FLUSH_EVERY_S = 1.0
DEFAULT_PLANS = "starter=10000,pro=100000"
_PLAN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)=([0-9]{1,12})")


def parse_plans(text: str) -> dict[str, int]:
    """`starter=10000,pro=100000`: each plan's requests a month."""
    plans: dict[str, int] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        matched = _PLAN.fullmatch(part)
        if matched is None:
            raise InvalidInput(f"plans look like 'starter=10000,pro=100000', not {part!r}")
        plans[matched.group(1)] = int(matched.group(2))
    return plans


def month_of(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m")


def month_end(now: dt.datetime) -> dt.datetime:
    """The first instant of the next calendar month, UTC: when a month's count starts again."""
    utc = now.astimezone(dt.UTC)
    year, month = (utc.year + 1, 1) if utc.month == 12 else (utc.year, utc.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


class QuotaExceeded(TaskError):
    kind = ErrorKind.QUOTA_EXCEEDED

    def __init__(self, plan: str, limit: int, resets_at: dt.datetime, now: dt.datetime) -> None:
        self.plan, self.limit, self.resets_at = plan, limit, resets_at
        self.retry_after_s = max(1, math.ceil((resets_at - now).total_seconds()))
        super().__init__(
            f"the {plan} plan allows {limit} requests a month and this month's are used up; "
            f"it starts again at {resets_at.isoformat().replace('+00:00', 'Z')}"
        )


@dataclass(frozen=True)
class Usage:
    principal_id: str
    plan: str | None
    month: str
    used: int
    limit: int | None
    resets_at: dt.datetime


class UsageStore(Protocol):
    async def add_usage(self, counts: dict[tuple[str, str], int]) -> None:
        """Add each (principal, month)'s count to what is stored."""
        ...

    async def usage_of(self, principal_id: str, month: str) -> int: ...

    async def usage_in(self, month: str) -> list[tuple[str, str | None, int]]:
        """(principal, its plan, count) of every principal counted in `month`, by principal."""
        ...


PlanObserver = Callable[[str, int], None]  # plan label, units (0: a refusal)


class UsageMeter:
    def __init__(
        self,
        store: UsageStore,
        plans: dict[str, int],
        *,
        default_plan: str | None = None,
        on_use: PlanObserver | None = None,
    ) -> None:
        self.store = store
        self.plans = plans
        self.default_plan = default_plan
        self.on_use = on_use
        self._pending: dict[tuple[str, str], int] = {}
        self._stored: dict[tuple[str, str], tuple[float, int]] = {}

    def plan_of(self, principal: Principal) -> str | None:
        return principal.plan or self.default_plan

    async def admit(self, principal: Principal, units: int, *, now: dt.datetime | None = None) -> None:
        """Count `units` for the principal, or raise QuotaExceeded (counting nothing) when its plan's
        month is used up."""
        now = now or dt.datetime.now(dt.UTC)
        slot = (principal.id, month_of(now))
        plan = self.plan_of(principal)
        limit = self.plans.get(plan) if plan is not None else None
        if limit is not None and await self._used(slot) + units > limit:
            assert plan is not None
            self._observe(plan, 0)
            raise QuotaExceeded(plan, limit, month_end(now), now)
        self._pending[slot] = self._pending.get(slot, 0) + units
        self._observe(plan, units)

    def _observe(self, plan: str | None, units: int) -> None:
        """Tell the observer, by a label of bounded values: a configured plan, `none` or `other`."""
        if self.on_use is not None:
            self.on_use(plan if plan in self.plans else ("none" if plan is None else "other"), units)

    async def _used(self, slot: tuple[str, str]) -> int:
        cached = self._stored.get(slot)
        if cached is None or time.monotonic() - cached[0] >= FLUSH_EVERY_S:
            cached = (time.monotonic(), await self.store.usage_of(*slot))
            self._stored[slot] = cached
        return cached[1] + self._pending.get(slot, 0)

    async def flush(self) -> None:
        """Write what was counted since the last flush (kept for the next one if the store fails)."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            await self.store.add_usage(pending)
        except TaskError:
            for slot, count in pending.items():
                self._pending[slot] = self._pending.get(slot, 0) + count
            raise
        for slot, count in pending.items():  # what was pending is stored now
            cached = self._stored.get(slot)
            if cached is not None:
                self._stored[slot] = (cached[0], cached[1] + count)

    async def usage(self, principal: Principal, *, now: dt.datetime | None = None) -> Usage:
        now = now or dt.datetime.now(dt.UTC)
        await self.flush()
        month = month_of(now)
        plan = self.plan_of(principal)
        used = await self.store.usage_of(principal.id, month)
        return Usage(principal.id, plan, month, used, self.plans.get(plan) if plan else None, month_end(now))

    async def all_usage(self, *, now: dt.datetime | None = None) -> list[Usage]:
        now = now or dt.datetime.now(dt.UTC)
        await self.flush()
        month = month_of(now)
        rows = await self.store.usage_in(month)
        result = []
        for principal_id, stored_plan, used in rows:
            plan = stored_plan or self.default_plan
            limit = self.plans.get(plan) if plan else None
            result.append(Usage(principal_id, plan, month, used, limit, month_end(now)))
        return result
