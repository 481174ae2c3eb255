"""The package's layers, lowest first: no module imports from a layer above its own (function-level and
type-checking imports count too), and every module belongs to a layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "mcp_server"

# Lowest first. A layer may import from its own and from those before it.
LAYERS: list[set[str]] = [
    {"mcp_server", "mcp_server.core"},  # the version, the domain, its errors and rules, the store protocol
    {"mcp_server.store"},  # the backends of the store protocol
    {"mcp_server.observability"},  # logs, metrics, health
    {"mcp_server.nlu"},  # words to one validated action
    {"mcp_server.config"},  # settings
    {"mcp_server.commands", "mcp_server.training"},  # a command run through the service; the fine-tune
    {"mcp_server.mcp"},  # the MCP adapter
    {"mcp_server.http"},  # the HTTP adapter: ASGI stack, REST, probes
    {"mcp_server.app"},  # the composition root
    {"mcp_server.serving"},  # the app on a transport
    {"mcp_server.cli", "mcp_server.keys_command", "mcp_server.principals_command", "mcp_server.__main__"},  # commands
]

# The repository's other top-level packages: the tests, their servers, the benchmarks, the scripts.
OUTSIDE_THE_PACKAGE = {"tests", "harness", "benchmarks", "scripts"}


def layer_of(module: str) -> int:
    """The layer of a module: that of the longest prefix a layer names."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        for index, layer in enumerate(LAYERS):
            if prefix in layer:
                return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    """Whether a dotted name is one of the package's modules (read from the tree, nothing imported)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports: `from a import b` is `a.b` when b is a module, and a relative
    import is read from the importing module's package."""
    importer = module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if _is_module(full) else base)
    return names


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported in imported_modules(path):
            if imported.split(".")[0] in OUTSIDE_THE_PACKAGE:
                upward.append(f"{importer} imports {imported}, which is not shipped")
            elif (imported == "mcp_server" or imported.startswith("mcp_server.")) and layer_of(imported) > layer_of(
                importer
            ):
                upward.append(f"{importer} imports {imported}")
    assert not upward, "\n".join(upward)


def test_the_core_does_no_io_and_uses_no_framework() -> None:
    """The domain and the service know nothing of transports, drivers or the files they run on."""
    forbidden = {"mcp", "starlette", "fastapi", "uvicorn", "httpx", "httpx2", "sqlite3", "psycopg", "ollama", "openai"}
    found = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [f"{path.name} imports {name}" for name in names if name.split(".")[0] in forbidden]
    assert not found, "\n".join(found)


def test_the_top_of_the_package_shows_its_layers() -> None:
    top = {p.name for p in PACKAGE.iterdir() if not p.name.startswith((".", "_")) or p.name == "__main__.py"}
    packages = {"core", "store", "observability", "nlu", "commands", "training", "mcp", "http"}
    modules = {"app.py", "config.py", "serving.py", "cli.py", "keys_command.py", "principals_command.py", "__main__.py"}
    assert top == packages | modules
