"""Plans and the meter over a real store: months are UTC calendar months, a refused call counts
nothing, a default plan covers principals without one, and counts flush to the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mcp_server.core.errors import InvalidInput
from mcp_server.core.principals import Principal
from mcp_server.core.usage import QuotaExceeded, UsageMeter, month_end, month_of, parse_plans
from mcp_server.store import SQLiteTaskStore

pytestmark = pytest.mark.anyio

DEC_31 = dt.datetime(2026, 12, 31, 23, 59, 30, tzinfo=dt.UTC)


def test_plans_and_months() -> None:
    assert parse_plans("starter=10000, pro=100000") == {"starter": 10_000, "pro": 100_000}
    for bad in ("starter", "pro=-1", "a b=3", "x=1e5"):
        with pytest.raises(InvalidInput):
            parse_plans(bad)
    assert month_of(DEC_31) == "2026-12" and month_end(DEC_31) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    tokyo = dt.datetime(2027, 1, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # still December in UTC
    assert month_of(tokyo) == "2026-12"


async def test_the_meter_refuses_past_the_plan_and_starts_again_next_month(tmp_path: Path) -> None:
    store = SQLiteTaskStore(tmp_path / "usage.db")
    await store.open()
    try:
        seen: list[tuple[str, int]] = []
        meter = UsageMeter(
            store, {"tiny": 2}, default_plan="tiny", on_use=lambda plan, units: seen.append((plan, units))
        )
        nobody = Principal("nobody-planned")  # no plan of its own: the default applies
        await meter.admit(nobody, 1, now=DEC_31)
        await meter.admit(nobody, 1, now=DEC_31)
        with pytest.raises(QuotaExceeded) as refused:
            await meter.admit(nobody, 1, now=DEC_31)
        assert refused.value.retry_after_s == 30 and refused.value.plan == "tiny"
        await meter.flush()
        assert await store.usage_of("nobody-planned", "2026-12") == 2  # the refusal counted nothing
        await meter.admit(nobody, 2, now=DEC_31 + dt.timedelta(minutes=1))  # January
        await meter.flush()
        assert await store.usage_of("nobody-planned", "2027-01") == 2
        unplanned = UsageMeter(store, {"tiny": 2})
        for _ in range(5):
            await unplanned.admit(Principal("free", plan="gone-plan"), 1, now=DEC_31)
        assert seen == [("tiny", 1), ("tiny", 1), ("tiny", 0), ("tiny", 2)]
        await unplanned.flush()
        assert await store.usage_in("2026-12") == [("free", None, 5), ("nobody-planned", None, 2)]
    finally:
        await store.close()
