"""Early stopping (Keras' EarlyStopping) and reduce-on-plateau (torch's ReduceLROnPlateau):
their rules on value sequences, the checker's monitors, and real runs that stop, restore the
best epoch and reduce the rate."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import recipec
from recipec.compiler.recipe import EarlyStopSpec
from recipec.runtime.monitor import EarlyStop, Plateau

LOSSES = [1.0, 0.8, 0.79, 0.81, 0.80, 0.85, 0.7, 0.72, 0.71, 0.73, 0.74, 0.75, 0.76]


def record(epoch, val_loss):
    return SimpleNamespace(epoch=epoch, train={"loss": val_loss}, validation={"loss": val_loss})


def spec(**kw):
    base = dict(monitor="val_loss", mode="min", patience=2, min_delta=0.0, restore_best=True,
                span=None)
    return EarlyStopSpec(**{**base, **kw})


def first_stop(early, values):
    for e, v in enumerate(values, 1):
        if early.epoch_end(record(e, v), dict):
            return e
    return None


def test_early_stop_waits_patience_epochs_without_improvement():
    early = EarlyStop(spec(patience=4, min_delta=0.005))
    # better by more than 0.005: epochs 1, 2, 3 and 7; then 8, 9, 10, 11 are not
    assert first_stop(early, LOSSES) == 11 == early.stopped_epoch
    assert early.best_epoch == 7 and early.best == 0.7
    assert first_stop(EarlyStop(spec(patience=3, min_delta=0.005)), LOSSES) == 6
    assert first_stop(EarlyStop(spec(patience=30)), LOSSES) is None


def test_early_stop_in_max_mode_keeps_the_best_snapshot():
    early = EarlyStop(spec(mode="max", patience=2))
    for e, v in enumerate([0.5, 0.6, 0.55, 0.58], 1):
        stop = early.epoch_end(record(e, v), lambda e=e: {"epoch": e})
    assert stop and early.best_epoch == 2 and early.snapshot == {"epoch": 2}


PLATEAU = dict(monitor="val_loss", factor=0.5, patience=1, min_delta=1e-2, cooldown=1,
               min_lr=0.02)


def ours(values, **options):
    plateau = Plateau({**PLATEAU, **options}, 0.1, "min")
    rates = []
    for e, v in enumerate(values, 1):
        plateau.epoch_end(record(e, v))
        rates.append(0.1 * plateau.scale)
    return rates


def test_plateau_rule_by_hand():
    # 1.0 best; 0.995 is not 1% better: bad 1; 0.99: bad 2 > patience -> 0.05, cooldown 1
    rates = ours([1.0, 0.995, 0.992, 0.991, 0.990, 0.99, 0.98])
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


def test_plateau_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: plateau is checked "
                                "against the rule by hand only")
    for options in (PLATEAU, dict(PLATEAU, patience=0, cooldown=0, min_lr=0.0),
                    dict(PLATEAU, patience=2, factor=0.3, min_delta=0.0)):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=options["factor"], patience=options["patience"],
            threshold=options["min_delta"], threshold_mode="rel",
            cooldown=options["cooldown"], min_lr=options["min_lr"])
        theirs = []
        for v in LOSSES * 2:
            sched.step(v)
            theirs.append(opt.param_groups[0]["lr"])
        assert ours(LOSSES * 2, **options) == pytest.approx(theirs, rel=1e-12), options


BASE = """
data {{ source = iris  normalize = standard  validation = {validation} }}
model {{ input [4] dense(16) relu dense(3) }}
loss = cross_entropy
optimizer = adam(lr = 0.05)
{schedule}
train {{ epochs = 60  batch = 16 }}
metrics = [accuracy, f1]
{early}
"""


def text(early="", schedule="", validation=0.3):
    return BASE.format(early=early, schedule=schedule, validation=validation)


@pytest.mark.parametrize("early, code, needle", [
    ("early_stop { monitor = val_f2 }", "E104", "did you mean `val_f1`"),
    ("early_stop { monitor = val_top_5 }", "E104", "unknown monitor"),
    ("early_stop { monitor = \"val_loss\" }", "E201", "without quotes"),
    ("early_stop { patience = -1 }", "E202", "patience"),
    ("early_stop { mode = maximum }", "E104", "did you mean `max`"),
])
def test_bad_early_stop_sections(early, code, needle):
    with pytest.raises(recipec.RecipeError) as err:
        recipec.loads(text(early), "e.recipe")
    said = " ".join(f"{d.code} {d.message} {d.hint}" for d in err.value.diagnostics)
    assert code in said and needle in said


def test_a_val_monitor_needs_a_validation_split():
    for early, schedule in (("early_stop { patience = 2 }", ""), ("", "schedule = plateau()")):
        with pytest.raises(recipec.RecipeError) as err:
            recipec.loads(text(early, schedule, validation=0), "e.recipe")
        d = err.value.diagnostics[0]
        assert d.code == "E305" and "validation = 0.2" in d.hint


def test_keep_best_resolves_auto_and_checks_its_monitor():
    def train_of(keep="", early="", validation=0.3):
        t = text(early, validation=validation).replace(
            "batch = 16 }", f"batch = 16 {keep} }}")
        return recipec.loads(t, "k.recipe").train
    assert train_of().keep_best == "val_loss"                      # a validation split
    assert train_of(validation=0).keep_best is None                 # none: no measure of best
    assert train_of(early="early_stop { monitor = val_f1 }").keep_best == "val_f1"
    best = train_of("keep_best = val_accuracy")
    assert (best.keep_best, best.keep_best_mode) == ("val_accuracy", "max")
    assert train_of("keep_best = none").keep_best is None
    for keep, code, validation in (("keep_best = val_acuracy", "E104", 0.3),
                                   ("keep_best = val_loss", "E305", 0)):
        with pytest.raises(recipec.RecipeError) as err:
            train_of(keep, validation=validation)
        d = err.value.diagnostics[0]
        assert d.code == code and "keep_best" in d.message and d.span.line == 7, d


def test_auto_mode_follows_the_metric():
    assert recipec.loads(text("early_stop { monitor = val_f1 }"), "e").early_stop.mode == "max"
    assert recipec.loads(text("early_stop { monitor = loss }"), "e").early_stop.mode == "min"


@pytest.mark.cpu
def test_a_run_stops_early_and_keeps_the_best_epoch(tmp_path):
    path = tmp_path / "e.recipe"
    path.write_text(text("early_stop { monitor = val_loss  patience = 3 }"))
    program = recipec.compile(recipec.load(path))
    history = program.fit()
    assert history.stopped_epoch is not None and history.stopped_epoch < 60
    best = min(history.epochs, key=lambda r: r.validation["loss"])
    assert history.best_epoch == best.epoch == history.restored_epoch
    assert history.stopped_epoch == best.epoch + 3
    # the state is the best epoch's: its validation loss is recomputed bitwise
    assert program.evaluate("validation")["loss"] == best.validation["loss"]
    from hostile import cli
    out = cli("run", str(path), "--report", str(tmp_path / "r.json"))
    assert out.code == 0, out.err
    assert f"early stop after epoch {history.stopped_epoch}" in out.err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["early_stop"]["restored_epoch"] == best.epoch


@pytest.mark.cpu
def test_plateau_reduces_the_rate_of_a_real_run(tmp_path):
    program = recipec.compile(recipec.loads(
        text(schedule="schedule = plateau(patience = 2, factor = 0.5)"), "p.recipe"))
    history = program.fit(epochs=30)
    assert history.lr_reductions, "a 60-epoch iris fit at lr 0.05 plateaus"
    epoch, rate = history.lr_reductions[0]
    assert rate == pytest.approx(0.025)
    lrs = {r.epoch: r.lr for r in history.epochs}
    assert lrs[epoch] == pytest.approx(0.05) and lrs[epoch + 1] == pytest.approx(0.025)
