"""Linear regression, D2L 3.2 (from scratch) and 3.3 (concise), on the shared training loop.

Both paths fit the same model, ŷ = affine(params, x)[0], written for one example and batched with
vmap. The scratch path uses jaxlin's own `squared_loss` and `sgd`; the concise path uses
`optax.l2_loss` (the same ½(ŷ − y)²) and any optax optimizer.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import jax
import jax.numpy as jnp
import optax

from jaxlin.affine import Params, affine, init_affine
from jaxlin.losses import squared_loss
from jaxlin.optim import default_optimizer, make_optimizer
from jaxlin.synthetic import synthetic_data
from jaxlin.sweep import SweepResult, grid, stack, sweep_runs
from jaxlin.training import FitResult, RunStart, fit

TRUE_W = (2.0, -3.4)
TRUE_B = 4.2


def predict(params: Params, X: jax.Array) -> jax.Array:
    """ŷ for a batch: X f32[n, d] -> f32[n], the per-example affine model under vmap."""
    return jax.vmap(lambda x: affine(params, x)[0])(X)


def scratch_loss(params: Params, batch: tuple[jax.Array, jax.Array]) -> jax.Array:
    X, y = batch
    return squared_loss(predict(params, X), y).mean()


def concise_loss(params: Params, batch: tuple[jax.Array, jax.Array]) -> jax.Array:
    X, y = batch
    return optax.l2_loss(predict(params, X), y).mean()


def full_data_loss(params: Params, data: tuple[jax.Array, jax.Array]) -> dict[str, jax.Array]:
    """The loss over all of `data` with the epoch's final parameters, as the book prints it."""
    return {"full_loss": scratch_loss(params, data)}


LOSSES = {"scratch": scratch_loss, "concise": concise_loss}


def setup(key: jax.Array, optimizer: str, learning_rate: float, num_examples: int = 1000,
          true_w: tuple[float, ...] = TRUE_W, true_b: float = TRUE_B) -> RunStart:
    """A run's starting point from its key: its data, parameters, optimizer and state, shuffle key."""
    w_true = jnp.asarray(true_w, jnp.float32)
    data_key, init_key, shuffle_key = jax.random.split(key, 3)
    data = synthetic_data(data_key, w_true, true_b, num_examples)
    params = init_affine(init_key, w_true.shape[0], 1)
    opt = make_optimizer(optimizer, learning_rate)
    return RunStart(params, opt, opt.init(params), shuffle_key, data)


def estimation_errors(params: Params, true_w=TRUE_W, true_b: float = TRUE_B) -> dict[str, float]:
    """{"w_error": max|w − w_true|, "b_error": |b − b_true|}."""
    return {
        "w_error": float(jnp.abs(params["w"][:, 0] - jnp.asarray(true_w)).max()),
        "b_error": float(jnp.abs(params["b"][0] - true_b)),
    }


def train_linear_regression(
    key: jax.Array, *, implementation: Literal["scratch", "concise"] = "scratch",
    optimizer: str | None = None, learning_rate: float = 0.03, batch_size: int = 10,
    num_epochs: int = 3, num_examples: int = 1000,
    true_w: tuple[float, ...] = TRUE_W, true_b: float = TRUE_B,
    params: Params | None = None, opt_state=None, **fit_kwargs,
) -> tuple[FitResult, dict[str, float]]:
    """The book's experiment: fit w, b to `synthetic_data` and report how far they are from the truth.

    Returns the FitResult and `estimation_errors`. To continue a run, pass its params, opt_state and
    start_epoch; other keyword arguments (on_epoch, mesh, ...) go to `jaxlin.fit`.
    """
    start = setup(key, default_optimizer(implementation, optimizer), learning_rate, num_examples, true_w, true_b)
    result = fit(
        start.params if params is None else params, LOSSES[implementation], start.optimizer, start.data,
        key=start.shuffle_key, batch_size=batch_size, num_epochs=num_epochs, eval_fn=full_data_loss,
        eval_data=start.data, opt_state=start.opt_state if opt_state is None else opt_state, **fit_kwargs,
    )
    return result, estimation_errors(result.params, true_w, true_b)


def sweep_linear_regression(
    *, seeds: Sequence[int], learning_rates: Sequence[float],
    implementation: Literal["scratch", "concise"] = "scratch", optimizer: str | None = None,
    batch_size: int = 10, num_epochs: int = 3, num_examples: int = 1000, on_epoch=None,
) -> tuple[list[dict], SweepResult]:
    """Every (learning rate, seed) pair in one vmapped, compiled epoch; model m is the same run as
    train_linear_regression(jax.random.key(seed), learning_rate=lr, ...), its own data included."""
    optimizer = default_optimizer(implementation, optimizer)
    configs = grid(learning_rates, seeds)
    starts = [setup(jax.random.key(c["seed"]), optimizer, c["lr"], num_examples) for c in configs]
    data = stack([s.data for s in starts])
    result = sweep_runs(
        starts, LOSSES[implementation], data, batch_size=batch_size, num_epochs=num_epochs,
        eval_fn=full_data_loss, eval_data=data, data_per_model=True, on_epoch=on_epoch,
    )
    return configs, result
