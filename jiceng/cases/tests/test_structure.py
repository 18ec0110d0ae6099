"""The shape of the app a newcomer learns from: no import cycle between its modules (at
module level), services.py only re-exports, and every name the README promises works."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

APP = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    rel = path.relative_to(APP.parents[1]).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    mods = {
        _module(p): p
        for p in APP.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t in mods and t != name}
        graph[name] = deps
    return graph


def test_no_module_of_the_app_imports_itself_back():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            # a package's __init__ importing its own submodules is not a cycle
            if node.startswith(dep + ".") or dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep] if dep in stack else [node, dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert cycles == []


def test_workflow_imports_nothing_from_the_app():
    assert _graph()["jiceng.cases.workflow"] == set()


def test_services_defines_nothing_of_its_own():
    tree = ast.parse((APP / "services.py").read_text(encoding="utf-8"))
    defined = [
        n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
    ]
    assert defined == []


README_NAMES = [
    "intake",
    "validate_extra",
    "handling_unit_name",
    "public_events",
    "public_cases",
    "PUBLIC_STATUSES",
    "installation_county_code",
    "find_public",
    "summary",
    "transition",
    "MoveRefused",
    "visible_cases",
    "get_visible",
    "case_changed",
    "unit_at",
]


def test_every_name_the_readme_promises_is_on_the_public_face():
    services = importlib.import_module("jiceng.cases.services")
    missing = [n for n in README_NAMES if not hasattr(services, n)]
    assert missing == []
    from jiceng.cases.models import Status
    from jiceng.cases.workflow import Status as WorkflowStatus

    assert Status is WorkflowStatus
