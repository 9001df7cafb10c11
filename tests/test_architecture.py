"""The package's layering, read from the source with ``ast``: every import at any depth
(module level, inside functions, under ``TYPE_CHECKING``, ``importlib.import_module`` with
a literal name) is an edge from one module of ``sim`` to another.

The layers, lowest first; a module may import its own layer and those below it, never one
above. Beside the eight layers of the package's design:

- ``sim.data`` holds packaged files only, ``sim._version`` the version string and
  ``sim.defaults`` the default settings the CLI and the API share (it imports nothing):
  below everything, for every layer reads them. So is ``sim.interrupts`` (the process's
  Ctrl-C handling, which io's folder commit and the CLI consult; it imports nothing).
- ``sim.reference`` is the independent second implementation of the model that the tests
  check the engine against: it reads the model's types and sits beside ``engine``, and the
  two never import each other (a shared bug would hide from the comparison).
- ``sim.parallel`` runs the runs layer's chunks on Dask workers: it sits with ``runs`` and
  knows nothing of the CLI that offers it (``--workers``, ``--scheduler``).
- ``sim.figures`` draws plain data on matplotlib figures: it sits beside ``analysis`` and
  the two never import each other (a figure computes nothing; a statistic draws nothing);
  present, io and api hand the one's results to the other, and io saves the figures.
- ``sim`` (the package) and ``sim.__main__`` are the entry points, above everything.

No cycle, counting every import: those that run (module level and lazy ones inside
functions) and those under ``if TYPE_CHECKING:``, which never run but still tie two modules
together (a module annotating with a type of one that imports it names a Protocol of its
own instead: :class:`sim.model.rules.ScenarioFields`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Layer of each top-level part of ``sim``, lowest first (equal numbers: one layer).
LAYERS = {
    "data": 0, "_version": 0, "defaults": 0, "interrupts": 0, "model": 1, "engine": 2,
    "reference": 2, "runs": 3, "parallel": 3, "analysis": 4, "figures": 4, "present": 5,
    "io": 6, "api": 7, "cli": 8, "__init__": 9, "__main__": 9,
}  # fmt: skip
#: Parts of one layer that must not import each other.
APART = {("engine", "reference"), ("reference", "engine"), ("analysis", "figures"),
         ("figures", "analysis")}  # fmt: skip


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        parts = ("sim", *path.relative_to(SIM).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ``sim`` that importing ``name`` loads (a name inside it: its module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.AST, module: str, package: str) -> list[str]:
    """The modules of ``sim`` one import statement (or import_module call) names."""
    names = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            up = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(up + ([node.module] if node.module else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                 for a in node.names]  # fmt: skip
    elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
          == "import_module" and node.args and isinstance(node.args[0], ast.Constant)):  # fmt: skip
        names = [str(node.args[0].value)]
    found = {_resolve(n) for n in names if n == "sim" or n.startswith("sim.")}
    return sorted(m for m in found if m and m != module)


def module_imports(module: str, path: Path) -> tuple[set[str], set[str]]:
    """(every module of ``sim`` that ``module`` imports, those whose import runs)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    every: set[str] = set()
    running: set[str] = set()

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_one(sub, True)
                for sub in child.orelse:
                    visit_one(sub, typing_only)
            else:
                visit_one(child, typing_only)

    def visit_one(node: ast.AST, typing_only: bool) -> None:
        for name in _imported(node, module, package):
            every.add(name)
            if not typing_only:
                running.add(name)
        visit(node, typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return every, running


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import, the imports that run): module -> the modules of ``sim`` it imports."""
    both = {module: module_imports(module, path) for module, path in MODULES.items()}
    return {m: e for m, (e, _) in both.items()}, {m: r for m, (_, r) in both.items()}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where the imported module's layer is above the importer's,
    or the two are parts of one layer kept apart."""
    out = []
    for module, targets in graph.items():
        for target in targets:
            a, b = layer_of(module), layer_of(target)
            if LAYERS.get(b, -1) > LAYERS.get(a, -1) or (a, b) in APART:  # unplaced: below
                out.append((module, target))
    return sorted(out)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
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

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


EVERY, RUNNING = import_graph()


def test_every_part_of_the_package_has_a_layer():
    assert sorted({layer_of(m) for m in MODULES} - set(LAYERS)) == []


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(EVERY) == []


def test_the_imports_that_run_have_no_cycle():
    assert cycles(RUNNING) == []


def test_no_cycle_even_through_imports_for_type_checking_only():
    assert cycles(EVERY) == []


def test_a_cycle_through_a_type_checking_import_is_found():
    """The check can fail: a type-only import back from a module its importer imports."""
    graph = {m: set(targets) for m, targets in EVERY.items()}
    graph["sim.model.rules"].add("sim.model.params")
    assert cycles(graph) == [["sim.model.params", "sim.model.rules"]]


def test_the_graph_sees_lazy_and_type_only_imports():
    """The reader is not blind: a lazy import inside a function and one under
    TYPE_CHECKING are both edges (the folder writers annotate with the chunk executor)."""
    assert "sim.model.rules" in RUNNING["sim.model.params"]  # at module level
    assert "sim.runs.chunks" in EVERY["sim.api.calibration_folders"]  # TYPE_CHECKING only
    assert "sim.runs.chunks" not in RUNNING["sim.api.calibration_folders"]
    assert "sim.model.params" not in EVERY["sim.model.rules"]
    assert "sim.io.explore_outputs" in RUNNING["sim.api.explore"]  # inside a function


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"sim.io.a": {"sim.api.b"}, "sim.api.b": set()}, [("sim.io.a", "sim.api.b")]),
        ({"sim.engine.a": {"sim.reference.b"}, "sim.reference.b": set()},
         [("sim.engine.a", "sim.reference.b")]),
        ({"sim.api.b": {"sim.io.a"}, "sim.io.a": set()}, []),
    ],
)  # fmt: skip
def test_an_import_from_a_higher_layer_is_found(graph, expected):
    assert upward_imports(graph) == expected


def test_a_cycle_through_a_lazy_import_is_found():
    graph = {"sim.a": {"sim.b"}, "sim.b": {"sim.c"}, "sim.c": {"sim.a"}, "sim.d": {"sim.a"}}
    assert cycles(graph) == [["sim.a", "sim.b", "sim.c"]]
