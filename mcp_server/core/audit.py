"""The audit trail: one log line for every change attempted, whoever asked and however it ended.

A change to accounts (a key made or revoked, a principal's plan set) leaves a line too, naming the
principal it is about and the key's public prefix, never the key.

A line names the principal, the entry point (`tool:create_task`, `POST /v1/tasks`), the request id,
the service operation, the task ids it changed (or the one it was asked to change) and the outcome
(`ok`, or the error kind: a refused scope is `insufficient_scope`). Never a title, a description or a
credential: the ids say what to look up, and the lines can go where task content may not.

The entry point and request id are set by the adapter that received the call (`calling_from`), as
the principal is: the service, which writes the line, knows neither.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from mcp_server.core.principals import acting_principal

logger = logging.getLogger("mcp_server.audit")


@dataclass(frozen=True)
class CallSite:
    entry: str
    request_id: str | None = None


DIRECT = CallSite("service")  # a call made on the service itself, outside any adapter
_site: ContextVar[CallSite] = ContextVar("call_site", default=DIRECT)


@contextmanager
def calling_from(entry: str, request_id: str | None) -> Iterator[CallSite]:
    """Run the block as called through `entry` by request `request_id`."""
    token = _site.set(CallSite(entry, request_id))
    try:
        yield _site.get()
    finally:
        _site.reset(token)


def _line(operation: str, outcome: str, **about: object) -> None:
    """One audit line: who, through what and which request, the operation and how it ended, and what it was about."""
    site = _site.get()
    fields = {"principal": acting_principal().id, "entry": site.entry, "request_id": site.request_id}
    logger.info("audit", extra={**fields, "operation": operation, **about, "outcome": outcome})


def audit(operation: str, task_ids: list[int], outcome: str) -> None:
    _line(operation, outcome, task_ids=task_ids)


def audit_account(operation: str, subject: str, outcome: str, *, key: str | None = None) -> None:
    """A line for a change to the accounts: `subject` is the principal it is about, `key` a key's
    public prefix."""
    _line(operation, outcome, subject=subject, key=key)
