"""The packages depend one way: tools -> plugin -> emulators, product -> the fiscal domain below both.

Every import in every module counts, also one inside a function or under TYPE_CHECKING: a lazy import is
still a dependency. The checker is tested on a small tree of its own, so a broken rule cannot pass unseen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"fiscal": 0, "kkt_adapter": 1, "emulators": 1, "pytest_opticserp": 2, "locustfiles": 2, "opticserp_tools": 3}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for each import in the file, relative ones resolved."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            yield node.lineno, target
            for alias in node.names:  # `from . import health` imports the module `health`
                yield node.lineno, f"{target}.{alias.name}"


def our_modules(root: Path) -> dict[str, Path]:
    return {module_name(path, root): path for package in LAYERS for path in sorted((root / package).rglob("*.py"))}


def layer_violations(root: Path) -> list[str]:
    found = []
    for name, path in our_modules(root).items():
        own = name.split(".")[0]
        for line, target in imports(path, root):
            other = target.split(".")[0]
            if other in LAYERS and other != own and LAYERS[other] >= LAYERS[own]:
                found.append(f"{path.relative_to(root)}:{line}: {own} (layer {LAYERS[own]}) imports {target} "
                             f"(layer {LAYERS[other]})")
    return found


def import_cycles(root: Path) -> list[list[str]]:
    """Cycles between modules of one package (a package's `__init__` excluded: it only re-exports)."""
    modules = {name: path for name, path in our_modules(root).items() if path.name != "__init__.py"}
    graph = {name: sorted({t for _, t in imports(path, root) if t in modules and t != name})
             for name, path in modules.items()}
    cycles, state = [], dict.fromkeys(graph, 0)

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state[nxt] == 1:
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif state[nxt] == 0:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in graph:
        if state[start] == 0:
            visit(start, [start])
    return cycles


def test_no_package_imports_one_at_its_own_layer_or_above() -> None:
    assert layer_violations(ROOT) == []


def test_no_two_modules_import_each_other() -> None:
    assert import_cycles(ROOT) == []


def test_the_product_at_the_bottom_imports_nothing_of_its_test_tools() -> None:
    tools = {"emulators", "pytest_opticserp", "opticserp_tools"}
    for name, path in our_modules(ROOT).items():
        if name.startswith("kkt_adapter"):
            assert not [t for _, t in imports(path, ROOT) if t.split(".")[0] in tools], name


def write(root: Path, files: dict[str, str]) -> None:
    for package in LAYERS:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def test_the_checker_sees_a_forbidden_import_even_inside_a_function(tmp_path: Path) -> None:
    write(tmp_path, {
        "kkt_adapter/ofd.py": "def build():\n    from emulators.ofd import state\n",
        "emulators/cli.py": "import typer\nfrom fiscal import money\n",
        "pytest_opticserp/fixtures.py": "from opticserp_tools.devstack import up\nimport kkt_adapter\n",
    })
    assert layer_violations(tmp_path) == [
        "kkt_adapter/ofd.py:2: kkt_adapter (layer 1) imports emulators.ofd (layer 1)",
        "kkt_adapter/ofd.py:2: kkt_adapter (layer 1) imports emulators.ofd.state (layer 1)",
        "pytest_opticserp/fixtures.py:1: pytest_opticserp (layer 2) imports opticserp_tools.devstack (layer 3)",
        "pytest_opticserp/fixtures.py:1: pytest_opticserp (layer 2) imports opticserp_tools.devstack.up (layer 3)",
    ]


def test_the_checker_sees_two_modules_that_import_each_other(tmp_path: Path) -> None:
    write(tmp_path, {
        "kkt_adapter/components.py": "from . import health\n",
        "kkt_adapter/health.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                 "    from .components import Components\n",
    })
    assert import_cycles(tmp_path) == [["kkt_adapter.components", "kkt_adapter.health", "kkt_adapter.components"]]
