"""The folders show the architecture: dependencies point one way, and the core is pure.

Walks the real import graph of `bot/` (every `import` statement, also inside functions),
not a grep: a circle or an import against the direction fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
# Which subpackages each one may import (besides itself). cli is the top: nothing imports it.
ALLOWED = {
    "settings": set(),
    "core": set(),
    "testing": set(),
    "store": {"core"},
    "staff": {"core", "store"},
    "tg": {"core", "store", "staff", "settings"},
    "console": {"core", "store", "staff", "settings"},
    "bench": {"core", "store", "staff", "tg", "console", "testing", "settings"},
    "cli": {"core", "store", "staff", "tg", "console", "bench", "settings"},
    "__main__": {"cli"},
    "bot": set(),  # bot/__init__.py
}
ADAPTER_LIBRARIES = {"telegram", "aiosqlite", "aiohttp"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module name an import statement in `path` names (relative ones resolved)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in BOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != "bot":
                targets.add(imported)
        graph[name] = targets
    return graph


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_dependencies_point_one_way() -> None:
    wrong = []
    for module, targets in _graph().items():
        layer = _layer(module)
        assert layer in ALLOWED, f"{module}: a new subpackage needs a row in ALLOWED"
        for target in targets:
            if _layer(target) != layer and _layer(target) not in ALLOWED[layer]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_core_imports_no_adapter_library() -> None:
    impure = []
    for path in (BOT / "core").rglob("*.py"):
        for imported in _imports(path):
            if imported.split(".")[0] in ADAPTER_LIBRARIES:
                impure.append(f"{_module(path)} imports {imported}")
    assert not impure, "\n".join(sorted(impure))


def test_the_graph_is_read() -> None:
    # Guards the walk itself: known edges must be found.
    graph = _graph()
    assert "bot.core.kb" in graph["bot.core.engine"]
    assert "bot.tg.context" in graph["bot.tg.handlers"]
