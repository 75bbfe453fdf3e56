"""`recipec search` (runtime/search/): Optuna studies over a recipe's search space. A grid
runs each point once; trials that differ in run-time values share one compiled kernel; a
continued study neither repeats nor loses trials, and runs a cut-off one again; the best
recipe written reproduces its trial's metric."""
from __future__ import annotations

import re

import pytest

from hostile import cli, write

optuna = pytest.importorskip("optuna", reason="Optuna is a dependency of recipec search")

GRID = """recipe grid_iris
data { source = iris  normalize = standard  validation = 0.3 }
model { input [4] dense(8) relu dense(3) }
loss = cross_entropy
optimizer = sgd(lr = choice(0.01, 0.05, 0.2), momentum = choice(0.5, 0.8, 0.9))
train { epochs = 3  batch = 16 }
metrics = [accuracy]
search { method = grid  metric = val_accuracy }
"""


@pytest.fixture
def loaded(monkeypatch) -> list[str]:
    """The name of every generated module a trial loads (in order, repeats included)."""
    from recipec.compiler.lower import cache
    names: list[str] = []
    real = cache.load_path
    monkeypatch.setattr(cache, "load_path",
                        lambda path, source=None: names.append(path.stem) or real(path, source))
    return names


def search(tmp_path, *args):
    """`recipec search ARGS` with tmp_path/runs as the runs folder (the study and trials)."""
    return cli("search", *args, "--runs", tmp_path / "runs", cwd=tmp_path)


def trials_of(folder, name):
    from optuna.storages.journal import JournalFileBackend
    storage = optuna.storages.JournalStorage(
        JournalFileBackend(str(folder / "runs" / name / "search" / "study.journal")))
    return optuna.load_study(study_name=name, storage=storage).trials


def test_a_three_by_three_grid_runs_nine_trials_each_once(tmp_path):
    write(tmp_path, "g.recipe", GRID)
    out = search(tmp_path, tmp_path / "g.recipe")
    assert out.code == 0, out.err
    trials = trials_of(tmp_path, "grid_iris")
    points = {tuple(sorted(t.params.items())) for t in trials}
    assert len(trials) == 9 and len(points) == 9
    assert all(t.state.name == "COMPLETE" for t in trials)
    from PIL import Image
    for name in ("history", "slice", "importances"):
        with Image.open(tmp_path / "runs" / "grid_iris" / "search" / f"{name}.png") as image:
            assert image.size[0] > 300
    # each trial is a run of the store, linked to its study, holding its own recipe text
    listed = cli("runs", "--study", "grid_iris", "--runs", tmp_path / "runs")
    assert listed.out.count("grid_iris [trial") == 9 and "study grid_iris" in listed.out
    run_of = {t.number: t.user_attrs["run_id"] for t in trials}
    shown = cli("runs", "show", str(run_of[0]), "--runs", tmp_path / "runs").out
    assert f"lr = {trials[0].params['optimizer.lr']}" in shown
    again = search(tmp_path, tmp_path / "g.recipe")       # nothing left to run
    assert again.code == 0 and len(trials_of(tmp_path, "grid_iris")) == 9
    assert "9 done before" in again.err


