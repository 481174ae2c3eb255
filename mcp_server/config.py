"""Settings from command-line flags and environment variables, validated once at start.

A flag wins over its environment variable, which wins over the default.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir

from mcp_server.nlu.zones import DateError, zone

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
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    ollama_host: str = "http://127.0.0.1:11434"
    model: str = "task-api-prod"
    model_timeout_s: float = 30.0
    model_load_timeout_s: float = 300.0
    model_threads: int | None = None
    model_concurrency: int = 2
    model_queue: int = 16
    timezone: str = "UTC"
    readiness: Literal["all", "store"] = "all"
    db_pool_size: int = 10

    def validate(self) -> Settings:
        if self.log_level.upper() not in LEVELS:
            raise ConfigError(f"log level must be one of {', '.join(LEVELS)}, got {self.log_level!r}")
        if self.model_timeout_s <= 0 or self.model_concurrency < 1 or self.model_queue < 0:
            raise ConfigError("model timeout must be > 0, concurrency >= 1 and queue >= 0")
        if self.model_load_timeout_s <= 0 or (self.model_threads is not None and self.model_threads < 1):
            raise ConfigError("model load timeout must be > 0 and model threads >= 1")
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
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max body bytes must be at least 1024, got {self.max_body_bytes}")
        if self.db_pool_size < 1:
            raise ConfigError(f"db pool size must be at least 1, got {self.db_pool_size}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0-65535, got {self.port}")
        if min(self.header_timeout_s, self.body_timeout_s, self.keep_alive_timeout_s) <= 0:
            raise ConfigError("header, body and keep-alive timeouts must be > 0 seconds")
        if self.subscriber_timeout_s <= 0:
            raise ConfigError(f"subscriber timeout must be > 0 seconds, got {self.subscriber_timeout_s:g}")
        if self.max_connections < 1:
            raise ConfigError(f"max connections must be at least 1, got {self.max_connections}")
        if self.token is not None and len(self.token) < TOKEN_MIN_LENGTH:
            raise ConfigError(
                f"the bearer token is {len(self.token)} characters; use at least {TOKEN_MIN_LENGTH}, "
                f"e.g. TASK_API_TOKEN=$(openssl rand -hex 32)"
            )
        needs_token = self.transport == "http" and not is_token_free_bind(self.host)
        if needs_token and not self.token and not self.allow_insecure_bind:
            raise ConfigError(
                f"refusing to serve on {self.host} without a bearer token: set TASK_API_TOKEN or "
                f"--token-file, bind to 127.0.0.1, ::1 or localhost, or pass --allow-insecure-bind if a "
                f"proxy authenticates"
            )
        return self


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `serve`. A default from the environment is a string that argparse converts with the
    flag's type, so a bad value is a usage error naming the flag, raised only when parsing."""
    env = os.environ
    parser.add_argument("--transport", choices=["stdio", "http"], default=env.get("TASK_API_TRANSPORT", "stdio"))
    parser.add_argument(
        "--host", default=env.get("TASK_API_HOST", "127.0.0.1"), help="HTTP bind address (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=env.get("TASK_API_PORT", str(Settings.port)))
    parser.add_argument(
        "--db",
        default=env.get("TASK_API_DB") or str(default_db_path()),
        help="SQLite file, or a postgresql://user:password@host:port/dbname URL to share one store between "
        "replicas (env TASK_API_DB; default: a SQLite file under the user data directory)",
    )
    parser.add_argument(
        "--db-pool-size",
        type=int,
        default=env.get("TASK_API_DB_POOL_SIZE", str(Settings.db_pool_size)),
        help="most PostgreSQL connections this server opens (env TASK_API_DB_POOL_SIZE)",
    )
    parser.add_argument(
        "--log-level",
        default=env.get("TASK_API_LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING, ERROR (env TASK_API_LOG_LEVEL)",
    )
    parser.add_argument(
        "--stateful",
        action="store_true",
        default=env.get("TASK_API_STATEFUL") == "1",
        help="keep HTTP sessions in memory (one replica only; enables resources/subscribe "
        "updates for clients on protocol 2025-11-25 and earlier)",
    )
    parser.add_argument(
        "--token-file", type=Path, help="file holding the bearer token for HTTP (or env TASK_API_TOKEN)"
    )
    parser.add_argument(
        "--rate-limit",
        default=env.get("TASK_API_RATE_LIMIT"),
        help="requests per client over HTTP, e.g. 600/minute, or off; default off on a loopback bind, "
        f"{DEFAULT_SHARED_RATE_LIMIT} otherwise (env TASK_API_RATE_LIMIT)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=env.get("TASK_API_MAX_BODY_BYTES", str(Settings.max_body_bytes)),
        help="largest HTTP request body accepted (env TASK_API_MAX_BODY_BYTES)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=env.get("TASK_API_FORWARDED_ALLOW_IPS") or None,
        help="proxies (comma-separated addresses or networks, or *) whose X-Forwarded-For and "
        "X-Forwarded-Proto are trusted for the client address; default none: the peer's address is "
        "the client's (env TASK_API_FORWARDED_ALLOW_IPS)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=env.get("TASK_API_HEADER_TIMEOUT", str(Settings.header_timeout_s)),
        help="seconds a connection has to send a request's headers (env TASK_API_HEADER_TIMEOUT)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=env.get("TASK_API_BODY_TIMEOUT", str(Settings.body_timeout_s)),
        help="seconds a request has to send its whole body (env TASK_API_BODY_TIMEOUT)",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=env.get("TASK_API_KEEP_ALIVE_TIMEOUT", str(Settings.keep_alive_timeout_s)),
        help="seconds an idle connection stays open between requests (env TASK_API_KEEP_ALIVE_TIMEOUT)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=env.get("TASK_API_MAX_CONNECTIONS", str(Settings.max_connections)),
        help="open HTTP connections at most; beyond, new ones get 503 (env TASK_API_MAX_CONNECTIONS)",
    )
    parser.add_argument(
        "--subscriber-timeout",
        type=float,
        default=env.get("TASK_API_SUBSCRIBER_TIMEOUT", str(Settings.subscriber_timeout_s)),
        help="seconds a resources/subscribe client may leave an update unread before it is dropped "
        "(env TASK_API_SUBSCRIBER_TIMEOUT)",
    )
    parser.add_argument(
        "--allow-insecure-bind",
        action="store_true",
        help="allow a non-loopback bind without a token (only behind an authenticating proxy)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=_csv(env.get("TASK_API_ALLOWED_HOSTS")),
        help="extra Host header value to accept, e.g. tasks.example.com (repeatable)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=_csv(env.get("TASK_API_ALLOWED_ORIGINS")),
        help="extra Origin to accept, e.g. https://app.example.com (repeatable)",
    )
    parser.add_argument(
        "--readiness",
        choices=["all", "store"],
        default=env.get("TASK_API_READINESS", "all"),
        help="what /readyz waits for: all (store and model) or store (replicas take task traffic while "
        "the model loads) (env TASK_API_READINESS)",
    )


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ
    parser.add_argument(
        "--backend",
        choices=["auto", "ollama", "llamacpp", "openai", "rules", "none"],
        default=env.get("TASK_API_BACKEND", "auto"),
        help="what turns process_command text into actions: auto (rules, then a ready model), ollama, llamacpp "
        "(in-process GGUF), openai (an OpenAI-compatible server), rules (deterministic shapes only) or none "
        "(env TASK_API_BACKEND)",
    )
    parser.add_argument(
        "--gguf",
        default=env.get("TASK_API_GGUF"),
        help="GGUF file for the embedded backend (env TASK_API_GGUF); default: the test model if installed",
    )
    parser.add_argument(
        "--adapter",
        default=env.get("TASK_API_ADAPTER"),
        help="GGUF LoRA adapter for the embedded backend (env TASK_API_ADAPTER); default: the shipped task "
        "adapter on the test model, none on another --gguf; 'none' to run the base model alone",
    )
    parser.add_argument(
        "--openai-base-url",
        default=env.get("TASK_API_OPENAI_BASE_URL"),
        help="an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (env TASK_API_OPENAI_BASE_URL)",
    )
    parser.add_argument(
        "--ollama-host",
        default=env.get("OLLAMA_HOST", "http://127.0.0.1:11434"),
        help="Ollama's address (env OLLAMA_HOST)",
    )
    parser.add_argument(
        "--model", default=env.get("TASK_API_MODEL", "task-api-prod"), help="the Ollama model (env TASK_API_MODEL)"
    )
    parser.add_argument(
        "--model-timeout",
        type=float,
        default=env.get("TASK_API_MODEL_TIMEOUT", str(Settings.model_timeout_s)),
        help="seconds one command may take the model (env TASK_API_MODEL_TIMEOUT)",
    )
    parser.add_argument(
        "--model-load-timeout",
        type=float,
        default=env.get("TASK_API_MODEL_LOAD_TIMEOUT", str(Settings.model_load_timeout_s)),
        help="seconds the embedded model may take to load and warm up before health says unavailable "
        "(env TASK_API_MODEL_LOAD_TIMEOUT)",
    )
    parser.add_argument(
        "--model-threads",
        type=int,
        default=env.get("TASK_API_MODEL_THREADS") or None,
        help="CPU threads of the embedded model (env TASK_API_MODEL_THREADS); default: the usable cores "
        "less one, at most 8",
    )
    parser.add_argument(
        "--model-concurrency",
        type=int,
        default=env.get("TASK_API_MODEL_CONCURRENCY", str(Settings.model_concurrency)),
        help="generations at once (env TASK_API_MODEL_CONCURRENCY)",
    )
    parser.add_argument(
        "--model-queue",
        type=int,
        default=env.get("TASK_API_MODEL_QUEUE", str(Settings.model_queue)),
        help="commands that may wait for the model before 'busy' (env TASK_API_MODEL_QUEUE)",
    )
    parser.add_argument(
        "--timezone",
        default=env.get("TASK_API_TIMEZONE", "UTC"),
        help="IANA zone for due dates in words when a command gives none (env TASK_API_TIMEZONE)",
    )


def rate_limit_for(given: str | None, host: str) -> str | None:
    """The rate limit in force: the one given ('off' for none), else none for a local (loopback)
    server and DEFAULT_SHARED_RATE_LIMIT for one that others reach."""
    if given is not None:
        return None if given.strip().lower() in ("off", "none", "") else given.strip()
    return None if is_token_free_bind(host) else DEFAULT_SHARED_RATE_LIMIT


def settings_from_args(args: argparse.Namespace) -> Settings:
    token = os.environ.get("TASK_API_TOKEN") or None
    if args.token_file is not None:
        try:
            token = args.token_file.read_text().strip() or None
        except OSError as exc:
            raise ConfigError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from exc
        if token is None:
            raise ConfigError(f"--token-file {args.token_file} is empty")
    return Settings(
        db=args.db,
        transport=args.transport,
        host=args.host,
        port=args.port,
        log_level=args.log_level.upper(),
        stateless=not args.stateful,
        token=token,
        allow_insecure_bind=args.allow_insecure_bind,
        allowed_hosts=args.allowed_host,
        allowed_origins=args.allowed_origin,
        rate_limit=rate_limit_for(args.rate_limit, args.host),
        max_body_bytes=args.max_body_bytes,
        forwarded_allow_ips=args.forwarded_allow_ips,
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        keep_alive_timeout_s=args.keep_alive_timeout,
        max_connections=args.max_connections,
        subscriber_timeout_s=args.subscriber_timeout,
        readiness=args.readiness,
        db_pool_size=args.db_pool_size,
        **model_settings_from_args(args),
    ).validate()


def model_settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields that add_model_arguments defines, from parsed arguments."""
    return {
        "backend": args.backend,
        "gguf": args.gguf,
        "adapter": args.adapter,
        "openai_base_url": args.openai_base_url,
        "openai_api_key": os.environ.get("TASK_API_OPENAI_API_KEY") or None,
        "ollama_host": args.ollama_host,
        "model": args.model,
        "model_timeout_s": args.model_timeout,
        "model_load_timeout_s": args.model_load_timeout,
        "model_threads": args.model_threads,
        "model_concurrency": args.model_concurrency,
        "model_queue": args.model_queue,
        "timezone": args.timezone,
    }
