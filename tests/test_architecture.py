"""The shape of the house (docs/architecture.md), enforced on the source tree.

* Layers import only downward: every ``import`` statement in ``lucid/`` (inside functions
  too; ``if TYPE_CHECKING:`` blocks excepted, they never run) goes to a module of the same
  or a lower layer.
* No import cycle, except the documented one between ``lucid.Tensor`` and its op table.
* Plugins (``backends/`` and ``plugins/``) import only public lucid API and never another
  plugin.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: lucid's layers, lowest first; a module belongs to the layer of its longest listed prefix.
LAYERS: list[tuple[str, ...]] = [
    ("lucid._dtype", "lucid._plugins"),
    ("lucid.backends",),
    ("lucid.autograd",),
    ("lucid._tensor", "lucid.ops", "lucid._creation"),
    ("lucid.nn", "lucid.optim", "lucid.distributed"),
    ("lucid.io", "lucid.profiling", "lucid.visual"),
    ("lucid.data", "lucid.models"),
    ("lucid.convert", "lucid.train", "lucid.cli", "lucid.__main__", "lucid.testing", "lucid"),
]
#: The one allowed cycle: the tensor's methods are the op table, whose results are tensors.
ALLOWED_CYCLE = {"lucid._tensor", "lucid.ops"}
#: First-party and example plugin packages, and where their sources live.
PLUGIN_SOURCES = {
    "lucid_numpy": ROOT / "backends" / "lucid_numpy",
    "lucid_cupy": ROOT / "backends" / "lucid_cupy",
    "lucid_array_api": ROOT / "plugins" / "lucid-array-api" / "src" / "lucid_array_api",
    "lucid_sk_extras": ROOT / "plugins" / "lucid-sk-extras" / "src" / "lucid_sk_extras",
    "lucid_broken_example": ROOT / "plugins" / "lucid-broken-example" / "src"
    / "lucid_broken_example",
}


def _module_name(path: Path, package_root: Path, package: str) -> str:
    parts = list(path.relative_to(package_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (anywhere but under ``if TYPE_CHECKING:``)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imported_modules(path: Path, module: str, known: set[str]) -> set[str]:
    """The modules ``path`` imports (``from pkg import sub`` counts as importing ``pkg.sub``).

    Importing ``pkg.sub`` also runs ``pkg/__init__.py``; like most cycle checkers this one
    leaves that implicit edge out, or every module would depend on the package it lives in.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = module.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            found.add(sub if sub in known else target)  # a submodule, or a name of the package
    return found


def _graph() -> dict[str, set[str]]:
    """lucid's modules and the lucid modules each one imports."""
    package_root = ROOT / "lucid"
    paths = {_module_name(p, package_root, "lucid"): p for p in package_root.rglob("*.py")}
    known = set(paths)
    return {name: {m for m in _imported_modules(path, name, known) if m in known}
            for name, path in paths.items()}


def _layer(module: str) -> int:
    best, layer = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), i
    assert layer >= 0, f"{module} is in no layer of tests/test_architecture.py: add it"
    return layer


def test_layers_import_only_downward() -> None:
    """No module imports a module of a higher layer, not even inside a function."""
    upward = [f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})"
              for m, targets in _graph().items() for t in targets if _layer(t) > _layer(m)]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def _collapse(module: str) -> str:
    """The op table is one unit: ``lucid.ops.*`` counts as ``lucid.ops``."""
    return "lucid.ops" if module.startswith("lucid.ops.") else module


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_only_import_cycle_is_tensor_and_its_op_table() -> None:
    """Apart from Tensor <-> lucid.ops, the import graph of lucid/ is acyclic."""
    collapsed: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        collapsed.setdefault(_collapse(module), set()).update(
            _collapse(t) for t in targets if _collapse(t) != _collapse(module))
    cycles = [c for c in _cycles(collapsed) if c != ALLOWED_CYCLE]
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_the_cycle_checker_finds_cycles() -> None:
    """The checker itself sees a planted cycle (a test that cannot fail proves nothing)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("plugin", sorted(PLUGIN_SOURCES))
def test_plugins_import_only_public_lucid_api_and_no_other_plugin(plugin: str) -> None:
    """A plugin is built like a third-party one: public lucid API only, no sibling plugins."""
    source = PLUGIN_SOURCES[plugin]
    assert source.is_dir(), f"{source} is missing"
    bad = []
    for path in sorted(source.rglob("*.py")):
        module = _module_name(path, source, plugin)
        for target in _imported_modules(path, module, set()):
            top = target.split(".")[0]
            if top in PLUGIN_SOURCES and top != plugin:
                bad.append(f"{module} imports another plugin: {target}")
            if top == "lucid" and any(part.startswith("_") for part in target.split(".")):
                bad.append(f"{module} imports private lucid API: {target}")
    assert not bad, "\n".join(bad)


def test_no_lucid_module_names_a_plugin_module() -> None:
    """The core finds plugins by entry point only: no plugin package is named in lucid/."""
    hits = []
    for path in sorted((ROOT / "lucid").rglob("*.py")):
        text = path.read_text()
        hits += [f"{path.relative_to(ROOT)} names {p}" for p in PLUGIN_SOURCES if p in text]
    assert not hits, "\n".join(hits)


#: The core: NumPy is a backend plugin and the host format, never a dependency of these.
NUMPY_FREE = ("lucid._dtype", "lucid._plugins", "lucid.backends", "lucid.autograd",
              "lucid._tensor", "lucid.ops", "lucid._creation", "lucid.nn", "lucid.optim",
              "lucid.models", "lucid.profiling", "lucid.visual")


def test_the_core_never_imports_numpy() -> None:
    """Backends' contract, autograd, tensor, ops, nn, optim and models name no NumPy import."""
    package_root = ROOT / "lucid"
    bad = []
    for path in sorted(package_root.rglob("*.py")):
        module = _module_name(path, package_root, "lucid")
        if not any(module == p or module.startswith(p + ".") for p in NUMPY_FREE):
            continue
        for target in _imported_modules(path, module, set()):
            if target.split(".")[0] == "numpy":
                bad.append(f"{module} imports {target}")
    assert not bad, "\n".join(bad)


def test_importing_the_core_loads_no_array_library() -> None:
    """``import lucid`` and its core packages load neither NumPy nor any backend plugin."""
    import subprocess
    import sys

    code = ("import sys, lucid, lucid.nn, lucid.optim, lucid.models, lucid.autograd, lucid.ops\n"
            "print(sorted(m for m in ('numpy', 'cupy', 'lucid_numpy', 'lucid_cupy', "
            "'importlib.metadata') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", f"importing lucid's core loaded {out}"
