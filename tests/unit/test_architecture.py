"""The house rules of DESIGN.md that code review alone would let slip.

- The import graph of ``app`` has no cycle.
- Only the action boundary commits: no domain module calls ``commit()``, and no module but
  the action boundary writes audit entries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

pytestmark = pytest.mark.one_pass("sqlite")

APP = Path(__file__).resolve().parents[2] / "app"

# Where a commit is legitimate, and why; everything else must go through app.actions.
COMMIT_SITES = {
    "actions.py": "the outermost action's one commit",
    "accounts/identity.py": "records a token's last use after the request, outside authentication",
    "realtime/rooms.py": "ends read snapshots so a socket sees what committed since",
    "postgres_plans.py": "ends a request that only read with COMMIT, keeping prepared statements",
}
AUDIT_WRITERS = {"actions.py", "audit/service.py"}


def _calls(path: Path, attribute: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
    ]


def _modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "static" not in p.parts)


def test_only_the_action_boundary_commits():
    committing = {
        str(path.relative_to(APP)): _calls(path, "commit")
        for path in _modules()
        if _calls(path, "commit")
    }
    unexpected = {name: lines for name, lines in committing.items() if name not in COMMIT_SITES}
    assert unexpected == {}, "change state inside app.actions.action(...) instead of committing"


def test_only_the_action_boundary_writes_audit_entries():
    writers = set()
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                writers.add(str(path.relative_to(APP)))
    assert writers <= AUDIT_WRITERS


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_import_graph_has_no_cycle():
    graph = grimp.build_graph("app", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
