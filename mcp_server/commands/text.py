"""What every entry point (the process_command tool, POST /v1/task) accepts as a command and a zone:
one definition, so both adapters refuse the same text."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from mcp_server.core.domain import NoNul
from mcp_server.nlu.zones import TIMEZONE_MAX

COMMAND_MAX = 1000
CommandText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMAND_MAX), NoNul]
TimezoneName = Annotated[str, StringConstraints(min_length=1, max_length=TIMEZONE_MAX), NoNul]
