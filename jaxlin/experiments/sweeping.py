"""Many runs of one model trained together (several learning rates, seeds, weight decays,
degrees or batch sizes): the library's one implementation of a sweep.

`sweep_groups(config)` lays the runs out in groups that share one compiled, vmapped epoch (one
group per batch size, since it changes the shapes); `group_epochs` trains a group, yielding each
epoch to the caller's loop (`jaxlin.engine.sweep_epochs` underneath). `sweep_model(config)` runs
every group to the end; `python -m jaxlin.train` runs the same loops, printing each epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxlin.data import Dataset
from jaxlin.engine.loop import append_metrics
from jaxlin.engine.sweep import SweepResult, jit_sweep_epoch, split_history, sweep_epochs
from jaxlin.engine.train_state import History, TrainState
from jaxlin.experiments.config import Config
from jaxlin.experiments.setup import (
    by_shape,
    checked_data,
    epoch_options,
    exact_figures,
    model_of,
    sweep_data,
    sweep_start,
)
from jaxlin.models import get_model


class SweepGroup(NamedTuple):
    model: ModuleType  # the group's network, for a model with hidden layers
    runs: list[dict]  # [{"lr", "seed", ... and "batch_size" when the sweep has several}, ...]
    states: TrainState  # their first states, stacked along a model axis
    data: Dataset  # shared by the runs, or one stacked copy per run (per_model)
    per_model: bool
    epoch_fn: Callable  # the jitted, vmapped epoch of the group


def sweep_groups(config: Config, data: Dataset | None = None) -> list[SweepGroup]:
    """The config's runs in groups, each group ready to train (data loaded, unless given, and
    checked; first states stacked; the epoch compiled on first call)."""
    config.require("sweep", "sweep_model")
    data = checked_data(get_model(config.model), config, data)
    groups = []
    for extra, group in by_shape(config):
        model = model_of(group)
        pairs, optimizer, states = sweep_start(model, group)
        group_data, per_model = sweep_data(model, group, data, pairs)
        options = epoch_options(model, group, data)
        epoch_fn = jit_sweep_epoch(model.LOSSES[config.impl], optimizer, per_model_data=per_model, **options)
        runs = [{**pair, **extra} for pair in pairs]
        groups.append(SweepGroup(model, runs, states, group_data, per_model, epoch_fn))
    return groups


def group_epochs(group: SweepGroup, num_epochs: int) -> Iterator[tuple[TrainState, dict[str, list], list[int | None]]]:
    """Train the group `num_epochs` epochs, yielding (states, metrics, diverged) after each."""
    yield from sweep_epochs(group.epoch_fn, group.states, group.data.train, group.data, num_epochs=num_epochs)


def group_result(group: SweepGroup, states: TrainState, history: History, diverged: list[int | None]) -> SweepResult:
    """The group's runs, one history each, from the stacked per-epoch metrics its loop gathered."""
    return SweepResult(states, split_history(history, len(group.runs)), diverged)


def group_exact_figures(group: SweepGroup) -> list[dict[str, float]]:
    """For runs with data of their own and a model with a closed form, what the exact fit scores
    on each run's data ({} per run otherwise)."""
    exact = exact_figures(group.model, group.data, per_model=True) if group.per_model else None
    return exact or [{}] * len(group.runs)


def sweep_model(config: Config, data: Dataset | None = None) -> tuple[list[dict], SweepResult]:
    """Every (learning rate, seed) pair of the config trained together in one vmapped, compiled epoch.

    Returns the runs [{"lr", "seed", and e.g. "degree"}, ...] and the SweepResult; model m is the
    run that `train_model` gives for that run alone (equal to rounding). Its state is one stack of
    every run, or, for networks of different widths (several `hidden`), a list of one stack per
    network.
    """
    groups = sweep_groups(config, data)
    results = []
    for group in groups:
        history: History = {}
        states, diverged = group.states, list[int | None]()
        for states, metrics, diverged in group_epochs(group, config.epochs):
            append_metrics(history, metrics)
        results.append(group_result(group, states, history, diverged))
    shapes = {str(jax.tree_util.tree_map(lambda a: a.shape[1:], r.state)) for r in results}
    if len(shapes) == 1:  # one stack of every run
        state = jax.tree_util.tree_map(lambda *leaves: jnp.concatenate(leaves), *(r.state for r in results))
    else:  # networks of different widths cannot stack: one stack per group, in the order of the runs
        state = [r.state for r in results]
    histories = [h for r in results for h in r.histories]
    diverged = [d for r in results for d in r.diverged]
    return [run for group in groups for run in group.runs], SweepResult(state, histories, diverged)
