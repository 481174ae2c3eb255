"""What every tool call shares: strict arguments, clear error messages, a log line and counters.

Kept in one Tool subclass so that each tool function in server.py holds only its own logic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pydantic_core
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcp_server.core.audit import calling_from
from mcp_server.core.errors import ErrorKind, TaskError
from mcp_server.mcp.schemas import Summaries, compact_input_schema, compact_output_schema, refs_in

ToolObserver = Callable[[str, float, str, str | None, Context[Any, Any]], Awaitable[None]]


def describe_validation_error(tool: str, exc: ValidationError, known: list[str]) -> str:
    """One readable line per bad argument, without pydantic's links and internals."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown argument (known: {', '.join(known)})")
            continue
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


def _forbid_extra(model: type[BaseModel]) -> type[BaseModel]:
    """The same argument model, refusing arguments it does not declare."""
    config = ConfigDict(**{**model.model_config, "extra": "forbid"})
    return type(model.__name__, (model,), {"model_config": config, "__module__": model.__module__})


class StrictArguments(FuncMetadata):
    """Arguments validated as the JSON they arrived as, in pydantic's strict mode: an integer takes a
    JSON integer (not "1", not true), a boolean true or false (not "yes", not 1), a string a string.
    Lax coercion let `delete_task {"task_id": "1"}` delete task 1. Enums still take their string
    values and dates their ISO strings: in JSON, strings are how those are written.

    One leniency stays, narrower than the SDK's: some clients send an array argument as a string of
    JSON, so a string given for an array-only argument is decoded. A string for any other argument
    stays the string it is (the SDK's would turn description "null" into null)."""

    json_encoded: frozenset[str] = frozenset()

    @classmethod
    def of(cls, metadata: FuncMetadata, parameters: dict[str, Any]) -> StrictArguments:
        arrays = {name for name, spec in parameters.get("properties", {}).items() if spec.get("type") == "array"}
        return cls(
            arg_model=metadata.arg_model,
            output_schema=metadata.output_schema,
            output_model=metadata.output_model,
            wrap_output=metadata.wrap_output,
            json_encoded=frozenset(arrays),
        )

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        decoded = dict(data)
        for name in self.json_encoded.intersection(data):
            if isinstance(data[name], str):
                try:
                    value = json.loads(data[name])
                except (ValueError, RecursionError):
                    continue
                if isinstance(value, list):
                    decoded[name] = value
        return decoded

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        as_json = pydantic_core.to_json(self.pre_parse_json(arguments_to_validate))
        return self.arg_model.model_validate_json(as_json, strict=True).model_dump_one_level()


