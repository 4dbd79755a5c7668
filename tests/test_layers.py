"""jaxlin's layers, checked by reading the source with `ast` (jaxlin itself is never imported).

The subpackages are layered `_util ; ops ; engine ; data ; models ; experiments ; plots ; cli`, and a
module imports only from the layers listed for it in ALLOWED (its own subpackage and `_util` always);
`jaxlin/__init__.py` and `jaxlin/train.py`, the entry point, may import everything;
`jaxlin/__main__.py` (`python -m jaxlin`) only the entry point. Lazy imports inside
functions count, and so do `importlib.import_module("jaxlin...")` and registry strings such as
`{"softmax": "jaxlin.models.softmax_regression"}` or "jaxlin.data.synthetic:linear_dataset". Keeping
to the rule means a layer can be read, tested and changed knowing only those below it, and it rules out
import cycles, which are also checked, as is every package's `__all__`.
"""

import ast
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("_util", "ops", "engine", "data", "models", "experiments", "plots", "cli")
ALLOWED = {
    "_util": (),
    "ops": (),
    "engine": ("ops",),
    "data": ("ops",),
    "models": ("ops",),
    "experiments": ("ops", "engine", "data", "models"),
    "plots": ("ops", "engine", "models", "data"),
    "cli": LAYERS,
    "": LAYERS + ("train",),  # jaxlin/__init__.py
    "train": LAYERS,
    "__main__": ("train",),  # python -m jaxlin runs the entry point
}
DEFINITION = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
REGISTRY_ENTRY = re.compile(r"jaxlin(\.[A-Za-z_]\w*){2,}(:\w+)?")  # "jaxlin.<pkg>.<mod>[:<fn>]"


class Edge(NamedTuple):
    file: str  # relative to the root, e.g. "jaxlin/ops/losses.py"
    line: int
    source: str  # the importing module, e.g. "jaxlin.ops.losses"; a package is named by its __init__
    target: str  # the imported module if it exists, else the name as written


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _strings(nodes: list[ast.expr] | list[ast.expr | None]) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value) for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _imported_names(node: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, list[str]]]:
    """(line, base, names) per import in `node`: `from base import names`, or (line, name, []) for the rest."""
    if isinstance(node, ast.Import):
        yield from ((node.lineno, alias.name, []) for alias in node.names)
    elif isinstance(node, ast.ImportFrom):  # in package p.q, `from . import x` is p.q's and `from .. import x` p's
        package = module.split(".")[: None if is_package else -1]
        up = package[: len(package) - node.level + 1] if node.level else []
        yield node.lineno, ".".join([*up, *filter(None, [node.module])]), [alias.name for alias in node.names]
    elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if function == "import_module" and isinstance(node.args[0].value, str):
            yield node.lineno, node.args[0].value, []
    elif isinstance(node, ast.Dict | ast.DictComp):  # registries: {"name": "jaxlin.pkg.module[:function]"}
        for line, text in _strings(node.values if isinstance(node, ast.Dict) else [node.value]):
            if REGISTRY_ENTRY.fullmatch(text):
                yield line, text.partition(":")[0], []


def import_edges(root: Path) -> list[Edge]:
    """Every import of jaxlin by a module under root/jaxlin; `from pkg import name` names pkg.name if
    that is a module, else pkg (its __init__)."""
    paths = sorted((root / "jaxlin").rglob("*.py"))
    modules = {module_name(path, root) for path in paths}
    edges = []
    for path in paths:
        source, file = module_name(path, root), path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for line, base, names in _imported_names(node, source, path.name == "__init__.py"):
                targets = {f"{base}.{name}" if f"{base}.{name}" in modules else base for name in names} or {base}
                edges += [Edge(file, line, source, t) for t in sorted(targets) if t.split(".")[0] == "jaxlin"]
    return edges


def imports_own_package(edge: Edge) -> bool:
    return edge.source.startswith(edge.target + ".")


def layer_violations(edges: list[Edge]) -> list[str]:
    problems = []
    for edge in edges:
        source, target = layer(edge.source), layer(edge.target)
        if target in (source, "_util", "") or target in ALLOWED.get(source, ()):
            continue  # a package's __init__ imported from inside it ("") is imports_own_package's concern
        only = ", ".join(("_util",) + ALLOWED[source]) if source in ALLOWED else f"nothing: {source} is no layer"
        problems.append(f"{edge.file}:{edge.line} imports {edge.target} (layer {source} may import only {only})")
    return problems


def _shortest_paths(graph: dict[str, set[str]], start: str) -> dict[str, list[str]]:
    paths, queue = {start: [start]}, deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node] - paths.keys()):
            paths[successor] = [*paths[node], successor]
            queue.append(successor)
    return paths


def import_cycles(edges: list[Edge]) -> list[list[str]]:
    """A shortest cycle, [a, ..., a], per strongly connected component of more than one module."""
    graph: dict[str, set[str]] = {edge.source: set() for edge in edges}
    for edge in edges:
        if edge.target in graph and edge.target != edge.source and not imports_own_package(edge):
            graph[edge.source].add(edge.target)
    paths = {module: _shortest_paths(graph, module) for module in graph}
    cycles, seen = [], set()
    for module in sorted(graph):
        back = [[*paths[module][p], module] for p in paths[module] if module in graph[p]]
        if back and module not in seen:
            seen |= {other for other in paths[module] if module in paths[other]}
            cycles.append(min(back, key=len))
    return cycles


