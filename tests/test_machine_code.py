"""recipec's machine-code cache (compiler/lower/cpu/machine_code.py): entry points load from it
without Numba's dispatcher, and a damaged file is never handed to the JIT."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from recipec.compiler.lower.cpu import machine_code

SCALE = ["for i in prange(x.shape[0]):", "    x[i] = x[i] * np.float32(a) + np.float32(1.0)"]


def _module():
    """A generated module with one C entry `scale(x: f32[1], a: f32)`, imported from a file."""
    from recipec.compiler.lower import load_source
    from recipec.compiler.lower.cpu import entry, module as cpu

    library = load_source(cpu.emit_library(True), "cpu", kind="lib")
    source = (f"from {library.path.stem} import *  # noqa\nimport numpy as np\n"
              "from numba import prange\n\n"
              + entry.export_python("scale", "x: f32[1], a: f32",
                                    "True", SCALE))
    return load_source(source, "cpu", kind="test").module


def test_an_entry_point_compiles_once_then_loads_in_a_new_process(tmp_path, monkeypatch):
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    x = np.arange(4, dtype=np.float32)
    module.scale(x, np.float32(2.0))
    np.testing.assert_array_equal(x, [1, 3, 5, 7])
    assert module.scale.from_cache is False
    file = machine_code.path(module.__file__, "scale")
    assert file.exists()
    # a new process loads it: no compile, and Numba's typing registries never installed
    probe = (f"import sys, numpy as np; sys.path.insert(0, {str(file.parent.parent)!r})\n"
             f"from recipec.compiler.lower import load_path\nfrom pathlib import Path\n"
             f"m = load_path(Path({module.__file__!r}))\n"
             "x = np.ones(3, np.float32); m.scale(x, 3.0)\n"
             "assert m.scale.from_cache and list(x) == [4, 4, 4], (m.scale.from_cache, x)\n"
             "assert 'numba.np.arraymath' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=300,
                   env={**os.environ, "RECIPEC_CACHE_DIR": str(tmp_path)})


def _damaged(tmp_path, monkeypatch, damage: str):
    """The test module, its entry compiled and kept, then its machine-code file damaged."""
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    module.scale.resolve()
    file = machine_code.path(module.__file__, "scale")
    data = bytearray(file.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[-50] ^= 0xFF
    else:
        data[:4] = b"nope"
    file.write_bytes(bytes(data))
    return module


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic"])
def test_a_damaged_file_is_ignored(tmp_path, monkeypatch, damage):
    module = _damaged(tmp_path, monkeypatch, damage)
    assert machine_code.load(module.__file__, "scale") is None


def test_wrong_arguments_are_type_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    with pytest.raises(TypeError, match="x must be a C-contiguous float32 array of rank 1"):
        module.scale(np.zeros(3), 1.0)
    with pytest.raises(TypeError, match="x must be"):
        module.scale(np.zeros((2, 3), np.float32), 1.0)
    with pytest.raises(TypeError, match="x must be"):
        module.scale(np.zeros(6, np.float32)[::2], 1.0)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_after_a_damaged_file_the_entry_compiles_and_runs(tmp_path, monkeypatch, damage):
    """Whatever is wrong with the cache, the kernel still runs: compiled again, and kept."""
    module = _damaged(tmp_path, monkeypatch, damage)
    module.scale._function = None           # as a new process would find it
    x = np.zeros(2, np.float32)
    module.scale(x, 1.0)
    assert list(x) == [1, 1] and module.scale.from_cache is False
    assert machine_code.load(module.__file__, "scale") is not None     # written again, whole


def test_code_from_another_build_is_refused_not_run(tmp_path, monkeypatch):
    """A file whose checksum is right but whose code is not what this Numba/LLVM can load (as
    written by another version) is refused, in a process of its own so a crash would show."""
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    module.scale.resolve()
    file = machine_code.path(module.__file__, "scale")
    data = file.read_bytes()
    end = data.index(b"\n", len(machine_code.MAGIC))
    header = json.loads(data[len(machine_code.MAGIC):end])
    payload = bytes(range(256)) * 40
    header.update(object=len(payload), bitcode=0, sha256=hashlib.sha256(payload).hexdigest())
    file.write_bytes(machine_code.MAGIC + json.dumps(header).encode() + b"\n" + payload)
    probe = ("from recipec.compiler.lower.cpu import machine_code\n"
             f"assert machine_code.load({module.__file__!r}, 'scale') is None\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=300,
                         env={**os.environ, "RECIPEC_CACHE_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr.decode()[-2000:]


def test_a_damaged_generated_module_is_written_again(tmp_path):
    """The kernel cache's .py files are regenerated when their content no longer matches."""
    probe = ("from recipec.compiler.lower import load_source\n"
             "m = load_source('VALUE = 42\\n', 'cpu', kind='probe')\n"
             "assert m.module.VALUE == 42\nprint(m.path)\n")
    env = {**os.environ, "RECIPEC_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=env, timeout=120, check=True)
    path = first.stdout.strip().splitlines()[-1]
    with open(path, "w") as f:
        f.write("VALUE = (")                  # a syntax error, as a crash mid-write could leave
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=env, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]


