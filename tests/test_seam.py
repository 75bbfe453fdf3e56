"""The seam between the math and the targets holds (compiler/lower/__init__.py):

- compiler/ops/ (the math) imports nothing from compiler/lower/;
- runtime/ imports no target package (compiler/lower/cpu/ ...), only the public API;
- every registered target has an emitter for every op its pass pipeline can leave;
- the kernel ABI's argument names are spelled in lower/abi.py only.
Read from the source files (their import statements), so nothing is compiled.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from recipec.compiler.lower import TARGETS, abi, get_target
from recipec.compiler.ops import OPS
from recipec.compiler.passes import NEUTRAL

pytestmark = pytest.mark.frontend

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path, package: str) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    parts = package.split(".")
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:      # `from .. import x` inside package a.b: a
                base = parts[:len(parts) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def _package_of(path: Path, top: str, alias: str) -> str:
    rel = path.relative_to(ROOT / top).with_suffix("")
    return ".".join([alias] + list(rel.parts)[:-1])     # the package the file belongs to


def _files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("compiler/ops"), ids=lambda p: p.name)
def test_ops_import_nothing_from_lower(path):
    package = _package_of(path, "compiler", "recipec.compiler")
    bad = sorted(m for m in _imports(path, package) if m.startswith("recipec.compiler.lower"))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: ops hold the math only"


@pytest.mark.parametrize("path", _files("runtime"), ids=lambda p: p.name)
def test_runtime_imports_no_target_package(path):
    package = _package_of(path, "runtime", "recipec.runtime")
    targets = tuple(f"recipec.compiler.lower.{t}" for t in TARGETS)
    bad = sorted(m for m in _imports(path, package) if m.startswith(targets))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: use the Executable"


def test_import_resolution_sees_relative_imports():
    """The check above must be able to fail: a file of the CPU target does import lower."""
    path = ROOT / "compiler/lower/cpu/executable.py"
    names = _imports(path, "recipec.compiler.lower.cpu")
    assert "recipec.compiler.lower.executable" in names
    assert "recipec.compiler.lower.cpu.threads" in names


def _pass_introduced() -> set[str]:
    made = set()
    for name in TARGETS:
        for p in get_target(name).passes:
            made.update(p.introduces)
    for p in NEUTRAL:
        made.update(p.introduces)
    return made


@pytest.mark.parametrize("target", TARGETS)
def test_every_op_the_pipeline_can_leave_has_an_emitter(target):
    t = get_target(target)
    built = set(OPS) - _pass_introduced()       # what building, autodiff and optimizers make
    can_leave = built | {op for p in t.passes for op in p.introduces}
    missing = sorted(can_leave - t.emitted_ops())
    pending = sorted(t.pending)                 # written down in the target's package
    assert missing == pending, f"target {target} has no emitter for {missing}; " \
        f"it says {pending} are pending"


def test_pass_introductions_are_registered_ops():
    unknown = sorted(_pass_introduced() - set(OPS))
    assert not unknown, f"passes claim to introduce unknown ops {unknown}"


def test_abi_names_are_written_once():
    """Positional lists of the kernels' arguments exist only in lower/abi.py."""
    needle = '"first", "nsteps", "batch"'
    offenders = [str(p.relative_to(ROOT)) for folder in ("compiler", "runtime", "bench", "tests")
                 for p in _files(folder) if p.name != "abi.py" and needle in p.read_text()
                 and p.name != "test_seam.py"]
    assert not offenders, f"the kernel ABI is spelled out in {offenders}"
    assert abi.names("train_chunk")[:3] == ("X", "Y", "order")