class ManagedTool(Tool):
    """A tool whose calls are validated strictly, logged, counted, and whose domain errors
    reach the client as tool errors (isError) with the service's own message."""

    observer: ToolObserver | None = Field(default=None, exclude=True)

    @classmethod
    def create(
        cls,
        fn: Callable[..., Any],
        *,
        title: str,
        annotations: ToolAnnotations,
        observer: ToolObserver | None = None,
        summaries: Summaries | None = None,
        shown_arguments: Mapping[str, dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ManagedTool:
        """`summaries`: models its output schema names in a line (see schemas.summarise).
        `shown_arguments`: an argument's advertised schema, when the full one costs an agent more than it
        tells it (batch_tasks' operations); the arguments are still validated against the full one.
        `meta`: the tool's `_meta` (list_tasks names its MCP Apps view there)."""
        tool = cls.from_function(fn, title=title, annotations=annotations, meta=meta)
        assert isinstance(tool, ManagedTool)
        tool.parameters = compact_input_schema({**tool.parameters, "additionalProperties": False})
        if shown_arguments:
            tool.parameters = _with_shown(tool.parameters, shown_arguments)
        tool.fn_metadata = StrictArguments.of(tool.fn_metadata, tool.parameters)
        tool.fn_metadata.arg_model = _forbid_extra(tool.fn_metadata.arg_model)  # type: ignore[assignment]
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = compact_output_schema(tool.fn_metadata.output_schema, summaries)
        tool.observer = observer
        return tool

    def _argument_names(self) -> list[str]:
        return list(self.parameters.get("properties", {}))

    async def run(self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False) -> Any:
        started = time.perf_counter()
        try:
            with calling_from(f"tool:{self.name}", request_id_of(context)):
                result = await super().run(arguments, context, convert_result=False)
            if convert_result:
                result = self._call_result(result)
        except ToolError as exc:
            error = self._client_error(exc)
            await self._observe(started, "error", error_kind(exc), context)
            if error is exc:
                raise
            raise error from exc.__cause__
        await self._observe(started, "ok", None, context)
        return result

    def _call_result(self, result: Any) -> Any:
        """The CallToolResult for what the tool returned. A result that already is an instance of
        the tool's declared output model was typed and validated when it was built, so it is dumped
        once instead of being validated again and rendered twice; anything else takes the SDK's path."""
        metadata = self.fn_metadata
        model = metadata.output_model
        direct = (
            metadata.output_schema is not None
            and not metadata.wrap_output
            and isinstance(model, type)
            and issubclass(model, BaseModel)
            and isinstance(result, model)
        )
        try:
            if not direct:
                return compact_text(metadata.convert_result(result))
            structured = result.model_dump(mode="json", by_alias=True)
        except Exception as exc:  # a result that does not fit its schema is the server's bug, not the caller's
            raise UnexpectedToolError(f"Error executing tool {self.name}") from exc
        text = TextContent(type="text", text=compact_json(structured))
        return CallToolResult(content=[text], structured_content=structured)

    def _client_error(self, exc: ToolError) -> ToolError:
        """The error the client sees: the service's own message, or each bad argument named."""
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            return ToolError(describe_validation_error(self.name, cause, self._argument_names()))
        if isinstance(cause, TaskError):
            return ToolError(str(cause))
        return exc

    async def _observe(self, started: float, outcome: str, kind: str | None, context: Context[Any, Any]) -> None:
        if self.observer is not None:
            await self.observer(self.name, (time.perf_counter() - started) * 1000, outcome, kind, context)


def request_id_of(ctx: Context[Any, Any]) -> str | None:
    """The HTTP request's id (the access log's, from X-Request-ID or made), else the JSON-RPC id."""
    http_state = getattr(ctx.request_context.request, "state", None)
    if (from_http := getattr(http_state, "request_id", None)) is not None:
        return str(from_http)
    try:
        return str(ctx.request_id)
    except (ValueError, AttributeError):
        return None


def _with_shown(parameters: dict[str, Any], shown: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The parameters with some arguments' schemas replaced, and the definitions nothing uses now dropped."""
    properties = {name: shown.get(name, spec) for name, spec in parameters["properties"].items()}
    result = {**parameters, "properties": properties}
    defs = result.pop("$defs", None)
    if isinstance(defs, dict):
        used = {ref.removeprefix("#/$defs/") for ref in refs_in(result)}
        kept = {name: spec for name, spec in defs.items() if name in used}
        if kept:
            result["$defs"] = kept
    return result


def compact_json(data: Any) -> str:
    """JSON without whitespace, non-ASCII kept as is (fewer tokens for an agent than indented JSON)."""
    return pydantic_core.to_json(data).decode()


def compact_text(result: Any) -> Any:
    """Mirror structured content as compact JSON text: clients that read only the text get the same
    data, and an agent's context is not spent on indentation."""
    if isinstance(result, CallToolResult) and result.structured_content is not None:
        text = compact_json(result.structured_content)
        return result.model_copy(update={"content": [TextContent(type="text", text=text)]})
    return result


def error_kind(error: ToolError) -> ErrorKind:
    """A stable category for logs and metrics. Every kind is an error result (isError, the message for
    the agent to act on); only INTERNAL hides its message behind "Error executing tool X"."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        return ErrorKind.INVALID_INPUT
    if isinstance(cause, TaskError):
        return cause.kind
    return ErrorKind.INTERNAL
