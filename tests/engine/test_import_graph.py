"""No import cycle inside a package of the engine: each module can be read without the ones that
use it. Imports inside functions count (they are how a cycle hides)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _graph(package: str) -> dict[str, set[str]]:
    folder = ROOT / package.replace(".", "/")
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == package:
                    deps |= {f"{package}.{alias.name}" for alias in node.names}
                elif node.module.startswith(package + "."):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps |= {alias.name for alias in node.names if alias.name.startswith(package + ".")}
        graph[name] = deps - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return []
        for dep in sorted(graph.get(node, ())):
            found = visit(dep, path + [node])
            if found:
                return found
        done.add(node)
        return []
    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


@pytest.mark.parametrize("package", ["grader.checks"])
def test_no_import_cycle(package):
    assert _cycle(_graph(package)) == []
