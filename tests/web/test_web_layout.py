"""The web package's import graph: one module assembles the routes; route modules are leaves."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import mailer.web

WEB = Path(mailer.web.__file__).parent
ROUTE_MODULES = ("archive", "preferences", "signup", "unsubscribe")


def web_imports() -> dict[str, set[str]]:
    """Module name → the ``mailer.web`` modules it imports anywhere (functions included)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(WEB.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found.update(
                name.removeprefix("mailer.web.").split(".")[0]
                for name in names
                if name.startswith("mailer.web.")
                and (WEB / f"{name.removeprefix('mailer.web.').split('.')[0]}.py").exists()
            )
        graph[path.stem] = found - {path.stem}
    return graph


def test_the_web_package_has_no_import_cycle() -> None:
    graph = web_imports()
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message
        raise AssertionError(f"import cycle in mailer.web: {exc.args[1]}") from None
    assert set(order) >= set(ROUTE_MODULES)


def test_route_modules_import_neither_the_assembly_nor_each_other() -> None:
    graph = web_imports()
    for name in ROUTE_MODULES:
        assert graph[name].isdisjoint({"app", "routes", *ROUTE_MODULES}), (name, graph[name])
    assert set(ROUTE_MODULES) <= graph["routes"]
