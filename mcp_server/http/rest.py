"""The REST API of the service spec, for clients that do not speak MCP: the same TaskService and
CommandRunner as the MCP tools, described by FastAPI's OpenAPI at /openapi.json and /docs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, model_validator
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.exceptions import HTTPException as StarletteHTTPException

from mcp_server import __version__
from mcp_server.commands.runner import CommandResult, CommandRunner
from mcp_server.commands.text import CommandText, TimezoneName
from mcp_server.core.audit import calling_from
from mcp_server.core.batch import BatchResult, Operations
from mcp_server.core.domain import (
    IDEMPOTENCY_KEY_MAX,
    PAGE_DEFAULT,
    TASK_ID_MAX,
    Cursor,
    DeletedTask,
    ListName,
    ListRename,
    NewTask,
    PageLimit,
    Task,
    TaskList,
    TaskPage,
    TaskPatch,
    TaskQuery,
)
from mcp_server.core.errors import TaskError, UnderstoodDifferently
from mcp_server.core.history import TaskHistory
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Scope, acting_principal
from mcp_server.core.service import TaskService
from mcp_server.core.usage import Usage, UsageMeter
from mcp_server.http.calendar.feeds import add_calendar_routes
from mcp_server.http.errors import SOFT_KINDS, STATUS_BY_KIND, code_for_status, error_response, unhandled_error
from mcp_server.http.events import ChangeFeed, add_event_routes

TaskIdPath = Annotated[int, Path(ge=1, le=TASK_ID_MAX, description="The task's numeric id.")]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


PREVIEW_MAX_AGE = dt.timedelta(hours=1)
CLOCK_SLACK = dt.timedelta(seconds=5)
PREVIEWED = {"action", "params"}  # what the run is compared with


class PreviewedAction(BaseModel):
    """What a dry run of the command answered, sent back to run it as shown: its `action`, `params`
    and `understood_at`, which the run reads relative dates from (so "in 2 hours" stays the moment
    the person saw); at most an hour old."""

    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["create_task", "list_tasks", "update_task", "delete_task", "complete_task", "restore_task"]
    params: dict[str, Any] = Field(default_factory=dict)
    understood_at: Annotated[dt.datetime, Strict(False)] = Field(
        description="The dry run's `understood_at`, as it answered it."
    )


class CommandRequest(BaseModel):
    # Unknown fields refused (a misspelt "dryRun" must not run the command for real), and JSON types
    # strict, as for the tools: "confirm": "yes" confirms nothing.
    model_config = ConfigDict(extra="forbid", strict=True)

    command: CommandText
    stream: bool = Field(default=False, description="Answer with server-sent events: tokens, then the response.")
    dry_run: bool = False
    timezone: TimezoneName | None = None
    confirm: bool = Field(default=False, description="Confirms a delete asked for in words.")
    expected: PreviewedAction | None = Field(
        default=None,
        description=(
            "The `action` and `params` a dry run of this command answered: the command then runs only if it is "
            "understood as exactly that action again, else nothing runs (409 understood_differently). What a person "
            "confirmed is what runs. Not with dry_run."
        ),
    )

    @model_validator(mode="after")
    def _expected_runs(self) -> CommandRequest:
        if self.expected is not None and self.dry_run:
            raise ValueError("expected is what a run is held to; a dry run takes none")
        return self


class TaskResponse(BaseModel):
    """The spec's response to one command."""

    action: str | None = Field(description="The action taken, or null when the command was not run.")
    params: dict[str, Any] = Field(default_factory=dict)
    success: bool
    message: str
    latency_ms: float
    executed: bool = False
    result: Task | TaskPage | DeletedTask | None = None
    parser: str | None = None
    model: str | None = None
    understood_at: dt.datetime | None = Field(
        default=None, description="The moment relative dates were read from; send it back in `expected` to run."
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 413, 421, 422, 429, 502, 503)
}
DOCS_ASSETS = "/docs/assets"


class ListsResponse(BaseModel):
    lists: list[TaskList]


class ListRenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    new_name: ListName = Field(description="The new name; an existing list takes the tasks in.")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: Operations = Field(description='Each {"op": "create"|"update"|"complete"|"delete"|"restore", ...}')
    atomic: StrictBool = Field(default=False, description="All or nothing: one failure undoes every operation.")


class TaskListParams(TaskQuery):
    """The query of GET /v1/tasks: list_tasks' own filters (TaskQuery, as the MCP tool takes them), and a page."""

    limit: PageLimit = PAGE_DEFAULT
    cursor: Cursor = None

    def query(self) -> TaskQuery:
        return TaskQuery.model_validate(self.model_dump(include=set(TaskQuery.model_fields)))


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model: its fields are the names
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def refuse_unknown_query_parameters(request: Request) -> None:
    """A query parameter a route does not know is refused, as unknown fields are: a misspelt
    `expectedVersion` must not drop the version check and change the task anyway."""
    route = request.scope.get("route")
    known = _query_names(route.dependant) if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": f"unknown query parameter (known: {listed})"}
                for name in unknown
            ]
        )