@pytest.mark.parametrize("case", ["another_entry", "another_module", "no_identity"])
def test_code_of_another_entry_or_module_is_refused(tmp_path, monkeypatch, case):
    """An intact file in the wrong place (copied or renamed: another entry's code would be
    called with this entry's arguments) or from before the header said what it is for."""
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    module.scale._function = None       # loaded or compiled again: its own file is whole
    module.scale.resolve()
    file = machine_code.path(module.__file__, "scale")
    if case == "no_identity":
        data = file.read_bytes()
        end = data.index(b"\n", len(machine_code.MAGIC))
        header = json.loads(data[len(machine_code.MAGIC):end])
        del header["for"]
        file.write_bytes(machine_code.MAGIC + json.dumps(header).encode() + data[end:])
        assert machine_code.load(module.__file__, "scale") is None
        return
    other = (module.__file__, "shift") if case == "another_entry" else \
        (str(tmp_path / "kernels" / "recipec_cpu_other.py"), "scale")
    copy = machine_code.path(*other)
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(file.read_bytes())
    assert machine_code.load(*other) is None
    assert machine_code.load(module.__file__, "scale") is not None      # in its own place


@pytest.mark.parametrize("damage", ["flip_code", "truncate", "other_source", "other_python"])
def test_damaged_or_foreign_bytecode_is_never_run(tmp_path, damage):
    """lower/bytecode.py: a generated module's bytecode is used only when it is intact and was
    compiled from exactly this source by this Python; otherwise the source is compiled again."""
    from recipec.compiler.lower import bytecode

    module = tmp_path / "m.py"
    source = b"VALUE = 42\n"
    module.write_bytes(source)
    bytecode.code_for(module, source)
    file = bytecode.path(module)
    data = bytearray(file.read_bytes())
    assert bytecode.load(file, bytecode._head(source)) is not None
    if damage == "flip_code":          # 42 becomes 43 in the marshalled constants
        at = data.index(b"\x2a\x00\x00\x00", len(bytecode._head(source)) + 32)
        data[at] = 43
    elif damage == "truncate":
        data = data[:len(data) - 5]
    elif damage == "other_source":
        data[len(bytecode.MAGIC) + 4] ^= 1
    else:
        data[len(bytecode.MAGIC)] ^= 1
    file.write_bytes(bytes(data))
    assert bytecode.load(file, bytecode._head(source)) is None
    namespace = {}
    exec(bytecode.code_for(module, source), namespace)
    assert namespace["VALUE"] == 42
    assert bytecode.load(file, bytecode._head(source)) is not None       # rewritten whole


def test_a_cache_that_cannot_be_created_is_replaced_by_a_temporary_one(tmp_path, monkeypatch,
                                                                        capsys):
    from recipec.compiler.lower import cache

    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path / "file" / "cache"))
    monkeypatch.setattr(cache, "_STAND_IN", [])
    folder = cache.cache_dir()
    assert folder.is_dir() and not str(folder).startswith(str(tmp_path))
    assert "kernel cache" in capsys.readouterr().err
    assert cache.cache_dir() == folder                  # one folder per process, one warning
    assert capsys.readouterr().err == ""
    module = cache.load_source("VALUE = 7\n", "cpu", kind="probe")
    assert module.module.VALUE == 7 and module.path.parent == folder
