"""The vendored browser libraries are exactly what scripts/vendor-web.sh copied from the version
scripts/web/package-lock.json pins: an edit by hand, or a bump without the script, fails here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
PAGE_VENDOR = ROOT / "mcp_server" / "http" / "web" / "static" / "vendor"
APP_VENDOR = ROOT / "mcp_server" / "mcp" / "apps" / "vendor"


@pytest.mark.parametrize("vendor", [PAGE_VENDOR, APP_VENDOR], ids=["page", "mcp-app"])
def test_each_vendored_file_is_the_pinned_package_s_file(vendor: Path) -> None:
    sources = json.loads((vendor / "SOURCES.json").read_text())
    lock = json.loads((ROOT / "scripts" / "web" / "package-lock.json").read_text())["packages"]
    assert sources
    for name, source in sources.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == source["sha256"], name
        assert lock[f"node_modules/{source['package']}"]["version"] == source["version"], name
        stem = name.removesuffix(".js")
        assert (vendor / f"{stem}.LICENSE").exists() and (vendor / f"{stem}.NOTICE").exists(), name
