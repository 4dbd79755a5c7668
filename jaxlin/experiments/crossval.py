"""K-fold cross-validation (D2L 4.4.2.2): choose among a config's runs (e.g. polynomial degrees)
by their mean validation loss over k folds of the training data, every (run, fold) model trained
together in one vmapped, compiled epoch.

`crossval_group` lays the models out as one sweep group, `group_epochs` trains it and
`summarize_folds` chooses: `cross_validate` runs that to the end, the command the same loop,
printing each epoch.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from jaxlin._util import checks
from jaxlin.data import Dataset
from jaxlin.data.holdout import SplitError, fold, kfold
from jaxlin.engine.sweep import jit_sweep_epoch, stack
from jaxlin.experiments.config import Config
from jaxlin.experiments.setup import checked_data, epoch_options, model_of, run_data, runs, start
from jaxlin.experiments.sweeping import SweepGroup, group_epochs

MAX_STACKED_BYTES = 4 * 2**30  # each (run, fold) model trains on its own copy of its training folds


class CrossValidation(NamedTuple):
    runs: list[dict]  # the config's runs, e.g. [{"lr", "seed", "degree"}, ...]
    fold_losses: np.ndarray  # f64[runs, k]: each run's final validation loss on each fold
    mean: np.ndarray  # f64[runs]: the mean over the folds (NaN if a fold diverged)
    best: int | None  # the index of the run with the lowest mean; None if every run diverged

    @property
    def chosen(self) -> dict | None:
        return None if self.best is None else self.runs[self.best]


def crossval_group(config: Config, data: Dataset | None = None) -> SweepGroup:
    """The (run, fold) models of the config as one group that trains together: their runs
    ({**run, "fold": j}, run major), first states and data, each stacked on a model axis, and their
    vmapped epoch. The folds are drawn from `data_seed`, so every run sees the same ones."""
    config.require("kfold", "cross_validate")
    model = model_of(config)
    data = checked_data(model, config, data)
    k = config.kfold or 0
    folds = kfold(jax.random.fold_in(jax.random.key(config.data_seed), 2), checks.num_examples(data.train), k)
    models = [{**run, "fold": j} for run in runs(config) for j in range(k)]
    size = len(models) * sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(data.train))
    if size > MAX_STACKED_BYTES:
        raise SplitError(
            f"Cross-validating {len(models)} models would stack {len(models)} copies of the "
            f"training data ({size / 2**30:.1f} GiB, more than {MAX_STACKED_BYTES / 2**30:.0f}); "
            "use fewer folds or runs."
        )
    starts = [start(model, config, m) for m in models]
    without_test = dataclasses.replace(data, test=None)  # the test split plays no part in choosing
    datasets = stack([run_data(model, fold(without_test, folds, m["fold"]), m) for m in models])
    optimizer = starts[0][0]
    options = epoch_options(model, config, data)
    epoch_fn = jit_sweep_epoch(model.LOSSES[config.impl], optimizer, per_model_data=True, **options)
    return SweepGroup(model, models, stack([state for _, state in starts]), datasets, True, epoch_fn)


def summarize_folds(models: list[dict], valid_losses, k: int) -> CrossValidation:
    """Group the (run, fold) models' final validation losses by run and pick the lowest mean."""
    fold_losses = np.asarray(valid_losses, float).reshape(-1, k)
    mean = fold_losses.mean(axis=1)
    best = int(np.nanargmin(np.where(np.isfinite(mean), mean, np.nan))) if np.isfinite(mean).any() else None
    runs_ = [{name: value for name, value in m.items() if name != "fold"} for m in models[::k]]
    return CrossValidation(runs_, fold_losses, mean, best)


def cross_validate(config: Config, data: Dataset | None = None) -> CrossValidation:
    """Cross-validate every run of `config` (config.kfold folds, config.epochs epochs each).

    Raises ValueError when the config asks for another kind of run, and SplitError (a ValueError)
    when k does not divide the number of training examples or the stacked copies would not fit in
    memory.
    """
    group = crossval_group(config, data)
    metrics: dict = {}
    for _, metrics, _ in group_epochs(group, config.epochs):
        pass
    return summarize_folds(group.runs, metrics["valid_loss"], config.kfold or 0)
