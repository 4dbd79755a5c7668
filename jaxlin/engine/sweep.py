"""Many models in one compiled call: the training epoch under `jax.vmap`, over models.

Each model has its own train state: parameters, optimizer state (holding its own learning rate,
see `jaxlin.make_optimizer`) and shuffle key, stacked along a leading model axis; the data are
shared. A sweep over 4 learning rates x 3 seeds is one compiled epoch processing 12 models side
by side, each giving the result of its own run (equal to rounding: vmap batches the matmuls).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlin._util import checks
from jaxlin.engine.epoch import make_epoch
from jaxlin.engine.loop import append_metrics, train_epochs
from jaxlin.engine.train_state import LossFn, TrainState


class SweepResult(NamedTuple):
    state: TrainState  # every leaf with a leading model axis
    histories: list[dict[str, list[float]]]  # one per model, like FitResult.history
    diverged: list[int | None]  # per model: the 1-based epoch whose loss was NaN/inf, or None

    @property
    def params(self) -> Any:
        return self.state.params


def grid(learning_rates: Sequence[float], seeds: Sequence[int], **options: Sequence) -> list[dict]:
    """Every combination, learning rate major, then seed, then each option in turn:
    [{"lr": ..., "seed": ..., **{option: ...}}, ...] (e.g. options degree=(1, 3, 20))."""
    runs = [{"lr": lr, "seed": seed} for lr in learning_rates for seed in seeds]
    for name, values in options.items():
        runs = [{**run, name: value} for run in runs for value in values]
    return runs


def stack(trees: Sequence[Any]) -> Any:
    """Stack pytrees of the same structure along a new leading axis."""
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def unstack(tree: Any, index: int) -> Any:
    """Model `index` of a stacked pytree."""
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


def jit_sweep_epoch(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    *,
    batch_size: int,
    per_model_data: bool = False,
    **options,
):
    """`make_epoch` vmapped over a stack of train states, jitted. The data are shared, or with
    `per_model_data` stacked along the same model axis (each model its own data of the same shapes,
    e.g. its own polynomial degree or cross-validation fold).

    Models with the same shuffle key and epoch (one seed, many learning rates, weight decays or
    degrees) visit the same batches. They are grouped (`order_groups`): in a vmap over the groups,
    a vmap over each group's models leaves the key out, so each group's order is drawn and each of
    its batches gathered once, and vmap turns its M narrow matmuls into one M times wider. The
    results are those of separate runs either way.
    """
    epoch = make_epoch(loss_fn, optimizer, batch_size=batch_size, **options)
    data_axis = 0 if per_model_data else None
    separate = jax.jit(jax.vmap(epoch, in_axes=(0, data_axis, data_axis)))
    one_order = TrainState(params=0, opt_state=0, key=None, epoch=None)  # type: ignore[arg-type]  # vmap's axes
    in_group = jax.vmap(epoch, in_axes=(one_order, data_axis, data_axis), out_axes=(one_order, 0))
    by_group = jax.vmap(in_group, in_axes=(0, data_axis, data_axis))

    @jax.jit
    def grouped(states: TrainState, data, eval_data, groups: jax.Array):
        regroup = lambda tree: jax.tree.map(lambda a: a[groups], tree)  # [n, ...] -> [G, M, ...]
        if per_model_data:
            data, eval_data = regroup(data), regroup(eval_data)
        params, opt_state = regroup((states.params, states.opt_state))
        start = TrainState(params, opt_state, states.key[groups[:, 0]], states.epoch[groups[:, 0]])
        new, metrics = by_group(start, data, eval_data)
        back = jnp.argsort(groups.ravel())
        ungroup = lambda tree: jax.tree.map(lambda a: a.reshape(-1, *a.shape[2:])[back], tree)
        params, opt_state = ungroup((new.params, new.opt_state))
        return TrainState(params, opt_state, states.key, states.epoch + 1), ungroup(metrics)

    def run(states: TrainState, data, eval_data=None):
        groups = order_groups(states)
        if groups is None:
            return separate(states, data, eval_data)
        return grouped(states, data, eval_data, jnp.asarray(groups))

    return run


def order_groups(states: TrainState) -> np.ndarray | None:
    """The models that shuffle alike (same key and epoch) as rows of indices i32[G, M], G groups
    of M models each; None when no two models share an order or the groups differ in size."""
    n = states.epoch.shape[0]
    alike = np.concatenate(
        [np.asarray(jax.random.key_data(states.key)).reshape(n, -1), np.asarray(states.epoch).reshape(n, 1)], axis=1
    )
    _, group = np.unique(alike, axis=0, return_inverse=True)
    sizes = np.bincount(group.ravel())
    if sizes.max() == 1 or (sizes != sizes[0]).any():
        return None
    return np.stack([np.flatnonzero(group.ravel() == g) for g in range(len(sizes))]).astype(np.int32)


def mark_diverged(diverged: list[int | None], losses: Sequence[float], epoch: int) -> list[int | None]:
    """Record, in place, the 1-based `epoch` for each model whose loss just became NaN or inf."""
    for model, loss in enumerate(losses):
        if diverged[model] is None and not math.isfinite(loss):
            diverged[model] = epoch + 1
    return diverged


def sweep_epochs(
    epoch_fn, states: TrainState, data: Any, eval_data: Any = None, *, num_epochs: int
) -> Iterator[tuple[TrainState, dict[str, list], list[int | None]]]:
    """Train a stack of models `num_epochs` epochs with a sweep epoch (`jit_sweep_epoch`), yielding
    (states, metrics, diverged) after each: metrics hold a list of floats per name (one per model),
    diverged the 1-based epoch at which each model's loss became NaN or inf (None while finite).
    The one loop of every sweep (`sweep`, `jaxlin.sweep_model`, cross-validation, the command)."""
    diverged: list[int | None] = [None] * states.epoch.shape[0]
    for epoch, (states, metrics) in enumerate(train_epochs(epoch_fn, states, data, eval_data, num_epochs=num_epochs)):
        yield states, metrics, mark_diverged(diverged, metrics["loss"], epoch)


def split_history(history: dict[str, list[list[float]]], num_models: int) -> list[dict[str, list[float]]]:
    """{name: [per epoch: [per model]]} -> one {name: [per epoch]} per model."""
    return [
        {name: [per_epoch[m] for per_epoch in values] for name, values in history.items()} for m in range(num_models)
    ]


def sweep(
    states: TrainState,
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    data: Any,
    *,
    batch_size: int,
    num_epochs: int,
    eval_data: Any = None,
    per_model_data: bool = False,
    **options,
) -> SweepResult:
    """Train a stack of models together (`stack` their `init_state`s) for `num_epochs` epochs.

    Model m's epoch e shuffles with `epoch_key(keys[m], e)`, as `fit(..., key=keys[m])` would.
    The optimizers must differ only in hyperparameters kept in their state (`make_optimizer`).
    A model whose loss becomes NaN or infinite is reported in `diverged`, and the others go on.
    With `per_model_data`, `data` and `eval_data` hold one stacked copy per model (`stack`).
    `options` go to `make_epoch` (has_aux, eval_fn, prepare, drop_remainder).
    """
    checks.finite("data", data)
    epoch_fn = jit_sweep_epoch(loss_fn, optimizer, batch_size=batch_size, per_model_data=per_model_data, **options)
    history: dict[str, list] = {}
    diverged: list[int | None] = []
    for states, metrics, diverged in sweep_epochs(epoch_fn, states, data, eval_data, num_epochs=num_epochs):
        append_metrics(history, metrics)
    return SweepResult(states, split_history(history, len(diverged)), diverged)
