"""The vendored ext-apps build as a classic global: the view's HTML must be one document (a host
renders it in a sandbox with no server behind it), and an inline module cannot be imported from, so
the bundle's one trailing `export{...}` becomes an object on globalThis the view's script reads."""

from __future__ import annotations

import re

_EXPORTS = re.compile(r"export\{([^{}]*)\};?\s*$")
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")
_SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
# An import statement opening a line, or a dynamic import() not written as a property (x.import(...)).
_IMPORTS = re.compile(r"^\s*import\s*[\w{*]|(?<![\w$.])import\s*\(", re.M)


class UnexpectedBundle(ValueError):
    """The vendored file no longer has the shape this rewrite knows: re-check it after a bump."""


def as_global(module: str, name: str) -> str:
    """`module` (an ES module whose only export statement is its last) with that statement replaced
    by `globalThis[name] = Object.freeze({...})`; safe to inline in a <script> element."""
    module = _SOURCE_MAP.sub("", module)
    found = _EXPORTS.search(module)
    if found is None or "export{" in module[: found.start()] or _IMPORTS.search(module):
        raise UnexpectedBundle("expected one trailing export{...} and no imports")
    pairs = []
    for item in found.group(1).split(","):
        local, _, exported = (part.strip() for part in item.partition(" as "))
        exported = exported or local
        if not (_NAME.match(local) and _NAME.match(exported)):
            raise UnexpectedBundle(f"unexpected export {item.strip()!r}")
        pairs.append(f"{exported}:{local}")
    rewritten = f"{module[: found.start()]}globalThis.{name}=Object.freeze({{{','.join(pairs)}}});\n"
    if "</script" in rewritten.lower() or "<!--" in rewritten:
        raise UnexpectedBundle("the bundle would end its <script> element early")
    return rewritten
