"""The Optuna study behind `recipec search`: sampler, pruner and storage from the recipe's
`search { ... }` section, created or continued.

The default storage is a journal file in the search's folder (Optuna's JournalStorage: an
append-only log, safe with several processes, where SQLite locks badly under parallel
writers, as Optuna's FAQ warns); `storage = "postgresql://..."` (or any SQLAlchemy URL) uses
Optuna's RDB storage. The study is named after the recipe, so running the same command again
continues it.
"""
from __future__ import annotations

import os
from pathlib import Path


def sampler_of(spec, seed: int):
    """A grid's points are queued in the study (enqueue_grid) rather than drawn by Optuna's
    GridSampler, which may hand one point to two workers at once; its sampler is then never
    asked for a point."""
    import optuna

    if spec.method in ("grid", "random"):
        return trial_seeded_random(spec.seed)
    return optuna.samplers.TPESampler(seed=seed)


def trial_seeded_random(seed: int):
    """Optuna's random sampling with each value drawn from its own generator, seeded by
    (seed, trial number, parameter name): a trial's point is the same whether trials run one
    by one, side by side in threads or in several processes, and in a continued study."""
    import hashlib

    import numpy as np
    import optuna
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)

    class TrialSeededRandomSampler(optuna.samplers.RandomSampler):
        def sample_independent(self, study, trial, name, distribution):
            digest = hashlib.sha256(f"{seed}/{trial.number}/{name}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            if isinstance(distribution, CategoricalDistribution):
                return distribution.choices[int(rng.integers(len(distribution.choices)))]
            if isinstance(distribution, IntDistribution):
                steps = (distribution.high - distribution.low) // distribution.step
                return distribution.low + distribution.step * int(rng.integers(steps + 1))
            if isinstance(distribution, FloatDistribution) and distribution.log:
                return float(np.exp(rng.uniform(np.log(distribution.low),
                                                np.log(distribution.high))))
            if isinstance(distribution, FloatDistribution) and distribution.step is None:
                return float(rng.uniform(distribution.low, distribution.high))
            return super().sample_independent(study, trial, name, distribution)

    return TrialSeededRandomSampler(seed=seed)


def pruner_of(spec):
    import optuna

    return {"none": optuna.pruners.NopPruner,
            # epochs count from 1: a trial is compared from its second epoch on, since
            # one epoch says little
            "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5,
                                                          n_warmup_steps=2),
            "asha": lambda: optuna.pruners.SuccessiveHalvingPruner(),
            "hyperband": lambda: optuna.pruners.HyperbandPruner()}[spec.pruner]()


# Optuna's RDB storages: each worker's trial sends a heartbeat this often (seconds), and one
# silent for the grace period is a killed worker's: marked failed, its point run again
HEARTBEAT, GRACE = 10, 60


