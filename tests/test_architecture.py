"""Imports run one way: orgs <- assessments <- reports, config on top, with no cycle; modules
and functions stay small enough to read; test modules share helpers through helper modules.

Read from the source with `ast` (nothing is imported), over module-level imports, including
those under `if TYPE_CHECKING:`. Function-level imports of project modules are refused by
ruff's PLC0415 (pyproject.toml), so module level is all there is to check.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"orgs": 0, "assessments": 1, "reports": 2, "config": 3}
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
# Modules allowed over the limits: none (issue 18, item 3). Nothing may join it.
STILL_BEING_SPLIT: set[str] = set()


def _app_sources() -> list[Path]:
    return sorted(
        path
        for app in LAYERS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


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
    sources = {_module_name(path): path for path in _app_sources()}
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


def _too_long(path: Path) -> list[str]:
    """What in one file is over the limits: the module's lines, each function's (its `def`
    line to its last, nested functions included)."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: {lines} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_app_module_or_function_is_too_long():
    found = [
        problem
        for path in _app_sources()
        if path.relative_to(ROOT).as_posix() not in STILL_BEING_SPLIT
        for problem in _too_long(path)
    ]
    assert found == []


def test_the_checker_sees_a_long_module_and_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    short = "def fits():\n" + "\n".join(f"    y{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    module = tmp_path / "long.py"
    module.write_text(f"def long():\n{body}\n\n\n{short}\n" + "\n" * MAX_MODULE_LINES)
    found = _too_long(module)
    assert len(found) == 2
    assert found[0].startswith("long.py: ")
    assert found[1] == f"long.py:1 long: {MAX_FUNCTION_LINES + 1} lines"


def _test_module_imports(path: Path) -> list[str]:
    """Test modules (tests/**/test_*.py) that `path` imports, at any level."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [
            n for n in names if n.startswith("tests.") and n.split(".")[-1].startswith("test_")
        ]
    return found


def test_no_test_module_imports_another_test_module():
    # Shared helpers live in tests/builders.py or a helper module of their area, so running
    # one test module never collects another one's tests into it.
    found = [
        f"{path.relative_to(ROOT)} -> {name}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for name in _test_module_imports(path)
    ]
    assert found == []


def test_the_checker_sees_a_test_module_import(tmp_path):
    module = tmp_path / "test_probe.py"
    module.write_text(
        "from tests.reports.test_attacks import audit\n"
        "from tests.builders import submit\n"
        "def f():\n    import tests.orgs.test_auth\n"
    )
    assert _test_module_imports(module) == [
        "tests.reports.test_attacks",
        "tests.orgs.test_auth",
    ]
