"""Test tiers: `frontend` compiles no kernel (seconds), `cpu` compiles and runs Numba CPU
kernels, `cuda` is reserved for the CUDA target; `slow` marks the long trainings.

A file listed in FRONTEND is a front-end file: its tests are marked `frontend` unless one is
marked `cpu` itself, and every other test is marked `cpu`. A frontend test that tries to load
a kernel module fails (the guard below), so the tier cannot quietly start compiling.
"""
from __future__ import annotations

import os

import pytest

# The `cuda` tests run the CUDA kernels in Numba's simulator unless told otherwise (on a
# machine with a GPU: NUMBA_ENABLE_CUDASIM=0). Numba reads this when it is first imported,
# so it is set before any test module imports it.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

FRONTEND = {
    "test_syntax.py", "test_check.py", "test_diagnostics.py", "test_seam.py", "test_ir.py",
    "test_op_gradients.py", "test_buffers.py", "test_idx.py", "test_data.py", "test_cleaning.py",
    "test_schedule.py", "test_registries.py", "test_thread_policy.py",
    "test_hostile_data.py", "test_hostile_recipes.py", "test_hostile_cli.py",
    "test_readme_tables.py", "test_csv_arrow.py", "test_data_cache.py", "test_npy_source.py",
    "test_stored_rows.py", "test_metrics.py", "test_images_source.py", "test_monitor.py",
    "test_optim_torch.py", "test_arrow_sources.py", "test_activations.py", "test_init.py",
    "test_kfold.py", "test_checkpoint.py", "test_regularize_check.py", "test_losses.py",
    "test_plot.py", "test_plot_cli.py", "test_progress.py", "test_transfer_check.py",
    "test_store.py",
}


@pytest.fixture(autouse=True, scope="session")
def _data_cache_in_tmp(tmp_path_factory):
    """Parsed data is cached under a folder of this test session, never the user's
    ~/.cache (runtime/data/cache.py); tests that count cache hits use their own folder."""
    import os
    folder = tmp_path_factory.mktemp("data-cache")
    old = os.environ.get("RECIPEC_DATA_CACHE")
    os.environ["RECIPEC_DATA_CACHE"] = str(folder)
    yield
    if old is None:
        os.environ.pop("RECIPEC_DATA_CACHE", None)
    else:
        os.environ["RECIPEC_DATA_CACHE"] = old


@pytest.fixture(autouse=True, scope="session")
def _run_store_in_tmp(tmp_path_factory):
    """`recipec run` records each run in $RECIPEC_RUNS (runtime/store/): under this test
    session, never the checkout's ./runs; tests that read a store pass their own --runs."""
    import os
    folder = tmp_path_factory.mktemp("runs")
    old = os.environ.get("RECIPEC_RUNS")
    os.environ["RECIPEC_RUNS"] = str(folder)
    yield
    if old is None:
        os.environ.pop("RECIPEC_RUNS", None)
    else:
        os.environ["RECIPEC_RUNS"] = old


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("cuda"):
            continue
        if item.path.name in FRONTEND and not item.get_closest_marker("cpu"):
            item.add_marker(pytest.mark.frontend)
        elif not item.get_closest_marker("frontend"):
            item.add_marker(pytest.mark.cpu)


@pytest.fixture(autouse=True)
def _frontend_compiles_nothing(request, monkeypatch):
    if request.node.get_closest_marker("frontend"):
        from recipec.compiler.lower import cache
        from recipec.compiler.lower.cpu import executable

        def refuse(*args, **kwargs):
            raise AssertionError("a frontend test loaded a kernel module: mark it `cpu`")

        monkeypatch.setattr(cache, "load_source", refuse)
        monkeypatch.setattr(executable, "load_source", refuse)
    yield
