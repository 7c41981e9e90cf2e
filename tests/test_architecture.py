"""The package's shape: no import cycles, and the layers depend one way.

Read from the source with ``ast`` (every import, at module level or inside a function, counts), so a new
cycle or an import from a higher layer fails here before it confuses a reader or an import order.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "zuofeng"

#: lowest first; a module may import its own layer's modules and any lower layer's, never a higher one's
LAYERS = (
    ("axes", "errors", "config", "private", "faults", "textfmt", "instrument", "sheet", "roster", "messages",
     "helptext", "rater_groups"),
    ("store",),
    ("collect", "rounds", "coverage", "frames", "simulate"),
    ("score",),
    ("io",),
    ("ledger",),
    ("report",),
    ("demo",),
    ("api",),
    ("cli", "cli_options", "clihelp", "cli_ledger", "console", "console_serve", "__main__", "zuofeng"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                up = here[: len(here) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            # a module importing its own package (or a package its own modules) is not an edge
            if t and t != name and not name.startswith(t + ".") and not t.startswith(name + "."):
                found.add(t)
    return found


@cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> str:
    rest = module.split(".")[1:]
    if not rest:
        return "zuofeng"
    if ".".join(rest[:2]) in RANK:
        return ".".join(rest[:2])
    return rest[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_scanner_sees_a_cycle_and_a_layer_breach():
    # the checks below could fail: a made-up graph with a cycle, and a store importing the reports
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert RANK[_layer("zuofeng.store")] < RANK[_layer("zuofeng.report.batch")]
    graph = _graph()
    assert "zuofeng.store" in graph["zuofeng.rounds"]           # relative imports are resolved
    assert "zuofeng.score" in graph["zuofeng.ledger.entries"]   # imports inside functions count


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_every_module_has_a_layer():
    assert sorted({_layer(m) for m in _graph()} - set(RANK)) == []


@pytest.mark.parametrize("module", sorted(_graph()))
def test_layers_depend_one_way(module):
    graph = _graph()
    upward = sorted(d for d in graph[module] if RANK[_layer(d)] > RANK[_layer(module)])
    assert upward == [], f"{module} imports from a higher layer"


def _same_basenames(paths) -> dict[str, list[str]]:
    """Module file names (``__init__.py`` aside) that more than one folder uses, with the paths using each."""
    seen: dict[str, list[str]] = {}
    for p in paths:
        if p.name != "__init__.py":
            seen.setdefault(p.name, []).append(p.relative_to(PACKAGE.parent).as_posix())
    return {name: sorted(where) for name, where in sorted(seen.items()) if len(where) > 1}


def test_the_name_check_sees_a_repeated_module_name():
    made_up = [PACKAGE / "io" / "export.py", PACKAGE / "score" / "export.py", PACKAGE / "io" / "__init__.py",
               PACKAGE / "score" / "__init__.py", PACKAGE / "api.py"]
    assert _same_basenames(made_up) == {"export.py": ["zuofeng/io/export.py", "zuofeng/score/export.py"]}


def test_every_module_name_is_used_once():
    # a name says the module's job: two ``export.py`` files make a reader (and a traceback) say which one
    assert _same_basenames(PACKAGE.rglob("*.py")) == {}
