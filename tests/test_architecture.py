"""The floors of the package: no import cycles, no imports against the layer rules.

The import graph is built from the source with `ast`, imports inside functions included, so
that a cycle cannot hide behind a function-local import. The floors, bottom up:

0. helpers: errors, ranges, argument checkers, paths, output, progress, threads, lazy exports
1. value objects: geometry
2. physics (molecular data, emission, instrument, Haser kernels) and apertures
3. io (readers, header keywords, row selection)
4. model (components, the forward model)
5. results (numbers, ratios, limits, writers)
6. fit (options, problem, minimise, assemble, misfit checks)
7. pipeline, maps, synthetic, catalog, ratios
8. plotting
9. batch
10. cli

A module may import its own floor or the floors below. One stated exception: a result's
``.plot()`` method imports its figure module from ``comaspec.plotting`` (matplotlib, lazily).
"""

import ast
from pathlib import Path

import pytest

from comaspec._moved import MOVED

PACKAGE = Path(__file__).resolve().parents[1] / "comaspec"

FLOORS = [
    {"errors", "_ranges", "_validate", "_paths", "_output", "_version", "_progress", "_threads", "_capture",
     "_lazy", "_moved", "_ecsv", "_collector", "_choices"},
    {"geometry"},
    {"physics", "apertures"},
    {"io"},
    {"model"},
    {"results"},
    {"fit"},
    {"pipeline", "maps", "synthetic", "catalog", "ratios"},
    {"plotting"},
    {"batch"},
    {"cli", "__main__"},
]
# (importer, imported): allowed against the floors, with the reason
EXCEPTIONS = {
    ("comaspec.results.core", "comaspec.plotting.fit"): "ComaFit.plot() draws its figure",
    ("comaspec.maps.result", "comaspec.plotting.maps"): "ComaMaps.plot() draws its figures",
}


def _modules():
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def _targets(name, is_package, node, modules=None):
    """Absolute names a statement imports (``from X import y``: X.y when that is a module, else X)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "comaspec"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != "comaspec":
        return []
    if modules is None:  # every name as spelled
        return [module] + [f"{module}.{a.name}" for a in node.names]
    return [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]


@pytest.fixture(scope="module")
def graph():
    """(edges: module -> set of comaspec modules it imports, raw: every name an import spells)."""
    modules = _modules()
    edges, raw = {}, {}
    for name, (path, is_package) in modules.items():
        targets, spelled = set(), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            spelled.update(_targets(name, is_package, node))
            for target in _targets(name, is_package, node, modules):
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != name and target != "comaspec":
                    targets.add(target)
        edges[name] = targets
        raw[name] = spelled
    return edges, raw


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _floor(module):
    parts = module.split(".")
    if len(parts) == 1:
        return len(FLOORS)  # the package itself: the public re-exports, above everything
    for i, names in enumerate(FLOORS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is on no floor: add it to FLOORS in {__file__}")


def test_graph_sees_function_local_imports(graph):
    edges, _ = graph
    # comaspec.fit.core imports the argument checks inside fit_coma
    assert "comaspec.fit.arguments" in edges["comaspec.fit.core"]


def test_no_import_cycles(graph):
    edges, _ = graph
    assert _cycles(edges) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_is_on_a_floor(graph):
    edges, _ = graph
    for module in edges:
        _floor(module)


def test_no_upward_imports(graph):
    edges, _ = graph
    upward = [(m, t) for m, targets in edges.items() for t in targets
              if _floor(t) > _floor(m) and (m, t) not in EXCEPTIONS]
    assert upward == []


def test_only_cli_imports_cli_and_nothing_imports_synthetic(graph):
    edges, _ = graph
    for module, targets in edges.items():
        for target in targets:
            if target.startswith("comaspec.cli"):
                assert module.startswith("comaspec.cli") or module == "comaspec.__main__", (module, target)
            if target.startswith("comaspec.synthetic") and not module.startswith("comaspec.synthetic"):
                pytest.fail(f"{module} imports {target}: nothing but tests, examples and docs may")


def test_nothing_inside_uses_the_old_module_paths(graph):
    _, raw = graph
    old = set(MOVED)
    used = sorted((m, t) for m, spelled in raw.items() for t in spelled if t in old)
    assert used == []


def test_old_paths_give_the_moved_modules():
    import importlib

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new)