def heartbeat() -> tuple[int, int]:
    """(interval, grace period) in seconds: HEARTBEAT, GRACE, or RECIPEC_SEARCH_HEARTBEAT
    written "INTERVAL,GRACE" (a cluster that wants a killed worker noticed sooner; the
    kill test). A grace shorter than two intervals would fail live trials."""
    value = os.environ.get("RECIPEC_SEARCH_HEARTBEAT")
    if not value:
        return HEARTBEAT, GRACE
    try:
        interval, grace = (int(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"RECIPEC_SEARCH_HEARTBEAT must be INTERVAL,GRACE in seconds, "
                         f"got {value!r}") from None
    if interval < 1 or grace < 2 * interval:
        raise ValueError(f"RECIPEC_SEARCH_HEARTBEAT={value}: the interval must be >= 1 s and "
                         f"the grace period at least two intervals")
    return interval, grace


def storage_of(url: str, folder: Path):
    """The study's storage: an SQLAlchemy URL (postgresql://..., with heartbeats), or by
    default a journal file in `folder`."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if url:
        from optuna.storages import RetryFailedTrialCallback

        from ..errors import StudyError
        try:
            interval, grace = heartbeat()
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=interval, grace_period=grace,
                heartbeat_stale_trial_callback=RetryFailedTrialCallback(max_retry=1))
        except Exception as err:   # an unknown scheme, a missing driver, a server down
            raise StudyError(f"--storage {url}: cannot be opened: {type(err).__name__}: "
                             f"{err}", "S002", hint="a database URL such as postgresql://"
                             "USER:PASSWORD@HOST/DB (pip install 'recipec[postgres]')") from None
    folder.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(folder / "study.journal")))


def open_study(name: str, spec, space, storage, direction: str, where: str):
    import optuna

    from ..errors import StudyError

    # recipec prints its own lines; Optuna's warnings would add a traceback for each grid
    # trial asked beyond the queue (command.py's _Surplus) and for each trial recipec fails
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = optuna.create_study(study_name=name, storage=storage, load_if_exists=True,
                                    sampler=sampler_of(spec, spec.seed),
                                    pruner=pruner_of(spec), direction=direction)
    except Exception as err:        # a server down, a URL without its driver, a bad file
        raise StudyError(f"the study {name!r} cannot be opened in {where}: "
                         f"{type(err).__name__}: {err}", "S002") from None
    # a study continues only over the same space: Optuna would refuse a changed choice
    # deep inside, and mixing two spaces' trials would mislead the sampler and the best
    wanted = {d.name: d.describe() for d in space}
    held = study.user_attrs.get("space")
    if held is None and study.trials:
        raise StudyError(f"{where} holds a study {name!r} whose search space is not recorded",
                         "S001", "remove that study file to start afresh, or give the search "
                         "another --storage")
    if held is None:
        study.set_user_attr("space", wanted)
        study.set_user_attr("direction", direction)
    elif held != wanted or study.user_attrs.get("direction", direction) != direction:
        changed = sorted(set(held.items()) ^ set(wanted.items()))
        said = "; ".join(f"{k} was {held.get(k, 'not searched')}, now "
                         f"{wanted.get(k, 'not searched')}" for k in dict(changed))
        raise StudyError(f"{where} holds the study {name!r} of another search space ("
                         f"{said or 'another direction'})", "S001",
                         "remove that study file to start afresh, or give the search "
                         "another --storage")
    # a continued study draws on from where it stands: the same seed again would repeat the
    # first process's points (TPE's random state is not in the storage; the random
    # sampler's draws follow the trial number)
    if study.trials and spec.method == "tpe":
        study.sampler = sampler_of(spec, spec.seed + len(study.trials))
    return study


def retry_cut_off(study, server: bool) -> list[int]:
    """Trials a killed process left running, or that failed without being retried: marked
    failed, and their points queued to run again (once), a grid point's with its grid index.
    Returns their numbers.

    With a journal file (one machine, and this command starts every worker), a trial still
    running now is a dead process's; with a `server` storage other machines may be running
    theirs, so only those whose heartbeat stopped count (Optuna's fail_stale_trials; its
    callback queues the retry). Not `isinstance(study._storage, RDBStorage)`: Optuna wraps
    the storage in a cache, and that test failed every other machine's live trials
    (found by tests/test_search_postgres.py's kill test)."""
    import optuna
    from optuna.trial import TrialState

    heartbeat = server
    stale = []
    if heartbeat:
        running = {t.number for t in study.trials if t.state == TrialState.RUNNING}
        optuna.storages.fail_stale_trials(study)
        stale = [t.number for t in study.trials
                 if t.number in running and t.state == TrialState.FAIL]
    # run again already: by this function, or by Optuna's callback for a stale heartbeat
    retried = {t.user_attrs.get("retry_of") for t in study.trials} | \
        {t.system_attrs.get("failed_trial") for t in study.trials}
    again = []
    for t in study.trials:
        if t.state == TrialState.RUNNING and not heartbeat:
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        elif t.state != TrialState.FAIL:
            continue
        if t.number in retried or not t.params:
            continue
        again_attrs = {"retry_of": t.number}
        if "grid_point" in t.user_attrs:       # else the objective takes it for a surplus ask
            again_attrs["grid_point"] = t.user_attrs["grid_point"]
        study.enqueue_trial(t.params, user_attrs=again_attrs, skip_if_exists=False)
        again.append(t.number)
    return sorted(set(again) | set(stale))


def finished(study) -> int:
    """Trials that count towards `trials`: complete or pruned."""
    from optuna.trial import TrialState

    return sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)


def enqueue_grid(study, space, trials: int, seed: int) -> int:
    """Queue the grid's points that no trial holds yet (in an order shuffled by `seed`),
    up to `trials` in all; returns how many were queued."""
    import itertools
    import random

    from optuna.trial import TrialState

    names = [d.name for d in space]
    points = [dict(zip(names, values)) for values in itertools.product(*(d.grid()
                                                                          for d in space))]
    random.Random(seed).shuffle(points)
    held = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED,
                                                    TrialState.RUNNING, TrialState.WAITING)
            or (t.state == TrialState.FAIL and "diverged" in t.user_attrs)]
    taken = {tuple(sorted(t.params.items())) for t in held if t.params}
    taken |= {tuple(sorted(t.system_attrs.get("fixed_params", {}).items())) for t in held
              if t.state == TrialState.WAITING}
    room = trials - len(held)
    queued = 0
    for index, point in enumerate(points):
        if queued >= room:
            break
        if tuple(sorted(point.items())) in taken:
            continue
        study.enqueue_trial(point, user_attrs={"grid_point": index})
        queued += 1
    return queued
