# syntax=docker/dockerfile:1
# Task API MCP server image: streamable HTTP on port 8000, tasks under /data.
#
#   docker build -t task-api-mcp .                          # task tools, rules, Ollama/OpenAI backends
#   docker build --build-arg EXTRAS=embedded -t task-api-mcp:embedded .   # plus the in-process model
#
# The token is required on a non-loopback bind:  docker run -e TASK_API_TOKEN=... -p 8000:8000 task-api-mcp

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: wheels for the package and its dependencies, at the versions constraints.txt pins
# (the same file scripts/install.sh and CI install from; compilers only live here).
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=""
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY mcp_server ./mcp_server
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN pip wheel --wheel-dir /wheels --constraint constraints.txt ".${EXTRAS:+[$EXTRAS]}"

# Runtime stage: the wheels, a non-root user, nothing else.
FROM ${PYTHON_IMAGE} AS runtime
ARG EXTRAS=""
LABEL org.opencontainers.image.title="task-api-mcp" \
      org.opencontainers.image.description="An MCP server that gives agents a persistent to-do list" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    TASK_API_TRANSPORT=http \
    TASK_API_HOST=0.0.0.0 \
    TASK_API_PORT=8000 \
    TASK_API_DB=/data/tasks.db
# Only the wheels built above are installable here (--no-index): the pinned versions, nothing newer.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "task-api-mcp${EXTRAS:+[$EXTRAS]}" \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /data --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('TASK_API_PORT', '8000')}/healthz\", timeout=2)"]
ENTRYPOINT ["task-api-mcp"]
CMD ["serve"]