def describe_problem(error: Any) -> str:
    """One validation problem as `field: what is wrong`; a body that is not JSON says so."""
    if error.get("type") == "json_invalid":
        return f"body: not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    where = ".".join(str(part) for part in error["loc"] if part not in ("body", "query", "path", "header")) or "body"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def _success(result: CommandResult, *, understood_at: dt.datetime) -> TaskResponse:
    action = result.action.get("action")
    return TaskResponse(
        action=action,
        params=result.action.get("params", {}),
        success=True,
        message="dry run: nothing changed" if not result.executed else f"{action} done",
        latency_ms=result.latency_ms,
        executed=result.executed,
        result=result.result,
        parser=result.parser,
        model=result.model,
        understood_at=understood_at,
    )


async def route_call_site(request: Request) -> AsyncIterator[None]:
    """The audit trail's entry point for a REST call: its method and route template (never the
    path itself, which may hold a list's name), with the access log's request id."""
    route = request.scope.get("route")
    template = getattr(route, "path", "?")
    with calling_from(f"{request.method} {template}", getattr(request.state, "request_id", None)):
        yield


class UsageView(BaseModel):
    principal: str
    plan: str | None = Field(description="None: no plan, counted and never refused.")
    month: str = Field(description="The calendar month counted, UTC, as YYYY-MM.")
    used: int = Field(description="Requests counted this month (a command in words counts 5).")
    limit: int | None = Field(description="The plan's requests a month; None without a plan.")
    resets_at: str = Field(description="When the month's count starts again (ISO 8601, UTC).")

    @classmethod
    def of(cls, usage: Usage) -> UsageView:
        return cls(
            principal=usage.principal_id,
            plan=usage.plan,
            month=usage.month,
            used=usage.used,
            limit=usage.limit,
            resets_at=usage.resets_at.isoformat().replace("+00:00", "Z"),
        )


class UsageResponse(BaseModel):
    usage: list[UsageView]


