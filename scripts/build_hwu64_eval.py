"""Builds eval/hwu64-dev.jsonl and eval/hwu64-test.jsonl from data/hwu64 (requests and labels),
deterministically: every request of the part, a refusal by intent outside the task scenarios, the
hand-written label inside them, with dates as written by hand for the fixed now. See docs/hwu64.md.

    python scripts/build_hwu64_eval.py
"""

from __future__ import annotations

import json
from pathlib import Path

from mcp_server.training.hwu64 import evaluation_rows

ROOT = Path(__file__).parent.parent
OUT = ROOT / "eval"


def main() -> None:
    for part in ("dev", "test"):
        rows = evaluation_rows(part, ROOT / "data" / "hwu64")
        path = OUT / f"hwu64-{part}.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        print(f"{path}: {len(rows)} lines")


if __name__ == "__main__":
    main()
