"""The house rules of ARCHITECTURE.md, checked: layers import only downwards, one import namespace.

Layers, bottom to top (a module may import from the layers listed for it, never from a layer above):

- ``engine``: ``normalign.numerics.tolerances`` and ``normalign.numerics.engine.*`` (numpy, scipy;
  torch only to read models)
- ``kit``: the check vocabulary ``normalign.{checks,conjecture,property,strategies,files,corpus}``
- ``maths``: ``normalign.numerics.maths.*`` (theorem-specific mathematics)
- ``checks``: ``normalign.numerics.checks.*`` and ``normalign.theory.*`` (the registry's checks)
- ``experiments``: ``normalign.numerics.experiments.*``
- ``app``: everything else in ``normalign`` (registry, verify, cli, report, Lean link)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"normalign": "normalign", "numerics": "normalign.numerics", "theory": "normalign.theory"}
KIT = {"normalign.checks", "normalign.conjecture", "normalign.property", "normalign.strategies", "normalign.files",
       "normalign.corpus"}
ALLOWED: dict[str, set[str]] = {
    "engine": {"engine"},
    "kit": {"engine", "kit"},
    "maths": {"engine", "maths"},
    "checks": {"engine", "kit", "maths", "checks"},
    "experiments": {"engine", "kit", "maths", "experiments"},
    "app": {"engine", "kit", "maths", "checks", "experiments", "app"},
}


def layer(module: str) -> str:
    """The layer of a dotted module name inside the ``normalign`` namespace."""
    if module == "normalign.numerics.tolerances" or module.startswith("normalign.numerics.engine"):
        return "engine"
    if module in KIT:
        return "kit"
    if module.startswith("normalign.numerics.maths"):
        return "maths"
    if module.startswith(("normalign.numerics.checks", "normalign.theory")):
        return "checks"
    if module.startswith("normalign.numerics.experiments"):
        return "experiments"
    return "app"


def modules() -> dict[str, Path]:
    """Every module of the installed namespace, by dotted name."""
    out = {}
    for folder, package in FOLDERS.items():
        for p in sorted((REPO / folder).rglob("*.py")):
            rel = p.relative_to(REPO / folder).with_suffix("").parts
            name = ".".join((package, *rel))
            out[name.removesuffix(".__init__")] = p
    return out


def imports(path: Path, known: dict[str, Path], package: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every import of the namespace in a file, at any depth (function-level too);
    ``from a.b import c`` counts as ``a.b.c`` when that is a module, else ``a.b``. Relative imports are
    resolved against ``package`` (the file's own package); ``importlib.import_module("...")`` and
    ``__import__("...")`` with a literal name count as imports too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = (package or "").split(".")
                parent = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parent + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((node.lineno, sub if sub in known else base))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.lineno, node.args[0].value))
    return found


def package_of(name: str) -> str:
    """The package a module's relative imports resolve against (a package is its own)."""
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


MODULES = modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_imports_only_from_its_layer_or_below(name: str) -> None:
    own = layer(name)
    bad = [f"line {ln}: {m} ({layer(m)})" for ln, m in imports(MODULES[name], MODULES, package_of(name))
           if m.startswith("normalign") and m != "normalign" and layer(m) not in ALLOWED[own]]
    assert not bad, f"{name} ({own}) imports from a layer it may not use: {bad}"


def test_no_generic_top_level_import_names() -> None:
    """Nothing imports ``numerics`` or ``theory`` as top-level packages (they install inside
    ``normalign``); scripts and tests included."""
    bad = []
    for folder in ("normalign", "numerics", "theory", "tests", "benchmarks"):
        for p in (REPO / folder).rglob("*.py"):
            for ln, m in imports(p, MODULES):
                if m.split(".")[0] in ("numerics", "theory"):
                    bad.append(f"{p.relative_to(REPO)}:{ln}: {m}")
    assert not bad, bad


def test_pyproject_installs_every_package_under_normalign() -> None:
    """pyproject's explicit package list equals the folders with an ``__init__.py``, all under
    ``normalign``; a new folder that is not listed would silently be left out of the wheel."""
    text = (REPO / "pyproject.toml").read_text()
    block = text.split("packages = [", 1)[1].split("]", 1)[0]
    listed = set(re.findall(r'"([\w.]+)"', block))
    present = {name for name, p in MODULES.items() if p.name == "__init__.py"}
    assert listed == present
    assert all(n == "normalign" or n.startswith("normalign.") for n in listed)


def test_planted_upward_import_is_caught(tmp_path: Path) -> None:
    """The scanner sees a function-level import of a check module from the engine (planted)."""
    p = tmp_path / "m.py"
    p.write_text("def f():\n    from normalign.numerics.checks.centroid import power_diagram\n")
    (ln, m), = imports(p, MODULES)
    assert ln == 2 and layer(m) == "checks" and "checks" not in ALLOWED["engine"]


def test_planted_relative_and_dynamic_imports_are_caught(tmp_path: Path) -> None:
    """A relative import out of the engine and a literal ``importlib.import_module`` are seen (planted)."""
    p = tmp_path / "m.py"
    p.write_text("import importlib\nfrom ..checks.centroid import power_diagram\n"
                 "def f():\n    return importlib.import_module('normalign.numerics.experiments.plotting')\n")
    found = imports(p, MODULES, "normalign.numerics.engine")
    assert [(ln, layer(m)) for ln, m in found if m.startswith("normalign")] == [(2, "checks"), (4, "experiments")]
