"""The library's C entry points (compiler/lower/cpu/entry.py): compiled by a helper process too."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from recipec.compiler.lower.cpu import module as cpu


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs a second core")
def test_a_helper_process_compiles_half_of_the_missing_entries(monkeypatch, tmp_path):
    """require() hands every other uncached C entry to a helper process, which leaves them in
    the machine-code cache for this process to load (entry.py compile_elsewhere, helper.py)."""
    from recipec.compiler.lower import load_source
    from recipec.compiler.lower.cpu import entry, helper

    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))       # nothing cached
    library = load_source(cpu.emit_library(True), "cpu", kind="lib")
    names = ["maxpool_forward", "avgpool_forward", "avgpool_backward"]
    process, theirs = entry.compile_elsewhere(str(library.path), names)
    assert process is not None and theirs == ["avgpool_forward"]
    assert process.wait(timeout=600) == 0
    assert helper.cached(str(library.path), "avgpool_forward")
    assert not helper.cached(str(library.path), "maxpool_forward")
    # the rest, as a second helper would (this process may hold the library from another
    # cache folder under the same module name, so it does not load it here)
    subprocess.run([sys.executable, "-m", "recipec.compiler.lower.cpu.helper", str(library.path),
                    "--", "maxpool_forward", "avgpool_backward"], check=True, timeout=600)
    assert all(helper.cached(str(library.path), n) for n in names)
    assert entry.compile_elsewhere(str(library.path), names) == (None, [])   # all cached now
