"""Settings from command-line flags and environment variables, validated once at start.

A flag wins over its environment variable, which wins over the default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from platformdirs import user_data_dir

from mcp_server.core.errors import InvalidInput
from mcp_server.core.trash import TRASH_DAYS_DEFAULT, TRASH_DAYS_MAX
from mcp_server.core.usage import DEFAULT_PLANS, parse_plans
from mcp_server.nlu.model_files import MODEL_NAME
from mcp_server.nlu.zones import DateError, zone
from mcp_server.store.urls import POOL_SIZE_DEFAULT

APP_NAME = "task-api-mcp"
# A bearer token shorter than this could be guessed; `openssl rand -hex 32` gives 64 characters.
TOKEN_MIN_LENGTH = 16
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_SHARED_RATE_LIMIT = "600/minute"
TOKEN_FREE_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})


def is_token_free_bind(host: str) -> bool:
    """The binds that may serve without a token: exactly this machine's own loopback names. Any
    other address, 127.0.0.2 included, may be reached through forwarding or routing from elsewhere."""
    return host.strip().lower() in TOKEN_FREE_HOSTS


def default_db_path() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "tasks.db"


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class ConfigError(ValueError):
    """A setting is invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    db: str = field(default_factory=lambda: str(default_db_path()))
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    stateless: bool = True
    token: str | None = None
    allow_insecure_bind: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    rate_limit: str | None = None
    max_body_bytes: int = 1024 * 1024
    forwarded_allow_ips: str | None = None
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_timeout_s: float = 5.0
    max_connections: int = 500
    subscriber_timeout_s: float = 10.0
    backend: Literal["auto", "ollama", "llamacpp", "openai", "rules", "none"] = "auto"
    gguf: str | None = None
    adapter: str | None = None
    adapter_merge: Literal["q8_0", "f16", "off"] = "q8_0"
    model_cache: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    ollama_host: str = "http://127.0.0.1:11434"
    model: str = MODEL_NAME
    model_timeout_s: float = 30.0
    model_load_timeout_s: float = 300.0
    model_threads: int | None = None
    model_shared_threads: int | None = None
    model_concurrency: int | None = None  # a cap on the adapting limit of a remote engine (nlu/concurrency.py)
    model_queue: int = 16
    timezone: str = "UTC"
    readiness: Literal["all", "store"] = "all"
    db_pool_size: int = POOL_SIZE_DEFAULT
    trash_days: int = TRASH_DAYS_DEFAULT
    plans: str = DEFAULT_PLANS
    default_plan: str | None = None
    oauth_issuer: str | None = None
    oauth_resource: str | None = None
    oauth_leeway_s: float = 30.0

    @property
    def oauth_audience(self) -> str | None:
        """This server's canonical URI, the audience its access tokens must name (RFC 8707): the
        one given, else the MCP endpoint on the bind address. None without an issuer."""
        if self.oauth_issuer is None:
            return None
        if self.oauth_resource is not None:
            return self.oauth_resource.rstrip("/")
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/mcp"

    def validate(self) -> Settings:
        if self.log_level.upper() not in LEVELS:
            raise ConfigError(f"log level must be one of {', '.join(LEVELS)}, got {self.log_level!r}")
        concurrency_ok = self.model_concurrency is None or self.model_concurrency >= 1
        if self.model_timeout_s <= 0 or not concurrency_ok or self.model_queue < 0:
            raise ConfigError("model timeout must be > 0, concurrency >= 1 and queue >= 0")
        if self.model_load_timeout_s <= 0 or (self.model_threads is not None and self.model_threads < 1):
            raise ConfigError("model load timeout must be > 0 and model threads >= 1")
        if self.model_shared_threads is not None and self.model_shared_threads < 1:
            raise ConfigError(f"model shared threads must be >= 1, got {self.model_shared_threads}")
        try:
            zone(self.timezone)
        except DateError as exc:
            raise ConfigError(f"timezone: {exc}") from None
        if self.backend == "openai" and not self.openai_base_url:
            raise ConfigError("--backend openai needs --openai-base-url (or TASK_API_OPENAI_BASE_URL)")
        if self.rate_limit:
            from limits import parse as parse_limit  # only a server that limits pays for the import

            try:
                parse_limit(self.rate_limit)
            except ValueError:
                raise ConfigError(f"rate limit must look like '600/minute', got {self.rate_limit!r}") from None
        try:
            plans = parse_plans(self.plans)
        except InvalidInput as exc:
            raise ConfigError(f"--plans: {exc}") from None
        if self.default_plan is not None and self.default_plan not in plans:
            raise ConfigError(
                f"--default-plan {self.default_plan!r} is not one of --plans ({', '.join(plans) or 'none'})"
            )
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max body bytes must be at least 1024, got {self.max_body_bytes}")
        if self.db_pool_size < 1:
            raise ConfigError(f"db pool size must be at least 1, got {self.db_pool_size}")
        if not 0 <= self.trash_days <= TRASH_DAYS_MAX:
            raise ConfigError(f"trash days must be 0-{TRASH_DAYS_MAX}, got {self.trash_days}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0-65535, got {self.port}")
        if min(self.header_timeout_s, self.body_timeout_s, self.keep_alive_timeout_s) <= 0:
            raise ConfigError("header, body and keep-alive timeouts must be > 0 seconds")
        if self.subscriber_timeout_s <= 0:
            raise ConfigError(f"subscriber timeout must be > 0 seconds, got {self.subscriber_timeout_s:g}")
        if self.max_connections < 1:
            raise ConfigError(f"max connections must be at least 1, got {self.max_connections}")
        self._validate_oauth()
        if self.token is not None and len(self.token) < TOKEN_MIN_LENGTH:
            raise ConfigError(
                f"the bearer token is {len(self.token)} characters; use at least {TOKEN_MIN_LENGTH}, "
                f"e.g. TASK_API_TOKEN=$(openssl rand -hex 32)"
            )
        return self

    def _validate_oauth(self) -> None:
        if self.oauth_issuer is None:
            if self.oauth_resource is not None:
                raise ConfigError("--oauth-resource needs --oauth-issuer (the server that issues the tokens)")
            return
        _check_oauth_url("--oauth-issuer", self.oauth_issuer)
        if self.oauth_resource is not None:
            _check_oauth_url("--oauth-resource", self.oauth_resource)
        elif not is_token_free_bind(self.host):
            raise ConfigError(
                f"with --oauth-issuer on {self.host}, set --oauth-resource to the URL clients reach the MCP "
                f"endpoint at (e.g. https://tasks.example.com/mcp): access tokens are issued for it"
            )
        if not 0 <= self.oauth_leeway_s <= 300:
            raise ConfigError(f"oauth leeway must be 0-300 seconds, got {self.oauth_leeway_s:g}")

    def open_bind_refusal(self) -> str | None:
        """Why these settings may not serve unless the store holds API keys: an HTTP bind other than
        this machine's loopback, with no token and no proxy said to authenticate. None when they may."""
        needs_credentials = self.transport == "http" and not is_token_free_bind(self.host)
        if not needs_credentials or self.token or self.oauth_issuer or self.allow_insecure_bind:
            return None
        return (
            f"refusing to serve on {self.host} without a bearer token, API keys or an OAuth issuer: set "
            f"TASK_API_TOKEN or --token-file, create a key (task-api-mcp keys create --name NAME), set "
            f"--oauth-issuer, bind to 127.0.0.1, ::1 or "
            f"localhost, or pass --allow-insecure-bind if a proxy authenticates"
        )


