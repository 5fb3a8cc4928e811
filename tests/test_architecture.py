"""The package's layers (ARCHITECTURE.md): who may import what, one door to moto's internals, no cycles.

Every ``import`` / ``from ... import`` statement of every module of ``course_utils`` is read with
``ast``, including those inside functions (the package imports lazily on purpose).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"

#: The one module allowed to import moto's or botocore's internals.
ADAPTER = "course_utils.runtime.moto_adapter"

#: Modules allowed to import moto/botocore internals besides the adapter, with the reason. Empty:
#: a test below fails when an entry is no longer needed, so the list can only shrink.
KNOWN_EXCEPTIONS: frozenset[str] = frozenset()

#: Public entry points of moto and botocore (not internals).
PUBLIC = ("moto.mock_aws", "botocore.exceptions", "botocore.config", "botocore.session")

#: Layer of a module -> the course_utils layers it may import (ARCHITECTURE.md's table).
MAY_IMPORT = {
    "rules": {"rules"},
    "runtime": {"rules", "runtime"},
    "sim": {"rules", "runtime", "sim"},
}
#: Third-party packages a pure rule engine never imports (widgets are presentation: sim/).
NOT_IN_RULES = ("boto3", "botocore", "moto", "requests", "responses", "ipywidgets")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` refers to."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str) -> list[tuple[str, int]]:
    """(imported absolute name, line) for every import statement of the module, nested ones too."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, path.name == "__init__.py", node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
    return out


IMPORTS = {name: _imports(name) for name in MODULES}


def _is_internal(imported: str) -> bool:
    if imported in ("moto", "botocore") or any(imported == p or imported.startswith(p + ".") for p in PUBLIC):
        return False
    return imported.startswith(("moto.", "botocore."))


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_IMPORT else None


def test_the_module_table_covers_the_package():
    assert ADAPTER in MODULES
    assert {"course_utils.rules", "course_utils.runtime", "course_utils.sim"} <= set(MODULES)
    assert len(MODULES) > 60


def test_only_the_adapter_imports_moto_or_botocore_internals():
    offenders = [
        f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported}"
        for name, imports in IMPORTS.items()
        if name != ADAPTER and name not in KNOWN_EXCEPTIONS
        for imported, line in imports
        if _is_internal(imported)
    ]
    assert not offenders, "go through course_utils/runtime/moto_adapter.py instead:\n" + "\n".join(offenders)


def test_known_exceptions_are_still_needed():
    for name in KNOWN_EXCEPTIONS:
        assert any(_is_internal(i) for i, _ in IMPORTS.get(name, [])), f"{name} no longer needs its exception: remove it"


def test_the_adapter_really_reaches_moto():
    assert any(_is_internal(i) for i, _ in IMPORTS[ADAPTER])


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_what_it_may(layer):
    allowed = MAY_IMPORT[layer]
    bad = []
    for name, imports in IMPORTS.items():
        if _layer(name) != layer:
            continue
        for imported, line in imports:
            other = _layer(imported) if imported.startswith("course_utils.") else None
            if imported.startswith("course_utils.") and other not in allowed:
                bad.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported}")
            if layer == "rules" and imported.split(".")[0] in NOT_IN_RULES:
                bad.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported} (rules are pure)")
    assert not bad, f"course_utils/{layer}/ may import only {sorted(allowed)}:\n" + "\n".join(bad)


