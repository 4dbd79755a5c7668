"""K-fold cross-validation (D2L 4.4.2.2): choose among a config's runs (e.g. polynomial degrees)
by their mean validation loss over k folds of the training data, every (run, fold) model trained
together in one vmapped, compiled epoch.

`crossval_start` lays the models out (the command trains them in its own loop, printing each
epoch); `cross_validate` trains them to the end and summarizes.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any, NamedTuple

import jax
import numpy as np

from jaxlin._util import checks
from jaxlin.data import Dataset
from jaxlin.data.holdout import SplitError, fold, kfold
from jaxlin.engine.sweep import stack, sweep
from jaxlin.engine.training import TrainState
from jaxlin.experiments.config import Config
from jaxlin.experiments.setup import checked_data, epoch_options, run_data, runs, start
from jaxlin.models import get_model

MAX_STACKED_BYTES = 4 * 2**30  # each (run, fold) model trains on its own copy of its training folds


class CrossValidation(NamedTuple):
    runs: list[dict]  # the config's runs, e.g. [{"lr", "seed", "degree"}, ...]
    fold_losses: np.ndarray  # f64[runs, k]: each run's final validation loss on each fold
    mean: np.ndarray  # f64[runs]: the mean over the folds (NaN if a fold diverged)
    best: int | None  # the index of the run with the lowest mean; None if every run diverged

    @property
    def chosen(self) -> dict | None:
        return None if self.best is None else self.runs[self.best]


def crossval_start(model: ModuleType, config: Config, data: Dataset) -> tuple[list[dict], Any, TrainState, Dataset]:
    """The (run, fold) models of the config: their runs ({**run, "fold": j}, run major), the
    optimizer they share, their first train states and their data (each stacked on a model axis).
    The folds are drawn from `data_seed`, so every run sees the same ones."""
    if config.kfold is None:
        raise ValueError("cross-validation needs the number of folds: make_config(..., kfold=5).")
    n = checks.num_examples(data.train)
    folds = kfold(jax.random.fold_in(jax.random.key(config.data_seed), 2), n, config.kfold)
    models = [{**run, "fold": j} for run in runs(config) for j in range(config.kfold)]
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
    return models, starts[0][0], stack([state for _, state in starts]), datasets


def summarize_folds(models: list[dict], valid_losses, k: int) -> CrossValidation:
    """Group the (run, fold) models' final validation losses by run and pick the lowest mean."""
    fold_losses = np.asarray(valid_losses, float).reshape(-1, k)
    mean = fold_losses.mean(axis=1)
    best = int(np.nanargmin(np.where(np.isfinite(mean), mean, np.nan))) if np.isfinite(mean).any() else None
    runs_ = [{name: value for name, value in m.items() if name != "fold"} for m in models[::k]]
    return CrossValidation(runs_, fold_losses, mean, best)


def cross_validate(config: Config, data: Dataset | None = None) -> CrossValidation:
    """Cross-validate every run of `config` (config.kfold folds, config.epochs epochs each).

    Raises ValueError when the config has no kfold, and SplitError (a ValueError) when k does not
    divide the number of training examples or the stacked copies would not fit in memory.
    """
    model = get_model(config.model)
    data = checked_data(model, config, data)
    models, optimizer, states, datasets = crossval_start(model, config, data)
    result = sweep(
        states,
        model.LOSSES[config.impl],
        optimizer,
        datasets.train,
        num_epochs=config.epochs,
        eval_data=datasets,
        per_model_data=True,
        **epoch_options(model, config, data),
    )
    return summarize_folds(models, [h["valid_loss"][-1] for h in result.histories], config.kfold)
