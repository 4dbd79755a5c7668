"""Binary logistic regression (D2L 4.9's domain classifier): P(y = 1 | x) = σ(w·x + b).

It is softmax regression with two classes: the logits (0, z) give softmax probabilities
(1 − σ(z), σ(z)), so fixing class 0's weights at zero loses nothing (tested). The scratch path is
the book's formula, binary_cross_entropy(naive_sigmoid(z), y), which gives inf once σ(z) rounds to
0 or 1; the concise path is optax's cross-entropy from logits, finite everywhere. By default it
tells Fashion-MNIST's T-shirts/tops (0) from its shirts (1), the hardest pair for a linear model;
the distribution-shift experiment trains it to tell source images (0) from target images (1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from jaxlin.models.classification import check_image_splits
from jaxlin.models.interface import Book
from jaxlin.ops.affine import Params, affine, init_affine
from jaxlin.ops.example_weights import split_batch, weighted_mean
from jaxlin.ops.metrics import evaluate_splits
from jaxlin.ops.sigmoid import binary_cross_entropy, naive_sigmoid

BOOK = Book(learning_rate=0.1, batch_size=256, num_epochs=10)
DATASET = "tshirt_vs_shirt"
NUM_INPUTS = 28 * 28


def init(key: jax.Array) -> Params:
    """{"w": f32[784, 1] ~ N(0, 0.01²), "b": f32[1] = 0}, as softmax regression's."""
    return init_affine(key, NUM_INPUTS, 1, scale=0.01)


def logit(params: Params, images: jax.Array) -> jax.Array:
    """z = w·x + b, the log-odds of class 1: images f32[n, 28, 28] (or f32[n, 784]) -> f32[n]."""
    return jax.vmap(lambda x: affine(params, x.reshape(-1))[0])(images)


def predict(params: Params, images: jax.Array) -> jax.Array:
    """Class 1 where z > 0 (σ(z) > ½): f32[n, 28, 28] -> i32[n]."""
    return (logit(params, images) > 0).astype(jnp.int32)


def _hits(z: jax.Array, labels: jax.Array) -> jax.Array:
    return ((z > 0) == (labels == 1)).astype(jnp.float32)


def _losses_and_hits(params, batch, per_example_loss):
    images, labels, weights = split_batch(batch)
    z = logit(params, images)
    loss = weighted_mean(per_example_loss(z, labels.astype(jnp.float32)), weights)
    return loss, {"accuracy": weighted_mean(_hits(z, labels), weights)}


def scratch_loss(params: Params, batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The book's binary_cross_entropy(naive_sigmoid(z), y), batch mean (weighted when the batch has
    weights); aux: train accuracy."""
    return _losses_and_hits(params, batch, lambda z, y: binary_cross_entropy(naive_sigmoid(z), y))


def concise_loss(params: Params, batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """optax's stable cross-entropy from logits, batch mean (weighted when given); aux: accuracy."""
    return _losses_and_hits(params, batch, optax.sigmoid_binary_cross_entropy)


LOSSES = {"scratch": scratch_loss, "concise": concise_loss}


def _per_example_metrics(params: Params, batch) -> dict[str, jax.Array]:
    images, labels, _ = split_batch(batch)
    z = logit(params, images)
    return {"loss": optax.sigmoid_binary_cross_entropy(z, labels.astype(jnp.float32)), "accuracy": _hits(z, labels)}


def evaluate(params: Params, data, batch_size: int = 2048) -> dict[str, jax.Array]:
    """{"test_loss", "test_accuracy"} (and "valid_..." with a validation split), jit-able."""
    return evaluate_splits(_per_example_metrics, params, data, batch_size=batch_size)


def check_data(data) -> None:
    """Refuse a missing train split, images that are not 28 x 28, non-finite pixels, labels other
    than 0 and 1, and bad weights (ValueError)."""
    check_image_splits(data, 2, name="Logistic regression", required=("train",))


def summarize(params: Params, data) -> dict[str, float]:
    """Nothing beyond the per-epoch figures."""
    del params, data
    return {}
