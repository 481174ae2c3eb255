"""The vendored browser library is exactly what scripts/vendor-web.sh copied from the version
scripts/web/package-lock.json pins: an edit by hand, or a bump without the script, fails here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).parents[3]
VENDOR = ROOT / "mcp_server" / "http" / "web" / "static" / "vendor"


def test_each_vendored_file_is_the_pinned_package_s_file() -> None:
    sources = json.loads((VENDOR / "SOURCES.json").read_text())
    lock = json.loads((ROOT / "scripts" / "web" / "package-lock.json").read_text())["packages"]
    for name, source in sources.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == source["sha256"], name
        assert lock[f"node_modules/{source['package']}"]["version"] == source["version"], name
    assert (VENDOR / "htm-preact.LICENSE").exists() and (VENDOR / "htm-preact.NOTICE").exists()
