"""The training engine: a jitted step, a jitted whole epoch over a train state, and the epoch loop.

An epoch is one compiled call, `epoch(state, data, eval_data) -> (state, metrics)`: the data stay
on the device, the example order comes from `jaxlin.ops.order.batch_indices` (as for `minibatches`),
a `lax.scan` runs the full batches, and a smaller last batch is one more step. `train_epochs`
yields `(state, metrics)` after each epoch, so the caller owns the loop: it prints, checkpoints
or stops as it likes (`fit` runs it to the end). Metrics reach the host once per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxlin._util import checks
from jaxlin.engine import parallel
from jaxlin.engine.early_stopping import keep_best
from jaxlin.ops.order import batch_indices, take_examples

# loss_fn(params, batch) -> mean loss over the batch, or (loss, {name: batch-mean metric}).
LossFn = Callable[[Any, Any], Any]
# eval_fn(params, eval_data) -> {name: scalar}, computed at the end of every epoch.
EvalFn = Callable[[Any, Any], Mapping[str, jax.Array]]
History = dict[str, list]  # metric name -> one value per epoch (a list of values per model in a sweep)


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class TrainState(NamedTuple):
    """All that training carries from one epoch to the next, as one pytree (stackable, saveable).

    params: the model's parameters; opt_state: the optimizer's state (its learning rate included,
    see `jaxlin.make_optimizer`); key: the run's shuffle key, epoch e shuffling with
    `epoch_key(key, e)`; epoch: i32[], the number of epochs done.
    """

    params: Any
    opt_state: Any
    key: jax.Array
    epoch: jax.Array


def init_state(params: Any, optimizer: optax.GradientTransformation, key: jax.Array) -> TrainState:
    """The state before the first epoch: the optimizer's initial state and epoch 0."""
    return TrainState(params, optimizer.init(params), key, jnp.zeros((), jnp.int32))


class FitResult(NamedTuple):
    state: TrainState
    history: History
    best: Any = None  # with early stopping: the best epoch, a `jaxlin.engine.early_stopping.Best`

    @property
    def params(self) -> Any:
        return self.state.params

    @property
    def opt_state(self) -> Any:
        return self.state.opt_state


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


def epoch_key(key: jax.Array, epoch: int | jax.Array) -> jax.Array:
    """The shuffle key of epoch `epoch` (0-based): independent of how many epochs ran before."""
    return jax.random.fold_in(key, epoch)


def make_epoch(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    *,
    batch_size: int,
    drop_remainder: bool = False,
    has_aux: bool = False,
    eval_fn: EvalFn | None = None,
    prepare: Callable[[Any], Any] | None = None,
    batch_sharding: jax.sharding.Sharding | None = None,
):
    """A pure function running one shuffled epoch of minibatch training; jit or vmap it.

    epoch(state, data, eval_data=None) -> (state, metrics), where `data` is a pytree of arrays
    with a shared leading example axis. metrics holds "loss" and each aux metric averaged over the
    epoch's examples (as the book's `train_ch3` reports them), plus what `eval_fn(params,
    eval_data)` returns for the parameters at the end of the epoch.

    `prepare(batch)` is the data step applied to each gathered batch inside the compiled epoch
    (e.g. u8 images to f32 in [0, 1]). With `batch_sharding` (see `jaxlin.parallel`), every batch
    whose size the number of devices divides is split along its example axis across them; XLA
    then computes the gradient on each shard and all-reduces it.
    """
    batch_size = checks.positive_int("batch_size", batch_size)
    step = make_train_step(loss_fn, optimizer, has_aux=has_aux)

    def take(data, idx):
        batch = take_examples(data, idx)
        if batch_sharding is not None and idx.shape[0] % batch_sharding.num_devices == 0:
            batch = jax.lax.with_sharding_constraint(batch, batch_sharding)
        return batch if prepare is None else prepare(batch)

    def epoch(state: TrainState, data, eval_data=None):
        n = checks.num_examples(data)
        key = epoch_key(state.key, state.epoch)
        full, rest = batch_indices(key, n, batch_size, shuffle=True, drop_remainder=drop_remainder)

        def body(carry, idx):
            params, opt_state = carry
            params, opt_state, loss, aux = step(params, opt_state, take(data, idx))
            return (params, opt_state), {"loss": loss, **aux}

        (params, opt_state), per_batch = jax.lax.scan(body, (state.params, state.opt_state), full)
        totals = {k: v.sum() * batch_size for k, v in per_batch.items()}
        count = full.size
        if rest.size:
            params, opt_state, loss, aux = step(params, opt_state, take(data, rest))
            totals = {k: totals[k] + v * rest.size for k, v in {"loss": loss, **aux}.items()}
            count += rest.size
        metrics = {k: v / count for k, v in totals.items()}
        if eval_fn is not None:
            metrics.update(eval_fn(params, eval_data))
        return TrainState(params, opt_state, state.key, state.epoch + 1), metrics

    return epoch


