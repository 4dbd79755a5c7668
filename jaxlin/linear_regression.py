"""Linear regression, D2L 3.2 (from scratch) and 3.3 (concise), on the shared training loop.

Both paths fit the same model, ŷ = affine(params, x)[0], written for one example and batched with
vmap. The scratch path uses jaxlin's own `squared_loss` and `sgd`; the concise path uses
`optax.l2_loss` (the same ½(ŷ − y)²) and any optax optimizer.
"""
from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import optax

from jaxlin.affine import Params, affine, init_affine
from jaxlin.losses import squared_loss
from jaxlin.optim import make_optimizer
from jaxlin.synthetic import synthetic_data
from jaxlin.training import FitResult, fit

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


def train_linear_regression(
    key: jax.Array, *, implementation: Literal["scratch", "concise"] = "scratch",
    optimizer: str | None = None, learning_rate: float = 0.03, batch_size: int = 10,
    num_epochs: int = 3, num_examples: int = 1000,
    true_w: tuple[float, ...] = TRUE_W, true_b: float = TRUE_B, on_epoch=None,
) -> tuple[FitResult, dict[str, float]]:
    """The book's experiment: fit w, b to `synthetic_data` and report how far they are from the truth.

    Returns the FitResult and {"w_error": max|w − w_true|, "b_error": |b − b_true|}.
    """
    if implementation not in ("scratch", "concise"):
        raise ValueError(f"implementation must be 'scratch' or 'concise', got {implementation!r}.")
    optimizer = optimizer or ("scratch-sgd" if implementation == "scratch" else "sgd")
    loss = scratch_loss if implementation == "scratch" else concise_loss
    w_true = jnp.asarray(true_w, jnp.float32)
    data_key, init_key, shuffle_key = jax.random.split(key, 3)
    data = synthetic_data(data_key, w_true, true_b, num_examples)
    params = init_affine(init_key, w_true.shape[0], 1)
    result = fit(
        params, loss, make_optimizer(optimizer, learning_rate), data, key=shuffle_key,
        batch_size=batch_size, num_epochs=num_epochs, eval_fn=full_data_loss, eval_data=data,
        on_epoch=on_epoch,
    )
    errors = {
        "w_error": float(jnp.abs(result.params["w"][:, 0] - w_true).max()),
        "b_error": float(jnp.abs(result.params["b"][0] - true_b)),
    }
    return result, errors
