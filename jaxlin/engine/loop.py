"""The epoch loop: `fit_epochs` yields each epoch to its caller, who owns the loop (it prints,
checkpoints or stops as it likes); `fit` runs it to the end. Metrics reach the host once per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import jax
import optax

from jaxlin._util import checks
from jaxlin.engine import parallel
from jaxlin.engine.early_stopping import Best, keep_best
from jaxlin.engine.epoch import jit_epoch
from jaxlin.engine.train_state import EvalFn, FitResult, History, LossFn, TrainingDiverged, TrainState, init_state
from jaxlin.ops.example_weights import check_weights


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


class Epoch(NamedTuple):
    """One finished epoch: the state after it, its metrics (host floats), the best epoch so far
    (with early stopping; else None)."""

    state: TrainState
    metrics: Mapping[str, Any]
    best: Best | None


def fit_epochs(
    epoch_fn,
    state: TrainState,
    data: Any,
    eval_data: Any = None,
    *,
    num_epochs: int,
    patience: int | None = None,
    monitor: str = "valid_loss",
    best: Best | None = None,
) -> Iterator[Epoch]:
    """Train up to `num_epochs` more epochs from `state`, yielding an `Epoch` after each: the one
    loop that every single-model run goes through (`fit`, `jaxlin.train_model`, the command).

    With `patience`, it stops once `metrics[monitor]` has not improved for that many epochs;
    `best` continues an earlier run's record (e.g. from a checkpoint). Raises TrainingDiverged,
    naming the epoch, as soon as the training loss is NaN or infinite.
    """
    first = int(parallel.local(state.epoch))
    epochs = train_epochs(epoch_fn, state, data, eval_data, num_epochs=num_epochs)
    tracked = (
        keep_best(epochs, patience=patience, monitor=monitor, best=best)
        if patience is not None
        else ((state, metrics, None) for state, metrics in epochs)
    )
    for epoch, (state, metrics, best) in enumerate(tracked, start=first):
        check_finite(metrics, epoch)
        yield Epoch(state, metrics, best)


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
    stochastic: bool = False,
    mesh: jax.sharding.Mesh | None = None,
    patience: int | None = None,
    monitor: str = "valid_loss",
    on_epoch: Callable[[Mapping[str, Any]], None] | None = None,
) -> FitResult:
    """Train for `num_epochs` shuffled epochs, one compiled call each.

    Args:
      params: the initial parameter pytree.
      loss_fn: loss_fn(params, batch) -> mean loss (or (loss, aux) with ``has_aux=True``).
      optimizer: any optax GradientTransformation (e.g. `jaxlin.sgd(0.03)` or `optax.adam(1e-3)`).
      data: pytree of arrays sharing a leading example axis, e.g. (X f32[n, d], y f32[n]); a
        3-tuple (X, y, weights f32[n]) carries per-example weights, checked (`check_weights`).
      key: PRNG key; epoch e shuffles with `epoch_key(key, e)`.
      eval_fn, eval_data: optional end-of-epoch evaluation, e.g. test accuracy.
      prepare: optional data step applied to each gathered batch inside the compiled epoch.
      stochastic: the loss takes a key, loss_fn(params, batch, key) (dropout): one per step, `step_key`.
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
    n = checks.num_examples(data)
    if isinstance(data, tuple) and len(data) == 3:  # (inputs, targets, weights): the models' weighted batch
        check_weights(data[2], n, "data[2] (the example weights)")
    checks.finite("data", data)
    state = init_state(params, optimizer, key)
    if mesh is not None:
        state, data, eval_data = parallel.replicate((state, data, eval_data), mesh)
    epoch_fn = jit_epoch(
        loss_fn, optimizer, batch_size=batch_size, mesh=mesh, drop_remainder=drop_remainder, has_aux=has_aux,
        eval_fn=eval_fn, prepare=prepare, stochastic=stochastic,
    )  # fmt: skip
    history: History = {}
    best = None
    for state, metrics, best in fit_epochs(
        epoch_fn, state, data, eval_data, num_epochs=num_epochs, patience=patience, monitor=monitor
    ):
        append_metrics(history, metrics)
        if on_epoch is not None:
            on_epoch(metrics)
    return FitResult(state, history, best)
