"""`task-api-mcp eval`: how well a parser turns the labelled commands into the expected actions.

Nothing is executed against a store: each command is parsed and normalised as it would be executed
(first the guard process_command applies before any parser, then dates resolved against the line's
"now" and "timezone", the checks on the model's answer), then compared with the label. An expected
action "error" means the command must be refused. A "now" without a UTC offset is a wall-clock time
in the line's timezone (UTC when the line names none).

Refusals are a safety property, so two failures are counted apart: a destructive misfire is a
delete, complete or update where the label asks for anything but that action (a refusal above all),
and a model that was unavailable never scores as a refusal, however right refusing would have been.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_server.core.errors import CommandRefused, InvalidModelOutput, ModelUnavailable, TaskError
from mcp_server.nlu.actions import ACTION_ADAPTER
from mcp_server.nlu.guards import GUARD, GuardRefused, check_command
from mcp_server.nlu.normalise import FUTURE_LIMIT, PAST_LIMIT, normalise
from mcp_server.nlu.parser import CommandParser
from mcp_server.nlu.zones import zone


@dataclass
class Prediction:
    command: str
    parser: str
    action: dict[str, Any] | None
    error: str | None
    latency_ms: float
    json_valid: bool
    schema_valid: bool
    unavailable: bool = False

    @property
    def action_name(self) -> str:
        return self.action["action"] if self.action else "error"

    def record(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "parser": self.parser,
            "action": self.action,
            "error": self.error,
            "latency_ms": self.latency_ms,
        }


def _comparable_text(value: str) -> str:
    return " ".join(re.sub(r"[^\w#@' -]", " ", value.lower()).split())


def params_match(expected: dict[str, Any], predicted: dict[str, Any]) -> bool:
    """Same parameters, ignoring absent ones; free text compares case- and punctuation-insensitively,
    tags as sets."""
    expected = {k: v for k, v in expected.items() if v is not None}
    predicted = {k: v for k, v in predicted.items() if v is not None}
    if expected.keys() != predicted.keys():
        return False
    for key, want in expected.items():
        got = predicted[key]
        if key in ("title", "task_title", "search", "description"):
            if _comparable_text(str(want)) != _comparable_text(str(got)):
                return False
        elif key == "tags":
            if sorted(t.lower() for t in want) != sorted(t.lower() for t in got):
                return False
        elif want != got:
            return False
    return True


DESTRUCTIVE = frozenset({"delete_task", "complete_task", "update_task"})


def is_correct(expected: dict[str, Any], prediction: Prediction) -> tuple[bool, bool]:
    """(action right, action and params right). A model that did not answer got nothing right."""
    if prediction.unavailable:
        return False, False
    action_right = prediction.action_name == expected["action"]
    if not action_right:
        return False, False
    if expected["action"] == "error":
        return True, True
    assert prediction.action is not None
    return True, params_match(expected.get("params", {}), prediction.action.get("params", {}))


def is_destructive_misfire(expected: dict[str, Any], prediction: Prediction) -> bool:
    """A delete, complete or update where the label asks for another action: the harm a wrong
    answer can do that a refusal never does."""
    return prediction.action_name in DESTRUCTIVE and prediction.action_name != expected["action"]


def line_clock(row: dict[str, Any]) -> tuple[dt.datetime | None, str]:
    """The line's "now" (None: the real now) and "timezone" (UTC by default). A "now" without a UTC
    offset is read as a wall-clock time in that timezone. ValueError says what is wrong with them."""
    timezone = row.get("timezone") or "UTC"
    if not isinstance(timezone, str):
        raise ValueError(f"timezone {timezone!r} is not an IANA name such as Europe/Paris or UTC")
    tz = zone(timezone)  # DateError, a ValueError, for a name that is not a known zone
    text = row.get("now")
    if not text:
        return None, timezone
    if not isinstance(text, str):
        raise ValueError(f"now {text!r} is not an ISO 8601 date-time such as 2026-11-28T10:00:00+01:00")
    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"now {text!r} is not an ISO 8601 date-time such as 2026-11-28T10:00:00+01:00") from None
    if now.utcoffset() is None:
        now = now.replace(tzinfo=tz)
    try:  # the plausibility check on due dates reads a window of years around now: it must exist
        for edge in (now - PAST_LIMIT, now + FUTURE_LIMIT):
            edge.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"now {text!r} is too near the ends of the calendar (years 1-9999) to date commands") from None
    return now, timezone


async def predict(parser: CommandParser, row: dict[str, Any]) -> Prediction:
    now, timezone = line_clock(row)
    started = time.perf_counter()
    name, raw, unavailable = parser.name, None, False
    try:
        check_command(row["command"])  # as process_command does: what it refuses no parser sees
        outcome = await parser.parse(row["command"])
        name, raw = outcome.parser, outcome.raw_output
        action = normalise(outcome.action, timezone=timezone, now=now, command=row["command"])
        predicted, error, schema_valid = ACTION_ADAPTER.dump_python(action, mode="json", exclude_none=True), None, True
    except GuardRefused as exc:
        name, predicted, error, schema_valid = GUARD, None, str(exc), True
    except CommandRefused as exc:  # a valid "error" action: the parser refused on purpose
        predicted, error, schema_valid = None, str(exc), True
    except InvalidModelOutput as exc:
        name, raw = exc.parser or name, exc.raw_output
        predicted, error, schema_valid = None, str(exc), exc.raw_output is None
    except ModelUnavailable as exc:
        predicted, error, schema_valid, unavailable = None, str(exc), True, True
    except TaskError as exc:  # a guard, a date that does not parse
        predicted, error, schema_valid = None, str(exc), True
    latency_ms = (time.perf_counter() - started) * 1000
    return Prediction(
        row["command"], name, predicted, error, round(latency_ms, 2), _json_valid(raw), schema_valid, unavailable
    )


def _json_valid(raw: str | None) -> bool:
    if not raw:  # the rules produce structures, not text
        return True
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _rates(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
    n = len(pairs)
    return {
        "n": n,
        "action_accuracy": round(sum(a for a, _ in pairs) / n, 4) if n else None,
        "params_accuracy": round(sum(p for _, p in pairs) / n, 4) if n else None,
    }


def summarise(rows: list[dict[str, Any]], predictions: list[Prediction]) -> dict[str, Any]:
    scores = [is_correct(row["expected"], p) for row, p in zip(rows, predictions, strict=True)]
    per_action: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    by_parser: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for row, prediction, score in zip(rows, predictions, scores, strict=True):
        per_action[row["expected"]["action"]].append(score)
        by_parser[prediction.parser].append(score)
    latencies = [p.latency_ms for p in predictions]
    n = len(rows)
    return {
        "n": n,
        **{k: v for k, v in _rates(scores).items() if k != "n"},
        "destructive_misfires": sum(
            is_destructive_misfire(row["expected"], p) for row, p in zip(rows, predictions, strict=True)
        ),
        "unavailable": sum(p.unavailable for p in predictions),
        "json_valid_rate": round(sum(p.json_valid for p in predictions) / n, 4),
        "schema_valid_rate": round(sum(p.schema_valid for p in predictions) / n, 4),
        "per_action": {name: _rates(pairs) for name, pairs in sorted(per_action.items())},
        "by_parser": {
            name: {**_rates(pairs), "share": round(len(pairs) / n, 4)} for name, pairs in sorted(by_parser.items())
        },
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p95": round(_percentile(latencies, 95), 2),
            "p99": round(_percentile(latencies, 99), 2),
        },
    }


def load_dataset(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
            assert isinstance(row["command"], str) and isinstance(row["expected"]["action"], str)
            assert isinstance(row["expected"].get("params", {}), dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            raise ValueError(
                f"{path}:{number}: not a dataset line ({{'command': str, 'expected': {{'action': ...}}}})"
            ) from None
        try:
            line_clock(row)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no commands")
    return rows


async def evaluate(
    parser: CommandParser, rows: list[dict[str, Any]], predictions_path: Path | None = None
) -> dict[str, Any]:
    predictions = [await predict(parser, row) for row in rows]
    if predictions_path is not None:
        with predictions_path.open("w") as out:
            out.writelines(json.dumps(p.record(), ensure_ascii=False) + "\n" for p in predictions)
    return summarise(rows, predictions)


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """One row per evaluated set, for the README and docs."""
    lines = [
        "| set | n | action acc. | params acc. | destructive misfires | schema valid | unavailable | P50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        lines.append(
            f"| {name} | {result['n']} | {result['action_accuracy']:.3f} | {result['params_accuracy']:.3f} "
            f"| {result['destructive_misfires']} | {result['schema_valid_rate']:.3f} | {result['unavailable']} "
            f"| {result['latency_ms']['p50']:.0f} |"
        )
    return "\n".join(lines)