def build_rest_app(
    service: TaskService, runner: CommandRunner, meter: UsageMeter | None = None, keys: ApiKeys | None = None
) -> FastAPI:
    # /docs and /redoc with Swagger UI and ReDoc served from the installed package, not a CDN,
    # so they work offline and behind an egress firewall.
    app = FastAPIOffline(
        title="Task API",
        version=__version__,
        description="Tasks for agents and people: plain CRUD, and one command in words turned into one action.",
        responses=ERRORS,
        static_url=DOCS_ASSETS,
        dependencies=[Depends(refuse_unknown_query_parameters), Depends(route_call_site)],
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Unknown routes, wrong methods: the service's error shape, not FastAPI's {"detail": ...}."""
        return error_response(exc.status_code, code_for_status(exc.status_code), str(exc.detail), exc.headers)

    @app.exception_handler(TaskError)
    async def task_error(_: Request, exc: TaskError) -> JSONResponse:
        return error_response(STATUS_BY_KIND[exc.kind], exc.kind, str(exc))

    app.add_exception_handler(Exception, unhandled_error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_input", "; ".join(describe_problem(e) for e in exc.errors()[:5]))

    if meter is not None:

        @app.get("/v1/usage", response_model=UsageResponse, summary="This month's requests against the plan")
        async def usage(all: bool = False) -> UsageResponse:
            """The caller's own usage; with `all=true` (the admin scope), every principal's."""
            principal = acting_principal()
            if all:
                principal.require(Scope.ADMIN)
                return UsageResponse(usage=[UsageView.of(u) for u in await meter.all_usage()])
            return UsageResponse(usage=[UsageView.of(await meter.usage(principal))])

    if keys is not None:
        add_calendar_routes(app, service, keys)
    add_event_routes(app, ChangeFeed().listen_to(service))

    @app.get("/v1/tasks", response_model=TaskPage, summary="List tasks")
    async def list_tasks(page: Annotated[TaskListParams, Query()]) -> TaskPage:
        return await service.list_tasks(page.query(), limit=page.limit, cursor=page.cursor)

    @app.post("/v1/tasks", response_model=Task, status_code=201, summary="Create a task")
    async def create_task(
        new: NewTask,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=IDEMPOTENCY_KEY_MAX)] = None,
    ) -> Task:
        return await service.create_task(new, idempotency_key=idempotency_key)

    @app.get("/v1/tasks/{task_id}", response_model=Task, summary="Get a task")
    async def get_task(task_id: TaskIdPath) -> Task:
        return await service.get_task(task_id)

    @app.patch("/v1/tasks/{task_id}", response_model=Task, summary="Change some fields of a task")
    async def update_task(
        task_id: TaskIdPath,
        patch: TaskPatch,
        expected_version: Annotated[int | None, Query(ge=1)] = None,
    ) -> Task:
        return await service.update_task(task_id, patch, expected_version=expected_version)

    @app.delete("/v1/tasks/{task_id}", response_model=DeletedTask, summary="Move a task to the trash, or purge it")
    async def delete_task(
        task_id: TaskIdPath,
        permanent: Annotated[bool, Query(description="Purge now instead of moving to the trash.")] = False,
    ) -> DeletedTask:
        return await service.delete_task(task_id, permanent=permanent)

    @app.post("/v1/tasks/{task_id}/complete", response_model=Task, summary="Mark a task done")
    async def complete_task(
        task_id: TaskIdPath,
        cascade: Annotated[bool, Query(description="Also complete its open subtasks (else refused).")] = False,
    ) -> Task:
        return await service.complete_task(task_id, cascade=cascade)

    @app.post("/v1/tasks/{task_id}/restore", response_model=Task, summary="Bring a task back from the trash")
    async def restore_task(task_id: TaskIdPath) -> Task:
        return await service.restore_task(task_id)

    @app.get("/v1/tasks/{task_id}/history", response_model=TaskHistory, summary="Every change of a task")
    async def task_history(task_id: TaskIdPath) -> TaskHistory:
        return await service.history(task_id)

    @app.post("/v1/tasks:batch", response_model=BatchResult, summary="Several operations in one transaction")
    async def batch_tasks(batch: BatchRequest) -> BatchResult:
        return await service.batch(batch.operations, atomic=batch.atomic)

    @app.get("/v1/lists", response_model=ListsResponse, summary="Every list with its open and done counts")
    async def get_lists() -> ListsResponse:
        return ListsResponse(lists=await service.list_lists())

    # {name:path}: a list may be called "work/clients"; the service holds the name to the list rules.
    @app.patch("/v1/lists/{name:path}", response_model=ListRename, summary="Rename a list (move all of its tasks)")
    async def rename_list(
        name: Annotated[str, Path(min_length=1, description="The list to rename.")],
        rename: ListRenameRequest,
    ) -> ListRename:
        return await service.rename_list(name, rename.new_name)

    async def answer(request: CommandRequest, on_partial: Any = None) -> TaskResponse:
        now = dt.datetime.now(dt.UTC)
        if request.expected is not None:
            age = now - request.expected.understood_at
            if not -CLOCK_SLACK <= age <= PREVIEW_MAX_AGE:
                raise UnderstoodDifferently(
                    f"not run: a preview is run within {PREVIEW_MAX_AGE.seconds // 60} minutes of it; preview it again"
                )
            now = request.expected.understood_at
        try:
            result = await runner.run_command(
                request.command,
                dry_run=request.dry_run,
                timezone=request.timezone,
                confirm=request.confirm,
                on_partial=on_partial,
                expected=None if request.expected is None else request.expected.model_dump(include=PREVIEWED),
                now=now,
            )
        except TaskError as exc:
            if exc.kind not in SOFT_KINDS:
                raise
            return TaskResponse(action=None, success=False, message=str(exc), latency_ms=0.0)
        return _success(result, understood_at=now)

    @app.post(
        "/v1/task",
        response_model=TaskResponse,
        summary="Do one thing asked for in words",
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def task_command(request: CommandRequest) -> Any:
        if not request.stream:
            return await answer(request)
        return EventSourceResponse(_stream(request, answer))

    return app


async def _stream(request: CommandRequest, answer: Any) -> AsyncIterator[ServerSentEvent]:
    """Events: `token` with each new piece of the model's output, then `response` (or `error`)."""
    sender, receiver = anyio.create_memory_object_stream[ServerSentEvent](max_buffer_size=256)
    sent = 0

    async def on_partial(text: str) -> None:
        nonlocal sent
        piece, sent = text[sent:], len(text)
        if piece:
            await sender.send(ServerSentEvent(data=json.dumps({"token": piece}), event="token"))

    async def produce() -> None:
        async with sender:
            try:
                response = await answer(request, on_partial)
                await sender.send(ServerSentEvent(data=response.model_dump_json(), event="response"))
            except TaskError as exc:
                body = {"error": {"code": exc.kind, "message": str(exc)}}
                await sender.send(ServerSentEvent(data=json.dumps(body), event="error"))

    async with anyio.create_task_group() as group:
        group.start_soon(produce)
        async with receiver:
            async for event in receiver:
                yield event
