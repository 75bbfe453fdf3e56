"""`--mlflow URI` (runtime/mlflow_log.py) against a real MLflow tracking store: a SQLite one
in a temporary folder, read back through MLflow's own client."""
from __future__ import annotations

import pytest

from recipec.runtime.mlflow_log import MlflowLogger
from recipec.runtime.program import EpochRecord

mlflow = pytest.importorskip("mlflow", reason="MLflow is not installed (the test extra has it)")


@pytest.mark.frontend        # compiles nothing
def test_a_run_is_logged_with_params_epochs_final_metrics_and_artefacts(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)              # MLflow's default artefact folder: ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    log = MlflowLogger(uri, "digits_mlp", "run 7", {"optimizer.lr": 0.01, "train.batch": 32},
                       "recipe digits_mlp\n", tags={"recipec.run_id": "7"})
    for epoch, (loss, val) in enumerate([(1.0, 0.9), (0.5, 0.6), (0.25, float("nan"))], 1):
        log.epoch_end(EpochRecord(epoch, {"loss": loss, "accuracy": 1 - loss},
                                  {"loss": val}, 0.1, 45, lr=0.01 / epoch))
    log.close("finished", {"test": {"accuracy": 0.97}}, model=model, report={"a": 1})

    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(log.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "run 7"
    assert run.data.params == {"optimizer.lr": "0.01", "train.batch": "32"}
    assert run.data.tags["recipec.run_id"] == "7"
    assert [(m.step, m.value) for m in client.get_metric_history(log.run_id, "loss")] == \
        [(1, 1.0), (2, 0.5), (3, 0.25)]
    assert [m.value for m in client.get_metric_history(log.run_id, "val_loss")] == [0.9, 0.6]
    assert run.data.metrics["test_accuracy"] == 0.97 and run.data.metrics["lr"] == 0.01 / 3
    files = {f.path for f in client.list_artifacts(log.run_id)}
    assert {"recipe.recipe", "model", "report.json"} <= files


@pytest.mark.frontend
def test_an_interrupted_run_ends_killed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    log = MlflowLogger(uri, "iris", "run 1", {}, "recipe iris\n")
    log.close("interrupted")
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(log.run_id).info.status == "KILLED"


@pytest.mark.cpu
def test_recipec_run_logs_to_mlflow(tmp_path, monkeypatch):
    from hostile import RECIPES, accepted, cli

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    accepted(cli("run", RECIPES / "iris_mlp.recipe", "--set", "train.epochs=3", "--quiet",
                 "--runs", tmp_path / "runs", "--mlflow", uri))
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("iris_mlp")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.data.tags["recipec.run_id"] == "1"
    assert run.data.params["optimizer.lr"] == "0.01" and "train.batch" in run.data.params
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [1, 2, 3]
    assert "validation_accuracy" in run.data.metrics
    files = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"recipe.recipe", "model", "report.json"} <= files
