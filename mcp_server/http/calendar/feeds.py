"""The calendar feed's routes: `GET /v1/calendar.ics`, and the feed URLs a principal makes, lists and
revokes (calendar/tokens.py: what a feed token may do). The feed also answers any credential with
`tasks:read` in the header."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Annotated

from fastapi import FastAPI, Query, Request, Response
from pydantic import BaseModel, Field

from mcp_server.core.domain import PAGE_MAX, Task, TaskQuery
from mcp_server.core.errors import TaskNotFound
from mcp_server.core.keys import ApiKey, ApiKeys
from mcp_server.core.principals import FEED_SCOPES, Principal, Scope, acting_as, acting_principal
from mcp_server.core.service import TaskService
from mcp_server.http.calendar.ics import FeedShape, render
from mcp_server.http.calendar.tokens import FEED_PATH, is_feed_key

FEED_TASKS_MAX = 2000
PAGE = PAGE_MAX
EPOCH = "1970-01-01"  # due on or after: every dated task


class CalendarFeed(BaseModel):
    name: str = Field(description="The feed token's name, to revoke it by.")
    token_prefix: str = Field(description="The token's public part, as `task-api-mcp keys list` shows it.")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> CalendarFeed:
        return cls(name=key.name, token_prefix=key.shown, created_at=key.created_at, revoked_at=key.revoked_at)


class NewCalendarFeed(CalendarFeed):
    url: str = Field(description="Subscribe to this URL in a calendar app; it is shown only now.")


class CalendarFeeds(BaseModel):
    feeds: list[CalendarFeed]


def add_calendar_routes(app: FastAPI, service: TaskService, keys: ApiKeys) -> None:
    @app.get(
        FEED_PATH,
        summary="Dated tasks as an iCalendar feed",
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar (RFC 5545) document."}},
    )
    async def calendar_feed(
        request: Request,
        shape: Annotated[FeedShape, Query(description="events (every app), or todos (task-aware apps)")] = (
            FeedShape.EVENTS
        ),
        token: Annotated[
            str | None, Query(description="A feed token, for apps that cannot send a header (see /v1/calendar/feeds).")
        ] = None,
    ) -> Response:
        del token  # checked by the authentication layer, which runs the request as its principal
        principal = acting_principal()
        if Scope.CALENDAR not in principal.scopes:
            principal.require(Scope.READ)
        # A feed token may read exactly this: the principal's dated tasks, through the service.
        with acting_as(Principal(principal.id, scopes=frozenset({Scope.READ}), plan=principal.plan)):
            tasks = await _dated_tasks(service)
        owner_key = hashlib.sha256(principal.id.encode()).hexdigest()[:12]
        versions = ",".join(f"{task.id}:{task.version}" for task in tasks)
        etag = '"' + hashlib.sha256(f"{shape}|{owner_key}|{versions}".encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        now = dt.datetime.now(dt.UTC)
        body = render(
            tasks, shape=shape, name="Tasks", owner_key=owner_key, now=now, default_zone=service.default_timezone
        )
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)

    @app.post("/v1/calendar/feeds", response_model=NewCalendarFeed, status_code=201, summary="Make a calendar feed URL")
    async def create_feed(request: Request) -> NewCalendarFeed:
        """A new feed URL for the caller's tasks; its token is shown only in this answer."""
        principal = acting_principal()
        principal.require(Scope.READ)
        presented, key = await keys.create(
            f"calendar-{secrets.token_hex(6)}", principal_id=principal.id, scopes=FEED_SCOPES
        )
        url = str(request.url_for("calendar_feed").include_query_params(token=presented))
        return NewCalendarFeed(url=url, **CalendarFeed.of(key).model_dump())

    @app.get("/v1/calendar/feeds", response_model=CalendarFeeds, summary="The caller's calendar feed URLs")
    async def list_feeds() -> CalendarFeeds:
        principal = acting_principal()
        principal.require(Scope.READ)
        own = [k for k in await keys.list() if k.principal_id == principal.id and is_feed_key(k)]
        return CalendarFeeds(feeds=[CalendarFeed.of(k) for k in own])

    @app.delete("/v1/calendar/feeds/{name}", response_model=CalendarFeed, summary="Revoke a calendar feed URL")
    async def revoke_feed(name: str) -> CalendarFeed:
        """The feed stops answering at once on this server, within a second on other SQLite readers."""
        principal = acting_principal()
        principal.require(Scope.READ)
        own = {k.name: k for k in await keys.list() if k.principal_id == principal.id and is_feed_key(k)}
        if name not in own:
            raise TaskNotFound(None, f"no calendar feed of yours is named {name!r}; GET /v1/calendar/feeds lists them")
        return CalendarFeed.of(await keys.revoke(name))


async def _dated_tasks(service: TaskService) -> list[Task]:
    """Every open and done task with a due, oldest id first, up to FEED_TASKS_MAX."""
    tasks: list[Task] = []
    cursor: str | None = None
    while len(tasks) < FEED_TASKS_MAX:
        page = await service.list_tasks(TaskQuery(due_after=EPOCH), limit=PAGE, cursor=cursor)
        tasks.extend(page.tasks)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tasks[:FEED_TASKS_MAX]
