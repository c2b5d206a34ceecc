"""Imports run one way: orgs <- assessments <- reports, config on top, with no cycle.

Read from the source with `ast` (nothing is imported), over module-level imports, including
those under `if TYPE_CHECKING:`. Function-level imports of project modules are refused by
ruff's PLC0415 (pyproject.toml), so module level is all there is to check.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"orgs": 0, "assessments": 1, "reports": 2, "config": 3}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    statements = []
    for node in tree.body:
        statements.extend(node.body if isinstance(node, ast.If) else [node])
    for node in statements:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] in LAYERS}


def _graph() -> dict[str, set[str]]:
    sources = {
        _module_name(path): path
        for app in LAYERS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    return {
        module: {name for name in _imported(path, module) if name in sources and name != module}
        for module, path in sources.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_project_import_graph_has_no_cycle():
    assert _cycles(_graph()) == []


def test_no_app_imports_an_app_above_it():
    upward = [
        f"{module} -> {name}"
        for module, names in sorted(_graph().items())
        for name in sorted(names)
        if LAYERS[name.split(".")[0]] > LAYERS[module.split(".")[0]]
    ]
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path):
    # The graph above is read from files; a module importing reports from orgs must show.
    module = tmp_path / "orgs" / "probe.py"
    module.parent.mkdir()
    module.write_text("from reports.models import Report\nfrom . import models\n")
    found = _imported(module, "orgs.probe")
    assert {"reports.models", "reports.models.Report", "orgs", "orgs.models"} == found


def test_the_checker_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
