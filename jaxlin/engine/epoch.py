"""One training epoch as one compiled call: `epoch(state, data, eval_data) -> (state, metrics)`.

The data stay on the device, the example order comes from `jaxlin.ops.order.batch_indices` (as
for `minibatches`), a `lax.scan` runs the full batches, and a smaller last batch is one more step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxlin._util import checks
from jaxlin.engine import parallel
from jaxlin.engine.train_state import EvalFn, LossFn, TrainState
from jaxlin.ops.order import batch_indices, take_examples

STEP_STREAM = 2**32 - 1  # folded into a run's key for its per-step keys; no epoch number reaches it


def make_train_step(
    loss_fn: LossFn, optimizer: optax.GradientTransformation, *, has_aux: bool = False, stochastic: bool = False
):
    """One optimisation step: step(params, opt_state, batch, key=None) -> (params, opt_state, loss, aux).
    With `stochastic`, the loss takes a key, loss_fn(params, batch, key) (e.g. for dropout)."""

    def loss_and_aux(params, batch, key):
        out = loss_fn(params, batch, key) if stochastic else loss_fn(params, batch)
        return out if has_aux else (out, {})

    def step(params, opt_state, batch, key=None):
        (loss, aux), grads = jax.value_and_grad(loss_and_aux, has_aux=True)(params, batch, key)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, aux

    return step


def epoch_key(key: jax.Array, epoch: int | jax.Array) -> jax.Array:
    """The shuffle key of epoch `epoch` (0-based): independent of how many epochs ran before."""
    return jax.random.fold_in(key, epoch)


def step_key(key: jax.Array, epoch: int | jax.Array, step: int | jax.Array) -> jax.Array:
    """The key of step `step` of epoch `epoch` (both 0-based) for a stochastic loss (dropout):
    a stream of its own, apart from the shuffle's, the same whatever ran before (so a resumed run
    draws what the uninterrupted one drew)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, STEP_STREAM), epoch), step)


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
    stochastic: bool = False,
):
    """A pure function running one shuffled epoch of minibatch training; jit or vmap it.

    epoch(state, data, eval_data=None) -> (state, metrics), where `data` is a pytree of arrays
    with a shared leading example axis. metrics holds "loss" and each aux metric averaged over the
    epoch's examples (as the book's `train_ch3` reports them), plus what `eval_fn(params,
    eval_data)` returns for the parameters at the end of the epoch.

    `prepare(batch)` is the data step applied to each gathered batch inside the compiled epoch
    (e.g. u8 images to f32 in [0, 1]). With `batch_sharding` (see `jaxlin.parallel`), every batch
    whose size the number of devices divides is split along its example axis across them; XLA
    then computes the gradient on each shard and all-reduces it. With `stochastic`, the loss
    takes a key, loss_fn(params, batch, key): step s of epoch e gets `step_key(state.key, e, s)`.
    """
    step = make_train_step(loss_fn, optimizer, has_aux=has_aux, stochastic=stochastic)

    def take(data, idx):
        batch = take_examples(data, idx)
        if batch_sharding is not None and idx.shape[0] % batch_sharding.num_devices == 0:
            batch = jax.lax.with_sharding_constraint(batch, batch_sharding)
        return batch if prepare is None else prepare(batch)

    def epoch(state: TrainState, data, eval_data=None):
        n = checks.num_examples(data)
        key = epoch_key(state.key, state.epoch)
        full, rest = batch_indices(key, n, batch_size, shuffle=True, drop_remainder=drop_remainder)

        keys = (lambda s: step_key(state.key, state.epoch, s)) if stochastic else (lambda s: None)

        def body(carry, xs):
            (params, opt_state), (idx, s) = carry, xs
            params, opt_state, loss, aux = step(params, opt_state, take(data, idx), keys(s))
            return (params, opt_state), {"loss": loss, **aux}

        steps = jnp.arange(full.shape[0])
        (params, opt_state), per_batch = jax.lax.scan(body, (state.params, state.opt_state), (full, steps))
        totals = {k: v.sum() * batch_size for k, v in per_batch.items()}
        count = full.size
        if rest.size:
            params, opt_state, loss, aux = step(params, opt_state, take(data, rest), keys(full.shape[0]))
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
