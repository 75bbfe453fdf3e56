"""`recipec run --mlflow URI`: the run logged to an MLflow tracking server or store as well.

MLflow is optional (`pip install 'recipec[mlflow]'`); it is imported only when asked for, and
its absence is said before any training starts. The logger is one more listener of fit (the
same calls as the progress line, at epoch boundaries only, never per step): the recipe's
values as parameters, per-epoch metrics with the epoch as MLflow's step (`loss`, `accuracy`,
`val_<metric>`, `lr`, `penalty`), the final metrics by split (`test_accuracy`, ...), the recipe
text and the model folder as artefacts, and the run's end status (FINISHED, FAILED, KILLED).
"""
from __future__ import annotations

import math

# recipec's run status -> MLflow's RunStatus name
STATUS = {"finished": "FINISHED", "failed": "FAILED", "diverged": "FAILED",
          "interrupted": "KILLED"}


def missing_reason() -> str | None:
    """Why --mlflow cannot work here (None: it can)."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return "MLflow is not installed: pip install 'recipec[mlflow]' (or mlflow)"
    return None


class MlflowLogger:
    """One MLflow run for one recipec run. `uri` is the tracking URI (http://host:5000,
    sqlite:///mlflow.db, ...); the experiment defaults to the recipe's name."""

    def __init__(self, uri: str, experiment: str, run_name: str, params: dict,
                 recipe_text: str, tags: dict | None = None):
        import mlflow

        self.client = mlflow.MlflowClient(tracking_uri=uri)
        found = self.client.get_experiment_by_name(experiment)
        experiment_id = (found.experiment_id if found is not None
                         else self.client.create_experiment(experiment))
        self.run_id = self.client.create_run(experiment_id, run_name=run_name,
                                             tags=dict(tags or {})).info.run_id
        # MLflow caps a parameter value's length (6000 characters); recipe values are short
        items = [(k, str(v)[:500]) for k, v in params.items()]
        for start in range(0, len(items), 100):        # log_batch takes 100 params at once
            self.client.log_batch(self.run_id, params=[
                mlflow.entities.Param(k, v) for k, v in items[start:start + 100]])
        self.client.log_text(self.run_id, recipe_text, "recipe.recipe")

    # -- fit's listener calls (runtime/progress.py has the same) ---------------------------
    def start(self, program, epochs: int, steps_per_epoch: int) -> None:
        pass

    def chunk(self, *args) -> None:
        pass

    def epoch_end(self, record) -> None:
        values = dict(record.train)
        values.update({f"val_{k}": v for k, v in (record.validation or {}).items()})
        if record.lr is not None:
            values["lr"] = record.lr
        if record.penalty is not None:
            values["penalty"] = record.penalty
        self._log(values, record.epoch)

    def stopped(self) -> None:
        pass

    def finish(self, history) -> None:
        pass

    # -- the run's end (runtime/run.py) -----------------------------------------------
    def close(self, status: str, final: dict | None = None, model=None, report=None) -> None:
        """The final metrics by split, the model folder and report as artefacts, and the
        end status."""
        if final:
            self._log({f"{split}_{k}": v for split, metrics in final.items()
                       for k, v in metrics.items()}, None)
        if model is not None:
            self.client.log_artifacts(self.run_id, str(model), "model")
        if report is not None:
            self.client.log_dict(self.run_id, report, "report.json")
        self.client.set_terminated(self.run_id, STATUS.get(status, "FAILED"))

    def _log(self, values: dict, step: int | None) -> None:
        import time

        import mlflow

        now = int(time.time() * 1000)
        metrics = [mlflow.entities.Metric(k, float(v), now, step or 0)
                   for k, v in values.items()
                   if isinstance(v, (int, float)) and math.isfinite(v)]  # charts draw no NaN
        if metrics:
            self.client.log_batch(self.run_id, metrics=metrics)
