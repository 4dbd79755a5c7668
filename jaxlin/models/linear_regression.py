"""Linear regression, D2L 3.2 (from scratch) and 3.3 (concise).

Both paths fit the same model, ŷ = affine(params, x)[0], written for one example and batched with
vmap. The scratch path uses jaxlin's own `squared_loss` (and, by default, its own `sgd`); the
concise path uses `optax.l2_loss` (the same ½(ŷ − y)²) and any optax optimizer.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.models.interface import Book
from jaxlin.models.regression import squared_evaluate, squared_losses
from jaxlin.ops.affine import Params, affine, init_affine
from jaxlin.ops.example_weights import checked_split

BOOK = Book(learning_rate=0.03, batch_size=10, num_epochs=3)
DATASET = "synthetic_linear"
NUM_INPUTS = 2
Batch = tuple[jax.Array, jax.Array]  # (X f32[b, 2], y f32[b])


def init(key: jax.Array) -> Params:
    """{"w": f32[2, 1] ~ N(0, 0.01²), "b": f32[1] = 0}, the book's initialisation."""
    return init_affine(key, NUM_INPUTS, 1)


def predict(params: Params, X: jax.Array) -> jax.Array:
    """ŷ for a batch: X f32[n, d] -> f32[n], the per-example affine model under vmap."""
    return jax.vmap(lambda x: affine(params, x)[0])(X)


LOSSES = squared_losses(predict)


evaluate = squared_evaluate(predict)  # full_loss, and valid_loss / test_loss when the data have them


def check_data(data) -> None:
    """Refuse features that are not [n, 2] with targets [n], and NaN or infinite values (ValueError)."""
    X, y = checked_split(data.train, "the train")
    if X.shape[1:] != (NUM_INPUTS,) or y.shape != X.shape[:1]:
        raise ValueError(
            f"Linear regression's training data must be X [n, {NUM_INPUTS}] and y [n]; got "
            f"{tuple(X.shape)} and {tuple(y.shape)}."
        )
    checks.finite("the training data", data.train)


def summarize(params: Params, data) -> dict[str, float]:
    """How far the learned w and b are from the truth: {"w_error": max|w − w*|, "b_error": |b − b*|}."""
    return {
        "w_error": float(jnp.abs(params["w"][:, 0] - data.truth["w"]).max()),
        "b_error": float(jnp.abs(params["b"][0] - data.truth["b"])),
    }
