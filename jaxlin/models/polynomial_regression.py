"""Polynomial regression, D2L 4.4.4: a linear model on the features xⁱ/i!, fit with degree D.

The model is ŷ = X · w over all MAX_DEGREE + 1 features (no separate bias: x⁰ is the constant).
A degree D keeps the features 0..D and zeroes the others (`with_options`), so every degree has
the same shapes and a sweep over degrees is one vmapped, compiled call; a zeroed feature gets no
gradient, and since w starts at zero (the problem is convex, so zero initialisation is fine),
its weight stays exactly 0: degree D trains the same weights as a model built with D + 1 features.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from jaxlin._util import checks
from jaxlin.models.interface import Book
from jaxlin.models.regression import squared_evaluate, squared_losses
from jaxlin.ops.example_weights import checked_split, split_batch

BOOK = Book(learning_rate=0.01, batch_size=10, num_epochs=400)
DATASET = "polynomial"
MAX_DEGREE = 20
OPTIONS = {"degree": 3}  # the book's "normal" fit; 1 underfits, 20 overfits
Params = dict[str, jax.Array]
Batch = tuple[jax.Array, jax.Array]  # (X f32[b, 21], y f32[b])


def init(key: jax.Array) -> Params:
    """{"w": f32[21] = 0}: deterministic, so `key` is unused."""
    del key
    return {"w": jnp.zeros(MAX_DEGREE + 1, jnp.float32)}


def feature_mask(degree: int | jax.Array) -> jax.Array:
    """f32[21]: 1 for the features x⁰..x^degree, 0 for the higher powers."""
    return (jnp.arange(MAX_DEGREE + 1) <= degree).astype(jnp.float32)


def with_options(data, degree: int):
    """The data a degree-`degree` polynomial trains on: every split's features above it zeroed."""
    degree = checks.degree(degree, MAX_DEGREE)
    keep = lambda split: None if split is None else (split[0] * feature_mask(degree), split[1])
    return dataclasses.replace(data, train=keep(data.train), valid=keep(data.valid), test=keep(data.test))


def solve(data) -> Params:
    """The exact least-squares weights on the training split (D2L 4.4, exercise 1), through
    `jnp.linalg.lstsq`'s SVD: the minimum-norm solution, so zeroed features keep weight 0. Its
    singular-value cutoff leaves out directions too small for float32 to resolve, which is why
    the fit stops changing beyond degree ~9 here. With weights, weighted least squares (rows
    scaled by √wᵢ)."""
    X, y, weights = split_batch(data.train)
    if weights is not None:
        X, y = X * jnp.sqrt(weights)[:, None], y * jnp.sqrt(weights)
    return {"w": jnp.linalg.lstsq(X, y)[0]}


def predict(params: Params, X: jax.Array) -> jax.Array:
    """ŷ: X f32[n, 21] -> f32[n]."""
    return X @ params["w"]


LOSSES = squared_losses(predict)


evaluate = squared_evaluate(predict)  # full_loss, and valid_loss / test_loss when the data have them


def check_data(data) -> None:
    """Refuse splits that are not X [n, 21], y [n], and NaN or infinite values (ValueError)."""
    for name in ("train", "valid", "test"):
        split = getattr(data, name)
        if split is None:
            if name == "train":
                raise ValueError("Polynomial regression needs a train split (X, y); the data have none.")
            continue
        X, y = checked_split(split, f"the {name}")
        if X.shape[1:] != (MAX_DEGREE + 1,) or y.shape != X.shape[:1]:
            raise ValueError(
                f"Polynomial regression's {name} split must be X [n, {MAX_DEGREE + 1}] (the "
                f"features x⁰..x²⁰) and y [n]; got {tuple(X.shape)} and {tuple(y.shape)}."
            )
        checks.finite(f"the {name} split", split)


def summarize(params: Params, data) -> dict:
    """The learned weights beside the true ones (first 5 shown), and the largest error."""
    return {
        "weights": [round(float(v), 4) for v in params["w"][:5]],
        "true_weights": [round(float(v), 4) for v in data.truth["w"][:5]],
        "w_error": float(jnp.abs(params["w"] - data.truth["w"]).max()),
    }