def _check_oauth_url(flag: str, url: str) -> None:
    """An https URL, or http on this machine's loopback (a test or a local issuer); no query or
    fragment, and nothing that could not sit in a quoted header value."""
    if any(c.isspace() or c in '"\\,' or not c.isprintable() for c in url):
        raise ConfigError(f"{flag} must be a plain URL (no spaces, quotes, commas or backslashes), got {url!r}")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise ConfigError(f"{flag} is not a URL: {url!r}") from None
    loopback = parts.scheme == "http" and host in {"127.0.0.1", "::1", "localhost"}
    if parts.scheme != "https" and not loopback:
        raise ConfigError(f"{flag} must be an https URL (http only on loopback), got {url!r}")
    if not host or parts.query or parts.fragment:
        raise ConfigError(f"{flag} must be an absolute URL with no query or fragment, got {url!r}")


@dataclass(frozen=True)
class Option:
    """One flag: the Settings field it fills (whose default is the flag's), its environment variable
    and its help. The parser, the settings and the configuration table in docs/ are all read from
    SERVE_OPTIONS and MODEL_OPTIONS, so none of them can drift from the others."""

    flag: str
    field: str | None  # None: settings_from_args reads the flag itself (--token-file)
    help: str
    env: str | None = None
    type: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    switch: bool = False  # a flag without a value; its variable turns it on with "1"
    negates: bool = False  # a switch that sets its field to False (--stateful: stateless=False)
    repeatable: bool = False  # given again for each value; its variable is comma-separated
    metavar: str | None = None
    shown_default: str | None = None  # the default in words, where it is not one constant
    empty_is_unset: bool = False  # an empty variable means the default (else it is the value given)

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def default(self) -> Any:
        """The built-in default, as Settings has it."""
        if self.field is None:
            return None
        spec = Settings.__dataclass_fields__[self.field]
        return spec.default_factory() if spec.default_factory is not MISSING else spec.default

    def shown(self) -> str:
        """The default as people read it: in words, or the value."""
        if self.shown_default is not None:
            return self.shown_default
        value = self.default()
        return f"{value:g}" if isinstance(value, float) else str(value)

    def add_to(self, parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
        """A default from the environment is a string that argparse converts with the flag's type, so a
        bad value is a usage error naming the flag, raised only when parsing."""
        given = env.get(self.env) if self.env else None
        if given == "" and self.empty_is_unset:
            given = None
        where = f"env {self.env}; " if self.env else ""
        help_text = f"{self.help} ({where}default: {self.shown()})"
        if self.switch:
            parser.add_argument(self.flag, action="store_true", default=given == "1", help=help_text)
        elif self.repeatable:
            parser.add_argument(self.flag, action="append", default=_csv(given), metavar=self.metavar, help=help_text)
        else:
            default = self.default()
            if given is not None:
                default = given
            elif default is not None:
                default = str(default)  # converted by argparse like a value from the environment
            parser.add_argument(
                self.flag,
                type=self.type,
                choices=self.choices,
                default=default,
                metavar=self.metavar,
                help=help_text,
            )

    def setting(self, args: argparse.Namespace) -> Any:
        value = getattr(args, self.dest)
        return not value if self.negates else value


SERVE_OPTIONS: tuple[Option, ...] = (
    Option("--transport", "transport", "stdio, or streamable HTTP", "TASK_API_TRANSPORT", choices=("stdio", "http")),
    Option("--host", "host", "HTTP bind address", "TASK_API_HOST"),
    Option("--port", "port", "HTTP port", "TASK_API_PORT", type=int),
    Option(
        "--db",
        "db",
        "SQLite file, or a postgresql://user:password@host:port/dbname URL to share one store between replicas",
        "TASK_API_DB",
        shown_default="a SQLite file under the user data directory",
        empty_is_unset=True,
    ),
    Option(
        "--db-pool-size", "db_pool_size", "most PostgreSQL connections this server opens", "TASK_API_DB_POOL_SIZE", int
    ),
    Option(
        "--trash-days",
        "trash_days",
        "days a deleted task stays restorable in the trash before it is purged (0: no trash, a delete purges)",
        "TASK_API_TRASH_DAYS",
        int,
    ),
    Option("--log-level", "log_level", "DEBUG, INFO, WARNING, ERROR", "TASK_API_LOG_LEVEL", str.upper),
    Option(
        "--stateful",
        "stateless",
        "keep HTTP sessions in memory (one replica only; enables resources/subscribe updates for clients on "
        "protocol 2025-11-25 and earlier)",
        "TASK_API_STATEFUL",
        switch=True,
        negates=True,
        shown_default="off",
    ),
    Option(
        "--token-file",
        None,
        "file holding the bearer token for HTTP (or the variable TASK_API_TOKEN)",
        type=Path,
        metavar="PATH",
        shown_default="none",
    ),
    Option(
        "--rate-limit",
        "rate_limit",
        "requests per client over HTTP, e.g. 600/minute, or off",
        "TASK_API_RATE_LIMIT",
        shown_default=f"off on a loopback bind, {DEFAULT_SHARED_RATE_LIMIT} otherwise",
    ),
    Option(
        "--plans",
        "plans",
        "the plans keys may have, each its requests a month (a command in words counts 5)",
        "TASK_API_PLANS",
    ),
    Option(
        "--default-plan",
        "default_plan",
        "the plan of a principal whose key names none (the local principal's too)",
        "TASK_API_DEFAULT_PLAN",
        shown_default="none: counted, never refused",
        empty_is_unset=True,
    ),
    Option(
        "--oauth-issuer",
        "oauth_issuer",
        "the OAuth authorization server whose JWT access tokens this server accepts (beside keys and the token)",
        "TASK_API_OAUTH_ISSUER",
        shown_default="none",
        empty_is_unset=True,
    ),
    Option(
        "--oauth-resource",
        "oauth_resource",
        "this server's MCP URL as clients reach it: the audience access tokens must name",
        "TASK_API_OAUTH_RESOURCE",
        shown_default="http://HOST:PORT/mcp of the bind",
        empty_is_unset=True,
    ),
    Option(
        "--oauth-leeway",
        "oauth_leeway_s",
        "seconds of clock difference allowed with the issuer when checking a token's exp, nbf and iat",
        "TASK_API_OAUTH_LEEWAY",
        float,
    ),
    Option("--max-body-bytes", "max_body_bytes", "largest HTTP request body accepted", "TASK_API_MAX_BODY_BYTES", int),
    Option(
        "--forwarded-allow-ips",
        "forwarded_allow_ips",
        "proxies (comma-separated addresses or networks, or *) whose X-Forwarded-For and X-Forwarded-Proto are "
        "trusted for the client address",
        "TASK_API_FORWARDED_ALLOW_IPS",
        shown_default="none: the peer's address is the client's",
        empty_is_unset=True,
    ),
    Option(
        "--header-timeout",
        "header_timeout_s",
        "seconds a connection has to send a request's headers",
        "TASK_API_HEADER_TIMEOUT",
        float,
    ),
    Option(
        "--body-timeout",
        "body_timeout_s",
        "seconds a request has to send its whole body",
        "TASK_API_BODY_TIMEOUT",
        float,
    ),
    Option(
        "--keep-alive-timeout",
        "keep_alive_timeout_s",
        "seconds an idle connection stays open between requests",
        "TASK_API_KEEP_ALIVE_TIMEOUT",
        float,
    ),
    Option(
        "--max-connections",
        "max_connections",
        "open HTTP connections at most; beyond, new ones get 503",
        "TASK_API_MAX_CONNECTIONS",
        int,
    ),
    Option(
        "--subscriber-timeout",
        "subscriber_timeout_s",
        "seconds a resources/subscribe client may leave an update unread before it is dropped",
        "TASK_API_SUBSCRIBER_TIMEOUT",
        float,
    ),
    Option(
        "--allow-insecure-bind",
        "allow_insecure_bind",
        "allow a non-loopback bind without a token (only behind an authenticating proxy)",
        switch=True,
        shown_default="off",
    ),
    Option(
        "--allowed-host",
        "allowed_hosts",
        "extra Host header value to accept, e.g. tasks.example.com (repeatable)",
        "TASK_API_ALLOWED_HOSTS",
        repeatable=True,
        shown_default="none",
    ),
    Option(
        "--allowed-origin",
        "allowed_origins",
        "extra Origin to accept, e.g. https://app.example.com (repeatable)",
        "TASK_API_ALLOWED_ORIGINS",
        repeatable=True,
        shown_default="none",
    ),
    Option(
        "--readiness",
        "readiness",
        "what /readyz waits for: all (store and model) or store (replicas take task traffic while the model loads)",
        "TASK_API_READINESS",
        choices=("all", "store"),
    ),
)

MODEL_OPTIONS: tuple[Option, ...] = (
    Option(
        "--backend",
        "backend",
        "what turns process_command text into actions: auto (rules, then a ready model), ollama, llamacpp "
        "(in-process GGUF), openai (an OpenAI-compatible server), rules (deterministic shapes only) or none",
        "TASK_API_BACKEND",
        choices=("auto", "ollama", "llamacpp", "openai", "rules", "none"),
    ),
    Option(
        "--gguf",
        "gguf",
        "GGUF file for the embedded backend",
        "TASK_API_GGUF",
        shown_default="the test model if installed",
    ),
    Option(
        "--adapter",
        "adapter",
        "GGUF LoRA adapter for the embedded backend; 'none' to run the base model alone",
        "TASK_API_ADAPTER",
        shown_default="the shipped task adapter on the test model, none on another --gguf",
    ),
    Option(
        "--adapter-merge",
        "adapter_merge",
        "add the adapter into the base's weights once at load, stored as q8_0 or f16 (faster a token than "
        "applying it at every step), or off to apply it at run time",
        "TASK_API_ADAPTER_MERGE",
        choices=("q8_0", "f16", "off"),
    ),
    Option(
        "--model-cache",
        "model_cache",
        "folder for merged model files (built on first load, reused while base and adapter are unchanged)",
        "TASK_API_MODEL_CACHE",
        shown_default="the user cache folder, e.g. ~/.cache/task-api-mcp",
        empty_is_unset=True,
    ),
    Option(
        "--openai-base-url",
        "openai_base_url",
        "an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1",
        "TASK_API_OPENAI_BASE_URL",
        shown_default="none",
    ),
    Option("--ollama-host", "ollama_host", "Ollama's address", "OLLAMA_HOST"),
    Option("--model", "model", "the Ollama model", "TASK_API_MODEL"),
    Option(
        "--model-timeout",
        "model_timeout_s",
        "seconds one command may take the model",
        "TASK_API_MODEL_TIMEOUT",
        float,
    ),
    Option(
        "--model-load-timeout",
        "model_load_timeout_s",
        "seconds the embedded model may take to load and warm up before health says unavailable",
        "TASK_API_MODEL_LOAD_TIMEOUT",
        float,
    ),
    Option(
        "--model-threads",
        "model_threads",
        "CPU threads of the embedded model",
        "TASK_API_MODEL_THREADS",
        int,
        shown_default="the usable cores less one, at most 8",
        empty_is_unset=True,
    ),
    Option(
        "--model-shared-threads",
        "model_shared_threads",
        "CPU threads of the embedded model for a step that decodes several commands together",
        "TASK_API_MODEL_SHARED_THREADS",
        int,
        shown_default="--model-threads; never fewer",
        empty_is_unset=True,
    ),
    Option(
        "--model-concurrency",
        "model_concurrency",
        "the most generations at once on Ollama or an OpenAI-compatible engine: the limit starts at 16 and "
        "adapts to what the engine keeps up with (the embedded model batches up to 12 itself)",
        "TASK_API_MODEL_CONCURRENCY",
        int,
        shown_default="64 for Ollama, 256 for an OpenAI-compatible engine",
        empty_is_unset=True,
    ),
    Option(
        "--model-queue",
        "model_queue",
        "commands that may wait for the model before 'busy'",
        "TASK_API_MODEL_QUEUE",
        int,
    ),
    Option(
        "--timezone",
        "timezone",
        "IANA zone for due dates in words when a command gives none, and of recurring tasks created without one",
        "TASK_API_TIMEZONE",
    ),
)

# Settings read from the environment alone (secrets: a flag would show in the process list).
ENV_ONLY: dict[str, str] = {
    "TASK_API_TOKEN": f"the bearer token for HTTP itself (at least {TOKEN_MIN_LENGTH} characters); "
    "`--token-file` wins over it",
    "TASK_API_OPENAI_API_KEY": "the API key sent to the `--openai-base-url` server",
}


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    for option in SERVE_OPTIONS:
        option.add_to(parser, os.environ)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    for option in MODEL_OPTIONS:
        option.add_to(parser, os.environ)


def rate_limit_for(given: str | None, host: str) -> str | None:
    """The rate limit in force: the one given ('off' for none), else none for a local (loopback)
    server and DEFAULT_SHARED_RATE_LIMIT for one that others reach."""
    if given is not None:
        return None if given.strip().lower() in ("off", "none", "") else given.strip()
    return None if is_token_free_bind(host) else DEFAULT_SHARED_RATE_LIMIT


def settings_from_args(args: argparse.Namespace) -> Settings:
    fields = {option.field: option.setting(args) for option in SERVE_OPTIONS if option.field is not None}
    token = os.environ.get("TASK_API_TOKEN") or None
    if args.token_file is not None:
        try:
            token = args.token_file.read_text().strip() or None
        except OSError as exc:
            raise ConfigError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from exc
        if token is None:
            raise ConfigError(f"--token-file {args.token_file} is empty")
    fields["rate_limit"] = rate_limit_for(args.rate_limit, args.host)
    return Settings(**fields, token=token, **model_settings_from_args(args)).validate()


def model_settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields that add_model_arguments defines, from parsed arguments."""
    fields = {option.field: option.setting(args) for option in MODEL_OPTIONS if option.field is not None}
    return {**fields, "openai_api_key": os.environ.get("TASK_API_OPENAI_API_KEY") or None}
