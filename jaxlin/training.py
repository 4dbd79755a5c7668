"""Training loops: a jitted step, a jitted whole epoch, and `fit`, which runs the epochs.

An epoch is one compiled call: the data stay on the device, the epoch's example order comes from
`batch_indices` (the same order the `minibatches` iterator gives for that key) and a `lax.scan`
runs the full batches; the smaller last batch, if any, is one more step with its own static shape.
`fit` calls that compiled epoch once per epoch, which is where progress is shown and the loss is
checked for NaN, at the cost of one small device-to-host copy per epoch.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import optax

from jaxlin import _checks
from jaxlin.minibatch import batch_indices, take_examples

# loss_fn(params, batch) -> mean loss over the batch, or (loss, {name: batch-mean metric}).
LossFn = Callable[[Any, Any], Any]
# eval_fn(params, eval_data) -> {name: scalar}, computed at the end of every epoch.
EvalFn = Callable[[Any, Any], Mapping[str, jax.Array]]


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class RunStart(NamedTuple):
    """Where a run begins, all drawn from its key (see each model's `setup`)."""
    params: Any
    optimizer: optax.GradientTransformation
    opt_state: Any
    shuffle_key: jax.Array
    data: Any = None  # when the run's data come from its key too (synthetic data)


class FitResult(NamedTuple):
    params: Any
    opt_state: Any
    history: dict[str, list[float]]


def make_train_step(loss_fn: LossFn, optimizer: optax.GradientTransformation, *, has_aux: bool = False):
    """One optimisation step: step(params, opt_state, batch) -> (params, opt_state, loss, aux)."""

    def loss_and_aux(params, batch):
        out = loss_fn(params, batch)
        return out if has_aux else (out, {})

    def step(params, opt_state, batch):
        (loss, aux), grads = jax.value_and_grad(loss_and_aux, has_aux=True)(params, batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, aux

    return step


def make_epoch(
    loss_fn: LossFn, optimizer: optax.GradientTransformation, *, batch_size: int,
    drop_remainder: bool = False, has_aux: bool = False, eval_fn: EvalFn | None = None,
    batch_sharding: jax.sharding.Sharding | None = None,
):
    """A pure function running one shuffled epoch of minibatch training; jit or vmap it.

    epoch(params, opt_state, key, data, eval_data=None) -> (params, opt_state, metrics), where
    `data` is a pytree of arrays with a shared leading example axis, and metrics holds "loss" and
    each aux metric averaged over the epoch's examples (as the book's `train_ch3` reports them),
    plus what `eval_fn(params, eval_data)` returns for the parameters at the end of the epoch.

    With `batch_sharding` (see `jaxlin.parallel`), every minibatch is split along its example axis
    across the devices; XLA then computes the gradient on each shard and all-reduces it.
    """
    batch_size = _checks.positive_int("batch_size", batch_size)
    step = make_train_step(loss_fn, optimizer, has_aux=has_aux)

    def take(data, idx):
        batch = take_examples(data, idx)
        if batch_sharding is not None and idx.shape[0] % batch_sharding.num_devices == 0:
            batch = jax.lax.with_sharding_constraint(batch, batch_sharding)
        return batch

    def epoch(params, opt_state, key, data, eval_data=None):
        n = _checks.num_examples(data)
        full, rest = batch_indices(key, n, batch_size, shuffle=True, drop_remainder=drop_remainder)

        def body(carry, idx):
            params, opt_state = carry
            params, opt_state, loss, aux = step(params, opt_state, take(data, idx))
            return (params, opt_state), {"loss": loss, **aux}

        (params, opt_state), per_batch = jax.lax.scan(body, (params, opt_state), full)
        totals = {k: v.sum() * batch_size for k, v in per_batch.items()}
        count = full.size
        if rest.size:
            params, opt_state, loss, aux = step(params, opt_state, take(data, rest))
            totals = {k: totals[k] + v * rest.size for k, v in {"loss": loss, **aux}.items()}
            count += rest.size
        metrics = {k: v / count for k, v in totals.items()}
        if eval_fn is not None:
            metrics.update(eval_fn(params, eval_data))
        return params, opt_state, metrics

    return epoch


def epoch_key(key: jax.Array, epoch: int) -> jax.Array:
    """The shuffle key of epoch `epoch` (0-based): independent of how many epochs ran before."""
    return jax.random.fold_in(key, epoch)


def run_epochs(
    epoch_fn, params: Any, opt_state: Any, epoch_keys: Callable[[int], jax.Array], data: Any,
    eval_data: Any, *, start_epoch: int, num_epochs: int,
    on_epoch: Callable[[int, dict, Any, Any], None] | None = None,
    check: Callable[[int, dict], None] | None = None,
) -> FitResult:
    """The epoch loop shared by `fit` and `jaxlin.sweep.sweep`: one compiled call per epoch.

    Metrics come back to the host once per epoch (floats, or lists of floats for a batch of models),
    are checked with `check(epoch, metrics)`, appended to the history and passed to `on_epoch`.
    """
    history: dict[str, list] = {}
    for epoch in range(start_epoch, start_epoch + num_epochs):
        params, opt_state, metrics = epoch_fn(params, opt_state, epoch_keys(epoch), data, eval_data)
        metrics = {k: v.tolist() for k, v in jax.device_get(metrics).items()}
        if check is not None:
            check(epoch, metrics)
        for name, value in metrics.items():
            history.setdefault(name, []).append(value)
        if on_epoch is not None:
            on_epoch(epoch, metrics, params, opt_state)
    return FitResult(params, opt_state, history)


def _stop_if_diverged(epoch: int, metrics: dict) -> None:
    if not math.isfinite(metrics["loss"]):
        raise TrainingDiverged(
            f"The training loss became {metrics['loss']} in epoch {epoch + 1}: training diverged. "
            "Lower the learning rate (or use an adaptive optimizer such as adam) and try again."
        )


def fit(
    params: Any, loss_fn: LossFn, optimizer: optax.GradientTransformation, data: Any, *,
    key: jax.Array, batch_size: int, num_epochs: int, drop_remainder: bool = False,
    has_aux: bool = False, eval_fn: EvalFn | None = None, eval_data: Any = None,
    opt_state: Any = None, start_epoch: int = 0,
    on_epoch: Callable[[int, dict[str, float], Any, Any], None] | None = None,
    mesh: jax.sharding.Mesh | None = None,
) -> FitResult:
    """Train for `num_epochs` shuffled epochs, one compiled call each.

    Args:
      params: the initial parameter pytree.
      loss_fn: loss_fn(params, batch) -> mean loss (or (loss, aux) with ``has_aux=True``).
      optimizer: any optax GradientTransformation (e.g. `jaxlin.sgd(0.03)` or `optax.adam(1e-3)`).
      data: pytree of arrays sharing a leading example axis, e.g. (X f32[n, d], y f32[n]).
      key: PRNG key; epoch e shuffles with `epoch_key(key, e)`.
      eval_fn, eval_data: optional end-of-epoch evaluation, e.g. test accuracy.
      opt_state, start_epoch: continue a run (its optimizer state and the next epoch's number).
      on_epoch: called after each epoch as on_epoch(epoch, metrics, params, opt_state), e.g. to
        print progress or save a checkpoint.
      mesh: train data-parallel over this mesh's devices (`jaxlin.parallel.data_parallel_mesh`):
        parameters and data replicated, every minibatch split across the devices.

    Returns:
      FitResult(params, opt_state, history) with history[name] a list, one float per epoch.

    Raises:
      TrainingDiverged: the training loss became NaN or infinite; the message names the epoch.
    """
    _checks.num_examples(data)
    num_epochs = _checks.positive_int("num_epochs", num_epochs)
    batch_sharding = None
    if mesh is not None:
        from jaxlin import parallel

        batch_size = parallel.check_batch_size(batch_size, mesh)
        params, opt_state, data, eval_data = parallel.replicate((params, opt_state, data, eval_data), mesh)
        batch_sharding = parallel.batch_sharding(mesh)
    epoch_fn = jax.jit(make_epoch(
        loss_fn, optimizer, batch_size=batch_size, drop_remainder=drop_remainder,
        has_aux=has_aux, eval_fn=eval_fn, batch_sharding=batch_sharding,
    ))
    if opt_state is None:
        opt_state = optimizer.init(params)
    return run_epochs(
        epoch_fn, params, opt_state, lambda epoch: epoch_key(key, epoch), data, eval_data,
        start_epoch=start_epoch, num_epochs=num_epochs, on_epoch=on_epoch, check=_stop_if_diverged,
    )