def _cycle() -> list[str] | None:
    graph = {name: sorted({i for i, _ in imports if i in MODULES and i != name}) for name, imports in IMPORTS.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycles():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    """Control: the finder reports a cycle when one exists (the test above can fail)."""
    saved = dict(IMPORTS)
    try:
        IMPORTS["course_utils.rules"] = saved["course_utils.rules"] + [("course_utils.sandbox", 1)]
        IMPORTS["course_utils.sandbox"] = saved["course_utils.sandbox"] + [("course_utils.rules", 1)]
        assert _cycle() is not None
    finally:
        IMPORTS.clear()
        IMPORTS.update(saved)


# --- sim/ holds drivers and re-exports; the engines are in rules/ ---------------------------

#: Imports that make a simulator a driver (it reads or writes the sandbox, or runs the runtime) or
#: a presentation of an engine (an ipywidgets widget).
# course_utils.sim.clients hands out boto3 clients: a module that uses it drives the sandbox
DRIVER_IMPORTS = ("boto3", "botocore", "moto", "requests", "course_utils.runtime", "ipywidgets", "course_utils.sim.clients")

#: Simulators that drive the sandbox only through the boto3 objects they are given, so they import
#: none of DRIVER_IMPORTS, with the reason. A test below fails when an entry is no longer needed.
INJECTED_DRIVERS = {
    "course_utils.sim.cache": "reads and writes the DynamoDB table (a boto3 Table) it is given",
}

SIM_MODULES = sorted(n for n in MODULES if n.startswith("course_utils.sim.") and not n.endswith("__init__"))


def _is_driver(name: str) -> bool:
    return any(i == p or i.startswith(p + ".") for i, _ in IMPORTS[name] for p in DRIVER_IMPORTS)


def _own_code(module: str, source: str) -> list[str]:
    """What a module does besides re-exporting ``course_utils.rules``: its other statements."""
    tree = ast.parse(source)
    out = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom) and _resolve(module, False, node).startswith("course_utils.rules"):
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        out.append(f"line {node.lineno}: {type(node).__name__}")
    return out


def test_the_simulators_are_known():
    assert len(SIM_MODULES) > 25 and "course_utils.sim.ttl" in SIM_MODULES


@pytest.mark.parametrize("name", SIM_MODULES)
def test_a_simulator_is_a_driver_or_a_re_export_of_rules(name):
    """No pure engine code left in sim/: it belongs in rules/ (ARCHITECTURE.md)."""
    if _is_driver(name) or name in INJECTED_DRIVERS:
        return
    own = _own_code(name, MODULES[name].read_text())
    assert not own, (f"{MODULES[name].relative_to(ROOT)} imports no boto3/requests/runtime, so it must only "
                     f"re-export course_utils.rules (move its engine there): " + ", ".join(own))


@pytest.mark.parametrize("name", SIM_MODULES)
def test_a_re_export_exports_what_rules_exports(name):
    """A thin sim module names the same things as its engine, and every one of them resolves."""
    import importlib

    sim = importlib.import_module(name)
    missing = [n for n in sim.__all__ if not hasattr(sim, n)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"
    if _is_driver(name) or name in INJECTED_DRIVERS:
        return
    engine = importlib.import_module(name.replace(".sim.", ".rules."))
    assert list(sim.__all__) == list(engine.__all__)
    assert all(getattr(sim, n) is getattr(engine, n) for n in engine.__all__)


def test_injected_drivers_are_still_needed():
    for name, reason in INJECTED_DRIVERS.items():
        assert name in MODULES, f"{name} is gone: remove it from INJECTED_DRIVERS"
        assert not _is_driver(name), f"{name} imports a driver package now: remove it from INJECTED_DRIVERS"
        assert _own_code(name, MODULES[name].read_text()), f"{name} is a re-export now ({reason}): remove it"


def test_the_re_export_check_finds_engine_code():
    """Control: a sim module defining a function of its own is reported, a pure re-export is not."""
    reexport = '"""Doc."""\nfrom __future__ import annotations\n\nfrom ..rules.ttl import *\n\n__all__ = ["sweep"]\n'
    assert _own_code("course_utils.sim.example", reexport) == []
    engine = reexport + "\n\ndef expiry(item):\n    return item['ttl']\n"
    assert _own_code("course_utils.sim.example", engine) == ["line 9: FunctionDef"]
    assert _own_code("course_utils.sim.example", "from ..grade import x\n") == ["line 1: ImportFrom"]