def jit_epoch(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    *,
    batch_size: int,
    mesh: jax.sharding.Mesh | None = None,
    **options,
):
    """`make_epoch`, jitted; with a `mesh`, data parallel over its devices (then replicate the
    state and data on it too: `jaxlin.engine.parallel.replicate`)."""
    sharding = None
    if mesh is not None:
        parallel.check_batch_size(batch_size, mesh)
        sharding = parallel.batch_sharding(mesh)
    return jax.jit(make_epoch(loss_fn, optimizer, batch_size=batch_size, batch_sharding=sharding, **options))


def train_epochs(
    epoch_fn, state: TrainState, data: Any, eval_data: Any = None, *, num_epochs: int
) -> Iterator[tuple[TrainState, dict[str, Any]]]:
    """Run `epoch_fn` `num_epochs` times, yielding (state, metrics) after each epoch, metrics as
    host floats (lists of floats for a stack of models). Nothing is checked or kept here."""
    for _ in range(checks.positive_int("num_epochs", num_epochs)):
        state, metrics = epoch_fn(state, data, eval_data)
        yield state, {k: v.tolist() for k, v in jax.device_get(metrics).items()}


def append_metrics(history: History, metrics: Mapping[str, Any]) -> History:
    """Add one epoch's metrics to `history` (in place) and return it."""
    for name, value in metrics.items():
        history.setdefault(name, []).append(value)
    return history


def check_finite(metrics: Mapping[str, Any], epoch: int) -> None:
    """Raise TrainingDiverged when the loss of `epoch` (0-based) is NaN or infinite."""
    if not math.isfinite(metrics["loss"]):
        raise TrainingDiverged(
            f"The training loss became {metrics['loss']} in epoch {epoch + 1}: training diverged. "
            "Lower the learning rate (or use an adaptive optimizer such as adam) and try again."
        )


def fit(
    params: Any,
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    data: Any,
    *,
    key: jax.Array,
    batch_size: int,
    num_epochs: int,
    drop_remainder: bool = False,
    has_aux: bool = False,
    eval_fn: EvalFn | None = None,
    eval_data: Any = None,
    prepare: Callable[[Any], Any] | None = None,
    mesh: jax.sharding.Mesh | None = None,
    patience: int | None = None,
    monitor: str = "valid_loss",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> FitResult:
    """Train for `num_epochs` shuffled epochs, one compiled call each.

    Args:
      params: the initial parameter pytree.
      loss_fn: loss_fn(params, batch) -> mean loss (or (loss, aux) with ``has_aux=True``).
      optimizer: any optax GradientTransformation (e.g. `jaxlin.sgd(0.03)` or `optax.adam(1e-3)`).
      data: pytree of arrays sharing a leading example axis, e.g. (X f32[n, d], y f32[n]).
      key: PRNG key; epoch e shuffles with `epoch_key(key, e)`.
      eval_fn, eval_data: optional end-of-epoch evaluation, e.g. test accuracy.
      prepare: optional data step applied to each gathered batch inside the compiled epoch.
      mesh: train data-parallel over this mesh's devices (`jaxlin.data_parallel_mesh`):
        parameters and data replicated, every minibatch split across the devices.
      patience: stop early once eval_fn's `monitor` figure has not improved for this many epochs.
      on_epoch: called with each epoch's metrics (host floats), e.g. `jaxlin.LiveCurves().update`.

    Returns:
      FitResult(state, history, best), history[name] a list with one float per epoch; `.params`
      and `.opt_state` read the final state; with `patience`, `best` holds the best epoch, its
      value and its parameters (`jaxlin.engine.early_stopping.Best`).

    Raises:
      TrainingDiverged: the training loss became NaN or infinite; the message names the epoch.
    """
    checks.num_examples(data)
    checks.finite("data", data)
    state = init_state(params, optimizer, key)
    if mesh is not None:
        state, data, eval_data = parallel.replicate((state, data, eval_data), mesh)
    epoch_fn = jit_epoch(
        loss_fn,
        optimizer,
        batch_size=batch_size,
        mesh=mesh,
        drop_remainder=drop_remainder,
        has_aux=has_aux,
        eval_fn=eval_fn,
        prepare=prepare,
    )
    history: History = {}
    epochs = train_epochs(epoch_fn, state, data, eval_data, num_epochs=num_epochs)
    epochs = (
        keep_best(epochs, patience=patience, monitor=monitor)
        if patience is not None
        else ((s, m, None) for s, m in epochs)
    )
    for epoch, (state, metrics, best) in enumerate(epochs):
        check_finite(metrics, epoch)
        append_metrics(history, metrics)
        if on_epoch is not None:
            on_epoch(metrics)
    return FitResult(state, history, best)