def _lazy_names(value: ast.expr, assigned: dict[str, ast.expr]) -> set[str]:
    """The keys of a `_LAZY` mapping: a dict literal, or `{name: ... for name in NAMES}` over a literal NAMES."""
    if isinstance(value, ast.DictComp) and len(value.generators) == 1 and isinstance(value.key, ast.Name):
        names, target = value.generators[0].iter, value.generators[0].target
        names = assigned.get(names.id, names) if isinstance(names, ast.Name) else names
        if isinstance(names, ast.List | ast.Tuple) and isinstance(target, ast.Name) and target.id == value.key.id:
            return {name for _, name in _strings(names.elts)}
    return {key for _, key in _strings(value.keys)} if isinstance(value, ast.Dict) else set()


def all_problems(root: Path) -> list[str]:
    """Each subpackage needs an `__all__`, and each `__all__` only names that its __init__ defines, imports, or
    (if it has a module-level __getattr__) maps lazily in a `_LAZY...` mapping. The bodies of the module-level
    functions and classes do not count."""
    problems = []
    for init in sorted((root / "jaxlin").rglob("__init__.py")):
        file, body = init.relative_to(root).as_posix(), ast.parse(init.read_text()).body
        nodes = [n for top in body for n in ([top] if isinstance(top, DEFINITION) else ast.walk(top))]
        assigned = {t.id: n.value for n in nodes if isinstance(n, ast.Assign) for t in n.targets if hasattr(t, "id")}
        assigned |= {
            n.target.id: n.value for n in nodes if isinstance(n, ast.AnnAssign) and n.value and hasattr(n.target, "id")
        }
        defined = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        defined |= {(n.asname or n.name).split(".")[0] for n in nodes if isinstance(n, ast.alias)}
        defined |= {n.name for n in nodes if isinstance(n, DEFINITION)}
        for name, value in assigned.items():
            defined |= _lazy_names(value, assigned) if name.startswith("_LAZY") and "__getattr__" in defined else set()
        if "__all__" in assigned:
            where = f"{file}:{assigned['__all__'].lineno}"
            undefined = [name for name in ast.literal_eval(assigned["__all__"]) if name not in defined]
            problems += [f"{where} __all__ names {name!r}, which the __init__ does not define" for name in undefined]
        elif init.parent != root / "jaxlin":
            problems.append(f"{file} has no __all__")
    return problems


def test_every_import_follows_the_layers() -> None:
    problems = layer_violations(import_edges(ROOT))
    assert not problems, "Imports against the layer rule:\n" + "\n".join(problems)


def test_no_package_imports_its_own_init() -> None:
    problems = [f"{e.file}:{e.line} imports {e.target}" for e in import_edges(ROOT) if imports_own_package(e)]
    assert not problems, "Import the module, not the package's __init__, from inside it:\n" + "\n".join(problems)


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_edges(ROOT))
    assert not cycles, "Import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_every_package_declares_all() -> None:
    problems = all_problems(ROOT)
    assert not problems, "__all__ problems:\n" + "\n".join(problems)


SYNTHETIC = {  # one problem of each kind, imports written every way the checker reads, made-up module names
    "jaxlin/__init__.py": "from jaxlin.ops import leaf\n",
    "jaxlin/ops/__init__.py": '__all__ = ["gone"]\n',
    "jaxlin/ops/leaf.py": "def f():\n    from jaxlin.engine import ping\n",
    "jaxlin/engine/__init__.py": "",
    "jaxlin/engine/ping.py": "from . import pong\nfrom ..ops import leaf\n",
    "jaxlin/engine/pong.py": "import jaxlin.engine.ping\n",
    "jaxlin/data/__init__.py": 'from .part import split\n_LAZY = {"Whole": "jaxlin.data.whole"}\n'
    '__all__ = ["split", "Whole"]\ndef __getattr__(name): ...\n',
    "jaxlin/data/part.py": "from jaxlin.data import Whole\ndef split(): ...\n",
    "jaxlin/models/__init__.py": 'import importlib\n__all__ = []\nMODELS = {"m": "jaxlin.plots.canvas:draw"}\n'
    'importlib.import_module("jaxlin.cli.shell")\n',
}


def test_the_checks_report_a_synthetic_tree(tmp_path: Path) -> None:
    for name, text in SYNTHETIC.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = import_edges(tmp_path)
    assert Edge("jaxlin/engine/ping.py", 2, "jaxlin.engine.ping", "jaxlin.ops.leaf") in edges
    assert sorted(layer_violations(edges)) == [
        "jaxlin/models/__init__.py:3 imports jaxlin.plots.canvas (layer models may import only _util, ops)",
        "jaxlin/models/__init__.py:4 imports jaxlin.cli.shell (layer models may import only _util, ops)",
        "jaxlin/ops/leaf.py:2 imports jaxlin.engine.ping (layer ops may import only _util)",
    ]
    assert [e.file for e in edges if imports_own_package(e)] == ["jaxlin/data/part.py"]
    assert import_cycles(edges) == [["jaxlin.engine.ping", "jaxlin.engine.pong", "jaxlin.engine.ping"]]
    assert all_problems(tmp_path) == [
        "jaxlin/engine/__init__.py has no __all__",
        "jaxlin/ops/__init__.py:1 __all__ names 'gone', which the __init__ does not define",
    ]
