"""constraints.txt: one exact pin for every package the project installs, inside pyproject.toml's
ranges, and the file that scripts/install.sh and the image's build stage install from."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.support import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = sorted(PYPROJECT["optional-dependencies"])
CONSTRAINTS = [
    line.strip() for line in (ROOT / "constraints.txt").read_text().splitlines() if line.strip() and line[0] != "#"
]


def pins() -> dict[str, Version]:
    pinned: dict[str, Version] = {}
    for line in CONSTRAINTS:
        name, _, version = line.partition("==")
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) and version, f"not an exact pin: {line!r}"
        assert canonicalize_name(name) not in pinned, f"pinned twice: {name}"
        pinned[canonicalize_name(name)] = Version(version)
    return pinned


def declared() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["dependencies"]] + [
        Requirement(r) for extra in EXTRAS for r in PYPROJECT["optional-dependencies"][extra]
    ]


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    pinned = pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in constraints.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside pyproject.toml's {requirement}"
        )


# What only a CUDA build of torch pulls in: the pin on torch admits either build, and these follow it.
CUDA_RUNTIME = ("nvidia-", "triton", "cuda-")


def test_every_installed_dependency_is_pinned_at_its_installed_version() -> None:
    """Walks the requirements from the package with all its extras through what is installed: a
    dependency that a release added, or a version that moved, shows up here."""
    pinned, seen, missing = pins(), set[str](), []
    todo = [(r, frozenset(r.extras)) for r in declared()]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen or name.startswith(CUDA_RUNTIME):
            continue
        seen.add((name, extras))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an extra that this environment did not install; its direct pin is checked above
        installed = Version(dist.version)
        if pinned.get(name) != Version(installed.public):
            missing.append(f"{name}=={installed} (pinned: {pinned.get(name)})")
        for line in dist.requires or []:
            sub = Requirement(line)
            active = sub.marker is None or any(
                sub.marker.evaluate({**default_environment(), "extra": extra}) for extra in {"", *extras}
            )
            if active:
                todo.append((sub, frozenset(sub.extras)))
    assert not missing, "regenerate constraints.txt (its first lines say how): " + ", ".join(sorted(missing))


def test_the_installers_install_from_the_constraints() -> None:
    install = (ROOT / "scripts" / "install.sh").read_text()
    assert "--constraint constraints.txt" in install
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY [^\n]*\bconstraints\.txt\b", dockerfile, re.M)
    assert re.search(r"^RUN pip wheel [^\n]*--constraint constraints\.txt", dockerfile, re.M)
