"""One model trained epoch by epoch (the book's `train_ch3`): the library's one implementation of
a single run.

`single_run(config)` builds it: the model, its data, its first train state and its compiled epoch.
`single_epochs(run)` trains it, yielding each epoch to the caller's loop (`jaxlin.engine.fit_epochs`
underneath), and `final_figures` is what the run reports at its end. `train_model(config)` runs
the loop to the end; `python -m jaxlin.train` runs the same loop, printing and checkpointing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, NamedTuple

import jax

from jaxlin.data import Dataset
from jaxlin.engine.early_stopping import Best, patience_ran_out
from jaxlin.engine.epoch import jit_epoch
from jaxlin.engine.loop import Epoch, append_metrics, fit_epochs
from jaxlin.engine.parallel import local, replicate
from jaxlin.engine.train_state import FitResult, History, TrainState
from jaxlin.experiments.config import Config
from jaxlin.experiments.reliability import scores
from jaxlin.experiments.setup import checked_data, epoch_options, model_of, run_data, runs, start


class SingleRun(NamedTuple):
    config: Config
    model: ModuleType
    data: Dataset  # what the run trains and evaluates on, with the run's model options applied
    state: TrainState  # before the first epoch
    epoch_fn: Callable  # the jitted epoch (data parallel over `mesh` when there is one)
    mesh: jax.sharding.Mesh | None


def single_run(config: Config, data: Dataset | None = None, *, mesh: jax.sharding.Mesh | None = None) -> SingleRun:
    """The run `config` describes, ready to train: its data loaded (or `data`, with the config's
    validation split held out) and checked, its first state, its epoch compiled on first call."""
    config.require("single", "train_model")
    model = model_of(config)
    run = runs(config)[0]
    data = run_data(model, checked_data(model, config, data), run)
    optimizer, state = start(model, config, run)
    epoch_fn = jit_epoch(model.LOSSES[config.impl], optimizer, mesh=mesh, **epoch_options(model, config, data))
    return SingleRun(config, model, data, state, epoch_fn, mesh)


def epochs_left(run: SingleRun, state: TrainState, best: Best | None = None) -> int:
    """How many epochs the run still has to train from `state` (0 once early stopping has ended it)."""
    done = int(local(state.epoch))
    if best is not None and patience_ran_out(best, done, run.config.early_stopping or 0):
        return 0
    return max(run.config.epochs - done, 0)


def single_epochs(run: SingleRun, state: TrainState | None = None, best: Best | None = None) -> Iterator[Epoch]:
    """Train the run from `state` (default: its first) to `config.epochs` or until early stopping,
    yielding `Epoch(state, metrics, best)` after each epoch; `best` continues an earlier record.
    Raises TrainingDiverged on a NaN or infinite training loss."""
    state = run.state if state is None else state
    remaining = epochs_left(run, state, best)
    if not remaining:
        return
    data = run.data
    if run.mesh is not None:
        state, data = replicate((state, data), run.mesh)
    yield from fit_epochs(
        run.epoch_fn, state, data.train, data, num_epochs=remaining, patience=run.config.early_stopping, best=best
    )


def final_figures(
    run: SingleRun, state: TrainState, history: History, best: Best | None = None
) -> tuple[Any, dict[str, Any], dict | None]:
    """The run's kept parameters (the best epoch's with early stopping), its final figures (the
    last or best epoch's metrics, the model's summary, and for classifiers the test split's
    calibration figures) and the calibration curves to draw (None for other models)."""
    if run.mesh is not None and run.mesh.is_multi_process:  # the rest is each process's own work
        state, best = local(state), local(best)
    params, final = state.params, {name: values[-1] for name, values in history.items()}
    if best is not None:
        params = best.params
        final = {**{name: values[best.epoch - 1] for name, values in history.items()}, "best_epoch": best.epoch}
    figures, curves = scores(run.model, params, run.data)
    return params, {**final, **figures}, curves


def train_model(
    config: Config,
    data: Dataset | None = None,
    *,
    mesh: jax.sharding.Mesh | None = None,
    on_epoch: Callable[[Mapping[str, Any]], None] | None = None,
) -> FitResult:
    """Train the config's model (one run: use `sweep_model` for several learning rates, seeds or
    degrees, `cross_validate` for kfold) for `config.epochs` epochs, or until early stopping.

    Returns FitResult(state, history, best): history holds the training loss (and accuracy), and
    the model's end-of-epoch evaluation, one value per epoch; `state` is the last epoch's train
    state; with `config.early_stopping`, `best` holds the best epoch and its parameters (what the
    command saves as params.npz). `on_epoch(metrics)` is called after each epoch (e.g.
    `jaxlin.LiveCurves().update` draws the curves as they grow). Raises TrainingDiverged on a NaN/inf loss.
    """
    run = single_run(config, data, mesh=mesh)
    state, history, best = run.state, History(), None
    for state, metrics, best in single_epochs(run):
        append_metrics(history, metrics)
        if on_epoch is not None:
            on_epoch(metrics)
    return FitResult(state, history, best)