def test_the_grid_with_two_workers_trains_each_point_once(tmp_path):
    write(tmp_path, "g.recipe", GRID)
    out = search(tmp_path, tmp_path / "g.recipe", "--workers", "2", "--no-plots")
    assert out.code == 0, out.err
    assert "2 workers x 1 thread(s)" in out.err
    trials = trials_of(tmp_path, "grid_iris")
    complete = [tuple(sorted(t.params.items())) for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 9 and len(set(complete)) == 9
    assert all(t.state.name in ("COMPLETE", "FAIL") for t in trials)   # FAIL: a surplus ask
    assert not [t for t in trials if t.state.name == "FAIL" and t.params]


def test_the_best_recipe_is_plain_and_trains_to_the_same_metric(tmp_path):
    write(tmp_path, "g.recipe", GRID.replace("method = grid", "method = random  trials = 3"))
    out = search(tmp_path, tmp_path / "g.recipe")
    assert out.code == 0, out.err
    best_value = float(re.search(r"best: trial \d+  val_accuracy (\S+)", out.out)[1])
    best = tmp_path / "runs" / "grid_iris" / "search" / "best.recipe"
    text = best.read_text()
    assert "search" not in text.split("\n", 1)[1] and "choice(" not in text
    run = cli("run", best, cwd=tmp_path)
    assert run.code == 0, run.err
    assert f"validation: loss" in run.out
    assert float(re.search(r"validation: .*accuracy (\S+)", run.out)[1]) == \
        pytest.approx(best_value, abs=5e-5)


def test_trials_that_differ_in_run_time_values_share_one_kernel(tmp_path, loaded):
    write(tmp_path, "r.recipe", """recipe shared
data { source = digits  normalize = standard  validation = 0.2 }
model { input [64] dense(16) relu dropout(uniform(0.1, 0.5)) dense(10) }
loss = cross_entropy
optimizer = sgd(lr = loguniform(1e-3, 1e-1), momentum = uniform(0.5, 0.95),
                weight_decay = loguniform(1e-5, 1e-3))
train { epochs = 1  batch = 64 }
search { method = random  trials = 20 }
""")
    out = search(tmp_path, tmp_path / "r.recipe")
    assert out.code == 0, out.err
    assert len(trials_of(tmp_path, "shared")) == 20
    per_trial = len(loaded) // 20
    assert per_trial >= 1 and len(set(loaded)) == len(set(loaded[:per_trial])), loaded


def test_trials_side_by_side_equal_the_same_trials_one_by_one(tmp_path):
    """batch_trials = 2: two trials train at once in threads on one compiled module; each
    trial's point and final metric equal those of the same search run one trial at a time
    (the random sampler draws by trial number; the kernels' results do not depend on the
    thread count)."""
    text = GRID.replace("method = grid", "method = random  trials = 4").replace(
        "choice(0.01, 0.05, 0.2)", "loguniform(0.01, 0.2)")
    results = []
    for k in (1, 2):
        folder = tmp_path / f"k{k}"
        write(folder, "g.recipe", text.replace("metric = val_accuracy",
                                               f"metric = val_loss  batch_trials = {k}"))
        out = cli("search", folder / "g.recipe", "--no-plots", "--runs", folder / "runs",
                  cwd=folder)
        assert out.code == 0, out.err
        results.append(sorted((t.number, t.value, tuple(sorted(t.params.items())))
                              for t in trials_of(folder, "grid_iris")))
    assert len(results[0]) == 4 and results[0] == results[1]


def test_structural_choices_compile_once_per_distinct_structure(tmp_path, loaded):
    write(tmp_path, "w.recipe", """recipe widths
data { source = digits  normalize = standard  validation = 0.2 }
model { input [64] dense(choice(8, 24)) relu dense(10) }
loss = cross_entropy
optimizer = adam(lr = loguniform(1e-3, 1e-1))
train { epochs = 1  batch = 64 }
search { method = random  trials = 8 }
""")
    assert search(tmp_path, tmp_path / "w.recipe", "--no-plots").code == 0
    trials = trials_of(tmp_path, "widths")
    widths = {t.params["model.dense_1.units"] for t in trials}
    # one generated module per structure (the helper library `cpulib` is shared by all)
    kernels = {name for name in loaded if not name.startswith("recipec_cpulib")}
    assert len(widths) == 2 and len(kernels) == 2, (widths, loaded)


def test_a_continued_study_runs_a_cut_off_trial_again_and_repeats_nothing(tmp_path):
    write(tmp_path, "g.recipe", GRID.replace("method = grid", "method = random  trials = 3"))
    assert search(tmp_path, tmp_path / "g.recipe", "--trials", "2").code == 0
    # a process killed mid-trial leaves it running in the study
    from optuna.storages.journal import JournalFileBackend
    storage = optuna.storages.JournalStorage(JournalFileBackend(
        str(tmp_path / "runs" / "grid_iris" / "search" / "study.journal")))
    study = optuna.load_study(study_name="grid_iris", storage=storage)
    cut = study.ask({"optimizer.lr": optuna.distributions.CategoricalDistribution(
        ["0.01", "0.05", "0.2"]), "optimizer.momentum":
        optuna.distributions.CategoricalDistribution(["0.5", "0.8", "0.9"])})
    out = search(tmp_path, tmp_path / "g.recipe", "--trials", "4")
    assert out.code == 0, out.err
    assert f"trial {cut.number} cut off, to run again" in out.err
    trials = trials_of(tmp_path, "grid_iris")
    states = [t.state.name for t in trials]
    assert states.count("COMPLETE") == 4 and states.count("FAIL") == 1
    retried = [t for t in trials if t.user_attrs.get("retry_of") == cut.number]
    assert len(retried) == 1 and retried[0].params == cut.params
    first = [tuple(sorted(t.params.items())) for t in trials[:2]]
    later = [tuple(sorted(t.params.items())) for t in trials[2:] if t.number != cut.number
             and t.user_attrs.get("retry_of") is None]
    assert later and later != first             # new draws, not the first process's again


def test_a_cut_off_grid_point_is_trained_again(tmp_path):
    """A grid point left running by a killed process is queued again as a grid point (not
    taken for a surplus ask): the grid ends with each of its nine points complete once."""
    write(tmp_path, "g.recipe", GRID)
    assert search(tmp_path, tmp_path / "g.recipe", "--trials", "4").code == 0
    from optuna.storages.journal import JournalFileBackend
    storage = optuna.storages.JournalStorage(JournalFileBackend(
        str(tmp_path / "runs" / "grid_iris" / "search" / "study.journal")))
    study = optuna.load_study(study_name="grid_iris", storage=storage)
    done = {tuple(sorted(t.params.items())) for t in study.trials}
    point = next(p for p in ({"optimizer.lr": lr, "optimizer.momentum": m}
                             for lr in ("0.01", "0.05", "0.2") for m in ("0.5", "0.8", "0.9"))
                 if tuple(sorted(p.items())) not in done)
    study.enqueue_trial(point, user_attrs={"grid_point": 99})
    cut = study.ask()                   # running, as a killed worker leaves it
    for name in point:
        cut.suggest_categorical(name, ["0.01", "0.05", "0.2"] if name.endswith("lr")
                                else ["0.5", "0.8", "0.9"])
    out = search(tmp_path, tmp_path / "g.recipe")
    assert out.code == 0, out.err
    assert f"trial {cut.number} cut off, to run again" in out.err
    assert "Traceback" not in out.err
    trials = trials_of(tmp_path, "grid_iris")
    complete = [tuple(sorted(t.params.items())) for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 9 and len(set(complete)) == 9
    again = [t for t in trials if t.user_attrs.get("retry_of") == cut.number]
    assert len(again) == 1 and again[0].params == point and again[0].state.name == "COMPLETE"


def test_search_without_a_space_is_refused(tmp_path):
    write(tmp_path, "p.recipe", GRID.replace("choice(0.01, 0.05, 0.2)", "0.1").replace(
        "choice(0.5, 0.8, 0.9)", "0.9").replace("search { method = grid  metric = "
                                                "val_accuracy }\n", ""))
    out = search(tmp_path, tmp_path / "p.recipe")
    assert out.code == 2 and "has no search space" in out.err


def test_a_storage_that_cannot_be_opened_is_named(tmp_path):
    write(tmp_path, "g.recipe", GRID)
    out = search(tmp_path, tmp_path / "g.recipe", "--storage", "nosuch://x")
    assert out.code == 2 and "S002" in out.err and "nosuch://x" in out.err
    assert "Traceback" not in out.err and "internal error" not in out.err
