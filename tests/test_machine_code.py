"""recipec's machine-code cache (compiler/lower/cpu/machine_code.py): entry points load from it
without Numba's dispatcher, and a damaged file is never handed to the JIT."""
from __future__ import annotations

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


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic"])
def test_a_damaged_file_is_ignored(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    module = _module()
    module.scale.resolve()
    file = machine_code.path(module.__file__, "scale")
    data = bytearray(file.read_bytes())
    if damage == "truncate":
        data = data[:-100]
    elif damage == "flip":
        data[-50] ^= 0xFF
    else:
        data[:4] = b"nope"
    file.write_bytes(bytes(data))
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
