"""How long the server takes to start, against the interpreter's own start in the same run.

MCP clients such as Claude Desktop spawn one stdio server per session and wait for its answer to
`initialize`; `task-api-mcp --version` is what scripts and installers run. Each is timed --runs times,
interleaved with `python -c pass` (the floor: the interpreter alone) and `python -c "import
mcp.server.mcpserver"` (the SDK every MCP server loads), and printed as P50 and as a ratio to the floor.

    python -m benchmarks.startup [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.mcp_messages import INITIALIZE


def timed_command(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def stdio_ready(db: Path) -> float:
    """Seconds from spawning a stdio server to reading its answer to initialize."""
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "mcp_server", "serve", "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
    server.stdin.flush()
    answer = server.stdout.readline()
    elapsed = time.perf_counter() - started
    server.stdin.close()
    server.wait(timeout=30)
    if b'"result"' not in answer:
        raise RuntimeError(f"no initialize result: {answer!r}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "tasks.db"
        scenarios: dict[str, Callable[[], float]] = {
            "python -c pass": lambda: timed_command("-c", "pass"),
            "import mcp.server.mcpserver": lambda: timed_command("-c", "import mcp.server.mcpserver"),
            "task-api-mcp --version": lambda: timed_command("-m", "mcp_server", "--version"),
            "stdio initialize answered": lambda: stdio_ready(db),
        }
        samples: dict[str, list[float]] = {name: [] for name in scenarios}
        for _ in range(args.runs):  # interleaved, so that a noisy moment touches every scenario alike
            for name, run in scenarios.items():
                samples[name].append(run())
    floor = statistics.median(samples["python -c pass"])
    figures = {
        name: {"n": len(times), "p50_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
        for name, times in samples.items()
    }
    print(f"{'scenario':<28} {'P50 s':>7} {'max s':>7} {'P50 / python':>13}")
    for name, figure in figures.items():
        figure["vs_python"] = round(figure["p50_s"] / floor, 2)
        print(f"{name:<28} {figure['p50_s']:>7.3f} {figure['max_s']:>7.3f} {figure['vs_python']:>13.2f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
