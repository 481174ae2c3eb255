"""The vendored ext-apps build turned into a global the view's inline script reads: the rewrite
keeps every export, refuses a bundle of another shape, and the result runs in Node as a script."""

from __future__ import annotations

import subprocess
from importlib.resources import files

import pytest

from mcp_server.mcp.apps.bundle import UnexpectedBundle, as_global


def test_the_trailing_export_becomes_a_frozen_global() -> None:
    rewritten = as_global("var a=1;function b(){}\nexport{a as App,b};", "Lib")
    assert rewritten == "var a=1;function b(){}\nglobalThis.Lib=Object.freeze({App:a,b:b});\n"


def test_a_property_named_import_and_a_source_map_comment_are_not_refused() -> None:
    rewritten = as_global("var a=loader.import(1);\nexport{a as A};\n//# sourceMappingURL=app.js.map\n", "Lib")
    assert rewritten.endswith("globalThis.Lib=Object.freeze({A:a});\n") and "sourceMappingURL" not in rewritten


@pytest.mark.parametrize(
    "module",
    [
        "var a=1;",  # nothing exported
        "export{a};var b;export{b};",  # two export statements
        'import x from "zod";var a=1;export{a};',  # a bare import the sandbox could not resolve
        "var a=import('./x.js');export{a};",
        'var a="</script>";export{a};',  # would close the inline <script> early
        "var a=1;export{a as default.x};",
    ],
)
def test_a_bundle_of_another_shape_is_refused(module: str) -> None:
    with pytest.raises(UnexpectedBundle):
        as_global(module, "Lib")


def test_the_vendored_bundle_runs_as_a_script_and_exports_the_app() -> None:
    vendored = (files("mcp_server.mcp.apps") / "vendor" / "ext-apps.js").read_text(encoding="utf-8")
    probe = as_global(vendored, "McpExtApps") + (
        "console.log(typeof McpExtApps.App, typeof McpExtApps.applyDocumentTheme, Object.isFrozen(McpExtApps));"
    )
    ran = subprocess.run(["node", "-"], input=probe, capture_output=True, text=True, check=True, timeout=60)
    assert ran.stdout.split() == ["function", "function", "true"]
